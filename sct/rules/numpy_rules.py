"""Adjoint rules for NumPy functions, array methods and attributes."""
import builtins
import operator

import numpy as np

from ..runtime import (all_but_last, appended, cast_adjoint, clip_bound, concatenate_adjoint, default_adjoint,
                       diag_adjoint, diagonal_adjoint, expand, extreme_adjoints, getitem_adjoint, hstack_axis,
                       last_item, sum_adjoint,
                       inner_adjoint_left, inner_adjoint_right, inverse_permutation, items_of, nonzero_norm, norm_adjoint,
                       prod_adjoint, ravel_adjoint, solve_adjoint_a, solve_adjoint_b, trace_adjoint, unbroadcast,
                       unreduce, without_items)
from ..runtime import (added_at, geomspace_adjoint, index_object_adjoint, linspace_adjoint, logspace_adjoint,
                       meshgrid_adjoint, no_gradient_through_text, occurrences_of, slice_adjoint, std_adjoint)
from .arithmetic import power
from .registry import adjoint, attribute, method, nondifferentiable

# ---- elementwise functions; rules reuse the forward result where that is cheaper


@adjoint(np.exp, elementwise=True)
def exp(result, x):
    d[x] = d[result] * result


@adjoint(np.log, elementwise=True)
def log(result, x):
    d[x] = d[result] / x


@adjoint(np.sin, elementwise=True)
def sin(result, x):
    d[x] = d[result] * np.cos(x)


@adjoint(np.cos, elementwise=True)
def cos(result, x):
    d[x] = -d[result] * np.sin(x)


@adjoint(np.tanh, elementwise=True)
def tanh(result, x):
    d[x] = d[result] * (1.0 - result * result)


@adjoint(np.sqrt, elementwise=True)
def sqrt(result, x):
    d[x] = d[result] * 0.5 / result


@adjoint(np.square, elementwise=True)
def square(result, x):
    d[x] = d[result] * 2 * x


@adjoint(np.abs, np.absolute, builtins.abs, elementwise=True)
def absolute(result, x):
    d[x] = d[result] * np.sign(x)


@adjoint(np.maximum, elementwise=True)
def maximum(result, x, y):
    # At ties the cotangent is split evenly between both arguments.
    d[x] = d[result] * ((x > y) + 0.5 * (x == y))
    d[y] = d[result] * ((y > x) + 0.5 * (x == y))


@adjoint(np.minimum, elementwise=True)
def minimum(result, x, y):
    d[x] = d[result] * ((x < y) + 0.5 * (x == y))
    d[y] = d[result] * ((y < x) + 0.5 * (x == y))


@adjoint(builtins.max, elementwise=True)
def builtin_max(result, x, y):
    # Python's max(x, y) is y only where y > x: the one it returns gets the cotangent. The
    # test is one bool (also for a one-element array), so the result is x or y whole.
    d[x] = d[result] * (not (y > x))
    d[y] = d[result] * bool(y > x)


@adjoint(builtins.min, elementwise=True)
def builtin_min(result, x, y):
    d[x] = d[result] * (not (y < x))
    d[y] = d[result] * bool(y < x)


@adjoint(builtins.float)
def to_float(result, x):  # a Python number, or an array of one element (np.sum(...), a 0-d array)
    d[x] = expand(d[result], x)


@adjoint(method("item"))
def item(result, x):
    d[x] = expand(d[result], x)


# ---- reductions: the cotangent of the result may still be a broadcast scalar. Their
# parameters keep NumPy's positions (np.sum(x, 1, np.float64) passes a dtype, not
# keepdims). A dtype known only at run time takes the last branch: the float gradient,
# then cast_adjoint. `where` masks the entries reduced; `initial` takes part like one
# more entry (np.max(x, initial=c) is max(max(x), c), differentiable in both).


@adjoint(np.sum, method("sum"), exact_cotangent=False)
def sum_(result, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    if where is not None:
        g = unreduce(d[result], a, axis, keepdims) * np.broadcast_to(where, np.shape(a))
    elif axis is None or keepdims or is_scalar(d[result]):
        g = d[result]  # already broadcasts against `a`
    else:
        g = unreduce(d[result], a, axis, keepdims)
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[a] = g
    else:  # an integer or boolean dtype truncates each entry first: no gradient
        d[a] = cast_adjoint(expand(g, a), a, dtype)
    if initial is not None:
        d[initial] = np.sum(expand(d[result], result))


@adjoint(np.mean, method("mean"), exact_cotangent=False)
def mean(result, a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    if where is not None:
        mask = np.broadcast_to(where, np.shape(a))
        g = unreduce(d[result], a, axis, keepdims) * mask / np.add.reduce(mask, axis=axis, keepdims=True)
    elif axis is None:
        g = d[result] / np.size(a)
    elif keepdims or is_scalar(d[result]):
        g = d[result] * (np.size(result) / np.size(a))
    else:
        g = unreduce(d[result], a, axis, keepdims) * (np.size(result) / np.size(a))
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[a] = g
    else:
        d[a] = cast_adjoint(expand(g, a), a, dtype)


@adjoint(np.max, np.amax, method("max"), exact_cotangent=False)
def max_(result, a, axis=None, out=None, keepdims=False, initial=None, where=None):
    # Ties share the cotangent equally, so the rule is the gradient of a symmetric function.
    if initial is not None or where is not None:
        # max(max(a[where]), initial): the entries equal to the result share its cotangent,
        # and initial does when it is equal too
        shares = extreme_adjoints(d[result], result, a, axis, keepdims, initial, where)
        d[a] = shares[0]
        d[initial] = shares[1]
    elif axis is None:
        mask = a == result
        d[a] = d[result] * mask / np.sum(mask)
    elif keepdims:
        mask = a == result
        d[a] = d[result] / np.add.reduce(mask, axis=axis, keepdims=True) * mask
    else:
        mask = a == unreduce(result, a, axis, keepdims)
        d[a] = unreduce(d[result], a, axis, keepdims) / np.add.reduce(mask, axis=axis, keepdims=True) * mask


@adjoint(np.min, np.amin, method("min"), exact_cotangent=False)
def min_(result, a, axis=None, out=None, keepdims=False, initial=None, where=None):
    if initial is not None or where is not None:
        shares = extreme_adjoints(d[result], result, a, axis, keepdims, initial, where)
        d[a] = shares[0]
        d[initial] = shares[1]
    elif axis is None:
        mask = a == result
        d[a] = d[result] * mask / np.sum(mask)
    elif keepdims:
        mask = a == result
        d[a] = d[result] / np.add.reduce(mask, axis=axis, keepdims=True) * mask
    else:
        mask = a == unreduce(result, a, axis, keepdims)
        d[a] = unreduce(d[result], a, axis, keepdims) / np.add.reduce(mask, axis=axis, keepdims=True) * mask


# ---- shape manipulation


@adjoint(np.transpose)
def transpose(result, a, axes=None):
    if axes is None:
        d[a] = np.transpose(d[result])
    else:
        d[a] = np.transpose(d[result], inverse_permutation(axes, a))


@adjoint(attribute("T"))
def transpose_attribute(result, a):
    d[a] = np.transpose(d[result])


@adjoint(method("transpose"))
def transpose_method(result, a, *axes):
    if len(axes) == 0:
        d[a] = np.transpose(d[result])
    elif len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        d[a] = np.transpose(d[result], inverse_permutation(axes[0], a))
    else:
        d[a] = np.transpose(d[result], inverse_permutation(axes, a))


@adjoint(np.reshape)
def reshape(result, a, shape=None, order="C"):
    if order == "C" or order == "F":
        d[a] = np.reshape(d[result], np.shape(a), order=order)
    else:  # 'A' reads and writes in the memory order of `a`, not of the cotangent
        d[a] = ravel_adjoint(d[result], a, order)


@adjoint(method("reshape"))
def reshape_method(result, a, *shape, order="C"):
    if order == "C" or order == "F":
        d[a] = np.reshape(d[result], np.shape(a), order=order)
    else:
        d[a] = ravel_adjoint(d[result], a, order)


# Not elementwise: the written value's cotangent stands for `result[index]`, not for the
# whole result, so the template reduces it itself. Both helpers broadcast d[result].
@adjoint(operator.setitem, exact_cotangent=False)
def setitem(result, x, index, value):
    d[x] = without_items(d[result], result, index)
    d[value] = unbroadcast(items_of(d[result], result, index), value)


# np.add.at(x, index, v) lowers to the write x[...] = added_at(x, index, v): x's entries
# pass through, each occurrence of an index hands its cotangent to the value it added.
@adjoint(added_at, exact_cotangent=False)
def added_at_(result, x, index, values):
    d[x] = d[result]
    d[values] = unbroadcast(occurrences_of(d[result], result, index), values)


def _index_is_data(obj):
    """Whether `obj[index]` is made from the index's values (np.r_, np.c_, np.mgrid, any
    object with its own __getitem__) rather than read at integer positions (arrays,
    lists, dicts, strings), whose indices carry no derivative; for template tests."""
    return not isinstance(obj, (np.ndarray, np.generic, list, tuple, dict, str, bytes, range))


@adjoint(operator.getitem)
def getitem(result, x, index):
    if is_const(x) and _index_is_data(x):  # np.r_[a, b], np.c_[...], np.mgrid[a:b:5j]: the index is the data
        d[index] = index_object_adjoint(d[result], x, index)
    else:
        d[x] = getitem_adjoint(d[result], x, index)


@adjoint(builtins.slice, exact_cotangent=False)
def slice_(result, *bounds):
    # An array's slice bounds are integers, with no derivative; a slice has an adjoint only
    # as the grid of np.r_[a:b:5j] or np.mgrid[a:b:h] (the cotangent of that grid).
    if len(bounds) == 1:
        d[bounds] = slice_adjoint(d[result], result, 1)
    elif len(bounds) == 2:
        d[bounds] = slice_adjoint(d[result], result, 2)
    else:
        d[bounds] = slice_adjoint(d[result], result, 3)


@adjoint(builtins.str, builtins.repr, builtins.ascii, builtins.format, exact_cotangent=False)
def to_text(result, value, *rest):
    # float(str(x)) is x again: text read back as a number is refused, never a zero gradient.
    d[value] = no_gradient_through_text(d[result], value)


nondifferentiable(attribute("shape"), attribute("ndim"), attribute("size"), attribute("dtype"),
                  np.shape, np.ndim, np.size, builtins.len, builtins.int, builtins.bool, builtins.round,
                  np.argmax, np.argmin, np.argsort, np.zeros_like, np.ones_like, np.zeros, np.ones,
                  np.eye, np.empty_like, builtins.range, builtins.isinstance)


# ==== more NumPy functions and methods

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
_DEGREE = float(np.pi / 180.0)


def _is_float_dtype(dtype):
    """Whether `dtype` (a constant) names a floating-point type; for template tests."""
    try:
        return np.dtype(dtype).kind == "f"
    except TypeError:
        return False


# ---- elementwise functions


@adjoint(np.log1p, elementwise=True)
def log1p(result, x):
    d[x] = d[result] / (1.0 + x)


@adjoint(np.expm1, elementwise=True)
def expm1(result, x):
    d[x] = d[result] * (result + 1.0)


@adjoint(np.log2, elementwise=True)
def log2(result, x):
    d[x] = d[result] / (x * _LN2)


@adjoint(np.log10, elementwise=True)
def log10(result, x):
    d[x] = d[result] / (x * _LN10)


@adjoint(np.exp2, elementwise=True)
def exp2(result, x):
    d[x] = d[result] * result * _LN2


@adjoint(np.tan, elementwise=True)
def tan(result, x):
    d[x] = d[result] * (1.0 + result * result)


@adjoint(np.arcsin, elementwise=True)
def arcsin(result, x):
    d[x] = d[result] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, elementwise=True)
def arccos(result, x):
    d[x] = -d[result] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, elementwise=True)
def arctan(result, x):
    d[x] = d[result] / (1.0 + x * x)


@adjoint(np.sinh, elementwise=True)
def sinh(result, x):
    d[x] = d[result] * np.cosh(x)


@adjoint(np.cosh, elementwise=True)
def cosh(result, x):
    d[x] = d[result] * np.sinh(x)


@adjoint(np.arcsinh, elementwise=True)
def arcsinh(result, x):
    d[x] = d[result] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh, elementwise=True)
def arccosh(result, x):
    d[x] = d[result] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh, elementwise=True)
def arctanh(result, x):
    d[x] = d[result] / (1.0 - x * x)


@adjoint(np.reciprocal, elementwise=True)
def reciprocal(result, x):
    d[x] = -d[result] * result * result


@adjoint(np.cbrt, elementwise=True)
def cbrt(result, x):
    d[x] = d[result] / (3.0 * result * result)


@adjoint(np.deg2rad, np.radians, elementwise=True)
def deg2rad(result, x):
    d[x] = d[result] * _DEGREE


@adjoint(np.rad2deg, np.degrees, elementwise=True)
def rad2deg(result, x):
    d[x] = d[result] / _DEGREE


# np.fabs is np.abs for real arrays; np.float_power is np.power computed in float64.
adjoint(np.fabs, elementwise=True)(absolute)
adjoint(np.float_power, elementwise=True)(power)


@adjoint(np.hypot, elementwise=True)
def hypot(result, x, y):
    d[x] = d[result] * x / result
    d[y] = d[result] * y / result


@adjoint(np.arctan2, elementwise=True)
def arctan2(result, y, x):
    # arctan2(y, x) is the angle of the point (x, y).
    d[y] = d[result] * x / (x * x + y * y)
    d[x] = -d[result] * y / (x * x + y * y)


@adjoint(np.logaddexp, elementwise=True)
def logaddexp(result, x, y):
    d[x] = d[result] * np.exp(x - result)
    d[y] = d[result] * np.exp(y - result)


@adjoint(np.logaddexp2, elementwise=True)
def logaddexp2(result, x, y):
    d[x] = d[result] * np.exp2(x - result)
    d[y] = d[result] * np.exp2(y - result)


# np.clip(a, lo, hi) is np.minimum(np.maximum(a, lo), hi), and its rule is that
# composition's: the cotangent passes to `a` where lo < a < hi and to the bound `a`
# is clipped to elsewhere; at a tie (a == lo or a == hi) it is split evenly between
# `a` and the bound, as np.maximum / np.minimum split it. (If lo > hi the result is
# hi everywhere, and so is the gradient.) Either bound may be None, a number or an array.


@adjoint(np.clip, elementwise=True)
def clip(result, a, a_min=None, a_max=None):
    if a_min is None:
        d[a] = d[result] * ((a < a_max) + 0.5 * (a == a_max))
        d[a_max] = d[result] * ((a > a_max) + 0.5 * (a == a_max))
    elif a_max is None:
        d[a] = d[result] * ((a > a_min) + 0.5 * (a == a_min))
        d[a_min] = d[result] * ((a < a_min) + 0.5 * (a == a_min))
    elif is_const(a_min) and is_const(a_max) and np.all(np.less(a_min, a_max)):  # constant bounds
        d[a] = d[result] * ((a > a_min) + 0.5 * (a == a_min)) * ((a < a_max) + 0.5 * (a == a_max))
    else:  # bounds known at run time only (either may still be None)
        lower = clip_bound(a_min, -np.inf)
        upper = clip_bound(a_max, np.inf)
        low = np.maximum(a, lower)
        below_max = (low < upper) + 0.5 * (low == upper)
        d[a] = d[result] * ((a > lower) + 0.5 * (a == lower)) * below_max
        d[a_min] = d[result] * ((a < lower) + 0.5 * (a == lower)) * below_max
        d[a_max] = d[result] * ((low > upper) + 0.5 * (low == upper))


@adjoint(method("clip"), elementwise=True)
def clip_method(result, a, min=None, max=None):
    # x.clip(min, max): the same rule as np.clip's, under the method's parameter names.
    if min is None:
        d[a] = d[result] * ((a < max) + 0.5 * (a == max))
        d[max] = d[result] * ((a > max) + 0.5 * (a == max))
    elif max is None:
        d[a] = d[result] * ((a > min) + 0.5 * (a == min))
        d[min] = d[result] * ((a < min) + 0.5 * (a == min))
    elif is_const(min) and is_const(max) and np.all(np.less(min, max)):
        d[a] = d[result] * ((a > min) + 0.5 * (a == min)) * ((a < max) + 0.5 * (a == max))
    else:  # bounds known at run time only (either may still be None)
        lower = clip_bound(min, -np.inf)
        upper = clip_bound(max, np.inf)
        low = np.maximum(a, lower)
        below_max = (low < upper) + 0.5 * (low == upper)
        d[a] = d[result] * ((a > lower) + 0.5 * (a == lower)) * below_max
        d[min] = d[result] * ((a < lower) + 0.5 * (a == lower)) * below_max
        d[max] = d[result] * ((low > upper) + 0.5 * (low == upper))


@adjoint(np.where, elementwise=True)
def where(result, condition, x, y):
    # The condition carries no gradient. Each contribution must have the result's
    # shape: a scalar cotangent (standing for the whole result) is broadcast first.
    if is_scalar(d[result]) and not is_scalar(result):
        g = np.broadcast_to(d[result], np.shape(result))
        d[x] = np.where(condition, g, 0.0)
        d[y] = np.where(condition, 0.0, g)
    else:
        d[x] = np.where(condition, d[result], 0.0)
        d[y] = np.where(condition, 0.0, d[result])


# ---- reductions


@adjoint(np.prod, method("prod"), exact_cotangent=False)
def prod(result, a, axis=None, dtype=None, out=None, keepdims=False):
    # g * (product of the other entries): result / a where that is safe, and exact
    # cumulative products where `a` has zeros (runtime.prod_adjoint).
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[a] = prod_adjoint(d[result], result, a, axis, keepdims)
    else:  # an integer or boolean dtype truncates each entry first: no gradient
        d[a] = cast_adjoint(prod_adjoint(d[result], result, a, axis, keepdims), a, dtype)


@adjoint(np.var, method("var"), exact_cotangent=False)
def var(result, a, axis=None, *, ddof=0, keepdims=False):
    if axis is None:
        d[a] = d[result] * (2.0 / (np.size(a) - ddof)) * (a - np.mean(a))
    elif keepdims or is_scalar(d[result]):
        d[a] = d[result] * (2.0 / (np.size(a) / np.size(result) - ddof)) \
            * (a - np.mean(a, axis=axis, keepdims=True))
    else:
        d[a] = unreduce(d[result], a, axis, keepdims) * (2.0 / (np.size(a) / np.size(result) - ddof)) \
            * (a - np.mean(a, axis=axis, keepdims=True))


@adjoint(np.std, method("std"), exact_cotangent=False)
def std(result, a, axis=None, *, ddof=0, keepdims=False):
    # d std = d var / (2 std): 0 for a group of one entry (its spread is 0 whatever it is);
    # nan where several equal entries make the spread 0, like np.sqrt at 0 (runtime.std_adjoint).
    d[a] = std_adjoint(d[result], result, a, axis, ddof, keepdims)


@adjoint(np.linalg.solve)
def linalg_solve(result, a, b):
    d[b] = solve_adjoint_b(d[result], a, b)
    d[a] = solve_adjoint_a(d[result], a, b, result)


@adjoint(np.linalg.inv)
def linalg_inv(result, a):
    d[a] = -(np.swapaxes(result, -1, -2) @ d[result] @ np.swapaxes(result, -1, -2))


@adjoint(np.linalg.norm, exact_cotangent=False)
def norm(result, x, ord=None, axis=None, keepdims=False):
    # The 2-norm's gradient x / norm is 0 at x == 0, its minimum (a subgradient; nonzero_norm).
    if ord is None and axis is None:  # the 2-norm of all entries, whatever the rank
        d[x] = d[result] / nonzero_norm(result) * x
    elif (ord is None or ord == 2) and is_const(axis) and isinstance(axis, int) and keepdims:
        d[x] = d[result] / nonzero_norm(result) * x
    elif (ord is None or ord == 2) and is_const(axis) and isinstance(axis, int):
        d[x] = unreduce(d[result] / nonzero_norm(result), x, axis, keepdims) * x
    else:  # other vector norms and the Frobenius norm; other matrix norms raise SctError
        d[x] = norm_adjoint(d[result], result, x, ord, axis, keepdims)


@adjoint(np.trace, method("trace"), exact_cotangent=False)
def trace(result, a, offset=0, axis1=0, axis2=1):
    if ndim(a) == 2 and axis1 in (0, -2) and axis2 in (1, -1):
        d[a] = d[result] * np.eye(np.shape(a)[0], np.shape(a)[1], offset)
    else:
        d[a] = trace_adjoint(d[result], a, offset, axis1, axis2)


@adjoint(np.cumsum, method("cumsum"))
def cumsum(result, a, axis=None):
    # Each entry feeds every later partial sum: the adjoint is a reversed cumulative sum.
    if axis is None:
        d[a] = np.reshape(np.flip(np.cumsum(np.flip(d[result]))), np.shape(a))
    else:  # (the reshape undoes the flattening if `axis` turns out to be None at run time)
        d[a] = np.reshape(np.flip(np.cumsum(np.flip(d[result], axis), axis), axis), np.shape(a))


# ---- products


@adjoint(np.outer)
def outer(result, a, b):
    # np.outer flattens its arguments.
    if ndim(a) == 1 and ndim(b) == 1:
        d[a] = d[result] @ b
        d[b] = a @ d[result]
    else:
        d[a] = np.reshape(d[result] @ np.ravel(b), np.shape(a))
        d[b] = np.reshape(np.ravel(a) @ d[result], np.shape(b))


@adjoint(np.inner, exact_cotangent=False)
def inner(result, a, b):
    if ndim(a) == 1 and ndim(b) == 1:
        d[a] = d[result] * b
        d[b] = d[result] * a
    else:
        d[a] = inner_adjoint_left(d[result], a, b)
        d[b] = inner_adjoint_right(d[result], a, b)


# ---- shapes and copies. A scalar cotangent stands for every entry of the result;
# these ops move entries without combining them, so it stands for every entry of
# the argument too and passes through unchanged. Any other cotangent that only
# broadcasts against the result (a keepdims reduction's, of shape (1,)) is expanded
# to the result's shape before it is moved.


@adjoint(np.squeeze, method("squeeze"), exact_cotangent=False)
def squeeze(result, a, axis=None):
    if is_scalar(d[result]):
        d[a] = d[result]
    else:
        d[a] = np.reshape(expand(d[result], result), np.shape(a))


@adjoint(np.expand_dims, exact_cotangent=False)
def expand_dims(result, a, axis):
    if is_scalar(d[result]):
        d[a] = d[result]
    else:
        d[a] = np.reshape(expand(d[result], result), np.shape(a))


@adjoint(np.ravel, method("ravel"), method("flatten"), exact_cotangent=False)
def ravel(result, a, order="C"):
    if is_scalar(d[result]):
        d[a] = d[result]
    elif order == "C" or order == "F":
        d[a] = np.reshape(expand(d[result], result), np.shape(a), order=order)
    else:  # 'A' and 'K' depend on the memory layout of `a`
        d[a] = ravel_adjoint(expand(d[result], result), a, order)


@adjoint(np.swapaxes, method("swapaxes"), exact_cotangent=False)
def swapaxes(result, a, axis1, axis2):
    if is_scalar(d[result]):
        d[a] = d[result]
    else:
        d[a] = np.swapaxes(expand(d[result], result), axis1, axis2)


@adjoint(np.moveaxis, exact_cotangent=False)
def moveaxis(result, a, source, destination):
    if is_scalar(d[result]):
        d[a] = d[result]
    else:
        d[a] = np.moveaxis(expand(d[result], result), destination, source)


@adjoint(np.flip, exact_cotangent=False)
def flip(result, m, axis=None):
    if is_scalar(d[result]):
        d[m] = d[result]
    else:
        d[m] = np.flip(expand(d[result], result), axis)


@adjoint(np.copy, method("copy"), exact_cotangent=False)
def copy(result, a, order="K", subok=False):
    d[a] = d[result]


@adjoint(method("astype"), exact_cotangent=False)
def astype(result, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    if is_const(dtype) and _is_float_dtype(dtype):
        d[a] = d[result]
    else:  # no gradient through an integer or boolean cast; complex raises
        d[a] = cast_adjoint(expand(d[result], result), a, dtype)


@adjoint(np.asarray, np.array, np.asanyarray, np.ascontiguousarray, exact_cotangent=False)
def asarray(result, a, dtype=None, order=None, *, copy=None, ndmin=0, subok=False, like=None, device=None):
    # Identity for an array argument; for a list of arrays, item k gets d[result][k].
    if (dtype is None or (is_const(dtype) and _is_float_dtype(dtype))) and ndmin == 0:
        d[a] = d[result]
    else:  # (a cotangent that only broadcasts against the result is expanded before it is reshaped)
        d[a] = cast_adjoint(expand(d[result], result), a, dtype)


# ---- joining a list or tuple of arrays: each item's adjoint is its part of the cotangent


@adjoint(np.stack)
def stack(result, arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[arrays] = np.moveaxis(d[result], axis, 0)
    else:  # no gradient through an integer or boolean dtype
        d[arrays] = np.moveaxis(cast_adjoint(d[result], result, dtype), axis, 0)


@adjoint(np.concatenate)
def concatenate(result, arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[arrays] = concatenate_adjoint(d[result], arrays, axis)
    else:
        d[arrays] = concatenate_adjoint(cast_adjoint(d[result], result, dtype), arrays, axis)


@adjoint(np.vstack)
def vstack(result, tup, *, dtype=None, casting="same_kind"):
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[tup] = concatenate_adjoint(d[result], tup, 0, np.atleast_2d)
    else:
        d[tup] = concatenate_adjoint(cast_adjoint(d[result], result, dtype), tup, 0, np.atleast_2d)


@adjoint(np.hstack)
def hstack(result, tup, *, dtype=None, casting="same_kind"):
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[tup] = concatenate_adjoint(d[result], tup, hstack_axis(tup), np.atleast_1d)
    else:
        d[tup] = concatenate_adjoint(cast_adjoint(d[result], result, dtype), tup, hstack_axis(tup), np.atleast_1d)


@adjoint(appended, exact_cotangent=False)  # `xs.append(x)` on a list made at run time
def append(result, items, item):
    d[items] = all_but_last(d[result])
    d[item] = last_item(d[result])


@adjoint(method("get"), exact_cotangent=False)  # `params.get("W", W0)` on a dict made at run time
def dict_get(result, mapping, key, default=None):
    d[mapping] = getitem_adjoint(d[result], mapping, key)
    d[default] = default_adjoint(d[result], mapping, key)


@adjoint(builtins.sum, exact_cotangent=False)
def sum_of_items(result, iterable, start=0):
    d[iterable] = sum_adjoint(d[result], iterable)
    d[start] = unbroadcast(d[result], start)


@adjoint(np.broadcast_to, elementwise=True)
def broadcast_to(result, array, shape, subok=False):
    # The transform sums the cotangent over the broadcast axes (as for a ufunc).
    d[array] = d[result]


@adjoint(np.diag)
def diag(result, v, k=0):
    if ndim(v) == 1:  # a vector on the diagonal of a matrix
        d[v] = np.diagonal(d[result], k)
    else:  # a matrix's diagonal (runtime.diag_adjoint handles both)
        d[v] = diag_adjoint(d[result], v, k)


@adjoint(np.diagonal, method("diagonal"))
def diagonal(result, a, offset=0, axis1=0, axis2=1):
    d[a] = diagonal_adjoint(d[result], a, offset, axis1, axis2)


@adjoint(np.tril)
def tril(result, m, k=0):
    if ndim(m) >= 2:
        d[m] = np.tril(d[result], k)
    else:  # NumPy broadcasts a 1-D m to a square matrix first: its rows' adjoints add up
        d[m] = unbroadcast(np.tril(d[result], k), m)


@adjoint(np.triu)
def triu(result, m, k=0):
    if ndim(m) >= 2:
        d[m] = np.triu(d[result], k)
    else:
        d[m] = unbroadcast(np.triu(d[result], k), m)


nondifferentiable(method("argmax"), method("argmin"), method("argsort"), method("nonzero"), method("all"),
                  method("any"), np.all, np.any, np.count_nonzero, np.nonzero, np.flatnonzero,
                  np.argwhere, np.searchsorted, np.isclose, np.allclose, np.array_equal, np.signbit,
                  np.fix, np.empty, np.identity, np.tri)


# ---- arrays made from float arguments: constructors are differentiable in their values


@adjoint(np.full, elementwise=True)
def full(result, shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    # np.full broadcasts fill_value to `shape`, like np.broadcast_to.
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        d[fill_value] = d[result]
    else:  # no gradient through an integer or boolean dtype (the value is truncated)
        d[fill_value] = cast_adjoint(d[result], result, dtype)


@adjoint(np.full_like, elementwise=True)
def full_like(result, a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    # The result has a's dtype unless `dtype` is given: filling an integer array truncates.
    if dtype is not None and is_const(dtype) and _is_float_dtype(dtype):
        d[fill_value] = d[result]
    else:
        d[fill_value] = cast_adjoint(d[result], result, result.dtype)


@adjoint(np.arange)
def arange(result, start, stop=None, step=None, dtype=None, *, device=None, like=None):
    # Entry i is start + i * step. The stop only decides how many entries there are (a
    # piecewise constant), and np.arange(stop) alone counts 0, 1, ... whatever stop is.
    if dtype is None or (is_const(dtype) and _is_float_dtype(dtype)):
        g = d[result]
    else:  # an integer dtype truncates
        g = cast_adjoint(d[result], result, dtype)
    if stop is not None:
        d[start] = np.sum(g)
    if step is not None:
        d[step] = np.sum(g * np.arange(np.size(result)))


@adjoint(np.linspace, exact_cotangent=False)
def linspace(result, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    d[start] = linspace_adjoint(d[result], result, start, stop, num, endpoint, retstep, dtype, axis, 0)
    d[stop] = linspace_adjoint(d[result], result, start, stop, num, endpoint, retstep, dtype, axis, 1)


@adjoint(np.logspace)
def logspace(result, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    d[start] = logspace_adjoint(d[result], result, start, stop, num, endpoint, base, dtype, axis, 0)
    d[stop] = logspace_adjoint(d[result], result, start, stop, num, endpoint, base, dtype, axis, 1)
    d[base] = logspace_adjoint(d[result], result, start, stop, num, endpoint, base, dtype, axis, 2)


@adjoint(np.geomspace)
def geomspace(result, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    d[start] = geomspace_adjoint(d[result], result, start, stop, num, endpoint, dtype, axis, 0)
    d[stop] = geomspace_adjoint(d[result], result, start, stop, num, endpoint, dtype, axis, 1)


@adjoint(np.meshgrid, exact_cotangent=False)
def meshgrid(result, *xi, copy=True, sparse=False, indexing="xy"):
    d[xi] = meshgrid_adjoint(d[result], result, xi, indexing)
