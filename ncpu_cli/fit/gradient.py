"""`--method gradient`: fit holes by gradient descent through the soft machine.

One batch holds restarts × examples (program ``r·E + e``): every restart has its
own control table and initial memory (``ControlBuilder``), built from its hole
parameters (``HoleParams``) by the chosen estimator, and one backward pass moves
every restart.  After each step the hard filling each restart ran and each
restart's most likely filling go to the exact check (``Tracker``); the first
that passes every example and holdout ends the fit.
"""

from __future__ import annotations

import numpy as np
import torch

from ncpu_cli.errors import FitError
from ncpu_cli.fit.control import ControlBuilder
from ncpu_cli.fit.loss import Loss, SoftRun, default_loss
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.params import ESTIMATORS, HoleParams, anneal
from ncpu_cli.fit.search import Tracker
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.soft.machine import SoftMachine
from ncpu_cli.machine.soft.run import run_pure
from ncpu_cli.machine.soft.settings import check_config, cpu_threads

TAU = (2.0, 0.05)  # relaxed: softmax temperature, soft to sharp
SIGMA = (0.25, 0.001)  # real holes: sampling noise as a fraction of the range
CHECK_EVERY = 8  # cycles between "anything still running?" checks of the soft run
PATIENCE = 25  # steps without a better loss after which a restart starts afresh
POLISH_RESTARTS = 8  # the best restarts whose rounded real holes are checked with neighbours
POLISH_REACH = 8  # ... each real hole moved by up to this many units, one hole at a time


def fit_gradient(tracker: Tracker, loss: Loss | None = None) -> None:
    opts: FitOptions = tracker.options
    if opts.estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator `{opts.estimator}` ({', '.join(ESTIMATORS)})")
    spec, sketch = tracker.spec, tracker.sketch
    if sketch.groups:
        g = sketch.groups[0]
        raise FitError(
            f"{g.file}:{g.line}:{g.col}: the gradient method cannot parametrise an instruction "
            "hole (its operands change meaning with the mnemonic, so no one control row is a "
            "mixture of its candidates): use --method auto, mcmc, smt, evolve or enumerate")
    loss = loss or default_loss
    config = MachineConfig(mem_words=spec.mem_words, max_cycles=spec.max_cycles,
                           device=opts.device, dtype=opts.dtype, addressing=opts.addressing,
                           temperature=opts.temperature)
    device, dtype = check_config(config)
    gen = torch.Generator().manual_seed(opts.seed)
    builder = ControlBuilder(sketch, opts.addressing, opts.temperature, device=device,
                             dtype=dtype)
    params = HoleParams(sketch, opts.restarts, gen, device=device, dtype=dtype,
                        categorical_max=opts.categorical_max)
    optims = params.optimisers(opts.lr)
    step = 0
    holes = [h.index for h in sketch.holes]
    reached: set[int] = set()  # holes the pathwise gradient has reached (sticky)
    best_loss = np.full(opts.restarts, np.inf)  # (R,) each restart's best loss so far
    since = np.zeros(opts.restarts, dtype=np.int64)  # (R,) steps since it improved
    while tracker.keep_going():
        examples = list(tracker.examples)  # grows with counterexamples (CEGIS)
        inputs = [ex.inp for _ in range(opts.restarts) for ex in examples]
        # the schedules run over --steps, or else over the time budget
        frac = (step / max(1, opts.steps - 1) if opts.steps is not None
                else tracker.elapsed / opts.time_limit)
        explore = frozenset(holes) - reached if step else frozenset()
        draw = params.draw(opts.estimator, anneal(*TAU, frac), gumbel=opts.gumbel,
                           sigma=anneal(*SIGMA, frac), explore=explore)
        machine = SoftMachine(sketch.image, config, inputs,
                              mem0=builder.memory(draw.hv, examples),
                              control=builder.control(draw.hv, len(examples)),
                              surrogate=True)
        state = run_pure(machine, spec.max_cycles, check_every=CHECK_EVERY)
        per = loss(SoftRun.of(state, opts.restarts), examples)  # (R,)
        if per.requires_grad:
            with cpu_threads(device):
                _descend(optims, params, holes, reached, per, draw.logp)
        step += 1
        now = per.detach().cpu().numpy()  # (R,)
        argmax = params.argmax()  # (R, H)
        polish = neighbours(sketch, argmax[np.argsort(now)[:POLISH_RESTARTS]], params.reals)
        tracker.offer(np.concatenate([draw.picked, argmax, polish]), float(now.mean()))
        better = now < best_loss - 1e-9
        best_loss = np.where(better, now, best_loss)
        since = np.where(better, 0, since + 1)
        stuck = np.flatnonzero(since >= PATIENCE)  # stagnant restarts start afresh
        params.reinit(stuck)
        best_loss[stuck], since[stuck] = np.inf, 0


def _descend(optims, params: HoleParams, holes: list[int], reached: set[int], per,
             logp) -> None:
    """One optimiser step: the pathwise gradient of the mean loss for the holes it reaches;
    with `logp` (hybrid), the score-function gradient for the others."""
    tensors = [params.tensor(i) for i in holes]
    path = torch.autograd.grad(per.mean(), tensors, allow_unused=True,
                               retain_graph=logp is not None)
    score = [None] * len(holes)
    if logp is not None and len(per) > 1:
        adv = per.detach() - per.detach().mean()
        adv = adv / (adv.std() + 1e-8)
        wanted = [i for i, g in zip(holes, path) if (g is None or not bool(g.any()))
                  and i not in reached and i in logp]
        if wanted:
            surrogate = sum((adv * logp[i]).mean() for i in wanted)
            got = torch.autograd.grad(surrogate, [params.tensor(i) for i in wanted])
            by_hole = dict(zip(wanted, got))
            score = [by_hole.get(i) for i in holes]
    for i, t, g, s in zip(holes, tensors, path, score):
        if g is not None and bool(g.any()):
            reached.add(i)
            t.grad = g
        else:
            t.grad = s
    for optim in optims:
        optim.step()
    params.clamp_()


def neighbours(sketch, fillings: np.ndarray, reals) -> np.ndarray:
    """Rounding a real hole is a choice: `fillings` (K, H) with each real hole moved by
    ±1..±POLISH_REACH units, one hole at a time -> (K·2·reach·holes, H)."""
    out = []
    deltas = np.concatenate([np.arange(-POLISH_REACH, 0), np.arange(1, POLISH_REACH + 1)])
    for i in reals:
        moved = np.repeat(fillings, len(deltas), axis=0)  # (K·D, H)
        moved[:, i] = np.clip(moved[:, i] + np.tile(deltas, len(fillings)), 0,
                              sketch.holes[i].size - 1)
        out.append(moved)
    return np.concatenate(out) if out else fillings[:0]

