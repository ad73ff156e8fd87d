"""Keys of stored runs never change: each configuration below was keyed before the run
configuration gained its later settings, and must keep that key (a run store holding it
would otherwise train it again)."""
from __future__ import annotations

import pytest

from pinnkit.recipes import RunConfig

#: (configuration as it was written, its key as computed then)
KEYED_BEFORE = [
    ({}, "d850c2e163b47a1e"),
    (dict(problem="convection", parameters={"beta": 30.0}, optimizer="lbfgs", lr=1.0, steps=500, sampler="uniform",
          num_points=1000), "b8da96a558423ce1"),
    (dict(problem="burgers", hard=True, balancer="lra", optimizer="adam+lbfgs", lbfgs_steps=100, dtype="float64",
          engine="taylor"), "20b339cb8f477e84"),
    (dict(problem="reaction", combine="config", causal=True, causal_options={"num_slices": 16}), "9135697a39f160a6"),
    (dict(problem="helmholtz", optimizer="multiadam", balancer="static", balancer_options={"scales": {"left": 10.0}},
          seed=3, threads=1, fourier_features=16, fourier_sigma=2.0, resample_every=1), "67a3e92517600bc5"),
]


@pytest.mark.parametrize("settings, key", KEYED_BEFORE)
def test_keys_of_stored_runs_are_stable(settings, key):
    assert RunConfig(**settings).key() == key


def test_a_changed_setting_changes_the_key():
    base = RunConfig()
    assert RunConfig(seed=1).key() != base.key()
    assert RunConfig(width=21).key() != base.key()


def test_the_engine_enters_the_key_only_under_a_time_budget(tmp_path):
    # engines agree to round-off, so a fixed-step run stored by one serves the other; under
    # a wall-time budget a faster engine trains more steps, a different result
    fixed = [RunConfig(problem="heat", engine=e) for e in (None, "taylor")]
    assert fixed[0].key() == fixed[1].key()
    timed = [c.replace(time_budget=5.0) for c in fixed]
    assert timed[0].key() != timed[1].key()
    import json

    from pinnkit.sweep import _RUN_FILES, RunStore

    store = RunStore(tmp_path)

    def stored_as(config, written):   # a run folder for ``config`` holding ``written``'s settings
        folder = store.folder(config)
        folder.mkdir(parents=True, exist_ok=True)
        for name in _RUN_FILES:
            (folder / name).write_text("{}")
        (folder / "config.json").write_text(json.dumps(written.to_dict()))

    stored_as(fixed[1], fixed[0])
    assert store.has(fixed[1])              # a run stored by autograd serves the Taylor engine
    stored_as(timed[1], timed[0])
    assert not store.has(timed[1])          # not under a time budget
