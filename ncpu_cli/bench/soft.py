"""Soft-executor throughput: instructions (cycles × programs) per second.

`bench_soft` runs a fixed loop (load, add, store, counter, branch: every
address head busy) for a fixed number of cycles on B copies and times the
cycles only (set-up and one warm-up chunk excluded).  Softmax at τ = 0.05 keeps
every pointer dense (a leak on every slot) while the programs keep running: at
τ = 0.1 the leaked code words derail the loop into an address fault within 32
cycles, and a benchmark of stopped programs would measure nothing real.  Each
row says how much of the batch was still running at the end (``running``).
"""

from __future__ import annotations

import time
from typing import Sequence

import torch

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput


def bench_program() -> Image:
    """A loop that never ends on its own: r1 counts, a word of a 64-word table is
    read, added to and written back each turn.

        loop: andi r4, r1, 63 ; ld r3, 128(r4) ; add r3, r3, r1 ; st r3, 128(r4)
              addi r1, r1, 1  ; blt r1, r2, loop ; halt      (r2 = 2^30)
    """
    isa = load_isa()
    e = isa.encode
    words = [
        e("lui", rd=2, imm=1 << 20),  # r2 = 2^30
        e("andi", rd=4, ra=1, imm=63),  # loop (address 1)
        e("ld", rd=3, ra=4, imm=128),
        e("add", rd=3, ra=3, rb=1),
        e("st", ra=4, rb=3, imm=128),
        e("addi", rd=1, ra=1, imm=1),
        e("blt", ra=1, rb=2, imm=1),
        e("halt"),
    ]
    return Image(words=words)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bench_soft(
    device: str = "cpu",
    batches: Sequence[int] = (1, 256, 2048),
    mem_words: int = 256,
    dtypes: Sequence[str] = ("float32", "float64"),
    *,
    addressing: str = "softmax",
    temperature: float = 0.05,
    cycles: int = 256,
) -> list[dict]:
    """Rows {engine, device, batch, dtype, cycles, seconds, ips, running}: `cycles`
    cycles of `batch` copies of :func:`bench_program` on N = `mem_words` words, with
    `addressing` at `temperature` (softmax, τ = 0.05: every pointer dense); `running`
    is the smallest running mass of a program at the end (1: nothing has stopped).

    The machine steps with torch's intra-op threads at NCPU_SOFT_THREADS (default 1,
    see ``machine/soft/settings.py``)."""
    from ncpu_cli.machine.soft.machine import SoftMachine
    from ncpu_cli.machine.soft.settings import soft_cpu_threads

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RunError("--device cuda: no CUDA GPU is available (torch.cuda.is_available() is False)")
    image = bench_program()
    rows = []
    for dtype in dtypes:
        for batch in batches:
            config = MachineConfig(mem_words=mem_words, max_cycles=cycles + 32, device=device,
                                   dtype=dtype, addressing=addressing, temperature=temperature)
            machine = SoftMachine(image, config, [ProgramInput()] * batch)
            with torch.no_grad():
                machine.advance(32)  # warm-up (allocator, caches)
                _sync(device)
                start = time.perf_counter()
                machine.advance(cycles)
                _sync(device)
                seconds = time.perf_counter() - start
            rows.append({
                "engine": "soft",
                "device": device,
                "batch": batch,
                "dtype": dtype,
                "cycles": cycles,
                "seconds": seconds,
                "ips": batch * cycles / seconds if seconds > 0 else 0.0,
                **({"threads": soft_cpu_threads()} if device == "cpu" else {}),
                "running": round(float(machine.run_mass.min()), 6),
            })
    return rows
