"""`ncpu fit`: fill the holes of a sketch from input/output examples.

    spec = load_spec("programs/fit/lut.yaml")
    result = fit(spec, time_limit=60)
    print(result.solved, result.program)

Methods: ``auto`` (the default: a portfolio of the others in processes),
``smt`` (bit-vector solving with bitwuzla), ``mcmc`` (STOKE-style sampling),
``evolve`` and ``enumerate`` (searches on the exact machine) and ``gradient``
(descent through the differentiable soft machine). Every answer is checked on
the exact machine over all examples and holdout, and against the spec's
reference on fresh inputs, before it counts as solved.
"""

import importlib

# name -> the module that defines it (imported on first use: `import ncpu_cli.fit.options`
# must not pull in torch, so the command line starts fast)
_WHERE = {
    "check_options": "api", "fit": "api", "SoftRun": "loss", "default_loss": "loss",
    "METHODS": "options", "FitOptions": "options", "FitResult": "search", "Progress": "search",
    "Hole": "sketch", "Sketch": "sketch", "Example": "spec", "Expect": "spec",
    "FitSpec": "spec", "load_spec": "spec", "load_like": "spec", "parse_spec": "spec",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'ncpu_cli.fit' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ncpu_cli.fit.{_WHERE[name]}"), name)
