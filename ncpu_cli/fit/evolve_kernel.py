"""The generation loop of `--method evolve`, compiled with numba.

`run_generations` runs a population of fillings (P, H) for up to `gens` generations:

1. score every new individual (in the first generation of a call every one: the examples
   may have changed since the last) with mcmc's exact evaluator and Hamming cost
   (`mcmc_eval.total_cost`), stopping early once its cost exceeds the bound:
   the worst cost that made the elite in the previous generation (an individual past it
   would not have made that elite either; its cost is then a lower bound, enough to rank
   it below);
2. sort by cost (stable: ties keep their order); the first `elite` survive, in order;
3. every other slot k gets a child: two parents drawn from the elite, a uniform crossover
   hole by hole, then mutations -- each hole with probability `rate` (at least one), to a
   uniform candidate or, for a numeric hole, half the time a nearby one (a geometric step);
   with gradient tables, a tabled hole's new candidate is drawn ∝ exp(logw) from the table
   of the child's first parent (`fit/proposals.py`), and the child inherits that table.

Slot k draws from its own splitmix64 stream (one thread: see run_generations).
Individuals of cost 0 (they pass every example) are collected in `found`; the call
returns early once it is full, or once the examples have run `budget` cycles.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ncpu_cli.fit.mcmc_eval import SS_SIZE, SS_WORK, decode_word, s32, total_cost
from ncpu_cli.fit.mcmc_moves import H_NUMERIC, H_SIZE, U_ADDR, next_int, uniform, unit_word

NREGS = 16
BIG = np.int64(1) << 62


@njit(cache=True, _nrt=False)
def _score(f, bound, gen, scratch, HT, UT, UH, GT, CT, BT, VT, dec, fields, EI, PAIRS, ER, EIN,
           cfg, pen):
    """(cost of filling f, stopping past `bound`; the next example generation). Memory and
    its decoded copy hold the image (the examples' writes are undone after each), so only
    the words with holes are written and decoded again."""
    mem, dc, stamp, logs, rg, outb, ss = scratch
    for u in range(UT.shape[0]):
        a = UT[u, U_ADDR]
        mem[a] = s32(unit_word(u, f, HT, UT, UH, GT, CT, BT, VT, fields))
        decode_word(dc, a, mem[a], dec, fields)
    return total_cost(bound, gen, mem, dc, stamp, logs, rg, outb, ss, EI, PAIRS, ER, EIN, cfg,
                      pen, dec, fields)


@njit(cache=True, _nrt=False)
def _draw_table(st, o, n, cur, lw):
    """A candidate != cur of a hole whose n log-weights start at lw[o], drawn ∝ exp(lw)."""
    total = 0.0
    for j in range(n):
        if j != cur:
            total += math.exp(lw[o + j])
    r = uniform(st) * total
    k = cur
    for j in range(n):
        if j != cur:
            k = j
            r -= math.exp(lw[o + j])
            if r <= 0.0:
                break
    return k


@njit(cache=True, _nrt=False)
def _mutate_hole(kid, h, st, HT, off, lw, table):
    size, k = HT[h, H_SIZE], kid[h]
    if size < 2:
        return
    if table and off[h + 1] > off[h]:
        kid[h] = _draw_table(st, off[h], size, k, lw)
        return
    if HT[h, H_NUMERIC] != 0 and size > 2 and next_int(st) & 1:
        step = 1 + np.int64(-math.log(uniform(st)) / 0.35667494393873245)  # geometric p=0.3
        v = k + step if next_int(st) & 1 else k - step
        kid[h] = min(max(v, 0), size - 1)
    else:
        kid[h] = next_int(st) % size


@njit(cache=True, _nrt=False)
def _breed(pop, tab, k, st, elite, rate, HT, off, LW):
    """Slot k's child: crossover of two of the first `elite`, then mutations."""
    h_count = pop.shape[1]
    a = next_int(st) % elite
    b = next_int(st) % elite
    for h in range(h_count):
        pop[k, h] = pop[a, h] if next_int(st) & 1 else pop[b, h]
    tab[k] = tab[a]
    hit = False
    table = tab[a] >= 0
    lw = LW[max(tab[a], 0)]
    for h in range(h_count):
        if uniform(st) <= rate:
            _mutate_hole(pop[k], h, st, HT, off, lw, table)
            hit = True
    if not hit:
        _mutate_hole(pop[k], next_int(st) % h_count, st, HT, off, lw, table)


@njit(cache=True)
def run_generations(pop, tab, states, gens, budget, elite, rate, off, LW, HT, UT, UH, GT, CT,
                    BT, VT, words0, dec, fields, EI, PAIRS, ER, EIN, cfg, pen, cost, found,
                    stats):
    """Evolve `pop` (P, H) in place for up to `gens` generations (see the module docstring).

    tab (P,) each individual's table row in LW (T, K) (-1: none; off (H+1,) its layout);
    states (P,) uint64 streams; elite survivors per generation; rate the mutation
    probability per hole. A generation past the first breeds, then scores: the call ends
    on a scored population, sorted by cost (P,), best first (the next call scores it again,
    on what may be new examples). Writes found (F, H) and stats (3,): found, generations,
    individuals scored. One thread: a parallel region
    per generation cost far more than it gained on a busy 2-core machine (4 thousand
    fillings/s against 170 thousand with one thread)."""
    p_count = pop.shape[0]
    n = words0.shape[0]
    mem = words0.copy()
    dc = np.empty((n, 6), dtype=np.int64)
    for a in range(n):
        decode_word(dc, a, mem[a], dec, fields)
    scratch = (mem, dc,
               np.full(n, -1, dtype=np.int64), np.empty((n, 2), dtype=np.int64),
               np.empty(NREGS, dtype=np.int64), np.zeros(max(cfg[4], 1), dtype=np.int64),
               np.zeros(SS_SIZE, dtype=np.int64))
    ss = scratch[6]
    kids = np.empty_like(pop)
    kid_tab = np.empty_like(tab)
    nfound, done, scored, gen = 0, 0, 0, 0
    bound = BIG
    for g in range(gens):
        if g > 0:  # children for every slot past the elite (the population is sorted)
            bound = cost[elite - 1]
            for k in range(elite, p_count):
                _breed(pop, tab, k, states[k:k + 1], elite, rate, HT, off, LW)
        first = 0 if g == 0 else elite  # survivors keep their cost within a call
        for p in range(first, p_count):
            cost[p], gen = _score(pop[p], bound, gen, scratch, HT, UT, UH, GT, CT, BT, VT, dec,
                                  fields, EI, PAIRS, ER, EIN, cfg, pen)
        scored += p_count - first
        done += 1
        order = np.argsort(cost, kind="mergesort")
        for i in range(p_count):
            kids[i] = pop[order[i]]
            kid_tab[i] = tab[order[i]]
        pop[:] = kids
        tab[:] = kid_tab
        cost[:] = cost[order]
        for i in range(p_count):
            if cost[i] != 0 or nfound == found.shape[0]:
                break
            found[nfound] = pop[i]
            nfound += 1
        if nfound == found.shape[0] or ss[SS_WORK] >= budget:
            break
    stats[0], stats[1], stats[2] = nfound, done, scored
