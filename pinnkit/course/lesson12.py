"""Checks for lesson 12, beyond the MLP, compared fairly (``notebooks/12_architectures.ipynb``)."""
from __future__ import annotations

from typing import Mapping

from . import Result, check_choice, check_number

__all__ = ["count_parameters", "check_mlp_parameters", "check_modified_mlp_extra", "check_exact_periodicity",
           "check_best_architecture"]


def count_parameters(model) -> int:
    """Trainable parameters of a torch module."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def check_mlp_parameters(answer, in_dim: int = 2, width: int = 32, depth: int = 3, out_dim: int = 1) -> Result:
    """Parameters of ``MLP(in_dim, out_dim, width, depth)``, counted on a pinnkit MLP."""
    from ..models import MLP

    expected = count_parameters(MLP(in_dim, out_dim, width, depth))
    return check_number(answer, expected, name="MLP parameters", rtol=0.0, atol=0.5,
                        hint="each linear layer a → b has a·b weights and b biases; there are depth + 1 layers "
                             "(in → w, depth − 1 times w → w, w → out).")


def check_modified_mlp_extra(answer, in_dim: int = 2, width: int = 32, depth: int = 3) -> Result:
    """How many more parameters a ModifiedMLP has than the MLP of the same size (its two
    encoders ``U``, ``V``), counted on pinnkit's classes."""
    from ..models import MLP, ModifiedMLP

    expected = count_parameters(ModifiedMLP(in_dim, 1, width, depth)) - count_parameters(MLP(in_dim, 1, width, depth))
    return check_number(answer, expected, name="extra parameters of the modified MLP", rtol=0.0, atol=0.5,
                        hint="the two encoders U = φ(XW¹ + b¹) and V = φ(XW² + b²) each map the input to the width.")


def check_exact_periodicity(answer) -> Result:
    """Which input makes the convection network periodic in x by construction: found by asking
    :func:`pinnkit.models.build_model` which conditions each network satisfies."""
    from ..models import build_model
    from ..problems import zoo

    p = zoo.get("convection", beta=1.0)
    options = {"plain": {}, "fourier features": {"fourier_features": 8},
               "periodic embedding": {"periodic": {"x": 3}}}
    exact = [name for name, kw in options.items()
             if "periodic" in getattr(build_model(p, width=4, depth=1, **kw), "satisfies", ())]
    expected = exact[0] if len(exact) == 1 else "none"
    return check_choice(answer, expected, name="exactly periodic input", choices=[*options, "none"],
                        hint="random Fourier features have random frequencies; which embedding uses only whole "
                             "periods of the domain?")


def check_best_architecture(answer, errors: Mapping[str, float]) -> Result:
    """The architecture with the lowest measured median error."""
    if not errors:
        raise ValueError("best architecture: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="best architecture", choices=list(errors),
                        hint="read the median column of the comparison table.")
