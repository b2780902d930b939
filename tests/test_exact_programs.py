"""Every program in programs/ on the exact executor (CPU) against the reference
interpreter (every result field, final memory included) and against the literal
expectations of programs/expected.yaml."""

from __future__ import annotations

import random

import pytest
from exact_common import check_batch
from program_cases import EXPECTED, LIMITS, NAMES, case_input, image

from ncpu_cli.isa import to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput, parse_register


def check_expectation(r, want: dict, label: str) -> None:
    assert r.status == want["status"], (label, r.status, r.reason, r.pc)
    assert r.reason == want.get("reason"), label
    if "out" in want:
        assert r.out == [to_signed(v) for v in want["out"]], label
    for reg, value in (want.get("regs") or {}).items():
        assert r.regs[parse_register(str(reg))] == to_signed(value), (label, reg)
    if "eof" in want:
        assert r.eof is want["eof"], label


def test_programs_exist():
    assert NAMES, "programs/*.s is empty"
    assert set(EXPECTED) <= set(NAMES)


def test_expected_yaml_cases_in_one_batch_per_limit():
    """All cases of all programs, grouped by run limits, each group one exact batch with
    a different image per program."""
    groups: dict[tuple, list] = {}
    for name, cases in EXPECTED.items():
        for k, case in enumerate(cases):
            limits = tuple((key, case[key]) for key in LIMITS if key in case)
            groups.setdefault(limits, []).append((f"{name}-{k} {case.get('name')}", name, case))
    assert groups
    for limits, members in groups.items():
        config = MachineConfig(**dict(limits))
        images = [image(name) for _, name, _ in members]
        inputs = [case_input(case) for _, _, case in members]
        got = check_batch(config, images, inputs)
        for r, (label, _, case) in zip(got, members):
            check_expectation(r, case["expected"], label)


@pytest.mark.parametrize("name", NAMES)
def test_program_on_generated_inputs(name):
    """Each program with 24 random register presets and input streams (sensible or not),
    one batch with one image, against the reference (timeouts included)."""
    rng = random.Random(name)
    edges = [0, 1, 2, 3, 5, 7, 10, 13, 31, 100, -1, -7, 2**31 - 1, -(2**31)]

    def word():
        v = rng.choice(edges) if rng.random() < 0.5 else rng.randint(-300, 300)
        return v % 2**32

    inputs = [
        ProgramInput(set={1: word(), 2: word()},
                     input=tuple(rng.randint(0, 255) if rng.random() < 0.7 else word()
                                 for _ in range(rng.randint(0, 9))))
        for _ in range(24)
    ]
    config = MachineConfig(max_cycles=4000, max_out=64)
    im = image(name)
    check_batch(config, [im] * len(inputs), inputs)


def test_sweep_matches_reference():
    """sweep= (a register swept over values, no per-program objects) on collatz."""
    from ncpu_cli.machine.exact.machine import ExactMachine

    name = "collatz" if "collatz" in NAMES else NAMES[0]
    values = list(range(1, 130))
    config = MachineConfig(max_cycles=3000)
    machine = ExactMachine(image(name), config, [ProgramInput()] * len(values),
                           sweep=(1, values))
    inputs = [ProgramInput(set={1: v}) for v in values]
    check_batch(config, [image(name)] * len(values), inputs, machine=machine)
