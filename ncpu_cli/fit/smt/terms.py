"""Bit-vector values that are Python ints until they must be solver terms.

A value of width w is either an int in 0..2^w-1 (known) or a bitwuzla Term of
sort (_ BitVec w); a truth value is a Python bool or a Boolean Term.  Every
operation folds known operands in Python, so an example whose control flow does
not depend on a hole unrolls to a straight line of constants and only the
hole-dependent parts reach the solver.  Division and shifts follow ISA.md:
x / 0 = -1, x rem 0 = x, INT_MIN / -1 = INT_MIN, shift amounts & 31.
"""

from __future__ import annotations

from typing import Any, Union

Val = Union[int, Any]  # int (known) or a bitwuzla Term
Flag = Union[bool, Any]


def _signed(x: int, w: int) -> int:
    return x - (1 << w) if x >> (w - 1) else x


def isa_div(a: int, b: int) -> int:
    """ISA.md signed division on 32-bit unsigned words (known operands)."""
    sa, sb = _signed(a, 32), _signed(b, 32)
    if sb == 0:
        return 0xFFFF_FFFF
    q = abs(sa) // abs(sb)
    return (q if (sa < 0) == (sb < 0) else -q) & 0xFFFF_FFFF


def isa_rem(a: int, b: int) -> int:
    sa, sb = _signed(a, 32), _signed(b, 32)
    if sb == 0:
        return a
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & 0xFFFF_FFFF


class Ctx:
    """A bitwuzla term manager with constant-folding constructors."""

    def __init__(self):
        import bitwuzla  # the worker has it; import errors are the caller's to report

        self.bz = bitwuzla
        self.tm = bitwuzla.TermManager()
        self.K = bitwuzla.Kind
        self._sorts: dict[int, Any] = {}
        self._bool = self.tm.mk_bool_sort()
        self.true, self.false = self.tm.mk_true(), self.tm.mk_false()
        self.nodes = 0  # terms made (a size measure for the encoding's limit)

    # -- making terms ----------------------------------------------------------------
    def sort(self, w: int):
        s = self._sorts.get(w)
        if s is None:
            s = self._sorts[w] = self.tm.mk_bv_sort(w)
        return s

    def term(self, x: Val, w: int):
        return self.tm.mk_bv_value(self.sort(w), x) if isinstance(x, int) else x

    def flag(self, b: Flag):
        return (self.true if b else self.false) if isinstance(b, bool) else b

    def var(self, name: str, w: int):
        return self.tm.mk_const(self.sort(w), name)

    def mk(self, kind, args, idx=None):
        self.nodes += 1
        return self.tm.mk_term(kind, args, idx) if idx else self.tm.mk_term(kind, args)

    def _bin(self, kind, a: Val, b: Val, w: int):
        return self.mk(kind, [self.term(a, w), self.term(b, w)])

    # -- arithmetic on width w (default 32) --------------------------------------------
    def add(self, a: Val, b: Val, w: int = 32) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return (a + b) & ((1 << w) - 1)
        if isinstance(b, int) and b == 0:
            return a
        if isinstance(a, int) and a == 0:
            return b
        return self._bin(self.K.BV_ADD, a, b, w)

    def sub(self, a: Val, b: Val, w: int = 32) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return (a - b) & ((1 << w) - 1)
        return self._bin(self.K.BV_SUB, a, b, w)

    def mul(self, a: Val, b: Val) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return (a * b) & 0xFFFF_FFFF
        return self._bin(self.K.BV_MUL, a, b, 32)

    def div(self, a: Val, b: Val) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return isa_div(a, b)
        # bvsdiv(x, 0) is 1 for negative x: ISA.md says -1 for every x
        q = self._bin(self.K.BV_SDIV, a, b, 32)
        return self.ite(self.eq(b, 0), 0xFFFF_FFFF, q)

    def rem(self, a: Val, b: Val) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return isa_rem(a, b)
        return self._bin(self.K.BV_SREM, a, b, 32)  # bvsrem(x, 0) = x, INT_MIN rem -1 = 0

    def and_(self, a: Val, b: Val, w: int = 32) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return a & b
        if (isinstance(a, int) and a == 0) or (isinstance(b, int) and b == 0):
            return 0
        return self._bin(self.K.BV_AND, a, b, w)

    def or_(self, a: Val, b: Val, w: int = 32) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return a | b
        if isinstance(b, int) and b == 0:
            return a
        if isinstance(a, int) and a == 0:
            return b
        return self._bin(self.K.BV_OR, a, b, w)

    def xor(self, a: Val, b: Val) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return a ^ b
        return self._bin(self.K.BV_XOR, a, b, 32)

    def shl(self, a: Val, b: Val) -> Val:
        b = self.and_(b, 31)
        if isinstance(a, int) and isinstance(b, int):
            return (a << b) & 0xFFFF_FFFF
        return self._bin(self.K.BV_SHL, a, b, 32)

    def shr(self, a: Val, b: Val) -> Val:
        b = self.and_(b, 31)
        if isinstance(a, int) and isinstance(b, int):
            return a >> b
        return self._bin(self.K.BV_SHR, a, b, 32)

    def sar(self, a: Val, b: Val) -> Val:
        b = self.and_(b, 31)
        if isinstance(a, int) and isinstance(b, int):
            return (_signed(a, 32) >> b) & 0xFFFF_FFFF
        return self._bin(self.K.BV_ASHR, a, b, 32)

    def slt(self, a: Val, b: Val, w: int = 32) -> Flag:
        if isinstance(a, int) and isinstance(b, int):
            return _signed(a, w) < _signed(b, w)
        return self._bin(self.K.BV_SLT, a, b, w)

    def ult(self, a: Val, b: Val, w: int = 32) -> Flag:
        if isinstance(a, int) and isinstance(b, int):
            return a < b
        if isinstance(b, int) and b >= (1 << w):
            return True
        return self._bin(self.K.BV_ULT, a, b, w)

    def eq(self, a: Val, b: Val, w: int = 32) -> Flag:
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        if not isinstance(a, int) and not isinstance(b, int) and a == b:
            return True
        if isinstance(a, int) and a >= (1 << w) or isinstance(b, int) and b >= (1 << w):
            return False
        return self._bin(self.K.EQUAL, a, b, w)

    def bit(self, c: Flag) -> Val:
        """1 if c else 0 (a 32-bit word)."""
        return self.ite(c, 1, 0)

    # -- bits ----------------------------------------------------------------------------
    def extract(self, a: Val, hi: int, lo: int) -> Val:
        if isinstance(a, int):
            return (a >> lo) & ((1 << (hi - lo + 1)) - 1)
        return self.mk(self.K.BV_EXTRACT, [a], [hi, lo])

    def zext(self, a: Val, w_from: int, w_to: int) -> Val:
        if isinstance(a, int) or w_to == w_from:
            return a
        return self.mk(self.K.BV_ZERO_EXTEND, [a], [w_to - w_from])

    def sext(self, a: Val, w_from: int, w_to: int) -> Val:
        if isinstance(a, int):
            return _signed(a, w_from) & ((1 << w_to) - 1)
        if w_to == w_from:
            return a
        return self.mk(self.K.BV_SIGN_EXTEND, [a], [w_to - w_from])

    # -- choice and logic ---------------------------------------------------------------
    def ite(self, c: Flag, a: Val, b: Val, w: int = 32) -> Val:
        if isinstance(c, bool):
            return a if c else b
        if isinstance(a, int) and isinstance(b, int) and a == b:
            return a
        if not isinstance(a, int) and not isinstance(b, int) and a == b:
            return a
        return self.mk(self.K.ITE, [c, self.term(a, w), self.term(b, w)])

    def ite_flag(self, c: Flag, a: Flag, b: Flag) -> Flag:
        if isinstance(c, bool):
            return a if c else b
        if isinstance(a, bool) and isinstance(b, bool):
            return c if a and not b else (self.not_(c) if b and not a else a)
        return self.mk(self.K.ITE, [c, self.flag(a), self.flag(b)])

    def not_(self, a: Flag) -> Flag:
        return (not a) if isinstance(a, bool) else self.mk(self.K.NOT, [a])

    def all(self, *xs: Flag) -> Flag:
        terms = []
        for x in xs:
            if isinstance(x, bool):
                if not x:
                    return False
            else:
                terms.append(x)
        if not terms:
            return True
        return terms[0] if len(terms) == 1 else self.mk(self.K.AND, terms)

    def any(self, *xs: Flag) -> Flag:
        terms = []
        for x in xs:
            if isinstance(x, bool):
                if x:
                    return True
            else:
                terms.append(x)
        if not terms:
            return False
        return terms[0] if len(terms) == 1 else self.mk(self.K.OR, terms)

    def select(self, table: list[tuple[Flag, Val]], default: Val, w: int = 32) -> Val:
        """The value of the first entry whose condition holds, else `default`."""
        out = default
        for c, v in reversed(table):
            out = self.ite(c, v, out, w)
        return out

    def lookup(self, key: Val, values: list[Val] | tuple, w: int, key_w: int) -> Val:
        """values[key] (key < len(values) is the caller's to ensure)."""
        if isinstance(key, int):
            return values[key]
        return self.select([(self.eq(key, i, key_w), v) for i, v in enumerate(values[:-1])],
                           values[-1], w)

    def solver(self, time_limit: float | None = None, seed: int = 0):
        """A bitwuzla instance with models, a seed and a per-check time limit (seconds)."""
        bz = self.bz
        opts = bz.Options()
        opts.set(bz.Option.PRODUCE_MODELS, True)
        opts.set(bz.Option.SEED, int(seed) & 0x7FFF_FFFF)
        if time_limit is not None:
            opts.set(bz.Option.TIME_LIMIT_PER, max(1, int(time_limit * 1000)))
        return bz.Bitwuzla(self.tm, opts)

    def verdict(self, result) -> str:
        r = self.bz.Result
        return {r.SAT: "sat", r.UNSAT: "unsat"}.get(result, "unknown")

    def value_of(self, solver, x: Val) -> int:
        """A model's value of x (an int when known)."""
        if isinstance(x, int):
            return x
        return int(solver.get_value(x).value(10))
