"""Adjoints of reading and writing items: `x[index]` and `y[index] = v`, of arrays and containers.

Repeated integer indices follow NumPy: a read of an entry twice adds both
cotangents there; a write keeps the last value written, so only that one gets one.
"""
import numpy as np

from .containers import item_adjoint


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


def added_at(x, index, values):
    """`np.add.at(x, index, values)` on a copy of x: values added once per occurrence of an
    index (in the dtype of x, as NumPy does)."""
    out = np.array(x, copy=True)
    np.add.at(out, index, values)
    return out


def occurrences_of(g, result, index):
    """Adjoint of the values in `added_at(x, index, values)`: the cotangent at each
    occurrence of an index (each one added its value). Into an integer array: no derivative."""
    items = np.broadcast_to(g, np.shape(result))[index]
    if np.asarray(result).dtype.kind in "biu":
        return np.zeros(np.shape(items))
    return items
