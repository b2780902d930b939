"""Programs given as arrays, run on an exact engine: the entry `ncpu fit` checks
thousands of candidate programs through (no Image or ProgramResult per program).

`run_arrays(config, mem, regs, entry, inp, in_len)` runs B programs, program k with
memory mem[k], registers regs[k] and input stream inp[k, :in_len[k]], all from pc
`entry`, and returns their final state as numpy arrays. The engine: `native` on the
CPU (its own array entry, no copies), `torch` elsewhere (the arrays become per-program
images and inputs); `engine=` picks one by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncpu_cli.errors import RunError
from ncpu_cli.isa import MASK32
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.contract import words_i32
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.run.engines import engine as registered

ARRAY_ENGINES = ("native", "torch")


@dataclass
class Final:
    """The final state of B programs (numpy)."""

    status: np.ndarray  # (B,) int8 codes of isa.STATUS_NAMES
    regs: np.ndarray  # (B, 16) int32
    out: np.ndarray  # (B, W) int32, valid up to out_len
    out_len: np.ndarray  # (B,)
    mem: np.ndarray  # (B, N) int32


class _Words:
    """What an exact machine reads of an image: its words and entry point."""

    __slots__ = ("words", "entry")

    def __init__(self, words: np.ndarray, entry: int):
        self.words, self.entry = words, entry


def run_arrays(config: MachineConfig, mem: np.ndarray, regs: np.ndarray, entry: int,
               inp: np.ndarray, in_len: np.ndarray, *, engine: str = "auto") -> Final:
    """mem (B, N) words, regs (B, 16) start registers (r0 ignored; sp as given),
    inp (B, L) input words, in_len (B,) stream lengths; any integer dtype, taken
    modulo 2^32. N must be config.mem_words."""
    name = engine if engine != "auto" else ("native" if config.device == "cpu" else "torch")
    if name not in ARRAY_ENGINES:
        raise RunError(f"programs as arrays run on {' or '.join(ARRAY_ENGINES)}, not `{name}`")
    spec = registered(name)
    why = spec.unavailable()
    if why is not None:
        raise RunError(f"engine {spec.name}: {why}")
    if mem.ndim != 2 or mem.shape[1] != config.mem_words:
        raise RunError(f"mem: expected (B, {config.mem_words}) words, got shape {mem.shape}")
    if spec.name == "native":
        from ncpu_cli.machine.exact.native import run_arrays as native_arrays

        b = native_arrays(mem, regs, entry, inp, in_len, max_cycles=config.max_cycles,
                          max_out=config.max_out, copy=False)
        return Final(b.status, b.regs, b.out, b.out_len, b.mem)
    images = [_Words(row, entry) for row in words_i32(mem)]  # (N,) int32 rows, no copies
    shared: dict[bytes, ProgramInput] = {}  # one object per distinct (registers, stream)
    inputs = []
    for rg, row, n in zip(words_i32(regs), words_i32(inp), in_len):
        key = rg.tobytes() + row[: int(n)].tobytes()
        if key not in shared:
            shared[key] = ProgramInput({r: int(v) & MASK32 for r, v in enumerate(rg) if r},
                                       tuple(int(v) & MASK32 for v in row[: int(n)]))
        inputs.append(shared[key])
    m = spec.machine_class()(images[0], config, inputs, images=images)
    m.prepare()
    m.run()
    return Final(m.status.cpu().numpy(), m.regs.cpu().numpy(), m.out.cpu().numpy(),
                 m.out_len.cpu().numpy(), m.mem.cpu().numpy())
