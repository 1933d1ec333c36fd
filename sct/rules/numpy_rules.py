"""Adjoint rules for NumPy functions, array methods and attributes."""
import builtins
import operator

import numpy as np

from ..runtime import getitem_adjoint, inverse_permutation, unreduce
from .arithmetic import matmul
from .registry import adjoint, attribute, method, nondifferentiable

# x.dot(y) is np.dot(x, y): the same template.
adjoint(method("dot"))(matmul)

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


# ---- reductions: the cotangent of the result may still be a broadcast scalar


@adjoint(np.sum, method("sum"), exact_cotangent=False)
def sum_(result, a, axis=None, keepdims=False):
    if axis is None or keepdims or is_scalar(d[result]):
        d[a] = d[result]  # already broadcasts against `a`
    else:
        d[a] = unreduce(d[result], a, axis, keepdims)


@adjoint(np.mean, method("mean"), exact_cotangent=False)
def mean(result, a, axis=None, keepdims=False):
    if axis is None:
        d[a] = d[result] / np.size(a)
    elif keepdims or is_scalar(d[result]):
        d[a] = d[result] * (np.size(result) / np.size(a))
    else:
        d[a] = unreduce(d[result], a, axis, keepdims) * (np.size(result) / np.size(a))


@adjoint(np.max, np.amax, method("max"), exact_cotangent=False)
def max_(result, a, axis=None, keepdims=False):
    # Ties share the cotangent equally, so the rule is the gradient of a symmetric function.
    if axis is None:
        mask = a == result
        d[a] = d[result] * mask / np.sum(mask)
    elif keepdims:
        mask = a == result
        d[a] = d[result] / np.add.reduce(mask, axis=axis, keepdims=True) * mask
    else:
        mask = a == unreduce(result, a, axis, keepdims)
        d[a] = unreduce(d[result], a, axis, keepdims) / np.add.reduce(mask, axis=axis, keepdims=True) * mask


@adjoint(np.min, np.amin, method("min"), exact_cotangent=False)
def min_(result, a, axis=None, keepdims=False):
    if axis is None:
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
    d[a] = np.reshape(d[result], np.shape(a), order=order)


@adjoint(method("reshape"))
def reshape_method(result, a, *shape, order="C"):
    d[a] = np.reshape(d[result], np.shape(a), order=order)


@adjoint(operator.getitem)
def getitem(result, x, index):
    d[x] = getitem_adjoint(d[result], x, index)


nondifferentiable(attribute("shape"), attribute("ndim"), attribute("size"), attribute("dtype"),
                  np.shape, np.ndim, np.size, builtins.len, builtins.int, builtins.bool, builtins.round,
                  np.argmax, np.argmin, np.argsort, np.zeros_like, np.ones_like, np.zeros, np.ones,
                  np.arange, np.eye, np.empty_like, np.full, np.full_like, np.linspace, builtins.slice,
                  builtins.range, builtins.isinstance)
