"""Syntax tree of an assembly source: statements, operands, expressions.

Every node lives on one source line, so a node records only its columns
(`col` 1-based, `end` one past its last character); the statement that holds
it records the file and line. `span_of` turns the pair into an `errors.Span`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ncpu_cli.errors import Span


@dataclass(slots=True)
class Num:
    """An integer literal (number or character), already 64-bit signed."""

    value: int
    col: int
    end: int


@dataclass(slots=True)
class Name:
    """A name as written: a register, a label, a local label or an `.equ` constant."""

    name: str
    col: int
    end: int


@dataclass(slots=True)
class Unary:
    op: str  # "-" "+" "~"
    arg: Expr
    col: int
    end: int


@dataclass(slots=True)
class Binary:
    op: str  # "+" "-" "*" "/" "%" "<<" ">>" "&" "|" "^"
    left: Expr
    right: Expr
    col: int
    end: int


@dataclass(slots=True)
class Paren:
    """`(name)` or `(??)`: kept only around a bare name or hole, so `ld r1, (r2)` can
    mean `0(r2)` (and `(??)` a base-register hole); the hole keeps its own columns."""

    inner: Name | Hole
    col: int
    end: int


@dataclass(slots=True)
class Hole:
    """`??` or `??[lo:hi]`: a value `ncpu fit` chooses; `??{r1,r4-r7}` a register
    from a set (`regs` as written; `values` the sorted register numbers once checked,
    () when the set had an error)."""

    lo: Expr | None
    hi: Expr | None
    col: int
    end: int
    regs: list | None = None
    values: tuple[int, ...] | None = None


@dataclass(slots=True)
class Mem:
    """`offset(base)`; offset is None for the `(ra)` shorthand."""

    offset: Expr | Hole | None
    base: Expr | Hole
    col: int
    end: int


@dataclass(slots=True)
class Str:
    """A string literal as code points (escapes already decoded)."""

    codes: list[int]
    col: int
    end: int


Expr = Union[Num, Name, Unary, Binary, Paren]
Operand = Union[Num, Name, Unary, Binary, Paren, Hole, Mem, Str]


@dataclass(slots=True)
class Label:
    name: str
    col: int
    end: int


@dataclass(slots=True)
class Stmt:
    """One source line: `[label:] [mnemonic operands]`.

    `choices` is set for a mnemonic hole `?{add,sub}` (then `mnemonic` is the first).
    `raw` is the text after `.holes` (read by asm/holes.py), starting at column `raw_col`.
    """

    file: str
    line: int
    label: Label | None = None
    mnemonic: str | None = None  # lower-cased
    mn_text: str = ""  # as written
    mn_col: int = 0
    mn_end: int = 0
    operands: list = field(default_factory=list)
    choices: list[Name] | None = None
    raw: str | None = None
    raw_col: int = 0


def span_of(stmt: Stmt, node: object) -> Span:
    """The source span of `node` (anything with col/end) on `stmt`'s line."""
    col, end = node.col, node.end  # type: ignore[attr-defined]
    return Span(stmt.file, stmt.line, col, max(1, end - col))


def mnemonic_span(stmt: Stmt) -> Span:
    return Span(stmt.file, stmt.line, stmt.mn_col, max(1, stmt.mn_end - stmt.mn_col))


def stmt_span(stmt: Stmt) -> Span:
    """From the mnemonic to the end of the last operand."""
    end = stmt.operands[-1].end if stmt.operands else stmt.mn_end
    return Span(stmt.file, stmt.line, stmt.mn_col, max(1, end - stmt.mn_col))


def line_span(stmt: Stmt) -> Span:
    """The statement's instruction part, or its label when it has no instruction."""
    if stmt.mnemonic is None and stmt.label is not None:
        return span_of(stmt, stmt.label)
    return stmt_span(stmt)
