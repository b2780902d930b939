"""The torch step's lookup tables, built from the opcode table (isa/ncpu32.yaml).

Every cycle computes, for every program, all the values an instruction could write,
all the branch conditions and all the jump targets, and then picks per program what
its opcode asks for. What to pick comes from one row per opcode value (2^6 rows,
illegal opcodes included), looked up once per cycle:

    select (64, 3) int64   which VALUES row rd receives, which CONDS row says "jump",
                           which TARGETS row the jump goes to
    flags  (64, 8) bool    the FLAGS below (y = immediate, writes rd, load, ...)

Nothing here spells an opcode number or a bit position: every row is derived from
`Op.cls` / `Op.fn`, and every field from `Isa.fields` and the ops' immediate kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from ncpu_cli.isa import Isa, load_isa

# what rd may receive: the ALU results (isa `fn` of classes alu / alui), then the rest
ALU_FNS = ("add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr", "sar",
           "slt", "sltu")
VALUES = ALU_FNS + ("li", "lui", "load", "link", "in")  # link: pc + 1
# when the next pc is the target rather than pc + 1 (isa `fn` of class branch)
BRANCH_FNS = ("eq", "ne", "lt", "ge", "ltu", "geu")
CONDS = ("never", "always") + BRANCH_FNS
# where a jump goes: the branch's absolute target, jal's target, jalr's ra + imm
TARGETS = ("branch", "jal", "jalr")
# per-opcode booleans
FLAGS = ("imm", "writes", "load", "store", "in", "out", "halt", "illegal")
# the fields the step slices from a word (field_slices says where each one lies)
FIELDS = ("op", "rd", "ra", "rb", "simm", "li", "uimm", "btarget")
SEL_VALUE, SEL_COND, SEL_TARGET = range(3)

_IMM_CLASSES = {"alui", "load", "store", "jalr"}  # the second operand y is the immediate
_WRITES = {"alu", "alui", "li", "lui", "load", "jal", "jalr", "in"}  # classes that write rd
# class -> (value, condition, target) for the classes that are not alu / alui / branch
_CLASS_ROWS = {
    "halt": ("add", "never", "branch"),
    "li": ("li", "never", "branch"),
    "lui": ("lui", "never", "branch"),
    "load": ("load", "never", "branch"),
    "store": ("add", "never", "branch"),
    "jal": ("link", "always", "jal"),
    "jalr": ("link", "always", "jalr"),
    "in": ("in", "never", "branch"),
    "out": ("add", "never", "branch"),
}


@dataclass(frozen=True)
class OpcodeRow:
    """What the torch step does for one opcode value (an illegal one: the defaults)."""

    value: str = "add"
    cond: str = "never"
    target: str = "branch"
    imm: bool = False
    writes: bool = False
    load: bool = False
    store: bool = False
    isin: bool = False
    isout: bool = False
    halt: bool = False
    illegal: bool = True

    def flags(self) -> tuple[bool, ...]:  # in FLAGS order
        return (self.imm, self.writes, self.load, self.store, self.isin, self.isout,
                self.halt, self.illegal)


def opcode_rows(isa: Isa | None = None) -> list[OpcodeRow]:
    """One OpcodeRow per opcode value 0..2^width-1 (illegal opcodes included)."""
    isa = isa or load_isa()
    rows = []
    for code in range(isa.fields["op"].mask + 1):
        op = isa.by_code.get(code)
        if op is None:
            rows.append(OpcodeRow())  # illegal: stops with `opcode`
            continue
        cls = op.cls
        if cls in ("alu", "alui"):
            if op.fn not in ALU_FNS:
                raise ValueError(f"torch step: unknown ALU fn {op.fn!r} ({op.name})")
            value, cond, target = op.fn, "never", "branch"
        elif cls == "branch":
            if op.fn not in BRANCH_FNS:
                raise ValueError(f"torch step: unknown branch fn {op.fn!r} ({op.name})")
            value, cond, target = "add", op.fn, "branch"
        elif cls in _CLASS_ROWS:
            value, cond, target = _CLASS_ROWS[cls]
        else:
            raise ValueError(f"torch step: unknown instruction class {cls!r} ({op.name})")
        rows.append(OpcodeRow(
            value=value, cond=cond, target=target, imm=cls in _IMM_CLASSES,
            writes=cls in _WRITES, load=cls == "load", store=cls == "store",
            isin=cls == "in", isout=cls == "out", halt=cls == "halt", illegal=False))
    return rows


@dataclass(frozen=True)
class FieldSlice:
    """One field of a word: (w >> lo) & mask, sign-extended when `signed`."""

    lo: int
    width: int
    signed: bool

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1

    def read(self, word: int) -> int:
        v = (word >> self.lo) & self.mask
        return v - (1 << self.width) if self.signed and v >> (self.width - 1) else v


def field_slices(isa: Isa | None = None) -> dict[str, FieldSlice]:
    """The FIELDS as the opcode table lays them out: op, rd, ra, rb (unsigned), simm
    (the signed immediate of alui/ld/st/jalr), li (li's signed immediate), uimm (the
    unsigned immediate of lui and jal), btarget (the branches' unsigned target)."""
    isa = isa or load_isa()
    f = isa.fields

    def kind(classes: set[str], signed: bool) -> FieldSlice:
        kinds = {o.imm for o in isa.ops if o.cls in classes}
        if len(kinds) != 1 or None in kinds:
            raise ValueError(f"torch step: classes {sorted(classes)} need one immediate kind")
        (k,) = kinds
        if k.signed != signed:
            raise ValueError(f"torch step: {k.name} signedness unexpected for {classes}")
        return FieldSlice(k.field.lo, k.field.hi - k.field.lo + 1, signed)

    uimm = kind({"lui"}, False)
    if kind({"jal"}, False) != uimm or uimm.lo != 0:
        raise ValueError("torch step: lui and jal must share one unsigned immediate in the "
                         "low bits")
    plain = {name: FieldSlice(f[name].lo, f[name].hi - f[name].lo + 1, False)
             for name in ("op", "rd", "ra", "rb")}
    return {**plain, "simm": kind(_IMM_CLASSES, True), "li": kind({"li"}, True),
            "uimm": uimm, "btarget": kind({"branch"}, False)}


@dataclass(frozen=True)
class Tables:
    """The opcode table and the field layout as tensors on one device."""

    select: torch.Tensor  # (64, 3) int64: VALUES / CONDS / TARGETS row per opcode
    flags: torch.Tensor  # (64, len(FLAGS)) bool
    field_lo: torch.Tensor  # (F, 1) int32: each field's lowest bit
    field_mask: torch.Tensor  # (F, 1) int32
    field_sign: torch.Tensor  # (F, 1) int32: 2^(width-1) for a signed field, else 0
    lui_shift: int  # lui places its immediate this many bits up


@lru_cache(maxsize=None)
def tables(device: torch.device) -> Tables:
    """The Tables on `device` (built once per device)."""
    isa = load_isa()
    rows = opcode_rows(isa)
    fields = field_slices(isa)
    i64 = dict(dtype=torch.int64, device=device)
    select = torch.tensor([[VALUES.index(r.value), CONDS.index(r.cond),
                            TARGETS.index(r.target)] for r in rows], **i64)
    flags = torch.tensor([r.flags() for r in rows], dtype=torch.bool, device=device)
    sl = [fields[name] for name in FIELDS]
    if any(f.width > 31 for f in sl):  # the step slices fields on int32 words
        raise ValueError("torch step: a field of 32 bits does not fit its int32 slicing")

    def column(values: list[int]) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.int32, device=device).unsqueeze(1)  # (F, 1)

    return Tables(
        select=select, flags=flags,
        field_lo=column([s.lo for s in sl]), field_mask=column([s.mask for s in sl]),
        field_sign=column([1 << (s.width - 1) if s.signed else 0 for s in sl]),
        lui_shift=32 - fields["uimm"].width,
    )
