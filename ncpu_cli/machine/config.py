"""Run configuration shared by every executor."""

from __future__ import annotations

from dataclasses import dataclass

from ncpu_cli.errors import RunError
from ncpu_cli.isa import MAX_MEM_WORDS

MIN_MEM_WORDS = 16
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


def check_mem_words(n: int) -> None:
    """RunError unless `n` is a supported memory size."""
    if not MIN_MEM_WORDS <= n <= MAX_MEM_WORDS:
        raise RunError(f"memory size {n} outside {MIN_MEM_WORDS}..{MAX_MEM_WORDS} words")


def check_limits(config: MachineConfig) -> None:
    """RunError unless the memory size, cycle limit and output limit are valid."""
    check_mem_words(config.mem_words)
    if config.max_cycles < 0:
        raise RunError(f"max_cycles must be >= 0, got {config.max_cycles}")
    if config.max_out < 0:
        raise RunError(f"max_out must be >= 0, got {config.max_out}")


def check_images(image, images, batch: int, n: int) -> None:
    """RunError unless `images` (one per program, or None: `image` for all) number `batch`
    and each fits in `n` words with its entry point inside memory."""
    if images is not None and len(images) != batch:
        raise RunError(f"{len(images)} images for {batch} programs")
    for k, im in enumerate(images if images is not None else [image]):
        where = f" (program {k})" if images is not None else ""
        if len(im.words) > n:
            raise RunError(f"image of {len(im.words)} words does not fit in {n} words{where}")
        if not 0 <= im.entry < n:
            raise RunError(f"entry point {im.entry} outside memory 0..{n - 1}{where}")


