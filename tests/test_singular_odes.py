"""ODEs with regular singular points: zoo ``legendre`` and ``hypergeometric``.

1. the scipy references solve their own ODE to round-off (exact polynomial derivatives of
   P_n; the derivative formula of 2F1), and agree with solve_ivp at tight tolerances started
   away from the singular point;
2. the zoo residual vanishes at the reference (autograd through a torch P_n; 2F1 fed to the
   problem's residual with its exact derivatives) and does not for a neighbouring solution;
3. the regular-singular-point relations hold for the reference (−2y'(1) + n(n+1)y(1) = 0,
   c y'(0) = ab y(0)), the zoo residual *is* that relation at the singular point, and the
   second solutions break them;
4. a short training on Legendre n = 3 reaches a stated error;
5. bad parameters raise naming them.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.polynomial import legendre as npleg
from scipy.integrate import solve_ivp
from scipy.special import ellipk, hyp2f1, lqn

from pinnkit import RunConfig, zoo
from pinnkit.problems.zoo.singular import hypergeometric_derivative, hypergeometric_exact, legendre_exact, legendre_torch
from pinnkit.recipes import build

torch.set_num_threads(1)
F64 = torch.float64
CASES_2F1 = [(1.0, 1.0, 2.0), (0.5, 0.5, 1.0), (-0.5, 1.5, 0.7), (2.0, -3.0, 1.5), (0.3, 0.4, 2.5)]


class _Known:
    """A stand-in for :class:`Derivatives` returning given derivative fields."""

    def __init__(self, fields):
        self.fields = fields

    def __call__(self, u, spec):
        return self.fields[spec]


def _col(a):
    return torch.as_tensor(np.asarray(a, float).reshape(-1, 1), dtype=F64)


# ---------------------------------------------------------------------------------------
# 1. references against their own ODE
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(0, 11))
def test_legendre_reference_solves_its_ode_to_round_off(n):
    x = np.linspace(-1, 1, 2001)
    P = npleg.Legendre.basis(n)
    y = legendre_exact(x, n)
    assert np.abs(y - P(x)).max() < 1e-13
    r = (1 - x**2) * P.deriv(2)(x) - 2 * x * P.deriv(1)(x) + n * (n + 1) * y
    assert np.abs(r).max() < 1e-11 * (1 + n * (n + 1))
    assert abs(y[-1] - 1) < 1e-15 and abs(y[0] - (-1) ** n) < 1e-15


@pytest.mark.parametrize("a, b, c", CASES_2F1)
def test_hypergeometric_reference_solves_its_ode_to_round_off(a, b, c):
    x = np.linspace(0, 0.95, 1001)
    y, y1, y2 = (hypergeometric_derivative(x, a, b, c, k) if k else hypergeometric_exact(x, a, b, c) for k in range(3))
    r = x * (1 - x) * y2 + (c - (a + b + 1) * x) * y1 - a * b * y
    scale = np.abs(x * (1 - x) * y2).max() + np.abs(c * y1).max() + abs(a * b) * np.abs(y).max()
    assert np.abs(r).max() < 1e-13 * scale
    # the derivative formula against a sixth-order central difference of scipy's 2F1
    h = 1e-3
    xi = x[50:-50]
    f = lambda t: hypergeometric_exact(t, a, b, c)  # noqa: E731
    fd = (f(xi + 3 * h) - 9 * f(xi + 2 * h) + 45 * f(xi + h) - 45 * f(xi - h) + 9 * f(xi - 2 * h) - f(xi - 3 * h)) / (60 * h)
    assert np.abs(fd - y1[50:-50]).max() < 1e-8 * (1 + np.abs(y1).max())


def test_hypergeometric_reference_matches_closed_forms():
    x = np.linspace(1e-3, 0.95, 500)
    assert np.allclose(hypergeometric_exact(x, 1, 1, 2), -np.log1p(-x) / x, rtol=1e-14, atol=0)
    assert np.allclose(hypergeometric_exact(x, 0.5, 0.5, 1), 2 / np.pi * ellipk(x), rtol=1e-13, atol=0)
    assert np.allclose(hypergeometric_exact(x, 0.5, 1, 1.5), np.arctanh(np.sqrt(x)) / np.sqrt(x), rtol=1e-13, atol=0)
    # Gauss's sum at x = 1 (c − a − b > 0)
    a, b, c = 0.3, 0.4, 2.5
    gauss = math.gamma(c) * math.gamma(c - a - b) / (math.gamma(c - a) * math.gamma(c - b))
    assert abs(hypergeometric_exact(1.0, a, b, c) - gauss) < 1e-13


def _series(x, a, b, c, terms=60):
    """Gauss's series and its derivative (for the start values of solve_ivp near x = 0)."""
    t, s, ds = 1.0, 0.0, 0.0
    for k in range(terms):
        s += t * x**k
        ds += k * t * x ** (k - 1) if k else 0.0
        t *= (a + k) * (b + k) / ((c + k) * (k + 1))
    return s, ds


@pytest.mark.parametrize("a, b, c", CASES_2F1)
def test_hypergeometric_reference_matches_solve_ivp(a, b, c):
    x0 = 0.01  # off the singular point at 0: start from the (converged) series
    y0 = _series(x0, a, b, c)
    rhs = lambda x, y: [y[1], (a * b * y[0] - (c - (a + b + 1) * x) * y[1]) / (x * (1 - x))]  # noqa: E731
    xs = np.linspace(x0, 0.95, 200)
    sol = solve_ivp(rhs, (x0, 0.95), y0, method="DOP853", rtol=1e-13, atol=1e-14, t_eval=xs)
    assert sol.success
    ref = hypergeometric_exact(xs, a, b, c)
    assert np.abs(sol.y[0] - ref).max() < 1e-10 * (1 + np.abs(ref).max())


@pytest.mark.parametrize("n", [2, 3, 6])
def test_legendre_reference_matches_solve_ivp(n):
    P = npleg.Legendre.basis(n)
    rhs = lambda x, y: [y[1], (2 * x * y[1] - n * (n + 1) * y[0]) / (1 - x**2)]  # noqa: E731
    for end in (0.999, -0.999):  # from the ordinary point 0 towards each singular point
        xs = np.linspace(0, end, 200)
        sol = solve_ivp(rhs, (0, end), [P(0.0), P.deriv()(0.0)], method="DOP853", rtol=1e-13, atol=1e-14, t_eval=xs)
        assert sol.success and np.abs(sol.y[0] - legendre_exact(xs, n)).max() < 1e-9


# ---------------------------------------------------------------------------------------
# 2. the zoo residual at the reference
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8])
def test_legendre_zoo_residual_vanishes_at_the_reference_by_autograd(n):
    p = zoo.get("legendre", n=n)
    x = torch.as_tensor(np.linspace(-1, 1, 401)[:, None], dtype=F64)
    model = lambda t: legendre_torch(t, n)  # noqa: E731
    assert np.abs(model(x).detach().numpy() - p.reference_on(x.numpy())).max() < 1e-13
    assert p.pde_residual(model, x, p.values).abs().max().item() < 1e-11
    # P_{n+1} solves the neighbouring equation, not this one
    assert p.pde_residual(lambda t: legendre_torch(t, n + 1), x, p.values).abs().max().item() > 1.0


@pytest.mark.parametrize("a, b, c", CASES_2F1)
def test_hypergeometric_zoo_residual_vanishes_with_exact_derivatives(a, b, c):
    p = zoo.get("hypergeometric", a=a, b=b, c=c)
    xs = np.linspace(0, 0.95, 401)
    x = _col(xs)
    y = _col(hypergeometric_exact(xs, a, b, c))
    assert np.array_equal(y.numpy(), p.reference_on(xs[:, None]))
    D = _Known({"x": _col(hypergeometric_derivative(xs, a, b, c, 1)), "xx": _col(hypergeometric_derivative(xs, a, b, c, 2))})
    scale = 1 + float(D.fields["xx"].abs().max()) + abs(c) * float(D.fields["x"].abs().max())
    assert p.residual(x, y, D, p.values).abs().max().item() < 1e-13 * scale
    wrong = p.with_parameters(c=c + 0.1)  # the same field in the equation with another c
    assert wrong.residual(x, y, D, wrong.values).abs().max().item() > 1e-3


# ---------------------------------------------------------------------------------------
# 3. the singular points
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(0, 9))
def test_legendre_regular_singular_point_relations(n):
    P = npleg.Legendre.basis(n)
    lam = n * (n + 1)
    assert abs(-2 * P.deriv()(1.0) + lam * legendre_exact(1.0, n)) < 1e-11 * (1 + lam)
    assert abs(2 * P.deriv()(-1.0) + lam * legendre_exact(-1.0, n)) < 1e-11 * (1 + lam)
    # the zoo residual at x = ±1 is that relation, for any smooth field (here P_n + x³ + 1)
    p = zoo.get("legendre", n=n)
    u = lambda t: legendre_torch(t, n) + t**3 + 1  # noqa: E731
    ends = torch.tensor([[1.0], [-1.0]], dtype=F64)
    r = p.pde_residual(u, ends, p.values)[:, 0]
    y = lambda t: P(t) + t**3 + 1  # noqa: E731
    dy = lambda t: P.deriv()(t) + 3 * t**2  # noqa: E731
    assert torch.allclose(r, torch.tensor([-2 * dy(1.0) + lam * y(1.0), 2 * dy(-1.0) + lam * y(-1.0)], dtype=F64),
                          rtol=0, atol=1e-11 * (1 + lam))
    # the second solution Q_n is unbounded at x = 1 (logarithmically): boundedness selects P_n
    q = [lqn(n, 1 - e)[0][n] for e in (1e-4, 1e-8)]
    assert abs(q[1]) > abs(q[0]) + 4  # ½ ln(1e4) ≈ 4.6 more


@pytest.mark.parametrize("a, b, c", CASES_2F1)
def test_hypergeometric_indicial_condition(a, b, c):
    assert abs(c * hypergeometric_derivative(0.0, a, b, c, 1) - a * b * hypergeometric_exact(0.0, a, b, c)) < 1e-14
    p = zoo.get("hypergeometric", a=a, b=b, c=c)
    u = lambda t: torch.exp(0.7 * t) - 0.2 * t  # noqa: E731  a smooth field, y(0) = 1, y'(0) = 0.5
    r = p.pde_residual(u, torch.zeros(1, 1, dtype=F64), p.values)  # the equation at x = 0 ...
    assert abs(r.item() - (c * 0.5 - a * b)) < 1e-14  # ... is the indicial relation
    assert abs(p.conditions["regularity"].residual(u, torch.zeros(3, 1, dtype=F64), p.values)[0].item()
               - (c * 0.5 - a * b)) < 1e-14


def test_y0_alone_does_not_pin_the_solution_for_c_below_one():
    """For 0 < c < 1 the second solution x^{1−c}·2F1(a−c+1, b−c+1; 2−c; x) vanishes at 0:
    2F1 + k·(it) solves the ODE with y(0) = 1 for every k, and only the indicial condition
    (it has an unbounded y' at 0) rules it out."""
    a, b, c = -0.5, 1.5, 0.7
    second = lambda x: x ** (1 - c) * hyp2f1(a - c + 1, b - c + 1, 2 - c, x)  # noqa: E731
    x = np.linspace(0.05, 0.9, 200)
    h = 1e-4
    d1 = (second(x + h) - second(x - h)) / (2 * h)
    d2 = (second(x + h) - 2 * second(x) + second(x - h)) / h**2
    r = x * (1 - x) * d2 + (c - (a + b + 1) * x) * d1 - a * b * second(x)
    assert np.abs(r).max() < 1e-5  # it solves the equation
    assert second(0.0) == 0.0  # and leaves y(0) unchanged
    slopes = [(second(e) - second(0.0)) / e for e in (1e-4, 1e-8)]
    assert slopes[1] > 10 * slopes[0]  # y' ~ x^{−c} blows up at 0: the indicial condition fails


# ---------------------------------------------------------------------------------------
# 4. a short training
# ---------------------------------------------------------------------------------------

def test_short_training_on_legendre_n3_reaches_small_error():
    cfg = RunConfig(problem="legendre", parameters={"n": 3}, width=20, depth=3, num_points=128, dtype="float64",
                    optimizer="adam+lbfgs", lr=3e-3, steps=500, lbfgs_steps=800, eval_every=100, seed=0, threads=1)
    h = build(cfg).train(progress=False)
    # measured (seed 0): relative L2 7.4e-4, max |error| 7.1e-4 (L-BFGS stopped after ~500 iterations);
    # with 300 L-BFGS iterations it was 9.8e-3: the bound leaves that margin
    assert h.final["metric/rel_l2"] < 5e-3, h.final
    assert h.final["metric/max_abs"] < 5e-3, h.final


# ---------------------------------------------------------------------------------------
# 5. bad parameters
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, name", [
    ({"n": 2.5}, "n"), ({"n": -1}, "n"), ({"n": math.nan}, "n"), ({"n": "3"}, "n"),
])
def test_legendre_bad_degree(kw, name):
    with pytest.raises(ValueError, match=rf"legendre: {name}\b"):
        zoo.get("legendre", **kw)


@pytest.mark.parametrize("kw, name", [
    ({"c": 0.0}, "c"), ({"c": -2.0}, "c"), ({"a": math.inf}, "a"), ({"b": None}, "b"),
    ({"x_max": 0.0}, "x_max"), ({"x_max": 1.2}, "x_max"), ({"x_max": -0.5}, "x_max"),
    ({"x_max": 1.0}, "c − a − b"),  # defaults a = b = 1, c = 2: c − a − b = 0, the series diverges at 1
])
def test_hypergeometric_bad_parameters(kw, name):
    with pytest.raises(ValueError, match=name):
        zoo.get("hypergeometric", **kw)


def test_hypergeometric_x_max_one_when_the_series_converges():
    p = zoo.get("hypergeometric", a=0.3, b=0.4, c=2.5, x_max=1.0)
    assert p.domain.high == (1.0,) and np.isfinite(p.reference_on(np.array([[1.0]]))).all()
    zoo.get("hypergeometric", c=-1.5)  # a negative non-integer c is allowed
