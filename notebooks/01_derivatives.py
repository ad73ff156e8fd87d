# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Derivatives are the PDE
#
# **Learning goals.** After this lesson you can
# 1. compute the input derivatives a residual needs in three ways — nested reverse-mode autograd, pinnkit's
#    Taylor-mode engines, and finite differences — and check each against a closed form;
# 2. explain the U-shaped error of a finite difference against its step $h$: truncation falls like $h^2$,
#    round-off grows like $\varepsilon/h^k$, and float32's $\varepsilon$ puts the bottom of the U high;
# 3. say what each extra derivative order costs with nested autograd, and why a PINN needs exact derivatives.
#
# **Why this matters.** The loss of a PINN is the mean square of a residual such as $u_t - \kappa u_{xx}$ at
# collocation points: the derivatives *are* the equation. An error in $u_{xx}$ is an error in the PDE being solved.
#
# **Three ways to differentiate** a network $u_\theta(x, t)$:
# * **nested reverse mode** (`torch.autograd.grad(u, x, create_graph=True)`, then the same on $u_x$): exact up to
#   round-off; each order is one more backward pass through a graph that grows with the order;
# * **Taylor mode** (pinnkit's `engine="taylor"`, `"taylor-fused"`): the forward pass carries the jet
#   $(a, \partial_i a, \partial_{ij} a)$ of every layer, with $z_i = W a_i$, $z_{ij} = W a_{ij}$ through a linear layer
#   and $y_i = \sigma'(z) z_i$, $y_{ij} = \sigma'(z) z_{ij} + \sigma''(z) z_i z_j$ through an activation (Griewank &
#   Walther 2008, ch. 13) — also exact up to round-off (method page: `docs/methods/taylor-mode-engines.md`);
# * **central finite differences**
#   $$D_h u = \frac{u(x+h)-u(x-h)}{2h} = u' + \frac{h^2}{6}u''' + O(h^4),\qquad
#     D^2_h u = \frac{u(x+h)-2u(x)+u(x-h)}{h^2} = u'' + \frac{h^2}{12}u'''' + O(h^4).$$
#   Each value of $u$ carries a relative rounding error $\sim\varepsilon$ (float32: $\varepsilon = 2^{-23}\approx
#   1.2\times10^{-7}$; float64: $2^{-52}\approx 2.2\times10^{-16}$), which the division by $h^k$ amplifies. The total
#   error $\approx C_1 h^2 + C_2\,\varepsilon/h^k$ is smallest near $h^\* \sim \varepsilon^{1/(k+2)}$, where it is
#   $\sim\varepsilon^{2/(k+2)}$.
#
# **The closed forms.** $u(x,t) = \sin x\,e^{-t}$, with $u_x = \cos x\,e^{-t}$, $u_{xx} = -\sin x\,e^{-t}$; and a
# one-hidden-layer network $u = \sum_k a_k \tanh(W_k\cdot x + b_k)$, with $u_{x_i} = \sum_k a_k W_{ki}\tanh'(z_k)$ and
# $u_{x_ix_j} = \sum_k a_k W_{ki}W_{kj}\tanh''(z_k)$.

# %% tags=["parameters"]
width: int = 32  # neurons per hidden layer of the test network
depth: int = 3  # hidden layers of the test network
points: int = 256  # evaluation points
seeds: int = 3  # network seeds for the claim
max_order: int = 4  # highest derivative order timed
repeats: int = 20  # timing repeats (best of)
timing_points: int = 2000  # points of the timing runs

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # tests only: a smoke run (the lesson needs the full budget)
    seeds, repeats, timing_points = 1, 3, 500
print(f"quick mode: {QUICK}; {seeds} seed(s), best of {repeats} timings")

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit.course import lesson01 as L
from pinnkit.report import Claim, fmt, paper_table, summary, verdict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
steps_h = [10.0 ** (-k / 4) for k in range(0, 33)]  # h from 1 down to 1e-8

# %% [markdown]
# ## 1. Closed form first: $u = \sin x\, e^{-t}$
#
# Autograd differentiates the torch expression; we compare it and the finite differences with the formulas above.

# %%
x = torch.tensor([[1.0, 0.5]], dtype=torch.float64, requires_grad=True)
u = L.u_closed(x)
(g,) = torch.autograd.grad(u.sum(), x, create_graph=True)
(gg,) = torch.autograd.grad(g[:, 0].sum(), x)
exact = L.u_closed_derivatives(x.detach())
print(f"autograd u_x  = {g[0, 0].item():.16f}, closed form {exact['x'].item():.16f}")
print(f"autograd u_xx = {gg[0, 0].item():.16f}, closed form {exact['xx'].item():.16f}")
print(f"FD (h = 1e-3) u_xx = {L.fd_central(L.u_closed, x.detach(), 1e-3, order=2).item():.16f}")

# %% [markdown]
# ## 2. The step size: truncation against round-off
#
# The maximum relative error over 64 points of $[0.5, 2]\times[0,1]$, for every $h$ from $1$ to $10^{-8}$, in both
# precisions, for the first and the second derivative in $x$.

# %%
sweeps = {(dt, k): L.fd_sweep(steps_h, dt, order=k) for dt in ("float32", "float64") for k in (1, 2)}
best = {key: min(s.items(), key=lambda kv: kv[1]) for key, s in sweeps.items()}
display(Markdown(paper_table(
    [{"dtype": dt, "derivative": "u_x" if k == 1 else "u_xx", "best h": h, "best error": e,
      "ε^(1/(k+2))": L.machine_epsilon(dt) ** (1 / (k + 2)), "ε^(2/(k+2))": L.machine_epsilon(dt) ** (2 / (k + 2))}
     for (dt, k), (h, e) in best.items()],
    columns=("dtype", "derivative", "best h", "best error", "ε^(1/(k+2))", "ε^(2/(k+2))"))))
fig, ax = plt.subplots(figsize=(6.5, 3.2), constrained_layout=True)
for (dt, k), s in sweeps.items():
    ax.loglog(list(s), [max(v, 1e-17) for v in s.values()], "-" if dt == "float32" else "--",
              label=f"{dt}, {'u_x' if k == 1 else 'u_xx'}")
ax.set_xlabel("step h"), ax.set_ylabel("max relative error"), ax.legend(fontsize=8), ax.invert_xaxis()
plt.show()
best_fd = {dt: best[(dt, 1)][1] for dt in ("float32", "float64")}

# %% [markdown]
# Read right to left (smaller $h$): the error first falls like $h^2$ (truncation), then rises like $\varepsilon/h$ or
# $\varepsilon/h^2$ (round-off). In float32 the best first derivative is only good to about five digits, the best
# second derivative to about four — and a PINN's residual needs the second.
#
# ## 3. A network: nested autograd, Taylor mode, finite differences
#
# First the one-hidden-layer network, whose derivatives have a closed form; then a pinnkit `MLP`
# ($3\times32$, tanh), where the float64 nested-autograd result is the reference.

# %%
net, xs, exact_net = L.network_closed_form()
na = L.nested_autograd(net, xs, order=2)
tj = L.taylor_derivatives(net, xs)
closed_rows = [{"method": "nested autograd", "max |u_xx − closed form|": float((na[2].detach() - exact_net["xx"]).abs().max())},
               {"method": "Taylor engine", "max |u_xx − closed form|": float((tj["xx"].detach() - exact_net["xx"]).abs().max()),
                "max |u_xt − closed form|": float((tj["xt"].detach() - exact_net["xt"]).abs().max())}]
display(Markdown(paper_table(closed_rows, columns=("method", "max |u_xx − closed form|", "max |u_xt − closed form|"))))
closed_err = max(v for r in closed_rows for k, v in r.items() if k != "method")


def network_errors(seed):
    """Relative max error of u_xx of a 3×32 MLP by each method, against float64 nested autograd."""
    ref_net = L.small_network(width, depth, seed=seed, dtype="float64")
    xe = L._points(points, "float64", seed=seed + 1)
    ref = L.nested_autograd(ref_net, xe, 2)[2].detach()
    scale = float(ref.abs().max())
    out = {}
    for dt in ("float32", "float64"):
        m = L.small_network(width, depth, seed=seed, dtype=dt)
        xd = xe.to(getattr(torch, dt))
        err = lambda v: float((v.detach().double() - ref).abs().max()) / scale
        out[(dt, "nested autograd")] = err(L.nested_autograd(m, xd, 2)[2])
        out[(dt, "Taylor engine")] = err(L.taylor_derivatives(m, xd)["xx"])
        out[(dt, "Taylor engine (fused)")] = err(L.taylor_derivatives(m, xd, "taylor-fused")["xx"])
        with torch.no_grad():
            fd = {h: err(L.fd_central(m, xd, h, order=2)) for h in steps_h[:20]}
        out[(dt, "best central FD")] = min(fd.values())
        out[(dt, "best FD step")] = min(fd, key=fd.get)
    return out


per_seed = [network_errors(s) for s in range(seeds)]
methods = ("nested autograd", "Taylor engine", "Taylor engine (fused)", "best central FD")
display(Markdown(paper_table(
    [{"method": m, **{dt: fmt([r[(dt, m)] for r in per_seed]) for dt in ("float32", "float64")}} for m in methods],
    columns=("method", "float32", "float64"))))
print("best FD step per seed (float32):", [f"{r[('float32', 'best FD step')]:.2g}" for r in per_seed])

# %% [markdown]
# ## 4. What a derivative order costs (nested autograd)
#
# The time to compute $\partial_x^k u$ *and* the weight gradient of its mean square — what a training step does —
# for the $3\times32$ network on 2000 points, best of 20.

# %%
model = L.small_network(width, depth, seed=0, dtype="float32")
cost = L.cost_per_order(model, L._points(timing_points, "float32"), max_order=max_order, repeats=repeats)
display(Markdown(paper_table([{"order k": k, "ms": 1e3 * s, "× order 0": s / cost[0]} for k, s in cost.items()],
                             columns=("order k", "ms", "× order 0"))))
growth = [cost[k + 1] / cost[k] for k in range(max_order)]
print("time ratio from one order to the next:", ", ".join(f"{g:.2f}" for g in growth))

# %% [markdown]
# Each order costs roughly twice the one before: the backward pass of order $k$ runs through the graph of every
# order below it. This is why residuals of order two dominate a PINN's step time, and why pinnkit offers Taylor
# engines that carry the second order in the forward pass (which wins depends on the problem:
# `benchmarks/RESULTS.md`).
#
# ## 5. Break it, fix it — live
#
# The second derivative $u_{xx}$ of the $3\times32$ network along $t = 0$. *Break it*: finite differences — make $h$
# small in float32 and watch round-off take over, or large and watch truncation smooth the curve. *Fix it*: the
# Taylor engine, exact up to round-off at any precision.

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit_widgets import setup

setup()
method = pn.widgets.RadioButtonGroup(name="method", options=["break it: finite differences", "fix it: Taylor engine"],
                                     value="break it: finite differences")
step = pn.widgets.DiscreteSlider(name="step h", options=[1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4], value=1e-3)
precision = pn.widgets.RadioButtonGroup(name="dtype", options=["float32", "float64"], value="float32")
line = torch.stack([torch.linspace(-1, 1, 400, dtype=torch.float64), torch.zeros(400, dtype=torch.float64)], 1)
line_ref = L.nested_autograd(L.small_network(width, depth, seed=0, dtype="float64"), line, 2)[2].detach()[:, 0]


def live_derivative(which, h, dt):
    m = L.small_network(width, depth, seed=0, dtype=dt)
    xl = line.to(getattr(torch, dt))
    if which.startswith("fix"):
        got = L.taylor_derivatives(m, xl)["xx"].detach().double()[:, 0]
    else:
        with torch.no_grad():
            got = L.fd_central(m, xl, h, order=2).double()[:, 0]
    err = float((got - line_ref).abs().max() / line_ref.abs().max())
    fig, ax = plt.subplots(figsize=(6.5, 2.6), constrained_layout=True)
    ax.plot(line[:, 0], line_ref, "k", lw=2, label="u_xx (float64 nested autograd)")
    ax.plot(line[:, 0], got, "--", label=f"{which.split(': ')[1]}, {dt}: max rel. error {err:.1e}")
    ax.set_xlabel("x (t = 0)"), ax.legend(fontsize=8)
    plt.close(fig)
    return pn.pane.Matplotlib(fig, tight=True, dpi=80)


live_view = pn.Column(pn.Row(method, precision), step, pn.bind(live_derivative, method, step, precision))
live_view

# %% [markdown]
# ## Exercises
#
# **E1.** $u_{xx}$ of $u = \sin x\, e^{-t}$ at $(x, t) = (1, 0.5)$ (a number).

# %%
answer_uxx = ...  # your answer

# %% tags=["solution"]
answer_uxx = -math.sin(1.0) * math.exp(-0.5)

# %%
L.check_second_derivative(answer_uxx, x=1.0, t=0.5)

# %% [markdown]
# **E2.** The step $h$ that balances truncation ($\sim h^2$) against round-off ($\sim\varepsilon/h$) for the central
# first difference in float32 (a number; within a factor of 3 counts). Compare with the bottom of the curve in
# section 2.

# %%
answer_best_step = ...  # your answer

# %% tags=["solution"]
answer_best_step = np.finfo(np.float32).eps ** (1 / 3)

# %%
L.check_best_step(answer_best_step, dtype="float32", order=1)

# %% [markdown]
# **E3.** How many nested `torch.autograd.grad` calls does $\partial^4 u/\partial x^4$ take?

# %%
answer_grad_calls = ...  # your answer

# %% tags=["solution"]
answer_grad_calls = 4

# %%
L.check_grad_calls(answer_grad_calls, order=4)

# %% [markdown]
# **E4.** Which precision reached the smaller *best* finite-difference error for $u_x$: `"float32"` or `"float64"`?

# %%
answer_best_dtype = ...  # your answer

# %% tags=["solution"]
answer_best_dtype = min(best_fd, key=best_fd.get)

# %%
L.check_best_dtype(answer_best_dtype, best_fd)

# %% [markdown]
# ## The claim, on the recorded numbers

# %%
checks = [L.check_second_derivative(answer_uxx), L.check_best_step(answer_best_step, "float32", 1),
          L.check_grad_calls(answer_grad_calls, 4), L.check_best_dtype(answer_best_dtype, best_fd)]
ratio = [r[("float32", "best central FD")] / r[("float32", "Taylor engine")] for r in per_seed]
taylor64 = [r[("float64", "Taylor engine")] for r in per_seed]
claim = Claim(paper="Griewank & Walther 2008 (Taylor mode); Baydin et al. 2018 (AD vs FD)",
              claim=f"for a {depth}×{width} tanh MLP in float32, the best central finite difference of u_xx (best h) "
                    f"is ≥ 100× further from the float64 result than pinnkit's Taylor engine, which agrees with "
                    f"nested autograd to round-off (values: the ratio, per network seed)",
              values=ratio, seeds=seeds, budget=f"{points} points, h from 1 to 1e-8 (x10^(1/4) apart)",
              wall_seconds=time.perf_counter() - WALL0,
              verdict=verdict(direction=bool(np.median(ratio) > 1), magnitude=bool(min(ratio) >= 100)))
numbers = record("01_derivatives", seeds=seeds,
                 fd_best_error_ux={dt: best[(dt, 1)][1] for dt in ("float32", "float64")},
                 fd_best_step_ux={dt: best[(dt, 1)][0] for dt in ("float32", "float64")},
                 fd_best_error_uxx={dt: best[(dt, 2)][1] for dt in ("float32", "float64")},
                 closed_form_error=closed_err,
                 taylor_error_float32=summary([r[("float32", "Taylor engine")] for r in per_seed]),
                 taylor_error_float64=summary(taylor64),
                 fd_best_error_network_float32=summary([r[("float32", "best central FD")] for r in per_seed]),
                 cost_ms={str(k): 1e3 * s for k, s in cost.items()}, checks=[c.ok for c in checks],
                 wall_seconds=time.perf_counter() - WALL0, claims=[claim])
print(f"claim {claim.verdict}: best FD / Taylor error (float32) = {np.median(ratio):.0f}× (median of {seeds})")
assert all(checks), checks
assert closed_err < 1e-12, closed_err  # both exact methods meet the closed form to round-off (float64)
assert max(taylor64) < 1e-12, taylor64
assert best[("float32", 1)][1] > 1e3 * best[("float64", 1)][1], best
assert claim.verdict == "reproduced", claim

# %% [markdown]
# **Measured (full mode, one thread on a shared 2-core CPU).** Closed form $\sin x\,e^{-t}$: the best
# central first difference is off by 1.1e-5 in float32 (at $h$ = 5.6e-3; $\varepsilon^{1/3}$ = 4.9e-3) and 1.9e-11 in
# float64; the best second difference by 1.7e-4 (float32) and 9.5e-9 (float64). On the one-hidden-layer network, nested
# autograd and the Taylor engine meet the closed form to 6e-17. On the $3\times32$ MLP (seeds 0–2), against float64
# nested autograd, $u_{xx}$ in float32 is off by 4.0e-7 [2.7e-7, 5.4e-7] with the Taylor engine, 3.9e-7 with nested
# autograd, and 1.1e-3 [1.0e-3, 1.8e-3] with the best central difference (at $h \approx$ 0.06–0.1): a ratio of
# 3300× (claim: ≥ 100×). In float64 the Taylor engine agrees with nested autograd to 8.9e-16. Cost with nested autograd,
# orders 0–4: 1.2, 2.1, 4.0, 9.5, 23 ms (about ×2 per order). The whole notebook ran in 23 s wall.
#
# **Going deeper.** Gallery [12 · ill-conditioning](../gallery/12_ill_conditioning.ipynb) shows what the second
# derivative does to the conditioning of a PINN's loss; `benchmarks/RESULTS.md` times the Taylor engines against
# reverse mode in training. Try: `depth = 6`; the live view at h = 3e-2 in float64 (truncation) and h = 1e-4 in
# float32 (round-off); `max_order = 6`.
