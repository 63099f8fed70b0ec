"""auto's choice: errors weighted towards the latest origins, two averaged when neither is
clearly best."""

from __future__ import annotations

import numpy as np

from sufficiency.forecast.choice import PARTNER_RECENCY, _pick, origin_weights


def _errors(*per_origin: list[float]) -> np.ndarray:
    """``(C, 1, O)`` errors of each candidate at each origin (horizon 1)."""
    return np.array(per_origin, dtype=float)[:, None, :]


def test_latest_origins_weigh_more() -> None:
    # A was better at the old origins, B at the latest three
    err = _errors([1, 1, 1, 1, 1, 9, 9, 9], [9, 9, 9, 9, 9, 1, 1, 1])
    usable = np.ones((2, 1), dtype=bool)
    plain, _, _ = _pick(err, usable)
    recent, _, mean = _pick(err, usable, origin_weights(8, 1))
    assert plain[0] == 0 and recent[0] == 1
    assert mean[1, 0] < mean[0, 0]


def test_two_averaged_where_neither_is_clearly_best() -> None:
    rng = np.random.default_rng(0)
    noisy = rng.uniform(0, 10, 8)
    err = _errors(list(noisy), list(noisy + 0.1), list(noisy + 30))
    choice, partner, _ = _pick(err, np.ones((3, 1), dtype=bool), origin_weights(8, 1))
    assert {int(choice[0]), int(partner[0])} == {0, 1}
    # the one-standard-error choice (first in preference) is averaged with the best other
    err = _errors(list(noisy + 0.2), list(noisy + 0.1), list(noisy))
    choice, partner, _ = _pick(err, np.ones((3, 1), dtype=bool), origin_weights(8, 1))
    assert (int(choice[0]), int(partner[0])) == (0, 2)


def test_one_kept_where_it_is_clearly_best() -> None:
    err = _errors([1, 1.1, 0.9, 1, 1, 1.2, 0.8, 1], [5, 5.2, 4.8, 5, 5, 5.1, 4.9, 5])
    choice, partner, _ = _pick(err, np.ones((2, 1), dtype=bool), origin_weights(8, 1))
    assert choice[0] == 0 and partner[0] == -1
    # a candidate that may not be used is never the partner
    choice, partner, _ = _pick(err[:1], np.ones((1, 1), dtype=bool))
    assert choice[0] == 0 and partner[0] == -1


def test_the_partner_is_the_best_other_on_the_latest_origins() -> None:
    w, recent = origin_weights(8, 1), origin_weights(8, 1, PARTNER_RECENCY)
    # halved each origin back: the latest counts as much as all earlier ones together
    assert recent[-1] == 1.0 and abs(recent[:-1].sum() - 1.0) < 0.01
    rng = np.random.default_rng(0)
    # no method clearly best: A (first in preference), B better at the seven earlier
    # origins, C at the latest, by more; on the whole backtest B is A's best other, on the
    # latest origins C
    a = list(rng.uniform(4.5, 5.5, 8))
    err = _errors(a, [4.0] * 7 + [7.0], [6.0] * 7 + [3.0])
    usable = np.ones((3, 1), dtype=bool)
    first, before, _ = _pick(err, usable, w)
    choice, partner, _ = _pick(err, usable, w, recent)
    assert (int(first[0]), int(before[0])) == (0, 1)
    assert (int(choice[0]), int(partner[0])) == (0, 2)
    # where one method is clearly best, it stays alone whatever the latest origins say
    err = _errors([1, 1.1, 0.9, 1, 1, 1.2, 0.8, 1], [5, 5.2, 4.8, 5, 5, 5.1, 4.9, 5])
    choice, partner, _ = _pick(err, np.ones((2, 1), dtype=bool), w, recent)
    assert choice[0] == 0 and partner[0] == -1
