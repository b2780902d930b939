"""ExactMachine's API: validation and errors, constructors (copies, sweeps), state views,
results, summary, progress, stepping, output growth, the division edges, wide cycle
counters, the pure cycle, and the tables the step reads from the opcode table."""

from __future__ import annotations

import pytest
import torch
from exact_common import assert_same, check_batch

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact import machine as exact_mod
from ncpu_cli.machine.exact import step as exact_step
from ncpu_cli.machine.exact import tables as xt
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

ISA = load_isa()
INT_MIN = -(2**31)


def w(name, rd=0, ra=0, rb=0, imm=0):
    return ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)


COUNT = Image([w("li", 2, imm=0), w("addi", 2, 2, imm=1), w("out", ra=2),
               w("bne", ra=2, rb=1, imm=1), w("halt")])  # prints 1..r1


def cfg(**kw):
    return MachineConfig(**{"mem_words": 64, "max_cycles": 2000, "max_out": 64, **kw})


# -- validation ------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(image=Image([0] * 70)), "does not fit"),
    (dict(image=Image([0], entry=64)), "entry point"),
    (dict(inputs=[ProgramInput(), ProgramInput(mem={64: 1})]), "program 1: memory patch at 64"),
    (dict(inputs=[ProgramInput(mem={-1: 1})]), "memory patch at -1"),
    (dict(inputs=[ProgramInput(set={16: 1})]), "no register r16"),
    (dict(inputs=[]), "at least one program"),
    (dict(config=cfg(mem_words=8)), "memory size"),
    (dict(config=cfg(device="tpu")), "device"),
])
def test_run_errors(kwargs, message):
    args = dict(image=COUNT, config=cfg(), inputs=[ProgramInput()]) | kwargs
    with pytest.raises(RunError, match=message):
        ExactMachine(args["image"], args["config"], args["inputs"])


def test_per_program_image_errors_name_the_program():
    with pytest.raises(RunError, match=r"program 1"):
        ExactMachine(COUNT, cfg(), [ProgramInput()] * 2, images=[COUNT, Image([0] * 65)])
    with pytest.raises(RunError, match="2 images for 3 programs"):
        ExactMachine(COUNT, cfg(), [ProgramInput()] * 3, images=[COUNT, COUNT])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_gpu():
    with pytest.raises(RunError, match="CUDA requested but no GPU is available"):
        ExactMachine(COUNT, cfg(device="cuda"), [ProgramInput()])
    with pytest.raises(RunError, match="CUDA requested but no GPU is available"):
        ExactMachine(COUNT, cfg(device="cuda:1"), [ProgramInput()])


def test_memory_estimate_and_refusal():
    def need(batch, mem_words, max_out, max_input):
        return ExactMachine.bytes_needed(batch, cfg(mem_words=mem_words, max_out=max_out),
                                         max_input)

    small = need(1024, 1024, 64, 0)
    assert small < need(2048, 1024, 64, 0) and small < need(1024, 4096, 64, 0)
    assert small < need(1024, 1024, 64, 100)
    assert need(10**6, 1024, 4096, 8) > 4 * 10**9  # mem alone is 4 GB
    # 2^22 programs x 65536 words = 1 TiB: refused before anything is allocated
    with pytest.raises(RunError, match=r"(TiB|GiB).*available"):
        ExactMachine(COUNT, cfg(mem_words=65536), [ProgramInput()] * 2**22,
                     sweep=(1, range(2**22)))


def test_allocation_failure_becomes_run_error(monkeypatch):
    def boom(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1 TiB")

    monkeypatch.setattr(exact_mod, "reset_state", boom)
    with pytest.raises(RunError, match="out of memory on cpu.*need about"):
        ExactMachine(COUNT, cfg(), [ProgramInput()])


def test_out_of_memory_while_running_becomes_run_error(monkeypatch):
    m = ExactMachine(COUNT, cfg(), [ProgramInput(set={1: 3})])

    def boom(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1 GiB")

    monkeypatch.setattr(exact_mod, "run_cycles", boom)
    with pytest.raises(RunError, match="out of memory on cpu while running 1 programs"):
        m.run()


# -- constructors ------------------------------------------------------------------------
def test_copies_sweep_and_list_agree():
    values = [0, 1, 5, 2**32 - 1, 3]
    inputs = [ProgramInput(set={1: v}) for v in values]
    a = ExactMachine(COUNT, cfg(max_out=8), inputs)
    b = ExactMachine(COUNT, cfg(max_out=8), [ProgramInput()] * len(values), sweep=(1, values))
    c = ExactMachine(COUNT, cfg(max_out=8), [ProgramInput()] * len(values),
                     sweep=(1, range(len(values))))  # a range is read without a list
    for m in (a, b, c):
        m.run()
    for x, y in zip(a.results(with_mem=True), b.results(with_mem=True)):
        assert_same(x, y)
    assert [r.regs[1] for r in c.results()] == list(range(len(values)))
    d = ExactMachine(COUNT, cfg(), [ProgramInput(set={1: 4})] * 7)
    d.run()
    assert [r.out for r in d.results()] == [[1, 2, 3, 4]] * 7
    with pytest.raises(RunError, match="no register"):
        ExactMachine(COUNT, cfg(), [ProgramInput()], sweep=(16, [1]))
    with pytest.raises(RunError, match="2 sweep values for 1 programs"):
        ExactMachine(COUNT, cfg(), [ProgramInput()], sweep=(1, [1, 2]))


def test_sweep_of_r0_is_ignored_like_a_preset():
    m = ExactMachine(COUNT, cfg(), [ProgramInput(set={1: 2})] * 2, sweep=(0, [5, 6]))
    m.run()
    assert [r.regs[0] for r in m.results()] == [0, 0]


# -- views, results, summary --------------------------------------------------------------
def test_state_views_and_results():
    inputs = [ProgramInput(set={1: k}) for k in (3, 1, 2, 0)]
    m = ExactMachine(COUNT, cfg(max_cycles=100, max_out=4), inputs)
    assert m.mem.shape == (4, 64) and m.regs.shape == (4, 16)
    assert m.status.dtype == torch.int8 and m.status.tolist() == [0] * 4
    assert m.regs[:, 15].tolist() == [64] * 4 and m.regs[:, 1].tolist() == [3, 1, 2, 0]
    m.run()
    # r1 = 0 counts up past 4 words: output-full; others halt
    assert m.status.tolist() == [1, 1, 1, 2] and m.reason.tolist() == [0, 0, 0, 4]
    assert m.out_len.tolist() == [3, 1, 2, 4]
    assert m.cycles.dtype == torch.int64 and m.pc.shape == (4,)
    assert m.first_faults(5) == [3] and m.first_faults(0) == []
    rs = list(m.results(indices=[2, 0]))
    assert [r.index for r in rs] == [2, 0] and rs[0].out == [1, 2] and rs[0].mem is None
    with pytest.raises(IndexError):
        list(m.results(indices=[4]))
    s = m.summary()
    assert (s["count"], s["halted"], s["fault"], s["timeout"], s["running"]) == (4, 3, 1, 0, 0)
    assert s["cycles_total"] == sum(m.cycles.tolist())
    assert s["cycles_min"] == min(m.cycles.tolist()) and s["cycles_max"] == max(m.cycles.tolist())


def test_progress_and_step_then_run():
    inputs = [ProgramInput(set={1: k}) for k in (50, 400)]
    seen = []
    m = ExactMachine(COUNT, cfg(max_out=1000), inputs)
    m.run(progress=lambda done, running: seen.append((done, running)))
    assert seen and seen[-1][1] == 0 and all(a[0] < b[0] for a, b in zip(seen, seen[1:]))
    n = ExactMachine(COUNT, cfg(max_out=1000), inputs)
    n.step(7)
    n.step(100)
    assert n.steps == 107
    n.run()
    for x, y in zip(m.results(with_mem=True), n.results(with_mem=True)):
        assert_same(x, y)


def test_output_buffer_grows_on_demand():
    inputs = [ProgramInput(set={1: k}) for k in (700, 3)]
    config = cfg(max_out=900, max_cycles=5000)
    m = ExactMachine(COUNT, config, inputs)
    assert m.out.shape == (2, 2 * m.chunk) and m.chunk < 700  # starts small
    got = check_batch(config, [COUNT] * 2, inputs, machine=m)
    assert got[0].out == list(range(1, 701))


def test_max_cycles_zero_and_timeouts():
    m = ExactMachine(COUNT, cfg(max_cycles=0), [ProgramInput(set={1: 3})])
    m.run()
    r = next(m.results())
    assert (r.status, r.cycles, r.pc) == ("timeout", 0, 0)
    got = exact_mod.run(COUNT, cfg(max_cycles=5), [ProgramInput(set={1: 3})], with_mem=True)
    assert_same(got[0], run_reference(COUNT, cfg(max_cycles=5), ProgramInput(set={1: 3})))


# -- rarer code paths, against the reference ------------------------------------------------
EDGE = [INT_MIN, -1, 0, 1, 2, -2, 7, -7, 2**31 - 1, 3]
DIVMOD = Image([w("div", 3, 1, 2), w("rem", 4, 1, 2), w("shr", 5, 1, 2), w("sar", 6, 1, 2),
                w("sltu", 7, 1, 2), w("bgeu", ra=1, rb=2, imm=7), w("li", 8, imm=1), w("halt")])
PAIRS = [ProgramInput(set={1: a % 2**32, 2: b % 2**32}) for a in EDGE for b in EDGE]


def test_division_edges():
    check_batch(cfg(), [DIVMOD] * len(PAIRS), PAIRS, machine=ExactMachine(DIVMOD, cfg(), PAIRS))


@pytest.mark.parametrize("mem_words", [64, 65536])
def test_jal_targets_past_every_memory_fault_like_the_reference(mem_words):
    """The step reads jal's unsigned target from the sign-extended li row: targets from
    2^21 up (negative there) must still fault with `target`, like any beyond memory."""
    config = cfg(mem_words=mem_words)
    targets = [mem_words - 1, mem_words, 2**21 - 1, 2**21, 2**21 + 5, 2**22 - 1]
    images = [Image([w("li", 1, imm=3), w("jal", 14, imm=t), w("halt")]) for t in targets]
    got = check_batch(config, images, [ProgramInput()] * len(images))
    assert [r.reason for r in got[1:]] == ["target"] * (len(targets) - 1)
    assert got[0].status != "fault" or got[0].reason != "target"


def test_wide_cycle_counter():
    config = cfg(max_cycles=2**31 + 5)
    m = ExactMachine(COUNT, config, [ProgramInput(set={1: 5})])
    assert m.cycles.dtype == torch.int64
    check_batch(config, [COUNT], [ProgramInput(set={1: 5})], machine=m)


def test_run_takes_one_image_or_one_per_program():
    inputs = [ProgramInput(set={1: 2, 2: 7}), ProgramInput(set={1: 3})]
    one = exact_mod.run(COUNT, cfg(), inputs)
    per = exact_mod.run([DIVMOD, COUNT], cfg(), inputs, with_mem=True)
    assert [r.out for r in one] == [[1, 2], [1, 2, 3]] and one[0].mem is None
    assert per[1].out == [1, 2, 3]
    assert_same(per[0], run_reference(DIVMOD, cfg(), inputs[0]))


def test_cycle_is_pure_and_donating_gives_the_same_state():
    """cycle(s, t) leaves s alone; donate=True writes mem/out in place, same values."""
    inputs = [ProgramInput(set={1: k}) for k in (3, 0, 9)]
    stores = Image([w("addi", 1, 1, imm=1), w("st", ra=0, rb=1, imm=40), w("out", ra=1),
                    w("jal", 0, imm=0)])
    m = ExactMachine(stores, cfg(), inputs)
    t = xt.tables(m.device)
    s = m.state
    before = {k: v.clone() for k, v in s.tensors().items()}
    pure = s
    for _ in range(7):
        pure = exact_step.cycle(pure, t)
    assert all(torch.equal(before[k], v) for k, v in s.tensors().items())  # s untouched
    donated = exact_step.run_cycles(s.replace(mem=s.mem.clone(), out=s.out.clone()), t, 7,
                                    donate=True)
    for k, v in pure.tensors().items():
        assert torch.equal(v, getattr(donated, k)), k
    assert pure.mem[:, 40].tolist() == [5, 2, 11] and pure.out_len.tolist() == [2, 2, 2]
    m.step(7)
    for k, v in pure.tensors().items():
        assert torch.equal(v, getattr(m.state, k)), k


def test_tables_come_from_the_opcode_table():
    rows = xt.opcode_rows()
    assert len(rows) == ISA.fields["op"].mask + 1
    for code, row in enumerate(rows):
        op = ISA.by_code.get(code)
        if op is None:
            assert row.illegal and not (row.writes or row.store or row.isin or row.isout)
            continue
        assert not row.illegal and row.halt == (op.cls == "halt")
        assert row.writes == (op.cls in ("alu", "alui", "li", "lui", "load", "jal", "jalr", "in"))
        assert row.imm == (op.cls in ("alui", "load", "store", "jalr"))
        assert (row.cond in xt.BRANCH_FNS) == (op.cls == "branch")
        assert (row.cond == "always") == (op.cls in ("jal", "jalr"))
        if op.cls in ("alu", "alui"):
            assert row.value == op.fn
        assert row.writes + row.store + row.isout <= 1  # one write per instruction
    t = xt.tables(torch.device("cpu"))
    assert t.select.shape == (len(rows), 3) and t.flags.shape == (len(rows), len(xt.FLAGS))


def test_field_slices_read_the_opcode_tables_fields():
    """The step's decode of a word gives each field as ISA.md reads it."""
    import random

    f = ISA.fields

    def bits(w, name):
        return (w >> f[name].lo) & f[name].mask

    def signed(v, width):
        return v - (1 << width) if v >> (width - 1) else v

    want = {
        "simm": lambda w: signed(bits(w, "imm14"), 14), "li": lambda w: signed(bits(w, "imm22"), 22),
        "uimm": lambda w: bits(w, "imm22"), "op": lambda w: bits(w, "op"),
        "rd": lambda w: bits(w, "rd"), "ra": lambda w: bits(w, "ra"), "rb": lambda w: bits(w, "rb"),
        "btarget": lambda w: bits(w, "imm14"),
    }
    assert set(want) == set(xt.FIELDS)
    rng = random.Random(7)
    words = [0, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF] + [rng.getrandbits(32) for _ in range(500)]
    slices = xt.field_slices()
    signed_words = torch.tensor([signed(x, 32) for x in words], dtype=torch.int32)
    got = exact_step.decode(signed_words, xt.tables(torch.device("cpu")))  # (F, W)
    for i, name in enumerate(xt.FIELDS):
        assert got[i].tolist() == [want[name](x) for x in words], name
        assert [slices[name].read(x) for x in words[:50]] == [want[name](x) for x in words[:50]]
