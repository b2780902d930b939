"""Running a batch on a registered engine and reporting how it went.

`run_batch(image, config, batch, engine)` checks that the engine can run here and that
the batch fits in memory, builds the engine's machine (machine/README.md) with the
batch's arguments, prepares it outside the timing, runs it and returns an `Outcome`:
summary, timing and the results streamed on demand, so a million-program batch is
never held as a million Python objects unless asked for.

`batch` may be an `inputs.Batch` (what `ncpu run` builds: copies, a sweep or records),
a `programs.MultiBatch` (an image per run), a list of `ProgramInput`s (one run each)
or a single `ProgramInput` (one run); `as_batch` makes the last two a Batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import Batch, ProgramInput
from ncpu_cli.machine.memory import available_bytes, format_bytes
from ncpu_cli.machine.result import FAULT, HALTED, TIMEOUT, ProgramResult
from ncpu_cli.run.engines import engine as registered

Progress = Callable[[int, int], None]  # (cycles done, programs still running)


@dataclass
class Outcome:
    """A finished run: what ran where, how long it took, and its results.

    engine, device, mode  the registered engine that ran it, `cpu`/`cuda...`, exact | soft
    config                the MachineConfig it ran with
    summary               a dict (an attribute, not a method): {count, halted, fault,
                          timeout, running, cycles_total, cycles_min, cycles_median,
                          cycles_max} -- programs by final status and their cycles
    seconds               wall time of the run itself (compiling and loading not counted)

    `results()` streams one `ProgramResult` per program (status, reason, pc, cycles,
    regs, out, eof; soft runs add `extra["max_deviation"]`)."""

    engine: str
    device: str
    mode: str
    config: MachineConfig
    summary: dict[str, Any]
    seconds: float
    _machine: Any = field(default=None, repr=False)  # the engine's machine (or None)
    _results: list[ProgramResult] | None = field(default=None, repr=False)  # gathered ranks

    @property
    def count(self) -> int:
        return int(self.summary["count"])

    @property
    def ips(self) -> float:
        """Instructions (cycles, all programs together) per second of wall time."""
        return self.summary["cycles_total"] / self.seconds if self.seconds > 0 else 0.0

    def results(self, indices: Iterable[int] | None = None) -> Iterator[ProgramResult]:
        """One `ProgramResult` per program, in index order (or of `indices`, in the order
        given), streamed from the executor: `list(outcome.results())` holds them all,
        `next(outcome.results([7]))` only program 7's."""
        if self._machine is not None:
            yield from self._machine.results(
                indices=None if indices is None else list(indices), with_mem=False
            )
        elif indices is None:
            yield from self._results or []
        else:
            for i in indices:
                yield self._results[i]

    def first_faults(self, k: int) -> list[int]:
        """Indices of the first `k` faulting programs."""
        if self._machine is not None:
            return list(self._machine.first_faults(k))
        return [r.index for r in self._results or [] if r.status == FAULT][:k]

    def exit_status(self) -> str:
        """`fault` if any program faulted, else `timeout` if any hit the limit, else `halted`."""
        if self.summary["fault"]:
            return FAULT
        if self.summary["timeout"] or self.summary.get("running", 0):
            return TIMEOUT
        return HALTED


def check_fits(needed: int, batch: int, engine: str, device: str) -> None:
    """RunError when `needed` bytes are more than `device` has free."""
    avail = available_bytes(device)
    if avail is not None and needed > avail:
        raise RunError(
            f"a batch of {batch:,} programs needs about {format_bytes(needed)} for the "
            f"{engine} executor on {device}, but only {format_bytes(avail)} is free; "
            f"use a smaller --batch or --mem-words"
        )


def as_batch(batch: Any) -> Any:
    """`batch` as `run_batch` runs it: a Batch or MultiBatch as it is, one ProgramInput
    as a batch of one, a list or tuple of ProgramInputs as one run each (in order).
    TypeError for anything else; RunError for an empty list."""
    if isinstance(batch, ProgramInput):
        return Batch(batch)
    if isinstance(batch, Sequence) and not isinstance(batch, (str, bytes)) and not hasattr(
            batch, "machine_args"):
        runs = tuple(batch)
        for i, run in enumerate(runs):
            if not isinstance(run, ProgramInput):
                raise TypeError(f"batch[{i}] is a {type(run).__name__}, not a ProgramInput")
        if not runs:
            raise RunError("an empty batch: give at least one ProgramInput")
        return Batch(records=runs)
    if not (hasattr(batch, "machine_args") and hasattr(batch, "check")):
        raise TypeError(f"batch is a {type(batch).__name__}: give a Batch, a ProgramInput "
                        "or a list of ProgramInputs")
    return batch


def run_batch(
    image: Image,
    config: MachineConfig,
    batch: Batch | Sequence[ProgramInput] | ProgramInput,
    engine: str,
    *,
    mode: str = "exact",
    progress: Progress | None = None,
) -> Outcome:
    """Run every program of `batch` on the registered `engine` (run/engines.py).

    `batch` is an inputs.Batch of `image`, a programs.MultiBatch (an image per run), a
    list of ProgramInputs or one ProgramInput (see `as_batch`); engine `soft` is soft
    mode. RunError for an unknown or unusable engine or a batch that does not fit."""
    batch = as_batch(batch)
    try:
        spec = registered(engine)
    except KeyError:
        from ncpu_cli.run.engines import ENGINES

        raise RunError(f"no engine `{engine}` (choose {', '.join(ENGINES)})") from None
    why = spec.unavailable()
    if why is not None:
        raise RunError(f"--engine {spec.name}: {why}")
    device = "cpu" if spec.devices == ("cpu",) else config.device
    n = len(batch)
    batch.check(config.mem_words)
    cls = spec.machine_class()
    check_fits(cls.bytes_needed(n, config, batch.max_input), n, spec.name, device)
    machine = cls(image, config, **batch.machine_args())
    machine.prepare()  # compile / load the kernel, state to the device: not timed
    start = time.perf_counter()
    machine.run(progress=progress)
    seconds = time.perf_counter() - start
    return Outcome(spec.name, device, "soft" if spec.name == "soft" else mode, config,
                   dict(machine.summary()), seconds, _machine=machine)
