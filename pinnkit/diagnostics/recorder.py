"""The one recorder: snapshots of a training run, taken through the callback protocol.

A :class:`Recorder` is a :class:`~pinnkit.training.Callback` that, at chosen steps, takes a
:class:`Snapshot` of the model on a coarse grid of the problem — prediction, |error|,
|residual|, a sample of the collocation points, the per-term losses, weights and gradient
norms (with the cosines between term gradients and a histogram of each), the relative L2
error and, for a causally weighted residual, its weights ``w_i``. Notebooks record every
``every`` steps; live views record at most ``max_rate`` times a second and, adaptively, so
that snapshots cost at most ``budget`` of the training time:

    next snapshot no sooner than  max(1 / max_rate, cost_of_last_snapshot / budget)

The temporal residual profile ``L_r(t) = mean_x |R(x, t)|²`` of a time-dependent problem is
read off each snapshot's residual field (:meth:`Recorder.heatmap`), so it costs the
training nothing more.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from ..losses import loss_terms
from ..problems.problem import Problem, align_sign
from ..training.callbacks import Callback
from ..training.evaluate import predict, relative_l2
from .conditioning import gradient_cosines, gradient_histograms, term_gradients
from .fields import residual_field

__all__ = ["Grid", "Snapshot", "Recorder", "coarse_shape", "profile_of_field"]


def coarse_shape(shape: tuple[int, ...], most: int = 64, fewest: int = 16) -> tuple[int, ...]:
    """The test grid shrunk for snapshots: at most ``most`` points per axis (2D) and
    ``5 * most`` for 1D curves, keeping the aspect ratio."""
    if len(shape) == 1:
        return (min(int(shape[0]), 5 * most),)
    scale = min(1.0, most / max(shape))
    return tuple(max(min(fewest, int(s)), int(round(s * scale))) for s in shape)


def profile_of_field(residual: np.ndarray) -> np.ndarray:
    """``L_r(t) = mean_x |R(x, t)|²`` of a residual field ``(n_x, …, n_t)`` -> ``(n_t,)``."""
    r = np.asarray(residual, float)
    return (r**2).reshape(-1, r.shape[-1]).mean(axis=0)


def check_output(problem: Problem, output) -> int:
    """``output`` as a valid column of ``problem``'s outputs, or a ValueError naming them."""
    if isinstance(output, bool) or not isinstance(output, (int, np.integer)) or not 0 <= output < problem.output_dim:
        raise ValueError(f"output must be an integer in [0, {problem.output_dim}) for {problem.name} "
                         f"(outputs {list(problem.outputs)}); got {output!r}")
    return int(output)


@dataclass
class Grid:
    """A coarse evaluation grid and the reference on it (computed once per recorder)."""

    shape: tuple[int, ...]
    x: np.ndarray                 # (N, d) points, C-order over the domain's names
    axes: list[np.ndarray]        # one 1D array per coordinate
    ref: np.ndarray | None        # (N,) reference values (of the output shown) or None
    refs: np.ndarray | None = None  # (N, outputs): every output's reference (several outputs)

    @classmethod
    def of(cls, problem: Problem, most: int = 64, shape: Sequence[int] | None = None, output: int = 0) -> "Grid":
        check_output(problem, output)
        shape = tuple(shape) if shape is not None else coarse_shape(problem.test_shape, most)
        x = problem.test_grid(shape)
        axes = [np.linspace(lo, hi, s) for lo, hi, s in zip(problem.domain.low, problem.domain.high, shape)]
        refs = problem.reference_on(x) if problem.reference is not None else None
        ref = refs[:, output] if refs is not None else None
        return cls(shape, x, axes, ref, refs if problem.output_dim > 1 else None)


@dataclass
class Snapshot:
    """What the model looks like at one step (arrays on the grid, flattened)."""

    step: int
    time: float
    pred: np.ndarray
    error: np.ndarray | None
    residual: np.ndarray
    points: np.ndarray | None                        # (M, d) sample of the collocation points
    losses: dict[str, float]
    weights: dict[str, float]
    grad_norms: dict[str, float]
    rel_l2: float | None
    cost: float = 0.0                                # CPU seconds spent taking it
    cosines: dict = field(default_factory=dict)      # {(a, b): cos(∇L_a, ∇L_b)}
    histograms: dict = field(default_factory=dict)   # {term: (counts (bins,), edges (bins+1,))}
    causal_weights: np.ndarray | None = None         # w_i of a causally weighted residual
    causal_losses: np.ndarray | None = None          # its slice losses L_r(t_i)
    epsilon: float | None = None                     # and its current ε
    shape: tuple = ()
    outputs: np.ndarray | None = None                # (N, outputs): every output (several outputs)

    def field(self, name: str, shape=None) -> np.ndarray | None:
        v = getattr(self, name)
        return None if v is None else v.reshape(shape or self.shape)

    @property
    def profile(self) -> np.ndarray:
        """``L_r(t)`` over the grid's times (time-dependent problems)."""
        return profile_of_field(self.residual.reshape(self.shape))


class Recorder(Callback):
    """Snapshots of a run (see the module docstring).

    - ``problem``: what the grid, the reference and the residual field are taken from
      (default: the trained stage's problem, seen at the first step).
    - ``view``: the model to evaluate (default: the model being trained; a strategy that
      trains several networks passes the one that stitches them, e.g. seq2seq's windows).
    - ``every``: a snapshot at step 1, every ``every`` steps and at the end; or, with
      ``every=None``, time-throttled by ``max_rate`` (Hz) and ``budget`` (fraction of the
      training time; ``None``: no limit).
    - ``grid_points`` / ``shape``: the coarse grid; ``show_points``: collocation points kept
      per snapshot (a random sample; ``None``: all of them, ``0``: none); ``keep``: most
      snapshots kept (older ones thinned by
      dropping every other one, the first and the latest always kept; ``None``: all).
    - ``gradients``: take per-term gradients (norms, pairwise cosines, ``histogram_bins``
      -bin histograms) in each snapshot.
    - ``output``: which of the problem's outputs the snapshots' prediction, error and
      relative error are of (a multi-output problem: e.g. the pendulum's θ or p).
    """

    def __init__(self, problem: Problem | None = None, view=None, *, every: int | None = 100,
                 max_rate: float = 4.0, budget: float | None = 0.05, grid_points: int = 64,
                 shape: Sequence[int] | None = None, show_points: int | None = 600, keep: int | None = None,
                 gradients: bool = True, histogram_bins: int = 40, seed: int = 0, output: int = 0):
        if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise ValueError(f"every must be a positive integer or None; got {every!r}")
        if not (max_rate > 0 and (budget is None or 0 < budget <= 1)):
            raise ValueError(f"max_rate must be > 0 and budget in (0, 1] or None; got {max_rate}, {budget}")
        self.problem, self.view = problem, view
        self.every, self.max_rate, self.budget = every, max_rate, budget
        self.grid_points, self.grid_shape, self.show_points, self.keep = grid_points, shape, show_points, keep
        self.gradients, self.histogram_bins = gradients, histogram_bins
        self.snapshots: list[Snapshot] = []
        self.snapshot_time = 0.0
        self.output = check_output(problem, output) if problem is not None else output
        self.grid: Grid | None = Grid.of(problem, grid_points, shape, self.output) if problem is not None else None
        self._next = 0.0
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()

    # -- the callback protocol -------------------------------------------------------------
    def on_train_begin(self, state):
        self.take(state, force=True)

    def on_step_end(self, state):
        if self.every is not None:
            if state.step == 1 or state.step % self.every == 0:
                self.take(state, force=True)
        else:
            self.take(state)

    def on_train_end(self, state):
        self.take(state, force=True)

    def resume(self) -> None:
        """After a pause: the next step may take a snapshot at once."""
        self._next = time.perf_counter()

    # -- taking snapshots ------------------------------------------------------------------
    def take(self, state, force: bool = False) -> Snapshot | None:
        """A snapshot of ``state`` now (``force``) or when the throttle allows."""
        now = time.perf_counter()
        if not force and now < self._next:
            return None
        cpu = time.thread_time()
        norms, cosines, hists = {}, {}, {}
        if self.gradients:
            trainable = [p for p in list(state.model.parameters()) + list(state.unknowns.values()) if p.requires_grad]
            flat = term_gradients(loss_terms(state.problem, state.model, state.points, state.params), trainable)
            norms = {n: float(g.norm()) for n, g in flat.items()}
            if len(flat) > 1:
                cosines = gradient_cosines(flat)
            hists = gradient_histograms(flat, bins=self.histogram_bins)
        causal = getattr(state, "residual_loss", None)
        causal = causal if hasattr(causal, "slice_centers") else None
        snap = self.snapshot(self.view if self.view is not None else state.model, state.step, state.elapsed,
                             problem=self.problem or state.problem, params=state.params,
                             points=state.points["residual"], losses=dict(state.losses), weights=dict(state.weights),
                             grad_norms=norms, causal_weights=getattr(causal, "weights", None))
        snap.cosines, snap.histograms = cosines, hists
        if causal is not None:
            snap.causal_losses, snap.epsilon = np.array(causal.slice_losses, float), float(causal.epsilon)
        snap.cost = time.thread_time() - cpu          # CPU seconds of this thread (load-independent)
        self.snapshot_time += snap.cost
        self._next = time.perf_counter() + max(1.0 / self.max_rate, snap.cost / self.budget if self.budget else 0.0)
        self.add(snap)
        return snap

    def snapshot(self, model, step: int, t: float = 0.0, *, problem: Problem | None = None, params=None,
                 points=None, losses=None, weights=None, grad_norms=None, causal_weights=None) -> Snapshot:
        """A snapshot of ``model`` on the grid (no gradients; ``points`` a tensor or array)."""
        problem = problem or self.problem
        if self.grid is None:
            self.problem = self.problem or problem
            self.grid = Grid.of(problem, self.grid_points, self.grid_shape, self.output)
        g = self.grid
        full = predict(model, g.x)
        pred = full[:, self.output]
        res = residual_field(problem, model, g.x, params if params is not None else problem.initial_values)
        ref = align_sign(pred, g.ref, problem.sign_free) if g.ref is not None else None
        err = np.abs(pred - ref) if ref is not None else None
        pts = None
        if self.show_points != 0 and points is not None:
            pts = points.detach().double().numpy() if torch.is_tensor(points) else np.asarray(points, float)
            if self.show_points is not None and len(pts) > self.show_points:
                pts = pts[np.sort(self._rng.choice(len(pts), self.show_points, replace=False))]
            else:
                pts = pts.copy()
        rel = relative_l2(pred, ref) if ref is not None else None
        cw = np.array(causal_weights, float) if causal_weights is not None else None
        return Snapshot(step, t, pred, err, res, pts, losses or {}, weights or {}, grad_norms or {}, rel,
                        causal_weights=cw, shape=g.shape, outputs=full if full.shape[1] > 1 else None)

    def select_output(self, output: int) -> None:
        """Show output column ``output`` from now on, in every snapshot taken so far too: each
        keeps all the outputs, so the prediction, error and relative error are re-read."""
        problem = self.problem
        output = check_output(problem, output)
        with self._lock:
            self.output = output
            g = self.grid
            if g is None:
                return
            if g.refs is not None:
                g.ref = g.refs[:, output]
            for snap in self.snapshots:
                if snap.outputs is None:
                    continue
                snap.pred = snap.outputs[:, output]
                if g.ref is not None:
                    ref = align_sign(snap.pred, g.ref, problem.sign_free)
                    snap.error, snap.rel_l2 = np.abs(snap.pred - ref), relative_l2(snap.pred, ref)

    def add(self, snap: Snapshot) -> None:
        with self._lock:
            if self.snapshots and self.snapshots[-1].step == snap.step:
                self.snapshots[-1] = snap
            else:
                self.snapshots.append(snap)
            if self.keep is not None and len(self.snapshots) > self.keep:
                first, last = self.snapshots[0], self.snapshots[-1]
                self.snapshots = [first] + self.snapshots[1:-1][1::2] + [last]

    # -- reading ---------------------------------------------------------------------------
    def _snaps(self) -> list[Snapshot]:
        with self._lock:
            return list(self.snapshots)

    def heatmap(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(steps (S,), t (n_t,), L_r (S, n_t))``: the temporal residual profile of each
        snapshot (time-dependent problems)."""
        snaps = self._snaps()
        if not snaps:
            raise ValueError("nothing recorded yet")
        if not self.problem.domain.is_time_dependent or len(self.grid.shape) < 2:
            raise ValueError(f"the temporal profile needs a time-dependent problem with space; {self.problem.name} "
                             f"has coordinates {list(self.problem.domain.names)}")
        return np.array([s.step for s in snaps]), self.grid.axes[-1], np.stack([s.profile for s in snaps])

    def causal_weight_map(self, what: str = "causal_weights") -> tuple[np.ndarray, np.ndarray] | None:
        """``(steps (S,), w (S, N_t))`` of the snapshots that hold causal weights, else
        ``None``; ``what="causal_losses"`` gives the slice losses ``L_r(t_i)`` instead."""
        snaps = [s for s in self._snaps() if getattr(s, what) is not None]
        if not snaps:
            return None
        return np.array([s.step for s in snaps], float), np.stack([getattr(s, what) for s in snaps])

    def curves(self, what: str = "grad_norms") -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{name: (steps, values)}`` of a per-snapshot mapping (``"grad_norms"``,
        ``"losses"``, ``"weights"``; ``"cosines"`` keyed ``"a · b"``)."""
        snaps = self._snaps()
        keys = dict.fromkeys(k for s in snaps for k in getattr(s, what))
        label = (lambda k: f"{k[0]} · {k[1]}") if what == "cosines" else str
        return {label(k): (np.array([s.step for s in snaps if k in getattr(s, what)], float),
                           np.array([getattr(s, what)[k] for s in snaps if k in getattr(s, what)], float))
                for k in keys}
