"""Periodic checkpoints and resume: a run stopped at step k and resumed has exactly the loss
history (and weights) of a run that was never interrupted."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from pinnkit import RunConfig, load_run, resume_run, run
from pinnkit.recipes import TRAINING_STATE
from pinnkit.training import Callback

SMALL = dict(width=8, depth=2, num_points=128, condition_points=16, eval_every=5, threads=1)


class StopAt(Callback):
    """Stops the run after step ``k`` (as SIGTERM or a kill between checkpoints would)."""

    def __init__(self, k):
        self.k = k

    def on_step_end(self, state):
        if state.step == self.k:
            state.stop = "test stop"


def losses(history):
    """Every row except its wall-clock column (the only thing a resumed run may differ in)."""
    return [{k: v for k, v in r.items() if k != "time"} for r in history.rows]


def same_rows(a, b, losses_only_to=0):
    """Rows equal exactly; up to step ``losses_only_to`` only the loss columns."""
    ra, rb = losses(a), losses(b)
    ra = [{k: v for k, v in r.items() if r["step"] > losses_only_to or not k.startswith("metric/")} for r in ra]
    rb = [{k: v for k, v in r.items() if r["step"] > losses_only_to or not k.startswith("metric/")} for r in rb]
    assert len(ra) == len(rb)
    for x, y in zip(ra, rb):
        assert x.keys() == y.keys(), (x, y)
        for k in x:  # exact equality (NaN equal to NaN)
            assert x[k] == y[k] or (isinstance(x[k], float) and np.isnan(x[k]) and np.isnan(y[k])), (k, x, y)


def check_resume_is_exact(tmp_path, config, k, every):
    config = RunConfig(**{**SMALL, **config})
    whole = run(config, progress=False)
    out = tmp_path / "run"
    first = run(config, out=out, callbacks=[StopAt(k)], progress=False, checkpoint_every=every)
    assert first.history.status == "stopped" and (out / TRAINING_STATE).is_file()
    resumed = resume_run(out, progress=False)
    assert resumed.history.status == whole.history.status == "completed"
    same_rows(resumed.history, whole.history)
    for (n, p), (_, q) in zip(whole.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(p, q), n
    assert not (out / TRAINING_STATE).exists()  # finished: nothing left to resume
    saved = load_run(out)
    same_rows(saved.history, whole.history)
    return whole, resumed


def test_adam_resumes_bit_for_bit(tmp_path):
    check_resume_is_exact(tmp_path, dict(problem="burgers", steps=24), k=13, every=4)


def test_adam_then_lbfgs_resumes_bit_for_bit_inside_the_lbfgs_phase(tmp_path):
    whole, _ = check_resume_is_exact(tmp_path, dict(problem="burgers", optimizer="adam+lbfgs", steps=10,
                                                    lbfgs_steps=8), k=14, every=3)
    assert whole.history.final["step"] == 18


def test_adaptive_balancer_and_resampling_resume_bit_for_bit(tmp_path):
    # learning-rate annealing keeps running averages; RAD redraws points from the numpy generator
    whole, _ = check_resume_is_exact(tmp_path, dict(problem="burgers", steps=24, balancer="lra", sampler="rad",
                                                    resample_every=5), k=11, every=2)
    w = [r for r in whole.history.rows if any(c.startswith("weight/") for c in r)]
    assert len({json.dumps({c: r[c] for c in r if c.startswith("weight/")}) for r in w}) > 1  # weights moved


def test_resume_refuses_a_folder_without_training_state(tmp_path):
    out = tmp_path / "done"
    run(RunConfig(**SMALL, steps=3), out=out, progress=False)
    with pytest.raises(FileNotFoundError, match="no training_state.pt"):
        resume_run(out)
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        resume_run(tmp_path / "nothing")


def test_checkpoint_every_needs_a_folder():
    with pytest.raises(ValueError, match="checkpoint_every needs a run folder"):
        run(RunConfig(**SMALL, steps=3), checkpoint_every=2, progress=False)


def test_crafted_training_state_runs_nothing(tmp_path):
    out = tmp_path / "run"
    run(RunConfig(**SMALL, steps=6), out=out, callbacks=[StopAt(4)], progress=False, checkpoint_every=2)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"format": 1, "x": Evil()}, out / TRAINING_STATE)
    with pytest.raises(ValueError, match="refused"):
        resume_run(out, progress=False)
    assert not marker.exists()
    (out / TRAINING_STATE).write_bytes(b"")
    with pytest.raises(ValueError, match="training-state file is empty"):
        resume_run(out, progress=False)


def cli(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return [sys.executable, "-m", "pinnkit", *args], env


@pytest.mark.parametrize("sig, code, message", [(signal.SIGTERM, 143, "terminated (SIGTERM)"),
                                                 (signal.SIGINT, 130, "interrupted")], ids=["sigterm", "ctrl-c"])
def test_a_signal_saves_a_stopped_resumable_run_at_the_step_it_stopped(tmp_path, sig, code, message):
    out = tmp_path / "b1"
    args = ["--width", "8", "--depth", "2", "--num-points", "128", "--condition-points", "16", "--eval-every", "50"]
    cmd, env = cli("train", "burgers", "--steps", "100000", "--out", str(out), "--checkpoint-every", "50",
                   "--no-progress", *args)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while not (out / TRAINING_STATE).exists() and time.time() < deadline:  # training has started
        time.sleep(0.2)
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == code, stderr
    assert "Traceback" not in stderr
    assert f"{message} at step" in stderr and f"python -m pinnkit resume {out}" in stderr
    assert json.loads(stdout)["status"] == "stopped"
    stopped = load_run(out)
    assert stopped.history.message == message
    assert stopped.history.status == "stopped" and stopped.history.final["step"] < 100000
    state = torch.load(out / TRAINING_STATE, weights_only=True)
    assert state["step"] == stopped.history.final["step"]  # the state is saved at the step it stopped
    # the resumed run carries on from that step; a short total keeps the test quick
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["steps"] == 100000


def test_cli_resume_finishes_a_stopped_run_like_an_uninterrupted_one(tmp_path):
    # both in a fresh process under OMP_NUM_THREADS=1 (numpy's reductions in the error metrics
    # may round differently in this process, whose thread settings pytest does not pin)
    cmd, env = cli("train", "burgers", "--steps", "20", "--out", str(tmp_path / "whole"), "--no-progress",
                   "--width", "8", "--depth", "2", "--num-points", "128", "--condition-points", "16",
                   "--eval-every", "5", "--threads", "1")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    whole = load_run(tmp_path / "whole")
    out = tmp_path / "b2"
    run(whole.config, out=out, callbacks=[StopAt(7)], progress=False, checkpoint_every=5)
    cmd, env = cli("resume", str(out), "--no-progress")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "completed"
    same_rows(load_run(out).history, whole.history, losses_only_to=7)  # metrics to step 7 came from this process
    cmd, env = cli("resume", str(out))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 2 and "no training_state.pt to resume from" in r.stderr and "Traceback" not in r.stderr


def test_inverse_run_resumes_bit_for_bit_with_its_unknowns(tmp_path):
    # the unknown ν (trained as exp(s)) is a parameter of the model's run: its value and its
    # Adam moments must come back with the checkpoint, and its trajectory must continue
    whole, resumed = check_resume_is_exact(tmp_path, dict(problem="burgers", steps=20, data={"points": 40},
                                                          unknowns={"nu": 0.02}), k=9, every=3)
    nus = [r["unknown/nu"] for r in whole.history.rows if "unknown/nu" in r]
    assert len(nus) > 2 and nus[0] != nus[-1]  # it moved
    assert [r.get("unknown/nu") for r in resumed.history.rows] == [r.get("unknown/nu") for r in whole.history.rows]


def test_checkpoint_callback_stores_unknowns_as_their_values_not_their_logs(tmp_path):
    # ν is trained as s = log ν: the checkpoint must hold ν (the number the history shows)
    from pinnkit import train
    from pinnkit.recipes import build
    from pinnkit.optim import adam
    from pinnkit.training import Checkpoint, load_checkpoint

    recipe = build(RunConfig(**SMALL, problem="burgers", steps=6, data={"points": 30}, unknowns={"nu": 0.02}))
    assert recipe.problem.log_unknowns == ("nu",)
    h = train(recipe.problem, recipe.model, sampler=recipe.sampler, optimizer=[(adam(1e-3), 6)], seed=0,
              progress=False, callbacks=[Checkpoint(tmp_path, every=3)])
    saved = load_checkpoint(tmp_path / "model.pt", recipe.model)
    assert saved["step"] == 6
    assert saved["unknowns"]["nu"] == pytest.approx(h.final["unknown/nu"], rel=1e-6)
    assert 0.005 < saved["unknowns"]["nu"] < 0.05  # ν itself, not log ν ≈ −3.9
