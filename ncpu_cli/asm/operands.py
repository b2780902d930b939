"""Check a statement's operands against an instruction's syntax (isa.Op.syntax).

`check` turns raw operand nodes into checked arguments, one per syntax slot:
registers become ints (or a `Hole`), immediates and targets stay expression
nodes (evaluated later, when labels are known), `mem` becomes a pair
`(offset_expr, base_register)`. Every problem is reported at its operand.
"""

from __future__ import annotations

import re

from ncpu_cli.asm.ast import Binary, Hole, Mem, Name, Num, Paren, Stmt, Str, Unary, stmt_span
from ncpu_cli.asm.context import Ctx, did_you_mean
from ncpu_cli.errors import Span

BAD = object()  # marks an operand that had an error
REGISTER_KINDS = ("rd", "ra", "rb")
_RNUM = re.compile(r"[rR][0-9]+\Z")
_SHOWN = {"mem": "imm(ra)"}


def describe(node: object) -> str:
    """What the user wrote, in words, for "expected X, got Y"."""
    t = type(node)
    if t is Num:
        return "a number"
    if t is Name:
        return f"`{node.name[:40]}`"  # type: ignore[attr-defined]
    if t in (Unary, Binary, Paren):
        return "an expression"
    if t is Str:
        return "a string"
    if t is Mem:
        return "a memory operand"
    if t is Hole:
        return "a hole `??`"
    return "something else"


def syntax_words(syntax: tuple[str, ...]) -> str:
    return ", ".join(_SHOWN.get(k, k) for k in syntax)


def count_error(ctx: Ctx, stmt: Stmt, name: str, syntax: tuple[str, ...]) -> None:
    """ "`add` takes 3 operands (rd, ra, rb), got 2"."""
    n, got = len(syntax), len(stmt.operands)
    if n == 0:
        takes = "takes no operands"
    else:
        takes = f"takes {n} operand{'s' if n != 1 else ''} ({syntax_words(syntax)})"
    if got > n:
        first, last = stmt.operands[n], stmt.operands[-1]
        span = Span(stmt.file, stmt.line, first.col, max(1, last.end - first.col))
    else:
        span = stmt_span(stmt)
    ctx.error(span, f"`{name}` {takes}, got {got}")


def hole(ctx: Ctx, stmt: Stmt, node: Hole) -> bool:
    """True when holes are allowed here; else reports the hole."""
    if ctx.keep_holes:
        return True
    ctx.error_at(stmt, node, "hole `??` needs --keep-holes (holes are for `ncpu fit`)")
    return False


def register(ctx: Ctx, stmt: Stmt, node: object, quiet: bool = False) -> object:
    """A register number, a Hole, or BAD."""
    t = type(node)
    if t is Name:
        n = ctx.regs.get(node.name.lower())  # type: ignore[attr-defined]
        if n is not None:
            return n
        if not quiet:
            ctx.error_at(stmt, node, _unknown_register(ctx, node.name))  # type: ignore[attr-defined]
        return BAD
    if t is Hole:
        if not (quiet or hole(ctx, stmt, node)):  # type: ignore[arg-type]
            return 0
        if node.regs is not None and not register_set(ctx, stmt, node, quiet):  # type: ignore[attr-defined]
            return BAD
        return node
    if not quiet:
        ctx.error_at(stmt, node, f"expected a register, got {describe(node)}")
    return BAD


def register_set(ctx: Ctx, stmt: Stmt, node: Hole, quiet: bool = False) -> tuple[int, ...]:
    """The sorted register numbers of `??{r1,r4-r7}` (cached on the node); () after an error."""
    if node.values is not None:
        return node.values
    found: set[int] = set()
    ok = True
    for item in node.regs or ():
        if type(item) is Binary and item.op == "-":
            lo, hi = (_set_register(ctx, stmt, x, quiet) for x in (item.left, item.right))
            if lo is None or hi is None:
                ok = False
            elif lo > hi:
                ok = False
                if not quiet:
                    ctx.error_at(stmt, item, f"bad register range `{item.left.name}-"  # type: ignore[attr-defined]
                                 f"{item.right.name}`: the first must not be above the last")  # type: ignore[attr-defined]
            else:
                found.update(range(lo, hi + 1))
        else:
            n = _set_register(ctx, stmt, item, quiet)
            ok = ok and n is not None
            if n is not None:
                found.add(n)
    if not node.regs and not quiet:
        ctx.error_at(stmt, node, "empty register set `??{}`: name at least one register")
    node.values = tuple(sorted(found)) if ok and node.regs else ()
    return node.values


def _set_register(ctx: Ctx, stmt: Stmt, item: object, quiet: bool) -> int | None:
    if type(item) is Name:
        n = ctx.regs.get(item.name.lower())  # type: ignore[attr-defined]
        if n is None and not quiet:
            ctx.error_at(stmt, item, _unknown_register(ctx, item.name))  # type: ignore[attr-defined]
        return n
    if not quiet:
        ctx.error_at(stmt, item, f"expected a register or a range `r0-r7` in `??{{...}}`,"
                     f" got {describe(item)}")
    return None


SUBSET_AS_VALUE = "a register set `??{...}` can't stand where a value does (it holds registers)"


def _unknown_register(ctx: Ctx, name: str) -> str:
    last = ctx.isa.registers - 1
    names = ", ".join(ctx.isa.aliases)
    if _RNUM.match(name):
        return f"unknown register `{name}` (registers are r0..r{last}, {names})"
    guess = did_you_mean(name.lower(), ctx.regs, cutoff=0.5)
    if guess:
        return f"unknown register `{name}`{guess}"
    return f"expected a register, got `{name[:40]}`"


def value(ctx: Ctx, stmt: Stmt, node: object, kind: str, quiet: bool = False) -> object:
    """An expression node (checked later against the field range), a Hole, or BAD."""
    t = type(node)
    if t in (Num, Unary, Binary, Paren):
        return node
    if t is Name:
        if node.name.lower() in ctx.regs:  # type: ignore[attr-defined]
            if not quiet:
                want = "a target label or address" if kind == "target" else "a number or label"
                ctx.error_at(stmt, node, f"expected {want}, got register `{node.name}`")  # type: ignore[attr-defined]
            return BAD
        return node
    if t is Hole:
        if node.regs is not None:  # type: ignore[attr-defined]
            if not quiet:
                ctx.error_at(stmt, node, SUBSET_AS_VALUE)
            return BAD
        return node if quiet or hole(ctx, stmt, node) else Num(0, node.col, node.end)  # type: ignore[attr-defined]
    if not quiet:
        want = "a target label or address" if kind == "target" else "a number or expression"
        ctx.error_at(stmt, node, f"expected {want}, got {describe(node)}")
    return BAD


def memory(ctx: Ctx, stmt: Stmt, node: object, quiet: bool = False) -> object:
    """`(offset_expr, base)` for `imm(ra)` or `(ra)`, or BAD."""
    t = type(node)
    if t is Paren and type(node.inner) is Hole:  # type: ignore[attr-defined]
        base = register(ctx, stmt, node.inner, quiet)  # type: ignore[attr-defined]
        return BAD if base is BAD else (Num(0, node.col, node.col), base)  # type: ignore[attr-defined]
    if t is Paren and node.inner.name.lower() in ctx.regs:  # type: ignore[attr-defined]
        return (Num(0, node.col, node.col), ctx.regs[node.inner.name.lower()])  # type: ignore[attr-defined]
    if t is Mem:
        off = node.offset  # type: ignore[attr-defined]
        offset = (
            value(ctx, stmt, off, "imm", quiet) if off is not None else Num(0, node.col, node.col)
        )  # type: ignore[attr-defined]
        base = register(ctx, stmt, node.base, quiet)  # type: ignore[attr-defined]
        if offset is BAD or base is BAD:
            return BAD
        return (offset, base)
    if not quiet:
        hint = ""
        if t in (Name, Num, Binary, Unary, Paren):
            hint = " (write `x(r0)` for an absolute address)"
        ctx.error_at(
            stmt, node, f"expected a memory operand `offset(register)`, got {describe(node)}{hint}"
        )
    return BAD


def check(
    ctx: Ctx, stmt: Stmt, name: str, syntax: tuple[str, ...], operands: list, quiet: bool = False
) -> list | None:
    """Checked arguments for `syntax` (BAD where an operand was wrong, after reporting it),
    or None when the operand count is wrong."""
    if len(operands) != len(syntax):
        if not quiet:
            count_error(ctx, stmt, name, syntax)
        return None
    args: list = []
    for kind, node in zip(syntax, operands):
        if kind in REGISTER_KINDS:
            args.append(register(ctx, stmt, node, quiet))
        elif kind == "mem":
            args.append(memory(ctx, stmt, node, quiet))
        else:
            args.append(value(ctx, stmt, node, kind, quiet))
    return args


def all_good(args: list | None) -> bool:
    return args is not None and not any(a is BAD for a in args)
