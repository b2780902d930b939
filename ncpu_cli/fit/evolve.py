"""`--method evolve`: evolution on the exact machine, compiled (`evolve_kernel`).

A population of fillings (``--restarts`` of them, at least 4) is scored with mcmc's exact
evaluator and Hamming cost; the best quarter survives, in order, and the other slots get
children: a uniform crossover of two survivors, then mutations -- each hole with
probability max(1/H, 0.1) (at least one), to a uniform candidate or, for a numeric hole,
half the time a nearby one. One *step* is one kernel call of GENERATIONS generations (fewer
where programs run long: a step stops after STEP_CYCLES instructions, a count, so steps
stay reproducible); after it the individuals of cost 0 and the best one go to the tracker's
exact check (examples, holdout, verification; a counterexample joins the examples).

With ``--proposals gradient`` every step starts with a proposal table for each survivor
(`fit/proposals.py`, one soft pass); a child's tabled holes mutate to a candidate drawn
from its first parent's table, and it inherits that table for the rest of the step.
Each population slot has its own random stream (seeded from ``--seed``), so the same seed
and ``--steps`` give the same answer on any number of threads.
"""

from __future__ import annotations

import numpy as np

from ncpu_cli.fit.mcmc_grad import no_tables
from ncpu_cli.fit.mcmc_tables import example_tables, program_tables
from ncpu_cli.fit.proposal_log import GradLog
from ncpu_cli.fit.search import Tracker

ELITE = 0.25  # share of the population that survives a generation
GENERATIONS = 64  # generations per step
STEP_CYCLES = 1 << 23  # at most this many instructions run in one step
FOUND = 16  # individuals of cost 0 a step collects before it stops for the check


class Population:
    """P fillings of one sketch and their random streams."""

    def __init__(self, tables, sizes: np.ndarray, count: int, seed: int):
        self.tables, self.sizes = tables, np.asarray(sizes, dtype=np.int64)
        rng = np.random.default_rng(seed)
        self.pop = rng.integers(0, self.sizes[None, :], (count, len(self.sizes)),
                                dtype=np.int64)  # (P, H)
        self.states = rng.integers(0, 2**64, count, dtype=np.uint64)  # (P,)
        self.tab = np.full(count, -1, dtype=np.int64)  # (P,) table row of each individual
        self.off, self.logw = no_tables(len(self.sizes), 1)
        self.cost = np.zeros(count, dtype=np.int64)  # (P,) after the last call, best first
        self.elite = max(1, int(count * ELITE))
        self.rate = max(1.0 / max(1, len(self.sizes)), 0.1)
        self.scored = 0  # individuals scored so far

    def set_tables(self, off: np.ndarray, logw: np.ndarray) -> None:
        """Tables logw (E, K) for the survivors pop[:E] (the others have none)."""
        self.off = np.ascontiguousarray(off, dtype=np.int64)
        self.logw = np.ascontiguousarray(logw, dtype=np.float64)
        self.tab[:] = -1
        self.tab[: len(logw)] = np.arange(len(logw))

    def step(self, ex, generations: int, budget: int) -> np.ndarray:
        """Run up to `generations` generations; the fillings of cost 0 found (F, H)."""
        from ncpu_cli.fit.evolve_kernel import run_generations  # compiles on first use

        t = self.tables
        found = np.zeros((FOUND, self.pop.shape[1]), dtype=np.int64)
        stats = np.zeros(3, dtype=np.int64)
        run_generations(self.pop, self.tab, self.states, int(generations), int(budget),
                        self.elite, self.rate, self.off, self.logw, *t.sketch_arrays,
                        t.words0, t.dec, t.fields, *ex.arrays, self.cost, found, stats)
        self.scored += int(stats[2])
        return found[: stats[0]]


def fit_evolve(tracker: Tracker) -> None:
    opts, sketch, spec = tracker.options, tracker.sketch, tracker.spec
    tables = program_tables(sketch)
    pop = Population(tables, sketch.sizes, max(4, opts.restarts), opts.seed)
    proposer, grads = None, GradLog("evolve", 1.0, GENERATIONS, "generations (one step)")
    if opts.proposals == "gradient":
        from ncpu_cli.fit.proposals import GradProposer

        proposer = GradProposer(sketch, spec.mem_words, spec.max_cycles)
        if not proposer.tabled:  # every hole too wide for a table: no soft passes
            tracker.notes.append("evolve: --proposals gradient: no hole has a table (each "
                                 "has more than 256 candidates): uniform mutations only")
            proposer = None
    canonical = getattr(sketch, "canonical", lambda f: f)
    seen, ex = None, None
    while tracker.keep_going():
        examples = tuple(tracker.examples)
        if examples != seen:
            seen = examples
            ex = example_tables(examples, spec.mem_words, spec.max_cycles, tables.entry)
        if proposer is not None:  # tables for the survivors (the first `elite`)
            grad = proposer.tables(pop.pop[: pop.elite], list(examples))
            pop.set_tables(grad.off, grad.logw)
            grads.add(grad)
        before = pop.scored
        found = pop.step(ex, GENERATIONS, STEP_CYCLES)
        tracker.evaluations += pop.scored - before
        tracker.offer(np.unique(canonical(np.concatenate([found, pop.pop[:1]])), axis=0))
    if grads.count:
        tracker.notes.extend(grads.notes(sketch))
        tracker.proposal_info = grads.info(sketch)


def bench_evolve(generations: int = 512, population: int = 256, threads: int = 1,
                 seed: int = 0) -> dict:
    """Fillings scored per second by the compiled generations on `bench_sketch.bench_spec`
    (one thread by default: the per-core rate), compile time excluded (a warm-up call)."""
    import time

    import numba

    from ncpu_cli.fit.bench_sketch import bench_spec
    from ncpu_cli.fit.sketch import Sketch

    spec = bench_spec()
    sketch = Sketch(spec)
    tables = program_tables(sketch)
    ex = example_tables(spec.examples, spec.mem_words, spec.max_cycles, tables.entry)
    pop = Population(tables, sketch.sizes, population, seed)
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        pop.step(ex, 1, 1 << 62)  # compile or load from the cache
        before = pop.scored
        t0, c0 = time.perf_counter(), time.process_time()
        pop.step(ex, generations, 1 << 62)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        numba.set_num_threads(old)
    done = pop.scored - before
    return {"fillings": done, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "fillings_per_s": done / seconds, "per_cpu_second": done / cpu,
            "population": population, "threads": threads, "best_cost": int(pop.cost[0])}
