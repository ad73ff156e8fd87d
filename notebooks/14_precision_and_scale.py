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
# # 14 · (optional) Precision and scale: float32 against float64, and what a Laplacian costs in d dimensions
#
# **Learning goals.** After this lesson you can
# 1. say what float32 can and cannot resolve (machine epsilon, the best finite-difference step);
# 2. test whether a PINN's error floor moves when only the precision changes — and find which limit you hit;
# 3. predict how the cost of an exact Laplacian grows with the dimension $d$, and why that matters for
#    high-dimensional PDEs.
#
# **Rounding.** A floating-point number carries $p$ bits after the binary point ($p = 23$ in float32, $52$ in float64);
# the spacing above 1 is $\varepsilon = 2^{-p}$. The central difference
# $$D_h f(x) = \frac{f(x+h) - f(x-h)}{2h} = f'(x) + \frac{h^2}{6}f'''(x) + O\!\left(\frac{\varepsilon |f|}{h}\right)$$
# trades truncation ($\propto h^2$) against rounding ($\propto \varepsilon/h$): the best step is $h^\star \sim \varepsilon^{1/3}$
# and the best error $\sim\varepsilon^{2/3}$ — about $2\times10^{-5}$ in float32. Autograd derivatives have no step, so
# a PINN's floor in float32 is set elsewhere — by the loss's resolution and by L-BFGS's absolute stopping rules,
# which fire on rounding noise (Xu et al., "FP64 is all you need", arXiv 2505.10949;
# `docs/methods/lbfgs-and-precision.md`).
#
# **The Laplacian in $d$ dimensions.** Reverse mode gives the whole gradient $\nabla u$ in one backward pass, but
# $\Delta u = \sum_{i=1}^d \partial^2 u/\partial x_i^2$ needs one more pass *per coordinate* (each pass returns one
# row of the Hessian): $d + 1$ passes, and training differentiates all of them once more for the weights. The cost
# grows linearly in $d$ — for $d$ in the hundreds this dominates. (Taylor-mode engines and stochastic estimators
# attack this: `docs/methods/taylor-mode-engines.md`.)

# %% tags=["parameters"]
frequency: float = 1.0  # a in the Poisson solution sin(aπx)
width: int = 20  # neurons per hidden layer
depth: int = 3  # hidden layers
num_points: int = 1000  # collocation points (a grid)
iterations: int = 2000  # L-BFGS iteration cap per run
seeds: int = 3  # seeds per precision
dims: list = [2, 4, 8, 16, 32]  # dimensions of the Laplacian timing
lap_points: int = 256  # points of the Laplacian timing
compare_iterations: int = 500  # L-BFGS iterations per side of the live compare

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # tests only: a smoke run (the lesson needs the full budget)
    iterations, seeds, dims, lap_points, compare_iterations = 40, 1, [2, 8], 32, 20
print(f"quick mode: {QUICK}; {iterations} L-BFGS iterations, {seeds} seed(s)")

# %%
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.course import lesson14 as L
from pinnkit.report import Claim, fmt, paper_table, store_dir, summary, verdict

torch.set_num_threads(1)
WALL0 = time.perf_counter()

# %% [markdown]
# ## 1. What each precision resolves: the finite-difference V

# %%
hs = np.logspace(-12, -0.5, 60)
fd = {}
for dtype in (torch.float32, torch.float64):
    x = torch.tensor(1.0, dtype=dtype)
    h = torch.tensor(hs, dtype=dtype)
    d = (torch.sin(x + h) - torch.sin(x - h)) / (2 * h)
    fd[str(dtype).split(".")[-1]] = np.abs(d.double().numpy() - np.cos(1.0))
fig, ax = plt.subplots(figsize=(5.5, 3.2), constrained_layout=True)
for name, e in fd.items():
    ax.loglog(hs, np.maximum(e, 1e-18), label=name)
    eps = torch.finfo(getattr(torch, name)).eps
    ax.axvline(eps ** (1 / 3), ls=":", color=ax.lines[-1].get_color())
ax.set_xlabel("step h"), ax.set_ylabel("|D_h sin(1) − cos(1)|"), ax.legend()
plt.show()
best_h = {name: float(hs[np.argmin(e)]) for name, e in fd.items()}
best_err = {name: float(np.min(e)) for name, e in fd.items()}
print("measured best step:", {k: f"{v:.1e}" for k, v in best_h.items()}, "| best error:",
      {k: f"{v:.1e}" for k, v in best_err.items()},
      "| ε^(1/3):", {k: f"{torch.finfo(getattr(torch, k)).eps ** (1 / 3):.1e}" for k in fd})

# %% [markdown]
# ## 2. The same PINN in float32 and float64
#
# `poisson1d` ($-u'' = (a\pi)^2\sin a\pi x$, $a = 1$) with the walls built in (`hard=True`) on a grid of points,
# L-BFGS with tolerances far below float32's resolution
# (`tolerance_grad` $10^{-12}$, `tolerance_change` $10^{-15}$), so each run stops when its arithmetic does.

# %%
LBFGS = {"tolerance_grad": 1e-12, "tolerance_change": 1e-15, "history_size": 50}
base = RunConfig(problem="poisson1d", parameters={"a": frequency}, width=width, depth=depth, hard=True, sampler="grid",
                 num_points=num_points, condition_points=1, optimizer="lbfgs", lr=1.0, steps=iterations,
                 lbfgs_options=LBFGS, eval_every=max(iterations // 10, 1))
keys = [(dt, s) for dt in ("float32", "float64") for s in range(seeds)]
t0 = time.perf_counter()
result = sweep([base.replace(dtype=dt, seed=s) for dt, s in keys], store=store_dir(),
               executor=ThreadPoolExecutor(1) if QUICK else None)
sweep_seconds = time.perf_counter() - t0
errors = {dt: [] for dt in ("float32", "float64")}
used = {dt: [] for dt in ("float32", "float64")}
for (dt, s), r in zip(keys, result.runs):
    errors[dt].append(r.metrics["metric/rel_l2"])
    used[dt].append(int(r.metrics["step"]))
display(Markdown(paper_table([{"dtype": dt, "rel L2": fmt(errors[dt]), "iterations used": ", ".join(map(str, used[dt]))}
                              for dt in errors], columns=("dtype", "rel L2", "iterations used"))))

# %% [markdown]
# **Measured** (full budget, 2-core CPU, 3 seeds): float32 7.5e-7 [7.3e-7, 2.0e-6] after 134–166 iterations (rounding
# stopped each run), float64 5.7e-7 [3.2e-7, 7.3e-7] after 204, 2000 and 2000. Here float64 buys little: both sit
# near what this 3×20 network on 1000 points can do, and float32's resolution ($\varepsilon^{2/3}\approx 2\times10^{-5}$
# for a difference quotient, far finer for the loss itself) is not yet the limit. Precision becomes *the* limit
# when the target error approaches it — see gallery 04 for a case where the claim is that it decides the outcome.

# %% [markdown]
# ## 3. Break it, fix it — live
#
# Left: float32 (break it). Right: float64 (fix it). Watch where each run stops: float32 ends its L-BFGS phase
# after a hundred or so iterations, when rounding noise trips a stopping rule; float64 goes on. Raise the
# collocation points, or lower the width, and see which limit — precision or the network — is the one you hit.

# %% tags=["nbval-ignore-output"]
from pinnkit_widgets import Compare

cmp = Compare(base.replace(steps=compare_iterations, eval_every=max(compare_iterations // 10, 1)),
              a={"dtype": "float32"}, b={"dtype": "float64"}, labels=("break it: float32", "fix it: float64"))
cmp.train()  # in JupyterLab: returns at once; headless: trains to the end
cmp.panel

# %%
cmp.wait()
assert all(row["status"] == "completed" for row in cmp.final()), cmp.final()
live = {row["label"]: row["rel_l2"] for row in cmp.final()}
print(live)

# %% [markdown]
# ## 4. The cost of an exact Laplacian against the dimension
#
# A tanh MLP $\mathbb R^d\to\mathbb R$ (3×64), `lap_points` points: the time of $\Delta u$ and of one backward pass
# through it (what one training step needs), best of 3, and the number of autograd calls, counted.

# %%
costs = [L.laplacian_cost(d, num_points=lap_points) for d in dims]
display(Markdown(paper_table([{"d": c["d"], "autograd calls": c["backward_passes"], "seconds": c["seconds"],
                               "seconds / seconds at d = 2": c["seconds"] / costs[0]["seconds"]} for c in costs],
                             columns=("d", "autograd calls", "seconds", "seconds / seconds at d = 2"))))
fig, ax = plt.subplots(figsize=(4.5, 3), constrained_layout=True)
ax.loglog(dims, [c["seconds"] for c in costs], "o-", label="measured")
ax.loglog(dims, [costs[0]["seconds"] * d / dims[0] for d in dims], "k:", label="∝ d")
ax.set_xlabel("d"), ax.set_ylabel("seconds per Δu + backward"), ax.legend()
plt.show()

# %% [markdown]
# **Measured** (2-core CPU, 256 points, 3×64): 2.7 ms at d = 2, 4.6, 9.0, 16 and 34 ms at d = 4, 8, 16, 32 — twelve
# times the cost for sixteen times the dimension, the linear growth the count of autograd calls predicts.

# %% [markdown]
# ## Exercises
#
# **E1.** Machine epsilon of float32 (a number).

# %%
answer_epsilon = ...  # your answer

# %% tags=["solution"]
answer_epsilon = 2.0 ** -23

# %%
L.check_machine_epsilon(answer_epsilon, "float32")

# %% [markdown]
# **E2.** The best step $h$ of the central difference in float32 (within a factor of 3).

# %%
answer_fd_step = ...  # your answer

# %% tags=["solution"]
answer_fd_step = (2.0 ** -23) ** (1 / 3)

# %%
L.check_best_fd_step(answer_fd_step, "float32")

# %% [markdown]
# **E3.** How many autograd calls does the exact Laplacian need in $d = 100$ dimensions?

# %%
answer_calls = ...  # your answer

# %% tags=["solution"]
answer_calls = 100 + 1

# %%
L.check_backward_passes(answer_calls, d=100)

# %% [markdown]
# **E4.** Which precision reached the lower error in section 2: `"float32"` or `"float64"`?

# %%
medians = {dt: float(np.median(e)) for dt, e in errors.items()}
answer_precision = ...  # your answer

# %% tags=["solution"]
answer_precision = min(medians, key=medians.get)

# %%
L.check_precision_winner(answer_precision, medians)

# %% [markdown]
# ## The claim, on the recorded numbers

# %%
checks = [L.check_machine_epsilon(answer_epsilon, "float32"), L.check_best_fd_step(answer_fd_step, "float32"),
          L.check_backward_passes(answer_calls, d=100), L.check_precision_winner(answer_precision, medians)]
gain = [a / b for a, b in zip(errors["float32"], errors["float64"])]
pinn = Claim(paper="Xu et al. 2025, FP64 is all you need (arXiv 2505.10949)",
             claim=f"the same PINN (poisson1d, a = {frequency:g}, L-BFGS to tiny tolerances) reaches a lower relative L2 in "
                   f"float64 than in float32 for every seed, ≥ 3× in the median (values: float32 / float64, per seed)",
             values=gain, seeds=seeds, budget=f"≤ {iterations} L-BFGS iterations, {depth}×{width}, {num_points} points",
             wall_seconds=sweep_seconds, dtype="float32 and float64",
             verdict=verdict(direction=bool(min(gain) > 1), magnitude=bool(np.median(gain) >= 3)),
             note=f"float32 {fmt(errors['float32'])}, float64 {fmt(errors['float64'])}: at this size the network, not the "
                  "precision, is the limit (recorded, not asserted); gallery 04 tests the study's convection claim")
fd_gain = best_err["float32"] / best_err["float64"]
rounding = Claim(paper="rounding against truncation in a central difference (e.g. Higham 2002, §1.14)",
                 claim="the best central-difference error for sin'(1) is ≥ 1000× smaller in float64 than in float32, and "
                       "float32's best step lies within a factor 3 of ε^(1/3) (values: the ratio of the best errors)",
                 values=[fd_gain], seeds=[0], budget="60 steps h from 1e-12 to 0.3", dtype="float32 and float64",
                 verdict=verdict(direction=bool(fd_gain > 1),
                                 magnitude=bool(fd_gain >= 1000 and L.check_best_fd_step(best_h["float32"]).ok)),
                 note=f"best steps {best_h}; best errors {best_err}")
numbers = record("14_precision_and_scale", iterations=iterations, seeds=seeds,
                 errors={dt: summary(e) for dt, e in errors.items()}, iterations_used=used, best_fd_step=best_h,
                 laplacian={str(c["d"]): {"seconds": c["seconds"], "calls": c["backward_passes"]} for c in costs},
                 compare=live, checks=[c.ok for c in checks], wall_seconds=time.perf_counter() - WALL0,
                 claims=[rounding, pinn])
print(f"claim {rounding.verdict}: best FD error float32 / float64 = {fd_gain:.3g}")
print(f"claim {pinn.verdict}: PINN error float32 / float64 = {np.median(gain):.3g} (median over {seeds} seed(s))")
assert all(checks), checks
assert [c["backward_passes"] for c in costs] == [d + 1 for d in dims], costs
assert rounding.verdict == "reproduced", rounding  # arithmetic, not training: holds in quick mode too

# %% [markdown]
# **Going deeper.** Gallery [04 · float64](../gallery/04_float64.ipynb) tests whether float64 fixes the convection
# failure (Xu et al.); gallery [12 · ill-conditioning](../gallery/12_ill_conditioning.ipynb) measures the conditioning
# that makes precision matter. Try: `frequency = 8`, `tolerance_change = 1e-7`, `dims` up to 128.
