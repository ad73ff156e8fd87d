"""Every setting the papers' experiments need is a field of RunConfig, and a configuration
trains what the same objects given to the library by hand train."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pinnkit import train, zoo
from pinnkit.balancing import Grouped, lra
from pinnkit.models import ModifiedMLP, PeriodicEmbedding, build_model
from pinnkit.optim import adam, lbfgs
from pinnkit.recipes import RunConfig, build, load_run, observations, run, save_run
from pinnkit.sampling import FixedPoints, Uniform
from pinnkit.training.strategies import curriculum, seq2seq

TINY = dict(width=10, depth=2, num_points=120, condition_points=24, eval_every=5, threads=1, sampler="uniform")


def params(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def test_curriculum_as_a_configuration_is_the_curriculum_function():
    cfg = RunConfig(problem="convection", parameters={"beta": 8.0}, optimizer="lbfgs", steps=6,
                    lbfgs_options={"tolerance_change": 1e-7}, scale_inputs=False, strategy="curriculum",
                    strategy_options={"parameter": "beta", "values": [2.0, 8.0]}, **TINY)
    r = run(cfg, progress=False)
    problem = zoo.get("convection", beta=8.0)
    model = build_model(problem, 10, 2, scale_inputs=False)
    hs = curriculum(problem, model, "beta", [2.0, 8.0], steps=6, sampler=Uniform(120), condition_points=24,
                    optimizer=lbfgs(tolerance_change=1e-7), eval_every=5, seed=0, progress=False)
    assert torch.equal(params(r.model), params(model))
    assert r.history.final["step"] == sum(h.final["step"] for h in hs)
    assert [m["beta"] for m in r.history.meta["rungs"]] == [2.0, 8.0]
    assert set(r.history["rung"]) == {0.0, 1.0}
    with pytest.raises(ValueError, match="must end at the run's beta = 8"):
        build(cfg.replace(strategy_options={"parameter": "beta", "values": [2.0, 5.0]}))


def test_seq2seq_as_a_configuration_is_the_seq2seq_function(tmp_path):
    cfg = RunConfig(problem="reaction", optimizer="adam", steps=8, strategy="seq2seq",
                    strategy_options={"windows": 3}, **TINY)
    r = run(cfg, progress=False)
    problem = zoo.get("reaction")
    ref = seq2seq(problem, lambda wp, k: build_model(wp, 10, 2), 3, steps_per_window=8, num_points=120,
                  optimizer=adam(), condition_points=24, eval_every=5, seed=0, progress=False)
    for a, b in zip(r.model.models, ref.models):
        assert torch.equal(params(a), params(b))
    assert len(r.history.meta["windows"]) == 3 and r.history.final["step"] == 24
    from pinnkit.training import Evaluator

    assert r.history.final["metric/rel_l2"] == pytest.approx(Evaluator(problem)(ref.model)["rel_l2"], rel=1e-12)
    save_run(tmp_path / "s", r)  # the stitched model saves and loads like any other
    back = load_run(tmp_path / "s")
    assert torch.equal(params(back.model), params(r.model))


def test_lbfgs_options_and_smooth_decay_reach_the_plan():
    plan = build(RunConfig(optimizer="adam+lbfgs", lbfgs_steps=5, optimizer_options={"decay_rate": 0.9,
                 "decay_steps": 100, "staircase": False}, lbfgs_options={"tolerance_change": 1e-7, "history_size": 10})).plan
    (a, _), (l, n) = plan
    assert a.options["staircase"] is False and l.options["tolerance_change"] == 1e-7 and l.options["history_size"] == 10
    opt = a.make([torch.nn.Parameter(torch.zeros(1))])
    sched = a.schedule(opt)
    for _ in range(50):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.9 ** 0.5, rel=1e-9)  # smooth: 0.9^(50/100)
    with pytest.raises(ValueError, match="bad L-BFGS options"):
        build(RunConfig(optimizer="lbfgs", lbfgs_options={"tolerance": 1}))
    with pytest.raises(ValueError, match="no L-BFGS phase"):
        build(RunConfig(optimizer="adam", lbfgs_options={"tolerance_change": 1e-7}))


def test_grouped_balancer_shares_one_weight():
    cfg = RunConfig(problem="helmholtz", balancer="lra", steps=3,
                    balancer_options={"groups": {"boundary": ["left", "right", "bottom", "top"]}}, **TINY)
    recipe = build(cfg)
    assert isinstance(recipe.balancer, Grouped)
    r = run(cfg, progress=False)
    row = r.history.rows[-1]
    assert len({row[f"weight/{e}"] for e in ("left", "right", "bottom", "top")}) == 1
    assert row["weight/left"] != 1.0 and row["weight/residual"] == 1.0
    # the group's λ is LRA's estimate for the summed boundary loss: max|∇L_r| / mean|∇(Σ L_edge)|
    problem = zoo.get("helmholtz")
    model = build_model(problem, 10, 2)
    h = train(problem, model, sampler=Uniform(120), condition_points=24, steps=1, progress=False,
              balancer=Grouped(lra(), {"boundary": ["left", "right", "bottom", "top"]}), seed=0)
    w = h.rows[0]["weight/left"]
    model = build_model(problem, 10, 2)
    from pinnkit.losses import loss_terms
    from pinnkit.training.loop import condition_point_sets

    rng = np.random.default_rng(0)
    pts = {"residual": torch.as_tensor(Uniform(120).sample(problem.domain, rng), dtype=torch.float32)}
    pts.update(condition_point_sets(problem, model, 24, rng, torch.float32))
    terms = loss_terms(problem, model, pts, problem.values)
    ps = list(model.parameters())
    g = lambda L: torch.cat([x.reshape(-1) for x in torch.autograd.grad(L, ps, retain_graph=True)])  # noqa: E731
    est = float(g(terms["residual"]).abs().max() / g(sum(terms[e] for e in ("left", "right", "bottom", "top"))).abs().mean())
    assert w == pytest.approx(0.1 * 1.0 + 0.9 * est, rel=1e-5)


def test_fixed_points_and_resampled_conditions():
    pts = np.random.default_rng(0).uniform([0.05, 0.05], [6.2, 0.95], size=(50, 2))
    cfg = RunConfig(problem="convection", sampler="fixed", num_points=50, sampler_options={"points": pts.tolist()},
                    resample_conditions=1, steps=3, **{k: v for k, v in TINY.items() if k not in ("num_points", "sampler")})
    seen = []

    from pinnkit.training import Callback

    class Look(Callback):
        def on_step_end(self, state):
            seen.append((state.points["residual"].clone(), state.points["initial"].clone()))

    run(cfg, progress=False, callbacks=[Look()])
    assert all(torch.equal(a, torch.as_tensor(pts, dtype=torch.float32)) for a, _ in seen)
    assert not torch.equal(seen[0][1], seen[1][1])  # fresh initial points each step
    with pytest.raises(ValueError, match="set num_points=50"):
        build(cfg.replace(num_points=10))
    with pytest.raises(ValueError, match="not inside the domain"):
        FixedPoints(1, points=[[7.0, 0.5]]).sample(zoo.get("convection").domain, None)


def test_architecture_and_periodic_embedding_as_settings():
    assert isinstance(build(RunConfig(problem="helmholtz", model="modified_mlp")).model, ModifiedMLP)
    m = build(RunConfig(problem="allen_cahn", model_options={"periodic": {"x": 4}})).model
    assert isinstance(m.embedding, PeriodicEmbedding) and m.satisfies == ("periodic",)
    x = torch.tensor([[-1.0, 0.3], [1.0, 0.3]], requires_grad=True)
    u = m(x)
    ux = torch.autograd.grad(u.sum(), x)[0][:, 0]
    assert torch.allclose(u[0], u[1], atol=1e-6) and torch.allclose(ux[0], ux[1], atol=1e-5)  # exactly periodic
    assert "periodic" not in build(RunConfig(problem="allen_cahn", model_options={"periodic": {"x": 4}})).terms
    with pytest.raises(ValueError, match="unknown model"):
        RunConfig(model="transformer")


def test_unknowns_and_data_identify_a_parameter():
    """The reaction rate ρ = 5 from 400 exact observations, trained as exp(s) from twice its
    value (measured: 4.60 after 800 Adam steps at lr 1e-2)."""
    cfg = RunConfig(problem="reaction", width=16, depth=3, num_points=500, condition_points=60, steps=800, lr=1e-2,
                    data={"points": 400}, unknowns={"rho": {"init": 10.0, "log": True}}, threads=1, eval_every=800)
    recipe = build(cfg)
    assert recipe.problem.unknowns == {"rho": 10.0} and recipe.problem.truth == {"rho": 5.0}
    assert "data" in recipe.terms and "rho" not in recipe.problem.parameters
    r = run(cfg, progress=False)
    rho = r.history.final["unknown/rho"]
    assert abs(rho - 5.0) < 5.0 / 3, rho  # moved most of the way from 10 toward the truth
    steps, values = r.history.where("unknown/rho")
    assert len(values) == 800 and values[0] == pytest.approx(10.0, rel=0.02)


def test_observations_are_reference_values_with_the_noise_asked_for():
    problem = zoo.get("burgers")
    x, y = observations(problem, 300, 0.0, seed=1)
    np.testing.assert_allclose(y, problem.reference_on(x))
    _, noisy = observations(problem, 300, 0.1, seed=1)
    ratio = np.std(noisy - y) / np.std(y)
    assert 0.08 < ratio < 0.12
    with pytest.raises(ValueError, match="outside the domain"):
        problem.with_data(np.array([[2.0, 0.5]]), np.array([[0.0]]))
    with pytest.raises(ValueError, match="no parameter"):
        problem.with_unknowns({"mu": 0.1})
