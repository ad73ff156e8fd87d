"""Checks for lesson 10, failure mode II — causality: causal weights and time marching
(``notebooks/10_causality.ipynb``)."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from . import Result, check_choice, check_number

__all__ = ["causal_weights", "check_causal_weight", "check_first_weight", "check_converged_loss",
           "check_best_method"]


def causal_weights(slice_losses: Sequence[float], epsilon: float) -> list[float]:
    """``w_i = exp(−ε Σ_{k<i} L_r(t_k))`` (Wang, Sankaran & Perdikaris, CMAME 2024, Eq. 3.5),
    computed by :class:`pinnkit.losses.CausalResidual` itself on points placed one per slice."""
    import torch

    from ..losses import CausalResidual

    n = len(slice_losses)
    if n == 0:
        raise ValueError("causal weights need at least one slice loss")
    causal = CausalResidual((0.0, 1.0), num_slices=n, epsilons=(float(epsilon),))
    t = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    r = torch.tensor([math.sqrt(float(v)) for v in slice_losses], dtype=torch.float64).unsqueeze(1)
    causal(t.unsqueeze(1), r)
    return [float(w) for w in causal.weights]


def check_causal_weight(answer, slice_losses: Sequence[float], epsilon: float, index: int = -1) -> Result:
    """The causal weight of slice ``index`` for the given slice losses and ε."""
    expected = causal_weights(slice_losses, epsilon)[index]
    return check_number(answer, expected, name="causal weight", rtol=0.01, atol=1e-4,
                        hint="add up the losses of the slices *before* this one, multiply by −ε, take exp.")


def check_first_weight(answer) -> Result:
    """The first slice's weight is 1 whatever the losses (an empty sum)."""
    expected = causal_weights([7.0, 0.1, 3.0], 10.0)[0]
    return check_number(answer, expected, name="weight of the first slice", rtol=0.0, atol=1e-6,
                        hint="the sum over earlier slices is empty for the first one.")


def check_converged_loss(answer, epsilon: float = 100.0, delta: float = 0.99) -> Result:
    """The largest total loss of the earlier slices for which the last weight still exceeds δ:
    ``exp(−ε S) > δ  ⇔  S < −ln δ / ε``."""
    return check_number(answer, -math.log(delta) / epsilon, name="largest earlier loss for w > δ", rtol=0.02,
                        hint="solve exp(−ε S) = δ for S.")


def check_best_method(answer, errors: Mapping[str, float]) -> Result:
    """The method with the lowest measured median error."""
    if not errors:
        raise ValueError("best method: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="best method", choices=list(errors),
                        hint="read the median column of the table.")
