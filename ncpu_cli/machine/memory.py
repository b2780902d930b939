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
            free = next((int(line.split()[1]) * 1024 for line in fh
                         if line.startswith("MemAvailable:")), None)
    except (OSError, ValueError, RuntimeError, AttributeError):
        return None
    room = address_space_left()
    return room if free is None else free if room is None else min(free, room)


def address_space_left() -> int | None:
    """What this process may still map under `ulimit -v` (RLIMIT_AS less VmSize), None
    when there is no such limit (or it cannot be read)."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status", encoding="ascii") as fh:
            size = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
        return max(0, limit - size)
    except (ImportError, OSError, ValueError, StopIteration):
        return None


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover
