"""Reading Verilog $readmemh images (written by `formats.to_readmemh`).

8 hex digits a word, `@addr` (hex) before each run after a gap, `//` and
`/* */` comments. Full-line comments that start like a header line
(`// ncpu-image ncpu32: N words of 32 bits`, `// entry: 0x...`,
`// symbol NAME: 0x...`, `// hole N: 0x... at FILE:LINE:COL`) must parse: they
carry the size, entry, labels and where a sketch's holes are (an image with holes
does not run). Other comments (source lines) are ignored. A file without words is not an
image unless its header says `0 words`.
"""

from __future__ import annotations

import re

from ncpu_cli.errors import ImageError
from ncpu_cli.image import FORMAT_NAME, Image
from ncpu_cli.isa import MAX_MEM_WORDS, load_isa


def words_text(n: int) -> str:
    """`1 word`, `56 words`."""
    return f"{n} word{'s' if n != 1 else ''}"


def short_text(text: str) -> str:
    """`text` quoted for a message, cut to 40 characters."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


_HEADER_RE = re.compile(rf"{FORMAT_NAME}\s+(\S+):\s*([0-9]{{1,6}})\s+words?\s+of\s+([0-9]{{1,4}})"
                        r"\s+bits(?:\s+\(\$readmemh\))?\s*\Z")
_ENTRY_RE = re.compile(r"entry:\s*0x([0-9a-fA-F]{1,8})\s*\Z")
SYMBOL_RE = re.compile(r"symbol\s+([A-Za-z_.][A-Za-z0-9_.]*):\s*0x([0-9a-fA-F]{1,8})\s*\Z")
HOLE_RE = re.compile(r"hole\s+([0-9]{1,6}):\s*0x([0-9a-fA-F]{1,8})"
                     r"(?:\s+at\s+(.+?):([0-9]{1,9})(?::([0-9]{1,9}))?)?\s*\Z")
# A full-line comment that starts like a header line must be one (else it is an error).
_HEADERISH_RE = re.compile(rf"{FORMAT_NAME}\b|entry:|symbol\s+\S*:|hole\s+\S*:")


def symbol_note(name: str, addr: int) -> str:
    """The comment text (after `//` or `;`) that carries a label in a readmemh or listing."""
    return f"symbol {name}: 0x{addr:04x}"


def hole_note(hole: dict) -> str:
    """The comment text that carries a hole of the table: its index, address and source
    place (`hole 0: 0x0002 at s.s:3:5`), read back by `hole_from_note`."""
    text = f"hole {hole.get('index', 0)}: 0x{hole['address']:04x}"
    file, line, col = hole.get("file"), hole.get("line"), hole.get("col")
    if isinstance(file, str) and file.isprintable() and isinstance(line, int):
        text += f" at {file}:{line}" + (f":{col}" if isinstance(col, int) else "")
    return text


def hole_from_note(m: re.Match) -> dict:
    """The hole a `HOLE_RE` match describes: index, address and, when given, file/line/col
    (enough to refuse running the image and say where; the choices stay in the source)."""
    hole: dict = {"index": int(m.group(1)), "address": int(m.group(2), 16)}
    if m.group(3) is not None:
        hole.update(file=m.group(3), line=int(m.group(4)))
        if m.group(5) is not None:
            hole["col"] = int(m.group(5))
    return hole
_TOKEN_RE = re.compile(r"//|/\*|\*/|\S+?(?=//|/\*|\s|\Z)")


class _Memh:
    """What the header comments of a readmemh file say (each line at most once)."""

    def __init__(self, name: str):
        self.name = name
        self.declared: int | None = None
        self.entry: int | None = None
        self.symbols: dict[str, int] = {}
        self.holes: dict[int, dict] = {}  # index -> hole

    def header(self, note: str, lineno: int) -> None:
        """Read one full-line comment; header-like lines must parse."""
        if not _HEADERISH_RE.match(note):
            return  # an ordinary comment
        where = f"{self.name}:{lineno}"
        if hm := _HEADER_RE.match(note):
            isa = load_isa()
            if self.declared is not None:
                raise ImageError(f"{where}: a second `{FORMAT_NAME}` header line")
            if hm.group(1) != isa.name or int(hm.group(3)) != isa.word_bits:
                raise ImageError(f"{where}: image is for {hm.group(1)[:40]} with {hm.group(3)}-bit"
                                 f" words; this ncpu runs {isa.name} ({isa.word_bits} bits)")
            self.declared = int(hm.group(2))
            if self.declared > MAX_MEM_WORDS:
                raise ImageError(f"{where}: the header says {words_text(self.declared)}, more"
                                 f" than the largest memory ({MAX_MEM_WORDS} words)")
        elif em := _ENTRY_RE.match(note):
            if self.entry is not None:
                raise ImageError(f"{where}: a second `entry:` line")
            self.entry = int(em.group(1), 16)
        elif sm := SYMBOL_RE.match(note):
            if sm.group(1) in self.symbols:
                raise ImageError(f"{where}: symbol {short_text(sm.group(1))} is given twice")
            self.symbols[sm.group(1)] = int(sm.group(2), 16)
        elif hm := HOLE_RE.match(note):
            hole = hole_from_note(hm)
            if hole["index"] in self.holes:
                raise ImageError(f"{where}: hole {hole['index']} is given twice")
            self.holes[hole["index"]] = hole
        else:
            form = {"n": f"`// {FORMAT_NAME} ncpu32: N words of 32 bits`",
                    "e": "`// entry: 0xADDR`", "s": "`// symbol NAME: 0xADDR`",
                    "h": "`// hole N: 0xADDR at FILE:LINE:COL`"}[note[0]]
            raise ImageError(f"{where}: header line {short_text(note)} does not parse"
                             f" (expected {form})")


def from_readmemh(text: str, name: str) -> Image:
    words: dict[int, int] = {}
    head = _Memh(name)
    addr, comment_from = 0, 0  # comment_from: line of an open /* */, else 0
    for lineno, line in enumerate(text.splitlines(), 1):
        pos = 0
        while pos < len(line):
            if comment_from:
                end = line.find("*/", pos)
                if end < 0:
                    break
                comment_from, pos = 0, end + 2
                continue
            m = _TOKEN_RE.search(line, pos)
            if not m:
                break
            tok, pos = m.group(), m.end()
            if tok == "//":
                if not line[: m.start()].strip():  # a full-line comment: maybe a header
                    head.header(line[pos:].strip(), lineno)
                break
            if tok == "/*":
                comment_from = lineno
            elif tok.startswith("@"):
                addr = _hex(tok[1:], name, lineno, "address")
            else:
                if addr >= MAX_MEM_WORDS:
                    raise ImageError(
                        f"{name}:{lineno}: address 0x{addr:x} is beyond the largest memory"
                        f" ({MAX_MEM_WORDS} words)"
                    )
                if addr in words:
                    raise ImageError(f"{name}:{lineno}: address 0x{addr:x} is written twice")
                words[addr] = _hex(tok, name, lineno, "word")
                addr += 1
    if comment_from:
        raise ImageError(f"{name}:{comment_from}: unterminated /* comment (truncated file?)")
    size = max(words) + 1 if words else 0
    declared = head.declared
    if not words and declared is None:
        raise ImageError(f"{name}: holds no words (only comments or addresses), not an image")
    if declared is not None and size != declared:
        hint = " (truncated file?)" if size < declared else ""
        raise ImageError(
            f"{name}: the header says {words_text(declared)} but the file holds {size}{hint}"
        )
    entry = head.entry or 0
    if not 0 <= entry < MAX_MEM_WORDS or any(a > MAX_MEM_WORDS for a in head.symbols.values()):
        raise ImageError(f"{name}: entry or symbol address beyond the largest memory")
    holes = [head.holes[i] for i in sorted(head.holes)]
    if any(h["address"] >= size for h in holes):
        raise ImageError(f"{name}: a hole's address is outside the image (0..{size - 1})")
    return Image([words.get(a, 0) for a in range(size)], entry=entry, symbols=head.symbols,
                 holes=holes)


def _hex(token: str, name: str, lineno: int, what: str) -> int:
    digits = token.replace("_", "")
    if not digits or not re.fullmatch(r"[0-9a-fA-F]+", digits):
        raise ImageError(f"{name}:{lineno}: {short_text(token)} is not a hex {what}")
    if len(digits.lstrip("0")) > 8:
        raise ImageError(f"{name}:{lineno}: {short_text(token)} does not fit in 32 bits")
    return int(digits, 16)
