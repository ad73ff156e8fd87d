"""Error against the reference on the problem's test grid (used for early stopping and
final metrics; :mod:`pinnkit.diagnostics` builds fields and figures on top of it)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..problems.problem import Problem, align_sign

__all__ = ["Evaluator", "relative_l2", "predict"]


def relative_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    """‖pred − ref‖₂ / ‖ref‖₂ over all points."""
    pred, ref = np.asarray(pred, float).ravel(), np.asarray(ref, float).ravel()
    if pred.shape != ref.shape:
        raise ValueError(f"prediction {pred.shape} and reference {ref.shape} differ in shape")
    return float(np.linalg.norm(pred - ref) / np.linalg.norm(ref))


def predict(model, x: np.ndarray, batch: int = 65536) -> np.ndarray:
    """Model output at numpy points ``x: (N, d)`` -> ``(N, out)`` numpy (no gradients)."""
    p = next(iter(model.parameters()), None)
    dtype = p.dtype if p is not None else torch.float32
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            outs.append(model(torch.as_tensor(x[i : i + batch], dtype=dtype)).double().numpy())
    return np.concatenate(outs)


class Evaluator:
    """``evaluator(model) -> {"rel_l2": ..., "max_abs": ..., "mse": ...}`` on a fixed test
    grid (``mse``: the mean squared error over the grid's points), and the problem's own
    :attr:`Problem.metrics` of the prediction on that grid.

    The grid and the reference values on it are computed once per evaluator."""

    def __init__(self, problem: Problem, shape: Sequence[int] | None = None):
        if problem.reference is None:
            raise ValueError(f"{problem.name} has no reference solution to evaluate against")
        self.problem = problem
        self.shape = tuple(shape) if shape is not None else problem.test_shape
        self.x = problem.test_grid(self.shape)
        self.u = problem.reference_on(self.x)

    def __call__(self, model) -> dict[str, float]:
        pred = predict(model, self.x)
        u = align_sign(pred, self.u, self.problem.sign_free)
        e = pred - u
        out = {"rel_l2": relative_l2(pred, u), "max_abs": float(np.max(np.abs(e))), "mse": float(np.mean(e**2))}
        out.update({k: float(f(self.x, pred)) for k, f in self.problem.metrics.items()})
        return out
