"""Eigenvalue problems: reference eigenpairs of the 1D Schrödinger operator, computed by
finite differences inside pinnkit, and excited states by orthogonality.

The operator is ``H ψ = −ψ'' + V(x) ψ`` on ``[a, b]`` with ``ψ(a) = ψ(b) = 0`` (the scaling
in which the unit infinite well has ``E_1 = π²``, as in Sarkar, "Physics-informed neural
networks for the Schrödinger equation: infinite and finite wells and barriers",
arXiv 2504.05367, 2025).

:func:`schrodinger_fd` discretises ``H`` with the three-point Laplacian on ``n`` interior
nodes. A potential that jumps (a finite well, a barrier) is averaged over each node's cell
(exactly, by quadrature on a fine sub-grid), which keeps the eigenvalues' convergence at
O(h²) across the jumps instead of the O(h) of point sampling. The lowest eigenpairs come
from :func:`scipy.linalg.eigh_tridiagonal`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["Eigenpairs", "schrodinger_fd", "cell_average", "excited_state", "Deflated"]


@dataclass(frozen=True)
class Eigenpairs:
    """The lowest ``k`` eigenpairs on a grid: ``energies (k,)``, nodes ``x (n + 2,)`` with
    the walls included, and ``states (k, n + 2)`` normalised to ``∫ψ² = 1`` (trapezoid) with
    the sign fixed so that each state's first lobe is positive (``ψ'(a) > 0``)."""

    energies: np.ndarray
    x: np.ndarray
    states: np.ndarray

    def state(self, level: int) -> Callable[[np.ndarray], np.ndarray]:
        """``ψ_level`` as a callable ``X: (N, 1) -> (N, 1)`` (cubic interpolation)."""
        from scipy.interpolate import CubicSpline

        if not 0 <= level < len(self.energies):
            raise ValueError(f"level {level} was not computed; levels 0..{len(self.energies) - 1} were")
        spline = CubicSpline(self.x, self.states[level])
        lo, hi = self.x[0], self.x[-1]

        def psi(X: np.ndarray) -> np.ndarray:
            X = np.asarray(X, float)
            t = X[:, 0] if X.ndim == 2 else X
            if np.any(t < lo - 1e-9 * (hi - lo)) or np.any(t > hi + 1e-9 * (hi - lo)):
                raise ValueError(f"points outside [{lo}, {hi}]")
            return spline(np.clip(t, lo, hi)).reshape(-1, 1)

        return psi


def cell_average(potential: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float,
                 sub: int = 64) -> np.ndarray:
    """``(1/h) ∫_{x_i − h/2}^{x_i + h/2} V`` for each node ``x_i`` (midpoint rule on ``sub``
    sub-cells: exact for a piecewise-constant V up to the one sub-cell that holds a jump)."""
    offsets = (np.arange(sub) + 0.5) / sub - 0.5
    pts = x[:, None] + h * offsets[None, :]
    return np.asarray(potential(pts.ravel()), float).reshape(pts.shape).mean(axis=1)


def schrodinger_fd(potential: Callable[[np.ndarray], np.ndarray] | None, a: float, b: float, n: int = 2000,
                   states: int = 3) -> Eigenpairs:
    """The ``states`` lowest eigenpairs of ``−ψ'' + Vψ = Eψ`` on ``[a, b]``, ``ψ(a) = ψ(b) = 0``,
    by second-order finite differences on ``n`` interior nodes (``potential=None``: V = 0).

    Errors are O(h²) with ``h = (b − a)/(n + 1)``; the tests check this against the closed
    forms of the infinite well and the transcendental equation of the finite well."""
    from scipy.linalg import eigh_tridiagonal

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"n (interior nodes) must be an integer >= 3; got {n!r}")
    if isinstance(states, bool) or not isinstance(states, (int, np.integer)) or not 1 <= states <= n:
        raise ValueError(f"states must be an integer in [1, n]; got {states!r}")
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ValueError(f"need a finite interval a < b; got [{a}, {b}]")
    h = (b - a) / (n + 1)
    x = a + h * np.arange(1, n + 1)
    v = np.zeros(n) if potential is None else cell_average(potential, x, h)
    if not np.all(np.isfinite(v)):
        raise ValueError("the potential is not finite on [a, b]")
    diag = 2.0 / h**2 + v
    off = np.full(n - 1, -1.0 / h**2)
    energies, vecs = eigh_tridiagonal(diag, off, select="i", select_range=(0, states - 1))
    nodes = np.concatenate([[a], x, [b]])
    psi = np.zeros((states, n + 2))
    psi[:, 1:-1] = vecs.T
    for k in range(states):
        norm = math.sqrt(np.trapezoid(psi[k] ** 2, nodes))
        psi[k] /= norm
        first = psi[k][np.flatnonzero(np.abs(psi[k]) > 1e-8 * np.abs(psi[k]).max())[0]]
        if first < 0:
            psi[k] = -psi[k]
    return Eigenpairs(energies=np.asarray(energies, float), x=nodes, states=psi)


class Deflated(nn.Module):
    """``ψ̃ = ψ − Σ_j (∫ψφ_j / ∫φ_j²) φ_j``: the model with the states already found projected
    out, so ``ψ̃`` is orthogonal to each ``φ_j`` exactly (the projection is taken with the
    Gauss–Legendre rule of ``nodes`` points on the 1D ``domain``; the coefficients depend on
    the network, not on the input point, so ``ψ̃``'s derivatives are ``ψ' − Σ c_j φ_j'``).

    A penalty on ``∫ψφ_j`` alone does not find the next state: ``ψ = cφ_0`` with a scale-
    invariant residual of zero, the normalisation and the penalty make a local minimum
    (``c² = ½`` for a unit weight), and a larger weight moves it to ``ψ ≈ 0``; the cosine form
    is stationary at ``ψ ∝ φ_0``. Projecting removes that direction from the model. The
    states are frozen. ``satisfies`` adds ``"orthogonal"`` (the condition
    :func:`excited_state` adds), so the loss leaves that term out.

    ``normalise`` (default): ``ψ̃`` is also divided by its norm, so ``∫ψ̃² = 1`` holds exactly
    (and ``"normalisation"`` is satisfied too). Without it the projected state can start —
    and stay — tiny: a random network is smooth, mostly made of the low states just
    projected out, and near ``ψ̃ = 0`` the normalisation penalty's pull vanishes (measured:
    the infinite well's third state and the barrier's second ended at ``∫ψ̃² ≈ 0``)."""

    taylor_unsupported = "the projection is nonlocal (coefficients are integrals over the domain)"

    def __init__(self, model: nn.Module, states: Sequence[nn.Module], domain, nodes: int = 200,
                 condition: str = "orthogonal", normalise: bool = True):
        super().__init__()
        from .conditions import quadrature

        if not states:
            raise ValueError("Deflated needs at least one state to project out")
        for i, s in enumerate(states):
            if not isinstance(s, nn.Module):
                raise TypeError(f"Deflated: state {i} is a {type(s).__name__}; project out trained models")
            s.requires_grad_(False)
        self.model = model
        self.states = nn.ModuleList(states)
        x, w = quadrature(domain, nodes)
        p = next(iter(model.parameters()))
        self.register_buffer("nodes", torch.as_tensor(x, dtype=p.dtype))
        self.register_buffer("weights", torch.as_tensor(w, dtype=p.dtype))
        self.normalise = bool(normalise)
        self.satisfies = tuple(getattr(model, "satisfies", ())) + (condition,) + (("normalisation",) if normalise else ())
        self.in_dim, self.out_dim = getattr(model, "in_dim", 1), getattr(model, "out_dim", 1)

    def _phi(self, x):
        return torch.cat([s(x)[:, :1] for s in self.states], dim=1)

    def forward(self, x):
        nodes, w = self.nodes.to(x.dtype), self.weights.to(x.dtype)
        psi_n, phi_n = self.model(nodes)[:, :1], self._phi(nodes)
        coef = (w[:, None] * psi_n * phi_n).sum(0) / (w[:, None] * phi_n**2).sum(0)
        out = self.model(x) - self._phi(x) @ coef[:, None]
        if self.normalise:  # ∫ψ̃² = 1 exactly: ψ̃ / ‖ψ̃‖ with the same quadrature
            rest = psi_n - phi_n @ coef[:, None]
            out = out / torch.sqrt((w[:, None] * rest**2).sum())
        return out


def excited_state(problem, states: Sequence, name: str = "orthogonal", nodes: int = 200):
    """``problem`` asked for the next eigenstate: its reference moved to level
    ``len(states)`` and an :class:`~pinnkit.problems.conditions.Orthogonality` condition
    ``∫ψ φ_j = 0`` to each state already found (trained models or callables; they are
    frozen). The problem must be a zoo eigenproblem (a ``level`` parameter). Train a
    :class:`Deflated` model on it (which satisfies the condition exactly); the condition
    then measures what is left, and a plain model trained on it with the condition as a
    penalty is the approach that fails (see :class:`Deflated`)."""
    from .conditions import Orthogonality

    if "level" not in problem.parameters:
        raise ValueError(f"{problem.name} has no 'level' parameter; excited_state needs a zoo eigenproblem "
                         f"(infinite_well, finite_well, barrier)")
    if not states:
        raise ValueError("excited_state needs at least one state already found")
    if name in problem.conditions:
        raise ValueError(f"{problem.name} already has a condition named {name!r}")
    nxt = problem.with_parameters(level=float(len(states)))
    cond = Orthogonality(nxt.domain, states, nodes=nodes)
    return nxt.replace(conditions={**nxt.conditions, name: cond}, factory=None)
