"""RISC-V's shift mnemonics are other spellings of ncpu32's shifts (issue 18 item 10):
`sll` used to be an unknown mnemonic with "did you mean `slt`?". They come from
`mnemonic_aliases` in isa/ncpu32.yaml, the one table the assembler, its suggestions
and isa/README.md read; the disassembler prints the ncpu32 names."""

from __future__ import annotations

from pathlib import Path

import pytest

from ncpu_cli.asm import assemble
from ncpu_cli.disasm import disassemble_word
from ncpu_cli.errors import AsmError
from ncpu_cli.isa import Isa, load_isa

ISA = load_isa()
REPO = Path(__file__).resolve().parent.parent


def r_word(opcode: int, rd: int, ra: int, rb: int) -> int:
    """An R-format word by ISA.md's encoding table (op 31..26, rd 25..22, ra 21..18, rb 17..14)."""
    return opcode << 26 | rd << 22 | ra << 18 | rb << 14


def i_word(opcode: int, rd: int, ra: int, imm: int) -> int:
    return opcode << 26 | rd << 22 | ra << 18 | (imm & 0x3FFF)


# alias, the ncpu32 name, and the word of `alias r1, r2, r3` / `alias r1, r2, 3` from
# ISA.md's opcode numbers (shl 9, shr 10, sar 11, shli 20, shri 21, sari 22)
CASES = [
    ("sll", "shl", "r1, r2, r3", r_word(9, 1, 2, 3)),
    ("srl", "shr", "r1, r2, r3", r_word(10, 1, 2, 3)),
    ("sra", "sar", "r1, r2, r3", r_word(11, 1, 2, 3)),
    ("slli", "shli", "r1, r2, 3", i_word(20, 1, 2, 3)),
    ("srli", "shri", "r1, r2, 3", i_word(21, 1, 2, 3)),
    ("srai", "sari", "r1, r2, 3", i_word(22, 1, 2, 3)),
]


@pytest.mark.parametrize("alias, name, operands, word", CASES, ids=[c[0] for c in CASES])
def test_alias_assembles_to_the_instruction(alias: str, name: str, operands: str, word: int) -> None:
    assert assemble(f"{alias} {operands}\n", "a.s").words == [word]
    assert assemble(f"{alias.upper()} {operands}\n", "a.s").words == [word]  # any case
    assert assemble(f"{name} {operands}\n", "a.s").words == [word]
    assert disassemble_word(word).split()[0] == name


def test_the_table_lists_exactly_the_riscv_shifts() -> None:
    assert ISA.mnemonic_aliases == {c[0]: c[1] for c in CASES}


def test_a_misspelling_near_an_alias_is_told_the_ncpu32_name() -> None:
    with pytest.raises(AsmError) as err:
        assemble("slll r1, r2, r3\n", "a.s")
    assert [d.message for d in err.value.diagnostics] == [
        "unknown mnemonic `slll` (did you mean `shl`?)"]


def test_aliases_work_in_holes_and_name_the_instruction() -> None:
    image = assemble("?{sll,srl} r1, r2, r3\n?{srai,add,nop}\nhalt\n", "s.s", keep_holes=True)
    assert [h.get("choices") for h in image.holes] == [["shl", "shr"], ["sari", "add", "nop"]]


def test_an_alias_may_not_shadow_a_name(tmp_path: Path) -> None:
    base = dict(name="t", version=1, word_bits=32, registers=16, aliases={}, fields={},
                formats={}, ops=ISA.ops, pseudos=ISA.pseudos)
    with pytest.raises(ValueError, match="alias"):
        Isa(**base, mnemonic_aliases={"slt": "shl"})  # an instruction's own name
    with pytest.raises(ValueError, match="alias"):
        Isa(**base, mnemonic_aliases={"sll": "nosuch"})


def test_isa_readme_documents_every_alias() -> None:
    text = (REPO / "isa" / "README.md").read_text(encoding="utf-8")
    for alias, name, _, _ in CASES:
        assert f"`{alias}` = `{name}`" in text
