"""The solver process: start-up, the time limit (the solver's own, and the kill when it
overruns), running out of memory, a missing bitwuzla; and `prove_equivalent` on a
loop-free and a looping program (counterexamples checked on the reference interpreter)."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace as NS

import pytest
import yaml

from ncpu_cli.asm import assemble
from ncpu_cli.errors import FitError
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.smt import solver
from ncpu_cli.fit.smt.problem import case_of, program_of
from ncpu_cli.fit.spec import parse_spec

pytest.importorskip("bitwuzla")

M = 0xFFFF_FFFF
ROUNDS = "        mul r2, r2, r3\n        shri r4, r2, 15\n        xor r2, r2, r4\n" \
         "        add r2, r2, r5\n" * 6
HARD = ("        ld r2, 30(r0)\n        xor r2, r2, r1\n        ld r5, 31(r0)\n"
        "        li r3, 0x1B873\n" + ROUNDS + "        halt\n        .org 30\n"
        "        .word ??, ??\n")


def sketch_of(source: str, examples, mem_words=32, max_cycles=64):
    spec = parse_spec(yaml.safe_dump({"source": source, "mem_words": mem_words,
                                      "max_cycles": max_cycles, "examples": examples}))
    return spec, Sketch(spec)


def hard_query() -> dict:
    # two inputs through six multiply-xorshift rounds to two arbitrary targets: a
    # preimage problem no solver finishes in a second
    spec, sk = sketch_of(HARD, [{"set": {"r1": 0}, "expect": {"regs": {"r2": 0x12345678}}},
                                {"set": {"r1": 1}, "expect": {"regs": {"r2": 0x07654321}}}])
    return {"kind": "fit", "program": program_of(sk, 64), "cycles": 64,
            "cases": [case_of(e) for e in spec.examples]}


def test_start_up_is_quick():
    t0 = time.perf_counter()
    assert solver.run_query({"kind": "ping"}, 20)["status"] == "pong"
    assert time.perf_counter() - t0 < 5


def test_time_limit_answers_unknown_in_time():
    t0 = time.perf_counter()
    ans = solver.run_query(hard_query(), 1.0)
    assert time.perf_counter() - t0 < 2.5
    assert ans["status"] == "unknown" and ans["model"] is None


def test_a_solver_that_overruns_is_killed(monkeypatch):
    monkeypatch.setattr(solver, "GRACE_S", -30.0)  # the solver's own limit after the kill
    t0 = time.perf_counter()
    ans = solver.run_query(hard_query(), 1.0)
    assert time.perf_counter() - t0 < 2.5
    assert ans["status"] == "unknown" and "time limit" in ans["reason"]


def test_out_of_memory_is_a_clean_unknown():
    ans = solver.run_query(hard_query(), 20, memory_mb=30)
    assert ans["status"] == "unknown" and ans["reason"] == "out of memory"


def test_missing_solver_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "bitwuzla", None)  # `import bitwuzla` raises
    with pytest.raises(FitError, match="pip install bitwuzla"):
        solver.require_bitwuzla()
    from ncpu_cli.fit.smt.method import fit_smt
    with pytest.raises(FitError, match="pip install bitwuzla"):
        fit_smt(NS())


def _ref(source: str, max_cycles: int = 400):
    image = assemble(source, "ref.s", mem_words=64)
    return NS(words=image.words, entry=image.entry, max_cycles=max_cycles)


def _prove(sketch_src: str, filling, ref, **kw):
    from ncpu_cli.fit.draw import Any32
    from ncpu_cli.fit.smt.prove import prove_equivalent
    from ncpu_cli.fit.spec_types import Check
    spec, sk = sketch_of(sketch_src, [{"set": {"r1": 1}, "expect": {"regs": {"r2": 0}}}],
                         mem_words=64, max_cycles=400)
    return prove_equivalent(spec, sk, filling, ref, NS(regs={1: Any32()}, stream=(), mem=None),
                            Check(regs=(2,), out=False), **kw)


def test_prove_loop_free():
    ref = _ref("        addi r3, r1, -1\n        and r2, r1, r3\n        halt\n")
    sketch = "        addi r3, r1, ??[-2:0]\n        and r2, r1, r3\n        halt\n"
    assert _prove(sketch, [1], ref, time_limit=30).proved is True  # addi r3, r1, -1
    wrong = _prove(sketch, [0], ref, time_limit=30)  # addi r3, r1, -2
    assert wrong.proved is False
    x = wrong.counterexample.set[1]
    assert (x & (x - 2)) & M != (x & (x - 1)) & M  # it really differs there


def test_prove_with_a_loop_bound_too_small_is_undecided():
    ref = _ref("        li r2, 0\nloop:   beq r1, r0, done\n        addi r2, r2, 1\n"
               "        addi r4, r1, -1\n        and r1, r1, r4\n        j loop\ndone:   halt\n")
    sketch = ("        li r2, 0\nloop:   beq r1, r0, done\n        andi r4, r1, 1\n"
              "        add r2, r2, r4\n        shri r1, r1, ??[1:2]\n        j loop\n"
              "done:   halt\n")
    res = _prove(sketch, [0], ref, time_limit=30, loop_cycles=20)  # popcount needs ~160
    assert res.proved is None and "bound" in res.reason
    wrong = _prove(sketch, [1], ref, time_limit=30, loop_cycles=40)  # shifts by 2
    assert wrong.proved is False
    x = wrong.counterexample.set[1]
    assert bin(x).count("1") != sum((x >> k) & 1 for k in range(0, 32, 2))
