"""The training loop: convergence on a tiny problem, bit-for-bit reproducibility,
divergence handling, histories and checkpoints, callbacks, phases, dtype and threads."""
from __future__ import annotations

import json
import math
import os
import threading

import numpy as np
import pytest
import torch

from pinnkit import zoo
from pinnkit.models import build_model
from pinnkit.optim import OptimizerSpec, adam, adam_then_lbfgs, lbfgs
from pinnkit.sampling import Sobol
from pinnkit.training import (Callback, Checkpoint, Divergence, EarlyStop, Evaluator, EveryN, History,
                              StopOnEvent, load_checkpoint, train)


def fit(problem, steps=20, hard=False, seed=0, model_seed=0, optimizer=None, **kw):
    """A tiny network (16 × 2) on 32 Sobol' points; returns (model, history)."""
    model = build_model(problem, width=16, depth=2, hard=hard, seed=model_seed)
    opts = dict(sampler=Sobol(32), condition_points=8, progress=False, eval_every=10, seed=seed)
    opts.update(kw)
    if optimizer is None:
        optimizer, opts["steps"] = adam(1e-2), steps
    return model, train(problem, model, optimizer=optimizer, **opts)


def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).clone()


# -- learning -----------------------------------------------------------------------------
def test_tiny_oscillator_trains_below_stated_error(small_oscillator):
    """Oscillator d=1, ω0=4, hard IC, 16×2 tanh, 64 Sobol' points: 50 Adam (lr 1e-2) then
    up to 30 L-BFGS steps. Measured rel. L2 1.8e-3 (loss 15.2 after Adam, 9.8e-3 after
    L-BFGS); the threshold 1e-2 leaves a factor of five of margin."""
    model, h = fit(small_oscillator, hard=True, sampler=Sobol(64), eval_every=50,
                   optimizer=adam_then_lbfgs(50, 30, lr=1e-2))
    assert h.status == "completed", h.message
    assert h.final["metric/rel_l2"] < 1e-2
    assert Evaluator(small_oscillator)(model)["rel_l2"] == pytest.approx(h.final["metric/rel_l2"], rel=1e-12)
    # hard constraint: the conditions carry no loss term
    assert h.terms() == ["residual"]
    # both phases ran, in order, and L-BFGS lowered the loss by orders of magnitude
    phases = [r["phase"] for r in h.rows if "phase" in r]
    assert phases[:50] == ["adam"] * 50 and set(phases[50:]) == {"lbfgs"} and len(phases) > 60
    steps, loss = h.where("loss")
    end_of_adam = loss[steps == 50][0]
    assert loss[-1] < 1e-2 * end_of_adam
    assert [p[0] for p in h.meta["plan"]] == ["adam", "lbfgs"]


def test_soft_constraints_log_every_term(small_oscillator):
    _, h = fit(small_oscillator, steps=10)
    assert h.terms() == ["residual", "initial", "initial_velocity"]
    assert h.terms("weight/") == ["residual", "initial", "initial_velocity"]
    assert len(h) == 10 and list(h["step"]) == list(range(1, 11))
    assert np.all(np.isfinite(h["loss"]))
    total = sum(h[f"loss/{n}"] for n in h.terms())
    np.testing.assert_allclose(h["loss"], total, rtol=1e-6)
    assert h.where("metric/rel_l2")[0].tolist() == [10]


# -- reproducibility ------------------------------------------------------------------------
def test_same_seed_gives_identical_loss_curve(small_oscillator):
    runs = [fit(small_oscillator, steps=25, seed=3, threads=1) for _ in range(2)]
    (m1, h1), (m2, h2) = runs
    assert np.array_equal(h1["loss"], h2["loss"])  # bit for bit
    for n in h1.terms():
        assert np.array_equal(h1[f"loss/{n}"], h2[f"loss/{n}"])
    assert torch.equal(flat(m1), flat(m2))
    # another training seed draws other points: another curve
    _, h3 = fit(small_oscillator, steps=25, seed=4, threads=1)
    assert not np.array_equal(h1["loss"], h3["loss"])
    # another model seed: another start
    _, h4 = fit(small_oscillator, steps=25, seed=3, model_seed=1, threads=1)
    assert h4["loss"][0] != h1["loss"][0]


# -- divergence -----------------------------------------------------------------------------
class Snapshot(Callback):
    """Keeps the parameters seen after step ``at`` (the ones step ``at + 1`` evaluates)."""

    def __init__(self, at):
        self.at, self.params = at, None

    def on_step_end(self, state):
        if state.step == self.at:
            self.params = flat(state.model)


class PoisonWeights(Callback):
    def __init__(self, at):
        self.at = at

    def on_step_end(self, state):
        if state.step == self.at:
            with torch.no_grad():
                next(state.model.parameters())[0, 0] = math.nan


class PoisonParameter(Callback):
    """Sets a PDE parameter to NaN: the residual (not the weights) becomes NaN."""

    def __init__(self, at, name, value=math.nan):
        self.at, self.name, self.value = at, name, value

    def on_step_end(self, state):
        if state.step == self.at:
            state.params[self.name] = self.value


@pytest.mark.parametrize("poison,became", [("weights", "nan"), ("parameter", "nan"), ("infinite parameter", "inf")])
def test_nan_stops_with_last_finite_parameters(small_oscillator, poison, became):
    snap = Snapshot(4)
    bad = {"weights": PoisonWeights(5), "parameter": PoisonParameter(5, "w0"),
           "infinite parameter": PoisonParameter(5, "w0", math.inf)}[poison]
    with pytest.warns(RuntimeWarning, match=f"loss became {became} at step 6"):
        model, h = fit(small_oscillator, steps=20, callbacks=[snap, bad])
    assert h.status == "diverged"
    assert f"loss became {became} at step 6" in h.message and "restored" in h.message
    assert h.final["step"] == 6 and len(h) == 5  # the NaN step is not logged
    # step 5 evaluated the parameters seen after step 4 with a finite loss: they are restored
    assert torch.equal(flat(model), snap.params)
    assert np.all(np.isfinite(h["loss"])) and math.isfinite(h.final["metric/rel_l2"])


def test_nan_with_raise(small_oscillator):
    snap = Snapshot(2)
    with pytest.warns(RuntimeWarning), pytest.raises(Divergence, match="loss became nan at step 4"):
        model = build_model(small_oscillator, width=16, depth=2)
        train(small_oscillator, model, optimizer=adam(1e-2), steps=10, sampler=Sobol(32), condition_points=8,
              progress=False, callbacks=[snap, PoisonWeights(3)], on_divergence="raise")
    # with "raise" the parameters are restored too: those step 3 evaluated with a finite loss
    assert torch.equal(flat(model), snap.params)


class BrokenLBFGS(torch.optim.LBFGS):
    """L-BFGS whose ``n``-th step leaves NaN in the parameters (a line search gone wrong)."""

    def __init__(self, params, n, **kw):
        super().__init__(params, **kw)
        self.n, self.calls = n, 0

    def step(self, closure):
        loss = super().step(closure)
        self.calls += 1
        if self.calls == self.n:
            with torch.no_grad():
                for p in self._params:
                    p.fill_(math.nan)
        return loss


def test_nan_during_lbfgs_restores_evaluated_parameters(small_oscillator):
    """L-BFGS returns the loss of the parameters *before* its update; a step that leaves
    NaN parameters must roll back to those, not to the never-evaluated NaN ones."""
    spec = OptimizerSpec("lbfgs", lambda p: BrokenLBFGS(p, 3, max_iter=1, line_search_fn="strong_wolfe"),
                         uses_closure=True)
    snap = Snapshot(2)
    with pytest.warns(RuntimeWarning, match="at step 4"):
        model, h = fit(small_oscillator, optimizer=[(spec, 10)], callbacks=[snap])
    assert h.status == "diverged"
    assert torch.all(torch.isfinite(flat(model)))
    assert torch.equal(flat(model), snap.params)  # the parameters step 3 evaluated (finite loss)


def test_a_loss_that_blows_up_without_nan_is_diverged():
    """SGD at lr 1e3 on Burgers multiplies the loss by ~4e7 per step; it reaches Inf only at
    step 6, by when the parameters are garbage (rel. L2 ~1e17). Rising to BLOWUP (1e6) times
    its lowest value is divergence: the run stops at step 2 with the parameters step 1 saw."""
    from pinnkit.optim import sgd
    from pinnkit.training.loop import BLOWUP

    burgers = zoo.get("burgers")
    initial = flat(build_model(burgers, width=16, depth=2, seed=0))
    with pytest.warns(RuntimeWarning, match="more than 1e[+]06 times its lowest value"):
        model, h = fit(burgers, optimizer=[(sgd(1e3), 20)])
    assert BLOWUP == 1e6
    assert h.status == "diverged" and "loss grew to" in h.message and "at step 2 (sgd)" in h.message
    assert torch.equal(flat(model), initial)
    assert h.final["metric/rel_l2"] < 10  # the initial network's error, not the 1e17 NaN-detection kept
    # a healthy run, loss falling by orders of magnitude, is untouched
    _, ok = fit(zoo.get("oscillator", d=1.0, w0=4.0), optimizer=[(adam(1e-2), 40)])
    assert ok.status == "completed"


def test_growing_adaptive_weights_are_not_a_blow_up():
    """The blow-up test reads the unweighted terms: a balancer whose weights grow 10× a step
    (as the authors' LRA rule grows them to ~1e8) makes the weighted total rise ~1e10-fold in
    ten steps, yet the run is healthy and completes."""
    class Growing:
        def init(self, names):
            return 0

        def update(self, weights, state, ctx):
            return {k: 10.0 ** (state + 1) for k in weights}, state + 1

    model, h = fit(zoo.get("oscillator", d=1.0, w0=4.0), optimizer=[(adam(1e-12), 12)], balancer=Growing(),
                   eval_every=1)
    assert h.status == "completed", h.message
    totals = h.where("loss")[1]
    assert max(totals) > 1e6 * min(totals)   # the weighted total did rise past BLOWUP


def test_cli_reports_a_blown_up_run_and_exits_nonzero(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "pinnkit", "train", "burgers", "--optimizer", "sgd", "--lr", "1000",
                        "--steps", "50", "--width", "8", "--depth", "2", "--num-points", "128", "--no-progress"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["status"] == "diverged"
    assert "times its lowest value" in r.stderr


# -- history ----------------------------------------------------------------------------------
def test_history_round_trip(tmp_path, small_oscillator):
    _, h = fit(small_oscillator, steps=12)
    h.rows.append({"step": 12, "event": "note", "x": math.inf, "y": -math.inf, "z": math.nan})
    path = tmp_path / "sub" / "history.json"
    h.save(path)
    g = History.load(path)
    assert g.status == h.status and g.message == h.message and g.meta["seed"] == 0
    assert g.columns == h.columns and len(g) == len(h)
    for c in h.columns:
        if c in ("phase", "event"):
            assert [r.get(c) for r in g.rows] == [r.get(c) for r in h.rows]
        else:
            np.testing.assert_array_equal(g[c], h[c])
    assert g.rows[-1]["x"] == math.inf and g.rows[-1]["y"] == -math.inf and math.isnan(g.rows[-1]["z"])
    assert g.final.keys() == h.final.keys()
    for k, v in h.final.items():
        assert g.final[k] == pytest.approx(v, rel=0, abs=0) or (math.isnan(v) and math.isnan(g.final[k]))
    json.loads(path.read_text())  # strict JSON (no NaN/Infinity literals)
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()


def test_history_save_is_atomic(tmp_path, small_oscillator, monkeypatch):
    _, h = fit(small_oscillator, steps=3)
    path = tmp_path / "history.json"
    h.save(path)
    before = path.read_bytes()
    h.append(step=99, loss=1.0)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        h.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json"]  # no temporary left
    assert len(History.load(path)) == 3


def test_history_accessors():
    h = History()
    h.append(step=1, loss=2.0)
    h.append(step=2, loss=1.0, **{"metric/rel_l2": 0.5})
    assert h.last("loss") == 1.0 and h.last("nope", 7) == 7
    steps, vals = h.where("metric/rel_l2")
    assert steps.tolist() == [2] and vals.tolist() == [0.5]
    assert np.isnan(h["metric/rel_l2"][0])
    with pytest.raises(KeyError, match="no column 'los'"):
        h["los"]


# -- callbacks --------------------------------------------------------------------------------
def test_checkpoint_writes_files_that_reload(tmp_path, small_oscillator):
    folder = tmp_path / "ckpt"
    model, h = fit(small_oscillator, steps=10, callbacks=[Checkpoint(folder, every=4)])
    assert sorted(p.name for p in folder.iterdir()) == ["history.json", "model.pt"]
    fresh = build_model(small_oscillator, width=16, depth=2, seed=9)
    assert not torch.equal(flat(fresh), flat(model))
    ckpt = load_checkpoint(folder / "model.pt", fresh)
    assert ckpt["step"] == 10
    assert torch.equal(flat(fresh), flat(model))
    g = History.load(folder / "history.json")
    assert g.status == "completed" and np.array_equal(g["loss"], h["loss"])


def test_checkpoint_saves_every_n_steps(tmp_path, small_oscillator):
    seen = []

    class Watch(Callback):
        def on_step_end(self, state):
            p = tmp_path / "model.pt"
            seen.append(torch.load(p, weights_only=False)["step"] if p.exists() else None)

    fit(small_oscillator, steps=7, callbacks=[Checkpoint(tmp_path, every=3), Watch()])
    assert seen == [None, None, 3, 3, 3, 6, 6]
    with pytest.raises(ValueError, match="every"):
        Checkpoint(tmp_path, every=0)


def test_early_stop_at_target(small_oscillator):
    """With hard constraints and lr 1e-2 the error falls below 0.5 within 300 steps
    (measured rel. L2 at steps 10..50: 1.14, 1.22, 0.86, 0.75, 0.44, so it stops at 50)."""
    _, h = fit(small_oscillator, steps=300, hard=True, eval_every=10, callbacks=[EarlyStop(0.5)])
    assert h.status == "target reached" and "target reached" in h.message
    steps, err = h.where("metric/rel_l2")
    assert h.final["step"] == steps[-1] < 300
    assert err[-1] < 0.5 and np.all(err[:-1] >= 0.5) and len(err) >= 2
    with pytest.raises(ValueError, match="target"):
        EarlyStop(0.0)


def test_stop_on_event(small_oscillator):
    event = threading.Event()
    calls = []
    cb = EveryN(7, lambda s: (calls.append(s.step), event.set()), at_end=False)
    _, h = fit(small_oscillator, steps=50, callbacks=[cb, StopOnEvent(event)])
    assert h.status == "stopped" and h.message == "stopped by user"
    assert h.final["step"] == 7 and calls == [7]


def test_every_n_and_callback_order(small_oscillator):
    log = []

    class Record(Callback):
        def on_train_begin(self, state):
            log.append(("begin", state.step))

        def on_train_end(self, state):
            log.append(("end", state.step))

    fit(small_oscillator, steps=6, callbacks=[Record(), EveryN(2, lambda s: log.append(("n", s.step)))])
    assert log == [("begin", 0), ("n", 2), ("n", 4), ("n", 6), ("end", 6), ("n", 6)]
    with pytest.raises(ValueError, match="n must be"):
        EveryN(0, print)


# -- optimizers, dtype, threads -----------------------------------------------------------------
def test_lbfgs_phase_ends_when_converged(small_oscillator):
    _, h = fit(small_oscillator, hard=True, optimizer=[(lbfgs(tolerance_change=1e-3), 200)])
    events = [r["event"] for r in h.rows if "event" in r]
    assert len(events) == 1 and events[0].startswith("lbfgs converged: "), events
    assert h.final["step"] < 200 and h.status == "completed"


def test_float64_is_respected(small_oscillator):
    seen = {}

    class Look(Callback):
        def on_step_end(self, state):
            seen["points"] = {n: x.dtype for n, x in state.points.items()}

    model, h = fit(small_oscillator, steps=3, dtype="float64", callbacks=[Look()])
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert all(b.dtype == torch.float64 for b in model.buffers())
    assert set(seen["points"].values()) == {torch.float64}
    assert h.meta["dtype"] == "float64"
    model32, h32 = fit(small_oscillator, steps=3, dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in model32.parameters()) and h32.meta["dtype"] == "float32"
    # float64 losses are not float32 losses
    assert h["loss"][0] != h32["loss"][0]
    assert h["loss"][0] == pytest.approx(h32["loss"][0], rel=1e-5)


def test_threads_are_set_and_restored(small_oscillator):
    before = torch.get_num_threads()
    seen = []
    fit(small_oscillator, steps=2, threads=2, callbacks=[EveryN(1, lambda s: seen.append(torch.get_num_threads()))])
    assert set(seen) == {2}
    assert torch.get_num_threads() == before
    # restored when training fails too
    with pytest.raises(ValueError):
        fit(small_oscillator, steps=2, threads=2, condition_points={"nope": 3})
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("kw,match", [
    (dict(dtype="float16"), "dtype"), (dict(dtype=torch.int32), "dtype"),
    (dict(on_divergence="ignore"), "on_divergence"), (dict(eval_every=0), "eval_every"),
    (dict(threads=0), "threads"), (dict(seed=1.5), "seed"), (dict(steps=-1), "steps"),
    (dict(condition_points=0), "points for 'initial'"), (dict(condition_points={"nope": 3}), "nope"),
])
def test_bad_training_arguments(small_oscillator, kw, match):
    model = build_model(small_oscillator, width=4, depth=1)
    args = dict(optimizer=adam(1e-3), steps=2, progress=False, sampler=Sobol(8))
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        train(small_oscillator, model, **args)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_adam_follows_the_default_adam(small_oscillator, dtype):
    """``adam(fused=True)`` (torch's single-kernel CPU Adam) takes the same steps as the
    default implementation, to round-off, and a non-boolean ``fused`` is refused."""
    tol = 1e-4 if dtype == "float32" else 1e-10
    curves = []
    for fused in (False, True):
        model, h = fit(small_oscillator, optimizer=[(adam(1e-2, fused=fused), 20)], dtype=dtype)
        curves.append((h.where("loss")[1], flat(model)))
    (la, wa), (lb, wb) = curves
    assert la[-1] < 0.9 * la[0]  # it trains (1.56 -> 1.13 in float32)
    np.testing.assert_allclose(lb, la, rtol=tol)
    np.testing.assert_allclose(wb.numpy(), wa.numpy(), rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="fused must be True or False"):
        adam(1e-3, fused=1)


def test_lbfgs_costs_one_evaluation_per_iteration_whatever_the_step_size():
    """torch's L-BFGS evaluates the loss at the start of every step() call; pinnkit reuses
    the evaluation the previous line search ended on, so one iteration per training step
    costs what ten per step cost: about one evaluation per iteration, and both runs make
    the same iterations."""
    problem = zoo.get("poisson1d")
    counts = {}
    for k in (1, 10):
        model = build_model(problem, width=10, depth=2, seed=0)
        evals = [0]

        class Count(torch.nn.Module):  # counts the forward passes on the residual points
            def __init__(self, m):
                super().__init__()
                self.m = m
                self.in_dim, self.out_dim = m.in_dim, m.out_dim

            def forward(self, x):
                if x.requires_grad:
                    evals[0] += 1
                return self.m(x)

        h = train(problem, Count(model), sampler=Sobol(64), optimizer=lbfgs(iterations_per_step=k,
                  tolerance_change=0.0, tolerance_grad=0.0), steps=40 // k, metrics=None, progress=False,
                  condition_points=8)
        assert h.meta["plan"][0][2]["iterations_per_step"] == k
        assert h.meta["lbfgs"][0]["iterations"] == 40
        counts[k] = evals[0] / 40
        finals = counts.setdefault("params", [])
        finals.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
    assert counts[1] < 1.3 and abs(counts[1] - counts[10]) < 0.1, counts
    assert torch.equal(*counts["params"])
    with pytest.raises(ValueError, match="iterations_per_step"):
        lbfgs(iterations_per_step=0)
