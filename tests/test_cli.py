"""The command line: ``python -m pinnkit train burgers --nu ... --out folder``."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from pinnkit.__main__ import main
from pinnkit.recipes import load_run
from pinnkit.training import Evaluator

# a small network and few points keep the run to seconds; one thread (the machine is shared)
SMALL = ["--width", "8", "--depth", "2", "--num-points", "256", "--condition-points", "32",
         "--eval-every", "10", "--threads", "1"]


def cli(*args, cwd=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pinnkit", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def test_train_prints_json_and_saves_a_reloadable_run(tmp_path):
    out = tmp_path / "b1"
    r = cli("train", "burgers", "--nu", "0.00318", "--steps", "30", "--out", str(out), *SMALL)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    printed = json.loads(r.stdout)  # stdout is exactly the JSON (the progress bar goes to stderr)
    assert printed["status"] == "completed" and printed["step"] == 30
    assert 0 < printed["metric/rel_l2"] < 10 and printed["metric/max_abs"] > 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "history.json", "metrics.json", "model.pt"]
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["metric/rel_l2"] == printed["metric/rel_l2"]

    run = load_run(out)
    assert run.config.parameters == {"nu": 0.00318} and run.config.steps == 30 and run.config.width == 8
    assert run.problem.values == {"nu": 0.00318, "lambda1": 1.0}
    assert len(run.history.where("loss")[0]) == 30 and run.history.status == "completed"
    # the reloaded model reproduces the recorded error
    again = Evaluator(run.problem)(run.model)
    assert again["rel_l2"] == pytest.approx(printed["metric/rel_l2"], rel=1e-9)
    assert again["max_abs"] == pytest.approx(printed["metric/max_abs"], rel=1e-9)

    # "show" prints the saved metrics
    assert main(["show", str(out)]) == 0


def test_negative_viscosity_is_a_clear_error(tmp_path):
    r = cli("train", "burgers", "--nu", "-0.01", "--steps", "5", "--out", str(tmp_path / "bad"), *SMALL)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "viscosity nu must be" in r.stderr and "-0.01" in r.stderr
    assert r.stdout == "" and not (tmp_path / "bad").exists()


def run_main(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse reports usage errors by exiting
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.parametrize("argv,message", [
    (["train", "navier_stokes"], "invalid choice: 'navier_stokes'"),
    (["train", "burgers", "--nu", "nan", "--steps", "5"], "viscosity nu must be a finite number"),
    (["train", "burgers", "--nu", "inf", "--steps", "5"], "viscosity nu must be a finite number"),
    (["train", "burgers", "--nu", "fast"], "invalid float value: 'fast'"),
    (["train", "burgers", "--steps", "-3"], "steps must be a non-negative integer"),
    (["train", "burgers", "--steps", "5", "--sampler", "halton"], "unknown sampler 'halton'"),
    (["train", "burgers", "--steps", "5", "--dtype", "float16"], "unknown dtype 'float16'"),
    (["train", "burgers", "--steps", "5", "--activation", "relu6"], "unknown activation 'relu6'"),
    (["train", "burgers", "--steps", "5", "--optimizer", "sgdx"], "unknown optimizer 'sgdx'"),
    (["train", "burgers", "--steps", "5", "--lr", "-1"], "lr must be a number in (0, 1000]"),
    (["train", "burgers", "--beta", "3"], "unrecognized arguments: --beta"),
    (["train", "burgers", "--steps", "5", "--engine", "jax"], "invalid choice: 'jax'"),
    (["show", "/nonexistent/run"], "not a pinnkit run folder"),
    ([], "required: command"),
])
def test_bad_input_exits_nonzero_with_a_message(capsys, argv, message):
    code, out, err = run_main(capsys, *argv)
    assert code != 0
    assert message in err, err
    assert "Traceback" not in err and out == ""


def test_problems_lists_the_zoo(capsys):
    code, out, _ = run_main(capsys, "problems")
    assert code == 0
    assert "burgers: u_t + λ1 u u_x - ν u_xx = 0" in out
    assert "oscillator:" in out


# -- the notebook-number report (the other edge module the command line and gallery share) --
def test_record_writes_clean_json(tmp_path, monkeypatch):
    import numpy as np
    import torch

    from pinnkit.report import paper_table, quick_mode, record

    monkeypatch.setenv("PINNKIT_RESULTS", str(tmp_path))
    monkeypatch.setenv("PINNKIT_QUICK", "0")
    assert quick_mode() is False
    data = record("nb", rel_l2=np.float32(0.25), curve=np.array([1.0, np.nan]), t=torch.tensor([2.0, 3.0]),
                  worst=math.inf, nested={"a": (np.int64(3), np.float64(-math.inf))})
    saved = json.loads((tmp_path / "nb.json").read_text())
    assert saved.pop("stamp") == data.pop("stamp")  # what produced it; tests/test_report.py checks its fields
    assert saved == data == {"notebook": "nb", "quick": False, "rel_l2": 0.25, "curve": [1.0, None],
                             "t": [2.0, 3.0], "worst": None, "nested": {"a": [3, None]}}
    monkeypatch.setenv("PINNKIT_QUICK", "1")
    assert quick_mode() is True
    table = paper_table([{"method": "PINN", "paper reports": 6.7e-4, "pinnkit gets": np.float32(1e-3),
                          "our budget": 3000}])
    assert table.splitlines()[2] == "| PINN | 6.70e-04 | — | 1.00e-03 | 3000 |"


def test_run_folder_round_trip_float64_hard_fourier(tmp_path):
    """The run folder reloads every model option the command line exposes, in float64."""
    import torch

    from pinnkit.models import HardConstraint
    from pinnkit.recipes import RunConfig, run

    cfg = RunConfig(problem="oscillator", parameters={"d": 1.0, "w0": 4.0}, hard=True, dtype="float64", steps=5,
                    width=8, depth=2, num_points=32, condition_points=8, eval_every=5, fourier_features=3,
                    sampler="lhs", resample_every=2, threads=1)
    result = run(cfg, out=tmp_path / "r", progress=False)
    again = load_run(tmp_path / "r")
    assert again.config == cfg
    assert isinstance(again.model, HardConstraint)
    assert {p.dtype for p in again.model.parameters()} == {torch.float64}
    for a, b in zip(result.model.state_dict().values(), again.model.state_dict().values()):
        assert torch.equal(a, b)
    assert Evaluator(again.problem)(again.model)["rel_l2"] == result.history.final["metric/rel_l2"]
    assert again.history.meta["config"] == cfg.to_dict()


def test_engine_setting_changes_speed_not_result(capsys, tmp_path):
    """``--engine`` / ``RunConfig.engine`` reach the trainer; engines agree to round-off, so
    the setting is recorded but left out of the run-store key."""
    from pinnkit.recipes import RunConfig, run

    base = dict(problem="burgers", width=8, depth=2, num_points=64, condition_points=16, steps=4, eval_every=4,
                dtype="float64", threads=1)
    a = run(RunConfig(**base), progress=False)
    b = run(RunConfig(**base, engine="taylor"), progress=False)
    assert b.history.meta["config"]["engine"] == "taylor" and a.history.meta["config"]["engine"] is None
    la, lb = a.history.where("loss")[1], b.history.where("loss")[1]
    assert len(la) == 4 and la[0] > 0
    for x, y in zip(la, lb):
        assert y == pytest.approx(x, rel=1e-10)
    assert RunConfig(**base).key() == RunConfig(**base, engine="taylor").key()
    assert RunConfig(**base).key() != RunConfig(**{**base, "steps": 5}).key()

    code, out, err = run_main(capsys, "train", "burgers", "--engine", "taylor", "--steps", "3", "--no-progress",
                              "--out", str(tmp_path / "t"), *SMALL)
    assert code == 0, err
    assert json.loads(out)["step"] == 3
    assert load_run(tmp_path / "t").config.engine == "taylor"


def test_combine_and_causal_options_reach_the_saved_run(capsys, tmp_path):
    code, out, err = run_main(capsys, "train", "burgers", "--combine", "config", "--causal", "--steps", "3",
                              "--no-progress", "--out", str(tmp_path / "c"), *SMALL)
    assert code == 0, err
    saved = load_run(tmp_path / "c")
    assert saved.config.combine == "config" and saved.config.causal is True
    assert any("causal/epsilon" in r for r in saved.history.rows)   # the causal monitor logged the schedule
    code, out, err = run_main(capsys, "train", "poisson1d", "--causal", "--steps", "2", "--no-progress", *SMALL)
    assert code == 2 and "needs a time-dependent problem" in err
    code, out, err = run_main(capsys, "train", "burgers", "--combine", "bogus", *SMALL)
    assert code != 0 and "unknown gradient combination combine='bogus'" in err


@pytest.mark.parametrize("argv, message", [
    # an abbreviation of another option is refused, never taken for it (--nu is not --num-points)
    (["train", "convection", "--nu", "3"], "unrecognized arguments: --nu"),
    (["train", "burgers", "--num", "300"], "unrecognized arguments: --num"),
    (["train", "burgers", "--lbfgs-options", "{tolerance_change: 1}"], "not JSON"),
    (["train", "burgers", "--lbfgs-options", "[1, 2]"], "expected a JSON object"),
])
def test_option_traps_are_refused(capsys, argv, message):
    code, out, err = run_main(capsys, *argv)
    assert code != 0 and message in err, err
    assert out == ""


def test_every_run_setting_is_an_option(capsys, tmp_path):
    """The options are generated from RunConfig: JSON settings, booleans and the strategy
    reach the saved configuration."""
    from pinnkit.__main__ import _parser

    train_parser = _parser("convection")._subparsers._group_actions[0].choices["train"]
    flags = {a.dest for a in train_parser._actions}
    cli_fields = {k for k, v in __import__("pinnkit").RunConfig.fields_help().items() if v["cli"] and k != "problem"}
    assert cli_fields <= flags, cli_fields - flags
    code, out, err = run_main(capsys, "train", "convection", "--beta", "5", "--optimizer", "lbfgs", "--steps", "4",
                              "--lbfgs-options", '{"tolerance_change": 1e-7, "history_size": 20}', "--no-scale-inputs",
                              "--strategy", "curriculum", "--strategy-options",
                              '{"parameter": "beta", "values": [1, 5]}', "--no-progress",
                              "--out", str(tmp_path / "r"), *SMALL)
    assert code == 0, err
    saved = load_run(tmp_path / "r")
    assert saved.config.lbfgs_options == {"tolerance_change": 1e-7, "history_size": 20}
    assert saved.config.scale_inputs is False and saved.config.strategy == "curriculum"
    assert [r["beta"] for r in saved.history.meta["rungs"]] == [1.0, 5.0]


def test_bad_destination_is_refused_before_training(capsys, tmp_path, monkeypatch):
    import pinnkit.recipes as recipes

    trained = []
    original = recipes.Recipe.train
    monkeypatch.setattr(recipes.Recipe, "train", lambda self, **kw: trained.append(1) or original(self, **kw))
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    code, out, err = run_main(capsys, "train", "burgers", "--steps", "2", "--no-progress", "--out", str(a_file), *SMALL)
    assert code == 2 and "is an existing file, not a folder" in err and trained == []
    assert a_file.read_text() == "keep me"
    code, out, err = run_main(capsys, "train", "burgers", "--steps", "2", "--no-progress", "--out", str(a_file / "run"), *SMALL)
    assert code == 2 and "cannot write there" in err and trained == []
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # as root the mode bits do not stop a write: nothing to test then
            code, out, err = run_main(capsys, "train", "burgers", "--steps", "2", "--no-progress",
                                      "--out", str(locked / "run"), *SMALL)
            assert code == 2 and "cannot write there" in err and trained == []
    finally:
        locked.chmod(0o700)


def test_show_names_a_truncated_history(capsys, tmp_path):
    out = tmp_path / "r"
    code, _, err = run_main(capsys, "train", "burgers", "--steps", "3", "--no-progress", "--out", str(out), *SMALL)
    assert code == 0, err
    text = (out / "history.json").read_text()
    (out / "history.json").write_text(text[: len(text) // 2])
    code, _, err = run_main(capsys, "show", str(out))
    assert code == 2 and "history.json: not a readable history (truncated or corrupt JSON" in err
    (out / "model.pt").write_bytes(b"")
    code, _, err = run_main(capsys, "show", str(out))
    assert code == 2 and "model.pt: the checkpoint file is empty" in err


def test_ctrl_c_saves_the_run_and_exits_130(capsys, tmp_path, monkeypatch):
    from pinnkit.training import Callback

    class Interrupt(Callback):
        def on_step_end(self, state):
            if state.step == 3:
                raise KeyboardInterrupt

    import pinnkit.recipes as recipes
    original = recipes.Recipe.train
    monkeypatch.setattr(recipes.Recipe, "train",
                        lambda self, callbacks=(), **kw: original(self, callbacks=[*callbacks, Interrupt()], **kw))
    out = tmp_path / "r"
    code, printed, err = run_main(capsys, "train", "burgers", "--steps", "50", "--no-progress", "--out", str(out), *SMALL)
    assert code == 130 and "interrupted at step" in err and str(out) in err
    saved = load_run(out)
    assert saved.history.status == "stopped" and saved.history.message == "interrupted"
    assert json.loads(printed)["status"] == "stopped"


def test_cli_defaults_to_one_thread(capsys, tmp_path):
    code, _, err = run_main(capsys, "train", "burgers", "--steps", "2", "--no-progress", "--width", "8", "--depth", "2",
                            "--num-points", "64", "--out", str(tmp_path / "r"))
    assert code == 0, err
    assert load_run(tmp_path / "r").config.threads == 1
    code, out, _ = run_main(capsys, "train", "burgers", "--help")
    assert "default 1" in " ".join(out.split())


@pytest.mark.parametrize("lr", ["1e38", "1e9", "0", "-1", "nan", "inf"])
def test_out_of_range_learning_rates_are_refused(capsys, lr):
    code, out, err = run_main(capsys, "train", "burgers", "--lr", lr, "--steps", "2", "--no-progress", *SMALL)
    assert code == 2 and "lr must be a number in (0, 1000]" in err, err
