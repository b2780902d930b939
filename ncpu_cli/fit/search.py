"""What every fit method shares: the problem, its options, the exact-check tracker
and the result.

Every method proposes batches of fillings to a ``Tracker``; the tracker scores them
on the exact machine over the examples, checks every filling that passes them all
on the holdout, remembers the best one so far (most examples passed, then the
smallest distance) and reports the first that passes everything.  So nothing a
method believes counts until the exact machine agrees.

Two counts measure the work: ``candidates``, the distinct fillings (distinct programs:
fillings made canonical first) the tracker checked, and ``evaluations``, every filling
evaluated on the exact semantics -- the rows of each batch the tracker scores (repeats
across batches included) plus what a method evaluates in its own compiled kernel (mcmc's
proposals), which the method adds to ``tracker.evaluations`` itself. ``stopped`` says
why the search ended (``STOPS``).

When the spec states the intended function (a reference, or inputs), "everything"
includes verification (CEGIS): a filling that passes every example and holdout is run
against the reference on `verify` fresh inputs; a counterexample joins
``tracker.examples`` (methods re-read it), the filling is rejected and the search goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ncpu_cli.fit.check import Checker, Scores
from ncpu_cli.fit.distinct import DistinctRows
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import Example, FitSpec
from ncpu_cli.fit.verify import Verifier, verify_count
from ncpu_cli.isa import to_signed

MAX_NOTES = 20  # counterexample notes kept (the count goes on)
# why a search ended: a verified answer; a proof that none exists; --steps spent; the
# --time-limit reached (the one stop that depends on the machine's speed); the method
# ended by itself (smt undecided, another rank stopped: the notes say why)
STOPS = ("solved", "unsolvable", "steps", "time", "ended")


@dataclass
class Progress:
    """What a method reports after each step (for a progress display)."""

    step: int
    loss: float | None  # gradient: mean loss over restarts
    best_passed: int  # examples passed by the best filling so far
    examples: int
    exact_matches: int  # fillings this step that passed every example
    candidates: int  # distinct fillings checked so far


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
        self._distinct = DistinctRows()
        self.evaluations = 0  # fillings evaluated exactly (tracker batches + method kernels)
        self._proposals = 0
        self.steps = 0
        self.stopped: str | None = None  # set when keep_going says stop (STOPS)
        self._seen_holdout: set[bytes] = set()
        self.stop_any: Callable[[bool], bool] | None = None  # torchrun: any rank stops
        self.examples: list[Example] = list(spec.examples)  # grows by counterexamples
        self.counterexamples = 0
        self.verified = 0  # fresh inputs the solution passed
        self.proved: bool | None = None  # a method that proves equivalence sets it
        self.proved_unsolvable = False  # a method that proves no filling works sets it
        self.method_times: dict | None = None
        self.notes: list[str] = []
        self.proposal_info: dict | None = None  # --proposals gradient (proposals.GradLog)
        self.visited: int | None = None  # enumerate: fillings its last pass evaluated
        self.verify = verify_count(spec, options)
        self.verifier: Verifier | None = None
        if self.verify > 0 and (spec.reference is not None or spec.inputs is not None):
            self.verifier = Verifier(spec, sketch, checker, seed=options.seed)
        elif self.verify > 0:
            self.verify = 0
            self.notes.append("verify: not done: the spec has neither a reference nor inputs")

    @property
    def candidates(self) -> int:
        """Distinct fillings checked on the exact machine (see ``DistinctRows``)."""
        return self._distinct.count

    @property
    def proposals(self) -> int:
        """mcmc's proposals (an older name: assigning it adds the increase to
        ``evaluations``)."""
        return self._proposals

    @proposals.setter
    def proposals(self, value: int) -> None:
        self.evaluations += int(value) - self._proposals
        self._proposals = int(value)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def out_of_time(self) -> bool:
        return self.elapsed >= self.options.time_limit

    def keep_going(self, exhausted: bool = False) -> bool:
        """Whether a method takes another step: no solution yet, time and --steps left, and
        (`exhausted`) the method has more to try. Under torchrun every rank decides
        together (`stop_any`), so the first rank that solves stops them all."""
        steps = self.options.steps
        reason = ("solved" if self.solution is not None else "ended" if exhausted
                  else "steps" if steps is not None and self.steps >= steps
                  else "time" if self.out_of_time() else None)
        stop = reason is not None
        if self.stop_any is not None:
            stop = self.stop_any(stop)
        if stop:
            self.stopped = reason or "ended"
        return not stop

    def offer(self, proposed: np.ndarray, loss: float | None = None
              ) -> tuple[np.ndarray | None, Scores]:
        """Check `proposed` (P, H): the first filling that passes every example, holdout and
        verification (or None), and the scores of `proposed` on the examples (in its order;
        `tracker.examples` as they were before this call)."""
        fillings, inverse = np.unique(np.atleast_2d(proposed), axis=0, return_inverse=True)
        self.steps += 1
        examples = list(self.examples)  # (E,) this call's examples
        sc = self.checker.score(fillings, examples)
        self.evaluations += len(fillings)
        self._distinct.add(getattr(self.sketch, "canonical", _same)(fillings))
        if not self._distinct.exact and not any(n.startswith("candidates:") for n in self.notes):
            self.notes.append(f"candidates: more than {self._distinct.limit:,} distinct "
                              "fillings; past that a repeat may count again (an upper bound)")
        count = sc.count
        order = np.lexsort((sc.distance, -count))  # most passed, then nearest
        top = order[0]
        key = (int(count[top]), -float(sc.distance[top]))
        if key > self.best_key:
            self.best_key, self.best = key, fillings[top].copy()
            self.best_holdout = 0
        full = np.flatnonzero(count == len(examples))
        fresh = [i for i in full if fillings[i].tobytes() not in self._seen_holdout]
        self._seen_holdout.update(fillings[i].tobytes() for i in fresh)
        found = None
        if fresh:
            held = self.holdout_counts(fillings[fresh])  # (F,)
            j = int(np.argmax(held))
            if key[0] == len(examples) and held[j] > self.best_holdout:
                self.best, self.best_holdout = fillings[fresh[j]].copy(), int(held[j])
                self.best_key = (key[0], -float(sc.distance[fresh[j]]))
            passing = [fresh[i] for i in np.flatnonzero(held == len(self.spec.holdout))]
            found = self._first_verified(fillings[passing])
            if found is not None:
                self.solution = found.copy()
        if self.report is not None:
            self.report(Progress(self.steps, loss, self.best_key[0], len(self.examples),
                                 len(full), self.candidates))
        inverse = inverse.reshape(-1)
        return found, Scores(sc.passed[inverse], sc.distance[inverse])

    def _first_verified(self, fillings: np.ndarray) -> np.ndarray | None:
        """The first of `fillings` (F, H) (each passing every example and holdout) that
        passes verification; each one rejected adds its counterexample, and the rest must
        pass it before they are verified."""
        while len(fillings):
            first = fillings[0]
            if self.verifier is None:
                return first
            passed, cex = self.verifier.check(first, self.verify)
            if cex is None:
                self.verified = passed
                return first
            self._add_counterexample(cex)
            rest = fillings[1:]
            if len(rest):
                rest = rest[self.checker.score(rest, [cex]).passed[:, 0]]
            fillings = rest
        return None

    def _add_counterexample(self, cex: Example) -> None:
        self.examples.append(cex)
        self.counterexamples += 1
        if len(self.notes) < MAX_NOTES:
            inp = cex.inp
            parts = [f"r{r} = {to_signed(v)}" for r, v in sorted(inp.set.items())]
            parts += [f"input {[to_signed(v) for v in inp.input]}"] if inp.input else []
            parts += [f"mem[{a}] = {to_signed(v)}" for a, v in sorted(inp.mem.items())]
            self.notes.append(f"verify: counterexample {self.counterexamples}: "
                              f"{', '.join(parts) or 'the reset state'}")
        if self.best is not None:  # the best so far, scored on the grown examples
            sc = self.checker.score(self.best[None, :], self.examples)
            self.best_key = (int(sc.count[0]), -float(sc.distance[0]))
            self.best_holdout = 0

    def holdout_counts(self, fillings: np.ndarray) -> np.ndarray:
        """(F,) holdout examples passed by each of `fillings` (F, H)."""
        if not self.spec.holdout:
            return np.zeros(len(fillings), dtype=np.int64)
        return self.checker.score(fillings, self.spec.holdout).count


def _same(fillings: np.ndarray) -> np.ndarray:
    return fillings


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
    candidates: int = 0  # distinct fillings checked on the exact machine
    space: int = 0  # number of distinct fillings (programs) of the sketch
    values: list = field(default_factory=list)  # the best filling, one value per hole
    verified: int = 0  # fresh inputs the solution passed against the reference
    counterexamples: int = 0  # inputs verification found wrong (they joined the examples)
    proved: bool | None = None  # equivalent to the reference on every input (None: not tried)
    proved_unsolvable: bool = False  # no filling of the sketch meets the spec
    method_times: dict | None = None  # portfolio: seconds per method
    notes: list = field(default_factory=list)  # what a user should know (strings)
    evaluations: int = 0  # fillings evaluated exactly, repeats and method kernels included
    stopped: str | None = None  # why the search ended (search.STOPS)
    proposals: dict | None = None  # --proposals gradient: tables, their cost, uniform holes
    visited: int | None = None  # enumerate: fillings its last pass evaluated (pruned space)

    def to_json(self) -> dict:
        keys = ("solved", "method", "program", "holes", "examples_passed", "examples_total",
                "holdout_passed", "holdout_total", "steps", "restarts", "seconds", "seed",
                "candidates", "evaluations", "space", "stopped", "verified",
                "counterexamples", "proved", "proved_unsolvable", "method_times", "notes",
                "proposals", "visited")
        out = {k: getattr(self, k) for k in keys}
        out["seconds"] = round(self.seconds, 3)
        out["space"] = space_text(self.space)
        return out


def space_text(space: int) -> str:
    """`space` in JSON: always a decimal string (exact at any size; a float would round
    past 2^53 and overflow past 10^308)."""
    return str(int(space))


def combine(results: list[FitResult]) -> FitResult:
    """The result of several ranks' fits of one spec: the lowest rank's solution, else the
    best candidate (most examples, then holdout examples passed); counts add up."""
    solved = [r for r in results if r.solved]
    best = solved[0] if solved else max(
        results, key=lambda r: (r.examples_passed, r.holdout_passed))
    out = FitResult(**{k: getattr(best, k) for k in best.__dataclass_fields__})
    out.restarts = sum(r.restarts for r in results)
    out.candidates = sum(r.candidates for r in results)  # each rank's distinct fillings
    out.evaluations = sum(r.evaluations for r in results)
    out.steps = max(r.steps for r in results)
    out.seconds = max(r.seconds for r in results)
    out.seed = results[0].seed
    out.counterexamples = sum(r.counterexamples for r in results)
    out.proved_unsolvable = any(r.proved_unsolvable for r in results) and not solved
    out.notes = [n for r in results for n in r.notes]
    return out


def result_fields(tracker: Tracker) -> dict:
    """The FitResult fields a tracker decides beyond the solution itself: the examples
    (with counterexamples) passed and in all, verification, proofs and notes."""
    solved = tracker.solution is not None
    total = len(tracker.examples)
    stopped = ("solved" if solved else "unsolvable" if tracker.proved_unsolvable
               else tracker.stopped or "ended")
    return {
        "stopped": stopped,
        "evaluations": tracker.evaluations,
        "examples_passed": total if solved else max(0, tracker.best_key[0]),
        "examples_total": total,
        "verified": tracker.verified if solved else 0,
        "counterexamples": tracker.counterexamples,
        "proved": tracker.proved,
        "proved_unsolvable": bool(tracker.proved_unsolvable) and not solved,
        "method_times": tracker.method_times,
        "notes": list(tracker.notes),
        "proposals": getattr(tracker, "proposal_info", None),
        "visited": getattr(tracker, "visited", None),
    }

