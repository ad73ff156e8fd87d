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
# # Propagation failure and R3 sampling (Daw et al., ICML 2023)
#
# **Question.** In convection at β = 30 the residual is small almost everywhere because the
# network has settled on a wrong, nearly trivial solution; the few places where the residual
# is large (near the initial time) do not get enough collocation points to pull the correct
# solution forward in time — a *propagation failure*. Does moving the points to where the
# residual is large fix it?
#
# **Samplers** (all with N_f points, `pinnkit.sampling`):
#
# - *uniform*: one fixed uniform set;
# - *RAD* (Wu et al. 2023): every `rad_every` steps draw N_f points from fresh candidates with
#   p(x) ∝ |R(x)|^k / mean |R|^k + c (k = c = 1);
# - *R3* (retain–resample–release): after every step keep the points with
#   |R| > mean |R|, replace the rest by fresh uniform points, so N_f stays constant;
# - *causal R3*: fitness |R|·g(t) with the gate g(t) = (1 − tanh(α(t_n − β_g)))/2 that
#   opens forward in time (α = 5, β_g from −0.5, β_g ← β_g + η min(exp(−20 mean((|R| g)²)), 0.1)),
#   and residual loss mean((R g)²).
#
# **Setting** (authors' `Convection/train.py`): 4×50 tanh, Adam 1e-3 with ×0.9 every 5000
# steps, λ_ic = λ_bc = 100, N_f = 1000, **300 000 iterations**. Our budget is `steps` Adam
# steps, so the gate's rate η is scaled by 3e5/steps (the gate then opens over the same
# fraction of training as in the authors' runs). The paper's numbers are not quoted here (not
# checked against the paper), so only the direction of the effect (R3 and causal R3 beat
# uniform sampling) is the published claim.

# %% tags=["parameters"]
beta: float = 30.0  # transport speed (authors: 30)
width: int = 50  # hidden width (authors: 50)
depth: int = 4  # hidden layers (authors: 4)
num_points: int = 1000  # collocation points N_f (authors: 1000)
steps: int = 1000  # Adam steps per run (authors: 300 000)
lr: float = 0.001  # Adam learning rate (authors: 1e-3)
rad_every: int = 250  # RAD resampling period
rad_candidates: int = 10000  # RAD candidate set (Wu et al.: 100 000)
record_every: int = 250  # steps between residual-field / point-cloud snapshots
seeds: int = 3  # seeds per sampler
compare_steps: int = 1000  # Adam steps per side in the live compare

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
    width, depth, num_points, steps, seeds, record_every, rad_every, rad_candidates = 16, 2, 200, 40, 1, 20, 20, 2000
    compare_steps = 100
started = time.perf_counter()
from pinnkit.balancing import static
from pinnkit.diagnostics import residual_at_points
from pinnkit.diagnostics import Recorder
from pinnkit.diagnostics.temporal import plot_point_clouds, plot_temporal_heatmap
from pinnkit.optim import adam
from pinnkit.sampling import RAD, R3, CausalR3, Uniform

problem = zoo.get("convection", beta=beta)
ev = Evaluator(problem)
eta = 1e-3 * 3e5 / steps  # causal-R3 gate rate, scaled to our budget


def sampler_for(method):
    if method == "uniform":
        return Uniform(num_points), None
    if method == "RAD":
        return RAD(num_points, every=rad_every, candidates=rad_candidates), None
    if method == "R3":
        return R3(num_points), None
    s = CausalR3(num_points, beta_lr=eta)
    return s, s.loss


def run(method, seed, recorder=None):
    sampler, loss = sampler_for(method)
    model = build_model(problem, width=width, depth=depth, seed=seed)
    kw = {"residual_loss": loss} if loss is not None else {}
    h = train(problem, model, sampler=sampler, optimizer=adam(lr, decay_rate=0.9, decay_steps=5000), steps=steps,
              balancer=static({"initial": 100.0, "periodic": 100.0}), condition_points={"initial": 256, "periodic": 100},
              callbacks=[recorder] if recorder else [], seed=seed, metrics=None, progress=False, **kw)
    return model, h, sampler


# %% [markdown]
# ## Training each sampler under the same budget
#
# Seed 0 of every sampler also records the residual field and the point cloud every
# `record_every` steps.

# %%
METHODS = ["uniform", "RAD", "R3", "causal R3"]
errors, recorders, samplers, seconds = {m: [] for m in METHODS}, {}, {}, {m: [] for m in METHODS}
for m in METHODS:
    for s in range(seeds):
        rec = Recorder(every=record_every, shape=(64, 50), gradients=False, show_points=None) if s == 0 else None
        t0 = time.perf_counter()
        model, h, sampler = run(m, s, rec)
        seconds[m].append(time.perf_counter() - t0)
        errors[m].append(ev(model)["rel_l2"])
        if rec:
            recorders[m], samplers[m] = rec, sampler
    print(f"{m:10s} rel L2 {fmt(errors[m])}   {np.median(seconds[m]):.1f} s/run")

# %% [markdown]
# ## Where the points go
#
# Grey: |R| on a grid (log scale); red: the collocation points at that moment. A uniform set
# ignores the residual; R3 gathers its population where |R| is large; causal R3 keeps it
# behind the gate's front, which moves forward in time as the early residual is resolved.

# %%
for m in ["uniform", "R3", "causal R3"]:
    plot_point_clouds(recorders[m].snapshots, problem, panels=4, title=f"{m}: |R| and collocation points");

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for ax, m in zip(axes, ["uniform", "R3"]):
    plot_temporal_heatmap(*recorders[m].heatmap(), title=f"{m}: $L_r(t)$ over training", ax=ax)

# %% [markdown]
# ## Watch it: uniform vs R3, side by side
#
# `Compare` trains a fixed uniform set (sampler `uniform`) and R3 (sampler `r3`, resampling
# after every step) on the same convection problem, network, seed and budget, and draws them
# live. The `Compare` view itself shows prediction, |error| and the loss per term of both runs;
# below it, the |residual| of each run with its current collocation points on top (the view
# the `Dashboard` draws for one run). What to look at:
#
# * **|residual| and points**: the uniform set stays spread over the whole domain; R3's
#   points gather in the bands where |R| is large, and follow them as they move;
# * **|error|**: whether the moved points let the solution propagate from t = 0 — at these
#   budgets neither run does (relative $L^2$ about 0.9 in the table below, for both);
# * the **table**: final relative $L^2$ and loss of both runs, and the mean |R| at each run's
#   points (nearest grid node) over its mean on the grid. Measured with the full-mode settings
#   (seed 0, 1000 steps, N_f = 1000, λ_ic = λ_bc = 100): relative $L^2$ 0.91 uniform, 0.87 R3;
#   |R| at the points 1.04 (uniform) and 1.96 (R3) times its grid mean. R3's lower error is
#   one seed and inside the spread of the three seeds above.
#
# The compare uses the authors' loss weights, as the runs above do: λ_ic = λ_bc = 100 through
# `balancer="static"` with `balancer_options={"scales": ...}` (the controls keep a configured
# static balancer and its scales). It uses `pinnkit.recipes.RunConfig`, so it differs from the
# runs above in two details: constant learning rate (no decay) and one number of condition
# points (256) for every condition.

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

LAMBDAS = {"initial": 100.0, "periodic": 100.0}  # the authors' λ_ic = λ_bc, as in run() above
base = RunConfig(problem="convection", parameters={"beta": beta}, width=width, depth=depth, sampler="uniform",
                 num_points=num_points, condition_points=256, steps=compare_steps, lr=lr,
                 balancer="static", balancer_options={"scales": LAMBDAS}, eval_every=max(compare_steps // 20, 1))
cmp = Compare(base, a={"sampler": "uniform", "resample_every": None}, b={"sampler": "r3", "resample_every": 1},
              labels=("uniform", "R3"))
# both sides train with the static weights (not silently the plain loss)
assert all(cmp.config(i).balancer == "static" and cmp.config(i).balancer_options == {"scales": LAMBDAS}
           for i in range(2)), [cmp.config(i) for i in range(2)]

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
                                                             snap.points)}
display(Markdown(paper_table(
    [{"run": lab, "rel L2": c["rel_l2"], "loss": c["loss"], "mean |R| at points / on grid": c["residual_at_points"]}
     for lab, c in compare.items()], columns=("run", "rel L2", "loss", "mean |R| at points / on grid"))))
assert all(c["status"] == "completed" and c["steps"] == compare_steps for c in compare.values()), compare
# R3's points sit where |R| is large; a fixed uniform set samples |R| about at its grid mean
assert compare["R3"]["residual_at_points"] > 1.2 * compare["uniform"]["residual_at_points"], compare

# %% [markdown]
# ## Results

# %%
elapsed = time.perf_counter() - started
last = {m: recorders[m].snapshots[-1] for m in METHODS}
budget = f"{steps} Adam steps, N_f = {num_points}, {width}×{depth}, {seeds} seed(s)"
rows = [dict(method=m, **{"paper reports": "beats uniform" if m in ("R3", "causal R3") else None},
             setting="convection β = 30, 3e5 Adam steps, N_f = 1000", **{"pinnkit gets": fmt(errors[m])},
             **{"our budget": budget}) for m in METHODS]
display(Markdown(paper_table(rows)))
res = record("03_propagation_r3", cpu_seconds=time.process_time() - CPU0, errors=errors, seconds={m: float(np.median(v)) for m, v in seconds.items()},
             compare=compare,
             gate_beta=samplers["causal R3"].beta, eta=eta, seconds_total=elapsed,
             population=[len(s.points) for s in recorders["R3"].snapshots],
             budget=dict(beta=beta, width=width, depth=depth, num_points=num_points, steps=steps, seeds=seeds,
                         compare_steps=compare_steps))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")

# %%
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in errors.values())
# R3 keeps its population size; causal R3's gate has moved forward
assert set(res["population"]) == {num_points}
assert samplers["causal R3"].beta > -0.5
# R3's points sit where the residual is large: the grid residual at the final population (nearest grid
# node) is larger on average than over the whole grid
f = last["R3"].field("residual")
xs = np.linspace(problem.domain.low[0], problem.domain.high[0], f.shape[0])
ts = np.linspace(problem.domain.low[-1], problem.domain.high[-1], f.shape[1])
ratio = residual_at_points(f, (xs, ts), last["R3"].points)
print(f"mean |R| at R3's points / mean |R| on the grid = {ratio:.2f}")
assert ratio > 1.2

# %% [markdown]
# **Measured in full mode** (3 seeds, 1000 Adam steps, N_f = 1000, β = 30; 250 s wall, 130 s
# CPU): uniform 0.90 [0.90, 0.94], RAD 0.91 [0.89, 0.93], R3 0.89 [0.87, 0.92], causal R3
# 0.92 [0.88, 1.0]. At 0.3 % of the authors' iterations every sampler still fails: the
# samplers do move the points (R3's population sits where |R| is about twice its grid mean),
# and causal R3's gate had only opened to t_n ≈ 0.22 by the end (its rate is throttled by the
# still-large early residual), but the solution has not had time to
# propagate from t = 0. The paper's improvement does not reproduce at this budget.
