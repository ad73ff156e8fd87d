"""Fields and per-term diagnostics on a grid."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

from ..balancing import Context
from ..losses import pointwise_residual
from ..problems.problem import Problem, align_sign
from ..training.evaluate import predict, relative_l2

__all__ = ["Fields", "fields", "residual_field", "residual_at_points", "term_gradient_norms", "relative_l2"]


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
    params = problem.initial_values if params is None else params
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
    if ref is not None:
        ref = align_sign(pred, ref, problem.sign_free)
    return Fields(problem, shape, x, pred, ref, residual_field(problem, model, x, params))


def term_gradient_norms(losses: Mapping[str, torch.Tensor], params: Sequence[torch.Tensor]) -> dict[str, float]:
    """‖∇_θ L_i‖₂ for each named term (losses must still hold their graphs)."""
    ctx = Context(0, losses, list(params))
    return {n: float(g.norm()) for n, g in ctx.grads().items()}


def residual_at_points(field: np.ndarray, axes: Sequence[np.ndarray], points: np.ndarray) -> float:
    """Mean of ``field`` (e.g. |R| on a grid) at ``points``, divided by its mean over the grid.

    ``field`` has shape ``(len(axes[0]), len(axes[1]), ...)`` (indexed like
    :meth:`Box.grid`), each axis an increasing coordinate array; ``points`` is ``(M, d)``
    and each point takes the value of its nearest grid node (points outside the grid take
    the edge node). A ratio near 1 means the points sample the field like the grid does
    (a uniform set); above 1, they sit where the field is large (e.g. adaptive sampling)."""
    f = np.asarray(field, dtype=float)
    pts = np.asarray(points, dtype=float)
    if len(axes) != f.ndim:
        raise ValueError(f"field has {f.ndim} axes but {len(axes)} coordinate arrays were given")
    if pts.ndim != 2 or pts.shape[1] != f.ndim or len(pts) == 0:
        raise ValueError(f"points must be a non-empty (M, {f.ndim}) array; got shape {pts.shape}")
    if not (np.isfinite(f).all() and np.isfinite(pts).all()):
        raise ValueError("field and points must be finite")
    idx = []
    for k, ax in enumerate(axes):
        ax = np.asarray(ax, dtype=float)
        if ax.ndim != 1 or len(ax) != f.shape[k] or (len(ax) > 1 and not (np.diff(ax) > 0).all()):
            raise ValueError(f"axis {k} must be an increasing 1-D array of length {f.shape[k]}; got shape {ax.shape}")
        if len(ax) == 1:
            idx.append(np.zeros(len(pts), dtype=int))
            continue
        right = np.clip(np.searchsorted(ax, pts[:, k]), 1, len(ax) - 1)
        left = right - 1  # the nearer of the two neighbouring nodes (a tie goes to the lower one)
        idx.append(np.where(pts[:, k] - ax[left] <= ax[right] - pts[:, k], left, right))
    mean = f.mean()
    if not mean > 0:
        raise ValueError(f"the field's grid mean must be positive to form a ratio; got {mean!r}")
    return float(f[tuple(idx)].mean() / mean)
