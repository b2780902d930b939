"""Programs that write an instruction and then run it (div, in, out built from lui + ori
and stored into a halt slot), on the torch engine against the reference: run to the
end, cycle by cycle, and after many chunks with a grown output buffer."""

from __future__ import annotations

import pytest
from exact_common import assert_same, check_batch

from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

ISA = load_isa()


def w(name, rd=0, ra=0, rb=0, imm=0):
    return ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)


def self_writing(word: int) -> Image:
    """Builds `word` in r4 with lui + ori (neither instruction word has its opcode), stores
    it into the slot at 6 (a halt until then), runs it, halts."""
    return Image([
        w("li", 1, imm=84), w("li", 2, imm=5),
        w("lui", 4, imm=word >> 10), w("ori", 4, 4, imm=word & 0x3FF),
        w("st", ra=0, rb=4, imm=6), w("li", 5, imm=1),
        w("halt"),  # 6: the slot
        w("halt"),
    ])


def cfg(**kw):
    return MachineConfig(**{"mem_words": 64, "max_cycles": 500, "max_out": 16, **kw})


WRITTEN = {"div": w("div", 3, 1, 2), "in": w("in", 3), "out": w("out", ra=1)}

# prints 0..r6-1, then writes a div and runs it (at 10), then halts
COUNT_THEN_DIV = [
    w("li", 1, imm=0), w("out", ra=1), w("addi", 1, 1, imm=1), w("bne", ra=1, rb=6, imm=1),
    w("li", 1, imm=84), w("li", 2, imm=5),
    w("lui", 4, imm=WRITTEN["div"] >> 10), w("ori", 4, 4, imm=WRITTEN["div"] & 0x3FF),
    w("st", ra=0, rb=4, imm=10), w("li", 5, imm=1),
    w("halt"),  # 10: the slot
    w("halt"),
]


@pytest.mark.parametrize("kind", sorted(WRITTEN))
def test_a_written_instruction_runs(kind):
    prog = self_writing(WRITTEN[kind])
    inputs = [ProgramInput(input=(7, 8)), ProgramInput(set={6: 3}), ProgramInput()]
    images = [prog, prog, Image([w("li", 1, imm=2), w("addi", 1, 1, imm=-1),
                                 w("bne", ra=1, rb=0, imm=1), w("halt")])]
    got = check_batch(cfg(), images, inputs,
                      machine=ExactMachine(prog, cfg(), inputs, images=images))
    assert got[0].status == "halted"
    if kind == "div":
        assert got[0].regs[3] == 16  # 84 / 5
    if kind == "in":
        assert got[0].regs[3] == 7 and got[1].eof
    if kind == "out":
        assert got[0].out == [84]


@pytest.mark.parametrize("limit", [5, 6, 7, 8])
def test_cycle_limits_around_the_written_instruction(limit):
    prog = self_writing(WRITTEN["out"])
    check_batch(cfg(max_cycles=limit), [prog], [ProgramInput()])


def test_cycle_by_cycle_matches_the_reference_after_each_cycle():
    prog = self_writing(WRITTEN["out"])
    m = ExactMachine(prog, cfg(), [ProgramInput()])
    for n in range(1, 10):
        m.step(1)
        assert m.steps == n
        (got,) = m.results(with_mem=True)
        want = run_reference(prog, cfg(max_cycles=n), ProgramInput())
        if want.status == "timeout":  # still running here: the reference stopped it
            assert got.status == "running"
            got.status = "timeout"
        assert_same(got, want, f"after {n} cycles")


def test_many_chunks_with_a_grown_output_buffer():
    """The div is written some thousand cycles in, after 300 output words (the buffer
    grew), through run(cycles=...) and a progress callback."""
    prog = Image(COUNT_THEN_DIV)
    config = cfg(max_cycles=5000, max_out=1000)
    inputs = [ProgramInput(set={6: 300}), ProgramInput(set={6: 250}), ProgramInput(set={6: 400})]
    m = ExactMachine(prog, config, inputs)
    m.run(cycles=600)
    assert m.steps == 600
    seen = [m.steps]
    m.run(progress=lambda cycles, running: seen.append(cycles))
    assert all(a < b for a, b in zip(seen, seen[1:])), seen
    got = check_batch(config, [prog] * 3, inputs, machine=m)
    assert got[0].out == list(range(300)) and got[0].regs[3] == 16
    assert got[2].out == list(range(400))
