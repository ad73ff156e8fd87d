"""Lesson 14, precision and scale (``notebooks/14_precision_and_scale.ipynb``): the exercise
checks, and the cost of an exact Laplacian by nested reverse-mode autograd."""
from __future__ import annotations

import time
from typing import Mapping

import torch

from . import Result, check_choice, check_number

__all__ = ["laplacian_cost", "check_machine_epsilon", "check_best_fd_step", "check_backward_passes",
           "check_precision_winner"]


def laplacian_cost(d: int, *, width: int = 64, depth: int = 3, num_points: int = 256, repeats: int = 3,
                   seed: int = 0) -> dict:
    """Time ``Δu`` of a tanh MLP ``R^d → R`` at ``num_points`` points by pinnkit's
    :func:`~pinnkit.problems.derivatives.laplacian` (one backward pass for ∇u, then one per
    coordinate for ∂²u/∂x_i²): ``{"d", "seconds" (best of repeats), "backward_passes"}``."""
    from ..models import MLP
    from ..problems.derivatives import laplacian

    if d < 1 or repeats < 1:
        raise ValueError(f"d and repeats must be >= 1; got {d}, {repeats}")
    model = MLP(d, 1, width, depth, seed=seed)
    x = torch.rand(num_points, d, generator=torch.Generator().manual_seed(seed)).requires_grad_(True)
    calls = {"n": 0}
    real_grad = torch.autograd.grad

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real_grad(*args, **kwargs)

    best = float("inf")
    laplacian(model(x), x)  # warm-up: the first call pays for allocations
    for _ in range(repeats):
        calls["n"] = 0
        torch.autograd.grad = counting
        try:
            t0 = time.perf_counter()
            lap = laplacian(model(x), x)
            lap.sum().backward()  # training differentiates the Laplacian once more, w.r.t. the weights
            best = min(best, time.perf_counter() - t0)
        finally:
            torch.autograd.grad = real_grad
        model.zero_grad()
    return {"d": d, "seconds": best, "backward_passes": calls["n"]}


def check_machine_epsilon(answer, dtype: str = "float32") -> Result:
    """The spacing of floating-point numbers just above 1 (``torch.finfo(dtype).eps``)."""
    eps = torch.finfo(getattr(torch, dtype)).eps
    return check_number(answer, eps, name=f"machine epsilon of {dtype}", rtol=0.05,
                        hint="float32 keeps 23 bits after the binary point, float64 52: ε = 2^−bits.")


def check_best_fd_step(answer, dtype: str = "float32") -> Result:
    """The step that minimises the error of the central difference ``(f(x+h) − f(x−h))/2h``:
    truncation ``h² f'''/6`` against rounding ``ε f/h`` gives ``h* ~ ε^{1/3}``; accepted within a
    factor 3 (constants depend on f)."""
    import math

    from . import _as_float

    eps = torch.finfo(getattr(torch, dtype)).eps
    expected = eps ** (1 / 3)
    name = f"best central-difference step in {dtype}"
    value = _as_float(answer, name)
    hint = "balance the truncation error ~h² against the rounding error ~ε/h and solve for h."
    if not (math.isfinite(value) and value > 0):
        return Result(False, name, f"a step must be a positive number, got {value}. {hint}")
    if expected / 3 <= value <= 3 * expected:
        return Result(True, name, f"{value:.3g} (ε^(1/3) = {expected:.3g}; within a factor 3)")
    direction = "too large" if value > expected else "too small"
    return Result(False, name, f"{value:.3g} is {direction} (more than 3× from the best step). {hint}")


def check_backward_passes(answer, d: int) -> Result:
    """Autograd calls of the exact nested Laplacian in ``d`` dimensions, counted by
    :func:`laplacian_cost`: ``d + 1`` (one for ∇u, one per ∂²u/∂x_i²; training then adds one
    backward pass through all of them for the weights)."""
    expected = laplacian_cost(d, width=8, depth=1, num_points=4, repeats=1)["backward_passes"]
    return check_number(answer, expected, name=f"autograd calls for Δu in d = {d}", rtol=0.0, atol=0.5,
                        hint="one call gives the whole gradient ∇u; each second derivative ∂²u/∂x_i² needs one more.")


def check_precision_winner(answer, errors: Mapping[str, float]) -> Result:
    """The dtype with the lower measured error."""
    if not errors:
        raise ValueError("precision: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="lower error", choices=list(errors),
                        hint="read the table: which precision reaches the smaller relative L2?")
