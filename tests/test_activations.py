"""Trainable activations (Wavelet of PINNsFormer, Cauchy of XNet): values, Taylor rules
against autograd of the same network to round-off (float64), gradients reaching their
parameters through every engine, an explicit fused-engine fallback, and training moves them."""
from __future__ import annotations

import pytest
import torch

from pinnkit import RunConfig, zoo
from pinnkit.models import MLP, BatchedMLP, build_model
from pinnkit.models.activations import Cauchy, Wavelet
from pinnkit.models.engines import Autograd, Taylor, taylor_stages
from pinnkit.models.fused_jet import fused_propagate_jet
from pinnkit.models.jet_rules import activation_derivatives
from pinnkit.problems import Derivatives
from pinnkit.problems.jets import jet_of
from pinnkit.recipes import run

SPECS = ("x", "t", "xx", "xt", "tt")
PAIRS = ((0, 0), (0, 1), (1, 1))


def model_with(activation: str, seed: int = 3) -> MLP:
    """A float64 MLP whose activation parameters are moved off their initial values (1)."""
    m = MLP(2, 1, width=9, depth=3, activation=activation, seed=seed).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in m.net:
            for p in layer.parameters() if not isinstance(layer, torch.nn.Linear) else ():
                p.copy_(0.5 + torch.rand(p.shape, generator=g, dtype=p.dtype))
    return m


def test_values_match_the_published_formulas():
    x = torch.linspace(-3, 3, 41, dtype=torch.float64)
    w = Wavelet(w1=0.25, w2=-1.25).double()  # values exact in float32
    assert torch.allclose(w(x), 0.25 * torch.sin(x) - 1.25 * torch.cos(x), atol=1e-15, rtol=0)
    c = Cauchy(lambda1=0.75, lambda2=-0.5, d=1.5).double()
    assert torch.allclose(c(x), 0.75 * x / (x**2 + 2.25) - 0.5 / (x**2 + 2.25), atol=1e-15, rtol=0)
    per_neuron = Cauchy(features=4)
    assert per_neuron.d.shape == (4,) and per_neuron(torch.zeros(5, 4)).shape == (5, 4)


@pytest.mark.parametrize("kind, module", [("wavelet", Wavelet(w1=0.8, w2=1.3)),
                                          ("cauchy", Cauchy(lambda1=0.6, lambda2=1.4, d=0.7))])
def test_rule_derivatives_match_autograd(kind, module):
    z = torch.linspace(-4, 4, 81, dtype=torch.float64, requires_grad=True)
    module = module.double()
    y = module(z)
    d1 = torch.autograd.grad(y.sum(), z, create_graph=True)[0]
    d2 = torch.autograd.grad(d1.sum(), z)[0]
    v, s1, s2 = activation_derivatives(kind, z.detach(), module.jet_params())
    for got, want in ((v, y), (s1, d1), (s2, d2)):
        assert torch.allclose(got, want.detach(), atol=1e-13, rtol=0)
    with pytest.raises(ValueError, match="needs"):
        activation_derivatives(kind, z.detach(), ())


def _derivatives(engine, model, x):
    wrapped = engine.wrap(model)
    u = wrapped(x)
    u = wrapped(x)  # the second call: the pairs are known (a fused engine would take over here)
    D = Derivatives(x, ("x", "t"))
    return u, {s: D(u, s) for s in SPECS}


@pytest.mark.parametrize("activation", ["wavelet", "cauchy"])
@pytest.mark.parametrize("engine", ["taylor", "taylor-fused"])
def test_taylor_engines_match_autograd_to_round_off(points64, activation, engine):
    model = model_with(activation)
    eng = Taylor(pairs=PAIRS, fused=engine == "taylor-fused")
    ua, ga = _derivatives(Autograd(), model, points64)
    ut, gt = _derivatives(eng, model, points64)
    assert jet_of(ut, points64) is not None  # the jet computed them, not a silent reverse-mode pass
    assert torch.allclose(ua, ut, atol=1e-13, rtol=0)
    for s in SPECS:
        scale = max(1.0, ga[s].abs().max().item())
        assert (ga[s] - gt[s]).abs().max().item() <= 1e-11 * scale, s


@pytest.mark.parametrize("activation", ["wavelet", "cauchy"])
def test_residual_gradient_reaches_activation_parameters_identically(points64, activation):
    grads = {}
    for name, eng in (("autograd", Autograd()), ("taylor", Taylor(pairs=PAIRS))):
        model = model_with(activation)
        _, g = _derivatives(eng, model, points64)
        loss = ((g["t"] - 0.1 * g["xx"] + g["xt"]) ** 2).mean()
        loss.backward()
        act = [p.grad.clone() for layer in model.net if not isinstance(layer, torch.nn.Linear)
               for p in layer.parameters()]
        assert act and all(a.abs().sum() > 0 for a in act)
        # the output bias gets no gradient: the residual holds derivatives of u only
        grads[name] = torch.cat([p.grad.reshape(-1) for p in model.parameters() if p.grad is not None])
    assert torch.allclose(grads["autograd"], grads["taylor"], atol=1e-11, rtol=0)


def test_fused_engine_falls_back_explicitly():
    model = model_with("cauchy")
    fused = Taylor(fused=True)
    assert fused.describe(model).startswith("taylor (taylor-fused has no hand-written reverse pass")
    assert not fused.wrap(model).fused
    assert Taylor(fused=True).describe(MLP(2, 1, 8, 2).double()) == "taylor-fused"
    with pytest.raises(ValueError, match="trainable parameters"):
        fused_propagate_jet(taylor_stages(model), torch.zeros(3, 2, dtype=torch.float64), ((0, 0),))


def test_stages_carry_the_live_parameters():
    model = MLP(2, 1, 6, 2, activation="wavelet")
    acts = [s for s in taylor_stages(model) if s[0] == "act"]
    assert len(acts) == 2 and all(s[1] == "wavelet" for s in acts)
    assert acts[0][2][0] is model.net[1].w1  # the module's own tensors, so training reaches them


def test_ensembles_refuse_trainable_activations():
    with pytest.raises(ValueError, match="trainable parameters"):
        BatchedMLP([MLP(2, 1, 6, 2, activation="cauchy", seed=s) for s in range(2)])


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="d must be nonzero"):
        Cauchy(d=0.0)
    with pytest.raises(ValueError, match="features"):
        Wavelet(features=0)
    with pytest.raises(ValueError, match="cauchy"):
        MLP(2, 1, activation="xnet")


@pytest.mark.parametrize("activation", ["wavelet", "cauchy"])
def test_training_moves_the_learnable_weights_and_records_the_engine(activation):
    cfg = RunConfig(problem="poisson1d", activation=activation, width=16, depth=2, steps=150, num_points=128,
                    condition_points=16, eval_every=150, lr=5e-3, engine="taylor-fused", threads=1)
    result = run(cfg, progress=False)
    act = [m for m in result.model.net if not isinstance(m, torch.nn.Linear)]
    start = type(act[0])()
    moved = [float((p - q).detach().abs().max()) for m in act for p, q in zip(m.parameters(), start.parameters())]
    assert min(moved) > 1e-3, moved  # every trainable activation parameter left its initial value 1
    assert result.history.meta["engine"].startswith("taylor (taylor-fused")
    rows = result.history.rows
    assert rows[-1]["loss"] < 0.2 * rows[0]["loss"]
