"""The native engine (numba) against the reference interpreter and against facts of ISA.md:
every case of programs/expected.yaml, generated inputs, sweeps and Batch kinds, every
fault reason, cycle limits, streams, self-modifying code, resumed chunks, output growth."""

from __future__ import annotations

import random

import pytest
from exact_common import assert_same, describe
from progen_cases import gen_batch
from program_cases import EXPECTED, LIMITS, NAMES, case_input, image
from test_exact_programs import check_expectation

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact import native
from ncpu_cli.machine.inputs import Batch, ProgramInput, Sweep
from ncpu_cli.machine.reference import ReferenceMachine, run_reference

ISA = load_isa()
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def w(name, rd=0, ra=0, rb=0, imm=0):
    return ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)


def cfg(**kw):
    return MachineConfig(**{"mem_words": 64, "max_cycles": 2000, "max_out": 64, **kw})


def check_native(config, images, inputs, machine=None):
    """images[i] with inputs[i]: one native batch, every field against the reference."""
    if machine is None:
        machine = native.NativeMachine(images[0], config, inputs, images=images)
    machine.run()
    got = list(machine.results(with_mem=True))
    for i, (im, inp) in enumerate(zip(images, inputs)):
        assert_same(got[i], run_reference(im, config, inp, index=i), describe(im, inp, config))
    return got


def one(words, config=None, inp=ProgramInput(), entry=0):
    """Run one program natively (memory included), checked against the reference too."""
    config = config or cfg()
    return check_native(config, [Image(list(words), entry=entry)], [inp])[0]


# ---------------------------------------------------------------- programs/


def test_expected_yaml_cases_in_one_batch_per_limit():
    groups: dict[tuple, list] = {}
    for name, cases in EXPECTED.items():
        for k, case in enumerate(cases):
            limits = tuple((key, case[key]) for key in LIMITS if key in case)
            groups.setdefault(limits, []).append((f"{name}-{k} {case.get('name')}", name, case))
    assert sum(len(m) for m in groups.values()) >= len(EXPECTED)
    for limits, members in groups.items():
        config = MachineConfig(**dict(limits))
        images = [image(name) for _, name, _ in members]
        inputs = [case_input(case) for _, _, case in members]
        for r, (label, _, case) in zip(check_native(config, images, inputs), members):
            check_expectation(r, case["expected"], label)


@pytest.mark.parametrize("name", NAMES)
def test_program_on_generated_inputs(name):
    rng = random.Random("native-" + name)
    edges = [0, 1, 2, 3, 5, 7, 10, 13, 31, 100, -1, -7, INT_MAX, INT_MIN]

    def word():
        return (rng.choice(edges) if rng.random() < 0.5 else rng.randint(-300, 300)) % 2**32

    inputs = [ProgramInput(set={1: word(), 2: word()},
                           input=tuple(rng.randint(0, 255) if rng.random() < 0.7 else word()
                                       for _ in range(rng.randint(0, 9))))
              for _ in range(24)]
    im = image(name)
    check_native(MachineConfig(max_cycles=4000, max_out=64), [im] * len(inputs), inputs)


def test_sweep_and_every_batch_kind():
    name = "collatz" if "collatz" in NAMES else NAMES[0]
    im, config = image(name), MachineConfig(max_cycles=3000)
    base = ProgramInput(set={2: 9}, input=(4, 5))
    sweep = Sweep(1, range(-3, 130, 2))
    kinds = {
        "sweep": Batch(base, sweep=sweep),
        "copies": Batch(base, copies=5),
        "records": Batch(base, records=(ProgramInput(set={1: 27}), base, ProgramInput())),
    }
    for kind, batch in kinds.items():
        m = native.NativeMachine(im, config, **batch.machine_args())
        check_native(config, [im] * len(batch), list(batch), machine=m)
        assert m.summary()["count"] == len(batch), kind


# ---------------------------------------------------------------- ISA facts


def test_every_fault_reason_and_where_it_stops():
    illegal = next(c for c in range(64) if c not in ISA.by_code)
    op = ISA.fields["op"]
    r = one([w("li", 1, imm=3), op.put(illegal)])
    assert (r.status, r.reason, r.pc, r.cycles) == ("fault", "opcode", 1, 2)
    r = one([w("li", 1, imm=-1), w("ld", 2, 1, imm=0)])  # address 2^32 - 1
    assert (r.status, r.reason, r.pc, r.cycles) == ("fault", "address", 1, 2)
    r = one([w("st", ra=0, rb=1, imm=64)])
    assert (r.status, r.reason) == ("fault", "address")
    r = one([w("li", 1, imm=5)] + [w("add", 0, 0, 0)] * 62 + [w("addi", 2, 1, imm=1)])
    assert (r.status, r.reason, r.pc, r.cycles, r.regs[2]) == ("fault", "target", 63, 64, 0)
    r = one([w("jal", 14, imm=64)])
    assert (r.status, r.reason, r.regs[14]) == ("fault", "target", 0)  # no link written
    r = one([w("li", 1, imm=9), w("out", ra=1), w("out", ra=1), w("halt")], cfg(max_out=1))
    assert (r.status, r.reason, r.pc, r.out) == ("fault", "output-full", 2, [9])
    r = one([w("ld", 1, 0, imm=100)] + [w("halt")] * 62 + [w("ld", 1, 0, imm=100)], entry=63)
    assert (r.status, r.reason, r.pc) == ("fault", "address", 63)  # address before target


def test_alu_edges_follow_isa_md():
    def value(op, a, b):
        words = [w("lui", 1, imm=(a % 2**32) >> 10), w("ori", 1, 1, imm=(a % 2**32) & 0x3FF),
                 w("lui", 2, imm=(b % 2**32) >> 10), w("ori", 2, 2, imm=(b % 2**32) & 0x3FF),
                 w(op, 3, 1, 2), w("halt")]
        return one(words).regs[3]

    assert value("div", INT_MIN, -1) == INT_MIN
    assert value("div", 7, 0) == -1 and value("rem", 7, 0) == 7
    assert value("rem", INT_MIN, -1) == 0
    assert value("div", -7, 2) == -3 and value("rem", -7, 2) == -1 and value("rem", 7, -2) == 1
    assert value("mul", 0x10000, 0x10000) == 0 and value("mul", INT_MAX, 2) == -2
    assert value("add", INT_MAX, 1) == INT_MIN and value("sub", INT_MIN, 1) == INT_MAX
    assert value("sar", -8, 1) == -4 and value("shr", -1, 28) == 15
    assert value("shl", 1, 33) == 2 and value("shl", 3, 31) == INT_MIN
    assert value("slt", -1, 1) == 1 and value("sltu", -1, 1) == 0


def test_streams_r0_and_wrapping_addresses():
    words = [w("in", 0), w("in", 1), w("in", 2), w("in", 3), w("out", ra=1), w("halt")]
    r = one(words, inp=ProgramInput(input=(5, 6)))
    assert r.regs[:4] == [0, 6, 0, 0] and r.eof and r.out == [6]  # `in r0` consumed the 5
    r = one(words, inp=ProgramInput(input=(5, 6, 7, 8)))
    assert r.regs[1:4] == [6, 7, 8] and not r.eof
    r = one([w("li", 1, imm=-1), w("ld", 2, 1, imm=1), w("li", 0, imm=4), w("halt")])
    assert r.regs[2] == w("li", 1, imm=-1) - 2**32 * (w("li", 1, imm=-1) >= 2**31)
    assert r.regs[0] == 0
    r = one([w("halt")], inp=ProgramInput(set={0: 7, 3: 2**32 - 1}))
    assert r.regs[0] == 0 and r.regs[3] == -1 and r.regs[15] == 64  # sp = N at reset


def test_cycle_limit():
    spin = [w("addi", 1, 1, imm=1), w("jal", 0, imm=0)]
    r = one(spin, cfg(max_cycles=7))
    assert (r.status, r.cycles, r.pc, r.regs[1]) == ("timeout", 7, 1, 4)
    r = one(spin, cfg(max_cycles=0))
    assert (r.status, r.cycles, r.pc, r.regs[1]) == ("timeout", 0, 0, 0)
    r = one([w("add", 0, 0, 0)] * 4 + [w("halt")], cfg(max_cycles=5))
    assert (r.status, r.cycles) == ("halted", 5)  # halt as the max_cycles-th instruction


def test_self_modifying_code():
    new = w("li", 3, imm=42)
    words = [w("lui", 4, imm=new >> 10), w("ori", 4, 4, imm=new & 0x3FF),
             w("st", ra=0, rb=4, imm=4), w("add", 0, 0, 0), w("halt"), w("halt")]
    r = one(words)
    assert r.regs[3] == 42 and r.mem[4] == new - 2**32 * (new >= 2**31) and r.pc == 5


def test_long_output_grows_the_buffer():
    count = [w("addi", 2, 2, imm=1), w("out", ra=2), w("bne", ra=2, rb=1, imm=0), w("halt")]
    inp = ProgramInput(set={1: 5000})
    r = one(count, cfg(max_out=5000, max_cycles=10**6), inp)
    assert r.status == "halted" and r.out == list(range(1, 5001))
    r = one(count, cfg(max_out=4999, max_cycles=10**6), inp)
    assert (r.status, r.reason, len(r.out)) == ("fault", "output-full", 4999)


# ---------------------------------------------------------------- chunks and resumes


@pytest.mark.parametrize("budget", [1, 3, 17])
def test_tiny_chunks_resume_exactly(monkeypatch, budget):
    """Each program stopped and resumed every `budget` cycles gives the same results."""
    monkeypatch.setattr(native, "CHUNK_INSTRUCTIONS", 1)
    monkeypatch.setattr(native, "MIN_BUDGET", budget)
    b = gen_batch(random.Random(budget), 40)
    calls = []
    m = native.NativeMachine(b.images[0], b.config, b.inputs, images=b.images)
    m.run(progress=lambda cycles, running: calls.append((cycles, running)))
    check_native(b.config, b.images, b.inputs, machine=m)
    if calls:
        assert calls[-1][1] == 0 and [c for c, _ in calls] == sorted(c for c, _ in calls)


def test_run_for_some_cycles_then_on():
    name = "collatz" if "collatz" in NAMES else NAMES[0]
    im, config = image(name), MachineConfig(max_cycles=5000)
    inp = ProgramInput(set={1: 27})
    m = native.NativeMachine(im, config, [inp])
    ref = ReferenceMachine(im, config, inp)
    for k in (1, 5, 40):
        m.run(cycles=k)
        for _ in range(k):
            ref.step()
        assert_same(next(m.results(with_mem=True)), ref.result())
    m.run()
    ref.run()
    assert_same(next(m.results(with_mem=True)), ref.result())


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, message", [
    (dict(image=Image([0] * 70)), "does not fit"),
    (dict(image=Image([0], entry=64)), "entry point"),
    (dict(inputs=[ProgramInput(), ProgramInput(mem={64: 1})]), "program 1: memory patch at 64"),
    (dict(inputs=[ProgramInput(set={16: 1})]), "no register r16"),
    (dict(inputs=[]), "at least one program"),
    (dict(config=cfg(mem_words=8)), "memory size"),
    (dict(config=cfg(max_out=-1)), "max_out"),
])
def test_run_errors(kwargs, message):
    args = dict(image=Image([0]), config=cfg(), inputs=[ProgramInput()]) | kwargs
    with pytest.raises(RunError, match=message):
        native.run(args["image"], args["config"], args["inputs"])


def test_per_program_image_errors_name_the_program():
    with pytest.raises(RunError, match=r"program 1"):
        native.NativeMachine(Image([0]), cfg(), [ProgramInput()] * 2,
                             images=[Image([0]), Image([0] * 65)])
    with pytest.raises(RunError, match="2 images for 3 programs"):
        native.NativeMachine(Image([0]), cfg(), [ProgramInput()] * 3,
                             images=[Image([0])] * 2)


def test_compile_info_after_warm_up():
    info = native.warm_up()
    assert info["seconds"] > 0 and isinstance(info["from_cache"], bool)
