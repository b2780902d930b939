"""``SoftCPU``: the soft machine as a ``torch.nn.Module`` (``ncpu_cli.SoftCPU``).

The front door for training through a program: the control table and/or the
initial memory are the module's parameters, ``forward`` runs the soft machine
(:class:`SoftMachine` stepped by :func:`run_pure`, the path ``ncpu fit`` takes) and
returns the final state as tensors, so any torch optimiser can fit them::

    cpu = SoftCPU(image, config, learn=("memory",), words=range(6, 14))
    opt = torch.optim.Adam(cpu.parameters(), lr=0.5)
    state = cpu(input0=x, cycles=8)                     # x (B, 1): the input streams
    loss = ((state.out[:, 0] - y) ** 2).mean()          # y (B,)
    opt.zero_grad(); loss.backward(); opt.step()
    exact_image = cpu.memory_image()                    # learned words rounded, for exact runs

Sizes: B programs, N = ``config.mem_words``, S the image's words, F the control
table's columns (``decode.py``; their names: ``cpu.columns``), C the learned ones,
K the learned memory words, W output slots.

What can be learned (``learn``):

- ``"memory"``: ``cpu.memory (K,)``, the initial value of the memory words ``words``
  (default: every word); the other words keep the image's values.  Memory is data:
  instructions come from the control table, so a learned word the program executes
  is self-modification (a RunError, as in ``ncpu run --mode soft``): give ``words``.
- ``"control"``: ``cpu.control (S+1, C)``, the columns ``fields`` (default: all F) of
  the decoded image (one row per word, then the row of every word past it).  The
  columns are the image's instructions' (class weights, register selectors
  ``rd:0``..``rb:15``, immediates ``imm_alu``/``const``/``mem_imm``/``jump_imm``,
  ...): training mixes and tunes them; it cannot add an instruction class the image
  lacks.  The derived columns (sums of the class weights) are remade from the weights
  in every ``forward``.  A whole table moves every class weight at once: learn the
  few columns you mean, e.g. ``fields=("imm_alu",)`` for the ALU immediates.

Either one that is not learned is a buffer of the same name.  The device and float
width are those of the module (``config`` at first; ``.to()`` moves them).
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, to_signed
from ncpu_cli.machine.config import DEFAULT_MAX_CYCLES, MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.soft.addressing import normaliser
from ncpu_cli.machine.soft.decode import NREG, ControlTable, _derive, build_control
from ncpu_cli.machine.soft.machine import SYNC_EVERY, SoftMachine
from ncpu_cli.machine.soft.run import run_pure
from ncpu_cli.machine.soft.settings import DTYPES, check_config

LEARNABLE = ("memory", "control")


class SoftOutput(NamedTuple):
    """The soft state after a run, every field a tensor (differentiable where the values
    are).  ``halted + fault.sum(-1) + running`` is 1 for every program."""

    regs: Tensor  # (B, 16) registers
    mem: Tensor  # (B, N) memory
    out: Tensor  # (B, W) output slots, W >= every program's output length
    out_len: Tensor  # (B,) output length (a real count)
    pc: Tensor  # (B, N) where each program is: the running pc plus where the stopped part rests
    halted: Tensor  # (B,) mass that executed `halt`
    fault: Tensor  # (B, 4) mass that faulted: opcode, address, target, output-full
    running: Tensor  # (B,) mass still running at the end


class SoftCPU(torch.nn.Module):
    """The soft executor on `image` as a module; see the module docstring.

    ``SoftCPU(image, config=MachineConfig(), *, learn=(), words=None, fields=None,
    cycles=None, surrogate=False)``: `learn` names the parameters ("memory", "control",
    both or neither); `words` the memory addresses "memory" covers (default all N);
    `fields` the control columns "control" covers (default all F); `cycles` the
    default of ``forward``; `surrogate` straight-through gradients for or/xor/shifts
    (``alu.py``)."""

    def __init__(self, image: Image, config: MachineConfig | None = None, *,
                 learn: Sequence[str] = (), words: Sequence[int] | None = None,
                 fields: Sequence[str] | None = None, cycles: int | None = None, surrogate: bool = False):
        super().__init__()
        config = config if config is not None else MachineConfig()
        device, dtype = check_config(config)
        learn = (learn,) if isinstance(learn, str) else tuple(learn)
        unknown = [x for x in learn if x not in LEARNABLE]
        if unknown:
            raise ValueError(f"learn: unknown {unknown} (choose from {', '.join(LEARNABLE)})")
        n = config.mem_words
        if image.size > n:
            raise RunError(f"image of {image.size} words does not fit in {n} words")
        if not 0 <= image.entry < n:
            raise RunError(f"entry point {image.entry} outside memory 0..{n - 1}")
        self.image, self.config, self.learn = image, config, learn
        self.cycles, self.surrogate = cycles, surrogate
        kw = {"device": device, "dtype": dtype}
        mem = torch.tensor([to_signed(w & MASK32) for w in image.words] + [0] * (n - image.size),
                           **kw)  # (N,) the image as signed values
        index = torch.arange(n, device=device) if words is None else _addresses(words, n, device)
        self.register_buffer("image_mem", mem)  # (N,)
        self.register_buffer("words", index)  # (K,) the addresses `memory` covers
        self._hold("memory", mem[index].clone(), "memory" in learn)  # (K,)
        ctl = build_control(image, n, normaliser(config.addressing, config.temperature),
                            device=device, dtype=dtype)
        self._ctl = ctl  # column map and classes; the table is control_base + `control`
        self.columns = _column_names(ctl)
        cols = (torch.arange(len(self.columns), device=device) if fields is None
                else _fields(fields, self.columns, device))
        self.register_buffer("control_base", ctl.table)  # (S+1, F) the decoded image
        self.register_buffer("control_uses", ctl.uses)  # (S+1, 5)
        self.register_buffer("fields", cols)  # (C,) the columns `control` covers
        self._hold("control", ctl.table[:, cols].clone(), "control" in learn)  # (S+1, C)

    def _hold(self, name: str, value: Tensor, learned: bool) -> None:
        if learned:
            self.register_parameter(name, torch.nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    def initial_memory(self) -> Tensor:
        """(N,) the memory every program starts from: the image with `memory` written in."""
        return self.image_mem.index_put((self.words,), self.memory)

    def control_table(self) -> ControlTable:
        """The control table ``forward`` runs: `control` with its derived columns remade."""
        table = self.control_base.index_copy(1, self.fields, self.control)  # (S+1, F)
        if "control" not in self.learn:
            return replace(self._ctl, table=table, uses=self.control_uses,
                           table_t=table.t().contiguous())
        _derive(table, self._ctl.cols)
        return replace(self._ctl, table=table, uses=self.control_uses, table_t=None)

    def memory_image(self) -> Image:
        """`image` with the initial memory's learned words rounded to 32-bit words: what the
        exact engines run (grown to cover the highest learned word).  A learned control
        table is not in it (its rows have no instruction words)."""
        values = torch.round(self.memory.detach()).to(torch.int64).cpu().tolist()
        addrs = self.words.cpu().tolist()
        words = list(self.image.words) + [0] * max(0, max(addrs, default=-1) + 1 - self.image.size)
        for a, v in zip(addrs, values):
            words[a] = v & MASK32
        return replace(self.image, words=words)

    def forward(self, regs0: Tensor | None = None, mem0: Tensor | None = None,
                input0: Tensor | None = None, cycles: int | None = None, *,
                inputs: Sequence[ProgramInput] | None = None) -> SoftOutput:
        """Run B programs for `cycles` cycles (default: the constructor's, else
        ``config.max_cycles``; fewer once every program has stopped) and return their
        final :class:`SoftOutput`.

        ``regs0 (B, 16)``, ``mem0 (B, N)``, ``input0 (B, L)`` (float tensors, may require
        grad) replace the initial registers, memory and input streams; whatever is not
        given comes from `inputs` (one ProgramInput per program: presets after reset,
        memory patches on top of :meth:`initial_memory`, input streams) or, without
        them, from reset (r15 = sp = N), :meth:`initial_memory` and empty streams.
        B is the tensors' first dimension, else ``len(inputs)``, else 1."""
        config = self._config()
        total = self._cycles(cycles, config)
        sizes = {t.shape[0] for t in (regs0, mem0, input0) if t is not None}
        if inputs is not None:
            inputs = list(inputs)
            sizes.add(len(inputs))
        if len(sizes) > 1:
            raise RunError(f"regs0, mem0, input0 and inputs give different batch sizes {sorted(sizes)}")
        b_sz = sizes.pop() if sizes else 1
        if inputs is None:
            inputs = [ProgramInput()] * b_sz
        if mem0 is None:
            mem0 = self._start_memory(inputs)  # (B, N)
        machine = SoftMachine(self.image, config, inputs, regs0=regs0, mem0=mem0, input0=input0,
                              control=self.control_table(), surrogate=self.surrogate)
        s = run_pure(machine, total, check_every=SYNC_EVERY)
        if machine.kernel.guard and bool(s.bad.any()):
            i = int(torch.nonzero(s.bad)[0])
            raise RunError(f"program {i} executes a word whose initial memory differs from the "
                           f"image (cycle {int(s.bad_cycle[i]) + 1}); instructions come from the "
                           "control table: learn only data words (SoftCPU(..., words=...))")
        return SoftOutput(regs=s.regs, mem=s.mem, out=s.out, out_len=s.out_len,
                          pc=s.run.unsqueeze(-1) * s.pc + s.done_pc, halted=s.absorbed[:, 0],
                          fault=s.absorbed[:, 1:], running=s.run)

    def extra_repr(self) -> str:
        c = self.config
        return (f"mem_words={c.mem_words}, addressing={c.addressing}, "
                f"temperature={c.temperature}, learn={self.learn}")

    # -- helpers -----------------------------------------------------------
    def _config(self) -> MachineConfig:
        """`config` on the module's device and float width (they follow ``.to()``)."""
        dtype = next(k for k, v in DTYPES.items() if v == self.image_mem.dtype)
        return replace(self.config, device=str(self.image_mem.device), dtype=dtype)

    def _cycles(self, cycles: int | None, config: MachineConfig) -> int:
        total = cycles if cycles is not None else self.cycles
        if total is None:
            if config.max_cycles == DEFAULT_MAX_CYCLES:
                raise RunError("SoftCPU: give `cycles` (autograd keeps every cycle), or a "
                               "MachineConfig with max_cycles")
            total = config.max_cycles
        if int(total) < 0:
            raise RunError(f"cycles must be >= 0, got {total}")
        return min(int(total), config.max_cycles)

    def _start_memory(self, inputs: list[ProgramInput]) -> Tensor:
        """(B, N) :meth:`initial_memory` for every program, with its memory patches."""
        n = self.config.mem_words
        mem = self.initial_memory().expand(len(inputs), -1)  # (B, N)
        if not any(inp.mem for inp in inputs):
            return mem
        patched = torch.zeros(len(inputs), n, dtype=torch.bool)  # (B, N) built on the host
        values = torch.zeros(len(inputs), n, dtype=torch.float64)  # (B, N)
        for i, inp in enumerate(inputs):
            for addr, value in inp.mem.items():
                if not 0 <= addr < n:
                    raise RunError(f"memory patch at {addr} outside memory 0..{n - 1}")
                patched[i, addr], values[i, addr] = True, to_signed(value & MASK32)
        return torch.where(patched.to(mem.device), values.to(mem), mem)


def _column_names(ctl: ControlTable) -> dict[str, int]:
    """Every column of `ctl`'s table by name: ``decode.py``'s, then the selectors
    ``rd:0``..``rd:15``, ``ra:0``.., ``rb:0``.."""
    names = dict(ctl.cols)
    for j, field in enumerate(("rd", "ra", "rb")):
        for r in range(NREG):
            names[f"{field}:{r}"] = ctl.sel + j * NREG + r
    return names


def _fields(fields: Sequence[str], columns: dict[str, int], device: torch.device) -> Tensor:
    """(C,) the indices of the column names `fields`."""
    fields = [fields] if isinstance(fields, str) else list(fields)
    unknown = [f for f in fields if f not in columns]
    if unknown:
        raise ValueError(f"fields: no control column {unknown[0]!r} (see SoftCPU.columns)")
    if len(set(fields)) != len(fields):
        raise ValueError("fields: a column is given twice")
    return torch.tensor([columns[f] for f in fields], dtype=torch.long, device=device)


def _addresses(words: Sequence[int], n: int, device: torch.device) -> Tensor:
    """(K,) the distinct addresses `words`, each inside memory 0..n-1."""
    addrs = [int(a) for a in words]
    bad = [a for a in addrs if not 0 <= a < n]
    if bad:
        raise RunError(f"words: address {bad[0]} outside memory 0..{n - 1}")
    if len(set(addrs)) != len(addrs):
        raise RunError("words: an address is given twice")
    return torch.tensor(addrs, dtype=torch.long, device=device)
