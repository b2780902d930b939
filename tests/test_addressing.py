"""The normalisers, the tent kernel, the compact range pointer and the sharpness metrics."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli.machine.soft import addressing as A

TAUS = [0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 10.0]
MODES = ["softmax", "sparsemax", "hard"]
scores_st = st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=40)


def projection(z: torch.Tensor) -> torch.Tensor:
    """Euclidean projection onto the simplex by bisection on the threshold (an independent
    check of the sorted-threshold sparsemax)."""
    lo, hi = float(z.min()) - 1, float(z.max())
    for _ in range(200):
        mid = (lo + hi) / 2
        if float((z - mid).clamp(min=0).sum()) > 1:
            lo = mid
        else:
            hi = mid
    return (z - (lo + hi) / 2).clamp(min=0)


@settings(max_examples=200, deadline=None)
@given(scores_st, st.sampled_from(TAUS), st.sampled_from(MODES))
def test_every_normaliser_gives_a_distribution(scores, tau, mode):
    p = A.normaliser(mode, tau)(torch.tensor(scores, dtype=torch.float64))
    assert float(p.min()) >= 0
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(scores_st, st.sampled_from(TAUS))
def test_sparsemax_is_the_simplex_projection(scores, tau):
    z = torch.tensor(scores, dtype=torch.float64)
    got = A.sparsemax(z, tau)
    assert torch.allclose(got, projection(z / tau), atol=1e-7)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.floats(-50, 50, allow_nan=False), min_size=6, max_size=6),
                min_size=1, max_size=4), st.sampled_from(TAUS))
def test_sparsemax_matches_the_entmax_package(rows, tau):
    """Our sorted-threshold sparsemax against `entmax.sparsemax` (the [dev] extra installs it)."""
    entmax = pytest.importorskip(
        "entmax", reason="the entmax package is not installed (pip install -e '.[dev]')")
    z = torch.tensor(rows, dtype=torch.float64)  # (B, 6)
    assert torch.allclose(A.sparsemax(z, tau), entmax.sparsemax(z / tau, dim=-1), atol=1e-9)


def test_softmax_matches_torch_and_temperature():
    z = torch.tensor([[1.0, 0.0, -2.0, 0.5]], dtype=torch.float64)
    assert torch.allclose(A.softmax(z, 0.5), torch.softmax(z / 0.5, -1))
    # no overflow at a tiny τ
    assert torch.isfinite(A.softmax(z * 1e3, 0.01)).all()


def test_hard_is_one_hot_at_the_first_argmax():
    p = A.hard(torch.tensor([[0.2, 0.9, 0.9, -1.0]]))
    assert p.tolist() == [[0.0, 1.0, 0.0, 0.0]]


@pytest.mark.parametrize("tau", [0.05, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("k", [2, 16, 1025])
def test_sparsemax_of_a_one_hot_is_exact_for_tau_at_most_one(tau, k):
    for i in (0, k // 2, k - 1):
        p = A.sparsemax(A.onehot_scores(torch.tensor(i), k, torch.float64), tau)
        assert p[i].item() == 1.0 and float(p.sum()) == 1.0


def test_sparsemax_of_a_one_hot_leaks_above_tau_one():
    p = A.sparsemax(A.onehot_scores(torch.tensor(0), 4, torch.float64), 2.0)
    assert 0 < p[1].item() < p[0].item() < 1


def test_softmax_of_a_one_hot_leaks_exp_minus_one_over_tau():
    tau, k = 0.2, 10
    p = A.softmax(A.onehot_scores(torch.tensor(3), k, torch.float64), tau)
    assert p[0].item() / p[3].item() == pytest.approx(math.exp(-1 / tau))


@pytest.mark.parametrize("n", [16, 256, 4096])
@pytest.mark.parametrize("tau", [0.05, 0.1, 0.2, 1.0])
def test_closed_form_p_max(n, tau):
    p = A.softmax(A.onehot_scores(torch.tensor(0), n, torch.float64), tau)
    assert A.max_weight(p).item() == pytest.approx(A.closed_form_pmax(n, tau), rel=0.01)


def test_tent_kernel():
    k = 6
    assert A.tent_scores(torch.tensor(2.0), k).tolist() == [0, 0, 1, 0, 0, 0]
    assert torch.allclose(A.tent_scores(torch.tensor(2.25), k),
                          torch.tensor([0, 0, 0.75, 0.25, 0, 0]))
    assert A.tent_scores(torch.tensor(-3.0), k).sum().item() == 0
    v = torch.tensor([2.5], requires_grad=True)
    A.tent_scores(v, k)[0, 3].backward()
    assert v.grad.item() == 1.0  # differentiable in v


@settings(max_examples=300, deadline=None)
@given(st.floats(-40, 40, allow_nan=False))
def test_range_scores_are_a_partition_of_unity(v):
    s = A.range_scores(torch.tensor(v, dtype=torch.float64), 20)
    assert float(s.min()) >= 0
    assert float(s.sum()) == pytest.approx(1.0, abs=1e-12)
    if v <= -1 or v >= 20:
        assert s[-1].item() == 1.0


def test_out_of_range_slot():
    assert A.range_scores(torch.tensor(-1.0), 8)[-1].item() == 1.0
    assert A.range_scores(torch.tensor(7.0), 8)[7].item() == 1.0
    assert A.range_scores(torch.tensor(7.5), 8)[-1].item() == 0.5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-6, 30, allow_nan=False), min_size=1, max_size=8),
       st.sampled_from(TAUS), st.sampled_from(MODES))
def test_range_pointer_equals_the_dense_distribution(vs, tau, mode):
    k = 20
    v = torch.tensor(vs + [0.0, 19.0, 5.0, -1.0, 20.0, 19.5, -0.5], dtype=torch.float64)
    ptr = A.RangePointer(v, k, mode, tau)
    dense = A.normaliser(mode, tau)(A.range_scores(v, k))  # (B, K+1)
    assert torch.allclose(ptr.dense(), dense, atol=1e-12)
    assert torch.allclose(ptr.oor, dense[:, k], atol=1e-12)
    x = torch.randn(len(v), k, dtype=torch.float64)
    g, val = torch.rand(len(v), dtype=torch.float64), torch.randn(len(v), dtype=torch.float64)
    p = dense[:, :k]
    assert torch.allclose(ptr.dot(x), (p * x).sum(-1), atol=1e-12)
    want = x + g[:, None] * p * (val[:, None] - x)
    assert torch.allclose(ptr.write(x, g, val), want, atol=1e-12)
    assert torch.allclose(ptr.write(x.clone(), g, val, inplace=True), want, atol=1e-12)
    assert torch.allclose(ptr.mix_into(x, g), x + g[:, None] * p, atol=1e-12)
    y = x.abs()
    assert torch.allclose(ptr.strength(y, g), torch.maximum(y, g[:, None] * p), atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(TAUS), st.sampled_from(MODES))
def test_pair_first_is_the_normaliser_on_a_pair(s, tau, mode):
    t = torch.tensor([s], dtype=torch.float64)
    want = A.normaliser(mode, tau)(torch.stack([t, -t], -1))[..., 0]
    assert torch.allclose(A.pair_first(t, mode, tau), want, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=12),
       st.integers(1, 50), st.sampled_from(TAUS), st.sampled_from(MODES))
def test_far_block_equals_the_padded_vector(scores, far, tau, mode):
    s = torch.tensor([scores], dtype=torch.float64)
    p, p_far = A.normalise_with_far_block(s, far, mode, tau)
    full = A.normaliser(mode, tau)(torch.cat([s, torch.zeros(1, far, dtype=torch.float64)], -1))
    if mode == "hard" and float(s.max()) == 0:
        return  # all-zero scores: a tie with the block (never happens for a tent pointer)
    assert torch.allclose(p, full[:, : len(scores)], atol=1e-12)
    assert torch.allclose(p_far, full[:, -1], atol=1e-12)


def test_sharpness_metrics():
    uniform = torch.full((8,), 1 / 8, dtype=torch.float64)
    one = torch.zeros(8, dtype=torch.float64)
    one[2] = 1
    assert A.entropy_bits(uniform).item() == pytest.approx(3.0)
    assert A.entropy_bits(one).item() == 0.0
    assert A.support(uniform).item() == pytest.approx(8.0)
    assert A.support(one).item() == 1.0
    assert A.max_weight(uniform).item() == pytest.approx(0.125)
    assert A.target_mass(one, 2).item() == 1.0 and A.target_mass(one, 3).item() == 0.0
    batch = torch.stack([uniform, one])
    assert A.target_mass(batch, torch.tensor([0, 2])).tolist() == [0.125, 1.0]
    m = A.sharpness(batch, torch.tensor([0, 2]))
    assert set(m) == {"max", "entropy", "support", "target"}


@pytest.mark.parametrize("mode, tau", [("gumbel", 0.1), ("softmax", 0.0), ("softmax", -1.0),
                                       ("sparsemax", float("nan")), ("hard", float("inf"))])
def test_bad_mode_or_temperature(mode, tau):
    with pytest.raises(ValueError):
        A.normaliser(mode, tau)


def test_gradients_flow_through_softmax_and_sparsemax():
    for mode in ("softmax", "sparsemax"):
        z = torch.tensor([0.3, 0.1, -0.2], dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: A.normaliser(mode, 0.5)(x), (z,))
        v = torch.tensor([3.3, 0.6], dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda x: A.RangePointer(x, 8, mode, 0.7).dense(), (v,))
