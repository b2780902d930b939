"""Every exact-semantics engine side by side in one run: reference, torch (exact), native,
and triton on CUDA when it imports (with B up to 65,536).

Two workloads (`mode`):

    loop       the bench loop of `bench/exact.py` (ALU, shift, multiply, store, load,
               backward branch) on B copies, timed for a fixed number of cycles after a
               warm-up (compilation / loading outside the timing, reported as compile_s)
    fib-sweep  recursive fib (calls, a stack through sp) swept over r1 = 0..25, one
               program per value, run to the end

The reference interpreter runs each workload in the same run, so `ratio` (ips over the
reference's ips for that workload) is honest. Each figure is the median of `repeats`
timings taken in turns. The torch engine's fib sweep takes over a minute on a 2-core CPU
(per-cycle overhead times 1.2 M cycles), so it runs only with `fib_torch=True`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from ncpu_cli.bench.exact import _auto_cycles, _sync, bench_program, device_name
from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.run.engines import engine as registered

FIB_SWEEP = range(0, 26)
FIB_SOURCE = """
; fib(r1) -> r2, recursively: fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
        call fib
        halt
fib:    li r3, 2
        blt r1, r3, .base
        push lr
        push r1
        addi r1, r1, -1
        call fib          ; r2 = fib(n - 1)
        pop r1
        push r2
        addi r1, r1, -2
        call fib          ; r2 = fib(n - 2)
        pop r3
        add r2, r2, r3
        addi r1, r1, 2
        pop lr
        ret
.base:  mov r2, r1
        ret
"""


def fib_program() -> Image:
    from ncpu_cli.asm import assemble

    return assemble(FIB_SOURCE, "<fib>")


def _native_cycles(batch: int) -> int:
    """Cycles per native loop timing: ~3e7 instructions, within the loop's 1.9e7 cycles."""
    return max(4096, min(1 << 24, (1 << 25) // batch))


TRITON_BATCHES = (65536,)  # added to the batches of the triton rows on CUDA


def _triton_cycles(batch: int) -> int:
    """Cycles per triton loop timing: ~8e9 instructions, within the loop's 1.9e7 cycles."""
    return max(4096, min(1 << 18, (1 << 33) // batch))


def default_engines(device: str) -> tuple[str, ...]:
    """reference, torch, native; and triton on CUDA when triton imports."""
    engines = ("reference", "torch", "native")
    if device.startswith("cuda"):
        from ncpu_cli.run.choice import triton_unavailable

        if triton_unavailable() is None:
            engines += ("triton",)
    return engines


def _row(engine, mode, device, batch, mem_words, instructions, times, compile_s, ref_ips):
    seconds = statistics.median(times)
    ips = instructions / seconds if seconds > 0 else 0.0
    return {"engine": engine, "mode": mode, "device": device,
            "device_name": device_name(device), "batch": batch, "mem_words": mem_words,
            "instructions": instructions, "seconds": seconds, "ips": ips,
            "ratio": ips / ref_ips if ref_ips else 1.0, "compile_s": compile_s}


def _fib_reference(config: MachineConfig, image: Image, values) -> tuple[int, float]:
    from ncpu_cli.machine.reference import ReferenceMachine

    t0, total = time.perf_counter(), 0
    for n in values:
        m = ReferenceMachine(image, config, ProgramInput(set={1: n}))
        m.run()
        total += m.cycles
    return total, time.perf_counter() - t0


def bench_engines(
    device: str = "cpu",
    batches: Sequence[int] = (1, 1024, 16384),
    cycles: int | None = None,
    *,
    mem_words: int = 1024,
    reference_cycles: int = 1_000_000,
    repeats: int = 3,
    engines: Sequence[str] | None = None,
    fib: bool = True,
    fib_torch: bool = False,
    fib_values: range | None = None,
) -> list[dict]:
    """Rows {engine, mode, device, device_name, batch, mem_words, instructions, seconds,
    ips, ratio, compile_s}; `instructions` and `seconds` are per timing (median)."""
    rows: list[dict] = []
    engines = default_engines(device) if engines is None else tuple(engines)
    loop = bench_program()
    big = MachineConfig(mem_words=mem_words, max_cycles=1 << 40)
    timed = {}  # (engine, batch) -> (make a fresh machine or None, cycles, times, compile_s)
    if "native" in engines:
        from ncpu_cli.machine.exact import native

        native.warm_up()
        native_compile = native.compile_info()["seconds"]
        for b in batches:
            n = cycles or _native_cycles(b)
            timed[("native", b)] = (
                lambda b=b: registered("native").machine_class()(loop, big,
                                                                 [ProgramInput()] * b), n, [],
                native_compile)
    if "triton" in engines:
        timed.update(_triton_timed(loop, device, mem_words, batches, cycles))
    torch_machines = {}
    if "torch" in engines:
        from ncpu_cli.machine.exact.machine import CPU_CHUNK, CUDA_CHUNK

        for b in batches:
            n = cycles or _auto_cycles(b, device)
            warm = CUDA_CHUNK if device.startswith("cuda") else CPU_CHUNK
            config = MachineConfig(mem_words=mem_words, max_cycles=warm + repeats * n,
                                   device=device)
            m = registered("torch").machine_class()(loop, config, [ProgramInput()] * b)
            t0 = time.perf_counter()
            m.step(warm)  # CUDA-graph capture, first touch of the memory
            _sync(device)
            torch_machines[b] = m
            timed[("torch", b)] = (None, n, [], time.perf_counter() - t0)
    from ncpu_cli.machine.reference import ReferenceMachine

    ref_times: list[float] = []  # the reference is always measured: the ratio's denominator
    ref_instr = reference_cycles
    for _ in range(repeats):
        m = ReferenceMachine(loop, MachineConfig(mem_words=mem_words,
                                                 max_cycles=reference_cycles))
        t0 = time.perf_counter()
        m.run()
        ref_times.append(time.perf_counter() - t0)
        ref_instr = m.cycles
        for (engine, b), (make, n, times, _c) in timed.items():
            m = torch_machines[b] if engine == "torch" else make()
            _sync(device if engine in ("torch", "triton") else "cpu")
            t0 = time.perf_counter()
            m.run(cycles=n)
            _sync(device if engine in ("torch", "triton") else "cpu")
            times.append(time.perf_counter() - t0)
    ref_ips = ref_instr / statistics.median(ref_times)
    rows.append(_row("reference", "loop", "cpu", 1, mem_words, ref_instr, ref_times, 0.0,
                     ref_ips))
    for (engine, b), (_make, n, times, compile_s) in timed.items():
        dev = device if engine in ("torch", "triton") else "cpu"
        rows.append(_row(engine, "loop", dev, b, mem_words, b * n, times, compile_s, ref_ips))
    if fib:
        values = FIB_SWEEP if fib_values is None else fib_values
        rows += _bench_fib(device, mem_words, repeats, engines, fib_torch, values)
    return rows


def _bench_fib(device, mem_words, repeats, engines, fib_torch, values) -> list[dict]:
    image = fib_program()
    config = MachineConfig(mem_words=mem_words, max_cycles=10**8)
    runs = {"reference": []}
    if "native" in engines:
        runs["native"] = []
    if "torch" in engines and fib_torch:
        runs["torch"] = []
    if "triton" in engines:
        runs["triton"] = []
    instr = 0
    for _ in range(repeats):
        instr, seconds = _fib_reference(config, image, values)
        runs["reference"].append(seconds)
        for engine in [e for e in runs if e != "reference"]:
            on = {} if engine == "native" else {"device": device}
            m = registered(engine).machine_class()(
                image, MachineConfig(**{**config.__dict__, **on}),
                [ProgramInput()] * len(values), sweep=(1, values))
            t0 = time.perf_counter()
            m.run()
            _sync(device if engine in ("torch", "triton") else "cpu")
            runs[engine].append(time.perf_counter() - t0)
            got = m.summary()["cycles_total"]
            if got != instr:
                raise AssertionError(f"{engine}: fib sweep ran {got} cycles, reference {instr}")
    ref_ips = instr / statistics.median(runs["reference"])
    return [_row(e, "fib-sweep", device if e in ("torch", "triton") else "cpu", len(values), mem_words,
                 instr, times, 0.0, ref_ips) for e, times in runs.items()]


def _triton_timed(loop, device, mem_words, batches, cycles) -> dict:
    """{("triton", b): (make a prepared machine, cycles, times, compile_s)}; the first
    launch (compilation or Triton's disk cache) is timed on its own as compile_s."""
    config = MachineConfig(mem_words=mem_words, max_cycles=1 << 40, device=device)
    sizes = sorted(set(batches) | (set(TRITON_BATCHES) if device.startswith("cuda") else set()))

    def make(b):
        m = registered("triton").machine_class()(loop, config, [ProgramInput()] * b)
        m.prepare()
        return m

    t0 = time.perf_counter()
    for b in (1, 16):  # compiles the kernel's variants (Triton specialises B == 1)
        make(b).run(cycles=256)
    compile_s = time.perf_counter() - t0
    return {("triton", b): (lambda b=b: make(b), cycles or _triton_cycles(b), [], compile_s)
            for b in sizes}

