"""The training dashboard: change a setting, press Train, watch the fields and the losses.

    from pinnkit_widgets import Dashboard
    dash = Dashboard("burgers", steps=2000)
    dash.train()        # returns at once when a browser watches; trains to the end headless
    dash                # the view (Panel)

Views (HoloViews, fed by ``Pipe`` streams): prediction, reference, |error| and |residual|
with the collocation points on top (curves for 1D problems), per-term losses (log),
loss weights per term, per-term gradient norms, step / steps/s / ETA, and a replay
slider over the snapshots, and — for an inverse problem (observations and unknowns in
the settings: a .csv/.npz file, parameter names) — the identified parameters over training
beside their true values when known. A **Diagnostics** tab shows, from the same snapshots: the
temporal residual profile L_r(t) over training (time-dependent problems) and the causal
weights w_i over training (when "causal residual" is ticked), the cosine between every
pair of per-term gradients over training, per-term gradient histograms, the error
spectrum (FFT along x) and the singular values of the prediction's and the reference's
snapshot matrices (their decay is the Kolmogorov n-width) of the shown snapshot. The
per-term NTK spectrum, with each term's condition number, is computed **on demand only**
(its button; 64 residual points and 32 per condition, off the training thread), never at
a rate. Updates are pulled by a periodic callback in the UI thread (``period`` ms) from
the :class:`~pinnkit_widgets.live.LiveRun` that trains in a thread; the snapshots
themselves are throttled by the run (≤ 4 Hz and, in the dashboard, ≤ 3 % of training
time), and redrawing the plots by the dashboard (after a redraw that took ``c`` seconds, the
next waits ``c / ui_budget``, default 2.5 %, but never more than ``max_wait`` seconds —
uncapped while the Diagnostics tab, the dearest to draw, is open; a closed tab is not
redrawn, and is brought up to date when opened); the status line (step, steps/s, ETA)
follows every ``period``.
"""
from __future__ import annotations

import time

import holoviews as hv
import numpy as np
import panel as pn

from pinnkit.diagnostics.conditioning import condition_number
from pinnkit.diagnostics.transport import snapshot_singular_values
from pinnkit.problems import zoo
from pinnkit.recipes import RunConfig

from .controls import Controls
from .live import LiveRun
from .resources import live_frontend, repush_when_idle, resend_text, setup
from .views import (curves_view, field_view, histograms_view, note_view, ntk_view, singular_values_view,
                    spectrum_view, status_text, step_heatmap_view)

__all__ = ["Dashboard"]


class Dashboard:
    """A live training dashboard for any zoo problem.

    ``Dashboard(problem, config=None, live=None, period=250, causal=False, **settings)``:
    ``settings`` are ``RunConfig`` fields (``steps=500``, ``parameters={"nu": 0.01}``...).
    ``live`` overrides :func:`~pinnkit_widgets.resources.live_frontend`; ``causal`` ticks
    "causal residual" (time-dependent problems). ``ntk_points`` residual points (half as
    many per condition) go into the on-demand NTK spectrum.
    """

    def __init__(self, problem: str = "burgers", config: RunConfig | None = None, *, live: bool | None = None,
                 period: int = 250, max_rate: float = 4.0, budget: float | None = 0.03,
                 ui_budget: float | None = 0.025, max_wait: float = 5.0, causal: bool = False, ntk_points: int = 64,
                 **settings):
        setup()
        base = config or RunConfig(problem=problem)
        self.config0 = RunConfig(**{**base.to_dict(), "problem": problem if config is None else base.problem,
                                    **settings})
        self.live_mode = live_frontend() if live is None else live
        self.period, self.max_rate, self.budget, self.ui_budget = period, max_rate, budget, ui_budget
        self.max_wait = max_wait
        self._next_push, self._pushed, self._pushed_run = 0.0, None, None
        self.push_time = 0.0          # seconds the UI thread spent redrawing plots
        if causal and zoo.get(self.config0.problem).domain.is_time_dependent:   # ignored without time, as before
            self.config0 = RunConfig(**{**self.config0.to_dict(), "causal": True})
        self.controls = Controls(self.config0)
        self.causal = self.controls.causal     # "causal residual": the Controls' checkbox, RunConfig.causal
        self.controls.on_change(self._settings_changed)
        self.ntk_points = ntk_points
        self.pipe = hv.streams.Pipe(data=None)
        self.field_pipe = hv.streams.Pipe(data=None)  # the field views (renewed with their maps)
        self.diag_pipe = hv.streams.Pipe(data=None)   # the diagnostics (renewed with their maps)
        self.ntk_pipe = hv.streams.Pipe(data=None)    # the on-demand NTK spectrum
        self.ref_pipe = hv.streams.Pipe(data=None)    # the reference changes only with the problem
        self.run: LiveRun | None = None
        self.runs: list[LiveRun] = []
        self._callback = None
        self._following = True
        self._busy = False

        self.train_button = pn.widgets.Button(label="▶ Train", color="primary", width=90)
        self.pause_button = pn.widgets.Button(label="Pause", width=90, disabled=True)
        self.stop_button = pn.widgets.Button(label="■ Stop", color="danger", width=90, disabled=True)
        self.reset_button = pn.widgets.Button(label="↺ Reset", width=90)
        self.train_button.on_click(lambda e: self.train())
        self.pause_button.on_click(lambda e: self.toggle_pause())
        self.stop_button.on_click(lambda e: self.stop())
        self.reset_button.on_click(lambda e: self.reset())
        self.defaults_button = pn.widgets.Button(label="⟲ Defaults", width=100,
                                                 description="every setting back to this dashboard's defaults")
        self.defaults_button.on_click(lambda e: self.restore_defaults())
        # which output the fields show (multi-output problems, e.g. the pendulum's θ and p)
        self.output_select = pn.widgets.Select(options={"u": 0}, value=0, width=130, visible=False,
                                               description="which output the fields show")
        self.output_select.param.watch(self._output_chosen, "value")
        self.replay = pn.widgets.IntSlider(label="replay: snapshot", start=0, end=1, value=0, width=600,
                                           disabled=True)
        self.replay.param.watch(self._replay_moved, "value")
        self.ntk_button = pn.widgets.Button(label="Compute NTK spectrum", width=190)
        self.ntk_button.on_click(lambda e: self.compute_ntk())
        self.ntk_text = pn.pane.Markdown("", width=330)
        self._pushed_ntk, self._ntk_callback = None, None
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.message = pn.pane.Markdown("", sizing_mode="stretch_width")

        def cview(which):
            def view(data):
                snap, run = self._shown()
                if which == "losses":
                    return curves_view(run.curves("loss/"), "loss per term", ylabel="loss", names=run.terms)
                if which == "unknowns":
                    return self._unknowns_view(run)
                if which == "weights":
                    return curves_view(run.curves("weight/"), "loss weight per term", ylabel="weight",
                                       names=run.terms, logy=None)
                return curves_view(run.grad_norm_curves(), "‖∇θ loss‖ per term", ylabel="gradient norm",
                                   names=run.terms)
            return hv.DynamicMap(view, streams=[self.pipe]).opts(framewise=True)

        self.reset(build_only=True)
        self._diag_kinds = self._diagnostic_kinds(self.run)
        self.field_panes = {k: pn.pane.HoloViews(self._field_map(k), linked_axes=False)
                            for k in ("prediction", "reference", "|error|", "|residual|")}
        self.curve_panes = {k: pn.pane.HoloViews(cview(k), linked_axes=False)
                            for k in ("losses", "weights", "gradients", "unknowns")}
        self.diagnostic_panes = {k: pn.pane.HoloViews(self._diagnostic_map(k), linked_axes=False)
                                 for k in ("temporal", "causal", "spectrum", "nwidth", "cosines", "histograms", "ntk")}
        d = self.diagnostic_panes
        buttons = pn.Row(self.train_button, self.pause_button, self.stop_button, self.reset_button,
                         self.defaults_button, self.output_select)
        # plots sit in wrapping rows (FlexBox), so the dashboard fits the width it is given
        # (a JupyterLab notebook column, a browser window) instead of running off its edge
        wrap = dict(flex_wrap="wrap", sizing_mode="stretch_width")
        diagnostics = pn.FlexBox(d["temporal"], d["causal"], d["spectrum"], d["nwidth"], d["cosines"],
                                 d["histograms"], pn.Column(d["ntk"], pn.Row(self.ntk_button), self.ntk_text), **wrap)
        # live: only the open tab is rendered, so hidden diagnostics cost no redraws;
        # headless: both tabs are embedded in the saved (static) view
        self.tabs = pn.Tabs(("Losses & gradient norms", pn.FlexBox(*self.curve_panes.values(), **wrap)),
                            ("Diagnostics", diagnostics), dynamic=self.live_mode, sizing_mode="stretch_width")
        self.tabs.param.watch(self._tab_opened, "active")
        self.panel = pn.Row(
            self.controls.panel,
            pn.Column(buttons, self.status, pn.FlexBox(*self.field_panes.values(), **wrap),
                      self.tabs, self.replay, self.message, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        self._refresh_view()

    @staticmethod
    def _unknowns_view(run):
        """The identified parameters over training (``unknown/<name>`` of the history), with
        the true value dashed where it is known (observations drawn from the reference)."""
        names = list(run.problem.unknowns)
        if not names:
            return note_view("unknowns", "none: give observations (data) and unknowns to identify parameters")
        el = curves_view(run.curves("unknown/"), "identified parameters", ylabel="value", logy=None, names=names)
        for name, v in run.problem.truth.items():
            el = el * hv.HLine(v).opts(line_dash="dashed", color="black", line_width=1)
        return el

    def _tab_opened(self, event) -> None:
        """A tab just opened shows the current snapshot, not the one drawn when it closed."""
        if self.run is not None and self._pushed is not None:
            self._push(self.shown, self.run)

    # -- diagnostics -------------------------------------------------------------------
    @staticmethod
    def _diagnostic_kinds(run):
        """What the field and diagnostic views draw for this run (a DynamicMap must keep
        its element type: a new run that changes one gets new maps)."""
        return (len(run.grid.shape), run.problem.domain.is_time_dependent, run.causal is not None,
                run.grid.ref is not None, len(run.terms) > 1)

    def _field_map(self, kind):
        def view(data):
            snap, run = self._shown()
            names = run.problem.domain.names
            if kind == "reference":
                values, log, pts = run.grid.ref, False, None
            else:
                values = {"prediction": snap.pred, "|error|": snap.error, "|residual|": snap.residual}[kind]
                log, pts = kind != "prediction", snap.points if kind == "|residual|" else None
            outputs = run.problem.outputs
            title = kind if len(outputs) == 1 or kind == "|residual|" else f"{kind}: {outputs[run.output]}"
            el = field_view(run.grid, values, title, names, log=log, points=pts, width=280, height=220)
            if kind == "prediction" and len(run.grid.shape) == 1 and run.grid.ref is not None:
                el = el * hv.Curve((run.grid.axes[0], run.grid.ref), names[0], "prediction",
                                   label="reference").opts(line_dash="dashed", color="black")
            return el
        return hv.DynamicMap(view, streams=[self.ref_pipe if kind == "reference" else self.field_pipe]).opts(
            framewise=True)

    def _diagnostic_map(self, kind):
        def view(data):
            snap, run = self._shown()
            return self._diagnostic(kind, snap, run)
        return hv.DynamicMap(view, streams=[self.ntk_pipe if kind == "ntk" else self.diag_pipe]).opts(framewise=True)

    def _diagnostic(self, kind, snap, run):
        names = run.problem.domain.names
        if kind == "temporal":
            prof = run.temporal_profiles()
            if prof is None:
                return note_view("L_r(t) over training", f"{run.problem.name} is not time-dependent"
                                 if not run.problem.domain.is_time_dependent else "time only: |residual| above is L_r(t)")
            return step_heatmap_view(*prof, "temporal residual L_r(t)", "L_r", xlabel=names[-1])
        if kind == "causal":
            w = run.causal_weight_map()
            if w is None:
                why = ("tick 'causal residual' and train" if run.problem.domain.is_time_dependent
                       else f"{run.problem.name} is not time-dependent")
                return note_view("causal weights w_i", why)
            return step_heatmap_view(*w, "causal weights w_i", "w", log=False, xlabel=names[-1], clim=(0, 1),
                                     cmap="viridis")
        if kind == "spectrum":
            spec = run.error_spectrum(snap)
            if spec is None:
                return note_view("error spectrum", "no reference solution")
            return spectrum_view(spec, f"error spectrum along {names[0]} (step {snap.step})")
        if kind == "nwidth":
            if len(run.grid.shape) != 2:
                return note_view("singular values (n-width)", "a 2D field is needed for a snapshot matrix")
            svs = {"prediction": snapshot_singular_values(np.nan_to_num(snap.pred.reshape(run.grid.shape)))}
            if run.grid.ref is not None:
                svs["reference"] = snapshot_singular_values(run.grid.ref.reshape(run.grid.shape))
            return singular_values_view(svs, f"σ_k/σ_1 of u({names[0]}, {names[1]}) (step {snap.step})")
        if kind == "cosines":
            curves = run.cosine_curves()
            if not curves and len(run.terms) < 2:
                return note_view("gradient cosine", "one loss term: no pairs")
            pairs = [f"{a} · {b}" for i, a in enumerate(run.terms) for b in run.terms[i + 1:]]
            return curves_view(curves, "cos(∇L_a, ∇L_b) per pair", ylabel="cosine", logy=False,
                               names=pairs).opts(ylim=(-1.05, 1.05))
        if kind == "histograms":
            return histograms_view(snap.histograms, f"gradient entries per term (step {snap.step})",
                                   names=run.terms)
        ntk = run.ntk
        if ntk is None or "spectra" not in ntk:
            return ntk_view({}, "NTK spectrum: on demand (button)", names=run.terms)
        return ntk_view(ntk["spectra"], f"NTK eigenvalues (step {ntk['step']})", names=run.terms)

    def compute_ntk(self, wait: bool | None = None) -> None:
        """The per-term NTK spectrum of the current model (on demand; see the module doc).
        While training it is computed off the training thread and shown when ready;
        ``wait`` (default: no live front end) blocks until it is."""
        run = self.run
        if run.ntk_busy:
            return
        wait = (not self.live_mode) if wait is None else wait
        run.request_ntk(self.ntk_points, wait=wait)
        self._show_ntk(force=True)
        if not wait and self._ntk_callback is None:     # show it when ready, trained or not
            self._ntk_callback = pn.state.add_periodic_callback(self._poll_ntk, period=self.period)

    def _poll_ntk(self):
        self._show_ntk()
        if not self.run.ntk_busy and self._ntk_callback is not None:
            self._ntk_callback.stop()
            self._ntk_callback = None

    def _show_ntk(self, force: bool = False):
        run = self.run
        if run.ntk is self._pushed_ntk and not force:
            return
        ntk = run.ntk
        if run.ntk_busy:
            self.ntk_text.object = "computing… (on a copy of the model, off the training thread)"
        elif ntk is None:
            self.ntk_text.object = (f"On demand only ({self.ntk_points} residual points, "
                                    f"{max(2, self.ntk_points // 2)} per condition).")
        elif "error" in ntk:
            self.ntk_text.object = f"**NTK failed:** `{ntk['error']}`"
        else:
            pts = ", ".join(f"{k} {v}" for k, v in ntk["points"].items())
            kappa = ", ".join(f"{k} {condition_number(ev):.2g}" for k, ev in ntk["spectra"].items())
            self.ntk_text.object = (f"step {ntk['step']}: {pts} points, {ntk['seconds']:.2f} s off the training "
                                    f"thread. Condition number κ per term (λ_max/λ_min above the null space): "
                                    f"{kappa}")
        if ntk is not self._pushed_ntk or force:
            self._pushed_ntk = ntk
            self.ntk_pipe.send(None if ntk is None else ntk["step"])

    # -- what is shown -----------------------------------------------------------------
    def _shown(self):
        run = self.run
        snaps = run.snapshots
        i = len(snaps) - 1 if self._following else min(self.replay.value, len(snaps) - 1)
        return snaps[i], run

    @property
    def shown(self):
        """The snapshot on screen (the latest, or the one the replay slider points at)."""
        return self._shown()[0]

    @property
    def problem(self):
        return self.run.problem

    @property
    def history(self):
        return self.run.history if self.run is not None else None

    def _refresh_view(self, force: bool = True):
        """Update the status line; redraw the plots if ``force`` or if a new snapshot exists
        and the UI budget allows: after a redraw costing ``c`` seconds the next one waits
        ``c / ui_budget`` (plots cost far more than the status line)."""
        run = self.run
        n = len(run.snapshots)
        self._busy = True
        try:
            self.replay.end = max(1, n - 1)
            self.replay.disabled = n < 2
            if self._following:
                self.replay.value = n - 1
        finally:
            self._busy = False
        snap = self.shown
        self.replay.label = f"replay: snapshot {min(self.replay.value, n - 1)} (step {snap.step})"
        self.status.object = status_text(run.problem, run.progress(), snap, run.history,
                                         label=f"{run.problem.name} {self._param_text(run)}")
        now = time.perf_counter()
        if force or (self._pushed is not snap and now >= self._next_push):
            self._push(snap, run, force)

    def _push(self, snap, run, force: bool = True):
        t = time.thread_time()                  # CPU seconds of the UI thread
        new_run = self._pushed is None or self._pushed_run is not run
        if new_run:
            kinds = self._diagnostic_kinds(run)
            if kinds != self._diag_kinds:          # new maps on new streams: the old ones never fire again
                self._diag_kinds = kinds
                self.field_pipe, self.ref_pipe, self.diag_pipe, self.ntk_pipe = (hv.streams.Pipe(data=None)
                                                                                 for _ in range(4))
                for k, pane in self.field_panes.items():
                    pane.object = self._field_map(k)
                for k, pane in self.diagnostic_panes.items():
                    pane.object = self._diagnostic_map(k)
            self.ref_pipe.send(run.problem.values)
            self._show_ntk(force=True)
        self.field_pipe.send(snap.step)
        # a tab is drawn only while it is open (live) or for the saved view (headless): a
        # hidden HoloViews pane still redraws when its stream fires (~70 ms for the curves).
        # Both tabs share the one UI budget: the wait after a redraw is its whole cost over
        # ui_budget, uncapped while the Diagnostics tab (the dearest to draw) is open.
        diagnostics_open = not self.live_mode or self.tabs.active == 1
        if not self.live_mode or self.tabs.active == 0:
            self.pipe.send(snap.step)
        if diagnostics_open:
            self.diag_pipe.send(snap.step)
        cost = time.thread_time() - t
        wait = cost / self.ui_budget if self.ui_budget else 0.0
        if not diagnostics_open:
            # a slow redraw (first render, a loaded machine) must not freeze the views for long
            wait = min(wait, self.max_wait)
        self._next_push = time.perf_counter() + wait
        self.push_time += cost
        self._pushed, self._pushed_run = snap, run

    @staticmethod
    def _param_text(run):
        return ", ".join(f"{k} = {v:.4g}" for k, v in run.problem.values.items())

    def refresh(self) -> None:
        """Pull the latest snapshot into the views (the periodic callback calls this)."""
        run = self.run
        finished = run.thread is not None and not run.running
        self._refresh_view(force=finished)
        self._show_ntk()
        if finished:
            self._finished()

    # -- actions -----------------------------------------------------------------------
    def train(self, wait: bool | None = None) -> "Dashboard":
        """Train the current settings. ``wait`` (default: no live front end) blocks until done."""
        if self.run is not None and self.run.running:
            return self
        wait = (not self.live_mode) if wait is None else wait
        self.message.object = ""
        try:
            self.run = self._new_run()
        except (ValueError, TypeError) as e:
            self.message.object = f"**Cannot build this run:** {e}"
            return self
        self.runs.append(self.run)
        self._following = True
        self.controls.disable(True)
        self.causal.disabled = True
        self.train_button.disabled, self.pause_button.disabled, self.stop_button.disabled = True, False, False
        self.output_select.disabled = True
        self.run.start()
        if wait:
            self.run.thread.join()
            self.refresh()
        else:
            self._callback = pn.state.add_periodic_callback(self.refresh, period=self.period)
        return self

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()

    def toggle_pause(self) -> None:
        run = self.run
        if run is None or not run.running:
            return
        if run.pause_event.is_set():
            run.resume()
            self.pause_button.label = "Pause"
        else:
            run.pause()
            self.pause_button.label = "Resume"

    def reset(self, build_only: bool = False) -> None:
        """Stop any run and show the untrained model for the current settings."""
        if self.run is not None and self.run.running:
            self.run.stop()
            self.run.thread.join()
        try:
            self.run = self._new_run()
        except (ValueError, TypeError) as e:
            self.message.object = f"**Cannot build this run:** {e}"
            return
        self._following = True
        if not build_only:
            self._finished(final=False)
            self._refresh_view()

    def restore_defaults(self) -> None:
        """Stop any run and put every setting back to the dashboard's starting configuration
        (``config`` and the keyword settings it was opened with; RunConfig's defaults for the
        rest), then show the untrained model for it. ↺ Reset, by contrast, keeps the
        settings and re-initialises only the model."""
        if self.run is not None and self.run.running:
            self.run.stop()
            self.run.thread.join()
            self._finished(final=False)
        self.controls.restore(self.config0)
        self.message.object = "Settings restored to this dashboard's defaults."

    def _new_run(self) -> LiveRun:
        config = self.controls.config()
        self.causal.disabled = not self.controls.current_problem().domain.is_time_dependent
        problem = self.controls.current_problem()
        names = list(problem.outputs)
        output = self.output_select.value if self.output_select.value in range(len(names)) else 0
        run = LiveRun(config, max_rate=self.max_rate, budget=self.budget, output=output)  # causal ticked or not
        self._busy_output = True
        try:
            self.output_select.options = {n: i for i, n in enumerate(names)}
            self.output_select.value = output
            self.output_select.visible = len(names) > 1
        finally:
            self._busy_output = False
        return run

    def show_output(self, output: int) -> None:
        """Show output column ``output`` of a multi-output problem (what the output menu does)."""
        self.output_select.value = output

    def _output_chosen(self, event):
        if getattr(self, "_busy_output", False) or self.run is None:
            return
        if self.run.running:               # the menu is disabled while training; be safe anyway
            return
        self.run.show_output(event.new)
        self._following, self._pushed_run = True, None   # redraw the reference too
        self._refresh_view(force=True)

    def wait(self, timeout: float | None = None) -> "Dashboard":
        """Block until the current run ends, then show its final state."""
        if self.run is not None:
            self.run.join(timeout)
        self.refresh()
        return self

    def _finished(self, final: bool = True):
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
            if final and self.live_mode:        # the last push again once the kernel is idle
                repush_when_idle(self._repush)
        self.controls.disable(False)
        self.causal.disabled = not self.run.problem.domain.is_time_dependent
        self.train_button.disabled, self.pause_button.disabled, self.stop_button.disabled = False, True, True
        self.output_select.disabled = False
        self.pause_button.label = "Pause"
        run = self.run
        if final and run.error is not None:
            self.message.object = f"**Training failed:** `{run.error!r}`"
        elif final and run.history is not None:
            f = run.history.final
            bits = [f"status **{run.history.status}** {run.history.message}",
                    f"{int(f.get('step', 0))} steps in {f.get('time', 0):.1f} s"]
            if "metric/rel_l2" in f:
                bits.append(f"relative L2 {f['metric/rel_l2']:.3e} (test grid)")
            if run.stop_latency is not None:
                bits.append(f"stopped {run.stop_latency * 1000:.0f} ms after Stop")
            bits.append(f"live views cost {100 * run.overhead:.1f} % of training time")
            self.message.object = " · ".join(bits)

    def _repush(self) -> None:
        if self.run is None or self.run.running:
            return
        self._push(self.shown, self.run)
        for pane in (self.status, self.message):
            resend_text(pane)

    def _settings_changed(self, what: str):
        if self.run is not None and self.run.running:
            return
        if what in ("problem", "parameter") or self.run is None or not self.run.snapshots[-1].step:
            self.reset()

    def _replay_moved(self, event):
        if self._busy:
            return
        self._following = event.new >= len(self.run.snapshots) - 1
        snap = self.shown
        self.replay.label = f"replay: snapshot {event.new} (step {snap.step})"
        self._push(snap, self.run)

    # -- display -----------------------------------------------------------------------
    def servable(self, title: str = "pinnkit dashboard"):
        return self.panel.servable(title=title)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.panel._repr_mimebundle_(include, exclude)
