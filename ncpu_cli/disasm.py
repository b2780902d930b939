"""Disassembler: any 32-bit word -> canonical assembly text; an image -> a listing.

The text of a clean, legal word assembles back to the same word. A word with
an illegal opcode, or with bits set outside the fields its opcode uses, is shown
as `.word 0x........` (which also assembles back to itself).
"""

from __future__ import annotations

from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, Decoded, load_isa


def word_directive(word: int) -> str:
    return f".word 0x{word & MASK32:08x}"


def _operand(kind: str, d: Decoded, symbols: dict[int, str] | None) -> str:
    isa = load_isa()
    reg = isa.register_name
    if kind in ("rd", "ra", "rb"):
        return reg(getattr(d, kind))
    if kind == "mem":
        return f"{d.imm}({reg(d.ra)})"
    if kind == "target":
        return (symbols or {}).get(d.imm, str(d.imm))
    if kind == "imm":
        assert d.op is not None and d.op.imm is not None
        return f"0x{d.imm:x}" if not d.op.imm.signed else str(d.imm)
    raise ValueError(f"unknown operand kind {kind!r} in the opcode table")


def disassemble_word(
    word: int, symbols: dict[int, str] | None = None, pc: int | None = None
) -> str:
    """Canonical text of one word.

    symbols  address -> label; branch and jal targets found there print as the label
    pc       the word's own address; a target equal to it prints as the label
             when there is one, else as the number (targets are absolute in ncpu32,
             so pc never changes the encoding; it is accepted for callers that show
             a listing line by line)
    """
    d = load_isa().decode(word)
    if d.op is None or not d.clean:
        return word_directive(d.word)
    operands = ", ".join(_operand(kind, d, symbols) for kind in d.op.syntax)
    return f"{d.op.name} {operands}" if operands else d.op.name


def disassemble_image(image: Image, *, addresses: bool = True) -> list[str]:
    """A listing of every word, labels from the image's symbols on their own lines.

    With addresses=True each line is `AAAA  WWWWWWWW  text`; with False the
    lines are plain assembly (labels, instructions, `.entry`) that assembles
    back to the same words.
    """
    by_addr: dict[int, list[str]] = {}
    for name, addr in image.symbols_by_address():
        by_addr.setdefault(addr, []).append(name)
    targets = image.labels_at()
    lines: list[str] = []
    if not addresses and image.entry:
        lines.append(f".entry {targets.get(image.entry, image.entry)}")
    pad = " " * 16 if addresses else ""
    for addr, word in enumerate(image.words):
        lines += [f"{pad}{name}:" for name in by_addr.get(addr, [])]
        text = disassemble_word(word, targets, addr)
        lines.append(f"{addr:04x}  {word & MASK32:08x}    {text}" if addresses else f"    {text}")
    lines += [f"{pad}{name}:" for name in by_addr.get(image.size, [])]  # labels after the last word
    return lines
