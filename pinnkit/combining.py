"""Gradient combination: turn per-term gradients into one update direction.

A combiner has the same shape of contract as a balancer (:mod:`pinnkit.balancing`): a small
object with explicit state,

    state = c.init(names)
    direction, state = c.update(grads, weights, state, step)

which the trainer calls instead of back-propagating ``Σ w_i L_i``
(``train(..., combine=...)``). ``grads`` maps term names to flat gradients of the
*unweighted* terms (``(P,)`` each, computed on first read, so a combiner that reads one
term per step pays for one backward pass); ``weights`` are the balancer's weights; ``step``
counts from 1. Each combiner works on the weighted term gradients ``g_i = w_i ∇L_i``, so a
static weight (or a loss term multiplied by a constant) enters exactly as scaling ``g_i``.
The optimizer then steps along ``direction``. ``update`` never changes the state it is
given: it returns a new one (so a run can be replayed from any saved state).

- :class:`PCGrad` — gradient surgery (Yu et al., NeurIPS 2020).
- :class:`ConFIG`, :class:`MomentumConFIG` — conflict-free inverse gradients (Liu, Chu &
  Thuerey, ICLR 2025), checked against the authors' ``conflictfree`` package in tests.
- :class:`MultiAdam` — per-term Adam moments (Yao et al., ICML 2023); use with
  :func:`pinnkit.optim.sgd` so that the optimizer only applies the learning rate.

Registry :data:`COMBINERS` (names for configurations, widgets and the command line).
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Mapping, Sequence

import numpy as np
import torch

__all__ = ["Combiner", "PCGrad", "ConFIG", "MomentumConFIG", "MultiAdam", "config_direction", "cosine_matrix",
           "COMBINERS", "make_combiner"]


class Combiner(ABC):
    """Per-term gradients -> one update direction (see the module docstring).

    ``normalises`` is True for combiners whose direction is already scaled per parameter
    (momentum ConFIG, MultiAdam): they are meant to be applied with plain SGD."""

    normalises: bool = False

    def init(self, names: Sequence[str]):
        return None

    @abstractmethod
    def update(self, grads: Mapping[str, torch.Tensor], weights: Mapping[str, float], state,
               step: int) -> tuple[torch.Tensor, object]: ...

    def __repr__(self):
        return f"{type(self).__name__}()"


def _weighted(grads: Mapping[str, torch.Tensor], weights: Mapping[str, float], names: Sequence[str]):
    return torch.stack([float(weights.get(n, 1.0)) * grads[n] for n in names])


def cosine_matrix(g: torch.Tensor) -> torch.Tensor:
    """Pairwise cosines ``(m, m)`` between the rows of ``g: (m, P)`` (0 for a zero row)."""
    n = g.norm(dim=1, keepdim=True)
    u = torch.where(n > 0, g / n.clamp_min(torch.finfo(g.dtype).tiny), torch.zeros_like(g))
    return u @ u.T


class PCGrad(Combiner):
    """Projecting conflicting gradients (Yu, Kumar, Gupta, Levine, Hausman & Finn,
    "Gradient surgery for multi-task learning", NeurIPS 2020, Algorithm 1).

    For each term i, starting from ``g_i^PC = g_i``, for every other term j (in random
    order): if ``g_i^PC · g_j < 0``, ``g_i^PC ← g_i^PC − (g_i^PC · g_j / ‖g_j‖²) g_j``.
    Returns ``Σ_i g_i^PC``. ``shuffle=False`` visits j in term order (as the
    ``conflictfree`` package does); the order is drawn from ``(seed, step)`` otherwise.
    """

    def __init__(self, shuffle: bool = True, seed: int = 0):
        self.shuffle, self.seed = bool(shuffle), int(seed)

    def update(self, grads, weights, state, step):
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
        return out.sum(0), state


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


class ConFIG(Combiner):
    """ConFIG as a combiner: :func:`config_direction` of the weighted term gradients.
    Pair it with Adam (the paper's setting: Adam 1e-3 with cosine decay to 1e-4:
    ``RunConfig(combine="config", optimizer_options={"cosine_to": 1e-4})``)."""

    def update(self, grads, weights, state, step):
        names = list(grads)
        return config_direction(_weighted(grads, weights, names)), state


class MomentumConFIG(Combiner):
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
    State: ``{"m": {term: moment}, "count": {term: t_i}, "s", "f", "t"}``.
    """

    normalises = True

    def __init__(self, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, cyclic: bool = True):
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must lie in [0, 1); got {betas!r}")
        self.betas, self.eps, self.cyclic = (float(b1), float(b2)), float(eps), bool(cyclic)

    def init(self, names):
        return {"m": {}, "count": {}, "s": None, "f": None, "t": 0}

    def update(self, grads, weights, state, step):
        b1, b2 = self.betas
        m, count = dict(state["m"]), dict(state["count"])
        names = list(grads)
        chosen = [names[(step - 1) % len(names)]] if self.cyclic else names
        for n in chosen:
            g = float(weights.get(n, 1.0)) * grads[n]
            m[n] = b1 * m[n] + (1 - b1) * g if n in m else (1 - b1) * g
            count[n] = count.get(n, 0) + 1
        if any(n not in m for n in names):
            return torch.zeros_like(next(iter(m.values()))), {**state, "m": m, "count": count}
        t = state["t"] + 1
        mhat = torch.stack([m[n] / (1 - b1 ** count[n]) for n in names])
        c = config_direction(mhat)
        f = c * (1 - b1**t)
        prev = torch.zeros_like(f) if state["f"] is None else state["f"]
        p = (f - b1 * prev) / (1 - b1)
        s_new = (1 - b2) * p**2 if state["s"] is None else b2 * state["s"] + (1 - b2) * p**2
        direction = c / (torch.sqrt(s_new / (1 - b2**t)) + self.eps)
        return direction, {"m": m, "count": count, "s": s_new, "f": f, "t": t}


class MultiAdam(Combiner):
    """MultiAdam (Yao, Su, Hao, Liu, Su & Zhu, "MultiAdam: parameter-wise
    scale-invariant optimizer for multiscale training of physics-informed neural
    networks", ICML 2023, Algorithm 1). Each group g of terms keeps Adam moments of its own
    (weighted) gradient ``G_g = Σ_{i∈g} w_i ∇L_i``:

        m_g ← β1 m_g + (1 − β1) G_g,   v_g ← β2 v_g + (1 − β2) G_g²,
        direction = Σ_g ω_g m̂_g / (√v̂_g + ε),   m̂, v̂ bias-corrected,

    and the optimizer steps ``θ ← θ − η · direction`` (use :func:`pinnkit.optim.sgd`;
    :func:`pinnkit.recipes.build` does so for ``optimizer="multiadam"``).
    ``groups``: ``None`` — every term its own group (scaling ANY term by s > 0 leaves the
    direction unchanged up to ε); ``"pde_vs_conditions"`` — PINNacle's default split
    (residual | all conditions); or a mapping ``{group: [term, ...]}``. ``ω_g = 1/G``
    unless ``group_weights`` is given. Defaults β = (0.99, 0.99) as in PINNacle.
    ``eps`` is absolute, as in Adam: with ``eps=0`` the invariance is exact up to
    rounding. State: ``{"m": {group: moment}, "v": {group: moment}, "t"}``.
    """

    normalises = True

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

    def init(self, names):
        gm = self.group_map(list(names))
        if self.group_weights is not None and set(self.group_weights) != set(gm):
            raise ValueError(f"group_weights must name the groups {sorted(gm)}; got {sorted(self.group_weights)}")
        return {"m": {}, "v": {}, "t": 0}

    def update(self, grads, weights, state, step):
        b1, b2 = self.betas
        gm = self.group_map(list(grads))
        if self.group_weights is not None and set(self.group_weights) != set(gm):
            raise ValueError(f"group_weights must name the groups {sorted(gm)}; got {sorted(self.group_weights)}")
        m, v = dict(state["m"]), dict(state["v"])
        t = state["t"] + 1
        out = None
        for gname, members in gm.items():
            G = sum(float(weights.get(n, 1.0)) * grads[n] for n in members)
            m[gname] = b1 * m[gname] + (1 - b1) * G if gname in m else (1 - b1) * G
            v[gname] = b2 * v[gname] + (1 - b2) * G**2 if gname in v else (1 - b2) * G**2
            mhat = m[gname] / (1 - b1**t)
            vhat = v[gname] / (1 - b2**t)
            omega = self.group_weights[gname] if self.group_weights else 1.0 / len(gm)
            den = torch.sqrt(vhat) + self.eps
            d = omega * torch.where(den > 0, mhat / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(den))
            out = d if out is None else out + d
        return out, {"m": m, "v": v, "t": t}


#: name -> factory with keyword options, for widgets and the command line
COMBINERS = {"pcgrad": PCGrad, "config": ConFIG, "mconfig": MomentumConFIG, "multiadam": MultiAdam}


def make_combiner(name: str, **kwargs) -> Combiner:
    if name not in COMBINERS:
        raise ValueError(f"unknown combiner {name!r}; choose one of {sorted(COMBINERS)}")
    return COMBINERS[name](**kwargs)
