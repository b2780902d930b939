"""The soft executor is differentiable: gradcheck in float64 w.r.t. initial registers,
memory words and input words under softmax addressing, finite gradients for τ in
0.01..10, non-zero along arithmetic data paths, none through threshold ops."""

from __future__ import annotations

import math

import pytest
import torch
from soft_common import one_torch_thread  # noqa: F401  (fixture: one torch thread per test)

from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.soft.machine import SoftMachine
from ncpu_cli.machine.soft.run import soft_forward

ISA = load_isa()
e = ISA.encode
N = 16
# out = ((r1 + r2) * mem[12] - r1) + input word; also stored to mem[13]
ARITH = Image(words=[
    e("ld", rd=3, imm=12),
    e("add", rd=4, ra=1, rb=2),
    e("mul", rd=5, ra=4, rb=3),
    e("sub", rd=6, ra=5, rb=1),
    e("in", rd=7),
    e("add", rd=8, ra=6, rb=7),
    e("st", rb=8, imm=13),
    e("out", ra=8),
    e("halt"),
])
CYCLES = 9
# a loop: r2 = r1 + r1 + ... (r3 times), decided by a soft branch
LOOP = Image(words=[
    e("add", rd=2, ra=2, rb=1),  # 0
    e("addi", rd=3, ra=3, imm=-1),  # 1
    e("blt", ra=0, rb=3, imm=0),  # 2: while 0 < r3
    e("out", ra=2),  # 3
    e("halt"),  # 4
])


def image_mem(image: Image, extra: dict[int, float]) -> torch.Tensor:
    from ncpu_cli.isa import to_signed

    mem = torch.zeros(1, N, dtype=torch.float64)
    for i, w in enumerate(image.words):
        mem[0, i] = float(to_signed(w))
    for a, v in extra.items():
        mem[0, a] = v
    return mem


def forward(config, regs0=None, mem0=None, input0=None, image=ARITH, cycles=CYCLES):
    regs, mem, out = soft_forward(image, config, regs0, mem0, input0, cycles=cycles)
    return torch.cat([regs.flatten(), mem.flatten(), out[:, :2].flatten()])


def softmax_config(tau=0.5, dtype="float64"):
    return MachineConfig(mem_words=N, max_cycles=100, max_out=4, addressing="softmax",
                         temperature=tau, dtype=dtype)


def start_regs(**values) -> torch.Tensor:
    regs = torch.zeros(1, 16, dtype=torch.float64)
    regs[0, 15] = N
    for k, v in values.items():
        regs[0, int(k[1:])] = v
    return regs


def test_gradcheck_registers():
    config = softmax_config()
    mem0 = image_mem(ARITH, {12: 3.0})
    input0 = torch.tensor([[0.25]], dtype=torch.float64)
    regs0 = start_regs(r1=1.3, r2=2.2).requires_grad_()
    assert torch.autograd.gradcheck(lambda r: forward(config, r, mem0, input0), (regs0,),
                                    eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gradcheck_memory_words():
    """w.r.t. the data words 12..15 (the code words stay what the image says)."""
    # code words are ~1e9 as data: a leak of e^(-1/τ) per slot must keep their share far
    # below 1, or values reach the modular wrap (a step) -- so a sharper τ here
    config = softmax_config(tau=0.03)
    regs0 = start_regs(r1=1.3, r2=2.2)
    input0 = torch.tensor([[0.25]], dtype=torch.float64)
    code = image_mem(ARITH, {})
    data = torch.tensor([[3.1, -2.0, 0.5, 7.0]], dtype=torch.float64, requires_grad=True)

    def f(d):
        return forward(config, regs0, torch.cat([code[:, :12], d], dim=1), input0)

    assert torch.autograd.gradcheck(f, (data,), eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gradcheck_input_words():
    config = softmax_config(tau=0.03)
    regs0 = start_regs(r1=1.3, r2=2.2)
    mem0 = image_mem(ARITH, {12: 3.0})
    input0 = torch.tensor([[0.25, -1.5]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda i: forward(config, regs0, mem0, i), (input0,),
                                    eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gradcheck_through_a_soft_branch():
    """A loop whose exit is a sigmoid of the counter: smooth in the initial registers."""
    config = MachineConfig(mem_words=N, max_cycles=100, max_out=4, addressing="softmax",
                           temperature=2.0)
    regs0 = start_regs(r1=0.7, r3=1.6).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda r: forward(config, r, image_mem(LOOP, {}), None, LOOP, 12), (regs0,),
        eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", ["softmax", "sparsemax"])
@pytest.mark.parametrize("tau", [0.01, 0.02, 0.05, 0.3, 1.0, 3.0, 10.0])
def test_gradients_finite_and_nonzero_along_arithmetic(mode, tau):
    config = MachineConfig(mem_words=N, max_cycles=100, max_out=4, addressing=mode,
                           temperature=tau)
    regs0 = start_regs(r1=1.0, r2=2.0).requires_grad_()
    mem0 = image_mem(ARITH, {12: 3.0}).requires_grad_()
    input0 = torch.tensor([[5.0]], dtype=torch.float64, requires_grad=True)
    regs, mem, out = soft_forward(ARITH, config, regs0, mem0, input0, cycles=CYCLES)
    (out[0, 0] + regs[0, 8] + mem[0, 13]).backward()
    for t in (regs0, mem0, input0):
        assert torch.isfinite(t.grad).all()
    # d out / d r1 = mem[12] - 1, d / d r2 = mem[12], d / d mem[12] = r1 + r2, d / d input = 1
    assert regs0.grad[0, 1].abs() > 1e-3 and regs0.grad[0, 2].abs() > 1e-3
    assert mem0.grad[0, 12].abs() > 1e-3 and input0.grad[0, 0].abs() > 1e-3
    if tau <= 0.02 or (mode == "sparsemax" and tau <= 1):  # sharp: the exact derivatives
        assert regs0.grad[0, 1].item() == pytest.approx(3 * (3.0 - 1.0), rel=1e-3)
        assert mem0.grad[0, 12].item() == pytest.approx(3 * 3.0, rel=1e-3)


def test_exact_values_and_gradients_at_the_hard_limit():
    config = MachineConfig(mem_words=N, max_cycles=100, max_out=4, addressing="sparsemax",
                           temperature=0.5)
    regs0 = start_regs(r1=4.0, r2=-7.0).requires_grad_()
    regs, mem, out = soft_forward(ARITH, config, regs0, image_mem(ARITH, {12: 6.0}),
                                  torch.tensor([[10.0]], dtype=torch.float64), cycles=CYCLES)
    assert out[0, 0].item() == (4 - 7) * 6 - 4 + 10
    out[0, 0].backward()
    assert regs0.grad[0, 1].item() == 5.0 and regs0.grad[0, 2].item() == 6.0


def test_threshold_ops_carry_no_gradient():
    """xor/shift/div work on rounded values: zero gradient, documented."""
    image = Image(words=[e("xor", rd=3, ra=1, rb=2), e("shli", rd=4, ra=1, imm=2),
                         e("div", rd=5, ra=1, rb=2), e("out", ra=3), e("halt")])
    config = MachineConfig(mem_words=N, max_cycles=10, addressing="hard")
    regs0 = start_regs(r1=12.0, r2=5.0).requires_grad_()
    regs, _, out = soft_forward(image, config, regs0, cycles=5)
    assert regs[0, 3:6].tolist() == [12 ^ 5, 48, 2]
    (regs[0, 3] + regs[0, 4] + regs[0, 5]).backward()
    assert regs0.grad.abs().max().item() == 0.0


def test_wrap_is_straight_through():
    """add wraps modulo 2^32 in value but passes the gradient unchanged."""
    image = Image(words=[e("add", rd=3, ra=1, rb=2), e("halt")])
    config = MachineConfig(mem_words=N, max_cycles=10, addressing="hard")
    regs0 = start_regs(r1=2.0**31 - 1, r2=5.0).requires_grad_()
    regs, _, _ = soft_forward(image, config, regs0, cycles=2)
    assert regs[0, 3].item() == -(2.0**31) + 4
    regs[0, 3].backward()
    assert regs0.grad[0, 1].item() == 1.0 and regs0.grad[0, 2].item() == 1.0


def test_mul_large_products_are_exact_and_differentiable():
    image = Image(words=[e("mul", rd=3, ra=1, rb=2), e("halt")])
    config = MachineConfig(mem_words=N, max_cycles=10, addressing="hard")
    a, b = 0x7654321, -0x1234567
    regs0 = start_regs(r1=float(a), r2=float(b)).requires_grad_()
    regs, _, _ = soft_forward(image, config, regs0, cycles=2)
    want = ((a * b + 2**31) % 2**32) - 2**31
    assert regs[0, 3].item() == want
    regs[0, 3].backward()
    assert regs0.grad[0, 1].item() == b and regs0.grad[0, 2].item() == a


def test_machine_with_grad_inputs_runs_and_reports():
    """SoftMachine accepts tensors that require grad; run() keeps the graph."""
    config = softmax_config(tau=0.02)
    regs0 = start_regs(r1=1.0, r2=2.0).requires_grad_()
    m = SoftMachine(ARITH, config, [ProgramInput()], regs0=regs0,
                    mem0=image_mem(ARITH, {12: 3.0}), input0=torch.tensor([[5.0]]))
    m.run()
    r = m.results()[0]
    assert r.status == "halted" and r.out == [(1 + 2) * 3 - 1 + 5]
    m.regs[0, 8].backward()
    assert math.isfinite(regs0.grad[0, 1].item()) and abs(regs0.grad[0, 1].item() - 2.0) < 1e-3
