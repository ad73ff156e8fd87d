"""Multi-stage neural networks (Wang & Lai, "Multi-stage neural networks: function
approximator of machine precision", J. Comput. Phys. 504, 112865, 2024; arXiv 2307.08934).

A single network stalls at a relative error of about 1e-5 however long it trains. The
multi-stage scheme adds networks one after another, each fitted to what the sum so far
still misses (the *residue*), scaled to order one:

    u(x) ≈ u_c⁽ⁿ⁾(x) = Σ_{k=0}^{n} ε_k u_k(x),     u_k ≈ e_{k−1} / ε_k,   ε_k = rms(e_{k−1}),

with ``e_{k−1} = u − u_c⁽ᵏ⁻¹⁾`` (for a PINN: the solution of the residual equation of the
current sum). The residue of a well-trained stage is small *and* of high frequency, which a
tanh network fits slowly (spectral bias), so every later stage puts a sine first layer
``sin(κ_k (W x + b))`` in front of its tanh layers, with ``κ_k`` set from the residue's
dominant frequency (:func:`kappa_rule`). The training of the stages lives in
:class:`pinnkit.training.multistage.MultiStageStrategy`; this module holds the model and
the frequency rule.

- :class:`SineFirstLayer` — ``(N, d) -> (N, width)``, ``sin(κ (x Wᵀ + b))``;
- :class:`MultiStage` — the sum ``Σ ε_k u_k``, registered as ``"multistage"``; earlier
  stages are frozen when a stage is added;
- :func:`sign_changes`, :func:`dominant_frequency`, :func:`kappa_rule` — the frequency rule.
"""
from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .networks import MLP, _check_input, register

__all__ = ["SineFirstLayer", "MultiStage", "stage_network", "sign_changes", "dominant_frequency", "kappa_rule",
           "KAPPA_RULES"]


class SineFirstLayer(nn.Module):
    """``x: (N, d) -> sin(κ (x Wᵀ + b)): (N, width)``, the first layer of a later stage
    (Wang & Lai 2024, §3: a sine activation with the scale factor κ in front of the first
    layer lets the stage start at the residue's frequency). ``W`` is Xavier-uniform; ``b``
    is drawn from U(−1, 1) so that the phases ``κ b`` cover a period (with ``b = 0`` every
    feature would be odd in ``x``); ``κ`` is a fixed buffer."""

    def __init__(self, in_dim: int, width: int, kappa: float, seed: int = 0):
        super().__init__()
        if not (isinstance(kappa, (int, float)) and math.isfinite(kappa) and kappa > 0):
            raise ValueError(f"SineFirstLayer: kappa must be a finite number > 0; got {kappa!r}")
        self.in_dim, self.out_dim = in_dim, width
        self.linear = nn.Linear(in_dim, width)
        g = torch.Generator().manual_seed(seed + 104729)
        nn.init.xavier_uniform_(self.linear.weight, generator=g)
        with torch.no_grad():
            self.linear.bias.uniform_(-1.0, 1.0, generator=g)
        self.register_buffer("kappa", torch.tensor(float(kappa)))

    def forward(self, x):
        _check_input(x, self.in_dim, "SineFirstLayer")
        return torch.sin(self.kappa * self.linear(x))

    def taylor_stages(self) -> list:
        """``sin(κW x + κb)``: one linear stage with scaled weights, then a sine."""
        return [("linear", self.kappa * self.linear.weight, self.kappa * self.linear.bias), ("act", "sin")]

    def extra_repr(self):
        return f"kappa={float(self.kappa):g}"


def stage_network(in_dim: int, out_dim: int, width: int, depth: int, seed: int, kappa: float | None = None,
                  activation: str = "tanh", low=None, high=None) -> MLP:
    """One stage: an :class:`MLP` of ``depth`` hidden layers; with ``kappa`` the first hidden
    layer is :class:`SineFirstLayer` and the other ``depth − 1`` use ``activation`` (the
    authors' ``[1, 30, 30, 30, 30, 1]`` with a sine first layer is ``depth=4``)."""
    if kappa is None:
        return MLP(in_dim, out_dim, width, depth, activation, seed, low, high)
    if depth < 2:
        raise ValueError(f"a stage with a sine first layer needs depth >= 2; got {depth}")
    return MLP(in_dim, out_dim, width, depth - 1, activation, seed, low, high,
               embedding=SineFirstLayer(in_dim, width, kappa, seed))


@register("multistage")
class MultiStage(nn.Module):
    """``u(x) = Σ_k ε_k u_k(x)`` (Wang & Lai 2024, Eq. 2.3): stage networks ``u_k`` of equal
    size and fixed scales ``ε_k`` (buffer ``scales``; the first is 1).

    Built by :func:`pinnkit.models.build_model` (``RunConfig(model="multistage")``) with one
    stage, a plain MLP of ``width``/``depth``/``activation`` (``kappa`` makes the first
    stage a sine-first-layer one too). :meth:`add_stage` appends a stage and freezes all
    earlier ones, so the next training fits only the new stage. ``x: (N, d) -> (N, out)``.
    A sum of networks describes no Taylor stages: the Taylor engines run it with reverse
    mode and say so in ``history.meta["engine"]``."""

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 30, depth: int = 4, activation: str = "tanh",
                 seed: int = 0, low: Sequence[float] | None = None, high: Sequence[float] | None = None,
                 embedding: nn.Module | None = None, kappa: float | None = None):
        super().__init__()
        if embedding is not None:
            raise ValueError("multistage networks take no input embedding (later stages bring their own sine layer)")
        self.in_dim, self.out_dim, self.width, self.depth = in_dim, out_dim, width, depth
        self.activation, self.seed = activation, seed
        self.low = None if low is None else tuple(float(v) for v in low)
        self.high = None if high is None else tuple(float(v) for v in high)
        self.stages = nn.ModuleList([self._make(kappa, seed)])
        self.register_buffer("scales", torch.ones(1))

    def _make(self, kappa, seed) -> MLP:
        return stage_network(self.in_dim, self.out_dim, self.width, self.depth, seed, kappa, self.activation,
                             self.low, self.high)

    @property
    def num_stages(self) -> int:
        return len(self.stages)

    @property
    def kappas(self) -> list[float | None]:
        """κ of each stage (``None`` for a stage without a sine first layer)."""
        return [None if s.embedding is None else float(s.embedding.kappa) for s in self.stages]

    def add_stage(self, scale: float, kappa: float | None, seed: int | None = None) -> MLP:
        """Append a stage ``scale · u_new(x)`` (``kappa``: its sine layer's scale factor,
        ``None`` for a plain stage); freeze every earlier stage. Returns the new network,
        in the dtype of the existing ones."""
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
            raise ValueError(f"a stage's scale must be a finite number > 0; got {scale!r}")
        ref = self.scales
        for p in self.parameters():
            p.requires_grad_(False)
        net = self._make(kappa, self.seed + 7919 * len(self.stages) if seed is None else seed)
        net.to(dtype=ref.dtype, device=ref.device)
        self.stages.append(net)
        self.scales = torch.cat([ref, torch.tensor([float(scale)], dtype=ref.dtype, device=ref.device)])
        return net

    def stage_outputs(self, x) -> list[torch.Tensor]:
        """``[ε_k u_k(x)]`` for every stage (each ``(N, out)``)."""
        _check_input(x, self.in_dim, "MultiStage")
        return [self.scales[k] * s(x) for k, s in enumerate(self.stages)]

    def forward(self, x):
        outs = self.stage_outputs(x)
        u = outs[0]
        for o in outs[1:]:
            u = u + o
        return u

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # a saved multi-stage model has more stages than a freshly built one: grow to match
        # (κ of each stage is stored in its sine layer's buffer) before the tensors are loaded
        pattern = re.compile(re.escape(prefix) + r"stages\.(\d+)\.")
        count = 1 + max((int(m.group(1)) for k in state_dict if (m := pattern.match(k))), default=0)
        for k in range(len(self.stages), count):
            key = f"{prefix}stages.{k}.embedding.kappa"
            kappa = float(state_dict[key]) if key in state_dict else None
            self.add_stage(1.0, kappa)
        if prefix + "scales" in state_dict:
            self.scales = torch.empty_like(state_dict[prefix + "scales"], dtype=self.scales.dtype)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


# ------------------------------------------------------------------ the frequency rule

def _check_profile(x, r) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, float).reshape(-1)
    r = np.asarray(r, float).reshape(-1)
    if x.shape != r.shape or x.size < 4:
        raise ValueError(f"a residue profile needs matching x and r with at least 4 points; got {x.size}, {r.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(r))):
        raise ValueError("the residue profile holds NaN or infinite values")
    order = np.argsort(x)
    return x[order], r[order]


def sign_changes(r) -> int:
    """Number of sign changes of the sequence ``r`` (exact zeros skipped)."""
    s = np.sign(np.asarray(r, float).reshape(-1))
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1]))


def dominant_frequency(x, r, method: str = "fft") -> float:
    """Dominant frequency of the residue ``r(x)`` in cycles per unit of ``x`` (1D profiles).

    - ``"fft"``: the profile interpolated onto a uniform grid, its mean removed, and the
      largest nonzero mode of its discrete Fourier transform (the "dominant frequency" of
      Wang & Lai 2024, §3);
    - ``"zeros"``: ``N / (2 L)`` from the ``N`` sign changes over the length ``L`` (exact for
      a sinusoid, whose period holds two zeros)."""
    x, r = _check_profile(x, r)
    length = x[-1] - x[0]
    if not length > 0:
        raise ValueError("the residue profile's points all coincide")
    if method == "zeros":
        return sign_changes(r) / (2 * length)
    if method != "fft":
        raise ValueError(f"unknown frequency method {method!r}; choose 'fft' or 'zeros'")
    n = x.size
    grid = np.linspace(x[0], x[-1], n)
    v = np.interp(grid, x, r)
    v = (v - v.mean()) * np.hanning(n)  # the window keeps the jump between the ends out of the spectrum
    c = np.abs(np.fft.rfft(v))
    k = 1 + int(np.argmax(c[1:]))
    return k / (length * n / (n - 1))


def _kappa_sign_changes(x, r, factor):
    return factor * max(1, sign_changes(_check_profile(x, r)[1]))


def _kappa_fft(x, r, factor):
    return factor * 2 * math.pi * dominant_frequency(x, r, "fft")


#: rule name -> ``(x, r, factor) -> κ``; ``x`` in the stage's input coordinates (the
#: domain scaled to [-1, 1])
KAPPA_RULES = {"sign_changes": _kappa_sign_changes, "fft": _kappa_fft}


def kappa_rule(x, r, rule: str = "sign_changes", factor: float | None = None) -> float:
    """Scale factor κ of the next stage's sine layer from the residue ``r`` at points ``x``
    (1D, in the network's input coordinates, i.e. the domain scaled to [-1, 1]).

    - ``"sign_changes"`` (default ``factor`` 3): ``κ = 3 · N`` with ``N`` the number of sign
      changes of the residue, the rule of the authors' regression script (on their interval
      of length ≈ 2, a residue with ``N`` zeros has frequency ``f ≈ N/4`` and ``2πf ≈ 1.6 N``,
      so the rule starts the sine layer at about twice the residue's frequency);
    - ``"fft"`` (default ``factor`` 1): ``κ = 2π f_d`` with ``f_d`` the dominant frequency of
      :func:`dominant_frequency` (the paper's statement of the rule)."""
    if rule not in KAPPA_RULES:
        raise ValueError(f"unknown kappa rule {rule!r}; choose one of {sorted(KAPPA_RULES)}")
    f = (3.0 if rule == "sign_changes" else 1.0) if factor is None else factor
    if not (isinstance(f, (int, float)) and math.isfinite(f) and f > 0):
        raise ValueError(f"kappa factor must be a finite number > 0; got {factor!r}")
    return float(KAPPA_RULES[rule](x, r, f))
