"""`--method mcmc`: STOKE-style stochastic search (Schkufza, Sharma, Aiken, "Stochastic
Superoptimization", ASPLOS 2013).

Chains of fillings (``--restarts`` of them, at most MAX_CHAINS) walk the sketch's space by
Metropolis steps on a Hamming cost (``mcmc_eval``) with STOKE's moves (``mcmc_moves``),
compiled with numba (``mcmc_kernel``). One *step* is one kernel call of STEP_PROPOSALS
proposals over all chains (fewer where programs run long: a chain stops at its share of
STEP_CYCLES instructions -- a count, not a clock, so steps stay reproducible). After it,
every filling a chain found at cost 0 (it passes every example) and the best filling of the
step are offered to the tracker, which checks them on the exact machine (examples, holdout,
verification). A counterexample from verification joins the examples, and the chains go on
from where they are (the cost is recomputed on the new examples). A chain restarts from a
random filling when its best cost has not improved for RESTART_STEPS steps, or when it sits
on a filling the tracker rejected with no new example to move it. Each chain has its own
random stream (seeded from ``--seed``), so the same seed and ``--steps`` give the same
answer on any number of threads.

β = 5 (cost in bits): on Hacker's Delight P10, P12 and P18 (3 seeds, 7.9 million proposals each) β = 5
solved 7 of 9, β = 10 7, β = 2 5, β = 1 4; the prototype's measurement agreed (0.3-2
stalled). `bench_mcmc` measures proposals per second.
"""

from __future__ import annotations

import time

import numpy as np

from ncpu_cli.fit.bench_sketch import BENCH_OPS, bench_spec  # noqa: F401 (re-exported)
from ncpu_cli.fit.mcmc_grad import no_tables
from ncpu_cli.fit.mcmc_tables import ExampleTables, ProgramTables, example_tables, program_tables
from ncpu_cli.fit.proposal_log import GradLog

BETA = 5.0  # inverse temperature, per bit of cost
WEIGHTS = np.asarray([0.5, 0.2, 0.15, 0.15])  # one hole, replace, opcode, swap
MAX_CHAINS = 16  # more chains share the same proposals per step; 16 beat 64 on HD P10 (2.2 s vs 24 s)
# One step: 1,024 proposals per chain at 16 chains. Steps of 16,384 per chain (1 << 18 here)
# took as long or longer to the answer, as the other chains run on after one finds it: HD
# P1, P2, P6, seeds 0-3, median 0.34/1.31/0.18 s against 0.14/1.15/0.06 s (`ncpu fit
# programs/fit/hd/pNN.yaml --method mcmc --seed S --json` with each value, 2-core Xeon).
STEP_PROPOSALS = 1 << 14  # proposals of one step, over all chains
STEP_CYCLES = 1 << 23  # at most this many instructions run in one step, over all chains
MIN_CHAIN_PROPOSALS = 1024
FOUND_PER_CHAIN = 4  # zero-cost fillings a chain records before it stops for a check
RESTART_STEPS = 384  # steps without a better cost before a chain restarts (6.3M proposals)
# --proposals gradient: the share of moves drawn from the gradient table, and proposals per
# chain between two tables (one step). On HD P1-P3 (3 seeds, 15 s, 2-core Xeon, loaded)
# shares 0.1/0.2/0.35 took a median 229k/66k/393k proposals on P1 (0.5 with the unclipped
# table solved 1 of 3); refreshing every 64, 256 or 1024 moves solved P1 0, 1 and 1 of 3
# (unclipped). The tables cost far more than they save in time: docs/fit.md.
GRAD_SHARE = 0.2
GRAD_REFRESH = 1024


class Chains:
    """The state of C Metropolis chains over fillings of one sketch."""

    def __init__(self, tables: ProgramTables, sizes: np.ndarray, n_chains: int, seed: int,
                 beta: float = BETA, weights: np.ndarray = WEIGHTS):
        self.tables, self.sizes = tables, np.asarray(sizes, dtype=np.int64)  # (H,)
        self.rng = np.random.default_rng(seed)
        self.beta, self.weights = float(beta), np.asarray(weights, dtype=np.float64)
        self.fill = self.random(n_chains)  # (C, H)
        self.states = self.rng.integers(0, 2**64, n_chains, dtype=np.uint64)  # (C,)
        self.cost = np.zeros(n_chains, dtype=np.int64)  # (C,) after the last step
        self.best_cost = np.zeros(n_chains, dtype=np.int64)  # (C,) best of the last step
        self.best_fill = self.fill.copy()  # (C, H)
        self.p_grad = 0.0  # share of gradient moves (set_tables)
        self.off, self.logw = no_tables(len(self.sizes), n_chains)
        self.proposals = 0
        self.accepted = 0
        self.examples_run = 0  # example evaluations (early exit makes them fewer)

    def random(self, count: int) -> np.ndarray:
        """(count, H) fillings drawn uniformly."""
        return self.rng.integers(0, self.sizes[None, :], (count, len(self.sizes)),
                                 dtype=np.int64)

    def set_tables(self, off: np.ndarray, logw: np.ndarray, share: float) -> None:
        """Draw `share` of the moves from proposal tables logw (C, K) laid out by off."""
        self.off = np.ascontiguousarray(off, dtype=np.int64)
        self.logw = np.ascontiguousarray(logw, dtype=np.float64)
        self.p_grad = float(share)

    def restart(self, chains: np.ndarray) -> None:
        if len(chains):
            self.fill[chains] = self.random(len(chains))

    def step(self, ex: ExampleTables, n_props: int, budget: int = 1 << 62) -> np.ndarray:
        """Run every chain for `n_props` proposals (or until its examples have run `budget`
        cycles); the zero-cost fillings found (F, H)."""
        from ncpu_cli.fit.mcmc_kernel import run_chains  # compiles (or loads) on first use

        t = self.tables
        c_count, h_count = self.fill.shape
        found = np.zeros((c_count, FOUND_PER_CHAIN, h_count), dtype=np.int64)
        nfound = np.zeros(c_count, dtype=np.int64)
        stats = np.zeros((c_count, 3), dtype=np.int64)
        run_chains(self.fill, self.states, int(n_props), int(budget), self.beta, self.weights,
                   self.p_grad, self.off, self.logw, *t.sketch_arrays, t.words0, t.dec, t.fields, *ex.arrays, self.cost,
                   self.best_cost, self.best_fill, found, nfound, stats)
        self.proposals += int(stats[:, 0].sum())
        self.accepted += int(stats[:, 1].sum())
        self.examples_run += int(stats[:, 2].sum())
        return np.concatenate([found[c, : nfound[c]] for c in range(c_count)])


def _examples(tracker) -> tuple:
    ex = getattr(tracker, "examples", None)
    return tuple(ex if ex is not None else tracker.spec.examples)


def fit_mcmc(tracker) -> None:
    sketch, opts, spec = tracker.sketch, tracker.options, tracker.spec
    tables = program_tables(sketch)
    n_chains = max(1, min(opts.restarts, MAX_CHAINS))
    chains = Chains(tables, sketch.sizes, n_chains, opts.seed, beta=BETA, weights=WEIGHTS)
    n_props = max(MIN_CHAIN_PROPOSALS, STEP_PROPOSALS // n_chains)
    budget = STEP_CYCLES // n_chains  # cycles per chain and step (loops make proposals dear)
    patience = RESTART_STEPS  # steps without a better cost before a chain restarts
    proposer = None
    if getattr(opts, "proposals", "uniform") == "gradient":
        from ncpu_cli.fit.proposals import GradProposer

        proposer = GradProposer(sketch, spec.mem_words, spec.max_cycles)
    if proposer is not None and not proposer.tabled:  # every hole too wide for a table
        tracker.notes.append("mcmc: --proposals gradient: no hole has a table (each has more "
                             "than 256 candidates): uniform moves only")
        proposer = None
    if proposer is not None:
        patience = max(1, RESTART_STEPS * n_props // GRAD_REFRESH)  # as many proposals
        budget = max(1, budget * GRAD_REFRESH // n_props)
        n_props = GRAD_REFRESH
    grads = GradLog("mcmc", GRAD_SHARE, GRAD_REFRESH)
    canonical = getattr(sketch, "canonical", lambda f: f)
    seen: tuple = ()
    ex = None
    best_seen = np.full(n_chains, np.iinfo(np.int64).max)  # (C,) since the last restart
    last_better = np.zeros(n_chains, dtype=np.int64)  # (C,) step of the last improvement
    step, start = 0, time.perf_counter()
    while tracker.keep_going():
        examples = _examples(tracker)
        if ex is None or examples != seen:
            seen = examples
            ex = example_tables(examples, spec.mem_words, spec.max_cycles, tables.entry)
            best_seen[:] = np.iinfo(np.int64).max  # costs on other examples do not compare
        if proposer is not None:  # a fresh table for every chain at its current filling
            grad = proposer.tables(chains.fill, list(examples))
            chains.set_tables(grad.off, grad.logw, GRAD_SHARE)
            grads.add(grad)
        found = chains.step(ex, n_props, budget)
        top = int(np.argmin(chains.best_cost))
        offer = canonical(np.concatenate([found, chains.best_fill[top: top + 1]]))
        tracker.offer(np.unique(offer, axis=0))
        step += 1
        better = chains.best_cost < best_seen
        best_seen = np.minimum(best_seen, chains.best_cost)
        last_better[better] = step
        stale = step - last_better >= patience
        if _examples(tracker) == seen:  # nothing new will move a chain off a rejected answer
            stale |= chains.cost == 0
        again = np.flatnonzero(stale)
        chains.restart(again)
        best_seen[again], last_better[again] = np.iinfo(np.int64).max, step
    _report(tracker, chains, time.perf_counter() - start, n_chains, grads)


def _report(tracker, chains: Chains, seconds: float, n_chains: int,
            grads: GradLog | None = None) -> None:
    tracker.evaluations = getattr(tracker, "evaluations", 0) + chains.proposals
    rate = chains.proposals / seconds if seconds > 0 else 0.0
    note = (f"mcmc: {chains.proposals:,} proposals in {seconds:.1f} s ({rate:,.0f}/s, "
            f"{n_chains} chains, beta {chains.beta:g}, "
            f"{chains.accepted / max(1, chains.proposals):.1%} accepted)")
    notes = getattr(tracker, "notes", None)
    if isinstance(notes, list):
        notes.append(note)
        if grads is not None and grads.count:
            notes.extend(grads.notes(tracker.sketch))
            tracker.proposal_info = grads.info(tracker.sketch)


# -- the benchmark (`ncpu bench fit`) ------------------------------------------------------
def bench_mcmc(proposals: int = 2_000_000, lines: int = 5, examples: int = 32,
               chains: int = 1, threads: int = 1, seed: int = 0) -> dict:
    """Proposals per second of the compiled kernel on `bench_spec` (one thread by default:
    the per-core rate). Compile time is excluded (a warm-up call first). `per_cpu_second`
    divides by the process's CPU time: the per-core rate even on a machine shared with
    other work."""
    import numba

    from ncpu_cli.fit.sketch import Sketch

    spec = bench_spec(lines, examples, seed)
    sketch = Sketch(spec)
    tables = program_tables(sketch)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, tables.entry)
    state = Chains(tables, sketch.sizes, chains, seed)
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        state.step(ex, 64)  # compile or load from the cache
        before = state.proposals
        t0, c0 = time.perf_counter(), time.process_time()
        state.step(ex, max(1, proposals // chains))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        numba.set_num_threads(old)
    done = state.proposals - before
    return {"proposals": done, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "proposals_per_s": done / seconds, "per_cpu_second": done / cpu,
            "chains": chains, "threads": threads, "examples": examples, "lines": lines,
            "accepted": state.accepted / max(1, state.proposals),
            "examples_per_proposal": state.examples_run / max(1, state.proposals),
            "best_cost": int(state.best_cost.min())}
