"""Never a silent wrong gradient (issue 10, items 5-11 and the classes behind them).

Every gradient here is checked against float64 central finite differences, for the
shape-specialized and the shape-generic code (`assert_grad_matches_fd`). What sct
cannot differentiate it refuses with an SctError at the user's line. Where the
derivative does not exist at a point, sct follows autograd and JAX, and the tests
pin that down (the conventions are in docs/architecture.md, Rules).

The last part walks sct's whole non-differentiable registry and checks, by finite
differences, that each entry really has zero derivative at sample float arguments.
"""
import inspect
import operator
import os
import subprocess
import sys

import numpy as np
import pytest

import sct
from conftest import ROOT, assert_grad_matches_fd, numerical_grad
from sct.rules import registry

RNG = np.random.default_rng(10)


def normal(*shape):
    return RNG.normal(size=shape)


def refusal(f, *args, wrt=0):
    """The SctError sct.grad(f) raises for `args`; it must name this file."""
    with pytest.raises(sct.SctError) as info:
        sct.grad(f, wrt=wrt)(*args)
    assert info.value.loc is not None and info.value.loc.filename == __file__, str(info.value)
    return info.value


# ---------------------------------------------------------------- 5: np.full, np.full_like, np.arange


def full_squared(mu):
    return np.sum(np.full(3, mu) ** 2)


def full_like_squared(mu):
    return np.sum(np.full_like(np.zeros(3), mu) ** 2)


def arange_from(t0):
    return np.sum(np.arange(t0, t0 + 1, .25))


def test_item5_values():
    assert sct.grad(full_squared)(0.8) == pytest.approx(4.8)
    assert sct.grad(full_like_squared)(0.8) == pytest.approx(4.8)
    assert sct.grad(arange_from)(1.0) == pytest.approx(4.0)  # four entries, each t0 + i / 4


def full_weighted(v):
    return np.sum(np.full((2, 3), v) * np.arange(6.0).reshape(2, 3))


def full_3d(v):
    return np.sum(np.full((4, 2, 3), v) ** 2)


def full_float32(v):
    return np.sum(np.full((2, 3), v, dtype=np.float32) * 2.0)


def full_int(v):
    return np.sum(np.full((2, 3), v, dtype=int) * 2.0)


def full_like_int(mu):
    return np.sum(np.full_like(np.zeros(3, dtype=int), mu) ** 2)  # the value is truncated


def full_like_float(mu, a):
    return np.sum(np.full_like(a, mu, dtype=float) ** 2)


def full_like_broadcast(v, a):
    return np.sum(np.full_like(a, v) * a)


@pytest.mark.parametrize("f, args, wrt", [
    (full_squared, (0.8,), 0), (full_squared, (np.array(0.8),), 0),
    (full_weighted, (normal(3),), 0), (full_weighted, (normal(2, 1),), 0), (full_weighted, (0.3,), 0),
    (full_3d, (normal(2, 1),), 0),
    (full_like_squared, (0.8,), 0), (full_like_float, (0.8, np.zeros(3, dtype=int)), 0),
    (full_like_broadcast, (normal(3), normal(2, 3)), (0, 1)),
    (full_int, (0.3,), 0), (full_like_int, (0.8,), 0),
])
def test_full(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


def test_full_float32():
    assert_grad_matches_fd(full_float32, (0.3,), eps=1e-3, rtol=1e-5)
    assert sct.grad(full_int)(0.3) == 0.0 and sct.grad(full_like_int)(0.8) == 0.0


def arange_step(t0, h):
    return np.sum(np.arange(t0, 2.0, h) ** 2)


def arange_count(t):
    return np.sum(np.arange(t) * 1.0)  # 0, 1, 2, ... whatever t is


def arange_to(t0):
    return np.sum(np.arange(t0, 3.0) ** 2)


def arange_int(t0):
    return np.sum(np.arange(t0, 3.0, dtype=int) * 1.0)


def arange_keywords(t0):
    return np.sum(np.sin(np.arange(start=t0, stop=2.1, step=0.5)))


def arange_from_short(t0):
    return np.sum(np.arange(t0, t0 + 0.9, 0.25) ** 2)  # the length stays 4 under the perturbation


@pytest.mark.parametrize("f, args, wrt", [
    (arange_from_short, (1.0,), 0), (arange_from_short, (np.float64(1.0),), 0), (arange_step, (0.1, 0.3), (0, 1)),
    (arange_count, (3.5,), 0), (arange_to, (0.3,), 0), (arange_int, (0.3,), 0), (arange_keywords, (0.2,), 0),
])
def test_arange(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


# ---------------------------------------------------------------- 6: np.linspace, np.logspace, np.geomspace


def linspace_squared(a, b):
    return np.sum(np.linspace(a, b, 5) ** 2)


def test_item6_values():
    # samples 1, 1.25, ..., 2: d/da = sum 2 s (1 - t), d/db = sum 2 s t
    np.testing.assert_allclose(sct.grad(linspace_squared, wrt=(0, 1))(1.0, 2.0), (6.25, 8.75))


def linspace_open(a, b):
    return np.sum(np.linspace(a, b, 4, endpoint=False) ** 3)


def linspace_sin(a, b):  # start and stop broadcast to (3,)
    return np.sum(np.sin(np.linspace(a, b, 4)) * np.arange(4.0).reshape(4, 1))


def linspace_sin_2d(a, b):  # start and stop broadcast to (2, 3)
    return np.sum(np.sin(np.linspace(a, b, 4)) * np.arange(4.0).reshape(4, 1, 1))


def linspace_axis(a, b):
    return np.sum(np.sin(np.linspace(a, b, 3, axis=1)) * np.arange(1.0, 4.0).reshape(1, 3, 1))


def linspace_last_axis(a, b):
    return np.sum(np.sin(np.linspace(a, b, 3, axis=-1)) * np.arange(1.0, 4.0))


def linspace_one(a, b):
    return np.sum(np.linspace(a, b, 1) ** 2)


def linspace_default(a, b):
    return np.sum(np.linspace(a, b) ** 2)


def linspace_mean(a, b):
    return np.mean(np.linspace(a, b, 5))


def linspace_int(a, b):
    return np.sum(np.linspace(a, b, 5, dtype=int) * 1.0)


def linspace_retstep(a, b):
    xs, step = np.linspace(a, b, 5, retstep=True)
    return np.sum(xs) * step


@pytest.mark.parametrize("f, args", [
    (linspace_squared, (1.0, 2.0)), (linspace_open, (1.0, 2.0)), (linspace_one, (1.0, 2.0)),
    (linspace_default, (1.0, 2.0)), (linspace_mean, (1.0, 2.0)), (linspace_int, (1.1, 2.7)),
    (linspace_sin, (normal(3), 2.0)), (linspace_sin, (normal(3), normal(3))),
    (linspace_sin_2d, (normal(2, 1), normal(3))),
    (linspace_axis, (normal(2, 4), normal(2, 4))), (linspace_axis, (normal(2, 1), normal(4))),
    (linspace_last_axis, (normal(2, 3), normal(3))),
])
def test_linspace(f, args):
    assert_grad_matches_fd(f, args, (0, 1))


def test_linspace_retstep_is_refused():
    assert "step = (stop - start)" in refusal(linspace_retstep, 1.0, 2.0, wrt=(0, 1)).hint


def logspace_sum(a, b):
    return np.sum(np.logspace(a, b, 4))


def logspace_base(a, b, base):
    return np.sum(np.logspace(a, b, 4, base=base))


def logspace_axis(a, b, base):
    return np.sum(np.sin(np.logspace(a, b, 3, base=base, endpoint=False, axis=-1)))


def logspace_middle_axis(a, b):
    return np.sum(np.sin(np.logspace(a, b, 3, axis=1)))


def geomspace_squared(a, b):
    return np.sum(np.geomspace(a, b, 4) ** 2)


def geomspace_axis(a, b):
    return np.sum(np.sin(np.geomspace(a, b, 3, axis=1, endpoint=False)))


def geomspace_one(a, b):
    return np.sum(np.geomspace(a, b, 1))


@pytest.mark.parametrize("f, args", [
    (logspace_sum, (0.1, 0.7)), (logspace_base, (0.1, 0.7, 2.5)),
    (logspace_middle_axis, (normal(2), normal(3, 2))), (logspace_axis, (normal(2), 0.5, np.array([2.0, 3.0]))),
    (logspace_axis, (normal(2), 0.5, np.array([[2.0], [3.0]]))),
    (geomspace_squared, (1.5, 8.0)), (geomspace_squared, (-1.5, -8.0)), (geomspace_one, (1.5, 8.0)),
    (geomspace_axis, (np.array([1.0, 2.0]), np.array([[3.0, 5.0], [4.0, 6.0]]))),
])
def test_logspace_geomspace(f, args):
    assert_grad_matches_fd(f, args, tuple(range(len(args))))


# ---------------------------------------------------------------- np.meshgrid


def meshgrid_xy(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(X * Y ** 2) + np.sum(X)


def meshgrid_ij(x, y):
    X, Y = np.meshgrid(x, y, indexing="ij")
    return np.sum(np.sin(X) * Y)


def meshgrid_3(x, y, z):
    X, Y, Z = np.meshgrid(x, y, z)
    return np.sum(X * Y * Z ** 2)


def meshgrid_sparse(x, y):
    X, Y = np.meshgrid(x, y, sparse=True)
    return np.sum(X * Y ** 2)


def meshgrid_one(x):
    (X,) = np.meshgrid(x)
    return np.sum(X ** 2)


def meshgrid_indexed(x, y):
    grids = np.meshgrid(x, y)
    return np.sum(grids[0] * grids[1])


def meshgrid_second_only(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(Y)


@pytest.mark.parametrize("f, args", [
    (meshgrid_xy, (normal(2), normal(3))), (meshgrid_xy, (normal(2, 2), normal(3))),
    (meshgrid_ij, (normal(2), normal(3))), (meshgrid_3, (normal(2), normal(3), normal(4))),
    (meshgrid_sparse, (normal(2), normal(3))), (meshgrid_one, (normal(2),)),
    (meshgrid_indexed, (normal(2), normal(3))), (meshgrid_second_only, (normal(2), normal(3))),
])
def test_meshgrid(f, args):
    assert_grad_matches_fd(f, args, tuple(range(len(args))))


# ---------------------------------------------------------------- 7: np.r_, np.c_, np.mgrid (getitems of objects)


def r_twice(x):
    return np.sum(np.r_[x, x])


def c_twice(x):
    return np.sum(np.c_[x, x])


def test_item7_values():
    np.testing.assert_array_equal(sct.grad(r_twice)(normal(3)), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(sct.grad(c_twice)(normal(3)), [2.0, 2.0, 2.0])


def r_weighted(x, y):
    return np.sum(np.sin(np.r_[x, 2.0, y]) * np.arange(1.0, 8.0))


def r_scalar(x, a):
    return np.sum(np.sin(np.r_[x, a]))


def r_one(x):
    return np.sum(np.r_[x] ** 2)


def r_directive_rows(x, y):
    return np.sum(np.sin(np.r_['0,2', x, y]) * np.arange(6.0).reshape(2, 3))


def r_directive_axis(x, y):
    return np.sum(np.sin(np.r_['1', x, y]))


def r_directive_columns(x, y):
    return np.sum(np.sin(np.r_['-1,2,0', x, y]) * np.arange(6.0).reshape(3, 2))


def r_linspace_slice(a, b):
    return np.sum(np.sin(np.r_[a:b:5j]) * np.arange(5.0))


def r_arange_slice(a, h):
    return np.sum(np.sin(np.r_[a:3.0:h]))


def r_mixed(x, a, b):
    return np.sum(np.sin(np.r_[x, a:b:4j, 1.0]) * np.arange(8.0))


def r_list_item(x, y):
    return np.sum(np.sin(np.r_[[x[0], 1.0], y]))


def r_constant_slice(x):
    return np.sum(np.r_[0:1:5j] * x)


def r_stop_only(b):
    return np.sum(np.sin(np.r_[:b:3j]))


def c_weighted(X, y):
    return np.sum(np.sin(np.c_[X, y]) * np.arange(9.0).reshape(3, 3))


def c_slice(a, b, x):
    return np.sum(np.sin(np.c_[a:b:3j, x]) * np.arange(6.0).reshape(3, 2))


def mgrid_one(a, b):
    return np.sum(np.sin(np.mgrid[a:b:4j]))


def mgrid_two(a, b, c):
    return np.sum(np.sin(np.mgrid[a:b:3j, c:2.0:4j]) * np.arange(24.0).reshape(2, 3, 4))


def mgrid_step(a, h):
    return np.sum(np.sin(np.mgrid[a:2.0:h, 0:3]))


@pytest.mark.parametrize("f, args", [
    (r_twice, (normal(3),)), (r_twice, (normal(2, 3),)), (c_twice, (normal(3),)),
    (r_weighted, (normal(3), normal(3))), (r_scalar, (normal(3), 0.5)), (r_scalar, (normal(3), np.array(0.5))),
    (r_one, (normal(3),)), (r_one, (normal(2, 3),)), (r_directive_rows, (normal(3), normal(3))),
    (r_directive_axis, (normal(2, 2), normal(2, 3))), (r_directive_columns, (normal(3), normal(3))),
    (r_linspace_slice, (0.3, 1.7)), (r_arange_slice, (0.1, 0.4)), (r_mixed, (normal(3), 0.3, 1.7)),
    (r_list_item, (normal(2), normal(3))), (r_constant_slice, (normal(5),)), (r_stop_only, (1.7,)),
    (c_weighted, (normal(3, 2), normal(3))), (c_slice, (0.2, 0.9, normal(3))),
    (mgrid_one, (0.2, 0.9)), (mgrid_two, (0.2, 0.9, 0.1)), (mgrid_step, (0.1, 0.7)),
])
def test_index_objects(f, args):
    assert_grad_matches_fd(f, args, tuple(range(len(args))))


def ogrid_sum(a):
    return np.sum(np.ogrid[a:2.0:3j])


class Doubler:
    def __getitem__(self, key):
        return key * 2.0


DOUBLER = Doubler()


def doubled(x):
    return DOUBLER[x]


def test_index_objects_sct_cannot_follow_are_refused():
    assert "np.ogrid" in str(refusal(ogrid_sum, 0.3))
    assert "Doubler" in str(refusal(doubled, 0.3))


def s_index(x):
    return np.sum(x[np.s_[0:2]] * 3.0)


def test_constant_index_objects_still_index():
    assert_grad_matches_fd(s_index, (normal(3),))


# ---------------------------------------------------------------- 8, 9: np.dot is not matmul


def dot_sum(x, y):
    return np.sum(np.dot(x, y))


def test_item8_value():
    assert sct.grad(dot_sum)(2.0, np.ones(3)) == pytest.approx(3.0)


def dot_sin(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def dot_method(a, b):
    return np.sum(np.sin(a.dot(b)))


DOT_SHAPES = [((), (3,)), ((3,), ()), ((), ()), ((2, 3), ()), ((), (2, 3)), ((3,), (3,)), ((2, 3), (3,)),
              ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3), (4, 3, 5)), ((2, 4, 3), (3,)), ((3,), (4, 3, 5)),
              ((2, 4, 3), (5, 3, 2)), ((2, 3), (2, 4, 3, 5)), ((2, 1, 3), (3, 2))]


@pytest.mark.parametrize("a_shape, b_shape", DOT_SHAPES)
def test_dot_every_rank(a_shape, b_shape):
    a, b = normal(*a_shape), normal(*b_shape)
    assert_grad_matches_fd(dot_sin, (a, b), (0, 1))
    if a_shape:
        assert_grad_matches_fd(dot_method, (a, b), (0, 1))


@pytest.mark.parametrize("a, b", [(2.0, normal(3)), (normal(3), 2.0), (1.5, 2.0), (2.0, normal(2, 3))])
def test_dot_python_numbers(a, b):
    assert_grad_matches_fd(dot_sin, (a, b), (0, 1))


def matmul_sin(a, b):
    return np.sum(np.sin(a @ b))


MATMUL_SHAPES = [((3,), (4, 3, 5)), ((2, 4, 3), (3,)), ((2, 4, 3), (3, 2)), ((4, 3), (2, 3, 5)), ((1, 4, 3), (2, 3, 5)),
                 ((2, 1, 4, 3), (3, 3, 2))]


@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES)
def test_matmul_broadcasts_stacks(a_shape, b_shape):
    assert_grad_matches_fd(matmul_sin, (normal(*a_shape), normal(*b_shape)), (0, 1))


# ---------------------------------------------------------------- 10: np.std / np.var


def std_all(x):
    return np.std(x)


def std_method(x):
    return x.std()


def std_axis0(x):
    return np.sum(np.std(x, axis=0) * np.arange(1.0, 1.0 + np.shape(x)[1]))


def std_axis1_squared(x):
    return np.sum(np.std(x, axis=1) ** 2)


def std_keepdims(x):
    return np.sum(np.std(x, axis=0, keepdims=True) * np.arange(1.0, 1.0 + np.shape(x)[1]))


def std_axes(x):
    return np.sum(np.std(x, axis=(0, 2)))


def std_ddof(x):
    return np.std(x, ddof=1)


def var_all(x):
    return np.var(x)


@pytest.mark.parametrize("f, x", [
    (std_all, np.array([3.0])), (std_all, np.array(3.0)), (std_all, 3.0), (std_method, np.array([[2.0]])),
    (std_axis0, normal(1, 3)), (std_axis1_squared, normal(3, 1)), (std_keepdims, normal(1, 3)),
    (std_axes, normal(1, 3, 1)), (var_all, np.array([2.0])),
    (std_all, normal(4)), (std_axis0, normal(3, 2)), (std_keepdims, normal(3, 2)), (std_axes, normal(2, 3, 2)),
    (std_ddof, normal(4)), (std_axis1_squared, normal(3, 4)),
])
def test_std_var(f, x):
    assert_grad_matches_fd(f, (x,))


def test_item10_one_entry_has_zero_gradient():
    np.testing.assert_array_equal(sct.grad(std_all)(np.array([3.0])), [0.0])
    np.testing.assert_array_equal(sct.grad(var_all)(np.array([3.0])), [0.0])


def test_std_of_equal_entries_has_the_subgradient_zero():
    # Its minimum, a kink: 0 is a subgradient, and central differences give it too.
    np.testing.assert_array_equal(sct.grad(std_all)(np.ones(3)), np.zeros(3))


# ---------------------------------------------------------------- 11: x ** y at the edges


def power_of_zero(y):
    return np.sum(np.power(0.0, y))


def power_sum(x, y):
    return np.sum(x ** y)


def np_power_sum(x, y):
    return np.sum(np.power(x, y))


def float_power_sum(x, y):
    return np.sum(np.float_power(x, y))


def to_the_zero(x):
    return np.sum(x ** 0)


EXPONENTS = np.array([2.0, 3.0, 0.0, 0.5])


def to_constant_array(x):
    return np.sum(x ** EXPONENTS)


def two_to_the(y):
    return np.sum(2.0 ** y)


BASES = np.array([0.0, 2.0])


def constant_bases(y):
    return np.sum(BASES ** y)


def cube(x):
    return np.sum(x ** 3)


def to_list_of_exponents(x):
    return np.sum(x ** [2.0, 3.0])


def to_tuple_of_exponents(x):
    return np.sum(np.power(x, (2.0, 0.0)))


def list_of_bases(y):
    return np.sum(np.power([1.5, 2.0], y))


def test_item11_value():
    assert sct.grad(power_of_zero)(2.0) == 0.0  # 0 ** y is 0 for every y > 0
    assert_grad_matches_fd(power_of_zero, (2.0,))
    assert_grad_matches_fd(power_of_zero, (np.array([0.5, 2.0, 3.0]),))


@pytest.mark.parametrize("f", [power_sum, np_power_sum, float_power_sum])
@pytest.mark.parametrize("x, y", [(np.array([0.5, 1.5, 2.0]), np.array([2.0, 0.5, 3.0])),
                                  (np.array([0.5, 1.5]), 2.5), (1.7, np.array([0.5, 1.5])),
                                  (np.array([[0.5], [1.5]]), np.array([1.0, 2.0, 3.0])),
                                  (np.array([0.0, 1.5]), np.array([2.0, 3.0]))])
def test_power_both_arguments(f, x, y):
    assert_grad_matches_fd(f, (x, y), (0, 1))


@pytest.mark.parametrize("f, x", [(to_the_zero, np.array([0.0, 1.0, -2.0])),
                                  (to_constant_array, np.array([1.5, 2.0, 0.7, 1.2])),
                                  (to_constant_array, np.array([1.5, 2.0, 0.0, 1.2])),
                                  (two_to_the, np.array([0.5, 1.5])), (constant_bases, np.array([0.5, 1.5])),
                                  (cube, np.array([0.0, 1.5])), (to_list_of_exponents, np.array([1.5, 2.0])),
                                  (to_tuple_of_exponents, np.array([0.0, 2.0])),
                                  (list_of_bases, np.array([1.5, 2.0]))])
def test_power_constant_operands(f, x):
    assert_grad_matches_fd(f, (x,))


def test_power_conventions_where_no_derivative_exists():
    # x ** 0 is 1 for every x: its derivative is 0 also at x == 0 (not 0 * inf)
    np.testing.assert_array_equal(sct.grad(power_sum)(np.array([0.0, 1.0]), 0.0), [0.0, 0.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        # d/dy 0 ** y: 0 for y > 0, taken as 0 at y == 0 and nan for y < 0 (0 ** y is inf), as autograd and JAX do
        assert sct.grad(power_of_zero)(0.0) == 0.0
        assert np.isnan(sct.grad(power_of_zero)(-1.0))
        # d/dx x ** 0.5 at 0 is infinite: inf, not a chosen number
        assert sct.grad(power_sum)(np.array([0.0]), 0.5)[0] == np.inf


# ---------------------------------------------------------------- shape rules, given a cotangent that broadcasts
# A keepdims reduction hands back a cotangent of shape (1,) or (1, 1) for a larger array.


def expand_dims_keepdims(x):
    return np.sum(np.expand_dims(x, 0), keepdims=True)[0, 0]


def ravel_keepdims(x):
    return np.sum(np.ravel(x), keepdims=True)[0]


def ravel_f_keepdims(x):
    return np.sum(np.ravel(x, order="F"), keepdims=True)[0]


def ravel_k_keepdims(x):
    return np.sum(np.ravel(x.T, order="K"), keepdims=True)[0]


def flatten_keepdims(x):
    return np.sum(x.flatten(), keepdims=True)[0]


def ravel_method_keepdims(x):
    return np.sum(x.ravel(), keepdims=True)[0]


def squeeze_keepdims(x):
    return np.sum(np.squeeze(x), keepdims=True)[0]


def swapaxes_keepdims(x):
    return np.sum(np.swapaxes(x, 0, 1), keepdims=True)[0, 0]


def moveaxis_keepdims(x):
    return np.sum(np.moveaxis(x, 0, -1), keepdims=True)[0, 0]


def flip_keepdims(x):
    return np.sum(np.flip(x, 0), keepdims=True)[0, 0]


def flip_all_keepdims(x):
    return np.sum(np.flip(x), keepdims=True)[0, 0]


def max_of_ravel_keepdims(x):
    return np.max(np.ravel(x), keepdims=True)[0]


@pytest.mark.parametrize("f", [expand_dims_keepdims, ravel_keepdims, ravel_f_keepdims, ravel_k_keepdims,
                               flatten_keepdims, ravel_method_keepdims, swapaxes_keepdims, moveaxis_keepdims,
                               flip_keepdims, flip_all_keepdims, max_of_ravel_keepdims])
def test_shape_rules_take_a_broadcast_cotangent(f):
    assert_grad_matches_fd(f, (normal(2, 3),))


def test_squeeze_takes_a_broadcast_cotangent():
    assert_grad_matches_fd(squeeze_keepdims, (normal(1, 3),))


# ---------------------------------------------------------------- joining: one array, axis=None, dtype


def vstack_rows(x):
    v = np.vstack(x)
    return np.sum(v ** 2 * np.arange(float(v.size)).reshape(v.shape))


def hstack_rows(x):
    return np.sum(np.hstack(x) ** 2 * np.arange(float(np.size(x))))


def concatenate_rows(x):
    return np.sum(np.concatenate(x) ** 2 * np.arange(12.0).reshape(4, 3))


def stack_rows(x):
    return np.sum(np.stack(x) ** 2 * np.arange(6.0).reshape(2, 3))


def concatenate_flat(x, y):
    return np.sum(np.concatenate([x, y], axis=None) ** 2 * np.arange(9.0))


def concatenate_flat_tuple(x, y):
    return np.sum(np.concatenate((x, y), axis=None) * 1.0)


def concatenate_columns(x, y):
    return np.sum(np.concatenate([x, y], axis=1) ** 2)


def stack_int(x, y):
    return np.sum(np.stack([x, y], dtype=int, casting="unsafe") * 1.0)


def concatenate_int(x, y):
    return np.sum(np.concatenate([x, y], dtype=int, casting="unsafe") * 1.0)


def vstack_int(x, y):
    return np.sum(np.vstack([x, y], dtype=int, casting="unsafe") * 1.0)


def hstack_float(x, y):
    return np.sum(np.hstack([x, y], dtype=np.float64) ** 2)


@pytest.mark.parametrize("f, args", [
    (vstack_rows, (normal(2, 3),)), (vstack_rows, (normal(3),)), (vstack_rows, (normal(2, 2, 3),)),
    (hstack_rows, (normal(2, 3),)), (hstack_rows, (normal(3),)), (concatenate_rows, (normal(2, 2, 3),)),
    (stack_rows, (normal(2, 3),)), (concatenate_flat, (normal(2, 3), normal(3))),
    (concatenate_flat_tuple, (normal(2, 3), normal(3))), (concatenate_columns, (normal(2, 3), normal(2, 1))),
    (stack_int, (normal(3), normal(3))), (concatenate_int, (normal(3), normal(3))),
    (vstack_int, (normal(3), normal(3))), (hstack_float, (normal(3), normal(3))),
])
def test_joining(f, args):
    assert_grad_matches_fd(f, args, tuple(range(len(args))))


# ---------------------------------------------------------------- text read back as a number


def through_str(x):
    return float(str(x)) * 2.0


def through_fstring(x):
    return float(f"{x}") * 2.0


def through_repr_and_format(x):
    return float(repr(x)) + float(format(x, ".3f"))


def text_on_the_side(x):
    label = f"{x:.1f}"
    return x * 2.0 + len(label)


@pytest.mark.parametrize("f", [through_str, through_fstring, through_repr_and_format])
def test_text_read_back_as_a_number_is_refused(f):
    assert "text" in str(refusal(f, 0.3))


def test_text_that_does_not_reach_the_output_is_fine():
    assert_grad_matches_fd(text_on_the_side, (0.3,))


# ---------------------------------------------------------------- the non-differentiable registry, entry by entry


class Flat:
    """Samples of an entry: `fn(*args)` (any number, bool or array) is piecewise constant
    around `args`, so its finite-difference derivative w.r.t. each float argument is 0."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def check(self, name):
        def value(*args):
            return float(np.sum(np.asarray(self.fn(*args), dtype=np.float64)))
        for i, arg in enumerate(self.args):
            if isinstance(arg, float) or (isinstance(arg, np.ndarray) and arg.dtype.kind == "f"):
                g = numerical_grad(value, self.args, i)
                assert np.all(g == 0), f"{name} has a derivative w.r.t. argument {i} at {self.args}: {g}"


class NoFloats:
    """`fn` accepts no float argument (shapes, counts, bit patterns): it raises TypeError
    for one, so no derivative can flow through it."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def check(self, name):
        with pytest.raises(TypeError):
            self.fn(*self.args)


class ByDeclaration:
    """Held constant on purpose: the user asked for it (sct.stop_gradient)."""

    def __init__(self, why):
        self.why = why

    def check(self, name):
        assert self.why


X3 = np.array([0.3, -1.2, 2.6])
Y3 = np.array([0.5, -1.7, 2.1])
SORTED = np.array([-1.5, 0.2, 1.1, 3.3])


def _samples():
    """Entry of sct's non-differentiable registry -> its samples."""
    comparisons = {op: [Flat(op, 0.3, 0.7), Flat(op, X3, Y3)] for op in (
        operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
        np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)}
    bitwise = {op: [NoFloats(op, 0.5, 0.5), NoFloats(op, X3, Y3)] for op in (
        operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift)}
    rounding = {op: [Flat(op, X3)] for op in (np.sign, np.floor, np.ceil, np.rint, np.trunc, np.fix,
                                             np.isnan, np.isinf, np.isfinite, np.signbit, np.any, np.all,
                                             np.count_nonzero, np.argmax, np.argmin, np.argsort,
                                             np.flatnonzero, np.argwhere, np.zeros_like, np.ones_like)}
    return {
        **comparisons, **bitwise, **rounding,
        operator.is_: [Flat(operator.is_, 0.3, 0.7)], operator.is_not: [Flat(operator.is_not, 0.3, 0.7)],
        operator.not_: [Flat(operator.not_, 0.3)],
        operator.invert: [NoFloats(operator.invert, 0.5), NoFloats(np.invert, X3)],
        operator.floordiv: [Flat(operator.floordiv, 1.7, 0.4), Flat(operator.floordiv, X3, Y3)],
        np.floor_divide: [Flat(np.floor_divide, X3, Y3)],
        np.logical_and: [Flat(np.logical_and, X3, Y3)], np.logical_or: [Flat(np.logical_or, X3, Y3)],
        np.logical_xor: [Flat(np.logical_xor, X3, Y3)], np.logical_not: [Flat(np.logical_not, X3)],
        np.round: [Flat(np.round, X3), Flat(lambda x: np.round(x, 1), np.array([0.33, 1.71]))],
        np.isclose: [Flat(np.isclose, X3, Y3)], np.allclose: [Flat(np.allclose, X3, Y3)],
        np.array_equal: [Flat(np.array_equal, X3, Y3)],
        np.nonzero: [Flat(lambda x: np.nonzero(x)[0], X3)],
        np.searchsorted: [Flat(np.searchsorted, SORTED, Y3)],
        registry.attribute("shape"): [Flat(lambda x: x.shape, X3)],
        registry.attribute("ndim"): [Flat(lambda x: x.ndim, X3)],
        registry.attribute("size"): [Flat(lambda x: x.size, X3)],
        registry.attribute("dtype"): [Flat(lambda x: x.dtype.itemsize, X3)],
        np.shape: [Flat(np.shape, X3), Flat(np.shape, 0.3)], np.ndim: [Flat(np.ndim, X3)],
        np.size: [Flat(np.size, X3)], len: [Flat(len, X3)],
        int: [Flat(int, 2.7), Flat(int, -0.4)], bool: [Flat(bool, 0.3)],
        round: [Flat(round, 2.3), Flat(lambda x: round(x, 1), 2.33)],
        np.empty_like: [Flat(lambda x: np.empty_like(x).shape, X3)],
        isinstance: [Flat(lambda x: isinstance(x, float), 0.3)],
        range: [NoFloats(range, 2.5)],
        np.zeros: [NoFloats(np.zeros, 2.5)], np.ones: [NoFloats(np.ones, 2.5)],
        np.empty: [NoFloats(np.empty, 2.5)],
        np.eye: [NoFloats(np.eye, 2.5)], np.identity: [NoFloats(np.identity, 2.5)],
        np.tri: [Flat(np.tri, 2.5), Flat(lambda k: np.tri(3, 3, k), 0.5)],
        registry.method("argmax"): [Flat(lambda x: x.argmax(), X3)],
        registry.method("argmin"): [Flat(lambda x: x.argmin(), X3)],
        registry.method("argsort"): [Flat(lambda x: x.argsort(), X3)],
        registry.method("nonzero"): [Flat(lambda x: x.nonzero()[0], X3)],
        registry.method("all"): [Flat(lambda x: x.all(), X3)],
        registry.method("any"): [Flat(lambda x: x.any(), X3)],
        sct.stop_gradient: [ByDeclaration("the user holds its argument constant: that is what it is for")],
        # the indices sct reads max(xs) and sorted(xs) of a run-time list at: the item reads carry the derivative
        sct.runtime.extreme_index: [Flat(lambda x: sct.runtime.extreme_index(x, True), X3),
                                    Flat(lambda x: sct.runtime.extreme_index(list(x), False), X3)],
        sct.runtime.sorted_order: [Flat(lambda x: np.dot(sct.runtime.sorted_order(x), [1.0, 10.0, 100.0]), X3),
                                   Flat(lambda x: np.dot(sct.runtime.sorted_order(x, None, True), [1.0, 10.0, 100.0]),
                                        X3)],
    }


def _describe(key):
    """A stable name for a registry key: 'numpy.floor', '_operator.lt', 'method:argmax'."""
    if isinstance(key, tuple):
        return f"{key[0]}:{key[1]}"
    module = getattr(key, "__module__", None) or type(key).__module__
    name = getattr(key, "__qualname__", None) or getattr(key, "__name__", None) or repr(key)
    return f"{module}.{name}"


def _builtin_entries():
    """The names of the entries sct itself declares (a fresh interpreter: tests may
    register functions of their own)."""
    program = ("import sct\nfrom sct.rules.registry import _NONDIFFERENTIABLE\n" + inspect.getsource(_describe) +
               "print('\\n'.join(_describe(k) for k in _NONDIFFERENTIABLE))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_every_nondifferentiable_entry_has_zero_derivative():
    samples = {_describe(key): rows for key, rows in _samples().items()}
    entries = _builtin_entries()
    assert entries, "the registry is empty?"
    missing = [name for name in entries if name not in samples]
    assert not missing, (f"no sample arguments for {missing}: add rows to _samples() in {__file__} showing "
                         f"that each has zero derivative (or give it an adjoint rule instead)")
    stale = [name for name in samples if name not in entries]
    assert not stale, f"rows for entries that are no longer non-differentiable: {stale}"
    for name in entries:
        for row in samples[name]:
            row.check(name)


def test_registry_entries_are_what_sct_treats_as_constant():
    for key in _samples():
        assert registry.is_nondifferentiable(key), _describe(key)


def std_of_a_difference_with_itself(x):
    return np.std(x - x) + np.sum(x)


def norms_of_zero(W):
    return (np.linalg.norm(W - W) + np.sum(np.linalg.norm(W - W, axis=1)) + np.linalg.norm((W - W)[0], 3)
            + np.linalg.norm(W * 0.0, "fro") + np.linalg.norm((W - W)[0], np.inf) + np.sum(W))


def test_std_and_norms_at_their_kink_at_zero_have_the_subgradient_zero():
    W = np.array([[0.5, -1.0, 2.0], [0.3, 0.2, -0.7]])
    np.testing.assert_array_equal(sct.grad(std_of_a_difference_with_itself)(W[0]), np.ones(3))
    np.testing.assert_array_equal(sct.grad(norms_of_zero)(W), np.ones((2, 3)))
