"""The options of a fit (no torch here: the command line reads them before any engine)."""

from __future__ import annotations

from dataclasses import dataclass

METHODS = ("auto", "smt", "mcmc", "evolve", "enumerate", "gradient")
SEARCHES = METHODS[1:]  # the methods that search themselves (`auto` runs some of them)
DEFAULT_RESTARTS = 256
DEFAULT_TIME_LIMIT = 300.0
DEFAULT_MAX_CANDIDATES = 10**8
PROPOSALS = ("uniform", "gradient")  # mcmc / evolve: how moves and mutations are drawn


@dataclass(frozen=True)
class FitOptions:
    method: str = "auto"
    restarts: int = DEFAULT_RESTARTS  # gradient: restarts; evolve: population
    steps: int | None = None  # gradient/evolve: step limit (default: the method's own)
    time_limit: float = DEFAULT_TIME_LIMIT  # wall seconds
    seed: int = 0
    device: str = "cpu"
    estimator: str = "hybrid"  # gradient: hybrid | straight | relaxed
    lr: float = 0.3  # gradient: Adam step on logits
    addressing: str = "hard"  # gradient: the soft machine's normaliser
    temperature: float = 0.1  # gradient: its temperature (softmax / sparsemax)
    dtype: str = "float64"
    gumbel: bool = True  # gradient, relaxed: Gumbel noise on the logits
    max_candidates: int = DEFAULT_MAX_CANDIDATES  # enumerate: the largest space it takes
    categorical_max: int = 16  # gradient: numeric holes with more candidates are real values
    verify: int | None = None  # fresh inputs checked before "solved" (None: 10,000 with a
    #                            reference or `inputs`, else none)
    prove: bool = False  # also prove the answer equivalent to the reference (SMT)
    workers: int = 0  # auto: worker processes (0: one per core, at most one per method)
    proposals: str = "uniform"  # mcmc / evolve: uniform moves, or gradient-informed ones
    #                             (fit/proposals.py: Gibbs-with-Gradients tables)
