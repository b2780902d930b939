"""How much memory a device has free, and byte counts for messages (used by the
engines' own checks and by the run layer's check before it builds a machine)."""

from __future__ import annotations


def available_bytes(device: str) -> int | None:
    """Free memory on `device` ("cpu", "cuda", "cuda:N"; None when unknown)."""
    try:
        if str(device).startswith("cuda"):
            import torch

            free, _total = torch.cuda.mem_get_info(torch.device(device))
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
