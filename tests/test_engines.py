"""Derivative engines: reverse mode and forward Taylor jets agree with closed forms and with
each other (float64), fall back correctly, and train identically."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from pinnkit import zoo
from pinnkit.models import MLP, build_model
from pinnkit.optim import adam
from pinnkit.problems import Derivatives
from pinnkit.problems.derivatives import gradient, laplacian, partial
from pinnkit.models.engines import ENGINES, Autograd, Taylor, get_engine, taylor_stages
from pinnkit.problems.jets import jet_of
from pinnkit.sampling import Sobol
from pinnkit.training import train

SPECS = ("x", "t", "xx", "xt", "tx", "tt")


def one_layer(activation: str, width: int = 7, seed: int = 3) -> nn.Sequential:
    act = {"tanh": nn.Tanh(), "gelu": nn.GELU()}[activation]
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), act, nn.Linear(width, 1)).double()


def closed_form(net: nn.Sequential, activation: str, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """u = a·σ(Wx + b) + c: u_i = Σ_k a_k W_ki σ'(z_k), u_ij = Σ_k a_k W_ki W_kj σ''(z_k)."""
    W, b, a = net[0].weight.detach(), net[0].bias.detach(), net[2].weight.detach()[0]
    z = x.detach() @ W.T + b
    if activation == "tanh":
        y = torch.tanh(z)
        s1, s2 = 1 - y**2, -2 * y * (1 - y**2)
    else:
        cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
        pdf = torch.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
        s1, s2 = cdf + z * pdf, pdf * (2 - z**2)
    first = {n: (s1 * a * W[:, i]).sum(1, keepdim=True) for i, n in enumerate("xt")}
    second = {n: (s2 * a * W[:, "xt".index(n[0])] * W[:, "xt".index(n[1])]).sum(1, keepdim=True)
              for n in ("xx", "xt", "tx", "tt")}
    return {**first, **second}


def derivatives(engine: str, model, x, specs=SPECS, pairs=((0, 0), (0, 1), (1, 1))):
    if engine == "taylor":
        eng = Taylor(pairs=pairs)
    elif engine == "taylor-fused":
        eng = Taylor(pairs=pairs, fused=True)
    else:
        eng = get_engine(engine)
    wrapped = eng.wrap(model)
    u = wrapped(x)
    if engine == "taylor-fused":  # the first call is eager (pairs not yet confirmed); the second is fused
        u = wrapped(x)
        assert "FusedJet" in u.grad_fn.name()
    D = Derivatives(x, ("x", "t"))
    return u, {s: D(u, s) for s in specs}


@pytest.mark.parametrize("activation", ["tanh", "gelu"])
@pytest.mark.parametrize("engine", ["autograd", "taylor", "taylor-fused"])
def test_engines_match_closed_form_of_one_hidden_layer(points64, activation, engine):
    net = one_layer(activation)
    _, got = derivatives(engine, net, points64)
    want = closed_form(net, activation, points64)
    for s in SPECS:
        assert torch.allclose(got[s], want[s], rtol=0, atol=1e-10), (engine, s)
    if engine == "taylor":  # the jet, not a silent fallback, produced them
        u = Taylor(pairs=((0, 0),)).wrap(net)(points64)
        assert jet_of(u, points64) is not None


@pytest.mark.parametrize("activation", ["tanh", "sin", "gelu"])
@pytest.mark.parametrize("fourier", [0, 6])
def test_taylor_matches_autograd_on_deep_mlps(points64, activation, fourier):
    """4 hidden layers, input scaling, optionally Fourier features (σ = 1)."""
    problem = zoo.get("burgers")
    model = build_model(problem, width=16, depth=4, activation=activation, seed=2, fourier_features=fourier).double()
    ua, ga = derivatives("autograd", model, points64)
    ut, gt = derivatives("taylor", model, points64)
    assert torch.allclose(ua, ut, rtol=0, atol=1e-12)
    for s in SPECS:
        scale = ga[s].abs().max().item()
        assert (ga[s] - gt[s]).abs().max().item() <= 1e-10 * max(1.0, scale), s


def test_jet_is_used_by_gradient_partial_and_laplacian(points64):
    model = MLP(2, 1, 12, 3, seed=1).double()
    u = Taylor(pairs=((0, 0), (1, 1))).wrap(model)(points64)
    jet = jet_of(u, points64)
    assert jet is not None and jet.pairs == ((0, 0), (1, 1))
    ref = model(points64)
    g_ref = torch.autograd.grad(ref, points64, torch.ones_like(ref), create_graph=True)[0]
    assert torch.allclose(gradient(u, points64), g_ref, atol=1e-12, rtol=0)
    lap_ref = sum(torch.autograd.grad(g_ref[:, i:i + 1], points64, torch.ones_like(ref), create_graph=True)[0][:, i:i + 1]
                  for i in range(2))
    assert torch.allclose(laplacian(u, points64), lap_ref, atol=1e-10, rtol=0)
    assert torch.allclose(partial(u, points64, 0, 0, 0),
                          partial(ref, points64, 0, 0, 0), atol=1e-10, rtol=0)


def test_missing_pair_falls_back_then_is_propagated(points64):
    model = MLP(2, 1, 10, 2, seed=4).double()
    wrapped = Taylor().wrap(model)
    assert wrapped.pairs == []
    u = wrapped(points64)
    D = Derivatives(points64, ("x", "t"))
    first = D(u, "xt")  # not in the jet: reverse mode through the jet's first derivatives
    assert wrapped.pairs == [(0, 1)]
    u2 = wrapped(points64)
    assert jet_of(u2, points64).pairs == ((0, 1),)
    second = Derivatives(points64, ("x", "t"))(u2, "tx")
    assert torch.allclose(first, second, atol=1e-12, rtol=0)


def test_expressions_third_derivatives_and_parameter_gradients_fall_back_correctly(points64):
    """D(u², "x"), u_xxx and the weight gradient of a residual agree between engines."""
    results = {}
    for engine in ("autograd", "taylor"):
        model = MLP(2, 1, 10, 3, seed=5).double()
        eng = Taylor(pairs=((0, 0),)) if engine == "taylor" else Autograd()
        u = eng.wrap(model)(points64)
        D = Derivatives(points64, ("x", "t"))
        r = D(u * u, "x") + D(u, "t") - 0.1 * D(u, "xx") + 0.01 * D(u, "xxx")
        loss = (r**2).mean()
        loss.backward()
        results[engine] = (r.detach(), torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
    assert torch.allclose(results["autograd"][0], results["taylor"][0], atol=1e-10, rtol=0)
    assert torch.allclose(results["autograd"][1], results["taylor"][1], atol=1e-10, rtol=0)


def test_unsupported_models_and_inputs_run_unchanged(points64):
    problem = zoo.get("burgers")
    hard = build_model(problem, width=8, depth=2, hard=True).double()
    assert taylor_stages(hard) is None
    assert Taylor().wrap(hard) is hard
    two_outputs = MLP(2, 2, 8, 2).double()
    assert Taylor().wrap(two_outputs) is two_outputs
    model = MLP(2, 1, 8, 2).double()
    wrapped = Taylor().wrap(model)
    plain = points64.detach()
    out = wrapped(plain)  # no requires_grad: no derivatives wanted, no jet
    assert getattr(out, "_pinnkit_jet", None) is None
    assert torch.equal(out, model(plain))
    with pytest.raises(ValueError, match="expects input of shape"):
        wrapped(torch.zeros(3, 5, dtype=torch.float64, requires_grad=True))


def test_engine_registry_and_errors():
    assert set(ENGINES) >= {"autograd", "taylor", "taylor-compiled", "taylor-fused"}
    assert get_engine("taylor-compiled").compiled
    assert isinstance(get_engine(None), (Autograd, Taylor))
    with pytest.raises(ValueError, match="unknown derivative engine"):
        get_engine("symbolic")


@pytest.mark.parametrize("problem_name", ["burgers", "heat", "poisson2d"])
def test_training_is_the_same_with_every_engine(problem_name):
    """20 Adam steps in float64: per-step losses agree to round-off between engines
    (``taylor-fused`` runs its hand-written reverse pass from the second step on)."""
    problem = zoo.get(problem_name)
    losses = {}
    for engine in ("autograd", "taylor", "taylor-fused"):
        model = build_model(problem, width=12, depth=3, seed=0)
        h = train(problem, model, sampler=Sobol(64), optimizer=adam(1e-2), steps=20, condition_points=16,
                  dtype="float64", progress=False, metrics=None, engine=engine)
        losses[engine] = h["loss"]
    assert len(losses["autograd"]) == 20
    assert abs(losses["autograd"][-1] - losses["autograd"][0]) > 1e-3  # it trained
    for engine in ("taylor", "taylor-fused"):
        assert max(abs(a - b) for a, b in zip(losses["autograd"], losses[engine])) < 1e-10, engine


@pytest.mark.slow
def test_compiled_taylor_matches_eager(points64):
    model = MLP(2, 1, 8, 2, seed=0).double()
    wrapped = Taylor(compiled=True, pairs=((0, 0),)).wrap(model)
    u = wrapped(points64)
    assert jet_of(u, points64).pairs == ((0, 0),)
    D = Derivatives(points64, ("x", "t"))
    g_c = {s: D(u, s) for s in ("x", "t", "xx")}
    u_e, g_e = derivatives("autograd", model, points64, specs=("x", "t", "xx"))
    assert torch.allclose(u, u_e, atol=1e-12, rtol=0)
    for s in ("x", "t", "xx"):
        assert torch.allclose(g_c[s], g_e[s], atol=1e-10, rtol=0)


def test_compiled_engine_stays_eager_until_safe(points64):
    """The compiled propagation is used only after a call without a missing pair and
    never after reverse mode ran through a jet (torch cannot differentiate it twice)."""
    model = MLP(2, 1, 6, 2, seed=0).double()
    wrapped = Taylor(compiled=True).wrap(model)
    wrapped._compiled_fn = None  # would fail if used; the flags decide, nothing is compiled here
    D = Derivatives(points64, ("x", "t"))
    u = wrapped(points64)  # first call: eager (the pairs are unknown)
    D(u, "xx")  # missing: reverse mode once, pair recorded
    assert wrapped.pairs == [(0, 0)] and not wrapped.eager_only
    u = wrapped(points64)  # eager again: the previous call missed a pair
    D = Derivatives(points64, ("x", "t"))
    D(u * u, "x")  # reverse mode through the jet
    assert wrapped.eager_only
    u = wrapped(points64)  # still eager (a compiled call would raise: _compiled_fn is None)
    assert jet_of(u, points64).pairs == ((0, 0),)
