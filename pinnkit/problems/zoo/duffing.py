"""Damped Duffing oscillator (an ODE in time only): the damped oscillator with a cubic
(hardening, ε > 0) restoring force.

    u'' + 2 d u' + ω0² u + ε u³ = 0,  t ∈ [0, 1],  u(0) = 1,  u'(0) = 0.

No closed form (for d = 0 it is a Jacobi elliptic function; damping breaks that): the
reference is scipy's ``solve_ivp`` (DOP853, rtol = atol = 1e-12) on the first-order system
(u, v)' = (v, −2 d v − ω0² u − ε u³), evaluated through its dense output. With the
defaults (d = 1, ω0 = 8, ε = 100) the damping and the cubic term are of similar size
(RMS over [0, 1]: 2 d u' ≈ 10, ε u³ ≈ 26, ω0² u ≈ 32): the equation-discovery example
(:mod:`pinnkit.discovery`) hides both and recovers them from observations of u.
"""
from __future__ import annotations

import math

import numpy as np

from ..domains import Box
from ..problem import Parameter, Problem
from .oscillator import released_from_rest, released_from_rest_hard

__all__ = ["duffing", "duffing_solution"]


def duffing_solution(t: np.ndarray, d: float, w0: float, eps: float) -> np.ndarray:
    """u(t) of u'' + 2 d u' + ω0² u + ε u³ = 0, u(0) = 1, u'(0) = 0. Solved once per parameter
    set on [−MARGIN, 1 + MARGIN] (forward and backward from t = 0), so that difference
    quotients at the ends of [0, 1] can be taken."""
    t = np.asarray(t, float)
    if np.any(t < -MARGIN) or np.any(t > 1 + MARGIN):
        raise ValueError(f"duffing: the reference is solved on t ∈ [{-MARGIN}, {1 + MARGIN}]; got t in "
                         f"[{t.min():g}, {t.max():g}]")
    forward, backward = _solve(d, w0, eps)
    return np.where(t >= 0, forward(np.maximum(t, 0.0))[0], backward(np.minimum(t, 0.0))[0])


#: the reference is solved this far beyond [0, 1] on either side
MARGIN = 0.05
_CACHE: dict[tuple[float, float, float], tuple] = {}


def _solve(d: float, w0: float, eps: float):
    key = (float(d), float(w0), float(eps))
    if key not in _CACHE:
        from scipy.integrate import solve_ivp

        def rhs(t, y):
            return [y[1], -2 * d * y[1] - w0**2 * y[0] - eps * y[0] ** 3]

        sols = []
        for end in (1.0 + MARGIN, -MARGIN):
            res = solve_ivp(rhs, (0.0, end), [1.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-12, dense_output=True)
            if not res.success:
                raise ValueError(f"duffing: the reference solver failed for d={d}, w0={w0}, eps={eps}: {res.message}")
            sols.append(res.sol)
        _CACHE[key] = tuple(sols)
    return _CACHE[key]


def duffing(d: float = 1.0, w0: float = 8.0, eps: float = 100.0) -> Problem:
    """Damped Duffing oscillator with damping ``d``, natural frequency ``w0`` and cubic
    stiffness ``eps`` (≥ 0: a hardening spring)."""
    for k, v in (("d", d), ("w0", w0), ("eps", eps)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 \
                or (k == "w0" and v == 0):
            raise ValueError(f"duffing: {k} must be a finite number {'> 0' if k == 'w0' else '>= 0'}; got {v!r}")
    d, w0, eps = float(d), float(w0), float(eps)
    domain = Box((0.0,), (1.0,), ("t",))

    def residual(x, u, D, p):
        return D(u, "tt") + 2 * p["d"] * D(u, "t") + p["w0"] ** 2 * u + p["eps"] * u**3

    return Problem(
        name="duffing",
        domain=domain,
        residual=residual,
        conditions=released_from_rest(domain),
        parameters={
            "d": Parameter(d, 0.0, 10.0, doc="damping d"),
            "w0": Parameter(w0, 1.0, 30.0, doc="natural frequency ω0"),
            "eps": Parameter(eps, 0.0, 300.0, doc="cubic stiffness ε"),
        },
        reference=lambda X: duffing_solution(X[:, 0], d, w0, eps).reshape(-1, 1),
        hard=released_from_rest_hard,
        hard_satisfies=("initial", "initial_velocity"),
        test_shape=(501,),
        equation="u'' + 2 d u' + ω0² u + ε u³ = 0",
        factory=duffing,
    )
