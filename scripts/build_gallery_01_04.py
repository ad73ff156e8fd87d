"""Write gallery notebooks 01–04 (failure modes, causal training, R3, adaptive sampling).

Run: ``.venv/bin/python scripts/build_gallery_01_04.py`` (notebooks are written without
outputs)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nbbuild import code, md, write  # noqa: E402

GALLERY = Path(__file__).resolve().parent.parent / "gallery"

COMMON = '''
import math, time
import numpy as np
import torch
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import pinnkit
from pinnkit import zoo
from pinnkit.models import build_model
from pinnkit.report import quick_mode, record, paper_table
from pinnkit.training import Evaluator, train

torch.set_num_threads(1)
CPU0 = time.process_time()  # CPU seconds of this kernel, recorded beside wall time (the machine may be shared)


def spread(values):
    """median, min, max of a list of errors (the notebooks' 'median [min, max]')."""
    v = np.asarray(values, float)
    return float(np.median(v)), float(v.min()), float(v.max())


def fmt(values):
    m, lo, hi = spread(values)
    return f"{m:.2e} [{lo:.1e}, {hi:.1e}]"
'''

# ----------------------------------------------------------------------------------- 01

NB01 = [
    md(r'''
# Failure modes of PINNs: convection and reaction (Krishnapriyan et al. 2021)

**Question.** A plain PINN learns u_t + β u_x = 0 for small β and fails for large β, even
though the network can represent the solution. Is the failure in the optimisation rather than
the network? Do the two fixes of Krishnapriyan et al. (NeurIPS 2021) — **curriculum
regularisation** and **sequence-to-sequence time marching** — repair it, and what does
**float64** change (Xu et al., "FP64 is all you need")?

**PDEs** (x ∈ [0, 2π), t ∈ [0, 1], periodic in x):

- convection u_t + β u_x = 0, u(x, 0) = sin x, exact u = sin(x − βt);
- reaction u_t − ρ u(1 − u) = 0, u(x, 0) = h(x) = exp(−(x − π)²/(2(π/4)²)),
  exact u = h e^{ρt}/(h e^{ρt} + 1 − h);
- reaction–diffusion u_t − ν u_xx − ρ u(1 − u) = 0 (reference by Strang splitting).

**Loss** (authors' code): L = mean|R|² + mean|u(x,0) − u₀|² + mean|u(0,t) − u(2π,t)|²
(plus u_x periodicity when ν ≠ 0); 4×50 tanh; L-BFGS (lr 1, history 50, strong Wolfe,
tolerance_change 1e-7 — the setting the FP64 study blames for float32 stopping early).

**Curriculum regularisation**: train at an easy β, warm-start the next, up to the target
(`pinnkit.training.strategies.curriculum`). **Seq2seq**: split [0, 1] into windows of Δt,
train one network per window, the previous window's prediction at its end time being the
next initial condition, with the same total number of collocation points
(`pinnkit.training.strategies.seq2seq`).

*Budget.* The paper runs L-BFGS until its tolerances stop it (up to 1e5 iterations) and
averages ≥ 10 seeds; full mode here caps every run at `lbfgs_iters` iterations and uses
`seeds` seeds, so each notebook runs in ~10 minutes on 2 CPU cores. Quick mode is a smoke
test with a tiny network.
'''),
    code('''
width: int = 50  # hidden width (paper: 50)
depth: int = 4  # hidden layers (paper: 4)
num_points: int = 500  # collocation points for the whole domain (paper README: 1000)
lbfgs_iters: int = 150  # L-BFGS iterations per run, total (paper: until its tolerances stop it)
betas: list = [1.0, 10.0, 20.0, 30.0, 40.0]  # convection β sweep (paper Fig. 1)
target_beta: float = 30.0  # the failing case the fixes are tried on
ladder: list = [10.0, 20.0, 30.0]  # curriculum rungs, ending at target_beta
rho: float = 5.0  # reaction rate (paper Table 2 / E.2)
nu: float = 3.0  # diffusion for reaction–diffusion (paper Table 2)
windows: int = 5  # seq2seq windows over [0, 1] (Δt is 1/windows; paper: 0.1 and 0.05)
seeds: int = 3  # seeds per configuration (median and spread)
explore_betas: list = [1.0, 10.0, 20.0, 30.0, 40.0]  # β values the parameter explorer starts with
explore_iters: int = 150  # L-BFGS iterations per explorer run
''', tags=("parameters",)),
    code(COMMON + '''
QUICK = quick_mode()
if QUICK:  # smoke test: tiny network and budget, one seed
    width, depth, num_points, lbfgs_iters, seeds = 16, 2, 100, 10, 1
    betas, ladder = [1.0, 30.0], [10.0, 30.0]
    explore_betas, explore_iters = [1.0, 10.0, 30.0], 30
PLOT_GRID = (64, 32) if QUICK else (128, 50)  # grid for field figures
assert ladder[-1] == target_beta, "the ladder must end at the target β"
started = time.perf_counter()
from pinnkit.optim import lbfgs
from pinnkit.sampling import Uniform
from pinnkit.training.strategies import curriculum, seq2seq

LBFGS = dict(lr=1.0, history_size=50, tolerance_grad=1e-7, tolerance_change=1e-7)  # authors' settings
COND = {"initial": 256, "periodic": 100}  # authors: 256 initial points, 100 boundary times


def fit(problem, seed, iters=None, dtype="float32", model=None, points=None):
    """Plain PINN with the authors' loss; returns (model, history)."""
    model = model or build_model(problem, width=width, depth=depth, seed=seed)
    h = train(problem, model, sampler=Uniform(points or num_points), optimizer=lbfgs(**LBFGS),
              steps=iters or lbfgs_iters, condition_points=COND, seed=seed, dtype=dtype, metrics=None,
              progress=False)
    return model, h
'''),
    md('''
## 1. The β sweep

Same network, same points, same optimiser; only β changes. The paper reports relative L2 of
7.8e-3, 1.1e-2, 0.75, 0.90, 0.96 for β = 1, 10, 20, 30, 40.
'''),
    code('''
sweep, sweep_runs = {}, {}
for beta in betas:
    problem = zoo.get("convection", beta=beta)
    ev = Evaluator(problem)
    sweep_runs[beta] = [fit(problem, s) for s in range(seeds)]
    sweep[beta] = [ev(m)["rel_l2"] for m, _ in sweep_runs[beta]]
    print(f"β = {beta:5.1f}: rel L2 {fmt(sweep[beta])}")
'''),
    code('''
fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
med = [spread(sweep[b])[0] for b in betas]
lo = [spread(sweep[b])[1] for b in betas]
hi = [spread(sweep[b])[2] for b in betas]
ax.errorbar(betas, med, yerr=[np.subtract(med, lo), np.subtract(hi, med)], fmt="o-", capsize=3, label="pinnkit (median, min–max)")
paper = {1.0: 7.84e-3, 10.0: 1.08e-2, 20.0: 7.50e-1, 30.0: 8.97e-1, 40.0: 9.61e-1}
ax.plot(list(paper), list(paper.values()), "k^--", label="Krishnapriyan et al. Fig. 1")
ax.set_yscale("log"); ax.set_xlabel("β"); ax.set_ylabel("relative L2"); ax.legend(fontsize=8)
ax.set_title("convection: plain PINN vs β");
'''),
    md(r'''
## Explore it: error against β, with the |error| of each run

The parameter explorer (`pinnkit_widgets.Explorer`) trains one run per β with the same
network, points and L-BFGS budget (`explore_iters` iterations, seed 0) and plots the final
relative $L^2$ against β, with a thumbnail of each run's $|u_\theta - u|$ over (x, t). What
to look at: the jump of the error between β = 10 and β = 20, and in the thumbnails of the
failing runs an error that is smallest near t = 0 (the initial condition is fitted) and
large over the rest of the domain (it is not transported). Measured with the full-mode
settings (seed 0): relative $L^2$ 1.5e-2 at β = 1, 0.86 at β = 20, 1.00 at β = 40; at
β = 20 the mean |error| over t < 0.1 is 0.14 against 0.56 over the rest (printed below).
Opened in JupyterLab, type other values (β = 5, 15, 25 …) and press **▶ Sweep**; it trains
in a thread, and values already trained come from its cache. Run headless, the cell trains
to the end and shows the result; quick runs use a fresh cache folder so that they always
train, full runs reuse the disk cache (a second full run does not retrain the explorer).

The explorer builds its runs from `pinnkit.recipes.RunConfig`, so it uses the default
L-BFGS settings of `pinnkit.optim.lbfgs` and 256 points for each condition, not the
authors' tolerances above: its numbers are close to, not equal to, the sweep's.
'''),
    code('''
import tempfile

from pinnkit.recipes import RunConfig
from pinnkit_widgets import Explorer

explore = RunConfig(problem="convection", width=width, depth=depth, sampler="uniform", num_points=num_points,
                    condition_points=256, optimizer="lbfgs", lr=1.0, steps=explore_iters,
                    eval_every=max(explore_iters // 10, 1))
explorer = Explorer(explore, "beta", explore_betas, cache_dir=tempfile.mkdtemp() if QUICK else None)
explorer.sweep()  # JupyterLab: returns at once and trains in a thread; headless: trains to the end
explorer
''', tags=("nbval-ignore-output",)),
    code('''
explorer.wait()  # the numbers below need the whole sweep
explored = {v: r for v, r in sorted(explorer.results.items())}
print(f"{explore_iters} L-BFGS iterations, {num_points} points: relative L2",
      ", ".join(f"{r.rel_l2:.2e} at β = {v:g}" for v, r in explored.items()), f"({explorer.trained} trained)")
# where the error sits in time (the prose quotes β = 20): |error| on the explorer's (x, t) grid
early_late = {}
for v, r in explored.items():
    e = r.error.reshape(explorer.grid.shape)
    early = explorer.grid.axes[1] < 0.1
    early_late[v] = (float(e[:, early].mean()), float(e[:, ~early].mean()))
print("mean |error| over t < 0.1 / over the rest:", ", ".join(f"{a:.2f} / {b:.2f} at β = {v:g}" for v, (a, b) in early_late.items()))
assert list(explored) == sorted(explore_betas), explored
assert all(r.error is not None and 0 < r.steps <= explore_iters and 0 < r.rel_l2 < 5 for r in explored.values()), explored
# the failure grows with β here too: the smallest β ends with a smaller error than the largest
assert explored[min(explored)].rel_l2 < explored[max(explored)].rel_l2, explored
'''),
    md('''
## 2. Curriculum regularisation at the target β

The baseline is the plain run at `target_beta` from the sweep. The curriculum run spends the
**same total number of L-BFGS iterations**, split evenly over the ladder's rungs, each rung
starting from the previous rung's weights.
'''),
    code('''
target = zoo.get("convection", beta=target_beta)
ev_target = Evaluator(target)
baseline_conv = sweep[target_beta] if target_beta in sweep else [ev_target(fit(target, s)[0])["rel_l2"] for s in range(seeds)]
per_rung = max(1, lbfgs_iters // len(ladder))
curric = []
for s in range(seeds):
    model = build_model(target, width=width, depth=depth, seed=s)
    curriculum(target, model, "beta", ladder, steps=per_rung, sampler=Uniform(num_points), optimizer=lbfgs(**LBFGS),
               condition_points=COND, seed=s, metrics=None, progress=False)
    curric.append(ev_target(model)["rel_l2"])
print(f"β = {target_beta}: plain {fmt(baseline_conv)}   curriculum {fmt(curric)}")
'''),
    code('''
from pinnkit.diagnostics import fields, plot_fields
plot_fields(fields(target, model, shape=PLOT_GRID), title=f"curriculum {ladder}, seed {seeds - 1}");
'''),
    md('''
## 3. Seq2seq for reaction and reaction–diffusion

Whole domain: one network, `lbfgs_iters` iterations, `num_points` points. Seq2seq:
`windows` networks, `lbfgs_iters // windows` iterations and `num_points // windows` points
each — the same totals.
'''),
    code('''
def marching(problem, s):
    r = seq2seq(problem, lambda wp, k: build_model(wp, width=width, depth=depth, seed=s), windows,
                steps_per_window=max(1, lbfgs_iters // windows), num_points=num_points, optimizer=lbfgs(**LBFGS),
                condition_points={"initial": 256, "periodic": max(1, 100 // windows)}, seed=s, metrics=None,
                progress=False)
    return r

s2s = {}
for name, problem in [("reaction", zoo.get("reaction", rho=rho)),
                      ("reaction_diffusion", zoo.get("reaction_diffusion", nu=nu, rho=rho))]:
    ev = Evaluator(problem)
    whole = [ev(fit(problem, s)[0])["rel_l2"] for s in range(seeds)]
    marched = []
    for s in range(seeds):
        r = marching(problem, s)
        marched.append(ev(r.model)["rel_l2"])
    s2s[name] = (whole, marched, r, problem)
    print(f"{name}: whole domain {fmt(whole)}   seq2seq ({windows} windows) {fmt(marched)}")
'''),
    code('''
whole, marched, r, problem = s2s["reaction"]
plot_fields(fields(problem, r.model, shape=PLOT_GRID), title=f"reaction ρ = {rho}, seq2seq with {windows} windows (last seed)");
'''),
    md('''
## 4. What float64 changes

The FP64 study's mechanism: L-BFGS stops when the loss changes by less than
`tolerance_change = 1e-7` between iterations, which is below float32's resolution near a
loss of O(1), so float32 runs stop in the failure phase. Same runs at β = target in
float64, same iteration cap; we also record how many iterations each run actually made.
'''),
    code('''
fp = {"float32": [], "float64": []}
iters_used = {"float32": [], "float64": []}
curves = {}
for dtype in fp:
    for s in range(seeds):
        # the float32 runs at the target β are the sweep's (same seeds, same settings)
        model, h = sweep_runs[target_beta][s] if dtype == "float32" and target_beta in sweep_runs else fit(target, s, dtype=dtype)
        fp[dtype].append(ev_target(model)["rel_l2"])
        iters_used[dtype].append(h.final["step"])
        curves[dtype] = h.where("loss")
    print(f"{dtype}: rel L2 {fmt(fp[dtype])}, L-BFGS iterations used {iters_used[dtype]}")
fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
for dtype, (st, v) in curves.items():
    ax.semilogy(st, v, label=dtype)
ax.set_xlabel("L-BFGS iteration"); ax.set_ylabel("loss"); ax.legend(); ax.set_title(f"convection β = {target_beta}, last seed");
'''),
    md('''
## 5. Results
'''),
    code('''
elapsed = time.perf_counter() - started
budget = f"{lbfgs_iters} L-BFGS it, {num_points} pts, {width}×{depth}, {seeds} seed(s)"
rows = [
    dict(method=f"plain, β = {b:g}", **{"paper reports": p}, setting="Fig. 1, L-BFGS, mean ≥ 10 seeds",
         **{"pinnkit gets": fmt(sweep[b])}, **{"our budget": budget})
    for b, p in [(1.0, 7.84e-3), (10.0, 1.08e-2), (20.0, 7.50e-1), (30.0, 8.97e-1), (40.0, 9.61e-1)] if b in sweep
]
rows += [
    dict(method=f"curriculum {ladder}", **{"paper reports": {20.0: 9.84e-3, 30.0: 2.02e-2, 40.0: 5.33e-2}.get(target_beta)},
         setting=f"Table 1, β = {target_beta:g}", **{"pinnkit gets": fmt(curric)}, **{"our budget": budget + " (split over rungs)"}),
    dict(method="reaction, whole domain", **{"paper reports": 9.79e-1}, setting=f"Table E.2, ρ = 5",
         **{"pinnkit gets": fmt(s2s["reaction"][0])}, **{"our budget": budget}),
    dict(method=f"reaction, seq2seq Δt = {1 / windows:g}", **{"paper reports": 7.06e-2}, setting="Table E.2, ρ = 5, Δt = 0.05",
         **{"pinnkit gets": fmt(s2s["reaction"][1])}, **{"our budget": budget}),
    dict(method="reaction–diffusion, whole domain", **{"paper reports": 7.98e-1}, setting="Table 2, ρ = 5, ν = 3",
         **{"pinnkit gets": fmt(s2s["reaction_diffusion"][0])}, **{"our budget": budget}),
    dict(method=f"reaction–diffusion, seq2seq Δt = {1 / windows:g}", **{"paper reports": 1.56e-2},
         setting="Table 2, ρ = 5, ν = 3, Δt = 0.1", **{"pinnkit gets": fmt(s2s["reaction_diffusion"][1])}, **{"our budget": budget}),
    dict(method=f"float32, β = {target_beta:g}", **{"paper reports": 0.4923 if target_beta == 30 else None},
         setting="FP64 study, rMAE at β = 30 (we report rel L2)", **{"pinnkit gets": fmt(fp["float32"])}, **{"our budget": budget}),
    dict(method=f"float64, β = {target_beta:g}", **{"paper reports": 0.0047 if target_beta == 30 else None},
         setting="FP64 study, rMAE at β = 30 (we report rel L2)", **{"pinnkit gets": fmt(fp["float64"])}, **{"our budget": budget}),
]
display(Markdown(paper_table(rows)))
res = record("01_failure_modes", cpu_seconds=time.process_time() - CPU0, sweep={str(b): v for b, v in sweep.items()}, curriculum=curric, plain_target=baseline_conv,
             reaction_whole=s2s["reaction"][0], reaction_seq2seq=s2s["reaction"][1],
             rd_whole=s2s["reaction_diffusion"][0], rd_seq2seq=s2s["reaction_diffusion"][1],
             float32=fp["float32"], float64=fp["float64"], iters_float32=iters_used["float32"],
             iters_float64=iters_used["float64"], seconds=elapsed,
             explorer={str(v): r.rel_l2 for v, r in explored.items()},
             explorer_error_early_late={str(v): list(el) for v, el in early_late.items()},
             budget=dict(width=width, depth=depth, num_points=num_points, lbfgs_iters=lbfgs_iters, seeds=seeds,
                         explore_iters=explore_iters))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")
'''),
    code('''
everything = sum([*sweep.values(), curric, fp["float32"], fp["float64"], *[a + b for a, b, _, _ in s2s.values()]], [])
assert all(np.isfinite(everything)) and all(0 < e < 5 for e in everything)
# the failure grows with β: the easiest β trains better than the target β
assert spread(sweep[min(betas)])[0] < spread(sweep[target_beta])[0]
# float64 never stops earlier than float32 under the same tolerance_change
assert np.median(iters_used["float64"]) >= np.median(iters_used["float32"])
'''),
    md('''
**Reading the table.** Each row gives the median and the [min, max] over seeds. The paper's
numbers come from L-BFGS runs to convergence; ours from a fixed, much smaller iteration cap.
Measured in full mode (3 seeds, 150 L-BFGS iterations, 500 points; 135 s wall, 83 s CPU
with an empty explorer cache): the β sweep reproduces the onset of the failure (medians 2.1e-2, 1.5e-1, 0.87, 0.93, 1.00
for β = 1, 10, 20, 30, 40); seq2seq lowers the reaction error from 0.99 to 0.64 and the
reaction–diffusion error from 0.81 to 0.20 — the paper's direction, far from its 1–7 % —
while curriculum regularisation (0.93 vs 0.93) and float64 (0.92 vs 0.93; no float32 run
stopped early within 150 iterations) change nothing at this budget. With 4× the budget
(600 iterations, seed 0 only) curriculum reached 0.33 against 0.86 for the plain run, while
float64 still did not help (0.84; neither run stopped early). Raise `lbfgs_iters` to see more.
'''),
]

# ----------------------------------------------------------------------------------- 02

NB02 = [
    md(r"""
# Respecting causality: causal training (Wang, Sankaran & Perdikaris, CMAME 2024)

**Question.** A PINN minimises the residual at all times at once, so it can fit the PDE at
late times before the early times are right — and then the late-time "solution" is built on
the wrong initial data. Does weighting the residual so that a time only counts once every
earlier time is resolved fix training of time-dependent problems?

**Method** (paper §3, Algorithm 1; `pinnkit.losses.CausalResidual`). Split [0, T] into N_t
slices t_1 < … < t_{N_t}, with L_r(t_i) the mean squared residual in slice i, and

$$\mathcal{L}_r = \frac{1}{N_t}\sum_i w_i\,\mathcal{L}_r(t_i),\qquad w_1 = 1,\quad
w_i = \exp\Big(-\varepsilon \sum_{k<i}\mathcal{L}_r(t_k)\Big),$$

the weights held constant in the gradient (stop-gradient). The total loss is
λ_ic L_ic + L_r (+ boundary terms). ε is annealed over [1e-2, 1e-1, 1, 1e1, 1e2]: at each ε
train until min_i w_i > δ = 0.99 (or a maximum number of steps), which is also the
convergence test — at the last ε, min w > δ says the residual is resolved over all times.

**Problems.** Part 1 uses the **reaction** problem u_t − ρ u(1 − u) = 0 of Krishnapriyan et
al. (ρ = 5), which fails the same way (the network settles on a trivial state at late times)
and is cheap; the `problem_name` parameter switches it to `convection` or `allen_cahn`.
Part 2 is the paper's headline case, **Allen–Cahn**,
u_t − 10⁻⁴ u_xx + 5u³ − 5u = 0 on x ∈ [−1, 1], t ∈ [0, 1], u(x, 0) = x² cos πx, periodic
(plain PINN 49.9 % error, causal 0.14 % in the paper's Table 1), with the paper's ingredients
that fit on a CPU: an exactly periodic Fourier embedding of x, a tanh MLP, λ_ic = 100, Adam
at 10⁻³ — but a few thousand steps instead of the paper's 2–3 × 10⁵.

*Patent notice.* The authors' repository (PredictiveIntelligenceLab/CausalPINNs, CC BY-NC-SA
4.0) states that the causal training algorithm "cannot be used for commercial purposes
(protected by a patent at the University of Pennsylvania)". pinnkit implements it from the
paper for research and teaching; check that notice before any commercial use.
"""),
    code("""
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
""", tags=("parameters",)),
    code(COMMON + """
QUICK = quick_mode()
if QUICK:  # smoke test
    width, depth, num_points, steps, seeds, record_every, max_steps_per_epsilon = 16, 2, 200, 60, 1, 10, 10
    ac_width, ac_depth, ac_points, ac_initial_points, ac_steps = 16, 2, 128, 64, 40
    ac_max_steps_per_epsilon, ac_record_every, compare_steps, compare_width = 8, 10, 20, 8
started = time.perf_counter()
from pinnkit.balancing import static
from pinnkit.diagnostics.temporal import TemporalRecorder, plot_causal_weights, plot_temporal_heatmap
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
        monitor = CausalMonitor(causal, every=record_every)
        callbacks.append(monitor)
        extra["residual_loss"] = causal
    rec = TemporalRecorder(every=record_every, shape=(64, 50), keep_points=False) if record else None
    if rec:
        callbacks.append(rec)
    h = train(problem, model, sampler=Uniform(num_points), optimizer=adam(lr), steps=steps,
              balancer=static({"initial": lam_ic}), callbacks=callbacks, seed=seed, metrics=None, progress=False, **extra)
    return model, h, rec, causal, monitor
"""),
    md("""
## Part 1: reaction ρ = 5
"""),
    code("""
METHODS = ["plain", "causal"]
errors, runs = {m: [] for m in METHODS}, {}
for m in METHODS:
    for s in range(seeds):
        model, h, rec, causal, monitor = run(m, s, record=(s == 0))
        errors[m].append(ev(model)["rel_l2"])
        if s == 0:
            runs[m] = dict(model=model, history=h, recorder=rec, causal=causal, monitor=monitor)
    print(f"{m:7s} rel L2 {fmt(errors[m])}")
"""),
    md("""
### The temporal residual L_r(t) over training

Each row is one moment of training, each column a time t; colour is the mean squared
residual on a 64 × 50 grid. The plain PINN lowers the residual everywhere at once; the
causal loss resolves early times first and moves forward.
"""),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
for ax, m in zip(axes, METHODS):
    plot_temporal_heatmap(*runs[m]["recorder"].heatmap(), title=f"{m}: $L_r(t)$ over training", ax=ax)
"""),
    md("""
### The causal weights and the min-weight test

Left: w_i over the slices at a few moments (seed 0). Right: ε (steps) and min_i w_i over
training; ε moves to the next value when min w > δ or after `max_steps_per_epsilon` steps.
"""),
    code('''
def weights_panel(mon, causal, h, delta, axes):
    """w_i at a few moments (left); ε and min_i w_i over training (right)."""
    pick = np.unique(np.linspace(0, len(mon.snapshots) - 1, 5).round().astype(int))
    plot_causal_weights(causal.slice_centers, [mon.snapshots[i][3] for i in pick],
                        [f"step {mon.snapshots[i][0]}, ε = {mon.snapshots[i][1]:g}" for i in pick], delta=delta, ax=axes[0])
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
'''),
    code("""
from pinnkit.diagnostics import fields, plot_fields
for m in METHODS:
    plot_fields(fields(problem, runs[m]["model"], shape=(64, 32) if QUICK else (128, 50)), title=f"{problem_name}, {m} (seed 0)");
"""),
    md(r"""
## Part 2: Allen–Cahn, the paper's case

The network sees x only through $[\cos k\pi x, \sin k\pi x]_{k=1}^{M}$ (and t), so u and
all its x-derivatives are exactly 2-periodic and the periodic condition needs no loss term
(the paper's embedding, M = 10). The loss is λ_ic L_ic + L_r, with L_r either the plain
mean or the causal one above. Both methods get the same network, points, optimiser and
number of steps; the causal run spreads its steps over the five values of ε, moving on when
min_i w_i > δ or after `ac_max_steps_per_epsilon` steps.
"""),
    code('''
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
        monitor = CausalMonitor(causal, every=ac_record_every)
        callbacks.append(monitor)
        extra["residual_loss"] = causal
    rec = TemporalRecorder(every=ac_record_every, shape=(64, 50), keep_points=False) if record else None
    if rec:
        callbacks.append(rec)
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
'''),
    md("""
### L_r(t) over training, Allen–Cahn

Same picture as in part 1 (seed 0, 64 × 50 grid). With the causal loss the low-residual
region should grow from t = 0 forwards; how far it gets within the budget is what the
min-weight test below measures.
"""),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
for ax, m in zip(axes, METHODS):
    plot_temporal_heatmap(*ac_runs[m]["recorder"].heatmap(), title=f"Allen–Cahn, {m}: $L_r(t)$ over training", ax=ax)
"""),
    md("""
### The causal weights over training, Allen–Cahn

Top: w_i for every slice (column) at every snapshot (row) — white where a slice counts
fully, dark where it is still switched off. Bottom: w_i at a few moments, and ε with
min_i w_i; a transition before the step cap means the min-weight test was met at that ε.
"""),
    code("""
amon, acausal, ah = ac_runs["causal"]["monitor"], ac_runs["causal"]["causal"], ac_runs["causal"]["history"]
Wac = np.stack([s[3] for s in amon.snapshots])
fig, ax = plt.subplots(figsize=(10, 3), constrained_layout=True)
mesh = ax.pcolormesh(acausal.slice_centers, [s[0] for s in amon.snapshots], Wac, shading="auto", cmap="gray", vmin=0, vmax=1)
fig.colorbar(mesh, ax=ax, label="$w_i$"); ax.set_xlabel("t"); ax.set_ylabel("training step")
ax.set_title("Allen–Cahn: causal weights $w_i$ over training (seed 0)")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), constrained_layout=True)
weights_panel(amon, acausal, ah, delta, axes)
print("ε transitions (call, old, new):", acausal.transitions, " converged:", acausal.converged)
"""),
    md("""
### Where in time the error sits

Relative L2 error at each time t (seed 0) on a 256 × 101 grid, and the fields. Causal
training is meant to get the early times right first; a plain PINN that has gone wrong
is wrong from early on.
"""),
    code("""
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
"""),
    md("""
### Compare view: plain vs causal, side by side

`pinnkit_widgets.Compare` trains two settings of one problem side by side; `causal=True` is
a run setting (`RunConfig.causal`, with `causal_options` passed to `CausalResidual`), so the
view can put the plain loss (A) beside the causally weighted one (B) on Allen–Cahn. It is a
smaller network without the periodic embedding and fewer steps than the runs above, so read
it for the picture — where in t each run's error sits while it trains — not for the final
numbers. In JupyterLab the view updates while both train; under papermill/nbval it trains to
the end and the static figure below the view shows the final fields.
"""),
    code("""
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare, live_frontend

cmp = Compare(RunConfig(problem="allen_cahn", steps=compare_steps, width=compare_width, depth=4, num_points=1000,
                        sampler="uniform", resample_every=1, eval_every=max(10, compare_steps // 10), seed=0),
              a={}, b={"causal": True, "causal_options": {"num_slices": ac_slices, "epsilons": epsilons, "delta": delta,
                                                           "max_calls": max(1, compare_steps // len(epsilons))}},
              labels=("A plain", "B causal"))
cmp.train()
cmp.panel
"""),
    code("""
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
"""),
    md("""
## Results
"""),
    code("""
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
"""),
    code("""
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in errors.values())
W = np.stack([s[3] for s in mon.snapshots])
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
"""),
    md("""
**Measured in full mode** (3 seeds, 1500 Adam steps, 800 points, reaction ρ = 5): plain
2.9e-1 [2.5e-1, 3.3e-1], causal 2.5e-1 [2.5e-1, 3.0e-1]. Every ε transition came from the
step cap, never from min w > δ, so by the paper's own test training had not converged. At
this budget causal weighting helps a little; the paper's gap (49.9 % → 0.14 % on Allen–Cahn)
comes after 3e5 steps with a larger, Fourier-embedded network.

**Measured in full mode, Allen–Cahn** (3 seeds, 2000 Adam steps per run, 4×64 tanh after 10
periodic modes, 1024 points redrawn every step, λ_ic = 100; the whole notebook took 210 s of
CPU and 254 s of wall time on 2026-12-06, 461 s of CPU on a slower day): plain 6.4e-1 [5.9e-1, 6.7e-1], causal 5.8e-1 [5.4e-1, 6.1e-1]. The
paper's gap (49.9 % → 0.14 %) does **not** appear at this budget: both runs fail. What the
causal loss does change is where the error sits: for seed 0 the error at t = 0.25 is 1.1e-1
(causal) against 2.4e-1 (plain), and both reach 7.6e-1 at t = 1. In every causal run each
ε transition came from the 400-step cap, never from min w > δ. In seed 0, min w rose to about
0.9 at ε = 1e-2, and at the end (ε = 100) the weights beyond t ≈ 0.15 are zero: by the
paper's own test the run was still resolving the first sixth of the interval. The paper trains
150× longer (3e5 steps) on a 4×128 network. In the compare view (600 steps per side, 32 wide, no
periodic embedding, seed 0; run as a script with the full settings) plain gives 1.00 and
causal 1.24 overall, but their errors sit in different places: |error| (RMS over x) is 0.13
(causal) against 0.37 (plain) at t = 0, and 1.28 against 0.90 at t = 0.83. At the end the
causal run's weights are 1 on the first slice and 0 beyond it — it is still fitting the
earliest times, the order the method imposes, and its |error| map shows it.

**The gap grows with steps.** The same notebook with `ac_steps` 6000, `ac_max_steps_per_epsilon`
1200 and one seed (papermill parameters; 414 s CPU): plain 5.55e-1, causal 3.48e-1; error at
t = 0.25: 1.8e-1 plain, 2.7e-2 causal; at t = 1: 7.3e-1 plain, 5.3e-1 causal. There the
first ε transition came from the min-weight test (step 1163, before the 1200-step cap); the
later ones from the cap. One seed only, and still far from the paper's 1.43e-3 — this is a
trend, not a reproduction.
"""),
]

# ----------------------------------------------------------------------------------- 03

NB03 = [
    md(r"""
# Propagation failure and R3 sampling (Daw et al., ICML 2023)

**Question.** In convection at β = 30 the residual is small almost everywhere because the
network has settled on a wrong, nearly trivial solution; the few places where the residual
is large (near the initial time) do not get enough collocation points to pull the correct
solution forward in time — a *propagation failure*. Does moving the points to where the
residual is large fix it?

**Samplers** (all with N_f points, `pinnkit.sampling`):

- *uniform*: one fixed uniform set;
- *RAD* (Wu et al. 2023): every `rad_every` steps draw N_f points from fresh candidates with
  p(x) ∝ |R(x)|^k / mean |R|^k + c (k = c = 1);
- *R3* (retain–resample–release): after every step keep the points with
  |R| > mean |R|, replace the rest by fresh uniform points, so N_f stays constant;
- *causal R3*: fitness |R|·g(t) with the gate g(t) = (1 − tanh(α(t_n − β_g)))/2 that
  opens forward in time (α = 5, β_g from −0.5, β_g ← β_g + η min(exp(−20 mean((|R| g)²)), 0.1)),
  and residual loss mean((R g)²).

**Setting** (authors' `Convection/train.py`): 4×50 tanh, Adam 1e-3 with ×0.9 every 5000
steps, λ_ic = λ_bc = 100, N_f = 1000, **300 000 iterations**. Our budget is `steps` Adam
steps, so the gate's rate η is scaled by 3e5/steps (the gate then opens over the same
fraction of training as in the authors' runs). The paper's numbers are not quoted here:
PAPERS.md marks its tables as unread, so only the direction of the effect (R3 and causal R3
beat uniform sampling) is the published claim.
"""),
    code("""
beta: float = 30.0  # transport speed (authors: 30)
width: int = 50  # hidden width (authors: 50)
depth: int = 4  # hidden layers (authors: 4)
num_points: int = 1000  # collocation points N_f (authors: 1000)
steps: int = 1000  # Adam steps per run (authors: 300 000)
lr: float = 0.001  # Adam learning rate (authors: 1e-3)
rad_every: int = 250  # RAD resampling period
rad_candidates: int = 10000  # RAD candidate set (Wu et al.: 100 000)
record_every: int = 250  # steps between residual-field / point-cloud snapshots
seeds: int = 3  # seeds per sampler
compare_steps: int = 1000  # Adam steps per side in the live compare
""", tags=("parameters",)),
    code(COMMON + """
QUICK = quick_mode()
if QUICK:  # smoke test
    width, depth, num_points, steps, seeds, record_every, rad_every, rad_candidates = 16, 2, 200, 40, 1, 20, 20, 2000
    compare_steps = 100
started = time.perf_counter()
from pinnkit.balancing import static
from pinnkit.diagnostics import residual_at_points
from pinnkit.diagnostics.temporal import TemporalRecorder, plot_point_clouds, plot_temporal_heatmap
from pinnkit.optim import adam
from pinnkit.sampling import RAD, R3, CausalR3, Uniform

problem = zoo.get("convection", beta=beta)
ev = Evaluator(problem)
eta = 1e-3 * 3e5 / steps  # causal-R3 gate rate, scaled to our budget


def sampler_for(method):
    if method == "uniform":
        return Uniform(num_points), None
    if method == "RAD":
        return RAD(num_points, every=rad_every, candidates=rad_candidates), None
    if method == "R3":
        return R3(num_points), None
    s = CausalR3(num_points, beta_lr=eta)
    return s, s.loss


def run(method, seed, recorder=None):
    sampler, loss = sampler_for(method)
    model = build_model(problem, width=width, depth=depth, seed=seed)
    kw = {"residual_loss": loss} if loss is not None else {}
    h = train(problem, model, sampler=sampler, optimizer=adam(lr, decay_rate=0.9, decay_steps=5000), steps=steps,
              balancer=static({"initial": 100.0, "periodic": 100.0}), condition_points={"initial": 256, "periodic": 100},
              callbacks=[recorder] if recorder else [], seed=seed, metrics=None, progress=False, **kw)
    return model, h, sampler
"""),
    md("""
## Training each sampler under the same budget

Seed 0 of every sampler also records the residual field and the point cloud every
`record_every` steps.
"""),
    code("""
METHODS = ["uniform", "RAD", "R3", "causal R3"]
errors, recorders, samplers, seconds = {m: [] for m in METHODS}, {}, {}, {m: [] for m in METHODS}
for m in METHODS:
    for s in range(seeds):
        rec = TemporalRecorder(every=record_every, shape=(64, 50)) if s == 0 else None
        t0 = time.perf_counter()
        model, h, sampler = run(m, s, rec)
        seconds[m].append(time.perf_counter() - t0)
        errors[m].append(ev(model)["rel_l2"])
        if rec:
            recorders[m], samplers[m] = rec, sampler
    print(f"{m:10s} rel L2 {fmt(errors[m])}   {np.median(seconds[m]):.1f} s/run")
"""),
    md("""
## Where the points go

Grey: |R| on a grid (log scale); red: the collocation points at that moment. A uniform set
ignores the residual; R3 gathers its population where |R| is large; causal R3 keeps it
behind the gate's front, which moves forward in time as the early residual is resolved.
"""),
    code("""
for m in ["uniform", "R3", "causal R3"]:
    plot_point_clouds(recorders[m].snapshots, problem, panels=4, title=f"{m}: |R| and collocation points");
"""),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for ax, m in zip(axes, ["uniform", "R3"]):
    plot_temporal_heatmap(*recorders[m].heatmap(), title=f"{m}: $L_r(t)$ over training", ax=ax)
"""),
    md(r"""
## Watch it: uniform vs R3, side by side

`Compare` trains a fixed uniform set (sampler `uniform`) and R3 (sampler `r3`, resampling
after every step) on the same convection problem, network, seed and budget, and draws them
live. The `Compare` view itself shows prediction, |error| and the loss per term of both runs;
below it, the |residual| of each run with its current collocation points on top (the view
the `Dashboard` draws for one run). What to look at:

* **|residual| and points**: the uniform set stays spread over the whole domain; R3's
  points gather in the bands where |R| is large, and follow them as they move;
* **|error|**: whether the moved points let the solution propagate from t = 0 — at these
  budgets neither run does (relative $L^2$ about 0.9 in the table below, for both);
* the **table**: final relative $L^2$ and loss of both runs, and the mean |R| at each run's
  points (nearest grid node) over its mean on the grid. Measured with the full-mode settings
  (seed 0, 1000 steps, N_f = 1000, λ_ic = λ_bc = 100): relative $L^2$ 0.91 uniform, 0.87 R3;
  |R| at the points 1.04 (uniform) and 1.96 (R3) times its grid mean. R3's lower error is
  one seed and inside the spread of the three seeds above.

The compare uses the authors' loss weights, as the runs above do: λ_ic = λ_bc = 100 through
`balancer="static"` with `balancer_options={"scales": ...}` (the controls keep a configured
static balancer and its scales). It uses `pinnkit.recipes.RunConfig`, so it differs from the
runs above in two details: constant learning rate (no decay) and one number of condition
points (256) for every condition.
"""),
    code("""
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

LAMBDAS = {"initial": 100.0, "periodic": 100.0}  # the authors' λ_ic = λ_bc, as in run() above
base = RunConfig(problem="convection", parameters={"beta": beta}, width=width, depth=depth, sampler="uniform",
                 num_points=num_points, condition_points=256, steps=compare_steps, lr=lr,
                 balancer="static", balancer_options={"scales": LAMBDAS}, eval_every=max(compare_steps // 20, 1))
cmp = Compare(base, a={"sampler": "uniform", "resample_every": None}, b={"sampler": "r3", "resample_every": 1},
              labels=("uniform", "R3"))
# both sides train with the static weights (not silently the plain loss)
assert all(cmp.config(i).balancer == "static" and cmp.config(i).balancer_options == {"scales": LAMBDAS}
           for i in range(2)), [cmp.config(i) for i in range(2)]

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
pn.Column(cmp.panel, pn.pane.HoloViews(cmp.residual_points_view(), linked_axes=False))
""", tags=("nbval-ignore-output",)),
    code("""
cmp.wait()  # the numbers below need both finished runs

compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h, snap = r.history, r.snapshots[-1]
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "loss": h.final["loss"],  # mean |R| at the points (nearest grid node) / mean |R| on the grid:
                    "residual_at_points": residual_at_points(snap.residual.reshape(r.grid.shape), r.grid.axes,
                                                             snap.points)}
display(Markdown(paper_table(
    [{"run": lab, "rel L2": c["rel_l2"], "loss": c["loss"], "mean |R| at points / on grid": c["residual_at_points"]}
     for lab, c in compare.items()], columns=("run", "rel L2", "loss", "mean |R| at points / on grid"))))
assert all(c["status"] == "completed" and c["steps"] == compare_steps for c in compare.values()), compare
# R3's points sit where |R| is large; a fixed uniform set samples |R| about at its grid mean
assert compare["R3"]["residual_at_points"] > 1.2 * compare["uniform"]["residual_at_points"], compare
"""),
    md("""
## Results
"""),
    code("""
elapsed = time.perf_counter() - started
last = {m: recorders[m].snapshots[-1] for m in METHODS}
budget = f"{steps} Adam steps, N_f = {num_points}, {width}×{depth}, {seeds} seed(s)"
rows = [dict(method=m, **{"paper reports": "beats uniform" if m in ("R3", "causal R3") else None},
             setting="convection β = 30, 3e5 Adam steps, N_f = 1000", **{"pinnkit gets": fmt(errors[m])},
             **{"our budget": budget}) for m in METHODS]
display(Markdown(paper_table(rows)))
res = record("03_propagation_r3", cpu_seconds=time.process_time() - CPU0, errors=errors, seconds={m: float(np.median(v)) for m, v in seconds.items()},
             compare=compare,
             gate_beta=samplers["causal R3"].beta, eta=eta, seconds_total=elapsed,
             population=[len(s["points"]) for s in recorders["R3"].snapshots],
             budget=dict(beta=beta, width=width, depth=depth, num_points=num_points, steps=steps, seeds=seeds,
                         compare_steps=compare_steps))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")
"""),
    code("""
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in errors.values())
# R3 keeps its population size; causal R3's gate has moved forward
assert set(res["population"]) == {num_points}
assert samplers["causal R3"].beta > -0.5
# R3's points sit where the residual is large: the grid residual at the final population (nearest grid
# node) is larger on average than over the whole grid
f = last["R3"]["field"]
xs = np.linspace(problem.domain.low[0], problem.domain.high[0], f.shape[0])
ratio = residual_at_points(f, (xs, last["R3"]["t"]), last["R3"]["points"])
print(f"mean |R| at R3's points / mean |R| on the grid = {ratio:.2f}")
assert ratio > 1.2
"""),
    md("""
**Measured in full mode** (3 seeds, 1000 Adam steps, N_f = 1000, β = 30; 250 s wall, 130 s
CPU): uniform 0.90 [0.90, 0.94], RAD 0.91 [0.89, 0.93], R3 0.89 [0.87, 0.92], causal R3
0.92 [0.88, 1.0]. At 0.3 % of the authors' iterations every sampler still fails: the
samplers do move the points (R3's population sits where |R| is about twice its grid mean),
and causal R3's gate had only opened to t_n ≈ 0.22 by the end (its rate is throttled by the
still-large early residual), but the solution has not had time to
propagate from t = 0. The paper's improvement does not reproduce at this budget.
"""),
]

# ----------------------------------------------------------------------------------- 04

NB04 = [
    md(r"""
# Residual-based adaptive sampling on Burgers (Wu et al., CMAME 2023)

**Question.** With few residual points, where they sit matters: Burgers' solution forms a
steep front at x = 0, and a fixed uniform set puts few points there. Wu, Zhu, Tan, Kartha &
Lu compared resampling strategies; their two proposals are

- **RAD** (residual-based adaptive distribution): every round replace the whole set by N_r
  points drawn without replacement from fresh uniform candidates S with
  p(x) ∝ ε(x)^k / mean_S ε^k + c, ε = |R| (k = c = 1);
- **RAR-D** (residual-based adaptive refinement with distribution): every round *add* points
  drawn from the same density (the set grows).

**Problem** u_t + u u_x − ν u_xx = 0, ν = 0.01/π, x ∈ [−1, 1], t ∈ [0, 1],
u(x, 0) = −sin πx, u(±1, t) = 0, with the authors' hard constraint
u = −sin πx + (1 − x²) t N(x, t); 3×64 tanh; reference by Cole–Hopf.

**Authors' schedule**: N_r = 2000, Adam 15 000 + L-BFGS, then 100 rounds of (Adam 1000 +
L-BFGS), 100 000 candidates, float64. **Ours**: `steps` Adam steps with a round every
`every` steps, `candidates` candidates, float32; RAR-D adds N_r/(2·rounds) points per round
so that, as in the authors' 100 rounds of N_r/200, the set ends 1.5× its initial size. The
paper's tables are marked unread in PAPERS.md; its abstract's claim is that RAD and RAR-D
beat uniform sampling, most clearly with few points.
"""),
    code("""
num_points: int = 500  # residual points N_r (authors: 2000; fewer points is where sampling matters)
width: int = 64  # hidden width (authors: 64)
depth: int = 3  # hidden layers (authors: 3)
steps: int = 2000  # Adam steps per run (authors: 15 000 + 100 rounds × 1000, plus L-BFGS)
every: int = 400  # steps per resampling round
candidates: int = 10000  # candidate points per round (authors: 100 000)
k: float = 1.0  # density exponent (authors: 1)
c: float = 1.0  # density floor (authors: 1)
lr: float = 0.001  # Adam learning rate
seeds: int = 3  # seeds per sampler
compare_steps: int = 2000  # Adam steps per side in the live compare
""", tags=("parameters",)),
    code(COMMON + """
QUICK = quick_mode()
if QUICK:  # smoke test
    num_points, width, depth, steps, every, candidates, seeds = 200, 16, 2, 60, 20, 2000, 1
    compare_steps = 100
started = time.perf_counter()
from pinnkit.diagnostics import residual_at_points
from pinnkit.diagnostics.temporal import TemporalRecorder, plot_point_clouds
from pinnkit.optim import adam
from pinnkit.sampling import RAD, RARD, Uniform

problem = zoo.get("burgers")
ev = Evaluator(problem)  # Cole–Hopf on the 256 × 100 test grid, computed once
rounds = max(1, (steps - 1) // every)
add = max(1, num_points // (2 * rounds))


def sampler_for(method):
    if method == "uniform":
        return Uniform(num_points)
    if method == "RAD":
        return RAD(num_points, every=every, candidates=candidates, k=k, c=c)
    return RARD(num_points, every=every, candidates=candidates, add=add, k=k, c=c)


def run(method, seed, recorder=None):
    sampler = sampler_for(method)
    model = build_model(problem, width=width, depth=depth, seed=seed, hard=True)
    h = train(problem, model, sampler=sampler, optimizer=adam(lr), steps=steps, seed=seed, metrics=None,
              callbacks=[recorder] if recorder else [], progress=False)
    return model, h
"""),
    code("""
METHODS = ["uniform", "RAD", "RAR-D"]
errors, recorders, final_counts = {m: [] for m in METHODS}, {}, {}
for m in METHODS:
    for s in range(seeds):
        rec = TemporalRecorder(every=every, shape=(128, 50)) if s == 0 else None
        model, h = run(m, s, rec)
        errors[m].append(ev(model)["rel_l2"])
        if rec:
            recorders[m] = rec
            final_counts[m] = len(rec.snapshots[-1]["points"])
    print(f"{m:8s} rel L2 {fmt(errors[m])}   final residual points {final_counts[m]}")
"""),
    md("""
## Where the points end up

Grey: |R| of seed 0 on a grid; red: its residual points. RAD and RAR-D put many of them on
the shock at x = 0.
"""),
    code("""
for m in METHODS:
    plot_point_clouds(recorders[m].snapshots, problem, panels=3, title=f"{m}: |R| and residual points");
"""),
    md(r"""
## Watch it: fixed uniform vs RAD, side by side

`Compare` trains a fixed uniform set (sampler `uniform`) and RAD (sampler `rad`, a new set
every `every` steps) on Burgers with the same hard-constrained network, seed and budget, and
draws them live. The `Compare` view shows prediction, |error| and the loss per term of both
runs; below it, the |residual| of each run with its current residual points on top (the view
the `Dashboard` draws for one run). What to look at:

* **|residual| and points**: the uniform set stays spread out; each RAD round moves the
  points to where |R| is large — onto the front at x = 0 once the network has formed it
  (the table's share with |x| < 0.1; a uniform set on x ∈ [−1, 1] puts 10 % there);
* **|error|** and the **table**: whether that helps the error at this budget — read the
  numbers, not the claim. Measured with the full-mode settings (one seed, 2000 steps):
  uniform 0.36, RAD 0.23, with 23 % of RAD's points within |x| < 0.1 against 10 % of the
  uniform set — here RAD wins, while over the three seeds above it came out worse: one
  seed does not settle it. The mean |R| at the points over its grid mean is 1.23 for RAD
  and 0.44 for the fixed uniform set: after 2000 steps on the same 500 points the network
  has driven the residual down *at those points* more than between them.

The compare uses `pinnkit.recipes.RunConfig`, so RAD draws from its default 100 000
candidates (not `candidates`).
"""),
    code("""
import panel as pn
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

base = RunConfig(problem="burgers", width=width, depth=depth, hard=True, sampler="uniform", num_points=num_points,
                 steps=compare_steps, lr=lr, eval_every=max(compare_steps // 20, 1))
cmp = Compare(base, a={"sampler": "uniform", "resample_every": None}, b={"sampler": "rad", "resample_every": every},
              labels=("uniform", "RAD"))

cmp.train()  # with a browser: returns at once, both train in threads; headless: trains to the end
pn.Column(cmp.panel, pn.pane.HoloViews(cmp.residual_points_view(), linked_axes=False))
""", tags=("nbval-ignore-output",)),
    code("""
cmp.wait()  # the numbers below need both finished runs

compare = {}
for lab, r in zip(cmp.labels, cmp.runs):
    h, snap = r.history, r.snapshots[-1]
    compare[lab] = {"status": h.status, "steps": int(h.final["step"]), "rel_l2": h.final["metric/rel_l2"],
                    "loss": h.final["loss"],  # mean |R| at the points (nearest grid node) / mean |R| on the grid:
                    "residual_at_points": residual_at_points(snap.residual.reshape(r.grid.shape), r.grid.axes,
                                                             snap.points),
                    "near_front": float(np.mean(np.abs(snap.points[:, 0]) < 0.1))}
display(Markdown(paper_table(
    [{"run": lab, "rel L2": c["rel_l2"], "loss": c["loss"], "mean |R| at points / on grid": c["residual_at_points"],
      "share with |x| < 0.1": c["near_front"]} for lab, c in compare.items()],
    columns=("run", "rel L2", "loss", "mean |R| at points / on grid", "share with |x| < 0.1"))))
assert all(c["status"] == "completed" and c["steps"] == compare_steps for c in compare.values()), compare
# RAD's points sit where |R| is large; a fixed uniform set samples |R| at or below its grid mean (the
# network fits the residual at its own training points)
assert compare["RAD"]["residual_at_points"] > 1.2 * compare["uniform"]["residual_at_points"], compare
"""),
    code("""
elapsed = time.perf_counter() - started
budget = f"{steps} Adam steps, N_r = {num_points}, {width}×{depth}, {seeds} seed(s), float32"
rows = [dict(method=m, **{"paper reports": "beats uniform" if m != "uniform" else None},
             setting="Burgers ν = 0.01/π, N_r = 2000, Adam + L-BFGS rounds, float64",
             **{"pinnkit gets": fmt(errors[m])}, **{"our budget": budget}) for m in METHODS]
display(Markdown(paper_table(rows)))
res = record("04_adaptive_sampling", cpu_seconds=time.process_time() - CPU0, errors=errors, final_counts=final_counts, rounds=rounds, add=add,
             compare=compare,
             rad_points_near_shock=float(np.mean(np.abs(recorders["RAD"].snapshots[-1]["points"][:, 0]) < 0.1)),
             seconds=elapsed, budget=dict(num_points=num_points, width=width, depth=depth, steps=steps, every=every,
                                          candidates=candidates, seeds=seeds, compare_steps=compare_steps))
print(f"{elapsed:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU")
"""),
    code("""
assert all(np.isfinite(v).all() and (np.asarray(v) < 5).all() for v in errors.values())
# RAD keeps N_r; RAR-D grows by `add` per round; the uniform set never changes
assert final_counts["uniform"] == num_points and final_counts["RAD"] == num_points
assert final_counts["RAR-D"] == num_points + rounds * add
# RAD's final points sit where the residual is large: the grid |R| looked up at the points is larger on
# average than over the whole grid (fresh uniform points give a ratio near 1)
snap = recorders["RAD"].snapshots[-1]
f = snap["field"]
xs = np.linspace(problem.domain.low[0], problem.domain.high[0], f.shape[0])
ratio = residual_at_points(f, (xs, snap["t"]), snap["points"])
near_shock = float(np.mean(np.abs(snap["points"][:, 0]) < 0.1))
uniform_share = 0.2 / (problem.domain.high[0] - problem.domain.low[0])  # |x| < 0.1 under uniform sampling
print(f"mean |R| at RAD's points / mean |R| on the grid = {ratio:.2f}; share with |x| < 0.1: {near_shock:.2f} "
      f"(uniform {uniform_share:.2f})")
assert ratio > 1.2
"""),
    md("""
**Measured in full mode** (3 seeds, 2000 Adam steps, N_r = 500, rounds every 400 steps, no
L-BFGS; 300 s wall, 170 s CPU): uniform 2.5e-1 [1.0e-1, 3.6e-1], RAD 4.3e-1 [3.6e-1, 4.3e-1],
RAR-D 2.9e-1 [1.6e-1, 3.1e-1]. RAD moves part of its points onto the front (16 % of them
within |x| < 0.1, against 10 % for a uniform set; mean |R| at its points 1.34 times the grid
mean) but at this budget it is *worse* than a fixed uniform set
and RAR-D is no better: resampling starts long before the network has formed the shock
(the authors resample only after 15 000 Adam steps and L-BFGS), and each new set perturbs
Adam. The paper's improvement does not reproduce at this budget.
"""),
]


def main():
    GALLERY.mkdir(exist_ok=True)
    write(GALLERY / "01_failure_modes.ipynb", NB01)
    write(GALLERY / "02_causal_training.ipynb", NB02)
    write(GALLERY / "03_propagation_r3.ipynb", NB03)
    write(GALLERY / "04_adaptive_sampling.ipynb", NB04)


if __name__ == "__main__":
    main()
