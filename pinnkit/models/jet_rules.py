"""Taylor rules: how a second-order jet passes through the layers of a network.

A network that the Taylor engines can differentiate in the forward pass describes itself as
a list of *stages* (``model.taylor_stages()``):

- ``("affine", shift, scale)`` — ``(x − shift) · scale`` (input scaling);
- ``("linear", W, b)`` — ``x Wᵀ + b`` (``b`` may be ``None``);
- ``("act", kind)`` — an elementwise activation with a rule here (``tanh``, ``sin``,
  ``gelu``);
- ``("act", kind, params)`` — an activation with trainable parameters (``wavelet``,
  ``cauchy``: :mod:`.activations`), ``params`` its current tensors, so gradients reach them.

With ``a`` a layer input, ``a_i = ∂a/∂x_i`` and ``a_ij = ∂²a/∂x_i∂x_j``:

    linear  z = W a + b,  z_i = W a_i,  z_ij = W a_ij
    σ(z)    y = σ(z),     y_i = σ'(z) z_i,  y_ij = σ'(z) z_ij + σ''(z) z_i z_j

starting from ``x_i = e_i``, ``x_ij = 0`` (forward propagation of Taylor coefficients:
Griewank & Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 13; "Taylor mode" in
Bettencourt, Johnson & Duvenaud, NeurIPS 2019 workshop on program transformations).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

__all__ = ["activation_derivatives", "activation_kind", "sequential_stages", "propagate_jet", "JET_ACTIVATIONS",
           "PARAMETRIC_ACTIVATIONS", "has_parametric_activation"]

#: activations with a Taylor rule
JET_ACTIVATIONS = ("tanh", "sin", "gelu", "wavelet", "cauchy")

#: those with trainable parameters (their stage carries them: ``("act", kind, params)``)
PARAMETRIC_ACTIVATIONS = ("wavelet", "cauchy")


def activation_derivatives(kind: str, z: torch.Tensor, params: Sequence[torch.Tensor] = ()
                           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(σ(z), σ'(z), σ''(z))`` for ``kind`` in ``tanh``, ``sin``, ``gelu`` (exact, erf),
    and, with their ``params``, ``wavelet`` (``w1, w2``) and ``cauchy`` (``λ1, λ2, d``):

        wavelet  σ = w1 sin z + w2 cos z,  σ' = w1 cos z − w2 sin z,  σ'' = −σ
        cauchy   σ = (λ1 z + λ2) r,  r = 1/(z² + d²),  σ' = r (λ1 − 2zσ),  σ'' = −r (2σ + 4zσ')

    (the Cauchy rules follow from differentiating ``σ (z² + d²) = λ1 z + λ2`` twice)."""
    if kind in PARAMETRIC_ACTIVATIONS:
        want = 2 if kind == "wavelet" else 3
        if len(params) != want:
            raise ValueError(f"the {kind} rule needs {want} parameters; got {len(params)}")
        if kind == "wavelet":
            w1, w2 = params
            s, c = torch.sin(z), torch.cos(z)
            y = w1 * s + w2 * c
            return y, w1 * c - w2 * s, -y
        l1, l2, d = params
        r = 1 / (z * z + d * d)
        y = (l1 * z + l2) * r
        s1 = r * (l1 - 2 * z * y)
        return y, s1, -r * (2 * y + 4 * z * s1)
    if kind == "tanh":
        y = torch.tanh(z)
        s1 = 1 - y * y
        return y, s1, -2 * y * s1
    if kind == "sin":
        y = torch.sin(z)
        return y, torch.cos(z), -y
    if kind == "gelu":
        cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
        pdf = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return z * cdf, cdf + z * pdf, pdf * (2 - z * z)
    raise ValueError(f"no Taylor rule for activation {kind!r}")


def activation_kind(m: nn.Module) -> str | None:
    """The Taylor rule of an activation module: torch's ``Tanh`` and exact ``GELU``, or a
    module that names its rule in a ``jet_kind`` attribute; ``None`` otherwise."""
    kind = getattr(m, "jet_kind", None)
    if kind in JET_ACTIVATIONS:
        return kind
    if isinstance(m, nn.Tanh):
        return "tanh"
    if isinstance(m, nn.GELU) and m.approximate == "none":
        return "gelu"
    return None


def sequential_stages(seq: nn.Sequential) -> list | None:
    """Stages of an ``nn.Sequential`` of ``Linear`` layers and activations with a rule."""
    stages = []
    for m in seq:
        if isinstance(m, nn.Linear):
            stages.append(("linear", m.weight, m.bias))
        elif isinstance(m, nn.Identity):
            continue
        else:
            kind = activation_kind(m)
            if kind is None:
                return None
            stages.append(("act", kind, tuple(m.jet_params())) if kind in PARAMETRIC_ACTIVATIONS else ("act", kind))
    return stages


def has_parametric_activation(stages: list) -> bool:
    """Whether ``stages`` hold an activation with trainable parameters (which the fused
    engine's hand-written reverse pass does not differentiate)."""
    return any(st[0] == "act" and len(st) > 2 for st in stages)


def _linear(v, W, b):
    return torch.addmm(b, v, W.T) if b is not None else v @ W.T


def propagate_jet(stages: list, x: torch.Tensor, pairs: Sequence[tuple[int, int]]):
    """Propagate ``(u, ∂u/∂x_i, ∂²u/∂x_i∂x_j)`` through ``stages``.

    ``x: (N, d)`` -> ``value (N, out)``, ``first (d, N, out)``, ``second (P, N, out)``
    (``P = len(pairs)``). Until the first nonlinearity the derivatives do not depend on
    the point and are kept as ``(d, 1, F)`` rows; second derivatives are zero there.
    """
    n, d = x.shape
    v = x
    first = torch.eye(d, dtype=x.dtype, device=x.device).unsqueeze(1)  # (d, 1, d)
    second = None  # None means identically zero
    I = [i for i, _ in pairs]
    J = [j for _, j in pairs]
    for stage in stages:
        kind = stage[0]
        if kind == "affine":
            shift, scale = stage[1].to(x.dtype), stage[2].to(x.dtype)
            v = (v - shift) * scale
            first = first * scale
            if second is not None:
                second = second * scale
        elif kind == "linear":
            W, b = stage[1], stage[2]
            v = _linear(v, W, b)
            first = first @ W.T
            if second is not None:
                second = second @ W.T
        elif kind == "act":
            v, s1, s2 = activation_derivatives(stage[1], v, stage[2] if len(stage) > 2 else ())
            curv = s2 * (first[I] * first[J]) if pairs else None
            if second is not None and pairs:
                curv = torch.addcmul(curv, s1, second)
            second = curv
            first = s1 * first
        else:
            raise ValueError(f"unknown stage {kind!r}")
    if second is None:
        second = first.new_zeros((len(pairs),) + first.shape[1:])
    out = v.shape[1]
    return v, first.expand(d, n, out), second.expand(len(pairs), n, out)
