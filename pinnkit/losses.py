"""Named loss terms from (problem, model, points).

``"residual"`` is the mean squared PDE residual over interior points; each condition
contributes a term of its own name (mean squared condition residual). Terms are keyed
by name, never by position.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import torch

from .problems.problem import Parameters, Problem, check_integral, check_residual

__all__ = ["mean_square", "term_residual", "loss_terms", "member_losses", "pointwise_residual", "ResidualLoss",
           "CausalResidual", "sequence_elements", "on_first_token"]

#: reduces pointwise residuals ``r: (N, k)`` at points ``x: (N, d)`` to a scalar
ResidualLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mean_square(x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """``mean_i Σ_k r_ik²`` — the plain PINN residual loss."""
    return (r**2).sum(dim=1).mean()


def term_residual(problem: Problem, model: Callable, name: str, x: torch.Tensor, params: Mapping) -> torch.Tensor:
    """Per-point residuals ``(N, k)`` of term ``name`` at points ``x: (N, d)`` (with graph):
    the PDE residual for ``"residual"`` (at a copy of ``x`` that requires grad), the
    condition's residual for a condition's name. The one place where a term's name decides
    what is evaluated."""
    if name == "residual":
        return problem.pde_residual(model, x.detach().requires_grad_(True), params)
    if name not in problem.conditions:
        raise ValueError(f"no condition named {name!r} in {problem.name}; it has {sorted(problem.conditions)}")
    what = f"condition {name!r} of {problem.name}"
    cond = problem.conditions[name]
    r = cond.residual(model, x, Parameters(params, what))
    if getattr(cond, "rows", "points") == "one":  # an integral condition: one row however many nodes
        return check_integral(r, x.shape[0], what)
    return check_residual(r, x.shape[0], what)


def pointwise_residual(problem: Problem, model: Callable, x: torch.Tensor, params: Mapping) -> torch.Tensor:
    """PDE residual at interior points ``x: (N, d)`` -> ``(N, k)`` (with graph)."""
    return term_residual(problem, model, "residual", x, params)


def loss_terms(problem: Problem, model: Callable, points: Mapping[str, torch.Tensor], params: Mapping,
               residual_loss: ResidualLoss = mean_square) -> dict[str, torch.Tensor]:
    """One scalar per named term present in ``points``.

    ``points["residual"]`` are interior points; every other key names a condition of the
    problem. The residual is reduced by ``residual_loss``, each condition by the mean
    square. Returns ``{"residual": L_r, "initial": L_ic, ...}`` in the order of ``points``.

    With a model trained over a pseudo-sequence (``model.sequence_loss`` true, e.g.
    :class:`~pinnkit.models.pinnsformer.PINNsFormer`; Zhao et al., ICLR 2024, §3.3), every
    term except initial conditions and observations is taken over all ``k`` tokens: token
    ``i`` (``model.element(i)``) at the points it stands for (``element.offset(x)``), the
    residuals of the ``k`` tokens reduced together, so each term is the mean over tokens
    and points. Initial conditions and observations use the first token (the prediction).
    """
    terms: dict[str, torch.Tensor] = {}
    elements = sequence_elements(model)
    for name, x in points.items():
        if elements is None or on_first_token(problem, name):
            r = term_residual(problem, model, name, x, params)
        else:
            xs = [e.offset(x) for e in elements]
            r = torch.cat([term_residual(problem, e, name, xi, params) for e, xi in zip(elements, xs)])
            x = torch.cat(xs)
        terms[name] = residual_loss(x, r) if name == "residual" else (r**2).sum(dim=1).mean()
    return terms


def sequence_elements(model: Callable) -> list | None:
    """The tokens ``[model.element(i)]_{i<k}`` of a model trained with its sequence loss
    (``model.sequence_loss`` true), else ``None``."""
    if not getattr(model, "sequence_loss", False):
        return None
    return [model.element(i) for i in range(model.k)]


def on_first_token(problem: Problem, name: str) -> bool:
    """Whether term ``name`` uses only the first token under a sequence loss: initial
    conditions and observations (Zhao et al. 2024, §3.3: the initial condition on the first
    element; observations are of the prediction)."""
    from .problems.conditions import Data, Initial, Integral

    return isinstance(problem.conditions.get(name), (Initial, Data, Integral))


def member_losses(problem: Problem, model: Callable, points: Mapping[str, torch.Tensor],
                  params: Mapping[str, Mapping], members: int,
                  residual_loss: ResidualLoss = mean_square) -> dict[str, torch.Tensor]:
    """Per-member terms ``(M,)`` of a batched model (:class:`~pinnkit.models.BatchedMLP`):
    member ``m`` owns rows ``[m n, (m+1) n)`` of every point set; ``params[name]`` are the
    parameter values for that term's rows. Each member's value equals :func:`loss_terms`
    of that member alone."""
    terms: dict[str, torch.Tensor] = {}
    integral = [n for n in points if getattr(problem.conditions.get(n), "rows", "points") == "one"]
    if integral and members > 1:
        raise ValueError(f"condition {integral[0]!r} of {problem.name} is an integral condition (one row for all its "
                         f"nodes); batched ensembles cannot split it between members — train the members one by one")
    for name, x in points.items():
        r = term_residual(problem, model, name, x, params[name])
        rm = r.reshape(members, -1, r.shape[1])
        if name == "residual" and residual_loss is not mean_square:
            xm = x.reshape(members, -1, x.shape[1])
            terms[name] = torch.stack([residual_loss(xm[i], rm[i]) for i in range(members)])
        else:
            terms[name] = (rm**2).sum(dim=2).mean(dim=1)
    return terms


class CausalResidual:
    """Causal weighting of the temporal residual (Wang, Sankaran & Perdikaris, "Respecting
    causality for training physics-informed neural networks", CMAME 421, 2024;
    arXiv 2203.07404, §3 and Algorithm 1). A stateful ``residual_loss`` for ``train``.

    Interior points are binned into ``num_slices`` equal time slices of ``[t0, t1]``
    (time is the last column); with ``L_r(t_i)`` the mean squared residual of slice i,

        L_r = (1/N_t) Σ_i w_i L_r(t_i),   w_1 = 1,   w_i = exp(−ε Σ_{k<i} L_r(t_k)),

    the weights held constant (stop-gradient), so a later time only counts once every
    earlier one is resolved. ε is annealed over ``epsilons`` (paper: 1e-2, 1e-1, 1, 1e1,
    1e2): after a call in which ``min_i w_i > delta`` (paper: δ = 0.99) — or after
    ``max_calls`` calls at the current ε, if given — ε moves to the next value; once that
    holds at the last ε, ``converged`` is True (the paper's stopping/convergence test).
    Slices without points are left out of the mean. The paper samples a fixed grid of
    times; binning random points (as the authors' jaxpi code does with sorted times) is
    the same estimator.

    State for logging and plots: ``epsilon``, ``weights`` (N_t,), ``slice_losses`` L_r(t_i)
    (N_t,), ``slice_centers`` (N_t,), ``min_weight``, ``converged``, ``transitions``
    [(call, ε_old → ε_new)], ``calls``. :meth:`reset` restores the initial state.

    Patent notice: the authors' repository (PredictiveIntelligenceLab/CausalPINNs, licence
    CC BY-NC-SA 4.0) states that the causal training algorithm "cannot be used for
    commercial purposes (protected by a patent at the University of Pennsylvania)". This
    implementation follows the paper; check that notice before any commercial use.
    """

    def __init__(self, t_range: tuple[float, float], num_slices: int = 32,
                 epsilons: tuple[float, ...] = (1e-2, 1e-1, 1.0, 1e1, 1e2), delta: float = 0.99,
                 max_calls: int | None = None):
        t0, t1 = (float(v) for v in t_range)
        if not t1 > t0:
            raise ValueError(f"t_range must have t0 < t1; got {t_range}")
        if isinstance(num_slices, bool) or not isinstance(num_slices, int) or num_slices < 1:
            raise ValueError(f"num_slices must be a positive integer; got {num_slices!r}")
        eps = tuple(float(e) for e in epsilons)
        if not eps or any(not e > 0 for e in eps):
            raise ValueError(f"epsilons must be positive numbers; got {epsilons}")
        if not 0 < delta < 1:
            raise ValueError(f"delta must lie in (0, 1); got {delta}")
        if max_calls is not None and (not isinstance(max_calls, int) or max_calls < 1):
            raise ValueError(f"max_calls must be a positive integer or None; got {max_calls!r}")
        self.t0, self.t1, self.num_slices = t0, t1, num_slices
        self.epsilons, self.delta, self.max_calls = eps, float(delta), max_calls
        edges = torch.linspace(t0, t1, num_slices + 1, dtype=torch.float64)
        self.slice_centers = ((edges[1:] + edges[:-1]) / 2).numpy()
        self.reset()

    @classmethod
    def for_problem(cls, problem: Problem, **kwargs) -> "CausalResidual":
        """Slices over the time range of ``problem``'s domain."""
        if not problem.domain.is_time_dependent:
            raise ValueError(f"{problem.name} is not time-dependent; causal weighting needs a 't' coordinate")
        return cls((problem.domain.low[-1], problem.domain.high[-1]), **kwargs)

    def reset(self) -> None:
        self.stage, self.calls, self._stage_calls = 0, 0, 0
        self.weights = np.ones(self.num_slices)
        self.slice_losses = np.zeros(self.num_slices)
        self.converged = False
        self.transitions: list[tuple[int, float, float]] = []

    @property
    def epsilon(self) -> float:
        return self.epsilons[self.stage]

    @property
    def min_weight(self) -> float:
        return float(self.weights.min())

    def slice_index(self, t: torch.Tensor) -> torch.Tensor:
        """Slice of each time ``t: (N,)`` -> ``(N,)`` long in ``[0, num_slices)``."""
        i = torch.floor((t - self.t0) / (self.t1 - self.t0) * self.num_slices).long()
        return i.clamp(0, self.num_slices - 1)

    def slice_means(self, x: torch.Tensor, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_r(t_i) (N_t,), count_i (N_t,))`` from ``x: (N, d)``, ``r: (N, k)`` (with graph)."""
        if x.ndim != 2 or r.ndim != 2 or len(x) != len(r):
            raise ValueError(f"CausalResidual expects x: (N, d), r: (N, k); got {tuple(x.shape)}, {tuple(r.shape)}")
        idx = self.slice_index(x[:, -1].detach())
        sq = (r**2).sum(dim=1)
        sums = torch.zeros(self.num_slices, dtype=sq.dtype).index_add(0, idx, sq)
        counts = torch.bincount(idx, minlength=self.num_slices).to(sq.dtype)
        return sums / counts.clamp(min=1), counts

    def __call__(self, x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        L, counts = self.slice_means(x, r)
        present = counts > 0
        with torch.no_grad():
            cum = torch.cumsum(L.detach(), 0) - L.detach()  # Σ_{k<i} L_r(t_k): strictly lower-triangular sum
            w = torch.exp(-self.epsilon * cum)
        loss = (w * L)[present].mean()
        self.weights = w.double().numpy()
        self.slice_losses = L.detach().double().numpy()
        self.calls += 1
        self._stage_calls += 1
        self._advance(float(w[present].min()))
        return loss

    def _advance(self, min_w: float) -> None:
        done = min_w > self.delta or (self.max_calls is not None and self._stage_calls >= self.max_calls)
        if not done:
            return
        if self.stage + 1 < len(self.epsilons):
            old = self.epsilon
            self.stage += 1
            self._stage_calls = 0
            self.transitions.append((self.calls, old, self.epsilon))
        elif min_w > self.delta:
            self.converged = True

    def __repr__(self):
        return (f"CausalResidual(num_slices={self.num_slices}, epsilon={self.epsilon:g}, "
                f"min_weight={self.min_weight:.3f}, converged={self.converged})")
