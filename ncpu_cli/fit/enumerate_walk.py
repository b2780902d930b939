"""The state of one enumeration (`Walk`): the plan, every lane's cursor and buffers, and
what the passes have counted; `step` runs the compiled lanes (`enumerate_kernel`).

Results do not depend on the number of threads: LANES lanes, each a fixed share of the
first unit's rows, each advancing by a fixed amount of work per step.

**New examples (CEGIS).** A counterexample changes which prefixes are equivalent, so a
walk that prunes starts a new *pass* at its cursors (or from the start, when the plan's
units or renaming changed) with empty state tables, and is done only when one pass has
gone all the way round with the examples it ends with. Every filling that pass skipped is
equivalent, on those examples and the holdout, to one it evaluated. A walk that does not
prune goes on where it is: a filling that failed the old examples fails the new ones.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ncpu_cli.fit.enumerate_kernel import (
    C_DONE,
    C_LEAVES,
    C_PASS,
    C_SIZE,
    C_WORK,
    enter,
    run_lanes,
)
from ncpu_cli.fit.enumerate_plan import make_plan
from ncpu_cli.fit.enumerate_units import fill_rows
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import Example, FitSpec

LANES = 4  # independent walks (one thread each at most); fixed, so results never depend
#            on the number of threads
FOUND_CAP = 16  # fillings a lane may find before a step ends (they are checked exactly)
CACHE_BYTES = 64 << 20  # state tables of all lanes and depths together
CACHE_SLOTS = (64, 1 << 16)  # slots per lane and depth: at least, at most
NO_KEY = np.iinfo(np.int64).max


class Walk:
    """Enumerates the fillings of `sketch` on `examples` (and the spec's holdout)."""

    def __init__(self, sketch: Sketch, spec: FitSpec, examples: Sequence[Example],
                 prune: bool = True, lanes: int = LANES, cache_bytes: int = CACHE_BYTES):
        self.sketch, self.spec, self.prune = sketch, spec, prune
        self.lanes, self.cache_bytes = lanes, cache_bytes
        self.plan = make_plan(sketch, spec, examples, prune)
        self.leaves = 0  # fillings evaluated, every pass
        self.passes = 1
        self.best: np.ndarray | None = None  # (H,) the best filling of the latest step
        U, n = self.plan.units, sketch.mem_words
        L = lanes
        self._cursor = (np.zeros((L, C_SIZE), np.int64), np.zeros((L, U), np.int64),
                        np.zeros((L, U + 1), np.int64), np.zeros((L, U), np.int64),
                        np.zeros((L, U), np.int64))
        self._image = (np.zeros((L, n), np.int64), np.zeros((L, n, 6), np.int64),
                       np.full((L, n), -1, np.int64), np.zeros((L, n, 2), np.int64),
                       np.zeros((L, 16), np.int64))
        self._start(fresh=True)

    # -- lanes --------------------------------------------------------------------------
    def _alloc(self) -> None:
        """The buffers that depend on the examples and the plan."""
        p, L = self.plan, self.lanes
        U, j = p.units, p.depth
        e_all = p.arrays[18].shape[0]  # ER: examples and holdout
        key = 1 + e_all * int(max(p.arrays[16].max(), 1))
        slots = CACHE_SLOTS[0]
        if j:
            room = self.cache_bytes // (L * j * (key * 4 + 8))
            fit = 1 << max(0, room.bit_length() - 1)  # the largest power of two that fits
            slots = int(min(CACHE_SLOTS[1], max(CACHE_SLOTS[0], fit)))
        else:
            slots, key = 1, 1
        width = max(int(p.arrays[22][4]), 1)  # TAIL's output buffer
        self._examples = (np.zeros((L, j + 1, e_all, 16), np.int64),  # ST
                          np.zeros((L, width), np.int64), np.zeros((L, 8), np.int64),
                          np.zeros((L, len(self.sketch.holes)), np.int64),
                          np.zeros((L, j + 1, slots), np.uint64),
                          np.zeros((L, j + 1, slots, key), np.int32))
        self._out = (np.zeros((L, FOUND_CAP, U), np.int64), np.zeros(L, np.int64),
                     np.zeros((L, U), np.int64), np.zeros((L, 2), np.int64),
                     np.zeros((L, U), np.int64), np.zeros((L, U), np.int64))
        self.slots = slots

    @property
    def _lane_arrays(self) -> tuple:
        CUR, POS, MM, STOP, ROWS = self._cursor
        MEM, DC, STAMP, LOGS, RG = self._image
        ST, OUTB, SS, FF, CH, CK = self._examples
        FOUND, NFOUND, BEST, BKEY, PR, SK = self._out
        return (CUR, POS, MM, STOP, ROWS, ST, MEM, DC, STAMP, LOGS, RG, OUTB, SS, FF, CH, CK,
                FOUND, NFOUND, BEST, BKEY, PR, SK)

    @property
    def _program(self) -> tuple:
        t = self.plan.tables
        return (*t.sketch_arrays, t.dec, t.fields)

    def _start(self, fresh: bool, new_pass: bool = True) -> None:
        self._alloc()
        cur, pos = self._cursor[0], self._cursor[1]
        if fresh:
            cur[:] = 0
            pos[:] = 0
            pos[:, 0] = np.arange(self.lanes)
        la = self._lane_arrays
        for lane in range(self.lanes):
            enter(lane, new_pass, self.plan.arrays, self._program, self.plan.tables.words0, la)

    @property
    def done(self) -> bool:
        return bool(self._cursor[0][:, C_DONE].all())

    # -- walking ------------------------------------------------------------------------
    def step(self, work: int) -> tuple[np.ndarray, int]:
        """Advance every lane by work / LANES instructions run: (the fillings found (F, H) that
        pass every example, leaves evaluated). Sets `best`."""
        cur = self._cursor[0]
        cur[:, C_LEAVES] = 0
        cur[:, C_WORK] = 0
        found, nfound, best, bkey = self._out[:4]
        nfound[:] = 0
        bkey[:, 0], bkey[:, 1] = -1, NO_KEY
        run_lanes(max(1, work // self.lanes), FOUND_CAP, self.plan.arrays, self._program,
                  self.plan.tables.words0, self._lane_arrays)
        leaves = int(cur[:, C_LEAVES].sum())
        self.leaves += leaves
        rows = np.concatenate([found[lane, : nfound[lane]] for lane in range(self.lanes)])
        self.best = None
        if (bkey[:, 0] >= 0).any():
            top = max(range(self.lanes), key=lambda lane: (bkey[lane, 0], -bkey[lane, 1], -lane))
            self.best = self.fillings(best[top: top + 1])[0]
        return self.fillings(rows), leaves

    def fillings(self, rows: np.ndarray) -> np.ndarray:
        """(F, H) the fillings of unit rows (F, U) (in the plan's unit order)."""
        out = np.zeros((len(rows), len(self.sketch.holes)), dtype=np.int64)
        for d, unit in enumerate(self.plan.order):
            fill_rows(unit, rows[:, d], out)
        return out

    def update(self, examples: Sequence[Example]) -> None:
        """The examples grew (a counterexample): see the module's docstring."""
        old = self.plan
        self.plan = make_plan(self.sketch, self.spec, examples, self.prune)
        prunes = bool(old.depth or old.rename or self.plan.depth or self.plan.rename)
        if prunes:
            self.passes += 1
        self._start(fresh=old.signature != self.plan.signature, new_pass=prunes)

    # -- what it covered ----------------------------------------------------------------
    @property
    def visited(self) -> int:
        """Fillings evaluated in the current pass."""
        return int(self._cursor[0][:, C_PASS].sum())

    @property
    def covered(self) -> int:
        """Fillings the current pass accounts for: evaluated, or skipped as equivalent to one
        it evaluated (or will: a pass ends where it began). Equals the space once done."""
        p = self.plan
        pr, sk = self._out[4], self._out[5]
        W = p.multipliers
        ud, loff, lcnt = p.arrays[1], p.arrays[10], p.arrays[11]
        root = int(lcnt[0, 0]) if loff[0, 0] >= 0 else int(ud[0])
        total = self.visited + (int(ud[0]) - root) * W[0]
        for d in range(p.units):
            total += int(pr[:, d].sum() + sk[:, d].sum()) * W[d]
        return total

    def summary(self) -> str:
        """One line: what was pruned and how much of the space the walk covered."""
        p = self.plan
        parts = []
        if p.depth:
            parts.append(f"prefix states at depths 1-{p.depth}")
        if p.rename:
            parts.append("renaming of " + ",".join(f"r{r}" for r in p.rename))
        how = " and ".join(parts) or "no pruning"
        passes = f"pass {self.passes}" if self.passes > 1 else "one pass"
        if self.done:
            return (f"enumerate: {how}; {passes} evaluated {self.visited:,} of the "
                    f"{self.sketch.space:,} fillings, the rest equivalent to one of them "
                    f"(covered: {self.covered:,})")
        return (f"enumerate: {how}; {self.visited:,} fillings evaluated in {passes}, "
                f"unfinished (space {self.sketch.space:,})")
