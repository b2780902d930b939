"""Programs as arrays (`run.arrays`, the entry of fit's exact check): the native and the
torch engine give the same final state as the reference interpreter, and fit's Checker
scores the same fillings the same on both."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from progen_cases import gen_batch

from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import load_spec
from ncpu_cli.isa import STATUS_NAMES, to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.reference import run_reference
from ncpu_cli.run.arrays import run_arrays

FIT = Path(__file__).resolve().parent.parent / "programs" / "fit"


def _arrays(images, inputs, n):
    mem = np.zeros((len(images), n), dtype=np.int64)  # (B, N)
    regs = np.zeros((len(images), 16), dtype=np.int64)  # (B, 16)
    regs[:, 15] = n
    width = max(len(inp.input) for inp in inputs)
    inp = np.zeros((len(images), max(width, 1)), dtype=np.int64)  # (B, L)
    lens = np.zeros(len(images), dtype=np.int64)  # (B,)
    for k, (im, pi) in enumerate(zip(images, inputs)):
        mem[k, : len(im.words)] = im.words
        for a, v in pi.mem.items():
            mem[k, a] = v
        for r, v in pi.set.items():
            if r:
                regs[k, r] = v
        inp[k, : len(pi.input)] = pi.input
        lens[k] = len(pi.input)
    return mem, regs, inp, lens


@pytest.mark.parametrize("seed", [0, 1])
def test_native_and_torch_arrays_match_the_reference(seed):
    b = gen_batch(random.Random(seed), 120)
    # one entry point for all: programs that start elsewhere are left out here
    keep = [k for k, im in enumerate(b.images) if im.entry == b.images[0].entry]
    images, inputs = [b.images[k] for k in keep], [b.inputs[k] for k in keep]
    config = MachineConfig(**{**b.config.__dict__, "device": "cpu"})
    mem, regs, inp, lens = _arrays(images, inputs, config.mem_words)
    got = {e: run_arrays(config, mem.copy(), regs, images[0].entry, inp, lens, engine=e)
           for e in ("native", "torch")}
    for k, (im, pi) in enumerate(zip(images, inputs)):
        want = run_reference(im, config, pi)
        for e, f in got.items():
            label = f"{e}, seed {seed}, program {k}"
            assert STATUS_NAMES[int(f.status[k])] == want.status, label
            assert [to_signed(int(v)) for v in f.regs[k]] == want.regs, label
            assert [to_signed(int(v)) for v in f.out[k, : int(f.out_len[k])]] == want.out, label
            assert [to_signed(int(v)) for v in f.mem[k]] == want.mem, label


@pytest.mark.parametrize("task", ["branch_max", "table4", "const_mul"])
def test_checker_scores_the_same_on_both_engines(task):
    spec = load_spec(FIT / f"{task}.yaml")
    sketch = Sketch(spec)
    rng = np.random.default_rng(0)
    fillings = rng.integers(0, sketch.sizes, size=(64, len(sketch.sizes)))  # (P, H)
    examples = list(spec.examples) + list(spec.holdout)
    native = Checker(sketch, spec, engine="native").score(fillings, examples)
    torch_ = Checker(sketch, spec, engine="torch").score(fillings, examples)
    assert np.array_equal(native.passed, torch_.passed)
    assert np.array_equal(native.distance, torch_.distance)
    assert native.passed.any() or native.distance.min() > 0  # scored, not all empty


def test_an_engine_without_an_array_entry_is_refused_by_name():
    from ncpu_cli.errors import RunError

    config = MachineConfig(mem_words=16)
    mem, regs = np.zeros((1, 16), dtype=np.int64), np.zeros((1, 16), dtype=np.int64)
    with pytest.raises(RunError, match="native or torch, not `reference`"):
        run_arrays(config, mem, regs, 0, np.zeros((1, 1)), np.zeros(1), engine="reference")
