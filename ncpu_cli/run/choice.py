"""Choosing the executor of a run: engine names, `--engine auto`, the device.

The names come from the registry (`engines.py`). `choose_engine` picks by device and
batch size from measured numbers (README's speed section); `why_engine` says why in
one line (`ncpu run -v`).
"""

from __future__ import annotations

import os
import sys

from ncpu_cli.errors import RunError
from ncpu_cli.run.engines import ALIASES
from ncpu_cli.run.engines import ENGINES as REGISTRY

# what --engine accepts: auto, every exact engine of the registry, and the aliases
ENGINES = ("auto", *(n for n in REGISTRY if n != "soft"), *ALIASES)
CPU_ONLY = tuple(n for n, e in REGISTRY.items() if e.devices == ("cpu",))
MODES = ("exact", "soft")
DEVICES = ("auto", "cpu", "cuda")


class EngineUsageError(RunError):
    """The requested engine/mode/device combination is not a valid command line."""


# Without one of these, torch.cuda.is_available() is False on Linux: the NVIDIA driver
# (also inside containers), WSL's GPU paravirtualisation, and AMD's ROCm torch builds.
GPU_DRIVER_NODES = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg",
                    "/dev/kfd")


def no_gpu_possible() -> bool:
    """True when torch could not see a CUDA GPU here anyway (Linux with no GPU driver
    node, or macOS), so `--device auto` can pick the CPU without importing torch (which
    takes seconds). False whenever in doubt: torch then decides."""
    if "torch" in sys.modules:
        return False  # already paid for: ask torch itself
    if sys.platform == "darwin":
        return True
    if sys.platform.startswith("linux"):
        return not any(os.path.exists(node) for node in GPU_DRIVER_NODES)
    return False


def cuda_available() -> bool:
    if no_gpu_possible():
        return False
    import torch

    return bool(torch.cuda.is_available())


def validate_engine(engine: str, mode: str, device: str) -> None:
    """Reject combinations that make no sense as a command line."""
    if engine not in ENGINES:
        raise EngineUsageError(f"unknown engine `{engine}` (choose {', '.join(ENGINES)})")
    if mode not in MODES:
        raise EngineUsageError(f"unknown mode `{mode}` (choose {', '.join(MODES)})")
    if device not in DEVICES:
        raise EngineUsageError(f"unknown device `{device}` (choose {', '.join(DEVICES)})")
    if engine in CPU_ONLY and device == "cuda":
        raise EngineUsageError(
            f"--engine {engine} runs on the CPU only; use --engine torch or triton with "
            "--device cuda"
        )
    if mode == "soft" and engine != "auto":
        raise EngineUsageError(
            f"--engine {engine} applies to --mode exact; --mode soft always uses the soft executor"
        )


def resolve_device(device: str, engine: str = "auto") -> str:
    """`auto` -> cuda when available (cpu for a CPU-only engine); `cuda` must exist."""
    if device == "auto":
        if engine in CPU_ONLY:
            return "cpu"
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise RunError(
            "--device cuda: no CUDA GPU is available (torch.cuda.is_available() is False)"
        )
    return device


# Without numba, up to this many programs `--engine auto` runs the reference interpreter
# on the CPU. Measured with `ncpu bench engines` on a 2-core Xeon: the eager torch step
# costs ~0.24 ms a cycle for the whole batch at small B (about 110 tensor operations), so
# it runs at 0.89x the reference at B = 1,024 and 2.2x at B = 16,384; the interpreter
# also starts without importing torch.
AUTO_REFERENCE_MAX = 1024

# From this many programs, `--engine auto` on CUDA runs the fused Triton kernel (when
# triton imports and TRITON_INTERPRET is off). Unmeasured until a GPU run (make
# gpu-check): the kernel keeps every lane busy only with thousands of programs.
AUTO_TRITON_MIN = 4096
INTERPRET_ON = ("1", "true", "on", "yes")  # TRITON_INTERPRET values that mean "on", as
# the Triton engine reads them (machine/exact/triton_engine.interpret_requested)


def native_unavailable() -> str | None:
    """Why the native engine cannot run here (numba missing or broken), else None."""
    return REGISTRY["native"].unavailable()


def triton_unavailable() -> str | None:
    """Why the Triton engine cannot run here (triton or numba missing), with the fix."""
    return REGISTRY["triton"].unavailable()


def _auto_triton(device: str, batch_size: int) -> bool:
    return (device.startswith("cuda") and batch_size >= AUTO_TRITON_MIN
            and os.environ.get("TRITON_INTERPRET", "0").strip().lower() not in INTERPRET_ON
            and triton_unavailable() is None)


def choose_engine(engine: str, mode: str, device: str, batch_size: int) -> str:
    """The registered engine for a run: `soft`, `native`, `triton`, `torch` or `reference`
    (`why_engine` says why). auto on the CPU: the native engine at every batch size;
    without numba, the reference interpreter up to AUTO_REFERENCE_MAX programs, else
    torch. auto on a GPU: triton from AUTO_TRITON_MIN programs when it imports, else
    torch. `exact` is the torch engine's older name."""
    validate_engine(engine, mode, device)
    if mode == "soft":
        return "soft"
    if engine != "auto":
        return ALIASES.get(engine, engine)
    if device == "cpu" and native_unavailable() is None:
        return "native"
    if _auto_triton(device, batch_size):  # never on the CPU: there it is the interpreter
        return "triton"
    return "reference" if batch_size <= AUTO_REFERENCE_MAX and device == "cpu" else "torch"


def why_engine(engine: str, mode: str, device: str, batch_size: int) -> str:
    """One line on the choice `choose_engine` makes (for `ncpu run -v`)."""
    chosen = choose_engine(engine, mode, device, batch_size)
    if mode == "soft":
        return "engine soft: --mode soft always uses the soft executor"
    if engine != "auto":
        return f"engine {chosen}: asked for with --engine {engine}"
    if chosen == "triton":
        return (f"engine triton: auto on {device} for {batch_size} programs (at least "
                f"{AUTO_TRITON_MIN}) uses the fused Triton kernel")
    if device != "cpu":
        return f"engine {chosen}: auto on {device} uses the batched tensor executor"
    if chosen == "native":
        return "engine native: auto on the CPU uses the compiled interpreter"
    size = f"{batch_size} program{'s' * (batch_size != 1)}"
    return (f"engine {chosen}: auto on the CPU for {size}; the native engine is not "
            f"available ({native_unavailable()})")
