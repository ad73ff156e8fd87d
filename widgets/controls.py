"""Controls generated from a problem and from pinnkit's registries, read back as a
:class:`pinnkit.recipes.RunConfig`.

Every choice list comes from a registry (``zoo.names()``, ``SAMPLERS``, ``BALANCERS``,
``OPTIMIZERS``, ``ACTIVATIONS``, ``COMBINE_CHOICES``), so a sampler or balancer added there appears here
without a change. Parameter sliders come from ``Problem.parameters``; a ``Parameter``
with ``log=True`` gets a slider over log10 of the value whose label shows the value
itself. Nothing typed by a user is evaluated: widgets hold numbers and registry names.
"""
from __future__ import annotations

import math

import panel as pn
from bokeh.models import CustomJSTickFormatter

from pinnkit.balancing import BALANCERS, make_balancer
from pinnkit.models import ACTIVATIONS
from pinnkit.optim import OPTIMIZERS
from pinnkit.problems import zoo
from pinnkit.recipes import COMBINE_CHOICES, RunConfig
from pinnkit.sampling import SAMPLERS

__all__ = ["ParameterSlider", "Controls", "available_problems", "usable_balancers"]

_POW10 = CustomJSTickFormatter(code="return Number(Math.pow(10, tick).toPrecision(3)).toString()")


def available_problems() -> list[str]:
    """Zoo names whose module is present (the registry may list problems still to come)."""
    out = []
    for name in zoo.names():
        try:
            zoo._factory(name)   # imports the module without building the problem
        except (ImportError, AttributeError, ValueError):
            continue
        out.append(name)
    return out


def usable_balancers() -> list[str]:
    """Balancer names that build without options (``static`` needs its scales)."""
    out = []
    for name in BALANCERS:
        try:
            make_balancer(name)
        except (TypeError, ValueError):
            continue
        out.append(name)
    return out


class ParameterSlider:
    """A slider for one ``Parameter``; ``.value`` is the parameter's value, ``.widget`` the
    Panel slider (over log10 of the value when ``parameter.log``)."""

    def __init__(self, name: str, parameter, value: float | None = None):
        self.name, self.parameter = name, parameter
        v = float(parameter.value if value is None else value)
        label = f"{name} — {parameter.doc}" if parameter.doc else name
        if parameter.log:
            lo, hi = math.log10(parameter.low), math.log10(parameter.high)
            self.widget = pn.widgets.FloatSlider(label=label + " (log scale)", start=lo, end=hi,
                                                 step=(hi - lo) / 200, value=math.log10(v), format=_POW10)
        else:
            step = (parameter.high - parameter.low) / 200
            self.widget = pn.widgets.FloatSlider(label=label, start=parameter.low, end=parameter.high,
                                                 step=step, value=v)

    @property
    def value(self) -> float:
        w = self.widget.value
        return float(10 ** w) if self.parameter.log else float(w)

    @value.setter
    def value(self, v: float) -> None:
        self.widget.value = math.log10(v) if self.parameter.log else float(v)


class Controls:
    """All run settings as Panel widgets; ``config()`` reads them as a ``RunConfig``.

    ``on_change(fn)`` calls ``fn(what)`` after a change (``"problem"``, ``"parameter"``,
    ``"setting"``). ``problem_widgets=False`` leaves out the problem choice and its sliders
    (compare mode shares one set between two columns).
    """

    def __init__(self, config: RunConfig, problem_widgets: bool = True, title: str = "Settings"):
        self.base = config
        self._listeners = []
        problems = available_problems()
        if config.problem not in problems:
            problems.append(config.problem)
        self.problem = pn.widgets.Select(label="problem", options=problems, value=config.problem)
        self.width = pn.widgets.IntSlider(label="width", start=4, end=128, step=4, value=config.width)
        self.depth = pn.widgets.IntSlider(label="hidden layers", start=1, end=8, value=config.depth)
        self.activation = pn.widgets.Select(label="activation", options=list(ACTIVATIONS), value=config.activation)
        self.optimizer = pn.widgets.Select(label="optimizer", options=list(OPTIMIZERS), value=config.optimizer)
        lr = config.lr if config.lr is not None else (1.0 if config.optimizer == "lbfgs" else 1e-3)
        self.lr = pn.widgets.FloatSlider(label="learning rate (log scale)", start=-5, end=0.5, step=0.05,
                                         value=math.log10(lr), format=_POW10)
        self.sampler = pn.widgets.Select(label="sampler", options=list(SAMPLERS), value=config.sampler)
        self.num_points = pn.widgets.IntSlider(label="collocation points", start=100, end=20000, step=100,
                                               value=config.num_points)
        self.resample_every = pn.widgets.IntSlider(label="resample every (0 = never)", start=0, end=2000, step=50,
                                                   value=config.resample_every or 0)
        bal = usable_balancers()
        if config.balancer not in bal:  # e.g. "static" with its scales: offered as configured
            try:
                make_balancer(config.balancer, **config.balancer_options)
            except (TypeError, ValueError) as e:
                raise ValueError(f"balancer {config.balancer!r} with options {config.balancer_options} "
                                 f"cannot be built: {e}") from e
            bal = bal + [config.balancer]
        self.balancer = pn.widgets.Select(label="loss balancer", options=bal, value=config.balancer)
        self.steps = pn.widgets.IntInput(label="steps", start=1, end=1_000_000, step=100, value=config.steps)
        self.seed = pn.widgets.IntInput(label="seed", start=0, end=2**31 - 1, value=config.seed)
        self.dtype = pn.widgets.RadioButtonGroup(label="precision", options=["float32", "float64"], value=config.dtype)
        self.hard = pn.widgets.Checkbox(label="hard constraints", value=config.hard)
        self.combine = pn.widgets.Select(label="gradient combination", options=list(COMBINE_CHOICES),
                                         value=config.combine)
        self.causal = pn.widgets.Checkbox(label="causal residual (time-dependent problems)", value=config.causal)
        if config.causal and not zoo.get(config.problem).domain.is_time_dependent:
            raise ValueError(f"causal=True needs a time-dependent problem; {config.problem!r} has no time coordinate")
        self.parameters: dict[str, ParameterSlider] = {}
        self.parameter_box = pn.Column()
        self.problem_widgets = problem_widgets
        self._build_parameters(config.parameters)
        self.problem.param.watch(self._problem_changed, "value")
        self.optimizer.param.watch(self._optimizer_changed, "value")
        for w in (self.width, self.depth, self.activation, self.optimizer, self.lr, self.sampler, self.num_points,
                  self.resample_every, self.balancer, self.steps, self.seed, self.dtype, self.hard, self.combine,
                  self.causal):
            w.param.watch(lambda e: self._notify("setting"), "value")
        model = [self.width, self.depth, self.activation, self.hard, self.dtype]
        fit = [self.optimizer, self.lr, self.steps, self.sampler, self.num_points, self.resample_every,
               self.balancer, self.combine, self.causal, self.seed]
        head = [self.problem, self.parameter_box] if problem_widgets else []
        self.panel = pn.Column(f"### {title}", *head, pn.layout.Divider(), *model, pn.layout.Divider(), *fit,
                               width=300)

    # -- problem and its parameters ----------------------------------------------------
    def current_problem(self):
        return zoo.get(self.problem.value, **self.parameter_values())

    def parameter_values(self) -> dict[str, float]:
        return {k: s.value for k, s in self.parameters.items()}

    def _build_parameters(self, values: dict | None = None):
        problem = zoo.get(self.problem.value)
        self.hard.disabled = problem.hard is None
        if problem.hard is None:
            self.hard.value = False
        self._timed = problem.domain.is_time_dependent
        self.causal.disabled = not self._timed
        if not self._timed:
            self.causal.value = False
        self.parameters = {k: ParameterSlider(k, p, (values or {}).get(k)) for k, p in problem.parameters.items()}
        for s in self.parameters.values():
            s.widget.param.watch(lambda e: self._notify("parameter"), "value")
        self.parameter_box.objects = [s.widget for s in self.parameters.values()]

    def _problem_changed(self, event):
        self._build_parameters()
        self._notify("problem")

    def _optimizer_changed(self, event):
        # L-BFGS takes unit steps with a line search; Adam a small learning rate
        self.lr.value = 0.0 if event.new == "lbfgs" else -3.0

    # -- reading -----------------------------------------------------------------------
    def config(self) -> RunConfig:
        """The settings as a ``RunConfig`` (the one object pinnkit.recipes.build accepts)."""
        every = int(self.resample_every.value) or None
        return RunConfig(**{**self.base.to_dict(),
                            "problem": self.problem.value, "parameters": self.parameter_values(),
                            "width": int(self.width.value), "depth": int(self.depth.value),
                            "activation": self.activation.value, "hard": bool(self.hard.value),
                            "sampler": self.sampler.value, "num_points": int(self.num_points.value),
                            "resample_every": every if self.sampler.value != "grid" else None,
                            "balancer": self.balancer.value, "optimizer": self.optimizer.value,
                            # a balancer's options belong to the balancer they were given for
                            "balancer_options": (self.base.balancer_options
                                                 if self.balancer.value == self.base.balancer else {}),
                            "lr": float(round(10 ** self.lr.value, 8)), "steps": int(self.steps.value),
                            "seed": int(self.seed.value), "dtype": self.dtype.value,
                            "combine": self.combine.value, "causal": bool(self.causal.value) and self._timed})

    def on_change(self, fn) -> None:
        self._listeners.append(fn)

    def _notify(self, what: str) -> None:
        for fn in self._listeners:
            fn(what)

    def disable(self, disabled: bool = True) -> None:
        """Grey out the settings while a run trains (changes apply to the next run)."""
        for w in [self.problem, self.width, self.depth, self.activation, self.optimizer, self.lr, self.sampler,
                  self.num_points, self.resample_every, self.balancer, self.combine, self.steps, self.seed,
                  self.dtype] + [s.widget for s in self.parameters.values()]:
            w.disabled = disabled
        self.causal.disabled = disabled or not self._timed
