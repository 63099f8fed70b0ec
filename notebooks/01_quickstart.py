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
# # Quick start: the example borough
#
# This notebook runs the bundled example borough (the fictional Metropolitan Borough of
# Ashworth) end to end, then walks through the same stages one at a time, as you would
# with your own council's data.
#
# To start from your own data, run `sufficiency example my-borough` in a terminal, replace
# the CSV files in `my-borough/data/` with yours (formats in `docs/data-formats.md`), and
# point `scenario` below at `my-borough/scenario.yaml`.

# %%
import pandas as pd

import sufficiency
from sufficiency import datasets

scenario = datasets.example_path()
result = sufficiency.run(scenario)

# %% [markdown]
# ## Headline figures by year
#
# EHC plans projected (with an 80% interval), children placed, the sufficiency gap
# (children with no eligible place) and the cost of placements (place funding, top-up or
# fees, plus transport, in cash terms).

# %%
totals = result.totals()
totals[
    [
        "year",
        "ehc_plans",
        "ehc_plans_lower",
        "ehc_plans_upper",
        "placed",
        "shortfall",
        "out_of_area",
        "cost",
    ]
].round(0)

# %% [markdown]
# ## Where children are placed, by tier

# %%
by_tier = result.placements.pivot_table(
    index="year", columns="tier", values="children", aggfunc="sum", observed=False
).round(0)
by_tier

# %% [markdown]
# ## The sufficiency gap
#
# Demand that no eligible setting has room for, by need and level (the least specialist
# tier that can meet it).

# %%
gap = result.shortfall.pivot_table(
    index=["need", "level"], columns="year", values="children", aggfunc="sum", observed=True
).round(1)
gap

# %% [markdown]
# ## Which settings are full, and what one more place there is worth
#
# `value_per_place` is the saving (in £ a year) from one more place, read from the
# linear programme's shadow prices; it is zero where a setting has spare places.

# %%
full = result.capacity[result.capacity["value_per_place"] > 0]
full.groupby(["setting", "name", "tier"], observed=True)["value_per_place"].mean().sort_values(
    ascending=False
).head(10).round(0)

# %% [markdown]
# ## Charts and the board report
#
# `sufficiency.report.charts` draws the report's charts as matplotlib figures (shown
# here); `result.write(folder)` also saves them, with an Excel workbook and a one-page
# HTML report, beside the CSV files.

# %%
from sufficiency.report import charts

figures = charts(result)
figures["placements_by_tier"]

# %%
figures["sufficiency_gap"]

# %% [markdown]
# ## The same run, stage by stage
#
# Each stage is a plain function over plain data, so you can stop, inspect or replace
# any of them.

# %%
sc = sufficiency.load_scenario(scenario, set_values={"horizon_years": 5})
inputs = sufficiency.load_inputs(sc)
history = inputs.caseload[inputs.caseload["year"] <= sc.base_year]
fc = sufficiency.forecast_demand(
    history, inputs.population, horizon=sc.horizon_years, method="auto", by=("age_band",)
)
fc.frame.round(0).head(10)

# %% [markdown]
# The forecast's headline (`fc.summary()`: the total with its interval) and its chart by
# age band, the recorded January counts (dashed) before the projection, in whole years:

# %%
fc.summary().round(0)

# %%
from sufficiency.report.plots import forecast_chart

figures = {"forecast": forecast_chart(fc, history, by="age_band")}
figures["forecast"]

# %%
fc.diagnostics[["age_band", "method", "mase_poisson_glm", "mase_drift", "mase_naive"]].round(2)

# %%
from sufficiency.allocate import demand_by_level, level_shares

by_need = sufficiency.forecast_demand(history, inputs.population, horizon=sc.horizon_years)
demand = demand_by_level(
    by_need.frame, level_shares(inputs.caseload, inputs.settings, sc.base_year)
)
demand = demand[demand["level"] != "not_placed"]
arrays = sufficiency.build_arrays(
    demand, inputs, base_year=sc.base_year, years=sc.plan_years, unmet_penalty=1e6
)
allocation = sufficiency.allocate(arrays)
pd.Series(
    {
        "eligible pairs": arrays.n_pairs,
        "objective (£)": round(allocation.solution.objective),
        "solver": allocation.solution.solver,
    }
)
