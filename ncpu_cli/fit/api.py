"""`fit(spec, ...)`: run one method on one spec and return a FitResult."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ncpu_cli.errors import FitError
from ncpu_cli.fit.loss import Loss
from ncpu_cli.fit.options import METHODS, PROPOSALS, FitOptions
from ncpu_cli.fit.params import ESTIMATORS
from ncpu_cli.fit.portfolio import fit_auto
from ncpu_cli.fit.runner import run_method
from ncpu_cli.fit.search import FitResult, Report
from ncpu_cli.fit.spec import FitSpec, load_spec

PROPOSAL_METHODS = ("mcmc", "evolve")  # the methods that take `proposals`


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
    if opts.verify is not None and opts.verify < 0:
        raise FitError(f"--verify must be 0 or more, got {opts.verify}")
    if opts.max_candidates < 1:
        raise FitError(f"--max-candidates must be at least 1, got {opts.max_candidates}")
    if opts.proposals not in PROPOSALS:
        raise FitError(f"unknown proposals `{opts.proposals}` (choose {', '.join(PROPOSALS)})")
    if opts.proposals != "uniform" and opts.method not in PROPOSAL_METHODS:
        raise FitError(f"--proposals {opts.proposals} goes with --method "
                       f"{' or '.join(PROPOSAL_METHODS)}, not {opts.method}")


def fit(spec: FitSpec | str | Path, method: str = "auto", *, loss: Loss | None = None,
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
    if method == "auto":
        return fit_auto(spec, opts, report)
    return run_method(spec, opts, loss=loss, report=report, stop_any=stop_any)
