"""Checks for lesson 00, a first PINN: data alone vs physics (``notebooks/00_first_pinn.ipynb``).

:func:`fit_oscillator` is the lesson's experiment: a network fitted to observations of the
damped oscillator on an early window ``[0, t_data]`` only, with or without the ODE residual on
the whole interval ``[0, 1]`` (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import Result, check_choice, check_number

__all__ = ["Fit", "fit_oscillator", "check_frequency", "check_trivial_residual", "check_better_outside"]


@dataclass
class Fit:
    """One fit: the model, the history, the test grid ``t``, prediction and exact solution,
    and the relative L2 error inside and outside the data window."""

    model: object
    history: object
    t: np.ndarray
    pred: np.ndarray
    exact: np.ndarray
    rel_l2: float
    rel_l2_inside: float
    rel_l2_outside: float


def fit_oscillator(physics: bool, *, d: float = 2.0, w0: float = 20.0, t_data: float = 0.36, observations: int = 10,
                   steps: int = 3000, weight: float = 1e-4, num_points: int = 64, width: int = 32, depth: int = 3,
                   lr: float = 1e-3, seed: int = 0) -> Fit:
    """Fit ``u(t)`` to ``observations`` exact values on ``[0, t_data]`` with Adam. ``physics``:
    add ``weight ·`` the mean squared ODE residual at ``num_points`` grid points of ``[0, 1]``
    (otherwise the residual term has weight 0, i.e. plain regression). No initial conditions:
    the data and the equation are all the network is told."""
    from .. import train, zoo
    from ..balancing import Static
    from ..diagnostics import fields
    from ..models import build_model
    from ..optim import adam
    from ..problems.conditions import Data
    from ..sampling import Grid

    if not 0 < t_data <= 1:
        raise ValueError(f"t_data must lie in (0, 1]; got {t_data!r}")
    if observations < 2:
        raise ValueError(f"need at least 2 observations; got {observations!r}")
    truth = zoo.get("oscillator", d=d, w0=w0)
    t_obs = np.linspace(0.0, t_data, observations)[:, None]
    problem = truth.replace(conditions={"data": Data(t_obs, truth.reference_on(t_obs))}, hard=None,
                            hard_satisfies=())
    model = build_model(problem, width=width, depth=depth, seed=seed)
    history = train(problem, model, sampler=Grid(num_points if physics else 2), optimizer=[(adam(lr), steps)],
                    balancer=Static({"residual": weight if physics else 0.0}), eval_every=max(steps // 10, 1),
                    seed=seed, progress=False)
    f = fields(truth, model)
    t, pred, exact = f.axes[0], f.pred.ravel(), f.ref.ravel()

    def rel(mask):
        return float(np.linalg.norm(pred[mask] - exact[mask]) / np.linalg.norm(exact[mask]))

    inside = t <= t_data + 1e-12
    return Fit(model, history, t, pred, exact, float(f.rel_l2), rel(inside), rel(~inside))


def check_frequency(answer, d: float = 2.0, w0: float = 20.0) -> Result:
    """The angular frequency of the under-damped oscillator, ``ω = √(ω0² − d²)``."""
    return check_number(answer, math.sqrt(w0 ** 2 - d ** 2), name="angular frequency ω", rtol=0.005,
                        hint="put u = e^{λt} into u'' + 2d u' + ω0² u = 0: λ = −d ± iω with ω² = ω0² − d².")


def check_trivial_residual(answer, d: float = 2.0, w0: float = 20.0) -> Result:
    """The residual of ``u ≡ 0``: zero — the trivial function solves the ODE exactly, so only
    the data (or the initial conditions) select the right solution."""
    return check_number(answer, 0.0, name="residual of u ≡ 0", atol=1e-9,
                        hint="every derivative of the zero function is zero; put them into u'' + 2d u' + ω0² u.")


def check_better_outside(answer, outside: dict) -> Result:
    """Which fit has the smaller error outside the data window (``outside``: label → error, measured)."""
    if not outside:
        raise ValueError("better outside: no measured errors given")
    best = min(outside, key=outside.get)
    return check_choice(answer, best, name="better outside the data", choices=list(outside),
                        hint="read the 'rel L2 outside' column of the table (t beyond the last observation).")
