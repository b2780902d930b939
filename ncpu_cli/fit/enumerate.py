"""`--method enumerate`: every filling, in batches, on the exact machine.

Fillings are numbered 0..space-1 in mixed radix (the last hole fastest) and
checked BATCH at a time; a space larger than ``--max-candidates`` is refused up
front with its size (``SpaceTooLarge``).
"""

from __future__ import annotations

import numpy as np

from ncpu_cli.errors import FitError
from ncpu_cli.fit.search import Tracker
from ncpu_cli.fit.sketch import Sketch

BATCH = 8192  # fillings per exact batch


class SpaceTooLarge(FitError):
    """The sketch has more fillings than enumerate may check."""

    def __init__(self, space: int, limit: int):
        self.space, self.limit = space, limit
        super().__init__(f"the sketch has {space:,} fillings ({space:.2e}), more than "
                         f"--max-candidates {limit:,}: enumerate refuses it "
                         "(use --method gradient or evolve, or narrow the hole ranges)")


def fillings_at(sketch: Sketch, start: int, stop: int) -> np.ndarray:
    """(stop - start, H) fillings number start..stop-1."""
    k = np.arange(start, stop, dtype=np.int64)
    out = np.zeros((len(k), len(sketch.holes)), dtype=np.int64)
    for h in reversed(sketch.holes):
        out[:, h.index] = k % h.size
        k //= h.size
    return out


def fit_enumerate(tracker: Tracker) -> None:
    sketch, opts = tracker.sketch, tracker.options
    space = sketch.space
    if space > opts.max_candidates:
        raise SpaceTooLarge(space, opts.max_candidates)
    start = 0
    while tracker.keep_going(exhausted=start >= space):
        tracker.offer(fillings_at(sketch, start, min(space, start + BATCH)))
        start += BATCH
