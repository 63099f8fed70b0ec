"""Children with plans not in a school or college: their arrangements and what they cost.

Other arrangements made by the council (education otherwise than at school) are High Needs
Block spend; elective home education, NEET and unrecorded arrangements are counted and cost
nothing unless the scenario gives a cost. Costs are in base-year prices, inflated at the
general rate of the cost assumptions (their rows with no tier).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config.schema import NotInSchool

_FIELD = {
    "other_arrangements": "other_arrangements_gbp",
    "elective_home_education": "elective_home_education_gbp",
    "neet": "neet_gbp",
    "not_placed": "not_recorded_gbp",
}


def general_index(costs: pd.DataFrame, base_year: int, years: np.ndarray) -> np.ndarray:
    """Cumulative general price index of each plan year relative to the base year, (Y,).

    The general rate is the cost assumptions' rows with no tier (the last row of a year
    wins); a year with none has no inflation.
    """
    general = costs[costs["tier"].astype(str) == ""]
    rate = general.groupby("year")["inflation"].last()
    steps = 1.0 + rate.reindex(years, fill_value=0.0).to_numpy(dtype=float)
    return np.cumprod(steps)


def not_in_school_table(
    not_placed: pd.DataFrame,
    options: NotInSchool,
    costs: pd.DataFrame,
    base_year: int,
    years: list[int],
) -> pd.DataFrame:
    """Children not in a school or college by year, need, age band and arrangement, costed.

    Args:
        not_placed: ``year, need, age_band, level, children`` where ``level`` is the
            arrangement (:data:`sufficiency.model.levels.NOT_IN_SCHOOL_LEVELS`).
        options: Cost per child per year of each arrangement (base-year prices).
        costs: The cost assumptions (``year, tier, inflation, transport_inflation``).
        base_year: Year of the prices.
        years: Plan years.

    Returns:
        ``year, need, age_band, arrangement, children, unit_cost, hnb_cost`` (£; all of it
        High Needs Block spend).
    """
    yrs = np.asarray(years, dtype=int)
    index = pd.Series(general_index(costs, base_year, yrs), index=yrs)
    frame = not_placed[not_placed["year"].isin(yrs)].rename(columns={"level": "arrangement"})
    base = frame["arrangement"].map(lambda a: float(getattr(options, _FIELD[str(a)])))
    unit = base.to_numpy(dtype=float) * index.reindex(frame["year"]).to_numpy(dtype=float)
    out = frame[["year", "need", "age_band", "arrangement", "children"]].assign(unit_cost=unit)
    out["hnb_cost"] = out["children"] * out["unit_cost"]
    return out.sort_values(["year", "need", "age_band", "arrangement"], ignore_index=True)
