"""The reference program: assembling it, and running it (or a candidate) on drawn inputs.

A reference is an ncpu32 program (loops allowed) whose final state defines the truth:
on the same inputs, a candidate must end with what the spec's ``check`` names equal to
the reference's. Runs go through ``run.arrays`` (the native engine on the CPU) as one
exact batch of B programs; a reference that faults or does not halt within its cycle
limit on an input makes that input unusable, and the caller says which input it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ncpu_cli.asm import assemble
from ncpu_cli.errors import FitError
from ncpu_cli.fit.draw import Inputs
from ncpu_cli.fit.spec_types import Check, Expect, Reference
from ncpu_cli.isa import MASK32, S_FAULT, S_HALTED
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.run.arrays import Final, run_arrays

BATCH_WORDS = 1 << 25  # memory words of one exact batch (B·N); larger runs go in parts


def load_reference(source: str, name: str, *, mem_words: int, base_dir: Path,
                   max_cycles: int) -> Reference:
    """Assemble the reference (AsmError with file:line:col on a bad program)."""
    image = assemble(source, name, mem_words=mem_words, base_dir=base_dir)
    return Reference(name, source, tuple(int(w) & MASK32 for w in image.words), image.entry,
                     max_cycles)


def reference_words(ref: Reference, mem_words: int) -> np.ndarray:
    words = np.zeros(mem_words, dtype=np.int64)  # (N,) the image, memory after it 0
    words[: len(ref.words)] = ref.words
    return words


def run_inputs(words: np.ndarray, entry: int, inputs: Inputs, config: MachineConfig,
               engine: str = "auto") -> Final:
    """Run the program `words` (N,) once per input (B programs) and return the final
    states; memory cells the inputs set are patched over the image."""
    n, b = len(words), len(inputs)
    step = max(1, BATCH_WORDS // n)
    if b > step:  # too large for one batch: parts, joined
        parts = [run_inputs(words, entry, inputs.take(np.arange(lo, min(b, lo + step))), config,
                            engine) for lo in range(0, b, step)]
        width = max(p.out.shape[1] for p in parts)
        return Final(np.concatenate([p.status for p in parts]),
                     np.concatenate([p.regs for p in parts]),
                     np.concatenate([np.pad(p.out, ((0, 0), (0, width - p.out.shape[1])))
                                     for p in parts]),
                     np.concatenate([p.out_len for p in parts]),
                     np.concatenate([p.mem for p in parts]))
    mems = np.repeat(words[None, :], b, axis=0)  # (B, N)
    for c, addr in enumerate(inputs.cells):
        mems[:, addr] = np.where(inputs.mem_mask[:, c], inputs.mem[:, c], mems[:, addr])
    return run_arrays(config, mems, inputs.regs, entry, inputs.stream, inputs.lens,
                      engine=engine)


def run_reference(ref: Reference, inputs: Inputs, mem_words: int, *, device: str = "cpu",
                  engine: str = "auto") -> Final:
    config = MachineConfig(mem_words=mem_words, max_cycles=ref.max_cycles, device=device)
    return run_inputs(reference_words(ref, mem_words), ref.entry, inputs, config, engine)


def failure(ref: Reference, final: Final, i: int) -> str:
    """Why the reference's run `i` is no truth: `faults` / `does not halt within N cycles`."""
    if int(final.status[i]) == S_FAULT:
        return "faults"
    return f"does not halt within {ref.max_cycles:,} cycles (reference_max_cycles)"


def bad_runs(final: Final) -> np.ndarray:
    """(K,) indices of the runs that did not halt."""
    return np.flatnonzero(np.asarray(final.status) != S_HALTED)


def expects(ref: Reference, check: Check, inputs: Inputs, final: Final) -> list[Expect]:
    """What each input's candidate run must end with: the reference's `final` state there,
    restricted to what `check` names (every run must have halted)."""
    regs = np.asarray(final.regs, dtype=np.int64) & MASK32  # (B, 16)
    out = np.asarray(final.out, dtype=np.int64) & MASK32  # (B, W)
    mem = np.asarray(final.mem, dtype=np.int64) & MASK32  # (B, N)
    return [check.expect(regs[i], out[i, : int(final.out_len[i])], mem[i])
            for i in range(len(inputs))]


def reference_expects(ref: Reference, check: Check, inputs: Inputs, mem_words: int,
                      labels: list[str], where: str) -> list[Expect]:
    """Run the reference on `inputs` (one batch) and return each one's Expect; FitError
    `WHERE: LABEL: the reference `R` faults on r1 = 0` for the first input the reference
    faults or times out on (`labels[i]` names input i, e.g. `examples[3]`)."""
    if not len(inputs):
        return []
    final = run_reference(ref, inputs, mem_words)
    bad = bad_runs(final)
    if len(bad):
        i = int(bad[0])
        raise FitError(f"{where}: {labels[i]}: the reference `{ref.name}` {failure(ref, final, i)} "
                       f"on {inputs.describe(i)}; the reference must halt on every input "
                       "(narrow `inputs`, or raise `reference_max_cycles`)")
    return expects(ref, check, inputs, final)

