"""A control table per group of consecutive programs (what `ncpu fit` passes: one per
restart, shared by its examples) runs exactly like one table per program, through the
pure step and through `run()` (which compacts finished programs)."""

from __future__ import annotations

import torch

from ncpu_cli.asm import assemble
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.soft.addressing import normaliser
from ncpu_cli.machine.soft.decode import build_control
from ncpu_cli.machine.soft.machine import SoftMachine
from ncpu_cli.machine.soft.run import run_pure

A = "li r2, 3\nmul r2, r1, r2\nout r2\nhalt\n"  # 3·r1
B = "li r2, 5\nbeq r1, r0, 3\nadd r2, r2, r1\nout r2\nhalt\n"  # 5 + r1 (r1 != 0), else 5


def _machines():
    config = MachineConfig(mem_words=32, max_cycles=40, addressing="hard")
    images = [assemble(A), assemble(B)]
    inputs = [ProgramInput(set={1: v}) for v in (0, 2, 7)] * 2  # 3 examples per image
    per_program = [images[0]] * 3 + [images[1]] * 3
    kw = {"device": "cpu", "dtype": torch.float64}
    norm = normaliser("hard", 0.1)
    grouped = build_control(images, 32, norm, **kw)  # (2, S+1, F)
    single = build_control(per_program, 32, norm, **kw)  # (6, S+1, F)
    make = lambda ctl: SoftMachine(per_program, config, inputs, control=ctl)  # noqa: E731
    return make(grouped), make(single), grouped


def test_grouped_table_matches_one_table_per_program_in_the_pure_step():
    g, s, grouped = _machines()
    assert grouped.table.shape[0] == 2
    a, b = run_pure(g, 40), run_pure(s, 40)
    assert torch.equal(a.regs, b.regs) and torch.equal(a.out, b.out)
    # independent facts: outputs 3·r1 and 5 + r1 (5 for r1 = 0)
    assert a.out[:, 0].tolist() == [0, 6, 21, 5, 7, 12]


def test_grouped_table_survives_compaction_in_run():
    g, s, _ = _machines()
    got = [r.out for r in g.run().results()]
    want = [r.out for r in s.run().results()]
    assert got == want == [[0], [6], [21], [5], [7], [12]]
