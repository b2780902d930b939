"""The move set of `--method mcmc` and how a filling becomes words (compiled with numba).

The sketch as tables (`mcmc_tables.py`): holes `HT`, *units* (one per word with holes: its
plain holes, or its instruction hole) `UT`/`UH`, instruction holes `GT` and their choices
`CT`, candidate tables `BT` (a plain hole's bits per candidate) and `VT` (a register
subset's values). Moves, after STOKE's (src/transform): change one hole of a unit (an
operand, or the mnemonic; a numeric hole half the time to a nearby value), replace the
whole instruction (resample every hole of the unit), change the opcode within its operand
shape (a choice whose `uses` row is equal), swap two units of equal domains. Every chain
draws from its own splitmix64 stream, so a run is the same on any number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

M32 = 0xFFFF_FFFF
# HT columns (one row per hole)
H_UNIT, H_BOFF, H_VOFF, H_LO, H_SIZE, H_MASK, H_SHIFT, H_NUMERIC, H_SLOT, H_MNEM = range(10)
SLOT_PLAIN, SLOT_OP = -1, 5  # H_SLOT: a plain hole, an instruction hole's mnemonic; 0..4 a role
# UT columns (one row per unit: a word with holes)
U_ADDR, U_BASE, U_HOFF, U_HN, U_GROUP, U_CLASS = range(6)
# GT columns (one row per instruction hole): mnemonic hole, first choice row, choices, then
# the hole index of each role (-1: not a hole) and each role's fixed value
G_OP, G_KOFF, G_K, G_ROLE, G_FIX = 0, 1, 2, 3, 8
# CT columns (one row per choice): opcode bits, immediate field mask, uses of the 5 roles
C_OPC, C_IMASK, C_USE = 0, 1, 2
MOVE_ONE, MOVE_REPLACE, MOVE_OPCODE, MOVE_SWAP = range(4)
MAX_CHANGES = 16  # holes one proposal may change (a swap of two instruction holes: 12)


@njit(cache=True, inline="always", _nrt=False)
def next_int(st):
    """splitmix64: the next 63-bit non-negative int64 of the stream in st[0] (uint64)."""
    z = st[0] + np.uint64(0x9E3779B97F4A7C15)
    st[0] = z
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.int64((z ^ (z >> np.uint64(31))) >> np.uint64(1))


@njit(cache=True, inline="always", _nrt=False)
def uniform(st):
    """A float in (0, 1]."""
    return ((next_int(st) >> 10) + 1) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always", _nrt=False)
def _value(h, k, HT, VT):
    """The value candidate k of sub-hole h stands for."""
    return VT[HT[h, H_VOFF] + k] if HT[h, H_VOFF] >= 0 else HT[h, H_LO] + k


@njit(cache=True, _nrt=False)
def unit_word(u, f, HT, UT, UH, GT, CT, BT, VT, fields):
    """The unsigned word of unit u under filling f."""
    w = UT[u, U_BASE]
    for i in range(UT[u, U_HOFF], UT[u, U_HOFF] + UT[u, U_HN]):
        h = UH[i]
        if HT[h, H_SLOT] == SLOT_PLAIN:
            k = f[h]
            if HT[h, H_BOFF] >= 0:
                w |= BT[HT[h, H_BOFF] + k]
            else:
                w |= ((HT[h, H_LO] + k) & HT[h, H_MASK]) << HT[h, H_SHIFT]
    g = UT[u, U_GROUP]
    if g >= 0:
        c = GT[g, G_KOFF] + f[GT[g, G_OP]]
        w |= CT[c, C_OPC]
        for r in range(5):
            if CT[c, C_USE + r] != 0:
                h = GT[g, G_ROLE + r]
                v = GT[g, G_FIX + r] if h < 0 else _value(h, f[h], HT, VT)
                if r < 3:
                    w |= (v & fields[5]) << fields[2 + r]
                else:
                    w |= v & CT[c, C_IMASK]
    return w & M32


@njit(cache=True, inline="always", _nrt=False)
def _set(f, h, v, chg, nchg):
    chg[nchg, 0] = h
    chg[nchg, 1] = f[h]
    f[h] = v
    return nchg + 1


@njit(cache=True, _nrt=False)
def _resample(f, h, st, HT, chg, nchg):
    """A new candidate for hole h: a numeric hole half the time a nearby one, else uniform
    among the others."""
    size, k = HT[h, H_SIZE], f[h]
    if size < 2:
        return nchg
    if HT[h, H_NUMERIC] != 0 and size > 2 and next_int(st) & 1:
        step = 1 + np.int64(-math.log(uniform(st)) / 0.35667494393873245)  # geometric p=0.3
        v = k + step if next_int(st) & 1 else k - step
        v = min(max(v, 0), size - 1)
        if v == k:
            v = k + 1 if k == 0 else k - 1
    else:
        v = (k + 1 + next_int(st) % (size - 1)) % size
    return _set(f, h, v, chg, nchg)


@njit(cache=True, _nrt=False)
def propose(f, st, weights, HT, UT, UH, GT, CT, chg, tu):
    """Change filling f in place by one move; (changes recorded in chg, units touched in tu)."""
    nu = UT.shape[0]
    u = next_int(st) % nu
    r = uniform(st)
    move = MOVE_SWAP
    if r <= weights[0]:
        move = MOVE_ONE
    elif r <= weights[0] + weights[1]:
        move = MOVE_REPLACE
    elif r <= weights[0] + weights[1] + weights[2]:
        move = MOVE_OPCODE
    tu[0, 0] = u
    nchg = 0
    hoff, hn, g = UT[u, U_HOFF], UT[u, U_HN], UT[u, U_GROUP]
    if move == MOVE_SWAP:
        others = 0
        for j in range(nu):
            if j != u and UT[j, U_CLASS] == UT[u, U_CLASS]:
                others += 1
        if others > 0:
            pick = next_int(st) % others
            for j in range(nu):
                if j != u and UT[j, U_CLASS] == UT[u, U_CLASS]:
                    if pick == 0:
                        break
                    pick -= 1
            for i in range(hn):
                h1, h2 = UH[hoff + i], UH[UT[j, U_HOFF] + i]
                v1, v2 = f[h1], f[h2]
                if v1 != v2:
                    nchg = _set(f, h1, v2, chg, nchg)
                    nchg = _set(f, h2, v1, chg, nchg)
            tu[1, 0] = j
            return nchg, 2
        move = MOVE_ONE
    if move == MOVE_OPCODE:
        if g >= 0:
            h, koff, kn = GT[g, G_OP], GT[g, G_KOFF], GT[g, G_K]
            k = f[h]
            same = 0
            for k2 in range(kn):
                if k2 != k and _same_shape(CT, koff + k, koff + k2):
                    same += 1
            if same > 0:
                pick = next_int(st) % same
                for k2 in range(kn):
                    if k2 != k and _same_shape(CT, koff + k, koff + k2):
                        if pick == 0:
                            break
                        pick -= 1
                return _set(f, h, k2, chg, nchg), 1
        else:
            for i in range(hn):
                h = UH[hoff + i]
                if HT[h, H_MNEM] != 0 and HT[h, H_SIZE] > 1:
                    return _resample(f, h, st, HT, chg, nchg), 1
        move = MOVE_ONE
    if move == MOVE_REPLACE:
        for i in range(hn):
            h = UH[hoff + i]
            nchg = _set(f, h, next_int(st) % HT[h, H_SIZE], chg, nchg)
        return nchg, 1
    # MOVE_ONE: one hole of the unit (of an instruction hole: its mnemonic or a used role)
    live = 0
    for i in range(hn):
        live += _live(UH[hoff + i], f, HT, GT, CT, g)
    if live == 0:
        return nchg, 1
    pick = next_int(st) % live
    for i in range(hn):
        h = UH[hoff + i]
        if _live(h, f, HT, GT, CT, g):
            if pick == 0:
                break
            pick -= 1
    return _resample(f, h, st, HT, chg, nchg), 1


@njit(cache=True, inline="always", _nrt=False)
def _same_shape(CT, c1, c2):
    for r in range(5):
        if CT[c1, C_USE + r] != CT[c2, C_USE + r]:
            return False
    return True


@njit(cache=True, inline="always", _nrt=False)
def _live(h, f, HT, GT, CT, g):
    """1 if a one-hole move may change hole h (more than one candidate, and used)."""
    if HT[h, H_SIZE] < 2:
        return 0
    s = HT[h, H_SLOT]
    if s == SLOT_PLAIN or s == SLOT_OP:
        return 1
    return 1 if CT[GT[g, G_KOFF] + f[GT[g, G_OP]], C_USE + s] != 0 else 0
