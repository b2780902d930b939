"""The native engine's compiled interpreter: one ncpu32 program per loop iteration.

`run_chunk` is a numba function (`parallel=True`: `prange` over the programs of a
batch, `cache=True`: compiled once per machine and kept on disk). Each program
runs from its saved state for at most `budget` more cycles (or to `max_cycles`),
then its state is written back, so the caller can run a long batch in chunks,
report progress between them and notice Ctrl-C.

Decoding reads two small tables built here from the opcode table (`isa.py`, which
reads `isa/ncpu32.yaml`): `DEC[op]` (semantics class, ALU function or branch
condition, where the immediate sits and how it is read) and `FIELDS` (the register
fields). They are passed to the kernel as arrays, never baked in, so the disk
cache cannot hold a stale copy of the table. No opcode number appears in this file.

Values are int32 in memory and registers; arithmetic runs on int64 and each result
is stored back into an int32 slot, which keeps its low 32 bits (wraps modulo 2^32).
Semantics, fault priority and cycle counting follow the reference interpreter
(`reference.py`) and `isa/INTERPRETATIONS.md`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ncpu_cli.isa import (  # noqa: F401 - status and reason codes, shared by every engine
    R_ADDRESS,
    R_NONE,
    R_OPCODE,
    R_OUTPUT_FULL,
    R_TARGET,
    S_FAULT,
    S_HALTED,
    S_RUNNING,
    S_TIMEOUT,
    STATUS_NAMES,
    load_isa,
)

# S_PAUSE, after the shared status codes, is internal: the program needs a larger
# output buffer and waits, its instruction not executed, for the caller to grow it.
S_PAUSE = len(STATUS_NAMES)

# Semantics classes (the `class:` of isa/ncpu32.yaml) -> kernel kind codes.
CLASSES = ("illegal", "halt", "alu", "alui", "li", "lui", "load", "store", "jal", "jalr",
           "branch", "in", "out")
(K_ILLEGAL, K_HALT, K_ALU, K_ALUI, K_LI, K_LUI, K_LOAD, K_STORE, K_JAL, K_JALR, K_BRANCH,
 K_IN, K_OUT) = range(len(CLASSES))
# ALU functions and branch conditions (the `fn:` of the table) -> codes.
ALU_FNS = ("add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr", "sar", "slt",
           "sltu")
(F_ADD, F_SUB, F_MUL, F_DIV, F_REM, F_AND, F_OR, F_XOR, F_SHL, F_SHR, F_SAR, F_SLT,
 F_SLTU) = range(len(ALU_FNS))
CONDS = ("eq", "ne", "lt", "ge", "ltu", "geu")
C_EQ, C_NE, C_LT, C_GE, C_LTU, C_GEU = range(len(CONDS))

# Columns of DEC: kind, fn, immediate shift, immediate mask, immediate sign bit (0:
# unsigned or none).
D_KIND, D_FN, D_IMM_LO, D_IMM_MASK, D_IMM_SIGN = range(5)
MASK32 = 0xFFFF_FFFF


def decode_tables() -> tuple[np.ndarray, np.ndarray]:
    """(DEC (2^opbits, 5) int64, FIELDS (6,) int64) from the opcode table.

    FIELDS: op shift, op mask, rd shift, ra shift, rb shift, register-field mask."""
    isa = load_isa()
    f = isa.fields
    dec = np.zeros((f["op"].mask + 1, 5), dtype=np.int64)  # unknown opcodes: K_ILLEGAL
    for op in isa.ops:
        row = dec[op.opcode]
        row[D_KIND] = CLASSES.index(op.cls)
        if op.cls in ("alu", "alui"):
            row[D_FN] = ALU_FNS.index(op.fn)
        elif op.cls == "branch":
            row[D_FN] = CONDS.index(op.fn)
        if op.imm is not None:
            row[D_IMM_LO] = op.imm.field.lo
            row[D_IMM_MASK] = op.imm.field.mask
            row[D_IMM_SIGN] = 1 << (op.imm.field.width - 1) if op.imm.signed else 0
    widths = {f[k].mask for k in ("rd", "ra", "rb")}
    if len(widths) != 1 or widths.pop() + 1 != isa.registers:
        raise ValueError("the native engine expects rd, ra and rb fields of one register width")
    fields = np.array([f["op"].lo, f["op"].mask, f["rd"].lo, f["ra"].lo, f["rb"].lo,
                       f["rd"].mask], dtype=np.int64)
    return dec, fields


@njit(cache=True, inline="always")
def _alu(fn, a, b):
    """fn(a, b) for signed 32-bit values a, b; the result's low 32 bits count."""
    a, b = np.int64(a), np.int64(b)
    if fn == F_ADD:
        return a + b
    if fn == F_SUB:
        return a - b
    if fn == F_MUL:
        return a * b  # |a * b| <= 2^62: exact in int64, low 32 bits kept on store
    if fn == F_AND:
        return a & b
    if fn == F_OR:
        return a | b
    if fn == F_XOR:
        return a ^ b
    if fn == F_SHL:
        return a << (b & 31)
    if fn == F_SHR:
        return (a & MASK32) >> (b & 31)
    if fn == F_SAR:
        return a >> (b & 31)
    if fn == F_SLT:
        return 1 if a < b else 0
    if fn == F_SLTU:
        return 1 if (a & MASK32) < (b & MASK32) else 0
    if fn == F_DIV:
        if b == 0:
            return -1
        q = abs(a) // abs(b)  # toward zero; INT_MIN / -1 = 2^31 wraps to INT_MIN
        return q if (a < 0) == (b < 0) else -q
    # F_REM
    if b == 0:
        return a
    r = abs(a) % abs(b)  # sign of the dividend; INT_MIN rem -1 = 0
    return -r if a < 0 else r


@njit(cache=True, inline="always")
def _taken(cond, a, b):
    a, b = np.int64(a), np.int64(b)
    if cond == C_EQ:
        return a == b
    if cond == C_NE:
        return a != b
    if cond == C_LT:
        return a < b
    if cond == C_GE:
        return a >= b
    if cond == C_LTU:
        return (a & MASK32) < (b & MASK32)
    return (a & MASK32) >= (b & MASK32)  # C_GEU


@njit(cache=True)
def _program(m, rg, inp, il, state, stop, max_out, out, dec, fields):
    """Run one program (memory row m, registers rg: int32, so a write keeps the low 32
    bits) until it stops or reaches cycle `stop`. state (int64): pc, cycles, out_len,
    in_pos, eof, status, reason; updated."""
    n = m.shape[0]
    cap = out.shape[0]
    op_lo, op_mask, rd_lo, ra_lo, rb_lo, reg_mask = (
        fields[0], fields[1], fields[2], fields[3], fields[4], fields[5])
    pc, cyc, ol, ip, eof = state[0], state[1], state[2], state[3], state[4]
    status, reason = S_RUNNING, R_NONE
    while cyc < stop:
        w = np.int64(m[pc]) & MASK32
        op = (w >> op_lo) & op_mask
        kind = dec[op, D_KIND]
        fn = dec[op, D_FN]
        sign = dec[op, D_IMM_SIGN]
        imm = (w >> dec[op, D_IMM_LO]) & dec[op, D_IMM_MASK]
        imm -= (imm & sign) << 1  # sign-extend the signed immediates
        rd = (w >> rd_lo) & reg_mask
        ra = (w >> ra_lo) & reg_mask
        rb = (w >> rb_lo) & reg_mask
        nxt = pc + 1
        cyc += 1
        if kind == K_ALU or kind == K_ALUI:
            v = _alu(fn, rg[ra], rg[rb] if kind == K_ALU else imm)
            if nxt == n:
                status, reason = S_FAULT, R_TARGET
                break
            if rd != 0:
                rg[rd] = v
        elif kind == K_BRANCH:
            if _taken(fn, rg[ra], rg[rb]):
                nxt = imm
            if nxt >= n:
                status, reason = S_FAULT, R_TARGET
                break
        elif kind == K_LOAD or kind == K_STORE:
            addr = (rg[ra] + imm) & MASK32
            if addr >= n:
                status, reason = S_FAULT, R_ADDRESS
                break
            if nxt == n:
                status, reason = S_FAULT, R_TARGET
                break
            if kind == K_STORE:
                m[addr] = rg[rb]
            elif rd != 0:
                rg[rd] = m[addr]
        elif kind == K_JAL or kind == K_JALR:
            target = imm if kind == K_JAL else (rg[ra] + imm) & MASK32
            if target >= n:
                status, reason = S_FAULT, R_TARGET
                break
            if rd != 0:
                rg[rd] = nxt
            nxt = target
        elif kind == K_LI or kind == K_LUI:
            if nxt == n:
                status, reason = S_FAULT, R_TARGET
                break
            if rd != 0:
                rg[rd] = imm if kind == K_LI else imm << 10
        elif kind == K_IN:
            if nxt == n:
                status, reason = S_FAULT, R_TARGET
                break
            v = 0
            if ip < il:
                v = inp[ip]
                ip += 1
            else:
                eof = 1
            if rd != 0:
                rg[rd] = v
        elif kind == K_OUT:
            if ol >= max_out:
                status, reason = S_FAULT, R_OUTPUT_FULL
                break
            if ol >= cap:  # room to come: wait for the caller, nothing executed
                cyc -= 1
                status = S_PAUSE
                break
            if nxt == n:
                status, reason = S_FAULT, R_TARGET
                break
            out[ol] = rg[ra]
            ol += 1
        elif kind == K_HALT:
            status = S_HALTED
            break
        else:
            status, reason = S_FAULT, R_OPCODE
            break
        pc = nxt
    state[0], state[1], state[2], state[3], state[4] = pc, cyc, ol, ip, eof
    state[5], state[6] = status, reason


@njit(parallel=True, cache=True)
def run_chunk(mem, regs, pc, status, reason, cycles, out, out_len, inp, in_len, in_pos, eof,
              inp_shared, budget, max_cycles, max_out, dec, fields):
    """Every running program for at most `budget` more cycles, in parallel.

    mem (B, N) int32, regs (B, R) int32, pc (B,) int32, status/reason (B,) int8,
    cycles (B,) int64, out (B, cap) int32, out_len (B,) int32, inp (B or 1, L) int32,
    in_len (B or 1,) int32 (row 0 for every program when inp_shared), in_pos (B,) int32,
    eof (B,) int8. A program still running at `max_cycles` times out."""
    nprog = mem.shape[0]
    nregs = regs.shape[1]
    for b in prange(nprog):
        if status[b] != S_RUNNING:
            continue
        row = np.int64(0) if inp_shared else np.int64(b)
        rg = np.empty(nregs, dtype=np.int32)
        for k in range(nregs):
            rg[k] = regs[b, k]
        state = np.empty(7, dtype=np.int64)
        state[0], state[1], state[2] = pc[b], cycles[b], out_len[b]
        state[3], state[4] = in_pos[b], eof[b]
        stop = min(cycles[b] + budget, max_cycles)
        _program(mem[b], rg, inp[row], in_len[row], state, stop, max_out, out[b], dec, fields)
        for k in range(nregs):
            regs[b, k] = rg[k]
        pc[b], cycles[b], out_len[b], in_pos[b], eof[b] = (
            state[0], state[1], state[2], state[3], state[4])
        st = state[5]
        if st == S_RUNNING and state[1] >= max_cycles:
            st = S_TIMEOUT
        status[b], reason[b] = st, state[6]
