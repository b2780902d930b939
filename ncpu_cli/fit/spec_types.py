"""The parts of a fit spec as plain data: examples, what they expect, the reference
program, what must equal it, and the spec itself (``spec.py`` reads them from YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import HALTED

if TYPE_CHECKING:  # the input space lives with the drawing (draw.py imports this module)
    from ncpu_cli.fit.draw import InputSpace

DEFAULT_REFERENCE_CYCLES = 1_000_000


@dataclass(frozen=True)
class Expect:
    """What one example must end with; words are 32-bit (0..2^32-1)."""

    out: tuple[int, ...] | None = None  # the whole output stream
    regs: dict[int, int] = field(default_factory=dict)
    mem: dict[int, int] = field(default_factory=dict)
    status: str | None = HALTED  # None: any final status


@dataclass(frozen=True)
class Example:
    inp: ProgramInput
    expect: Expect


@dataclass(frozen=True)
class Check:
    """What a candidate's run must share with the reference's on the same inputs."""

    regs: tuple[int, ...] = ()  # register numbers
    out: bool = True  # the whole output stream
    mem: tuple[int, ...] = ()  # memory cells (word addresses)
    status: bool = True  # the candidate halts (the reference always does)

    def expect(self, regs, out, mem) -> Expect:
        """The Expect of one input from the reference's final state there: `regs` (16,),
        `out` (its whole output stream), `mem` (N,) -- all unsigned words."""
        return Expect(out=tuple(int(v) for v in out) if self.out else None,
                      regs={r: int(regs[r]) for r in self.regs},
                      mem={a: int(mem[a]) for a in self.mem},
                      status=HALTED if self.status else None)


@dataclass(frozen=True)
class Reference:
    """The program whose results define the truth (``reference:`` / ``reference_source:``)."""

    name: str  # its file name, or "SPEC:reference_source"
    source: str
    words: tuple[int, ...]  # the assembled image (unsigned words)
    entry: int
    max_cycles: int = DEFAULT_REFERENCE_CYCLES


@dataclass(frozen=True)
class FitSpec:
    source: str  # the sketch's text
    sketch_name: str  # its file name (for messages), or "<spec>" when inline
    sketch_path: Path | None  # the sketch file (None: inline `source:`)
    mem_words: int
    max_cycles: int
    examples: tuple[Example, ...]
    holdout: tuple[Example, ...] = ()
    name: str = "spec"
    base_dir: Path = Path(".")  # the spec's folder: an inline source's `.include`s start here
    reference: Reference | None = None
    inputs: InputSpace | None = None  # how fresh inputs are drawn (given, or inferred)
    check: Check = Check()  # what must equal the reference
    verify: int | None = None  # `verify:` (None: the default, see fit/verify.py)
    seed: int = 0  # the seed the examples were drawn with

    @property
    def include_dir(self) -> Path:
        """Where the sketch's `.include` paths start: the sketch file's folder, or the spec's."""
        return self.sketch_path.parent if self.sketch_path is not None else self.base_dir
