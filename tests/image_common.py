"""Shared by the image-file tests: a sample image with gaps, a trailing zero word,
YAML-hostile label and file names and the extreme words, and its bytes in any format."""

from __future__ import annotations

from ncpu_cli.formats import dump_image
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa

ISA = load_isa()


def sample() -> Image:
    """Gaps, a trailing zero word, YAML-hostile label and file names, the extreme words."""
    enc = ISA.encode
    words = [
        enc("add", 1, 2, 3),
        enc("beq", 0, 1, 2, 6),
        0,
        0,
        0,
        0,
        enc("li", 3, 0, 0, -5),
        0xFFFF_FFFF,
        0x8000_0000,
        0,
    ]
    return Image(
        words,
        entry=6,
        symbols={"main": 0, "yes": 6, "null": 7, ".local": 7, "main.x": 9, "end": 10},
        source_map={0: ("prog.s", 1), 1: ("prog.s", 2), 6: ('dir/a:"b".s', 9), 9: ("prog.s", 12)},
    )


def raw(image: Image, fmt: str) -> bytes:
    data = dump_image(image, fmt)
    return data if isinstance(data, bytes) else data.encode()
