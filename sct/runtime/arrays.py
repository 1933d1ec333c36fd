"""Adjoints of NumPy's shaping, joining, casting and reducing functions that need more than a line.

Helpers for the rules in rules/numpy_rules.py; each takes the cotangent `g` first and
returns the argument's adjoint in the argument's shape.
"""
import numpy as np

from ..errors import SctError
from .broadcasting import unreduce


def inverse_permutation(axes, x):
    """The axes that undo `np.transpose(x, axes)` (negative axes allowed)."""
    ndim = np.ndim(x)
    return tuple(np.argsort([a % ndim for a in axes]).tolist())


def concatenate_adjoint(g, arrays, axis=0, promote=None):
    """The adjoints of the items of np.concatenate(arrays, axis) given its cotangent `g`:
    the slice of `g` each item became, in the item's own shape. `promote` is what
    np.vstack / np.hstack apply to each item first (np.atleast_2d, np.atleast_1d);
    axis=None joins the items flattened. `arrays` may be one array, joined row by row
    (np.vstack(x)): its adjoint is then an array of its shape."""
    if axis is None:
        promote, axis = np.ravel, 0
    shapes = [np.shape(a) for a in arrays]
    sizes = [np.shape(promote(a) if promote else a)[axis] for a in arrays]
    parts = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    adjoints = [np.reshape(part, shape) for part, shape in zip(parts, shapes)]
    if isinstance(arrays, np.ndarray):
        return np.reshape(np.stack(adjoints), arrays.shape)
    return adjoints


def hstack_axis(arrays):
    """The axis np.hstack joins along: 0 for 1-d items, else 1."""
    return 0 if all(np.ndim(a) <= 1 for a in arrays) else 1


def _reduced_axes(axis, ndim):
    """The sorted, non-negative axes a reduction over `axis` (None, int or tuple) removes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


def clip_bound(bound, default):
    """A bound of np.clip given at run time: `bound`, or `default` (-inf, inf) for None."""
    return default if bound is None else bound


def prod_adjoint(g, result, a, axis, keepdims):
    """Adjoint of `np.prod(a, axis, keepdims=keepdims)`: `g` times the product of the
    *other* reduced entries. Where the product is finite and non-zero that is
    `result / a`; otherwise (zeros, underflow, overflow) the product of the others is
    formed from exclusive cumulative products, so zeros get their true gradient."""
    a = np.asarray(a)
    g = unreduce(g, a, axis, keepdims)
    full = unreduce(result, a, axis, keepdims)
    if np.all(np.isfinite(full)) and np.all(full != 0):
        return g * (full / a)
    axes = _reduced_axes(axis, a.ndim)
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    moved = np.transpose(a, kept + axes)
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=np.result_type(flat, np.float64))
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat[..., 1:], axis=-1)], axis=-1), axis=-1),
                    axis=-1)
    others = np.transpose((before * after).reshape(moved.shape), inverse_permutation(kept + axes, a))
    return g * others


def cast_adjoint(g, a, dtype):
    """Adjoint of a conversion of `a` to `dtype` (x.astype, np.asarray, np.array): the
    cotangent itself, reshaped to `a` (np.array's ndmin may add axes), for a float
    target; none (zeros) for an integer or boolean one, which is piecewise constant."""
    kind = np.dtype(dtype).kind if dtype is not None else "f"
    if kind in "biu":
        return np.zeros(np.shape(a), dtype=np.float64)
    if kind != "f":
        raise SctError(f"sct has no gradient through a conversion to {np.dtype(dtype)}",
                       hint="Only conversions to floating-point (gradient passes) and to integer or "
                            "boolean types (no gradient) are supported.")
    if np.ndim(g) == 0 or np.shape(g) == np.shape(a):
        return g
    return np.reshape(g, np.shape(a))


def ravel_adjoint(g, a, order):
    """Adjoint of `np.ravel(a, order)` / `a.flatten(order)` for any order, and of
    `np.reshape(a, shape, order)`: `g` put back in `a`'s shape in the order the entries
    were read ('A' and 'K' follow the memory layout of `a`)."""
    if order in ("A", "K"):
        a_ = np.asarray(a)
        if a_.flags.f_contiguous and not a_.flags.c_contiguous:
            order = "F"
        elif order == "A" or a_.flags.c_contiguous or a_.ndim <= 1:
            order = "C"
        else:  # 'K' of a non-contiguous array: let NumPy read C indices laid out like `a`
            steps = [s // a_.itemsize for s in a_.strides]
            offsets = sum(np.arange(n).reshape((n,) + (1,) * (a_.ndim - i - 1)) * step
                          for i, (n, step) in enumerate(zip(a_.shape, steps)))
            low = int(offsets.min())
            buffer = np.empty(int(offsets.max()) - low + 1, dtype=np.int64)
            buffer[offsets.ravel() - low] = np.arange(a_.size)
            like_a = np.lib.stride_tricks.as_strided(buffer[-low:], a_.shape, [8 * s for s in steps])
            out = np.empty(a_.size, dtype=np.result_type(g, np.float64))
            out[np.ravel(like_a, "K")] = np.ravel(g)
            return out.reshape(a_.shape)
    return np.reshape(g, np.shape(a), order=order)


def std_adjoint(g, result, a, axis, ddof, keepdims):
    """Adjoint of `np.std(a, axis, ddof=ddof, keepdims=keepdims)`: g (a - mean) / ((n - ddof) std)
    over groups of n entries. Where a group's spread is 0 (one entry, or equal entries) std
    has its minimum and a kink: the gradient there is 0, a subgradient, which is also what
    central differences give (std(c + h v) = std(c - h v)), and what makes std(x - x) constant."""
    a = np.asarray(a)
    n = a.size // max(1, np.size(result))
    g = unreduce(g, a, axis, keepdims)
    if n == 1 and ddof == 0:
        return np.zeros(a.shape, dtype=np.result_type(g, a, np.float64))
    spread = unreduce(result, a, axis, keepdims)
    spread = np.where(spread == 0, 1.0, spread)  # there a == its mean: the gradient is 0
    return g / ((n - ddof) * spread) * (a - np.mean(a, axis=axis, keepdims=True))


def power_log(x):
    """np.log(x), with 0 where x == 0: in the adjoint of x ** y w.r.t. y, x ** y * log(x)
    tends to 0 as x -> 0 for y > 0 (0 ** y is 0 there), so the gradient is 0, not 0 * -inf.
    (autograd's and JAX's convention, also at y <= 0, where 0 ** y has no derivative.)"""
    if np.ndim(x) == 0:
        return np.log(x) if x != 0 else 0.0
    return np.log(np.where(x == 0, 1.0, x))


def extreme_adjoints(g, result, a, axis, keepdims, initial, where):
    """The adjoints of `a` and `initial` in np.max/np.min(a, axis, keepdims=, initial=,
    where=): the cotangent of each result entry is shared equally by the entries of `a`
    (where selected) equal to it and by `initial` when it is equal too (max(max(a), initial))."""
    a = np.asarray(a)
    g = unreduce(np.broadcast_to(g, np.shape(result)), a, axis, keepdims)
    reached = unreduce(np.asarray(result), a, axis, keepdims)
    mask = a == reached
    if where is not None:
        mask = mask & np.broadcast_to(where, a.shape)
    tie = 0.0 if initial is None else (reached == initial).astype(np.float64)
    count = np.add.reduce(mask, axis=axis, keepdims=True) + tie
    return g * mask / count, np.sum(g * tie / count)
