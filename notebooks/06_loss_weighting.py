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
# # 06 · Loss imbalance and weighting: static weights, learning-rate annealing / grad-norm, NTK — and the direction of the weights
#
# **Learning goals.** After this lesson you can
# 1. measure a loss imbalance: the gradient norms of the residual and the boundary terms, and why the larger one
#    starves the other;
# 2. compute the weights of learning-rate annealing (with its moving average), of gradient-norm weighting and of NTK
#    trace weighting, and select each with `RunConfig(balancer=...)`;
# 3. read the recorded weights and say which term a scheme up-weights — the term whose gradient is small — and see
#    a static weight that points the wrong way;
# 4. compare the schemes over seeds at the same budget and report what you measure, overshoot included.
#
# **The problem** (pinnkit's `helmholtz`, the benchmark of Wang, Teng & Perdikaris): on $[-1,1]^2$
# $$\Delta u + k^2 u = q,\qquad u = \sin(a_1\pi x)\sin(a_2\pi y)\ \text{on the four edges},\qquad a_1 = 1,\ a_2 = 4,\ k = 1,$$
# with $q$ chosen so that $u = \sin(a_1\pi x)\sin(a_2\pi y)$ is the exact solution. The source is large:
# $|q| \le (a_1^2+a_2^2)\pi^2 - k^2 \approx 167$, while the boundary data are of size 1.
#
# **The weighted loss.** With $L_r$ the mean squared residual and $L_b$ the boundary terms (here the four edges,
# summed and given one weight),
# $$\mathcal L(\theta) = w_r L_r(\theta) + w_b L_b(\theta),\qquad \nabla_\theta\mathcal L = w_r\nabla_\theta L_r + w_b\nabla_\theta L_b .$$
# A gradient step moves $\theta$ along the *sum* of the terms' gradients. If $\|\nabla L_r\| \gg \|\nabla L_b\|$,
# the step is, to all intents, a step on $L_r$ alone: the boundary term starves, and the network fits *a* solution
# of the PDE, not *the* one with these edge values. Wang, Teng & Perdikaris ("Understanding and mitigating gradient
# flow pathologies in physics-informed neural networks", SIAM J. Sci. Comput. 43, 2021) measured exactly this on
# Helmholtz: the residual's gradient entries spread orders of magnitude wider than the boundary's. The $k$-th
# derivative of $\sin(a\pi y)$ carries $(a\pi)^k$ — the residual is stiff because the solution oscillates.
#
# **Three adaptive remedies** (all in `pinnkit/balancing.py`, the residual keeps weight 1 in LRA):
# - *Learning-rate annealing* (LRA, same paper, Alg. 1): every few steps
#   $$\hat\lambda_b = \frac{\max_\theta|\nabla_\theta L_r|}{\operatorname{mean}_\theta|\nabla_\theta L_b|},\qquad
#     \lambda_b \leftarrow (1-\alpha)\lambda_b + \alpha\hat\lambda_b,\quad \alpha = 0.9 .$$
#   The authors' script does it differently: every 10 steps, $\lambda_b \leftarrow \alpha\lambda_b + (1-\alpha)\hat\lambda_b$
#   (weight on the *old* value), $\hat\lambda_b$ over weight matrices only and with $|\nabla(\lambda_b L_b)|$ in the
#   denominator, so its fixed point is $\sqrt{\max/\mathrm{mean}}$ (`balancer="lra_code"`; method page
#   `docs/methods/learning-rate-annealing.md`).
# - *Gradient-norm weighting* (S. Wang, Sankaran, H. Wang & Perdikaris, "An expert's guide to training
#   physics-informed neural networks", arXiv 2308.08468, 2023, §3.2):
#   $$\lambda_i = \frac{\sum_j\|\nabla_\theta L_j\|}{\|\nabla_\theta L_i\|},$$
#   so every weighted term pulls equally hard, $\|\lambda_i\nabla L_i\| = \sum_j\|\nabla L_j\|$ (`balancer="grad_norm"`,
#   `docs/methods/grad-norm.md`).
# - *NTK trace weighting* (Wang, Yu & Perdikaris, "When and why PINNs fail to train: a neural tangent kernel
#   perspective", J. Comput. Phys. 449, 2022): with $K_{ii} = J_iJ_i^\top$, $J_i = \partial r_i/\partial\theta$ the
#   Jacobian of term $i$'s per-point residuals,
#   $$\lambda_i = \frac{\operatorname{tr}K}{\operatorname{tr}K_{ii}},\qquad \operatorname{tr}K = \sum_j \operatorname{tr}K_{jj},$$
#   so each term converges at a comparable rate under gradient flow (`balancer="ntk"`, `docs/methods/ntk-weighting.md`).
#
# **The direction of the weights.** Every one of these formulas has the term's own gradient (or kernel) in the
# *denominator*: a term whose gradient is small gets a large weight. That is the whole point — and a hand-picked
# static weight can just as easily point the wrong way. Below, `static ×0.1` down-weights the boundary that is
# already starving.

# %% tags=["parameters"]
width: int = 50  # neurons per hidden layer (paper: 50)
depth: int = 3  # hidden layers (paper: 3)
steps: int = 5000  # Adam steps per run (paper: 40 000)
batch: int = 128  # residual points and points per edge, drawn afresh every step (paper: 128)
seeds: int = 3  # seeds per method
eval_every: int = 250  # steps between error evaluations
compare_steps: int = 2000  # Adam steps per side of the live compare

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # tests only: a smoke run (the lesson needs the full budget)
    width, depth, steps, batch, seeds, eval_every, compare_steps = 8, 2, 30, 32, 1, 10, 10
print(f"quick mode: {QUICK}; {steps} Adam steps, {seeds} seed(s)")

# %%
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import sweep
from pinnkit.course import lesson06 as L
from pinnkit.diagnostics import gradient_histograms, plot_gradient_histograms, term_gradients
from pinnkit.losses import loss_terms
from pinnkit.recipes import build
from pinnkit.report import Claim, fmt, paper_table, store_dir, summary, verdict
from pinnkit.sampling import make_sampler
from pinnkit.training.loop import condition_point_sets

torch.set_num_threads(1)
WALL0 = time.perf_counter()
EDGES = list(L.EDGES)
GROUPS = {"boundary": EDGES}
SETTINGS = dict(width=width, depth=depth, num_points=batch, condition_points=batch, steps=steps, eval_every=eval_every)
METHODS = list(L.METHODS)  # label -> (balancer, options) in pinnkit/course/lesson06.py
for m in METHODS:
    print(f"{m:24s} balancer={L.METHODS[m][0]!r:12s} options={L.METHODS[m][1]}")


def points(run, seed):
    """A fresh draw of residual and edge points (uniform, `batch` per set), as the trainer draws them."""
    rng = np.random.default_rng(1000 + seed)
    pts = {"residual": torch.as_tensor(make_sampler("uniform", batch).sample(run.problem.domain, rng),
                                       dtype=torch.float32)}
    pts.update(condition_point_sets(run.problem, run.model, batch, rng, torch.float32))
    return pts


# %% [markdown]
# ## 1. The imbalance, measured at initialisation
#
# A fresh network per seed, one draw of points: the per-term gradients $\nabla_\theta L_r$ and $\nabla_\theta L_b$
# ($L_b$ the four edges together). Left, the histograms of their entries (the paper's Fig. 2); the ratio of the norms
# $\rho = \|\nabla L_r\| / \|\nabla L_b\|$ below.

# %%
rho_init = []
for s in range(seeds):
    recipe = build(L.config("plain", seed=s, **SETTINGS))
    norms = L.gradient_norms(recipe.problem, recipe.model, points(recipe, s), groups=GROUPS)
    rho_init.append(norms["residual"] / norms["boundary"])
    if s == 0:
        pts0 = points(recipe, 0)
        g0 = term_gradients(loss_terms(recipe.problem, recipe.model, pts0, recipe.problem.values),
                            list(recipe.model.parameters()))
        g0 = {"residual": g0["residual"], "boundary (4 edges)": sum(g0[e] for e in EDGES)}
        print("seed 0 gradient norms:", {n: f"{v:.3g}" for n, v in norms.items()})
plot_gradient_histograms(gradient_histograms(g0, bins=80), title="per-term gradients at initialisation (seed 0)")
print(f"‖∇L_r‖ / ‖∇L_b‖ at initialisation: {fmt(rho_init)} (median [min, max] over {seeds} seed(s))")

# %% [markdown]
# The residual's gradient is larger by the factor printed above, and a plain Adam step follows $L_r$. **Measured**
# (seeds 0–2): $\rho = 8.3\ [5.2, 13]$ at initialisation — and, as section 3 shows, the plain runs make it *worse*:
# after training $\rho = 80\ [67, 83]$. Fitting the residual steepens its gradient; the edges fall further behind.
#
# ## 2. Six weightings, same budget, three seeds
#
# Each scheme trains the same network from the same seeds on fresh points every step (Adam $10^{-3}$, decaying by 0.9
# every 1000 steps, as in the paper but for `steps` instead of 40 000 steps). LRA, grad-norm and NTK keep one weight for
# the four edges (`balancer_options={"groups": {"boundary": [...]}}`); grad-norm is recomputed every 500 steps, NTK
# every 100 (the paper's), LRA every 10. Grad-norm here sets the new weights outright at each update: its authors also
# smooth them with a moving average, which one `RunConfig` cannot chain onto it (`docs/methods/grad-norm.md`).

# %%
keys = [(m, s) for m in METHODS for s in range(seeds)]
t0 = time.perf_counter()
result = sweep([L.config(m, seed=s, **SETTINGS) for m, s in keys], store=store_dir(),
               executor=ThreadPoolExecutor(1) if QUICK else None, progress=not QUICK)
sweep_seconds = time.perf_counter() - t0
runs = dict(zip(keys, result.runs))
errors = {m: [runs[m, s].metrics["metric/rel_l2"] for s in range(seeds)] for m in METHODS}
final_w = {m: [runs[m, s].history.last("weight/left") for s in range(seeds)] for m in METHODS}
medians = {m: float(np.median(e)) for m, e in errors.items()}
display(Markdown(paper_table([{"method": m, "rel L2 (median [min, max])": fmt(errors[m]),
                               "final boundary weight": fmt(final_w[m])} for m in METHODS],
                             columns=("method", "rel L2 (median [min, max])", "final boundary weight"))))
print(f"{len(result.trained)} runs trained, {len(result.reused)} from the store ({sweep_seconds:.0f} s)")

# %% [markdown]
# **Measured** (full budget, 2-core CPU, seeds 0–2, 5000 Adam steps; rel. L2 median [min, max]): plain
# 0.51 [0.40, 0.69]; static ×0.1 3.2 [2.5, 7.8] — worse than plain, the weight points the wrong way; LRA with the
# authors' rule 0.098 [0.088, 0.35] (final λ_b ≈ 69); LRA with Alg. 1 as written 1.00 on every seed (λ_b ≈ 5·10⁶);
# grad-norm 0.60 [0.35, 0.89] (λ_b ≈ 8·10³); NTK 0.38 [0.14, 0.41] (λ_b ≈ 2·10³). The sweep took 331 s of wall time
# (two processes). LRA's gain over plain per seed: 7.0×, 4.6× and 1.5× — large on two seeds, small on the third.

# %% [markdown]
# ## 3. The direction of the weights
#
# Every run records its weights in the history, one column per term: `history.where("weight/left")` (the four edges
# share one weight, so `left` stands for all of them) and `history.where("weight/residual")`. Left: the boundary
# weight of seed 0 under each scheme. Right: the error during training.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
for m in METHODS:
    st, w = runs[m, 0].history.where("weight/left")
    axes[0].semilogy(st, w, label=m)
    st, e = runs[m, 0].history.where("metric/rel_l2")
    axes[1].semilogy(st, e, label=m)
axes[0].axhline(1.0, color="k", lw=0.8, ls=":")
axes[0].set_xlabel("Adam step"), axes[0].set_ylabel("boundary weight λ_b (seed 0)"), axes[0].legend(fontsize=7)
axes[1].set_xlabel("Adam step"), axes[1].set_ylabel("relative L2 (seed 0)")
plt.show()
ntk_weights = {"residual": runs["NTK", 0].history.where("weight/residual")[1],
               "boundary": runs["NTK", 0].history.where("weight/left")[1]}
print("NTK, seed 0: residual weight", f"{ntk_weights['residual'][0]:.3g} → {ntk_weights['residual'][-1]:.3g};",
      "boundary weight", f"{ntk_weights['boundary'][0]:.3g} → {ntk_weights['boundary'][-1]:.3g}")

# %% [markdown]
# **The gradient-norm ratio before and after.** For every trained network, on a fresh draw of points: the unweighted
# ratio $\rho = \|\nabla L_r\|/\|\nabla L_b\|$ and the *weighted* one $\rho_w = \|w_r\nabla L_r\|/\|w_b\nabla L_b\|$
# with the run's final weights. A scheme that balances the terms brings $\rho_w$ towards 1; a weight that points the
# wrong way pushes it further from 1.

# %%
rho_end, rho_w_end = {}, {}
for m in METHODS:
    rho_end[m], rho_w_end[m] = [], []
    for s in range(seeds):
        run = runs[m, s]
        pts = points(run, s)
        w = {n: run.history.last(f"weight/{n}", 1.0) for n in ["residual", *EDGES]}
        raw = L.gradient_norms(run.problem, run.model, pts, groups=GROUPS)
        weighted = L.gradient_norms(run.problem, run.model, pts, weights=w, groups=GROUPS)
        rho_end[m].append(raw["residual"] / raw["boundary"])
        rho_w_end[m].append(weighted["residual"] / weighted["boundary"])
display(Markdown(paper_table([{"method": m, "ρ at initialisation": fmt(rho_init), "ρ at the end": fmt(rho_end[m]),
                               "ρ_w (weighted) at the end": fmt(rho_w_end[m])} for m in METHODS],
                             columns=("method", "ρ at initialisation", "ρ at the end", "ρ_w (weighted) at the end"))))

# %% [markdown]
# **Measured** (full budget, seeds 0–2; ρ at initialisation 8.3 [5.2, 13] for all):
#
# | scheme | ρ at the end | ρ_w at the end | rel. L2 |
# |---|---|---|---|
# | plain | 80 [67, 83] | 80 | 0.51 |
# | static ×0.1 | 12 [9.2, 16] | 121 [92, 160] | 3.2 |
# | LRA (authors' script) | 720 [200, 750] | 9.6 [3.2, 11] | 0.098 |
# | LRA (Alg. 1 as written) | 1.1·10⁵ | 0.012 [0.005, 0.022] | 1.00 |
# | grad-norm | 8.3·10³ | 1.04 [0.69, 1.7] | 0.60 |
# | NTK | 3.2·10³ | 1.3 [0.89, 2.1] | 0.38 |
#
# What the numbers say about the direction of the weights:
# - **Every adaptive scheme raises the boundary weight** — the term with the small gradient — by two to seven orders of
#   magnitude, and the static ×0.1 lowers it: it multiplies the imbalance by ten ($\rho_w$ = 121) and ends with the
#   worst error of all.
# - **Direction is necessary, not sufficient.** LRA as written in Alg. 1 ($\hat\lambda = \max/\mathrm{mean}$, weight 0.9
#   on the new estimate) points the right way but overshoots: $\rho_w \approx 0.01$, the *residual* now starves, the
#   network fits the edges and nothing else (rel. L2 1.00). The authors' script rule, whose fixed point is
#   $\sqrt{\max/\mathrm{mean}}$, stops at $\rho_w \approx 10$ and gives the lowest error.
# - **Equal gradient norms are not the goal either.** Grad-norm balances the norms by construction ($\rho_w \approx 1$)
#   and NTK nearly so, yet at this budget neither comes close to LRA's error; grad-norm is not better than plain.
# - **The direction can change during training.** NTK's first update (seed 0) gave the *residual* weight 11.9 and the
#   boundary 1.09: at initialisation the boundary's kernel trace was the larger one (512 edge points against 128 interior
#   points, and a fresh network has small second derivatives). Once the residual's kernel grew, the weights swapped
#   sides — the scheme follows whichever term is slow *now*.

# %% [markdown]
# ## 4. Break it, fix it — live
#
# Left: the plain PINN (break it). Right: learning-rate annealing with the authors' rule and one weight for the
# edges (fix it). Watch the boundary terms in the loss plot (dashed for the right side) and the field: the plain run
# finds a smooth field that ignores the edges' $\sin 4\pi y$. Try `balancer="static"` with
# `balancer_options={"scales": {e: 100.0 for e in EDGES}}` on the right — a static weight in the *right* direction —
# and with 0.01. **Measured** (2000 steps per side, seed 0): plain 2.2, LRA 0.50 relative L2.

# %% tags=["nbval-ignore-output"]
from pinnkit_widgets import Compare

cmp = Compare(L.config("plain", **{**SETTINGS, "steps": compare_steps, "eval_every": max(compare_steps // 10, 1)}),
              a={}, b={"balancer": "lra_code", "balancer_options": {"groups": GROUPS}},
              labels=("break it: plain", "fix it: LRA"))
cmp.train()  # in JupyterLab: returns at once; headless: trains to the end
cmp.panel

# %%
cmp.wait()
assert all(row["status"] == "completed" for row in cmp.final()), cmp.final()
live = {row["label"]: row["rel_l2"] for row in cmp.final()}
print(live)

# %% [markdown]
# ## Exercises
#
# **E1.** A network with three parameters has $\nabla_\theta L_r = (0.9, -0.3, 0.05)$ and
# $\nabla_\theta L_b = (0.01, -0.02, 0.03)$. What is LRA's estimate $\hat\lambda_b$?

# %%
G_R, G_B = [0.9, -0.3, 0.05], [0.01, -0.02, 0.03]
answer_estimate = ...  # your answer

# %% tags=["solution"]
answer_estimate = max(abs(g) for g in G_R) / np.mean([abs(g) for g in G_B])

# %%
L.check_lra_estimate(answer_estimate, G_R, G_B)

# %% [markdown]
# **E2.** Starting from $\lambda_b = 1$, what is the boundary weight after one update of the paper's rule with
# $\alpha = 0.9$ (moving average with weight $\alpha$ on the new estimate)?

# %%
answer_step = ...  # your answer

# %% tags=["solution"]
answer_step = (1 - 0.9) * 1.0 + 0.9 * answer_estimate

# %%
L.check_lra_step(answer_step, G_R, G_B, weight=1.0, alpha=0.9)

# %% [markdown]
# **E3.** Gradient-norm weighting with $\|\nabla L_r\| = 100$ and $\|\nabla L_b\| = 0.5$: what is the boundary's weight
# $\lambda_b$? (And, for yourself: what is the residual's?)

# %%
NORMS = {"residual": 100.0, "boundary": 0.5}
answer_gn = ...  # your answer

# %% tags=["solution"]
answer_gn = (100.0 + 0.5) / 0.5

# %%
L.check_grad_norm_weight(answer_gn, NORMS, "boundary")

# %% [markdown]
# **E4 (the direction of the weights).** Read the recorded NTK weights of seed 0 (`ntk_weights`, printed in section 3):
# which term's weight did the scheme raise — `"residual"` or `"boundary"`? Then check it against section 1: is that the
# term whose gradient was small?

# %%
answer_rising = ...  # your answer

# %% tags=["solution"]
answer_rising = max(ntk_weights, key=lambda n: ntk_weights[n][-1])

# %%
L.check_rising_term(answer_rising, ntk_weights)

# %% [markdown]
# ## The claim, on the recorded numbers

# %%
SCRIPT = "LRA (authors' script)"
checks = [L.check_lra_estimate(answer_estimate, G_R, G_B), L.check_lra_step(answer_step, G_R, G_B),
          L.check_grad_norm_weight(answer_gn, NORMS, "boundary"), L.check_rising_term(answer_rising, ntk_weights)]
gain = [p / e for p, e in zip(errors["plain"], errors[SCRIPT])]
lra_claim = Claim(paper="Wang, Teng & Perdikaris 2021 (SISC), learning-rate annealing on Helmholtz",
                  claim=f"on Helmholtz (a1 = 1, a2 = 4) LRA (the authors' rule, one λ for the edges) lowers the plain "
                        f"PINN's relative L2 by ≥ 3× on every seed and raises the boundary weight above 1 "
                        f"(values: plain / LRA, per seed)",
                  values=gain, seeds=seeds, budget=f"{steps} Adam steps, {depth}×{width} tanh, {batch} fresh points "
                                                   f"per set per step", wall_seconds=sweep_seconds,
                  verdict=verdict(direction=bool(min(gain) > 1 and min(final_w[SCRIPT]) > 1),
                                  magnitude=bool(min(gain) >= 3)),
                  note="; ".join(f"{m} {fmt(e)}" for m, e in errors.items()))
pathology = Claim(paper="Wang, Teng & Perdikaris 2021 (SISC), the gradient pathology of a plain PINN (§2.3, Fig. 2)",
                  claim="in a plain PINN trained on Helmholtz (a1 = 1, a2 = 4) the residual's gradient exceeds the "
                        "boundary terms' by ≥ 10× in norm on every seed (values: ‖∇L_r‖ / ‖∇L_b‖ after training)",
                  values=rho_end["plain"], seeds=seeds, budget=f"{steps} Adam steps, {depth}×{width} tanh, {batch} "
                                                              f"points per set", wall_seconds=sweep_seconds,
                  verdict=verdict(direction=bool(min(rho_end["plain"]) > 1),
                                  magnitude=bool(min(rho_end["plain"]) >= 10)),
                  note=f"at initialisation ‖∇L_r‖ / ‖∇L_b‖ = {fmt(rho_init)}")
numbers = record("06_loss_weighting", steps=steps, seeds=seeds, width=width, depth=depth, batch=batch,
                 errors={m: summary(e) for m, e in errors.items()},
                 final_boundary_weight={m: summary(w) for m, w in final_w.items()},
                 rho_init=summary(rho_init), rho_end={m: summary(v) for m, v in rho_end.items()},
                 rho_weighted_end={m: summary(v) for m, v in rho_w_end.items()}, compare=live,
                 checks=[c.ok for c in checks], wall_seconds=time.perf_counter() - WALL0,
                 sweep_seconds=sweep_seconds, claims=[lra_claim, pathology])
print(f"claim {lra_claim.verdict}: plain / LRA = {fmt(gain)}; final boundary weight {fmt(final_w[SCRIPT])}")
print(f"claim {pathology.verdict}: ‖∇L_r‖ / ‖∇L_b‖ after plain training {fmt(rho_end['plain'])}, "
      f"at initialisation {fmt(rho_init)}")
print(f"wall time {time.perf_counter() - WALL0:.0f} s")
assert all(checks), checks
assert all(np.isfinite(v) for e in errors.values() for v in e), errors
if not QUICK:
    assert lra_claim.verdict == "partly", lra_claim  # measured: 7.0×, 4.6×, 1.5× (seeds 0–2)
    assert pathology.verdict == "reproduced", pathology

# %% [markdown]
# **Measured verdicts** (full budget, seeds 0–2, whole notebook 6.0 min wall on the 2-core CPU): LRA against plain,
# *partly* — lower on every seed with the boundary weight above 1 (λ_b ≈ 61–75), but by 7.0×, 4.6× and 1.5×, not ≥ 3×
# on every seed; the paper's 40 000 steps (here 5000) and its ten trials may tell the third seed's story differently.
# The gradient pathology, *reproduced*: after plain training $\|\nabla L_r\|/\|\nabla L_b\| = 80\ [67, 83]$.
#
# **Going deeper.** Gallery [08 · learning-rate annealing on Helmholtz](../gallery/08_lra_helmholtz.ipynb) (both LRA
# rules at the paper's settings, 10 000 steps, 3 seeds) and [09 · NTK weighting on the wave
# equation](../gallery/09_ntk_wave.ipynb) (the kernels' eigenvalues and the NTK weights at the paper's settings).
# Lesson 11 takes the next step: when the terms' gradients do not only differ in size but *point against* each other,
# no weight fixes it and per-term gradient methods (ConFIG, MultiAdam) take over.
