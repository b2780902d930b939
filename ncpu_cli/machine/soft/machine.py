"""The soft executor's machine: B programs stepped, settled and reported.

One cycle (:func:`~ncpu_cli.machine.soft.step.soft_step`) is a fixed sequence of
tensor operations on the state of ``state.py``; :class:`SoftMachine` iterates it.
Halting and faults are absorbing: the share of the running mass that executes
``halt`` or faults moves to ``absorbed`` (and its location to ``done_pc``) and has
no further effect; a program is *done* when at most 1e-6 of it still runs, or when
it has *settled* (at least half stopped, and the stopped mass no longer moves:
:meth:`SoftMachine.run`).  Its status is the largest mass: an absorbed outcome, or
(still running) timeout.

Speed (no autograd): the big (B, N) tensors are updated in place, the new pc is
built in a double buffer, every per-program quantity is a contiguous (B,) row
(the fetch is computed transposed, ``(F, B)``), under softmax the part of every
store and jump that touches all N slots alike is kept as per-program scalars
(:class:`~ncpu_cli.machine.soft.step.Affine`), and on the CPU the machine steps
with one intra-op thread (``settings.soft_cpu_threads``).  The same function,
``soft_step``, is the autograd path; ``tests/test_soft_run.py`` holds the two equal.

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

from dataclasses import replace
from typing import Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import FAULT, HALTED, TIMEOUT, ProgramResult
from ncpu_cli.machine.soft.addressing import RangePointer
from ncpu_cli.machine.soft.decode import ControlTable, mix_rows
from ncpu_cli.machine.soft.settings import check_config, cpu_threads
from ncpu_cli.machine.soft.state import OUT_WINDOW, OUTCOMES, SoftState, initial
from ncpu_cli.machine.soft.step import LIVE_EPS, Affine, Buffers, soft_step

SETTLE_EPS = 1e-6  # or (LIVE_EPS) when its stopped mass is >= 1/2 and moved less than this
# in SYNC_EVERY cycles
HEADS = ("pc", "ra", "rb", "rd", "read", "write")
SYNC_EVERY = 32  # cycles between host checks (all done? self-modification? output room?)


class SoftMachine:
    """B programs of one image on the soft executor.

    ``SoftMachine(image, config, inputs, regs0=None, mem0=None, input0=None)``;
    ``regs0 (B, 16)``, ``mem0 (B, N)``, ``input0 (B, L)`` are optional float
    tensors (they may require grad) that replace the initial registers (after
    reset and presets), the initial memory and the input streams; ``control``
    a control table built already (``build_control`` or ``fit.control``, one row
    set per program or shared; its table may require grad) instead of `image`'s;
    ``surrogate``: straight-through gradients for or/xor/shifts (``soft_alu``)."""

    def __init__(
        self,
        image: Image | Sequence[Image],
        config: MachineConfig,
        inputs: Sequence[ProgramInput],
        *,
        regs0: Tensor | None = None,
        mem0: Tensor | None = None,
        input0: Tensor | None = None,
        control: ControlTable | None = None,
        surrogate: bool = False,
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
        self.state, self.kernel = initial(
            image, images, config, inputs, device, dtype, regs0=regs0, mem0=mem0,
            input0=input0, control=control, surrogate=surrogate)

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
        with cpu_threads(self.device):
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
        with grad, cpu_threads(self.device):
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
            live = s.run.shape[0]
            if ctl.table.shape[0] != live:  # one table per group: one per program first
                group = live // ctl.table.shape[0]
                ctl = replace(ctl, table=ctl.table.repeat_interleave(group, dim=0))
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


def _words(t: Tensor) -> list[list[int]]:
    """Real values -> signed 32-bit ints (rounded, wrapped), row by row."""
    i = torch.round(t.detach().to(torch.float64)).to(torch.int64)
    i = ((i + 2**31) & MASK32) - 2**31
    return i.cpu().tolist()
