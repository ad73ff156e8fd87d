"""Every balancer in BALANCERS passes one contract; schemes that promise to up-weight the
term with the smaller gradient must do so; the individual update rules give the numbers
their papers define."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pinnkit import balancing as B
from pinnkit.balancing import BALANCERS, Context, chain, ema, grad_norm, make_balancer, ntk_trace, static

#: keyword options for registry entries that need some
OPTIONS = {"static": {"scales": {"boundary": 2.0}}, "ntk": {"every": 1}}
TRAIN_OPTIONS = {"ntk": {"every": 5}}


class Toy:
    """Two terms from the same linear model r = c (Xθ − y): ``residual`` with c = 10 and
    ``boundary`` with c = 1, so ‖∇L_residual‖ = 100 ‖∇L_boundary‖ (L = mean r²)."""

    def __init__(self, scale_res=10.0, scale_bc=1.0, seed=0, decay=1.0):
        g = torch.Generator().manual_seed(seed)
        self.X = torch.randn(40, 5, generator=g, dtype=torch.float64)
        self.y = torch.randn(40, 1, generator=g, dtype=torch.float64)
        self.theta = torch.randn(5, 1, generator=g, dtype=torch.float64).requires_grad_(True)
        self.c = {"residual": scale_res, "boundary": scale_bc}
        self.decay = decay

    def pointwise(self, name):
        return self.c[name] * (self.X @ self.theta - self.y)

    def ctx(self, step=1, losses_scale=None):
        s = losses_scale or {}
        losses = {n: s.get(n, 1.0) * (self.pointwise(n) ** 2).mean() for n in ("residual", "boundary")}
        return Context(step, losses, [self.theta], pointwise=self.pointwise)


def ones():
    return {"residual": 1.0, "boundary": 1.0}


def run(b, steps=3, toy=None, scales=None):
    toy = toy or Toy()
    state = b.init(["residual", "boundary"])
    w = None
    for k in range(1, steps + 1):
        w, state = b.update(ones(), state, toy.ctx(k, (scales or {}).get(k)))
    return w, state


@pytest.mark.parametrize("name", sorted(BALANCERS))
def test_contract(name):
    b = make_balancer(name, **OPTIONS.get(name, {}))
    toy = Toy()
    state = b.init(["residual", "boundary"])
    # a few steps with losses that change, so every scheme has history
    for k in range(1, 4):
        w, state = b.update(ones(), state, toy.ctx(k, {"boundary": 1.0 / k}))
        assert set(w) == {"residual", "boundary"}
        for v in w.values():
            assert type(v) is float, f"{name} returned {type(v)}"
            assert math.isfinite(v) and v > 0, f"{name} returned weight {v}"
    # explicit state: the same update from the same state gives the same result
    ctx = toy.ctx(4, {"boundary": 0.2})
    w1, s1 = b.update(ones(), state, ctx)
    w2, s2 = b.update(ones(), state, ctx)
    assert w1 == w2
    assert repr(s1) == repr(s2)


def test_registry_has_the_documented_schemes():
    assert {"static", "lra", "lra_code", "grad_norm", "ntk", "relobralo", "softadapt", "ema"} <= set(BALANCERS)
    with pytest.raises(ValueError, match="unknown balancer"):
        make_balancer("gradnorm_typo")


@pytest.mark.parametrize("name", [n for n in sorted(BALANCERS)
                                  if getattr(make_balancer(n, **OPTIONS.get(n, {})), "upweights_small_gradients", False)])
def test_direction_smaller_gradient_gets_larger_weight(name):
    b = make_balancer(name, **OPTIONS.get(name, {}))
    toy = Toy()
    g_res, g_bc = (toy.ctx().grad(n).norm().item() for n in ("residual", "boundary"))
    assert g_res / g_bc == pytest.approx(100.0, rel=1e-9)
    w, _ = run(b, steps=2, toy=toy)
    small_first = w["boundary"] / w["residual"]
    # and swapped: the scheme follows the gradients, not the names
    w, _ = run(make_balancer(name, **OPTIONS.get(name, {})), steps=2, toy=Toy(scale_res=1.0, scale_bc=10.0))
    small_second = w["boundary"] / w["residual"]
    assert small_first > 1 > small_second, f"{name}: {small_first}, {small_second}"
    assert small_first > 10 * small_second, f"{name}: {small_first}, {small_second}"


def test_every_gradient_balancer_claims_its_direction():
    for name in ("lra", "lra_code", "grad_norm", "ntk"):
        assert make_balancer(name, **OPTIONS.get(name, {})).upweights_small_gradients


def test_lra_paper_rule_numbers():
    toy = Toy()
    ctx = toy.ctx()
    est = (ctx.grad("residual").abs().max() / ctx.grad("boundary").abs().mean()).item()
    b = B.lra()  # alpha = 0.9 on the new estimate, every step
    w, s = b.update(ones(), b.init(["residual", "boundary"]), ctx)
    assert w["boundary"] == pytest.approx(0.1 + 0.9 * est, rel=1e-12)
    assert w["residual"] == 1.0
    w2, _ = b.update(ones(), s, toy.ctx(2))
    assert w2["boundary"] == pytest.approx(0.1 * w["boundary"] + 0.9 * est, rel=1e-12)


def test_lra_code_rule_numbers_and_schedule():
    toy = Toy()
    b = B.lra(rule="code")  # old value weighted 0.9, every 10 steps, weighted denominator
    state = b.init(["residual", "boundary"])
    ctx = toy.ctx(1)
    est = (ctx.grad("residual").abs().max() / (1.0 * ctx.grad("boundary")).abs().mean()).item()
    w, state = b.update(ones(), state, ctx)
    lam1 = 0.9 + 0.1 * est
    assert w["boundary"] == pytest.approx(lam1, rel=1e-12)
    for k in range(2, 11):  # no update on steps 2..10
        w, state = b.update(ones(), state, toy.ctx(k))
        assert w["boundary"] == pytest.approx(lam1, rel=1e-12)
    w, state = b.update(ones(), state, toy.ctx(11))
    assert w["boundary"] == pytest.approx(0.9 * lam1 + 0.1 * est / lam1, rel=1e-12)


def test_grad_norm_equalises_weighted_gradient_norms():
    toy = Toy()
    w, _ = run(grad_norm(), steps=1, toy=toy)
    ctx = toy.ctx()
    a = w["residual"] * ctx.grad("residual").norm().item()
    b = w["boundary"] * ctx.grad("boundary").norm().item()
    assert a == pytest.approx(b, rel=1e-12)


def test_ntk_trace_exact_and_hutchinson():
    toy = Toy()
    r = toy.pointwise("residual")
    J = torch.stack([torch.autograd.grad(r[i, 0], toy.theta, retain_graph=True)[0].reshape(-1) for i in range(len(r))])
    exact = float(torch.trace(J @ J.T))
    assert ntk_trace(r, [toy.theta]) == pytest.approx(exact, rel=1e-12)
    est = ntk_trace(r, [toy.theta], probes=400, seed=3)
    assert est == pytest.approx(exact, rel=0.15)
    assert est != pytest.approx(exact, rel=1e-9)  # it really is an estimate


def test_ntk_weights_are_trace_ratios():
    toy = Toy()
    w, _ = run(B.ntk(every=1), steps=1, toy=toy)
    t = {n: ntk_trace(toy.pointwise(n), [toy.theta]) for n in ("residual", "boundary")}
    total = sum(t.values())
    assert w["residual"] == pytest.approx(total / t["residual"], rel=1e-12)
    assert w["boundary"] == pytest.approx(total / t["boundary"], rel=1e-12)
    assert w["boundary"] / w["residual"] == pytest.approx(100.0, rel=1e-9)  # traces scale with c²


def test_ntk_without_pointwise_is_a_clear_error():
    toy = Toy()
    ctx = Context(1, toy.ctx().losses, [toy.theta])
    with pytest.raises(ValueError, match="per-point residuals"):
        B.ntk(every=1).update(ones(), B.ntk().init(["residual", "boundary"]), ctx)


def test_relobralo_and_softadapt_upweight_the_stagnating_loss():
    # boundary loss stagnates while the residual loss falls 10× per step
    toy = Toy()
    scales = {k: {"residual": 10.0 ** (-k)} for k in range(1, 6)}
    for b in (B.relobralo(alpha=0.9, expected_rho=0.5), B.softadapt(beta=10.0, variant="normalized")):
        w, _ = run(b, steps=5, toy=toy, scales=scales)
        assert w["boundary"] > w["residual"], f"{type(b).__name__}: {w}"


def test_ema_smooths():
    e = ema(0.5)
    s = e.init(["a"])
    w, s = e.update({"a": 4.0}, s, None)
    assert w == {"a": 4.0}
    w, s = e.update({"a": 0.0}, s, None)
    assert w == {"a": 2.0}
    w, s = e.update({"a": 0.0}, s, None)
    assert w == {"a": 1.0}


def test_chain_static_grad_norm_ema_composes():
    toy = Toy()
    c = chain(static(boundary=10.0), grad_norm(), ema(0.5))
    state = c.init(["residual", "boundary"])
    w1, state = c.update(ones(), state, toy.ctx(1))
    ctx = toy.ctx(1)
    gr, gb = ctx.grad("residual").norm().item(), ctx.grad("boundary").norm().item()
    # static sets relative importance 10, grad_norm equalises, so the weighted norms differ by 10×
    assert w1["boundary"] * gb / (w1["residual"] * gr) == pytest.approx(10.0, rel=1e-12)
    lam = {"residual": (gr + gb) / gr, "boundary": 10 * (gr + gb) / gb}
    assert w1 == pytest.approx(lam, rel=1e-12)
    # second step with a doubled boundary scale halves its grad_norm factor; ema averages
    w2, _ = c.update(ones(), state, toy.ctx(2, {"boundary": 2.0}))
    gb2 = 2 * gb
    new_b = 10 * (gr + gb2) / gb2
    assert w2["boundary"] == pytest.approx(0.5 * lam["boundary"] + 0.5 * new_b, rel=1e-12)


@pytest.mark.parametrize("bad", [dict(rule="other"), dict(alpha=1.5), dict(every=0), dict(alpha=float("nan"))])
def test_lra_rejects_bad_options(bad):
    with pytest.raises(ValueError):
        B.lra(**bad)


def test_bad_options_are_rejected():
    with pytest.raises(ValueError):
        B.ema(1.0)
    with pytest.raises(ValueError):
        B.relobralo(temperature=0)
    with pytest.raises(ValueError):
        B.softadapt(variant="x")
    with pytest.raises(ValueError):
        B.ntk(every=0)
    with pytest.raises(ValueError, match="probes"):
        ntk_trace(Toy().pointwise("residual"), [Toy().theta], probes=0)
    with pytest.raises(ValueError, match="reference"):
        B.lra(reference="nope").init(["residual", "boundary"])


@pytest.mark.parametrize("name", ["lra", "lra_code", "ntk", "relobralo", "softadapt"])
def test_balancers_train_through_the_trainer(name, small_oscillator):
    from pinnkit import train
    from pinnkit.models import MLP

    model = MLP(1, 1, 16, 2, seed=0)
    from pinnkit.sampling import Uniform

    h = train(small_oscillator, model, balancer=make_balancer(name, **TRAIN_OPTIONS.get(name, OPTIONS.get(name, {}))),
              sampler=Uniform(64), condition_points=16, steps=12, progress=False, eval_every=12, seed=0)
    assert h.status == "completed"
    ws = h.where("weight/initial")[1]
    assert np.all(np.isfinite(ws)) and np.all(np.asarray(ws) > 0)
    if name in ("lra", "ntk"):
        assert not np.allclose(ws, 1.0)  # the scheme actually changed the weight
