"""Addressing for the soft machine: scores -> distributions, and how sharp they are.

Every pointer of the soft executor (pc, register selectors, load/store address,
jump target, input and output cursors, branch decision) is one distribution
made in named small steps, in the spirit of pytorch-ntm's ``memory.py``:

1. *score*      a one-hot selector is its own score (``onehot``); a real value
                ``v`` becomes scores over slots ``0..K-1`` through the tent
                kernel ``max(0, 1 - |i - v|)`` (:func:`tent_scores`), plus one
                extra "out of range" slot when the pointer can leave its range
                (:func:`range_scores`);
2. *normalise*  ``softmax(score/τ)``, ``sparsemax(score/τ)`` or ``hard``
                (one-hot at the argmax) -- one normaliser and one τ per machine
                (:func:`normaliser`);
3. *measure*    :func:`max_weight`, :func:`entropy_bits`, :func:`target_mass`,
                :func:`support` (``1/Σp²``) describe how sharp it stayed.

All functions work on the last dimension and keep every other dimension, so a
batch ``(B, K)`` or a stack ``(B, 6, 2)`` goes through unchanged.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import torch
from torch import Tensor

MODES = ("softmax", "sparsemax", "hard")
Normaliser = Callable[[Tensor], Tensor]


# --------------------------------------------------------------------- scores


def onehot_scores(index: Tensor, k: int, dtype: torch.dtype) -> Tensor:
    """Scores of a one-hot selector: 1 at `index`, 0 elsewhere.  (..., ) -> (..., k)"""
    return torch.nn.functional.one_hot(index.long(), k).to(dtype)


def tent_scores(v: Tensor, k: int) -> Tensor:
    """Tent kernel ``max(0, 1 - |i - v|)`` over slots ``i = 0..k-1``.  (...,) -> (..., k)

    Exactly one-hot when ``v`` is an integer inside the range; linear (and so
    differentiable) in ``v`` between two slots; all zero when ``v`` is more
    than one slot outside."""
    i = _slots(k, v.device, v.dtype)  # (k,)
    return (1 - (i - v.unsqueeze(-1)).abs()).clamp(min=0)  # (..., k)


@lru_cache(maxsize=64)
def _slots(k: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """0..k-1 as a (k,) tensor (cached: the machine asks every cycle)."""
    return torch.arange(k, device=device, dtype=dtype)


def out_of_range_score(v: Tensor, k: int) -> Tensor:
    """Score of the extra slot "outside 0..k-1": how far (up to 1) `v` lies outside.

    Together with :func:`tent_scores` it is a partition of unity: the k + 1
    scores of any real `v` sum to 1.  (...,) -> (...,)"""
    return (-v).clamp(0, 1) + (v - (k - 1)).clamp(0, 1)


def range_scores(v: Tensor, k: int) -> Tensor:
    """Tent scores over ``0..k-1`` followed by the out-of-range slot.  (...,) -> (..., k+1)"""
    return torch.cat([tent_scores(v, k), out_of_range_score(v, k).unsqueeze(-1)], dim=-1)


# ----------------------------------------------------------------- normalisers


def softmax(scores: Tensor, tau: float) -> Tensor:
    """``softmax(score/τ)`` (max-shifted, so no overflow at small τ)."""
    return torch.softmax(scores / tau, dim=-1)


def sparsemax_threshold(z: Tensor) -> Tensor:
    """The sparsemax threshold τ* with ``Σ max(0, z - τ*) = 1``.  (..., K) -> (..., 1)

    Sorted-threshold form (Martins & Astudillo 2016): sort z descending; the
    support is the longest prefix k with ``1 + k·z_(k) > Σ_{j≤k} z_(j)``; then
    ``τ* = (Σ_{j≤k} z_(j) - 1) / k``."""
    zs, _ = torch.sort(z, dim=-1, descending=True)  # (..., K)
    ks = _slots(z.shape[-1] + 1, z.device, z.dtype)[1:]  # (K,) 1..K
    cs = zs.cumsum(dim=-1)  # (..., K)
    in_support = 1 + ks * zs > cs  # (..., K) a prefix of True
    k = in_support.sum(dim=-1, keepdim=True).clamp(min=1)  # (..., 1)
    return (cs.gather(-1, k - 1) - 1) / k.to(z.dtype)  # (..., 1)


def sparsemax(scores: Tensor, tau: float) -> Tensor:
    """``sparsemax(score/τ)``: the Euclidean projection onto the simplex.

    Scores are shifted by their maximum first (sparsemax does not change), so
    the winning slot gets exactly ``1.0`` whenever it leads the next slot by at
    least 1 after dividing by τ -- a one-hot score is reproduced exactly for
    τ ≤ 1."""
    z = scores / tau  # (..., K)
    z = z - z.detach().amax(dim=-1, keepdim=True)  # (..., K), max slot at 0
    return (z - sparsemax_threshold(z)).clamp(min=0)  # (..., K)


def hard(scores: Tensor, tau: float | None = None) -> Tensor:
    """One-hot at the argmax (the first one on a tie); exact, no gradient."""
    idx = scores.argmax(dim=-1)  # (...,)
    return torch.nn.functional.one_hot(idx, scores.shape[-1]).to(scores.dtype)  # (..., K)


_FUNCS: dict[str, Callable[[Tensor, float], Tensor]] = {
    "softmax": softmax,
    "sparsemax": sparsemax,
    "hard": hard,
}


def check_mode(mode: str, tau: float) -> None:
    """Reject an unknown mode or a temperature that is not a positive finite number."""
    if mode not in _FUNCS:
        raise ValueError(f"unknown addressing mode `{mode}` (choose {', '.join(MODES)})")
    if not isinstance(tau, (int, float)) or isinstance(tau, bool) or not math.isfinite(tau) or tau <= 0:
        raise ValueError(f"temperature must be a positive finite number, got {tau!r}")


def normaliser(mode: str, tau: float) -> Normaliser:
    """The one normaliser a machine uses for every pointer: ``scores (..., K) -> p (..., K)``."""
    check_mode(mode, tau)
    fn = _FUNCS[mode]
    return lambda scores: fn(scores, tau)


def pair_first(s: Tensor, mode: str, tau: float) -> Tensor:
    """First weight of ``normalise([s, -s])`` in closed form (a two-way choice, e.g. a branch).

    softmax: ``sigmoid(2s/τ)``; sparsemax: ``clamp(1/2 + s/τ, 0, 1)``; hard: ``s >= 0``
    (argmax takes the first slot on a tie).  (...,) -> (...,)"""
    check_mode(mode, tau)
    if mode == "softmax":
        return torch.sigmoid(2 * s / tau)
    if mode == "sparsemax":
        return (0.5 + s / tau).clamp(0, 1)
    return (s >= 0).to(s.dtype)


def normalise_with_far_block(
    scores: Tensor, far: int, mode: str, tau: float
) -> tuple[Tensor, Tensor]:
    """Normalise ``scores`` (B, K) followed by `far` extra slots whose score is 0.

    Returns ``(p (B, K), p_far (B,))`` where ``p_far`` is the weight of *each*
    of the `far` slots, without materialising them.  Exactly what the plain
    normaliser gives on the full ``K + far`` vector, provided every score is
    ``>= 0`` (tent scores are) -- the soft machine uses it for the output
    cursor, whose range (``max_out + 1`` slots) is much longer than the part
    of the output written so far."""
    if far <= 0:
        p = normaliser(mode, tau)(scores)
        return p, torch.zeros_like(scores[..., 0])
    if mode == "softmax":
        z = scores / tau  # (B, K)
        m = z.detach().amax(dim=-1, keepdim=True).clamp(min=0)  # (B, 1), far scores are 0
        e = torch.exp(z - m)  # (B, K)
        e_far = torch.exp(-m)  # (B, 1)
        total = e.sum(dim=-1, keepdim=True) + far * e_far  # (B, 1)
        return e / total, (e_far / total).squeeze(-1)
    if mode == "sparsemax":
        z = scores / tau  # (B, K), all >= 0
        t_window = sparsemax_threshold(z)  # (B, 1)
        # with the zero block the threshold can only move up, and only while it is < 0,
        # where every slot (all >= 0) is in the support: τ* = (Σz - 1) / (K + far)
        t_all = (z.sum(dim=-1, keepdim=True) - 1) / (z.shape[-1] + far)  # (B, 1)
        t = torch.where(t_window >= 0, t_window, t_all)  # (B, 1)
        return (z - t).clamp(min=0), (-t).clamp(min=0).squeeze(-1)
    check_mode(mode, tau)
    return hard(scores), torch.zeros_like(scores[..., 0])


def closed_form_pmax(k: int, tau: float) -> float:
    """Max weight of ``softmax(onehot/τ)`` over k slots: ``1 / (1 + (k-1)·e^(-1/τ))``."""
    return 1.0 / (1.0 + (k - 1) * math.exp(-1.0 / tau))


# ------------------------------------------------------------------ sharpness


def max_weight(p: Tensor) -> Tensor:
    """Largest weight.  (..., K) -> (...,)"""
    return p.amax(dim=-1)


def entropy_bits(p: Tensor) -> Tensor:
    """Shannon entropy in bits (``0·log 0 = 0``).  (..., K) -> (...,)"""
    return -torch.xlogy(p, p).sum(dim=-1) / math.log(2.0)


def target_mass(p: Tensor, index: Tensor | int) -> Tensor:
    """Mass on slot `index` (1 - it is the leak).  (..., K), (...,) -> (...,)"""
    if not isinstance(index, Tensor):
        index = torch.full(p.shape[:-1], int(index), device=p.device, dtype=torch.long)
    return p.gather(-1, index.long().unsqueeze(-1)).squeeze(-1)


def support(p: Tensor) -> Tensor:
    """Effective support ``1 / Σp²`` (1 for a one-hot, K for uniform).  (..., K) -> (...,)"""
    return 1.0 / (p * p).sum(dim=-1)


def sharpness(p: Tensor, index: Tensor | int | None = None) -> dict[str, Tensor]:
    """All four metrics at once: {max, entropy, target, support} (target only with `index`)."""
    out = {"max": max_weight(p), "entropy": entropy_bits(p), "support": support(p)}
    if index is not None:
        out["target"] = target_mass(p, index)
    return out


# ------------------------------------------------- a tent pointer, kept compact


class RangePointer:
    """``normalise(range_scores(v, K))`` without materialising the K + 1 slots.

    The tent kernel puts a non-zero score on at most three slots: ``lo =
    floor(v)``, ``lo + 1`` and the out-of-range slot ``K``; every other slot
    scores 0, so after any of the three normalisers it carries one common
    weight ``base`` (0 for hard, and for sparsemax at τ ≤ 1, since the scores
    sum to 1).  The pointer keeps ``idx (..., 2)`` (slots lo, lo + 1), ``p (3,
    ...)`` (their weights, then the out-of-range weight: slot-major, so every
    step is an elementwise op on contiguous rows) and ``base (...)`` (None when
    it is exactly 0), which is exactly the dense distribution (tests compare
    the two), and reads, writes and mixes it in O(B) plus at most one pass over
    the (B, K) operand.

    `v` may have any shape: the soft machine makes its memory-address and
    jump-target pointers as one (2, B) pointer and takes them apart with
    ``ptr[0]``, ``ptr[1]``; reads and writes need a (B,) pointer."""

    def __init__(self, v: Tensor, k: int, mode: str, tau: float):
        check_mode(mode, tau)
        if k < 2:
            raise ValueError("a range pointer needs at least two slots")
        self.k = k
        lo = torch.floor(v.detach()).clamp_(0, k - 2)  # (...,) never the last slot
        # tent scores of slots lo and lo + 1: 1 - |v - lo - j|, j = 0, 1
        shape = (2,) + (1,) * v.dim()
        near = (v - lo).unsqueeze(0) - _slots(2, v.device, v.dtype).view(shape)  # (2, ...)
        tent = torch.sub(1, near.abs()).clamp_(min=0)  # (2, ...)
        # the out-of-range slot takes what the two tent slots leave (a partition of unity)
        c = torch.cat([tent, torch.sub(1, tent[0]).sub_(tent[1]).clamp_(min=0).unsqueeze(0)])
        self.idx = lo.long().unsqueeze(-1) + _slots(2, v.device, torch.long)  # (..., 2)
        zeros = k + 1 - 3  # slots scoring 0
        if mode == "softmax":
            z = c * (1 / tau)  # (3, ...)
            m = z.detach().amax(dim=0)  # (...), >= 1/(3τ) > 0 = the other slots
            e = torch.exp(z - m)  # (3, ...)
            e0 = torch.exp(-m)  # (...)
            inv = 1 / torch.add(e.sum(dim=0), e0, alpha=zeros)  # (...)
            self.p, self.base = e * inv, e0 * inv
        elif mode == "sparsemax":
            z = c.movedim(0, -1) / tau  # (..., 3), all >= 0
            t_c = sparsemax_threshold(z)  # (..., 1)
            if tau <= 1:  # Σz = 1/τ >= 1 keeps the threshold >= 0: nothing leaks
                self.p, self.base = (z - t_c).clamp(min=0).movedim(-1, 0), None
            else:
                t_all = (z.sum(dim=-1, keepdim=True) - 1) / (k + 1)  # (..., 1)
                t = torch.where(t_c >= 0, t_c, t_all)  # (..., 1)
                self.p = (z - t).clamp(min=0).movedim(-1, 0)
                self.base = (-t).clamp(min=0).squeeze(-1)
        else:
            self.p, self.base = hard(c.movedim(0, -1)).movedim(-1, 0), None

    @classmethod
    def _parts(cls, k: int, idx: Tensor, p: Tensor, base: Tensor | None) -> "RangePointer":
        ptr = cls.__new__(cls)
        ptr.k, ptr.idx, ptr.p, ptr.base = k, idx, p, base
        return ptr

    def __getitem__(self, i: int) -> "RangePointer":
        """The i-th pointer of a stack (along the first dimension of `v`)."""
        return RangePointer._parts(self.k, self.idx[i], self.p[:, i],
                                   None if self.base is None else self.base[i])

    @property
    def oor(self) -> Tensor:
        """Mass on "outside the range".  (...,)"""
        return self.p[2]

    def dense(self) -> Tensor:
        """The full distribution.  (..., K+1)"""
        p = self.p.movedim(0, -1)  # (..., 3)
        shape = p.shape[:-1] + (self.k + 1,)
        if self.base is None:
            full = p.new_zeros(shape)
        else:
            full = self.base.unsqueeze(-1).expand(shape)
        idx = torch.cat([self.idx, torch.full_like(self.idx[..., :1], self.k)], dim=-1)
        return torch.scatter(full, -1, idx, p)  # (..., K+1)

    def _delta(self) -> Tensor:
        """Weight of the two in-range special slots above `base`.  (2, B)"""
        p = self.p[:2]
        return p if self.base is None else p - self.base

    def near(self, x: Tensor) -> Tensor:
        """The values of `x` at the two special slots, slot-major.  x (B, K) -> (2, B)"""
        return x.gather(1, self.idx).t()

    def dot(self, x: Tensor, near: Tensor | None = None) -> Tensor:
        """``Σ_{i<K} p_i·x_i`` (a read).  x (B, K) -> (B,); `near` = self.near(x) if known"""
        near = self.near(x) if near is None else near  # (2, B)
        d = self._delta()  # (2, B)
        out = torch.addcmul(d[0] * near[0], d[1], near[1])  # (B,)
        if self.base is None:
            return out
        return torch.addcmul(out, self.base, x.sum(dim=-1))

    def write(self, x: Tensor, g: Tensor, v: Tensor, *, inplace: bool = False,
              near: Tensor | None = None) -> Tensor:
        """NTM erase/add with strength g: ``x + g·p·(v - x)``.  x (B, K), g (B,), v (B,) -> (B, K)

        With ``inplace`` x itself is updated (no autograd).  `near` = self.near(x) if known."""
        near = self.near(x) if near is None else near  # (2, B) old values at the special slots
        src = ((g * self._delta()) * (v - near)).t()  # (B, 2)
        if self.base is not None:
            w = (g * self.base).unsqueeze(-1)  # (B, 1)
            if inplace:  # x·(1 - w) + w·v (lerp_ and a 3-operand addcmul are slow here)
                x = x.mul_(1 - w).add_(w * v.unsqueeze(-1))
            else:
                x = torch.addcmul(x, w, v.unsqueeze(-1) - x)
        return x.scatter_add_(1, self.idx, src) if inplace else torch.scatter_add(x, 1, self.idx, src)

    def strength(self, into: Tensor, g: Tensor, *, inplace: bool = False,
                 near_only: bool = False) -> Tensor:
        """``max(into, g·p)`` over the in-range slots (how strongly each slot was written).

        With ``near_only`` the common weight of the far slots is left out (it is the
        same small leak everywhere), which saves a pass over `into`."""
        if self.base is not None and not near_only:
            w = (g * self.base).unsqueeze(-1)  # (B, 1)
            into = torch.maximum(into, w, out=into) if inplace else torch.maximum(into, w)
        src = torch.maximum(into.gather(1, self.idx), (g * self.p[:2]).t())  # (B, 2)
        return into.scatter_(1, self.idx, src) if inplace else torch.scatter(into, 1, self.idx, src)

    def mix_into(self, x: Tensor, g: Tensor, *, inplace: bool = False) -> Tensor:
        """``x + g·p`` over the in-range slots (adds this pointer's mass to a distribution)."""
        src = (g * self._delta()).t()  # (B, 2)
        if self.base is not None:
            w = (g * self.base).unsqueeze(-1)  # (B, 1)
            x = x.add_(w) if inplace else x + w
        return x.scatter_add_(1, self.idx, src) if inplace else torch.scatter_add(
            x, 1, self.idx, src)
