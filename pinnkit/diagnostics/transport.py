"""Transport diagnostics: singular-value decay of solution snapshots (a Kolmogorov n-width
proxy) and the spectrum of an error field.

n-width. The Kolmogorov n-width of a set ``S`` in ``L²`` is
``d_n(S) = inf_{dim V = n} sup_{s ∈ S} inf_{v ∈ V} ‖s − v‖``: how well the best
n-dimensional linear space can approximate every member. For the snapshots
``S = {u(·, t_j)}`` of a solution on a grid (the columns of ``U: (n_x, n_t)``) with singular
values ``σ_1 ≥ σ_2 ≥ ...``, the best rank-n space is spanned by the first n left
singular vectors (POD), and its root-mean-square error over the snapshots,
``sqrt(Σ_{i>n} σ_i² / n_t)``, bounds ``d_n`` of the snapshot set from below. Slow decay of
``σ_i`` means no low-dimensional linear space fits the solution. Mojgani, Balajewicz &
Hassanzadeh (arXiv 2205.02902) tie the failure of PINNs on transport to
this width, which grows with the transport speed for a sharp profile and vanishes in the
characteristic (Lagrangian) frame, where the solution does not move.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..problems.problem import Problem

__all__ = ["snapshot_matrix", "travelling_snapshots", "snapshot_singular_values", "modes_for_error",
           "pod_error", "ErrorSpectrum", "error_spectrum"]


def snapshot_matrix(problem: Problem, shape: Sequence[int] | None = None) -> np.ndarray:
    """The reference of a 1D time-dependent problem on its grid: ``(n_x, n_t)``, column j
    the profile at time ``t_j`` (grid as :meth:`Box.grid`, ``shape`` default the test shape)."""
    if problem.domain.dim != 2 or not problem.domain.is_time_dependent:
        raise ValueError(f"{problem.name}: snapshots need a (x, t) domain; got {problem.domain.names}")
    shape = tuple(shape) if shape is not None else problem.test_shape
    return problem.reference_on(problem.test_grid(shape))[:, 0].reshape(shape)


def travelling_snapshots(profile: Callable[[np.ndarray], np.ndarray], beta: float, nx: int = 256,
                         nt: int = 101, length: float = 2 * math.pi, duration: float = 1.0) -> np.ndarray:
    """Snapshots of ``u(x, t) = u0((x − βt) mod L)``, the exact solution of
    ``u_t + β u_x = 0`` with period ``L``: ``(nx, nt)`` on ``x_i = iL/nx`` (endpoint left out,
    it repeats ``x = 0``) and ``t_j = j·duration/(nt − 1)``. ``profile`` maps ``[0, L)`` to values."""
    if not math.isfinite(beta):
        raise ValueError(f"beta must be finite; got {beta!r}")
    if nx < 2 or nt < 2:
        raise ValueError(f"need nx, nt >= 2; got {nx}, {nt}")
    x = np.arange(nx) * length / nx
    t = np.linspace(0.0, duration, nt)
    xi = np.mod(x[:, None] - beta * t[None, :], length)
    return np.asarray(profile(xi), float).reshape(nx, nt)


def snapshot_singular_values(snapshots: np.ndarray, normalise: bool = True) -> np.ndarray:
    """Singular values of the snapshot matrix ``(n_x, n_t)``, descending, divided by the
    largest when ``normalise`` -> ``(min(n_x, n_t),)``."""
    U = np.asarray(snapshots, float)
    if U.ndim != 2 or not np.all(np.isfinite(U)):
        raise ValueError(f"snapshots must be a finite 2D array (n_x, n_t); got shape {U.shape}")
    sv = np.linalg.svd(U, compute_uv=False)
    return sv / sv[0] if normalise and sv[0] > 0 else sv


def pod_error(singular_values: np.ndarray) -> np.ndarray:
    """Relative error of the best rank-n approximation in the Frobenius norm, for
    ``n = 0, 1, ...``: ``e_n = sqrt(Σ_{i>n} σ_i² / Σ_i σ_i²)`` -> ``(len(σ) + 1,)``."""
    s2 = np.asarray(singular_values, float) ** 2
    tail = np.concatenate([np.cumsum(s2[::-1])[::-1], [0.0]])
    return np.sqrt(tail / tail[0]) if tail[0] > 0 else tail


def modes_for_error(singular_values: np.ndarray, tol: float = 1e-2) -> int:
    """The smallest ``n`` whose best rank-n approximation has relative (Frobenius) error
    ``≤ tol`` (see :func:`pod_error`): the numerical n-width of the snapshots at ``tol``."""
    if not (0 < tol < 1):
        raise ValueError(f"tol must be in (0, 1); got {tol!r}")
    return int(np.argmax(pod_error(singular_values) <= tol))


@dataclass
class ErrorSpectrum:
    """Amplitude of each Fourier mode of an error field along x.

    ``index``: cycles per sampled length (``n`` for ``sin(2πn x/L)``); ``frequency``:
    cycles per unit length; ``wavenumber``: ``2π·frequency`` (``k`` for ``sin(k x)``);
    ``amplitude``: ``(n_modes,)`` averaged over time (root mean square), or
    ``(n_modes, n_t)`` per time."""

    index: np.ndarray
    frequency: np.ndarray
    wavenumber: np.ndarray
    amplitude: np.ndarray

    @property
    def peak(self) -> float:
        """Wavenumber of the largest (time-averaged) amplitude, the mean mode left out."""
        a = self.amplitude if self.amplitude.ndim == 1 else np.sqrt((self.amplitude**2).mean(1))
        return float(self.wavenumber[1:][np.argmax(a[1:])])


def error_spectrum(error: np.ndarray, x: np.ndarray, periodic_endpoint: bool = False,
                   average: bool = True) -> ErrorSpectrum:
    """FFT of ``error: (n_x,)`` or ``(n_x, n_t)`` along x on the uniform grid ``x: (n_x,)``.

    Amplitudes are one-sided and scaled so that ``a·sin(kx + φ)`` sampled over whole
    periods shows amplitude ``a`` at wavenumber ``k``. ``periodic_endpoint=True`` drops
    the last sample, which repeats the first on a grid that includes both ends of a
    periodic interval (``linspace(0, 2π, n)``); on a non-periodic error the FFT sees the
    jump between the ends as extra high-frequency content. ``average`` returns the root
    mean square over time columns.
    """
    e = np.asarray(error, float)
    x = np.asarray(x, float).ravel()
    if e.ndim == 1:
        e = e[:, None]
    if e.ndim != 2 or e.shape[0] != x.size or x.size < 4:
        raise ValueError(f"error must be (n_x,) or (n_x, n_t) with n_x = len(x) >= 4; got {e.shape}, {x.size}")
    dx = np.diff(x)
    if not np.allclose(dx, dx[0], rtol=1e-6, atol=0) or dx[0] <= 0:
        raise ValueError("x must be uniformly spaced and increasing")
    if periodic_endpoint:
        e, x = e[:-1], x[:-1]
    n = x.size
    length = n * dx[0]
    F = np.fft.rfft(e, axis=0) / n
    amp = np.abs(F)
    amp[1:] *= 2
    if n % 2 == 0:
        amp[-1] /= 2  # the Nyquist mode has no mirror image
    index = np.arange(amp.shape[0], dtype=float)
    freq = index / length
    if average:
        amp = np.sqrt((amp**2).mean(axis=1))
    elif np.asarray(error).ndim == 1:
        amp = amp[:, 0]
    return ErrorSpectrum(index=index, frequency=freq, wavenumber=2 * math.pi * freq, amplitude=amp)
