"""The adjoint rules for the less common NumPy functions and methods (the second part
of sct/rules/numpy_rules.py) against float64 central finite differences, through
`sct.grad`, for the shape-specialized and the shape-generic code
(`assert_grad_matches_fd`).

As in test_rules.py, most functions reduce their result with a weighted sum
`np.sum(op(...) * w)` (w random, not differentiated), so that a gradient whose
entries are permuted or mis-broadcast cannot pass; a few reduce with a plain
`np.sum`, which hands the rule a scalar cotangent standing for the whole result.
Inputs stay inside each function's domain and away from kinks, except in the tests
that pin down the tie conventions.
"""
import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

FLOAT = "float"  # shape spec meaning: a Python float argument


def make(spec, rng, low=-1.0, high=1.0):
    if spec == FLOAT:
        return float(rng.uniform(low, high))
    return np.asarray(rng.uniform(low, high, size=spec), dtype=np.float64)


def weights(rng, shape):
    return np.asarray(rng.uniform(0.5, 1.5, size=shape), dtype=np.float64)


def out_shape(*specs):
    return np.broadcast_shapes(*[() if s == FLOAT else s for s in specs])


# ---------------------------------------------------------------- unary elementwise


def u_log1p(x, w):
    return np.sum(np.log1p(x) * w)


def u_expm1(x, w):
    return np.sum(np.expm1(x) * w)


def u_log2(x, w):
    return np.sum(np.log2(x) * w)


def u_log10(x, w):
    return np.sum(np.log10(x) * w)


def u_exp2(x, w):
    return np.sum(np.exp2(x) * w)


def u_tan(x, w):
    return np.sum(np.tan(x) * w)


def u_arcsin(x, w):
    return np.sum(np.arcsin(x) * w)


def u_arccos(x, w):
    return np.sum(np.arccos(x) * w)


def u_arctan(x, w):
    return np.sum(np.arctan(x) * w)


def u_sinh(x, w):
    return np.sum(np.sinh(x) * w)


def u_cosh(x, w):
    return np.sum(np.cosh(x) * w)


def u_arcsinh(x, w):
    return np.sum(np.arcsinh(x) * w)


def u_arccosh(x, w):
    return np.sum(np.arccosh(x) * w)


def u_arctanh(x, w):
    return np.sum(np.arctanh(x) * w)


def u_reciprocal(x, w):
    return np.sum(np.reciprocal(x) * w)


def u_cbrt(x, w):
    return np.sum(np.cbrt(x) * w)


def u_deg2rad(x, w):
    return np.sum(np.deg2rad(x) * w)


def u_radians(x, w):
    return np.sum(np.radians(x) * w)


def u_rad2deg(x, w):
    return np.sum(np.rad2deg(x) * w)


def u_degrees(x, w):
    return np.sum(np.degrees(x) * w)


def u_fabs(x, w):
    return np.sum(np.fabs(x) * w)


# function -> (low, high, random signs with |x| in [low, high]?)
UNARY = {
    u_log1p: (-0.5, 2.0, False), u_expm1: (-1.5, 1.5, False), u_log2: (0.3, 3.0, False),
    u_log10: (0.3, 3.0, False), u_exp2: (-1.5, 1.5, False), u_tan: (-1.2, 1.2, False),
    u_arcsin: (-0.9, 0.9, False), u_arccos: (-0.9, 0.9, False), u_arctan: (-3.0, 3.0, False),
    u_sinh: (-2.0, 2.0, False), u_cosh: (-2.0, 2.0, False), u_arcsinh: (-3.0, 3.0, False),
    u_arccosh: (1.2, 3.0, False), u_arctanh: (-0.9, 0.9, False), u_reciprocal: (0.4, 2.0, True),
    u_cbrt: (0.3, 2.0, True), u_deg2rad: (-90.0, 90.0, False), u_radians: (-90.0, 90.0, False),
    u_rad2deg: (-2.0, 2.0, False), u_degrees: (-2.0, 2.0, False), u_fabs: (0.2, 2.0, True),
}


@pytest.mark.parametrize("f", list(UNARY), ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), FLOAT], ids=str)
def test_unary_elementwise(f, shape):
    rng = np.random.default_rng(100)
    low, high, signed = UNARY[f]
    x = make(shape, rng, low, high)
    if signed:
        x = x * (1.0 if rng.uniform() < 0.5 else -1.0) if shape == FLOAT else \
            x * np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    assert_grad_matches_fd(f, (x, weights(rng, out_shape(shape))), 0)


def u_chain(x):
    return np.sum(np.log1p(np.exp2(x)) + np.arctan(np.sinh(x)) * np.cbrt(np.cosh(x)))


def test_unary_chain_unweighted():
    rng = np.random.default_rng(101)
    assert_grad_matches_fd(u_chain, (make((2, 3, 2), rng),), 0)


def u_exact(x):
    return np.log2(x) + np.log10(x) + np.tan(x) + np.reciprocal(x)


def test_unary_exact_values():
    x = 0.7
    g = sct.grad(u_exact)(x)
    expected = 1 / (x * np.log(2)) + 1 / (x * np.log(10)) + 1 / np.cos(x) ** 2 - 1 / x ** 2
    assert type(g) is float and g == pytest.approx(expected, rel=1e-13)


# ---------------------------------------------------------------- binary elementwise


def b_hypot(x, y, w):
    return np.sum(np.hypot(x, y) * w)


def b_arctan2(x, y, w):
    return np.sum(np.arctan2(x, y) * w)


def b_logaddexp(x, y, w):
    return np.sum(np.logaddexp(x, y) * w)


def b_logaddexp2(x, y, w):
    return np.sum(np.logaddexp2(x, y) * w)


def b_float_power(x, y, w):
    return np.sum(np.float_power(x, y) * w)


def b_float_power_const(x, w):
    return np.sum(np.float_power(x, 3) * w)


BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    (FLOAT, (3,)),
    ((3,), FLOAT),
    (FLOAT, FLOAT),
    ((2, 3, 4), (3, 1)),
]


@pytest.mark.parametrize("f", [b_hypot, b_arctan2, b_logaddexp, b_logaddexp2, b_float_power],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys", BINARY_SHAPES, ids=str)
def test_binary_elementwise(f, xs, ys):
    rng = np.random.default_rng(102)
    if f is b_float_power:
        x, y = make(xs, rng, 0.5, 2.0), make(ys, rng, -1.5, 2.5)
    else:
        x, y = make(xs, rng, 0.3, 2.0), make(ys, rng, -2.0, 2.0)
    assert_grad_matches_fd(f, (x, y, weights(rng, out_shape(xs, ys))), (0, 1))


def b_hypot_sum(x, y):
    return np.sum(np.hypot(x, y))


def b_logaddexp_sum(x, y):
    return np.sum(np.logaddexp(x, y))


@pytest.mark.parametrize("f", [b_hypot_sum, b_logaddexp_sum], ids=lambda f: f.__name__)
@pytest.mark.parametrize("xs,ys", [((4,), (3, 4)), ((3, 1), (1, 4)), (FLOAT, (2, 3))], ids=str)
def test_binary_scalar_cotangent(f, xs, ys):
    """A full reduction right after a broadcasting op: the smaller operand's gradient sums
    over the copies."""
    rng = np.random.default_rng(103)
    assert_grad_matches_fd(f, (make(xs, rng, 0.3, 2.0), make(ys, rng, 0.3, 2.0)), (0, 1))


@pytest.mark.parametrize("shape", [(4,), FLOAT], ids=str)
def test_float_power_constant_exponent(shape):
    rng = np.random.default_rng(104)
    x = make(shape, rng, 0.5, 2.0)
    assert_grad_matches_fd(b_float_power_const, (x, weights(rng, out_shape(shape))), 0)


def test_arctan2_exact_values():
    gy, gx = sct.grad(b_arctan2, wrt=(0, 1))(1.0, 2.0, 1.0)
    assert gy == pytest.approx(2.0 / 5.0, rel=1e-14) and gx == pytest.approx(-1.0 / 5.0, rel=1e-14)


# ---------------------------------------------------------------- clip


def c_const(x, w):
    return np.sum(np.clip(x, -0.5, 0.5) * w)


def c_keywords(x, w):
    return np.sum(np.clip(x, a_min=-0.5, a_max=0.5) * w)


def c_lower_only(x, w):
    return np.sum(np.clip(x, 0.0, None) * w)


def c_upper_only(x, w):
    return np.sum(np.clip(x, None, 0.25) * w)


def c_method(x, w):
    return np.sum(x.clip(-0.5, 0.5) * w)


def c_method_min_keyword(x, w):
    return np.sum(x.clip(min=-0.25) * w)


def c_method_max_keyword(x, w):
    return np.sum(x.clip(max=0.3) * w)


def c_reversed_bounds(x, w):
    return np.sum(np.clip(x, 0.5, -0.5) * w)  # lo > hi: hi everywhere


CLIP_CONST = [c_const, c_keywords, c_lower_only, c_upper_only, c_method, c_method_min_keyword,
              c_method_max_keyword, c_reversed_bounds]


def away_from(x, points, gap=0.02):
    """x with every entry at least `gap` away from each of `points`."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        x = np.where(np.abs(x - p) < gap, p + gap * 2, x)
    return x


@pytest.mark.parametrize("f", CLIP_CONST, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)], ids=str)
def test_clip_constant_bounds(f, shape):
    rng = np.random.default_rng(105)
    x = away_from(make(shape, rng), (-0.5, -0.25, 0.0, 0.25, 0.3, 0.5))
    assert_grad_matches_fd(f, (x, weights(rng, np.shape(x))), 0)


def c_array_bounds(x, lo, hi, w):
    return np.sum(np.clip(x, lo, hi) * w)


def c_method_array_bounds(x, lo, hi, w):
    return np.sum(x.clip(lo, hi) * w)


CLIP_BOUND_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 4), (4,), (3, 1)),
    ((4,), (3, 4), ()),
    ((3, 4), FLOAT, FLOAT),
    (FLOAT, (5,), (5,)),
]


@pytest.mark.parametrize("f,xs,ls,hs", [(c_array_bounds,) + s for s in CLIP_BOUND_SHAPES]
                         + [(c_method_array_bounds,) + s for s in CLIP_BOUND_SHAPES if s[0] != FLOAT],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_clip_variable_bounds(f, xs, ls, hs):
    """The cotangent goes to x between the bounds and to the bound that clipped it elsewhere."""
    rng = np.random.default_rng(106)
    x, lo, hi = make(xs, rng, -1.5, 1.5), make(ls, rng, -1.0, -0.1), make(hs, rng, 0.1, 1.0)
    gaps = np.concatenate([np.ravel(np.subtract(x, lo)), np.ravel(np.subtract(x, hi))])
    assert np.min(np.abs(gaps)) > 1e-3
    w = weights(rng, out_shape(xs, ls, hs))
    assert_grad_matches_fd(f, (x, lo, hi, w), (0, 1, 2))


def c_plain(x, lo, hi):
    return np.clip(x, lo, hi)


@pytest.mark.parametrize("f", [c_array_bounds, c_method_array_bounds], ids=lambda f: f.__name__)
def test_clip_bound_none_at_run_time(f):
    """A bound passed in as None (so unknown when the code is generated) means no bound."""
    rng = np.random.default_rng(125)
    x, lo, w = make((3, 4), rng, -1.5, 1.5), make((4,), rng, -1.0, -0.1), weights(rng, (3, 4))
    assert_grad_matches_fd(f, (x, lo, None, w), (0, 1))
    assert_grad_matches_fd(f, (x, None, -lo, w), (0, 2))
    np.testing.assert_array_equal(sct.grad(f)(x, None, None, w), w)


def test_clip_ties_split_evenly():
    """At x == lo or x == hi the cotangent is split evenly between x and that bound (np.clip is
    np.minimum(np.maximum(x, lo), hi), and sct splits ties of maximum/minimum evenly)."""
    for x, expected in [(0.0, (0.5, 0.5, 0.0)), (1.0, (0.5, 0.0, 0.5)), (0.5, (1.0, 0.0, 0.0)),
                        (-1.0, (0.0, 1.0, 0.0)), (2.0, (0.0, 0.0, 1.0))]:
        assert sct.grad(c_plain, wrt=(0, 1, 2))(x, 0.0, 1.0) == expected
    x = np.array([-0.5, -0.5, 0.0, 0.5, 0.5, 0.7])
    gx = sct.grad(c_const)(x, np.ones(6))
    np.testing.assert_array_equal(gx, [0.5, 0.5, 1.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(sct.grad(c_lower_only)(np.array([-1.0, 0.0, 1.0]), np.ones(3)),
                                  [0.0, 0.5, 1.0])


# ---------------------------------------------------------------- where


def w_where(c, x, y, w):
    return np.sum(np.where(c, x, y) * w)


def w_where_sum(c, x, y):
    return np.sum(np.where(c, x, y))


def w_where_comparison(x, y, w):
    return np.sum(np.where(x > y, x * y, np.sin(y)) * w)


WHERE_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((4,), (3, 4), (3, 4)),
    ((3, 4), (4,), (3, 1)),
    ((4,), (4,), (3, 4)),
    ((3, 1), FLOAT, (1, 4)),
    ((), (3,), FLOAT),
    ((2, 3, 4), (3, 4), ()),
]


@pytest.mark.parametrize("f", [w_where, w_where_sum], ids=lambda f: f.__name__)
@pytest.mark.parametrize("cs,xs,ys", WHERE_SHAPES, ids=str)
def test_where(f, cs, xs, ys):
    rng = np.random.default_rng(107)
    c = np.asarray(rng.uniform(size=cs) < 0.5) if cs != () else np.asarray(True)
    x, y = make(xs, rng), make(ys, rng)
    args = (c, x, y, weights(rng, out_shape(cs, xs, ys))) if f is w_where else (c, x, y)
    assert_grad_matches_fd(f, args, (1, 2))


def test_where_exact_values():
    c = np.array([True, False, True])
    gx, gy = sct.grad(w_where_sum, wrt=(1, 2))(c, np.zeros(3), np.zeros((2, 3)))
    np.testing.assert_array_equal(gx, [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(gy, [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])


def test_where_with_comparison():
    rng = np.random.default_rng(108)
    x, y = make((3, 4), rng), make((4,), rng)
    assert_grad_matches_fd(w_where_comparison, (x, y, weights(rng, (3, 4))), (0, 1))


# ---------------------------------------------------------------- prod


def p_prod(x, w, axis, keepdims):
    return np.sum(np.prod(x, axis=axis, keepdims=keepdims) * w)


def p_prod_method(x, w, axis, keepdims):
    return np.sum(x.prod(axis=axis, keepdims=keepdims) * w)


def p_prod_all(x):
    return np.prod(x)


def p_prod_method_all(x):
    return x.prod() * 2.0


def p_prod_positional(x, w):
    return np.sum(np.prod(x, 1) * w)


def p_prod_sum(x):
    return np.sum(np.prod(x, axis=0))


AXES = [None, 0, 1, -1, (0, 2), (2, 0, 1)]


@pytest.mark.parametrize("f", [p_prod, p_prod_method], ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_prod(f, axis, keepdims):
    rng = np.random.default_rng(109)
    x = make((2, 3, 4), rng, 0.5, 1.5)
    w = weights(rng, np.shape(np.prod(x, axis=axis, keepdims=keepdims)))
    assert_grad_matches_fd(f, (x, w, axis, keepdims), 0)


@pytest.mark.parametrize("zeros", [0, 1, 2], ids=lambda n: f"{n}zeros")
@pytest.mark.parametrize("f", [p_prod_all, p_prod_method_all, p_prod_positional, p_prod_sum],
                         ids=lambda f: f.__name__)
def test_prod_with_zeros(f, zeros):
    """Entries equal to zero get the product of the others (not nan from 0 / 0)."""
    rng = np.random.default_rng(110)
    x = make((3, 4), rng, 0.5, 1.5) * np.where(rng.uniform(size=(3, 4)) < 0.5, -1.0, 1.0)
    x.flat[[5, 6][:zeros]] = 0.0  # both in row 1, different columns
    args = (x, weights(rng, (3,))) if f is p_prod_positional else (x,)
    g = assert_grad_matches_fd(f, args, 0)
    assert np.all(np.isfinite(g))


def test_prod_exact_values():
    x = np.array([2.0, 0.0, 3.0, 5.0])
    np.testing.assert_array_equal(sct.grad(p_prod_all)(x), [0.0, 30.0, 0.0, 0.0])
    np.testing.assert_array_equal(sct.grad(p_prod_all)(np.array([2.0, 3.0, 4.0])), [12.0, 8.0, 6.0])
    np.testing.assert_array_equal(sct.grad(p_prod_all)(np.array([0.0, 3.0, 0.0])), [0.0, 0.0, 0.0])


def test_prod_underflow():
    """The product underflows to 0 though no entry is 0: the gradient is still exact."""
    x = np.array([1e-200, 1e-200, 4.0])
    g = sct.grad(p_prod_all)(x)
    np.testing.assert_allclose(g, [4e-200, 4e-200, 0.0], rtol=1e-12, atol=0)
    assert g[2] == 0.0  # 1e-400 underflows in the exact answer too


# ---------------------------------------------------------------- var / std


def v_var(x, w, axis, keepdims, ddof):
    return np.sum(np.var(x, axis=axis, ddof=ddof, keepdims=keepdims) * w)


def v_std(x, w, axis, keepdims, ddof):
    return np.sum(np.std(x, axis=axis, ddof=ddof, keepdims=keepdims) * w)


def v_var_method(x, w, axis, keepdims, ddof):
    return np.sum(x.var(axis=axis, ddof=ddof, keepdims=keepdims) * w)


def v_std_method(x, w, axis, keepdims, ddof):
    return np.sum(x.std(axis=axis, ddof=ddof, keepdims=keepdims) * w)


VAR_REFERENCE = {v_var: np.var, v_std: np.std, v_var_method: np.var, v_std_method: np.std}


@pytest.mark.parametrize("f", list(VAR_REFERENCE), ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_std(f, axis, keepdims, ddof):
    rng = np.random.default_rng(111)
    x = make((2, 3, 4), rng)
    w = weights(rng, np.shape(VAR_REFERENCE[f](x, axis=axis, keepdims=keepdims)))
    assert_grad_matches_fd(f, (x, w, axis, keepdims, ddof), 0)


def v_var_all(x):
    return np.var(x)


def v_std_all(x):
    return np.std(x)


def v_var_literal(x, w):
    return np.sum(np.var(x, 0) * w)


def v_std_literal_ddof(x, w):
    return np.sum(x.std(axis=1, ddof=1) * w)


def v_var_keepdims(x):
    return np.sum(x / np.var(x, axis=-1, keepdims=True))


def v_std_keepdims(x):
    return np.sum((x - np.mean(x, axis=0, keepdims=True)) / x.std(axis=0, keepdims=True))


def v_var_sum(x):
    return np.sum(np.var(x, axis=1)) + np.sum(x.std(axis=0))


@pytest.mark.parametrize("f,shape", [
    (v_var_all, (6,)), (v_var_all, (3, 4)), (v_std_all, (6,)), (v_std_all, (3, 4)),
    (v_var_literal, (6,)), (v_var_literal, (3, 4)), (v_std_literal_ddof, (3, 4)), (v_var_sum, (3, 4)),
    (v_var_keepdims, (6,)), (v_var_keepdims, (3, 4)), (v_std_keepdims, (6,)), (v_std_keepdims, (3, 4)),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_var_std_literal(f, shape):
    """Axis and keepdims written as literals: the rules' static branches."""
    rng = np.random.default_rng(112)
    x = make(shape, rng)
    if f is v_var_literal:
        args = (x, weights(rng, np.shape(np.var(x, 0))))
    elif f is v_std_literal_ddof:
        args = (x, weights(rng, (shape[0],)))
    else:
        args = (x,)
    assert_grad_matches_fd(f, args, 0)


def test_var_exact_values():
    x = np.array([1.0, 2.0, 6.0])  # mean 3
    np.testing.assert_allclose(sct.grad(v_var_all)(x), 2.0 / 3.0 * (x - 3.0), rtol=1e-14)
    np.testing.assert_allclose(sct.grad(v_std_all)(x), (x - 3.0) / (3.0 * np.std(x)), rtol=1e-14)


# ---------------------------------------------------------------- np.linalg.norm


def n_norm(x, w, ord, axis, keepdims):
    return np.sum(np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims) * w)


NORM_CASES = [
    # (shape, ord, axis)
    ((5,), None, None), ((5,), 2, None), ((5,), 1, None), ((5,), np.inf, None), ((5,), -np.inf, None),
    ((5,), 3, None), ((5,), 0.5, None), ((5,), -2, None), ((5,), 0, None),
    ((3, 4), None, None), ((3, 4), "fro", None), ((2, 3, 4), None, None),
    ((3, 4), None, 1), ((3, 4), 2, 0), ((3, 4), 1, -1), ((3, 4), np.inf, 1), ((3, 4), 3, 0),
    ((2, 3, 4), None, (0, 2)), ((2, 3, 4), "fro", (2, 1)), ((3, 4), None, (1,)),
]


@pytest.mark.parametrize("shape,ord,axis", NORM_CASES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm(shape, ord, axis, keepdims):
    rng = np.random.default_rng(113)
    x = make(shape, rng, 0.3, 1.5) * np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    w = weights(rng, np.shape(np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)))
    assert_grad_matches_fd(n_norm, (x, w, ord, axis, keepdims), 0)


def n_default(x):
    return np.linalg.norm(x)


def n_axis(x, w):
    return np.sum(np.linalg.norm(x, axis=1) * w)


def n_axis_keepdims(x):
    return np.sum(x / np.linalg.norm(x, axis=-1, keepdims=True))


def n_ord2(x):
    return np.linalg.norm(x, 2)


@pytest.mark.parametrize("f,shape", [(n_default, (4,)), (n_default, (3, 4)), (n_axis, (3, 4)),
                                     (n_axis_keepdims, (3, 4)), (n_ord2, (4,))], ids=str)
def test_norm_literal(f, shape):
    rng = np.random.default_rng(114)
    x = make(shape, rng)
    args = (x, weights(rng, (3,))) if f is n_axis else (x,)
    assert_grad_matches_fd(f, args, 0)


def test_norm_exact_values():
    x = np.array([3.0, -4.0])
    np.testing.assert_allclose(sct.grad(n_default)(x), [0.6, -0.8], rtol=1e-15)


def test_norm_inf_ties_split():
    x = np.array([1.0, -3.0, 3.0])
    g = sct.grad(n_norm)(x, 1.0, np.inf, None, False)
    np.testing.assert_array_equal(g, [0.0, -0.5, 0.5])


def n_spectral(x):
    return np.linalg.norm(x, 2)


def n_nuclear(x):
    return np.linalg.norm(x, "nuc")


@pytest.mark.parametrize("f", [n_spectral, n_nuclear], ids=lambda f: f.__name__)
def test_norm_matrix_norms_refused(f):
    """Matrix norms other than Frobenius raise a clear SctError, never a wrong gradient."""
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(sct.SctError, match="no gradient for np.linalg.norm") as info:
        sct.grad(f)(x)
    assert "Frobenius" in str(info.value)


# ---------------------------------------------------------------- trace / diag / diagonal / tril / triu


def t_trace(x):
    return np.trace(x)


def t_trace_weighted(x, w):
    return np.sum(np.trace(x) * w)


def t_trace_offset(x):
    return np.trace(x, 1) * 3.0 + np.trace(x, offset=-1)


def t_trace_method(x):
    return x.trace() + x.trace(-1)


def t_trace_axes(x, w):
    return np.sum(np.trace(x, 0, 2, 0) * w)


def t_trace_transposed(x):
    return np.trace(x, 0, 1, 0)


@pytest.mark.parametrize("f,shape", [
    (t_trace, (3, 3)), (t_trace, (3, 5)), (t_trace, (4, 2)), (t_trace_offset, (3, 4)),
    (t_trace_offset, (4, 3)), (t_trace_method, (3, 3)), (t_trace_axes, (3, 2, 4)),
    (t_trace_weighted, (2, 3, 4)), (t_trace_transposed, (2, 3)),
], ids=str)
def test_trace(f, shape):
    rng = np.random.default_rng(115)
    x = make(shape, rng)
    if f is t_trace_axes:
        args = (x, weights(rng, (2,)))
    elif f is t_trace_weighted:
        args = (x, weights(rng, (4,)))
    else:
        args = (x,)
    assert_grad_matches_fd(f, args, 0)


def test_trace_exact_values():
    np.testing.assert_array_equal(sct.grad(t_trace)(np.zeros((2, 3))), [[1, 0, 0], [0, 1, 0]])


def t_diag(v, w, k):
    return np.sum(np.diag(v, k) * w)


def t_diagonal(x, w, offset, axis1, axis2):
    return np.sum(np.diagonal(x, offset, axis1, axis2) * w)


def t_diagonal_method(x, w):
    return np.sum(x.diagonal(1) * w)


def t_tril(x, w, k):
    return np.sum(np.tril(x, k) * w)


def t_triu(x, w, k):
    return np.sum(np.triu(x, k) * w)


@pytest.mark.parametrize("shape,k", [((4,), 0), ((4,), 1), ((3,), -2), ((3, 3), 0), ((3, 5), 1),
                                     ((4, 2), -1), ((2, 4), 0)], ids=str)
def test_diag(shape, k):
    rng = np.random.default_rng(116)
    v = make(shape, rng)
    assert_grad_matches_fd(t_diag, (v, weights(rng, np.diag(v, k).shape), k), 0)


@pytest.mark.parametrize("shape,offset,axis1,axis2", [((3, 4), 0, 0, 1), ((3, 4), -1, 0, 1),
                                                      ((2, 3, 4), 1, 1, 2), ((2, 3, 4), 0, 2, 0)], ids=str)
def test_diagonal(shape, offset, axis1, axis2):
    rng = np.random.default_rng(117)
    x = make(shape, rng)
    w = weights(rng, np.diagonal(x, offset, axis1, axis2).shape)
    assert_grad_matches_fd(t_diagonal, (x, w, offset, axis1, axis2), 0)
    if x.ndim == 2:
        assert_grad_matches_fd(t_diagonal_method, (x, weights(rng, x.diagonal(1).shape)), 0)


@pytest.mark.parametrize("f", [t_tril, t_triu], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape,k", [((4, 4), 0), ((3, 5), 1), ((5, 3), -1), ((2, 3, 3), 0)], ids=str)
def test_tril_triu(f, shape, k):
    rng = np.random.default_rng(118)
    assert_grad_matches_fd(f, (make(shape, rng), weights(rng, shape), k), 0)


# ---------------------------------------------------------------- outer / inner / cumsum


def o_outer(a, b, w):
    return np.sum(np.outer(a, b) * w)


def o_outer_sum(a, b):
    return np.sum(np.outer(a, b))


@pytest.mark.parametrize("f", [o_outer, o_outer_sum], ids=lambda f: f.__name__)
@pytest.mark.parametrize("sa,sb", [((3,), (4,)), ((2, 3), (4,)), ((3,), (2, 2)), ((), (3,)), (FLOAT, (3,))],
                         ids=str)
def test_outer(f, sa, sb):
    rng = np.random.default_rng(119)
    a, b = make(sa, rng), make(sb, rng)
    args = (a, b, weights(rng, np.outer(a, b).shape)) if f is o_outer else (a, b)
    assert_grad_matches_fd(f, args, (0, 1))


def o_inner(a, b, w):
    return np.sum(np.inner(a, b) * w)


def o_inner_plain(a, b):
    return np.inner(a, b)


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((3, 4), (4,)), ((4,), (2, 4)), ((3, 4), (2, 4)),
                                   ((2, 3, 4), (5, 4)), ((), (3,)), ((3, 2), ())], ids=str)
def test_inner(sa, sb):
    rng = np.random.default_rng(120)
    a, b = make(sa, rng), make(sb, rng)
    assert_grad_matches_fd(o_inner, (a, b, weights(rng, np.inner(a, b).shape)), (0, 1))


def test_inner_vectors_exact():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    ga, gb = assert_grad_matches_fd(o_inner_plain, (a, b), (0, 1))
    np.testing.assert_array_equal(ga, b)
    np.testing.assert_array_equal(gb, a)


def o_cumsum(x, w, axis):
    return np.sum(np.cumsum(x, axis=axis) * w)


def o_cumsum_method(x, w):
    return np.sum(x.cumsum(0) * w)


def o_cumsum_flat(x, w):
    return np.sum(np.cumsum(x) * w)


@pytest.mark.parametrize("shape,axis", [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 0),
                                        ((3, 4), -1), ((2, 3, 4), 1)], ids=str)
def test_cumsum(shape, axis):
    rng = np.random.default_rng(121)
    x = make(shape, rng)
    assert_grad_matches_fd(o_cumsum, (x, weights(rng, np.cumsum(x, axis=axis).shape), axis), 0)


@pytest.mark.parametrize("f", [o_cumsum_method, o_cumsum_flat], ids=lambda f: f.__name__)
def test_cumsum_literal(f):
    rng = np.random.default_rng(122)
    x = make((3, 4), rng)
    w = weights(rng, (3, 4) if f is o_cumsum_method else (12,))
    assert_grad_matches_fd(f, (x, w), 0)


# ---------------------------------------------------------------- shape ops, copies, conversions


def s_squeeze(x, w):
    return np.sum(np.squeeze(x) * w)


def s_squeeze_axis(x, w):
    return np.sum(np.squeeze(x, axis=0) * w)


def s_squeeze_method(x, w):
    return np.sum(x.squeeze() * w)


def s_expand_dims(x, w):
    return np.sum(np.expand_dims(x, 1) * w)


def s_expand_dims_tuple(x, w):
    return np.sum(np.expand_dims(x, axis=(0, -1)) * w)


def s_flatten(x, w):
    return np.sum(x.flatten() * w)


def s_flatten_f(x, w):
    return np.sum(x.flatten("F") * w)


def s_ravel_method(x, w):
    return np.sum(x.ravel() * w)


def s_np_ravel(x, w):
    return np.sum(np.ravel(x) * w)


def s_np_ravel_f(x, w):
    return np.sum(np.ravel(x, order="F") * w)


def s_ravel_a_of_transpose(x, w):
    return np.sum(x.T.ravel("A") * w)


def s_ravel_k_of_transpose(x, w):
    return np.sum(np.ravel(np.swapaxes(x, 0, 1), "K") * w)


def s_ravel_k_strided(x, w):
    return np.sum(x[:, ::-1].ravel("K") * w)


def s_swapaxes(x, w):
    return np.sum(np.swapaxes(x, 0, -1) * w)


def s_swapaxes_method(x, w):
    return np.sum(x.swapaxes(1, 0) * w)


def s_moveaxis(x, w):
    return np.sum(np.moveaxis(x, 0, -1) * w)


def s_moveaxis_tuple(x, w):
    return np.sum(np.moveaxis(x, (0, 1), (2, 0)) * w)


def s_flip(x, w):
    return np.sum(np.flip(x) * w)


def s_flip_axis(x, w):
    return np.sum(np.flip(x, 1) * w)


def s_copy(x, w):
    return np.sum(np.copy(x) * w)


def s_copy_method(x, w):
    return np.sum(x.copy() * w)


def s_astype(x, w):
    return np.sum(x.astype(float) * w)


def s_astype_string(x, w):
    return np.sum(x.astype("float64") * w)


def s_asarray(x, w):
    return np.sum(np.asarray(x) * w)


def s_array(x, w):
    return np.sum(np.array(x, dtype=np.float64) * w)


def s_array_ndmin(x, w):
    return np.sum(np.array(x, ndmin=3) * w)


def s_broadcast_to(x, w):
    return np.sum(np.broadcast_to(x, (2, 3, 4)) * w)


SHAPE_OPS = {
    s_squeeze: [(1, 3, 1, 4)], s_squeeze_axis: [(1, 3, 4)], s_squeeze_method: [(3, 1, 4)],
    s_expand_dims: [(3, 4), (5,)], s_expand_dims_tuple: [(3, 4)],
    s_flatten: [(3, 4), (2, 3, 4)], s_flatten_f: [(3, 4)], s_ravel_method: [(2, 3, 4)],
    s_np_ravel: [(3, 4)], s_np_ravel_f: [(2, 3, 4)], s_ravel_a_of_transpose: [(3, 4)],
    s_ravel_k_of_transpose: [(2, 3, 4)], s_ravel_k_strided: [(3, 4), (2, 3, 4)],
    s_swapaxes: [(2, 3, 4)], s_swapaxes_method: [(3, 4)], s_moveaxis: [(2, 3, 4)],
    s_moveaxis_tuple: [(2, 3, 4)], s_flip: [(3, 4)], s_flip_axis: [(2, 3, 4)],
    s_copy: [(3, 4), ()], s_copy_method: [(3, 4)], s_astype: [(3, 4), ()], s_astype_string: [(4,)],
    s_asarray: [(3, 4), FLOAT], s_array: [(3, 4)], s_array_ndmin: [(4,), (3, 4)],
    s_broadcast_to: [(3, 4), (3, 1), (4,), (), FLOAT],
}
SHAPE_CASES = [(f, s) for f, shapes in SHAPE_OPS.items() for s in shapes]
SHAPE_REFERENCE = {
    s_squeeze: np.squeeze, s_squeeze_axis: lambda x: np.squeeze(x, 0), s_squeeze_method: np.squeeze,
    s_expand_dims: lambda x: np.expand_dims(x, 1), s_expand_dims_tuple: lambda x: np.expand_dims(x, (0, -1)),
    s_flatten: np.ravel, s_flatten_f: np.ravel, s_ravel_method: np.ravel, s_np_ravel: np.ravel,
    s_np_ravel_f: np.ravel, s_ravel_a_of_transpose: np.ravel, s_ravel_k_of_transpose: np.ravel,
    s_ravel_k_strided: np.ravel, s_swapaxes: lambda x: np.swapaxes(x, 0, -1),
    s_swapaxes_method: lambda x: x.T, s_moveaxis: lambda x: np.moveaxis(x, 0, -1),
    s_moveaxis_tuple: lambda x: np.moveaxis(x, (0, 1), (2, 0)), s_flip: np.asarray, s_flip_axis: np.asarray,
    s_copy: np.asarray, s_copy_method: np.asarray, s_astype: np.asarray, s_astype_string: np.asarray,
    s_asarray: np.asarray, s_array: np.asarray, s_array_ndmin: lambda x: np.array(x, ndmin=3),
    s_broadcast_to: lambda x: np.broadcast_to(x, (2, 3, 4)),
}


@pytest.mark.parametrize("f,shape", SHAPE_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_shape_ops(f, shape):
    rng = np.random.default_rng(123)
    x = make(shape, rng)
    w = weights(rng, np.shape(SHAPE_REFERENCE[f](x)))
    assert_grad_matches_fd(f, (x, w), 0)


def s_chain_unweighted(x):
    return np.sum(np.squeeze(x).ravel()) + np.sum(np.swapaxes(np.expand_dims(x, 0), 0, 1).flatten() ** 2) \
        + np.sum(np.copy(x).astype(float) * 3.0) + np.sum(np.broadcast_to(x, (2, 3, 1, 4)))


def s_chain_weighted(x, y):
    z = np.moveaxis(np.expand_dims(x, -1) * y, 0, 1)
    return np.sum(np.tanh(z).ravel() * np.arange(24.0)) + np.sum(np.flip(x.squeeze(1).T) * y[0])


def test_shape_ops_chained():
    """Shape ops under a plain sum (a scalar cotangent passes through them) and in a chain."""
    rng = np.random.default_rng(124)
    assert_grad_matches_fd(s_chain_unweighted, (make((3, 1, 4), rng),), 0)
    assert_grad_matches_fd(s_chain_weighted, (make((3, 1, 4), rng), make((2, 1, 1), rng)), (0, 1))


def s_astype_int(x, y):
    return np.sum(x.astype(int) * y) + np.sum(x * y)


def s_astype_float32(x):
    return np.sum(x.astype(np.float32) * 2.0)


def test_astype_conversions():
    """A float cast passes the gradient; an integer cast passes none (piecewise constant)."""
    x, y = np.array([1.5, -2.25, 3.0]), np.array([2.0, 3.0, 4.0])
    gx, gy = sct.grad(s_astype_int, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, y)
    np.testing.assert_array_equal(gy, x.astype(int) + x)
    g = sct.grad(s_astype_float32)(x)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


def s_astype_complex_dtype(x):
    return np.sum(np.abs(x.astype(np.complex128)))


def test_astype_complex_refused():
    with pytest.raises(sct.SctError, match="complex numbers"):
        sct.grad(s_astype_complex_dtype)(np.array([1.0, 2.0]))


def test_broadcast_to_exact_values():
    g = sct.grad(s_broadcast_to)(np.zeros((3, 1)), np.ones((2, 3, 4)))
    np.testing.assert_array_equal(g, np.full((3, 1), 8.0))


# ---------------------------------------------------------------- non-differentiable methods and functions


def n_argmax_method(x):
    return x[x.argmax()] * 2.0 + np.sum(x * np.any(x > 0)) + np.count_nonzero(x)


def test_nondifferentiable_helpers():
    x = np.array([0.5, 3.0, -1.0])
    np.testing.assert_array_equal(sct.grad(n_argmax_method)(x), [1.0, 3.0, 1.0])


def t_solve_vector(A, b):
    return np.sum(np.linalg.solve(A, b) ** 2)


def t_solve_matrix(A, B):
    return np.sum(np.sin(np.linalg.solve(A, B)))


def t_inverse(A):
    return np.sum(np.linalg.inv(A) * np.arange(9.0).reshape(3, 3))


def test_linear_solve_and_inverse():
    rng = np.random.default_rng(21)
    A = rng.normal(size=(3, 3)) + 3.0 * np.eye(3)
    assert_grad_matches_fd(t_solve_vector, (A, rng.normal(size=3)), (0, 1))
    assert_grad_matches_fd(t_solve_matrix, (A, rng.normal(size=(3, 2))), (0, 1))
    assert_grad_matches_fd(t_inverse, (A,), 0)
