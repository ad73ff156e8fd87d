"""Multi-stage networks (Wang & Lai, JCP 2024): the frequency rule, the model's derivatives
and its growth, and the strategy's defining property (each stage lowers the residue)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit import zoo
from pinnkit.models import build_model
from pinnkit.models.engines import get_engine
from pinnkit.models.multistage import (MultiStage, SineFirstLayer, dominant_frequency, kappa_rule, sign_changes,
                                       stage_network)
from pinnkit.problems.derivatives import gradient
from pinnkit.recipes import RunConfig, build
from pinnkit.training.multistage import MultiStageStrategy, normalised_problem, residue_profile

torch.set_num_threads(1)
F64 = torch.float64


@pytest.mark.parametrize("f", [3.0, 7.5, 20.0])
def test_frequency_rule_recovers_a_known_frequency(f):
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-1, 1, 3000))  # unordered, non-uniform points are allowed
    r = 1e-6 * (np.sin(2 * np.pi * f * x + 0.3) + 0.1 * np.sin(2 * np.pi * 0.5 * x))  # a tiny, low-frequency-tainted residue
    assert dominant_frequency(x, r, "fft") == pytest.approx(f, rel=0.05)
    assert dominant_frequency(x, r, "zeros") == pytest.approx(f, rel=0.1)
    n = sign_changes(r)
    assert abs(n - 2 * 2 * f) <= 2  # two zeros per period over a length of 2
    assert kappa_rule(x, r) == 3 * n  # the authors' rule
    assert kappa_rule(x, r, "fft") == pytest.approx(2 * np.pi * f, rel=0.05)


def test_frequency_rule_rejects_bad_profiles():
    with pytest.raises(ValueError, match="matching"):
        dominant_frequency(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        dominant_frequency(np.linspace(0, 1, 8), np.full(8, np.nan))
    with pytest.raises(ValueError, match="kappa rule"):
        kappa_rule(np.linspace(0, 1, 8), np.ones(8), "median")
    with pytest.raises(ValueError, match="kappa"):
        SineFirstLayer(1, 4, kappa=0.0)


def _two_stage(seed=0):
    m = MultiStage(1, 1, width=8, depth=3, seed=seed, low=[0.0], high=[2.0]).double()
    m.add_stage(1e-3, 12.0)
    with torch.no_grad():
        for p in m.parameters():  # move every weight off its initial value
            p.add_(0.1 * torch.randn_like(p))
    return m


def test_summed_model_is_the_scaled_sum_and_its_derivatives_match_autograd():
    m = _two_stage()
    x = torch.linspace(0.05, 1.95, 40, dtype=F64)[:, None].requires_grad_(True)
    u = m(x)
    parts = m.stage_outputs(x)
    assert torch.allclose(u, parts[0] + parts[1], rtol=0, atol=1e-15)
    # derivatives of the sum (autograd) = Σ ε_k × the stage's derivatives from the Taylor engine
    du, d2u = gradient(u, x), gradient(gradient(u, x), x)
    eng = get_engine("taylor")
    first = torch.zeros_like(du)
    second = torch.zeros_like(d2u)
    for k, s in enumerate(m.stages):
        assert eng.describe(s) == "taylor"  # a stage (sine first layer included) has Taylor stages
        xs = x.detach().clone().requires_grad_(True)
        v = eng.wrap(s)(xs)
        g1 = gradient(v, xs)
        g2 = gradient(g1, xs)
        first, second = first + m.scales[k] * g1, second + m.scales[k] * g2
    assert torch.allclose(du, first, rtol=1e-12, atol=1e-13)
    assert torch.allclose(d2u, second, rtol=1e-12, atol=1e-12)
    # closed form of the sine layer: d/dx sin(κ(w s(x) + b)) with s = x − 1
    layer = m.stages[1].embedding
    xs = x.detach().clone().requires_grad_(True)
    h = layer((xs - 1.0))
    k, w, b = layer.kappa, layer.linear.weight[:, 0], layer.linear.bias
    assert torch.allclose(gradient(h[:, :1], xs), k * w[0] * torch.cos(k * (w[0] * (xs - 1) + b[0])), atol=1e-13)
    # the sum itself describes no Taylor stages: the engines run it with reverse mode, and say so
    assert eng.describe(m).startswith("autograd")


def test_taylor_engine_matches_autograd_on_a_sine_stage():
    net = stage_network(1, 1, 10, 3, seed=1, kappa=25.0, low=[-1.0], high=[1.0]).double()
    x = torch.linspace(-0.9, 0.9, 30, dtype=F64)[:, None]
    p = zoo.get("poisson1d")
    ra = p.pde_residual(get_engine("autograd").wrap(net), x.clone().requires_grad_(True), p.values)
    rt = p.pde_residual(get_engine("taylor").wrap(net), x.clone().requires_grad_(True), p.values)
    assert torch.allclose(ra, rt, rtol=1e-12, atol=1e-10)


def test_add_stage_freezes_earlier_stages_and_state_dict_round_trips():
    m = _two_stage()
    assert [p.requires_grad for p in m.stages[0].parameters()] == [False] * len(list(m.stages[0].parameters()))
    assert all(p.requires_grad for p in m.stages[1].parameters())
    assert m.kappas == [None, 12.0] and m.scales.tolist() == [1.0, 1e-3]
    fresh = MultiStage(1, 1, width=8, depth=3, seed=5, low=[0.0], high=[2.0]).double()
    fresh.load_state_dict(m.state_dict())
    x = torch.rand(20, 1, dtype=F64) * 2
    assert fresh.num_stages == 2 and torch.equal(fresh(x), m(x))
    with pytest.raises(ValueError, match="scale"):
        m.add_stage(-1.0, 3.0)


def test_registered_and_built_from_a_config():
    net = build_model(zoo.get("regression1d"), width=6, depth=2, architecture="multistage")
    assert isinstance(net, MultiStage) and net.num_stages == 1
    with pytest.raises(ValueError, match="stages"):
        build(RunConfig(problem="regression1d", model="multistage", strategy="multistage",
                        strategy_options={"stages": 0}))
    with pytest.raises(ValueError, match="MultiStage"):
        build(RunConfig(problem="regression1d", model="mlp", strategy="multistage"))
    with pytest.raises(ValueError, match="stage_steps"):
        MultiStageStrategy(stages=2, stage_steps=[[10, 10]])


def test_normalised_problem_scales_residual_and_conditions():
    p = zoo.get("poisson1d")
    q = normalised_problem(p, 4.0, 0.5)
    net = build_model(p, width=6, depth=2).double()
    x = torch.rand(10, 1, dtype=F64)
    assert torch.allclose(q.pde_residual(net, x.clone().requires_grad_(True), q.values),
                          p.pde_residual(net, x.clone().requires_grad_(True), p.values) / 4.0)
    xb = torch.zeros(3, 1, dtype=F64)
    assert torch.allclose(q.conditions["left"].residual(net, xb, q.values),
                          p.conditions["left"].residual(net, xb, p.values) / 0.5)


def _rms(problem, model):
    return float(np.sqrt(np.mean(residue_profile(problem, model, 400)[1] ** 2)))


def test_each_stage_lowers_the_residue():
    """Three short stages on the authors' regression target in float64: the residue after
    each stage is far below the one before it."""
    c = RunConfig(problem="regression1d", parameters={"a": 0.1}, model="multistage", width=16, depth=3,
                  sampler="grid", num_points=400, optimizer="adam+lbfgs", steps=300, lbfgs_steps=400,
                  dtype="float64", eval_every=10_000, seed=1,
                  lbfgs_options={"tolerance_grad": 0.0, "tolerance_change": 0.0},
                  strategy="multistage", strategy_options={"stages": 3, "residue_points": 400})
    recipe = build(c)
    h = recipe.train(progress=False)
    stages = h.meta["stages"]
    assert [s["status"] for s in stages] == ["completed"] * 3
    rms = [s["residue_rms"] for s in stages[1:]] + [_rms(recipe.problem, recipe.model)]
    assert rms[1] < rms[0] / 10 and rms[2] < rms[1] / 3, rms
    errors = [s["final"]["metric/rel_l2"] for s in stages]
    assert errors[1] < errors[0] / 10 and errors[2] < errors[1], errors
    assert stages[1]["kappa"] > 0 and stages[1]["scale"] == pytest.approx(stages[1]["residue_rms"])
    assert h.final["metric/rel_l2"] == pytest.approx(errors[-1], rel=1e-6)
