"""The Triton engine (`--engine triton`): the fused kernel of `triton_kernel.py` on a batch.

    run(images, config, inputs, *, with_mem=False, progress=None)
        -> list[ProgramResult], field for field what the reference and native engines give.

`TritonMachine` is a `NativeMachine` (same reset state, `NativeBatch` layout, results,
summary) whose `run` moves the state to torch tensors on the device, launches the
kernel in chunks of K cycles until every program has stopped, and reads the state
back when results are asked for. On CUDA the kernel is compiled (first call: seconds,
then Triton's disk cache); on the CPU it runs only under Triton's interpreter
(`TRITON_INTERPRET=1`, numpy, slow: for tests), which must be set before the first
Triton run of the process. Without triton installed, a RunError says how to get it.

K, the cycles per launch, is `DEFAULT_CYCLES_PER_LAUNCH` = 256: not measured here (no
GPU on the development machine); 256 is what the cut-down prototype of issue 11 used
on an H200. `make gpu-check` measures the engine (`ncpu bench engines`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext

import numpy as np

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.contract import run_whole
from ncpu_cli.machine.exact.native import HOLD, OUT_START, NativeMachine, Progress
from ncpu_cli.machine.exact.native_kernel import S_PAUSE, S_RUNNING
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import ProgramResult

DEFAULT_CYCLES_PER_LAUNCH = 256  # unmeasured: see the module docstring
CHECK_EVERY = 4  # launches between host checks ("all stopped?", output growth) on CUDA
CUDA_BLOCK = 128  # programs per program instance on CUDA: one per thread; unmeasured
CUDA_WARPS = 4  # 96 registers a thread for sm_90 (ptxas), no shuffles: rows stay in a thread
INTERPRET_BLOCK = 1024  # the interpreter runs instances one after another: fewer, wider
INNER = 8  # cycles between the kernel's "any lane still running?" checks (fewer if K is)
INSTALL = "pip install 'ncpu[cuda]'"
INTERPRET_HINT = ("set TRITON_INTERPRET=1 to run the Triton kernel on the CPU (slow; for "
                  "tests), or use --device cuda")


def triton_unavailable() -> str | None:
    """Why the Triton engine cannot be imported here, else None."""
    try:
        import triton  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install
        return f"triton is not installed or not usable ({type(exc).__name__}: {exc})"
    return None


def interpret_requested() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def _kernel_module(device_type: str):
    """triton_kernel, imported now (its jit decorations read TRITON_INTERPRET), or RunError."""
    why = triton_unavailable()
    if why is not None:
        raise RunError(f"--engine triton: {why}; install it with `{INSTALL}`")
    if device_type == "cpu" and not interpret_requested():
        raise RunError(f"--engine triton on the CPU: {INTERPRET_HINT}")
    from ncpu_cli.machine.exact import triton_kernel as tk

    if device_type == "cpu" and not tk.INTERPRET:
        raise RunError("--engine triton on the CPU: the kernel of this process was made "
                       "without the interpreter; set TRITON_INTERPRET=1 before the first "
                       "Triton run (or before starting Python)")
    return tk


def _wide(a: np.ndarray) -> np.ndarray:
    """(rows, 0) arrays padded to one column: a kernel argument needs memory to point at
    (CUDA has no address for an empty tensor), the column is never read."""
    return a if a.shape[1] else np.zeros((a.shape[0], 1), dtype=a.dtype)


class TritonMachine(NativeMachine):
    """A batch on the Triton kernel; NativeMachine's constructors and reading methods.

    TritonMachine(image, config, inputs, images=..., sweep=(reg, values),
                  cycles_per_launch=256)"""

    def __init__(self, image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
                 images: Sequence[Image] | None = None,
                 sweep: tuple[int, Sequence[int]] | None = None,
                 cycles_per_launch: int = DEFAULT_CYCLES_PER_LAUNCH):
        from ncpu_cli.machine.device import resolve_device

        self.dev = resolve_device(config.device)
        self.tk = _kernel_module(self.dev.type)
        if cycles_per_launch < 1:
            raise RunError(f"cycles per launch must be >= 1, got {cycles_per_launch}")
        self.cycles_per_launch = int(cycles_per_launch)
        super().__init__(image, config, inputs, images=images, sweep=sweep)
        self._t: dict | None = None  # the state as device tensors, once uploaded
        self._stale = False  # host arrays (except mem) older than the device tensors
        self._mem_stale = False

    def prepare(self) -> None:
        """Upload the state to the device now (run() does it when needed)."""
        if self._t is not None:
            return
        import torch

        s, dev = self.state, self.dev

        def t(a, dtype):
            return torch.from_numpy(np.ascontiguousarray(a)).to(device=dev, dtype=dtype)

        i32 = torch.int32
        self._out_cap = s.out.shape[1]  # the output buffer's words per program
        try:
            self._t = self._upload(t, i32, s)
        except torch.OutOfMemoryError as exc:
            raise self._oom(exc) from exc

    def _upload(self, t, i32, s) -> dict:
        import torch

        return {
            "mem": t(s.mem, i32), "regs": t(s.regs, i32), "pc": t(s.pc, i32),
            "status": t(s.status, i32), "reason": t(s.reason, i32),
            "cycles": t(s.cycles, torch.int64), "out": t(_wide(s.out), i32),
            "out_len": t(s.out_len, i32),
            # a stream of width 0 still needs a real buffer to point at
            "inp": t(_wide(s.inp), i32),
            "in_len": t(s.in_len, i32), "in_pos": t(s.in_pos, i32), "eof": t(s.eof, i32),
            "dec": t(self.tk.decode_table(), i32),
        }

    def _launch(self, k: int) -> None:
        d, s, tk = self._t, self.state, self.tk
        block = INTERPRET_BLOCK if tk.INTERPRET else CUDA_BLOCK
        B, N = d["mem"].shape
        grid = ((B + block - 1) // block,)
        # compile options (the interpreter takes none); no floating point to fuse
        options = {} if tk.INTERPRET else {"num_warps": CUDA_WARPS, "enable_fp_fusion": False}
        tk.run_lanes[grid](
            d["mem"], d["regs"], d["pc"], d["status"], d["reason"], d["cycles"], d["out"],
            d["out_len"], d["inp"], d["in_len"], d["in_pos"], d["eof"], d["dec"],
            B, N, self._out_cap, d["inp"].shape[1], self.config.max_cycles,
            self.config.max_out, k, INNER=min(INNER, k), INP_SHARED=bool(s.inp_shared),
            NREG=d["regs"].shape[1], BLOCK=block, **tk.field_args(), **options)

    def _grow_out(self) -> None:
        import torch

        old = self._t["out"]
        cap = min(self.config.max_out, max(2 * self._out_cap, OUT_START))
        try:
            grown = torch.zeros((old.shape[0], cap), dtype=old.dtype, device=old.device)
        except (RuntimeError, MemoryError) as exc:  # torch.OutOfMemoryError is a RuntimeError
            raise RunError(f"out of memory growing the output buffer to {cap} words per "
                           "program (use a smaller --max-out or batch)") from exc
        grown[:, : old.shape[1]] = old
        self._t["out"], self._out_cap = grown, cap

    def run(self, progress: Progress | None = None, cycles: int | None = None) -> None:
        """Run until every program stops (given `cycles`: at most that many more cycles each;
        progress(cycles of the furthest program, running) after each host check."""
        import torch

        c = self.config
        if c.max_cycles <= 0:
            return  # the reset state already reads timeout
        self.prepare()
        self._stale = self._mem_stale = True
        # kernels launch on the current CUDA device: make it the state's (cuda:N)
        try:
            with torch.cuda.device(self.dev) if self.dev.type == "cuda" else nullcontext():
                self._run(progress, None if cycles is None else max(0, int(cycles)))
        except torch.OutOfMemoryError as exc:
            raise self._oom(exc) from exc

    def _oom(self, exc: BaseException) -> RunError:
        return RunError(f"out of memory on {self.dev} for {self.batch:,} programs x "
                        f"{self.config.mem_words} words (use a smaller batch or --mem-words)")

    def _run(self, progress: Progress | None, cycles: int | None) -> None:
        import torch

        d = self._t
        every = 1 if self.tk.INTERPRET else CHECK_EVERY
        limit = None if cycles is None else d["cycles"] + cycles  # (B,) where step(n) ends
        while True:
            held = None
            for _ in range(every):
                k = self.cycles_per_launch
                if limit is not None:  # no program may pass its limit, even after a pause
                    go = self._to_go(limit)  # (B,)
                    if not bool(go.any()):
                        break
                    k = min(k, int((limit - d["cycles"])[go].min()))
                    held = (d["status"] == S_RUNNING) & ~go
                    d["status"][held] = HOLD
                self._launch(k)
                if held is not None:
                    d["status"][held] = S_RUNNING
            counts = torch.bincount(d["status"], minlength=S_PAUSE + 1).tolist()
            if counts[S_PAUSE]:  # some program needs more output room: grow, go on
                self._grow_out()
                d["status"][d["status"] == S_PAUSE] = S_RUNNING
            if progress is not None:
                progress(int(d["cycles"].max()), counts[S_RUNNING] + counts[S_PAUSE])
            if not counts[S_RUNNING] and not counts[S_PAUSE]:
                break
            if limit is not None and not bool(self._to_go(limit).any()):
                break

    def _to_go(self, limit):
        """(B,) bool: running programs with cycles left before their `step(n)` limit."""
        d = self._t
        return (d["status"] == S_RUNNING) & (limit > d["cycles"])

    def _download(self, with_mem: bool) -> None:
        s, d = self.state, self._t
        if self._stale:
            for name, dtype in (("regs", np.int32), ("pc", np.int32), ("status", np.int8),
                                ("reason", np.int8), ("cycles", np.int64),
                                ("out_len", np.int32), ("in_pos", np.int32),
                                ("eof", np.int8)):
                setattr(s, name, d[name].cpu().numpy().astype(dtype))
            s.out = d["out"][:, : self._out_cap].cpu().numpy().astype(np.int32)
            self._stale = False
        if with_mem and self._mem_stale:
            s.mem = d["mem"].cpu().numpy()
            self._mem_stale = False

    def results(self, indices: Iterable[int] | None = None,
                with_mem: bool = False) -> Iterator[ProgramResult]:
        self._download(with_mem)
        yield from super().results(indices, with_mem)

    def summary(self) -> dict:
        self._download(False)
        return super().summary()

    def first_faults(self, k: int) -> list[int]:
        self._download(False)
        return super().first_faults(k)


def run(images, config: MachineConfig, inputs: Sequence[ProgramInput], *,
        with_mem: bool = False, progress: Progress | None = None) -> list[ProgramResult]:
    """The contract's whole run: every program's result. images: one Image for every
    program, or one per program."""
    return run_whole(TritonMachine, images, config, inputs, with_mem=with_mem, progress=progress)
