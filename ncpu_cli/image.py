"""Image: the assembled memory contents plus symbols, source map and entry.

This module holds the model and its YAML form (the default, lossless format).
`save_image` / `dump_image` / `load_image` pick a format; the other formats
(readmemh, raw binary, JSON, listing, symbols) live in `ncpu_cli.formats`.

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
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from ncpu_cli.errors import ImageError
from ncpu_cli.isa import MASK32, load_isa
from ncpu_cli.machine.config import MAX_MEM_WORDS

FORMAT_NAME = "ncpu-image"
FORMAT_VERSION = 1
LABEL_RE = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*\Z")
HEX_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]+)\Z")
_PLAIN_RE = re.compile(r"[ !#-\[\]-~]*\Z")  # printable ASCII without " and \\
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: much faster
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


def _flow(value: Any) -> str:
    """Plain data as one line of YAML flow style."""
    text = yaml.dump(value, Dumper=yaml.SafeDumper, default_flow_style=True, width=1 << 30)
    return text.strip().removesuffix("...").strip()


def to_yaml(image: Image) -> str:
    """The image as YAML text (lossless; see the module docstring)."""
    from ncpu_cli import __version__

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
    out += [f"  {_q(name)}: {addr}" for name, addr in symbols]
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


class _Checker:
    """Validates a parsed image mapping; every complaint names the file."""

    KEYS = {
        "format",
        "version",
        "isa",
        "word_bits",
        "size",
        "entry",
        "symbols",
        "source_map",
        "segments",
        "holes",
        "end",
        "words",
    }

    def __init__(self, name: str):
        self.name = name

    def fail(self, what: str) -> ImageError:
        return ImageError(f"{self.name}: {what}")

    def integer(self, value: Any, what: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{what}: {value!r} is not an integer")
        if not lo <= value <= hi:
            raise self.fail(f"{what}: {value} is outside {lo}..{hi}")
        return value

    def word(self, value: Any, what: str) -> int:
        if isinstance(value, str):
            m = HEX_RE.match(value.strip().replace("_", ""))
            if not m:
                raise self.fail(f"{what}: {value!r} is not a hex word")
            number = int(m.group(1), 16)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise self.fail(f"{what}: {value!r} is not a hex word")
        if not 0 <= number <= MASK32:
            raise self.fail(f"{what}: {value!r} does not fit in 32 bits")
        return number

    def mapping(self, value: Any, what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{what}: expected a mapping, got {type(value).__name__}")
        return value

    def sequence(self, value: Any, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{what}: expected a list, got {type(value).__name__}")
        return value

    def header(self, data: Any) -> tuple[int, int]:
        if not isinstance(data, dict):
            raise self.fail("not an ncpu image (expected a mapping of image fields)")
        if data.get("format") != FORMAT_NAME:
            raise self.fail(
                f"not an ncpu image (format {data.get('format')!r}, expected {FORMAT_NAME!r})"
            )
        version = data.get("version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise self.fail(
                f"image format version {version!r} is not supported"
                f" (this ncpu reads version {FORMAT_VERSION})"
            )
        unknown = sorted(str(k) for k in data if k not in self.KEYS)
        if unknown:
            raise self.fail(f"unknown field(s): {', '.join(unknown)}")
        for key in ("isa", "word_bits", "size", "entry"):
            if key not in data:
                raise self.fail(f"missing field {key!r}")
        isa = load_isa()
        if data.get("isa") != isa.name:
            raise self.fail(f"image is for ISA {data.get('isa')!r}, this ncpu runs {isa.name!r}")
        if data.get("word_bits") != isa.word_bits:
            raise self.fail(
                f"image has {data.get('word_bits')!r}-bit words, {isa.name} has {isa.word_bits}"
            )
        size = self.integer(data["size"], "size", 0, MAX_MEM_WORDS)
        entry = self.integer(data["entry"], "entry", 0, MAX_MEM_WORDS - 1)
        return size, entry

    def symbols(self, raw: Any) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, addr in self.mapping(raw, "symbols").items():
            if not isinstance(name, str) or not LABEL_RE.match(name):
                raise self.fail(f"symbols: {name!r} is not a label name")
            out[name] = self.integer(addr, f"symbol {name!r}", 0, MAX_MEM_WORDS)
        return out

    def source_map(self, raw: Any, size: int) -> dict[int, tuple[str, int]]:
        out: dict[int, tuple[str, int]] = {}
        for addr, where in self.mapping(raw, "source_map").items():
            self.integer(addr, "source_map address", 0, max(size - 1, 0))
            file, sep, line = where.rpartition(":") if isinstance(where, str) else ("", "", "")
            if not (sep and file and line.isdigit() and int(line) >= 1):
                raise self.fail(f"source_map {addr}: {where!r} is not 'file:line'")
            out[addr] = (file, int(line))
        return out

    def segments(self, raw: Any, size: int) -> list[int]:
        words = [0] * size
        owner: list[int | None] = [None] * size
        for i, seg in enumerate(self.sequence(raw, "segments")):
            if not isinstance(seg, dict) or set(seg) != {"start", "words"}:
                raise self.fail(f"segment {i}: expected 'start' and 'words'")
            start = self.integer(seg["start"], f"segment {i} start", 0, MAX_MEM_WORDS)
            values = self.sequence(seg["words"], f"segment {i} words")
            if start + len(values) > size:
                raise self.fail(
                    f"segment {i}: words {start}..{start + len(values) - 1} lie beyond size {size}"
                )
            for j, value in enumerate(values):
                addr = start + j
                if owner[addr] is not None:
                    raise self.fail(f"segment {i} overlaps segment {owner[addr]} at address {addr}")
                owner[addr] = i
                words[addr] = self.word(value, f"segment {i} word {j}")
        return words

    def dense(self, raw: Any, size: int) -> list[int]:
        values = self.sequence(raw, "words")
        if len(values) != size:
            raise self.fail(f"words: {len(values)} words but size is {size} (truncated?)")
        return [self.word(v, f"word {a}") for a, v in enumerate(values)]

    def holes(self, raw: Any) -> list[dict]:
        holes = self.sequence(raw, "holes")
        for i, hole in enumerate(holes):
            if not isinstance(hole, dict):
                raise self.fail(f"hole {i}: expected a mapping")
        return holes


def image_from_data(data: Any, name: str, *, need_end: bool = True) -> Image:
    """Validate a parsed YAML/JSON image mapping and build the Image."""
    chk = _Checker(name)
    size, entry = chk.header(data)
    if need_end and data.get("end") is not True:
        raise chk.fail("truncated file (the closing 'end: true' line is missing)")
    if "words" in data and "segments" in data:
        raise chk.fail("has both 'words' and 'segments'")
    if "words" in data:
        words = chk.dense(data["words"], size)
    elif "segments" in data:
        words = chk.segments(data["segments"], size)
    else:
        raise chk.fail("missing field 'segments'")
    return Image(
        words=words,
        entry=entry,
        symbols=chk.symbols(data.get("symbols")),
        source_map=chk.source_map(data.get("source_map"), size),
        isa=data["isa"],
        word_bits=data["word_bits"],
        holes=chk.holes(data.get("holes")),
    )


def from_yaml(text: str, name: str = "<image>") -> Image:
    """Parse and validate YAML image text; ImageError names `name` and the problem."""
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        hint = " (truncated file?)" if "end of stream" in str(problem) else ""
        raise ImageError(f"{name}: not valid YAML{where}: {problem}{hint}") from None
    if data is None:
        raise ImageError(f"{name}: empty file, not an ncpu image")
    return image_from_data(data, name)


# --------------------------------------------------------------------------- any format


def dump_image(
    image: Image, fmt: str = "yaml", sources: dict[str, str] | None = None
) -> str | bytes:
    """The image in format `fmt` (see ncpu_cli.formats.FORMATS); bytes for `bin`."""
    from ncpu_cli import formats

    return formats.dump(image, fmt, sources)


def save_image(
    image: Image,
    dest: str | os.PathLike[str] | IO[Any],
    fmt: str = "yaml",
    sources: dict[str, str] | None = None,
) -> None:
    """Write the image to a path (atomically) or an open stream (text, or binary for bin)."""
    from ncpu_cli.fsutil import write_atomic

    data = dump_image(image, fmt, sources)
    if isinstance(dest, (str, os.PathLike)):
        write_atomic(dest, data)
        return
    if isinstance(data, str):
        dest.write(data.encode("utf-8") if _is_binary(dest) else data)
    elif _is_binary(dest):
        dest.write(data)
    else:
        dest.buffer.write(data)  # a text stream such as sys.stdout: write under it


def _is_binary(stream: IO[Any]) -> bool:
    if isinstance(stream, (io.BufferedIOBase, io.RawIOBase)):
        return True
    return not isinstance(stream, io.TextIOBase) and "b" in getattr(stream, "mode", "")


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


def load_image(path: str | os.PathLike[str], fmt: str | None = None) -> Image:
    """Read an image file; `fmt` (yaml, readmemh, bin, json) is guessed when None."""
    from ncpu_cli import formats

    return formats.parse(read_image_bytes(path), str(path), fmt)
