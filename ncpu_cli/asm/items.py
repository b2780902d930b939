"""Item: one unit of assembler output, carrying the statement it came from."""

from __future__ import annotations

from dataclasses import dataclass

from ncpu_cli.asm.ast import Stmt
from ncpu_cli.isa import Op

# kind    args                                  size
# op      checked operands (operands.check)     1
# ihole   [IHole] (asm/holes.py); out [data]     1 (word 0; one `instruction` hole)
# li      [rd, value_expr]                      1 or 2, chosen at layout
# word    [expr, ...]                           len(args)
# string  [code, ...]                           len(args) + 1
# zero    [count_expr]                          the count, at layout
# org     [address_expr]                        0
# equ     [Name, expr]                          0
# entry   [expr]                                0
# label   [full_name, Label]                    0
DATA_KINDS = frozenset({"word", "string", "zero"})


@dataclass(slots=True)
class Item:
    kind: str
    stmt: Stmt
    scope: str  # the global label above (for `.local` names); "" at top level
    user: str  # the mnemonic as written by the user (a pseudo's name for its expansion)
    op: Op | None = None
    args: list | None = None  # None: the statement had an error (still laid out)
    size: int = 0
    addr: int = -1
    choices: tuple[str, ...] | None = None  # mnemonic hole `?{add,sub}`
    forward: bool = False  # li whose value was unknown at layout (one-word form)
    out: list | None = None  # resolved: words (data) or field tuples (instructions)
