"""Laplacian estimators (pinnkit.models.laplacians) on numbers they produce.

Closed forms: a quadratic ``½ xᵀAx`` (Hessian A everywhere, so the variance of each
estimator is known exactly) and the ``poisson_nd`` solution (Δu = −c u). Unbiasedness is
checked as |mean of M draws − exact| < 5 standard errors, the standard error computed from
the draws' own variance (and, for the quadratic, checked against the known variance).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit.models import MLP
from pinnkit.models.engines import Taylor
from pinnkit.models.laplacians import (Exact, Hutchinson, LaplacianModel, SparseSTDE, directional_second,
                                       make_laplacian)
from pinnkit.problems import Derivatives, laplacian
from pinnkit.problems.zoo.poisson_nd import POISSON_ND_C, poisson_nd_exact
from pinnkit.recipes import RunConfig, run

torch.set_num_threads(1)
F64 = torch.float64
D = 8


@pytest.fixture(scope="module")
def A():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(D, D, generator=g, dtype=F64)
    return M + M.T


def quadratic(A):
    return lambda x: 0.5 * ((x @ A) * x).sum(1, keepdim=True)


def _x(n=5, d=D, seed=1):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64) * 2 - 1


def test_exact_paths_agree_with_closed_forms(A):
    x = _x().requires_grad_(True)
    assert torch.allclose(Exact()(quadratic(A), x), torch.full((5, 1), float(torch.trace(A)), dtype=F64),
                          atol=1e-12)
    want = -POISSON_ND_C * poisson_nd_exact(x)
    assert torch.allclose(Exact()(poisson_nd_exact, x), want, atol=1e-12, rtol=0)
    assert torch.allclose(laplacian(poisson_nd_exact(x), x), want, atol=1e-12, rtol=0)  # nested autograd
    # the wrong constant is visibly wrong (the check can fail)
    assert (Exact()(poisson_nd_exact, x) + 1.1 * POISSON_ND_C * poisson_nd_exact(x)).abs().max() > 1e-3


def test_stage_jets_match_torch_func_nested_autograd_and_the_taylor_engine():
    net = MLP(D, width=16, depth=3, seed=3, low=[-1.0] * D, high=[1.0] * D).double()
    x = _x(7).requires_grad_(True)
    V = torch.randn(4, 7, D, dtype=F64, generator=torch.Generator().manual_seed(2))
    stages = directional_second(net, x, V)
    funcs = directional_second(lambda y: net(y), x, V)  # a plain callable: nested torch.func.jvp
    assert stages.shape == (4, 7, 1) and torch.allclose(stages, funcs, atol=1e-12, rtol=0)
    exact = Exact()(net, x)
    assert torch.allclose(exact, laplacian(net(x), x), atol=1e-12, rtol=0)
    taylor = Taylor(pairs=[(i, i) for i in range(D)]).wrap(net)
    assert torch.allclose(exact, laplacian(taylor(x), x), atol=1e-12, rtol=0)


def test_sparse_with_all_coordinates_is_exact(A):
    x = _x().requires_grad_(True)
    for B in (D, D + 5):
        assert torch.allclose(SparseSTDE(B)(quadratic(A), x), Exact()(quadratic(A), x), atol=1e-12, rtol=0)
        assert torch.allclose(SparseSTDE(B)(poisson_nd_exact, x), Exact()(poisson_nd_exact, x), atol=1e-12, rtol=0)


def _draws(est, f, x, M, seed=0, axes=None):
    g = torch.Generator().manual_seed(seed)
    return torch.stack([est(f, x, axes, generator=g)[:, 0] for _ in range(M)]).detach()


@pytest.mark.parametrize("est", [Hutchinson(1), Hutchinson(4), SparseSTDE(1), SparseSTDE(3)],
                         ids=lambda e: e.describe())
def test_estimators_are_unbiased_on_a_quadratic(est, A):
    x = _x(3).requires_grad_(True)
    M = 4000
    draws = _draws(est, quadratic(A), x, M)
    exact = float(torch.trace(A))
    se = draws.std(0) / math.sqrt(M)
    assert torch.all((draws.mean(0) - exact).abs() < 5 * se), (draws.mean(0), exact, se)
    off = float((A**2).sum() - (torch.diag(A) ** 2).sum())
    if isinstance(est, Hutchinson):  # Var(vᵀAv) = 2 Σ_{i≠j} A_ij², divided by the samples
        var = 2 * off / est.samples
    else:  # B of d diagonal entries without replacement, scaled by d/B
        h, B = torch.diag(A), est.rand_batch
        var = float(D**2 / B * (1 - B / D) * h.var(unbiased=True))
    assert var > 0
    assert np.allclose(draws.var(0).numpy(), var, rtol=0.15), (draws.var(0), var)


@pytest.mark.parametrize("est", [Hutchinson(2), SparseSTDE(2)], ids=lambda e: e.describe())
def test_estimators_are_unbiased_on_the_poisson_nd_solution(est):
    x = _x(4, d=12).requires_grad_(True)
    M = 3000
    draws = _draws(est, poisson_nd_exact, x, M, seed=5)
    exact = (-POISSON_ND_C * poisson_nd_exact(x))[:, 0].detach()
    se = draws.std(0) / math.sqrt(M)
    assert torch.all(se > 0) and torch.all((draws.mean(0) - exact).abs() < 5 * se)
    assert torch.all(draws.std(0) > 1e-3)  # a single draw is not the exact value (it is random)


def test_laplacian_over_a_subset_of_axes(A):
    x = _x().requires_grad_(True)
    axes = [0, 2, 5]
    want = float(sum(A[i, i] for i in axes))
    assert torch.allclose(Exact()(quadratic(A), x, axes), torch.full((5, 1), want, dtype=F64), atol=1e-12)
    draws = _draws(SparseSTDE(1), quadratic(A), x, 300, axes=axes)
    picked = set(np.round(draws[:, 0].numpy() / 3, 10))  # each draw is 3 A_ii for one i of the axes
    assert picked == {round(float(A[i, i]), 10) for i in axes}


def test_wrapper_attaches_an_estimate_that_derivatives_use(A):
    f = quadratic(A)
    wrapped = LaplacianModel(f, SparseSTDE(D))
    x = _x().requires_grad_(True)
    u = wrapped(x)
    assert torch.allclose(Derivatives(x, tuple("abcdefgh")).laplacian(u), Exact()(f, x), atol=1e-12)
    # another x (a copy) does not see the estimate: nested autograd on u's own graph
    y = x.detach().clone().requires_grad_(True)
    assert torch.allclose(laplacian(f(y), y), Exact()(f, x), atol=1e-12)
    # inputs without requires_grad get the plain output, no estimate
    assert not hasattr(wrapped(x.detach()), "_pinnkit_laplacian")


def test_bad_options_raise_clearly():
    with pytest.raises(ValueError, match="unknown laplacian estimator 'stdee'"):
        make_laplacian("stdee")
    with pytest.raises(ValueError, match="rand_batch"):
        make_laplacian("stde", {"samples": 4})
    with pytest.raises(ValueError, match="samples must be an integer >= 1"):
        Hutchinson(0)
    with pytest.raises(ValueError, match="rand_batch must be an integer >= 1"):
        SparseSTDE(2.5)
    with pytest.raises(ValueError, match=r"laplacian"):
        RunConfig(problem="poisson_nd", laplacian="monte-carlo")
    with pytest.raises(ValueError, match="rand_batch"):
        RunConfig(problem="poisson_nd", laplacian="stde", laplacian_options={"rand_batch": 0})
    x = _x()
    with pytest.raises(ValueError, match=r"directions must be"):
        directional_second(lambda y: y[:, :1], x, torch.zeros(2, 3, D + 1, dtype=F64))
    with pytest.raises(ValueError, match="out of range"):
        Exact()(lambda y: y[:, :1], x, [D])
    assert make_laplacian("exact") is None and make_laplacian(None) is None


def _cfg(**kw):
    return RunConfig(problem="poisson_nd", parameters={"d": 6}, steps=5, num_points=64, condition_points=32,
                     width=16, depth=2, dtype="float64", eval_every=5, threads=1, **kw)


def test_training_with_estimators():
    exact = run(_cfg(), progress=False).history
    full = run(_cfg(laplacian="stde", laplacian_options={"rand_batch": 6}), progress=False).history
    # all coordinates: the same training as nested autograd, to round-off
    assert np.allclose(exact.where("loss")[1], full.where("loss")[1], rtol=1e-9, atol=0)
    a = run(_cfg(laplacian="stde", laplacian_options={"rand_batch": 2}), progress=False).history
    b = run(_cfg(laplacian="stde", laplacian_options={"rand_batch": 2}), progress=False).history
    assert np.array_equal(a.where("loss")[1], b.where("loss")[1])  # seeded draws: reproducible
    assert not np.allclose(a.where("loss")[1][1:], exact.where("loss")[1][1:], rtol=1e-6)  # ...and random
    assert "stde (rand_batch=2)" in a.meta["engine"]
    assert _cfg(laplacian="stde").key() != _cfg().key() and _cfg(laplacian="exact").key() == _cfg().key()
