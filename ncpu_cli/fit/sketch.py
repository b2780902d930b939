"""A sketch: an assembled program whose holes a fit fills.

Every hole has a finite domain of candidates, indexed 0..K-1: registers
(``lo..hi``, or a subset ``values``), mnemonic choices (in the order written),
immediates, targets and data words (``lo..hi``).  An instruction hole is a
``Group`` of sub-holes (``fit/instruction.py``): its mnemonic and each operand
role.  A *filling* is one candidate index per hole; a batch of
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
from ncpu_cli.fit.instruction import ROLES, Group, group_words, instruction_text, make_group
from ncpu_cli.fit.spec import FitSpec
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa

KINDS = ("register", "mnemonic", "imm", "data", "instruction")
ROLE_KIND = {"rd": "register", "ra": "register", "rb": "register", "imm": "imm",
             "target": "target"}


@dataclass(frozen=True)
class Hole:
    """One hole of the sketch (from the assembler's hole table)."""

    index: int  # position in source order
    kind: str  # register | mnemonic | imm | data | target
    address: int  # the word it lives in
    field: str  # rd ra rb | op | imm14 imm22 | word | a role of an instruction hole
    lo: int  # first candidate value (registers, imm, data); 0 for mnemonics
    size: int  # K, the number of candidates
    choices: tuple[str, ...]  # mnemonic names (mnemonic holes only)
    file: str
    line: int
    col: int
    length: int  # characters of the hole token in the source line
    values: tuple[int, ...] | None = None  # register subset `??{r1,r5}` (candidate k = values[k])
    group: int | None = None  # the instruction hole (sketch.groups) this sub-hole belongs to
    slot: str | None = None  # its part there: op | rd | ra | rb | imm | target

    def value(self, k: int) -> int | str:
        """The candidate with index `k`: a mnemonic name, or an int (register number, value)."""
        if self.kind == "mnemonic":
            return self.choices[k]
        return self.values[int(k)] if self.values is not None else self.lo + int(k)

    def text(self, k: int) -> str:
        """How candidate `k` is written in source."""
        v = self.value(k)
        return f"r{v}" if self.kind == "register" else str(v)

    def index_of(self, value: int | str) -> int:
        """The candidate index of `value` (ValueError when it is not a candidate)."""
        if self.kind == "mnemonic":
            return self.choices.index(str(value).lower())
        if self.values is not None:
            if int(value) not in self.values:
                raise ValueError(f"{value} is not a candidate of hole {self.index} {self.values}")
            return self.values.index(int(value))
        k = int(value) - self.lo
        if not 0 <= k < self.size:
            raise ValueError(f"{value} is not a candidate of hole {self.index} "
                             f"({self.lo}..{self.lo + self.size - 1})")
        return k

    @property
    def numeric(self) -> bool:
        return self.kind in ("imm", "data", "target")


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
        self.holes: list[Hole] = []
        self.groups: list[Group] = []
        for h in raw:
            if h.get("kind") == "instruction":
                self._instruction(h)
            else:
                self.holes.append(self._hole(len(self.holes), h))
        self.words = np.zeros(spec.mem_words, dtype=np.int64)  # (N,) the image, holes 0
        self.words[: len(image.words)] = np.asarray(image.words, dtype=np.int64) & MASK32
        self._opcodes = {h.index: np.asarray([isa.op(c).opcode for c in h.choices], np.int64)
                         for h in self.holes if h.kind == "mnemonic" and h.group is None}
        self._values = {h.index: np.asarray(h.values, np.int64)
                        for h in self.holes if h.values is not None}

    def _instruction(self, h: dict) -> None:
        """An instruction hole: its mnemonic sub-hole, then one sub-hole per hole role."""
        g, where = len(self.groups), (str(h.get("file", self.name)), int(h["line"]),
                                      int(h["col"]), int(h["length"]))
        choices = tuple(str(c).lower() for c in h["choices"])
        op_hole = len(self.holes)
        self.holes.append(Hole(op_hole, "mnemonic", int(h["address"]), "op", 0, len(choices),
                               choices, *where, group=g, slot="op"))
        role_holes = {}
        for role in ROLES:
            slot = h.get("slots", {}).get(role)
            if slot is None or "fixed" in slot:
                continue
            vals = tuple(int(v) for v in slot["values"]) if "values" in slot else None
            lo = min(vals) if vals else int(slot["lo"])
            size = len(vals) if vals else int(slot["hi"]) - lo + 1
            if size < 1:
                raise FitError(f"{where[0]}:{where[1]}:{where[2]}: the {role} of the "
                               "instruction hole has no candidates")
            role_holes[role] = len(self.holes)
            self.holes.append(Hole(len(self.holes), ROLE_KIND[role], int(h["address"]), role,
                                   lo, size, (), *where, values=vals, group=g, slot=role))
        self.groups.append(make_group(self._isa, g, h, op_hole, role_holes))

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
        values = tuple(int(v) for v in h["values"]) if h.get("values") is not None else None
        if values is not None:
            lo, size = (min(values) if values else 0), len(values)
        if size < 1:
            raise FitError(f"{h.get('file')}:{h['line']}:{h['col']}: the hole has no candidates")
        return Hole(i, kind, int(h["address"]), str(h["field"]), lo, size, choices,
                    str(h.get("file", self.name)), int(h["line"]), int(h["col"]),
                    int(h["length"]), values=values)

    # -- sizes -----------------------------------------------------------------------
    @property
    def sizes(self) -> np.ndarray:
        return np.asarray([h.size for h in self.holes], dtype=np.int64)  # (H,)

    @property
    def space(self) -> int:
        """Number of distinct programs (an exact Python int: may exceed 2^63): the plain
        holes' sizes times each instruction hole's distinct instructions."""
        plain = math.prod(h.size for h in self.holes if h.group is None)
        return plain * math.prod(
            g.distinct({r: self.holes[i].size for r, i in g.role_holes.items()})
            for g in self.groups)

    def canonical(self, fillings: np.ndarray) -> np.ndarray:
        """`fillings` (P, H) with every sub-hole its chosen mnemonic ignores set to 0, so
        fillings of the same program are equal rows."""
        out = np.array(np.atleast_2d(fillings), dtype=np.int64)
        for g in self.groups:
            k = out[:, g.op_hole]  # (P,)
            for role, i in g.role_holes.items():
                out[:, i] = np.where(g.uses[k, ROLES.index(role)], out[:, i], 0)
        return out

    # -- filling ---------------------------------------------------------------------
    def bits(self, hole: Hole, k: np.ndarray) -> np.ndarray:
        """The bits candidates `k` (P,) put into their word (P,) int64."""
        k = np.asarray(k, dtype=np.int64)
        if hole.kind == "mnemonic":
            return self._opcodes[hole.index][k] << self._isa.fields["op"].lo
        v = self._hole_values(hole, k)
        if hole.kind == "data":
            return v & MASK32
        f = self._isa.fields[hole.field]
        return (v & f.mask) << f.lo

    def fill(self, fillings: np.ndarray) -> np.ndarray:
        """Memory images (P, N) int64 (unsigned words) of fillings (P, H)."""
        fillings = np.atleast_2d(np.asarray(fillings, dtype=np.int64))
        out = np.repeat(self.words[None, :], len(fillings), axis=0)  # (P, N)
        for h in self.holes:
            if h.group is None:
                out[:, h.address] |= self.bits(h, fillings[:, h.index])
        for g in self.groups:
            roles = {r: self._hole_values(self.holes[i], fillings[:, i])
                     for r, i in g.role_holes.items()}
            out[:, g.address] |= group_words(self._isa, g, fillings[:, g.op_hole], roles)
        return out

    def _hole_values(self, hole: Hole, k: np.ndarray) -> np.ndarray:
        """(P,) the values candidates `k` stand for."""
        k = np.asarray(k, dtype=np.int64)
        return self._values[hole.index][k] if hole.values is not None else hole.lo + k

    def instruction(self, g: Group, filling) -> str:
        """The chosen instruction of group `g` in canonical syntax (`nop` for nop)."""
        k = int(filling[g.op_hole])
        return instruction_text(g, k, {r: int(self.holes[i].value(int(filling[i])))
                                       for r, i in g.role_holes.items()})

    def values(self, filling) -> list[int | str]:
        return [h.value(int(k)) for h, k in zip(self.holes, filling)]

    def indices(self, values) -> np.ndarray:
        """A filling (H,) from one value per hole (mnemonic names, register numbers, ints)."""
        if len(values) != len(self.holes):
            raise FitError(f"{len(values)} values for {len(self.holes)} holes")
        return np.asarray([h.index_of(v) for h, v in zip(self.holes, values)], dtype=np.int64)

    def render(self, filling) -> str:
        """The sketch's text with every hole of the main file replaced by its value; when a
        repeated line (`.rept`) holds different values in its copies, the filled program as
        plain assembly instead (one line per word, as `ncpu disasm` writes it)."""
        lines = self.source.splitlines(keepends=True)
        by_line: dict[int, set[tuple[int, int, str]]] = {}
        subs = [(h.file, h.line, h.col, h.length, h.text(int(k)))
                for h, k in zip(self.holes, filling) if h.group is None]
        subs += [(g.file, g.line, g.col, g.length, self.instruction(g, filling))
                 for g in self.groups]
        for file, line, col, length, text in subs:
            if file == self.name and 1 <= line <= len(lines):
                by_line.setdefault(line, set()).add((col, length, text))
        spans = [(line, col, length) for line, subs in by_line.items() for col, length, _ in subs]
        if len(spans) != len(set(spans)):
            return self._listing(filling)
        for line_no, subs in by_line.items():
            text = lines[line_no - 1]
            for col, length, value in sorted(subs, reverse=True):  # right to left
                text = text[: col - 1] + value + text[col - 1 + length:]
            lines[line_no - 1] = text
        return "".join(lines)

    def _listing(self, filling) -> str:
        from dataclasses import replace

        from ncpu_cli.disasm import disassemble_image

        words = [int(w) for w in self.fill(np.asarray(filling)[None, :])[0, : len(self.image.words)]]
        image = replace(self.image, words=words, holes=[])
        head = f"; {self.name} filled (its .rept copies differ, so every word is listed)\n"
        return head + "\n".join(disassemble_image(image, addresses=False)) + "\n"

    def describe(self, filling) -> list[dict]:
        """The holes of a filling as JSON records in source order: line, col, kind, value (an
        instruction hole's value is the chosen instruction's text)."""
        recs = [(h.file, h.line, h.col, h.address,
                 {"line": h.line, "col": h.col, "kind": h.kind, "value": h.value(int(k))})
                for h, k in zip(self.holes, filling) if h.group is None]
        recs += [(g.file, g.line, g.col, g.address,
                  {"line": g.line, "col": g.col, "kind": "instruction",
                   "value": self.instruction(g, filling)}) for g in self.groups]
        return [r[-1] for r in sorted(recs, key=lambda r: (r[0] != self.name, r[1:4]))]
