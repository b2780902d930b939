"""Our own expression evaluator (never Python's eval) over the AST.

C semantics on 64-bit signed integers: every result wraps to 64 bits, `/` and
`%` truncate toward zero, `>>` is arithmetic. Problems raise `ExprError` naming
the node at fault; a name the caller cannot resolve (yet) raises `Unresolved`.
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
        return wrap64(a + b)
    if op == "-":
        return wrap64(a - b)
    if op == "*":
        return wrap64(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise ValueError("division by zero" if op == "/" else "remainder by zero")
        q = _div(a, b)
        return wrap64(q) if op == "/" else wrap64(a - b * q)
    if op == "<<":
        if b < 0:
            raise ValueError(f"negative shift count {b}")
        return 0 if b >= 64 else wrap64(a << b)
    if op == ">>":
        if b < 0:
            raise ValueError(f"negative shift count {b}")
        return a >> min(b, 63)
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    raise AssertionError(op)


def unary(op: str, a: int) -> int:
    if op == "-":
        return wrap64(-a)
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
        return unary(node.op, evaluate(node.arg, lookup, depth + 1))  # type: ignore[attr-defined]
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
        return Num(unary(node.op, node.arg.value), node.col, node.end)  # type: ignore[attr-defined]
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
