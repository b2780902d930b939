"""`ncpu fit` on the command line: the program on stdout or in `-o FILE.s`, `--json` with the
issue's fields, exit 3 (and the best candidate) when a fit cannot succeed, enumerate's
refusal, `-o` onto the sketch refused, `--suite DIR --method all`, a suite that goes on past
a bad spec, `--seeds N` on one spec, the side-by-side comparison (`--method A,B
--proposals uniform,gradient --seeds N`) and `--proposals`' usage errors."""

from __future__ import annotations

import statistics
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
    assert out["space"] == "4"  # always a decimal string
    assert out["candidates"] <= 4 and out["evaluations"] >= out["candidates"] >= 1
    assert out["stopped"] == "solved"
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
    assert rows[("const", "evolve")]["space"] == "16" and rows[("reg", "enumerate")]["space"] == "16"
    assert all(r["evaluations"] >= r["candidates"] >= 1 for r in rows.values())


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_bad_time_limit_is_a_usage_error(work: Path, value: str) -> None:
    spec = write_task(work, "const", EASY["const"])
    res = ncpu_fit(spec, "--time-limit", value)
    no_traceback(res)
    assert res.exit_code == 2 and "--time-limit must be a positive number" in res.stderr


def test_a_run_the_clock_ends_says_so(work: Path) -> None:
    spec = write_task(work, "const", EASY["const"])
    res = ncpu_fit(spec, "--method", "evolve", "--steps", "50", "--restarts", "4",
                   "--time-limit", "1e-9")
    no_traceback(res)
    assert res.exit_code == 3 and "not solved (--time-limit reached)" in res.stderr
    out = json_of(ncpu_fit(spec, "--method", "evolve", "--steps", "50", "--restarts", "4",
                           "--time-limit", "1e-9", "--json"))
    assert out["stopped"] == "time" and out["steps"] < 50


def test_seeds_on_one_spec(work: Path) -> None:
    spec = write_task(work, "const", EASY["const"])
    args = [spec, "--method", "evolve", "--restarts", "4", "--steps", "6", "--seed", "3",
            "--time-limit", "120"]
    out = json_of(ncpu_fit(*args, "--seeds", "4", "--json"))
    assert out["seeds"] == [3, 4, 5, 6] and [r["seed"] for r in out["runs"]] == [3, 4, 5, 6]
    solved = [r for r in out["runs"] if r["solved"]]
    summ = out["summary"]
    assert (summ["runs"], summ["solved"]) == (4, len(solved))
    assert summ["success_rate"] == pytest.approx(len(solved) / 4, abs=1e-4)
    if solved:
        to = summ["to_solution"]
        evals = sorted(r["evaluations"] for r in solved)
        assert (to["evaluations"]["min"], to["evaluations"]["max"]) == (evals[0], evals[-1])
        assert to["evaluations"]["median"] == pytest.approx(statistics.median(evals))
    # each run is the single fit with its seed
    one = json_of(ncpu_fit(*args[:-4], "--seed", "5", "--time-limit", "120", "--json"))
    third = out["runs"][2]
    assert one["holes"] == third["holes"] and one["solved"] == third["solved"]
    assert (one["steps"], one["candidates"], one["evaluations"]) == (
        third["steps"], third["candidates"], third["evaluations"])
    text = ncpu_fit(*args, "--seeds", "4")
    no_traceback(text)
    assert text.exit_code == (0 if len(solved) == 4 else 3)
    assert f"evolve: solved {len(solved)}/4 seeds (3..6" in text.stdout
    assert text.stderr.count("seed ") == 4


def test_seeds_with_output_is_a_usage_error(work: Path) -> None:
    spec = write_task(work, "const", EASY["const"])
    res = ncpu_fit(spec, "--seeds", "2", "-o", "x.s")
    no_traceback(res)
    assert res.exit_code == 2 and "-o goes with one fit" in res.stderr


def test_suite_goes_on_past_a_bad_spec(work: Path) -> None:
    suite = work / "suite"
    write_task(suite, "const", EASY["const"])
    (suite / "broken.yaml").write_text("sketch: missing.s\nexamples: []\n")
    args = ["--suite", suite, "--method", "enumerate", *QUICK]
    res = ncpu_fit(*args)
    no_traceback(res)
    assert res.exit_code == 3  # not every task solved
    assert any(line.split()[:1] == ["broken"] and "error" in line
               for line in res.stdout.splitlines()), res.stdout
    assert any(line.split()[:2] == ["const", "16"] and "✓" in line
               for line in res.stdout.splitlines()), res.stdout
    rows = {r["task"]: r for r in json_of(ncpu_fit(*args, "--json"))["rows"]}
    assert rows["const"]["solved"] and not rows["broken"]["solved"]
    assert "missing.s" in rows["broken"]["note"]


def test_suite_compares_configurations_side_by_side(work: Path) -> None:
    suite = work / "suite"
    for name in ("const", "reg"):
        write_task(suite, name, EASY[name])
    args = ["--suite", suite, "--method", "evolve,enumerate", "--proposals", "uniform,gradient",
            "--seeds", "2", "--steps", "8", *QUICK]
    out = json_of(ncpu_fit(*args, "--json"))
    got = sorted((r["task"], r["method"], r["proposals"], r["seed"]) for r in out["rows"])
    want = sorted([(t, "evolve", k, s) for t in ("const", "reg") for k in ("uniform", "gradient")
                   for s in (0, 1)] + [(t, "enumerate", None, s) for t in ("const", "reg")
                                       for s in (0, 1)])
    assert got == want
    summary = {(r["task"], r["method"], r["proposals"]): r for r in out["summary"]}
    assert len(summary) == 2 * 3
    for (task_, method, kind), row in summary.items():
        runs = [r for r in out["rows"]
                if (r["task"], r["method"], r["proposals"]) == (task_, method, kind)]
        assert row["runs"] == 2 and row["solved"] == sum(r["solved"] for r in runs)
        done = [r["seconds"] for r in runs if r["solved"]]
        if done:
            assert row["to_solution"]["seconds"]["median"] == pytest.approx(
                statistics.median(done), abs=1e-3)
    text = ncpu_fit(*args)
    no_traceback(text)
    header = next(line for line in text.stdout.splitlines() if "task" in line).split()
    assert header == ["task", "space", "evolve/uniform", "evolve/gradient", "enumerate"]
    # each cell: seeds solved of 2, then the median seconds and evaluations of those solved
    const = next(line for line in text.stdout.splitlines() if line.split()[:1] == ["const"])
    assert const.count("/2") == 3, const
    assert const.rstrip().endswith(" 16 ev"), const  # enumerate checks all 16 in one batch


@pytest.mark.parametrize("args, fragment", [
    (("--method", "enumerate", "--proposals", "gradient"), "--proposals goes with --method"),
    (("--method", "auto", "--proposals", "uniform"), "--proposals goes with --method"),
    (("--method", "mcmc", "--proposals", "greedy"), "unknown kind `greedy`"),
    (("--method", "mcmc", "--proposals", "uniform,gradient"), "a list goes with --suite"),
    (("--method", "mcmc,evolve"), "needs --suite DIR"),
    (("--method", "annealing"), "unknown method `annealing`"),
])
def test_method_and_proposals_usage_errors(work: Path, args, fragment: str) -> None:
    spec = write_task(work, "const", EASY["const"])
    res = ncpu_fit(spec, *args)
    no_traceback(res)
    assert res.exit_code == 2 and fragment in res.stderr, res.stderr
