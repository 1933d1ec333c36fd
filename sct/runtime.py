"""Helpers that generated gradient code calls.

Each is small and has a fast path for the common case (shapes already equal),
because generated code calls them once per op where shapes are not provably equal.
"""
import numpy as np

from .errors import NonScalarOutputError, UnsupportedSyntaxError


def stack_row_adjoints(rows, x, path=()):
    """The adjoint of an array a loop iterated row by row: `rows` holds the adjoints of
    the rows it visited, last row first (the order the reversed loop made them); `path`
    leads to x's row in each (the loop went over zip(...) or enumerate(...): (k,), ...).
    For a list or tuple, a list of its items' adjoints (0.0 for items not reached)."""
    for key in path:
        rows = [item_adjoint(row, key) for row in rows]
    if type(x) in (list, tuple):
        return list(reversed(rows)) + [0.0] * (len(x) - len(rows))
    out = np.zeros(np.shape(x), dtype=np.result_type(getattr(x, "dtype", float), np.float64))
    for i, g in enumerate(reversed(rows)):
        out[i] += g
    return out


def without_items(g, result, index):
    """Adjoint of the array written into by `y[index] = v`: the cotangent of the result
    with the written entries zeroed (their old values no longer reach the output). For a
    list or dict made at run time (`stats["sum"] = ...`), the item's adjoint is zeroed."""
    if type(result) in (list, dict):
        if type(g) is float:  # the zero adjoint
            return g
        out = dict(g) if type(g) is dict else list(g)
        out[index] = 0.0
        return out
    out = np.array(np.broadcast_to(g, np.shape(result)), dtype=np.result_type(g, np.float64))
    out[index] = 0
    return out


def items_of(g, result, index):
    """Adjoint of the value written by `y[index] = v`: the cotangent at those entries. An
    integer-array index may name an entry twice; NumPy keeps the last value written
    there, so only that one gets the cotangent. Into an integer array, v is truncated:
    no derivative."""
    if type(result) in (list, dict):
        return item_adjoint(g, index)
    items = np.broadcast_to(g, np.shape(result))[index]
    if result.dtype.kind in "biu":  # written into an integer array: truncated, no derivative
        return np.zeros(np.shape(items))
    if not _has_index_array(index):
        return items
    positions = np.arange(np.size(result)).reshape(np.shape(result))[index].ravel()
    last = np.zeros(positions.size, dtype=bool)
    last[positions.size - 1 - np.unique(positions[::-1], return_index=True)[1]] = True
    return items * last.reshape(np.shape(items)) if not last.all() else items


def _has_index_array(index):
    """Whether `index` holds an integer array or list (advanced indexing, which may repeat)."""
    parts = index if type(index) is tuple else (index,)
    return any(isinstance(p, (np.ndarray, list)) and np.asarray(p).dtype.kind in "iu" for p in parts)


def check_rebinding(value, statement, alias, loc):
    """Before `x += ...` where `alias` (a name, or words for a list holding it) refers to
    x's value or shares its memory: fine for a number (x is rebound, alias keeps the old
    value), refused for an array, which NumPy would change in place, alias included."""
    if isinstance(value, np.ndarray):
        name = statement.split()[0]
        who = f"`{alias}`" if alias.isidentifier() else alias
        raise UnsupportedSyntaxError(
            f"`{statement} ...` would change an array that {who} also refers to", loc,
            hint=f"NumPy updates arrays in place, so {who} would change too. Write "
                 f"`{name} = {name} {statement.split()[1][:-1]} ...` to make a new array.")


def first_items(iterable, count):
    """The first `count` items a `for` loop took from `iterable` before a `break`."""
    return iterable[:count]


def check_unpack(value, count):
    """Raise the ValueError Python raises when `a, b = value` has the wrong length."""
    length = len(value)
    if length > count:
        raise ValueError(f"too many values to unpack (expected {count})")
    if length < count:
        raise ValueError(f"not enough values to unpack (expected {count}, got {length})")


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


def concatenate_adjoint(g, arrays, axis=0, promote=None):
    """The adjoints of the items of np.concatenate(arrays, axis) given its cotangent `g`:
    the slice of `g` each item became, in the item's own shape. `promote` is what
    np.vstack / np.hstack apply to each item first (np.atleast_2d, np.atleast_1d)."""
    shapes = [np.shape(a) for a in arrays]
    sizes = [np.shape(promote(a) if promote else a)[axis] for a in arrays]
    parts = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return [np.reshape(part, shape) for part, shape in zip(parts, shapes)]


def hstack_axis(arrays):
    """The axis np.hstack joins along: 0 for 1-d items, else 1."""
    return 0 if all(np.ndim(a) <= 1 for a in arrays) else 1


# ---- lists, tuples and dicts made at run time. The adjoint of one holds its items'
# adjoints: a list (a dict for a dict), an array of them stacked, or the zero 0.0.


def appended(items, item):
    """`items + [item]`: what `items.append(item)` leaves. A new list, so that a value
    the adjoint reads later is the list as it was then."""
    return [*items, item]


def last_item(g):
    """The last item's adjoint in a list's adjoint `g`."""
    return g if type(g) is float else g[-1]


def all_but_last(g):
    """The adjoint of the list before an append, from the adjoint `g` after it."""
    return g if type(g) is float else g[:-1]


def add_item_adjoints(a, b):
    """a + b for two adjoints of one list, tuple or dict: item by item."""
    if type(a) is float:
        return b
    if type(b) is float:
        return a
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a + b
    if isinstance(a, dict):
        return {k: _add_items(a.get(k, 0.0), b.get(k, 0.0)) for k in {**a, **b}}
    return [_add_items(x, y) for x, y in zip(a, b)]


def _add_items(x, y):
    """Two adjoints of one item; an item that is a container itself adds item by item."""
    if type(x) in (list, dict) or type(y) in (list, dict):
        return add_item_adjoints(x, y)
    return x + y


def object_like(template, attributes):
    """A new object of `template`'s class holding `attributes`: the gradient of an
    object argument (its attributes' gradients under their names)."""
    made = type(template).__new__(type(template))
    made.__dict__.update(attributes)
    return made


def item_adjoint(g, key):
    """Item `key`'s adjoint in the adjoint `g` of a list, tuple or dict (which may be the zero 0.0)."""
    return g if type(g) is float else g[key]


def default_adjoint(g, mapping, key):
    """The adjoint of `default` in `mapping.get(key, default)`: `g` when the key is missing."""
    return 0.0 if key in mapping else g


def sum_adjoint(g, items):
    """The items' adjoints of `sum(items)`: `g` for each, summed to its shape."""
    return [unbroadcast(g, x) for x in items]


def add_at(g, x, index, acc):
    """`acc + getitem_adjoint(g, x, index)` written into `acc`, the accumulator a reversed
    loop owns (its first value is 0.0 or a private copy): O(size of g), not O(size of x).
    A scalar or broadcast `acc` becomes an array of x's shape first."""
    if type(x) is not np.ndarray:
        return acc + getitem_adjoint(g, x, index)
    if type(acc) is not np.ndarray or acc.shape != x.shape or not acc.flags.writeable:
        acc = np.array(np.broadcast_to(acc, x.shape), dtype=np.result_type(acc, g, np.float64))
    if _has_index_array(index):
        np.add.at(acc, index, g)  # repeated indices accumulate
    else:
        acc[index] += g
    return acc


def solve_adjoint_b(g, a):
    """The adjoint of b in x = np.linalg.solve(a, b): solve(a^T, g)."""
    return np.linalg.solve(np.swapaxes(a, -1, -2), g)


def solve_adjoint_a(g, a, x):
    """The adjoint of a in x = np.linalg.solve(a, b): -(a^-T g) x^T (an outer product for a vector b)."""
    gb = solve_adjoint_b(g, a)
    if np.ndim(x) == 1:
        return -np.outer(gb, x)
    return -(gb @ np.swapaxes(x, -1, -2))


def private_copy(value):
    """An array the caller may write into: a copy of an array, any other value itself."""
    return np.array(value) if isinstance(value, np.ndarray) else value


def getitem_adjoint(g, x, index):
    """Adjoint of `x[index]`: zeros shaped like `x` with `g` added at `index`
    (np.add.at, so repeated integer indices accumulate); for a list, tuple or dict,
    its items' adjoints with `g` at `index`."""
    if type(x) in (list, tuple):
        out = [0.0] * len(x)
        out[index] = g
        return out
    if type(x) is dict:
        return {k: g if k == index else 0.0 for k in x}
    out = np.zeros(np.shape(x), dtype=np.result_type(g, np.float64))
    np.add.at(out, index, g)
    return out


# ---- helpers for the rules of less common NumPy functions (rules/numpy_rules.py)


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


def _norm_unsupported(what):
    from .errors import SctError
    raise SctError(f"sct has no gradient for np.linalg.norm with {what}",
                   hint="Supported: vector norms (ord None, 2, 1, np.inf, -np.inf, 0 or any other number, "
                        "over a 1-D array or along an int axis) and the Frobenius norm (ord None or 'fro' "
                        "over a 2-D array or a pair of axes). Write other norms with supported operations, "
                        "e.g. np.sqrt(np.sum(x ** 2)).")


def norm_adjoint(g, result, x, ord, axis, keepdims):
    """Adjoint of `np.linalg.norm(x, ord, axis, keepdims)` for vector norms and the
    Frobenius norm; raises SctError for the matrix norms it does not support
    (never a wrong gradient). Ties of the inf-norms share the cotangent evenly."""
    x = np.asarray(x)
    if axis is None:
        if ord is None:
            return g / result * x  # 2-norm of all entries, any rank
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            if ord == "fro":
                return g / result * x
            _norm_unsupported(f"ord={ord!r} of a 2-D array (a matrix norm)")
        else:
            _norm_unsupported(f"ord={ord!r} of a {x.ndim}-D array")
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        if ord is None or ord == "fro":
            return unreduce(g / result, x, axis, keepdims) * x
        _norm_unsupported(f"ord={ord!r} over the axes {tuple(axis)} (a matrix norm)")
    if isinstance(axis, (tuple, list)):
        if len(axis) != 1:
            _norm_unsupported(f"axis={axis!r}")
        axis = axis[0]
    g = unreduce(g, x, axis, keepdims)
    r = unreduce(result, x, axis, keepdims)
    if ord is None or ord == 2:
        return g / r * x
    if ord == 1:
        return g * np.sign(x)
    if ord in (np.inf, -np.inf):
        mask = np.abs(x) == r
        return g * np.sign(x) * mask / np.add.reduce(mask, axis=axis, keepdims=True)
    if isinstance(ord, str):
        _norm_unsupported(f"ord={ord!r} for a vector norm")
    if ord == 0:  # the number of non-zero entries: piecewise constant
        return np.zeros(x.shape, dtype=np.result_type(g, np.float64))
    return g * np.sign(x) * (np.abs(x) / r) ** (ord - 1)


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of `np.diagonal(a, offset, axis1, axis2)` (and, with `g` given one entry per
    matrix, of `np.trace`): zeros shaped like `a` with `g` on the diagonal. `g` may be
    anything that broadcasts to the diagonal's shape."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, np.float64))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))  # a writable view of `out`
    n, m = view.shape[-2:]
    length = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    i = np.arange(length)
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of `np.trace(a, offset, axis1, axis2)`: `g` on each matrix's diagonal."""
    return diagonal_adjoint(np.asarray(g)[..., None], a, offset, axis1, axis2)


def diag_adjoint(g, v, k=0):
    """Adjoint of `np.diag(v, k)`: the k-th diagonal of `g` for a 1-D `v`; for a 2-D `v`,
    zeros shaped like `v` with `g` on the k-th diagonal."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k)


def inner_adjoint_left(g, a, b):
    """Adjoint of `a` in `np.inner(a, b)` (the sum product over the last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:  # np.inner is multiplication then
        return unbroadcast(g * b, a)
    g = np.broadcast_to(g, np.shape(a)[:-1] + np.shape(b)[:-1])
    nb = np.ndim(b) - 1
    return np.tensordot(g, b, axes=(tuple(range(g.ndim - nb, g.ndim)), tuple(range(nb))))


def inner_adjoint_right(g, a, b):
    """Adjoint of `b` in `np.inner(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    g = np.broadcast_to(g, np.shape(a)[:-1] + np.shape(b)[:-1])
    na = np.ndim(a) - 1
    return np.tensordot(g, a, axes=(tuple(range(na)), tuple(range(na))))


def cast_adjoint(g, a, dtype):
    """Adjoint of a conversion of `a` to `dtype` (x.astype, np.asarray, np.array): the
    cotangent itself, reshaped to `a` (np.array's ndmin may add axes), for a float
    target; none (zeros) for an integer or boolean one, which is piecewise constant."""
    from .errors import SctError
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
    """Adjoint of `np.ravel(a, order)` / `a.flatten(order)` for any order: `g` put back
    in `a`'s shape in the order the entries were read."""
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


def call_with_pullback(fn, wrt, *args, **kwargs):
    """`(fn(*args, **kwargs), pullback)` for a recursive call: the pullback of sct's VJP of
    the user's function `fn` for the parameter indices `wrt` returns a tuple of gradients,
    in `wrt`'s order. The VJP is looked up (compiled the first time) here, at run time:
    compiling it along with the caller would compile the recursive call inside it, and
    that one's, forever. The cache checks it is current like any gradient's."""
    from . import api  # api imports the compiler, which imports this module
    entry = api._vjp_specializations(fn, wrt, True).entry(args, kwargs)
    try:
        value, pullback = entry.function(*args, **kwargs)
    except Exception as e:
        _locate(e, entry, fn)
        raise

    def located_pullback(cotangent):
        try:
            return pullback(cotangent)
        except Exception as e:
            _locate(e, entry, fn)
            raise

    return value, located_pullback


def _locate(error, entry, fn):
    """Point an exception from the compiled code of a recursive call at the user's line,
    once: the innermost call is the most precise, the levels it passes through add nothing."""
    from . import api
    if not any(note.startswith("sct: ") for note in getattr(error, "__notes__", ())):
        api._annotate(error, entry, fn)
