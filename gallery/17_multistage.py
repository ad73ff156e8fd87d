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
# # 17 · Multi-stage neural networks: each stage lowers the error by an order of magnitude (Wang & Lai, JCP 2024)
#
# Stage after stage, fit what the sum of the networks still misses, and watch the maximum error fall.
#
# **Claim.** A single network's error stalls near $10^{-5}$ however long it trains. Fitting
# the residue of the sum with a new network, rescaled to order one and started at the
# residue's frequency, lowers the error stage by stage; in float64 the authors' four stages
# "nearly reach" machine precision, O($10^{-16}$) (Wang & Lai, J. Comput. Phys. 504, 2024,
# arXiv 2307.08934). Checked here on the authors' regression experiment: **each stage lowers
# the maximum error on $[-1, 1]$ by at least 10×** (every stage, every seed), and where the
# last stage ends.
#
# **Method.** With $u_c^{(n)} = \sum_{k \le n} \varepsilon_k u_k$, stage $n$ fits
# $e_{n-1}/\varepsilon_n$, $e_{n-1} = f - u_c^{(n-1)}$, $\varepsilon_n = \mathrm{rms}(e_{n-1})$;
# stage 0 is a tanh MLP, every later stage has the first layer $\sin(\kappa_n(Wx + b))$ with
# $\kappa_n = 3 \times$ the number of sign changes of $e_{n-1}$ (the authors' script), the
# earlier stages frozen. Each stage: Adam, then L-BFGS
# (`RunConfig(model="multistage", strategy="multistage", dtype="float64")`, docs page
# `docs/methods/multistage.md`). Target $f(x) = x^3/(0.01 + x^4)$.

# %% tags=["parameters"]
a: float = 0.01  # the target's width parameter (authors' script: 0.01)
width: int = 30  # neurons per hidden layer (authors: 30)
depth: int = 4  # hidden layers per stage (authors: [1, 30, 30, 30, 30, 1])
num_points: int = 3000  # training points, uniform on [-1.02, 1.02] (authors: 3000)
stage_steps: list = [[1000, 2000], [1000, 3000], [1000, 3000], [1000, 3000]]  # [Adam, L-BFGS] per stage
kappa: str = "sign_changes"  # frequency rule of the later stages (authors' script)
seeds: int = 3  # seeds (median and spread)
eval_every: int = 250  # steps between error evaluations (the budget curve)
eval_points: int = 10000  # evaluation points on [-1, 1] (authors: 10000)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep
from pinnkit.report import Claim, fmt, paper_table, quick_mode, record, settings_table, store_dir, summary, verdict

WALL0 = time.perf_counter()
QUICK = quick_mode()
if QUICK:  # tests only
    width, num_points, stage_steps, seeds, eval_every, eval_points = 8, 300, [[100, 100], [100, 100]], 1, 50, 1000
stages = len(stage_steps)
PAPER_STEPS = [[2000, 10000], [5000, 20000], [5000, 30000], [5000, 40000]]
LBFGS = {"tolerance_grad": 0.0, "tolerance_change": 0.0, "history_size": 50}  # stop on the cap only


def config(seed):
    return RunConfig(problem="regression1d", parameters={"a": a}, model="multistage", width=width, depth=depth,
                     sampler="grid", num_points=num_points, optimizer="adam+lbfgs", lr=1e-3,
                     steps=stage_steps[0][0], lbfgs_steps=stage_steps[0][1], lbfgs_options=LBFGS,
                     dtype="float64", eval_every=eval_every, seed=seed, strategy="multistage",
                     strategy_options={"stages": stages, "stage_steps": stage_steps, "kappa": kappa,
                                       "residue_points": 4000})


def steps_text(ss):
    return ", ".join(f"{ad}+{lb}" for ad, lb in ss)


display(Markdown(settings_table([
    ("target, interval", "x³/(0.01 + x⁴), 3000 points on [−1.02, 1.02]", "same", f"{num_points} points", "—"),
    ("network per stage", "[1, 30, 30, 30, 30, 1], float64", "same", f"{depth}×{width}", "—"),
    ("stages", "4: tanh, then sin(κ(Wx + b)) first layer", "4, same", f"{stages}", "—"),
    ("κ of a later stage", "3 × sign changes of the residue", "same (residue on 4000 points)", kappa, "—"),
    ("Adam + L-BFGS per stage", steps_text(PAPER_STEPS), steps_text([[1000, 2000], [1000, 3000], [1000, 3000], [1000, 3000]]),
     steps_text(stage_steps), "CPU time (the paper's 117 000 steps take ~35 min per seed here at the ~17 ms per step measured); the budget "
     "curve below shows where each stage stands at its cap"),
    ("error", "max |u − f| on 10 000 points of [−1, 1]", "same", f"{eval_points} points", "—"),
    ("seeds", "1", "3", f"{seeds}", "seed spread"),
])))

# %% [markdown]
# ## The runs (one per seed; in parallel, from the run store when present)

# %%
configs = [config(s) for s in range(seeds)]
t0 = time.perf_counter()
result = sweep(configs, store=store_dir(), progress=True)
sweep_seconds = time.perf_counter() - t0
runs = list(result.runs)
print(f"{len(result.trained)} runs trained, {len(result.reused)} found in the store ({sweep_seconds:.0f} s)")

x = torch.linspace(-1, 1, eval_points, dtype=torch.float64)[:, None]
f = (x**3 / (a + x**4))[:, 0].numpy()


def stage_errors(model):
    """max |u_c⁽ⁿ⁾ − f| on [−1, 1] after each stage n (earlier stages are frozen, so the
    partial sums of the final model are the models the stages ended with)."""
    with torch.no_grad():
        parts = [o[:, 0].numpy() for o in model.stage_outputs(x)]
    sums = np.cumsum(parts, axis=0)
    return [float(np.max(np.abs(s - f))) for s in sums], sums[-1]


errors, finals = zip(*(stage_errors(r.model) for r in runs))
errors = np.array(errors)  # (seeds, stages)
factors = errors[:, :-1] / errors[:, 1:]  # how much each later stage lowered the max error
kappas = [r.model.kappas for r in runs]
for s in range(seeds):
    print(f"seed {s}: max error per stage " + " → ".join(f"{e:.2e}" for e in errors[s])
          + " | κ " + ", ".join("—" if k is None else f"{k:g}" for k in kappas[s])
          + " | factors " + ", ".join(f"{q:.3g}×" for q in factors[s]))
seconds = [r.history.final["time"] for r in runs]
print(f"training time per seed: {fmt(seconds)} s")

# %% [markdown]
# ## Stage by stage

# %% tags=["gallery-figure"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), constrained_layout=True)
for s in range(seeds):
    axes[0].semilogy(range(stages), errors[s], "o-", label=f"seed {s}")
axes[0].axhline(np.finfo(float).eps, color="k", ls=":", label="float64 ε")
axes[0].set_xticks(range(stages)); axes[0].set_xlabel("stage"); axes[0].set_ylabel("max |u − f| on [−1, 1]")
axes[0].legend(fontsize=8); axes[0].set_title("error after each stage")
h = runs[0].history
st, e = h.where("loss")
axes[1].semilogy(st, e)
ends = np.cumsum([m["steps"] for m in h.meta["stages"]])
for b in ends[:-1]:
    axes[1].axvline(b, color="grey", ls="--", lw=0.8)
axes[1].set_xlabel("step (Adam then L-BFGS, stage after stage)"); axes[1].set_ylabel("loss of the stage (normalised)")
axes[1].set_title("seed 0: each stage's own loss")
axes[2].semilogy(x[:, 0].numpy(), np.abs(finals[0] - f) + 1e-18)
axes[2].set_xlabel("x"); axes[2].set_ylabel("|u − f| after the last stage"); axes[2].set_title("where the error is (seed 0)");

# %% [markdown]
# ## Is each stage's budget enough?
#
# The L-BFGS cap of each stage is below the authors'. Read off the runs themselves: each
# stage's own loss (the mean square of its normalised residue on the training points) at
# three quarters of its budget and at its end — what a run with the smaller cap would have
# reached, with the earlier stages as they are. A stage whose loss still falls steeply in its
# last quarter would gain from a larger cap. (The loss, not the max error of the test grid:
# that grid reaches the interval's ends ±1.02, just outside the training points, where a
# high-frequency stage's extrapolation sets the maximum.) A stage still falling at its cap
# says the shortfall against the paper may be the budget, not the method.

# %%
def stage_curve(history, k):
    rows = [(r["step"], r["loss"]) for r in history.rows if r.get("stage") == k and "loss" in r]
    return np.array(rows) if rows else np.zeros((0, 2))


last_quarter = np.ones((seeds, stages))
for s, r in enumerate(runs):
    ends = np.cumsum([m["steps"] for m in r.history.meta["stages"]])
    starts = np.concatenate([[0], ends[:-1]])
    for k in range(stages):
        c = stage_curve(r.history, k)
        if len(c) < 2:
            continue
        at = starts[k] + 0.75 * (ends[k] - starts[k])
        before = c[c[:, 0] <= at]
        if len(before):
            last_quarter[s, k] = before[-1, 1] / c[-1, 1]
lines = ["| stage | loss at ¾ of the budget / at the end (median [min, max] over seeds) |", "|---|---|"]
lines += [f"| {k} | {fmt(last_quarter[:, k])} |" for k in range(stages)]
display(Markdown("\n".join(lines)))
falling = [k for k in range(stages) if np.median(last_quarter[:, k]) >= 1.1]
print("settled at the cap (loss fell < 1.1× in the last quarter, median): "
      + (", ".join(f"stage {k}" for k in range(stages) if k not in falling) or "none")
      + "; still falling: " + (", ".join(f"stage {k}" for k in falling) or "none"))

# %% [markdown]
# ## The claim, checked

# %%
wall = time.perf_counter() - WALL0
final = errors[:, -1]
lowest_factor = factors.min(axis=1) if stages > 1 else np.ones(seeds)
claim = Claim(
    paper="Wang & Lai 2024 (JCP 504), regression example",
    claim=f"each of the {stages - 1} later stages lowers the max error on [−1, 1] by ≥ 10× (every seed); "
          f"the value is the max error after the last stage",
    paper_value=None, values=list(final), seeds=seeds, dtype="float64",
    budget=f"{stages} stages of {depth}×{width}, {num_points} points, Adam+L-BFGS {steps_text(stage_steps)}",
    wall_seconds=sweep_seconds,
    verdict=verdict(direction=bool(np.all(factors > 1)), magnitude=bool(np.all(factors >= 10))),
    note="per-stage factors (median over seeds): " + ", ".join(f"stage {k + 1}: {np.median(factors[:, k]):.3g}×"
                                                               for k in range(stages - 1))
         + f"; max error after each stage (median): " + " → ".join(f"{np.median(errors[:, k]):.2e}" for k in range(stages))
         + "; the paper reports errors that nearly reach 1e-16 after four stages; still falling at their cap: "
         + (", ".join(f"stage {k}" for k in falling) or "none"))
print(f"{claim.verdict}: {claim.note}")
display(Markdown(paper_table([
    {"method": f"stage {k}", "paper reports": "~1e-16 after 4 stages" if k == stages - 1 else "—",
     "setting": "Adam+L-BFGS " + steps_text(PAPER_STEPS[k:k + 1]) if k < 4 else "—",
     "pinnkit gets": fmt(errors[:, k]), "our budget": steps_text(stage_steps[k:k + 1])} for k in range(stages)])))
res = record("17_multistage", claims=[claim], max_error={str(k): summary(errors[:, k]) for k in range(stages)},
             factors={str(k + 1): summary(factors[:, k]) for k in range(stages - 1)},
             kappas=[[0.0 if v is None else v for v in ks] for ks in kappas],
             last_quarter_gain={str(k): summary(last_quarter[:, k]) for k in range(stages)},
             train_seconds=summary(seconds), wall_seconds=wall, sweep_seconds=sweep_seconds)

# %%
assert np.all(np.isfinite(errors)) and np.all(errors > 0), errors
assert all(len(r.history.meta["stages"]) == stages for r in runs)  # every stage trained
if not QUICK:
    assert np.all(factors > 1), factors  # a stage that raises the error would be a bug
