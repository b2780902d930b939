"""A batch mixing halting, faulting (every reason), timing-out, input-starved and
memory-writing programs gives every program exactly the result it gets alone, in any
order and duplicated; and every result matches the reference."""

from __future__ import annotations

import random

import pytest
from exact_common import assert_same, check_batch

from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.inputs import ProgramInput

ISA = load_isa()
N = 32
CONFIG = MachineConfig(mem_words=N, max_cycles=60, max_out=3)
ILLEGAL = next(c for c in range(ISA.fields["op"].mask + 1) if c not in ISA.by_code)


def w(name, rd=0, ra=0, rb=0, imm=0):
    return ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)


# name -> (words, input, expected (status, reason))
PROGRAMS = {
    "halt": ([w("li", 1, imm=5), w("out", ra=1), w("halt")], (), ("halted", None)),
    "opcode": ([w("li", 1, imm=1), ISA.fields["op"].put(ILLEGAL) | 0x1234, w("halt")], (),
               ("fault", "opcode")),
    "address": ([w("li", 2, imm=9), w("ld", 1, 0, imm=-1), w("halt")], (), ("fault", "address")),
    "store-address": ([w("li", 2, imm=9), w("st", ra=2, rb=2, imm=N), w("halt")], (),
                      ("fault", "address")),
    "target": ([w("li", 2, imm=9), w("jal", 14, imm=N + 3)], (), ("fault", "target")),
    "off-the-end": ([w("jal", 0, imm=N - 2)] + [w("halt")] * (N - 3)
                    + [w("addi", 1, 1, imm=1), w("addi", 1, 1, imm=1)], (), ("fault", "target")),
    "output-full": ([w("out", ra=1), w("addi", 1, 1, imm=1), w("jal", 0, imm=0)], (),
                    ("fault", "output-full")),
    "timeout": ([w("addi", 1, 1, imm=1), w("jal", 0, imm=0)], (), ("timeout", None)),
    "input-starved": ([w("in", 1), w("in", 2), w("in", 3), w("out", ra=1), w("out", ra=3),
                       w("halt")], (7,), ("halted", None)),
    "stores": ([w("li", 1, imm=-3), w("st", ra=0, rb=1, imm=20), w("st", ra=0, rb=1, imm=N - 1),
                w("addi", 15, 15, imm=-1), w("st", ra=15, rb=1, imm=0), w("halt")], (),
               ("halted", None)),
    "self-modify": ([w("ld", 1, 0, imm=4), w("st", ra=0, rb=1, imm=2), w("li", 2, imm=1),
                     w("halt"), w("li", 2, imm=77)], (), ("halted", None)),
}
NAMES = sorted(PROGRAMS)


def image(name):
    return Image(list(PROGRAMS[name][0]))


def program_input(name):
    return ProgramInput(set={1: 10, 5: 2**32 - 1}, input=tuple(PROGRAMS[name][1]))


def alone(name, config=CONFIG):
    m = ExactMachine(image(name), config, [program_input(name)])
    m.run()
    return next(m.results(with_mem=True))


def test_each_program_ends_as_intended_and_matches_reference():
    for name in NAMES:
        r = check_batch(CONFIG, [image(name)], [program_input(name)])[0]
        assert (r.status, r.reason) == PROGRAMS[name][2], name
    assert alone("self-modify").regs[2] == 77
    assert alone("input-starved").eof is True


@pytest.mark.parametrize("seed", range(3))
def test_mixed_batch_equals_alone(seed):
    rng = random.Random(seed)
    names = NAMES * 2 + rng.sample(NAMES, 4)
    rng.shuffle(names)
    solo = {name: alone(name) for name in NAMES}
    m = ExactMachine(image(names[0]), CONFIG, [program_input(n) for n in names],
                     images=[image(n) for n in names])
    m.run()
    for i, (name, r) in enumerate(zip(names, m.results(with_mem=True))):
        want = solo[name]
        want.index = i
        assert_same(r, want, name)
    s = m.summary()
    assert s["count"] == len(names) and s["running"] == 0
    assert s["halted"] + s["fault"] + s["timeout"] == len(names)


def test_one_image_input_dependent_outcomes():
    """One image whose path depends on r1: every outcome in one batch, each equal alone."""
    # dispatch: r1 = k jumps to block k through a table of jal words at 8 + k
    blocks = {
        0: [w("halt")],
        1: [ISA.fields["op"].put(ILLEGAL)],
        2: [w("ld", 3, 0, imm=-5)],
        3: [w("jalr", 14, 1, imm=1000)],
        4: [w("out", ra=1), w("jal", 0, imm=0)],  # output-full (restarts the dispatch)
        5: [w("addi", 4, 4, imm=1), w("jal", 0, imm=0)],  # timeout
        6: [w("in", 4), w("in", 4), w("halt")],  # input exhausted
        7: [w("st", ra=0, rb=1, imm=60), w("halt")],
    }
    code = [w("addi", 2, 1, imm=8), w("jalr", 0, 2, imm=0)] + [0] * 6
    table_at = len(code)
    code += [0] * len(blocks)
    for k, block in blocks.items():
        code[table_at + k] = w("jal", 0, imm=len(code))
        code += block
    config = MachineConfig(mem_words=64, max_cycles=80, max_out=2)
    im = Image(code)
    inputs = [ProgramInput(set={1: k}, input=(3,)) for k in list(blocks) * 3]
    random.Random(5).shuffle(inputs)
    got = check_batch(config, [im] * len(inputs), inputs, machine=ExactMachine(im, config, inputs))
    outcomes = set()
    for i, (inp, r) in enumerate(zip(inputs, got)):
        m = ExactMachine(im, config, [inp])
        m.run()
        solo = next(m.results(with_mem=True))
        solo.index = i
        assert_same(r, solo)
        outcomes.add((r.status, r.reason))
    assert len(outcomes) >= 6


def test_step_in_lockstep_equals_run():
    """step(1) repeatedly (as `ncpu trace` drives it) ends where run() ends."""
    names = NAMES
    def make():
        return ExactMachine(image(names[0]), CONFIG, [program_input(n) for n in names],
                            images=[image(n) for n in names])
    a, b = make(), make()
    a.run()
    pcs = []
    for _ in range(CONFIG.max_cycles + 5):
        b.step(1)
        pcs.append(b.pc.clone())
    assert b.steps == CONFIG.max_cycles
    for x, y in zip(a.results(with_mem=True), b.results(with_mem=True)):
        assert_same(x, y)
    # the pcs stepped through: they moved, ended at the reported pcs, and stood still
    # once every program had stopped (the extra steps past max_cycles)
    final = [r.pc for r in a.results()]
    assert len({tuple(p.tolist()) for p in pcs}) > 1
    assert pcs[-1].tolist() == final
    assert all(p.tolist() == final for p in pcs[CONFIG.max_cycles - 1 :])
