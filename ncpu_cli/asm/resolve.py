"""Pass 4, resolve: evaluate every operand with all labels known, check ranges.

Fills `item.out`: for data, the list of values; for instructions, one
`Fields` per word. Holes stay symbolic (`Hole` nodes) for the encoder.
"""

from __future__ import annotations

from typing import NamedTuple

from ncpu_cli.asm import operands as chk
from ncpu_cli.asm.ast import Hole, Name, Num, Stmt, Unary, line_span
from ncpu_cli.asm.context import Ctx
from ncpu_cli.asm.expr import ExprError, Unresolved, evaluate
from ncpu_cli.asm.items import Item
from ncpu_cli.asm.pseudo import expand as fill_template
from ncpu_cli.asm.pseudo import templates
from ncpu_cli.errors import Diagnostic
from ncpu_cli.isa import Op

WORD_LO, WORD_HI = -(1 << 31), (1 << 32) - 1
DATA_HOLE = (-(1 << 31), (1 << 31) - 1)  # a bare `.word ??`: any signed word
_FIELD = {"rd": 0, "ra": 1, "rb": 2}


class Fields(NamedTuple):
    """One instruction word before encoding; any of rd/ra/rb/imm may be a (Hole, range)."""

    op: Op
    rd: object
    ra: object
    rb: object
    imm: object
    choices: tuple[str, ...] | None
    stmt: Stmt


def value_of(ctx: Ctx, stmt: Stmt, node: object) -> int | None:
    """Evaluate with every name known; reports and returns None on an error."""
    if type(node) is Num:
        return node.value  # type: ignore[attr-defined]
    try:
        return evaluate(node, ctx.lookup)
    except Unresolved as err:
        ctx.error_at(stmt, err.node, ctx.unresolved_message(err.node))
    except ExprError as err:
        ctx.error_at(stmt, err.node, err.message)
    except RecursionError:
        ctx.error_at(stmt, node, "expression is too deeply nested")
    return None


def resolve(ctx: Ctx, items: list[Item]) -> int | None:
    """Resolve all items in place; returns the entry point (None = default 0)."""
    entry: int | None = None
    entry_item: Item | None = None
    for it in items:
        if it.args is None or (it.size == 0 and it.kind != "entry"):
            continue
        ctx.scope = it.scope
        kind = it.kind
        if kind == "op":
            f = _op_fields(ctx, it.stmt, it.op, it.args, it.user, it.choices)  # type: ignore[arg-type]
            it.out = None if f is None else [f]
        elif kind == "li":
            it.out = _li(ctx, it)
        elif kind == "word":
            it.out = _words(ctx, it)
        elif kind == "string":
            it.out = [*it.args, 0]
        elif kind == "zero":
            it.out = [0] * it.size
        elif kind == "entry":
            if entry_item is not None:
                note = Diagnostic(line_span(entry_item.stmt), "the first `.entry` is here", "note")
                ctx.error(line_span(it.stmt), "duplicate `.entry`", (note,))
                continue
            entry_item = it
            value = value_of(ctx, it.stmt, it.args[0])
            if value is not None and not 0 <= value < ctx.limit:
                ctx.error_at(
                    it.stmt,
                    it.args[0],
                    f"entry point {value} is outside memory (0..{ctx.limit - 1})",
                )
            elif value is not None:
                entry = value
    return entry


def _range_error(
    ctx: Ctx,
    stmt: Stmt,
    node: object,
    value: int,
    lo: int,
    hi: int,
    what: str,
    user: str,
    extra: str = "",
) -> None:
    if (
        type(node) is Unary
        and node.op == "-"
        and (node.col, node.end) == (node.arg.col, node.arg.end)
    ):
        value, lo, hi = -value, -hi, -lo  # a template's `-imm` (subi): show what the user wrote
    ctx.error_at(stmt, node, f"{what} {value} out of range for `{user}` ({lo}..{hi}{extra})")


def _imm(
    ctx: Ctx, stmt: Stmt, op: Op, node: object, kind: str, user: str, extra: str = ""
) -> object:
    """An in-range immediate, a (Hole, lo, hi), or None."""
    kind_range = op.imm
    lo, hi = kind_range.lo, kind_range.hi  # type: ignore[union-attr]
    if type(node) is Hole:
        what = f"the range of `{user}`'s {kind_range.field.name} field"  # type: ignore[union-attr]
        return _hole_range(ctx, stmt, node, lo, hi, what=what)
    value = value_of(ctx, stmt, node)
    if value is None:
        return None
    if not lo <= value <= hi:
        what = (
            "immediate"
            if kind == "imm"
            else "offset"
            if kind == "mem"
            else ("branch target" if op.cls == "branch" else "jump target")
        )
        _range_error(ctx, stmt, node, value, lo, hi, what, user, extra)
        return None
    return value


def _hole_range(
    ctx: Ctx,
    stmt: Stmt,
    node: Hole,
    lo: int,
    hi: int,
    default: tuple[int, int] | None = None,
    what: str = "the field's range",
) -> tuple | None:
    """`(hole, lo, hi)`: `??` takes `default` (else lo..hi), `??[a:b]` must lie in lo..hi;
    a register set `??{...}` its lowest and highest (its `values` go in the table)."""
    if node.values:
        return (node, node.values[0], node.values[-1])
    if node.lo is None:
        return (node, *(default or (lo, hi)))
    a, b = value_of(ctx, stmt, node.lo), value_of(ctx, stmt, node.hi)
    if a is None or b is None:
        return None
    if a > b:
        message = f"empty hole range {a}..{b}: lo must not exceed hi ({what}: {lo}..{hi})"
        ctx.error_at(stmt, node, message)
        return None
    if not lo <= a <= b <= hi:
        ctx.error_at(stmt, node, f"hole range {a}..{b} must lie within {what} ({lo}..{hi})")
        return None
    return (node, a, b)


def _op_fields(
    ctx: Ctx,
    stmt: Stmt,
    op: Op,
    args: list,
    user: str,
    choices: tuple[str, ...] | None = None,
    extra: str = "",
) -> Fields | None:
    regs: list[object] = [0, 0, 0]
    imm: object = 0
    ok = True
    last = ctx.isa.registers - 1
    for kind, arg in zip(op.syntax, args):
        if arg is chk.BAD:
            ok = False
        elif kind in _FIELD:
            reg = (
                _hole_range(ctx, stmt, arg, 0, last, what="a register number")
                if type(arg) is Hole
                else arg
            )
            regs[_FIELD[kind]] = reg
            ok = ok and reg is not None
        elif kind == "mem":
            offset, base = arg
            if type(base) is Hole:
                base = _hole_range(ctx, stmt, base, 0, last, what="a register number")
                ok = ok and base is not None
            regs[1] = base
            imm = _imm(ctx, stmt, op, offset, "mem", user)
            ok = ok and imm is not None
        else:
            imm = _imm(ctx, stmt, op, arg, kind, user, extra)
            ok = ok and imm is not None
    if not ok:
        return None
    return Fields(op, regs[0], regs[1], regs[2], imm, choices, stmt)


def _li(ctx: Ctx, it: Item) -> list | None:
    rd, node = it.args  # type: ignore[misc]
    if it.size == 1 or rd is chk.BAD:
        extra = "; the value refers forward, so `li` takes its one-word form" if it.forward else ""
        f = _op_fields(ctx, it.stmt, it.op, [rd, node], it.user, extra=extra)  # type: ignore[arg-type]
        return None if f is None else [f]
    value = value_of(ctx, it.stmt, node)
    if value is None:
        return None
    if not WORD_LO <= value <= WORD_HI:
        _range_error(ctx, it.stmt, node, value, WORD_LO, WORD_HI, "value", it.user)
        return None
    if type(rd) is Hole:  # lui rd ; ori rd, rd: one hole would become three fields
        ctx.error_at(
            it.stmt,
            rd,
            f"a hole `??` can't be used here: `li` of {value} takes two words"
            " (`lui rd` ; `ori rd, rd`), which use rd three times (a value that fits"
            " imm22 keeps `li` one word)",
        )
        return None
    rd_node = Name(f"r{rd}", node.col, node.end) if type(rd) is int else rd  # type: ignore[attr-defined]
    env = {"rd": rd_node, "imm": Num(value, node.col, node.end)}  # type: ignore[attr-defined]
    out = []
    for template in templates("li")[1]:
        s = fill_template(it.stmt, template, env)
        op = ctx.ops[s.mnemonic or ""]
        args = chk.check(ctx, s, it.user, op.syntax, s.operands, quiet=True)
        f = _op_fields(ctx, s, op, args, it.user) if args is not None else None
        if f is None:
            return None
        out.append(f)
    return out


def _words(ctx: Ctx, it: Item) -> list | None:
    """The values of a `.word` list; a data hole is `(hole, lo, hi)` (0 in the image)."""
    out: list = []
    for node in it.args:  # type: ignore[union-attr]
        if type(node) is Hole:
            hole = _hole_range(ctx, it.stmt, node, WORD_LO, WORD_HI, DATA_HOLE, "a word's range")
            if hole is not None and hole[2] - hole[1] >= 1 << 32:  # a word named twice
                ctx.error_at(it.stmt, node, f"hole range {hole[1]}..{hole[2]} names "
                             f"{hole[2] - hole[1] + 1} values but a word has 2^32 ({hole[1]} and "
                             f"{hole[1] + (1 << 32)} are the same word): use a range within "
                             f"{DATA_HOLE[0]}..{DATA_HOLE[1]} or 0..{WORD_HI}")
                hole = None
            out.append(0 if hole is None else hole)
            continue
        value = None if node is chk.BAD else value_of(ctx, it.stmt, node)
        if value is None:
            out.append(0)
        elif not WORD_LO <= value <= WORD_HI:
            _range_error(ctx, it.stmt, node, value, WORD_LO, WORD_HI, "value", ".word")
            out.append(0)
        else:
            out.append(value)
    return out
