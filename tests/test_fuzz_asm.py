"""Property-based fuzzing of the assembler with source text: any text gives an Image or an
AsmError whose every diagnostic points into the source; never another exception or a hang.
Through the CLI (`ncpu asm - --json`): exit 0 or 1 and one JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz_common import LONG, SHORT, fuzz_settings, long_run
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.asm.diagnostics import render
from ncpu_cli.cli import app
from ncpu_cli.errors import AsmError
from ncpu_cli.isa import load_isa

ISA = load_isa()
MNEMONICS = sorted(ISA.by_name) + ["nop", "mov", "li", "la", "j", "call", "ret", "push", "pop",
                                   "beqz", "bgt", "subi", "not", "neg", "jr", "addd"]
DIRECTIVES = [".org", ".word", ".zero", ".string", ".equ", ".entry", ".include", ".bogus"]
WORDS = ["r0", "r1", "r15", "r16", "sp", "lr", "zero", "x", "loop", ".next", "main", "_a.b",
         "0", "1", "-1", "0x7fffffff", "0xFFFFFFFF", "0x100000000", "8191", "-8192", "65536",
         "0b101", "0o17", "1_000", "0xg", "'A'", "'\\n'", "''", '"hi\\n"', '"unterminated',
         "??", "??[0:3]", "?{add,sub}", "1" * 80]
PUNCT = [",", ":", "(", ")", "+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "~", "[", "]",
         "{", "}", ";c", "#c", "\t", "  ", "\r", "\x00", "é", "\\"]

tokens = st.sampled_from(MNEMONICS + DIRECTIVES + WORDS + PUNCT) | st.text(max_size=4)
lines = st.lists(st.lists(tokens, max_size=7).map(" ".join), max_size=12).map("\n".join)


def check_source(text: str, keep_holes: bool, base: Path) -> None:
    n_lines = text.count("\n") + 1
    try:
        image = assemble(text, "fuzz.s", keep_holes=keep_holes, base_dir=base)
    except AsmError as err:
        assert err.diagnostics
        for d in err.diagnostics:
            assert d.message and d.severity in ("error", "warning", "note")
            if d.span.file == "fuzz.s":
                assert 1 <= d.span.line <= n_lines + 1 and d.span.col >= 1
        assert render(err).endswith("assembly failed\n")
        return
    assert 1 <= image.size <= 65536 and 0 <= image.entry < 65536
    assert all(0 <= w <= 0xFFFFFFFF for w in image.words)
    assert all(f == "fuzz.s" and 1 <= ln <= n_lines for f, ln in image.source_map.values())
    if not keep_holes:
        assert image.holes == []


def _asm_property(examples: int, base: Path, long: bool = False):
    @fuzz_settings(examples, long=long)
    @given(text=lines, keep_holes=st.booleans())
    def prop(text, keep_holes):
        check_source(text, keep_holes, base)

    return prop


def test_assembler_short(tmp_path: Path) -> None:
    _asm_property(SHORT * 3, tmp_path)()


@pytest.mark.slow
@long_run
def test_assembler_long(tmp_path: Path) -> None:
    _asm_property(LONG, tmp_path, long=True)()


def check_cli(text: str, out: Path) -> None:
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(
        app, ["asm", "-", "-o", str(out), "--json"], input=text.encode("utf-8", "surrogatepass"))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)  # exactly one JSON document, also for a failure
    assert ("error" in doc) == (result.exit_code == 1)


def _cli_property(examples: int, base: Path, long: bool = False):
    @fuzz_settings(examples, long=long)
    @given(text=lines)
    def prop(text):
        check_cli(text, base / "out.yaml")

    return prop


def test_asm_cli_short(tmp_path: Path) -> None:
    _cli_property(max(10, SHORT // 3), tmp_path)()


@pytest.mark.slow
@long_run
def test_asm_cli_long(tmp_path: Path) -> None:
    _cli_property(max(1, LONG // 10), tmp_path, long=True)()
