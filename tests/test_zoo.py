"""The mathematics of the problem zoo.

For every zoo problem:
1. its reference satisfies its own PDE, through the problem's own ``residual``:
   - closed forms: autograd through the torch closed form that produces the reference,
     to round-off;
   - every problem: central finite differences of the numpy reference with step h; the
     residual is small and drops 4× when h halves (FD truncation dominates, so the
     reference itself is more accurate than the residual shows);
   - numerically solved references (Allen–Cahn, reaction–diffusion): the solvers
     converge at their order (ETDRK4: 4, Strang: 2; spectral in x) and their PDE
     residual on the native grid (spectral u_xx, central u_t) shrinks like h²;
2. it satisfies each named condition (and a perturbed reference does not);
3. bad parameters (NaN, ±inf, zero or negative where invalid) raise ValueError naming
   the parameter (hypothesis);
4. ``with_parameters`` regenerates a different reference (and the hard transforms
   satisfy the conditions they claim for any network output).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinnkit import zoo
from pinnkit.problems import GridReference
from pinnkit.problems.zoo.allen_cahn import allen_cahn_etdrk4
from pinnkit.problems.zoo.convection import convection_exact
from pinnkit.problems.zoo.heat import heat_exact
from pinnkit.problems.zoo.helmholtz import helmholtz_exact
from pinnkit.problems.zoo.mechanics import free_particle_exact, gravity_exact
from pinnkit.problems.zoo.poisson import poisson1d_exact, poisson2d_exact
from pinnkit.problems.zoo.poisson_nd import poisson_nd_exact
from pinnkit.problems.zoo.regression import regression1d_exact
from pinnkit.problems.zoo.reaction import reaction_diffusion_strang, reaction_exact
from pinnkit.problems.zoo.wave import wave_exact

torch.set_num_threads(1)
F64 = torch.float64

ZOO = zoo.names()  # every registered problem (a new one is tested without a change here)
NUMERIC = {"burgers", "reaction_diffusion", "allen_cahn"}


def _oscillator_torch(x, d, w0):
    """The damped oscillator's closed form re-implemented in torch (the module's is numpy)."""
    t = x[:, :1]
    if d < w0:
        w = math.sqrt(w0**2 - d**2)
        return torch.exp(-d * t) * (torch.cos(w * t) + d / w * torch.sin(w * t))
    if d == w0:
        return torch.exp(-d * t) * (1 + d * t)
    r1, r2 = -d + math.sqrt(d**2 - w0**2), -d - math.sqrt(d**2 - w0**2)
    a = -r2 / (r1 - r2)
    return a * torch.exp(r1 * t) + (1 - a) * torch.exp(r2 * t)


#: torch closed forms: (x: (N, d), parameter values) -> (N, 1)
EXACT = {
    "oscillator": lambda x, v: _oscillator_torch(x, v["d"], v["w0"]),
    "poisson1d": lambda x, v: poisson1d_exact(x, v["a"]),
    "poisson1d_multiscale": lambda x, v: poisson1d_exact(x, v["a"], v["amplitude"], base=True),
    "poisson2d": lambda x, v: poisson2d_exact(x, v["a1"], v["a2"]),
    "heat": lambda x, v: heat_exact(x, v["kappa"]),
    "convection": lambda x, v: convection_exact(x, v["beta"]),
    "reaction": lambda x, v: reaction_exact(x, v["rho"]),
    "wave": lambda x, v: wave_exact(x, v["c"]),
    "helmholtz": lambda x, v: helmholtz_exact(x, v["a1"], v["a2"]),
    "convection_lagrangian": lambda x, v: torch.sin(x[:, :1]),  # v(s, t) = sin s, for every β
    "regression1d": lambda x, v: regression1d_exact(x, v["a"]),
    "infinite_well": lambda x, v: math.sqrt(2) * torch.sin((v["level"] + 1) * math.pi * x[:, :1]),
    "poisson_nd": lambda x, v: poisson_nd_exact(x, v["k"]),
    "free_particle": lambda x, v: free_particle_exact(x, v["m"], v["x0"], v["v0"]),
    "gravity": lambda x, v: gravity_exact(x, v["g"], v["x0"], v["y0"], v["vx0"], v["vy0"]),
}


def pv(p):
    """The ``p`` of the true problem: parameter values and the true values of its unknowns
    (an eigenproblem's energy E)."""
    return {**p.values, **p.truth}


@pytest.fixture(scope="module")
def problems():
    """Default problems, built once so numerically solved references are solved once."""
    return {name: zoo.get(name) for name in ZOO}


def _interior(problem, n, margin, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = np.array(problem.domain.low), np.array(problem.domain.high)
    return torch.as_tensor(lo + margin + (hi - lo - 2 * margin) * rng.random((n, problem.domain.dim)), dtype=F64)


class _FD(torch.autograd.Function):
    """``fn(x)`` whose derivatives are central differences of step ``h``, nested to any
    order (the backward pass is built from ``_FD`` again, so autograd can differentiate
    it): every derivative the problem's residual asks for is a finite difference."""

    @staticmethod
    def forward(ctx, x, fn, h):
        ctx.save_for_backward(x)
        ctx.fn, ctx.h = fn, h
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        cols = []
        for i in range(x.shape[1]):
            e = torch.zeros(1, x.shape[1], dtype=x.dtype)
            e[0, i] = ctx.h
            cols.append((_FD.apply(x + e, ctx.fn, ctx.h) - _FD.apply(x - e, ctx.fn, ctx.h)) / (2 * ctx.h))
        # a k-output fn: each column of the input gradient sums its k partials against g
        return torch.cat([(c * g).sum(1, keepdim=True) for c in cols], 1), None, None


def fd_model(reference, h):
    """The numpy ``reference`` as a torch callable with finite-difference derivatives."""
    fn = lambda x: torch.as_tensor(reference(x.detach().numpy()), dtype=x.dtype).reshape(x.shape[0], -1)  # noqa: E731
    return lambda x: _FD.apply(x, fn, h)


def exact_model(name, values):
    return lambda x: EXACT[name](x, values)


# ---------------------------------------------------------------------------------------
# 1. the reference satisfies its own PDE
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXACT))
def test_closed_form_is_the_reference_and_solves_the_pde(name, problems):
    p = problems[name]
    x = _interior(p, 400, 0.0)
    assert np.allclose(EXACT[name](x, p.values).numpy(), p.reference_on(x.numpy()), rtol=0, atol=1e-12)
    r = p.pde_residual(exact_model(name, pv(p)), x, pv(p))
    assert r.abs().max().item() < 1e-9
    if name in SAME_REFERENCE:
        return
    # the same check fails for a solution of a neighbouring problem (first parameter +10 %)
    k = next(iter(p.values))
    wrong = {**p.values, k: p.values[k] * 1.1 if p.values[k] else 1.0}  # (an eigenstate's level 0 -> 1)
    assert p.pde_residual(exact_model(name, wrong), x, pv(p)).abs().max().item() > 1e-3


#: largest |residual| of the reference with FD step h = 1e-3 (about 3× what is measured;
#: each is small against the size of the equation's terms, e.g. convection |u_t| = β = 30)
FD_TOL = {
    "oscillator": 0.13, "poisson1d": 1e-4, "poisson1d_multiscale": 1.6, "poisson2d": 2e-4, "heat": 1.5e-3,
    "convection": 1.4e-2, "reaction": 1e-5, "reaction_diffusion": 7e-4, "burgers": 2.0, "allen_cahn": 1.6e-3,
    "wave": 0.15, "helmholtz": 2.5e-2,
    "convection_lagrangian": 1e-12,  # v = sin s does not depend on t: the FD residual v_t is exactly 0
    "regression1d": 1e-12,  # u − f has no derivative: the residual of the reference is exactly 0
    "infinite_well": 3e-4, "finite_well": 1e-4, "barrier": 6e-4,
    "free_particle": 1e-9, "gravity": 1e-9,  # polynomials of degree <= 2 in t: central differences are exact
    "pendulum": 2e-4, "henon_heiles": 1e-6,
    "legendre": 1.5e-5, "hypergeometric": 1.3e-2,  # (2F1(1, 1; 2; x) = −ln(1 − x)/x steepens towards x = 1)
    "poisson_nd": 1e-4,
    "duffing": 0.13,
}
#: references whose central differences are exact up to rounding (no h² to check)
FD_EXACT = {"free_particle", "gravity"}
#: where a potential jumps: ψ'' jumps there, so a difference quotient that straddles it is not
#: second order; the FD checks keep their points 0.02 away (both sides are checked)
JUMPS = {"finite_well": (-0.5, 0.5), "barrier": (0.4, 0.6)}


@pytest.mark.parametrize("name", ZOO)
def test_reference_fd_residual_is_small_and_second_order(name, problems):
    errs = _fd_errors(problems[name], 300, seed=1)
    assert errs[1] < FD_TOL[name]
    if errs[0] == errs[1] == 0.0 or name in FD_EXACT:  # the difference quotient is exact for this reference
        return
    assert 3.5 < errs[0] / errs[1] < 4.5, errs  # O(h²): the reference's own error is far smaller


def _fd_errors(p, n, seed, steps=(2e-3, 1e-3)):
    """max |residual| of the reference with each FD step at n interior points."""
    x = _interior(p, n, 0.02, seed=seed)
    for jump in JUMPS.get(p.name, ()):
        x = x[(x[:, 0] - jump).abs() > 0.02]
    return [p.pde_residual(fd_model(p.reference, h), x, pv(p)).abs().max().item() for h in steps]


class _Known:
    """A stand-in for :class:`Derivatives` returning given derivative fields."""

    def __init__(self, fields):
        self.fields = fields

    def __call__(self, u, spec):
        return self.fields[spec]


def _spectral_xx(U, period):
    n = U.shape[0]
    k = 2 * math.pi / period * np.fft.rfftfreq(n, 1.0 / n)
    return np.fft.irfft(-(k**2)[:, None] * np.fft.rfft(U, axis=0), n, axis=0)


def _native_residual(problem, solver, period, h, t0=0.5, **kw):
    """The problem's residual on the solver's grid at t0: spectral u_xx, central u_t."""
    K = round(t0 / h)
    x, _, U = solver(times=h * np.arange(K + 2), **kw)
    t = lambda a: torch.as_tensor(a[:, None], dtype=F64)  # noqa: E731
    fields = {"t": t((U[:, K + 1] - U[:, K - 1]) / (2 * h)), "xx": t(_spectral_xx(U[:, K : K + 1], period)[:, 0])}
    X = torch.as_tensor(np.column_stack([x, np.full_like(x, K * h)]), dtype=F64)
    return problem.residual(X, t(U[:, K]), _Known(fields), problem.values).abs().max().item()


def test_allen_cahn_native_residual_shrinks(problems):
    p = problems["allen_cahn"]
    v = p.values
    errs = [_native_residual(p, allen_cahn_etdrk4, 2.0, h, d=v["d"], gamma=v["gamma"], modes=1024)
            for h in (0.02, 0.01)]
    assert errs[1] < 2e-3 and 3.5 < errs[0] / errs[1] < 4.5, errs


def test_reaction_diffusion_native_residual_shrinks(problems):
    p = problems["reaction_diffusion"]
    v = p.values
    errs = [_native_residual(p, reaction_diffusion_strang, 2 * math.pi, h, nu=v["nu"], rho=v["rho"])
            for h in (0.02, 0.01)]
    assert errs[1] < 2e-2 and 3.5 < errs[0] / errs[1] < 4.5, errs


def test_allen_cahn_solver_converges_in_time_and_modes():
    times = np.array([0.0, 0.5, 1.0])
    fine = allen_cahn_etdrk4(modes=256, times=times, dt=0.05 / 16)[2]
    e = [np.abs(allen_cahn_etdrk4(modes=256, times=times, dt=dt)[2] - fine).max() for dt in (0.05, 0.025)]
    assert 12 < e[0] / e[1] < 22, e  # ETDRK4 is fourth order: 16×
    # modes: spectral once the interfaces (width ~ sqrt(2d/γ) = 0.006) are resolved (t = 1);
    # at early times the slope jump of the periodic x² cos πx at x = ±1 (decaying like
    # e^{-10t}) limits the rate to about k⁻²
    times = np.array([0.0, 0.05, 1.0])
    best = allen_cahn_etdrk4(modes=2048, times=times, dt=0.01)[2]
    e = np.array([np.abs(allen_cahn_etdrk4(modes=n, times=times, dt=0.01)[2] - best[:: 2048 // n]).max(0)
                  for n in (256, 512, 1024)])
    assert e[0, 2] > 1e-4 and e[1, 2] < e[0, 2] / 100 and e[2, 2] < 1e-8, e
    assert e[2, 1] < e[1, 1] / 3 and e[2, 1] < 2e-4, e


def test_reaction_diffusion_solver_converges_in_time_and_modes():
    times = np.array([0.0, 0.5, 1.0])
    fine = reaction_diffusion_strang(3.0, 5.0, modes=128, times=times, dt=0.02 / 16)[2]
    e = [np.abs(reaction_diffusion_strang(3.0, 5.0, modes=128, times=times, dt=dt)[2] - fine).max()
         for dt in (0.02, 0.01)]
    assert 3.5 < e[0] / e[1] < 4.5, e  # Strang splitting is second order
    # small ν keeps the slope jump of the periodic Gaussian at x = 0: algebraic (≈ k⁻²) decay
    best = reaction_diffusion_strang(0.01, 5.0, modes=1024, times=times, dt=0.01)[2]
    e = [np.abs(reaction_diffusion_strang(0.01, 5.0, modes=n, times=times, dt=0.01)[2] - best[:: 1024 // n]).max()
         for n in (128, 256)]
    assert e[1] < e[0] / 3 and e[1] < 1e-4, e


def _trig_interpolate(U, x0, period, xq):
    """The trigonometric interpolant of the columns of ``U: (n, nt)`` (values on
    ``x0 + period j / n``) at ``xq: (Q,)`` -> ``(Q, nt)``."""
    n = U.shape[0]
    c = np.fft.rfft(U, axis=0) / n
    k = np.arange(n // 2 + 1)
    w = np.where((k == 0) | (k == n // 2), 1.0, 2.0)
    return (np.exp(2j * np.pi * np.outer(xq - x0, k) / period) @ (w[:, None] * c)).real


@pytest.mark.parametrize("name, solver, x0, period, modes", [
    ("allen_cahn", allen_cahn_etdrk4, -1.0, 2.0, 1024),
    ("reaction_diffusion", reaction_diffusion_strang, 0.0, 2 * math.pi, 512),
])
def test_stored_reference_matches_the_solver_off_grid(name, solver, x0, period, modes, problems):
    """The stored grid (2× trigonometric refinement, bicubic spline, 401 times) against the
    solver's own trigonometric interpolant at random (x, t) off every grid."""
    p = problems[name]
    rng = np.random.default_rng(2)
    times = np.concatenate([[0.0], np.sort(rng.uniform(0.01, 1.0, 4))])
    xq = x0 + period * rng.random(200)
    U = solver(times=times, modes=modes, **p.values)[2]
    direct = _trig_interpolate(U, x0, period, xq)[:, 1:]
    X = np.stack(np.meshgrid(xq, times[1:], indexing="ij"), -1).reshape(-1, 2)
    err = np.abs(p.reference_on(X)[:, 0] - direct.ravel()).max()
    assert err < 1e-6, err  # measured: 4e-8 (Allen–Cahn), 2e-7 (reaction–diffusion)


# ---------------------------------------------------------------------------------------
# 2. conditions
# ---------------------------------------------------------------------------------------

#: every named condition of every zoo problem (a test below checks the list is complete)
CONDITIONS = {
    "oscillator": ["initial", "initial_velocity"], "poisson1d": ["left", "right"],
    "poisson1d_multiscale": ["left", "right"], "poisson2d": ["left", "right", "bottom", "top"],
    "heat": ["initial", "left", "right"], "convection": ["initial", "periodic"],
    "reaction": ["initial", "periodic"], "reaction_diffusion": ["initial", "periodic"],
    "burgers": ["initial", "left", "right"], "allen_cahn": ["initial", "periodic"],
    "wave": ["initial", "initial_velocity", "left", "right"], "helmholtz": ["left", "right", "bottom", "top"],
    "convection_lagrangian": ["initial", "periodic"],
    "infinite_well": ["left", "right", "normalisation"], "finite_well": ["left", "right", "normalisation"],
    "barrier": ["left", "right", "normalisation"],
    "free_particle": ["initial_x", "initial_p"], "gravity": ["initial_x", "initial_y", "initial_vx", "initial_vy"],
    "pendulum": ["initial_theta", "initial_omega"], "henon_heiles": ["initial_x", "initial_y", "initial_px", "initial_py"],
    "legendre": ["left", "right"], "hypergeometric": ["left", "regularity"],
    "poisson_nd": ["boundary"],
    "duffing": ["initial", "initial_velocity"],
}
CONDITION_CASES = [(n, c) for n, cs in CONDITIONS.items() for c in cs]


def test_condition_cases_cover_every_condition(problems):
    assert sorted(CONDITION_CASES) == sorted((n, c) for n in ZOO for c in problems[n].conditions)


COND_TOL = {"allen_cahn": 2e-5, "reaction_diffusion": 1e-6, "burgers": 1e-12, "finite_well": 1e-5, "barrier": 1e-5,
            "hypergeometric": 1.5e-6, "duffing": 2e-4}
# (hypergeometric: its indicial condition c y'(0) = ab y(0) through a central difference of step 1e-3
# of scipy's 2F1 across x = 0, whose truncation error c h² y'''(0)/6 is measured 5.0e-7;
# duffing's reference is solved numerically: u'(0) is a central difference of step 1e-3, whose
# truncation error h² u'''(0)/6 is 5.5e-5)
# (the wells' references are normalised by the trapezoid rule on the FD nodes; the condition integrates
# their cubic interpolant by Gauss–Legendre: measured |∫ψ² − 1| 3.0e-6 and 6.8e-7)


@pytest.mark.parametrize("name, cname", CONDITION_CASES)
def test_reference_satisfies_condition(name, cname, problems):
    p = problems[name]
    cond = p.conditions[cname]
    x = cond.sample(200, np.random.default_rng(3))
    h = 1e-3
    if name in NUMERIC:
        u = fd_model(p.reference, h)
        if p.domain.is_time_dependent and cname != "initial":  # FD in t stays inside [0, 1]
            x[:, -1] = np.clip(x[:, -1], 2 * h, 1 - 2 * h)
    elif name in EXACT:
        u = exact_model(name, p.values)
    else:  # a reference known on a grid (an eigenfunction by finite differences): its values only
        u = fd_model(p.reference, h)
    x = torch.as_tensor(x, dtype=F64)
    r = cond.residual(u, x, pv(p))
    rows = 1 if cond.rows == "one" else 200  # an integral condition: one row for all its nodes
    assert r.shape[0] == rows and r.abs().max().item() < COND_TOL.get(name, 1e-12)
    # ...and a perturbed reference violates it (non-zero on every edge, not periodic, u_t ≠ 0)
    bump = lambda x: 1e-2 * (5 + x[:, :1] + 0.5 * x[:, -1:])  # noqa: E731
    assert cond.residual(lambda x: u(x) + bump(x), x, pv(p)).abs().max().item() > 1e-3


# ---------------------------------------------------------------------------------------
# 3. bad parameters
# ---------------------------------------------------------------------------------------

#: parameter -> what is valid: "positive", "nonnegative" or "any" finite number
VALID = {
    "oscillator": {"d": "nonnegative", "w0": "positive"},
    "poisson1d": {"a": "positive"},
    "poisson1d_multiscale": {"a": "positive", "amplitude": "any"},
    "poisson2d": {"a1": "positive", "a2": "positive"},
    "heat": {"kappa": "positive"},
    "convection": {"beta": "any"},
    "reaction": {"rho": "nonnegative"},
    "reaction_diffusion": {"nu": "nonnegative", "rho": "nonnegative"},
    "burgers": {"nu": "positive", "lambda1": "nonnegative"},
    "allen_cahn": {"d": "positive", "gamma": "nonnegative"},
    "wave": {"c": "positive"},
    "helmholtz": {"a1": "positive", "a2": "positive", "k": "nonnegative"},
    "convection_lagrangian": {"beta": "any"},
    "regression1d": {"a": "positive"},
    "infinite_well": {"level": "level", "scale_invariance": "unit", "guess": "any"},
    "finite_well": {"depth": "nonnegative", "width": "positive", "level": "level", "scale_invariance": "unit",
                    "guess": "any"},
    "barrier": {"height": "nonnegative", "width": "positive", "level": "level", "scale_invariance": "unit",
                "guess": "any"},
    "free_particle": {"m": "positive", "x0": "any", "v0": "any", "T": "positive"},
    "gravity": {"g": "nonnegative", "x0": "any", "y0": "any", "vx0": "any", "vy0": "any", "T": "positive"},
    "pendulum": {"g": "positive", "length": "positive", "theta0": "any", "omega0": "any", "T": "positive"},
    "henon_heiles": {"x0": "any", "y0": "any", "px0": "any", "py0": "any", "T": "positive"},
    "legendre": {"n": "degree"},
    "hypergeometric": {"a": "any", "b": "any", "c": "any", "x_max": "unit"},
    "poisson_nd": {"k": "positive", "d": "dimension"},
    "duffing": {"d": "nonnegative", "w0": "positive", "eps": "nonnegative"},
}
CASES = [(n, k, kind) for n, params in VALID.items() for k, kind in params.items()]


def test_valid_table_lists_every_parameter(problems):
    assert {n: set(v) for n, v in VALID.items()} == {n: set(problems[n].parameters) for n in ZOO}


def _bad(kind):
    nonfinite = st.sampled_from([math.nan, math.inf, -math.inf])
    if kind == "positive":
        return st.one_of(nonfinite, st.floats(max_value=0.0, allow_nan=False, allow_infinity=False))
    if kind == "nonnegative":
        return st.one_of(nonfinite, st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False))
    if kind == "level":  # an eigenstate's index: an integer 0..4
        return st.one_of(nonfinite, st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
                         st.sampled_from([0.5, 1.25, 5.0, 17.0]))
    if kind == "degree":  # a polynomial degree: an integer >= 0 (no upper limit)
        return st.one_of(nonfinite, st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
                         st.sampled_from([0.5, 1.25, 2.5, 7.01]))
    if kind == "unit":
        return st.one_of(nonfinite, st.floats(max_value=-1e-300, allow_nan=False, allow_infinity=False),
                         st.floats(min_value=1.0 + 1e-9, max_value=1e6))
    if kind == "dimension":  # an integer >= 2
        return st.one_of(nonfinite, st.floats(max_value=1.99, allow_nan=False, allow_infinity=False),
                         st.sampled_from([2.5, 7.25]))
    return nonfinite


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CASES), data=st.data())
def test_bad_parameters_raise_naming_the_parameter(case, data):
    name, param, kind = case
    value = data.draw(_bad(kind))
    with pytest.raises(ValueError, match=rf"\b{param}\b"):
        zoo.get(name, **{param: value})


@pytest.mark.parametrize("value", [None, "1.0", [1.0], True])
def test_non_numbers_are_rejected(value):
    with pytest.raises(ValueError, match=r"\bbeta\b"):
        zoo.get("convection", beta=value)


def _good(kind):
    if kind == "positive":
        return st.floats(min_value=1e-2, max_value=30.0)
    if kind == "nonnegative":
        return st.floats(min_value=0.0, max_value=30.0)
    if kind == "level":
        return st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0])
    if kind == "unit":
        return st.floats(min_value=0.0, max_value=1.0)
    if kind == "dimension":
        return st.sampled_from([2.0, 3.0, 7.0, 30.0])
    return st.floats(min_value=-50.0, max_value=50.0)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from([c for c in CASES if c[0] in EXACT]), data=st.data())
def test_valid_parameters_give_solutions(case, data):
    """Any valid value builds a problem whose reference is finite and solves its PDE."""
    name, param, kind = case
    value = data.draw(_good(kind))
    p = zoo.get(name, **{param: value})
    x = _interior(p, 64, 0.0)
    assert np.all(np.isfinite(p.reference_on(x.numpy())))
    scale = 1 + max(abs(v) for v in p.values.values()) ** 3  # residual terms grow like (frequency)^2·u, β·u_x, ...
    assert p.pde_residual(exact_model(name, pv(p)), x, pv(p)).abs().max().item() < 1e-10 * scale


def test_log_scale_for_viscosities_and_diffusivities(problems):
    for name, k in [("heat", "kappa"), ("burgers", "nu"), ("reaction_diffusion", "nu"), ("allen_cahn", "d")]:
        par = problems[name].parameters[k]
        assert par.log and 0 < par.low <= par.value <= par.high


# ---------------------------------------------------------------------------------------
# 4. with_parameters, hard constraints, stored grids
# ---------------------------------------------------------------------------------------

NEW_VALUE = {
    "oscillator": ("d", 3.0), "poisson1d": ("a", 2.0), "poisson1d_multiscale": ("a", 10.0),
    "poisson2d": ("a1", 2.0), "heat": ("kappa", 0.3), "convection": ("beta", 10.0), "reaction": ("rho", 2.0),
    "reaction_diffusion": ("nu", 1.0), "burgers": ("nu", 0.05), "allen_cahn": ("d", 1e-3),
    "wave": ("c", 1.5),  # at c = 1 the leading FD errors of u_tt and u_xx cancel exactly
    "helmholtz": ("a1", 2.0),
    "convection_lagrangian": ("beta", 10.0),
    "regression1d": ("a", 0.05),
    "infinite_well": ("level", 1.0), "finite_well": ("depth", 30.0), "barrier": ("height", 80.0),
    "free_particle": ("v0", 2.0), "gravity": ("g", 5.0), "pendulum": ("theta0", 1.0), "henon_heiles": ("py0", 0.05),
    "legendre": ("n", 5.0), "hypergeometric": ("a", 0.5),
    "poisson_nd": ("k", 2.0),
    "duffing": ("eps", 50.0),
}
#: problems whose reference does not depend on the parameter changed above: the characteristic
#: frame's state v = sin s is the same for every β (β enters only the map back to x)
SAME_REFERENCE = {"convection_lagrangian"}


@pytest.mark.parametrize("name", ZOO)
def test_with_parameters_regenerates_the_reference(name, problems):
    p = problems[name]
    k, value = NEW_VALUE[name]
    x = p.test_grid([17] * p.domain.dim)
    before = p.reference_on(x)
    q = p.with_parameters(**{k: value})
    assert q.values == {**p.values, k: value} and q.parameters[k].value == value
    after = q.reference_on(x)
    if name in SAME_REFERENCE:
        assert np.array_equal(after, before)
        return
    assert np.abs(after - before).max() > 1e-2
    assert np.array_equal(p.reference_on(x), before)  # the original is untouched
    # the new reference solves the new problem (FD residual as in test 1; the new values
    # have other frequencies, so the truncation error differs but still falls like h²)
    errs = _fd_errors(q, 100, seed=4, steps=(4e-3, 2e-3))
    assert errs[1] < 40 * FD_TOL[name]
    if errs[0] == errs[1] == 0.0 or name in FD_EXACT:  # no derivative in the residual (regression1d): exactly 0
        return
    assert 3.5 < errs[0] / errs[1] < 4.5, errs


def test_numerical_reference_is_solved_once_per_problem(problems):
    p = problems["reaction_diffusion"]
    p.reference_on(np.zeros((1, 2)))
    first = p.reference.solved
    p.reference_on(np.ones((1, 2)))
    assert p.reference.solved is first
    assert zoo.get("reaction_diffusion").reference.solved is not first  # a new problem solves again


@pytest.mark.parametrize("name", ZOO)
def test_hard_transform_satisfies_its_conditions(name, problems):
    p = problems[name]
    if p.hard is None:
        pytest.skip(f"{name} has no hard transform")
    g = torch.Generator().manual_seed(5)
    W = torch.randn(p.domain.dim, 8, generator=g, dtype=F64)
    net = lambda x: torch.sin(x @ W).sum(1, keepdim=True) + 0.3  # noqa: E731  (any smooth output)
    u = lambda x: p.hard(x, net(x), p.values)  # noqa: E731
    assert p.hard_satisfies
    for cname in p.hard_satisfies:
        cond = p.conditions[cname]
        x = torch.as_tensor(cond.sample(100, np.random.default_rng(6)), dtype=F64)
        assert cond.residual(u, x, pv(p)).abs().max().item() < 1e-12, cname


def test_hard_lift_is_exact_for_non_integer_frequencies():
    for p in (zoo.get("helmholtz", a1=1.5, a2=2.25), zoo.get("poisson2d", a1=0.7), zoo.get("poisson1d", a=1.3)):
        u = lambda x: p.hard(x, torch.cos(x.sum(1, keepdim=True)), p.values)  # noqa: E731
        for cond in p.conditions.values():
            x = torch.as_tensor(cond.sample(50, np.random.default_rng(7)), dtype=F64)
            assert cond.residual(u, x, pv(p)).abs().max().item() < 1e-12
        x = torch.as_tensor(p.conditions["right"].sample(50, np.random.default_rng(7)), dtype=F64)
        assert p.conditions["right"].residual(lambda x: 0 * x[:, :1], x, pv(p)).abs().max().item() > 1e-2


def test_grid_reference_spline_interpolates_and_rejects_outside_points():
    x, t = np.linspace(0, 1, 41), np.linspace(0, 2, 61)
    ref = GridReference([x, t], np.sin(3 * x)[:, None] * np.cos(t)[None, :], method="spline")
    q = np.random.default_rng(8).random((50, 2)) * [1, 2]
    assert np.abs(ref(q)[:, 0] - np.sin(3 * q[:, 0]) * np.cos(q[:, 1])).max() < 1e-5
    with pytest.raises(ValueError, match="outside"):
        ref(np.array([[0.5, 2.1]]))
    with pytest.raises(ValueError, match="2D"):
        GridReference([x], np.sin(x), method="spline")
