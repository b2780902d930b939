"""Bad input through the real `ncpu` command line (Typer's CliRunner).

Every case of the issue's "Bad input" list, and a few more odd inputs: exit
code 1, nothing on stdout, the message on stderr with `file:line:col`, the
source line and a caret under the offending token; never a traceback, and no
output file left behind.

Bad paths, outputs, usage and bad images: tests/test_asm_cli_files.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ncpu_cli.cli import app

MB_LINE = "    .word " + "1" * 1_000_000


def _case(name, source, header, snippet=None, caret=None, files=None, args=()):
    return pytest.param(source, header, snippet, caret, files or {}, list(args), id=name)


# (source of prog.s, first line of the message, source line shown, caret line)
CASES = [
    _case("empty-file", "", "prog.s:1:1: error: empty program: no instructions or data"),
    _case(
        "binary-garbage",
        b"\x7fELF\x02\x01\x01\x00\xff\xfe" + bytes(range(256)),
        "prog.s:1:1: error: `prog.s` is not a text file (invalid UTF-8 at byte 8)",
    ),
    _case(
        "nul-bytes",
        "halt\n\x00\x00\x00\n",
        "prog.s:1:1: error: `prog.s` looks like a binary file (it contains NUL bytes),"
        " not assembly source",
    ),
    _case(
        "one-megabyte-line",
        f"halt\n{MB_LINE}\n",
        "prog.s:2:1: error: line too long: 1000010 characters (the limit is 100000)",
        "  2 |     .word 1111111111",
        "    | ^",
    ),
    _case(
        "unknown-mnemonic",
        "main: halt\n    ad r1, r2, r3\n",
        "prog.s:2:5: error: unknown mnemonic `ad` (did you mean `add`?)",
        "  2 |     ad r1, r2, r3",
        "    |     ^^",
    ),
    _case(
        "operand-count",
        "    add r1, r2\n",
        "prog.s:1:5: error: `add` takes 3 operands (rd, ra, rb), got 2",
        "  1 |     add r1, r2",
        "    |     ^^^^^^^^^^",
    ),
    _case(
        "operand-kind",
        "    add r1, 5, r2\n",
        "prog.s:1:13: error: expected a register, got a number",
        "  1 |     add r1, 5, r2",
        "    |             ^",
    ),
    _case(
        "unknown-register-r16",
        "    add r16, r1, r2\n",
        "prog.s:1:9: error: unknown register `r16` (registers are r0..r15, zero, lr, sp)",
        "  1 |     add r16, r1, r2",
        "    |         ^^^",
    ),
    _case(
        "immediate-out-of-range",
        "    addi r1, r1, 9000\n",
        "prog.s:1:18: error: immediate 9000 out of range for `addi` (-8192..8191)",
        "  1 |     addi r1, r1, 9000",
        "    |                  ^^^^",
    ),
    _case(
        "undefined-label",
        "loop: halt\n    j lop\n",
        "prog.s:2:7: error: undefined label `lop` (did you mean `loop`?)",
        "  2 |     j lop",
        "    |       ^^^",
    ),
    _case(
        "duplicate-label",
        "a: halt\na: halt\n",
        "prog.s:2:1: error: duplicate label `a`",
        "  2 | a: halt",
        "    | ^",
    ),
    _case(  # ISA.md: a local label before the first global label is top-level (allowed)
        "top-level-local-from-global",
        ".next: halt\nmain: j .next\n",
        "prog.s:2:9: error: undefined label `.next`: under `main` it means `main.next`;"
        " the top-level `.next` can be used only before the first global label",
        "  2 | main: j .next",
        "    |         ^^^^^",
    ),
    _case(
        "org-backwards",
        "    .word 1, 2, 3\n    .org 1\n",
        "prog.s:2:10: error: `.org 1` goes backwards over words already placed (address 1)",
        "  2 |     .org 1",
        "    |          ^",
    ),
    _case(
        "org-overlapping",
        "    .org 10\n    halt\n    .org 5\n    .zero 10\n",
        "prog.s:3:10: error: `.org 5` goes backwards over words already placed (address 10)",
        "  3 |     .org 5",
        "    |          ^",
    ),
    _case(
        "include-missing",
        '    .include "nope.s"\n    halt\n',
        "prog.s:1:14: error: cannot include `nope.s`: file not found",
        '  1 |     .include "nope.s"',
        "    |              ^^^^^^^^",
    ),
    _case(
        "include-cycle",
        '    .include "a.s"\n    halt\n',
        "b.s:1:10: error: include cycle: a.s -> b.s -> a.s",
        '  1 | .include "a.s"',
        "    |          ^^^^^",
        files={"a.s": '.include "b.s"\n', "b.s": '.include "a.s"\n'},
    ),
    _case(
        "include-device",
        '    .include "/dev/zero"\n    halt\n',
        "prog.s:1:14: error: cannot include `/dev/zero`: not a regular file",
        '  1 |     .include "/dev/zero"',
        "    |              ^^^^^^^^^^^",
    ),
    _case(
        "include-nul-name",
        '    .include "a\\0"\n    halt\n',
        "prog.s:1:14: error: cannot include a file whose name contains a NUL character",
        '  1 |     .include "a\\0"',
        "    |              ^^^^^",
    ),
    _case(
        "unterminated-string",
        '    .string "abc\n    halt\n',
        'prog.s:1:13: error: unterminated string (missing closing ")',
        '  1 |     .string "abc',
        "    |             ^^^^",
    ),
    _case(
        "division-by-zero",
        ".equ Z, 0\n    .word 4 / Z\n",
        "prog.s:2:11: error: division by zero",
        "  2 |     .word 4 / Z",
        "    |           ^^^^^",
    ),
    _case(
        "larger-than-65536-words",
        "    .zero 65536\n    halt\n",
        "prog.s:2:5: error: program does not fit: it needs address 65536,"
        " but the largest memory has 65536 words (0..65535)",
        "  2 |     halt",
        "    |     ^^^^",
    ),
    _case(
        "larger-than-mem-words",
        "    .zero 20\n    halt\n",
        "prog.s:1:5: error: program does not fit: it needs address 19,"
        " but memory has 16 words (--mem-words 16)",
        "  1 |     .zero 20",
        "    |     ^^^^^^^^",
        args=["--mem-words", "16"],
    ),
    _case(
        "hole-without-keep-holes",
        "    add ??, r1, r2\n",
        "prog.s:1:9: error: hole `??` needs --keep-holes (holes are for `ncpu fit`)",
        "  1 |     add ??, r1, r2",
        "    |         ^^",
    ),
    _case(
        "syntax-error",
        "    add r1 r2\n",
        "prog.s:1:12: error: syntax error: unexpected `r2`,"
        " expected an operator, `(`, `,` or end of line",
        "  1 |     add r1 r2",
        "    |            ^^",
    ),
]


def failed(result, n_errors: int | None = 1) -> list[str]:
    """Check the shape every failure shares; return stderr's lines."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    if n_errors is not None:
        s = "s" if n_errors != 1 else ""
        assert lines[-1] == f"error: {n_errors} error{s}, assembly failed"
    return lines


@pytest.mark.parametrize("source, header, snippet, caret, files, args", CASES)
def test_bad_source(runner, work, source, header, snippet, caret, files, args) -> None:
    if "/dev/zero" in str(source) and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    for name, text in files.items():
        (work / name).write_text(text)
    path = work / "prog.s"
    path.write_bytes(source if isinstance(source, bytes) else source.encode())
    result = runner.invoke(app, ["asm", "prog.s", *args])
    lines = failed(result)
    assert lines[0] == header
    if snippet is None:
        assert len(lines) == 2  # no source line to show for a file that is not text
    else:
        assert lines[1].startswith(snippet) and lines[2] == caret
        assert max(len(line) for line in lines) < 250  # a 1 MB line is shown cut
    assert not (work / "prog.yaml").exists()


def test_the_same_errors_from_stdin(runner, work) -> None:
    result = runner.invoke(app, ["asm", "-"], input="    add r16, r1, r2\n")
    lines = failed(result)
    assert lines[:3] == [
        "<stdin>:1:9: error: unknown register `r16` (registers are r0..r15, zero, lr, sp)",
        "  1 |     add r16, r1, r2",
        "    |         ^^^",
    ]
    garbage = runner.invoke(app, ["asm", "-"], input=b"\xff\xfe\x00\x01")
    assert failed(garbage)[0].startswith("<stdin>:1:1: error: `<stdin>` is not a text file")
    empty = runner.invoke(app, ["asm", "-"], input="")
    assert failed(empty)[0] == "<stdin>:1:1: error: empty program: no instructions or data"


def test_every_error_of_a_file_in_one_run(runner, work) -> None:
    (work / "prog.s").write_text(
        "start: ad r1, r2, r3\n"  # 1 unknown mnemonic
        "    add r1, r2\n"  # 2 operand count
        "    add r16, r1, r2\n"  # 3 unknown register
        "    addi r1, r1, 9000\n"  # 4 out of range
        "    j nowhere\n"  # 5 undefined label
        "start: halt\n"  # 6 duplicate label
        "    .word 1 / 0\n"  # 7 division by zero
        '    .include "missing.s"\n'  # 8 missing include
        "    add r1 r2\n"  # 9 syntax error
        "    .org 0\n"  # 10 .org backwards
        '    .string "open\n'  # 11 unterminated string
    )
    lines = failed(runner.invoke(app, ["asm", "prog.s"]), n_errors=11)
    heads = [ln for ln in lines if ": error: " in ln and ln.startswith("prog.s:")]
    assert [int(h.split(":")[1]) for h in heads] == list(range(1, 12))
    for text in ("unknown mnemonic", "takes 3 operands", "unknown register `r16`",
                 "(-8192..8191)", "undefined label `nowhere`", "duplicate label `start`",
                 "division by zero", "cannot include `missing.s`", "syntax error",
                 "goes backwards", "unterminated string"):  # fmt: skip
        assert sum(text in h for h in heads) == 1, text
    assert "prog.s:1:1: note: `start` first defined here" in lines
    assert "prog.s:1:8: note: address 0 was placed here" in lines
    assert sum(ln.lstrip(" |").startswith("^") for ln in lines if "|" in ln) == 13  # + 2 notes
