"""Write gallery notebooks 05–08 (gradient pathologies, NTK weighting, gradient conflict,
MultiAdam). Run: ``.venv/bin/python scripts/build_gallery_05_08.py`` (no outputs)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nbbuild import code, md, write  # noqa: E402

GALLERY = Path(__file__).resolve().parent.parent / "gallery"

COMMON = '''
import time
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from pinnkit import zoo, train
from pinnkit.report import quick_mode, record, paper_table

torch.set_num_threads(1)
CPU0, WALL0 = time.process_time(), time.perf_counter()
QUICK = quick_mode()


def summary(values):
    """median and spread (min, max) of a list of errors"""
    v = np.asarray(values, float)
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max()), "runs": [float(x) for x in v]}


def fmt(s):
    return f"{s['median']:.2e} [{s['min']:.1e}, {s['max']:.1e}]"
'''

# ----------------------------------------------------------------------------- 05
nb05 = [
    md(r'''
# 05 · Gradient pathologies and learning-rate annealing

**Question.** Why does a plain PINN fit the 2D Helmholtz equation badly when the solution
oscillates, and does *learning-rate annealing* (Wang, Teng & Perdikaris, SISC 2021,
arXiv 2001.04536) fix it?

$$\Delta u + k^2 u = q \ \text{ on } [-1,1]^2,\qquad u = \sin(a_1\pi x)\sin(a_2\pi y),\quad a_1 = 1,\ a_2 = 4,\ k = 1,$$

with Dirichlet data on the four edges. The loss is $L = L_r + \sum_i \lambda_i L_i$ ($L_r$ the
mean squared PDE residual, $L_i$ the edge terms). The paper's diagnosis: the entries of
$\nabla_\theta L_r$ are spread far wider than those of $\nabla_\theta L_i$ (the source
$q$ has amplitude $\approx 17\pi^2$), so gradient descent fits the PDE and neglects the
boundary. Its fix, every few steps (Alg. 1):

$$\hat\lambda_i = \frac{\max_\theta |\nabla_\theta L_r|}{\operatorname{mean}_\theta |\nabla_\theta L_i|},\qquad
\lambda_i \leftarrow (1-\alpha)\lambda_i + \alpha \hat\lambda_i,\quad \alpha = 0.9 .$$

M4 adds the *modified MLP* (two input encoders $U, V$ gating every hidden layer,
$H^{k+1} = (1-Z^k)\odot U + Z^k\odot V$). The authors' code applies a different update
($\lambda \leftarrow 0.9\lambda + 0.1\hat\lambda$ every 10 steps, weighted denominator);
pinnkit offers both (`lra()` and `lra(rule="code")`); this notebook runs both: **M2** the
paper's rule (updated every `lra_every` steps to save time) and **M2-code** the script's.
M4 uses the paper's rule.
'''),
    code('''
width: int = 50  # hidden width (paper: 50)
depth: int = 3  # hidden layers (paper repo default [2,50,50,50,1])
steps: int = 1000  # Adam steps per run (paper: 40 000)
interior_points: int = 400  # fixed residual points (paper: 128 fresh points per step)
edge_points: int = 64  # fixed points per edge (paper: 128 fresh per step)
seeds: int = 3  # seeds per method in full mode
lra_every: int = 10  # steps between weight updates
run_m4: bool = True  # also LRA + modified MLP (M4)
compare_steps: int = 1000  # Adam steps per side in the live compare
''', tags=("parameters",)),
    code(COMMON + '''
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
'''),
    md('''
## The pathology: per-term gradient histograms

Gradients of each term with respect to all weights, at initialisation and after plain
training (paper Fig. 2). A residual histogram far wider than the boundary ones is the
imbalance.
'''),
    code('''
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
'''),
    md(r'''
## Watch it: plain vs LRA, side by side

`Compare` trains a plain PINN (balancer `none`) and LRA (balancer `lra`, paper rule) on the
same problem, points, seed and budget, and draws them live. What to look at:

* **loss per term** (plain solid, LRA dashed): the plain run drives the residual down while
  its four edge losses stay high, even rise; LRA's edge losses fall by orders of magnitude;
* **edge weights** $\lambda_i$: flat at 1 for the plain run, climbing into the thousands for
  LRA, which is how it holds the edges;
* the **table**: final relative $L^2$ and loss of both runs. At this budget neither reaches
  the paper's error (it trains 40 000 steps): LRA pins the edges while its residual has
  barely moved.
'''),
    code('''
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
''', tags=("nbval-ignore-output",)),
    code('''
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
'''),
    md('''
## Plain PINN (M1) vs learning-rate annealing (M2) vs M4, same budget
'''),
    code('''
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
'''),
    code('''
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
'''),
]

# ----------------------------------------------------------------------------- 06
nb06 = [
    md(r'''
# 06 · NTK spectra and NTK weighting

**Question.** Why does a PINN learn the wave equation's boundary/initial data and its
PDE residual at very different speeds, and does weighting the terms by their neural
tangent kernels (Wang, Yu & Perdikaris, JCP 2022, arXiv 2007.14527) help?

$$u_{tt} = 4u_{xx},\ (x,t)\in[0,1]^2,\quad u(0,t)=u(1,t)=0,\quad u(x,0) = \sin\pi x + \tfrac12\sin 4\pi x,\quad u_t(x,0)=0,$$
exact $u = \sin\pi x\cos 2\pi t + \tfrac12\sin 4\pi x\cos 8\pi t$.

For term $j$ with per-point residuals $r_j$ and Jacobian $J_j = \partial r_j/\partial\theta$,
gradient flow moves $r_j$ with the kernel $K_j = J_jJ_j^\top$. The paper shows the
residual kernel's eigenvalues dwarf the boundary ones, so the boundary/initial data are
fitted slowly; NTK weighting sets

$$\lambda_j = \frac{\operatorname{tr} K}{\operatorname{tr} K_j},\qquad \operatorname{tr}K=\sum_j \operatorname{tr}K_j,\qquad \operatorname{tr}K_j = \sum_i \|\partial r_{j,i}/\partial\theta\|^2,$$

recomputed every 100 steps (`pinnkit.balancing.ntk`; no kernel matrix is formed).
'''),
    code('''
width: int = 100  # hidden width (paper: 500)
depth: int = 3  # hidden layers (paper: 3)
steps: int = 1000  # Adam steps per run (paper: 80 001)
interior_points: int = 300  # fixed residual points (paper: batch 300, resampled)
condition_points: int = 100  # fixed points per condition (paper: 100 IC, 100+100 BC)
ntk_every: int = 100  # steps between NTK weight updates (paper: 100)
seeds: int = 3  # seeds per method in full mode
spectrum_points: int = 80  # points per term for the eigenvalue plots
compare_steps: int = 1000  # Adam steps per side in the live compare
''', tags=("parameters",)),
    code(COMMON + '''
from pinnkit.balancing import ntk
from pinnkit.models import MLP
from pinnkit.optim import adam
from pinnkit.sampling import Uniform
from pinnkit.diagnostics.spectra import ntk_spectra, ntk_trace_weights, plot_ntk_spectra

if QUICK:
    steps, interior_points, condition_points, seeds, ntk_every, spectrum_points = 100, 120, 40, 1, 50, 40
    compare_steps = 100
problem = zoo.get("wave", c=2.0)
print(problem.equation, list(problem.conditions), "| steps", steps, "| quick" if QUICK else "| full")


def make(seed):
    return MLP(2, 1, width, depth, seed=seed, low=[0, 0], high=[1, 1])


def spectrum_points_for(seed=0):
    rng = np.random.default_rng(1000 + seed)
    pts = {"residual": Uniform(spectrum_points).sample(problem.domain, rng)}
    pts.update({n: c.sample(spectrum_points, rng) for n, c in problem.conditions.items()})
    return pts


def run(method, seed):
    model = make(seed)
    h = train(problem, model, balancer=ntk(every=ntk_every) if method == "NTK" else None,
              sampler=Uniform(interior_points), condition_points=condition_points,
              optimizer=adam(1e-3, decay_rate=0.9, decay_steps=1000), steps=steps, seed=seed,
              eval_every=max(steps // 10, 1), progress=False)
    return h, model
'''),
    md('''
## Eigenvalues of each term's kernel, at initialisation and after plain training
'''),
    code('''
pts = spectrum_points_for()
spec_init = ntk_spectra(problem, make(0), pts)
h_plain0, m_plain0 = run("plain", 0)
spec_trained = ntk_spectra(problem, m_plain0, pts)
fig = plot_ntk_spectra({"initialisation": spec_init, f"after {steps} plain steps": spec_trained})
traces = {k: {n: float(ev.sum()) for n, ev in s.items()} for k, s in (("init", spec_init), ("trained", spec_trained))}
weights_init = ntk_trace_weights(spec_init)
trace_ratio = traces["init"]["residual"] / max(v for n, v in traces["init"].items() if n != "residual")
print("tr K_j at init:", {n: f"{v:.2e}" for n, v in traces["init"].items()})
print("NTK weights at init:", {n: f"{v:.3g}" for n, v in weights_init.items()})
'''),
    md(r'''
## Watch it: plain vs NTK weights, side by side

`Compare` trains a plain PINN (balancer `none`) and NTK weighting (balancer `ntk`) on the
same problem, points, seed and budget, and draws them live. What to look at:

* **loss per term** (plain solid, NTK dashed): the plain run drives the residual down
  fastest and leaves the initial displacement behind; NTK weighting trades one for the
  other: its residual ends higher, its initial-displacement loss lower;
* **weights** $\lambda_j$: flat at 1 for the plain run; NTK gives the residual, whose kernel
  has the largest trace, the smallest weight and the initial and boundary terms far more;
* the **table** and the **fields**: final relative $L^2$ and error field of both runs
  (measured with the full budget: 0.66 plain, 0.52 NTK; the quick budget is too short for either).
'''),
    code('''
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

base = RunConfig(problem="wave", parameters={"c": 2.0}, width=width, depth=depth, sampler="uniform",
                 num_points=interior_points, condition_points=condition_points, steps=compare_steps, lr=1e-3,
                 eval_every=max(compare_steps // 20, 1))
cmp = Compare(base, a={"balancer": "none"}, b={"balancer": "ntk", "balancer_options": {"every": ntk_every}},
              labels=("plain", "NTK"))
TERMS = ["residual"] + list(problem.conditions)

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
pn.Column(cmp.panel, pn.pane.HoloViews(cmp.weights_view(TERMS, "weights λ_j (plain solid, NTK dashed)", height=340),
                                       linked_axes=False))
''', tags=("nbval-ignore-output",)),
    code('''
cmp.wait()  # the numbers below need both finished runs
compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h = r.history
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "losses": {n: h.last(f"loss/{n}") for n in TERMS}, "weights": {n: h.last(f"weight/{n}") for n in TERMS}}
display(Markdown(paper_table(
    [{"run": lab, "rel L2": c["rel_l2"], **{f"loss {n}": c["losses"][n] for n in TERMS},
      "λ residual": c["weights"]["residual"], "smallest other λ": min(c["weights"][n] for n in TERMS[1:])}
     for lab, c in compare.items()],
    columns=("run", "rel L2", *[f"loss {n}" for n in TERMS], "λ residual", "smallest other λ"))))
assert all(c["status"] == "completed" and c["steps"] == compare_steps for c in compare.values()), compare
# plain keeps every weight at 1; NTK gives the residual the smallest weight
assert all(w == 1 for w in compare["plain"]["weights"].values()), compare["plain"]
assert min(compare["NTK"]["weights"], key=compare["NTK"]["weights"].get) == "residual", compare["NTK"]
# NTK trades residual for data: the initial displacement ends lower than the plain run's, the residual higher
# (measured, plain vs NTK: initial 0.21 vs 0.19 and residual 0.0052 vs 0.051 with the quick budget;
# initial 0.11 vs 0.010 and residual 0.0030 vs 17 with the full one)
assert compare["NTK"]["losses"]["initial"] < compare["plain"]["losses"]["initial"], compare
assert compare["NTK"]["losses"]["residual"] > compare["plain"]["losses"]["residual"], compare
'''),
    md('''
## Plain PINN vs NTK-weighted PINN, same budget
'''),
    code('''
methods = ["plain", "NTK"]
errors, histories = {m: [] for m in methods}, {}
for m in methods:
    for s in range(seeds):
        h = h_plain0 if (m == "plain" and s == 0) else run(m, s)[0]
        errors[m].append(h.final["metric/rel_l2"])
        histories.setdefault(m, h)
        print(f"{m} seed {s}: rel L2 = {errors[m][-1]:.3e}  ({h.final['time']:.0f} s)")
stats = {m: summary(v) for m, v in errors.items()}
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for m in methods:
    s, v = histories[m].where("metric/rel_l2")
    ax[0].semilogy(s, v, label=m)
for n in ["residual"] + list(problem.conditions):
    s, v = histories["NTK"].where(f"weight/{n}")
    ax[1].semilogy(s, v, label=n)
ax[0].legend(); ax[0].set_title("relative L2 (seed 0)"); ax[1].legend(fontsize=7); ax[1].set_title("NTK weights (seed 0)")
ntk_final_weights = {n: histories["NTK"].last(f"weight/{n}") for n in ["residual"] + list(problem.conditions)}
print({m: fmt(s) for m, s in stats.items()})
'''),
    code('''
budget = f"{steps} Adam steps, {width}×{depth}, {interior_points} + {condition_points}/condition fixed points, {seeds} seed(s)"
rows = [
    {"method": "plain PINN", "paper reports": 4.518e-1, "setting": "3×500, 80k steps (Fig. 6 caption)",
     "pinnkit gets": fmt(stats["plain"]), "our budget": budget},
    {"method": "NTK weights", "paper reports": 3.858e-3, "setting": "3×500, 80k steps (authors' stored output)",
     "pinnkit gets": fmt(stats["NTK"]), "our budget": budget},
]
display(Markdown(paper_table(rows)))
res = record("06_ntk_weighting", cpu_seconds=time.process_time() - CPU0, wall_seconds=time.perf_counter() - WALL0,
             steps=steps, seeds=seeds, errors=stats, traces=traces, weights_init=weights_init,
             ntk_final_weights=ntk_final_weights, trace_ratio=trace_ratio, compare=compare)
# the disparity the paper describes: the residual kernel has the largest trace
# (measured at init, full-size spectra: about 2.6× the next one at 3×100 here; the paper's is larger)
assert trace_ratio > 1.5, traces
# NTK weights follow from it: the residual gets the smallest weight
assert min(ntk_final_weights, key=ntk_final_weights.get) == "residual", ntk_final_weights
assert all(np.isfinite(v) for s in stats.values() for v in s["runs"])
'''),
]

# ----------------------------------------------------------------------------- 07
nb07 = [
    md(r'''
# 07 · Gradient conflict: cosine monitor, ConFIG and momentum ConFIG

**Question.** Do the gradients of a PINN's loss terms point against each other during
training, and does a conflict-free update (ConFIG; Liu, Chu & Thuerey, ICLR 2025,
arXiv 2408.11104) train faster than Adam on the summed loss?

Burgers: $u_t + uu_x - \nu u_{xx} = 0$ on $[-1,1]\times[0,1]$, $\nu = 0.01/\pi$,
$u(x,0) = -\sin\pi x$, $u(\pm1,t)=0$. With per-term gradients $g_i$ a *conflict* is
$\cos(g_i,g_j) < 0$. ConFIG replaces $\sum_i g_i$ by

$$g_u = \mathcal U\big([\mathcal U(g_1),\dots,\mathcal U(g_m)]^{+\top}\mathbf 1_m\big),\qquad g = \Big(\sum_i g_i^\top g_u\Big) g_u,$$

($\mathcal U(v) = v/\|v\|$), which has the same positive cosine with every $g_i$.
Momentum ConFIG back-propagates one term per step (cycling), keeps a first moment per
term, applies ConFIG to the moments and normalises by a second moment; it is used with
SGD. pinnkit's implementations (`pinnkit.combining`) are tested against the authors'
`conflictfree` package.
'''),
    code('''
width: int = 50  # hidden width (paper example: 50)
depth: int = 4  # hidden layers (paper example: 4)
steps: int = 600  # optimiser steps per run (paper example: 5000)
interior_points: int = 500  # fixed residual points (paper example: 2000, redrawn)
condition_points: int = 50  # points per condition (paper example: 50 IC, 50 BC)
lr: float = 1e-3  # Adam lr for Adam and ConFIG (paper example: 1e-4); M-ConFIG SGD uses 5×lr as in the paper
seeds: int = 3  # seeds per method in full mode
monitor_every: int = 50  # steps between gradient-cosine measurements
''', tags=("parameters",)),
    code(COMMON + '''
from pinnkit.combining import ConFIG, MomentumConFIG
from pinnkit.models import MLP
from pinnkit.optim import adam, sgd
from pinnkit.sampling import Uniform
from pinnkit.losses import loss_terms
from pinnkit.training import Callback
from pinnkit.diagnostics import term_gradients, gradient_cosines, fields

if QUICK:
    steps, interior_points, condition_points, seeds, monitor_every = 150, 300, 30, 1, 25
problem = zoo.get("burgers")
print(problem.equation, "| steps", steps, "| quick" if QUICK else "| full")


class CosineMonitor(Callback):
    """Every `every` steps: cosines between the per-term gradients at the current points."""

    def __init__(self, every):
        self.every, self.steps, self.cos = every, [], []

    def on_step_end(self, state):
        if state.step % self.every:
            return
        terms = loss_terms(state.problem, state.model, state.points, state.params)
        g = term_gradients(terms, [p for p in state.model.parameters() if p.requires_grad])
        self.steps.append(state.step)
        self.cos.append(gradient_cosines(g))


def test_mse(model):
    f = fields(problem, model)
    return float(np.mean((f.pred - f.ref) ** 2))


def run(method, seed):
    model = MLP(2, 1, width, depth, seed=seed, low=[-1, 0], high=[1, 1])
    mon = CosineMonitor(monitor_every)
    combine = {"Adam": None, "ConFIG": ConFIG(), "M-ConFIG": MomentumConFIG()}[method]
    opt = sgd(5 * lr) if method == "M-ConFIG" else adam(lr)
    h = train(problem, model, combine=combine, optimizer=opt, sampler=Uniform(interior_points),
              condition_points=condition_points, steps=steps, seed=seed, callbacks=[mon],
              eval_every=max(steps // 10, 1), progress=False)
    return h, model, mon
'''),
    code('''
methods = ["Adam", "ConFIG", "M-ConFIG"]
errors, mses, histories, monitors = {m: [] for m in methods}, {m: [] for m in methods}, {}, {}
for m in methods:
    for s in range(seeds):
        h, model, mon = run(m, s)
        errors[m].append(h.final["metric/rel_l2"])
        mses[m].append(test_mse(model))
        histories.setdefault(m, h)
        monitors.setdefault(m, mon)
        print(f"{m} seed {s}: rel L2 = {errors[m][-1]:.3e}, test MSE = {mses[m][-1]:.2e}  ({h.final['time']:.0f} s)")
stats = {m: summary(v) for m, v in errors.items()}
mse_stats = {m: summary(v) for m, v in mses.items()}
'''),
    md('''
## The cosine monitor: do the term gradients conflict?
'''),
    code('''
fig, ax = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
mon = monitors["Adam"]
pairs = list(mon.cos[0])
for pair in pairs:
    ax[0].plot(mon.steps, [c[pair] for c in mon.cos], label=f"{pair[0]} · {pair[1]}", lw=1)
ax[0].axhline(0, color="k", lw=0.5); ax[0].set_title("cos(g_i, g_j) during Adam training (seed 0)")
ax[0].set_xlabel("step"); ax[0].legend(fontsize=6)
for m in methods:
    s, v = histories[m].where("metric/rel_l2")
    ax[1].semilogy(s, v, label=m)
ax[1].legend(); ax[1].set_title("relative L2 (seed 0)"); ax[1].set_xlabel("step")
conflict_fraction = float(np.mean([c[p] < 0 for c in mon.cos for p in pairs]))
res_ic = [c[("residual", "initial")] for c in mon.cos]
print(f"fraction of (pair, step) cosines < 0 under Adam: {conflict_fraction:.2f}; residual·initial min {min(res_ic):.2f}")
print({m: fmt(s) for m, s in stats.items()})
'''),
    md('''
## Side by side: Adam vs momentum ConFIG, as two run settings

The same two trainings as plain `RunConfig` settings in `pinnkit_widgets.Compare`: side A
is Adam on the summed loss, side B `combine="mconfig"` with `optimizer="sgd"` at 5×lr (the
paper's pairing). Both use the notebook's problem, network, points and step budget with
seed 0, so they **repeat the seed-0 runs of the statistics above**; the cell after the
view checks that they reproduce those numbers. With a browser both sides train in
threads and the views follow; headless (papermill, nbval) the cell trains to the end.
The table under the buttons gives each side's final relative $L^2$ and loss, the plot
below it the loss per term (Adam solid, M-ConFIG dashed). Any setting of either side,
the gradient combination included, can be changed in the side panels and trained again.

**Which wins depends on the budget and the seed.** Measured (seed 0, final relative $L^2$):
with the quick budget M-ConFIG ends lower (0.581 vs Adam's 0.612), with the full one Adam
does (0.497 vs 0.536). Over three seeds (full budget) M-ConFIG's median is lower (0.441 vs
0.497) but the ranges overlap ([0.42, 0.54] vs [0.46, 0.51]): at 600 steps a single pair of
runs shows no reliable advantage, and every method stays far from the paper's numbers.
'''),
    code('''
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

base = RunConfig(problem="burgers", width=width, depth=depth, sampler="uniform", num_points=interior_points,
                 condition_points=condition_points, steps=steps, lr=lr, seed=0, eval_every=max(steps // 10, 1))
cmp = Compare(base, a={}, b={"combine": "mconfig", "optimizer": "sgd", "lr": 5 * lr}, labels=("Adam", "M-ConFIG"))
TERMS = ["residual"] + list(problem.conditions)

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
cmp
''', tags=("nbval-ignore-output",)),
    code('''
cmp.wait()  # the numbers below need both finished runs
compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h = r.history
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "test_mse": test_mse(r.model), "losses": {n: h.last(f"loss/{n}") for n in TERMS},
                    "combine": r.config.combine, "optimizer": r.config.optimizer, "lr": r.config.lr}
display(Markdown(paper_table(
    [{"run": f"{lab} ({c['optimizer']} {c['lr']:g}, combine={c['combine']})", "rel L2": c["rel_l2"],
      "test MSE": c["test_mse"], **{f"loss {n}": c["losses"][n] for n in TERMS}} for lab, c in compare.items()],
    columns=("run", "rel L2", "test MSE", *[f"loss {n}" for n in TERMS]))))
better = min(compare, key=lambda k: compare[k]["rel_l2"])
print(f"lower final rel L2 at this budget (seed 0): {better} "
      f"({compare[better]['rel_l2']:.3e} vs {max(c['rel_l2'] for c in compare.values()):.3e})")
assert all(c["status"] == "completed" and c["steps"] == steps for c in compare.values()), compare
assert [r.config.combine for r in cmp.runs] == ["none", "mconfig"]
# the compare repeats the statistics' seed-0 runs: the settings reach train() unchanged
assert abs(compare["Adam"]["rel_l2"] - errors["Adam"][0]) <= 1e-5 * errors["Adam"][0], (compare, errors)
assert abs(compare["M-ConFIG"]["rel_l2"] - errors["M-ConFIG"][0]) <= 1e-5 * errors["M-ConFIG"][0], (compare, errors)
'''),
    code('''
budget = f"{steps} steps, {width}×{depth}, {interior_points} fixed residual points, lr {lr:g}, {seeds} seed(s), CPU"
rows = [
    {"method": "Adam (test MSE)", "paper reports": 0.0310, "setting": "5000 it., lr 1e-4, best test MSE, GPU",
     "pinnkit gets": fmt(mse_stats["Adam"]), "our budget": budget},
    {"method": "ConFIG + Adam (test MSE)", "paper reports": 0.00638, "setting": "5000 it., lr 1e-4",
     "pinnkit gets": fmt(mse_stats["ConFIG"]), "our budget": budget},
    {"method": "M-ConFIG + SGD (test MSE)", "paper reports": 0.00186, "setting": "5000 it., SGD 5e-4",
     "pinnkit gets": fmt(mse_stats["M-ConFIG"]), "our budget": budget},
]
display(Markdown(paper_table(rows)))
display(Markdown("relative L2 (final): " + ", ".join(f"{m} {fmt(s)}" for m, s in stats.items())))
res = record("07_gradient_conflict", cpu_seconds=time.process_time() - CPU0, wall_seconds=time.perf_counter() - WALL0,
             steps=steps, seeds=seeds, errors=stats, test_mse=mse_stats, conflict_fraction=conflict_fraction,
             residual_initial_cos_min=min(res_ic), compare=compare)
# conflicts are real: some pair of term gradients points apart at some monitored step
assert conflict_fraction > 0, conflict_fraction
assert all(np.isfinite(v) for s in stats.values() for v in s["runs"])
assert all(s["median"] < 1.0 for s in stats.values()), stats  # every method learned something
'''),
]

# ----------------------------------------------------------------------------- 08
nb08 = [
    md(r'''
# 08 · MultiAdam: the scale-invariance experiment

**Question.** If one loss term is multiplied by a constant $s$ (a change of units, or a
badly chosen static weight), how much does the trained PINN change — with Adam, and with
MultiAdam (Yao et al., ICML 2023, arXiv 2306.02816)?

Poisson 1D: $-u'' = (a\pi)^2\sin(a\pi x)$ on $[0,1]$, $u(0)=u(1)=0$, loss
$L_r + s\,(L_{\text{left}} + L_{\text{right}})$. Adam normalises the *summed* gradient,
so $s$ changes the balance. MultiAdam keeps Adam moments per term (group) $g$ of its own
gradient $G_g$ and steps

$$\theta \leftarrow \theta - \eta\sum_g \omega_g\,\frac{\hat m_g}{\sqrt{\hat v_g}+\epsilon},\qquad \omega_g = 1/G,$$

so $G_g \to sG_g$ leaves every update unchanged (up to $\epsilon$). pinnkit tests that
exactly (`tests/test_combining.py`); here we measure what it does to the error.
'''),
    code('''
width: int = 32  # hidden width
depth: int = 3  # hidden layers
steps: int = 1000  # steps per run
interior_points: int = 200  # fixed residual points
frequency: float = 2.0  # a in sin(aπx)
lr: float = 1e-3  # learning rate (Adam and MultiAdam)
seeds: int = 3  # seeds per (method, s) in full mode
''', tags=("parameters",)),
    code(COMMON + '''
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
'''),
    code('''
methods = ["Adam", "MultiAdam"]
errors = {m: {s: [] for s in SCALES} for m in methods}
for m in methods:
    for s in SCALES:
        for seed in range(seeds):
            h = run(m, s, seed)
            errors[m][s].append(h.final["metric/rel_l2"])
        print(f"{m:9s} s = {s:7.0e}: rel L2 " + ", ".join(f"{e:.2e}" for e in errors[m][s]))
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
'''),
    md('''
## Side by side at the largest scale: Adam vs MultiAdam, as two run settings

The boundary terms multiplied by the largest $s$ is the `static` balancer with those
scales, a plain `RunConfig` setting; MultiAdam is `optimizer="multiadam"` (SGD applying the
learning rate to pinnkit's `MultiAdam` direction). `pinnkit_widgets.Compare` trains both
sides with the notebook's network, points and step budget and seed 0, so they **repeat
the seed-0 runs at that $s$ above**; the cell after the view checks that they reproduce
those numbers. The upper plots show both predictions with the reference and both
|error| curves, the lower ones the loss per term (Adam solid, MultiAdam dashed) and the
weights, flat at $s$ on the boundary terms for both sides. With a browser both train in
threads; headless the cell trains to the end. The scale (the static balancer's weights
stay in the side panels' configuration) or the optimizer can be changed and trained again.

**Invariant is not the same as better.** Measured at $s = 10^4$ (seed 0, final relative
$L^2$): with the quick budget MultiAdam ends lower (0.754 vs Adam's 0.877); with the full
budget Adam does (0.069 vs 0.103). MultiAdam's error is the same at every $s$ (full: median
0.103 for all three), while Adam's moves by about 90× with $s$ (full: 9.4e-4 at $s = 100$,
8.9e-2 at $s = 10^4$) yet stays below MultiAdam's at every $s$ with this budget.
'''),
    code('''
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
''', tags=("nbval-ignore-output",)),
    code('''
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
'''),
    code('''
budget = f"{steps} steps, {width}×{depth}, {interior_points} points, lr {lr:g}, {seeds} seed(s)"
rows = [{"method": f"{m}, s = {s:g}", "paper reports": "invariant to s" if m == "MultiAdam" else "—",
         "setting": "Yao et al. 2023 (claim: scale invariance; 1–2 orders over baselines, abstract)",
         "pinnkit gets": fmt(stats[m][s]), "our budget": budget} for m in methods for s in SCALES]
display(Markdown(paper_table(rows)))
res = record("08_multiadam", cpu_seconds=time.process_time() - CPU0, wall_seconds=time.perf_counter() - WALL0,
             steps=steps, seeds=seeds, errors={m: {str(s): v for s, v in d.items()} for m, d in stats.items()},
             sensitivity=sensitivity, compare=compare)
# MultiAdam: the scale of a term barely moves the result (ε and the noise floor are the only sources)
assert sensitivity["MultiAdam"] < 1.5, sensitivity
assert all(np.isfinite(v) for d in stats.values() for st in d.values() for v in st["runs"])
'''),
]

if __name__ == "__main__":
    write(GALLERY / "05_gradient_pathologies.ipynb", nb05)
    write(GALLERY / "06_ntk_weighting.ipynb", nb06)
    write(GALLERY / "07_gradient_conflict.ipynb", nb07)
    write(GALLERY / "08_multiadam.ipynb", nb08)
