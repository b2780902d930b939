"""What an executor reports for each program of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ncpu_cli.isa import (  # noqa: F401 - the status vocabulary, next to the result it names
    ADDRESS, FAULT, HALTED, OPCODE, OUTPUT_FULL, REASON_NAMES, RUNNING, STATUS_NAMES, TARGET,
    TIMEOUT,
)


@dataclass
class ProgramResult:
    """Final state of one program. Registers, output and memory are signed 32-bit ints."""

    index: int
    status: str  # halted | fault | timeout
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
