"""PINNsFormer (Zhao, Ding & Prakash, ICLR 2024): the pseudo-sequence, shapes, the parameter
count at the paper's size against the layer-by-layer formula, derivatives through every
engine against nested autograd of the same model (the Taylor engines fall back to reverse
mode and say so, in ``describe`` and in ``history.meta``), the sequence loss against its
definition (residual and boundary terms over all tokens, the initial condition on the
first), a RunConfig build, and a short training that lowers the loss."""
from __future__ import annotations

import pytest
import torch

from pinnkit import RunConfig, zoo
from pinnkit.losses import loss_terms
from pinnkit.models import MODELS, HardConstraint, build_model
from pinnkit.models.activations import Wavelet
from pinnkit.models.engines import ENGINES, get_engine
from pinnkit.models.pinnsformer import PINNsFormer, pinnsformer_parameter_count
from pinnkit.problems import Derivatives
from pinnkit.problems.jets import jet_of
from pinnkit.recipes import build
from pinnkit.training import train
from pinnkit.optim import adam

SPECS = ("x", "t", "xx", "xt", "tt")


def small(**kw) -> PINNsFormer:
    opts = dict(k=3, dt=1e-2, heads=2, d_ff=12, d_hidden=10)
    opts.update(kw)
    return PINNsFormer(2, 1, 8, 1, "wavelet", 3, **opts)


def test_tokens_are_time_shifted_copies_and_the_prediction_is_the_first():
    m = small(dt=0.25, k=4)
    x = torch.tensor([[0.5, 0.1], [2.0, 0.7]])
    seq = m.tokens(x)
    assert seq.shape == (2, 4, 2)
    assert torch.equal(seq[:, :, 0], x[:, :1].expand(2, 4))
    assert torch.allclose(seq[:, :, 1], x[:, 1:] + torch.tensor([0.0, 0.25, 0.5, 0.75]))
    out = m.sequence(x)
    assert out.shape == (2, 4, 1) and torch.equal(m(x), out[:, 0])
    assert not torch.allclose(out[:, 0], out[:, 1])  # the tokens see different times
    two = PINNsFormer(3, 2, 8, 2, "tanh", k=2, d_ff=4, d_hidden=4)
    assert two(torch.rand(5, 3)).shape == (5, 2) and two.sequence(torch.rand(5, 3)).shape == (5, 2, 2)


def test_parameter_count_at_the_papers_size_and_the_formula():
    paper = PINNsFormer(2, 1, 32, 1, "wavelet", heads=2, k=5, d_ff=256, d_hidden=512)
    assert sum(p.numel() for p in paper.parameters()) == 453_561 == pinnsformer_parameter_count()
    assert sum(isinstance(m, Wavelet) for m in paper.modules()) == 12  # 4 per layer, 1 per stack, 2 in the head
    one_head = PINNsFormer(2, 1, 32, 1, "wavelet", heads=1)
    assert sum(p.numel() for p in one_head.parameters()) == 453_561  # heads split d_model, add nothing
    m = PINNsFormer(3, 2, 12, 2, "tanh", heads=3, d_ff=7, d_hidden=9)
    assert sum(p.numel() for p in m.parameters()) == pinnsformer_parameter_count(3, 2, 12, 2, 7, 9,
                                                                                 activation_parameters=0)


def test_registered_built_from_a_config_and_bad_options_named():
    assert MODELS["pinnsformer"] is PINNsFormer
    recipe = build(RunConfig(problem="convection", model="pinnsformer", width=16, depth=1, activation="wavelet",
                             model_options={"k": 3, "heads": 1, "d_ff": 8, "d_hidden": 8, "sequence_loss": True},
                             scale_inputs=False, steps=1))
    m = recipe.model
    assert isinstance(m, PINNsFormer) and (m.k, m.heads, m.d_model, m.sequence_loss) == (3, 1, 16, True)
    assert m.shift is None and m.dt == 1e-4
    with pytest.raises(ValueError, match="heads"):
        PINNsFormer(2, 1, 10, 1, heads=3)
    with pytest.raises(ValueError, match="dt"):
        PINNsFormer(2, 1, dt=0.0)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        PINNsFormer(2, 1, k=0)
    with pytest.raises(ValueError, match="no input embedding"):
        build_model(zoo.get("convection"), architecture="pinnsformer", fourier_features=4)
    with pytest.raises(ValueError, match="sequence_loss"):
        HardConstraint(small(sequence_loss=True), zoo.get("convection"))
    with pytest.raises(ValueError, match="tokens 0"):
        small().element(3)


def _derivatives(engine, model, x):
    wrapped = engine.wrap(model)
    wrapped(x)
    u = wrapped(x)
    D = Derivatives(x, ("x", "t"))
    return u, {s: D(u, s) for s in SPECS}


def _nested(model, x):
    """u and its derivatives by nested ``torch.autograd.grad``, column by column."""
    u = model(x)
    g = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    out = {"x": g[:, :1], "t": g[:, 1:]}
    gx = torch.autograd.grad(g[:, 0].sum(), x, create_graph=True)[0]
    gt = torch.autograd.grad(g[:, 1].sum(), x, create_graph=True)[0]
    out.update(xx=gx[:, :1], xt=gx[:, 1:], tt=gt[:, 1:])
    return u, out


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_engine_gives_nested_autograds_derivatives_and_says_it_falls_back(points64, name):
    model = small(low=(-1.0, 0.0), high=(1.0, 1.0)).double()
    engine = get_engine(name)
    un, gn = _nested(model, points64)
    ue, ge = _derivatives(engine, model, points64)
    if name != "autograd":
        assert engine.describe(model).startswith(f"autograd ({name} cannot run PINNsFormer: attention")
        assert jet_of(ue, points64) is None
    assert torch.allclose(un, ue, atol=1e-14, rtol=0)
    for s in SPECS:
        assert torch.allclose(gn[s], ge[s], atol=1e-12, rtol=0), s
        assert gn[s].abs().max() > 1e-6, s  # a real dependence, not a zero that agrees trivially


def test_derivatives_match_finite_differences():
    model = small().double()
    x = torch.rand(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    _, g = _nested(model, x)
    h = 1e-6
    for col, s in ((0, "x"), (1, "t")):
        e = torch.zeros(1, 2, dtype=torch.float64)
        e[0, col] = h
        with torch.no_grad():
            fd = (model(x + e) - model(x - e)) / (2 * h)
        assert torch.allclose(g[s].detach(), fd, atol=1e-7, rtol=1e-6), s


def test_sequence_loss_is_the_mean_over_tokens_with_the_initial_condition_on_the_first():
    problem = zoo.get("convection", beta=5.0)
    model = small(sequence_loss=True).double()
    plain = small(sequence_loss=False).double()
    plain.load_state_dict(model.state_dict())
    g = torch.Generator().manual_seed(2)
    pts = {"residual": torch.rand(30, 2, generator=g, dtype=torch.float64) * torch.tensor([6.0, 1.0], dtype=torch.float64),
           "initial": torch.as_tensor(problem.conditions["initial"].sample(10, __import__("numpy").random.default_rng(0))),
           "periodic": torch.as_tensor(problem.conditions["periodic"].sample(10, __import__("numpy").random.default_rng(1)))}
    got = loss_terms(problem, model, pts, problem.values)
    base = loss_terms(problem, plain, pts, problem.values)
    # by hand: token i's output differentiated in the base point (x, t); periodicity of every token
    x = pts["residual"].clone().requires_grad_(True)
    seq = model.sequence(x)[..., 0]
    res = []
    for i in range(model.k):
        gi = torch.autograd.grad(seq[:, i].sum(), x, create_graph=True)[0]
        res.append(gi[:, 1] + 5.0 * gi[:, 0])
    want_r = torch.stack(res).pow(2).mean()
    xl = pts["periodic"]
    xh = xl + torch.tensor([[2 * torch.pi, 0.0]], dtype=torch.float64)
    want_p = (model.sequence(xl) - model.sequence(xh)).pow(2).mean()
    x0 = pts["initial"]
    want_i = (model(x0) - torch.sin(x0[:, :1])).pow(2).mean()
    assert torch.allclose(got["residual"], want_r, rtol=1e-12, atol=0)
    assert torch.allclose(got["periodic"], want_p, rtol=1e-12, atol=0)
    assert torch.allclose(got["initial"], want_i, rtol=1e-12, atol=0)
    assert torch.equal(got["initial"], base["initial"])
    assert not torch.allclose(got["residual"], base["residual"])  # the other tokens count


def test_short_training_lowers_the_loss_and_moves_the_wavelet_weights():
    problem = zoo.get("convection", beta=1.0)
    for seq in (False, True):
        model = build_model(problem, width=8, depth=1, activation="wavelet", seed=0, architecture="pinnsformer",
                            k=3, heads=1, d_ff=16, d_hidden=16, sequence_loss=seq)
        w0 = model.head[1].w1.item()
        h = train(problem, model, optimizer=adam(3e-3), steps=60, condition_points=32, eval_every=60,
                  seed=0, progress=False, engine="taylor", threads=1)
        losses = [r["loss"] for r in h.rows if "loss" in r]
        assert losses[-1] < 0.3 * losses[0], (seq, losses[0], losses[-1])
        assert h.meta["engine"].startswith("autograd (taylor cannot run PINNsFormer")
        assert model.head[1].w1.item() != w0  # the Wavelet amplitudes are trained
