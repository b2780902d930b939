"""One torch device for the tensor executors: a name checked, or a clear RunError."""

from __future__ import annotations

import torch

from ncpu_cli.errors import RunError


def resolve_device(name: str) -> torch.device:
    """`cpu` | `cuda` | `cuda:N` | `auto` (cuda when available) -> torch.device, or RunError
    when it is not usable."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise RunError(f"unknown device `{name}` (expected cpu, cuda or cuda:N)") from exc
    if dev.type == "cpu":
        return torch.device("cpu")
    if dev.type != "cuda":
        raise RunError(f"unsupported device `{name}` (expected cpu, cuda or cuda:N)")
    if not torch.cuda.is_available():
        raise RunError(f"CUDA requested but no GPU is available (device `{name}`; torch sees "
                       "no CUDA GPU)")
    count = torch.cuda.device_count()
    index = dev.index if dev.index is not None else torch.cuda.current_device()
    if not 0 <= index < count:
        raise RunError(f"CUDA device {index} requested but only {count} GPU(s) are present")
    return torch.device("cuda", index)
