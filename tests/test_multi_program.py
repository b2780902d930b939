"""`ncpu run a.s b.yaml c.hex ...` and --inputs records naming their own `program`:
several programs (any image format) as one batch, in the order given, each run
named by its program; the cross product with --sweep/--batch; mixed sizes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ncpu_cli.cli import app

EXIT_OK, EXIT_ERROR = 0, 1

# r2 = 2 * r1 (ISA.md: add rd, ra, rb)
DOUBLE = "    add r2, r1, r1\n    halt\n"
# r2 = 7 * r1, and r2 goes to the output stream
SEVEN = "    li r3, 7\n    mul r2, r1, r3\n    out r2\n    halt\n"
# 40 words: a program larger than the others (the .zero words are data, never run)
LONG = "    li r2, 5\n    halt\n    .zero 38\n"


def invoke(*args, code=EXIT_OK):
    result = CliRunner().invoke(app, ["run", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == code, result.stdout + result.stderr
    return result


def runs(*args, code=EXIT_OK):
    return json.loads(invoke(*args, "--json", code=code).stdout)["programs"]


@pytest.fixture
def progs(tmp_path, monkeypatch):
    """a.s (source), b.yaml (YAML image), c.hex (readmemh image) and long.s in tmp_path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.s").write_text(DOUBLE)
    (tmp_path / "seven.s").write_text(SEVEN)
    (tmp_path / "long.s").write_text(LONG)
    for out, fmt in (("b.yaml", "yaml"), ("c.hex", "readmemh")):
        r = CliRunner().invoke(app, ["asm", "seven.s", "-f", fmt, "-o", out])
        assert r.exit_code == 0, r.stdout + r.stderr
    return tmp_path


def brief(records):
    return [(r["index"], r["program"], r["regs"][1], r["regs"][2], r["out"]) for r in records]


def test_several_formats_in_one_run_in_the_given_order(progs):
    got = runs("c.hex", "a.s", "b.yaml", "--set", "r1=3")
    assert brief(got) == [(0, "c.hex", 3, 21, [21]), (1, "a.s", 3, 6, []),
                          (2, "b.yaml", 3, 21, [21])]
    assert all(r["status"] == "halted" for r in got)


def test_cross_product_with_sweep_is_program_by_program(progs):
    got = runs("a.s", "b.yaml", "--sweep", "r1=1:4")
    assert brief(got) == [(0, "a.s", 1, 2, []), (1, "a.s", 2, 4, []), (2, "a.s", 3, 6, []),
                          (3, "b.yaml", 1, 7, [7]), (4, "b.yaml", 2, 14, [14]),
                          (5, "b.yaml", 3, 21, [21])]


def test_cross_product_with_batch_copies(progs):
    got = runs("a.s", "c.hex", "--batch", "2", "--set", "r1=-4")
    assert brief(got) == [(0, "a.s", -4, -8, []), (1, "a.s", -4, -8, []),
                          (2, "c.hex", -4, -28, [-28]), (3, "c.hex", -4, -28, [-28])]


def test_records_name_their_program_relative_to_the_inputs_file(progs):
    sub = progs / "runs"
    sub.mkdir()
    (sub / "d.s").write_text(DOUBLE)
    (sub / "in.yaml").write_text(
        "- {program: ../b.yaml, set: {r1: 2}}\n"
        "- {program: d.s, set: {r1: 5}}\n"
        "- {program: ../c.hex, set: {r1: 1}}\n")
    got = runs("--inputs", "runs/in.yaml")  # no positional PROGRAM needed
    assert brief(got) == [(0, "../b.yaml", 2, 14, [14]), (1, "d.s", 5, 10, []),
                          (2, "../c.hex", 1, 7, [7])]


def test_records_without_program_run_every_program(progs):
    (progs / "in.jsonl").write_text('{"set": {"r1": 4}}\n{"program": "a.s", "set": {"r1": 9}}\n')
    got = runs("b.yaml", "c.hex", "--inputs", "in.jsonl")
    assert brief(got) == [(0, "b.yaml", 4, 28, [28]), (1, "c.hex", 4, 28, [28]),
                          (2, "a.s", 9, 18, [])]


def test_a_record_without_program_and_no_program_given(progs):
    (progs / "in.yaml").write_text("- {program: a.s}\n- {set: {r1: 1}}\n")
    r = invoke("--inputs", "in.yaml", code=EXIT_ERROR)
    assert "record 2" in r.stderr and "program" in r.stderr


def test_missing_program_file(progs):
    r = invoke("a.s", "nope.s", code=EXIT_ERROR)
    assert "nope.s: no such file" in r.stderr
    (progs / "in.yaml").write_text("- {program: a.s}\n- {program: gone.yaml}\n")
    r = invoke("--inputs", "in.yaml", code=EXIT_ERROR)
    assert "record 2" in r.stderr and "gone.yaml: no such file" in r.stderr


def test_program_field_must_be_a_path(progs):
    (progs / "in.yaml").write_text("- {program: 5}\n")
    r = invoke("--inputs", "in.yaml", code=EXIT_ERROR)
    assert "field `program`" in r.stderr


def test_mixed_sizes_share_one_memory(progs):
    got = json.loads(invoke("a.s", "long.s", "--mem-words", "64", "--json").stdout)
    assert got["mem_words"] == 64
    assert [(r["program"], r["regs"][2], r["regs"][15]) for r in got["programs"]] == [
        ("a.s", 0, 64), ("long.s", 5, 64)]  # sp = N for both (ISA.md: Reset)
    r = invoke("a.s", "long.s", "--mem-words", "32", code=EXIT_ERROR)
    assert "long.s" in r.stderr and "--mem-words" in r.stderr


@pytest.mark.parametrize("engine", ["native", "exact", "reference"])
def test_every_engine_runs_a_mixture(progs, engine):
    got = runs("a.s", "c.hex", "--sweep", "r1=0:3", "--engine", engine)
    assert [(r["program"], r["regs"][2]) for r in got] == [
        ("a.s", 0), ("a.s", 2), ("a.s", 4), ("c.hex", 0), ("c.hex", 7), ("c.hex", 14)]


def test_soft_mode_runs_a_mixture(progs):
    got = runs("a.s", "b.yaml", "--set", "r1=3", "--mode", "soft")
    assert [(r["program"], round(r["regs"][2])) for r in got] == [("a.s", 6), ("b.yaml", 21)]


def test_one_program_keeps_its_records_unnamed(progs):
    got = runs("a.s", "--set", "r1=1")
    assert "program" not in got[0]


def test_human_view_names_each_program(progs):
    r = invoke("a.s", "b.yaml", "--set", "r1=2")
    assert "a.s" in r.stdout and "b.yaml" in r.stdout


def test_jsonl_out_names_programs(progs):
    invoke("a.s", "c.hex", "--out", "res.jsonl", "-q")
    lines = [json.loads(x) for x in (progs / "res.jsonl").read_text().splitlines()]
    assert [(x["index"], x["program"]) for x in lines] == [(0, "a.s"), (1, "c.hex")]


def test_stdin_only_once(progs):
    r = invoke("-", "-", code=2)
    assert "only once" in r.stderr
