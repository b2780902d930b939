"""`ncpu fit` on the command line: the program on stdout or in `-o FILE.s`, `--json` with the
issue's fields, exit 3 (and the best candidate) when a fit cannot succeed, enumerate's
refusal, `-o` onto the sketch refused, and `--suite DIR --method all`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fit_common import (
    CONST,
    EASY,
    MNEMONIC,
    QUICK,
    json_of,
    ncpu_fit,
    no_traceback,
    passes_everything,
    task,
    write_task,
)

FIELDS = {"solved", "method", "program", "holes", "examples_passed", "examples_total",
          "holdout_passed", "holdout_total", "steps", "restarts", "seconds", "seed"}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_solved_prints_the_program(work: Path) -> None:
    spec = write_task(work, "const", CONST)
    res = ncpu_fit(spec, "--method", "enumerate", *QUICK)
    no_traceback(res)
    assert res.exit_code == 0, res.output
    assert passes_everything(res.stdout, CONST)
    assert res.stdout.splitlines()[0] == "; r2 = r1 + C"  # the sketch's own lines and comments
    assert "; C" in res.stdout.splitlines()[1]
    assert "solved by enumerate" in res.stderr


def test_output_file(work: Path) -> None:
    spec = write_task(work, "mnemonic", MNEMONIC)
    res = ncpu_fit(spec, "--method", "evolve", "-o", "fitted.s", *QUICK)
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert passes_everything((work / "fitted.s").read_text(), MNEMONIC)
    assert "?{" in (work / "mnemonic.s").read_text()  # the sketch is untouched


def test_output_onto_the_sketch_is_refused(work: Path) -> None:
    spec = write_task(work, "const", CONST)
    before = (work / "const.s").read_text()
    for target in ("const.s", str(work / "const.s"), "./const.s"):
        res = ncpu_fit(spec, "-o", target, *QUICK)
        no_traceback(res)
        assert res.exit_code == 2, res.output
        assert "is the sketch itself" in res.stderr
    assert (work / "const.s").read_text() == before


def test_json_fields(work: Path) -> None:
    spec = write_task(work, "mnemonic", MNEMONIC)
    res = ncpu_fit(spec, "--method", "enumerate", "--json", *QUICK)
    assert res.exit_code == 0, res.output
    out = json_of(res)
    assert FIELDS <= set(out)
    assert out["solved"] is True and out["method"] == "enumerate"
    assert passes_everything(out["program"], MNEMONIC)
    assert out["holes"] == [{"line": 1, "col": 9, "kind": "mnemonic", "value": "sub"}]
    assert (out["examples_passed"], out["examples_total"]) == (2, 2)
    assert (out["holdout_passed"], out["holdout_total"]) == (1, 1)
    assert out["restarts"] == 16 and out["seed"] == 0
    assert isinstance(out["steps"], int) and out["steps"] >= 1
    assert isinstance(out["seconds"], float) and out["seconds"] >= 0
    assert res.stderr == ""  # --json prints JSON only


# same input, two outputs: no filling can pass both
CONTRADICTION = task("        addi r2, r1, ??[0:15]   ; C\n        halt\n",
                     [{"set": {"r1": 1}, "expect": {"regs": {"r2": 4}}},
                      {"set": {"r1": 1}, "expect": {"regs": {"r2": 9}}}])


# enumerate checks all 16 fillings in its first step: that proves no filling exists (exit 4);
# gradient only runs out of steps (exit 3)
@pytest.mark.parametrize("method,code", [("enumerate", 4), ("gradient", 3)])
def test_unsolvable_exits_with_its_best(work: Path, method: str, code: int) -> None:
    spec = write_task(work, "no", CONTRADICTION)
    plain = ncpu_fit(spec, "--method", method, "--steps", "2", *QUICK)
    no_traceback(plain)
    assert plain.exit_code == code, plain.output
    best = plain.stdout.splitlines()[0]
    assert best in ("        addi r2, r1, 3   ; C", "        addi r2, r1, 8   ; C")
    verdict = "proved unsolvable" if code == 4 else "not solved"
    assert verdict in plain.stderr and "examples 1/2" in plain.stderr
    as_json = ncpu_fit(spec, "--method", method, "--steps", "2", "--json", *QUICK)
    assert as_json.exit_code == code
    out = json_of(as_json)
    assert out["solved"] is False and (out["examples_passed"], out["examples_total"]) == (1, 2)
    assert out["proved_unsolvable"] is (code == 4)
    assert out["program"].splitlines()[0] == best
    assert out["holes"][0]["value"] in (3, 8)


def test_enumerate_refuses_a_large_space(work: Path) -> None:
    t = task("        addi r2, r1, ??[0:255]\n        addi r2, r2, ??[0:255]\n        halt\n",
             [{"set": {"r1": 0}, "expect": {"regs": {"r2": 300}}}])
    spec = write_task(work, "big", t)
    res = ncpu_fit(spec, "--method", "enumerate", "--max-candidates", "1000", *QUICK)
    no_traceback(res)
    assert res.exit_code == 1 and res.stdout == ""
    assert "65,536 fillings" in res.stderr and "--max-candidates 1,000" in res.stderr
    as_json = ncpu_fit(spec, "--method", "enumerate", "--max-candidates", "1000", "--json")
    assert as_json.exit_code == 1
    assert "65,536 fillings" in json_of(as_json)["error"]["message"]


def test_suite_table_and_rows(work: Path) -> None:
    suite = work / "suite"
    for name in ("const", "reg"):
        write_task(suite, name, EASY[name])
    (suite / "answers.yaml").write_text("const: {values: [11]}\n")  # not a task
    args = ["--suite", suite, "--method", "all", "--restarts", "8", "--seed", "0",
            "--steps", "40", "--time-limit", "120"]
    res = ncpu_fit(*args)
    no_traceback(res)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    header = next(line for line in lines if "task" in line)
    every = ("auto", "smt", "mcmc", "evolve", "enumerate", "gradient")
    assert all(m in header for m in every)
    for name in ("const", "reg"):
        assert any(line.split()[:1] == [name] for line in lines), res.stdout
    assert not any(line.split()[:1] == ["answers"] for line in lines)
    totals = next(line for line in lines if line.split()[:1] == ["solved"])
    assert totals.count("2/2") == len(every), totals  # every method solved both tasks
    out = json_of(ncpu_fit(*args, "--json"))
    rows = {(r["task"], r["method"]): r for r in out["rows"]}
    assert set(rows) == {(t, m) for t in ("const", "reg") for m in every}
    assert all(r["solved"] and r["steps"] >= 1 for r in rows.values())
    assert rows[("const", "evolve")]["space"] == 16 and rows[("reg", "enumerate")]["space"] == 16


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_bad_time_limit_is_a_usage_error(work: Path, value: str) -> None:
    spec = write_task(work, "const", EASY["const"])
    res = ncpu_fit(spec, "--time-limit", value)
    no_traceback(res)
    assert res.exit_code == 2 and "--time-limit must be a positive number" in res.stderr
