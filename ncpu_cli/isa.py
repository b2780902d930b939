"""The ncpu32 opcode table, loaded once from ``isa/ncpu32.yaml``.

Everything that needs an opcode number, a field layout or an immediate range
asks this module; nothing else in the project spells them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ncpu_cli.textdata import YamlLoader

MASK32 = 0xFFFF_FFFF
MAX_MEM_WORDS = 65536  # the largest memory, in words (ISA.md); images and addresses fit it

# How a program stops (ISA.md "Halting and faults"): the vocabulary every executor
# reports. Batched engines store the index into these tuples per program (int8).
HALTED, FAULT, TIMEOUT, RUNNING = "halted", "fault", "timeout", "running"
OPCODE, ADDRESS, TARGET, OUTPUT_FULL = "opcode", "address", "target", "output-full"
STATUS_NAMES = (RUNNING, HALTED, FAULT, TIMEOUT)
REASON_NAMES = (None, OPCODE, ADDRESS, TARGET, OUTPUT_FULL)
S_RUNNING, S_HALTED, S_FAULT, S_TIMEOUT = range(len(STATUS_NAMES))
R_NONE, R_OPCODE, R_ADDRESS, R_TARGET, R_OUTPUT_FULL = range(len(REASON_NAMES))


def data_path(name: str) -> Path:
    """Path of a file shipped in ``isa/`` (editable install or wheel)."""
    return Path(str(resources.files("ncpu_cli.isa_data").joinpath(name)))


def to_signed(value: int, bits: int = 32) -> int:
    """Read the low `bits` bits of `value` as a two's-complement number."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def to_unsigned(value: int) -> int:
    """The 32-bit word holding `value` (wraps modulo 2^32)."""
    return value & MASK32


@dataclass(frozen=True)
class Field:
    name: str
    hi: int
    lo: int

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1

    @property
    def mask(self) -> int:  # mask of the field's value, before shifting
        return (1 << self.width) - 1

    def get(self, word: int) -> int:
        return (word >> self.lo) & self.mask

    def put(self, value: int) -> int:
        return (value & self.mask) << self.lo


@dataclass(frozen=True)
class ImmKind:
    name: str
    field: Field
    signed: bool

    @property
    def lo(self) -> int:
        return -(1 << (self.field.width - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        w = self.field.width
        return (1 << (w - 1)) - 1 if self.signed else (1 << w) - 1

    def read(self, word: int) -> int:
        raw = self.field.get(word)
        return to_signed(raw, self.field.width) if self.signed else raw


@dataclass(frozen=True)
class Op:
    name: str
    opcode: int
    format: str
    syntax: tuple[str, ...]  # operands as written: rd ra rb imm mem target
    uses: tuple[str, ...]  # fields the instruction reads
    imm: ImmKind | None
    cls: str  # semantics class: halt alu alui li lui load store jal jalr branch in out
    fn: str | None  # ALU function or branch condition within the class
    doc: str


@dataclass(frozen=True)
class Pseudo:
    name: str
    syntax: tuple[str, ...]
    expands: str


@dataclass(frozen=True)
class Decoded:
    """One word split into fields. `op` is None for an illegal opcode."""

    word: int
    op: Op | None
    rd: int
    ra: int
    rb: int
    imm: int  # read with the op's immediate kind (0 when it has none)
    clean: bool  # every bit outside the op's used fields is zero


@dataclass(frozen=True)
class Isa:
    name: str
    version: int
    word_bits: int
    registers: int
    aliases: dict[str, int]
    fields: dict[str, Field]
    formats: dict[str, tuple[str, ...]]
    ops: tuple[Op, ...]
    pseudos: tuple[Pseudo, ...]
    mnemonic_aliases: dict[str, str] = field(default_factory=dict)  # other spelling -> op name
    by_name: dict[str, Op] = field(init=False, compare=False)  # op names and their aliases
    by_code: dict[int, Op] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {o.name: o for o in self.ops}
        taken = set(by_name) | {p.name for p in self.pseudos}
        for alias, name in self.mnemonic_aliases.items():
            if alias in taken or name not in by_name:
                raise ValueError(f"mnemonic alias {alias} -> {name}: the alias must be a new "
                                 "name and the target an instruction of the table")
        by_name.update({a: by_name[n] for a, n in self.mnemonic_aliases.items()})
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(self, "by_code", {o.opcode: o for o in self.ops})

    def op(self, name: str) -> Op:
        return self.by_name[name.lower()]

    def register(self, text: str) -> int | None:
        """Register number of `r7` / `zero` / `lr` / `sp`, else None."""
        t = text.lower()
        if t in self.aliases:
            return self.aliases[t]
        if t.startswith("r") and t[1:].isascii() and t[1:].isdigit() and t[1:] == str(int(t[1:])):
            n = int(t[1:])
            return n if n < self.registers else None
        return None

    def register_name(self, n: int) -> str:
        return f"r{n}"

    def encode(self, op: Op | str, rd: int = 0, ra: int = 0, rb: int = 0, imm: int = 0) -> int:
        """Assemble one word. Values must already be in range (checked here)."""
        if isinstance(op, str):
            op = self.op(op)
        word = self.fields["op"].put(op.opcode)
        for name, value in (("rd", rd), ("ra", ra), ("rb", rb)):
            if name in op.uses:
                if not 0 <= value < self.registers:
                    raise ValueError(f"{op.name}: register {name}={value} out of range")
                word |= self.fields[name].put(value)
        if op.imm is not None:
            if not op.imm.lo <= imm <= op.imm.hi:
                raise ValueError(f"{op.name}: immediate {imm} outside {op.imm.lo}..{op.imm.hi}")
            word |= op.imm.field.put(imm)
        return word

    def decode(self, word: int) -> Decoded:
        word &= MASK32
        f = self.fields
        op = self.by_code.get(f["op"].get(word))
        rd, ra, rb = f["rd"].get(word), f["ra"].get(word), f["rb"].get(word)
        if op is None:
            return Decoded(word, None, rd, ra, rb, 0, False)
        used = f["op"].put(f["op"].mask)
        for name in op.uses:
            used |= f[name].put(f[name].mask)
        imm = op.imm.read(word) if op.imm else 0
        return Decoded(word, op, rd, ra, rb, imm, (word & ~used & MASK32) == 0)


@lru_cache(maxsize=None)
def load_isa() -> Isa:
    """Parse ``ncpu32.yaml`` into frozen dataclasses (cached)."""
    raw = yaml.load(data_path("ncpu32.yaml").read_text(encoding="utf-8"), Loader=YamlLoader)
    fields = {k: Field(k, v["hi"], v["lo"]) for k, v in raw["fields"].items()}
    kinds = {
        k: ImmKind(k, fields[v["field"]], bool(v["signed"])) for k, v in raw["imm_kinds"].items()
    }
    ops = tuple(
        Op(
            name=o["name"],
            opcode=int(o["opcode"]),
            format=o["format"],
            syntax=tuple(o["syntax"]),
            uses=tuple(o["uses"]),
            imm=kinds[o["imm"]] if o.get("imm") else None,
            cls=o["class"],
            fn=o.get("fn"),
            doc=o["doc"],
        )
        for o in raw["ops"]
    )
    pseudos = tuple(Pseudo(p["name"], tuple(p["syntax"]), p["expands"]) for p in raw["pseudos"])
    return Isa(
        name=raw["isa"],
        version=int(raw["version"]),
        word_bits=int(raw["word_bits"]),
        registers=int(raw["registers"]),
        aliases=dict(raw["aliases"]),
        fields=fields,
        formats={k: tuple(v) for k, v in raw["formats"].items()},
        ops=ops,
        pseudos=pseudos,
        mnemonic_aliases={str(a): str(n) for a, n in (raw.get("mnemonic_aliases") or {}).items()},
    )
