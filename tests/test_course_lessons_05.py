"""Lesson 05, reading a failing run: each check accepts the right answer, refuses wrong ones
with a hint of what to look at and says "no answer yet" for ``...``; the helpers agree with
closed forms and with what the recorder stores during training."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from pinnkit import RunConfig
from pinnkit.course import Result
from pinnkit.course import lesson05 as L
from pinnkit.diagnostics import Recorder
from pinnkit.recipes import run
from course_asserts import no_answer, right, wrong

CONV = RunConfig(problem="convection", parameters={"beta": 30.0}, width=8, depth=2, sampler="uniform", num_points=64,
                 condition_points={"initial": 32, "periodic": 16}, steps=6, eval_every=3)


# --- helpers against closed forms ------------------------------------------------------------
def test_convection_residual_of_a_travelling_wave_is_closed_form():
    for beta, c, x, t in ((30.0, 2.0, 1.0, 0.25), (1.0, 1.0, 0.3, 0.7), (10.0, -3.0, 5.0, 0.1)):
        u = lambda X, c=c: torch.sin(X[:, :1] - c * X[:, 1:2])  # noqa: E731
        assert L.convection_residual(u, x, t, beta) == pytest.approx((beta - c) * math.cos(x - c * t), abs=1e-12)
    # the exact solution has no residual
    assert L.convection_residual(lambda X: torch.sin(X[:, :1] - 7.0 * X[:, 1:2]), 2.0, 0.5, 7.0) == \
        pytest.approx(0.0, abs=1e-12)


def test_gradient_ratio_and_first_time_above():
    assert L.gradient_ratio({"residual": 6.0, "initial": 2.0, "periodic": 1.0}) == 3.0
    assert L.gradient_ratio({"residual": 6.0, "periodic": 2.0}, denominator="periodic") == 3.0
    with pytest.raises(ValueError, match="no gradient norm of 'initial'"):
        L.gradient_ratio({"residual": 1.0})
    with pytest.raises(ValueError, match="positive"):
        L.gradient_ratio({"residual": 1.0, "initial": 0.0})
    t = np.linspace(0, 1, 11)
    assert L.first_time_above(t, t**2, 0.25) == pytest.approx(0.6)
    assert L.first_time_above(t, t, 2.0) == math.inf


def test_loss_drop_and_signature_betas():
    from pinnkit.training import History

    h = History()
    h.append(step=1, loss=10.0)
    h.append(step=2, loss=0.5)
    h.final = {"loss": 0.1}
    assert L.loss_drop(h) == pytest.approx(100.0)
    drops, errors = {1.0: 1e4, 10.0: 300.0, 30.0: 500.0}, {1.0: 0.01, 10.0: 0.6, 30.0: 0.9}
    assert L.signature_betas(drops, errors) == [10.0, 30.0]
    assert L.signature_betas(drops, errors, drop=400.0) == [30.0]
    with pytest.raises(ValueError, match="no logged loss"):
        L.loss_drop(History())


def test_gradient_norms_are_those_the_recorder_stores_in_training():
    """The helper's points are the run's own training points: at step 0 and at the end its
    norms equal the recorder's snapshot of the same model."""
    rec = Recorder(every=3, show_points=0)
    r = run(CONV, progress=False, callbacks=[rec])
    first, last = rec.snapshots[0], rec.snapshots[-1]
    assert first.step == 0 and last.step == CONV.steps
    at_init = L.gradient_norms(CONV)
    assert set(at_init) == {"residual", "initial", "periodic"}
    for k in at_init:
        assert at_init[k] == pytest.approx(first.grad_norms[k], rel=1e-5)
    at_end = L.gradient_norms(CONV, r.model, r.problem)
    for k in at_end:
        assert at_end[k] == pytest.approx(last.grad_norms[k], rel=1e-5)
    assert at_init["residual"] != pytest.approx(at_end["residual"], rel=1e-3)  # the model did change


def test_residual_gradient_grows_with_beta_at_initialisation():
    """∇θ L_r of R = u_t + β u_x is a quadratic A + βB + β²C in β: it grows like β² once β u_x
    dominates u_t (doubling β quadruples it); ∇θ L_ic does not depend on β."""
    with warnings.catch_warnings():  # β = 1000, 2000 lie outside the slider's range [0, 100], on purpose
        warnings.simplefilter("ignore")
        norms = {b: L.gradient_norms(CONV.replace(parameters={"beta": b})) for b in (1.0, 30.0, 1e3, 2e3)}
    assert norms[1.0]["initial"] == pytest.approx(norms[2e3]["initial"], rel=1e-6)
    assert norms[2e3]["residual"] / norms[1e3]["residual"] == pytest.approx(4.0, rel=0.01)
    assert norms[30.0]["residual"] > 3 * norms[1.0]["residual"]


def test_error_against_time_closed_form():
    """A model that is exactly the solution at t = 0 and zero after: e(0) = 0, e(t > 0) = 1."""
    from pinnkit.problems import zoo

    p = zoo.get("convection", beta=2.0)

    class Frozen(torch.nn.Module):  # sin(x) for all t: the error at t is |sin x − sin(x − 2t)| relative
        def forward(self, X):
            return torch.sin(X[:, :1])

    t, e = L.error_against_time(p, Frozen(), shape=(257, 11))
    assert e[0] == pytest.approx(0.0, abs=1e-6)
    # ‖sin x − sin(x − a)‖ / ‖sin(x − a)‖ = 2|sin(a/2)| over a full period, a = βt
    np.testing.assert_allclose(e, 2 * np.abs(np.sin(2.0 * t / 2)), atol=1e-2)


# --- the checks ------------------------------------------------------------------------------
def test_check_residual_at_point():
    right(L.check_residual_at_point(28 * math.cos(0.5)))
    right(L.check_residual_at_point(29 * math.cos(0.3), c=1.0, x=0.5, t=0.2))
    wrong(L.check_residual_at_point(30 * math.cos(0.5)), "u_t = −c cos")          # u_t forgotten
    wrong(L.check_residual_at_point(-28 * math.cos(0.5)), "add u_t and β u_x")    # sign
    no_answer(L.check_residual_at_point)


def test_check_gradient_ratio():
    norms = {"residual": 50.0, "initial": 2.0, "periodic": 4.0}
    right(L.check_gradient_ratio(25.0, norms))
    wrong(L.check_gradient_ratio(0.04, norms), "other way round")
    wrong(L.check_gradient_ratio(12.5, norms), "residual")   # divided by the periodic term
    no_answer(L.check_gradient_ratio, norms)


def test_check_error_time():
    t = np.linspace(0, 1, 101)
    e = np.minimum(1.0, 5 * t)  # crosses 0.5 at t = 0.1
    right(L.check_error_time(0.11, t, e))
    right(L.check_error_time(0.2, t, e, level=0.99))
    wrong(L.check_error_time(0.5, t, e), "error-against-t curve")
    no_answer(L.check_error_time, t, e)
    with pytest.raises(ValueError, match="never exceeds"):
        L.check_error_time(0.1, t, 0.1 * e)


def test_check_signature_beta():
    drops, errors = {1.0: 1e4, 10.0: 20.0, 30.0: 500.0}, {1.0: 0.01, 10.0: 0.6, 30.0: 0.9}
    right(L.check_signature_beta(30.0, drops, errors))
    right(L.check_signature_beta(30, drops, errors))
    wrong(L.check_signature_beta(10.0, drops, errors), "loss drop")   # error large but the loss barely fell
    wrong(L.check_signature_beta(1.0, drops, errors), "rel l2")
    assert not L.check_signature_beta(20.0, drops, errors).ok       # not a β of the sweep
    right(L.check_signature_beta(10.0, drops, errors, drop=10.0))
    no_answer(L.check_signature_beta, drops, errors)
    with pytest.raises(ValueError, match="no β of this sweep"):
        L.check_signature_beta(1.0, drops, {b: 0.1 for b in errors})
