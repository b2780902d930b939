"""The native CPU engine: a compiled per-program interpreter (numba) over the whole ISA.

Two ways in:

    run(images, config, inputs, *, with_mem=False, progress=None)
        -> list[ProgramResult], the contract's whole run (machine/README.md).
    run_arrays(mem, regs=None, pc=0, inp=None, in_len=None, *, max_cycles, max_out)
        -> NativeBatch: numpy arrays in and out, for callers with thousands of
        candidate programs (`ncpu fit`): mem (B, N) int32 is each program's own
        memory image, no ProgramResult objects are made.

`NativeMachine` wraps a NativeBatch as the contract's batch machine (run, step,
results, summary, first_faults). The interpreter itself
is `native_kernel.run_chunk`; a run calls it in chunks of a few tens of millions of
instructions, so progress is reported and Ctrl-C is noticed between chunks.

The first call in a process compiles the kernel or loads it from numba's disk
cache; `warm_up()` does that on purpose and `compile_info()` says how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa
from ncpu_cli.machine.config import (
    DEFAULT_MAX_CYCLES,
    DEFAULT_MAX_OUT,
    MachineConfig,
    check_images,
    check_limits,
    check_mem_words,
)
from ncpu_cli.machine.contract import run_whole, unique_inputs, words_i32
from ncpu_cli.machine.exact import native_kernel as nk
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import REASON_NAMES, STATUS_NAMES, ProgramResult  # by nk.S_*/R_*

CHUNK_INSTRUCTIONS = 1 << 25  # per kernel call, all programs together (~0.1-0.3 s)
MIN_BUDGET = 4096  # cycles per program and call, however large the batch
OUT_START = 16  # output words per program before the buffer first grows
HOLD = nk.S_PAUSE + 1  # status of a program that has done its cycles of a `step(n)`
NREGS = load_isa().registers
SP = load_isa().aliases["sp"]
DEC, FIELDS = nk.decode_tables()

Progress = Callable[[int, int], None]  # (cycles of the furthest program, programs running)

_compile: dict = {}  # seconds and cache use of the first kernel call in this process


def _call(b: "NativeBatch", budget: int, max_cycles: int, max_out: int) -> None:
    first = not _compile
    # programs handed to the threads in small chunks, taken as each thread gets free:
    # programs that run for very different times still keep every core busy
    numba.set_parallel_chunksize(max(1, b.batch // (16 * numba.get_num_threads())))
    t0 = time.perf_counter()
    nk.run_chunk(b.mem, b.regs, b.pc, b.status, b.reason, b.cycles, b.out, b.out_len, b.inp,
                 b.in_len, b.in_pos, b.eof, b.inp_shared, budget, max_cycles, max_out, DEC,
                 FIELDS)
    if first:
        stats = getattr(nk.run_chunk, "stats", None)
        _compile.update(seconds=time.perf_counter() - t0,
                        from_cache=bool(stats and stats.cache_hits))


def warm_up() -> dict:
    """Compile (or load from the disk cache) the kernel now; return `compile_info()`."""
    if not _compile:
        tiny = run_arrays(np.zeros((1, 16), dtype=np.int32), max_cycles=1, max_out=0)
        assert tiny.status[0] == nk.S_HALTED
    return compile_info()


def compile_info() -> dict:
    """{seconds, from_cache} of the first kernel call in this process ({} before it)."""
    return dict(_compile)


@dataclass
class NativeBatch:
    """The state of B programs as numpy arrays (C-contiguous, updated in place by `run`).

    mem (B, N) int32; regs (B, 16) int32; pc (B,) int32; status (B,) int8 (STATUS_NAMES);
    reason (B,) int8 (REASON_NAMES); cycles (B,) int64; out (B, cap) int32, valid up to
    out_len (B,) int32; inp (B, L) int32 or (1, L) shared by every program
    (inp_shared); in_len (B,) or (1,) int32; in_pos (B,) int32 words read; eof (B,) int8."""

    mem: np.ndarray
    regs: np.ndarray
    pc: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    cycles: np.ndarray
    out: np.ndarray
    out_len: np.ndarray
    inp: np.ndarray
    in_len: np.ndarray
    in_pos: np.ndarray
    eof: np.ndarray
    inp_shared: bool

    @property
    def batch(self) -> int:
        return self.mem.shape[0]

    def running(self) -> int:
        return int(np.count_nonzero(self.status == nk.S_RUNNING))

    def run(self, max_cycles: int, max_out: int, progress: Progress | None = None,
            cycles: int | None = None) -> "NativeBatch":
        """Run every program until it stops or reaches `max_cycles` (given `cycles`: at most
        that many more cycles each); progress(cycles, running) after each chunk."""
        if max_cycles <= 0:
            self.status[self.status == nk.S_RUNNING] = nk.S_TIMEOUT
            return self
        limit = None if cycles is None else self.cycles + max(0, int(cycles))
        while True:
            running = self.running()
            if not running:
                return self
            budget = max(MIN_BUDGET, CHUNK_INSTRUCTIONS // running)
            held = None
            if limit is not None:  # no program may pass its limit, even after a pause
                left = limit - self.cycles  # (B,)
                live = self.status == nk.S_RUNNING
                go = live & (left > 0)
                if not go.any():
                    return self
                budget = min(budget, int(left[go].min()))
                held = live & ~go
                self.status[held] = HOLD
            _call(self, budget, max_cycles, max_out)
            if held is not None:
                self.status[held] = nk.S_RUNNING
            paused = self.status == nk.S_PAUSE
            if paused.any():  # some program needs more output room: grow, go on
                self._grow_out(max_out)
                self.status[paused] = nk.S_RUNNING
            if progress is not None:
                progress(int(self.cycles.max()), self.running())

    def _grow_out(self, max_out: int) -> None:
        cap = min(max_out, max(2 * self.out.shape[1], OUT_START))
        try:
            grown = np.zeros((self.batch, cap), dtype=np.int32)
        except MemoryError as exc:
            raise RunError(f"out of memory growing the output buffer to {cap} words per "
                           "program (use a smaller --max-out or batch)") from exc
        grown[:, : self.out.shape[1]] = self.out
        self.out = grown

    def result(self, i: int, with_mem: bool = False, index: int | None = None) -> ProgramResult:
        return ProgramResult(
            index=i if index is None else index,
            status=STATUS_NAMES[self.status[i]],
            reason=REASON_NAMES[self.reason[i]],
            pc=int(self.pc[i]),
            cycles=int(self.cycles[i]),
            regs=self.regs[i].tolist(),
            out=self.out[i, : self.out_len[i]].tolist(),
            eof=bool(self.eof[i]),
            mem=self.mem[i].tolist() if with_mem else None,
        )


def _as(arr, dtype, shape: tuple, what: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.shape != shape:
        raise RunError(f"{what}: expected shape {shape}, got {a.shape}")
    if a.dtype != dtype and not np.issubdtype(a.dtype, np.integer):
        raise RunError(f"{what}: expected integers, got {a.dtype}")
    if a.dtype != dtype:
        a = (a.astype(np.int64) & MASK32).astype(np.uint32).view(np.int32)
    return np.ascontiguousarray(a, dtype=dtype)


def run_arrays(mem, regs=None, pc=0, inp=None, in_len=None, *,
               max_cycles: int = DEFAULT_MAX_CYCLES, max_out: int = DEFAULT_MAX_OUT,
               copy: bool = True, progress: Progress | None = None) -> NativeBatch:
    """Run B programs given as arrays and return their final state.

    mem      (B, N) int32, each program's whole memory (N in 16..65536); copied unless
             `copy=False` (then it is run in place)
    regs     (B, 16) int32 start registers; default reset (0, sp = N); r0 is forced to 0
    pc       start pc: one int for all, or (B,)
    inp      input streams: (L,) shared by every program, or (B, L); default none
    in_len   stream lengths: one int or (B,) (or (1,) with a shared stream); default L
    Values of other integer dtypes are taken modulo 2^32."""
    m = np.asarray(mem)
    if m.ndim != 2:
        raise RunError(f"mem: expected a (B, N) array, got shape {m.shape}")
    B, N = m.shape
    if B < 1:
        raise RunError("a run needs at least one program")
    check_mem_words(N)
    check_limits(MachineConfig(mem_words=N, max_cycles=max_cycles, max_out=max_out))
    m = _as(m, np.int32, (B, N), "mem")
    if copy and m is mem:
        m = m.copy()
    if regs is None:
        r = np.zeros((B, NREGS), dtype=np.int32)
        r[:, SP] = N
    else:
        r = _as(regs, np.int32, (B, NREGS), "regs").copy()
        r[:, 0] = 0
    p = np.ascontiguousarray(np.broadcast_to(np.asarray(pc, dtype=np.int64), (B,)))
    if len(p) and (p.min() < 0 or p.max() >= N):
        raise RunError(f"pc: start outside memory 0..{N - 1}")
    if inp is None:
        inp = np.zeros(0, dtype=np.int32)  # one empty stream, shared
    inp = np.asarray(inp)
    shared = inp.ndim == 1
    rows = 1 if shared else B
    if inp.ndim not in (1, 2) or (not shared and inp.shape[0] != B):
        raise RunError(f"inp: expected (L,) or ({B}, L), got shape {inp.shape}")
    width = inp.shape[-1]
    inp = _as(inp.reshape(rows, width), np.int32, (rows, width), "inp")
    lens = np.broadcast_to(np.asarray(width if in_len is None else in_len, dtype=np.int64),
                           (rows,))
    if len(lens) and (lens.min() < 0 or lens.max() > width):
        raise RunError(f"in_len: lengths must lie in 0..{width}")
    start = nk.S_RUNNING if max_cycles > 0 else nk.S_TIMEOUT
    batch = NativeBatch(
        mem=m, regs=r, pc=p.astype(np.int32), status=np.full(B, start, dtype=np.int8),
        reason=np.zeros(B, dtype=np.int8), cycles=np.zeros(B, dtype=np.int64),
        out=np.zeros((B, min(max_out, OUT_START)), dtype=np.int32),
        out_len=np.zeros(B, dtype=np.int32), inp=inp, in_len=lens.astype(np.int32).copy(),
        in_pos=np.zeros(B, dtype=np.int32), eof=np.zeros(B, dtype=np.int8), inp_shared=shared)
    return batch.run(max_cycles, max_out, progress)


# ---------------------------------------------------------------- images and ProgramInputs


def build_state(image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                images: Sequence[Image] | None = None,
                sweep: tuple[int, Sequence[int]] | None = None) -> NativeBatch:
    """The reset state of a batch (ISA.md "Reset"), then its run inputs; not yet run.
    RunError for what the reference refuses at reset (see INTERPRETATIONS.md)."""
    check_limits(config)
    n, B = config.mem_words, len(inputs)
    if B < 1:
        raise RunError("a run needs at least one program")
    check_images(image, images, B, n)
    if sweep is not None and len(sweep[1]) != B:
        raise RunError(f"{len(sweep[1])} sweep values for {B} programs")
    mem = np.zeros((B, n), dtype=np.int32)
    if images is None:
        mem[:, : len(image.words)] = words_i32(image.words)
        pc = np.full(B, image.entry, dtype=np.int32)
    else:
        seen: dict[int, np.ndarray] = {}
        for k, im in enumerate(images):
            words = seen.get(id(im))
            if words is None:
                words = seen[id(im)] = words_i32(im.words)
            mem[k, : len(words)] = words
        pc = np.fromiter((im.entry for im in images), dtype=np.int32, count=B)
    regs = np.zeros((B, NREGS), dtype=np.int32)
    regs[:, SP] = n
    uniq = unique_inputs(inputs)
    shared = len(uniq) == 1
    width = max((len(inp.input) for inp, _ in uniq), default=0)
    inp = np.zeros((1 if shared else B, width), dtype=np.int32)
    in_len = np.zeros(1 if shared else B, dtype=np.int32)
    for prog, members in uniq:
        for r, value in prog.set.items():
            if not 0 <= r < NREGS:
                raise RunError(f"program {members[0]}: no register r{r}")
            if r:  # r0 stays 0
                regs[members, r] = words_i32([value])[0]
        for addr, value in prog.mem.items():
            if not 0 <= addr < n:
                raise RunError(f"program {members[0]}: memory patch at {addr} outside "
                               f"memory 0..{n - 1}")
            mem[members, addr] = words_i32([value])[0]
        rows = 0 if shared else members
        if prog.input:
            inp[rows, : len(prog.input)] = words_i32(prog.input)
        in_len[rows] = len(prog.input)
    if sweep is not None:
        reg, values = sweep
        if not 0 <= reg < NREGS:
            raise RunError(f"no register r{reg}")
        if reg:
            if isinstance(values, range):
                vals = np.arange(values.start, values.stop, values.step, dtype=np.int64)
            else:
                vals = np.asarray(list(values), dtype=np.int64)
            regs[:, reg] = (vals & MASK32).astype(np.uint32).view(np.int32)
    start = nk.S_RUNNING if config.max_cycles > 0 else nk.S_TIMEOUT
    return NativeBatch(
        mem=mem, regs=regs, pc=pc, status=np.full(B, start, dtype=np.int8),
        reason=np.zeros(B, dtype=np.int8), cycles=np.zeros(B, dtype=np.int64),
        out=np.zeros((B, min(config.max_out, OUT_START)), dtype=np.int32),
        out_len=np.zeros(B, dtype=np.int32), inp=inp, in_len=in_len,
        in_pos=np.zeros(B, dtype=np.int32), eof=np.zeros(B, dtype=np.int8), inp_shared=shared)


class NativeMachine:
    """A batch run on the native engine, with ExactMachine's reading methods.

    NativeMachine(image, config, inputs, images=..., sweep=(reg, values))"""

    def __init__(self, image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                 images: Sequence[Image] | None = None,
                 sweep: tuple[int, Sequence[int]] | None = None):
        self.config = config
        self.state = build_state(image, config, inputs, images=images, sweep=sweep)
        self.batch = self.state.batch

    @staticmethod
    def bytes_needed(batch: int, config: MachineConfig, max_input: int) -> int:
        """Host memory of a native run at its start: memory, registers, inputs, state."""
        return batch * 4 * (config.mem_words + NREGS + OUT_START + max_input + 8) + (1 << 20)

    def prepare(self) -> None:
        """Compile the kernel or load it from the disk cache (once per process)."""
        warm_up()

    def step(self, n: int = 1) -> None:
        """Exactly n more cycles (or up to the cycle limit) for the programs still running."""
        self.run(cycles=n)

    def run(self, progress: Progress | None = None, cycles: int | None = None) -> None:
        c = self.config
        self.state.run(c.max_cycles, c.max_out, progress, cycles)

    def results(self, indices: Iterable[int] | None = None,
                with_mem: bool = False) -> Iterator[ProgramResult]:
        """ProgramResults (signed ints) in `indices` order (default: all)."""
        for i in range(self.batch) if indices is None else indices:
            i = int(i)
            if not 0 <= i < self.batch:
                raise IndexError(f"program index {i} outside 0..{self.batch - 1}")
            yield self.state.result(i, with_mem)

    def summary(self) -> dict:
        st, cyc = self.state.status, self.state.cycles
        counts = np.bincount(st, minlength=len(STATUS_NAMES))
        return {
            "count": self.batch,
            "halted": int(counts[nk.S_HALTED]),
            "fault": int(counts[nk.S_FAULT]),
            "timeout": int(counts[nk.S_TIMEOUT]),
            "running": int(counts[nk.S_RUNNING]),
            "cycles_total": int(cyc.sum()),
            "cycles_min": int(cyc.min()),
            "cycles_median": int(np.sort(cyc)[(len(cyc) - 1) // 2]),
            "cycles_max": int(cyc.max()),
        }

    def first_faults(self, k: int) -> list[int]:
        return np.flatnonzero(self.state.status == nk.S_FAULT)[: max(0, int(k))].tolist()


def run(images, config: MachineConfig, inputs: Sequence[ProgramInput], *,
        with_mem: bool = False, progress: Progress | None = None) -> list[ProgramResult]:
    """The contract's whole run: every program's result. images: one Image for every
    program, or one per program."""
    return run_whole(NativeMachine, images, config, inputs, with_mem=with_mem, progress=progress)
