"""Malformed input that used to be taken silently or misreported (issue 18 item 6): an
empty `--input` item, a negative `trace --rows`, a device as `--inputs`, an expression
that leaves 64 bits in `.word`, a data-hole range naming a word twice, a choice listed
twice in a mnemonic hole. Each is one clear line and the documented exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.errors import AsmError
from ncpu_cli.machine.inputs import InputError, parse_input

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
ECHO = "loop: in r1\nbeqz r1, done\nout r1\nj loop\ndone: halt\n"


def ncpu(*args: object):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.stdout + res.stderr
    return res


@pytest.fixture
def echo(tmp_path: Path) -> Path:
    (tmp_path / "echo.s").write_text(ECHO)
    return tmp_path / "echo.s"


def asm_errors(source: str) -> list[str]:
    with pytest.raises(AsmError) as err:
        assemble(source, "t.s", keep_holes=True)
    return [f"{d.span.line}:{d.span.col}: {d.message}" for d in err.value.diagnostics]


# --- --input ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, item, col", [("1,,2", 2, 3), ("1,2,", 3, 5), (",1", 1, 1),
                                             ("1, ,2", 2, 3)])
def test_an_empty_input_item_is_refused_with_its_place(text: str, item: int, col: int) -> None:
    with pytest.raises(InputError, match=rf"item {item} \(column {col}\) is empty"):
        parse_input(text)


@pytest.mark.parametrize("text, words", [("1,2,3", (1, 2, 3)), ("1 2, 3", (1, 2, 3)),
                                         ("", ()), ("  ", ()), ("-1, 0x10", (0xFFFFFFFF, 16))])
def test_good_input_lists_still_parse(text: str, words: tuple) -> None:
    assert parse_input(text) == words


@pytest.mark.parametrize("command", ["run", "trace"])
def test_run_and_trace_refuse_an_empty_input_item(echo: Path, command: str) -> None:
    res = ncpu(command, echo, "--input", "1,,2")
    assert res.exit_code == EXIT_ERROR
    assert "--input 1,,2: item 2 (column 3) is empty" in res.stderr
    good = ncpu("run", echo, "--input", "1,2", "--json")
    assert json.loads(good.stdout)["programs"][0]["out"] == [1, 2]


# --- trace --rows -------------------------------------------------------------------------


def test_trace_refuses_negative_rows(echo: Path) -> None:
    res = ncpu("trace", echo, "--rows", "-1")
    assert res.exit_code == EXIT_USAGE
    assert "--rows" in res.stderr
    assert ncpu("trace", echo, "--rows", "0", "--input", "1").exit_code == EXIT_OK


# --- --inputs FILE ------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero (a character device)")
def test_inputs_from_a_device_says_what_it_is(echo: Path) -> None:
    res = ncpu("run", echo, "--inputs", "/dev/zero")
    assert res.exit_code == EXIT_ERROR
    assert "/dev/zero: not a regular file" in res.stderr and "no such file" not in res.stderr


def test_inputs_not_utf8_and_missing_are_told_apart(echo: Path, tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"- {set: {r1: 1}}\n\xff\xfe\n")
    res = ncpu("run", echo, "--inputs", tmp_path / "bin.yaml")
    assert res.exit_code == EXIT_ERROR and "not a text file (not UTF-8 at byte 17" in res.stderr
    res = ncpu("run", echo, "--inputs", tmp_path / "missing.yaml")
    assert res.exit_code == EXIT_ERROR and "missing.yaml: no such file" in res.stderr


def test_inputs_from_a_pipe_are_read(echo: Path, tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "records"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("- {input: [7]}\n"), daemon=True)
    writer.start()
    res = ncpu("run", echo, "--inputs", fifo, "--json")
    if writer.is_alive():  # the run never opened the pipe: let the writer go
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(timeout=10)
    assert res.exit_code == EXIT_OK, res.stderr
    assert json.loads(res.stdout)["programs"][0]["out"] == [7]


# --- .word values and data holes -----------------------------------------------------------


def test_word_of_a_value_beyond_64_bits_is_refused_at_its_column() -> None:
    assert asm_errors("    .word 7, 1<<70\n") == [
        "1:14: shift count 70 outside 0..63 (expressions are 64-bit)"]
    (msg,) = asm_errors(".word 0x100000000 * 0x100000000\n")
    assert msg.startswith("1:7: the result 18446744073709551616 does not fit in 64 bits")


def test_a_data_hole_range_must_name_each_word_once() -> None:
    (msg,) = asm_errors(".word ??[-1:4294967295]\n")
    assert msg.startswith("1:7: hole range -1..4294967295 names 4294967297 values")
    assert "-2147483648..2147483647 or 0..4294967295" in msg
    # the widest ranges that do name each word once
    for good in ("??[0:4294967295]", "??[-2147483648:2147483647]", "??"):
        assert assemble(f".word {good}\n", "t.s", keep_holes=True).holes


# --- choices listed twice ------------------------------------------------------------------


@pytest.mark.parametrize("source, where", [
    ("?{add,add} r1, r1, r1\n", "1:7: `add` is listed twice in the hole"),  # mnemonic hole
    ("?{add,sub,add}\n", "1:11: `add` is listed twice in the hole"),  # instruction hole
    ("?{shl,sll} r1, r1, r1\n", "1:7: `sll` is listed twice in the hole (`sll` is `shl`)"),
])
def test_a_choice_listed_twice_is_refused(source: str, where: str) -> None:
    assert asm_errors(source) == [where]
