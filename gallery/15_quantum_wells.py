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
# # 15 · Quantum wells: a trainable energy, the ψ ≈ 0 collapse, and excited states (Sarkar 2025)
#
# A PINN that finds an eigenvalue and its eigenfunction at once — and the loss that makes it find nothing at all.
#
# **Claim.** Sarkar (arXiv 2504.05367, 2025) solves the time-independent Schrödinger equation
# $-\psi'' + V\psi = E\psi$ with a PINN for an infinite well, a finite well and a finite
# barrier: a trial function that vanishes at the box ends, a trainable $E$, and a loss made of
# the mean squared residual and a normalisation term $(\int\psi^2 - 1)^2$. Checked here, on
# the three potentials and every seed:
# 1. **the obvious loss collapses**: with $\overline{r^2} + (\int\psi^2-1)^2$ the network ends at
#    $\psi \approx 0$ ($\int\psi^2 < 0.1$) with $E$ frozen near its starting guess — because
#    $\psi = 0$ is a stationary point where $\partial\mathcal L/\partial E = -2\,\overline{r\psi}$
#    vanishes;
# 2. **the scale-invariant residual finds the ground state**: dividing the residual term by
#    $\int\psi^2$ (`scale_invariance = 1`), $E_0$ is within 1 % of the finite-difference
#    reference for every seed;
# 3. **excited states by projection**: with the states already found projected out of the
#    network, the next two energies are found within 1 %.
#
# The paper gives no energies, network sizes or epochs in the abstract that this notebook could
# be checked against, so claims 1–3 are pinnkit's, made on its own reference; the paper's
# setting (trial function, trainable $E$, normalisation loss) is reproduced as described.
# Method page: `docs/methods/eigenvalue-problems.md`.
#
# **Problems** (zoo `infinite_well`, `finite_well`, `barrier`; references by second-order finite
# differences on 8000 nodes with the potential cell-averaged):
# infinite well on $[0, 1]$, $E_n = (n+1)^2\pi^2$; finite well of depth 20 and width 1 in
# $[-2, 2]$, $E_0 = 4.590$; barrier of height 50 and width 0.2 in the middle of $[0, 1]$,
# $E_0 = 25.06$.

# %% tags=["parameters"]
width: int = 32  # neurons per hidden layer
depth: int = 2  # hidden layers
num_points: int = 256  # collocation points (uniform)
norm_nodes: int = 128  # Gauss–Legendre nodes of the normalisation integral
adam_steps: int = 1000  # Adam steps (lr 3e-3), then L-BFGS
lbfgs_steps: int = 2000  # L-BFGS iterations (section 2: settled at this budget)
seeds: int = 3  # seeds per potential and loss
levels: int = 3  # states per potential (the ground state and the next levels - 1)
guess_factor: float = 1.5  # each excited state starts from guess_factor × the energy found before it
eval_every: int = 100  # steps between evaluations (the budget curve)
compare_steps: int = 1500  # steps per side of the live compare

# %%
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.problems.eigen import Deflated, excited_state
from pinnkit.recipes import build
from pinnkit.report import Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary, verdict
from pinnkit.training.evaluate import predict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only: a smoke run
    adam_steps, lbfgs_steps, seeds, levels, num_points, norm_nodes, compare_steps = 150, 100, 1, 2, 96, 48, 40
POTENTIALS = {"infinite_well": 5.0, "finite_well": 2.0, "barrier": 15.0}  # problem -> initial guess of E
LOSSES = {"obvious": 0.0, "scale-invariant": 1.0}


def config(problem, s, seed, guess=None):
    return RunConfig(problem=problem, parameters={"scale_invariance": s, "guess": POTENTIALS[problem] if guess is None
                                                  else float(guess)},
                     hard=True, width=width, depth=depth, num_points=num_points,
                     condition_points={"normalisation": norm_nodes}, dtype="float64", optimizer="adam+lbfgs",
                     lr=3e-3, steps=adam_steps, lbfgs_steps=lbfgs_steps, eval_every=eval_every, seed=seed)


display(Markdown(settings_table([
    ("equation", "−ψ'' + Vψ = Eψ, ψ = 0 at the box ends", "same", "same", "—"),
    ("potentials", "infinite well, finite well, finite barrier [sizes not given]",
     "unit infinite well; well V0 = 20, width 1 in [−2, 2]; barrier V0 = 50, width 0.2 in [0, 1]", "same",
     "the paper's sizes are not known here"),
    ("trial function", "vanishes at the ends", "(x − a)(b − x)·N(x)", "same", "—"),
    ("loss", "mean r² + normalisation penalty", "mean r² / ‖ψ‖^(2s) + (∫ψ² − 1)², s = 0 and 1", "same",
     "s = 1 is pinnkit's fix of the collapse"),
    ("network", "smooth activations [size not given]", f"{depth}×{width} tanh, float64", f"{depth}×{width}", "—"),
    ("points", "[not given]", f"{num_points} uniform, {norm_nodes} Gauss–Legendre nodes", f"{num_points}", "—"),
    ("optimiser", "[not given]", f"Adam 3e-3 × {adam_steps} then L-BFGS × {lbfgs_steps}",
     f"{adam_steps} + {lbfgs_steps}", "budget sweep below"),
    ("energy", "trainable (fixed for the infinite well)", "trainable for all three", "same",
     "the infinite well is the test of the method"),
    ("excited states", "—", f"the found states projected out (Deflated), guess × {guess_factor}", f"{levels} levels",
     "not in the paper's abstract"),
    ("seeds", "[not given]", f"{seeds}", f"{seeds}", "median and spread"),
])))

# %% [markdown]
# ## 1. Ground states: the obvious loss against the scale-invariant one (in parallel, from the run store when present)

# %%
keys = [(p, loss, s) for p in POTENTIALS for loss in LOSSES for s in range(seeds)]
t0 = time.perf_counter()
result = sweep([config(p, LOSSES[loss], s) for p, loss, s in keys], store=store_dir(), progress=True)
sweep_seconds = time.perf_counter() - t0
runs = dict(zip(keys, result.runs))
print(f"{len(result.trained)} runs trained, {len(result.reused)} found in the store ({sweep_seconds:.0f} s)")


def energy_error(run):
    return abs(run.history.final["unknown/E"] - run.problem.truth["E"]) / run.problem.truth["E"]


E_err = {(p, loss): [energy_error(runs[p, loss, s]) for s in range(seeds)] for p in POTENTIALS for loss in LOSSES}
psi_err = {(p, loss): [runs[p, loss, s].history.final["metric/rel_l2"] for s in range(seeds)]
           for p in POTENTIALS for loss in LOSSES}
norms = {(p, loss): [float(np.trapezoid(predict(runs[p, loss, s].model, g := runs[p, loss, s].problem.test_grid())[:, 0]
                                        ** 2, g[:, 0])) for s in range(seeds)] for p in POTENTIALS for loss in LOSSES}
E_final = {(p, loss): [runs[p, loss, s].history.final["unknown/E"] for s in range(seeds)] for p in POTENTIALS
           for loss in LOSSES}
rows = ["| potential | loss | E found (median [min, max]) | E reference | rel. error of E | ‖ψ − ψ₀‖/‖ψ₀‖ | ∫ψ² |",
        "|---|---|---|---|---|---|---|"]
for p in POTENTIALS:
    for loss in LOSSES:
        rows.append(f"| {p} | {loss} | {fmt(E_final[p, loss])} | {runs[p, loss, 0].problem.truth['E']:.4f} | "
                    f"{fmt(E_err[p, loss])} | {fmt(psi_err[p, loss])} | {fmt(norms[p, loss])} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# **What to read.** With the obvious loss every run ends at $\int\psi^2 \approx 0$ and its $E$
# has barely left the guess (5, 2 and 15): the residual $\overline{r^2}$ falls like $\|\psi\|^2$
# when $\psi$ shrinks, faster than the penalty rises, and once $\psi$ is small $E$ has no
# gradient. With the residual divided by $\|\psi\|^2$ shrinking gains nothing, and $E$ moves.
#
# **Measured** (full budget, 2-core CPU, seeds 0–2; the 18 runs took 116 s on two workers):
# the obvious loss ended at $\int\psi^2 \le 3\cdot10^{-10}$ in every run, with $E$ at 5.05, 2.05
# and 15.1 (guesses 5, 2, 15). The scale-invariant residual found $E_0$ to 1.7e-7 (infinite
# well), 6.8e-3 [6.6e-3, 8.4e-3] (finite well) and 1.2e-3 [6.3e-4, 3.7e-3] (barrier), with
# $\|\psi-\psi_0\|/\|\psi_0\|$ = 2.6e-6, 2.5e-3 and 3.1e-3. The finite well is the hardest of
# the three (its worst seed at 0.84 %); with half the L-BFGS budget (1000 iterations) one of its
# seeds ended at 1.04 %.

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), constrained_layout=True)
for ax, p in zip(axes, POTENTIALS):
    for loss, c in zip(LOSSES, ("C3", "C0")):
        for s in range(seeds):
            st, e = runs[p, loss, s].history.where("unknown/E")
            ax.plot(st, e, color=c, alpha=0.8, label=loss if s == 0 else None)
    ax.axhline(runs[p, "obvious", 0].problem.truth["E"], color="k", ls="--", lw=0.8, label="reference E₀")
    ax.set_title(p); ax.set_xlabel("step (Adam, then L-BFGS)"); ax.set_ylabel("E")
axes[0].legend(fontsize=8)
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), constrained_layout=True)
for ax, p in zip(axes, POTENTIALS):
    run = runs[p, "scale-invariant", 0]
    g = run.problem.test_grid()
    ref = run.problem.reference_on(g)[:, 0]
    u = predict(run.model, g)[:, 0]
    u = u if np.sum((u - ref) ** 2) < np.sum((u + ref) ** 2) else -u
    ax.plot(g[:, 0], ref, "k--", label="reference ψ₀")
    ax.plot(g[:, 0], u, "C0", label="scale-invariant (seed 0)")
    ax.plot(g[:, 0], predict(runs[p, "obvious", 0].model, g)[:, 0], "C3", label="obvious (seed 0)")
    ax.set_title(p); ax.set_xlabel("x")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 2. Is the budget enough?
#
# The energy error at half of the Adam budget, at the end of Adam, half-way through L-BFGS and at
# the end (scale-invariant runs, median [min, max] over seeds).

# %%
def error_at(run, step):
    st, e = run.history.where("unknown/E")
    return abs(e[np.searchsorted(st, step, side="right") - 1] - run.problem.truth["E"]) / run.problem.truth["E"]


budget = {p: {f"step {k}": fmt([error_at(runs[p, 'scale-invariant', s], k) for s in range(seeds)])
              for k in (adam_steps // 2, adam_steps, adam_steps + lbfgs_steps // 2, adam_steps + lbfgs_steps)}
          for p in POTENTIALS}
display(Markdown(paper_table([{"potential": p, **v} for p, v in budget.items()],
                             columns=("potential", *next(iter(budget.values())).keys()))))
# Measured: the infinite well has converged within the first 1000 L-BFGS iterations (1.7e-7); the
# finite well goes 7.7e-3 → 6.8e-3 and the barrier 9.5e-4 → 1.2e-3 over the last 1000 — settled at
# the level of the claim's 1 %.
stopped = [runs[p, "scale-invariant", s].history.final["step"] < adam_steps + lbfgs_steps for p in POTENTIALS
           for s in range(seeds)]
print(f"{sum(stopped)} of {len(stopped)} scale-invariant runs stopped before the L-BFGS cap (no further change)")

# %% [markdown]
# ## 3. Excited states: project the states already found out of the network
#
# For level $k$ the network is wrapped as $\tilde\psi = (\psi - \sum_{j<k} c_j\varphi_j)/\|\cdot\|$
# with $c_j = \int\psi\varphi_j / \int\varphi_j^2$ (`pinnkit.problems.eigen.Deflated`), so
# $\tilde\psi$ is orthogonal to the states found and normalised exactly, and the reference
# moves to level $k$ (`excited_state`). $E$ starts at `guess_factor` × the energy found before.
# (Measured while building this: a penalty on the overlap $\int\psi\varphi_0$ instead ends at
# $\psi \propto \varphi_0$ — a local minimum where the residual is zero — or, with a larger
# weight, at $\psi \approx 0$.)
#
# **Measured** (full budget, seeds 0–2, 308 s): the infinite well's levels 1 and 2 to 1.9e-7 and
# 1.2e-6; the barrier's level 2 to 3.7e-4 [3.4e-4, 8.6e-4] but its level 1 only to 1.6e-2
# [2.2e-3, 2.6e-2] (with half the L-BFGS budget: 1.1e-3 in the median, and one seed of level 2 at
# $E = 75$, 29 % off — the ladder is sensitive to where each run ends); the finite well's level 1
# to 5.2e-3 [5.0e-3, 2.1e-2]. Its level 2 is missed by every seed in the same way: each found
# $E = 25.3$, the reference's level **3** (25.32), not level 2 (23.33) — the guess
# $1.5 \times 16.2 = 24.4$ lies nearer level 3, and projection only removes the states already
# found, not the ones above. So the ladder finds *an* eigenstate reliably, and the *next* one only
# when the guess is nearer to it.

# %%
def ladder(problem, seed):
    found, out = [runs[problem, "scale-invariant", seed].model], [runs[problem, "scale-invariant", seed].history.final]
    for level in range(1, levels):
        rec = build(config(problem, 1.0, seed, guess=guess_factor * out[-1]["unknown/E"]).replace(
            condition_points={"normalisation": norm_nodes, "orthogonal": norm_nodes}))
        rec.problem = excited_state(rec.problem, found, nodes=norm_nodes)
        rec.model = Deflated(rec.model, found, rec.problem.domain, nodes=norm_nodes)
        h = rec.train(progress=False)
        h.final["truth/E"] = rec.problem.truth["E"]
        found.append(rec.model)
        out.append(h.final)
    out[0] = {**out[0], "truth/E": runs[problem, "scale-invariant", seed].problem.truth["E"]}
    return out


t1 = time.perf_counter()
with ThreadPoolExecutor(2) as pool:
    ladders = dict(zip([(p, s) for p in POTENTIALS for s in range(seeds)],
                       pool.map(lambda ps: ladder(*ps), [(p, s) for p in POTENTIALS for s in range(seeds)])))
ladder_seconds = time.perf_counter() - t1
exc_err = {(p, k): [abs(ladders[p, s][k]["unknown/E"] - ladders[p, s][k]["truth/E"]) / ladders[p, s][k]["truth/E"]
                    for s in range(seeds)] for p in POTENTIALS for k in range(levels)}
rows = ["| potential | level | E reference | E found (median [min, max]) | rel. error of E | ‖ψ − ψ_k‖/‖ψ_k‖ |",
        "|---|---|---|---|---|---|"]
for p in POTENTIALS:
    for k in range(levels):
        rows.append(f"| {p} | {k} | {ladders[p, 0][k]['truth/E']:.4f} | "
                    f"{fmt([ladders[p, s][k]['unknown/E'] for s in range(seeds)])} | {fmt(exc_err[p, k])} | "
                    f"{fmt([ladders[p, s][k]['metric/rel_l2'] for s in range(seeds)])} |")
display(Markdown("\n".join(rows)))
print(f"excited states: {ladder_seconds:.0f} s")

# %% [markdown]
# ## 4. Break it, fix it — live
#
# The dashboard on the finite well with the obvious loss (`scale_invariance` = 0): watch the
# prediction flatten to zero and $E$ (the unknowns panel) stall. Then the cell below moves the
# `scale_invariance` slider to 1 — exactly what dragging it does — and trains again.
# Measured (1500 Adam steps at lr 1e-2, seed 0): the obvious loss ends at $E = 2.16$ with relative
# error 1.00 (ψ ≈ 0); after the slider move, $E = 4.572$ (reference 4.590) and 3.7e-3.

# %% tags=["nbval-ignore-output"]
from pinnkit_widgets import Dashboard

live_config = config("finite_well", 0.0, 0).replace(optimizer="adam", steps=compare_steps, lbfgs_steps=0, lr=1e-2,
                                                    eval_every=max(compare_steps // 10, 1))
dash = Dashboard(config=live_config)
dash.train()  # in JupyterLab: returns at once; headless: trains to the end
dash.panel

# %%
dash.wait()
live = {"obvious": {"E": dash.history.final["unknown/E"], "rel_l2": dash.history.final["metric/rel_l2"]}}
dash.controls.parameters["scale_invariance"].value = 1.0  # move the slider: the problem is rebuilt
assert dash.problem.values["scale_invariance"] == 1.0
dash.train()  # watch the dashboard above

# %%
dash.wait()
live["scale-invariant"] = {"E": dash.history.final["unknown/E"], "rel_l2": dash.history.final["metric/rel_l2"]}
assert [r.history.status for r in dash.runs[-2:]] == ["completed", "completed"]
print({k: {m: round(v, 4) for m, v in d.items()} for k, d in live.items()},
      "reference E0 =", round(dash.problem.truth["E"], 4))

# %% [markdown]
# ## The claims, checked

# %%
wall = time.perf_counter() - WALL0
collapse_every = all(n < 0.1 for p in POTENTIALS for n in norms[p, "obvious"])
frozen_every = all(abs(e - POTENTIALS[p]) / POTENTIALS[p] < 0.1 for p in POTENTIALS for e in E_final[p, "obvious"])
ground_every = all(e < 0.01 for p in POTENTIALS for e in E_err[p, "scale-invariant"])
ground_median = all(np.median(E_err[p, "scale-invariant"]) < 0.01 for p in POTENTIALS)
worst_ground = [max(E_err[p, "scale-invariant"][s] for p in POTENTIALS) for s in range(seeds)]
fix = Claim(
    paper="Sarkar 2025 (quantum wells), with pinnkit's scale-invariant residual",
    claim="on the infinite well, finite well and barrier the obvious loss collapses (∫ψ² < 0.1, E within 10 % of its "
          "guess) for every seed, and the scale-invariant residual finds E₀ within 1 % for every seed (values: the "
          "worst relative error of E₀ over the three potentials, per seed)",
    values=worst_ground, seeds=seeds, budget=f"{depth}×{width} tanh, float64, Adam {adam_steps} + L-BFGS {lbfgs_steps}",
    wall_seconds=sweep_seconds, verdict=verdict(direction=collapse_every and ground_median,
                                                magnitude=frozen_every and ground_every),
    note="; ".join(f"{p}: E₀ error {fmt(E_err[p, 'scale-invariant'])}, obvious ∫ψ² {fmt(norms[p, 'obvious'])}"
                   for p in POTENTIALS))
excited_worst = [max(exc_err[p, k][s] for p in POTENTIALS for k in range(1, levels)) for s in range(seeds)]
excited_ok = {(p, k): all(e < 0.01 for e in exc_err[p, k]) for p in POTENTIALS for k in range(1, levels)}
excited = Claim(
    paper="pinnkit: excited states by projection (Deflated)",
    claim=f"levels 1..{levels - 1} of the three potentials are found within 1 % of their reference energy, for every "
          f"seed (values: the worst relative error over potentials and levels, per seed)",
    values=excited_worst, seeds=seeds, budget=f"as the ground state, E started at {guess_factor} × the level below",
    wall_seconds=ladder_seconds,
    verdict=verdict(direction=sum(excited_ok.values()) > len(excited_ok) / 2, magnitude=all(excited_ok.values())),
    note="; ".join(f"{p} level {k}: {fmt(exc_err[p, k])}" for p in POTENTIALS for k in range(1, levels)))
for c in (fix, excited):
    print(f"{c.verdict}: {c.claim}\n    {c.note}")
display(Markdown(paper_table(
    [{"method": f"{p}, {loss}", "paper reports": None, "setting": "trial function, trainable E",
      "pinnkit gets": f"E₀ error {fmt(E_err[p, loss])}, ∫ψ² {fmt(norms[p, loss])}",
      "our budget": f"{adam_steps} + {lbfgs_steps}"} for p in POTENTIALS for loss in LOSSES])))
res = record("15_quantum_wells", claims=[fix, excited],
             ground={f"{p}/{loss}": {"E_error": summary(E_err[p, loss]), "psi_error": summary(psi_err[p, loss]),
                                     "norm": summary(norms[p, loss])} for p in POTENTIALS for loss in LOSSES},
             excited={f"{p}/{k}": summary(exc_err[p, k]) for p in POTENTIALS for k in range(levels)},
             compare=live, wall_seconds=wall, sweep_seconds=sweep_seconds, ladder_seconds=ladder_seconds)

# %%
assert all(np.isfinite(v) for vs in E_err.values() for v in vs), E_err
assert all(0 <= n < 2 for vs in norms.values() for n in vs), norms
if not QUICK:  # measured: "reproduced" (worst seed 0.84 %, the finite well); the direction must hold
    assert fix.verdict != "not reproduced", fix
    assert collapse_every and frozen_every, (norms, E_final)
