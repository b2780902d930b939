"""Invariants of the soft executor, at every cycle, on every program in programs/:
every pointer distribution is non-negative and sums to 1 (within 1e-6); nothing is
NaN or infinite for τ in [0.01, 10]; the running and the absorbed mass add up to 1;
one program never affects another in a batch; the closed form of softmax leakage."""

from __future__ import annotations

import math

import pytest
import torch
from soft_common import image, one_torch_thread, program_groups  # noqa: F401  (fixture)

from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.soft import run as soft
from ncpu_cli.machine.soft.addressing import closed_form_pmax, max_weight, normaliser, onehot_scores
from ncpu_cli.machine.soft.machine import SoftMachine

CYCLES = 160  # per program and setting: every program gets well into its loops
SETTINGS = [("softmax", 0.01), ("softmax", 0.1), ("softmax", 1.0), ("softmax", 10.0),
            ("sparsemax", 0.05), ("sparsemax", 2.0), ("sparsemax", 10.0), ("hard", 1.0)]


def one_case_per_program():
    """(names, inputs) with the first case of every soft-compatible program (default limits)."""
    names, inputs = [], []
    for limits, group_names, group_inputs in program_groups():
        if limits:
            continue
        for name, inp in zip(group_names, group_inputs):
            if name not in names:
                names.append(name)
                inputs.append(inp)
    return names, inputs


def check_distribution(p: torch.Tensor, what: str) -> None:
    assert torch.isfinite(p).all(), what
    assert float(p.min()) >= 0.0, (what, float(p.min()))
    sums = p.sum(dim=-1)
    assert float((sums - 1).abs().max()) <= 1e-6, (what, sums.tolist())


@pytest.mark.parametrize("mode, tau", SETTINGS)
def test_pointers_are_distributions_and_state_is_finite(mode, tau):
    names, inputs = one_case_per_program()
    assert len(names) >= 12
    config = MachineConfig(mem_words=1024, addressing=mode, temperature=tau)
    m = SoftMachine([image(n) for n in names], config, inputs)
    seen = set()
    for cycle in range(CYCLES):
        heads = m.step()
        for name, p in heads.items():
            if p is None:
                continue
            seen.add(name)
            check_distribution(p, f"{name} head, cycle {cycle}")
        s = m.state
        for field, t in s.tensors().items():
            if t.is_floating_point():
                assert torch.isfinite(t).all(), (field, cycle)
        check_distribution(m.pc, f"pc, cycle {cycle}")
        total = s.run + s.absorbed.sum(dim=-1)
        assert float((total - 1).abs().max()) <= 1e-6, cycle
        assert float(s.absorbed.min()) >= -1e-12
        assert float(s.eof.min()) >= 0 and float(s.eof.max()) <= 1 + 1e-9
        if bool(m.done.all()):
            break
    assert seen == {"pc", "ra", "rb", "rd", "read", "write"}


@pytest.mark.parametrize("mode, tau", [("softmax", 0.01), ("softmax", 1.0), ("softmax", 10.0),
                                       ("sparsemax", 10.0)])
def test_the_in_place_path_keeps_the_invariants(mode, tau):
    """`advance` (in place, the uniform parts kept aside and folded back every chunk)
    leaves a distribution that sums to 1 and finite state, chunk after chunk."""
    names, inputs = one_case_per_program()
    config = MachineConfig(mem_words=1024, addressing=mode, temperature=tau)
    m = SoftMachine([image(n) for n in names], config, inputs)
    for chunk in range(5):
        m.advance(32)
        for field, t in m.state.tensors().items():
            if t.is_floating_point():
                assert torch.isfinite(t).all(), (field, chunk)
        check_distribution(m.pc, f"pc after chunk {chunk}")
        total = m.state.run + m.state.absorbed.sum(dim=-1)
        assert float((total - 1).abs().max()) <= 1e-6, chunk


@pytest.mark.parametrize("mode", ["softmax", "sparsemax"])
def test_one_program_never_affects_another(mode):
    """A program's soft result does not depend on who else is in the batch, leaks included."""
    config = MachineConfig(mem_words=64, addressing=mode, temperature=0.3, max_cycles=120)
    alone = soft.run(image("bubble_sort"), config,
                     [ProgramInput(set={1: 3}, input=(5, 1, 4))], with_mem=True)[0]
    crowd = [ProgramInput(set={1: 8}, input=tuple(range(40))), ProgramInput(),
             ProgramInput(set={1: 3}, input=(5, 1, 4)), ProgramInput(set={1: 1}, input=(9,))]
    together = soft.run(image("bubble_sort"), config, crowd, with_mem=True)[2]
    assert (together.status, together.pc, together.cycles, together.out, together.regs,
            together.mem) == (alone.status, alone.pc, alone.cycles, alone.out, alone.regs,
                              alone.mem)
    assert together.extra["max_deviation"] == pytest.approx(alone.extra["max_deviation"],
                                                            abs=1e-9)


@pytest.mark.parametrize("n", [16, 64, 256, 1024, 4096])
@pytest.mark.parametrize("tau", [0.05, 0.1, 0.2, 0.5, 1.0, 3.0])
def test_closed_form_of_the_softmax_leak(n, tau):
    """p_max of softmax(onehot/τ) over N slots is 1 / (1 + (N - 1)·e^(-1/τ)) (within 1%)."""
    p = normaliser("softmax", tau)(onehot_scores(torch.tensor([3]), n, torch.float64))
    got = float(max_weight(p)[0])
    assert got == pytest.approx(closed_form_pmax(n, tau), rel=0.01)
    assert got == pytest.approx(1 / (1 + (n - 1) * math.exp(-1 / tau)), rel=1e-12)


def test_softmax_pc_head_in_a_machine_follows_the_closed_form():
    """The first jump of a program puts p_max = closed form on its target.  The jump
    pointer normalises over N + 1 slots (memory plus "outside"); the "outside" share
    is a target fault and leaves the running pc, which is renormalised over the N
    words: exactly 1 / (1 + (N - 1)·e^(-1/τ))."""
    from ncpu_cli.image import Image
    from ncpu_cli.isa import load_isa

    e = load_isa().encode
    words = [e("jal", rd=0, imm=5)] + [0] * 4 + [e("halt")]
    for n, tau in ((64, 0.2), (256, 0.3), (1024, 0.1)):
        config = MachineConfig(mem_words=n, addressing="softmax", temperature=tau)
        m = SoftMachine(Image(words=words), config, [ProgramInput()])
        m.step()
        heads = m.step()
        assert float(heads["pc"].max()) == pytest.approx(closed_form_pmax(n, tau), rel=1e-9)
        assert float(heads["pc"].max()) == pytest.approx(closed_form_pmax(n + 1, tau), rel=0.01)
