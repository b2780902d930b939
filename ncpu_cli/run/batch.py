"""Running a batch on a registered engine and reporting how it went.

`run_batch(image, config, batch, engine)` checks that the engine can run here and that
the batch fits in memory, builds the engine's machine (machine/README.md) with the
batch's arguments, prepares it outside the timing, runs it and returns an `Outcome`:
summary, timing and the results streamed on demand, so a million-program batch is
never held as a million Python objects unless asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.memory import available_bytes, format_bytes
from ncpu_cli.machine.result import FAULT, HALTED, TIMEOUT, ProgramResult
from ncpu_cli.run.engines import engine as registered

Progress = Callable[[int, int], None]  # (cycles done, programs still running)


@dataclass
class Outcome:
    """A finished run: what ran where, how long it took, and its results."""

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
        """Results in index order (or of `indices`), streamed from the executor."""
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


def run_batch(
    image: Image,
    config: MachineConfig,
    batch,
    engine: str,
    *,
    mode: str = "exact",
    progress: Progress | None = None,
) -> Outcome:
    """Run every program of `batch` on the registered `engine` (run/engines.py).

    `batch` is an inputs.Batch of `image`, or a programs.MultiBatch (an image per run);
    `--mode soft` runs on engine `soft`."""
    spec = registered(engine)
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
