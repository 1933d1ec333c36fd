"""Never a silent wrong gradient (issue 10, items 5-11 and the classes behind them).

Every gradient here is checked against float64 central finite differences, for the
shape-specialized and the shape-generic code (`assert_grad_matches_fd`). What sct
cannot differentiate it refuses with an SctError at the user's line. Where the
derivative does not exist at a point, sct follows autograd and JAX, and the tests
pin that down (the conventions are in docs/architecture.md, Rules).
"""
import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

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


def test_std_of_equal_entries_is_not_differentiable():
    # Like np.sqrt at 0 (and as autograd and JAX give): no gradient exists there.
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.all(np.isnan(sct.grad(std_all)(np.ones(3))))


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