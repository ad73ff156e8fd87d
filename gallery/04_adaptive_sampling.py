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
# # Residual-based adaptive sampling on Burgers (Wu et al., CMAME 2023)
#
# **Question.** With few residual points, where they sit matters: Burgers' solution forms a
# steep front at x = 0, and a fixed uniform set puts few points there. Wu, Zhu, Tan, Kartha &
# Lu compared resampling strategies; their two proposals are
#
# - **RAD** (residual-based adaptive distribution): every round replace the whole set by N_r
#   points drawn without replacement from fresh uniform candidates S with
#   p(x) ∝ ε(x)^k / mean_S ε^k + c, ε = |R| (k = c = 1);
# - **RAR-D** (residual-based adaptive refinement with distribution): every round *add* points
#   drawn from the same density (the set grows).
#
# **Problem** u_t + u u_x − ν u_xx = 0, ν = 0.01/π, x ∈ [−1, 1], t ∈ [0, 1],
# u(x, 0) = −sin πx, u(±1, t) = 0, with the authors' hard constraint
# u = −sin πx + (1 − x²) t N(x, t); 3×64 tanh; reference by Cole–Hopf.
#
# **Authors' schedule**: N_r = 2000, Adam 15 000 + L-BFGS, then 100 rounds of (Adam 1000 +
# L-BFGS), 100 000 candidates, float64. **Ours**: `steps` Adam steps with a round every
# `every` steps, `candidates` candidates, float32; RAR-D adds N_r/(2·rounds) points per round
# so that, as in the authors' 100 rounds of N_r/200, the set ends 1.5× its initial size. The
# paper's tables are not quoted here (not checked); its abstract's claim is that RAD and RAR-D
# beat uniform sampling, most clearly with few points.

# %% tags=["parameters"]
num_points: int = 500  # residual points N_r (authors: 2000; fewer points is where sampling matters)
width: int = 64  # hidden width (authors: 64)
depth: int = 3  # hidden layers (authors: 3)
steps: int = 2000  # Adam steps per run (authors: 15 000 + 100 rounds × 1000, plus L-BFGS)
every: int = 400  # steps per resampling round
candidates: int = 10000  # candidate points per round (authors: 100 000)
k: float = 1.0  # density exponent (authors: 1)
c: float = 1.0  # density floor (authors: 1)
lr: float = 0.001  # Adam learning rate
seeds: int = 3  # seeds per sampler
compare_steps: int = 2000  # Adam steps per side in the live compare

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
if QUICK:  # smoke test
    num_points, width, depth, steps, every, candidates, seeds = 200, 16, 2, 60, 20, 2000, 1
    compare_steps = 100
started = time.perf_counter()
from pinnkit.diagnostics import residual_at_points
from pinnkit.diagnostics import Recorder
from pinnkit.diagnostics.temporal import plot_point_clouds
from pinnkit.optim import adam
from pinnkit.sampling import RAD, RARD, Uniform

problem = zoo.get("burgers")
ev = Evaluator(problem)  # Cole–Hopf on the 256 × 100 test grid, computed once
rounds = max(1, (steps - 1) // every)
add = max(1, num_points // (2 * rounds))


def sampler_for(method):
    if method == "uniform":
        return Uniform(num_points)
    if method == "RAD":
        return RAD(num_points, every=every, candidates=candidates, k=k, c=c)
    return RARD(num_points, every=every, candidates=candidates, add=add, k=k, c=c)


def run(method, seed, recorder=None):
    sampler = sampler_for(method)
    model = build_model(problem, width=width, depth=depth, seed=seed, hard=True)
    h = train(problem, model, sampler=sampler, optimizer=adam(lr), steps=steps, seed=seed, metrics=None,
              callbacks=[recorder] if recorder else [], progress=False)
    return model, h


# %%
METHODS = ["uniform", "RAD", "RAR-D"]
errors, recorders, final_counts = {m: [] for m in METHODS}, {}, {}
for m in METHODS:
    for s in range(seeds):
        rec = Recorder(every=every, shape=(128, 50), gradients=False, show_points=None) if s == 0 else None
        model, h = run(m, s, rec)
        errors[m].append(ev(model)["rel_l2"])
        if rec:
            recorders[m] = rec
            final_counts[m] = len(rec.snapshots[-1].points)
    print(f"{m:8s} rel L2 {fmt(errors[m])}   final residual points {final_counts[m]}")

# %% [markdown]
# ## Where the points end up
#
# Grey: |R| of seed 0 on a grid; red: its residual points. RAD and RAR-D put many of them on
# the shock at x = 0.

# %%
for m in METHODS:
    plot_point_clouds(recorders[m].snapshots, problem, panels=3, title=f"{m}: |R| and residual points");

# %% [markdown]
# ## Watch it: fixed uniform vs RAD, side by side
#
# `Compare` trains a fixed uniform set (sampler `uniform`) and RAD (sampler `rad`, a new set
# every `every` steps) on Burgers with the same hard-constrained network, seed and budget, and
# draws them live. The `Compare` view shows prediction, |error| and the loss per term of both
# runs; below it, the |residual| of each run with its current residual points on top (the view
# the `Dashboard` draws for one run). What to look at:
#
# * **|residual| and points**: the uniform set stays spread out; each RAD round moves the
#   points to where |R| is large — onto the front at x = 0 once the network has formed it
#   (the table's share with |x| < 0.1; a uniform set on x ∈ [−1, 1] puts 10 % there);
# * **|error|** and the **table**: whether that helps the error at this budget — read the
#   numbers, not the claim. Measured with the full-mode settings (one seed, 2000 steps):
#   uniform 0.36, RAD 0.23, with 23 % of RAD's points within |x| < 0.1 against 10 % of the
#   uniform set — here RAD wins, while over the three seeds above it came out worse: one
#   seed does not settle it. The mean |R| at the points over its grid mean is 1.23 for RAD
#   and 0.44 for the fixed uniform set: after 2000 steps on the same 500 points the network
#   has driven the residual down *at those points* more than between them.
#
# The compare uses `pinnkit.recipes.RunConfig`, so RAD draws from its default 100 000
# candidates (not `candidates`).

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

base = RunConfig(problem="burgers", width=width, depth=depth, hard=True, sampler="uniform", num_points=num_points,
                 steps=compare_steps, lr=lr, eval_every=max(compare_steps // 20, 1))
cmp = Compare(base, a={"sampler": "uniform", "resample_every": None}, b={"sampler": "rad", "resample_every": every},
              labels=("uniform", "RAD"))

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
pn.Column(cmp.panel, pn.pane.HoloViews(cmp.residual_points_view(), linked_axes=False))

# %%
cmp.wait()  # the numbers below need both finished runs

compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h, snap = r.history, r.snapshots[-1]
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "loss": h.final["loss"],  # mean |R| at the points (nearest grid node) / mean |R| on the grid:
                    "residual_at_points": residual_at_points(snap.residual.reshape(r.grid.shape), r.grid.axes,
                                                             snap.points),
                    "near_front": float(np.mean(np.abs(snap.points[:, 0]) < 0.1))}
display(Markdown(paper_table(
    [{"run": lab, "rel L2": c["rel_l2"], "loss": c["loss"], "mean |R| at points / on grid": c["residual_at_points"],
      "share with |x| < 0.1": c["near_front"]} for lab, c in compare.items()],
    columns=("run", "rel L2", "loss", "mean |R| at points / on grid", "share with |x| < 0.1"))))
assert all(c["status"] == "completed" and c["steps"] == compare_steps for c in compare.values()), compare
# RAD's points sit where |R| is large; a fixed uniform set samples |R| at or below its grid mean (the
# network fits the residual at its own training points)
assert compare["RAD"]["residual_at_points"] > 1.2 * compare["uniform"]["residual_at_points"], compare

# %%
elapsed = time.perf_counter() - started
budget = f"{steps} Adam steps, N_r = {num_points}, {width}×{depth}, {seeds} seed(s), float32"
rows = [dict(method=m, **{"paper reports": "beats uniform" if m != "uniform" else None},
             setting="Burgers ν = 0.01/π, N_r = 2000, Adam + L-BFGS rounds, float64",
             **{"pinnkit gets": fmt(errors[m])}, **{"our budget": budget}) for m in METHODS]
display(Markdown(paper_table(rows)))
res = record("04_adaptive_sampling", cpu_seconds=time.process_time() - CPU0, errors=errors, final_counts=final_counts, rounds=rounds, add=add,
             compare=compare,
             rad_points_near_shock=float(np.mean(np.abs(recorders["RAD"].snapshots[-1].points[:, 0]) < 0.1)),
             seconds=elapsed, budget=dict(num_points=num_points, width=width, depth=depth, steps=steps, every=every,
                                          candidates=candidates, seeds=seeds, compare_steps=compare_steps))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")

# %%
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in errors.values())
# RAD keeps N_r; RAR-D grows by `add` per round; the uniform set never changes
assert final_counts["uniform"] == num_points and final_counts["RAD"] == num_points
assert final_counts["RAR-D"] == num_points + rounds * add
# RAD's final points sit where the residual is large: the grid |R| looked up at the points is larger on
# average than over the whole grid (fresh uniform points give a ratio near 1)
snap = recorders["RAD"].snapshots[-1]
f = snap.field("residual")
xs = np.linspace(problem.domain.low[0], problem.domain.high[0], f.shape[0])
ts = np.linspace(problem.domain.low[-1], problem.domain.high[-1], f.shape[1])
ratio = residual_at_points(f, (xs, ts), snap.points)
near_shock = float(np.mean(np.abs(snap.points[:, 0]) < 0.1))
uniform_share = 0.2 / (problem.domain.high[0] - problem.domain.low[0])  # |x| < 0.1 under uniform sampling
print(f"mean |R| at RAD's points / mean |R| on the grid = {ratio:.2f}; share with |x| < 0.1: {near_shock:.2f} "
      f"(uniform {uniform_share:.2f})")
assert ratio > 1.2

# %% [markdown]
# **Measured in full mode** (3 seeds, 2000 Adam steps, N_r = 500, rounds every 400 steps, no
# L-BFGS; 300 s wall, 170 s CPU): uniform 2.5e-1 [1.0e-1, 3.6e-1], RAD 4.3e-1 [3.6e-1, 4.3e-1],
# RAR-D 2.9e-1 [1.6e-1, 3.1e-1]. RAD moves part of its points onto the front (16 % of them
# within |x| < 0.1, against 10 % for a uniform set; mean |R| at its points 1.34 times the grid
# mean) but at this budget it is *worse* than a fixed uniform set
# and RAR-D is no better: resampling starts long before the network has formed the shock
# (the authors resample only after 15 000 Adam steps and L-BFGS), and each new set perturbs
# Adam. The paper's improvement does not reproduce at this budget.
