"""Gradient combination, MultiAdam and causal training as plain run settings
(``RunConfig.combine``, ``optimizer="multiadam"``, ``RunConfig.causal``/``causal_options``)."""
from __future__ import annotations

import pytest
import torch

from pinnkit import train
from pinnkit.combining import ConFIG, MomentumConFIG, MultiAdam, PCGrad
from pinnkit.losses import CausalResidual
from pinnkit.recipes import COMBINE_CHOICES, RunConfig, build, run

SMALL = dict(width=12, depth=2, num_points=150, condition_points=30, steps=15, eval_every=5)


def _direct(config, **extra):
    """``train`` called by hand on the objects ``build`` makes, with ``extra`` given directly."""
    r = build(config)
    h = train(r.problem, r.model, sampler=r.sampler, balancer=r.balancer, optimizer=r.plan,
              condition_points=config.condition_points, eval_every=config.eval_every, seed=config.seed,
              dtype=config.dtype, progress=False, **extra)
    return h, r.model


def _same_run(h1, m1, h2, m2):
    for a, b in zip(m1.parameters(), m2.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert h1.final["step"] == h2.final["step"]
    assert h1.final["loss"] == pytest.approx(h2.final["loss"], rel=1e-6)


# ------------------------------------------------------------------------------- keys

def test_keys_of_configurations_stored_before_the_new_settings_are_unchanged():
    # computed with the code before combine/causal existed (commit 29dcabb)
    assert RunConfig().key() == "d850c2e163b47a1e"
    old = RunConfig(problem="convection", parameters={"beta": 30.0}, steps=300, num_points=1000, balancer="static",
                    balancer_options={"weights": {"initial": 10.0}}, optimizer="adam+lbfgs", lbfgs_steps=50,
                    engine="forward")
    assert old.key() == "c6306826c8995808"
    # causal options alone do nothing (causal is off), so they leave the key alone too
    assert RunConfig(causal_options={"num_slices": 8}).key() == "d850c2e163b47a1e"
    # each new setting, once it acts, gives a key of its own
    keys = {RunConfig(combine="config").key(), RunConfig(combine="mconfig").key(), RunConfig(causal=True).key(),
            RunConfig(causal=True, causal_options={"num_slices": 8}).key(), RunConfig(optimizer="multiadam").key(),
            "d850c2e163b47a1e"}
    assert len(keys) == 6


# --------------------------------------------------------------------------- combine

@pytest.mark.parametrize("name,direct,optimizer,lr", [
    ("config", ConFIG, "adam", 1e-3),
    ("mconfig", MomentumConFIG, "sgd", 5e-3),
    ("pcgrad", lambda: PCGrad(seed=3), "adam", 1e-3),
])
def test_run_with_combine_is_train_with_that_combiner(name, direct, optimizer, lr):
    cfg = RunConfig(problem="burgers", combine=name, optimizer=optimizer, lr=lr, seed=3, **SMALL)
    r = run(cfg, progress=False)
    h, m = _direct(cfg, combine=direct())
    _same_run(r.history, r.model, h, m)
    assert r.history.meta["config"]["combine"] == name
    if name != "pcgrad":   # PCGrad is the plain sum while no pair of term gradients conflicts
        plain = run(RunConfig(**{**cfg.to_dict(), "combine": "none"}), progress=False)
        assert plain.history.final["loss"] != pytest.approx(r.history.final["loss"], rel=1e-4)   # the setting acts
    else:
        pc = build(cfg).combiner
        assert isinstance(pc, PCGrad) and pc.seed == cfg.seed


def test_multiadam_optimizer_is_sgd_with_the_multiadam_combiner():
    cfg = RunConfig(problem="poisson1d", optimizer="multiadam", balancer="static",
                    balancer_options={"scales": {"left": 100.0, "right": 100.0}}, **SMALL)
    r = run(cfg, progress=False)
    recipe = build(cfg)
    plan = recipe.plan
    assert [spec.name for spec, _ in plan] == ["sgd"] and plan[0][0].options["lr"] == 1e-3
    h, m = _direct(cfg, combine=MultiAdam())
    _same_run(r.history, r.model, h, m)
    assert isinstance(recipe.combiner, MultiAdam)


def test_bad_combination_settings_are_clear_errors():
    with pytest.raises(ValueError, match=r"combine='bogus'.*'none', 'pcgrad', 'config', 'mconfig'"):
        RunConfig(combine="bogus")
    with pytest.raises(ValueError, match="optimizer='multiadam'"):
        RunConfig(combine="multiadam")
    with pytest.raises(ValueError, match="unknown run settings"):
        RunConfig.from_dict({"combiner": "config"})
    with pytest.raises(ValueError, match="cannot be used with combine='config'"):
        run(RunConfig(problem="poisson1d", optimizer="multiadam", combine="config", **SMALL), progress=False)
    with pytest.raises(ValueError, match="unknown optimizer"):
        run(RunConfig(problem="poisson1d", optimizer="multi-adam", **SMALL), progress=False)
    assert COMBINE_CHOICES == ("none", "pcgrad", "config", "mconfig")


# ---------------------------------------------------------------------------- causal

def test_causal_run_trains_with_a_causal_residual_and_logs_its_weights():
    opts = {"num_slices": 8, "epsilons": [1.0, 10.0]}
    cfg = RunConfig(problem="burgers", causal=True, causal_options=opts, **SMALL)
    r = run(cfg, progress=False)
    rows = [row for row in r.history.rows if "causal/min_weight" in row]
    assert rows and rows[-1]["step"] == cfg.steps
    assert all(0 < row["causal/min_weight"] <= 1 for row in rows)
    assert {row["causal/epsilon"] for row in rows} <= {1.0, 10.0}
    recipe = build(cfg)
    problem = recipe.problem
    loss = recipe.make_residual_loss(problem)
    assert isinstance(loss, CausalResidual) and loss.num_slices == 8 and loss.epsilons == (1.0, 10.0)
    h, m = _direct(cfg, residual_loss=CausalResidual.for_problem(problem, **opts))
    _same_run(r.history, r.model, h, m)
    plain = run(RunConfig(**{**cfg.to_dict(), "causal": False}), progress=False)
    assert plain.history.final["loss"] != pytest.approx(r.history.final["loss"], rel=1e-6)
    assert not any("causal/min_weight" in row for row in plain.history.rows)


def test_bad_causal_settings_are_clear_errors():
    with pytest.raises(ValueError, match="causal=True needs a time-dependent problem; poisson1d"):
        run(RunConfig(problem="poisson1d", causal=True, **SMALL), progress=False)
    with pytest.raises(ValueError, match="not CausalResidual options"):
        run(RunConfig(problem="burgers", causal=True, causal_options={"slices": 8}, **SMALL), progress=False)
    with pytest.raises(ValueError, match="num_slices"):
        run(RunConfig(problem="burgers", causal=True, causal_options={"num_slices": 0}, **SMALL), progress=False)
    with pytest.raises(ValueError, match="causal must be True or False"):
        RunConfig(causal="yes")
    with pytest.raises(ValueError, match="causal_options must be a dict"):
        RunConfig(causal=True, causal_options=[8])
