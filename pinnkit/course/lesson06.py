"""Checks and experiments for lesson 06, loss imbalance and weighting (``notebooks/06_loss_weighting.ipynb``).

The loss of a PINN is a weighted sum ``L = Σ_i w_i L_i`` of a residual term and condition terms. When the terms'
gradients differ by orders of magnitude, a gradient step follows the largest and the others starve (Wang, Teng &
Perdikaris, SIAM J. Sci. Comput. 43, 2021). Adaptive schemes set the weights from the gradients: learning-rate
annealing ``λ̂ = max|∇L_r| / mean|∇L_b|`` with a moving average (same paper), gradient-norm weights
``λ_i = Σ_j ‖∇L_j‖ / ‖∇L_i‖`` (Wang, Sankaran, Wang & Perdikaris, arXiv 2308.08468, 2023) and NTK trace weights
``λ_i = tr K / tr K_ii`` (Wang, Yu & Perdikaris, J. Comput. Phys. 449, 2022). All of them must *raise* the weight
of the term whose gradient is small.

Every number a check expects is computed here by pinnkit's own balancers (:mod:`pinnkit.balancing`) on tiny
gradient vectors, not by a second implementation of their formulas.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from . import Result, check_choice, check_number

__all__ = ["EDGES", "METHODS", "config", "lra_estimate", "lra_step", "grad_norm_weights", "rising_term",
           "gradient_norms", "check_lra_estimate", "check_lra_step", "check_grad_norm_weight", "check_rising_term"]

#: the four Dirichlet edges of the zoo's ``helmholtz``; the lesson keeps one weight for all of them
EDGES = ("left", "right", "bottom", "top")
_GROUPS = {"groups": {"boundary": list(EDGES)}}

#: the lesson's weighting schemes: label -> (balancer name, balancer options)
METHODS = {
    "plain": ("none", {}),
    "static ×0.1 (wrong way)": ("static", {"scales": {e: 0.1 for e in EDGES}}),
    "LRA (authors' script)": ("lra_code", dict(_GROUPS)),
    "LRA (Alg. 1 as written)": ("lra", {"every": 10, **_GROUPS}),
    "grad-norm": ("grad_norm", {"every": 500, **_GROUPS}),
    "NTK": ("ntk", {"every": 100, **_GROUPS}),
}


def config(method: str, **settings):
    """The :class:`pinnkit.RunConfig` of one scheme of :data:`METHODS` on the zoo's ``helmholtz``
    (a1 = 1, a2 = 4, k = 1): fresh points every step, Adam 1e-3 decaying ×0.9 per 1000 steps as in the paper;
    ``settings`` (width, steps, seed, …) apply to every scheme alike."""
    from .. import RunConfig

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    balancer, options = METHODS[method]
    base = dict(problem="helmholtz", width=50, depth=3, sampler="uniform", num_points=128, resample_every=1,
                condition_points=128, resample_conditions=1, optimizer="adam", lr=1e-3,
                optimizer_options={"decay_rate": 0.9, "decay_steps": 1000, "staircase": False})
    base.update(settings)
    return RunConfig(**base).replace(balancer=balancer, balancer_options=options)


# ---------------------------------------------------------------------------- balancers on tiny tensors
def _context(grads: Mapping[str, Sequence[float]], step: int = 1):
    """A :class:`pinnkit.balancing.Context` whose per-term gradients are the given vectors."""
    import torch

    from ..balancing import Context

    flat = {n: torch.as_tensor([float(v) for v in g], dtype=torch.float64) for n, g in grads.items()}
    sizes = {g.numel() for g in flat.values()}
    if len(sizes) != 1:
        raise ValueError(f"all gradients need the same length (one entry per parameter); got {sorted(sizes)}")
    param = torch.zeros(sizes.pop(), dtype=torch.float64)
    losses = {n: torch.zeros((), dtype=torch.float64) for n in flat}
    return Context(step, losses, [param], _grads=flat)


def lra_step(grad_residual: Sequence[float], grad_boundary: Sequence[float], weight: float = 1.0,
             alpha: float = 0.9) -> float:
    """The boundary weight after one update of learning-rate annealing, the paper's rule (Wang, Teng &
    Perdikaris 2021, Alg. 1): ``λ ← (1 − α) λ + α λ̂``, computed by :class:`pinnkit.balancing.LearningRateAnnealing`
    on the given gradient vectors (one entry per parameter)."""
    from ..balancing import LearningRateAnnealing

    lra = LearningRateAnnealing("paper", alpha=alpha, every=1)
    state = lra.init(["residual", "boundary"])
    state["lambda"]["boundary"] = float(weight)
    weights, _ = lra.update({"residual": 1.0, "boundary": 1.0}, state,
                            _context({"residual": grad_residual, "boundary": grad_boundary}))
    return weights["boundary"]


def lra_estimate(grad_residual: Sequence[float], grad_boundary: Sequence[float]) -> float:
    """``λ̂ = max_θ |∇L_r| / mean_θ |∇L_b|``: the update with ``α = 1`` (all weight on the new estimate)."""
    return lra_step(grad_residual, grad_boundary, weight=1.0, alpha=1.0)


def grad_norm_weights(norms: Mapping[str, float]) -> dict[str, float]:
    """``λ_i = Σ_j ‖∇L_j‖ / ‖∇L_i‖`` for the given gradient norms, computed by
    :class:`pinnkit.balancing.GradNorm` on gradients of exactly those norms."""
    from ..balancing import GradNorm

    names = list(norms)
    if not names:
        raise ValueError("grad-norm weights need at least one gradient norm")
    grads = {n: [float(v), 0.0] for n, v in norms.items()}  # a vector whose norm is v
    gn = GradNorm(every=1)
    weights, _ = gn.update({n: 1.0 for n in names}, gn.init(names), _context(grads))
    return weights


def rising_term(weights: Mapping[str, Sequence[float]], start: float = 1.0) -> str:
    """The term whose weight the scheme raised most: the largest ratio of the last recorded weight to the
    weight ``start`` every term has in the plain loss (1). ``weights``: term -> its recorded trajectory (the
    first row is already after the first update, so it is not the starting point)."""
    if not weights:
        raise ValueError("rising term: no recorded weights given")
    growth = {}
    for n, w in weights.items():
        w = [float(v) for v in w]
        if not w or not all(v > 0 and math.isfinite(v) for v in w):
            raise ValueError(f"the weights of {n!r} must be a non-empty positive trajectory; got {w[:3]}...")
        growth[n] = w[-1] / float(start)
    return max(growth, key=growth.get)


def gradient_norms(problem, model, points: Mapping, weights: Mapping[str, float] | None = None,
                   groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """``‖∇_θ (w_i L_i)‖`` of each loss term (or group of terms, whose gradients add up) of ``model`` at
    ``points`` (``{"residual": ..., <condition>: ...}``); ``weights`` default to 1."""
    import torch

    from ..balancing import Context
    from ..losses import loss_terms

    params = [p for p in model.parameters() if p.requires_grad]
    pts = {n: torch.as_tensor(v, dtype=next(model.parameters()).dtype) for n, v in points.items()}
    losses = loss_terms(problem, model, pts, problem.values)
    ctx = Context(0, losses, params)
    weights = dict(weights or {})
    groups = {g: list(m) for g, m in (groups or {}).items()}
    grouped = {t for m in groups.values() for t in m}
    parts = {g: m for g, m in groups.items()}
    parts.update({n: [n] for n in losses if n not in grouped})
    out = {}
    for g, members in parts.items():
        total = sum(weights.get(t, 1.0) * ctx.grad(t) for t in members)
        out[g] = float(total.norm())
    return out


# ---------------------------------------------------------------------------- checks
def check_lra_estimate(answer, grad_residual: Sequence[float], grad_boundary: Sequence[float]) -> Result:
    """LRA's estimate ``λ̂`` for the given per-parameter gradients."""
    expected = lra_estimate(grad_residual, grad_boundary)
    return check_number(answer, expected, name="LRA estimate λ̂", rtol=0.01,
                        hint="the numerator is the largest |entry| of ∇L_r, the denominator the mean of the "
                             "|entries| of ∇L_b (absolute values, then the mean).")


def check_lra_step(answer, grad_residual: Sequence[float], grad_boundary: Sequence[float], weight: float = 1.0,
                   alpha: float = 0.9) -> Result:
    """The boundary weight after one moving-average step of LRA (the paper's rule, weight α on the new λ̂)."""
    expected = lra_step(grad_residual, grad_boundary, weight, alpha)
    return check_number(answer, expected, name=f"weight after one step (α = {alpha:g})", rtol=0.01,
                        hint=f"the paper's rule puts α = {alpha:g} on the NEW estimate: "
                             f"(1 − α)·λ_old + α·λ̂.")


def check_grad_norm_weight(answer, norms: Mapping[str, float], term: str = "boundary") -> Result:
    """The grad-norm weight of ``term`` for the given gradient norms."""
    if term not in norms:
        raise ValueError(f"term {term!r} is not among the norms {list(norms)}")
    expected = grad_norm_weights(norms)[term]
    return check_number(answer, expected, name=f"grad-norm weight of {term!r}", rtol=2e-3,
                        hint="the numerator is the sum of ALL the terms' gradient norms (this one included), "
                             "divided by this term's own norm.")


def check_rising_term(answer, weights: Mapping[str, Sequence[float]]) -> Result:
    """Which term's weight the scheme raised during training (read from the recorded trajectories)."""
    expected = rising_term(weights)
    return check_choice(answer, expected, name="the term whose weight rises", choices=list(weights),
                        hint="compare each term's last recorded weight with the 1 it has in the plain loss; a "
                             "scheme that works lifts the term whose gradient is small.")
