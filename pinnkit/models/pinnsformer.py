"""PINNsFormer: a transformer over a pseudo-sequence of time-shifted copies of each point.

Zhao, Ding & Prakash, "PINNsFormer: A Transformer-Based Framework For Physics-Informed
Neural Networks", ICLR 2024 (arXiv 2307.11833), §3:

- **pseudo-sequence** (§3.1): a point ``(x, t)`` becomes the ``k`` tokens
  ``[(x, t + iΔt)]_{i=0…k−1}`` (paper: ``k ∈ {3, 5, 7, 10}``, ``Δt`` 1e-3 or 1e-4);
- **spatio-temporal mixer**: ``Linear(d_in → d_model)`` on every token, no positional
  encoding, no layer norm;
- **encoder** (``layers`` layers): ``z ← z + MHA(a(z), a(z), a(z))``, ``z ← z + FF(a(z))``,
  then ``a`` after the stack, giving ``e``;
- **decoder** (``layers`` layers, input the same embedding): ``z ← z + MHA(a(z), e, e)``,
  ``z ← z + FF(a(z))``, then ``a`` after the stack;
- **head** ``Linear(d_model, d_hidden)–a–Linear(d_hidden, d_hidden)–a–Linear(d_hidden, d_out)``
  on every token; FF is ``Linear(d_model, d_ff)–a–Linear(d_ff, d_ff)–a–Linear(d_ff, d_model)``;
- ``a`` is the **Wavelet** activation ``w1 sin + w2 cos`` (§3.2,
  :class:`~pinnkit.models.activations.Wavelet`), one learnable pair per place it is used.

The prediction at ``(x, t)`` is the output of the first token, so the model is an ordinary
pinnkit model ``(N, d_in) → (N, d_out)``. With ``sequence_loss=True`` the loss terms follow
the paper (§3.3): the residual and the boundary terms are averaged over the ``k`` tokens —
token ``i`` stands for the point ``(x, t + iΔt)`` — and the initial condition (and any
observations) uses the first token only; see :func:`pinnkit.losses.loss_terms`.

Attention mixes the tokens, which no Taylor rule of :mod:`.jet_rules` describes: the Taylor
engines run this model with reverse mode and say so in ``history.meta["engine"]``.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .networks import ACTIVATIONS, _check_input, register

__all__ = ["PINNsFormer", "SequenceElement", "pinnsformer_parameter_count"]


def _positive_int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"PINNsFormer {name} must be a positive integer; got {v!r}")
    return v


class _Attention(nn.Module):
    """Multi-head scaled dot-product attention ``softmax(QKᵀ/√d_h) V`` (Vaswani et al. 2017),
    written with plain tensor operations so that it differentiates twice in any dtype.
    Parameters as ``nn.MultiheadAttention``: query, key, value and output projections with
    biases, ``4 (d² + d)``."""

    def __init__(self, d_model: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        n, s, d = query.shape
        h, dh = self.heads, d // self.heads

        def split(z):
            return z.reshape(n, -1, h, dh).transpose(1, 2)  # (N, heads, tokens, d_h)

        q, k, v = split(self.q(query)), split(self.k(memory)), split(self.v(memory))
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
        return self.o((w @ v).transpose(1, 2).reshape(n, s, d))


class _FeedForward(nn.Sequential):
    def __init__(self, d_model: int, d_ff: int, act):
        super().__init__(nn.Linear(d_model, d_ff), act(), nn.Linear(d_ff, d_ff), act(), nn.Linear(d_ff, d_model))


class _Layer(nn.Module):
    """``z ← z + MHA(a(z), m, m)``, ``z ← z + FF(a(z))`` with ``m = a(z)`` (encoder,
    self-attention) or ``m = e`` (decoder, attention to the encoder's output)."""

    def __init__(self, d_model: int, d_ff: int, heads: int, act):
        super().__init__()
        self.act1, self.act2 = act(), act()
        self.attention = _Attention(d_model, heads)
        self.ff = _FeedForward(d_model, d_ff, act)

    def forward(self, z: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        a = self.act1(z)
        z = z + self.attention(a, a if memory is None else memory)
        return z + self.ff(self.act2(z))


@register("pinnsformer")
class PINNsFormer(nn.Module):
    """PINNsFormer (Zhao, Ding & Prakash, ICLR 2024; see the module docstring).

    ``width`` is ``d_model`` (paper: 32), ``depth`` the number of encoder layers and of
    decoder layers (paper: 1 + 1), ``activation`` the activation ``a`` everywhere (paper:
    ``"wavelet"``). Options: ``k`` tokens (5), spacing ``dt`` (1e-4) along the last input
    coordinate (time, in pinnkit's convention) in the problem's own units, ``heads`` (2),
    ``d_ff`` (256), ``d_hidden`` (512), ``sequence_loss`` (False). With ``low``/``high`` the
    tokens are scaled from the domain box to [-1, 1] after the shift (the authors feed raw
    coordinates: ``scale_inputs=False``). Linear weights Xavier-uniform, biases 0.01, as in
    the authors' runs. At the paper's size (2 inputs, 1 output) it has 453 561 parameters
    (:func:`pinnsformer_parameter_count`).

    ``sequence(x)`` returns all tokens' outputs ``(N, k, d_out)``; ``element(i)`` the
    prediction of token ``i`` as a model of the point it stands for (:class:`SequenceElement`).
    """

    taylor_unsupported = "attention mixes the tokens of its pseudo-sequence, which no Taylor rule describes"

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 32, depth: int = 1, activation: str = "wavelet",
                 seed: int = 0, low: Sequence[float] | None = None, high: Sequence[float] | None = None,
                 embedding: nn.Module | None = None, *, k: int = 5, dt: float = 1e-4, heads: int = 2,
                 d_ff: int = 256, d_hidden: int = 512, sequence_loss: bool = False):
        super().__init__()
        for name, v in (("in_dim", in_dim), ("out_dim", out_dim), ("width (d_model)", width),
                        ("depth (layers)", depth), ("k", k), ("heads", heads), ("d_ff", d_ff),
                        ("d_hidden", d_hidden)):
            _positive_int(name, v)
        if width % heads:
            raise ValueError(f"PINNsFormer: heads ({heads}) must divide width = d_model ({width})")
        if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not math.isfinite(dt) or not dt > 0:
            raise ValueError(f"PINNsFormer dt must be a positive number; got {dt!r}")
        if not isinstance(sequence_loss, bool):
            raise ValueError(f"PINNsFormer sequence_loss must be True or False; got {sequence_loss!r}")
        if embedding is not None:
            raise ValueError("PINNsFormer takes no input embedding (its tokens are the shifted points themselves)")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        if (low is None) != (high is None):
            raise ValueError("give both low and high to scale inputs, or neither")
        self.in_dim, self.out_dim, self.activation = in_dim, out_dim, activation
        self.k, self.dt, self.heads, self.sequence_loss = k, float(dt), heads, sequence_loss
        self.d_model, self.d_ff, self.d_hidden, self.layers = width, d_ff, d_hidden, depth
        if low is not None:
            lo, hi = torch.tensor(low, dtype=torch.float64), torch.tensor(high, dtype=torch.float64)
            if lo.shape != (in_dim,) or hi.shape != (in_dim,) or not torch.all(hi > lo):
                raise ValueError(f"low/high must be {in_dim} numbers with high > low")
            self.register_buffer("shift", ((hi + lo) / 2).float())
            self.register_buffer("scale", (2 / (hi - lo)).float())
        else:
            self.shift = self.scale = None
        self.register_buffer("offsets", torch.arange(k, dtype=torch.float32) * self.dt)  # t-shift of each token
        act = ACTIVATIONS[activation]
        with torch.random.fork_rng(devices=[]):  # nn.Linear's default init draws from the global generator
            self.embed = nn.Linear(in_dim, width)
            self.encoder = nn.ModuleList([_Layer(width, d_ff, heads, act) for _ in range(depth)])
            self.encoder_act = act()
            self.decoder = nn.ModuleList([_Layer(width, d_ff, heads, act) for _ in range(depth)])
            self.decoder_act = act()
            self.head = nn.Sequential(nn.Linear(width, d_hidden), act(), nn.Linear(d_hidden, d_hidden), act(),
                                      nn.Linear(d_hidden, out_dim))
        g = torch.Generator().manual_seed(seed)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, generator=g)
                nn.init.constant_(m.bias, 0.01)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """The pseudo-sequence ``(N, k, d_in)``: ``x`` with ``iΔt`` added to its last coordinate."""
        _check_input(x, self.in_dim, "PINNsFormer")
        seq = x.unsqueeze(1).repeat(1, self.k, 1)
        shift = torch.zeros(self.k, self.in_dim, dtype=x.dtype, device=x.device)
        shift[:, -1] = self.offsets.to(x.dtype)
        return seq + shift

    def sequence(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs of all tokens, ``(N, k, d_out)``; token ``i`` predicts ``u(x, t + iΔt)``."""
        z = self.tokens(x)
        if self.shift is not None:
            z = (z - self.shift.to(z.dtype)) * self.scale.to(z.dtype)
        src = self.embed(z)
        e = src
        for layer in self.encoder:
            e = layer(e)
        e = self.encoder_act(e)
        d = src
        for layer in self.decoder:
            d = layer(d, e)
        return self.head(self.decoder_act(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sequence(x)[:, 0]

    def taylor_stages(self) -> None:
        """None: attention is not a chain of the stages the Taylor engines propagate."""
        return None

    def element(self, i: int) -> "SequenceElement":
        """Token ``i``'s prediction as a model of the point it stands for (:class:`SequenceElement`)."""
        return SequenceElement(self, i)

    def extra_repr(self):
        return (f"k={self.k}, dt={self.dt:g}, d_model={self.d_model}, heads={self.heads}, d_ff={self.d_ff}, "
                f"d_hidden={self.d_hidden}, layers={self.layers}+{self.layers}, sequence_loss={self.sequence_loss}")


class SequenceElement(nn.Module):
    """``v_i(y) = sequence(y − iΔt e_t)[:, i]``: the output of token ``i`` read as a function of
    the point ``y = (x, t + iΔt)`` that token stands for. Its derivatives in ``y`` are those of
    token ``i``'s output in ``(x, t)``, so a residual evaluated with ``v_i`` at the shifted
    points is the paper's residual of token ``i``; ``v_0`` is the model itself."""

    def __init__(self, model: PINNsFormer, i: int):
        super().__init__()
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < model.k:
            raise ValueError(f"PINNsFormer has tokens 0 … {model.k - 1}; got {i!r}")
        self.model, self.i = model, i
        self.in_dim, self.out_dim = model.in_dim, model.out_dim

    def offset(self, x: torch.Tensor) -> torch.Tensor:
        """The points token ``i`` stands for: ``x`` with ``iΔt`` added to its last coordinate."""
        if self.i == 0:
            return x
        shift = torch.zeros(1, x.shape[1], dtype=x.dtype, device=x.device)
        shift[0, -1] = self.i * self.model.dt
        return x + shift

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if self.i == 0:
            return self.model(y)
        shift = torch.zeros(1, y.shape[1], dtype=y.dtype, device=y.device)
        shift[0, -1] = self.i * self.model.dt
        return self.model.sequence(y - shift)[:, self.i]


def pinnsformer_parameter_count(in_dim: int = 2, out_dim: int = 1, d_model: int = 32, layers: int = 1,
                                d_ff: int = 256, d_hidden: int = 512, activation_parameters: int = 2) -> int:
    """Parameters of :class:`PINNsFormer`, counted from its layers: embedding
    ``(d_in + 1) d_model``; per encoder or decoder layer attention ``4 (d_model² + d_model)``,
    FF ``(d_model + 1) d_ff + (d_ff + 1) d_ff + (d_ff + 1) d_model`` and four activations (two
    around the sublayers, two inside FF); one activation after each stack; head
    ``(d_model + 1) d_hidden + (d_hidden + 1) d_hidden + (d_hidden + 1) d_out`` and two
    activations. The number of heads does not change the count."""
    attention = 4 * (d_model * d_model + d_model)
    ff = (d_model + 1) * d_ff + (d_ff + 1) * d_ff + (d_ff + 1) * d_model
    layer = attention + ff + 4 * activation_parameters
    head = (d_model + 1) * d_hidden + (d_hidden + 1) * d_hidden + (d_hidden + 1) * out_dim + 2 * activation_parameters
    return (in_dim + 1) * d_model + 2 * layers * layer + 2 * activation_parameters + head
