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

One cycle (:func:`soft_step`, ``soft_step.py``) is a fixed sequence of tensor operations:
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
from dataclasses import replace
from typing import Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, to_signed
from ncpu_cli.machine.soft.addressing import (
    RangePointer,
    check_mode,
    normaliser,
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
from ncpu_cli.machine.soft.decode import (
    LINEAR_MAP,
    NREG,
    ControlTable,
    build_control,
    mix_rows,
)
from ncpu_cli.machine.soft.step import (
    LIVE_EPS,
    MASKED,
    NEVER,
    Affine,
    Buffers,
    Kernel,
    SoftState,
    soft_step,
)

SETTLE_EPS = 1e-6  # or (LIVE_EPS) when its stopped mass is >= 1/2 and moved less than this
# in SYNC_EVERY cycles
OUTCOMES = (HALTED, OPCODE, ADDRESS, TARGET, OUTPUT_FULL)  # columns of `absorbed`
HEADS = ("pc", "ra", "rb", "rd", "read", "write")
SYNC_EVERY = 32  # cycles between host checks (all done? self-modification? output room?)
OUT_WINDOW = 32  # output slots materialised at first (doubles as the output grows)
DTYPES = {"float64": torch.float64, "float32": torch.float32}
SOFT_DEFAULT_MAX_CYCLES = 100_000  # run_soft's cycle limit when the config keeps the default
SOFT_CAP_NOTE = (f"soft mode stops at {SOFT_DEFAULT_MAX_CYCLES:,} cycles unless --max-cycles "
                 "is given")


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


def cpu_threads(device: torch.device) -> _cpu_threads:
    """Context: torch's intra-op threads as the soft machine steps with (for callers that
    run its backward pass, like ``ncpu fit``)."""
    return _cpu_threads(device)


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
            surrogate=surrogate,
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
    s = run_pure(machine, total)
    return s.regs, s.mem, s.out


def run_pure(machine: SoftMachine, cycles: int, *, check_every: int = 0) -> SoftState:
    """The state after stepping `machine` `cycles` times out of place (autograd sees every
    cycle).  ``check_every > 0``: stop early once no program still runs (one host sync
    every that many cycles; the state of a stopped program no longer changes)."""
    machine._room_for_output(cycles)
    s = machine.state
    with _cpu_threads(machine.device):
        for c in range(cycles):
            if check_every and c and c % check_every == 0 and not bool((s.run > LIVE_EPS).any()):
                break
            s, _ = soft_step(s, machine.kernel)
    return s
