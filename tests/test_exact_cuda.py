"""The torch engine on CUDA: programs, random programs and isolation against the
reference, CUDA graphs on and off, output growth (graph re-capture), a written
instruction after many graph replays, lockstep stepping, the pure cycle and a big
sweep. Skipped, with the reason printed, on a machine without a CUDA GPU."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from exact_common import assert_same, check_batch
from progen_cases import gen_batch, gen_case

from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.inputs import ProgramInput

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]
ISA = load_isa()
PROGRAMS = Path(__file__).resolve().parent.parent / "programs"


def on_cuda(config: MachineConfig) -> MachineConfig:
    return MachineConfig(**{**config.__dict__, "device": "cuda"})


def test_programs_on_cuda():
    import test_exact_programs as tp

    groups: dict[tuple, list] = {}
    for name, cases in tp.EXPECTED.items():
        for k, case in enumerate(cases):
            limits = tuple((key, case[key]) for key in tp.LIMITS if key in case)
            groups.setdefault(limits, []).append((f"{name}-{k}", name, case))
    for limits, members in groups.items():
        config = on_cuda(MachineConfig(**dict(limits)))
        images = [tp.image(name) for _, name, _ in members]
        inputs = [tp.case_input(case) for _, _, case in members]
        got = check_batch(config, images, inputs)
        for r, (label, _, case) in zip(got, members):
            tp.check_expectation(r, case["expected"], label)


@pytest.mark.parametrize("seed", range(20))
def test_random_batches_on_cuda(seed):
    b = gen_batch(random.Random(7000 + seed), 100)
    check_batch(on_cuda(b.config), b.images, b.inputs)


@pytest.mark.parametrize("seed", range(10))
def test_one_image_cases_on_cuda(seed):
    c = gen_case(random.Random(9000 + seed), batch=(20, 40))
    config = on_cuda(c.config)
    check_batch(config, [c.image] * len(c.inputs), c.inputs,
                machine=ExactMachine(c.image, config, c.inputs))


def test_isolation_on_cuda():
    import test_exact_isolation as ti

    names = ti.NAMES * 3
    random.Random(1).shuffle(names)
    config = on_cuda(ti.CONFIG)
    m = ExactMachine(ti.image(names[0]), config, [ti.program_input(n) for n in names],
                     images=[ti.image(n) for n in names])
    got = check_batch(config, [ti.image(n) for n in names], [ti.program_input(n) for n in names],
                      machine=m)
    for i, (name, r) in enumerate(zip(names, got)):
        solo = ti.alone(name)
        solo.index = i
        assert_same(r, solo, name)


@pytest.mark.parametrize("graph", ["0", "1"])
def test_graphs_on_and_off_long_run(monkeypatch, graph):
    """Several graph replays (a counter loop over thousands of cycles), output growth
    forcing a re-capture, against the reference."""
    monkeypatch.setenv("NCPU_CUDA_GRAPH", graph)
    w = ISA.encode
    prog = Image([w("li", rd=2, imm=0), w("addi", rd=2, ra=2, imm=1), w("out", ra=2),
                  w("bne", ra=2, rb=1, imm=1), w("halt")])
    config = on_cuda(MachineConfig(mem_words=64, max_cycles=20000, max_out=3000))
    inputs = [ProgramInput(set={1: k}) for k in (1, 10, 700, 2500, 0)]
    got = check_batch(config, [prog] * len(inputs), inputs,
                      machine=ExactMachine(prog, config, inputs))
    assert got[3].out == list(range(1, 2501))


@pytest.mark.parametrize("graph", ["0", "1"])
def test_written_div_after_many_replays_on_cuda(monkeypatch, graph):
    """A div the program writes and runs after several chunks of output (the buffer grew,
    the graph was captured again) matches the reference."""
    import test_exact_selfmod as tsm

    monkeypatch.setenv("NCPU_CUDA_GRAPH", graph)
    prog = Image(tsm.COUNT_THEN_DIV)
    config = on_cuda(MachineConfig(mem_words=64, max_cycles=5000, max_out=1000))
    inputs = [ProgramInput(set={6: 300}), ProgramInput(set={6: 5}), ProgramInput(set={6: 700})]
    m = ExactMachine(prog, config, inputs)
    got = check_batch(config, [prog] * 3, inputs, machine=m)
    assert got[2].out == list(range(700)) and got[2].regs[3] == 16


def test_pure_cycle_on_cuda():
    """cycle(s, t) on CUDA leaves s alone and agrees with the machine's graph replays."""
    from ncpu_cli.machine.exact import step as exact_step
    from ncpu_cli.machine.exact import tables as xt

    b = gen_batch(random.Random(43), 40)
    config = on_cuda(b.config)
    m = ExactMachine(b.images[0], config, b.inputs, images=b.images)
    s, t = m.state, xt.tables(m.device)
    before = {k: v.clone() for k, v in s.tensors().items()}
    pure = s
    for _ in range(300):
        pure = exact_step.cycle(pure, t)
    assert all(torch.equal(before[k], v) for k, v in s.tensors().items())
    m.step(300)
    for k in ("regs", "mem", "pc", "status", "reason", "cycles", "out_len", "in_pos", "eof"):
        got, want = getattr(pure, k), getattr(m.state, k)
        if k == "status" and m.steps == config.max_cycles:
            got = torch.where(got == 0, 3, got)  # the machine's timeout at the limit
        assert torch.equal(got, want), k


def test_lockstep_step_on_cuda():
    b = gen_batch(random.Random(42), 30)
    config = on_cuda(b.config)
    a = ExactMachine(b.images[0], config, b.inputs, images=b.images)
    a.run()
    s = ExactMachine(b.images[0], config, b.inputs, images=b.images)
    for _ in range(b.config.max_cycles + 2):
        s.step(1)
    for x, y in zip(a.results(with_mem=True), s.results(with_mem=True)):
        assert_same(x, y)


def test_big_sweep_on_cuda():
    """A 200,000-program sweep: spot-checked against the reference."""
    import test_exact_programs as tp

    name = "collatz" if "collatz" in tp.NAMES else tp.NAMES[0]
    config = on_cuda(MachineConfig(max_cycles=5000))
    values = range(1, 200_001)
    m = ExactMachine(tp.image(name), config, [ProgramInput()] * len(values), sweep=(1, values))
    m.run()
    assert m.summary()["count"] == 200_000
    picks = [0, 1, 2, 26, 97, 1000, 77030, 199_999]
    from ncpu_cli.machine.reference import run_reference

    cpu = MachineConfig(max_cycles=5000)
    for r in m.results(indices=picks, with_mem=True):
        want = run_reference(tp.image(name), cpu, ProgramInput(set={1: values[r.index]}),
                             index=r.index)
        assert_same(r, want)
