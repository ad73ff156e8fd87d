"""Sweeps: configurations through executors (threads, processes, a Dask cluster) into a run
store; a second sweep reuses the stored runs and trains nothing."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import importlib

import pinnkit
from pinnkit.recipes import RunConfig
from pinnkit.sweep import RunStore, sweep

sweep_module = importlib.import_module("pinnkit.sweep")  # the module (pinnkit.sweep is also the function)


def tiny(**changes) -> RunConfig:
    base = dict(problem="oscillator", width=8, depth=2, num_points=32, condition_points=4, steps=6,
                eval_every=3, sampler="sobol", threads=1)
    return RunConfig(**{**base, **changes})


@pytest.fixture
def counted(monkeypatch):
    """Count the trainings that actually run (threads share this module)."""
    calls = []
    lock = threading.Lock()
    real = sweep_module.run

    def counting_run(config, *a, **kw):
        with lock:
            calls.append(config.key())
        return real(config, *a, **kw)

    monkeypatch.setattr(sweep_module, "run", counting_run)
    return calls


def test_second_sweep_reuses_the_store_and_trains_nothing(tmp_path, counted):
    configs = [tiny(seed=0), tiny(seed=1), tiny(seed=0)]  # a duplicate is trained once
    with ThreadPoolExecutor(2) as ex:
        first = sweep(configs, executor=ex, store=tmp_path)
    assert sorted(counted) == sorted({configs[0].key(), configs[1].key()})
    assert sorted(first.trained) == sorted(set(counted)) and first.reused == []
    assert len(first) == 3 and first[0].config == configs[0]
    assert sorted(RunStore(tmp_path).keys()) == sorted(set(counted))
    losses = [r.history.final["loss"] for r in first]
    assert losses[0] == losses[2] and losses[0] != losses[1]

    with ThreadPoolExecutor(2) as ex:
        second = sweep(configs, executor=ex, store=tmp_path)
    assert len(counted) == 2  # nothing trained again
    assert second.trained == [] and sorted(second.reused) == sorted(set(first.trained))
    assert [r.history.final["loss"] for r in second] == losses
    assert np.isfinite(second[1].metrics["metric/rel_l2"])
    rows = second.table()
    assert [r["seed"] for r in rows] == [0, 1, 0] and "width" not in rows[0]


def test_unfinished_or_foreign_folders_are_retrained(tmp_path, counted):
    cfg = tiny(seed=2)
    folder = tmp_path / cfg.key()
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg.to_dict()))  # a run that died before finishing
    with ThreadPoolExecutor(1) as ex:
        res = sweep([cfg], executor=ex, store=tmp_path)
    assert res.trained == [cfg.key()] and counted == [cfg.key()]
    assert RunStore(tmp_path).has(cfg)
    # a folder whose config differs (hand-edited, or a hash collision) is not reused
    other = dict(cfg.to_dict(), steps=99)
    (folder / "config.json").write_text(json.dumps(other))
    assert not RunStore(tmp_path).has(cfg)
    with ThreadPoolExecutor(1) as ex:
        res = sweep([cfg], executor=ex, store=tmp_path, retrain=False)
    assert len(counted) == 2 and res[0].config == cfg
    with ThreadPoolExecutor(1) as ex:
        sweep([cfg], executor=ex, store=tmp_path, retrain=True)
    assert len(counted) == 3


def test_sweep_is_exported_at_the_top_level():
    assert pinnkit.sweep is sweep


def test_bad_configurations_raise(tmp_path):
    with pytest.raises(ValueError, match="unknown run settings"):
        sweep([{"problem": "oscillator", "colour": "red"}], store=tmp_path)
    with pytest.raises(ValueError, match="RunConfig"):
        sweep([42], store=tmp_path)


def test_dask_local_cluster_executor(tmp_path):
    distributed = pytest.importorskip("distributed")
    configs = [tiny(seed=5), tiny(seed=6)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = sweep(configs, executor=client.get_executor(), store=tmp_path)
        assert sorted(res.trained) == sorted(c.key() for c in configs)
        again = sweep(configs, executor=client.get_executor(), store=tmp_path)
    assert again.trained == []
    assert [r.history.final["loss"] for r in again] == [r.history.final["loss"] for r in res]


@pytest.mark.slow
def test_default_process_pool(tmp_path):
    """The default executor: spawned worker processes writing into the store."""
    cfg = tiny(seed=9)
    res = sweep([cfg], store=tmp_path, max_workers=1)
    assert res.trained == [cfg.key()]
    assert RunStore(tmp_path).has(cfg)
    assert res[0].history.status == "completed" and res[0].history.final["step"] == 6
