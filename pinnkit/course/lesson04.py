"""Checks for lesson 04, inverse problems and identifiability (``notebooks/04_inverse_problems.ipynb``).

The lesson identifies the diffusivity κ of pinnkit's ``heat`` problem from observations, with
κ trained as ``exp(s)`` (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019, treat the
PDE's coefficients as trainable parameters of one loss)."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from . import Result, check_choice, check_number

__all__ = ["log_step", "relative_error", "first_identified", "trajectory", "check_log_step",
           "check_relative_error", "check_first_identified", "check_not_identifiable"]


def log_step(kappa0: float, grad_kappa: float, lr: float) -> float:
    """κ after one plain gradient-descent step of size ``lr`` on ``s = ln κ``, for a loss whose
    derivative with respect to κ is ``grad_kappa`` at κ0 — computed by autograd through ``κ = exp(s)``
    (the chain rule gives ``∂L/∂s = κ ∂L/∂κ``, so ``κ1 = κ0 exp(−lr κ0 ∂L/∂κ)``)."""
    import torch

    if not (isinstance(kappa0, (int, float)) and kappa0 > 0 and math.isfinite(kappa0)):
        raise ValueError(f"a log-parametrised κ needs a positive, finite κ0; got {kappa0!r}")
    s = torch.tensor(math.log(kappa0), dtype=torch.float64, requires_grad=True)
    loss = float(grad_kappa) * torch.exp(s)  # linear in κ: ∂L/∂κ = grad_kappa
    loss.backward()
    with torch.no_grad():
        return float(torch.exp(s - lr * s.grad))


def relative_error(identified: float, true: float) -> float:
    """``|identified − true| / |true|``."""
    if true == 0:
        raise ValueError("relative error: the true value is 0")
    return abs(float(identified) - float(true)) / abs(float(true))


def first_identified(errors: Mapping[int, Sequence[float]], tol: float = 0.01):
    """The smallest data count whose relative errors are below ``tol`` for *every* seed,
    or ``"none"`` when no count gets there."""
    if not errors:
        raise ValueError("first identified count: no measured errors given")
    ok = [n for n, errs in errors.items() if errs and max(errs) < tol]
    return min(ok) if ok else "none"


def trajectory(history, name: str):
    """``(steps, values)`` of the unknown ``name`` over training (the history's ``unknown/<name>``)."""
    column = f"unknown/{name}"
    if column not in history.columns:
        raise KeyError(f"the history has no column {column!r}: was {name!r} an unknown of this run?")
    return history.where(column)


def check_log_step(answer, kappa0: float = 0.05, grad_kappa: float = 20.0, lr: float = 0.01) -> Result:
    """κ after one gradient step on ``s = ln κ`` (see :func:`log_step`)."""
    expected = log_step(kappa0, grad_kappa, lr)
    return check_number(answer, expected, name="κ after one step on s = ln κ", rtol=1e-3,
                        hint="the step is taken on s, not on κ: ∂L/∂s = κ·∂L/∂κ, s1 = s0 − lr·∂L/∂s, "
                             "then κ1 = exp(s1).")


def check_relative_error(answer, identified: float, true: float) -> Result:
    """The relative error of an identified value."""
    expected = relative_error(identified, true)
    return check_number(answer, expected, name="relative error of the identified value", rtol=0.02, atol=1e-6,
                        hint="|identified − true| / true — divide by the true value, not the identified one.")


def check_first_identified(answer, errors: Mapping[int, Sequence[float]], tol: float = 0.01) -> Result:
    """The smallest data count that identifies the parameter within ``tol`` for every seed
    (``errors``: count -> relative errors over seeds, measured), or ``"none"``."""
    expected = first_identified(errors, tol)
    choices = [*errors, "none"]
    name = f"first count with error < {tol:g} for every seed"
    if answer is None or answer is Ellipsis:
        raise ValueError(f"{name}: no answer yet — choose one of {choices}")
    value = answer.strip().lower() if isinstance(answer, str) else answer
    if isinstance(value, str) and value != "none":
        try:
            value = int(value)
        except ValueError:
            pass
    if isinstance(value, bool) or value not in choices:
        return Result(False, name, f"{answer!r} is not one of the choices {choices}")
    if value == expected:
        return Result(True, name, f"{answer!r}")
    return Result(False, name, f"{answer!r} is not it. Read the worst seed (max) of each count in the table, "
                               f"not the median, and take the smallest count below {tol:g}.")


def check_not_identifiable(answer, errors: Mapping[str, Sequence[float]]) -> Result:
    """The setting that does not identify the parameter: the one with the largest median
    relative error (``errors``: setting -> relative errors over seeds, measured)."""
    if not errors:
        raise ValueError("not identifiable: no measured errors given")

    def median(v):
        v = sorted(float(x) for x in v)
        return 0.5 * (v[(len(v) - 1) // 2] + v[len(v) // 2])

    worst = max(errors, key=lambda k: median(errors[k]))
    return check_choice(answer, worst, name="the setting that does not identify κ", choices=list(errors),
                        hint="look for the setting whose trajectory goes nowhere near the true value — where "
                             "do its observations sit, and does κ act there?")
