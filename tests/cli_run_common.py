"""Shared by the `ncpu run` CLI tests: tiny programs, the exit codes, the JSON keys,
`invoke`/`run_json` through Typer's CliRunner (never a traceback) and the JSON shape check."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.isa import load_isa

ISA = load_isa()
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_TIMEOUT = 0, 1, 2, 3

# Tiny programs, written into tmp_path by the tests.
ADD = """\
; r3 = r1 + r2, printed
add r3, r1, r2
out r3
halt
"""
ECHO = """\
; copy the input stream to the output until a 0 (or the end of the input)
loop:   in   r1
        beqz r1, done
        out  r1
        j    loop
done:   halt
"""
HELLO = """\
li r1, 'H'
out r1
li r1, 'i'
out r1
li r1, 10
out r1
halt
"""
LOAD = """\
; fault when r2 points outside memory
ld r1, 0(r2)
out r1
halt
"""
SPIN = """\
loop: addi r1, r1, 1
      j loop
"""
BIG = """\
.org 100
halt
"""
PROGRAM_KEYS = ["index", "status", "reason", "pc", "cycles", "regs", "out", "eof"]
TOP_KEYS = ["device", "engine", "mode", "mem_words", "programs", "summary"]
SOFT_KEYS = ["addressing", "temperature", "dtype"]
SUMMARY_KEYS = ["count", "halted", "fault", "timeout", "cycles_total", "seconds", "ips"]


def invoke(*args, input=None):
    result = CliRunner().invoke(app, ["run", *map(str, args)], input=input)
    # never a traceback: only a clean exit
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result


def flat(text):
    """stderr without Rich's box drawing and line wrapping."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def run_json(*args, input=None, code=EXIT_OK):
    result = invoke(*args, "--json", input=input)
    assert result.exit_code == code, result.stderr
    return json.loads(result.stdout)


def programs_of(doc, drop=("max_deviation",)):
    return [{k: v for k, v in p.items() if k not in drop} for p in doc["programs"]]


def check_shape(doc):
    if doc.get("mode") == "soft":  # a soft run's settings, after mem_words
        assert list(doc["soft"]) == SOFT_KEYS
        doc = {k: v for k, v in doc.items() if k != "soft"}
    assert list(doc) == TOP_KEYS
    assert isinstance(doc["device"], str) and isinstance(doc["engine"], str)
    assert doc["mode"] in ("exact", "soft") and isinstance(doc["mem_words"], int)
    assert list(doc["summary"]) == SUMMARY_KEYS
    for key in SUMMARY_KEYS[:5]:
        assert type(doc["summary"][key]) is int
    assert type(doc["summary"]["seconds"]) is float and type(doc["summary"]["ips"]) is float
    assert doc["summary"]["count"] == len(doc["programs"])
    for i, p in enumerate(doc["programs"]):
        keys = list(p)
        if doc["mode"] == "soft" and "max_deviation" in keys:
            assert isinstance(p["max_deviation"], float)
            keys.remove("max_deviation")
        assert keys == PROGRAM_KEYS
        assert p["index"] == i
        assert p["status"] in ("halted", "fault", "timeout")
        assert p["reason"] is None if p["status"] != "fault" else isinstance(p["reason"], str)
        assert type(p["pc"]) is int and type(p["cycles"]) is int and type(p["eof"]) is bool
        assert len(p["regs"]) == 16 and all(type(r) is int for r in p["regs"])
        assert all(type(v) is int and -(2**31) <= v < 2**31 for v in p["regs"] + p["out"])
