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
# # 14 · Identifying Burgers' coefficients from scattered data (Raissi, Perdikaris & Karniadakis, JCP 2019)
#
# The inverse problem of the original PINN paper: from 2000 noisy samples of a Burgers solution, find both coefficients of the equation.
#
# **Claim.** In $u_t + \lambda_1 u u_x - \lambda_2 u_{xx} = 0$ on $[-1, 1] \times [0, 1]$
# (true $\lambda_1 = 1$, $\lambda_2 = 0.01/\pi$), a PINN fitted to $N_u = 2000$ scattered
# observations of the solution, with the residual as the only physics, identifies both
# coefficients: the authors report errors of **0.096 % (λ₁) and 0.469 % (λ₂) with clean
# data**, 0.039 % / 0.008 % at 1 % noise, 0.190 % / 6.216 % at 5 % and 0.101 % / 6.391 % at
# 10 % (Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378, 2019; values from the
# authors' repository, `appendix/continuous_time_identification (Burgers)`). Checked here,
# on medians over seeds: with clean data both within 1 %; at 1 % noise both within 5 %; at
# 10 % noise λ₁ within 1 % and λ₂ within 10 % — and where λ₂ stops being identifiable when
# there are fewer observations.
#
# **Method.** The loss is the data misfit plus the residual, nothing else:
# $\frac{1}{N_u}\sum_i |u_\theta(x_i, t_i) - u_i|^2 + \frac{1}{N_f}\sum_j |f_\theta(x_j, t_j)|^2$,
# $f = u_t + \lambda_1 u u_x - \lambda_2 u_{xx}$, with $\lambda_1$ and $s$ trainable
# ($\lambda_2 = e^{s}$, started as the authors do at $\lambda_1 = 0$, $s = -6$). The
# observations are nodes of the reference's 256 × 100 grid drawn without replacement, with
# noise $\sigma \cdot \mathrm{std}(u) \cdot \mathcal{N}(0, 1)$, the authors' recipe
# (`RunConfig(problem="burgers", data={"points": 2000, "noise": σ}, unknowns=...)`; the zoo's
# `burgers` has the parameters `nu` (= λ₂) and `lambda1`). The initial and wall conditions
# the forward problem uses are given weight 0, so only data and residual enter, as in the
# paper. L-BFGS only.

# %% tags=["parameters"]
noises: list = [0.0, 0.01, 0.05, 0.1]  # noise levels σ (fractions of std u; paper: 0, 1, 5, 10 %)
observations: int = 2000  # N_u, observations per run (paper: 2000)
few_observations: list = [500, 100, 20]  # the identifiability sweep: clean data, fewer observations
width: int = 20  # neurons per hidden layer (paper: 20)
depth: int = 8  # hidden layers (paper: 8, "9 layers" counting the output)
lbfgs_steps: int = 5000  # L-BFGS iteration cap per run (paper: up to 50 000)
seeds: int = 3  # seeds per setting (median and spread)
eval_every: int = 1000  # iterations between evaluations of u's error against the reference

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.report import Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary, verdict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only
    noises, observations, few_observations, width, depth, lbfgs_steps, seeds, eval_every = (
        [0.0, 0.1], 200, [20], 8, 2, 40, 1, 20)
TRUE = {"lambda1": 1.0, "nu": 0.01 / math.pi}
START = {"lambda1": 0.0, "nu": math.exp(-6.0)}  # the authors' λ1 = 0, λ2 = exp(−6)
#: the authors' errors in % [λ1, λ2] by noise level (their repository's identification results)
PAPER = {0.0: (0.096, 0.469), 0.01: (0.039, 0.008), 0.05: (0.190, 6.216), 0.1: (0.101, 6.391)}
#: no tolerance: a run stops at the cap, or earlier where a float32 step no longer changes
#: anything (the authors' L-BFGS-B ran with ftol = machine epsilon)
LBFGS = {"tolerance_grad": 0.0, "tolerance_change": 0.0, "history_size": 50}


def pct(values):
    """Median [min, max] of % errors."""
    v = np.asarray(values, float)
    return f"{np.median(v):.3g} [{v.min():.2g}, {v.max():.2g}]"


def config(seed, noise, points=observations):
    """Data + residual only: the forward problem's initial and wall terms get weight 0; the
    residual is enforced at as many points as there are observations (the paper evaluates
    it at the observation points themselves)."""
    return RunConfig(problem="burgers", width=width, depth=depth, activation="tanh",
                     data={"points": points, "noise": noise},
                     unknowns={"lambda1": START["lambda1"], "nu": {"init": START["nu"], "log": True}},
                     balancer="static", balancer_options={"scales": {"initial": 0.0, "left": 0.0, "right": 0.0}},
                     sampler="sobol", num_points=points, optimizer="lbfgs", lr=1.0, steps=lbfgs_steps,
                     lbfgs_options=LBFGS, eval_every=eval_every, seed=seed)


display(Markdown(settings_table([
    ("equation", "u_t + λ1 u u_x − λ2 u_xx = 0, λ1 = 1, λ2 = 0.01/π", "same", "same", "—"),
    ("data", "N_u = 2000 of the 256 × 100 reference grid, noise σ·std(u)·N(0, 1)", "same (Cole–Hopf reference)",
     "N_u = 200", "—"),
    ("loss", "data + residual at the N_u data points", "data + residual at N_u scrambled Sobol' points "
     "(initial/wall terms weight 0)", "same", "the residual points are drawn in the domain, not the data nodes "
     "(those include the walls and t = 0, where residual points may not lie)"),
    ("unknowns", "λ1 from 0, λ2 = exp(s) from s = −6", "same", "same", "—"),
    ("network", "[2, 20×8, 1] tanh, float32", "same", "[2, 8×2, 1]", "—"),
    ("optimiser", "SciPy L-BFGS-B (ftol = machine ε), up to 50 000 iterations",
     "torch L-BFGS (strong Wolfe, history 50, no tolerance), up to 5000 iterations", "40",
     "CPU time; most runs stop before the cap, where float32 steps no longer change anything (counted below), "
     "and the budget table below shows where the errors stand"),
    ("noise levels", "0, 1, 5, 10 %", "same", "0, 10 %", "—"),
    ("fewer observations", "a table over N_u and noise (not quoted here)", "N_u = 500, 100, 20, clean", "20",
     "identifiability only"),
    ("seeds", "1 (one random draw per setting)", "3 (data draw, noise and initialisation)", "1", "seed spread"),
])))

# %% [markdown]
# ## The runs (one per seed and setting; in parallel, from the run store when present)

# %%
main = [config(s, noise) for noise in noises for s in range(seeds)]
few = [config(s, 0.0, n) for n in few_observations for s in range(seeds)]
t0 = time.perf_counter()
result = sweep(main + few, store=store_dir(), progress=True)
sweep_seconds = time.perf_counter() - t0
print(f"{len(result.trained)} runs trained, {len(result.reused)} found in the store ({sweep_seconds:.0f} s)")
runs = list(result.runs)
main_runs = np.array(runs[:len(main)], dtype=object).reshape(len(noises), seeds)
few_runs = np.array(runs[len(main):], dtype=object).reshape(len(few_observations), seeds)


def errors(run):
    """% errors of the identified λ1 and λ2 at the end of a run."""
    f = run.history.final
    return (100 * abs(f["unknown/lambda1"] - TRUE["lambda1"]) / TRUE["lambda1"],
            100 * abs(f["unknown/nu"] - TRUE["nu"]) / TRUE["nu"])


err = np.array([[errors(r) for r in row] for row in main_runs])  # (noise, seed, [λ1, λ2])
err_few = np.array([[errors(r) for r in row] for row in few_runs])
u_err = np.array([[r.history.final["metric/rel_l2"] for r in row] for row in main_runs])
seconds = [r.history.final["time"] for r in runs]
iterations = np.array([r.history.final["step"] for r in runs])
print(f"training time per run: {fmt(seconds)} s; L-BFGS iterations per run: median {np.median(iterations):.0f} "
      f"[{iterations.min()}, {iterations.max()}], {int(np.sum(iterations < lbfgs_steps))} of {len(runs)} runs "
      f"stopped before the cap of {lbfgs_steps} (float32 steps that change nothing)")

rows = []
for i, noise in enumerate(noises):
    p1, p2 = PAPER.get(noise, (None, None))
    rows.append(f"| {100 * noise:g} % | {pct(err[i, :, 0])} | {'—' if p1 is None else p1} | {pct(err[i, :, 1])} | "
                f"{'—' if p2 is None else p2} | {fmt(u_err[i])} |")
display(Markdown("\n".join([
    f"**Errors in % (N_u = {observations}; median [min, max] over {seeds} seed(s)) beside the paper's**", "",
    "| noise | λ1 error, pinnkit | λ1, paper | λ2 error, pinnkit | λ2, paper | rel. L2 of u |",
    "|---|---|---|---|---|---|", *rows])))

# %% [markdown]
# **Measured** (full budget, 2-core CPU shared with other jobs, seeds 0–2; 21 runs, 9.2 min
# wall): median λ₁ errors **0.070 / 0.055 / 0.044 / 0.14 %** and λ₂ errors **0.24 / 0.41 /
# 0.56 / 2.5 %** at noise 0 / 1 / 5 / 10 % (paper: λ₁ 0.096 / 0.039 / 0.190 / 0.101 %, λ₂
# 0.469 / 0.008 / 6.216 / 6.391 %). λ₁ is found to about 0.1 % at every noise level, as in the
# paper. λ₂'s error grows with the noise, more gently than in the paper's single runs (2.5 %
# [1.3, 3.0] against 6.4 % at 10 % noise), and the seeds spread: one clean seed of three ends
# at 2.0 %, and at 1 % noise the seeds give 0.07–0.54 % where the paper's one run gives
# 0.008 %, below its own clean-data error. The network fits u to a relative L2 error of 1.3e-3
# with clean data and 8.9e-3 at 10 % noise. Most runs stopped between 3900 and 4900
# iterations, where a float32 step no longer changed the parameters.

# %% [markdown]
# ## The unknowns during training

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), constrained_layout=True)
colours = plt.cm.viridis(np.linspace(0, 0.85, len(noises)))
for i, noise in enumerate(noises):
    for s in range(seeds):
        h = main_runs[i, s].history
        st, l1 = h.where("unknown/lambda1")
        _, nu = h.where("unknown/nu")
        kw = dict(color=colours[i], lw=1, alpha=0.9, label=f"noise {100 * noise:g} %" if s == 0 else None)
        axes[0].plot(st, l1, **kw)
        axes[1].plot(st, nu, **kw)
axes[0].axhline(TRUE["lambda1"], color="k", ls=":", lw=1)
axes[1].axhline(TRUE["nu"], color="k", ls=":", lw=1, label="true")
axes[0].set_ylabel("λ1"); axes[1].set_ylabel("λ2 (= ν)")
axes[1].set_ylim(0, 3 * TRUE["nu"])
for ax in axes[:2]:
    ax.set_xlabel("L-BFGS iteration")
axes[1].legend(fontsize=8)
axes[0].set_title("λ1 from 0 (every seed)"); axes[1].set_title("λ2 from exp(−6) (every seed)")
n_all = [observations, *few_observations]
e_all = np.concatenate([err[:1], err_few])  # clean data, N_u from large to small
for k, (name, m) in enumerate((("λ1", "o-"), ("λ2", "s-"))):
    axes[2].loglog(n_all, np.median(e_all[:, :, k], axis=1), m, label=f"{name} (median)")
    axes[2].fill_between(n_all, e_all[:, :, k].min(1), e_all[:, :, k].max(1), alpha=0.2)
axes[2].axhline(1.0, color="grey", ls="--", lw=0.8)
axes[2].set_xlabel("observations N_u (clean data)"); axes[2].set_ylabel("error (%)")
axes[2].set_title("identifiability: fewer observations"); axes[2].legend(fontsize=8);

# %% [markdown]
# ## Fewer observations: where λ2 stops being identifiable
#
# The same runs with clean data and fewer observations (and as many residual points). λ₁
# sets the speed at which the front steepens, visible almost everywhere in the solution;
# λ₂ shows only in the width of the shock near x = 0, which few observations hardly see.
# (As in the paper, the residual is enforced at as many points as there are observations, so
# the physics thins out with the data.)
#
# **Measured** (clean data, seeds 0–2): at N_u = 500 λ₂ is still found to 1.7 % (median;
# 0.46–3.9 % over the seeds). At N_u = 100 its median error is 22 % — what it started with
# (2–50 % over the seeds): λ₂ is no longer identified, while λ₁ still is, to 0.3 % (one seed
# 3.2 %). At N_u = 20, λ₁ 0.28 % (one seed 34 %), λ₂ 32 %.

# %%
lines = ["| N_u | λ1 error (%) | λ2 error (%) |", "|---|---|---|"]
lines += [f"| {n} | {pct(e_all[j, :, 0])} | {pct(e_all[j, :, 1])} |" for j, n in enumerate(n_all)]
display(Markdown("\n".join(lines)))
start_err = 100 * abs(START["nu"] - TRUE["nu"]) / TRUE["nu"]
lost = [n for j, n in enumerate(n_all) if np.median(e_all[j, :, 1]) > 10.0]
print(f"λ2 starts {start_err:.0f} % off; median λ2 error above 10 % at N_u = "
      + (", ".join(map(str, lost)) if lost else "none of these"))

# %% [markdown]
# ## Is the L-BFGS budget enough?
#
# The cap is a tenth of the authors'. Read off the runs themselves: the median error of each
# coefficient after a quarter, half, three quarters and all of the iterations — what a run
# with the smaller cap would have reached. Errors still falling at the cap would say the
# shortfall against the paper is the budget.
#
# **Measured**: λ₁ has settled by 2500 iterations (medians ≤ 0.15 % from there on at every
# noise level). λ₂ takes longer: its median error falls from 3–17 % at 1250 iterations to
# 0.03–3.2 % at 2500, and over the last quarter it moves by less than 0.5 points of %, up or
# down (λ₂ wanders a little while the network keeps fitting) — small beside the 1, 5 and
# 10 % bounds the claims test, so a larger cap would not change the verdicts.

# %%
def at(history, column, step):
    st, v = history.where(column)
    return float(v[st <= step][-1]) if np.any(st <= step) else float(v[0])


fractions = (0.25, 0.5, 0.75, 1.0)
budget = np.zeros((len(noises), len(fractions), 2))
for i in range(len(noises)):
    for j, q in enumerate(fractions):
        e = [(100 * abs(at(r.history, "unknown/lambda1", q * lbfgs_steps) - TRUE["lambda1"]),
              100 * abs(at(r.history, "unknown/nu", q * lbfgs_steps) - TRUE["nu"]) / TRUE["nu"])
             for r in main_runs[i]]
        budget[i, j] = np.median(e, axis=0)
head = " | ".join(f"{int(q * lbfgs_steps)} it" for q in fractions)
lines = [f"| noise | coefficient | {head} |", "|---|---|" + "---|" * len(fractions)]
for i, noise in enumerate(noises):
    for k, name in enumerate(("λ1", "λ2")):
        lines.append(f"| {100 * noise:g} % | {name} | " + " | ".join(f"{v:.3g} %" for v in budget[i, :, k]) + " |")
display(Markdown("\n".join(lines)))
change = np.abs(budget[:, -1] - budget[:, -2])  # the last quarter's change, in points of %
print("change of the median error over the last quarter of the budget (points of %): "
      + "; ".join(f"noise {100 * n:g} %: λ1 {change[i, 0]:.2g}, λ2 {change[i, 1]:.2g}" for i, n in enumerate(noises)))

# %% [markdown]
# ## The claims, checked
#
# **Measured**: all three reproduced — clean data λ₁ 0.070 %, λ₂ 0.24 %; 1 % noise 0.055 % /
# 0.41 %; 10 % noise 0.14 % / 2.5 % (medians of 3 seeds).

# %%
wall = time.perf_counter() - WALL0
med = np.median(err, axis=1)  # (noise, [λ1, λ2])
idx = {n: i for i, n in enumerate(noises)}
budget_text = f"{depth}×{width} tanh, N_u = {observations}, L-BFGS {lbfgs_steps} it, float32"


def noise_claim(noise, text, direction, magnitude):
    """A claim on the runs at one noise level; ``direction`` and ``magnitude`` are the checks
    on the medians ``(λ1 error, λ2 error)`` in %."""
    i = idx[noise]
    p1, p2 = PAPER[noise]
    return Claim(
        paper="Raissi, Perdikaris & Karniadakis 2019 (JCP 378), Burgers identification",
        claim=text + "; the value is λ2's error in %", paper_value=p2, values=list(err[i, :, 1]), seeds=seeds,
        budget=budget_text, wall_seconds=sweep_seconds,
        verdict=verdict(direction=bool(direction(*med[i])), magnitude=bool(magnitude(*med[i]))),
        note=f"median errors λ1 {med[i, 0]:.3g} %, λ2 {med[i, 1]:.3g} % (paper {p1} % / {p2} %); "
             f"λ1 per seed: " + ", ".join(f"{v:.3g}" for v in err[i, :, 0]) + " %")


claims = []  # direction: identified at all (both within 10 %; at 10 % noise: λ1 within 1 %); magnitude: the bounds
if 0.0 in idx:
    claims.append(noise_claim(0.0, f"with clean data (N_u = {observations}) λ1 and λ2 are both identified within "
                                   "1 % (medians of the seeds)",
                              lambda e1, e2: e1 < 10 and e2 < 10, lambda e1, e2: e1 < 1 and e2 < 1))
if 0.01 in idx:
    claims.append(noise_claim(0.01, "at 1 % noise λ1 and λ2 are both identified within 5 % (medians of the seeds)",
                              lambda e1, e2: e1 < 10 and e2 < 10, lambda e1, e2: e1 < 5 and e2 < 5))
if 0.1 in idx:
    claims.append(noise_claim(0.1, "at 10 % noise λ1 stays within 1 % and λ2 within 10 % (medians of the seeds)",
                              lambda e1, e2: e1 < 1, lambda e1, e2: e1 < 1 and e2 < 10))
for c in claims:
    print(f"{c.verdict}: {c.claim} — {c.note}")
display(Markdown(paper_table([
    {"method": f"noise {100 * n:g} %", "paper reports": f"{PAPER[n][0]} % / {PAPER[n][1]} %" if n in PAPER else "—",
     "setting": "L-BFGS-B ≤ 50 000 it", "pinnkit gets": f"{med[i, 0]:.3g} % / {med[i, 1]:.3g} %",
     "our budget": f"L-BFGS {lbfgs_steps} it"} for i, n in enumerate(noises)])))
res = record("14_burgers_inverse", claims=claims,
             lambda1_error={f"{100 * n:g}%": summary(err[i, :, 0]) for i, n in enumerate(noises)},
             lambda2_error={f"{100 * n:g}%": summary(err[i, :, 1]) for i, n in enumerate(noises)},
             u_rel_l2={f"{100 * n:g}%": summary(u_err[i]) for i, n in enumerate(noises)},
             few_observations={str(n): {"lambda1": summary(e_all[j, :, 0]), "lambda2": summary(e_all[j, :, 1])}
                               for j, n in enumerate(n_all)},
             budget_median={f"{100 * n:g}%": {f"{int(q * lbfgs_steps)}": budget[i, j].tolist()
                                              for j, q in enumerate(fractions)} for i, n in enumerate(noises)},
             train_seconds=summary(seconds), wall_seconds=wall, sweep_seconds=sweep_seconds)

# %%
assert np.all(np.isfinite(err)) and np.all(np.isfinite(err_few)), (err, err_few)
assert all(r.history.status == "completed" for r in runs), [r.history.status for r in runs]
if not QUICK:
    assert np.all(med[:, 0] < 100), med  # λ1 moved away from its start (0, a 100 % error) at every noise level
