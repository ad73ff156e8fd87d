"""Checks for lesson 07, spectral bias and Fourier features (``notebooks/07_spectral_bias.ipynb``)."""
from __future__ import annotations

from typing import Mapping

from . import Result, check_choice, check_number

__all__ = ["check_forcing_ratio", "check_embedding_width", "check_input_frequency", "check_best_sigma"]


def check_forcing_ratio(answer, a: float = 20.0, amplitude: float = 0.1) -> Result:
    """The forcing of ``poisson1d_multiscale`` is ``f = π² sin πx + ε (aπ)² sin aπx``: the ratio
    of the amplitude of its high-frequency part to that of its low-frequency part is ``ε a²``."""
    expected = amplitude * (a * 3.141592653589793) ** 2 / 3.141592653589793 ** 2
    return check_number(answer, expected, name="forcing ratio", rtol=0.02,
                        hint="−u'' multiplies sin(kπx) by (kπ)²: compare ε(aπ)² with π² (the π² cancel).")


def check_embedding_width(answer, num_features: int = 32, in_dim: int = 1) -> Result:
    """Width of the Fourier embedding γ(x) = [cos 2πBx, sin 2πBx] with ``B: (m, d)``: ``2m``
    whatever ``d`` — read off :class:`pinnkit.models.FourierFeatures` itself."""
    from ..models import FourierFeatures

    expected = FourierFeatures(in_dim, num_features).out_dim
    return check_number(answer, expected, name="embedding width", rtol=0.0, atol=0.5,
                        hint="each row of B gives one cosine and one sine; the input dimension d only enters B.")


def check_input_frequency(answer, a: float = 20.0) -> Result:
    """The network sees ``s = 2x − 1 ∈ [−1, 1]`` (input scaling), so ``sin(aπx) = sin(aπ(s+1)/2)``
    oscillates with ``a/4`` periods per unit of ``s`` — the frequency ``2πB`` must reach."""
    return check_number(answer, a / 4, name="periods per unit of s", rtol=0.02,
                        hint="substitute x = (s + 1)/2 into sin(aπx): the angular frequency in s is aπ/2; "
                             "divide by 2π for periods per unit.")


def check_best_sigma(answer, errors: Mapping[float, float]) -> Result:
    """The σ of the sweep with the smallest relative L2 error (``errors``: σ → error, measured)."""
    if not errors:
        raise ValueError("best sigma: no measured errors given")
    best = min(errors, key=errors.get)
    return check_choice(answer, best, name="best σ", choices=list(errors),
                        hint="read the smallest relative L2 in the σ sweep table (not the smallest σ).")
