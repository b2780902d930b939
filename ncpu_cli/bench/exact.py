"""Torch-engine throughput, with the reference interpreter measured in the same run.

`bench_exact` runs one fixed loop-heavy program (ALU, shift, multiply, store,
load, counter, backward branch; it never halts within the measured cycles) on B
copies, and times `cycles` cycles after one warm-up chunk (set-up, first touch of
the memory and CUDA-graph capture excluded; the once-per-chunk "all stopped?"
checks included). The reference interpreter runs the same program for
`reference_cycles` instructions, so the ratio is honest. Every figure is the
median of `repeats` timings, and the repeats take turns (reference, then every
exact configuration, `repeats` times over), so a slow spell of a shared machine
hits all of them alike instead of one row; all configurations are built first, so
the memory a run needs is their sum.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import torch

from ncpu_cli.bench.machine import cpu_model
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput


def bench_program() -> Image:
    """The measured loop (9 instructions per turn; r2 counts down from 2^21 - 1):

            li r1, 0 ; li r2, 2097151 ; li r3, 7
      loop: add r1, r1, r2 ; xor r1, r1, r3 ; shli r4, r1, 3 ; st r4, 100(r0)
            ld r5, 100(r0) ; mul r6, r5, r3 ; addi r2, r2, -1 ; bne r2, r0, loop
            halt
    """
    e = load_isa().encode
    return Image([
        e("li", rd=1, imm=0), e("li", rd=2, imm=2**21 - 1), e("li", rd=3, imm=7),
        e("add", rd=1, ra=1, rb=2), e("xor", rd=1, ra=1, rb=3), e("shli", rd=4, ra=1, imm=3),
        e("st", ra=0, rb=4, imm=100), e("ld", rd=5, ra=0, imm=100), e("mul", rd=6, ra=5, rb=3),
        e("addi", rd=2, ra=2, imm=-1), e("bne", ra=2, rb=0, imm=3), e("halt"),
    ])


def device_name(device: str) -> str:
    """GPU name for cuda devices, else the CPU model."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return cpu_model()


def bench_info(device: str = "cpu") -> dict:
    """What the numbers ran on: {torch, device, device_name, cpu, cpu_threads}."""
    return {"torch": torch.__version__, "device": device, "device_name": device_name(device),
            "cpu": cpu_model(), "cpu_threads": torch.get_num_threads()}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _auto_cycles(batch: int, device: str) -> int:
    if device.startswith("cuda"):
        return 4096
    return 1024 if batch < 4096 else 256  # eager torch: about 0.2 ms a cycle at B = 1


def _time_reference(cycles: int, mem_words: int) -> tuple[int, float]:
    """(instructions, seconds) of one reference run of the bench program."""
    from ncpu_cli.machine.reference import ReferenceMachine

    m = ReferenceMachine(bench_program(), MachineConfig(mem_words=mem_words, max_cycles=cycles))
    t0 = time.perf_counter()
    m.run()
    return m.cycles, time.perf_counter() - t0


def _row(engine: str, device: str, batch: int, cycles: int, times: list[float],
         **extra) -> dict:
    seconds = statistics.median(times)
    return {"engine": engine, "device": device, "batch": batch, "cycles": cycles,
            "instructions": batch * cycles, "seconds": seconds,
            "ips": batch * cycles / seconds, "repeats": len(times), **extra}


def bench_exact(
    device: str = "cpu",
    batches: Sequence[int] = (1, 1024, 16384),
    cycles: int | None = None,
    *,
    mem_words: int = 1024,
    reference_cycles: int = 200_000,
    repeats: int = 5,
) -> list[dict]:
    """Rows {engine, device, batch, cycles, instructions, seconds, ips, repeats}: the
    reference first, then the torch engine at every batch size; `cycles` and
    `seconds` are per timing, `ips` their ratio, each the median of `repeats` timings.
    `bench_info(device)` says what ran them (torch version, CPU model or GPU name)."""
    from ncpu_cli.machine.exact.machine import CPU_CHUNK, CUDA_CHUNK, ExactMachine

    image = bench_program()
    machines = []
    for batch in batches:
        n = cycles or _auto_cycles(batch, device)
        warm = CUDA_CHUNK if device.startswith("cuda") else CPU_CHUNK  # one chunk
        config = MachineConfig(mem_words=mem_words, max_cycles=warm + repeats * n,
                               device=device)
        m = ExactMachine(image, config, [ProgramInput()] * batch)
        m.step(warm)  # capture / first touch outside the timing
        machines.append((batch, n, m, []))
    ref_times, ref_cycles = [], reference_cycles
    for _ in range(repeats):
        ref_cycles, seconds = _time_reference(reference_cycles, mem_words)
        ref_times.append(seconds)
        for _batch, n, m, times in machines:
            _sync(device)
            t0 = time.perf_counter()
            m.run(cycles=n)
            _sync(device)
            times.append(time.perf_counter() - t0)
    rows = [_row("reference", "cpu", 1, ref_cycles, ref_times)]
    for batch, n, m, times in machines:
        rows.append(_row("torch", device, batch, n, times))
    return rows
