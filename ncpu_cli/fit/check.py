"""The exact check: run a batch of fillings on every example on the exact machine.

Nothing counts as solved unless this check passes it on every example and
holdout.  One call runs P fillings × E examples as one batch of P·E programs
(program ``p·E + e`` is filling p on example e; `run.arrays` runs them on the
native engine on the CPU, the torch engine elsewhere) and scores each filling: the
examples it passes and a distance (how far its results are from the expected
ones, ``log2(1 + |difference|)`` summed, plus a fixed cost for a wrong status),
which evolution uses to rank fillings that pass the same number of examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import Example, FitSpec
from ncpu_cli.isa import MASK32, load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.result import STATUS_NAMES
from ncpu_cli.run.arrays import run_arrays

SP = load_isa().aliases["sp"]

STATUS_MISS = 64.0  # distance of a wrong final status (more than any 32-bit difference)
MAX_PROGRAMS = 1 << 16  # programs per exact machine (larger batches go in parts)


@dataclass
class Scores:
    """How P fillings do on E examples."""

    passed: np.ndarray  # (P, E) bool
    distance: np.ndarray  # (P,) float

    @property
    def count(self) -> np.ndarray:
        return self.passed.sum(axis=1)  # (P,)


def _wrap(v: np.ndarray) -> np.ndarray:
    return ((np.asarray(v, dtype=np.int64) & MASK32) ^ (1 << 31)) - (1 << 31)  # signed


def _distance(got: np.ndarray, want: int) -> np.ndarray:
    diff = np.abs(_wrap(got).astype(np.float64) - float(_wrap(np.int64(want))))
    return np.log2(1.0 + diff)


class Checker:
    """Scores fillings of `sketch` on `examples` with the exact machine."""

    def __init__(self, sketch: Sketch, spec: FitSpec, device: str = "cpu",
                 engine: str = "auto"):
        self.sketch, self.spec, self.engine = sketch, spec, engine
        self.config = MachineConfig(mem_words=spec.mem_words, max_cycles=spec.max_cycles,
                                    device=device)
        self.programs_run = 0  # programs (filling × example) run so far

    def score(self, fillings: np.ndarray, examples: Sequence[Example]) -> Scores:
        fillings = np.atleast_2d(np.asarray(fillings, dtype=np.int64))
        p_count, e_count = len(fillings), len(examples)
        passed = np.zeros((p_count, e_count), dtype=bool)
        dist = np.zeros(p_count, dtype=np.float64)
        if not e_count or not p_count:
            return Scores(passed, dist)
        step = max(1, MAX_PROGRAMS // e_count)
        for lo in range(0, p_count, step):
            part = fillings[lo: lo + step]
            ok, d = self._score_part(part, examples)
            passed[lo: lo + len(part)], dist[lo: lo + len(part)] = ok, d
        return Scores(passed, dist)

    def _score_part(self, fillings: np.ndarray, examples: Sequence[Example]):
        status, regs, out, out_len, mem = self._run(fillings, examples)
        self.programs_run += len(fillings) * len(examples)
        p_count, e_count = len(fillings), len(examples)
        shape = (p_count, e_count)
        status, out_len = status.reshape(shape), out_len.reshape(shape)  # (P, E)
        regs, out = regs.reshape(*shape, -1), out.reshape(*shape, -1)  # (P, E, 16), (P, E, W)
        mem = mem.reshape(*shape, -1)  # (P, E, N)
        ok = np.ones(shape, dtype=bool)
        dist = np.zeros(p_count, dtype=np.float64)
        for e, ex in enumerate(examples):
            want = ex.expect
            if want.status is None:  # any final status
                good = np.ones(p_count, dtype=bool)
            else:
                good = np.asarray([STATUS_NAMES[int(s)] for s in status[:, e]]) == want.status
                dist += np.where(good, 0.0, STATUS_MISS)
            for reg, value in want.regs.items():
                d = _distance(regs[:, e, reg], value)
                good &= d == 0
                dist += d
            for addr, value in want.mem.items():
                d = _distance(mem[:, e, addr], value)
                good &= d == 0
                dist += d
            if want.out is not None:
                n = len(want.out)
                length_ok = out_len[:, e] == n
                good &= length_ok
                dist += np.log2(1.0 + np.abs(out_len[:, e].astype(np.float64) - n))
                width = out.shape[2]
                for j, value in enumerate(want.out):
                    got = out[:, e, j] if j < width else np.zeros(p_count, dtype=np.int64)
                    d = np.where(out_len[:, e] > j, _distance(got, value), STATUS_MISS / 2)
                    good &= d == 0
                    dist += d
            ok[:, e] = good
        return ok, dist

    def _run(self, fillings: np.ndarray, examples: Sequence[Example]):
        """(status, regs, out, out_len, mem) of program p·E + e, on the exact engine the
        run layer picks for the device (native on the CPU)."""
        sk, n, e_count = self.sketch, self.spec.mem_words, len(examples)
        mems = np.repeat(sk.fill(fillings), e_count, axis=0)  # (P·E, N) unsigned words
        regs = np.zeros((e_count, 16), dtype=np.int64)  # (E, 16) reset, then presets
        regs[:, SP] = n
        width = max((len(ex.inp.input) for ex in examples), default=0)
        inp = np.zeros((e_count, width), dtype=np.int64)  # (E, L)
        lens = np.zeros(e_count, dtype=np.int64)
        for e, ex in enumerate(examples):
            for reg, value in ex.inp.set.items():
                regs[e, reg] = value
            inp[e, : len(ex.inp.input)] = ex.inp.input
            lens[e] = len(ex.inp.input)
            rows = slice(e, None, e_count)  # program p·E + e
            for addr, value in ex.inp.mem.items():
                mems[rows, addr] = value
        tile = len(fillings)
        b = run_arrays(self.config, mems, np.tile(regs, (tile, 1)), sk.image.entry,
                       np.tile(inp, (tile, 1)), np.tile(lens, tile), engine=self.engine)
        return b.status, b.regs, b.out, b.out_len, b.mem
