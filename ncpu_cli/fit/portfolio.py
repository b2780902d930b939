"""`--method auto`: a portfolio of search methods, each in its own process.

The only code that knows which methods exist and how they combine.  A small
space (at most ``ENUMERATE_MAX`` distinct programs) is enumerated in this
process: that is fastest there, and exhausting it proves "no filling".
Otherwise ``smt`` and ``mcmc`` (then ``evolve``, when there are cores for it)
run side by side, one process each, at most one per core; the first verified
answer stops the others, and so does a proof that no filling exists.  The
result names the method that won and every worker's time (``method_times``).

With ``--steps`` the portfolio is deterministic instead: its members do not depend
on the number of cores (all of ``ORDER``, or the first ``--workers``), at most one
per core runs at a time, each runs to its own answer or its steps, and the answer
is that of the first member in ``ORDER`` that solved -- decided as soon as every
member before it has finished.  So the same seed and steps give the same answer
(each member is reproducible given them), unless a member's --time-limit ends it.

mcmc and evolve run with uniform proposals here: gradient-informed ones (``--proposals
gradient``) were measured slower on both suites (docs/fit.md, "Gradient proposals
against uniform ones, measured"), so the portfolio does not use them.

Workers are started with the ``spawn`` method (no fork of a process that holds
torch's or numba's threads) in their own process group, so stopping a worker
also stops the solver process it may have started.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import replace

from ncpu_cli.errors import FitError
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.search import FitResult, Report
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import FitSpec

# distinct programs: up to this, enumerate alone. A first choice, not yet measured: it is
# about the programs enumerate checks in the seconds a portfolio's processes take to start
ENUMERATE_MAX = 20_000
ORDER = ("smt", "mcmc", "evolve")  # smt and mcmc won every HD task solved (docs/synthesis.md)
GRACE = 10.0  # seconds past --time-limit before a silent worker is stopped


def plan(sketch: Sketch, opts: FitOptions) -> list[str]:
    """The methods `auto` runs on this sketch (with --steps: not counting the cores)."""
    if sketch.space <= ENUMERATE_MAX:
        return ["enumerate"]
    cores = opts.workers or (len(ORDER) if opts.steps is not None else os.cpu_count() or 1)
    return list(ORDER[: max(1, min(cores, len(ORDER)))])


def fit_auto(spec: FitSpec, opts: FitOptions, report: Report | None = None) -> FitResult:
    from ncpu_cli.fit.runner import run_method

    methods = plan(Sketch(spec), opts)
    if len(methods) == 1:
        start = time.perf_counter()
        result = run_method(spec, replace(opts, method=methods[0]), report=report)
        result.method_times = {methods[0]: round(time.perf_counter() - start, 3)}
        return result
    return _race(spec, opts, methods)


def _worker(spec: FitSpec, opts: FitOptions, out) -> None:
    """One method in a worker process; puts (method, kind, payload, seconds) on `out`."""
    os.setpgrp()  # its own group: stopping it stops its solver processes too
    try:
        import numba

        numba.set_num_threads(1)  # one core per worker (mcmc's chains run in prange)
    except (ImportError, ValueError):
        pass
    from ncpu_cli.fit.runner import run_method

    start = time.perf_counter()
    try:
        out.put((opts.method, "result", run_method(spec, opts), time.perf_counter() - start))
    except FitError as exc:
        out.put((opts.method, "error", str(exc), time.perf_counter() - start))
    except Exception as exc:  # reported by the parent as that worker's failure
        out.put((opts.method, "error", f"{type(exc).__name__}: {exc}",
                 time.perf_counter() - start))


def _race(spec: FitSpec, opts: FitOptions, methods: list[str]) -> FitResult:
    """Every method in its own process: the first verified answer wins, or with --steps
    the first method in order that solved (``decided``)."""
    fixed = opts.steps is not None
    slots = min(len(methods), opts.workers or os.cpu_count() or 1) if fixed else len(methods)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = {m: ctx.Process(target=_worker, args=(spec, replace(opts, method=m), out),
                            name=f"ncpu-fit-{m}") for m in methods}
    start = time.perf_counter()
    began: dict[str, float] = {}  # method -> when its process started
    results: dict[str, FitResult] = {}
    errors: dict[str, str] = {}
    times: dict[str, float] = {}
    try:
        while True:
            running = [m for m in began if m not in results and m not in errors]
            for m in [m for m in methods if m not in began][: max(0, slots - len(running))]:
                procs[m].start()
                began[m] = time.perf_counter()
                running.append(m)
            if not running or decided(methods, results, errors, fixed):
                break
            now = time.perf_counter()
            late = [m for m in running
                    if now - began[m] > opts.time_limit + GRACE or not procs[m].is_alive()]
            try:
                method, kind, payload, secs = out.get(timeout=0.5 if late else 1.0)
            except queue.Empty:
                for m in late:  # silent past its time limit, or died without a word
                    errors[m] = ("no report within its time limit" if procs[m].is_alive()
                                 else "its process ended without a result")
                    _stop([procs[m]])
                continue
            times[method] = round(secs, 3)
            if kind == "error":
                errors[method] = payload
            else:
                results[method] = payload
    finally:
        _stop([p for m, p in procs.items() if m in began])
    for m in began:  # a member never started (its answer was not needed) has no time
        times.setdefault(m, round(time.perf_counter() - began[m], 3))
    return _verdict(methods, results, errors, times, time.perf_counter() - start)


def decided(methods: list[str], results: dict[str, FitResult], errors: dict[str, str],
            fixed: bool) -> bool:
    """Whether the portfolio has its answer: a proof that no filling exists, or a solution
    -- any solution in a race, and with `fixed` (--steps) one of a method every method
    before which (in `methods`' order) has finished without one; or every method done."""
    done = [results[m] for m in methods if m in results]
    if any(r.proved_unsolvable for r in done):
        return True
    if not fixed:
        return any(r.solved for r in done) or len(results) + len(errors) == len(methods)
    for m in methods:
        if m in results and results[m].solved:
            return True
        if m not in results and m not in errors:
            return False
    return True


def _verdict(methods, results: dict[str, FitResult], errors: dict[str, str],
             times: dict[str, float], seconds: float) -> FitResult:
    """The first solution (in `methods`' order), else a proof of no solution, else the best
    candidate (the earlier method on a tie)."""
    if not results:
        if errors:
            raise FitError("; ".join(f"{m}: {e}" for m, e in errors.items()))
        raise FitError(f"no worker of the portfolio ({', '.join(methods)}) reported within "
                       "its time limit")
    done = [results[m] for m in methods if m in results]
    best = (next((r for r in done if r.solved), None)
            or next((r for r in done if r.proved_unsolvable), None)
            or max(done, key=lambda r: (r.examples_passed, r.holdout_passed)))
    best.method_times = times
    best.seconds = seconds
    best.notes = list(best.notes) + [f"{m} stopped: {e}" for m, e in errors.items()]
    return best


def _stop(procs) -> None:
    for p in procs:
        if p.is_alive() and p.pid is not None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
    for p in procs:
        p.join(timeout=5)
