"""Models: HOW u(x) is represented and differentiated.

- :mod:`.networks` — :class:`MLP`, :class:`ModifiedMLP`, :class:`FourierFeatures`,
  :class:`HardConstraint`, and :func:`build_model` / the :data:`MODELS` registry;
- :mod:`.jet_rules` — Taylor rules of layers and activations (a network describes itself
  to the engines as stages: ``model.taylor_stages()``);
- :mod:`.engines` — derivative engines (reverse mode, forward Taylor jets, compiled and
  fused variants) and :mod:`.fused_jet`, the hand-written reverse pass;
- :mod:`.batched` — :class:`BatchedMLP`, M networks evaluated as one (vectorised ensembles).

Every model maps ``x: (N, d_in)`` to ``(N, d_out)``.
"""
from .networks import (ACTIVATIONS, MLP, MODELS, FourierFeatures, HardConstraint, ModifiedMLP, PeriodicEmbedding, Sine,
                       build_model, register)
from .batched import BatchedMLP, ensemble_models
from . import engines


def _import_architectures() -> None:
    """Import every module of this package: architectures register themselves in MODELS."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_architectures()

__all__ = ["ACTIVATIONS", "MLP", "MODELS", "register", "FourierFeatures", "PeriodicEmbedding", "HardConstraint", "ModifiedMLP", "Sine", "build_model",
           "BatchedMLP", "ensemble_models", "engines"]
