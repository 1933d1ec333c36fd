"""Helpers that generated gradient code calls.

Each is small and has a fast path for the common case (shapes already equal),
because generated code calls them once per op where shapes are not provably equal.
"""
import numpy as np

from .errors import NonScalarOutputError


def unbroadcast(g, x):
    """The cotangent `g` of a broadcast result, reduced to exactly `x`'s shape.

    Sums the leading axes `g` has and `x` lacks and the axes where `x` has length 1;
    a `g` smaller than `x` (rare: a broadcast scalar) is expanded into a new array.
    For a Python-number `x` returns a number.
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        return float(np.sum(g)) if isinstance(g, np.ndarray) else g
    gshape = getattr(g, "shape", ())
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, (n, m) in enumerate(zip(shape[max(0, -extra):], np.shape(g))) if n == 1 and m != 1)
    if axes:
        g = np.sum(g, axis=tuple(max(0, -extra) + i for i in axes), keepdims=True)
    if np.shape(g) != shape:
        g = np.array(np.broadcast_to(g, shape))
    return g


def unreduce(g, x, axis, keepdims):
    """Re-insert the axes a reduction of `x` over `axis` removed, so that `g` broadcasts
    against `x`. A scalar `g` is returned as is (it already broadcasts)."""
    if axis is None or keepdims or np.ndim(g) == 0:
        return g
    ndim = np.ndim(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(sorted(a % ndim for a in axes))
    result_ndim = ndim - len(axes)
    g = np.asarray(g)
    if g.ndim < result_ndim:
        g = g.reshape((1,) * (result_ndim - g.ndim) + g.shape)
    return np.expand_dims(g, axes)


def expand(g, x):
    """`g` (broadcast-compatible with `x`) with exactly `x`'s shape (a read-only view if broadcast)."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    return np.broadcast_to(g, shape)


def as_gradient(g, x):
    """The gradient returned to the user: `g` expanded to `x`'s shape, writable, and a
    Python float for a Python-number `x`."""
    if not hasattr(x, "shape"):
        return float(np.sum(g)) if np.ndim(g) else float(g)
    if type(g) is np.ndarray and g.shape == x.shape:
        return g
    return np.array(np.broadcast_to(g, x.shape), dtype=np.result_type(g, x.dtype), copy=True)


def zero_gradient(x):
    """The gradient of an argument the output does not depend on."""
    if not hasattr(x, "shape"):
        return 0.0
    return np.zeros(x.shape, dtype=np.result_type(x.dtype, np.float64) if x.dtype.kind in "biu" else x.dtype)


def scalar_seed(output, function_name):
    """The adjoint seed 1.0 for `grad`, after checking that the output is a scalar."""
    size = getattr(output, "size", None)
    if size == 1 or (size is None and isinstance(output, (float, int)) and not isinstance(output, bool)):
        return 1.0
    what = f"an array of shape {output.shape}" if size is not None else f"a {type(output).__name__}"
    raise NonScalarOutputError(
        f"sct.grad needs a scalar output, but {function_name} returned {what}",
        hint="Reduce the output to a scalar (e.g. np.sum or np.mean), or use sct.vjp(f, ...) "
             "to pull back a cotangent of the output's shape.")


def matmul_adjoint_left(g, a, b):
    """Adjoint of `a` in `a @ b` for 1-D and 2-D operands, and stacks of matrices."""
    if np.ndim(b) == 2 and np.ndim(g) == 2:
        return g @ b.T
    if np.ndim(b) == 1:
        if np.ndim(a) == 1:
            return g * b
        return np.multiply.outer(g, b)  # a (..., n) @ b (n,) -> (...)
    if np.ndim(a) == 1:
        return b @ g  # a (n,) @ b (n, m) -> (m,)
    return unbroadcast(g @ np.swapaxes(b, -1, -2), a)


def matmul_adjoint_right(g, a, b):
    """Adjoint of `b` in `a @ b` for 1-D and 2-D operands, and stacks of matrices."""
    if np.ndim(a) == 2 and np.ndim(g) == 2:
        return a.T @ g
    if np.ndim(a) == 1:
        if np.ndim(b) == 1:
            return g * a
        return np.multiply.outer(a, g)  # a (n,) @ b (..., n, m) -> (..., m)
    if np.ndim(b) == 1:
        return np.swapaxes(a, -1, -2) @ g  # a (m, n) @ b (n,) -> (m,)
    return unbroadcast(np.swapaxes(a, -1, -2) @ g, b)


def getitem_adjoint(g, x, index):
    """Adjoint of `x[index]`: zeros shaped like `x` with `g` added at `index`
    (np.add.at, so repeated integer indices accumulate)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, np.float64))
    np.add.at(out, index, g)
    return out
