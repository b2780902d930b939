"""Verification: a candidate against the reference on fresh inputs (the CEGIS oracle).

``Verifier.check(filling, n)`` draws n fresh inputs from the spec's input space (a new
seed each call: the edge sweep first -- every edge value of every input key -- then
random draws with edge values mixed in), runs the reference on them as one exact batch
and the candidate as another, and compares what the spec's ``check`` names. The first
input where they differ comes back as an Example whose expect is the reference's result
there, ready to join the examples.

Without a reference (a spec with ``inputs`` only) the truth is only "halts": a
candidate that faults or times out on a drawn input fails there.
"""

from __future__ import annotations

import numpy as np

from ncpu_cli.errors import FitError
from ncpu_cli.fit.draw import Inputs, draw, edge_sweep, infer_space
from ncpu_cli.fit.reference import bad_runs, failure, run_inputs, run_reference
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec_types import Check, Example, Expect, FitSpec
from ncpu_cli.isa import MASK32, S_HALTED
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.result import HALTED
from ncpu_cli.run.arrays import Final

DEFAULT_VERIFY = 10_000  # fresh inputs, when the spec has a reference or inputs
EDGE_RATE = 0.125  # chance that a key of a random draw takes one of its edge values
STREAM = 0x7E51F1  # mixed into the seed: verification draws never repeat the examples'


def verify_count(spec: FitSpec, options=None) -> int:
    """Fresh inputs a solution must pass: `options.verify` (the command line), else the
    spec's `verify:`, else DEFAULT_VERIFY when the spec has a reference or inputs, else 0."""
    n = getattr(options, "verify", None)
    if n is None:
        n = spec.verify
    if n is None:
        n = DEFAULT_VERIFY if spec.reference is not None or spec.inputs is not None else 0
    if n < 0:
        raise FitError(f"--verify must be at least 0, got {n}")
    return int(n)


def _rows(f: Final, rows: np.ndarray) -> Final:
    return Final(f.status[rows], f.regs[rows], f.out[rows], f.out_len[rows], f.mem[rows])


def _padded(out: np.ndarray, width: int) -> np.ndarray:
    return np.pad(np.asarray(out, dtype=np.int64) & MASK32, ((0, 0), (0, width - out.shape[1])))


def agree(cand: Final, ref: Final, check: Check) -> np.ndarray:
    """(B,) bool: run b of the candidate ends as run b of the reference, in what `check`
    names (the reference's runs all halted)."""
    ok = np.ones(len(cand.status), dtype=bool)
    if check.status:
        ok &= np.asarray(cand.status) == S_HALTED
    for r in check.regs:
        ok &= (cand.regs[:, r].astype(np.int64) & MASK32) == (ref.regs[:, r].astype(np.int64) & MASK32)
    for a in check.mem:
        ok &= (cand.mem[:, a].astype(np.int64) & MASK32) == (ref.mem[:, a].astype(np.int64) & MASK32)
    if check.out:
        width = max(cand.out.shape[1], ref.out.shape[1])
        c, w = _padded(cand.out, width), _padded(ref.out, width)  # (B, W)
        used = np.arange(width)[None, :] < np.asarray(ref.out_len)[:, None]  # (B, W)
        ok &= np.asarray(cand.out_len) == np.asarray(ref.out_len)
        ok &= ((c == w) | ~used).all(axis=1)
    return ok


class Verifier:
    """Checks fillings of `sketch` against `spec`'s reference on fresh inputs."""

    def __init__(self, spec: FitSpec, sketch: Sketch, checker=None, *, seed: int = 0,
                 engine: str = "auto", device: str = "cpu"):
        """`checker`: a Checker (its machine and engine are used), an engine name, or None
        (`engine`, `device`)."""
        if isinstance(checker, str):
            checker, engine = None, checker
        if checker is not None:
            config, engine = checker.config, checker.engine
        else:
            config = MachineConfig(mem_words=spec.mem_words, max_cycles=spec.max_cycles,
                                   device=device)
        if spec.reference is None and spec.inputs is None:
            raise FitError(f"{spec.name}: nothing to verify against: the spec has neither a "
                           "`reference` nor `inputs`")
        self.spec, self.sketch, self.config, self.engine = spec, sketch, config, engine
        self.space = spec.inputs if spec.inputs is not None else infer_space(
            spec.examples + spec.holdout, spec.mem_words)
        self.seed = seed
        self.calls = 0
        self.dropped = 0  # inputs of an inferred space on which the reference fails

    def fresh_inputs(self, n: int) -> Inputs:
        """n fresh inputs: the edge sweep (cut to n), then random draws; a new seed each call."""
        rng = np.random.default_rng([self.seed, STREAM, self.calls])
        self.calls += 1
        sweep = edge_sweep(self.space, rng, self.spec.mem_words)
        sweep = sweep.take(rng.permutation(len(sweep))[:n])
        if len(sweep) >= n or not self.space.keys():
            return sweep
        rest = draw(self.space, n - len(sweep), rng, self.spec.mem_words, EDGE_RATE)
        return Inputs.concat([sweep, rest])

    def check(self, filling: np.ndarray, n: int) -> tuple[int, Example | None]:
        """Run `filling` (H,) and the reference on n fresh inputs (one exact batch each):
        (inputs passed, the first failing input as an Example with the reference's
        expected results, or None when all pass)."""
        if n <= 0:
            return 0, None
        inputs = self.fresh_inputs(n)
        ref, truth = self.spec.reference, None
        if ref is not None:
            truth = run_reference(ref, inputs, self.spec.mem_words, device=self.config.device,
                                  engine=self.engine)
            bad = bad_runs(truth)
            if len(bad):
                i = int(bad[0])
                if not self.space.inferred:
                    raise FitError(
                        f"{ref.name}: the reference {failure(ref, truth, i)} on a drawn input "
                        f"({inputs.describe(i)}); it must halt on every input `inputs` can "
                        "draw (narrow `inputs`, or raise `reference_max_cycles`)")
                good = np.flatnonzero(np.asarray(truth.status) == S_HALTED)
                self.dropped += len(inputs) - len(good)
                inputs, truth = inputs.take(good), _rows(truth, good)
        words = self.sketch.fill(np.asarray(filling, dtype=np.int64)[None, :])[0]  # (N,)
        cand = run_inputs(words, self.sketch.image.entry, inputs, self.config, self.engine)
        if truth is None:  # inputs only: the candidate must halt
            ok = np.asarray(cand.status) == S_HALTED
        else:
            ok = agree(cand, truth, self.spec.check)
        wrong = np.flatnonzero(~ok)
        if not len(wrong):
            return len(inputs), None
        i = int(wrong[0])
        if truth is None:
            want = Expect(status=HALTED)
        else:
            regs = np.asarray(truth.regs[i], dtype=np.int64) & MASK32
            out = np.asarray(truth.out[i, : int(truth.out_len[i])], dtype=np.int64) & MASK32
            want = self.spec.check.expect(regs, out, np.asarray(truth.mem[i], np.int64) & MASK32)
        return int(ok.sum()), Example(inputs.program_input(i), want)
