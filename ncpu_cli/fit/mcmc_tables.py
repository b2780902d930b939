"""Flat int64 tables for the mcmc kernel, built from a Sketch and a list of Examples.

The sketch (`ProgramTables`): every word with holes is a *unit* -- its plain holes (all
holes at that address), or one instruction hole (its mnemonic sub-hole, then its role
sub-holes). Units whose holes have equal domains share a class, so a swap move may
exchange their fillings. A plain hole's bits per candidate come from `Sketch.bits` itself
(a table) unless it has more than TABLE_MAX candidates (then the kernel computes
((lo + k) & mask) << shift from its field); an instruction hole's word is its choice's
opcode OR each used role's value in its field (``fit/instruction.py``), computed in the
kernel from `GT`/`CT`. Column names are in `mcmc_moves` and `mcmc_eval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ncpu_cli.fit.instruction import ROLES
from ncpu_cli.fit.mcmc_eval import E_NXO
from ncpu_cli.fit.mcmc_moves import G_FIX, G_ROLE, SLOT_OP, SLOT_PLAIN
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import Example
from ncpu_cli.isa import MASK32, STATUS_NAMES, load_isa
from ncpu_cli.machine.config import DEFAULT_MAX_OUT
from ncpu_cli.machine.exact.native_kernel import decode_tables

TABLE_MAX = 1 << 16  # plain holes with at most this many candidates get a bits table
NREGS = 16
STATUS_PENALTY = 32  # cost of a wrong final status (a fault or timeout): one wrong word
LENGTH_PENALTY = 32  # cost per word of wrong output length (at most 4 counted)
MISALIGN_PENALTY = -1  # >= 0: STOKE's relaxed register cost (a value in another register
#                        costs this); -1: registers exact (measured no better on HD tasks, slower)


def signed(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.int64) & MASK32
    return (v ^ (1 << 31)) - (1 << 31)


@dataclass
class ProgramTables:
    HT: np.ndarray  # (H, 10) holes
    UT: np.ndarray  # (U, 6) units
    UH: np.ndarray  # (ΣU_HN,) hole indices of each unit, in order
    GT: np.ndarray  # (G, 13) instruction holes
    CT: np.ndarray  # (ΣK, 7) their choices
    BT: np.ndarray  # (·,) bits per candidate of tabled plain holes
    VT: np.ndarray  # (·,) values of register-subset sub-holes
    words0: np.ndarray  # (N,) signed words of the image, holes 0
    dec: np.ndarray  # (64, 5) the native engine's decode table
    fields: np.ndarray  # (6,) op shift, op mask, rd ra rb shifts, register mask
    entry: int

    @property
    def sketch_arrays(self) -> tuple:
        return self.HT, self.UT, self.UH, self.GT, self.CT, self.BT, self.VT


def program_tables(sketch: Sketch) -> ProgramTables:
    isa = load_isa()
    groups = list(getattr(sketch, "groups", []))
    by_addr: dict[int, list[int]] = {}
    unit_group: dict[int, int] = {}
    for h in sketch.holes:
        by_addr.setdefault(h.address, []).append(h.index)
    for g in groups:
        unit_group[g.address] = g.index
    addrs = sorted(by_addr)
    unit_of = {a: u for u, a in enumerate(addrs)}
    ht = np.zeros((len(sketch.holes), 10), dtype=np.int64)
    bt: list[int] = []
    vt: list[int] = []
    for h in sketch.holes:
        row = ht[h.index]
        row[:] = [unit_of[h.address], -1, -1, h.lo, h.size, 0, 0, int(h.numeric), SLOT_PLAIN,
                  int(h.kind == "mnemonic" and h.group is None)]
        if h.group is None:
            if h.size <= TABLE_MAX:
                row[1] = len(bt)
                bt.extend(int(b) for b in sketch.bits(h, np.arange(h.size)))
            elif h.kind == "data":
                row[5], row[6] = MASK32, 0
            else:
                f = isa.fields[h.field]
                row[5], row[6] = f.mask, f.lo
        else:
            row[8] = SLOT_OP if h.slot == "op" else ROLES.index(h.slot)
            if h.values is not None:
                row[2] = len(vt)
                vt.extend(h.values)
    gt = np.full((len(groups), G_FIX + len(ROLES)), -1, dtype=np.int64)
    ct_rows = []
    op_lo = isa.fields["op"].lo
    for g in groups:
        gt[g.index, :3] = [g.op_hole, len(ct_rows), len(g.choices)]
        for j, role in enumerate(ROLES):
            gt[g.index, G_ROLE + j] = g.role_holes.get(role, -1)
            gt[g.index, G_FIX + j] = g.fixed.get(role, 0)
        for k in range(len(g.choices)):
            ct_rows.append([int(g.opcodes[k]) << op_lo, int(g.imm_mask[k]),
                            *map(int, g.uses[k])])
    ct = np.asarray(ct_rows, dtype=np.int64).reshape(-1, 2 + len(ROLES))
    ut = np.zeros((len(addrs), 6), dtype=np.int64)
    uh: list[int] = []
    classes: dict[tuple, int] = {}
    for u, a in enumerate(addrs):
        holes = by_addr[a]
        sig = tuple((sketch.holes[i].kind, sketch.holes[i].field, sketch.holes[i].lo,
                     sketch.holes[i].size, sketch.holes[i].values, sketch.holes[i].choices)
                    for i in holes)
        g = unit_group.get(a, -1)
        key = (sig, groups[g].choices if g >= 0 else None)
        ut[u] = [a, int(sketch.words[a]), len(uh), len(holes), g,
                 classes.setdefault(key, len(classes))]
        uh.extend(holes)
    dec, fields = decode_tables()
    return ProgramTables(ht, ut, np.asarray(uh, dtype=np.int64), gt, ct,
                         np.asarray(bt, dtype=np.int64), np.asarray(vt, dtype=np.int64),
                         signed(sketch.words), dec, fields, int(sketch.image.entry))


@dataclass
class ExampleTables:
    EI: np.ndarray  # (E, 10) per example: status, input length, (offset, count) x 4
    PAIRS: np.ndarray  # (P, 2) presets, expected registers, memory cells, output words
    ER: np.ndarray  # (E, 16) registers at the start (signed)
    EIN: np.ndarray  # (E, L) input streams (signed), L >= 1
    cfg: np.ndarray  # (5,) memory words, entry, max cycles, max output, output buffer
    pen: np.ndarray  # (3,) status, output length and misalignment penalties

    @property
    def arrays(self) -> tuple:
        return self.EI, self.PAIRS, self.ER, self.EIN, self.cfg, self.pen


def example_tables(examples: Sequence[Example], mem_words: int, max_cycles: int, entry: int,
                   max_out: int = DEFAULT_MAX_OUT,
                   penalties: tuple[int, int, int] = (STATUS_PENALTY, LENGTH_PENALTY,
                                                     MISALIGN_PENALTY)
                   ) -> ExampleTables:
    e_count = len(examples)
    ei = np.zeros((e_count, E_NXO + 1), dtype=np.int64)
    er = np.zeros((e_count, NREGS), dtype=np.int64)
    er[:, load_isa().aliases["sp"]] = mem_words
    width = max([len(ex.inp.input) for ex in examples] + [1])
    ein = np.zeros((e_count, width), dtype=np.int64)
    pairs: list[tuple[int, int]] = []
    cap = 1
    for e, ex in enumerate(examples):
        inp, want = ex.inp, ex.expect
        for reg, value in inp.set.items():
            if reg:
                er[e, reg] = value
        ein[e, : len(inp.input)] = signed(list(inp.input)) if inp.input else 0
        ei[e, 0] = -1 if want.status is None else STATUS_NAMES.index(want.status)  # -1: any
        ei[e, 1] = len(inp.input)
        parts = [list(inp.mem.items()), list(want.regs.items()), list(want.mem.items()),
                 list(enumerate(want.out)) if want.out is not None else []]
        for j, part in enumerate(parts):
            ei[e, 2 + 2 * j] = len(pairs)
            ei[e, 3 + 2 * j] = len(part)
            pairs.extend(part)
        if want.out is None:
            ei[e, E_NXO] = -1
        else:
            cap = max(cap, len(want.out) + 1)
    pa = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    pa[:, 1] = signed(pa[:, 1])
    er = signed(er)
    cfg = np.asarray([mem_words, entry, max_cycles, max_out, cap], dtype=np.int64)
    return ExampleTables(ei, pa, er, ein, cfg, np.asarray(penalties, dtype=np.int64))
