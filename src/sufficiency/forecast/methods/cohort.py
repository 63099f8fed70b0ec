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

from ...taxonomy import PHASES
from .spec import MethodSpec

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
    # Every (growth, continuation, age) at once from weighted sums over the years: with
    # rest = y − c·x1 and x2 = pop·e^(g·dt), the incidence is Σw·x2·rest / Σw·x2² and its
    # error Σw·(rest − i·x2)² = Σw·rest² − 2i·Σw·x2·rest + i²·Σw·x2².
    x2 = pop[None] * np.exp(_GROWTH_GRID[:, None] * dt[None, :])[:, None, :]  # (G, A, T)
    s22 = (w * x2 * x2).sum(2)  # (G, A)
    s2y = (w * x2 * y).sum(2)
    s21 = (w * x2 * x1).sum(2)
    cg = _CONTINUATION_GRID[None, :, None]  # (1, K, 1)
    cross = s2y[:, None, :] - cg * s21[:, None, :]  # (G, K, A): Σw·x2·rest
    inc = np.maximum(cross / np.maximum(s22, 1e-12)[:, None, :], 0.0)
    rest2 = (w * y * y).sum(1) - 2.0 * cg * (w * x1 * y).sum(1) + cg * cg * (w * x1 * x1).sum(1)
    # Σw·rest² − i·(2·Σw·x2·rest − i·Σw·x2²), in place
    sse_age = inc * s22[:, None, :]
    np.subtract(2.0 * cross, sse_age, out=sse_age)
    np.multiply(sse_age, inc, out=sse_age)
    np.subtract(rest2, sse_age, out=sse_age)  # (G, K, A)
    # phases' errors, ages 1… in runs of one phase (age 0 has no continuation); summed in
    # order along the ages, so a phase whose error does not depend on the continuation
    # ties exactly and keeps the first (lowest) rate
    starts = np.flatnonzero(np.diff(phase[1:], prepend=-1)) + 1  # first age of each phase
    by_phase = np.add.reduceat(sse_age, starts, axis=2)  # (G, K, P)
    picks = np.argmin(by_phase, axis=1)  # (G, P)
    grid = np.arange(len(_GROWTH_GRID))[:, None]
    totals = by_phase[grid, picks, np.arange(len(starts))].sum(1) + sse_age[:, 0, 0]
    best = int(np.argmin(totals))
    ages = np.arange(n_ages)
    k = np.zeros(n_ages, dtype=int)  # continuation grid index per age
    k[1:] = picks[best][np.searchsorted(starts, ages[1:], side="right") - 1]
    c = np.where(ages > 0, _CONTINUATION_GRID[k], 0.0)
    i = np.where(ages > 0, inc[best, k, ages], inc[best, 0, 0])
    return {
        "continuation": c,
        "incidence": i,
        "growth": float(_GROWTH_GRID[best]),
        "sse": float(totals[best]),
    }


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


#: Cohort component by single year of age (fitted per group of series, not per series).
SPECS: tuple[MethodSpec, ...] = (
    MethodSpec("cohort", "cohort", MIN_POINTS_COHORT, True, True, "poisson_glm", None, auto_rank=5),
)
