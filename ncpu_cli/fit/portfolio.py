"""`--method auto`: a portfolio of search methods, each in its own process.

The only code that knows which methods exist and how they combine.  A small
space (at most ``ENUMERATE_MAX`` distinct programs) is enumerated in this
process: that is fastest there, and exhausting it proves "no filling".
Otherwise ``smt`` and ``mcmc`` (then ``evolve``, when there are cores for it)
run side by side, one process each, at most one per core; the first verified
answer stops the others, and so does a proof that no filling exists.  The
result names the method that won and every worker's time (``method_times``).

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
    """The methods `auto` runs on this sketch."""
    if sketch.space <= ENUMERATE_MAX:
        return ["enumerate"]
    cores = opts.workers or os.cpu_count() or 1
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
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = {m: ctx.Process(target=_worker, args=(spec, replace(opts, method=m), out),
                            name=f"ncpu-fit-{m}") for m in methods}
    start = time.perf_counter()
    for p in procs.values():
        p.start()
    results: dict[str, FitResult] = {}
    errors: dict[str, str] = {}
    times: dict[str, float] = {}
    try:
        while len(results) + len(errors) < len(methods):
            left = opts.time_limit + GRACE - (time.perf_counter() - start)
            try:
                method, kind, payload, secs = out.get(timeout=max(0.1, min(1.0, left)))
            except queue.Empty:
                if left <= 0 or not any(p.is_alive() for p in procs.values()):
                    break
                continue
            times[method] = round(secs, 3)
            if kind == "error":
                errors[method] = payload
                continue
            results[method] = payload
            if payload.solved or payload.proved_unsolvable:
                break
    finally:
        _stop(procs.values())
    for m in methods:
        times.setdefault(m, round(time.perf_counter() - start, 3))
    return _verdict(methods, results, errors, times, time.perf_counter() - start)


def _verdict(methods, results: dict[str, FitResult], errors: dict[str, str],
             times: dict[str, float], seconds: float) -> FitResult:
    """The first solution, else a proof of no solution, else the best candidate."""
    if not results:
        if errors:
            raise FitError("; ".join(f"{m}: {e}" for m, e in errors.items()))
        raise FitError(f"no worker of the portfolio ({', '.join(methods)}) reported within "
                       "its time limit")
    done = list(results.values())
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
