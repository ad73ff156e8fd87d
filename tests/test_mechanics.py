"""The mechanical initial-value problems: references against their own equations and each
other, energy conservation, the initial-value transform, the energy-drift metric, the
symplectic Euler comparison and a short training run."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit import RunConfig, zoo
from pinnkit.models import build_model
from pinnkit.problems.zoo import mechanics as M
from pinnkit.recipes import build
from pinnkit.training import Evaluator
from pinnkit.training.evaluate import predict
from pinnkit.training.strategies import window_problem

torch.set_num_threads(1)
F64 = torch.float64
NAMES = ["free_particle", "gravity", "pendulum", "henon_heiles"]


class _FD4(torch.autograd.Function):
    """``ref(t)`` whose time derivative is the fourth-order central difference of step h."""

    @staticmethod
    def forward(ctx, t, ref, h):
        ctx.save_for_backward(t)
        ctx.ref, ctx.h = ref, h
        return torch.as_tensor(ref(t.detach().numpy()), dtype=t.dtype)

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        T, h = t.detach().numpy(), ctx.h
        f = lambda s: ctx.ref(T + s)  # noqa: E731
        d = (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)
        return (torch.as_tensor(d, dtype=g.dtype) * g).sum(1, keepdim=True), None, None


def _fd4_model(problem, h=2.5e-3):
    return lambda x: _FD4.apply(x, problem.reference_on, h)


def _inside(problem, n=400, seed=0):
    T = problem.domain.high[0]
    return torch.as_tensor(np.random.default_rng(seed).uniform(0.05, T - 0.05, (n, 1)), dtype=F64)


@pytest.mark.parametrize("name", NAMES)
def test_reference_solves_hamiltons_equations(name):
    """The problem's own residual on the reference, with 4th-order differences in t: at
    the level of h⁴ f⁽⁵⁾/30 and round-off over h (≈ 1e-9), and not for the equations of a neighbour."""
    p = zoo.get(name)
    x = _inside(p)
    r = [p.pde_residual(_fd4_model(p, h), x, p.values).abs().max().item() for h in (1e-2, 5e-3, 1.25e-3)]
    assert r[2] < 1e-8, r  # measured: 2e-9 (pendulum), 1e-10 (Hénon–Heiles), 1e-12 (closed forms)
    if name == "pendulum":  # truncation dominates: the 4th order shows (16× per halving)
        assert 12 < r[0] / r[1] < 20, r
    k, v = {"free_particle": ("m", 1.1), "gravity": ("g", 10.5), "pendulum": ("g", 10.5),
            "henon_heiles": (None, None)}[name]
    if k is None:  # no parameter in Hénon–Heiles' equation: a perturbed trajectory instead
        wrong = lambda x: _fd4_model(p)(x) * 1.01  # noqa: E731
        assert p.pde_residual(wrong, x, p.values).abs().max().item() > 1e-3
    else:
        assert p.pde_residual(_fd4_model(p), x, {**p.values, k: v}).abs().max().item() > 1e-2


@pytest.mark.parametrize("name", NAMES)
def test_reference_conserves_energy(name):
    p = zoo.get(name)
    x = p.test_grid()
    E = M.energy(p, p.reference_on(x))
    assert M.energy_drift(E) < 1e-10  # measured: 0 and 8e-16 (closed forms), 7e-12, 2e-11 (DOP853)
    # the metric of the problem on the reference itself
    assert p.metrics["energy_drift"](x, p.reference_on(x)) < 1e-10


def test_pendulum_elliptic_closed_form_matches_solve_ivp():
    for theta0, g, L in [(2.0, 9.81, 1.0), (0.3, 1.0, 2.0), (-3.0, 4.0, 0.5)]:
        p = zoo.get("pendulum", theta0=theta0, g=g, length=L, T=10.0)
        t = np.linspace(0, 10, 777)
        closed = M.pendulum_exact(t, g, L, theta0)
        assert np.abs(closed - p.reference_on(t[:, None])).max() < 5e-9, theta0
    # and the small-angle limit is the harmonic oscillator
    t = np.linspace(0, 5, 101)
    small = M.pendulum_exact(t, 1.0, 1.0, 1e-4)
    assert np.abs(small[:, 0] - 1e-4 * np.cos(t)).max() < 1e-11


@pytest.mark.parametrize("name, rhs", [
    ("free_particle", lambda t, s: np.array([s[1] / 1.0, 0.0])),
    ("gravity", lambda t, s: np.array([s[2], s[3], 0.0, -9.81])),
])
def test_closed_forms_match_solve_ivp(name, rhs):
    p = zoo.get(name)
    x = p.test_grid()
    u0 = p.reference_on(x[:1])[0]
    num = M.ivp_reference(rhs, u0, p.domain.high[0])(x)
    assert np.abs(num - p.reference_on(x)).max() < 1e-9


@pytest.mark.parametrize("name", NAMES)
def test_hard_transform_holds_the_initial_state_exactly(name):
    p = zoo.get(name)
    model = build_model(p, 16, 2, "sin", seed=3, hard=True).double()
    t = torch.tensor([[0.0], [0.37]], dtype=F64)  # (not the middle of a box scaled to [-1, 1]: a zero-bias sin net is 0 there)
    u = model(t).detach().numpy()
    u0 = p.reference_on(np.zeros((1, 1)))[0]
    assert np.abs(u[0] - u0).max() < 1e-14
    assert np.abs(u[1] - u0).max() > 1e-3  # the network moves it afterwards
    assert set(model.satisfies) == set(p.conditions)


def test_window_transform_restarts_from_the_previous_window():
    p = zoo.get("henon_heiles")
    first = build_model(window_problem(p, 0.0, 5.0), 16, 2, "sin", seed=1, hard=True).double()
    wp = window_problem(p, 5.0, 10.0, previous=first)
    assert wp.hard_satisfies == p.hard_satisfies and wp.hard.t0 == 5.0
    second = build_model(wp, 16, 2, "sin", seed=2, hard=True).double()
    t = torch.tensor([[5.0]], dtype=F64)
    assert torch.allclose(second(t), first(t), rtol=0, atol=1e-14)
    assert not torch.allclose(second(t + 1), first(t + 1), atol=1e-3)


def test_energy_drift_of_a_known_history():
    t = np.linspace(0, 2 * np.pi, 2001)  # holds π/2, where sin peaks
    E = 0.5 * (1 + 0.01 * np.sin(t))
    assert M.energy_drift(E) == pytest.approx(0.01, rel=1e-12)
    assert M.energy_drift(E, E0=0.5 * 1.02) == pytest.approx(0.03 / 1.02, rel=1e-12)  # min at 3π/2: 0.99
    assert M.energy_drift(np.array([1.0, np.nan])) == math.inf
    with pytest.raises(ValueError, match="E0"):
        M.energy_drift(np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        M.energy_drift(np.array([]))


def test_energy_drift_metric_is_recorded_by_the_evaluator():
    p = zoo.get("henon_heiles", T=3.0)
    model = build_model(p, 8, 2, "tanh", seed=0).double()
    out = Evaluator(p)(model)
    E = M.energy(p, predict(model, p.test_grid()))
    E0 = M.energy(p, p.reference_on(np.zeros((1, 1))))[0]
    assert out["energy_drift"] == pytest.approx(M.energy_drift(E, E0), rel=1e-12)
    assert out["energy_drift"] > 1e-2  # an untrained network does not conserve E


def test_symplectic_euler_is_first_order_with_bounded_energy_error():
    p = zoo.get("pendulum", g=1.0, theta0=1.0, T=20.0)
    errs, drifts = [], []
    for n in (2000, 4000):
        t, U = M.symplectic_euler(p, n)
        errs.append(np.abs(U - p.reference_on(t[:, None])).max())
        drifts.append(M.energy_drift(M.energy(p, U)))
    assert 1.8 < errs[0] / errs[1] < 2.2 and 1.8 < drifts[0] / drifts[1] < 2.2, (errs, drifts)
    # symplectic: the energy error oscillates instead of growing — the drift over [0, 20] is that
    # over its first period (T ≈ 6.7) to within 10 %
    t, U = M.symplectic_euler(p, 2000)
    E = M.energy(p, U)
    first = M.energy_drift(E[t <= 6.8])
    assert drifts[0] < 1.1 * first
    # explicit Euler on the same grid gains energy steadily (the contrast)
    q, w, h, Es = 1.0, 0.0, 20.0 / 2000, []
    for _ in range(2000):
        q, w = q + h * w, w - h * math.sin(q)
        Es.append(w * w / 2 + 1 - math.cos(q))
    assert Es[-1] > Es[len(Es) // 4] > E[0]


def test_short_pendulum_training_reaches_its_error():
    """500 Adam steps and 300 L-BFGS iterations of a sin network with the hard initial state
    over one swing-and-back of θ0 = 1 (T = 6, the period is 6.7): rel L2 below 5e-3 and
    energy drift below 1e-2 (measured 7.4e-4 and 1.7e-3); an untrained one is far off."""
    c = RunConfig(problem="pendulum", parameters={"g": 1.0, "theta0": 1.0, "T": 6.0}, activation="sin", hard=True,
                  width=32, depth=2, scale_inputs=False, sampler="uniform", num_points=200, steps=500,
                  optimizer="adam+lbfgs", lbfgs_steps=300, lr=5e-3,
                  optimizer_options={"decay_rate": 0.1, "decay_steps": 500}, eval_every=250, threads=1)
    h = build(c).train(progress=False)
    assert h.final["metric/rel_l2"] < 5e-3 and h.final["metric/energy_drift"] < 1e-2, h.final
    s, e = h.where("metric/rel_l2")
    assert e[0] > 0.5  # the first evaluation (step 0 or the first logged one) was far from the reference


@pytest.mark.parametrize("name, kw, word", [
    ("henon_heiles", {"px0": 0.5}, "energy"),
    ("henon_heiles", {"y0": -0.6}, "triangle"),
    ("henon_heiles", {"x0": 0.9, "y0": 0.0, "px0": 0.0, "py0": 0.0}, "triangle"),
    ("henon_heiles", {"T": 0.0}, r"\bT\b"),
    ("pendulum", {"length": 0.0}, r"\blength\b"),
    ("pendulum", {"theta0": math.nan}, r"\btheta0\b"),
    ("free_particle", {"m": -1.0}, r"\bm\b"),
    ("gravity", {"g": -9.81}, r"\bg\b"),
])
def test_bad_parameters_raise_naming_them(name, kw, word):
    with pytest.raises(ValueError, match=word):
        zoo.get(name, **kw)


def test_bad_arguments_of_the_helpers():
    with pytest.raises(ValueError, match="theta0"):
        M.pendulum_exact(np.zeros(2), 1.0, 1.0, math.pi)
    with pytest.raises(ValueError, match="steps"):
        M.symplectic_euler(zoo.get("pendulum"), 0)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        M.energy(zoo.get("henon_heiles"), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not a mechanical problem"):
        M.energy(zoo.get("heat"), np.zeros((3, 1)))
