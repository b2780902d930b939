"""`--method mcmc`: the compiled evaluator against the reference interpreter, the Hamming
cost against an independent computation, the Metropolis acceptance rule, words against
`Sketch.fill`, and whole fits (solved, verified, the same for the same seed and --steps).

Expected values come from the reference interpreter (the oracle), Python's int.bit_count
and the definition of the Metropolis rule, never from the kernel itself."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from ncpu_cli.asm import assemble
from ncpu_cli.fit.api import fit
from ncpu_cli.fit.mcmc import Chains
from ncpu_cli.fit.mcmc_eval import SS_EOF, SS_OL, SS_PC, SS_REASON, SS_STATUS
from ncpu_cli.fit.mcmc_kernel import costs_of, run_program, words_of
from ncpu_cli.fit.mcmc_tables import (
    LENGTH_PENALTY,
    MISALIGN_PENALTY,
    STATUS_PENALTY,
    example_tables,
    program_tables,
)
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import load_spec, parse_spec
from ncpu_cli.image import Image
from ncpu_cli.isa import REASON_NAMES, STATUS_NAMES, load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

M = 0xFFFF_FFFF
ISA = load_isa()
OPCODES = [op.opcode for op in ISA.ops]
WIDE = {op.opcode for op in ISA.ops if op.imm is not None and op.imm.field.name == "imm22"}
EDGES = [0, 1, -1, 2, 7, 31, 32, -(2**31), 2**31 - 1, 0x55555555]


def signed(v: int) -> int:
    v &= M
    return v - (1 << 32) if v >> 31 else v


def random_word(rng: random.Random, n: int) -> int:
    """A word of ISA.md's layout: mostly legal opcodes, small immediates near memory's end."""
    op = rng.choice(OPCODES) if rng.random() < 0.93 else rng.randrange(64)
    rd, ra, rb = (rng.choice([0, 1, 2, 3, 4, 15]) for _ in range(3))
    imm = rng.choice([rng.randrange(-4, 5), rng.randrange(0, n + 3), rng.randrange(1 << 14)])
    if op in WIDE:
        return (op << 26) | (rd << 22) | (imm & 0x3FFFFF)
    return (op << 26) | (rd << 22) | (ra << 18) | (rb << 14) | (imm & 0x3FFF)


def test_the_evaluator_agrees_with_the_reference_on_random_programs() -> None:
    rng = random.Random(16)
    dec, fields = program_tables_of_any().dec, program_tables_of_any().fields
    statuses = set()
    for case in range(400):
        n = rng.choice([16, 32])
        words = [random_word(rng, n) for _ in range(rng.randrange(2, 12))]
        inp = ProgramInput(set={r: rng.choice(EDGES) & M for r in rng.sample(range(1, 15), 3)},
                           input=tuple(rng.choice(EDGES) & M for _ in range(rng.randrange(3))),
                           mem={rng.randrange(12, n): rng.choice(EDGES) & M})
        config = MachineConfig(mem_words=n, max_cycles=rng.randrange(0, 40),
                               max_out=rng.randrange(0, 4))
        want = run_reference(Image(words, entry=0), config, inp)
        mem = np.zeros(n, dtype=np.int64)
        mem[: len(words)] = [signed(w) for w in words]
        for a, v in inp.mem.items():
            mem[a] = signed(v)
        regs = np.zeros(16, dtype=np.int64)
        regs[15] = n
        for r, v in inp.set.items():
            regs[r] = signed(v)
        cfg = np.asarray([n, 0, config.max_cycles, config.max_out, 8], dtype=np.int64)
        stream = np.asarray([signed(v) for v in inp.input] or [0], dtype=np.int64)[: len(inp.input)]
        cycles, ss, out = run_program(mem, regs, stream, cfg, dec, fields)
        where = f"case {case}: {[hex(w) for w in words]} {inp} {config}"
        assert STATUS_NAMES[ss[SS_STATUS]] == want.status, where
        assert REASON_NAMES[ss[SS_REASON]] == want.reason, where
        assert (ss[SS_PC], cycles, bool(ss[SS_EOF])) == (want.pc, want.cycles, want.eof), where
        assert regs.tolist() == want.regs, where
        assert mem.tolist() == want.mem, where
        assert out[: ss[SS_OL]].tolist() == want.out, where
        statuses.add((want.status, want.reason))
    assert len(statuses) >= 5, statuses  # halts, timeouts and several fault reasons were seen


COST_SKETCH = """\
        .holes regs r0-r5
        .holes imm -8:8
        ?{add,sub,xor,or} r3, ??, ??
        ?{add,addi,li,shri,nop}
        ?{add,addi} r4, r3, ??
        st r4, 20(r0)
        ?{shl,shr,slt} r5, r4, ??{r1,r2,r4}
        ?{beq,bne,nop}
        out ??
        ?{ld,st,nop}
        li r6, ??[-100000:100000]
        halt
        .word ??
"""


def cost_spec(rng: random.Random):
    examples = []
    for _ in range(6):
        a, b = rng.choice(EDGES), rng.randrange(-99, 99)
        want = {"regs": {"r3": signed(rng.choice([a + b, a ^ b, 5])), "r5": rng.randrange(-9, 9)},
                "mem": {20: signed(rng.choice([a + b + 1, 0]))}, "status": "halted"}
        if rng.random() < 0.7:
            want["out"] = [rng.choice([a, b, 0])] * rng.randrange(0, 3)
        examples.append({"set": {"r1": a, "r2": b}, "expect": want})
    import yaml

    return parse_spec(yaml.safe_dump({"source": COST_SKETCH, "mem_words": 32,
                                      "max_cycles": 20, "examples": examples}))


def independent_cost(sketch: Sketch, spec, filling, misalign: int = MISALIGN_PENALTY) -> int:
    image = Image([int(w) for w in sketch.fill(filling[None, :])[0]], entry=0)
    config = MachineConfig(mem_words=spec.mem_words, max_cycles=spec.max_cycles)
    total = 0
    for ex in spec.examples:
        res, want = run_reference(image, config, ex.inp), ex.expect
        total += 0 if res.status == want.status else STATUS_PENALTY
        for r, v in want.regs.items():  # relaxed: the value anywhere, plus `misalign` elsewhere
            near = [((x ^ v) & M).bit_count() + misalign for x in res.regs] if misalign >= 0 else []
            total += min([((res.regs[r] ^ v) & M).bit_count()] + near)
        total += sum(((res.mem[a] ^ v) & M).bit_count() for a, v in want.mem.items())
        if want.out is not None:
            got = list(res.out) + [0] * len(want.out)
            total += sum(((got[j] ^ v) & M).bit_count() for j, v in enumerate(want.out))
            total += LENGTH_PENALTY * min(abs(len(res.out) - len(want.out)), 4)
    return total


@pytest.mark.parametrize("misalign", [-1, 1])
def test_hamming_cost_and_words_match_independent_computations(misalign: int) -> None:
    rng = random.Random(3)
    spec = cost_spec(rng)
    sketch = Sketch(spec)
    assert len(sketch.groups) == 4 and any(h.values for h in sketch.holes if h.group is None)
    t = program_tables(sketch)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, t.entry,
                        penalties=(STATUS_PENALTY, LENGTH_PENALTY, misalign))
    fills = np.random.default_rng(5).integers(0, sketch.sizes[None, :], (200, len(sketch.holes)))
    got = costs_of(fills, *t.sketch_arrays, t.words0, t.dec, t.fields, *ex.arrays)
    assert got.tolist() == [independent_cost(sketch, spec, f, misalign) for f in fills]
    words = words_of(fills, *t.sketch_arrays, t.fields)
    assert (words == sketch.fill(fills)[:, t.UT[:, 0]]).all()


def test_moves_keep_fillings_in_their_domains_and_the_reported_costs_true() -> None:
    spec = cost_spec(random.Random(4))
    sketch = Sketch(spec)
    t = program_tables(sketch)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, t.entry)
    chains = Chains(t, sketch.sizes, 8, seed=2, weights=np.asarray([0.25, 0.25, 0.25, 0.25]))
    for _ in range(3):
        chains.step(ex, 3000)
        assert ((chains.fill >= 0) & (chains.fill < sketch.sizes)).all()
        assert chains.cost.tolist() == [independent_cost(sketch, spec, f) for f in chains.fill]
        best = [independent_cost(sketch, spec, f) for f in chains.best_fill]
        assert chains.best_cost.tolist() == best
    assert 0 < chains.accepted < chains.proposals


def test_a_step_ends_at_its_cycle_budget_where_programs_loop() -> None:
    spec = parse_spec("source: \"loop: addi r2, r2, ??[0:3]\\n  jal r0, loop\\n\"\n"
                      "mem_words: 16\nmax_cycles: 100\n"
                      "examples: [{set: {r1: 1}, expect: {regs: {r2: 2}}}]\n")
    sketch = Sketch(spec)
    t = program_tables(sketch)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, t.entry)
    chains = Chains(t, sketch.sizes, 2, seed=0)
    chains.step(ex, 10_000, budget=1000)  # every run times out after 100 cycles
    assert chains.proposals == 2 * 9  # 100 cycles for the start, then 9 proposals each
    assert (chains.cost >= STATUS_PENALTY).all()  # a timeout where `halted` is expected


def tiny_chains(start: int, count: int, beta: float, r1: int):
    """`count` chains on `addi r2, r1, ??[0:1]` (want r2 = r1), each at candidate `start`;
    a one-hole move always goes to the other candidate. Returns the share accepted."""
    spec = parse_spec("source: \"addi r2, r1, ??[0:1]\\nhalt\\n\"\nmem_words: 16\n"
                      f"examples: [{{set: {{r1: {r1}}}, expect: {{regs: {{r2: {r1}}}}}}}]\n")
    sketch = Sketch(spec)
    t = program_tables(sketch)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, t.entry,
                        penalties=(STATUS_PENALTY, LENGTH_PENALTY, -1))  # registers exact
    chains = Chains(t, sketch.sizes, count, seed=7, beta=beta, weights=np.asarray([1, 0, 0, 0]))
    chains.fill[:] = start
    chains.step(ex, 1)
    return chains.accepted / count, chains.fill[:, 0]


@pytest.mark.parametrize("beta, r1", [(0.5, 0), (0.25, 7), (2.0, 0)])
def test_metropolis_accepts_uphill_with_probability_exp_minus_beta_delta(beta, r1) -> None:
    delta = ((r1 + 1) ^ r1).bit_count()  # cost of r2 = r1 + 1 against r2 = r1, in bits
    share, _ = tiny_chains(0, 4000, beta, r1)
    p = math.exp(-beta * delta)
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / 4000) + 1e-9, (share, p)


def test_metropolis_always_accepts_downhill() -> None:
    share, where = tiny_chains(1, 500, 5.0, 7)
    assert share == 1.0 and (where == 0).all()


SUITE = ["const_add", "mn_imm", "reg_sub_order", "fn_avg", "wide_linear", "store_two"]


def check_with_reference(spec, program: str) -> None:
    image = assemble(program, "fitted.s", mem_words=spec.mem_words)
    config = MachineConfig(mem_words=spec.mem_words, max_cycles=spec.max_cycles)
    for ex in spec.examples + spec.holdout:
        res, want = run_reference(image, config, ex.inp), ex.expect
        assert res.status == want.status
        assert all((res.regs[r] - v) % (1 << 32) == 0 for r, v in want.regs.items())
        assert all((res.mem[a] - v) % (1 << 32) == 0 for a, v in want.mem.items())
        assert want.out is None or [v & M for v in res.out] == list(want.out)


@pytest.mark.parametrize("name", SUITE)
def test_mcmc_solves_suite_tasks(name: str) -> None:
    path = f"programs/fit/{name}.yaml"
    res = fit(path, "mcmc", restarts=8, steps=40, seed=0, time_limit=120)
    assert res.solved and res.method == "mcmc", res.program
    check_with_reference(load_spec(path), res.program)


MAX3 = "".join("        ?{add,sub,and,or,xor,slt,sar} ??, ??, ??\n" for _ in range(3)) + "halt\n"


def test_same_seed_and_steps_give_the_same_answer(tmp_path) -> None:
    import yaml

    rng = random.Random(9)
    pairs = [(rng.randrange(-2**31, 2**31), rng.randrange(-2**31, 2**31)) for _ in range(16)]
    spec = {"source": MAX3, "mem_words": 16, "max_cycles": 8,
            "examples": [{"set": {"r1": a, "r2": b}, "expect": {"regs": {"r3": max(a, b)}}}
                         for a, b in pairs]}
    path = tmp_path / "max.yaml"
    path.write_text(yaml.safe_dump(spec))
    runs = [fit(path, "mcmc", restarts=4, steps=3, seed=s, time_limit=120) for s in (1, 1, 2)]
    key = [(r.solved, r.values, r.steps, r.candidates, r.examples_passed) for r in runs]
    assert key[0] == key[1]
    assert runs[0].steps == 3 or runs[0].solved


def program_tables_of_any():
    """Tables of a one-hole sketch (for the decode tables)."""
    return program_tables(Sketch(parse_spec(
        "source: \"addi r2, r1, ??\\nhalt\\n\"\nmem_words: 16\n"
        "examples: [{set: {r1: 1}, expect: {regs: {r2: 2}}}]\n")))
