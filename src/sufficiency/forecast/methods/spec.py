"""What a projection method declares about itself: one :class:`MethodSpec` per name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..base import Fit, SeriesData, Settings

SeriesMethod = Callable[[SeriesData, int, Settings], Fit]


@dataclass(frozen=True)
class MethodSpec:
    """One projection method, declared once in its family's module.

    Attributes:
        name: Name used in options, frames and diagnostics.
        family: ``rate``, ``smoothing``, ``arima``, ``cohort``, ``flows``, ``share``,
            ``pooled`` or ``baseline``.
        min_points: Fewest history years it is tried on.
        needs_population: Skipped when no population is given.
        needs_ages: Needs single-year-of-age history and population (cohort).
        fallback: Method used instead where this one cannot be (too short, failed).
        fit: The per-series function (``None`` for the cohort and the flow model, fitted
            per group of series).
        needs_flows: Skipped when no flows table is given (the flow model).
        auto_rank: Its place in ``auto``'s default candidates, in order of preference
            (``None``: only when asked for by name or listed in ``candidates``).
        needs_reference: Reads the shipped reference panel of England's and the regions'
            published series.
    """

    name: str
    family: str
    min_points: int
    needs_population: bool
    needs_ages: bool
    fallback: str | None
    fit: SeriesMethod | None
    needs_flows: bool = False
    auto_rank: int | None = None
    needs_reference: bool = False
