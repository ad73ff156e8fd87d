"""The problem zoo: parameterised PDEs, each with a reference computed inside pinnkit.

``get("burgers", nu=0.005)`` builds a problem by name; ``names()`` lists them. Each
factory lives in its own module and is registered here, the one place where a name
becomes a problem.
"""
from __future__ import annotations

from importlib import import_module
from typing import Callable

from ..problem import Problem

__all__ = ["get", "names", "describe"]

# name -> (module, factory function)
_REGISTRY: dict[str, tuple[str, str]] = {
    "oscillator": ("oscillator", "oscillator"),
    "poisson1d": ("poisson", "poisson1d"),
    "poisson1d_multiscale": ("poisson", "poisson1d_multiscale"),
    "poisson2d": ("poisson", "poisson2d"),
    "heat": ("heat", "heat"),
    "convection": ("convection", "convection"),
    "reaction": ("reaction", "reaction"),
    "reaction_diffusion": ("reaction", "reaction_diffusion"),
    "burgers": ("burgers", "burgers"),
    "allen_cahn": ("allen_cahn", "allen_cahn"),
    "wave": ("wave", "wave"),
    "helmholtz": ("helmholtz", "helmholtz"),
    "convection_lagrangian": ("convection_lagrangian", "convection_lagrangian"),
    "regression1d": ("regression", "regression1d"),
    "infinite_well": ("quantum", "infinite_well"),
    "finite_well": ("quantum", "finite_well"),
    "barrier": ("quantum", "barrier"),
    "free_particle": ("mechanics", "free_particle"),
    "gravity": ("mechanics", "gravity"),
    "pendulum": ("mechanics", "pendulum"),
    "henon_heiles": ("mechanics", "henon_heiles"),
    "legendre": ("singular", "legendre"),
    "hypergeometric": ("singular", "hypergeometric"),
    "poisson_nd": ("poisson_nd", "poisson_nd"),
    "duffing": ("duffing", "duffing"),
}


def _factory(name: str) -> Callable[..., Problem]:
    if name not in _REGISTRY:
        raise ValueError(f"unknown problem {name!r}; choose one of {sorted(_REGISTRY)}")
    module, fn = _REGISTRY[name]
    return getattr(import_module(f"{__name__}.{module}"), fn)


def get(name: str, **parameters: float) -> Problem:
    """Build zoo problem ``name`` with the given parameter values (defaults otherwise)."""
    factory = _factory(name)
    problem = factory()
    return problem.with_parameters(**parameters) if parameters else problem


def names() -> list[str]:
    return list(_REGISTRY)


def describe(name: str) -> str:
    p = get(name)
    return f"{p.name}: {p.equation}"
