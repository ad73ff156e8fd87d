"""Equation discovery: a hidden-term network in the residual, then sparse regression of it.

Universal PINNs (Podina, Eastman & Kohandel, "Universal Physics-Informed Neural Networks:
Symbolic Differential Operator Discovery with Sparse Data", ICML 2023, PMLR 202:27948–27956;
arXiv 2212.08567) split an equation into a known part and an unknown one,

    N_known[u] + h(u, u_x, …) = 0,

and learn both a network ``u_θ`` for the observed field and a second network ``h_φ`` for the
hidden term, from sparse (noisy) observations of ``u`` and the residual. Once trained,
``h_φ`` is a black box of its inputs; symbolic regression turns it into a formula. The
paper does that with AI Feynman. pinnkit uses sparse regression over a library of candidate
terms instead — sequentially thresholded least squares (STLSQ; Brunton, Proctor & Kutz,
"Discovering governing equations from data by sparse identification of nonlinear
dynamical systems", PNAS 113(15), 2016), the optimizer of ``pysindy`` (de Silva et al.,
JOSS 2020; Kaptanoglu et al., JOSS 2022), installed with ``pip install 'pinnkit[discovery]'``
and imported only when a regression runs.

    problem, hidden = hide(zoo.get("burgers", nu=0.05).with_data(x, y), "convection")
    model = WithHiddenTerm(build_model(problem), hidden)
    train(problem, model, ...)
    found = discover(model, problem)          # found.equation() -> "h = 1.003 u*u_x"

or, as plain data, ``RunConfig(problem="burgers", data={"points": 500, "noise": 0.01},
hidden="convection")``: the run trains both networks and writes the recovered coefficients
into its final metrics (``discovery/coef/<term>``, see :meth:`Discovery.metrics`).

The terms a zoo problem can hide are declared in :data:`TERMS` (their known part written out,
the true hidden term as coefficients of library terms); :class:`HiddenSpec` declares others.
"""
from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .problems.conditions import Data
from .problems.derivatives import Derivatives
from .problems.problem import Problem

__all__ = ["HiddenSpec", "HiddenTerm", "WithHiddenTerm", "TERMS", "hide", "hidden_terms", "library",
           "sparse_regression", "discover", "Discovery", "equation_from_metrics", "HIDDEN_OPTIONS"]

#: the keys of ``RunConfig.hidden`` (a dict); a bare string is ``{"term": string}``
HIDDEN_OPTIONS = ("term", "inputs", "width", "depth", "activation", "scales", "output_scale", "degree", "threshold",
                  "constant", "points")


# --------------------------------------------------------------------------------------
# what can be hidden
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HiddenSpec:
    """A term of an equation to learn as a hidden-term network.

    - ``known(x, u, D, p)``: the residual without the term (the hidden residual is
      ``known + h``, so ``h`` is the term as it appears on the left-hand side of ``… = 0``);
    - ``inputs``: the default inputs of ``h`` — ``"u"``, derivatives ``"u_x"``, ``"u_tt"``
      (coordinate names after ``u_``), or coordinates ``"x"``, ``"t"``;
    - ``truth(values)``: the true term as ``{library term: coefficient}`` for the problem's
      parameter values (library terms are named as :func:`library` names them: ``"u*u_x"``,
      ``"u^3"``), or ``None`` when unknown;
    - ``text``: the term in words; ``degree``: default degree of the candidate library;
    - ``scales(values)``: typical sizes of the inputs (they are divided by these before the
      network) and ``output_scale(values)``: the size of ``h`` (the network's output is
      multiplied by it) — from the known part of the equation, never from the hidden one.
    """

    known: Callable
    inputs: tuple[str, ...]
    truth: Callable[[Mapping[str, float]], dict[str, float]] | None = None
    text: str = ""
    degree: int = 2
    scales: Callable[[Mapping[str, float]], dict[str, float]] = lambda v: {}
    output_scale: Callable[[Mapping[str, float]], float] = lambda v: 1.0
    known_text: str = ""


def _burgers_known(x, u, D, p):
    return D(u, "t") - p["nu"] * D(u, "xx")


def _rd_known(x, u, D, p):
    return D(u, "t") - p["nu"] * D(u, "xx")


def _reaction_known(x, u, D, p):
    return D(u, "t")


def _restoring_known(x, u, D, p):  # u'' + ω0² u
    return D(u, "tt") + p["w0"] ** 2 * u


def _duffing_cubic_known(x, u, D, p):  # u'' + 2 d u' + ω0² u
    return D(u, "tt") + 2 * p["d"] * D(u, "t") + p["w0"] ** 2 * u


#: hideable terms of zoo problems: ``TERMS[problem][term]``
TERMS: dict[str, dict[str, HiddenSpec]] = {
    "burgers": {
        "convection": HiddenSpec(
            _burgers_known, ("u", "u_x"), lambda v: {"u*u_x": v["lambda1"]}, "λ1 u u_x", degree=2,
            scales=lambda v: {"u": 1.0, "u_x": math.pi}, output_scale=lambda v: math.pi, known_text="u_t − ν u_xx"),
    },
    "reaction_diffusion": {
        "reaction": HiddenSpec(
            _rd_known, ("u",), lambda v: {"u": -v["rho"], "u^2": v["rho"]}, "−ρ u (1 − u)", degree=3,
            known_text="u_t − ν u_xx"),
    },
    "reaction": {
        "reaction": HiddenSpec(
            _reaction_known, ("u",), lambda v: {"u": -v["rho"], "u^2": v["rho"]}, "−ρ u (1 − u)", degree=3,
            known_text="u_t"),
    },
    "oscillator": {
        "damping": HiddenSpec(
            _restoring_known, ("u", "u_t"), lambda v: {"u_t": 2 * v["d"]}, "2 d u'", degree=3,
            scales=lambda v: {"u": 1.0, "u_t": v["w0"]}, output_scale=lambda v: v["w0"] ** 2, known_text="u'' + ω0² u"),
    },
    "duffing": {
        "damping_and_cubic": HiddenSpec(
            _restoring_known, ("u", "u_t"), lambda v: {"u_t": 2 * v["d"], "u^3": v["eps"]}, "2 d u' + ε u³",
            degree=3, scales=lambda v: {"u": 1.0, "u_t": v["w0"]}, output_scale=lambda v: v["w0"] ** 2,
            known_text="u'' + ω0² u"),
        "cubic": HiddenSpec(
            _duffing_cubic_known, ("u",), lambda v: {"u^3": v["eps"]}, "ε u³", degree=3,
            output_scale=lambda v: v["w0"] ** 2, known_text="u'' + 2 d u' + ω0² u"),
    },
}


def hidden_terms(problem: str | Problem) -> dict[str, HiddenSpec]:
    """The terms zoo problem ``problem`` (a name or a problem) can hide."""
    name = problem.name if isinstance(problem, Problem) else problem
    return dict(TERMS.get(name, {}))


# --------------------------------------------------------------------------------------
# the hidden-term network
# --------------------------------------------------------------------------------------

def _parse_input(name, coordinates: Sequence[str]) -> tuple[str, object]:
    """``("field", spec)`` for ``u`` / ``u_<spec>``, ``("coordinate", j)`` for a coordinate."""
    allowed = ["u", *(f"u_{c}" for c in coordinates), *coordinates]
    if not isinstance(name, str) or not name:
        raise ValueError(f"hidden-term inputs are names such as {allowed}; got {name!r}")
    if name == "u":
        return "field", ""
    if name in coordinates:
        return "coordinate", list(coordinates).index(name)
    if name.startswith("u_") and len(name) > 2:
        spec = name[2:]
        bad = [c for c in spec if c not in coordinates]
        if not bad and all(len(c) == 1 for c in coordinates):
            return "field", spec
    raise ValueError(f"unknown hidden-term input {name!r}: give u, a derivative u_<coordinates> (e.g. "
                     f"{', '.join(allowed[1:1 + len(coordinates)])}, u_{coordinates[0] * 2}) or a coordinate "
                     f"({', '.join(coordinates)})")


class HiddenTerm(nn.Module):
    """``h_φ(inputs)``: a small tanh MLP of named inputs (the hidden-term network).

    ``inputs`` name fields of the problem's solution (``"u"``, ``"u_x"``, ``"u_tt"`` …) or
    its coordinates; each is divided by its ``scales`` entry (default 1) before the network,
    and the network's output is multiplied by ``output_scale``: both keep a tanh network in
    its working range when the inputs or the term are far from 1 (an oscillator's u' ~ ω0).
    ``forward(x, u, D)`` returns ``(N, 1)``; :meth:`features` the inputs ``(N, k)``;
    :meth:`evaluate` the network on given inputs."""

    def __init__(self, inputs: Sequence[str], coordinates: Sequence[str], width: int = 20, depth: int = 2,
                 activation: str = "tanh", seed: int = 0, scales: Mapping[str, float] | None = None,
                 output_scale: float = 1.0):
        super().__init__()
        from .models.networks import MLP

        if isinstance(inputs, str):
            inputs = [inputs]
        inputs = tuple(inputs)
        if not inputs:
            raise ValueError("a hidden term needs at least one input (e.g. ['u', 'u_x'])")
        dup = sorted({n for n in inputs if inputs.count(n) > 1})
        if dup:
            raise ValueError(f"hidden-term input {dup[0]!r} is given twice")
        self.coordinates = tuple(coordinates)
        self._parsed = [_parse_input(n, self.coordinates) for n in inputs]
        self.inputs = inputs
        scales = dict(scales or {})
        bad = sorted(set(scales) - set(inputs))
        if bad:
            raise ValueError(f"scales name {bad}, which are not inputs of the hidden term {list(inputs)}")
        for k, v in [*scales.items(), ("output_scale", output_scale)]:
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"hidden-term scale {k!r} must be a positive finite number; got {v!r}")
        self.scales = {n: float(scales.get(n, 1.0)) for n in inputs}
        self.output_scale = float(output_scale)
        self.register_buffer("scale", torch.tensor([self.scales[n] for n in inputs], dtype=torch.float32))
        self.net = MLP(len(inputs), 1, width, depth, activation, seed)
        #: the true term as {library term: coefficient}, when known (set by :func:`hide`)
        self.truth: dict[str, float] = {}
        self.spec: HiddenSpec | None = None

    def features(self, x: torch.Tensor, u: torch.Tensor, D: Derivatives) -> torch.Tensor:
        cols = [u if kind == "field" and not what else D(u, what) if kind == "field" else x[:, what:what + 1]
                for kind, what in self._parsed]
        return torch.cat(cols, dim=1)

    def evaluate(self, features: torch.Tensor) -> torch.Tensor:
        if features.ndim != 2 or features.shape[1] != len(self.inputs):
            raise ValueError(f"the hidden term takes (N, {len(self.inputs)}) inputs {list(self.inputs)}; "
                             f"got {tuple(features.shape)}")
        dtype = self.scale.dtype  # the network's precision (a float64 check of a float32 model casts)
        out = self.output_scale * self.net(features.to(dtype) / self.scale)
        return out.to(features.dtype)

    def forward(self, x: torch.Tensor, u: torch.Tensor, D: Derivatives) -> torch.Tensor:
        return self.evaluate(self.features(x, u, D))

    def extra_repr(self) -> str:
        return f"inputs={list(self.inputs)}, scales={self.scales}, output_scale={self.output_scale:g}"


class WithHiddenTerm(nn.Module):
    """The model of a hidden-term run: the field network ``net`` (what ``forward`` returns)
    and the hidden-term network ``hidden`` as a submodule, so that one optimizer, one
    checkpoint and one ``model.pt`` hold both (the residual calls ``hidden``)."""

    def __init__(self, net: nn.Module, hidden: HiddenTerm):
        super().__init__()
        if not isinstance(hidden, HiddenTerm):
            raise ValueError(f"hidden must be a HiddenTerm (from pinnkit.discovery.hide); got {type(hidden).__name__}")
        self.net, self.hidden = net, hidden
        self.satisfies = tuple(getattr(net, "satisfies", ()))
        self.in_dim, self.out_dim = getattr(net, "in_dim", None), getattr(net, "out_dim", None)

    def forward(self, x):
        return self.net(x)


def hide(problem: Problem, term: str | HiddenSpec, inputs: Sequence[str] | None = None, width: int = 20,
         depth: int = 2, activation: str = "tanh", seed: int = 0, scales: Mapping[str, float] | None = None,
         output_scale: float | None = None) -> tuple[Problem, HiddenTerm]:
    """``problem`` with ``term`` replaced by a hidden-term network, and that network.

    ``term`` names one of :func:`hidden_terms` (``"convection"`` for burgers …) or is a
    :class:`HiddenSpec`. The new residual is ``known(x, u, D, p) + h(inputs)``; train the
    problem with ``WithHiddenTerm(net, hidden)`` as the model. The problem must hold
    observations (a data condition, :meth:`Problem.with_data`): without them nothing ties
    ``u`` to the true solution, and ``h`` can absorb any ``u`` that meets the conditions.
    The reference stays that of the true equation."""
    if not isinstance(problem, Problem):
        raise ValueError(f"hide needs a pinnkit Problem; got {type(problem).__name__}")
    if problem.output_dim != 1:
        raise ValueError(f"{problem.name} has {problem.output_dim} outputs; hidden terms are defined for one-output "
                         f"problems")
    if isinstance(term, HiddenSpec):
        spec, label = term, "custom"
    else:
        available = hidden_terms(problem)
        if not available:
            raise ValueError(f"{problem.name} declares no term to hide; problems with hideable terms: "
                             f"{sorted(TERMS)} (or give a pinnkit.discovery.HiddenSpec)")
        if term not in available:
            raise ValueError(f"{problem.name} has no hideable term {term!r}; choose one of {sorted(available)}")
        spec, label = available[term], term
    if not any(isinstance(c, Data) for c in problem.conditions.values()):
        raise ValueError(f"a hidden term needs observations of u to be identified from; {problem.name} has none "
                         f"(give data: Problem.with_data, or RunConfig data={{\"points\": n}} / a file)")
    values = problem.values
    scale_defaults = spec.scales(values)
    inputs = tuple(spec.inputs if inputs is None else ([inputs] if isinstance(inputs, str) else inputs))
    hidden = HiddenTerm(inputs, problem.domain.names, width, depth, activation, seed,
                        {**{k: v for k, v in scale_defaults.items() if k in inputs}, **dict(scales or {})},
                        spec.output_scale(values) if output_scale is None else output_scale)
    hidden.spec = spec
    if spec.truth is not None:
        try:
            hidden.truth = {k: float(v) for k, v in spec.truth({**values, **problem.truth}).items()}
        except KeyError:  # a parameter of the true term was made an unknown: its value is not known here
            hidden.truth = {}
    known = spec.known

    def residual(x, u, D, p):
        return known(x, u, D, p) + hidden(x, u, D)

    text = f"{spec.known_text or 'known part'} + h({', '.join(inputs)}) = 0, h hidden (true h = {spec.text or '?'})"
    return replace(problem, residual=residual, equation=text, factory=None), hidden


# --------------------------------------------------------------------------------------
# the candidate library and the sparse regression
# --------------------------------------------------------------------------------------

def _term_name(exponents: Sequence[int], names: Sequence[str]) -> str:
    parts = [n if e == 1 else f"{n}^{e}" for n, e in zip(names, exponents) if e]
    return "*".join(parts) if parts else "1"


def library(features: np.ndarray, names: Sequence[str], degree: int, constant: bool = True
            ) -> tuple[np.ndarray, list[str]]:
    """Every monomial of the columns of ``features: (N, k)`` (named ``names``) of total
    degree 1 … ``degree`` (and 0, the constant ``"1"``, unless ``constant=False``), in
    order of degree: ``(Θ: (N, m), term names)``. Names are ``"u"``, ``"u^2"``, ``"u*u_x"``."""
    features = np.asarray(features, float)
    names = list(names)
    if features.ndim != 2 or features.shape[1] != len(names):
        raise ValueError(f"features must be (N, {len(names)}) for the inputs {names}; got {features.shape}")
    if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 0:
        raise ValueError(f"the library degree must be an integer >= 0; got {degree!r}")
    if not names and not constant:
        raise ValueError("the candidate library is empty: no inputs and no constant term")
    if degree == 0 and not constant:
        raise ValueError("the candidate library is empty: degree 0 without the constant term")
    if not np.all(np.isfinite(features)):
        raise ValueError("the hidden term's inputs contain NaN or Inf (did the training diverge?)")
    cols, labels = [], []
    for total in range(0 if constant else 1, int(degree) + 1):
        # exponent tuples of this total degree, first input's power highest first (u^2, u*u_x, u_x^2)
        for combo in itertools.combinations_with_replacement(range(len(names)), total):
            e = [combo.count(i) for i in range(len(names))]
            cols.append(np.prod([features[:, i] ** e[i] for i in range(len(names))], axis=0)
                        if total else np.ones(len(features)))
            labels.append(_term_name(e, names))
    return np.stack(cols, axis=1), labels


def _stlsq(threshold: float, ridge: float, max_iter: int):
    try:
        from pysindy.optimizers import STLSQ
    except ImportError:
        raise ImportError("the sparse regression of pinnkit.discovery uses pysindy's STLSQ; install it with "
                          "pip install 'pinnkit[discovery]' (or pip install pysindy)") from None
    return STLSQ(threshold=threshold, alpha=ridge, max_iter=max_iter, normalize_columns=False, unbias=True)


def sparse_regression(theta: np.ndarray, y: np.ndarray, names: Sequence[str], threshold: float = 0.05,
                      ridge: float = 1e-6, max_iter: int = 20) -> dict[str, float]:
    """Sparse ``y ≈ Θ ξ`` by sequentially thresholded least squares (STLSQ, Brunton, Proctor
    & Kutz 2016; pysindy's optimizer), on a scale-free problem: each column of ``Θ`` is
    divided by its RMS and ``y`` by its RMS, so ``threshold`` is the smallest share of ``h``
    (RMS of the term over RMS of ``h``) a term must contribute to be kept — 0.05 drops terms
    that would change ``h`` by less than 5 % of its size. The coefficients of the kept terms
    are refitted by plain least squares (``unbias``) and returned in the original units,
    ``{name: ξ}`` for every library term (0 for those dropped)."""
    theta, y = np.asarray(theta, float), np.asarray(y, float).reshape(-1)
    names = list(names)
    if theta.ndim != 2 or theta.shape[1] != len(names) or theta.shape[0] != len(y):
        raise ValueError(f"theta must be (N, {len(names)}) with N = len(y) = {len(y)}; got {theta.shape}")
    if theta.shape[1] == 0:
        raise ValueError("the candidate library is empty: nothing to regress on")
    if theta.shape[0] < 2 * theta.shape[1]:
        raise ValueError(f"too few samples: {theta.shape[0]} for {theta.shape[1]} candidate terms (need at least "
                         f"{2 * theta.shape[1]}, twice the number of terms)")
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(y))):
        raise ValueError("the regression data contain NaN or Inf")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 <= threshold < 1:
        raise ValueError(f"threshold must be a number in [0, 1) (the share of h a term must carry); got {threshold!r}")
    if isinstance(ridge, bool) or not isinstance(ridge, numbers.Real) or not ridge >= 0:
        raise ValueError(f"ridge must be a number >= 0; got {ridge!r}")
    y_rms = float(np.sqrt(np.mean(y**2)))
    if y_rms == 0:
        return {n: 0.0 for n in names}
    norms = np.sqrt(np.mean(theta**2, axis=0))
    norms[norms == 0] = 1.0
    opt = _stlsq(float(threshold), float(ridge), int(max_iter))
    import warnings

    with warnings.catch_warnings():  # "sparsity parameter too big, all coefficients zero" is a result, not an error
        warnings.simplefilter("ignore")
        opt.fit(theta / norms, (y / y_rms)[:, None])
    xi = np.asarray(opt.coef_, float).reshape(-1) * y_rms / norms
    return {n: float(v) for n, v in zip(names, xi)}


# --------------------------------------------------------------------------------------
# discovery after training
# --------------------------------------------------------------------------------------

def _fmt_coef(v: float) -> str:
    return f"{v:.4g}"


@dataclass
class Discovery:
    """What sparse regression made of a trained hidden term.

    ``coefficients``: ``{library term: ξ}`` (0 for dropped terms); ``truth``: the true
    ``{term: coefficient}`` when known; ``r2``: the share of ``h``'s variance on the samples
    the sparse formula explains; ``fit_r2`` the same for the full least-squares fit over the
    whole library (how far the network itself is from any polynomial of that degree)."""

    inputs: tuple[str, ...]
    degree: int
    threshold: float
    coefficients: dict[str, float]
    truth: dict[str, float] = field(default_factory=dict)
    r2: float = math.nan
    samples: int = 0

    @property
    def terms(self) -> dict[str, float]:
        """The kept terms ``{name: ξ}``."""
        return {k: v for k, v in self.coefficients.items() if v != 0}

    def equation(self) -> str:
        """``"h = 1.002 u*u_x"`` (``"h = 0"`` when every term was dropped)."""
        parts = []
        for k, v in self.terms.items():
            c = _fmt_coef(abs(v))
            body = c if k == "1" else f"{c} {k}"
            parts.append(("− " if v < 0 else "+ ") + body)
        if not parts:
            return "h = 0"
        text = " ".join(parts)
        return "h = " + (text[2:] if text.startswith("+ ") else "−" + text[2:])

    def true_equation(self) -> str:
        """The true hidden term in the same form (empty when unknown)."""
        if not self.truth:
            return ""
        return replace(self, coefficients={k: v for k, v in self.truth.items() if v != 0}).equation()

    @property
    def support_correct(self) -> bool | None:
        """Whether exactly the true terms were kept (``None`` without a truth)."""
        if not self.truth:
            return None
        return set(self.terms) == {k for k, v in self.truth.items() if v != 0}

    def errors(self) -> dict[str, float]:
        """``|ξ − c| / |c|`` for each true term ``c`` (1.0 for a true term that was dropped)."""
        return {k: abs(self.coefficients.get(k, 0.0) - c) / abs(c) for k, c in self.truth.items() if c != 0}

    @property
    def max_error(self) -> float:
        e = self.errors()
        return max(e.values()) if e else math.nan

    def metrics(self) -> dict[str, float]:
        """Floats for a run's final metrics: ``discovery/coef/<term>`` for every library term,
        ``discovery/r2``, and with a truth ``discovery/support_correct`` (1 or 0),
        ``discovery/max_rel_error`` and ``discovery/true/<term>``."""
        out = {f"discovery/coef/{k}": float(v) for k, v in self.coefficients.items()}
        out["discovery/r2"] = float(self.r2)
        out["discovery/threshold"] = float(self.threshold)
        if self.truth:
            out["discovery/support_correct"] = float(bool(self.support_correct))
            out["discovery/max_rel_error"] = float(self.max_error)
            out.update({f"discovery/true/{k}": float(v) for k, v in self.truth.items()})
        return out

    @classmethod
    def from_metrics(cls, final: Mapping[str, float]) -> "Discovery":
        """The discovery a run recorded in its final metrics (:meth:`metrics`)."""
        coef = {k.split("/", 2)[2]: float(v) for k, v in final.items() if k.startswith("discovery/coef/")}
        if not coef:
            raise ValueError("these metrics hold no discovery (the run had no hidden term: RunConfig hidden=...)")
        truth = {k.split("/", 2)[2]: float(v) for k, v in final.items() if k.startswith("discovery/true/")}
        return cls(inputs=(), degree=-1, threshold=float(final.get("discovery/threshold", math.nan)),
                   coefficients=coef, truth=truth, r2=float(final.get("discovery/r2", math.nan)))

    def __str__(self):
        text = self.equation()
        if self.truth:
            text += f"   (true: {self.true_equation()}; max coefficient error {self.max_error:.2%})"
        return text


def equation_from_metrics(final: Mapping[str, float]) -> str:
    """``str(Discovery.from_metrics(final))``: the recovered hidden term in words."""
    return str(Discovery.from_metrics(final))


def _hidden_of(model) -> HiddenTerm:
    hidden = getattr(model, "hidden", None)
    if not isinstance(hidden, HiddenTerm):
        raise ValueError(f"the model ({type(model).__name__}) has no hidden-term network; train a "
                         f"WithHiddenTerm(net, hidden) model (pinnkit.discovery.hide) or a RunConfig with hidden=...")
    return hidden


def sample_hidden(model: nn.Module, problem: Problem, points: int = 2048, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs (N, k), h (N,))`` of the trained hidden term at ``points`` scrambled Sobol'
    points of the domain, its inputs computed from the trained field network."""
    from scipy.stats import qmc

    hidden = _hidden_of(model)
    if isinstance(points, bool) or not isinstance(points, numbers.Integral) or points < 1:
        raise ValueError(f"points must be a positive integer; got {points!r}")
    dom = problem.domain
    z = qmc.Sobol(dom.dim, scramble=True, seed=seed).random(int(points))
    lo, hi = np.asarray(dom.low, float), np.asarray(dom.high, float)
    dtype = next(hidden.parameters()).dtype
    x = torch.as_tensor(lo + (hi - lo) * z, dtype=dtype).requires_grad_(True)
    u = model(x)
    D = Derivatives(x, dom.names)
    f = hidden.features(x, u, D)
    with torch.no_grad():
        h = hidden.evaluate(f)
    return f.detach().double().numpy(), h.detach().double().numpy().reshape(-1)


def discover(model: nn.Module, problem: Problem, degree: int | None = None, threshold: float = 0.05,
             points: int = 2048, constant: bool = True, seed: int = 0, ridge: float = 1e-6) -> Discovery:
    """Recover a formula for the trained hidden term of ``model`` (a :class:`WithHiddenTerm`):
    sample it at ``points`` points of the domain (:func:`sample_hidden`), build the library
    of monomials of its inputs up to ``degree`` (default: the declared term's), and keep the
    terms STLSQ selects at ``threshold`` (:func:`sparse_regression`)."""
    hidden = _hidden_of(model)
    if degree is None:
        degree = hidden.spec.degree if hidden.spec is not None else 2
    names = list(hidden.inputs)
    size = math.comb(len(names) + int(degree), int(degree)) - (0 if constant else 1) \
        if isinstance(degree, numbers.Integral) and not isinstance(degree, bool) and degree >= 0 else 0
    if size and points < 2 * size:
        raise ValueError(f"too few sample points: {points} for a library of {size} terms (need at least "
                         f"{2 * size})")
    f, h = sample_hidden(model, problem, points, seed)
    theta, labels = library(f, names, degree, constant)
    coef = sparse_regression(theta, h, labels, threshold, ridge)
    pred = theta @ np.array([coef[k] for k in labels])
    var = float(np.var(h))
    r2 = 1.0 - float(np.mean((h - pred) ** 2)) / var if var > 0 else math.nan
    return Discovery(tuple(names), int(degree), float(threshold), coef, dict(hidden.truth), r2, len(h))


# --------------------------------------------------------------------------------------
# RunConfig
# --------------------------------------------------------------------------------------

def options_of(spec) -> dict:
    """``RunConfig.hidden`` as a dict of checked options (a string is the term's name)."""
    if isinstance(spec, str):
        spec = {"term": spec.strip()}
    if not isinstance(spec, Mapping):
        raise ValueError(f"hidden must be a term's name or a dict of options {list(HIDDEN_OPTIONS)}; got {spec!r}")
    bad = sorted(set(spec) - set(HIDDEN_OPTIONS))
    if bad:
        raise ValueError(f"unknown hidden-term option(s) {bad}; the options are {list(HIDDEN_OPTIONS)}")
    if not spec.get("term"):
        raise ValueError("hidden needs the name of the term to hide: {\"term\": name} (e.g. \"convection\" for "
                         f"burgers; hideable terms by problem: "
                         f"{ {p: sorted(t) for p, t in TERMS.items()} })")
    return dict(spec)


def build_hidden(config, problem: Problem) -> tuple[Problem, HiddenTerm, dict]:
    """The problem with its hidden term, the hidden-term network and the regression options
    of ``config`` (a :class:`~pinnkit.recipes.RunConfig` with ``hidden`` set)."""
    opts = options_of(config.hidden)
    if config.strategy != "none":
        raise ValueError(f"a hidden term trains with one network pair; strategy {config.strategy!r} is not "
                         f"supported with hidden=... (use strategy 'none')")
    net_opts = {k: opts[k] for k in ("inputs", "width", "depth", "activation", "scales", "output_scale") if k in opts}
    problem, hidden = hide(problem, opts["term"], seed=int(config.seed) + 1, **net_opts)
    regression = {k: opts[k] for k in ("degree", "threshold", "constant", "points") if k in opts}
    degree = regression.get("degree", hidden.spec.degree)
    size = math.comb(len(hidden.inputs) + degree, degree) - (0 if regression.get("constant", True) else 1) \
        if isinstance(degree, int) and not isinstance(degree, bool) and degree >= 0 else None
    if size == 0:
        raise ValueError("the candidate library is empty: degree 0 without the constant term")
    observed = sum(len(c.y) for c in problem.conditions.values() if isinstance(c, Data))
    if size is not None and observed < size:
        raise ValueError(f"too few observations: {observed} for a library of {size} candidate terms (degree "
                         f"{degree} in {list(hidden.inputs)}); give at least {size}")
    # check the regression options now, before anything trains
    th = regression.get("threshold", 0.05)
    if isinstance(th, bool) or not isinstance(th, numbers.Real) or not 0 <= th < 1:
        raise ValueError(f"hidden threshold must be a number in [0, 1); got {th!r}")
    if size is None:
        raise ValueError(f"hidden degree must be an integer >= 0; got {degree!r}")
    pts = regression.get("points", 2048)
    if isinstance(pts, bool) or not isinstance(pts, int) or pts < 2 * size:
        raise ValueError(f"hidden points must be an integer >= {2 * size} (twice the library's {size} terms); "
                         f"got {pts!r}")
    return problem, hidden, regression
