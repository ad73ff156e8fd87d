"""Reaction and reaction–diffusion with periodic boundaries (Krishnapriyan et al.,
NeurIPS 2021, arXiv 2109.01050, §3 and App. A).

Both live on x ∈ [0, 2π), t ∈ [0, 1] with the Gaussian initial state

    u(x, 0) = h(x) = exp(−(x − π)² / (2 (π/4)²)).

**Reaction** (logistic growth at rate ρ ≥ 0):

    u_t − ρ u (1 − u) = 0,   exact  u = h e^{ρt} / (h e^{ρt} + 1 − h).

**Reaction–diffusion** (ν ≥ 0, ρ ≥ 0):

    u_t − ν u_xx − ρ u (1 − u) = 0,

reference by Strang splitting as in the paper: half a step of the exact reaction flow
above, a full step of the exact diffusion flow of the periodic Fourier series
(û_k ← e^{−ν k² Δt} û_k), another half step of reaction. The scheme is second order in
Δt and spectral in x (``reaction_diffusion_strang``); with 512 modes and Δt ≤ 1e-3 the
error is below 1e-5 (test_zoo measures it).

Periodicity as the authors' code imposes it: u(0, t) = u(2π, t) always, and also
u_x(0, t) = u_x(2π, t) whenever ν ≠ 0. (h is symmetric about π, so its periodic
extension is continuous; its slope jumps by ~3e-3 at x = 0, which diffusion smooths at
once, so u_x is periodic for t > 0.)

Hard constraint: u = h(x) + t n satisfies the initial condition.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..conditions import Initial, Periodic
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem
from ._common import LazyReference, check_number, check_solver_grid, numpy_reference, periodic_reference

__all__ = ["reaction", "reaction_diffusion", "reaction_exact", "reaction_diffusion_strang", "gaussian"]

PERIOD = 2 * math.pi


def gaussian(x):
    """h(x) = exp(−(x − π)² / (2 (π/4)²)) for numpy arrays or tensors."""
    lib = torch if isinstance(x, torch.Tensor) else np
    return lib.exp(-((x - math.pi) ** 2) / (2 * (math.pi / 4) ** 2))


def _logistic(u, rho_t):
    """Exact flow of u' = ρ u (1 − u) over a time t, for numpy ``u`` (``rho_t`` = ρ t)."""
    return u / (u + (1 - u) * math.exp(-rho_t))


def reaction_exact(x: torch.Tensor, rho: float) -> torch.Tensor:
    """``u(x: (N, 2) columns (x, t)) -> (N, 1)`` for the reaction problem."""
    h = gaussian(x[:, :1])
    return h / (h + (1 - h) * torch.exp(-rho * x[:, 1:2]))  # = h e^{ρt} / (h e^{ρt} + 1 − h), no overflow


def _initial(x, p=None):
    return gaussian(x[:, :1])


def _hard(x, n, p):
    return gaussian(x[:, :1]) + x[:, 1:2] * n


def reaction(rho: float = 5.0) -> Problem:
    """u_t − ρ u(1 − u) = 0 on [0, 2π) × [0, 1], u0 = h(x), periodic; exact logistic solution."""
    rho = check_number("reaction", "rho", rho, nonnegative=True)
    domain = TimeDomain(Interval(0.0, PERIOD), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") - p["rho"] * u * (1 - u)

    return Problem(
        name="reaction",
        domain=domain,
        residual=residual,
        conditions={"initial": Initial(domain, _initial), "periodic": Periodic(domain, "x")},
        parameters={"rho": Parameter(rho, 0.0, 10.0, doc="reaction rate ρ")},
        reference=numpy_reference(lambda x: reaction_exact(x, rho)),
        hard=_hard,
        hard_satisfies=("initial",),
        test_shape=(256, 100),
        equation="u_t − ρ u (1 − u) = 0",
        factory=reaction,
    )


def reaction_diffusion_strang(nu: float, rho: float, modes: int = 512, times: np.ndarray | None = None,
                              dt: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strang-splitting spectral solution of u_t = ν u_xx + ρ u(1 − u), u0 = h, 2π-periodic.

    ``times``: increasing output times starting at 0 (default 401 points on [0, 1]); each
    interval between outputs is cut into equal steps no longer than ``dt``. Returns
    ``(x: (modes,), times: (nt,), U: (modes, nt))`` on ``x_j = 2π j / modes``.
    """
    nu = check_number("reaction_diffusion", "nu", nu, nonnegative=True)
    rho = check_number("reaction_diffusion", "rho", rho, nonnegative=True)
    modes, times = check_solver_grid("reaction_diffusion", modes, dt, times)
    x = PERIOD * np.arange(modes) / modes
    k = np.fft.rfftfreq(modes, 1.0 / modes)  # integer wavenumbers of a 2π-periodic field
    u = gaussian(x)
    U = np.empty((modes, len(times)))
    U[:, 0] = u
    for i in range(1, len(times)):
        span = times[i] - times[i - 1]
        steps = max(1, math.ceil(span / dt - 1e-9))
        h = span / steps
        decay = np.exp(-nu * k**2 * h)
        for _ in range(steps):
            u = _logistic(u, rho * h / 2)
            u = np.fft.irfft(decay * np.fft.rfft(u), modes)
            u = _logistic(u, rho * h / 2)
        U[:, i] = u
    return x, times, U


def reaction_diffusion(nu: float = 3.0, rho: float = 5.0) -> Problem:
    """u_t − ν u_xx − ρ u(1 − u) = 0 on [0, 2π) × [0, 1], u0 = h(x), periodic (u and, for
    ν ≠ 0, u_x); reference by Strang splitting (solved on first use, kept on the problem)."""
    nu = check_number("reaction_diffusion", "nu", nu, nonnegative=True)
    rho = check_number("reaction_diffusion", "rho", rho, nonnegative=True)
    domain = TimeDomain(Interval(0.0, PERIOD), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") - p["nu"] * D(u, "xx") - p["rho"] * u * (1 - u)

    def solve():
        if nu == 0:  # no diffusion: the reaction flow is exact
            return numpy_reference(lambda x: reaction_exact(x, rho))
        _, times, U = reaction_diffusion_strang(nu, rho)
        return periodic_reference(0.0, PERIOD, times, U, initial=gaussian)

    return Problem(
        name="reaction_diffusion",
        domain=domain,
        residual=residual,
        conditions={
            "initial": Initial(domain, _initial),
            "periodic": Periodic(domain, "x", derivatives=1 if nu != 0 else 0),
        },
        parameters={
            "nu": Parameter(nu, 0.01, 10.0, log=True, doc="diffusion ν"),
            "rho": Parameter(rho, 0.0, 10.0, doc="reaction rate ρ"),
        },
        reference=LazyReference(solve),
        hard=_hard,
        hard_satisfies=("initial",),
        test_shape=(256, 100),
        equation="u_t − ν u_xx − ρ u (1 − u) = 0",
        factory=reaction_diffusion,
    )
