"""The assembler as a visible chain of small passes over items that carry their source.

    parse -> expand -> layout -> resolve -> encode

1. parse    (parser.py)  text -> statements, every syntax error
2. expand   (expand.py)  statements -> items: directives, includes, pseudos, operand checks
3. layout   (layout.py)  addresses, labels, `.equ`, `li` sizes, overlaps, memory size
4. resolve  (resolve.py) expressions -> values, range checks
5. encode   (encode.py)  values -> words, holes, Image

Every pass keeps going after an error, so one run reports them all.
"""

from __future__ import annotations

from pathlib import Path

from ncpu_cli.asm.context import MAX_WORDS, Ctx
from ncpu_cli.asm.encode import encode
from ncpu_cli.asm.expand import expand
from ncpu_cli.asm.ihole import resolve_iholes
from ncpu_cli.asm.items import Item
from ncpu_cli.asm.layout import layout
from ncpu_cli.asm.parser import gave_up, parse
from ncpu_cli.asm.resolve import resolve
from ncpu_cli.asm.source import text_problem
from ncpu_cli.errors import AsmError, Diagnostic, Span
from ncpu_cli.image import Image


def run(
    source: str,
    filename: str,
    *,
    keep_holes: bool,
    mem_words: int | None,
    base_dir: Path,
    real_path: Path | None = None,
) -> Image:
    """Assemble `source` (already text); raises AsmError with every diagnostic."""
    limit = MAX_WORDS if mem_words is None else min(mem_words, MAX_WORDS)
    ctx = Ctx(keep_holes=keep_holes, limit=limit, limit_from_option=mem_words is not None)
    problem = text_problem(source, filename)
    if problem is not None:
        raise AsmError([_at_start(filename, problem)], {})
    ctx.sources[filename] = source

    stmts, diags = parse(source, filename)  # 1
    ctx.diags.extend(diags)
    ctx.fatal = gave_up(diags)
    items: list[Item] = []
    stack = [real_path.resolve()] if real_path is not None else []
    expand(ctx, stmts, items, stack, base_dir)  # 2
    if ctx.fatal:  # part of the source was never read: later passes would only guess
        raise AsmError(sorted_diagnostics(ctx), ctx.sources)
    owner = layout(ctx, items)  # 3
    entry = resolve(ctx, items)  # 4
    resolve_iholes(ctx, items)
    image = encode(ctx, items, owner, entry)  # 5

    if not ctx.diags and not owner:
        ctx.diags.append(_at_start(filename, "empty program: no instructions or data"))
    if ctx.diags:
        raise AsmError(sorted_diagnostics(ctx), ctx.sources)
    return image


def sorted_diagnostics(ctx: Ctx) -> list:
    """In source order: by file (first seen first), then line and column."""
    order = {name: i for i, name in enumerate(ctx.sources)}
    seen: set = set()
    unique = []
    for d in ctx.diags:  # a line repeated by `.rept` reports its error once
        key = (d.span, d.message, d.severity)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return sorted(
        unique, key=lambda d: (order.get(d.span.file, len(order)), d.span.line, d.span.col)
    )


def _at_start(filename: str, message: str) -> Diagnostic:
    return Diagnostic(Span(filename, 1, 1, 1), message)
