"""An ExactState read back as ProgramResults (in blocks) and as the contract's summary."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch

from ncpu_cli.isa import REASON_NAMES, S_FAULT, S_HALTED, S_RUNNING, S_TIMEOUT, STATUS_NAMES
from ncpu_cli.machine.exact.state import ExactState
from ncpu_cli.machine.result import ProgramResult

BLOCK = 4096  # programs fetched to the host at a time


def _indices(batch: int, indices: Iterable[int] | None) -> np.ndarray:
    if indices is None:
        return np.arange(batch, dtype=np.int64)
    idx = np.fromiter((int(i) for i in indices), dtype=np.int64)
    bad = idx[(idx < 0) | (idx >= batch)]
    if len(bad):
        raise IndexError(f"program index {int(bad[0])} outside 0..{batch - 1}")
    return idx


def _fetch(s: ExactState, part: np.ndarray, with_mem: bool) -> dict[str, list]:
    """Per-program values of the programs in `part`, as Python lists in that order."""
    sel = torch.as_tensor(part, device=s.pc.device)  # (P,)
    out_len = s.out_len.index_select(0, sel)  # (P,)
    longest = int(out_len.max())  # only the written words travel to the host
    got = {
        "status": s.status.index_select(0, sel), "reason": s.reason.index_select(0, sel),
        "pc": s.pc.index_select(0, sel), "cycles": s.cycles.index_select(0, sel),
        "regs": s.regs.index_select(0, sel), "out_len": out_len,
        "out": s.out[:, :longest].index_select(0, sel), "eof": s.eof.index_select(0, sel),
    }
    if with_mem:
        got["mem"] = s.mem.index_select(0, sel)  # (P, N)
    return {key: t.cpu().tolist() for key, t in got.items()}


def results(s: ExactState, indices: Iterable[int] | None = None,
            with_mem: bool = False) -> Iterator[ProgramResult]:
    """ProgramResults (signed ints) in `indices` order (default: all), BLOCK at a time."""
    idx = _indices(s.batch, indices)
    for start in range(0, len(idx), BLOCK):
        part = idx[start: start + BLOCK]
        with torch.inference_mode():  # (not around the yields: the caller's code runs there)
            c = _fetch(s, part, with_mem)
        mems = c["mem"] if with_mem else [None] * len(part)
        for i, st, rs, pc, cyc, regs, out, n_out, eof, mem in zip(
                part.tolist(), c["status"], c["reason"], c["pc"], c["cycles"], c["regs"],
                c["out"], c["out_len"], c["eof"], mems):
            yield ProgramResult(index=i, status=STATUS_NAMES[st], reason=REASON_NAMES[rs],
                                pc=pc, cycles=cyc, regs=regs, out=out[:n_out], eof=eof,
                                mem=mem)


def summary(s: ExactState) -> dict:
    """{count, halted, fault, timeout, running, cycles_total, cycles_min, cycles_median,
    cycles_max}, computed on the device (median: the lower middle)."""
    with torch.inference_mode():
        counts = torch.bincount(s.status.long(), minlength=len(STATUS_NAMES)).cpu().tolist()
        cyc = s.cycles
        stats = torch.stack([cyc.sum(), cyc.min(), cyc.median(), cyc.max()]).cpu().tolist()
    return {
        "count": s.batch,
        "halted": counts[S_HALTED],
        "fault": counts[S_FAULT],
        "timeout": counts[S_TIMEOUT],
        "running": counts[S_RUNNING],
        "cycles_total": stats[0],
        "cycles_min": stats[1],
        "cycles_median": stats[2],
        "cycles_max": stats[3],
    }
