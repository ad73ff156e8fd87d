"""Mistakes a user makes when writing a problem: each is an error naming the residual or
condition, the shape it returned and the shape expected, or the parameter names that exist."""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import torch

import pinnkit
from pinnkit.problems import ParameterRangeWarning, UnknownParameterError, zoo
from pinnkit.problems.conditions import Dirichlet


def short_train(problem, steps=2):
    torch.manual_seed(0)
    model = pinnkit.models.MLP(2, 1, width=8, depth=2)
    return pinnkit.train(problem, model, steps=steps, sampler=pinnkit.sampling.Uniform(64), condition_points=8,
                         progress=False, eval_every=1000, threads=1)


def burgers_with(residual):
    return dataclasses.replace(zoo.get("burgers"), residual=residual)


def test_broadcasting_slip_names_the_shapes():
    # x[:, 0] is (N,), u is (N, 1): their product is (N, N) and used to train silently
    slip = burgers_with(lambda x, u, D, p: D(u, "t") + x[:, 0] * D(u, "x") - p["nu"] * D(u, "xx"))
    with pytest.raises(ValueError, match=r"the residual of burgers returned shape \(64, 64\) for 64 points; "
                                         r"expected a torch tensor of shape \(64,\) or \(64, k\).*broadcast.*x\[:, 0:1\]"):
        short_train(slip)


def test_scalar_residual_says_return_the_pointwise_residual():
    scalar = burgers_with(lambda x, u, D, p: (D(u, "t") + u * D(u, "x")).pow(2).mean())
    with pytest.raises(ValueError, match=r"the residual of burgers returned a scalar \(shape \(\)\); expected .*"
                                         r"\(64,\) or \(64, k\).*not its mean or sum"):
        short_train(scalar)


def test_numpy_residual_says_use_torch():
    as_numpy = burgers_with(lambda x, u, D, p: np.zeros(len(x)))
    with pytest.raises(TypeError, match=r"the residual of burgers returned a numpy.ndarray; expected a torch tensor "
                                        r"of shape \(64,\).*torch.sin, not np.sin"):
        short_train(as_numpy)


def test_wrong_number_of_rows():
    short = burgers_with(lambda x, u, D, p: D(u, "t")[:10])
    with pytest.raises(ValueError, match=r"returned shape \(10, 1\) for 64 points"):
        short_train(short)


def test_a_typo_in_a_parameter_name_lists_the_declared_names():
    typo = burgers_with(lambda x, u, D, p: D(u, "t") + u * D(u, "x") - p["mu"] * D(u, "xx"))
    with pytest.raises(UnknownParameterError) as e:
        short_train(typo)
    assert str(e.value) == ("the residual of burgers asked for p['mu'], which is not a parameter of the problem; "
                            "its parameters (and unknowns) are ['lambda1', 'nu']")
    assert isinstance(e.value, KeyError)  # code that catches KeyError still does


def test_a_condition_with_the_wrong_shape_is_named():
    class Wide(Dirichlet):
        def residual(self, u, x, params):
            return u(x) - x[:, 0]  # (N, 1) - (N,) -> (N, N)

    p = zoo.get("burgers")
    bad = dataclasses.replace(p, conditions={**p.conditions, "left": Wide(p.domain, "x", "low", 0.0)})
    with pytest.raises(ValueError, match=r"condition 'left' of burgers returned shape \(32, 32\) for 32 points"):
        pinnkit.train(bad, pinnkit.models.MLP(2, 1, width=8, depth=2), steps=1, condition_points=32,
                      sampler=pinnkit.sampling.Uniform(64), progress=False, eval_every=1000, threads=1)


def test_correct_residuals_of_every_shape_still_train():
    ok = burgers_with(lambda x, u, D, p: (D(u, "t") + u * D(u, "x") - p["nu"] * D(u, "xx"))[:, 0])  # (N,)
    assert short_train(ok).status == "completed"
    assert short_train(zoo.get("burgers")).status == "completed"


def test_a_value_outside_the_declared_range_warns_and_goes_on():
    with pytest.warns(ParameterRangeWarning, match=r"burgers: nu = 0.5 lies outside its declared range "
                                                   r"\[0.001, 0.1\] \(viscosity ν\)"):
        p = zoo.get("burgers", nu=0.5)
    assert p.values["nu"] == 0.5
    with pytest.warns(ParameterRangeWarning, match="beta = 300"):
        pinnkit.recipes.build(pinnkit.RunConfig(problem="convection", parameters={"beta": 300}, steps=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in zoo.names():  # the defaults, and any value inside the range, are quiet
            p = zoo.get(name)
            for k, par in p.parameters.items():
                p.with_parameters(**{k: (par.low + par.high) / 2 if not par.log else math.sqrt(par.low * par.high)})
