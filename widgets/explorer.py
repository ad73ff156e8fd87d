"""Parameter explorer: sweep one problem parameter, plot the final error against it, with
a thumbnail of each run's |error| field.

    ex = Explorer(RunConfig(problem="convection", steps=1000), "beta", [1, 10, 20, 30, 40, 50])
    ex.sweep()      # trains what is not cached yet
    ex              # error vs β and the thumbnails

Every finished run goes into pinnkit's run store (:class:`pinnkit.sweep.RunStore`, the one
:func:`pinnkit.sweep` uses: ``cache_dir/runs``, default ``build/cache/runs`` or
``$PINNKIT_CACHE/runs``), keyed by the hash of the full configuration, so revisiting a
value — in this session or the next, or one a sweep already trained — costs no training;
results are also kept in memory.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import panel as pn

from pinnkit.problems import zoo
from pinnkit.recipes import Run, RunConfig
from pinnkit.sweep import RunStore
from pinnkit.training.evaluate import predict

from .controls import Controls
from .live import Grid, LiveRun
from .resources import live_frontend, repush_when_idle, resend_text, setup
from .views import error_thumbnail, sweep_view

__all__ = ["Explorer", "SweepResult", "ResultCache"]


@dataclass
class SweepResult:
    value: float
    key: str
    rel_l2: float | None
    error: np.ndarray | None       # |error| on the coarse grid, (N,)
    steps: int
    seconds: float
    source: str                    # "trained", "memory" or "disk"


class ResultCache:
    """Results by configuration key: in memory, and as runs in a :class:`RunStore` under
    ``folder/runs`` (the |error| thumbnail of a stored run is recomputed from its model)."""

    def __init__(self, folder: str | Path | None = None, store: str | Path | RunStore | None = None):
        if store is not None:
            self.store = store if isinstance(store, RunStore) else RunStore(store)
        else:
            self.store = RunStore(Path(folder or os.environ.get("PINNKIT_CACHE", "build/cache")) / "runs")
        self.memory: dict[str, SweepResult] = {}

    def get(self, config: RunConfig, value: float, grid: Grid) -> SweepResult | None:
        key = config.key()
        if key in self.memory:
            r = self.memory[key]
            return SweepResult(**{**r.__dict__, "source": "memory"})
        if self.store.has(config):
            run = self.store.load(config)
            g = Grid.of(run.problem, shape=grid.shape)  # the reference at this value
            err = np.abs(predict(run.model, g.x)[:, 0] - g.ref) if g.ref is not None else None
            f = run.history.final
            r = SweepResult(float(value), key, f.get("metric/rel_l2"), err, int(f.get("step", 0)),
                            float(f.get("time", 0.0)), "disk")
            self.memory[key] = r
            return r
        return None

    def put(self, r: SweepResult, run: Run) -> None:
        self.memory[r.key] = r
        self.store.put(run)


class Explorer:
    """Sweep ``parameter`` of ``config.problem`` over ``values`` (numbers).

    ``store``: the run store to read and fill (default ``cache_dir/runs``) — give a
    notebook's :func:`pinnkit.report.store_dir` and the explorer shows the runs a
    :func:`pinnkit.sweep` of the same configurations already trained, without training.

    ``sweep()`` runs in a thread when a browser watches, otherwise to the end;
    ``stop()`` stops the sweep within one training step. ``results`` maps each value to
    its :class:`SweepResult`; ``trained`` counts runs that actually trained.
    """

    def __init__(self, config: RunConfig | None = None, parameter: str | None = None, values=None, *,
                 cache_dir: str | Path | None = None, store: str | Path | RunStore | None = None,
                 live: bool | None = None, period: int = 400, **settings):
        setup()
        config = config or RunConfig(problem="convection", steps=300, num_points=1000)
        self.config = RunConfig(**{**config.to_dict(), **settings})
        problem = zoo.get(self.config.problem, **self.config.parameters)
        if not problem.parameters:
            raise ValueError(f"{problem.name} has no parameters to sweep")
        self.parameter = parameter or next(iter(problem.parameters))
        if self.parameter not in problem.parameters:
            raise ValueError(f"{problem.name} has no parameter {self.parameter!r}; it has {sorted(problem.parameters)}")
        spec = self._spec = problem.parameters[self.parameter]
        if values is None:
            values = np.geomspace(spec.low, spec.high, 5) if spec.log else np.linspace(max(spec.low, 1.0), spec.high, 5)
        self.cache = ResultCache(cache_dir, store)
        self.live_mode = live_frontend() if live is None else live
        self.period = period
        self.results: dict[float, SweepResult] = {}
        self.trained = 0
        self.current: LiveRun | None = None
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self._callback = None
        self.grid = Grid.of(problem)
        self.names = problem.domain.names

        self.controls = Controls(self.config, title="Run settings")
        self.controls.parameters.pop(self.parameter).widget.visible = False
        self.controls.problem.disabled = True
        self.values = pn.widgets.TextInput(label=f"{self.parameter} values (numbers, comma separated)",
                                           value=", ".join(f"{v:g}" for v in values), width=300)
        self.sweep_button = pn.widgets.Button(label="▶ Sweep", color="primary", width=90)
        self.stop_button = pn.widgets.Button(label="■ Stop", color="danger", width=90, disabled=True)
        self.sweep_button.on_click(lambda e: self.sweep())
        self.stop_button.on_click(lambda e: self.stop())
        self.status = pn.pane.Markdown("", width=700)
        self.plot = pn.pane.HoloViews(sweep_view(self.parameter, [], []), linked_axes=False)
        self.thumbs = pn.FlexBox()
        self.panel = pn.Row(pn.Column(self.values, pn.Row(self.sweep_button, self.stop_button), self.controls.panel),
                            pn.Column(self.status, self.plot, self.thumbs, width=900))
        self.refresh()

    # -- values and configs --------------------------------------------------------------
    def parse_values(self) -> list[float]:
        """The numbers typed in the values box (parsed as floats only, never evaluated)."""
        out = []
        for part in self.values.value.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                v = float(part)
            except ValueError:
                raise ValueError(f"{part!r} is not a number") from None
            if not np.isfinite(v):
                raise ValueError(f"{part!r} is not a finite number")
            out.append(v)
        if not out:
            raise ValueError("give at least one value")
        return out

    def config_for(self, value: float) -> RunConfig:
        c = self.controls.config()
        return RunConfig(**{**c.to_dict(), "parameters": {**c.parameters, self.parameter: float(value)}})

    # -- running -------------------------------------------------------------------------
    def run_one(self, value: float) -> SweepResult:
        """The result for one value: from the cache, or trained now (and cached)."""
        config = self.config_for(value)
        key = config.key()
        hit = self.cache.get(config, value, self.grid)
        if hit is not None:
            self.results[value] = hit
            return hit
        run = LiveRun(config, gradient_norms=False, max_rate=2.0)
        self.current = run
        if self.stop_event.is_set():
            run.stop()
        run.run()
        if run.error is not None:
            raise RuntimeError(f"{self.parameter} = {value}: training failed: {run.error!r}") from run.error
        snap = run.snapshots[-1]
        self.grid = run.grid
        f = run.history.final
        r = SweepResult(float(value), key, f.get("metric/rel_l2"), snap.error, int(f.get("step", 0)),
                        float(f.get("time", 0.0)), "trained")
        self.trained += 1
        if run.history.status == "completed":    # stopped runs are shown, never cached
            self.cache.put(r, Run(run.config, run.problem, run.model, run.history))
        self.results[value] = r
        return r

    def _sweep(self, values):
        try:
            for v in values:
                if self.stop_event.is_set():
                    break
                self.run_one(v)
        except Exception as e:  # shown in the status line
            self.error = e

    def sweep(self, wait: bool | None = None) -> "Explorer":
        if self.thread is not None and self.thread.is_alive():
            return self
        self.error = None
        try:
            values = self.parse_values()
        except ValueError as e:
            self.status.object = f"**{e}**"
            return self
        self.results = {v: r for v, r in self.results.items() if v in values}
        self.stop_event.clear()
        self.sweep_button.disabled, self.stop_button.disabled = True, False
        self.thread = threading.Thread(target=self._sweep, args=(values,), daemon=True, name="pinnkit-sweep")
        self.thread.start()
        wait = (not self.live_mode) if wait is None else wait
        if wait:
            self.thread.join()
            self.refresh()
        else:
            self._callback = pn.state.add_periodic_callback(self.refresh, period=self.period)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self.current is not None:
            self.current.stop()

    def wait(self) -> "Explorer":
        if self.thread is not None:
            self.thread.join()
        self.refresh()
        return self

    # -- views ---------------------------------------------------------------------------
    def refresh(self) -> None:
        # Whether the sweep thread is alive is read *before* the results: a thread that ends
        # between the two reads has stored all its results by then, so the last redraw,
        # made when it is seen dead, shows every value (read in the other order, a sweep
        # finishing in between left the page at "2 result(s)" with Sweep re-enabled).
        running = self.thread is not None and self.thread.is_alive()
        items = sorted(list(self.results.items()))
        xs = [v for v, _ in items]
        drawn = [(v, r.key) for v, r in items]
        if drawn != getattr(self, "_drawn", None):        # redraw only when a result arrived
            self._drawn = drawn
            spec = self._spec
            self.plot.object = sweep_view(self.parameter, xs, [r.rel_l2 for _, r in items], logx=spec.log)
            self.thumbs.objects = [pn.pane.HoloViews(error_thumbnail(
                self.grid, r.error, self.names, f"{self.parameter}={v:g}  L2={r.rel_l2:.2g}"
                if r.rel_l2 is not None else f"{self.parameter}={v:g}"), linked_axes=False)
                for v, r in items if r.error is not None]
        srcs = [r.source for _, r in items]
        line = (f"{len(items)} result(s): {srcs.count('trained')} trained, "
                f"{srcs.count('memory') + srcs.count('disk')} from the cache")
        if running and self.current is not None:
            p = self.current.progress()
            line += f" · training {self.parameter} = {self.current.problem.values[self.parameter]:g}: " \
                    f"step {p['step']} / {p['total']}"
        if getattr(self, "error", None) is not None:
            line += f" · **failed:** `{self.error!r}`"
        self.status.object = line
        if not running:
            if self._callback is not None:
                self._callback.stop()
                self._callback = None
                if self.live_mode:              # the last push again once the kernel is idle
                    repush_when_idle(self._repush)
            self.sweep_button.disabled, self.stop_button.disabled = False, True

    def _repush(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        self._drawn = None                      # redraw the plot and thumbnails too
        self.refresh()
        resend_text(self.status)

    def servable(self, title: str = "pinnkit parameter explorer"):
        return self.panel.servable(title=title)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.panel._repr_mimebundle_(include, exclude)
