"""Damped harmonic oscillator (an ODE in time only).

    u'' + 2 d u' + ω0² u = 0,  t ∈ [0, 1],  u(0) = 1,  u'(0) = 0.

Closed form: with r = ±sqrt(d² - ω0²) - d the roots of the characteristic polynomial,
u = e^{-dt}(cos ωt + (d/ω) sin ωt) when d < ω0 (ω = sqrt(ω0² - d²)),
u = e^{-dt}(1 + d t) when d = ω0, and the real-root combination when d > ω0.
"""
from __future__ import annotations

import math

import numpy as np

from ..conditions import Initial
from ..domains import Box
from ..problem import Parameter, Problem

__all__ = ["oscillator", "oscillator_exact", "released_from_rest", "released_from_rest_hard"]


def oscillator_exact(t: np.ndarray, d: float, w0: float) -> np.ndarray:
    t = np.asarray(t, float)
    if d < w0:
        w = math.sqrt(w0**2 - d**2)
        return np.exp(-d * t) * (np.cos(w * t) + d / w * np.sin(w * t))
    if d == w0:
        return np.exp(-d * t) * (1 + d * t)
    s = math.sqrt(d**2 - w0**2)
    r1, r2 = -d + s, -d - s
    # u = A e^{r1 t} + B e^{r2 t}, A + B = 1, r1 A + r2 B = 0
    a = -r2 / (r1 - r2)
    return a * np.exp(r1 * t) + (1 - a) * np.exp(r2 * t)


def released_from_rest(domain: Box) -> dict:
    """``u(0) = 1`` and ``u'(0) = 0``: the initial conditions of a unit release from rest."""
    return {"initial": Initial(domain, 1.0), "initial_velocity": Initial(domain, 0.0, derivative=1)}


def released_from_rest_hard(x, n, p):
    """The hard form of :func:`released_from_rest`: ``u = 1 + t² n`` meets both exactly."""
    t = x[:, :1]
    return 1 + t**2 * n


def oscillator(d: float = 2.0, w0: float = 20.0) -> Problem:
    """Damped oscillator with damping ``d`` and natural frequency ``w0``."""
    for k, v in (("d", d), ("w0", w0)):
        if not (isinstance(v, (int, float)) and math.isfinite(v)) or v < 0 or (k == "w0" and v == 0):
            raise ValueError(f"oscillator: {k} must be a finite number {'> 0' if k == 'w0' else '>= 0'}; got {v!r}")
    domain = Box((0.0,), (1.0,), ("t",))

    def residual(x, u, D, p):
        return D(u, "tt") + 2 * p["d"] * D(u, "t") + p["w0"] ** 2 * u

    return Problem(
        name="oscillator",
        domain=domain,
        residual=residual,
        conditions=released_from_rest(domain),
        parameters={
            "d": Parameter(d, 0.0, 40.0, doc="damping d"),
            "w0": Parameter(w0, 1.0, 60.0, doc="natural frequency ω0"),
        },
        reference=lambda X: oscillator_exact(X[:, 0], d, w0).reshape(-1, 1),
        hard=released_from_rest_hard,
        hard_satisfies=("initial", "initial_velocity"),
        test_shape=(501,),
        equation="u'' + 2 d u' + ω0² u = 0",
        factory=oscillator,
    )
