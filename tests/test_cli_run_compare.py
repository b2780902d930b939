"""`ncpu run --mode soft --compare-exact` and what a soft run's footer says (issue 18,
item 9): the exact machine beside the soft one gives the real error per program;
`max deviation` is explained (distance to an integer, not the error); every footer
names the addressing, τ and float width -- hard by default for `run`, softmax for
`trace`."""

from __future__ import annotations

import json

import pytest
from cli_run_common import (
    ADD,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    check_shape,
    flat,
    invoke,
    run_json,
)
from soft_common import FACT, PROGRAMS
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.machine.result import ProgramResult
from ncpu_cli.run.compare import compare, compare_one, compare_summary

GCD = str(PROGRAMS / "gcd.s")
SOFTMAX = ("--mode", "soft", "--addressing", "softmax")


def result(index=0, status="halted", reason=None, regs=None, out=()):
    return ProgramResult(index=index, status=status, reason=reason, pc=0, cycles=1,
                         regs=list(regs or [0] * 16), out=list(out), eof=False)


# ---------------------------------------------------------------- run.compare


def test_compare_one_measures_registers_output_and_status():
    regs = [0] * 16
    wrong = regs.copy()
    wrong[2], wrong[15] = 134, -3
    c = compare_one(result(regs=wrong, out=[7]), result(regs=regs, out=[5, 9]))
    assert (c.reg_error, c.out_error, c.out_len, c.out_len_match) == (134, 2, 2, False)
    assert c.status_match and c.error == 134 and not c.same
    c = compare_one(result(status="fault", reason="address"), result())
    assert not c.status_match and c.error == 0 and not c.same
    assert compare_one(result(out=[1, 2]), result(out=[1, 2])).same
    # a soft value that wraps around is as far from the exact one as its signed value says
    assert compare_one(result(regs=[0, -(2**31)] + [0] * 14), result()).reg_error == 2**31


def test_compare_pairs_by_index_and_counts():
    soft = [result(0), result(1, out=[3]), result(2, status="timeout")]
    exact = [result(0), result(1, out=[4]), result(2)]
    got = list(compare(soft, exact))
    assert [c.same for c in got] == [True, False, False]
    assert compare_summary(got) == {"count": 3, "same": 1, "differ": 2, "status_differs": 1,
                                    "max_error": 1}
    with pytest.raises(Exception, match="program 1"):
        list(compare(soft[:2], [exact[0], exact[2]]))


# ---------------------------------------------------------------- --compare-exact


def _check_against_exact(soft_doc, exact_doc):
    """Every program's `exact` agrees with a separate exact run of the same programs, and
    its errors with the two documents' values."""
    assert len(soft_doc["programs"]) == len(exact_doc["programs"])
    for p, q in zip(soft_doc["programs"], exact_doc["programs"]):
        e = p["exact"]
        assert (e["status"], e["reason"], e["cycles"]) == (q["status"], q["reason"], q["cycles"])
        assert e["reg_error"] == max(abs(a - b) for a, b in zip(p["regs"], q["regs"]))
        assert e["out_len"] == len(q["out"]) and e["out_len_match"] == (len(p["out"]) == len(q["out"]))
        assert e["status_match"] == ((p["status"], p["reason"]) == (q["status"], q["reason"]))
        assert e["same"] == (e["status_match"] and e["out_len_match"] and e["error"] == 0)


def test_hard_soft_runs_compare_equal_to_exact():
    args = (GCD, "--sweep", "r1=1:6", "--set", "r2=12", "--mem-words", "256")
    doc = run_json(*args, "--mode", "soft", "--compare-exact")
    check_shape({**doc, "programs": [{k: v for k, v in p.items() if k != "exact"}
                                     for p in doc["programs"]],
                 "summary": {k: v for k, v in doc["summary"].items() if k != "compare"}})
    _check_against_exact(doc, run_json(*args))
    assert all(p["exact"]["same"] and p["exact"]["error"] == 0 for p in doc["programs"])
    assert doc["summary"]["compare"]["same"] == 5 and doc["summary"]["compare"]["differ"] == 0
    assert doc["soft"]["addressing"] == "hard"  # run's default


def test_softmax_halted_with_a_wrong_output_is_found_out():
    # the case: under softmax at τ = 0.2 gcd(r1, 12) "halts", with the wrong
    # output and a max deviation below 0.5; the exact machine says what the answer is
    args = (GCD, "--sweep", "r1=1:4", "--set", "r2=12", "--mem-words", "256")
    doc = run_json(*args, *SOFTMAX, "--temperature", "0.2", "--compare-exact")
    exact = run_json(*args)
    _check_against_exact(doc, exact)
    assert [q["out"] for q in exact["programs"]] == [[1], [2], [3]]  # gcd(1..3, 12)
    assert all(p["status"] == "halted" and p["max_deviation"] < 0.5 for p in doc["programs"])
    assert all(not p["exact"]["same"] for p in doc["programs"])
    assert doc["summary"]["compare"]["differ"] == 3


def test_the_table_and_footer_say_how_soft_compares(tmp_path):
    r = invoke(FACT, "--set", "r1=5", *SOFTMAX, "--compare-exact")
    assert r.exit_code in (EXIT_OK, EXIT_ERROR), r.stderr
    text = flat(r.stdout)
    assert "vs exact (" in text and "max |Δ| registers" in text
    assert "addressing softmax τ=0.1 · float64" in text
    assert "max deviation" in text and "not their error" in text
    doc = run_json(FACT, "--set", "r1=5", *SOFTMAX, "--compare-exact", code=r.exit_code)
    verdict = "same" if doc["programs"][0]["exact"]["same"] else "differs"
    assert verdict in text


def test_a_large_batch_summary_names_the_machine_and_the_comparison():
    r = invoke(GCD, "--sweep", "r1=1:20", "--set", "r2=12", "--mem-words", "256", *SOFTMAX,
               "--temperature", "0.05", "--compare-exact")
    text = flat(r.stdout)
    assert "addressing softmax τ=0.05 · float64" in text
    assert "vs exact" in text and "not their error" in text


def test_out_lines_carry_the_comparison(tmp_path):
    out = tmp_path / "r.jsonl"
    r = invoke(GCD, "--sweep", "r1=1:3", "--set", "r2=12", "--mode", "soft", "--compare-exact",
               "--out", out, "-q")
    assert r.exit_code == EXIT_OK, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["exact"]["same"] for p in lines] == [True, True]


def test_compare_exact_needs_soft_mode(tmp_path):
    src = tmp_path / "add.s"
    src.write_text(ADD)
    r = invoke(src, "--compare-exact")
    assert r.exit_code == EXIT_USAGE and "--compare-exact applies only to --mode soft" in r.stderr


# ---------------------------------------------------------------- footers


def test_footers_name_each_commands_default_addressing(tmp_path):
    src = tmp_path / "add.s"
    src.write_text(ADD)
    run = flat(invoke(src, "--mode", "soft").stdout)
    assert "addressing hard · float64" in run
    assert "--compare-exact measures the error" in run  # what deviation is, and is not
    trace = CliRunner().invoke(app, ["trace", str(src)])
    assert trace.exit_code == 0, trace.stderr
    assert "soft machine softmax τ=0.1 · N=1024" in flat(trace.stdout)
