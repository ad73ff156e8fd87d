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
# # Failure modes of PINNs: convection and reaction (Krishnapriyan et al. 2021)
#
# **Question.** A plain PINN learns u_t + β u_x = 0 for small β and fails for large β, even
# though the network can represent the solution. Is the failure in the optimisation rather than
# the network? Do the two fixes of Krishnapriyan et al. (NeurIPS 2021) — **curriculum
# regularisation** and **sequence-to-sequence time marching** — repair it, and what does
# **float64** change (Xu et al., "FP64 is all you need")?
#
# **PDEs** (x ∈ [0, 2π), t ∈ [0, 1], periodic in x):
#
# - convection u_t + β u_x = 0, u(x, 0) = sin x, exact u = sin(x − βt);
# - reaction u_t − ρ u(1 − u) = 0, u(x, 0) = h(x) = exp(−(x − π)²/(2(π/4)²)),
#   exact u = h e^{ρt}/(h e^{ρt} + 1 − h);
# - reaction–diffusion u_t − ν u_xx − ρ u(1 − u) = 0 (reference by Strang splitting).
#
# **Loss** (authors' code): L = mean|R|² + mean|u(x,0) − u₀|² + mean|u(0,t) − u(2π,t)|²
# (plus u_x periodicity when ν ≠ 0); 4×50 tanh; L-BFGS (lr 1, history 50, strong Wolfe,
# tolerance_change 1e-7 — the setting the FP64 study blames for float32 stopping early).
#
# **Curriculum regularisation**: train at an easy β, warm-start the next, up to the target
# (`pinnkit.training.strategies.curriculum`). **Seq2seq**: split [0, 1] into windows of Δt,
# train one network per window, the previous window's prediction at its end time being the
# next initial condition, with the same total number of collocation points
# (`pinnkit.training.strategies.seq2seq`).
#
# *Budget.* The paper runs L-BFGS until its tolerances stop it (up to 1e5 iterations) and
# averages ≥ 10 seeds; full mode here caps every run at `lbfgs_iters` iterations and uses
# `seeds` seeds, so each notebook runs in ~10 minutes on 2 CPU cores. Quick mode is a smoke
# test with a tiny network.

# %% tags=["parameters"]
width: int = 50  # hidden width (paper: 50)
depth: int = 4  # hidden layers (paper: 4)
num_points: int = 500  # collocation points for the whole domain (paper README: 1000)
lbfgs_iters: int = 150  # L-BFGS iterations per run, total (paper: until its tolerances stop it)
betas: list = [1.0, 10.0, 20.0, 30.0, 40.0]  # convection β sweep (paper Fig. 1)
target_beta: float = 30.0  # the failing case the fixes are tried on
ladder: list = [10.0, 20.0, 30.0]  # curriculum rungs, ending at target_beta
rho: float = 5.0  # reaction rate (paper Table 2 / E.2)
nu: float = 3.0  # diffusion for reaction–diffusion (paper Table 2)
windows: int = 5  # seq2seq windows over [0, 1] (Δt is 1/windows; paper: 0.1 and 0.05)
seeds: int = 3  # seeds per configuration (median and spread)
explore_betas: list = [1.0, 10.0, 20.0, 30.0, 40.0]  # β values the parameter explorer starts with
explore_iters: int = 150  # L-BFGS iterations per explorer run

# %%
import math, time
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import pinnkit
from pinnkit import zoo
from pinnkit.models import build_model
from pinnkit.report import fmt, paper_table, quick_mode, record, spread
from pinnkit.training import Evaluator, train

torch.set_num_threads(1)
CPU0 = time.process_time()  # CPU seconds of this kernel, recorded beside wall time (the machine may be shared)

QUICK = quick_mode()
if QUICK:  # smoke test: tiny network and budget, one seed
    width, depth, num_points, lbfgs_iters, seeds = 16, 2, 100, 10, 1
    betas, ladder = [1.0, 30.0], [10.0, 30.0]
    explore_betas, explore_iters = [1.0, 10.0, 30.0], 30
PLOT_GRID = (64, 32) if QUICK else (128, 50)  # grid for field figures
assert ladder[-1] == target_beta, "the ladder must end at the target β"
started = time.perf_counter()
from pinnkit.optim import lbfgs
from pinnkit.sampling import Uniform
from pinnkit.training.strategies import curriculum, seq2seq

LBFGS = dict(lr=1.0, history_size=50, tolerance_grad=1e-7, tolerance_change=1e-7)  # authors' settings
COND = {"initial": 256, "periodic": 100}  # authors: 256 initial points, 100 boundary times


def fit(problem, seed, iters=None, dtype="float32", model=None, points=None):
    """Plain PINN with the authors' loss; returns (model, history)."""
    model = model or build_model(problem, width=width, depth=depth, seed=seed)
    h = train(problem, model, sampler=Uniform(points or num_points), optimizer=lbfgs(**LBFGS),
              steps=iters or lbfgs_iters, condition_points=COND, seed=seed, dtype=dtype, metrics=None,
              progress=False)
    return model, h


# %% [markdown]
# ## 1. The β sweep
#
# Same network, same points, same optimiser; only β changes. The paper reports relative L2 of
# 7.8e-3, 1.1e-2, 0.75, 0.90, 0.96 for β = 1, 10, 20, 30, 40.

# %%
sweep, sweep_runs = {}, {}
for beta in betas:
    problem = zoo.get("convection", beta=beta)
    ev = Evaluator(problem)
    sweep_runs[beta] = [fit(problem, s) for s in range(seeds)]
    sweep[beta] = [ev(m)["rel_l2"] for m, _ in sweep_runs[beta]]
    print(f"β = {beta:5.1f}: rel L2 {fmt(sweep[beta])}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
med = [spread(sweep[b])[0] for b in betas]
lo = [spread(sweep[b])[1] for b in betas]
hi = [spread(sweep[b])[2] for b in betas]
ax.errorbar(betas, med, yerr=[np.subtract(med, lo), np.subtract(hi, med)], fmt="o-", capsize=3, label="pinnkit (median, min–max)")
paper = {1.0: 7.84e-3, 10.0: 1.08e-2, 20.0: 7.50e-1, 30.0: 8.97e-1, 40.0: 9.61e-1}
ax.plot(list(paper), list(paper.values()), "k^--", label="Krishnapriyan et al. Fig. 1")
ax.set_yscale("log"); ax.set_xlabel("β"); ax.set_ylabel("relative L2"); ax.legend(fontsize=8)
ax.set_title("convection: plain PINN vs β");

# %% [markdown]
# ## Explore it: error against β, with the |error| of each run
#
# The parameter explorer (`pinnkit_widgets.Explorer`) trains one run per β with the same
# network, points and L-BFGS budget (`explore_iters` iterations, seed 0) and plots the final
# relative $L^2$ against β, with a thumbnail of each run's $|u_\theta - u|$ over (x, t). What
# to look at: the jump of the error between β = 10 and β = 20, and in the thumbnails of the
# failing runs an error that is smallest near t = 0 (the initial condition is fitted) and
# large over the rest of the domain (it is not transported). Measured with the full-mode
# settings (seed 0): relative $L^2$ 1.5e-2 at β = 1, 0.86 at β = 20, 1.00 at β = 40; at
# β = 20 the mean |error| over t < 0.1 is 0.14 against 0.56 over the rest (printed below).
# Opened in JupyterLab, type other values (β = 5, 15, 25 …) and press **▶ Sweep**; it trains
# in a thread, and values already trained come from its cache. Run headless, the cell trains
# to the end and shows the result; quick runs use a fresh cache folder so that they always
# train, full runs reuse the disk cache (a second full run does not retrain the explorer).
#
# The explorer builds its runs from `pinnkit.recipes.RunConfig`, so it uses the default
# L-BFGS settings of `pinnkit.optim.lbfgs` and 256 points for each condition, not the
# authors' tolerances above: its numbers are close to, not equal to, the sweep's.

# %% tags=["nbval-ignore-output"]
import tempfile

from pinnkit.recipes import RunConfig
from pinnkit_widgets import Explorer

explore = RunConfig(problem="convection", width=width, depth=depth, sampler="uniform", num_points=num_points,
                    condition_points=256, optimizer="lbfgs", lr=1.0, steps=explore_iters,
                    eval_every=max(explore_iters // 10, 1))
explorer = Explorer(explore, "beta", explore_betas, cache_dir=tempfile.mkdtemp() if QUICK else None)
explorer.sweep()  # JupyterLab: returns at once and trains in a thread; headless: trains to the end
explorer

# %%
explorer.wait()  # the numbers below need the whole sweep
explored = {v: r for v, r in sorted(explorer.results.items())}
print(f"{explore_iters} L-BFGS iterations, {num_points} points: relative L2",
      ", ".join(f"{r.rel_l2:.2e} at β = {v:g}" for v, r in explored.items()), f"({explorer.trained} trained)")
# where the error sits in time (the prose quotes β = 20): |error| on the explorer's (x, t) grid
early_late = {}
for v, r in explored.items():
    e = r.error.reshape(explorer.grid.shape)
    early = explorer.grid.axes[1] < 0.1
    early_late[v] = (float(e[:, early].mean()), float(e[:, ~early].mean()))
print("mean |error| over t < 0.1 / over the rest:", ", ".join(f"{a:.2f} / {b:.2f} at β = {v:g}" for v, (a, b) in early_late.items()))
assert list(explored) == sorted(explore_betas), explored
assert all(r.error is not None and 0 < r.steps <= explore_iters and 0 < r.rel_l2 < 5 for r in explored.values()), explored
# the failure grows with β here too: the smallest β ends with a smaller error than the largest
assert explored[min(explored)].rel_l2 < explored[max(explored)].rel_l2, explored

# %% [markdown]
# ## 2. Curriculum regularisation at the target β
#
# The baseline is the plain run at `target_beta` from the sweep. The curriculum run spends the
# **same total number of L-BFGS iterations**, split evenly over the ladder's rungs, each rung
# starting from the previous rung's weights.

# %%
target = zoo.get("convection", beta=target_beta)
ev_target = Evaluator(target)
baseline_conv = sweep[target_beta] if target_beta in sweep else [ev_target(fit(target, s)[0])["rel_l2"] for s in range(seeds)]
per_rung = max(1, lbfgs_iters // len(ladder))
curric = []
for s in range(seeds):
    model = build_model(target, width=width, depth=depth, seed=s)
    curriculum(target, model, "beta", ladder, steps=per_rung, sampler=Uniform(num_points), optimizer=lbfgs(**LBFGS),
               condition_points=COND, seed=s, metrics=None, progress=False)
    curric.append(ev_target(model)["rel_l2"])
print(f"β = {target_beta}: plain {fmt(baseline_conv)}   curriculum {fmt(curric)}")

# %%
from pinnkit.diagnostics import fields, plot_fields
plot_fields(fields(target, model, shape=PLOT_GRID), title=f"curriculum {ladder}, seed {seeds - 1}");


# %% [markdown]
# ## 3. Seq2seq for reaction and reaction–diffusion
#
# Whole domain: one network, `lbfgs_iters` iterations, `num_points` points. Seq2seq:
# `windows` networks, `lbfgs_iters // windows` iterations and `num_points // windows` points
# each — the same totals.

# %%
def marching(problem, s):
    r = seq2seq(problem, lambda wp, k: build_model(wp, width=width, depth=depth, seed=s), windows,
                steps_per_window=max(1, lbfgs_iters // windows), num_points=num_points, optimizer=lbfgs(**LBFGS),
                condition_points={"initial": 256, "periodic": max(1, 100 // windows)}, seed=s, metrics=None,
                progress=False)
    return r

s2s = {}
for name, problem in [("reaction", zoo.get("reaction", rho=rho)),
                      ("reaction_diffusion", zoo.get("reaction_diffusion", nu=nu, rho=rho))]:
    ev = Evaluator(problem)
    whole = [ev(fit(problem, s)[0])["rel_l2"] for s in range(seeds)]
    marched = []
    for s in range(seeds):
        r = marching(problem, s)
        marched.append(ev(r.model)["rel_l2"])
    s2s[name] = (whole, marched, r, problem)
    print(f"{name}: whole domain {fmt(whole)}   seq2seq ({windows} windows) {fmt(marched)}")

# %%
whole, marched, r, problem = s2s["reaction"]
plot_fields(fields(problem, r.model, shape=PLOT_GRID), title=f"reaction ρ = {rho}, seq2seq with {windows} windows (last seed)");

# %% [markdown]
# ## 4. What float64 changes
#
# The FP64 study's mechanism: L-BFGS stops when the loss changes by less than
# `tolerance_change = 1e-7` between iterations, which is below float32's resolution near a
# loss of O(1), so float32 runs stop in the failure phase. Same runs at β = target in
# float64, same iteration cap; we also record how many iterations each run actually made.

# %%
fp = {"float32": [], "float64": []}
iters_used = {"float32": [], "float64": []}
curves = {}
for dtype in fp:
    for s in range(seeds):
        # the float32 runs at the target β are the sweep's (same seeds, same settings)
        model, h = sweep_runs[target_beta][s] if dtype == "float32" and target_beta in sweep_runs else fit(target, s, dtype=dtype)
        fp[dtype].append(ev_target(model)["rel_l2"])
        iters_used[dtype].append(h.final["step"])
        curves[dtype] = h.where("loss")
    print(f"{dtype}: rel L2 {fmt(fp[dtype])}, L-BFGS iterations used {iters_used[dtype]}")
fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
for dtype, (st, v) in curves.items():
    ax.semilogy(st, v, label=dtype)
ax.set_xlabel("L-BFGS iteration"); ax.set_ylabel("loss"); ax.legend(); ax.set_title(f"convection β = {target_beta}, last seed");

# %% [markdown]
# ## 5. Results

# %%
elapsed = time.perf_counter() - started
budget = f"{lbfgs_iters} L-BFGS it, {num_points} pts, {width}×{depth}, {seeds} seed(s)"
rows = [
    dict(method=f"plain, β = {b:g}", **{"paper reports": p}, setting="Fig. 1, L-BFGS, mean ≥ 10 seeds",
         **{"pinnkit gets": fmt(sweep[b])}, **{"our budget": budget})
    for b, p in [(1.0, 7.84e-3), (10.0, 1.08e-2), (20.0, 7.50e-1), (30.0, 8.97e-1), (40.0, 9.61e-1)] if b in sweep
]
rows += [
    dict(method=f"curriculum {ladder}", **{"paper reports": {20.0: 9.84e-3, 30.0: 2.02e-2, 40.0: 5.33e-2}.get(target_beta)},
         setting=f"Table 1, β = {target_beta:g}", **{"pinnkit gets": fmt(curric)}, **{"our budget": budget + " (split over rungs)"}),
    dict(method="reaction, whole domain", **{"paper reports": 9.79e-1}, setting=f"Table E.2, ρ = 5",
         **{"pinnkit gets": fmt(s2s["reaction"][0])}, **{"our budget": budget}),
    dict(method=f"reaction, seq2seq Δt = {1 / windows:g}", **{"paper reports": 7.06e-2}, setting="Table E.2, ρ = 5, Δt = 0.05",
         **{"pinnkit gets": fmt(s2s["reaction"][1])}, **{"our budget": budget}),
    dict(method="reaction–diffusion, whole domain", **{"paper reports": 7.98e-1}, setting="Table 2, ρ = 5, ν = 3",
         **{"pinnkit gets": fmt(s2s["reaction_diffusion"][0])}, **{"our budget": budget}),
    dict(method=f"reaction–diffusion, seq2seq Δt = {1 / windows:g}", **{"paper reports": 1.56e-2},
         setting="Table 2, ρ = 5, ν = 3, Δt = 0.1", **{"pinnkit gets": fmt(s2s["reaction_diffusion"][1])}, **{"our budget": budget}),
    dict(method=f"float32, β = {target_beta:g}", **{"paper reports": 0.4923 if target_beta == 30 else None},
         setting="FP64 study, rMAE at β = 30 (we report rel L2)", **{"pinnkit gets": fmt(fp["float32"])}, **{"our budget": budget}),
    dict(method=f"float64, β = {target_beta:g}", **{"paper reports": 0.0047 if target_beta == 30 else None},
         setting="FP64 study, rMAE at β = 30 (we report rel L2)", **{"pinnkit gets": fmt(fp["float64"])}, **{"our budget": budget}),
]
display(Markdown(paper_table(rows)))
res = record("01_failure_modes", cpu_seconds=time.process_time() - CPU0, sweep={str(b): v for b, v in sweep.items()}, curriculum=curric, plain_target=baseline_conv,
             reaction_whole=s2s["reaction"][0], reaction_seq2seq=s2s["reaction"][1],
             rd_whole=s2s["reaction_diffusion"][0], rd_seq2seq=s2s["reaction_diffusion"][1],
             float32=fp["float32"], float64=fp["float64"], iters_float32=iters_used["float32"],
             iters_float64=iters_used["float64"], seconds=elapsed,
             explorer={str(v): r.rel_l2 for v, r in explored.items()},
             explorer_error_early_late={str(v): list(el) for v, el in early_late.items()},
             budget=dict(width=width, depth=depth, num_points=num_points, lbfgs_iters=lbfgs_iters, seeds=seeds,
                         explore_iters=explore_iters))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")

# %%
everything = sum([*sweep.values(), curric, fp["float32"], fp["float64"], *[a + b for a, b, _, _ in s2s.values()]], [])
assert all(np.isfinite(everything)) and all(0 < e < 5 for e in everything)
# the failure grows with β: the easiest β trains better than the target β
assert spread(sweep[min(betas)])[0] < spread(sweep[target_beta])[0]
# float64 never stops earlier than float32 under the same tolerance_change
assert np.median(iters_used["float64"]) >= np.median(iters_used["float32"])

# %% [markdown]
# **Reading the table.** Each row gives the median and the [min, max] over seeds. The paper's
# numbers come from L-BFGS runs to convergence; ours from a fixed, much smaller iteration cap.
# Measured in full mode (3 seeds, 150 L-BFGS iterations, 500 points; 135 s wall, 83 s CPU
# with an empty explorer cache): the β sweep reproduces the onset of the failure (medians 2.1e-2, 1.5e-1, 0.87, 0.93, 1.00
# for β = 1, 10, 20, 30, 40); seq2seq lowers the reaction error from 0.99 to 0.64 and the
# reaction–diffusion error from 0.81 to 0.20 — the paper's direction, far from its 1–7 % —
# while curriculum regularisation (0.93 vs 0.93) and float64 (0.92 vs 0.93; no float32 run
# stopped early within 150 iterations) change nothing at this budget. With 4× the budget
# (600 iterations, seed 0 only) curriculum reached 0.33 against 0.86 for the plain run, while
# float64 still did not help (0.84; neither run stopped early). Raise `lbfgs_iters` to see more.
