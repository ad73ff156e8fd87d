"""Write the course notebooks ``notebooks/00_quickstart.ipynb`` and ``01_burgers.ipynb``.

The notebooks are generated from the cell sources below so that they stay small,
diffable and free of outputs. Edit here, then run::

    .venv/bin/python scripts/make_notebooks.py            # rewrite both
    .venv/bin/python scripts/make_notebooks.py --check    # exit 1 if a file differs

Conventions (DESIGN.md §5): a Markdown cell with the question and the maths first; ONE
code cell tagged ``parameters`` holding only plain annotated literals (papermill parses
it); quick-mode logic in the next cell; numbers recorded with ``pinnkit.report.record``
and checked with ``assert`` (thresholds that hold in quick mode too).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, *tags: str):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


# ---------------------------------------------------------------------------------------
# 00 quickstart: the oscillator, the residual, soft vs hard initial conditions
# ---------------------------------------------------------------------------------------
QUICKSTART = [
    md(r"""
# 00 · Quickstart: your first PINN, the residual, soft vs hard conditions

**Question.** Can a neural network solve a differential equation when all it is told is
the equation itself and its initial conditions — no solution data at all? And does it
matter *how* the initial conditions are imposed?

We take the damped harmonic oscillator

$$u''(t) + 2d\,u'(t) + \omega_0^2\,u(t) = 0,\qquad t\in[0,1],\qquad u(0)=1,\quad u'(0)=0,$$

whose exact solution (for $d<\omega_0$, $\omega=\sqrt{\omega_0^2-d^2}$) is
$u(t)=e^{-dt}\big(\cos\omega t+\tfrac{d}{\omega}\sin\omega t\big)$.

A **physics-informed neural network** (PINN) is a network $u_\theta(t)$ trained so that the
**residual** of the equation,

$$r_\theta(t) = u_\theta''(t) + 2d\,u_\theta'(t) + \omega_0^2\,u_\theta(t),$$

computed with automatic differentiation, vanishes at collocation points $t_i$.

* **Soft** initial conditions add penalty terms to the loss:
  $\;L(\theta)=\frac1N\sum_i r_\theta(t_i)^2 + \big(u_\theta(0)-1\big)^2 + u_\theta'(0)^2.$
* **Hard** initial conditions build them into the network:
  $\;u_\theta(t) = 1 + t^2\,N_\theta(t)$ satisfies $u(0)=1$ and $u'(0)=0$ for every $\theta$,
  so the loss is the residual alone (Lagaris et al., IEEE TNN 9, 1998).

We train both with Adam, then L-BFGS, and compare their relative $L^2$ errors
$\|u_\theta-u\|_2/\|u\|_2$ on a grid of 501 points.
"""),
    code(r"""
d: float = 2.0  # damping d
w0: float = 8.0  # natural frequency ω0 of the main comparison
w0_hard_case: float = 20.0  # a higher frequency, for the last section
width: int = 32  # neurons per hidden layer
depth: int = 3  # hidden layers
num_points: int = 128  # collocation points (a uniform grid in t)
adam_steps: int = 1000  # Adam iterations
lr: float = 0.001  # Adam learning rate
lbfgs_steps: int = 1000  # L-BFGS iterations after Adam
seed: int = 0  # seed of the network initialisation and the sampling
threads: int = 1  # torch CPU threads (a 128-point problem gains nothing from more)
""", "parameters"),
    code(r"""
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import train, zoo
from pinnkit.diagnostics import fields, plot_fields, plot_losses
from pinnkit.models import build_model
from pinnkit.optim import adam, lbfgs
from pinnkit.report import paper_table, quick_mode, record
from pinnkit.sampling import Grid

QUICK = quick_mode()
if QUICK:  # the same lesson in seconds
    adam_steps, lbfgs_steps = min(adam_steps, 300), min(lbfgs_steps, 150)
torch.set_num_threads(threads)
plan = [(adam(lr), adam_steps), (lbfgs(), lbfgs_steps)]
started = time.perf_counter()
print(f"quick mode: {QUICK}; Adam {adam_steps} + L-BFGS {lbfgs_steps} steps; {threads} thread(s)")
"""),
    md(r"""
## The problem as data

`zoo.get("oscillator", d=..., w0=...)` returns a `Problem`: the residual written like the
equation, the domain, the named conditions (`initial`, `initial_velocity`) and the exact
solution used as reference.
"""),
    code(r"""
problem = zoo.get("oscillator", d=d, w0=w0)
print(problem.equation, "| conditions:", list(problem.conditions), "| parameters:", problem.values)


def fit(problem, hard):
    model = build_model(problem, width=width, depth=depth, seed=seed, hard=hard)
    history = train(problem, model, sampler=Grid(num_points), optimizer=plan, condition_points=1,
                    eval_every=50, seed=seed, progress=False)
    return model, history
"""),
    md(r"""
## 1 · Soft initial conditions

Three named loss terms: `residual`, `initial`, `initial_velocity`, weighted equally.
"""),
    code(r"""
soft_model, soft_hist = fit(problem, hard=False)
soft = fields(problem, soft_model)
print(f"soft: relative L2 = {soft.rel_l2:.2e}; final loss terms",
      {k: f"{v:.1e}" for k, v in soft_hist.final.items() if k.startswith("loss/")})
plot_fields(soft, "soft initial conditions");
"""),
    md(r"""
## 2 · The residual is not the error

The right-most panel is $|r_\theta(t)|$ on the test grid, the quantity the network is
trained to make small. With the quick budget the printed loss terms tell the story: the
residual term ends far smaller than the `initial` term. The optimiser found it easiest to
satisfy the *equation* with a function close to $u\equiv 0$ — an exact solution of the
ODE — and paid for it in the initial condition, whose term carries no more weight than the
residual although $\omega_0^2 u$ makes the residual $\omega_0^2$ times larger for the same
error. A small residual certifies nothing without the conditions that select the solution.

With the full budget (1000 Adam + 1000 L-BFGS steps) L-BFGS does pull the soft PINN out
at $\omega_0=8$ (measured 6.3·10⁻⁴, against 2.9·10⁻⁴ with hard conditions) — but not at
$\omega_0=20$ (section 4).
"""),
    code(r"""
plot_losses(soft_hist, "soft: loss terms and relative L2");
"""),
    md(r"""
## 3 · Hard initial conditions

`build_model(problem, hard=True)` wraps the network with the problem's output transform
$u = 1 + t^2 N_\theta(t)$: the initial conditions hold exactly, their loss terms disappear
and the optimiser sees the residual only.
"""),
    code(r"""
hard_model, hard_hist = fit(problem, hard=True)
hard = fields(problem, hard_model)
print(f"hard: relative L2 = {hard.rel_l2:.2e}; loss terms:", hard_hist.terms("loss/"))
plot_fields(hard, "hard initial conditions");
"""),
    md(r"""
## 4 · A higher frequency, soft and hard side by side

At $\omega_0 = 20$ the residual term is $\omega_0^4/8^4 \approx 39$ times heavier still. The
soft PINN settles on the trivial solution $u\approx 0$ within a few steps; the hard one
cannot (its $u(0)$ is always 1), but needs a longer budget to resolve three periods.

This time both runs are trained by `pinnkit_widgets.Compare`: two settings of one problem
(here `hard=False` and `hard=True`, everything else as above, described by a `RunConfig`)
trained side by side. It draws both predictions and the exact solution on one set of axes,
both $|u_\theta-u|$ on another, the loss terms on one log plot (soft solid, hard dashed) and
a table of the final numbers. Opened in JupyterLab, **▶ Train both** retrains in a thread
while the plots update, and the sliders (problem on the left, each side's settings on the
right) change what the next run trains; run headless (papermill, nbval) the cell trains to
the end and shows the final state.
"""),
    code(r"""
from pinnkit.recipes import RunConfig
from pinnkit_widgets import Compare

oscillator_hi = RunConfig(problem="oscillator", parameters={"d": d, "w0": w0_hard_case}, width=width, depth=depth,
                          sampler="grid", num_points=num_points, condition_points=1, optimizer="adam+lbfgs", lr=lr,
                          steps=adam_steps, lbfgs_steps=lbfgs_steps, seed=seed, eval_every=50)
side_by_side = Compare(oscillator_hi, a={"hard": False}, b={"hard": True}, labels=("soft", "hard"))
side_by_side.train()  # JupyterLab: returns at once and trains in a thread; headless: trains to the end
side_by_side
""", "nbval-ignore-output"),
    code(r"""
side_by_side.wait()  # the numbers below need both runs finished
compared = {row["label"]: row for row in side_by_side.final()}
soft_run, hard_run = side_by_side.runs
problem_hi = soft_run.problem
soft_hi, hard_hi = fields(problem_hi, soft_run.model), fields(problem_hi, hard_run.model)
print({k: f"rel L2 {v['rel_l2']:.2e} after {v['steps']} steps ({v['status']})" for k, v in compared.items()})
assert [row["status"] for row in compared.values()] == ["completed", "completed"]
# the table's numbers are the errors on the full 501-point test grid
assert abs(compared["soft"]["rel_l2"] - soft_hi.rel_l2) <= 1e-6 * soft_hi.rel_l2, (compared, soft_hi.rel_l2)
assert abs(compared["hard"]["rel_l2"] - hard_hi.rel_l2) <= 1e-6 * hard_hi.rel_l2, (compared, hard_hi.rel_l2)
"""),
    code(r"""

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
for ax, (w, s, h) in zip(axes, [(w0, soft, hard), (w0_hard_case, soft_hi, hard_hi)]):
    t = s.axes[0]
    ax.plot(t, s.ref, "k--", lw=1.2, label="exact")
    ax.plot(t, s.pred, lw=1.5, label=f"soft  (rel L2 {s.rel_l2:.1e})")
    ax.plot(t, h.pred, lw=1.5, label=f"hard  (rel L2 {h.rel_l2:.1e})")
    ax.set(title=f"ω0 = {w:g}, d = {d:g}", xlabel="t", ylabel="u")
    ax.legend(fontsize=8)
"""),
    md(r"""
## Result
"""),
    code(r"""
rows = [
    dict(method=f"soft ICs, ω0={w0:g}", setting="equal weights", **{"pinnkit gets": soft.rel_l2}),
    dict(method=f"hard ICs, ω0={w0:g}", setting="u = 1 + t² N(t)", **{"pinnkit gets": hard.rel_l2}),
    dict(method=f"soft ICs, ω0={w0_hard_case:g}", setting="equal weights", **{"pinnkit gets": soft_hi.rel_l2}),
    dict(method=f"hard ICs, ω0={w0_hard_case:g}", setting="u = 1 + t² N(t)", **{"pinnkit gets": hard_hi.rel_l2}),
]
budget = f"{width}×{depth} tanh, Adam {adam_steps} + L-BFGS {lbfgs_steps}, {num_points} points"
for r in rows:
    r["our budget"] = budget
display(Markdown(paper_table(rows, columns=("method", "setting", "pinnkit gets", "our budget"))))
elapsed = time.perf_counter() - started
numbers = record("00_quickstart", rel_l2=hard.rel_l2, rel_l2_soft=soft.rel_l2, rel_l2_hard=hard.rel_l2,
                 rel_l2_soft_hard_case=soft_hi.rel_l2, rel_l2_hard_hard_case=hard_hi.rel_l2,
                 w0=w0, w0_hard_case=w0_hard_case, adam_steps=adam_steps, lbfgs_steps=lbfgs_steps,
                 seconds=elapsed)
print(numbers)
"""),
    code(r"""
# Checks that hold in quick mode as well as in full mode.
assert hard.rel_l2 < 1e-2, hard.rel_l2  # the hard-constrained PINN solves the ω0 = 8 oscillator
if QUICK:  # short budget: the soft PINN is still at the trivial solution (a long L-BFGS run escapes)
    assert soft.rel_l2 > 10 * hard.rel_l2, (soft.rel_l2, hard.rel_l2)
assert soft_hi.rel_l2 > 0.9, soft_hi.rel_l2  # ω0 = 20, soft: stuck near the trivial solution u ≈ 0
assert np.abs(soft_hi.pred).max() < 0.5, np.abs(soft_hi.pred).max()
assert hard_hi.rel_l2 < soft_hi.rel_l2, (hard_hi.rel_l2, soft_hi.rel_l2)
"""),
    md(r"""
**Take-aways.** A PINN solves the oscillator from the equation alone; the residual field
shows where the equation is violated, but a small residual is not a small error. Soft
penalties compete with the residual and can lose to the trivial solution; an output
transform that satisfies the conditions exactly removes that competition. Try larger
`w0_hard_case`, more `adam_steps`, or `hard=True` with `depth=4`.
"""),
]


# ---------------------------------------------------------------------------------------
# 01 Burgers: Raissi et al.'s forward problem
# ---------------------------------------------------------------------------------------
BURGERS = [
    md(r"""
# 01 · Burgers' equation: the original PINN benchmark

**Question.** Raissi, Perdikaris & Karniadakis (J. Comput. Phys. 378, 2019, §3.1) solved the
viscous Burgers equation with a PINN and reported a relative $L^2$ error of
**6.7·10⁻⁴**. How close does pinnkit get on a laptop CPU, in minutes?

$$u_t + u\,u_x - \nu\,u_{xx} = 0,\qquad x\in[-1,1],\ t\in[0,1],\qquad \nu=\frac{0.01}{\pi},$$
$$u(x,0) = -\sin(\pi x),\qquad u(-1,t)=u(1,t)=0.$$

The solution steepens into a near-shock at $x=0$ (width $\sim\nu$). The reference is the
exact Cole–Hopf solution, evaluated by quadrature inside pinnkit on a 256 × 100 grid — the
grid of the paper's `burgers_shock.mat`.

**The paper's setting.** A `[2, 20×8, 1]` tanh network; $N_u=100$ initial/boundary points
as soft penalties, $N_f=10\,000$ Latin-hypercube collocation points; float32; scipy's
L-BFGS-B only (up to 50 000 iterations); about 60 s on a Titan X GPU.

**pinnkit's setting.** The same 8 × 20 tanh network and float32, but

* the initial and boundary conditions are imposed exactly by the output transform
  $u(x,t) = -\sin(\pi x) + (1-x^2)\,t\,N_\theta(x,t)$, so the loss is the mean squared
  residual $\frac1{N_f}\sum_i r_\theta(x_i,t_i)^2$ alone;
* fewer collocation points (scrambled Sobol') and Adam before L-BFGS, to fit a CPU budget
  of 10 minutes on 2 cores.
"""),
    code(r"""
width: int = 20  # neurons per hidden layer (paper: 20)
depth: int = 8  # hidden layers (paper: 8)
num_points: int = 4000  # collocation points (paper: 10 000)
sampler: str = "sobol"  # "sobol", "lhs", "uniform" or "grid"
hard: bool = True  # impose u(x,0) and u(±1,t) exactly (False: soft penalties as in the paper)
condition_points: int = 100  # points per condition when hard is False
adam_steps: int = 2000  # Adam iterations
lr: float = 0.001  # Adam learning rate
lbfgs_steps: int = 4000  # L-BFGS iterations after Adam (upper bound)
dtype: str = "float32"  # "float32" (as the paper) or "float64"
seed: int = 0  # initialisation and sampling seed
threads: int = 1  # torch CPU threads (the 10-minute budget below was measured with 1)
eval_every: int = 250  # steps between relative-L2 evaluations
""", "parameters"),
    code(r"""
import time

import torch
from IPython.display import Markdown, display

from pinnkit import train, zoo
from pinnkit.diagnostics import fields, plot_fields, plot_losses
from pinnkit.models import build_model
from pinnkit.optim import adam, lbfgs
from pinnkit.report import paper_table, quick_mode, record
from pinnkit.sampling import make_sampler

QUICK = quick_mode()
if QUICK:  # a smaller run with the same recipe
    num_points, adam_steps, lbfgs_steps, eval_every = 1000, 300, 300, 100
torch.set_num_threads(threads)
print(f"quick mode: {QUICK}; {num_points} {sampler} points; Adam {adam_steps} + L-BFGS {lbfgs_steps}; "
      f"{dtype}; {threads} thread(s)")
"""),
    code(r"""
problem = zoo.get("burgers", nu=0.01 / torch.pi)
model = build_model(problem, width=width, depth=depth, activation="tanh", seed=seed, hard=hard)
plan = [(adam(lr), adam_steps), (lbfgs(tolerance_grad=1e-12, tolerance_change=0.0), lbfgs_steps)]

wall0, cpu0 = time.perf_counter(), time.process_time()
history = train(problem, model, sampler=make_sampler(sampler, num_points), optimizer=plan,
                condition_points=condition_points, eval_every=eval_every, seed=seed, dtype=dtype,
                progress=False)
wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
rel_l2 = history.final["metric/rel_l2"]
print(f"relative L2 = {rel_l2:.2e} after {history.final['step']} steps ({history.status}); "
      f"training took {wall:.0f} s wall, {cpu:.0f} s CPU")
"""),
    md(r"""
## Prediction, reference, error and residual

The error concentrates at the shock $x=0$, where $u_x\sim 1/\nu$; so does the residual.
"""),
    code(r"""
f = fields(problem, model)
plot_fields(f, "Burgers, ν = 0.01/π");
""", "gallery-figure"),
    code(r"""
plot_losses(history, "loss and relative L2 (Adam, then L-BFGS)");
"""),
    md(r"""
## What makes it hard: sweeping the viscosity

The front's width scales with $\nu$: at $\nu = 0.1/\pi$ the solution stays smooth, at the
paper's $0.01/\pi$ it is ten times steeper. The parameter explorer
(`pinnkit_widgets.Explorer`) trains a smaller 4 × 20 network with the same recipe (hard
conditions, the sampler above, Adam only, one budget) at three viscosities and plots the
final error against $\nu$, with a thumbnail of each run's $|u_\theta-u|$. Opened in
JupyterLab, type other values and press **▶ Sweep** (it trains in a thread; values already
trained come from its cache); run headless the cell trains to the end and shows the result.
Quick runs use a fresh cache folder so that they always train.
"""),
    code(r"""
import tempfile

from pinnkit.recipes import RunConfig
from pinnkit_widgets import Explorer

sweep_steps, sweep_points = (200, 300) if QUICK else (adam_steps, 1000)
nus = [0.1 / torch.pi, 0.03 / torch.pi, 0.01 / torch.pi]
small = RunConfig(problem="burgers", width=20, depth=4, hard=hard, sampler=sampler, num_points=sweep_points,
                  condition_points=condition_points, steps=sweep_steps, lr=lr, dtype=dtype, seed=seed, eval_every=50)
viscosity = Explorer(small, "nu", nus, cache_dir=tempfile.mkdtemp() if QUICK else None)
viscosity.sweep()  # JupyterLab: returns at once and trains in a thread; headless: trains to the end
viscosity
""", "nbval-ignore-output"),
    code(r"""
viscosity.wait()
swept = sorted(viscosity.results.items(), reverse=True)  # ν as typed in the values box (6 digits), largest first
sweep = [r.rel_l2 for _, r in swept]
print(f"{sweep_steps} Adam steps, {sweep_points} points: relative L2",
      ", ".join(f"{e:.2e} at nu = {nu:g}" for (nu, _), e in zip(swept, sweep)), f"({viscosity.trained} trained)")
assert [round(nu * torch.pi, 3) for nu, _ in swept] == [0.1, 0.03, 0.01], swept
assert len(sweep) == 3 and all(0 < e < 1.5 for e in sweep), sweep
assert sweep[0] < sweep[-1], sweep  # the steeper front is harder for the same network and budget
"""),
    md(r"""
## Paper vs pinnkit
"""),
    code(r"""
rows = [dict(method="PINN (Raissi et al. 2019)", **{"paper reports": 6.7e-4},
             setting="8×20 tanh, N_u=100 soft, N_f=10 000 LHS, L-BFGS-B ≤ 50 000 it., float32",
             **{"pinnkit gets": rel_l2},
             **{"our budget": f"{depth}×{width} tanh, {'hard' if hard else 'soft'} IC/BC, {num_points} {sampler}, "
                              f"Adam {adam_steps} + L-BFGS {history.final['step'] - adam_steps}, {dtype}, "
                              f"{threads} thread(s), {wall:.0f} s wall / {cpu:.0f} s CPU"})]
display(Markdown(paper_table(rows)))
numbers = record("01_burgers", rel_l2=rel_l2, paper_rel_l2=6.7e-4, max_abs=history.final["metric/max_abs"],
                 steps=history.final["step"], seconds=wall, cpu_seconds=cpu, threads=threads,
                 num_points=num_points, dtype=dtype, hard=hard, sweep_steps=sweep_steps,
                 sweep_rel_l2_nu_smooth=sweep[0], sweep_rel_l2_nu_mid=sweep[1], sweep_rel_l2_nu_paper=sweep[-1])
print(numbers)
"""),
    code(r"""
# Quick mode (1000 points, 600 steps) lands near 7e-2; the full budget below 5e-3.
assert history.status in ("completed", "stopped"), history.message
assert rel_l2 < (0.25 if QUICK else 5e-3), rel_l2
assert f.rel_l2 == rel_l2 or abs(f.rel_l2 - rel_l2) < 1e-6 * max(1.0, rel_l2)  # same grid, same number
"""),
    md(r"""
**Measured (full mode, defaults above, seed 0, one thread):** relative L2 **1.0·10⁻³**
after 2000 Adam + 4000 L-BFGS steps in 313–422 s of CPU time (two runs, bit-identical
errors; CPU time itself varies with what shares the machine); the error crossed 5·10⁻³
after about 3250 steps (224 s of the 422). Adam alone stalls near 5·10⁻²; L-BFGS does the rest. Wall time
equals CPU time on an idle core and grows with whatever else shares the machine.

**Notes.** The paper's number comes from one run of a soft-constraint PINN with many more
L-BFGS iterations on a GPU; its own error table (8 × 40 network) spans 4.9·10⁻⁴ … 1.2 across
point counts, so single-run numbers at this level vary by a factor of a few with the seed.
Try `hard=False` to see what the soft penalties cost at this budget, `dtype="float64"`
to see whether float32 limits L-BFGS, or `sampler="lhs"`.
"""),
]


NOTEBOOKS = {"notebooks/00_quickstart.ipynb": QUICKSTART, "notebooks/01_burgers.ipynb": BURGERS}


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, c in enumerate(nb.cells):  # stable ids keep diffs small
        c["id"] = f"cell-{i:02d}"
    nbformat.validate(nb)
    return nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report notebooks that differ")
    args = ap.parse_args(argv)
    stale = []
    for rel, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(cells)) + "\n"
        path = ROOT / rel
        if path.exists() and path.read_text() == text:
            continue
        stale.append(rel)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {rel}")
    if args.check and stale:
        print("out of date:", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
