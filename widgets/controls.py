"""Controls generated from a problem and from pinnkit's registries, read back as a
:class:`pinnkit.recipes.RunConfig`.

The widgets are generated from :class:`pinnkit.recipes.RunConfig`'s fields (those with a
widget hint) and every choice list comes from the registry the field names (``zoo.names()``,
``SAMPLERS``, ``BALANCERS``, ``OPTIMIZERS``, ``MODELS``, ``ACTIVATIONS``,
``COMBINE_CHOICES``), so a setting, sampler or balancer added there appears here without a
change. Parameter sliders come from ``Problem.parameters``; a ``Parameter``
with ``log=True`` gets a slider over log10 of the value whose label shows the value
itself. Nothing typed by a user is evaluated: widgets hold numbers and registry names.
"""
from __future__ import annotations

import json
import math

import panel as pn
from bokeh.models import CustomJSTickFormatter

from pinnkit.balancing import BALANCERS, make_balancer
from pinnkit.problems import zoo
from pinnkit.recipes import RunConfig

__all__ = ["ParameterSlider", "Controls", "available_problems", "usable_balancers"]

def _pow10():
    """A fresh formatter for a log slider's label: 10^value, three digits. One per widget —
    a Bokeh model shared between sessions of a served app is owned by the first session's
    document, and a later session's slider then shows 'undefined'."""
    return CustomJSTickFormatter(code="return Number(Math.pow(10, tick).toPrecision(3)).toString()")


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
                                                 step=(hi - lo) / 200, value=math.log10(v), format=_pow10())
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


# a slider title longer than the slider wraps instead of running under the next column's plots
WRAP_TITLE = ".bk-slider-title { white-space: normal; }"


def _widget(name: str, info: dict, value):
    """A Panel widget for one RunConfig field, from its ``widget`` hint."""
    hint = info["widget"]
    kind, label = hint[0], info["help"]
    if kind == "select":
        options = list(info["choices"])
        if value not in options:
            options.append(value)
        return pn.widgets.Select(label=name.replace("_", " ") if name != "balancer" else "loss balancer",
                                 options=options, value=value)
    if kind == "radio":
        return pn.widgets.RadioButtonGroup(label=label, options=list(info["choices"]), value=value)
    if kind == "check":
        return pn.widgets.Checkbox(label=hint[1], value=bool(value))
    if kind == "int":
        start, end, step = hint[1:4]
        label = label.split(" (default")[0]          # the field's help, less its long "(default: ...)"
        text = f"{label} ({hint[4]})" if len(hint) > 4 else label
        return pn.widgets.IntSlider(label=text, start=start, end=end, step=step, value=int(value or 0),
                                    stylesheets=[WRAP_TITLE])
    if kind == "text":
        return pn.widgets.TextInput(label=hint[1], placeholder=hint[2], value=_as_text(value))
    if kind == "intinput":
        start, end, step = hint[1:4]
        return pn.widgets.IntInput(label=name, start=start, end=end, step=step, value=int(value))
    if kind == "log":
        return pn.widgets.FloatSlider(label=f"{name.replace('_', ' ')} (log scale)".replace("lr ", "learning rate "),
                                      start=hint[1], end=hint[2], step=0.05, value=math.log10(value),
                                      format=_pow10())
    raise ValueError(f"unknown widget kind {kind!r} for {name}")


def _as_text(value) -> str:
    """A data/unknowns setting as the text a user would type: a path, names, or JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    return json.dumps(value) if value else ""


def _from_text(name: str, text: str):
    """The inverse of :func:`_as_text` (JSON for a leading '{'; names split at commas for
    unknowns; a file path for data). Nothing typed is evaluated."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{name}: not JSON ({e.msg}): {text!r}") from None
    return [n.strip() for n in text.split(",") if n.strip()] if name == "unknowns" else text


#: the RunConfig fields shown, in two groups (model, fit), from their ``widget`` hints
def _shown_fields() -> dict[str, dict]:
    return {k: v for k, v in RunConfig.fields_help().items() if v["widget"] is not None}


class Controls:
    """All run settings as Panel widgets; ``config()`` reads them as a ``RunConfig``.

    The widgets are generated from :class:`pinnkit.recipes.RunConfig`'s fields that carry a
    widget hint (their kind, range and label), in the field order, grouped into the model
    and the fit; choices come from the registries the fields name. ``widgets[name]`` holds
    each one. ``on_change(fn)`` calls ``fn(what)`` after a change (``"problem"``,
    ``"parameter"``, ``"setting"``). ``problem_widgets=False`` leaves out the problem choice
    and its sliders (compare mode shares one set between two columns).
    """

    def __init__(self, config: RunConfig, problem_widgets: bool = True, title: str = "Settings"):
        self.base = config
        self._listeners = []
        problems = available_problems()
        if config.problem not in problems:
            problems.append(config.problem)
        self.problem = pn.widgets.Select(label="problem", options=problems, value=config.problem)
        self.fields = _shown_fields()
        values = config.to_dict()
        if values["lr"] is None:
            values["lr"] = 1.0 if config.optimizer == "lbfgs" else 1e-3
        bal = usable_balancers()
        if config.balancer not in bal:  # e.g. "static" with its scales: offered as configured
            try:
                make_balancer(config.balancer, **config.balancer_options)
            except (TypeError, ValueError) as e:
                raise ValueError(f"balancer {config.balancer!r} with options {config.balancer_options} "
                                 f"cannot be built: {e}") from e
        self.fields["balancer"] = {**self.fields["balancer"], "choices": bal}
        self._quiet = False
        self.widgets = {name: _widget(name, info, values[name]) for name, info in self.fields.items()}
        for name, w in self.widgets.items():
            setattr(self, name, w)   # controls.causal, controls.steps ... for the views
        if config.causal and not zoo.get(config.problem).domain.is_time_dependent:
            raise ValueError(f"causal=True needs a time-dependent problem; {config.problem!r} has no time coordinate")
        self.parameters: dict[str, ParameterSlider] = {}
        self.parameter_box = pn.Column()
        self.problem_widgets = problem_widgets
        self._build_parameters(config.parameters)
        self.problem.param.watch(self._problem_changed, "value")
        self.optimizer.param.watch(self._optimizer_changed, "value")
        for w in self.widgets.values():
            w.param.watch(lambda e: self._notify("setting"), "value")
        model = [w for n, w in self.widgets.items() if self.fields[n]["group"] == "model"]
        fit = [w for n, w in self.widgets.items() if self.fields[n]["group"] == "fit"]
        inverse = [w for n, w in self.widgets.items() if self.fields[n]["group"] == "problem"]
        head = [self.problem, self.parameter_box, *inverse] if problem_widgets else []
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
    def _value(self, name: str):
        w, hint = self.widgets[name], self.fields[name]["widget"]
        if hint[0] == "log":
            return float(round(10 ** w.value, 8))
        if hint[0] == "int" and len(hint) > 4:   # 0 means "never"
            return int(w.value) or None
        if hint[0] in ("int", "intinput"):
            return int(w.value)
        if hint[0] == "check":
            return bool(w.value)
        if hint[0] == "text":
            return _from_text(name, w.value)
        return w.value

    def config(self) -> RunConfig:
        """The settings as a ``RunConfig`` (the one object pinnkit.recipes.build accepts)."""
        shown = {name: self._value(name) for name in self.widgets}
        if shown["sampler"] in ("grid", "fixed"):
            shown["resample_every"] = None
        shown["causal"] = shown["causal"] and self._timed
        # a balancer's options belong to the balancer they were given for
        options = self.base.balancer_options if shown["balancer"] == self.base.balancer else {}
        return RunConfig(**{**self.base.to_dict(), "problem": self.problem.value,
                            "parameters": self.parameter_values(), **shown, "balancer_options": options})

    # -- restoring ---------------------------------------------------------------------
    def restore(self, config: RunConfig | None = None) -> None:
        """Put every setting back: the problem, its parameters and every widget take the
        values of ``config`` (default: the configuration these controls were built with,
        RunConfig's defaults for the settings it did not set). Listeners hear one
        ``"problem"`` change."""
        config = config or self.base
        values = config.to_dict()
        if values["lr"] is None:
            values["lr"] = 1.0 if config.optimizer == "lbfgs" else 1e-3
        self._quiet = True
        try:
            self.problem.value = config.problem
            self._build_parameters(config.parameters)
            for name in self.widgets:  # field order: the optimizer before the learning rate it resets
                self._set(name, values[name])
            self._set("lr", values["lr"])
        finally:
            self._quiet = False
        self._notify("problem")

    def _set(self, name: str, value) -> None:
        w, kind = self.widgets[name], self.fields[name]["widget"][0]
        if kind == "log":
            w.value = math.log10(value)
        elif kind == "int":
            w.value = int(value or 0)
        elif kind == "check":
            w.value = bool(value) and not w.disabled
        elif kind == "intinput":
            w.value = int(value)
        elif kind == "text":
            w.value = _as_text(value)
        else:
            if kind == "select" and value not in w.options:
                w.options = [*w.options, value]
            w.value = value

    def on_change(self, fn) -> None:
        self._listeners.append(fn)

    def _notify(self, what: str) -> None:
        if self._quiet:
            return
        for fn in self._listeners:
            fn(what)

    def disable(self, disabled: bool = True) -> None:
        """Grey out the settings while a run trains (changes apply to the next run)."""
        for w in [self.problem, *self.widgets.values(), *[s.widget for s in self.parameters.values()]]:
            if w is not self.causal:
                w.disabled = disabled
        self.hard.disabled = disabled or zoo.get(self.problem.value).hard is None
        self.causal.disabled = disabled or not self._timed
