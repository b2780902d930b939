"""Many programs in one run: `ncpu run a.s b.yaml c.hex ...` and `--inputs` records
that name their own `program`.

The runs of a batch are listed in `segments`, each one program (an index into
`programs`) with an `inputs.Batch` of its runs:

- PROGRAM... with --sweep or --batch N (or neither): every PROGRAM in the order
  given, each with every sweep value or copy (the cross product, program-major);
- --inputs FILE: the records in file order; a record that names a `program` runs
  that program, a record without one runs every PROGRAM in the order given.

`MultiBatch` offers what `run.batch.run_batch` asks of an `inputs.Batch` (length,
iteration, checks, `machine_args()` for any engine's machine) plus one image per run,
so the whole mixture runs as one batch on one engine. Memory is one size for all (the
largest program must fit in --mem-words). `slice_batch` cuts either kind of batch
to the share of one rank (distributed.py).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ncpu_cli.errors import AsmError, ImageError, NcpuError, RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.inputs import Batch, InputError, ProgramInput, Sweep, merge


@dataclass(frozen=True)
class Program:
    """One program of a run: its name as given, its image and the source texts it came from."""

    name: str
    image: Image
    sources: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Segment:
    """Consecutive runs of one program: programs[program] with the runs of `batch`."""

    program: int
    batch: Batch


def slice_batch(batch: Batch, lo: int, hi: int) -> Batch:
    """Runs lo..hi-1 of `batch` as a Batch of their own (still lazy for sweeps and copies)."""
    if not 0 <= lo <= hi <= len(batch):
        raise IndexError(f"runs {lo}..{hi} of a batch of {len(batch)}")
    if batch.sweep is not None:
        return Batch(batch.base, sweep=Sweep(batch.sweep.reg, batch.sweep.values[lo:hi]))
    if batch.records is not None:
        return Batch(batch.base, records=batch.records[lo:hi])
    return Batch(batch.base, copies=hi - lo)


@dataclass(frozen=True)
class MultiBatch:
    """The runs of several programs as one batch (see the module docstring)."""

    programs: tuple[Program, ...]
    segments: tuple[Segment, ...]
    named: bool = False  # some --inputs record named its own program

    @cached_property
    def _starts(self) -> list[int]:
        starts, total = [], 0
        for seg in self.segments:
            starts.append(total)
            total += len(seg.batch)
        return starts + [total]

    def __len__(self) -> int:
        return self._starts[-1]

    @property
    def size(self) -> int:
        return len(self)

    def program_of(self, i: int) -> Program:
        """The program of run `i` (0-based)."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.programs[self.segments[bisect.bisect_right(self._starts, i) - 1].program]

    @property
    def images(self) -> list[Image]:
        """One image per run (the same object for the runs of one program)."""
        out: list[Image] = []
        for seg in self.segments:
            out += [self.programs[seg.program].image] * len(seg.batch)
        return out

    def inputs(self) -> list[ProgramInput]:
        """One ProgramInput per run; a sweep's runs share their base (see `sweep`)."""
        out: list[ProgramInput] = []
        for seg in self.segments:
            b = seg.batch
            out += list(b.records) if b.records is not None else [b.base] * len(b)
        return out

    def sweep(self) -> tuple[int, list[int]] | None:
        """(register, value of every run) when every segment is a sweep of one register."""
        sweeps = [seg.batch.sweep for seg in self.segments]
        if not sweeps or any(s is None for s in sweeps) or len({s.reg for s in sweeps}) > 1:
            return None
        return sweeps[0].reg, [v for s in sweeps for v in s.values]

    def __getitem__(self, i: int) -> ProgramInput:
        """The input of run `i` (a MultiBatch is a sequence of ProgramInputs)."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        seg = bisect.bisect_right(self._starts, i) - 1
        return self.segments[seg].batch.program(i - self._starts[seg])

    def __iter__(self) -> Iterator[ProgramInput]:
        for seg in self.segments:
            yield from seg.batch

    def materialise(self) -> list[ProgramInput]:
        return list(self)

    @property
    def max_input(self) -> int:
        return max((seg.batch.max_input for seg in self.segments), default=0)

    def check(self, mem_words: int) -> None:
        for seg in self.segments:
            try:
                seg.batch.check(mem_words)
            except InputError as err:
                raise InputError(f"{self.programs[seg.program].name}: {err}") from None

    def machine_args(self) -> dict:
        """The keyword arguments every engine's machine takes (machine/README.md): an image
        and an input per run, and `sweep` when every segment sweeps the same register."""
        sweep = self.sweep()
        inputs = self.inputs() if sweep is not None else self.materialise()
        return {"inputs": inputs, "images": self.images, "sweep": sweep}

    def slice(self, lo: int, hi: int) -> "MultiBatch":
        """Runs lo..hi-1 (for one rank's share)."""
        if not 0 <= lo <= hi <= len(self):
            raise IndexError(f"runs {lo}..{hi} of a batch of {len(self)}")
        segs = []
        for seg, start, stop in zip(self.segments, self._starts, self._starts[1:]):
            a, b = max(lo, start), min(hi, stop)
            if a < b:
                segs.append(Segment(seg.program, slice_batch(seg.batch, a - start, b - start)))
        return MultiBatch(self.programs, tuple(segs), self.named)


Loader = Callable[[str], tuple[Image, dict[str, str]]]


class _Programs:
    """Programs loaded once each (by path), listed under the name they were given."""

    def __init__(self, load: Loader):
        self.load = load
        self.list: list[Program] = []
        self._index: dict[tuple[str, str], int] = {}
        self._images: dict[str, tuple[Image, dict[str, str]]] = {}

    def add(self, name: str, path: str) -> int:
        key = (name, path if path == "-" else str(Path(path).resolve()))
        if key not in self._index:
            if key[1] not in self._images:
                self._images[key[1]] = self.load(path)
            image, sources = self._images[key[1]]
            self._index[key] = len(self.list)
            self.list.append(Program(name, image, sources))
        return self._index[key]


def plan_programs(paths: Sequence[str], base: Batch, load: Loader, *,
                  inputs_file: str | None = None, mem_words: int | None = None) -> MultiBatch:
    """The MultiBatch of PROGRAM paths crossed with `base` (copies or a sweep), or with
    the records of `inputs_file` (a record's own `program` replaces the PROGRAMs)."""
    from ncpu_cli.machine.records import read_program_records

    if list(paths).count("-") > 1:
        raise RunError("- (source on stdin) can be given only once")
    progs = _Programs(load)
    given = [progs.add(p, p) for p in paths]
    if inputs_file is None:
        return MultiBatch(tuple(progs.list), tuple(Segment(k, base) for k in given))
    folder = Path.cwd() if inputs_file == "-" else Path(inputs_file).parent
    where = "<stdin>" if inputs_file == "-" else inputs_file
    runs: list[tuple[int, ProgramInput]] = []
    named = False
    for n, (rec, has_input, program) in enumerate(read_program_records(inputs_file, mem_words),
                                                  start=1):
        inp = merge(base.base, rec, has_input=has_input)
        if program is None:
            if not given:
                raise InputError(f"{where}: record {n}: no `program` field and no PROGRAM "
                                 "given (name the program in the record or on the command line)")
            runs += [(k, inp) for k in given]
            continue
        named = True
        path = Path(program)
        try:
            k = progs.add(program, str(path if path.is_absolute() else folder / path))
        except AsmError:
            raise
        except NcpuError as err:
            kind = ImageError if isinstance(err, ImageError) else RunError
            raise kind(f"{where}: record {n}: field `program`: {err}") from None
        runs.append((k, inp))
    segments: list[Segment] = []
    start = 0
    for i in range(1, len(runs) + 1):  # consecutive runs of one program: one segment
        if i == len(runs) or runs[i][0] != runs[start][0]:
            recs = tuple(inp for _, inp in runs[start:i])
            segments.append(Segment(runs[start][0], Batch(base.base, records=recs)))
            start = i
    return MultiBatch(tuple(progs.list), tuple(segments), named)
