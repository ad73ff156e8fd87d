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
# # 07 · Spectral bias and Fourier features
#
# **Learning goals.** After this lesson you can
# 1. say what *spectral bias* is and see it happen: a network fits the low frequencies of a target first;
# 2. explain why a multi-scale Poisson problem is hard for a plain MLP-PINN;
# 3. fix it with random Fourier features $\gamma(x) = [\cos 2\pi Bx, \sin 2\pi Bx]$ and choose their scale $\sigma$
#    — and break it again with a $\sigma$ that is too large.
#
# **Spectral bias.** Trained by gradient descent, a tanh MLP learns a target's Fourier components roughly in order
# of frequency: the error in mode $k$ decays at a rate set by the eigenvalues of the network's tangent kernel,
# which fall quickly with $k$ (Rahaman et al., ICML 2019; Wang, Wang & Perdikaris, CMAME 384, 2021).
#
# **The problem.** `poisson1d_multiscale`: on $x\in[0,1]$,
# $$-u'' = f,\qquad u(x) = \sin \pi x + \varepsilon \sin a\pi x,\qquad
#   f(x) = \pi^2\sin\pi x + \varepsilon (a\pi)^2 \sin a\pi x,\qquad u(0)=u(1)=0,$$
# with $a = 20$, $\varepsilon = 0.1$. The high mode is small in $u$ but *dominant* in $f$: the second derivative
# multiplies mode $k$ by $(k\pi)^2$, so the residual loss is almost all about the mode the network learns last.
#
# **Fourier features** (Tancik et al., NeurIPS 2020): feed the network $\gamma(s)$ with a fixed random
# $B\in\mathbb R^{m\times d}$, $B_{kl}\sim\mathcal N(0,\sigma^2)$, of the scaled input $s = 2x-1\in[-1,1]$.
# The network then starts from sinusoids of frequencies $\approx\sigma$ (periods per unit of $s$) instead of
# having to build them. Method page: `docs/methods/fourier-features.md`.

# %% tags=["parameters"]
a: float = 20.0  # frequency of the small mode
amplitude: float = 0.1  # its amplitude ε
width: int = 32  # neurons per hidden layer
depth: int = 3  # hidden layers
num_points: int = 256  # collocation points
steps: int = 3000  # Adam steps per run
features: int = 32  # Fourier features m (the embedding has 2m columns)
sigma: float = 1.0  # scale of the Fourier features in the fix
sigmas: list = [0.5, 1.0, 2.0, 3.0]  # σ values of the sweep (seed 0)
seeds: int = 3  # seeds for the claim
fit_steps: int = 1500  # steps of the regression that shows spectral bias
compare_steps: int = 1500  # steps per side of the live compare

# %%
from pinnkit.report import quick_mode, record

QUICK = quick_mode()
if QUICK:  # tests only: a smoke run (the lesson needs the full budget)
    num_points, steps, seeds, fit_steps, compare_steps, sigmas = 64, 150, 1, 200, 60, [1.0, 3.0]
print(f"quick mode: {QUICK}; {steps} steps, {seeds} seed(s)")

# %%
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from pinnkit import RunConfig, sweep, zoo
from pinnkit.course import lesson07 as L
from pinnkit.models import MLP
from pinnkit.report import Claim, fmt, paper_table, store_dir, summary, verdict
from pinnkit.training.evaluate import predict

torch.set_num_threads(1)
WALL0 = time.perf_counter()
problem = zoo.get("poisson1d_multiscale", a=a, amplitude=amplitude)
print(problem.equation)

# %% [markdown]
# ## 1. Spectral bias, seen in a plain fit
#
# No physics yet: fit $u(x) = \sin\pi x + \varepsilon\sin a\pi x$ from 256 samples by least squares, and watch the
# amplitude of each mode in the network, $\hat u_k = 2\int_0^1 u_\theta(x)\sin k\pi x\,dx$.

# %%
xs = torch.linspace(0, 1, 512).unsqueeze(1)
target = torch.sin(torch.pi * xs) + amplitude * torch.sin(a * torch.pi * xs)
net = MLP(1, 1, width, depth, seed=0, low=[0.0], high=[1.0])
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
grid = np.linspace(0, 1, 2001)


def mode(model, k):
    u = predict(model, grid[:, None])[:, 0]
    return 2 * np.trapezoid(u * np.sin(k * np.pi * grid), grid)


trace = {"step": [], "low": [], "high": []}
for step in range(fit_steps + 1):
    if step % 25 == 0:
        trace["step"].append(step)
        trace["low"].append(mode(net, 1) / 1.0)
        trace["high"].append(mode(net, a) / amplitude)
    opt.zero_grad()
    loss = ((net(xs) - target) ** 2).mean()
    loss.backward()
    opt.step()
fig, ax = plt.subplots(figsize=(5.5, 3), constrained_layout=True)
ax.plot(trace["step"], trace["low"], label="mode 1 (sin πx)")
ax.plot(trace["step"], trace["high"], label=f"mode {a:g} (ε sin {a:g}πx)")
ax.axhline(1, color="k", lw=0.8, ls=":")
ax.set_xlabel("Adam step"), ax.set_ylabel("learned / true amplitude"), ax.legend()
plt.show()


def reached(values, level=0.9):
    """First logged step at which a mode's amplitude reaches ``level`` of its true value."""
    hit = [s for s, v in zip(trace["step"], values) if v >= level]
    return hit[0] if hit else None


low_at, high_at = reached(trace["low"]), reached(trace["high"])
print(f"90 % of the amplitude reached: mode 1 at step {low_at}, mode {a:g} at step {high_at}")

# %% [markdown]
# ## 2. The PINN: plain MLP against Fourier features, and a σ sweep
#
# Same network, points, optimiser and steps; only the input changes. The runs go through `pinnkit.sweep`
# (in parallel; a second execution of this notebook finds them in the run store and trains nothing).

# %%
base = RunConfig(problem="poisson1d_multiscale", parameters={"a": a, "amplitude": amplitude}, width=width,
                 depth=depth, num_points=num_points, steps=steps, eval_every=max(steps // 10, 1))
plain = [base.replace(seed=s) for s in range(seeds)]
fourier = [base.replace(seed=s, fourier_features=features, fourier_sigma=sigma) for s in range(seeds)]
sweep_cfgs = [base.replace(fourier_features=features, fourier_sigma=float(sg)) for sg in sigmas]
t0 = time.perf_counter()
# quick mode trains in this process (starting worker processes would cost more than its tiny runs)
done = sweep(plain + fourier + sweep_cfgs, store=store_dir(), executor=ThreadPoolExecutor(1) if QUICK else None)
sweep_seconds = time.perf_counter() - t0
err = [r.metrics["metric/rel_l2"] for r in done]
err_plain, err_ff, err_sigma = err[:seeds], err[seeds:2 * seeds], err[2 * seeds:]
sigma_errors = {float(sg): e for sg, e in zip(sigmas, err_sigma)}
sigma_modes = {float(sg): (mode(r.model, 1), mode(r.model, a) / amplitude) for sg, r in zip(sigmas, done[2 * seeds:])}
display(Markdown(paper_table(
    [{"input": "x (plain MLP)", "rel L2": fmt(err_plain)}, {"input": f"Fourier features, σ = {sigma:g}", "rel L2": fmt(err_ff)}]
    + [{"input": f"Fourier features, σ = {sg:g} (seed 0)", "rel L2": e,
        "mode 1 / true": sigma_modes[sg][0], f"mode {a:g} / true": sigma_modes[sg][1]} for sg, e in sigma_errors.items()],
    columns=("input", "rel L2", "mode 1 / true", f"mode {a:g} / true"))))
print(f"{len(done.trained)} runs trained, {len(done.reused)} from the store, {sweep_seconds:.0f} s")

# %%
fig, ax = plt.subplots(figsize=(6, 3), constrained_layout=True)
xg = grid[:, None]
ax.plot(grid, problem.reference_on(xg)[:, 0], "k", lw=2, label="exact")
ax.plot(grid, predict(done[0].model, xg)[:, 0], label="plain MLP")
ax.plot(grid, predict(done[seeds].model, xg)[:, 0], "--", label=f"Fourier features σ = {sigma:g}")
ax.set_xlabel("x"), ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3. Break it, fix it — live
#
# Measured on a 2-core laptop-class CPU (full budget, 3000 steps, 3 seeds): plain MLP 1.6 [1.1, 4.4], Fourier
# features σ = 1: 6.3e-2 [5.0e-2, 8.8e-2]; in the plain fit, mode 1 reached 90 % of its amplitude by step 25 and
# mode 20 not within 1500 steps.
#
# Left: the plain MLP (break it). Right: Fourier features (fix it). Change σ on the right to 3 or 5 and train
# again: too large a σ breaks it the other way — the network now represents the high mode at once but fits the
# *low* one badly and noisily (see the σ sweep's mode columns above).

# %% tags=["nbval-ignore-output"]
from pinnkit_widgets import Compare

cmp = Compare(base.replace(steps=compare_steps, eval_every=max(compare_steps // 10, 1)), a={},
              b={"fourier_features": features, "fourier_sigma": sigma},
              labels=("break it: plain MLP", f"fix it: Fourier σ = {sigma:g}"))
cmp.train()  # in JupyterLab: returns at once; headless: trains to the end
cmp.panel

# %%
cmp.wait()
live = {row["label"]: row["rel_l2"] for row in cmp.final()}
print(live)
assert all(row["status"] == "completed" for row in cmp.final()), cmp.final()

# %% [markdown]
# ## Exercises
#
# **E1.** In $f$, how many times larger is the amplitude of the high-frequency part than that of the
# low-frequency part (for $a = 20$, $\varepsilon = 0.1$)?

# %%
answer_forcing_ratio = ...  # your answer

# %% tags=["solution"]
answer_forcing_ratio = amplitude * a**2

# %%
L.check_forcing_ratio(answer_forcing_ratio, a=a, amplitude=amplitude)

# %% [markdown]
# **E2.** How many input columns does the first linear layer of the Fourier-feature network have, for
# `features` $= m = 32$ and a 1D problem?

# %%
answer_embedding_width = ...  # your answer

# %% tags=["solution"]
answer_embedding_width = 2 * features

# %%
L.check_embedding_width(answer_embedding_width, num_features=features)

# %% [markdown]
# **E3.** The network sees $s = 2x - 1$. How many periods per unit of $s$ does $\sin(a\pi x)$ have? (Compare with
# the σ values that worked.)

# %%
answer_input_frequency = ...  # your answer

# %% tags=["solution"]
answer_input_frequency = a / 4

# %%
L.check_input_frequency(answer_input_frequency, a=a)

# %% [markdown]
# **E4.** Which σ of the sweep gave the smallest error? (Read the table in section 2.)

# %%
answer_best_sigma = ...  # your answer

# %% tags=["solution"]
answer_best_sigma = min(sigma_errors, key=sigma_errors.get)

# %%
L.check_best_sigma(answer_best_sigma, sigma_errors)

# %% [markdown]
# ## The claim, on the recorded numbers

# %%
checks = [L.check_forcing_ratio(answer_forcing_ratio, a=a, amplitude=amplitude),
          L.check_embedding_width(answer_embedding_width, num_features=features),
          L.check_input_frequency(answer_input_frequency, a=a), L.check_best_sigma(answer_best_sigma, sigma_errors)]
gain = [p / f for p, f in zip(err_plain, err_ff)]
claim = Claim(paper="Tancik et al. 2020; Wang, Wang & Perdikaris 2021",
              claim=f"on poisson1d_multiscale (a = {a:g}, ε = {amplitude:g}) Fourier features (σ = {sigma:g}) lower a "
                    f"plain MLP's relative L2 by ≥ 5× at the same budget (values: the ratio, per seed)",
              values=gain, seeds=seeds, budget=f"{steps} Adam steps, {depth}×{width}, {num_points} points",
              wall_seconds=sweep_seconds,
              verdict=verdict(direction=bool(np.median(gain) > 1), magnitude=bool(min(gain) >= 5)))
numbers = record("07_spectral_bias", steps=steps, seeds=seeds, rel_l2_plain=summary(err_plain),
                 rel_l2_fourier=summary(err_ff), sigma_errors={str(k): v for k, v in sigma_errors.items()},
                 fit_low_step=low_at if low_at is not None else -1, fit_high_step=high_at if high_at is not None else -1,
                 compare=live, checks=[c.ok for c in checks], wall_seconds=time.perf_counter() - WALL0, claims=[claim])
print(f"claim {claim.verdict}: Fourier features / plain = 1 / {np.median(gain):.1f} (median over {seeds} seed(s))")
assert all(checks), checks
if not QUICK:
    assert claim.verdict == "reproduced", claim
    assert low_at is not None and (high_at is None or high_at > low_at), (low_at, high_at)

# %% [markdown]
# **Going deeper.** Gallery [13 · transport and the n-width](../gallery/13_transport_nwidth.ipynb) looks at the
# error spectrum of a failing convection PINN; gallery [12 · ill-conditioning](../gallery/12_ill_conditioning.ipynb)
# shows why the conditioning of $-u''$ grows like the frequency to the fourth power. Try: `features = 8` or `128`;
# `a = 40`; `sigma = 5` with more steps.
