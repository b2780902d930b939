"""`--method enumerate`: every distinct program, walked by a compiled kernel.

The sketch is cut into *units* (``enumerate_units``): the holes of one word, or one
instruction hole with its sub-holes (whose distinct instructions are listed once each: a
sub-hole the chosen mnemonic ignores is not varied). The walk (``enumerate_walk``,
``enumerate_kernel``) goes depth first over the units' rows and evaluates each program on
the examples with mcmc's exact evaluator, stopping at the first example it fails; only the
fillings that pass every example, and each step's best, go to the tracker for the exact
check (examples, holdout, verification). Two prunings keep it sound (``enumerate_plan``):
prefixes of straight-line code that leave the same registers on every example and holdout
example are extended once, and registers nothing names are renamed into first-use order.

A space larger than ``--max-candidates`` is refused up front with its size
(``SpaceTooLarge``). A walk that goes all the way round without a solution proves that no
filling of the sketch meets the spec (``proved_unsolvable``). `tracker.visited` is the
number of fillings the last pass evaluated (the pruned space, once it is done); the notes
say which prunings applied and how much of the space the walk covered.
"""

from __future__ import annotations

import itertools

import numpy as np

from ncpu_cli.errors import FitError
from ncpu_cli.fit.instruction import ROLES
from ncpu_cli.fit.search import Tracker
from ncpu_cli.fit.sketch import Sketch

STEP_WORK = 1 << 23  # instructions run per step (over all lanes; a count, not a clock)
PRUNE = True  # the prunings (tests switch them off to compare)


class SpaceTooLarge(FitError):
    """The sketch has more fillings than enumerate may check."""

    def __init__(self, space: int, limit: int):
        self.space, self.limit = space, limit
        super().__init__(f"the sketch has {space:,} fillings ({space:.2e}), more than "
                         f"--max-candidates {limit:,}: enumerate refuses it "
                         "(use --method auto, mcmc, smt or evolve, or narrow the hole ranges)")


def units(sketch: Sketch) -> list[tuple[list[int], np.ndarray]]:
    """Each unit's hole indices and its distinct sub-fillings (D, len(indices)), in the
    numbering of ``fillings_at`` (plain holes one by one, then the instruction holes)."""
    out = []
    for h in sketch.holes:
        if h.group is None:
            out.append(([h.index], np.arange(h.size, dtype=np.int64)[:, None]))
    for g in sketch.groups:
        roles = list(g.role_holes)
        cols = [g.op_hole] + [g.role_holes[r] for r in roles]
        rows = []
        for k in range(len(g.choices)):
            ranges = [range(sketch.holes[g.role_holes[r]].size) if g.uses[k, ROLES.index(r)]
                      else range(1) for r in roles]
            rows += [(k, *combo) for combo in itertools.product(*ranges)]
        out.append((cols, np.asarray(rows, dtype=np.int64).reshape(len(rows), len(cols))))
    return out


def fillings_at(sketch: Sketch, start: int, stop: int, parts=None) -> np.ndarray:
    """(stop - start, H) the programs numbered start..stop-1 (`parts`: units(sketch)), in
    mixed radix over the units, the last fastest (every distinct program once)."""
    k = np.arange(start, stop, dtype=np.int64)
    out = np.zeros((len(k), len(sketch.holes)), dtype=np.int64)  # (P, H)
    for cols, table in reversed(parts if parts is not None else units(sketch)):
        out[:, cols] = table[k % len(table)]
        k //= len(table)
    return out


def fit_enumerate(tracker: Tracker) -> None:
    from ncpu_cli.fit.enumerate_walk import Walk  # compiles (or loads) on first use

    sketch, opts = tracker.sketch, tracker.options
    space = sketch.space
    if space > opts.max_candidates:
        raise SpaceTooLarge(space, opts.max_candidates)
    seen = tuple(tracker.examples)
    walk = Walk(sketch, tracker.spec, seen, prune=PRUNE)
    tracker.notes.extend(walk.plan.notes)
    last_best = None
    while tracker.keep_going(exhausted=walk.done):
        found, leaves = walk.step(STEP_WORK)
        best = walk.best if walk.best is not None else last_best
        rows = found if best is None else np.concatenate([found, best[None, :]])
        rows = np.unique(rows, axis=0)
        # the tracker counts what it scores; the kernel's other evaluations are added here
        fresh = len(rows) if walk.best is not None else len(found)
        tracker.evaluations += max(0, leaves - fresh)
        if len(rows):
            tracker.offer(rows)
        else:  # nothing evaluated yet (cannot happen after a step): still one step
            tracker.steps += 1
        last_best = best
        if tracker.solution is None and tuple(tracker.examples) != seen:  # a counterexample
            seen = tuple(tracker.examples)
            walk.update(seen)
    if walk.done and tracker.solution is None:
        # one whole pass with the final examples and none passed them, the holdout and
        # verification: no filling meets the spec (examples only grow)
        tracker.proved_unsolvable = True
    tracker.notes.append(walk.summary())
    tracker.visited = walk.visited
