"""The symbolic ncpu32 machine: one run unrolled cycle by cycle (ISA.md semantics).

State is fresh each cycle (registers, memory, pc, streams, status flags), built with
``terms.Ctx`` so that whatever the holes do not touch stays a Python int.  pc is a
32-bit value plus ``pcs``, the set of addresses it can hold (None: unknown); a cycle
executes the instruction of each address pc can hold, merged by ``pc == a``, with an
ALU restricted to the opcodes there (an I-form folds into its R-form: one operand mux).
While pc is known that is a straight line: one instruction per cycle.

Outside the encoding (flag ``unsup``): executing a word the encoding cannot decode
(a data hole, a word a store made unknown). A run with ``unsup`` set stops there; the
caller either forbids it (searching) or lets it pass anything (proving UNSAT), so
neither answer is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ncpu_cli.fit.smt.problem import OpFacts, Program
from ncpu_cli.fit.smt.terms import Ctx, Flag, Val

FIELDS = {"op": (31, 26), "rd": (25, 22), "ra": (21, 18), "rb": (17, 14),
          "imm14": (13, 0), "imm22": (21, 0)}
WRITES = ("alu", "alui", "li", "lui", "load", "jal", "jalr", "in")
BRANCH = {"eq": lambda c, a, b: c.eq(a, b), "ne": lambda c, a, b: c.not_(c.eq(a, b)),
          "lt": lambda c, a, b: c.slt(a, b), "ge": lambda c, a, b: c.not_(c.slt(a, b)),
          "ltu": lambda c, a, b: c.ult(a, b), "geu": lambda c, a, b: c.not_(c.ult(a, b))}
ALU = {"add": Ctx.add, "sub": Ctx.sub, "mul": Ctx.mul, "div": Ctx.div, "rem": Ctx.rem,
       "and": Ctx.and_, "or": Ctx.or_, "xor": Ctx.xor, "shl": Ctx.shl, "shr": Ctx.shr,
       "sar": Ctx.sar, "slt": lambda c, a, b: c.bit(c.slt(a, b)),
       "sltu": lambda c, a, b: c.bit(c.ult(a, b))}
PCS_MAX = 64  # more possible pc values than this: pc is "any address"


@dataclass
class Dec:
    """One word as fields (each a Val of the field's width) and the opcodes it may have."""

    f: dict[str, Val]
    ops: tuple[int, ...]
    unsup: Flag = False  # executing it is outside the encoding when this holds


@dataclass
class State:
    pc: Val
    pcs: frozenset | None
    regs: list[Val]
    cells: dict[int, Val] | None  # memory while every store address is known
    arr: object | None  # else a bitwuzla array (32 -> 32)
    dirty: dict[int, Flag]  # image addresses a store may have changed
    in_pos: Val
    out: list[Val]
    out_len: Val
    run: Flag = True
    halted: Flag = False
    fault: Flag = False
    unsup: Flag = False
    cycles: int = 0
    extra: dict = field(default_factory=dict)


def split(ctx: Ctx, base: int, parts: list[tuple[Val, int]]) -> dict[str, Val]:
    """Fields of the word base | parts (each part: a 32-bit Val and the bits it may set)."""
    out = {}
    for name, (hi, lo) in FIELDS.items():
        m = ((1 << (hi - lo + 1)) - 1) << lo
        v: Val = (base & m) >> lo
        for term, bits in parts:
            if bits & m:
                v = ctx.or_(v, ctx.extract(term, hi, lo), hi - lo + 1)
        out[name] = v
    return out


class Machine:
    """Unrolls one run of `prog` whose image words are `base | parts` (see encode)."""

    def __init__(self, ctx: Ctx, prog: Program, facts: dict[int, OpFacts],
                 parts: list[list[tuple[Val, int]]], out_cap: int):
        self.c, self.p, self.facts = ctx, prog, facts
        self.n, self.length = prog.mem_words, len(prog.words)
        self.out_cap = out_cap
        self.image_dec: list[Dec] = []
        self.image_words: list[Val] = []
        for a, w in enumerate(prog.words):
            ops = prog.opcodes_at(a)
            word: Val = w
            for term, _ in parts[a]:
                word = ctx.or_(word, term)
            self.image_words.append(word)
            if ops is None:
                self.image_dec.append(self.dec_word(word))
            else:
                self.image_dec.append(Dec(split(ctx, w, parts[a]), ops))

    # -- reset ---------------------------------------------------------------------------
    def reset(self, regs: dict[int, Val], inp: tuple, mem: dict[int, Val]) -> State:
        r: list[Val] = [0] * 16
        r[15] = self.n
        for k, v in regs.items():
            if k:
                r[k] = v
        cells = {a: w for a, w in enumerate(self.image_words) if not isinstance(w, int) or w}
        patched: dict[int, Flag] = {}
        for a, v in mem.items():
            cells[a] = v
            if a < self.length:
                patched[a] = True  # an example's memory over the image: decode what is there
        st = State(self.p.entry, frozenset([self.p.entry]), r, cells, None, patched, 0, [], 0)
        st.extra["input"] = tuple(inp)
        return st

    # -- memory --------------------------------------------------------------------------
    def load(self, st: State, addr: Val) -> Val:
        c = self.c
        if st.arr is not None:
            return c.mk(c.K.ARRAY_SELECT, [st.arr, c.term(addr, 32)])
        if isinstance(addr, int):
            return st.cells.get(addr, 0)
        return c.select([(c.eq(addr, a), v) for a, v in st.cells.items()], 0)

    def store(self, st: State, addr: Val, value: Val, guard: Flag) -> None:
        c = self.c
        if isinstance(guard, bool) and not guard:
            return
        if st.arr is None and isinstance(addr, int):
            st.cells[addr] = c.ite(guard, value, st.cells.get(addr, 0))
            if addr < self.length:
                st.dirty[addr] = c.any(st.dirty.get(addr, False), guard)
            return
        if st.arr is None:  # an unknown address: memory becomes an array
            sort = c.tm.mk_array_sort(c.sort(32), c.sort(32))
            arr = c.tm.mk_const_array(sort, c.term(0, 32))
            for a, v in st.cells.items():
                arr = c.mk(c.K.ARRAY_STORE, [arr, c.term(a, 32), c.term(v, 32)])
            st.arr, st.cells = arr, None
        new = c.mk(c.K.ARRAY_STORE, [st.arr, c.term(addr, 32), c.term(value, 32)])
        st.arr = c.ite(guard, new, st.arr)
        for a in range(self.length):
            st.dirty[a] = c.any(st.dirty.get(a, False), c.all(guard, c.eq(addr, a)))

    # -- fetch ---------------------------------------------------------------------------
    def dec_word(self, word: Val) -> Dec:
        """A word known only as a value: exact when known; a symbolic word is a halt when
        it is 0 and outside the encoding otherwise."""
        f = {k: self.c.extract(word, hi, lo) for k, (hi, lo) in FIELDS.items()}
        if isinstance(word, int):
            return Dec(f, (f["op"],))
        return Dec(f, (0,), self.c.not_(self.c.eq(word, 0)))

    def dec_at(self, st: State, a: int) -> Dec:
        d = st.dirty.get(a, False)
        if a >= self.length or d is True:
            return self.dec_word(self.load(st, a))
        img = self.image_dec[a]
        if d is False:
            return img
        return replace(img, unsup=self.c.any(img.unsup, d))

    def fetch(self, st: State) -> Dec:
        c = self.c
        if isinstance(st.pc, int):
            return self.dec_at(st, st.pc)
        cands = sorted(st.pcs) if st.pcs is not None else sorted(
            set(range(self.length)) | set(st.cells or ()))
        decs = [(c.eq(st.pc, a), self.dec_at(st, a)) for a in cands if a < self.n]
        if st.pcs is None and (st.arr is not None):
            default = self.dec_word(self.load(st, st.pc))
        elif st.pcs is None:
            default = Dec({k: 0 for k in FIELDS}, (0,))  # memory 0 there: halt
        else:
            (_, default), decs = decs[-1], decs[:-1]
        f = {k: c.select([(g, d.f[k]) for g, d in decs], default.f[k], hi - lo + 1)
             for k, (hi, lo) in FIELDS.items()}
        ops = set(default.ops).union(*(d.ops for _, d in decs))
        unsup = c.any(default.unsup if not decs else c.all(
            c.not_(c.any(*(g for g, _ in decs))), default.unsup),
            *(c.all(g, d.unsup) for g, d in decs))
        return Dec(f, tuple(sorted(ops)), unsup)

    def successors(self, st: State) -> frozenset | None:
        """Addresses pc can hold after this cycle (None: unknown)."""
        if st.pcs is None:
            return None
        out: set[int] = set()
        for a in st.pcs:
            out.update((a, a + 1))
            d = self.dec_at(st, a)
            for opc in d.ops:
                cls = self.facts[opc].cls if opc in self.facts else "illegal"
                if cls in ("branch", "jal"):
                    t = d.f["imm14" if cls == "branch" else "imm22"]
                    if not isinstance(t, int):
                        return None
                    out.add(t)
                elif cls == "jalr":
                    ra, imm = d.f["ra"], d.f["imm14"]
                    if not isinstance(ra, int) or not isinstance(imm, int):
                        return None
                    base = st.regs[ra]
                    if not isinstance(base, int):
                        return None
                    out.add(self.c.add(base, self.c.sext(imm, 14, 32)))
        out = {a for a in out if a < self.n}
        return frozenset(out) if len(out) <= PCS_MAX else None

    # -- one cycle -----------------------------------------------------------------------
    def reg(self, st: State, idx: Val) -> Val:
        return st.regs[idx] if isinstance(idx, int) else self.c.lookup(idx, st.regs, 32, 4)

    def step(self, st: State) -> State:
        c, facts = self.c, self.facts
        d = self.fetch(st)
        f = d.f
        single = len(d.ops) == 1
        is_ = {x: True if single else c.eq(f["op"], x, 6) for x in d.ops}
        by_cls: dict[str, list[int]] = {}
        for x in d.ops:
            by_cls.setdefault(facts[x].cls if x in facts else "illegal", []).append(x)

        def cls(name: str) -> Flag:
            return c.any(*(is_[x] for x in by_cls.get(name, ())))

        need_b = any(k in by_cls for k in ("alu", "store", "branch"))
        a = self.reg(st, f["ra"])
        b = self.reg(st, f["rb"]) if need_b else 0
        s14 = c.sext(f["imm14"], 14, 32)
        ea = c.add(a, s14)
        # ALU: each function once, the I-form's immediate muxed into the R-form's operand
        fns: dict[str, list[Flag]] = {}  # fn -> [R-form chosen, I-form chosen]
        for k in ("alu", "alui"):
            for x in by_cls.get(k, ()):
                pair = fns.setdefault(facts[x].fn, [False, False])
                pair[k == "alui"] = c.any(pair[k == "alui"], is_[x])
        table = []
        for fn, (r_form, i_form) in fns.items():
            operand = s14 if r_form is False else b if i_form is False else c.ite(i_form, s14, b)
            table.append((c.any(r_form, i_form), ALU[fn](c, a, operand)))
        pc1 = c.add(st.pc, 1)
        inp = st.extra["input"]
        if "in" in by_cls:
            vals = list(inp) + [0]
            pos = st.in_pos
            in_val = (vals[min(pos, len(inp))] if isinstance(pos, int) else c.select(
                [(c.eq(pos, i), v) for i, v in enumerate(inp)], 0))
            table.append((cls("in"), in_val))
        table += [(cls("li"), c.sext(f["imm22"], 22, 32)),
                  (cls("lui"), c.shl(c.zext(f["imm22"], 22, 32), 10)),
                  (c.any(cls("jal"), cls("jalr")), pc1)]
        mem_op = c.any(cls("load"), cls("store"))
        addr_ok = c.ult(ea, self.n) if mem_op is not False else True
        if "load" in by_cls:
            table.append((cls("load"), self.load(st, c.ite(addr_ok, ea, 0))))
        table = [(g, v) for g, v in table if g is not False]
        value = c.select(table[:-1], table[-1][1]) if table else 0
        write = c.any(*(cls(k) for k in WRITES))
        # next pc and faults
        cond = c.any(*(c.all(is_[x], BRANCH[facts[x].fn](c, a, b))
                       for x in by_cls.get("branch", ())))
        npc = c.select([(cond, c.zext(f["imm14"], 14, 32)),
                        (cls("jal"), c.zext(f["imm22"], 22, 32)),
                        (cls("jalr"), ea)], pc1)
        halt = cls("halt")
        out_full = c.all(cls("out"), c.not_(c.ult(st.out_len, self.p.max_out)))
        bad = c.any(cls("illegal"), c.all(mem_op, c.not_(addr_ok)), out_full,
                    c.not_(c.ult(npc, self.n)))
        live = c.all(st.run, c.not_(d.unsup))
        go = c.all(live, c.not_(halt), c.not_(bad))
        new = State(c.ite(go, npc, st.pc), None, list(st.regs),
                    dict(st.cells) if st.cells is not None else None, st.arr, dict(st.dirty),
                    st.in_pos, list(st.out), st.out_len, go,
                    c.any(st.halted, c.all(live, halt)),
                    c.any(st.fault, c.all(live, c.not_(halt), bad)),
                    c.any(st.unsup, c.all(st.run, d.unsup)), st.cycles + 1, st.extra)
        wr = c.all(go, write)
        if wr is not False:
            rd = f["rd"]
            targets = [rd] if isinstance(rd, int) else range(16)
            for r in targets:
                if r:
                    g = wr if isinstance(rd, int) else c.all(wr, c.eq(rd, r, 4))
                    new.regs[r] = c.ite(g, value, new.regs[r])
        if "store" in by_cls:
            self.store(new, ea, b, c.all(go, cls("store")))
        if "in" in by_cls:
            new.in_pos = c.ite(c.all(go, cls("in")), c.add(st.in_pos, 1), st.in_pos)
        if "out" in by_cls:
            self.emit(new, a, c.all(go, cls("out")))
        new.pcs = self.successors(st)
        if new.pcs is not None and len(new.pcs) == 1:
            new.pc = next(iter(new.pcs))
        elif isinstance(new.pc, int):
            new.pcs = frozenset([new.pc])
        return new

    def emit(self, st: State, value: Val, guard: Flag) -> None:
        c = self.c
        if isinstance(guard, bool) and not guard:
            return
        n = st.out_len
        if isinstance(n, int):
            if n < self.out_cap:
                st.out.append(c.ite(guard, value, 0))
        else:
            while len(st.out) < self.out_cap:
                st.out.append(0)
            for j in range(self.out_cap):
                st.out[j] = c.ite(c.all(guard, c.eq(n, j)), value, st.out[j])
        st.out_len = c.ite(guard, c.add(n, 1), n)

    def run(self, st: State, cycles: int, budget: int | None = None) -> State:
        """At most `cycles` cycles (fewer once every path has stopped)."""
        for _ in range(min(cycles, self.p.max_cycles)):
            if st.run is False:
                break
            st = self.step(st)
            if budget is not None and self.c.nodes > budget:
                raise TooLarge(f"the encoding passed {budget:,} terms at cycle {st.cycles}")
        return st

    def out_value(self, st: State, j: int) -> Val:
        return st.out[j] if j < len(st.out) else 0


class TooLarge(Exception):
    """The encoding outgrew its size limit."""
