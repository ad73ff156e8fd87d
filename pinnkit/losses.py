"""Named loss terms from (problem, model, points).

``"residual"`` is the mean squared PDE residual over interior points; each condition
contributes a term of its own name (mean squared condition residual). Terms are keyed
by name, never by position (DESIGN.md §4).
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch

from .problems.problem import Problem

__all__ = ["mean_square", "loss_terms", "pointwise_residual", "ResidualLoss"]

#: reduces pointwise residuals ``r: (N, k)`` at points ``x: (N, d)`` to a scalar
ResidualLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mean_square(x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """``mean_i Σ_k r_ik²`` — the plain PINN residual loss."""
    return (r**2).sum(dim=1).mean()


def pointwise_residual(problem: Problem, model: Callable, x: torch.Tensor, params: Mapping) -> torch.Tensor:
    """PDE residual at interior points ``x: (N, d)`` -> ``(N, k)`` (with graph)."""
    return problem.pde_residual(model, x, params)


def loss_terms(problem: Problem, model: Callable, points: Mapping[str, torch.Tensor], params: Mapping,
               residual_loss: ResidualLoss = mean_square) -> dict[str, torch.Tensor]:
    """One scalar per named term present in ``points``.

    ``points["residual"]`` are interior points; every other key names a condition of the
    problem. Returns ``{"residual": L_r, "initial": L_ic, ...}`` in the order of ``points``.
    """
    terms: dict[str, torch.Tensor] = {}
    for name, x in points.items():
        if name == "residual":
            xr = x.detach().requires_grad_(True)
            terms[name] = residual_loss(xr, pointwise_residual(problem, model, xr, params))
        elif name in problem.conditions:
            r = problem.conditions[name].residual(model, x, params)
            terms[name] = (r**2).sum(dim=1).mean()
        else:
            raise ValueError(f"no condition named {name!r} in {problem.name}; it has {sorted(problem.conditions)}")
    return terms
