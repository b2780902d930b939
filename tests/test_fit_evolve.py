"""`--method evolve`, compiled: its scores against the exact engine over a whole sketch,
whole fits (solved with the holdout, the same for the same seed and --steps, on after a
counterexample), and the gradient-table hook of its mutations."""

from __future__ import annotations

import numpy as np
import pytest

from ncpu_cli.fit.api import fit
from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.evolve import FOUND, Population
from ncpu_cli.fit.mcmc_tables import example_tables, program_tables
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import load_spec, parse_spec

# r4 = r2 if r1 < r2 else 0: `slt r3, r1, r2` then `mul r4, r3, r2` (and other fillings)
SPEC = """\
mem_words: 32
max_cycles: 16
source: |
  ?{add,sub,and,or,xor,slt} r3, ??{r1,r2,r3}, ??{r1,r2,r3}
  ?{add,sub,and,or,xor,mul} r4, ??{r1,r2,r3}, ??{r1,r2,r3}
  halt
examples:
"""


def _spec(pairs):
    rows = "".join(f"  - {{set: {{r1: {a}, r2: {b}}}, expect: {{regs: {{r4: {b if a < b else 0}}}}}}}\n"
                   for a, b in pairs)
    return parse_spec(SPEC + rows, name="<test>")


def _everything(sk):
    return np.stack(np.meshgrid(*[np.arange(s) for s in sk.sizes], indexing="ij"),
                    axis=-1).reshape(-1, len(sk.sizes))


def _setup(spec, count, seed=1):
    sk = Sketch(spec)
    tables = program_tables(sk)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, tables.entry)
    return sk, ex, Population(tables, sk.sizes, count, seed)


def test_zero_cost_is_exactly_passing_every_example_on_the_exact_engine():
    rng = np.random.default_rng(4)
    spec = _spec(rng.integers(-50, 50, (6, 2)).tolist())
    sk = Sketch(spec)
    every = _everything(sk)  # 6·9·6·9 fillings: the whole sketch
    sk, ex, pop = _setup(spec, len(every))
    pop.pop[:] = every
    found = pop.step(ex, 1, 1 << 62)  # one generation: score and sort
    passed = Checker(sk, spec).score(pop.pop, list(spec.examples)).count
    zero = pop.cost == 0
    assert zero.any() and (zero == (passed == len(spec.examples))).all()
    assert (np.diff(pop.cost) >= 0).all()  # sorted, best first
    assert len(found) == min(int(zero.sum()), FOUND)


def test_a_table_decides_the_mutation():
    # one hole: every child mutates it; a table with all its mass on candidate 5 makes
    # every child of a tabled parent a 5, and uniform mutations spread the children
    spec = parse_spec("mem_words: 32\nmax_cycles: 8\nsource: |\n  addi r3, r1, ??[0:7]\n"
                      "  halt\nexamples:\n  - {set: {r1: 1}, expect: {regs: {r3: 100}}}\n",
                      name="<test>")
    for tabled in (True, False):
        sk, ex, pop = _setup(spec, 64)
        pop.pop[:] = 0
        if tabled:
            logw = np.full((pop.elite, 8), -30.0)
            logw[:, 5] = 30.0
            pop.set_tables(np.asarray([0, 8]), logw)
        pop.step(ex, 2, 1 << 62)  # score, breed, score
        kids = pop.pop[pop.pop[:, 0] != 0, 0]
        if tabled:  # the table never proposes the current candidate
            assert len(kids) == 64 - pop.elite and (kids == 5).all()
        else:
            assert len(set(kids.tolist())) > 3


@pytest.mark.parametrize("name", ["table16_sbox", "mn_two", "branch_max", "consts_affine"])
def test_evolve_solves_suite_tasks_with_their_holdout(name):
    res = fit(load_spec(f"programs/fit/{name}.yaml"), "evolve", seed=0, time_limit=120)
    assert res.solved and res.holdout_passed == res.holdout_total
    assert res.evaluations > 0


def test_same_seed_and_steps_same_run():
    spec = load_spec("programs/fit/hd/p03.yaml")
    a, b = (fit(spec, "evolve", seed=3, steps=3, time_limit=300) for _ in range(2))
    assert (a.program, a.steps, a.evaluations, a.candidates) == \
        (b.program, b.steps, b.evaluations, b.candidates)


def test_evolve_goes_on_after_a_counterexample():
    spec = parse_spec("""\
mem_words: 32
max_cycles: 16
source: |
  ?{or,xor,add,sub} r3, ??{r1,r2}, ??{r1,r2}
  halt
reference_source: |
  add r3, r1, r2
  halt
inputs: {r1: [any32], r2: [any32]}
check: {regs: [r3]}
examples: [{set: {r1: 0, r2: 6}}]
verify: 2000
""", name="<test>")
    for prop in ("uniform", "gradient"):
        res = fit(spec, "evolve", proposals=prop, restarts=8, steps=20, seed=0,
                  time_limit=120)
        assert res.solved and res.program.split()[0] == "add", res.program
        assert res.counterexamples >= 1


@pytest.mark.parametrize("method", ["mcmc", "evolve", "enumerate"])
def test_a_spec_that_does_not_check_the_status(method):
    # check: {status: false}: examples expect any final status (the compiled evaluator
    # takes status -1 as "any"; mcmc used to fail with a ValueError here)
    spec = parse_spec("""\
mem_words: 32
max_cycles: 16
source: |
  ?{add,sub,xor} r3, ??{r1,r2}, ??{r1,r2}
  halt
reference_source: |
  sub r3, r1, r2
  halt
inputs: {r1: [any32], r2: [any32]}
check: {regs: [r3], status: false}
examples: 8
verify: 500
""", name="<test>")
    res = fit(spec, method, seed=0, steps=50, time_limit=120)
    assert res.solved and res.program.split()[:2] == ["sub", "r3,"], res.program
