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
# # 07 · Gradient conflict: cosine monitor, ConFIG and momentum ConFIG
#
# **Question.** Do the gradients of a PINN's loss terms point against each other during
# training, and does a conflict-free update (ConFIG; Liu, Chu & Thuerey, ICLR 2025,
# arXiv 2408.11104) train faster than Adam on the summed loss?
#
# Burgers: $u_t + uu_x - \nu u_{xx} = 0$ on $[-1,1]\times[0,1]$, $\nu = 0.01/\pi$,
# $u(x,0) = -\sin\pi x$, $u(\pm1,t)=0$. With per-term gradients $g_i$ a *conflict* is
# $\cos(g_i,g_j) < 0$. ConFIG replaces $\sum_i g_i$ by
#
# $$g_u = \mathcal U\big([\mathcal U(g_1),\dots,\mathcal U(g_m)]^{+\top}\mathbf 1_m\big),\qquad g = \Big(\sum_i g_i^\top g_u\Big) g_u,$$
#
# ($\mathcal U(v) = v/\|v\|$), which has the same positive cosine with every $g_i$.
# Momentum ConFIG back-propagates one term per step (cycling), keeps a first moment per
# term, applies ConFIG to the moments and normalises by a second moment; it is used with
# SGD. pinnkit's implementations (`pinnkit.combining`) are tested against the authors'
# `conflictfree` package.

# %% tags=["parameters"]
width: int = 50  # hidden width (paper example: 50)
depth: int = 4  # hidden layers (paper example: 4)
steps: int = 600  # optimiser steps per run (paper example: 5000)
interior_points: int = 500  # fixed residual points (paper example: 2000, redrawn)
condition_points: int = 50  # points per condition (paper example: 50 IC, 50 BC)
lr: float = 1e-3  # Adam lr for Adam and ConFIG (paper example: 1e-4); M-ConFIG SGD uses 5×lr as in the paper
seeds: int = 3  # seeds per method in full mode
monitor_every: int = 50  # steps between gradient-cosine measurements

# %%
import time
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from pinnkit import zoo, train
from pinnkit.report import fmt, paper_table, quick_mode, record, summary

torch.set_num_threads(1)
CPU0, WALL0 = time.process_time(), time.perf_counter()
QUICK = quick_mode()

from pinnkit.combining import ConFIG, MomentumConFIG
from pinnkit.models import MLP
from pinnkit.optim import adam, sgd
from pinnkit.sampling import Uniform
from pinnkit.losses import loss_terms
from pinnkit.training import Callback
from pinnkit.diagnostics import term_gradients, gradient_cosines, fields

if QUICK:
    steps, interior_points, condition_points, seeds, monitor_every = 150, 300, 30, 1, 25
problem = zoo.get("burgers")
print(problem.equation, "| steps", steps, "| quick" if QUICK else "| full")


class CosineMonitor(Callback):
    """Every `every` steps: cosines between the per-term gradients at the current points."""

    def __init__(self, every):
        self.every, self.steps, self.cos = every, [], []

    def on_step_end(self, state):
        if state.step % self.every:
            return
        terms = loss_terms(state.problem, state.model, state.points, state.params)
        g = term_gradients(terms, [p for p in state.model.parameters() if p.requires_grad])
        self.steps.append(state.step)
        self.cos.append(gradient_cosines(g))


def test_mse(model):
    f = fields(problem, model)
    return float(np.mean((f.pred - f.ref) ** 2))


def run(method, seed):
    model = MLP(2, 1, width, depth, seed=seed, low=[-1, 0], high=[1, 1])
    mon = CosineMonitor(monitor_every)
    combine = {"Adam": None, "ConFIG": ConFIG(), "M-ConFIG": MomentumConFIG()}[method]
    opt = sgd(5 * lr) if method == "M-ConFIG" else adam(lr)
    h = train(problem, model, combine=combine, optimizer=opt, sampler=Uniform(interior_points),
              condition_points=condition_points, steps=steps, seed=seed, callbacks=[mon],
              eval_every=max(steps // 10, 1), progress=False)
    return h, model, mon


# %%
methods = ["Adam", "ConFIG", "M-ConFIG"]
errors, mses, histories, monitors = {m: [] for m in methods}, {m: [] for m in methods}, {}, {}
for m in methods:
    for s in range(seeds):
        h, model, mon = run(m, s)
        errors[m].append(h.final["metric/rel_l2"])
        mses[m].append(test_mse(model))
        histories.setdefault(m, h)
        monitors.setdefault(m, mon)
        print(f"{m} seed {s}: rel L2 = {errors[m][-1]:.3e}, test MSE = {mses[m][-1]:.2e}  ({h.final['time']:.0f} s)")
stats = {m: summary(v) for m, v in errors.items()}
mse_stats = {m: summary(v) for m, v in mses.items()}

# %% [markdown]
# ## The cosine monitor: do the term gradients conflict?

# %%
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
mon = monitors["Adam"]
pairs = list(mon.cos[0])
for pair in pairs:
    ax[0].plot(mon.steps, [c[pair] for c in mon.cos], label=f"{pair[0]} · {pair[1]}", lw=1)
ax[0].axhline(0, color="k", lw=0.5); ax[0].set_title("cos(g_i, g_j) during Adam training (seed 0)")
ax[0].set_xlabel("step"); ax[0].legend(fontsize=6)
for m in methods:
    s, v = histories[m].where("metric/rel_l2")
    ax[1].semilogy(s, v, label=m)
ax[1].legend(); ax[1].set_title("relative L2 (seed 0)"); ax[1].set_xlabel("step")
conflict_fraction = float(np.mean([c[p] < 0 for c in mon.cos for p in pairs]))
res_ic = [c[("residual", "initial")] for c in mon.cos]
print(f"fraction of (pair, step) cosines < 0 under Adam: {conflict_fraction:.2f}; residual·initial min {min(res_ic):.2f}")
print({m: fmt(s) for m, s in stats.items()})

# %% [markdown]
# ## Side by side: Adam vs momentum ConFIG, as two run settings
#
# The same two trainings as plain `RunConfig` settings in `pinnkit_widgets.Compare`: side A
# is Adam on the summed loss, side B `combine="mconfig"` with `optimizer="sgd"` at 5×lr (the
# paper's pairing). Both use the notebook's problem, network, points and step budget with
# seed 0, so they **repeat the seed-0 runs of the statistics above**; the cell after the
# view checks that they reproduce those numbers. With a browser both sides train in
# threads and the views follow; headless (papermill, nbval) the cell trains to the end.
# The table under the buttons gives each side's final relative $L^2$ and loss, the plot
# below it the loss per term (Adam solid, M-ConFIG dashed). Any setting of either side,
# the gradient combination included, can be changed in the side panels and trained again.
#
# **Which wins depends on the budget and the seed.** Measured (seed 0, final relative $L^2$):
# with the quick budget M-ConFIG ends lower (0.581 vs Adam's 0.612), with the full one Adam
# does (0.497 vs 0.536). Over three seeds (full budget) M-ConFIG's median is lower (0.441 vs
# 0.497) but the ranges overlap ([0.42, 0.54] vs [0.46, 0.51]): at 600 steps a single pair of
# runs shows no reliable advantage, and every method stays far from the paper's numbers.

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

base = RunConfig(problem="burgers", width=width, depth=depth, sampler="uniform", num_points=interior_points,
                 condition_points=condition_points, steps=steps, lr=lr, seed=0, eval_every=max(steps // 10, 1))
cmp = Compare(base, a={}, b={"combine": "mconfig", "optimizer": "sgd", "lr": 5 * lr}, labels=("Adam", "M-ConFIG"))
TERMS = ["residual"] + list(problem.conditions)

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
cmp

# %%
cmp.wait()  # the numbers below need both finished runs
compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h = r.history
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "test_mse": test_mse(r.model), "losses": {n: h.last(f"loss/{n}") for n in TERMS},
                    "combine": r.config.combine, "optimizer": r.config.optimizer, "lr": r.config.lr}
display(Markdown(paper_table(
    [{"run": f"{lab} ({c['optimizer']} {c['lr']:g}, combine={c['combine']})", "rel L2": c["rel_l2"],
      "test MSE": c["test_mse"], **{f"loss {n}": c["losses"][n] for n in TERMS}} for lab, c in compare.items()],
    columns=("run", "rel L2", "test MSE", *[f"loss {n}" for n in TERMS]))))
better = min(compare, key=lambda k: compare[k]["rel_l2"])
print(f"lower final rel L2 at this budget (seed 0): {better} "
      f"({compare[better]['rel_l2']:.3e} vs {max(c['rel_l2'] for c in compare.values()):.3e})")
assert all(c["status"] == "completed" and c["steps"] == steps for c in compare.values()), compare
assert [r.config.combine for r in cmp.runs] == ["none", "mconfig"]
# the compare repeats the statistics' seed-0 runs: the settings reach train() unchanged
assert abs(compare["Adam"]["rel_l2"] - errors["Adam"][0]) <= 1e-5 * errors["Adam"][0], (compare, errors)
assert abs(compare["M-ConFIG"]["rel_l2"] - errors["M-ConFIG"][0]) <= 1e-5 * errors["M-ConFIG"][0], (compare, errors)

# %%
budget = f"{steps} steps, {width}×{depth}, {interior_points} fixed residual points, lr {lr:g}, {seeds} seed(s), CPU"
rows = [
    {"method": "Adam (test MSE)", "paper reports": 0.0310, "setting": "5000 it., lr 1e-4, best test MSE, GPU",
     "pinnkit gets": fmt(mse_stats["Adam"]), "our budget": budget},
    {"method": "ConFIG + Adam (test MSE)", "paper reports": 0.00638, "setting": "5000 it., lr 1e-4",
     "pinnkit gets": fmt(mse_stats["ConFIG"]), "our budget": budget},
    {"method": "M-ConFIG + SGD (test MSE)", "paper reports": 0.00186, "setting": "5000 it., SGD 5e-4",
     "pinnkit gets": fmt(mse_stats["M-ConFIG"]), "our budget": budget},
]
display(Markdown(paper_table(rows)))
display(Markdown("relative L2 (final): " + ", ".join(f"{m} {fmt(s)}" for m, s in stats.items())))
res = record("07_gradient_conflict", cpu_seconds=time.process_time() - CPU0, wall_seconds=time.perf_counter() - WALL0,
             steps=steps, seeds=seeds, errors=stats, test_mse=mse_stats, conflict_fraction=conflict_fraction,
             residual_initial_cos_min=min(res_ic), compare=compare)
# conflicts are real: some pair of term gradients points apart at some monitored step
assert conflict_fraction > 0, conflict_fraction
assert all(np.isfinite(v) for s in stats.values() for v in s["runs"])
assert all(s["median"] < 1.0 for s in stats.values()), stats  # every method learned something
