"""The hand-written reverse pass of the "taylor-fused" engine: values, jets and every
gradient (weights, biases, inputs) equal the recorded reverse pass of the eager jet
propagation, closed forms of σ''' hold, and reverse mode on top of a fused jet
(create_graph=True) stays correct. Training with it: tests/test_engines.py."""
from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from pinnkit.models import MLP, FourierFeatures
from pinnkit.problems import Derivatives
from pinnkit.models.engines import Taylor, get_engine, taylor_stages
from pinnkit.models.jet_rules import propagate_jet
from pinnkit.problems.jets import jet_of
from pinnkit.models.fused_jet import activation_jet3, fused_propagate_jet

PAIRS = [(), ((0, 0),), ((0, 0), (0, 1), (1, 1)), ((1, 1), (0, 1))]


def _loss(v, first, second):
    """A loss that uses every output channel nonlinearly (so every backward path is exercised)."""
    w = torch.linspace(0.3, 1.7, v.numel(), dtype=v.dtype).reshape(v.shape)
    loss = (v * w).sum() + 0.7 * (first**2).sum() + (first[0] * v).sum()
    if second.numel():
        loss = loss + torch.sin(second).sum() + (second[0] * first[-1]).sum()
    return loss


def _both(model, x, pairs):
    stages = taylor_stages(model)
    params = [x] + list(model.parameters())
    out = {}
    for name, fn in (("eager", propagate_jet), ("fused", fused_propagate_jet)):
        v, first, second = fn(stages, x, pairs)
        grads = torch.autograd.grad(_loss(v, first, second), params)
        out[name] = (v, first, second, grads)
    return out["eager"], out["fused"]


@pytest.mark.parametrize("activation,fourier,pairs",
                         list(itertools.product(["tanh", "sin", "gelu"], [False, True], PAIRS)))
def test_fused_jet_and_gradients_equal_the_eager_reverse_pass(activation, fourier, pairs):
    emb = FourierFeatures(2, 4, 1.0, seed=1) if fourier else None
    model = MLP(2, 1, 7, 3, activation, seed=0, low=[-1, 0], high=[1, 2], embedding=emb).double()
    x = torch.rand(13, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(5)) * 2 - 0.5
    x.requires_grad_(True)
    (v, f, s, g), (v2, f2, s2, g2) = _both(model, x, pairs)
    for a, b in ((v, v2), (f, f2), (s, s2)):
        assert a.shape == b.shape
        if a.numel():
            assert torch.allclose(a, b, rtol=0, atol=1e-12)
    for a, b in zip(g, g2):
        assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)


def test_sequential_without_bias_three_inputs_and_float32():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6, bias=False), nn.Tanh(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 1))
    x = torch.randn(9, 3, requires_grad=True)
    (v, f, s, g), (v2, f2, s2, g2) = _both(model, x, ((0, 2), (1, 1)))
    assert torch.allclose(v, v2, atol=1e-6) and torch.allclose(f, f2, atol=1e-6) and torch.allclose(s, s2, atol=1e-5)
    for a, b in zip(g, g2):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_network_without_nonlinearity_is_an_affine_map():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)).double()
    x = torch.rand(5, 2, dtype=torch.float64, requires_grad=True)
    (v, f, s, g), (v2, f2, s2, g2) = _both(model, x, ((0, 0),))
    assert torch.allclose(v, v2) and torch.allclose(f, f2) and torch.equal(s2, torch.zeros_like(s2))
    for a, b in zip(g, g2):
        assert torch.allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("kind", ["tanh", "sin", "gelu"])
def test_third_derivative_of_activations_matches_autograd(kind):
    z = torch.linspace(-3, 3, 41, dtype=torch.float64, requires_grad=True)
    y, s1, s2, s3 = activation_jet3(kind, z)
    ref = {"tanh": torch.tanh, "sin": torch.sin, "gelu": nn.GELU()}[kind](z)
    d = [ref]
    for _ in range(3):
        (g,) = torch.autograd.grad(d[-1].sum(), z, create_graph=True)
        d.append(g)
    for got, want in zip((y, s1, s2, s3), d):
        assert torch.allclose(got, want, atol=1e-12), kind


def test_tanh_through_sigmoid_is_within_round_off_of_torch_tanh():
    z = torch.linspace(-20, 20, 200_001)
    y, *_ = activation_jet3("tanh", z)
    assert float((y - torch.tanh(z)).abs().max()) < 3e-7


def test_fused_engine_is_used_only_when_safe(points64):
    """First call eager (pairs unknown); fused afterwards; reverse mode on top of a jet
    switches the model to eager for good, as for the compiled engine."""
    model = MLP(2, 1, 6, 2, seed=0).double()
    wrapped = get_engine("taylor-fused").wrap(model)
    assert wrapped.fused and not wrapped.compiled
    D = Derivatives(points64, ("x", "t"))
    u = wrapped(points64)
    assert u.grad_fn.name() != "_FusedJetBackward"
    D(u, "xx")
    u = wrapped(points64)
    assert u.grad_fn.name() != "_FusedJetBackward"  # the previous call missed a pair
    u = wrapped(points64)
    assert "FusedJet" in u.grad_fn.name()
    assert jet_of(u, points64).pairs == ((0, 0),)
    D = Derivatives(points64, ("x", "t"))
    D(u * u, "x")  # reverse mode through the jet
    assert wrapped.eager_only
    u = wrapped(points64)
    assert "FusedJet" not in u.grad_fn.name()


def test_reverse_mode_on_top_of_a_fused_jet_is_still_correct(points64):
    """Third derivatives and parameter gradients through them (create_graph=True) take the
    recorded path and equal reverse mode through the eager jet."""
    model = MLP(2, 1, 5, 2, seed=0).double()
    stages = taylor_stages(model)
    results = []
    for fn in (propagate_jet, fused_propagate_jet):
        _, _, second = fn(stages, points64, ((0, 0),))
        (u_xxx,) = torch.autograd.grad(second[0].sum(), points64, create_graph=True)
        params = list(model.parameters())
        grads = torch.autograd.grad((u_xxx[:, 0] ** 2).sum(), params, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]  # the last bias is unused
        results.append((u_xxx, grads))
    (a, ga), (b, gb) = results
    assert b.requires_grad and torch.allclose(a, b, atol=1e-12)
    assert any(float(g.abs().max()) > 1e-3 for g in ga)
    for x, y in zip(ga, gb):
        assert torch.allclose(x, y, rtol=1e-10, atol=1e-12)


def test_engine_flags():
    assert get_engine("taylor-fused").name == "taylor-fused"
    with pytest.raises(ValueError, match="compiled or fused"):
        Taylor(compiled=True, fused=True)


def test_intermediates_are_released_after_backward_and_kept_with_retain_graph(points64):
    """Saved through save_for_backward: freed by the reverse pass (a second one without
    retain_graph is refused), kept for repeated passes (per-term gradients of balancers)."""
    model = MLP(2, 1, 6, 2, seed=0).double()
    stages = taylor_stages(model)
    u, first, second = fused_propagate_jet(stages, points64, ((0, 0),))
    loss = (first[1] + u * first[0] - 0.1 * second[0]).pow(2).mean()
    g1 = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)
    g2 = torch.autograd.grad(loss, list(model.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(g1, g2))
    with pytest.raises(RuntimeError, match="second time|freed"):
        torch.autograd.grad(loss, list(model.parameters()))
