"""Second-order ODEs with regular singular points: Legendre's and Gauss's hypergeometric equation.

**Legendre** (``legendre``), degree ``n`` (an integer >= 0):

    (1 − x²) y'' − 2x y' + n(n+1) y = 0,   x ∈ [−1, 1],   y(1) = 1,   y(−1) = (−1)ⁿ.

``x = ±1`` are regular singular points: the coefficient of ``y''`` vanishes there. The
indicial exponents at each of them are 0, 0, so besides the regular solution ``P_n`` the
second solution ``Q_n`` has a logarithm, ``Q_n(x) ~ −½ ln(1 − x)`` as ``x → 1``. Setting
``x = 1`` in the equation, a solution whose ``y''`` stays bounded obeys

    −2 y'(1) + n(n+1) y(1) = 0     (and  2 y'(−1) + n(n+1) y(−1) = 0  at x = −1),

so a bounded, smooth solution is not free at a singular point: the ODE itself fixes ``y'``
from ``y`` there, and its value at one end fixes it up to that multiple of ``P_n``. The
problem does **not** add these relations as conditions: a smooth network whose residual
vanishes up to the end points satisfies them already (the residual *is* that combination at
``x = ±1``), and the bounded model cannot represent ``Q_n``. The two Dirichlet conditions
(``left``, ``right``) pick the multiple ``y = P_n``; the value at one end would be enough,
the second is consistent with it (``P_n(−1) = (−1)ⁿ``). Reference:
:func:`scipy.special.eval_legendre`. Hard transform:
``y = ((−1)ⁿ (1 − x) + (1 + x))/2 + (1 − x²) N(x)``.

**Hypergeometric** (``hypergeometric``), parameters ``a``, ``b``, ``c`` (``c`` not 0, −1,
−2, …) on ``[0, x_max]`` with ``0 < x_max <= 1``:

    x(1 − x) y'' + [c − (a + b + 1) x] y' − a b y = 0,   y(0) = 1,   c y'(0) = a b y(0).

``x = 0`` is a regular singular point with exponents 0 and ``1 − c``; the regular solution is
Gauss's series ``₂F₁(a, b; c; x)``, the other ``x^{1−c} ₂F₁(a − c + 1, b − c + 1; 2 − c; x)``
(with a logarithm when ``c`` is an integer). Setting ``x = 0`` in the equation gives the
indicial condition ``c y'(0) = a b y(0)``, which a solution with bounded ``y''`` obeys. Here it
**is** a condition (``regularity``) beside ``y(0) = 1`` (``left``): for ``0 < c < 1`` the second
solution ``x^{1−c}(…)`` vanishes at 0, so ``y(0) = 1`` alone leaves ``₂F₁ + k x^{1−c}(…)`` for
every ``k``; the indicial condition removes it (its ``y'`` is unbounded at 0). ``x = 1`` is the
second regular singular point (exponents 0 and ``c − a − b``); the series converges on
``[0, 1)`` and at ``x = 1`` when ``c − a − b > 0``, so ``x_max = 1`` is accepted only then.
Reference: :func:`scipy.special.hyp2f1`. Hard transform: ``y = 1 + (a b / c) x + x² N(x)``
(satisfies both conditions).

Both equations are treated by PINNs with adaptive loss weights in a paper whose weighting rule
is not available here; the gallery notebook ``gallery/20_singular_odes.py`` compares a plain
PINN with pinnkit's learning-rate annealing (Wang, Teng & Perdikaris 2021) on them.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..conditions import Condition, Dirichlet
from ..derivatives import gradient
from ..domains import Box
from ..problem import Parameter, Problem
from ._common import check_number

__all__ = ["legendre", "legendre_exact", "legendre_torch", "hypergeometric", "hypergeometric_exact",
           "hypergeometric_derivative", "Indicial"]


# ---------------------------------------------------------------------------------------
# Legendre
# ---------------------------------------------------------------------------------------

def _degree(n) -> int:
    v = check_number("legendre", "n", n, nonnegative=True)
    if v != int(v):
        raise ValueError(f"legendre: n must be an integer >= 0 (the degree of P_n); got {n!r}")
    return int(v)


def legendre_exact(x: np.ndarray, n: int) -> np.ndarray:
    """``P_n(x)`` (:func:`scipy.special.eval_legendre`)."""
    from scipy.special import eval_legendre

    return eval_legendre(int(n), np.asarray(x, float))


def legendre_torch(x: torch.Tensor, n: int) -> torch.Tensor:
    """``P_n(x)`` in torch by Bonnet's recurrence ``(k+1) P_{k+1} = (2k+1) x P_k − k P_{k−1}``
    (differentiable: autograd gives its derivatives)."""
    p0, p1 = 1 + 0 * x, x  # (1 + 0·x keeps the graph: P_0 has a zero derivative, not none)
    if n == 0:
        return p0
    for k in range(1, int(n)):
        p0, p1 = p1, ((2 * k + 1) * x * p1 - k * p0) / (k + 1)
    return p1


def legendre(n: int = 3) -> Problem:
    """Legendre's equation of degree ``n`` on [−1, 1] with ``y(±1) = (±1)ⁿ``: ``y = P_n``."""
    n = _degree(n)
    domain = Box((-1.0,), (1.0,), ("x",))
    sign = -1.0 if n % 2 else 1.0

    def residual(x, u, D, p):
        t = x[:, 0:1]
        return (1 - t**2) * D(u, "xx") - 2 * t * D(u, "x") + p["n"] * (p["n"] + 1) * u

    def hard(x, net, p):
        t = x[:, 0:1]
        return (sign * (1 - t) + (1 + t)) / 2 + (1 - t**2) * net

    return Problem(
        name="legendre",
        domain=domain,
        residual=residual,
        conditions={"left": Dirichlet(domain, "x", "low", sign), "right": Dirichlet(domain, "x", "high", 1.0)},
        parameters={"n": Parameter(n, 0, 10, doc="degree n (an integer)")},
        reference=lambda X: legendre_exact(np.asarray(X, float)[:, 0], n).reshape(-1, 1),
        hard=hard,
        hard_satisfies=("left", "right"),
        test_shape=(501,),
        equation="(1 − x²) y'' − 2x y' + n(n+1) y = 0",
        factory=legendre,
    )


# ---------------------------------------------------------------------------------------
# Hypergeometric
# ---------------------------------------------------------------------------------------

def _is_nonpositive_integer(v: float) -> bool:
    return v <= 0 and v == int(v)


def hypergeometric_exact(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """``₂F₁(a, b; c; x)`` (:func:`scipy.special.hyp2f1`)."""
    from scipy.special import hyp2f1

    return hyp2f1(a, b, c, np.asarray(x, float))


def hypergeometric_derivative(x: np.ndarray, a: float, b: float, c: float, order: int = 1) -> np.ndarray:
    """``dᵏ/dxᵏ ₂F₁(a, b; c; x) = (a)_k (b)_k / (c)_k · ₂F₁(a + k, b + k; c + k; x)``."""
    from scipy.special import poch

    k = int(order)
    return poch(a, k) * poch(b, k) / poch(c, k) * hypergeometric_exact(x, a + k, b + k, c + k)


class Indicial(Condition):
    """The indicial condition at the regular singular point ``x = 0`` of the hypergeometric
    equation, ``c y'(0) − a b y(0) = 0`` (the equation at ``x = 0``). Sampled points are all
    ``x = 0``."""

    def __init__(self, domain: Box):
        self.domain = domain

    def sample(self, n, rng, method="random"):
        return Dirichlet(self.domain, "x", "low").sample(n, rng, method)

    def residual(self, u, x, params):
        x = x.detach().requires_grad_(True)
        y = u(x)[:, 0:1]
        return params["c"] * gradient(y, x)[:, 0:1] - params["a"] * params["b"] * y


def hypergeometric(a: float = 1.0, b: float = 1.0, c: float = 2.0, x_max: float = 0.95) -> Problem:
    """Gauss's hypergeometric equation on ``[0, x_max]`` with ``y(0) = 1`` and the indicial
    condition ``c y'(0) = a b y(0)``: ``y = ₂F₁(a, b; c; x)``. The defaults give
    ``₂F₁(1, 1; 2; x) = −ln(1 − x)/x``."""
    a = check_number("hypergeometric", "a", a)
    b = check_number("hypergeometric", "b", b)
    c = check_number("hypergeometric", "c", c)
    x_max = check_number("hypergeometric", "x_max", x_max, positive=True)
    if _is_nonpositive_integer(c):
        raise ValueError(f"hypergeometric: c must not be 0 or a negative integer (₂F₁(a, b; c; x) is not defined "
                         f"there); got c = {c!r}")
    if x_max > 1:
        raise ValueError(f"hypergeometric: x_max must lie in (0, 1] (x = 1 is a singular point; the series "
                         f"diverges beyond it); got x_max = {x_max!r}")
    if x_max == 1 and not c - a - b > 0:
        raise ValueError(f"hypergeometric: x_max = 1 needs c − a − b > 0 (the series converges at x = 1 only "
                         f"then); got a = {a!r}, b = {b!r}, c = {c!r}, c − a − b = {c - a - b:g}")
    domain = Box((0.0,), (x_max,), ("x",))
    slope = a * b / c

    def residual(x, u, D, p):
        t = x[:, 0:1]
        return t * (1 - t) * D(u, "xx") + (p["c"] - (p["a"] + p["b"] + 1) * t) * D(u, "x") - p["a"] * p["b"] * u

    def hard(x, net, p):
        t = x[:, 0:1]
        return 1 + slope * t + t**2 * net

    return Problem(
        name="hypergeometric",
        domain=domain,
        residual=residual,
        conditions={"left": Dirichlet(domain, "x", "low", 1.0), "regularity": Indicial(domain)},
        parameters={
            "a": Parameter(a, -3.0, 3.0, doc="a"),
            "b": Parameter(b, -3.0, 3.0, doc="b"),
            "c": Parameter(c, 0.25, 4.0, doc="c (not 0, −1, −2, …)"),
            "x_max": Parameter(x_max, 0.5, 1.0, doc="right end of the domain (≤ 1)"),
        },
        reference=lambda X: hypergeometric_exact(np.asarray(X, float)[:, 0], a, b, c).reshape(-1, 1),
        hard=hard,
        hard_satisfies=("left", "regularity"),
        test_shape=(501,),
        equation="x(1 − x) y'' + [c − (a+b+1) x] y' − a b y = 0",
        factory=hypergeometric,
    )
