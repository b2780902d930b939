"""The Lark grammar (isa/ncpu32.lark): strict LALR, positions, shapes, expression precedence."""

from __future__ import annotations

import ast as pyast
from fractions import Fraction
from math import trunc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import UnexpectedInput

from ncpu_cli.asm.ast import Hole, Mem, Name, Num, Paren, Str
from ncpu_cli.asm.expr import ExprError, evaluate, wrap64
from ncpu_cli.asm.parser import grammar_text, parse, tree_parser
from ncpu_cli.isa import data_path


def test_grammar_is_strict_lalr() -> None:
    """No shift/reduce conflicts and no colliding terminals (needs interegular)."""
    parser = Lark(data_path("ncpu32.lark").read_text(encoding="utf-8"), parser="lalr", strict=True)
    assert parser.parse("loop: add r1, r2, r3 ; c\n").data == "start"


def test_tree_parser_keeps_positions() -> None:
    tree = tree_parser().parse("\n  x: ld r1, -4(sp)  # c\n")
    line = next(t for t in tree.find_data("line") if t.children)
    assert (line.meta.line, line.meta.column) == (2, 3)
    mem = next(tree.find_data("mem"))
    assert (mem.meta.line, mem.meta.column, mem.meta.end_column) == (2, 13, 19)


def test_grammar_text_is_the_shipped_file() -> None:
    assert grammar_text() == data_path("ncpu32.lark").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "source",
    [
        "add r1,, r2\n",
        "x: y: halt\n",
        "ld r1, 4(r2\n",
        ".word 1 2\n",
        "add r1 @\n",
        "??? r1\n",
        "?{add sub} r1\n",
        "addi r1, r2, 3 +\n",
        "a:: halt\n",
    ],
)
def test_rejects(source: str) -> None:
    with pytest.raises(UnexpectedInput):
        tree_parser().parse(source)
    stmts, diags = parse(source, "g.s")
    assert diags and diags[0].message.startswith("syntax error")


def test_statement_shapes() -> None:
    stmts, diags = parse(
        'a: add r1, r2, r3\n\n.b:\n  ld r4, (sp)\n  st r1, 2+x(r2)\n  .string "hi"\n'
        "  ?{add,sub} r1, ??, ??[0:3]\n  halt\n",
        "g.s",
    )
    assert not diags
    assert [(s.line, s.label.name if s.label else None, s.mnemonic) for s in stmts] == [
        (1, "a", "add"),
        (3, ".b", None),
        (4, None, "ld"),
        (5, None, "st"),
        (6, None, ".string"),
        (7, None, "add"),
        (8, None, "halt"),
    ]
    assert [o.name for o in stmts[0].operands] == ["r1", "r2", "r3"]
    assert isinstance(stmts[2].operands[1], Paren)
    mem = stmts[3].operands[1]
    assert isinstance(mem, Mem) and isinstance(mem.base, Name) and (mem.col, mem.end) == (10, 17)
    assert isinstance(stmts[4].operands[0], Str) and stmts[4].operands[0].codes == [104, 105]
    hole_stmt = stmts[5]
    assert [c.name for c in hole_stmt.choices] == ["add", "sub"]
    assert isinstance(hole_stmt.operands[1], Hole) and hole_stmt.operands[2].lo.value == 0


def test_number_columns_and_folding() -> None:
    (stmt,), _ = parse(".word -(2 + 3), 'A'\n", "g.s")
    first, second = stmt.operands
    assert isinstance(first, Num) and first.value == -5 and (first.col, first.end) == (7, 15)
    assert isinstance(second, Num) and second.value == 65


# Expression precedence against an independent oracle: Python's own parser (not eval)
# gives these operators the same precedence as C; a result outside 64-bit signed integers
# is an error (C leaves it undefined), so the walker raises OverflowError there.


@st.composite
def expressions(draw, depth: int = 0) -> str:
    if depth > 3 or draw(st.integers(0, 2)) == 0:
        return str(draw(st.integers(0, 300)))
    kind = draw(st.sampled_from(["bin", "bin", "bin", "unary", "paren"]))
    if kind == "unary":
        return draw(st.sampled_from(["-", "~"])) + draw(expressions(depth + 1))
    if kind == "paren":
        return "(" + draw(expressions(depth + 1)) + ")"
    op = draw(st.sampled_from(["+", "-", "*", "<<", ">>", "&", "|", "^"]))
    left = draw(expressions(depth + 1))
    right = draw(expressions(depth + 1))
    if op in ("<<", ">>"):
        right = str(draw(st.integers(0, 12)))
    return f"{left} {op} {right}"


def python_value(text: str) -> int:
    """Walk Python's AST of `text` (no eval); OverflowError when a result leaves 64 bits."""
    ops = {
        pyast.Add: lambda a, b: a + b,
        pyast.Sub: lambda a, b: a - b,
        pyast.Mult: lambda a, b: a * b,
        pyast.LShift: lambda a, b: a << shift(b),
        pyast.RShift: lambda a, b: a >> shift(b),
        pyast.BitAnd: lambda a, b: a & b,
        pyast.BitOr: lambda a, b: a | b,
        pyast.BitXor: lambda a, b: a ^ b,
    }

    def walk(node: pyast.AST) -> int:
        if isinstance(node, pyast.Constant):
            return int(node.value)
        if isinstance(node, pyast.UnaryOp):
            v = walk(node.operand)
            return fits(-v if isinstance(node.op, pyast.USub) else ~v)
        assert isinstance(node, pyast.BinOp)
        return fits(ops[type(node.op)](walk(node.left), walk(node.right)))

    def shift(b: int) -> int:  # C: a count of 64 or more is undefined
        if b > 63:
            raise OverflowError(b)
        return b

    def fits(v: int) -> int:
        if wrap64(v) != v:
            raise OverflowError(v)
        return v

    return walk(pyast.parse(text, mode="eval").body)


def our_value(text: str) -> int:
    (stmt,), diags = parse(f".word {text}\n", "e.s")
    assert not diags
    return evaluate(stmt.operands[0], lambda node: 0)


@settings(max_examples=500, deadline=None)
@given(expressions())
def test_precedence_matches_c(text: str) -> None:
    try:
        expected = python_value(text)
    except ValueError:  # a negative shift count, e.g. `1 << 0 - 1`
        with pytest.raises(ExprError, match="negative shift count"):
            our_value(text)
        return
    except OverflowError:
        with pytest.raises(ExprError, match="does not fit in 64 bits|shift count"):
            our_value(text)
        return
    assert our_value(text) == expected, text


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(-1000, 1000).filter(lambda b: b != 0))
def test_division_truncates_toward_zero(a: int, b: int) -> None:
    q = trunc(Fraction(a, b))
    assert our_value(f"({a}) / ({b})") == q
    assert our_value(f"({a}) % ({b})") == a - b * q
