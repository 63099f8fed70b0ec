# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scenarios side by side, and a capital programme
#
# The scenario files in `scenarios/` each answer one question on the example borough.
# Here we compare four of them with the baseline, then look at what the capital
# programme builds and what one more place is worth in each full setting. The scenarios
# share the borough's data, so the forecast's notes on small series are said once
# (`compare` shows each warning once; each result keeps its own in
# `summary["forecast_warnings"]`).

# %%
from pathlib import Path

import sufficiency

scenarios = Path("..") / "scenarios"
comparison = sufficiency.compare(
    [
        scenarios / "baseline.yaml",
        scenarios / "reduce_out_of_area.yaml",
        scenarios / "inclusion_mainstream.yaml",
        scenarios / "demand_shock.yaml",
        scenarios / "capital_programme.yaml",
    ]
)
table = comparison.table
table.pivot(index="year", columns="scenario", values="cost_diff").round(-3)

# %% [markdown]
# Out-of-area placements and the sufficiency gap, each scenario against the first:

# %%
table.pivot(index="year", columns="scenario", values=["out_of_area", "shortfall"]).round(0)

# %% [markdown]
# ## The out-of-area target: what it is missed by, and the local places it needs

# %%
ooa = comparison.results[1]
ooa.totals()[
    [
        "year",
        "out_of_area_cap",
        "out_of_area_counted",
        "out_of_area_target_missed",
        "cost",
        "unmitigated_cost",
    ]
].round(0)

# %%
needed = ooa.local_places.pivot_table(
    index="year", columns="tier", values="further_places_to_meet_target", observed=True
)
needed.loc[:, needed.sum() > 0].round(0)

# %% [markdown]
# ## Capital programme
#
# Which options does the optimiser build, when, and what does each save against placing
# the same children elsewhere? (Capital is annualised over 40 years at 3.5%.)

# %%
capital = comparison.results[-1]  # capital_programme.yaml, run in the comparison above
capital.builds[
    [
        "option",
        "decision",
        "built",
        "open_year",
        "places",
        "capital_cost",
        "net_saving",
        "shortfall_avoided",
        "out_of_area_avoided",
        "payback_years",
    ]
].round(1)

# %% [markdown]
# The ten places worth most, from the linear programme's shadow prices (with the build
# decisions fixed):

# %%
import pandas as pd

pd.DataFrame(capital.summary["most_valuable_places"])

# %% [markdown]
# And for every need, age band and level, the saving per child of the cheapest local
# place over the cheapest out-of-area one — the evidence a capital bid needs:

# %%
capital.cost_avoided.dropna().sort_values("saving_per_child", ascending=False).head(10)
