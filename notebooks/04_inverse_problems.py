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
# # 04 · Inverse problems and identifiability
#
# **Learning goals.** After this lesson you can
# 1. write an inverse problem as *one* loss in which the unknown coefficient is trained with the network, and
#    train a positive coefficient through its logarithm, $\kappa = e^{s}$;
# 2. identify a coefficient from observations in a file of your own (CSV or NPZ) with pinnkit's `data` and
#    `unknowns` settings, and read its trajectory over training from the history;
# 3. measure how the error of the identified value depends on the number of observations and on their noise;
# 4. recognise a setting in which the data cannot identify the coefficient — and say why.
#
# **The problem** (pinnkit's `heat`): on $x\in[0,1]$, $t\in[0,1]$,
# $$u_t = \kappa\,u_{xx},\qquad u(x,0) = \sin\pi x + \tfrac12\sin 4\pi x,\qquad u(0,t) = u(1,t) = 0,$$
# exact solution $u = e^{-\kappa\pi^2 t}\sin\pi x + \tfrac12 e^{-16\kappa\pi^2 t}\sin 4\pi x$. In lesson 02 we knew
# $\kappa = 0.1$ and solved for $u$. Now $\kappa$ is **unknown**: we have $N_d$ measurements $u_j^{\rm obs}$ at points
# $(x_j, t_j)$, perhaps noisy, and want $\kappa$ back.
#
# **One loss, one more trainable number** (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019, §4): the
# coefficient joins the network's weights $\theta$,
# $$L(\theta, \kappa) = \underbrace{\frac1{N_r}\sum_i \big(\partial_t u_\theta - \kappa\,\partial_{xx}u_\theta\big)^2(x_i,t_i)}_{\text{residual}}
#  + \underbrace{L_{\rm initial} + L_{\rm left} + L_{\rm right}}_{\text{conditions (lesson 02)}}
#  + \underbrace{\frac1{N_d}\sum_j \big(u_\theta(x_j,t_j) - u_j^{\rm obs}\big)^2}_{\text{data}},$$
# minimised over $(\theta,\kappa)$ together by the same optimiser. The data term pulls $u_\theta$ towards the
# measurements; the residual term can only be small if $\kappa$ is the coefficient that makes $u_\theta$ a solution.
#
# **A positive coefficient through its log.** A diffusivity must stay positive, and its plausible values span
# decades. pinnkit therefore trains $s$ with $\kappa = e^{s}$ (`unknowns={"kappa": {"init": 0.05, "log": True}}`; a
# parameter declared positive is trained this way by default). By the chain rule
# $\partial L/\partial s = \kappa\,\partial L/\partial\kappa$: a step changes $\kappa$ by a *factor*, the same
# relative amount at $\kappa = 10^{-3}$ as at $\kappa = 1$, and $\kappa$ can never cross zero.
#
# **Identifiability.** Minimising $L$ returns *some* $\kappa$ — it is meaningful only if the data pin it down: if two
# values $\kappa_1 \ne \kappa_2$ give solutions that agree at every observation point (up to the noise), no
# optimiser can tell them apart. The data fail to identify $\kappa$ when there are too few of them for the freedom
# left in $u_\theta$, when noise swamps the part of $u$ that depends on $\kappa$, or when they sit **where $\kappa$
# does not act** — at $t = 0$, where $u(x,0)$ is the same for every $\kappa$.

# %% tags=["parameters"]
kappa: float = 0.1  # the true diffusivity κ (what the observations are drawn from)
kappa_init: float = 0.05  # where training starts (2× too small)
width: int = 20  # neurons per hidden layer
depth: int = 3  # hidden layers
num_points: int = 500  # collocation points
lr: float = 0.003  # Adam learning rate
steps: int = 8000  # Adam steps per run
seeds: int = 3  # seeds per setting
counts: list = [5, 20, 100, 1000]  # numbers of observations, section 2
noises: list = [0.0, 0.01, 0.05, 0.1]  # noise levels (fraction of std u), section 3
noise_points: int = 20  # observations in section 3
widget_steps: int = 2000  # Adam steps of the live view

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # tests only: a smoke run (the lesson needs the full budget)
    width, num_points, steps, seeds, widget_steps = 10, 200, 150, 1, 60
print(f"quick mode: {QUICK}; {steps} Adam steps, {seeds} seed(s)")

# %%
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep, zoo
from pinnkit.course import lesson04 as L
from pinnkit.report import Claim, fmt, paper_table, results_dir, store_dir, summary, verdict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
UNKNOWN = {"kappa": {"init": kappa_init, "log": True}}
base = RunConfig(problem="heat", parameters={"kappa": kappa}, unknowns=UNKNOWN, width=width, depth=depth,
                 num_points=num_points, lr=lr, steps=steps, eval_every=max(steps // 10, 1))
problem = zoo.get("heat", kappa=kappa)
print(problem.equation, "| conditions:", list(problem.conditions))


def kappa_error(run):
    """|κ̂ − κ| / κ of a finished run (its final ``unknown/kappa``)."""
    return L.relative_error(run.metrics["unknown/kappa"], kappa)


# %% [markdown]
# ## 1. Your own measurements: a CSV file
#
# A student with a real experiment has a table of $(x, t, u)$. We make one here by sampling the exact solution at
# 200 random points and adding 1 % noise, and write it with numpy. The columns are the problem's coordinate names
# (`x`, `t`) and its field (`u`); pinnkit checks every value and tells you the line of a bad one
# (`pinnkit/problems/observations.py`). `data="obs.csv"` adds a `data` term to the loss; `unknowns` makes κ
# trainable. pinnkit does not know the true κ of your file — you do, so you compute the error yourself.

# %%
DATA = results_dir().parent / "lesson04_data"
DATA.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(4)
pts = np.column_stack([rng.uniform(0, 1, 200), rng.uniform(0, 1, 200)])
u_obs = problem.reference_on(pts)[:, 0]
u_obs = u_obs + 0.01 * np.std(u_obs) * rng.standard_normal(len(u_obs))
np.savetxt(DATA / "obs.csv", np.column_stack([pts, u_obs]), delimiter=",", header="x,t,u", comments="", fmt="%.6f")
print(open(DATA / "obs.csv").read()[:120], "...")

csv_config = base.replace(data=str(DATA / "obs.csv"))
t0 = time.perf_counter()
(csv_run,) = sweep([csv_config], store=store_dir(), executor=ThreadPoolExecutor(1))
csv_kappa = csv_run.metrics["unknown/kappa"]
steps_, values_ = L.trajectory(csv_run.history, "kappa")
plt.figure(figsize=(5, 2.8))
plt.semilogy(steps_, values_, label="κ over training")
plt.axhline(kappa, color="k", ls="--", lw=1, label=f"true κ = {kappa:g}")
plt.xlabel("Adam step"), plt.ylabel("κ"), plt.legend(fontsize=8)
plt.show()
print(f"identified κ = {csv_kappa:.5f} from {len(pts)} noisy points, started from {kappa_init:g} "
      f"({time.perf_counter() - t0:.0f} s)")

# %% [markdown]
# ## 2. How many observations?
#
# `data={"points": n, "noise": σ}` draws `n` observations from the reference on the test grid (drawn
# anew for each seed, so the seeds differ in the data as well as in the network) with noise $\sigma\cdot\mathrm{std}(u)\cdot N(0,1)$;
# pinnkit then knows the true κ and the history carries it beside the trajectory. All settings of sections 2–4
# train in one `sweep`, in parallel, and land in the run store (a second execution trains nothing).

# %%
COUNT = {n: base.replace(data={"points": n, "noise": 0.0}) for n in counts}
NOISE = {s: base.replace(data={"points": noise_points, "noise": s}) for s in noises}
# section 4: 100 clean observations, all at t = 0 — written to a file like section 1's
x0 = np.linspace(0, 1, 100)
np.savetxt(DATA / "obs_t0.csv", np.column_stack([x0, np.zeros_like(x0), problem.reference_on(
    np.column_stack([x0, np.zeros_like(x0)]))[:, 0]]), delimiter=",", header="x,t,u", comments="", fmt="%.6f")
NONID = {"100 points at t = 0": base.replace(data=str(DATA / "obs_t0.csv")),
         "5 points, no conditions": base.replace(
             data={"points": 5, "noise": 0.0}, balancer="static",
             balancer_options={"scales": {"initial": 0.0, "left": 0.0, "right": 0.0}})}
groups = {"count": COUNT, "noise": NOISE, "nonid": NONID}
keys = [(g, k, s) for g, d in groups.items() for k in d for s in range(seeds)]
t0 = time.perf_counter()
result = sweep([groups[g][k].replace(seed=s) for g, k, s in keys], store=store_dir(),
               executor=ThreadPoolExecutor(1) if QUICK else None)
sweep_seconds = time.perf_counter() - t0
runs = dict(zip(keys, result.runs))
err = {g: {k: [kappa_error(runs[g, k, s]) for s in range(seeds)] for k in d} for g, d in groups.items()}
print(f"{len(result.trained)} runs trained, {len(result.reused)} from the store ({sweep_seconds:.0f} s)")
display(Markdown(paper_table([{"observations": n, "noise": "0", "|κ̂ − κ|/κ (median [min, max])": fmt(err["count"][n]),
                               "κ̂ (seed 0)": f"{runs['count', n, 0].metrics['unknown/kappa']:.4f}"} for n in counts],
                             columns=("observations", "noise", "|κ̂ − κ|/κ (median [min, max])", "κ̂ (seed 0)"))))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for n in counts:
    st, val = L.trajectory(runs["count", n, 0].history, "kappa")
    axes[0].semilogy(st, val, label=f"{n} points")
axes[0].axhline(kappa, color="k", ls="--", lw=1)
axes[0].set_xlabel("Adam step"), axes[0].set_ylabel("κ (seed 0)"), axes[0].legend(fontsize=8)
axes[1].loglog(counts, [np.median(err["count"][n]) for n in counts], "o-", label="median")
axes[1].fill_between(counts, [min(err["count"][n]) for n in counts], [max(err["count"][n]) for n in counts], alpha=0.3,
                     label="min–max over seeds")
axes[1].set_xlabel("observations"), axes[1].set_ylabel("|κ̂ − κ| / κ"), axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# With the initial and boundary conditions in the loss, the forward problem is already well posed for each κ: the
# data only have to tell the solutions $u(\cdot;\kappa)$ apart, and a handful of clean points can do that. What is
# left of the error is the PINN's own: a $u_\theta$ that is not quite a solution gives a κ that is not quite right,
# and more clean data do not remove it.
#
# **Measured** (full budget, 2-core CPU, one thread per run, seeds 0–2, 8000 Adam steps from κ = 0.05):
# $|\hat\kappa-\kappa|/\kappa$ = 7.6e-3 [7.2e-3, 9.5e-3] with 5 clean points, 7.7e-3 [2.1e-3, 1.1e-2] with 20,
# 3.0e-3 [2.9e-3, 6.3e-3] with 100 and 4.4e-3 [4.3e-3, 5.7e-3] with 1000 — every count below 1.1 %, and no trend
# beyond 100 points: the floor is the network's, not the data's. All trajectories climb from 0.05 to within 1 % of
# 0.1 and stay there; the CSV file of section 1 (200 points, 1 % noise) gave κ̂ = 0.0995.
#
# ## 3. How much noise?
#
# Now `noise_points` observations with noise 0, 1, 5 and 10 % of $\mathrm{std}(u)$.

# %%
display(Markdown(paper_table([{"noise": f"{s:.0%}", "observations": noise_points,
                               "|κ̂ − κ|/κ (median [min, max])": fmt(err["noise"][s])} for s in noises],
                             columns=("noise", "observations", "|κ̂ − κ|/κ (median [min, max])"))))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for s in noises:
    st, val = L.trajectory(runs["noise", s, 0].history, "kappa")
    axes[0].semilogy(st, val, label=f"noise {s:.0%}")
axes[0].axhline(kappa, color="k", ls="--", lw=1)
axes[0].set_xlabel("Adam step"), axes[0].set_ylabel("κ (seed 0)"), axes[0].legend(fontsize=8)
for s in noises:
    axes[1].semilogy([100 * s] * seeds, np.maximum(err["noise"][s], 1e-6), "o", color="C0", alpha=0.6)
axes[1].semilogy([100 * s for s in noises], [np.median(err["noise"][s]) for s in noises], "-", color="C0")
axes[1].set_xlabel("noise (% of std u)"), axes[1].set_ylabel("|κ̂ − κ| / κ (each seed)")
plt.show()

# %% [markdown]
# ## 4. When the data cannot identify κ
#
# Two settings that *look* reasonable. **100 clean points, all at $t = 0$**: the initial state is the same for
# every κ, so these data say nothing the initial condition did not say already; κ acts on how $u$ *changes* in
# time, and nothing observes that. **5 points and no conditions** (the initial and boundary terms weighted 0 —
# Raissi et al.'s inverse setting has only data and residual): a network can pass through 5 points with a function
# that barely changes in time, and $\kappa \to 0$ then makes the residual $u_t - \kappa u_{xx}$ small as well.

# %%
display(Markdown(paper_table([{"setting": k, "|κ̂ − κ|/κ (median [min, max])": fmt(err["nonid"][k]),
                               "κ̂ per seed": ", ".join(f"{runs['nonid', k, s].metrics['unknown/kappa']:.3g}"
                                                       for s in range(seeds))} for k in NONID],
                             columns=("setting", "|κ̂ − κ|/κ (median [min, max])", "κ̂ per seed"))))
fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
for i, k in enumerate(NONID):
    for s in range(seeds):
        st, val = L.trajectory(runs["nonid", k, s].history, "kappa")
        ax.semilogy(st, val, color=f"C{i + 1}", alpha=0.8, label=k if s == 0 else None)
st, val = L.trajectory(runs["count", 100, 0].history, "kappa")
ax.semilogy(st, val, color="C0", label="100 points everywhere (seed 0)")
ax.axhline(kappa, color="k", ls="--", lw=1)
ax.set_xlabel("Adam step"), ax.set_ylabel("κ"), ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Measured** (same budget, seeds 0–2). Noise, at 20 observations: 0 % 7.7e-3 [2.1e-3, 1.1e-2], 1 % 3.5e-3
# [3.1e-3, 1.2e-2], 5 % 1.7e-2 [1.4e-3, 1.8e-2], 10 % 3.0e-2 [8.2e-4, 3.6e-2]. The error grows with the noise — 4× from
# 0 to 10 % in the median — but not monotonically at small noise (1 % is below the network's own floor, and one
# lucky seed at 10 % lands within 0.1 %): with few noisy points the identified value is a random variable, and one
# seed tells you little about it. Not identifiable: with 100 clean points at $t = 0$ κ did *not* stay at its start
# but slid to 0.0074, 0.010 and 0.0055 (error 0.93 [0.90, 0.95]) — nothing in the loss pushes back, and a smaller κ
# makes the residual easier to satisfy. With 5 points and no conditions the three seeds ended at 0.0017, 0.0096 and
# 0.061: three different answers to the same question, the mark of a parameter the data do not fix. The 27 runs took
# 391 s on two worker processes; the whole notebook 437 s wall.
#
# ## 5. Live: data count and noise
#
# The dashboard trains κ from `data={"points": n, "noise": σ}` and draws its trajectory live in the *identified
# parameters* plot (the true value dashed). Move the sliders: each move stops the run and trains a new one. Try 5
# points at 10 % noise, then 1000 points at 10 % noise. The dashboard's own *data* box takes a CSV path too.

# %% tags=["nbval-ignore-output"]
import json

import panel as pn
from pinnkit_widgets import Dashboard

dash = Dashboard("heat", base.replace(steps=widget_steps, eval_every=max(widget_steps // 10, 1),
                                      data={"points": 20, "noise": 0.0}))
points_slider = pn.widgets.DiscreteSlider(name="observations", options=[5, 20, 100, 1000], value=20)
noise_slider = pn.widgets.DiscreteSlider(name="noise (fraction of std u)", options=[0.0, 0.01, 0.05, 0.1], value=0.0)


def retrain(event=None):
    dash.stop()
    if dash.run is not None:
        dash.run.join(10)
    dash.controls.widgets["data"].value = json.dumps({"points": points_slider.value, "noise": noise_slider.value})
    dash.train()  # in JupyterLab: returns at once and the plots follow; headless: trains to the end


points_slider.param.watch(retrain, "value")
noise_slider.param.watch(retrain, "value")
retrain()
pn.Column(pn.Row(points_slider, noise_slider), dash.panel)

# %%
dash.wait()
assert dash.run.history.status == "completed", dash.run.history.status
live_kappa = float(dash.run.history.final["unknown/kappa"])
print(f"live view: κ = {live_kappa:.4f} after {widget_steps} steps from 20 clean points")

# %% [markdown]
# ## Exercises
#
# **E1.** κ is trained as $s = \ln\kappa$. At $\kappa_0 = 0.05$ the loss has $\partial L/\partial\kappa = 20$. What
# is κ after one plain gradient-descent step of size 0.01 *on s*?

# %%
answer_log_step = ...  # your answer

# %% tags=["solution"]
answer_log_step = 0.05 * np.exp(-0.01 * 0.05 * 20.0)

# %%
L.check_log_step(answer_log_step, kappa0=0.05, grad_kappa=20.0, lr=0.01)

# %% [markdown]
# **E2.** The relative error $|\hat\kappa - \kappa|/\kappa$ of the κ identified from your CSV file in section 1.

# %%
answer_csv_error = ...  # your answer

# %% tags=["solution"]
answer_csv_error = abs(csv_kappa - kappa) / kappa

# %%
L.check_relative_error(answer_csv_error, csv_kappa, kappa)

# %% [markdown]
# **E3.** The smallest number of clean observations in section 2 that identified κ within 1 % for *every* seed
# (one of `counts`, or `"none"`).

# %%
answer_first_count = ...  # your answer

# %% tags=["solution"]
answer_first_count = L.first_identified(err["count"], 0.01)

# %%
L.check_first_identified(answer_first_count, err["count"], 0.01)

# %% [markdown]
# **E4.** Of these three settings, which one does not identify κ?

# %%
THREE = {f"{noise_points} points, noise {noises[0]:.0%}": err["noise"][noises[0]],
         f"{noise_points} points, noise {noises[-1]:.0%}": err["noise"][noises[-1]],
         "100 points at t = 0": err["nonid"]["100 points at t = 0"]}
answer_not_identifiable = ...  # your answer

# %% tags=["solution"]
answer_not_identifiable = "100 points at t = 0"

# %%
L.check_not_identifiable(answer_not_identifiable, THREE)

# %% [markdown]
# ## The claim, on the recorded numbers

# %%
checks = [L.check_log_step(answer_log_step, kappa0=0.05, grad_kappa=20.0, lr=0.01),
          L.check_relative_error(answer_csv_error, csv_kappa, kappa),
          L.check_first_identified(answer_first_count, err["count"], 0.01),
          L.check_not_identifiable(answer_not_identifiable, THREE)]
enough = [n for n in counts if n >= 100]
worst_clean = max(max(err["count"][n]) for n in enough)
noise_medians = [float(np.median(err["noise"][s])) for s in noises]
grows = bool(noise_medians[-1] > noise_medians[0])
t0_median = float(np.median(err["nonid"]["100 points at t = 0"]))
claim = Claim(paper="Raissi, Perdikaris & Karniadakis 2019 (JCP), PINNs for inverse problems",
              claim=f"on heat (κ = {kappa:g}, conditions known) ≥ 100 clean observations identify κ within 1 % for every "
                    f"seed, the median error at {noises[-1]:.0%} noise ({noise_points} points) exceeds that at {noises[0]:.0%}, and 100 points "
                    f"at t = 0 leave κ ≥ 10 % off (values: |κ̂ − κ|/κ per seed at {max(enough)} clean points)",
              values=err["count"][max(enough)], seeds=seeds,
              budget=f"{steps} Adam steps at lr {lr:g}, {depth}×{width}, {num_points} points, κ from {kappa_init:g}",
              wall_seconds=sweep_seconds,
              verdict=verdict(direction=bool(grows and t0_median >= 0.1), magnitude=bool(worst_clean < 0.01)),
              note=f"worst clean error at ≥ 100 points {worst_clean:.2g}; noise medians "
                   + ", ".join(f"{s:.0%}: {m:.2g}" for s, m in zip(noises, noise_medians))
                   + f"; t = 0 only: {t0_median:.2g}")
numbers = record("04_inverse_problems", kappa=kappa, steps=steps, seeds=seeds, csv_kappa=csv_kappa,
                 count_error={str(n): summary(err["count"][n]) for n in counts},
                 noise_error={str(s): summary(err["noise"][s]) for s in noises},
                 nonid_error={k: summary(v) for k, v in err["nonid"].items()}, live_kappa=live_kappa,
                 checks=[c.ok for c in checks], wall_seconds=time.perf_counter() - WALL0, claims=[claim])
print(f"claim {claim.verdict}: {claim.note}")
assert all(checks), checks
if not QUICK:
    assert claim.verdict == "reproduced", claim

# %% [markdown]
# **Going deeper.** Gallery [14 · Burgers inverse](../gallery/14_burgers_inverse.ipynb) identifies *two*
# coefficients, $\lambda_1$ and $\lambda_2$ of $u_t + \lambda_1 u u_x - \lambda_2 u_{xx} = 0$, as Raissi et al. did,
# at noise 0, 1, 5 and 10 %; the method page `docs/methods/original-pinn.md` has the loss and its citations. Try:
# `kappa_init = 0.002` (50× off: how many more steps does the trajectory need?); observations
# only at $t \ge 0.5$, where the fast mode has decayed; `noise_points = 1000` with 10 % noise.
