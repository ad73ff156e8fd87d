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
# # 20 · Legendre and hypergeometric equations: does adaptive loss weighting help at regular singular points?
#
# A plain PINN against two adaptive loss weightings on ODEs whose leading coefficient vanishes at the ends of the domain.
#
# **Claim.** A paper on PINNs with adaptive loss weighting for the Legendre and hypergeometric
# equations (it also treats Lorentz-violating black holes and Schwarzschild spherical accretion)
# reports that adaptive weighting of the loss terms gives accurate solutions of these equations.
# Neither its weighting rule nor its numbers are available here, so pinnkit does **not**
# reproduce its method: it uses two of its own adaptive balancers — learning-rate annealing as
# published (Wang, Teng & Perdikaris 2021, Algorithm 1, `balancer="lra"`, updated every 10 steps)
# and grad-norm weighting (Wang et al. 2023, `balancer="grad_norm"`, every 10 steps) — and
# checks, with thresholds fixed before the measurement:
# 1. **the paper's direction, with LRA**: the median relative L2 error (3 seeds) with LRA is below
#    the plain PINN's on a majority of the five problems; "reproduced" also needs ≥ 2× lower on
#    every problem;
# 2. **the same with grad-norm**;
# 3. **pinnkit's: the singular points are not a difficulty at this budget**: every method reaches a
#    relative L2 error < 1e-2 *and* a largest error within 0.05 of a singular point (divided by
#    max |y|) < 1e-2 — in the median of the seeds for every problem and method (direction), and
#    for every seed (magnitude).
#
# *Disclosed:* while building the zoo problems one pilot run per method (Legendre n = 4 and the
# default hypergeometric problem, seed 0, a 3000 + 1000 budget like the one below) gave LRA a
# **larger** error than the plain PINN (4.8e-3 against 1.0e-4 and 1.0e-3 against 4.4e-5). The
# claims, problems and budget were fixed after that pilot and not changed after the measurement.
#
# **Problems** (zoo `legendre`, `hypergeometric`; `docs/methods/singular-odes.md`):
# - Legendre $(1-x^2)y'' - 2xy' + n(n+1)y = 0$ on $[-1, 1]$, $y(\pm1) = (\pm1)^n$, so $y = P_n$
#   ($n = 2, 4, 6$); singular points $x = \pm1$, where the equation itself reduces to
#   $\mp 2y'(\pm1) + n(n+1)y(\pm1) = 0$;
# - hypergeometric $x(1-x)y'' + [c-(a+b+1)x]y' - ab\,y = 0$ on $[0, 0.95]$ with $y(0) = 1$ and the
#   indicial condition $c\,y'(0) = ab\,y(0)$, so $y = {}_2F_1(a, b; c; x)$: $(a, b, c) = (1, 1, 2)$,
#   $y = -\ln(1-x)/x$, and $(½, ½, 1)$, $y = 2K(x)/\pi$ — both with a logarithmic singularity at
#   the second singular point $x = 1$, 0.05 beyond the domain.
#
# References: `scipy.special.eval_legendre` and `hyp2f1` (checked against their ODE, closed forms
# and `solve_ivp` at rtol 1e-13 in `tests/test_singular_odes.py`).

# %% tags=["parameters"]
width: int = 32  # neurons per hidden layer
depth: int = 3  # hidden layers
num_points: int = 256  # collocation points (Sobol)
adam_steps: int = 3000  # Adam steps (lr 1e-3), then L-BFGS
lbfgs_steps: int = 1000  # L-BFGS iterations (the adaptive weights are held during L-BFGS)
update_every: int = 10  # steps between updates of the adaptive weights
seeds: int = 3  # seeds per problem and method
near: float = 0.05  # "near a singular point": within this distance of it
eval_every: int = 250  # steps between error evaluations (the budget check)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.report import (Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary,
                            values_at, verdict)
from pinnkit.training.evaluate import predict

WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only: a smoke run
    adam_steps, lbfgs_steps, seeds, eval_every, num_points = 60, 20, 1, 20, 64
PROBLEMS = {
    "Legendre n=2": ("legendre", {"n": 2}),
    "Legendre n=4": ("legendre", {"n": 4}),
    "Legendre n=6": ("legendre", {"n": 6}),
    "2F1(1,1;2)": ("hypergeometric", {"a": 1.0, "b": 1.0, "c": 2.0, "x_max": 0.95}),
    "2F1(½,½;1)": ("hypergeometric", {"a": 0.5, "b": 0.5, "c": 1.0, "x_max": 0.95}),
}
METHODS = {"plain": ("none", {}), "LRA": ("lra", {"every": update_every}),
           "grad-norm": ("grad_norm", {"every": update_every})}
total = adam_steps + lbfgs_steps


def config(problem, method, seed):
    name, parameters = PROBLEMS[problem]
    balancer, options = METHODS[method]
    return RunConfig(problem=name, parameters=parameters, width=width, depth=depth, num_points=num_points,
                     condition_points=1, balancer=balancer, balancer_options=options, dtype="float64",
                     optimizer="adam+lbfgs", lr=1e-3, steps=adam_steps, lbfgs_steps=lbfgs_steps,
                     eval_every=eval_every, seed=seed, threads=1)


display(Markdown(settings_table([
    ("equations", "Legendre, hypergeometric (and two astrophysical ODEs)", "Legendre n = 2, 4, 6; ₂F₁ (1,1;2), (½,½;1)",
     "same", "the paper's parameter values are not available here"),
    ("conditions", "[not available]", "y(±1) = (±1)ⁿ; y(0) = 1 and c y'(0) = ab y(0)", "same", "—"),
    ("adaptive weighting", "the paper's own rule [not available]",
     f"LRA (Alg. 1) and grad-norm, every {update_every} steps", "same", "pinnkit's balancers stand in for it"),
    ("network", "[not available]", f"{depth}×{width} tanh, float64", "same", "—"),
    ("points", "[not available]", f"{num_points} Sobol, the condition points", f"{num_points}", "—"),
    ("optimiser", "[not available]", f"Adam 1e-3 × {adam_steps} + L-BFGS × {lbfgs_steps}", f"{adam_steps} + {lbfgs_steps}",
     "weights held during L-BFGS"),
    ("error", "[not available]", f"relative L2 on 501 points; max error within {near} of a singular point / max|y|",
     "same", "—"),
    ("seeds", "[not available]", f"{seeds}", f"{seeds}", "median [min, max]"),
])))

# %% [markdown]
# ## The runs (every problem, method and seed; in parallel, from the run store when present)

# %%
keys = [(p, m, s) for p in PROBLEMS for m in METHODS for s in range(seeds)]
t0 = time.perf_counter()
result = sweep([config(*k) for k in keys], store=store_dir(), progress=True)
sweep_seconds = time.perf_counter() - t0
runs = dict(zip(keys, result.runs))
print(f"{len(result.trained)} runs trained, {len(result.reused)} found in the store ({sweep_seconds:.0f} s)")


def singular_points(problem):
    lo, hi = problem.domain.low[0], problem.domain.high[0]
    return (lo, hi) if problem.name == "legendre" else (lo, 1.0)  # 2F1: x = 0 and x = 1 (beyond x_max)


def profile(run):
    """x, |error| on the test grid, the reference."""
    g = run.problem.test_grid()
    ref = run.problem.reference_on(g)[:, 0]
    return g[:, 0], np.abs(predict(run.model, g)[:, 0] - ref), ref


def near_error(run):
    x, err, ref = profile(run)
    mask = np.zeros_like(x, bool)
    for s in singular_points(run.problem):
        mask |= np.abs(x - s) <= near + 1e-12
    return float(err[mask].max() / np.abs(ref).max())


rel = {(p, m): [runs[p, m, s].history.final["metric/rel_l2"] for s in range(seeds)] for p in PROBLEMS for m in METHODS}
nearerr = {(p, m): [near_error(runs[p, m, s]) for s in range(seeds)] for p in PROBLEMS for m in METHODS}


def last_adam_weight(run):
    """The largest condition weight at the last logged Adam step (held there during L-BFGS)."""
    rws = [r for r in run.history.rows if r.get("step", 0) <= adam_steps and any(k.startswith("weight/") for k in r)]
    return max((v for k, v in rws[-1].items() if k.startswith("weight/") and k != "weight/residual"), default=1.0) \
        if rws else 1.0


lam_end = {(p, m): [last_adam_weight(runs[p, m, s]) for s in range(seeds)] for p in PROBLEMS for m in METHODS}
rows = ["| problem | method | relative L2 (median [min, max]) | near the singular points | largest condition weight |",
        "|---|---|---|---|---|"]
rows += [f"| {p} | {m} | {fmt(rel[p, m])} | {fmt(nearerr[p, m])} | {fmt(lam_end[p, m])} |"
         for p in PROBLEMS for m in METHODS]
display(Markdown("\n".join(rows)))

# %% [markdown]
# "Near the singular points": the largest $|y - y_{\rm ref}|$ within 0.05 of $x = \pm1$ (Legendre)
# or of $x = 0$ and $x = 1$ (hypergeometric: the points $0.90 \le x \le 0.95$), divided by
# $\max|y_{\rm ref}|$. The last column is the largest condition weight at the end of Adam
# (1 for the plain PINN; the weights are held there during L-BFGS).
#
# **Measured** (full budget, 2-core CPU, seeds 0–2, 45 runs in 311 s on two workers). The plain
# PINN had the lowest median error on four of the five problems: Legendre n = 2 and 4 at 5.4e-5
# and 1.1e-4, ₂F₁(1,1;2) at 5.7e-5 and ₂F₁(½,½;1) at 3.2e-4, against 1.1e-3, 3.9e-3, 8.2e-4 and
# 7.6e-2 with LRA and 1.9e-4, 4.7e-4, 8.3e-5 and 4.0e-4 with grad-norm. Only on Legendre n = 6,
# the hardest, does an adaptive method win: grad-norm at 2.2e-3 [2.0e-3, 0.28] against the plain
# PINN's 6.8e-2 [6.6e-4, 0.67], with LRA at 0.12. In the median, the errors near the singular
# points are about the same size as the errors overall; the error profiles do not peak at
# $x = \pm1$ or at $x = 0$. On the hypergeometric problems the error grows towards $x_{\max} = 0.95$,
# where the solution steepens on its way to the logarithm at $x = 1$; that is what makes their
# "near" errors slightly larger than the overall ones. LRA's weights as published (Alg. 1) grow to
# $5\cdot10^3$–$8\cdot10^5$ (Legendre) and ~$10^2$ (hypergeometric, up to $4\cdot10^5$) on the
# point conditions, whose gradients shrink as they are met, and L-BFGS then
# works on a badly scaled loss.

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(1, len(PROBLEMS), figsize=(16, 3.4), constrained_layout=True)
for ax, p in zip(axes, PROBLEMS):
    for m, c in zip(METHODS, ("C0", "C3", "C2")):
        x, err, _ = profile(runs[p, m, 0])
        ax.semilogy(x, np.maximum(err, 1e-12), color=c, lw=1, label=m)
    for s in singular_points(runs[p, "plain", 0].problem):
        ax.axvline(s, color="k", ls=":", lw=0.8)
    ax.set_title(p); ax.set_xlabel("x")
axes[0].set_ylabel("|y − y_ref| (seed 0)")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Is the budget enough?
#
# The relative L2 error at half of the whole budget, half-way through L-BFGS and at the end
# (median [min, max] over seeds; a run that stopped early keeps its final value).

# %%
checkpoints = (total // 2, adam_steps + lbfgs_steps // 2, total)
budget = {(p, m): np.array([values_at(runs[p, m, s].history, checkpoints) for s in range(seeds)])
          for p in PROBLEMS for m in METHODS}
display(Markdown(paper_table(
    [{"problem": p, "method": m, **{f"step {k}": fmt(budget[p, m][:, i]) for i, k in enumerate(checkpoints)}}
     for p in PROBLEMS for m in METHODS], columns=("problem", "method", *(f"step {k}" for k in checkpoints)))))
settle = {(p, m): budget[p, m][:, 1] / budget[p, m][:, 2] for p in PROBLEMS for m in METHODS}
print("error half-way through L-BFGS / at the end, median over seeds: "
      + ", ".join(f"{p} {m} {np.median(v):.3g}" for (p, m), v in settle.items()))
unsettled = [f"{p} {m}" for (p, m), v in settle.items() if np.median(v) > 1.5]
print("still falling (median ratio > 1.5) over the last half of L-BFGS:", ", ".join(unsettled) or "none")

# %% [markdown]
# **Measured.** Adam alone does not get far: at step 2000 every run is still at a relative error of
# 0.3–3, and L-BFGS does the work. Over the last 500 L-BFGS iterations the plain PINN changed by
# less than 1.11× on Legendre n = 2, ₂F₁(1,1;2) and ₂F₁(½,½;1), which have **settled**. Legendre
# n = 4 (plain 3×, grad-norm 2.9×, LRA 6.7×), Legendre n = 6 (plain 13.5×, LRA 4.6×, grad-norm
# 6.4×) and the adaptive runs on ₂F₁(1,1;2) (13× and 24×) and ₂F₁(½,½;1) (2.9× and 1.8×) were
# **still falling**. The verdicts below therefore hold for this budget. A longer L-BFGS could
# narrow the gaps where the adaptive runs were still falling; on the three settled plain runs it
# could not change the direction unless the adaptive errors fell below the plain ones.

# %% [markdown]
# ## The claims, checked
#
# **Verdict** (full run). (1) LRA: **not reproduced**. Its median error was higher than the
# plain PINN's on all five problems, by 1.7× (Legendre n = 6) to 230× (₂F₁(½,½;1)). (2) grad-norm:
# **not reproduced**. It was lower on one problem of five (Legendre n = 6, 31×) and higher, by
# 1.25–4.2×, on the other four. (3) "Both reach < 1e-2, near the singular points too": **not
# reproduced**. Twelve of the fifteen (problem, method) pairs do in the median, but Legendre n = 6
# fails for the plain PINN and LRA, and ₂F₁(½,½;1) fails for LRA. This is pinnkit's result with its
# own balancers at its own budget. It says nothing about the paper's weighting rule, which is not
# available here.

# %%
wall = time.perf_counter() - WALL0
med = {k: float(np.median(v)) for k, v in rel.items()}


def adaptive_claim(method):
    gain = {p: med[p, "plain"] / med[p, method] for p in PROBLEMS}
    lower = sum(g > 1 for g in gain.values())
    per_seed = [float(np.exp(np.mean([np.log(rel[p, "plain"][s] / rel[p, method][s]) for p in PROBLEMS])))
                for s in range(seeds)]
    return Claim(
        paper="PINNs with adaptive loss weighting for the Legendre and hypergeometric equations (rule and numbers "
              f"not available; pinnkit's {method} stands in)",
        claim=f"{method} lowers the median relative L2 error below the plain PINN's on a majority of the "
              f"{len(PROBLEMS)} problems ('reproduced': ≥ 2× lower on every problem); values: per seed, the "
              f"geometric mean over the problems of the plain / {method} error ratio (> 1: {method} better)",
        values=per_seed, seeds=seeds,
        budget=f"{depth}×{width} tanh, {num_points} points, Adam {adam_steps} + L-BFGS {lbfgs_steps}",
        wall_seconds=sweep_seconds, dtype="float64",
        verdict=verdict(direction=lower > len(PROBLEMS) / 2, magnitude=all(g >= 2 for g in gain.values())),
        note=f"lower on {lower} of {len(PROBLEMS)}; " + "; ".join(
            f"{p}: plain {fmt(rel[p, 'plain'])}, {method} {fmt(rel[p, method])}" for p in PROBLEMS))


claims = [adaptive_claim("LRA"), adaptive_claim("grad-norm")]
worst = [max(max(rel[p, m][s], nearerr[p, m][s]) for p in PROBLEMS for m in METHODS) for s in range(seeds)]
all_median = all(np.median(rel[k]) < 1e-2 and np.median(nearerr[k]) < 1e-2 for k in rel)
all_seeds = all(max(rel[k] + nearerr[k]) < 1e-2 for k in rel)
claims.append(Claim(
    paper="pinnkit: PINNs at regular singular points",
    claim="every method reaches relative L2 < 1e-2 and error near the singular points < 1e-2 (× max|y|) on the "
          "five problems, in the median of the seeds ('reproduced': every seed); values: the worst of both errors "
          "over problems and methods, per seed",
    values=worst, seeds=seeds, budget=f"Adam {adam_steps} + L-BFGS {lbfgs_steps}", wall_seconds=sweep_seconds,
    dtype="float64", verdict=verdict(direction=all_median, magnitude=all_seeds),
    note="; ".join(f"{p} near: " + ", ".join(f"{m} {fmt(nearerr[p, m])}" for m in METHODS) for p in PROBLEMS)))
for c in claims:
    print(f"{c.verdict}: {c.claim}\n    {c.note}")
display(Markdown(paper_table(
    [{"method": f"{p}, {m}", "paper reports": None, "setting": "[not available]",
      "pinnkit gets": f"{fmt(rel[p, m])} (near: {fmt(nearerr[p, m])})", "our budget": f"{adam_steps} + {lbfgs_steps}"}
     for p in PROBLEMS for m in METHODS])))
res = record("20_singular_odes", claims=claims,
             rel_l2={f"{p}/{m}": summary(v) for (p, m), v in rel.items()},
             near_singular={f"{p}/{m}": summary(v) for (p, m), v in nearerr.items()},
             settle={f"{p}/{m}": summary(v) for (p, m), v in settle.items()},
             wall_seconds=wall, sweep_seconds=sweep_seconds)

# %%
assert all(np.isfinite(v) and v >= 0 for vs in rel.values() for v in vs), rel
assert all(np.isfinite(v) for vs in nearerr.values() for v in vs), nearerr
assert all(runs[k].history.status == "completed" for k in keys)
