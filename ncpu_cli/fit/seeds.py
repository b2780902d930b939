"""Several seeds of one fit (`ncpu fit SPEC --seeds N`) and the summary of repeated runs.

A summary gives the success rate and, over the runs that solved, the seconds, evaluations
and steps to the first verified answer (minimum, quartiles, median, maximum); the
seconds over every run are given too (an unsolved run ends at its budget). The suite's
comparison (`--suite --seeds N`) summarises each task and configuration the same way.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ncpu_cli.fit.search import FitResult


def spread(values: Sequence[float]) -> dict | None:
    """min, q1, median, q3 and max of `values` (linear interpolation; None when empty)."""
    if not len(values):
        return None
    lo, q1, med, q3, hi = np.percentile(np.asarray(values, dtype=np.float64),
                                        [0, 25, 50, 75, 100])
    return {"min": _num(lo), "q1": _num(q1), "median": _num(med), "q3": _num(q3),
            "max": _num(hi)}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def summarise(runs: Sequence) -> dict:
    """The summary of `runs` (FitResults or suite rows: `solved`, `seconds`, `steps`,
    `evaluations`)."""
    done = [r for r in runs if r.solved]
    return {
        "runs": len(runs),
        "solved": len(done),
        "success_rate": round(len(done) / len(runs), 4) if runs else 0.0,
        "to_solution": {  # over the runs that solved
            "seconds": spread([r.seconds for r in done]),
            "evaluations": spread([r.evaluations for r in done]),
            "steps": spread([r.steps for r in done]),
        },
        "seconds_all_runs": spread([r.seconds for r in runs]),
    }


def fit_seeds(spec, method: str, seeds: int, *, seed: int = 0,
              on_result: Callable[[FitResult], None] | None = None,
              **options) -> list[FitResult]:
    """`seeds` fits of `spec` with seeds seed, seed + 1, ..., each with the same options."""
    from ncpu_cli.fit.api import fit
    from ncpu_cli.fit.spec import FitSpec, load_spec

    if not isinstance(spec, FitSpec):
        spec = load_spec(spec)
    out = []
    for s in range(seed, seed + seeds):
        res = fit(spec, method, seed=s, **options)
        out.append(res)
        if on_result is not None:
            on_result(res)
    return out
