"""ExactState: the torch engine's tensors for B programs, and the reset state they start in.

Batch first, on one torch device (N words of memory, L the longest input stream):

    regs    (B, 16) int32   r0 always 0
    mem     (B, N) int32
    pc      (B,) int32
    status  (B,) int8       ncpu_cli.isa S_* (running, halted, fault, timeout)
    reason  (B,) int8       ncpu_cli.isa R_* (the fault reason, R_NONE otherwise)
    cycles  (B,) int64      instructions executed
    out     (B, cap) int32  the output stream, valid up to out_len; cap <= max_out grows
    out_len (B,) int32      between chunks (ExactMachine)
    inp     (B, L+1) int32  the input stream, zero padded: the word at in_pos is the
    in_len  (B,) int32      next input (0 once it is exhausted)
    in_pos  (B,) int32      words read so far (<= in_len)
    eof     (B,) bool       an `in` found the stream exhausted

mem, out and inp are batch-first views of word-major storage (`word_major`): word i of
program k sits at i * B + k, so programs that run in lockstep (copies or a sweep of one
image) read and write neighbouring words, and a gather over the batch touches a few
cache lines rather than one page per program. (regs is plain (B, 16): one cache line
per program.)

`reset_state` builds it from the images and the run inputs as ISA.md's "Reset" says,
without a Python object per program for copies of one input or a register sweep.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import S_RUNNING, S_TIMEOUT, load_isa
from ncpu_cli.machine.config import MachineConfig, check_images, check_limits
from ncpu_cli.machine.contract import unique_inputs, words_i32
from ncpu_cli.machine.inputs import ProgramInput


@dataclass
class ExactState:
    """The state of B programs between two cycles (shapes in the module docstring)."""

    regs: torch.Tensor  # (B, 16) int32
    mem: torch.Tensor  # (B, N) int32
    pc: torch.Tensor  # (B,) int32
    status: torch.Tensor  # (B,) int8
    reason: torch.Tensor  # (B,) int8
    cycles: torch.Tensor  # (B,) int64
    out: torch.Tensor  # (B, cap) int32
    out_len: torch.Tensor  # (B,) int32
    inp: torch.Tensor  # (B, L+1) int32
    in_len: torch.Tensor  # (B,) int32
    in_pos: torch.Tensor  # (B,) int32
    eof: torch.Tensor  # (B,) bool
    max_out: int  # the output limit: an `out` at out_len == max_out faults

    @property
    def batch(self) -> int:
        return self.pc.shape[0]

    @property
    def mem_words(self) -> int:
        return self.mem.shape[1]

    def replace(self, **changes) -> "ExactState":
        return dataclasses.replace(self, **changes)

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor field by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "max_out"}

    def copy_(self, other: "ExactState") -> None:
        """Overwrite these tensors with `other`'s (same shapes): a CUDA graph's state."""
        for name, t in self.tensors().items():
            src = getattr(other, name)
            if src is not t:  # (mem and out, written in place, are already these)
                t.copy_(src)

    def with_out_capacity(self, cap: int) -> "ExactState":
        """The same state with room for `cap` output words per program (a new buffer)."""
        grown = word_major(self.batch, cap, dtype=torch.int32, device=self.out.device)
        keep = min(cap, self.out.shape[1])
        grown[:, :keep] = self.out[:, :keep]
        return self.replace(out=grown)  # (B, cap)


def word_major(batch: int, width: int, **kw) -> torch.Tensor:
    """Zeros (B, width), stored word-major: the transpose of a contiguous (width, B)."""
    return torch.zeros(width, batch, **kw).t()  # (B, width)


def check_inputs(config: MachineConfig, image: Image, inputs: Sequence[ProgramInput],
                 images: Sequence[Image] | None,
                 sweep: tuple[int, Sequence[int]] | None) -> list:
    """RunError for what the reference refuses at reset; the distinct inputs."""
    check_limits(config)
    n, batch, nreg = config.mem_words, len(inputs), load_isa().registers
    if batch < 1:
        raise RunError("a run needs at least one program")
    check_images(image, images, batch, n)
    if sweep is not None:
        if not 0 <= sweep[0] < nreg:
            raise RunError(f"no register r{sweep[0]}")
        if len(sweep[1]) != batch:
            raise RunError(f"{len(sweep[1])} sweep values for {batch} programs")
    uniq = unique_inputs(inputs)
    for inp, members in uniq:
        for r in inp.set:
            if not 0 <= r < nreg:
                raise RunError(f"program {members[0]}: no register r{r}")
        for addr in inp.mem:
            if not 0 <= addr < n:
                raise RunError(
                    f"program {members[0]}: memory patch at {addr} outside memory 0..{n - 1}")
    return uniq


def _memory(image: Image, images: Sequence[Image] | None, batch: int, n: int,
            device: torch.device) -> torch.Tensor:
    """(B, N) int32 (word-major): every program's image at address 0, zeros above it."""
    mem = word_major(batch, n, dtype=torch.int32, device=device)  # (B, N)
    if images is None:
        words = torch.from_numpy(words_i32(image.words)).to(device)  # (W,)
        mem[:, : len(words)] = words
        return mem
    host = np.zeros((n, batch), dtype=np.int32)  # (N, B)
    seen: dict[int, np.ndarray] = {}  # an Image shared by many programs is converted once
    for k, im in enumerate(images):
        words = seen.get(id(im))
        if words is None:
            words = seen[id(im)] = words_i32(im.words)
        host[: len(words), k] = words
    mem.copy_(torch.from_numpy(host).to(device).t())
    return mem


def reset_state(image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                device: torch.device, out_cap: int, images: Sequence[Image] | None = None,
                sweep: tuple[int, Sequence[int]] | None = None,
                uniq: list | None = None) -> ExactState:
    """The state at cycle 0 (ISA.md "Reset": pc = entry, registers 0 but sp = N, the image
    in memory), then the run inputs (register presets, memory patches, input streams), then
    the sweep's register. `out_cap` output words per program to start with."""
    if uniq is None:
        uniq = check_inputs(config, image, inputs, images, sweep)
    n, batch = config.mem_words, len(inputs)
    i32 = dict(dtype=torch.int32, device=device)
    mem = _memory(image, images, batch, n, device)  # (B, N)
    regs = torch.zeros(batch, load_isa().registers, **i32)  # (B, 16)
    regs[:, load_isa().aliases["sp"]] = n  # the stack starts at the top of memory
    width = max((len(inp.input) for inp, _ in uniq), default=0)
    inp_host = np.zeros((batch, width + 1), dtype=np.int32)  # (B, L+1)
    in_len = np.zeros(batch, dtype=np.int32)  # (B,)
    for inp, members in uniq:
        whole = len(members) == batch
        rows = slice(None) if whole else torch.as_tensor(members, device=device)
        for addr, value in inp.mem.items():
            mem[rows, addr] = int(words_i32([value])[0])
        for r, value in inp.set.items():
            if r:  # r0 stays 0
                regs[rows, r] = int(words_i32([value])[0])
        if inp.input:
            inp_host[members, : len(inp.input)] = words_i32(inp.input)
            in_len[members] = len(inp.input)
    if sweep is not None and sweep[0]:
        reg, values = sweep
        if isinstance(values, range):
            vals = np.arange(values.start, values.stop, values.step, dtype=np.int64)
        else:
            vals = np.asarray(list(values), dtype=np.int64)
        regs[:, reg] = torch.from_numpy(words_i32(vals)).to(device)
    if images is None:
        pc = torch.full((batch,), image.entry, **i32)  # (B,)
    else:
        pc = torch.from_numpy(np.fromiter((im.entry for im in images), dtype=np.int32,
                                          count=batch)).to(device)  # (B,)
    start = S_RUNNING if config.max_cycles > 0 else S_TIMEOUT
    return ExactState(
        regs=regs, mem=mem, pc=pc,
        status=torch.full((batch,), start, dtype=torch.int8, device=device),  # (B,)
        reason=torch.zeros(batch, dtype=torch.int8, device=device),  # (B,)
        cycles=torch.zeros(batch, dtype=torch.int64, device=device),  # (B,)
        out=word_major(batch, min(out_cap, config.max_out), **i32),  # (B, cap)
        out_len=torch.zeros(batch, **i32),  # (B,)
        inp=torch.from_numpy(np.ascontiguousarray(inp_host.T)).to(device).t(),  # (B, L+1)
        in_len=torch.from_numpy(in_len).to(device),  # (B,)
        in_pos=torch.zeros(batch, **i32),  # (B,)
        eof=torch.zeros(batch, dtype=torch.bool, device=device),  # (B,)
        max_out=config.max_out,
    )
