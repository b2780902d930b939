"""The search strategy of `--method mcmc`: Metropolis chains over fillings (numba).

`run_chains` runs every chain (one `prange` iteration each) for `n_props` proposals.
A step, as in STOKE (src/search): draw a move (`mcmc_moves.propose`), draw the acceptance
threshold first -- cost_max = cost_cur - log(u)/β, u uniform in (0, 1] -- then evaluate the
proposal on the examples only until its partial cost exceeds cost_max
(`mcmc_eval.total_cost`); accept when it does not (so a downhill move is always accepted
and an uphill one of Δ with probability exp(-β Δ)), else undo it. A chain that reaches
cost 0 (a filling that passes every example) records it; after `found.shape[1]` of them
the chain stops early so the caller can check them on the exact machine.

Per chain the memory image (signed words), its decoded copy and the example undo log are
built at the start of each call; the cost of the current filling is recomputed then too,
so the examples may change between calls (counterexamples join them).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ncpu_cli.fit.mcmc_eval import SS_SIZE, SS_WORK, decode_word, exec_program, s32, total_cost
from ncpu_cli.fit.mcmc_grad import grad_move, table_sums
from ncpu_cli.fit.mcmc_moves import MAX_CHANGES, U_ADDR, propose, uniform, unit_word

NREGS = 16


@njit(cache=True)
def _image(f, words0, HT, UT, UH, GT, CT, BT, VT, dec, fields):
    """(mem (N,) signed words of filling f, dc (N, 6) its decoded rows)."""
    mem = words0.copy()
    for u in range(UT.shape[0]):
        mem[UT[u, U_ADDR]] = s32(unit_word(u, f, HT, UT, UH, GT, CT, BT, VT, fields))
    dc = np.empty((mem.shape[0], 6), dtype=np.int64)
    for a in range(mem.shape[0]):
        decode_word(dc, a, mem[a], dec, fields)
    return mem, dc


@njit(cache=True, parallel=True)
def run_chains(fill, states, n_props, budget, beta, weights, p_grad, off, LW, HT, UT, UH, GT, CT,
               BT, VT, words0, dec, fields, EI, PAIRS, ER, EIN, cfg, pen, cost, best_cost,
               best_fill, found, nfound, stats):
    """Advance chains `fill` (C, H) by up to `n_props` proposals each, a chain stopping early
    once its examples have run `budget` cycles (so a step is a fixed amount of work even
    where programs loop).

    states (C,) uint64 splitmix64 streams; weights (4,) move probabilities (one hole,
    replace, opcode, swap); p_grad the share of gradient moves (`mcmc_grad`), with chain c's
    table LW[c] laid out by off (H+1,). Writes: fill, states, cost (C,) current cost, best_cost (C,) and
    best_fill (C, H) the best of this call, found (C, F, H) fillings of cost 0, nfound (C,),
    stats (C, 3) proposals evaluated, accepted, examples run."""
    for c in prange(fill.shape[0]):
        mem, dc = _image(fill[c], words0, HT, UT, UH, GT, CT, BT, VT, dec, fields)
        work = (np.full(mem.shape[0], -1, dtype=np.int64),  # stamp: last example to write
                np.empty((mem.shape[0], 2), dtype=np.int64),  # undo log (one per address)
                np.empty(NREGS, dtype=np.int64),  # registers
                np.zeros(max(cfg[4], 1), dtype=np.int64),  # output buffer
                np.zeros(SS_SIZE, dtype=np.int64),  # interpreter state
                np.empty((MAX_CHANGES, 2), dtype=np.int64),  # holes changed: index, old
                np.empty((2, 2), dtype=np.int64))  # units touched: index, old word
        grad = (off, LW[c], np.zeros(fill.shape[1]), np.zeros(fill.shape[1]))  # table, A, wh
        table_sums(off, LW[c], grad[2])
        _chain(c, fill[c], states[c:c + 1], n_props, budget, beta, weights, p_grad, grad, HT,
               UT, UH, GT, CT, BT, VT, dec, fields, EI, PAIRS, ER, EIN, cfg, pen, mem, dc, work,
               cost, best_cost, best_fill, found, nfound, stats)


@njit(cache=True, _nrt=False)  # no reference counting in the hot loop (it allocates nothing)
def _chain(c, f, st, n_props, budget, beta, weights, p_grad, grad, HT, UT, UH, GT, CT, BT, VT,
           dec, fields, EI, PAIRS, ER, EIN, cfg, pen, mem, dc, work, cost, best_cost,
           best_fill, found, nfound, stats):
    """One chain's proposals (see run_chains)."""
    stamp, logs, rg, outb, ss, chg, tu = work
    off, lw, A, wh = grad
    cur, gen = total_cost(np.inf, 0, mem, dc, stamp, logs, rg, outb, ss, EI, PAIRS, ER, EIN,
                          cfg, pen, dec, fields)
    best = cur
    _copy(best_fill[c], f)
    nf, done, acc = 0, 0, 0
    for _ in range(n_props):
        if ss[SS_WORK] >= budget:
            break
        log_ratio = 0.0  # log q(x' -> x) - log q(x -> x'): 0 for the uniform moves
        if p_grad > 0.0 and uniform(st) <= p_grad:
            nchg, ntu, log_ratio = grad_move(f, st, off, lw, A, wh, HT, UT, GT, CT, chg, tu)
        else:
            nchg, ntu = propose(f, st, weights, HT, UT, UH, GT, CT, chg, tu)
        for i in range(ntu):
            a = UT[tu[i, 0], U_ADDR]
            tu[i, 1] = mem[a]
            mem[a] = s32(unit_word(tu[i, 0], f, HT, UT, UH, GT, CT, BT, VT, fields))
            decode_word(dc, a, mem[a], dec, fields)
        bound = cur + (log_ratio - math.log(uniform(st))) / beta
        new, gen = total_cost(bound, gen, mem, dc, stamp, logs, rg, outb, ss, EI, PAIRS, ER,
                              EIN, cfg, pen, dec, fields)
        done += 1
        if new <= bound:
            acc += 1
            cur = new
            if new < best:
                best = new
                _copy(best_fill[c], f)
            if new == 0 and nchg > 0:
                _copy(found[c, nf], f)
                nf += 1
                if nf == found.shape[1]:
                    break
        else:
            for i in range(nchg - 1, -1, -1):
                f[chg[i, 0]] = chg[i, 1]
            for i in range(ntu - 1, -1, -1):
                a = UT[tu[i, 0], U_ADDR]
                mem[a] = tu[i, 1]
                decode_word(dc, a, mem[a], dec, fields)
    cost[c], best_cost[c], nfound[c] = cur, best, nf
    stats[c, 0], stats[c, 1], stats[c, 2] = done, acc, gen  # gen: examples run


@njit(cache=True, inline="always", _nrt=False)
def _copy(dst, src):
    for i in range(src.shape[0]):
        dst[i] = src[i]


@njit(cache=True)
def costs_of(fills, HT, UT, UH, GT, CT, BT, VT, words0, dec, fields, EI, PAIRS, ER, EIN, cfg,
             pen):
    """(P,) the full cost of fillings (P, H) (no early exit); for tests and restarts."""
    out = np.empty(fills.shape[0], dtype=np.int64)
    for p in range(fills.shape[0]):
        mem, dc = _image(fills[p], words0, HT, UT, UH, GT, CT, BT, VT, dec, fields)
        stamp = np.full(mem.shape[0], -1, dtype=np.int64)
        logs = np.empty((mem.shape[0], 2), dtype=np.int64)
        out[p], _ = total_cost(np.inf, 0, mem, dc, stamp, logs, np.empty(NREGS, np.int64),
                               np.zeros(max(cfg[4], 1), np.int64), np.zeros(SS_SIZE, np.int64), EI,
                               PAIRS, ER, EIN, cfg, pen, dec, fields)
    return out


@njit(cache=True)
def words_of(fills, HT, UT, UH, GT, CT, BT, VT, fields):
    """(P, U) unsigned words of every unit under fillings (P, H)."""
    out = np.empty((fills.shape[0], UT.shape[0]), dtype=np.int64)
    for p in range(fills.shape[0]):
        for u in range(UT.shape[0]):
            out[p, u] = unit_word(u, fills[p], HT, UT, UH, GT, CT, BT, VT, fields)
    return out


@njit(cache=True)
def run_program(mem, regs, inp, cfg, dec, fields):
    """One program as the evaluator runs it (for tests): mem (N,) and regs (16,) signed, both
    updated; the output buffer is cfg[4] words. (cycles, ss (7,) the state at the end as
    `mcmc_eval.SS_*` names it, out (cfg[4],) the first output words)."""
    dc = np.empty((mem.shape[0], 6), dtype=np.int64)
    for a in range(mem.shape[0]):
        decode_word(dc, a, mem[a], dec, fields)
    stamp = np.full(mem.shape[0], -1, dtype=np.int64)
    logs = np.empty((mem.shape[0], 2), dtype=np.int64)
    outb = np.zeros(max(cfg[4], 1), dtype=np.int64)
    ss = np.zeros(SS_SIZE, dtype=np.int64)
    cyc = exec_program(mem, dc, stamp, 0, logs, regs, inp, inp.shape[0], outb, ss, cfg, dec,
                       fields)
    return cyc, ss, outb
