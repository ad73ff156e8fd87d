"""Networks. Every model maps ``x: (N, d_in)`` to ``(N, d_out)``.

- :class:`MLP` — fully connected, tanh / sin / GELU / Wavelet / Cauchy, Xavier (Glorot) initialisation,
  optional input scaling of a domain box to [-1, 1].
- :class:`FourierFeatures` — random Fourier embedding γ(x) = [cos 2πBx, sin 2πBx],
  B ~ N(0, σ²) (Tancik et al., NeurIPS 2020; Wang, Wang & Perdikaris, CMAME 384, 2021).
- :class:`ModifiedMLP` — the gated "modified MLP" (M3) of Wang, Teng & Perdikaris
  (SISC 43, 2021; arXiv 2001.04536, Eqs. 43-47).
- :class:`HardConstraint` — wraps a model with the problem's output transform so that
  the named conditions hold exactly (Lagaris et al., IEEE TNN 9, 1998).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .activations import Cauchy, Wavelet
from .jet_rules import sequential_stages

from ..problems.problem import Problem

__all__ = ["MLP", "ModifiedMLP", "FourierFeatures", "PeriodicEmbedding", "HardConstraint", "Sine", "ACTIVATIONS",
           "MODELS", "register", "build_model"]


class Sine(nn.Module):
    """``sin(x)``, elementwise."""

    jet_kind = "sin"  # its Taylor rule (pinnkit.models.jet_rules)

    def forward(self, x):
        return torch.sin(x)


#: activation name -> module class (``MLP(activation=...)``, ``RunConfig.activation``);
#: ``wavelet`` and ``cauchy`` have trainable parameters (:mod:`.activations`), one set per layer
ACTIVATIONS = {"tanh": nn.Tanh, "sin": Sine, "gelu": nn.GELU, "wavelet": Wavelet, "cauchy": Cauchy}


def _check_input(x: torch.Tensor, d: int, who: str) -> None:
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"{who} expects input of shape (N, {d}); got {tuple(x.shape)}")


class FourierFeatures(nn.Module):
    """``(N, d) -> (N, 2m)``: ``[cos(2π x Bᵀ), sin(2π x Bᵀ)]`` with fixed ``B: (m, d) ~ N(0, σ²)``."""

    def __init__(self, in_dim: int, num_features: int = 64, sigma: float = 1.0, seed: int = 0):
        super().__init__()
        if num_features < 1 or not sigma > 0:
            raise ValueError(f"num_features must be >= 1 and sigma > 0; got {num_features}, {sigma}")
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("B", torch.randn(num_features, in_dim, generator=g) * sigma)
        self.in_dim, self.out_dim = in_dim, 2 * num_features

    def forward(self, x):
        _check_input(x, self.in_dim, "FourierFeatures")
        z = 2 * math.pi * x @ self.B.T
        return torch.cat([torch.cos(z), torch.sin(z)], dim=1)

    def taylor_stages(self) -> list:
        """``[cos 2πBx, sin 2πBx] = sin([2πBx + π/2, 2πBx])``: one linear stage and a sine."""
        B = 2 * math.pi * self.B
        bias = torch.cat([torch.full((B.shape[0],), math.pi / 2, dtype=B.dtype), torch.zeros(B.shape[0], dtype=B.dtype)])
        return [("linear", torch.cat([B, B]), bias), ("act", "sin")]


class MLP(nn.Module):
    """Fully connected network ``in_dim -> width × depth -> out_dim``.

    ``low``/``high`` (the domain box) scale inputs affinely to [-1, 1] before the first
    layer; ``embedding`` (e.g. :class:`FourierFeatures`) is applied after that scaling.
    Weights are Xavier-uniform, biases zero, drawn from a generator seeded by ``seed``.
    """

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 50, depth: int = 4,
                 activation: str = "tanh", seed: int = 0, low: Sequence[float] | None = None,
                 high: Sequence[float] | None = None, embedding: nn.Module | None = None):
        super().__init__()
        for k, v in (("in_dim", in_dim), ("out_dim", out_dim), ("width", width), ("depth", depth)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"MLP {k} must be a positive integer; got {v!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        self.in_dim, self.out_dim, self.activation = in_dim, out_dim, activation
        if (low is None) != (high is None):
            raise ValueError("give both low and high to scale inputs, or neither")
        if low is not None:
            lo, hi = torch.tensor(low, dtype=torch.float64), torch.tensor(high, dtype=torch.float64)
            if lo.shape != (in_dim,) or hi.shape != (in_dim,) or not torch.all(hi > lo):
                raise ValueError(f"low/high must be {in_dim} numbers with high > low")
            self.register_buffer("shift", ((hi + lo) / 2).float())
            self.register_buffer("scale", (2 / (hi - lo)).float())
        else:
            self.shift = self.scale = None
        self.embedding = embedding
        first = embedding.out_dim if embedding is not None else in_dim
        sizes = [first] + [width] * depth + [out_dim]
        layers: list[nn.Module] = []
        with torch.random.fork_rng(devices=[]):  # nn.Linear's default init draws from the global generator
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                layers.append(nn.Linear(a, b))
                if i < len(sizes) - 2:
                    layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        g = torch.Generator().manual_seed(seed)
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, generator=g)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        _check_input(x, self.in_dim, "MLP")
        if self.shift is not None:
            x = (x - self.shift) * self.scale
        if self.embedding is not None:
            x = self.embedding(x)
        return self.net(x)

    def taylor_stages(self) -> list | None:
        """This network as Taylor stages (:mod:`pinnkit.models.jet_rules`), mirroring
        :meth:`forward`: input scaling, the embedding's own stages, then the layers;
        ``None`` when the embedding describes none."""
        stages: list = []
        if self.shift is not None:
            stages.append(("affine", self.shift, self.scale))
        if self.embedding is not None:
            describe = getattr(self.embedding, "taylor_stages", None)
            own = describe() if callable(describe) else None
            if own is None:
                return None
            stages += own
        rest = sequential_stages(self.net)
        return None if rest is None else stages + rest


class ModifiedMLP(nn.Module):
    """The modified MLP (Wang, Teng & Perdikaris, SISC 43, 2021; arXiv 2001.04536,
    Eqs. 43-47): two encoders of the input gate every hidden layer,

        U = φ(X W¹ + b¹),  V = φ(X W² + b²),  H¹ = φ(X W^{z,1} + b^{z,1}),
        Z^k = φ(H^k W^{z,k+1} + b^{z,k+1}),  H^{k+1} = (1 − Z^k) ⊙ U + Z^k ⊙ V,
        f = H^{depth} W + b,      k = 1 … depth − 1.

    ``depth`` counts hidden layers as in :class:`MLP` (``depth = 3`` matches the
    authors' ``[2, 50, 50, 50, 1]``: H¹ and two gated layers). Same options as
    :class:`MLP` (input scaling to [-1, 1], embedding, Xavier init seeded by ``seed``).
    """

    def __init__(self, in_dim: int, out_dim: int = 1, width: int = 50, depth: int = 4,
                 activation: str = "tanh", seed: int = 0, low: Sequence[float] | None = None,
                 high: Sequence[float] | None = None, embedding: nn.Module | None = None):
        super().__init__()
        self.base = MLP(in_dim, out_dim, width, depth, activation, seed, low, high, embedding)
        self.in_dim, self.out_dim, self.activation = in_dim, out_dim, activation
        first = embedding.out_dim if embedding is not None else in_dim
        self.encode_u = nn.Linear(first, width)
        self.encode_v = nn.Linear(first, width)
        self.act = ACTIVATIONS[activation]()
        g = torch.Generator().manual_seed(seed + 7919)  # encoders drawn after the trunk's weights
        for m in (self.encode_u, self.encode_v):
            nn.init.xavier_uniform_(m.weight, generator=g)
            nn.init.zeros_(m.bias)
        self.linears = [m for m in self.base.net if isinstance(m, nn.Linear)]

    def forward(self, x):
        _check_input(x, self.in_dim, "ModifiedMLP")
        b = self.base
        if b.shift is not None:
            x = (x - b.shift) * b.scale
        if b.embedding is not None:
            x = b.embedding(x)
        u, v = self.act(self.encode_u(x)), self.act(self.encode_v(x))
        h = self.act(self.linears[0](x))
        for layer in self.linears[1:-1]:
            z = self.act(layer(h))
            h = (1 - z) * u + z * v
        return self.linears[-1](h)


class HardConstraint(nn.Module):
    """``u(x) = problem.hard(x, model(x), params)``: the conditions in
    ``problem.hard_satisfies`` hold exactly and are dropped from the loss."""

    def __init__(self, model: nn.Module, problem: Problem):
        super().__init__()
        if problem.hard is None:
            raise ValueError(f"{problem.name} defines no hard-constraint transform")
        if getattr(model, "sequence_loss", False):
            raise ValueError("hard constraints transform one prediction; a model trained with sequence_loss=True "
                             "needs the loss over its whole sequence (use one or the other)")
        self.model = model
        self.transform = problem.hard
        # the transform's conditions, and those the network satisfies by construction (a periodic embedding)
        self.satisfies = tuple(dict.fromkeys([*problem.hard_satisfies, *getattr(model, "satisfies", ())]))
        self.params = problem.values
        self.in_dim, self.out_dim = getattr(model, "in_dim", None), getattr(model, "out_dim", None)

    def forward(self, x):
        return self.transform(x, self.model(x), self.params)


class PeriodicEmbedding(nn.Module):
    """``(N, d) -> (N, 2 Σ_c M_c + d − C)``: each coordinate ``c`` named in ``modes`` becomes
    ``[cos(2πk x_c / L_c), sin(2πk x_c / L_c)]`` for ``k = 1 … M_c`` (``L_c`` its period), the
    other coordinates pass through. A network on top is exactly ``L_c``-periodic in ``x_c``,
    with every derivative (the exact periodic embedding of Dong & Ni, JCP 435, 2021, used for
    Allen–Cahn by Wang, Sankaran & Perdikaris, arXiv 2203.07404, §2)."""

    def __init__(self, in_dim: int, modes: dict[int, int], periods: dict[int, float]):
        super().__init__()
        if not modes:
            raise ValueError("PeriodicEmbedding needs at least one periodic coordinate")
        for c, m in modes.items():
            if not 0 <= c < in_dim:
                raise ValueError(f"periodic coordinate index {c} out of range for {in_dim} inputs")
            if isinstance(m, bool) or not isinstance(m, int) or m < 1:
                raise ValueError(f"modes must be positive integers; got {m!r} for coordinate {c}")
            if not periods.get(c, 0) > 0:
                raise ValueError(f"coordinate {c} needs a positive period; got {periods.get(c)!r}")
        self.in_dim, self.columns = in_dim, sorted(modes)
        self.rest = [i for i in range(in_dim) if i not in modes]
        for c in self.columns:
            self.register_buffer(f"k{c}", 2 * math.pi * torch.arange(1, modes[c] + 1, dtype=torch.float32) / periods[c])
        self.out_dim = 2 * sum(modes.values()) + len(self.rest)

    def forward(self, x):
        _check_input(x, self.in_dim, "PeriodicEmbedding")
        parts = []
        for c in self.columns:
            z = x[:, c : c + 1] * getattr(self, f"k{c}").to(x.dtype)
            parts += [torch.cos(z), torch.sin(z)]
        if self.rest:
            parts.append(x[:, self.rest])
        return torch.cat(parts, dim=1)


def _periodic_conditions(problem: Problem, names) -> tuple[str, ...]:
    """Names of the problem's periodic conditions along the coordinates ``names``."""
    from ..problems.conditions import Periodic

    return tuple(n for n, c in problem.conditions.items() if isinstance(c, Periodic) and c.name in names)


#: architecture name -> network class taking ``(in_dim, out_dim, width, depth, activation,
#: seed, low=, high=, embedding=, **options)``; :func:`build_model` sizes them for a problem.
#: A module of :mod:`pinnkit.models` adds its own with :func:`register` (every module of the
#: package is imported with it, so a new architecture is one new file).
MODELS: dict[str, type[nn.Module]] = {"mlp": MLP, "modified_mlp": ModifiedMLP}


def register(name: str):
    """Class decorator: make an architecture available as ``build_model(...,
    architecture=name)`` and ``RunConfig(model=name)``."""
    def add(cls):
        if name in MODELS and MODELS[name] is not cls:
            raise ValueError(f"architecture {name!r} is registered twice ({MODELS[name].__name__}, {cls.__name__})")
        MODELS[name] = cls
        return cls
    return add


def build_model(problem: Problem, width: int = 50, depth: int = 4, activation: str = "tanh",
                seed: int = 0, hard: bool = False, fourier_features: int = 0,
                fourier_sigma: float = 1.0, scale_inputs: bool = True, architecture: str = "mlp",
                periodic: dict[str, int] | None = None, **options) -> nn.Module:
    """A network sized for ``problem``: ``architecture`` from :data:`MODELS` (``"mlp"``,
    ``"modified_mlp"``), inputs scaled from the domain box to [-1, 1] unless
    ``scale_inputs=False``, optionally a random Fourier embedding (``fourier_features``
    features of scale ``fourier_sigma``) or an exact periodic one (``periodic={"x": 10}``:
    10 modes of x; the problem's periodic conditions in x then hold exactly and get no loss
    term), and wrapped in the problem's hard-constraint transform (``hard=True``).
    ``options`` go to the architecture's class (e.g. a KAN's grid size)."""
    if architecture not in MODELS:
        raise ValueError(f"unknown architecture {architecture!r}; choose one of {sorted(MODELS)}")
    d = problem.domain.dim
    if periodic and fourier_features:
        raise ValueError("choose a Fourier embedding or a periodic one, not both")
    emb = FourierFeatures(d, fourier_features, fourier_sigma, seed) if fourier_features else None
    satisfied: tuple[str, ...] = ()
    if periodic:
        names = problem.domain.names
        bad = set(periodic) - set(names)
        if bad:
            raise ValueError(f"periodic names coordinates {sorted(bad)}; {problem.name} has {list(names)}")
        cols = {names.index(n): int(m) for n, m in periodic.items()}
        lengths = problem.domain.lengths
        emb = PeriodicEmbedding(d, cols, {c: (2.0 if scale_inputs else float(lengths[c])) for c in cols})
        satisfied = _periodic_conditions(problem, set(periodic))
    box = dict(low=problem.domain.low, high=problem.domain.high) if scale_inputs else {}
    try:
        net = MODELS[architecture](d, problem.output_dim, width, depth, activation, seed, embedding=emb, **box,
                                   **options)
    except TypeError as e:
        if options:
            raise ValueError(f"architecture {architecture!r} does not take the options {sorted(options)}: {e}") from None
        raise
    if satisfied:
        net.satisfies = satisfied
    return HardConstraint(net, problem) if hard else net
