"""The gradient move of `--method mcmc --proposals gradient` (compiled with numba).

A chain holds one proposal table (`fit/proposals.py`): lw (K,) log-weights, hole h's
candidates at lw[off[h]:off[h+1]]. At filling x the move proposes switching one hole h
(tabled, and live: an operand the chosen mnemonic ignores is not proposed) to k != x_h with

    q(x -> x') = exp(lw[h, k] - lw[h, x_h]) / Z(x),   Z(x) = Σ_h live (A_h e^{-lw[h, x_h]} - 1)

(A_h = Σ_j e^{lw[h, j]}), the Gibbs-with-Gradients proposal. Its reverse is the switch
back, so the Metropolis-Hastings log ratio log q(x' -> x) - log q(x -> x') is

    2 (lw[h, x_h] - lw[h, k]) + log Z(x) - log Z(x')

which the chain adds to its acceptance bound. The table is fixed between refreshes, so
each stretch of moves keeps exp(-β cost) stationary (a test compares visit frequencies
with the exact distribution on an enumerable sketch).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ncpu_cli.fit.mcmc_moves import H_UNIT, U_GROUP, _live, _set, uniform


@njit(cache=True, _nrt=False)
def table_sums(off, lw, A):
    """A[h] = Σ_j exp(lw[off[h] + j]) for every hole (0 for an untabled one)."""
    for h in range(A.shape[0]):
        s = 0.0
        for j in range(off[h], off[h + 1]):
            s += math.exp(lw[j])
        A[h] = s


@njit(cache=True, _nrt=False)
def _z(f, off, lw, A, wh, HT, UT, GT, CT):
    """Z(f), filling wh (H,) with each hole's share (0 where it cannot move)."""
    z = 0.0
    for h in range(f.shape[0]):
        wh[h] = 0.0
        if off[h + 1] > off[h] and _live(h, f, HT, GT, CT, UT[HT[h, H_UNIT], U_GROUP]):
            wh[h] = A[h] * math.exp(-lw[off[h] + f[h]]) - 1.0
            z += wh[h]
    return z


@njit(cache=True, _nrt=False)
def grad_move(f, st, off, lw, A, wh, HT, UT, GT, CT, chg, tu):
    """Change one hole of f by the gradient proposal: (holes changed, units touched, the
    Metropolis-Hastings log ratio); (0, 0, 0.0) where no tabled hole can move."""
    z = _z(f, off, lw, A, wh, HT, UT, GT, CT)
    if not z > 1e-300:
        return 0, 0, 0.0
    r = uniform(st) * z
    h = -1
    for i in range(f.shape[0]):
        if wh[i] > 0.0:
            h = i
            r -= wh[i]
            if r <= 0.0:
                break
    old = f[h]
    o = off[h]
    total = A[h] - math.exp(lw[o + old])
    r = uniform(st) * total
    k = -1
    for j in range(off[h + 1] - o):
        if j != old:
            k = j
            r -= math.exp(lw[o + j])
            if r <= 0.0:
                break
    nchg = _set(f, h, k, chg, 0)
    tu[0, 0] = HT[h, H_UNIT]
    z2 = _z(f, off, lw, A, wh, HT, UT, GT, CT)
    return nchg, 1, 2.0 * (lw[o + old] - lw[o + k]) + math.log(z) - math.log(z2)


def no_tables(holes: int, chains: int) -> tuple[np.ndarray, np.ndarray]:
    """(off (H+1,), lw (C, 1)): every hole untabled (the gradient move never fires)."""
    return np.zeros(holes + 1, dtype=np.int64), np.zeros((chains, 1), dtype=np.float64)
