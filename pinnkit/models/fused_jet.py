"""Second-order jets of an MLP with a hand-written reverse pass (the ``"taylor-fused"`` engine).

The same forward propagation as :func:`pinnkit.models.jet_rules.propagate_jet`
(Griewank & Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 13), written as one
:class:`torch.autograd.Function` whose backward is derived by hand instead of being
recorded op by op. At width 20 a PINN step is bound by the number of tensor operations,
not by arithmetic; here the value and its ``C - 1`` derivative channels are stacked into
one ``(C, N, F)`` tensor so that every linear layer is a single matrix product forward
and two backward, and the autograd graph of the whole network is one node.

Forward, for a hidden layer with input jet ``a = (a, a_i, a_ij)``::

    z = W a + b,  z_i = W a_i,  z_ij = W a_ij
    y = σ(z),  y_i = σ'(z) z_i,  y_ij = σ'(z) z_ij + σ''(z) z_i z_j

Backward, with ``ḡ`` the gradient arriving at each output channel::

    z̄_ij = σ' ȳ_ij
    z̄_i  = σ' ȳ_i + Σ_{pairs (i,j)} σ'' ȳ_ij z_j  (+ the same with i and j swapped)
    z̄    = σ' ȳ + σ'' Σ_i ȳ_i z_i + Σ_pairs ȳ_ij (σ'' z_ij + σ''' z_i z_j)
    W̄ = Σ_channels z̄ᵀ a,  b̄ = Σ_points z̄,  ā = z̄ W

When the gradient itself must be differentiable (``create_graph=True``: reverse mode on
top of a jet, e.g. a third derivative), the reverse pass is instead recorded through the
eager propagation from the saved inputs, so the result stays correct; the engine avoids
that slow path by using this function only once a step went by without reverse mode on
top of the jet, like the compiled engine.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from .jet_rules import activation_derivatives, propagate_jet

__all__ = ["fused_propagate_jet", "activation_jet3"]


def activation_jet3(kind: str, z: torch.Tensor):
    """(σ, σ', σ'', σ''') at ``z`` for ``kind`` in ``tanh``, ``sin``, ``gelu`` (exact)."""
    y, s1, s2 = _act_values(kind, z)
    return y, s1, s2, _act_third(kind, z, s1)


def _act_values(kind, z, out=None):
    """(σ, σ', σ''); σ is written into ``out`` when given. tanh is evaluated in place as
    ``2 sigmoid(2z) - 1`` (within 2e-7 of ``torch.tanh`` in float32, 4e-16 in float64),
    several times faster than ``torch.tanh`` on CPU; other activations use the eager
    engine's :func:`~pinnkit.models.jet_rules.activation_derivatives`."""
    if kind == "tanh":
        y = torch.sigmoid(2 * z, out=out)
        y.mul_(2).sub_(1)
        s1 = torch.mul(y, y).neg_().add_(1)
        return y, s1, torch.mul(y, s1).mul_(-2)
    y, s1, s2 = activation_derivatives(kind, z)
    if out is not None:
        y = out.copy_(y)
    return y, s1, s2


def _act_third(kind, z, s1):
    """σ''' (only the reverse pass needs it)."""
    if kind == "tanh":  # with σ' = 1 - y²: σ''' = -2σ'(σ' - 2y²) = σ'(4 - 6σ')
        return torch.mul(s1, -6).add_(4).mul_(s1)
    if kind == "sin":
        return torch.neg(s1)
    if kind == "gelu":
        pdf = torch.exp(-0.5 * z * z).mul_(1 / math.sqrt(2 * math.pi))
        return pdf * z * (z * z - 4)
    raise ValueError(f"no Taylor rule for activation {kind!r}")


def _act_forward(kind, z0, D, S, pairs):
    """Activation of a jet -> the stacked output ``(C, N, F)`` and ``(σ', σ'')``.

    ``z0: (N, F)``; ``D: (d, N, F)``, or ``(d, 1, F)`` rows while the derivatives do not
    depend on the point yet; ``S: (P, N, F)``, or ``None`` where it is zero."""
    d, P = D.shape[0], len(pairs)
    n, F = z0.shape
    Y = torch.empty((1 + d + P, n, F), dtype=z0.dtype, device=z0.device)
    _, s1, s2 = _act_values(kind, z0, out=Y[0])
    torch.mul(D, s1, out=Y[1:1 + d])
    for p, (i, j) in enumerate(pairs):
        out = Y[1 + d + p]
        if S is not None:
            torch.mul(S[p], s1, out=out)
            out.addcmul_(D[i] * D[j], s2)
        else:
            torch.mul(s2, D[i] * D[j], out=out)
    return Y, (s1, s2)


def _act_backward(kind, G, z0, D, S, s, pairs):
    """The reverse pass of :func:`_act_forward` for the gradient ``G: (C, N, F)`` at its
    output. Returns the stacked gradient at its input ``(C, N, F)``; with constant rows
    ``D: (d, 1, F)``, the pair ``(ḡ_z0 (N, F), ḡ_rows (d, 1, F))`` instead (the rows'
    gradient summed over points; the zero second derivatives need none)."""
    s1, s2 = s
    d, P = D.shape[0], len(pairs)
    gD, gS = G[1:1 + d], G[1 + d:]
    const = D.shape[1] == 1
    out = None if const else torch.empty_like(G)
    # value channel: σ' ḡ + σ'' (Σ_i ḡ_i z_i + Σ_p ḡ_p z_p) + σ''' Σ_p ḡ_p z_i z_j
    acc = gD[0] * D[0]
    for i in range(1, d):
        acc.addcmul_(gD[i], D[i])
    if S is not None:
        for p in range(P):
            acc.addcmul_(gS[p], S[p])
    acc.mul_(s2)
    g0 = torch.addcmul(acc, G[0], s1, out=None if const else out[0])
    if P:
        s3 = _act_third(kind, z0, s1)
        for p, (i, j) in enumerate(pairs):
            g0.addcmul_(gS[p] * s3, D[i] * D[j])
    # first-derivative channels: σ' ḡ_i + σ'' Σ_{pairs (i, j)} ḡ_ij z_j
    gDz = torch.mul(gD, s1, out=None if const else out[1:1 + d])
    for p, (i, j) in enumerate(pairs):
        t2 = gS[p] * s2
        gDz[i].addcmul_(t2, D[j])
        gDz[j].addcmul_(t2, D[i])
    if const:  # the first nonlinearity: no second-derivative input to propagate to
        return g0, gDz.sum(1, keepdim=True)
    torch.mul(gS, s1, out=out[1 + d:])  # S is given whenever D is pointwise
    return out


class _Slot:
    """Where a saved tensor sits in the list handed to ``save_for_backward``."""

    __slots__ = ("index",)

    def __init__(self, flat: list, tensor: torch.Tensor):
        self.index = len(flat)
        flat.append(tensor)


class _FusedJet(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, plan, pairs, *tensors):
        # plan: ("affine",) / ("linear", has_bias) / ("act", kind) per stage; the tensors in order
        d = x.shape[1]
        k = 0
        a = x  # the value while the derivatives are constant rows
        rows = torch.eye(d, dtype=x.dtype, device=x.device).unsqueeze(1)  # (d, 1, F)
        Y = None  # the stacked jet (C, N, F) after the first nonlinearity
        saved = []
        for stage in plan:
            if stage[0] == "affine":
                if saved:
                    raise ValueError("an affine input stage must come first")
                shift, scale = tensors[k], tensors[k + 1]
                k += 2
                a = (a - shift) * scale
                rows = rows * scale
                saved.append(("affine", scale))
            elif stage[0] == "linear":
                W = tensors[k]
                b = tensors[k + 1] if stage[1] else None
                k += 1 + int(stage[1])
                if Y is None:
                    saved.append(("linear-const", W, a, rows, stage[1]))
                    a = torch.addmm(b, a, W.T) if b is not None else a @ W.T
                    rows = rows @ W.T
                else:
                    saved.append(("linear", W, Y, stage[1]))
                    Y = Y @ W.T
                    if b is not None:
                        Y[0] += b
            else:
                if Y is None:
                    z0, D, S = a, rows, None
                else:
                    z0, D, S = Y[0], Y[1:1 + d], Y[1 + d:]
                Y, (s1, s2) = _act_forward(stage[1], z0, D, S, pairs)
                saved.append(("act", stage[1], z0, D, S, s1, s2))
        if Y is None:  # no nonlinearity: an affine map
            n, F = a.shape
            Y = torch.cat([a.unsqueeze(0), rows.expand(d, n, F), a.new_zeros((len(pairs), n, F))])
        # every tensor goes through save_for_backward, so autograd frees the intermediates
        # after the reverse pass (kept on ctx they would live as long as the graph's output)
        flat: list = [x, *tensors]
        ctx.layout = [tuple(_Slot(flat, v) if isinstance(v, torch.Tensor) else v for v in item) for item in saved]
        ctx.d, ctx.pairs, ctx.n_tensors, ctx.plan = d, tuple(pairs), len(tensors), plan
        ctx.save_for_backward(*flat)
        return Y[0], Y[1:1 + d], Y[1 + d:]

    @staticmethod
    def backward(ctx, g_value, g_first, g_second):
        if torch.is_grad_enabled():  # create_graph=True: the gradient must itself be differentiable
            return _recorded_backward(ctx, g_value, g_first, g_second)
        d, pairs = ctx.d, ctx.pairs
        needs = ctx.needs_input_grad
        parts = [g_value.unsqueeze(0) if g_value is not None else None, g_first, g_second]
        like = next(p for p in parts if p is not None)
        n, F = like.shape[-2], like.shape[-1]
        shapes = [(1, n, F), (d, n, F), (len(pairs), n, F)]
        G = torch.cat([p.expand(s) if p is not None else like.new_zeros(s) for p, s in zip(parts, shapes)])
        grads: list = [None] * ctx.n_tensors
        k = ctx.n_tensors
        g_a = g_rows = None  # gradients of the value and of the constant rows, before the first nonlinearity
        stored = ctx.saved_tensors
        saved = [tuple(stored[v.index] if isinstance(v, _Slot) else v for v in item) for item in ctx.layout]
        for item in reversed(saved):
            kind = item[0]
            if kind == "act":
                _, act, z0, D, S, s1, s2 = item
                res = _act_backward(act, G, z0, D, S, (s1, s2), pairs)
                if isinstance(res, tuple):
                    g_a, g_rows = res
                else:
                    G = res
            elif kind == "linear":
                _, W, A, has_bias = item
                k -= 1 + int(has_bias)
                if needs[3 + k]:
                    grads[k] = G.reshape(-1, G.shape[-1]).T @ A.reshape(-1, A.shape[-1])
                if has_bias and needs[4 + k]:
                    grads[k + 1] = G[0].sum(0)
                G = G * W if W.shape[0] == 1 else G @ W  # an outer product is cheaper as a product
            elif kind == "linear-const":
                _, W, A, rows, has_bias = item
                k -= 1 + int(has_bias)
                if g_a is None:  # no nonlinearity: the output is this layer's
                    g_a, g_rows = G[0], G[1:1 + d].sum(1, keepdim=True)
                if needs[3 + k]:
                    grads[k] = g_a.T @ A + g_rows[:, 0].T @ rows[:, 0]
                if has_bias and needs[4 + k]:
                    grads[k + 1] = g_a.sum(0)
                g_a = g_a @ W
                g_rows = g_rows @ W
            else:  # affine: a = (x - shift) * scale
                k -= 2
                if g_a is None:
                    g_a = G[0]
                g_a = g_a * item[1]
        gx = None
        if needs[0]:
            gx = g_a if g_a is not None else G[0]
        return (gx, None, None, *grads)


def _recorded_backward(ctx, g_value, g_first, g_second):
    """The reverse pass through the recorded eager propagation (from the saved inputs), so
    that derivatives of the result exist (reverse mode on top of a jet: third derivatives,
    gradients of residuals with respect to the input)."""
    x, *tensors = ctx.saved_tensors[:1 + ctx.n_tensors]
    stages, k = [], 0
    for stage in ctx.plan:
        if stage[0] == "affine":
            stages.append(("affine", tensors[k], tensors[k + 1]))
            k += 2
        elif stage[0] == "linear":
            stages.append(("linear", tensors[k], tensors[k + 1] if stage[1] else None))
            k += 1 + int(stage[1])
        else:
            stages.append(stage)
    outputs = propagate_jet(stages, x, ctx.pairs)
    pairs = [(o, g) for o, g in zip(outputs, (g_value, g_first, g_second)) if g is not None]
    inputs = [t for t, need in zip([x, *tensors], [ctx.needs_input_grad[0], *ctx.needs_input_grad[3:]]) if need]
    grads = iter(torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs], create_graph=True,
                                     allow_unused=True))
    gx = next(grads) if ctx.needs_input_grad[0] else None
    return (gx, None, None, *[next(grads) if need else None for need in ctx.needs_input_grad[3:]])


def fused_propagate_jet(stages: list, x: torch.Tensor, pairs: Sequence[tuple[int, int]]):
    """:func:`~pinnkit.models.jet_rules.propagate_jet` with the hand-written reverse pass:
    ``x: (N, d)`` -> ``value (N, out)``, ``first (d, N, out)``, ``second (P, N, out)``."""
    plan, tensors = [], []
    for stage in stages:
        if stage[0] == "affine":
            plan.append(("affine",))
            tensors += [stage[1].to(x.dtype), stage[2].to(x.dtype)]
        elif stage[0] == "linear":
            plan.append(("linear", stage[2] is not None))
            tensors += [stage[1]] + ([stage[2]] if stage[2] is not None else [])
        elif stage[0] == "act":
            if len(stage) > 2:
                raise ValueError(f"the fused engine cannot differentiate the trainable parameters of the "
                                 f"{stage[1]!r} activation; use the eager Taylor propagation")
            plan.append(("act", stage[1]))
        else:
            raise ValueError(f"unknown stage {stage[0]!r}")
    pairs = tuple((min(p), max(p)) for p in pairs)
    return _FusedJet.apply(x, tuple(plan), pairs, *tensors)
