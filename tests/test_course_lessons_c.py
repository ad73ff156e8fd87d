"""The exercise checks and experiments of lessons 01–03: each check accepts the right answer, refuses
wrong ones with a hint of what to look at, and says "no answer yet" for the notebook's ``...``
placeholder; the lessons' helpers are tested against closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit.course import Result
from pinnkit.course import lesson01


# --- lesson 01 ---------------------------------------------------------------------------
def test_lesson01_checks():
    right(lesson01.check_second_derivative(-math.sin(1.0) * math.exp(-0.5)))
    right(lesson01.check_second_derivative(-math.sin(2.0), x=2.0, t=0.0))
    wrong(lesson01.check_second_derivative(math.sin(1.0) * math.exp(-0.5)), "the sign")  # sign lost
    wrong(lesson01.check_second_derivative(math.cos(1.0) * math.exp(-0.5)), "differentiate sin x twice")
    no_answer(lesson01.check_second_derivative)
    eps32 = float(np.finfo(np.float32).eps)
    right(lesson01.check_best_step(eps32 ** (1 / 3)))
    right(lesson01.check_best_step(5.6e-3))  # the measured bottom of the curve
    right(lesson01.check_best_step(np.finfo(np.float64).eps ** 0.25, dtype="float64", order=2))
    wrong(lesson01.check_best_step(eps32), "truncation h² equal")  # ε itself: deep in round-off
    wrong(lesson01.check_best_step(eps32 ** 0.5), "round-off")
    wrong(lesson01.check_best_step(-1.0), "factor of 3")
    assert not lesson01.check_best_step("small").ok
    no_answer(lesson01.check_best_step)
    right(lesson01.check_grad_calls(4))
    right(lesson01.check_grad_calls(2, order=2))
    wrong(lesson01.check_grad_calls(16), "count the calls")
    no_answer(lesson01.check_grad_calls)
    best = {"float32": 1e-5, "float64": 2e-11}
    right(lesson01.check_best_dtype("float64", best))
    right(lesson01.check_best_dtype(" Float64", best))
    wrong(lesson01.check_best_dtype("float32", best), "best error")
    assert not lesson01.check_best_dtype("float16", best).ok
    no_answer(lesson01.check_best_dtype, best)
    with pytest.raises(ValueError, match="no measured"):
        lesson01.check_best_dtype("float64", {})


def test_lesson01_closed_forms_agree_with_autograd():
    x = torch.rand(50, 2, dtype=torch.float64, requires_grad=True)
    u = lesson01.u_closed(x)
    (g,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    (gx,) = torch.autograd.grad(g[:, 0].sum(), x)
    exact = lesson01.u_closed_derivatives(x.detach())
    assert torch.allclose(g[:, :1], exact["x"], atol=1e-14) and torch.allclose(g[:, 1:], exact["t"], atol=1e-14)
    assert torch.allclose(gx[:, :1], exact["xx"], atol=1e-14) and torch.allclose(gx[:, 1:], exact["xt"], atol=1e-14)


def test_lesson01_finite_differences_have_the_textbook_orders():
    """Truncation: halving a large h quarters the error (O(h²)); round-off: float32's best error is
    near ε^(2/3) for u_x and far above float64's; the optimum step is near ε^(1/3)."""
    s = lesson01.fd_sweep([0.2, 0.1], "float64", order=1)
    assert s[0.1] / s[0.2] == pytest.approx(0.25, rel=0.05)
    s2 = lesson01.fd_sweep([0.2, 0.1], "float64", order=2)
    assert s2[0.1] / s2[0.2] == pytest.approx(0.25, rel=0.05)
    hs = [10.0 ** (-k / 4) for k in range(33)]
    for dt, k in (("float32", 1), ("float64", 1), ("float32", 2)):
        sweep = lesson01.fd_sweep(hs, dt, order=k)
        h, e = min(sweep.items(), key=lambda kv: kv[1])
        eps = lesson01.machine_epsilon(dt)
        assert eps ** (1 / (k + 2)) / 10 < h < eps ** (1 / (k + 2)) * 10, (dt, k, h)
        assert eps ** (2 / (k + 2)) / 30 < e < eps ** (2 / (k + 2)) * 30, (dt, k, e)
    with pytest.raises(ValueError, match="step h"):
        lesson01.fd_central(lesson01.u_closed, torch.zeros(3, 2), 0.0)
    with pytest.raises(ValueError, match="order"):
        lesson01.fd_central(lesson01.u_closed, torch.zeros(3, 2), 0.1, order=3)
    with pytest.raises(ValueError, match="dtype"):
        lesson01.fd_sweep([0.1], "float16")


def test_lesson01_network_derivatives_meet_their_closed_form():
    net, x, exact = lesson01.network_closed_form(width=8, seed=2, n=64)
    na = lesson01.nested_autograd(net, x, order=2)
    assert torch.allclose(na[1].detach(), exact["x"], atol=1e-13)
    assert torch.allclose(na[2].detach(), exact["xx"], atol=1e-13)
    for engine in ("taylor", "taylor-fused"):
        tj = lesson01.taylor_derivatives(net, x, engine)
        for s in ("x", "t", "xx", "xt", "tt"):
            assert torch.allclose(tj[s].detach(), exact[s], atol=1e-13), (engine, s)


def test_lesson01_cost_grows_with_the_order():
    model = lesson01.small_network(16, 2, dtype="float32")
    cost = lesson01.cost_per_order(model, lesson01._points(400, "float32"), max_order=3, repeats=3)
    assert list(cost) == [0, 1, 2, 3] and all(v > 0 for v in cost.values())
    assert cost[3] > cost[0], cost


# --- lesson 02 ---------------------------------------------------------------------------
from pinnkit.course import lesson02  # noqa: E402


def test_lesson02_checks():
    right(lesson02.check_hard_value(math.sin(math.pi / 4)))  # ½ sin(π) = 0
    right(lesson02.check_hard_value(math.sin(0.5 * math.pi) + 0.5 * math.sin(2 * math.pi), x=0.5))
    wrong(lesson02.check_hard_value(0.0), "t·x(1 − x) vanishes")  # thought the network term decides it
    no_answer(lesson02.check_hard_value)
    right(lesson02.check_terms(1))
    right(lesson02.check_terms(4, hard=False))
    wrong(lesson02.check_terms(4), "leaves the loss")
    wrong(lesson02.check_terms(3, hard=False), "count the residual")
    no_answer(lesson02.check_terms)
    right(lesson02.check_zero_error(1.0))
    wrong(lesson02.check_zero_error(0.0), "u_θ = 0")
    no_answer(lesson02.check_zero_error)
    errors = {"all terms (soft)": 5e-3, "no initial term": 1.0, "hard constraint": 7e-2}
    right(lesson02.check_best_variant("all terms (soft)", errors))
    wrong(lesson02.check_best_variant("hard constraint", errors), "rel L2")
    assert not lesson02.check_best_variant("soft", errors).ok
    no_answer(lesson02.check_best_variant, errors)


def test_lesson02_variants_build_the_losses_they_describe():
    """The three variants as pinnkit builds them: all terms; the initial term at weight 0; the residual alone
    with a transform that meets u0 at t = 0 and zero at both ends for any network."""
    from pinnkit import recipes

    assert lesson02.loss_terms(False) == ["residual", "initial", "left", "right"]
    assert lesson02.loss_terms(True) == ["residual"]
    soft = recipes.build(lesson02.config("all terms (soft)", steps=2, width=8, depth=1, num_points=16))
    assert soft.terms == ["residual", "initial", "left", "right"]
    dropped = lesson02.config("no initial term", steps=2)
    assert dropped.balancer == "static" and dropped.balancer_options == {"scales": {"initial": 0.0}}
    hard = recipes.build(lesson02.config("hard constraint", steps=2, width=8, depth=1, num_points=16))
    assert hard.terms == ["residual"]
    x = torch.rand(40, 2)
    edge = torch.cat([torch.stack([x[:, 0], torch.zeros(40)], 1), torch.tensor([[0.0, 0.3], [1.0, 0.7]])])
    with torch.no_grad():
        u = hard.model(edge)
    from pinnkit import zoo

    u0 = zoo.get("heat").conditions["initial"]
    expected = torch.sin(math.pi * edge[:40, :1]) + 0.5 * torch.sin(4 * math.pi * edge[:40, :1])
    assert torch.allclose(u[:40], expected, atol=1e-6) and torch.allclose(u[40:], torch.zeros(2, 1), atol=1e-6)
    with pytest.raises(ValueError, match="unknown variant"):
        lesson02.config("soft")


def test_lesson02_a_short_run_without_the_initial_term_drifts_to_zero():
    """Even 300 steps without the initial term: the error of u ≡ 0 (≈ 1), while the residual term is tiny."""
    from pinnkit import recipes

    run = recipes.build(lesson02.config("no initial term", steps=300, width=16, depth=2, num_points=200,
                                        condition_points=50, eval_every=300))
    h = run.train(progress=False)
    assert h.final["metric/rel_l2"] > 0.9, h.final
    assert h.final["loss/residual"] < 1e-2, h.final


# --- lesson 03 ---------------------------------------------------------------------------
from pinnkit.course import lesson03  # noqa: E402
from course_asserts import no_answer, right, wrong


def test_lesson03_checks():
    right(lesson03.check_epsilon_ratio(float(np.finfo(np.float32).eps / np.finfo(np.float64).eps)))
    wrong(lesson03.check_epsilon_ratio(2.0), "23 bits")  # "twice the bits"
    wrong(lesson03.check_epsilon_ratio(1e9), "ε = 2^−(bits)")
    no_answer(lesson03.check_epsilon_ratio)
    right(lesson03.check_tolerance_stop(1e-3))
    right(lesson03.check_tolerance_stop(1e-5, loss=1e-2, tolerance_change=1e-7))
    wrong(lesson03.check_tolerance_stop(1e-7), "divide by the loss")  # the absolute tolerance itself
    no_answer(lesson03.check_tolerance_stop)
    right(lesson03.check_total_steps(4000, 2000, 2000))
    wrong(lesson03.check_total_steps(2000, 2000, 2000), "after all the Adam steps")
    no_answer(lesson03.check_total_steps, 2000, 2000)
    errors = {"Adam only": 3e-4, "Adam → L-BFGS, float32": 7e-5, "Adam → L-BFGS, float64": 8e-6}
    right(lesson03.check_best_plan("Adam → L-BFGS, float64", errors))
    wrong(lesson03.check_best_plan("Adam only", errors), "rel L2")
    assert not lesson03.check_best_plan("L-BFGS", errors).ok
    no_answer(lesson03.check_best_plan, errors)
    with pytest.raises(ValueError, match="no measured"):
        lesson03.check_best_plan("Adam only", {})


def test_lesson03_plans_are_the_configurations_they_name():
    c = {p: lesson03.config(p, adam_steps=100, lbfgs_steps=50, problem="poisson1d") for p in lesson03.PLANS}
    assert c["Adam only"].optimizer == "adam" and c["Adam only"].steps == 150
    assert c["Adam → L-BFGS, float32"].optimizer == "adam+lbfgs" and c["Adam → L-BFGS, float32"].lbfgs_steps == 50
    assert c["Adam → L-BFGS, float64"].dtype == "float64"
    assert c["Adam → L-BFGS, float32, tolerance_change 1e-7"].lbfgs_options == {"tolerance_change": 1e-7}
    with pytest.raises(ValueError, match="unknown plan"):
        lesson03.config("SGD", adam_steps=1, lbfgs_steps=1)


def test_lesson03_lbfgs_stops_on_its_tolerance_and_says_why():
    """A huge tolerance_change stops L-BFGS after its first iterations; the recorded event names the rule,
    and the iterations used are the steps after Adam."""
    from pinnkit import recipes

    cfg = lesson03.config("Adam → L-BFGS, float32", adam_steps=50, lbfgs_steps=200, problem="poisson1d",
                          width=8, depth=2, num_points=32, condition_points=1, eval_every=50)
    h = recipes.build(cfg.replace(lbfgs_options={"tolerance_change": 1.0})).train(progress=False)
    used = lesson03.lbfgs_iterations(h, 50)
    assert 1 <= used < 200, used
    assert "tolerance_change" in lesson03.stop_reason(h), lesson03.stop_reason(h)
    plain = recipes.build(lesson03.config("Adam only", adam_steps=20, lbfgs_steps=0, problem="poisson1d", width=8,
                                          depth=1, num_points=16, condition_points=1)).train(progress=False)
    assert lesson03.stop_reason(plain) == "iteration budget"
