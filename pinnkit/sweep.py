"""Sweeps: many :class:`~pinnkit.recipes.RunConfig` s through any executor, with a run store.

``sweep(configs)`` trains every configuration that the store does not already hold and
returns all of them as :class:`~pinnkit.recipes.Run` s, in the order given. The store is
a folder with one sub-folder per configuration, named by ``RunConfig.key()`` (a hash of
the configuration) and holding ``config.json``, ``history.json``, ``metrics.json`` and
``model.pt`` (:func:`~pinnkit.recipes.save_run`). A run is written into a temporary
folder and moved into place with one ``os.replace``, so a store never holds half a run:
re-running a notebook after an interruption reuses the finished runs and trains the rest.

Executors: anything with ``submit(fn, *args) -> concurrent.futures.Future``.

- default: a local ``ProcessPoolExecutor`` with one worker per CPU core (at most one per
  run to train), each worker given its share of the cores as torch threads
  (``cores // workers``, at least one) unless the configuration sets ``threads``: the
  workers never oversubscribe the machine, and a lone run still uses every core;
- ``concurrent.futures.ThreadPoolExecutor`` for in-process runs (tests, debugging);
- a Dask cluster: ``client = dask.distributed.Client("tcp://scheduler:8786")`` (or
  ``Client(LocalCluster(...))``), then ``sweep(configs, executor=client.get_executor())``.
  Workers must have pinnkit installed, and the store must be a folder every worker can
  write (a shared file system); only configuration dictionaries and keys cross the wire.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .recipes import _LATER_DEFAULTS, Run, RunConfig, load_run, run, save_run

__all__ = ["sweep", "RunStore", "SweepResult", "MemoryProbe"]

#: the files a finished run folder holds (metrics.json is written last by save_run)
_RUN_FILES = ("config.json", "history.json", "model.pt", "metrics.json")


class RunStore:
    """A folder of finished runs keyed by ``RunConfig.key()``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def folder(self, config: RunConfig) -> Path:
        return self.path / config.key()

    def has(self, config: RunConfig) -> bool:
        f = self.folder(config)
        if not all((f / name).exists() for name in _RUN_FILES):
            return False
        try:  # a hash collision or a hand-edited folder must not be mistaken for this run
            stored = json.loads((f / "config.json").read_text())
        except (OSError, ValueError):
            return False
        if not isinstance(stored, dict):
            return False
        # a setting added after the run was stored held its default then
        stored = {**{k: v for k, v in _LATER_DEFAULTS.items() if k not in stored}, **stored}
        # the derivative engine changes speed, not the result: a run stored by one engine serves
        # all -- unless a time budget decides how many steps it trains (RunConfig.key)
        free = () if config.time_budget is not None else ("engine",)
        return {k: v for k, v in stored.items() if k not in free} == \
            {k: v for k, v in config.to_dict().items() if k not in free}

    def load(self, config: RunConfig) -> Run:
        return load_run(self.folder(config))

    def put(self, result: Run) -> str:
        """Store a finished run under its key — written into a temporary folder, then moved
        into place with one ``os.replace`` (a store never holds half a run); a run another
        writer stored first under the same key is kept. Returns the key."""
        root = self.path
        root.mkdir(parents=True, exist_ok=True)
        key = result.config.key()
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            save_run(tmp, result)
            final = root / key
            try:
                os.replace(tmp, final)
            except OSError:
                if not self.has(result.config):
                    # an unfinished or foreign folder holds the name: move it aside, then replace it
                    stale = Path(tempfile.mkdtemp(prefix=f".stale.{key}.", dir=root))
                    os.replace(final, stale / key)
                    os.replace(tmp, final)
                    shutil.rmtree(stale, ignore_errors=True)
                # else another writer finished the same configuration first: keep theirs
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return key

    def keys(self) -> list[str]:
        if not self.path.exists():
            return []
        return sorted(p.name for p in self.path.iterdir() if p.is_dir() and not p.name.startswith("."))

    def __repr__(self):
        return f"RunStore({str(self.path)!r}, {len(self.keys())} runs)"


@dataclass
class SweepResult:
    """The runs of a sweep in the order of the configurations, and which were trained
    now (``trained``) or found in the store (``reused``), as lists of keys."""

    runs: list[Run]
    trained: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    store: RunStore | None = None

    def __len__(self):
        return len(self.runs)

    def __getitem__(self, i) -> Run:
        return self.runs[i]

    def __iter__(self):
        return iter(self.runs)

    def table(self, columns: Sequence[str] = ("metric/rel_l2", "loss", "time")) -> list[dict]:
        """One row per run: the settings that differ between runs, then ``columns`` of
        each run's final metrics."""
        dicts = [r.config.to_dict() for r in self.runs]
        varying = [k for k in dicts[0] if any(json.dumps(d[k], sort_keys=True) != json.dumps(dicts[0][k], sort_keys=True)
                                              for d in dicts)] if dicts else []
        return [{**{k: d[k] for k in varying}, **{c: r.metrics.get(c) for c in columns}}
                for d, r in zip(dicts, self.runs)]


def _train_into_store(config: dict, store: str, threads_default: int | None = 1) -> str:
    """Worker: train one configuration and move its folder into the store; returns the key.

    Runs in executor workers (a separate process, thread or cluster node)."""
    import torch

    cfg = RunConfig.from_dict(config)
    if cfg.threads is None and threads_default is not None:
        torch.set_num_threads(threads_default)
    probe = MemoryProbe()
    result = run(cfg, progress=False)
    result.history.meta["resources"] = probe.report()
    return RunStore(store).put(result)


#: runs trained by :func:`_train_into_store` in this process so far
_RUNS_IN_PROCESS = [0]


def _status_kib(field: str) -> int | None:
    """A ``kB`` line of ``/proc/self/status`` (Linux), e.g. ``VmHWM``; None elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class MemoryProbe:
    """Peak resident memory of this process during one run, from the kernel's own
    high-water mark (``VmHWM`` of ``/proc/self/status``; elsewhere ``ru_maxrss``, which
    counts from the process's start). torch's CPU allocator is invisible to
    ``tracemalloc``, so resident memory is what can be measured honestly. Made before a run:
    it records the resident memory then (``VmRSS``) and, on Linux, resets the high-water
    mark to it (``/proc/self/clear_refs``); :meth:`report` after the run gives

    - ``peak_rss_mb``: the process's peak resident memory during the run (MiB; it includes
      the interpreter, torch and everything loaded before the run);
    - ``start_rss_mb`` and ``peak_over_start_mb``: resident memory when the run began and
      how far the peak rose above it — the memory the run itself added;
    - ``fresh_process``: True when this was the first run in a worker process started for
      it (``sweep(..., fresh_workers=True)``); in a reused process freed memory kept from
      earlier runs is reused and ``peak_over_start_mb`` reads low; in threads it counts the
      other threads' runs too;
    - ``method``: how the peak was read."""

    def __init__(self):
        import multiprocessing

        self.fresh = _RUNS_IN_PROCESS[0] == 0 and multiprocessing.parent_process() is not None
        _RUNS_IN_PROCESS[0] += 1
        self.start = _status_kib("VmRSS")
        self.reset = False
        if self.start is not None:
            try:
                with open("/proc/self/clear_refs", "w") as f:
                    f.write("5")  # reset the peak resident set size to the current one (Linux >= 4.0)
                self.reset = True
            except OSError:
                pass

    def report(self) -> dict:
        peak = _status_kib("VmHWM")
        if peak is not None:
            method = "VmHWM (reset at the run's start)" if self.reset else "VmHWM (since the process started)"
        else:
            import resource
            import sys

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
            method = "ru_maxrss (since the process started)"
        out = {"peak_rss_mb": peak / 1024, "start_rss_mb": None if self.start is None else self.start / 1024,
               "peak_over_start_mb": None if self.start is None else max(0, peak - self.start) / 1024,
               "fresh_process": self.fresh, "method": method}
        return out


def _limit_threads(n: int) -> None:
    """Process-pool initializer: every thread pool of a worker (OpenMP, MKL, torch) gets
    ``n`` threads before torch starts one of its own."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    import torch

    torch.set_num_threads(n)


def sweep(configs: Iterable[RunConfig | dict], executor: Executor | None = None,
          store: str | os.PathLike | RunStore = "runs/store", *, retrain: bool = False,
          max_workers: int | None = None, progress: bool = False, fresh_workers: bool = False) -> SweepResult:
    """Train ``configs`` (skipping those already in ``store``) and return all their runs.

    - ``executor``: a ``concurrent.futures.Executor`` (e.g. a Dask client's
      ``get_executor()``); default a local process pool of ``max_workers`` processes
      (default: the number of CPU cores, at most the number of runs to train).
    - ``store``: the run store folder (or a :class:`RunStore`).
    - ``retrain``: train every configuration even if stored (the store is overwritten).
    - ``progress``: a progress bar over the runs to train (it advances as each finishes).
    - ``fresh_workers``: the default process pool starts a new process for every run
      (Python ≥ 3.11; each pays torch's import), so that each run's peak memory
      (``history.meta["resources"]``, :class:`MemoryProbe`) is its own.

    Identical configurations in ``configs`` are trained once.
    """
    cfgs = [RunConfig.from_dict(c) if isinstance(c, dict) else c for c in configs]
    for c in cfgs:
        if not isinstance(c, RunConfig):
            raise ValueError(f"sweep takes RunConfig objects or dicts; got {type(c).__name__}")
    store = store if isinstance(store, RunStore) else RunStore(store)
    todo: dict[str, RunConfig] = {}
    reused: list[str] = []
    for c in cfgs:
        k = c.key()
        if k in todo or k in reused:
            continue
        if not retrain and store.has(c):
            reused.append(k)
        else:
            todo[k] = c
    if todo:
        own = executor is None
        if own:
            import multiprocessing

            cores = os.cpu_count() or 1
            workers = max_workers or min(len(todo), cores)
            share = max(1, cores // workers)
            fresh = {"max_tasks_per_child": 1} if fresh_workers and sys.version_info >= (3, 11) else {}
            executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_limit_threads, initargs=(share,), **fresh)
        try:
            if retrain:
                for k in todo:
                    shutil.rmtree(store.path / k, ignore_errors=True)
            threads = share if own else 1
            futures = [executor.submit(_train_into_store, c.to_dict(), str(store.path), threads)
                       for c in todo.values()]
            if progress:
                from concurrent.futures import as_completed

                from tqdm.auto import tqdm

                with tqdm(total=len(futures), desc=f"sweep ({len(reused)} stored)", leave=False) as bar:
                    for f in as_completed(futures):
                        f.result()
                        bar.update(1)
            for f in futures:
                f.result()
        finally:
            if own:
                executor.shutdown()
    runs = [store.load(c) for c in cfgs]
    return SweepResult(runs, trained=list(todo), reused=reused, store=store)
