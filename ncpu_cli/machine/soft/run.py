"""Whole soft runs: the contract's batch machine :class:`SoftBatch` (engine `soft`,
``--mode soft``) and whole-run function :func:`run` (machine/README.md), and the
differentiable runs :func:`run_pure` / :func:`soft_forward` that ``fit`` goes through.

A soft cycle costs about a thousand times an exact one, and under softmax a drifted
program can loop for ever: when the config keeps the default cycle limit
(DEFAULT_MAX_CYCLES), soft runs stop at SOFT_DEFAULT_MAX_CYCLES instead, and a program
that times out there says so (``extra["note"]``).  Programs run in chunks of CHUNK,
one :class:`SoftMachine` per chunk, so a large batch holds one chunk's tensors at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.config import (
    DEFAULT_MAX_CYCLES,
    MachineConfig,
    check_images,
)
from ncpu_cli.machine.contract import ResultsByIndex, run_whole
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import RUNNING, TIMEOUT, ProgramResult
from ncpu_cli.machine.soft.machine import SoftMachine
from ncpu_cli.machine.soft.settings import check_config, cpu_threads, soft_bytes_needed
from ncpu_cli.machine.soft.state import SoftState
from ncpu_cli.machine.soft.step import LIVE_EPS, soft_step

SOFT_DEFAULT_MAX_CYCLES = 100_000  # the cycle limit when the config keeps the default
SOFT_CAP_NOTE = (f"soft mode stops at {SOFT_DEFAULT_MAX_CYCLES:,} cycles unless --max-cycles "
                 "is given")
CHUNK = 4096  # programs per SoftMachine
RESULT_BYTES = 1024  # host memory per finished program (its ProgramResult and lists)

Progress = Callable[[int, int], None]  # (cycles of the current chunk; programs running)


class SoftBatch(ResultsByIndex):
    """B programs on the soft executor, with the contract's methods (machine/README.md).

    ``SoftBatch(image, config, inputs, *, images=None, sweep=None, with_mem=False,
    chunk=CHUNK)``.  With ``sweep=(reg, values)`` program k starts with register `reg`
    = values[k] (the ProgramInputs are materialised: soft batches are small).

    Memory is kept only when made with ``with_mem=True`` (default False): then
    ``results(with_mem=True)`` gives every program's memory; otherwise asking for it
    is a RunError (a finished chunk keeps only its results)."""

    def __init__(self, image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                 images: Sequence[Image] | None = None,
                 sweep: tuple[int, Sequence[int]] | None = None, with_mem: bool = False,
                 chunk: int = CHUNK):
        check_config(config)
        inputs = list(inputs)
        if not inputs:
            raise RunError("a soft run needs at least one program")
        check_images(image, images, len(inputs), config.mem_words)
        if sweep is not None:
            reg, values = sweep
            if len(values) != len(inputs):
                raise RunError(f"{len(values)} sweep values for {len(inputs)} programs")
            inputs = [ProgramInput({**inp.set, reg: int(v)}, inp.input, dict(inp.mem))
                      for inp, v in zip(inputs, values)]
        self.capped = config.max_cycles == DEFAULT_MAX_CYCLES
        if self.capped:
            config = replace(config, max_cycles=SOFT_DEFAULT_MAX_CYCLES)
        self.config, self.batch, self.with_mem = config, len(inputs), with_mem
        self.chunk = max(1, int(chunk))
        self._image, self._images, self._inputs = image, images, inputs
        self._done: list[ProgramResult | None] = [None] * self.batch  # finished chunks
        self._live: dict[int, SoftMachine] = {}  # chunk start -> machine stepped part-way
        self._stepped: dict[int, list[ProgramResult]] = {}  # its results at that cycle

    @staticmethod
    def bytes_needed(batch: int, config: MachineConfig, max_input: int) -> int:
        """What a soft run holds at its peak: one chunk of programs on the machine
        (measured per program: settings.soft_bytes_needed) and every program's result
        on the host."""
        return soft_bytes_needed(min(batch, CHUNK), config, max_input) + batch * RESULT_BYTES

    def prepare(self) -> None:
        """Nothing to compile: each chunk's state is built when it runs."""

    def _starts(self) -> range:
        return range(0, self.batch, self.chunk)

    def _machine(self, start: int) -> SoftMachine:
        m = self._live.get(start)
        if m is None:
            stop = min(start + self.chunk, self.batch)
            image = self._image if self._images is None else list(self._images[start:stop])
            m = self._live[start] = SoftMachine(image, self.config, self._inputs[start:stop])
        return m

    def _report(self, start: int, m: SoftMachine, part_way: bool) -> list[ProgramResult]:
        """The chunk's results with batch indices; `part_way`: stopped by `step`, so a
        program whose largest mass still runs before the cycle limit is `running`."""
        results = m.results(with_mem=self.with_mem)
        for r in results:
            r.index += start
            if r.status == TIMEOUT and part_way and m.cycle < self.config.max_cycles:
                r.status = RUNNING
            elif r.status == TIMEOUT and self.capped:
                r.extra["note"] = SOFT_CAP_NOTE
        return results

    def run(self, progress: Progress | None = None) -> None:
        """Every chunk to its end (or the cycle limit), one after the other; `progress`
        every SYNC_EVERY cycles, `running` counting the programs of later chunks too."""
        for start in self._starts():
            if self._done[start] is not None:
                continue
            m = self._machine(start)
            later = self.batch - start - m.batch
            m.run(None if progress is None else
                  (lambda cycles, running, later=later: progress(cycles, running + later)))
            self._done[start: start + m.batch] = self._report(start, m, part_way=False)
            del self._live[start]
            self._stepped.pop(start, None)

    def step(self, n: int = 1) -> None:
        """Exactly n more cycles (or up to the cycle limit) for every unfinished chunk."""
        for start in self._starts():
            if self._done[start] is None:
                m = self._machine(start)
                m.advance(max(0, int(n)))
                self._stepped.pop(start, None)

    def _result(self, i: int) -> ProgramResult:
        r = self._done[i]
        if r is None:  # not run yet, or stepped part-way
            start = i - i % self.chunk
            if start not in self._stepped:
                self._stepped[start] = self._report(start, self._machine(start), part_way=True)
            r = self._stepped[start][i - start]
        return r

def run(images: Image | Sequence[Image], config: MachineConfig,
        inputs: Sequence[ProgramInput], *, with_mem: bool = False,
        progress: Progress | None = None, chunk: int = CHUNK) -> list[ProgramResult]:
    """The contract's whole run: every program of `inputs` on the soft executor, in
    chunks of `chunk` (see :class:`SoftBatch`); no programs, no results.  `images`: one
    Image for every program, or one per program."""
    inputs = list(inputs)
    if not inputs:
        return []
    return run_whole(SoftBatch, images, config, inputs, with_mem=with_mem, progress=progress,
                     chunk=chunk)


def soft_forward(
    image: Image,
    config: MachineConfig,
    regs0: Tensor | None = None,
    mem0: Tensor | None = None,
    input0: Tensor | None = None,
    cycles: int | None = None,
    inputs: Sequence[ProgramInput] | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Differentiable run: ``(regs (B, 16), mem (B, N), out (B, W))`` after `cycles` cycles
    (default ``config.max_cycles``), as functions of ``regs0``/``mem0``/``input0``."""
    sizes = [t.shape[0] for t in (regs0, mem0, input0) if t is not None]
    b_sz = sizes[0] if sizes else (len(inputs) if inputs else 1)
    if inputs is None:
        inputs = [ProgramInput()] * b_sz
    machine = SoftMachine(image, config, inputs, regs0=regs0, mem0=mem0, input0=input0)
    total = config.max_cycles if cycles is None else min(cycles, config.max_cycles)
    s = run_pure(machine, total)
    return s.regs, s.mem, s.out


def run_pure(machine: SoftMachine, cycles: int, *, check_every: int = 0) -> SoftState:
    """The state after stepping `machine` `cycles` times out of place (autograd sees every
    cycle).  ``check_every > 0``: stop early once no program still runs (one host sync
    every that many cycles; the state of a stopped program no longer changes)."""
    machine._room_for_output(cycles)
    s = machine.state
    with cpu_threads(machine.device):
        for c in range(cycles):
            if check_every and c and c % check_every == 0 and not bool((s.run > LIVE_EPS).any()):
                break
            s, _ = soft_step(s, machine.kernel)
    return s
