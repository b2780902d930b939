"""Exact-executor throughput, with the reference interpreter measured in the same run.

`bench_exact` runs one fixed loop-heavy program (ALU, shift, multiply, store,
load, counter, backward branch; it never halts within the measured cycles) on B
copies, and times `cycles` cycles after one warm-up chunk (set-up, TorchScript
compilation and CUDA-graph capture excluded; the once-per-chunk "all stopped?"
checks included). The reference interpreter runs the same program for
`reference_cycles` instructions, so the ratio is honest. Every figure is the
median of `repeats` timings (a shared machine's noise moves single ones by 10%).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import torch

from ncpu_cli.bench.machine import cpu_model
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine import exact_tables as xt
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


def step_name(features) -> str:
    """'full', or which optional parts (exact_tables.FEATURES) the step was built without."""
    missing = [f for f in xt.FEATURES if f not in features]
    return "without " + ", ".join(missing) if missing else "full"


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
    return 2048 if batch < 4096 else 768


def bench_reference(cycles: int = 200_000, mem_words: int = 1024, repeats: int = 5) -> dict:
    """The reference interpreter on the same program: one program, `cycles` instructions,
    the median of `repeats` runs."""
    from ncpu_cli.machine.reference import ReferenceMachine

    times = []
    for _ in range(repeats):
        m = ReferenceMachine(bench_program(), MachineConfig(mem_words=mem_words,
                                                            max_cycles=cycles))
        t0 = time.perf_counter()
        m.run()
        times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    return {"engine": "reference", "device": "cpu", "batch": 1, "cycles": m.cycles,
            "instructions": m.cycles, "seconds": seconds, "ips": m.cycles / seconds,
            "repeats": repeats, "step": "-"}


def bench_exact(
    device: str = "cpu",
    batches: Sequence[int] = (1, 1024, 16384),
    cycles: int | None = None,
    *,
    mem_words: int = 1024,
    reference_cycles: int = 200_000,
    shards: int | None = None,
    repeats: int = 5,
) -> list[dict]:
    """Rows {engine, device, batch, cycles, instructions, seconds, ips, shards, repeats, step}:
    the reference first, then the exact machine at every batch size (and the largest once
    more with the full step, see `runs`); `cycles` and `seconds` are per timing, `ips`
    their ratio, each the median of `repeats` timings. `bench_info(device)` says what ran
    them (torch version, CPU model or GPU name)."""
    from ncpu_cli.machine.exact import ExactMachine

    rows = [{**bench_reference(reference_cycles, mem_words, repeats), "shards": 1}]
    image = bench_program()
    # every batch with the step the program gets (it has no div, in or out), and the
    # largest once more with the full step, the one a program using all of them gets
    runs = [(b, None) for b in batches] + [(max(batches), xt.FEATURES)] if batches else []
    for batch, features in runs:
        n = cycles or _auto_cycles(batch, device)
        probe = ExactMachine(image, MachineConfig(mem_words=mem_words, max_cycles=1,
                                                  device=device), [ProgramInput()])
        warm = probe.chunk
        del probe
        config = MachineConfig(mem_words=mem_words, max_cycles=warm + repeats * n,
                               device=device)
        m = ExactMachine.broadcast(image, config, ProgramInput(), batch, shards=shards,
                                   features=features)
        m.step(warm)  # compile / capture / first-touch outside the timing
        times = []
        for _ in range(repeats):
            _sync(device)
            t0 = time.perf_counter()
            m.run(cycles=n)
            _sync(device)
            times.append(time.perf_counter() - t0)
        seconds = statistics.median(times)
        rows.append({"engine": "exact", "device": device, "batch": batch, "cycles": n,
                     "instructions": batch * n, "seconds": seconds,
                     "ips": batch * n / seconds, "shards": len(m._shards),  # noqa: SLF001
                     "repeats": repeats, "step": step_name(m.features)})
    return rows
