"""Callbacks: how anything outside the loop watches or steers training.

A callback implements any of ``on_train_begin(state)``, ``on_step_end(state)`` and
``on_train_end(state)``; ``state`` is the trainer's :class:`TrainState`. Setting
``state.stop = "reason"`` ends training after the current step. Live dashboards subscribe
through this protocol (docs/architecture.md).
"""
from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Callable

import torch

from .history import atomic_write_bytes

__all__ = ["Callback", "EveryN", "EarlyStop", "TimeBudget", "Checkpoint", "StopOnEvent", "save_checkpoint",
           "load_checkpoint"]


class Callback:
    def on_train_begin(self, state) -> None: ...

    def on_step_end(self, state) -> None: ...

    def on_train_end(self, state) -> None: ...


class EveryN(Callback):
    """Call ``fn(state)`` every ``n`` steps (and once at the end when ``at_end``)."""

    def __init__(self, n: int, fn: Callable, at_end: bool = True):
        if n < 1:
            raise ValueError(f"n must be >= 1; got {n}")
        self.n, self.fn, self.at_end = n, fn, at_end

    def on_step_end(self, state):
        if state.step % self.n == 0:
            self.fn(state)

    def on_train_end(self, state):
        if self.at_end:
            self.fn(state)


class EarlyStop(Callback):
    """Stop once ``metric`` (a column of the history, e.g. ``"metric/rel_l2"``) is below
    ``target``. Metrics are computed every ``eval_every`` steps by the trainer."""

    def __init__(self, target: float, metric: str = "metric/rel_l2"):
        if not target > 0:
            raise ValueError(f"target must be > 0; got {target}")
        self.target, self.metric = target, metric

    def on_step_end(self, state):
        row = state.history.rows[-1] if state.history.rows else {}
        v = row.get(self.metric)
        if v is not None and v < self.target and row.get("step") == state.step:
            state.stop = f"target reached: {self.metric} = {v:.3e} < {self.target:.1e}"


class TimeBudget(Callback):
    """Stop once ``seconds`` of wall time have passed since training began (the step under
    way finishes first, so a run overruns by at most one step). The history's status is
    ``"time budget reached"`` and its message says when. The clock starts at the first
    ``on_train_begin`` it sees — a resumed run counts the time it had already trained, and
    the stages of a multi-stage strategy share one budget (a stage that stops on it ends
    the strategy)."""

    def __init__(self, seconds: float):
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or not seconds > 0:
            raise ValueError(f"time budget must be a positive number of seconds; got {seconds!r}")
        self.seconds = float(seconds)
        self.t0: float | None = None

    def on_train_begin(self, state):
        if self.t0 is None:
            self.t0 = time.perf_counter() - state.elapsed  # a resumed run's state carries its elapsed time

    def on_step_end(self, state):
        spent = time.perf_counter() - self.t0
        if spent >= self.seconds:
            state.stop = f"time budget reached: {spent:.3g} s >= {self.seconds:g} s after step {state.step}"


class StopOnEvent(Callback):
    """Stop when a ``threading.Event`` is set (a dashboard's Stop button)."""

    def __init__(self, event: threading.Event):
        self.event = event

    def on_step_end(self, state):
        if self.event.is_set():
            state.stop = "stopped by user"


def save_checkpoint(path, model: torch.nn.Module, step: int, extra: dict | None = None) -> None:
    """Atomically save the model's state dict with the step (and ``extra``)."""
    import io

    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "step": step, **(extra or {})}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path, model: torch.nn.Module) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model``.

    Loading never runs code: the file is read with ``torch.load(weights_only=True)``, which
    accepts tensors, numbers, strings and containers only, so a crafted ``model.pt`` (a pickle
    that would call a function) is refused with a :class:`ValueError` naming the file, as are an
    empty or truncated file and one that is not a pinnkit checkpoint."""
    import pickle

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint there")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the checkpoint file is empty (an interrupted copy?)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ValueError(f"{path}: refused — the file holds more than weights (it would run code "
                         f"when loaded, or is not a pinnkit checkpoint): {str(e).splitlines()[0]}") from None
    except (EOFError, RuntimeError) as e:
        raise ValueError(f"{path}: not a readable checkpoint (truncated or corrupt): {e}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise ValueError(f"{path}: not a pinnkit checkpoint (expected a dict with a 'model' state dict)")
    model.load_state_dict(ckpt["model"])
    return ckpt


class Checkpoint(Callback):
    """Every ``every`` steps, atomically write ``folder/model.pt`` and ``history.json``."""

    def __init__(self, folder, every: int = 1000):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"checkpoint every must be an integer >= 1; got {every!r}")
        self.folder, self.every = Path(folder), every

    def _save(self, state):
        save_checkpoint(self.folder / "model.pt", state.model, state.step,
                        {"unknowns": {k: float(torch.as_tensor(state.params[k]).detach()) for k in state.unknowns}})
        state.history.save(self.folder / "history.json")

    def on_step_end(self, state):
        if state.step % self.every == 0:
            self._save(state)

    def on_train_end(self, state):
        self._save(state)
