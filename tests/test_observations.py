"""Observations from a user's file (CSV / NPZ), unknowns by name, and their clear errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from pinnkit.problems import zoo
from pinnkit.problems.observations import load_observations, with_observations
from pinnkit.problems.zoo.burgers import burgers_cole_hopf
from pinnkit.recipes import RunConfig, build


def write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n")
    return path


def burgers_csv(path, n=1000, nu=0.05, seed=1):
    """What a user does: sample a known solution at random points and write x, t, u."""
    rng = np.random.default_rng(seed)
    x, t = rng.uniform(-1, 1, n), rng.uniform(0, 1, n)
    u = burgers_cole_hopf(x, t, nu)
    return write_csv(path, ["x", "t", "u"], [[f"{a:.6f}" for a in r] for r in zip(x, t, u)])


def test_csv_and_npz_load_to_the_same_points(tmp_path):
    csv = write_csv(tmp_path / "o.csv", ["t", "u", "x"], [[0.5, 0.1, -0.2], [1.0, -0.3, 1.0]])  # any column order
    x, y = load_observations(csv, zoo.get("burgers"))
    np.testing.assert_array_equal(x, [[-0.2, 0.5], [1.0, 1.0]])  # coordinates in the domain's order
    np.testing.assert_array_equal(y["u"], [[0.1], [-0.3]])
    np.savez(tmp_path / "o.npz", x=np.array([-0.2, 1.0]), t=np.array([[0.5], [1.0]]), u=np.array([0.1, -0.3]))
    x2, y2 = load_observations(tmp_path / "o.npz", zoo.get("burgers"))
    np.testing.assert_array_equal(x, x2) and np.testing.assert_array_equal(y["u"], y2["u"])
    p = with_observations(zoo.get("burgers"), csv)
    assert "data" in p.conditions and p.reference is None and len(p.conditions["data"].x) == 2


@pytest.mark.parametrize("header, rows, message", [
    (["x", "u"], [[0.1, 0.2]], "missing coordinate column 't'"),
    (["x", "t"], [[0.1, 0.2]], "no observed field; burgers's field is 'u'"),
    (["x", "t", "u", "v"], [[0.1, 0.2, 0.3, 0.4]], "unexpected column 'v'"),
    (["x", "t", "u"], [[0.1, 0.2, 0.3], [0.1, "nan", 0.3]], "line 3, column 't': value nan is not a finite"),
    (["x", "t", "u"], [[0.1, 0.2, 0.3], [0.1, 0.2, "abc"]], "line 3, column 'u': 'abc' is not a number"),
    (["x", "t", "u"], [[0.1, 0.2, 0.3], [1.5, 0.2, 0.3]], "line 3, column 'x': 1.5 lies outside burgers's domain "
                                                          "x ∈ [-1, 1]"),
    (["x", "t", "u"], [[0.1, 0.2]], "line 2: 2 values, but the header names 3 columns"),
    (["x", "x", "u"], [[0.1, 0.2, 0.3]], "column 'x' appears more than once"),
    (["x", "t", "u"], [], "no data rows"),
])
def test_bad_csv_names_the_column_and_line(tmp_path, header, rows, message):
    path = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_observations(path, zoo.get("burgers"))


def test_bad_npz_names_the_array_and_shape(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((3, 2)), t=np.zeros(3), u=np.zeros(3))
    with pytest.raises(ValueError, match=r"array 'x' has shape \(3, 2\)"):
        load_observations(tmp_path / "a.npz", zoo.get("burgers"))
    np.savez(tmp_path / "b.npz", x=np.zeros(3), t=np.zeros(4), u=np.zeros(3))
    with pytest.raises(ValueError, match="differ in length"):
        load_observations(tmp_path / "b.npz", zoo.get("burgers"))
    np.savez(tmp_path / "c.npz", x=np.zeros(3), t=np.array([0.1, np.inf, 0.2]), u=np.zeros(3))
    with pytest.raises(ValueError, match="row 1, column 't'"):
        load_observations(tmp_path / "c.npz", zoo.get("burgers"))
    with pytest.raises(ValueError, match="give a .csv or .npz"):
        load_observations(write_csv(tmp_path / "o.txt", ["x"], [[1]]), zoo.get("burgers"))
    with pytest.raises(ValueError, match="does not exist"):
        load_observations(tmp_path / "nothing.csv", zoo.get("burgers"))


def test_unknowns_by_name_start_from_the_problems_value_in_log_form(tmp_path):
    path = burgers_csv(tmp_path / "o.csv", n=50)
    recipe = build(RunConfig(problem="burgers", parameters={"nu": 0.02}, data=str(path), unknowns=["nu"]))
    p = recipe.problem
    assert p.unknowns == {"nu": 0.02} and p.log_unknowns == ("nu",) and "nu" not in p.parameters
    assert p.truth == {} and p.reference is None  # a user's data: the truth is not known
    # a parameter whose range reaches 0 is trained as itself
    p2 = build(RunConfig(problem="reaction", data={"points": 20}, unknowns=["rho"])).problem
    assert p2.log_unknowns == () and p2.unknowns == {"rho": 5.0} and p2.truth == {"rho": 5.0}
    # the key follows the file's content, not its name
    k1 = RunConfig(problem="burgers", data=str(path), unknowns=["nu"]).key()
    burgers_csv(path, n=50, seed=2)
    assert RunConfig(problem="burgers", data=str(path), unknowns=["nu"]).key() != k1


def test_unknown_name_errors():
    with pytest.raises(ValueError, match="neither the residual nor a condition uses parameter 'beta'"):
        zoo.get("convection_lagrangian").with_unknowns(["beta"])
    with pytest.raises(ValueError, match=r"has no parameter\(s\) \['mu'\]"):
        build(RunConfig(problem="burgers", data={"points": 10}, unknowns=["mu"]))
    with pytest.raises(ValueError, match="need observations"):
        build(RunConfig(problem="burgers", unknowns=["nu"]))
    with pytest.raises(ValueError, match="unknowns must be parameter names"):
        RunConfig(unknowns=[1.0])


def cli(*args, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "pinnkit", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


@pytest.mark.parametrize("bad", ["nan", "outside"])
def test_cli_bad_file_is_refused_and_nothing_is_written(tmp_path, bad):
    rows = [[0.1, 0.2, 0.3], [0.1, float("nan"), 0.3] if bad == "nan" else [0.1, 2.0, 0.3]]
    write_csv(tmp_path / "obs.csv", ["x", "t", "u"], rows)
    r = cli("train", "burgers", "--data", "obs.csv", "--unknowns", "nu", "--steps", "5", "--out", "run",
            cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "obs.csv, line 3, column 't'" in r.stderr
    assert r.stdout == "" and not (tmp_path / "run").exists()


def test_cli_identifies_viscosity_from_a_users_csv(tmp_path):
    """ν = 0.05 from 1000 noise-free Cole–Hopf values at random points, starting from
    ν = 0.01 (5× off), 1000 Adam steps at lr 3e-3 on the default 20×4 tanh MLP (measured:
    0.0492, 1.6 % off, in ~8 s; 600 steps gave 0.0425, still on its way). Tolerance: 10 %."""
    burgers_csv(tmp_path / "obs.csv")
    r = cli("train", "burgers", "--data", "obs.csv", "--unknown", "nu", "--nu", "0.01", "--steps", "1000",
            "--lr", "3e-3", "--num-points", "1000", "--no-progress", "--out", "run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert abs(out["unknown/nu"] - 0.05) < 0.10 * 0.05, out["unknown/nu"]
    assert "nu = " in r.stderr and "started from 0.01" in r.stderr
    hist = json.loads((tmp_path / "run" / "history.json").read_text())
    nus = [row["unknown/nu"] for row in hist["rows"] if "unknown/nu" in row]
    assert len(nus) == 1000 and nus[0] == pytest.approx(0.01, rel=0.02)  # the trajectory is recorded


def test_dashboard_takes_a_file_and_draws_the_unknowns(tmp_path):
    """The dashboard's text controls hold the file and the names; a run from them trains
    ν and the unknowns view draws its trajectory (bad files are a message, not a crash)."""
    from pinnkit_widgets import Dashboard

    path = burgers_csv(tmp_path / "o.csv", n=200)
    d = Dashboard("burgers", live=False, steps=20, data=str(path), unknowns=["nu"], parameters={"nu": 0.01},
                  width=8, depth=2, num_points=200)
    assert d.controls.widgets["data"].value == str(path) and d.controls.widgets["unknowns"].value == "nu"
    d.train()
    assert d.run.history.status == "completed"
    steps, nu = d.run.curves("unknown/")["nu"]
    assert nu[0] == pytest.approx(0.01, rel=0.01) and len(nu) == 20 and nu[-1] != nu[0]
    assert "Curve" in str(d._unknowns_view(d.run))
    d.controls.widgets["data"].value = str(tmp_path / "missing.csv")
    d.train()
    assert "Cannot build this run" in d.message.object and "missing.csv does not exist" in d.message.object
    d.controls.widgets["data"].value, d.controls.widgets["unknowns"].value = "", ""
    assert d.controls.config().data == {} and d.controls.config().unknowns == {}
