"""Vectorised ensembles: every member follows the trajectory of its own sequential run."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pinnkit import zoo
from pinnkit.models import MLP, build_model
from pinnkit.optim import adam, adam_then_lbfgs
from pinnkit.balancing import Static
from pinnkit.sampling import Sobol, Uniform
from pinnkit.training import train
from pinnkit.training.ensembles import BatchedMLP, ensemble_models, train_ensemble

KW = dict(sampler=Uniform(64), optimizer=adam(1e-2), steps=15, condition_points=12, eval_every=5,
          dtype="float64", progress=False, metrics=None)


def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def sequential(problem, seed, hard=False, **kw):
    model = build_model(problem, width=10, depth=2, seed=seed, hard=hard)
    h = train(problem, model, seed=seed, engine="autograd", **{**KW, **kw})
    return model, h


@pytest.mark.parametrize("hard", [False, True])
def test_seed_ensemble_matches_sequential_runs(hard):
    problem = zoo.get("heat")
    seeds = [3, 7, 11]
    models = ensemble_models(problem, seeds, width=10, depth=2, hard=hard)
    histories = train_ensemble(problem, models, seeds=seeds, **{**KW, "metrics": "auto"})
    assert len(histories) == 3
    for m, s in enumerate(seeds):
        ref_model, ref = sequential(problem, s, hard=hard, metrics="auto")
        got = histories[m]
        assert got.status == "completed" and got.meta["ensemble"] == {"member": m, "size": 3}
        assert np.allclose(got["loss"], ref["loss"], rtol=1e-12, atol=0)
        steps, errors = got.where("metric/rel_l2")
        assert list(steps) == [5, 10, 15]
        assert np.allclose(errors, ref.where("metric/rel_l2")[1], rtol=1e-10)
        assert np.isclose(got.final["metric/rel_l2"], ref.final["metric/rel_l2"], rtol=1e-10)
        assert torch.allclose(flat(models[m]), flat(ref_model), atol=1e-12, rtol=0)
    # members differ from each other (they are not one network copied)
    assert abs(histories[0].final["loss"] - histories[1].final["loss"]) > 1e-6


def test_parameter_ensemble_matches_sequential_runs():
    """Three viscosities of Burgers, one seed: each member solves its own equation."""
    problem = zoo.get("burgers")
    nus = [0.1, 0.03, 0.01]
    problems = [problem.with_parameters(nu=v) for v in nus]
    models = [build_model(p, width=10, depth=2, seed=0) for p in problems]
    histories = train_ensemble(problems, models, seeds=[0, 0, 0], **KW)
    for m, p in enumerate(problems):
        ref_model, ref = sequential(p, 0)
        assert histories[m].meta["parameters"] == {"nu": nus[m], "lambda1": 1.0}
        assert np.allclose(histories[m]["loss/residual"], ref["loss/residual"], rtol=1e-10, atol=1e-14)
        assert torch.allclose(flat(models[m]), flat(ref_model), atol=1e-12, rtol=0)
    assert histories[0]["loss/residual"][-1] != histories[2]["loss/residual"][-1]


def test_batched_mlp_evaluates_each_member_on_its_rows():
    members = [MLP(2, 1, 6, 2, seed=s, low=[-1, 0], high=[1, 1]).double() for s in range(4)]
    batched = BatchedMLP(members).double()
    x = torch.rand(4 * 9, 2, dtype=torch.float64)
    out = batched(x)
    want = torch.cat([members[m](x[9 * m: 9 * (m + 1)]) for m in range(4)])
    assert torch.allclose(out, want, atol=1e-14, rtol=0)
    with pytest.raises(ValueError, match="expects"):
        batched(torch.rand(7, 2, dtype=torch.float64))


def test_static_weights_are_applied_per_member():
    problem = zoo.get("burgers")
    models = ensemble_models(problem, [0, 1], width=8, depth=2)
    hs = train_ensemble(problem, models, balancer=Static({"initial": 5.0}), **{**KW, "steps": 3})
    h = hs[1]
    assert h["weight/initial"][0] == 5.0
    assert np.isclose(h["loss"][0], h["loss/residual"][0] + 5 * h["loss/initial"][0] + h["loss/left"][0]
                      + h["loss/right"][0], rtol=1e-12)


def test_bad_inputs_raise_clear_errors():
    problem = zoo.get("burgers")
    models = ensemble_models(problem, [0, 1], width=8, depth=2)
    with pytest.raises(ValueError, match="first-order optimizer"):
        train_ensemble(problem, models, optimizer=adam_then_lbfgs(2, 2), progress=False)
    with pytest.raises(ValueError, match="one architecture"):
        train_ensemble(problem, [models[0], build_model(problem, width=9, depth=2)], steps=2, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        train_ensemble(problem, models, seeds=[1], steps=2, progress=False)
    with pytest.raises(ValueError, match="resample"):
        train_ensemble(problem, models, sampler=Sobol(32, every=5), steps=2, progress=False)
    with pytest.raises(ValueError, match="problems"):
        train_ensemble([problem] * 3, models, steps=2, progress=False)
