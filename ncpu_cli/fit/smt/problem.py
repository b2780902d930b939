"""A sketch, its ISA facts and its examples as plain picklable data for a solver process.

``program_of(sketch)`` reads the Sketch (hole table, groups, base words) once in the
parent; the worker builds terms from these tuples without numpy or the assembler.
Each hole becomes one variable: its candidate index k (0..size-1), exactly the
filling's entry, and the word a filling makes follows the same rules as
``Sketch.fill`` (``op << 26`` | each field's bits; an instruction hole's used roles).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ncpu_cli.isa import MASK32, load_isa

ROLES = ("rd", "ra", "rb", "imm", "target")
BRANCHY = ("branch", "jal", "jalr")  # classes that may set pc to something but pc + 1


@dataclass(frozen=True)
class OpFacts:
    opcode: int
    name: str
    cls: str  # halt alu alui li lui load store jal jalr branch in out
    fn: str | None  # ALU function or branch condition


@dataclass(frozen=True)
class HoleVar:
    index: int
    kind: str  # register | mnemonic | imm | data | target
    address: int
    field: str  # rd ra rb op imm14 imm22 word, or a role (group sub-holes)
    lo: int
    size: int
    values: tuple[int, ...] | None = None  # register subsets; mnemonic holes: opcodes
    group: int | None = None


@dataclass(frozen=True)
class GroupVar:
    address: int
    op_hole: int
    opcodes: tuple[int, ...]  # (K,)
    uses: tuple[tuple[bool, ...], ...]  # (K, 5) over ROLES
    imm_mask: tuple[int, ...]  # (K,) 0 (none), 0x3FFF or 0x3FFFFF
    role_holes: dict[str, int]
    fixed: dict[str, int]


@dataclass(frozen=True)
class Program:
    """A program image with holes (no holes: a plain program) and its machine."""

    words: tuple[int, ...]  # (L,) image words, hole bits 0
    holes: tuple[HoleVar, ...] = ()
    groups: tuple[GroupVar, ...] = ()
    entry: int = 0
    mem_words: int = 1024
    max_cycles: int = 10_000
    max_out: int = 4096

    def opcodes_at(self, addr: int) -> tuple[int, ...] | None:
        """The opcodes the word at `addr` may have (None: any word, a data hole)."""
        if not 0 <= addr < len(self.words):
            return None
        for g in self.groups:
            if g.address == addr:
                return tuple(sorted(set(g.opcodes)))
        ops = None
        for h in self.holes:
            if h.address == addr and h.group is None:
                if h.kind == "data":
                    return None
                if h.kind == "mnemonic":
                    ops = tuple(sorted(set(h.values or ())))
        return ops if ops is not None else ((self.words[addr] >> 26) & 0x3F,)


@dataclass(frozen=True)
class Case:
    """One run's inputs and what it must end with (expect None: compare nothing)."""

    regs: dict[int, int] = field(default_factory=dict)
    input: tuple[int, ...] = ()
    mem: dict[int, int] = field(default_factory=dict)
    status: str | None = "halted"  # halted | fault | timeout | None (any)
    out: tuple[int, ...] | None = None
    want_regs: dict[int, int] = field(default_factory=dict)
    want_mem: dict[int, int] = field(default_factory=dict)


def isa_facts() -> dict[int, OpFacts]:
    isa = load_isa()
    return {o.opcode: OpFacts(o.opcode, o.name, o.cls, o.fn) for o in isa.ops}


def case_of(example) -> Case:
    """A spec Example (inp: set/input/mem, expect: out/regs/mem/status) as a Case."""
    inp, exp = example.inp, example.expect
    return Case(dict(inp.set), tuple(v & MASK32 for v in inp.input), dict(inp.mem),
                exp.status, None if exp.out is None else tuple(v & MASK32 for v in exp.out),
                {r: v & MASK32 for r, v in exp.regs.items()},
                {a: v & MASK32 for a, v in exp.mem.items()})


def program_of(sketch, max_cycles: int, max_out: int = 4096) -> Program:
    """The Program of a Sketch (duck-typed: holes, groups, words, image, mem_words)."""
    isa = load_isa()
    length = len(sketch.image.words)
    words = tuple(int(w) & MASK32 for w in sketch.words[:length])
    holes = []
    for h in sketch.holes:
        values = h.values
        if h.kind == "mnemonic":
            values = tuple(isa.op(c).opcode if c != "nop" else isa.op("add").opcode
                           for c in h.choices)
        holes.append(HoleVar(h.index, h.kind, h.address, h.field, h.lo, h.size,
                             None if values is None else tuple(int(v) for v in values),
                             h.group))
    groups = tuple(GroupVar(g.address, g.op_hole, tuple(int(c) for c in g.opcodes),
                            tuple(tuple(bool(u) for u in row) for row in g.uses),
                            tuple(int(m) for m in g.imm_mask), dict(g.role_holes),
                            {r: int(v) for r, v in g.fixed.items()})
                   for g in getattr(sketch, "groups", ()))
    return Program(words, tuple(holes), groups, int(sketch.image.entry),
                   int(sketch.mem_words), int(max_cycles), int(max_out))


def plain_program(words, entry: int, mem_words: int, max_cycles: int,
                  max_out: int = 4096) -> Program:
    """A program without holes (a filled sketch, a reference)."""
    return Program(tuple(int(w) & MASK32 for w in words), (), (), int(entry), int(mem_words),
                   int(max_cycles), int(max_out))


def _target_candidates(prog: Program, addr: int) -> list[int] | None:
    """Every target a branch or jump at `addr` may take (None: unknown, e.g. jalr)."""
    ops = prog.opcodes_at(addr)
    facts = isa_facts()
    if ops is None:
        return None
    out: list[int] = []
    word = prog.words[addr]
    for g in prog.groups:
        if g.address == addr:
            for k, opc in enumerate(g.opcodes):
                f = facts.get(opc)
                if f is None or f.cls not in BRANCHY:
                    continue
                if f.cls == "jalr":
                    return None
                role = "target"
                if role in g.fixed:
                    out.append(g.fixed[role] & g.imm_mask[k])
                elif role in g.role_holes:
                    h = prog.holes[g.role_holes[role]]
                    vals = h.values or range(h.lo, h.lo + h.size)
                    if len(vals) > 4096:
                        return None
                    out.extend(v & g.imm_mask[k] for v in vals)
            return out
    for opc in ops:
        f = facts.get(opc)
        if f is None or f.cls not in BRANCHY:
            continue
        if f.cls == "jalr":
            return None
        wide = f.cls == "jal"
        mask = 0x3FFFFF if wide else 0x3FFF
        imm_holes = [h for h in prog.holes if h.address == addr and h.kind in ("imm", "target")]
        if not imm_holes:
            out.append(word & mask)
            continue
        for h in imm_holes:
            if h.size > 4096:
                return None
            out.extend(((h.lo + k) & mask) for k in range(h.size))
    return out


def loop_free(prog: Program) -> bool:
    """No branch or jump can go to its own address or before (and no jalr): every run
    visits increasing addresses, so it stops within len(words) + 1 cycles."""
    for addr in range(len(prog.words)):
        targets = _target_candidates(prog, addr)
        if targets is None:
            if prog.opcodes_at(addr) is None:
                continue  # a data hole: executing it is outside what the encoding handles
            return False
        if any(t <= addr for t in targets):
            return False
    return True
