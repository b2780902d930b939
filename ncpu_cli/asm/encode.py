"""Pass 5, encode: resolved items -> words, holes and the Image.

Every hole is 0 in its field (or its data word) and gets one entry in
`Image.holes`, listed in source order: by file (first seen first), line and
column, each with its `index` in that order. `col` and `length` give the hole
token's exact span in the source line (`??` is 2 long, `??[0:15]` 8,
`?{add,sub}` 10), so a tool can rewrite just that text.
"""

from __future__ import annotations

from ncpu_cli.asm import ihole
from ncpu_cli.asm.ast import Hole, Stmt
from ncpu_cli.asm.context import Ctx
from ncpu_cli.asm.items import DATA_KINDS, Item
from ncpu_cli.asm.resolve import Fields
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32


def encode(ctx: Ctx, items: list[Item], owner: dict[int, Stmt], entry: int | None) -> Image:
    size = max(owner) + 1 if owner else 0
    words = [0] * size
    holes: list[dict] = []
    isa = ctx.isa
    op_mask = isa.fields["op"].put(isa.fields["op"].mask)
    for it in items:
        out = it.out
        if out is None:
            continue
        addr = it.addr
        if it.kind in DATA_KINDS:
            for i, value in enumerate(out):
                if type(value) is tuple:  # a data hole `.word ??`
                    node, lo, hi = value
                    holes.append(_hole(it.stmt, node, addr + i, "data", "word", lo=lo, hi=hi))
                    value = 0
                words[addr + i] = value & MASK32
            continue
        if it.kind == "ihole":  # an instruction hole: word 0, one table entry
            holes.append(ihole.entry(it.stmt, addr, out[0], size))
            continue
        for i, f in enumerate(out):
            words[addr + i] = _word(isa, f, addr + i, holes, op_mask)
    symbols = dict(ctx.labels)
    source_map = {a: (s.file, s.line) for a, s in sorted(owner.items())}
    return Image(words, entry or 0, symbols, source_map, holes=in_source_order(ctx, holes))


def in_source_order(ctx: Ctx, holes: list[dict]) -> list[dict]:
    """Holes sorted by file, line, address and column, each with its `index`.

    Within a line, address before column: the copies of a `.rept` line share its
    columns, so each copy's holes stay together, in address order."""
    order = {name: i for i, name in enumerate(ctx.sources)}
    ranked = sorted(
        holes,
        key=lambda h: (order.get(h["file"], len(order)), h["line"], h["address"], h["col"]),
    )
    return [{"index": i, **h} for i, h in enumerate(ranked)]


def _word(isa, f: Fields, address: int, holes: list[dict], op_mask: int) -> int:
    """Encode one instruction; every hole is 0 in its field and listed in `holes`."""
    values = []
    for name, v in (("rd", f.rd), ("ra", f.ra), ("rb", f.rb), ("imm", f.imm)):
        if type(v) is tuple:
            node, lo, hi = v
            field = f.op.imm.field.name if name == "imm" else name
            kind = "imm" if name == "imm" else "register"
            holes.append(_hole(f.stmt, node, address, kind, field, lo=lo, hi=hi))
            v = 0
        values.append(v)
    word = isa.encode(f.op, *values)
    if f.choices is not None:
        word &= ~op_mask & MASK32
        stmt = f.stmt
        holes.append(
            {
                "address": address,
                "kind": "mnemonic",
                "field": "op",
                "choices": list(f.choices),
                "file": stmt.file,
                "line": stmt.line,
                "col": stmt.mn_col,
                "length": stmt.mn_end - stmt.mn_col,
            }
        )
    return word


def _hole(stmt: Stmt, node: Hole, address: int, kind: str, field: str, **extra: int) -> dict:
    values = {"values": list(node.values)} if node.values else {}
    return {
        "address": address,
        "kind": kind,
        "field": field,
        **extra,
        **values,
        "file": stmt.file,
        "line": stmt.line,
        "col": node.col,
        "length": node.end - node.col,
    }
