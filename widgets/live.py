"""A training run that can be watched, paused and stopped: the engine under every widget.

``LiveRun(config)`` builds the run through :func:`pinnkit.recipes.build` and trains it in a
background thread (``start()``) or in the caller's thread (``run()``), using only the
trainer's callback protocol (DESIGN.md §6). While it trains, a throttled callback takes
:class:`Snapshot` s — prediction, |error| and |residual| on a coarse grid, per-term gradient
norms ‖∇_θ L_i‖₂ (``pinnkit.diagnostics.term_gradient_norms``) and a sample of the
collocation points — at most ``max_rate`` times a second and, adaptively, so that the
snapshots cost at most ``budget`` of the training time:

    next snapshot no sooner than  max(1 / max_rate, cost_of_last_snapshot / budget)

Nothing here imports a UI library; the widgets read ``snapshots`` and ``history`` from
their own (UI) thread. Stop is a :class:`threading.Event` checked after every step, so it
takes effect within one step (and a pause is left at once).
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from pinnkit.diagnostics import residual_field, term_gradient_norms
from pinnkit.losses import loss_terms
from pinnkit.recipes import RunConfig, build
from pinnkit.training import Callback, StopOnEvent, train
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
        live._take(state)

    def on_train_end(self, state):
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
    """

    def __init__(self, config: RunConfig | dict, *, max_rate: float = 4.0, budget: float | None = 0.05,
                 grid_points: int = 64, show_points: int = 600, keep: int = 240, gradient_norms: bool = True):
        self.config = RunConfig.from_dict(config) if isinstance(config, dict) else config
        if not (max_rate > 0 and (budget is None or 0 < budget <= 1)):
            raise ValueError(f"max_rate must be > 0 and budget in (0, 1] or None; got {max_rate}, {budget}")
        self.problem, self.model, self.sampler, self.balancer, self.plan = build(self.config)
        self.model.to(getattr(torch, self.config.dtype))
        self.grid = Grid.of(self.problem, grid_points)
        self.max_rate, self.budget, self.show_points, self.keep = max_rate, budget, show_points, keep
        self.gradient_norms = gradient_norms
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
                                 callbacks=[StopOnEvent(self.stop_event), _Watch(self)],
                                 eval_every=c.eval_every, seed=c.seed, dtype=c.dtype, threads=c.threads,
                                 progress=False)
            self.history.meta["config"] = c.to_dict()
        except BaseException as e:  # shown by the widget; never lost in a thread
            self.error = e
        finally:
            self.train_time = time.perf_counter() - t0
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
        grads = {}
        if self.gradient_norms:
            trainable = [p for p in list(state.model.parameters()) + list(state.unknowns.values()) if p.requires_grad]
            grads = term_gradient_norms(loss_terms(state.problem, state.model, state.points, params), trainable)
        snap = self._snapshot_of_model(state.step, dict(state.losses), dict(state.weights), grads,
                                       state.points["residual"], state.elapsed, params)
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
        return Snapshot(step, t, pred, err, res, pts, losses, weights, grads, rel)
