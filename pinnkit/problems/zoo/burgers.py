"""Viscous Burgers equation (Raissi, Perdikaris & Karniadakis, JCP 378, 2019).

    u_t + u u_x - ν u_xx = 0,  x ∈ [-1, 1], t ∈ [0, 1],
    u(x, 0) = -sin(π x),  u(±1, t) = 0.

Reference: the Cole–Hopf transform gives (Basdevant et al., Comput. Fluids 14, 1986)

    u(x, t) = - ∫ sin(π(x-η)) f(x-η) e^{-η²/(4νt)} dη / ∫ f(x-η) e^{-η²/(4νt)} dη,
    f(y) = exp(-cos(π y) / (2πν)),

evaluated with η = √(4νt) z by the trapezoidal rule on z ∈ [-10, 10] (spectrally
accurate for Gaussian-weighted smooth integrands), with the exponent shifted by its
maximum so that small ν does not overflow.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..conditions import Dirichlet, Initial
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem

__all__ = ["burgers", "burgers_cole_hopf"]


def burgers_cole_hopf(x: np.ndarray, t: np.ndarray, nu: float, nodes: int = 601) -> np.ndarray:
    """Exact Burgers solution for u0 = -sin(πx) at points ``x, t`` (same shape) -> u."""
    if not nu > 0:
        raise ValueError(f"viscosity nu must be > 0; got {nu}")
    x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
    shape = x.shape
    x, t = x.ravel(), t.ravel()
    u = -np.sin(np.pi * x)
    z = np.linspace(-10.0, 10.0, nodes)
    gauss = np.exp(-(z**2))
    idx = np.flatnonzero(t > 0)
    for chunk in np.array_split(idx, max(1, len(idx) * nodes // 4_000_000 + 1)):
        if len(chunk) == 0:
            continue
        y = x[chunk, None] - np.sqrt(4 * nu * t[chunk, None]) * z[None, :]
        expo = -np.cos(np.pi * y) / (2 * np.pi * nu)
        expo -= expo.max(axis=1, keepdims=True)
        weight = gauss[None, :] * np.exp(expo)
        u[chunk] = -(np.sin(np.pi * y) * weight).sum(1) / weight.sum(1)
    return u.reshape(shape)

def burgers(nu: float = 0.01 / math.pi) -> Problem:
    """Burgers on [-1, 1] × [0, 1] with u0 = -sin(πx) and zero Dirichlet walls."""
    if not (isinstance(nu, (int, float)) and math.isfinite(nu) and nu > 0):
        raise ValueError(f"burgers: viscosity nu must be a finite number > 0; got {nu!r}")
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") + u * D(u, "x") - p["nu"] * D(u, "xx")

    def hard(x, n, p):
        xs, t = x[:, :1], x[:, 1:]
        return -torch.sin(math.pi * xs) + (1 - xs**2) * t * n

    return Problem(
        name="burgers",
        domain=domain,
        residual=residual,
        conditions={
            "initial": Initial(domain, lambda x, p: -torch.sin(math.pi * x[:, :1])),
            "left": Dirichlet(domain, "x", "low", 0.0),
            "right": Dirichlet(domain, "x", "high", 0.0),
        },
        parameters={"nu": Parameter(nu, 1e-3, 0.1, log=True, doc="viscosity ν")},
        reference=lambda X: burgers_cole_hopf(X[:, 0], X[:, 1], nu).reshape(-1, 1),
        hard=hard,
        hard_satisfies=("initial", "left", "right"),
        test_shape=(256, 100),
        equation="u_t + u u_x - ν u_xx = 0",
        factory=burgers,
    )
