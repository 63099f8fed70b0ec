"""Every LA from its published figures: `init` for all of them, and the flow model's backtest.

Acceptance benchmark of issue 14, on the DfE files in ``../shared/data`` (the older
by-age and by-establishment files, the 2019–2023 caseload file and the current release cut
to January 2023 in ``dfe_release_2025_to_2023/``).

* **init**: :func:`sufficiency.sources.starter.write_starter` for every LA of the current
  release's caseload file, into a temporary folder; failures are named per LA.
* **flows backtest**: for every LA, origins 2020 and 2021 (the January stocks with a
  calendar year of new plans published before them), plans at January projected to 2023
  by the flow model (:mod:`sufficiency.forecast.methods.flows`, rates per plan held: the files
  have no population) beside the naive (last value) and drift (last value plus the mean
  yearly change since 2016) baselines and a log-linear growth (last value × the mean
  yearly growth ratio since 2016), all scored on the published ``ehcplans``.

Usage::

    python benchmarks/your_council.py            # all LAs, writes benchmarks/results/
    python benchmarks/your_council.py --size one  # Dudley only, no writing
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
ORIGINS = (2020, 2021)
TREND_FROM = 2016


def _baselines(totals: pd.Series, origin: int, years: list[int]) -> dict[str, list[float]]:
    hist = totals[(totals.index >= TREND_FROM) & (totals.index <= origin)].astype(float)
    last = float(hist.iloc[-1])
    slope = float(np.mean(np.diff(hist.to_numpy()))) if len(hist) > 1 else 0.0
    ratio = float(np.exp(np.mean(np.diff(np.log(hist.to_numpy()))))) if len(hist) > 1 else 1.0
    h = [y - origin for y in years]
    return {
        "naive": [last] * len(h),
        "drift": [last + slope * k for k in h],
        "growth": [last * ratio**k for k in h],
    }


def run(size: str, data: Path) -> tuple[pd.DataFrame, pd.DataFrame, float, float]:
    """Init every LA and backtest the flow model; returns (scores, failures, seconds×2)."""
    from sufficiency.forecast.methods.flows import backtest_flows
    from sufficiency.sources.dfe import read_dfe_ehcp
    from sufficiency.sources.dfe_release import read_dfe_release
    from sufficiency.sources.starter import write_starter

    codes = sorted(
        read_dfe_ehcp(data / "dfe_release_2025_to_2023" / "caseload.csv")["la_code"].unique()
    )
    if size == "one":
        codes = ["E08000027"]
    failures, rows = [], []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for code in codes:
            try:
                write_starter(code, data, Path(tmp) / code)
            except Exception as exc:
                failures.append({"la_code": code, "stage": "init", "error": str(exc)[:300]})
    t_init = time.perf_counter() - t0
    t0 = time.perf_counter()
    for code in codes:
        try:
            r = read_dfe_release(data, code)
            bt = backtest_flows(
                r.caseload_total,
                r.new_plans,
                list(ORIGINS),
                caseload_by_age=r.caseload_by_age,
                new_plans_by_age=r.new_plans_by_age,
                ceased_by_age=r.ceased_by_age,
            )
        except Exception as exc:
            failures.append({"la_code": code, "stage": "flows", "error": str(exc)[:300]})
            continue
        totals = r.caseload_total.dropna().set_index("year")["children"]
        for origin, g in bt.groupby("origin"):
            years = g["year"].tolist()
            methods = {"flows": g["forecast"].tolist(), **_baselines(totals, int(origin), years)}
            for method, values in methods.items():
                for y, f in zip(years, values, strict=True):
                    rows.append(
                        {
                            "la_code": code,
                            "method": method,
                            "origin": int(origin),
                            "horizon": int(y - origin),
                            "actual": float(totals[y]),
                            "forecast": float(f),
                        }
                    )
    t_flows = time.perf_counter() - t0
    scores = pd.DataFrame(rows)
    return scores, pd.DataFrame(failures, columns=["la_code", "stage", "error"]), t_init, t_flows


def summary(scores: pd.DataFrame) -> pd.DataFrame:
    s = scores.assign(
        ape=lambda d: (d["forecast"] - d["actual"]).abs() / d["actual"] * 100,
        pe=lambda d: (d["forecast"] - d["actual"]) / d["actual"] * 100,
    )
    out = s.groupby(["method", "horizon"]).agg(
        n=("ape", "size"),
        mape=("ape", "mean"),
        median_ape=("ape", "median"),
        bias_pct=("pe", "mean"),
    )
    return out.round(2).reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("one", "all"), default="all")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "dfe_release_2025_to_2023" / "caseload.csv").is_file():
        print(f"DfE files not found in {args.data}", file=sys.stderr)
        return 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores, failures, t_init, t_flows = run(args.size, args.data)
    table = summary(scores)
    n_la = scores["la_code"].nunique() if len(scores) else 0
    print(table.to_string(index=False))
    print(f"init: {t_init:.1f}s, flows backtest: {t_flows:.1f}s, LAs scored: {n_la}")
    print(f"failures: {len(failures)}")
    for f in failures.itertuples(index=False):
        print(f"  {f.la_code} ({f.stage}): {f.error}")
    if args.size == "all" and not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        write(table, failures, n_la, t_init, t_flows)
    return 0 if failures.empty else 2


def write(
    table: pd.DataFrame, failures: pd.DataFrame, n_la: int, t_init: float, t_flows: float
) -> None:
    lines = [
        "# Your council: init for every LA, and the flow model's backtest (issue 14)",
        "",
        "Produced by `python benchmarks/your_council.py` (size `all`) on the DfE files in "
        "`../shared/data` (Department for Education, 'Education, health and care plans', "
        "Open Government Licence v3.0).",
        "",
        f"- `sufficiency init` for every area of the current release's caseload file "
        "(those with a January 2023 figure, and those whose series stop "
        "earlier, e.g. Bournemouth, Poole, Dorset county, Northamptonshire): "
        f"{t_init:.0f} s in all; failures: {len(failures)}"
        + ("" if failures.empty else " (" + ", ".join(failures["la_code"]) + ")")
        + ".",
        f"- Flow model backtest: {n_la} LAs, origins 2020 and 2021, plans at January 2021–2023 "
        f"({t_flows:.0f} s). The cut release has new plans for 2019–2022, age at start for "
        "2022 only and ceased plans for 2022 only, and no population: the flow model runs per "
        "plan held, its exits implied by the stock identity, its ages at start and exits the "
        "national shapes (origins before 2022 never see the 2022 breakdowns).",
        "- Beside it: naive (last value), drift (last value + mean yearly change since 2016) "
        "and growth (last value × mean yearly growth ratio since 2016). MAPE and median APE "
        "in %, bias = mean signed % error (positive = over-forecast).",
        "- Here the flow model runs as the standalone projection "
        "(`sufficiency.forecast.methods.flows`) on the release's frames. As the `flows` method of "
        "`forecast_demand` (an `auto` candidate where the flows cover its backtest) it is "
        "backtested beside the other methods in `flows_method_backtest.md`.",
        "",
        "| method | horizon | n | mape | median_ape | bias_pct |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.method} | {r.horizon} | {r.n} | {r.mape} | {r.median_ape} | {r.bias_pct} |"
        )
    if not failures.empty:
        lines += ["", "## Failures", ""] + [
            f"- {f.la_code} ({f.stage}): {f.error}" for f in failures.itertuples(index=False)
        ]
    (RESULTS / "flows_backtest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
