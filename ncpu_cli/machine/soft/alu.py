"""The soft machine's arithmetic: every ALU result and branch score, batched.

Values are real tensors holding signed 32-bit integers (float64 carries them
exactly; float32 only up to 2^24).  Three kinds of operation:

- **linear** (``add``, ``sub``, ``addi``): one fixed map with weights in
  {-1, 0, 1} on ``x = [a, rb, imm]`` (NAC-style), then the modular wrap;
- **product** (``mul``): the exact product, wrapped; differentiable;
- **threshold** (``div rem and or xor shl shr sar slt sltu``): computed on the
  *rounded* integers, so they are exact at the hard limit but carry **no
  gradient** (a step function has none worth having).

With ``surrogate=True`` (what ``ncpu fit`` runs) some threshold functions get a
straight-through gradient while their values stay exact: ``or`` and ``xor`` the
gradient of ``a + b`` (equal where the bits of a and b do not overlap), ``shl``
that of ``a·2^k`` and ``shr``/``sar`` that of ``a·2^-k`` (k = the rounded shift
amount, which itself gets none).  ``and``, ``div``, ``rem`` and the compares keep
none.

The wrap to signed 32 bits is ``v - 2^32·floor((v + 2^31) / 2^32)`` with the
floor detached: the identity for the gradient wherever the value stays in
range, exact modular arithmetic for the value.
"""

from __future__ import annotations

import torch
from torch import Tensor

TWO32 = float(2**32)
TWO31 = float(2**31)
MASK32 = 0xFFFF_FFFF


def wrap(v: Tensor) -> Tensor:
    """Signed 32-bit wrap-around with a straight-through (identity) gradient."""
    turns = torch.floor_((v.detach() + TWO31) * (1 / TWO32))  # 2^-32 is exact
    return torch.add(v, turns, alpha=-TWO32)


def unsigned(v: Tensor) -> Tensor:
    """The same word read as unsigned (0..2^32-1), straight-through gradient."""
    return v - TWO32 * torch.floor(v / TWO32).detach()


def straight_through(exact: Tensor, real: Tensor) -> Tensor:
    """Value of `exact`, gradient of `real` (``real - real.detach()`` is exactly 0)."""
    return exact.detach() + (real - real.detach())


def to_int(v: Tensor) -> Tensor:
    """Round to the nearest integer and read as a signed 32-bit word (int64, no gradient)."""
    return signed32(torch.round(v.detach()).to(torch.int64))


def signed32(i: Tensor) -> Tensor:
    """int64 -> the signed value of its low 32 bits (int64)."""
    return ((i + 2**31) & MASK32) - 2**31


def linear(a: Tensor, rb: Tensor, imm: Tensor, matrix: Tensor) -> Tensor:
    """The linear sources: ``wrap(matrix @ [a, rb, imm])``.  (B,), (B,), (B,), (L, 3) -> (L, B)"""
    return wrap(torch.mm(matrix, torch.stack([a, rb, imm])))  # (L, B)


def mul(a: Tensor, b: Tensor) -> Tensor:
    """Low 32 bits of ``a·b`` as a signed value, with the gradient of ``a·b``.  (B,) -> (B,)

    While ``|a·b| < 2^(p-1)`` (p = mantissa bits) the real product is exact and
    is wrapped directly; beyond that the low bits are lost in floating point, so
    the value comes from int64 arithmetic on the rounded operands."""
    p = a * b  # (B,)
    limit = 2.0 ** 52 if p.dtype == torch.float64 else 2.0 ** 23
    small = wrap(p)
    big = straight_through(signed32(to_int(a) * to_int(b)).to(p.dtype), p)
    return torch.where(p.detach().abs() < limit, small, big)


def _div(a: Tensor, b: Tensor) -> Tensor:
    zero = b == 0
    q = torch.div(a, torch.where(zero, torch.ones_like(b), b), rounding_mode="trunc")
    return signed32(torch.where(zero, torch.full_like(q, -1), q))


def _rem(a: Tensor, b: Tensor) -> Tensor:
    zero = b == 0
    r = torch.fmod(a, torch.where(zero, torch.ones_like(b), b))  # sign of the dividend
    return torch.where(zero, a, r)


# threshold functions on signed int64 operands (values of signed 32-bit words)
_THRESHOLD = {
    "div": _div,
    "rem": _rem,
    "and": torch.bitwise_and,
    "or": torch.bitwise_or,
    "xor": torch.bitwise_xor,
    "shl": lambda a, b: signed32(torch.bitwise_left_shift(a, b & 31)),
    "shr": lambda a, b: signed32(torch.bitwise_right_shift(a & MASK32, b & 31)),
    "sar": lambda a, b: torch.bitwise_right_shift(a, b & 31),
    "slt": lambda a, b: (a < b).to(torch.int64),
    "sltu": lambda a, b: ((a & MASK32) < (b & MASK32)).to(torch.int64),
}


def _surrogate(fn: str, exact: Tensor, a: Tensor, b: Tensor, bi: Tensor) -> Tensor:
    """`exact` (int64) as a real value with the straight-through gradient of `fn` (above)."""
    value = exact.to(a.dtype)
    if fn in ("or", "xor"):
        return straight_through(value, a + b)
    scale = torch.exp2((bi & 31).to(a.dtype))  # (B,) 2^k
    return straight_through(value, a * scale if fn == "shl" else a / scale)


SURROGATE = ("or", "xor", "shl", "shr", "sar")  # the functions `surrogate=True` changes


def sources(fns: tuple[str, ...], a: Tensor, b: Tensor, surrogate: bool = False) -> Tensor:
    """Results of the non-linear ALU functions `fns` on ``(a, b)``.  (B,), (B,) -> (len(fns), B)"""
    if not fns:
        return a.new_zeros((0,) + a.shape)
    ai = bi = None
    out = []
    for fn in fns:
        if fn == "mul":
            out.append(mul(a, b))
            continue
        if ai is None:
            ai, bi = to_int(torch.stack([a, b])).unbind(0)  # both operands in one pass
        exact = _THRESHOLD[fn](ai, bi)
        out.append(_surrogate(fn, exact, a, b, bi) if surrogate and fn in SURROGATE else exact)
    if "mul" not in fns and not (surrogate and set(fns) & set(SURROGATE)):
        return torch.stack(out).to(a.dtype)
    return torch.stack([o if o.is_floating_point() else o.to(a.dtype) for o in out])


def branch_scores(branches: tuple[str, ...], a: Tensor, b: Tensor) -> Tensor:
    """Score of "taken" for each condition, from the signed operand difference.  -> (len, B)

    Integer operands keep every score at least 1/2 away from 0, so the pair
    ``(s, -s)`` normalised with softmax is a sigmoid in ``s/τ`` and with
    sparsemax (τ ≤ 1) or hard is exactly 0 or 1."""
    out = []
    au = bu = None
    for fn in branches:
        if fn in ("ltu", "geu") and au is None:
            au, bu = unsigned(a), unsigned(b)
        if fn == "eq":
            out.append(0.5 - (a - b).abs())
        elif fn == "ne":
            out.append((a - b).abs() - 0.5)
        elif fn == "lt":
            out.append(b - a - 0.5)
        elif fn == "ge":
            out.append(a - b + 0.5)
        elif fn == "ltu":
            out.append(bu - au - 0.5)
        elif fn == "geu":
            out.append(au - bu + 0.5)
        else:  # pragma: no cover - the decoder rejects unknown conditions
            raise ValueError(fn)
    return torch.stack(out)
