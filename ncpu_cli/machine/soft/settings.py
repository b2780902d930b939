"""What a soft run is set up with: the soft-mode checks of a MachineConfig (float
width, addressing, temperature, limits, device) and the torch CPU threads the soft
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


def soft_cpu_threads() -> int:
    """torch intra-op threads the soft machine steps with on the CPU: NCPU_SOFT_THREADS,
    default 1."""
    env = os.environ.get("NCPU_SOFT_THREADS", "").strip()
    return max(1, int(env)) if env.isdigit() else 1


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
