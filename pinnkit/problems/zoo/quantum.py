"""Quantum wells: the 1D time-independent Schrödinger equation as an eigenvalue problem.

    −ψ'' + V(x) ψ = E ψ  on [a, b],  ψ(a) = ψ(b) = 0,  ∫ψ² = 1,

with the energy ``E`` a trainable unknown (``unknown/E`` in the history; its true value in
``problem.truth``). The scaling is Sarkar's (arXiv 2504.05367, 2025): the unit infinite well
has ``E_n = n²π²``. Three potentials:

- ``infinite_well``: V = 0 on [0, 1] (closed form ``ψ_n = √2 sin nπx``);
- ``finite_well``: V = 0 for |x| < width/2 and V = depth elsewhere on [−2, 2] (the walls at ±2
  are far enough for the low states to decay: e^{−κ·1.5} ≈ 1e-4 for the ground state at depth 20);
- ``barrier``: V = height for |x − ½| < width/2 inside the unit box.

The finite well and the barrier take their reference energies and states from
:func:`pinnkit.problems.eigen.schrodinger_fd` (second-order finite differences with the
potential cell-averaged, 8000 nodes: energies converged to ~1e-6 relative, see the tests).

``level`` picks the state the reference is (0 = ground state); a network finds an excited
state when orthogonality to the states found before is imposed
(:func:`pinnkit.problems.eigen.excited_state`). ``guess`` is E's initial value. An
eigenfunction is defined up to its sign, so errors are measured against the nearer of
``±ψ_level`` (``sign_free``).

**The ψ ≈ 0 collapse.** With the normalisation as a penalty, the obvious loss
``mean r² + (∫ψ² − 1)²`` has a stationary point at ψ = 0 where ``∂L/∂E = −2 mean(rψ)``
vanishes: ψ shrinks and E freezes. ``scale_invariance`` s divides the residual by
``‖ψ‖^s`` (``‖ψ‖² ≈ |Ω|·mean ψ²`` over the collocation points, which are uniform): at
s = 1 the residual term is unchanged by a rescaling of ψ, so shrinking ψ no longer lowers
it and E keeps its gradient; s = 0 is the obvious loss.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..conditions import Dirichlet, Normalisation
from ..domains import Box
from ..eigen import schrodinger_fd
from ..problem import Parameter, Problem
from ._common import LazyReference, check_number

__all__ = ["infinite_well", "finite_well", "barrier", "FD_NODES"]

#: interior nodes of the finite-difference reference
FD_NODES = 8000
MAX_LEVEL = 4


def _level(problem: str, level) -> int:
    v = check_number(problem, "level", level, nonnegative=True)
    if v != int(v) or v > MAX_LEVEL:
        raise ValueError(f"{problem}: level must be an integer 0..{MAX_LEVEL} (0 = ground state); got {level!r}")
    return int(v)


def _scale(problem: str, s) -> float:
    v = check_number(problem, "scale_invariance", s, nonnegative=True)
    if v > 1:
        raise ValueError(f"{problem}: scale_invariance must lie in [0, 1]; got {s!r}")
    return v


def _well(name: str, domain: Box, potential_t, parameters: dict, energy: float, reference, equation: str,
          factory) -> Problem:
    a, b = domain.low[0], domain.high[0]
    length = b - a

    def residual(x, u, D, p):
        r = -D(u, "xx") + potential_t(x[:, 0:1]) * u - p["E"] * u
        s = p["scale_invariance"]
        if s:
            r = r / (length * (u**2).mean()) ** (0.5 * s)
        return r

    def hard(x, n, p):  # ψ(a) = ψ(b) = 0 exactly (Sarkar's trial function)
        t = x[:, 0:1]
        return (t - a) * (b - t) * n / (length / 2) ** 2

    return Problem(
        name=name, domain=domain, residual=residual,
        conditions={"left": Dirichlet(domain, "x", "low"), "right": Dirichlet(domain, "x", "high"),
                    "normalisation": Normalisation(domain)},
        parameters=parameters, reference=reference, unknowns={"E": float(parameters["guess"].value)},
        hard=hard, hard_satisfies=("left", "right"), test_shape=(401,), equation=equation, factory=factory,
        truth={"E": float(energy)}, sign_free=True)


def _common_parameters(level: int, s: float, guess: float, guess_range: tuple[float, float]) -> dict:
    return {
        "level": Parameter(level, 0, MAX_LEVEL, doc="which eigenstate the reference is (0 = ground state)"),
        "scale_invariance": Parameter(s, 0.0, 1.0, doc="the residual divided by ‖ψ‖^s: 0 the obvious loss "
                                                       "(collapses to ψ ≈ 0), 1 scale-invariant"),
        "guess": Parameter(guess, *guess_range, doc="initial value of the trainable energy E"),
    }


def infinite_well(level: float = 0, scale_invariance: float = 1.0, guess: float = 5.0) -> Problem:
    """The unit infinite well: ``E_n = (n+1)²π²`` and ``ψ_n = √2 sin((n+1)πx)`` for level n."""
    n = _level("infinite_well", level) + 1
    s = _scale("infinite_well", scale_invariance)
    guess = check_number("infinite_well", "guess", guess)
    domain = Box((0.0,), (1.0,), ("x",))
    reference = lambda X: math.sqrt(2) * np.sin(n * math.pi * np.asarray(X, float)[:, :1])  # noqa: E731
    return _well("infinite_well", domain, lambda x: torch.zeros_like(x),
                 _common_parameters(n - 1, s, guess, (0.0, 100.0)), (n * math.pi) ** 2, reference,
                 "−ψ'' = Eψ on [0, 1], ψ(0) = ψ(1) = 0, ∫ψ² = 1; E_n = n²π²", infinite_well)


def _fd_problem(name, domain, potential_np, potential_t, level, parameters, equation, factory):
    pairs = LazyReference(lambda: schrodinger_fd(potential_np, domain.low[0], domain.high[0], FD_NODES,
                                                 level + 1))
    state = LazyReference(lambda: pairs.solved.state(level))
    energy = float(pairs.solved.energies[level])
    return _well(name, domain, potential_t, parameters, energy, lambda X: state.solved(X), equation, factory)


def finite_well(depth: float = 20.0, width: float = 1.0, level: float = 0, scale_invariance: float = 1.0,
                guess: float = 2.0) -> Problem:
    """A finite square well of ``depth`` and ``width`` centred in [−2, 2] (walls at ±2).
    Reference by finite differences; at the defaults E_0 = 4.5900."""
    depth = check_number("finite_well", "depth", depth, nonnegative=True)
    width = check_number("finite_well", "width", width, positive=True)
    if width >= 4:
        raise ValueError(f"finite_well: width must be < 4 (the box is [−2, 2]); got {width!r}")
    lvl, s = _level("finite_well", level), _scale("finite_well", scale_invariance)
    guess = check_number("finite_well", "guess", guess)
    domain = Box((-2.0,), (2.0,), ("x",))
    pot_np = lambda x: np.where(np.abs(x) < width / 2, 0.0, depth)  # noqa: E731
    pot_t = lambda x: torch.where(x.abs() < width / 2, torch.zeros_like(x), torch.full_like(x, depth))  # noqa: E731
    params = {"depth": Parameter(depth, 0.0, 100.0, doc="depth V0 of the well"),
              "width": Parameter(width, 0.2, 3.0, doc="width of the well"),
              **_common_parameters(lvl, s, guess, (0.0, 100.0))}
    return _fd_problem("finite_well", domain, pot_np, pot_t, lvl, params,
                       "−ψ'' + Vψ = Eψ on [−2, 2], V = 0 for |x| < w/2, V0 outside; ψ(±2) = 0, ∫ψ² = 1",
                       finite_well)


def barrier(height: float = 50.0, width: float = 0.2, level: float = 0, scale_invariance: float = 1.0,
            guess: float = 15.0) -> Problem:
    """The unit box with a barrier of ``height`` and ``width`` in its middle. Reference by
    finite differences; at the defaults E_0 = 25.059."""
    height = check_number("barrier", "height", height, nonnegative=True)
    width = check_number("barrier", "width", width, positive=True)
    if width >= 1:
        raise ValueError(f"barrier: width must be < 1 (the box is [0, 1]); got {width!r}")
    lvl, s = _level("barrier", level), _scale("barrier", scale_invariance)
    guess = check_number("barrier", "guess", guess)
    domain = Box((0.0,), (1.0,), ("x",))
    pot_np = lambda x: np.where(np.abs(x - 0.5) < width / 2, height, 0.0)  # noqa: E731
    pot_t = lambda x: torch.where((x - 0.5).abs() < width / 2, torch.full_like(x, height), torch.zeros_like(x))  # noqa: E731
    params = {"height": Parameter(height, 0.0, 200.0, doc="height V0 of the barrier"),
              "width": Parameter(width, 0.02, 0.8, doc="width of the barrier"),
              **_common_parameters(lvl, s, guess, (0.0, 200.0))}
    return _fd_problem("barrier", domain, pot_np, pot_t, lvl, params,
                       "−ψ'' + Vψ = Eψ on [0, 1], V = V0 for |x − ½| < w/2; ψ(0) = ψ(1) = 0, ∫ψ² = 1", barrier)
