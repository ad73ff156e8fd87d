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
# # 11 · MultiAdam: the scale-invariance experiment
#
# **Question.** If one loss term is multiplied by a constant $s$ (a change of units, or a
# badly chosen static weight), how much does the trained PINN change — with Adam, and with
# MultiAdam (Yao et al., ICML 2023, arXiv 2306.02816)?
#
# Poisson 1D: $-u'' = (a\pi)^2\sin(a\pi x)$ on $[0,1]$, $u(0)=u(1)=0$, loss
# $L_r + s\,(L_{\text{left}} + L_{\text{right}})$. Adam normalises the *summed* gradient,
# so $s$ changes the balance. MultiAdam keeps Adam moments per term (group) $g$ of its own
# gradient $G_g$ and steps
#
# $$\theta \leftarrow \theta - \eta\sum_g \omega_g\,\frac{\hat m_g}{\sqrt{\hat v_g}+\epsilon},\qquad \omega_g = 1/G,$$
#
# so $G_g \to sG_g$ leaves every update unchanged (up to $\epsilon$). pinnkit tests that
# exactly (`tests/test_combining.py`); here we measure what it does to the error.

# %% tags=["parameters"]
width: int = 32  # hidden width
depth: int = 3  # hidden layers
steps: int = 1000  # steps per run
interior_points: int = 200  # fixed residual points
frequency: float = 2.0  # a in sin(aπx)
lr: float = 1e-3  # learning rate (Adam and MultiAdam)
seeds: int = 3  # seeds per (method, s) in full mode

# %%
import time
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from pinnkit import zoo, train
from pinnkit.report import Claim, fmt, paper_table, quick_mode, record, summary, verdict

torch.set_num_threads(1)
CPU0, WALL0 = time.process_time(), time.perf_counter()
QUICK = quick_mode()

from pinnkit.balancing import static
from pinnkit.combining import MultiAdam
from pinnkit.models import MLP
from pinnkit.optim import adam, sgd
from pinnkit.sampling import Uniform

SCALES = [1.0, 1e2, 1e4]
if QUICK:
    steps, seeds = 200, 1
problem = zoo.get("poisson1d", a=frequency)
BOUNDARY = [n for n in problem.conditions]
print(problem.equation, BOUNDARY, "| steps", steps, "| quick" if QUICK else "| full")


def run(method, s, seed):
    model = MLP(1, 1, width, depth, seed=seed, low=[0.0], high=[1.0])
    h = train(problem, model, balancer=static({n: s for n in BOUNDARY}), sampler=Uniform(interior_points),
              condition_points=1, optimizer=sgd(lr) if method == "MultiAdam" else adam(lr),
              combine=MultiAdam() if method == "MultiAdam" else None, steps=steps, seed=seed,
              eval_every=max(steps // 10, 1), progress=False)
    return h


# %%
methods = ["Adam", "MultiAdam"]
sweep_started = time.perf_counter()
errors = {m: {s: [] for s in SCALES} for m in methods}
for m in methods:
    for s in SCALES:
        for seed in range(seeds):
            h = run(m, s, seed)
            errors[m][s].append(h.final["metric/rel_l2"])
        print(f"{m:9s} s = {s:7.0e}: rel L2 " + ", ".join(f"{e:.2e}" for e in errors[m][s]))
sweep_seconds = time.perf_counter() - sweep_started
stats = {m: {s: summary(v) for s, v in d.items()} for m, d in errors.items()}
# how far the scale moves the median error: max/min over s
sensitivity = {m: max(st["median"] for st in stats[m].values()) / min(st["median"] for st in stats[m].values())
               for m in methods}
fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
for m in methods:
    ax.errorbar(SCALES, [stats[m][s]["median"] for s in SCALES],
                yerr=[[stats[m][s]["median"] - stats[m][s]["min"] for s in SCALES],
                      [stats[m][s]["max"] - stats[m][s]["median"] for s in SCALES]], marker="o", capsize=3, label=m)
ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("boundary scale s"); ax.set_ylabel("relative L2")
ax.legend()
print("max/min median error over s:", sensitivity)

# %% [markdown]
# ## Side by side at the largest scale: Adam vs MultiAdam, as two run settings
#
# The boundary terms multiplied by the largest $s$ is the `static` balancer with those
# scales, a plain `RunConfig` setting; MultiAdam is `optimizer="multiadam"` (SGD applying the
# learning rate to pinnkit's `MultiAdam` direction). `pinnkit_widgets.Compare` trains both
# sides with the notebook's network, points and step budget and seed 0, so they **repeat
# the seed-0 runs at that $s$ above**; the cell after the view checks that they reproduce
# those numbers. The upper plots show both predictions with the reference and both
# |error| curves, the lower ones the loss per term (Adam solid, MultiAdam dashed) and the
# weights, flat at $s$ on the boundary terms for both sides. With a browser both train in
# threads; headless the cell trains to the end. The scale (the static balancer's weights
# stay in the side panels' configuration) or the optimizer can be changed and trained again.
#
# **Invariant is not the same as better.** Measured at $s = 10^4$ (seed 0, final relative
# $L^2$): with the quick budget MultiAdam ends lower (0.754 vs Adam's 0.877); with the full
# budget Adam does (0.069 vs 0.103). MultiAdam's error is the same at every $s$ (full: median
# 0.103 for all three), while Adam's moves by about 90× with $s$ (full: 9.4e-4 at $s = 100$,
# 8.9e-2 at $s = 10^4$) yet stays below MultiAdam's at every $s$ with this budget.

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

S = SCALES[-1]
base = RunConfig(problem="poisson1d", parameters={"a": frequency}, width=width, depth=depth, sampler="uniform",
                 num_points=interior_points, condition_points=1, balancer="static",
                 balancer_options={"scales": {n: S for n in BOUNDARY}}, steps=steps, lr=lr, seed=0,
                 eval_every=max(steps // 10, 1))
cmp = Compare(base, a={}, b={"optimizer": "multiadam"}, labels=("Adam", "MultiAdam"))
TERMS = ["residual"] + BOUNDARY

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
pn.Column(cmp.panel, pn.pane.HoloViews(cmp.weights_view(TERMS, f"weights (s = {S:g} on the boundary terms)"),
                                       linked_axes=False))

# %%
cmp.wait()  # the numbers below need both finished runs
compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h = r.history
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "losses": {n: h.last(f"loss/{n}") for n in TERMS},
                    "weights": {n: h.last(f"weight/{n}") for n in TERMS}, "optimizer": r.config.optimizer}
display(Markdown(paper_table(
    [{"run": f"{lab} (optimizer={c['optimizer']}, s = {S:g})", "rel L2": c["rel_l2"],
      **{f"loss {n}": c["losses"][n] for n in TERMS}} for lab, c in compare.items()],
    columns=("run", "rel L2", *[f"loss {n}" for n in TERMS]))))
better = min(compare, key=lambda k: compare[k]["rel_l2"])
print(f"lower final rel L2 at s = {S:g} (seed 0): {better} "
      f"({compare[better]['rel_l2']:.3e} vs {max(c['rel_l2'] for c in compare.values()):.3e})")
assert all(c["status"] == "completed" and c["steps"] == steps for c in compare.values()), compare
# both sides trained with the boundary terms multiplied by s (the configured static balancer)
assert all(c["weights"][n] == S for c in compare.values() for n in BOUNDARY), compare
# the compare repeats the seed-0 runs at s above: the settings reach train() unchanged
for m in methods:
    assert abs(compare[m]["rel_l2"] - errors[m][S][0]) <= 1e-5 * errors[m][S][0], (m, compare[m], errors[m][S])

# %%
budget = f"{steps} steps, {width}×{depth}, {interior_points} points, lr {lr:g}, {seeds} seed(s)"
rows = [{"method": f"{m}, s = {s:g}", "paper reports": "invariant to s" if m == "MultiAdam" else "—",
         "setting": "Yao et al. 2023 (claim: scale invariance; 1–2 orders over baselines, abstract)",
         "pinnkit gets": fmt(stats[m][s]), "our budget": budget} for m in methods for s in SCALES]
display(Markdown(paper_table(rows)))
# the paper's claim, checked seed by seed on the sweep above: how far the scale s moves the final error
moved = {m: [max(errors[m][s][i] for s in SCALES) / min(errors[m][s][i] for s in SCALES) for i in range(seeds)]
         for m in methods}
adam_lower = [s for s in SCALES if stats["Adam"][s]["median"] < stats["MultiAdam"][s]["median"]]
invariance = Claim(
    paper="Yao et al. 2023 (ICML), MultiAdam",
    claim=f"MultiAdam is invariant to a constant scale s of the boundary terms: over s = "
          f"{', '.join(f'{s:g}' for s in SCALES)} its final rel. L2 moves by less than 1.5× (max/min, each seed), "
          f"and by less than Adam's",
    paper_value=None, values=moved["MultiAdam"], seeds=seeds, budget=budget, wall_seconds=sweep_seconds,
    dtype="float32",
    verdict=verdict(direction=bool(np.median(moved["MultiAdam"]) < np.median(moved["Adam"])),
                    magnitude=bool(max(moved["MultiAdam"]) < 1.5)),
    note=f"The paper proves the invariance (up to ε) and gives no ratio. Adam's error moves by "
         f"{np.median(moved['Adam']):.1f}× (median over seeds). Invariant is not better: Adam's median error is "
         f"below MultiAdam's at {len(adam_lower)} of {len(SCALES)} scales with this budget.")
print(f"claim {invariance.verdict}: over s, MultiAdam's error moves {invariance.median:.3g}×, "
      f"Adam's {np.median(moved['Adam']):.3g}× (medians over seeds)")
res = record("11_multiadam", cpu_seconds=time.process_time() - CPU0, wall_seconds=time.perf_counter() - WALL0,
             steps=steps, seeds=seeds, errors={m: {str(s): v for s, v in d.items()} for m, d in stats.items()},
             sensitivity=sensitivity, compare=compare, claims=[invariance])
# MultiAdam: the scale of a term barely moves the result (ε and the noise floor are the only sources)
assert sensitivity["MultiAdam"] < 1.5, sensitivity
assert all(np.isfinite(v) for d in stats.values() for st in d.values() for v in st["runs"])
