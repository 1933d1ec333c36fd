"""Adjoints of NumPy's constructors that make arrays from float arguments.

np.linspace, np.logspace, np.geomspace and np.meshgrid.
Each helper takes the cotangent `g` of the result first and returns the adjoint of
one argument in that argument's shape, or raises SctError for a form it cannot
differentiate (never a wrong gradient).
"""
import numpy as np

from ..errors import SctError
from .broadcasting import unbroadcast


def _float_result(dtype, what):
    """Whether a constructor asked for `dtype` keeps the derivative: True for floats and
    None (NumPy infers a float from float arguments), False for integers and booleans
    (the values are truncated: piecewise constant); complex raises."""
    if dtype is None:
        return True
    kind = np.dtype(dtype).kind
    if kind == "f":
        return True
    if kind in "biu":
        return False
    raise SctError(f"sct has no gradient through {what} with dtype={np.dtype(dtype)}",
                   hint="Make the array with a floating-point dtype.")


def _zeros_like(x):
    return 0.0 if np.ndim(x) == 0 and not hasattr(x, "shape") else np.zeros(np.shape(x))


def _sample_positions(num, endpoint):
    """The fractions t_i of the way from start to stop of linspace's samples: i / (num - 1)
    with the endpoint, i / num without (just the start for a single sample)."""
    div = (num - 1) if endpoint else num
    i = np.arange(num, dtype=np.float64)
    return i / div if div > 0 else i * 0.0


def _along_samples(g, weights, axis):
    """sum_i weights[i] * g[..., i, ...] over the sample axis `axis` of `g`."""
    return np.tensordot(weights, np.moveaxis(np.asarray(g, dtype=np.float64), axis, 0), axes=1)


def linspace_adjoint(g, result, start, stop, num, endpoint, retstep, dtype, axis, which):
    """Adjoint of `start` (which=0) or `stop` (which=1) in np.linspace(start, stop, num, ...):
    sample i is start + t_i (stop - start), so it is sum_i g_i (1 - t_i), or sum_i g_i t_i,
    reduced to the argument's shape (start and stop broadcast against each other). `g`
    may be a scalar standing for the whole result."""
    if retstep:
        raise SctError("sct does not differentiate np.linspace(..., retstep=True)",
                       hint="Compute the step yourself: step = (stop - start) / (num - 1).")
    x = stop if which else start
    if not _float_result(dtype, "np.linspace"):
        return _zeros_like(x)
    t = _sample_positions(int(num), endpoint)
    g = np.broadcast_to(g, np.shape(result))
    return unbroadcast(_along_samples(g, t if which else 1.0 - t, axis), x)


def logspace_adjoint(g, result, start, stop, num, endpoint, base, dtype, axis, which):
    """Adjoint of `start` (0), `stop` (1) or `base` (2) in np.logspace, which is
    base ** np.linspace(start, stop, ...) with base given an axis at `axis`."""
    x = (start, stop, base)[which]
    if not _float_result(dtype, "np.logspace"):
        return _zeros_like(x)
    ndim = np.broadcast(start, stop, base).ndim  # np.logspace gives all three this many axes
    start_, stop_, base_ = (np.array(a, dtype=np.float64, ndmin=ndim) for a in (start, stop, base))
    axis = axis % (ndim + 1)
    base_ = np.expand_dims(base_, axis)
    g = np.asarray(g, dtype=np.float64)
    if which == 2:
        exponent = np.linspace(start_, stop_, int(num), endpoint, axis=axis)
        part = np.sum(g * exponent * np.power(base_, exponent - 1.0), axis=axis, keepdims=True)
        return np.reshape(unbroadcast(part, base_), np.shape(base))
    gy = g * result * np.log(base_)  # the cotangent of the exponents
    part = linspace_adjoint(gy, gy, start_, stop_, num, endpoint, False, None, axis, which)
    return np.reshape(part, np.shape(x))


def geomspace_adjoint(g, result, start, stop, num, endpoint, dtype, axis, which):
    """Adjoint of `start` (0) or `stop` (1) in np.geomspace: sample i is
    start ** (1 - t_i) * stop ** t_i (same signs), whose derivatives are
    (1 - t_i) * sample / start and t_i * sample / stop."""
    x = stop if which else start
    if not _float_result(dtype, "np.geomspace"):
        return _zeros_like(x)
    t = _sample_positions(int(num), endpoint)
    weights = t if which else 1.0 - t
    ndim = np.ndim(result)
    axis = axis % ndim
    shape = [1] * ndim
    shape[axis] = len(t)
    scaled = np.asarray(g, dtype=np.float64) * result * np.reshape(weights, shape)
    part = np.sum(scaled, axis=axis) / np.asarray(x, dtype=np.float64)
    return unbroadcast(part, x)


def _item_adjoints(g, result):
    """The items' adjoints of a tuple (or list) result, each expanded to its item's shape
    (a scalar stands for the whole item; 0.0 means none). The adjoints of several reads
    of the items (`X, Y = np.meshgrid(x, y)`: one list per read, each with 0.0 for the
    other item) may arrive joined by `+` into one longer list: they are added item by item."""
    count = len(result)
    if type(g) is float:
        return [np.zeros(np.shape(r)) for r in result]
    g = list(g)
    if len(g) % count:
        raise SctError(f"sct got an adjoint of {len(g)} items for a result of {count} arrays",
                       hint="Unpack the result into names first: X, Y = np.meshgrid(x, y).")
    items = [np.zeros(np.shape(r)) for r in result]
    for start in range(0, len(g), count):
        for k in range(count):
            items[k] = items[k] + g[start + k]
    return [np.broadcast_to(item, np.shape(r)) for item, r in zip(items, result)]


def meshgrid_adjoint(g, result, xi, indexing):
    """The adjoints of the inputs of np.meshgrid(*xi, indexing=...): input k (flattened)
    runs along one axis of output k, so its adjoint is output k's cotangent summed over
    the other axes ('xy' indexing swaps the first two; with sparse=True the other axes
    have length 1)."""
    parts = _item_adjoints(g, result)
    count = len(xi)
    adjoints = []
    for k, (x, part) in enumerate(zip(xi, parts)):
        axis = k
        if indexing == "xy" and count > 1 and k < 2:
            axis = 1 - k
        others = tuple(i for i in range(np.ndim(part)) if i != axis)
        adjoints.append(np.reshape(np.sum(part, axis=others), np.shape(x)))
    return adjoints
