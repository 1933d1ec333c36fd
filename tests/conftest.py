"""Shared test helpers: float64 central finite differences and a checker that
compares `sct.grad` against them (values, shapes, dtypes, types, no mutation of
the caller's arrays, no aliasing between returned gradients)."""
import inspect
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sct  # noqa: E402
from sct import codegen  # noqa: E402
from sct.analysis import shape_of_value  # noqa: E402
from sct.pipeline import compile_function  # noqa: E402


def _scalar(value):
    """A function output as a Python float (accepts size-1 arrays such as shape (1,) or (1, 1))."""
    value = np.asarray(value, dtype=np.float64)
    assert value.size == 1, f"finite differences need a scalar output, got shape {value.shape}"
    return float(value.reshape(()))


def numerical_grad(f, args, index, eps=1e-6):
    """Central finite-difference gradient (float64) of scalar `f(*args)` w.r.t. `args[index]`.

    A Python-number argument gives a Python float; an array argument gives a float64
    array of its shape (0-d included).
    """
    args = list(args)
    x = args[index]

    def at(value):
        shifted = list(args)
        shifted[index] = value
        return _scalar(f(*shifted))

    if type(x) in CONTAINERS:  # the same structure, each item's gradient in its place
        def item_function(i):
            return lambda *a: f(*[_with_item(a[index], i, a[-1]) if k == index else v
                                  for k, v in enumerate(a[:-1])])
        keys = list(x) if type(x) is dict else range(len(x))
        grads = [numerical_grad(item_function(k), args + [x[k]], len(args), eps) for k in keys]
        return dict(zip(keys, grads)) if type(x) is dict else type(x)(grads)
    if type(x) in (float, int):
        return (at(float(x) + eps) - at(float(x) - eps)) / (2 * eps)
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        g[k] = (at(up) - at(down)) / (2 * eps)
    return g


CONTAINERS = (tuple, list, dict)


def _with_item(container, key, value):
    """A copy of `container` with `[key] = value`."""
    if type(container) is dict:
        return {**container, key: value}
    items = list(container)
    items[key] = value
    return type(container)(items)


def leaves(value, path=()):
    """(path, leaf) pairs of a possibly nested tuple/list/dict, in order."""
    if type(value) in CONTAINERS:
        for key, item in (value.items() if type(value) is dict else enumerate(value)):
            yield from leaves(item, path + (key,))
    else:
        yield path, value


def _snapshot(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in CONTAINERS:
        return [(path, _snapshot(leaf)) for path, leaf in leaves(value)]
    return value


def _assert_unchanged(value, before, i):
    if isinstance(before, np.ndarray):
        assert value.shape == before.shape and value.dtype == before.dtype, f"arg {i} changed shape/dtype"
        np.testing.assert_array_equal(value, before, err_msg=f"sct.grad modified argument {i}")
    elif type(value) in CONTAINERS:
        now = list(leaves(value))
        assert [p for p, _ in now] == [p for p, _ in before], f"sct.grad changed the structure of argument {i}"
        for (path, leaf), (_, old) in zip(now, before):
            _assert_unchanged(leaf, old, f"{i} at {path}")


def wrt_index(f, item):
    """The positional index an entry of `wrt` (index or name) denotes."""
    if isinstance(item, str):
        return list(inspect.signature(f).parameters).index(item)
    return item


def check_gradient_properties(grads, args, indices, distinct=True):
    """Each gradient has exactly its argument's shape, dtype float64 (Python float for a
    Python-number argument) and shares no memory with any argument; with `distinct`, no
    gradient is, or shares memory with, another gradient."""
    arrays_in_args = [leaf for a in args for _, leaf in leaves(a) if isinstance(leaf, np.ndarray)]
    for g, i in zip(grads, indices):
        _check_gradient_leaves(g, args[i], i, arrays_in_args)
    if not distinct:
        return
    arrays = [(leaf, i) for g, i in zip(grads, indices) for _, leaf in leaves(g) if isinstance(leaf, np.ndarray)]
    for p, (g1, i1) in enumerate(arrays):
        for g2, i2 in arrays[p + 1:]:
            assert g1 is not g2, f"gradients w.r.t. args {i1} and {i2} are the same object"
            assert not np.shares_memory(g1, g2), f"gradients w.r.t. args {i1} and {i2} share memory"


def _check_gradient_leaves(g, x, i, arrays_in_args):
    """One argument's gradient: the argument's structure, and per item its type and shape."""
    if type(x) in CONTAINERS:
        assert type(g) is type(x), f"gradient w.r.t. arg {i} is a {type(g).__name__}, not a {type(x).__name__}"
        if type(x) is dict:
            assert list(g) == list(x), f"gradient w.r.t. arg {i} has keys {list(g)}, expected {list(x)}"
        assert len(g) == len(x), f"gradient w.r.t. arg {i} has {len(g)} items, expected {len(x)}"
        for key in (x if type(x) is dict else range(len(x))):
            _check_gradient_leaves(g[key], x[key], f"{i}[{key!r}]", arrays_in_args)
        return
    if type(x) in (float, int):
        assert type(g) is float, f"gradient w.r.t. Python number arg {i} is {type(g).__name__}, not float"
        return
    # (A 0-d argument's gradient may come back as a NumPy scalar here; test_rules.py
    # checks separately that it is a 0-d array.)
    allowed = (np.ndarray, np.float64) if np.ndim(x) == 0 else np.ndarray
    assert isinstance(g, allowed), f"gradient w.r.t. arg {i} is {type(g).__name__}, not ndarray"
    assert g.shape == np.shape(x), f"gradient w.r.t. arg {i} has shape {g.shape}, expected {np.shape(x)}"
    assert g.dtype == np.float64, f"gradient w.r.t. arg {i} has dtype {g.dtype}"
    if isinstance(g, np.ndarray):
        for a in arrays_in_args:
            assert not np.shares_memory(g, a), f"gradient w.r.t. arg {i} shares memory with an argument"


def generic_gradient(f, wrt, args=()):
    """The gradient function compiled without shape facts: the code `.source` shows,
    which serves arguments of any shape (of the structure of `args`' containers)."""
    indices, as_tuple = sct.api._wrt_indices(f, wrt)
    bound = inspect.signature(f).bind_partial(*args).arguments
    structures = {name: shape_of_value(v).without_shapes() for name, v in bound.items() if type(v) in CONTAINERS}
    return compile_function(f, indices, codegen.GRAD, as_tuple, structures or None).function


def assert_grad_matches_fd(f, args, wrt=0, rtol=1e-6, atol=1e-8, eps=1e-6, distinct=False):
    """`sct.grad(f, wrt=wrt)(*args)` agrees with central finite differences, has the
    right shapes/dtypes/types and leaves `args` unchanged; with `distinct`, the
    returned gradients must also be distinct, non-overlapping arrays. The same holds
    for the shape-generic code, which must give the same values.

    `wrt` is an index, a name, or a tuple of them. Returns the sct gradient(s).
    """
    specialized = _assert_grad_matches_fd(sct.grad(f, wrt=wrt), f, args, wrt, rtol, atol, eps, distinct)
    generic = _assert_grad_matches_fd(generic_gradient(f, wrt, args), f, args, wrt, rtol, atol, eps, distinct)
    for (_, s), (_, g) in zip(leaves(specialized if isinstance(wrt, (tuple, list)) else [specialized]),
                              leaves(generic if isinstance(wrt, (tuple, list)) else [generic])):
        np.testing.assert_allclose(s, g, rtol=1e-12, atol=1e-14,
                                   err_msg=f"specialized and generic gradients of {f.__name__} differ")
    return specialized


def _assert_grad_matches_fd(gradient, f, args, wrt, rtol, atol, eps, distinct):
    before = [_snapshot(a) for a in args]
    result = gradient(*args)
    for i, (a, b) in enumerate(zip(args, before)):
        _assert_unchanged(a, b, i)
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    if as_tuple:
        assert isinstance(result, tuple) and len(result) == len(items), f"expected a tuple of {len(items)}"
        grads = list(result)
    else:
        grads = [result]
    indices = [wrt_index(f, item) for item in items]
    check_gradient_properties(grads, args, indices, distinct)
    for g, i in zip(grads, indices):
        expected = numerical_grad(f, args, i, eps=eps)
        for (path, actual), (_, wanted) in zip(leaves(g), leaves(expected)):
            np.testing.assert_allclose(actual, wanted, rtol=rtol, atol=atol,
                                       err_msg=f"gradient of {f.__name__} w.r.t. arg {i}{list(path) or ''} "
                                               f"vs finite differences")
    return result
