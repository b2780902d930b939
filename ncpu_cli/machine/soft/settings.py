"""What a soft run is set up with: the soft-mode checks of a MachineConfig (float
width, addressing, temperature, limits, device), the memory it needs at its peak
(:func:`soft_bytes_needed`, from measured numbers) and the torch CPU threads the soft
machine steps with."""

from __future__ import annotations

import os

import torch

from ncpu_cli.errors import RunError
from ncpu_cli.machine.config import MachineConfig, check_limits
from ncpu_cli.machine.device import resolve_device
from ncpu_cli.machine.soft.addressing import check_mode

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def check_config(config: MachineConfig) -> tuple[torch.device, torch.dtype]:
    """Validate the soft-mode parts of `config`; returns (device, dtype)."""
    if config.dtype not in DTYPES:
        raise RunError(f"unknown dtype `{config.dtype}` (choose {', '.join(DTYPES)})")
    try:
        check_mode(config.addressing, config.temperature)
    except ValueError as err:
        raise RunError(str(err)) from None
    check_limits(config)
    return resolve_device(str(config.device)), DTYPES[config.dtype]


# Peak memory of a soft run, per program of a chunk (SoftBatch runs CHUNK at a time).
# Measured with `python -m ncpu_cli.bench.soft_memory PROGRAM --batch B --mem-words N
# --addressing A --dtype D` (the peak resident size a fresh process gains by the run) on
# programs/{collatz,sieve,bubble_sort,memcpy,string_reverse,jumptable}.s, B = 8..1024,
# N = 1024..65536, hard / sparsemax / softmax, float64 and float32: at most 116 bytes per
# memory word per program in float64 (14.5 floats) and 63 in float32 (15.8 floats: some
# temporaries are float64 at either width), softmax at most 10.4 floats; the peak comes
# when finished programs are set aside and put back (the state's four (B, N) tensors, the
# step's two buffers and the copies made then).  The estimate allows 16 floats + 8 bytes
# per word (136 / 72 bytes) and 16 KiB per program besides (measured: at most 9 KiB).
# (The estimate before, 4 floats per word, was less than half of what 1,024 programs x
# 65,536 words used.)
SOFT_FLOATS_PER_WORD = 16  # floats per memory word live at the peak, per program
SOFT_BYTES_PER_WORD = 8  # ... and bytes per word whatever the float width
SOFT_FLOATS_PER_OUT = 3  # output slots: the window, its widened copy, the read-out
SOFT_FLOATS_PER_IN = 8  # input words: values, masks, the cursor's scores
SOFT_BYTES_PER_PROGRAM = 16 * 1024  # registers, per-program scalars, temporaries


def soft_bytes_needed(programs: int, config: MachineConfig, max_input: int) -> int:
    """Bytes `programs` programs hold at once on the soft machine at their peak (the
    constants above; output up to min(max_out, max_cycles) words)."""
    item = DTYPES[config.dtype].itemsize if config.dtype in DTYPES else 8
    out_words = min(config.max_out, config.max_cycles)
    floats = (SOFT_FLOATS_PER_WORD * config.mem_words + SOFT_FLOATS_PER_OUT * out_words
              + SOFT_FLOATS_PER_IN * (max_input + 1))
    return programs * (floats * item + SOFT_BYTES_PER_WORD * config.mem_words
                       + SOFT_BYTES_PER_PROGRAM)


def soft_cpu_threads() -> int:
    """torch intra-op threads the soft machine steps with on the CPU: NCPU_SOFT_THREADS,
    default 1."""
    env = os.environ.get("NCPU_SOFT_THREADS", "").strip()
    return max(1, int(env)) if env.isascii() and env.isdigit() else 1


class cpu_threads:
    """Context: while the soft machine steps on `device` (the CPU), torch's intra-op
    threads set to :func:`soft_cpu_threads`, restored afterwards (also for callers that
    run its backward pass, like ``ncpu fit``).  A cycle is a few hundred small tensor
    operations; with two threads the second mostly spin-waits between them, which on a
    busy 2-core machine costs more than the big operations gain (measured: docs/soft.md,
    "Speed")."""

    def __init__(self, device: torch.device):
        self.want = soft_cpu_threads() if device.type == "cpu" else None
        self.old = None

    def __enter__(self):
        if self.want is not None and torch.get_num_threads() != self.want:
            self.old = torch.get_num_threads()
            torch.set_num_threads(self.want)
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            torch.set_num_threads(self.old)
        return False
