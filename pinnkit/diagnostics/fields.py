"""Fields and per-term diagnostics on a grid."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

from ..balancing import Context
from ..losses import pointwise_residual
from ..problems.problem import Problem
from ..training.evaluate import predict, relative_l2

__all__ = ["Fields", "fields", "residual_field", "term_gradient_norms", "relative_l2"]


class Fields:
    """Prediction, reference, error and residual on a grid of ``shape`` (arrays of that
    shape, indexed like :meth:`Box.grid`); ``axes`` are the grid's coordinates."""

    def __init__(self, problem, shape, x, pred, ref, residual):
        self.problem, self.shape, self.x = problem, tuple(shape), x
        self.axes = [np.unique(x[:, i]) for i in range(x.shape[1])]
        self.pred = pred.reshape(self.shape)
        self.ref = None if ref is None else ref.reshape(self.shape)
        self.error = None if ref is None else np.abs(self.pred - self.ref)
        self.residual = residual.reshape(self.shape)

    @property
    def rel_l2(self) -> float | None:
        return None if self.ref is None else relative_l2(self.pred, self.ref)


def residual_field(problem: Problem, model, x: np.ndarray, params: Mapping | None = None,
                   batch: int = 16384) -> np.ndarray:
    """|PDE residual| (summed over components) at numpy points ``x: (N, d)`` -> ``(N,)``."""
    p = next(iter(model.parameters()))
    params = problem.values if params is None else params
    out = []
    for i in range(0, len(x), batch):
        xt = torch.as_tensor(x[i : i + batch], dtype=p.dtype).requires_grad_(True)
        out.append(pointwise_residual(problem, model, xt, params).detach().abs().sum(1).double().numpy())
    return np.concatenate(out)


def fields(problem: Problem, model, shape: Sequence[int] | None = None, params: Mapping | None = None) -> Fields:
    """Evaluate the model, reference, error and residual on the problem's test grid."""
    shape = tuple(shape) if shape is not None else problem.test_shape
    x = problem.test_grid(shape)
    pred = predict(model, x)[:, 0]
    ref = problem.reference_on(x)[:, 0] if problem.reference is not None else None
    return Fields(problem, shape, x, pred, ref, residual_field(problem, model, x, params))


def term_gradient_norms(losses: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]) -> dict[str, float]:
    """‖∇_θ L_i‖₂ for each named term (losses must still hold their graphs)."""
    ctx = Context(0, losses, list(params))
    return {n: float(g.norm()) for n, g in ctx.grads().items()}
