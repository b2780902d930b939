"""A sketch: an assembled program whose holes a fit fills.

Every hole has a finite domain of candidates, indexed 0..K-1: registers
(``lo..hi``), mnemonic choices (in the order written), immediates and data
words (``lo..hi``).  A *filling* is one candidate index per hole; a batch of
fillings is an int64 array ``(P, H)``.  A hole's field is 0 in the image, so a
filled word is the image word OR-ed with every hole's bits (``words``), and the
filled source is the sketch's text with each hole token replaced by its value
(``render``): same lines and comments, so a diff shows only the holes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ncpu_cli.asm import assemble
from ncpu_cli.errors import FitError
from ncpu_cli.fit.spec import FitSpec
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa

KINDS = ("register", "mnemonic", "imm", "data")


@dataclass(frozen=True)
class Hole:
    """One hole of the sketch (from the assembler's hole table)."""

    index: int  # position in source order
    kind: str  # register | mnemonic | imm | data
    address: int  # the word it lives in
    field: str  # rd ra rb | op | imm14 imm22 | word
    lo: int  # first candidate value (registers, imm, data); 0 for mnemonics
    size: int  # K, the number of candidates
    choices: tuple[str, ...]  # mnemonic names (mnemonic holes only)
    file: str
    line: int
    col: int
    length: int  # characters of the hole token in the source line

    def value(self, k: int) -> int | str:
        """The candidate with index `k`: a mnemonic name, or an int (register number, value)."""
        return self.choices[k] if self.kind == "mnemonic" else self.lo + int(k)

    def text(self, k: int) -> str:
        """How candidate `k` is written in source."""
        v = self.value(k)
        return f"r{v}" if self.kind == "register" else str(v)

    def index_of(self, value: int | str) -> int:
        """The candidate index of `value` (ValueError when it is not a candidate)."""
        if self.kind == "mnemonic":
            return self.choices.index(str(value).lower())
        k = int(value) - self.lo
        if not 0 <= k < self.size:
            raise ValueError(f"{value} is not a candidate of hole {self.index} "
                             f"({self.lo}..{self.lo + self.size - 1})")
        return k

    @property
    def numeric(self) -> bool:
        return self.kind in ("imm", "data")


class Sketch:
    """The assembled sketch: base image, holes, and how to fill them."""

    def __init__(self, spec: FitSpec):
        self.source, self.name = spec.source, spec.sketch_name
        # AsmError (with every diagnostic) goes to the caller as it is
        image = assemble(spec.source, spec.sketch_name, keep_holes=True,
                         mem_words=spec.mem_words, base_dir=spec.include_dir)
        self.image: Image = image
        self.mem_words = spec.mem_words
        if not image.holes:
            raise FitError(f"{spec.sketch_name}: the sketch has no holes (`??`, `??[lo:hi]`, "
                           "`?{a,b}`, `.word ??`): there is nothing to fit")
        isa = load_isa()
        self._isa = isa
        raw = sorted(image.holes, key=lambda h: h["index"])  # source order
        self.holes: list[Hole] = [self._hole(i, h) for i, h in enumerate(raw)]
        self.words = np.zeros(spec.mem_words, dtype=np.int64)  # (N,) the image, holes 0
        self.words[: len(image.words)] = np.asarray(image.words, dtype=np.int64) & MASK32
        self._opcodes = {h.index: np.asarray([isa.op(c).opcode for c in h.choices], np.int64)
                         for h in self.holes if h.kind == "mnemonic"}

    def _hole(self, i: int, h: dict) -> Hole:
        kind = h["kind"]
        if kind not in KINDS:
            raise FitError(f"{self.name}: unknown hole kind `{kind}`")
        if kind == "mnemonic":
            choices = tuple(str(c).lower() for c in h["choices"])
            lo, size = 0, len(choices)
        else:
            choices, lo = (), int(h["lo"])
            size = int(h["hi"]) - lo + 1
        if size < 1:
            raise FitError(f"{h.get('file')}:{h['line']}:{h['col']}: the hole has no candidates")
        return Hole(i, kind, int(h["address"]), str(h["field"]), lo, size, choices,
                    str(h.get("file", self.name)), int(h["line"]), int(h["col"]),
                    int(h["length"]))

    # -- sizes -----------------------------------------------------------------------
    @property
    def sizes(self) -> np.ndarray:
        return np.asarray([h.size for h in self.holes], dtype=np.int64)  # (H,)

    @property
    def space(self) -> int:
        """Number of fillings (an exact Python int: may exceed 2^63)."""
        return math.prod(h.size for h in self.holes)

    # -- filling ---------------------------------------------------------------------
    def bits(self, hole: Hole, k: np.ndarray) -> np.ndarray:
        """The bits candidates `k` (P,) put into their word (P,) int64."""
        k = np.asarray(k, dtype=np.int64)
        if hole.kind == "mnemonic":
            return self._opcodes[hole.index][k] << self._isa.fields["op"].lo
        if hole.kind == "data":
            return (hole.lo + k) & MASK32
        f = self._isa.fields[hole.field]
        return ((hole.lo + k) & f.mask) << f.lo

    def fill(self, fillings: np.ndarray) -> np.ndarray:
        """Memory images (P, N) int64 (unsigned words) of fillings (P, H)."""
        fillings = np.atleast_2d(np.asarray(fillings, dtype=np.int64))
        out = np.repeat(self.words[None, :], len(fillings), axis=0)  # (P, N)
        for h in self.holes:
            out[:, h.address] |= self.bits(h, fillings[:, h.index])
        return out

    def values(self, filling) -> list[int | str]:
        return [h.value(int(k)) for h, k in zip(self.holes, filling)]

    def indices(self, values) -> np.ndarray:
        """A filling (H,) from one value per hole (mnemonic names, register numbers, ints)."""
        if len(values) != len(self.holes):
            raise FitError(f"{len(values)} values for {len(self.holes)} holes")
        return np.asarray([h.index_of(v) for h, v in zip(self.holes, values)], dtype=np.int64)

    def render(self, filling) -> str:
        """The sketch's text with every hole of the main file replaced by its value."""
        lines = self.source.splitlines(keepends=True)
        by_line: dict[int, list[tuple[int, int, str]]] = {}
        for h, k in zip(self.holes, filling):
            if h.file == self.name and 1 <= h.line <= len(lines):
                by_line.setdefault(h.line, []).append((h.col, h.length, h.text(int(k))))
        for line_no, subs in by_line.items():
            text = lines[line_no - 1]
            for col, length, value in sorted(subs, reverse=True):  # right to left
                text = text[: col - 1] + value + text[col - 1 + length:]
            lines[line_no - 1] = text
        return "".join(lines)

    def describe(self, filling) -> list[dict]:
        """The holes of a filling as JSON records: line, col, kind, value."""
        return [{"line": h.line, "col": h.col, "kind": h.kind, "value": h.value(int(k))}
                for h, k in zip(self.holes, filling)]
