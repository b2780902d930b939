"""Round trips: random valid instruction text -> assemble -> decode gives the same fields;
disassembled words assemble back to themselves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli.asm import assemble
from ncpu_cli.disasm import disassemble_word
from ncpu_cli.isa import load_isa

ISA = load_isa()
ALIASES = {0: ["zero"], 14: ["lr"], 15: ["sp"]}


@st.composite
def register(draw) -> tuple[str, int]:
    n = draw(st.integers(0, ISA.registers - 1))
    name = draw(st.sampled_from([f"r{n}", *ALIASES.get(n, [])]))
    return draw(st.sampled_from([name, name.upper()])), n


def number_text(draw, value: int) -> str:
    """`value` written in one of the number forms."""
    form = draw(st.sampled_from(["dec", "hex", "bin", "oct", "sep"]))
    sign, mag = ("-" if value < 0 else ""), abs(value)
    if form == "hex":
        return f"{sign}0x{mag:X}"
    if form == "bin":
        return f"{sign}0b{mag:b}"
    if form == "oct":
        return f"{sign}0o{mag:o}"
    if form == "sep":
        return f"{sign}{mag:_}"
    return str(value)


@st.composite
def instruction(draw) -> tuple[str, dict]:
    """(text, expected fields) for a random real instruction."""
    op = draw(st.sampled_from(ISA.ops))
    want: dict = {"op": op.name}
    parts = []
    imm = None
    if op.imm is not None:
        lo, hi = op.imm.lo, op.imm.hi
        imm = draw(st.one_of(st.integers(lo, hi), st.sampled_from([lo, hi, 0])))
        want["imm"] = imm
    for kind in op.syntax:
        if kind in ("rd", "ra", "rb"):
            name, n = draw(register())
            want[kind] = n
            parts.append(name)
        elif kind == "mem":
            name, n = draw(register())
            want["ra"] = n
            parts.append(f"{number_text(draw, imm)}({name})")
        else:
            parts.append(number_text(draw, imm))
    mnemonic = draw(st.sampled_from([op.name, op.name.upper()]))
    text = f"{mnemonic} {', '.join(parts)}" if parts else mnemonic
    return text, want


@settings(max_examples=400, deadline=None)
@given(instruction())
def test_text_assembles_to_the_same_fields(case: tuple[str, dict]) -> None:
    text, want = case
    image = assemble(text + "\n", "rt.s")
    assert image.size == 1
    d = ISA.decode(image.words[0])
    assert d.op is not None and d.op.name == want["op"], text
    assert d.clean, text
    for name in ("rd", "ra", "rb", "imm"):
        if name in want:
            assert getattr(d, name) == want[name], (text, name)


@settings(max_examples=400, deadline=None)
@given(instruction())
def test_disassembly_assembles_back(case: tuple[str, dict]) -> None:
    word = assemble(case[0] + "\n", "rt.s").words[0]
    text = disassemble_word(word)
    assert assemble(text + "\n", "dis.s").words == [word], text


@settings(max_examples=300, deadline=None)
@given(st.integers(0, (1 << 32) - 1))
def test_any_word_disassembles_to_text_that_assembles_back(word: int) -> None:
    text = disassemble_word(word)
    assert assemble(text + "\n", "dis.s").words == [word], text


@settings(max_examples=300, deadline=None)
@given(st.integers(-(1 << 31), (1 << 32) - 1), register())
def test_li_loads_any_32_bit_value(value: int, reg: tuple[str, int]) -> None:
    """The li pseudo's one- or two-word form builds exactly `value` (mod 2^32)."""
    name, n = reg
    words = assemble(f"li {name}, {value}\n", "li.s").words
    fits = -(1 << 21) <= value < (1 << 21)
    assert len(words) == (1 if fits else 2)
    first = ISA.decode(words[0])
    if fits:
        assert first.op.name == "li" and first.rd == n and first.imm == value
        return
    second = ISA.decode(words[1])
    assert (first.op.name, second.op.name) == ("lui", "ori")
    assert first.rd == n and second.rd == n and second.ra == n
    built = ((first.imm << 10) | second.imm) & 0xFFFFFFFF
    assert built == value & 0xFFFFFFFF
