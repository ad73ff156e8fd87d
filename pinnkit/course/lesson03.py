"""Checks and experiments for lesson 03, optimisers and precision (``notebooks/03_optimisers_precision.ipynb``).

Adam (Kingma & Ba, ICLR 2015) then L-BFGS (Liu & Nocedal, Math. Programming 45, 1989), as in the
original PINN (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019), in float32 and
float64, with L-BFGS's absolute stopping tests (``tolerance_grad``, ``tolerance_change``;
Xu et al., arXiv:2505.10949, 2025, on float32 runs stopping early).
"""
from __future__ import annotations

import math
from typing import Mapping

from . import Result, check_choice, check_number

__all__ = ["PLANS", "config", "lbfgs_iterations", "stop_reason", "check_epsilon_ratio", "check_tolerance_stop",
           "check_total_steps", "check_best_plan"]

#: the lesson's optimiser plans: label -> changes to the base configuration (Adam steps = ``steps``)
PLANS = {
    "Adam only": {"optimizer": "adam"},
    "Adam → L-BFGS, float32": {"optimizer": "adam+lbfgs"},
    "Adam → L-BFGS, float64": {"optimizer": "adam+lbfgs", "dtype": "float64"},
    "Adam → L-BFGS, float32, tolerance_change 1e-7": {"optimizer": "adam+lbfgs",
                                                      "lbfgs_options": {"tolerance_change": 1e-7}},
}


def config(plan: str, *, adam_steps: int, lbfgs_steps: int, **settings):
    """The :class:`pinnkit.RunConfig` of one plan of :data:`PLANS`. "Adam only" gets
    ``adam_steps + lbfgs_steps`` Adam steps (the same step count as the others' upper bound)."""
    from .. import RunConfig

    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; choose one of {list(PLANS)}")
    change = dict(PLANS[plan])
    if change["optimizer"] == "adam":
        return RunConfig(steps=adam_steps + lbfgs_steps, **settings).replace(**change)
    return RunConfig(steps=adam_steps, lbfgs_steps=lbfgs_steps, **settings).replace(**change)


def lbfgs_iterations(history, adam_steps: int) -> int:
    """L-BFGS iterations a run used: its last step minus the Adam steps."""
    return int(history.final["step"]) - adam_steps


def stop_reason(history) -> str:
    """Why the L-BFGS phase stopped: the event row pinnkit records (``lbfgs converged: …``), or
    ``"iteration budget"`` when it ran to the end."""
    for row in reversed(history.rows):
        text = str(row.get("event") or "")
        if "converged" in text:
            return text
    return "iteration budget"


def check_epsilon_ratio(answer) -> Result:
    """How many times larger float32's machine epsilon (2⁻²³) is than float64's (2⁻⁵²): 2²⁹ ≈ 5.4e8."""
    return check_number(answer, 2.0 ** 29, name="ε(float32) / ε(float64)", rtol=0.02,
                        hint="float32 keeps 23 bits after the binary point, float64 52: ε = 2^−(bits).")


def check_tolerance_stop(answer, loss: float = 1e-4, tolerance_change: float = 1e-7) -> Result:
    """The relative change of the loss below which ``|L_{k+1} − L_k| < tolerance_change`` stops
    L-BFGS at loss ``L``: ``tolerance_change / L`` (e.g. 1e-3 at L = 1e-4) — far above float32's ε."""
    return check_number(answer, tolerance_change / loss, name="relative loss change that stops L-BFGS", rtol=0.02,
                        hint="the test is absolute: |ΔL| < tolerance_change; divide by the loss for the relative change.")


def check_total_steps(answer, adam_steps: int, lbfgs_steps: int) -> Result:
    """The most steps an Adam → L-BFGS plan can take: ``adam_steps + lbfgs_steps`` (L-BFGS may stop sooner)."""
    return check_number(answer, adam_steps + lbfgs_steps, name="most steps of the plan", rtol=0.0, atol=0.5,
                        hint="lbfgs_steps is an upper bound on the L-BFGS iterations, after all the Adam steps.")


def check_best_plan(answer, errors: Mapping[str, float]) -> Result:
    """The plan with the smallest relative L2 error (``errors``: label -> error, measured)."""
    if not errors:
        raise ValueError("best plan: no measured errors given")
    best = min(errors, key=errors.get)
    if not all(math.isfinite(v) for v in errors.values()):
        raise ValueError(f"best plan: the errors must be finite numbers; got {dict(errors)}")
    return check_choice(answer, best, name="smallest error", choices=list(errors),
                        hint="read the 'rel L2' column of the table in section 1.")
