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
# # 21 · Equation discovery with a hidden-term network (Podina, Eastman & Kohandel, ICML 2023)
#
# Universal PINNs learn the unknown part of an equation as a second network inside the
# residual, from sparse noisy observations, then turn that network into a formula.
#
# **Claim** (fixed before measuring). With the hidden term learnt by a network and then
# regressed on a polynomial library by STLSQ (threshold 0.05 of the size of $h$), **at 1 %
# noise the recovered hidden term has exactly the true support and every coefficient within
# 5 %, for every seed, on the ODE and on the PDE**:
#
# - ODE — the damped Duffing oscillator $u'' + 2 d u' + \omega_0^2 u + \varepsilon u^3 = 0$
#   ($d = 1$, $\omega_0 = 8$, $\varepsilon = 100$, $t \in [0, 1]$) with the cubic stiffness
#   hidden: $u'' + 2 d u' + \omega_0^2 u + h(u) = 0$, true $h = 100\,u^3$, library
#   $1, u, u^2, u^3$; 100 observations.
# - PDE — Burgers $u_t + u u_x - \nu u_{xx} = 0$ ($\nu = 0.05$) with the convection hidden:
#   $u_t - \nu u_{xx} + h(u, u_x) = 0$, true $h = 1 \cdot u u_x$, library
#   $1, u, u_x, u^2, u u_x, u_x^2$; 500 observations.
#
# The same runs at 5 % noise show what happens when the noise grows (reported, not claimed).
# The paper reports its results in figures and does not give numbers that can be set beside
# these; none are quoted.
#
# **Method.** `RunConfig(problem=..., data={"points": n, "noise": σ}, hidden=term)`
# (pinnkit.discovery): the field network and a 2 × 20 tanh hidden-term network are trained
# together on data + residual (+ the problem's conditions); afterwards the hidden network is
# sampled at 2048 Sobol' points of the domain (inputs from the trained field network) and
# regressed by pysindy's STLSQ. The paper uses AI Feynman for that step (see the settings).

# %% tags=["parameters"]
noises: list = [0.01, 0.05]  # observation noise σ (fraction of std u)
seeds: int = 3  # seeds per setting (data draw, noise, initialisation)
ode_points: int = 100  # observations of the Duffing trajectory
pde_points: int = 500  # observations of the Burgers field
ode_steps: int = 2000  # Adam steps, then as many L-BFGS iterations (ODE)
pde_steps: int = 1000  # Adam steps, then as many L-BFGS iterations (PDE)
threshold: float = 0.05  # STLSQ: smallest share of h a kept term carries

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.discovery import Discovery
from pinnkit.report import Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary, verdict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only
    noises, seeds, ode_points, pde_points, ode_steps, pde_steps = [0.01], 1, 60, 200, 150, 30


def ode(seed, noise, steps=None):
    steps = ode_steps if steps is None else steps
    return RunConfig(problem="duffing", hard=True, width=32, depth=3, data={"points": ode_points, "noise": noise},
                     hidden={"term": "cubic", "threshold": threshold}, num_points=512, balancer="static",
                     balancer_options={"scales": {"residual": 2.4e-4}}, optimizer="adam+lbfgs", steps=steps,
                     lbfgs_steps=steps, dtype="float64", seed=seed, eval_every=1000)


def pde(seed, noise, steps=None):
    steps = pde_steps if steps is None else steps
    return RunConfig(problem="burgers", parameters={"nu": 0.05}, width=20, depth=4,
                     data={"points": pde_points, "noise": noise}, hidden={"term": "convection", "threshold": threshold},
                     num_points=1024, optimizer="adam+lbfgs", steps=steps, lbfgs_steps=steps, seed=seed,
                     eval_every=1000)


display(Markdown(settings_table([
    ("equations", "ODEs and PDEs with a hidden term (the paper's own examples)", "Duffing (ε u³ hidden), Burgers ν = 0.05 "
     "(u u_x hidden)", "same", "two cases of the kind the paper treats"),
    ("observations", "few, noisy, initial condition and later times", f"{ode_points} (ODE) / {pde_points} (PDE) "
     "nodes of the reference grid, noise σ·std(u)·N(0, 1)", f"{60} / {200}", "—"),
    ("hidden-term network", "an MLP of u and derivatives", "2 × 20 tanh, inputs scaled (u' by ω0), output by ω0² or π",
     "same", "—"),
    ("symbolic regression", "AI Feynman", "STLSQ over monomials (pysindy), threshold 0.05 of |h|", "same",
     "AI Feynman compiles Fortran (2020), PySR needs Julia at run time; neither runs offline"),
    ("training", "Adam / L-BFGS (not quoted)", f"ODE {ode_steps} Adam + {ode_steps} L-BFGS, float64; PDE "
     f"{pde_steps} + {pde_steps}, float32", "150 + 150 / 30 + 30", "CPU budget"),
    ("seeds", "—", f"{seeds}", "1", "spread over seeds"),
])))

# %% [markdown]
# ## The runs

# %%
main = [f(s, n) for f in (ode, pde) for n in noises for s in range(seeds)]
half = [ode(s, noises[0], max(1, ode_steps // 2)) for s in range(seeds)] + \
       [pde(s, noises[0], max(1, pde_steps // 2)) for s in range(seeds)]
t0 = time.perf_counter()
result = sweep(main + half, store=store_dir(), progress=True, max_workers=2)
sweep_seconds = time.perf_counter() - t0
runs = list(result.runs)
print(f"{len(result.trained)} runs trained, {len(result.reused)} from the store ({sweep_seconds:.0f} s)")
found = np.array([Discovery.from_metrics(r.history.final) for r in runs[:len(main)]],
                 dtype=object).reshape(2, len(noises), seeds)
found_half = np.array([Discovery.from_metrics(r.history.final) for r in runs[len(main):]],
                      dtype=object).reshape(2, seeds)
CASES = ("ODE (Duffing, ε u³)", "PDE (Burgers, u u_x)")
err = np.array([[[d.max_error for d in row] for row in case] for case in found])  # (case, noise, seed)
support = np.array([[[bool(d.support_correct) for d in row] for row in case] for case in found])
rows = []
for c, name in enumerate(CASES):
    for i, n in enumerate(noises):
        eqs = "; ".join(found[c, i, s].equation() for s in range(seeds))
        rows.append(f"| {name} | {100 * n:g} % | {support[c, i].sum()} / {seeds} | {fmt(100 * err[c, i])} | {eqs} |")
display(Markdown("\n".join([
    f"**Recovered hidden terms** (true: ODE {found[0, 0, 0].true_equation()}, PDE {found[1, 0, 0].true_equation()}; "
    f"largest coefficient error in %, median [min, max] over {seeds} seed(s))", "",
    "| case | noise | exact support | coefficient error (%) | recovered, by seed |", "|---|---|---|---|---|", *rows])))

# %% [markdown]
# **Measured** (full budget, 2-core CPU shared with other jobs, seeds 0–2; 18 runs, 2.7 min
# wall). PDE: at 1 % noise every seed recovers exactly $h = c\,u u_x$ with $c$ = 1.003,
# 1.004, 1.003 (error 0.33 % [0.29, 0.40]); at 5 % noise still the exact support for every
# seed, error 0.59 % [0.55, 1.1]. ODE: at 1 % noise only seed 0 finds exactly
# $h = 101.7\,u^3$ (1.7 %); seeds 1 and 2 keep a spurious linear term,
# $h \approx 5.6\,u + 92.6\,u^3$ (7.4 % error on ε) — on the trajectory, $u \in [-0.4, 1]$,
# $u$ and $u^3$ are strongly correlated, and the network's $h$ is least accurate where
# $|u|$ is small. At 5 % noise all three seeds find exactly $h \approx 100\,u^3$
# (0.47 % [0.35, 1.6]): the failure at 1 % is not the noise but the particular data draw and
# initialisation, i.e. the ODE result is not robust over seeds at this budget.

# %% [markdown]
# ## Recovered coefficients against the truth

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), constrained_layout=True)
for c, ax in enumerate(axes):
    names = list(found[c, 0, 0].coefficients)
    truth = found[c, 0, 0].truth
    xs = np.arange(len(names))
    ax.bar(xs, [truth.get(k, 0.0) for k in names], color="0.85", label="true")
    for i, n in enumerate(noises):
        for s in range(seeds):
            ax.plot(xs + 0.12 * (i - (len(noises) - 1) / 2), [found[c, i, s].coefficients[k] for k in names], "o",
                    color=f"C{i}", ms=4, label=f"noise {100 * n:g} %" if s == 0 else None)
    ax.set_xticks(xs, names, rotation=30)
    ax.set_title(CASES[c]); ax.set_ylabel("coefficient"); ax.legend(fontsize=8)

# %% [markdown]
# ## Is the budget enough?
#
# The same runs at 1 % noise with half the steps (Adam and L-BFGS): if the errors at half and
# full budget are close, the result has settled.

# %%
err_half = np.array([[d.max_error for d in case] for case in found_half])
i1 = noises.index(noises[0])
for c, name in enumerate(CASES):
    print(f"{name}, noise {100 * noises[0]:g} %: largest coefficient error, half budget {fmt(100 * err_half[c])} %, "
          f"full {fmt(100 * err[c, i1])} %; exact support {sum(bool(d.support_correct) for d in found_half[c])} / "
          f"{seeds} at half, {support[c, i1].sum()} / {seeds} at full")

# %% [markdown]
# **Measured**: PDE, half budget 1.1 % [1.1, 3.4] → full 0.33 % (support exact 3/3 at both):
# still improving, but far inside the 5 % bound. ODE, half budget 5.4 % [0.20, 9.6] → full
# 7.4 % [1.7, 7.5], support exact 1/3 at both: the ODE has not settled into a seed-independent
# answer; a larger budget may or may not fix the spurious term (not measured).

# %% [markdown]
# ## The claim, checked
#
# **Measured**: *not reproduced* — the PDE half holds (every seed, exact support, ≤ 0.4 %
# at 1 % noise), the ODE half fails for 2 of 3 seeds (a spurious $u$ term, ε 7.4 % off).
# The threshold (0.05) and the 5 % bound were fixed before the runs and not changed.

# %%
wall = time.perf_counter() - WALL0
ok = {c: bool(np.all(support[c, 0]) and np.all(err[c, 0] < 0.05)) for c in range(2)}
direction = all(np.median(err[c, 0]) < 0.2 and support[c, 0].sum() * 2 > seeds for c in range(2))
claim = Claim(
    paper="Podina, Eastman & Kohandel 2023 (ICML), Universal PINNs",
    claim=f"at {100 * noises[0]:g} % noise the recovered hidden term has exactly the true support and every coefficient "
          "within 5 %, for every seed, on the ODE (Duffing, ε u³ hidden) and the PDE (Burgers, u u_x hidden); the value "
          "is the largest coefficient error in % over both",
    values=list(100 * np.maximum(err[0, 0], err[1, 0])), verdict=verdict(direction=direction, magnitude=all(ok.values())),
    seeds=seeds, budget=f"ODE {ode_steps}+{ode_steps}, PDE {pde_steps}+{pde_steps} Adam+L-BFGS", wall_seconds=sweep_seconds,
    note=f"exact support ODE {support[0, 0].sum()}/{seeds}, PDE {support[1, 0].sum()}/{seeds}; symbolic regression by STLSQ, "
         "not AI Feynman")
print(f"{claim.verdict}: {claim.claim}")
display(Markdown(paper_table([
    {"method": f"{name}, {100 * n:g} % noise", "paper reports": "— (figures only)", "setting": "AI Feynman",
     "pinnkit gets": f"support {support[c, i].sum()}/{seeds}, error {np.median(100 * err[c, i]):.3g} %",
     "our budget": "STLSQ"} for c, name in enumerate(CASES) for i, n in enumerate(noises)])))
res = record("21_equation_discovery", claims=[claim],
             error_percent={f"{name} {100 * n:g}%": summary(100 * err[c, i]) for c, name in enumerate(CASES)
                            for i, n in enumerate(noises)},
             support_correct={f"{name} {100 * n:g}%": int(support[c, i].sum()) for c, name in enumerate(CASES)
                              for i, n in enumerate(noises)},
             half_budget_error_percent={name: summary(100 * err_half[c]) for c, name in enumerate(CASES)},
             wall_seconds=wall, sweep_seconds=sweep_seconds)

# %%
assert np.all(np.isfinite(err)), err
assert all(r.history.status == "completed" for r in runs), [r.history.status for r in runs]
