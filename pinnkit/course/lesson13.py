"""Lesson 13, eigenvalue problems and the ψ ≈ 0 collapse (``notebooks/13_eigenvalues.ipynb``):
a small self-contained eigen-PINN and the exercise checks.

The problem: the 1D infinite well, ``−ψ''/2 = E ψ`` on ``[0, 1]`` with ``ψ(0) = ψ(1) = 0``;
eigenpairs ``E_n = n²π²/2``, ``ψ_n = √2 sin nπx``. The network ``ψ(x) = x(1 − x)·N(x)``
satisfies the walls exactly; ``E`` is one trainable number. Losses, with
``r = −ψ''/2 − Eψ`` on the collocation points and ``‖ψ‖² = ∫ψ²`` (trapezoid on a grid):

- ``"residual"``: ``mean r²`` — ψ = 0 solves it for every E;
- ``"naive"``: ``mean r² + w (‖ψ‖² − 1)²`` — the normalisation only pushes back quadratically,
  while the residual keeps pulling ψ towards 0, where ``∂L/∂E = −2 mean(r ψ) → 0``;
- ``"scale_invariant"``: ``mean r² / ‖ψ‖² + w (‖ψ‖² − 1)²`` — the Rayleigh-quotient-like
  ratio does not fall when ψ shrinks, so it cannot be lowered by collapsing, and E keeps a
  gradient. (Jin, Mattheakis & Protopapas, "Physics-informed neural networks for quantum
  eigenvalue problems", IJCNN 2022, meet the same trivial solution and add penalty terms
  against it; the ratio here is a simpler, Rayleigh-quotient-like alternative.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import Result, check_choice, check_number

__all__ = ["LOSSES", "WellRun", "train_well", "exact_energy", "check_ground_energy", "check_energy_gradient_at_zero",
           "check_energy_ratio", "check_collapsing_loss"]

LOSSES = ("residual", "naive", "scale_invariant")


def exact_energy(n: int = 1) -> float:
    """``E_n = n²π²/2`` of the unit infinite well (ħ = m = 1)."""
    return n * n * math.pi ** 2 / 2


@dataclass
class WellRun:
    loss: str
    energy: list = field(default_factory=list)     # E every `log_every` steps
    norm: list = field(default_factory=list)       # ∫ψ² every `log_every` steps
    steps: list = field(default_factory=list)
    final_energy: float = math.nan
    final_norm: float = math.nan
    shape_error: float = math.nan                  # min over ± of ‖ψ/‖ψ‖ − ψ_1‖ / ‖ψ_1‖ (nan if ψ ≈ 0)
    model: nn.Module | None = None


class _Well(nn.Module):
    def __init__(self, width: int, depth: int, seed: int, energy: float):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        sizes = [1] + [width] * depth + [1]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = nn.Linear(a, b, dtype=torch.float64)
            nn.init.xavier_uniform_(lin.weight, generator=g)
            nn.init.zeros_(lin.bias)
            layers.append(lin)
            if i < len(sizes) - 2:
                layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        self.energy = nn.Parameter(torch.tensor(float(energy), dtype=torch.float64))

    def forward(self, x):
        return x * (1 - x) * self.net(2 * x - 1)


def train_well(loss: str = "naive", *, steps: int = 3000, energy0: float = 2.0, width: int = 16, depth: int = 2,
               num_points: int = 128, lr: float = 1e-3, energy_lr: float = 1e-2, weight: float = 10.0, seed: int = 0,
               log_every: int = 50) -> WellRun:
    """Train the eigen-PINN with one of :data:`LOSSES` (Adam, float64, fixed uniform points; the
    network at ``lr``, E at ``energy_lr``; ``weight`` multiplies the normalisation term)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    if steps < 1 or num_points < 2:
        raise ValueError(f"steps must be >= 1 and num_points >= 2; got {steps}, {num_points}")
    torch_gen = torch.Generator().manual_seed(seed + 1)
    x = torch.rand(num_points, 1, generator=torch_gen, dtype=torch.float64).requires_grad_(True)
    grid = torch.linspace(0, 1, 401, dtype=torch.float64).unsqueeze(1)
    model = _Well(width, depth, seed, energy0)
    opt = torch.optim.Adam([{"params": model.net.parameters(), "lr": lr},
                            {"params": [model.energy], "lr": energy_lr}])
    out = WellRun(loss)
    for step in range(steps + 1):
        psi = model(x)
        dpsi = torch.autograd.grad(psi.sum(), x, create_graph=True)[0]
        d2psi = torch.autograd.grad(dpsi.sum(), x, create_graph=True)[0]
        r = -0.5 * d2psi - model.energy * psi
        norm = torch.trapezoid(model(grid)[:, 0] ** 2, grid[:, 0])
        if loss == "residual":
            total = (r ** 2).mean()
        elif loss == "naive":
            total = (r ** 2).mean() + weight * (norm - 1) ** 2
        else:
            total = (r ** 2).mean() / norm + weight * (norm - 1) ** 2
        if step % log_every == 0 or step == steps:
            out.steps.append(step)
            out.energy.append(float(model.energy.detach()))
            out.norm.append(float(norm.detach()))
        if step == steps:
            break
        opt.zero_grad()
        total.backward()
        opt.step()
    with torch.no_grad():
        u = model(grid)[:, 0].numpy()
    xs = grid[:, 0].numpy()
    exact = math.sqrt(2) * np.sin(math.pi * xs)
    n = float(np.sqrt(np.trapezoid(u ** 2, xs)))
    out.final_energy, out.final_norm, out.model = float(model.energy.detach()), n ** 2, model
    if n > 1e-3:
        out.shape_error = float(min(np.linalg.norm(s * u / n - exact) for s in (1, -1)) / np.linalg.norm(exact))
    return out


def check_ground_energy(answer) -> Result:
    """``E_1 = π²/2`` (closed form)."""
    return check_number(answer, exact_energy(1), name="ground-state energy E₁", rtol=0.01,
                        hint="put ψ = sin(πx) into −ψ''/2 = Eψ: ψ'' = −π² ψ.")


def check_energy_gradient_at_zero(answer) -> Result:
    """``∂/∂E mean((−ψ''/2 − Eψ)²) = −2 mean(rψ)``, measured by autograd at ψ ≡ 0."""
    e = torch.tensor(3.0, requires_grad=True)
    psi = torch.zeros(16)
    r = 0.0 * psi - e * psi
    (g,) = torch.autograd.grad((r ** 2).mean(), e)
    return check_number(answer, float(g), name="∂L/∂E at ψ = 0", rtol=0.0, atol=1e-6,
                        hint="differentiate (−ψ''/2 − Eψ)² with respect to E: every term carries a factor ψ.")


def check_energy_ratio(answer, n: int = 2) -> Result:
    """``E_n / E_1 = n²``."""
    return check_number(answer, exact_energy(n) / exact_energy(1), name=f"E_{n} / E_1", rtol=0.01,
                        hint="E_n = n²π²/2: the π²/2 cancels.")


def check_collapsing_loss(answer, runs: dict) -> Result:
    """Which of the trained losses ended with the smallest ``∫ψ²`` (measured: ``runs`` maps a
    loss name to its :class:`WellRun`)."""
    if not runs:
        raise ValueError("collapsing loss: no runs given")
    worst = min(runs, key=lambda k: runs[k].final_norm)
    return check_choice(answer, worst, name="the loss that collapses", choices=list(runs),
                        hint="read the column ∫ψ² at the end: the collapse is ψ → 0.")
