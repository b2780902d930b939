"""Hole variables, the words they make, and the formula of one query.

One variable per hole: its candidate index k (a bit-vector, ``k < size``), so a
model is literally a filling (H,).  A hole's bits follow ``Sketch.fill``: a mnemonic
hole puts its opcode in bits 31..26, a register hole its number in its field, an
immediate/target hole ``(lo + k) & mask`` in its field, a data hole ``lo + k`` in the
whole word; an instruction hole (group) puts ``opcode << 26`` and the fields of the
roles the chosen mnemonic uses (``instruction.group_words``).

A query is a conjunction over cases (examples) of "this run ends as expected".
``mode="search"`` forbids runs that leave the encoding (``unsup``): a SAT answer is
a candidate for the exact check.  ``mode="prove"`` lets such runs, and runs still
going at the bound, pass anything: an UNSAT answer then means no filling meets the
cases (an over-approximation of every filling's behaviour).
"""

from __future__ import annotations

from ncpu_cli.fit.smt.machine import FIELDS, Machine, State
from ncpu_cli.fit.smt.problem import Case, OpFacts, Program
from ncpu_cli.fit.smt.terms import Ctx, Flag, Val

M32 = 0xFFFF_FFFF
DEFAULT_BUDGET = 2_000_000  # terms one query may build
ROLE_FIELD = {"rd": "rd", "ra": "ra", "rb": "rb"}


def _mask(name: str) -> int:
    hi, lo = FIELDS[name]
    return ((1 << (hi - lo + 1)) - 1) << lo


class Encoder:
    """The hole variables of `prog` and the Machine that runs its words."""

    def __init__(self, ctx: Ctx, prog: Program, facts: dict[int, OpFacts]):
        self.c, self.p, self.facts = ctx, prog, facts
        self.vars = []  # (H,) candidate-index terms
        self.domain: list[Flag] = []
        for h in prog.holes:
            w = max(1, (h.size - 1).bit_length())
            k = ctx.var(f"hole{h.index}", w)
            self.vars.append(k)
            if h.size < (1 << w):
                self.domain.append(ctx.ult(k, h.size, w))
        parts: list[list[tuple[Val, int]]] = [[] for _ in prog.words]
        for h in prog.holes:
            if h.group is None:
                parts[h.address].append(self._bits(h))
        for g in prog.groups:
            parts[g.address].append((self._group_word(g), M32))
        self.machine = Machine(ctx, prog, facts, parts, 0)

    # -- hole values -----------------------------------------------------------------------
    def width(self, i: int) -> int:
        return self.vars[i].sort().bv_size()

    def value32(self, i: int) -> Val:
        """Hole i's value (register number, immediate, word) as a 32-bit word."""
        h, k, c = self.p.holes[i], self.vars[i], self.c
        w = self.width(i)
        if h.values is not None:
            return c.lookup(k, [v & M32 for v in h.values], 32, w)
        k32 = c.extract(k, 31, 0) if w > 32 else c.zext(k, w, 32)
        return c.add(h.lo & M32, k32)

    def _bits(self, h) -> tuple[Val, int]:
        c = self.c
        if h.kind == "mnemonic":
            opc = c.lookup(self.vars[h.index], list(h.values), 6, self.width(h.index))
            return c.shl(c.zext(opc, 6, 32), 26), _mask("op")
        v = self.value32(h.index)
        if h.kind == "data":
            return v, M32
        hi, lo = FIELDS[h.field]
        m = (1 << (hi - lo + 1)) - 1
        return c.shl(c.and_(v, m), lo), m << lo

    def _group_word(self, g) -> Val:
        c = self.c
        k = self.vars[g.op_hole]
        words = []
        for j, opc in enumerate(g.opcodes):
            word: Val = opc << 26
            for r, role in enumerate(("rd", "ra", "rb", "imm", "target")):
                if not g.uses[j][r]:
                    continue
                if role in g.role_holes:
                    v = self.value32(g.role_holes[role])
                elif role in g.fixed:
                    v = g.fixed[role] & M32
                else:
                    continue
                if role in ROLE_FIELD:
                    bits = c.shl(c.and_(v, 0xF), FIELDS[role][1])
                else:
                    bits = c.and_(v, g.imm_mask[j])
                word = c.or_(word, bits)
            words.append(word)
        return c.lookup(k, words, 32, self.width(g.op_hole))

    # -- runs ------------------------------------------------------------------------------
    def run_case(self, case: Case, cycles: int, regs=None, inp=None, mem=None,
                 out_cap: int | None = None) -> State:
        """The state after running `case` (inputs may be replaced by symbolic ones); the
        output stream is kept up to `out_cap` words (default: as many as it expects)."""
        if out_cap is None:
            out_cap = len(case.out) if case.out is not None else 0
        self.machine.out_cap = out_cap
        st = self.machine.reset(case.regs if regs is None else regs,
                                case.input if inp is None else inp,
                                case.mem if mem is None else mem)
        return self.machine.run(st, cycles, budget=self.budget)

    budget: int | None = None


def outcome(c: Ctx, m: Machine, st: State, case: Case, cycles: int) -> tuple[Flag, Flag]:
    """(ok, incomplete): the run ended as `case` expects; it may still run at the bound."""
    exact_bound = cycles >= m.p.max_cycles
    incomplete = False if exact_bound else st.run
    status = {"halted": st.halted, "fault": st.fault, "timeout": st.run,
              None: True}[case.status]
    conds = [status]
    for r, v in case.want_regs.items():
        conds.append(c.eq(st.regs[r], v))
    for a, v in case.want_mem.items():
        conds.append(c.eq(m.load(st, a), v))
    if case.out is not None:
        conds.append(c.eq(st.out_len, len(case.out)))
        conds += [c.eq(m.out_value(st, j), v) for j, v in enumerate(case.out)]
    return c.all(*conds), incomplete


def case_formula(enc: Encoder, case: Case, cycles: int, mode: str) -> tuple[Flag, dict]:
    """The formula "this run ends as expected" and what it may leave out."""
    c = enc.c
    st = enc.run_case(case, cycles)
    ok, incomplete = outcome(c, enc.machine, st, case, cycles)
    info = {"unsup": st.unsup is not False, "incomplete": incomplete is not False,
            "cycles": st.cycles}
    if mode == "search":
        return c.all(c.not_(st.unsup), ok), info
    return c.any(st.unsup, incomplete, ok), info
