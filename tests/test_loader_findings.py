"""What the long fuzz run (`make fuzz`: test_inputs_files_long, test_loaders_long) found.

1. Numbers and register names are ASCII: str.isdigit() is true for `²`, which int()
   refuses, so an `--inputs` record `{"input": "²"}`, `--set r1=²` and `--set r²=1` ended
   in a ValueError traceback; and int() reads other scripts' digits (`٣` is 3), which the
   assembler rightly refuses.
2. An error echoes at most a short piece of what it refuses: a 5,000-character key inside
   an `input` list came back whole in the message (the fuzzer's bound is 2,000), and so did
   a listing's ISA name (test_loaders_long[mutated]), a readmemh header's, and a symbol
   name given twice or with a bad address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli import formats
from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.errors import ImageError
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.inputs import InputError, parse_input, parse_int, parse_register
from ncpu_cli.machine.records import read_records
from ncpu_cli.machine.soft.settings import soft_cpu_threads

PROGRAM = Path(__file__).resolve().parent.parent / "programs" / "factorial.s"
# superscript two, Arabic-Indic three, fullwidth one two, a digit with a superscript
NOT_ASCII = ["²", "-²", "٣", "１２", "1²"]


@pytest.mark.parametrize("text", NOT_ASCII)
def test_non_ascii_digits_are_not_numbers(text: str) -> None:
    with pytest.raises(InputError, match="is not a number"):
        parse_int(text)


def test_ascii_numbers_still_parse() -> None:
    assert [parse_int(t) for t in ["7", "-7", "+7", "007", "0x1F", "0b101", "0o17"]] == [
        7, -7, 7, 7, 31, 5, 15]
    assert parse_input("1,2 3") == (1, 2, 3)


def test_the_example_hypothesis_found(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"set": None, "input": "²"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_records(path, 1024)
    assert str(err.value).startswith(str(path)) and "is not a number" in str(err.value)


@pytest.mark.parametrize("name", ["r²", "r٣", "r１"])
def test_non_ascii_register_names_are_unknown(name: str) -> None:
    assert load_isa().register(name) is None
    with pytest.raises(InputError, match="unknown register"):
        parse_register(name)


@pytest.mark.parametrize("opt", ["r1=²", "r²=1", "r1=٣"])
def test_cli_says_one_line(opt: str) -> None:
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(app, ["run", str(PROGRAM), "--set", opt])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"error: --set {opt}: ")


@pytest.mark.parametrize("env, threads", [("²", 1), ("٣", 1), ("3", 3)])
def test_soft_threads_variable(monkeypatch: pytest.MonkeyPatch, env: str, threads: int) -> None:
    monkeypatch.setenv("NCPU_SOFT_THREADS", env)
    assert soft_cpu_threads() == threads


# ---------------------------------------------------------------- 2. short messages

LONG_KEY = "1" * 5000


def test_the_long_example_hypothesis_found(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"set": []}\n{"mem": {"": null}, "input": [{"%s": null}]}' % LONG_KEY,
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_records(path, 1024)
    msg = str(err.value)
    assert msg.startswith(f"{path}: record 2: field `input`: value must be a number, got `{{'111")
    assert len(msg) < len(str(path)) + 200


@pytest.mark.parametrize("value", [{LONG_KEY: None}, [LONG_KEY], " " * 5000 + "x" + " " * 5000])
def test_refused_values_are_cut_short(value: object) -> None:
    with pytest.raises(InputError) as err:
        parse_int(value)
    assert len(str(err.value)) < 200


IMAGE = assemble("main: halt\n", "x.s")


def _listing() -> str:
    return formats.dump(IMAGE, "listing")


def _readmemh() -> str:
    return formats.dump(IMAGE, "readmemh")


def _json_symbol() -> str:
    doc = json.loads(formats.dump(IMAGE, "json"))
    return json.dumps({**doc, "symbols": {"a" * 5000: 99999999}})


@pytest.mark.parametrize("make, fmt, start", [
    # hypothesis: a listing with b"1" * 5000 inserted at byte 2 (inside the ISA name)
    (lambda: _listing()[:2] + "1" * 5000 + _listing()[2:], "listing",
     "f:1: listing is for ISA '1111"),
    (lambda: _listing() + f"; symbol {'a' * 5000}: 0x0\n; symbol {'a' * 5000}: 0x1\n",
     "listing", "f:"),
    (lambda: _readmemh().replace("ncpu32", "1" * 5000, 1), "readmemh", "f:1: image is for 1111"),
    (lambda: _readmemh().replace("// entry", f"// symbol {'a' * 5000}: 0x0\n"
                                 f"// symbol {'a' * 5000}: 0x1\n// entry", 1), "readmemh", "f:3:"),
    (_json_symbol, "json", "f: symbol 'aaa"),
], ids=["listing-isa", "listing-symbol", "readmemh-isa", "readmemh-symbol", "json-symbol"])
def test_image_errors_are_cut_short(make, fmt: str, start: str) -> None:
    with pytest.raises(ImageError) as err:
        formats.parse(make().encode(), "f", fmt)
    assert str(err.value).startswith(start) and len(str(err.value)) < 200, str(err.value)[:300]
