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
# # Respecting causality: causal training (Wang, Sankaran & Perdikaris, CMAME 2024)
#
# **Question.** A PINN minimises the residual at all times at once, so it can fit the PDE at
# late times before the early times are right — and then the late-time "solution" is built on
# the wrong initial data. Does weighting the residual so that a time only counts once every
# earlier time is resolved fix training of time-dependent problems?
#
# **Method** (paper §3, Algorithm 1; `pinnkit.losses.CausalResidual`). Split [0, T] into N_t
# slices t_1 < … < t_{N_t}, with L_r(t_i) the mean squared residual in slice i, and
#
# $$\mathcal{L}_r = \frac{1}{N_t}\sum_i w_i\,\mathcal{L}_r(t_i),\qquad w_1 = 1,\quad
# w_i = \exp\Big(-\varepsilon \sum_{k<i}\mathcal{L}_r(t_k)\Big),$$
#
# the weights held constant in the gradient (stop-gradient). The total loss is
# λ_ic L_ic + L_r (+ boundary terms). ε is annealed over [1e-2, 1e-1, 1, 1e1, 1e2]: at each ε
# train until min_i w_i > δ = 0.99 (or a maximum number of steps), which is also the
# convergence test — at the last ε, min w > δ says the residual is resolved over all times.
#
# **Problems.** Part 1 uses the **reaction** problem u_t − ρ u(1 − u) = 0 of Krishnapriyan et
# al. (ρ = 5), which fails the same way (the network settles on a trivial state at late times)
# and is cheap; the `problem_name` parameter switches it to `convection` or `allen_cahn`.
# Part 2 is the paper's headline case, **Allen–Cahn**,
# u_t − 10⁻⁴ u_xx + 5u³ − 5u = 0 on x ∈ [−1, 1], t ∈ [0, 1], u(x, 0) = x² cos πx, periodic
# (plain PINN 49.9 % error, causal 0.14 % in the paper's Table 1), with the paper's ingredients
# that fit on a CPU: an exactly periodic Fourier embedding of x, a tanh MLP, λ_ic = 100, Adam
# at 10⁻³ — but a few thousand steps instead of the paper's 2–3 × 10⁵.
#
# *Patent notice.* The authors' repository (PredictiveIntelligenceLab/CausalPINNs, CC BY-NC-SA
# 4.0) states that the causal training algorithm "cannot be used for commercial purposes
# (protected by a patent at the University of Pennsylvania)". pinnkit implements it from the
# paper for research and teaching; check that notice before any commercial use.

# %% tags=["parameters"]
problem_name: str = "reaction"  # part 1 zoo problem: reaction, convection or allen_cahn
parameter: str = "rho"  # the parameter to set (rho, beta, ...)
value: float = 5.0  # its value
width: int = 50  # hidden width
depth: int = 4  # hidden layers
num_points: int = 800  # residual points, uniform, fixed
steps: int = 1500  # Adam steps per run (paper: 3e5 for Allen–Cahn)
lr: float = 0.001  # Adam learning rate (paper: 1e-3)
lam_ic: float = 100.0  # initial-condition weight λ_ic (paper: 100 in the Allen–Cahn code, 1e3 recommended)
num_slices: int = 16  # time slices N_t
epsilons: list = [0.01, 0.1, 1.0, 10.0, 100.0]  # ε schedule (paper)
delta: float = 0.99  # min-weight threshold δ (paper)
max_steps_per_epsilon: int = 300  # Algorithm 1's cap on steps at one ε
record_every: int = 100  # steps between L_r(t) snapshots
seeds: int = 3  # seeds per method
ac_width: int = 64  # part 2, Allen–Cahn: hidden width (paper: 128)
ac_depth: int = 4  # hidden layers (paper: 4)
ac_modes: int = 10  # periodic Fourier modes of x, cos and sin of k π x for k up to this (paper: 10)
ac_points: int = 1024  # residual points, redrawn uniformly every step
ac_initial_points: int = 256  # initial-condition points (paper: 256)
ac_steps: int = 2000  # Adam steps per run (paper: 2e5 plain, 3e5 causal)
ac_lam_ic: float = 100.0  # λ_ic (paper's Allen–Cahn code: 100)
ac_slices: int = 32  # time slices N_t (authors' later code: 32 chunks)
ac_max_steps_per_epsilon: int = 400  # cap on steps at one ε (five values share the budget)
ac_record_every: int = 100  # steps between snapshots of L_r(t) and of the weights
compare_steps: int = 600  # steps per side of the compare view
compare_width: int = 32  # hidden width in the compare view

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
    width, depth, num_points, steps, seeds, record_every, max_steps_per_epsilon = 16, 2, 200, 60, 1, 10, 10
    ac_width, ac_depth, ac_points, ac_initial_points, ac_steps = 16, 2, 128, 64, 40
    ac_max_steps_per_epsilon, ac_record_every, compare_steps, compare_width = 8, 10, 20, 8
started = time.perf_counter()
from pinnkit.balancing import static
from pinnkit.diagnostics import Recorder
from pinnkit.diagnostics.temporal import plot_causal_weights, plot_temporal_heatmap
from pinnkit.losses import CausalResidual
from pinnkit.optim import adam
from pinnkit.sampling import Uniform
from pinnkit.training.strategies import CausalMonitor

problem = zoo.get(problem_name, **{parameter: value})
ev = Evaluator(problem)


def run(method, seed, record=False):
    model = build_model(problem, width=width, depth=depth, seed=seed)
    callbacks, extra, causal, monitor = [], {}, None, None
    if method == "causal":
        causal = CausalResidual.for_problem(problem, num_slices=num_slices, epsilons=tuple(epsilons), delta=delta,
                                            max_calls=max_steps_per_epsilon)
        callbacks.append(CausalMonitor(causal))
        extra["residual_loss"] = causal
    # the recorder keeps the residual field and, for the causal run, the weights w_i and ε
    rec = Recorder(every=record_every, shape=(64, 50), gradients=False, show_points=0) if record else None
    if rec:
        callbacks.append(rec)
        monitor = rec if causal is not None else None
    h = train(problem, model, sampler=Uniform(num_points), optimizer=adam(lr), steps=steps,
              balancer=static({"initial": lam_ic}), callbacks=callbacks, seed=seed, metrics=None, progress=False, **extra)
    return model, h, rec, causal, monitor


# %% [markdown]
# ## Part 1: reaction ρ = 5

# %%
METHODS = ["plain", "causal"]
errors, runs = {m: [] for m in METHODS}, {}
for m in METHODS:
    for s in range(seeds):
        model, h, rec, causal, monitor = run(m, s, record=(s == 0))
        errors[m].append(ev(model)["rel_l2"])
        if s == 0:
            runs[m] = dict(model=model, history=h, recorder=rec, causal=causal, monitor=monitor)
    print(f"{m:7s} rel L2 {fmt(errors[m])}")

# %% [markdown]
# ### The temporal residual L_r(t) over training
#
# Each row is one moment of training, each column a time t; colour is the mean squared
# residual on a 64 × 50 grid. The plain PINN lowers the residual everywhere at once; the
# causal loss resolves early times first and moves forward.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
for ax, m in zip(axes, METHODS):
    plot_temporal_heatmap(*runs[m]["recorder"].heatmap(), title=f"{m}: $L_r(t)$ over training", ax=ax)


# %% [markdown]
# ### The causal weights and the min-weight test
#
# Left: w_i over the slices at a few moments (seed 0). Right: ε (steps) and min_i w_i over
# training; ε moves to the next value when min w > δ or after `max_steps_per_epsilon` steps.

# %%
def weights_panel(mon, causal, h, delta, axes):
    """w_i at a few moments (left); ε and min_i w_i over training (right)."""
    snaps = [s for s in mon.snapshots if s.epsilon is not None]
    pick = np.unique(np.linspace(0, len(snaps) - 1, 5).round().astype(int))
    plot_causal_weights(causal.slice_centers, [snaps[i].causal_weights for i in pick],
                        [f"step {snaps[i].step}, ε = {snaps[i].epsilon:g}" for i in pick], delta=delta, ax=axes[0])
    st, eps = h.where("causal/epsilon")
    _, mw = h.where("causal/min_weight")
    axes[1].semilogy(st, eps, "k-", label="ε")
    axes[1].set_xlabel("step"); axes[1].set_ylabel("ε")
    ax2 = axes[1].twinx(); ax2.plot(st, mw, "tab:red", lw=1, label="min w"); ax2.axhline(delta, color="tab:red", ls=":")
    ax2.set_ylabel("min_i w_i", color="tab:red"); ax2.set_ylim(-0.02, 1.05)


mon, causal, h = runs["causal"]["monitor"], runs["causal"]["causal"], runs["causal"]["history"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
weights_panel(mon, causal, h, delta, axes)
print("ε transitions (call, old, new):", causal.transitions, " converged:", causal.converged)

# %%
from pinnkit.diagnostics import fields, plot_fields
for m in METHODS:
    plot_fields(fields(problem, runs[m]["model"], shape=(64, 32) if QUICK else (128, 50)), title=f"{problem_name}, {m} (seed 0)");

# %% [markdown]
# ## Part 2: Allen–Cahn, the paper's case
#
# The network sees x only through $[\cos k\pi x, \sin k\pi x]_{k=1}^{M}$ (and t), so u and
# all its x-derivatives are exactly 2-periodic and the periodic condition needs no loss term
# (the paper's embedding, M = 10). The loss is λ_ic L_ic + L_r, with L_r either the plain
# mean or the causal one above. Both methods get the same network, points, optimiser and
# number of steps; the causal run spreads its steps over the five values of ε, moving on when
# min_i w_i > δ or after `ac_max_steps_per_epsilon` steps.

# %%
from pinnkit.models import MLP


class PeriodicEmbedding(torch.nn.Module):
    """(x, t) -> [cos kπx, sin kπx (k = 1 … M), t]: exactly 2-periodic in x (Wang, Sankaran
    & Perdikaris, arXiv 2203.07404, §2)."""

    def __init__(self, modes):
        super().__init__()
        self.register_buffer("k", math.pi * torch.arange(1, modes + 1, dtype=torch.float32))
        self.in_dim, self.out_dim = 2, 2 * modes + 1

    def forward(self, xt):
        z = xt[:, :1] * self.k
        return torch.cat([torch.cos(z), torch.sin(z), xt[:, 1:]], dim=1)


ac = zoo.get("allen_cahn")
ac_ev = Evaluator(ac)


def ac_model(seed):
    # inputs are first scaled to [-1, 1]: x is unchanged, so the period stays 2
    net = MLP(2, 1, ac_width, ac_depth, seed=seed, low=ac.domain.low, high=ac.domain.high,
              embedding=PeriodicEmbedding(ac_modes))
    net.satisfies = ("periodic",)  # exact by construction: train() adds no periodic term
    return net


def ac_run(method, seed, record=False):
    model = ac_model(seed)
    callbacks, extra, causal, monitor = [], {}, None, None
    if method == "causal":
        causal = CausalResidual.for_problem(ac, num_slices=ac_slices, epsilons=tuple(epsilons), delta=delta,
                                            max_calls=ac_max_steps_per_epsilon)
        callbacks.append(CausalMonitor(causal))
        extra["residual_loss"] = causal
    rec = Recorder(every=ac_record_every, shape=(64, 50), gradients=False, show_points=0) if record else None
    if rec:
        callbacks.append(rec)
        monitor = rec if causal is not None else None
    h = train(ac, model, sampler=Uniform(ac_points, every=1), optimizer=adam(lr, decay_rate=0.9, decay_steps=5000),
              steps=ac_steps, balancer=static({"initial": ac_lam_ic}), condition_points={"initial": ac_initial_points},
              callbacks=callbacks, seed=seed, metrics=None, progress=False, **extra)
    return model, h, rec, causal, monitor


ac_errors, ac_runs, ac_cpu = {m: [] for m in METHODS}, {}, {m: [] for m in METHODS}
ac_final = {m: [] for m in METHODS}  # (final ε, final min w, converged) per causal seed
for m in METHODS:
    for s in range(seeds):
        c0 = time.process_time()
        model, h, rec, causal, monitor = ac_run(m, s, record=(s == 0))
        ac_cpu[m].append(time.process_time() - c0)
        ac_errors[m].append(ac_ev(model)["rel_l2"])
        if causal is not None:
            ac_final[m].append((causal.epsilon, causal.min_weight, causal.converged, len(causal.transitions)))
        if s == 0:
            ac_runs[m] = dict(model=model, history=h, recorder=rec, causal=causal, monitor=monitor)
    print(f"{m:7s} rel L2 {fmt(ac_errors[m])}   ({np.mean(ac_cpu[m]):.0f} s CPU per run)")
for s, (e, w, conv, n) in enumerate(ac_final["causal"]):
    print(f"causal seed {s}: final ε = {e:g}, min w = {w:.3f}, {n} ε transitions, converged: {conv}")

# %% [markdown]
# ### L_r(t) over training, Allen–Cahn
#
# Same picture as in part 1 (seed 0, 64 × 50 grid). With the causal loss the low-residual
# region should grow from t = 0 forwards; how far it gets within the budget is what the
# min-weight test below measures.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
for ax, m in zip(axes, METHODS):
    plot_temporal_heatmap(*ac_runs[m]["recorder"].heatmap(), title=f"Allen–Cahn, {m}: $L_r(t)$ over training", ax=ax)

# %% [markdown]
# ### The causal weights over training, Allen–Cahn
#
# Top: w_i for every slice (column) at every snapshot (row) — white where a slice counts
# fully, dark where it is still switched off. Bottom: w_i at a few moments, and ε with
# min_i w_i; a transition before the step cap means the min-weight test was met at that ε.

# %%
amon, acausal, ah = ac_runs["causal"]["monitor"], ac_runs["causal"]["causal"], ac_runs["causal"]["history"]
steps_w, Wac = amon.causal_weight_map()
fig, ax = plt.subplots(figsize=(10, 3), constrained_layout=True)
mesh = ax.pcolormesh(acausal.slice_centers, steps_w, Wac, shading="auto", cmap="gray", vmin=0, vmax=1)
fig.colorbar(mesh, ax=ax, label="$w_i$"); ax.set_xlabel("t"); ax.set_ylabel("training step")
ax.set_title("Allen–Cahn: causal weights $w_i$ over training (seed 0)")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
weights_panel(amon, acausal, ah, delta, axes)
print("ε transitions (call, old, new):", acausal.transitions, " converged:", acausal.converged)

# %% [markdown]
# ### Where in time the error sits
#
# Relative L2 error at each time t (seed 0) on a 256 × 101 grid, and the fields. Causal
# training is meant to get the early times right first; a plain PINN that has gone wrong
# is wrong from early on.

# %%
shape_ac = (64, 21) if QUICK else (256, 101)
ac_fields = {m: fields(ac, ac_runs[m]["model"], shape=shape_ac) for m in METHODS}
fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
err_t = {}
for m in METHODS:
    f = ac_fields[m]
    err_t[m] = np.linalg.norm(f.pred - f.ref, axis=0) / np.linalg.norm(f.ref, axis=0)
    ax.semilogy(f.axes[1], err_t[m], label=m)
ax.set_xlabel("t"); ax.set_ylabel("rel. L2 error at time t"); ax.legend(); ax.set_title("Allen–Cahn, seed 0")
for m in METHODS:
    plot_fields(ac_fields[m], title=f"Allen–Cahn, {m} (seed 0)");

# %% [markdown]
# ### Compare view: plain vs causal, side by side
#
# `pinnkit_widgets.Compare` trains two settings of one problem side by side; `causal=True` is
# a run setting (`RunConfig.causal`, with `causal_options` passed to `CausalResidual`), so the
# view can put the plain loss (A) beside the causally weighted one (B) on Allen–Cahn. It is a
# smaller network without the periodic embedding and fewer steps than the runs above, so read
# it for the picture — where in t each run's error sits while it trains — not for the final
# numbers. In JupyterLab the view updates while both train; under papermill/nbval it trains to
# the end and the static figure below the view shows the final fields.

# %%
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare, live_frontend

cmp = Compare(RunConfig(problem="allen_cahn", steps=compare_steps, width=compare_width, depth=4, num_points=1000,
                        sampler="uniform", resample_every=1, eval_every=max(10, compare_steps // 10), seed=0),
              a={}, b={"causal": True, "causal_options": {"num_slices": ac_slices, "epsilons": epsilons, "delta": delta,
                                                           "max_calls": max(1, compare_steps // len(epsilons))}},
              labels=("A plain", "B causal"))
cmp.train()
cmp.panel

# %%
cmp.wait()
finals = cmp.final()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True, sharey=True)
for ax, run_, f in zip(axes, cmp.runs, finals):
    snap = run_.snapshots[-1]
    err = np.log10(np.maximum(snap.error.reshape(run_.grid.shape), 1e-6))
    im = ax.pcolormesh(*run_.grid.axes, err.T, shading="auto", cmap="magma", vmin=-4, vmax=0.5)
    ax.set_xlabel("x"); ax.set_title(f"{f['label']}: log10 |error|, rel L2 {f['rel_l2']:.2e}")
axes[0].set_ylabel("t"); fig.colorbar(im, ax=axes, label="log10 |error|")
compare_rel_l2 = {f["label"]: f["rel_l2"] for f in finals}
print("live front end:", live_frontend(), " final:", compare_rel_l2)

# %% [markdown]
# ## Results

# %%
elapsed = time.perf_counter() - started
budget = f"{steps} Adam steps, {num_points} pts, {width}×{depth}, λ_ic = {lam_ic:g}, {seeds} seed(s)"
ac_budget = (f"{ac_steps} Adam steps, {ac_points} pts redrawn each step, {ac_width}×{ac_depth} + {ac_modes} periodic modes, "
             f"λ_ic = {ac_lam_ic:g}, {ac_slices} slices, ≤ {ac_max_steps_per_epsilon} steps per ε, {seeds} seed(s), 1 CPU thread")
setting = f"{problem_name} {parameter} = {value:g}"
res = record("02_causal_training", cpu_seconds=time.process_time() - CPU0, errors=errors, problem=setting,
             transitions=[list(t) for t in causal.transitions],
             final_epsilon=causal.epsilon, final_min_weight=causal.min_weight, converged=causal.converged,
             allen_cahn=dict(errors=ac_errors, median={m: spread(ac_errors[m])[0] for m in METHODS},
                             cpu_seconds_per_run={m: float(np.mean(ac_cpu[m])) for m in METHODS},
                             causal_final=[dict(epsilon=e, min_weight=w, converged=c, transitions=n)
                                           for e, w, c, n in ac_final["causal"]],
                             error_at_t={m: dict(t0_25=float(np.interp(0.25, ac_fields[m].axes[1], err_t[m])),
                                                 t1=float(err_t[m][-1])) for m in METHODS},
                             compare_rel_l2=compare_rel_l2, budget=ac_budget),
             seconds=elapsed, budget=dict(width=width, depth=depth, num_points=num_points, steps=steps,
                                          num_slices=num_slices, lam_ic=lam_ic, seeds=seeds))
A = res["allen_cahn"]
rows = [
    dict(method="plain PINN", **{"paper reports": 0.4987}, setting="Allen–Cahn, Table 1 (2e5 Adam steps, 4×128, GPU)",
         **{"pinnkit gets": fmt(A["errors"]["plain"])}, **{"our budget": "Allen–Cahn, " + A["budget"]}),
    dict(method="causal (ε schedule)", **{"paper reports": 1.43e-3}, setting="Allen–Cahn, Table 1, causal MLP (3e5 Adam steps)",
         **{"pinnkit gets": fmt(A["errors"]["causal"])}, **{"our budget": "Allen–Cahn, " + A["budget"]}),
    dict(method="plain PINN", setting="reaction ρ = 5 (no number in the paper)", **{"pinnkit gets": fmt(res["errors"]["plain"])},
         **{"our budget": budget + ", " + setting}),
    dict(method="causal (ε schedule)", setting="reaction ρ = 5 (no number in the paper)", **{"pinnkit gets": fmt(res["errors"]["causal"])},
         **{"our budget": budget + ", " + setting}),
]
display(Markdown(paper_table(rows)))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")

# %%
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in errors.values())
_, W = mon.causal_weight_map()
assert np.all(W[:, 0] == 1.0) and np.all(np.diff(W, axis=1) <= 1e-12)  # w_1 = 1, non-increasing in time
assert len(causal.transitions) >= 1  # the ε schedule advanced
# the plain run's residual profile is recorded over the whole time range
steps_, t_, L_ = runs["plain"]["recorder"].heatmap()
assert L_.shape == (len(steps_), len(t_)) and np.all(np.isfinite(L_))
# Allen–Cahn: finite errors, causal weights with w_1 = 1 and non-increasing in t, ε advanced
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in ac_errors.values())
assert np.all(Wac[:, 0] == 1.0) and np.all(np.diff(Wac, axis=1) <= 1e-12)
assert all(n >= 1 for _, _, _, n in ac_final["causal"])
# the periodic embedding makes the prediction exactly periodic in x
xt = torch.tensor([[-1.0, 0.3], [1.0, 0.3]])
assert torch.allclose(ac_runs["plain"]["model"](xt)[0], ac_runs["plain"]["model"](xt)[1], atol=1e-5)
assert all(f["status"] == "completed" and f["steps"] == compare_steps for f in finals)
# the compare's B side trained with causal weights (w_1 = 1, non-increasing in t); A did not
wB, wA = cmp.runs[1].snapshots[-1].causal_weights, cmp.runs[0].snapshots[-1].causal_weights
assert wA is None and wB is not None and wB[0] == 1.0 and np.all(np.diff(wB) <= 1e-12)

# %% [markdown]
# **Measured in full mode** (3 seeds, 1500 Adam steps, 800 points, reaction ρ = 5): plain
# 2.9e-1 [2.5e-1, 3.3e-1], causal 2.5e-1 [2.5e-1, 3.0e-1]. Every ε transition came from the
# step cap, never from min w > δ, so by the paper's own test training had not converged. At
# this budget causal weighting helps a little; the paper's gap (49.9 % → 0.14 % on Allen–Cahn)
# comes after 3e5 steps with a larger, Fourier-embedded network.
#
# **Measured in full mode, Allen–Cahn** (3 seeds, 2000 Adam steps per run, 4×64 tanh after 10
# periodic modes, 1024 points redrawn every step, λ_ic = 100; the whole notebook took 210 s of
# CPU and 254 s of wall time on 2026-12-06, 461 s of CPU on a slower day): plain 6.4e-1 [5.9e-1, 6.7e-1], causal 5.8e-1 [5.4e-1, 6.1e-1]. The
# paper's gap (49.9 % → 0.14 %) does **not** appear at this budget: both runs fail. What the
# causal loss does change is where the error sits: for seed 0 the error at t = 0.25 is 1.1e-1
# (causal) against 2.4e-1 (plain), and both reach 7.6e-1 at t = 1. In every causal run each
# ε transition came from the 400-step cap, never from min w > δ. In seed 0, min w rose to about
# 0.9 at ε = 1e-2, and at the end (ε = 100) the weights beyond t ≈ 0.15 are zero: by the
# paper's own test the run was still resolving the first sixth of the interval. The paper trains
# 150× longer (3e5 steps) on a 4×128 network. In the compare view (600 steps per side, 32 wide, no
# periodic embedding, seed 0; run as a script with the full settings) plain gives 1.00 and
# causal 1.24 overall, but their errors sit in different places: |error| (RMS over x) is 0.13
# (causal) against 0.37 (plain) at t = 0, and 1.28 against 0.90 at t = 0.83. At the end the
# causal run's weights are 1 on the first slice and 0 beyond it — it is still fitting the
# earliest times, the order the method imposes, and its |error| map shows it.
#
# **The gap grows with steps.** The same notebook with `ac_steps` 6000, `ac_max_steps_per_epsilon`
# 1200 and one seed (papermill parameters; 414 s CPU): plain 5.55e-1, causal 3.48e-1; error at
# t = 0.25: 1.8e-1 plain, 2.7e-2 causal; at t = 1: 7.3e-1 plain, 5.3e-1 causal. There the
# first ε transition came from the min-weight test (step 1163, before the 1200-step cap); the
# later ones from the cap. One seed only, and still far from the paper's 1.43e-3 — this is a
# trend, not a reproduction.
