"""What every fit method shares: the problem, its options, the exact-check tracker
and the result.

Every method proposes batches of fillings to a ``Tracker``; the tracker scores them
on the exact machine over the examples, checks every filling that passes them all
on the holdout, remembers the best one so far (most examples passed, then the
smallest distance) and reports the first that passes everything.  So nothing a
method believes counts until the exact machine agrees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ncpu_cli.fit.check import Checker, Scores
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import FitSpec


@dataclass
class Progress:
    """What a method reports after each step (for a progress display)."""

    step: int
    loss: float | None  # gradient: mean loss over restarts
    best_passed: int  # examples passed by the best filling so far
    examples: int
    exact_matches: int  # fillings this step that passed every example
    candidates: int  # fillings checked so far


Report = Callable[[Progress], None]


class Tracker:
    """Scores proposed fillings exactly and keeps the best and the first solution."""

    def __init__(self, spec: FitSpec, sketch: Sketch, checker: Checker, options: FitOptions,
                 report: Report | None = None):
        self.spec, self.sketch, self.checker, self.options = spec, sketch, checker, options
        self.report = report
        self.start = time.perf_counter()
        self.best: np.ndarray | None = None
        self.best_key = (-1, -np.inf)  # (examples passed, -distance)
        self.best_holdout = 0
        self.solution: np.ndarray | None = None
        self.candidates = 0
        self.steps = 0
        self._seen_holdout: set[bytes] = set()
        self.stop_any: Callable[[bool], bool] | None = None  # torchrun: any rank stops

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def out_of_time(self) -> bool:
        return self.elapsed >= self.options.time_limit

    def keep_going(self, exhausted: bool = False) -> bool:
        """Whether a method takes another step: no solution yet, time and --steps left, and
        (`exhausted`) the method has more to try. Under torchrun every rank decides
        together (`stop_any`), so the first rank that solves stops them all."""
        stop = (self.solution is not None or exhausted or self.out_of_time()
                or (self.options.steps is not None and self.steps >= self.options.steps))
        return not (self.stop_any(stop) if self.stop_any is not None else stop)

    def offer(self, proposed: np.ndarray, loss: float | None = None
              ) -> tuple[np.ndarray | None, Scores]:
        """Check `proposed` (P, H): the first filling that passes every example and holdout
        (or None), and the scores of `proposed` on the examples (in its order)."""
        fillings, inverse = np.unique(np.atleast_2d(proposed), axis=0, return_inverse=True)
        self.steps += 1
        sc = self.checker.score(fillings, self.spec.examples)
        self.candidates += len(fillings)
        count = sc.count
        order = np.lexsort((sc.distance, -count))  # most passed, then nearest
        top = order[0]
        key = (int(count[top]), -float(sc.distance[top]))
        if key > self.best_key:
            self.best_key, self.best = key, fillings[top].copy()
            self.best_holdout = 0
        full = np.flatnonzero(count == len(self.spec.examples))
        fresh = [i for i in full if fillings[i].tobytes() not in self._seen_holdout]
        self._seen_holdout.update(fillings[i].tobytes() for i in fresh)
        found = None
        if fresh:
            held = self.holdout_counts(fillings[fresh])  # (F,)
            j = int(np.argmax(held))
            if key[0] == len(self.spec.examples) and held[j] > self.best_holdout:
                self.best, self.best_holdout = fillings[fresh[j]].copy(), int(held[j])
                self.best_key = (key[0], -float(sc.distance[fresh[j]]))
            if held[j] == len(self.spec.holdout):
                found = self.solution = fillings[fresh[j]].copy()
        if self.report is not None:
            self.report(Progress(self.steps, loss, self.best_key[0], len(self.spec.examples),
                                 len(full), self.candidates))
        inverse = inverse.reshape(-1)
        return found, Scores(sc.passed[inverse], sc.distance[inverse])

    def holdout_counts(self, fillings: np.ndarray) -> np.ndarray:
        """(F,) holdout examples passed by each of `fillings` (F, H)."""
        if not self.spec.holdout:
            return np.zeros(len(fillings), dtype=np.int64)
        return self.checker.score(fillings, self.spec.holdout).count


@dataclass
class FitResult:
    """The outcome of one fit (the fields of ``ncpu fit --json``)."""

    solved: bool
    method: str
    program: str  # the sketch's text with the best filling
    holes: list[dict]  # line, col, kind, value
    examples_passed: int
    examples_total: int
    holdout_passed: int
    holdout_total: int
    steps: int
    restarts: int
    seconds: float
    seed: int
    candidates: int = 0  # fillings checked on the exact machine
    space: int = 0  # number of fillings of the sketch
    values: list = field(default_factory=list)  # the best filling, one value per hole

    def to_json(self) -> dict:
        keys = ("solved", "method", "program", "holes", "examples_passed", "examples_total",
                "holdout_passed", "holdout_total", "steps", "restarts", "seconds", "seed",
                "candidates", "space")
        out = {k: getattr(self, k) for k in keys}
        out["seconds"] = round(self.seconds, 3)
        out["space"] = str(self.space) if self.space >= 2**53 else self.space
        return out


def combine(results: list[FitResult]) -> FitResult:
    """The result of several ranks' fits of one spec: the lowest rank's solution, else the
    best candidate (most examples, then holdout examples passed); counts add up."""
    solved = [r for r in results if r.solved]
    best = solved[0] if solved else max(
        results, key=lambda r: (r.examples_passed, r.holdout_passed))
    out = FitResult(**{k: getattr(best, k) for k in best.__dataclass_fields__})
    out.restarts = sum(r.restarts for r in results)
    out.candidates = sum(r.candidates for r in results)
    out.steps = max(r.steps for r in results)
    out.seconds = max(r.seconds for r in results)
    out.seed = results[0].seed
    return out

