"""The exact executor's cycle: a fixed, branch-free sequence of integer tensor ops.

`run_cycles(n, ...)` advances every program of one shard by n cycles (stopped
programs are masked and never change). It is plain torch code that also
compiles with TorchScript (`scripted()`): a scripted chunk runs its n cycles
without returning to Python, with less overhead per op and without holding the
GIL, so shards of a big CPU batch step in parallel threads. Without TorchScript
the same function runs eagerly.

Layout (B programs of the shard, N memory words):

    mem    (N + 1, B) int32   word-major; row N is the sink of masked-off stores
    regs   (16, B)    int32   r0 row re-zeroed after each write-back
    inp    (L + 2, B) int32   input words, zero padded (reads past the end give 0)
    out    (cap + 1, B) int32 output words; row cap is the sink of masked-off writes
    V      (V_COUNT, B) int32 candidate values and decoded fields (exact_tables.V)
    s      list of (B,)-sized scratch buffers (S_* below): nothing is allocated
    k      list of 0-dim int32 constants (K_* below)

Every flat index is `row * B + arange(B)`, so programs that run in lockstep
(a sweep over one program) read and write contiguous memory.

One cycle: fetch w = mem[pc]; slice all fields with three stacked shift/mask ops;
look up the packed per-opcode word P[op]; gather a = regs[ra], b = regs[rb]; pick the
second operand y (imm or b); compute every candidate row of V; gather, at flat
offsets taken from P, the value to write and the condition (taken, or 2 * a primary
stop code); gather the next pc (target row when taken, else pc + 1); the stop code
is max(condition >> 1, next pc outside memory); commit where it is 0: scatter the
register write (masked writes go to r0, re-zeroed), the store (masked: the sink
row), the output word (always written at out_len; only a committed `out` advances
out_len), advance in_pos, pc.
"""

from __future__ import annotations

import inspect
import os
import re
import warnings
from typing import List

import torch

from ncpu_cli.machine import exact_tables as xt

INT_MIN = -(2**31)
ROW_MASK = (1 << xt.ROW_BITS) - 1
IMM_SHIFT = 31 - xt.P_IMM
C2_ADDRESS = 2 * xt.C_ADDRESS
C2_OUTPUT_FULL = 2 * xt.C_OUTPUT_FULL

# V rows, as plain ints (script_source() writes their values into the TorchScript code)
V_LINK = xt.V["link"]
V_ADD, V_SUB, V_MUL, V_DIV, V_REM = (xt.V[k] for k in ("add", "sub", "mul", "div", "rem"))
V_AND, V_OR, V_XOR = (xt.V[k] for k in ("and", "or", "xor"))
V_SHL, V_SHR, V_SAR = (xt.V[k] for k in ("shl", "shr", "sar"))
V_EQ, V_LT, V_LTU = (xt.V[k] for k in ("eq", "lt", "ltu"))
V_LOAD, V_IN, V_ADDR2, V_FULL2 = (xt.V[k] for k in ("load", "in", "address2", "full2"))
V_IMM, V_OP, V_RD, V_RA = (xt.V[k] for k in ("imm", "op", "rd", "ra"))
V_A, V_B = xt.V["a"], xt.V["b"]
V_FIELDS_END = V_IMM + len(xt.FIELD_ROWS)

# scratch buffers: index -> (shape rows, dtype) ("idx" = the shard's index dtype)
SCRATCH = (
    ("fetch", 1, "idx"), ("w", 1, "i32"), ("p", 1, "i32"), ("abidx", 2, "idx"),
    ("m", 1, "i32"), ("y", 1, "i32"), ("t1", 1, "i32"), ("yz", 1, "i32"), ("ys", 1, "i32"),
    ("ad", 1, "f64"), ("yd", 1, "f64"), ("q64", 1, "i64"), ("sh", 1, "i32"),
    ("t2", 1, "i32"), ("xa", 1, "i32"), ("xy", 1, "i32"), ("addr_c", 1, "i32"),
    ("lidx", 1, "idx"), ("iidx", 1, "idx"), ("sel", 3, "idx"), ("wc", 2, "i32"),
    ("nidx", 1, "idx"), ("npc", 1, "i32"), ("npcc", 1, "i32"), ("tf", 1, "i32"),
    ("new", 1, "i32"), ("en", 4, "i32"), ("widx", 1, "idx"), ("sidx", 1, "idx"),
    ("oidx", 1, "idx"), ("i64", 1, "i64"), ("dpc", 1, "i32"), ("rows", 3, "i32"),
)
S = {name: i for i, (name, _, _) in enumerate(SCRATCH)}
(S_FETCH, S_W, S_P, S_ABIDX, S_M, S_Y, S_T1, S_YZ, S_YS, S_AD, S_YD, S_Q64, S_SH, S_T2,
 S_XA, S_XY, S_ADDR_C, S_LIDX, S_IIDX, S_SEL, S_WC, S_NIDX, S_NPC, S_NPCC, S_TF, S_NEW,
 S_EN, S_WIDX, S_SIDX, S_OIDX, S_I64, S_DPC, S_ROWS) = range(len(SCRATCH))
# 0-dim int32 constants handed to run_cycles (list `k`)
K_B, K_0, K_1, K_31, K_MIN, K_ROW, K_IMM, K_C2A, K_C2F, K_MAXOUT = range(10)


def make_constants(batch: int, max_out: int, device: torch.device) -> List[torch.Tensor]:
    values = [batch, 0, 1, 31, INT_MIN, ROW_MASK, IMM_SHIFT, C2_ADDRESS, C2_OUTPUT_FULL, max_out]
    return [torch.tensor(v, dtype=torch.int32, device=device) for v in values]


SCRATCH_BYTES = sum(rows * {"idx": 8, "i32": 4, "i64": 8, "f64": 8}[k] for _, rows, k in SCRATCH)


def make_scratch(batch: int, index_dtype: torch.dtype, device: torch.device) -> List[torch.Tensor]:
    dtypes = {"idx": index_dtype, "i32": torch.int32, "i64": torch.int64, "f64": torch.float64}
    bufs = []
    for _name, rows, kind in SCRATCH:
        shape = (batch,) if rows == 1 else (rows, batch)
        bufs.append(torch.empty(shape, dtype=dtypes[kind], device=device))
    return bufs


def _flat(x: torch.Tensor, kB: torch.Tensor, B: int, ar: torch.Tensor,
          out: torch.Tensor) -> torch.Tensor:
    """x * B + arange(B) into `out` (the index dtype; x is int32): the flat index of row x.
    kB is B as a 0-dim int32 tensor (TorchScript turns a Python scalar into a new tensor
    on every call of an out= op)."""
    if out.dtype == x.dtype:
        torch.mul(x, kB, out=out)
    else:
        out.copy_(x).mul_(B)  # int64 indices: multiply after widening
    return out.add_(ar)


def _long(idx: torch.Tensor, buf: torch.Tensor) -> torch.Tensor:
    """An index as int64 (scatter_ wants it), in a preallocated buffer."""
    if idx.dtype == torch.int64:
        return idx
    return buf.copy_(idx)


def run_cycles(
    n: int, N: int, max_out: int, in_cap: int, q_direct: bool,
    mem: torch.Tensor, regs: torch.Tensor, pc: torch.Tensor, live: torch.Tensor,
    code: torch.Tensor, cycles: torch.Tensor, out: torch.Tensor, out_len: torch.Tensor,
    inp: torch.Tensor, in_pos: torch.Tensor, V: torch.Tensor, P: torch.Tensor,
    fl: torch.Tensor, fr: torch.Tensor, fm: torch.Tensor, sel_shift: torch.Tensor,
    en_shift: torch.Tensor, k: List[torch.Tensor],
    ar: torch.Tensor, sink: torch.Tensor, s: List[torch.Tensor],
) -> None:
    """n cycles for every program of the shard. Branch-free, no host sync, no allocation.

    in_cap = L + 1: in_pos stops there (> in_len means eof). q_direct: this device
    converts float64 2^31 to int32 -2^31 (else the quotient goes through int64).
    k: 0-dim int32 constants (K_* below; TorchScript would make a new tensor from a
    Python scalar at every op). Every view is made once, before the loop.
    """
    B = pc.shape[0]
    kB, k0, k1, k31, kmin = k[K_B], k[K_0], k[K_1], k[K_31], k[K_MIN]
    krow, kimm, kc2a, kc2f, kmax = k[K_ROW], k[K_IMM], k[K_C2A], k[K_C2F], k[K_MAXOUT]
    memf, regf, outf, inpf, Vf = mem.view(-1), regs.view(-1), out.view(-1), inp.view(-1), V.view(-1)
    r0 = regs[0]  # (B,)
    f = V[V_IMM:V_FIELDS_END]  # (9, B) imm op rd ra rb li lui btarget jtarget
    rarb = V[V_RA:V_RA + 2]  # (2, B) ra rb
    ab = V[V_A:V_A + 2].view(-1)  # (2B,) a = regs[ra], b = regs[rb]
    cmp3 = V[V_EQ:V_EQ + 3]  # (3, B) eq lt ltu
    ncmp3 = V[V_EQ + 3:V_EQ + 6]  # (3, B) ne ge geu
    a, b, imm, op, rd = V[V_A], V[V_B], V[V_IMM], V[V_OP], V[V_RD]  # (B,) each
    v_add, v_sub, v_mul, v_div, v_rem = V[V_ADD], V[V_SUB], V[V_MUL], V[V_DIV], V[V_REM]
    v_and, v_or, v_xor = V[V_AND], V[V_OR], V[V_XOR]
    v_shl, v_shr, v_sar = V[V_SHL], V[V_SHR], V[V_SAR]
    v_eq, v_lt, v_ltu = V[V_EQ], V[V_LT], V[V_LTU]
    v_load, v_in, v_addr2, v_full2, v_link = V[V_LOAD], V[V_IN], V[V_ADDR2], V[V_FULL2], V[V_LINK]
    fetch, w, p, abidx = s[S_FETCH], s[S_W], s[S_P], s[S_ABIDX]
    abidx_f = abidx.view(-1)  # (2B,)
    m, y, t1, yz, ys = s[S_M], s[S_Y], s[S_T1], s[S_YZ], s[S_YS]
    ad, yd, q64, sh, t2, xa, xy = s[S_AD], s[S_YD], s[S_Q64], s[S_SH], s[S_T2], s[S_XA], s[S_XY]
    addr_c, lidx, iidx, rows3 = s[S_ADDR_C], s[S_LIDX], s[S_IIDX], s[S_ROWS]
    sel = s[S_SEL]  # (3, B) row offsets: written value, condition, target
    sel2, wcidx = sel[2], sel[:2]  # (B,), (2, B)
    wcidx_f = wcidx.view(-1)  # (2B,)
    wc = s[S_WC]  # (2, B) written value, condition
    wc_f, wv, cond = wc.view(-1), wc[0], wc[1]
    nidx, npc, npcc, tf, new = s[S_NIDX], s[S_NPC], s[S_NPCC], s[S_TF], s[S_NEW]
    en = s[S_EN]  # (4, B) enables: rd, memory, input, output
    en_w, en_st, en_in, en_out = en[0], en[1], en[2], en[3]
    widx, sidx, oidx, i64, dpc = s[S_WIDX], s[S_SIDX], s[S_OIDX], s[S_I64], s[S_DPC]
    for _ in range(n):
        # fetch and decode
        torch.index_select(memf, 0, _flat(pc, kB, B, ar, fetch), out=w)  # (B,) the word at pc
        torch.bitwise_left_shift(w, fl, out=f)
        f.bitwise_right_shift_(fr).bitwise_and_(fm)
        torch.index_select(P, 0, op, out=p)  # (B,) packed per-opcode word
        _flat(rarb, kB, B, ar, abidx)  # (2, B) flat indices of regs[ra], regs[rb]
        torch.index_select(regf, 0, abidx_f, out=ab)
        torch.bitwise_right_shift(torch.bitwise_left_shift(p, kimm, out=m), k31,
                                  out=m)  # (B,) -1 where y is the immediate
        torch.bitwise_xor(b, torch.bitwise_and(torch.bitwise_xor(b, imm, out=y), m, out=y),
                          out=y)  # (B,) second operand: imm or regs[rb]

        # every candidate value
        torch.add(a, y, out=v_add)
        torch.sub(a, y, out=v_sub)
        torch.mul(a, y, out=v_mul)
        torch.eq(y, k0, out=yz)  # (B,) 1: division by zero
        torch.add(y, yz, out=ys)  # (B,) divisor, never 0
        # the rounded float64 quotient of 32-bit ints truncates to the exact quotient
        torch.div(ad.copy_(a), yd.copy_(ys), out=ad)  # (B,)
        if q_direct:
            v_div.copy_(ad)  # 2^31 (INT_MIN / -1) wraps to INT_MIN on this device
        else:
            v_div.copy_(q64.copy_(ad))  # through int64: 2^31 wraps to INT_MIN
        torch.bitwise_or(v_div, torch.neg(yz, out=t1), out=v_div)  # x / 0 = -1
        torch.sub(a, torch.mul(v_div, y, out=t1), out=v_rem)  # x%0 = x, INT_MIN%-1 = 0
        torch.bitwise_and(a, y, out=v_and)
        torch.bitwise_or(a, y, out=v_or)
        torch.bitwise_xor(a, y, out=v_xor)
        torch.bitwise_and(y, k31, out=sh)  # (B,) shift amount
        torch.bitwise_left_shift(a, sh, out=v_shl)
        torch.bitwise_right_shift(a, sh, out=v_sar)
        torch.bitwise_left_shift(torch.bitwise_right_shift(kmin, sh, out=t2), k1,
                                 out=t2).bitwise_not_()  # (B,) the bits a logical shift keeps
        torch.bitwise_and(v_sar, t2, out=v_shr)
        torch.eq(a, y, out=v_eq)
        torch.lt(a, y, out=v_lt)
        torch.lt(torch.bitwise_xor(a, kmin, out=xa), torch.bitwise_xor(y, kmin, out=xy),
                 out=v_ltu)
        torch.bitwise_xor(cmp3, k1, out=ncmp3)
        # ld/st address and jalr target: v_add = ra + imm
        torch.clamp(v_add, 0, N - 1, out=addr_c)  # (B,)
        torch.index_select(memf, 0, _flat(addr_c, kB, B, ar, lidx), out=v_load)
        torch.ne(addr_c, v_add, out=v_addr2).mul_(kc2a)
        torch.ge(out_len, kmax, out=v_full2).mul_(kc2f)
        torch.index_select(inpf, 0, _flat(in_pos, kB, B, ar, iidx), out=v_in)
        torch.add(pc, k1, out=v_link)

        # pick: written value, condition (taken / 2 * primary stop code), next pc
        torch.bitwise_and(torch.bitwise_right_shift(p, sel_shift, out=rows3), krow,
                          out=rows3)  # (3, B) row numbers
        if sel.dtype == rows3.dtype:
            torch.mul(rows3, kB, out=sel)  # (3, B) row offsets into V
        else:
            sel.copy_(rows3).mul_(B)
        wcidx.add_(ar)  # (2, B)
        torch.index_select(Vf, 0, wcidx_f, out=wc_f)
        # taken: the target row; not taken: row 0 (link, = pc + 1)
        torch.add(torch.mul(sel2, cond, out=nidx), ar, out=nidx)  # (B,)
        torch.index_select(Vf, 0, nidx, out=npc)  # (B,)

        # stop code: a primary stop (2 * code in cond) outranks a target fault (code 1)
        torch.ne(torch.clamp(npc, 0, N - 1, out=npcc), npc, out=tf)  # (B,)
        torch.maximum(torch.bitwise_right_shift(cond, k1, out=new), tf, out=new)  # 0: completes
        code.addcmul_(live, new)
        cycles.add_(live)
        torch.gt(live, new, out=live)  # (B,) 1: commit (and keep running)

        # write-back; masked-off writes go to r0 (zeroed again) and to the sinks
        torch.bitwise_and(torch.bitwise_right_shift(p, en_shift, out=en), live, out=en)
        torch.mul(rd, en_w, out=t1)  # (B,) rd, or 0 (r0) when nothing is written
        regf.scatter_(0, _long(_flat(t1, kB, B, ar, widx), i64), wv)
        r0.zero_()
        torch.add(torch.mul(torch.sub(lidx, sink, out=sidx), en_st, out=sidx), sink,
                  out=sidx)  # (B,) mem[addr] or the sink
        memf.scatter_(0, _long(sidx, i64), b)
        outf.scatter_(0, _long(_flat(out_len, kB, B, ar, oidx), i64), a)  # row out_len or sink
        out_len.add_(en_out)
        in_pos.add_(en_in).clamp_(max=in_cap)
        pc.add_(torch.mul(torch.sub(npc, pc, out=dpc), live, out=dpc))


_SCRIPTED = None
_CONSTANT = re.compile(r"(V|S|K)_[A-Z0-9_]+|INT_MIN|ROW_MASK|IMM_SHIFT|C2_ADDRESS|C2_OUTPUT_FULL")


def script_source() -> str:
    """run_cycles (and its helper) as TorchScript source: TorchScript cannot read
    module-level ints, so every constant name is replaced by its value."""
    consts = {k: v for k, v in globals().items()
              if _CONSTANT.fullmatch(k) and isinstance(v, int) and not isinstance(v, bool)}
    src = "\n\n".join(inspect.getsource(f) for f in (_flat, _long, run_cycles))
    names = re.compile(r"\b(" + "|".join(sorted(consts, key=len, reverse=True)) + r")\b")
    src = names.sub(lambda m: str(consts[m.group(1)]), src)
    return src.replace("torch.Tensor", "Tensor")


def scripted():
    """run_cycles compiled with TorchScript, or None when TorchScript is unavailable or
    disabled (NCPU_JIT=0). Compiled once per process."""
    global _SCRIPTED
    if os.environ.get("NCPU_JIT", "1") == "0":
        return None
    if _SCRIPTED is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit is marked deprecated
                _SCRIPTED = torch.jit.CompilationUnit(script_source()).run_cycles
        except Exception:  # noqa: BLE001 - any failure means: run eagerly
            _SCRIPTED = False
    return _SCRIPTED or None
