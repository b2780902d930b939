"""Regressions from the 1,900 malformed inputs of issue 12: each gives a message and exit 1
(or is refused up front with its limit named), never a traceback, a hang or gigabytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.asm.parser import parse, tree_parser
from ncpu_cli.asm.source import compact_idle_lines
from ncpu_cli.cli import app
from ncpu_cli.errors import AsmError, ImageError
from ncpu_cli.formats import parse as parse_image

HUGE = "1" * 5000  # more digits than Python converts (4,300) without being asked to
DEEP = "[" * 1000 + "]" * 1000
YAML_HEAD = "format: ncpu-image\nversion: 1\nisa: ncpu32\nword_bits: 32\nsize: 1\nentry: 0\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "200"})


def run_cli(runner: CliRunner, tmp_path: Path, argv: list[str]) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(app, argv)
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


# ---------------------------------------------------------------- numbers and nesting


@pytest.mark.parametrize("name, text, message", [
    ("big.yaml", f"x: {HUGE}\n", "a number has more than 4300 digits"),
    ("big.json", f"[{HUGE}]\n", "a number has more than 4300 digits"),
    ("deep.json", DEEP + "\n", "nested more than 64 deep"),
    ("deep.yaml", DEEP + "\n", "nested more than 64 deep"),
])
@pytest.mark.parametrize("command", ["run", "disasm"])
def test_huge_numbers_and_deep_nesting_in_images(
    runner: CliRunner, tmp_path: Path, command: str, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    code, err = run_cli(runner, tmp_path, [command, name])
    assert code == 1
    assert err.strip() == f"error: {name}: {message}"


@pytest.mark.parametrize("name, text, message", [
    ("big.jsonl", '{"set": {"r1": %s}}\n' % HUGE, "record 1: a number has more than 4300 digits"),
    ("deep.jsonl", '{"set": %s}\n' % DEEP, "record 1: nested more than 64 deep"),
    ("big.yaml", f"- set: {{r1: {HUGE}}}\n", "a number has more than 4300 digits"),
    ("hex.yaml", f"- set: {{r1: 0x{HUGE}}}\n", "about 6,020 digits out of 32-bit range"),
])
def test_huge_numbers_and_deep_nesting_in_inputs_files(
    runner: CliRunner, tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / "p.s").write_text("halt\n")
    (tmp_path / name).write_text(text)
    code, err = run_cli(runner, tmp_path, ["run", "p.s", "--inputs", name])
    assert code == 1
    assert err.startswith(f"error: {name}: ") and message in err


def test_a_huge_number_on_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "p.s").write_text("halt\n")
    code, err = run_cli(runner, tmp_path, ["run", "p.s", "--set", f"r1={HUGE}"])
    assert code == 1 and "is too long (5,000 characters) for a number" in err
    assert len(err) < 300  # the option is not echoed in full


# ---------------------------------------------------------------- readmemh


@pytest.mark.parametrize("text, message", [
    ("// only a comment\n", "holds no words (only comments or addresses), not an image"),
    ("@0005\n", "holds no words (only comments or addresses), not an image"),
    ("// entry: zz\n00000000\n", ":1: header line 'entry: zz' does not parse"),
    ("// ncpu-image ncpu32: -1 words of 32 bits ($readmemh)\n00000000\n",
     ":1: header line 'ncpu-image ncpu32: -1 words of 32 bit...' does not parse"),
    ("// ncpu-image ncpu64: 1 word of 32 bits\n00000000\n", ":1: image is for ncpu64"),
    ("// ncpu-image ncpu32: 1 word of 64 bits\n00000000\n", "with 64-bit words"),
    ("// symbol 1bad: 0x0000\n00000000\n", ":1: header line 'symbol 1bad: 0x0000' does not parse"),
    ("// symbol a-b: 0x0000\n00000000\n", "does not parse"),
    ("// entry: 0x0\n// entry: 0x1\n00000000\n", ":2: a second `entry:` line"),
    ("// ncpu-image ncpu32: 70000 words of 32 bits\n", "more than the largest memory"),
    ("100000000\n", "'100000000' does not fit in 32 bits"),
])
def test_readmemh_without_words_or_with_bad_headers(
    runner: CliRunner, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "p.hex").write_text(text)
    with pytest.raises(ImageError) as info:
        parse_image(text.encode(), "p.hex", None)
    assert str(info.value).startswith("p.hex") and message in str(info.value)
    code, err = run_cli(runner, tmp_path, ["run", "p.hex", "-q"])
    assert code == 1 and message in err


def test_an_empty_image_with_a_header_saying_so_still_reads() -> None:
    text = "// ncpu-image ncpu32: 0 words of 32 bits ($readmemh)\n// entry: 0x0000\n"
    assert parse_image(text.encode(), "e.hex", "readmemh").words == []


def test_ordinary_comments_are_still_comments() -> None:
    text = "// Entry point is main; symbols follow\n// entry point\n00000001  // entry: x\n"
    assert parse_image(text.encode(), "c.hex", "readmemh").words == [1]


# ---------------------------------------------------------------- every field strict


@pytest.mark.parametrize("tail, message", [
    ("segments: []\nend: true\nextra: 1\n", "unknown field(s): extra"),
    ("segments: [{start: 0, words: [0], x: 1}]\nend: true\n", "exactly the fields"),
    ("segments: [{start: 0, words: ['0xzz']}]\nend: true\n", "is not a hex word"),
    ("segments: [{start: 0, words: [0x100000000]}]\nend: true\n", "does not fit in 32 bits"),
    ("segments: [{start: 0, words: []}]\nend: true\n", "segment 0: no words"),
    ("source_map: {0: 'nofile'}\nsegments: []\nend: true\n", "is not 'file:line'"),
    ("source_map: {0: 'a.s:0'}\nsegments: []\nend: true\n", "is not 'file:line'"),
    ("symbols: {'1x': 0}\nsegments: []\nend: true\n", "is not a label name"),
    ("symbols: {x: -1}\nsegments: []\nend: true\n", "symbol 'x': -1 is outside 0..65536"),
    ("holes: [1]\nsegments: []\nend: true\n", "hole 0: expected a mapping"),
    ("holes: [{kind: data}]\nsegments: []\nend: true\n", "hole 0: missing field 'address'"),
    ("holes: [{address: 5}]\nsegments: []\nend: true\n", "hole 0 address: 5 is outside 0..0"),
    ("holes: [{address: 0, lo: 1.5}]\nsegments: []\nend: true\n", "is not an integer, text"),
    ("segments: []\nend: false\n", "end: False (expected true)"),
])
def test_every_yaml_field_is_checked(tail: str, message: str) -> None:
    with pytest.raises(ImageError) as info:
        parse_image((YAML_HEAD + tail).encode(), "p.yaml", None)
    assert message in str(info.value)


@pytest.mark.parametrize("field, value, message", [
    ("version", 1.0, "image format version 1.0 is not supported"),
    ("word_bits", "32", "image has '32'-bit words"),
    ("entry", True, "entry: True is not an integer"),
    ("size", int("9" * 50), "size: 99999999999999999999999999999999999999999999999999 is"),
    ("isa", ["ncpu32"], "image is for ISA a list"),
    ("end", "yes", "end: 'yes' (expected true)"),
])
def test_every_json_field_is_checked(field: str, value: object, message: str) -> None:
    doc = {"format": "ncpu-image", "version": 1, "isa": "ncpu32", "word_bits": 32, "size": 1,
           "entry": 0, "words": [0], field: value}
    with pytest.raises(ImageError) as info:
        parse_image(json.dumps(doc).encode(), "p.json", "json")
    assert message in str(info.value)


def test_a_huge_hex_number_is_named_not_printed() -> None:
    # YAML reads 0x... of any length (no digit limit for hex), but printing it in decimal
    # would fail: the message says how big it is instead
    text = YAML_HEAD.replace("size: 1", "size: 0x" + "f" * 5000) + "segments: []\nend: true\n"
    with pytest.raises(ImageError) as info:
        parse_image(text.encode(), "p.yaml", None)
    assert "size: a number of about 6,021 digits is outside 0..65536" in str(info.value)


@pytest.mark.parametrize("text, message", [
    ("; ncpu64 listing: 1 word, entry 0x0000\n  0000  00000000  halt\n", "is for ISA 'ncpu64'"),
    ("; ncpu32 listing: 2 words, entry 0x0000\n  0000  00000000  halt\n", "header says 2 words"),
    ("; ncpu32 listing: 1 word\n  0000  00000000  halt\n", "not an ncpu listing"),
])
def test_listing_header_is_checked(text: str, message: str) -> None:
    with pytest.raises(ImageError) as info:
        parse_image(text.encode(), "p.lst", None)
    assert message in str(info.value)


# ---------------------------------------------------------------- the assembler


def test_a_million_blank_lines_need_megabytes_not_gigabytes() -> None:
    text = "\n" * 1_000_000 + "halt\n"
    assemble("halt\n", "warm.s")
    tracemalloc.start()
    try:
        image = assemble(text, "blank.s")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert image.source_map == {0: ("blank.s", 1_000_001)}
    # was ~300 bytes a line (300 MB here, 2.7 GB for 10^7); the text itself is 1 MB
    assert peak < 40 << 20, f"peak {peak / 2**20:.0f} MiB"


def test_comment_only_lines_reach_the_parser_as_one_newline_token() -> None:
    lines = ["; a comment", "   # another", "\t", "  ", "\r"] * 40_000
    text = "\n".join(lines) + "\n  halt ; stop\n"
    compact = compact_idle_lines(text)
    assert compact.count("\n") == text.count("\n")  # every line keeps its number
    tokens = list(tree_parser().lex(compact))
    assert [t.type for t in tokens] == ["_NL", "NAME", "_NL"]  # not 400,000 tokens
    start = time.perf_counter()
    stmts, diags = parse(text, "c.s")
    assert (diags, [(s.line, s.mnemonic) for s in stmts]) == ([], [(200_001, "halt")])
    assert time.perf_counter() - start < 30  # was ~6 s per million lines, now a regex pass


@pytest.mark.parametrize("source, message", [
    (".zero 65537\n", "`.zero` count 65537 out of range (0..65536)"),
    (".org 65536\nhalt\n", "`.org` address 65536 is outside memory (0..65535)"),
    ("li r1, " + "~(" * 300 + "x" + ")" * 300 + "\nx: halt\n",
     "expression nested more than 200 deep (the limit)"),
])
def test_oversized_requests_name_the_limit(source: str, message: str) -> None:
    with pytest.raises(AsmError) as info:
        assemble(source, "big.s")
    assert message in str(info.value.diagnostics[0].message)


def test_a_huge_sweep_is_refused_up_front(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "p.s").write_text("halt\n")
    code, err = run_cli(runner, tmp_path, ["run", "p.s", "--sweep", "r1=-2147483648:4294967295"])
    assert code == 1
    assert "has 6,442,450,943 values, more than the largest sweep (1,073,741,824 programs)" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_include_of_a_fifo_without_a_writer_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.s")
    (tmp_path / "main.s").write_text('.include "pipe.s"\nhalt\n')
    code = ("from ncpu_cli.asm import assemble_file\nfrom ncpu_cli.errors import AsmError\n"
            "try:\n    assemble_file('main.s')\nexcept AsmError as e:\n"
            "    print(e.diagnostics[0].message)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == (
        "cannot include `pipe.s`: not a regular file (a FIFO, whose reader can wait forever)")


def test_a_parser_message_quoting_a_huge_tag_is_cut(tmp_path: Path) -> None:
    # found by the --inputs fuzzer: PyYAML quotes the whole unknown tag in its message
    (tmp_path / "in.yaml").write_text("!" + "1" * 5000 + " x\n")
    from ncpu_cli.machine.inputs import InputError
    from ncpu_cli.machine.records import read_records

    with pytest.raises(InputError) as info:
        read_records(tmp_path / "in.yaml")
    assert "could not determine a constructor for the tag" in str(info.value)
    assert len(str(info.value)) < 400


def test_a_label_longer_than_yamls_key_limit_round_trips() -> None:
    # found by the loader fuzzer: YAML allows simple keys of at most 1,024 characters,
    # so a long label made an image that `ncpu asm` wrote but could not read back
    from ncpu_cli.formats import dump

    image = assemble("L" * 3000 + ": halt\n", "long.s")
    again = parse_image(dump(image, "yaml").encode(), "long.yaml", None)
    assert again.symbols == {"L" * 3000: 0}


def test_a_huge_unknown_field_or_register_name_is_cut(tmp_path: Path) -> None:
    # found by the --inputs fuzzer: the unknown name was echoed in full
    from ncpu_cli.machine.inputs import InputError
    from ncpu_cli.machine.records import read_records

    for text in ('{"%sset": 1}\n' % ("1" * 5000), '{"set": {"%s": 1}}\n' % ("q" * 5000)):
        (tmp_path / "in.jsonl").write_text(text)
        with pytest.raises(InputError) as info:
            read_records(tmp_path / "in.jsonl")
        assert len(str(info.value)) < 400, str(info.value)[:100]
