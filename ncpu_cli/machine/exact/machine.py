"""The exact executor: a batch of ncpu32 programs as integer tensors.

State of B programs with N words of memory each, on one torch device (the layout
and the cycle itself are in `exact_step.py`):

    st (16 + N + cap, B) int32: the registers, the memory and the output words, each
    a view (regs, mem, out); pc (B,), live (B,) 1 while running, code (B,) stop code
    (exact_tables.C_*), cycles (B,), out_len (B,), inp (L+2, B) + in_len + in_pos
    (in_pos > in_len: eof).

One cycle is a fixed, branch-free sequence of tensor ops: gather the word at pc,
slice its fields, gather the operands, compute every candidate result, pick per
program by opcode (gathers into the candidate rows), compute the stop code (halt
or a fault, with ISA.md's priority) and make its one write (one scatter). A stopped
program, or one whose instruction faults, is masked: its state never changes,
and nothing one program does reaches another. There is no host sync inside a
chunk of K cycles; `run` checks "all stopped?" between chunks. On CUDA a chunk
is captured once as a CUDA graph and replayed. On the CPU the chunk runs as a
TorchScript function (eagerly when TorchScript is unavailable), and a big batch
is split into shards, one per torch thread, stepped in parallel threads.

All programs of a machine start at cycle 0 together, so every running program
has executed exactly as many cycles as the machine has stepped: the cycle limit
is enforced by never stepping past `max_cycles` and marking the programs still
running as timed out there.

The step is built without the parts (div/rem, input, output: exact_tables.FEATURES)
that no word of the images or memory patches needs as an instruction; that is up to
a fifth of its work. A program can still reach such an instruction (one it stored, or
a word it computed): it pauses there without committing, the chunk's end notices,
and the machine starts the whole run again from reset with the full step, so results
stay exact (at worst the run takes twice as long; `restarts` counts this).

While it steps on the CPU the machine sets torch's intra-op threads to 1 (restored
afterwards): its own shards use the cores. Knobs (environment): NCPU_JIT=0 runs the
step eagerly, NCPU_CPU_SHARDS=k overrides the shard count, NCPU_CUDA_GRAPH=0 turns
CUDA-graph capture off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa
from ncpu_cli.machine.exact import step as xs
from ncpu_cli.machine.exact import tables as xt
from ncpu_cli.machine.config import MachineConfig, check_images, check_limits
from ncpu_cli.machine.device import resolve_device
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import REASON_NAMES, STATUS_NAMES, ProgramResult

INT_MIN = -(2**31)

# Public status / reason codes of the `status` and `reason` tensors (int8).
# (the index into result.STATUS_NAMES / REASON_NAMES, the vocabulary every engine shares)
S_RUNNING, S_HALTED, S_FAULT, S_TIMEOUT = 0, 1, 2, 3
R_NONE, R_OPCODE, R_ADDRESS, R_TARGET, R_OUTPUT_FULL = 0, 1, 2, 3, 4
# internal stop code -> (status, reason)
_CODE_STATUS = {
    xt.C_RUNNING: (S_RUNNING, R_NONE), xt.C_TARGET: (S_FAULT, R_TARGET),
    xt.C_HALT: (S_HALTED, R_NONE), xt.C_OPCODE: (S_FAULT, R_OPCODE),
    xt.C_ADDRESS: (S_FAULT, R_ADDRESS), xt.C_OUTPUT_FULL: (S_FAULT, R_OUTPUT_FULL),
    xt.C_TIMEOUT: (S_TIMEOUT, R_NONE),
    xt.C_PAUSE: (S_RUNNING, R_NONE),  # transient: the run starts again at once
}

CPU_CHUNK = 256  # cycles between "all stopped?" checks on the CPU (a check and the thread
# hand-off cost about a tenth of a 64-cycle chunk; 256 wastes at most that many masked
# cycles once every program has stopped)
CUDA_CHUNK = 256  # cycles per captured CUDA graph
MIN_SHARD = 2048  # programs per CPU shard below which one thread does it all
MAX_BATCH = 1 << 26  # programs per machine: a sanity bound (flat offsets past 2^31 use int64)
# per program: pc, live, code, in_len, in_pos, out_len (int32), its arange entry (index
# dtype) and cycles (int32 or int64)
_STATE_BYTES = 6 * 4 + 8 + 8


def _u32_to_i32(values) -> np.ndarray:
    """Unsigned 32-bit words (any ints) -> the same bits as int32."""
    return (np.asarray(values, dtype=np.int64) & MASK32).astype(np.uint32).view(np.int32)


def _words(values: Iterable[int]) -> np.ndarray:
    return _u32_to_i32(np.fromiter((v & MASK32 for v in values), dtype=np.int64))


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024:
            return f"{int(nbytes)} B" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} TiB"


def _available_bytes(dev: torch.device) -> int | None:
    try:
        if dev.type == "cuda":
            free, _total = torch.cuda.mem_get_info(dev)
            return int(free)
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, RuntimeError, ValueError):
        return None
    return None


_PROBES: dict[str, bool] = {}
INT32_INDEX_LIMIT = 2**31  # flat buffers at least this long are indexed with int64


def _double_to_int32_wraps(device: torch.device) -> bool:
    """Whether float64 -> int32 on this device maps 2^31 to -2^31 (x86 CPUs do; CUDA
    saturates). Probed on vector and scalar code paths; when it does not, the
    quotient is converted through int64 instead (one op more)."""
    key = str(device)
    if key not in _PROBES:
        probe = torch.full((67,), 2.0**31, dtype=torch.float64, device=device)
        probe[::2] = -(2.0**31)
        want = torch.full((67,), INT_MIN, dtype=torch.int32, device=device)
        got = torch.empty(67, dtype=torch.int32, device=device).copy_(probe)
        one = torch.empty(1, dtype=torch.int32, device=device).copy_(probe[1:2])
        _PROBES[key] = bool(torch.equal(got, want)) and bool(torch.equal(one, want[:1]))
    return _PROBES[key]


def _unique(inputs: Sequence[ProgramInput]) -> list[tuple[ProgramInput, np.ndarray]]:
    """Distinct input objects (by identity) with the program indices that use them."""
    if inputs and all(inp is inputs[0] for inp in inputs):
        return [(inputs[0], np.arange(len(inputs)))]
    by_id: dict[int, tuple[ProgramInput, list[int]]] = {}
    for k, inp in enumerate(inputs):
        entry = by_id.get(id(inp))
        if entry is None:
            by_id[id(inp)] = (inp, [k])
        else:
            entry[1].append(k)
    return [(inp, np.asarray(members, dtype=np.int64)) for inp, members in by_id.values()]


def _scatter_takes_int32(device: torch.device) -> bool:
    """Whether this torch's scatter_ accepts int32 indices on `device` (newer ones do;
    else the step copies each scatter index to int64, one op more)."""
    key = f"scatter-int32:{device}"
    if key not in _PROBES:
        dst = torch.zeros(4, dtype=torch.int32, device=device)
        try:
            dst.scatter_(0, torch.tensor([2], dtype=torch.int32, device=device),
                         torch.ones(1, dtype=torch.int32, device=device))
            _PROBES[key] = dst.tolist() == [0, 0, 1, 0]
        except RuntimeError:
            _PROBES[key] = False
    return _PROBES[key]


def _used_features(image: Image, images: Sequence[Image] | None, uniq) -> frozenset[str]:
    """The optional step features that some word of the images or memory patches needs,
    read as an instruction (data words count too: a program may jump to them)."""
    field = load_isa().fields["op"]
    parts = [np.asarray([w & MASK32 for w in im.words], dtype=np.int64)
             for im in (images if images is not None else [image])]
    parts += [np.asarray([v & MASK32 for v in inp.mem.values()], dtype=np.int64)
              for inp, _ in uniq if inp.mem]
    words = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return xt.features_of(np.unique((words >> field.lo) & field.mask).tolist())


class _Shard:
    """The state of programs lo..hi-1 (contiguous tensors of their own)."""

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi, self.batch = lo, hi, hi - lo


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < workers:  # noqa: SLF001
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ncpu-exact")
        return _POOL


class ExactMachine:
    """A batch of programs run bit-exactly on integer tensors.

    ExactMachine(image, config, inputs)              one image, B = len(inputs)
    ExactMachine(image, config, inputs, images=...)  a different image per program
    ExactMachine.broadcast(image, config, inp, batch)
    ExactMachine.for_sweep(image, config, base, reg, values)
    """

    def __init__(
        self,
        image: Image,
        config: MachineConfig,
        inputs: Sequence[ProgramInput],
        *,
        images: Sequence[Image] | None = None,
        shards: int | None = None,
        features: Iterable[str] | None = None,
        _sweep: tuple[int, Sequence[int]] | None = None,
    ):
        """features: the optional parts of the step (exact_tables.FEATURES) to build in;
        default: those an instruction in the images or memory patches needs. A program
        that reaches an instruction needing another one (code it stored, or a data word
        it jumps to) makes the machine start the run again with all of them."""
        self.config = config
        self.image = image
        self.device = resolve_device(config.device)
        check_limits(config)
        n = config.mem_words
        batch = len(inputs)
        if batch < 1:
            raise RunError("a run needs at least one program")
        if batch > MAX_BATCH:
            raise RunError(f"a batch of {batch} programs exceeds the limit of {MAX_BATCH}")
        check_images(image, images, batch, n)
        if _sweep is not None and len(_sweep[1]) != batch:
            raise RunError(f"{len(_sweep[1])} sweep values for {batch} programs")
        self.batch, self.n, self.max_out = batch, n, config.max_out
        uniq = _unique(inputs)
        self.max_input = max((len(inp.input) for inp, _ in uniq), default=0)
        self._validate_inputs(uniq)
        self._dec = xt.decoding()
        self.chunk = CUDA_CHUNK if self.device.type == "cuda" else CPU_CHUNK
        self._check_memory()
        # CPU: the chunk as TorchScript (less overhead, no GIL: shards run in parallel).
        # CUDA: eager ops, captured into a CUDA graph (TorchScript's profiling runs
        # and fusers have no place inside a capture).
        cpu = self.device.type == "cpu"
        self._kernel = (xs.scripted() if cpu else None) or xs.run_cycles
        if shards is None:
            shards = self._default_shards()
        shards = max(1, min(int(shards), batch))
        self._bounds = [batch * k // shards for k in range(shards + 1)]
        if features is None:
            self.features = _used_features(image, images, uniq)
        else:
            self.features = frozenset(features)
            if not self.features <= set(xt.FEATURES):
                raise ValueError(f"unknown step features {sorted(self.features - set(xt.FEATURES))}")
        self.restarts = 0  # runs started again with every feature (see `features`)
        self._start = (image, uniq, images, _sweep)
        self._build_shards()
        if config.max_cycles == 0:
            self._finish_timeouts()

    @property
    def _full(self) -> bool:
        return len(self.features) == len(xt.FEATURES)

    def _build_shards(self) -> None:
        """Every shard at reset (cycle 0), for the step with self.features. The inputs are
        kept (self._start) only while a restart may still need them."""
        self._shards: list[_Shard] = []
        # output words per program: two chunks' worth to start with (growing copies the
        # whole state), none when the step has no `out`
        self._out_cap = min(self.max_out, 2 * self.chunk) if "out" in self.features else 0
        self._graph: torch.cuda.CUDAGraph | None = None
        try:
            with torch.inference_mode():
                self._constants()
                self._shards = [self._build(lo, hi, *self._start)
                                for lo, hi in zip(self._bounds, self._bounds[1:])]
        except (torch.OutOfMemoryError, MemoryError) as exc:
            self._oom(exc)
        except RuntimeError as exc:
            if "memory" in str(exc).lower() or "alloc" in str(exc).lower():
                self._oom(exc)
            raise
        self.steps = 0  # cycles stepped so far (= cycles of every running program)
        if self._full:
            self._start = None

    def _restart_with_every_feature(self) -> None:
        """A program paused at an instruction the step was built without: start the whole
        run again with every feature (the state is rebuilt from the images and inputs)."""
        self.features = frozenset(xt.FEATURES)
        self.restarts += 1
        self._build_shards()  # (drops the old state first)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def broadcast(cls, image: Image, config: MachineConfig, inp: ProgramInput,
                  batch: int, **kw) -> "ExactMachine":
        """`batch` copies of one program with the same input."""
        return cls(image, config, [inp] * batch, **kw)

    @classmethod
    def for_sweep(cls, image: Image, config: MachineConfig, base: ProgramInput, reg: int,
                  values: Sequence[int], **kw) -> "ExactMachine":
        """One program per value: `base` with register `reg` preset to that value."""
        if not 0 <= reg < load_isa().registers:
            raise RunError(f"no register r{reg}")
        return cls(image, config, [base] * len(values), _sweep=(reg, values), **kw)

    @staticmethod
    def bytes_needed(batch: int, mem_words: int, max_out: int, max_input: int) -> int:
        """Estimated device memory at the start of a run: memory, state, candidate rows,
        scratch, and up to two chunks' worth of output words each (the output buffer starts
        there and grows on demand to hold a chunk's worth more than the longest output;
        a growth copies the whole state, and one that does not fit is a RunError)."""
        out_words = min(max_out, 2 * max(CPU_CHUNK, CUDA_CHUNK))
        per = (4 * (xs.R_MEM + mem_words + out_words) + 4 * (max_input + 2) + _STATE_BYTES
               + 4 * xt.V_COUNT + xs.SCRATCH_BYTES)
        return int(batch * per * 1.1) + (1 << 20)

    def _default_shards(self) -> int:
        if self.device.type != "cpu":
            return 1
        env = os.environ.get("NCPU_CPU_SHARDS")
        threads = int(env) if env else torch.get_num_threads()
        return max(1, min(threads, self.batch // MIN_SHARD))

    def _validate_inputs(self, uniq) -> None:
        n, nreg = self.n, load_isa().registers
        for inp, members in uniq:
            for r in inp.set:
                if not 0 <= r < nreg:
                    raise RunError(f"program {members[0]}: no register r{r}")
            for addr in inp.mem:
                if not 0 <= addr < n:
                    raise RunError(
                        f"program {members[0]}: memory patch at {addr} outside memory 0..{n - 1}")

    def _check_memory(self) -> None:
        need = self.bytes_needed(self.batch, self.n, self.max_out, self.max_input)
        have = _available_bytes(self.device)
        if have is not None and need > have:
            raise RunError(
                f"not enough memory on {self.device}: {self.batch} programs x {self.n} words need "
                f"about {_human(need)}, {_human(have)} available (use a smaller batch or "
                f"--mem-words)")

    def _oom(self, exc: BaseException) -> None:
        need = self.bytes_needed(self.batch, self.n, self.max_out, self.max_input)
        raise RunError(
            f"out of memory on {self.device}: {self.batch} programs x {self.n} words need about "
            f"{_human(need)} (use a smaller batch or --mem-words)") from exc

    def _constants(self) -> None:
        dev = self.device
        i32 = dict(dtype=torch.int32, device=dev)
        self._P = torch.tensor(xt.packed_table(features=self.features), **i32)  # (64,)
        (left, right), (lo, mask) = xt.field_rows(self._dec)
        self._fields = [torch.tensor(v, **i32).unsqueeze(1)  # (3, 1), (3, 1), (5, 1), (5, 1)
                        for v in (left, right, lo, mask)]
        self._pick_shift = torch.tensor(xs.PICK_SHIFT, **i32).unsqueeze(1)  # (5, 1)
        self._pick_mask = torch.tensor(xs.PICK_MASK, **i32).unsqueeze(1)  # (5, 1)
        self._en_shift = torch.tensor(xs.EN_SHIFT, **i32).unsqueeze(1)  # (2, 1)
        self._q_direct = _double_to_int32_wraps(dev)
        # scatter_ indices as int64: where scatter_ wants them, and on the CPU anyway (its
        # scatter_ casts an int32 index into a new tensor every call; a copy into a kept
        # one is cheaper)
        self._long_scatter = dev.type == "cpu" or not _scatter_takes_int32(dev)

    def _build(self, lo: int, hi: int, image: Image, uniq, images, sweep) -> _Shard:
        """Reset state of programs lo..hi-1, then their inputs."""
        dev, N, L = self.device, self.n, self.max_input
        sh = _Shard(lo, hi)
        B = sh.batch
        i32 = dict(dtype=torch.int32, device=dev)
        big = max((xs.R_MEM + N + self.max_out) * B, (L + 2) * B, xt.V_COUNT * B)
        sh.idx = torch.int32 if big < INT32_INDEX_LIMIT else torch.int64

        # the state (16 + N + cap, B): registers, memory (the image(s), then patches), output
        sh.st = torch.zeros(xs.R_MEM + N + self._out_cap, B, **i32)
        self._views(sh)
        mem, regs = sh.mem, sh.regs
        if images is None:
            col = np.zeros(N, dtype=np.int32)
            col[: len(image.words)] = _words(image.words)
            mem.copy_(torch.from_numpy(col).to(dev).unsqueeze(1).expand(N, B))
        else:  # on the CPU straight into the state, elsewhere through one host copy
            host = mem.numpy() if dev.type == "cpu" else np.zeros((N, B), dtype=np.int32)
            for k in range(lo, hi):
                words = images[k].words
                host[: len(words), k - lo] = _words(words)
            if dev.type != "cpu":
                mem.copy_(torch.from_numpy(host).to(dev))
        regs[load_isa().aliases["sp"]] = N  # the stack starts at the top of memory
        inp_host = np.zeros((L + 2, B), dtype=np.int32)
        in_len = np.zeros(B, dtype=np.int32)
        for inp, members in uniq:
            local = members[(members >= lo) & (members < hi)] - lo
            if not len(local):
                continue
            whole = len(local) == B
            cols = slice(None) if whole else torch.as_tensor(local, device=dev)
            for addr, value in inp.mem.items():
                mem[addr, cols] = int(_u32_to_i32([value])[0])
            for r, value in inp.set.items():
                if r:
                    regs[r, cols] = int(_u32_to_i32([value])[0])
            if inp.input:
                inp_host[: len(inp.input), local] = _words(inp.input)[:, None]
                in_len[local] = len(inp.input)
        if sweep is not None and sweep[0]:
            regs[sweep[0]] = torch.as_tensor(_u32_to_i32(list(sweep[1][lo:hi])), device=dev)
        if images is None:
            sh.pc = torch.full((B,), image.entry, **i32)  # (B,)
        else:
            sh.pc = torch.tensor([images[k].entry for k in range(lo, hi)], **i32)  # (B,)
        sh.inp = torch.from_numpy(inp_host).to(dev)  # (L+2, B)
        sh.in_len = torch.from_numpy(in_len).to(dev)  # (B,)
        sh.in_pos = torch.zeros(B, **i32)  # (B,)
        sh.out_len = torch.zeros(B, **i32)  # (B,)
        sh.code = torch.zeros(B, **i32)  # (B,)
        sh.live = torch.ones(B, **i32)  # (B,)
        wide = self.config.max_cycles >= 2**31
        sh.cycles = torch.zeros(B, dtype=torch.int64 if wide else torch.int32, device=dev)
        sh.ar = torch.arange(B, dtype=sh.idx, device=dev)  # (B,)
        sh.V = torch.zeros(xt.V_COUNT, B, **i32)  # (V_COUNT, B) candidate rows
        for name, value in xt.V_CONSTANT.items():
            sh.V[xt.V[name]] = value
        sh.scratch = xs.make_scratch(B, sh.idx, dev)
        # each shard its own copies: threads then share no tensor (no refcount ping-pong)
        sh.consts = [t.clone() for t in (self._P, *self._fields, self._pick_shift,
                                         self._pick_mask, self._en_shift)]
        sh.consts.append(xs.make_constants(N, self.max_out, dev))  # 0-dim constants
        return sh

    def _views(self, sh: _Shard) -> None:
        """sh.regs (16, B), sh.mem (N, B), sh.out (cap, B): views of the state sh.st."""
        sh.regs = sh.st[: xs.R_MEM]
        sh.mem = sh.st[xs.R_MEM: xs.R_MEM + self.n]
        sh.out = sh.st[xs.R_MEM + self.n:]

    # -- stepping -------------------------------------------------------------------------
    def _run_shard(self, sh: _Shard, k: int, kernel=None) -> None:
        (kernel or self._kernel)(
            k, self.n, self.max_out, self.max_input + 1, self._q_direct, self._long_scatter,
            "div" in self.features, "in" in self.features, "out" in self.features,
            sh.st, sh.pc, sh.live, sh.code, sh.cycles, sh.out_len, sh.inp, sh.in_pos,
            sh.V, *sh.consts, sh.ar, sh.scratch,
        )

    def _remaining(self) -> int:
        return self.config.max_cycles - self.steps

    def _finish_timeouts(self) -> None:
        """At max_cycles: every program still running times out (state as it is)."""
        with torch.inference_mode():
            for sh in self._shards:
                sh.code.add_(sh.live * xt.C_TIMEOUT)
                sh.live.zero_()

    def _advance(self, k: int) -> tuple[int, int]:
        """Exactly k more cycles (k <= remaining) with no host sync inside, then one poll:
        (programs still running, longest output so far). A paused program restarts the run
        (steps back to 0; callers step on from there)."""
        with torch.inference_mode():
            if self.device.type == "cuda":
                self._advance_cuda(k)
            else:
                self._advance_cpu(k)
        self.steps += k
        running, longest, paused = self._poll()
        if paused:
            self._restart_with_every_feature()
            running, longest, _ = self._poll()
        elif self._remaining() == 0:
            self._finish_timeouts()
            running = 0
        return running, longest

    def _advance_cpu(self, k: int) -> None:
        """One intra-op thread per shard (torch's own parallel regions only spin against
        each other here); several shards step in parallel threads, which works because
        the scripted chunk runs without the GIL."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            if len(self._shards) == 1:
                self._run_shard(self._shards[0], k)
                return

            def job(sh):
                torch.set_num_threads(1)  # this worker's OpenMP setting, too
                with torch.inference_mode():
                    self._run_shard(sh, k)

            futures = [_pool(len(self._shards)).submit(job, sh) for sh in self._shards]
            for fut in futures:
                fut.result()
        finally:
            torch.set_num_threads(threads)

    def _advance_cuda(self, k: int) -> None:
        use_graph = k == self.chunk and os.environ.get("NCPU_CUDA_GRAPH", "1") != "0"
        if not use_graph:
            for sh in self._shards:
                self._run_shard(sh, k)
            return
        if self._graph is not None:
            with torch.cuda.device(self.device):  # replays on this device's current stream
                self._graph.replay()
            return
        # first full chunk: run it eagerly on a side stream (real cycles, and the warm-up
        # a capture needs), then record the chunk once for every later replay
        with torch.cuda.device(self.device):
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for sh in self._shards:
                    self._run_shard(sh, k)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):  # capture runs nothing: the state is untouched
                for sh in self._shards:
                    self._run_shard(sh, k)
        self._graph = graph

    def _reserve_out(self, k: int, longest: int | None = None) -> None:
        """Room for k more cycles of output: capacity >= min(max_out, longest + k)."""
        if self._out_cap >= self.max_out or "out" not in self.features:
            return
        if longest is None:
            longest = max(int(sh.out_len.max()) for sh in self._shards)
        need = min(self.max_out, longest + k)
        if need <= self._out_cap:
            return
        cap = min(self.max_out, max(need, 2 * self._out_cap))
        try:
            with torch.inference_mode():
                for sh in self._shards:
                    grown = torch.zeros(xs.R_MEM + self.n + cap, sh.batch, dtype=torch.int32,
                                        device=self.device)
                    grown[: sh.st.shape[0]] = sh.st
                    sh.st = grown
                    self._views(sh)
        except (torch.OutOfMemoryError, MemoryError) as exc:
            raise RunError(f"out of memory on {self.device} growing the output buffer to "
                           f"{cap} words per program (use a smaller --max-out, batch or "
                           f"--mem-words)") from exc
        self._out_cap = cap
        self._graph = None  # a captured graph holds the old buffers

    def step(self, n: int = 1) -> None:
        """Exactly n cycles (or up to the cycle limit) for the programs still running; one
        host sync per chunk."""
        target = min(self.steps + max(0, int(n)), self.config.max_cycles)
        longest = None  # known after the first chunk's poll
        while self.steps < target:  # (a restart goes back to 0 and steps up again)
            k = min(target - self.steps, self.chunk)
            self._reserve_out(k, longest)
            _, longest = self._advance(k)

    def run(self, progress: Callable[[int, int], None] | None = None,
            cycles: int | None = None) -> None:
        """Run until every program has stopped (or, given `cycles`, until the cycle that many
        cycles on from the call); progress(cycles_done, running) after each chunk. After a
        restart (see `features`) the count starts again from 0, and the run still stops at
        the same cycle."""
        stop = self.config.max_cycles if cycles is None else min(
            self.config.max_cycles, self.steps + max(0, int(cycles)))
        running, longest, _ = self._poll()
        while running and self.steps < stop:
            k = min(self.chunk, stop - self.steps)
            self._reserve_out(k, longest)
            running, longest = self._advance(k)  # the only host sync: once per chunk
            if progress is not None:
                progress(self.steps, running)

    def _poll(self) -> tuple[int, int, bool]:
        """(programs still running, longest output so far, whether one paused) in one
        device->host copy."""
        with torch.inference_mode():
            parts = [torch.stack([sh.live.sum(), sh.out_len.max().long(),
                                  (sh.code == xt.C_PAUSE).sum()]) for sh in self._shards]
            got = torch.stack(parts).cpu()
        return int(got[:, 0].sum()), int(got[:, 1].max()), bool(got[:, 2].any())

    # -- state views (one shard: views; several: concatenated copies) --------------------------
    def _cat(self, get: Callable[[_Shard], torch.Tensor], dim: int = 0) -> torch.Tensor:
        parts = [get(sh) for sh in self._shards]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim)

    @property
    def mem(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.mem.t())  # (B, N)

    @property
    def regs(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.regs.t())  # (B, 16)

    @property
    def pc(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.pc)  # (B,) int32

    @property
    def cycles(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.cycles).long()  # (B,) int64

    @property
    def code(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.code)  # (B,) internal stop codes (exact_tables.C_*)

    @property
    def running(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.live).bool()  # (B,)

    def _code_map(self, which: int) -> torch.Tensor:
        lut = torch.tensor([_CODE_STATUS[c][which] for c in range(len(xt.CODE_NAMES))],
                           dtype=torch.int8, device=self.device)  # (8,)
        return lut.index_select(0, self.code)  # (B,)

    @property
    def status(self) -> torch.Tensor:
        """(B,) int8: 0 running, 1 halted, 2 fault, 3 timeout (STATUS_NAMES)."""
        return self._code_map(0)

    @property
    def reason(self) -> torch.Tensor:
        """(B,) int8: 0 none, 1 opcode, 2 address, 3 target, 4 output-full (REASON_NAMES)."""
        return self._code_map(1)

    @property
    def out(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.out[: self._out_cap].t())  # (B, cap), valid to out_len

    @property
    def out_len(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.out_len)  # (B,)

    @property
    def eof(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.in_pos > sh.in_len)  # (B,) bool

    @property
    def inp(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.inp[: self.max_input].t())  # (B, L) zero padded

    @property
    def in_len(self) -> torch.Tensor:
        return self._cat(lambda sh: sh.in_len)  # (B,)

    @property
    def in_pos(self) -> torch.Tensor:
        return self._cat(lambda sh: torch.minimum(sh.in_pos, sh.in_len))  # (B,) words read

    # -- results --------------------------------------------------------------------------------
    def results(self, indices: Iterable[int] | None = None,
                with_mem: bool = False) -> Iterator[ProgramResult]:
        """ProgramResults (signed ints) in `indices` order (default: all), in blocks."""
        if indices is None:
            idx = np.arange(self.batch, dtype=np.int64)
        else:
            idx = np.fromiter((int(i) for i in indices), dtype=np.int64)
            bad = idx[(idx < 0) | (idx >= self.batch)]
            if len(bad):
                raise IndexError(f"program index {int(bad[0])} outside 0..{self.batch - 1}")
        block = 4096
        names = [(STATUS_NAMES[st], REASON_NAMES[rs]) for st, rs in
                 (_CODE_STATUS[c] for c in range(len(xt.CODE_NAMES)))]
        for start in range(0, len(idx), block):
            part = idx[start: start + block]
            c = self._fetch(part, with_mem)
            mems = c["mem"] if with_mem else [None] * len(part)
            for i, code, pc, cyc, regs, out, n_out, eof, mem in zip(
                    part.tolist(), c["code"], c["pc"], c["cycles"], c["regs"], c["out"],
                    c["out_len"], c["eof"], mems):
                status, reason = names[code]
                yield ProgramResult(index=i, status=status, reason=reason, pc=pc, cycles=cyc,
                                    regs=regs, out=out[:n_out], eof=eof, mem=mem)

    def _fetch(self, part: np.ndarray, with_mem: bool) -> dict[str, list]:
        """Per-program values of the programs in `part` as Python lists, in that order."""
        los = np.asarray([sh.lo for sh in self._shards])
        owner = np.searchsorted(los, part, side="right") - 1
        keys = ("code", "pc", "cycles", "regs", "out_len", "out", "eof") + (
            ("mem",) if with_mem else ())
        pieces: dict[str, list] = {k: [] for k in keys}
        where_all = []
        for s, sh in enumerate(self._shards):
            where = np.nonzero(owner == s)[0]
            if not len(where):
                continue
            where_all.append(where)
            sel = torch.as_tensor(part[where] - sh.lo, device=self.device)
            out_len = sh.out_len.index_select(0, sel)
            longest = int(out_len.max())  # only the written rows travel to the host
            pieces["code"].append(sh.code.index_select(0, sel))
            pieces["pc"].append(sh.pc.index_select(0, sel))
            pieces["cycles"].append(sh.cycles.index_select(0, sel).long())
            pieces["regs"].append(sh.regs.index_select(1, sel).t())
            pieces["out_len"].append(out_len)
            pieces["out"].append(sh.out[:longest].index_select(1, sel).t().cpu().tolist())
            pieces["eof"].append((sh.in_pos > sh.in_len).index_select(0, sel))
            if with_mem:
                pieces["mem"].append(sh.mem.index_select(1, sel).t())
        got: dict[str, list] = {}
        for key, vals in pieces.items():
            if key == "out":
                flat = [row for rows in vals for row in rows]
            else:
                flat = (vals[0] if len(vals) == 1 else torch.cat(vals, 0)).cpu().tolist()
            got[key] = flat
        placed = np.concatenate(where_all)
        if not np.array_equal(placed, np.arange(len(part))):  # back to the order asked for
            order = np.empty(len(part), dtype=np.int64)
            order[placed] = np.arange(len(part))
            got = {key: [flat[o] for o in order] for key, flat in got.items()}
        return got

    def summary(self) -> dict:
        """Counts by status and cycle statistics, computed on the device."""
        with torch.inference_mode():
            counts = torch.bincount(self.status.long(), minlength=4).cpu().tolist()
            cyc = self.cycles
            stats = torch.stack([cyc.sum(), cyc.min(), cyc.median(), cyc.max()]).cpu().tolist()
        return {
            "count": self.batch,
            "halted": counts[S_HALTED],
            "fault": counts[S_FAULT],
            "timeout": counts[S_TIMEOUT],
            "running": counts[S_RUNNING],
            "cycles_total": stats[0],
            "cycles_min": stats[1],
            "cycles_median": stats[2],
            "cycles_max": stats[3],
        }

    def first_faults(self, k: int) -> list[int]:
        """Indices of the first k programs (by index) that faulted."""
        faulted = (self.status == S_FAULT).nonzero().flatten()
        return faulted[: max(0, int(k))].cpu().tolist()


def run_exact(image: Image, config: MachineConfig, inputs: Sequence[ProgramInput], *,
              with_mem: bool = False, images: Sequence[Image] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[ProgramResult]:
    """Run a batch to the end and return every program's result."""
    machine = ExactMachine(image, config, inputs, images=images)
    machine.run(progress=progress)
    return list(machine.results(with_mem=with_mem))
