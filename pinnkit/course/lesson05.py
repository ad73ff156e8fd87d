"""Checks and helpers for lesson 05, reading a failing run: residual field, error field,
gradient-norm ratios, replay (``notebooks/05_reading_a_run.ipynb``).

The helpers read a run the way the lesson does:

- :func:`training_points` draws the points a run of a configuration trains on (the same
  random draws as :func:`pinnkit.train`: the residual points first, then each condition's);
- :func:`gradient_norms` gives ``‖∇_θ L_i‖₂`` of each loss term of a model on those points
  (what the dashboard's recorder stores in every snapshot as ``grad_norms``), and
  :func:`gradient_ratio` the ratio ``‖∇_θ L_r‖ / ‖∇_θ L_ic‖``;
- :func:`error_against_time` is ``‖u_θ(·, t) − u(·, t)‖₂ / ‖u(·, t)‖₂`` on the test grid and
  :func:`first_time_above` the first ``t`` where it exceeds a level;
- :func:`convection_residual` is ``R[u] = u_t + β u_x`` of any function ``u(x, t)`` at a
  point, computed by pinnkit's own residual of the convection problem.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np

from . import Result, check_choice, check_number

__all__ = ["training_points", "gradient_norms", "gradient_ratio", "error_against_time", "first_time_above",
           "convection_residual", "loss_drop", "signature_betas",
           "check_residual_at_point", "check_gradient_ratio", "check_error_time", "check_signature_beta"]


# --------------------------------------------------------------------------- helpers
def training_points(config, problem=None, model=None) -> dict:
    """``{term: (n, d) tensor}``: the residual and condition points a run of ``config``
    trains on (its seed's draws, in :func:`pinnkit.train`'s order). ``problem`` and
    ``model`` default to those :func:`pinnkit.recipes.build` makes."""
    import torch

    from ..recipes import RunConfig, build
    from ..training.loop import condition_point_sets

    config = RunConfig.from_dict(config) if isinstance(config, dict) else config
    recipe = build(config)
    problem = problem or recipe.problem
    model = model or recipe.model
    dtype = getattr(torch, config.dtype)
    rng = np.random.default_rng(config.seed)
    points = {"residual": torch.as_tensor(recipe.sampler.sample(problem.domain, rng), dtype=dtype)}
    points.update(condition_point_sets(problem, model, config.condition_points, rng, dtype))
    return points


def gradient_norms(config, model=None, problem=None) -> dict[str, float]:
    """``{term: ‖∇_θ L_term‖₂}`` of ``model`` (default: the untrained network of ``config``,
    i.e. at initialisation) on the points ``config`` trains on."""
    from ..diagnostics.fields import term_gradient_norms
    from ..losses import loss_terms
    from ..recipes import RunConfig, build

    config = RunConfig.from_dict(config) if isinstance(config, dict) else config
    if model is None or problem is None:
        recipe = build(config)
        model, problem = model or recipe.model, problem or recipe.problem
    points = training_points(config, problem, model)
    terms = loss_terms(problem, model, points, problem.values)
    return term_gradient_norms(terms, [p for p in model.parameters() if p.requires_grad])


def gradient_ratio(norms: Mapping[str, float], numerator: str = "residual", denominator: str = "initial") -> float:
    """``‖∇_θ L_numerator‖ / ‖∇_θ L_denominator‖`` from a mapping of gradient norms (a
    snapshot's ``grad_norms``, or :func:`gradient_norms`)."""
    for name in (numerator, denominator):
        if name not in norms:
            raise ValueError(f"no gradient norm of {name!r}; the terms are {sorted(norms)}")
    if not norms[denominator] > 0:
        raise ValueError(f"the gradient norm of {denominator!r} must be positive; got {norms[denominator]!r}")
    return float(norms[numerator] / norms[denominator])


def error_against_time(problem, model, shape: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(t (n_t,), e (n_t,))`` with ``e(t) = ‖u_θ(·, t) − u(·, t)‖₂ / ‖u(·, t)‖₂`` over the
    test grid's x at each of its times (the problem needs a reference)."""
    from ..training.evaluate import predict

    if problem.reference is None:
        raise ValueError(f"{problem.name} has no reference solution: the error field needs one")
    shape = tuple(shape) if shape is not None else problem.test_shape
    grid = problem.test_grid(shape)
    u = predict(model, grid)[:, 0].reshape(shape)
    ref = problem.reference_on(grid)[:, 0].reshape(shape)
    e = np.linalg.norm(u - ref, axis=0) / np.maximum(np.linalg.norm(ref, axis=0), 1e-12)
    return np.unique(grid[:, -1]), e


def first_time_above(t: Sequence[float], e: Sequence[float], level: float) -> float:
    """The first time at which ``e`` exceeds ``level`` (``inf`` if it never does)."""
    t, e = np.asarray(t, float), np.asarray(e, float)
    above = np.nonzero(e > level)[0]
    return float(t[above[0]]) if len(above) else math.inf


def convection_residual(u: Callable, x: float, t: float, beta: float) -> float:
    """``R[u](x, t) = u_t + β u_x`` of a torch function ``u((N, 2) columns x, t) -> (N, 1)``,
    by pinnkit's residual of the convection problem (nested autograd)."""
    import torch

    from ..losses import pointwise_residual
    from ..problems import zoo

    problem = zoo.get("convection", beta=float(beta))
    X = torch.tensor([[float(x), float(t)]], dtype=torch.float64)
    return float(pointwise_residual(problem, u, X, problem.values)[0, 0].detach())


def loss_drop(history) -> float:
    """The total loss of the first logged step over the final one (how far training took it down)."""
    _, losses = history.where("loss")
    if len(losses) == 0:
        raise ValueError("the history has no logged loss")
    final = history.final.get("loss", losses[-1])
    return float(losses[0] / final)


def signature_betas(drops: Mapping[float, float], errors: Mapping[float, float], *, drop: float = 100.0,
                    error: float = 0.5) -> list[float]:
    """The β values whose runs show the failure signature: the loss fell by at least ``drop``×
    while the relative L2 error stayed at least ``error``."""
    return sorted(b for b in errors if drops[b] >= drop and errors[b] >= error)


# --------------------------------------------------------------------------- checks
def check_residual_at_point(answer, c: float = 2.0, x: float = 1.0, t: float = 0.25, beta: float = 30.0) -> Result:
    """E1: the residual ``u_t + β u_x`` of the wave ``u = sin(x − c t)`` (speed ``c``) at ``(x, t)``."""
    import torch

    expected = convection_residual(lambda X: torch.sin(X[:, :1] - c * X[:, 1:2]), x, t, beta)
    return check_number(answer, expected, name=f"R[sin(x − {c:g}t)] at (x, t) = ({x:g}, {t:g}), β = {beta:g}",
                        rtol=0.01, atol=1e-6,
                        hint="u_t = −c cos(x − ct) and u_x = cos(x − ct): add u_t and β u_x, then put in the point.")


def check_gradient_ratio(answer, norms: Mapping[str, float]) -> Result:
    """E2: ``‖∇_θ L_r‖ / ‖∇_θ L_ic‖`` of the given gradient norms (the first snapshot's)."""
    expected = gradient_ratio(norms)
    if isinstance(answer, (int, float)) and not isinstance(answer, bool) and expected > 0 and answer > 0 \
            and abs(answer * expected - 1) <= 0.05:
        return check_number(answer, expected, name="gradient-norm ratio", rtol=0.05,
                            hint="you divided the other way round: the residual's norm goes on top.")
    return check_number(answer, expected, name="gradient-norm ratio", rtol=0.05,
                        hint="read grad_norms of the snapshot: ‖∇θ L_residual‖ divided by ‖∇θ L_initial‖.")


def check_error_time(answer, t: Sequence[float], e: Sequence[float], level: float = 0.5) -> Result:
    """E3: the first time at which the error against time exceeds ``level``."""
    expected = first_time_above(t, e, level)
    if not math.isfinite(expected):
        raise ValueError(f"the error never exceeds {level:g} in this run; pick a lower level")
    dt = float(np.max(np.diff(np.asarray(t, float)))) if len(t) > 1 else 0.0
    return check_number(answer, expected, name=f"first t with error above {level:g}", rtol=0.0, atol=2 * dt + 1e-9,
                        hint=f"follow the error-against-t curve from t = 0 to where it first crosses {level:g}.")


def check_signature_beta(answer, drops: Mapping[float, float], errors: Mapping[float, float], *,
                         drop: float = 100.0, error: float = 0.5) -> Result:
    """E4: the smallest β whose run shows the signature (loss down ≥ ``drop``×, error ≥ ``error``)."""
    found = signature_betas(drops, errors, drop=drop, error=error)
    if not found:
        raise ValueError(f"no β of this sweep shows the signature (loss down ≥ {drop:g}× with error ≥ {error:g})")
    return check_choice(answer, found[0], name="smallest β with the failure signature", choices=sorted(errors),
                        hint=f"a β qualifies when both columns say so: loss drop ≥ {drop:g} and rel L2 ≥ {error:g}.")
