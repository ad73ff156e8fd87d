"""A training run that can be watched, paused and stopped: the engine under every widget.

``LiveRun(config)`` builds the run through :func:`pinnkit.recipes.build` and trains it in a
background thread (``start()``) or in the caller's thread (``run()``), using only the
trainer's callback protocol (DESIGN.md §6). While it trains, a throttled callback takes
:class:`Snapshot` s — prediction, |error| and |residual| on a coarse grid, per-term gradient
norms ‖∇_θ L_i‖₂ (``pinnkit.diagnostics.term_gradient_norms``) and a sample of the
collocation points — at most ``max_rate`` times a second and, adaptively, so that the
snapshots cost at most ``budget`` of the training time:

    next snapshot no sooner than  max(1 / max_rate, cost_of_last_snapshot / budget)

The per-term gradients are taken once per snapshot and give, besides their norms, the
cosine between every pair of terms and a histogram of each term's entries
(``pinnkit.diagnostics.gradient_cosines`` / ``gradient_histograms``); a run trained with
a :class:`~pinnkit.losses.CausalResidual` (``causal=True``) also copies its weights
``w_i``. The temporal residual profile ``L_r(t)`` of a time-dependent problem is read off
the residual field a snapshot already holds (:meth:`LiveRun.temporal_profiles`), and the
error spectrum off its prediction: neither costs the training thread anything. The
per-term NTK spectrum is expensive and is computed only on demand
(:meth:`LiveRun.request_ntk`) on a small subset of the training points, off the
training thread.

Nothing here imports a UI library; the widgets read ``snapshots`` and ``history`` from
their own (UI) thread. Stop is a :class:`threading.Event` checked after every step, so it
takes effect within one step (and a pause is left at once).
"""
from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from pinnkit.diagnostics import (error_spectrum, gradient_cosines, gradient_histograms, ntk_spectra, residual_field,
                                 term_gradients)
from pinnkit.diagnostics.temporal import profile_of_field
from pinnkit.losses import CausalResidual, loss_terms
from pinnkit.recipes import RunConfig, build, training_options
from pinnkit.training import Callback, StopOnEvent, train
from pinnkit.training.strategies import CausalMonitor
from pinnkit.training.evaluate import predict, relative_l2

__all__ = ["Snapshot", "LiveRun", "coarse_shape", "Grid"]


def coarse_shape(shape: tuple[int, ...], most: int = 64, fewest: int = 16) -> tuple[int, ...]:
    """The test grid shrunk for live views: at most ``most`` points per axis (2D) and
    ``5 * most`` for 1D curves, keeping the aspect ratio."""
    if len(shape) == 1:
        return (min(int(shape[0]), 5 * most),)
    scale = min(1.0, most / max(shape))
    return tuple(max(min(fewest, int(s)), int(round(s * scale))) for s in shape)


@dataclass
class Grid:
    """A coarse evaluation grid and the reference on it (computed once per run)."""

    shape: tuple[int, ...]
    x: np.ndarray                 # (N, d) points, C-order over the domain's names
    axes: list[np.ndarray]        # one 1D array per coordinate
    ref: np.ndarray | None        # (N,) reference values or None

    @classmethod
    def of(cls, problem, most: int = 64) -> "Grid":
        shape = coarse_shape(problem.test_shape, most)
        x = problem.test_grid(shape)
        axes = [np.linspace(lo, hi, s) for lo, hi, s in zip(problem.domain.low, problem.domain.high, shape)]
        ref = problem.reference_on(x)[:, 0] if problem.reference is not None else None
        return cls(shape, x, axes, ref)


@dataclass
class Snapshot:
    """What the model looks like at one step (arrays on the coarse grid, ``shape``)."""

    step: int
    time: float
    pred: np.ndarray
    error: np.ndarray | None
    residual: np.ndarray
    points: np.ndarray                       # (M, d) sample of the collocation points
    losses: dict[str, float]
    weights: dict[str, float]
    grad_norms: dict[str, float]
    rel_l2: float | None
    cost: float = 0.0                        # CPU seconds spent taking it
    cosines: dict = field(default_factory=dict)      # {(a, b): cos(∇L_a, ∇L_b)}
    histograms: dict = field(default_factory=dict)   # {term: (counts (bins,), edges (bins+1,))}
    causal_weights: np.ndarray | None = None         # w_i of a CausalResidual, (num_slices,)

    def field(self, name: str, shape) -> np.ndarray | None:
        v = getattr(self, name)
        return None if v is None else v.reshape(shape)


class _Watch(Callback):
    """Pause and throttled snapshots, through the callback protocol."""

    def __init__(self, live: "LiveRun"):
        self.live = live

    def on_train_begin(self, state):
        self.live._state = state
        self.live._take(state, force=True)

    def on_step_end(self, state):
        live = self.live
        if live.pause_event.is_set():
            live._take(state, force=True)
            while live.pause_event.is_set() and not live.stop_event.is_set():
                time.sleep(0.02)
            live._resume_time(state)
        if live._ntk_request is not None:
            live._serve_ntk_request(state)
        live._take(state)

    def on_train_end(self, state):
        if self.live._ntk_request is not None:
            self.live._serve_ntk_request(state)
        self.live._take(state, force=True)


class LiveRun:
    """One configuration, trained so that it can be watched.

    - ``start()`` trains in a daemon thread; ``run()`` trains in the calling thread.
    - ``stop()`` sets the Stop event (``stop_latency`` then measures how long the thread
      took to finish, in seconds); ``pause()`` / ``resume()``.
    - ``max_rate`` (Hz) and ``budget`` (fraction of training time; ``None``: no limit)
      throttle the snapshots.
    - ``snapshots``: list of :class:`Snapshot` (at most ``keep``; older ones thinned by
      dropping every other one, the first and the latest always kept).
    - ``history``: the trainer's :class:`pinnkit.History` (live while training).
    - ``gradient_norms``: take per-term gradients in each snapshot (norms, pairwise
      cosines, ``histogram_bins``-bin histograms). The run trains what ``config`` says,
      its gradient combination (``config.combine``, ``optimizer="multiadam"``) and causal
      weighting included (:func:`pinnkit.recipes.training_options`); ``causal=True`` is
      the same as ``config.causal=True`` (and sets it in ``self.config``). A causal run's
      :class:`~pinnkit.losses.CausalResidual` is ``self.causal``: its weights go into the
      snapshots as ``causal_weights`` and ε / min w into the history rows.
    - ``ntk``: the latest on-demand NTK spectrum (:meth:`request_ntk`), or ``None``.
    """

    def __init__(self, config: RunConfig | dict, *, max_rate: float = 4.0, budget: float | None = 0.05,
                 grid_points: int = 64, show_points: int = 600, keep: int = 240, gradient_norms: bool = True,
                 causal: bool = False, histogram_bins: int = 40):
        self.config = RunConfig.from_dict(config) if isinstance(config, dict) else config
        if causal and not self.config.causal:
            self.config = RunConfig(**{**self.config.to_dict(), "causal": True})
        if not (max_rate > 0 and (budget is None or 0 < budget <= 1)):
            raise ValueError(f"max_rate must be > 0 and budget in (0, 1] or None; got {max_rate}, {budget}")
        self.problem, self.model, self.sampler, self.balancer, self.plan = build(self.config)
        self.model.to(getattr(torch, self.config.dtype))
        self.grid = Grid.of(self.problem, grid_points)
        self.max_rate, self.budget, self.show_points, self.keep = max_rate, budget, show_points, keep
        self.gradient_norms, self.histogram_bins = gradient_norms, histogram_bins
        self.extra = training_options(self.config, self.problem)   # combine=, residual_loss=
        self.causal: CausalResidual | None = self.extra.get("residual_loss")
        self.ntk: dict | None = None
        self.ntk_busy = False
        self._ntk_request: int | None = None
        self.stop_event, self.pause_event = threading.Event(), threading.Event()
        self.snapshots: list[Snapshot] = []
        self.history = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.stop_latency: float | None = None
        self.snapshot_time = 0.0           # total seconds spent in snapshots
        self.train_time = 0.0              # wall time of the whole train() call
        self._state = None
        self._next = 0.0
        self._stop_requested: float | None = None
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(0)
        self.snapshots.append(self._snapshot_of_model(step=0, losses={}, weights={}, grads={}, points=None, t=0.0))

    # -- control -----------------------------------------------------------------------
    @property
    def total_steps(self) -> int:
        return sum(n for _, n in self.plan)

    @property
    def terms(self) -> list[str]:
        """Loss term names of this run: the residual and every condition the model does
        not satisfy exactly (hard constraints remove theirs)."""
        satisfied = set(getattr(self.model, "satisfies", ()))
        return ["residual"] + [n for n in self.problem.conditions if n not in satisfied]

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
        c = self.config
        t0 = time.perf_counter()
        try:
            self.history = train(self.problem, self.model, sampler=self.sampler, balancer=self.balancer,
                                 optimizer=self.plan, condition_points=c.condition_points,
                                 callbacks=[StopOnEvent(self.stop_event), _Watch(self)]
                                 + ([CausalMonitor(self.causal)] if self.causal is not None else []),
                                 eval_every=c.eval_every, seed=c.seed, dtype=c.dtype, threads=c.threads,
                                 progress=False, engine=c.engine, **self.extra)
            self.history.meta["config"] = c.to_dict()
        except BaseException as e:  # shown by the widget; never lost in a thread
            self.error = e
        finally:
            self.train_time = time.perf_counter() - t0
            if self._ntk_request is not None:      # training failed before serving it
                self._ntk_request, self.ntk_busy = None, False
            if self._stop_requested is not None:
                self.stop_latency = time.perf_counter() - self._stop_requested
        return self

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
        snaps = list(self.snapshots)
        names = dict.fromkeys(n for s in snaps for n in s.grad_norms)
        return {n: (np.array([s.step for s in snaps if n in s.grad_norms], float),
                    np.array([s.grad_norms[n] for s in snaps if n in s.grad_norms], float)) for n in names}

    def cosine_curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{"a · b": (steps, cos(∇L_a, ∇L_b))}`` over the snapshots, one per pair of terms."""
        snaps = list(self.snapshots)
        pairs = dict.fromkeys(k for s in snaps for k in s.cosines)
        return {f"{a} · {b}": (np.array([s.step for s in snaps if (a, b) in s.cosines], float),
                               np.array([s.cosines[(a, b)] for s in snaps if (a, b) in s.cosines], float))
                for a, b in pairs}

    def temporal_profiles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(steps (S,), t (n_t,), L_r (S, n_t))``: ``L_r(t) = mean_x |R(x, t)|²`` of each
        snapshot on the coarse grid (the residual field it holds; the same numbers as
        :func:`pinnkit.diagnostics.temporal.temporal_residual_profile` on that grid), or
        ``None`` when the problem is not time-dependent."""
        if not self.problem.domain.is_time_dependent or len(self.grid.shape) < 2:
            return None
        snaps = list(self.snapshots)
        return (np.array([s.step for s in snaps], float), self.grid.axes[-1],
                np.stack([profile_of_field(s.residual.reshape(self.grid.shape)) for s in snaps]))

    def causal_weight_map(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(steps (S,), slice centres (N_t,), w (S, N_t))`` of a causal run, else ``None``."""
        if self.causal is None:
            return None
        snaps = [s for s in self.snapshots if s.causal_weights is not None]
        if not snaps:
            return None
        return (np.array([s.step for s in snaps], float), np.asarray(self.causal.slice_centers, float),
                np.stack([s.causal_weights for s in snaps]))

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
        periodic = any(getattr(c, "name", None) == name and type(c).__name__ == "Periodic"
                       for c in self.problem.conditions.values())
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
        rng = np.random.default_rng(self.config.seed)
        satisfied = set(getattr(self.model, "satisfies", ()))
        pts = {"residual": self.sampler.sample(self.problem.domain, rng)}
        pts.update({n: c.sample(self.config.condition_points, rng) for n, c in self.problem.conditions.items()
                    if n not in satisfied})
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

    # -- snapshots (training thread) ----------------------------------------------------
    def _resume_time(self, state):
        self._next = time.perf_counter()

    def _take(self, state, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now < self._next:
            return
        cpu = time.thread_time()
        params = state.params
        norms, cosines, hists = {}, {}, {}
        if self.gradient_norms:
            trainable = [p for p in list(state.model.parameters()) + list(state.unknowns.values()) if p.requires_grad]
            flat = term_gradients(loss_terms(state.problem, state.model, state.points, params), trainable)
            norms = {n: float(g.norm()) for n, g in flat.items()}
            if len(flat) > 1:
                cosines = gradient_cosines(flat)
            hists = gradient_histograms(flat, bins=self.histogram_bins)
        snap = self._snapshot_of_model(state.step, dict(state.losses), dict(state.weights), norms,
                                       state.points["residual"], state.elapsed, params)
        snap.cosines, snap.histograms = cosines, hists
        cost = time.thread_time() - cpu          # CPU seconds of this thread (load-independent)
        snap.cost = cost
        self.snapshot_time += cost
        self._next = time.perf_counter() + max(1.0 / self.max_rate, cost / self.budget if self.budget else 0.0)
        with self._lock:
            if self.snapshots and self.snapshots[-1].step == snap.step:
                self.snapshots[-1] = snap
            else:
                self.snapshots.append(snap)
            if len(self.snapshots) > self.keep:
                first, last = self.snapshots[0], self.snapshots[-1]
                self.snapshots = [first] + self.snapshots[1:-1][1::2] + [last]

    def _snapshot_of_model(self, step, losses, weights, grads, points, t, params=None) -> Snapshot:
        g = self.grid
        pred = predict(self.model, g.x)[:, 0]
        res = residual_field(self.problem, self.model, g.x, params if params is not None else self.problem.values)
        err = np.abs(pred - g.ref) if g.ref is not None else None
        if points is None:
            pts = self.sampler.sample(self.problem.domain, np.random.default_rng(self.config.seed))
        else:
            pts = points.detach().double().numpy()
        if len(pts) > self.show_points:
            pts = pts[self._rng.choice(len(pts), self.show_points, replace=False)]
        rel = relative_l2(pred, g.ref) if g.ref is not None else None
        causal = np.array(self.causal.weights, float) if self.causal is not None else None
        return Snapshot(step, t, pred, err, res, pts, losses, weights, grads, rel, causal_weights=causal)
