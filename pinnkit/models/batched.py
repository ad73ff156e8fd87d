"""Batched members: ``M`` networks of one architecture evaluated as one module.

A 3-seed comparison or an 8-value parameter study is M independent trainings of small
networks; on a CPU each step of a width-20 network is dominated by per-operation overhead,
not arithmetic. :class:`BatchedMLP` stacks the members' weights into batched tensors
``W: (M, out, in)`` and evaluates all members with one batched matrix product per layer;
the points of member ``m`` are rows ``[m N, (m+1) N)`` of one ``(M N, d)`` tensor, so a
problem's residual, its conditions and :class:`~pinnkit.problems.Derivatives` run unchanged
(derivatives of ``Σ u`` with respect to the rows of ``x`` are the per-member derivatives,
because each row depends on its own member only). :func:`pinnkit.training.train_ensemble`
trains it.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..problems.problem import Problem
from .networks import MLP, FourierFeatures, build_model

__all__ = ["BatchedMLP", "ensemble_models"]


class BatchedMLP(nn.Module):
    """``M`` :class:`~pinnkit.models.MLP` s of one architecture evaluated as one module.

    ``forward(x)`` takes ``x: (M N, d)`` (member ``m`` owns rows ``m N … (m+1) N − 1``)
    and returns ``(M N, out)``: per layer ``h ← σ(h Wᵀ + b)`` as ``torch.baddbmm`` on
    ``(M, N, ·)``. Input scaling and Fourier features are batched the same way.
    """

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        if len(members) < 1:
            raise ValueError("an ensemble needs at least one member")
        for m in members:
            if not isinstance(m, MLP):
                raise ValueError(f"ensemble members must be pinnkit MLPs; got {type(m).__name__}")
        first = members[0]
        if any(True for layer in first.net if not isinstance(layer, nn.Linear) for _ in layer.parameters()):
            raise ValueError(f"ensembles cannot batch an activation with trainable parameters "
                             f"({first.activation!r}); train the members one by one")
        sig = self._signature(first)
        for m in members[1:]:
            if self._signature(m) != sig:
                raise ValueError("ensemble members must share one architecture (sizes, activation, embedding)")
        self.size = len(members)
        self.in_dim, self.out_dim, self.activation = first.in_dim, first.out_dim, first.activation
        linears = [[l for l in m.net if isinstance(l, nn.Linear)] for m in members]
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.stack([ls[k].weight.detach() for ls in linears]).clone()) for k in range(len(linears[0]))])
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.stack([ls[k].bias.detach() for ls in linears]).clone()) for k in range(len(linears[0]))])
        if first.shift is not None:
            self.register_buffer("shift", torch.stack([m.shift for m in members])[:, None, :].clone())
            self.register_buffer("scale", torch.stack([m.scale for m in members])[:, None, :].clone())
        else:
            self.shift = self.scale = None
        if first.embedding is not None:
            self.register_buffer("B", torch.stack([m.embedding.B for m in members]).clone())  # (M, m, d)
        else:
            self.B = None
        self.act = type(first.net[1])() if len(first.net) > 1 else nn.Identity()

    @staticmethod
    def _signature(m: MLP):
        emb = m.embedding
        if emb is not None and not isinstance(emb, FourierFeatures):
            raise ValueError(f"ensembles support Fourier-feature embeddings only; got {type(emb).__name__}")
        return (m.in_dim, m.out_dim, m.activation, m.shift is None, None if emb is None else tuple(emb.B.shape),
                tuple(tuple(l.weight.shape) for l in m.net if isinstance(l, nn.Linear)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        M = self.size
        if x.ndim != 2 or x.shape[1] != self.in_dim or x.shape[0] % M:
            raise ValueError(f"BatchedMLP of {M} members expects (M*N, {self.in_dim}) input; got {tuple(x.shape)}")
        h = x.reshape(M, x.shape[0] // M, self.in_dim)
        if self.shift is not None:
            h = (h - self.shift) * self.scale
        if self.B is not None:
            z = 2 * math.pi * torch.bmm(h, self.B.transpose(1, 2))
            h = torch.cat([torch.cos(z), torch.sin(z)], dim=2)
        last = len(self.weights) - 1
        for k, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b[:, None, :], h, W.transpose(1, 2))
            if k < last:
                h = self.act(h)
        return h.reshape(x.shape[0], self.out_dim)

    @torch.no_grad()
    def write_back(self, members: Sequence[MLP]) -> None:
        """Copy member ``m``'s trained weights into ``members[m]``."""
        for m, model in enumerate(members):
            for lin, W, b in zip([l for l in model.net if isinstance(l, nn.Linear)], self.weights, self.biases):
                lin.weight.copy_(W[m])
                lin.bias.copy_(b[m])


def ensemble_models(problem: Problem, seeds: Sequence[int], **build_options) -> list[nn.Module]:
    """``[build_model(problem, seed=s, **build_options) for s in seeds]`` — a convenience."""
    from ..models import build_model

    return [build_model(problem, seed=int(s), **build_options) for s in seeds]


def ensemble_models(problem: Problem, seeds: Sequence[int], **build_options) -> list[nn.Module]:
    """``[build_model(problem, seed=s, **build_options) for s in seeds]`` — a convenience."""
    return [build_model(problem, seed=int(s), **build_options) for s in seeds]
