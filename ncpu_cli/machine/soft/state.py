"""The soft executor's state and constants, and how they start from images and inputs.

State (B programs, N memory words, all on the machine's device), :class:`SoftState`:

- ``pc (B, N)``: where the *running* part of each program is (sums to 1);
  ``run (B,)`` is how much of the program still runs; ``done_pc (B, N)`` is
  where the stopped part rests; ``absorbed (B, 5)`` is the stopped mass by
  outcome (:data:`OUTCOMES`): halted, fault opcode / address / target / output-full.
- ``regs (B, 16)`` and ``mem (B, N)`` hold real values (float64 by default:
  32-bit integers exactly); r0 is never written.
- streams: the input cursor ``in_pos (B,)`` and ``eof (B,)``; the output
  ``out (B, W)`` (the first W of ``max_out`` slots, widened as the output grows),
  the value of every slot not yet materialised ``out_far (B,)`` and the cursor
  ``out_len (B,)``.

What does not change during a run (decoded program, streams, constants) is the
:class:`Kernel`.  :func:`initial` builds both: reset, then presets, as the reference
interpreter does.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import ADDRESS, HALTED, OPCODE, OUTPUT_FULL, TARGET
from ncpu_cli.machine.soft.addressing import normaliser
from ncpu_cli.machine.soft.decode import LINEAR_MAP, NREG, ControlTable, build_control

OUTCOMES = (HALTED, OPCODE, ADDRESS, TARGET, OUTPUT_FULL)  # columns of `absorbed`
MASKED = -1e30  # score of a slot outside a program's range (input cursor)
NEVER = 2**62  # bad_cycle of a program that never executed a word it wrote
OUT_WINDOW = 32  # output slots materialised at first (doubles as the output grows)


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
    surrogate: bool = False  # straight-through gradients for or/xor/shifts (soft_alu)

    def norm(self, scores: Tensor) -> Tensor:
        return normaliser(self.mode, self.tau)(scores)


def initial(
    image: Image | Sequence[Image],
    images: list[Image],
    config: MachineConfig,
    inputs: list[ProgramInput],
    device: torch.device,
    dtype: torch.dtype,
    *,
    regs0: Tensor | None = None,
    mem0: Tensor | None = None,
    input0: Tensor | None = None,
    control: ControlTable | None = None,
    surrogate: bool = False,
) -> tuple[SoftState, Kernel]:
    """The state at cycle 0 and the kernel of B = len(inputs) programs (`images`: one per
    program; `image` as the caller gave it, one Image or the list).  ``regs0 (B, 16)``,
    ``mem0 (B, N)``, ``input0 (B, L)`` replace the initial registers, memory and input
    streams; `control` replaces `image`'s control table (see :class:`SoftMachine`)."""
    n, b_sz = config.mem_words, len(inputs)
    kw = {"device": device, "dtype": dtype}
    norm = normaliser(config.addressing, config.temperature)
    ctl = control if control is not None else build_control(
        image, n, norm, device=device, dtype=dtype)
    if ctl.per_program and b_sz % ctl.table.shape[0]:
        raise RunError(f"a control table for {ctl.table.shape[0]} programs (or groups), "
                       f"not {b_sz}")

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

    in_vals, in_mask, in_end = _input_streams(inputs, input0, **kw)
    kernel = Kernel(
        ctl=ctl, mode=config.addressing, tau=float(config.temperature), n=n,
        max_out=config.max_out, in_vals=in_vals, in_score_mask=in_mask, in_end=in_end,
        linear_map=torch.tensor(LINEAR_MAP, **kw), reg_write_mask=_r0_mask(**kw).unsqueeze(-1),
        tiny=float(torch.finfo(dtype).tiny),
        guard=ctl.has("store") or bool(patched.any()),
        mem_head=ctl.has("load") or ctl.has("store"),
        jump_head=ctl.has("jal") or ctl.has("jalr") or ctl.has("branch"),
        surrogate=surrogate,
        leaky=config.addressing == "softmax" or (
            config.addressing == "sparsemax" and float(config.temperature) > 1),
    )
    pc = torch.zeros(b_sz, n, **kw)  # (B, N)
    pc[torch.arange(b_sz), torch.tensor([im.entry for im in images])] = 1
    width = min(config.max_out, OUT_WINDOW)
    state = SoftState(
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
    return state, kernel


def _input_streams(inputs: list[ProgramInput], input0: Tensor | None,
                   **kw) -> tuple[Tensor, Tensor, Tensor]:
    """The input streams as (B, L+1) values (then one "past the end" slot), the cursor's
    score mask (MASKED past each stream's end slot) and the "at the end" indicator."""
    b_sz = len(inputs)
    if input0 is not None:
        if input0.dim() != 2 or input0.shape[0] != b_sz:
            raise RunError(f"input0 must have shape ({b_sz}, L), got {tuple(input0.shape)}")
        length = input0.shape[1]
        lens = torch.full((b_sz,), length, dtype=torch.long)  # (B,)
        in_vals = torch.cat([input0.to(**kw), torch.zeros(b_sz, 1, **kw)], dim=1)
    else:
        lens = torch.tensor([len(inp.input) for inp in inputs], dtype=torch.long)  # (B,)
        length = int(lens.max())
        host = torch.zeros(b_sz, length + 1, dtype=torch.float64)  # (B, L+1)
        for i, inp in enumerate(inputs):
            if inp.input:
                host[i, : len(inp.input)] = torch.tensor(
                    [to_signed(v & MASK32) for v in inp.input], dtype=torch.float64)
        in_vals = host.to(**kw)
    pos = torch.arange(length + 1).unsqueeze(0)  # (1, L+1)
    in_end = (pos >= lens.unsqueeze(1)).to(**kw)  # (B, L+1)
    in_mask = torch.where(pos > lens.unsqueeze(1), MASKED, 0.0).to(**kw)  # (B, L+1)
    return in_vals, in_mask, in_end


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
