"""The forecast a council's DfE starter gives, as used: its default against ``auto``.

Issue 26 (the starter's default forecast method): a starter written from the DfE's files
with no real population projects with the flow model (``forecast.method: flows``, next
January's plans = this January's, aged, less ceased plus new). This benchmark asks how
that default compares, *as a council uses it*, with ``auto`` over the methods that need no
population (``national``, ``pooled``, ``share``, ``naive``, ``drift``: the rate and cohort
models would read the starter's invented population).

The current release (``../shared/data/dfe_release_2025_to_2023``) is cut to what was
published at an earlier January — its caseload to that January, its flows (calendar years)
to the year before — and every LA's starter is written from the cut files and run as
written (``sufficiency.sweep(..., dfe=...)``), once with its default and once with
``auto``; each LA's EHC plans of each later January (to 2023) are scored on the release's
published ``ehcplans``. Two histories: the release alone (Januaries from 2019, as the
every-LA sweep reads it), and with the older by-age and by-establishment files beside it
(cut the same way: Januaries from 2010), as ``docs/your-council.md`` suggests.

Usage (from the repository root)::

    python -m benchmarks.starter_backtest             # every LA, writes benchmarks/results/
    python -m benchmarks.starter_backtest --size one  # three LAs, origin 2022, no writing
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.machine import machine
from benchmarks.sizes import ROOT

DATA = ROOT.parent / "shared" / "data"
RELEASE = DATA / "dfe_release_2025_to_2023"
OLDER = ("dfe_ehcp_by_age_2010_2022.csv", "dfe_ehcp_by_establishment_2010_2022.csv")
RESULTS = ROOT / "benchmarks" / "results"
#: The Januaries the starters are written at (the release cut to each).
ORIGINS = (2021, 2022)
#: The last January scored (the release's last).
LAST = 2023
#: ``auto``'s candidates without a real population: every default candidate that does not
#: read it (the flow model is the starter's default, beside).
NO_POPULATION = ("national", "pooled", "share", "naive", "drift")
SCENARIOS: dict[str, dict[str, object]] = {
    "flows (default)": {},
    "auto": {"forecast.method": "auto", "forecast.candidates": list(NO_POPULATION)},
}


def january(time_period: str) -> int:
    """The January a ``time_period`` cell counts: ``201819`` (academic year) is January
    2019; a calendar year (flows, or the older files' January) is itself."""
    text = time_period.strip()
    return int(text[:4]) + 1 if len(text) == 6 else int(text)


def cut_release(origin: int, out: Path, *, older: bool) -> Path:
    """The release as published at January ``origin``: the caseload to that January, the
    flows to the calendar year before (a file with none left out); with ``older``, the
    older by-age and by-establishment files to that January beside it."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "data-guidance.txt").write_bytes((RELEASE / "data-guidance.txt").read_bytes())
    sources = [(RELEASE / f.name, origin if f.name == "caseload.csv" else origin - 1)
               for f in sorted(RELEASE.glob("*.csv"))]  # fmt: skip
    if older:
        sources += [(DATA / name, origin) for name in OLDER]
    for path, last in sources:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        at = rows[0].index("time_period")
        kept = [r for r in rows[1:] if january(r[at]) <= last]
        if kept:
            with (out / path.name).open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows([rows[0], *kept])
    return out


def published() -> pd.Series:
    """Each LA's published EHC plans by January: ``(la_code, year) -> plans``."""
    c = pd.read_csv(RELEASE / "caseload.csv", dtype=str, encoding="utf-8-sig")
    c = c[(c["geographic_level"] == "Local authority") & (c["breakdown_topic"] == "All EHC plans")]
    years = [january(t) for t in c["time_period"]]
    plans = pd.to_numeric(c["ehcplans"], errors="coerce").to_numpy()
    return pd.Series(plans, index=pd.MultiIndex.from_arrays([c["new_la_code"], years]))


def scored(table: pd.DataFrame, actual: pd.Series, origin: int) -> pd.DataFrame:
    """A sweep's ``la, scenario, year, ehc_plans`` against the published plans: one row per
    LA, method and January after ``origin`` (to :data:`LAST`) with a published figure."""
    rows = table[(table["year"] > origin) & (table["year"] <= LAST)]
    keys = list(zip(rows["la"], rows["year"], strict=True))
    out = pd.DataFrame(
        {
            "origin": origin,
            "la_code": rows["la"].to_numpy(),
            "method": rows["scenario"].to_numpy(),
            "year": rows["year"].to_numpy(),
            "forecast": rows["ehc_plans"].to_numpy(dtype=float),
            "actual": actual.reindex(keys).to_numpy(dtype=float),
        }
    )
    return out[np.isfinite(out["actual"])].reset_index(drop=True)


def summary(points: pd.DataFrame) -> pd.DataFrame:
    """WAPE, MAPE (%) and bias (% of the actual total) by history, origin, horizon, method."""
    err = points["forecast"] - points["actual"]
    p = points.assign(
        horizon=points["year"] - points["origin"],
        err=err,
        abs_err=err.abs(),
        ape=100 * err.abs() / points["actual"],
    )
    g = p.groupby(["history", "origin", "horizon", "method"], sort=True)
    sums = g[["err", "abs_err", "actual"]].sum()
    return pd.DataFrame(
        {
            "n": g.size(),
            "wape": (sums["abs_err"] / sums["actual"]).round(4),
            "mape": g["ape"].mean().round(2),
            "bias_pct": (100 * sums["err"] / sums["actual"]).round(2),
        }
    ).reset_index()


def measure(codes: list[str] | None = None, origins: tuple[int, ...] = ORIGINS) -> dict:
    """Every LA's starter (or ``codes``') at each origin, both histories, both methods."""
    from sufficiency import sweep
    from sufficiency.sources.dfe_release import local_authorities

    actual = published()
    points, failed, seconds = [], [], {}
    with tempfile.TemporaryDirectory(prefix="bench-starter-") as tmp:
        for older in (False, True):
            history = "release and older files (from 2010)" if older else "release (from 2019)"
            for origin in origins:
                folder = cut_release(origin, Path(tmp) / f"{origin}{'x' if older else ''}",
                                     older=older)  # fmt: skip
                las = codes or list(local_authorities(folder)["la_code"])
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # each starter's data notes: not scored
                    result = sweep({c: c for c in las}, SCENARIOS, dfe=folder)
                seconds[f"{history}, {origin}"] = round(time.perf_counter() - start, 1)
                points.append(scored(result.table, actual, origin).assign(history=history))
                failed += [
                    f"{e.la} {origin} {e.scenario}: {e.error}" for e in result.errors.itertuples()
                ]
    return {"points": pd.concat(points, ignore_index=True), "failed": failed, "seconds": seconds}


def render(record: dict, load: tuple[float, ...]) -> str:
    """The Markdown of ``results/starter_backtest.md``."""
    table = summary(record["points"])
    box = record["machine"]
    lines = [
        "# The DfE starter's forecast as used: its default against `auto`",
        "",
        "Written by `python -m benchmarks.starter_backtest` (see its docstring). Every LA's "
        "starter written from the current release cut to January 2021 or 2022 (the flows to "
        "the calendar year before), run as written: `flows (default)` is the starter's own "
        "method with no real population (the flow model); `auto` chooses among "
        f"{', '.join(NO_POPULATION)} (the methods that do not read the starter's invented "
        "population). Scored on each LA's published EHC plans of each later January to "
        f"{LAST}. WAPE: Σ|error| / Σ actual; bias: Σ error / Σ actual. Data: Department for "
        "Education, 'Education, health and care plans' (Open Government Licence v3.0).",
        "",
        "| history | origin | horizon | method | n | wape | mape | bias_pct |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {r.history} | {r.origin} | {r.horizon} | {r.method} | {r.n} | {r.wape} | "
            f"{r.mape} | {r.bias_pct} |"
            for r in table.itertuples()
        ),
        "",
        "Failed tasks: " + ("; ".join(record["failed"]) if record["failed"] else "none") + ".",
        "",
        "Seconds a sweep (both methods): "
        + ", ".join(f"{k} {v} s" for k, v in record["seconds"].items())
        + f". Load averages (1, 5, 15 min) before {', '.join(f'{v:.2f}' for v in load)}. "
        f"Machine: {box['cpu']}, {box['usable_cores']} usable cores, Python {box['python']}, "
        f"commit {box['commit']}, {box['date']}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the backtest; write ``results/starter_backtest.md`` unless ``--size one``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("one", "all"), default="all")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    box = machine(ROOT)  # before anything is written: the commit as measured
    if args.size == "one":
        record = measure(["E08000027", "E06000001", "E10000016"], origins=(2022,))
    else:
        record = measure()
    record["machine"] = box
    print(summary(record["points"]).to_string(index=False))
    if args.size == "all":
        (RESULTS / "starter_backtest.md").write_text(render(record, load), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
