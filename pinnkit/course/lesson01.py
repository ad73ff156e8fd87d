"""Checks and experiments for lesson 01, derivatives are the PDE (``notebooks/01_derivatives.ipynb``).

A PINN's residual is made of input derivatives of the network. The lesson computes them three
ways and measures each against a closed form:

- reverse-mode automatic differentiation, nested (``torch.autograd.grad`` of a derivative);
- pinnkit's Taylor-mode engines (a second-order jet propagated in the forward pass,
  :mod:`pinnkit.models.engines`; Griewank & Walther, *Evaluating Derivatives*, SIAM 2008, ch. 13);
- central finite differences, whose error is truncation ``O(h²)`` plus round-off ``O(ε/h^k)``
  for the ``k``-th derivative (ε the machine epsilon), so that there is a best step
  ``h* ~ ε^{1/(k+2)}`` and a best error ``~ ε^{2/(k+2)}``.
"""
from __future__ import annotations

import math
import time
from typing import Mapping, Sequence

import torch

from . import Result, check_choice, check_number, check_true

__all__ = ["u_closed", "u_closed_derivatives", "fd_central", "fd_sweep", "small_network", "nested_autograd",
           "taylor_derivatives", "network_closed_form", "cost_per_order", "machine_epsilon",
           "check_second_derivative", "check_best_step", "check_grad_calls", "check_best_dtype"]


def _dtype(dtype) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    table = {"float32": torch.float32, "float64": torch.float64}
    if dtype not in table:
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
    return table[dtype]


def machine_epsilon(dtype) -> float:
    """The spacing of floating-point numbers at 1: 2⁻²³ for float32, 2⁻⁵² for float64."""
    return float(torch.finfo(_dtype(dtype)).eps)


def u_closed(x: torch.Tensor) -> torch.Tensor:
    """The lesson's test function ``u(x, t) = sin(x)·exp(−t)`` on ``x: (N, 2)`` -> ``(N, 1)``."""
    return torch.sin(x[:, :1]) * torch.exp(-x[:, 1:2])


def u_closed_derivatives(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Closed forms: ``u_x = cos x e^{−t}``, ``u_xx = −sin x e^{−t}``, ``u_t = −u``, ``u_xt = −cos x e^{−t}``."""
    s, c, e = torch.sin(x[:, :1]), torch.cos(x[:, :1]), torch.exp(-x[:, 1:2])
    return {"x": c * e, "xx": -s * e, "t": -s * e, "xt": -c * e}


def fd_central(f, x: torch.Tensor, h: float, order: int = 1, axis: int = 0) -> torch.Tensor:
    """Central difference of ``f`` along ``axis``: order 1 ``(f(x+h) − f(x−h)) / 2h``, order 2
    ``(f(x+h) − 2f(x) + f(x−h)) / h²``; computed in the dtype of ``x``."""
    if order not in (1, 2):
        raise ValueError(f"fd_central: order must be 1 or 2; got {order!r}")
    if not (isinstance(h, (int, float)) and h > 0 and math.isfinite(h)):
        raise ValueError(f"fd_central: the step h must be a positive number; got {h!r}")
    step = torch.zeros_like(x)
    step[:, axis] = h
    hh = torch.as_tensor(h, dtype=x.dtype)
    if order == 1:
        return (f(x + step) - f(x - step)) / (2 * hh)
    return (f(x + step) - 2 * f(x) + f(x - step)) / hh ** 2


def fd_sweep(steps: Sequence[float], dtype="float32", order: int = 1, points: int = 64,
             seed: int = 0) -> dict[float, float]:
    """Max relative error of the central difference of ``u_closed`` along x against its closed
    form, for each step ``h``: ``{h: error}``. Points in ``[0.5, 2] × [0, 1]``."""
    dt = _dtype(dtype)
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(points, 2, generator=g, dtype=torch.float64) * torch.tensor([1.5, 1.0], dtype=torch.float64)
         + torch.tensor([0.5, 0.0], dtype=torch.float64))
    exact = u_closed_derivatives(x)["x" if order == 1 else "xx"]
    out = {}
    for h in steps:
        got = fd_central(u_closed, x.to(dt), float(h), order).double()
        out[float(h)] = float((got - exact).abs().max() / exact.abs().max())
    return out


def small_network(width: int = 32, depth: int = 3, seed: int = 0, dtype="float64"):
    """A pinnkit tanh MLP with inputs (x, t), in ``dtype``."""
    from ..models import MLP

    return MLP(2, 1, width, depth, seed=seed).to(_dtype(dtype))


def _points(n: int, dtype, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, generator=g, dtype=torch.float64) * 2 - 1).to(_dtype(dtype))


def nested_autograd(model, x: torch.Tensor, order: int = 2, axis: int = 0) -> list[torch.Tensor]:
    """``[u, ∂u, ∂²u, …]`` along ``axis`` by nested reverse mode: each derivative is one more
    ``autograd.grad`` (with ``create_graph``) of the previous one."""
    x = x.detach().requires_grad_(True)
    out = [model(x)]
    for _ in range(order):
        (g,) = torch.autograd.grad(out[-1].sum(), x, create_graph=True)
        out.append(g[:, axis:axis + 1])
    return out


def taylor_derivatives(model, x: torch.Tensor, engine: str = "taylor") -> dict[str, torch.Tensor]:
    """``u_x``, ``u_t``, ``u_xx``, ``u_xt``, ``u_tt`` from pinnkit's Taylor engine (the jet the forward pass carries)."""
    from ..models.engines import Taylor
    from ..problems import Derivatives
    from ..problems.jets import jet_of

    eng = Taylor(pairs=((0, 0), (0, 1), (1, 1)), fused=engine == "taylor-fused")
    wrapped = eng.wrap(model)
    x = x.detach().requires_grad_(True)
    u = wrapped(x)
    if engine == "taylor-fused":  # the first call confirms the pairs; the second is the fused one
        u = wrapped(x)
    if jet_of(u, x) is None:
        raise RuntimeError(f"the {engine} engine produced no jet for {type(model).__name__}")
    D = Derivatives(x, ("x", "t"))
    return {s: D(u, s) for s in ("x", "t", "xx", "xt", "tt")}


def network_closed_form(width: int = 16, seed: int = 0, n: int = 256):
    """A one-hidden-layer network ``u = a·tanh(Wx + b)`` (float64), points, and its derivatives in
    closed form: ``u_i = Σ a_k W_ki tanh'(z_k)``, ``u_ii = Σ a_k W_ki² tanh''(z_k)``."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.Tanh(), torch.nn.Linear(width, 1)).double()
    x = _points(n, "float64", seed + 1)
    W, b, a = net[0].weight.detach(), net[0].bias.detach(), net[2].weight.detach()[0]
    y = torch.tanh(x @ W.T + b)
    s1, s2 = 1 - y ** 2, -2 * y * (1 - y ** 2)
    exact = {"x": (s1 * a * W[:, 0]).sum(1, keepdim=True), "t": (s1 * a * W[:, 1]).sum(1, keepdim=True),
             "xx": (s2 * a * W[:, 0] ** 2).sum(1, keepdim=True), "xt": (s2 * a * W[:, 0] * W[:, 1]).sum(1, keepdim=True),
             "tt": (s2 * a * W[:, 1] ** 2).sum(1, keepdim=True)}
    return net, x, exact


def cost_per_order(model, x: torch.Tensor, max_order: int = 4, repeats: int = 5) -> dict[int, float]:
    """Seconds (best of ``repeats``) to compute ``∂^k u/∂x^k`` by nested autograd *and* the
    weight gradient of its mean square, as a training step does, for k = 0 … ``max_order``."""
    out = {}
    params = [p for p in model.parameters() if p.requires_grad]
    for k in range(max_order + 1):
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            d = nested_autograd(model, x, order=k)[-1]
            torch.autograd.grad((d ** 2).mean(), params, allow_unused=True)
            best = min(best, time.perf_counter() - t0)
        out[k] = best
    return out


# --- exercise checks -------------------------------------------------------------------------
def check_second_derivative(answer, x: float = 1.0, t: float = 0.5) -> Result:
    """``u_xx`` of ``u = sin(x)·exp(−t)`` at ``(x, t)``: ``−sin(x)·exp(−t)``."""
    return check_number(answer, -math.sin(x) * math.exp(-t), name=f"u_xx at (x, t) = ({x:g}, {t:g})", rtol=1e-3,
                        hint="differentiate sin x twice in x (the sign!); exp(−t) is a constant factor in x.")


def check_best_step(answer, dtype="float32", order: int = 1) -> Result:
    """The step that balances truncation ``~h²`` against round-off ``~ε/h^k`` for the ``k``-th
    central difference: ``h* ~ ε^{1/(k+2)}``. Right within a factor of 3 (constants are of order 1)."""
    if answer is None or answer is Ellipsis:
        raise ValueError("best step h: no answer yet — replace the ... with your answer")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Result(False, "best step h", f"the answer should be a number, got {answer!r}")
    expected = machine_epsilon(dtype) ** (1.0 / (order + 2))
    ok = math.isfinite(value) and value > 0 and abs(math.log(value / expected)) <= math.log(3.0)
    return check_true(ok, name="best step h",
                      right=f"{value:.3g} (ε^(1/{order + 2}) = {expected:.3g} for {dtype}; within a factor of 3)",
                      wrong=f"{value:.3g} is not within a factor of 3 of the balance point. Set truncation h² equal "
                            f"to round-off ε/h^{order} and solve for h, with ε = {machine_epsilon(dtype):.3g} "
                            f"({dtype}); then compare with the bottom of the U-shaped curve.")


def check_grad_calls(answer, order: int = 4) -> Result:
    """How many nested ``autograd.grad`` calls give the ``order``-th derivative in one variable: ``order``."""
    return check_number(answer, order, name=f"autograd.grad calls for derivative order {order}", rtol=0.0,
                        atol=0.25, hint="each call differentiates the previous result once; count the calls in "
                                        "nested_autograd for one more order each time.")


def check_best_dtype(answer, best_errors: Mapping[str, float]) -> Result:
    """Which dtype reached the smaller best finite-difference error (``best_errors``: dtype → error, measured)."""
    if not best_errors:
        raise ValueError("best dtype: no measured errors given")
    best = min(best_errors, key=best_errors.get)
    return check_choice(answer, best, name="dtype with the smaller best FD error", choices=list(best_errors),
                        hint="read the 'best error' column of the step-size table (the minimum over h, not at one h).")
