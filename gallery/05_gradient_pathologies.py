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
# # 05 · Gradient pathologies and learning-rate annealing
#
# **Question.** Why does a plain PINN fit the 2D Helmholtz equation badly when the solution
# oscillates, and does *learning-rate annealing* (Wang, Teng & Perdikaris, SISC 2021,
# arXiv 2001.04536) fix it?
#
# $$\Delta u + k^2 u = q \ \text{ on } [-1,1]^2,\qquad u = \sin(a_1\pi x)\sin(a_2\pi y),\quad a_1 = 1,\ a_2 = 4,\ k = 1,$$
#
# with Dirichlet data on the four edges. The loss is $L = L_r + \sum_i \lambda_i L_i$ ($L_r$ the
# mean squared PDE residual, $L_i$ the edge terms). The paper's diagnosis: the entries of
# $\nabla_\theta L_r$ are spread far wider than those of $\nabla_\theta L_i$ (the source
# $q$ has amplitude $\approx 17\pi^2$), so gradient descent fits the PDE and neglects the
# boundary. Its fix, every few steps (Alg. 1):
#
# $$\hat\lambda_i = \frac{\max_\theta |\nabla_\theta L_r|}{\operatorname{mean}_\theta |\nabla_\theta L_i|},\qquad
# \lambda_i \leftarrow (1-\alpha)\lambda_i + \alpha \hat\lambda_i,\quad \alpha = 0.9 .$$
#
# M4 adds the *modified MLP* (two input encoders $U, V$ gating every hidden layer,
# $H^{k+1} = (1-Z^k)\odot U + Z^k\odot V$). The authors' code applies a different update
# ($\lambda \leftarrow 0.9\lambda + 0.1\hat\lambda$ every 10 steps, weighted denominator);
# pinnkit offers both (`lra()` and `lra(rule="code")`); this notebook runs both: **M2** the
# paper's rule (updated every `lra_every` steps to save time) and **M2-code** the script's.
# M4 uses the paper's rule.

# %% tags=["parameters"]
width: int = 50  # hidden width (paper: 50)
depth: int = 3  # hidden layers (paper repo default [2,50,50,50,1])
steps: int = 1000  # Adam steps per run (paper: 40 000)
interior_points: int = 400  # fixed residual points (paper: 128 fresh points per step)
edge_points: int = 64  # fixed points per edge (paper: 128 fresh per step)
seeds: int = 3  # seeds per method in full mode
lra_every: int = 10  # steps between weight updates
run_m4: bool = True  # also LRA + modified MLP (M4)
compare_steps: int = 1000  # Adam steps per side in the live compare

# %%
import time
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from pinnkit import zoo, train
from pinnkit.report import fmt, paper_table, quick_mode, record, summary

torch.set_num_threads(1)
CPU0, WALL0 = time.process_time(), time.perf_counter()
QUICK = quick_mode()

from pinnkit.balancing import lra
from pinnkit.models import MLP, ModifiedMLP
from pinnkit.optim import adam
from pinnkit.sampling import Uniform
from pinnkit.losses import loss_terms
from pinnkit.diagnostics import term_gradients, gradient_histograms, plot_gradient_histograms

if QUICK:
    steps, interior_points, edge_points, seeds, run_m4, compare_steps = 120, 150, 32, 1, False, 120
problem = zoo.get("helmholtz", a1=1.0, a2=4.0)
EDGES = ["left", "right", "bottom", "top"]
print(problem.equation, "| steps", steps, "| seeds", seeds, "| quick" if QUICK else "| full")


def make(arch, seed):
    cls = ModifiedMLP if arch == "modified" else MLP
    return cls(2, 1, width, depth, seed=seed, low=[-1, -1], high=[1, 1])


def run(method, seed):
    model = make("modified" if method == "M4" else "mlp", seed)
    bal = {"M1": None, "M2": lra(every=lra_every), "M2-code": lra(rule="code"), "M4": lra(every=lra_every)}[method]
    h = train(problem, model, balancer=bal, sampler=Uniform(interior_points), condition_points=edge_points,
              optimizer=adam(1e-3, decay_rate=0.9, decay_steps=1000), steps=steps, seed=seed,
              eval_every=max(steps // 10, 1), progress=False)
    return h, model


# %% [markdown]
# ## The pathology: per-term gradient histograms
#
# Gradients of each term with respect to all weights, at initialisation and after plain
# training (paper Fig. 2). A residual histogram far wider than the boundary ones is the
# imbalance.

# %%
def grads_of(model, seed=0):
    rng = np.random.default_rng(seed)
    pts = {"residual": torch.as_tensor(Uniform(interior_points).sample(problem.domain, rng), dtype=torch.float32)}
    for n in EDGES:
        pts[n] = torch.as_tensor(problem.conditions[n].sample(edge_points, rng), dtype=torch.float32)
    terms = loss_terms(problem, model, pts, problem.values)
    g = term_gradients(terms, list(model.parameters()))
    return {"residual": g["residual"], "boundary (4 edges)": sum(g[n] for n in EDGES)}


g_init = grads_of(make("mlp", 0))
h_plain0, m_plain0 = run("M1", 0)
g_trained = grads_of(m_plain0)
spread = {k: {n: float(v.std()) for n, v in g.items()} for k, g in (("init", g_init), ("trained", g_trained))}
ratio = {k: s["residual"] / s["boundary (4 edges)"] for k, s in spread.items()}
print("std of gradient entries:", spread)
print("residual/boundary spread ratio:", ratio)
fig_a = plot_gradient_histograms(gradient_histograms(g_init, bins=80), title="at initialisation")
fig_b = plot_gradient_histograms(gradient_histograms(g_trained, bins=80), title=f"after {steps} plain Adam steps")

# %% [markdown]
# ## Watch it: plain vs LRA, side by side
#
# `Compare` trains a plain PINN (balancer `none`) and LRA (balancer `lra`, paper rule) on the
# same problem, points, seed and budget, and draws them live. What to look at:
#
# * **loss per term** (plain solid, LRA dashed): the plain run drives the residual down while
#   its four edge losses stay high, even rise; LRA's edge losses fall by orders of magnitude;
# * **edge weights** $\lambda_i$: flat at 1 for the plain run, climbing into the thousands for
#   LRA, which is how it holds the edges;
# * the **table**: final relative $L^2$ and loss of both runs. At this budget neither reaches
#   the paper's error (it trains 40 000 steps): LRA pins the edges while its residual has
#   barely moved.

# %% tags=["nbval-ignore-output"]
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

base = RunConfig(problem="helmholtz", parameters={"a1": 1.0, "a2": 4.0}, width=width, depth=depth,
                 sampler="uniform", num_points=interior_points, condition_points=edge_points,
                 steps=compare_steps, lr=1e-3, eval_every=max(compare_steps // 20, 1))
cmp = Compare(base, a={"balancer": "none"}, b={"balancer": "lra", "balancer_options": {"every": lra_every}},
              labels=("plain", "LRA"))

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
pn.Column(cmp.panel, pn.pane.HoloViews(cmp.weights_view(EDGES, "edge weights λ_i (plain solid, LRA dashed)"),
                                       linked_axes=False))

# %%
cmp.wait()  # the numbers below need both finished runs
compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h = r.history
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "residual_loss": h.last("loss/residual"), "edge_loss": sum(h.last(f"loss/{n}") for n in EDGES),
                    "edge_weights": {n: h.last(f"weight/{n}") for n in EDGES}}
display(Markdown(paper_table(
    [{"run": lab, "rel L2": c["rel_l2"], "residual loss": c["residual_loss"], "edge loss (sum)": c["edge_loss"],
      "largest λ_i": max(c["edge_weights"].values())} for lab, c in compare.items()],
    columns=("run", "rel L2", "residual loss", "edge loss (sum)", "largest λ_i"))))
assert all(c["status"] == "completed" and c["steps"] == compare_steps for c in compare.values()), compare
# plain keeps every weight at 1; LRA raises every edge weight (measured: thousands, quick and full)
assert all(w == 1 for w in compare["plain"]["edge_weights"].values()), compare["plain"]
assert all(w > 1 for w in compare["LRA"]["edge_weights"].values()), compare["LRA"]
# the plain run neglects the edges: its edge loss ends far above LRA's
# (measured ratio 2.6e6 with the quick budget, 4.9e3 with the full one)
assert compare["plain"]["edge_loss"] > 100 * compare["LRA"]["edge_loss"], compare

# %% [markdown]
# ## Plain PINN (M1) vs learning-rate annealing (M2) vs M4, same budget

# %%
methods = ["M1", "M2", "M2-code"] + (["M4"] if run_m4 else [])
errors, histories = {m: [] for m in methods}, {}
for m in methods:
    for s in range(seeds):
        if m == "M1" and s == 0:
            h = h_plain0  # already trained above with seed 0
        else:
            h, _ = run(m, s)
        errors[m].append(h.final["metric/rel_l2"])
        histories.setdefault(m, h)
        print(f"{m} seed {s}: rel L2 = {errors[m][-1]:.3e}  ({h.final['time']:.0f} s)")
stats = {m: summary(v) for m, v in errors.items()}
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for m in methods:
    s, v = histories[m].where("metric/rel_l2")
    ax[0].semilogy(s, v, label=m)
for m in ("M2", "M2-code"):
    for n in EDGES:
        s, v = histories[m].where(f"weight/{n}")
        ax[1].semilogy(s, v, label=f"{m} {n}", ls="-" if m == "M2" else "--")
ax[0].set_title("relative L2 (seed 0)"); ax[0].legend(); ax[0].set_xlabel("step")
ax[1].set_title("LRA weights λ_i (seed 0)"); ax[1].legend(fontsize=7); ax[1].set_xlabel("step")
final_weights = {n: histories["M2"].last(f"weight/{n}") for n in EDGES}
final_weights_code = {n: histories["M2-code"].last(f"weight/{n}") for n in EDGES}
print("final λ, paper rule:", {n: f"{w:.3g}" for n, w in final_weights.items()})
print("final λ, code rule: ", {n: f"{w:.3g}" for n, w in final_weights_code.items()})
print({m: fmt(s) for m, s in stats.items()})

# %%
budget = f"{steps} Adam steps, {interior_points}+4×{edge_points} fixed points, {seeds} seed(s), {width}×{depth}"
rows = [
    {"method": "plain PINN (M1)", "paper reports": 1.57e-1, "setting": "Fig. 1, 40k steps; Table 2 (50/3): 1.06e-1",
     "pinnkit gets": fmt(stats["M1"]), "our budget": budget},
    {"method": "LRA (M2)", "paper reports": 1.27e-2, "setting": "Fig. 6; Table 2 (50/3): 1.12e-2",
     "pinnkit gets": fmt(stats["M2"]), "our budget": budget},
    {"method": "LRA, authors' code rule", "paper reports": None, "setting": "0.9 old + 0.1 new every 10 steps, weighted denominator",
     "pinnkit gets": fmt(stats["M2-code"]), "our budget": budget},
]
if run_m4:
    rows.append({"method": "LRA + modified MLP (M4)", "paper reports": 3.69e-3, "setting": "Fig. 10; Table 2 (50/3): 3.87e-3",
                 "pinnkit gets": fmt(stats["M4"]), "our budget": budget})
display(Markdown(paper_table(rows)))
res = record("05_gradient_pathologies", cpu_seconds=time.process_time() - CPU0, wall_seconds=time.perf_counter() - WALL0,
             steps=steps, seeds=seeds, errors=stats, spread_ratio=ratio, final_weights=final_weights,
             final_weights_code=final_weights_code, compare=compare)
# the pathology is there: residual gradients spread wider than boundary ones at initialisation
# (std ratio measured 12.6 with the quick point counts, 2.3 with the full ones)
assert ratio["init"] > 1, ratio
# LRA reacts in the documented direction: it up-weights every (small-gradient) edge term
assert all(w > 5 for w in final_weights.values()), final_weights
assert all(w > 1 for w in final_weights_code.values()), final_weights_code
# the code rule's weighted denominator settles near sqrt(max/mean): far smaller weights
assert max(final_weights_code.values()) < min(final_weights.values()), (final_weights, final_weights_code)
assert all(np.isfinite(v) for s in stats.values() for v in s["runs"])
