"""The sketch language (issue 16 §1): register sets `??{...}`, instruction holes
`?{m1,m2,...}` and `.holes`; each form's table entry and each error at file:line:col.

Expected words come from ISA.md's encoding table (op << 26 | rd << 22 | ra << 18 |
rb << 14 | imm); which roles a choice uses from ISA.md's syntax column (rd/ra/rb
as written, `imm(ra)` is imm and ra, a target is target); columns from
`str.find` on the source; L (the target candidates' top) is the word count.
"""

from __future__ import annotations

import pytest

from ncpu_cli.asm import assemble
from ncpu_cli.errors import AsmError

ALL_REGS = list(range(16))


def keep(source: str):
    return assemble(source, "s.s", keep_holes=True)


def errors(source: str, keep_holes: bool = True) -> list[tuple[int, int, str]]:
    with pytest.raises(AsmError) as info:
        assemble(source, "s.s", keep_holes=keep_holes)
    return [(d.span.line, d.span.col, d.message) for d in info.value.diagnostics]


def col(source: str, line: int, token: str) -> int:
    return source.split("\n")[line - 1].find(token) + 1


def word(op: int, rd: int = 0, ra: int = 0, rb: int = 0, imm: int = 0) -> int:
    return (op << 26) | (rd << 22) | (ra << 18) | (rb << 14) | imm


# --- register sets ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, token, field, values, expect",
    [
        ("add ??{r1,r2,r5}, r1, r2\n", "??{r1,r2,r5}", "rd", [1, 2, 5], word(1, 0, 1, 2)),
        ("add r3, ??{r0-r7}, r2\n", "??{r0-r7}", "ra", list(range(8)), word(1, 3, 0, 2)),
        ("add r3, r1, ??{sp, r1-r2, r1}\n", "??{sp, r1-r2, r1}", "rb", [1, 2, 15],
         word(1, 3, 1, 0)),
        ("mov r3, ??{r4,r6}\n", "??{r4,r6}", "ra", [4, 6], word(16, 3)),  # addi rd, ra, 0
        ("ld r1, 4(??{r2,r3})\n", "??{r2,r3}", "ra", [2, 3], word(32, 1, 0, 0, 4)),
        ("li ??{zero,lr}, 7\n", "??{zero,lr}", "rd", [0, 14], word(24, 0, 0, 0, 7)),
    ],
)
def test_register_sets(source, token, field, values, expect) -> None:
    image = keep(source)
    [h] = image.holes
    assert image.words == [expect]
    assert (h["kind"], h["field"], h["values"]) == ("register", field, values)
    assert (h["lo"], h["hi"]) == (min(values), max(values))
    assert (h["line"], h["col"], h["length"]) == (1, col(source, 1, token), len(token))


@pytest.mark.parametrize(
    "source, token, text",
    [
        ("add ??{r1,r16}, r1, r2\n", "r16", "unknown register `r16`"),
        ("add ??{foo}, r1, r2\n", "foo", "expected a register, got `foo`"),
        ("add ??{}, r1, r2\n", "??{}", "empty register set"),
        ("add ??{r7-r0}, r1, r2\n", "r7-r0", "bad register range `r7-r0`"),
        ("add ??{5}, r1, r2\n", "5", "expected a register or a range `r0-r7`"),
        ("addi r1, r1, ??{r1,r2}\n", "??{", "a register set `??{...}` can't stand where a value"),
        (".word ??{r1}\n", "??{", "can't stand where a value does"),
        ("ld r1, ??{r2}(r3)\n", "??{", "can't stand where a value does"),
    ],
)
def test_register_set_errors(source, token, text) -> None:
    [(line, c, message)] = errors(source)
    assert (line, c) == (1, col(source, 1, token)) and text in message, message


def test_register_set_needs_keep_holes() -> None:
    assert errors("add ??{r1}, r1, r2\n", keep_holes=False) == [
        (1, 5, "hole `??` needs --keep-holes (holes are for `ncpu fit`)")
    ]


# --- instruction holes alone on a line ----------------------------------------------

# roles from ISA.md's syntax column
ROLES_OF = {
    "add": {"rd", "ra", "rb"}, "addi": {"rd", "ra", "imm"}, "slt": {"rd", "ra", "rb"},
    "shri": {"rd", "ra", "imm"}, "li": {"rd", "imm"}, "lui": {"rd", "imm"},
    "ld": {"rd", "ra", "imm"}, "st": {"rb", "ra", "imm"}, "jal": {"rd", "target"},
    "jalr": {"rd", "ra", "imm"}, "beq": {"ra", "rb", "target"}, "bgeu": {"ra", "rb", "target"},
    "in": {"rd"}, "out": {"ra"}, "nop": set(),
}


@pytest.mark.parametrize("choice", sorted(ROLES_OF))
def test_each_choice_uses_its_roles(choice: str) -> None:
    source = f"    ?{{{choice}}}\n    halt\n    halt\n"
    image = keep(source)
    assert image.words == [0, 0, 0]
    [h] = image.holes
    assert (h["kind"], h["field"], h["address"], h["choices"]) == (
        "instruction", "word", 0, [choice])
    assert set(h["slots"]) == ROLES_OF[choice]
    for role, slot in h["slots"].items():
        if role in ("rd", "ra", "rb"):
            assert slot == {"values": ALL_REGS}
        elif role == "imm":
            assert slot == {"lo": -16, "hi": 16}
        else:
            assert slot == {"lo": 0, "hi": 3}  # L = 3 words
    assert (h["line"], h["col"], h["length"]) == (1, 5, len(f"?{{{choice}}}"))


def test_mixed_formats_alone_on_a_line() -> None:
    source = "start: ?{add,addi,slt,shri,li,lui,ld,st,jal,jalr,beq,in,out,nop}\n  halt\n"
    image = keep(source)
    [h] = image.holes
    token = source.split("\n")[0][col(source, 1, "?{") - 1 :]
    assert (h["col"], h["length"]) == (8, len(token))
    assert h["choices"] == ["add", "addi", "slt", "shri", "li", "lui", "ld", "st", "jal",
                            "jalr", "beq", "in", "out", "nop"]
    assert h["slots"] == {"rd": {"values": ALL_REGS}, "ra": {"values": ALL_REGS},
                          "rb": {"values": ALL_REGS}, "imm": {"lo": -16, "hi": 16},
                          "target": {"lo": 0, "hi": 2}}
    assert image.words == [0, 0]


def test_holes_directive_sets_candidates_until_the_next() -> None:
    source = ("?{add}\n.holes regs r1, r2, r5\n?{addi}\n.holes imm -32:31\n?{addi}\n"
              ".holes regs r0-r7\n.holes imm 0x10:0x20\n?{li,jal}\n")
    slots = [h["slots"] for h in keep(source).holes]
    assert slots[0] == {r: {"values": ALL_REGS} for r in ("rd", "ra", "rb")}
    assert slots[1] == {"rd": {"values": [1, 2, 5]}, "ra": {"values": [1, 2, 5]},
                        "imm": {"lo": -16, "hi": 16}}
    assert slots[2] == {"rd": {"values": [1, 2, 5]}, "ra": {"values": [1, 2, 5]},
                        "imm": {"lo": -32, "hi": 31}}
    assert slots[3] == {"rd": {"values": list(range(8))}, "imm": {"lo": 16, "hi": 32},
                        "target": {"lo": 0, "hi": 4}}


def test_holes_regs_aliases_and_mixed_list() -> None:
    image = keep(".HOLES REGS r8-sp, zero  ; c\n?{out}\n")
    assert image.holes[0]["slots"] == {"ra": {"values": [0, *range(8, 16)]}}


# --- instruction holes with operands -------------------------------------------------


def test_mixed_format_with_operands() -> None:
    source = "  ?{add,addi} r3, r1, ??\n"
    [h] = keep(source).holes
    assert h["kind"] == "instruction" and h["choices"] == ["add", "addi"]
    assert h["slots"] == {"rd": {"fixed": 3}, "ra": {"fixed": 1}, "rb": {"values": ALL_REGS},
                          "imm": {"lo": -16, "hi": 16}}
    assert (h["col"], h["length"]) == (3, len("?{add,addi} r3, r1, ??"))


@pytest.mark.parametrize(
    "source, slots",
    [
        ("?{add,addi} r3, ??{r1,r2}, ??[2:4]\n",
         {"rd": {"fixed": 3}, "ra": {"values": [1, 2]}, "rb": {"values": [2, 3, 4]},
          "imm": {"lo": 2, "hi": 4}}),
        ("?{ld,st,nop} r1, ??[0:3](??{r2,r3})\n",
         {"rd": {"fixed": 1}, "rb": {"fixed": 1}, "ra": {"values": [2, 3]},
          "imm": {"lo": 0, "hi": 3}}),
        ("?{ld,st} r2, (r5)\n",
         {"rd": {"fixed": 2}, "rb": {"fixed": 2}, "ra": {"fixed": 5}, "imm": {"fixed": 0}}),
        ("?{ld,st} r2, ??\n",
         {"rd": {"fixed": 2}, "rb": {"fixed": 2}, "ra": {"values": ALL_REGS},
          "imm": {"lo": -16, "hi": 16}}),
        ("?{jal,li} r1, end\nend: halt\n",
         {"rd": {"fixed": 1}, "imm": {"fixed": 1}, "target": {"fixed": 1}}),
        ("?{jal,li} sp, ??[0:3]\n",
         {"rd": {"fixed": 15}, "imm": {"lo": 0, "hi": 3}, "target": {"lo": 0, "hi": 3}}),
        ("?{beq,addi} r1, r1, 5\n",  # ra is operand 1 for beq, 2 for addi: the same r1
         {"rd": {"fixed": 1}, "ra": {"fixed": 1}, "rb": {"fixed": 1}, "imm": {"fixed": 5},
          "target": {"fixed": 5}}),
        ("?{add,nop} r1, r1, r2\n", {"rd": {"fixed": 1}, "ra": {"fixed": 1}, "rb": {"fixed": 2}}),
    ],
)
def test_operand_roles(source: str, slots: dict) -> None:
    [h] = keep(source).holes
    assert h["slots"] == slots
    assert h["line"] == 1 and h["col"] == 1


def test_same_format_stays_a_mnemonic_hole() -> None:
    image = keep("?{add,sub} r1, ??, r2\n")
    assert [(h["kind"], h["field"]) for h in image.holes] == [("mnemonic", "op"), ("register", "ra")]
    assert image.words == [word(0, 1, 0, 2)]  # the op field is 0 too


CHOICE_ERRORS = [
    ("?{add,halt}\n", "halt", "`halt` can't be a mnemonic-hole choice (a hole can't halt"),
    ("?{addd,sub}\n", "addd", "unknown mnemonic (did you mean `add`?)"),
    ("?{add,mov}\n", "mov", "`mov` can't be a mnemonic-hole choice (a pseudo-instruction)"),
    ("?{add,.word}\n", ".word", "(a directive)"),
    ("?{add,nop,add}\n", "add,}", "`add` is listed twice"),
    ("?{halt,addi} r1, r2, 3\n", "halt", "a hole can't halt"),
]


@pytest.mark.parametrize("source, token, text", CHOICE_ERRORS)
def test_bad_choices(source: str, token: str, text: str) -> None:
    token = token.rstrip(",}")
    at = source.rfind(token) + 1 if "twice" in text else col(source, 1, token)
    [(line, c, message)] = errors(source)
    assert (line, c) == (1, at) and text in message, message


@pytest.mark.parametrize(
    "source, text",
    [
        ("?{beq,addi} r1, r2, 5\n",
         "disagree on `ra`: `beq` takes it from operand 1, `addi` from operand 2"),
        ("?{add,addi} r1, r2, r3\n", "`addi` takes an immediate as operand 3"),
        ("?{li,add} r1, 2\n", "`add` takes 3 operands (rd, ra, rb), got 2"),
        ("?{ld,addi} r1, r2, 3\n", "`ld` takes 2 operands"),
    ],
)
def test_operands_that_do_not_fit(source: str, text: str) -> None:
    [(line, c, message)] = errors(source)
    assert (line, c) == (1, 1) and text in message, message


@pytest.mark.parametrize(
    "source, token, text",
    [
        ("?{add,addi} r3, r1, ??{r1}\n", "??{", "`addi` takes an immediate as operand 3"),
        ("?{li,lui} r1, -5\n", "-5", "immediate -5 out of range for `lui` (0..4194303)"),
        ("?{jal,li} r1, -1\n", "-1", "target -1 out of range for `jal`"),
        ("?{beq,nop} r1, r2, ??[0:20000]\n", "??[", "must lie within the target field (0..16383)"),
        ("?{add,addi} r1, r2, ??[0:20]\n", "??[", "must lie within a register number (0..15)"),
        ("?{addi,nop} r1, r2, ??[0:9000]\n", "??[", "the 14-bit immediate field (-8192..8191)"),
    ],
)
def test_operand_value_errors(source: str, token: str, text: str) -> None:
    [(line, c, message)] = errors(source)
    assert (line, c) == (1, col(source, 1, token)) and text in message, message


def test_instruction_hole_needs_keep_holes() -> None:
    assert errors("?{add,addi}\n", keep_holes=False) == [
        (1, 1, "hole `?{...}` needs --keep-holes (holes are for `ncpu fit`)")
    ]


# --- `.holes` errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "source, token, text",
    [
        (".holes regs r7-r0\n", "r7-r0", "bad register range `r7-r0`"),
        (".holes regs r1, r99\n", "r99", "unknown register `r99`"),
        (".holes regs r1,,r2\n", ",r2", "expected a register or a range `r0-r7`, got nothing"),
        (".holes regs\n", "regs", "`.holes regs` needs registers"),
        (".holes imm 5:1\n", "5:1", "empty immediate range 5:1"),
        (".holes imm -9000:0\n", "-9000:0", "must fit the 14-bit immediate field (-8192..8191)"),
        (".holes imm 0:8192\n", "0:8192", "(-8192..8191)"),
        (".holes imm 1..4\n", "1..4", "takes a range `lo:hi` of numbers"),
        (".holes imm\n", "imm", "`.holes imm` needs a range"),
        (".holes foo 1\n", "foo", "unknown `.holes` kind `foo`"),
        (".holes\n", ".holes", "`.holes` takes `regs LIST` or `imm LO:HI`"),
    ],
)
def test_holes_directive_errors(source: str, token: str, text: str) -> None:
    [(line, c, message)] = errors(source + "halt\n")
    at = col(source, 1, token)  # `,r2`: the empty item is where the second comma is
    assert (line, c) == (1, at) and text in message, message


def test_unknown_directive_near_holes() -> None:
    [(line, c, message)] = errors(".holesx 1\nhalt\n")
    assert (line, c) == (1, 1) and "unknown directive `.holesx`" in message
