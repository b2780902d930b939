"""Which machine a benchmark ran on: CPU model, core count, GPU, torch version."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """CPU model name as the OS reports it (falls back to the platform string)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str = "cpu") -> dict:
    import torch

    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def describe(info: dict) -> str:
    """One line: `AMD EPYC ... (2 cores), torch 2.13.0` (+ GPU when present)."""
    text = f"{info['cpu']} ({info['cores']} cores, {info['torch_threads']} torch threads), torch {info['torch']}"
    if "gpu" in info:
        text += f", GPU {info['gpu']}"
    return text
