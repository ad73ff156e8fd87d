"""Bad inputs raise ValueError with a message naming the thing that is wrong (fuzzed with
hypothesis): negative viscosity, empty domains, NaN parameters, wrong tensor shapes,
bad point counts and bad learning rates."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pinnkit import zoo
from pinnkit.models import MLP, FourierFeatures, build_model
from pinnkit.optim import adam, lbfgs
from pinnkit.problems import Box, Interval, Parameter, TimeDomain
from pinnkit.sampling import SAMPLERS, make_sampler

FUZZ = settings(max_examples=25, deadline=None, derandomize=True)
NAN_INF = st.sampled_from([math.nan, math.inf, -math.inf])
NONPOSITIVE = st.one_of(st.floats(max_value=0.0, allow_nan=False), st.just(-0.0), NAN_INF)


@FUZZ
@given(nu=NONPOSITIVE)
def test_burgers_rejects_nonpositive_viscosity(nu):
    with pytest.raises(ValueError, match="viscosity nu"):
        zoo.get("burgers", nu=nu)
    with pytest.raises(ValueError, match="viscosity nu"):
        zoo.get("burgers").with_parameters(nu=nu)


def test_unknown_parameter_and_problem():
    with pytest.raises(ValueError, match=r"burgers has no parameter\(s\) \['mu'\]"):
        zoo.get("burgers", mu=0.1)
    with pytest.raises(ValueError, match="unknown problem 'kdv'"):
        zoo.get("kdv")


@pytest.mark.parametrize("name", zoo.names())
@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.1"])
def test_every_zoo_parameter_rejects_nan_inf_and_strings(name, bad):
    """NaN/Inf/non-numbers are refused by every parameter of every zoo problem, and the
    message names the parameter."""
    for par in zoo.get(name).parameters:
        with pytest.raises(ValueError, match=par):
            zoo.get(name, **{par: bad})


@FUZZ
@given(value=st.one_of(NAN_INF, st.none(), st.text(max_size=3)), which=st.sampled_from(["value", "low", "high"]))
def test_parameter_rejects_non_finite(value, which):
    args = {"value": 1.0, "low": 0.0, "high": 2.0, which: value}
    with pytest.raises(ValueError, match=f"parameter {which} must be a finite number"):
        Parameter(**args)


@FUZZ
@given(low=st.floats(-1e6, 1e6), width=st.floats(max_value=0.0, min_value=-1e6))
def test_empty_domains(low, width):
    with pytest.raises(ValueError, match="empty domain"):
        Interval(low, low + width)
    with pytest.raises(ValueError, match="empty domain: coordinate 't'"):
        TimeDomain(Interval(0.0, 1.0), low, low + width)
    with pytest.raises(ValueError, match="empty domain: coordinate 'y'"):
        Box((0.0, low), (1.0, low + width), ("x", "y"))


@FUZZ
@given(bad=NAN_INF, at=st.integers(0, 3))
def test_non_finite_bounds(bad, at):
    low, high = [0.0, 0.0], [1.0, 1.0]
    (low if at < 2 else high)[at % 2] = bad
    with pytest.raises(ValueError, match="must be finite"):
        Box(tuple(low), tuple(high), ("x", "t"))


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@FUZZ
@given(shape=shapes, d=st.integers(1, 3))
def test_models_reject_wrong_input_shapes(shape, d):
    if len(shape) == 2 and shape[1] == d:
        shape = shape + (1,)
    x = torch.zeros(shape)
    with pytest.raises(ValueError, match=rf"MLP expects input of shape \(N, {d}\)"):
        MLP(d, 1, 4, 1)(x)
    with pytest.raises(ValueError, match=rf"FourierFeatures expects input of shape \(N, {d}\)"):
        FourierFeatures(d, 2)(x)


@FUZZ
@given(shape=shapes)
def test_pde_residual_rejects_wrong_point_shapes(shape):
    problem = zoo.get("burgers")
    if len(shape) == 2 and shape[1] == 2:
        shape = (shape[0], 3)
    model = build_model(problem, width=4, depth=1)
    with pytest.raises(ValueError, match=r"burgers: points must have shape \(N, 2\)"):
        problem.pde_residual(model, torch.zeros(shape), problem.values)


@pytest.mark.parametrize("out", [lambda x: x[:, 0], lambda x: torch.cat([x[:, :1], x[:, :1]], 1), lambda x: x[:3, :1]])
def test_pde_residual_rejects_wrong_model_outputs(out):
    problem = zoo.get("burgers")
    with pytest.raises(ValueError, match=r"burgers: model output must be \(N, 1\)"):
        problem.pde_residual(out, torch.rand(5, 2), problem.values)


@FUZZ
@given(n=st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=2), st.booleans(),
                   st.none()),
       name=st.sampled_from(sorted(SAMPLERS)))
def test_samplers_reject_bad_counts(n, name):
    with pytest.raises(ValueError, match="number of points"):
        make_sampler(name, n)


@FUZZ
@given(n=st.integers(max_value=0))
def test_conditions_reject_bad_counts(n):
    problem = zoo.get("burgers")
    for name, c in problem.conditions.items():
        with pytest.raises(ValueError, match="number of points"):
            c.sample(n, np.random.default_rng(0))


@FUZZ
@given(lr=st.one_of(st.floats(max_value=0.0, allow_nan=False), NAN_INF, st.text(max_size=2), st.none()))
def test_optimizers_reject_bad_learning_rates(lr):
    with pytest.raises(ValueError, match="learning rate"):
        adam(lr)
    with pytest.raises(ValueError, match="learning rate"):
        lbfgs(lr=lr)
