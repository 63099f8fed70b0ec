"""The ``flows`` method of forecast_demand beside the other methods, on every LA with flows.

Issue 14 (point 3): for every LA of the DfE files in ``../shared/data`` whose release has
new plans, at origins 2020 and 2021 (the January stocks with at least one calendar year of
published new plans before them), ``forecast_demand`` projects plans at January by SEN2 age
band from the history up to the origin (by-age file, 2016 on, each year's bands scaled to
the published ``ehcplans``) and the flows table ``sufficiency init`` writes
(:func:`sufficiency.sources.starter.build_flows`: requests, new plans, ceased plans),
with each method: ``flows``, ``national``, ``pooled``, ``drift``, ``naive`` and ``auto``
(given the flows table). The total over bands is scored on the published ``ehcplans`` of
every January after the origin up to 2023. No population is published with these files:
the flow model's new plans are per plan held, and the rate and cohort models cannot run.

Usage::

    python benchmarks/flows_method_backtest.py            # every LA, writes benchmarks/results/
    python benchmarks/flows_method_backtest.py --size one  # Dudley only, no writing
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
ORIGINS = (2020, 2021)
HISTORY_FROM = 2016
LAST = 2023
METHODS = ("flows", "national", "pooled", "drift", "naive", "auto")
#: The extra origin at which ``auto``'s backtest is covered by the flows (see _late_origin).
LATE_ORIGIN = 2022
LATE_FROM = 2019


def _history(release, origin: int) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Plans by SEN2 band, 2016 to the origin, each year scaled to the published total."""
    totals = release.caseload_total.set_index("year")["children"]
    bands = release.caseload_by_age
    bands = bands[bands["year"].between(HISTORY_FROM, origin)].dropna(subset=["children"])
    rows = []
    for year, g in bands.groupby("year"):
        scale = float(totals.get(year, np.nan)) / max(float(g["children"].sum()), 1e-9)
        if not np.isfinite(scale):
            continue
        for label, n in zip(g["age_group"].astype(str), g["children"], strict=True):
            rows.append({"year": int(year), "age_band": label, "children": float(n) * scale})
    return pd.DataFrame(rows)


def _late_origin(  # type: ignore[no-untyped-def]
    release, flows: pd.DataFrame, totals: pd.Series, chosen: dict[str, int], failures: list
) -> list[dict[str, object]]:
    """Origin 2022 with history from 2019 (the DfE's plans-only series): ``auto``'s own
    backtest then starts at 2021, which the flows (2019 on) cover, so ``flows`` is one of
    its candidates; scored on January 2023, beside ``auto`` without the flows table."""
    from sufficiency import forecast_demand
    from sufficiency.errors import SufficiencyError

    hist = _history(release, LATE_ORIGIN)
    hist = hist[hist["year"] >= LATE_FROM]
    if LATE_ORIGIN not in set(hist["year"]) or not np.isfinite(totals.get(LAST, np.nan)):
        return []
    out: list[dict[str, object]] = []
    for name, table in (("auto_2019", flows), ("auto_2019_no_flows", None)):
        try:
            fc = forecast_demand(
                hist, horizon=LAST - LATE_ORIGIN, by=("age_band",), flows=table, sample_paths=100
            )
        except SufficiencyError as exc:
            failures.append(
                {
                    "la_code": release.la_code,
                    "origin": LATE_ORIGIN,
                    "method": name,
                    "error": str(exc),
                }
            )
            continue
        if table is not None:
            chosen["candidate"] = chosen.get("candidate", 0) + int("flows" in fc.backtest.forecasts)
            for m, k in fc.diagnostics["method"].value_counts().items():
                chosen[str(m)] = chosen.get(str(m), 0) + int(k)
        out.append(
            {
                "la_code": release.la_code,
                "method": name,
                "origin": LATE_ORIGIN,
                "year": LAST,
                "horizon": LAST - LATE_ORIGIN,
                "actual": float(totals[LAST]),
                "forecast": float(fc.frame.groupby("year", observed=True)["mean"].sum()[LAST]),
            }
        )
    return out


def run(size: str, data: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Backtest every method on every LA; returns (points, failures, timings)."""
    from sufficiency import forecast_demand
    from sufficiency.errors import SufficiencyError
    from sufficiency.sources.dfe_release import local_authorities, read_dfe_release
    from sufficiency.sources.starter import build_flows

    las = local_authorities(data / "dfe_release_2025_to_2023")
    if size == "one":
        las = las[las["la_code"] == "E08000027"]
    points, failures = [], []
    cpu = {m: 0.0 for m in METHODS}
    chosen: dict[str, int] = {}
    chosen_late: dict[str, int] = {}
    candidate = 0
    t0 = time.perf_counter()
    for code in las["la_code"]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                release = read_dfe_release(data, code)
            flows = build_flows(release)
        except SufficiencyError as exc:
            failures.append({"la_code": code, "origin": "", "method": "read", "error": str(exc)})
            continue
        if flows.empty or release.new_plans["children"].dropna().empty:
            failures.append({"la_code": code, "origin": "", "method": "read", "error": "no flows"})
            continue
        totals = release.caseload_total.set_index("year")["children"]
        points += _late_origin(release, flows, totals, chosen_late, failures)
        for origin in ORIGINS:
            hist = _history(release, origin)
            later = [y for y in range(origin + 1, LAST + 1) if np.isfinite(totals.get(y, np.nan))]
            if hist.empty or origin not in set(hist["year"]) or not later:
                continue
            for method in METHODS:
                c0 = time.process_time()
                try:
                    fc = forecast_demand(
                        hist,
                        horizon=LAST - origin,
                        method=method,
                        by=("age_band",),
                        flows=flows if method in ("flows", "auto") else None,
                        sample_paths=100,
                    )
                except SufficiencyError as exc:
                    failures.append(
                        {"la_code": code, "origin": origin, "method": method, "error": str(exc)}
                    )
                    continue
                finally:
                    cpu[method] += time.process_time() - c0
                if method == "auto":
                    candidate += int("flows" in fc.backtest.forecasts)
                    for m, k in fc.diagnostics["method"].value_counts().items():
                        chosen[str(m)] = chosen.get(str(m), 0) + int(k)
                total = fc.frame.groupby("year", observed=True)["mean"].sum()
                for year in later:
                    points.append(
                        {
                            "la_code": code,
                            "method": method,
                            "origin": origin,
                            "year": year,
                            "horizon": year - origin,
                            "actual": float(totals[year]),
                            "forecast": float(total[year]),
                        }
                    )
    timings = {"wall_s": time.perf_counter() - t0, **{f"cpu_{m}_s": v for m, v in cpu.items()}}
    timings["auto_runs_with_flows_candidate"] = float(candidate)
    timings.update({f"auto_chose_{m}": float(k) for m, k in chosen.items()})
    timings.update({f"late_chose_{m}": float(k) for m, k in chosen_late.items()})
    return pd.DataFrame(points), pd.DataFrame(failures), timings


def summary(points: pd.DataFrame) -> pd.DataFrame:
    """MAPE, median APE and bias (%) by method and horizon; WAPE over all horizons."""
    p = points.assign(
        ape=100 * (points["forecast"] - points["actual"]).abs() / points["actual"],
        pe=100 * (points["forecast"] - points["actual"]) / points["actual"],
    )
    out = p.groupby(["method", "horizon"]).agg(
        n=("ape", "size"),
        mape=("ape", "mean"),
        median_ape=("ape", "median"),
        bias_pct=("pe", "mean"),
    )
    return out.round(2).reset_index()


def main(argv: list[str] | None = None) -> int:
    """Run the backtest; write the results unless ``--size one``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("one", "all"), default="all")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # per-LA forecast warnings: thousands of lines
    try:
        points, failures, timings = run(args.size, args.data)
    finally:
        logging.disable(previous)
    table = summary(points)
    print(table.to_string(index=False))
    print(timings)
    if args.size == "all":
        write(points, table, failures, timings, load)
    return 0


def write(
    points: pd.DataFrame,
    table: pd.DataFrame,
    failures: pd.DataFrame,
    timings: dict[str, float],
    load: tuple[float, float, float],
) -> None:
    """Record ``flows_method_backtest.md`` and ``.csv`` in ``benchmarks/results``."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.machine import machine

    box = machine(ROOT)  # before this writes anything: the commit as measured, not "+dirty"
    RESULTS.mkdir(exist_ok=True)
    points.to_csv(RESULTS / "flows_method_backtest.csv", index=False, float_format="%.3f")
    where = (
        f"{box['cpu']}, {box['usable_cores']} usable cores, {box['memory_gib']} GiB, "
        f"Python {box['python']}, commit {box['commit']}, {box['date']}"
    )
    n_la = points["la_code"].nunique()
    sums = (
        points.assign(err=(points["forecast"] - points["actual"]).abs())
        .groupby(["method", "origin"])[["err", "actual"]]
        .sum()
    )
    main = sums[sums.index.get_level_values("origin").isin(ORIGINS)].groupby("method").sum()
    late = sums[sums.index.get_level_values("origin") == LATE_ORIGIN].groupby("method").sum()
    wape = (main["err"] / main["actual"]).round(4)
    wape_late = (late["err"] / late["actual"]).round(4)
    end = os.getloadavg()
    lines = [
        "# The flows method of forecast_demand beside the other methods (issue 14, point 3)",
        "",
        "Produced by `python benchmarks/flows_method_backtest.py` on the DfE files in "
        "`../shared/data` (Department for Education, 'Education, health and care plans', "
        "Open Government Licence v3.0).",
        "",
        f"- {n_la} LAs with published new plans; origins {', '.join(map(str, ORIGINS))}; "
        f"`forecast_demand(..., by=('age_band',), method=M)` on the history by SEN2 band from "
        f"{HISTORY_FROM} (scaled to the published totals), its total scored on the published "
        f"plans at January to {LAST}. Flows: the table `sufficiency init` writes (new plans "
        "2019–2022, requests, ceased plans; age at start for 2022 only). No population: the "
        "flow model is per plan held, rate and cohort models cannot run.",
        f"- WAPE (Σ|error| / Σ actual, origins {', '.join(map(str, ORIGINS))}, every horizon): "
        + ", ".join(f"`{m}` {v}" for m, v in wape.sort_values().items())
        + f"; at origin {LATE_ORIGIN} (one year ahead only, not comparable with those): "
        + ", ".join(f"`{m}` {v}" for m, v in wape_late.sort_values().items())
        + ".",
        f"- `auto` (given the flows table) had `flows` among its candidates in "
        f"{int(timings['auto_runs_with_flows_candidate'])} of its runs: its own backtest "
        "reaches back to origins before 2019, where no flows are published, so the flow "
        "model cannot be scored there and is not a candidate (the rule: a candidate only "
        "where the flows cover every backtest origin). Series chosen by `auto`: "
        + ", ".join(
            f"{k.removeprefix('auto_chose_')} {int(v)}"
            for k, v in sorted(timings.items())
            if k.startswith("auto_chose_")
        )
        + ".",
        f"- Origin {LATE_ORIGIN} with history from {LATE_FROM} (`auto_2019`, scored on "
        f"January {LAST} only): `auto`'s own backtest then starts at {LATE_ORIGIN - 1}, which "
        f"the flows cover, so `flows` was a candidate in "
        f"{int(timings.get('late_chose_candidate', 0))} runs; series chosen: "
        + ", ".join(
            f"{k.removeprefix('late_chose_')} {int(v)}"
            for k, v in sorted(timings.items())
            if k.startswith("late_chose_") and k != "late_chose_candidate"
        )
        + ". `auto_2019_no_flows` is the same without the flows table.",
        "- Failures (method could not run): "
        + (
            "none"
            if failures.empty
            else "; ".join(
                f"{r.la_code} {r.origin} {r.method}: " + " ".join(str(r.error).split())[:160]
                for r in failures.itertuples()
            )
        )
        + ".",
        f"- Time: {timings['wall_s']:.0f} s wall; CPU by method "
        + ", ".join(f"{m} {timings[f'cpu_{m}_s']:.0f} s" for m in METHODS)
        + f". Load average {load[0]:.1f} at the start, {end[0]:.1f} at the end; "
        f"machine: {where}.",
        "",
        "| method | horizon | n | mape | median_ape | bias_pct |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.method} | {r.horizon} | {r.n} | {r.mape} | {r.median_ape} | {r.bias_pct} |"
        )
    (RESULTS / "flows_method_backtest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
