"""Gradient combination: turn per-term gradients into one update direction.

A combiner is a callable ``combine(grads, weights, step) -> flat gradient`` that the
trainer calls instead of back-propagating ``Σ w_i L_i`` (``train(..., combine=...)``):
``grads`` maps term names to flat gradients of the *unweighted* terms (``(P,)`` each,
computed on first read), ``weights`` are the balancer's weights, ``step`` counts from 1.
Each combiner works on the weighted term gradients ``g_i = w_i ∇L_i``, so a static
weight (or a loss term multiplied by a constant) enters exactly as scaling ``g_i``.

- :class:`PCGrad` — gradient surgery (Yu et al., NeurIPS 2020).
- :class:`ConFIG`, :class:`MomentumConFIG` — conflict-free inverse gradients (Liu, Chu &
  Thuerey, ICLR 2025), checked against the authors' ``conflictfree`` package in tests.
- :class:`MultiAdam` — per-term Adam moments (Yao et al., ICML 2023); use with
  :func:`pinnkit.optim.sgd` so that the optimizer only applies the learning rate.

Combiners with memory (momentum) keep it on the object and start afresh when called
with ``step == 1`` (the first step of a run) or after :meth:`reset`.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import torch

__all__ = ["PCGrad", "ConFIG", "MomentumConFIG", "MultiAdam", "config_direction", "cosine_matrix",
           "COMBINERS", "make_combiner"]


def _weighted(grads: Mapping[str, torch.Tensor], weights: Mapping[str, float], names: Sequence[str]):
    return torch.stack([float(weights.get(n, 1.0)) * grads[n] for n in names])


def cosine_matrix(g: torch.Tensor) -> torch.Tensor:
    """Pairwise cosines ``(m, m)`` between the rows of ``g: (m, P)`` (0 for a zero row)."""
    n = g.norm(dim=1, keepdim=True)
    u = torch.where(n > 0, g / n.clamp_min(torch.finfo(g.dtype).tiny), torch.zeros_like(g))
    return u @ u.T


class PCGrad:
    """Projecting conflicting gradients (Yu, Kumar, Gupta, Levine, Hausman & Finn,
    "Gradient surgery for multi-task learning", NeurIPS 2020, Algorithm 1).

    For each term i, starting from ``g_i^PC = g_i``, for every other term j (in random
    order): if ``g_i^PC · g_j < 0``, ``g_i^PC ← g_i^PC − (g_i^PC · g_j / ‖g_j‖²) g_j``.
    Returns ``Σ_i g_i^PC``. ``shuffle=False`` visits j in term order (as the
    ``conflictfree`` package does); the order is drawn from ``(seed, step)`` otherwise.
    """

    def __init__(self, shuffle: bool = True, seed: int = 0):
        self.shuffle, self.seed = bool(shuffle), int(seed)

    def __call__(self, grads, weights, step):
        names = list(grads)
        g = _weighted(grads, weights, names)
        rng = np.random.default_rng([self.seed, int(step)])
        out = g.clone()
        for i in range(len(names)):
            order = [j for j in range(len(names)) if j != i]
            if self.shuffle:
                order = [order[k] for k in rng.permutation(len(order))]
            for j in order:
                dot = out[i] @ g[j]
                nj = g[j] @ g[j]
                if dot < 0 and nj > 0:
                    out[i] = out[i] - dot / nj * g[j]
        return out.sum(0)


def config_direction(g: torch.Tensor) -> torch.Tensor:
    """ConFIG update for stacked gradients ``g: (m, P)`` -> ``(P,)`` (Liu, Chu & Thuerey,
    "ConFIG: towards conflict-free training of physics informed neural networks",
    ICLR 2025, Eqs. 2-3):

        g_u = U( [U(g_1), …, U(g_m)]^{+T} 1_m ),   g = (Σ_i g_iᵀ g_u) g_u,

    with ``U(v) = v / ‖v‖`` and ``A^{+}`` the pseudo-inverse (minimum-norm solution of
    ``U(g_i) · x = 1`` for all i). ``g`` then has the same positive cosine with every
    ``g_i`` (when the unit gradients are linearly independent). Computed through the
    ``m × m`` Gram matrix: ``x = Aᵀ (A Aᵀ)^{+} 1``.
    """
    if g.ndim != 2:
        raise ValueError(f"ConFIG expects stacked gradients (m, P); got shape {tuple(g.shape)}")
    norms = g.norm(dim=1, keepdim=True)
    units = torch.where(norms > 0, g / norms.clamp_min(torch.finfo(g.dtype).tiny), torch.zeros_like(g))
    work = units.double()
    ones = torch.ones(len(g), 1, dtype=work.dtype)
    x = (work.T @ (torch.linalg.pinv(work @ work.T) @ ones)).reshape(-1).to(g.dtype)
    nx = x.norm()
    if not nx > 0:
        return torch.zeros(g.shape[1], dtype=g.dtype)
    gu = x / nx
    return (g @ gu).sum() * gu


class ConFIG:
    """ConFIG as a combiner: :func:`config_direction` of the weighted term gradients.
    Pair it with Adam (the paper's setting: Adam 1e-3 with cosine decay to 1e-4)."""

    def __call__(self, grads, weights, step):
        names = list(grads)
        return config_direction(_weighted(grads, weights, names))


class MomentumConFIG:
    """Momentum ConFIG (M-ConFIG; Liu, Chu & Thuerey, ICLR 2025, Algorithm 2).

    Each step back-propagates ONE term, cycling through them (``cyclic=True``, the
    paper's choice: one backward pass per step), and updates that term's first moment
    ``m_i ← β1 m_i + (1 − β1) g_i`` (its own step count ``t_i`` for the bias correction).
    Once every term has a moment, ConFIG is applied to ``m̂_1 … m̂_m``; a second moment is
    tracked from the pseudo-gradient that would have produced the combined moment:

        c_t = ConFIG(m̂),  f_t = c_t (1 − β1^t),  p_t = (f_t − β1 f_{t−1}) / (1 − β1),
        s ← β2 s + (1 − β2) p_t²,  step direction c_t / (√(s / (1 − β2^t)) + ε),

    to be applied with plain SGD (:func:`pinnkit.optim.sgd`). Returns zeros until every
    term has been seen once. ``cyclic=False`` updates every moment every step.
    """

    def __init__(self, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, cyclic: bool = True):
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1); got {betas!r}")
        self.betas, self.eps, self.cyclic = (float(b1), float(b2)), float(eps), bool(cyclic)
        self.reset()

    def reset(self):
        self.m: dict[str, torch.Tensor] = {}
        self.count: dict[str, int] = {}
        self.s = self.f = None
        self.t = 0

    def __call__(self, grads, weights, step):
        if step == 1:
            self.reset()
        b1, b2 = self.betas
        names = list(grads)
        chosen = [names[(step - 1) % len(names)]] if self.cyclic else names
        for n in chosen:
            g = float(weights.get(n, 1.0)) * grads[n]
            self.m[n] = b1 * self.m[n] + (1 - b1) * g if n in self.m else (1 - b1) * g
            self.count[n] = self.count.get(n, 0) + 1
        if any(n not in self.m for n in names):
            return torch.zeros_like(next(iter(self.m.values())))
        self.t += 1
        mhat = torch.stack([self.m[n] / (1 - b1 ** self.count[n]) for n in names])
        c = config_direction(mhat)
        f = c * (1 - b1**self.t)
        prev = torch.zeros_like(f) if self.f is None else self.f
        p = (f - b1 * prev) / (1 - b1)
        self.f = f
        self.s = (1 - b2) * p**2 if self.s is None else b2 * self.s + (1 - b2) * p**2
        return c / (torch.sqrt(self.s / (1 - b2**self.t)) + self.eps)


class MultiAdam:
    """MultiAdam (Yao, Su, Hao, Liu, Zhang, Zhu, Zhang & Liu, "MultiAdam: parameter-wise
    scale-invariant optimizer for multiscale training of physics-informed neural
    networks", ICML 2023, Algorithm 1). Each group g of terms keeps Adam moments of its own
    (weighted) gradient ``G_g = Σ_{i∈g} w_i ∇L_i``:

        m_g ← β1 m_g + (1 − β1) G_g,   v_g ← β2 v_g + (1 − β2) G_g²,
        direction = Σ_g ω_g m̂_g / (√v̂_g + ε),   m̂, v̂ bias-corrected,

    and the optimizer steps ``θ ← θ − η · direction`` (use :func:`pinnkit.optim.sgd`).
    ``groups``: ``None`` — every term its own group (scaling ANY term by s > 0 leaves the
    direction unchanged up to ε); ``"pde_vs_conditions"`` — PINNacle's default split
    (residual | all conditions); or a mapping ``{group: [term, ...]}``. ``ω_g = 1/G``
    unless ``group_weights`` is given. Defaults β = (0.99, 0.99) as in PINNacle.
    ``eps`` is absolute, as in Adam: with ``eps=0`` the invariance is exact up to
    rounding.
    """

    def __init__(self, groups: str | Mapping[str, Sequence[str]] | None = None,
                 group_weights: Mapping[str, float] | None = None,
                 betas: tuple[float, float] = (0.99, 0.99), eps: float = 1e-8):
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1); got {betas!r}")
        if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0):
            raise ValueError(f"eps must be a finite number >= 0; got {eps!r}")
        if isinstance(groups, str) and groups != "pde_vs_conditions":
            raise ValueError(f"groups must be None, 'pde_vs_conditions' or a mapping; got {groups!r}")
        self.groups, self.group_weights = groups, dict(group_weights) if group_weights else None
        self.betas, self.eps = (float(b1), float(b2)), float(eps)
        self.reset()

    def reset(self):
        self.m: dict[str, torch.Tensor] = {}
        self.v: dict[str, torch.Tensor] = {}
        self.t = 0

    def group_map(self, names: Sequence[str]) -> dict[str, list[str]]:
        if self.groups is None:
            return {n: [n] for n in names}
        if self.groups == "pde_vs_conditions":
            gm = {"pde": [n for n in names if n == "residual"], "conditions": [n for n in names if n != "residual"]}
            return {k: v for k, v in gm.items() if v}
        gm = {k: list(v) for k, v in self.groups.items()}
        listed = [n for v in gm.values() for n in v]
        if sorted(listed) != sorted(names):
            raise ValueError(f"MultiAdam groups must list every term exactly once; terms {list(names)}, groups {gm}")
        return gm

    def __call__(self, grads, weights, step):
        if step == 1:
            self.reset()
        b1, b2 = self.betas
        gm = self.group_map(list(grads))
        if self.group_weights is not None and set(self.group_weights) != set(gm):
            raise ValueError(f"group_weights must name the groups {sorted(gm)}; got {sorted(self.group_weights)}")
        self.t += 1
        out = None
        for gname, members in gm.items():
            G = sum(float(weights.get(n, 1.0)) * grads[n] for n in members)
            self.m[gname] = b1 * self.m[gname] + (1 - b1) * G if gname in self.m else (1 - b1) * G
            self.v[gname] = b2 * self.v[gname] + (1 - b2) * G**2 if gname in self.v else (1 - b2) * G**2
            mhat = self.m[gname] / (1 - b1**self.t)
            vhat = self.v[gname] / (1 - b2**self.t)
            omega = self.group_weights[gname] if self.group_weights else 1.0 / len(gm)
            den = torch.sqrt(vhat) + self.eps
            d = omega * torch.where(den > 0, mhat / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(den))
            out = d if out is None else out + d
        return out


#: name -> factory with keyword options, for widgets and the command line
COMBINERS = {"pcgrad": PCGrad, "config": ConFIG, "mconfig": MomentumConFIG, "multiadam": MultiAdam}


def make_combiner(name: str, **kwargs):
    if name not in COMBINERS:
        raise ValueError(f"unknown combiner {name!r}; choose one of {sorted(COMBINERS)}")
    return COMBINERS[name](**kwargs)
