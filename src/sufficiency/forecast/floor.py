"""A floor from plans already held: the plans of the last January that survive to each year.

A plan runs for years: most children who hold one in January still hold it a year later.
A forecast (or an interval's lower end, or a sample path) below the plans held today that
survive to that year is not a possible future, so none may go below it. Per series and
future year ``h``::

    floor(h) = Σ_a  S(a) · P(a → a + h) · [a + h in the series' ages]  (+ new plans)

where ``S`` is the plans held in the last January by single year of age (where the history
gives only age bands, each spread over its ages by the national single-year shape),
and ``P`` the chance a plan held at age ``a`` is still held ``h`` years later at the
recorded exit rates by age (:attr:`~.methods.flows.FlowFit.exit_rate`, from the flows
table where one is given), never below :data:`FLOOR_EXIT_RATE` (England's recorded rate
of ceased plans spread over ages, erring high: a floor must err low). Every plan ends at
25. Plans of every age of the series' need (its group) feed it as they age, so the floors
of a need's bands add up to the need's.

Every sample path is held at the floor or above (:func:`apply_floor`). Where a method's
mean falls below the floor, its paths are first moved up with it (scaled by
``(floor + 1)/(mean + 1)``, keeping their spread) and the mean becomes that of the floored
paths: the least a forecast can be is the survivors, and a forecast at that least would
say nothing could go lower.

Where a flows table is given, the fewest new plans it records in a year start again each
future year (by the recorded age at start) and survive in the same way — added to series
not split by need (the table does not say which need a new plan has).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .methods.flows import NATIONAL_AGE_PROFILE, NATIONAL_START_AGE
from .panel import AGE_KEYS, ALL, Panel

#: Yearly exit rate by single age 0–25 assumed where an area's own is not recorded — at or
#: above England's: 34,724 plans ceased in 2022 (transfers to other LAs included) of
#: 473,255 held in January 2022, 7.3%; few leave during school (transfers, needs met),
#: many at 15–17 (counts fall ≈6% from 15 to 16 although ≈3,500 plans start at 16, and
#: ≈13% from 16 to 17) and after (employment, higher education, no longer engaging); every
#: plan ends at 25. On the national age shape these lose ≈12% a year: a floor errs low.
FLOOR_EXIT_RATE = np.array(
    [
        *(0.04,) * 15,  # ages 0-14
        *(0.20, 0.20, 0.25, 0.30),  # ages 15-18
        *(0.35,) * 6,  # ages 19-24
        1.0,  # age 25: every plan ends
    ]
)


def survival(exit_rate: np.ndarray, horizon: int) -> np.ndarray:
    """``(horizon + 1, 26)``: the chance a plan held at age ``a`` is held ``h`` years later
    (at age ``a + h``; zero once that passes 25)."""
    n_ages = len(exit_rate)
    out = np.zeros((horizon + 1, n_ages))
    out[0] = 1.0
    stay = 1.0 - np.clip(exit_rate, 0.0, 1.0)
    for h in range(1, horizon + 1):
        out[h, : n_ages - h] = out[h - 1, : n_ages - h] * stay[h - 1 : n_ages - 1]
    return out


def held_by_age(history: pd.DataFrame, keys: pd.DataFrame, by: tuple[str, ...]) -> np.ndarray:
    """``(S, 26)``: plans held in the history's last January by single age, of every
    series' group (the rows sharing its keys other than age: all its need's bands).

    Rows with a single ``age`` count at that age; rows with only a band (or neither) are
    spread over its ages by the national single-year shape.
    """
    from .methods.flowmethod import stock_of_rows, stock_rows

    last = int(history["year"].max())
    rows = history[history["year"].astype(int) == last]
    other = [k for k in by if k not in AGE_KEYS]
    out = np.zeros((len(keys), len(NATIONAL_AGE_PROFILE)))
    # the rows read once; each group's are a subset of them
    text = {k: rows[k].astype(str).to_numpy() for k in other}
    n, col, age, bands = stock_rows(rows, np.array([last]))
    done: dict[tuple[str, ...], np.ndarray] = {}
    for i, key in enumerate(keys[other].astype(str).itertuples(index=False, name=None)):
        if key not in done:
            mask = np.ones(len(rows), dtype=bool)
            for k, v in zip(other, key, strict=True):
                if v != ALL:
                    mask &= text[k] == v
            done[key] = stock_of_rows(n[mask], col[mask], age[mask], bands[mask], 1)[:, 0]
        out[i] = done[key]
    return out


def held_floor(
    panel: Panel,
    horizon: int,
    held: np.ndarray,
    exit_rate: np.ndarray | None = None,
    min_new: float = 0.0,
    start_age: np.ndarray | None = None,
) -> np.ndarray:
    """``(S, horizon)``: each series' plans surviving from the last January (see above).

    Args:
        panel: The series.
        horizon: Years after the last history year.
        held: ``(S, 26)`` plans held by single age of each series' group
            (:func:`held_by_age`).
        exit_rate: ``(26,)`` recorded exit rate by age (``None``: not recorded); held at
            :data:`FLOOR_EXIT_RATE` at least.
        min_new: New plans a year assumed at least (series not split by need only).
        start_age: ``(26,)`` share of new plans by age at start (default national).
    """
    rate = FLOOR_EXIT_RATE
    if exit_rate is not None:  # the recorded rates, never below the assumed ones
        rate = np.maximum(np.asarray(exit_rate, dtype=float), FLOOR_EXIT_RATE)
    surv = survival(rate, horizon)  # (H+1, 26)
    n_ages = len(rate)
    start = NATIONAL_START_AGE if start_age is None else np.asarray(start_age, dtype=float)
    start = start / start.sum() if start.sum() > 0 else start
    other = [k for k in panel.by if k not in AGE_KEYS]
    out = np.zeros((panel.n_series, horizon))
    for i in range(panel.n_series):
        ages = panel.cohort_ages[i]
        by_need = any(str(panel.keys[k].iat[i]) != ALL for k in other)
        for h in range(1, horizon + 1):
            # plans of age a today are aged a + h, if still held
            moved = held[i, : n_ages - h] * surv[h, : n_ages - h]
            out[i, h - 1] = float(moved[ages[h:]].sum())
            if min_new > 0 and not by_need:
                for k in range(1, h + 1):  # started in the k-th year, held h - k years
                    left = h - k
                    arrived = start[: n_ages - left] * surv[left, : n_ages - left]
                    out[i, h - 1] += min_new * float(arrived[ages[left:]].sum())
    return out


def fewest_new_plans(new_plans: pd.DataFrame | None, last_year: int) -> float:
    """The fewest new plans recorded in a calendar year before ``last_year`` (0: none)."""
    if new_plans is None or new_plans.empty:
        return 0.0
    kept = new_plans.loc[new_plans["year"].astype(int) < last_year, "children"].astype(float)
    kept = kept[np.isfinite(kept)]
    return float(kept.min()) if len(kept) else 0.0


def apply_floor(
    point: np.ndarray, paths: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts ``(S, H)`` and sample paths ``(S, draws, H)`` held at ``floor``.

    Paths below the floor are raised to it. Where a point forecast is below the floor its
    paths are first scaled up by ``(floor + 1)/(point + 1)`` (their spread kept), and the
    point becomes the mean of its floored paths.
    """
    below = point < floor
    ratio = np.where(below, (floor + 1.0) / (np.maximum(point, 0.0) + 1.0), 1.0)
    paths = (paths + 1.0) * ratio[:, None, :] - 1.0
    paths = np.maximum(paths, floor[:, None, :])
    point = np.where(below, paths.mean(axis=1), point)
    return point, paths
