"""The batch: per-program register presets, input streams and memory patches."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProgramInput:
    """What one program of a batch starts with, on top of the image.

    Values are stored as Python ints already reduced to 32-bit words
    (0..2^32-1); register keys are 0..15, memory keys are word addresses.
    """

    set: dict[int, int] = field(default_factory=dict)
    input: tuple[int, ...] = ()
    mem: dict[int, int] = field(default_factory=dict)
