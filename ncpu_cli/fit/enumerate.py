"""`--method enumerate`: every distinct program, in batches, on the exact machine.

The sketch is cut into *units*: a plain hole, or an instruction hole with its
sub-holes (whose distinct instructions are listed once each: a sub-hole the
chosen mnemonic ignores is not varied).  Programs are numbered 0..space-1 in
mixed radix over the units (the last unit fastest) and checked BATCH at a time;
a space larger than ``--max-candidates`` is refused up front with its size
(``SpaceTooLarge``).  Checking every program without a solution proves that no
filling of the sketch passes the examples (``proved_unsolvable``).
"""

from __future__ import annotations

import itertools

import numpy as np

from ncpu_cli.errors import FitError
from ncpu_cli.fit.instruction import ROLES
from ncpu_cli.fit.search import Tracker
from ncpu_cli.fit.sketch import Sketch

BATCH = 8192  # fillings per exact batch


class SpaceTooLarge(FitError):
    """The sketch has more fillings than enumerate may check."""

    def __init__(self, space: int, limit: int):
        self.space, self.limit = space, limit
        super().__init__(f"the sketch has {space:,} fillings ({space:.2e}), more than "
                         f"--max-candidates {limit:,}: enumerate refuses it "
                         "(use --method auto, mcmc, smt or evolve, or narrow the hole ranges)")


def units(sketch: Sketch) -> list[tuple[list[int], np.ndarray]]:
    """Each unit's hole indices and its distinct sub-fillings (D, len(indices))."""
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
    """(stop - start, H) the programs numbered start..stop-1 (`parts`: units(sketch))."""
    k = np.arange(start, stop, dtype=np.int64)
    out = np.zeros((len(k), len(sketch.holes)), dtype=np.int64)  # (P, H)
    for cols, table in reversed(parts if parts is not None else units(sketch)):
        out[:, cols] = table[k % len(table)]
        k //= len(table)
    return out


def fit_enumerate(tracker: Tracker) -> None:
    sketch, opts = tracker.sketch, tracker.options
    space = sketch.space
    if space > opts.max_candidates:
        raise SpaceTooLarge(space, opts.max_candidates)
    parts = units(sketch)
    start = 0
    while tracker.keep_going(exhausted=start >= space):
        stop = min(space, start + BATCH)
        tracker.offer(fillings_at(sketch, start, stop, parts))
        start = stop
    if start >= space and tracker.solution is None:
        # every program was checked and none passed the examples, holdout and verification
        # (examples only grow, so one that failed earlier fails now): none meets the spec
        tracker.proved_unsolvable = True
