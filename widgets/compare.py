"""Compare mode: two configurations of the same problem trained side by side.

    cmp = Compare(RunConfig(problem="convection", parameters={"beta": 30}, steps=1000),
                  a={"sampler": "sobol"}, b={"hard": True})
    cmp.train(); cmp

Both runs share the problem and its parameters (one set of sliders); each side has its
own settings (one tab each, right of the plots). 2D fields use the same colour range on both sides; 1D problems draw both
predictions and the reference on one set of axes, and both |error| curves on another. The
loss curves share one plot (A solid, B dashed), and a table gives the final numbers.
"""
from __future__ import annotations

import time

import holoviews as hv
import numpy as np
import panel as pn

from pinnkit.recipes import RunConfig

from .controls import Controls
from .live import LiveRun
from .resources import live_frontend, repush_when_idle, resend_text, setup
from .views import _log_axis, curves_view, field_view

__all__ = ["Compare"]


class Compare:
    """Train configuration A (``base`` updated by ``a``) and B (``base`` updated by ``b``)."""

    def __init__(self, base: RunConfig | None = None, a: dict | None = None, b: dict | None = None, *,
                 live: bool | None = None, period: int = 300, labels=("A", "B"), ui_budget: float = 0.05):
        setup()
        base = base or RunConfig(problem="convection", parameters={"beta": 30.0}, steps=300, num_points=1000)
        self.labels = labels
        self.configs = [RunConfig(**{**base.to_dict(), **(a or {})}), RunConfig(**{**base.to_dict(), **(b or {})})]
        self.live_mode = live_frontend() if live is None else live
        self.period, self.ui_budget, self._next_push = period, ui_budget, 0.0
        self.shared = Controls(base, title="Problem")
        self.sides = [Controls(c, problem_widgets=False, title=f"{lab}") for c, lab in zip(self.configs, labels)]
        self.shared.on_change(lambda what: self.reset() if what in ("problem", "parameter") else None)
        self.runs: list[LiveRun] = []
        self._callback, self._repushed = None, None
        self.pipe = hv.streams.Pipe(data=None)
        self.train_button = pn.widgets.Button(label="▶ Train both", color="primary", width=110)
        self.stop_button = pn.widgets.Button(label="■ Stop", color="danger", width=90, disabled=True)
        self.train_button.on_click(lambda e: self.train())
        self.stop_button.on_click(lambda e: self.stop())
        self.table = pn.pane.Markdown("", width=700)
        self.reset()

        def side(i, kind):
            def view(data):
                run = self.runs[i]
                snap = run.snapshots[-1]
                values = snap.pred if kind == "prediction" else snap.error
                clim = self._clim(kind)
                return field_view(run.grid, values, f"{self.labels[i]}: {kind}", run.problem.domain.names,
                                  log=kind != "prediction", clim=clim, width=300, height=220)
            return pn.pane.HoloViews(hv.DynamicMap(view, streams=[self.pipe]).opts(framewise=True), linked_axes=False)

        def losses(data):
            curves = [{f"{lab} {k}": v for k, v in run.curves("loss/").items()} for run, lab in zip(self.runs, self.labels)]
            overlays = [curves_view(c, "loss per term", dash=dash, width=520, height=260, ylabel="loss",
                                    names=[f"{lab} {t}" for t in run.terms])   # fixed legend from the start
                        for c, run, lab, dash in zip(curves, self.runs, self.labels, ("solid", "dashed"))]
            values = [np.asarray(v, float) for c in curves for _, v in c.values()]
            return (overlays[0] * overlays[1]).opts(      # one log axis for both runs' terms
                title="loss per term, both runs", logy=True,   # the legend says which line is which run
                width=520, height=260, **_log_axis(np.concatenate(values) if values else [1.0]))

        def overlay(kind):
            def view(data):
                return self._curves_1d(kind)
            return pn.pane.HoloViews(hv.DynamicMap(view, streams=[self.pipe]).opts(framewise=True), linked_axes=False)

        if len(self.runs[0].grid.shape) == 1:    # 1D: both runs on the same axes
            fields = [pn.Row(overlay("prediction"), overlay("|error|"))]
        else:
            fields = [pn.Row(side(0, "prediction"), side(0, "|error|")),
                      pn.Row(side(1, "prediction"), side(1, "|error|"))]
        self.views = pn.Column(
            *fields,
            pn.pane.HoloViews(hv.DynamicMap(losses, streams=[self.pipe]).opts(framewise=True), linked_axes=False))
        self.panel = pn.Row(pn.Column(self.shared.panel, width=310),
                            pn.Column(pn.Row(self.train_button, self.stop_button), self.table, self.views),
                            # both sides' settings in one column of tabs: three 310-px columns
                            # beside the plots were wider than a notebook at 1600 px
                            pn.Column(pn.Tabs(*[(lab, s.panel) for lab, s in zip(labels, self.sides)]),
                                      width=310))
        self.refresh()

    def _curves_1d(self, kind: str):
        """Both runs' latest prediction (with the reference) or |error| on one set of axes."""
        grid, name = self.runs[0].grid, self.runs[0].problem.domain.names[0]
        x, log = grid.axes[0], kind != "prediction"
        curves, top = [], 0.0
        if not log and grid.ref is not None:
            curves.append(hv.Curve((x, grid.ref), name, "u", label="reference").opts(
                color="black", line_dash="dotted", line_width=2))
        for run, lab, dash, color in zip(self.runs, self.labels, ("solid", "dashed"), ("#1f77b4", "#d62728")):
            snap = run.snapshots[-1]
            y = snap.pred if not log else snap.error
            if y is None:
                continue
            y = np.maximum(np.asarray(y, float), 1e-16) if log else np.asarray(y, float)
            top = max(top, float(np.nanmax(y))) if log and np.isfinite(y).any() else top
            curves.append(hv.Curve((x, y), name, "u" if not log else "|error|", label=f"{lab} (step {snap.step})")
                          .opts(color=color, line_dash=dash, line_width=1.8))
        extra = {"ylim": (top * 1e-6, top * 3)} if log and top > 0 else {}   # six decades below the largest error
        return hv.Overlay(curves).opts(title=f"{kind}, both runs", width=370, height=260,   # the legend names them
                                       logy=log, legend_position="bottom_left" if log else "top_right", **extra)

    def _clim(self, kind):
        vals = [getattr(r.snapshots[-1], "pred" if kind == "prediction" else "error") for r in self.runs]
        vals = [v for v in vals if v is not None]
        if not vals:
            return None
        if kind == "prediction":
            return (float(min(v.min() for v in vals)), float(max(v.max() for v in vals)))
        hi = max(float(np.log10(max(v.max(), 1e-12))) for v in vals)
        return (hi - 4, hi)

    def config(self, i: int) -> RunConfig:
        """Side ``i``'s settings with the shared problem and parameters."""
        c = self.sides[i].config()
        return RunConfig(**{**c.to_dict(), "problem": self.shared.problem.value,
                            "parameters": self.shared.parameter_values()})

    def reset(self) -> None:
        self.stop()
        for r in self.runs:
            if r.thread is not None:
                r.thread.join()
        self.runs = [LiveRun(self.config(i), gradient_norms=False) for i in range(2)]
        if hasattr(self, "views"):
            self.refresh()

    def train(self, wait: bool | None = None) -> "Compare":
        if any(r.running for r in self.runs):
            return self
        self.runs = [LiveRun(self.config(i), gradient_norms=False) for i in range(2)]
        for r in self.runs:
            r.start()
        self.train_button.disabled, self.stop_button.disabled = True, False
        wait = (not self.live_mode) if wait is None else wait
        if wait:
            for r in self.runs:
                r.thread.join()
            self.refresh()
        else:
            self._callback = pn.state.add_periodic_callback(self.refresh, period=self.period)
        return self

    def stop(self) -> None:
        for r in getattr(self, "runs", []):
            r.stop()

    def wait(self) -> "Compare":
        for r in self.runs:
            if r.thread is not None:
                r.thread.join()
        self.refresh()
        return self

    def final(self) -> list[dict]:
        """Final numbers of both runs (``label``, ``rel_l2``, ``loss``, ``steps``, ``seconds``)."""
        out = []
        for lab, r in zip(self.labels, self.runs):
            f = r.history.final if r.history is not None else {}
            out.append({"label": lab, "rel_l2": f.get("metric/rel_l2", r.snapshots[-1].rel_l2),
                        "loss": f.get("loss"), "steps": int(f.get("step", r.progress()["step"])),
                        "seconds": f.get("time"), "status": r.history.status if r.history else "not trained"})
        return out

    def refresh(self) -> None:
        finished = not any(r.running for r in self.runs)    # read before the runs' numbers (see Explorer.refresh)
        fmt = lambda v: "—" if v is None else (f"{v:.3e}" if isinstance(v, float) else str(v))  # noqa: E731
        rows = ["| run | settings | rel L2 | loss | steps | s | status |", "|---|---|---|---|---|---|---|"]
        cfgs = [r.config.to_dict() for r in self.runs]
        for i, f in enumerate(self.final()):
            diff = {k: v for k, v in cfgs[i].items() if k != "parameters"
                    and v != cfgs[1 - i].get(k)} or {"same": "as the other"}
            s = ", ".join(f"{k}={v}" for k, v in diff.items())
            rows.append(f"| {f['label']} | {s} | {fmt(f['rel_l2'])} | {fmt(f['loss'])} | {f['steps']} | "
                        f"{fmt(f['seconds'])} | {f['status']} |")
        self.table.object = "\n".join(rows)
        now, cpu = time.perf_counter(), time.thread_time()
        if finished or now >= self._next_push:       # redraws cost ≤ ui_budget of the time
            self.pipe.send(None)
            self._next_push = time.perf_counter() + (time.thread_time() - cpu) / self.ui_budget
        if finished and any(r.thread is not None for r in self.runs):
            if self._callback is not None:
                self._callback.stop()
                self._callback = None
            self.train_button.disabled, self.stop_button.disabled = False, True
            if self.live_mode and self._repushed is not self.runs:   # the last push again, kernel idle
                self._repushed = self.runs
                repush_when_idle(self._repush)

    def _repush(self) -> None:
        self.pipe.send(None)
        resend_text(self.table)

    def weights_view(self, terms=None, title: str | None = None, width: int = 560, height: int = 320):
        """Loss weight λ per term on both sides (A solid, B dashed, one colour per term), on
        a log axis, redrawn whenever the compare redraws. ``terms`` limits the terms shown."""
        palette = hv.Cycle.default_cycles["default_colors"]
        title = title or f"weights λ per term ({self.labels[0]} solid, {self.labels[1]} dashed)"

        def view(data):
            names = [n for n in dict.fromkeys(n for r in self.runs for n in r.curves("weight/"))
                     if terms is None or n in terms]
            colours = {n: palette[i % len(palette)] for i, n in enumerate(names)}
            curves = [hv.Curve(v, "step", "λ", label=f"{lab} {n}").opts(line_dash=dash, color=colours[n])
                      for run, lab, dash in zip(self.runs, self.labels, ("solid", "dashed"))
                      for n, v in run.curves("weight/").items() if n in colours]
            values = [np.asarray(v[1], float) for run in self.runs for n, v in run.curves("weight/").items()
                      if n in colours and len(v[1])]
            return hv.Overlay(curves).opts(logy=True, title=title, width=width, height=height, padding=0.1,
                                           legend_position="right", **_log_axis(np.concatenate(values or [[1.0]])))

        return hv.DynamicMap(view, streams=[self.pipe]).opts(framewise=True)

    def residual_points_view(self, width: int = 340, height: int = 240):
        """Each run's latest |residual| with its collocation points on top (where adaptive
        samplers put their points), redrawn whenever the compare redraws."""
        def view(data):
            return hv.Layout([field_view(run.grid, run.snapshots[-1].residual, f"{lab}: |residual|",
                                         run.problem.domain.names, log=True, points=run.snapshots[-1].points,
                                         width=width, height=height)
                              for run, lab in zip(self.runs, self.labels)]).cols(2)

        return hv.DynamicMap(view, streams=[self.pipe])

    def servable(self, title: str = "pinnkit compare"):
        return self.panel.servable(title=title)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.panel._repr_mimebundle_(include, exclude)
