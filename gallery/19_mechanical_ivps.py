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
# # 19 · Mechanical initial-value problems: does an unsupervised PINN conserve energy? (Mattheakis et al. 2022)
#
# Hénon–Heiles and the nonlinear pendulum solved without data: the network outputs the
# trajectory, the loss is Hamilton's equations, the initial state holds exactly.
#
# **Claim.** Mattheakis, Sondak, Dogra & Protopapas, "Hamiltonian neural networks for solving
# equations of motion" (Phys. Rev. E 105, 065305, 2022, arXiv 2001.11107) train such networks
# (sin activation, initial state imposed by $\hat u(t) = u_0 + (1 - e^{-t}) N(t)$) and report
# that the energy of the predicted orbit stays close to its initial value over the horizon,
# closer than a symplectic Euler integrator using as many time points. Checked here on the
# recorded numbers, with thresholds fixed before the runs of this notebook: the relative energy
# drift $\max_t |E(t) - E_0| / |E_0|$ on a dense grid (median of the seeds) of the sin network
# with the hard initial state is **below that of a plain tanh MLP with penalised initial
# conditions** (the direction) and, for "reproduced", **at most 1e-2 and below symplectic
# Euler's** at the same number of time points (the magnitude).
#
# **What differs.** The seed paper of this entry ("unsupervised solutions of mechanical
# initial-value problems … with coupled networks and 'probabilistic' activation functions")
# is not available here, so its activation is not implemented and nothing is claimed about
# it; the method checked is the Hamiltonian-network paper above. "Coupled networks" is one
# shared network with one output per phase-space coordinate, the outputs coupled through
# the residual. No energy penalty is added to the loss (the paper's optional term). The
# paper's network sizes, point counts and epochs are not restated here; pinnkit's are in the
# settings table, a student's budget. The long horizons are marched in time windows
# (seq2seq), each restarting the hard transform from the previous window's end state, and
# each window's Adam phase is followed by L-BFGS — both pinnkit choices, made after
# exploratory runs with Adam alone in one window (rel. errors 0.1–2 at this budget, energy
# drift 0.2–0.45). The 1e-2 threshold was fixed from the paper's wording before the runs of
# this notebook, after those exploratory runs.
#
# **Problems.** Zoo `henon_heiles`: $H = \tfrac12(p_x^2 + p_y^2) + \tfrac12(x^2 + y^2) + x^2 y
# - y^3/3$ from $(x, y, p_x, p_y) = (0.3, -0.3, 0.3, 0.15)$ ($E_0 = 0.128$, below the escape
# energy 1/6) on $t \in [0, 6\pi]$; zoo `pendulum`: $\theta'' = -(g/L)\sin\theta$, $g/L = 1$,
# released from rest at $\theta_0 = 2$ rad. References: `solve_ivp` (DOP853, tolerances 1e-12).
# Docs page `docs/methods/mechanical-ivps.md`.

# %% tags=["parameters"]
hh_T: float = 18.84955592153876  # Hénon–Heiles horizon (6π)
pend_T: float = 10.0  # pendulum horizon
pend_theta0: float = 2.0  # pendulum release angle (rad)
windows: int = 4  # time-marching windows of the sin network (both problems)
adam_per_window: int = 1000  # Adam steps per window (the tanh baseline gets windows × this, in one window)
lbfgs_per_window: int = 1000  # L-BFGS iterations per window after Adam (the baseline: windows × this)
width: int = 50  # hidden width (both networks)
depth: int = 2  # hidden layers (both networks)
points_per_window: int = 500  # residual points per window (uniform, drawn once; the baseline: windows × this)
lr_sin: float = 5e-3  # Adam learning rate of the sin network (decays 10× over each window's Adam phase)
lr_tanh: float = 1e-3  # Adam learning rate of the tanh MLP (decays 10× over its Adam phase)
seeds: int = 3  # seeds per network (median and spread)
drift_threshold: float = 1e-2  # "energy stays near its initial value": relative drift at most this
eval_every: int = 250  # steps between evaluations (the budget curves)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep, zoo
from pinnkit.problems.zoo import mechanics as M
from pinnkit.report import (Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary, values_at,
                            verdict)
from pinnkit.training.evaluate import predict

WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only
    hh_T, pend_T, windows, adam_per_window, lbfgs_per_window, width, points_per_window, seeds, eval_every = (
        3.0, 3.0, 2, 40, 20, 16, 100, 1, 20)
HH = {"T": hh_T}
PEND = {"g": 1.0, "length": 1.0, "theta0": pend_theta0, "omega0": 0.0, "T": pend_T}


def config(problem, net, seed, steps_scale=1.0):
    """The sin network with the hard initial state, marched over ``windows`` windows, or the
    tanh MLP with penalised initial conditions in one window with the same total points,
    Adam steps and L-BFGS iterations; ``steps_scale`` scales the budget (half-budget runs)."""
    k = 1 if net == "sin" else windows  # the baseline trains the whole horizon at once
    adam, lbfgs = int(adam_per_window * k * steps_scale), int(lbfgs_per_window * k * steps_scale)
    base = RunConfig(problem=problem, parameters=HH if problem == "henon_heiles" else PEND, width=width, depth=depth,
                     sampler="uniform", num_points=points_per_window * windows, condition_points=1, steps=adam,
                     optimizer="adam+lbfgs", lbfgs_steps=lbfgs, optimizer_options={"decay_rate": 0.1, "decay_steps": adam},
                     eval_every=eval_every, seed=seed, threads=1)
    if net == "sin":
        return base.replace(activation="sin", hard=True, scale_inputs=False, lr=lr_sin, strategy="seq2seq",
                            strategy_options={"windows": windows})
    return base.replace(activation="tanh", hard=False, scale_inputs=True, lr=lr_tanh)


display(Markdown(settings_table([
    ("problems", "nonlinear oscillator, Hénon–Heiles", "Hénon–Heiles on [0, 6π], pendulum θ0 = 2 on [0, 10]",
     f"T = {hh_T:.3g}, {pend_T:.3g}", "the pendulum stands in for the paper's oscillator"),
    ("network", "sin activation, outputs (x, y, px, py)", f"{depth} × {width} sin, one output per coordinate",
     f"{depth} × {width}", "—"),
    ("initial state", "û = u0 + (1 − e^{−t}) N(t)", "same (restarted at each window's start)", "same", "—"),
    ("loss", "Hamilton's equations residual (+ optional energy term)", "residual only", "same",
     "no energy penalty: the drift is a consequence, not a target"),
    ("long horizon", "one network", f"{windows} seq2seq windows (sin network)", f"{windows}",
     "exploratory single-window runs at this budget did not converge on the horizon"),
    ("points", "t-grid, perturbed every epoch", f"{points_per_window} uniform per window, drawn once",
     f"{points_per_window}", "fixed points for L-BFGS"),
    ("optimizer", "Adam", f"Adam {adam_per_window} (lr {lr_sin:g} sin, {lr_tanh:g} tanh, 10× decay) then L-BFGS "
     f"{lbfgs_per_window}, per window", f"{adam_per_window} + {lbfgs_per_window}",
     "Adam alone left rel. errors of 0.1–2 at this budget in exploratory runs"),
    ("baseline", "symplectic Euler, same number of points", f"same; and a tanh MLP, soft ICs, one window, "
     f"{windows}× the points, Adam steps and L-BFGS iterations", f"{windows * adam_per_window} + "
     f"{windows * lbfgs_per_window}", "the plain PINN at an equal budget"),
    ("energy drift", "E(t) − E0 plotted", "max_t |E − E0| / |E0| on the 100-per-unit-time test grid", "same",
     "a number to check"),
    ("seeds", "—", f"{seeds}", f"{seeds}", "seed spread"),
])))

# %% [markdown]
# ## The runs (every problem, network and seed; half-budget runs for the budget check)

# %%
NETS = ("sin", "tanh")
PROBLEMS = ("henon_heiles", "pendulum")
configs = {(p, n, s, f): config(p, n, s, f) for p in PROBLEMS for n in NETS for s in range(seeds) for f in (1.0, 0.5)
           if f == 1.0 or n == "sin"}
t0 = time.perf_counter()
result = sweep(list(configs.values()), store=store_dir(), progress=True, max_workers=2)
sweep_seconds = time.perf_counter() - t0
runs = dict(zip(configs, result.runs))
print(f"{len(result.trained)} runs trained, {len(result.reused)} found in the store ({sweep_seconds:.0f} s)")

problems = {"henon_heiles": zoo.get("henon_heiles", **HH), "pendulum": zoo.get("pendulum", **PEND)}
drift = {(p, n): [runs[p, n, s, 1.0].history.final["metric/energy_drift"] for s in range(seeds)]
         for p in PROBLEMS for n in NETS}
err = {(p, n): [runs[p, n, s, 1.0].history.final["metric/rel_l2"] for s in range(seeds)] for p in PROBLEMS for n in NETS}
# symplectic Euler with as many steps as the network has residual points over the horizon
se = {}
for p in PROBLEMS:
    prob = problems[p]
    n_points = points_per_window * windows
    t, U = M.symplectic_euler(prob, n_points)
    E0 = M.energy(prob, prob.reference_on(t[:1, None]))[0]
    se[p] = {"steps": n_points, "drift": M.energy_drift(M.energy(prob, U), E0),
             "rel_l2": float(np.linalg.norm(U - prob.reference_on(t[:, None])) / np.linalg.norm(prob.reference_on(t[:, None])))}
rows = ["| problem | method | energy drift (median [min, max]) | rel. L2 error |", "|---|---|---|---|"]
for p in PROBLEMS:
    for n, label in (("sin", f"sin, hard IC, {windows} windows"),
                     ("tanh", "tanh MLP, soft IC")):
        rows.append(f"| {p} | {label} | {fmt(drift[p, n])} | {fmt(err[p, n])} |")
    rows.append(f"| {p} | symplectic Euler, {se[p]['steps']} steps | {se[p]['drift']:.2e} | {se[p]['rel_l2']:.2e} |")
display(Markdown("\n".join(rows)))

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(2, 2, figsize=(11, 6.4), constrained_layout=True)
for row, p in enumerate(PROBLEMS):
    prob = problems[p]
    x = prob.test_grid()
    ref = prob.reference_on(x)
    E0 = M.energy(prob, ref[:1])[0]
    ax_orbit, ax_e = axes[row]
    if p == "henon_heiles":
        ax_orbit.plot(ref[:, 0], ref[:, 1], "k-", lw=2.5, alpha=0.35, label="reference")
    else:
        ax_orbit.plot(x[:, 0], ref[:, 0], "k-", lw=2.5, alpha=0.35, label="reference")
    for n, c in (("sin", "C0"), ("tanh", "C1")):
        pred = predict(runs[p, n, 0, 1.0].model, x)
        if p == "henon_heiles":
            ax_orbit.plot(pred[:, 0], pred[:, 1], color=c, lw=1, label=n)
        else:
            ax_orbit.plot(x[:, 0], pred[:, 0], color=c, lw=1, label=n)
        ax_e.semilogy(x[:, 0], np.abs(M.energy(prob, pred) - E0) / abs(E0) + 1e-16, color=c, lw=1, label=n)
    t, U = M.symplectic_euler(prob, se[p]["steps"])
    ax_e.semilogy(t, np.abs(M.energy(prob, U) - E0) / abs(E0) + 1e-16, color="C2", lw=1, label="symplectic Euler")
    ax_e.axhline(drift_threshold, color="grey", ls="--", lw=0.8)
    ax_orbit.set_title(f"{p}: " + ("orbit (x, y)" if p == "henon_heiles" else "θ(t)") + ", seed 0")
    ax_e.set_title(f"{p}: |E(t) − E0| / |E0|, seed 0"); ax_e.set_xlabel("t")
    ax_orbit.legend(fontsize=8); ax_e.legend(fontsize=8)

# %% [markdown]
# ## Is the budget enough?
#
# The marched sin networks trained again with half the Adam steps and L-BFGS iterations per
# window (runs of their own: a marched run's history at half its steps is the middle window,
# not the orbit); the single-window baselines read off their own histories at half their
# steps (the end of their Adam phase).

# %%
half = {(p, "sin"): [runs[p, "sin", s, 0.5].history.final["metric/energy_drift"] for s in range(seeds)]
        for p in PROBLEMS}
for p, n in [("henon_heiles", "tanh"), ("pendulum", "tanh")]:
    h = [runs[p, n, s, 1.0].history for s in range(seeds)]
    half[p, n] = [values_at(hh, [hh.final["step"] // 2], "metric/energy_drift")[0] for hh in h]
lines = ["| problem | network | drift at ½ budget | drift at full budget | ratio ½ / full |", "|---|---|---|---|---|"]
for k in half:
    lines.append(f"| {k[0]} | {k[1]} | {fmt(half[k])} | {fmt(drift[k])} | "
                 f"{fmt(np.array(half[k]) / np.array(drift[k]))} |")
display(Markdown("\n".join(lines)))
for k in half:
    ratio = float(np.median(np.array(half[k]) / np.array(drift[k])))
    print(f"{k[0]}, {k[1]}: " + ("settled (half the budget gives a drift within 1.5× of the full one)" if ratio < 1.5
                                 else f"not settled: half the budget gives {ratio:.3g}× the drift, so the numbers "
                                      f"below are those of this budget, not a limit"))

# %% [markdown]
# ## The claim, checked

# %%
wall = time.perf_counter() - WALL0
claims = []
for p in PROBLEMS:
    ms, mt = float(np.median(drift[p, "sin"])), float(np.median(drift[p, "tanh"]))
    direction = bool(ms < mt)
    magnitude = bool(ms <= drift_threshold and ms < se[p]["drift"])
    claims.append(Claim(
        paper="Mattheakis et al. 2022 (Hamiltonian NNs for equations of motion), Hénon–Heiles and oscillator figures",
        claim=f"{p}: the sin network with the hard initial state keeps the relative energy drift below the tanh MLP "
              f"with soft ICs ('reproduced' also needs ≤ {drift_threshold:g} and below symplectic Euler at "
              f"{se[p]['steps']} steps); the value is the drift",
        paper_value=None, values=drift[p, "sin"], seeds=seeds,
        budget=f"{windows} windows × ({adam_per_window} Adam + {lbfgs_per_window} L-BFGS), {depth}×{width} sin, "
               f"{points_per_window} points per window",
        wall_seconds=sweep_seconds, verdict=verdict(direction=direction, magnitude=magnitude),
        note=f"drift sin {fmt(drift[p, 'sin'])}, tanh {fmt(drift[p, 'tanh'])}, symplectic Euler {se[p]['drift']:.2e}; "
             f"rel L2 sin {fmt(err[p, 'sin'])}, tanh {fmt(err[p, 'tanh'])}, symplectic Euler {se[p]['rel_l2']:.2e}"))
    print(f"{p}: {claims[-1].verdict}: {claims[-1].note}")
display(Markdown(paper_table(
    [{"method": f"{p}: {label}", "paper reports": rep, "setting": "their budget", "pinnkit gets": got,
      "our budget": bud}
     for p in PROBLEMS
     for label, rep, got, bud in [
         ("sin network, hard IC", "energy near E0 over the horizon", f"drift {fmt(drift[p, 'sin'])}",
          f"{windows} × ({adam_per_window} + {lbfgs_per_window})"),
         ("symplectic Euler, equal points", "larger energy error than the network", f"drift {se[p]['drift']:.2e}",
          f"{se[p]['steps']} steps"),
         ("tanh MLP, soft IC", None, f"drift {fmt(drift[p, 'tanh'])}",
          f"{windows * adam_per_window} + {windows * lbfgs_per_window}")]])))
res = record("19_mechanical_ivps", claims=claims,
             energy_drift={f"{p}/{n}": summary(v) for (p, n), v in drift.items()},
             rel_l2={f"{p}/{n}": summary(v) for (p, n), v in err.items()},
             symplectic_euler={p: v for p, v in se.items()},
             half_budget_drift={f"{p}/{n}": summary(v) for (p, n), v in half.items()},
             wall_seconds=wall, sweep_seconds=sweep_seconds)

# %%
assert all(np.isfinite(v) for vs in drift.values() for v in vs), drift
assert all(r.history.final["step"] > 0 for r in runs.values())
# the hard initial state holds exactly for every sin network
for p in PROBLEMS:
    for s in range(seeds):
        u0 = predict(runs[p, "sin", s, 1.0].model, np.zeros((1, 1)))[0]
        assert np.abs(u0 - problems[p].reference_on(np.zeros((1, 1)))[0]).max() < 1e-6, (p, s, u0)
