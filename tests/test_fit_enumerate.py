"""`--method enumerate`'s compiled walk against brute force: without pruning it finds exactly
the fillings that pass every example (the oracle: every filling of the sketch scored by the
exact Checker on the native engine, an implementation apart from the walk's evaluator);
with pruning it finds a subset, empty only when the oracle's is; either way one pass
accounts for every filling of the space once. Results do not depend on the number of
threads or on where steps end; `--json` reports the visited (pruned) space."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from ncpu_cli.fit import fit, parse_spec
from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.enumerate import fillings_at
from ncpu_cli.fit.enumerate_walk import Walk
from ncpu_cli.fit.sketch import Sketch


def spec_of(source: str, examples: list[tuple[dict, dict]], **extra):
    """A spec with `examples` as (set, expect) pairs; expected values are Python arithmetic."""
    body = "\n".join(f"  {line}" for line in source.strip("\n").split("\n"))
    ex = "".join(f"  - {{set: {s}, expect: {e}}}\n" for s, e in examples)
    more = "".join(f"{k}: {v}\n" for k, v in extra.items())
    return parse_spec(f"mem_words: 32\nmax_cycles: 32\n{more}source: |\n{body}\nexamples:\n{ex}",
                      name="t.yaml")


def regs(f, xs, reg="r3", inp="r1"):
    return [({inp: x}, {"regs": {reg: f(x)}}) for x in xs]


# name -> (sketch, examples): straight-line code, branches, loads and stores with a data
# hole, output, two plain holes in one word and an entry past a data word, no solution
CASES = {
    "straight": (".holes regs r0-r4\n.holes imm -1:1\n" + "?{add,sub,and,addi,shli,nop}\n" * 2
                 + "halt", regs(lambda x: 2 * x + 1, (0, 1, 5, -3, 100))),
    "branches": (".holes regs r0-r3\n" + "?{add,sub,bge,blt,nop}\n" * 2 + "sub r3, r0, r1\nhalt",
                 regs(abs, (0, 1, 5, -3, 100))),
    "tail_branch": ("add r3, r1, r0\n?{add,sub,xor,nop} ??{r2,r3,r4}, ??{r0,r1,r3}, ??{r0,r1,r3}\n"
                    "bge r1, r0, ??[3:5]\nsub r3, r0, r1\nhalt", regs(abs, (0, 1, 5, -3, 100))),
    "memory": (".holes regs r0-r3\n.holes imm 9:11\nld r2, 10(r0)\n?{add,sub,st,ld}\nhalt\n"
               ".org 10\n.word ??[0:9]", regs(lambda x: x + 7, (0, 1, 5), reg="r3")),
    "output": (".holes regs r0-r4\n?{add,out,shli,nop}\n?{add,out,shli,nop}\nhalt",
               [({"r1": x}, {"out": [2 * x]}) for x in (0, 1, 5)]),
    "plain": (".word 5\nstart: ?{add,sub,xor} r4, ??, ??\n?{add,sub} r3, r4, ??\nhalt\n"
              ".entry start", [({"r1": x, "r2": x + 1}, {"regs": {"r3": 3 * x + 1}})
                               for x in (0, 2, 9)]),
    "none": (".holes regs r0-r5\n.holes imm -2:2\n" + "?{add,sub,addi,shli}\n" * 2 + "halt",
             regs(lambda x: x * x, (0, 1, 2, 3))),
}


def passing(spec) -> set[tuple]:
    """Every filling the exact machine passes on all examples (canonical rows)."""
    sk = Sketch(spec)
    every = fillings_at(sk, 0, sk.space)
    sc = Checker(sk, spec).score(every, spec.examples)
    return {tuple(r) for r in sk.canonical(every[sc.count == len(spec.examples)])}


def walk_all(walk: Walk, work: int = 1 << 12) -> set[tuple]:
    got = []
    while not walk.done:
        found, _ = walk.step(work)
        got += [tuple(r) for r in found]
    assert len(got) == len(set(got))  # a pass finds each filling once
    return set(got)


@pytest.mark.parametrize("name", list(CASES))
def test_walk_finds_what_brute_force_finds(name: str) -> None:
    spec = spec_of(*CASES[name])
    sk = Sketch(spec)
    truth = passing(spec)
    plain = Walk(sk, spec, spec.examples, prune=False)
    assert walk_all(plain) == truth
    assert plain.visited == plain.covered == sk.space
    pruned = Walk(sk, spec, spec.examples, prune=True)
    found = walk_all(pruned)
    assert found <= truth and bool(found) == bool(truth)
    assert pruned.covered == sk.space  # every filling evaluated or skipped as equivalent
    assert pruned.visited <= sk.space
    if name == "none":
        assert not truth


def test_prunings_shrink_the_straight_line_space() -> None:
    spec = spec_of(*CASES["straight"])
    sk = Sketch(spec)
    walk = Walk(sk, spec, spec.examples)
    walk_all(walk)
    assert walk.plan.depth == 1 and walk.plan.rename == (2, 4)  # r1 is set, r3 read
    assert walk.visited * 4 < sk.space


def test_notes_say_why_a_pruning_does_not_apply() -> None:
    branches = Walk(Sketch(spec := spec_of(*CASES["branches"])), spec, spec.examples)
    assert branches.plan.depth == 0
    assert any("prefix states: not pruned" in n and "straight-line" in n
               for n in branches.plan.notes)
    memory = Walk(Sketch(spec := spec_of(*CASES["memory"])), spec, spec.examples)
    assert memory.plan.rename == ()
    assert any("register renaming: not used" in n and "load" in n for n in memory.plan.notes)
    tail = Walk(Sketch(spec := spec_of(*CASES["tail_branch"])), spec, spec.examples)
    assert tail.plan.depth == 1  # the branch goes forward, past the straight-line prefix


@pytest.mark.parametrize("prune", [False, True])
def test_results_do_not_depend_on_threads_or_step_size(prune: bool) -> None:
    spec = spec_of(*CASES["straight"])
    sk = Sketch(spec)
    runs = []
    old = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            walk = Walk(sk, spec, spec.examples, prune=prune)
            steps = []
            while not walk.done:
                found, leaves = walk.step(1 << 13)
                steps.append((found.tobytes(), leaves, walk.best.tobytes()))
            runs.append(steps)
    finally:
        numba.set_num_threads(old)
    assert all(r == runs[0] for r in runs)
    coarse = Walk(sk, spec, spec.examples, prune=prune)
    fine = [np.frombuffer(f, dtype=np.int64) for f, _, _ in runs[0]]
    assert walk_all(coarse, 1 << 20) == {tuple(r) for r in np.concatenate(fine).reshape(
        -1, len(sk.holes))}


def test_a_new_pass_resumes_where_the_walk_is_and_goes_all_the_way_round() -> None:
    spec = spec_of(*CASES["straight"])
    sk = Sketch(spec)
    walk = Walk(sk, spec, spec.examples)
    found, k = set(), 0
    while not walk.done:
        f, _ = walk.step(1 << 10)
        found |= {tuple(r) for r in f}
        k += 1
        if k in (2, 5, 9):  # as after a counterexample (here: the same examples)
            walk.update(spec.examples)
            assert not walk.done and walk.visited == 0
    assert k > 9 and walk.passes == 4 and walk.covered == sk.space
    assert found and found <= passing(spec)


def test_fit_reports_the_visited_space_and_proves_unsolvable() -> None:
    spec = spec_of(*CASES["none"])
    res = fit(spec, "enumerate", seed=0, time_limit=120)
    assert not res.solved and res.proved_unsolvable and res.stopped == "unsolvable"
    assert 0 < res.visited < res.space
    out = res.to_json()
    assert out["visited"] == res.visited
    note = next(n for n in res.notes if n.startswith("enumerate:"))
    assert f"one pass evaluated {res.visited:,} of the {res.space:,}" in note
    assert f"(covered: {res.space:,})" in note
    assert res.evaluations >= res.visited
    other = fit(spec, "evolve", seed=0, steps=2, restarts=8, time_limit=120)
    assert other.visited is None


def test_fit_solves_and_counts_each_evaluation_once() -> None:
    spec = spec_of(*CASES["straight"])
    res = fit(spec, "enumerate", seed=0, time_limit=120)
    assert res.solved and res.stopped == "solved"
    assert res.evaluations == res.visited  # the walk's leaves (offered ones counted once)


@pytest.mark.parametrize("name", ["straight", "plain", "memory"])
def test_words_computed_in_the_kernel_agree(name: str, monkeypatch) -> None:
    """Units too large for a table of words (and for the renaming order) are written by the
    kernel from the filling (mcmc's unit_word): the same programs, found or not alike."""
    import ncpu_cli.fit.enumerate_plan as plan_module

    monkeypatch.setattr(plan_module, "ROW_TABLE_MAX", 0)
    monkeypatch.setattr(plan_module, "RENAME_ROWS_MAX", 0)
    spec = spec_of(*CASES[name])
    sk = Sketch(spec)
    truth = passing(spec)
    plain = Walk(sk, spec, spec.examples, prune=False)
    assert (plain.plan.arrays[2] < 0).all()  # no unit has a table
    assert walk_all(plain) == truth
    pruned = Walk(sk, spec, spec.examples)
    found = walk_all(pruned)
    assert found <= truth and bool(found) == bool(truth) and pruned.covered == sk.space
