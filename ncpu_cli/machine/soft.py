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
1e-6 of it still runs.  Its status is then the largest absorbed outcome.

With ``addressing="hard"``, or sparsemax at τ ≤ 1 (τ ≤ 0.5 is what the tests
use), every distribution is exactly one-hot and the machine reproduces the
exact executor bit for bit.

Self-modifying code: instructions are decoded once from the image, so a
program that executes a word after writing it cannot run in soft mode.  The
machine marks every word a store writes (and every word a memory patch
changes); when at least half of a program's running pc mass sits on such a
word, the run stops with a :class:`RunError` (checked every few cycles).
Exact mode runs such programs.  See ``docs/soft.md``.
"""

from __future__ import annotations

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
from ncpu_cli.machine.config import MAX_MEM_WORDS, MIN_MEM_WORDS, MachineConfig
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
    WEIGHTS,
    ControlTable,
    build_control,
)

LIVE_EPS = 1e-6  # a program is done when at most this much of it still runs
DIRTY_PC = 0.5  # running pc mass on a written word that counts as executing it
OUTCOMES = (HALTED, OPCODE, ADDRESS, TARGET, OUTPUT_FULL)  # columns of `absorbed`
HEADS = ("pc", "ra", "rb", "rd", "read", "write")
SYNC_EVERY = 32  # cycles between host checks (all done? self-modification? output room?)
OUT_WINDOW = 32  # output slots materialised at first (doubles as the output grows)
DTYPES = {"float64": torch.float64, "float32": torch.float32}
MASKED = -1e30  # score of a slot outside a program's range (input cursor)


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
    bad: Tensor  # (B,) bool: executed a written word (self-modifying)
    bad_cycle: Tensor  # (B,) int64 the cycle where that happened

    def tensors(self) -> dict[str, Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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
    reg_write_mask: Tensor  # (16,) 0 for r0, 1 elsewhere
    tiny: float
    guard: bool  # watch for self-modification (the image has stores, or memory was patched)
    mem_head: bool  # the image has loads or stores
    jump_head: bool  # the image has jal, jalr or branches

    def norm(self, scores: Tensor) -> Tensor:
        return normaliser(self.mode, self.tau)(scores)


# ------------------------------------------------------------------- one cycle


def fetch(pc: Tensor, ctl: ControlTable) -> Tensor:
    """``pc @ C`` with the rows past the image (all the `tail` row) folded into one sum.

    pc (B, N); ctl.table (S, F) shared, or (B, S, F) one per program -> (B, F)"""
    table = ctl.table
    size = table.shape[-2]
    head = pc[:, :size]  # (B, S)
    if size < pc.shape[1]:
        rest = pc[:, size:].sum(dim=-1, keepdim=True)  # (B, 1) mass on words past the image
        if ctl.extended is not None:  # one product: [pc[:, :S], rest] @ [C[:S]; tail]
            return torch.cat([head, rest], dim=1) @ ctl.extended  # (B, F)
        return torch.bmm(head.unsqueeze(1), table).squeeze(1) + rest * ctl.tail  # (B, F)
    if table.dim() == 2:
        return head @ table  # (B, F)
    return torch.bmm(head.unsqueeze(1), table).squeeze(1)  # (B, F)


def soft_step(
    s: SoftState, k: Kernel, cycle_ok: bool = True, *, spare: Tensor | None = None,
    scratch: Tensor | None = None,
) -> tuple[SoftState, dict]:
    """One cycle of every program.  Pure: returns the new state and the heads.

    With ``spare`` and ``scratch`` ((B, N) buffers, no autograd) the step instead
    updates the big tensors of `s` in place and builds the new pc in `spare`;
    the caller then owns the old pc as its next spare (see
    :meth:`SoftMachine.advance`).

    heads: pc (B, N); rd, ra, rb (B, 16); read = write = the memory-address
    pointer, jump = the jump-target pointer (:class:`RangePointer` over N + 1
    slots, the last "outside memory"; None when the image has no loads/stores,
    or no jumps/branches)."""
    ctl, cols, n = k.ctl, k.ctl.cols, k.n
    b_sz = s.pc.shape[0]
    norm = k.norm
    alive = s.run > LIVE_EPS  # (B,) bool
    if not cycle_ok:
        alive = torch.zeros_like(alive)
    alive_f = alive.to(s.run.dtype)  # (B,)
    r = s.run * alive_f  # (B,) running mass that executes this cycle
    pc = s.pc  # (B, N)

    # -- fetch: f = pc @ C (rows past the image folded into one column)
    f = fetch(pc, ctl)  # (B, F)

    def col(name: str) -> Tensor:
        return f[:, cols[name]]  # (B,)

    inplace = spare is not None
    sel = f[:, ctl.sel: ctl.sel + 3 * NREG].reshape(b_sz, 3, NREG)  # (B, 3, 16) rd, ra, rb
    reg_vals = (sel * s.regs.unsqueeze(1)).sum(dim=-1)  # (B, 3)
    a, b = reg_vals[:, 1], reg_vals[:, 2]  # (B,) ra, rb values

    # -- the two addresses: memory (ld/st) and jump target (jal/jalr/branch)
    last = pc[:, n - 1]  # (B,) running off the end from the last word
    seq_ok = r * (1 - last)  # (B,) weight of effects of sequential instructions
    zero = torch.zeros_like(r)  # (B,)
    mem_ptr = jump_ptr = None
    mem_oor = jump_oor = zero
    if k.mem_head:
        mem_ptr = RangePointer(col("mem_base") * a + col("mem_imm"), n, k.mode, k.tau)
        mem_oor = mem_ptr.oor  # (B,)
    if k.jump_head:
        jump_ptr = RangePointer(col("jump_base") * a + col("jump_imm"), n, k.mode, k.tau)
        jump_oor = jump_ptr.oor  # (B,)

    # -- register write: value U and strength G per program (NTM add/erase)
    imm_alu = col("imm_alu")  # (B,)
    lin = soft_alu.linear(a, b, imm_alu, k.linear_map)  # (B, 3) add, sub, addi
    parts = [lin, col("const").unsqueeze(-1)]
    if ctl.fns:
        parts.append(soft_alu.sources(ctl.fns, a, b + imm_alu))  # (B, fns) b: rb or imm
    src_vals = torch.cat(parts, dim=-1)  # (B, P)
    first = cols["src:" + LINEAR[0]]
    src_w = f[:, first: first + src_vals.shape[1]]  # (B, P)
    u = torch.linalg.vecdot(src_w, src_vals)  # (B,) before the gates
    g = col("plain")  # (B,)

    w_load, w_store = col("load"), col("store")  # (B,)
    mem = s.mem
    if ctl.has("load"):
        u = u + w_load * mem_ptr.dot(mem)
        g = g + w_load * (1 - mem_oor)
    in_pos, eof = s.in_pos, s.eof
    if ctl.has("in"):
        w_in = col("in")  # (B,)
        in_p = norm(tent_scores(in_pos, k.in_vals.shape[1]) + k.in_score_mask)  # (B, L+1)
        in_val = torch.linalg.vecdot(in_p, k.in_vals)  # (B,)
        at_end = torch.linalg.vecdot(in_p, k.in_end)  # (B,) mass reading past the stream
        u = u + w_in * in_val
        g = g + w_in
        g_in = w_in * seq_ok  # (B,)
        in_pos = in_pos + g_in * (1 - at_end)
        eof = eof + (1 - eof) * g_in * at_end
    u, g = u * seq_ok, g * seq_ok  # sequential instructions write unless they fall off the end
    if k.jump_head:
        jump_ok = r * (1 - jump_oor)  # (B,) a jump writes its link unless the target is bad
        u = u + col("link") * jump_ok
        g = g + col("jump") * jump_ok
    rd_w = sel[:, 0] * k.reg_write_mask  # (B, 16), r0 never written
    regs = torch.addcmul(s.regs, rd_w, u.unsqueeze(-1) - g.unsqueeze(-1) * s.regs)  # (B, 16)

    # -- memory write (store) and the self-modification guard
    dirty, bad, bad_cycle = s.dirty, s.bad, s.bad_cycle
    if k.guard:
        if inplace:  # Σ pc·dirty without a fresh (B, N) temporary (page faults every cycle)
            on_dirty = torch.mul(pc, dirty, out=scratch).sum(dim=-1)  # (B,)
        else:
            on_dirty = torch.linalg.vecdot(pc, dirty)  # (B,)
        now_bad = (on_dirty >= DIRTY_PC) & alive  # (B,) runs a written word
        bad_cycle = torch.where(now_bad & ~bad, s.cycles, bad_cycle)
        bad = bad | now_bad
    if ctl.has("store"):
        g_st = w_store * seq_ok  # (B,)
        mem = mem_ptr.write(mem, g_st, b, inplace=inplace)  # (B, N)
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
    if ctl.branches:
        s_br = soft_alu.branch_scores(ctl.branches, a, b)  # (B, nb)
        taken = pair_first(s_br, k.mode, k.tau)  # (B, nb) = norm([s, -s])[..., 0]
        first = cols["br:" + ctl.branches[0]]
        w_br = f[:, first: first + len(ctl.branches)]  # (B, nb)
        w_taken = torch.linalg.vecdot(w_br, taken)  # (B,)
        w_not = w_br.sum(dim=-1) - w_taken  # (B,)
    else:
        w_taken = w_not = zero

    # -- next pc: "pc + 1" (a shift) or "jump"; stopped mass is absorbed
    w_mem = w_load + w_store
    seq = col("plain") + col("in") + w_mem * (1 - mem_oor) + w_out * (1 - full) + w_not  # (B,)
    jump = col("jump") + w_taken  # (B,)
    stops = torch.stack(  # (B, 5) halted, opcode, address, target, output-full
        [col("halt"), col("illegal"), w_mem * mem_oor, seq * last + jump * jump_oor, w_out * full],
        dim=-1)
    stop = stops.sum(dim=-1)  # (B,)
    # share that goes on running, from the fetched weights themselves (their sum is Σpc):
    # dividing by it keeps Σpc = 1 to rounding instead of letting errors compound
    total = f[:, : len(WEIGHTS) + len(ctl.branches)].sum(dim=-1)  # (B,) = Σpc
    keep = seq * (total - last) + jump * (1 - jump_oor)  # (B,) = Σ of the next pc before scaling
    moving = alive & (keep > k.tiny)  # (B,)
    scale = torch.where(moving, 1 / torch.where(moving, keep, torch.ones_like(keep)), zero)  # (B,)
    stay = 1 - moving.to(pc.dtype)  # (B,)
    # new pc = scale·(seq·shift(pc) + jump·jump_p) + stay·pc
    if inplace:
        new_pc = spare  # (B, N)
        new_pc[:, 0] = 0
        torch.mul(pc[:, :-1], (scale * seq).unsqueeze(-1), out=new_pc[:, 1:])
        new_pc.addcmul_(pc, stay.unsqueeze(-1))
    else:
        new_pc = torch.nn.functional.pad(pc[:, :-1] * (scale * seq).unsqueeze(-1), (1, 0))
        new_pc = torch.addcmul(new_pc, pc, stay.unsqueeze(-1))  # (B, N)
    if k.jump_head:
        new_pc = jump_ptr.mix_into(new_pc, scale * jump, inplace=inplace)  # (B, N)
    absorbed = s.absorbed + r.unsqueeze(-1) * stops  # (B, 5)
    if inplace:
        done_pc = s.done_pc.addcmul_(pc, (r * stop).unsqueeze(-1))  # (B, N)
    else:
        done_pc = torch.addcmul(s.done_pc, pc, (r * stop).unsqueeze(-1))  # (B, N)
    run = (s.run - r * stop).clamp(min=0)  # (B,)

    new = SoftState(
        pc=new_pc, run=run, done_pc=done_pc, absorbed=absorbed, regs=regs, mem=mem,
        out=out, out_far=out_far, out_len=out_len, in_pos=in_pos, eof=eof,
        cycles=s.cycles + alive.to(s.cycles.dtype), dirty=dirty, bad=bad, bad_cycle=bad_cycle,
    )
    heads = {"pc": pc, "rd": sel[:, 0], "ra": sel[:, 1], "rb": sel[:, 2], "read": mem_ptr,
             "write": mem_ptr, "jump": jump_ptr}
    return new, heads


# ------------------------------------------------------------------- the machine


def _device(config: MachineConfig) -> torch.device:
    dev = str(config.device)
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    if dev.startswith("cuda") and not torch.cuda.is_available():
        raise RunError(f"device `{dev}`: no CUDA GPU is available (torch.cuda.is_available() is False)")
    try:
        device = torch.device(dev)
    except RuntimeError as err:
        raise RunError(f"unknown device `{dev}` ({err})") from None
    if device.type not in ("cpu", "cuda"):
        raise RunError(f"unknown device `{dev}` (choose cpu or cuda)")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RunError(f"device `{dev}`: only {torch.cuda.device_count()} CUDA device(s)")
    return device


def check_config(config: MachineConfig) -> tuple[torch.device, torch.dtype]:
    """Validate the soft-mode parts of `config`; returns (device, dtype)."""
    if config.dtype not in DTYPES:
        raise RunError(f"unknown dtype `{config.dtype}` (choose {', '.join(DTYPES)})")
    try:
        check_mode(config.addressing, config.temperature)
    except ValueError as err:
        raise RunError(str(err)) from None
    n = config.mem_words
    if not MIN_MEM_WORDS <= n <= MAX_MEM_WORDS:
        raise RunError(f"memory size {n} outside {MIN_MEM_WORDS}..{MAX_MEM_WORDS} words")
    if config.max_cycles < 0:
        raise RunError(f"max_cycles must be >= 0, got {config.max_cycles}")
    if config.max_out < 0:
        raise RunError(f"max_out must be >= 0, got {config.max_out}")
    return _device(config), DTYPES[config.dtype]


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
            linear_map=torch.tensor(LINEAR_MAP, **kw), reg_write_mask=_r0_mask(**kw),
            tiny=float(torch.finfo(dtype).tiny),
            guard=ctl.has("store") or bool(patched.any()),
            mem_head=ctl.has("load") or ctl.has("store"),
            jump_head=ctl.has("jal") or ctl.has("jalr") or ctl.has("branch"),
        )
        pc = torch.zeros(b_sz, n, **kw)  # (B, N)
        pc[torch.arange(b_sz), torch.tensor([im.entry for im in images])] = 1
        width = min(config.max_out, OUT_WINDOW)
        self.state = SoftState(
            pc=pc, run=torch.ones(b_sz, **kw), done_pc=torch.zeros(b_sz, n, **kw),
            absorbed=torch.zeros(b_sz, len(OUTCOMES), **kw), regs=regs, mem=mem,
            out=torch.zeros(b_sz, width, **kw), out_far=torch.zeros(b_sz, **kw),
            out_len=torch.zeros(b_sz, **kw), in_pos=torch.zeros(b_sz, **kw),
            eof=torch.zeros(b_sz, **kw),
            cycles=torch.zeros(b_sz, dtype=torch.long, device=device),
            dirty=patched, bad=torch.zeros(b_sz, dtype=torch.bool, device=device),
            bad_cycle=torch.zeros(b_sz, dtype=torch.long, device=device),
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
        return self.state.run <= LIVE_EPS  # (B,) bool

    # -- driving -----------------------------------------------------------
    def step(self) -> dict[str, Tensor | None]:
        """One cycle; returns the heads {pc, ra, rb, rd, read, write} ((B, K) each).

        A head is None when no program in the batch executes an instruction
        that uses it this cycle (e.g. `read` without a load)."""
        self._room_for_output(1)
        weights = self._head_weights()
        self.state, heads = soft_step(self.state, self.kernel, self.cycle < self.config.max_cycles)
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
        with grad:
            while left > 0:
                chunk = min(SYNC_EVERY, left)
                self._room_for_output(chunk)
                state = self.state
                if torch.is_grad_enabled():
                    for _ in range(chunk):
                        state, _ = soft_step(state, self.kernel)
                else:
                    spare = torch.empty_like(state.pc)  # (B, N) the pc double buffer
                    scratch = torch.empty_like(state.pc)  # (B, N)
                    for _ in range(chunk):
                        old_pc = state.pc
                        state, _ = soft_step(state, self.kernel, spare=spare, scratch=scratch)
                        spare = old_pc
                self.state = state
                self.cycle += chunk
                left -= chunk
                self._check_self_modification()
        return self

    def run(self, progress=None, *, compact: bool = True) -> "SoftMachine":
        """Run until every program is done or the cycle limit is reached.

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

    def _set_aside(self, full: SoftState | None) -> SoftState:
        """Move the rows of done programs out of the live state into `full` (B rows)."""
        s = self.state
        rows = self._rows if self._rows is not None else torch.arange(s.run.shape[0],
                                                                      device=self.device)
        if full is None:
            full = SoftState(**{k: v.clone() for k, v in s.tensors().items()})
        else:
            full = _merge(full, s, rows)
        keep = torch.nonzero(s.run > LIVE_EPS).flatten()  # (B',)
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
            done = (s.run <= LIVE_EPS).cpu()
            outcome = s.absorbed.argmax(dim=-1).cpu()
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
            if bool(done[i]):
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
            size = ctl.size
            uses = ctl.uses  # (S+1, 5) rd ra rb load store
            m = fetch(s.pc, replace(ctl, table=uses[..., :-1, :], tail=uses.reshape(-1, 5)[size],
                                    extended=uses if uses.dim() == 2 else None))  # (B, 5)
            m = (m * (s.run > LIVE_EPS).unsqueeze(-1)).amax(dim=0).cpu().tolist()
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
        extra = s.out_far.unsqueeze(-1).expand(-1, new_width - width)  # (B, extra)
        self.state = replace(s, out=torch.cat([s.out, extra], dim=1))

    def _output_slots(self, count: int) -> Tensor:
        """The first `count` output slots (B, count), materialising past the window."""
        s = self.state
        width = s.out.shape[1]
        out = s.out.detach()
        if count <= width:
            return out[:, :count]
        extra = s.out_far.detach().unsqueeze(-1).expand(-1, count - width)
        return torch.cat([out, extra], dim=1)

    def _check_self_modification(self) -> None:
        s = self.state
        if not self.kernel.guard:
            return
        if bool(s.bad.any()):
            i = int(torch.nonzero(s.bad)[0])
            rows = getattr(self, "_rows", None)
            i, cycle = (int(rows[i]) if rows is not None else i), int(s.bad_cycle[i])
            raise RunError(
                f"program {i} executes a word it wrote (self-modifying code, cycle "
                f"{cycle + 1}); the soft executor decodes instructions once from "
                f"the image -- run it with --mode exact"
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
) -> list[ProgramResult]:
    """Run every program of `inputs` on the soft executor (in chunks of `chunk`).

    `image` is one image for every program, or a list with one per program."""
    inputs = list(inputs)
    if not inputs:
        return []
    check_config(config)
    results: list[ProgramResult] = []
    for start in range(0, len(inputs), chunk):
        part = inputs[start: start + chunk]
        part_image = image if isinstance(image, Image) else list(image)[start: start + chunk]
        machine = SoftMachine(part_image, config, part)
        machine.run()
        for r in machine.results(with_mem=with_mem):
            r.index += start
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
    for _ in range(total):
        s, _ = soft_step(s, machine.kernel)
    return s.regs, s.mem, s.out
