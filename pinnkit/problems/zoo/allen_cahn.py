"""Allen–Cahn equation, the benchmark of causal training (Wang, Sankaran & Perdikaris,
CMAME 2024, arXiv 2203.07404, §2) and of Raissi et al. (JCP 2019):

    u_t − d u_xx + γ (u³ − u) = 0,  x ∈ [−1, 1], t ∈ [0, 1],
    u(x, 0) = x² cos(π x),  periodic in x (u and u_x),

with d = 1e-4 and γ = 5. The solution develops interfaces of width ~ sqrt(2d/γ)
(≈ 0.006 by default) between the stable states u = ±1.

Reference: Fourier spectral in x, ETDRK4 in time (Cox & Matthews, J. Comput. Phys. 176,
2002) with the φ-function coefficients computed by contour integrals (Kassam &
Trefethen, SIAM J. Sci. Comput. 26, 2005), splitting v̂' = (γ − d k²) v̂ − γ (u³)^. The
default 1024 modes (more when d/γ is small, so an interface spans ≥ 3 grid points) and
Δt = 2.5e-3 give errors near 1e-8 once the interfaces have formed (t ≳ 0.25); at early
times the slope jump of the initial state at x = ±1 (below) limits the error near
x = ±1 to ~1e-4 at t = 0.05, decaying like e^{-10t} (test_zoo measures both). The field
is stored on 401 times and a grid refined twice by trigonometric interpolation in a
:class:`~pinnkit.problems.GridReference` (bicubic spline; off-grid error ~4e-8), with
the exact initial state at t = 0.

Periodicity: the periodic extension of x² cos πx is continuous and even about x = ±1, but
its slope jumps (∓2) there at t = 0; for t > 0 diffusion smooths it and u_x(±1, t) = 0
by symmetry, so u_x periodicity holds for t > 0, as Raissi et al. impose it.

Hard constraint: u = x² cos πx + t n satisfies the initial condition.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..conditions import Initial, Periodic
from ..domains import Interval, TimeDomain
from ..problem import Parameter, Problem
from ._common import LazyReference, check_number, check_solver_grid, etdrk4_coefficients, etdrk4_step, periodic_reference

__all__ = ["allen_cahn", "allen_cahn_etdrk4", "default_modes"]


def _initial(x, p=None):
    xs = x[:, :1]
    return xs**2 * torch.cos(math.pi * xs)


def default_modes(d: float, gamma: float) -> int:
    """A power of two ≥ 1024 with ≥ 3 grid points across an interface of width
    sqrt(2d/γ) (capped at 16384)."""
    if gamma <= 0:
        return 1024
    width = math.sqrt(2 * d / gamma)
    need = 2.0 / (width / 3)
    return int(min(16384, max(1024, 2 ** math.ceil(math.log2(need)))))


def allen_cahn_etdrk4(d: float = 1e-4, gamma: float = 5.0, modes: int = 1024, times: np.ndarray | None = None,
                      dt: float = 2.5e-3, contour_points: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fourier–ETDRK4 solution of u_t = d u_xx + γ (u − u³), u0 = x² cos πx, 2-periodic.

    ``times``: increasing output times starting at 0 (default 401 points on [0, 1]); each
    interval is cut into equal steps no longer than ``dt`` (coefficients are recomputed
    only when the step changes). Returns ``(x: (modes,), times: (nt,), U: (modes, nt))``
    on ``x_j = −1 + 2 j / modes``.
    """
    d = check_number("allen_cahn", "d", d, positive=True)
    gamma = check_number("allen_cahn", "gamma", gamma, nonnegative=True)
    n, times = check_solver_grid("allen_cahn", modes, dt, times)
    x = -1.0 + 2.0 * np.arange(n) / n
    k = math.pi * np.fft.rfftfreq(n, 1.0 / n)  # wavenumbers of a 2-periodic field
    L = gamma - d * k**2

    def nonlinear(v):
        return -gamma * np.fft.rfft(np.fft.irfft(v, n) ** 3)

    v = np.fft.rfft(x**2 * np.cos(np.pi * x))
    U = np.empty((n, len(times)))
    U[:, 0] = np.fft.irfft(v, n)
    coeffs, step = None, None
    for i in range(1, len(times)):
        span = times[i] - times[i - 1]
        m = max(1, math.ceil(span / dt - 1e-9))
        if coeffs is None or not math.isclose(span / m, step, rel_tol=1e-12):
            step = span / m
            coeffs = etdrk4_coefficients(L, step, contour_points)
        for _ in range(m):
            v = etdrk4_step(v, nonlinear, *coeffs)
        U[:, i] = np.fft.irfft(v, n)
    return x, times, U


def allen_cahn(d: float = 1e-4, gamma: float = 5.0) -> Problem:
    """u_t − d u_xx + γ(u³ − u) = 0 on [−1, 1] × [0, 1], u0 = x² cos πx, periodic;
    ETDRK4 spectral reference (solved on first use, kept on the problem)."""
    d = check_number("allen_cahn", "d", d, positive=True)
    gamma = check_number("allen_cahn", "gamma", gamma, nonnegative=True)
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)

    def residual(x, u, D, p):
        return D(u, "t") - p["d"] * D(u, "xx") + p["gamma"] * (u**3 - u)

    def hard(x, n, p):
        return _initial(x) + x[:, 1:2] * n

    def solve():
        _, times, U = allen_cahn_etdrk4(d, gamma, modes=default_modes(d, gamma))
        return periodic_reference(-1.0, 2.0, times, U, initial=lambda x: x**2 * np.cos(np.pi * x))

    return Problem(
        name="allen_cahn",
        domain=domain,
        residual=residual,
        conditions={"initial": Initial(domain, _initial), "periodic": Periodic(domain, "x", derivatives=1)},
        parameters={
            "d": Parameter(d, 1e-5, 1e-2, log=True, doc="diffusion d"),
            "gamma": Parameter(gamma, 0.0, 10.0, doc="reaction strength γ"),
        },
        reference=LazyReference(solve),
        hard=hard,
        hard_satisfies=("initial",),
        test_shape=(512, 201),
        equation="u_t − d u_xx + γ (u³ − u) = 0",
        factory=allen_cahn,
    )
