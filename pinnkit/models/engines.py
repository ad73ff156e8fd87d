"""Derivative engines: how ``D(u, "xx")`` is computed for a network's output.

A PINN residual needs derivatives of the network output ``u(x)`` with respect to its
inputs, and then the gradient of a loss built from them with respect to the weights.

- ``"autograd"`` — reverse mode. ``∇u`` comes from one ``autograd.grad(u, x,
  create_graph=True)``; a second-order ``u_xx`` from one more ``grad`` of the column
  ``u_x``. The training gradient then runs backward through this double-backward graph.
  Works for every model and every expression (:class:`~pinnkit.problems.Derivatives`).

- ``"taylor"`` — forward propagation of a second-order jet through the stages a network
  describes (:mod:`.jet_rules`: ``model.taylor_stages()``). Every first derivative and the
  second derivatives actually asked for are computed in the forward pass with ordinary
  differentiable torch ops, so the training gradient is a single reverse pass through a
  short graph. The jets are attached to the output (:mod:`pinnkit.problems.jets`);
  :class:`~pinnkit.problems.Derivatives` reads them and falls back to reverse mode for
  anything not in the jet (third derivatives, derivatives of expressions of ``u``, sliced
  outputs), which stays correct because the jets are differentiable in ``x``. A
  second-order pair asked for but missing is recorded and propagated from the next call
  on (so the first step uses reverse mode for it).

- ``"taylor-compiled"`` — the same propagation under ``torch.compile`` (fused CPU
  kernels). Costs tens of seconds of compilation on the first step and recompiles when
  shapes change; torch falls back to eager after ``torch._dynamo.config.cache_size_limit``
  recompiles of one function in a process.

- ``"taylor-fused"`` — the same propagation as one :class:`torch.autograd.Function` with a
  hand-written reverse pass (:mod:`.fused_jet`). No compilation. Like the compiled engine
  it takes over from the second call on, once the pairs are known; reverse mode on top of
  its jets stays correct (a recorded slow path).

A model with trainable activations (:class:`~pinnkit.models.activations.Wavelet`,
:class:`~pinnkit.models.activations.Cauchy`) runs the eager ``"taylor"`` propagation under
``"taylor-fused"`` (whose hand-written reverse pass has no rule for their parameters);
:meth:`Engine.describe` says so.

A model that describes no stages (``taylor_stages()`` missing or returning ``None``, e.g. a
:class:`~pinnkit.models.HardConstraint` transform or :class:`~pinnkit.models.ModifiedMLP`)
or has several outputs is run unchanged by the Taylor engines, i.e. with reverse mode;
:meth:`Engine.describe` says so (with the model's own reason, its ``taylor_unsupported``
text, where it gives one, e.g. :class:`~pinnkit.models.pinnsformer.PINNsFormer`), and
``train`` records it in the history's ``meta["engine"]``.

``engine.wrap(model)`` returns a callable used in place of the model when evaluating
residuals; it computes jets only for inputs with ``requires_grad`` (those whose
derivatives are wanted) and is the plain model otherwise.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, Sequence

import torch
from torch import nn

from ..problems.jets import Jet, attach_jet
from .jet_rules import has_parametric_activation, propagate_jet, sequential_stages

__all__ = ["Engine", "Autograd", "Taylor", "TaylorModel", "ENGINES", "DEFAULT_ENGINE", "get_engine",
           "taylor_stages"]


def taylor_stages(model) -> list | None:
    """The stages a Taylor engine propagates through ``model``, or ``None``: what the model
    says of itself (``model.taylor_stages()``), or the layers of an ``nn.Sequential``."""
    describe = getattr(model, "taylor_stages", None)
    if callable(describe):
        return describe()
    if isinstance(model, nn.Sequential):
        return sequential_stages(model)
    return None


class Engine(ABC):
    """How derivatives of a model's output are computed (see the module docstring)."""

    name: str = ""

    @abstractmethod
    def wrap(self, model: Callable) -> Callable:
        """A callable to use in place of ``model`` when residuals are evaluated."""

    def describe(self, model) -> str:
        """The engine's name, or what it falls back to for this model and why."""
        return self.name

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
            attach_jet(v, Jet(x, first, second, self.pairs, self.request), owner=self)
        return v

    def __repr__(self):
        return (f"TaylorModel({type(self.model).__name__}, pairs={self.pairs}, compiled={self.compiled}, "
                f"fused={self.fused})")


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

    def _fused_fallback(self, model) -> bool:
        """The fused reverse pass is written for parameter-free activations only: a model
        with trainable ones (:mod:`.activations`) runs the eager Taylor propagation."""
        return self.fused and has_parametric_activation(taylor_stages(model))

    def wrap(self, model):
        if not isinstance(model, nn.Module) or not self.supports(model):
            return model
        fused = self.fused and not self._fused_fallback(model)
        return TaylorModel(model, self.compiled, self.pairs, fused)

    def describe(self, model) -> str:
        if isinstance(model, nn.Module) and self.supports(model):
            if self._fused_fallback(model):
                return (f"taylor ({self.name} has no hand-written reverse pass for trainable activations; "
                        f"eager Taylor propagation)")
            return self.name
        why = ("it has several outputs" if taylor_stages(model) is not None
               else getattr(model, "taylor_unsupported", None) or "it describes no Taylor stages")
        return f"autograd ({self.name} cannot run {type(model).__name__}: {why})"

    def __repr__(self):
        return f"Taylor(compiled={self.compiled}, fused={self.fused})"


#: name -> engine, for widgets, configs and the command line
ENGINES: dict[str, Callable[[], Engine]] = {
    "autograd": Autograd,
    "taylor": Taylor,
    "taylor-compiled": lambda: Taylor(compiled=True),
    "taylor-fused": lambda: Taylor(fused=True),
}

#: the engine ``train`` uses unless told otherwise; why it is reverse mode is measured in
#: ``benchmarks/`` (the Taylor engines win on some problems and lose on others)
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
