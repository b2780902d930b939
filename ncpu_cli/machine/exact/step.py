"""One cycle of the torch engine: `cycle(state, tables) -> state`, for every program at once.

A fixed, branch-free sequence of tensor ops: fetch the word
at pc, slice its fields, look up what its opcode does, gather the operands, compute
every value an instruction could write, every branch condition and every jump target,
pick per program by opcode, decide the stop (halt, or a fault with ISA.md's priority),
and write back where the program runs on: registers, memory, output, input position,
pc. A program that has stopped, or whose instruction stops it, changes nothing but its
status (and its cycle count, for the instruction that stopped it). Nothing one program
does reaches another.

`cycle` is a pure function: it returns a new ExactState and leaves its argument alone
(every op allocates its result; on CUDA a captured graph pools those allocations).
The one exception is asked for by name: `donate=True` lets it write the two big
buffers, memory and output, in place instead of copying them (B x N words a cycle
would be most of its cost); ExactMachine steps its own state that way. Values are
int32 and wrap like the machine's words; indices are int64.
"""

from __future__ import annotations

import torch

from ncpu_cli.isa import (
    MASK32,
    R_ADDRESS,
    R_NONE,
    R_OPCODE,
    R_OUTPUT_FULL,
    R_TARGET,
    S_FAULT,
    S_HALTED,
    S_RUNNING,
)
from ncpu_cli.machine.exact import tables as xt
from ncpu_cli.machine.exact.state import ExactState
from ncpu_cli.machine.exact.tables import Tables

_F = {name: i for i, name in enumerate(xt.FIELDS)}
_INDEX_FIELDS = 4  # op, rd, ra, rb: the fields used as indices (int64)
assert xt.FIELDS[:_INDEX_FIELDS] == ("op", "rd", "ra", "rb")
_ADD, _SLTU = xt.ALU_FNS.index("add"), xt.ALU_FNS.index("sltu")


def _at(t: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """t[k, index[k]] for every program k: t (B, C), index (B,) int64 -> (B,)."""
    return t.gather(1, index.unsqueeze(1)).squeeze(1)


def _pick(rows: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """rows[index[k], k] for every program k: rows (C, B) candidates, index (B,) -> (B,)."""
    return rows.gather(0, index.unsqueeze(0)).squeeze(0)


def decode(word: torch.Tensor, t: Tables) -> torch.Tensor:
    """The FIELDS of each word: word (B,) int32 -> (F, B) int32 (signed ones extended).
    (>> is arithmetic on int32; the mask drops the copies of the sign bit it brings.)"""
    f = (word.unsqueeze(0) >> t.field_lo) & t.field_mask  # (F, B)
    return (f ^ t.field_sign) - t.field_sign  # (F, B) sign-extends where field_sign != 0


def divide(a: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Signed a / y and a % y (ISA.md): round toward zero, x / 0 = -1, x % 0 = x,
    INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0. (B,) int32 each, computed in int64."""
    a64, y64 = a.long(), y.long()  # (B,)
    zero = y64 == 0
    q = torch.div(a64, torch.where(zero, 1, y64), rounding_mode="trunc")  # (B,)
    q = torch.where(zero, -1, q)  # (B,) x / 0 = -1
    r = a64 - q * y64  # (B,) x % 0 = x; INT_MIN % -1 = INT_MIN - 2^31 * -1 = 0
    return q.int(), r.int()  # int64 -> int32 wraps: 2^31 (INT_MIN / -1) is INT_MIN


def alu(a: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """Every ALU result (tables.ALU_FNS order) of a and y: (B,) int32 each."""
    au, yu = a.long() & MASK32, y.long() & MASK32  # (B,) the operands read unsigned
    sh = y & 31  # (B,) the shift amount
    quotient, remainder = divide(a, y)
    return [
        a + y, a - y, a * y, quotient, remainder, a & y, a | y, a ^ y,
        a << sh,
        (au >> sh).int(),  # shr: logical
        a >> sh,  # sar: arithmetic
        (a < y).int(), (au < yu).int(),  # slt, sltu
    ]


def cycle(s: ExactState, t: Tables, *, donate: bool = False) -> ExactState:
    """The state one cycle later (programs that have stopped stay as they are).

    donate=True hands `s` over: its mem and out are written in place and returned in the
    new state, instead of being copied (a copy of B x N words is most of a cycle's cost
    at large B); `s` must not be used afterwards. Every other tensor is new either way."""
    n = s.mem_words
    running = s.status == S_RUNNING  # (B,)

    # fetch and decode: the word at pc, its fields, what its opcode does
    word = _at(s.mem, s.pc.long())  # (B,) int32
    f = decode(word, t)  # (F, B) int32
    op, rd, ra, rb = f[:_INDEX_FIELDS].long().unbind(0)  # (B,) int64 each: indices
    simm, li, btarget = f[_F["simm"]], f[_F["li"]], f[_F["btarget"]]  # (B,) int32 each
    jtarget = f[_F["uimm"]]  # (B,) jal's target: uimm, unsigned
    lui = f[_F["uimm"]] << t.lui_shift  # (B,) int32: wraps into the sign bit
    sel = t.select.index_select(0, op).t()  # (3, B) the VALUES / CONDS / TARGETS row
    flag = t.flags.index_select(0, op).t()  # (len(FLAGS), B) bool
    is_ = dict(zip(xt.FLAGS, flag.unbind(0)))  # (B,) bool each

    # operands: a = regs[ra], b = regs[rb], y = the immediate or b
    a, b = _at(s.regs, ra), _at(s.regs, rb)  # (B,) int32 each
    y = torch.where(is_["imm"], simm, b)  # (B,)

    # every candidate: values rd may get, memory and input reads, conditions, targets
    results = alu(a, y)  # (B,) each, in ALU_FNS order
    address = results[_ADD]  # (B,) a + imm: the ld/st address and jalr's target
    bad_address = (address < 0) | (address >= n)  # (B,)
    at = address.clamp(0, n - 1).long()  # (B,) an address inside memory
    load = _at(s.mem, at)  # (B,) mem[address]
    inword = _at(s.inp, s.in_pos.long())  # (B,) the next input word (0 at the end)
    link = s.pc + 1  # (B,)
    values = torch.stack(results + [li, lui, load, link, inword])  # (len(VALUES), B)
    value = _pick(values, sel[xt.SEL_VALUE])  # (B,) what rd receives
    eq, lt, ltu = a == y, a < y, results[_SLTU] != 0  # (B,) bool
    never = torch.zeros_like(eq)  # (B,) bool
    conds = torch.stack([never, ~never, eq, ~eq, lt, ~lt, ltu, ~ltu])  # (len(CONDS), B)
    jump = _pick(conds, sel[xt.SEL_COND])  # (B,) bool
    targets = torch.stack([btarget, jtarget, address])  # (len(TARGETS), B)
    next_pc = torch.where(jump, _pick(targets, sel[xt.SEL_TARGET]), link)  # (B,)

    # the stop: halt, or a fault; an instruction's own fault outranks a bad next pc
    full = s.out_len >= s.max_out  # (B,)
    bad_target = (next_pc < 0) | (next_pc >= n)  # (B,)
    fault = torch.zeros_like(s.reason)  # (B,) int8 R_NONE
    fault = torch.where(bad_target & ~is_["halt"], R_TARGET, fault)
    fault = torch.where(is_["out"] & full, R_OUTPUT_FULL, fault)
    fault = torch.where((is_["load"] | is_["store"]) & bad_address, R_ADDRESS, fault)
    fault = torch.where(is_["illegal"], R_OPCODE, fault)
    faults = fault != R_NONE  # (B,)
    go = running & ~faults & ~is_["halt"]  # (B,) the instruction completes: write back
    status = torch.where(running & is_["halt"], S_HALTED, s.status)  # (B,) int8
    status = torch.where(running & faults, S_FAULT, status)
    reason = torch.where(running, fault, s.reason)  # (B,) int8

    # write-back, masked by go
    write_rd = go & is_["writes"] & (rd != 0)  # (B,) r0 stays 0
    # (each write puts the old word back where nothing is written)
    regs = s.regs.scatter(1, rd.unsqueeze(1),
                          torch.where(write_rd, value, _at(s.regs, rd)).unsqueeze(1))  # (B, 16)
    store = go & is_["store"]  # (B,) mem[address] = b
    put = torch.Tensor.scatter_ if donate else torch.Tensor.scatter  # in place, or a copy
    mem = put(s.mem, 1, at.unsqueeze(1), torch.where(store, b, load).unsqueeze(1))  # (B, N)
    emit = go & is_["out"]  # (B,) out[out_len] = a
    out = s.out
    if out.shape[1]:  # (a run with max_out = 0 has no output buffer: every out faults)
        slot = s.out_len.clamp(max=out.shape[1] - 1).long()  # (B,)
        old = _at(out, slot)  # (B,)
        out = put(out, 1, slot.unsqueeze(1), torch.where(emit, a, old).unsqueeze(1))
    take = go & is_["in"]  # (B,)
    have = s.in_pos < s.in_len  # (B,)
    return s.replace(
        regs=regs, mem=mem, out=out, status=status, reason=reason,
        pc=torch.where(go, next_pc, s.pc),  # (B,)
        cycles=s.cycles + running,  # (B,) a stopping instruction counts too
        out_len=s.out_len + emit,  # (B,)
        in_pos=s.in_pos + (take & have),  # (B,)
        eof=s.eof | (take & ~have),  # (B,)
    )


def run_cycles(s: ExactState, t: Tables, k: int, *, donate: bool = False) -> ExactState:
    """k cycles: `cycle` iterated (no host sync in between); donate as in `cycle`."""
    for _ in range(k):
        s = cycle(s, t, donate=donate)
        donate = True  # the intermediate states are this function's own
    return s
