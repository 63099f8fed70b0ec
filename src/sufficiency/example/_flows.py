"""The flows of a generated borough, derived from its caseload by the stock identity.

A generated borough has no flows of its own: its caseload is drawn year by year. Its
flows table (``docs/data-formats.md``) is derived, without any random draw (so the
generator's stream, and every other table, is unchanged), from the all-needs caseload by
single year of age ``S(y, a)``:

* **ceased plans** in calendar year ``y`` at age ``a``: ``S(y, a)`` times the national
  exit pattern (:data:`~sufficiency.forecast.methods.flows.NATIONAL_EXIT_AGE`, scaled by
  :data:`EXIT_SCALE`: ≈1.5% a year at school ages, ≈24% at 19 and after), every plan at
  25 — raised where the next January holds fewer plans of the cohort than stay;
* **new plans** by age at start: ``S(y + 1, a + 1) − S(y, a) + ceased`` (the identity
  ``S(y+1, a+1) = S(y, a) − C(y, a) + N(y, a+1)``; ``S(y + 1, 0)`` at age 0);
* **requests for assessment**: new plans over :data:`CONVERSION` (≈500 new plans from
  ≈790 requests for a median LA, DOMAIN.md); **assessments**: :data:`ASSESSED` of requests
  (≈65% of requests are agreed for assessment).

New plans are written by single year of age, ceased plans by SEN2 age band, requests and
assessments as yearly totals, rounded to whole children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import taxonomy
from ..forecast.methods.flows import NATIONAL_EXIT_AGE

#: Scale of the national exit pattern: plans ceasing a year per plan held, per unit.
EXIT_SCALE = 0.03
#: New plans per request for assessment.
CONVERSION = 0.63
#: Assessments per request.
ASSESSED = 0.65


def derive_flows(caseload: pd.DataFrame) -> pd.DataFrame:
    """The flows table of a borough from its caseload (``year, age, children``).

    Returns:
        ``year, measure, age, age_band, children`` for every calendar year with a January
        caseload after it, rows in a fixed order (blank ``age``/``age_band``: all ages).
    """
    counts = caseload.assign(children=caseload["children"].astype(float))
    grid = counts.pivot_table(
        index="age", columns="year", values="children", aggfunc="sum", fill_value=0.0
    ).reindex(index=list(taxonomy.AGES), fill_value=0.0)
    years = [int(y) for y in grid.columns]
    stock = grid.to_numpy(dtype=float)
    exit_rate = np.clip(NATIONAL_EXIT_AGE * EXIT_SCALE, 0.0, 1.0)
    exit_rate[-1] = 1.0
    rows: list[dict[str, object]] = []
    for k, year in enumerate(years[:-1]):
        now, after = stock[:, k], stock[:, k + 1]
        ceased = now * exit_rate
        stay = now - ceased
        # a cohort smaller next January than those who stay: more of it ceased
        ceased[:-1] += np.maximum(stay[:-1] - after[1:], 0.0)
        new = np.empty(len(taxonomy.AGES))
        new[0] = after[0]
        new[1:] = after[1:] - (now - ceased)[:-1]
        new = np.maximum(new, 0.0)
        requests = new.sum() / CONVERSION
        rows.append({"year": year, "measure": "requests", "children": round(requests)})
        rows.append(
            {"year": year, "measure": "assessments", "children": round(requests * ASSESSED)}
        )
        for age in taxonomy.AGES:
            rows.append(
                {"year": year, "measure": "new_plans", "age": age, "children": round(new[age])}
            )
        for band in taxonomy.AGE_BAND_LABELS:
            lo, hi = taxonomy.band_ages(band)
            rows.append(
                {
                    "year": year,
                    "measure": "ceased_plans",
                    "age_band": band,
                    "children": round(float(ceased[lo : hi + 1].sum())),
                }
            )
    out = pd.DataFrame(rows, columns=["year", "measure", "age", "age_band", "children"])
    out["age"] = out["age"].astype("Int64")
    out["age_band"] = out["age_band"].fillna("")
    out["children"] = out["children"].astype("int64")
    return out
