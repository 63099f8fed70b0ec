"""The Result of a run (its tables, summary and provenance) and the Comparison of several.

Writing them to a folder is :mod:`sufficiency.outputs`' job; ``Result.write`` and
``Comparison.write`` hand over to it, so a notebook user can still call them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .postprocess.draws import Uncertainty
    from .postprocess.publication import Publication

#: Output files of a run, in the order they are written.
TABLES: tuple[str, ...] = (
    "demand",
    "placements",
    "shortfall",
    "costs",
    "capacity",
    "forecast",
    "local_places",
    "displaced",
    "builds",
    "shadow_prices",
    "cost_avoided",
    "not_in_school",
    "dsg_plan",
    "scap",
    "scap_places",
    "commissioning",
)


class Later:
    """Tables a run makes only when they are first read (e.g. the DfE returns' shapes).

    ``Later(make)`` calls ``make()`` once, on the first read of any table it makes, and
    keeps what it returns (table name -> frame). A property test or a sweep that never
    reads the returns' tables does not pay for them; everything that reads them
    (``Result.write``, a notebook) gets the same frames as an eager run.
    """

    def __init__(self, make: Callable[[], dict[str, pd.DataFrame]]) -> None:
        self._make: Callable[[], dict[str, pd.DataFrame]] | None = make
        self._tables: dict[str, pd.DataFrame] = {}

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name``, made (with the others of this maker) on first read."""
        if self._make is not None:
            self._tables = self._make()
            self._make = None
        return self._tables[name]

    @classmethod
    def each(cls, **makers: Callable[[], pd.DataFrame]) -> dict[str, Later]:
        """One ``Later`` per table, each made by its own maker when first read (a run's
        tables a sweep never reads: the base year's recorded placements, local places, the
        cost avoided and the children not in school, about 15 ms of a council's run)."""

        def one(name: str, make: Callable[[], pd.DataFrame]) -> Later:
            return cls(lambda: {name: make()})

        return {name: one(name, make) for name, make in makers.items()}


class _Deferred:
    """A ``Result`` field that may hold a frame or a :class:`Later` until it is read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = f"_{name}"

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:
            return None  # the dataclass default: an empty frame, made per instance below
        value = obj.__dict__.get(self.slot)
        if isinstance(value, Later):
            value = value.table(self.name)
            obj.__dict__[self.slot] = value
        elif value is None:
            value = pd.DataFrame()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: object, value: Any) -> None:
        obj.__dict__[self.slot] = value


#: Headers of the short HTML summaries shown in notebooks.
_HEADERS = {
    "year": "Year",
    "ehc_plans": "EHC plans",
    "placed": "Placed",
    "shortfall": "Sufficiency gap",
    "out_of_area": "Out of area",
    "cost": "Cost (£)",
    "cost_diff": "Cost against the first (£)",
}


def _headline_html(by_year: pd.DataFrame) -> str:
    """The headline figures by year as a small HTML table (whole numbers)."""
    columns = [c for c in _HEADERS if c in by_year.columns and c != "cost_diff"]
    shown = by_year[columns].rename(columns=_HEADERS)
    return shown.to_html(index=False, border=0, float_format=lambda v: f"{v:,.0f}")


@dataclass(kw_only=True)
class Result:
    """Everything a run produced.

    Attributes:
        demand: Children to place: ``year, need, age_band, level, children``.
        placements: ``year, need, age_band, level, setting, name, tier, in_area, children,
            unit_cost, cost``.
        shortfall: The sufficiency gap: ``year, need, age_band, level, children``.
        costs: Unit cost of every eligible pair: ``year, need, age_band, age_segment,
            level, setting, tier, in_area, unit_cost`` (``age_segment``: the part of the
            band the setting is eligible for, see :mod:`sufficiency.model.segments`).
        capacity: ``year, setting, name, tier, in_area, places, used, spare,
            value_per_place``.
        forecast: Projected children with intervals: ``provision`` (``ehc_plan`` or
            ``sen_support``), ``year, need, age_band, mean, lower, upper, method``.
        local_places: In-area children by ``year, tier`` with and without the scenario's
            levers, the extra local places the levers use, and places still needed to
            meet an out-of-area target.
        displaced: Children moved between transfer points because a closure or falling
            demand forced it.
        builds: Capital options: built or not, opening year, places, costs, children
            served by year, savings (see :func:`sufficiency.postprocess.capital.capital_value`).
        shadow_prices: £ a year saved by one more place, by year and limited setting.
        cost_avoided: Cheapest local against cheapest out-of-area place per demand group
            (by age segment, as ``costs``).
        not_in_school: Children with plans not in a school or college by ``year, need,
            age_band, arrangement``, with ``unit_cost`` and ``hnb_cost`` (£).
        dsg_plan: The DSG management plan's high-needs sections
            (:func:`sufficiency.postprocess.returns.dsg_plan`).
        scap: The SCAP SEND return (:func:`sufficiency.postprocess.returns.scap`).
        scap_places: The SCAP return as places: commissioned specialist places by type and
            phase, each year's changes (register, capital) and the gap
            (:func:`sufficiency.postprocess.returns.scap_places`).
        commissioning: Specialist places needed by need group, phase and planning area
            (:func:`sufficiency.postprocess.returns.commissioning`).
        summary: Headline figures, timings and provenance (what ``summary.json`` holds).
        extras: Other objects for notebook users (the forecast diagnostics, the PuLP
            model, the arrays; ``publication``, once :meth:`published` has made it).
        uncertainty: How likely places are to suffice, from the allocation over forecast
            draws (scenario ``uncertainty.draws``), or None.
        recorded: The base year's recorded placements, in the columns of ``placements``
            with ``status`` ``recorded`` (:mod:`sufficiency.postprocess.recorded`):
            ``placements.csv`` carries them before the plan years' rows; ``placements``
            holds the plan years only, so sums over it are the plan years'.
        top_up_by_band: Children and top-up by ``year, band, tier`` where the council pays
            top-up by funding band (:func:`sufficiency.postprocess.bands.top_up_by_band`),
            or None when no bands are given.
    """

    demand: pd.DataFrame
    placements: pd.DataFrame
    shortfall: pd.DataFrame
    costs: pd.DataFrame
    capacity: pd.DataFrame
    forecast: pd.DataFrame
    # tables a sweep does not read: frames, or Later until first read
    local_places: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    displaced: pd.DataFrame
    builds: pd.DataFrame
    shadow_prices: pd.DataFrame
    cost_avoided: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    summary: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)
    not_in_school: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    # the DfE returns' shapes: frames, or Later until first read
    dsg_plan: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    scap: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    commissioning: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    scap_places: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    uncertainty: Uncertainty | None = None
    recorded: pd.DataFrame = _Deferred()  # type: ignore[assignment]
    top_up_by_band: pd.DataFrame | None = None

    def published(self) -> Publication:
        """The returns tables (``dsg_plan``, ``scap``, ``commissioning``) as published
        under disclosure control, with what was suppressed
        (:func:`sufficiency.postprocess.publication.publication`, against the pairs of
        DSG category and SCAP type of this run's placements).

        Made once and kept in ``extras["publication"]`` (a copy of the result made with
        :func:`dataclasses.replace` shares it while its tables are the same objects), so
        the CSV files, the workbook and the notes all show the same copies."""
        from .postprocess.publication import publication
        from .postprocess.relations import pairs_of

        tables = {n: getattr(self, n) for n in ("dsg_plan", "scap", "commissioning")}
        made = self.extras.get("publication")
        if made is None or not made.made_from(tables, self.placements):
            pairs = pairs_of(self.placements, self.not_in_school)
            made = publication(tables, pairs=pairs, placements=self.placements)
            self.extras["publication"] = made
        return made

    def totals(self) -> pd.DataFrame:
        """Headline figures by plan year, as a frame (from ``summary['by_year']``)."""
        return pd.DataFrame(self.summary["by_year"])

    def __repr__(self) -> str:
        s = self.summary
        years = s.get("plan_years") or [None]
        return (
            f"<Result {s.get('scenario', '')!r}: {years[0]}–{years[-1]}, total cost "
            f"£{s.get('total_cost', 0):,.0f}, sufficiency gap {s.get('total_shortfall', 0):,.1f} "
            "child-years; .totals(), .placements, .shortfall, .write(folder)>"
        )

    def _repr_html_(self) -> str:
        s = self.summary
        return (
            f"<p><b>Scenario {html.escape(str(s.get('scenario', '')))}</b>: "
            f"{html.escape(str(s.get('description', '')))}</p>"
            + _headline_html(self.totals())
            + "<p>Next: <code>.totals()</code> (every figure by year), <code>.placements</code>,"
            " <code>.shortfall</code> (the sufficiency gap), <code>.capacity</code>, "
            "<code>sufficiency.report.charts(result)</code>, <code>.write(folder)</code> for "
            "the CSV files, workbook and report.</p>"
        )

    def write(
        self, out: str | Path, *, report: bool = True, force: bool = False, pdf: bool = False
    ) -> Path:
        """Write every table as CSV plus ``summary.json`` into ``out``, atomically.

        With ``report`` (the default) the folder also gets ``workbook.xlsx``,
        ``report.html`` and ``charts/*.png``; with ``pdf``, ``report.pdf`` printed by a
        headless browser. See :func:`sufficiency.outputs.write_result`.

        Args:
            out: Output folder: new, empty or written by the library before (see
                :func:`sufficiency.outputs.write_folder`); never one holding the
                scenario or its data files.
            report: Whether to write the workbook, charts and HTML report too.
            force: Replace an existing folder the library did not write.

        Returns:
            The output folder.

        Raises:
            SufficiencyError: If the folder cannot be written.
        """
        from .outputs import write_result  # the one late import: outputs sits above results

        return write_result(self, out, report=report, force=force, pdf=pdf)


@dataclass
class Comparison:
    """Several scenario runs and their comparison table.

    Attributes:
        table: See :func:`sufficiency.postprocess.comparison.comparison_table`.
        results: The runs, first one the reference.
    """

    table: pd.DataFrame
    results: list[Result]

    def __repr__(self) -> str:
        names = ", ".join(repr(r.summary.get("scenario", "")) for r in self.results)
        return f"<Comparison of {len(self.results)} scenarios ({names}); .table, .results>"

    def _repr_html_(self) -> str:
        figures = [c for c in ("cost", "cost_diff", "shortfall", "out_of_area") if c in self.table]
        totals = self.table.groupby("scenario", sort=False)[figures].sum().round(0)
        totals.columns = [_HEADERS.get(c, c) for c in figures]
        return (
            "<p><b>Comparison</b> over the plan years (£; child-years), against the first "
            "scenario:</p>"
            + totals.to_html(border=0, float_format=lambda v: f"{v:,.0f}")
            + "<p>Next: <code>.table</code> (every figure by scenario and year), "
            "<code>.results[i]</code> (each run), <code>.write(folder)</code>.</p>"
        )

    def write(self, out: str | Path, *, report: bool = True, force: bool = False) -> Path:
        """Write ``comparison.csv``, ``summary.json`` (each run's headline summary) and,
        with ``report``, ``comparison.xlsx``; ``force`` replaces a folder the library did
        not write. See :func:`sufficiency.outputs.write_comparison`."""
        from .outputs import write_comparison  # the one late import: outputs sits above results

        return write_comparison(self, out, report=report, force=force)
