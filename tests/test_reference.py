"""The reference interpreter against ISA.md, one opcode and one edge case at a time.

Programs are built from words with `Isa.encode` (no assembler). Expected values
are hand-derived or come from the small Python model below, which is written
independently of the interpreter (different formulas for the same semantics).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import ReferenceMachine, run_reference

ISA = load_isa()
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def w(name, rd=0, ra=0, rb=0, imm=0):
    return ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)


HALT = w("halt")


def run(words, regs=None, inp=(), mem=None, n=64, max_cycles=1000, max_out=64, entry=0):
    cfg = MachineConfig(mem_words=n, max_cycles=max_cycles, max_out=max_out)
    pi = ProgramInput(set={k: v % 2**32 for k, v in (regs or {}).items()},
                      input=tuple(v % 2**32 for v in inp),
                      mem=dict(mem or {}))
    return run_reference(Image(list(words), entry=entry), cfg, pi)


def wrap(x):  # the model's own signed 32-bit wrap
    x %= 2**32
    return x - 2**32 if x >= 2**31 else x


def tdiv(a, b):  # C division on Python ints: floor, then fix toward zero
    q = a // b
    if q < 0 and q * b != a:
        q += 1
    return q


MODEL = {
    "add": lambda a, b: wrap(a + b),
    "sub": lambda a, b: wrap(a - b),
    "mul": lambda a, b: wrap(a * b),
    "div": lambda a, b: -1 if b == 0 else wrap(tdiv(a, b)),
    "rem": lambda a, b: a if b == 0 else wrap(a - b * tdiv(a, b)),
    "and": lambda a, b: wrap((a % 2**32) & (b % 2**32)),
    "or": lambda a, b: wrap((a % 2**32) | (b % 2**32)),
    "xor": lambda a, b: wrap((a % 2**32) ^ (b % 2**32)),
    "shl": lambda a, b: wrap(a * 2 ** (b % 32)),
    "shr": lambda a, b: wrap((a % 2**32) // 2 ** (b % 32)),
    "sar": lambda a, b: a // 2 ** (b % 32),
    "slt": lambda a, b: int(a < b),
    "sltu": lambda a, b: int(a % 2**32 < b % 2**32),
}
BRANCH_MODEL = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
    "ltu": lambda a, b: a % 2**32 < b % 2**32,
    "geu": lambda a, b: a % 2**32 >= b % 2**32,
}
ALU_OPS = [o for o in ISA.ops if o.cls == "alu"]
ALUI_OPS = [o for o in ISA.ops if o.cls == "alui"]
BRANCH_OPS = [o for o in ISA.ops if o.cls == "branch"]
words32 = st.integers(INT_MIN, INT_MAX)
edge32 = st.sampled_from([0, 1, -1, 2, 31, 32, 33, INT_MIN, INT_MAX, INT_MIN + 1, -32, 63])


def alu(name, a, b):
    r = run([w(name, rd=3, ra=1, rb=2), HALT], regs={1: a, 2: b})
    assert r.status == "halted" and r.cycles == 2
    return r.regs[3]


def alui(name, a, imm):
    r = run([w(name, rd=3, ra=1, imm=imm), HALT], regs={1: a})
    assert r.status == "halted"
    return r.regs[3]


def test_model_covers_every_alu_and_branch_fn():
    assert {o.fn for o in ALU_OPS + ALUI_OPS} <= set(MODEL)
    assert {o.fn for o in BRANCH_OPS} == set(BRANCH_MODEL)


@pytest.mark.parametrize("op", [o.name for o in ALU_OPS])
@settings(max_examples=150, deadline=None)
@given(a=words32 | edge32, b=words32 | edge32)
def test_alu_against_model(op, a, b):
    assert alu(op, a, b) == MODEL[ISA.op(op).fn](a, b)


@pytest.mark.parametrize("op", [o.name for o in ALUI_OPS])
@settings(max_examples=100, deadline=None)
@given(a=words32 | edge32, imm=st.integers(-8192, 8191) | st.sampled_from([-1, 31, 32, 33, -8192]))
def test_alui_against_model(op, a, imm):
    assert alui(op, a, imm) == MODEL[ISA.op(op).fn](a, imm)


@pytest.mark.parametrize("op", [o.name for o in BRANCH_OPS])
@settings(max_examples=100, deadline=None)
@given(a=words32 | edge32, b=words32 | edge32)
def test_branch_against_model(op, a, b):
    # 0: branch to 3; 1: li r5, 1 (not taken); 2: halt; 3: li r5, 2 (taken); 4: halt
    prog = [w(op, ra=1, rb=2, imm=3), w("li", rd=5, imm=1), HALT, w("li", rd=5, imm=2), HALT]
    r = run(prog, regs={1: a, 2: b})
    taken = BRANCH_MODEL[ISA.op(op).fn](a, b)
    assert (r.regs[5], r.pc, r.cycles) == ((2, 4, 3) if taken else (1, 2, 3))


@pytest.mark.parametrize(
    "op, a, b, want",
    [
        ("div", 7, 0, -1), ("div", -7, 0, -1), ("div", 0, 0, -1),
        ("rem", 7, 0, 7), ("rem", -7, 0, -7), ("rem", INT_MIN, 0, INT_MIN),
        ("div", INT_MIN, -1, INT_MIN), ("rem", INT_MIN, -1, 0),
        ("div", -7, 2, -3), ("rem", -7, 2, -1), ("div", 7, -2, -3), ("rem", 7, -2, 1),
        ("div", -7, -2, 3), ("rem", -7, -2, -1), ("div", INT_MIN, 2, -(2**30)),
        ("shl", 1, 33, 2), ("shl", 1, 31, INT_MIN), ("shl", 3, 32, 3), ("shl", 1, -1, INT_MIN),
        ("shr", -1, 28, 15), ("shr", -1, 32, -1), ("shr", INT_MIN, 63, 1),
        ("sar", -16, 34, -4), ("sar", INT_MIN, 31, -1), ("sar", -1, 100, -1), ("sar", 64, 3, 8),
        ("slt", INT_MIN, 1, 1), ("sltu", INT_MIN, 1, 0), ("sltu", 1, -1, 1), ("slt", 1, -1, 0),
        ("mul", 65536, 65536, 0), ("mul", -3, 5, -15), ("add", INT_MAX, 1, INT_MIN),
        ("sub", INT_MIN, 1, INT_MAX),
    ],
)
def test_alu_edge_cases(op, a, b, want):
    assert alu(op, a, b) == want


@pytest.mark.parametrize(
    "op, a, imm, want",
    [
        ("addi", 5, -8192, -8187), ("andi", -1, -1, -1), ("andi", 0x1234, 0xFF, 0x34),
        ("ori", 0, -2, -2), ("xori", 5, -1, -6), ("shli", 1, 33, 2), ("shri", -1, 31, 1),
        ("sari", -8, 33, -4), ("slti", -5, -4, 1), ("slti", -4, -4, 0),
    ],
)
def test_alui_edge_cases(op, a, imm, want):
    assert alui(op, a, imm) == want


def test_li_sign_extends_and_lui_shifts():
    prog = [w("li", 1, imm=-1), w("li", 2, imm=-(2**21)), w("li", 3, imm=2**21 - 1),
            w("lui", 4, imm=0x3FFFFF), w("lui", 5, imm=1), w("lui", 6, imm=0x200000),
            w("lui", 7, imm=0x12345), w("ori", 7, 7, imm=0x3FF), HALT]
    r = run(prog)
    assert r.regs[1:8] == [-1, -(2**21), 2**21 - 1, -1024, 1024, INT_MIN, 0x12345 << 10 | 0x3FF]


def test_writes_to_r0_are_dropped():
    prog = [w("li", 0, imm=5), w("addi", 0, 0, imm=7), w("add", 0, 1, 1), w("lui", 0, imm=1),
            w("ld", 0, 0, imm=10), w("in", 0), w("jal", 0, imm=8), HALT, HALT]
    r = run(prog, regs={1: 9}, inp=[42], mem={10: 3})
    assert r.regs[0] == 0 and r.status == "halted" and r.pc == 8
    assert r.eof is False  # `in r0` consumed the word


def test_reset_state_and_presets():
    for n in (16, 100, 65536):
        r = run([HALT], n=n)
        assert r.regs == [0] * 15 + [n] and r.pc == 0 and r.cycles == 1
        assert len(r.mem) == n and r.mem[0] == 0
    r = run([HALT, 0, 0], regs={0: 7, 1: -1, 15: 3}, mem={2: 0xFFFFFFFF, 40: 5}, n=64)
    assert r.regs[0] == 0 and r.regs[1] == -1 and r.regs[15] == 3
    assert r.mem[2] == -1 and r.mem[40] == 5


def test_entry_point_and_empty_memory_halts():
    r = run([w("li", 1, imm=1), w("li", 2, imm=2)], entry=1, n=16)
    assert (r.regs[1], r.regs[2], r.pc, r.cycles, r.status) == (0, 2, 2, 2, "halted")
    assert run([], n=16).status == "halted"


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(words=[0] * 17, n=16), dict(words=[HALT], n=8), dict(words=[HALT], n=70000),
        dict(words=[HALT], mem={16: 1}, n=16), dict(words=[HALT], mem={-1: 1}, n=16),
        dict(words=[HALT], regs={16: 1}, n=16), dict(words=[HALT], entry=16, n=16),
    ],
)
def test_run_errors(kwargs):
    with pytest.raises(RunError):
        run(**kwargs)


def test_load_store():
    prog = [w("li", 1, imm=20), w("st", ra=1, rb=2, imm=-4), w("ld", 3, 1, imm=-4),
            w("ld", 4, ra=5, imm=11), HALT]
    r = run(prog, regs={2: -7, 5: -1}, mem={10: 123})
    assert r.mem[16] == -7 and r.regs[3] == -7
    assert r.regs[4] == 123  # address (0xFFFFFFFF + 11) mod 2^32 = 10


@pytest.mark.parametrize("addr_reg, imm", [(0, -1), (64, 0), (60, 4), (2**31 - 1, 1), (-64, 63)])
@pytest.mark.parametrize("kind", ["ld", "st"])
def test_address_fault_has_no_effect(kind, addr_reg, imm):
    op = w("ld", 3, 1, imm=imm) if kind == "ld" else w("st", ra=1, rb=2, imm=imm)
    r = run([w("li", 3, imm=9), op, w("li", 3, imm=1), HALT], regs={1: addr_reg, 2: 5}, n=64)
    assert (r.status, r.reason, r.pc, r.cycles, r.regs[3]) == ("fault", "address", 1, 2, 9)
    assert r.mem[4:] == [0] * 60


def test_jal_jalr_link_and_rd_equals_ra():
    prog = [w("jal", 14, imm=3), HALT, HALT, w("jalr", 1, 1, imm=2), HALT, HALT, HALT]
    r = run(prog, regs={1: 3})
    # jal: r14 = 1, pc = 3; jalr r1, r1, 2: target = old r1 + 2 = 5, r1 = 4
    assert (r.regs[14], r.regs[1], r.pc, r.cycles) == (1, 4, 5, 3)


@pytest.mark.parametrize(
    "prog, regs",
    [
        ([w("jal", 14, imm=16)], {}),
        ([w("jal", 14, imm=2**22 - 1)], {}),
        ([w("jalr", 14, 1, imm=0)], {1: 16}),
        ([w("jalr", 14, 1, imm=-1)], {1: 0}),
        ([w("jalr", 14, 1, imm=1)], {1: 2**31 - 1}),
        ([w("beq", ra=0, rb=0, imm=16)], {}),
        ([w("bltu", ra=0, rb=1, imm=9000)], {1: 1}),
    ],
)
def test_jump_target_fault_has_no_effect(prog, regs):
    r = run(prog, regs=regs, n=16)
    assert (r.status, r.reason, r.pc, r.cycles, r.regs[14]) == ("fault", "target", 0, 1, 0)


def test_untaken_branch_to_far_target_is_fine():
    r = run([w("bne", ra=0, rb=0, imm=9000), HALT], n=16)
    assert (r.status, r.pc) == ("halted", 1)


@pytest.mark.parametrize(
    "last, regs",
    [
        (w("add", 1, 2, 2), {2: 4}), (w("addi", 1, 0, imm=3), {}), (w("li", 1, imm=3), {}),
        (w("lui", 1, imm=3), {}), (w("ld", 1, 0, imm=0), {}), (w("in", 1), {}),
        (w("beq", ra=0, rb=2, imm=0), {2: 1}), (w("out", ra=2), {2: 1}),
        (w("st", ra=0, rb=2, imm=0), {2: 1}),
    ],
)
def test_running_off_the_end_faults_target_without_effect(last, regs):
    n = 16
    image = [w("jal", 0, imm=n - 1)] + [0] * (n - 2) + [last]
    r = run(image, regs=regs, inp=[5], n=n)
    assert (r.status, r.reason, r.pc, r.cycles) == ("fault", "target", n - 1, 2)
    assert r.regs[1] == 0 and r.out == [] and r.eof is False
    assert r.mem == run(image, n=n, max_cycles=1).mem  # no store either


def test_fault_priority_address_before_target():
    n = 16
    r = run([w("jal", 0, imm=n - 1)] + [0] * (n - 2) + [w("ld", 1, 0, imm=-1)], n=n)
    assert (r.reason, r.pc) == ("address", n - 1)
    r = run([w("jal", 0, imm=n - 1)] + [0] * (n - 2) + [w("out", ra=0)], n=n, max_out=0)
    assert (r.reason, r.pc, r.out) == ("output-full", n - 1, [])


def test_zero_cycle_limit_reports_the_reset_state():
    r = run([w("li", 1, imm=1), HALT], max_cycles=0, n=16)
    assert (r.status, r.cycles, r.pc, r.regs[1], r.regs[15]) == ("timeout", 0, 0, 0, 16)


def test_illegal_opcodes_fault():
    op = ISA.fields["op"]
    illegal = [c for c in range(op.mask + 1) if c not in ISA.by_code]
    assert illegal
    for code in illegal:
        r = run([w("li", 1, imm=1), op.put(code) | 0x3FFFFF, w("li", 1, imm=2)])
        assert (r.status, r.reason, r.pc, r.cycles, r.regs[1]) == ("fault", "opcode", 1, 2, 1)


def test_unused_fields_are_ignored():
    f = ISA.fields
    dirty_add = w("add", 1, 2, 3) | f["imm14"].put(0x1FFF)
    dirty_halt = HALT | f["rd"].put(5) | f["imm14"].put(77)
    dirty_out = w("out", ra=2) | f["rd"].put(3) | f["rb"].put(4)
    r = run([dirty_add, dirty_out, dirty_halt], regs={2: 5, 3: 6})
    assert (r.regs[1], r.out, r.status, r.pc) == (11, [5], "halted", 2)


def test_halt_counts_and_reports_its_pc():
    nop = w("add", 0, 0, 0)
    r = run([nop, nop, HALT, nop])
    assert (r.status, r.reason, r.pc, r.cycles) == ("halted", None, 2, 3)


def test_timeout_state_after_exactly_max_cycles():
    # 0: addi r1, r1, 1; 1: jal r0, 0   -- forever
    prog = [w("addi", 1, 1, imm=1), w("jal", 0, imm=0)]
    for k in range(1, 8):
        r = run(prog, max_cycles=k)
        assert (r.status, r.cycles, r.regs[1], r.pc) == ("timeout", k, (k + 1) // 2, k % 2)
    r = run([w("addi", 1, 1, imm=1), HALT], max_cycles=2)
    assert (r.status, r.cycles) == ("halted", 2)


def test_output_full():
    prog = [w("out", ra=1), w("addi", 1, 1, imm=1), w("jal", 0, imm=0)]
    r = run(prog, regs={1: -2}, max_out=3)
    assert (r.status, r.reason, r.pc, r.cycles) == ("fault", "output-full", 0, 10)
    assert r.out == [-2, -1, 0]
    assert r.regs[1] == 1


def test_in_and_eof():
    prog = [w("in", 1), w("in", 2), w("in", 3), w("in", 4), HALT]
    r = run(prog, inp=[5, -6, 2**32 - 1])
    assert (r.regs[1:5], r.eof) == ([5, -6, -1, 0], True)
    r = run([w("in", 1), w("in", 2), HALT], inp=[7, 8])
    assert (r.regs[1:3], r.eof) == ([7, 8], False)
    r = run([w("in", 1), w("in", 2), w("in", 3), HALT], inp=[7])
    assert (r.regs[1:4], r.eof) == ([7, 0, 0], True)


def test_out_is_signed():
    r = run([w("out", ra=1), w("out", ra=0), HALT], regs={1: 2**32 - 5})
    assert r.out == [-5, 0]


def test_stores_over_code_take_effect():
    # 0: li r1, 1 ; 1: st r2, 0(r3) (overwrites address 0 with `li r1, 7`) ; 2: jal r0, 0 -> loop
    prog = [w("li", 1, imm=1), w("st", ra=3, rb=2, imm=0), w("jal", 0, imm=0)]
    m = ReferenceMachine(Image(prog), MachineConfig(mem_words=16),
                         ProgramInput(set={2: w("li", 1, imm=7), 3: 0}))
    for _ in range(4):
        m.step()
    assert m.regs[1] == 7 and m.pc == 1 and m.cycles == 4


def test_step_and_run_agree_and_stop():
    prog = [w("li", 1, imm=3), w("addi", 1, 1, imm=-1), w("bne", ra=1, rb=0, imm=1), HALT]
    m = ReferenceMachine(Image(prog), MachineConfig(mem_words=16))
    trace = []
    while m.status == "running":
        m.step()
        trace.append(m.pc)
    assert trace == [1, 2, 1, 2, 1, 2, 3, 3]
    m.step()
    assert (m.status, m.cycles, m.pc) == ("halted", 8, 3)
    r = ReferenceMachine(Image(prog), MachineConfig(mem_words=16)).run()
    assert r.to_json() == m.result().to_json()
    assert m.result(index=4, with_mem=False).index == 4 and m.result(with_mem=False).mem is None
