"""Undoing broadcasting and reductions: a cotangent brought back to an argument's shape.

Each helper has a fast path for the common case (shapes already equal), because
generated code calls them once per op where shapes are not provably equal.
"""
import numpy as np


def unbroadcast(g, x, result=None):
    """The cotangent `g` of a broadcast result, reduced to exactly `x`'s shape.

    Sums the leading axes `g` has and `x` lacks and the axes where `x` has length 1;
    a `g` smaller than `x` (rare: a broadcast scalar) is expanded into a new array.
    For a Python-number `x` returns a Python float.

    `result` (the op's result) is passed where the transform cannot prove that `g` has
    the result's shape: `g` may then be a scalar standing for the whole broadcast
    result, and it is expanded to the result first, so that each entry counts once
    per copy of `x` (without it, a scalar `g` would pass for `x`'s own cotangent).
    """
    if result is not None:
        shape = np.shape(result)
        if np.shape(g) != shape:
            g = np.broadcast_to(g, shape)  # a view: the sums below read it once per entry
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
    """`g` (broadcast-compatible with `x`) with exactly `x`'s shape (a read-only view if broadcast).
    An adjoint that is a container (its items' adjoints) is exact already: `g` itself."""
    if type(g) in (list, tuple, dict):
        return g
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    return np.broadcast_to(g, shape)


def broadcast_copies(result, x):
    """How many times `x` was repeated when broadcast to `result`'s shape."""
    return np.size(result) // np.size(x)
