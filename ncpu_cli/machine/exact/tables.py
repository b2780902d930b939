"""Decode tables for the exact executor, built from the opcode table (isa/ncpu32.yaml).

The exact machine computes, every cycle and for every program, a fixed set of
candidate values (the rows of `V`, below) and then picks per program what its
opcode asks for. Which candidates (the value written, the branch condition /
primary stop, the state row written: rd, the store address or the output slot,
the next-pc target) and which positions advance comes from one packed int32 word
per opcode value (`packed_table`, looked up once per cycle).
Nothing here spells an opcode number: every entry is derived from `Op.cls` /
`Op.fn` of isa/ncpu32.yaml, and field positions from its `fields`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ncpu_cli.isa import Isa, load_isa
from ncpu_cli.machine.config import MAX_MEM_WORDS

INT_MIN = -(2**31)

# -- candidate value rows (V is (V_COUNT, B) int32) ---------------------------
# Every cycle computes all of these for every program; the opcode picks.
V_NAMES = (
    "link",  # pc + 1: the value jal/jalr write, and the next pc when not taken (row 0)
    "add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr", "sar",
    "eq", "lt", "ltu",  # a == y, a < y signed, a < y unsigned
    "ne", "ge", "geu",  # their negations (one op on three rows)
    "load",  # mem[a + imm] (clamped address; faults are decided separately)
    "in",    # next input word (0 at end of input)
    # decoded fields of the fetched word, two stacked ops per group (see FIELD_ROWS)
    "imm", "li", "lui", "op", "rd", "rb", "ra", "btarget",
    "zero", "one",  # constants
    "halt2", "opcode2", "pause2",  # constants: 2 * stop code
    "address2", "full2",  # 2 * stop code when the ld/st address / the output is bad
    "strow", "outrow",  # state rows a store / an out writes: memory[address], output[out_len]
    "b", "a",  # the operand registers (one gather)
    "y",  # the second operand: the immediate or b
)
V = {name: i for i, name in enumerate(V_NAMES)}
V_COUNT = len(V_NAMES)
FIELD_SHIFTED = ("imm", "li", "lui")  # (w << left) >> right: signed, or moved to the top
FIELD_MASKED = ("op", "rd", "rb", "ra", "btarget")  # (w >> lo) & mask: unsigned
FIELD_ROWS = FIELD_SHIFTED + FIELD_MASKED
assert V_NAMES[V["imm"]: V["imm"] + len(FIELD_ROWS)] == FIELD_ROWS
assert V["a"] == V["b"] + 1 and V["y"] == V["a"] + 1 and V["ra"] == V["rb"] + 1
assert V["link"] == 0  # npc index = taken * target_row * B + arange
assert V_NAMES[V["eq"]: V["eq"] + 6] == ("eq", "lt", "ltu", "ne", "ge", "geu")

# ALU fn (isa `fn` of classes alu / alui) -> value row
ALU_FN = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "rem": "rem", "and": "and",
    "or": "or", "xor": "xor", "shl": "shl", "shr": "shr", "sar": "sar", "slt": "lt",
    "sltu": "ltu",
}
# branch fn -> condition row
BRANCH_FN = {"eq": "eq", "ne": "ne", "lt": "lt", "ge": "ge", "ltu": "ltu", "geu": "geu"}

# -- stop codes (the `code` state tensor) ----------------------------------------
# A target fault has the smallest code, so max(primary, target) gives ISA.md's
# priority: every primary stop (halt, opcode, address, output-full) outranks it.
C_RUNNING, C_TARGET, C_HALT, C_OPCODE, C_ADDRESS, C_OUTPUT_FULL, C_TIMEOUT, C_PAUSE = range(8)
CODE_NAMES = ("running", "target", "halt", "opcode", "address", "output-full", "timeout",
              "pause")
# `pause` never reaches a result: a step built without some feature (FEATURES below) stops
# a program, uncommitted, at an instruction that needs it, and the machine then starts
# the whole run again with every feature.
# Rows holding a primary stop carry 2 * code: the condition row of every opcode is
# read both as "taken" (0/1 for branches, 1 for jal/jalr) and, shifted right by
# one, as the primary stop code (0 for 0 and 1). Opcodes that can stop this way
# always go to pc + 1 (target row = link), so their "taken" value is irrelevant.
V_CONSTANT = {"zero": 0, "one": 1, "halt2": 2 * C_HALT, "opcode2": 2 * C_OPCODE,
              "pause2": 2 * C_PAUSE}

# -- optional features: parts of the step a run leaves out when no word of its images
# (and memory patches) is an instruction that needs them --------------------------------
FEATURES = ("div", "in", "out")  # the div/rem candidates; the input / output stream

# -- the packed per-opcode word P (one table lookup per cycle) ----------------------
# Writing a register, storing and `out` exclude each other, so one write serves all
# three: the value row (b for a store, a for out) goes to the state row that the
# write-row selector picks (rd, strow, outrow; zero, i.e. r0, when nothing is written).
P_VSEL, P_CSEL, P_WSEL, P_TROW = 0, 6, 12, 18  # 6-bit row numbers: value, condition,
P_IMM = 24  # write row, target; 1: second operand y is the signed immediate, else rb
P_IN, P_OUT = 25, 26  # the input / output position advances
ROW_BITS = 6
assert V_COUNT <= 1 << ROW_BITS

# class -> (value row, condition row, target row)
_CLASS_ROWS = {
    "halt": ("zero", "halt2", "link"),
    "li": ("li", "zero", "link"),
    "lui": ("lui", "zero", "link"),
    "load": ("load", "address2", "link"),
    "store": ("b", "address2", "link"),
    "jal": ("link", "one", "li"),  # its target, read signed (see decoding())
    "jalr": ("link", "one", "add"),
    "in": ("in", "zero", "link"),
    "out": ("a", "full2", "link"),
}
_IMM_CLASSES = {"alui", "load", "store", "jalr"}  # y = signed immediate
_WRITES = {"alu", "alui", "li", "lui", "load", "jal", "jalr", "in"}


@dataclass(frozen=True)
class OpcodeRow:
    """What the exact machine does for one opcode value."""

    vsel: str = "zero"
    csel: str = "opcode2"
    trow: str = "link"
    imm: int = 0
    we: int = 0
    st: int = 0
    isin: int = 0
    isout: int = 0

    @property
    def wsel(self) -> str:
        """The state row written: rd, the store address, the output slot, or r0 (nothing)."""
        return "rd" if self.we else "strow" if self.st else "outrow" if self.isout else "zero"

    def packed(self) -> int:
        assert self.we + self.st + self.isout <= 1, "one write per instruction"
        return (V[self.vsel] << P_VSEL | V[self.csel] << P_CSEL | V[self.wsel] << P_WSEL
                | V[self.trow] << P_TROW | self.imm << P_IMM | self.isin << P_IN
                | self.isout << P_OUT)


def needs(row: OpcodeRow) -> frozenset[str]:
    """The optional features (FEATURES) an opcode row uses."""
    return frozenset(name for name, used in (
        ("div", row.vsel in ("div", "rem")), ("in", bool(row.isin)), ("out", bool(row.isout)),
    ) if used)


def features_of(opcodes, isa: Isa | None = None) -> frozenset[str]:
    """The optional features that the given opcode values (ints) use."""
    rows = opcode_rows(isa)
    used: set[str] = set()
    for code in opcodes:
        used |= needs(rows[int(code)])
    return frozenset(used)


def opcode_rows(isa: Isa | None = None,
                features: frozenset[str] = frozenset(FEATURES)) -> list[OpcodeRow]:
    """One OpcodeRow per opcode value 0..2^width-1 (illegal opcodes included), for a step
    built with `features`: an opcode that needs another one pauses."""
    rows = _opcode_rows(isa or load_isa())
    return [r if needs(r) <= features else OpcodeRow(csel="pause2") for r in rows]


def _opcode_rows(isa: Isa) -> list[OpcodeRow]:
    rows = []
    for code in range(isa.fields["op"].mask + 1):
        op = isa.by_code.get(code)
        if op is None:
            rows.append(OpcodeRow())  # illegal: stops with `opcode`
            continue
        cls = op.cls
        if cls in ("alu", "alui"):
            if op.fn not in ALU_FN:
                raise ValueError(f"exact executor: unknown ALU fn {op.fn!r} ({op.name})")
            vsel, csel, trow = ALU_FN[op.fn], "zero", "link"
        elif cls == "branch":
            if op.fn not in BRANCH_FN:
                raise ValueError(f"exact executor: unknown branch fn {op.fn!r} ({op.name})")
            vsel, csel, trow = "zero", BRANCH_FN[op.fn], "btarget"
        elif cls in _CLASS_ROWS:
            vsel, csel, trow = _CLASS_ROWS[cls]
        else:
            raise ValueError(f"exact executor: unknown instruction class {cls!r} ({op.name})")
        rows.append(OpcodeRow(
            vsel=vsel, csel=csel, trow=trow, imm=int(cls in _IMM_CLASSES),
            we=int(cls in _WRITES), st=int(cls == "store"), isin=int(cls == "in"),
            isout=int(cls == "out"),
        ))
    return rows


def packed_table(isa: Isa | None = None,
                 features: frozenset[str] = frozenset(FEATURES)) -> list[int]:
    """P for every opcode value (index = opcode), for a step built with `features`."""
    return [r.packed() for r in opcode_rows(isa, features)]


@dataclass(frozen=True)
class FieldSlice:
    """How to read one field of an int32 word with shifts: (w << left) >> right
    (arithmetic) for a signed field, ((w >> lo) & mask) for an unsigned one."""

    lo: int
    hi: int

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1

    @property
    def left(self) -> int:
        return 31 - self.hi

    @property
    def right(self) -> int:
        return 32 - self.width


@dataclass(frozen=True)
class Decoding:
    """Field layout the exact step needs, read from Isa.fields and the ops' imm kinds."""

    op: FieldSlice
    rd: FieldSlice
    ra: FieldSlice
    rb: FieldSlice
    simm: FieldSlice      # signed immediate of alui/ld/st/jalr
    li: FieldSlice        # signed immediate of li
    lui: FieldSlice       # unsigned immediate of lui (placed in the top bits)
    btarget: FieldSlice   # unsigned branch target
    jtarget: FieldSlice   # unsigned jal target (the step reads it from the li row)
    registers: int


def decoding(isa: Isa | None = None) -> Decoding:
    isa = isa or load_isa()
    f = isa.fields

    def fs(name: str) -> FieldSlice:
        return FieldSlice(f[name].lo, f[name].hi)

    def kind_of(classes: set[str], signed: bool) -> FieldSlice:
        kinds = {o.imm for o in isa.ops if o.cls in classes}
        if len(kinds) != 1 or None in kinds:
            raise ValueError(f"exact executor: classes {sorted(classes)} need one immediate kind")
        (kind,) = kinds
        if kind.signed != signed:
            raise ValueError(f"exact executor: {kind.name} signedness unexpected for {classes}")
        return FieldSlice(kind.field.lo, kind.field.hi)

    lui = kind_of({"lui"}, False)
    if lui.lo != 0:
        raise ValueError("exact executor: lui immediate must sit in the low bits")
    # jal's target is unsigned (imm22: 0..2^22-1); the step takes it from the `li` row,
    # the same bits read signed. The two agree below 2^21, and every target from 2^21 up
    # lies beyond the largest memory, as does every negative one: both fault alike.
    li, jtarget = kind_of({"li"}, True), kind_of({"jal"}, False)
    if jtarget != li or MAX_MEM_WORDS > 2 ** (jtarget.width - 1):
        raise ValueError("exact executor: jal's target must be li's field, wide enough for "
                         f"{MAX_MEM_WORDS} words read signed")
    return Decoding(
        op=fs("op"), rd=fs("rd"), ra=fs("ra"), rb=fs("rb"),
        simm=kind_of(_IMM_CLASSES, True), li=li, lui=lui,
        btarget=kind_of({"branch"}, False), jtarget=jtarget, registers=isa.registers,
    )


def field_rows(dec: Decoding) -> tuple[tuple[list[int], list[int]], tuple[list[int], list[int]]]:
    """How the step slices the fields, two ops per group, >> arithmetic on int32:
    ((left, right) per FIELD_SHIFTED row: row = (w << left) >> right,
     (lo, mask) per FIELD_MASKED row: row = (w >> lo) & mask)."""
    shifted = {
        "imm": (dec.simm.left, dec.simm.right),  # sign-extended
        "li": (dec.li.left, dec.li.right),  # sign-extended
        "lui": (dec.lui.left, 0),  # the unsigned field moved to the top bits (imm22 << 10)
    }

    def unsigned(f: FieldSlice) -> tuple[int, int]:
        return f.lo, f.mask if f.mask < 2**31 else -1

    masked = {
        "op": unsigned(dec.op), "rd": unsigned(dec.rd), "ra": unsigned(dec.ra),
        "rb": unsigned(dec.rb), "btarget": unsigned(dec.btarget),
    }
    left, right = zip(*(shifted[name] for name in FIELD_SHIFTED))
    lo, mask = zip(*(masked[name] for name in FIELD_MASKED))
    return (list(left), list(right)), (list(lo), list(mask))
