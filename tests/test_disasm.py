"""Disassembler: every word prints as text that assembles back to the same word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli.asm import assemble
from ncpu_cli.disasm import disassemble_image, disassemble_word
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, Op, load_isa

ISA = load_isa()
OP_FIELD = ISA.fields["op"]


def reassemble(*texts: str) -> list[int]:
    return assemble("".join(f"    {t}\n" for t in texts), "<disasm>").words


def used_mask(op: Op) -> int:
    mask = OP_FIELD.put(OP_FIELD.mask)
    for name in op.uses:
        mask |= ISA.fields[name].put(ISA.fields[name].mask)
    return mask


def encodings(op: Op) -> list[int]:
    """A few words of `op`: register extremes and both ends of the immediate range."""
    imms = [0] if op.imm is None else [op.imm.lo, op.imm.hi, 0, 1]
    regs = [(1, 2, 3), (15, 0, 14), (0, 15, 9), (7, 7, 7)]
    return [ISA.encode(op, rd, ra, rb, imm) for (rd, ra, rb) in regs for imm in imms]


@pytest.mark.parametrize("op", ISA.ops, ids=lambda o: o.name)
def test_every_op_round_trips(op: Op) -> None:
    words = encodings(op)
    texts = [disassemble_word(w) for w in words]
    assert all(t.split()[0] == op.name for t in texts), texts
    assert reassemble(*texts) == words


@pytest.mark.parametrize("op", ISA.ops, ids=lambda o: o.name)
def test_unused_bits_give_word_directive(op: Op) -> None:
    free = ~used_mask(op) & MASK32
    bits = [b for b in range(32) if free >> b & 1]
    assert bits or op.format in ("U", "J"), op.name
    for bit in bits:
        word = ISA.encode(op) | (1 << bit)
        assert disassemble_word(word) == f".word 0x{word:08x}"


def test_illegal_opcodes_give_word_directive() -> None:
    illegal = [c for c in range(OP_FIELD.mask + 1) if c not in ISA.by_code]
    assert illegal
    words = [OP_FIELD.put(c) | 0x12345 for c in illegal]
    texts = [disassemble_word(w) for w in words]
    assert texts == [f".word 0x{w:08x}" for w in words]
    assert reassemble(*texts) == words


def test_targets_show_labels() -> None:
    symbols = {5: "loop", 9: "fn"}
    assert disassemble_word(ISA.encode("beq", 0, 1, 2, 5), symbols) == "beq r1, r2, loop"
    assert disassemble_word(ISA.encode("jal", 14, 0, 0, 9), symbols, pc=3) == "jal r14, fn"
    assert disassemble_word(ISA.encode("jal", 14, 0, 0, 8), symbols) == "jal r14, 8"
    assert disassemble_word(ISA.encode("addi", 1, 1, 0, 5), symbols) == "addi r1, r1, 5"
    assert disassemble_word(ISA.encode("ld", 1, 2, 0, -3)) == "ld r1, -3(r2)"
    assert disassemble_word(ISA.encode("st", 0, 2, 3, 4)) == "st r3, 4(r2)"
    assert disassemble_word(0) == "halt"


def _legal_word(draw: st.DrawFn) -> int:
    op = draw(st.sampled_from(ISA.ops))
    reg = st.integers(0, ISA.registers - 1)
    imm = 0 if op.imm is None else draw(st.integers(op.imm.lo, op.imm.hi))
    return ISA.encode(op, draw(reg), draw(reg), draw(reg), imm)


legal_words = st.composite(_legal_word)()
any_words = st.one_of(st.integers(0, MASK32), legal_words)


@settings(max_examples=60, deadline=None)
@given(st.lists(any_words, min_size=1, max_size=40))
def test_random_words_round_trip(words: list[int]) -> None:
    texts = [disassemble_word(w) for w in words]
    for word, text in zip(words, texts, strict=True):
        d = ISA.decode(word)
        assert text.startswith(".word") == (d.op is None or not d.clean), (hex(word), text)
    assert reassemble(*texts) == words


SOURCE = """\
        .entry main
data:   .word 7, -1
main:   ld   r1, 0(r0)
loop:   out  r1
        subi r1, r1, 1
        bnez r1, loop
        call fn
        halt
fn:     ret
"""


def test_image_listing_has_labels_addresses_and_words() -> None:
    image = assemble(SOURCE, "prog.s")
    lines = disassemble_image(image)
    assert lines[0].strip() == "data:"
    assert lines[1].split()[:2] == ["0000", "00000007"]
    assert lines[2].split()[1:] == ["ffffffff", ".word", "0xffffffff"]
    assert "main:" in [ln.strip() for ln in lines]
    assert any(ln.endswith("bne r1, r0, loop") for ln in lines)
    assert any(ln.endswith("jal r14, fn") for ln in lines)


def test_plain_listing_assembles_back() -> None:
    image = assemble(SOURCE, "prog.s")
    text = "\n".join(disassemble_image(image, addresses=False)) + "\n"
    back = assemble(text, "listing.s")
    assert (back.words, back.entry, back.symbols) == (image.words, image.entry, image.symbols)


def test_label_after_last_word_is_listed() -> None:
    image = Image([0], symbols={"start": 0, "end": 1})
    assert disassemble_image(image)[-1].strip() == "end:"
