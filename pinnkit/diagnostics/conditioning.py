"""Conditioning diagnostics: gradient cosines and histograms between loss terms, and the
linearised operator matrix of De Ryck et al. with its spectrum and condition number.

Gradient diagnostics take per-term *flat* parameter gradients ``{name: (P,)}`` (for
example ``Context.grads()`` of :mod:`pinnkit.balancing`, or :func:`term_gradients`).

The linearised operator (De Ryck, Bonnet, Mishra, de Bézenac, "An operator
preconditioning perspective on training in physics-informed machine learning", ICLR 2024,
arXiv 2310.05801). With ``φ_i = ∂u(·; θ)/∂θ_i`` and ``D`` the PDE operator
(its linearisation at the current ``u`` when the PDE is nonlinear),

    A_ij = ⟨Dφ_i, Dφ_j⟩_{L²(Ω)} + λ ⟨φ_i, φ_j⟩_{L²(∂Ω)},

and gradient descent on the PINN loss, linearised at ``θ``, contracts the error like
``(1 − c/κ(A))^k``. Here the inner products are the PINN loss's own quadrature: the mean
over each term's points, so that ``A = Σ_t w_t (1/N_t) J_tᵀ J_t`` where ``J_t = ∂r_t/∂θ``
is the Jacobian of term ``t``'s residual vector (``r_t`` the PDE residual, or ``u − g``
on a boundary). Then ``L(θ + δ) ≈ L(θ) + ∇Lᵀδ + δᵀ A δ`` (the Gauss–Newton model of
``L = Σ_t w_t mean r_t²``, exact for a linear PDE and a model linear in ``θ``).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ..balancing import Context
from ..losses import term_residual
from ..problems.problem import Problem

__all__ = [
    "gradient_cosines", "gradient_histograms", "parameter_slices", "term_gradients", "residual_jacobians",
    "LinearisedOperator", "linearised_operator", "condition_number", "SineSeries",
]


# --------------------------------------------------------------------------- gradients
def _flat_grads(grads: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if not isinstance(grads, Mapping) or not grads:
        raise ValueError("grads must be a non-empty mapping {term name: flat gradient}")
    out = {}
    sizes = set()
    for name, g in grads.items():
        g = torch.as_tensor(g).detach()
        if g.ndim != 1:
            raise ValueError(f"gradient of {name!r} must be flat (P,); got shape {tuple(g.shape)}")
        sizes.add(g.numel())
        out[name] = g.double()
    if len(sizes) != 1:
        raise ValueError(f"all flat gradients must have the same length; got lengths {sorted(sizes)}")
    return out


def gradient_cosines(grads: Mapping[str, torch.Tensor]) -> dict[tuple[str, str], float]:
    """Cosine of the angle between every pair of per-term gradients.

    ``cos(g_a, g_b) = g_a·g_b / (‖g_a‖ ‖g_b‖)`` for each pair ``a`` before ``b`` in the
    mapping's order; ``grads: {name: (P,)}``. A negative cosine is a *conflict*: a step
    along one term's descent direction increases the other term (Yu et al., "Gradient
    surgery for multi-task learning", NeurIPS 2020; Liu, Chu, Thuerey, ConFIG, ICLR 2025).
    A zero gradient has no direction: its cosines are NaN.
    """
    g = _flat_grads(grads)
    names = list(g)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            na, nb = float(g[a].norm()), float(g[b].norm())
            out[(a, b)] = float(g[a] @ g[b]) / (na * nb) if na > 0 and nb > 0 else math.nan
    return out


def gradient_histograms(grads: Mapping[str, torch.Tensor], bins: int = 60, limit: float | None = None,
                        density: bool = True, select: slice | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Histogram of the entries of each per-term gradient, on common bin edges.

    Wang, Teng & Perdikaris ("Understanding and mitigating gradient pathologies in PINNs",
    SISC 2021, Fig. 2) show these per term: a residual gradient spread far wider than the
    boundary gradient is the stiffness that learning-rate annealing corrects.
    ``grads: {name: (P,)}``; ``limit``: edges span ``[-limit, limit]`` (default: the
    largest |entry| over all terms); ``select``: only these entries, e.g. one layer's
    weights from :func:`parameter_slices` (the paper plots one layer per panel).
    Returns ``{name: (counts (bins,), edges (bins+1,))}``.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    g = _flat_grads(grads)
    if select is not None:
        g = {n: v[select] for n, v in g.items()}
        if any(v.numel() == 0 for v in g.values()):
            raise ValueError(f"select={select!r} picks no entries")
    if limit is None:
        limit = max(float(v.abs().max()) for v in g.values())
    if not (math.isfinite(limit) and limit >= 0):
        raise ValueError(f"limit must be a finite number >= 0; got {limit!r}")
    limit = limit if limit > 0 else 1.0
    edges = np.linspace(-limit, limit, bins + 1)
    return {n: (np.histogram(v.numpy(), bins=edges, density=density)[0], edges) for n, v in g.items()}


def parameter_slices(model: nn.Module) -> dict[str, slice]:
    """Where each named trainable parameter sits in a flat gradient (the order of
    ``model.parameters()``, as in :class:`pinnkit.balancing.Context`)."""
    out, i = {}, 0
    for name, p in model.named_parameters():
        if p.requires_grad:
            out[name] = slice(i, i + p.numel())
            i += p.numel()
    return out


def term_gradients(losses: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
    """Flat gradient ``∇_θ L_t`` of each named loss (losses must still hold their graphs)."""
    return Context(0, losses, list(params)).grads()


# ------------------------------------------------------------------ linearised operator
def _jacobian(r: torch.Tensor, params: Sequence[torch.Tensor], chunk: int = 256) -> torch.Tensor:
    """``∂r/∂θ`` for a residual vector ``r: (M,)`` -> ``(M, P)`` (rows batched through autograd)."""
    rows = []
    for i in range(0, r.numel(), chunk):
        m = min(chunk, r.numel() - i)
        eye = torch.zeros(m, r.numel(), dtype=r.dtype)
        eye[torch.arange(m), i + torch.arange(m)] = 1.0
        gs = torch.autograd.grad(r, params, grad_outputs=eye, is_grads_batched=True, retain_graph=True,
                                 allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros(m, *p.shape, dtype=r.dtype)).reshape(m, -1)
                               for g, p in zip(gs, params)], dim=1))
    return torch.cat(rows, dim=0)


def residual_jacobians(problem: Problem, model: nn.Module, points: Mapping[str, np.ndarray | torch.Tensor],
                       params: Mapping | None = None, dtype: torch.dtype = torch.float64
                       ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Residual vector and its parameter Jacobian for each term.

    ``points``: ``{"residual": (N, d), <condition name>: (N_c, d), ...}`` as in
    :func:`pinnkit.losses.loss_terms`. Returns ``{name: (r (M,), J (M, P))}`` with ``M = N·k``
    (all residual components stacked). The model is copied to ``dtype`` (float64 by
    default: ``A = JᵀJ`` squares the condition number, so float32 hides everything below
    ~1e-7 of the largest eigenvalue); the caller's model is not changed.
    """
    return _term_residuals(problem, model, points, params, dtype, jacobian=True)


def condition_number(eigenvalues: np.ndarray, rtol: float | None = None, size: int | None = None) -> float:
    """``λ_max / λ_min`` over the eigenvalues of a symmetric PSD matrix above the null space.

    Eigenvalues ``λ ≤ rtol·λ_max`` count as the (near-)null space and are left out. Those
    are parameter directions that do not change any residual at the quadrature points
    (more parameters than points, symmetries of the network, dead units): gradient
    descent neither moves along them nor needs to, so they do not slow convergence. The
    default ``rtol = (size·ε)²`` (``size`` = the larger side of the stacked Jacobian,
    ``ε`` float64's machine epsilon) is the numerical-rank tolerance of ``J`` squared: a
    ``λ = σ²`` below it cannot be told apart from round-off. Eigenvalues of a smooth
    network decay without a gap, so κ of a network depends on this cut-off; report it
    together with the spectrum, never alone.
    """
    lam = np.sort(np.asarray(eigenvalues, float))[::-1]
    if lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError("eigenvalues must be a non-empty array of finite numbers")
    if lam[0] <= 0:
        return math.inf
    if rtol is None:
        rtol = (max(size or lam.size, 1) * np.finfo(np.float64).eps) ** 2
    if not (math.isfinite(rtol) and 0 <= rtol < 1):
        raise ValueError(f"rtol must be a number in [0, 1); got {rtol!r}")
    kept = lam[lam > rtol * lam[0]]
    return float(kept[0] / kept[-1])


@dataclass
class LinearisedOperator:
    """``A = MᵀM`` from the stacked, weighted Jacobian ``M = [sqrt(w_t/N_t) J_t]_t: (ΣM_t, P)``.

    - ``eigenvalues``: the nonzero spectrum ``σ_i²`` of ``A`` from the SVD of ``M``
      (descending, ``min(ΣM_t, P)`` values; more accurate than ``eigh(A)`` because ``A`` is
      never formed); the remaining ``P − ΣM_t`` eigenvalues are exactly zero.
    - ``jacobian``: ``M``; ``matrix``: ``A``.
    - the stacked weighted residual ``m = [sqrt(w_t/N_t) r_t]``, so that the
      loss is ``L = ‖m‖²``; ``energy[i] = ⟨U_i, m⟩²`` splits it over the eigen-directions
      (``U_i`` left singular vectors) and ``unreachable`` is the part outside ``range(M)``
      that no parameter change can remove to first order.
    """

    eigenvalues: np.ndarray
    energy: np.ndarray
    unreachable: float
    jacobian: np.ndarray
    terms: dict[str, int]
    left_vectors: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(ΣM_t, P)``: stacked residual entries by parameters."""
        return self.jacobian.shape

    @property
    def matrix(self) -> np.ndarray:
        """``A = MᵀM: (P, P)``."""
        return self.jacobian.T @ self.jacobian

    def condition_number(self, rtol: float | None = None) -> float:
        """κ(A) above the near-null space (see :func:`condition_number`)."""
        return condition_number(self.eigenvalues, rtol, max(self.shape))

    def rank(self, rtol: float | None = None) -> int:
        """How many eigenvalues :meth:`condition_number` keeps."""
        lam = self.eigenvalues
        rtol = (max(self.shape) * np.finfo(np.float64).eps) ** 2 if rtol is None else rtol
        return int(np.sum(lam > rtol * lam[0]))

    def residual_condition_number(self, share: float = 0.99) -> float:
        """``λ_max / λ_j`` where the eigen-directions ``1..j`` carry ``share`` of the loss.

        ``A`` itself does not depend on the data (for ``−u'' = f`` it is the same matrix
        for every ``f``); where the residual sits in its spectrum does. Gradient descent
        with the largest stable step ``η ~ 1/λ_max`` needs about ``λ_max/λ_i`` steps per
        e-fold of mode ``i``, so removing a fraction ``share`` of the loss takes at least
        ``~κ_r`` steps: the condition number that the *current error* sees. Infinite when
        more than ``1 − share`` of the loss lies outside ``range(M)``.
        """
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1]; got {share!r}")
        total = float(self.energy.sum() + self.unreachable)
        if total == 0:
            return 1.0
        j = int(np.searchsorted(np.cumsum(self.energy) / total, share * (1 - 1e-12)))
        if j >= self.eigenvalues.size or self.eigenvalues[j] <= 0:
            return math.inf
        return float(self.eigenvalues[0] / self.eigenvalues[j])

    def predicted_loss(self, lr: float, steps: int | Sequence[int]) -> np.ndarray:
        """Loss after ``k`` steps of gradient descent ``θ ← θ − lr ∇L`` on the linearised
        model: ``L_k = Σ_i (1 − 2·lr·λ_i)^{2k} energy_i + unreachable`` -> ``(len(steps),)``."""
        k = np.atleast_1d(np.asarray(steps, float))
        q = (1 - 2 * lr * self.eigenvalues)[None, :] ** (2 * k[:, None])
        return (q * self.energy[None, :]).sum(1) + self.unreachable


def linearised_operator(problem: Problem, model: nn.Module, points: Mapping[str, np.ndarray | torch.Tensor],
                        params: Mapping | None = None, weights: Mapping[str, float] | float = 1.0,
                        dtype: torch.dtype = torch.float64, reuse: LinearisedOperator | None = None
                        ) -> LinearisedOperator:
    """The matrix ``A`` of De Ryck et al. at the model's current parameters.

    ``points`` are the quadrature points per term (``"residual"`` for ``Ω``, condition
    names for ``∂Ω`` or the initial line); ``weights`` are the loss weights ``w_t`` (the
    paper's ``λ`` multiplies every condition term): one number for all conditions, or a
    dict by term name (missing names weigh 1; ``"residual"`` weighs 1 unless named).
    ``θ`` is the model's trainable parameters (a problem's trainable unknowns are held
    fixed at their values in ``params``). Cost: one backward pass per residual entry (a few seconds for ~10³ points and ~10³
    parameters on one core). ``A`` depends on the operator, the model and the points but
    not on the data (``f``, boundary values): ``reuse`` an operator computed with the same
    model, points and weights to evaluate only the new residual against its spectrum.
    """
    if not isinstance(weights, Mapping):
        weights = {n: float(weights) for n in points if n != "residual"}
    bad = set(weights) - set(points)
    if bad:
        raise ValueError(f"weights name terms without points: {sorted(bad)}")
    if any(not (math.isfinite(float(w)) and float(w) >= 0) for w in weights.values()):
        raise ValueError(f"weights must be finite numbers >= 0; got {dict(weights)}")
    if reuse is not None:
        if reuse.left_vectors is None:
            raise ValueError("the operator to reuse was built without its singular vectors")
        jac = _term_residuals(problem, model, points, params, dtype, jacobian=False)
    else:
        jac = residual_jacobians(problem, model, points, params, dtype)
    rows_m, rows_r, sizes = [], [], {}
    for name, (r, J) in jac.items():
        s = math.sqrt(float(weights.get(name, 1.0)) / len(points[name]))
        rows_r.append(s * r.double())
        sizes[name] = r.numel()
        if J is not None:
            rows_m.append(s * J.double())
    m = torch.cat(rows_r).numpy()
    if reuse is not None:
        if sizes != reuse.terms:
            raise ValueError(f"points differ from those of the reused operator: {sizes} vs {reuse.terms}")
        M, U, sv = reuse.jacobian, reuse.left_vectors, np.sqrt(reuse.eigenvalues)
    else:
        M = torch.cat(rows_m).numpy()
        U, sv, _ = np.linalg.svd(M, full_matrices=False)
    energy = (U.T @ m) ** 2
    unreachable = max(float(m @ m - energy.sum()), 0.0)
    return LinearisedOperator(eigenvalues=sv**2, energy=energy, unreachable=unreachable, jacobian=M, terms=sizes,
                              left_vectors=U)


def _term_residuals(problem, model, points, params, dtype, jacobian: bool):
    params = problem.initial_values if params is None else params
    model = copy.deepcopy(model).to(dtype)
    theta = [p for p in model.parameters() if p.requires_grad]
    if jacobian and not theta:
        raise ValueError("the model has no trainable parameters")
    out = {}
    for name, x in points.items():
        x = torch.as_tensor(np.asarray(x.detach() if torch.is_tensor(x) else x), dtype=dtype)
        r = term_residual(problem, model, name, x, params).reshape(-1)
        out[name] = (r.detach(), _jacobian(r, theta).detach() if jacobian else None)
    return out


# ------------------------------------------------------------------ the paper's example
class SineSeries(nn.Module):
    """``u(x) = Σ_{k=1}^K s_k θ_k sin(kπ x)`` on ``[0, 1]``: ``(N, 1) -> (N, 1)``.

    The linear model of De Ryck et al.'s example: for ``−u'' = f`` its
    matrix is ``A = diag((kπ)⁴ s_k²)/2`` (the ½ is ``mean sin² = ½``), so plain
    coefficients (``s_k = 1``) give ``κ = K⁴`` and the preconditioner ``s_k = 1/(kπ)²``
    (a linear change of parameters, ``θ_k ↦ θ_k/(kπ)²``) gives ``κ = 1``.
    ``precondition=True`` selects that scaling. The boundary values are zero exactly.

    ``power=p`` selects ``s_k = 1/(kπ)^p`` for any finite real ``p``: then
    ``A_p = diag((kπ)^(4−2p))/2`` and ``κ = K^|4−2p|``. ``p = 0`` is the plain model,
    ``p = 2`` the full preconditioner (both bit for bit the same as ``precondition=False``
    / ``True``), ``0 < p < 2`` a partial one, and ``p > 2`` over-preconditions: κ grows
    again (``κ(p) = κ(4 − p)``). ``power=None`` (default) means ``2`` if ``precondition``
    else ``0``; giving both ``precondition=True`` and a ``power`` other than 2 is an error.
    """

    def __init__(self, modes: int, precondition: bool = False, dtype: torch.dtype = torch.float64,
                 power: float | None = None):
        super().__init__()
        if isinstance(modes, bool) or not isinstance(modes, int) or modes < 1:
            raise ValueError(f"modes must be a positive integer; got {modes!r}")
        if power is None:
            power = 2.0 if precondition else 0.0
        else:
            if isinstance(power, (bool, np.bool_)) or not isinstance(power, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(power)):
                raise ValueError(f"power must be a finite real number (the p in θ_k/(kπ)^p); got {power!r}")
            power = float(power)
            if precondition and power != 2.0:
                raise ValueError(f"precondition=True means power=2; got power={power!r} as well "
                                 "(pass power alone)")
        self.in_dim, self.out_dim, self.modes, self.power = 1, 1, modes, power
        k = torch.arange(1, modes + 1, dtype=dtype)
        self.register_buffer("k", k)
        self.register_buffer("scale", torch.ones_like(k) if power == 0 else 1 / (k * math.pi) ** power)
        self.theta = nn.Parameter(torch.zeros(modes, dtype=dtype))

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != 1:
            raise ValueError(f"SineSeries expects input of shape (N, 1); got {tuple(x.shape)}")
        return torch.sin(math.pi * x * self.k.to(x.dtype)) @ (self.scale * self.theta).to(x.dtype)[:, None]
