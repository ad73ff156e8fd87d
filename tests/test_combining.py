"""Gradient combiners: ConFIG's equal-angle property, PCGrad's projections, agreement with
the authors' ``conflictfree`` package, and MultiAdam's scale invariance."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pinnkit.combining import (COMBINERS, ConFIG, MomentumConFIG, MultiAdam, PCGrad, config_direction,
                               cosine_matrix, make_combiner)

conflictfree = pytest.importorskip("conflictfree")


def random_grads(m=3, p=40, seed=0, conflict=True):
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(m, p, generator=g, dtype=torch.float64)
    if conflict:  # make the first two point against each other
        base[1] = -0.7 * base[0] + 0.5 * base[1]
    return base


def as_dict(G):
    return {f"t{i}": G[i] for i in range(len(G))}


def ones(G):
    return {f"t{i}": 1.0 for i in range(len(G))}


def once(combiner, grads, weights, step=1):
    """The direction of one update from a fresh state (stateless use)."""
    direction, _ = combiner.update(grads, weights, combiner.init(list(grads)), step)
    return direction


class Stepper:
    """A combiner with its state threaded through successive updates."""

    def __init__(self, combiner, names):
        self.combiner, self.state = combiner, combiner.init(names)

    def __call__(self, grads, weights, step):
        direction, self.state = self.combiner.update(grads, weights, self.state, step)
        return direction


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("m", [2, 3, 5])
def test_config_equal_positive_cosines(seed, m):
    G = random_grads(m, 60, seed)
    assert (cosine_matrix(G) < 0).any()  # there is a conflict to resolve
    g = config_direction(G)
    cos = (G @ g) / (G.norm(dim=1) * g.norm())
    assert (G @ g > 0).all()
    assert torch.allclose(cos, cos.mean().expand_as(cos), rtol=1e-10, atol=0)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("m", [2, 3, 5])
def test_config_matches_conflictfree(seed, m):
    from conflictfree.grad_operator import ConFIG_update

    G = random_grads(m, 60, seed)
    ours = once(ConFIG(), as_dict(G), ones(G))
    theirs = ConFIG_update(G.float())  # conflictfree works in float32
    assert torch.allclose(ours.float(), theirs, rtol=1e-4, atol=1e-5)
    assert torch.allclose(once(ConFIG(), as_dict(G.float()), ones(G)), theirs, rtol=1e-4, atol=1e-5)


def test_config_two_terms_closed_form():
    # ConFIG for two losses (Liu, Chu & Thuerey 2025): O(g1,g2) = g2 − (g1·g2/‖g1‖²) g1, g_v = U(U(O(g1,g2)) + U(O(g2,g1))), g = (g1·g_v + g2·g_v) g_v
    G = random_grads(2, 30, 7)
    g1, g2 = G
    U = lambda v: v / v.norm()  # noqa: E731
    O = lambda a, b: b - (a @ b) / (a @ a) * a  # noqa: E731
    gv = U(U(O(g1, g2)) + U(O(g2, g1)))
    assert torch.allclose(config_direction(G), (g1 @ gv + g2 @ gv) * gv, rtol=1e-10)


def test_config_uses_weighted_gradients():
    G = random_grads(3, 30, 1)
    w = {"t0": 1.0, "t1": 5.0, "t2": 0.5}
    scaled = torch.stack([G[0], 5 * G[1], 0.5 * G[2]])
    assert torch.allclose(once(ConFIG(), as_dict(G), w), config_direction(scaled), rtol=1e-12)


def test_pcgrad_removes_conflicting_component():
    g1 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    g2 = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    out = once(PCGrad(shuffle=False), {"a": g1, "b": g2}, {"a": 1.0, "b": 1.0})
    # g1 projected on the normal plane of g2: g1 − (g1·g2/‖g2‖²) g2 = (0.5, 0.5); g2 on that of g1: (0, 1)
    assert torch.allclose(out, torch.tensor([0.5, 1.5], dtype=torch.float64))
    p1 = g1 - (g1 @ g2) / (g2 @ g2) * g2
    assert abs(float(p1 @ g2)) < 1e-15


def test_pcgrad_leaves_agreeing_gradients_alone():
    G = torch.tensor([[1.0, 0.2], [0.5, 1.0]], dtype=torch.float64)
    out = once(PCGrad(), as_dict(G), ones(G), 3)
    assert torch.equal(out, G.sum(0))


@pytest.mark.parametrize("seed", range(4))
def test_pcgrad_matches_conflictfree_in_fixed_order(seed):
    from conflictfree.grad_operator import PCGradOperator

    G = random_grads(4, 50, seed)
    ours = once(PCGrad(shuffle=False), as_dict(G), ones(G))
    theirs = PCGradOperator().calculate_gradient(G).double()
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_pcgrad_shuffle_is_seeded():
    G = random_grads(4, 50, 2)
    a = once(PCGrad(seed=1), as_dict(G), ones(G), 5)
    b = once(PCGrad(seed=1), as_dict(G), ones(G), 5)
    assert torch.equal(a, b)


def test_momentum_config_matches_conflictfree():
    from conflictfree.momentum_operator import PseudoMomentumOperator

    m, p = 3, 40
    ours = Stepper(MomentumConFIG(), [f"t{i}" for i in range(m)])
    theirs = PseudoMomentumOperator(num_vectors=m)
    for step in range(1, 13):
        G = random_grads(m, p, 100 + step)
        i = (step - 1) % m
        a = ours(as_dict(G), ones(G), step)
        b = theirs.calculate_gradient(i, G[i].float())  # conflictfree keeps float32 state
        assert torch.allclose(a.float(), b, rtol=1e-4, atol=1e-6), step
        if step < m:
            assert torch.count_nonzero(a) == 0


def test_momentum_config_reads_one_gradient_per_step():
    read = []

    class Spy(dict):
        def __getitem__(self, k):
            read.append(k)
            return dict.__getitem__(self, k)

    G = random_grads(3, 10, 0)
    mc = Stepper(MomentumConFIG(), list(as_dict(G)))
    for step in range(1, 5):
        read.clear()
        mc(Spy(as_dict(G)), ones(G), step)
        assert read == [f"t{(step - 1) % 3}"]


def _run_multiadam(scale, eps, steps=5, seed=0):
    ma = Stepper(MultiAdam(eps=eps), ["t0", "t1", "t2"])
    out = []
    for step in range(1, steps + 1):
        G = random_grads(3, 40, seed + step)
        w = {"t0": 1.0, "t1": scale, "t2": 1.0}
        out.append(ma(as_dict(G), w, step))
    return torch.stack(out)


@pytest.mark.parametrize("scale", [1e-3, 100.0, 1e4])
def test_multiadam_scale_invariance_exact_without_eps(scale):
    assert torch.allclose(_run_multiadam(scale, 0.0), _run_multiadam(1.0, 0.0), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("scale", [100.0, 1e4])
def test_multiadam_scale_invariance_with_default_eps(scale):
    # ε = 1e-8 is absolute, so entries with small second moments move by about ε/√v̂
    diff = (_run_multiadam(scale, 1e-8) - _run_multiadam(1.0, 1e-8)).abs().max()
    assert diff < 1e-6


def test_adam_direction_is_not_scale_invariant():
    """The contrast: Adam's first step on Σ w_i g_i changes when one term is scaled."""
    def adam_first_steps(scale):
        theta = torch.zeros(40, dtype=torch.float64)
        m = v = torch.zeros(40, dtype=torch.float64)
        for step in range(1, 6):  # Adam (Kingma & Ba), lr 1
            G = random_grads(3, 40, step)
            g = G[0] + scale * G[1] + G[2]
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g**2
            theta = theta - (m / (1 - 0.9**step)) / (torch.sqrt(v / (1 - 0.999**step)) + 1e-8)
        return theta

    d = (adam_first_steps(1e4) - adam_first_steps(1.0)).norm() / adam_first_steps(1.0).norm()
    assert d > 0.1


def test_multiadam_groups():
    G = random_grads(3, 20, 3)
    grads = {"residual": G[0], "left": G[1], "right": G[2]}
    w = {k: 1.0 for k in grads}
    ma = MultiAdam(groups="pde_vs_conditions", betas=(0.0, 0.0), eps=0.0)
    d = once(ma, grads, w)
    # with betas 0 each group's direction is sign(G_g); average of the two groups
    expected = 0.5 * torch.sign(G[0]) + 0.5 * torch.sign(G[1] + G[2])
    assert torch.allclose(d, expected)
    with pytest.raises(ValueError, match="every term"):
        MultiAdam(groups={"a": ["residual"]}).init(list(grads))
    with pytest.raises(ValueError):
        MultiAdam(groups="bogus")


def test_registry():
    assert set(COMBINERS) == {"pcgrad", "config", "mconfig", "multiadam"}
    assert isinstance(make_combiner("config"), ConFIG)
    with pytest.raises(ValueError, match="unknown combiner"):
        make_combiner("nope")


def test_multiadam_through_the_trainer_is_scale_invariant(small_oscillator):
    """End to end: multiplying the initial-condition term by 10⁴ leaves MultiAdam's first
    update unchanged (to round-off) while Adam's changes. Later steps drift apart slowly:
    entries whose gradient is ~1e-10 (below ε, or at the noise floor) are normalised
    differently, so the trajectory is not bit-identical — but it stays far closer than
    Adam's."""
    from pinnkit import train
    from pinnkit.balancing import static
    from pinnkit.models import MLP
    from pinnkit.optim import adam, sgd

    def final(scale, multi, steps):
        model = MLP(1, 1, 8, 2, seed=0)
        train(small_oscillator, model, balancer=static(initial=scale), steps=steps, progress=False, seed=0,
              dtype="float64", eval_every=steps, metrics=None,
              optimizer=sgd(1e-2) if multi else adam(1e-2), combine=MultiAdam() if multi else None)
        return torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    rel = lambda a, b: float((a - b).norm() / a.norm())  # noqa: E731
    assert rel(final(1.0, True, 1), final(1e4, True, 1)) < 1e-9
    assert rel(final(1.0, False, 1), final(1e4, False, 1)) > 1e-2
    multi, plain = rel(final(1.0, True, 15), final(1e4, True, 15)), rel(final(1.0, False, 15), final(1e4, False, 15))
    assert plain > 0.1 and multi < plain / 20, (multi, plain)


@pytest.mark.parametrize("name", ["pcgrad", "config", "mconfig"])
def test_combiners_train_through_the_trainer(name, small_oscillator):
    """150 steps on the gentle oscillator: plain Adam (lr 1e-2) is still at rel L2 ≈ 0.97
    here; each combiner gets well below that (measured 0.14, 0.21, 0.44)."""
    from pinnkit import train
    from pinnkit.models import MLP
    from pinnkit.optim import adam, sgd

    model = MLP(1, 1, 16, 2, seed=0)
    h = train(small_oscillator, model, combine=make_combiner(name), optimizer=sgd(1e-2) if name == "mconfig" else adam(1e-2),
              steps=150, progress=False, seed=0, eval_every=150)
    assert h.status == "completed"
    assert h.final["metric/rel_l2"] < 0.6


# -- the one contract every combiner keeps ----------------------------------------------------
@pytest.mark.parametrize("name", sorted(COMBINERS))
def test_combiner_contract(name):
    """init/update with explicit state: the direction has the gradients' shape and is
    finite, ``update`` leaves the state it is given untouched (the same state gives the
    same direction again), and a run threaded through the returned states is repeatable."""
    import copy

    names = ["residual", "initial", "left"]
    c = make_combiner(name)
    state0 = c.init(names)
    grads = [dict(zip(names, random_grads(3, 25, s))) for s in range(1, 6)]
    w = {n: 1.0 for n in names}

    def run():
        state, out = c.init(names), []
        for step, g in enumerate(grads, start=1):
            d, state = c.update(g, w, state, step)
            out.append(d)
        return torch.stack(out), state

    a, state = run()
    b, _ = run()
    assert torch.equal(a, b)
    assert a.shape == (5, 25) and torch.isfinite(a).all()
    frozen = copy.deepcopy(state)
    d1, _ = c.update(grads[0], w, state, 6)
    d2, _ = c.update(grads[0], w, state, 6)
    assert torch.equal(d1, d2)
    assert repr(frozen) == repr(state)  # untouched
    assert state0 is None or isinstance(state0, dict)


@pytest.mark.parametrize("name", ["pcgrad", "config"])
def test_combined_direction_descends_the_summed_loss(name):
    """For conflicting gradients the combined step still lowers Σ L_i to first order."""
    for seed in range(5):
        G = random_grads(3, 40, seed)
        d = once(make_combiner(name), as_dict(G), ones(G))
        assert float(d @ G.sum(0)) > 0


def test_trainer_refuses_a_bare_callable(small_oscillator):
    from pinnkit import train
    from pinnkit.models import MLP

    with pytest.raises(ValueError, match="Combiner"):
        train(small_oscillator, MLP(1, 1, 4, 1), steps=1, progress=False, combine=lambda g, w, s: g["residual"])
