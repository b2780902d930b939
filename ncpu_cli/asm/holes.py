"""Sketch statements of pass 2: `.holes` and instruction holes (isa/holes.md).

`.holes regs r0-r7` / `.holes regs r1, r2, r5` and `.holes imm -32:31` set the
candidates of the instruction holes that follow (Ctx.hole_regs / hole_imm).

An instruction hole `?{add,addi,nop}` alone on a line is one unknown
instruction: every operand of the chosen mnemonic is a hole. With operands whose
choices differ in format (`?{add,addi} r3, r1, ??`) operand i stands for one
*role* of each choice (rd, ra, rb, imm, target; `mem` is imm and ra). Either
becomes one `ihole` item holding an `IHole`; ihole_resolve.py turns it into the
table entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ncpu_cli.asm import operands as chk
from ncpu_cli.asm.ast import Hole, Mem, Name, Num, Paren, Stmt, Str, mnemonic_span, stmt_span
from ncpu_cli.asm.context import DIRECTIVES, Ctx, did_you_mean
from ncpu_cli.asm.expr import parse_int
from ncpu_cli.asm.items import Item
from ncpu_cli.errors import Span
from ncpu_cli.isa import Op

ROLES = ("rd", "ra", "rb", "imm", "target")
NOP = "nop"
IMM14 = (-8192, 8191)  # `.holes imm` must fit the 14-bit immediate (ISA.md)
TOKEN_ROLES = {"rd": ("rd",), "ra": ("ra",), "rb": ("rb",), "imm": ("imm",),
               "mem": ("imm", "ra"), "target": ("target",)}
_REG_ITEM = re.compile(r"\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*(?:-\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*)?\Z")
_NUMBER = r"\s*(-?)\s*([0-9][0-9A-Za-z_]*)\s*"
_IMM_RANGE = re.compile(_NUMBER + ":" + _NUMBER + r"\Z")
_WANT = {"rd": "a register", "ra": "a register", "rb": "a register", "imm": "an immediate",
         "mem": "a memory operand `imm(ra)`", "target": "a target"}


@dataclass
class Source:
    """Where a role's value comes from: an operand node (None: a hole with the
    `.holes` candidates), its position and part (`off`/`base` of a memory operand)."""

    node: object | None
    key: tuple[int, str]


@dataclass
class IHole:
    """An instruction hole as expanded: its choices and, per role, the source and users."""

    choices: tuple[str, ...]
    ops: tuple[Op | None, ...]  # None for nop
    regs: tuple[int, ...]  # `.holes regs` in force here
    imm: tuple[int, int]  # `.holes imm` in force here
    roles: dict[str, Source] = field(default_factory=dict)
    users: dict[str, list[Op]] = field(default_factory=dict)  # role -> choices using it


# --- `.holes` -----------------------------------------------------------------------


def holes_directive(ctx: Ctx, stmt: Stmt) -> None:
    """`.holes regs LIST` or `.holes imm LO:HI`: candidates of later instruction holes."""
    raw, col = stmt.raw or "", stmt.raw_col
    body = raw.rstrip()
    m = re.match(r"\s*([A-Za-z_]\w*)", body)
    if m is None:
        ctx.error(mnemonic_span(stmt), "`.holes` takes `regs LIST` or `imm LO:HI`")
        return
    kind, rest, rest_col = m.group(1), body[m.end():], col + m.end()
    kind_span = Span(stmt.file, stmt.line, col + m.start(1), len(kind))
    if kind.lower() == "regs":
        regs = _regs(ctx, stmt, rest, rest_col, kind_span)
        if regs:
            ctx.hole_regs = regs
    elif kind.lower() == "imm":
        imm = _imm(ctx, stmt, rest, rest_col, kind_span)
        if imm is not None:
            ctx.hole_imm = imm
    else:
        guess = did_you_mean(kind.lower(), ["regs", "imm"])
        ctx.error(kind_span, f"unknown `.holes` kind `{kind[:40]}`{guess} (use `regs` or `imm`)")


def _span(stmt: Stmt, text: str, col: int) -> Span:
    """The span of `text` (stripped) that starts at column `col`."""
    lead = len(text) - len(text.lstrip())
    return Span(stmt.file, stmt.line, col + lead, max(1, len(text.strip())))


def _regs(ctx: Ctx, stmt: Stmt, rest: str, col: int, kind_span: Span) -> tuple[int, ...]:
    if not rest.strip():
        ctx.error(kind_span, "`.holes regs` needs registers: `r0-r7` or `r1, r2, r5`")
        return ()
    found: set[int] = set()
    ok = True
    for part in rest.split(","):
        span = _span(stmt, part, col)
        col += len(part) + 1
        m = _REG_ITEM.match(part)
        if m is None:
            ok = False
            got = f"`{part.strip()[:40]}`" if part.strip() else "nothing"
            ctx.error(span, f"expected a register or a range `r0-r7`, got {got}")
            continue
        nums = [_reg(ctx, stmt, m, g, span) for g in (1, 2) if m.group(g)]
        if None in nums:
            ok = False
        elif nums[0] > nums[-1]:
            ok = False
            ctx.error(span, f"bad register range `{m.group(1)}-{m.group(2)}`:"
                      " the first must not be above the last")
        else:
            found.update(range(nums[0], nums[-1] + 1))  # type: ignore[arg-type]
    return tuple(sorted(found)) if ok else ()


def _reg(ctx: Ctx, stmt: Stmt, m: re.Match, group: int, span: Span) -> int | None:
    name = m.group(group)
    n = ctx.regs.get(name.lower())
    if n is None:
        start = span.col + m.start(group) - (len(m.group(0)) - len(m.group(0).lstrip()))
        where = Span(stmt.file, stmt.line, start, len(name))
        ctx.error(where, chk._unknown_register(ctx, name))
    return n


def _imm(ctx: Ctx, stmt: Stmt, rest: str, col: int, kind_span: Span) -> tuple[int, int] | None:
    m = _IMM_RANGE.match(rest)
    span = _span(stmt, rest, col) if rest.strip() else kind_span
    if not rest.strip():
        ctx.error(span, "`.holes imm` needs a range `lo:hi`, e.g. `-32:31`")
        return None
    if m is None:
        ctx.error(span, f"`.holes imm` takes a range `lo:hi` of numbers, e.g. `-32:31`,"
                  f" got `{rest.strip()[:40]}`")
        return None
    try:
        lo, hi = (parse_int(m.group(g + 1)) * (-1 if m.group(g) else 1) for g in (1, 3))
    except ValueError as err:
        ctx.error(span, str(err))
        return None
    if lo > hi:
        ctx.error(span, f"empty immediate range {lo}:{hi}: lo must not exceed hi")
        return None
    if not IMM14[0] <= lo <= hi <= IMM14[1]:
        ctx.error(span, f"immediate range {lo}:{hi} must fit the 14-bit immediate field"
                  f" ({IMM14[0]}..{IMM14[1]})")
        return None
    return (lo, hi)


# --- instruction holes ----------------------------------------------------------------


def is_instruction_hole(ctx: Ctx, stmt: Stmt) -> bool:
    """True for `?{...}` alone on a line, or with operands when the choices are not
    all instructions of one format (else it stays a mnemonic hole: kind `mnemonic`)."""
    if not stmt.operands:
        return True
    names = [c.name for c in stmt.choices or ()]
    ops = [o for o in map(ctx.ops.get, names) if o is not None]
    if NOP in names:
        return True
    return any((o.format, o.syntax, o.imm) != (ops[0].format, ops[0].syntax, ops[0].imm)
               for o in ops)


def choice_op(ctx: Ctx, stmt: Stmt, node: Name, allow_nop: bool) -> tuple[bool, Op | None]:
    """(ok, op) for one choice of a hole; reports a bad one at its column."""
    name = node.name
    if name == NOP and allow_nop:
        return True, None
    op = ctx.ops.get(name)
    if op is not None and op.cls != "halt":
        return True, op
    if op is not None:
        why = "a hole can't halt: write `halt` itself"
    elif name in ctx.pseudos:
        why = "a pseudo-instruction"
    elif name in DIRECTIVES:
        why = "a directive"
    else:
        guess = did_you_mean(name, [*ctx.ops, NOP], aliases=ctx.isa.mnemonic_aliases)
        why = f"unknown mnemonic{guess}"
    ctx.error_at(stmt, node, f"`{name}` can't be a mnemonic-hole choice ({why})")
    return False, None


def twice(spelling: str, name: str) -> str:
    """The error for a choice listed twice in a hole (`sll` is listed twice when it is `shl`)."""
    alias = f" (`{spelling}` is `{name}`)" if spelling != name else ""
    return f"`{spelling}` is listed twice in the hole{alias}"


def instruction_hole(ctx: Ctx, stmt: Stmt, items: list[Item]) -> None:
    """One `ihole` item (args None after an error; it still takes its word)."""
    ok = True
    ops: list[Op | None] = []
    seen: set[str] = set()
    for node in stmt.choices or ():
        good, op = choice_op(ctx, stmt, node, allow_nop=True)
        name = op.name if op is not None else node.name
        if good and name in seen:
            ctx.error_at(stmt, node, twice(node.name, name))
            good = False
        seen.add(name)
        ok = ok and good
        ops.append(op)
    if not ctx.keep_holes:
        ctx.error(mnemonic_span(stmt), "hole `?{...}` needs --keep-holes (holes are for `ncpu fit`)")
        ok = False
    names = tuple(c.name if op is None else op.name for c, op in zip(stmt.choices or (), ops))
    ih = IHole(names, tuple(ops), ctx.hole_regs, ctx.hole_imm)  # names as the table spells them
    if ok:
        ok = _bind(ctx, stmt, ih)
    items.append(Item("ihole", stmt, ctx.scope, "?{...}", None, [ih] if ok else None, 1))


def _bind(ctx: Ctx, stmt: Stmt, ih: IHole) -> bool:
    """Fill ih.roles / ih.users from each choice's syntax and the operands."""
    ok = True
    for op in ih.ops:
        if op is None:
            continue
        if not stmt.operands:
            sources = [(r, Source(None, (-1, r))) for t in op.syntax for r in TOKEN_ROLES[t]]
        else:
            got = _sources(ctx, stmt, op)
            if got is None:
                ok = False
                continue
            sources = got
        for role, src in sources:
            ih.users.setdefault(role, []).append(op)
            before = ih.roles.setdefault(role, src)
            if before.key != src.key and not _same_fixed(ctx, before.node, src.node):
                first = ih.users[role][0].name
                ctx.error(stmt_span(stmt), f"the choices of the instruction hole disagree on"
                          f" `{role}`: `{first}` takes it from {_where(before)}, `{op.name}`"
                          f" from {_where(src)}")
                ok = False
    return ok


def _where(src: Source) -> str:
    pos, part = src.key
    return f"operand {pos + 1}" + (" (its offset)" if part == "off" else
                                   " (its base)" if part == "base" else "")


def _same_fixed(ctx: Ctx, a: object, b: object) -> bool:
    """Two fixed registers that are the same register (`r15` and `sp`)."""
    return (type(a) is Name and type(b) is Name
            and ctx.regs.get(a.name.lower()) == ctx.regs.get(b.name.lower()) is not None)  # type: ignore[attr-defined]


def _mismatch(ctx: Ctx, stmt: Stmt, op: Op, what: str) -> None:
    ctx.error(mnemonic_span(stmt), "the choices of a mnemonic hole must share one format, or"
              f" its operands must fit every choice: {what}")


def _sources(ctx: Ctx, stmt: Stmt, op: Op) -> list[tuple[str, Source]] | None:
    """(role, source) for each operand of `op`; None (reported) when they don't fit it."""
    operands = stmt.operands
    if len(operands) != len(op.syntax):
        n = len(op.syntax)
        takes = (f"takes {n} operand{'s' if n != 1 else ''} ({chk.syntax_words(op.syntax)})"
                 if n else "takes no operands")
        _mismatch(ctx, stmt, op, f"`{op.name}` {takes}, got {len(operands)}")
        return None
    out: list[tuple[str, Source]] = []
    for i, (token, node) in enumerate(zip(op.syntax, operands)):
        t = type(node)
        if t is Hole and node.regs is not None:  # type: ignore[attr-defined]
            if token in chk.REGISTER_KINDS:
                if not chk.register_set(ctx, stmt, node):  # type: ignore[arg-type]
                    return None
                out.append((token, Source(node, (i, ""))))
                continue
            ctx.error_at(stmt, node, f"{chk.SUBSET_AS_VALUE}: `{op.name}` takes"
                         f" {_WANT[token]} as operand {i + 1}")
            return None
        if token in chk.REGISTER_KINDS:
            if t is Hole or (t is Name and node.name.lower() in ctx.regs):  # type: ignore[attr-defined]
                out.append((token, Source(node, (i, ""))))
                continue
        elif token == "mem":
            parts = _mem_parts(ctx, node)
            if parts is not None and _is_set(parts[0]):
                ctx.error_at(stmt, parts[0], f"{chk.SUBSET_AS_VALUE}: `{op.name}` takes"
                             f" an offset there")
                return None
            if parts is not None and _is_set(parts[1]):
                if not chk.register_set(ctx, stmt, parts[1]):  # type: ignore[arg-type]
                    return None
            if parts is not None:
                out += [("imm", Source(parts[0], (i, "off"))), ("ra", Source(parts[1], (i, "base")))]
                continue
        elif not (t in (Mem, Str) or (t is Name and node.name.lower() in ctx.regs)):  # type: ignore[attr-defined]
            out.append((token, Source(node, (i, ""))))
            continue
        _mismatch(ctx, stmt, op, f"`{op.name}` takes {_WANT[token]} as operand {i + 1}"
                  f" ({chk.syntax_words(op.syntax)}), got {chk.describe(node)}")
        return None
    return out


def _is_set(node: object) -> bool:
    return type(node) is Hole and node.regs is not None  # type: ignore[attr-defined]


def _mem_parts(ctx: Ctx, node: object) -> tuple[object, object] | None:
    """(offset, base) of a memory operand in an instruction hole; a bare `??` is both."""
    t = type(node)
    if t is Hole:
        return (node, node) if node.lo is None and node.regs is None else None  # type: ignore[attr-defined]
    if t is Paren and (type(node.inner) is Hole or node.inner.name.lower() in ctx.regs):  # type: ignore[attr-defined]
        return (Num(0, node.col, node.col), node.inner)  # type: ignore[attr-defined]
    if t is Mem:
        base = node.base  # type: ignore[attr-defined]
        if type(base) is Hole or (type(base) is Name and base.name.lower() in ctx.regs):
            off = node.offset  # type: ignore[attr-defined]
            return (Num(0, node.col, node.col) if off is None else off, base)  # type: ignore[attr-defined]
    return None
