"""Viscous Burgers equation (Raissi, Perdikaris & Karniadakis, JCP 378, 2019).

    u_t + λ1 u u_x - ν u_xx = 0,  x ∈ [-1, 1], t ∈ [0, 1],
    u(x, 0) = -sin(π x),  u(±1, t) = 0.

Parameters:

    ==========  =========  =========================  =======================================
    name        default    range                      meaning
    ==========  =========  =========================  =======================================
    ``nu``      0.01/π     [1e-3, 0.1] (log slider)   viscosity ν (Raissi et al.'s λ2)
    ``lambda1`` 1          [0, 2]                     convective coefficient λ1 (Raissi et
                                                      al.'s inverse problem identifies it
                                                      with ν from observations)
    ==========  =========  =========================  =======================================

Reference: the Cole–Hopf transform gives (Basdevant et al., Comput. Fluids 14, 1986)

    u(x, t) = - ∫ sin(π(x-η)) f(x-η) e^{-η²/(4νt)} dη / ∫ f(x-η) e^{-η²/(4νt)} dη,
    f(y) = exp(-cos(π y) / (2πν)),

evaluated with η = √(4νt) z by the trapezoidal rule on z ∈ [-10, 10] (spectrally
accurate for Gaussian-weighted smooth integrands), with the exponent shifted by its
maximum so that small ν does not overflow. For λ1 ≠ 1, u(x, t) = w(x, λ1 t) where w
solves the λ1 = 1 equation with viscosity ν/λ1 (w_s + w w_x − (ν/λ1) w_xx = 0 gives
u_t + λ1 u u_x − ν u_xx = 0, and the initial condition is unchanged); at λ1 = 0 the
equation is the heat equation, u = −sin(πx) e^{−νπ²t}.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..conditions import Dirichlet, Initial
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem

__all__ = ["burgers", "burgers_cole_hopf", "burgers_reference"]


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


def burgers_reference(x: np.ndarray, t: np.ndarray, nu: float, lambda1: float = 1.0) -> np.ndarray:
    """Exact solution of u_t + λ1 u u_x − ν u_xx = 0, u0 = −sin(πx), zero walls, for λ1 ≥ 0:
    the λ1 = 1 solution with viscosity ν/λ1 at time λ1 t (λ1 = 1 is :func:`burgers_cole_hopf`
    itself); the heat solution −sin(πx) e^{−νπ²t} at λ1 = 0."""
    if lambda1 == 1.0:
        return burgers_cole_hopf(x, t, nu)
    if lambda1 == 0.0:
        x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
        return -np.sin(np.pi * x) * np.exp(-nu * np.pi**2 * t)
    return burgers_cole_hopf(x, lambda1 * np.asarray(t, float), nu / lambda1)


def burgers(nu: float = 0.01 / math.pi, lambda1: float = 1.0) -> Problem:
    """Burgers on [-1, 1] × [0, 1] with u0 = -sin(πx) and zero Dirichlet walls; ``lambda1``
    multiplies the convective term u u_x (1: the usual equation)."""
    if not (isinstance(nu, (int, float)) and math.isfinite(nu) and nu > 0):
        raise ValueError(f"burgers: viscosity nu must be a finite number > 0; got {nu!r}")
    if isinstance(lambda1, bool) or not (isinstance(lambda1, (int, float)) and math.isfinite(lambda1)
                                         and lambda1 >= 0):
        raise ValueError(f"burgers: convective coefficient lambda1 must be a finite number >= 0; got {lambda1!r}")
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") + p["lambda1"] * u * D(u, "x") - p["nu"] * D(u, "xx")

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
        parameters={"nu": Parameter(nu, 1e-3, 0.1, log=True, doc="viscosity ν"),
                    "lambda1": Parameter(lambda1, 0.0, 2.0, doc="convective coefficient λ1")},
        reference=lambda X: burgers_reference(X[:, 0], X[:, 1], nu, lambda1).reshape(-1, 1),
        hard=hard,
        hard_satisfies=("initial", "left", "right"),
        test_shape=(256, 100),
        equation="u_t + λ1 u u_x - ν u_xx = 0",
        factory=burgers,
    )
