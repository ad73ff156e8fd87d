"""Checks and experiments for lesson 02, the anatomy of the loss (``notebooks/02_loss_anatomy.ipynb``).

The loss of a PINN for the heat equation ``u_t = κ u_xx`` on ``[0, 1]²`` is a sum of terms,

    L = mean r² (collocation) + mean (u(x, 0) − u0)² (initial) + mean u(0, t)² + mean u(1, t)² (boundary),

each a soft penalty (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019). Without the
initial term, ``u ≡ 0`` meets the residual and the boundary terms exactly: a wrong solution with a
small loss. A hard constraint (Lagaris, Likas & Fotiadis, IEEE Trans. Neural Netw. 9, 1998) instead
builds the conditions into the network, ``u = u0(x) + t·x(1 − x)·N(x, t)``, and leaves the residual alone.
"""
from __future__ import annotations

from typing import Mapping

from . import Result, check_choice, check_number

__all__ = ["VARIANTS", "config", "loss_terms", "check_hard_value", "check_terms", "check_zero_error",
           "check_best_variant"]

#: the lesson's three losses: label -> what changes in the run's configuration
VARIANTS = {
    "all terms (soft)": {},
    "no initial term": {"balancer": "static", "balancer_options": {"scales": {"initial": 0.0}}},
    "hard constraint": {"hard": True},
}


def config(variant: str, **settings):
    """The :class:`pinnkit.RunConfig` of one variant of :data:`VARIANTS` on the ``heat`` problem;
    ``settings`` (width, steps, …) apply to all variants alike."""
    from .. import RunConfig

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {list(VARIANTS)}")
    return RunConfig(problem="heat", **settings).replace(**VARIANTS[variant])


def loss_terms(hard: bool, kappa: float = 0.1) -> list[str]:
    """The names of the loss terms of the heat problem: the residual, then every condition a hard
    transform does not satisfy (what the trainer builds)."""
    from .. import zoo

    p = zoo.get("heat", kappa=kappa)
    left = [c for c in p.conditions if not (hard and c in p.hard_satisfies)]
    return ["residual"] + left


def check_hard_value(answer, x: float = 0.25) -> Result:
    """``u(x, 0)`` of the hard-constrained network: the initial state ``u0(x)``, whatever the network —
    computed here by putting a random network output through the problem's own transform."""
    import torch

    from .. import zoo

    p = zoo.get("heat")
    pts = torch.tensor([[x, 0.0]], dtype=torch.float64)
    values = [float(p.hard(pts, torch.randn(1, 1, dtype=torch.float64), p.values)) for _ in range(3)]
    if max(values) - min(values) > 1e-12:
        raise RuntimeError(f"the heat transform depends on the network at t = 0: {values}")
    return check_number(answer, values[0], name=f"hard-constrained u({x:g}, 0)", rtol=0.0, atol=1e-3,
                        hint="at t = 0 the factor t·x(1 − x) vanishes: what is left is u0(x) = sin πx + ½ sin 4πx.")


def check_terms(answer, hard: bool = True) -> Result:
    """How many terms the loss has (soft: residual + initial + two boundaries; hard: the residual)."""
    terms = loss_terms(hard)
    return check_number(answer, len(terms), name=f"loss terms ({'hard' if hard else 'soft'} constraint)", rtol=0.0,
                        atol=0.25, hint="a condition the transform satisfies exactly leaves the loss; "
                                        "count the residual and the conditions left (initial, left, right).")


def check_zero_error(answer) -> Result:
    """The relative L2 error ``‖u_θ − u‖ / ‖u‖`` of ``u_θ ≡ 0``: exactly 1, for any nonzero ``u``."""
    return check_number(answer, 1.0, name="relative L2 of u ≡ 0", rtol=0.0, atol=1e-3,
                        hint="put u_θ = 0 into ‖u_θ − u‖ / ‖u‖.")


def check_best_variant(answer, errors: Mapping[str, float]) -> Result:
    """The variant with the smallest relative L2 error (``errors``: label -> error, measured)."""
    if not errors:
        raise ValueError("best variant: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="smallest error", choices=list(errors),
                        hint="read the 'rel L2' column of the table in section 2 (the error, not the loss).")
