"""The executor contract of ncpu_cli/machine/README.md, for every registered engine.

Each engine of the registry has the batch machine class and the whole-run function the
contract names, and, run through `run_batch` the way `ncpu run` runs it, gives the
results programs/expected.yaml states (mathematics and published check values, not our
own output) for every case, in one batch per run limit with an image per program.
The Triton engine runs here only under TRITON_INTERPRET=1 (tests/test_triton.py);
the soft engine at the hard limit on the cases that finish quickly.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest
from program_cases import EXPECTED, LIMITS, case_input, image
from test_exact_programs import check_expectation

from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import Batch
from ncpu_cli.run.batch import run_batch
from ncpu_cli.run.choice import ENGINES as ENGINE_NAMES
from ncpu_cli.run.choice import choose_engine
from ncpu_cli.run.engines import ALIASES, ENGINES, engine
from ncpu_cli.run.programs import MultiBatch, Program, Segment

METHODS = ("prepare", "run", "step", "results", "summary", "first_faults")
SOFT_MAX_CYCLES = 400  # soft runs only the cases that need fewer cycles (hard addressing)


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_engine_has_the_contracts_class_and_run_function(name):
    spec = ENGINES[name]
    module = importlib.import_module(spec.module)
    cls = getattr(module, spec.cls)
    for method in METHODS:
        assert callable(getattr(cls, method, None)), f"{spec.cls}.{method}"
    assert list(inspect.signature(cls.bytes_needed).parameters) == [
        "batch", "config", "max_input"]
    init = list(inspect.signature(cls.__init__).parameters)
    assert init[1:4] == ["image", "config", "inputs"] and {"images", "sweep"} <= set(init)
    whole = inspect.signature(module.run).parameters
    assert list(whole)[:3] == ["images", "config", "inputs"]
    assert {"with_mem", "progress"} <= set(whole)


def test_the_command_line_offers_every_registered_exact_engine():
    assert set(ENGINE_NAMES) == {"auto", *ENGINES, *ALIASES} - {"soft"}
    for alias, target in ALIASES.items():
        assert engine(alias) is ENGINES[target]
        assert choose_engine(alias, "exact", "cpu", 1) == target
    assert choose_engine("auto", "soft", "cpu", 1) == "soft"


def _groups():
    """expected.yaml cases grouped by run limits: {limits: [(label, name, case)]}."""
    groups: dict[tuple, list] = {}
    for name, cases in EXPECTED.items():
        for k, case in enumerate(cases):
            limits = tuple((key, case[key]) for key in LIMITS if key in case)
            groups.setdefault(limits, []).append((f"{name}-{k} {case.get('name')}", name, case))
    return groups


def _multi(members) -> MultiBatch:
    names = sorted({name for _, name, _ in members})
    programs = tuple(Program(n, image(n)) for n in names)
    segments = tuple(Segment(names.index(name), Batch(records=(case_input(case),)))
                     for _, name, case in members)
    return MultiBatch(programs, segments)


@pytest.mark.parametrize("name", ["reference", "native", "torch", "soft"])
def test_every_engine_gives_the_expected_results_through_run_batch(name):
    if ENGINES[name].unavailable():
        pytest.skip(f"engine {name} is not available here: {ENGINES[name].unavailable()}")
    checked = 0
    for limits, members in _groups().items():
        config = MachineConfig(**dict(limits))
        if name == "soft":  # the soft machine's cost grows with every cycle: short cases
            quick = [m for m in members if m[2]["expected"].get("status") == "halted"
                     and m[1] in ("factorial", "gcd", "fib", "string_reverse")]
            config = MachineConfig(**{**dict(limits), "max_cycles": SOFT_MAX_CYCLES})
            members = quick
        if not members:
            continue
        batch = _multi(members)
        outcome = run_batch(image(members[0][1]), config, batch, name,
                            mode="soft" if name == "soft" else "exact")
        assert outcome.engine == name and outcome.count == len(members)
        results = list(outcome.results())
        for (label, _, case), r in zip(members, results, strict=True):
            want = case["expected"]
            if name == "soft" and r.status == "timeout":
                continue  # needs more than SOFT_MAX_CYCLES cycles; other tests run it long
            check_expectation(r, want, f"{name}: {label}")
            checked += 1
        summary = outcome.summary
        assert summary["count"] == len(members)
        assert sum(summary[k] for k in ("halted", "fault", "timeout", "running")) == len(members)
        assert summary["cycles_total"] == sum(r.cycles for r in results)
        faults = [r.index for r in results if r.status == "fault"]
        assert outcome.first_faults(len(members)) == faults
    assert checked >= (5 if name == "soft" else 40), checked


# one program writes a word every 3 cycles (its output buffer must grow part-way), one
# spins without output: step(n) must leave both at exactly n cycles
CHATTY = "loop:   out r1\n        addi r1, r1, 1\n        jal r0, loop\n"
SILENT = "spin:   jal r0, spin\n"


def check_step_is_exact(name: str, steps=(5, 300, 1000), config=None) -> None:
    """`step(n)` on engine `name` advances every running program by exactly n cycles,
    whichever of them needs more output room on the way; the states match the reference
    interpreter stepped the same way."""
    from ncpu_cli.asm import assemble
    from ncpu_cli.machine.inputs import ProgramInput

    config = config or MachineConfig(mem_words=64, max_cycles=10**6, max_out=4096)
    images = [assemble(CHATTY, "chatty.s"), assemble(SILENT, "silent.s"),
              assemble(CHATTY, "chatty.s")]
    inputs = [ProgramInput(set={1: 7})] * len(images)
    m = ENGINES[name].machine_class()(images[0], config, inputs, images=images)
    ref = ENGINES["reference"].machine_class()(images[0], config, inputs, images=images)
    m.prepare()
    done = 0
    for n in steps:
        m.step(n)
        ref.step(n)
        done += n
        got, want = list(m.results()), list(ref.results())
        assert [r.cycles for r in got] == [done] * len(images), (name, n)
        plain = [dataclasses.replace(r, extra={}) for r in got]  # soft adds its deviation
        assert plain == want, (name, n)


@pytest.mark.parametrize("name", ["reference", "native", "torch", "soft"])
def test_step_n_is_exactly_n_cycles_on_every_engine(name):
    if ENGINES[name].unavailable():
        pytest.skip(f"engine {name} is not available here: {ENGINES[name].unavailable()}")
    if name == "soft":  # hard addressing: the soft machine steps like the others
        check_step_is_exact(name, steps=(5, 40), config=MachineConfig(
            mem_words=16, max_cycles=10**6, max_out=64, addressing="hard"))
    else:
        check_step_is_exact(name)


@pytest.mark.parametrize("name", ["reference", "native", "torch", "soft"])
def test_a_batch_is_the_inputs_sequence_the_contract_takes(name):
    """`inputs` may be an inputs.Batch as it is (a sweep here, 5 programs)."""
    from ncpu_cli.machine.inputs import ProgramInput, Sweep

    if ENGINES[name].unavailable():
        pytest.skip(f"engine {name} is not available here: {ENGINES[name].unavailable()}")
    batch = Batch(ProgramInput(set={2: 18}), sweep=Sweep(1, range(12, 17)))
    m = ENGINES[name].machine_class()(image("gcd"), MachineConfig(max_cycles=5000), batch)
    m.prepare()
    m.run()
    outs = [r.out for r in m.results()]
    assert outs == [[6], [1], [2], [3], [2]]  # gcd(12..16, 18)
