"""Derivative engines: how ``D(u, "xx")`` is computed for a network's output.

A PINN residual needs derivatives of the network output ``u(x)`` with respect to its
inputs, and then the gradient of a loss built from them with respect to the weights.
Two ways of getting the input derivatives are implemented:

- ``"autograd"`` — reverse mode. ``∇u`` comes from one ``autograd.grad(u, x,
  create_graph=True)``; a second-order ``u_xx`` from one more ``grad`` of the column
  ``u_x``. The training gradient then runs backward through this double-backward graph.
  Works for every model and every expression (:class:`~pinnkit.problems.Derivatives`).

- ``"taylor"`` — forward propagation of a second-order jet through the layers of a
  supported network (an MLP of ``Linear`` layers with tanh / sin / exact-GELU activations,
  optional affine input scaling and Fourier features). With ``a`` a layer input and its
  derivatives ``a_i = ∂a/∂x_i``, ``a_ij = ∂²a/∂x_i∂x_j``:

      linear  z = W a + b,  z_i = W a_i,  z_ij = W a_ij
      σ(z)    y = σ(z),     y_i = σ'(z) z_i,  y_ij = σ'(z) z_ij + σ''(z) z_i z_j

  starting from ``x_i = e_i``, ``x_ij = 0`` (forward propagation of Taylor coefficients:
  Griewank & Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, ch. 13; "Taylor
  mode" in Bettencourt, Johnson & Duvenaud, NeurIPS 2019 workshop on program
  transformations). Every first derivative and the second derivatives actually asked for are
  computed in the forward pass with ordinary differentiable torch ops, so the training
  gradient is a single reverse pass through a short graph. The jets are attached to the
  output tensor; :class:`~pinnkit.problems.Derivatives` and
  :func:`~pinnkit.problems.gradient` read them, and fall back to reverse mode for
  anything not in the jet (third derivatives, derivatives of expressions of ``u``,
  sliced outputs), which stays correct because the jets are differentiable in ``x``.
  A second-order pair asked for but missing is recorded and propagated from the next
  call on (so the first step uses reverse mode for it).

- ``"taylor-compiled"`` — the same propagation under ``torch.compile`` (fused CPU
  kernels). Costs tens of seconds of compilation on the first step and recompiles when
  shapes change; torch falls back to eager after ``torch._dynamo.config.cache_size_limit``
  recompiles of one function in a process.

- ``"taylor-fused"`` — the same propagation as one :class:`torch.autograd.Function` with a
  hand-written reverse pass (:mod:`pinnkit.problems.fused_jet`): the value and its
  derivative channels are stacked so that each linear layer is one matrix product forward
  and two backward, and the network is a single node of the autograd graph. No
  compilation. Like the compiled engine it takes over from the second call on, once the
  pairs are known; reverse mode on top of its jets stays correct (a recorded slow path).

Unsupported models (e.g. :class:`~pinnkit.models.HardConstraint` transforms, several
outputs) are run unchanged by the Taylor engines, i.e. with reverse mode.

``engine.wrap(model)`` returns a callable used in place of the model when evaluating
residuals; it computes jets only for inputs with ``requires_grad`` (those whose
derivatives are wanted) and is the plain model otherwise.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Callable, Sequence

import torch
from torch import nn

__all__ = ["Engine", "Autograd", "Taylor", "Jet", "ENGINES", "DEFAULT_ENGINE", "get_engine", "taylor_stages",
           "propagate_jet", "activation_derivatives"]

#: attribute under which a jet is attached to the output tensor it describes
JET_ATTRIBUTE = "_pinnkit_jet"
#: attribute naming, on an input tensor, the Taylor model that propagated jets from it
OWNER_ATTRIBUTE = "_pinnkit_taylor_owner"


class Jet:
    """Derivatives of an output ``u: (N, 1)`` with respect to the input ``x: (N, d)``.

    ``first: (d, N, 1)`` holds ``∂u/∂x_i``; ``second: (P, N, 1)`` holds ``∂²u/∂x_i∂x_j`` for
    ``pairs[k] = (i, j)`` with ``i <= j``. ``request`` is called with a missing pair."""

    __slots__ = ("x", "first", "second", "pairs", "request")

    def __init__(self, x, first, second, pairs, request: Callable[[tuple[int, int]], None] | None = None):
        self.x, self.first, self.second, self.pairs, self.request = x, first, second, tuple(pairs), request

    def get(self, axes: Sequence[int]) -> torch.Tensor | None:
        """``∂^k u / ∂x_{a1}..∂x_{ak}`` for k = 1, 2 -> ``(N, 1)``; ``None`` if not in the jet."""
        if len(axes) == 1:
            return self.first[axes[0]]
        if len(axes) == 2:
            pair = (min(axes), max(axes))
            if pair in self.pairs:
                return self.second[self.pairs.index(pair)]
            if self.request is not None:
                self.request(pair)
        return None

    def gradient(self) -> torch.Tensor:
        """All first derivatives ``(N, d)``."""
        return self.first[..., 0].T


def jet_of(u: torch.Tensor, x: torch.Tensor) -> Jet | None:
    """The jet attached to ``u`` if it was computed with respect to this very ``x``."""
    jet = getattr(u, JET_ATTRIBUTE, None)
    if jet is not None and jet.x is x:
        return jet
    return None


# -- activations ---------------------------------------------------------------------------

def activation_derivatives(kind: str, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(σ(z), σ'(z), σ''(z))`` for ``kind`` in ``tanh``, ``sin``, ``gelu`` (exact, erf)."""
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


def _activation_kind(m: nn.Module) -> str | None:
    if isinstance(m, nn.Tanh):
        return "tanh"
    if isinstance(m, nn.GELU) and m.approximate == "none":
        return "gelu"
    if type(m).__name__ == "Sine":  # pinnkit.models.Sine: forward is torch.sin
        return "sin"
    return None


# -- model structure -----------------------------------------------------------------------

def _sequential_stages(seq: nn.Sequential) -> list | None:
    stages = []
    for m in seq:
        if isinstance(m, nn.Linear):
            stages.append(("linear", m.weight, m.bias))
        elif isinstance(m, nn.Identity):
            continue
        else:
            kind = _activation_kind(m)
            if kind is None:
                return None
            stages.append(("act", kind))
    return stages


def taylor_stages(model: nn.Module) -> list | None:
    """The model as a list of stages the Taylor engine can propagate, or ``None``.

    Stages: ``("affine", shift, scale)`` for ``(x - shift) * scale``; ``("linear", W, b)``;
    ``("act", kind)``. A model may provide ``taylor_stages()`` itself. Recognised without
    that: ``nn.Sequential`` of ``Linear`` and supported activations, and the layout of
    :class:`pinnkit.models.MLP` (input scaling, optional Fourier features, ``net``).
    """
    custom = getattr(model, "taylor_stages", None)
    if callable(custom):
        return custom()
    if isinstance(model, nn.Sequential):
        return _sequential_stages(model)
    if type(model).__name__ == "MLP" and isinstance(getattr(model, "net", None), nn.Sequential):
        # mirrors pinnkit.models.MLP.forward: scale inputs, embed, then the layers
        stages: list = []
        if getattr(model, "shift", None) is not None:
            stages.append(("affine", model.shift, model.scale))
        emb = getattr(model, "embedding", None)
        if emb is not None:
            if type(emb).__name__ != "FourierFeatures":
                return None
            # [cos 2πBx, sin 2πBx] = sin([2πBx + π/2, 2πBx])
            B = 2 * math.pi * emb.B
            bias = torch.cat([torch.full((B.shape[0],), math.pi / 2, dtype=B.dtype),
                              torch.zeros(B.shape[0], dtype=B.dtype)])
            stages += [("linear", torch.cat([B, B]), bias), ("act", "sin")]
        rest = _sequential_stages(model.net)
        return None if rest is None else stages + rest
    return None


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
            v, s1, s2 = activation_derivatives(stage[1], v)
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


# -- engines ---------------------------------------------------------------------------------

class Engine(ABC):
    """How derivatives of a model's output are computed (see the module docstring)."""

    name: str = ""

    @abstractmethod
    def wrap(self, model: Callable) -> Callable:
        """A callable to use in place of ``model`` when residuals are evaluated."""

    def __repr__(self):
        return f"{type(self).__name__}()"


class Autograd(Engine):
    """Reverse mode with reuse of first derivatives (the behaviour of :class:`Derivatives`)."""

    name = "autograd"

    def wrap(self, model):
        return model


_COMPILED: list = []


def compiled_propagate_jet():
    """``torch.compile(propagate_jet)``, created once per process and shared: each new
    ``torch.compile`` wrapper would compile again (and count towards torch's recompile
    limit). Compiled code depends only on shapes and dtypes, never on a model's values."""
    if not _COMPILED:
        _COMPILED.append(torch.compile(propagate_jet))
    return _COMPILED[0]


class TaylorModel:
    """``model`` evaluated with its jet attached to the output (for inputs with
    ``requires_grad``). The second-order pairs grow as residuals ask for them.

    With ``compiled=True`` the compiled propagation is used only once a call went by
    without a missing pair, and never after reverse mode was needed on top of a jet
    (third derivatives, derivatives of expressions or of sliced outputs): torch cannot
    differentiate a compiled graph twice, so such models keep the eager propagation."""

    def __init__(self, model: nn.Module, compiled: bool = False, pairs: Sequence[tuple[int, int]] = (),
                 fused: bool = False):
        self.model = model
        self.fused = fused
        self.pairs: list[tuple[int, int]] = sorted({(min(p), max(p)) for p in pairs})
        self.compiled = compiled
        self.eager_only = False  # set for good once reverse mode ran through a jet
        self._missed = True  # the pairs are not known to be complete yet
        self._compiled_fn = compiled_propagate_jet() if compiled else None
        if fused:
            from .fused_jet import fused_propagate_jet

            self._compiled_fn = fused_propagate_jet

    def request(self, pair: tuple[int, int]) -> None:
        """A second derivative ``pair`` was asked for but is not in the jet."""
        self._missed = True
        if pair not in self.pairs:
            self.pairs = sorted(self.pairs + [pair])

    def fallback(self) -> None:
        """Reverse mode was used through a jet of this model (see the class docstring)."""
        self.eager_only = True

    def __getattr__(self, name):  # behave like the wrapped model for attribute reads
        if name == "model":
            raise AttributeError(name)
        return getattr(self.model, name)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not (isinstance(x, torch.Tensor) and x.requires_grad and x.ndim == 2):
            return self.model(x)
        stages = taylor_stages(self.model)
        in_dim = getattr(self.model, "in_dim", None)
        if stages is None or (in_dim is not None and x.shape[1] != in_dim):
            return self.model(x)
        use_compiled = (self.compiled or self.fused) and not self._missed and not self.eager_only
        self._missed = False
        fn = self._compiled_fn if use_compiled else propagate_jet
        v, first, second = fn(stages, x, tuple(self.pairs))
        if v.shape[1] == 1:
            setattr(v, JET_ATTRIBUTE, Jet(x, first, second, self.pairs, self.request))
            setattr(x, OWNER_ATTRIBUTE, self)
        return v

    def __repr__(self):
        return (f"TaylorModel({type(self.model).__name__}, pairs={self.pairs}, compiled={self.compiled}, "
                f"fused={self.fused})")


def note_fallback(x: torch.Tensor) -> None:
    """Tell the Taylor model that produced jets on ``x`` (if any) that reverse mode ran."""
    owner = getattr(x, OWNER_ATTRIBUTE, None)
    if owner is not None:
        owner.fallback()


class Taylor(Engine):
    """Second-order jets propagated in the forward pass (optionally ``torch.compile``-d).

    ``pairs`` pre-declares second derivatives (``(i, j)`` input indices) so that even the
    first step has them in the jet."""

    def __init__(self, compiled: bool = False, pairs: Sequence[tuple[int, int]] = (), fused: bool = False):
        if compiled and fused:
            raise ValueError("a Taylor engine is either compiled or fused, not both")
        self.compiled = compiled
        self.fused = fused
        self.pairs = tuple(pairs)
        self.name = "taylor-compiled" if compiled else "taylor-fused" if fused else "taylor"

    def supports(self, model) -> bool:
        return taylor_stages(model) is not None and getattr(model, "out_dim", 1) == 1

    def wrap(self, model):
        if not isinstance(model, nn.Module) or not self.supports(model):
            return model
        return TaylorModel(model, self.compiled, self.pairs, self.fused)

    def __repr__(self):
        return f"Taylor(compiled={self.compiled}, fused={self.fused})"


#: name -> engine, for widgets, configs and the command line
ENGINES: dict[str, Callable[[], Engine]] = {
    "autograd": Autograd,
    "taylor": Taylor,
    "taylor-compiled": lambda: Taylor(compiled=True),
    "taylor-fused": lambda: Taylor(fused=True),
}

#: the engine ``train`` uses unless told otherwise (chosen by benchmarks/run.py's measurements:
#: ``taylor-fused`` is faster on DeepXDE's Burgers step, 0.80× against 0.92× of DeepXDE's time
#: at one thread, but 1.15-1.25× slower than ``autograd`` on the wave and Allen-Cahn problems
#: (not profiled; both also have derivative conditions, which run the engine on small point
#: sets); ``taylor-compiled`` costs about 24 s of compilation per process)
DEFAULT_ENGINE = "autograd"


def get_engine(engine: str | Engine | None = None) -> Engine:
    """An :class:`Engine` from a name in :data:`ENGINES`, an engine, or ``None`` (default)."""
    if engine is None:
        engine = DEFAULT_ENGINE
    if isinstance(engine, Engine):
        return engine
    if engine not in ENGINES:
        raise ValueError(f"unknown derivative engine {engine!r}; choose one of {sorted(ENGINES)}")
    return ENGINES[engine]()
