"""Image: the assembled memory contents plus symbols, source map and entry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Image:
    """A memory image.

    words       unsigned 32-bit words; index = address; len(words) = size
    entry       address execution starts at
    symbols     label / .equ-free names -> address (labels only)
    source_map  address -> (file, line) of the statement that placed it
    """

    words: list[int]
    entry: int = 0
    symbols: dict[str, int] = field(default_factory=dict)
    source_map: dict[int, tuple[str, int]] = field(default_factory=dict)
    isa: str = "ncpu32"
    word_bits: int = 32
    holes: list[dict] = field(default_factory=list)  # only with --keep-holes (ncpu fit)

    @property
    def size(self) -> int:
        return len(self.words)
