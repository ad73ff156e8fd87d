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
# # 01 · Burgers' equation: the original PINN benchmark
#
# **Question.** Raissi, Perdikaris & Karniadakis (J. Comput. Phys. 378, 2019, §3.1) solved the
# viscous Burgers equation with a PINN and reported a relative $L^2$ error of
# **6.7·10⁻⁴**. How close does pinnkit get on a laptop CPU, in minutes?
#
# $$u_t + u\,u_x - \nu\,u_{xx} = 0,\qquad x\in[-1,1],\ t\in[0,1],\qquad \nu=\frac{0.01}{\pi},$$
# $$u(x,0) = -\sin(\pi x),\qquad u(-1,t)=u(1,t)=0.$$
#
# The solution steepens into a near-shock at $x=0$ (width $\sim\nu$). The reference is the
# exact Cole–Hopf solution, evaluated by quadrature inside pinnkit on a 256 × 100 grid — the
# grid of the paper's `burgers_shock.mat`.
#
# **The paper's setting.** A `[2, 20×8, 1]` tanh network; $N_u=100$ initial/boundary points
# as soft penalties, $N_f=10\,000$ Latin-hypercube collocation points; float32; scipy's
# L-BFGS-B only (up to 50 000 iterations); about 60 s on a Titan X GPU.
#
# **pinnkit's setting.** The same 8 × 20 tanh network and float32, but
#
# * the initial and boundary conditions are imposed exactly by the output transform
#   $u(x,t) = -\sin(\pi x) + (1-x^2)\,t\,N_\theta(x,t)$, so the loss is the mean squared
#   residual $\frac1{N_f}\sum_i r_\theta(x_i,t_i)^2$ alone;
# * fewer collocation points (scrambled Sobol') and Adam before L-BFGS, to fit a CPU budget
#   of 10 minutes on 2 cores.

# %% tags=["parameters"]
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

# %%
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

# %%
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

# %% [markdown]
# ## Prediction, reference, error and residual
#
# The error concentrates at the shock $x=0$, where $u_x\sim 1/\nu$; so does the residual.

# %% tags=["gallery-figure"]
f = fields(problem, model)
plot_fields(f, "Burgers, ν = 0.01/π");

# %%
plot_losses(history, "loss and relative L2 (Adam, then L-BFGS)");

# %% [markdown]
# ## What makes it hard: sweeping the viscosity
#
# The front's width scales with $\nu$: at $\nu = 0.1/\pi$ the solution stays smooth, at the
# paper's $0.01/\pi$ it is ten times steeper. The parameter explorer
# (`pinnkit_widgets.Explorer`) trains a smaller 4 × 20 network with the same recipe (hard
# conditions, the sampler above, Adam only, one budget) at three viscosities and plots the
# final error against $\nu$, with a thumbnail of each run's $|u_\theta-u|$. Opened in
# JupyterLab, type other values and press **▶ Sweep** (it trains in a thread; values already
# trained come from its cache); run headless the cell trains to the end and shows the result.
# Quick runs use a fresh cache folder so that they always train.

# %% tags=["nbval-ignore-output"]
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

# %%
viscosity.wait()
swept = sorted(viscosity.results.items(), reverse=True)  # ν as typed in the values box (6 digits), largest first
sweep = [r.rel_l2 for _, r in swept]
print(f"{sweep_steps} Adam steps, {sweep_points} points: relative L2",
      ", ".join(f"{e:.2e} at nu = {nu:g}" for (nu, _), e in zip(swept, sweep)), f"({viscosity.trained} trained)")
assert [round(nu * torch.pi, 3) for nu, _ in swept] == [0.1, 0.03, 0.01], swept
assert len(sweep) == 3 and all(0 < e < 1.5 for e in sweep), sweep
assert sweep[0] < sweep[-1], sweep  # the steeper front is harder for the same network and budget

# %% [markdown]
# ## Paper vs pinnkit

# %%
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

# %%
# Quick mode (1000 points, 600 steps) lands near 7e-2; the full budget below 5e-3.
assert history.status in ("completed", "stopped"), history.message
assert rel_l2 < (0.25 if QUICK else 5e-3), rel_l2
assert f.rel_l2 == rel_l2 or abs(f.rel_l2 - rel_l2) < 1e-6 * max(1.0, rel_l2)  # same grid, same number

# %% [markdown]
# **Measured (full mode, defaults above, seed 0, one thread):** relative L2 **1.0·10⁻³**
# after 2000 Adam + 4000 L-BFGS steps in 313–422 s of CPU time (two runs, bit-identical
# errors; CPU time itself varies with what shares the machine); the error crossed 5·10⁻³
# after about 3250 steps (224 s of the 422). Adam alone stalls near 5·10⁻²; L-BFGS does the rest. Wall time
# equals CPU time on an idle core and grows with whatever else shares the machine.
#
# **Notes.** The paper's number comes from one run of a soft-constraint PINN with many more
# L-BFGS iterations on a GPU; its own error table (8 × 40 network) spans 4.9·10⁻⁴ … 1.2 across
# point counts, so single-run numbers at this level vary by a factor of a few with the seed.
# Try `hard=False` to see what the soft penalties cost at this budget, `dtype="float64"`
# to see whether float32 limits L-BFGS, or `sampler="lhs"`.
