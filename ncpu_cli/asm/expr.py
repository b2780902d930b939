"""Our own expression evaluator (never Python's eval) over the AST.

C semantics on 64-bit signed integers: `/` and `%` truncate toward zero, `>>` is
arithmetic. What C leaves undefined is an error here, never a silent wrap: a result
outside -2^63..2^63-1 (`1 << 70`, `0x7FFFFFFFFFFFFFFF + 1`), a shift count outside
0..63, division by zero. Problems raise `ExprError` naming the node at fault; a name
the caller cannot resolve (yet) raises `Unresolved`.
"""

from __future__ import annotations

from collections.abc import Callable

from ncpu_cli.asm.ast import Binary, Hole, Name, Num, Paren, Unary
from ncpu_cli.isa import to_signed

_M64 = (1 << 64) - 1
_SIGN64 = 1 << 63


def wrap64(value: int) -> int:
    """`value` as a 64-bit two's-complement number."""
    value &= _M64
    return value - (1 << 64) if value & _SIGN64 else value


def fit64(value: int) -> int:
    """`value` itself when it is a 64-bit signed integer; else ValueError saying so."""
    if -_SIGN64 <= value < _SIGN64:
        return value
    return _overflow(value)


def _overflow(value: int) -> int:
    sign = "-" if value < 0 else ""
    shown = str(value) if abs(value) < 10**30 else f"(about {sign}2^{abs(value).bit_length() - 1})"
    raise ValueError(f"the result {shown} does not fit in 64 bits (expressions are 64-bit "
                     "signed integers, -2^63..2^63-1)")


class ExprError(Exception):
    """A value cannot be computed; `node` is where to point."""

    def __init__(self, node: object, message: str):
        super().__init__(message)
        self.node = node
        self.message = message


class Unresolved(ExprError):
    """A name has no value (undefined, or not defined yet)."""

    def __init__(self, node: Name):
        super().__init__(node, f"undefined name `{node.name}`")


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def binary(op: str, a: int, b: int) -> int:
    """Apply a binary operator; raises ValueError with a message on a bad operand."""
    if op == "+":
        return fit64(a + b)
    if op == "-":
        return fit64(a - b)
    if op == "*":
        return fit64(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise ValueError("division by zero" if op == "/" else "remainder by zero")
        q = _div(a, b)
        return fit64(q) if op == "/" else fit64(a - b * q)
    if op in ("<<", ">>"):
        if not 0 <= b <= 63:
            what = "negative shift count" if b < 0 else "shift count"
            raise ValueError(f"{what} {b} outside 0..63 (expressions are 64-bit)")
        return fit64(a << b) if op == "<<" else a >> b
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    raise AssertionError(op)


def unary(op: str, a: int) -> int:
    if op == "-":
        return fit64(-a)
    if op == "~":
        return ~a
    return a


MAX_NESTING = 200  # parentheses/unary operators inside each other (after folding); more is refused


def evaluate(node: object, lookup: Callable[[Name], int], depth: int = 0) -> int:
    """Value of an expression; `lookup` gives a name's value or raises `Unresolved`.
    An expression nested more than MAX_NESTING deep is an ExprError naming the limit."""
    if depth > MAX_NESTING:
        raise ExprError(node, f"expression nested more than {MAX_NESTING} deep (the limit)")
    t = type(node)
    if t is Num:
        return node.value  # type: ignore[attr-defined]
    if t is Name:
        return lookup(node)  # type: ignore[arg-type]
    if t is Binary:  # a chain `a + b - c` is a left spine: walked, not nested
        spine = [node]
        while type(spine[-1].left) is Binary:  # type: ignore[attr-defined]
            spine.append(spine[-1].left)  # type: ignore[attr-defined]
        a = evaluate(spine[-1].left, lookup, depth + 1)  # type: ignore[attr-defined]
        for op_node in reversed(spine):
            b = evaluate(op_node.right, lookup, depth + 1)  # type: ignore[attr-defined]
            try:
                a = binary(op_node.op, a, b)  # type: ignore[attr-defined]
            except ValueError as err:
                raise ExprError(op_node, str(err)) from None
        return a
    if t is Unary:
        try:
            return unary(node.op, evaluate(node.arg, lookup, depth + 1))  # type: ignore[attr-defined]
        except ValueError as err:
            raise ExprError(node, str(err)) from None
    if t is Paren:
        return evaluate(node.inner, lookup, depth + 1)  # type: ignore[attr-defined]
    if t is Hole:
        raise ExprError(
            node,
            "a hole `??` can't be used here (only as a whole operand of an instruction"
            " or a `.word` value, never inside an expression)",
        )
    raise ExprError(node, "expected a number or expression")


def fold(node: object) -> object:
    """Constant-fold one Unary/Binary node whose operands are numbers (else unchanged)."""
    t = type(node)
    if t is Unary and type(node.arg) is Num:  # type: ignore[attr-defined]
        try:
            value = unary(node.op, node.arg.value)  # type: ignore[attr-defined]
        except ValueError:
            return node  # evaluated (and reported) later, at its place
        return Num(value, node.col, node.end)  # type: ignore[attr-defined]
    if t is Binary and type(node.left) is Num and type(node.right) is Num:  # type: ignore[attr-defined]
        try:
            value = binary(node.op, node.left.value, node.right.value)  # type: ignore[attr-defined]
        except ValueError:
            return node  # evaluated (and reported) later, at its place
        return Num(value, node.col, node.end)  # type: ignore[attr-defined]
    return node


def parse_int(text: str) -> int:
    """A number literal (`12`, `0x1F`, `0b1010`, `0o17`, `1_000`); ValueError says why not."""
    t = text.lower()
    base, body = 10, t
    if len(t) > 1 and t[0] == "0" and t[1] in "xbo":
        base, body = {"x": 16, "b": 2, "o": 8}[t[1]], t[2:]
    digits = body.replace("_", "")
    allowed = "0123456789abcdef"[:base]
    if not digits or any(c not in allowed for c in digits):
        raise ValueError(f"invalid number `{text[:40]}`")
    if len(digits) > 70:
        raise ValueError("number too large (at most 64 bits)")
    value = int(digits, base)
    if value > _M64:
        raise ValueError(f"number `{text}` does not fit in 64 bits")
    return to_signed(value, 64)
