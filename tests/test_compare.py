"""The fair-comparison harness (pinnkit.compare): parameter matching against a brute-force
search over sizes, table medians and spreads against the stored runs' own files, a second
call served from the store, the wall-time stop (TimeBudget / RunConfig.time_budget), the
memory probe against a known allocation, and clear errors for bad candidates."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from pinnkit import RunConfig
from pinnkit.compare import ComparisonTable, architectures, match_size, parameter_count
from pinnkit.models.pinnsformer import pinnsformer_parameter_count
from pinnkit.recipes import run, save_run
from pinnkit.sweep import MemoryProbe, RunStore

BASE = RunConfig(problem="convection", parameters={"beta": 2.0}, num_points=64, condition_points=16, steps=6,
                 lr=1e-2, eval_every=3, width=8, depth=2)
CANDIDATES = {"wide": {"depth": 1, "width": 24}, "deep": {"depth": 3}}


def mlp_count(width: int, depth: int, d_in: int = 2) -> int:
    """Parameters of a d_in → width (× depth hidden layers) → 1 MLP."""
    return (d_in + 1) * width + (depth - 1) * (width + 1) * width + width + 1


def test_parameter_count_is_the_networks():
    assert parameter_count(BASE) == mlp_count(8, 2)
    assert parameter_count(BASE.replace(depth=4, width=13)) == mlp_count(13, 4)


@pytest.mark.parametrize("target", [100, 577, 1000, 2345])
def test_matching_picks_the_closest_count(target):
    cfg = BASE.replace(depth=3)
    width, count = match_size(cfg, target, "width", 1, 80)
    assert count == mlp_count(width, 3) == parameter_count(cfg.replace(width=width))
    best = min(abs(mlp_count(w, 3) - target) for w in range(1, 81))  # brute force over every width
    assert abs(count - target) == best
    exact = mlp_count(17, 3)
    assert match_size(cfg, exact, "width", 1, 80) == (17, exact)


def test_matching_a_named_option_of_a_pinnsformer():
    cfg = BASE.replace(model="pinnsformer", width=8, depth=1, activation="wavelet",
                       model_options={"k": 2, "heads": 1, "d_ff": 8, "d_hidden": 4})
    target = 3000
    d_hidden, count = match_size(cfg, target, "model_options.d_hidden", 1, 100)
    brute = {h: pinnsformer_parameter_count(2, 1, 8, 1, 8, h) for h in range(1, 101)}
    assert count == brute[d_hidden]
    assert abs(count - target) == min(abs(c - target) for c in brute.values())
    with pytest.raises(ValueError, match="still below the target"):
        match_size(cfg, 10**8, "model_options.d_hidden", 1, 50)
    with pytest.raises(ValueError, match="no field 'wdth'"):
        match_size(cfg, 100, "wdth")


def test_architectures_matches_parameters_and_the_table_is_made_of_the_runs(tmp_path):
    store = tmp_path / "store"
    with ThreadPoolExecutor(2) as pool:
        table = architectures(BASE, CANDIDATES, seeds=3, match="params", target="deep", store=store,
                              executor=pool)
    assert isinstance(table, ComparisonTable) and table.names == ["wide", "deep"]
    target = mlp_count(8, 3)
    assert table.target == target and table.params["deep"] == target and table.sizes["deep"] == {}
    w = table.sizes["wide"]["width"]
    assert table.params["wide"] == mlp_count(w, 1)
    assert abs(mlp_count(w, 1) - target) == min(abs(mlp_count(v, 1) - target) for v in range(1, 500))
    assert len(table.trained) == 6 and table.reused == []
    rows = {r["candidate"]: r for r in table.rows()}
    for name in table.names:  # the summary against the run folders' own files
        seeds_seen, errs, ms = [], [], []
        for key in RunStore(store).keys():
            folder = Path(store) / key
            cfg = json.loads((folder / "config.json").read_text())
            if cfg["depth"] == table.configs[name].depth:
                m = json.loads((folder / "metrics.json").read_text())
                seeds_seen.append(cfg["seed"])
                errs.append(m["metric/rel_l2"])
                ms.append(1e3 * m["time"] / m["step"])
        assert sorted(seeds_seen) == [0, 1, 2]
        r = rows[name]
        assert r["seeds"] == 3 and r["error_median"] == pytest.approx(np.median(errs))
        assert (r["error_min"], r["error_max"]) == pytest.approx((min(errs), max(errs)))
        assert r["ms_per_step_median"] == pytest.approx(np.median(ms))
        assert r["steps_median"] == 6 and r["statuses"] == {"completed": 3}
        assert r["peak_rss_mb_median"] > 0  # measured in the worker (a thread here: not a fresh process)
        assert r["fresh_processes"] == 0
    md = table.markdown()
    assert md.count("\n") == 1 + len(table.names) and f"wide (width {w})" in md
    # a second call finds every run in the store and trains nothing
    with ThreadPoolExecutor(2) as pool:
        again = architectures(BASE, CANDIDATES, seeds=3, match="params", target="deep", store=store,
                              executor=pool)
    assert again.trained == [] and len(again.reused) == 6
    assert again.errors("wide") == table.errors("wide") and again.rows()[0]["parameters"] == rows["wide"]["parameters"]


def test_fresh_worker_processes_report_their_own_peak(tmp_path):
    table = architectures(BASE.replace(steps=2), {"a": {}, "b": {"width": 12}}, seeds=[0], match=None,
                          store=tmp_path / "s", max_workers=2)
    for n in ("a", "b"):
        res = table.runs[n][0].history.meta["resources"]
        assert res["fresh_process"] is True
        assert res["peak_rss_mb"] >= res["start_rss_mb"] > 50  # an interpreter with torch loaded
        assert res["peak_over_start_mb"] == pytest.approx(res["peak_rss_mb"] - res["start_rss_mb"])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status (Linux)")
def test_memory_probe_sees_a_torch_allocation():
    probe = MemoryProbe()
    x = torch.ones(300 * 2**20 // 4)  # 300 MiB, written (so resident)
    del x
    rep = probe.report()
    assert rep["peak_over_start_mb"] >= 250, rep
    assert rep["method"].startswith("VmHWM")


def test_time_budget_stops_a_run_and_says_so():
    cfg = BASE.replace(steps=1_000_000, time_budget=0.5, eval_every=10**6)
    h = run(cfg, progress=False).history
    assert h.status == "time budget reached" and "time budget reached" in h.message
    assert 0 < h.final["step"] < 1_000_000
    assert 0.5 <= h.final["time"] < 5.0
    assert h.meta["config"]["time_budget"] == 0.5
    with pytest.raises(ValueError, match="time_budget must be a positive number"):
        BASE.replace(time_budget=0)
    with pytest.raises(ValueError, match="time_budget must be a positive number"):
        BASE.replace(time_budget=float("inf"))


def test_equal_time_gives_every_run_the_budget(tmp_path):
    with ThreadPoolExecutor(1) as pool:
        table = architectures(BASE.replace(steps=1_000_000, eval_every=10**6), CANDIDATES, seeds=2, match="time",
                              time_budget=0.4, store=tmp_path / "s", executor=pool)
    for n in table.names:
        assert table.statuses(n) == ["time budget reached"] * 2
        assert all(0 < s < 1_000_000 for s in table.steps(n))
        assert all(r.metrics["time"] >= 0.4 for r in table.runs[n])
    assert table.time_budget == 0.4 and table.target is None


def test_a_run_stored_before_time_budget_existed_is_still_found(tmp_path):
    cfg = BASE.replace(steps=2)
    folder = tmp_path / "store" / cfg.key()
    save_run(folder, run(cfg, progress=False))
    stored = json.loads((folder / "config.json").read_text())
    del stored["time_budget"]
    (folder / "config.json").write_text(json.dumps(stored))
    assert RunStore(tmp_path / "store").has(cfg)
    assert not RunStore(tmp_path / "store").has(cfg.replace(time_budget=3.0))


def test_bad_candidates_and_options_are_named(tmp_path):
    kw = dict(seeds=1, store=tmp_path / "s")
    with pytest.raises(ValueError, match=r"target 'nope' is no candidate; candidates: \['wide', 'deep'\]"):
        architectures(BASE, CANDIDATES, target="nope", **kw)
    with pytest.raises(ValueError, match=r"size names no candidate\(s\) \['nope'\]"):
        architectures(BASE, CANDIDATES, size={"nope": "width"}, **kw)
    with pytest.raises(ValueError, match=r"candidate 'odd': unknown run settings \['wdth'\]"):
        architectures(BASE, {"odd": {"wdth": 3}}, **kw)
    with pytest.raises(ValueError, match="candidate 'odd': unknown model 'transformer'"):
        architectures(BASE, {"odd": {"model": "transformer"}}, **kw)
    with pytest.raises(ValueError, match="seeds come from seeds="):
        architectures(BASE, {"odd": {"seed": 3}}, **kw)
    with pytest.raises(ValueError, match="non-empty dict"):
        architectures(BASE, {}, **kw)
    with pytest.raises(ValueError, match="match must be one of"):
        architectures(BASE, CANDIDATES, match="flops", **kw)
    with pytest.raises(ValueError, match="needs time_budget"):
        architectures(BASE, CANDIDATES, match="time", **kw)
    with pytest.raises(ValueError, match="time_budget must be a positive number"):
        architectures(BASE, CANDIDATES, match="time", time_budget=-1, **kw)
    with pytest.raises(ValueError, match="target and size are for match='params'"):
        architectures(BASE, CANDIDATES, match=None, target=100, **kw)
    with pytest.raises(ValueError, match="seeds must be"):
        architectures(BASE, CANDIDATES, seeds=0, store=tmp_path / "s")
    with pytest.raises(KeyError, match="no candidate 'x'"):
        ComparisonTable(["a"], {"a": []}, {}, {}, {"a": 1}, [0]).errors("x")
