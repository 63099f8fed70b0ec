"""Rebuild the reference panel shipped in ``sufficiency/forecast/reference/``.

Children with a statement or EHC plan in January, by age band, for England and its nine
regions, from the DfE's published statistics in ``../shared/data`` (relative to the
repository): ``dfe_ehcp_by_age_2010_2022.csv`` for 2010–2022 by age band, and
``dfe_ehcp_caseload_2019_2023.csv`` for the 2023 totals (the shared files have no age
breakdown for 2023, so 2023 has a ``total`` row only).

Source: Department for Education, "Education, health and care plans" (Explore Education
Statistics), Open Government Licence v3.0.

Usage::

    python benchmarks/build_reference_panel.py [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "sufficiency" / "forecast" / "reference" / "ehcp_by_age_band.csv"
BANDS = {
    "Under 5": "0-4",
    "Age 5 to 10": "5-10",
    "Age 11 to 15": "11-15",
    "Age 16 to 19": "16-19",
    "Age 20 to 25": "20-25",
    "Total": "total",
}


def _area(frame: pd.DataFrame) -> pd.Series:
    return frame["region_name"].where(frame["geographic_level"] == "Regional", "England")


def build(data: Path) -> pd.DataFrame:
    """The panel: ``area``, ``year``, ``age_band`` (``total`` too), ``children``."""
    raw = pd.read_csv(data / "dfe_ehcp_by_age_2010_2022.csv", dtype=str)
    raw = raw[raw["geographic_level"].isin(["National", "Regional"])]
    by_age = pd.DataFrame(
        {
            "area": _area(raw),
            "year": raw["time_period"].astype(int),
            "age_band": raw["characteristic_age"].map(BANDS),
            "children": pd.to_numeric(raw["Total_all"], errors="coerce"),
        }
    ).dropna(subset=["age_band"])
    new = pd.read_csv(data / "dfe_ehcp_caseload_2019_2023.csv", dtype=str)
    new = new[new["geographic_level"].isin(["National", "Regional"])]
    new = new[new["time_period"].str[-2:].astype(int) == 23]
    totals = pd.DataFrame(
        {
            "area": _area(new),
            "year": 2023,
            "age_band": "total",
            "children": pd.to_numeric(new["ehcplans"], errors="coerce"),
        }
    )
    out = pd.concat([by_age, totals], ignore_index=True).dropna(subset=["children"])
    out["children"] = out["children"].astype(int)
    return out.sort_values(["area", "age_band", "year"]).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not (args.data / "dfe_ehcp_by_age_2010_2022.csv").is_file():
        print(f"DfE data not found in {args.data}", file=sys.stderr)
        return 2
    panel = build(args.data)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Children with a statement or EHC plan in January, England and regions, by age band.\n"
        "# Source: Department for Education, 'Education, health and care plans'. Open "
        "Government Licence v3.0.\n# Rebuilt by benchmarks/build_reference_panel.py; 2023: "
        "totals only.\n"
    )
    OUT.write_text(header + panel.to_csv(index=False), encoding="utf-8")
    print(f"wrote {OUT}: {len(panel)} rows, areas {panel['area'].nunique()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
