"""Loading a program and running a batch on the right executor.

`load_program` turns a path (or `-` for source on stdin) into an Image;
`choose_engine` picks the executor for `ncpu run --engine auto`; `run_batch`
runs a `Batch` and returns an `Outcome` (summary, timing, results streamed on
demand, so a million-program batch is never held as a million Python objects
unless asked for).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from ncpu_cli.errors import ImageError, RunError
from ncpu_cli.image import Image
from ncpu_cli.run.choice import (  # noqa: F401 - re-exported: engine.X keeps working
    AUTO_REFERENCE_MAX,
    AUTO_TRITON_MIN,
    CPU_ONLY,
    DEVICES,
    ENGINES,
    GPU_DRIVER_NODES,
    MODES,
    EngineUsageError,
    choose_engine,
    cuda_available,
    native_unavailable,
    no_gpu_possible,
    resolve_device,
    triton_unavailable,
    validate_engine,
    why_engine,
)
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import Batch
from ncpu_cli.machine.result import FAULT, HALTED, RUNNING, TIMEOUT, ProgramResult

ASM_SUFFIXES = (".s", ".asm")

Progress = Callable[[int, int], None]  # (cycles done, programs still running)


# ---------------------------------------------------------------- loading


def load_program(
    path: str | os.PathLike[str],
    *,
    mem_words: int | None = None,
    stdin: IO[str] | None = None,
) -> tuple[Image, dict[str, str]]:
    """Image of a program plus the source texts it came from (file -> text).

    `.s`/`.asm` files and `-` (source on stdin) are assembled on the fly; any
    other path is read as an image (YAML, readmemh or binary, by extension or
    sniffing). With `mem_words`, the image must fit in that many words."""
    name = str(path)
    sources: dict[str, str] = {}
    if name == "-":
        from ncpu_cli.asm import assemble

        text = (stdin or sys.stdin).read()
        image = assemble(text, "<stdin>", mem_words=mem_words, base_dir=Path.cwd())
        sources["<stdin>"] = text
    else:
        p = Path(name)
        if not p.exists():
            raise RunError(f"{name}: no such file")
        if p.is_dir():
            raise RunError(f"{name}: is a directory, not a program")
        if p.suffix.lower() in ASM_SUFFIXES:
            from ncpu_cli.asm import assemble_file

            image = assemble_file(name, mem_words=mem_words)
            try:
                sources[name] = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                pass
        else:
            from ncpu_cli.image import load_image

            image = load_image(name)
    check_image(image, name, mem_words)
    return image, sources


def check_image(image: Image, name: str, mem_words: int | None) -> None:
    """The image must be for ncpu32 with 32-bit words and fit in memory."""
    from ncpu_cli.isa import load_isa

    isa = load_isa()
    if image.isa != isa.name or image.word_bits != isa.word_bits:
        raise ImageError(
            f"{name}: image is for {image.isa} with {image.word_bits}-bit words; "
            f"this machine runs {isa.name} with {isa.word_bits}-bit words"
        )
    if mem_words is not None:
        if image.size > mem_words:
            raise RunError(
                f"{name}: image of {image.size} words does not fit in memory of "
                f"{mem_words} words (use --mem-words {max(image.size, 16)} or more)"
            )
        if not 0 <= image.entry < mem_words:
            raise RunError(f"{name}: entry point {image.entry} outside memory 0..{mem_words - 1}")


class SourceLocator:
    """pc -> `file:line  source text` using the image's source map (None when unknown)."""

    def __init__(self, image: Image, sources: dict[str, str] | None = None):
        self.image = image
        self._lines: dict[str, list[str] | None] = {
            name: text.splitlines() for name, text in (sources or {}).items()
        }

    def _file_lines(self, file: str) -> list[str] | None:
        if file not in self._lines:
            lines = None
            # only files the program's source named (e.g. .include), read on demand
            if self._lines:
                try:
                    lines = Path(file).read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError, ValueError):
                    lines = None
            self._lines[file] = lines
        return self._lines[file]

    SHORT = 20  # longest file name shown: `file:line` then fits the result table's pc column

    @classmethod
    def short(cls, file: str) -> str:
        """A file name for display: relative to the current folder when inside it (or as
        given when relative); when that is long, just its name, cut at the front if need be."""
        p = Path(file)
        if p.is_absolute():
            try:
                file = str(p.relative_to(Path.cwd()))
            except ValueError:
                file = p.name
        if len(file) <= cls.SHORT:
            return file
        name = p.name
        return name if len(name) <= cls.SHORT else "…" + name[-(cls.SHORT - 1):]

    def where(self, pc: int) -> str | None:
        loc = self.image.source_map.get(pc)
        return f"{self.short(loc[0])}:{loc[1]}" if loc else None

    def text(self, pc: int) -> str | None:
        loc = self.image.source_map.get(pc)
        if not loc:
            return None
        lines = self._file_lines(loc[0])
        if lines is None or not 1 <= loc[1] <= len(lines):
            return None
        return lines[loc[1] - 1].strip() or None

    def __call__(self, pc: int) -> str | None:
        """`file:line`, then the source text on a line of its own."""
        where = self.where(pc)
        if where is None:
            return None
        text = self.text(pc)
        return f"{where}\n{text}" if text else where


# engine choice (names, auto, device) lives in choice.py; re-exported here

# ---------------------------------------------------------------- running


def summarize(results: Iterable[ProgramResult]) -> dict[str, int]:
    """{count, halted, fault, timeout, running,
    cycles_total, cycles_min, cycles_median, cycles_max} (as ExactMachine.summary)."""
    counts = {HALTED: 0, FAULT: 0, TIMEOUT: 0, RUNNING: 0}
    cycles = []
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        cycles.append(r.cycles)
    return {
        "count": len(cycles),
        "halted": counts[HALTED],
        "fault": counts[FAULT],
        "timeout": counts[TIMEOUT],
        "running": counts[RUNNING],
        "cycles_total": sum(cycles),
        "cycles_min": min(cycles, default=0),
        "cycles_median": int(statistics.median_low(cycles)) if cycles else 0,
        "cycles_max": max(cycles, default=0),
    }


@dataclass
class Outcome:
    """A finished run: what ran where, how long it took, and its results."""

    engine: str
    device: str
    mode: str
    config: MachineConfig
    summary: dict[str, Any]
    seconds: float
    _results: list[ProgramResult] | None = field(default=None, repr=False)
    _machine: Any = field(default=None, repr=False)  # ExactMachine, when engine == exact

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


def available_bytes(device: str) -> int | None:
    """Free memory on `device` (None when unknown)."""
    try:
        if device.startswith("cuda"):
            import torch

            free, _total = torch.cuda.mem_get_info()
            return int(free)
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, RuntimeError, AttributeError):
        return None
    return None


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


REFERENCE_SLICE = 1 << 20  # instructions between progress reports of the reference engine
SOFT_CHUNK = 4096  # programs per soft machine (run_soft's default chunk)
RESULT_BYTES = 1024  # host memory per finished program (ProgramResult, its lists)


def soft_bytes_needed(batch: int, config: MachineConfig, max_input: int) -> int:
    """A rough lower bound of what a soft run holds: per chunk of programs, memory,
    pc distribution and a few (B, N) temporaries plus registers and streams at the
    chosen float width; and every program's result on the host."""
    item = 8 if config.dtype == "float64" else 4
    per_program = 4 * config.mem_words + 4 * 16 + config.max_out + max_input + 64
    return min(batch, SOFT_CHUNK) * per_program * item + batch * RESULT_BYTES


def _check_fits(needed: int, batch: int, engine: str, device: str) -> None:
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
    batch: Batch,
    engine: str,
    *,
    mode: str = "exact",
    progress: Progress | None = None,
) -> Outcome:
    """Run every program of `batch` on `engine` ("native", "triton", "exact", "reference",
    "soft").
    `batch` is an inputs.Batch of `image`, or a programs.MultiBatch (an image per run)."""
    n = len(batch)
    images = getattr(batch, "images", None)  # a MultiBatch: one image per run
    batch.check(config.mem_words)
    start = time.perf_counter()
    if engine == "native":
        why = native_unavailable()
        if why is not None:
            raise RunError(f"--engine native: {why}; install it with `pip install numba`")
        from ncpu_cli.machine.exact import native

        _check_fits(native.bytes_needed(n, config.mem_words, batch.max_input), n, "native",
                    "cpu")
        machine = (native.NativeMachine.for_batch(image, config, batch) if images is None
                   else batch.native_machine(image, config))
        native.warm_up()  # compiled or loaded from the disk cache once, outside the timing
        start = time.perf_counter()
        machine.run(progress=progress)
        seconds = time.perf_counter() - start
        return Outcome(engine, "cpu", mode, config, machine.summary(), seconds, _machine=machine)
    if engine == "triton":
        if triton_unavailable() is not None:
            raise RunError(f"--engine triton: {triton_unavailable()}")
        from ncpu_cli.machine.exact import native
        from ncpu_cli.machine.exact.triton_engine import TritonMachine

        _check_fits(native.bytes_needed(n, config.mem_words, batch.max_input), n, "triton",
                    config.device)
        if images is None:
            machine = TritonMachine.for_batch(image, config, batch)
        else:
            sweep = batch.sweep()
            machine = TritonMachine(image, config, batch.inputs() if sweep else
                                    batch.materialise(), images=images, sweep=sweep)
        machine.prepare()  # the state on the device before the timing starts
        start = time.perf_counter()
        machine.run(progress=progress)
        seconds = time.perf_counter() - start
        return Outcome(engine, config.device, mode, config, machine.summary(), seconds,
                       _machine=machine)
    if engine == "exact":
        from ncpu_cli.machine.exact.machine import MAX_BATCH, ExactMachine

        needed = ExactMachine.bytes_needed(n, config.mem_words, config.max_out, batch.max_input)
        _check_fits(needed, n, "exact", config.device)
        if n > MAX_BATCH:
            raise RunError(
                f"a batch of {n:,} programs exceeds the exact executor's limit of "
                f"{MAX_BATCH:,} programs per run (it would need about {format_bytes(needed)}); "
                "split it into smaller runs"
            )
        start = time.perf_counter()
        machine = batch.exact_machine(image, config)
        machine.run(progress=progress)
        seconds = time.perf_counter() - start
        summary = dict(machine.summary())
        return Outcome(engine, config.device, mode, config, summary, seconds, _machine=machine)
    if engine == "reference":
        from ncpu_cli.machine.reference import ReferenceMachine

        _check_fits(n * RESULT_BYTES, n, "reference", "cpu")
        results = []
        cycles = 0
        for i, inp in enumerate(batch):
            m = ReferenceMachine(image if images is None else images[i], config, inp)
            if progress is None:
                m.run()
            else:
                while m.status == RUNNING:  # in slices, so that a long run shows progress
                    m._exec(min(REFERENCE_SLICE, config.max_cycles - m.cycles))  # noqa: SLF001
                    progress(cycles + m.cycles, n - i)
            r = m.result(index=i, with_mem=False)
            results.append(r)
            cycles += r.cycles
            if progress is not None:
                progress(cycles, n - i - 1)
        seconds = time.perf_counter() - start
        return Outcome(engine, config.device, mode, config, summarize(results), seconds, results)
    if engine == "soft":
        from ncpu_cli.machine.soft.machine import run_soft

        _check_fits(soft_bytes_needed(n, config, batch.max_input), n, "soft", config.device)
        start = time.perf_counter()
        results = run_soft(image if images is None else images, config, batch.materialise(),
                           with_mem=False, progress=progress)
        seconds = time.perf_counter() - start
        return Outcome(engine, config.device, "soft", config, summarize(results), seconds, results)
    raise RunError(f"unknown engine `{engine}`")
