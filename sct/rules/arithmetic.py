"""Adjoint rules for Python's arithmetic operators and their NumPy ufunc twins.

Elementwise rules write only the calculus; the transform reduces each contribution
to its argument's shape where broadcasting may have happened.
"""
import operator

import numpy as np

from ..runtime import dot_adjoint_left, dot_adjoint_right, matmul_adjoint_left, matmul_adjoint_right, power_log
from .registry import adjoint, method, nondifferentiable


@adjoint(operator.add, np.add, elementwise=True)
def add(result, x, y):
    d[x] = d[result]
    d[y] = d[result]


@adjoint(operator.sub, np.subtract, elementwise=True)
def subtract(result, x, y):
    d[x] = d[result]
    d[y] = -d[result]


@adjoint(operator.mul, np.multiply, elementwise=True)
def multiply(result, x, y):
    d[x] = d[result] * y
    d[y] = d[result] * x


@adjoint(operator.truediv, np.divide, np.true_divide, elementwise=True)
def divide(result, x, y):
    d[x] = d[result] / y
    d[y] = -d[result] * result / y


@adjoint(operator.neg, np.negative, elementwise=True)
def negative(result, x):
    d[x] = -d[result]


@adjoint(operator.pos, np.positive, elementwise=True)
def positive(result, x):
    d[x] = d[result]


@adjoint(operator.pow, np.power, elementwise=True)
def power(result, x, y):
    # x ** 0 is 1 for every x (0.0 ** 0 too), so where y is 0 the derivative w.r.t. x is 0:
    # y * x ** (y - 1) is taken with the exponent 1 there, not as 0 * inf at x == 0. The
    # derivative w.r.t. y, x ** y * log(x), is taken as 0 at x == 0 (power_log): 0 ** y is 0
    # for all y > 0. Both are autograd's and JAX's conventions. (`y` may be a constant array.)
    if not (is_const(y) and np.ndim(y) == 0 and y == 0):  # x ** 0: no gradient at all
        if is_const(y) and np.ndim(y) == 0 and y == 2:
            d[x] = d[result] * 2 * x
        elif is_const(y) and np.ndim(y) == 0 and y == 1:
            d[x] = d[result]
        elif is_const(y) and np.ndim(y) == 0:
            d[x] = d[result] * y * x ** (y - 1)
        elif is_const(y):  # an array, list or tuple of exponents, zeros included
            d[x] = d[result] * np.multiply(y, x ** np.where(np.equal(y, 0), 1, np.subtract(y, 1)))
        else:
            d[x] = d[result] * y * x ** np.where(y == 0, 1, y - 1)
    if not is_const(y):
        if is_const(x) and np.all(np.not_equal(x, 0)):
            d[y] = d[result] * result * np.log(x)
        else:
            d[y] = d[result] * result * power_log(x)


@adjoint(operator.matmul, np.matmul)
def matmul(result, x, y):
    # With the operands' ranks known (code specialized to the arguments' shapes) the
    # adjoint is written out; otherwise runtime helpers handle every rank.
    if ndim(x) == 2 and ndim(y) == 2:
        d[x] = d[result] @ y.T
        d[y] = x.T @ d[result]
    elif ndim(x) == 2 and ndim(y) == 1:  # matrix @ vector
        d[x] = np.outer(d[result], y)
        d[y] = d[result] @ x
    elif ndim(x) == 1 and ndim(y) == 2:  # vector @ matrix
        d[x] = y @ d[result]
        d[y] = np.outer(x, d[result])
    elif ndim(x) == 1 and ndim(y) == 1:  # inner product
        d[x] = d[result] * y
        d[y] = d[result] * x
    else:
        d[x] = matmul_adjoint_left(d[result], x, y)
        d[y] = matmul_adjoint_right(d[result], x, y)


@adjoint(np.dot, method("dot"))
def dot(result, a, b, out=None):
    # np.dot is `@` only for 1-D and 2-D operands: a 0-d operand multiplies, and N-D ones
    # sum a's last axis against b's second-to-last, without broadcasting. The runtime
    # helpers handle every rank.
    d[a] = dot_adjoint_left(d[result], a, b)
    d[b] = dot_adjoint_right(d[result], a, b)


@adjoint(operator.mod, np.mod, np.remainder, elementwise=True)
def mod(result, x, y):
    # x % y == x - floor(x / y) * y, and floor is flat almost everywhere.
    d[x] = d[result]
    d[y] = -d[result] * np.floor(x / y)


# Comparisons, floor division, rounding and bitwise arithmetic carry no gradient
# (they are constant almost everywhere).
nondifferentiable(operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
                  operator.is_, operator.is_not, operator.not_, operator.and_, operator.or_,
                  operator.xor, operator.invert, operator.lshift, operator.rshift,
                  operator.floordiv, np.floor_divide,
                  np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
                  np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
                  np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf,
                  np.isfinite, np.any, np.all, np.isclose, np.allclose, np.count_nonzero)
