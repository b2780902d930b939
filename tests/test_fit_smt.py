"""`fit_smt`: CEGIS over the bounded model finds fillings of small sketches, and proves an
impossible sketch unsolvable. Every answer is checked by assembling the rendered program
without holes and running the examples on the reference interpreter (fit_common); the
expected values come from each task's one-line definition (Python arithmetic)."""

from __future__ import annotations

import time

import pytest
import yaml
from fit_common import CONST, MNEMONIC, REG, passes_everything, task

from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.search import Tracker
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import parse_spec

pytest.importorskip("bitwuzla")
from ncpu_cli.fit.smt.method import fit_smt  # noqa: E402

M = 0xFFFF_FFFF


def run_smt(t: dict, time_limit: float = 30.0) -> tuple[Tracker, Sketch, float]:
    spec = parse_spec(yaml.safe_dump({"source": t["sketch_text"], **t["spec"]}))
    sketch = Sketch(spec)
    tracker = Tracker(spec, sketch, Checker(sketch, spec), FitOptions(time_limit=time_limit))
    t0 = time.perf_counter()
    fit_smt(tracker)
    return tracker, sketch, time.perf_counter() - t0


def solved(t: dict) -> str:
    tracker, sketch, _ = run_smt(t)
    assert tracker.solution is not None, getattr(tracker, "notes", None)
    program = sketch.render(tracker.solution)
    assert passes_everything(program, t), program
    return program


@pytest.mark.parametrize("t", [CONST, REG, MNEMONIC], ids=["const", "reg", "mnemonic"])
def test_easy_tasks(t):
    solved(t)


def test_data_hole_table():
    # out = table[r1] for a 4-entry table of unknown words: the table is the answer
    table = [0xDEADBEEF, 7, 0x80000000, 12345]
    t = task("        ld r2, 8(r1)\n        out r2\n        halt\n        .org 8\n"
             "        .word ??, ??, ??, ??\n",
             [{"set": {"r1": i}, "expect": {"out": [v]}} for i, v in enumerate(table)],
             mem_words=16, max_cycles=8)
    solved(t)


def test_two_instruction_program():
    # r3 = (r1 << 3) - r2: shift amount and the second mnemonic are unknown
    exs = [{"set": {"r1": a, "r2": b}, "expect": {"regs": {"r3": ((a << 3) - b) & M}}}
           for a, b in [(1, 0), (5, 3), (-7, 100), (0x12345678, -1)]]
    solved(task("        shli r4, r1, ??[0:31]\n        ?{add,sub,xor,or} r3, r4, r2\n"
                "        halt\n", exs))


def test_instruction_holes():
    # x & (x - 1) from two whole unknown instructions
    exs = [{"set": {"r1": v}, "expect": {"regs": {"r2": (v & (v - 1)) & M}}}
           for v in (0, 3, 5, 12, 64, -1, 7, 0x70000000)]
    solved(task("        ?{add,sub,and,or,xor,addi,shli,sari,nop}\n"
                "        ?{add,sub,and,or,xor,addi,shli,sari,nop}\n        halt\n", exs))


def test_loop_sketch():
    # sum 1..r1 with an unknown loop step (backward jump: the unrolled encoding)
    exs = [{"set": {"r1": v}, "expect": {"regs": {"r2": v * (v + 1) // 2}}} for v in (0, 3, 5)]
    solved(task("        li r2, 0\nloop:   beq r1, r0, done\n        add r2, r2, r1\n"
                "        addi r1, r1, ??[-4:4]\n        j loop\ndone:   halt\n", exs,
                max_cycles=100))


def test_unsat_is_proved():
    t = task("        addi r2, r1, ??[0:3]\n        halt\n",
             [{"set": {"r1": v}, "expect": {"regs": {"r2": (v + 10) & M}}} for v in (0, 5, -3)])
    tracker, _, secs = run_smt(t)
    assert tracker.solution is None
    assert tracker.proved_unsolvable is True
    assert secs < 10


def test_unsat_with_loops_needs_the_full_bound():
    # the step only grows r1, so r1 never reaches 0: every run times out, none halts
    exs = [{"set": {"r1": v}, "expect": {"regs": {"r2": v * (v + 1) // 2}}} for v in (3, 5)]
    t = task("        li r2, 0\nloop:   beq r1, r0, done\n        add r2, r2, r1\n"
             "        addi r1, r1, ??[1:4]\n        j loop\ndone:   halt\n", exs, max_cycles=60)
    tracker, _, _ = run_smt(t)
    assert tracker.solution is None and tracker.proved_unsolvable is True


WIDE = """        ld   r4, 20(r0)
        ld   r5, 21(r0)
        ld   r6, 22(r0)
        ld   r7, 23(r0)
        li   r8, ??
        li   r9, ??
        mul  r2, r1, r4
        add  r2, r2, r5
        add  r2, r2, r8
        xor  r3, r1, r6
        sub  r3, r3, r7
        mul  r3, r3, r9
        halt
        .org 20
        .word ??, ??, ??, ??
"""


def test_wide_immediates_and_data_words_under_10s():
    a, b, c, d, e, f = 0x9E3779B9, 0x7F4A7C15, 0xDEADBEEF, 0x01234567, 1234567, -1999999

    def ex(r1):
        return {"set": {"r1": r1}, "expect": {"regs": {
            "r2": (r1 * a + b + e) & M, "r3": (((r1 ^ c) - d) * f) & M}}}
    t = task(WIDE, [ex(v) for v in (0, 1, 2, 3, 7, 1000, 123456789, M)],
             [ex(v) for v in (5, 99999, 0x80000000)], mem_words=32, max_cycles=64)
    tracker, sketch, secs = run_smt(t)
    assert sketch.space >= 2**100
    assert tracker.solution is not None
    assert passes_everything(sketch.render(tracker.solution), t)
    assert secs < 10, secs
