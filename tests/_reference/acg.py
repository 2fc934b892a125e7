"""Dense numpy reference of the action complement graph, written from the paper's equations.

Every quantity is a full T x T matrix; nothing is shared with the library code.
"""
from __future__ import annotations

import numpy as np


def dense_acg(x, k=50, threshold=0.85, alpha=1.0, z=10, graph="full"):
    """Return (A, keep, A_hat) as T x T arrays for one video x [T, D] (numpy, dtype kept).

    Eq. 1: As_ij = f_i . f_j / (max(|f_i|, eps) max(|f_j|, eps));  Eq. 2: At_ij = 1 - max(Z-|i-j|,0)/Z
    Eq. 3: A = (As + alpha At) / 2;  Eq. 4: keep iff A_ij > lambda and rank_i(j) <= K
    (ties at the K-th place: smaller j first);  A_hat = A' / rowsum(A'), zero rows stay zero.
    """
    x = np.asarray(x)
    t = x.shape[0]
    dtype = x.dtype
    norm = np.sqrt((x * x).sum(axis=1, keepdims=True))
    xn = x / np.maximum(norm, dtype.type(1e-12))
    a_s = xn @ xn.T
    i = np.arange(t)[:, None]
    j = np.arange(t)[None, :]
    a_t = (1 - np.maximum(z - np.abs(i - j), 0).astype(dtype) / dtype.type(z)).astype(dtype)
    if graph == "full":
        a = (a_s + dtype.type(alpha) * a_t) / 2
    elif graph == "similarity":
        a = a_s
    elif graph == "similarity_minus_temporal":
        a = (a_s - dtype.type(alpha) * a_t) / 2
    elif graph == "temporal_only":
        a = a_t.copy()
    else:
        raise ValueError(graph)
    kk = min(k, t)
    keep = np.zeros((t, t), dtype=bool)
    for row in range(t):
        # rank by value descending, ties broken by the smaller column index
        order = np.lexsort((np.arange(t), -a[row]))
        top = order[:kk]
        keep[row, top] = a[row, top] > threshold
    a_prime = np.where(keep, a, 0).astype(dtype)
    row_sum = a_prime.sum(axis=1, keepdims=True)
    a_hat = np.where(row_sum != 0, a_prime / np.where(row_sum != 0, row_sum, 1), 0).astype(dtype)
    return a, keep, a_hat


def edges_to_dense(edge_index, edge_weight, num_nodes):
    """(keep, weights) as N x N arrays, row = target i, column = source j."""
    ei = np.asarray(edge_index)
    w = np.asarray(edge_weight)
    keep = np.zeros((num_nodes, num_nodes), dtype=bool)
    dense = np.zeros((num_nodes, num_nodes), dtype=np.float64)
    keep[ei[1], ei[0]] = True
    np.add.at(dense, (ei[1], ei[0]), w)
    return keep, dense
