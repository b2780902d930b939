"""Instruction holes after layout (isa/holes.md): candidates per role, the table entry.

`resolve_iholes` (pass 4, after resolve) evaluates every role of each `ihole`
item into a slot: `{"values": [...]}` (registers), `{"lo": a, "hi": b}`
(immediates, targets) or `{"fixed": v}` (an operand written in the source).
`entry` (pass 5) writes the table entry; a target hole's `hi` is the sketch's
word count L, known only then. The word itself is 0.
"""

from __future__ import annotations

from ncpu_cli.asm.ast import Hole, Name, Stmt
from ncpu_cli.asm.context import Ctx
from ncpu_cli.asm.holes import ROLES, IHole
from ncpu_cli.asm.items import Item
from ncpu_cli.asm.resolve import _hole_range, value_of
from ncpu_cli.isa import Op

REGISTER_ROLES = ("rd", "ra", "rb")
TARGET_LATER = "L"  # a target hole's hi before the word count is known


def resolve_iholes(ctx: Ctx, items: list[Item]) -> None:
    """Set `it.out = [data]` for each good `ihole` item (data: choices, slots, target cap)."""
    for it in items:
        if it.kind != "ihole" or it.args is None:
            continue
        ctx.scope = it.scope
        ih: IHole = it.args[0]
        slots: dict[str, dict] = {}
        ok = True
        for role in ROLES:
            src = ih.roles.get(role)
            if src is None:
                continue
            slot = _slot(ctx, it.stmt, ih, role, src.node, ih.users[role])
            ok = ok and slot is not None
            if slot is not None:
                slots[role] = slot
        if ok:
            cap = min((op.imm.hi for op in ih.users.get("target", ()) if op.imm), default=0)
            it.out = [{"choices": list(ih.choices), "slots": slots, "cap": cap}]


def _slot(ctx: Ctx, stmt: Stmt, ih: IHole, role: str, node: object, users: list[Op]
          ) -> dict | None:
    bare = node is None or (type(node) is Hole and node.lo is None and node.regs is None)  # type: ignore[attr-defined]
    if role in REGISTER_ROLES:
        if bare:
            return {"values": list(ih.regs)}
        if type(node) is Name:
            return {"fixed": ctx.regs[node.name.lower()]}
        if node.values:  # type: ignore[attr-defined]
            return {"values": list(node.values)}  # type: ignore[attr-defined]
        got = _hole_range(ctx, stmt, node, 0, ctx.isa.registers - 1, what="a register number")  # type: ignore[arg-type]
        return None if got is None else {"values": list(range(got[1], got[2] + 1))}
    if role == "imm":
        if bare:
            return {"lo": ih.imm[0], "hi": ih.imm[1]}
        if type(node) is Hole:
            width = min(op.imm.field.width for op in users if op.imm)
            lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
            got = _hole_range(ctx, stmt, node, lo, hi, what=f"the {width}-bit immediate field")
            return None if got is None else {"lo": got[1], "hi": got[2]}
        return _fixed(ctx, stmt, node, users, "immediate")
    if bare:
        return {"lo": 0, "hi": TARGET_LATER}
    if type(node) is Hole:
        hi = min(op.imm.hi for op in users if op.imm)
        got = _hole_range(ctx, stmt, node, 0, hi, what="the target field")
        return None if got is None else {"lo": got[1], "hi": got[2]}
    return _fixed(ctx, stmt, node, users, "target")


def _fixed(ctx: Ctx, stmt: Stmt, node: object, users: list[Op], what: str) -> dict | None:
    """A written immediate or target: it must fit the field of every choice using it."""
    value = value_of(ctx, stmt, node)
    if value is None:
        return None
    for op in users:
        kind = op.imm
        if kind is not None and not kind.lo <= value <= kind.hi:
            ctx.error_at(stmt, node, f"{what} {value} out of range for `{op.name}`"
                         f" ({kind.lo}..{kind.hi})")
            return None
    return {"fixed": value}


def entry(stmt: Stmt, address: int, data: dict, words: int) -> dict:
    """The table entry of one instruction hole; `words` is the sketch's word count L."""
    slots = {}
    for role, slot in data["slots"].items():
        if slot.get("hi") == TARGET_LATER:
            slot = {"lo": 0, "hi": min(words, data["cap"])}
        slots[role] = dict(slot)
    end = stmt.operands[-1].end if stmt.operands else stmt.mn_end
    return {
        "address": address,
        "kind": "instruction",
        "field": "word",
        "choices": list(data["choices"]),
        "slots": slots,
        "file": stmt.file,
        "line": stmt.line,
        "col": stmt.mn_col,
        "length": end - stmt.mn_col,
    }
