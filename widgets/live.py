"""A training run that can be watched, paused and stopped: the engine under every widget.

``LiveRun(config)`` builds the run through :func:`pinnkit.recipes.build` (the same recipe
:func:`pinnkit.recipes.run` trains) and trains it in a background thread (``start()``) or in
the caller's thread (``run()``), using only the trainer's callback protocol. Snapshots come
from :class:`pinnkit.diagnostics.Recorder` — the recorder notebooks use — throttled to at
most ``max_rate`` per second and ``budget`` of the training time. A run with a training
strategy (curriculum, seq2seq) is watched through the model that is saved (for seq2seq, the
windows stitched in time), so the views show the whole solution as it forms.

The per-term NTK spectrum is expensive and is computed only on demand
(:meth:`LiveRun.request_ntk`) on a small subset of the training points, off the training
thread.

Nothing here imports a UI library; the widgets read ``snapshots`` and ``history`` from
their own (UI) thread. Stop is a :class:`threading.Event` checked after every step, so it
takes effect within one step (and a pause is left at once).
"""
from __future__ import annotations

import copy
import math
import threading
import time

import numpy as np
import torch

from pinnkit.diagnostics import error_spectrum, ntk_spectra
from pinnkit.diagnostics.recorder import Grid, Recorder, Snapshot, coarse_shape
from pinnkit.problems.conditions import Periodic
from pinnkit.recipes import RunConfig, build
from pinnkit.training import Callback, StopOnEvent
from pinnkit.training.loop import condition_point_sets

__all__ = ["Snapshot", "LiveRun", "coarse_shape", "Grid"]


class _Watch(Callback):
    """Pause, on-demand NTK requests and the recorder, through the callback protocol."""

    def __init__(self, live: "LiveRun"):
        self.live = live

    def on_train_begin(self, state):
        self.live._state = state
        self.live.recorder.take(state, force=True)

    def on_step_end(self, state):
        live = self.live
        if live.pause_event.is_set():
            live.recorder.take(state, force=True)
            while live.pause_event.is_set() and not live.stop_event.is_set():
                time.sleep(0.02)
            live.recorder.resume()
        if live._ntk_request is not None:
            live._serve_ntk_request(state)
        live.recorder.take(state)

    def on_train_end(self, state):
        if self.live._ntk_request is not None:
            self.live._serve_ntk_request(state)
        self.live.recorder.take(state, force=True)


class LiveRun:
    """One configuration, trained so that it can be watched.

    - ``start()`` trains in a daemon thread; ``run()`` trains in the calling thread.
    - ``stop()`` sets the Stop event (``stop_latency`` then measures how long the thread
      took to finish, in seconds); ``pause()`` / ``resume()``.
    - ``max_rate`` (Hz) and ``budget`` (fraction of training time; ``None``: no limit)
      throttle the snapshots (:class:`~pinnkit.diagnostics.Recorder`).
    - ``snapshots``: list of :class:`Snapshot` (at most ``keep``).
    - ``history``: the trainer's :class:`pinnkit.History` (live while training).
    - ``gradient_norms``: take per-term gradients in each snapshot (norms, pairwise
      cosines, ``histogram_bins``-bin histograms). ``causal=True`` is the same as
      ``config.causal=True`` (and sets it in ``self.config``); the causal weights of such
      a run go into the snapshots as ``causal_weights``.
    - ``ntk``: the latest on-demand NTK spectrum (:meth:`request_ntk`), or ``None``.
    """

    def __init__(self, config: RunConfig | dict, *, max_rate: float = 4.0, budget: float | None = 0.05,
                 grid_points: int = 64, show_points: int = 600, keep: int = 240, gradient_norms: bool = True,
                 causal: bool = False, histogram_bins: int = 40, output: int = 0):
        self.config = RunConfig.from_dict(config) if isinstance(config, dict) else config
        if causal and not self.config.causal:
            self.config = self.config.replace(causal=True)
        self.recipe = build(self.config)
        self.problem, self.model, self.sampler = self.recipe.problem, self.recipe.model, self.recipe.sampler
        self.recorder = Recorder(self.problem, self.model, every=None, max_rate=max_rate, budget=budget,
                                 grid_points=grid_points, show_points=show_points, keep=keep,
                                 gradients=gradient_norms, histogram_bins=histogram_bins, seed=0, output=output)
        self.grid = self.recorder.grid
        self.max_rate, self.budget, self.show_points, self.keep = max_rate, budget, show_points, keep
        self.gradient_norms, self.histogram_bins = gradient_norms, histogram_bins
        self.ntk: dict | None = None
        self.ntk_busy = False
        self._ntk_request: int | None = None
        self.stop_event, self.pause_event = threading.Event(), threading.Event()
        self.history = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.stop_latency: float | None = None
        self.train_time = 0.0              # wall time of the whole train() call
        self._state = None
        self._stop_requested: float | None = None
        first = self.sampler.sample(self.problem.domain, np.random.default_rng(self.config.seed)) \
            if self.recipe.strategy.stages == 1 else None
        # a causal run's residual before training: its weights (all ones) are in the first snapshot
        self._causal0 = self.recipe.make_residual_loss(self.problem) if self.config.causal else None
        self.recorder.add(self.recorder.snapshot(self.model, 0, 0.0, points=first,
                                                 causal_weights=getattr(self._causal0, "weights", None)))

    @property
    def snapshots(self) -> list[Snapshot]:
        return self.recorder.snapshots

    @property
    def snapshot_time(self) -> float:
        """Total CPU seconds spent in snapshots."""
        return self.recorder.snapshot_time

    @property
    def causal(self):
        """The causally weighted residual the run trains with (``None`` if not causal)."""
        st = self._state
        loss = getattr(st, "residual_loss", None) if st is not None else None
        return loss if hasattr(loss, "slice_centers") else self._causal0

    # -- control -----------------------------------------------------------------------
    @property
    def total_steps(self) -> int:
        return self.recipe.total_steps

    @property
    def terms(self) -> list[str]:
        """Loss term names of this run: the residual and every condition the model does
        not satisfy exactly (hard constraints remove theirs)."""
        return self.recipe.terms

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def done(self) -> bool:
        return self.history is not None and self.history.status != "running" and not self.running

    def start(self) -> "LiveRun":
        if self.thread is not None:
            raise RuntimeError("this run has already been started; build a new LiveRun to train again")
        self.thread = threading.Thread(target=self.run, name=f"pinnkit-{self.problem.name}", daemon=True)
        self.thread.start()
        return self

    def run(self) -> "LiveRun":
        t0 = time.perf_counter()
        try:
            self.history = self.recipe.train(callbacks=[StopOnEvent(self.stop_event), _Watch(self)], progress=False)
        except BaseException as e:  # shown by the widget; never lost in a thread
            self.error = e
        finally:
            self.train_time = time.perf_counter() - t0
            if self._ntk_request is not None:      # training failed before serving it
                self._ntk_request, self.ntk_busy = None, False
            if self._stop_requested is not None:
                self.stop_latency = time.perf_counter() - self._stop_requested
        return self

    @property
    def output(self) -> int:
        """The output column the snapshots show (a multi-output problem)."""
        return self.recorder.output

    def show_output(self, output: int) -> None:
        """Show output column ``output`` (a multi-output problem) in every snapshot, from the
        first to the latest (each snapshot keeps all the outputs); not while training."""
        if self.running:
            raise RuntimeError("the output shown can change only while no training runs")
        self.recorder.select_output(output)

    def stop(self) -> None:
        if self._stop_requested is None:
            self._stop_requested = time.perf_counter()
        self.stop_event.set()
        self.pause_event.clear()

    def pause(self) -> None:
        self.pause_event.set()

    def resume(self) -> None:
        self.pause_event.clear()

    def join(self, timeout: float | None = None) -> "LiveRun":
        if self.thread is not None:
            self.thread.join(timeout)
        if self.error is not None:
            raise RuntimeError(f"training failed: {self.error!r}") from self.error
        return self

    # -- live numbers ------------------------------------------------------------------
    def progress(self) -> dict:
        """``step``, ``total``, ``steps_per_s``, ``eta`` (s) and ``elapsed`` (s) right now."""
        st = self._state
        step = st.step if st is not None else 0
        elapsed = st.elapsed if st is not None else 0.0
        if self.history is not None and self.history.final:
            step, elapsed = int(self.history.final.get("step", step)), float(self.history.final.get("time", elapsed))
        rate = step / elapsed if elapsed > 0 else 0.0
        eta = (self.total_steps - step) / rate if rate > 0 and not self.done else 0.0
        return {"step": step, "total": self.total_steps, "steps_per_s": rate, "eta": eta, "elapsed": elapsed}

    def curves(self, prefix: str = "loss/", most: int = 1500) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{term: (steps, values)}`` from the history rows so far, thinned to ``most`` points."""
        h = self.history if self.history is not None else (self._state.history if self._state else None)
        if h is None:
            return {}
        rows = h.rows[: len(h.rows)]           # a copy of the list: the trainer may append meanwhile
        stride = max(1, len(rows) // most)
        rows = rows[::stride] + ([rows[-1]] if rows and (len(rows) - 1) % stride else [])
        out = {}
        for key in dict.fromkeys(k for r in rows[-1:] + rows[:1] for k in r):
            if key.startswith(prefix):
                pairs = [(r["step"], r[key]) for r in rows if key in r and r[key] is not None]
                if pairs:
                    s, v = zip(*pairs)
                    out[key[len(prefix):]] = (np.asarray(s, float), np.asarray(v, float))
        return out

    def grad_norm_curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self.recorder.curves("grad_norms")

    def cosine_curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{"a · b": (steps, cos(∇L_a, ∇L_b))}`` over the snapshots, one per pair of terms."""
        return self.recorder.curves("cosines")

    def temporal_profiles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(steps (S,), t (n_t,), L_r (S, n_t))``: ``L_r(t) = mean_x |R(x, t)|²`` of each
        snapshot on the coarse grid, or ``None`` when the problem is not time-dependent."""
        if not self.problem.domain.is_time_dependent or len(self.grid.shape) < 2:
            return None
        steps, t, prof = self.recorder.heatmap()
        return steps.astype(float), t, prof

    def causal_weight_map(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(steps (S,), slice centres (N_t,), w (S, N_t))`` of a causal run, else ``None``."""
        causal = self.causal
        found = self.recorder.causal_weight_map()
        if causal is None or found is None:
            return None
        steps, w = found
        return steps, np.asarray(causal.slice_centers, float), w

    def error_spectrum(self, snap: Snapshot | None = None):
        """FFT along the first coordinate of the signed error ``prediction − reference``
        of ``snap`` (default the latest) on the coarse grid, the RMS over the other
        coordinates (:func:`pinnkit.diagnostics.error_spectrum`); ``None`` without a
        reference. A periodic first coordinate drops its repeated end point."""
        snap = snap or self.snapshots[-1]
        g = self.grid
        if g.ref is None:
            return None
        e = (snap.pred - g.ref).reshape(g.shape).reshape(g.shape[0], -1)
        name = self.problem.domain.names[0]
        periodic = any(isinstance(c, Periodic) and c.name == name for c in self.problem.conditions.values())
        return error_spectrum(e, g.axes[0], periodic_endpoint=periodic)

    # -- NTK spectrum, on demand ---------------------------------------------------------
    def request_ntk(self, points: int = 64, wait: bool = True) -> None:
        """Compute the per-term NTK spectrum (:func:`pinnkit.diagnostics.ntk_spectra`) on
        ``points`` residual points and ``points // 2`` points per condition (a fixed random
        subset of the training points); the result lands in ``ntk`` as ``{"step",
        "spectra", "points", "seconds"}`` (or ``{"step", "error", "seconds"}``).

        While training, the training thread only copies the model and the subset at the
        end of its next step; the kernel is always computed on that copy in another
        thread. ``wait``: block until ``ntk`` holds the result."""
        if isinstance(points, bool) or not isinstance(points, int) or points < 2:
            raise ValueError(f"points must be an integer >= 2; got {points!r}")
        self.ntk_busy = True
        if self.running and self._state is not None:
            self._ntk_request = points
        else:
            st = self._state
            pts = st.points if st is not None else self._fresh_points()
            params = {k: float(v) for k, v in st.params.items()} if st is not None else None
            self._start_ntk(copy.deepcopy(self.model), self._subset(pts, points), self.snapshots[-1].step, params)
        while wait and self.ntk_busy:
            if self._ntk_request is not None and not self.running:   # the run ended before serving it
                self._ntk_request, self.ntk_busy = None, False
            time.sleep(0.01)

    _ntk_thread: threading.Thread | None = None

    def _fresh_points(self) -> dict:
        """The points the run starts from (what ``train`` draws with the run's seed)."""
        rng = np.random.default_rng(self.config.seed)
        pts = {"residual": self.sampler.sample(self.problem.domain, rng)}
        pts.update(condition_point_sets(self.problem, self.model, self.config.condition_points, rng, torch.float64))
        return pts

    def _subset(self, points: dict, n: int) -> dict:
        rng = np.random.default_rng(self.config.seed)
        out = {}
        for name, x in points.items():
            x = x.detach().double().numpy() if torch.is_tensor(x) else np.asarray(x, float)
            k = n if name == "residual" else max(2, n // 2)
            out[name] = x[np.sort(rng.choice(len(x), k, replace=False))] if len(x) > k else x.copy()
        return out

    def _compute_ntk(self, model, points, step, params):
        t = time.perf_counter()
        try:
            spectra = ntk_spectra(self.problem, model, points,
                                  {k: float(v) for k, v in params.items()} if params is not None else None)
            self.ntk = {"step": step, "spectra": spectra, "points": {k: len(v) for k, v in points.items()},
                        "seconds": time.perf_counter() - t}
        except Exception as e:  # shown by the widget
            self.ntk = {"step": step, "error": repr(e), "seconds": time.perf_counter() - t}
        finally:
            self.ntk_busy = False

    def _serve_ntk_request(self, state) -> None:
        n, self._ntk_request = self._ntk_request, None
        params = {k: float(v) for k, v in state.params.items()}
        self._start_ntk(copy.deepcopy(state.model), self._subset(state.points, n), state.step, params)

    def _start_ntk(self, model, points, step, params) -> None:
        self._ntk_thread = threading.Thread(target=self._compute_ntk, args=(model, points, step, params),
                                            name="pinnkit-ntk", daemon=True)
        self._ntk_thread.start()

    @property
    def overhead(self) -> float:
        """Fraction of the training wall time spent taking snapshots."""
        return self.snapshot_time / self.train_time if self.train_time > 0 else math.nan
