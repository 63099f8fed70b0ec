"""The draws' demand: every forecast sample path run through the scenario's levers.

Demand shocks, level shares and the inclusion and fewer-plans levers are affine in the
forecast's cells, so the demand of every draw is found once as a map of the cells
(:func:`demand_map`), checked against the first draw run through the levers directly, or
else built draw by draw (:func:`draw_by_draw`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..config.schema import Scenario
from ..data.inputs import Inputs
from ..errors import SolveError
from .demand import GROUP_KEYS, costed_not_placed, scenario_demand
from .segments import SEGMENT, AgeSegments, split_by_segment
from .stock import CarryRates

log = logging.getLogger(__name__)

__all__ = ["DemandMap", "demand_map", "draw_by_draw", "group_index"]


def group_index(
    groups: pd.DataFrame, demand: pd.DataFrame, segments: AgeSegments | None = None
) -> tuple[np.ndarray, pd.DataFrame, float]:
    """``demand`` (by age band) split into the model's age segments as the model's demand
    was (when ``segments`` is given): the position in ``groups`` of each (split) row (-1
    where the model has no such group), the (split) rows, and the children of rows
    without a group."""
    keys = list(GROUP_KEYS)
    if segments is not None:
        demand = split_by_segment(demand, segments)
        keys.append(SEGMENT)
    text = {k: str for k in keys if k != "year"}
    left = demand[keys].astype(text)
    right = groups[keys].astype(text).assign(_g=np.arange(len(groups)))
    pos = left.merge(right, on=keys, how="left")["_g"].to_numpy()
    pos = np.where(np.isnan(pos), -1, pos).astype(np.int64)
    children = demand["children"].to_numpy(dtype=float)
    return pos, demand, float(children[pos < 0].sum())


@dataclass
class DemandMap:
    """The scenario's demand as an affine map of the forecast's cells.

    Demand shocks, level shares and the inclusion and fewer-plans levers multiply or move
    shares of a (year, need, age band) cell's children within that cell, so the demand of
    every draw is ``constant + paths @ map``: the map is found once, from a forecast of one
    child in every cell (less the forecast of none), instead of running the levers on each
    draw. The constant is the children on SEN support, at their mean in every draw.

    Attributes:
        cells: The forecast's cells: ``year`` and the forecast's keys, (C rows).
        paths: Children per draw and cell, (N, C).
        demand: Children to place per unit of each cell (``cell`` = row of ``cells``).
        not_placed: Children not in a school or college per unit of each cell, costed.
        constant: Children to place in every draw whatever the cells hold (``GROUP_KEYS,
            children``).
    """

    cells: pd.DataFrame
    paths: np.ndarray
    demand: pd.DataFrame
    not_placed: pd.DataFrame
    constant: pd.DataFrame | None = None

    def groups(self) -> pd.DataFrame:
        """Demand groups some draw has children in (``GROUP_KEYS``)."""
        used = self.paths.max(axis=0, initial=0.0) > 0
        linear = self.demand[used[self.demand["cell"].to_numpy()]]
        if self.constant is None:
            return linear
        constant = self.constant[self.constant["children"] > 0]
        return pd.concat([linear, constant], ignore_index=True)

    def vectors(self, groups: pd.DataFrame, segments: AgeSegments | None = None) -> np.ndarray:
        """Children per draw and model group, (N, G), the demand split into ``segments``
        (the model's age segments) when given.

        Raises:
            SolveError: If some draw has children in a group the model does not have.
        """
        pos, demand, _ = group_index(groups, self.demand, segments)
        cell = demand["cell"].to_numpy()
        coef = demand["children"].to_numpy(float)
        if ((pos < 0) & (self.paths[:, cell].max(axis=0, initial=0.0) > 0)).any():
            raise SolveError("some draws have children in groups outside the model")
        keep = pos >= 0
        unit = sp.csr_matrix((coef[keep], (cell[keep], pos[keep])), (len(self.cells), len(groups)))
        out = np.asarray((unit.T @ self.paths.T).T)
        if self.constant is not None:
            pos, constant, _ = group_index(groups, self.constant, segments)
            children = constant["children"].to_numpy(float)
            if ((pos < 0) & (children > 0)).any():
                raise SolveError("some draws have children in groups outside the model")
            out += np.bincount(pos[pos >= 0], weights=children[pos >= 0], minlength=len(groups))
        return out

    def by_year(self, years: np.ndarray, column: str) -> np.ndarray:
        """``column`` of the not-placed table summed by plan year for each draw, (N, Y)."""
        frame = self.not_placed
        y = np.searchsorted(years, frame["year"].to_numpy())
        cell = frame["cell"].to_numpy()
        unit = sp.csr_matrix(
            (frame[column].to_numpy(float), (cell, y)), (len(self.cells), len(years))
        )
        return np.asarray((unit.T @ self.paths.T).T)


def demand_map(
    scenario: Scenario,
    inputs: Inputs,
    paths: pd.DataFrame,
    shares: pd.DataFrame,
    rates: CarryRates,
    sen_support: pd.DataFrame | None = None,
    sen_levels: pd.DataFrame | None = None,
) -> DemandMap | None:
    """The demand of every draw as an affine map (None if the levers are not affine on
    these draws: the first draw, run through them directly, disagrees). Children on SEN
    support (``sen_support``, with their level mix ``sen_levels``) are at their mean in
    every draw."""
    keys = [c for c in paths.columns if c not in ("sample", "children")]
    cell = paths.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    first = ~pd.Series(cell).duplicated().to_numpy()
    cells = paths.loc[first, keys].reset_index(drop=True)
    samples = pd.factorize(paths["sample"], sort=True)[0]
    values = paths["children"].to_numpy(dtype=float)
    if (values < 0).any():
        return None
    grid = np.zeros((int(samples.max()) + 1, len(cells)))
    grid[samples, cell] = values
    extra = (sen_support, sen_levels)
    demand, not_placed = scenario_demand(scenario, cells.assign(mean=1.0), shares, rates, *extra)
    constant = None
    if sen_support is not None:
        constant, none_placed = scenario_demand(
            scenario, cells.assign(mean=0.0), shares, rates, *extra
        )
        if float(none_placed["children"].abs().sum()) > 0:
            return None
        # the map is the demand of one child a cell less the demand of none
        group_keys = list(GROUP_KEYS)
        text = {k: str for k in group_keys if k != "year"}
        both = demand.astype(text).merge(
            constant.astype(text), on=group_keys, how="outer", suffixes=("", "_none")
        )
        both = both.fillna({"children": 0.0, "children_none": 0.0})
        both["children"] = both["children"] - both["children_none"]
        demand = both.loc[both["children"] != 0, [*group_keys, "children"]]
    costed = costed_not_placed(scenario, inputs, not_placed)
    as_str = {"need": str, "age_band": str}
    index = cells[keys].astype(as_str).assign(cell=np.arange(len(cells)))

    def with_cell(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(as_str).merge(index, on=keys, how="left")

    out = DemandMap(cells, grid, with_cell(demand), with_cell(costed), constant)
    # check the map on the first draw against the levers run on it
    path = paths[samples == 0].rename(columns={"children": "mean"})
    direct, _ = scenario_demand(scenario, path, shares, rates, *extra)
    groups = out.groups().drop_duplicates(list(GROUP_KEYS))
    pos, _, _ = group_index(groups, direct)
    got = out.vectors(groups)[0]
    children = direct["children"].to_numpy(float)
    want = np.bincount(pos[pos >= 0], weights=children[pos >= 0], minlength=len(got))
    outside = ((pos < 0) & (children != 0)).any()
    if outside or not np.allclose(got, want, rtol=1e-9, atol=1e-9):
        log.info("the scenario's levers are not linear on the draws: applied draw by draw")
        return None
    return out


def draw_by_draw(
    scenario: Scenario,
    inputs: Inputs,
    paths: pd.DataFrame,
    shares: pd.DataFrame,
    rates: CarryRates,
    sen_support: pd.DataFrame | None = None,
    sen_levels: pd.DataFrame | None = None,
) -> DemandMap:
    """The same as :func:`demand_map` built from each draw run through the levers: each
    draw is a cell of its own (children on SEN support, ``sen_support``, at their mean in
    every draw, with their level mix ``sen_levels``)."""
    demands, nis = [], []
    for i, (_, path) in enumerate(paths.groupby("sample", sort=True)):
        demand, not_placed = scenario_demand(
            scenario,
            path.rename(columns={"children": "mean"}),
            shares,
            rates,
            sen_support,
            sen_levels,
        )
        costed = costed_not_placed(scenario, inputs, not_placed)
        demands.append(demand.assign(cell=i))
        nis.append(costed.assign(cell=i))
    n = len(demands)
    return DemandMap(
        pd.DataFrame({"draw": np.arange(n)}),
        np.eye(n),
        pd.concat(demands, ignore_index=True),
        pd.concat(nis, ignore_index=True),
    )
