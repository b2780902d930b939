"""The compiled walk of `--method enumerate` (numba): depth first over the units' rows.

Each *lane* walks its share of the first unit's rows (rows l, l + LANES, ...) depth first,
one unit per depth, from a cursor kept between calls (`CUR`, `POS`), so a call does a fixed
amount of work (`budget` instructions run) and the next call goes on where it stopped: the walk
is the same for any number of threads and any call boundaries.

A node at depth d is one row of unit d under the rows above it. Its word is written into
the lane's memory image (`mem`, decoded in `dc`). Above depth j (`enumerate_plan`), the
registers after the node on every example and holdout example are computed from its
parent's (`ST`), and looked up in a direct-mapped table of states already walked at that
depth (`CH` hashes, `CK` keys, compared in full): a state seen before is pruned with the
subtree below it. A leaf (the last unit) runs the program on the examples from the state at
depth j (pc and remaining cycles in `tail`) with the mcmc evaluator (`mcmc_eval`), stopping
at the first example it fails; one that passes them all is *found* (its rows in `FOUND`).

A pass is cyclic: it starts at a cursor (`STOP`, depth `STOPD`), runs to the end of the
lane, wraps to its start and ends when it comes back to that cursor. The cursor's own
ancestors are never pruned or stored on the way round, so each node is counted once.
Counters per depth d: `PR` (states pruned), `SK` (rows the renaming order skips); each
stands for `W[d]` fillings (`Plan.multipliers`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ncpu_cli.fit.mcmc_eval import M32, SS_WORK, decode_word, example_cost, s32
from ncpu_cli.fit.mcmc_moves import unit_word
from ncpu_cli.machine.exact import native_kernel as nk

# CUR columns: depth, levels equal to the stop cursor, wrapped, done, stop depth, example
# generation (undo stamps), leaves and work of this call, leaves of this pass
C_D, C_EQ, C_WRAP, C_DONE, C_STOPD, C_GEN, C_LEAVES, C_WORK, C_PASS = range(9)
C_SIZE = 9
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, inline="always", _nrt=False)
def _mix(h, v):
    z = (h ^ np.uint64(v & M32)) * _GOLD
    z = (z ^ (z >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
    return z ^ (z >> np.uint64(32))


@njit(cache=True, inline="always", _nrt=False)
def _count(u, m, UD, LOFF, LCNT):
    return LCNT[u, m] if LOFF[u, m] >= 0 else UD[u]


@njit(cache=True, _nrt=False)
def row_fill(u, r, f, USEG, SG, DG, UZ, ZH):
    """Write row r of unit u into the filling f (H,)."""
    for i in range(UZ[u, 0], UZ[u, 0] + UZ[u, 1]):
        f[ZH[i]] = 0
    s = USEG[u, 0]
    while s < USEG[u, 0] + USEG[u, 1] - 1 and r >= SG[s, 0]:
        r -= SG[s, 0]
        s += 1
    if SG[s, 1] >= 0:
        f[SG[s, 1]] = SG[s, 2]
    for i in range(SG[s, 3] + SG[s, 4] - 1, SG[s, 3] - 1, -1):
        f[DG[i, 0]] = r % DG[i, 1]
        r //= DG[i, 1]


@njit(cache=True, _nrt=False)
def _word(u, r, f, PL, PT):
    (UA, UD, UWOFF, UMU, USEG, SG, DG, UZ, ZH, WT, LOFF, LCNT, VR, NM, PCS, KR, KN, USE_M,
     ER, EI, PAIRS, EIN, TAIL, PEN) = PL
    HT, UT, UH, GT, CT, BT, VT, dec, fields = PT
    if UWOFF[u] >= 0:
        return WT[UWOFF[u] + r]
    row_fill(u, r, f, USEG, SG, DG, UZ, ZH)
    return unit_word(UMU[u], f, HT, UT, UH, GT, CT, BT, VT, fields)


@njit(cache=True, _nrt=False)
def _advance(src, dst, pc0, pc1, dc):
    """dst (E', 16) = the registers after running words pc0..pc1-1 (alu, alui, li, lui) from
    src on every example."""
    for e in range(src.shape[0]):
        for r in range(16):
            dst[e, r] = src[e, r]
        for pc in range(pc0, pc1):
            kind, rd = dc[pc, 0], dc[pc, 2]
            if rd == 0:
                continue
            if kind == nk.K_ALU:
                dst[e, rd] = s32(nk._alu(dc[pc, 1], dst[e, dc[pc, 3]], dst[e, dc[pc, 4]]))
            elif kind == nk.K_ALUI:
                dst[e, rd] = s32(nk._alu(dc[pc, 1], dst[e, dc[pc, 3]], dc[pc, 5]))
            elif kind == nk.K_LI:
                dst[e, rd] = dc[pc, 5]
            else:
                dst[e, rd] = s32(dc[pc, 5] << 10)


@njit(cache=True, _nrt=False)
def _seen(ch, ck, st, m, use_m, kr, kn):
    """Whether state st (E', 16) with renaming count m is in the table (ch (C,), ck (C, K));
    if not, store it (replacing whatever shared its slot)."""
    h = np.uint64(0x243F6A8885A308D3)
    if use_m:
        h = _mix(h, m)
    for e in range(st.shape[0]):
        for i in range(kn):
            h = _mix(h, st[e, kr[i]])
    slot = np.int64(h & np.uint64(ch.shape[0] - 1))
    tag = h | np.uint64(1)
    if ch[slot] == tag:
        same = (not use_m) or ck[slot, 0] == m
        k = 1
        for e in range(st.shape[0]):
            if not same:
                break
            for i in range(kn):
                if ck[slot, k] != st[e, kr[i]]:
                    same = False
                    break
                k += 1
        if same:
            return True
    ch[slot] = tag
    ck[slot, 0] = m
    k = 1
    for e in range(st.shape[0]):
        for i in range(kn):
            ck[slot, k] = st[e, kr[i]]
            k += 1
    return False


@njit(cache=True, parallel=True)
def run_lanes(budget, cap, PL, PT, words0, LA):
    """Advance every lane by about `budget` instructions run (or until it has `cap` found)."""
    for lane in prange(LA[0].shape[0]):
        _lane(lane, budget, cap, PL, PT, words0, LA)


@njit(cache=True)
def _lane(lane, budget, cap, PL, PT, words0, LA):
    (UA, UD, UWOFF, UMU, USEG, SG, DG, UZ, ZH, WT, LOFF, LCNT, VR, NM, PCS, KR, KN, USE_M,
     ER, EI, PAIRS, EIN, TAIL, PEN) = PL
    dec, fields = PT[7], PT[8]
    (CUR, POS, MM, STOP, ROWS, ST, MEM, DC, STAMP, LOGS, RG, OUTB, SS, FF, CH, CK, FOUND,
     NFOUND, BEST, BKEY, PR, SK) = LA
    cur, pos, mm, rows = CUR[lane], POS[lane], MM[lane], ROWS[lane]
    mem, dc, f = MEM[lane], DC[lane], FF[lane]
    U, L, j, E = UA.shape[0], POS.shape[0], PCS.shape[0] - 1, EI.shape[0]
    d, gen, work, leaves = cur[C_D], cur[C_GEN], 0, 0
    while cur[C_DONE] == 0 and work < budget and NFOUND[lane] < cap:
        m, p = mm[d], pos[d]
        if p >= _count(d, m, UD, LOFF, LCNT):  # this level is done
            if d > 0:
                d -= 1
                pos[d] += L if d == 0 else 1
                continue
            if cur[C_WRAP] != 0:  # cannot happen: the stop cursor ends the pass first
                cur[C_DONE] = 1
                break
            cur[C_WRAP], cur[C_EQ], pos[0] = 1, 0, lane
            if lane >= _count(0, 0, UD, LOFF, LCNT):
                cur[C_DONE] = 1
            continue
        anc = False  # an ancestor of the stop cursor, on the way round
        if cur[C_WRAP] != 0:
            if cur[C_EQ] > d:
                cur[C_EQ] = d
            if cur[C_EQ] == d:
                if p > STOP[lane, d] or (p == STOP[lane, d] and d == cur[C_STOPD]):
                    cur[C_DONE] = 1
                    break
                if p == STOP[lane, d]:
                    cur[C_EQ], anc = d + 1, True
        r = VR[LOFF[d, m] + p] if LOFF[d, m] >= 0 else p
        rows[d] = r
        a = UA[d]
        mem[a] = s32(_word(d, r, f, PL, PT))
        decode_word(dc, a, mem[a], dec, fields)
        if d == U - 1:  # a leaf: the examples in order, until one fails
            st = ST[lane, j]
            passed, c, cycles = 0, 0, SS[lane, SS_WORK]
            while passed < E:
                c = example_cost(passed, mem, dc, STAMP[lane], gen, LOGS[lane], RG[lane],
                                 OUTB[lane], SS[lane], EI, PAIRS, st, EIN, TAIL, PEN, dec,
                                 fields)
                gen += 1
                if c > 0:
                    break
                passed += 1
            work += SS[lane, SS_WORK] - cycles  # instructions run
            leaves += 1
            if passed == E:
                for i in range(U):
                    FOUND[lane, NFOUND[lane], i] = rows[i]
                NFOUND[lane] += 1
            if passed > BKEY[lane, 0] or (passed == BKEY[lane, 0] and c < BKEY[lane, 1]):
                BKEY[lane, 0], BKEY[lane, 1] = passed, c
                for i in range(U):
                    BEST[lane, i] = rows[i]
            pos[d] += L if d == 0 else 1
            continue
        mm[d + 1] = NM[LOFF[d, m] + p] if LOFF[d, m] >= 0 else m
        if d < j:
            _advance(ST[lane, d], ST[lane, d + 1], PCS[d], PCS[d + 1], dc)
            work += ST.shape[2] * (PCS[d + 1] - PCS[d])
            if not anc and _seen(CH[lane, d + 1], CK[lane, d + 1], ST[lane, d + 1], mm[d + 1],
                                 USE_M != 0, KR[d + 1], KN[d + 1]):
                PR[lane, d] += 1
                pos[d] += L if d == 0 else 1
                continue
        d += 1
        pos[d] = 0
        SK[lane, d] += UD[d] - _count(d, mm[d], UD, LOFF, LCNT)
    cur[C_D], cur[C_GEN] = d, gen
    cur[C_LEAVES] += leaves
    cur[C_WORK] += work
    cur[C_PASS] += leaves


@njit(cache=True)
def enter(lane, new_pass, PL, PT, words0, LA):
    """Rebuild lane `lane`'s image, renaming counts and states along its cursor (after new
    examples); `new_pass`: a pass starts here (the cursor becomes the stop, tables and
    counters are cleared)."""
    (UA, UD, UWOFF, UMU, USEG, SG, DG, UZ, ZH, WT, LOFF, LCNT, VR, NM, PCS, KR, KN, USE_M,
     ER, EI, PAIRS, EIN, TAIL, PEN) = PL
    dec, fields = PT[7], PT[8]
    (CUR, POS, MM, STOP, ROWS, ST, MEM, DC, STAMP, LOGS, RG, OUTB, SS, FF, CH, CK, FOUND,
     NFOUND, BEST, BKEY, PR, SK) = LA
    cur, pos, mm, mem, dc = CUR[lane], POS[lane], MM[lane], MEM[lane], DC[lane]
    j, d = PCS.shape[0] - 1, CUR[lane, C_D]
    for a in range(mem.shape[0]):
        mem[a] = words0[a]
        decode_word(dc, a, mem[a], dec, fields)
    STAMP[lane, :] = -1
    cur[C_GEN] = 0
    ST[lane, 0, :, :] = ER
    mm[0] = 0
    for k in range(d):
        m, p = mm[k], pos[k]
        r = VR[LOFF[k, m] + p] if LOFF[k, m] >= 0 else p
        ROWS[lane, k] = r
        mem[UA[k]] = s32(_word(k, r, FF[lane], PL, PT))
        decode_word(dc, UA[k], mem[UA[k]], dec, fields)
        mm[k + 1] = NM[LOFF[k, m] + p] if LOFF[k, m] >= 0 else m
        if k < j:
            _advance(ST[lane, k], ST[lane, k + 1], PCS[k], PCS[k + 1], dc)
    if new_pass:
        for k in range(POS.shape[1]):
            STOP[lane, k] = pos[k]
        cur[C_STOPD], cur[C_WRAP], cur[C_EQ], cur[C_DONE], cur[C_PASS] = d, 0, 0, 0, 0
        CH[lane, :, :] = 0
        PR[lane, :] = 0
        SK[lane, :] = 0
