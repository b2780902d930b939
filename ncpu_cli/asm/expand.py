"""Pass 2, expand: statements -> items (directives, includes, pseudos, operand checks).

Labels become `label` items with their full name (`loop.next` for `.next`
under `loop`); a pseudo becomes the items of its template; `.include` splices
in the included file's items. Every statement yields items even when it has
an error, so the layout keeps later addresses right.
"""

from __future__ import annotations

import os
from pathlib import Path

from ncpu_cli.asm import holes, rept
from ncpu_cli.asm import operands as chk
from ncpu_cli.asm.ast import (
    Binary,
    Hole,
    Mem,
    Name,
    Num,
    Paren,
    Stmt,
    Str,
    Unary,
    mnemonic_span,
    span_of,
)
from ncpu_cli.asm.context import DIRECTIVES, Ctx, did_you_mean
from ncpu_cli.asm.items import Item
from ncpu_cli.asm.parser import gave_up, parse
from ncpu_cli.asm.pseudo import expand as fill_template
from ncpu_cli.asm.pseudo import templates
from ncpu_cli.asm.source import decode_source, read_include_bytes

MAX_INCLUDE_DEPTH = 32


def expand(ctx: Ctx, stmts: list[Stmt], items: list[Item], stack: list[Path], here: Path) -> None:
    """Append the items of `stmts`; `here` is the folder `.include` paths start from."""
    ops, pseudos = ctx.ops, ctx.pseudos
    i, n = 0, len(stmts)
    while i < n:
        stmt = stmts[i]
        i += 1
        if ctx.rept_depth and not rept.count_line(ctx):
            return
        if stmt.label is not None:
            if ctx.rept_depth:
                rept.inside_label(ctx, stmt)
            else:
                _label(ctx, stmt, items)
        mn = stmt.mnemonic
        if mn is None:
            continue
        if stmt.choices is not None:
            if holes.is_instruction_hole(ctx, stmt):
                holes.instruction_hole(ctx, stmt, items)
            else:
                _mnemonic_hole(ctx, stmt, items)
        elif mn == ".rept":
            i = rept.block(ctx, stmts, i - 1, lambda body: expand(ctx, body, items, stack, here))
        elif mn == ".endr":
            rept.stray_endr(ctx, stmt)
        elif mn == ".holes":
            holes.holes_directive(ctx, stmt)
        elif mn in pseudos:
            _pseudo(ctx, stmt, items)
        elif mn in ops:
            op = ops[mn]
            args = chk.check(ctx, stmt, mn, op.syntax, stmt.operands)
            items.append(Item("op", stmt, ctx.scope, mn, op, args, 1))
        elif mn[0] == ".":
            _directive(ctx, stmt, items, stack, here)
        else:
            guess = did_you_mean(mn, ctx.mnemonics, aliases=ctx.isa.mnemonic_aliases)
            ctx.error(mnemonic_span(stmt), f"unknown mnemonic `{stmt.mn_text[:40]}`{guess}")
            items.append(Item("op", stmt, ctx.scope, mn, None, None, 1))


def _label(ctx: Ctx, stmt: Stmt, items: list[Item]) -> None:
    label = stmt.label
    name = label.name  # type: ignore[union-attr]
    if name.lower() in ctx.regs:
        ctx.error_at(stmt, label, f"`{name}` is a register name and can't be a label")
        return
    if name[0] == ".":
        full = ctx.scope + name  # before the first global label: the top-level `.name`
    else:
        ctx.scope = full = name
    ctx.all_names.add(full)
    items.append(Item("label", stmt, ctx.scope, "", None, [full, label]))


def _pseudo(ctx: Ctx, stmt: Stmt, items: list[Item]) -> None:
    name = stmt.mnemonic or ""
    syntax = ctx.pseudos[name].syntax
    alternatives = templates(name)
    if len(stmt.operands) == len(syntax) and name != "li":  # li: see resolve._li
        _refuse_moved_holes(ctx, stmt, syntax, alternatives[0])
    args = chk.check(ctx, stmt, name, syntax, stmt.operands)
    if not chk.all_good(args):
        for _ in alternatives[0]:
            items.append(Item("op", stmt, ctx.scope, name))
        return
    if name == "li":
        items.append(Item("li", stmt, ctx.scope, name, ctx.ops["li"], args, 1))
        return
    # a hole the user was already told about stands in as 0
    env = {
        k: (Num(0, n.col, n.end) if type(n) is Hole and not ctx.keep_holes else n)
        for k, n in zip(syntax, stmt.operands)
    }
    for template in alternatives[0]:
        s = fill_template(stmt, template, env)
        mn = s.mnemonic or ""
        if mn == "li":
            rd = chk.register(ctx, s, s.operands[0], quiet=True)
            value = chk.value(ctx, s, s.operands[1], "imm", quiet=True)
            items.append(Item("li", s, ctx.scope, name, ctx.ops["li"], [rd, value], 1))
        else:
            op = ctx.ops[mn]
            a = chk.check(ctx, s, name, op.syntax, s.operands, quiet=True)
            items.append(Item("op", s, ctx.scope, name, op, a, 1))


def _refuse_moved_holes(ctx: Ctx, stmt: Stmt, syntax: tuple, template: tuple) -> None:
    """A pseudo's hole must land as one whole operand of its expansion, so the value
    `ncpu fit` writes into the field is the value written at the hole; else it is an
    error here, and the hole stands in as 0 (the operands list is patched)."""
    for i, (slot, node) in enumerate(zip(syntax, stmt.operands)):
        if type(node) is not Hole:
            continue
        whole, inside = 0, 0
        for t in template:
            for op in t.operands:
                parts = [op.offset, op.base] if type(op) is Mem else [op]
                for part in parts:
                    if type(part) is Name and part.name == slot:
                        whole += 1
                    elif part is not None and _mentions(part, slot):
                        inside += 1
        if inside or whole != 1:
            how = "computes with it" if inside else f"uses it {whole} times"
            text = ctx.pseudos[stmt.mnemonic or ""].expands
            ctx.error_at(
                stmt,
                node,
                f"a hole `??` can't be used here: `{stmt.mnemonic}` expands to `{text}`,"
                f" which {how} (write the expansion with the hole instead)",
            )
            stmt.operands[i] = Num(0, node.col, node.end)


def _mentions(node: object, slot: str) -> bool:
    t = type(node)
    if t is Name:
        return node.name == slot  # type: ignore[attr-defined]
    if t is Unary:
        return _mentions(node.arg, slot)  # type: ignore[attr-defined]
    if t is Binary:
        return _mentions(node.left, slot) or _mentions(node.right, slot)  # type: ignore[attr-defined]
    if t is Paren:
        return _mentions(node.inner, slot)  # type: ignore[attr-defined]
    return False


def _mnemonic_hole(ctx: Ctx, stmt: Stmt, items: list[Item]) -> None:
    """`?{add,sub,xor} rd, ra, rb`: one word, the opcode left for `ncpu fit`."""
    choices = stmt.choices or []
    ops = []
    for node in choices:
        op = ctx.ops.get(node.name)
        if op is None:
            if node.name in ctx.pseudos:
                why = "a pseudo-instruction"
            elif node.name in DIRECTIVES:
                why = "a directive"
            else:
                guess = did_you_mean(node.name, ctx.ops, aliases=ctx.isa.mnemonic_aliases)
                why = f"unknown mnemonic{guess}"
            ctx.error_at(stmt, node, f"`{node.name}` can't be a mnemonic-hole choice ({why})")
        elif op in ops:
            ctx.error_at(stmt, node, holes.twice(node.name, op.name))
        else:
            ops.append(op)
    ok = len(ops) == len(choices)
    if ops and any(
        (o.format, o.syntax, o.imm) != (ops[0].format, ops[0].syntax, ops[0].imm) for o in ops
    ):
        shown = ", ".join(f"`{o.name}` is {o.format} ({chk.syntax_words(o.syntax)})" for o in ops)
        ctx.error(
            mnemonic_span(stmt), f"the choices of a mnemonic hole must share one format: {shown}"
        )
        ok = False
    if not ctx.keep_holes:
        ctx.error(
            mnemonic_span(stmt), "hole `?{...}` needs --keep-holes (holes are for `ncpu fit`)"
        )
        ok = False
    args = chk.check(ctx, stmt, "?{...}", ops[0].syntax, stmt.operands) if ops else None
    item = Item("op", stmt, ctx.scope, "?{...}", ops[0] if ops else None, args if ok else None, 1)
    item.choices = tuple(o.name for o in ops)
    items.append(item)


def _directive(ctx: Ctx, stmt: Stmt, items: list[Item], stack: list[Path], here: Path) -> None:
    mn = stmt.mnemonic or ""
    operands = stmt.operands
    if mn not in DIRECTIVES:
        guess = did_you_mean(mn, DIRECTIVES)
        ctx.error(mnemonic_span(stmt), f"unknown directive `{stmt.mn_text[:40]}`{guess}")
        return
    if mn == ".word":
        if not operands:
            ctx.error(mnemonic_span(stmt), "`.word` needs at least one value")
        args = [chk.value(ctx, stmt, node, "imm") for node in operands]
        items.append(Item("word", stmt, ctx.scope, mn, None, args, len(operands)))
    elif mn in (".org", ".zero", ".entry"):
        what = {".org": "address", ".zero": "count", ".entry": "target"}[mn]
        if _no_hole(ctx, stmt, mn, operands):
            args = chk.check(ctx, stmt, mn, (what,), operands)
            args = args if chk.all_good(args) else None
        else:
            args = None
        items.append(Item(mn[1:], stmt, ctx.scope, mn, None, args))
    elif mn == ".equ":
        _equ(ctx, stmt, items)
    elif mn == ".string":
        if len(operands) != 1 or type(operands[0]) is not Str:
            _expected_string(ctx, stmt, mn)
            items.append(Item("string", stmt, ctx.scope, mn, None, None, 1))
            return
        codes = operands[0].codes
        items.append(Item("string", stmt, ctx.scope, mn, None, codes, len(codes) + 1))
    else:
        if len(operands) != 1 or type(operands[0]) is not Str:
            _expected_string(ctx, stmt, mn)
            return
        _include(ctx, stmt, operands[0], items, stack, here)


def _no_hole(ctx: Ctx, stmt: Stmt, mn: str, operands: list) -> bool:
    """True when no operand is a bare hole; else reports each (with or without --keep-holes)."""
    holes = [n for n in operands if type(n) is Hole]
    for node in holes:
        ctx.error_at(
            stmt,
            node,
            f"`{mn}` can't take a hole (holes stand for instruction operands and `.word`)",
        )
    return not holes


def _expected_string(ctx: Ctx, stmt: Stmt, mn: str) -> None:
    if len(stmt.operands) != 1:
        chk.count_error(ctx, stmt, mn, ('"text"',))
    else:
        got = chk.describe(stmt.operands[0])
        ctx.error_at(stmt, stmt.operands[0], f"`{mn}` takes a string in double quotes, got {got}")


def _equ(ctx: Ctx, stmt: Stmt, items: list[Item]) -> None:
    operands = stmt.operands
    if len(operands) != 2:
        chk.count_error(ctx, stmt, ".equ", ("name", "value"))
        return
    name, expr = operands
    if type(name) is not Name or name.name.lower() in ctx.regs:
        ctx.error_at(stmt, name, f"`.equ` needs a name first, got {chk.describe(name)}")
        return
    full = ctx.full_name(name.name, ctx.scope)
    value = chk.value(ctx, stmt, expr, "imm") if _no_hole(ctx, stmt, ".equ", [expr]) else chk.BAD
    if value is not chk.BAD:
        rept.remember_equ(ctx, full, value)
    ctx.all_names.add(full)
    items.append(
        Item("equ", stmt, ctx.scope, ".equ", None, None if value is chk.BAD else [name, value])
    )


def _include(
    ctx: Ctx, stmt: Stmt, node: Str, items: list[Item], stack: list[Path], here: Path
) -> None:
    """Splice in `.include "file"` (relative to the including file)."""
    text = "".join(chr(c) for c in node.codes)
    span = span_of(stmt, node)
    path = here / text
    display = (
        os.path.normpath(os.path.join(os.path.dirname(stmt.file), text))
        if not stmt.file.startswith("<")
        else text
    )
    if "\x00" in text:
        ctx.error(span, "cannot include a file whose name contains a NUL character")
        return
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as err:  # e.g. a symlink loop
        ctx.error(span, f"cannot include `{text}`: {getattr(err, 'strerror', None) or err}")
        return
    if real in stack:
        chain = " -> ".join([*(p.name for p in stack[stack.index(real) :]), real.name])
        ctx.error(span, f"include cycle: {chain}")
        return
    if len(stack) > MAX_INCLUDE_DEPTH:
        ctx.error(span, f"includes nested more than {MAX_INCLUDE_DEPTH} deep")
        return
    try:
        data = read_include_bytes(path)
    except FileNotFoundError:
        ctx.error(span, f"cannot include `{text}`: file not found")
        return
    except OSError as err:
        ctx.error(span, f"cannot include `{text}`: {err.strerror or err}")
        return
    source, problem = decode_source(data, display)
    if problem is not None:
        ctx.error(span, problem)
        return
    ctx.sources[display] = source
    stmts, diags = parse(source, display)
    ctx.diags.extend(diags)
    ctx.fatal = ctx.fatal or gave_up(diags)
    expand(ctx, stmts, items, [*stack, real], real.parent)
