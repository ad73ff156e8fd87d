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
# # 02 · Live training: watch a PINN learn — and watch it fail
#
# **Question.** What does a physics-informed network look like *while* it trains, and how does
# the failure of a plain PINN on fast convection show up as it happens?
#
# A PINN minimises a weighted sum of named loss terms,
# $$\mathcal L(\theta) = \sum_i w_i\,\mathcal L_i(\theta),\qquad
# \mathcal L_{\text{residual}} = \frac1N\sum_{j=1}^N \big|\mathcal R[u_\theta](x_j)\big|^2,\qquad
# \mathcal L_{\text{initial}} = \frac1M\sum_{k=1}^M \big|u_\theta(x_k,0)-u_0(x_k)\big|^2 ,$$
# and the dashboard shows, as training runs: the prediction $u_\theta$, the reference $u$,
# the pointwise error $|u_\theta-u|$, the residual field $|\mathcal R[u_\theta]|$ with the
# collocation points $x_j$ on top, each $\mathcal L_i$ (log scale), each weight $w_i$ and each
# gradient norm $\|\nabla_\theta \mathcal L_i\|_2$.
#
# Two equations:
#
# * **Burgers**, $u_t + u\,u_x - \nu\,u_{xx} = 0$ on $[-1,1]\times[0,1]$, $u(x,0)=-\sin \pi x$,
#   $u(\pm1,t)=0$ (Raissi, Perdikaris & Karniadakis, JCP 2019).
# * **Convection**, $u_t + \beta\,u_x = 0$ on $[0,2\pi]\times[0,1]$, periodic in $x$,
#   $u(x,0)=\sin x$, exact solution $u=\sin(x-\beta t)$. Krishnapriyan et al. (NeurIPS 2021,
#   "Characterizing possible failure modes in physics-informed neural networks") show that a
#   plain PINN trains well for small $\beta$ and fails for $\beta \gtrsim 10$–$20$: the residual
#   becomes small while the solution is wrong (the network settles on a near-constant state).
#
# Move the $\beta$ slider, press **Train**, and watch the error field. **Stop** stops within
# a second; **Pause** holds; the **replay** slider scrubs back through the run. In a served
# page: `python -m pinnkit_widgets dashboard` (binds 127.0.0.1).
#

# %% tags=["parameters"]
steps: int = 3000  # Adam steps per run
num_points: int = 2000  # collocation points
width: int = 50  # neurons per hidden layer
beta_low: float = 1.0  # convection speed a plain PINN can learn
beta_high: float = 30.0  # convection speed where a plain PINN fails

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # a smoke-sized run: seconds, not minutes (the lesson needs the full budget)
    steps, num_points, width = min(steps, 20), min(num_points, 200), min(width, 20)
print(f"quick mode: {QUICK}; {steps} steps, {num_points} points, width {width}")

# %%
import torch
from pinnkit_widgets import Dashboard, live_frontend, setup

torch.set_num_threads(1)  # the training thread leaves a core for the browser and the kernel
setup()  # loads Panel/Bokeh; JavaScript inline so plots render offline
print("live front end:", live_frontend())

# %% [markdown]
# ## Burgers
#
# When a browser watches, `train()` starts a thread and returns at once: the kernel stays free
# and the views update four times a second. Run headless (papermill, nbval) it trains to the end
# and the cell shows the final state.

# %% tags=["nbval-ignore-output"]
burgers = Dashboard("burgers", steps=steps, num_points=num_points, width=width, eval_every=max(10, steps // 20))
burgers.train()
burgers.panel

# %%
burgers.wait()  # the numbers below need the finished run
bh = burgers.history
losses = bh.where("loss")[1]
print(bh.status, bh.final["step"], "steps; relative L2", f"{bh.final['metric/rel_l2']:.3e}",
      f"; {len(burgers.run.snapshots)} snapshots; live views cost {100 * burgers.run.overhead:.1f} % of training time")
assert bh.status == "completed" and bh.final["step"] == steps
assert losses[-1] < losses[0], "the total loss must fall"
assert 0 < bh.final["metric/rel_l2"] < 1.5

# %% [markdown]
# ## Convection: small β, then large β
#
# The same dashboard on convection. First $\beta$ = `beta_low`; then the cell below moves the
# $\beta$ slider (exactly what dragging it does) and trains again. With the full budget the
# error field at $\beta$ = 30 stays large while the residual looks small — the failure mode.

# %% tags=["nbval-ignore-output"]
conv = Dashboard("convection", steps=steps, num_points=num_points, width=width,
                 parameters={"beta": beta_low}, eval_every=max(10, steps // 20))
conv.train()
conv.panel

# %%
conv.wait()
low = conv.history.final["metric/rel_l2"]
conv.controls.parameters["beta"].value = beta_high  # move the slider: the problem is rebuilt
assert conv.problem.values["beta"] == beta_high
conv.train()  # watch the dashboard above

# %%
conv.wait()
high = conv.history.final["metric/rel_l2"]
print(f"relative L2: beta = {beta_low:g}: {low:.3e}   beta = {beta_high:g}: {high:.3e}")
first, second = conv.runs[-2:]
assert first.problem.values["beta"] == beta_low and second.problem.values["beta"] == beta_high
assert [r.history.status for r in (first, second)] == ["completed", "completed"]
assert len(second.snapshots) >= 2 and second.snapshots[-1].step == steps
if not QUICK:
    assert high > 5 * low, "large beta should fail where small beta trains"

# %% [markdown]
# The replay slider scrubs back through the β = 30 run; here it is moved to the first
# snapshot after the start, as a student would drag it.

# %%
conv.replay.value = 1
print("showing step", conv.shown.step, "of", conv.run.snapshots[-1].step)
conv.replay.value = len(conv.run.snapshots) - 1

# %% tags=["nbval-ignore-output"]
from pinnkit.diagnostics import fields, plot_fields

for run in conv.runs[-2:]:
    plot_fields(fields(run.problem, run.model), title=f"convection, beta = {run.problem.values['beta']:g}")

# %%
numbers = record("02_live_training", steps=steps, num_points=num_points, width=width,
                 burgers_rel_l2=bh.final["metric/rel_l2"], beta_low=beta_low, beta_high=beta_high,
                 convection_rel_l2_low=low, convection_rel_l2_high=high,
                 live_overhead=conv.run.overhead, snapshots=len(conv.run.snapshots))
numbers

# %% [markdown]
# **What to try.** Drag β between 1 and 50 and train each time: where does the error
# field stop following the characteristic lines $x-\beta t = \text{const}$? Switch the
# sampler or the loss balancer (their lists come from pinnkit's registries) and compare.
# For a sweep with thumbnails, use `pinnkit_widgets.Explorer` (or
# `python -m pinnkit_widgets explorer`); for two settings side by side,
# `pinnkit_widgets.Compare`.
