"""The prunings of `--method enumerate` stay sound: pruned and plain enumeration agree on
whether a sketch is solvable (and the pruned answer passes every example and holdout on the
reference interpreter); renaming leaves alone a register the spec reads (a renaming that
took it would call a solvable sketch unsolvable: shown below); prefix states count the
holdout; a counterexample starts a new pass (without one the answer below is pruned away).
Expected answers come from the arithmetic the examples state."""

from __future__ import annotations

import pytest
from fit_common import SAFETY, passes_everything, task

import ncpu_cli.fit.enumerate as enumerate_method
import ncpu_cli.fit.enumerate_plan as plan_module
from ncpu_cli.fit import fit, parse_spec
from ncpu_cli.fit.enumerate_walk import Walk
from ncpu_cli.fit.sketch import Sketch


def spec_text(t: dict, **extra) -> object:
    import yaml

    data = {**t["spec"], "source": t["sketch_text"], **extra}
    return parse_spec(yaml.safe_dump(data, sort_keys=False), name="t.yaml")


def ex(r1, value, reg="r3", **more):
    return {"set": {"r1": r1, **more}, "expect": {"regs": {reg: value}}}


INS = ".holes regs r0-r5\n.holes imm -2:2\n"
# (name, task): solvable and unsolvable, straight-line and not
TASKS = [
    ("double_plus_one", task(INS + "?{add,sub,addi,shli}\n" * 2 + "halt\n",
                             [ex(x, 2 * x + 1) for x in (0, 1, 5, -3)], [ex(40, 81)])),
    ("square", task(INS + "?{add,sub,addi,shli}\n" * 2 + "halt\n",
                    [ex(x, x * x) for x in (0, 1, 2, 3)])),
    ("holdout_only", task(INS + "?{add,sub,addi,shli,nop}\n" * 2 + "halt\n",
                          [ex(x, 3 * x) for x in (0, 1)], [ex(7, 22)])),
    ("abs", task(".holes regs r0-r3\n" + "?{add,sub,bge,nop}\n" * 2 + "sub r3, r0, r1\nhalt\n",
                 [ex(x, abs(x)) for x in (0, 1, 5, -3)])),
    ("out_twice", task(".holes regs r0-r3\n" + "?{add,out,nop}\n" * 2 + "halt\n",
                       [{"set": {"r1": x}, "expect": {"out": [x, x]}} for x in (0, 4)])),
]


@pytest.mark.parametrize("name, t", TASKS, ids=[n for n, _ in TASKS])
def test_pruned_and_plain_enumeration_agree(name: str, t: dict, monkeypatch) -> None:
    spec = spec_text(t)
    monkeypatch.setattr(enumerate_method, "PRUNE", True)
    pruned = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    monkeypatch.setattr(enumerate_method, "PRUNE", False)
    plain = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert (pruned.solved, pruned.proved_unsolvable) == (plain.solved, plain.proved_unsolvable)
    assert pruned.solved or pruned.proved_unsolvable
    if pruned.solved:
        assert passes_everything(pruned.program, t)
    assert pruned.visited <= plain.visited
    expect = {"double_plus_one": True, "square": False, "holdout_only": False, "abs": True,
              "out_twice": True}
    assert pruned.solved is expect[name]


# r3 = r5 - r1 in one instruction: r5 is an input, so it is not interchangeable with r2, r4
READS_R5 = task(".holes regs r0-r7\n?{add,sub,xor}\nhalt\n",
                [ex(x, y - x, r5=y) for x, y in ((1, 10), (7, 3), (-4, 100))])


def test_renaming_leaves_out_a_register_the_spec_reads(monkeypatch) -> None:
    spec = spec_text(READS_R5)
    walk = Walk(Sketch(spec), spec, spec.examples)
    assert walk.plan.rename == (2, 4, 6, 7)  # not r0, r1 (set), r3 (read), r5 (set), sp
    res = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert res.solved and res.program.splitlines()[1].strip() == "sub r3, r5, r1"
    # a renaming that took r5 would need r2 and r4 before it, and miss the one answer
    monkeypatch.setattr(plan_module, "renamed", lambda *a: ((2, 4, 5, 6, 7), None))
    naive = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert not naive.solved and naive.proved_unsolvable


def test_renaming_leaves_out_registers_fixed_words_and_checks_name() -> None:
    t = task(".holes regs r0-r7\n?{add,sub}\nadd r3, r6, r0\nhalt\n",
             [{"set": {"r1": 1}, "expect": {"regs": {"r3": 2, "r7": 0}}}])
    spec = spec_text(t)
    assert Walk(Sketch(spec), spec, spec.examples).plan.rename == (2, 4, 5)


# the answer's second instruction reads r1 where r0 passes the example too (r1 = 0 there):
# only the holdout (r1 = 5) tells the two prefixes apart
HOLDOUT = task("addi r4, r0, ??[0:0]\naddi r2, ??{r0,r1}, 0\naddi r3, r2, ??[1:1]\nhalt\n",
               [ex(0, 1)], [ex(5, 6)])


def test_prefix_states_count_the_holdout() -> None:
    spec = spec_text(HOLDOUT)
    walk = Walk(Sketch(spec), spec, spec.examples)
    assert walk.plan.depth == 2
    res = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert res.solved and "addi r2, r1, 0" in res.program
    assert passes_everything(res.program, HOLDOUT)


def test_a_counterexample_starts_a_new_pass() -> None:
    """The example (r1 = 0) cannot tell `addi r2, r0, 0` from `addi r2, r1, 0`: the first
    pass keeps the first, verification rejects it, and only a second pass, with the
    counterexample among the examples, reaches the second."""
    spec = spec_text(task(HOLDOUT["sketch_text"], [{"set": {"r1": 0}}]),
                     reference_source="addi r3, r1, 1\nhalt\n", check={"regs": ["r3"]})
    res = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert res.solved and res.counterexamples >= 1 and "addi r2, r1, 0" in res.program
    assert any("pass 2" in n for n in res.notes), res.notes


def test_unsolvable_after_a_counterexample_takes_a_whole_second_pass() -> None:
    """r3 = 2 r1 + 1: both fillings pass the example (r1 = 0), the kept one fails
    verification, and the proof comes from a second pass on the grown examples."""
    spec = spec_text(task(HOLDOUT["sketch_text"], [{"set": {"r1": 0}}]),
                     reference_source="add r3, r1, r1\naddi r3, r3, 1\nhalt\n",
                     check={"regs": ["r3"]})
    res = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
    assert not res.solved and res.proved_unsolvable and res.counterexamples >= 1
    assert any("pass 2" in n for n in res.notes), res.notes


def test_examples_that_accept_any_status(monkeypatch) -> None:
    """`check: {status: false}`: an example's status is free; the walk then ignores the
    status in its filter (a weaker one, never a wrong one) and the tracker decides."""
    t = task(".holes regs r0-r3\n" + "?{add,sub,addi,nop}\n" * 2 + "halt\n",
             [{"set": {"r1": 0}}, {"set": {"r1": 7}}])
    spec = spec_text(t, reference_source="addi r3, r1, 1\nhalt\n",
                     check={"regs": ["r3"], "status": False, "out": False})
    assert spec.examples[0].expect.status is None
    verdicts = []
    for prune in (True, False):
        monkeypatch.setattr(enumerate_method, "PRUNE", prune)
        res = fit(spec, "enumerate", seed=0, time_limit=SAFETY)
        verdicts.append(res.solved)
        assert "addi r3, r1, 1" in res.program
    assert verdicts == [True, True]
