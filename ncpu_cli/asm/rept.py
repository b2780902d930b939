"""`.rept N` ... `.endr` in pass 2: the lines between repeated N times (isa/holes.md).

N is an expression of numbers and `.equ` names defined above (no labels: their
addresses are not known while expanding), at least 1. Blocks nest at most
MAX_DEPTH deep, and all blocks together expand to at most MAX_LINES statements.
A label inside a block is an error (each copy would define it again). Every copy
of a line keeps its file, line and columns; its words (and holes) get their own
addresses.
"""

from __future__ import annotations

from collections.abc import Callable

from ncpu_cli.asm import operands as chk
from ncpu_cli.asm.ast import Hole, Name, Num, Stmt, mnemonic_span, span_of
from ncpu_cli.asm.context import Ctx
from ncpu_cli.asm.expr import ExprError, Unresolved, evaluate

MAX_DEPTH = 8
MAX_LINES = 65_536


def early_lookup(ctx: Ctx) -> Callable[[Name], int]:
    """A name's value from the `.equ` constants defined so far (in the current scope)."""

    def lookup(node: Name) -> int:
        name = node.name
        value = ctx.early.get(ctx.scope + name if name[0] == "." else name)
        if value is None:
            raise Unresolved(node)
        return value

    return lookup


def remember_equ(ctx: Ctx, full: str, expr: object) -> None:
    """Record a `.equ` value if it is known now (numbers and earlier constants)."""
    try:
        ctx.early.setdefault(full, evaluate(expr, early_lookup(ctx)))
    except (ExprError, RecursionError):
        pass


def block(ctx: Ctx, stmts: list[Stmt], start: int, run: Callable[[list[Stmt]], None]) -> int:
    """Expand the `.rept` at `stmts[start]` with `run(body)` per copy; the index after `.endr`."""
    head = stmts[start]
    depth, end = 0, None
    for j in range(start + 1, len(stmts)):
        mn = stmts[j].mnemonic
        if mn == ".rept":
            depth += 1
        elif mn == ".endr":
            if depth == 0:
                end = j
                break
            depth -= 1
    if end is None:
        ctx.error(mnemonic_span(head), "`.rept` without `.endr`")
        return len(stmts)
    closing = stmts[end]
    if closing.label is not None:
        inside_label(ctx, closing)
    if closing.operands:
        ctx.error_at(closing, closing.operands[0], "`.endr` takes no operands")
    count = _count(ctx, head)
    if count is None:
        return end + 1
    if ctx.rept_depth >= MAX_DEPTH:
        ctx.error(mnemonic_span(head), f"`.rept` nested more than {MAX_DEPTH} deep")
        return end + 1
    body = stmts[start + 1 : end]
    if ctx.rept_depth == 0:
        ctx.rept_head = head
    ctx.rept_depth += 1
    try:
        for _ in range(count):
            if ctx.rept_over:
                break
            run(body)
    finally:
        ctx.rept_depth -= 1
    return end + 1


def count_line(ctx: Ctx) -> bool:
    """Count one statement expanded inside a block; False once past MAX_LINES (reported)."""
    if ctx.rept_over:
        return False
    ctx.rept_lines += 1
    if ctx.rept_lines <= MAX_LINES:
        return True
    ctx.rept_over = True
    head = ctx.rept_head
    ctx.error(mnemonic_span(head), f"`.rept` expands to more than {MAX_LINES} lines")
    return False


def inside_label(ctx: Ctx, stmt: Stmt) -> None:
    ctx.error_at(stmt, stmt.label, f"label `{stmt.label.name[:40]}` inside `.rept`: each copy"  # type: ignore[union-attr]
                 " would define it again (put it before `.rept`)")


def stray_endr(ctx: Ctx, stmt: Stmt) -> None:
    ctx.error(mnemonic_span(stmt), "`.endr` without `.rept`")


def _count(ctx: Ctx, head: Stmt) -> int | None:
    ops = head.operands
    if len(ops) != 1:
        chk.count_error(ctx, head, ".rept", ("count",))
        return None
    node = ops[0]
    if type(node) is Hole:
        ctx.error_at(head, node, "`.rept` can't take a hole")
        return None
    try:
        n = node.value if type(node) is Num else evaluate(node, early_lookup(ctx))  # type: ignore[attr-defined]
    except Unresolved as err:
        ctx.error_at(head, err.node, f"`.rept` count must be known here: `{err.node.name[:40]}`"  # type: ignore[attr-defined]
                     " is not a `.equ` name defined above (labels can't be used)")
        return None
    except ExprError as err:
        ctx.error_at(head, err.node, err.message)
        return None
    except RecursionError:
        ctx.error(span_of(head, node), "expression is too deeply nested")
        return None
    if n < 1:
        ctx.error(span_of(head, node), f"`.rept` count {n} must be at least 1")
        return None
    return n
