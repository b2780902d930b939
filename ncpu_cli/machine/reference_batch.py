"""Engine `reference`: the oracle as a batch machine (machine/README.md).

One `ReferenceMachine` per program, run one after the other in plain Python. It is
the slowest engine and the one every other is tested against; `--engine auto` uses
it only where nothing faster is installed (`ncpu_cli/run/choice.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig, check_images
from ncpu_cli.machine.contract import ResultsByIndex, run_whole
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import ReferenceMachine
from ncpu_cli.machine.result import RUNNING, ProgramResult

SLICE = 1 << 20  # instructions between progress reports
RESULT_BYTES = 1024  # host memory per program (its ProgramResult and lists)

Progress = Callable[[int, int], None]  # (cycles so far, all programs; programs running)


class ReferenceBatch(ResultsByIndex):
    """B programs on the reference interpreter, with the contract's methods.

    ReferenceBatch(image, config, inputs, images=..., sweep=(reg, values), with_mem=False)

    A finished program keeps only its result; with_mem=True keeps its memory in it too
    (else `results(with_mem=True)` is an error: a million programs' memories add up)."""

    def __init__(self, image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                 images: Sequence[Image] | None = None,
                 sweep: tuple[int, Sequence[int]] | None = None, with_mem: bool = False):
        if len(inputs) < 1:
            raise RunError("a run needs at least one program")
        check_images(image, images, len(inputs), config.mem_words)
        if sweep is not None and len(sweep[1]) != len(inputs):
            raise RunError(f"{len(sweep[1])} sweep values for {len(inputs)} programs")
        self.config, self.batch, self.with_mem = config, len(inputs), with_mem
        self._image, self._images, self._inputs, self._sweep = image, images, inputs, sweep
        self._done: list[ProgramResult | None] = [None] * self.batch
        self._live: dict[int, ReferenceMachine] = {}  # stepped part-way (step())

    @staticmethod
    def bytes_needed(batch: int, config: MachineConfig, max_input: int) -> int:
        """Host memory the results take (a program's state is freed when it stops)."""
        return batch * (RESULT_BYTES + 4 * max_input)

    def prepare(self) -> None:
        """Nothing to compile or move."""

    def _machine(self, i: int) -> ReferenceMachine:
        m = self._live.get(i)
        if m is None:
            inp = self._inputs[i]
            if self._sweep is not None:
                reg, values = self._sweep
                inp = ProgramInput({**inp.set, reg: int(values[i])}, inp.input, dict(inp.mem))
            image = self._image if self._images is None else self._images[i]
            m = self._live[i] = ReferenceMachine(image, self.config, inp)
        return m

    def _finish(self, i: int, m: ReferenceMachine) -> None:
        if m.status != RUNNING:
            self._done[i] = m.result(index=i, with_mem=self.with_mem)
            del self._live[i]

    def run(self, progress: Progress | None = None) -> None:
        """Every program to its end (or the cycle limit), one after the other."""
        cycles = 0
        for i in range(self.batch):
            if self._done[i] is not None:
                cycles += self._done[i].cycles
                continue
            m = self._machine(i)
            while m.status == RUNNING:  # in slices, so that a long run shows progress
                m._exec(min(SLICE, self.config.max_cycles - m.cycles))  # noqa: SLF001
                if progress is not None:
                    progress(cycles + m.cycles, self.batch - i)
            cycles += m.cycles
            self._finish(i, m)
            if progress is not None:
                progress(cycles, self.batch - i - 1)

    def step(self, n: int = 1) -> None:
        """Exactly n more cycles (or up to the cycle limit) for every program still running."""
        for i in range(self.batch):
            if self._done[i] is None:
                m = self._machine(i)
                if m.status == RUNNING:
                    m._exec(min(max(0, int(n)), self.config.max_cycles - m.cycles))  # noqa: SLF001
                self._finish(i, m)

    def _result(self, i: int) -> ProgramResult:
        r = self._done[i]
        if r is None:  # not run yet, or stepped part-way
            r = self._machine(i).result(index=i, with_mem=True)
        return r

def run(images, config: MachineConfig, inputs: Sequence[ProgramInput], *,
        with_mem: bool = False, progress: Progress | None = None) -> list[ProgramResult]:
    """The contract's whole run: every program's result. images: one Image for every
    program, or one per program."""
    return run_whole(ReferenceBatch, images, config, inputs, with_mem=with_mem, progress=progress)
