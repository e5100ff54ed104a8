"""Flow cover cuts on the stock rows: valid rows that lift the LP bound before the MIP.

A stock row sum_j x_j <= S (units of one SKU at one node, one arc j per order line) with the
linking rows x_j <= u_j y_j is a single-node flow set. For a cover C (sum of u_j over C
exceeds S by lambda > 0) every plan satisfies the simple flow cover inequality of Padberg, Van
Roy and Wolsey (1985):

    sum_{j in C} x_j + sum_{j in C} max(u_j - lambda, 0) (1 - y_j) <= S

(if every y in C is 1 it is the row itself, as the second sum only drops; if some y_j is 0,
x_j is 0 and the rest ship at most min(S, sum of the others' u) <= S - max(u_j - lambda, 0)).
The LP relaxation misses it where orders share a node's stock fractionally: an order of two
units takes one from each of two nodes and pays half of each shipment.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optimize.order_routing.instance import RoutingInstance
from optimize.order_routing.model import Model

__all__ = ["flow_cover_cuts"]

# violation (units) below which a cut is not worth a row
_MIN_VIOLATION = 1e-4


def flow_cover_cuts(inst: RoutingInstance, model: Model, values: np.ndarray
                    ) -> tuple[sp.csr_matrix, np.ndarray]:
    """Flow cover rows `matrix @ v <= rhs` (units) that the LP point `values` violates.

    One cut at most per stock row: the cover is the prefix, by falling y, of the arcs the LP
    ships on that gives the largest violation.
    """
    n_pairs, n_arcs = model.n_pairs, model.n_arcs
    y = values[model.arc_pair]
    x = values[n_pairs: n_pairs + n_arcs]
    ub = model.var_ub[n_pairs: n_pairs + n_arcs]
    n_skus = len(inst.sku_ids)
    key = model.arc_node * n_skus + inst.line_sku[model.arc_line]
    limit = inst.stock.ravel()
    # arcs grouped by stock row, shipped arcs first, each group by falling y
    used = x > _MIN_VIOLATION
    order = np.lexsort((-y, ~used, key))
    starts = np.searchsorted(key[order], np.arange(len(limit) + 1))
    rows, cols, vals, rhs = [], [], [], []
    for row in np.flatnonzero(model.stock_rows >= 0):
        arcs = order[starts[row]: starts[row + 1]]
        arcs = arcs[used[arcs]]
        over = np.cumsum(ub[arcs]) - limit[row]  # lambda of each prefix
        best, best_k, best_coef = _MIN_VIOLATION, 0, None
        for k in np.flatnonzero(over > _MIN_VIOLATION):
            c = arcs[: k + 1]
            coef = np.maximum(ub[c] - over[k], 0.0)
            violation = x[c].sum() + coef @ (1.0 - y[c]) - limit[row]
            if violation > best:
                best, best_k, best_coef = violation, k + 1, coef
        if best_coef is None:
            continue
        c = arcs[:best_k]
        # as a row: sum x_C - sum coef y_C <= S - sum coef
        rows += [np.full(2 * best_k, len(rhs))]
        cols += [n_pairs + c, model.arc_pair[c]]
        vals += [np.ones(best_k), -best_coef]
        rhs.append(limit[row] - best_coef.sum())
    n_vars = len(model.objective)
    if not rhs:
        return sp.csr_matrix((0, n_vars)), np.zeros(0)
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(len(rhs), n_vars))
    return matrix, np.asarray(rhs, dtype=float)
