"""Pseudo-instruction templates, read from the `expands:` text in isa/ncpu32.yaml.

A template such as `addi rd, ra, -imm` is parsed once with the assembler's own
grammar; expanding a use substitutes the user's operand nodes for the
placeholder names (the pseudo's syntax: rd, ra, rb, imm, target). Nodes built
around a user operand take that operand's columns; pure template constants
take the mnemonic's, so diagnostics still point into the user's line.
`li` has two alternatives, separated by `|` (one word, or `lui` + `ori`).
"""

from __future__ import annotations

from functools import cache

from ncpu_cli.asm.ast import Binary, Hole, Mem, Name, Num, Paren, Stmt, Unary
from ncpu_cli.asm.parser import parse
from ncpu_cli.isa import load_isa

TEMPLATE_FILE = "<ncpu32.yaml>"


@cache
def templates(name: str) -> tuple[tuple[Stmt, ...], ...]:
    """The alternatives of pseudo `name`, each a tuple of template statements."""
    pseudo = next(p for p in load_isa().pseudos if p.name == name)
    alternatives = pseudo.expands.split("|") if name == "li" else [pseudo.expands]
    result = []
    for alt in alternatives:
        stmts: list[Stmt] = []
        for part in alt.split(";"):
            parsed, diags = parse(part.strip() + "\n", TEMPLATE_FILE)
            if diags or len(parsed) != 1:
                raise ValueError(f"bad template for pseudo `{name}`: {part!r}")
            stmts.append(parsed[0])
        result.append(tuple(stmts))
    return tuple(result)


def substitute(node: object, env: dict[str, object], col: int, end: int) -> tuple[object, bool]:
    """Copy a template node with placeholders replaced; also says if one was used."""
    t = type(node)
    if t is Name:
        if node.name in env:  # type: ignore[attr-defined]
            return env[node.name], True  # type: ignore[attr-defined]
        return Name(node.name, col, end), False  # type: ignore[attr-defined]
    if t is Num:
        return Num(node.value, col, end), False  # type: ignore[attr-defined]
    if t is Unary:
        arg, used = substitute(node.arg, env, col, end)  # type: ignore[attr-defined]
        c, e = (arg.col, arg.end) if used else (col, end)  # type: ignore[attr-defined]
        return Unary(node.op, arg, c, e), used  # type: ignore[attr-defined]
    if t is Binary:
        left, lu = substitute(node.left, env, col, end)  # type: ignore[attr-defined]
        right, ru = substitute(node.right, env, col, end)  # type: ignore[attr-defined]
        used = [x for x, u in ((left, lu), (right, ru)) if u]
        c, e = (used[0].col, used[-1].end) if used else (col, end)  # type: ignore[attr-defined]
        return Binary(node.op, left, right, c, e), bool(used)  # type: ignore[attr-defined]
    if t is Paren:
        inner, used = substitute(node.inner, env, col, end)  # type: ignore[attr-defined]
        if type(inner) is not Name:
            return inner, used
        return Paren(inner, inner.col if used else col, inner.end if used else end), used  # type: ignore[attr-defined]
    if t is Mem:
        off = node.offset  # type: ignore[attr-defined]
        offset, ou = substitute(off, env, col, end) if off is not None else (None, False)
        base, bu = substitute(node.base, env, col, end)  # type: ignore[attr-defined]
        src = base if bu else offset if ou else None
        c, e = (src.col, src.end) if src is not None else (col, end)  # type: ignore[attr-defined]
        return Mem(offset, base, c, e), ou or bu
    if t is Hole:
        return node, False
    raise TypeError(f"unexpected template node {node!r}")


def expand(stmt: Stmt, template: Stmt, env: dict[str, object]) -> Stmt:
    """One template statement filled in for the user's statement `stmt`."""
    col, end = stmt.mn_col, stmt.mn_end
    operands = [substitute(op, env, col, end)[0] for op in template.operands]
    return Stmt(stmt.file, stmt.line, None, template.mnemonic, stmt.mn_text, col, end, operands)
