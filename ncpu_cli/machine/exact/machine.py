"""ExactMachine (engine `torch`): a batch of programs stepped with `step.cycle` on one device.

The machine holds an ExactState (state.py) and iterates the pure cycle (step.py) in
chunks of K cycles, with one host check ("all stopped?", the longest output so far)
between chunks and none inside. All programs start at cycle 0 together, so every
running program has executed exactly as many cycles as the machine has stepped: the
cycle limit is enforced by never stepping past `max_cycles` and marking the programs
still running as timed out there.

On CUDA a full chunk is captured once as a CUDA graph and replayed (NCPU_CUDA_GRAPH=0
turns that off); elsewhere (the CPU, MPS) the chunk runs eagerly. The output buffer
starts at two chunks' worth of words per program and grows between chunks to hold a
chunk's worth more than the longest output (up to max_out).

The state's tensors stay the same objects for the machine's life (every chunk's result
is copied into them; mem and out are written in place), except that growing the output
buffer replaces `out`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence

import torch

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import S_FAULT, S_RUNNING, S_TIMEOUT, load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.contract import run_whole
from ncpu_cli.machine.device import resolve_device
from ncpu_cli.machine.exact import results as xr
from ncpu_cli.machine.exact.state import ExactState, check_inputs, reset_state
from ncpu_cli.machine.exact.step import run_cycles
from ncpu_cli.machine.exact.tables import tables
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.memory import available_bytes, format_bytes
from ncpu_cli.machine.result import ProgramResult

Progress = Callable[[int, int], None]  # (cycles done, programs still running)

CPU_CHUNK = 64  # cycles between "all stopped?" checks off CUDA (a check costs less than a
# cycle there; 64 wastes at most that many masked cycles once every program has stopped)
CUDA_CHUNK = 256  # cycles per captured CUDA graph
MAX_BATCH = 1 << 26  # programs per machine: a sanity bound
_SCRATCH_BYTES = 1024  # per program: one cycle's temporaries (candidate rows, masks)


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "alloc" in text)


class ExactMachine:
    """A batch of programs run bit-exactly on integer tensors (machine/README.md).

    ExactMachine(image, config, inputs)                   one image, B = len(inputs)
    ExactMachine(image, config, inputs, images=[...])     a different image per program
    ExactMachine(image, config, [base] * B, sweep=(reg, values))   a register sweep
    """

    def __init__(self, image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                 images: Sequence[Image] | None = None,
                 sweep: tuple[int, Sequence[int]] | None = None):
        self.config = config
        self.image = image
        self.device = resolve_device(config.device)
        uniq = check_inputs(config, image, inputs, images, sweep)
        self.batch, self.n, self.max_out = len(inputs), config.mem_words, config.max_out
        if self.batch > MAX_BATCH:
            raise RunError(f"a batch of {self.batch} programs exceeds the limit of {MAX_BATCH}")
        self.max_input = max((len(inp.input) for inp, _ in uniq), default=0)
        self.chunk = CUDA_CHUNK if self.device.type == "cuda" else CPU_CHUNK
        self._check_memory()
        self._tables = tables(self.device)
        self._graph: torch.cuda.CUDAGraph | None = None
        self.steps = 0  # cycles stepped so far (= cycles of every running program)
        try:
            with torch.inference_mode():
                self.state: ExactState = reset_state(
                    image, config, inputs, device=self.device, out_cap=2 * self.chunk,
                    images=images, sweep=sweep, uniq=uniq)
        except (RuntimeError, MemoryError) as exc:
            if _is_oom(exc):
                self._oom(exc)
            raise

    # -- memory -----------------------------------------------------------------------
    @staticmethod
    def bytes_needed(batch: int, config: MachineConfig, max_input: int) -> int:
        """Estimated device memory of a run at its start: registers, memory, up to two
        chunks' worth of output words, the input streams, the small per-program state and
        one cycle's temporaries, for each program. (The output buffer grows on demand to a
        chunk's worth more than the longest output; a growth that does not fit is a
        RunError.)"""
        out_words = min(config.max_out, 2 * max(CPU_CHUNK, CUDA_CHUNK))
        per = (4 * (load_isa().registers + config.mem_words + out_words) + 4 * (max_input + 1)
               + 4 * 6 + 8 + _SCRATCH_BYTES)
        return int(batch * per * 1.1) + (1 << 20)

    def _check_memory(self) -> None:
        need = self.bytes_needed(self.batch, self.config, self.max_input)
        have = available_bytes(str(self.device))
        if have is not None and need > have:
            raise RunError(
                f"not enough memory on {self.device}: {self.batch} programs x {self.n} words need "
                f"about {format_bytes(need)}, {format_bytes(have)} available (use a smaller batch or "
                f"--mem-words)")

    def _oom(self, exc: BaseException) -> None:
        need = self.bytes_needed(self.batch, self.config, self.max_input)
        raise RunError(
            f"out of memory on {self.device}: {self.batch} programs x {self.n} words need about "
            f"{format_bytes(need)} (use a smaller batch or --mem-words)") from exc

    # -- running ----------------------------------------------------------------------
    def prepare(self) -> None:
        """Nothing to compile: the state is on the device from the constructor on, and a
        CUDA graph is captured during the first full chunk (real cycles)."""

    def step(self, n: int = 1) -> None:
        """Exactly n more cycles (or up to the cycle limit) for the programs still
        running; one host check per chunk."""
        self._go(self.steps + max(0, int(n)), until_stopped=False)

    def run(self, progress: Progress | None = None, cycles: int | None = None) -> None:
        """Until every program has stopped (or, given `cycles`, until the cycle that many
        cycles on from the call); progress(cycles_done, running) after each chunk."""
        self._go(None if cycles is None else self.steps + max(0, int(cycles)), True, progress)

    def _go(self, stop: int | None, until_stopped: bool, progress: Progress | None = None):
        """Chunks up to cycle `stop` (None or past the limit: max_cycles), ending early once
        every program has stopped if `until_stopped`."""
        stop = self.config.max_cycles if stop is None else min(self.config.max_cycles, stop)
        running, longest = self._poll()
        while self.steps < stop and (running or not until_stopped):
            k = min(self.chunk, stop - self.steps)
            self._reserve_out(k, longest)
            self._advance(k)
            running, longest = self._poll()  # the only host sync: once per chunk
            if progress is not None:
                progress(self.steps, running)

    def _advance(self, k: int) -> None:
        """Exactly k more cycles (k <= the cycles left), no host sync inside."""
        try:
            with torch.inference_mode():
                graph = (self.device.type == "cuda" and k == self.chunk
                         and os.environ.get("NCPU_CUDA_GRAPH", "1") != "0")
                if graph:
                    self._advance_graph(k)
                else:
                    self.state.copy_(run_cycles(self.state, self._tables, k, donate=True))
                self.steps += k
                if self.steps == self.config.max_cycles:  # the limit: still running = timeout
                    status = self.state.status
                    status.masked_fill_(status == S_RUNNING, S_TIMEOUT)
        except (RuntimeError, MemoryError) as exc:
            if _is_oom(exc):
                raise RunError(f"out of memory on {self.device} while running {self.batch} "
                               f"programs (use a smaller batch or --mem-words)") from exc
            raise

    def _advance_graph(self, k: int) -> None:
        """k cycles as a CUDA graph replay; the first call runs them eagerly on a side
        stream (real cycles, and the warm-up a capture needs), then records the chunk."""
        if self._graph is not None:
            with torch.cuda.device(self.device):  # replays on this device's current stream
                self._graph.replay()
            return
        s, t = self.state, self._tables
        with torch.cuda.device(self.device):
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                s.copy_(run_cycles(s, t, k, donate=True))
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):  # capture runs nothing: the state is untouched
                s.copy_(run_cycles(s, t, k, donate=True))
        self._graph = graph

    def _reserve_out(self, k: int, longest: int) -> None:
        """Room for k more cycles of output: capacity >= min(max_out, longest + k)."""
        cap = self.state.out.shape[1]
        need = min(self.max_out, longest + k)
        if need <= cap:
            return
        grown = min(self.max_out, max(need, 2 * cap))
        try:
            with torch.inference_mode():
                self.state = self.state.with_out_capacity(grown)
        except (RuntimeError, MemoryError) as exc:
            if not _is_oom(exc):
                raise
            raise RunError(f"out of memory on {self.device} growing the output buffer to "
                           f"{grown} words per program (use a smaller --max-out, batch or "
                           f"--mem-words)") from exc
        self._graph = None  # a captured graph holds the old buffer

    def _poll(self) -> tuple[int, int]:
        """(programs still running, longest output so far) in one device->host copy."""
        s = self.state
        with torch.inference_mode():
            got = torch.stack([(s.status == S_RUNNING).sum(), s.out_len.max().long()]).cpu()
        return int(got[0]), int(got[1])

    # -- state views --------------------------------------------------------------------
    @property
    def mem(self) -> torch.Tensor:
        return self.state.mem  # (B, N) int32

    @property
    def regs(self) -> torch.Tensor:
        return self.state.regs  # (B, 16) int32

    @property
    def pc(self) -> torch.Tensor:
        return self.state.pc  # (B,) int32

    @property
    def cycles(self) -> torch.Tensor:
        return self.state.cycles  # (B,) int64

    @property
    def status(self) -> torch.Tensor:
        """(B,) int8: ncpu_cli.isa S_* (running, halted, fault, timeout: STATUS_NAMES)."""
        return self.state.status

    @property
    def reason(self) -> torch.Tensor:
        """(B,) int8: ncpu_cli.isa R_* (none, opcode, address, target, output-full)."""
        return self.state.reason

    @property
    def running(self) -> torch.Tensor:
        return self.state.status == S_RUNNING  # (B,) bool

    @property
    def out(self) -> torch.Tensor:
        return self.state.out  # (B, cap) int32, valid up to out_len

    @property
    def out_len(self) -> torch.Tensor:
        return self.state.out_len  # (B,) int32

    @property
    def eof(self) -> torch.Tensor:
        return self.state.eof  # (B,) bool

    @property
    def inp(self) -> torch.Tensor:
        return self.state.inp[:, : self.max_input]  # (B, L) zero padded

    @property
    def in_len(self) -> torch.Tensor:
        return self.state.in_len  # (B,) int32

    @property
    def in_pos(self) -> torch.Tensor:
        return self.state.in_pos  # (B,) int32: words read

    # -- results --------------------------------------------------------------------------
    def results(self, indices: Iterable[int] | None = None,
                with_mem: bool = False) -> Iterator[ProgramResult]:
        """ProgramResults (signed ints) in `indices` order (default: all), in blocks."""
        return xr.results(self.state, indices, with_mem)

    def summary(self) -> dict:
        """Counts by status and cycle statistics, computed on the device."""
        return xr.summary(self.state)

    def first_faults(self, k: int) -> list[int]:
        """Indices of the first k programs (by index) that faulted."""
        faulted = (self.state.status == S_FAULT).nonzero().flatten()
        return faulted[: max(0, int(k))].cpu().tolist()


def run(images, config: MachineConfig, inputs: Sequence[ProgramInput], *,
        with_mem: bool = False, progress: Progress | None = None) -> list[ProgramResult]:
    """The contract's whole run: every program's result. images: one Image for every
    program, or one per program."""
    return run_whole(ExactMachine, images, config, inputs, with_mem=with_mem, progress=progress)
