"""What `--method enumerate` may prune on a sketch, and the arrays its kernel walks.

The units (``enumerate_units``) are walked depth first, one unit per depth: first the units
on the *straight-line path* (from the entry, words whose every candidate is `alu`, `alui`,
`li` or `lui`, in execution order), then the others by address.

**Prefix states** (observational equivalence). After the first k path units (k <= j) the
machine state is the registers alone (no memory, input or output is touched; no fault is
possible), so two prefixes that leave the same registers on every example *and every
holdout example* (and, under renaming, have used as many renamed registers) are
interchangeable: only the first is extended. Only registers the rest may read or an
example checks count (in a fully straight-line sketch; otherwise all). Where the sketch is
not straight-line after the path, this holds only if the rest can never run or read the
path's words again: no load, store, `jalr`, data hole or memory preset, every branch and
jump target past the path, and no checked memory cell on it; else j = 0 and a note says why.

**Register renaming.** Registers that no example (or holdout, or `inputs`/`check`) sets or
reads, that no fixed word names, that start equal (0; not r0, not sp) and that every
register hole may take, are interchangeable in any program that never reads or writes its
own words as data (no load or store, no data hole): permuting them permutes the final
registers and changes nothing checked. So only fillings whose renamed registers first
appear in increasing order (r4 before r5 before ...) are walked: per unit and count m of
renamed registers used so far, the list of allowed rows and the count after each (a unit
of more than RENAME_ROWS_MAX rows is walked whole: a superset, still sound).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ncpu_cli.fit.enumerate_units import (
    REGISTER_FIELDS,
    Unit,
    classes,
    hole_values,
    min_target,
    operands,
    reads,
    register_holes,
    units_of,
    words,
)
from ncpu_cli.fit.mcmc_tables import ProgramTables, example_tables, program_tables
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import Example, FitSpec
from ncpu_cli.isa import load_isa

STRAIGHT = {"alu", "alui", "li", "lui"}
ROW_TABLE_MAX = 1 << 20  # units with at most this many rows keep their words in a table
RENAME_ROWS_MAX = 1 << 16  # units with at most this many rows follow the renaming order
SP = 15


@dataclass
class Plan:
    order: list[Unit]  # units in walking order
    depth: int  # j: prefix states after units 0..j-1 (0: no prefix pruning)
    rename: tuple[int, ...]  # the interchangeable registers (empty: no renaming)
    live: list[tuple[int, ...]]  # per depth 0..j: registers that count in its state
    notes: list[str]
    arrays: tuple  # the kernel's plan arrays (enumerate_kernel.PLAN)
    tables: ProgramTables
    examples: int  # E (the first E rows of the states are the examples, then the holdout)
    multipliers: list[int]  # W[d] = fillings below one row of depth d (exact ints)
    signature: tuple  # equal signatures: a cursor of one plan is a cursor of the other

    @property
    def units(self) -> int:
        return len(self.order)


def fixed_words(sketch: Sketch, unit_addrs: set[int]):
    """(address, Decoded) of every image word without holes."""
    isa = load_isa()
    return [(a, isa.decode(int(w))) for a, w in enumerate(sketch.words[: len(sketch.image.words)])
            if a not in unit_addrs]


def straight_path(sketch: Sketch, units: dict[int, Unit]) -> tuple[list[int], bool, int]:
    """(addresses of the units on the straight-line path, whether it ends at a fixed
    `halt`, the address where it ends)."""
    isa = load_isa()
    n, pc, path = sketch.mem_words, int(sketch.image.entry), []
    while pc < n - 1:
        if pc in units:
            if not classes(sketch, units[pc]) <= STRAIGHT:
                return path, False, pc
            path.append(pc)
        else:
            op = isa.decode(int(sketch.words[pc])).op
            cls = "illegal" if op is None else op.cls
            if cls == "halt":
                return path, True, pc
            if cls not in STRAIGHT:
                return path, False, pc
        pc += 1
    return path, False, pc


def _checked(spec: FitSpec, every: Sequence[Example]) -> tuple[set[int], set[int], set[int]]:
    """(registers set, registers read by a check, memory cells preset or checked)."""
    set_regs = {r for ex in every for r in ex.inp.set}
    check_regs = {r for ex in every for r in ex.expect.regs} | set(spec.check.regs)
    cells = {a for ex in every for a in (*ex.inp.mem, *ex.expect.mem)} | set(spec.check.mem)
    if spec.inputs is not None:
        set_regs |= set(spec.inputs.regs)
        cells |= set(spec.inputs.mem or {})
    return set_regs, check_regs, cells


def prefix_depth(sketch, spec, every, units, path, halts) -> tuple[int, str | None]:
    """j, or 0 and why prefix states may not be pruned."""
    order_n = len(units)
    j = min(len(path), order_n - 1)
    if j < 1:
        return 0, ("the sketch's first hole is not straight-line code" if not path
                   else "one unit only")
    end = path[j - 1] + 1  # the first word after the pruned prefix
    entry = int(sketch.image.entry)
    if end - entry >= spec.max_cycles:
        return 0, "the prefix alone reaches max_cycles"
    _, _, cells = _checked(spec, every)
    if any(entry <= a < end for a in cells):
        return 0, "an example presets or checks memory in the prefix's words"
    if halts and len(path) == order_n:
        return j, None
    rest = [u for a, u in units.items() if a not in path[:j]]
    kinds = set().union(*(classes(sketch, u) for u in rest)) if rest else set()
    fixed = fixed_words(sketch, set(units))
    kinds |= {("illegal" if d.op is None else d.op.cls) for _, d in fixed}
    bad = kinds & {"load", "store", "jalr", "data"}
    if bad:
        return 0, f"not straight-line after the prefix, with {'/'.join(sorted(bad))}"
    if any(ex.inp.mem for ex in every):
        return 0, "not straight-line after the prefix, and examples preset memory"
    targets = [t for t in (min_target(sketch, u) for u in rest) if t is not None]
    targets += [d.imm for _, d in fixed if d.op is not None and d.op.cls in ("branch", "jal")]
    if any(t < end for t in targets):
        return 0, "a branch or jump may go back into the straight-line prefix"
    return j, None


def renamed(sketch, spec, every, units) -> tuple[tuple[int, ...], str | None]:
    """The interchangeable registers, or () and why none."""
    kinds = set().union(*(classes(sketch, u) for u in units.values()))
    fixed = fixed_words(sketch, set(units))
    kinds |= {("illegal" if d.op is None else d.op.cls) for _, d in fixed}
    bad = kinds & {"load", "store", "data"}
    if bad:
        return (), f"the program may {'/'.join(sorted(bad))} its own words"
    set_regs, check_regs, _ = _checked(spec, every)
    used = {0, SP} | set_regs | check_regs
    used |= {getattr(d, f) for _, d in fixed for f in REGISTER_FIELDS}
    for w in sketch.words[: len(sketch.image.words)]:  # fixed fields of words with holes
        d = load_isa().decode(int(w))
        used |= {d.rd, d.ra, d.rb}
    for g in sketch.groups:
        used |= {v for r, v in g.fixed.items() if r in REGISTER_FIELDS}
    isa = load_isa()
    for ex in every:  # memory presets could run as code
        for v in ex.inp.mem.values():
            d = isa.decode(int(v))
            used |= {d.rd, d.ra, d.rb}
    free = set(range(16)) - used
    for h in register_holes(sketch):
        free &= hole_values(h)
    if len(free) < 2:
        return (), "fewer than two registers are interchangeable"
    return tuple(sorted(free)), None


def make_plan(sketch: Sketch, spec: FitSpec, examples: Sequence[Example],
              prune: bool = True) -> Plan:
    every = [*examples, *spec.holdout]
    units = units_of(sketch)
    path, halts, stop = straight_path(sketch, units)
    notes: list[str] = []
    j, why = prefix_depth(sketch, spec, every, units, path, halts) if prune else (0, "off")
    if why and prune:
        notes.append(f"prefix states: not pruned ({why})")
    order = [units[a] for a in path] + [units[a] for a in sorted(units) if a not in path]
    S, why = renamed(sketch, spec, every, units) if prune else ((), "off")
    if why and prune:
        notes.append(f"register renaming: not used ({why})")
    full = halts and len(path) == len(order)
    _, check_regs, _ = _checked(spec, every)
    live = [tuple(range(1, 16))] * (j + 1)
    if full:  # registers the rest may read, or a check looks at
        isa = load_isa()
        live = []
        for k in range(j + 1):
            after = set(check_regs)
            for u in order[k:]:
                after |= reads(sketch, u)
            start = order[k - 1].address + 1 if k else int(sketch.image.entry)
            for a in range(start, stop):  # the fixed words up to the halt
                if a not in units:
                    d = isa.decode(int(sketch.words[a]))
                    after |= ({d.ra, d.rb} if d.op.cls == "alu" else {d.ra}
                              if d.op.cls == "alui" else set())
            live.append(tuple(sorted(after - {0})))
    arrays, tables, e_count = _arrays(sketch, spec, examples, every, order, j, S, live)
    rows = [u.rows for u in order]
    mult = [int(np.prod(rows[d + 1:], dtype=object)) if d + 1 < len(rows) else 1
            for d in range(len(rows))]
    sig = (tuple(u.address for u in order), j, S)
    return Plan(order, j, S, live, notes, arrays, tables, e_count, mult, sig)


def _arrays(sketch, spec, examples, every, order, j, S, live):
    tables = program_tables(sketch)
    mcmc_unit = {int(a): u for u, a in enumerate(tables.UT[:, 0])}
    U = len(order)
    ua = np.asarray([u.address for u in order], dtype=np.int64)
    ud = np.asarray([u.rows for u in order], dtype=np.int64)
    umu = np.asarray([mcmc_unit[u.address] for u in order], dtype=np.int64)
    useg, uz, uwoff = (np.zeros((U, 2), np.int64), np.zeros((U, 2), np.int64),
                       np.full(U, -1, np.int64))
    sg, dg, zh, wt = [], [], [], []
    M = len(S)
    loff, lcnt = np.full((U, M + 1), -1, np.int64), np.zeros((U, M + 1), np.int64)
    vr: list[np.ndarray] = []
    nm: list[np.ndarray] = []
    nvr = 0
    for u, unit in enumerate(order):
        useg[u] = len(sg), len(unit.segments)
        for s in unit.segments:
            sg.append((s.count, s.op_hole, s.op_value, len(dg), len(s.digits)))
            dg.extend(s.digits)
        uz[u] = len(zh), len(unit.zero)
        zh.extend(unit.zero)
        if unit.rows <= ROW_TABLE_MAX:
            uwoff[u] = sum(len(w) for w in wt)
            wt.append(words(sketch, unit, np.arange(unit.rows)))
        if M and unit.rows <= RENAME_ROWS_MAX:
            rows = np.arange(unit.rows)
            lookup = np.full(16, -1, dtype=np.int64)
            lookup[list(S)] = np.arange(M)
            ops = operands(sketch, unit, rows)  # (R, 3) register values, -1: none
            sidx = np.where(ops >= 0, lookup[np.clip(ops, 0, 15)], -1)  # (R, 3) index in S
            if (sidx < 0).all():
                continue
            for m in range(M + 1):
                cur = np.full(len(rows), m, dtype=np.int64)
                ok = np.ones(len(rows), dtype=bool)
                for t in range(sidx.shape[1]):
                    jj = sidx[:, t]
                    ok &= (jj < 0) | (jj <= cur)
                    cur = np.where(ok & (jj >= 0), np.maximum(cur, jj + 1), cur)
                loff[u, m], lcnt[u, m] = nvr, int(ok.sum())
                vr.append(rows[ok])
                nm.append(cur[ok])
                nvr += int(ok.sum())
    def cat(parts):
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(1, np.int64)

    pcs = np.asarray([int(sketch.image.entry)] + [order[k].address + 1 for k in range(j)],
                     dtype=np.int64)
    kr = np.zeros((j + 1, 16), np.int64)
    kn = np.zeros(j + 1, np.int64)
    for k, regs in enumerate(live):
        kn[k] = len(regs)
        kr[k, : len(regs)] = regs
    ex = example_tables(examples, spec.mem_words, spec.max_cycles, tables.entry)
    allx = example_tables(every, spec.mem_words, spec.max_cycles, tables.entry)
    pen = ex.pen.copy()
    tail = ex.cfg.copy()
    tail[1], tail[2] = pcs[j], spec.max_cycles - (pcs[j] - pcs[0])
    arrays = (ua, ud, uwoff, umu, useg, np.asarray(sg, np.int64).reshape(-1, 5),
              np.asarray(dg, np.int64).reshape(-1, 2), uz, cat([np.asarray(zh)]), cat(wt),
              loff, lcnt, cat(vr), cat(nm), pcs, kr, kn, np.int64(M > 0),
              allx.ER.copy(), ex.EI, ex.PAIRS, ex.EIN, tail, pen)
    return arrays, tables, len(examples)
