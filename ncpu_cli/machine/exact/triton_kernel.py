"""The Triton engine's kernel: BLOCK ncpu32 programs per program instance, K cycles a launch.

One lane of a program instance is one ncpu32 program. Its pc, 16 registers (a
(BLOCK, 16) block), status, cycle count and stream cursors stay on-chip for the
whole launch; memory (B, N), the output buffer (B, cap) and the input streams stay
in global memory. A launch runs every lane for at most K more cycles (and never past
`max_cycles`), then writes the state back, so the host can launch chunks until every
program has stopped.

One cycle is the same fixed sequence for every lane (branch-free selects, masked
loads and stores): fetch, decode through a packed table, read ra and rb, compute
every result, work out the faults in the priority order of `isa/INTERPRETATIONS.md`
(opcode, then address / output-full, then target), and commit the writes only
where nothing faulted. Semantics and cycle counting follow the reference
interpreter (`reference.py`) and the native kernel (`native_kernel.py`).

Decoding reads one int32 per opcode from `decode_table()`, built from the opcode
table (`isa.py`) through the native kernel's own tables: no opcode number appears
here. Field positions arrive as constexpr arguments (`field_args()`).

`triton.jit` reads TRITON_INTERPRET when this module is imported (the engine
imports it on its first run): `INTERPRET` says which kind of kernel it made, the
interpreter's (numpy on the host, any tensors) or the compiled one (CUDA tensors).
"""

from __future__ import annotations

import os

import numpy as np
import triton
import triton.language as tl

from ncpu_cli.machine.exact import native_kernel as nk

# Status and fault-reason codes: the native engine's, so its NativeBatch reads them.
S_RUNNING = tl.constexpr(nk.S_RUNNING)
S_HALTED = tl.constexpr(nk.S_HALTED)
S_FAULT = tl.constexpr(nk.S_FAULT)
S_TIMEOUT = tl.constexpr(nk.S_TIMEOUT)
S_PAUSE = tl.constexpr(nk.S_PAUSE)  # output buffer full below max_out: the host grows it
R_OPCODE = tl.constexpr(nk.R_OPCODE)
R_ADDRESS = tl.constexpr(nk.R_ADDRESS)
R_TARGET = tl.constexpr(nk.R_TARGET)
R_OUTPUT_FULL = tl.constexpr(nk.R_OUTPUT_FULL)
# Semantics classes, ALU functions and branch conditions (codes of native_kernel).
K_ILLEGAL = tl.constexpr(nk.K_ILLEGAL)
K_HALT = tl.constexpr(nk.K_HALT)
K_ALU = tl.constexpr(nk.K_ALU)
K_ALUI = tl.constexpr(nk.K_ALUI)
K_LI = tl.constexpr(nk.K_LI)
K_LUI = tl.constexpr(nk.K_LUI)
K_LOAD = tl.constexpr(nk.K_LOAD)
K_STORE = tl.constexpr(nk.K_STORE)
K_JAL = tl.constexpr(nk.K_JAL)
K_JALR = tl.constexpr(nk.K_JALR)
K_BRANCH = tl.constexpr(nk.K_BRANCH)
K_IN = tl.constexpr(nk.K_IN)
K_OUT = tl.constexpr(nk.K_OUT)
F_ADD = tl.constexpr(nk.F_ADD)
F_SUB = tl.constexpr(nk.F_SUB)
F_MUL = tl.constexpr(nk.F_MUL)
F_DIV = tl.constexpr(nk.F_DIV)
F_REM = tl.constexpr(nk.F_REM)
F_AND = tl.constexpr(nk.F_AND)
F_OR = tl.constexpr(nk.F_OR)
F_XOR = tl.constexpr(nk.F_XOR)
F_SHL = tl.constexpr(nk.F_SHL)
F_SHR = tl.constexpr(nk.F_SHR)
F_SAR = tl.constexpr(nk.F_SAR)
F_SLT = tl.constexpr(nk.F_SLT)
C_EQ = tl.constexpr(nk.C_EQ)
C_NE = tl.constexpr(nk.C_NE)
C_LT = tl.constexpr(nk.C_LT)
C_GE = tl.constexpr(nk.C_GE)
C_LTU = tl.constexpr(nk.C_LTU)
assert set(nk.ALU_FNS) - {"add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr",
                          "sar", "slt"} == {"sltu"}, "the kernel selects every ALU function"
assert set(nk.CONDS) - {"eq", "ne", "lt", "ge", "ltu"} == {"geu"}, "and every condition"
LUI_SHIFT = tl.constexpr(10)  # ISA.md: lui rd = imm22 << 10

# Packed decode word: kind | fn << 4 | imm lo << 8 | imm width << 16 | signed << 24.
PACK = {"fn": 4, "lo": 8, "width": 16, "signed": 24}
P_FN = tl.constexpr(PACK["fn"])
P_LO = tl.constexpr(PACK["lo"])
P_WIDTH = tl.constexpr(PACK["width"])
P_SIGNED = tl.constexpr(PACK["signed"])
_knobs = getattr(triton, "knobs", None)  # triton >= 3.3; older ones read the variable
INTERPRET = (bool(_knobs.runtime.interpret) if _knobs is not None
             else os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"))


def decode_table() -> np.ndarray:
    """(2^opbits,) int32: each opcode's packed decode word (illegal opcodes: 0)."""
    dec, _fields = nk.decode_tables()
    width = np.array([int(m).bit_length() for m in dec[:, nk.D_IMM_MASK]], dtype=np.int64)
    signed = (dec[:, nk.D_IMM_SIGN] != 0).astype(np.int64)
    packed = (dec[:, nk.D_KIND] | dec[:, nk.D_FN] << PACK["fn"] | dec[:, nk.D_IMM_LO] << PACK["lo"]
              | width << PACK["width"] | signed << PACK["signed"])
    return packed.astype(np.int32)


def field_args() -> dict:
    """The register-field layout as the kernel's constexpr arguments."""
    _dec, f = nk.decode_tables()
    return dict(OP_LO=int(f[0]), OP_MASK=int(f[1]), RD_LO=int(f[2]), RA_LO=int(f[3]),
                RB_LO=int(f[4]), REG_MASK=int(f[5]))


@triton.jit
def run_lanes(mem, regs, pc_p, status_p, reason_p, cycles_p, out, out_len_p, inp, in_len_p,
               in_pos_p, eof_p, dec, B, N, OUT_CAP, IN_W, max_cycles, max_out, K,
               INNER: tl.constexpr, INP_SHARED: tl.constexpr, NREG: tl.constexpr,
               BLOCK: tl.constexpr,
               OP_LO: tl.constexpr, OP_MASK: tl.constexpr, RD_LO: tl.constexpr,
               RA_LO: tl.constexpr, RB_LO: tl.constexpr, REG_MASK: tl.constexpr):
    """Run lanes pid*BLOCK .. +BLOCK for at most K more cycles each (see the module doc).

    mem (B, N) int32, regs (B, NREG) int32, pc/status/reason (B,) int32, cycles (B,)
    int64, out (B, OUT_CAP) int32, out_len (B,) int32, inp (B or 1, IN_W) int32,
    in_len (B or 1,) int32, in_pos (B,) int32, eof (B,) int32, dec (2^opbits,) int32.
    The lanes run INNER cycles between two "is any lane still running?" checks."""
    pid = tl.program_id(0)
    lane = pid * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,)
    live = lane < B
    lane64 = lane.to(tl.int64)
    cols = tl.arange(0, NREG)  # (NREG,)
    st = tl.load(status_p + lane, mask=live, other=S_HALTED)
    cyc = tl.load(cycles_p + lane, mask=live, other=0)
    budget = tl.minimum(max_cycles - cyc, K).to(tl.int32)  # cycles this launch may run
    pc = tl.load(pc_p + lane, mask=live, other=0)
    reason = tl.load(reason_p + lane, mask=live, other=0)
    ol = tl.load(out_len_p + lane, mask=live, other=0)
    ip = tl.load(in_pos_p + lane, mask=live, other=0)
    eof = tl.load(eof_p + lane, mask=live, other=0)
    reg_ptr = regs + lane64[:, None] * NREG + cols[None, :]  # (BLOCK, NREG)
    R = tl.load(reg_ptr, mask=live[:, None], other=0)
    if INP_SHARED:
        in_row = inp + lane64 * 0
        il = tl.load(in_len_p + lane * 0, mask=live, other=0)
    else:
        in_row = inp + lane64 * IN_W
        il = tl.load(in_len_p + lane, mask=live, other=0)
    mem_row = mem + lane64 * N  # (BLOCK,) pointers to each program's word 0
    out_row = out + lane64 * OUT_CAP
    done = tl.zeros([BLOCK], dtype=tl.int32)
    act = (st == S_RUNNING) & (done < budget)
    while tl.max(act.to(tl.int32), axis=0) > 0:
        for _ in range(INNER):
            # fetch and decode
            w = tl.load(mem_row + pc, mask=act, other=0)
            d = tl.load(dec + ((w >> OP_LO) & OP_MASK), mask=act, other=0)
            kind = d & 15
            fn = (d >> P_FN) & 15
            iw = (d >> P_WIDTH) & 31
            imm = (w >> ((d >> P_LO) & 31)) & ((1 << iw) - 1)
            sbit = ((1 << iw) >> 1) * ((d >> P_SIGNED) & 1)
            imm = imm - ((imm & sbit) << 1)  # sign-extend the signed immediates
            rd = (w >> RD_LO) & REG_MASK
            a = tl.sum(tl.where(cols[None, :] == ((w >> RA_LO) & REG_MASK)[:, None], R, 0),
                       axis=1)
            b = tl.sum(tl.where(cols[None, :] == ((w >> RB_LO) & REG_MASK)[:, None], R, 0),
                       axis=1)
            # every result, selected by kind and fn
            is_alu = (kind == K_ALU) | (kind == K_ALUI)
            c = tl.where(kind == K_ALU, b, imm)  # the ALU's second operand
            ua = a.to(tl.uint32, bitcast=True)
            uc = c.to(tl.uint32, bitcast=True)
            sh = (c & 31).to(tl.uint32)
            # division on magnitudes (|INT_MIN| = 2^31 fits uint32); by 1 where c = 0
            neg_a = a < 0
            neg_c = c < 0
            ma = tl.where(neg_a, tl.sub(0, a, sanitize_overflow=False), a)
            mc = tl.where(neg_c, tl.sub(0, c, sanitize_overflow=False), c)
            mc = tl.where(c == 0, 1, mc).to(tl.uint32, bitcast=True)
            q = (ma.to(tl.uint32, bitcast=True) // mc).to(tl.int32, bitcast=True)
            r = (ma.to(tl.uint32, bitcast=True) % mc).to(tl.int32, bitcast=True)
            q = tl.where(neg_a != neg_c, tl.sub(0, q, sanitize_overflow=False), q)
            r = tl.where(neg_a, tl.sub(0, r, sanitize_overflow=False), r)
            v = (ua < uc).to(tl.int32)  # sltu: the one function not selected below
            v = tl.where(fn == F_ADD, tl.add(a, c, sanitize_overflow=False), v)
            v = tl.where(fn == F_SUB, tl.sub(a, c, sanitize_overflow=False), v)
            v = tl.where(fn == F_MUL, tl.mul(a, c, sanitize_overflow=False), v)
            v = tl.where(fn == F_DIV, tl.where(c == 0, -1, q), v)
            v = tl.where(fn == F_REM, tl.where(c == 0, a, r), v)
            v = tl.where(fn == F_AND, a & c, v)
            v = tl.where(fn == F_OR, a | c, v)
            v = tl.where(fn == F_XOR, a ^ c, v)
            v = tl.where(fn == F_SHL, (ua << sh).to(tl.int32, bitcast=True), v)
            v = tl.where(fn == F_SHR, (ua >> sh).to(tl.int32, bitcast=True), v)
            v = tl.where(fn == F_SAR, a >> sh.to(tl.int32), v)
            v = tl.where(fn == F_SLT, (a < c).to(tl.int32), v)
            # branch conditions (fn holds the condition code for branches)
            ub = b.to(tl.uint32, bitcast=True)
            taken = tl.where(fn == C_EQ, a == b, ua >= ub)  # geu: the one not selected below
            taken = tl.where(fn == C_NE, a != b, taken)
            taken = tl.where(fn == C_LT, a < b, taken)
            taken = tl.where(fn == C_GE, a >= b, taken)
            taken = tl.where(fn == C_LTU, ua < ub, taken)
            is_load = kind == K_LOAD
            is_mem = is_load | (kind == K_STORE)
            is_in = kind == K_IN
            is_out = kind == K_OUT
            # wraps modulo 2^32; as an unsigned word it is < N exactly when 0 <= addr < N
            addr = tl.add(a, imm, sanitize_overflow=False)
            addr_ok = (addr >= 0) & (addr < N)
            loaded = tl.load(mem_row + addr, mask=act & is_load & addr_ok, other=0)
            has = ip < il
            word_in = tl.load(in_row + ip, mask=act & is_in & has, other=0)
            nxt = pc + 1
            nxt = tl.where((kind == K_BRANCH) & taken, imm, nxt)
            nxt = tl.where(kind == K_JAL, imm, nxt)
            nxt = tl.where(kind == K_JALR, addr, nxt)
            # faults, in priority order; a pause executes nothing and is not counted
            halt = kind == K_HALT
            bad_op = kind == K_ILLEGAL
            bad_addr = is_mem & ~addr_ok
            full = is_out & (ol >= max_out)
            pause = is_out & ~full & (ol >= OUT_CAP)
            bad_tgt = ~halt & ~bad_op & ~bad_addr & ~full & ~pause & ((nxt < 0) | (nxt >= N))
            fault = act & (bad_op | bad_addr | full | bad_tgt)
            ok = act & ~fault & ~halt & ~pause
            # commit
            val = tl.where(kind == K_LI, imm, tl.where(kind == K_LUI, imm << LUI_SHIFT, word_in))
            val = tl.where(is_alu, v, tl.where(is_load, loaded, val))
            val = tl.where((kind == K_JAL) | (kind == K_JALR), pc + 1, val)
            writes = ok & (rd != 0) & (kind != K_STORE) & (kind != K_BRANCH) & ~is_out
            R = tl.where((cols[None, :] == rd[:, None]) & writes[:, None], val[:, None], R)
            tl.store(mem_row + addr, b, mask=ok & (kind == K_STORE))
            tl.store(out_row + ol, a, mask=ok & is_out)
            ol += (ok & is_out).to(tl.int32)
            ip += (ok & is_in & has).to(tl.int32)
            eof = tl.where(ok & is_in & ~has, 1, eof)
            pc = tl.where(ok, nxt, pc)
            done += (act & ~pause).to(tl.int32)
            st = tl.where(act & halt, S_HALTED, st)
            st = tl.where(fault, S_FAULT, st)
            st = tl.where(act & pause, S_PAUSE, st)
            why = tl.where(bad_addr, R_ADDRESS, tl.where(full, R_OUTPUT_FULL, R_TARGET))
            reason = tl.where(fault, tl.where(bad_op, R_OPCODE, why), reason)
            act = (st == S_RUNNING) & (done < budget)
    cyc += done.to(tl.int64)
    st = tl.where((st == S_RUNNING) & (cyc >= max_cycles), S_TIMEOUT, st)
    tl.store(reg_ptr, R, mask=live[:, None])
    tl.store(pc_p + lane, pc, mask=live)
    tl.store(status_p + lane, st, mask=live)
    tl.store(reason_p + lane, reason, mask=live)
    tl.store(cycles_p + lane, cyc, mask=live)
    tl.store(out_len_p + lane, ol, mask=live)
    tl.store(in_pos_p + lane, ip, mask=live)
    tl.store(eof_p + lane, eof, mask=live)


def compile_ahead(capability: int = 90, block: int = 128, inner: int = 8, shared: bool = False):
    """Compile `run_lanes` for an NVIDIA GPU of this compute capability without one being
    present (Triton's ahead-of-time path; needs TRITON_INTERPRET unset at import). The
    tests use it to check that the compiled kernel builds, which the interpreter cannot."""
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource, compile

    ptrs = ["mem", "regs", "pc_p", "status_p", "reason_p", "cycles_p", "out", "out_len_p", "inp",
            "in_len_p", "in_pos_p", "eof_p", "dec"]
    sig = {name: "*i64" if name == "cycles_p" else "*i32" for name in ptrs}
    sig.update({name: "i32" for name in ("B", "N", "OUT_CAP", "IN_W", "max_out", "K")})
    sig["max_cycles"] = "i64"
    const = dict(INNER=inner, INP_SHARED=shared, NREG=nk.decode_tables()[1][5] + 1,
                 BLOCK=block, **field_args())
    names = list(run_lanes.arg_names)
    sig = {name: sig.get(name, "constexpr") for name in names}
    src = ASTSource(fn=run_lanes, signature=sig,
                    constexprs={(names.index(k),): int(v) for k, v in const.items()})
    return compile(src, target=GPUTarget("cuda", capability, 32), options={"num_warps": 4, "enable_fp_fusion": False})
