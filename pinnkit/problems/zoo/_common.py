"""Pieces shared by the zoo modules: argument checks, closed forms written once in torch
and used as numpy references, lazily solved references, periodic spectral grids,
ETDRK4 coefficients and boundary lifts for hard constraints.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable

import numpy as np
import torch

from ..problem import GridReference

__all__ = [
    "check_number", "numpy_reference", "LazyReference", "periodic_reference",
    "etdrk4_coefficients", "line_lift", "product_lift",
]


def check_number(problem: str, name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``float(value)`` after checking that it is a finite number (and ``> 0`` or ``>= 0``
    when asked); otherwise ``ValueError`` naming the problem and the parameter."""
    need = " > 0" if positive else " >= 0" if nonnegative else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{problem}: {name} must be a finite number{need}; got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (positive and not v > 0) or (nonnegative and not v >= 0):
        raise ValueError(f"{problem}: {name} must be a finite number{need}; got {value!r}")
    return v


def numpy_reference(exact: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy reference ``X: (N, d) -> (N, 1)`` from a torch closed form evaluated in float64.

    Writing each closed form once, in torch, lets the tests differentiate the very code
    that produces the reference."""

    def reference(X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(X, float), dtype=torch.float64)
            return exact(x).reshape(-1, 1).numpy()

    return reference


class LazyReference:
    """A reference solved on first use and kept on this object (so on the Problem that
    holds it: no module-level cache). ``solve() -> callable (N, d) -> (N, 1)``."""

    def __init__(self, solve: Callable[[], Callable[[np.ndarray], np.ndarray]]):
        self._solve = solve
        self._reference: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def solved(self) -> Callable[[np.ndarray], np.ndarray]:
        if self._reference is None:
            self._reference = self._solve()
        return self._reference

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.solved(X)


class PeriodicGridReference:
    """Snapshots ``U: (n, nt)`` of a periodic field on ``x0 + L j / n`` (``j < n``) at
    ``times``, as a :class:`GridReference` (cubic spline) on a grid refined ``upsample``
    times by exact trigonometric (zero-padded FFT) interpolation. ``x`` is wrapped into
    one period before interpolating, so points just outside ``[x0, x0 + L]`` (finite
    differences across the boundary) see the periodic extension. ``initial(x) -> u0``
    (numpy), when given, fills the ``t = times[0]`` column exactly instead (an initial
    state whose periodic extension has a kink is not a trigonometric polynomial)."""

    def __init__(self, x0: float, period: float, times: np.ndarray, U: np.ndarray, upsample: int = 2,
                 initial: Callable[[np.ndarray], np.ndarray] | None = None):
        n = U.shape[0]
        m = n * upsample
        xs = x0 + period * np.arange(m + 1) / m
        fine = np.fft.irfft(np.fft.rfft(U, axis=0) * upsample, m, axis=0)
        fine = np.vstack([fine, fine[:1]])  # the periodic endpoint x0 + L
        if initial is not None:
            fine[:, 0] = initial(xs)
        self.x0, self.period = float(x0), float(period)
        self.grid = GridReference([xs, times], fine, method="spline")

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, float, copy=True)
        X[:, 0] = self.x0 + np.mod(X[:, 0] - self.x0, self.period)
        return self.grid(X)


def periodic_reference(x0: float, period: float, times: np.ndarray, U: np.ndarray, upsample: int = 2,
                       initial: Callable[[np.ndarray], np.ndarray] | None = None) -> PeriodicGridReference:
    """See :class:`PeriodicGridReference`."""
    return PeriodicGridReference(x0, period, times, U, upsample, initial)


def etdrk4_coefficients(L: np.ndarray, h: float, contour_points: int = 32):
    """ETDRK4 coefficients for ``v' = L v + N(v)`` with diagonal ``L`` and step ``h``.

    Cox & Matthews (J. Comput. Phys. 176, 2002) scheme; the φ-functions are averaged over
    ``contour_points`` points of the unit circle around each ``hL`` to avoid cancellation
    (Kassam & Trefethen, SIAM J. Sci. Comput. 26, 2005, Eq. 2.5 and §5):

        Q  = h ⟨(e^{z/2} − 1)/z⟩,
        f1 = h ⟨(−4 − z + e^z (4 − 3z + z²))/z³⟩,
        f2 = h ⟨(2 + z + e^z (z − 2))/z³⟩,
        f3 = h ⟨(−4 − 3z − z² + e^z (4 − z))/z³⟩,   z = hL + e^{iθ}.

    Returns ``(E, E2, Q, f1, f2, f3)`` with ``E = e^{hL}``, ``E2 = e^{hL/2}``.
    """
    L = np.asarray(L, float)
    r = np.exp(1j * np.pi * (np.arange(1, contour_points + 1) - 0.5) / contour_points)
    z = h * L[:, None] + r[None, :]
    ez = np.exp(z)
    Q = h * np.mean((np.exp(z / 2) - 1) / z, axis=1).real
    f1 = h * np.mean((-4 - z + ez * (4 - 3 * z + z**2)) / z**3, axis=1).real
    f2 = h * np.mean((2 + z + ez * (z - 2)) / z**3, axis=1).real
    f3 = h * np.mean((-4 - 3 * z - z**2 + ez * (4 - z)) / z**3, axis=1).real
    return np.exp(h * L), np.exp(h * L / 2), Q, f1, f2, f3


def etdrk4_step(v, nonlinear, E, E2, Q, f1, f2, f3):
    """One ETDRK4 step of ``v' = L v + N(v)`` (Cox & Matthews 2002, Eqs. 26-29)."""
    Nv = nonlinear(v)
    a = E2 * v + Q * Nv
    Na = nonlinear(a)
    b = E2 * v + Q * Na
    Nb = nonlinear(b)
    c = E2 * a + Q * (2 * Nb - Nv)
    Nc = nonlinear(c)
    return E * v + Nv * f1 + 2 * (Na + Nb) * f2 + Nc * f3


def line_lift(s: Callable[[torch.Tensor], torch.Tensor], low: float, high: float, x: torch.Tensor) -> torch.Tensor:
    """The straight line through ``(low, s(low))`` and ``(high, s(high))`` at ``x``."""
    lo = s(torch.full_like(x[:1], low))
    hi = s(torch.full_like(x[:1], high))
    w = (x - low) / (high - low)
    return lo * (1 - w) + hi * w


def product_lift(s1, s2, lo: tuple[float, float], hi: tuple[float, float],
                 x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Coons patch of the boundary values of ``u = s1(x) s2(y)`` on a rectangle:
    ``ℓ1 s2 + s1 ℓ2 − ℓ1 ℓ2`` with ``ℓi`` the :func:`line_lift` of ``si``. It equals
    ``u`` on all four edges and uses only the boundary data, so
    ``lift + (distance factor) · n`` is a hard Dirichlet constraint."""
    l1 = line_lift(s1, lo[0], hi[0], x)
    l2 = line_lift(s2, lo[1], hi[1], y)
    return l1 * s2(y) + s1(x) * l2 - l1 * l2


def dirichlet_edges(domain, g) -> dict:
    """Dirichlet data ``g(x, p)`` on the four edges of a rectangle with coordinates (x, y):
    ``left``/``right`` (x low/high) and ``bottom``/``top`` (y low/high)."""
    from ..conditions import Dirichlet

    return {"left": Dirichlet(domain, "x", "low", g), "right": Dirichlet(domain, "x", "high", g),
            "bottom": Dirichlet(domain, "y", "low", g), "top": Dirichlet(domain, "y", "high", g)}


def check_solver_grid(problem: str, modes, dt, times) -> tuple[int, np.ndarray]:
    """Validate a spectral solver's ``modes`` (even, >= 8), step ``dt`` (> 0) and output
    ``times`` (increasing from 0; default 401 points on [0, 1]) -> ``(modes, times)``."""
    if int(modes) != modes or modes < 8 or modes % 2:
        raise ValueError(f"{problem}: modes must be an even integer >= 8; got {modes!r}")
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"{problem}: dt must be a finite number > 0; got {dt!r}")
    times = np.linspace(0.0, 1.0, 401) if times is None else np.asarray(times, float)
    if times.ndim != 1 or times[0] != 0 or np.any(np.diff(times) <= 0):
        raise ValueError(f"{problem}: times must be increasing and start at 0")
    return int(modes), times
