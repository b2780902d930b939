"""What an executor reports for each program of a run."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Iterable

from ncpu_cli.isa import (  # noqa: F401 - the status vocabulary, next to the result it names
    ADDRESS,
    FAULT,
    HALTED,
    OPCODE,
    OUTPUT_FULL,
    REASON_NAMES,
    RUNNING,
    STATUS_NAMES,
    TARGET,
    TIMEOUT,
)


@dataclass
class ProgramResult:
    """Final state of one program. Registers, output and memory are signed 32-bit ints."""

    index: int
    status: str  # halted | fault | timeout | running (stopped part-way by step)
    reason: str | None  # fault reason, else None
    pc: int
    cycles: int
    regs: list[int]  # 16 signed ints
    out: list[int]  # signed ints
    eof: bool
    mem: list[int] | None = None  # signed ints, when the executor was asked for it
    extra: dict = field(default_factory=dict)  # executor-specific (e.g. soft deviation)

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "status": self.status,
            "reason": self.reason,
            "pc": self.pc,
            "cycles": self.cycles,
            "regs": list(self.regs),
            "out": list(self.out),
            "eof": self.eof,
            **self.extra,
        }


def summarize(results: Iterable[ProgramResult]) -> dict[str, int]:
    """The summary every engine's machine gives: {count, halted, fault, timeout, running,
    cycles_total, cycles_min, cycles_median, cycles_max} (median: the lower middle)."""
    counts = {HALTED: 0, FAULT: 0, TIMEOUT: 0, RUNNING: 0}
    cycles = []
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        cycles.append(r.cycles)
    return {
        "count": len(cycles),
        "halted": counts[HALTED],
        "fault": counts[FAULT],
        "timeout": counts[TIMEOUT],
        "running": counts[RUNNING],
        "cycles_total": sum(cycles),
        "cycles_min": min(cycles, default=0),
        "cycles_median": int(statistics.median_low(cycles)) if cycles else 0,
        "cycles_max": max(cycles, default=0),
    }
