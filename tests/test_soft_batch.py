"""SoftBatch, the soft engine's batch machine (machine/README.md): at the hard limit its
results are the ones programs/expected.yaml states and the reference interpreter gives
(mathematics and the oracle, not the soft machine's own output), equal to the whole-run
function's; its summary counts them; a sweep presets one register per program;
first_faults lists the faulting programs in index order; memory is kept only on request."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from soft_common import EXPECTED, assert_same, case_input, image, one_torch_thread  # noqa: F401
from test_exact_programs import check_expectation

from ncpu_cli.errors import RunError
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference
from ncpu_cli.machine.reference_batch import ReferenceBatch
from ncpu_cli.machine.soft import run as soft
from ncpu_cli.machine.soft.run import SoftBatch

CONFIG = MachineConfig(mem_words=256, max_cycles=100, addressing="hard")


def _case(program: str, name: str) -> dict:
    return next(c for c in EXPECTED[program] if c["name"] == name)


# (program, expected.yaml case); under CONFIG's 100 cycles the collatz case times out
# (its own limit) and the others stop as expected.yaml says
CASES = [
    ("factorial", "5! = 120"),
    ("jumptable", "add on an empty stack pops past memory"),
    ("gcd", "gcd(17, 0) = 17"),
    ("collatz", "too few cycles"),
    ("jumptable", "unknown command"),
]


def _batch(cases=CASES, **kw) -> tuple[SoftBatch, list, list]:
    images = [image(p) for p, _ in cases]
    inputs = [case_input(_case(p, n)) for p, n in cases]
    return SoftBatch(images[0], CONFIG, inputs, images=images, **kw), images, inputs


def test_results_are_expected_yamls_and_the_whole_runs():
    machine, images, inputs = _batch(with_mem=True)
    machine.prepare()
    machine.run()
    got = list(machine.results(with_mem=True))
    assert [r.index for r in got] == list(range(len(CASES)))
    for (p, n), r in zip(CASES, got, strict=True):
        check_expectation(r, _case(p, n)["expected"], f"{p}: {n}")
    for r, im, inp in zip(got, images, inputs):
        assert_same(r, run_reference(im, CONFIG, inp, index=r.index), "SoftBatch")
    whole = soft.run(images, CONFIG, inputs, with_mem=True)
    assert [(r.to_json(), r.mem) for r in got] == [(r.to_json(), r.mem) for r in whole]
    assert [r.to_json() for r in machine.results(indices=[3, 0])] == [
        whole[3].to_json(), whole[0].to_json()]


def test_summary_counts_the_outcomes_as_the_reference_does():
    machine, images, inputs = _batch()
    machine.run()
    summary = machine.summary()
    assert {k: summary[k] for k in ("count", "halted", "fault", "timeout", "running")} == {
        "count": 5, "halted": 3, "fault": 1, "timeout": 1, "running": 0}
    oracle = ReferenceBatch(images[0], CONFIG, inputs, images=images)
    oracle.run()
    assert summary == oracle.summary()
    assert summary["cycles_max"] == 100  # the collatz case ran to the limit


def test_chunks_give_the_same_results_and_report_progress():
    whole, _, _ = _batch()
    whole.run()
    calls = []
    parts, _, _ = _batch(chunk=2)
    parts.run(progress=lambda cycles, running: calls.append(running))
    assert [r.to_json() for r in parts.results()] == [r.to_json() for r in whole.results()]
    assert calls and calls[-1] == 0 and max(calls) > 2  # later chunks count as running


def test_a_sweep_presets_one_register_per_program():
    base = ProgramInput(set={1: 9})  # the sweep's register wins over the preset
    values = list(range(8))
    machine = SoftBatch(image("factorial"), CONFIG, [base] * len(values), sweep=(1, values))
    machine.run()
    assert [r.out for r in machine.results()] == [[math.factorial(n)] for n in values]
    with pytest.raises(RunError, match="sweep values"):
        SoftBatch(image("factorial"), CONFIG, [base] * 3, sweep=(1, [1, 2]))


def test_first_faults_are_the_faulting_indices_in_order():
    halts, faults = CASES[0], CASES[1]
    machine, _, _ = _batch([halts, faults, halts, faults, faults, halts], chunk=4)
    machine.run()
    assert machine.first_faults(2) == [1, 3]
    assert machine.first_faults(10) == [1, 3, 4]
    assert machine.first_faults(0) == []
    assert machine.summary()["fault"] == 3


def test_memory_is_kept_only_when_asked_for():
    machine, images, inputs = _batch()
    machine.run()
    assert all(r.mem is None for r in machine.results())
    with pytest.raises(RunError, match="with_mem=True"):
        next(machine.results(with_mem=True))
    kept, _, _ = _batch(with_mem=True)
    kept.run()
    for r, im, inp in zip(kept.results(with_mem=True), images, inputs):
        assert r.mem == run_reference(im, CONFIG, inp).mem
    assert all(r.mem is None for r in kept.results())


def test_step_stops_part_way_then_run_finishes():
    machine, images, inputs = _batch(with_mem=True)
    machine.step(3)
    part = list(machine.results())
    assert [r.status for r in part] == ["running"] * len(CASES)
    assert [r.cycles for r in part] == [3] * len(CASES)
    machine.run()
    for r, im, inp in zip(machine.results(with_mem=True), images, inputs):
        assert_same(r, run_reference(im, CONFIG, inp, index=r.index), "after step")


def test_bytes_needed_grows_with_the_batch_and_the_float_width():
    need = SoftBatch.bytes_needed
    assert 0 < need(1, CONFIG, 0) < need(10, CONFIG, 0) < need(10, CONFIG, 100)
    assert need(10, replace(CONFIG, dtype="float32"), 0) < need(10, CONFIG, 0)


def test_the_whole_run_of_no_programs_is_empty_but_a_batch_needs_one():
    assert soft.run(image("factorial"), CONFIG, []) == []
    with pytest.raises(RunError, match="at least one program"):
        SoftBatch(image("factorial"), CONFIG, [])
