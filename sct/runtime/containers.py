"""Lists, tuples and dicts made at run time, and their adjoints.

The adjoint of a container holds its items' adjoints: a list (a dict for a dict), an
array of them stacked, or the zero 0.0 when nothing reached it.
"""
import numpy as np

from .broadcasting import unbroadcast


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
        return {k: add_adjoints(a.get(k, 0.0), b.get(k, 0.0)) for k in {**a, **b}}
    return [add_adjoints(x, y) for x, y in zip(a, b)]


def add_adjoints(x, y):
    """x + y for two adjoints of a value whose kind is known only at run time (a recursive
    call's output, an item of one): item by item when it is a container."""
    if type(x) in (list, dict) or type(y) in (list, dict):
        return add_item_adjoints(x, y)
    return x + y


def item_adjoint(g, key):
    """Item `key`'s adjoint in the adjoint `g` of a list, tuple or dict (which may be the zero 0.0)."""
    return g if type(g) is float else g[key]


def default_adjoint(g, mapping, key):
    """The adjoint of `default` in `mapping.get(key, default)`: `g` when the key is missing."""
    return 0.0 if key in mapping else g


def sum_adjoint(g, items):
    """The items' adjoints of `sum(items)`: `g` for each, summed to its shape."""
    return [unbroadcast(g, x) for x in items]


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


def first_items(iterable, count):
    """The first `count` items a `for` loop took from `iterable` before a `break`."""
    return iterable[:count]


def extreme_index(items, largest, key=None):
    """The index of the item `max(items, key=key)` (largest) or `min(...)` returns: the
    first one no later item beats, compared as Python's max and min compare them (`>`,
    `<`), so an array of several values raises where theirs would."""
    best = best_key = None
    for i, item in enumerate(items):
        k = item if key is None else key(item)
        if best is None or (k > best_key if largest else k < best_key):
            best, best_key = i, k
    if best is None:
        raise ValueError(f"{'max' if largest else 'min'}() iterable argument is empty")
    return best


def sorted_order(items, key=None, reverse=False):
    """The indices of `items` in the order `sorted(items, key=key, reverse=reverse)` puts
    them (Python's stable sort, its own comparisons)."""
    items = list(items)
    return sorted(range(len(items)), key=(lambda i: items[i]) if key is None else (lambda i: key(items[i])),
                  reverse=reverse)


def take_items(items, order):
    """`[items[i] for i in order]`: a sorted copy of a run-time list or array, as a list."""
    return [items[i] for i in order]


def take_items_adjoint(g, items, order):
    """The adjoint of `items` from the adjoint `g` of `take_items(items, order)`: item
    `order[k]` gets `g[k]`."""
    if type(g) is float:
        return g
    if isinstance(items, np.ndarray):
        out = np.zeros(items.shape, dtype=np.result_type(items.dtype, np.float64))
        for k, i in enumerate(order):
            out[i] += g[k]
        return out
    out = [0.0] * len(items)
    for k, i in enumerate(order):
        out[i] = g[k]
    return out


def listed_adjoint(g, iterable):
    """The adjoint of `iterable` from the adjoint `g` of `list(iterable)` (or `tuple(...)`):
    for an array, its rows' adjoints stacked (item k to row k); for a list or tuple, the
    items' adjoints themselves."""
    if type(g) is float:
        return g
    if isinstance(iterable, np.ndarray):
        if isinstance(g, np.ndarray) and g.shape == iterable.shape:
            return g
        out = np.zeros(iterable.shape, dtype=np.result_type(iterable.dtype, np.float64))
        for k, row in enumerate(g):
            out[k] += row
        return out
    if isinstance(iterable, (list, tuple)):
        return list(g)
    raise TypeError(f"sct cannot differentiate list() of a {type(iterable).__name__}: make it a list "
                    f"comprehension, or list the arrays themselves")
