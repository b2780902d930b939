"""Pass 3, layout: give every item its address, bind labels and `.equ` names.

`.org`, `.zero` and `.equ` need values known at this point (no forward
references). `li` picks its size here (ISA.md): a value already known takes
one word when it fits imm22, else two (`lui` + `ori`); a value that refers
forward takes one word. Returns `owner`: address -> statement that placed it.
"""

from __future__ import annotations

from ncpu_cli.asm.ast import Hole, Num, Stmt, line_span, span_of
from ncpu_cli.asm.context import MAX_WORDS, Ctx
from ncpu_cli.asm.expr import ExprError, Unresolved, evaluate
from ncpu_cli.asm.items import Item
from ncpu_cli.asm.operands import BAD
from ncpu_cli.errors import Diagnostic


def layout(ctx: Ctx, items: list[Item]) -> dict[int, Stmt]:
    owner: dict[int, Stmt] = {}
    pc = 0
    state = {"overflow": False}
    s22 = ctx.ops["li"].imm
    for it in items:
        kind = it.kind
        ctx.scope = it.scope
        if kind == "op" or kind == "ihole":
            size = 1
        elif kind == "label":
            _define(ctx, it, it.args[0], it.args[1], pc, ctx.labels)  # type: ignore[index]
            continue
        elif kind == "li":
            size = 1
            if it.args is not None and type(it.args[1]) is not Hole and it.args[1] is not BAD:
                value = known_value(ctx, it, it.args[1], None)
                if value is None:
                    it.forward = True
                elif not s22.lo <= value <= s22.hi:  # type: ignore[union-attr]
                    size = 2
        elif kind in ("word", "string"):
            size = it.size
        elif kind == "zero":
            size = _count(ctx, it, pc)
        elif kind == "org":
            pc = _org(ctx, it, pc, owner)
            continue
        elif kind == "equ":
            if it.args is not None:
                name, expr = it.args
                value = known_value(ctx, it, expr, ".equ", report=True)
                if value is not None:
                    _define(ctx, it, ctx.full_name(name.name, it.scope), name, value, ctx.consts)
            continue
        else:  # entry
            continue
        it.addr, it.size = pc, size
        if size:
            _place(ctx, it, pc, size, owner, state)
        pc += size
    return owner


def known_value(
    ctx: Ctx, it: Item, node: object, what: str | None, report: bool = False
) -> int | None:
    """The value of `node` from what is defined so far; None if unknown (reported if asked)."""
    if type(node) is Num:
        return node.value  # type: ignore[attr-defined]
    try:
        return evaluate(node, ctx.lookup)
    except Unresolved as err:
        if report:
            ctx.error_at(it.stmt, err.node, ctx.unresolved_message(err.node, what))
    except ExprError as err:
        if report:
            ctx.error_at(it.stmt, err.node, err.message)
    except RecursionError:
        if report:
            ctx.error_at(it.stmt, node, "expression is too deeply nested")
    return None


def _define(ctx: Ctx, it: Item, full: str | None, node: object, value: int, table: dict) -> None:
    if full is None:
        return
    if full in ctx.labels or full in ctx.consts:
        first = ctx.defined_at[full]
        note = Diagnostic(first, f"`{full}` first defined here", "note")
        what = "label" if table is ctx.labels else "name"
        ctx.error(span_of(it.stmt, node), f"duplicate {what} `{full}`", (note,))
        return
    table[full] = value
    ctx.defined_at[full] = span_of(it.stmt, node)


def _count(ctx: Ctx, it: Item, pc: int) -> int:
    if it.args is None:
        return 0
    n = known_value(ctx, it, it.args[0], ".zero", report=True)
    if n is None:
        return 0
    if n < 0 or n > MAX_WORDS:
        ctx.error_at(it.stmt, it.args[0], f"`.zero` count {n} out of range (0..{MAX_WORDS})")
        return 0
    return n


def _org(ctx: Ctx, it: Item, pc: int, owner: dict[int, Stmt]) -> int:
    if it.args is None:
        return pc
    node = it.args[0]
    addr = known_value(ctx, it, node, ".org", report=True)
    if addr is None:
        return pc
    if not 0 <= addr < ctx.limit:
        ctx.error_at(it.stmt, node, f"`.org` address {addr} is outside memory (0..{ctx.limit - 1})")
        return pc
    if addr < pc:
        placed = next((a for a in range(addr, pc) if a in owner), None)
        if placed is not None:
            prev = owner[placed]
            note = Diagnostic(line_span(prev), f"address {placed} was placed here", "note")
            ctx.error(
                span_of(it.stmt, node),
                f"`.org {addr}` goes backwards over words already placed (address {placed})",
                (note,),
            )
            return pc
    return addr


def _place(ctx: Ctx, it: Item, pc: int, size: int, owner: dict[int, Stmt], state: dict) -> None:
    """Claim addresses pc..pc+size-1 for `it` (checks memory size and overlaps)."""
    end = pc + size
    if end > ctx.limit:
        if not state["overflow"]:
            state["overflow"] = True
            if ctx.limit_from_option:
                why = f"memory has {ctx.limit} words (--mem-words {ctx.limit})"
            else:
                why = f"the largest memory has {MAX_WORDS} words (0..{MAX_WORDS - 1})"
            ctx.error(
                line_span(it.stmt), f"program does not fit: it needs address {end - 1}, but {why}"
            )
        it.args = None
        return
    stmt = it.stmt
    if size == 1:
        if pc not in owner:
            owner[pc] = stmt
            return
        clash = pc
    else:
        clash = next((a for a in range(pc, end) if a in owner), None)
        if clash is None:
            for a in range(pc, end):
                owner[a] = stmt
            return
    prev = owner[clash]
    note = Diagnostic(line_span(prev), f"address {clash} was placed here", "note")
    ctx.error(line_span(stmt), f"this overlaps words already placed (address {clash})", (note,))
    it.args = None
