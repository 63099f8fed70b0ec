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
# # Your council from its published figures
#
# A first, honest baseline for any English local authority from the figures the DfE
# already publishes ("Education, health and care plans", Department for Education, Open
# Government Licence v3.0), worked here on Dudley (E08000027, old LA number 332).
#
# `DFE` is a folder holding the release's files as downloaded (`caseload.csv`,
# `newplans.csv`, `ceased_plans.csv`, `requests.csv`, `assessments.csv`, …) and, if you
# have them, the older by-age and by-establishment files, which lengthen the history.

# %%
import os
import tempfile
from pathlib import Path

import sufficiency
from sufficiency.forecast.methods.flows import fit_flows, project_flows
from sufficiency.sources.dfe_release import read_dfe_release
from sufficiency.sources.starter import write_starter


def find_dfe(name: str = "shared/data") -> Path:
    """The folder of DfE files: $SUFFICIENCY_DFE, else the first `shared/data` found from
    the working folder upwards (the repository's tests and its notebooks folder alike)."""
    given = os.environ.get("SUFFICIENCY_DFE")
    if given:
        return Path(given)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / name).is_dir():
            return folder / name
    raise FileNotFoundError(f"no {name} folder above {here}: set SUFFICIENCY_DFE to your files")


DFE = find_dfe()  # or Path("path/to/your/downloads")
LA = "332"  # or "E08000027", or "Dudley"

# %% [markdown]
# ## What the DfE publishes for the area

# %%
release = read_dfe_release(DFE, LA)
print(release.la_name, release.la_code, "base year", release.base_year)
release.caseload_total.tail(6)

# %%
release.caseload.groupby(["year", "tier"])["children"].sum().unstack().tail(5).round()

# %%
flows = release.new_plans.rename(columns={"children": "new_plans"}).merge(
    release.requests[["year", "requests"]], on="year", how="left"
)
flows

# %% [markdown]
# ## The flow model: next January = this January, aged, − ceased + new
#
# With no population in the published files, new plans are a rate per plan held, and
# exits are what the stock identity implies. The levers say "requests rise 10% a year"
# and "conversion to a plan falls to 60%".

# %%
fit = fit_flows(
    release.caseload_total,
    release.new_plans,
    caseload_by_age=release.caseload_by_age,
    new_plans_by_age=release.new_plans_by_age,
    requests=release.requests,
)
print(f"new plans per plan held {fit.new_rate:.3f}, conversion {fit.conversion:.2f}")
paths = {
    "fitted rates": project_flows(fit, 5),
    "requests +10% a year": project_flows(fit, 5, requests_growth=0.10),
    "conversion falls to 60%": project_flows(fit, 5, conversion=0.60),
}
{name: p.groupby("year")["children"].sum().round().tolist() for name, p in paths.items()}

# %% [markdown]
# ## A starter scenario, run as written
#
# `sufficiency init --la 332 --dfe DIR OUT` does the same from a terminal. Read the
# comments of `OUT/scenario.yaml`: each `REPLACE` names an assumption (need mix, settings
# register, prices, population) to replace with local knowledge.

# %%
out = Path(tempfile.mkdtemp()) / "dudley"
scenario = write_starter(LA, DFE, out)
result = sufficiency.run(scenario)
assert result.summary["base_year_ehc_plans"] == release.caseload_total["children"].iloc[-1]
result.totals().head()

# %% [markdown]
# ## From your own files: the SEN2 return and the register of establishments
#
# The published figures leave ages, needs, schools and the out-of-area split to national
# shapes. Your SEN2 returns (COLLECT's Blade export) and the DfE's register of
# establishments remove them: `sufficiency init --sen2 DIR --gias FILE OUT` from a
# terminal. Here on the bundled borough's fictional returns: the base year's children per
# school are the return's, and every remaining assumption is listed with the results.

# %%
from sufficiency.example._writing import EXAMPLE_DIR
from sufficiency.sources.council import write_council_starter
from sufficiency.sources.sen2 import read_sen2

own = write_council_starter(
    EXAMPLE_DIR / "sen2", EXAMPLE_DIR / "gias.csv", Path(tempfile.mkdtemp()) / "own"
)
returns = read_sen2(EXAMPLE_DIR / "sen2")
own_result = sufficiency.run(own)
assert own_result.summary["base_year_ehc_plans"] == (returns.children["year"] == 2025).sum()
[a["what"] for a in own_result.summary["assumptions"]]
