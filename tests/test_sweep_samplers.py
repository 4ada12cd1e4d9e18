"""Samplers: points respect bounds, kinds and counts; designs are reproducible."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negotiation_sim.experiments.samplers import design, n_points
from negotiation_sim.parameters import Parameter, discrete_range

SAMPLERS = ("random", "lhs", "sobol")


@st.composite
def continuous(draw, index: int) -> Parameter:
    low = draw(st.floats(0.01, 1e4, allow_nan=False))
    width = draw(st.floats(0.0, 1e4, allow_nan=False))
    kind = draw(st.sampled_from(["linear", "log", "integer"]))
    high = low + width
    if kind == "integer":  # the config refuses integer bounds with no integer inside
        high = max(high, math.ceil(low))
    return Parameter(f"p{index}", low=low, high=high, log=kind == "log",
                     integer=kind == "integer")


@st.composite
def parameter_sets(draw) -> list[Parameter]:
    d = draw(st.integers(1, 4))
    params = [draw(continuous(i)) for i in range(d)]
    if draw(st.booleans()):
        values = draw(st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True))
        params.append(Parameter("choice", values=tuple(values)))
    return params


@settings(max_examples=40, deadline=None)
@given(params=parameter_sets(), sampler=st.sampled_from(SAMPLERS),
       n_exp=st.integers(0, 5), seed=st.integers(0, 2**32))
def test_points_respect_bounds_kinds_and_counts(params, sampler, n_exp, seed):
    n = 2**n_exp
    points = design(sampler, params, n=n, rng=seed)
    assert len(points) == n_points(sampler, params, n)
    if sampler == "sobol":
        assert len(points) == n * (2 * len(params) + 2)
    else:
        assert len(points) == n
    assert list(points.columns) == [p.name for p in params]
    for p in params:
        col = points[p.name]
        if p.values is not None:
            assert set(col) <= set(p.values)
            continue
        if p.integer:
            assert col.dtype == np.int64
            assert (col >= math.ceil(p.low)).all() and (col <= math.floor(p.high)).all()
        else:
            assert (col >= p.low).all() and (col <= p.high).all()
    again = design(sampler, params, n=n, rng=seed)
    assert again.equals(points)  # a pure function of its inputs and seed


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 60), d=st.integers(1, 4), seed=st.integers(0, 2**32))
def test_latin_hypercube_puts_one_point_in_each_stratum(n, d, seed):
    params = [Parameter(f"p{i}", low=10.0 * i, high=10.0 * i + 5.0) for i in range(d)]
    points = design("lhs", params, n=n, rng=seed)
    for p in params:
        strata = np.floor((points[p.name] - p.low) / (p.high - p.low) * n).clip(0, n - 1)
        assert sorted(strata.astype(int)) == list(range(n)), p.name


def test_grid_is_the_full_factorial_first_parameter_slowest():
    params = [Parameter("a", values=(1.0, 2.0)), Parameter("b", values=("x", "y", "z")),
              Parameter("c", values=(True, False))]
    points = design("grid", params)
    assert len(points) == 12 == n_points("grid", params)
    assert list(points["a"]) == [1.0] * 6 + [2.0] * 6
    assert list(points["b"][:6]) == ["x", "x", "y", "y", "z", "z"]
    assert points.drop_duplicates().shape[0] == 12
    assert points["c"].dtype == bool and points["a"].dtype == np.float64


def test_grid_refuses_bounds():
    with pytest.raises(ValueError, match="needs values"):
        design("grid", [Parameter("a", low=0.0, high=1.0)])


def test_different_seeds_give_different_designs():
    params = [Parameter("a", low=0.0, high=1.0), Parameter("b", low=1.0, high=100.0, log=True)]
    for sampler in SAMPLERS:
        assert not design(sampler, params, n=8, rng=1).equals(
            design(sampler, params, n=8, rng=2)), sampler


def test_log_scale_spreads_points_over_decades():
    points = design("lhs", [Parameter("a", low=1.0, high=1e4, log=True)], n=400, rng=3)
    decades = np.floor(np.log10(points["a"])).value_counts()
    assert set(decades.index) == {0.0, 1.0, 2.0, 3.0}
    assert decades.min() > 80  # uniform in log space: about 100 per decade


def test_discrete_range_includes_high_end_without_float_drift():
    assert discrete_range(1150.0, 1275.0, step=25.0) == (1150.0, 1175.0, 1200.0, 1225.0,
                                                         1250.0, 1275.0)
    assert discrete_range(0.1, 0.3, step=0.1) == (0.1, 0.2, 0.3)
    assert discrete_range(1.0, 100.0, n=3, log=True) == (1.0, 10.0, 100.0)
