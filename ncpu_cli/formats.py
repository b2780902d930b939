"""Image file formats besides YAML: Verilog $readmemh, raw binary, JSON, listing, symbols.

dump(image, fmt)        -> str (bytes for bin)
parse(data, name, fmt)  -> Image (fmt None: guessed from the name, else sniffed)
dump_image / save_image / load_image: the same for files and streams (YAML by default)

readmemh   8 hex digits a word, `@addr` (hex) before each run after a gap,
           `//` and `/* */` comments. The header comments `// entry: 0x...` and
           `// symbol NAME: 0x...` carry the entry and labels; other comments
           (source lines) are ignored on reading.
bin        raw little-endian 32-bit words from address 0; nothing else.
json       the YAML fields with `words` as a dense list of integers.
listing    address, word, disassembly and source line; `; symbol NAME: 0x...` and
           `; hole N: 0x... at FILE:LINE:COL` lines after the rows carry labels and holes.
symbols    label and address, sorted by address (output only).
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
from pathlib import PurePath
from typing import IO, Any

from ncpu_cli.errors import ImageError
from ncpu_cli.fsutil import write_atomic
from ncpu_cli.image import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Image,
    from_yaml,
    image_from_data,
    read_image_bytes,
    to_yaml,
)
from ncpu_cli.isa import MASK32, MAX_MEM_WORDS, load_isa
from ncpu_cli.readmemh import (
    HOLE_RE,
    SYMBOL_RE,
    from_readmemh,
    hole_from_note,
    hole_note,
    short_text,
    symbol_note,
    words_text,
)
from ncpu_cli.textdata import DataError, load_json

__all__ = ["FORMATS", "IMAGE_FORMATS", "EXTENSION", "dump", "parse", "guess_format",
           "words_text", "from_readmemh", "to_readmemh", "from_bin", "to_bin", "from_json",
           "to_json", "from_listing", "to_listing", "to_symbols", "dump_image", "save_image",
           "load_image"]

IMAGE_FORMATS = ("yaml", "readmemh", "bin", "json", "listing")  # can be read back
FORMATS = IMAGE_FORMATS + ("symbols",)
EXTENSION = {
    "yaml": ".yaml",
    "readmemh": ".hex",
    "bin": ".bin",
    "json": ".json",
    "listing": ".lst",
    "symbols": ".sym",
}
BY_EXTENSION = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".hex": "readmemh",
    ".mem": "readmemh",
    ".readmemh": "readmemh",
    ".bin": "bin",
    ".json": "json",
    ".lst": "listing",
    ".sym": "symbols",
}


# --------------------------------------------------------------------------- readmemh


def to_readmemh(image: Image, sources: dict[str, str] | None = None) -> str:
    out = [
        f"// {FORMAT_NAME} {image.isa}: {words_text(image.size)} of {image.word_bits} bits"
        " ($readmemh)",
        f"// entry: 0x{image.entry:04x}",
    ]
    out += [f"// {symbol_note(n, a)}" for n, a in image.symbols_by_address()]
    out += [f"// {hole_note(h)}" for h in image.holes]
    text = _SourceText(sources)
    for start, words in image.segments():
        out.append(f"@{start:04x}")
        for addr, word in enumerate(words, start):
            where = image.source_map.get(addr)
            note = f"{where[0]}:{where[1]}" if where else ""
            if where and text.first_word(image, addr) and text.line(*where):
                note += f"  {text.line(*where)}"
            note = f"  // {_printable(note)}" if note else ""
            out.append(f"{word & MASK32:08x}{note}".rstrip())
    return "\n".join(out) + "\n"


def _printable(text: str) -> str:
    """Comment text on one line: control and line-break characters escaped."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


# --------------------------------------------------------------------------- bin, json


def to_bin(image: Image) -> bytes:
    return struct.pack(f"<{image.size}I", *(w & MASK32 for w in image.words))


def from_bin(data: bytes, name: str) -> Image:
    if len(data) % 4:
        raise ImageError(
            f"{name}: truncated: {len(data)} bytes is not a whole number of 32-bit words"
        )
    if len(data) // 4 > MAX_MEM_WORDS:
        raise ImageError(
            f"{name}: {len(data) // 4} words is more than the largest memory"
            f" ({MAX_MEM_WORDS} words)"
        )
    return Image(list(struct.unpack(f"<{len(data) // 4}I", data)))


def to_json(image: Image) -> str:
    doc = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "isa": image.isa,
        "word_bits": image.word_bits,
        "size": image.size,
        "entry": image.entry,
        "symbols": dict(image.symbols_by_address()),
        "source_map": {str(a): f"{f}:{n}" for a, (f, n) in sorted(image.source_map.items())},
    }
    if image.holes:
        doc["holes"] = image.holes
    words = [str(w & MASK32) for w in image.words]
    rows = [", ".join(words[i : i + 8]) for i in range(0, len(words), 8)]
    head = json.dumps(doc, indent=1)[:-2]  # without the closing "\n}"
    return head + ',\n "words": [' + ",\n  ".join(rows) + "]\n}\n"


_ADDRESS_KEY = re.compile(r"[0-9]{1,6}")


def from_json(text: str, name: str) -> Image:
    try:
        data = load_json(text)
    except DataError as err:
        where = f"{name}:{err.line}" if err.line is not None else name
        out = ImageError(f"{where}: {err.message}")
        out.file, out.line = name, err.line  # type: ignore[attr-defined]
        raise out from None
    if isinstance(data, dict) and isinstance(data.get("source_map"), dict):
        smap = data["source_map"]
        data["source_map"] = {int(k) if _ADDRESS_KEY.fullmatch(k) else k: v
                              for k, v in smap.items()}
    return image_from_data(data, name, need_end=False)


# --------------------------------------------------------------------------- listing, symbols


class _SourceText:
    """Source lines for listings: `sources` maps a file name (as in the source map) to text."""

    def __init__(self, sources: dict[str, str] | None):
        self.lines = {f: t.splitlines() for f, t in (sources or {}).items()}

    def line(self, file: str, lineno: int, *, indented: bool = False) -> str:
        """The source line, stripped (or only right-stripped, tabs expanded, if `indented`)."""
        lines = self.lines.get(file, [])
        if not 0 < lineno <= len(lines):
            return ""
        text = lines[lineno - 1]
        return text.expandtabs(8).rstrip() if indented and text.strip() else text.strip()

    @staticmethod
    def first_word(image: Image, addr: int) -> bool:
        return addr == 0 or image.source_map.get(addr - 1) != image.source_map.get(addr)


def to_listing(image: Image, sources: dict[str, str] | None = None) -> str:
    from ncpu_cli.disasm import disassemble_word

    text, labels = _SourceText(sources), image.labels_at()
    rows = []  # (addr, word, instruction, file:line, source text)
    for addr, word in enumerate(image.words):
        where = image.source_map.get(addr)
        place = f"{where[0]}:{where[1]}" if where else ""
        line = text.line(*where, indented=True) if where and text.first_word(image, addr) else ""
        rows.append((addr, word, disassemble_word(word, labels, addr), place, line))
    iw = max([24, *(len(r[2]) for r in rows)])  # column widths
    pw = max([0, *(len(r[3]) for r in rows)])
    out = [
        f"; {image.isa} listing: {words_text(image.size)}, entry 0x{image.entry:04x}",
        f"; {'addr':<4}  {'word':<8}  {'instruction':<{iw}}  source",
    ]
    for addr, word, instr, place, line in rows:
        src = _printable(f"{place:<{pw}}  {line}" if line else place)
        out.append(f"  {addr:04x}  {word & MASK32:08x}  {instr:<{iw}}  {src}".rstrip())
    # the symbol table (and a sketch's holes) after the rows, as assembler listings do
    out += [f"; {symbol_note(n, a)}" for n, a in image.symbols_by_address()]
    out += [f"; {hole_note(h)}" for h in image.holes]
    return "\n".join(out) + "\n"


_LISTING_HEAD = re.compile(r";\s*(\S+) listing: ")  # recognises a listing
_LISTING_HEADER = re.compile(r";\s*(\S+) listing: ([0-9]{1,6}) words?, entry 0x([0-9a-fA-F]{1,8})"
                             r"\s*\Z")
_LISTING_ROW = re.compile(r"\s*([0-9a-fA-F]{4,8})\s+([0-9a-fA-F]{8})(?:\s|$)")


def from_listing(text: str, name: str) -> Image:
    """The words, entry, labels and holes of a listing (the source map is not kept)."""
    lines = text.splitlines()
    head = _LISTING_HEADER.match(lines[0]) if lines else None
    if head is None:
        raise ImageError(f"{name}:1: not an ncpu listing (no `; <isa> listing: N words, entry"
                         " 0xADDR` header)")
    isa = load_isa()
    if head.group(1) != isa.name:
        raise ImageError(f"{name}:1: listing is for ISA {short_text(head.group(1))}, this ncpu runs"
                         f" {isa.name!r}")
    declared, entry = int(head.group(2)), int(head.group(3), 16)
    if entry >= MAX_MEM_WORDS:
        raise ImageError(f"{name}:1: entry 0x{entry:x} is beyond the largest memory")
    words: list[int] = []
    symbols: dict[str, int] = {}
    holes: list[dict] = []
    for lineno, line in enumerate(lines[1:], start=2):
        note = line.strip()[1:].strip() if line.lstrip().startswith(";") else ""
        if sm := SYMBOL_RE.match(note):
            if symbols.setdefault(sm.group(1), int(sm.group(2), 16)) != int(sm.group(2), 16):
                raise ImageError(f"{name}:{lineno}: symbol {short_text(sm.group(1))} is given twice")
        elif hm := HOLE_RE.match(note):
            holes.append(hole_from_note(hm))
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        row = _LISTING_ROW.match(line)
        if row is None:
            raise ImageError(f"{name}:{lineno}: expected `address word ...`, got {short_text(line.strip())}")
        addr, word = int(row.group(1), 16), int(row.group(2), 16)
        if addr != len(words):
            raise ImageError(f"{name}:{lineno}: address 0x{addr:04x} out of order (expected 0x{len(words):04x})")
        if addr >= MAX_MEM_WORDS:
            raise ImageError(f"{name}:{lineno}: address 0x{addr:x} is beyond the largest memory")
        words.append(word)
    if not words:
        raise ImageError(f"{name}: listing holds no words")
    if len(words) != declared:
        raise ImageError(f"{name}: the header says {words_text(declared)} but the listing holds"
                         f" {len(words)} (truncated file?)")
    if any(a > MAX_MEM_WORDS for a in symbols.values()) or any(
            h["address"] >= len(words) for h in holes):
        raise ImageError(f"{name}: a symbol or hole address is beyond the image")
    return Image(words=words, entry=entry, isa=head.group(1), symbols=symbols, holes=holes)


def to_symbols(image: Image) -> str:
    items = image.symbols_by_address()
    width = max((len(n) for n, _ in items), default=0)
    return "".join(f"{name:<{width}}  0x{addr:04x}\n" for name, addr in items)


# --------------------------------------------------------------------------- dispatch


def dump(image: Image, fmt: str, sources: dict[str, str] | None = None) -> str | bytes:
    if fmt == "yaml":
        return to_yaml(image)
    if fmt == "readmemh":
        return to_readmemh(image, sources)
    if fmt == "bin":
        return to_bin(image)
    if fmt == "json":
        return to_json(image)
    if fmt == "listing":
        return to_listing(image, sources)
    if fmt == "symbols":
        return to_symbols(image)
    raise ValueError(f"unknown image format {fmt!r} (one of {', '.join(FORMATS)})")


def guess_format(name: str, data: bytes) -> str | None:
    """The format of an image: by file extension, else by content; None if unknown."""
    by_ext = BY_EXTENSION.get(PurePath(name).suffix.lower())
    if by_ext:
        return by_ext
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "bin"
    body = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not body:
        return None
    if body[0].startswith("{"):
        return "json"
    if _LISTING_HEAD.match(body[0]):
        return "listing"
    if any(ln.startswith("format:") for ln in body[:8]):
        return "yaml"
    bare = re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", " ", text, flags=re.S))
    tokens = bare.split()
    if all(re.fullmatch(r"@?[0-9a-fA-F_]+", t) for t in tokens) and (tokens or bare != text):
        return "readmemh"
    if "\0" in text or any(not (c.isprintable() or c.isspace()) for c in text):
        return "bin"
    return None


def parse(data: bytes, name: str, fmt: str | None = None) -> Image:
    """Read image bytes in format `fmt` (guessed when None); ImageError names `name`."""
    if not data:
        raise ImageError(f"{name}: empty file, not an ncpu image")
    fmt = fmt or guess_format(name, data)
    if fmt == "bin":
        return from_bin(data, name)
    if fmt == "symbols":
        raise ImageError(
            f"{name}: a symbol table holds no words; use an image "
            "(yaml, readmemh, bin, json or listing)"
        )
    if fmt not in IMAGE_FORMATS:
        what = (
            f"cannot read {fmt!r} files"
            if fmt
            else "not a recognised image (yaml, readmemh, bin, json or listing)"
        )
        raise ImageError(f"{name}: {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ImageError(
            f"{name}: not UTF-8 text (byte {err.start}); is it a binary image?"
        ) from None
    if fmt == "yaml":
        return from_yaml(text, name)
    if fmt == "json":
        return from_json(text, name)
    if fmt == "listing":
        return from_listing(text, name)
    return from_readmemh(text, name)


# --------------------------------------------------------------------------- files


def dump_image(
    image: Image, fmt: str = "yaml", sources: dict[str, str] | None = None
) -> str | bytes:
    """The image in format `fmt` (one of FORMATS); bytes for `bin`."""
    return dump(image, fmt, sources)


def save_image(
    image: Image,
    dest: str | os.PathLike[str] | IO[Any],
    fmt: str = "yaml",
    sources: dict[str, str] | None = None,
) -> None:
    """Write the image to a path (atomically) or an open stream (text, or binary for bin)."""
    data = dump(image, fmt, sources)
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


def load_image(path: str | os.PathLike[str], fmt: str | None = None) -> Image:
    """Read an image file; `fmt` (yaml, readmemh, bin, json, listing) is guessed when None."""
    return parse(read_image_bytes(path), str(path), fmt)
