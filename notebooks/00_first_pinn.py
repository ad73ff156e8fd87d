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
# # 00 · A first PINN: data alone vs physics
#
# **Learning goals.** After this lesson you can
# 1. write down the loss of a physics-informed neural network (PINN): a data term plus the mean squared residual of
#    the equation at collocation points;
# 2. see that a network fitted to data alone is right where the data are and wrong beyond them, while the same
#    network with the residual added extrapolates along the physics;
# 3. say why a small residual alone certifies nothing: $u\equiv 0$ solves the equation too.
#
# **The problem.** The damped harmonic oscillator on $t\in[0,1]$,
# $$u''(t) + 2d\,u'(t) + \omega_0^2\,u(t) = 0,\qquad u(0)=1,\ u'(0)=0,$$
# with exact solution (for $d<\omega_0$, $\omega=\sqrt{\omega_0^2-d^2}$)
# $u(t)=e^{-dt}\big(\cos\omega t+\tfrac{d}{\omega}\sin\omega t\big)$; here $d=2$, $\omega_0=20$ (three periods).
# We observe $u$ at 10 times in the early window $[0, 0.36]$ only, and ask what happens after.
#
# **Two fits of the same network** $u_\theta(t)$ (tanh MLP, 3 × 32), both trained with Adam:
# * **data alone** — least squares on the observations: $\;L_{\text{data}}=\frac1{n}\sum_k\big(u_\theta(t_k)-u_k\big)^2$;
# * **data + physics (a PINN)** — the same plus the residual
#   $r_\theta(t) = u_\theta''+2d\,u_\theta'+\omega_0^2u_\theta$, computed by automatic differentiation, at 64
#   collocation points $t_j$ spread over all of $[0,1]$:
#   $$L(\theta) = L_{\text{data}} + \lambda\,\frac1N\sum_j r_\theta(t_j)^2,\qquad \lambda = 10^{-4}.$$
#   ($\lambda$ is small because $\omega_0^2 u$ makes the residual about $\omega_0^2 = 400$ times larger than $u$.)
#
# No initial conditions are given to either fit; lesson 02 is about them. This is the setting of Raissi, Perdikaris &
# Karniadakis (J. Comput. Phys. 378, 2019) and of Moseley's "So, what is a physics-informed neural network?".

# %% tags=["parameters"]
d: float = 2.0  # damping d
w0: float = 20.0  # natural frequency ω0
t_data: float = 0.36  # the observations cover [0, t_data]
observations: int = 10  # number of observations
weight: float = 0.0001  # weight λ of the residual term
steps: int = 10000  # Adam steps per fit
seeds: int = 3  # seeds for the claim
widget_steps: int = 3000  # Adam steps of each fit in the live view

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # tests only: a smoke run (the lesson needs the full budget)
    steps, seeds, widget_steps = 2500, 1, 300
print(f"quick mode: {QUICK}; {steps} Adam steps, {seeds} seed(s)")

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import zoo
from pinnkit.course import lesson00 as L
from pinnkit.report import Claim, fmt, paper_table, summary, verdict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
problem = zoo.get("oscillator", d=d, w0=w0)
print(problem.equation)
settings = dict(d=d, w0=w0, t_data=t_data, observations=observations, steps=steps, weight=weight)

# %% [markdown]
# ## 1. Data alone, then data + physics
#
# `L.fit_oscillator(physics, ...)` builds the problem from pinnkit's zoo, replaces its initial conditions by the
# observations (a `Data` condition) and trains with `pinnkit.train`; without physics the residual term gets the
# weight 0. The errors are measured on the 501-point test grid, inside and outside the data window.

# %%
t0 = time.perf_counter()
fits = {label: [L.fit_oscillator(physics, seed=s, **settings) for s in range(seeds)]
        for label, physics in (("data alone", False), ("data + physics", True))}
fit_seconds = time.perf_counter() - t0
outside = {label: float(np.median([f.rel_l2_outside for f in fs])) for label, fs in fits.items()}
display(Markdown(paper_table(
    [{"fit": label, "rel L2 inside": fmt([f.rel_l2_inside for f in fs]),
      "rel L2 outside": fmt([f.rel_l2_outside for f in fs]), "rel L2 on [0, 1]": fmt([f.rel_l2 for f in fs])}
     for label, fs in fits.items()], columns=("fit", "rel L2 inside", "rel L2 outside", "rel L2 on [0, 1]"))))
print(f"{2 * seeds} fits in {fit_seconds:.0f} s")

# %%
fig, ax = plt.subplots(figsize=(7, 3), constrained_layout=True)
first = fits["data alone"][0]
ax.plot(first.t, first.exact, "k", lw=2, label="exact")
for label, fs in fits.items():
    ax.plot(fs[0].t, fs[0].pred, "--" if "physics" in label else "-", label=label)
t_obs = np.linspace(0, t_data, observations)
ax.plot(t_obs, problem.reference_on(t_obs[:, None])[:, 0], "o", color="C3", label="observations")
ax.axvspan(0, t_data, color="0.9")
ax.set_ylim(-1.5, 1.5), ax.set_xlabel("t"), ax.set_ylabel("u"), ax.legend(fontsize=8, ncols=2)
plt.show()

# %% [markdown]
# The full-mode numbers are quoted in the last section. Inside the window both fits are good; outside it the data-alone
# network continues along whatever its tanh units happen to do, while the residual — which the PINN is trained to
# make small on all of $[0,1]$ — carries the oscillation forward.
#
# ## 2. Break it, fix it — live
#
# Choose the fit and the data window; the view retrains (a few seconds) and shows the prediction. *Break it*: data
# alone, and shrink the window — it only learns what it saw. *Fix it*: add the physics. Then try the physics with a
# window of 0.1 (about half a period of data): does the equation still pin the solution down?

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit_widgets import setup

setup()
which = pn.widgets.RadioButtonGroup(name="fit", options={"break it: data alone": False,
                                                         "fix it: data + physics": True}, value=False)
window = pn.widgets.DiscreteSlider(name="data window t_data", options=[0.1, 0.2, 0.36, 0.5, 0.8], value=t_data)


def live_fit(physics, t_end):
    f = L.fit_oscillator(physics, d=d, w0=w0, t_data=t_end, observations=observations, steps=widget_steps,
                         weight=weight)
    fig, ax = plt.subplots(figsize=(6.5, 2.6), constrained_layout=True)
    ax.plot(f.t, f.exact, "k", lw=2, label="exact")
    ax.plot(f.t, f.pred, "--", label=f"prediction (rel L2 outside {f.rel_l2_outside:.2g})")
    ax.axvspan(0, t_end, color="0.9"), ax.set_ylim(-1.5, 1.5), ax.legend(fontsize=8), ax.set_xlabel("t")
    plt.close(fig)
    return pn.pane.Matplotlib(fig, tight=True, dpi=80)


live_view = pn.Column(pn.Row(which, window), pn.bind(live_fit, which, window))
live_view

# %% [markdown]
# ## Exercises
#
# **E1.** The angular frequency $\omega$ of the exact solution for $d = 2$, $\omega_0 = 20$ (a number).

# %%
answer_frequency = ...  # your answer

# %% tags=["solution"]
answer_frequency = math.sqrt(w0**2 - d**2)

# %%
L.check_frequency(answer_frequency, d=d, w0=w0)

# %% [markdown]
# **E2.** The residual $r(t)$ of the zero function $u \equiv 0$ (a number). What does it say about a PINN trained
# on the residual alone, with neither data nor initial conditions?

# %%
answer_trivial_residual = ...  # your answer

# %% tags=["solution"]
answer_trivial_residual = 0.0

# %%
L.check_trivial_residual(answer_trivial_residual, d=d, w0=w0)

# %% [markdown]
# **E3.** Which fit has the smaller error outside the data window: `"data alone"` or `"data + physics"`? (Read the
# table in section 1.)

# %%
answer_better_outside = ...  # your answer

# %% tags=["solution"]
answer_better_outside = min(outside, key=outside.get)

# %%
L.check_better_outside(answer_better_outside, outside)

# %% [markdown]
# ## The claim, on the recorded numbers

# %%
checks = [L.check_frequency(answer_frequency, d=d, w0=w0), L.check_trivial_residual(answer_trivial_residual),
          L.check_better_outside(answer_better_outside, outside)]
gain = [a.rel_l2_outside / b.rel_l2_outside for a, b in zip(fits["data alone"], fits["data + physics"])]
claim = Claim(paper="Raissi, Perdikaris & Karniadakis 2019",
              claim=f"on the damped oscillator (d = {d:g}, ω0 = {w0:g}) with data on [0, {t_data:g}] only, adding the "
                    f"ODE residual lowers the error outside the data by ≥ 5× (values: data-alone / PINN, per seed)",
              values=gain, seeds=seeds, budget=f"{steps} Adam steps, 3×32, {observations} observations, 64 points",
              wall_seconds=fit_seconds,
              verdict=verdict(direction=bool(np.median(gain) > 1), magnitude=bool(min(gain) >= 5)))
numbers = record("00_first_pinn", steps=steps, seeds=seeds,
                 rel_l2_outside_data=summary([f.rel_l2_outside for f in fits["data alone"]]),
                 rel_l2_outside_pinn=summary([f.rel_l2_outside for f in fits["data + physics"]]),
                 rel_l2_inside_data=summary([f.rel_l2_inside for f in fits["data alone"]]),
                 rel_l2_pinn=summary([f.rel_l2 for f in fits["data + physics"]]),
                 checks=[c.ok for c in checks], wall_seconds=time.perf_counter() - WALL0, claims=[claim])
print(f"claim {claim.verdict}: data alone / PINN outside the data = {np.median(gain):.1f}× (median of {seeds})")
assert all(checks), checks
assert claim.verdict == "reproduced", claim

# %% [markdown]
# **Measured (full mode, 10 000 Adam steps, seeds 0–2, one thread on a shared 2-core CPU; median [min, max]).**
# Outside the data window: data alone 4.2 [3.2, 5.2], data + physics 1.3e-2 [9.6e-3, 2.7e-2] relative L2 — a
# ratio of 239× [191×, 439×]; inside it the data-alone fit has 1.8e-2 [1.4e-2, 2.8e-2]. The six fits took 102 s;
# the whole notebook 2 min wall.
#
# **Going deeper.** Lesson 02 puts the initial conditions back, soft and hard; gallery
# [01 · convection failure](../gallery/01_convection_failure.ipynb) shows a PINN whose residual is small while its
# solution is wrong. Try:
# `observations = 4`; `t_data = 0.1`; `weight = 1e-2` (the residual now outweighs the data).
