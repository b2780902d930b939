"""Steps built without some optional features (exact_tables.FEATURES: div/rem, input,
output): which a run gets, and the restart with every feature when a program reaches an
instruction that needs one left out (code it wrote itself, or a forced feature set)."""

from __future__ import annotations

import os
import random

import pytest
from exact_common import assert_same, check_batch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from progen import random_batches
from program_cases import EXPECTED, LIMITS, case_input, image

from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.exact import tables as xt
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

ISA = load_isa()
EVERY = frozenset(xt.FEATURES)


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


WRITTEN = {  # feature -> the instruction the program writes and runs
    "div": w("div", 3, 1, 2),
    "in": w("in", 3),
    "out": w("out", ra=1),
}


def test_features_come_from_every_word_of_the_images_and_patches():
    plain = Image([w("li", 1, imm=3), w("halt")])
    assert ExactMachine(plain, cfg(), [ProgramInput()]).features == frozenset()
    data = Image([w("halt"), WRITTEN["div"]])  # a data word that reads as div counts
    assert ExactMachine(data, cfg(), [ProgramInput()]).features == {"div"}
    patched = ProgramInput(mem={9: WRITTEN["out"]})
    assert ExactMachine(plain, cfg(), [ProgramInput(), patched]).features == {"out"}
    both = ExactMachine(plain, cfg(), [ProgramInput()] * 2,
                        images=[plain, Image([w("in", 1), w("rem", 1, 1, 1)])])
    assert both.features == {"div", "in"}


@pytest.mark.parametrize("feature", sorted(WRITTEN))
def test_written_instruction_needing_a_feature_left_out_restarts_the_run(feature):
    prog = self_writing(WRITTEN[feature])
    inputs = [ProgramInput(input=(7, 8)), ProgramInput(set={6: 3}), ProgramInput()]
    images = [prog, prog, Image([w("li", 1, imm=2), w("addi", 1, 1, imm=-1),
                                 w("bne", ra=1, rb=0, imm=1), w("halt")])]
    m = ExactMachine(prog, cfg(), inputs, images=images)
    assert feature not in m.features
    got = check_batch(cfg(), images, inputs, machine=m)
    assert m.restarts == 1 and m.features == EVERY
    assert got[0].status == "halted"
    if feature == "div":
        assert got[0].regs[3] == 16  # 84 / 5
    if feature == "in":
        assert got[0].regs[3] == 7 and got[1].eof
    if feature == "out":
        assert got[0].out == [84]


def test_restart_in_the_last_chunk_before_the_cycle_limit():
    """The pause lands in the chunk that reaches max_cycles: no timeout is recorded
    before the run starts again."""
    prog = self_writing(WRITTEN["out"])
    for limit in (5, 6, 7, 8):
        m = ExactMachine(prog, cfg(max_cycles=limit), [ProgramInput()])
        check_batch(cfg(max_cycles=limit), [prog], [ProgramInput()], machine=m)
        assert m.restarts == (1 if limit >= 7 else 0)


def test_step_by_step_across_a_restart_matches_the_reference_after_each_cycle():
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
    assert m.restarts == 1


COUNT_THEN_DIV = [  # prints 0..r6-1, then writes a div and runs it (at 10), then halts
    w("li", 1, imm=0), w("out", ra=1), w("addi", 1, 1, imm=1), w("bne", ra=1, rb=6, imm=1),
    w("li", 1, imm=84), w("li", 2, imm=5),
    w("lui", 4, imm=WRITTEN["div"] >> 10), w("ori", 4, 4, imm=WRITTEN["div"] & 0x3FF),
    w("st", ra=0, rb=4, imm=10), w("li", 5, imm=1),
    w("halt"),  # 10: the slot
    w("halt"),
]


def test_restart_after_many_chunks_with_a_grown_output_buffer():
    """A pause some thousand cycles in, after 300 output words (the buffer grew), through
    run(cycles=...) and a progress callback: the count starts again from 0 once, and every
    result still matches the reference."""
    prog = Image(COUNT_THEN_DIV)
    config = cfg(max_cycles=5000, max_out=1000)
    inputs = [ProgramInput(set={6: 300}), ProgramInput(set={6: 250}), ProgramInput(set={6: 400})]
    m = ExactMachine(prog, config, inputs, shards=2)
    assert m.features == {"out"}
    m.run(cycles=600)
    assert m.steps == 600 and m.restarts == 0  # no program reached the div yet
    seen = [m.steps]
    m.run(progress=lambda cycles, running: seen.append(cycles))
    assert m.restarts == 1 and m.features == EVERY
    drops = [k for k in range(1, len(seen)) if seen[k] < seen[k - 1]]
    assert len(drops) == 1 and seen[drops[0]] == 0, seen
    got = check_batch(config, [prog] * 3, inputs, machine=m)
    assert got[0].out == list(range(300)) and got[0].regs[3] == 16
    assert got[2].out == list(range(400))


def test_every_program_case_with_no_feature_built_in():
    """programs/ (all of them use out, some div and in) on a step forced to start with no
    optional feature: a run that reaches one of those starts again, and every result
    still matches the reference."""
    groups: dict[tuple, list] = {}
    for name, cases in EXPECTED.items():
        for case in cases:
            limits = tuple((key, case[key]) for key in LIMITS if key in case)
            groups.setdefault(limits, []).append((name, case))
    for limits, members in groups.items():
        config = MachineConfig(**dict(limits))
        images = [image(name) for name, _ in members]
        inputs = [case_input(case) for _, case in members]
        m = ExactMachine(images[0], config, inputs, images=images, features=())
        got = check_batch(config, images, inputs, machine=m)
        if any(r.out for r in got):  # an `out` ran, so the run started again
            assert m.restarts == 1 and m.features == EVERY


@settings(max_examples=max(1, int(os.environ.get("NCPU_FUZZ_EXAMPLES", "2000")) // 200),
          deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=random_batches(50), features=st.sets(st.sampled_from(xt.FEATURES)),
       shards=st.sampled_from([1, 2]))
def test_random_batches_on_any_forced_feature_set_match_reference(batch, features, shards):
    config, images, inputs = batch
    m = ExactMachine(images[0], config, inputs, images=images, features=features,
                     shards=shards)
    check_batch(config, images, inputs, machine=m)
    # a restart builds every feature in; with every feature built in, nothing pauses
    assert m.features == EVERY if m.restarts else m.features == frozenset(features)
    if frozenset(features) == EVERY:
        assert m.restarts == 0


def test_unknown_feature_is_refused():
    with pytest.raises(ValueError, match="unknown step features"):
        ExactMachine(Image([w("halt")]), cfg(), [ProgramInput()], features=("fpu",))


def test_pause_rows_only_for_features_left_out():
    rows = xt.opcode_rows(features=frozenset({"in"}))
    paused = {code for code, r in enumerate(rows) if r.csel == "pause2"}
    want = {op.opcode for op in ISA.ops if op.cls == "out" or op.fn in ("div", "rem")}
    assert paused == want
    assert not any(r.csel == "pause2" for r in xt.opcode_rows())
    rng = random.Random(3)
    codes = [rng.randrange(64) for _ in range(20)]
    assert xt.features_of(codes) == frozenset().union(*(xt.needs(xt.opcode_rows()[c])
                                                         for c in codes))
