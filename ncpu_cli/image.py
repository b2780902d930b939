"""Image: the assembled memory contents plus symbols, source map and entry.

This module holds the model and its YAML form (the default, lossless format).
The other formats (readmemh, raw binary, JSON, listing, symbols) and the functions
that pick one (`save_image` / `dump_image` / `load_image`) live in `ncpu_cli.formats`.

YAML layout (format "ncpu-image", version 1)::

    format: ncpu-image
    version: 1
    isa: ncpu32
    word_bits: 32
    size: 12                    # words in the image (addresses 0..size-1)
    entry: 0
    symbols:                    # label -> address
      "main": 0
    source_map:                 # address -> "file:line"
      0: "prog.s:3"
    segments:                   # contiguous runs of placed words; the rest is 0
      - start: 0
        words: ["0x04484000", "0x00000000"]
    end: true                   # a file without this line is truncated
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from ncpu_cli.errors import ImageError
from ncpu_cli.image_fields import FORMAT_NAME, FORMAT_VERSION, LABEL_RE, image_fields
from ncpu_cli.isa import MASK32
from ncpu_cli.textdata import DataError, load_yaml

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "LABEL_RE", "Image", "image_from_data", "from_yaml",
           "to_yaml", "read_image_bytes"]

_PLAIN_RE = re.compile(r"[ !#-\[\]-~]*\Z")  # printable ASCII without " and \\
WORDS_PER_LINE = 8


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

    def segments(self) -> list[tuple[int, list[int]]]:
        """Contiguous runs of placed words as (start, words).

        A word is placed when the source map names it or it is non-zero; the
        last word always is, so the size survives formats that store no size.
        """
        placed = [w != 0 or a in self.source_map for a, w in enumerate(self.words)]
        if placed:
            placed[-1] = True
        runs: list[tuple[int, list[int]]] = []
        for addr, is_placed in enumerate(placed):
            if not is_placed:
                continue
            if runs and runs[-1][0] + len(runs[-1][1]) == addr:
                runs[-1][1].append(self.words[addr])
            else:
                runs.append((addr, [self.words[addr]]))
        return runs

    def symbols_by_address(self) -> list[tuple[str, int]]:
        """(name, address) pairs by address, then name."""
        return sorted(self.symbols.items(), key=lambda kv: (kv[1], kv[0]))

    def labels_at(self) -> dict[int, str]:
        """One name per labelled address: a global name before a local one, then A-Z."""
        best: dict[int, str] = {}
        for name, addr in self.symbols.items():
            old = best.get(addr)
            if old is None or _label_rank(name) < _label_rank(old):
                best[addr] = name
        return best


def _label_rank(name: str) -> tuple[bool, int, str]:
    return ("." in name, len(name), name)


# --------------------------------------------------------------------------- YAML out


def _q(text: str) -> str:
    """A YAML double-quoted scalar on one line (YAML's own escaping)."""
    if _PLAIN_RE.match(text):
        return f'"{text}"'
    out = yaml.dump(
        text, Dumper=yaml.SafeDumper, default_style='"', width=1 << 30, allow_unicode=True
    )
    return out.rstrip("\n")


def _entry(key: str, value: int) -> str:
    """`  key: value`; a key past YAML's 1024-character limit for simple keys is written
    in the explicit form (`? key` / `: value`), which has no limit."""
    return f"  {key}: {value}" if len(key) < 1000 else f"  ? {key}\n  : {value}"


def _flow(value: Any) -> str:
    """Plain data as one line of YAML flow style."""
    text = yaml.dump(value, Dumper=yaml.SafeDumper, default_flow_style=True, width=1 << 30)
    return text.strip().removesuffix("...").strip()


def to_yaml(image: Image) -> str:
    """The image as YAML text (lossless; see the module docstring)."""
    from ncpu_cli.version import __version__

    out = [
        f"# ncpu memory image (written by ncpu {__version__}); words are hex, the rest decimal",
        f"format: {FORMAT_NAME}",
        f"version: {FORMAT_VERSION}",
        f"isa: {_q(image.isa)}",
        f"word_bits: {image.word_bits}",
        f"size: {image.size}",
        f"entry: {image.entry}",
    ]
    symbols = image.symbols_by_address()
    out.append("symbols:" + ("" if symbols else " {}"))
    out += [_entry(_q(name), addr) for name, addr in symbols]
    smap = sorted(image.source_map.items())
    out.append("source_map:" + ("" if smap else " {}"))
    out += [f"  {addr}: {_q(f'{file}:{line}')}" for addr, (file, line) in smap]
    if image.holes:
        out.append("holes:")
        out += [f"  - {_flow(hole)}" for hole in image.holes]
    segments = image.segments()
    out.append("segments:" + ("" if segments else " []"))
    for start, words in segments:
        hexes = [f'"0x{w & MASK32:08x}"' for w in words]
        rows = [
            ", ".join(hexes[i : i + WORDS_PER_LINE]) for i in range(0, len(hexes), WORDS_PER_LINE)
        ]
        out.append(f"  - start: {start}")
        out.append("    words: [" + ",\n      ".join(rows) + "]")
    out.append("end: true")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- YAML in


def image_from_data(data: Any, name: str, *, need_end: bool = True) -> Image:
    """Validate a parsed YAML/JSON image mapping (strictly: image_fields.py) and build the Image."""
    return Image(**image_fields(data, name, need_end=need_end))


def from_yaml(text: str, name: str = "<image>") -> Image:
    """Parse and validate YAML image text; ImageError names `name` and the problem."""
    try:
        data = load_yaml(text)
    except DataError as err:
        raise _data_error(name, err) from None
    if data is None:
        raise ImageError(f"{name}: empty file, not an ncpu image")
    return image_from_data(data, name)


def _data_error(name: str, err: DataError) -> ImageError:
    """A parse failure of an image file, with its file and line for `--json`."""
    out = ImageError(f"{name}: {err.message}")
    out.file, out.line = name, err.line  # type: ignore[attr-defined]
    return out


# --------------------------------------------------------------------------- file bytes


# A YAML image of 65536 words with a full source map is about 3 MB.
MAX_IMAGE_BYTES = 64 << 20


def read_image_bytes(source: str | os.PathLike[str] | IO[bytes], name: str | None = None) -> bytes:
    """The bytes of an image file (or open binary stream), at most MAX_IMAGE_BYTES.

    OSError naming the file when it is a folder, a device, or larger than any image can be.
    """
    if not isinstance(source, (str, os.PathLike)):
        data = source.read(MAX_IMAGE_BYTES + 1)
        name = name or "<stream>"
    else:
        path = Path(source)
        name = name or str(path)
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder, not an image file", name)
        if path.exists() and not (path.is_file() or path.is_fifo()):
            raise OSError(errno.EINVAL, "not a regular file", name)
        with open(path, "rb") as fh:
            data = fh.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"{name}: larger than {MAX_IMAGE_BYTES >> 20} MiB, not an ncpu image")
    return data
