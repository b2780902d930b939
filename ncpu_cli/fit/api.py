"""`fit(spec, ...)`: run one method on one spec and return a FitResult."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ncpu_cli.errors import FitError
from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.enumerate import fit_enumerate
from ncpu_cli.fit.evolve import fit_evolve
from ncpu_cli.fit.gradient import fit_gradient
from ncpu_cli.fit.loss import Loss
from ncpu_cli.fit.options import METHODS, FitOptions
from ncpu_cli.fit.params import ESTIMATORS
from ncpu_cli.fit.search import FitResult, Report, Tracker
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import FitSpec, load_spec


def check_options(opts: FitOptions) -> None:
    """FitError for options no method can run with."""
    if opts.method not in METHODS:
        raise FitError(f"unknown method `{opts.method}` (choose {', '.join(METHODS)})")
    if opts.restarts < 1:
        raise FitError(f"--restarts must be at least 1, got {opts.restarts}")
    if opts.steps is not None and opts.steps < 1:
        raise FitError(f"--steps must be at least 1, got {opts.steps}")
    if not opts.time_limit > 0:
        raise FitError(f"--time-limit must be a positive number of seconds, got {opts.time_limit}")
    if opts.estimator not in ESTIMATORS:
        raise FitError(f"unknown estimator `{opts.estimator}` (choose {', '.join(ESTIMATORS)})")
    if opts.categorical_max < 1:
        raise FitError(f"--categorical-max must be at least 1, got {opts.categorical_max}")
    if opts.max_candidates < 1:
        raise FitError(f"--max-candidates must be at least 1, got {opts.max_candidates}")


def fit(spec: FitSpec | str | Path, method: str = "gradient", *, loss: Loss | None = None,
        report: Report | None = None, stop_any=None, **options) -> FitResult:
    """Fill the holes of `spec`'s sketch (a FitSpec or a spec file's path).

    `options`: the fields of FitOptions (restarts, steps, time_limit, seed, device,
    estimator, ...). `loss(run, examples) -> (R,)` replaces the gradient method's loss
    (see ``ncpu_cli.fit.loss``). `stop_any(flag) -> bool`: a collective "does any rank
    stop?" (torchrun; every step asks it). Raises FitError / AsmError on a bad spec or
    sketch."""
    if not isinstance(spec, FitSpec):
        spec = load_spec(spec)
    opts = replace(FitOptions(), method=method, **options)
    check_options(opts)
    sketch = Sketch(spec)
    tracker = Tracker(spec, sketch, Checker(sketch, spec, device=opts.device), opts, report)
    tracker.stop_any = stop_any
    if method == "gradient":
        fit_gradient(tracker, loss)
    elif method == "evolve":
        fit_evolve(tracker)
    else:
        fit_enumerate(tracker)
    return result_of(tracker)


def result_of(tracker: Tracker) -> FitResult:
    spec, sketch, opts = tracker.spec, tracker.sketch, tracker.options
    solved = tracker.solution is not None
    best = tracker.solution if solved else tracker.best
    if best is None:  # stopped before any check: show every hole's first candidate
        best = np.zeros(len(sketch.holes), dtype=np.int64)
    passed = len(spec.examples) if solved else max(0, tracker.best_key[0])
    held = tracker.best_holdout if passed == len(spec.examples) else 0
    if solved:  # the one rule: a solution passes everything on the exact machine
        held = int(tracker.holdout_counts(best[None, :])[0])
        ok = int(tracker.checker.score(best[None, :], spec.examples).count[0])
        if ok != len(spec.examples) or held != len(spec.holdout):
            raise AssertionError("a solution failed its exact re-check: this is a bug")
    return FitResult(
        solved=solved, method=opts.method, program=sketch.render(best),
        holes=sketch.describe(best), examples_passed=passed, examples_total=len(spec.examples),
        holdout_passed=held, holdout_total=len(spec.holdout), steps=tracker.steps,
        restarts=opts.restarts, seconds=tracker.elapsed, seed=opts.seed,
        candidates=tracker.candidates, space=sketch.space, values=sketch.values(best))
