"""Bad input: every case gives an AsmError whose rendered text says what and where."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli.asm import assemble, assemble_file
from ncpu_cli.asm.diagnostics import render
from ncpu_cli.errors import AsmError


def fail(source: str, **kwargs) -> tuple[AsmError, str]:
    with pytest.raises(AsmError) as info:
        assemble(source, "prog.s", **kwargs)
    return info.value, render(info.value)


@pytest.mark.parametrize(
    "source", ["", "\n\n", "; only a comment\n# another\n", "lbl:\n.equ X, 1\n"]
)
def test_empty_program(source: str) -> None:
    err, text = fail(source)
    assert len(err.diagnostics) == 1
    assert text.startswith("prog.s:1:1: error: empty program: no instructions or data\n")
    assert text.endswith("error: 1 error, assembly failed\n")


def test_nul_bytes_give_one_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.s"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 40)
    with pytest.raises(AsmError) as info:
        assemble_file(path)
    assert len(info.value.diagnostics) == 1
    text = render(info.value)
    assert "garbage.s" in text and ("not a text file" in text or "binary file" in text)
    assert text.count("\n") <= 3  # one message, no flood of syntax errors


def test_invalid_utf8_gives_one_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.s"
    path.write_bytes("halt ; caf\u00e9\n".encode("latin-1"))
    with pytest.raises(AsmError) as info:
        assemble_file(path)
    (diag,) = info.value.diagnostics
    assert "latin1.s" in diag.message and "invalid UTF-8 at byte 10" in diag.message


def test_nul_in_text_source() -> None:
    err, text = fail("halt\n\x00\x00\x00\n")
    assert len(err.diagnostics) == 1
    assert "`prog.s` looks like a binary file (it contains NUL bytes)" in text


@pytest.mark.parametrize(
    "line",
    [
        "a" * 1_000_000,
        "halt ; " + "x" * 1_000_000,
        ".word " + ", ".join(["1"] * 300_000),
        '.string "' + "y" * 1_000_000 + '"',
    ],
    ids=["name", "comment", "word-list", "string"],
)
def test_one_megabyte_line_is_quick_and_snippet_is_cut(line: str) -> None:
    start = time.perf_counter()
    err, text = fail(f"halt\n{line}\nhalt\n")
    assert time.perf_counter() - start < 5
    assert "prog.s:2:1: error: line too long" in text
    assert max(len(x) for x in text.splitlines()) < 200  # the snippet is windowed
    assert len(err.diagnostics) == 1


def test_long_line_under_the_limit_assembles() -> None:
    image = assemble(".word " + ",".join(["7"] * 40_000) + "\n", "prog.s")
    assert image.size == 40_000 and image.words[-1] == 7


def test_long_line_snippet_keeps_the_caret_on_the_token() -> None:
    err, text = fail("    .word " + "1, " * 20_000 + "r16\n")
    caret_line = text.splitlines()[2]
    shown = text.splitlines()[1]
    assert "^^^" in caret_line
    at = caret_line.index("^")
    assert shown[at : at + 3] == "r16"
    assert shown.endswith("r16") and "…" in shown


def test_deeply_nested_expression_is_a_diagnostic() -> None:
    err, text = fail("x: .word " + "-(" * 20_000 + "x" + ")" * 20_000 + "\n")
    assert "expression nested more than 200 deep (the limit)" in text


def test_a_long_chain_is_not_nesting() -> None:
    # 20,000 terms of one sum are a flat chain, evaluated without recursion: 20000 * 3
    image = assemble(".equ x, 3\n.word " + "+".join(["x"] * 20_000) + "\n", "prog.s")
    assert image.words == [60_000]


def test_unknown_register_r16() -> None:
    err, text = fail("    add r16, r1, r2\n")
    assert text == (
        "prog.s:1:9: error: unknown register `r16` (registers are r0..r15, zero, lr, sp)\n"
        "  1 |     add r16, r1, r2\n"
        "    |         ^^^\n"
        "error: 1 error, assembly failed\n"
    )


def test_out_of_range_names_the_range() -> None:
    err, text = fail("    addi r1, r1, 9000\n")
    assert "prog.s:1:18: error: immediate 9000 out of range for `addi` (-8192..8191)" in text
    assert "  1 |     addi r1, r1, 9000\n    |                  ^^^^\n" in text


def test_undefined_label_each_use_and_guess() -> None:
    err, text = fail("loop: halt\n    j lop\n    j lop\n")
    assert [d.span.line for d in err.diagnostics] == [2, 3]
    assert text.count("undefined label `lop` (did you mean `loop`?)") == 2
    assert text.endswith("error: 2 errors, assembly failed\n")


def test_duplicate_label_has_a_note_with_snippet() -> None:
    err, text = fail("a: halt\nb: halt\na: halt\n")
    assert "prog.s:3:1: error: duplicate label `a`\n  3 | a: halt\n    | ^\n" in text
    assert "prog.s:1:1: note: `a` first defined here\n  1 | a: halt\n    | ^\n" in text


def test_top_level_local_is_not_main_local() -> None:
    # ISA.md: a local label before the first global label is top-level (allowed);
    # under `main`, `.x` means `main.x`, a different label
    err, text = fail(".x: halt\nmain: j .x\n")
    assert "prog.s:2:9: error: undefined label `.x`: under `main` it means `main.x`" in text


def test_org_backwards() -> None:
    err, text = fail(".word 1, 2, 3\n.org 0\nhalt\n")
    assert "`.org 0` goes backwards over words already placed (address 0)" in text
    assert "note: address 0 was placed here" in text


def test_missing_include_and_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.s").write_text('.include "b.s"\n')
    (tmp_path / "b.s").write_text('.include "a.s"\n')
    source = '.include "nope.s"\n.include "a.s"\nhalt\n'
    err, text = fail(source, base_dir=tmp_path)
    assert "prog.s:1:10: error: cannot include `nope.s`: file not found" in text
    assert "b.s:1:10: error: include cycle: a.s -> b.s -> a.s" in text
    assert len(err.diagnostics) == 2


def test_unterminated_string() -> None:
    err, text = fail('    .string "abc\n    halt\n')
    assert 'prog.s:1:13: error: unterminated string (missing closing ")' in text


def test_division_by_zero() -> None:
    err, text = fail(".equ Z, 0\n    .word 4 / Z\n")
    assert (
        "prog.s:2:11: error: division by zero\n  2 |     .word 4 / Z\n    |           ^^^^^\n"
        in text
    )


def test_image_larger_than_65536_words() -> None:
    err, text = fail(".zero 65536\nhalt\n")
    assert "prog.s:2:1: error: program does not fit: it needs address 65536, but" in text
    assert "the largest memory has 65536 words (0..65535)" in text


def test_image_larger_than_mem_words() -> None:
    err, text = fail(".zero 100\n", mem_words=64)
    assert "needs address 99, but memory has 64 words (--mem-words 64)" in text


def test_holes_need_keep_holes() -> None:
    err, text = fail("    add ??, r1, r2\n")
    assert "prog.s:1:9: error: hole `??` needs --keep-holes (holes are for `ncpu fit`)" in text


def test_every_error_of_a_file_in_one_run() -> None:
    source = (
        "\n".join(
            [
                "start: ad r1, r2, r3",  # unknown mnemonic
                "    add r1, r2",  # operand count
                "    add r1, 5, r2",  # operand kind
                "    add r16, r1, r2",  # unknown register
                "    j nowhere",  # undefined label
                "start: halt",  # duplicate label
                "    addi r1, r1, 9000",  # out of range
                "    .word 1 / 0",  # division by zero
                '    .string "open',  # unterminated string
                "    add r1 r2",  # syntax error
                "    .org 0",  # .org backwards
            ]
        )
        + "\n"
    )
    err, text = fail(source)
    assert [d.span.line for d in err.diagnostics] == list(range(1, 12))
    assert text.endswith("error: 11 errors, assembly failed\n")


def test_later_labels_stay_right_after_errors() -> None:
    err, _ = fail("    bogus\n    add r1\nend: halt\n    .word end, 1 << 40\n")
    messages = [d.message for d in err.diagnostics]
    assert not any("end" in m for m in messages)  # `end` was still bound (at address 2)
    assert len(messages) == 3


def test_too_many_syntax_errors_stop_reading() -> None:
    err, text = fail("@\n" * 500)
    assert len(err.diagnostics) == 101
    assert "too many syntax errors in prog.s" in err.diagnostics[-1].message


def test_crlf_line_endings() -> None:
    image = assemble("main:\r\n    add r1, r2, r3\r\n    halt\r\n", "prog.s")
    assert image.size == 2 and image.source_map[1] == ("prog.s", 3)
    err, text = fail("    bogus\r\n")
    assert "  1 |     bogus\n" in text


def test_color_rendering() -> None:
    err, _ = fail("    bogus\n")
    plain, colored = render(err, color=False), render(err, color=True)
    assert "\x1b[" not in plain and "\x1b[" in colored
    assert "bogus" in colored


VOCAB = [
    "add",
    "addi",
    "ld",
    "st",
    "li",
    "la",
    "lui",
    "jal",
    "beq",
    "push",
    "pop",
    "subi",
    "ret",
    "halt",
    "out",
    "mov",
    "bogus",
    ".word",
    ".zero",
    ".org",
    ".string",
    ".equ",
    ".entry",
    ".include",
    ".x",
    "r1",
    "r16",
    "sp",
    "zero",
    "lbl",
    "lbl:",
    ".l:",
    "K",
    "0",
    "1",
    "-5",
    "0x10",
    "9000",
    "70000",
    "'a'",
    "''",
    '"s"',
    '"',
    "(",
    ")",
    ",",
    ":",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "~",
    "??",
    "??[0:3]",
    "?{add,sub}",
    "?{",
    "}",
    "[",
    "]",
    ";c",
    "#c",
    "\n",
    "\n",
    "\n",
    "@",
    "\t",
    "\\",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), max_size=40), st.booleans())
def test_token_soup_never_crashes(tokens: list[str], keep_holes: bool) -> None:
    """Any mix of tokens assembles or raises AsmError with rendered, located messages."""
    source = " ".join(tokens)
    try:
        image = assemble(source, "soup.s", keep_holes=keep_holes, mem_words=64)
    except AsmError as err:
        assert err.diagnostics
        text = render(err)
        assert text.endswith("assembly failed\n")
        for d in err.diagnostics:
            assert d.span.line >= 1 and d.span.col >= 1
    else:
        assert all(0 <= w <= 0xFFFFFFFF for w in image.words)
        assert set(image.source_map) <= set(range(image.size))
