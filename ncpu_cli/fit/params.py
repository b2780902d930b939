"""Hole parameters and the gradient estimators that turn them into machine inputs.

Each hole of every restart is either a categorical (logits over its K
candidates; registers, mnemonics, and numeric holes with K <= CATEGORICAL_MAX)
or a real value (numeric holes with wider ranges, rounded at the end).

Estimators (``draw``):

- ``relaxed``: the forward pass runs the softmax mixture ``softmax((θ + g)/τ)``
  (g Gumbel noise when ``gumbel``), τ annealed from soft to sharp; a real hole
  is its value.  Gradients are pathwise only.
- ``straight``: straight-through -- the forward pass runs one hard filling per
  restart (a Gumbel-max sample of the categoricals, real holes rounded after
  Gaussian noise), the backward pass uses the softmax (and the identity for
  reals).
- ``hybrid``: ``straight`` where the pathwise gradient reaches a hole, and a
  score-function (REINFORCE) gradient, with the mean over restarts as baseline,
  for every hole it does not reach.  The soft ALU's threshold functions (shifts,
  compares, bitwise ops) and hard pointers (branch and store targets, load
  offsets) pass no pathwise gradient; the score function needs none, so every
  hole learns.  A real hole the score function drives is sampled with Gaussian
  noise; one the pathwise gradient reaches runs rounded (no noise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ncpu_cli.fit.control import HoleValues
from ncpu_cli.fit.sketch import Hole, Sketch

CATEGORICAL_MAX = 16  # numeric holes with more candidates are real values (docs/fit.md:
# a 16-entry table of 0..255 bytes fits as reals, not as 256-way categoricals)
ESTIMATORS = ("hybrid", "straight", "relaxed")


@dataclass
class Draw:
    """One forward pass's hole settings and what the estimators need of them."""

    hv: HoleValues  # what the machine runs (carries the pathwise gradient)
    picked: np.ndarray  # (R, H) the hard filling of each restart (the sample, or argmax)
    logp: dict[int, Tensor] | None  # hole -> (R,) log-probability of its pick (hybrid)


class HoleParams:
    """Parameters of R restarts: logits (R, K) or a real value (R,) per hole."""

    def __init__(self, sketch: Sketch, restarts: int, gen: torch.Generator, *,
                 device: torch.device, dtype: torch.dtype,
                 categorical_max: int = CATEGORICAL_MAX):
        self.sketch, self.restarts, self.gen = sketch, restarts, gen
        self.categorical_max = categorical_max
        self.device, self.dtype = device, dtype
        self.logits: dict[int, Tensor] = {}
        self.reals: dict[int, Tensor] = {}
        kw = {"device": device, "dtype": dtype}
        for h in sketch.holes:
            target = self.logits if self.categorical(h) else self.reals
            target[h.index] = self._fresh(h, restarts).to(**kw).requires_grad_()
        self._optims: list[torch.optim.Optimizer] = []
        self._values = {i: torch.arange(h.size, **kw) + h.lo for i, h in
                        enumerate(sketch.holes) if self.categorical(h) and h.numeric}

    def _fresh(self, h: Hole, count: int) -> Tensor:
        """Initial parameters of `count` restarts: logits N(0, 1/4), or a value uniform
        over the range."""
        if self.categorical(h):
            return torch.randn(count, h.size, generator=self.gen, dtype=self.dtype) * 0.5
        u = torch.rand(count, generator=self.gen, dtype=self.dtype)
        return h.lo + u * (h.size - 1)

    def reinit(self, rows: np.ndarray) -> None:
        """Start restarts `rows` afresh: new parameters, optimiser state cleared."""
        if not len(rows):
            return
        idx = torch.as_tensor(rows, device=self.device)
        with torch.no_grad():
            for h in self.sketch.holes:
                self.tensor(h.index)[idx] = self._fresh(h, len(rows)).to(self.device)
        for optim in self._optims:
            for state in optim.state.values():
                for key, value in state.items():
                    if torch.is_tensor(value) and value.dim() and value.shape[0] == self.restarts:
                        if key == "step_size":  # Rprop: back to its initial step
                            value[idx] = optim.param_groups[0]["lr"]
                        else:
                            value[idx] = 0

    def categorical(self, h: Hole) -> bool:
        return not h.numeric or h.size <= self.categorical_max

    def optimisers(self, lr: float) -> list[torch.optim.Optimizer]:
        """Adam on the logits (step `lr`); Rprop on the real holes: a sign-driven step per
        value that grows while the gradient keeps its sign and halves when it flips, so
        a hole crosses a range of 4 million in tens of steps and still lands on one unit."""
        out: list[torch.optim.Optimizer] = []
        if self.logits:
            out.append(torch.optim.Adam(list(self.logits.values()), lr=lr))
        for i, p in self.reals.items():
            size = self.sketch.holes[i].size
            out.append(torch.optim.Rprop([p], lr=max(1.0, size * 0.01), etas=(0.5, 1.2),
                                         step_sizes=(0.05, max(2.0, size * 0.25))))
        self._optims = out
        return out

    def argmax(self) -> np.ndarray:
        """(R, H) the most likely filling of every restart."""
        out = np.zeros((self.restarts, len(self.sketch.holes)), dtype=np.int64)
        for h in self.sketch.holes:
            out[:, h.index] = self._hard_index(h)
        return out

    def _hard_index(self, h: Hole) -> np.ndarray:
        if h.index in self.logits:
            return self.logits[h.index].detach().argmax(dim=-1).cpu().numpy()
        v = self.reals[h.index].detach()
        return (torch.round(v).clamp(h.lo, h.lo + h.size - 1) - h.lo).long().cpu().numpy()

    def draw(self, estimator: str, tau: float, *, gumbel: bool, sigma: float,
             explore: frozenset[int] = frozenset()) -> Draw:
        """Hole settings for one forward pass (see the module docstring).

        `sigma`: the sampling noise of a real hole in `explore` (the holes the score
        function drives), as a fraction of its range; other real holes run rounded."""
        weights, values = {}, {}
        picked = np.zeros((self.restarts, len(self.sketch.holes)), dtype=np.int64)
        logp: dict[int, Tensor] = {}
        hard_forward = estimator != "relaxed"
        for h in self.sketch.holes:
            if h.index in self.logits:
                theta = self.logits[h.index]  # (R, K)
                g = _gumbel(theta.shape, self.gen, theta) if (gumbel or hard_forward) else None
                soft = torch.softmax((theta if g is None else theta + g) / tau, dim=-1)
                k = (theta.detach() + (g if g is not None else 0)).argmax(dim=-1)  # (R,)
                picked[:, h.index] = k.cpu().numpy()
                if hard_forward:
                    one = torch.nn.functional.one_hot(k, h.size).to(soft.dtype)
                    w = one - soft.detach() + soft  # exact forward, softmax backward
                    logp[h.index] = torch.log_softmax(theta, dim=-1).gather(1, k[:, None])[:, 0]
                else:
                    w = soft
                if h.numeric:
                    values[h.index] = w @ self._values[h.index]  # (R,)
                else:
                    weights[h.index] = w
            else:
                mu = self.reals[h.index]  # (R,)
                if hard_forward:
                    x = mu.detach()
                    if h.index in explore:
                        scale = max(0.5, sigma * h.size)
                        eps = torch.randn(mu.shape, generator=self.gen, dtype=mu.dtype)
                        x = (x + scale * eps.to(mu.device)).clamp(h.lo, h.lo + h.size - 1)
                        logp[h.index] = -0.5 * ((x - mu) / scale) ** 2
                    xr = torch.round(x)
                    values[h.index] = xr - mu.detach() + mu  # straight-through rounding
                    picked[:, h.index] = (xr - h.lo).long().cpu().numpy()
                else:
                    values[h.index] = mu
                    picked[:, h.index] = self._hard_index(h)
        return Draw(HoleValues(weights, values), picked,
                    logp if estimator == "hybrid" else None)

    def tensor(self, index: int) -> Tensor:
        """The parameter tensor of hole `index` (logits or real value)."""
        return self.logits[index] if index in self.logits else self.reals[index]

    def clamp_(self) -> None:
        """Keep real holes inside their range (after an optimiser step)."""
        with torch.no_grad():
            for i, p in self.reals.items():
                h = self.sketch.holes[i]
                p.clamp_(h.lo, h.lo + h.size - 1)


def _gumbel(shape, gen: torch.Generator, like: Tensor) -> Tensor:
    u = torch.rand(shape, generator=gen, dtype=like.dtype).clamp_(1e-12, 1 - 1e-12)
    return (-torch.log(-torch.log(u))).to(like.device)


def anneal(start: float, end: float, frac: float) -> float:
    """Geometric schedule from `start` (frac 0) to `end` (frac 1)."""
    frac = min(1.0, max(0.0, frac))
    return math.exp(math.log(start) + frac * (math.log(end) - math.log(start)))
