"""Drawing inputs: the forms of a spec's ``inputs:`` and batches of drawn inputs as arrays.

A form says how one input word (a register, one word of the input stream, one memory
cell) is drawn:

- ``any32``: uniform over all 2^32 words;
- ``edges``: uniform over EDGES (0, ±1, ±2, every power of two and its negation,
  INT_MIN, INT_MAX, INT_MAX-1, INT_MIN+1, 0x55555555, 0xAAAAAAAA);
- ``"lo:hi"``: uniform over lo..hi (inclusive; each end a 32-bit value, -2^31..2^32-1);
- an int: that value;
- a list: one of its items (each a form), picked uniformly, so ``[1, 2, 3]`` is one of
  three values and ``[edges, any32]`` is an edge half the time.

Every form also has *edge values* (``Form.edges``): the EDGES it can produce, the ends
of its ranges (and one step inside them) and its constants. Drawn example sets and
verification batches start with an edge sweep, so every edge value of every input key
is tried at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ncpu_cli.errors import FitError, RunError
from ncpu_cli.isa import MASK32, to_signed
from ncpu_cli.machine.inputs import ProgramInput, check_word, parse_int

INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
EDGES: tuple[int, ...] = tuple(sorted({v & MASK32 for v in (
    0, 1, -1, 2, -2, INT_MIN, INT_MAX, INT_MAX - 1, INT_MIN + 1, 0x5555_5555, 0xAAAA_AAAA,
    *(1 << k for k in range(32)), *(-(1 << k) for k in range(32)))}))
FORMS_HINT = 'any32, edges, "lo:hi", an int, or a list of these'
Fail = Callable[[str, str], FitError]  # (where, message) -> the error to raise


class Form:
    """How one input word is drawn."""

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:  # (n,) int64 words
        raise NotImplementedError

    def edges(self) -> tuple[int, ...]:  # unsigned words, no repeats
        raise NotImplementedError


@dataclass(frozen=True)
class Any32(Form):
    def draw(self, n, rng):
        return rng.integers(0, 1 << 32, n, dtype=np.int64)

    def edges(self):
        return EDGES


@dataclass(frozen=True)
class Edges(Form):
    def draw(self, n, rng):
        return np.asarray(EDGES, dtype=np.int64)[rng.integers(0, len(EDGES), n)]

    def edges(self):
        return EDGES


@dataclass(frozen=True)
class Range(Form):
    lo: int  # -2^31..2^32-1, lo <= hi
    hi: int

    def draw(self, n, rng):
        return rng.integers(self.lo, self.hi + 1, n, dtype=np.int64) & MASK32

    def edges(self):
        ends = [v for v in (self.lo, self.lo + 1, self.hi - 1, self.hi) if self.lo <= v <= self.hi]
        inside = [e for e in EDGES
                  if self.lo <= e <= self.hi or self.lo <= to_signed(e) <= self.hi]
        return _unique([v & MASK32 for v in ends] + inside)


@dataclass(frozen=True)
class Const(Form):
    value: int  # an unsigned word

    def draw(self, n, rng):
        return np.full(n, self.value, dtype=np.int64)

    def edges(self):
        return (self.value,)


@dataclass(frozen=True)
class Union(Form):
    items: tuple[Form, ...]

    def draw(self, n, rng):
        pick = rng.integers(0, len(self.items), n)  # (n,) which item each word comes from
        out = np.zeros(n, dtype=np.int64)
        for i, item in enumerate(self.items):
            rows = np.flatnonzero(pick == i)
            out[rows] = item.draw(len(rows), rng)
        return out

    def edges(self):
        return _unique([e for item in self.items for e in item.edges()])


def _unique(values) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(v) for v in values))


def parse_form(raw: Any, where: str, fail: Fail) -> Form:
    """The form written as `raw` (YAML); `fail(where, message)` for what cannot be drawn."""
    if isinstance(raw, bool) or raw is None or not isinstance(raw, (int, str, list)):
        raise fail(where, f"cannot draw from `{raw!r}` (a form is {FORMS_HINT})")
    if isinstance(raw, int):
        return Const(_word(raw, where, fail))
    if isinstance(raw, list):
        if not raw:
            raise fail(where, "an empty list draws nothing")
        items = tuple(parse_form(item, f"{where}[{i}]", fail) for i, item in enumerate(raw))
        return items[0] if len(items) == 1 else Union(items)
    text = raw.strip()
    if text.lower() == "any32":
        return Any32()
    if text.lower() == "edges":
        return Edges()
    if ":" not in text:
        try:
            return Const(_word(parse_int(text), where, fail))
        except RunError:
            raise fail(where, f"unknown input form `{raw}` (a form is {FORMS_HINT})") from None
    lo_text, hi_text = text.split(":", 1)
    try:
        lo, hi = parse_int(lo_text, "lo"), parse_int(hi_text, "hi")
    except RunError as exc:
        raise fail(where, f"range `{raw}`: {exc}") from None
    _word(lo, where, fail)
    _word(hi, where, fail)
    if lo > hi:
        raise fail(where, f"empty range `{raw}` (lo {lo} > hi {hi})")
    return Range(lo, hi)


def _word(value: int, where: str, fail: Fail) -> int:
    try:
        return check_word(value)
    except RunError as exc:
        raise fail(where, str(exc)) from None


@dataclass(frozen=True)
class InputSpace:
    """How each input key is drawn: registers, input-stream words, memory cells."""

    regs: dict[int, Form]  # register number (1..15) -> form
    stream: tuple[Form, ...] = ()  # one form per input word
    mem: dict[int, Form] | None = None  # word address -> form
    inferred: bool = False  # made up from the examples' keys, not written in the spec

    def keys(self) -> list[tuple[str, int, Form]]:
        """(kind: reg | input | mem, index, form) of every key, in a fixed order."""
        return ([("reg", r, f) for r, f in sorted(self.regs.items())]
                + [("input", j, f) for j, f in enumerate(self.stream)]
                + [("mem", a, f) for a, f in sorted((self.mem or {}).items())])


@dataclass
class Inputs:
    """B programs' inputs as arrays (all values unsigned words, int64)."""

    regs: np.ndarray  # (B, 16) start registers: the reset values (0, sp = N) where not set
    set_mask: np.ndarray  # (B, 16) bool: registers the input sets
    stream: np.ndarray  # (B, L) input words, valid up to lens
    lens: np.ndarray  # (B,) stream lengths
    cells: tuple[int, ...]  # (C,) memory addresses some input sets
    mem: np.ndarray  # (B, C) their values
    mem_mask: np.ndarray  # (B, C) bool: which input sets which cell

    def __len__(self) -> int:
        return len(self.regs)

    def take(self, rows) -> Inputs:
        rows = np.asarray(rows, dtype=np.int64)
        return Inputs(self.regs[rows], self.set_mask[rows], self.stream[rows], self.lens[rows],
                      self.cells, self.mem[rows], self.mem_mask[rows])

    def program_input(self, i: int) -> ProgramInput:
        return ProgramInput(
            set={int(r): int(self.regs[i, r]) for r in np.flatnonzero(self.set_mask[i])},
            input=tuple(int(v) for v in self.stream[i, : self.lens[i]]),
            mem={a: int(self.mem[i, c]) for c, a in enumerate(self.cells) if self.mem_mask[i, c]})

    def describe(self, i: int) -> str:
        """Input `i` for a message: `r1 = -5, input [1, 2], mem[40] = 7` (signed values)."""
        inp = self.program_input(i)
        parts = [f"r{r} = {to_signed(v)}" for r, v in sorted(inp.set.items())]
        if inp.input:
            parts.append(f"input [{', '.join(str(to_signed(v)) for v in inp.input)}]")
        parts += [f"mem[{a}] = {to_signed(v)}" for a, v in sorted(inp.mem.items())]
        return ", ".join(parts) or "no inputs (the reset state)"

    def unique(self) -> Inputs:
        """These inputs without repeats (first occurrences, in order)."""
        rows = np.concatenate([self.regs, self.set_mask, self.stream, self.lens[:, None],
                               self.mem, self.mem_mask], axis=1).astype(np.int64)  # (B, K)
        _, first = np.unique(rows, axis=0, return_index=True)
        return self.take(np.sort(first))

    @staticmethod
    def concat(parts: list[Inputs]) -> Inputs:
        """Inputs with the same keys (stream lengths may differ), one after another."""
        width = max(p.stream.shape[1] for p in parts)
        stream = np.concatenate([np.pad(p.stream, ((0, 0), (0, width - p.stream.shape[1])))
                                 for p in parts])  # (B, L)

        def cat(key: str) -> np.ndarray:
            return np.concatenate([getattr(p, key) for p in parts])

        return Inputs(cat("regs"), cat("set_mask"), stream, cat("lens"), parts[0].cells,
                      cat("mem"), cat("mem_mask"))

    @staticmethod
    def of_inputs(inps, mem_words: int) -> Inputs:
        """The arrays of a sequence of ProgramInput."""
        b = len(inps)
        regs, mask = _reset(b, mem_words), np.zeros((b, 16), dtype=bool)
        width = max((len(inp.input) for inp in inps), default=0)
        stream, lens = np.zeros((b, width), dtype=np.int64), np.zeros(b, dtype=np.int64)
        cells = tuple(sorted({a for inp in inps for a in inp.mem}))
        mem, mem_mask = np.zeros((b, len(cells)), np.int64), np.zeros((b, len(cells)), bool)
        for i, inp in enumerate(inps):
            for r, v in inp.set.items():
                regs[i, r], mask[i, r] = v, True
            stream[i, : len(inp.input)], lens[i] = inp.input, len(inp.input)
            for c, a in enumerate(cells):
                if a in inp.mem:
                    mem[i, c], mem_mask[i, c] = inp.mem[a], True
        return Inputs(regs, mask, stream, lens, cells, mem, mem_mask)


def _reset(b: int, mem_words: int) -> np.ndarray:
    regs = np.zeros((b, 16), dtype=np.int64)  # (B, 16)
    regs[:, 15] = mem_words  # sp = N
    return regs


def _assemble(space: InputSpace, columns: list[np.ndarray], mem_words: int) -> Inputs:
    """Inputs from one (B,) column of words per key of `space` (in `space.keys()` order)."""
    b = len(columns[0]) if columns else 1
    regs, mask = _reset(b, mem_words), np.zeros((b, 16), dtype=bool)
    stream = np.zeros((b, len(space.stream)), dtype=np.int64)
    cells = tuple(sorted(space.mem or {}))
    mem = np.zeros((b, len(cells)), dtype=np.int64)
    for (kind, k, _), col in zip(space.keys(), columns):
        if kind == "reg":
            regs[:, k], mask[:, k] = col, True
        elif kind == "input":
            stream[:, k] = col
        else:
            mem[:, cells.index(k)] = col
    return Inputs(regs, mask, stream, np.full(b, len(space.stream), dtype=np.int64), cells, mem,
                  np.ones((b, len(cells)), dtype=bool))


def draw(space: InputSpace, n: int, rng: np.random.Generator, mem_words: int,
         edge_rate: float = 0.0) -> Inputs:
    """`n` inputs drawn from `space`; each key takes one of its edge values instead with
    probability `edge_rate`. A space without keys gives one input (the reset state)."""
    keys = space.keys()
    if not keys:
        return _assemble_empty(min(n, 1), mem_words)
    columns = []
    for _, _, form in keys:
        col = form.draw(n, rng)  # (n,)
        edges = form.edges()
        if edge_rate > 0 and edges:
            hit = np.flatnonzero(rng.random(n) < edge_rate)
            col[hit] = np.asarray(edges, dtype=np.int64)[rng.integers(0, len(edges), len(hit))]
        columns.append(col)
    return _assemble(space, columns, mem_words)


def _assemble_empty(n: int, mem_words: int) -> Inputs:
    return Inputs(_reset(n, mem_words), np.zeros((n, 16), bool), np.zeros((n, 0), np.int64),
                  np.zeros(n, np.int64), (), np.zeros((n, 0), np.int64), np.zeros((n, 0), bool))


def edge_sweep(space: InputSpace, rng: np.random.Generator, mem_words: int) -> Inputs:
    """Inputs in which every edge value of every key appears at least once: as many rows as
    the key with the most edge values; each key takes its edge values in a random order,
    then random draws from its form."""
    keys = space.keys()
    if not keys:
        return _assemble_empty(1, mem_words)
    rows = max(len(f.edges()) for _, _, f in keys)
    columns = []
    for _, _, form in keys:
        edges = np.asarray(form.edges(), dtype=np.int64)
        col = form.draw(rows, rng)  # (rows,)
        col[: len(edges)] = edges[rng.permutation(len(edges))]
        columns.append(col[rng.permutation(rows)] if len(edges) < rows else col)
    return _assemble(space, columns, mem_words)


def drawn(space: InputSpace, n: int, rng: np.random.Generator, mem_words: int, *,
          edge_rate: float = 0.0, sweep: bool = True) -> Inputs:
    """The edge sweep (when `sweep`), then `n` random draws, without repeats."""
    parts = ([edge_sweep(space, rng, mem_words)] if sweep else []) + (
        [draw(space, n, rng, mem_words, edge_rate)] if n > 0 else [])
    if not parts:
        return _assemble_empty(0, mem_words)
    return Inputs.concat(parts).unique()


def infer_space(examples, mem_words: int) -> InputSpace:
    """The input space the examples imply: every register, input word and memory cell they
    set, drawn from [edges, any32]."""
    form = Union((Edges(), Any32()))
    regs = {r: form for ex in examples for r in ex.inp.set}
    width = max((len(ex.inp.input) for ex in examples), default=0)
    mem = {a: form for ex in examples for a in ex.inp.mem}
    return InputSpace(regs, (form,) * width, mem, inferred=True)
