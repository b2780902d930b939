"""The soft executor on CUDA: bit-exact at the hard limit, the same numbers as the CPU
under softmax, gradients on the device.  Skipped, with the reason printed, on a
machine without a CUDA GPU; asking for `cuda` there is a clear RunError."""

from __future__ import annotations

import pytest
import torch
from soft_common import assert_same, image, one_torch_thread, program_groups  # noqa: F401  (fixture)

from ncpu_cli.errors import RunError
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference
from ncpu_cli.machine.soft import run as soft
from ncpu_cli.machine.soft.machine import SoftMachine

HAS_CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU on this machine")


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_a_run_error():
    config = MachineConfig(mem_words=64, device="cuda")
    with pytest.raises(RunError, match="no CUDA GPU"):
        soft.run(image("factorial"), config, [ProgramInput(set={1: 3})])


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("mode, tau", [("hard", 0.1), ("sparsemax", 0.5)])
def test_programs_on_cuda_match_exact(mode, tau):
    for limits, names, inputs in program_groups():
        config = MachineConfig(**dict(limits), device="cuda", addressing=mode, temperature=tau)
        got = soft.run([image(n) for n in names], config, inputs, with_mem=True)
        for i, (g, name, inp) in enumerate(zip(got, names, inputs)):
            want = run_reference(image(name), MachineConfig(**dict(limits)), inp, index=i)
            assert_same(g, want, name)


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_on_cuda_matches_the_cpu(dtype):
    inputs = [ProgramInput(set={1: n}) for n in range(1, 9)]
    cpu = MachineConfig(mem_words=256, addressing="softmax", temperature=0.05, max_cycles=200,
                        dtype=dtype)
    gpu = MachineConfig(**{**cpu.__dict__, "device": "cuda"})
    a = SoftMachine(image("factorial"), cpu, inputs).run()
    b = SoftMachine(image("factorial"), gpu, inputs).run()
    assert b.state.regs.device.type == "cuda" and b.state.pc.device.type == "cuda"
    tol = 1e-9 if dtype == "float64" else 1e-3
    assert torch.allclose(a.state.regs, b.state.regs.cpu(), atol=tol, rtol=tol)
    assert [r.status for r in a.results()] == [r.status for r in b.results()]


@pytest.mark.cuda
@needs_cuda
def test_gradients_on_cuda():
    config = MachineConfig(mem_words=64, addressing="softmax", temperature=0.05, device="cuda")
    regs0 = torch.zeros(1, 16, dtype=torch.float64, device="cuda")
    regs0[0, 15], regs0[0, 1] = 64, 5
    regs0.requires_grad_()
    regs, _, _ = soft.soft_forward(image("factorial"), config, regs0, cycles=30)
    regs[0, 15].backward()
    assert regs0.grad.device.type == "cuda" and torch.isfinite(regs0.grad).all()
