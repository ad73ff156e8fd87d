"""pinnkit.report: quick mode, the helpers the notebooks share, the stamp, claims and record()."""
from __future__ import annotations

import json
import math
import re
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch

from pinnkit import report
from pinnkit.report import Claim, fmt, quick_mode, record, spread, stamp, summary, verdict

ROOT = Path(__file__).resolve().parents[1]


# --- quick mode ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", " Yes "])
def test_quick_mode_on_only_when_asked(monkeypatch, value):
    monkeypatch.setenv("PINNKIT_QUICK", value)
    assert quick_mode() is True


@pytest.mark.parametrize("value", ["0", "false", "no", "", "2", "quick", "on"])
def test_quick_mode_off_otherwise(monkeypatch, value):
    monkeypatch.setenv("PINNKIT_QUICK", value)
    assert quick_mode() is False


def test_quick_mode_off_when_unset(monkeypatch):
    """A person who opens a notebook (no PINNKIT_QUICK) runs the real budget."""
    monkeypatch.delenv("PINNKIT_QUICK", raising=False)
    assert quick_mode() is False


# --- spread, summary, fmt ----------------------------------------------------------------
def test_spread_median_min_max():
    assert spread([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)
    assert spread([4.0, 1.0]) == (2.5, 1.0, 4.0)  # even count: mean of the middle two
    assert spread(np.array([0.5], dtype=np.float32)) == (0.5, 0.5, 0.5)
    m, lo, hi = spread((1e-3, 1e-1, 1e-2))
    assert (m, lo, hi) == (1e-2, 1e-3, 1e-1)
    assert all(type(v) is float for v in (m, lo, hi))


def test_spread_of_a_diverged_seed_shows_nan():
    m, lo, hi = spread([1.0, float("nan"), 2.0])
    assert math.isnan(m)


@pytest.mark.parametrize("bad, error", [([], ValueError), (np.array([]), ValueError), ("123", TypeError),
                                        ({"median": 1.0}, TypeError), (1.0, TypeError)])
def test_spread_rejects_what_is_not_a_list_of_numbers(bad, error):
    with pytest.raises(error):
        spread(bad)


def test_summary():
    s = summary([np.float64(3.0), 1, torch.tensor(2.0).item()])
    assert s == {"median": 2.0, "min": 1.0, "max": 3.0, "runs": [3.0, 1.0, 2.0]}
    assert all(type(v) is float for v in s["runs"])
    json.dumps(s)  # ready for record()


def test_fmt_of_values_and_of_a_summary_agree():
    values = [1.234e-2, 1.0e-2, 1.5e-2]
    assert fmt(values) == "1.23e-02 [1.0e-02, 1.5e-02]"
    assert fmt(summary(values)) == fmt(values)
    assert fmt({"median": 0.5, "min": 0.25, "max": 1.0, "runs": [0.25, 0.5, 1.0]}) == "5.00e-01 [2.5e-01, 1.0e+00]"
    assert fmt([7.0]) == "7.00e+00 [7.0e+00, 7.0e+00]"
    with pytest.raises(KeyError, match="median, min and max"):
        fmt({"median": 1.0})


# --- stamp -----------------------------------------------------------------------------
def test_stamp_fields():
    s = stamp()
    assert set(s) == {"pinnkit", "commit", "torch", "python", "cpu", "cores", "threads", "date"}
    import pinnkit

    assert s["pinnkit"] == pinnkit.__version__
    assert s["torch"] == torch.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", s["python"])
    assert isinstance(s["cpu"], str) and s["cpu"]
    assert s["cores"] >= 1
    assert s["threads"] == torch.get_num_threads()
    date = datetime.fromisoformat(s["date"])
    assert date.utcoffset().total_seconds() == 0
    json.dumps(s)


def test_stamp_commit_matches_git():
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    assert stamp()["commit"] == head.stdout.strip() + ("+dirty" if dirty else "")


def test_stamp_never_fails_outside_a_checkout(monkeypatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(report.subprocess, "run", no_git)
    assert stamp()["commit"] is None

    def not_a_repo(*args, **kwargs):
        return subprocess.CompletedProcess(args, 128, "", "fatal: not a git repository")

    monkeypatch.setattr(report.subprocess, "run", not_a_repo)
    assert stamp()["commit"] is None


def test_stamp_ignores_a_repository_around_an_installed_copy(monkeypatch, tmp_path):
    """pinnkit installed into a virtualenv that sits inside some other repository: no commit."""
    def elsewhere(args, cwd=None, **kwargs):
        return subprocess.CompletedProcess(args, 0, str(tmp_path) + "\n", "")

    monkeypatch.setattr(report.subprocess, "run", elsewhere)
    assert stamp()["commit"] is None


# --- verdict and Claim -------------------------------------------------------------------
def test_verdict_table():
    assert verdict(True, True) == "reproduced"
    assert verdict(True, False) == "partly"
    assert verdict(False, True) == "not reproduced"
    assert verdict(False, False) == "not reproduced"
    assert verdict(np.float64(2.0) > 1, np.float64(0.1) < 0.01) == "partly"  # numpy bools from comparisons


@pytest.mark.parametrize("bad", [None, 1.0, "yes", 1])
def test_verdict_wants_the_result_of_a_check(bad):
    with pytest.raises(TypeError, match="must be a bool"):
        verdict(bad, True)


def claim(**kw):
    base = dict(paper="Krishnapriyan et al. 2021, Table 1",
                claim="curriculum regularisation at β = 30 lowers the error of a plain PINN by ≥ 5× (median of 3 seeds)",
                values=[3e-2, 1e-2, 2e-2], verdict="reproduced", paper_value=2.69e-2, budget="150 L-BFGS steps",
                wall_seconds=12.5)
    return Claim(**{**base, **kw})


def test_claim_median_low_high():
    c = claim()
    assert (c.median, c.low, c.high) == (2e-2, 1e-2, 3e-2)
    assert c.values == (3e-2, 1e-2, 2e-2) and c.seeds == (0, 1, 2)
    assert claim(values=[4.0, 1.0]).median == 2.5
    assert claim(values=[np.float32(0.5)], seeds=[7]).values == (0.5,)


def test_claim_to_dict_is_json():
    d = claim(seeds=3, note="n").to_dict()
    assert d == {"paper": "Krishnapriyan et al. 2021, Table 1", "claim": claim().claim, "paper_value": 2.69e-2,
                 "values": [3e-2, 1e-2, 2e-2], "median": 2e-2, "low": 1e-2, "high": 3e-2, "seeds": [0, 1, 2],
                 "budget": "150 L-BFGS steps", "wall_seconds": 12.5, "dtype": "float32", "verdict": "reproduced",
                 "note": "n"}
    assert json.loads(json.dumps(d)) == d


@pytest.mark.parametrize("kw, error, match", [
    (dict(verdict="mostly"), ValueError, "verdict must be one of"),
    (dict(verdict="Reproduced"), ValueError, "verdict must be one of"),
    (dict(values=[]), ValueError, "values is empty"),
    (dict(values=[1.0, float("nan")]), ValueError, r"values\[1\] must be finite"),
    (dict(values=[math.inf]), ValueError, "must be finite"),
    (dict(values=0.1), TypeError, "sequence of numbers"),
    (dict(values=["a"]), TypeError, "must be a number"),
    (dict(paper_value=float("nan")), ValueError, "paper_value must be finite"),
    (dict(wall_seconds=-1.0), ValueError, "wall_seconds must be ≥ 0"),
    (dict(wall_seconds=math.inf), ValueError, "wall_seconds must be finite"),
    (dict(seeds=2), ValueError, "one value per seed"),
    (dict(seeds=[0, 1]), ValueError, "one value per seed"),
    (dict(paper=""), ValueError, "paper must be a non-empty string"),
    (dict(claim=None), ValueError, "claim must be a non-empty string"),
])
def test_claim_rejects_bad_inputs(kw, error, match):
    with pytest.raises(error, match=match):
        claim(**kw)


def test_claim_fields_are_keywords():
    with pytest.raises(TypeError):
        Claim("paper", "claim", [1.0], "reproduced")  # noqa


# --- record ------------------------------------------------------------------------------
def test_record_adds_stamp_and_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("PINNKIT_RESULTS", str(tmp_path))
    monkeypatch.setenv("PINNKIT_QUICK", "1")
    data = record("nb", rel_l2=np.float32(0.25), claims=[claim(), claim(verdict="partly", paper_value=None)])
    saved = json.loads((tmp_path / "nb.json").read_text())
    assert saved == data
    assert saved["notebook"] == "nb" and saved["quick"] is True and saved["rel_l2"] == 0.25
    assert set(saved["stamp"]) == set(stamp())
    assert [c["verdict"] for c in saved["claims"]] == ["reproduced", "partly"]
    assert saved["claims"][0]["median"] == 2e-2 and saved["claims"][1]["paper_value"] is None
    assert list(saved) == ["notebook", "quick", "rel_l2", "claims", "stamp"]


def test_record_without_claims_keeps_its_old_shape(tmp_path, monkeypatch):
    monkeypatch.setenv("PINNKIT_RESULTS", str(tmp_path))
    monkeypatch.delenv("PINNKIT_QUICK", raising=False)
    data = record("nb", curve=np.array([1.0, np.nan]))
    assert {k: v for k, v in data.items() if k != "stamp"} == {"notebook": "nb", "quick": False, "curve": [1.0, None]}


def test_record_rejects_what_is_not_a_claim(tmp_path, monkeypatch):
    monkeypatch.setenv("PINNKIT_RESULTS", str(tmp_path))
    with pytest.raises(TypeError, match="Claim objects"):
        record("nb", claims=[{"paper": "x"}])
    with pytest.raises(TypeError, match="written by record itself"):
        record("nb", quick=False)
    assert not (tmp_path / "nb.json").exists()
    record("nb", claims=claim())  # one claim on its own is fine
    assert len(json.loads((tmp_path / "nb.json").read_text())["claims"]) == 1


def test_values_at_reads_the_error_a_budget_would_have_given():
    from pinnkit.report import values_at
    from pinnkit.training import History

    h = History()
    for step, e in [(50, 0.9), (100, 0.5), (150, 0.2)]:
        h.append(step=step, **{"metric/rel_l2": e})
    h.append(step=160, event="lbfgs converged: loss change below tolerance_change")
    h.final = {"step": 160, "metric/rel_l2": 0.15}
    got = values_at(h, [10, 50, 99, 100, 155, 160, 2000])
    assert math.isnan(got[0])
    assert got[1:] == [0.9, 0.9, 0.5, 0.2, 0.15, 0.15]  # a run that stopped keeps its final value
