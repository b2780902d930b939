"""Reproducible and comparable fits: every method gives the same answer and counts for the
same `seed` and `steps`; why a fit stopped; `candidates` counts distinct fillings and
`evaluations` every one; `space` is one JSON type; `auto`'s deterministic portfolio; the
summary of several seeds.

Expected values come from the definitions: a space of 16 fillings holds at most 16
distinct ones; the same seed must repeat a run exactly; medians are recomputed with
Python's `statistics` from the runs themselves.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pytest
from fit_common import SAFETY, task, write_task

from ncpu_cli.fit import FitOptions, fit, load_spec, parse_spec
from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.distinct import DistinctRows, row_hashes
from ncpu_cli.fit.evolve import FOUND, GENERATIONS
from ncpu_cli.fit.portfolio import ORDER, decided, plan
from ncpu_cli.fit.search import FitResult, Tracker
from ncpu_cli.fit.seeds import fit_seeds, spread, summarise
from ncpu_cli.fit.sketch import Sketch

# r2 = 7 * r1 - 19: 64 × 256 fillings, a few steps are not always enough
AFFINE = task("        li r3, ??[0:63]\n        mul r2, r1, r3\n        addi r2, r2, ??[-128:127]\n"
              "        halt\n",
              [{"set": {"r1": x}, "expect": {"regs": {"r2": 7 * x - 19}}} for x in (0, 1, 5, -3)],
              max_cycles=8)
# r2 = r1 + 1234, one constant in 8001
WIDE = task("        addi r2, r1, ??[-4000:4000]\n        halt\n",
            [{"set": {"r1": x}, "expect": {"regs": {"r2": x + 1234}}} for x in (0, 5)],
            max_cycles=8)
# same input, two outputs: no filling of the 16 passes both
CONTRADICTION = task("        addi r2, r1, ??[0:15]\n        halt\n",
                     [{"set": {"r1": 1}, "expect": {"regs": {"r2": 4}}},
                      {"set": {"r1": 1}, "expect": {"regs": {"r2": 9}}}])


def instruction_spec(lines: int = 3):
    """r2 = 4 * r1 - 1 from `lines` whole-instruction holes (more than 20,000 programs)."""
    src = "  .holes regs r0-r3\n" + "  ?{add,sub,and,or,addi,shli,nop}\n" * lines + "  halt\n"
    ex = "".join(f"  - {{set: {{r1: {x}}}, expect: {{regs: {{r2: {4 * x - 1}}}}}}}\n"
                 for x in (0, 1, 6, -2, 1000))
    return parse_spec(f"mem_words: 32\nmax_cycles: 32\nsource: |\n{src}examples:\n{ex}",
                      name="ins.yaml")


def key(r: FitResult) -> tuple:
    """What a repeated run must repeat (not its seconds)."""
    return (r.solved, r.values, r.steps, r.candidates, r.evaluations, r.examples_passed,
            r.holdout_passed, r.stopped, r.program)


# (method, task or None for the instruction sketch, options)
RUNS = [("gradient", WIDE, {"restarts": 4, "steps": 6}),
        ("evolve", AFFINE, {"restarts": 8, "steps": 5}),
        ("enumerate", AFFINE, {"steps": 1}),
        ("mcmc", None, {"restarts": 4, "steps": 2}),
        ("smt", None, {"steps": 3})]


@pytest.mark.parametrize("method, t, opts", RUNS, ids=[r[0] for r in RUNS])
def test_same_seed_and_steps_repeat_the_run(tmp_path: Path, method: str, t, opts) -> None:
    if method == "smt":
        pytest.importorskip("bitwuzla", reason="the smt method needs bitwuzla")
    spec = instruction_spec() if t is None else load_spec(write_task(tmp_path, method, t))
    runs = [fit(spec, method, seed=3, time_limit=SAFETY, verify=0, **opts) for _ in range(2)]
    assert key(runs[0]) == key(runs[1])
    r = runs[0]
    assert r.stopped in ("solved", "steps", "unsolvable")  # never the clock
    assert r.steps <= opts["steps"] and (r.solved or r.steps == opts["steps"]
                                         or r.stopped == "unsolvable")
    assert r.evaluations >= r.candidates >= 1


def test_auto_with_steps_is_deterministic() -> None:
    """With --steps the portfolio waits for the members before the winner in its order, so
    the same seed gives the same winner and answer (whichever process is faster)."""
    spec = instruction_spec()
    runs = [fit(spec, "auto", seed=1, steps=3, restarts=4, workers=2, verify=0,
                time_limit=SAFETY) for _ in range(2)]
    assert key(runs[0]) == key(runs[1])
    assert runs[0].method == runs[1].method
    assert runs[0].method in ORDER[:2]


def test_auto_with_steps_plans_without_counting_cores(monkeypatch) -> None:
    sketch = Sketch(instruction_spec())
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert plan(sketch, FitOptions(steps=5)) == list(ORDER)
    assert plan(sketch, FitOptions(steps=5, workers=2)) == list(ORDER[:2])
    assert plan(sketch, FitOptions()) == list(ORDER[:1])  # a race: one per core


def _r(solved=False, proof=False):
    return NS(solved=solved, proved_unsolvable=proof)


def test_the_deterministic_portfolio_waits_for_earlier_members() -> None:
    m = ["smt", "mcmc", "evolve"]
    # mcmc solved, smt still running: a race takes it, the fixed order waits for smt
    assert decided(m, {"mcmc": _r(True)}, {}, fixed=False)
    assert not decided(m, {"mcmc": _r(True)}, {}, fixed=True)
    # smt finished without an answer (or failed): mcmc's answer is the one
    assert decided(m, {"smt": _r(), "mcmc": _r(True)}, {}, fixed=True)
    assert decided(m, {"mcmc": _r(True)}, {"smt": "too large"}, fixed=True)
    # the first member's answer needs nobody else
    assert decided(m, {"smt": _r(True)}, {}, fixed=True)
    # a proof that no filling exists ends both; unsolved members: wait until all are done
    assert decided(m, {"smt": _r(proof=True)}, {}, fixed=True)
    assert not decided(m, {"smt": _r(), "mcmc": _r()}, {}, fixed=True)
    assert decided(m, {"smt": _r(), "mcmc": _r(), "evolve": _r()}, {}, fixed=True)


def test_the_clock_and_the_steps_say_why_a_fit_stopped(tmp_path: Path) -> None:
    spec = load_spec(write_task(tmp_path, "no", CONTRADICTION))
    by_steps = fit(spec, "evolve", restarts=8, steps=3, seed=0, time_limit=SAFETY)
    assert not by_steps.solved and by_steps.steps == 3 and by_steps.stopped == "steps"
    by_clock = fit(spec, "evolve", restarts=8, steps=1000, seed=0, time_limit=1e-9)
    assert not by_clock.solved and by_clock.stopped == "time" and by_clock.steps < 1000
    proof = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert proof.stopped == "unsolvable"
    easy = fit(spec.__class__(**{**spec.__dict__, "examples": spec.examples[:1]}), "enumerate",
               time_limit=SAFETY)
    assert easy.solved and easy.stopped == "solved"


def test_candidates_are_distinct_and_evaluations_count_every_one(tmp_path: Path) -> None:
    spec = load_spec(write_task(tmp_path, "no", CONTRADICTION))
    res = fit(spec, "evolve", restarts=8, steps=12, seed=0, time_limit=SAFETY)
    assert not res.solved and res.steps == 12
    assert res.candidates <= 16  # the space holds 16 fillings
    # every step scores 8 and then the 6 new ones of each of GENERATIONS - 1 generations in
    # the kernel (the 2 survivors keep their cost), then the tracker checks what it
    # offers (at most FOUND zero-cost ones and the best)
    assert 12 * (8 + (GENERATIONS - 1) * 6) <= res.evaluations
    assert res.evaluations <= 12 * (8 + (GENERATIONS - 1) * 6 + FOUND + 1)


def test_distinct_rows_count_each_row_once() -> None:
    d = DistinctRows()
    rng = np.random.default_rng(0)
    seen: set[tuple] = set()
    for _ in range(60):
        rows = rng.integers(0, 5, (40, 3))  # 125 possible rows: many repeats
        new = d.add(rows)
        before = len(seen)
        seen |= {tuple(r) for r in rows.tolist()}
        assert new == len(seen) - before
    assert d.count == len(seen) and d.exact


def test_distinct_rows_past_the_limit_is_an_upper_bound() -> None:
    d = DistinctRows(limit=4)
    rows = np.arange(12).reshape(6, 2)  # 6 distinct rows
    assert d.add(rows) == 6 and d.count == 6 and not d.exact
    # four of them are remembered and not counted again; the other two count again
    assert d.add(rows) == 2 and d.count == 8


def test_row_hashes_tell_rows_apart() -> None:
    rows = np.array([[1, 2], [2, 1], [1, 2], [0, 0], [-1, 0]])
    h = row_hashes(rows)
    assert h[0] == h[2] and len(set(h.tolist())) == 4


def test_the_tracker_takes_mcmc_proposals_as_evaluations(tmp_path: Path) -> None:
    spec = load_spec(write_task(tmp_path, "no", CONTRADICTION))
    sketch = Sketch(spec)
    tracker = Tracker(spec, sketch, Checker(sketch, spec), FitOptions())
    tracker.offer(np.array([[1], [1], [2]]))  # two distinct fillings
    assert (tracker.candidates, tracker.evaluations) == (2, 2)
    tracker.proposals = 100  # mcmc's running total, the older name
    tracker.proposals = 250
    tracker.evaluations += 5  # the new one
    assert tracker.evaluations == 2 + 250 + 5
    tracker.offer(np.array([[2], [3]]))
    assert (tracker.candidates, tracker.evaluations) == (3, 259)


def test_space_is_always_a_decimal_string() -> None:
    base = dict(solved=False, method="evolve", program="", holes=[], examples_passed=0,
                examples_total=1, holdout_passed=0, holdout_total=0, steps=1, restarts=1,
                seconds=0.0, seed=0)
    assert FitResult(**base, space=16).to_json()["space"] == "16"
    big = FitResult(**base, space=3 * 2**300).to_json()["space"]
    assert isinstance(big, str) and int(big) == 3 * 2**300


def test_spread_and_summary() -> None:
    assert spread([]) is None
    assert spread([4, 1, 3, 2]) == {"min": 1, "q1": 1.75, "median": 2.5, "q3": 3.25, "max": 4}
    runs = [NS(solved=s, seconds=t, evaluations=e, steps=k)
            for s, t, e, k in [(True, 1.0, 10, 1), (False, 9.0, 99, 9), (True, 3.0, 30, 3)]]
    out = summarise(runs)
    assert (out["runs"], out["solved"], out["success_rate"]) == (3, 2, round(2 / 3, 4))
    assert out["to_solution"]["seconds"]["median"] == 2  # the solved runs only
    assert out["to_solution"]["evaluations"] == spread([10, 30])
    assert out["seconds_all_runs"]["median"] == 3


def test_fit_seeds_runs_consecutive_seeds(tmp_path: Path) -> None:
    spec = load_spec(write_task(tmp_path, "affine", AFFINE))
    runs = fit_seeds(spec, "evolve", 3, seed=5, restarts=8, steps=4, time_limit=SAFETY)
    assert [r.seed for r in runs] == [5, 6, 7]
    again = fit(spec, "evolve", seed=6, restarts=8, steps=4, time_limit=SAFETY)
    assert key(runs[1]) == key(again)
    solved = [r.seconds for r in runs if r.solved]
    if solved:
        assert summarise(runs)["to_solution"]["seconds"]["median"] == pytest.approx(
            statistics.median(solved), abs=1e-3)
