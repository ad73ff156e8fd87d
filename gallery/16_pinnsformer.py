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
# # 16 · PINNsFormer against an MLP of the same size: does attention over a pseudo-sequence fix convection and reaction? (Zhao, Ding & Prakash, ICLR 2024)
#
# A transformer over time-shifted copies of each point, trained beside a wavelet MLP with as many parameters, on convection β = 50 and reaction ρ = 5, through pinnkit's fair-comparison harness.
#
# **Claim.** Zhao, Ding & Prakash, "PINNsFormer: A Transformer-Based Framework For
# Physics-Informed Neural Networks" (ICLR 2024, arXiv 2307.11833, Table 1): where a plain
# PINN fails — convection β = 50 (rRMSE **0.840**) and reaction ρ = 5 (**0.981**) — PINNsFormer
# reaches **0.027** and **0.030**, some 30× lower. Checked here, on each problem separately and
# fixed before any MLP was trained: the median relative L2 error of PINNsFormer over the seeds
# is below that of an MLP with the same activation and (nearly) the same number of parameters
# (direction), and at least **5×** below it (magnitude; the paper's factor is ~30×).
#
# **Problems** (zoo `convection`, `reaction`, on $x \in [0, 2\pi]$, $t \in [0, 1]$, periodic in $x$):
# $u_t + 50\,u_x = 0$, $u(x, 0) = \sin x$, exact $\sin(x - 50t)$; and
# $u_t - 5\,u(1 - u) = 0$, $u(x, 0) = e^{-(x-\pi)^2/(2(\pi/4)^2)}$, exact logistic solution.
# Loss: residual + initial + periodic mean squares, equal weights, as in the authors' code.
#
# **Method** (`docs/methods/pinnsformer.md`): each point becomes $k$ tokens
# $(x, t + i\Delta t)$, embedded, passed through one encoder and one decoder layer of attention
# and feed-forward blocks with the Wavelet activation $w_1\sin + w_2\cos$, and read out by an
# MLP head on every token; the prediction is the first token's. The residual and the boundary
# terms are averaged over all $k$ tokens, the initial condition uses the first
# (`model_options={"sequence_loss": True}`). The comparison is made with
# `pinnkit.compare.architectures` (`docs/methods/fair-comparison.md`): the MLP's width is chosen
# so its parameter count is closest to PINNsFormer's, both run the same L-BFGS budget on the
# same points for the same seeds, and the table reports error, time per step and peak memory.

# %% tags=["parameters"]
lbfgs_iters: int = 200  # L-BFGS iterations per run (paper: 500 calls of up to 20 iterations each)
grid_points: int = 2601  # residual points, a 51 × 51 grid (paper: 51 × 51 for PINNsFormer)
edge_points: int = 51  # points of the initial line and of each periodic pair set (paper: 51)
k: int = 3  # tokens of the pseudo-sequence (paper: 5; it allows 3, 5, 7, 10)
dt: float = 1e-4  # time shift between tokens (paper: 1e-4)
d_model: int = 32  # embedding width (paper: 32)
heads: int = 1  # attention heads (paper: 2)
d_ff: int = 64  # feed-forward width (paper: 256)
d_hidden: int = 128  # width of the output head (paper: 512)
mlp_depth: int = 3  # hidden layers of the MLP (the paper's baseline: 3 × 512)
seeds: int = 3  # seeds per model and problem (median and spread)
eval_every: int = 25  # iterations between error evaluations (the budget curve)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.compare import architectures, plan
from pinnkit.report import (Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary,
                            values_at, verdict)

WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only: a tiny transformer, a coarse grid, a few iterations, one seed
    lbfgs_iters, grid_points, edge_points, d_model, d_ff, d_hidden, seeds, eval_every = 6, 100, 10, 8, 8, 8, 1, 3
PROBLEMS = {"convection β = 50": ("convection", {"beta": 50.0}), "reaction ρ = 5": ("reaction", {"rho": 5.0})}
PAPER = {"convection β = 50": {"PINN": 0.840, "PINNsFormer": 0.027},
         "reaction ρ = 5": {"PINN": 0.981, "PINNsFormer": 0.030}}
LBFGS = {"history_size": 100}  # torch's default history; tolerances pinnkit's defaults (1e-7, 1e-9), strong Wolfe
CANDIDATES = {
    "PINNsFormer": {"model": "pinnsformer", "width": d_model, "depth": 1, "activation": "wavelet",
                    "model_options": {"k": k, "dt": dt, "heads": heads, "d_ff": d_ff, "d_hidden": d_hidden,
                                      "sequence_loss": True}},
    "MLP (wavelet)": {"model": "mlp", "depth": mlp_depth, "activation": "wavelet"},
}


def base(problem):
    name, parameters = PROBLEMS[problem]
    return RunConfig(problem=name, parameters=parameters, sampler="grid", num_points=grid_points,
                     condition_points={"initial": edge_points, "periodic": edge_points}, scale_inputs=False,
                     optimizer="lbfgs", lr=1.0, steps=lbfgs_iters, lbfgs_options=LBFGS, eval_every=eval_every)


OPTIONS = dict(seeds=seeds, match="params", target="PINNsFormer", size={"MLP (wavelet)": "width"})
plans = {p: plan(base(p), CANDIDATES, **OPTIONS) for p in PROBLEMS}
P0 = plans[next(iter(PROBLEMS))]
mlp_width = P0.sizes["MLP (wavelet)"]["width"]

display(Markdown(settings_table([
    ("problems", "convection β = 50, reaction ρ = 5", "same", "same", "—"),
    ("points", "51 × 51 grid with its edges; IC/BC from the edges", f"51 × 51 interior grid, {51} random per "
     f"condition", f"{grid_points} interior, {edge_points} per condition", "pinnkit's grid sampler is interior"),
    ("PINNsFormer", "k = 5, Δt = 1e-4, d_model 32, 2 heads, 1 + 1 layers, FF 256, head 512 (453 561 parameters)",
     f"k = 3, Δt = 1e-4, d_model 32, 1 head, 1 + 1 layers, FF 64, head 128 ({P0.params['PINNsFormer']} parameters)",
     f"k {k}, d_model {d_model}, FF {d_ff}, head {d_hidden}",
     "on one CPU core the paper's size takes 7.7 s per L-BFGS iteration at k = 3 (measured), 0.7–1 s at this size"),
    ("sequence loss", "residual and BC over all tokens, IC on the first", "same", "same", "—"),
    ("comparison", "PINN 3 × 512 tanh (527 361 parameters), 101 × 101 grid",
     f"MLP {mlp_depth} × {mlp_width} wavelet ({P0.params['MLP (wavelet)']} parameters), same points",
     f"width matched", "equal parameters and the same activation: the architecture is what differs; "
     "the 3 × 512 baseline would cost ~0.46 s per iteration more per run (not affordable beside it)"),
    ("optimizer", "L-BFGS, strong Wolfe, history 100; 500 calls × ≤ 20 iterations", f"{lbfgs_iters} iterations",
     f"{lbfgs_iters}", "CPU budget: ≤ 10 min for all runs on 2 cores (see the budget check)"),
    ("inputs", "raw (x, t), Xavier init, bias 0.01", "same", "same", "—"),
    ("error", "rRMSE on a 101 × 101 grid", "relative L2 on the 256 × 100 test grid", "same",
     "the same quantity (relative root mean square) on a finer grid"),
    ("seeds, dtype", "seed 0, float32", f"3 seeds, float32", f"{seeds}", "seed spreads of PINNsFormer runs are large"),
])))

# %% [markdown]
# **Why this budget.** Before fixing the settings above, one PINNsFormer run per problem (seed 0,
# this size, 300 iterations) was measured: on reaction its error fell from 0.97 to 0.15 by
# iteration 160 and then stayed at 0.039–0.043 from 200 to 300; on convection it stayed at
# 1.0–1.3 throughout the 300 iterations. 200 iterations is the smallest budget at which the
# reaction run had settled and what fits the 10-minute limit (6 PINNsFormer runs at ~0.7 s
# per iteration on two cores). The paper's 500 calls of `LBFGS.step` allow up to 10 000
# iterations; whether convection needs them is not tested here. The threshold (5×) was
# fixed before any MLP ran; the MLP's results were not seen before the budget was chosen.

# %% [markdown]
# ## The runs (both problems, both models, every seed; in parallel, a fresh process per run, from the run store when present)

# %%
t0 = time.perf_counter()
warm = sweep([c for p in plans.values() for c in p.run_configs()], store=store_dir(), progress=True,
             fresh_workers=True)
sweep_seconds = time.perf_counter() - t0
print(f"{len(warm.trained)} runs trained, {len(warm.reused)} found in the store ({sweep_seconds:.0f} s)")
tables = {p: architectures(base(p), CANDIDATES, **OPTIONS, store=store_dir()) for p in PROBLEMS}
for p, table in tables.items():
    assert not table.trained, "the sweep above trained every run"
    display(Markdown(f"**{p}** (target: PINNsFormer's {table.target} parameters)\n\n" + table.markdown()))
err = {p: {n: table.errors(n) for n in table.names} for p, table in tables.items()}
ms = {p: {n: table.ms_per_step(n) for n in table.names} for p, table in tables.items()}
mem = {p: {n: table.memory(n, "peak_over_start_mb") for n in table.names} for p, table in tables.items()}

# %% [markdown]
# "ms / step" is a run's training wall time over its L-BFGS iterations (an iteration is one or
# a few loss-and-gradient evaluations; the test-grid evaluations every 25 iterations are
# included), two runs sharing the two cores. Peak memory is the worker process's peak resident
# memory (`VmHWM`; the interpreter and torch included), "run's own" how far it rose above the
# process's memory when the run began — torch's CPU allocator is invisible to `tracemalloc`.

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
for ax, (p, table) in zip(axes, tables.items()):
    for n, c in zip(table.names, ("C0", "C1")):
        for i, r in enumerate(table.runs[n]):
            st, e = r.history.where("metric/rel_l2")
            ax.semilogy(st, e, color=c, alpha=0.8, label=f"{n} ({table.params[n]} parameters)" if i == 0 else None)
    for n, ls in (("PINN", ":"), ("PINNsFormer", "--")):
        ax.axhline(PAPER[p][n], color="grey", ls=ls, lw=1, label=f"paper: {n} (500 L-BFGS calls)")
    ax.set_xlabel("L-BFGS iteration"); ax.set_ylabel("relative L2 error"); ax.set_title(p)
    ax.legend(fontsize=7)

# %% [markdown]
# ## Is the budget enough?
#
# Read off the same runs: the error at ½ and ¾ of the iterations over the error at the end
# (what a run with the smaller budget would have had).

# %%
half, three_q = lbfgs_iters // 2, (3 * lbfgs_iters) // 4
gain = {}
lines = [f"| problem | model | error at {half} / at {lbfgs_iters} | error at {three_q} / at {lbfgs_iters} |",
         "|---|---|---|---|"]
for p, table in tables.items():
    for n in table.names:
        at = np.array([values_at(r.history, [half, three_q, lbfgs_iters]) for r in table.runs[n]])
        gain[p, n] = (at[:, 0] / at[:, 2], at[:, 1] / at[:, 2])
        lines.append(f"| {p} | {n} | {fmt(gain[p, n][0])} | {fmt(gain[p, n][1])} |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# Where a ratio is near 1 the error had stopped moving by half the budget. A PINNsFormer run on
# reaction that leaves the near-trivial state ($u \approx$ its initial profile, error ≈ 0.97)
# does so late and is still falling at the end (ratios well above 1): its final error is an
# upper bound of what this network reaches with more iterations (the preparatory seed-0 run
# settled at 0.04 between iterations 200 and 300). The MLP's L-BFGS on reaction ends on its
# own tolerance after about 80 iterations, at the near-trivial state: more iterations would
# not move it. On convection no run of either model leaves error ≈ 1.

# %% [markdown]
# ## The claim, checked

# %%
wall = time.perf_counter() - WALL0
claims, rows, ratios = [], [], {}
for p, table in tables.items():
    pf, mlp = np.median(err[p]["PINNsFormer"]), np.median(err[p]["MLP (wavelet)"])
    ratios[p] = float(mlp / pf)
    claims.append(Claim(
        paper="Zhao, Ding & Prakash 2024 (PINNsFormer), Table 1",
        claim=f"on {p} PINNsFormer's error is ≥ 5× below a parameter-matched wavelet MLP's (medians of the seeds); "
              f"the value is PINNsFormer's rel. L2",
        paper_value=PAPER[p]["PINNsFormer"], values=err[p]["PINNsFormer"], seeds=table.seeds,
        budget=f"{lbfgs_iters} L-BFGS it, {grid_points} grid points, k = {k}, d_model {d_model}, FF {d_ff}, "
               f"head {d_hidden} ({table.params['PINNsFormer']} parameters)",
        wall_seconds=sweep_seconds, verdict=verdict(direction=bool(pf < mlp), magnitude=bool(mlp >= 5 * pf)),
        note=("both fail (median errors > 0.5): the direction holds only in that PINNsFormer's failure is the "
              "smaller one; " if pf > 0.5 and mlp > 0.5 else "") +
             f"MLP {mlp_depth}×{table.sizes['MLP (wavelet)']['width']} wavelet ({table.params['MLP (wavelet)']} "
             f"parameters) {fmt(err[p]['MLP (wavelet)'])}; ratio of medians {ratios[p]:.3g}×; ms per iteration "
             f"PINNsFormer {np.median(ms[p]['PINNsFormer']):.3g}, MLP {np.median(ms[p]['MLP (wavelet)']):.3g}"))
    rows += [{"method": f"{p}: PINN 3×512 / MLP {mlp_depth}×{table.sizes['MLP (wavelet)']['width']} wavelet",
              "paper reports": PAPER[p]["PINN"], "setting": "500 L-BFGS calls, 527 361 parameters",
              "pinnkit gets": fmt(err[p]["MLP (wavelet)"]),
              "our budget": f"{lbfgs_iters} it, {table.params['MLP (wavelet)']} parameters"},
             {"method": f"{p}: PINNsFormer", "paper reports": PAPER[p]["PINNsFormer"],
              "setting": "500 L-BFGS calls, 453 561 parameters", "pinnkit gets": fmt(err[p]["PINNsFormer"]),
              "our budget": f"{lbfgs_iters} it, {table.params['PINNsFormer']} parameters"}]
for c in claims:
    print(f"{c.verdict}: {c.claim} — {c.note}")
display(Markdown(paper_table(rows)))
res = record("16_pinnsformer", claims=claims,
             rel_l2={f"{p}/{n}": summary(v) for p, d in err.items() for n, v in d.items()},
             ms_per_iteration={f"{p}/{n}": summary(v) for p, d in ms.items() for n, v in d.items()},
             peak_over_start_mb={f"{p}/{n}": summary(v) for p, d in mem.items() for n, v in d.items()},
             params={p: dict(t.params) for p, t in tables.items()}, ratio_of_medians=ratios,
             half_budget_gain={f"{p}/{n}": summary(g[0]) for (p, n), g in gain.items()},
             wall_seconds=wall, sweep_seconds=sweep_seconds,
             training_seconds=sum(r.metrics["time"] for t in tables.values() for rs in t.runs.values() for r in rs))

# %% [markdown]
# How to read the verdicts: the direction holds when PINNsFormer's median error is below the
# MLP's; "reproduced" needs it at least 5× below. With three seeds whose PINNsFormer runs
# either escape the trivial state or not, the median is the middle seed: a verdict can turn on
# one seed, so read it with the range. On a problem where both models fail (error near 1) a
# "partly" says only that one failure is smaller. The numbers above are pinnkit's at a budget
# some 50× smaller than the paper's in iterations and a tenth of its network; they say what
# PINNsFormer does at a student's CPU budget, not what it does at the authors'.

# %%
for p, table in tables.items():
    assert table.params["PINNsFormer"] == table.target
    assert abs(table.params["MLP (wavelet)"] - table.target) <= 0.05 * table.target  # parameter-matched
    assert all(np.isfinite(v) and v > 0 for vs in err[p].values() for v in vs), err[p]
    assert all(len(table.runs[n]) == seeds for n in table.names)
