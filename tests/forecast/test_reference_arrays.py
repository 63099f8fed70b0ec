"""The reference panel's series behind each forecast series: the region's and England's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sufficiency.forecast.reference import reference_arrays, reference_lead, reference_panel


def test_each_series_reads_its_areas_published_series() -> None:
    panel = reference_panel()
    keys = pd.DataFrame(
        {"need": ["ASD", "SEMH", "*", "*"], "age": ["3", "17", "*", "25"]}
    )  # single ages read their band; the total where no age is kept
    years = np.arange(2018, 2023)
    got = reference_arrays(keys, ("need", "age"), years, "North East")
    lead = reference_lead(years)
    span = np.arange(years[0] - lead, years[-1] + 1)
    assert got.shape == (4, 2, len(span))
    for i, band in enumerate(["0-4", "16-19", "total", "20-25"]):
        for r, area in enumerate(["North East", "England"]):
            rows = panel[(panel["area"] == area) & (panel["age_band"] == band)]
            want = rows.set_index("year")["children"].reindex(span).to_numpy(dtype=float)
            np.testing.assert_array_equal(got[i, r], want)
    # an area the panel does not know reads nothing; without a region, England alone
    assert np.isnan(reference_arrays(keys, ("need", "age"), years, "Atlantis")[:, 0]).all()
    alone = reference_arrays(keys, ("need", "age"), years, None)
    np.testing.assert_array_equal(alone[:, 0], got[:, 1])
    assert reference_arrays(keys.iloc[:0], ("need", "age"), years, None).shape == (0, 1, len(span))
