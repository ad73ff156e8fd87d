"""Networks: shapes, Xavier initialisation, seeds, input scaling, Fourier features and
hard constraints."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from pinnkit import zoo
from pinnkit.models import ACTIVATIONS, MLP, FourierFeatures, HardConstraint, build_model


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("in_dim,out_dim,width,depth", [(1, 1, 8, 1), (2, 3, 16, 3), (3, 2, 5, 2)])
def test_mlp_shapes(activation, in_dim, out_dim, width, depth):
    m = MLP(in_dim, out_dim, width, depth, activation)
    y = m(torch.rand(11, in_dim))
    assert y.shape == (11, out_dim) and y.dtype == torch.float32
    linears = [l for l in m.net if isinstance(l, nn.Linear)]
    assert len(linears) == depth + 1
    assert [l.out_features for l in linears] == [width] * depth + [out_dim]
    assert sum(isinstance(l, ACTIVATIONS[activation]) for l in m.net) == depth


def test_xavier_uniform_statistics():
    """Weights ~ U(±a), a = sqrt(6 / (fan_in + fan_out)), variance 2 / (fan_in + fan_out); biases zero."""
    m = MLP(2, 1, width=300, depth=2, seed=5)
    linears = [l for l in m.net if isinstance(l, nn.Linear)]
    for l in linears:
        assert torch.all(l.bias == 0)
        fan_in, fan_out = l.in_features, l.out_features
        a = math.sqrt(6 / (fan_in + fan_out))
        w = l.weight.detach().double()
        assert float(w.abs().max()) <= a
    w = linears[1].weight.detach().double()  # 300 × 300: 90 000 draws
    var = 2 / 600
    assert abs(float(w.var()) / var - 1) < 0.02
    assert abs(float(w.mean())) < 4 * math.sqrt(var / w.numel())
    assert float(w.abs().max()) > 0.99 * math.sqrt(6 / 600)  # fills its range: uniform, not normal


def test_seed_reproducibility():
    a, b, c = MLP(2, 1, 16, 3, seed=3), MLP(2, 1, 16, 3, seed=3), MLP(2, 1, 16, 3, seed=4)
    for (k, va), vb, vc in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.net[0].weight, c.net[0].weight)
    # the global torch generator is neither used nor disturbed
    torch.manual_seed(0)
    before = torch.rand(3)
    torch.manual_seed(0)
    MLP(2, 1, 16, 3, seed=3)
    assert torch.equal(torch.rand(3), before)
    fa, fb = FourierFeatures(2, 8, 2.0, seed=1), FourierFeatures(2, 8, 2.0, seed=1)
    assert torch.equal(fa.B, fb.B) and not torch.equal(fa.B, FourierFeatures(2, 8, 2.0, seed=2).B)


def test_input_scaling_maps_the_box_to_minus_one_one():
    low, high = (-3.0, 2.0, 0.0), (5.0, 2.5, 0.25)
    m = MLP(3, 1, 8, 2, low=low, high=high)
    seen = []
    m.net[0].register_forward_pre_hook(lambda mod, args: seen.append(args[0].detach()))
    corners = torch.tensor([[lo if (i >> j) & 1 == 0 else hi for j, (lo, hi) in enumerate(zip(low, high))]
                            for i in range(8)])
    m(corners)
    z = seen[-1]
    expected = torch.tensor([[-1.0 if (i >> j) & 1 == 0 else 1.0 for j in range(3)] for i in range(8)])
    assert float((z - expected).abs().max()) < 1e-6
    m(torch.tensor([[1.0, 2.25, 0.125]]))  # the centre
    assert float(seen[-1].abs().max()) < 1e-6
    # without low/high the input passes unchanged
    plain = MLP(3, 1, 8, 2)
    plain.net[0].register_forward_pre_hook(lambda mod, args: seen.append(args[0].detach()))
    plain(corners)
    assert torch.equal(seen[-1], corners)


def test_input_scaling_in_float64():
    m = MLP(2, 1, 8, 2, low=(-1.0, 0.0), high=(1.0, 1.0)).double()
    seen = []
    m.net[0].register_forward_pre_hook(lambda mod, args: seen.append(args[0].detach()))
    y = m(torch.tensor([[-1.0, 0.0], [1.0, 1.0]], dtype=torch.float64))
    assert y.dtype == torch.float64
    assert torch.equal(seen[-1], torch.tensor([[-1.0, -1.0], [1.0, 1.0]], dtype=torch.float64))


def test_fourier_features():
    ff = FourierFeatures(2, num_features=32, sigma=3.0, seed=0)
    assert ff.B.shape == (32, 2) and ff.out_dim == 64
    x = torch.rand(17, 2)
    z = ff(x)
    assert z.shape == (17, 64)
    # [cos, sin] pairs: cos² + sin² = 1
    assert float((z[:, :32] ** 2 + z[:, 32:] ** 2 - 1).abs().max()) < 1e-5
    expected = torch.cos(2 * math.pi * x @ ff.B.T)
    assert float((z[:, :32] - expected).abs().max()) < 1e-5
    big = FourierFeatures(2, num_features=4000, sigma=3.0, seed=0)
    assert abs(float(big.B.std()) / 3.0 - 1) < 0.03  # B ~ N(0, σ²)
    # B is a buffer: saved with the model, moved by .to(), never trained
    assert "B" in dict(ff.named_buffers()) and not list(ff.parameters())
    m = MLP(2, 1, 8, 2, embedding=ff, low=(0, 0), high=(1, 1))
    assert m(x).shape == (17, 1)
    assert m.net[0].in_features == 64


def test_build_model_options():
    p = zoo.get("burgers")
    m = build_model(p, width=8, depth=2, fourier_features=5, seed=1)
    assert isinstance(m, MLP) and isinstance(m.embedding, FourierFeatures) and m.embedding.out_dim == 10
    assert m.shift is not None
    assert build_model(p, width=8, depth=2, scale_inputs=False).shift is None
    h = build_model(p, width=8, depth=2, hard=True)
    assert isinstance(h, HardConstraint) and h.satisfies == ("initial", "left", "right")
    assert h(torch.rand(4, 2)).shape == (4, 1)


def _max_condition_residual(problem, model, name, n=200):
    x = torch.as_tensor(problem.conditions[name].sample(n, np.random.default_rng(0)), dtype=torch.float32)
    return float(problem.conditions[name].residual(model, x, problem.values).detach().abs().max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hard_constraint_burgers_exact(seed):
    p = zoo.get("burgers", nu=0.02)
    net = MLP(2, 1, 16, 2, seed=seed, low=p.domain.low, high=p.domain.high)
    # a random net that is far from zero on the boundary
    with torch.no_grad():
        net.net[-1].bias.fill_(3.0)
    model = HardConstraint(net, p)
    for name in ("initial", "left", "right"):
        assert _max_condition_residual(p, model, name) < 1e-6, name
        assert _max_condition_residual(p, net, name) > 0.5, name  # the bare net does not satisfy them


def test_hard_constraint_oscillator_value_and_velocity(small_oscillator):
    p = small_oscillator
    net = MLP(1, 1, 16, 2, seed=0, low=p.domain.low, high=p.domain.high)
    with torch.no_grad():
        net.net[-1].bias.fill_(2.0)
    model = HardConstraint(net, p)
    assert _max_condition_residual(p, model, "initial") < 1e-6
    assert _max_condition_residual(p, model, "initial_velocity") < 1e-6
    assert _max_condition_residual(p, net, "initial") > 0.5


def test_hard_constraint_needs_a_transform():
    p = zoo.get("burgers").replace(hard=None, hard_satisfies=())
    with pytest.raises(ValueError, match="no hard-constraint transform"):
        HardConstraint(MLP(2), p)


@pytest.mark.parametrize("shape", [(5,), (5, 3), (5, 1), (2, 5, 2)])
def test_wrong_input_shapes_raise(shape):
    with pytest.raises(ValueError, match=r"MLP expects input of shape \(N, 2\)"):
        MLP(2, 1, 4, 1)(torch.rand(shape))
    with pytest.raises(ValueError, match=r"FourierFeatures expects input of shape \(N, 2\)"):
        FourierFeatures(2, 4)(torch.rand(shape))


@pytest.mark.parametrize("kw,match", [
    (dict(width=0), "width"), (dict(depth=-1), "depth"), (dict(width=2.5), "width"), (dict(depth=True), "depth"),
    (dict(in_dim=0), "in_dim"), (dict(out_dim=0), "out_dim"), (dict(activation="relu6"), "activation"),
    (dict(low=(0, 0)), "both low and high"), (dict(low=(0, 0), high=(1, 0)), "high > low"),
    (dict(low=(0,), high=(1,)), "2 numbers"),
])
def test_bad_mlp_arguments(kw, match):
    args = dict(in_dim=2, out_dim=1, width=4, depth=1)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        MLP(**args)


@pytest.mark.parametrize("kw", [dict(num_features=0), dict(sigma=0.0), dict(sigma=-1.0)])
def test_bad_fourier_arguments(kw):
    with pytest.raises(ValueError, match="num_features|sigma"):
        FourierFeatures(2, **kw)
