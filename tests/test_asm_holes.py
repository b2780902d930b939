"""Sketches in the assembler: data holes, the hole table's spans and order, holes
where none can stand, and local labels before the first global label.

Expected columns and lengths come from the source text itself (`str.find` of
the hole token); expected ranges from ISA.md (imm14 -8192..8191, imm22
-2097152..2097151, registers 0..15, a `.word` value -2^31..2^32-1, a bare
data hole any signed word); expected words from ISA.md's encoding table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.asm.diagnostics import render
from ncpu_cli.cli import app
from ncpu_cli.disasm import disassemble_image
from ncpu_cli.errors import AsmError

S32 = (-(2**31), 2**31 - 1)


def keep(source: str, **kwargs):
    return assemble(source, "h.s", keep_holes=True, **kwargs)


def errors(source: str, keep_holes: bool = True) -> list[tuple[int, int, str]]:
    with pytest.raises(AsmError) as info:
        assemble(source, "h.s", keep_holes=keep_holes)
    return [(d.span.line, d.span.col, d.message) for d in info.value.diagnostics]


def where(source: str, line: int, token: str, nth: int = 0) -> int:
    """1-based column of the nth occurrence of `token` on `line` of `source`."""
    text = source.split("\n")[line - 1]
    col = -1
    for _ in range(nth + 1):
        col = text.find(token, col + 1)
        assert col >= 0, (token, text)
    return col + 1


# --- data holes ----------------------------------------------------------------


def test_bare_data_hole_is_any_signed_word() -> None:
    image = keep("halt\n.word ??\n")
    assert image.words == [0, 0]
    [h] = image.holes
    assert (h["kind"], h["field"], h["address"]) == ("data", "word", 1)
    assert (h["lo"], h["hi"]) == S32
    assert (h["line"], h["col"], h["length"], h["index"]) == (2, 7, 2, 0)


def test_ranged_data_holes_mixed_with_numbers() -> None:
    src = "  .word 1, ??[0:9], 3, ??[-4:0xFFFFFFFB], 0xFFFFFFFF\n"  # every word once
    image = keep(src)
    assert image.words == [1, 0, 3, 0, 0xFFFFFFFF]
    a, b = image.holes
    assert (a["address"], a["lo"], a["hi"], a["kind"]) == (1, 0, 9, "data")
    assert (b["address"], b["lo"], b["hi"]) == (3, -4, 2**32 - 5)
    assert (a["col"], a["length"]) == (where(src, 1, "??[0:9]"), len("??[0:9]"))
    assert (b["col"], b["length"]) == (where(src, 1, "??[-4"), len("??[-4:0xFFFFFFFB]"))


def test_data_hole_range_limits_and_labels() -> None:
    image = keep("top: .word ??[-0x80000000:end]\nend: halt\n")
    assert (image.holes[0]["lo"], image.holes[0]["hi"]) == (-(2**31), 1)


@pytest.mark.parametrize(
    "source, col, text",
    [
        (".word ??[5:2]\n", 7, "empty hole range 5..2: lo must not exceed hi"),
        (".word 0, ??[0:0x100000000]\n", 10, "must lie within a word's range"),
        (".word ??[-0x80000001:0]\n", 7, "(-2147483648..4294967295)"),
        (".word ??[0:nowhere]\n", 12, "undefined label `nowhere`"),
    ],
)
def test_bad_data_hole_ranges(source: str, col: int, text: str) -> None:
    [(line, c, message)] = errors(source)
    assert (line, c) == (1, col) and text in message


def test_data_holes_need_keep_holes() -> None:
    got = errors(".word ??\n.word 1, ??[0:255]\n", keep_holes=False)
    message = "hole `??` needs --keep-holes (holes are for `ncpu fit`)"
    assert got == [(1, 7, message), (2, 10, message)]


# --- spans (col, length) of every kind, pseudo operands included -----------------

SPANS = """\
start:
    ?{add,sub,xor} r2, ??, ??[1:3]
    addi ??, r1, ??[-8:7]
    ld r4, ??[0:3](??)
    mov ??, r2
    bgt ??, r2, start
    push ??
    pop ??[1:2]
    j ??
    la r1, ??
    beqz ??, ??[0:5]
    jr ??
    neg r1, ??
    li ??, ??[-4:4]
    .word ??[0:1]
"""


def test_every_hole_span_is_its_token() -> None:
    image = keep(SPANS)
    lines = SPANS.split("\n")
    seen: dict[int, int] = {}
    for h in image.holes:
        n = seen.get(h["line"], 0)
        text = lines[h["line"] - 1]
        starts = [i + 1 for i in range(len(text)) if text.startswith(("??", "?{"), i)]
        assert h["col"] == starts[n], (h, text)
        token = text[h["col"] - 1 : h["col"] - 1 + h["length"]]
        assert token in ("??", "??[1:3]", "??[-8:7]", "??[0:3]", "??[1:2]", "??[0:5]",
                         "??[-4:4]", "??[0:1]", "?{add,sub,xor}"), (h, token)  # fmt: skip
        seen[h["line"]] = n + 1
    # every hole token of the text is in the table exactly once
    assert sum(seen.values()) == sum(t.count("??") + t.count("?{") for t in lines) == 20


def test_lengths_of_the_three_spellings() -> None:
    image = keep("?{add,sub,xor} r2, r1, ??\naddi r3, r2, ??[0:15]\n")
    assert [(h["kind"], h["length"]) for h in image.holes] == [
        ("mnemonic", 14),
        ("register", 2),
        ("imm", 8),
    ]


def test_pseudo_holes_land_in_the_right_fields() -> None:
    image = keep(SPANS)
    by_line = {}
    for h in image.holes:
        by_line.setdefault(h["line"], []).append((h["kind"], h["field"], h.get("lo"), h.get("hi")))
    assert by_line[5] == [("register", "rd", 0, 15)]  # mov: addi rd, ra, 0
    assert by_line[6] == [("register", "rb", 0, 15)]  # bgt ra, rb: blt rb, ra (swapped)
    assert by_line[7] == [("register", "rb", 0, 15)]  # push ra: st ra, 0(sp) puts ra in rb
    assert by_line[8] == [("register", "rd", 1, 2)]  # pop rd: ld rd, 0(sp)
    assert by_line[9] == [("imm", "imm22", 0, 2**22 - 1)]  # j: jal (unsigned imm22)
    assert by_line[10] == [("imm", "imm22", -(2**21), 2**21 - 1)]  # la: li (signed)
    assert by_line[11] == [("register", "ra", 0, 15), ("imm", "imm14", 0, 5)]  # beqz: beq
    assert by_line[12] == [("register", "ra", 0, 15)]  # jr: jalr r0, ra, 0
    assert by_line[13] == [("register", "rb", 0, 15)]  # neg: sub rd, r0, ra
    assert by_line[14] == [("register", "rd", 0, 15), ("imm", "imm22", -4, 4)]  # one-word li
    # push and pop take two words each; their hole sits in the word that uses it
    push = next(h for h in image.holes if h["line"] == 7)
    pop = next(h for h in image.holes if h["line"] == 8)
    assert image.source_map[push["address"] - 1] == ("h.s", 7)  # addi sp, sp, -1 first
    assert image.source_map[pop["address"] + 1] == ("h.s", 8)  # ld first, then addi


def test_rewriting_each_span_fills_the_program() -> None:
    """Replacing (line, col, length) by a value gives a plain program with that value."""
    src = "    ?{add,sub} r1, ??, r3\n    addi r1, r1, ??[0:15]\n    .word 5, ??\n"
    image = keep(src)
    values = {"mnemonic": "sub", "register": "r2", "imm": "7", "data": "-9"}
    lines = src.split("\n")
    for h in sorted(image.holes, key=lambda h: -h["col"]):
        text = lines[h["line"] - 1]
        start = h["col"] - 1
        lines[h["line"] - 1] = text[:start] + values[h["kind"]] + text[start + h["length"] :]
    filled = assemble("\n".join(lines), "f.s")
    # sub r1, r2, r3 = op 2; addi r1, r1, 7 = op 16; -9 as a word
    assert filled.words == [0x0848C000, 0x40440007, 5, 0xFFFFFFF7]


# --- order and index ---------------------------------------------------------------


def test_holes_sorted_by_file_line_col(tmp_path: Path) -> None:
    (tmp_path / "lib.s").write_text("    .word ??[0:1]\n    add ??, ??, r0\n")
    src = (
        "    bgt ??[4:5], ??[6:7], 0\n"  # the ra hole lands in rb: encoded after it
        '    .include "lib.s"\n'
        "    ?{add,sub} ??, r1, ??\n"
        "    .word ??, ??\n"
    )
    image = assemble(src, "main.s", keep_holes=True, base_dir=tmp_path)
    got = [(h["index"], h["file"], h["line"], h["col"]) for h in image.holes]
    assert [g[0] for g in got] == list(range(len(got)))
    assert [g[1:] for g in got] == [
        ("main.s", 1, 9),
        ("main.s", 1, 18),
        ("main.s", 3, 5),
        ("main.s", 3, 16),
        ("main.s", 3, 24),
        ("main.s", 4, 11),
        ("main.s", 4, 15),
        ("lib.s", 1, 11),
        ("lib.s", 2, 9),
        ("lib.s", 2, 13),
    ]
    # three holes of one word are three entries at one address
    word3 = [h for h in image.holes if h["file"] == "main.s" and h["line"] == 3]
    assert len({h["address"] for h in word3}) == 1
    assert [h["kind"] for h in word3] == ["mnemonic", "register", "register"]


def test_hole_table_is_stable() -> None:
    src = "add ??, ??, ??\n.word ??, ??[1:2]\n"
    assert keep(src).holes == keep(src).holes


# --- holes where none can stand ----------------------------------------------------

NOWHERE = [
    (".org ??\nhalt\n", 1, 6, "`.org` can't take a hole"),
    (".zero ??[1:2]\nhalt\n", 1, 7, "`.zero` can't take a hole"),
    (".equ X, ??\nhalt\n", 1, 9, "`.equ` can't take a hole"),
    (".entry ??\nhalt\n", 1, 8, "`.entry` can't take a hole"),
    ("halt\n li r1, ??+1\n", 2, 9, "a hole `??` can't be used here"),
    ("halt\n .word ??*2\n", 2, 8, "never inside an expression"),
    ("halt\n .word -??\n", 2, 9, "a hole `??` can't be used here"),
    ("halt\n addi r1, r1, (??)\n", 2, 16, "a hole `??` can't be used here"),
    ("halt\n .string ??\n", 2, 10, "`.string` takes a string in double quotes, got a hole"),
    ("halt\n subi r1, r2, ??\n", 2, 15, "`subi` expands to `addi rd, ra, -imm`"),
    ("halt\n subi r1, r2, ??[0:3]\n", 2, 15, "which computes with it"),
    ("halt\n li ??, 0x12345678\n", 2, 5, "`li` of 305419896 takes two words"),
]


@pytest.mark.parametrize("source, line, col, text", NOWHERE)
@pytest.mark.parametrize("keep_holes", [True, False])
def test_holes_where_none_can_stand(source, line, col, text, keep_holes) -> None:
    got = errors(source, keep_holes)
    if not keep_holes and "two words" in text:
        text = "needs --keep-holes"  # without it the hole was already refused as a hole
    assert any((ln, c) == (line, col) and text in m for ln, c, m in got), got
    assert len(got) == 1, got


@pytest.mark.parametrize(
    "source, col, text",
    [
        ("addi r1,r1,??[0:99999]\n", 12, "within the range of `addi`'s imm14 field (-8192..8191)"),
        ("addi r1, r1, ??[5:2]\n", 14, "empty hole range 5..2"),
        ("li r1, ??[0:3000000]\n", 8, "`li`'s imm22 field (-2097152..2097151)"),
        ("add ??[0:16], r1, r2\n", 5, "must lie within a register number (0..15)"),
        ("ld r1, 0(??[3:1])\n", 10, "empty hole range 3..1"),
    ],
)
def test_bad_instruction_hole_ranges(source: str, col: int, text: str) -> None:
    [(line, c, message)] = errors(source)
    assert (line, c) == (1, col) and text in message, message


def test_holes_that_do_fit_pseudos() -> None:
    image = keep("li ??, 5\nli r1, ??\nsubi r1, r2, 3\nld r2, (??)\n")
    assert [(h["field"], h["address"]) for h in image.holes] == [("rd", 0), ("imm22", 1), ("ra", 3)]
    assert image.words[2] == 0x40483FFD  # addi r1, r2, -3


def test_cli_bad_hole_exit_code_and_message(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.s").write_text("halt\n    .word ??[5:2]\n")
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(app, ["asm", "bad.s", "--keep-holes"])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("bad.s:2:11: error: empty hole range 5..2")
    assert lines[1:3] == ["  2 |     .word ??[5:2]", "    |           ^^^^^^^"]
    assert not (tmp_path / "bad.yaml").exists()
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(app, ["asm", "bad.s"])
    assert result.exit_code == 1 and "needs --keep-holes" in result.stderr


# --- local labels before the first global label -------------------------------------


TOP = """\
    .equ .n, 2
.loop: addi r1, r1, -1
    bnez r1, .loop
    li r2, .n
main:
.loop: j .loop
    .equ .n, 9
    li r3, .n
"""


def test_top_level_local_labels() -> None:
    image = assemble(TOP, "t.s")
    assert image.symbols == {".loop": 0, "main": 3, "main.loop": 3}
    # bne r1, r0, 0 ; li r2, 2 ; jal r0, 3 ; li r3, 9
    assert image.words[1:] == [0xAC040000, 0x60800002, 0xA0000003, 0x60C00009]


def test_top_level_local_in_listing_and_disassembly() -> None:
    image = assemble(TOP, "t.s")
    listing = disassemble_image(image, addresses=False)
    assert listing[0] == ".loop:" and "    bne r1, r0, .loop" in listing
    again = assemble("\n".join(listing) + "\n", "d.s")
    assert again.words == image.words and again.symbols == image.symbols


def test_top_level_local_duplicate_and_scope_errors() -> None:
    got = errors(".x: halt\n.x: halt\nmain: j .x\n.equ .y, 1\nother: li r1, .y\n")
    assert (2, 1) in [(ln, c) for ln, c, m in got if "duplicate label `.x`" in m]
    assert any((ln, c) == (3, 9) and "under `main` it means `main.x`" in m for ln, c, m in got)
    assert any((ln, c) == (5, 15) and "undefined label `.y`" in m for ln, c, m in got)
    assert len(got) == 3, got


def test_error_output_renders() -> None:
    with pytest.raises(AsmError) as info:
        assemble(".org ??\n", "r.s", keep_holes=True)
    assert "r.s:1:6: error: `.org` can't take a hole" in render(info.value)
