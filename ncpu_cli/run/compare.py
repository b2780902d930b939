"""Soft results against exact ones, program by program (``ncpu run --mode soft
--compare-exact``).

The soft machine reports every value rounded to a 32-bit integer, and ``max_deviation``
says only how far its real values were from *an* integer -- 0.498 means "almost
half-way", not "wrong by 0.498".  Whether the answer is right needs the exact machine:
:func:`compare` pairs each soft result with the exact result of the same program and
says whether the status (and fault reason) matches and how far the registers and the
output are from the exact ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from ncpu_cli.errors import RunError
from ncpu_cli.machine.result import ProgramResult


@dataclass(frozen=True)
class Comparison:
    """One program, soft against exact.  Errors are in the values both machines report
    (signed 32-bit integers; each soft value is within its ``max_deviation`` of the soft
    machine's real value)."""

    index: int
    exact_status: str
    exact_reason: str | None
    exact_cycles: int
    status_match: bool  # same status and fault reason
    reg_error: int  # max |soft - exact| over the 16 registers
    out_error: int  # max |soft - exact| over the output words both wrote (0: none)
    out_len: int  # words the exact machine wrote
    out_len_match: bool  # the soft machine wrote as many

    @property
    def error(self) -> int:
        """The largest |soft - exact| over registers and output."""
        return max(self.reg_error, self.out_error)

    @property
    def same(self) -> bool:
        """Same status, registers and output."""
        return self.status_match and self.out_len_match and self.error == 0

    def to_json(self) -> dict:
        return {"status": self.exact_status, "reason": self.exact_reason,
                "cycles": self.exact_cycles, "status_match": self.status_match,
                "reg_error": self.reg_error, "out_error": self.out_error,
                "out_len": self.out_len, "out_len_match": self.out_len_match,
                "error": self.error, "same": self.same}


def compare_one(soft: ProgramResult, exact: ProgramResult) -> Comparison:
    """`soft` against `exact` (results of the same program)."""
    if soft.index != exact.index:
        raise RunError(f"comparing program {soft.index} with program {exact.index}")
    both = min(len(soft.out), len(exact.out))
    return Comparison(
        index=soft.index, exact_status=exact.status, exact_reason=exact.reason,
        exact_cycles=exact.cycles,
        status_match=(soft.status, soft.reason) == (exact.status, exact.reason),
        reg_error=max(abs(a - b) for a, b in zip(soft.regs, exact.regs)),
        out_error=max((abs(a - b) for a, b in zip(soft.out[:both], exact.out[:both])),
                      default=0),
        out_len=len(exact.out), out_len_match=len(soft.out) == len(exact.out))


def compare(soft: Iterable[ProgramResult], exact: Iterable[ProgramResult]
            ) -> Iterator[Comparison]:
    """Pair the results of two runs of the same programs, in index order."""
    soft, exact = iter(soft), iter(exact)
    for s in soft:
        e = next(exact, None)
        if e is None:
            raise RunError(f"no exact result for program {s.index}")
        yield compare_one(s, e)
    if next(exact, None) is not None:
        raise RunError("more exact results than soft ones")


def compare_summary(comparisons: Iterable[Comparison]) -> dict:
    """{count, same, differ, status_differs, max_error} over `comparisons`."""
    count = same = status_differs = max_error = 0
    for c in comparisons:
        count += 1
        same += c.same
        status_differs += not c.status_match
        max_error = max(max_error, c.error)
    return {"count": count, "same": same, "differ": count - same,
            "status_differs": status_differs, "max_error": max_error}
