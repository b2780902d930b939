"""The soft executor: an attention-addressed, differentiable ncpu32, batched over B programs.

State (B programs, N memory words, all on the machine's device):

- ``pc (B, N)``: where the *running* part of each program is (sums to 1);
  ``run (B,)`` is how much of the program still runs; ``done_pc (B, N)`` is
  where the stopped part rests; ``absorbed (B, 5)`` is the stopped mass by
  outcome: halted, fault opcode / address / target / output-full.
- ``regs (B, 16)`` and ``mem (B, N)`` hold real values (float64 by default:
  32-bit integers exactly); r0 is never written.
- streams: the input cursor ``in_pos (B,)`` and ``eof (B,)``; the output
  ``out (B, W)`` (the first W of ``max_out`` slots, see below), the value of
  every slot not yet materialised ``out_far (B,)`` and the cursor ``out_len (B,)``.

One cycle (:func:`soft_step`) is a fixed sequence of tensor operations:
fetch ``pc @ C`` (``soft_decode.py``), read registers through the fetched
selectors, compute the effective address, every ALU result (``soft_alu.py``)
and every branch decision, then NTM erase/add writes ``M ← M·(1 − w) + w·v``
into registers, memory and output, and the next pc as a mixture of "pc + 1"
(a shift of the pc distribution) and "jump to the effective address".
Every pointer goes through one normaliser with one temperature
(``addressing.py``).  Halting and faults are absorbing: the share of the running
mass that executes ``halt`` or faults moves to ``absorbed`` (and its location
to ``done_pc``) and has no further effect; a program is *done* when at most
1e-6 of it still runs, or when it has *settled* (at least half stopped, and the
stopped mass no longer moves: :meth:`SoftMachine.run`).  Its status is the
largest mass: an absorbed outcome, or (still running) timeout.

Speed (no autograd): the big (B, N) tensors are updated in place, the new pc is
built in a double buffer, every per-program quantity is a contiguous (B,) row
(the fetch is computed transposed, ``(F, B)``), under softmax the part of every
store and jump that touches all N slots alike is kept as per-program scalars
(:class:`Affine`), and on the CPU the machine steps with one intra-op thread
(:func:`soft_cpu_threads`).  The same function,
:func:`soft_step`, is the autograd path; ``tests/test_soft_run.py`` holds the two
equal.

With ``addressing="hard"``, or sparsemax at τ ≤ 1 (τ ≤ 0.5 is what the tests
use), every distribution is exactly one-hot and the machine reproduces the
exact executor bit for bit.

Self-modifying code: instructions are decoded once from the image, so a
program that executes a word after writing it cannot run in soft mode.  The
machine marks every word a store writes (and every word a memory patch
changes); when at least half of a program executes such a word, the run
stops with a :class:`RunError` (checked every few cycles).  "Half of a program"
counts the running mass, so a leaked remnant does not trigger it.  Exact mode
runs such programs.  See ``docs/soft.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, to_signed
from ncpu_cli.machine import soft_alu
from ncpu_cli.machine.addressing import (
    RangePointer,
    check_mode,
    normalise_with_far_block,
    normaliser,
    pair_first,
    tent_scores,
)
from ncpu_cli.machine.config import DEFAULT_MAX_CYCLES, MachineConfig, check_limits
from ncpu_cli.machine.device import resolve_device
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import (
    ADDRESS,
    FAULT,
    HALTED,
    OPCODE,
    OUTPUT_FULL,
    TARGET,
    TIMEOUT,
    ProgramResult,
)
from ncpu_cli.machine.soft_decode import (
    LINEAR,
    LINEAR_MAP,
    NREG,
    ControlTable,
    build_control,
    mix_rows,
)

LIVE_EPS = 1e-6  # a program is done when at most this much of it still runs, or
SETTLE_EPS = 1e-6  # ... when its stopped mass is >= 1/2 and moved less than this in SYNC_EVERY cycles
DIRTY_PC = 0.5  # running pc mass on a written word that counts as executing it
OUTCOMES = (HALTED, OPCODE, ADDRESS, TARGET, OUTPUT_FULL)  # columns of `absorbed`
HEADS = ("pc", "ra", "rb", "rd", "read", "write")
SYNC_EVERY = 32  # cycles between host checks (all done? self-modification? output room?)
OUT_WINDOW = 32  # output slots materialised at first (doubles as the output grows)
DTYPES = {"float64": torch.float64, "float32": torch.float32}
MASKED = -1e30  # score of a slot outside a program's range (input cursor)
NEVER = 2**62  # bad_cycle of a program that never executed a word it wrote
SOFT_DEFAULT_MAX_CYCLES = 100_000  # run_soft's cycle limit when the config keeps the default
SOFT_CAP_NOTE = (f"soft mode stops at {SOFT_DEFAULT_MAX_CYCLES:,} cycles unless --max-cycles "
                 "is given")


# ----------------------------------------------------------------------- state


@dataclass
class SoftState:
    """Everything that changes from cycle to cycle (a pytree of tensors)."""

    pc: Tensor  # (B, N) running pc distribution (sums to 1)
    run: Tensor  # (B,) running mass
    done_pc: Tensor  # (B, N) where the stopped mass rests
    absorbed: Tensor  # (B, 5) stopped mass: halted, opcode, address, target, output-full
    regs: Tensor  # (B, 16)
    mem: Tensor  # (B, N)
    out: Tensor  # (B, W) the first W output slots
    out_far: Tensor  # (B,) value of every output slot past W
    out_len: Tensor  # (B,) output cursor (a real count)
    in_pos: Tensor  # (B,) input cursor (a real count)
    eof: Tensor  # (B,) eof flag (0..1)
    cycles: Tensor  # (B,) int64 cycles executed while running
    dirty: Tensor  # (B, N) how strongly each word has been written (0..1)
    bad_cycle: Tensor  # (B,) int64 first cycle that executed a written word, NEVER if none
    settled: Tensor  # (B,) bool: the stopped mass is the majority and no longer changes
    seen: Tensor  # (B, 5) `absorbed` at the previous host check (to see it settle)

    def tensors(self) -> dict[str, Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def bad(self) -> Tensor:
        """(B,) bool: the program executed a word it wrote (self-modifying)."""
        return self.bad_cycle != NEVER


@dataclass
class Kernel:
    """What does not change during a run: decoded program, streams, constants."""

    ctl: ControlTable
    mode: str
    tau: float
    n: int  # memory words
    max_out: int
    in_vals: Tensor  # (B, L+1) input words, 0 past each program's stream
    in_score_mask: Tensor  # (B, L+1) 0 inside a program's range 0..len, MASKED past it
    in_end: Tensor  # (B, L+1) 1 at positions >= a program's stream length (reading there = eof)
    linear_map: Tensor  # (3, 3) weights in {-1, 0, 1}
    reg_write_mask: Tensor  # (16, 1) 0 for r0, 1 elsewhere
    tiny: float
    guard: bool  # watch for self-modification (the image has stores, or memory was patched)
    mem_head: bool  # the image has loads or stores
    jump_head: bool  # the image has jal, jalr or branches
    leaky: bool = False  # pointers spread a common weight over every slot (Affine)

    def norm(self, scores: Tensor) -> Tensor:
        return normaliser(self.mode, self.tau)(scores)


# ------------------------------------------------------------------- one cycle


def fetch(pc: Tensor, ctl: ControlTable, out: Tensor | None = None,
          offset: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """``pc @ C``, transposed: one (B,) row per column of the control table.

    pc (B, N) -> (f (F, B), rest (B,) the mass past the image or None); the rows past
    the image are folded into the tail row (:func:`~ncpu_cli.machine.soft_decode.mix_rows`),
    and a shared table is one GEMM for the whole batch.  `offset`: see :class:`Affine`."""
    return mix_rows(pc, ctl.table, ctl.table_t, out=out, offset=offset)


@dataclass
class Affine:
    """The uniform parts of a leaky (softmax) run, kept aside inside `advance`.

    Under softmax every write and every jump also touches all N slots by one common
    amount: a store maps every far word ``x → x·(1 − w) + w·v``, a jump adds one
    weight ``base`` to every slot of the new pc.  Applied to (B, N) tensors that is a
    full pass per cycle; kept as per-program scalars it is O(B).  The true values are

        mem = α·mem_stored + β,   pc = pc_stored + γ,   done_pc = done_stored + δ,

    ``msum`` = Σ mem_stored (changes only at the two slots a store addresses).
    :meth:`fold` writes them into the tensors (once per chunk of SYNC_EVERY cycles),
    so outside `advance` the state is always plain."""

    alpha: Tensor  # (B,)
    beta: Tensor  # (B,)
    msum: Tensor  # (B,)
    gamma: Tensor  # (B,)
    delta: Tensor  # (B,)

    @staticmethod
    def start(s: SoftState) -> "Affine":
        zero = torch.zeros_like(s.run)
        return Affine(torch.ones_like(s.run), zero, s.mem.sum(dim=-1), zero, zero)

    def fold(self, s: SoftState) -> None:
        s.pc.add_(self.gamma.unsqueeze(-1))
        s.done_pc.add_(self.delta.unsqueeze(-1))
        s.mem.mul_(self.alpha.unsqueeze(-1)).add_(self.beta.unsqueeze(-1))


@dataclass
class Buffers:
    """Preallocated tensors for :func:`soft_step` when no gradient is needed."""

    spare: Tensor  # (B, N) the new pc is built here; the caller swaps it with the old pc
    scratch: Tensor  # (B, N)
    f: Tensor | None  # (F, B) the fetched rows (shared control table only)
    aff: Affine | None = None  # the uniform parts kept aside (leaky addressing)

    @staticmethod
    def like(s: SoftState, ctl: ControlTable) -> "Buffers":
        f = None
        if not ctl.per_program:
            f = s.pc.new_empty(ctl.table.shape[-1], s.pc.shape[0])
        return Buffers(torch.empty_like(s.pc), torch.empty_like(s.pc), f)


def soft_step(
    s: SoftState, k: Kernel, cycle_ok: bool = True, *, bufs: Buffers | None = None,
) -> tuple[SoftState, dict]:
    """One cycle of every program.  Pure: returns the new state and the heads.

    With ``bufs`` (no autograd) the step instead updates the big tensors of `s` in
    place and builds the new pc in ``bufs.spare``; the caller then owns the old pc
    as its next spare (see :meth:`SoftMachine.advance`); with ``bufs.aff`` the
    uniform parts of leaky pointers are kept aside (:class:`Affine`).  Both ways
    compute the same numbers up to rounding (exactly the same at the hard limit).

    heads: pc (B, N); rd, ra, rb (B, 16); read = write = the memory-address
    pointer, jump = the jump-target pointer (:class:`RangePointer` over N + 1
    slots, the last "outside memory"; None when the image has no loads/stores,
    or no jumps/branches)."""
    ctl, cols, n = k.ctl, k.ctl.cols, k.n
    inplace = bufs is not None
    aff = bufs.aff if inplace else None  # uniform parts kept aside (see Affine)
    pc = s.pc  # (B, N); with `aff`, the true pc is pc + aff.gamma
    alive = (s.run > LIVE_EPS) & ~s.settled  # (B,) bool
    if not cycle_ok:
        alive = torch.zeros_like(alive)
    r = s.run * alive  # (B,) running mass that executes this cycle

    # -- fetch: f = (pc @ C)ᵀ, one (B,) row per column
    f, rest = fetch(pc, ctl, bufs.f if inplace else None,
                    aff.gamma if aff is not None else None)  # (F, B), (B,) or None

    def col(name: str) -> Tensor:
        return f[cols[name]]  # (B,)

    sel = f[ctl.sel: ctl.sel + 3 * NREG].view(3, NREG, -1)  # (3, 16, B) rd, ra, rb
    # registers register-major inside the step: every (B,) broadcast is then contiguous
    # (the state keeps them as the (B, 16) transpose of this, so it is a view both ways)
    regs_t = s.regs.t().contiguous()  # (16, B)
    ab = (sel[1:] * regs_t).sum(dim=1)  # (2, B) values of ra, rb
    a, b = ab[0], ab[1]  # (B,)
    last = pc[:, n - 1]  # (B,) running off the end from the last word
    if aff is not None:
        last = last + aff.gamma
    seq_ok = r - r * last  # (B,) weight of effects of sequential instructions
    zero = torch.zeros_like(r)  # (B,)

    # -- the two addresses, base·a + imm, as one (2, B) pointer: memory (ld/st), jump target
    mem_ptr = jump_ptr = None
    mem_oor = jump_oor = zero
    if k.mem_head or k.jump_head:
        m0, b0 = cols["mem_imm"], cols["mem_base"]
        both = RangePointer(torch.addcmul(f[m0: m0 + 2], f[b0: b0 + 2], a), n, k.mode, k.tau)
        if k.mem_head:
            mem_ptr = both[0]
            mem_oor = mem_ptr.oor  # (B,)
        if k.jump_head:
            jump_ptr = both[1]
            jump_oor = jump_ptr.oor  # (B,)

    # -- register write: value u and strength g per program (NTM add/erase)
    imm_alu = col("imm_alu")  # (B,)
    parts = [soft_alu.linear(a, b, imm_alu, k.linear_map), col("const").unsqueeze(0)]  # (3, B), (1, B)
    if ctl.fns:
        parts.append(soft_alu.sources(ctl.fns, a, b + imm_alu))  # (fns, B) b: rb or imm
    first = cols["src:" + LINEAR[0]]
    n_src = 4 + len(ctl.fns)
    u = torch.linalg.vecdot(f[first: first + n_src], torch.cat(parts), dim=0)  # (B,)
    w_load, w_store, w_mem = col("load"), col("store"), col("memw")  # (B,)
    g = col("gw")  # (B,) plain + load + in
    mem = s.mem
    near = None
    if ctl.has("load"):
        near = mem_ptr.near(mem)  # (2, B)
        u = torch.addcmul(u, w_load, mem_ptr.dot(mem, near) if aff is None
                          else _affine_read(mem_ptr, near, aff, n))
        g = g - w_load * mem_oor
    in_pos, eof = s.in_pos, s.eof
    if ctl.has("in"):
        w_in = col("in")  # (B,)
        in_p = k.norm(tent_scores(in_pos, k.in_vals.shape[1]) + k.in_score_mask)  # (B, L+1)
        in_val = torch.linalg.vecdot(in_p, k.in_vals)  # (B,)
        at_end = torch.linalg.vecdot(in_p, k.in_end)  # (B,) mass reading past the stream
        u = torch.addcmul(u, w_in, in_val)
        g_in = w_in * seq_ok  # (B,)
        in_pos = in_pos + g_in * (1 - at_end)
        eof = eof + (1 - eof) * g_in * at_end
    u, g = u * seq_ok, g * seq_ok  # sequential instructions write unless they fall off the end
    if k.jump_head:
        jump_ok = r - r * jump_oor  # (B,) a jump writes its link unless the target is bad
        u = torch.addcmul(u, col("link"), jump_ok)
        g = torch.addcmul(g, col("jump"), jump_ok)
    delta = torch.addcmul(u, g, regs_t, value=-1)  # (16, B) u - g·regs
    regs_t = torch.addcmul(regs_t, sel[0] * k.reg_write_mask, delta)  # (16, B), r0 never written
    regs = regs_t.t()  # (B, 16)

    # -- memory write (store) and the self-modification guard
    dirty, bad_cycle = s.dirty, s.bad_cycle
    if k.guard:
        on_dirty = _on_dirty(pc, dirty, r, rest, ctl.size, bufs)  # (B,) or None: all < 1/2
        if on_dirty is not None:
            # (B,) at least half of the program executes a written word
            now_bad = (r * on_dirty >= DIRTY_PC) & alive
            bad_cycle = torch.where(now_bad, torch.minimum(bad_cycle, s.cycles), bad_cycle)
    if ctl.has("store"):
        g_st = w_store * seq_ok  # (B,)
        if aff is None:
            mem = mem_ptr.write(mem, g_st, b, inplace=inplace, near=near)  # (B, N)
        else:
            _affine_write(mem_ptr, mem, g_st, b, near, aff)
        # how strongly each word was written: the two words a store points at (the
        # uniform leak to every other word is far below DIRTY_PC and is left out)
        dirty = mem_ptr.strength(dirty, g_st.detach(), inplace=inplace, near_only=True)

    # -- output
    out, out_far, out_len = s.out, s.out_far, s.out_len
    full = zero  # (B,)
    w_out = col("out")
    if ctl.has("out"):
        width = out.shape[1]
        scores = torch.cat(  # (B, W+1): the window, then the "full" slot at max_out
            [tent_scores(out_len, width),
             (1 - (k.max_out - out_len).abs()).clamp(min=0).unsqueeze(-1)], dim=-1)
        o_p, o_far = normalise_with_far_block(scores, k.max_out - width, k.mode, k.tau)
        full = o_p[:, width]  # (B,)
        g_out = w_out * seq_ok  # (B,)
        out = torch.addcmul(out, g_out.unsqueeze(-1) * o_p[:, :width], a.unsqueeze(-1) - out)
        out_far = out_far + g_out * o_far * (a - out_far)
        out_len = out_len + g_out * (1 - full)

    # -- branch decisions: the same normaliser over (taken, not taken)
    jump = col("jump")  # (B,)
    seq = col("seqw")  # (B,) everything that goes on to pc + 1 unless it faults or branches
    if ctl.branches:
        taken = pair_first(soft_alu.branch_scores(ctl.branches, a, b), k.mode, k.tau)  # (nb, B)
        first = cols["br:" + ctl.branches[0]]
        w_taken = torch.linalg.vecdot(f[first: first + len(ctl.branches)], taken, dim=0)  # (B,)
        jump = jump + w_taken
        seq = seq - w_taken

    # -- next pc: "pc + 1" (a shift) or "jump"; stopped mass is absorbed
    mem_fault = w_mem * mem_oor  # (B,)
    out_full = w_out * full  # (B,)
    # (a difference of fetched sums: clamped, rounding must not make a weight negative)
    seq = (seq - mem_fault - out_full).clamp_(min=0)  # (B,)
    jump_fault = jump * jump_oor  # (B,)
    # (B, 5) halted, opcode, address, target, output-full
    stops = torch.stack([col("halt"), col("illegal"), mem_fault,
                         torch.addcmul(jump_fault, seq, last), out_full])
    stop = stops.sum(dim=0)  # (B,)
    # share that goes on running, from the fetched weights themselves (`total` is Σpc):
    # dividing by it keeps Σpc = 1 to rounding instead of letting errors compound
    keep = torch.addcmul(jump - jump_fault, seq, col("total") - last)  # (B,) Σ next pc before scaling
    moving = alive & (keep > k.tiny)  # (B,)
    scale = moving / torch.where(moving, keep, torch.ones_like(keep))  # (B,) 1/keep or 0
    stay = ~moving  # (B,) programs whose pc stays where it is
    # new pc = scale·(seq·shift(pc) + jump·jump_p) + stay·pc
    a_seq, a_jump = scale * seq, scale * jump  # (B,)
    if inplace:
        new_pc = bufs.spare  # (B, N)
        torch.mul(pc[:, :-1], a_seq.unsqueeze(-1), out=new_pc[:, 1:])
        # slot 0 gets no shifted mass (with `aff`: cancel the offset there); written
        # after the shift, while the rows' first cache lines are still warm
        new_pc[:, 0] = 0 if aff is None else -(aff.gamma * a_seq)
        if pc.device.type != "cpu" or bool(stay.any()):  # on the CPU the check is cheap
            new_pc.addcmul_(pc, stay.unsqueeze(-1))
    else:
        new_pc = torch.nn.functional.pad(pc[:, :-1] * a_seq.unsqueeze(-1), (1, 0))
        new_pc = torch.addcmul(new_pc, pc, stay.unsqueeze(-1))  # (B, N)
    if k.jump_head and aff is not None:  # the jump's uniform part joins the offset
        new_pc.scatter_add_(1, jump_ptr.idx, (a_jump * jump_ptr._delta()).t())
    elif k.jump_head:
        new_pc = jump_ptr.mix_into(new_pc, a_jump, inplace=inplace)  # (B, N)
    if aff is not None:
        gamma = torch.addcmul(a_seq * aff.gamma, stay, aff.gamma)  # (B,)
        if k.jump_head:
            gamma = torch.addcmul(gamma, a_jump, jump_ptr.base)
    # (kept outcome-major inside, like the registers: (B, 5) is a view of a (5, B) tensor)
    absorbed = torch.addcmul(s.absorbed.t().contiguous(), stops, r).t()  # (B, 5)
    r_stop = (r * stop).unsqueeze(-1)  # (B, 1)
    if inplace:
        done_pc = s.done_pc.addcmul_(pc, r_stop)  # (B, N)
        if aff is not None:
            aff.delta = torch.addcmul(aff.delta, aff.gamma, r_stop.squeeze(-1))
            aff.gamma = gamma
    else:
        done_pc = torch.addcmul(s.done_pc, pc, r_stop)  # (B, N)
    run = torch.addcmul(s.run, r, stop, value=-1).clamp_(min=0)  # (B,)

    new = SoftState(
        pc=new_pc, run=run, done_pc=done_pc, absorbed=absorbed, regs=regs, mem=mem,
        out=out, out_far=out_far, out_len=out_len, in_pos=in_pos, eof=eof,
        cycles=s.cycles + (alive & (s.run >= 0.5)), dirty=dirty, bad_cycle=bad_cycle,
        settled=s.settled, seen=s.seen,
    )
    heads = {"pc": pc, "rd": sel[0].t(), "ra": sel[1].t(), "rb": sel[2].t(), "read": mem_ptr,
             "write": mem_ptr, "jump": jump_ptr}
    return new, heads


def _affine_read(ptr: RangePointer, near: Tensor, aff: Affine, n: int) -> Tensor:
    """`ptr.dot(mem)` where mem = α·stored + β; `near` = the stored values at ptr.idx."""
    d = ptr._delta()  # (2, B)
    near = torch.addcmul(aff.beta, near, aff.alpha)  # (2, B) true values
    out = torch.addcmul(d[0] * near[0], d[1], near[1])  # (B,)
    total = torch.add(aff.alpha * aff.msum, aff.beta, alpha=n)  # (B,) Σ mem
    return torch.addcmul(out, ptr.base, total)


def _affine_write(ptr: RangePointer, mem: Tensor, g: Tensor, v: Tensor, near: Tensor | None,
                  aff: Affine) -> None:
    """`ptr.write(mem, g, v)` where mem = α·stored + β: the far words through α and β,
    the two special words written into `mem` (in place)."""
    near = ptr.near(mem) if near is None else near  # (2, B) stored
    true = torch.addcmul(aff.beta, near, aff.alpha)  # (2, B)
    w = g * ptr.base  # (B,) the erase/add weight of every far word
    keep = 1 - w
    alpha, beta = aff.alpha * keep, torch.addcmul(aff.beta * keep, w, v)  # (B,)
    new_true = torch.addcmul(true, g * ptr.p[:2], v - true)  # (2, B)
    new = (new_true - beta) / alpha  # (2, B) stored
    mem.scatter_(1, ptr.idx, new.t())
    aff.msum = aff.msum + (new - near).sum(dim=0)
    aff.alpha, aff.beta = alpha, beta


def _on_dirty(pc: Tensor, dirty: Tensor, r: Tensor, rest: Tensor | None, size: int,
              bufs: Buffers | None) -> Tensor | None:
    """Share of the running pc on written words, Σ pc·dirty (B,) -- or None when the
    mass it stands for (times `r`, the running mass) is surely below DIRTY_PC for
    every program.

    On the CPU (in place) a cheap bound comes first: the mass on written words of the
    image plus all the mass past the image (dirty <= 1); only when that reaches
    DIRTY_PC for some program is the full (B, N) product computed."""
    if bufs is None:
        return torch.linalg.vecdot(pc, dirty)  # (B,)
    gamma = bufs.aff.gamma if bufs.aff is not None else None  # the true pc is pc + gamma
    if pc.device.type == "cpu" and rest is not None and 2 * size <= pc.shape[1]:
        near = torch.linalg.vecdot(pc[:, :size], dirty[:, :size])  # (B,)
        if gamma is not None:
            near = torch.addcmul(near, gamma, dirty[:, :size].sum(dim=-1))
        if not bool((r * (near + rest) >= DIRTY_PC).any()):
            return None
    # Σ pc·dirty without a fresh (B, N) temporary (page faults every cycle)
    on = torch.mul(pc, dirty, out=bufs.scratch).sum(dim=-1)  # (B,)
    return on if gamma is None else torch.addcmul(on, gamma, dirty.sum(dim=-1))


# ------------------------------------------------------------------- the machine


def soft_cpu_threads() -> int:
    """torch intra-op threads the soft machine steps with on the CPU: NCPU_SOFT_THREADS,
    default 1."""
    env = os.environ.get("NCPU_SOFT_THREADS", "").strip()
    return max(1, int(env)) if env.isdigit() else 1


class _cpu_threads:
    """While the soft machine steps on the CPU: torch's intra-op threads set to
    :func:`soft_cpu_threads`, restored afterwards.  A cycle is a few hundred small
    tensor operations; with two threads the second mostly spin-waits between them,
    which on a busy 2-core machine costs more than the big operations gain
    (measured: docs/soft.md, "Speed")."""

    def __init__(self, device: torch.device):
        self.want = soft_cpu_threads() if device.type == "cpu" else None
        self.old = None

    def __enter__(self):
        if self.want is not None and torch.get_num_threads() != self.want:
            self.old = torch.get_num_threads()
            torch.set_num_threads(self.want)
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            torch.set_num_threads(self.old)
        return False


def check_config(config: MachineConfig) -> tuple[torch.device, torch.dtype]:
    """Validate the soft-mode parts of `config`; returns (device, dtype)."""
    if config.dtype not in DTYPES:
        raise RunError(f"unknown dtype `{config.dtype}` (choose {', '.join(DTYPES)})")
    try:
        check_mode(config.addressing, config.temperature)
    except ValueError as err:
        raise RunError(str(err)) from None
    check_limits(config)
    return resolve_device(str(config.device)), DTYPES[config.dtype]


class SoftMachine:
    """B programs of one image on the soft executor.

    ``SoftMachine(image, config, inputs, regs0=None, mem0=None, input0=None)``;
    ``regs0 (B, 16)``, ``mem0 (B, N)``, ``input0 (B, L)`` are optional float
    tensors (they may require grad) that replace the initial registers (after
    reset and presets), the initial memory and the input streams."""

    def __init__(
        self,
        image: Image | Sequence[Image],
        config: MachineConfig,
        inputs: Sequence[ProgramInput],
        *,
        regs0: Tensor | None = None,
        mem0: Tensor | None = None,
        input0: Tensor | None = None,
    ):
        device, dtype = check_config(config)
        inputs = list(inputs)
        if not inputs:
            raise RunError("a soft run needs at least one program")
        n = config.mem_words
        b_sz = len(inputs)
        images = [image] * b_sz if isinstance(image, Image) else list(image)
        if len(images) != b_sz:
            raise RunError(f"{len(images)} images for {b_sz} programs (give one image, or one each)")
        for im in images:
            if im.size > n:
                raise RunError(f"image of {im.size} words does not fit in {n} words")
            if not 0 <= im.entry < n:
                raise RunError(f"entry point {im.entry} outside memory 0..{n - 1}")
        self.image, self.config, self.inputs = image, config, inputs
        self.device, self.dtype, self.n, self.batch = device, dtype, n, b_sz
        self.cycle = 0  # cycles stepped so far (the same for every program)
        self._rows: Tensor | None = None  # (B',) original indices while run() compacts
        kw = {"device": device, "dtype": dtype}

        norm = normaliser(config.addressing, config.temperature)
        ctl = build_control(image, n, norm, device=device, dtype=dtype)

        # reset, then presets (as the reference interpreter does)
        regs = torch.zeros(b_sz, NREG, dtype=torch.float64)  # (B, 16) built on the host
        regs[:, 15] = n
        if isinstance(image, Image):
            image_words = _image_row(image, n).repeat(b_sz, 1)  # (B, N)
        else:
            image_words = torch.stack([_image_row(im, n) for im in images])  # (B, N)
        mem = image_words.clone()  # (B, N)
        for i, inp in enumerate(inputs):
            for reg, value in inp.set.items():
                if not 0 <= reg < NREG:
                    raise RunError(f"no register r{reg}")
                if reg:
                    regs[i, reg] = to_signed(value & MASK32)
            for addr, value in inp.mem.items():
                if not 0 <= addr < n:
                    raise RunError(f"memory patch at {addr} outside memory 0..{n - 1}")
                mem[i, addr] = to_signed(value & MASK32)
        regs, mem = regs.to(**kw), mem.to(**kw)
        if regs0 is not None:
            regs = _checked(regs0, (b_sz, NREG), "regs0", **kw)
        if mem0 is not None:
            mem = _checked(mem0, (b_sz, n), "mem0", **kw)
        regs = regs * _r0_mask(**kw)  # r0 stays 0
        # words whose initial value differs from the image: executing them is self-modification
        patched = (mem.detach() != image_words.to(**kw)).to(dtype)  # (B, N)

        # input streams: (B, L+1) values, then one "past the end" slot
        if input0 is not None:
            if input0.dim() != 2 or input0.shape[0] != b_sz:
                raise RunError(f"input0 must have shape ({b_sz}, L), got {tuple(input0.shape)}")
            length = input0.shape[1]
            lens = torch.full((b_sz,), length, dtype=torch.long)
            in_vals = torch.cat([input0.to(**kw), torch.zeros(b_sz, 1, **kw)], dim=1)
        else:
            lens = torch.tensor([len(inp.input) for inp in inputs], dtype=torch.long)
            length = int(lens.max())
            host = torch.zeros(b_sz, length + 1, dtype=torch.float64)
            for i, inp in enumerate(inputs):
                if inp.input:
                    host[i, : len(inp.input)] = torch.tensor(
                        [to_signed(v & MASK32) for v in inp.input], dtype=torch.float64)
            in_vals = host.to(**kw)
        pos = torch.arange(length + 1).unsqueeze(0)  # (1, L+1)
        in_end = (pos >= lens.unsqueeze(1)).to(**kw)  # (B, L+1)
        in_mask = torch.where(pos > lens.unsqueeze(1), MASKED, 0.0).to(**kw)  # (B, L+1)

        self.kernel = Kernel(
            ctl=ctl, mode=config.addressing, tau=float(config.temperature), n=n,
            max_out=config.max_out, in_vals=in_vals, in_score_mask=in_mask, in_end=in_end,
            linear_map=torch.tensor(LINEAR_MAP, **kw), reg_write_mask=_r0_mask(**kw).unsqueeze(-1),
            tiny=float(torch.finfo(dtype).tiny),
            guard=ctl.has("store") or bool(patched.any()),
            mem_head=ctl.has("load") or ctl.has("store"),
            jump_head=ctl.has("jal") or ctl.has("jalr") or ctl.has("branch"),
            leaky=config.addressing == "softmax" or (
                config.addressing == "sparsemax" and float(config.temperature) > 1),
        )
        pc = torch.zeros(b_sz, n, **kw)  # (B, N)
        pc[torch.arange(b_sz), torch.tensor([im.entry for im in images])] = 1
        width = min(config.max_out, OUT_WINDOW)
        self.state = SoftState(
            pc=pc, run=torch.ones(b_sz, **kw), done_pc=torch.zeros(b_sz, n, **kw),
            absorbed=torch.zeros(len(OUTCOMES), b_sz, **kw).t(), regs=regs, mem=mem,
            out=torch.zeros(b_sz, width, **kw), out_far=torch.zeros(b_sz, **kw),
            out_len=torch.zeros(b_sz, **kw), in_pos=torch.zeros(b_sz, **kw),
            eof=torch.zeros(b_sz, **kw),
            cycles=torch.zeros(b_sz, dtype=torch.long, device=device),
            dirty=patched,
            bad_cycle=torch.full((b_sz,), NEVER, dtype=torch.long, device=device),
            settled=torch.zeros(b_sz, dtype=torch.bool, device=device),
            seen=torch.zeros(b_sz, len(OUTCOMES), **kw),
        )

    # -- state views -------------------------------------------------------
    @property
    def pc(self) -> Tensor:
        """(B, N) the whole pc distribution: running part plus where the stopped part rests."""
        s = self.state
        return s.run.unsqueeze(-1) * s.pc + s.done_pc

    @property
    def regs(self) -> Tensor:
        return self.state.regs  # (B, 16)

    @property
    def mem(self) -> Tensor:
        return self.state.mem  # (B, N)

    @property
    def halt_mass(self) -> Tensor:
        return self.state.absorbed[:, 0]  # (B,)

    @property
    def fault_mass(self) -> Tensor:
        return self.state.absorbed[:, 1:]  # (B, 4) opcode, address, target, output-full

    @property
    def run_mass(self) -> Tensor:
        return self.state.run  # (B,)

    @property
    def out(self) -> Tensor:
        return self.state.out  # (B, W)

    @property
    def out_len(self) -> Tensor:
        return self.state.out_len  # (B,)

    @property
    def done(self) -> Tensor:
        """(B,) bool: at most LIVE_EPS still runs, or the program has settled (see `run`)."""
        return (self.state.run <= LIVE_EPS) | self.state.settled

    # -- driving -----------------------------------------------------------
    def step(self) -> dict[str, Tensor | None]:
        """One cycle; returns the heads {pc, ra, rb, rd, read, write} ((B, K) each).

        A head is None when no program in the batch executes an instruction
        that uses it this cycle (e.g. `read` without a load)."""
        self._room_for_output(1)
        weights = self._head_weights()
        with _cpu_threads(self.device):
            self.state, heads = soft_step(self.state, self.kernel,
                                          self.cycle < self.config.max_cycles)
        if self.cycle < self.config.max_cycles:
            self.cycle += 1
        self._check_self_modification()
        out: dict[str, Tensor | None] = {}
        for h in HEADS:
            head = heads[h]
            if isinstance(head, RangePointer):
                head = head.dense()  # (B, N+1)
            out[h] = head if (head is not None and weights.get(h, True)) else None
        return out

    def advance(self, cycles: int) -> "SoftMachine":
        """Step `cycles` cycles (fewer at the cycle limit), checking the host every few."""
        left = min(int(cycles), self.config.max_cycles - self.cycle)
        grad = torch.enable_grad() if self._needs_grad() else torch.no_grad()
        with grad, _cpu_threads(self.device):
            while left > 0:
                chunk = min(SYNC_EVERY, left)
                self._room_for_output(chunk)
                state = self.state
                if torch.is_grad_enabled():
                    for _ in range(chunk):
                        state, _ = soft_step(state, self.kernel)
                else:
                    bufs = self._buffers(state)
                    if self.kernel.leaky:
                        bufs.aff = Affine.start(state)
                    for _ in range(chunk):
                        old_pc = state.pc
                        state, _ = soft_step(state, self.kernel, bufs=bufs)
                        bufs.spare = old_pc
                    if bufs.aff is not None:
                        bufs.aff.fold(state)
                        bufs.aff = None
                self.state = state
                self.cycle += chunk
                left -= chunk
                self._check_self_modification()
        return self

    def _buffers(self, state: SoftState) -> Buffers:
        """The step's buffers, kept from chunk to chunk while the batch keeps its size."""
        bufs = getattr(self, "_bufs", None)
        if bufs is None or bufs.spare.shape != state.pc.shape or any(
                b is state.pc for b in (bufs.spare, bufs.scratch)):
            bufs = Buffers.like(state, self.kernel.ctl)
        self._bufs = bufs
        return bufs

    def run(self, progress=None, *, compact: bool = True) -> "SoftMachine":
        """Run until every program is done or the cycle limit is reached.

        A program is done when at most LIVE_EPS of it still runs -- or when it has
        *settled*: at least half of it has stopped (so the largest mass is a halt or
        a fault) and its stopped mass moved by at most SETTLE_EPS over the last
        SYNC_EVERY cycles.  Under softmax a leaked remnant can go on looping for
        ever; a settled program stops there instead of running to the cycle limit.

        With `compact` (and no autograd), programs that are done are set aside
        once a quarter of the batch is, so the cycles that remain only pay for
        the programs still running; the full batch is put back at the end."""
        compact = compact and self.batch > 1 and not self._needs_grad()
        full: SoftState | None = None
        kernel0 = self.kernel
        self._rows = None
        try:
            while self.cycle < self.config.max_cycles:
                self.advance(SYNC_EVERY)
                self._settle()
                n_done = int(self.done.sum())
                live = self.state.run.shape[0]
                if progress is not None:
                    progress(self.cycle, live - n_done)
                if n_done == live:
                    break
                if compact and n_done and 4 * n_done >= live:
                    full = self._set_aside(full)
        finally:
            if full is not None:
                self.state = _merge(full, self.state, self._rows)
                self.kernel = kernel0
                self._rows = None
        return self

    def _settle(self) -> None:
        """Mark programs whose stopped mass is the majority and has stopped moving."""
        s = self.state
        with torch.no_grad():
            absorbed = s.absorbed.detach()
            still = (absorbed - s.seen).abs().amax(dim=-1) <= SETTLE_EPS  # (B,)
            settled = s.settled | (still & (absorbed.sum(dim=-1) >= 0.5))
            self.state = replace(s, settled=settled, seen=absorbed.clone())

    def _set_aside(self, full: SoftState | None) -> SoftState:
        """Move the rows of done programs out of the live state into `full` (B rows)."""
        s = self.state
        rows = self._rows if self._rows is not None else torch.arange(s.run.shape[0],
                                                                      device=self.device)
        if full is None:
            full = SoftState(**{k: v.clone() for k, v in s.tensors().items()})
        else:
            full = _merge(full, s, rows)
        keep = torch.nonzero(~self.done).flatten()  # (B',)
        self.state = SoftState(**{k: v.index_select(0, keep) for k, v in s.tensors().items()})
        self._rows = rows.index_select(0, keep)
        k = self.kernel
        ctl = k.ctl
        if ctl.per_program:
            ctl = replace(ctl, table=ctl.table.index_select(0, keep),
                          uses=ctl.uses.index_select(0, keep))
        self.kernel = replace(k, ctl=ctl, in_vals=k.in_vals.index_select(0, keep),
                              in_score_mask=k.in_score_mask.index_select(0, keep),
                              in_end=k.in_end.index_select(0, keep))
        return full

    def results(self, with_mem: bool = False) -> list[ProgramResult]:
        """One ProgramResult per program (index order), like the exact executor's."""
        s = self.state
        with torch.no_grad():
            # the largest mass decides: an outcome of the stopped mass, or still running
            masses = torch.cat([s.absorbed.detach(), s.run.detach().unsqueeze(-1)], dim=-1)
            outcome = masses.argmax(dim=-1).cpu()  # (B,) index into OUTCOMES, or 5: running
            pc = self.pc.argmax(dim=-1).cpu()
            regs = s.regs.detach()
            n_out = torch.round(s.out_len).clamp(0, self.config.max_out).long().cpu()
            need = int(n_out.max()) if n_out.numel() else 0
            out = self._output_slots(need)
            dev = [(regs - regs.round()).abs().amax(dim=-1)]
            if need:
                mask = torch.arange(need, device=out.device).unsqueeze(0) < n_out.to(out.device).unsqueeze(1)
                dev.append(((out - out.round()).abs() * mask).amax(dim=-1))
            mem = s.mem.detach()
            dev.append((mem - mem.round()).abs().amax(dim=-1))
            deviation = torch.stack(dev, dim=-1).amax(dim=-1).cpu().tolist()
            regs_i = _words(regs)
            out_i = _words(out)
            mem_i = _words(mem) if with_mem else None
            eof = (s.eof >= 0.5).cpu().tolist()
            cycles = s.cycles.cpu().tolist()
        results = []
        for i in range(self.batch):
            if int(outcome[i]) < len(OUTCOMES):
                kind = OUTCOMES[int(outcome[i])]
                status, reason = (HALTED, None) if kind == HALTED else (FAULT, kind)
            else:
                status, reason = TIMEOUT, None
            results.append(ProgramResult(
                index=i, status=status, reason=reason, pc=int(pc[i]), cycles=int(cycles[i]),
                regs=regs_i[i], out=out_i[i][: int(n_out[i])], eof=bool(eof[i]),
                mem=mem_i[i] if mem_i is not None else None,
                extra={"max_deviation": float(deviation[i])},
            ))
        return results

    # -- helpers -----------------------------------------------------------
    def _needs_grad(self) -> bool:
        return any(t.requires_grad for t in self.state.tensors().values())

    def _head_weights(self) -> dict[str, bool]:
        """Which heads some program uses this cycle (a host sync; used by `step` only)."""
        ctl, s = self.kernel.ctl, self.state
        with torch.no_grad():
            m, _ = mix_rows(s.pc, ctl.uses)  # (5, B) rd ra rb load store
            m = (m * (s.run > LIVE_EPS)).amax(dim=1).cpu().tolist()
        return {"rd": m[0] > 0, "ra": m[1] > 0, "rb": m[2] > 0, "read": m[3] > 0, "write": m[4] > 0}

    def _room_for_output(self, cycles: int) -> None:
        """Materialise more output slots before the cursor can come near the window's end."""
        s = self.state
        if not self.kernel.ctl.has("out"):
            return
        width, limit = s.out.shape[1], self.config.max_out
        if width >= limit:
            return
        need = int(torch.ceil(s.out_len.detach().max()).item()) + cycles + 2
        if need < width:
            return
        new_width = min(limit, max(2 * width, need + OUT_WINDOW))
        self.state = replace(s, out=_widen(s.out, s.out_far, new_width))

    def _output_slots(self, count: int) -> Tensor:
        """The first `count` output slots (B, count), materialising past the window."""
        s = self.state
        return _widen(s.out.detach(), s.out_far.detach(), count)[:, :count]

    def _check_self_modification(self) -> None:
        s = self.state
        if not self.kernel.guard:
            return
        if bool(s.bad.any()):
            i = int(torch.nonzero(s.bad)[0])
            rows = self._rows
            i, cycle = (int(rows[i]) if rows is not None else i), int(s.bad_cycle[i])
            raise RunError(
                f"program {i} executes a word it wrote (self-modifying code, cycle "
                f"{cycle + 1}); the soft executor decodes instructions once from "
                f"the image -- exact mode runs it (ncpu run --mode exact)"
            )


def _merge(full: SoftState, live: SoftState, rows: Tensor) -> SoftState:
    """`full` (B rows) with the rows `rows` replaced by `live` (B' rows).  The output
    windows may differ in width: the narrower one is widened with its far value."""
    width = max(full.out.shape[1], live.out.shape[1])
    out = {}
    for name, t in full.tensors().items():
        src = getattr(live, name)
        if name == "out":
            t, src = _widen(t, full.out_far, width), _widen(src, live.out_far, width)
        out[name] = t.index_copy(0, rows, src)
    return SoftState(**out)


def _widen(out: Tensor, far: Tensor, width: int) -> Tensor:
    if out.shape[1] >= width:
        return out
    return torch.cat([out, far.unsqueeze(-1).expand(-1, width - out.shape[1])], dim=1)


def _image_row(image: Image, n: int) -> Tensor:
    """(N,) the image's words as signed values, zero past its end (float64, host)."""
    words = [to_signed(w & MASK32) for w in image.words]
    return torch.tensor(words + [0] * (n - len(words)), dtype=torch.float64)


def _r0_mask(**kw) -> Tensor:
    m = torch.ones(NREG, **kw)  # (16,)
    m[0] = 0
    return m


def _checked(t: Tensor, shape: tuple[int, ...], name: str, **kw) -> Tensor:
    if not isinstance(t, Tensor) or tuple(t.shape) != shape:
        got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise RunError(f"{name} must be a tensor of shape {shape}, got {got}")
    return t.to(**kw)


def _words(t: Tensor) -> list[list[int]]:
    """Real values -> signed 32-bit ints (rounded, wrapped), row by row."""
    i = torch.round(t.detach().to(torch.float64)).to(torch.int64)
    i = ((i + 2**31) & MASK32) - 2**31
    return i.cpu().tolist()


# ------------------------------------------------------------------- functions


def run_soft(
    image: Image | Sequence[Image],
    config: MachineConfig,
    inputs: Sequence[ProgramInput],
    *,
    with_mem: bool = False,
    chunk: int = 4096,
    progress=None,
) -> list[ProgramResult]:
    """Run every program of `inputs` on the soft executor (in chunks of `chunk`).

    `image` is one image for every program, or a list with one per program.

    A soft cycle costs about a thousand times an exact one, and under softmax a
    drifted program can loop for ever: when `config` keeps the default cycle limit
    (DEFAULT_MAX_CYCLES), soft runs stop at SOFT_DEFAULT_MAX_CYCLES instead, and a
    program that times out there says so (``extra["note"]``).

    `progress(cycles, running)`: called every SYNC_EVERY cycles, `running` counting
    the programs of later chunks too (the signature of ``engine.Progress``)."""
    inputs = list(inputs)
    if not inputs:
        return []
    check_config(config)
    capped = config.max_cycles == DEFAULT_MAX_CYCLES
    if capped:
        config = replace(config, max_cycles=SOFT_DEFAULT_MAX_CYCLES)
    results: list[ProgramResult] = []
    for start in range(0, len(inputs), chunk):
        part = inputs[start: start + chunk]
        part_image = image if isinstance(image, Image) else list(image)[start: start + chunk]
        machine = SoftMachine(part_image, config, part)
        later = len(inputs) - start - len(part)
        machine.run(None if progress is None else
                    (lambda cycles, running, later=later: progress(cycles, running + later)))
        for r in machine.results(with_mem=with_mem):
            r.index += start
            if capped and r.status == TIMEOUT:
                r.extra["note"] = SOFT_CAP_NOTE
            results.append(r)
    return results


def soft_forward(
    image: Image,
    config: MachineConfig,
    regs0: Tensor | None = None,
    mem0: Tensor | None = None,
    input0: Tensor | None = None,
    cycles: int | None = None,
    inputs: Sequence[ProgramInput] | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Differentiable run: ``(regs (B, 16), mem (B, N), out (B, W))`` after `cycles` cycles
    (default ``config.max_cycles``), as functions of ``regs0``/``mem0``/``input0``."""
    sizes = [t.shape[0] for t in (regs0, mem0, input0) if t is not None]
    b_sz = sizes[0] if sizes else (len(inputs) if inputs else 1)
    if inputs is None:
        inputs = [ProgramInput()] * b_sz
    machine = SoftMachine(image, config, inputs, regs0=regs0, mem0=mem0, input0=input0)
    total = config.max_cycles if cycles is None else min(cycles, config.max_cycles)
    machine._room_for_output(total)
    s = machine.state
    with _cpu_threads(machine.device):
        for _ in range(total):
            s, _ = soft_step(s, machine.kernel)
    return s.regs, s.mem, s.out
