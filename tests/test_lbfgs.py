"""L-BFGS phases: the iterates and the stopping rule of one ``torch.optim.LBFGS.step``
call over the whole phase, at about one loss evaluation per iteration."""
from __future__ import annotations

import copy

import pytest
import torch

from pinnkit.losses import loss_terms
from pinnkit.models import build_model
from pinnkit.optim import lbfgs
from pinnkit.problems import zoo
from pinnkit.sampling import Sobol
from pinnkit.training import Callback, train


class Capture(Callback):
    def on_train_begin(self, state):
        self.points = {k: v.clone() for k, v in state.points.items()}
        self.model = copy.deepcopy(state.model)


def one_call(problem, model, points, **options):
    """The reference: one LBFGS.step(closure) call with ``max_iter`` iterations."""
    opt = torch.optim.LBFGS(model.parameters(), **options)
    count = [0]

    def closure():
        opt.zero_grad()
        loss = sum(loss_terms(problem, model, points, problem.values).values())
        loss.backward()
        count[0] += 1
        return loss

    opt.step(closure)
    return opt.state[opt._params[0]]["n_iter"], count[0]


@pytest.mark.parametrize("tolerance_change, cap", [(1e-9, 60), (1e-4, 400)])
def test_iterates_and_stop_equal_one_call(tolerance_change, cap):
    problem = zoo.get("oscillator", w0=6.0)
    model = build_model(problem, width=12, depth=2, seed=3)
    cap_cb = Capture()
    h = train(problem, model, sampler=Sobol(64), condition_points=4, dtype="float64", progress=False,
              optimizer=[(lbfgs(tolerance_change=tolerance_change, history_size=20), cap)], callbacks=[cap_cb])
    ref = cap_cb.model
    n_iter, evals = one_call(problem, ref, cap_cb.points, lr=1.0, max_iter=cap, max_eval=10**12, history_size=20,
                             tolerance_grad=1e-7, tolerance_change=tolerance_change, line_search_fn="strong_wolfe")
    for a, b in zip(model.parameters(), ref.parameters()):
        assert torch.equal(a, b)  # the same iterates, bit for bit
    (phase,) = h.meta["lbfgs"]
    assert phase["iterations"] == n_iter == h.final["step"]
    assert phase["evaluations"] == evals  # no evaluation beyond what one call makes
    if tolerance_change == 1e-4:  # stopped by the rule, before the cap, as the single call did
        assert n_iter < cap
        assert any(r.get("event", "").startswith("lbfgs converged: ") for r in h.rows)


def test_about_one_evaluation_per_iteration():
    problem = zoo.get("burgers")
    model = build_model(problem, width=16, depth=3, seed=0, hard=True)
    h = train(problem, model, sampler=Sobol(256), progress=False, optimizer=[(lbfgs(), 80)])
    (phase,) = h.meta["lbfgs"]
    assert phase["iterations"] == 80
    assert phase["evaluations"] / phase["iterations"] < 1.3, phase


@pytest.mark.parametrize("option, reason", [(dict(tolerance_grad=1e9), "gradient below tolerance_grad"),
                                            (dict(tolerance_change=1e9), "tolerance_change")])
def test_each_rule_stops_the_phase(option, reason):
    problem = zoo.get("oscillator")
    model = build_model(problem, width=8, depth=2, seed=0)
    h = train(problem, model, sampler=Sobol(32), condition_points=4, progress=False,
              optimizer=[(lbfgs(**option), 50)])
    events = [r["event"] for r in h.rows if "event" in r]
    assert len(events) == 1 and reason in events[0], events
    assert h.final["step"] <= 2


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="max_eval"):
        lbfgs(max_eval=0)
    with pytest.raises(ValueError, match="tolerance_change"):
        lbfgs(tolerance_change=-1.0)


def test_resampling_during_lbfgs_evaluates_the_new_points():
    """After the points change, the first loss an L-BFGS step reports is that of the new
    points, not the cached evaluation of the old ones."""
    from pinnkit.losses import loss_terms as terms_of

    problem = zoo.get("oscillator")
    model = build_model(problem, width=8, depth=2, seed=0)
    seen = []

    class Look(Callback):
        def on_step_end(self, state):  # (step, logged residual loss, the loss after the update, these points)
            t = terms_of(problem, state.model, state.points, state.params)
            seen.append((state.step, float(state.losses["residual"]), float(t["residual"].detach())))

    h = train(problem, model, sampler=Sobol(32, every=3), condition_points=4, progress=False,
              optimizer=[(lbfgs(tolerance_change=0.0, tolerance_grad=0.0), 7)], callbacks=[Look()], dtype="float64")
    # step 4 draws new points: its logged loss (parameters after step 3, new points) is not the
    # loss of those parameters on the old points, which a stale cache would report
    assert seen[3][1] != pytest.approx(seen[2][2], rel=1e-9)
    # without resampling, step k's logged loss is the loss step k-1 ended on (the cache is right)
    assert seen[2][1] == pytest.approx(seen[1][2], rel=1e-9)
    assert h.final["step"] == 7
