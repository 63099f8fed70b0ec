"""Making cells add up to totals: the hierarchy's summing matrix and forecast reconciliation.

The series by need × age band sit in a grouped hierarchy: the total, each age band (all
needs), each need (all ages), and the cells. With base forecasts ``ŷ`` for every node
(aggregates first, then the cells), a reconciled forecast of the cells is ``b̃ = G ŷ`` and
of every node ``S b̃`` — coherent by construction. Methods (Wickramasuriya, Athanasopoulos
& Hyndman 2019, "optimal forecast reconciliation"):

* ``bottom_up``: ``G = [0 I]``, the cells' own forecasts (the default).
* ``ols``: ``G = (SᵀS)⁻¹Sᵀ``.
* ``wls_struct``: ``W = diag(S·1)`` (each node weighted by how many cells it sums).
* ``mint_shrink``: ``W`` = the covariance of one-year-ahead backtest errors of every
  node, shrunk towards its diagonal (Schäfer & Strimmer 2005).

With ``W``, ``G = (SᵀW⁻¹S)⁻¹SᵀW⁻¹``, which satisfies ``G S = I`` (coherent forecasts are
left unchanged). Negative reconciled values are set to zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .panel import ALL

RECONCILE_METHODS: tuple[str, ...] = ("bottom_up", "ols", "wls_struct", "mint_shrink")


def hierarchy(keys: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Summing matrix of the grouped hierarchy over ``by``.

    Args:
        keys: The cells, one row each, ``by`` columns as text.
        by: Key columns.

    Returns:
        ``S`` of shape ``(n_nodes, n_cells)`` (aggregate nodes first, then the cells in
        order) and the nodes' keys (``*`` where summed over).
    """
    by = list(by)
    n_cells = len(keys)
    rows: list[np.ndarray] = []
    node_keys: list[dict[str, str]] = []
    if by:
        rows.append(np.ones(n_cells))
        node_keys.append(dict.fromkeys(by, ALL))
    if len(by) > 1:
        for dim in by:
            for value in sorted(set(keys[dim])):
                rows.append((keys[dim] == value).to_numpy(dtype=float))
                node_keys.append({k: (value if k == dim else ALL) for k in by})
    agg = np.array(rows).reshape(len(rows), n_cells)
    s = np.vstack([agg, np.eye(n_cells)])
    frame = pd.concat(
        [pd.DataFrame(node_keys, columns=by), keys[by].reset_index(drop=True)], ignore_index=True
    )
    return s, frame.astype(str)


def shrunk_covariance(errors: np.ndarray) -> tuple[np.ndarray, float]:
    """Covariance of ``(T, N)`` errors shrunk towards its diagonal; and the shrinkage.

    Schäfer & Strimmer's (2005) target "D": the intensity is the estimated sampling
    variance of the off-diagonal correlations over their squared size, clipped to [0, 1].
    """
    t, n = errors.shape
    x = errors - errors.mean(axis=0)
    cov = x.T @ x / max(t - 1, 1)
    sd = np.sqrt(np.maximum(np.diag(cov), 1e-12))
    xs = x / sd
    corr = xs.T @ xs / max(t - 1, 1)
    w = xs * xs
    var_r = (w.T @ w - (xs.T @ xs) ** 2 / t) * t / max((t - 1) ** 3, 1)
    off = ~np.eye(n, dtype=bool)
    denom = float((corr[off] ** 2).sum())
    lam = float(np.clip(var_r[off].sum() / denom, 0.0, 1.0)) if denom > 0 else 1.0
    shrunk = lam * np.diag(np.diag(cov)) + (1.0 - lam) * cov
    return shrunk, lam


def reconciliation_matrix(
    s: np.ndarray, method: str, errors: np.ndarray | None = None
) -> tuple[np.ndarray, str]:
    """``G`` mapping base forecasts of every node to reconciled cell forecasts.

    Args:
        s: Summing matrix ``(n_nodes, n_cells)``.
        method: One of :data:`RECONCILE_METHODS`.
        errors: ``(T, n_nodes)`` one-year-ahead backtest errors (``mint_shrink``).

    Returns:
        ``G`` of shape ``(n_cells, n_nodes)`` and a note on what was done (e.g. the
        shrinkage intensity, or a fallback to ``wls_struct`` without enough errors).

    Raises:
        ValueError: For an unknown method.
    """
    n_nodes, n_cells = s.shape
    if method == "bottom_up":
        return np.hstack([np.zeros((n_cells, n_nodes - n_cells)), np.eye(n_cells)]), ""
    note = ""
    if method == "ols":
        w_inv = np.eye(n_nodes)
    elif method == "wls_struct":
        w_inv = np.diag(1.0 / s.sum(axis=1))
    elif method == "mint_shrink":
        usable = None if errors is None else errors[np.all(np.isfinite(errors), axis=1)]
        if usable is None or len(usable) < 3:
            w_inv = np.diag(1.0 / s.sum(axis=1))
            note = "mint_shrink: fewer than 3 complete backtest origins, used wls_struct"
        else:
            w, lam = shrunk_covariance(usable)
            w = w + np.eye(n_nodes) * 1e-6 * max(float(np.trace(w)) / n_nodes, 1e-6)
            w_inv = np.linalg.pinv(w)
            note = f"mint_shrink: shrinkage {lam:.2f} over {len(usable)} origins"
    else:
        raise ValueError(f"unknown reconciliation {method!r}; use {', '.join(RECONCILE_METHODS)}")
    a = s.T @ w_inv @ s
    g = np.linalg.solve(a, s.T @ w_inv)
    return g, note


def reconcile(g: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Reconciled cell values ``max(G·base, 0)``; ``base`` has nodes on the first axis."""
    out = np.tensordot(g, base, axes=(1, 0))
    return np.maximum(out, 0.0)
