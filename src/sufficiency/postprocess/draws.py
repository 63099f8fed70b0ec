"""Outcomes of the allocation over forecast draws, and their summary: how likely places are
to suffice, and quantiles of places to commission and of cost.

Local places *suffice* in a year of a draw when the sufficiency gap (children placed by the
market of last resort, plus any left with no place) is below :data:`WHOLE_CHILD` — the
forecast's children are fractional, so a gap of less than half a child is no child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from .. import taxonomy
from ..model.arrays import AllocationArrays


class DrawDemand(Protocol):
    """What the outcomes need of the draws' demand (:class:`~sufficiency.model.draws.DemandMap`)."""

    def by_year(self, years: np.ndarray, column: str) -> np.ndarray:
        """``column`` of the children not in school summed by plan year, (N, Y)."""
        ...


#: A gap below this many children counts as none (demand cells are fractional).
WHOLE_CHILD = 0.5

#: Quantiles reported (P50, P80, P95).
QUANTILES: tuple[float, ...] = (0.5, 0.8, 0.95)


@dataclass
class Draws:
    """Every draw's outcomes by plan year (first axis: draw; second: year).

    Attributes:
        years: Plan years, shape (Y,).
        settings: Setting ids, shape (S,); the market included when it is on.
        places: Places by year and setting, shape (Y, S) (``inf`` unlimited).
        children: Children with EHC plans to place, (N, Y).
        sen_support: Children on SEN support placed (their mean projection, less any moved
            from plans by a lever), (N, Y).
        not_placed: Children not in a school or college, (N, Y).
        market: Children placed by the market of last resort, (N, Y).
        no_place: Children left with no place (market off), (N, Y).
        hnb_cost: High Needs Block spend, £, (N, Y).
        transport_cost: Home-to-school transport, £, (N, Y).
        school_cost: Schools' notional SEN budgets (children on SEN support), £, (N, Y).
        placed: Children placed by year and setting, (N, Y, S).
        market_by_level: Market placements by the children's level, (N, Y, 6 tiers).
        market_by_need: Market placements by primary need, (N, Y, needs).
        no_place_by_level: No place by level, (N, Y, 6).
        no_place_by_need: No place by need, (N, Y, needs).
        seconds: Wall time of the draws.
        builds: The capital options played against the draws (None without options).
    """

    years: np.ndarray
    settings: np.ndarray
    places: np.ndarray
    children: np.ndarray
    sen_support: np.ndarray
    not_placed: np.ndarray
    market: np.ndarray
    no_place: np.ndarray
    hnb_cost: np.ndarray
    transport_cost: np.ndarray
    school_cost: np.ndarray
    placed: np.ndarray
    market_by_level: np.ndarray
    market_by_need: np.ndarray
    no_place_by_level: np.ndarray
    no_place_by_need: np.ndarray
    seconds: float = 0.0
    builds: BuildDraws | None = None

    @classmethod
    def empty(cls, n: int, years: np.ndarray, arrays: AllocationArrays) -> Draws:
        """Zeros for ``n`` draws of the model built from ``arrays``."""
        y, s = arrays.capacity.shape
        levels, needs = len(taxonomy.TIERS), len(taxonomy.NEEDS)
        return cls(
            years=np.asarray(years, dtype=int),
            settings=arrays.settings["setting"].astype(str).to_numpy(),
            places=arrays.capacity,
            children=np.zeros((n, y)),
            sen_support=np.zeros((n, y)),
            not_placed=np.zeros((n, y)),
            market=np.zeros((n, y)),
            no_place=np.zeros((n, y)),
            hnb_cost=np.zeros((n, y)),
            transport_cost=np.zeros((n, y)),
            school_cost=np.zeros((n, y)),
            placed=np.zeros((n, y, s)),
            market_by_level=np.zeros((n, y, levels)),
            market_by_need=np.zeros((n, y, needs)),
            no_place_by_level=np.zeros((n, y, levels)),
            no_place_by_need=np.zeros((n, y, needs)),
        )

    @property
    def n(self) -> int:
        """Number of draws."""
        return int(self.children.shape[0])

    @property
    def gap(self) -> np.ndarray:
        """The sufficiency gap (market + no place), (N, Y)."""
        return self.market + self.no_place

    @property
    def total_cost(self) -> np.ndarray:
        """The council's spend: High Needs Block and transport, £, (N, Y) (schools' notional
        SEN budgets are ``school_cost``, outside it)."""
        return self.hnb_cost + self.transport_cost

    def frame(self) -> pd.DataFrame:
        """One row per draw and year: ``draw, year``, children, gap and costs."""
        n, y = self.children.shape
        out = pd.DataFrame({"draw": np.repeat(np.arange(n), y), "year": np.tile(self.years, n)})
        for name in (*_YEARLY, "gap", "total_cost"):
            out[name] = getattr(self, name).reshape(-1)
        return out


_YEARLY = ("children", "not_placed", "market", "no_place", "hnb_cost", "transport_cost")


@dataclass
class Uncertainty:
    """How likely places are to suffice, with quantiles, from the allocation over draws.

    Attributes:
        by_year: One row per plan year (what ``uncertainty.csv`` holds): ``draws``,
            ``p_suffice``, then ``<quantity>_p50/_p80/_p95`` and ``<quantity>_mean`` for
            ``ehc_plans`` (children to place plus those not in school), ``children``
            (to place), ``places_to_commission`` (the gap), ``total_cost`` and
            ``hnb_cost``; ``register_places`` (places of the register's settings with a
            place limit: settings without one, e.g. mainstream, and the market excluded).
        by_group: P(places suffice) and quantiles of the gap by ``dimension`` (``level``,
            ``need``) and ``key``, per year (``uncertainty_groups.csv``).
        settings: Per year and setting: ``places``, ``p_full`` (the probability it has no
            spare place) and quantiles of children placed (``uncertainty_settings.csv``).
        draws: Every draw's outcomes (``frame()`` gives them as a table).
        seed: Seed of the draws.
        builds: Capital options against the draws, per option and year
            (:func:`summarise_builds`, ``uncertainty_builds.csv``), or None without
            capital options.
        build_draws: Every draw's figures behind ``builds``.
    """

    by_year: pd.DataFrame
    by_group: pd.DataFrame
    settings: pd.DataFrame
    draws: Draws = field(repr=False)
    seed: int = 0
    builds: pd.DataFrame | None = None
    build_draws: BuildDraws | None = field(default=None, repr=False)

    def build_headlines(self) -> list[str]:
        """One sentence per capital option against the draws (none without options); see
        :func:`build_headlines`."""
        if self.build_draws is None:
            return []
        return build_headlines(self.build_draws, self.draws.years)

    def __repr__(self) -> str:
        p = self.by_year.set_index("year")["p_suffice"]
        return (
            f"<Uncertainty over {self.draws.n} draws (seed {self.seed}): P(places suffice) "
            f"{p.iloc[0]:.0%} in {p.index[0]} … {p.iloc[-1]:.0%} in {p.index[-1]}; "
            ".by_year, .by_group, .settings>"
        )


def _quantiles(prefix: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """``<prefix>_mean`` and ``<prefix>_p50/_p80/_p95`` over axis 0."""
    qs = np.quantile(values, QUANTILES, axis=0)
    out = {f"{prefix}_mean": values.mean(axis=0)}
    for q, v in zip(QUANTILES, qs, strict=True):
        out[f"{prefix}_p{round(100 * q)}"] = v
    return out


def summarise_draws(
    draws: Draws, seed: int, market: int | None, builds: BuildDraws | None = None
) -> Uncertainty:
    """Probabilities and quantiles per year from every draw's outcomes.

    Args:
        draws: The outcomes (:func:`sufficiency.allocate.draws.allocate_draws`).
        seed: Seed the draws were made with (recorded).
        market: Register position of the market setting, if on (its places are not local).
        builds: Capital options played against the draws, if any.
    """
    years = draws.years
    local = np.isfinite(draws.places)
    if market is not None:
        local[:, market] = False
    by_year = pd.DataFrame({"year": years, "draws": draws.n})
    by_year["p_suffice"] = (draws.gap < WHOLE_CHILD).mean(axis=0)
    by_year["register_places"] = np.where(local, draws.places, 0.0).sum(axis=1)
    quantities = {
        "ehc_plans": draws.children + draws.not_placed,
        "children": draws.children,
        "places_to_commission": draws.gap,
        "total_cost": draws.total_cost,
        "hnb_cost": draws.hnb_cost,
    }
    for name, values in quantities.items():
        for col, v in _quantiles(name, values).items():
            by_year[col] = v
    parts = []
    for dimension, labels, gap in (
        ("level", taxonomy.TIERS, draws.market_by_level + draws.no_place_by_level),
        ("need", taxonomy.NEEDS, draws.market_by_need + draws.no_place_by_need),
    ):
        n, y, k = gap.shape
        part = pd.DataFrame(
            {
                "year": np.repeat(years, k),
                "dimension": dimension,
                "key": np.tile(np.asarray(labels, dtype=object), y),
                "p_suffice": (gap < WHOLE_CHILD).mean(axis=0).reshape(-1),
            }
        )
        for col, v in _quantiles("places_to_commission", gap.reshape(n, -1)).items():
            part[col] = v
        parts.append(part)
    n, y, s = draws.placed.shape
    keep = local.reshape(-1)
    places = draws.places.reshape(-1)
    placed = draws.placed.reshape(n, -1)
    settings = pd.DataFrame(
        {
            "year": np.repeat(years, s),
            "setting": np.tile(draws.settings, y),
            "places": places,
            "p_full": (placed > places - WHOLE_CHILD).mean(axis=0),
        }
    )
    for col, v in _quantiles("placed", placed).items():
        settings[col] = v
    return Uncertainty(
        by_year=by_year,
        by_group=pd.concat(parts, ignore_index=True),
        settings=settings[keep].reset_index(drop=True),
        draws=draws,
        seed=seed,
        builds=None if builds is None else summarise_builds(builds, years),
        build_draws=builds,
    )


@dataclass
class BuildDraws:
    """Each capital option played against every draw: the draws solved again with the
    option's build decision changed and every other decision as the plan took it.

    An option the plan builds is compared with the draws solved without it; an option it
    does not build, with the draws solved with it opening in its earliest year. The
    option's *group* is the children who may be placed in it (the demand groups with an
    eligible pair to its setting); its gap is their market placements plus any left with
    no place.

    Attributes:
        options: Option names, (O,).
        built: Whether the plan builds each option, (O,).
        compared: ``without`` (built: solved again without it), ``with`` (not built:
            solved again with it) or ``not possible`` (it cannot be built alongside the
            plan's choices: an exclusive group or a capital budget; figures are NaN).
        open_year: Opening year of the build compared (the plan's, or the earliest), (O,).
        gap_with: The option's group's gap with the option built, (O, N, Y).
        gap_without: The same without it, (O, N, Y).
        cost_with: Placement cost (High Needs Block plus transport), £, with it, (O, N, Y).
        cost_without: The same without it, (O, N, Y).
    """

    options: np.ndarray
    built: np.ndarray
    compared: np.ndarray
    open_year: np.ndarray
    gap_with: np.ndarray
    gap_without: np.ndarray
    cost_with: np.ndarray
    cost_without: np.ndarray

    @property
    def removes_gap(self) -> np.ndarray:
        """Whether the option removes its group's gap, by option, draw and year: a gap of
        at least :data:`WHOLE_CHILD` without it and less with it, (O, N, Y)."""
        return (self.gap_without >= WHOLE_CHILD) & (self.gap_with < WHOLE_CHILD)

    @property
    def saving(self) -> np.ndarray:
        """Running-cost saving (cost without minus with), £, (O, N, Y)."""
        return self.cost_without - self.cost_with


def summarise_builds(builds: BuildDraws, years: np.ndarray) -> pd.DataFrame:
    """One row per capital option and plan year (what ``uncertainty_builds.csv`` holds).

    Columns: ``option, built, compared, open_year, year, draws``; ``p_gap_without`` and
    ``p_gap_with`` (the share of futures in which the option's group has a gap without and
    with it), ``p_removes_gap`` (the share in which it has one without the option and none
    with it), and the mean and P50/P80/P95 of ``running_cost_saving`` (£ that year).
    """
    o, n, y = builds.gap_with.shape
    frame = pd.DataFrame(
        {
            "option": np.repeat(builds.options, y),
            "built": np.repeat(builds.built, y),
            "compared": np.repeat(builds.compared, y),
            "open_year": np.repeat(builds.open_year, y),
            "year": np.tile(np.asarray(years, dtype=int), o),
            "draws": n,
        }
    )
    for name, values in (
        ("p_gap_without", builds.gap_without >= WHOLE_CHILD),
        ("p_gap_with", builds.gap_with >= WHOLE_CHILD),
        ("p_removes_gap", builds.removes_gap),
    ):
        frame[name] = values.mean(axis=1).reshape(-1)
    saving = np.moveaxis(builds.saving, 1, 0).reshape(n, -1)
    for col, v in _quantiles("running_cost_saving", saving).items():
        frame[col] = v
    possible = np.repeat(builds.compared != "not possible", y)
    cols = [c for c in frame.columns if c.startswith(("p_", "running_cost_saving"))]
    frame.loc[~possible, cols] = np.nan
    return frame


def build_headlines(builds: BuildDraws, years: np.ndarray) -> list[str]:
    """One sentence per capital option: how often it removes its children's gap in the last
    plan year, and its running-cost saving over the plan years (P50/P80/P95, £)."""
    out = []
    last = int(years[-1])
    whole = np.nansum(builds.saving, axis=2)  # (O, N): £ over the plan years
    for i, name in enumerate(builds.options):
        if builds.compared[i] == "not possible":
            out.append(
                f"{name}: cannot be built alongside the plan's choices (an exclusive group or "
                "a capital budget), so it is not valued against the draws."
            )
            continue
        how = (
            f"built, opening {builds.open_year[i]}"
            if builds.built[i]
            else f"not built; valued as if opened in {builds.open_year[i]}"
        )
        p50, p80, p95 = np.quantile(whole[i], QUANTILES)
        without = float((builds.gap_without[i, :, -1] >= WHOLE_CHILD).mean())
        removes = float(builds.removes_gap[i, :, -1].mean())
        out.append(
            f"{name} ({how}): in {last} the children it may take have a gap in {without:.0%} "
            f"of futures without it, and it removes that gap in {removes:.0%} of futures; "
            f"running-cost saving over the plan years P50 £{p50 / 1e6:,.1f}m, "
            f"P80 £{p80 / 1e6:,.1f}m, P95 £{p95 / 1e6:,.1f}m."
        )
    return out


def collect_draws(
    arrays: AllocationArrays,
    vectors: np.ndarray,
    solved: np.ndarray,
    demands: DrawDemand,
    n_draws: int,
) -> Draws:
    """Every draw's outcomes by year from its solution.

    Args:
        arrays: The model's arrays the draws were solved with.
        vectors: Children per draw and model group, (N, G).
        solved: Each draw's ``x`` then ``u`` values, (N, pairs + groups).
        demands: The draws' demand (children not in school by plan year, and their cost).
        n_draws: Number of draws.
    """
    years = arrays.years
    n_years, n_settings = arrays.capacity.shape
    out = Draws.empty(n_draws, years, arrays)
    market = arrays.pair_setting == arrays.market if arrays.market is not None else None
    group_level = np.array([taxonomy.TIERS.index(str(v)) for v in arrays.groups["level"]])
    group_need = np.array([taxonomy.NEEDS.index(str(v)) for v in arrays.groups["need"]])
    pair_cell = arrays.pair_year * n_settings + arrays.pair_setting
    on_plan = arrays.group_ehc
    k = arrays.n_pairs
    out.not_placed[:] = demands.by_year(years, "children")
    nis_cost = demands.by_year(years, "hnb_cost")
    for i, vector in enumerate(vectors):
        x, u = np.maximum(solved[i, :k], 0.0), np.maximum(solved[i, k:], 0.0)
        y = arrays.pair_year
        out.children[i] = np.bincount(
            arrays.group_year, weights=vector * on_plan, minlength=n_years
        )
        out.sen_support[i] = np.bincount(
            arrays.group_year, weights=vector * ~on_plan, minlength=n_years
        )
        out.no_place[i] = np.bincount(arrays.group_year, weights=u * on_plan, minlength=n_years)
        out.hnb_cost[i] = (
            np.bincount(y, weights=x * arrays.unit_hnb, minlength=n_years) + nis_cost[i]
        )
        out.transport_cost[i] = np.bincount(y, weights=x * arrays.unit_transport, minlength=n_years)
        out.school_cost[i] = np.bincount(y, weights=x * arrays.unit_school, minlength=n_years)
        out.placed[i] = np.bincount(pair_cell, weights=x, minlength=n_years * n_settings).reshape(
            n_years, n_settings
        )
        if market is not None:
            g = arrays.pair_group[market]
            xm = x[market]
            out.market[i] = np.bincount(y[market], weights=xm, minlength=n_years)
            np.add.at(out.market_by_level[i], (y[market], group_level[g]), xm)
            np.add.at(out.market_by_need[i], (y[market], group_need[g]), xm)
        np.add.at(out.no_place_by_level[i], (arrays.group_year, group_level), u * on_plan)
        np.add.at(out.no_place_by_need[i], (arrays.group_year, group_need), u * on_plan)
    return out
