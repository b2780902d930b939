"""One search method on one spec in this process, and the FitResult of its tracker."""

from __future__ import annotations

import importlib

import numpy as np

from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.loss import Loss
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.search import FitResult, Report, Tracker, result_fields
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import FitSpec

# method -> (module, function): imported on first use (smt needs bitwuzla, mcmc compiles)
RUNNERS = {"gradient": ("gradient", "fit_gradient"), "evolve": ("evolve", "fit_evolve"),
           "enumerate": ("enumerate", "fit_enumerate"), "mcmc": ("mcmc", "fit_mcmc"),
           "smt": ("smt.method", "fit_smt")}


def run_method(spec: FitSpec, opts: FitOptions, *, loss: Loss | None = None,
               report: Report | None = None, stop_any=None) -> FitResult:
    """One search method (not `auto`) on one spec, in this process."""
    sketch = Sketch(spec)
    tracker = Tracker(spec, sketch, Checker(sketch, spec, device=opts.device), opts, report)
    tracker.stop_any = stop_any
    module, name = RUNNERS[opts.method]
    runner = getattr(importlib.import_module(f"ncpu_cli.fit.{module}"), name)
    if opts.method == "gradient":
        runner(tracker, loss)
    else:
        runner(tracker)
    if opts.prove and tracker.solution is not None:
        _prove(tracker)
    return result_of(tracker)


def _prove(tracker: Tracker) -> None:
    """`--prove`: the answer equals the reference for every input value, or a note why not."""
    from ncpu_cli.fit.smt.prove import prove_equivalent

    spec = tracker.spec
    if getattr(spec, "reference", None) is None:
        tracker.notes.append("--prove: the spec has no reference to prove the answer equal to")
        return
    left = max(1.0, tracker.options.time_limit - tracker.elapsed)
    proof = prove_equivalent(spec, tracker.sketch, tracker.solution, time_limit=left)
    tracker.proved = proof.proved
    if proof.proved is not True:
        tracker.notes.append(f"--prove: {proof.reason}")


def result_of(tracker: Tracker) -> FitResult:
    spec, sketch, opts = tracker.spec, tracker.sketch, tracker.options
    solved = tracker.solution is not None
    best = tracker.solution if solved else tracker.best
    if best is None:  # stopped before any check: show every hole's first candidate
        best = np.zeros(len(sketch.holes), dtype=np.int64)
    fields = result_fields(tracker)  # examples incl. counterexamples, verified, proofs, notes
    examples = tracker.examples
    held = tracker.best_holdout if fields["examples_passed"] == len(examples) else 0
    if solved:  # the one rule: a solution passes everything on the exact machine
        held = int(tracker.holdout_counts(best[None, :])[0])
        ok = int(tracker.checker.score(best[None, :], examples).count[0])
        if ok != len(examples) or held != len(spec.holdout):
            raise AssertionError("a solution failed its exact re-check: this is a bug")
    return FitResult(
        solved=solved, method=opts.method, program=sketch.render(best),
        holes=sketch.describe(best), holdout_passed=held, holdout_total=len(spec.holdout),
        steps=tracker.steps, restarts=opts.restarts, seconds=tracker.elapsed, seed=opts.seed,
        candidates=tracker.candidates, space=sketch.space, values=sketch.values(best),
        **fields)
