"""The Triton engine's compiled kernel on CUDA against the reference interpreter and the
native engine: every expected.yaml case in full, random programs (NCPU_FUZZ_EXAMPLES,
default 3,000), large memories, launch sizes, a 65,536-program batch, the CLI.

Skipped, with the reason printed, without a CUDA GPU or triton, and when
TRITON_INTERPRET is set in this process (tests/test_triton.py sets it for its
interpreter tests): `make gpu-check` runs this file in a pytest process of its own.
"""

from __future__ import annotations

import json
import os
import random
from importlib.util import find_spec

import numpy as np
import pytest
import torch
from exact_common import assert_same, describe
from progen_cases import gen_batch
from program_cases import EXPECTED, LIMITS, case_input, image
from test_exact_programs import check_expectation
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
    pytest.mark.skipif(find_spec("triton") is None,
                       reason="triton is not installed (pip install 'ncpu[cuda]')"),
    pytest.mark.skipif(os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"),
                       reason="TRITON_INTERPRET is set in this process (tests/test_triton.py "
                       "sets it); run tests/test_triton_cuda.py on its own"),
]
PROGRAMS = int(os.environ.get("NCPU_FUZZ_EXAMPLES", "3000"))


def on_cuda(config: MachineConfig) -> MachineConfig:
    return MachineConfig(**{**config.__dict__, "device": "cuda"})


def check_cuda(config, images, inputs, **kw):
    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    machine = TritonMachine(images[0], on_cuda(config), inputs, images=images, **kw)
    machine.run()
    got = list(machine.results(with_mem=True))
    for i, (im, inp) in enumerate(zip(images, inputs)):
        assert_same(got[i], run_reference(im, config, inp, index=i), describe(im, inp, config))
    return got


def test_expected_yaml_cases_in_full():
    groups: dict[tuple, list] = {}
    for name, cases in EXPECTED.items():
        for k, case in enumerate(cases):
            limits = tuple((key, case[key]) for key in LIMITS if key in case)
            groups.setdefault(limits, []).append((f"{name}-{k}", name, case))
    for limits, members in groups.items():
        config = MachineConfig(**dict(limits))
        images = [image(name) for _, name, _ in members]
        got = check_cuda(config, images, [case_input(c) for _, _, c in members])
        for r, (label, _, case) in zip(got, members):
            check_expectation(r, case["expected"], label)


def test_random_programs_match_reference():
    rng = random.Random(8800)
    for _ in range(max(1, PROGRAMS // 500)):
        b = gen_batch(rng, 500)
        check_cuda(b.config, b.images, b.inputs)


@pytest.mark.parametrize("seed", range(3))
def test_large_memories_match_reference(seed):
    b = gen_batch(random.Random(9900 + seed), 20, mem_words=(8192, 65536), max_cycles=3000,
                  max_out=(None, 100, 5000)[seed])
    check_cuda(b.config, b.images, b.inputs)


@pytest.mark.parametrize("k", [1, 7, 4096])
def test_launch_sizes_resume_exactly(k):
    b = gen_batch(random.Random(k), 200)
    check_cuda(b.config, b.images, b.inputs, cycles_per_launch=k)


def test_65536_programs_match_the_native_engine():
    """The bench loop on 65,536 lanes (several program instances, the int64 row offsets
    of B x N words) for 3,000 cycles, every array against the native engine."""
    from ncpu_cli.bench.exact import bench_program
    from ncpu_cli.machine.exact.native import NativeMachine
    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    loop, config = bench_program(), MachineConfig(mem_words=4096, max_cycles=3000)
    inputs = [ProgramInput()] * 65536
    want = NativeMachine(loop, config, inputs, sweep=(3, range(65536)))
    want.run()
    got = TritonMachine(loop, on_cuda(config), inputs, sweep=(3, range(65536)))
    got.run()
    assert got.summary() == want.summary()
    got._download(True)  # noqa: SLF001 - the arrays themselves
    for name in ("mem", "regs", "pc", "status", "reason", "cycles", "out_len"):
        assert np.array_equal(getattr(got.state, name), getattr(want.state, name)), name


def test_cli_run_and_auto_choice_on_cuda():
    res = CliRunner().invoke(app, ["run", "programs/gcd.s", "--set", "r1=12", "--set", "r2=18",
                                   "--engine", "triton", "--device", "cuda", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)["programs"][0]
    want = run_reference(image("gcd"), MachineConfig(), ProgramInput(set={1: 12, 2: 18}))
    assert (got["status"], got["pc"], got["cycles"], got["regs"]) == (
        want.status, want.pc, want.cycles, want.regs)
    res = CliRunner().invoke(app, ["run", "programs/collatz.s", "--sweep", "r1=1:5001",
                                   "--device", "cuda", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["engine"] == "triton"
