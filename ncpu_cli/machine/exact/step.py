"""The exact executor's cycle: a fixed, branch-free sequence of integer tensor ops.

`run_cycles(n, ...)` advances every program of one shard by n cycles (stopped
programs are masked and never change). It is plain torch code that also
compiles with TorchScript (`scripted()`): a scripted chunk runs its n cycles
without returning to Python, with less overhead per op and without holding the
GIL, so shards of a big CPU batch step in parallel threads. Without TorchScript
the same function runs eagerly.

Layout (B programs of the shard, N memory words, R_MEM = 16 registers):

    st     (R_MEM + N + cap, B) int32  the state every write goes to, word-major:
                                       rows 0..15 registers (r0 re-zeroed after each
                                       write), then memory, then `cap` output words
    inp    (L + 2, B) int32   input words, zero padded (reads past the end give 0)
    V      (V_COUNT, B) int32 candidate values and decoded fields (exact_tables.V)
    s      list of (B,)-sized scratch buffers (S_* below): nothing is allocated
    k      list of 0-dim int32 constants (K_* below)

Every flat index is `row * B + arange(B)`, so programs that run in lockstep
(a sweep over one program) read and write contiguous memory.

One cycle: fetch w = mem[pc]; slice the fields with two stacked ops per group;
look up the packed per-opcode word P[op] and split it into row selectors; gather
a = regs[ra], b = regs[rb]; pick the second operand y (imm or b); compute every
candidate row of V; gather, at flat offsets taken from P, the value to write, the
condition (taken, or 2 * a primary stop code) and the state row to write; gather
the next pc (target row when taken, else pc + 1); the stop code is
max(condition >> 1, next pc outside memory); commit where it is 0: one scatter
writes the register, the stored word or the output word (an instruction does at
most one of them; uncommitted writes go to r0, re-zeroed), then out_len, in_pos
and pc advance.
"""

from __future__ import annotations

import inspect
import os
import re
import warnings
from typing import List

import torch

from ncpu_cli.isa import load_isa
from ncpu_cli.machine.exact import tables as xt

INT_MIN = -(2**31)
ROW_MASK = (1 << xt.ROW_BITS) - 1
C2_ADDRESS = 2 * xt.C_ADDRESS
C2_OUTPUT_FULL = 2 * xt.C_OUTPUT_FULL
R_MEM = load_isa().registers  # first memory row of the state `st`

# V rows, as plain ints (script_source() writes their values into the TorchScript code)
V_LINK = xt.V["link"]
V_ADD, V_SUB, V_MUL, V_DIV, V_REM = (xt.V[k] for k in ("add", "sub", "mul", "div", "rem"))
V_AND, V_OR, V_XOR = (xt.V[k] for k in ("and", "or", "xor"))
V_SHL, V_SHR, V_SAR = (xt.V[k] for k in ("shl", "shr", "sar"))
V_EQ, V_LT, V_LTU = (xt.V[k] for k in ("eq", "lt", "ltu"))
V_LOAD, V_IN, V_ADDR2, V_FULL2 = (xt.V[k] for k in ("load", "in", "address2", "full2"))
V_STROW, V_OUTROW = xt.V["strow"], xt.V["outrow"]
V_IMM, V_OP, V_RB = (xt.V[k] for k in ("imm", "op", "rb"))
V_SHIFTED_END = V_IMM + len(xt.FIELD_SHIFTED)
V_B, V_A, V_Y = xt.V["b"], xt.V["a"], xt.V["y"]
V_FIELDS_END = V_IMM + len(xt.FIELD_ROWS)

# the rows of `pick` (S_PICK): (p >> PICK_SHIFT) & PICK_MASK
PICK_SHIFT = (xt.P_VSEL, xt.P_CSEL, xt.P_WSEL, xt.P_TROW, xt.P_IMM)
PICK_MASK = (ROW_MASK, ROW_MASK, ROW_MASK, ROW_MASK, 1)
# the rows of `en` (S_EN): (p >> EN_SHIFT) & live
EN_SHIFT = (xt.P_IN, xt.P_OUT)

# scratch buffers: index -> (shape rows, dtype) ("idx" = the shard's index dtype)
SCRATCH = (
    ("fetch", 1, "idx"), ("w", 1, "i32"), ("p", 1, "i32"), ("pick", 5, "i32"),
    ("baidx", 2, "idx"), ("t1", 1, "i32"), ("ayd", 2, "f64"), ("q64", 1, "i64"),
    ("sh", 1, "i32"), ("t2", 1, "i32"), ("xay", 2, "i32"), ("addr_c", 1, "i32"),
    ("lidx", 1, "idx"), ("iidx", 1, "idx"), ("wcidx", 3, "idx"), ("wc", 3, "i32"),
    ("nidx", 1, "idx"), ("npc", 1, "i32"), ("npcc", 1, "i32"), ("tf", 1, "i32"),
    ("new", 1, "i32"), ("en", 2, "i32"), ("widx", 1, "idx"), ("dpc", 1, "i32"),
    ("long", 1, "i64"),
)
S = {name: i for i, (name, _, _) in enumerate(SCRATCH)}
(S_FETCH, S_W, S_P, S_PICK, S_BAIDX, S_T1, S_AYD, S_Q64, S_SH, S_T2, S_XAY, S_ADDR_C, S_LIDX, S_IIDX, S_WCIDX, S_WC, S_NIDX, S_NPC, S_NPCC, S_TF, S_NEW, S_EN, S_WIDX,
 S_DPC, S_LONG) = range(len(SCRATCH))
# 0-dim int32 constants handed to run_cycles (list `k`)
K_1, K_31, K_MIN, K_C2A, K_C2F, K_MAXOUT, K_MEM, K_OUT = range(8)


def make_constants(mem_words: int, max_out: int, device: torch.device) -> List[torch.Tensor]:
    values = [1, 31, INT_MIN, C2_ADDRESS, C2_OUTPUT_FULL, max_out, R_MEM, R_MEM + mem_words]
    return [torch.tensor(v, dtype=torch.int32, device=device) for v in values]


SCRATCH_BYTES = sum(rows * {"idx": 8, "i32": 4, "i64": 8, "f64": 8}[k] for _, rows, k in SCRATCH)


def make_scratch(batch: int, index_dtype: torch.dtype, device: torch.device) -> List[torch.Tensor]:
    dtypes = {"idx": index_dtype, "i32": torch.int32, "i64": torch.int64, "f64": torch.float64}
    bufs = []
    for _name, rows, kind in SCRATCH:
        shape = (batch,) if rows == 1 else (rows, batch)
        bufs.append(torch.empty(shape, dtype=dtypes[kind], device=device))
    return bufs


def _scatter_index(idx: torch.Tensor, buf: torch.Tensor, long_scatter: bool) -> torch.Tensor:
    """idx as it is, or (long_scatter) copied to int64 into `buf`."""
    if long_scatter and idx.dtype != torch.int64:
        return buf.copy_(idx)
    return idx


def run_cycles(
    n: int, N: int, max_out: int, in_cap: int, q_direct: bool, long_scatter: bool,
    has_div: bool, has_in: bool, has_out: bool, st: torch.Tensor, pc: torch.Tensor, live: torch.Tensor, code: torch.Tensor,
    cycles: torch.Tensor, out_len: torch.Tensor, inp: torch.Tensor, in_pos: torch.Tensor,
    V: torch.Tensor, P: torch.Tensor,
    f_left: torch.Tensor, f_right: torch.Tensor, f_lo: torch.Tensor, f_mask: torch.Tensor,
    pick_shift: torch.Tensor, pick_mask: torch.Tensor, en_shift: torch.Tensor,
    k: List[torch.Tensor], ar: torch.Tensor, s: List[torch.Tensor],
) -> None:
    """n cycles for every program of the shard. Branch-free, no host sync, and with int32
    indices no allocation.

    in_cap = L + 1: in_pos stops there (> in_len means eof). q_direct: this device
    converts float64 2^31 to int32 -2^31 (else the quotient goes through int64).
    long_scatter: hand scatter_ an int64 copy of the write index. has_div / has_in /
    has_out: the step computes div and rem, reads input, writes output
    (exact_tables.FEATURES; the packed table P then pauses the opcodes that need a part
    left out; those rows of V are never picked). k: 0-dim int32 constants (K_* above;
    TorchScript would make a new tensor from a Python scalar at every op).
    ar: arange(B) in the index dtype; the flat index of row x is ar + B * x, one add
    (alpha=B) or addcmul (value=B). With int32 indices every op has one dtype; with
    int64 ones (shards of 2^31 words or more) torch casts the int32 operand into a
    temporary, a cost that is small next to ops that big. Every view is made once,
    before the loop.
    """
    B = pc.shape[0]
    k1, k31, kmin = k[K_1], k[K_31], k[K_MIN]
    kc2a, kc2f, kmax, kmem, kout = k[K_C2A], k[K_C2F], k[K_MAXOUT], k[K_MEM], k[K_OUT]
    stf, inpf, Vf = st.view(-1), inp.view(-1), V.view(-1)
    regf = st[:R_MEM].view(-1)  # (16B,) the registers
    memf = st[R_MEM:R_MEM + N].view(-1)  # (NB,) the memory
    r0 = st[0]  # (B,)
    f_shifted = V[V_IMM:V_SHIFTED_END]  # (3, B) imm li lui
    f_masked = V[V_SHIFTED_END:V_FIELDS_END]  # (5, B) op rd rb ra btarget
    rbra = V[V_RB:V_RB + 2]  # (2, B) rb ra
    ba = V[V_B:V_B + 2].view(-1)  # (2B,) b = regs[rb], a = regs[ra]
    ay = V[V_A:V_A + 2]  # (2, B) a, y: the two ALU operands
    cmp3 = V[V_EQ:V_EQ + 3]  # (3, B) eq lt ltu
    ncmp3 = V[V_EQ + 3:V_EQ + 6]  # (3, B) ne ge geu
    a, b, y, imm = V[V_A], V[V_B], V[V_Y], V[V_IMM]  # (B,) each
    v_add, v_sub, v_mul, v_div, v_rem = V[V_ADD], V[V_SUB], V[V_MUL], V[V_DIV], V[V_REM]
    v_and, v_or, v_xor = V[V_AND], V[V_OR], V[V_XOR]
    v_shl, v_shr, v_sar = V[V_SHL], V[V_SHR], V[V_SAR]
    v_eq, v_lt, v_ltu = V[V_EQ], V[V_LT], V[V_LTU]
    v_load, v_in, v_addr2, v_full2, v_link = V[V_LOAD], V[V_IN], V[V_ADDR2], V[V_FULL2], V[V_LINK]
    v_strow, v_outrow, op = V[V_STROW], V[V_OUTROW], V[V_OP]
    fetch, w, p, baidx = s[S_FETCH], s[S_W], s[S_P], s[S_BAIDX]
    pick = s[S_PICK]  # (5, B) row numbers (value, condition, write row, target), imm flag
    wcw_rows, trow, is_imm = pick[:3], pick[3], pick[4]
    t1, q64, sh, t2 = s[S_T1], s[S_Q64], s[S_SH], s[S_T2]
    ayd, xay = s[S_AYD], s[S_XAY]  # (2, B) a, y as float64; a, y with the sign bit flipped
    ad, yd, xa, xy = ayd[0], ayd[1], xay[0], xay[1]
    addr_c, lidx, iidx = s[S_ADDR_C], s[S_LIDX], s[S_IIDX]
    wcidx = s[S_WCIDX]  # (3, B) flat offsets into V: value, condition, write row
    wc = s[S_WC]  # (3, B) value, condition, write row
    wc_f, wv, cond, wrow = wc.view(-1), wc[0], wc[1], wc[2]
    nidx, npc, npcc, tf, new = s[S_NIDX], s[S_NPC], s[S_NPCC], s[S_TF], s[S_NEW]
    en = s[S_EN]  # (2, B) the input / output position advances
    en_in, en_out = en[0], en[1]
    widx, dpc, lng = s[S_WIDX], s[S_DPC], s[S_LONG]
    for _ in range(n):
        # fetch and decode
        torch.index_select(memf, 0, torch.add(ar, pc, alpha=B, out=fetch), out=w)  # mem[pc]
        torch.bitwise_left_shift(w, f_left, out=f_shifted).bitwise_right_shift_(f_right)
        torch.bitwise_right_shift(w, f_lo, out=f_masked).bitwise_and_(f_mask)
        torch.index_select(P, 0, op, out=p)  # (B,) packed per-opcode word
        torch.bitwise_and(torch.bitwise_right_shift(p, pick_shift, out=pick), pick_mask,
                          out=pick)  # (5, B)
        torch.index_select(regf, 0, torch.add(ar, rbra, alpha=B, out=baidx).view(-1), out=ba)
        torch.addcmul(b, torch.sub(imm, b, out=y), is_imm, out=y)  # (B,) imm or regs[rb]

        # every candidate value
        torch.add(a, y, out=v_add)
        torch.sub(a, y, out=v_sub)
        torch.mul(a, y, out=v_mul)
        if has_div:
            # the rounded float64 quotient of 32-bit ints truncates to the exact quotient;
            # x / 0 is +-inf or nan: -1
            ayd.copy_(ay)
            torch.div(ad, yd, out=ad).nan_to_num_(-1.0, -1.0, -1.0)  # (B,)
            if q_direct:
                v_div.copy_(ad)  # 2^31 (INT_MIN / -1) wraps to INT_MIN on this device
            else:
                v_div.copy_(q64.copy_(ad))  # through int64: 2^31 wraps to INT_MIN
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
        torch.bitwise_xor(ay, kmin, out=xay)  # (2, B) unsigned order as signed order
        torch.lt(xa, xy, out=v_ltu)
        torch.bitwise_xor(cmp3, k1, out=ncmp3)
        # ld/st address and jalr target: v_add = ra + imm
        torch.clamp(v_add, 0, N - 1, out=addr_c)  # (B,)
        torch.ne(addr_c, v_add, out=v_addr2).mul_(kc2a)
        torch.add(addr_c, kmem, out=v_strow)  # (B,) the state row of mem[addr]
        torch.index_select(stf, 0, torch.add(ar, v_strow, alpha=B, out=lidx), out=v_load)
        if has_out:
            torch.ge(out_len, kmax, out=v_full2).mul_(kc2f)
            torch.add(out_len, kout, out=v_outrow)  # (B,) state row of the next output word
        if has_in:
            torch.index_select(inpf, 0, torch.add(ar, in_pos, alpha=B, out=iidx), out=v_in)
        torch.add(pc, k1, out=v_link)

        # pick: value, condition (taken / 2 * primary stop code), write row; next pc
        torch.index_select(Vf, 0, torch.add(ar, wcw_rows, alpha=B, out=wcidx).view(-1),
                           out=wc_f)
        # taken: the target row; not taken: row 0 (link, = pc + 1)
        torch.index_select(Vf, 0, torch.addcmul(ar, trow, cond, value=B, out=nidx), out=npc)

        # stop code: a primary stop (2 * code in cond) outranks a target fault (code 1)
        torch.ne(torch.clamp(npc, 0, N - 1, out=npcc), npc, out=tf)  # (B,)
        torch.maximum(torch.bitwise_right_shift(cond, k1, out=new), tf, out=new)  # 0: completes
        code.addcmul_(live, new)
        cycles.add_(live)
        torch.gt(live, new, out=live)  # (B,) 1: commit (and keep running)

        # write-back: one scatter (uncommitted: r0, zeroed again), then the positions
        torch.addcmul(ar, wrow, live, value=B, out=widx)  # (B,)
        stf.scatter_(0, _scatter_index(widx, lng, long_scatter), wv)
        r0.zero_()
        if has_in or has_out:
            torch.bitwise_and(torch.bitwise_right_shift(p, en_shift, out=en), live, out=en)
        if has_out:
            out_len.add_(en_out)
        if has_in:
            in_pos.add_(en_in).clamp_(max=in_cap)
        pc.addcmul_(torch.sub(npc, pc, out=dpc), live)


_SCRIPTED = None
_CONSTANT = re.compile(r"(V|S|K|R)_[A-Z0-9_]+|INT_MIN|C2_ADDRESS|C2_OUTPUT_FULL")


def script_source() -> str:
    """run_cycles (and its helper) as TorchScript source: TorchScript cannot read
    module-level ints, so every constant name is replaced by its value."""
    consts = {k: v for k, v in globals().items()
              if _CONSTANT.fullmatch(k) and isinstance(v, int) and not isinstance(v, bool)}
    src = "\n\n".join(inspect.getsource(f) for f in (_scatter_index, run_cycles))
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
