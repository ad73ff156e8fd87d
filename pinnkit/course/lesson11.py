"""Checks for lesson 11, gradient conflict and per-term optimisers (``notebooks/11_gradient_conflict.ipynb``)."""
from __future__ import annotations

from typing import Mapping, Sequence

import torch

from . import Result, check_choice, check_number

__all__ = ["check_cosine", "check_config_direction", "check_scale_invariant_optimizer", "check_lower_error"]


def _vec(g: Sequence[float], what: str) -> torch.Tensor:
    v = torch.as_tensor(g, dtype=torch.float64).ravel()
    if v.numel() == 0 or not torch.isfinite(v).all() or float(v.norm()) == 0:
        raise ValueError(f"{what} must be a non-zero list of finite numbers; got {g!r}")
    return v


def check_cosine(answer, g1: Sequence[float], g2: Sequence[float]) -> Result:
    """``cos(g1, g2) = g1·g2 / (‖g1‖‖g2‖)``, computed by :func:`pinnkit.diagnostics.gradient_cosines`."""
    from ..diagnostics.conditioning import gradient_cosines

    expected = gradient_cosines({"a": _vec(g1, "g1"), "b": _vec(g2, "g2")})[("a", "b")]
    return check_number(answer, expected, name="cosine", rtol=0.01, atol=1e-3,
                        hint="dot product divided by the product of the two lengths; a negative cosine is a conflict.")


def check_config_direction(answer, g1: Sequence[float], g2: Sequence[float]) -> Result:
    """The ConFIG update (Liu, Chu & Thuerey, ICLR 2025) of two gradients, as a list; the expected
    vector is :func:`pinnkit.combining.config_direction` itself."""
    from ..combining import config_direction

    expected = config_direction(torch.stack([_vec(g1, "g1"), _vec(g2, "g2")]))
    try:
        got = torch.as_tensor(answer, dtype=torch.float64).ravel()
    except (TypeError, ValueError, RuntimeError):
        if answer is None or answer is Ellipsis:
            raise ValueError("ConFIG direction: no answer yet — replace the ... with your answer") from None
        return Result(False, "ConFIG direction", f"give a list of {expected.numel()} numbers, got {answer!r}")
    if got.shape != expected.shape:
        return Result(False, "ConFIG direction", f"give {expected.numel()} numbers (one per parameter), got {got.numel()}")
    if torch.allclose(got, expected, rtol=0.02, atol=1e-3):
        return Result(True, "ConFIG direction", f"{[round(v, 4) for v in got.tolist()]}")
    return Result(False, "ConFIG direction",
                  f"{[round(v, 4) for v in got.tolist()]} is not it. Solve U(g_i)·x = 1 for both unit gradients, "
                  "normalise x to g_u, then scale g_u by Σ_i g_i·g_u.")


def check_scale_invariant_optimizer(answer) -> Result:
    """Which optimizer's first steps do not change when one loss term is multiplied by 100? Decided
    by running three steps of each on a two-term quadratic (the expected answer is measured)."""
    def steps(kind: str, s: float) -> torch.Tensor:
        from ..combining import MultiAdam

        theta = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
        combiner = MultiAdam(eps=0.0) if kind == "multiadam" else None
        state = combiner.init(["a", "b"]) if combiner else None
        opt = torch.optim.SGD([theta], lr=0.1) if kind in ("sgd", "multiadam") else torch.optim.Adam([theta], lr=0.1)
        for i in range(3):
            la, lb = (theta[0] - theta[1]) ** 2, s * (theta[0] + 2 * theta[1] - 1) ** 2
            opt.zero_grad()
            if combiner:
                ga = torch.autograd.grad(la, theta, retain_graph=True)[0]
                gb = torch.autograd.grad(lb, theta)[0]
                direction, state = combiner.update({"a": ga, "b": gb}, {"a": 1.0, "b": 1.0}, state, i)
                theta.grad = direction.detach()
            else:
                (la + lb).backward()
            opt.step()
        return theta.detach().clone()

    invariant = [k for k in ("adam", "sgd", "multiadam") if torch.allclose(steps(k, 1.0), steps(k, 100.0), atol=1e-9)]
    expected = invariant[0] if len(invariant) == 1 else "none"
    return check_choice(answer, expected, name="scale-invariant optimizer", choices=["adam", "sgd", "multiadam", "none"],
                        hint="Adam normalises the sum of the terms' gradients by one second moment; which optimizer "
                             "keeps a second moment per term?")


def check_lower_error(answer, errors: Mapping[str, float]) -> Result:
    """The method with the lower measured error (``errors``: method → rel L2)."""
    if not errors:
        raise ValueError("lower error: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="lower error", choices=list(errors),
                        hint="read the row s = 10⁴ of the table and take the smallest median.")
