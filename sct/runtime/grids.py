"""Adjoints of NumPy's constructors that make arrays from float arguments.

np.linspace, np.logspace, np.geomspace and np.meshgrid, and the index objects np.r_,
np.c_ and np.mgrid, whose "index" is their data (`np.r_[x, 0.0]`, `np.mgrid[a:b:5j]`).
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


# ---- np.r_, np.c_ and np.mgrid: the items of the index are the data

_CONCATENATORS = (type(np.r_), type(np.c_))
_GRIDS = (type(np.mgrid),)


def _refuse_index(maker, why=""):
    names = {type(np.r_): "np.r_", type(np.c_): "np.c_", type(np.mgrid): "np.mgrid", type(np.ogrid): "np.ogrid",
             type(np.s_): "np.s_ / np.index_exp"}
    known = names.get(type(maker))
    if known is None:
        raise SctError(f"sct cannot differentiate through the index of a {type(maker).__name__} object "
                       f"(obj[index] with a computed index){why}",
                       hint="Pass the object to the function and call a method of it instead (sct inlines "
                            "the methods of objects it is given), or compute the value with NumPy operations.")
    raise SctError(f"sct cannot differentiate through the items of {known}[...]{why}",
                   hint="Build the array with functions sct differentiates: np.concatenate, np.stack, "
                        "np.linspace(a, b, n), np.arange(a, b, h), np.meshgrid(..., indexing='ij').")


def index_object_adjoint(g, maker, index):
    """The adjoints of the items of `maker[index]`, for maker np.r_ or np.c_ (the items
    are joined) or np.mgrid (slices `a:b:nj` / `a:b:h` are grids): one per item of a
    tuple index (0.0 for directive strings), or the single item's. A slice's adjoint is
    the cotangent of the 1-D grid it stands for (slice_adjoint takes it to the bounds)."""
    items = index if type(index) is tuple else (index,)
    if isinstance(maker, _CONCATENATORS):
        adjoints = _concatenator_adjoint(g, maker, items)
    elif isinstance(maker, _GRIDS):
        adjoints = _grid_adjoint(g, items, type(index) is tuple)
    else:
        _refuse_index(maker)
    return adjoints if type(index) is tuple else adjoints[0]


def _concatenator_adjoint(g, maker, items):
    """np.r_ / np.c_ only move entries: each entry of the result is a copy of one entry of
    one item (or of a slice's grid). The same call on items replaced by distinct labels
    1, 2, ... says which: the cotangent is summed per label (np.bincount), and each item
    takes back its own labels' sums, in its own shape."""
    labelled, spans, offset = [], [], 1
    for item in items:
        if isinstance(item, str):  # a directive such as '0,2' or 'r'
            labelled.append(item)
            spans.append(None)
            continue
        if isinstance(item, slice):
            shape = np.shape(np.r_[item])  # the 1-D grid the slice stands for
        else:
            shape = np.shape(item)
        size = int(np.prod(shape, dtype=np.int64))
        labels = np.arange(offset, offset + size, dtype=np.float64).reshape(shape)
        scalar = type(item) in np.ScalarType  # NumPy treats scalars apart from 0-d arrays
        labelled.append(float(labels) if scalar else labels)
        spans.append((offset - 1, size, shape, scalar))
        offset += size
    where = np.asarray(maker[tuple(labelled)])
    g = np.asarray(g, dtype=np.float64)
    if where.shape != g.shape:
        _refuse_index(maker, f" (its cotangent has shape {g.shape}, its result {where.shape})")
    sums = np.bincount(where.ravel().astype(np.int64) - 1, weights=g.ravel(), minlength=offset - 1)
    adjoints = []
    for span in spans:
        if span is None:
            adjoints.append(0.0)
            continue
        first, size, shape, scalar = span
        part = sums[first:first + size]
        adjoints.append(float(part[0]) if scalar else part.reshape(shape))
    return adjoints


def _grid_adjoint(g, items, many):
    """np.mgrid[s] is the 1-D grid of slice s; np.mgrid[s0, s1, ...] stacks the grids
    broadcast against each other ('ij'): grid k runs along axis k of result[k]."""
    if not all(isinstance(item, slice) for item in items):
        _refuse_index(np.mgrid, " (only slices)")
    g = np.asarray(g, dtype=np.float64)
    if not many:
        return [g]
    count = len(items)
    return [np.sum(g[k], axis=tuple(i for i in range(count) if i != k)) for k in range(count)]


def slice_adjoint(g, bounds, count):
    """The adjoints of the `count` arguments of slice(...) (stop; start, stop; or start,
    stop, step) given the cotangent `g` of the grid it stands for in np.r_[...] or
    np.mgrid[...]: a complex step `nj` makes np.linspace(start, stop, n), a real one
    np.arange(start, stop, step) (sample i is start + i * step: the stop only decides
    how many there are)."""
    g = np.asarray(g, dtype=np.float64).ravel()
    step = bounds.step
    if isinstance(step, (complex, np.complexfloating)):
        t = _sample_positions(g.size, True)
        start, stop, step = float(np.sum(g * (1.0 - t))), float(np.sum(g * t)), 0.0
    else:
        start, stop, step = float(np.sum(g)), 0.0, float(np.sum(g * np.arange(g.size)))
    return [stop] if count == 1 else [start, stop] if count == 2 else [start, stop, step]
