"""Cohort component projection by single year of age: children age, plans continue, new ones start.

With counts ``N[a, t]`` by single year of age and population ``P[a, t]``::

    N[a, t] = c[a] · N[a-1, t-1] + i[a] · P[a, t] · exp(g · (t − T))      (a ≥ 1)
    N[0, t] = i[0] · P[0, t] · exp(g · (t − T))

``c[a]`` is the continuation rate from age a-1 to a (share of plans kept a year on,
0–1, one per phase of education), ``i[a]`` the incidence of new plans per head at age a
in the last history year T, and ``g`` a common yearly growth of incidence (the rising
rate of new plans), fitted by weighted least squares (weights ``1 / (N + 1)``, roughly
Poisson; see :func:`fit_cohort`). Projection ages each cohort forward: a large primary
cohort moves into secondary, as the population projection says.
"""

from __future__ import annotations

import numpy as np

from ..taxonomy import PHASES

#: Fewest history years (so at least 3 year-on-year transitions).
MIN_POINTS_COHORT = 4
#: Largest continuation rate: plans are kept or cease; arrivals count as new plans.
MAX_CONTINUATION = 1.0
_GROWTH_GRID = np.linspace(-0.10, 0.30, 41)
_CONTINUATION_GRID = np.linspace(0.0, MAX_CONTINUATION, 101)


def _phase_of_age(n_ages: int) -> np.ndarray:
    """Phase index of each single age (continuation is estimated per phase)."""
    ages = np.arange(n_ages)
    return np.searchsorted([lo for _, lo, _ in PHASES[1:]], ages, side="right")


def fit_cohort(counts: np.ndarray, population: np.ndarray) -> dict[str, np.ndarray | float]:
    """Continuation rates, incidence and incidence growth from single-age history.

    Continuation is one rate per phase of education (early years, primary, secondary,
    post-16, post-19) — the year-on-year noise of single ages cannot separate a rate
    per age from new plans — and incidence one rate per single age. For each growth
    ``g`` on a grid and each phase, the continuation rate is searched on a grid in
    [0, 1] with the incidences solved in closed form (weighted least squares, floored at
    0); the best ``g`` minimises the total weighted error.

    Args:
        counts: ``(n_ages, n_years)`` children by single year of age (0 first).
        population: ``(n_ages, n_years)`` population for the same ages and years.

    Returns:
        ``continuation`` (per age; the first is unused), ``incidence`` (per age, per
        head in the last year), ``growth`` (log per year) and ``sse``.

    Raises:
        ValueError: If there are fewer than :data:`MIN_POINTS_COHORT` years or no children.
    """
    n_ages, n = counts.shape
    if n < MIN_POINTS_COHORT:
        raise ValueError(f"cohort needs at least {MIN_POINTS_COHORT} years, has {n}")
    if counts.sum() <= 0:
        raise ValueError("cohort needs children in the history")
    y = counts[:, 1:]  # (A, n-1): targets
    x1 = np.zeros_like(y)
    x1[1:] = counts[:-1, :-1]  # the same cohort a year earlier (none for age 0)
    w = 1.0 / (y + 1.0)
    dt = np.arange(1, n, dtype=float) - (n - 1)  # years relative to the last
    pop = population[:, 1:]
    phase = _phase_of_age(n_ages)
    cg = _CONTINUATION_GRID[:, None, None]  # (K, 1, 1)
    best: tuple[float, np.ndarray, np.ndarray, float] | None = None
    for g in _GROWTH_GRID:
        x2 = pop * np.exp(g * dt)[None, :]
        rest = y[None] - cg * x1[None]  # (K, A, T): what new plans must explain
        s22 = (w * x2 * x2).sum(1)  # (A,)
        inc = np.maximum((w * x2 * rest).sum(2) / np.maximum(s22, 1e-12), 0.0)  # (K, A)
        sse_age = (w * (rest - inc[:, :, None] * x2[None]) ** 2).sum(2)  # (K, A)
        c = np.zeros(n_ages)
        i = np.zeros(n_ages)
        total = 0.0
        for ph in np.unique(phase):
            ages = phase == ph
            ages[0] = ages[0] and False  # age 0 has no continuation
            if not ages.any():
                continue
            k = int(np.argmin(sse_age[:, ages].sum(1)))
            c[ages] = _CONTINUATION_GRID[k]
            i[ages] = inc[k, ages]
            total += float(sse_age[k, ages].sum())
        i[0] = inc[0, 0]
        total += float(sse_age[0, 0])
        if best is None or total < best[3]:
            best = (float(g), c, i, total)
    assert best is not None
    g, c, i, total = best
    c[0] = 0.0
    return {"continuation": c, "incidence": i, "growth": g, "sse": total}


def project_cohort(
    fit: dict[str, np.ndarray | float], last: np.ndarray, future_population: np.ndarray
) -> np.ndarray:
    """Age the last year's counts forward.

    Args:
        fit: Output of :func:`fit_cohort`.
        last: ``(n_ages,)`` counts in the last history year.
        future_population: ``(n_ages, horizon)`` projected population.

    Returns:
        ``(n_ages, horizon)`` projected children by single year of age.
    """
    c = np.asarray(fit["continuation"], dtype=float)
    inc = np.asarray(fit["incidence"], dtype=float)
    g = float(np.asarray(fit["growth"]))
    n_ages, horizon = future_population.shape
    out = np.zeros((n_ages, horizon))
    prev = np.asarray(last, dtype=float)
    for h in range(horizon):
        new = inc * future_population[:, h] * np.exp(g * (h + 1))
        aged = np.zeros(n_ages)
        aged[1:] = c[1:] * prev[:-1]
        prev = aged + new
        out[:, h] = prev
    return out
