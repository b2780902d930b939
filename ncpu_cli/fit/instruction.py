"""Instruction holes: one unknown instruction, its mnemonic and every operand.

The assembler lists an instruction hole (`?{add,addi,nop}` alone on a line, or a
mnemonic hole whose choices differ in format) as one table entry with its
``choices`` and a ``slots`` table: for each operand *role* -- ``rd``, ``ra``,
``rb`` (registers), ``imm`` (an immediate) and ``target`` (a branch or jump
target) -- the candidates (``values`` or ``lo``/``hi``) or one ``fixed`` value.
A fit sees a ``Group``: a mnemonic sub-hole over the choices and one sub-hole
per role that is a hole.  Which roles a choice uses comes from its syntax in the
opcode table (``mem`` is ``imm(ra)``); ``nop`` uses none and is ``add r0, r0, r0``.

The word of a filling is ``opcode << 26`` OR every used role's value in its
field (the immediate and target in the chosen op's own immediate field, imm14 or
imm22).  A role the chosen mnemonic does not use is ignored, so fillings that
differ only there are the same program; ``canonical`` zeroes those sub-holes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ncpu_cli.isa import MASK32, Isa, Op

ROLES = ("rd", "ra", "rb", "imm", "target")
NOP = "nop"
_SYNTAX_ROLES = {"rd": ("rd",), "ra": ("ra",), "rb": ("rb",), "imm": ("imm",),
                 "mem": ("imm", "ra"), "target": ("target",)}


def roles_of(op: Op | None) -> tuple[str, ...]:
    """The roles an op's operands fill (None: `nop`, which has none)."""
    if op is None:
        return ()
    return tuple(r for token in op.syntax for r in _SYNTAX_ROLES[token])


@dataclass
class Group:
    """One instruction hole as the fit sees it."""

    index: int  # position among the sketch's groups
    address: int
    choices: tuple[str, ...]
    ops: tuple[Op | None, ...]  # None for nop
    opcodes: np.ndarray  # (K,) int64
    uses: np.ndarray  # (K, 5) bool over ROLES
    imm_field: tuple[str | None, ...]  # per choice: imm14 | imm22 | None
    op_hole: int  # hole index of the mnemonic sub-hole
    role_holes: dict[str, int]  # role -> hole index (roles that are holes)
    fixed: dict[str, int]  # role -> value (roles given in the source)
    file: str
    line: int
    col: int
    length: int
    imm_mask: np.ndarray = field(init=False)  # (K,) the immediate field's mask (0: none)

    def __post_init__(self) -> None:  # imm14 and imm22 both start at bit 0
        self.imm_mask = np.asarray([0 if f is None else (1 << (14 if f == "imm14" else 22)) - 1
                                    for f in self.imm_field], dtype=np.int64)

    def used(self, k: int, role: str) -> bool:
        return bool(self.uses[k, ROLES.index(role)])

    def distinct(self, sizes: dict[str, int]) -> int:
        """Distinct programs of this group: Σ over choices of Π of its hole roles' sizes."""
        return sum(math.prod(sizes[r] for r in self.role_holes if self.used(k, r))
                   for k in range(len(self.choices)))


def make_group(isa: Isa, g_index: int, entry: dict, op_hole: int,
               role_holes: dict[str, int]) -> Group:
    """The Group of one `instruction` table entry (sub-hole indices already assigned)."""
    choices = tuple(str(c).lower() for c in entry["choices"])
    ops = tuple(None if c == NOP else isa.op(c) for c in choices)
    add = isa.op("add")
    opcodes = np.asarray([add.opcode if o is None else o.opcode for o in ops], dtype=np.int64)
    uses = np.zeros((len(ops), len(ROLES)), dtype=bool)
    for k, o in enumerate(ops):
        for r in roles_of(o):
            uses[k, ROLES.index(r)] = True
    imm_field = tuple(None if o is None or o.imm is None else o.imm.field.name for o in ops)
    fixed = {r: int(s["fixed"]) for r, s in entry.get("slots", {}).items() if "fixed" in s}
    return Group(g_index, int(entry["address"]), choices, ops, opcodes, uses, imm_field,
                 op_hole, dict(role_holes), fixed, str(entry.get("file", "")),
                 int(entry["line"]), int(entry["col"]), int(entry["length"]))


def group_words(isa: Isa, g: Group, k_op: np.ndarray, role_values: dict[str, np.ndarray]
                ) -> np.ndarray:
    """(P,) int64 words of a group: choices `k_op` (P,), role values (P,) per hole role."""
    k_op = np.asarray(k_op, dtype=np.int64)
    f = isa.fields
    word = g.opcodes[k_op] << f["op"].lo  # (P,)
    for j, role in enumerate(ROLES):
        if role in role_values:
            v = np.asarray(role_values[role], dtype=np.int64)
        elif role in g.fixed:
            v = np.full(len(k_op), g.fixed[role], dtype=np.int64)
        else:
            continue
        on = g.uses[k_op, j]  # (P,)
        if role in ("rd", "ra", "rb"):
            bits = (v & f[role].mask) << f[role].lo
        else:
            bits = v & g.imm_mask[k_op]  # imm14 and imm22 both start at bit 0
        word = word | np.where(on, bits, 0)
    return word & MASK32


def instruction_text(g: Group, k: int, values: dict[str, int]) -> str:
    """Canonical source of choice `k` with role values (hole or fixed): `addi r3, r1, -5`."""
    op = g.ops[k]
    if op is None:
        return NOP
    vals = {**g.fixed, **values}
    parts = []
    for token in op.syntax:
        if token in ("rd", "ra", "rb"):
            parts.append(f"r{vals.get(token, 0)}")
        elif token == "mem":
            parts.append(f"{_imm(op, vals.get('imm', 0))}(r{vals.get('ra', 0)})")
        elif token == "imm":
            parts.append(str(_imm(op, vals.get("imm", 0))))
        else:
            parts.append(str(vals.get("target", 0)))
    return f"{op.name} {', '.join(parts)}" if parts else op.name


def _imm(op: Op, v: int) -> int:
    """The immediate as the assembler reads it back (an unsigned kind shows its field value)."""
    if op.imm is not None and not op.imm.signed:
        return v & op.imm.field.mask
    return v
