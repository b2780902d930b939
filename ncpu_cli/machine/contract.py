"""What every engine uses to keep the contract of machine/README.md: the `images`
argument, inputs shared by many programs, words as int32, the whole-run function and
the result methods of machines that keep one ProgramResult per program."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from ncpu_cli.errors import RunError
from ncpu_cli.isa import MASK32
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import FAULT, ProgramResult, summarize

Progress = Callable[[int, int], None]  # (cycles done, programs still running)


def split_images(images):
    """The contract's `images` argument (one Image for every program, or one per program)
    as the machines take it: (the first image, the per-program list or None)."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise RunError("a run needs at least one program")
        return images[0], images
    return images, None


def run_whole(cls, images, config: MachineConfig, inputs: Sequence[ProgramInput], *,
              with_mem: bool = False, progress: Progress | None = None,
              **kw) -> list[ProgramResult]:
    """The contract's whole run on machine class `cls`: every program's result. (A
    machine that keeps results, not state, is told at once whether to keep memory.)"""
    image, per_program = split_images(images)
    if issubclass(cls, ResultsByIndex):
        kw["with_mem"] = with_mem
    machine = cls(image, config, inputs, images=per_program, **kw)
    machine.prepare()
    machine.run(progress=progress)
    return list(machine.results(with_mem=with_mem))


def unique_inputs(inputs: Sequence[ProgramInput]) -> list[tuple[ProgramInput, np.ndarray]]:
    """Distinct input objects (by identity) with the indices of the programs using them."""
    if inputs and all(inp is inputs[0] for inp in inputs):
        return [(inputs[0], np.arange(len(inputs)))]
    groups: dict[int, tuple[ProgramInput, list[int]]] = {}
    for k, inp in enumerate(inputs):
        groups.setdefault(id(inp), (inp, []))[1].append(k)
    return [(inp, np.asarray(ks, dtype=np.int64)) for inp, ks in groups.values()]


def words_i32(values: Iterable[int]) -> np.ndarray:
    """Words (any ints, taken modulo 2^32) as int32 with the same bits."""
    arr = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.int64)
    return (arr & MASK32).astype(np.uint32).view(np.int32)


class ResultsByIndex:
    """results / summary / first_faults for a machine that keeps a result per program,
    `self._result(i)` (the reference and soft batches); its memory only when the machine
    was made with `with_mem=True`."""

    batch: int
    with_mem: bool

    def _result(self, i: int) -> ProgramResult:
        raise NotImplementedError

    def _result_at(self, i: int, with_mem: bool) -> ProgramResult:
        if not 0 <= i < self.batch:
            raise IndexError(f"program index {i} outside 0..{self.batch - 1}")
        if with_mem and not self.with_mem:
            raise RunError(f"memory was not kept: make the {type(self).__name__} with "
                           "with_mem=True")
        r = self._result(i)
        return r if with_mem or r.mem is None else replace(r, mem=None)

    def results(self, indices: Iterable[int] | None = None,
                with_mem: bool = False) -> Iterator[ProgramResult]:
        """Results in index order (or of `indices`)."""
        for i in range(self.batch) if indices is None else indices:
            yield self._result_at(int(i), with_mem)

    def summary(self) -> dict:
        return summarize(self.results())

    def first_faults(self, k: int) -> list[int]:
        faults = (r.index for r in self.results() if r.status == FAULT)
        return [i for _, i in zip(range(max(0, int(k))), faults)]
