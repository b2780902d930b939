"""The words of a sketch that `--method enumerate` walks: one *unit* per address with holes.

A unit's *rows* are its distinct programs, numbered 0..rows-1: a plain unit (the plain holes
of one word) in mixed radix over its holes (the last fastest); an instruction hole one
*segment* per choice, in order, each in mixed radix over the roles that choice uses (in
``ROLES`` order), so an operand the mnemonic ignores is never varied (it stays 0, as
``Sketch.canonical`` writes it). Row r of a unit is therefore one distinct program, and the
units' rows together number exactly ``Sketch.space`` fillings.

What the analysis (``enumerate_plan``) needs to know about a unit: the semantics classes
its candidates may have (``classes``), the registers they may read, the smallest branch or
jump target they may take, and per row the words (``words``) and register operands
(``operands``: the register values of the row's register holes, in row-digit order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ncpu_cli.fit.instruction import ROLES, Group, group_words
from ncpu_cli.fit.sketch import Hole, Sketch
from ncpu_cli.isa import MASK32, load_isa

REGISTER_FIELDS = ("rd", "ra", "rb")
JUMPS = ("branch", "jal")


@dataclass
class Segment:
    count: int  # rows in this segment
    op_hole: int  # the mnemonic sub-hole set to op_value (-1: a plain unit)
    op_value: int
    digits: list[tuple[int, int]]  # (hole, size), the last varying fastest


@dataclass
class Unit:
    address: int
    holes: list[int]  # every hole of this word
    zero: list[int]  # holes a row sets to 0 before its digits (an instruction hole's roles)
    segments: list[Segment]
    group: Group | None = None
    starts: np.ndarray = field(init=False)  # (S,) first row of each segment

    def __post_init__(self) -> None:
        self.starts = np.cumsum([0] + [s.count for s in self.segments[:-1]]).astype(np.int64)

    @property
    def rows(self) -> int:
        return sum(s.count for s in self.segments)


def units_of(sketch: Sketch) -> dict[int, Unit]:
    """address -> Unit, for every word with holes."""
    by_addr: dict[int, list[Hole]] = {}
    for h in sketch.holes:
        if h.group is None:
            by_addr.setdefault(h.address, []).append(h)
    out = {}
    for a, holes in by_addr.items():
        seg = Segment(int(np.prod([h.size for h in holes], dtype=object)), -1, 0,
                      [(h.index, h.size) for h in holes])
        out[a] = Unit(a, [h.index for h in holes], [], [seg])
    for g in sketch.groups:
        roles = [r for r in ROLES if r in g.role_holes]
        segs = []
        for k in range(len(g.choices)):
            digits = [(g.role_holes[r], sketch.holes[g.role_holes[r]].size) for r in roles
                      if g.used(k, r)]
            segs.append(Segment(int(np.prod([s for _, s in digits], dtype=object)),
                                g.op_hole, k, digits))
        role_holes = [g.role_holes[r] for r in roles]
        out[g.address] = Unit(g.address, [g.op_hole, *role_holes], role_holes, segs, g)
    return out


def fill_rows(unit: Unit, rows: np.ndarray, out: np.ndarray) -> None:
    """Write the hole values (candidate indices) of `rows` (R,) of `unit` into out (R, H)."""
    rows = np.asarray(rows, dtype=np.int64)
    out[:, unit.zero] = 0
    seg = np.searchsorted(unit.starts, rows, side="right") - 1  # (R,)
    for s, sg in enumerate(unit.segments):
        sel = np.flatnonzero(seg == s)
        if not len(sel):
            continue
        local = rows[sel] - unit.starts[s]
        if sg.op_hole >= 0:
            out[sel, sg.op_hole] = sg.op_value
        for hole, size in reversed(sg.digits):
            out[sel, hole] = local % size
            local //= size


def row_fillings(sketch: Sketch, unit: Unit, rows: np.ndarray) -> np.ndarray:
    """(R, H) fillings holding `rows` of `unit` (every other hole 0)."""
    out = np.zeros((len(rows), len(sketch.holes)), dtype=np.int64)
    fill_rows(unit, rows, out)
    return out


def _values(h: Hole, k: np.ndarray) -> np.ndarray:
    return np.asarray(h.values, dtype=np.int64)[k] if h.values is not None else h.lo + k


def words(sketch: Sketch, unit: Unit, rows: np.ndarray) -> np.ndarray:
    """(R,) unsigned words of `rows` of `unit` (as ``Sketch.fill`` writes them)."""
    f = row_fillings(sketch, unit, rows)
    if unit.group is not None:
        g = unit.group
        roles = {r: _values(sketch.holes[i], f[:, i]) for r, i in g.role_holes.items()}
        return group_words(load_isa(), g, f[:, g.op_hole], roles) & MASK32
    w = np.full(len(rows), int(sketch.words[unit.address]), dtype=np.int64)
    for i in unit.holes:
        w |= sketch.bits(sketch.holes[i], f[:, i])
    return w & MASK32


def operands(sketch: Sketch, unit: Unit, rows: np.ndarray) -> np.ndarray:
    """(R, 3) the register values of each row's register holes in digit order (-1: none);
    only the roles the row's choice uses (a plain word: every register hole)."""
    f = row_fillings(sketch, unit, rows)
    out = np.full((len(rows), 3), -1, dtype=np.int64)
    seg = np.searchsorted(unit.starts, rows, side="right") - 1
    for s, sg in enumerate(unit.segments):
        sel = np.flatnonzero(seg == s)
        regs = [h for h, _ in sg.digits if sketch.holes[h].kind == "register"]
        for j, h in enumerate(regs[:3]):
            out[sel, j] = _values(sketch.holes[h], f[sel, h])
    return out


def register_holes(sketch: Sketch) -> list[Hole]:
    """Every hole that is a register: plain register holes and rd/ra/rb roles."""
    return [h for h in sketch.holes if h.kind == "register"]


def hole_values(h: Hole) -> set[int]:
    return set(h.values) if h.values is not None else set(range(h.lo, h.lo + h.size))


def classes(sketch: Sketch, unit: Unit) -> set[str]:
    """Semantics classes this unit's candidates may have (`data`: any word at all)."""
    isa = load_isa()
    if unit.group is not None:
        return {"alu" if op is None else op.cls for op in unit.group.ops}
    holes = [sketch.holes[i] for i in unit.holes]
    if any(h.kind == "data" for h in holes):
        return {"data"}
    mnem = [h for h in holes if h.kind == "mnemonic"]
    if mnem:
        return {isa.op(c).cls for h in mnem for c in h.choices}
    op = isa.decode(int(sketch.words[unit.address])).op
    return {"illegal" if op is None else op.cls}


def _field_values(sketch: Sketch, unit: Unit, name: str) -> set[int]:
    """Register values field `name` (ra or rb) of a plain unit may hold."""
    for i in unit.holes:
        h = sketch.holes[i]
        if h.field == name:
            return hole_values(h)
    return {load_isa().fields[name].get(int(sketch.words[unit.address]))}


def reads(sketch: Sketch, unit: Unit) -> set[int]:
    """Registers this unit's straight-line candidates (alu, alui) may read."""
    out: set[int] = set()
    if unit.group is not None:
        g = unit.group
        for k, op in enumerate(g.ops):
            if op is None:  # nop: add r0, r0, r0
                continue
            for role in ("ra", "rb") if op.cls == "alu" else ("ra",) if op.cls == "alui" else ():
                if role in g.role_holes:
                    out |= hole_values(sketch.holes[g.role_holes[role]])
                else:
                    out.add(g.fixed.get(role, 0))
        return out
    for cls in classes(sketch, unit):
        for role in ("ra", "rb") if cls == "alu" else ("ra",) if cls == "alui" else ():
            out |= _field_values(sketch, unit, role)
    return out


def min_target(sketch: Sketch, unit: Unit) -> int | None:
    """The smallest branch or jump target this unit's candidates may take (None: none)."""
    isa = load_isa()
    found: list[int] = []
    if unit.group is not None:
        g = unit.group
        for k, op in enumerate(g.ops):
            if op is not None and op.cls in JUMPS:
                if "target" in g.role_holes:
                    found.append(_least(sketch.holes[g.role_holes["target"]], 0x3FFFFF))
                else:
                    found.append(g.fixed.get("target", 0))
        return min(found) if found else None
    if not classes(sketch, unit) & set(JUMPS):
        return None
    for i in unit.holes:
        h = sketch.holes[i]
        if h.field in ("imm14", "imm22"):
            return _least(h, isa.fields[h.field].mask)
    return 0  # a mnemonic hole over branches with a fixed target: read it conservatively


def _least(h: Hole, mask: int) -> int:
    """A lower bound of hole h's values as an unsigned field of `mask` (0 when any value is
    negative: it wraps)."""
    if h.values is not None:
        return min(int(v) & mask for v in h.values)
    return h.lo if h.lo >= 0 else 0
