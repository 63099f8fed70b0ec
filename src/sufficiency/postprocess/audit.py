"""An attacker's audit of the tables published together: how far each hidden count can be narrowed.

``published/scap.csv``, ``commissioning.csv`` and ``dsg_plan.csv`` (and the workbook's
copies of them) are released together, so a suppressed count must stay hidden given *all*
of them. For every suppressed cell :func:`audit` finds, by linear programming, the
smallest and largest value consistent with everything published and with how the tables
are made. The attacker knows:

- each table's totals are the sums of its rounded counts (exactly);
- each count is its unrounded figure rounded to a whole child (within ½), and no
  figure is negative. The figures are fractional expected values (an LP's placements, a
  forecast's means) and the published count is ``round(figure)``, so ``|count −
  figure| ≤ ½`` holds for them as for whole children; a total is the sum of its rounded
  cells, not the rounding of a figure, so it gets no rounding constraint of its own;
- the definitions that tie the unrounded figures together within a year
  (:mod:`.relations`): planning areas add up to ``all``, the SCAP and commissioning
  tables share their phase totals, the DSG plan's sections their category totals, and
  the DSG plan, SCAP and commissioning tables are margins of one table of children by
  category, type, need and age.

Earlier versions tied instead the cells whose unrounded values happened to be equal. That
was wrong both ways: a coincidence (two different figures both exactly 10 children, as
full settings make them) is no relation, so the attacker was credited with knowledge he
lacks and cells were hidden for nothing; and relations that do hold (the DSG sections'
shared category totals, IN places split between two DSG categories) were missed.

A suppressed count of 1-4 is protected when its interval covers 0-4; any other
suppressed cell when its interval is at least :data:`PROTECTED_WIDTH` wide. The bounds
are those of the linear relaxation (the attacker is not credited with knowing that counts
are whole), rounded inward. Years are independent: every relation stays within a year.

:class:`Attacker` holds one year's programme in two HiGHS models built once: the
attacker's (published cells fixed, an objective per question, warm-started by the primal
simplex) and the defender's (published cells free to move at a price, for
:mod:`.secondary`). Every solution of either is a point the attacker cannot rule out
(the defender's once the cells it moves are hidden), so the range of each cell over them
is an inner bound of its interval: a cell already shown protected needs no programme.
"""

from __future__ import annotations

import logging

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..solve.engines import quiet_native_output
from .disclosure import SMALLEST_SHOWN
from .published_cells import collect
from .relations import DEFAULT_PAIRS, line_sums, relations

log = logging.getLogger(__name__)

#: Width of the interval a suppressed cell must keep (the range 0-4 a "c" stands for).
PROTECTED_WIDTH = float(SMALLEST_SHOWN - 1)

#: Slack allowed on a programme's bounds before they are rounded inward.
TOLERANCE = 1e-6

#: HiGHS's ``simplex_strategy`` for the primal simplex.
PRIMAL_SIMPLEX = 4


def _highs(
    a: sp.csr_matrix,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
) -> highspy.Highs:
    """A quiet HiGHS model of ``row_lower ≤ a·x ≤ row_upper``, bounds on ``x``, min cost."""
    with quiet_native_output():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(
        int(a.shape[1]),
        int(a.shape[0]),
        int(a.nnz),
        int(highspy.MatrixFormat.kRowwise.value),
        int(highspy.ObjSense.kMinimize.value),
        0.0,
        np.ascontiguousarray(cost, dtype=float),
        np.ascontiguousarray(col_lower, dtype=float),
        np.ascontiguousarray(col_upper, dtype=float),
        np.ascontiguousarray(row_lower, dtype=float),
        np.ascontiguousarray(row_upper, dtype=float),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        np.zeros(a.shape[1], dtype=np.int32),
    )
    return h


def required(value: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether each hidden cell's interval (bounds rounded inward) is wide enough: 0-4
    covered for a count of 1-4, at least :data:`PROTECTED_WIDTH` wide otherwise."""
    low = np.ceil(lo - TOLERANCE)
    high = np.floor(hi + TOLERANCE)
    small = (value >= 1) & (value < SMALLEST_SHOWN)
    covers = (low <= 0) & (high >= PROTECTED_WIDTH)
    return np.where(small, covers, high - low >= PROTECTED_WIDTH)


def hiding_price(cells: pd.DataFrame) -> np.ndarray:
    """The defender's price of hiding each cell: one a cell, three for a zero (a hidden
    zero must then be shown able to reach 4, which usually hides more), half more for a
    total, and a trace of its size so that of two equal choices the smaller count goes.
    Chosen by trial on the bundled borough and a 10-setting one: pricing a zero like any
    other cell hid about a third more cells, pricing a total like an inner count about 3%
    more, pricing cells by their size (hiding the smallest) about 5% more."""
    value = cells["value"].to_numpy(dtype=float)
    inner = cells["inner"].to_numpy(dtype=bool)
    return np.where(value == 0, 3.0, 1.0) + np.where(inner, 0.0, 0.5) + 1e-4 * value


class Attacker:
    """One year's published cells as linear programmes over what the attacker knows.

    Columns: for every cell (inner or total) ``up`` and ``down``, so that its value is
    ``value + up − down`` (both fixed at 0 for a published cell; ``down ≤ value`` keeps
    it non-negative); every inner cell's unrounded figure ``v ≥ 0``; the latent cells of
    the relations. Rows: each total is the sum of its line; each inner count is within
    ½ of its figure; the relations (:func:`.relations.relations`).

    Attributes:
        cells: The year's cells, positions 0..n-1.
        hidden: Which cells are suppressed (grows with :meth:`hide`).
        seen_lo: Smallest value of each cell at the points found so far (inner bounds).
        seen_hi: Largest value of each cell at the points found so far.
    """

    def __init__(
        self,
        cells: pd.DataFrame,
        pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS,
        weights: np.ndarray | None = None,
    ) -> None:
        """Build the attacker's and defender's programmes.

        Args:
            cells: One year's cells (:func:`collect`), with ``hidden``.
            pairs: The (DSG category, SCAP type) pairs of the run's settings; None leaves
                the tie between the DSG plan and the SCAP return out.
            weights: The defender's price of hiding each cell (:meth:`widen`); by default
                :func:`hiding_price`.
        """
        self.cells = cells.reset_index(drop=True)
        n = len(self.cells)
        self.value = self.cells["value"].to_numpy(dtype=float)
        self.hidden = self.cells["hidden"].to_numpy(dtype=bool).copy()
        self.seen_lo = self.value.copy()  # the figures published are one possible answer
        self.seen_hi = self.value.copy()
        inner = np.flatnonzero(self.cells["inner"].to_numpy(dtype=bool))
        n_in = len(inner)
        ties, n_x = relations(self.cells, pairs or frozenset())
        lines = line_sums(self.cells)
        totals = np.flatnonzero(~self.cells["inner"].to_numpy(dtype=bool))
        net = lines[totals] - sp.csr_matrix(
            (np.ones(len(totals)), (np.arange(len(totals)), totals)), shape=(len(totals), n)
        )
        pick = sp.csr_matrix((np.ones(n_in), (np.arange(n_in), inner)), shape=(n_in, n))
        eye = sp.identity(n_in, format="csr")
        n_rel = ties.shape[0]
        a = sp.vstack(
            [
                sp.hstack([net, -net, sp.csr_matrix((len(totals), n_in + n_x))]),
                sp.hstack([pick, -pick, -eye, sp.csr_matrix((n_in, n_x))]),
                sp.hstack([sp.csr_matrix((n_rel, 2 * n)), ties]),
            ],
            format="csr",
        )
        self.width = 2 * n + n_in + n_x
        v_in = self.value[inner]
        row_lower = np.concatenate([np.zeros(len(totals)), -0.5 - v_in, np.zeros(n_rel)])
        row_upper = np.concatenate([np.zeros(len(totals)), 0.5 - v_in, np.zeros(n_rel)])
        inf = highspy.kHighsInf
        self._inf = inf
        self.lower = np.zeros(self.width)
        self.upper = np.concatenate([np.full(n, inf), self.value, np.full(n_in + n_x, inf)])
        if weights is None:
            weights = hiding_price(self.cells)
        self.weights = np.asarray(weights, dtype=float)
        closed = self.upper.copy()
        shut = np.flatnonzero(~self.hidden)
        closed[shut] = 0.0
        closed[n + shut] = 0.0
        self._attacker = _highs(a, np.zeros(self.width), self.lower, closed, row_lower, row_upper)
        # only the objective changes between its solves: the last basis stays primal
        # feasible, so the primal simplex goes on from it (about 3× faster than the dual)
        self._attacker.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        price = np.zeros(self.width)
        price[shut] = self.weights[shut]
        price[n + shut] = self.weights[shut]
        self._defender = _highs(a, price, self.lower, self.upper, row_lower, row_upper)
        self.n = n
        self.solves = 0

    def hide(self, positions: np.ndarray) -> None:
        """Suppress more cells: the attacker may move them, the defender at no price."""
        positions = np.asarray(positions, dtype=np.int32)
        if not len(positions):
            return
        self.hidden[positions] = True
        both = np.concatenate([positions, positions + self.n]).astype(np.int32)
        self._attacker.changeColsBounds(len(both), both, self.lower[both], self.upper[both])
        self._defender.changeColsCost(len(both), both, np.zeros(len(both)))

    def _see(self, h: highspy.Highs) -> None:
        self._see_at(np.asarray(h.getSolution().col_value, dtype=float))

    def _see_at(self, x: np.ndarray) -> None:
        """Widen the ranges seen by the point ``x`` (columns of the programmes)."""
        at = self.value + x[: self.n] - x[self.n : 2 * self.n]
        np.minimum(self.seen_lo, at, out=self.seen_lo)
        np.maximum(self.seen_hi, at, out=self.seen_hi)

    def bound(self, i: int, sense: float) -> float:
        """The smallest (``sense`` 1) or largest (``sense`` −1) value of cell ``i`` the
        attacker cannot rule out (infinite when unbounded)."""
        h = self._attacker
        both = np.array([i, self.n + i], dtype=np.int32)
        h.changeColsCost(2, both, np.array([sense, -sense]))
        h.run()
        self.solves += 1
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if ok:  # read before the cost is reset (a change clears the solution)
            self._see(h)
            found = float(self.value[i] + sense * h.getInfo().objective_function_value)
        h.changeColsCost(2, both, np.zeros(2))
        return found if ok else -sense * np.inf

    def widen(self, i: int, target: float) -> np.ndarray | None:
        """Published cells to hide so that cell ``i`` can take the value ``target``: the
        cheapest move of published cells (by :attr:`weights`; hidden cells move for free)
        that lets it, found by the defender's programme; they are hidden here. None when
        no move can.

        The point found is one the attacker cannot rule out once those cells are hidden,
        so it widens :attr:`seen_lo` and :attr:`seen_hi`.
        """
        h = self._defender
        up = target >= self.value[i]
        # the cell moves one way by its distance to the target, and not the other way
        cols = np.array([i, self.n + i] if up else [self.n + i, i], dtype=np.int32)
        need = abs(target - self.value[i])
        h.changeColsBounds(2, cols, np.array([need, 0.0]), np.array([self.upper[cols[0]], 0.0]))
        h.run()
        self.solves += 1
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value, dtype=float) if ok else None
        h.changeColsBounds(2, cols, self.lower[cols], self.upper[cols])
        if x is None:
            return None
        moved = np.flatnonzero((x[: self.n] + x[self.n : 2 * self.n] > 1e-7) & ~self.hidden)
        self.hide(moved)
        self._see_at(x)
        return moved

    def interval(self, i: int) -> tuple[float, float]:
        """The exact interval of cell ``i`` (two programmes)."""
        return self.bound(i, 1.0), self.bound(i, -1.0)

    def screen(self, among: np.ndarray | None = None) -> None:
        """Test every hidden cell not yet shown protected, all at once, by two
        programmes: the counts of 1-4 not yet seen at 0 as small as they can be together
        (the least sum), then every such cell raised towards its goal (4 for a count of
        1-4; the least value seen plus 4 for any other) together (the largest sum of the
        rises, capped at each goal, none of them lowered). Each point found widens what
        has been seen, so many cells are shown protected without programmes of their own.
        """
        h = self._attacker
        small = (self.value >= 1) & (self.value < SMALLEST_SHOWN)
        todo = self.hidden & ~self.shown_protected()
        if among is not None:
            todo &= among
        floor = np.ceil(self.seen_lo - TOLERANCE)
        low = todo & small & (floor > 0)
        goal = np.where(small, PROTECTED_WIDTH, floor + PROTECTED_WIDTH)
        high = todo & (self.seen_hi < goal - TOLERANCE)
        if low.any():
            cols = np.flatnonzero(low).astype(np.int32)
            both = np.concatenate([cols, cols + self.n]).astype(np.int32)
            price = np.concatenate([np.ones(len(cols)), -np.ones(len(cols))])
            h.changeColsCost(len(both), both, price)
            self._run_and_see(h)
            h.changeColsCost(len(both), both, np.zeros(len(both)))
        if high.any():
            cols = np.flatnonzero(high).astype(np.int32)
            down = (cols + self.n).astype(np.int32)
            reach = np.maximum(goal - self.value, 0.0)[cols]
            h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), reach)
            h.changeColsBounds(len(down), down, np.zeros(len(down)), np.zeros(len(down)))
            h.changeColsCost(len(cols), cols, -np.ones(len(cols)))
            self._run_and_see(h)
            h.changeColsCost(len(cols), cols, np.zeros(len(cols)))
            h.changeColsBounds(len(cols), cols, self.lower[cols], self.upper[cols])
            h.changeColsBounds(len(down), down, self.lower[down], self.upper[down])

    def _run_and_see(self, h: highspy.Highs) -> None:
        h.run()
        self.solves += 1
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            self._see(h)

    def shown_protected(self) -> np.ndarray:
        """Which hidden cells the points found so far already show protected."""
        return self.hidden & required(self.value, self.seen_lo, self.seen_hi)

    def screen_apart(self) -> None:
        """Screen the hidden cells in doubt again, in groups of cells that share no row
        or column of a table (cells of one line compete for its total, so a screen of
        them all at once shows few): one pair of programmes a group."""
        todo = self.hidden & ~self.shown_protected()
        for group in _apart(self.cells, todo):
            among = np.zeros(self.n, dtype=bool)
            among[group] = True
            self.screen(among)


def _apart(cells: pd.DataFrame, todo: np.ndarray) -> list[list[int]]:
    """The cells of ``todo`` in groups, first come first served, no two of a group in
    one row or one column of a table's block."""
    table, block = cells["table"].to_numpy(), cells["block"].to_numpy()
    row, col = cells["row"].to_numpy(), cells["col"].to_numpy()
    groups: list[list[int]] = []
    used: list[set[tuple[object, ...]]] = []
    for i in np.flatnonzero(todo):
        lines: set[tuple[object, ...]] = {
            (table[i], block[i], "r", row[i]),
            (table[i], block[i], "c", col[i]),
        }
        for group, taken in zip(groups, used, strict=True):
            if not lines & taken:
                group.append(int(i))
                taken |= lines
                break
        else:
            groups.append([int(i)])
            used.append(lines)
    return groups


def audit(
    raw: dict[str, pd.DataFrame],
    shown: dict[str, pd.DataFrame],
    *,
    pairs: frozenset[tuple[str, str]] | None = DEFAULT_PAIRS,
    exact: bool = True,
) -> pd.DataFrame:
    """Every suppressed count of the tables published together, with the interval an
    attacker can narrow it to from everything published (see the module doc).

    Args:
        raw: The working (unrounded) ``scap``, ``commissioning`` and ``dsg_plan`` tables.
        shown: Their published copies (``c`` where suppressed).
        pairs: The (DSG category, SCAP type) pairs of the run's settings.
        exact: Each cell's exact interval (two programmes a cell). With False, the cells
            are first screened together (:meth:`Attacker.screen`) and a cell the points
            found show protected gets the range over them instead: an inner bound of its
            interval, enough to show it protected; a cell not shown so gets its exact
            interval.

    Returns:
        ``table, year, block, row, col, value, low, high, protected`` per suppressed cell
        (``value`` the rounded figure hidden; ``low``/``high`` rounded inward).
    """
    cells = collect(raw, shown).frame
    out = []
    for _, part in cells.groupby("year", sort=True):
        if not part["hidden"].any():
            continue
        attacker = Attacker(part, pairs)
        if not exact:
            attacker.screen()
            attacker.screen_apart()
        lo, hi = attacker.seen_lo.copy(), attacker.seen_hi.copy()
        for i in np.flatnonzero(attacker.hidden):
            if exact:
                lo[i], hi[i] = attacker.interval(int(i))
                continue
            # the least value first; the largest only if the cell is still in doubt
            if not attacker.shown_protected()[i]:
                lo[i] = attacker.bound(int(i), 1.0)
            if not attacker.shown_protected()[i]:
                hi[i] = attacker.bound(int(i), -1.0)
                if not attacker.shown_protected()[i]:  # both ends exact: not protected
                    continue
            lo[i], hi[i] = attacker.seen_lo[i], attacker.seen_hi[i]
        if not exact:  # the points found last widen what the first cells were shown
            seen = attacker.shown_protected()
            lo[seen], hi[seen] = attacker.seen_lo[seen], attacker.seen_hi[seen]
        frame = attacker.cells.assign(low=np.ceil(lo - TOLERANCE), high=np.floor(hi + TOLERANCE))
        keep = attacker.hidden
        frame = frame[keep].assign(protected=required(attacker.value, lo, hi)[keep])
        out.append(frame)
    columns = ["table", "year", "block", "row", "col", "value", "low", "high", "protected"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]
