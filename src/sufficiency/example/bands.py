"""The example borough's funding bands: two A–E band scales, one school's own, and the band mix.

Ashworth pays top-up by band A–E (a fictional but typical framework: the band follows the
child's needs, its value the kind of setting). One scale covers mainstream schools with
top-up and resource bases (tiers ``sen_support`` and ``enhanced_resource``), another the
special schools; Whitmoor Park School (SLD and PMLD) has its own, dearer scale. Partnership
provision keeps its flat top-up. The band mix is the base-year caseload split into bands
by level (the tier of the child's setting in January) and need, in whole children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy

BANDS = ("A", "B", "C", "D", "E")
#: (tier list or "", setting or "", top-ups A–E in £ per child per year, base-year prices).
SCALES: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("sen_support;enhanced_resource", "", (3_500.0, 6_000.0, 8_500.0, 11_500.0, 15_000.0)),
    ("special_school", "", (12_000.0, 16_000.0, 20_000.0, 25_000.0, 31_000.0)),
    ("", "SPEC11", (18_000.0, 23_000.0, 28_000.0, 34_000.0, 42_000.0)),
)
#: Chance of each band A–E by level (the tier the child is placed in, January).
_BY_LEVEL = {
    "mainstream": (0.40, 0.30, 0.20, 0.08, 0.02),
    "sen_support": (0.20, 0.35, 0.30, 0.10, 0.05),
    "partnership": (0.15, 0.30, 0.30, 0.15, 0.10),
    "enhanced_resource": (0.10, 0.20, 0.35, 0.25, 0.10),
    "special_school": (0.05, 0.15, 0.30, 0.30, 0.20),
}
#: Needs that tilt a group's mix towards the higher bands, and towards the lower ones.
_HEAVIER = {"PMLD", "SLD", "MSI", "PD"}
_LIGHTER = {"SPLD", "MLD", "SLCN"}
_TILT = np.array([0.5, 0.75, 1.0, 1.5, 2.0])


def funding_bands() -> pd.DataFrame:
    """The example's ``funding_bands`` table: ``band, tier, setting, top_up_per_place_gbp``."""
    rows = [
        (band, tiers, setting, int(gbp))
        for tiers, setting, values in SCALES
        for band, gbp in zip(BANDS, values, strict=True)
    ]
    return pd.DataFrame(rows, columns=["band", "tier", "setting", "top_up_per_place_gbp"])


def _whole(counts: float, p: np.ndarray) -> np.ndarray:
    """``counts`` children split by ``p`` in whole children (largest remainders)."""
    exact = counts * p / p.sum()
    out = np.floor(exact)
    rest = round(float(counts - out.sum()))
    out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


def band_mix(caseload: pd.DataFrame, settings: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """The example's ``band_mix``: base-year children by need, age band, level and band.

    Args:
        caseload: ``year, need, age, setting, children`` (single years of age).
        settings: The register (``setting, tier``).
        base_year: The January census whose children are banded.
    """
    tier_of = dict(zip(settings["setting"], settings["tier"], strict=True))
    base = caseload[caseload["year"] == base_year].assign(
        level=lambda f: f["setting"].map(tier_of),
        age_band=lambda f: taxonomy.age_band_of(f["age"].to_numpy(dtype=int)),
    )
    base = base[base["level"].isin(list(_BY_LEVEL))]
    cells = base.groupby(["need", "age_band", "level"], sort=True, as_index=False)["children"].sum()
    rows: list[tuple[str, str, str, str, int]] = []
    for need, band_of_age, level, children in zip(
        cells["need"].astype(str),
        cells["age_band"].astype(str),
        cells["level"].astype(str),
        cells["children"].to_numpy(dtype=float),
        strict=True,
    ):
        if children <= 0:
            continue
        p = np.asarray(_BY_LEVEL[level], dtype=float)
        if need in _HEAVIER:
            p = p * _TILT
        elif need in _LIGHTER:
            p = p * _TILT[::-1]
        for band, n in zip(BANDS, _whole(float(children), p), strict=True):
            if n > 0:
                rows.append((need, band_of_age, level, band, int(n)))
    return pd.DataFrame(rows, columns=["need", "age_band", "level", "band", "children"])
