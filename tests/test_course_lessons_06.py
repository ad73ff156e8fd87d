"""The exercise checks and helpers of lesson 06 (loss imbalance and weighting): each check accepts the right answer,
refuses wrong ones with a hint of what to look at, and says "no answer yet" for the notebook's ``...``; the helpers
agree with the closed forms of the papers and with the weights pinnkit's balancers produce in a real step."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit.course import Result
from pinnkit.course import lesson06
from course_asserts import no_answer, right, wrong

G_R, G_B = [0.9, -0.3, 0.05], [0.01, -0.02, 0.03]


# --- the checks ----------------------------------------------------------------------------
def test_lra_estimate_check():
    right(lesson06.check_lra_estimate(45.0, G_R, G_B))  # 0.9 / mean(0.01, 0.02, 0.03)
    right(lesson06.check_lra_estimate(2.0 / 0.5, [2.0, 1.0], [0.5, -0.5]))
    wrong(lesson06.check_lra_estimate(0.9 / 0.03, G_R, G_B), "mean of the |entries|")  # max / max
    wrong(lesson06.check_lra_estimate(0.9 / 0.06, G_R, G_B), "mean of the |entries|")  # the sum, not the mean
    wrong(lesson06.check_lra_estimate(0.9 / (sum(G_B) / 3), G_R, G_B), "absolute values")  # signed mean
    no_answer(lesson06.check_lra_estimate, G_R, G_B)


def test_lra_step_check():
    right(lesson06.check_lra_step(0.1 + 0.9 * 45.0, G_R, G_B))
    right(lesson06.check_lra_step(0.5 * 10 + 0.5 * 45.0, G_R, G_B, weight=10.0, alpha=0.5))
    wrong(lesson06.check_lra_step(0.9 + 0.1 * 45.0, G_R, G_B), "NEW estimate")  # the script's convention
    wrong(lesson06.check_lra_step(45.0, G_R, G_B), "(1 − α)·λ_old + α·λ̂")  # no moving average
    no_answer(lesson06.check_lra_step, G_R, G_B)


def test_grad_norm_check():
    norms = {"residual": 100.0, "boundary": 0.5}
    right(lesson06.check_grad_norm_weight(201.0, norms))
    right(lesson06.check_grad_norm_weight(1.005, norms, "residual"))
    wrong(lesson06.check_grad_norm_weight(200.0, norms), "sum of ALL")  # left its own norm out of the sum
    wrong(lesson06.check_grad_norm_weight(0.5 / 100.5, norms), "divided by this term's own norm")  # upside down
    no_answer(lesson06.check_grad_norm_weight, norms)
    with pytest.raises(ValueError, match="not among"):
        lesson06.check_grad_norm_weight(1.0, norms, "initial")


def test_rising_term_check():
    ntk = {"residual": [1.0002, 1.0004], "boundary": [4000.0, 2500.0]}  # falls over training but stays far above 1
    right(lesson06.check_rising_term("boundary", ntk))
    right(lesson06.check_rising_term(" Boundary", ntk))
    wrong(lesson06.check_rising_term("residual", ntk), "whose gradient is small")
    assert not lesson06.check_rising_term("initial", ntk).ok  # not a term
    no_answer(lesson06.check_rising_term, ntk)
    assert lesson06.rising_term({"residual": [1.0, 1.0], "boundary": [0.1, 0.1]}) == "residual"  # static ×0.1
    with pytest.raises(ValueError, match="no recorded weights"):
        lesson06.rising_term({})
    with pytest.raises(ValueError, match="positive trajectory"):
        lesson06.rising_term({"residual": []})


# --- the helpers against the closed forms ------------------------------------------------------
def test_helpers_meet_the_closed_forms():
    assert lesson06.lra_estimate(G_R, G_B) == pytest.approx(0.9 / 0.02, rel=1e-12)
    assert lesson06.lra_step(G_R, G_B, weight=3.0, alpha=0.9) == pytest.approx(0.1 * 3.0 + 0.9 * 45.0, rel=1e-12)
    w = lesson06.grad_norm_weights({"residual": 3.0, "initial": 1.0, "boundary": 0.25})
    assert w == pytest.approx({"residual": 4.25 / 3.0, "initial": 4.25, "boundary": 17.0}, rel=1e-12)
    # every weighted term then pulls with the same norm: λ_i ‖∇L_i‖ = Σ_j ‖∇L_j‖
    assert {n: w[n] * v for n, v in {"residual": 3.0, "initial": 1.0, "boundary": 0.25}.items()} == pytest.approx(
        {n: 4.25 for n in w})
    with pytest.raises(ValueError, match="same length"):
        lesson06.lra_estimate([1.0, 2.0], [1.0])


def _tiny_losses(seed=0):
    """A small network on helmholtz with real per-term losses (graphs kept), the four edges summed."""
    from pinnkit import zoo
    from pinnkit.losses import loss_terms
    from pinnkit.models import MLP

    torch.manual_seed(seed)
    problem = zoo.get("helmholtz")
    model = MLP(2, 1, width=8, depth=2)
    rng = np.random.default_rng(seed)
    pts = {"residual": torch.as_tensor(rng.uniform(-1, 1, (24, 2)), dtype=torch.float32)}
    pts.update({n: torch.as_tensor(c.sample(12, rng), dtype=torch.float32) for n, c in problem.conditions.items()})
    losses = loss_terms(problem, model, pts, problem.values)
    losses = {"residual": losses["residual"], "boundary": sum(losses[e] for e in lesson06.EDGES)}
    return problem, model, pts, losses


def test_checks_agree_with_the_balancers_on_a_real_network():
    """The weights the checks expect are the weights pinnkit's balancers give in a real step: the gradients of a
    small network's loss terms, taken by autograd through Context, against the lesson's helpers fed the same
    gradient vectors."""
    from pinnkit.balancing import Context, GradNorm, LearningRateAnnealing

    problem, model, pts, losses = _tiny_losses()
    params = list(model.parameters())
    ctx = Context(1, losses, params)
    g_r, g_b = ctx.grad("residual").tolist(), ctx.grad("boundary").tolist()
    lra = LearningRateAnnealing("paper", every=1)
    w, _ = lra.update({"residual": 1.0, "boundary": 1.0}, lra.init(["residual", "boundary"]), ctx)
    assert w["residual"] == 1.0
    assert w["boundary"] == pytest.approx(lesson06.lra_step(g_r, g_b, weight=1.0, alpha=0.9), rel=1e-5)
    right(lesson06.check_lra_step(w["boundary"], g_r, g_b))
    right(lesson06.check_lra_estimate((w["boundary"] - 0.1) / 0.9, g_r, g_b))
    gn = GradNorm()
    w, _ = gn.update({"residual": 1.0, "boundary": 1.0}, gn.init(["residual", "boundary"]), ctx)
    norms = {"residual": float(np.linalg.norm(g_r)), "boundary": float(np.linalg.norm(g_b))}
    assert w == pytest.approx(lesson06.grad_norm_weights(norms), rel=1e-5)
    right(lesson06.check_grad_norm_weight(w["boundary"], norms))
    # the direction: on Helmholtz the boundary's gradient is the small one, and both schemes lift it
    assert norms["boundary"] < norms["residual"]
    assert w["boundary"] > 1 and lesson06.rising_term({n: [v] for n, v in w.items()}) == "boundary"


def test_gradient_norms_are_the_norms_of_the_weighted_gradients():
    from pinnkit.balancing import Context

    problem, model, pts, losses = _tiny_losses(1)
    ctx = Context(0, losses, list(model.parameters()))
    raw = lesson06.gradient_norms(problem, model, pts, groups={"boundary": list(lesson06.EDGES)})
    assert raw["residual"] == pytest.approx(float(ctx.grad("residual").norm()), rel=1e-5)
    assert raw["boundary"] == pytest.approx(float(ctx.grad("boundary").norm()), rel=1e-5)
    weighted = lesson06.gradient_norms(problem, model, pts, weights={e: 10.0 for e in lesson06.EDGES},
                                       groups={"boundary": list(lesson06.EDGES)})
    assert weighted["boundary"] == pytest.approx(10 * raw["boundary"], rel=1e-5)
    assert weighted["residual"] == pytest.approx(raw["residual"], rel=1e-6)
    each = lesson06.gradient_norms(problem, model, pts)
    assert set(each) == {"residual", *lesson06.EDGES}


def test_configs_select_the_balancers_they_name():
    from pinnkit import recipes
    from pinnkit.balancing import Grouped, LearningRateAnnealing, NTKWeights, Static

    assert lesson06.config("plain").balancer == "none"
    lra = recipes.build(lesson06.config("LRA (authors' script)", steps=2, width=8, depth=1))
    assert isinstance(lra.balancer, Grouped) and isinstance(lra.balancer.balancer, LearningRateAnnealing)
    assert lra.balancer.balancer.rule == "code" and lra.balancer.groups == {"boundary": list(lesson06.EDGES)}
    ntk = recipes.build(lesson06.config("NTK", steps=2, width=8, depth=1))
    assert isinstance(ntk.balancer.balancer, NTKWeights) and ntk.balancer.balancer.every == 100
    bad = recipes.build(lesson06.config("static ×0.1 (wrong way)", steps=2, width=8, depth=1))
    assert isinstance(bad.balancer, Static) and bad.balancer.scales == {e: 0.1 for e in lesson06.EDGES}
    with pytest.raises(ValueError, match="unknown method"):
        lesson06.config("lra")


def test_a_short_lra_run_records_a_rising_boundary_weight():
    """The recorded history of a real (short) run: weight/residual stays 1, weight/left rises above 1 — the
    direction the lesson reads off its runs."""
    from pinnkit import recipes

    run = recipes.build(lesson06.config("LRA (authors' script)", steps=40, width=8, depth=2, num_points=32,
                                        condition_points=16, eval_every=40))
    h = run.train(progress=False)
    _, w_r = h.where("weight/residual")
    _, w_b = h.where("weight/left")
    assert np.all(w_r == 1.0) and w_b[-1] > 1.0, (w_r[-1], w_b[-1])
    assert {h.last(f"weight/{e}") for e in lesson06.EDGES} == {w_b[-1]}  # one weight for the four edges
    assert lesson06.rising_term({"residual": w_r, "boundary": w_b}) == "boundary"
    assert math.isfinite(h.final["metric/rel_l2"])
