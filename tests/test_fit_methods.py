"""`fit(spec, method)`: every method (and every gradient estimator) solves easy tasks, and each
answer, assembled without holes, passes every example and holdout on the reference
interpreter (an independent check). Also: a custom loss is called and used; a wide constant
is found by the gradient itself; contradictory examples end unsolved."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fit_common import EASY, SAFETY, passes_everything, task, write_task

from ncpu_cli.fit import SoftRun, default_loss, fit, load_spec
from ncpu_cli.fit.enumerate import SpaceTooLarge

RUNS = [("gradient", "hybrid"), ("gradient", "straight"), ("gradient", "relaxed"),
        ("evolve", None), ("enumerate", None)]


@pytest.fixture(autouse=True)
def one_torch_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors; two xdist workers share the cores
    yield
    torch.set_num_threads(old)


@pytest.mark.parametrize("name", list(EASY))
@pytest.mark.parametrize("method, estimator", RUNS, ids=[m if e is None else f"{m}-{e}"
                                                           for m, e in RUNS])
def test_easy_tasks(tmp_path: Path, name: str, method: str, estimator: str | None) -> None:
    t = EASY[name]
    spec = load_spec(write_task(tmp_path, name, t))
    extra = {"estimator": estimator} if estimator else {}
    res = fit(spec, method, restarts=16, steps=40, seed=0, time_limit=SAFETY, **extra)
    assert res.solved, res
    assert res.method == method
    assert (res.examples_passed, res.examples_total) == (len(t["spec"]["examples"]),) * 2
    assert (res.holdout_passed, res.holdout_total) == (len(t["spec"]["holdout"]),) * 2
    lines, sketch_lines = res.program.splitlines(), t["sketch_text"].splitlines()
    assert len(lines) == len(sketch_lines)
    assert all(a == b for a, b in zip(lines, sketch_lines) if "?" not in b)  # only holes change
    assert passes_everything(res.program, t)


# r2 = r1 + 1234, the constant from -4000..4000: a real-valued hole (past the categorical
# limit); the relaxed estimator runs its value as it is (no sampling noise), so only the
# gradient moves it.
WIDE = task("        addi r2, r1, ??[-4000:4000]\n        halt\n",
            [{"set": {"r1": r1}, "expect": {"regs": {"r2": r1 + 1234}}} for r1 in (0, 5)],
            [{"set": {"r1": -3}, "expect": {"regs": {"r2": 1231}}}], max_cycles=8)


def test_gradient_moves_a_wide_constant(tmp_path: Path) -> None:
    spec = load_spec(write_task(tmp_path, "wide", WIDE))
    res = fit(spec, "gradient", estimator="relaxed", restarts=8, steps=200, seed=1,
              time_limit=SAFETY)
    assert res.solved and res.values == [1234]
    # 8 restarts, one rounded value each per step: far fewer than the 8001 candidates
    assert res.candidates < 8001 // 2
    assert passes_everything(res.program, WIDE)


def test_a_custom_loss_is_called_and_used(tmp_path: Path) -> None:
    t = EASY["reg"]
    spec = load_spec(write_task(tmp_path, "reg", t))
    calls, reported = [], []

    def loss(run, examples):
        calls.append((run, list(examples)))
        return default_loss(run, examples) * 0 + 42.0  # (R,) a constant: visible in progress

    res = fit(spec, "gradient", loss=loss, restarts=4, steps=3, seed=0, time_limit=SAFETY,
              report=reported.append)
    assert calls and len(calls) == res.steps
    run, examples = calls[0]
    assert isinstance(run, SoftRun)
    assert examples == list(spec.examples)
    assert tuple(run.regs.shape) == (4, len(spec.examples), 16)
    assert tuple(run.halted.shape) == (4, len(spec.examples))
    assert reported and all(p.loss == 42.0 for p in reported)


# same input, two different outputs: no filling passes both
CONTRADICTION = task("        addi r2, r1, ??[0:15]\n        halt\n",
                     [{"set": {"r1": 1}, "expect": {"regs": {"r2": 4}}},
                      {"set": {"r1": 1}, "expect": {"regs": {"r2": 9}}}])


@pytest.mark.parametrize("method", ["gradient", "evolve", "enumerate"])
def test_contradictory_examples_end_unsolved(tmp_path: Path, method: str) -> None:
    spec = load_spec(write_task(tmp_path, "no", CONTRADICTION))
    res = fit(spec, method, restarts=8, steps=3, seed=0, time_limit=SAFETY)
    assert not res.solved
    assert (res.examples_passed, res.examples_total) == (1, 2)  # the best passes one
    assert res.values[0] in (3, 8)  # r2 = 1 + 3 or 1 + 8
    assert "??" not in res.program


def test_enumerate_refuses_a_large_space(tmp_path: Path) -> None:
    t = task("        addi r2, r1, ??[0:255]\n        addi r2, r2, ??[0:255]\n        halt\n",
             [{"set": {"r1": 0}, "expect": {"regs": {"r2": 300}}}])
    spec = load_spec(write_task(tmp_path, "big", t))
    with pytest.raises(SpaceTooLarge) as info:
        fit(spec, "enumerate", max_candidates=1000)
    assert info.value.space == 256 * 256
    assert "65,536" in str(info.value)
    res = fit(spec, "enumerate", max_candidates=256 * 256)  # at the limit it runs
    assert res.solved and passes_everything(res.program, t)


@pytest.mark.parametrize("method", ["gradient", "evolve", "enumerate"])
def test_without_holdout_the_printed_program_is_the_solution(tmp_path, method) -> None:
    """No holdout: the first filling that passes the examples is the answer, and the
    program printed is that filling (checked on the reference interpreter)."""
    t = task("        addi r2, r1, ??[0:15]\n        halt\n",
             [{"set": {"r1": r1}, "expect": {"regs": {"r2": r1 + 6}}} for r1 in (0, 3)])
    path = write_task(tmp_path, "noholdout", t)
    res = fit(path, method, restarts=16, seed=0, time_limit=120)
    assert res.solved and res.holdout_total == 0 and res.values == [6]
    assert passes_everything(res.program, t)


def test_gradient_through_sparsemax_addressing(tmp_path) -> None:
    """The soft machine's normaliser is an option: sparsemax at τ = 0.5 leaks nothing and
    fits like hard addressing (docs/fit.md measures softmax, which does leak)."""
    path = write_task(tmp_path, "const", EASY["const"])
    res = fit(path, "gradient", restarts=16, seed=0, steps=60, time_limit=SAFETY,
              addressing="sparsemax", temperature=0.5)
    assert res.solved and passes_everything(res.program, EASY["const"])
