"""Every built-in adjoint rule against float64 central finite differences, through
the public API `sct.grad`, over several shapes including broadcasting.

Most functions reduce their result with a weighted sum `np.sum(op(...) * w)` (w a
non-differentiated argument with random entries), so that a gradient with the right
shape but permuted or mis-broadcast entries is caught, which a plain `np.sum` would
miss. `assert_grad_matches_fd` (conftest.py) also checks each gradient's shape,
dtype and type and that the caller's arrays are left unchanged.
"""
import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st
import hypothesis.extra.numpy as hnp

import sct
from conftest import assert_grad_matches_fd, check_gradient_properties, numerical_grad

FLOAT = "float"  # shape spec meaning: a Python float argument


def make(spec, rng, low=-1.0, high=1.0):
    """A random argument: a Python float for FLOAT, else a float64 array of shape `spec`
    (a 0-d array for `()`)."""
    if spec == FLOAT:
        return float(rng.uniform(low, high))
    return np.asarray(rng.uniform(low, high, size=spec), dtype=np.float64)


def away_from_zero(spec, rng, low=0.3, high=1.5):
    """Random values with |v| in [low, high] and random signs."""
    value = make(spec, rng, low, high)
    sign = make(spec, rng, -1.0, 1.0)
    if spec == FLOAT:
        return value if sign >= 0 else -value
    return np.asarray(value * np.where(sign >= 0, 1.0, -1.0), dtype=np.float64)


def weights(rng, shape):
    """Weights for the output `np.sum(result * w)`: entries in [0.5, 1.5], distinct."""
    return np.asarray(rng.uniform(0.5, 1.5, size=shape), dtype=np.float64)


def out_shape(*specs):
    return np.broadcast_shapes(*[() if s == FLOAT else s for s in specs])


# ---------------------------------------------------------------- binary arithmetic


def f_add(x, y, w):
    return np.sum((x + y) * w)


def f_sub(x, y, w):
    return np.sum((x - y) * w)


def f_mul(x, y, w):
    return np.sum((x * y) * w)


def f_div(x, y, w):
    return np.sum((x / y) * w)


def f_np_add(x, y, w):
    return np.sum(np.add(x, y) * w)


def f_np_subtract(x, y, w):
    return np.sum(np.subtract(x, y) * w)


def f_np_multiply(x, y, w):
    return np.sum(np.multiply(x, y) * w)


def f_np_divide(x, y, w):
    return np.sum(np.divide(x, y) * w)


def f_np_true_divide(x, y, w):
    return np.sum(np.true_divide(x, y) * w)


BINARY = [f_add, f_sub, f_mul, f_div, f_np_add, f_np_subtract, f_np_multiply, f_np_divide,
          f_np_true_divide]
DIVISIONS = (f_div, f_np_divide, f_np_true_divide)

# (x shape, y shape, wrt): same shapes, broadcasting both ways, 0-d arrays, Python floats.
BINARY_SHAPES = [
    ((3, 4), (3, 4), (0, 1)),
    ((5,), (5,), ("x", "y")),
    ((), (), (0, 1)),
    ((3, 4), (4,), (0, 1)),
    ((4,), (3, 4), ("y", "x")),
    ((3, 1), (1, 4), (0, 1)),
    ((1, 4), (3, 1), (1, 0)),
    ((), (3, 4), (0, 1)),
    ((3, 4), (), (0, "y")),
    (FLOAT, (3, 4), (0, 1)),
    ((3, 4), FLOAT, ("x", 1)),
    (FLOAT, FLOAT, (0, 1)),
    ((2, 3, 4), (3, 1), (0, 1)),
    ((3, 1), (2, 3, 4), (0, 1)),
    ((2, 1, 4), (3, 1), (-3, -2)),
]


@pytest.mark.parametrize("f", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys,wrt", BINARY_SHAPES, ids=lambda v: str(v))
def test_binary_arithmetic(f, xs, ys, wrt):
    rng = np.random.default_rng(0)
    x = make(xs, rng)
    y = away_from_zero(ys, rng, 0.5, 2.0) if f in DIVISIONS else make(ys, rng)
    w = weights(rng, out_shape(xs, ys))
    assert_grad_matches_fd(f, (x, y, w), wrt)


def g_sum_add(x, y):
    return np.sum(x + y)


def g_sum_sub(x, y):
    return np.sum(x - y)


def g_mean_mul(x, y):
    return np.mean(x * y)


def g_sum_div(x, y):
    return np.sum(x / y)


def g_max_add(x, y):
    return np.max(x + y)


def g_sum_maximum(x, y):
    return np.sum(np.maximum(x, y))


def g_method_sum_add(x, y):
    return (x + y).sum()


def g_sum_pow(x, y):
    return np.sum(x ** y)


UNWEIGHTED = [g_sum_add, g_sum_sub, g_mean_mul, g_sum_div, g_max_add, g_sum_maximum, g_method_sum_add,
              g_sum_pow]


@pytest.mark.parametrize("f", UNWEIGHTED, ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys", [
    ((3, 4), (3, 4)),
    ((4,), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((), (3, 4)),
    ((3, 4), ()),
    (FLOAT, (2, 3)),
    ((2, 3), FLOAT),
    ((3, 1), (2, 3, 4)),
], ids=str)
def test_full_reduction_of_broadcast_result(f, xs, ys):
    """The cotangent of a broadcast result that is reduced right away is a scalar (1.0 or
    1/size); each operand must still receive the sum over the axes it was broadcast along."""
    rng = np.random.default_rng(40)
    x = make(xs, rng, 0.5, 2.0)
    y = make(ys, rng, 0.5, 2.0) if f in (g_sum_div, g_sum_pow) else make(ys, rng)
    assert_grad_matches_fd(f, (x, y), (0, 1))


def test_full_reduction_of_broadcast_exact():
    """d/dx sum(x + y) for x (4,), y (3, 4) is 3 everywhere; d/ds for a float s is y.size."""
    gx, gy = sct.grad(g_sum_add, wrt=(0, 1))(np.zeros(4), np.zeros((3, 4)))
    np.testing.assert_array_equal(gx, np.full(4, 3.0))
    np.testing.assert_array_equal(gy, np.ones((3, 4)))
    gs = sct.grad(g_sum_add, wrt=0)(2.0, np.zeros((2, 5)))
    assert type(gs) is float and gs == 10.0


@pytest.mark.parametrize("f", [f_add, f_mul], ids=lambda f: f.__name__)
def test_binary_single_wrt(f):
    """wrt a single index or name returns the bare gradient, not a tuple."""
    rng = np.random.default_rng(1)
    x, y, w = make((3, 4), rng), make((4,), rng), weights(rng, (3, 4))
    gx = assert_grad_matches_fd(f, (x, y, w), 0)
    gy = assert_grad_matches_fd(f, (x, y, w), "y")
    assert isinstance(gx, np.ndarray) and gx.shape == (3, 4)
    assert isinstance(gy, np.ndarray) and gy.shape == (4,)


def f_same_operand(x):
    return np.sum(x * x + x / (x + 3.0) - x)


def test_same_variable_used_twice_accumulates():
    x = np.array([0.5, -1.0, 2.0])
    g = assert_grad_matches_fd(f_same_operand, (x,), 0)
    np.testing.assert_allclose(g, 2 * x + 3.0 / (x + 3.0) ** 2 - 1.0, rtol=1e-12)


def f_constants(x, w):
    return np.sum((2.0 * x - 1.0 / x + x / 4.0 - 3.0 + (1.5 - x) * 0.5) * w)


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), FLOAT], ids=str)
def test_constant_operands(shape):
    rng = np.random.default_rng(2)
    x = away_from_zero(shape, rng, 0.5, 2.0)
    assert_grad_matches_fd(f_constants, (x, weights(rng, out_shape(shape))), 0)


def f_exact_mul(x, y):
    return np.sum(x * y)


def test_multiply_exact_values():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = np.array([10.0, 20.0, 30.0])
    gx, gy = sct.grad(f_exact_mul, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, np.broadcast_to(y, (2, 3)))
    np.testing.assert_array_equal(gy, [5.0, 7.0, 9.0])


# ---------------------------------------------------------------- power


def f_pow2(x, w):
    return np.sum(x ** 2 * w)


def f_pow3(x, w):
    return np.sum(x ** 3 * w)


def f_pow3_float(x, w):
    return np.sum(x ** 3.0 * w)


def f_pow_half(x, w):
    return np.sum(x ** 0.5 * w)


def f_pow_minus1(x, w):
    return np.sum(x ** -1 * w)


def f_pow1(x, w):
    return np.sum(x ** 1 * w)


def f_pow_minus_half(x, w):
    return np.sum(x ** -0.5 * w)


def f_np_power3(x, w):
    return np.sum(np.power(x, 3) * w)


POWERS = [f_pow2, f_pow3, f_pow3_float, f_pow_half, f_pow_minus1, f_pow1, f_pow_minus_half, f_np_power3]


@pytest.mark.parametrize("f", POWERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), FLOAT], ids=str)
def test_power_constant_exponent(f, shape):
    rng = np.random.default_rng(3)
    x = make(shape, rng, 0.5, 2.0)
    assert_grad_matches_fd(f, (x, weights(rng, out_shape(shape))), 0)


def f_pow_exact(x):
    return x ** 3


def test_power_exact_value():
    assert sct.grad(f_pow_exact)(2.0) == pytest.approx(12.0, rel=1e-15)


def f_pow_var(x, y, w):
    return np.sum(x ** y * w)


def f_np_power_var(x, y, w):
    return np.sum(np.power(x, y) * w)


@pytest.mark.parametrize("f", [f_pow_var, f_np_power_var], ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys,wrt", [
    ((3, 4), (3, 4), (0, 1)),
    ((3, 4), (4,), ("x", "y")),
    ((3, 1), (1, 4), (1, 0)),
    (FLOAT, (3,), (0, 1)),
    ((3,), FLOAT, (0, 1)),
    ((), (2, 3), (0, 1)),
    (FLOAT, FLOAT, (0, 1)),
], ids=str)
def test_power_variable_exponent(f, xs, ys, wrt):
    rng = np.random.default_rng(4)
    x = make(xs, rng, 0.5, 2.0)
    y = make(ys, rng, -1.5, 2.5)
    assert_grad_matches_fd(f, (x, y, weights(rng, out_shape(xs, ys))), wrt)


def f_const_base(y, w):
    return np.sum(2.0 ** y * w)


@pytest.mark.parametrize("shape", [(4,), FLOAT], ids=str)
def test_power_constant_base(shape):
    rng = np.random.default_rng(41)
    assert_grad_matches_fd(f_const_base, (make(shape, rng), weights(rng, out_shape(shape))), 0)


# ---------------------------------------------------------------- unary minus / plus


def f_neg(x, w):
    return np.sum(-x * w)


def f_np_negative(x, w):
    return np.sum(np.negative(x) * w)


def f_pos(x, w):
    return np.sum(+x * w)


def f_double_neg(x, w):
    return np.sum(-(-x * w))


@pytest.mark.parametrize("f", [f_neg, f_np_negative, f_pos, f_double_neg], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (4,), (3, 4), FLOAT], ids=str)
def test_unary_sign(f, shape):
    rng = np.random.default_rng(6)
    assert_grad_matches_fd(f, (make(shape, rng), weights(rng, out_shape(shape))), 0)


# ---------------------------------------------------------------- matmul / dot


def f_matmul_op(a, b, w):
    return np.sum((a @ b) * w)


def f_np_matmul(a, b, w):
    return np.sum(np.matmul(a, b) * w)


def f_np_dot(a, b, w):
    return np.sum(np.dot(a, b) * w)


def f_dot_method(a, b, w):
    return np.sum(a.dot(b) * w)


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((1, 4), (4, 1)),
]


@pytest.mark.parametrize("f", [f_matmul_op, f_np_matmul, f_np_dot, f_dot_method], ids=lambda f: f.__name__)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_and_dot(f, sa, sb):
    rng = np.random.default_rng(7)
    a, b = make(sa, rng), make(sb, rng)
    w = weights(rng, np.shape(np.matmul(a, b)))
    assert_grad_matches_fd(f, (a, b, w), (0, 1))


@pytest.mark.parametrize("f", [f_matmul_op, f_np_matmul], ids=lambda f: f.__name__)
@pytest.mark.parametrize("sa,sb", [
    ((4, 5), (2, 5, 3)),       # 2-D @ batched
    ((2, 3, 4), (2, 4, 5)),    # batched @ batched
    ((2, 3, 4), (1, 4, 5)),    # batch dimension broadcast
    ((1, 3, 4), (2, 4, 5)),
], ids=str)
def test_matmul_batched(f, sa, sb):
    rng = np.random.default_rng(8)
    a, b = make(sa, rng), make(sb, rng)
    w = weights(rng, np.shape(np.matmul(a, b)))
    assert_grad_matches_fd(f, (a, b, w), ("a", "b"))


@pytest.mark.parametrize("sa,sb", [((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((4,), (2, 2, 4, 3)),
                                   ((2, 2, 3, 4), (4,))], ids=str)
def test_matmul_vector_with_batched(sa, sb):
    rng = np.random.default_rng(9)
    a, b = make(sa, rng), make(sb, rng)
    w = weights(rng, np.shape(np.matmul(a, b)))
    assert_grad_matches_fd(f_matmul_op, (a, b, w), (0, 1))


def f_matmul_only_right(a, b):
    return np.sum(np.tanh(a @ b))


def test_matmul_wrt_one_side():
    rng = np.random.default_rng(10)
    a, b = make((3, 4), rng), make((4, 2), rng)
    assert_grad_matches_fd(f_matmul_only_right, (a, b), 1)
    assert_grad_matches_fd(f_matmul_only_right, (a, b), -2)


# ---------------------------------------------------------------- reductions


def f_sum_axis(x, w, axis, keepdims):
    return np.sum(np.sum(x, axis=axis, keepdims=keepdims) * w)


def f_mean_axis(x, w, axis, keepdims):
    return np.sum(np.mean(x, axis=axis, keepdims=keepdims) * w)


def f_max_axis(x, w, axis, keepdims):
    return np.sum(np.max(x, axis=axis, keepdims=keepdims) * w)


def f_min_axis(x, w, axis, keepdims):
    return np.sum(np.min(x, axis=axis, keepdims=keepdims) * w)


REDUCTIONS = {f_sum_axis: np.sum, f_mean_axis: np.mean, f_max_axis: np.max, f_min_axis: np.min}
AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0), (1,), (0, 1, 2)]


def distinct_values(shape, rng):
    """Values whose pairwise gaps are all >= 0.01 (no ties for max/min)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0, 0.01, n)).reshape(shape)


@pytest.mark.parametrize("f", list(REDUCTIONS), ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_axis_argument(f, axis, keepdims):
    rng = np.random.default_rng(11)
    x = distinct_values((2, 3, 4), rng)
    w = weights(rng, np.shape(REDUCTIONS[f](x, axis=axis, keepdims=keepdims)))
    assert_grad_matches_fd(f, (x, w, axis, keepdims), 0)


def r_sum_all(x):
    return np.sum(x)


def r_sum_axis1(x, w):
    return np.sum(np.sum(x, axis=1) * w)


def r_sum_positional_axis(x, w):
    return np.sum(np.sum(x, 0) * w)


def r_sum_neg_keepdims(x, w):
    return np.sum(np.sum(x, axis=-1, keepdims=True) * w)


def r_sum_tuple(x, w):
    return np.sum(np.sum(x, axis=(0, 2)) * w)


def r_mean_all(x):
    return np.mean(x)


def r_mean_axis0(x, w):
    return np.sum(np.mean(x, axis=0) * w)


def r_mean_tuple_keepdims(x, w):
    return np.sum(np.mean(x, axis=(-1, 0), keepdims=True) * w)


def r_max_all(x):
    return np.max(x)


def r_max_axis_neg(x, w):
    return np.sum(np.max(x, axis=-2) * w)


def r_amax_keepdims(x, w):
    return np.sum(np.amax(x, axis=2, keepdims=True) * w)


def r_min_all(x):
    return np.min(x) * 2.0


def r_min_tuple(x, w):
    return np.sum(np.min(x, axis=(1, 2)) * w)


def r_amin_axis(x, w):
    return np.sum(np.amin(x, axis=0) * w)


def r_chain_unweighted(x):
    return np.mean(np.max(x, axis=1)) + np.sum(np.min(x, axis=-1)) + np.max(np.sum(x, axis=0))


# methods


def m_sum(x):
    return x.sum()


def m_sum_axis(x, w):
    return np.sum(x.sum(axis=1) * w)


def m_sum_positional(x, w):
    return np.sum(x.sum(-1) * w)


def m_sum_tuple_keepdims(x, w):
    return np.sum(x.sum(axis=(0, -1), keepdims=True) * w)


def m_mean(x):
    return x.mean()


def m_mean_axis(x, w):
    return np.sum(x.mean(axis=-1) * w)


def m_mean_keepdims(x, w):
    return np.sum(x.mean(axis=0, keepdims=True) * w)


def m_max(x):
    return x.max()


def m_max_axis(x, w):
    return np.sum(x.max(axis=0) * w)


def m_max_tuple(x, w):
    return np.sum(x.max(axis=(1, 2)) * w)


def m_min(x):
    return x.min()


def m_min_axis(x, w):
    return np.sum(x.min(axis=2) * w)


def m_min_keepdims(x, w):
    return np.sum(x.min(axis=-2, keepdims=True) * w)


# function -> the reduction inside it (the shape of the weights), None when f takes x only
LITERAL_REDUCTIONS = {
    r_sum_all: None, r_sum_axis1: lambda x: np.sum(x, axis=1), r_sum_positional_axis: lambda x: np.sum(x, 0),
    r_sum_neg_keepdims: lambda x: np.sum(x, axis=-1, keepdims=True),
    r_sum_tuple: lambda x: np.sum(x, axis=(0, 2)), r_mean_all: None, r_mean_axis0: lambda x: np.mean(x, axis=0),
    r_mean_tuple_keepdims: lambda x: np.mean(x, axis=(-1, 0), keepdims=True), r_max_all: None,
    r_max_axis_neg: lambda x: np.max(x, axis=-2), r_amax_keepdims: lambda x: np.amax(x, axis=2, keepdims=True),
    r_min_all: None, r_min_tuple: lambda x: np.min(x, axis=(1, 2)), r_amin_axis: lambda x: np.amin(x, axis=0),
    r_chain_unweighted: None,
    m_sum: None, m_sum_axis: lambda x: x.sum(axis=1), m_sum_positional: lambda x: x.sum(-1),
    m_sum_tuple_keepdims: lambda x: x.sum(axis=(0, -1), keepdims=True), m_mean: None,
    m_mean_axis: lambda x: x.mean(axis=-1), m_mean_keepdims: lambda x: x.mean(axis=0, keepdims=True),
    m_max: None, m_max_axis: lambda x: x.max(axis=0), m_max_tuple: lambda x: x.max(axis=(1, 2)),
    m_min: None, m_min_axis: lambda x: x.min(axis=2), m_min_keepdims: lambda x: x.min(axis=-2, keepdims=True),
}


@pytest.mark.parametrize("f", list(LITERAL_REDUCTIONS), ids=lambda f: f.__name__)
def test_reductions_literal(f):
    rng = np.random.default_rng(12)
    x = distinct_values((2, 3, 4), rng)
    inner = LITERAL_REDUCTIONS[f]
    if inner is None:
        assert_grad_matches_fd(f, (x,), 0)
    else:
        assert_grad_matches_fd(f, (x, weights(rng, np.shape(inner(x)))), "x")


@pytest.mark.parametrize("shape", [(5,), (3, 4)], ids=str)
@pytest.mark.parametrize("f", [r_sum_all, r_mean_all, r_max_all, r_min_all, m_sum, m_mean, m_max, m_min],
                         ids=lambda f: f.__name__)
def test_full_reductions_other_ranks(f, shape):
    rng = np.random.default_rng(13)
    assert_grad_matches_fd(f, (distinct_values(shape, rng),), 0)


def test_mean_exact_values():
    g = sct.grad(r_mean_all)(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(g, np.full((2, 3), 1 / 6))


def test_max_exact_values():
    x = np.array([[1.0, 7.0, 3.0], [9.0, 2.0, 0.5]])
    np.testing.assert_array_equal(sct.grad(r_max_all)(x), [[0, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(sct.grad(r_min_all)(x), [[0, 0, 0], [0, 0, 2]])
    np.testing.assert_array_equal(sct.grad(m_max_axis)(x, np.array([1.0, 2.0, 3.0])),
                                  [[0, 2, 3], [1, 0, 0]])


def test_max_ties_split_evenly():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(sct.grad(r_max_all)(x), [0.0, 0.5, 0.5, 0.0])
    y = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 0.0]])
    np.testing.assert_array_equal(sct.grad(m_min_axis)(y[None], np.ones((1, 2))),
                                  [[[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]])


# ---------------------------------------------------------------- elementwise functions


def u_exp(x, w):
    return np.sum(np.exp(x) * w)


def u_log(x, w):
    return np.sum(np.log(x) * w)


def u_sin(x, w):
    return np.sum(np.sin(x) * w)


def u_cos(x, w):
    return np.sum(np.cos(x) * w)


def u_tanh(x, w):
    return np.sum(np.tanh(x) * w)


def u_sqrt(x, w):
    return np.sum(np.sqrt(x) * w)


def u_square(x, w):
    return np.sum(np.square(x) * w)


def u_abs(x, w):
    return np.sum(np.abs(x) * w)


def u_absolute(x, w):
    return np.sum(np.absolute(x) * w)


def u_builtin_abs(x, w):
    return np.sum(abs(x) * w)


# function -> (low, high, signed away from zero?)
UNARY = {
    u_exp: (-1.5, 1.5, False),
    u_log: (0.3, 3.0, False),
    u_sin: (-3.0, 3.0, False),
    u_cos: (-3.0, 3.0, False),
    u_tanh: (-2.0, 2.0, False),
    u_sqrt: (0.3, 3.0, False),
    u_square: (-2.0, 2.0, False),
    u_abs: (0.2, 2.0, True),
    u_absolute: (0.2, 2.0, True),
    u_builtin_abs: (0.2, 2.0, True),
}


@pytest.mark.parametrize("f", list(UNARY), ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 2), FLOAT], ids=str)
def test_elementwise_functions(f, shape):
    rng = np.random.default_rng(42)
    low, high, signed = UNARY[f]
    x = away_from_zero(shape, rng, low, high) if signed else make(shape, rng, low, high)
    assert_grad_matches_fd(f, (x, weights(rng, out_shape(shape))), 0)


def u_composed(x, b):
    return np.sum(np.tanh(np.exp(-x) * b + np.sqrt(np.square(x) + 1.0)) * np.log(np.abs(x) + 2.0)
                  + np.sin(x) * np.cos(b))


def test_elementwise_composition_with_broadcast():
    rng = np.random.default_rng(15)
    x, b = make((3, 4), rng), make((4,), rng)
    assert_grad_matches_fd(u_composed, (x, b), (0, 1))


# ---------------------------------------------------------------- maximum / minimum


def f_maximum(x, y, w):
    return np.sum(np.maximum(x, y) * w)


def f_minimum(x, y, w):
    return np.sum(np.minimum(x, y) * w)


@pytest.mark.parametrize("f", [f_maximum, f_minimum], ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys,wrt", [
    ((3, 4), (3, 4), (0, 1)),
    ((3, 4), (4,), ("x", "y")),
    ((3, 1), (1, 4), (1, 0)),
    ((), (3, 4), (0, 1)),
    (FLOAT, (5,), (0, 1)),
    ((2, 3, 4), (3, 1), (0, 1)),
    (FLOAT, FLOAT, (0, 1)),
], ids=str)
def test_maximum_minimum(f, xs, ys, wrt):
    rng = np.random.default_rng(16)
    x, y = make(xs, rng), make(ys, rng)
    assert np.min(np.abs(np.subtract(x, y))) > 1e-3  # away from ties
    assert_grad_matches_fd(f, (x, y, weights(rng, out_shape(xs, ys))), wrt)


def f_relu(x, w):
    return np.sum(np.maximum(0.0, x) * w)


def f_relu_right(x, w):
    return np.sum(np.maximum(x, 0.0) * w)


def f_clip_above(x, w):
    return np.sum(np.minimum(x, 0.5) * w)


@pytest.mark.parametrize("f", [f_relu, f_relu_right, f_clip_above], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (6,), (3, 4), FLOAT], ids=str)
def test_relu_pattern(f, shape):
    rng = np.random.default_rng(17)
    x = away_from_zero(shape, rng, 0.1, 1.5)
    assert np.min(np.abs(np.subtract(x, 0.5))) > 1e-3  # away from the kink of f_clip_above too
    assert_grad_matches_fd(f, (x, weights(rng, out_shape(shape))), 0)


def test_relu_exact_values():
    x = np.array([-2.0, -0.5, 0.5, 3.0])
    np.testing.assert_array_equal(sct.grad(f_relu)(x, np.ones(4)), [0.0, 0.0, 1.0, 1.0])


def f_maximum_plain(x, y):
    return np.maximum(x, y)


def f_minimum_sum(x, y):
    return np.sum(np.minimum(x, y))


def test_maximum_tie_splits_cotangent_evenly():
    """At x == y, d/dx maximum(x, y) = d/dy maximum(x, y) = 0.5 (documented convention)."""
    gx, gy = sct.grad(f_maximum_plain, wrt=(0, 1))(1.5, 1.5)
    assert type(gx) is float and type(gy) is float
    assert gx == 0.5 and gy == 0.5
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 0.0, 5.0])
    gx, gy = sct.grad(f_minimum_sum, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.0])


def test_relu_at_zero_is_half():
    np.testing.assert_array_equal(sct.grad(f_relu)(np.array([0.0, 1.0]), np.ones(2)), [0.5, 1.0])


# ---------------------------------------------------------------- transpose


def t_np_transpose(x, w):
    return np.sum(np.transpose(x) * w)


def t_np_transpose_axes(x, w):
    return np.sum(np.transpose(x, (1, 2, 0)) * w)


def t_np_transpose_axes_kw(x, w):
    return np.sum(np.transpose(x, axes=(2, 0, 1)) * w)


def t_attr_T(x, w):
    return np.sum(x.T * w)


def t_method(x, w):
    return np.sum(x.transpose() * w)


def t_method_tuple(x, w):
    return np.sum(x.transpose((1, 2, 0)) * w)


def t_method_varargs(x, w):
    return np.sum(x.transpose(2, 0, 1) * w)


def t_method_negative(x, w):
    return np.sum(x.transpose(0, -1, 1) * w)


def t_np_transpose_negative(x, w):
    return np.sum(np.transpose(x, (-1, 0, -2)) * w)


TRANSPOSE_ND = [t_np_transpose, t_np_transpose_axes, t_np_transpose_axes_kw, t_attr_T, t_method,
                t_method_tuple, t_method_varargs]

TRANSPOSE_OUTPUT = {
    t_np_transpose: lambda x: np.transpose(x),
    t_np_transpose_axes: lambda x: np.transpose(x, (1, 2, 0)),
    t_np_transpose_axes_kw: lambda x: np.transpose(x, (2, 0, 1)),
    t_attr_T: lambda x: x.T,
    t_method: lambda x: x.transpose(),
    t_method_tuple: lambda x: x.transpose((1, 2, 0)),
    t_method_varargs: lambda x: x.transpose(2, 0, 1),
    t_method_negative: lambda x: x.transpose(0, -1, 1),
    t_np_transpose_negative: lambda x: np.transpose(x, (-1, 0, -2)),
}


@pytest.mark.parametrize("f", list(TRANSPOSE_OUTPUT), ids=lambda f: f.__name__)
def test_transpose_3d(f):
    rng = np.random.default_rng(43)
    x = make((2, 3, 4), rng)
    w = weights(rng, TRANSPOSE_OUTPUT[f](x).shape)
    assert_grad_matches_fd(f, (x, w), 0)


@pytest.mark.parametrize("f", [t_np_transpose, t_attr_T, t_method], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3, 4), (5,)], ids=str)
def test_transpose_low_rank(f, shape):
    rng = np.random.default_rng(19)
    x = make(shape, rng)
    assert_grad_matches_fd(f, (x, weights(rng, shape[::-1])), 0)


def t_matrix_chain(a, b):
    return np.sum((a.T @ b).T * np.tanh(b.T @ a)) + np.sum(np.transpose(a @ a.T) * (b @ b.T))


def test_transpose_in_chain():
    rng = np.random.default_rng(20)
    assert_grad_matches_fd(t_matrix_chain, (make((3, 4), rng), make((3, 2), rng)), ("a", "b"))


# ---------------------------------------------------------------- reshape


def s_np_reshape(x, w):
    return np.sum(np.reshape(x, (4, 6)) * w)


def s_np_reshape_flat(x, w):
    return np.sum(np.reshape(x, (-1,)) * w)


def s_np_reshape_int(x, w):
    return np.sum(np.reshape(x, 24) * w)


def s_np_reshape_fortran(x, w):
    return np.sum(np.reshape(x, (4, 6), order="F") * w)


def s_method_tuple(x, w):
    return np.sum(x.reshape((6, 4)) * w)


def s_method_varargs(x, w):
    return np.sum(x.reshape(6, 4) * w)


def s_method_minus1(x, w):
    return np.sum(x.reshape(-1) * w)


def s_method_varargs_minus1(x, w):
    return np.sum(x.reshape(3, -1, 2) * w)


def s_method_fortran(x, w):
    return np.sum(x.reshape((2, 12), order="F") * w)


RESHAPES = {
    s_np_reshape: (4, 6), s_np_reshape_flat: (24,), s_np_reshape_int: (24,), s_np_reshape_fortran: (4, 6),
    s_method_tuple: (6, 4), s_method_varargs: (6, 4), s_method_minus1: (24,),
    s_method_varargs_minus1: (3, 4, 2), s_method_fortran: (2, 12),
}


@pytest.mark.parametrize("f", list(RESHAPES), ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(2, 3, 4), (24,)], ids=str)
def test_reshape(f, shape):
    rng = np.random.default_rng(21)
    x = make(shape, rng)
    assert_grad_matches_fd(f, (x, weights(rng, RESHAPES[f])), 0)


def s_reshape_roundtrip(x, y):
    return np.sum(np.tanh(x.reshape(3, 4) @ y).reshape(-1) * np.arange(6.0))


def test_reshape_in_chain():
    rng = np.random.default_rng(22)
    assert_grad_matches_fd(s_reshape_roundtrip, (make((12,), rng), make((4, 2), rng)), (0, 1))


# ---------------------------------------------------------------- subscripts


def i_first(x, w):
    return np.sum(x[0] * w)


def i_slice(x, w):
    return np.sum(x[1:3] * w)


def i_column(x, w):
    return np.sum(x[:, 0] * w)


def i_last(x, w):
    return np.sum(x[-1] * w)


def i_ellipsis(x, w):
    return np.sum(x[..., 1] * w)


def i_step(x, w):
    return np.sum(x[::2] * w)


def i_reverse(x, w):
    return np.sum(x[::-1] * w)


def i_element(x, w):
    return np.sum(x[1, 2] * w)


def i_block(x, w):
    return np.sum(x[1:3, 2:] * w)


def i_repeated_fancy(x, w):
    return np.sum(x[[0, 0, 2]] * w)


def i_newaxis(x, w):
    return np.sum(x[None, 1:] * w)


INDEXERS = {
    i_first: lambda x: x[0], i_slice: lambda x: x[1:3], i_column: lambda x: x[:, 0], i_last: lambda x: x[-1],
    i_ellipsis: lambda x: x[..., 1], i_step: lambda x: x[::2], i_reverse: lambda x: x[::-1],
    i_element: lambda x: x[1, 2], i_block: lambda x: x[1:3, 2:], i_repeated_fancy: lambda x: x[[0, 0, 2]],
    i_newaxis: lambda x: x[None, 1:],
}


@pytest.mark.parametrize("f", list(INDEXERS), ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(4, 5), (4, 3, 2)], ids=str)
def test_getitem_2d_3d(f, shape):
    rng = np.random.default_rng(23)
    x = make(shape, rng)
    assert_grad_matches_fd(f, (x, weights(rng, INDEXERS[f](x).shape)), 0)


@pytest.mark.parametrize("f", [i_first, i_slice, i_last, i_step, i_reverse, i_repeated_fancy, i_newaxis],
                         ids=lambda f: f.__name__)
def test_getitem_1d(f):
    rng = np.random.default_rng(24)
    x = make((5,), rng)
    assert_grad_matches_fd(f, (x, weights(rng, INDEXERS[f](x).shape)), 0)


def i_computed_slice(x, n):
    return np.sum(x[n:n + 2] ** 2) + np.sum(x[:n:1])


def test_getitem_with_a_slice_computed_at_run_time():
    # `slice` was bound to the builtins module in the generated code (a TypeError at the call)
    assert_grad_matches_fd(i_computed_slice, (np.arange(5.0), 1), 0)


def i_dynamic(x, i, w):
    return np.sum(x[i] * w) + x[i + 1, 0]


def test_getitem_runtime_index():
    rng = np.random.default_rng(25)
    x = make((4, 3), rng)
    assert_grad_matches_fd(i_dynamic, (x, 1, weights(rng, (3,))), 0)


def i_scalar_product(x):
    return x[0] * x[1] + x[2] ** 2


def test_getitem_exact_values():
    g = sct.grad(i_scalar_product)(np.array([2.0, 3.0, 5.0, 7.0]))
    np.testing.assert_array_equal(g, [3.0, 2.0, 10.0, 0.0])


def test_getitem_repeated_index_accumulates():
    g = sct.grad(i_repeated_fancy)(np.zeros(4), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(g, [3.0, 0.0, 4.0, 0.0])


def i_mask(x):
    return np.sum(x[x > 0] ** 2)


def test_getitem_boolean_mask():
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    assert_grad_matches_fd(i_mask, (x,), 0)
    np.testing.assert_array_equal(sct.grad(i_mask)(x), [[2.0, 0.0], [0.0, 8.0]])


# ---------------------------------------------------------------- Python floats, 0-d arrays, size-1 outputs


def p_floats(s, t):
    return s * t + s ** 2 / t - np.sin(s) * np.exp(t)


def test_python_float_arguments():
    g = assert_grad_matches_fd(p_floats, (0.7, 1.3), (0, 1))
    assert all(type(v) is float for v in g)
    s, t = 0.7, 1.3
    assert g[0] == pytest.approx(t + 2 * s / t - np.cos(s) * np.exp(t), rel=1e-12)
    assert g[1] == pytest.approx(s - s ** 2 / t ** 2 - np.sin(s) * np.exp(t), rel=1e-12)


def p_scale(s, x):
    return np.sum(s * x + np.tanh(x / s))


def test_python_float_times_array():
    rng = np.random.default_rng(26)
    x = make((3, 4), rng)
    gs = assert_grad_matches_fd(p_scale, (1.7, x), "s")
    assert type(gs) is float
    gs, gx = assert_grad_matches_fd(p_scale, (1.7, x), ("s", "x"))
    assert type(gs) is float and gx.shape == (3, 4)


def p_identity(s):
    return s


def p_square(s):
    return s * s


def test_python_float_trivial():
    g = sct.grad(p_identity)(2.5)
    assert type(g) is float and g == 1.0
    g = sct.grad(p_square)(2.5)
    assert type(g) is float and g == 5.0


def z_scalar(x):
    return x * x + np.sin(x) - 1.0 / x


def test_zero_dim_array():
    x = np.array(1.3)
    g = assert_grad_matches_fd(z_scalar, (x,), 0)
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64
    assert float(g) == pytest.approx(2 * 1.3 + np.cos(1.3) + 1 / 1.3 ** 2, rel=1e-12)


def z_mixed(x, y):
    return np.sum(x * y + x)


def test_zero_dim_with_array():
    rng = np.random.default_rng(27)
    x, y = np.array(0.4), make((3, 2), rng)
    gx, gy = assert_grad_matches_fd(z_mixed, (x, y), (0, 1))
    assert gx.shape == () and gy.shape == (3, 2)
    assert float(gx) == pytest.approx(np.sum(y) + 6.0, rel=1e-12)


def o_keepdims(x):
    return np.sum(x * x, keepdims=True)


def o_slice1(x):
    return np.tanh(x[1:2]) * 3.0


def o_outer(a, b):
    return a @ b


def o_reshape11(x):
    return np.exp(x).reshape(1, 1)


@pytest.mark.parametrize("f,args", [
    (o_keepdims, ((3, 4),)),       # output (1, 1)
    (o_keepdims, ((5,),)),         # output (1,)
    (o_slice1, ((4,),)),           # output (1,)
    (o_outer, ((1, 3), (3, 1))),   # output (1, 1)
    (o_reshape11, ((1,),)),        # output (1, 1)
], ids=["keepdims2d", "keepdims1d", "slice1", "matmul11", "reshape11"])
def test_size_one_outputs(f, args):
    rng = np.random.default_rng(28)
    values = tuple(make(s, rng) for s in args)
    wrt = tuple(range(len(values))) if len(values) > 1 else 0
    assert_grad_matches_fd(f, values, wrt)


# ---------------------------------------------------------------- broadcast wrt argument


def b_bias(x, b, w):
    return np.sum(np.tanh(x * b + b) * w)


@pytest.mark.parametrize("bshape", [(4,), (1, 4), (3, 1), (1, 1), (), FLOAT], ids=str)
def test_broadcast_wrt_argument(bshape):
    rng = np.random.default_rng(29)
    x, b = make((3, 4), rng), make(bshape, rng)
    g = assert_grad_matches_fd(b_bias, (x, b, weights(rng, (3, 4))), "b")
    if bshape == FLOAT:
        assert type(g) is float
    else:
        assert g.shape == bshape


def b_three_d(x, b):
    return np.sum(np.exp(x - b) / (1.0 + b * b))


def test_broadcast_wrt_3d():
    rng = np.random.default_rng(30)
    assert_grad_matches_fd(b_three_d, (make((2, 3, 4), rng), make((3, 1), rng)), (1, 0))


# ---------------------------------------------------------------- API properties


def a_unused(x, y):
    return np.sum(x * 2.0)


def test_gradient_of_unused_argument_is_zero():
    x, y = np.ones((2, 3)), np.ones(4)
    gx, gy = sct.grad(a_unused, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, np.full((2, 3), 2.0))
    assert gy.shape == (4,) and gy.dtype == np.float64 and not gy.any()
    assert type(sct.grad(a_unused, wrt=1)(x, 3.0)) is float


def a_sum_of_args(x, y):
    return np.sum(x + y)


def a_weighted_sum_of_args(x, y, w):
    return np.sum((x + y) * w)


def a_copy_chain(x, y):
    return np.sum(np.reshape(x, (6,)) + np.reshape(y, (6,)))


@pytest.mark.parametrize("f", [a_sum_of_args, a_copy_chain], ids=lambda f: f.__name__)
def test_gradients_are_distinct_objects(f):
    x, y = np.ones((2, 3)), np.ones((2, 3))
    gx, gy = sct.grad(f, wrt=(0, 1))(x, y)
    check_gradient_properties([gx, gy], (x, y), (0, 1), distinct=True)
    np.testing.assert_array_equal(gx, np.ones((2, 3)))
    np.testing.assert_array_equal(gy, np.ones((2, 3)))


@pytest.mark.parametrize("f", [a_sum_of_args, a_copy_chain, r_sum_all, f_exact_mul], ids=lambda f: f.__name__)
def test_gradients_are_writable(f):
    """Returned gradients are ordinary writable arrays (callers update them in place)."""
    x, y = np.ones((2, 3)), np.full((2, 3), 2.0)
    args = (x,) if f is r_sum_all else (x, y)
    grads = sct.grad(f, wrt=tuple(range(len(args))))(*args)
    for g in grads:
        assert isinstance(g, np.ndarray) and g.shape == (2, 3)
        assert g.flags.writeable
        g *= 2.0  # must not raise
    if len(grads) == 2:
        grads[0][0, 0] = 100.0
        assert grads[1][0, 0] != 100.0


def test_gradients_are_distinct_objects_shared_cotangent():
    """d(x + y) sends the same cotangent to x and y; the two returned gradients must still be
    different arrays (a caller updating one in place must not change the other)."""
    x, y, w = np.ones(3), np.full(3, 2.0), np.array([1.0, 2.0, 3.0])
    gx, gy = sct.grad(a_weighted_sum_of_args, wrt=(0, 1))(x, y, w)
    np.testing.assert_array_equal(gx, w)
    np.testing.assert_array_equal(gy, w)
    assert gx is not gy
    assert not np.shares_memory(gx, gy)
    assert not np.shares_memory(gx, w) and not np.shares_memory(gy, w)


def a_mul_by_w(x, w):
    return np.sum(x * w)


def test_gradient_does_not_alias_arguments():
    x, w = np.ones(3), np.array([1.0, 2.0, 3.0])
    g = sct.grad(a_mul_by_w)(x, w)
    np.testing.assert_array_equal(g, w)
    assert g is not w and not np.shares_memory(g, w)
    g[:] = 0.0
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])


def a_many_ops(x, y, w):
    z = x[0] * y.T
    return np.sum(np.maximum(z, 0.1) * w) + np.max(x) + np.mean(y.reshape(-1) ** 2)


def test_caller_arrays_unchanged_and_gradients_writable():
    rng = np.random.default_rng(31)
    x, y = make((2, 3), rng), make((3, 3), rng)
    w = weights(rng, (3, 3))
    copies = [a.copy() for a in (x, y, w)]
    gx, gy = sct.grad(a_many_ops, wrt=("x", "y"))(x, y, w)
    for a, c in zip((x, y, w), copies):
        np.testing.assert_array_equal(a, c)
    assert gx.flags.writeable and gy.flags.writeable
    np.testing.assert_allclose(gx, numerical_grad(a_many_ops, (x, y, w), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, numerical_grad(a_many_ops, (x, y, w), 1), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- property-based: broadcasting


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       f=st.sampled_from([f_add, f_sub, f_mul, f_div]), seed=st.integers(0, 2 ** 16))
def test_random_broadcast_shapes(shapes, f, seed):
    rng = np.random.default_rng(seed)
    xs, ys = shapes.input_shapes
    x = make(xs, rng)
    y = away_from_zero(ys, rng, 0.5, 2.0) if f is f_div else make(ys, rng)
    assert_grad_matches_fd(f, (x, y, weights(rng, shapes.result_shape)), (0, 1))
