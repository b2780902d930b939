"""One cycle of the soft executor (:func:`soft_step`), and its in-place fast path's buffers.

A cycle is a fixed sequence of tensor operations: fetch ``pc @ C``
(``decode.py``), read registers through the fetched selectors, compute the
effective address, every ALU result (``alu.py``) and every branch decision,
then NTM erase/add writes ``M ← M·(1 − w) + w·v`` into registers, memory and
output, and the next pc as a mixture of "pc + 1" (a shift of the pc distribution)
and "jump to the effective address".  Every pointer goes through one normaliser with
one temperature (``addressing.py``).  The state's layout is ``state.py``; the machine
that drives it, with the rules for stopping, is ``machine.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ncpu_cli.machine.soft import alu as soft_alu
from ncpu_cli.machine.soft.addressing import (
    RangePointer,
    normalise_with_far_block,
    pair_first,
    tent_scores,
)
from ncpu_cli.machine.soft.decode import (
    LINEAR,
    NREG,
    ControlTable,
    mix_rows,
)
from ncpu_cli.machine.soft.state import Kernel, SoftState

LIVE_EPS = 1e-6  # a program is done when at most this much of it still runs
DIRTY_PC = 0.5  # running pc mass on a written word that counts as executing it


# ------------------------------------------------------------------- one cycle


def fetch(pc: Tensor, ctl: ControlTable, out: Tensor | None = None,
          offset: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """``pc @ C``, transposed: one (B,) row per column of the control table.

    pc (B, N) -> (f (F, B), rest (B,) the mass past the image or None); the rows past
    the image are folded into the tail row (:func:`~ncpu_cli.machine.soft.decode.mix_rows`),
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
        parts.append(soft_alu.sources(ctl.fns, a, b + imm_alu, k.surrogate))  # (fns, B) b: rb or imm
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


