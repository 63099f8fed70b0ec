"""The series to project, as arrays: history by series and year, population, parents, ages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import taxonomy
from ..errors import ForecastError, Problem
from .base import SeriesData
from .reference import reference_arrays, reference_lead

#: Longest run of consecutive missing history years that is interpolated.
MAX_MISSING_RUN = 2
#: Smallest rise (children) of a year-on-year jump that marks a structural start.
MIN_RAMP_JUMP = 5.0
#: A structural start: the year before was at most this share of the series' later peak.
RAMP_SHARE = 0.25

#: Key value of a dimension summed over (in aggregate series of a hierarchy).
ALL = "*"
AGE_KEYS = ("age_band", "age")


#: Fewer history years than this, from the panel's first year: the series' reference
#: reads the published years before it too (the national methods read four).
SHORT_HISTORY = 4


@dataclass
class Panel:
    """Every series of a forecast, aligned on one grid of years.

    Attributes:
        by: Series key columns.
        keys: One row per series, the ``by`` columns as text (``*`` where summed over).
        years: History years ``(n,)``.
        future_years: Forecast years ``(H,)``.
        values: Children ``(S, n)``; NaN before a series' first year.
        start: Index of each series' first history year ``(S,)``.
        exposure: Population ``(S, n + H)`` (history then forecast years), or ``None``.
        parent: Index of each series' parent in ``parent_values`` (-1: none) ``(S,)``.
        parent_values: Parent series ``(P, n)``.
        parent_exposure: Parent population ``(P, n + H)`` or ``None``.
        cohort_counts: Children by group and single age ``(G, 26, n)``, or ``None``.
        cohort_population: Population by single age ``(26, n + H)``, or ``None``.
        cohort_group: Each series' group in ``cohort_counts`` (-1: none) ``(S,)``.
        cohort_ages: Ages each series covers ``(S, 26)``.
        n_missing: History points filled in because the input had them missing ``(S,)``.
        pop_tables: Population over history and forecast years by ``age_band=…``,
            ``age=…`` and ``*`` (total).
        cohort_labels: Need of each cohort group (``*``: all needs).
        missing_years: History years with no rows at all, interpolated.
        detected_start: Year index of a structural start found in each series' history
            (a ramp such as a band created by a reform; -1: none) ``(S,)``.
        reference: Reference series for each series' ages ``(S, R, reference_lead + n)``:
            the published years before the history's first too (see :mod:`.reference`),
            or ``None``.
        reference_lead: Published years of ``reference`` before the first history year.
        region: Region of the reference (``None``: England only).
        raw_values: Children before structural starts were cut off ``(S, n)``.
    """

    by: tuple[str, ...]
    keys: pd.DataFrame
    years: np.ndarray
    future_years: np.ndarray
    values: np.ndarray
    start: np.ndarray
    exposure: np.ndarray | None
    parent: np.ndarray
    parent_values: np.ndarray
    parent_exposure: np.ndarray | None
    cohort_counts: np.ndarray | None
    cohort_population: np.ndarray | None
    cohort_group: np.ndarray
    cohort_ages: np.ndarray
    n_missing: np.ndarray
    pop_tables: dict[str, np.ndarray]
    cohort_labels: list[str]
    missing_years: list[int] = field(default_factory=list)
    detected_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    reference: np.ndarray | None = None
    region: str | None = None
    raw_values: np.ndarray | None = None
    reference_lead: int = 0

    @property
    def n_series(self) -> int:
        """Number of series."""
        return int(self.values.shape[0])

    def label(self, i: int) -> str:
        """``need=ASD, age_band=5-10`` (or ``total``) for messages."""
        values = {k: str(self.keys[k].iat[i]) for k in self.by}
        parts = [f"{k}={v}" for k, v in values.items() if v != ALL]
        return ", ".join(parts) or "total"

    def data(self, i: int, origin: int, horizon: int, pool_below: float) -> SeriesData:
        """Series ``i`` with history up to (not including) year index ``origin``."""
        s = int(self.start[i])
        # the reference is cut with the series' history (a structural start is the
        # reference's too), except a history too short for the reference's methods that
        # starts with the panel: it reads every published year before it
        lead = self.reference_lead
        first = 0 if s == 0 and origin < SHORT_HISTORY else lead + s
        stop = lead + origin
        y = self.values[i, s:origin]
        fut = slice(origin, origin + horizon)
        exp = self.exposure
        p = int(self.parent[i])
        pexp = self.parent_exposure
        return SeriesData(
            y=y,
            t=self.years[s:origin].astype(float),
            exposure=None if exp is None else exp[i, s:origin],
            future_exposure=None if exp is None else exp[i, fut],
            parent_y=None if p < 0 else self.parent_values[p, s:origin],
            parent_exposure=None if p < 0 or pexp is None else pexp[p, s:origin],
            parent_future_exposure=None if p < 0 or pexp is None else pexp[p, fut],
            small=bool(len(y) and np.mean(y) < pool_below),
            reference=None if self.reference is None else self.reference[i][:, first:stop],
        )


def _series_table(hist: pd.DataFrame, by: tuple[str, ...], years: np.ndarray) -> pd.DataFrame:
    """Children by series (rows) and year (columns): 0 where absent, NaN where all missing."""
    if not by:
        hist = hist.assign(_all="total")
        keys = ["_all"]
    else:
        keys = list(by)
    grouped = hist.groupby([*keys, "year"], observed=True, sort=True)["children"]
    table = grouped.sum(min_count=1).unstack("year", fill_value=0)
    table = table.reindex(columns=years, fill_value=0.0)
    return table.astype(float)


def _fill_missing(row: np.ndarray, start: int) -> tuple[np.ndarray, int]:
    """Interpolate missing points after ``start`` linearly (ends: nearest value)."""
    seg = row[start:]
    bad = np.isnan(seg)
    if not bad.any():
        return row, 0
    if bad.all():
        out = row.copy()
        out[start:] = 0.0
        return out, int(bad.sum())
    idx = np.arange(len(seg))
    seg = np.interp(idx, idx[~bad], seg[~bad])
    out = row.copy()
    out[start:] = seg
    return out, int(bad.sum())


def _sums(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Sums of ``values`` by (row, column), missing values as 0, and NaN where no value
    falls (what a pivot table of sums, reindexed, gives)."""
    out = np.zeros(shape)
    seen = np.zeros(shape, dtype=bool)
    np.add.at(out, (rows, cols), np.where(np.isnan(values), 0.0, values))
    seen[rows, cols] = True
    out[~seen] = np.nan
    return out


def _population_tables(
    population: pd.DataFrame | None, all_years: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Population by age band, single age and total (``*``) over ``all_years``."""
    if population is None:
        return {}, None
    pop = population.copy()
    if "population" not in pop.columns or "year" not in pop.columns:
        raise ForecastError(
            "population is missing columns", [Problem("population", "needs year, population")]
        )
    pop["year"] = pop["year"].astype(int)
    tables: dict[str, np.ndarray] = {}
    single = None
    if "age" in pop.columns:
        pop["age"] = pop["age"].astype(int)
        pop = pop[(pop["age"] >= taxonomy.MIN_AGE) & (pop["age"] <= taxonomy.MAX_AGE)]
        ages = pop["age"].to_numpy()
        col = pd.Index(all_years).get_indexer(pop["year"].to_numpy())
        inside = col >= 0
        people = pop["population"].to_numpy(dtype=float)[inside]
        single = _sums(ages[inside], col[inside], people, (len(taxonomy.AGES), len(all_years)))
        for a in taxonomy.AGES:
            tables[f"age={a}"] = single[a]
        labels = taxonomy.age_band_of(ages)
        present = sorted({str(b) for b in labels})
        row = pd.Index(present).get_indexer(pd.Index(labels))
        bands = _sums(row[inside], col[inside], people, (len(present), len(all_years)))
        for i, label in enumerate(present):
            tables[f"age_band={label}"] = bands[i]
        whole = _sums(np.zeros(len(people), dtype=int), col[inside], people, (1, len(all_years)))
        tables[ALL] = whole[0]
        return tables, single
    if "age_band" in pop.columns:
        band = pop.assign(age_band=pop["age_band"].astype(str)).pivot_table(
            index="age_band", columns="year", values="population", aggfunc="sum"
        )
        band = band.reindex(columns=all_years)
        for label in band.index:
            tables[f"age_band={label}"] = band.loc[label].to_numpy(dtype=float)
    total = pop.groupby("year")["population"].sum().reindex(all_years)
    tables[ALL] = total.to_numpy(dtype=float)
    return tables, single


def _check_population(tables: dict[str, np.ndarray], needed: list[str], years: np.ndarray) -> None:
    gaps: set[int] = set()
    for name in needed:
        row = tables.get(name)
        if row is None:
            continue
        bad = ~np.isfinite(row) | (row <= 0)
        gaps |= {int(y) for y in years[bad]}
    if gaps:
        raise ForecastError(
            "population does not cover every history and forecast year",
            [Problem("population", "missing or zero in " + ", ".join(map(str, sorted(gaps))))],
        )


def _pop_key(key: Mapping[str, str] | pd.Series, by: Sequence[str]) -> str:
    for k in AGE_KEYS:
        if k in by and key[k] != ALL:
            return f"{k}={key[k]}"
    return ALL


def missing_years(present: set[int], years: np.ndarray) -> list[int]:
    """History years with no rows at all; an error where a gap is too long to interpolate.

    Raises:
        ForecastError: If more than :data:`MAX_MISSING_RUN` consecutive years are missing.
    """
    gone = [int(y) for y in years if int(y) not in present]
    run: list[int] = []
    for y in gone:
        run = [*run, y] if run and y == run[-1] + 1 else [y]
        if len(run) > MAX_MISSING_RUN:
            raise ForecastError(
                "history has a gap too long to interpolate",
                [
                    Problem(
                        "history",
                        f"no rows for {run[0]}–{run[-1]} (at most "
                        f"{MAX_MISSING_RUN} consecutive missing years are interpolated)",
                    )
                ],
            )
    return gone


def ramp_start(y: np.ndarray, ratio: float) -> int:
    """Index of the year after the last structural jump of ``y`` (0: none).

    A jump is a rise of more than ``ratio`` times (on ``y + 1``) and at least
    :data:`MIN_RAMP_JUMP` children from a year at most :data:`RAMP_SHARE` of the series'
    later peak: a band created or redefined (1 → 6 → 40), not a steady trend.
    """
    k = 0
    for j in range(1, len(y)):
        prev, cur = float(y[j - 1]), float(y[j])
        if (
            cur + 1.0 > ratio * (prev + 1.0)
            and cur - prev >= MIN_RAMP_JUMP
            and prev <= RAMP_SHARE * float(np.max(y[j:]))
        ):
            k = j
    return k


def _series_starts(
    keys: pd.DataFrame,
    by: tuple[str, ...],
    series_start: Mapping[str, int],
    first_year: int,
    span: tuple[int, int],
) -> np.ndarray:
    """Index of each series' first year, from ``series_start``; errors name the option."""
    n_series = len(keys)
    n = span[1] - first_year + 1
    start = np.zeros(n_series, dtype=int)
    problems: list[Problem] = []
    for label, year in series_start.items():
        where = f"forecast.series_start.{label}"
        col, _, val = str(label).rpartition("=")
        if col and col not in by:
            problems.append(Problem(where, f"{col!r} is not a series key (keys: {', '.join(by)})"))
            continue
        hits = [
            i for i in range(n_series) if any(keys.iloc[i][k] == val for k in by if col in ("", k))
        ]
        if not hits:
            problems.append(Problem(where, f"{val!r} matches no series"))
            continue
        if not span[0] <= int(year) <= span[1]:
            problems.append(Problem(where, f"{year} is outside the history ({span[0]}–{span[1]})"))
            continue
        for i in hits:
            start[i] = max(start[i], min(max(int(year) - first_year, 0), n - 1))
    if problems:
        raise ForecastError("series_start does not fit the history", problems)
    return start


def build_panel(
    history: pd.DataFrame,
    population: pd.DataFrame | None,
    *,
    by: tuple[str, ...],
    first_year: int,
    last_year: int,
    horizon: int,
    series_start: Mapping[str, int] | None = None,
    ramp_ratio: float | None = None,
    region: str | None = None,
    use_reference: bool = True,
) -> Panel:
    """Arrange history (and population) as a panel of series.

    Cells with no rows are zero children; cells whose rows all have missing children, and
    years without any row (at most :data:`MAX_MISSING_RUN` in a row), are interpolated
    (and counted in ``n_missing``). With ``ramp_ratio``, each series starts after its last
    structural jump (:func:`ramp_start`).
    """
    years = np.arange(first_year, last_year + 1)
    future_years = np.arange(last_year + 1, last_year + horizon + 1)
    all_years = np.concatenate([years, future_years])
    span = (int(history["year"].min()), last_year)
    hist = history[(history["year"] >= first_year) & (history["year"] <= last_year)]
    hist = hist.assign(**{k: hist[k].astype(str) for k in by})
    table = _series_table(hist, by, years)
    gone = missing_years({int(y) for y in hist["year"].unique()}, years)
    if gone:
        table.loc[:, gone] = np.nan
    keys = (
        table.index.to_frame(index=False).astype(str)
        if by
        else pd.DataFrame(index=pd.RangeIndex(1))
    )
    values = np.array(table.to_numpy(dtype=float), copy=True)
    n_series, n = values.shape
    start = _series_starts(keys, by, series_start or {}, first_year, span)
    values[np.arange(n)[None, :] < start[:, None]] = np.nan
    n_missing = np.zeros(n_series, dtype=int)
    detected = np.full(n_series, -1, dtype=int)
    raw_values = values.copy()
    for i in range(n_series):
        values[i], n_missing[i] = _fill_missing(values[i], int(start[i]))
        raw_values[i] = values[i]
        if ramp_ratio is not None:
            k = ramp_start(values[i, start[i] :], ramp_ratio)
            if k > 0:
                detected[i] = start[i] + k
                start[i] += k
                values[i, : start[i]] = np.nan

    tables, single = _population_tables(population, all_years)
    pop_keys = [_pop_key(keys.iloc[i], by) for i in range(n_series)] if by else [ALL]
    exposure = None
    if tables and all(k in tables for k in pop_keys):
        _check_population(tables, sorted(set(pop_keys)), all_years)
        exposure = np.stack([tables[k] for k in pop_keys])

    # parents: the same age summed over needs; or the total for one-dimensional keys
    non_age = [k for k in by if k not in AGE_KEYS]
    parent = np.full(n_series, -1, dtype=int)
    parent_values = np.zeros((0, n))
    parent_exposure = None
    if by:
        age_dims = [k for k in by if k in AGE_KEYS]
        nested = bool(non_age and age_dims)
        group = (
            keys[age_dims].agg("|".join, axis=1).to_numpy(dtype=str)
            if nested
            else np.full(n_series, ALL)
        )
        labels, parent = np.unique(group, return_inverse=True)
        filled = np.nan_to_num(values)
        parent_values = np.stack([filled[parent == g].sum(0) for g in range(len(labels))])
        if exposure is not None:
            parent_exposure = (
                np.stack([exposure[parent == g][0] for g in range(len(labels))])
                if nested
                else tables[ALL][None, :].copy()
            )

    cohort_counts, cohort_group, cohort_ages, cohort_labels = _cohort_arrays(
        hist, keys, by, years, single
    )
    return Panel(
        by=by,
        keys=keys,
        years=years,
        future_years=future_years,
        values=values,
        start=start,
        exposure=exposure,
        parent=parent,
        parent_values=parent_values,
        parent_exposure=parent_exposure,
        cohort_counts=cohort_counts,
        cohort_population=single,
        cohort_group=cohort_group,
        cohort_ages=cohort_ages,
        n_missing=n_missing,
        pop_tables=tables,
        cohort_labels=cohort_labels,
        missing_years=gone,
        detected_start=detected,
        reference=reference_arrays(keys, by, years, region) if use_reference else None,
        region=region,
        raw_values=raw_values,
        reference_lead=reference_lead(years) if use_reference else 0,
    )


def node_panel(panel: Panel, s: np.ndarray, node_keys: pd.DataFrame) -> Panel:
    """The panel of every node of a hierarchy (aggregates, then the cells themselves).

    Args:
        panel: The cells.
        s: Summing matrix ``(n_nodes, n_cells)`` whose last rows are the identity.
        node_keys: Keys of the nodes (``*`` where summed over).
    """
    by = panel.by
    n_nodes, n_cells = s.shape
    n_agg = n_nodes - n_cells
    member = s > 0
    start = np.array([int(panel.start[member[r]].max()) for r in range(n_nodes)])
    values = s @ np.nan_to_num(panel.values)
    values[np.arange(values.shape[1])[None, :] < start[:, None]] = np.nan
    exposure = None
    if panel.exposure is not None:
        pop_keys = [_pop_key(node_keys.iloc[r], by) for r in range(n_agg)]
        if all(k in panel.pop_tables for k in pop_keys):
            agg = np.stack([panel.pop_tables[k] for k in pop_keys]).reshape(n_agg, -1)
            exposure = np.vstack([agg, panel.exposure])
    non_age = [k for k in by if k not in AGE_KEYS]
    group = np.concatenate([np.full(n_agg, -1, dtype=int), panel.cohort_group])
    if panel.cohort_counts is not None:
        for r in range(n_agg):
            label = node_keys.iloc[r][non_age[0]] if non_age else ALL
            group[r] = panel.cohort_labels.index(label) if label in panel.cohort_labels else -1
    ages = np.stack([series_ages(node_keys.iloc[r], by) for r in range(n_nodes)])
    return Panel(
        by=by,
        keys=node_keys.reset_index(drop=True),
        years=panel.years,
        future_years=panel.future_years,
        values=values,
        start=start,
        exposure=exposure,
        parent=np.concatenate([np.full(n_agg, -1, dtype=int), panel.parent]),
        parent_values=panel.parent_values,
        parent_exposure=panel.parent_exposure,
        cohort_counts=panel.cohort_counts,
        cohort_population=panel.cohort_population,
        cohort_group=group,
        cohort_ages=ages,
        n_missing=np.concatenate([np.zeros(n_agg, dtype=int), panel.n_missing]),
        pop_tables=panel.pop_tables,
        cohort_labels=panel.cohort_labels,
        missing_years=panel.missing_years,
        detected_start=np.concatenate([np.full(n_agg, -1, dtype=int), panel.detected_start]),
        reference=(
            None
            if panel.reference is None
            else reference_arrays(node_keys, by, panel.years, panel.region)
        ),
        region=panel.region,
        raw_values=None if panel.raw_values is None else s @ np.nan_to_num(panel.raw_values),
        reference_lead=panel.reference_lead,
    )


def series_ages(key: Mapping[str, str] | pd.Series, by: Sequence[str]) -> np.ndarray:
    """Mask of the single ages (0–25) a series covers."""
    mask = np.ones(len(taxonomy.AGES), dtype=bool)
    if "age_band" in by and key["age_band"] != ALL:
        lo, hi = taxonomy.band_ages(str(key["age_band"]))
        mask[:] = False
        mask[lo : hi + 1] = True
    if "age" in by and key["age"] != ALL:
        mask[:] = False
        mask[int(key["age"])] = True
    return mask


def _cohort_arrays(
    hist: pd.DataFrame,
    keys: pd.DataFrame,
    by: tuple[str, ...],
    years: np.ndarray,
    single: np.ndarray | None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, list[str]]:
    """Single-age counts by cohort group (each need, and all needs ``*``)."""
    n_series = len(keys)
    # plain dicts: a pandas row per series is slow
    rows: list[dict[str, str]] = [
        {str(k): v for k, v in r.items()} for r in keys.to_dict("records")
    ]
    ages = (
        np.stack([series_ages(row, by) for row in rows])
        if by
        else (np.ones((1, len(taxonomy.AGES)), dtype=bool))
    )
    group = np.full(n_series, -1, dtype=int)
    if single is None or "age" not in hist.columns or hist["children"].isna().any():
        return None, group, ages, []
    h = hist.assign(age=hist["age"].astype(int))
    h = h[(h["age"] >= taxonomy.MIN_AGE) & (h["age"] <= taxonomy.MAX_AGE)]
    non_age = [k for k in by if k not in AGE_KEYS]
    labels: list[str] = [ALL]
    if non_age:
        labels += sorted(set(h[non_age[0]].astype(str)))
    counts = np.zeros((len(labels), len(taxonomy.AGES), len(years)))
    year_index = {int(y): j for j, y in enumerate(years)}
    # children by label, single age and year in one pass: each label's, then all (ALL)
    label_of = h[non_age[0]].astype(str).to_numpy() if non_age else np.full(len(h), ALL)
    g_of = np.searchsorted(np.array(labels[1:] or [""], dtype=object), label_of) + 1
    if not non_age:
        g_of[:] = 0
    cols = h["year"].astype(int).map(year_index).to_numpy(dtype=int)
    a_of = h["age"].to_numpy(dtype=int)
    np.add.at(counts, (g_of, a_of, cols), h["children"].to_numpy(dtype=float))
    if non_age:
        counts[0] = counts[1:].sum(0)
    for i, row in enumerate(rows):
        label = row[non_age[0]] if non_age else ALL
        group[i] = labels.index(label) if label in labels else -1
    return counts, group, ages, labels
