"""Run configuration shared by every executor."""

from __future__ import annotations

from dataclasses import dataclass

MIN_MEM_WORDS = 16
MAX_MEM_WORDS = 65536
DEFAULT_MEM_WORDS = 1024
DEFAULT_MAX_CYCLES = 10_000_000
DEFAULT_MAX_OUT = 4096


@dataclass(frozen=True)
class MachineConfig:
    mem_words: int = DEFAULT_MEM_WORDS
    max_cycles: int = DEFAULT_MAX_CYCLES
    max_out: int = DEFAULT_MAX_OUT
    device: str = "cpu"
    dtype: str = "float64"  # soft mode only: float64 | float32
    addressing: str = "hard"  # soft mode only: softmax | sparsemax | hard
    temperature: float = 0.1  # soft mode only
