"""Helpers that generated gradient code calls.

Each is small and has a fast path for the common case (shapes already equal),
because generated code calls them once per op where shapes are not provably equal.
"""
import numpy as np

from .errors import NonScalarOutputError


def check_unpack(value, count):
    """Raise the ValueError Python raises when `a, b = value` has the wrong length."""
    length = len(value)
    if length > count:
        raise ValueError(f"too many values to unpack (expected {count})")
    if length < count:
        raise ValueError(f"not enough values to unpack (expected {count}, got {length})")


def unbroadcast(g, x):
    """The cotangent `g` of a broadcast result, reduced to exactly `x`'s shape.

    Sums the leading axes `g` has and `x` lacks and the axes where `x` has length 1;
    a `g` smaller than `x` (rare: a broadcast scalar) is expanded into a new array.
    For a Python-number `x` returns a Python float.
    """
    try:
        shape = x.shape
        gshape = g.shape
    except AttributeError:
        shape = getattr(x, "shape", None)
        if shape is None:  # a Python number: its gradient is a Python float
            return g if type(g) is float else float(np.sum(g))
        gshape = np.shape(g)
        if gshape == shape:
            return g  # a Python number for a 0-d x: keeps x's dtype in later arithmetic
        g = np.asarray(g)
    if gshape == shape:
        return g
    extra = len(gshape) - len(shape)
    if extra < 0:  # g broadcasts along leading axes of x: it is the same for each of them
        g = np.reshape(g, (1,) * -extra + gshape)
        gshape, extra = g.shape, 0
    # The two layouts broadcasting produces most (a bias over a batch, a keepdims
    # statistic) take one C-level reduction; the general case below handles the rest.
    # np.add.reduce is np.sum without its Python-level dispatch.
    if extra == 1 and gshape[1:] == shape:
        return np.add.reduce(g, axis=0)
    if extra > 0:
        g = np.add.reduce(g, axis=tuple(range(extra)))
        gshape = g.shape
    if len(gshape) == len(shape):
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and gshape[i] != 1)
        if axes:
            g = np.add.reduce(g, axis=axes, keepdims=True)
    if g.shape != shape:
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
    """The gradient returned to the user: a writable array of `x`'s shape (`g` itself
    when it already is one), or a Python float for a Python-number `x`."""
    shape = getattr(x, "shape", None)
    if shape is None:
        return float(np.sum(g)) if np.ndim(g) else float(g)
    if type(g) is np.ndarray and g.shape == shape and g.flags.writeable:
        return g
    return np.array(np.broadcast_to(g, shape), dtype=np.result_type(g, x.dtype), copy=True)


def broadcast_copies(result, x):
    """How many times `x` was repeated when broadcast to `result`'s shape."""
    return np.size(result) // np.size(x)


def copy_gradient(g, x):
    """`as_gradient(g, x)` in memory of its own: used when another gradient returned
    beside it may be the same array."""
    gradient = as_gradient(g, x)
    return gradient.copy() if gradient is g and isinstance(g, np.ndarray) else gradient


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


def _ndim(x):
    ndim = getattr(x, "ndim", None)  # np.ndim costs ten times more on arrays
    return np.ndim(x) if ndim is None else ndim


def matmul_adjoint_left(g, a, b):
    """Adjoint of `a` in `a @ b` for 1-D and 2-D operands, and stacks of matrices."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if b_ndim == 2 and a_ndim == 2:
        return g @ b.T
    if b_ndim == 1:
        if a_ndim == 1:
            return g * b
        return np.multiply.outer(g, b)  # a (..., n) @ b (n,) -> (...)
    if a_ndim == 1:
        return unbroadcast(b @ g[..., None], a[:, None])[:, 0] if g.ndim > 1 else b @ g
    return unbroadcast(g @ np.swapaxes(b, -1, -2), a)


def matmul_adjoint_right(g, a, b):
    """Adjoint of `b` in `a @ b` for 1-D and 2-D operands, and stacks of matrices."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if a_ndim == 2 and b_ndim == 2:
        return a.T @ g
    if a_ndim == 1:
        if b_ndim == 1:
            return g * a
        return np.multiply.outer(a, g) if b_ndim == 2 else a[:, None] * g[..., None, :]
    if b_ndim == 1:
        return unbroadcast(np.swapaxes(a, -1, -2) @ g[..., None], b[:, None])[:, 0]
    return unbroadcast(np.swapaxes(a, -1, -2) @ g, b)


def inverse_permutation(axes, x):
    """The axes that undo `np.transpose(x, axes)` (negative axes allowed)."""
    ndim = np.ndim(x)
    return tuple(np.argsort([a % ndim for a in axes]).tolist())


def getitem_adjoint(g, x, index):
    """Adjoint of `x[index]`: zeros shaped like `x` with `g` added at `index`
    (np.add.at, so repeated integer indices accumulate)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, np.float64))
    np.add.at(out, index, g)
    return out
