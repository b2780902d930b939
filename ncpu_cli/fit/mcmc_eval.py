"""The exact evaluator and the cost of `--method mcmc` (compiled with numba).

The *cost* of a program, as in STOKE (Schkufza, Sharma, Aiken, "Stochastic
Superoptimization", ASPLOS 2013): the Hamming distance (popcount of XOR) of every checked
value -- registers, memory cells, output words -- summed over the examples, plus a fixed
penalty for a wrong final status (a fault or timeout where `halted` is expected) and one per
word of wrong output length (at most 4). `total_cost` stops early once the sum exceeds the
acceptance bound the Metropolis step drew first. Optionally (pen[2] >= 0; off by default,
`mcmc_tables.MISALIGN_PENALTY`) an expected register costs, as STOKE's relaxed register cost
does, the smallest distance of any register to its value plus pen[2] when that is not the
register asked for; cost 0 still means every value is where it belongs.

One filling runs on one example with a small interpreter that implements ISA.md exactly
(statuses, fault reasons and their order, cycle limit, output limit, self-modifying code)
over a decoded copy of memory (`dc` (N, 6): kind fn rd ra rb imm per word, re-decoded on
every write). Decoding uses the native engine's tables and ALU (`native_kernel`), so no
opcode number appears here. Memory is shared by the examples of a chain: each example's
presets and stores are logged (the first write per address) and undone after it.
Values are signed 32-bit numbers held in int64; words are decoded from their low 32 bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ncpu_cli import isa
from ncpu_cli.fit import kernel_cache  # noqa: F401  (drops stale compiled caches first)
from ncpu_cli.machine.exact import native_kernel as nk

M32 = 0xFFFF_FFFF
SIGN = 0x8000_0000
# EI columns (one row per example): expected status, input length, then (offset, count) into
# PAIRS of: memory presets, expected registers, expected memory, expected output (-1: unchecked)
E_STATUS, E_INLEN, E_PRE, E_NPRE, E_XR, E_NXR, E_XM, E_NXM, E_XO, E_NXO = range(10)
# cfg: memory words, entry, max cycles, max output, output buffer; pen: status, output length
# and misalignment penalties
# ss: the interpreter's state besides registers and memory (see exec_program), and the
# cycles run by every example so far (SS_WORK: a chain's step ends when it reaches a budget)
SS_PC, SS_OL, SS_IP, SS_EOF, SS_STATUS, SS_REASON, SS_NLOG, SS_WORK = range(8)
SS_SIZE = 8


@njit(cache=True, inline="always", _nrt=False)
def s32(v):
    return ((v + SIGN) & M32) - SIGN


@njit(cache=True, inline="always", _nrt=False)
def popcount(x):
    x = x & M32
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return ((x * 0x01010101) & M32) >> 24


@njit(cache=True, inline="always", _nrt=False)
def decode_word(dc, a, v, dec, fields):
    """Decode the word v (signed or unsigned) into row a of dc: kind fn rd ra rb imm."""
    w = np.int64(v) & M32
    op = (w >> fields[0]) & fields[1]
    imm = (w >> dec[op, nk.D_IMM_LO]) & dec[op, nk.D_IMM_MASK]
    dc[a, 0] = dec[op, nk.D_KIND]
    dc[a, 1] = dec[op, nk.D_FN]
    dc[a, 2] = (w >> fields[2]) & fields[5]
    dc[a, 3] = (w >> fields[3]) & fields[5]
    dc[a, 4] = (w >> fields[4]) & fields[5]
    dc[a, 5] = imm - ((imm & dec[op, nk.D_IMM_SIGN]) << 1)


@njit(cache=True, inline="always", _nrt=False)
def _logged(mem, dc, stamp, gen, logs, nlog, a, v, dec, fields):
    """mem[a] = v, remembering the old value the first time example `gen` writes a."""
    if stamp[a] != gen:
        stamp[a] = gen
        logs[nlog, 0] = a
        logs[nlog, 1] = mem[a]
        nlog += 1
    mem[a] = v
    decode_word(dc, a, v, dec, fields)
    return nlog


@njit(cache=True, _nrt=False)
def exec_program(mem, dc, stamp, gen, logs, rg, inp, il, outb, ss, cfg, dec, fields):
    """Run one program from `cfg`'s entry (ISA.md); ss (7,) holds the log length on entry and
    pc, out length, input position, eof, status, reason, log length on return; returns the
    cycles run. rg (16,) is updated; the first len(outb) output words go to outb.

    The loop itself runs only `alu`, `alui` and `halt` (what straight-line sketches are made
    of), so it stays small; every other instruction is one call of `_step`."""
    n, pc, max_cycles = cfg[0], cfg[1], cfg[2]
    ss[SS_OL], ss[SS_IP], ss[SS_EOF] = 0, 0, 0
    ss[SS_STATUS], ss[SS_REASON] = isa.S_RUNNING, isa.R_NONE
    cyc = 0
    while cyc < max_cycles:
        kind = dc[pc, 0]
        cyc += 1
        if kind == nk.K_ALU or kind == nk.K_ALUI:
            if pc + 1 == n:
                ss[SS_STATUS], ss[SS_REASON] = isa.S_FAULT, isa.R_TARGET
                break
            rd = dc[pc, 2]
            if rd != 0:
                b = rg[dc[pc, 4]] if kind == nk.K_ALU else dc[pc, 5]
                rg[rd] = s32(nk._alu(dc[pc, 1], rg[dc[pc, 3]], b))
            pc += 1
        elif kind == nk.K_HALT:
            ss[SS_STATUS] = isa.S_HALTED
            break
        else:
            ss[SS_PC] = pc
            if not _step(mem, dc, stamp, gen, logs, rg, inp, il, outb, ss, cfg, dec, fields):
                break
            pc = ss[SS_PC]
    ss[SS_PC] = pc
    if ss[SS_STATUS] == isa.S_RUNNING:
        ss[SS_STATUS] = isa.S_TIMEOUT
    return cyc


@njit(cache=True, _nrt=False)
def _step(mem, dc, stamp, gen, logs, rg, inp, il, outb, ss, cfg, dec, fields):
    """Execute the instruction at ss[SS_PC] (not alu, alui or halt; its cycle counted):
    False when it stops the program (status and reason in ss, pc unchanged)."""
    n, max_out = cfg[0], cfg[3]
    pc = ss[SS_PC]
    kind, fn, rd, ra, rb, imm = dc[pc, 0], dc[pc, 1], dc[pc, 2], dc[pc, 3], dc[pc, 4], dc[pc, 5]
    nxt = pc + 1
    if kind == nk.K_BRANCH:
        if nk._taken(fn, rg[ra], rg[rb]):
            nxt = imm
        if nxt >= n:
            return _fault(ss, isa.R_TARGET)
    elif kind == nk.K_LOAD or kind == nk.K_STORE:
        addr = (rg[ra] + imm) & M32
        if addr >= n:
            return _fault(ss, isa.R_ADDRESS)
        if nxt == n:
            return _fault(ss, isa.R_TARGET)
        if kind == nk.K_STORE:
            ss[SS_NLOG] = _logged(mem, dc, stamp, gen, logs, ss[SS_NLOG], addr, rg[rb], dec,
                                  fields)
        elif rd != 0:
            rg[rd] = mem[addr]
    elif kind == nk.K_JAL or kind == nk.K_JALR:
        target = imm if kind == nk.K_JAL else (rg[ra] + imm) & M32
        if target >= n:
            return _fault(ss, isa.R_TARGET)
        if rd != 0:
            rg[rd] = nxt
        nxt = target
    elif kind == nk.K_LI or kind == nk.K_LUI:
        if nxt == n:
            return _fault(ss, isa.R_TARGET)
        if rd != 0:
            rg[rd] = imm if kind == nk.K_LI else s32(imm << 10)
    elif kind == nk.K_IN:
        if nxt == n:
            return _fault(ss, isa.R_TARGET)
        v = 0
        if ss[SS_IP] < il:
            v = inp[ss[SS_IP]]
            ss[SS_IP] += 1
        else:
            ss[SS_EOF] = 1
        if rd != 0:
            rg[rd] = v
    elif kind == nk.K_OUT:
        if ss[SS_OL] >= max_out:
            return _fault(ss, isa.R_OUTPUT_FULL)
        if nxt == n:
            return _fault(ss, isa.R_TARGET)
        if ss[SS_OL] < outb.shape[0]:
            outb[ss[SS_OL]] = rg[ra]
        ss[SS_OL] += 1
    else:
        return _fault(ss, isa.R_OPCODE)
    ss[SS_PC] = nxt
    return True


@njit(cache=True, inline="always", _nrt=False)
def _fault(ss, reason):
    ss[SS_STATUS], ss[SS_REASON] = isa.S_FAULT, reason
    return False


@njit(cache=True, _nrt=False)
def example_cost(e, mem, dc, stamp, gen, logs, rg, outb, ss, EI, PAIRS, ER, EIN, cfg, pen, dec,
                 fields):
    """Cost of the current program on example e (memory restored afterwards)."""
    nlog = 0
    for i in range(EI[e, E_PRE], EI[e, E_PRE] + EI[e, E_NPRE]):
        nlog = _logged(mem, dc, stamp, gen, logs, nlog, PAIRS[i, 0], PAIRS[i, 1], dec, fields)
    for r in range(rg.shape[0]):
        rg[r] = ER[e, r]
    ss[SS_NLOG] = nlog
    ss[SS_WORK] += exec_program(mem, dc, stamp, gen, logs, rg, EIN[e], EI[e, E_INLEN], outb, ss,
                                cfg, dec, fields)
    ol, nlog = ss[SS_OL], ss[SS_NLOG]
    c = 0 if EI[e, E_STATUS] < 0 or ss[SS_STATUS] == EI[e, E_STATUS] else pen[0]  # < 0: any
    for i in range(EI[e, E_XR], EI[e, E_XR] + EI[e, E_NXR]):
        d = popcount(rg[PAIRS[i, 0]] ^ PAIRS[i, 1])
        if pen[2] >= 0:  # STOKE's relaxed register cost: the value in another register
            for r in range(rg.shape[0]):
                d = min(d, popcount(rg[r] ^ PAIRS[i, 1]) + pen[2])
        c += d
    for i in range(EI[e, E_XM], EI[e, E_XM] + EI[e, E_NXM]):
        c += popcount(mem[PAIRS[i, 0]] ^ PAIRS[i, 1])
    nxo = EI[e, E_NXO]
    if nxo >= 0:
        for j in range(nxo):
            got = outb[j] if j < ol else 0
            c += popcount(got ^ PAIRS[EI[e, E_XO] + j, 1])
        c += pen[1] * min(abs(ol - nxo), 4)
    for i in range(nlog - 1, -1, -1):  # undo presets and stores, newest first
        a = logs[i, 0]
        mem[a] = logs[i, 1]
        decode_word(dc, a, logs[i, 1], dec, fields)
    return c


@njit(cache=True, _nrt=False)
def total_cost(bound, gen, mem, dc, stamp, logs, rg, outb, ss, EI, PAIRS, ER, EIN, cfg, pen,
               dec, fields):
    """(cost summed over the examples, next gen): stops early once it exceeds `bound`."""
    c = 0
    for e in range(EI.shape[0]):
        c += example_cost(e, mem, dc, stamp, gen, logs, rg, outb, ss, EI, PAIRS, ER, EIN, cfg,
                          pen, dec, fields)
        gen += 1
        if c > bound:
            break
    return c, gen
