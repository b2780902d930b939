"""`ncpu fit`: fill the holes of a sketch from input/output examples.

    spec = load_spec("programs/fit/lut.yaml")
    result = fit(spec, method="gradient", restarts=256, time_limit=60)
    print(result.solved, result.program)

Methods: ``gradient`` (descent through the differentiable soft machine),
``evolve`` and ``enumerate`` (batched searches on the exact machine). Every
answer is verified on the exact machine over all examples and holdout before
it counts as solved.
"""

from ncpu_cli.fit.api import check_options, fit
from ncpu_cli.fit.loss import SoftRun, default_loss
from ncpu_cli.fit.search import METHODS, FitOptions, FitResult, Progress
from ncpu_cli.fit.sketch import Hole, Sketch
from ncpu_cli.fit.spec import Example, Expect, FitSpec, load_spec, parse_spec

__all__ = ["METHODS", "Example", "Expect", "FitOptions", "FitResult", "FitSpec", "Hole",
           "Progress", "Sketch", "SoftRun", "check_options", "default_loss", "fit", "load_spec",
           "parse_spec"]
