"""Demand projection: children by need and age, with backtests, intervals and sample paths.

:func:`forecast_demand` (:mod:`.project`) is a short chain over the history frame:

1. :mod:`.panel` — the history as series (cells, and the totals they add up to), with the
   reference panel (:mod:`.reference`) and population attached;
2. :mod:`.backtest` — every candidate refitted at rolling origins and scored;
   :mod:`.choice` — which methods the data allows, which the backtest rules out, and
   ``auto``'s one-standard-error choice per series;
3. :mod:`.final` — each series fitted on its whole history with its choice (then its
   fallbacks), within the physical bounds of :mod:`.bounds`;
4. :mod:`.reconcile` — cells and totals made to add up;
5. :mod:`.calibrate` and :mod:`.intervals` — intervals and joint sample paths calibrated on
   the backtest's errors;
6. :mod:`.assemble`, :mod:`.notes` and :mod:`.result` — the frames, warnings and the
   :class:`DemandForecast` returned.

The methods themselves live in :mod:`.methods`, one module per family, each declaring its
names, needs and fallback in the one registry (:data:`.methods.METHODS`).
"""

from .evaluate import backtest_table, summarise_backtest
from .methods import METHOD_NAMES
from .methods.flowmethod import FlowLevers
from .project import DEFAULT_CANDIDATES, forecast_demand
from .reconcile import RECONCILE_METHODS
from .result import DemandForecast

__all__ = [
    "DEFAULT_CANDIDATES",
    "METHOD_NAMES",
    "RECONCILE_METHODS",
    "DemandForecast",
    "FlowLevers",
    "backtest_table",
    "forecast_demand",
    "summarise_backtest",
]
