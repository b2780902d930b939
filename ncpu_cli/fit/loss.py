"""The loss a gradient fit minimises, on the soft machine's final state.

``SoftRun`` holds what R restarts × E examples end with, shaped (R, E, ...);
a loss maps it and the examples to one number per restart (R,).  The default
sums, per example, ``log(1 + d²)`` of every expected word's difference d (a
smooth, scale-free distance: a table entry off by 10⁹ does not drown one off by
1) and STATUS_WEIGHT times the mass that did not end with the expected status.
A user's loss has the same signature: ``loss(run, examples) -> (R,)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import Tensor

from ncpu_cli.fit.spec import Example
from ncpu_cli.isa import to_signed
from ncpu_cli.machine.result import FAULT, HALTED
from ncpu_cli.machine.soft.state import SoftState

STATUS_WEIGHT = 10.0


@dataclass
class SoftRun:
    """Final soft state of R restarts × E examples."""

    regs: Tensor  # (R, E, 16)
    mem: Tensor  # (R, E, N)
    out: Tensor  # (R, E, W) the first W output slots
    out_len: Tensor  # (R, E) output cursor
    halted: Tensor  # (R, E) halted mass
    faulted: Tensor  # (R, E) faulted mass (every reason)
    running: Tensor  # (R, E) mass still running (a timeout)

    @classmethod
    def of(cls, s: SoftState, restarts: int) -> "SoftRun":
        def shape(t: Tensor) -> Tensor:
            return t.reshape(restarts, -1, *t.shape[1:])

        return cls(regs=shape(s.regs), mem=shape(s.mem), out=shape(s.out),
                   out_len=shape(s.out_len), halted=shape(s.absorbed[:, 0]),
                   faulted=shape(s.absorbed[:, 1:].sum(dim=-1)), running=shape(s.run))


Loss = Callable[[SoftRun, Sequence[Example]], Tensor]


def rho(d: Tensor) -> Tensor:
    return torch.log1p(d * d)


def default_loss(run: SoftRun, examples: Sequence[Example]) -> Tensor:
    """(R,) the summed per-example distance described in the module docstring."""
    total = torch.zeros_like(run.halted[:, 0])  # (R,)
    width = run.out.shape[-1]
    for e, ex in enumerate(examples):
        want = ex.expect
        if want.status is not None:  # None: any final status
            ok_mass = run.halted[:, e] if want.status == HALTED else (
                run.faulted[:, e] if want.status == FAULT else run.running[:, e])
            total = total + STATUS_WEIGHT * (1 - ok_mass)
        for reg, value in want.regs.items():
            total = total + rho(run.regs[:, e, reg] - to_signed(value))
        for addr, value in want.mem.items():
            total = total + rho(run.mem[:, e, addr] - to_signed(value))
        if want.out is not None:
            total = total + rho(run.out_len[:, e] - len(want.out))
            for j, value in enumerate(want.out[:width]):
                total = total + rho(run.out[:, e, j] - to_signed(value))
    return total
