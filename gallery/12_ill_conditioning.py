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
# # 12 · Ill-conditioning: what the condition number of the linearised problem predicts about training
#
# **Question.** De Ryck, Bonnet, Mishra & de Bézenac (ICLR 2024, arXiv 2310.05801) argue that how
# fast a PINN trains is governed by the conditioning of an operator built from the PDE operator
# $\mathcal D$ and the model. Can we compute that number, does it predict the error reached with a
# fixed budget, and does a preconditioner that fixes the number fix the training?
#
# **The matrix.** With $\varphi_i = \partial u(\cdot;\theta)/\partial\theta_i$,
#
# $$A_{ij} = \langle \mathcal D\varphi_i, \mathcal D\varphi_j\rangle_{L^2(\Omega)} + \lambda\,\langle \varphi_i, \varphi_j\rangle_{L^2(\partial\Omega)} ,$$
#
# and gradient descent on the PINN loss, linearised at $\theta$, contracts the error like
# $(1 - c/\kappa(A))^k$. `pinnkit.diagnostics.linearised_operator` forms $A = M^\top M$ from the
# Jacobian $M$ of the weighted residual vector of the PINN loss, so the inner products are the
# loss's own quadrature (means over the collocation points), and returns the spectrum of $A$
# (squared singular values of $M$, in float64) and how the current residual splits over its
# eigen-directions. Eigenvalues below $(\max(\text{rows},P)\,\varepsilon)^2\lambda_{\max}$ — round-off
# for $\sigma^2$ — count as the null space and are left out of $\kappa$.
#
# **The paper's example** (De Ryck et al.'s illustration; its numbers are not quoted here): $-u'' = f$ on $(0,1)$ with the linear model
# $u = \sum_{k=1}^K \theta_k \sin(k\pi x)$ gives $A = \mathrm{diag}((k\pi)^4)/2$, so $\kappa = K^4$;
# the change of parameters $\theta_k \mapsto \theta_k/(k\pi)^2$ makes $A = I/2$ and $\kappa = 1$.
# Gradient descent with its best fixed step $\eta = 1/(\lambda_{\min}+\lambda_{\max})$ contracts every
# mode at least by $(\kappa-1)/(\kappa+1)$ per step: about $\tfrac{\kappa}{2}\ln(1/\mathrm{tol})$ steps.
#
# **A trap for networks.** $A$ depends on $\mathcal D$, the model and the points — **not on the data**
# $f$. For a network on `poisson1d` ($u = \sin(a\pi x)$) the matrix at initialisation, and so
# $\kappa(A)$, is the *same* for every frequency $a$. What changes with $a$ is *where the residual
# sits in the spectrum*. We therefore also report $\kappa_r = \lambda_{\max}/\lambda_j$ for the
# smallest eigenvalue $\lambda_j$ needed to hold 99 % of the initial loss
# (`LinearisedOperator.residual_condition_number`): removing 99 % of the loss by gradient descent
# takes at least about $\kappa_r$ steps.

# %% tags=["parameters"]
modes: list = [2, 4, 8, 16]  # sine-series sizes K (part 1; target u is sin πx + 0.1 sin Kπx)
measured_modes: list = [2, 3, 4, 6]  # K for which gradient descent is also run by the trainer
tolerance: float = 1e-3  # relative L2 error that counts as converged (part 1)
collocation: int = 64  # collocation points for the sine series (part 1)
frequencies: list = [1.0, 2.0, 4.0, 8.0]  # a in poisson1d, u is sin(aπx) (part 2)
width: int = 32  # MLP hidden width (part 2)
depth: int = 3  # MLP hidden layers (part 2)
num_points: int = 128  # collocation points, a uniform grid (part 2)
steps: int = 2000  # Adam steps per run, the same budget for every a (part 2)
lr: float = 1e-3  # Adam learning rate (part 2)
seeds: int = 3  # network initialisations per frequency (median and spread)

# %%
import math, time
import numpy as np
import torch
import matplotlib.pyplot as plt
from scipy.stats import spearmanr
from IPython.display import Markdown, display

from pinnkit import zoo
from pinnkit.diagnostics import SineSeries, linearised_operator, plot_operator_spectrum
from pinnkit.models import build_model
from pinnkit.optim import OptimizerSpec, adam
from pinnkit.report import Claim, verdict, fmt, paper_table, quick_mode, record, spread
from pinnkit.sampling import Grid
from pinnkit.training import EarlyStop, train

torch.set_num_threads(1)
QUICK = quick_mode()
if QUICK:  # smoke test: every closed form in full, the trained runs small
    measured_modes, frequencies, width, depth, steps, seeds = [2], [1.0, 4.0], 20, 3, 200, 1
started = time.perf_counter()


# %% [markdown]
# ## 1. The paper's example: $\kappa = K^4$, and the preconditioner that makes it 1
#
# Target `poisson1d_multiscale(a=K, amplitude=0.1)`: $u = \sin\pi x + 0.1\sin K\pi x$, so the model
# needs all $K$ modes and the error sits in the slowest ($k=1$) and the fastest ($k=K$) direction.
# The sine series satisfies the boundary conditions exactly, so its boundary terms vanish.

# %%
def multiscale(K):
    return zoo.get("poisson1d_multiscale", a=float(K), amplitude=0.1)


all_modes = sorted(set(modes) | set(measured_modes))
points1 = {"residual": Grid(collocation).sample(multiscale(2).domain, np.random.default_rng(0))}
ops = {(K, pre): linearised_operator(multiscale(K), SineSeries(K, precondition=pre), points1)
       for K in all_modes for pre in (False, True)}
kappa_plain = {K: ops[K, False].condition_number() for K in all_modes}
kappa_pre = {K: ops[K, True].condition_number() for K in all_modes}
for K in modes:
    A = ops[K, False].matrix
    assert np.abs(A - np.diag(np.diag(A))).max() < 1e-9 * A.max(), "A must be diagonal"
    ratio = np.diag(A) / (np.arange(1, K + 1) * np.pi) ** 4
    print(f"K={K:2d}: diag(A)/(kπ)⁴ = {ratio.mean():.6f} ± {np.ptp(ratio):.0e}   κ = {kappa_plain[K]:.6g} "
          f"(K⁴ = {K**4})   preconditioned κ = {kappa_pre[K]:.12f}")


# %% [markdown]
# (The constant $65/128 \approx \tfrac12$ is the mean of $\sin^2$ over the 64 interior grid points.)
#
# **Steps to a tolerance.** Gradient descent on this quadratic loss from $\theta = 0$ with step
# $\eta = 1/(\lambda_{\min}+\lambda_{\max})$ multiplies mode $k$'s error by $q_k = 1 - 2\eta\lambda_k$
# each step; the relative L2 error after $n$ steps is $\sqrt{\sum_k c_k^2 q_k^{2n}}/\|c\|$. That gives
# the number of steps for every $K$ in closed form; for small $K$ the trainer also runs it
# (`pinnkit.train`, plain gradient descent, float64, stopped at the tolerance).

# %%
def error_after(op, K, n):
    lam = np.diag(op.matrix)
    q = 1 - 2 * lam / (lam.min() + lam.max())
    c = np.zeros(K)
    c[0], c[K - 1] = 1.0, c[K - 1] + 0.1
    return math.sqrt(float((c**2 * q ** (2.0 * n)).sum() / (c**2).sum()))


def predicted_steps(op, K):
    hi = 1
    while error_after(op, K, hi) >= tolerance:
        hi *= 2
    lo = 0
    while hi - lo > 1:  # error_after(lo) >= tolerance > error_after(hi)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if error_after(op, K, mid) < tolerance else (mid, hi)
    return hi


def measured_steps(K, precondition, cap):
    lam = ops[K, precondition].eigenvalues
    eta = 1 / (lam.min() + lam.max())
    gd = OptimizerSpec("gd", lambda p: torch.optim.SGD(p, lr=eta), options=dict(lr=eta))
    h = train(multiscale(K), SineSeries(K, precondition=precondition), sampler=Grid(collocation), optimizer=gd,
              steps=cap, callbacks=[EarlyStop(tolerance)], eval_every=1, dtype="float64", condition_points=1,
              progress=False)
    return h.final["step"]


steps_plain = {K: predicted_steps(ops[K, False], K) for K in all_modes}
steps_pre = {K: predicted_steps(ops[K, True], K) for K in all_modes}
measured = {K: (measured_steps(K, False, steps_plain[K] + 20), measured_steps(K, True, 20)) for K in measured_modes}
for K in all_modes:
    line = f"K={K:2d}  κ={kappa_plain[K]:8.0f}  steps to rel L2 < {tolerance:g}: plain {steps_plain[K]:7d}   preconditioned {steps_pre[K]}"
    if K in measured:
        line += f"   | trainer: plain {measured[K][0]}, preconditioned {measured[K][1]}"
    print(line)

fig, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
Ks = np.array(all_modes)
ax.loglog(Ks, [steps_plain[K] for K in Ks], "o-", label="plain θ (closed form)")
ax.loglog(Ks, [steps_pre[K] for K in Ks], "s-", label="θ_k/(kπ)² (closed form)")
ax.loglog(list(measured), [m[0] for m in measured.values()], "kx", ms=9, label="trainer, plain")
ax.loglog(list(measured), [m[1] for m in measured.values()], "k+", ms=9, label="trainer, preconditioned")
ax.loglog(Ks, Ks**4 / 2 * math.log(1 / tolerance), "k:", lw=1, label="K⁴/2 · ln(1/tol)")
ax.set_xlabel("modes K")
ax.set_ylabel("gradient-descent steps")
ax.legend(fontsize=7)
plt.show()


# %% [markdown]
# ## 1b. How close must the preconditioner be? $\theta_k \mapsto \theta_k/(k\pi)^p$
#
# The preconditioner above is exact: it inverts $A$'s diagonal completely. Practical preconditioners
# only approximate $A^{-1}$, and the sine series lets us dial how closely. `SineSeries(K, power=p)` is
# $u = \sum_k \theta_k\,(k\pi)^{-p} \sin k\pi x$, for which
# $A_p = \mathrm{diag}\big((k\pi)^{4-2p}\big)/2$ and $\kappa(A_p) = K^{|4-2p|}$: $p = 0$ is the plain
# model, $p = 2$ the exact inverse, $0 < p < 2$ a partial one, and $p > 2$ over-preconditions — the
# scaling overshoots, the *low* modes become the stiff ones, and $\kappa$ grows again, with
# $\kappa(p) = \kappa(4 - p)$. Below, $\kappa$ comes from `linearised_operator(...).condition_number()`
# (pinnkit's own numbers, not the formula), for the largest $K$ of part 1, and the gradient-descent step
# count from the same closed form as above (best fixed step, target $\sin\pi x + 0.1\sin K\pi x$, relative
# $L^2$ error below `tolerance`).
#
# **What it teaches.** An approximate inverse helps in proportion to how close it is: every unit of
# $p$ towards 2 divides $\kappa$ — and the number of steps — by $K^2$, so a preconditioner that gets
# the exponent half right removes half of the *orders of magnitude*, not half of the work. And
# overdoing it hurts exactly as much as falling short by the same amount: $p = 3$ is as slow as
# $p = 1$.
#
# The sliders below ($p$ and $K$, bound with `pn.bind` to the same function that made the curve)
# recompute $\kappa$ and the step count when a live kernel is attached (JupyterLab). Run headless
# (papermill, nbval), the cell leaves a static view at its initial values ($p = 1$, the $K$ above).

# %%
def kappa_and_steps(p, K):
    """κ(A_p) from pinnkit's linearised operator of SineSeries(K, power=p), and the closed-form
    number of gradient-descent steps to rel L2 < tolerance (predicted_steps above)."""
    op = linearised_operator(multiscale(int(K)), SineSeries(int(K), power=float(p)), points1)
    return op.condition_number(), predicted_steps(op, int(K))


K_p = max(modes)
powers = [float(p) for p in np.linspace(0.0, 3.0, 25)]  # steps of 1/8: 0, 1, 1.5, 2, 3 exactly on the grid
sweep = {p: kappa_and_steps(p, K_p) for p in powers}
kappa_power = {p: v[0] for p, v in sweep.items()}
steps_power = {p: v[1] for p, v in sweep.items()}
for p in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
    print(f"K={K_p}  p={p:4.2f}: κ = {kappa_power[p]:10.6g}  (K^|4−2p| = {K_p ** abs(4 - 2 * p):10.6g})"
          f"   GD steps to rel L2 < {tolerance:g}: {steps_power[p]}")

fig, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
fine = np.linspace(0.0, 3.0, 301)
ax.semilogy(powers, [kappa_power[p] for p in powers], "o", ms=4, label="κ(A_p), linearised_operator")
ax.semilogy(fine, float(K_p) ** np.abs(4 - 2 * fine), "k:", lw=1, label="K^|4−2p|")
ax.semilogy(powers, [steps_power[p] for p in powers], "s-", ms=3, label=f"GD steps to rel L2 < {tolerance:g}")
ax.axvline(2.0, color="0.6", lw=0.8)
ax.set_xlabel("p in θ_k ↦ θ_k/(kπ)^p")
ax.set_title(f"K = {K_p}: partial (p < 2) and over- (p > 2) preconditioning", fontsize=9)
ax.legend(fontsize=7)
plt.show()

# the numbers this section computed
assert abs(kappa_power[1.0] / K_p**2 - 1) < 1e-8, kappa_power[1.0]
assert min(kappa_power, key=kappa_power.get) == 2.0 and abs(kappa_power[2.0] - 1) < 1e-8
assert abs(kappa_power[3.0] / kappa_power[1.0] - 1) < 1e-8, (kappa_power[3.0], kappa_power[1.0])
assert all(abs(kappa_power[p] / K_p ** abs(4 - 2 * p) - 1) < 1e-8 for p in powers)
assert kappa_power[0.0] == kappa_plain[K_p] and kappa_power[2.0] == kappa_pre[K_p]  # power 0 / 2 = plain / preconditioned
assert steps_power[0.0] == steps_plain[K_p] and steps_power[2.0] == steps_pre[K_p] == 1
left, right = [steps_power[p] for p in powers if p <= 2], [steps_power[p] for p in powers if p >= 2]
assert all(a > b for a, b in zip(left, left[1:])) and all(a < b for a, b in zip(right, right[1:]))
assert abs(steps_power[3.0] - steps_power[1.0]) <= 1, (steps_power[3.0], steps_power[1.0])

# %% tags=["nbval-ignore-output"]
import panel as pn
import pinnkit_widgets

pinnkit_widgets.setup()  # Panel with inline JavaScript (renders offline); PINNKIT_INLINE=0 loads it from the CDN
p_slider = pn.widgets.FloatSlider(name="p  (θ_k ↦ θ_k/(kπ)^p)", start=0.0, end=3.0, step=0.125, value=1.0)
K_slider = pn.widgets.IntSlider(name="K  (modes)", start=2, end=32, step=1, value=K_p)


def preconditioning_view(p, K):
    kappa, n = kappa_and_steps(p, K)
    kappa0, n0 = kappa_and_steps(0.0, K)
    return pn.pane.Markdown(
        f"**K = {K}, p = {p:g}:** κ(A_p) = {kappa:.6g} (K^|4−2p| = {float(K) ** abs(4 - 2 * p):.6g}); "
        f"gradient descent to rel L2 < {tolerance:g} in **{n}** steps "
        f"(plain, p = 0: κ = {kappa0:.6g}, {n0} steps; exact preconditioner, p = 2: 1 step)", width=620)


print(preconditioning_view(p_slider.value, K_slider.value).object)  # the initial view as text
pn.Column(pn.Row(p_slider, K_slider), pn.bind(preconditioning_view, p_slider, K_slider))

# %% [markdown]
# ## 2. A network: the same $\kappa(A)$ for every frequency, but not the same residual
#
# `poisson1d` with $a \in$ `frequencies`, an MLP (tanh, Xavier) with soft Dirichlet terms, the same
# points, optimiser (Adam) and number of steps for every $a$. At initialisation we compute $A$ for the
# residual and both boundary terms (weight 1, as in the loss), its condition number and $\kappa_r$ of
# the initial residual, and the loss that *linearised* gradient descent with step $1/(2\lambda_{\max})$
# would leave after the same number of steps. Then we train.

# %%
rows = []
spectra = {}
for seed in range(seeds):
    op0 = None
    for a in frequencies:
        problem = zoo.get("poisson1d", a=a)
        model = build_model(problem, width=width, depth=depth, seed=seed)
        pts = {"residual": Grid(num_points).sample(problem.domain, None), "left": np.zeros((1, 1)), "right": np.ones((1, 1))}
        op = linearised_operator(problem, model, pts, reuse=op0)  # A does not depend on a: one Jacobian per seed
        op0 = op0 or op
        if seed == 0:
            spectra[f"a = {a:g}"] = op
        lin = op.predicted_loss(1 / (2 * op.eigenvalues[0]), steps)[0] / op.predicted_loss(0.0, 0)[0]
        h = train(problem, model, sampler=Grid(num_points), optimizer=adam(lr), steps=steps, condition_points=1,
                  eval_every=steps, seed=seed, progress=False)
        rows.append(dict(seed=seed, a=a, kappa=op.condition_number(), kappa_12=op.condition_number(rtol=1e-12),
                         rank=op.rank(), kappa_r=op.residual_condition_number(0.99), linear_loss_ratio=lin,
                         rel_l2=h.final["metric/rel_l2"]))
        r = rows[-1]
        print(f"seed {seed} a={a:g}: κ(A)={r['kappa']:.2e} (cut 1e-12: {r['kappa_12']:.2e}, {r['rank']} of {op.shape[0]} eigenvalues kept)"
              f"  κ_r={r['kappa_r']:.2e}  linearised L/L0 after {steps}: {lin:.2e}  → rel L2 {r['rel_l2']:.2e}")
print(f"elapsed {time.perf_counter() - started:.0f} s")

# %%
fig = plot_operator_spectrum(spectra, title="A at initialisation (seed 0): one spectrum, different residuals")
plt.show()

by_a = {a: [r for r in rows if r["a"] == a] for a in frequencies}
err = {a: spread([r["rel_l2"] for r in by_a[a]]) for a in frequencies}
kr = {a: float(np.median([r["kappa_r"] for r in by_a[a]])) for a in frequencies}
fig, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
for a in frequencies:
    ax.loglog([r["kappa_r"] for r in by_a[a]], [r["rel_l2"] for r in by_a[a]], "o", label=f"a = {a:g}")
ax.set_xlabel("κ_r of the initial residual")
ax.set_ylabel(f"relative L2 after {steps} Adam steps")
ax.legend(fontsize=7)
plt.show()
rho = spearmanr([r["kappa_r"] for r in rows], [r["rel_l2"] for r in rows]).statistic
kappa_same = max(r["kappa"] for r in rows if r["seed"] == 0) / min(r["kappa"] for r in rows if r["seed"] == 0)
for a in frequencies:
    print(f"a={a:g}: κ_r median {kr[a]:.2e}   rel L2 {fmt([r['rel_l2'] for r in by_a[a]])}")
print(f"Spearman rank correlation of κ_r and the error over all runs: {rho:.2f};  κ(A) max/min over a (seed 0): {kappa_same:.3f}")

# %%
K_top = max(all_modes)
conditioning = Claim(
    paper="De Ryck, Bonnet, Mishra & de Bézenac 2024 (ICLR), operator preconditioning",
    claim=f"for −u'' = f with u = Σ θ_k sin kπx the linearised operator has κ = K⁴, the preconditioner "
          f"θ_k/(kπ)² makes κ = 1, and gradient descent needs steps in proportion to κ",
    paper_value=float(K_top**4), values=[kappa_plain[K_top]], seeds=[0],
    budget=f"K = {', '.join(map(str, all_modes))}; gradient descent to rel. L2 {tolerance:g}",
    verdict=verdict(direction=bool(all(steps_plain[a] < steps_plain[b] for a, b in zip(all_modes, all_modes[1:]))
                                   and all(steps_pre[K] == 1 for K in all_modes)),
                    magnitude=bool(all(abs(kappa_plain[K] / K**4 - 1) < 1e-8 for K in all_modes))),
    note=f"value: κ at K = {K_top} (paper: K⁴). Steps to tolerance, plain: "
         + ", ".join(f"K={K}: {steps_plain[K]}" for K in all_modes) + "; preconditioned: 1 for every K.")
print(f"{conditioning.verdict}: {conditioning.note}")
results = record(
    "12_ill_conditioning", claims=[conditioning],
    kappa_sine={str(K): kappa_plain[K] for K in all_modes},
    kappa_sine_preconditioned={str(K): kappa_pre[K] for K in all_modes},
    gd_steps_plain={str(K): steps_plain[K] for K in all_modes},
    gd_steps_preconditioned={str(K): steps_pre[K] for K in all_modes},
    gd_steps_measured={str(K): list(v) for K, v in measured.items()},
    power_modes=K_p,
    kappa_sine_power={f"{p:g}": kappa_power[p] for p in powers},
    gd_steps_power={f"{p:g}": steps_power[p] for p in powers},
    network=dict(width=width, depth=depth, steps=steps, seeds=seeds, points=num_points),
    kappa_network=float(np.median([r["kappa"] for r in rows])),
    kappa_r={str(a): kr[a] for a in frequencies},
    rel_l2={str(a): err[a] for a in frequencies},
    spearman_kappa_r_error=float(rho),
    runs=rows,
)
# the paper's example, exactly
for K in all_modes:
    assert abs(kappa_plain[K] / K**4 - 1) < 1e-8, (K, kappa_plain[K])
    assert abs(kappa_pre[K] - 1) < 1e-8
    assert steps_pre[K] == 1
for K, (n_plain, n_pre) in measured.items():
    assert abs(n_plain - steps_plain[K]) <= 1 and n_pre == 1, (K, n_plain, steps_plain[K], n_pre)
assert all(steps_plain[a] < steps_plain[b] for a, b in zip(all_modes, all_modes[1:]))
# the network: A ignores the data, the residual's place in its spectrum does not
assert kappa_same == 1.0
assert all(kr[a] < kr[b] for a, b in zip(frequencies, frequencies[1:])), kr
assert err[frequencies[-1]][0] > 3 * err[frequencies[0]][0], err
assert rho > 0.5, rho

# %% [markdown]
# **Reading the results.**
#
# - *The example is exact.* $\kappa(A) = K^4$ to round-off, and after the change of parameters
#   $\theta_k \mapsto \theta_k/(k\pi)^2$ it is 1: gradient descent then needs one step, against
#   about $\tfrac{K^4}{2}\ln(1/\mathrm{tol})$ steps without it. The trainer's runs agree with the
#   closed form step for step, because the loss is exactly quadratic in $\theta$ here.
# - *A partial preconditioner buys orders of magnitude in proportion to its exponent.* With
#   $\theta_k \mapsto \theta_k/(k\pi)^p$, pinnkit's $\kappa$ is $K^{|4-2p|}$ to round-off: $K^2$ at $p = 1$,
#   1 at $p = 2$, and $K^2$ again at $p = 3$, where the over-scaled low modes are the slow ones. The step
#   count depends on $\kappa$ alone here: with the default parameters, $p = 1$ at $K = 16$ takes exactly the
#   steps of the plain model at $K = 4$ (both $\kappa = 256$), and $p = 3$ the same as $p = 1$.
# - *For the network, $\kappa(A)$ alone says little.* The spectrum of a tanh network at initialisation
#   decays without a gap over more than 20 orders of magnitude, so $\kappa$ is astronomically large and depends on
#   where one cuts it (compare the default cut with $10^{-12}$), and it is the *same* for every $a$
#   because $A$ does not see $f$. The number that tracks the budgeted error is where the initial
#   residual sits in that spectrum: $\kappa_r$ grows with the frequency, and so does the error after the
#   same number of Adam steps. Adam is not gradient descent, and the network leaves the linear regime,
#   so this is a ranking, not a prediction of the error's value.
# - The preconditioner of part 1 exists because the model's parameters are the coefficients of the
#   operator's eigenfunctions; for a network no such linear map is known in closed form — which is the
#   open problem the paper points at.

# %%
K_top = max(modes)
rows_table = [
    dict(method="κ(A), sine series, −u'' = f", **{"paper reports": "κ ~ K⁴ (their example)",
         "setting": f"K = {K_top}, {collocation} points", "pinnkit gets": f"κ = {kappa_plain[K_top]:.6g} (K⁴ = {K_top**4})",
         "our budget": "closed form"}),
    dict(method="θ_k ↦ θ_k/(kπ)² preconditioning", **{"paper reports": "κ ≈ 1",
         "setting": f"K = {K_top}", "pinnkit gets": f"κ = {kappa_pre[K_top]:.6f}; GD steps {steps_plain[K_top]} → {steps_pre[K_top]}",
         "our budget": f"GD to rel L2 < {tolerance:g}"}),
    dict(method="θ_k ↦ θ_k/(kπ)^p, partial / over-preconditioning", **{"paper reports": "[not reported]",
         "setting": f"K = {K_p}, p = 0, 1, 2, 3", "pinnkit gets": "κ = " + ", ".join(f"{kappa_power[p]:.6g}" for p in (0.0, 1.0, 2.0, 3.0))
         + "; GD steps " + ", ".join(str(steps_power[p]) for p in (0.0, 1.0, 2.0, 3.0)), "our budget": "closed form"}),
    dict(method="GD steps, trainer vs closed form", **{"paper reports": "[not reported]",
         "setting": f"K ∈ {sorted(measured)}", "pinnkit gets": "; ".join(f"K={K}: {m[0]} vs {steps_plain[K]}" for K, m in measured.items()),
         "our budget": "float64 SGD"}),
    dict(method="MLP: κ_r vs error (Spearman)", **{"paper reports": "[not reported]",
         "setting": f"poisson1d a ∈ {frequencies}, {depth}×{width} tanh", "pinnkit gets": f"ρ = {rho:.2f}",
         "our budget": f"Adam {steps} steps, {seeds} seed(s)"}),
] + [
    dict(method=f"MLP poisson1d a = {a:g}", **{"paper reports": "[not reported]", "setting": f"κ_r = {kr[a]:.1e}",
         "pinnkit gets": f"rel L2 {fmt([r['rel_l2'] for r in by_a[a]])}", "our budget": f"Adam {steps} steps"})
    for a in frequencies
]
display(Markdown(paper_table(rows_table)))
print(f"total {time.perf_counter() - started:.0f} s")

# %% [markdown]
# Median and [min, max] over seeds. The paper's numbers for this example are not quoted; the
# statement checked here is the mathematical one, which holds to round-off.
