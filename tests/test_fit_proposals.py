"""Gradient-informed proposals (`--proposals gradient`): the tables against the first-order
change worked out by hand, and the Metropolis-Hastings correction of the gradient move.

The stationarity test runs the compiled chains with only gradient moves, on a sketch of 16
fillings, and compares the visit frequencies with the exact distribution exp(-β cost) / Z
over all 16 (the costs from the definition: popcount of XOR with the expected value). As a
check that the test can fail, the same proposal without the reverse-probability term has,
computed exactly from its transition matrix, a stationary distribution far from it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ncpu_cli.fit.api import fit
from ncpu_cli.fit.mcmc import Chains
from ncpu_cli.fit.mcmc_tables import example_tables, program_tables
from ncpu_cli.fit.proposals import TABULATE_MAX, GradProposer
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import parse_spec

M = 0xFFFF_FFFF


def _spec(source: str, examples: list[tuple[dict, dict]], mem_words: int = 32):
    lines = ["mem_words: %d" % mem_words, "max_cycles: 16", "source: |"]
    lines += ["  " + line for line in source.strip().splitlines()]
    lines.append("examples:")
    for regs, want in examples:
        lines.append(f"  - {{set: {regs}, expect: {{regs: {want}}}}}")
    return parse_spec("\n".join(lines) + "\n", name="<test>")


def _dloss(d: float) -> float:
    """d/dd log(1 + d²): the default loss's slope at a difference d."""
    return 2 * d / (1 + d * d)


def test_immediate_table_is_the_first_order_change():
    # r3 = r1 + imm, expected 10 with r1 = 3: at imm = 2 the difference is -5, and switching
    # to k changes r3 by (k - 2), so g[k] = (k - 2) · L'(-5) and logw = -g/2
    spec = _spec("addi r3, r1, ??[0:7]\nhalt", [({"r1": 3}, {"r3": 10})])
    sk = Sketch(spec)
    t = GradProposer(sk, spec.mem_words, spec.max_cycles).tables(np.array([[2]]),
                                                                 list(spec.examples))
    want = [-(k - 2) * _dloss(-5.0) / 2 for k in range(8)]
    assert np.allclose(t.logw[0], want, atol=1e-9)
    assert t.logw[0, 7] > t.logw[0, 2]  # towards the answer is proposed more often


def test_register_table_is_the_first_order_change():
    # r3 = ?? + 0 with r1 = 4, r2 = 9, expected 9: at r1 the difference is -5; switching to
    # r2 changes r3 by 5 (first order: L'(-5) · 5)
    spec = _spec("add r3, ??{r1,r2}, r0\nhalt", [({"r1": 4, "r2": 9}, {"r3": 9})])
    sk = Sketch(spec)
    t = GradProposer(sk, spec.mem_words, spec.max_cycles).tables(np.array([[0]]),
                                                                 list(spec.examples))
    assert np.allclose(t.logw[0], [0.0, -5 * _dloss(-5.0) / 2], atol=1e-9)
    assert not t.uniform


def test_untabled_and_unreached_holes_are_reported():
    spec = _spec("and r3, r1, ??{r1,r2}\naddi r4, r1, ??\nhalt",
                 [({"r1": 4, "r2": 9}, {"r3": 0, "r4": 1})])
    sk = Sketch(spec)
    t = GradProposer(sk, spec.mem_words, spec.max_cycles).tables(np.array([[0, 5]]),
                                                                 list(spec.examples))
    assert sk.holes[1].size > TABULATE_MAX
    assert "too many" in t.uniform[1]  # a wide immediate: no table
    assert "does not reach" in t.uniform[0]  # `and` passes no gradient to its operand


# -- the Metropolis-Hastings correction ------------------------------------------------------
SOURCE = "?{add,sub,xor,or} r3, ??{r1,r2}, ??{r1,r2}\nhalt"
R1, R2 = 5, 3
OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "xor": lambda a, b: a ^ b,
       "or": lambda a, b: a | b}
BETA = 0.4


def _exact_pi(sk: Sketch) -> np.ndarray:
    """(16,) exp(-β cost) / Z over every filling, cost = Hamming distance to r1 + r2."""
    fills = _all_fillings(sk)
    regs = {0: R1, 1: R2}
    costs = []
    for f in fills:
        op = sk.holes[0].choices[f[0]]
        got = OPS[op](regs[f[1]], regs[f[2]]) & M
        costs.append(bin(got ^ ((R1 + R2) & M)).count("1"))
    w = np.exp(-BETA * np.asarray(costs, dtype=float))
    return w / w.sum()


def _all_fillings(sk: Sketch) -> np.ndarray:
    sizes = [h.size for h in sk.holes]
    return np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"),
                    axis=-1).reshape(-1, len(sizes))


def _transition(fills, off, lw, pi, corrected: bool) -> np.ndarray:
    """(S, S) the gradient move's Metropolis-Hastings transition matrix, by its definition."""
    index = {tuple(f): i for i, f in enumerate(fills)}
    a = np.exp(lw)

    def z_of(f):
        return sum(a[off[h]:off[h + 1]].sum() / a[off[h] + f[h]] - 1 for h in range(len(f)))

    n = len(fills)
    p = np.zeros((n, n))
    for i, f in enumerate(fills):
        for h in range(len(f)):
            for k in range(off[h + 1] - off[h]):
                if k == f[h]:
                    continue
                g = f.copy()
                g[h] = k
                j = index[tuple(g)]
                q = a[off[h] + k] / a[off[h] + f[h]] / z_of(f)
                ratio = pi[j] / pi[i]
                if corrected:  # times q(x' -> x) / q(x -> x')
                    ratio *= a[off[h] + f[h]] / a[off[h] + k] / z_of(g) / q
                p[i, j] = q * min(1.0, ratio)
        p[i, i] = 1 - p[i].sum()
    return p


def _stationary(p: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eig(p.T)
    s = np.real(v[:, np.argmin(abs(w - 1))])
    return s / s.sum()


@pytest.fixture(scope="module")
def tiny():
    spec = _spec(SOURCE, [({"r1": R1, "r2": R2}, {"r3": R1 + R2})])
    sk = Sketch(spec)
    rng = np.random.default_rng(7)
    off = np.asarray([0, 4, 6, 8], dtype=np.int64)
    lw = rng.normal(0, 1.2, 8)  # an arbitrary fixed table: correctness must not depend on it
    return spec, sk, off, lw


def test_the_correction_makes_the_exact_distribution_stationary(tiny):
    spec, sk, off, lw = tiny
    fills, pi = _all_fillings(sk), _exact_pi(sk)
    good = _stationary(_transition(fills, off, lw, pi, corrected=True))
    bad = _stationary(_transition(fills, off, lw, pi, corrected=False))
    assert np.abs(good - pi).sum() / 2 < 1e-9
    assert np.abs(bad - pi).sum() / 2 > 0.1  # without it the chain is biased


def test_compiled_gradient_moves_visit_the_exact_distribution(tiny):
    spec, sk, off, lw = tiny
    fills, pi = _all_fillings(sk), _exact_pi(sk)
    index = {tuple(f): i for i, f in enumerate(fills)}
    tables = program_tables(sk)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, tables.entry)
    chains = Chains(tables, sk.sizes, 256, seed=3, beta=BETA)
    chains.set_tables(off, np.repeat(lw[None, :], 256, axis=0), 1.0)  # gradient moves only
    counts = np.zeros(len(fills))
    for call in range(320):
        chains.step(ex, 3)
        if call >= 20:  # burn-in
            for f in chains.fill:
                counts[index[tuple(f)]] += 1
    tv = np.abs(counts / counts.sum() - pi).sum() / 2
    assert tv < 0.03, (tv, counts / counts.sum(), pi)


def test_gradient_proposals_fit_and_reproduce():
    spec = _spec("?{add,sub,xor} r3, ??{r1,r2}, ??{r1,r2}\nhalt",
                 [({"r1": 12, "r2": 5}, {"r3": 7}), ({"r1": 1, "r2": 9}, {"r3": -8})])
    a = fit(spec, "mcmc", proposals="gradient", steps=4, seed=5, time_limit=60)
    b = fit(spec, "mcmc", proposals="gradient", steps=4, seed=5, time_limit=60)
    assert a.solved and a.program == b.program and a.steps == b.steps
    assert "sub r3, r1, r2" in a.program
    assert any("gradient tables" in n for n in a.notes)
    assert math.isfinite(a.seconds)


@pytest.mark.parametrize("chains,seed", [(1, 0), (2, 3)])  # runs where a counterexample
def test_gradient_proposals_go_on_after_a_counterexample(chains, seed):  # came alone
    # one example that add, or and xor all pass (r1 = 0): verification against the
    # reference finds a counterexample, the examples change and the chains go on
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
    res = fit(spec, "mcmc", proposals="gradient", steps=40, seed=seed, restarts=chains,
              time_limit=120)
    assert res.solved and res.program.split()[0] == "add", res.program
    assert res.verified == 2000 and res.counterexamples >= 1  # the path under test ran


@pytest.mark.parametrize("method", ["mcmc", "evolve"])
def test_no_hole_with_a_table_runs_uniform_moves(method):
    # one immediate of 2^14 candidates: no table, so no soft pass and no gradient moves
    spec = _spec("addi r3, r1, ??\nhalt", [({"r1": 5}, {"r3": 1234})])
    grad = fit(spec, method, proposals="gradient", steps=30, seed=2, time_limit=60)
    assert grad.proposals is None
    assert any("no hole has a table" in n for n in grad.notes)
    assert grad.solved and "1229" in grad.program
