"""Counting distinct fillings in bounded memory (the tracker's `candidates`).

Each filling (a row of hole indices) is reduced to a 64-bit hash (a splitmix64 chain over
its entries); the hashes seen are kept as a few sorted arrays that merge as they grow (a
log-structured set: a lookup is one binary search per array, an insertion is amortised
O(log n) merges), 8 bytes per filling. At most ``LIMIT`` hashes are remembered; past that a
filling not remembered counts as new, so the count becomes an upper bound (``exact`` turns
False). Two fillings share a hash with probability 2^-64 per pair: about 2·10^-6 that any
pair of 8 million collides.
"""

from __future__ import annotations

import numpy as np

LIMIT = 1 << 23  # hashes remembered (64 MiB); past this the count is an upper bound

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def row_hashes(rows: np.ndarray) -> np.ndarray:
    """(P,) uint64 hashes of the rows of `rows` (P, H) (ints): equal rows, equal hashes."""
    rows = np.ascontiguousarray(np.atleast_2d(rows), dtype=np.int64).view(np.uint64)
    h = np.full(len(rows), _GOLDEN, dtype=np.uint64)  # (P,)
    for j in range(rows.shape[1]):
        h = _mix(h ^ rows[:, j] ^ _GOLDEN)
    return h


class DistinctRows:
    """How many distinct rows have been added (exact up to `limit` distinct rows)."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self.count = 0  # distinct rows seen (an upper bound once `exact` is False)
        self.exact = True
        self._runs: list[np.ndarray] = []  # sorted, disjoint uint64 arrays, sizes decreasing
        self._kept = 0

    def add(self, rows: np.ndarray) -> int:
        """Count the rows of `rows` (P, H) not seen before; returns how many were new."""
        h = np.unique(row_hashes(rows))  # (U,) sorted
        for run in self._runs:
            if not len(h):
                break
            at = np.minimum(np.searchsorted(run, h), len(run) - 1)
            h = h[run[at] != h]
        new = int(len(h))
        self.count += new
        room = self.limit - self._kept
        if len(h) > room:
            h, self.exact = h[:room], False
        if len(h):
            self._kept += len(h)
            self._runs.append(h)
            while len(self._runs) > 1 and len(self._runs[-1]) >= len(self._runs[-2]):
                b, a = self._runs.pop(), self._runs.pop()
                merged = np.concatenate([a, b])  # disjoint: a sort merges them
                merged.sort(kind="stable")
                self._runs.append(merged)
        return new
