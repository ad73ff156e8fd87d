"""Activations with trainable parameters, as reusable modules.

- :class:`Wavelet` — ``w1 sin(x) + w2 cos(x)``, the activation of PINNsFormer (Zhao, Ding &
  Prakash, "PINNsFormer: A Transformer-Based Framework For Physics-Informed Neural Networks",
  ICLR 2024, arXiv 2307.11833, §3.2).
- :class:`Cauchy` — ``λ1 x/(x² + d²) + λ2/(x² + d²)``, the Cauchy activation of XNet (Li, Xia
  & Zhang, "Cauchy activation function and XNet", arXiv 2409.19221).

Both describe themselves to the Taylor engines (:mod:`.jet_rules`): ``jet_kind`` names their
rule and ``jet_params()`` returns their current parameters, so the forward jets use the
same trainable tensors as :meth:`forward` and the training gradient reaches them.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["Wavelet", "Cauchy"]


def _scalar_or_vector(value: float, features: int | None, name: str) -> nn.Parameter:
    if features is not None and (isinstance(features, bool) or not isinstance(features, int) or features < 1):
        raise ValueError(f"{name}: features must be a positive integer or None; got {features!r}")
    shape = () if features is None else (features,)
    return nn.Parameter(torch.full(shape, float(value)))


class Wavelet(nn.Module):
    """``σ(x) = w1 sin(x) + w2 cos(x)`` with trainable ``w1``, ``w2`` (initialised to 1), as
    in PINNsFormer (Zhao et al., ICLR 2024, §3.2, where it is called "Wavelet").

    Not a wavelet KAN: this is a two-term Fourier activation with learnable amplitudes; the
    Morlet/Mexican-hat wavelet KANs (Wav-KAN and its packages) are a different method.
    ``features=None`` gives one pair of scalars per instance (the authors' choice);
    ``features=F`` one pair per neuron of an ``(…, F)`` input."""

    jet_kind = "wavelet"

    def __init__(self, features: int | None = None, w1: float = 1.0, w2: float = 1.0):
        super().__init__()
        self.w1 = _scalar_or_vector(w1, features, "Wavelet")
        self.w2 = _scalar_or_vector(w2, features, "Wavelet")

    def forward(self, x):
        return self.w1 * torch.sin(x) + self.w2 * torch.cos(x)

    def jet_params(self) -> tuple[torch.Tensor, ...]:
        return (self.w1, self.w2)

    def extra_repr(self):
        return f"w1={self.w1.detach().tolist()}, w2={self.w2.detach().tolist()}"


class Cauchy(nn.Module):
    """``σ(x) = (λ1 x + λ2) / (x² + d²)`` with trainable ``λ1``, ``λ2``, ``d`` (initialised to
    1): the Cauchy activation of XNet (Li, Xia & Zhang, arXiv 2409.19221, Eq. 3.1), derived
    from the Cauchy integral formula. ``d`` sets the width of the bump, ``λ1`` the odd part
    and ``λ2`` the even part. ``features=None`` gives one triple of scalars per instance;
    ``features=F`` one triple per neuron."""

    jet_kind = "cauchy"

    def __init__(self, features: int | None = None, lambda1: float = 1.0, lambda2: float = 1.0, d: float = 1.0):
        super().__init__()
        if not d != 0:
            raise ValueError("Cauchy: d must be nonzero (the activation is singular at x = 0 when d = 0)")
        self.lambda1 = _scalar_or_vector(lambda1, features, "Cauchy")
        self.lambda2 = _scalar_or_vector(lambda2, features, "Cauchy")
        self.d = _scalar_or_vector(d, features, "Cauchy")

    def forward(self, x):
        return (self.lambda1 * x + self.lambda2) / (x * x + self.d * self.d)

    def jet_params(self) -> tuple[torch.Tensor, ...]:
        return (self.lambda1, self.lambda2, self.d)

    def extra_repr(self):
        return (f"lambda1={self.lambda1.detach().tolist()}, lambda2={self.lambda2.detach().tolist()}, "
                f"d={self.d.detach().tolist()}")
