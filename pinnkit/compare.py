"""Fair comparisons of architectures: one problem, several networks, equal footing, several seeds.

``architectures(base, candidates, seeds=3, match="params")`` trains every candidate network on
the problem and settings of ``base`` (a :class:`~pinnkit.recipes.RunConfig`) over several seeds,
through :func:`pinnkit.sweep` (in parallel, from the run store when a run is there already), and
returns a :class:`ComparisonTable`: per candidate the median and range over seeds of the error,
the time per step, the parameter count and the peak memory.

What "fair" means is chosen with ``match``:

- ``"params"`` — equal parameter count: each candidate's size setting (``width`` unless
  ``size`` names another, e.g. ``"model_options.d_hidden"``) is set to the integer whose
  network has the parameter count closest to ``target`` (a number, or the name of a candidate
  whose count as given is the target; default the first candidate). Counts come from building
  the networks (:func:`parameter_count`), nothing is trained; the search bisects on the size,
  so the count must grow with it (it does for widths, depths and hidden sizes).
- ``"time"`` — equal wall time: every run gets ``time_budget`` seconds
  (``RunConfig.time_budget``, a :class:`~pinnkit.training.TimeBudget` stop recorded in the
  history's status and message); the steps of the configuration stay the cap. The clocks are
  those of the workers, which share the machine: run such comparisons on an otherwise idle one.
- ``None`` — the candidates as given.

Time per step is each run's training wall time over its steps (metric evaluations every
``eval_every`` steps included; for L-BFGS a step is one iteration, of one or more loss
evaluations). Peak memory is the resident memory of the worker process
(:class:`pinnkit.sweep.MemoryProbe`): torch's CPU allocator does not go through Python's, so
``tracemalloc`` sees none of it; by default every run gets a fresh worker process
(``fresh_workers=True``), and the table reports the peak and how far it rose above the
process's memory when the run began.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .recipes import Run, RunConfig, build
from .report import fmt, spread

__all__ = ["architectures", "plan", "Plan", "ComparisonTable", "parameter_count", "match_size", "MATCHES"]

#: the ways :func:`architectures` can equalise the candidates
MATCHES = (None, "params", "time")


def parameter_count(config: RunConfig | dict) -> int:
    """Trainable parameters of the network ``config`` builds (nothing is trained)."""
    model = build(config).model
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def _with_size(config: RunConfig, size: str, value: int) -> RunConfig:
    """``config`` with the setting ``size`` (a field, or ``"field.key"`` inside a dict field
    such as ``model_options``) set to ``value``."""
    head, _, key = size.partition(".")
    d = config.to_dict()
    if head not in d:
        raise ValueError(f"size setting {size!r}: RunConfig has no field {head!r}")
    if key:
        if not isinstance(d[head], dict):
            raise ValueError(f"size setting {size!r}: {head} is not a dict of options")
        return config.replace(**{head: {**d[head], key: value}})
    return config.replace(**{head: value})


def _size_of(config: RunConfig, size: str):
    head, _, key = size.partition(".")
    v = getattr(config, head)
    return v.get(key) if key else v


def match_size(config: RunConfig, target: int, size: str = "width", low: int = 1,
               high: int = 4096) -> tuple[int, int]:
    """The value of ``size`` in ``[low, high]`` whose network has the parameter count closest
    to ``target`` (ties: the smaller network), and that count. Bisects on ``size``, so the
    count must not fall as ``size`` grows; a count that cannot reach ``target`` in the range
    is an error."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise ValueError(f"target parameter count must be a positive integer; got {target!r}")
    if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
        raise ValueError(f"size range must be integers 1 <= low <= high; got [{low!r}, {high!r}]")
    counts: dict[int, int] = {}

    def count(v: int) -> int:
        if v not in counts:
            counts[v] = parameter_count(_with_size(config, size, v))
        return counts[v]

    if count(low) >= target:
        return low, count(low)
    if count(high) < target:
        raise ValueError(f"{size} = {high} gives {count(high)} parameters, still below the target {target}; "
                         f"raise the upper end of the size range")
    lo, hi = low, high  # count(lo) < target <= count(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count(mid) < target:
            lo = mid
        else:
            hi = mid
    if count(lo) > count(hi):
        raise ValueError(f"the parameter count does not grow with {size} ({size} = {lo}: {count(lo)}, "
                         f"{hi}: {count(hi)}); match on another setting")
    best = lo if target - count(lo) <= count(hi) - target else hi
    return best, count(best)


def _seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1 (or a list of seeds); got {seeds}")
        return list(range(int(seeds)))
    try:
        out = [int(s) for s in seeds]
    except (TypeError, ValueError):
        raise ValueError(f"seeds must be a number of seeds or a list of integer seeds; got {seeds!r}") from None
    if not out or len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct and at least one; got {seeds!r}")
    return out


def _plain(values) -> str:
    """``"median [min, max]"`` with three significant digits (times)."""
    m, lo, hi = spread(values)
    return f"{m:.3g} [{lo:.3g}, {hi:.3g}]"


def _median(values) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return spread(vals)[0] if vals else math.nan


@dataclass
class ComparisonTable:
    """The runs of :func:`architectures` and their summary, one row per candidate.

    ``runs[name]``: the candidate's runs, one per seed (order of ``seeds``); ``configs[name]``
    the configuration its seeds share (with seed 0 and the size chosen); ``sizes[name]`` the
    size setting and value chosen by parameter matching (empty otherwise); ``params[name]`` its
    trainable parameter count. ``trained``/``reused``: keys trained now / found in the store.
    """

    names: list[str]
    runs: dict[str, list[Run]]
    configs: dict[str, RunConfig]
    sizes: dict[str, dict]
    params: dict[str, int]
    seeds: list[int]
    metric: str = "metric/rel_l2"
    match: str | None = None
    target: int | None = None
    time_budget: float | None = None
    trained: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    def _check(self, name: str) -> None:
        if name not in self.runs:
            raise KeyError(f"no candidate {name!r} in this comparison; candidates: {self.names}")

    def errors(self, name: str) -> list[float]:
        """``metric`` at the end of each seed's run (NaN where the run logged none)."""
        self._check(name)
        return [float(r.metrics.get(self.metric, math.nan) if r.metrics.get(self.metric) is not None else math.nan)
                for r in self.runs[name]]

    def ms_per_step(self, name: str) -> list[float]:
        """Training wall time over steps, per seed, in milliseconds."""
        self._check(name)
        return [1e3 * r.metrics["time"] / r.metrics["step"] if r.metrics.get("step") else math.nan
                for r in self.runs[name]]

    def steps(self, name: str) -> list[int]:
        self._check(name)
        return [int(r.metrics.get("step", 0)) for r in self.runs[name]]

    def memory(self, name: str, what: str = "peak_rss_mb") -> list[float]:
        """Per seed, ``what`` of ``history.meta["resources"]`` (``peak_rss_mb``,
        ``peak_over_start_mb``, ``start_rss_mb``); NaN for runs stored without it."""
        self._check(name)
        out = []
        for r in self.runs[name]:
            v = (r.history.meta.get("resources") or {}).get(what)
            out.append(math.nan if v is None else float(v))
        return out

    def statuses(self, name: str) -> list[str]:
        self._check(name)
        return [r.history.status for r in self.runs[name]]

    def rows(self) -> list[dict]:
        """One dict per candidate: the chosen size, parameters, the error's median, min and
        max over the seeds, the median steps, ms per step (median, min, max), the median peak
        memory and its rise over the run's start (MiB), and the run statuses."""
        out = []
        for n in self.names:
            err = self.errors(n)
            finite = [v for v in err if math.isfinite(v)]
            ms = self.ms_per_step(n)
            fresh = [bool((r.history.meta.get("resources") or {}).get("fresh_process")) for r in self.runs[n]]
            st = self.statuses(n)
            out.append({
                "candidate": n, "size": dict(self.sizes.get(n, {})), "parameters": self.params[n],
                "seeds": len(err), "error_median": _median(err),
                "error_min": min(finite) if finite else math.nan, "error_max": max(finite) if finite else math.nan,
                "steps_median": _median(self.steps(n)), "ms_per_step_median": _median(ms),
                "ms_per_step_min": min(ms), "ms_per_step_max": max(ms),
                "peak_rss_mb_median": _median(self.memory(n)),
                "peak_over_start_mb_median": _median(self.memory(n, "peak_over_start_mb")),
                "fresh_processes": sum(fresh), "statuses": {s: st.count(s) for s in dict.fromkeys(st)},
            })
        return out

    def markdown(self) -> str:
        """The rows as a Markdown table."""
        name = self.metric.split("/", 1)[-1]
        head = ["candidate", "parameters", f"{name} median [min, max]", "steps", "ms / step",
                "peak memory (MiB)", "run's own (MiB)", "runs"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows():
            size = ", ".join(f"{k} {v}" for k, v in row["size"].items())
            runs = ", ".join(f"{c} {s}" for s, c in row["statuses"].items())
            n = row["candidate"]

            def mib(v):
                return "—" if not math.isfinite(v) else f"{v:.0f}"

            lines.append("| " + " | ".join([
                f"{n}" + (f" ({size})" if size else ""), str(row["parameters"]), fmt(self.errors(n)),
                f"{row['steps_median']:.0f}", _plain(self.ms_per_step(n)),
                mib(row["peak_rss_mb_median"]), mib(row["peak_over_start_mb_median"]), runs]) + " |")
        return "\n".join(lines)

    def __repr__(self):
        return f"ComparisonTable({self.names}, seeds {self.seeds}, match={self.match!r})"

    def _repr_markdown_(self):
        return self.markdown()


@dataclass
class Plan:
    """The configurations of a comparison before anything trains (:func:`plan`):
    ``configs[name]`` each candidate's configuration (its size chosen, seed 0), ``sizes[name]``
    the size setting parameter matching chose (empty otherwise), ``params[name]`` the
    parameter counts, ``target`` the count matched to (``match="params"``), ``seeds``.
    :meth:`run_configs` lists one configuration per candidate and seed — hand the lists of
    several plans to one :func:`pinnkit.sweep` to train them together, then
    :func:`architectures` with the same arguments finds them all in the store."""

    names: list[str]
    configs: dict[str, RunConfig]
    sizes: dict[str, dict]
    params: dict[str, int]
    seeds: list[int]
    match: str | None = None
    target: int | None = None
    time_budget: float | None = None

    def run_configs(self) -> list[RunConfig]:
        return [self.configs[n].replace(seed=s) for n in self.names for s in self.seeds]


def plan(base: RunConfig, candidates: Mapping[str, Mapping], *, seeds: int | Sequence[int] = 3,
         match: str | None = "params", target: int | str | None = None,
         size: str | Mapping[str, str] = "width", size_range: tuple[int, int] = (1, 4096),
         time_budget: float | None = None) -> Plan:
    """The configurations :func:`architectures` trains (same arguments), nothing trained."""
    if not isinstance(base, RunConfig):
        raise ValueError(f"base must be a RunConfig; got {type(base).__name__}")
    if not isinstance(candidates, Mapping) or not candidates:
        raise ValueError("candidates must be a non-empty dict {name: {setting: value}}")
    if match not in MATCHES:
        raise ValueError(f"match must be one of {list(MATCHES)}; got {match!r}")
    names = list(candidates)
    for n in names:
        if not isinstance(n, str) or not n.strip():
            raise ValueError(f"candidate names must be non-empty strings; got {n!r}")
    seed_list = _seeds(seeds)
    configs: dict[str, RunConfig] = {}
    for n, overrides in candidates.items():
        if not isinstance(overrides, Mapping):
            raise ValueError(f"candidate {n!r}: give a dict of RunConfig settings; got {overrides!r}")
        if "seed" in overrides:
            raise ValueError(f"candidate {n!r} sets a seed; seeds come from seeds=... so every candidate gets the same")
        try:
            configs[n] = base.replace(**dict(overrides), seed=0)
        except ValueError as e:
            raise ValueError(f"candidate {n!r}: {e}") from None
    sizes: dict[str, dict] = {n: {} for n in names}
    if match == "params":
        if isinstance(size, str):
            size_of = {n: size for n in names}
        elif isinstance(size, Mapping):
            bad = set(size) - set(names)
            if bad:
                raise ValueError(f"size names no candidate(s) {sorted(bad)}; candidates: {names}")
            size_of = dict(size)
        else:
            raise ValueError(f"size must be a setting name or {{candidate: setting}}; got {size!r}")
        if target is None:
            target = names[0]
        if isinstance(target, str):
            if target not in configs:
                raise ValueError(f"target {target!r} is no candidate; candidates: {names}")
            size_of.pop(target, None)
            target = parameter_count(configs[target])
        for n, s in size_of.items():
            value, _ = match_size(configs[n], target, s, *size_range)
            configs[n] = _with_size(configs[n], s, value)
            sizes[n] = {s: value}
        target = int(target)
    elif target is not None or not (isinstance(size, str) and size == "width"):
        raise ValueError("target and size are for match='params'")
    if match == "time":
        if time_budget is None:
            raise ValueError("match='time' needs time_budget=seconds per run")
        try:
            configs = {n: c.replace(time_budget=time_budget) for n, c in configs.items()}
        except ValueError as e:
            raise ValueError(f"match='time': {e}") from None
    elif time_budget is not None:
        raise ValueError("time_budget is for match='time' (set RunConfig.time_budget to stop single runs)")
    params = {n: parameter_count(c) for n, c in configs.items()}
    return Plan(names, configs, sizes, params, seed_list, match, target if match == "params" else None, time_budget)


def architectures(base: RunConfig, candidates: Mapping[str, Mapping], *, seeds: int | Sequence[int] = 3,
                  match: str | None = "params", target: int | str | None = None,
                  size: str | Mapping[str, str] = "width", size_range: tuple[int, int] = (1, 4096),
                  time_budget: float | None = None, metric: str = "metric/rel_l2",
                  store: str | os.PathLike | None = None, executor=None, max_workers: int | None = None,
                  fresh_workers: bool = True, retrain: bool = False, progress: bool = False) -> ComparisonTable:
    """Train each candidate network on ``base``'s problem and settings over ``seeds`` and
    summarise (see the module docstring).

    - ``candidates``: ``{name: {RunConfig setting: value}}``, the settings that make each
      candidate (``{"model": "pinnsformer", "model_options": {...}}``, ``{"depth": 3}``);
      applied over ``base``. The seed is set by ``seeds``, not by a candidate.
    - ``match``: ``"params"``, ``"time"`` or ``None``. With ``"params"``: ``target`` (a
      parameter count, or a candidate's name; default the first candidate, which is then
      left as given), ``size`` (the setting searched, one for all or ``{name: setting}``;
      candidates the mapping leaves out keep their size) within ``size_range``. With
      ``"time"``: ``time_budget`` seconds per run.
    - ``metric``: the column of the runs' final metrics the table calls the error.
    - ``store``, ``executor``, ``max_workers``, ``retrain``, ``progress``: as
      :func:`pinnkit.sweep` (``store`` defaults to :func:`pinnkit.report.store_dir`);
      ``fresh_workers``: a new worker process per run, so each peak memory is the run's own.
    """
    from .report import store_dir
    from .sweep import sweep

    p = plan(base, candidates, seeds=seeds, match=match, target=target, size=size, size_range=size_range,
             time_budget=time_budget)
    configs = p.run_configs()
    result = sweep(configs, executor=executor, store=store_dir() if store is None else store, retrain=retrain,
                   max_workers=max_workers, progress=progress, fresh_workers=fresh_workers)
    runs: dict[str, list[Run]] = {n: [] for n in p.names}
    for i, r in enumerate(result.runs):
        runs[p.names[i // len(p.seeds)]].append(r)
    return ComparisonTable(p.names, runs, p.configs, p.sizes, p.params, p.seeds, metric, p.match, p.target,
                           p.time_budget, result.trained, result.reused)
