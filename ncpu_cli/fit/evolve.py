"""`--method evolve`: a batched evolutionary search on the exact machine.

A population of fillings (``--restarts`` of them) is scored in one exact batch
(population × examples); the best quarter (most examples passed, then the
smallest distance) survives, and the rest of the next generation are its
children: a uniform crossover of two survivors, then mutations -- each hole
with probability max(1/H, 0.1) (at least one), to a random candidate or, for a
numeric hole, half the time a nearby one (a step of geometric size).
"""

from __future__ import annotations

import numpy as np

from ncpu_cli.fit.search import Tracker
from ncpu_cli.fit.sketch import Sketch

ELITE = 0.25  # share of the population that survives a generation


def random_fillings(sketch: Sketch, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, H) fillings drawn uniformly."""
    return np.stack([rng.integers(0, h.size, count) for h in sketch.holes], axis=1)


def mutate(sketch: Sketch, kids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mutate `kids` (C, H) in place and return them."""
    count, n_holes = kids.shape
    rate = max(1.0 / n_holes, 0.1)
    hit = rng.random((count, n_holes)) < rate
    hit[np.arange(count), rng.integers(0, n_holes, count)] = True  # at least one hole
    for h in sketch.holes:
        rows = np.flatnonzero(hit[:, h.index])
        if not len(rows):
            continue
        fresh = rng.integers(0, h.size, len(rows))
        if h.numeric and h.size > 2:
            step = rng.geometric(0.3, len(rows)) * rng.choice([-1, 1], len(rows))
            near = np.clip(kids[rows, h.index] + step, 0, h.size - 1)
            fresh = np.where(rng.random(len(rows)) < 0.5, near, fresh)
        kids[rows, h.index] = fresh
    return kids


def fit_evolve(tracker: Tracker) -> None:
    opts, sketch = tracker.options, tracker.sketch
    rng = np.random.default_rng(opts.seed)
    size = max(2, opts.restarts)
    pop = random_fillings(sketch, size, rng)
    while tracker.keep_going():
        _, sc = tracker.offer(pop)
        order = np.lexsort((sc.distance, -sc.count))
        elite = pop[order[: max(1, int(size * ELITE))]]
        n_kids = size - len(elite)
        a = elite[rng.integers(0, len(elite), n_kids)]
        b = elite[rng.integers(0, len(elite), n_kids)]
        kids = np.where(rng.random(a.shape) < 0.5, a, b)
        pop = np.concatenate([elite, mutate(sketch, kids, rng)])
