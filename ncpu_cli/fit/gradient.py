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

from ncpu_cli.fit.control import ControlBuilder
from ncpu_cli.fit.loss import Loss, SoftRun, default_loss
from ncpu_cli.fit.params import ESTIMATORS, HoleParams, anneal
from ncpu_cli.fit.search import FitOptions, Tracker
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.soft import SoftMachine, check_config, run_pure

TAU = (2.0, 0.05)  # relaxed: softmax temperature, soft to sharp
SIGMA = (0.25, 0.001)  # real holes: sampling noise as a fraction of the range
SCORE_WEIGHT = 1.0  # hybrid: weight of the score-function term
CHECK_EVERY = 8  # cycles between "anything still running?" checks of the soft run


def fit_gradient(tracker: Tracker, loss: Loss | None = None) -> None:
    opts: FitOptions = tracker.options
    if opts.estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator `{opts.estimator}` ({', '.join(ESTIMATORS)})")
    spec, sketch = tracker.spec, tracker.sketch
    loss = loss or default_loss
    config = MachineConfig(mem_words=spec.mem_words, max_cycles=spec.max_cycles,
                           device=opts.device, dtype=opts.dtype, addressing=opts.addressing,
                           temperature=opts.temperature)
    device, dtype = check_config(config)
    gen = torch.Generator().manual_seed(opts.seed)
    builder = ControlBuilder(sketch, opts.addressing, opts.temperature, device=device,
                             dtype=dtype)
    params = HoleParams(sketch, opts.restarts, gen, device=device, dtype=dtype)
    groups = params.groups(opts.lr)
    optim = torch.optim.Adam(groups)
    base_lr = [g["lr"] for g in groups]
    examples = list(spec.examples)
    inputs = [ex.inp for _ in range(opts.restarts) for ex in examples]
    step = 0
    while (opts.steps is None or step < opts.steps) and not tracker.out_of_time():
        # the schedules run over --steps, or else over the time budget
        frac = (step / max(1, opts.steps - 1) if opts.steps is not None
                else tracker.elapsed / opts.time_limit)
        for g, lr in zip(groups, base_lr):  # real holes: the step shrinks to single units
            g["lr"] = anneal(lr, 0.5, frac) if g.get("real") else lr
        draw = params.draw(opts.estimator, anneal(*TAU, frac), gumbel=opts.gumbel,
                           sigma=anneal(*SIGMA, frac))
        machine = SoftMachine(sketch.image, config, inputs,
                              mem0=builder.memory(draw.hv, examples),
                              control=builder.control(draw.hv, len(examples)))
        state = run_pure(machine, spec.max_cycles, check_every=CHECK_EVERY)
        per = loss(SoftRun.of(state, opts.restarts), examples)  # (R,)
        total = per.mean()
        if draw.logp is not None:
            adv = per.detach() - per.detach().mean()
            adv = adv / (adv.std() + 1e-8) if opts.restarts > 1 else adv
            total = total + SCORE_WEIGHT * (adv * draw.logp).mean()
        optim.zero_grad(set_to_none=True)
        if total.requires_grad:
            total.backward()
            optim.step()
            params.clamp_()
        step += 1
        proposed = np.concatenate([draw.picked, params.argmax()])  # (2R, H)
        found, _ = tracker.offer(proposed, float(per.detach().mean()))
        if found is not None:
            return
