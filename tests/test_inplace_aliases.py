"""In-place updates and writes that NumPy would make visible through another name, a
container, an object, or the iterator of a loop around them: followed correctly or
refused at the line (never a silently wrong gradient)."""
from types import SimpleNamespace

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

# ---- D: an in-place update through another name, in loops and through containers


def alias_updated_in_a_loop(W):
    q = W
    for i in range(2):
        q += q  # ERR
    return np.sum(W)


def row_of_the_iterated_array_updated(W):
    for row in W:
        row *= 2.0  # ERR
    return np.sum(W)


def item_of_list_of_the_array_written(W, s):
    r = list(W)[0]
    r[0] += s
    return np.sum(W)  # ERR


def dict_item_updated(W):
    y = W * 1.0
    d = {"a": y}
    d["a"] *= 3.0  # ERR
    return np.sum(y ** 2)


def list_item_updated(W):
    y = W * 1.0
    hs = [y]
    hs[0] *= 3.0  # ERR
    return np.sum(y ** 2)


def array_updated_while_a_list_holds_a_view(W, x):
    hs = [W[:, 0]]
    W *= x  # ERR
    return np.sum(hs[0])


def attribute_alias_updated_in_a_while(x):
    o = SimpleNamespace(a=x)
    i = 0
    while i < 2:
        x *= 2.0  # ERR
        i += 1
    return np.sum(o.a)


def name_aliased_before_the_loop(x):
    y = x * 1.0
    z = y
    for i in range(2):
        y *= 2.0  # ERR
    return np.sum(z)


def alias_updated_in_a_nested_loop(W):
    q = W * 1.0
    keep = q
    for i in range(2):
        for j in range(2):
            q *= 2.0  # ERR
    return np.sum(keep)


def scale(a):
    a *= 2.0  # ERR
    return a


def helper_updates_the_loop_item(W):
    for row in W:
        scale(row)
    return np.sum(W)


def dict_holding_a_view_then_updated_in_a_loop(W):
    d = {"a": W[0]}
    for i in range(2):
        W *= 2.0  # ERR
    return np.sum(d["a"])


def object_holding_a_view(W, x):
    o = SimpleNamespace(a=W[:, 0])
    W *= x  # ERR
    return np.sum(o.a)


def enumerated_row_updated(W):
    for i, row in enumerate(W):
        row *= 2.0  # ERR
    return np.sum(W)


def zipped_item_updated(x, b):
    acc = 0.0
    for a, c in zip(x, b):
        c *= 2.0  # ERR
        acc = acc + a * c
    return acc + np.sum(b)


def reversed_row_updated(W):
    for row in reversed(W):
        row *= 2.0  # ERR
    return np.sum(W)


def item_write_into_the_loop_row(W):
    for row in W:
        row[0] = 1.0  # ERR
    return np.sum(W)


# ---- C: a loop that writes into (or updates in place) the array it iterates


def last_item_written_while_iterating(x):
    acc = 0.0
    for t in x:
        acc = acc + t
        x[-1] = 2.0 * t  # ERR
    return acc


def other_row_written_while_iterating(W):
    acc = 0.0
    for row in W:
        W[1, 0] = 10.0 * W[0, 0]  # ERR
        acc = acc + np.sum(row ** 2)
    return acc


def zipped_array_updated(x, b):
    acc = 0.0
    for a, c in zip(x, b):
        b *= c  # ERR
        acc = acc + a * c
    return acc


def iterated_array_updated(b):
    acc = 0.0
    for v in b:
        b *= v  # ERR
        acc = acc + v
    return acc


def written_in_a_nested_loop(W):
    acc = 0.0
    for row in W:
        for j in range(2):
            W[1, j] = 2.0 * row[j]  # ERR
        acc = acc + np.sum(row)
    return acc


def bump(a, t):
    a[0] = t  # ERR
    return a


def helper_writes_the_iterated_array(x):
    acc = 0.0
    for t in x:
        bump(x, t)
        acc = acc + t * t
    return acc


def view_of_the_iterated_array_written(x):
    v = x[:2]
    acc = 0.0
    for t in x:
        v[1] = t  # ERR
        acc = acc + t
    return acc


def enumerate_of_the_written_array(x):
    acc = 0.0
    for i, t in enumerate(x):
        x[-1] = 2.0 * t  # ERR
        acc = acc + t
    return acc


REFUSED = [
    (alias_updated_in_a_loop, (np.array([1.0, 2.0]),)),
    (row_of_the_iterated_array_updated, (np.ones((2, 2)),)),
    (item_of_list_of_the_array_written, (np.ones((2, 2)), 0.5)),
    (dict_item_updated, (np.array([0.5, 0.5]),)),
    (list_item_updated, (np.array([0.5, 0.5]),)),
    (array_updated_while_a_list_holds_a_view, (np.arange(4.0).reshape(2, 2) + 1, 0.7)),
    (attribute_alias_updated_in_a_while, (np.array([1.0, 2.0]),)),
    (name_aliased_before_the_loop, (np.array([1.0, 2.0]),)),
    (alias_updated_in_a_nested_loop, (np.array([1.0, 2.0]),)),
    (helper_updates_the_loop_item, (np.ones((2, 2)),)),
    (dict_holding_a_view_then_updated_in_a_loop, (np.ones((2, 2)),)),
    (object_holding_a_view, (np.ones((2, 2)), 0.7)),
    (enumerated_row_updated, (np.ones((2, 2)),)),
    (zipped_item_updated, (np.ones((2, 2)), np.ones((2, 2)))),
    (reversed_row_updated, (np.ones((2, 2)),)),
    (item_write_into_the_loop_row, (np.ones((2, 2)),)),
    (last_item_written_while_iterating, (np.array([1.0, 2.0, 3.0, 4.0]),)),
    (other_row_written_while_iterating, (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
    (zipped_array_updated, (np.array([1.0, 2.0]), np.array([0.5, 1.5]))),
    (iterated_array_updated, (np.array([0.5, 1.5]),)),
    (written_in_a_nested_loop, (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
    (helper_writes_the_iterated_array, (np.array([1.0, 2.0, 3.0]),)),
    (view_of_the_iterated_array_written, (np.array([1.0, 2.0, 3.0]),)),
    (enumerate_of_the_written_array, (np.array([1.0, 2.0, 3.0]),)),
]


@pytest.mark.parametrize("f, args", REFUSED, ids=[f.__name__ for f, _ in REFUSED])
def test_a_change_another_name_or_the_loop_would_see_is_refused_at_its_line(f, args):
    with pytest.raises(sct.SctError) as info:
        sct.grad(f, wrt=len(args) - 1)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    assert "# ERR" in info.value.loc.text and info.value.hint


def test_a_write_into_the_iterated_array_names_the_loop_and_a_copy():
    with pytest.raises(sct.SctError) as info:
        sct.grad(last_item_written_while_iterating)(np.array([1.0, 2.0, 3.0]))
    assert "iterates 'x'" in str(info.value) and ".copy()" in info.value.hint
    with pytest.raises(sct.SctError) as info:
        sct.grad(iterated_array_updated)(np.array([0.5, 1.5]))
    assert "iterates `b`" in str(info.value) and ".copy()" in info.value.hint


# ---- the same computations written so that nothing else sees the change: gradients


def iterate_a_copy(x):
    acc = 0.0
    for t in x.copy():
        acc = acc + t
        x[-1] = 2.0 * t
    return acc + np.sum(x ** 2)


def index_instead_of_iterating(x):
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i]
        x[-1] = 2.0 * x[i]
    return acc


def accumulate_rows(W):
    acc = np.zeros(W.shape[1])
    for row in W:
        acc += row ** 2
    return np.sum(acc)


def update_a_number_item(x):
    acc = 0.0
    for v in x:
        v += 1.0  # a NumPy scalar: rebound, x unchanged
        acc = acc + v * v
    return acc + np.sum(x)


def rebind_then_update(W):
    q = W
    for i in range(2):
        q = q * 2.0
        q += 1.0  # a new array: no other name holds it
    return np.sum(q * W)


def copy_in_the_list(W, x):
    W = W.copy()
    hs = [W[:, 0] * 1.0]
    W *= x
    return np.sum(hs[0]) + np.sum(W ** 2)


def sort_in_a_loop(X):
    s = 0.0
    for v in X:
        s = s + np.sum(np.maximum(v, 0.5) * v)
    return s


def local_def_in_a_loop(x):
    for v in x:
        def g(p):
            return np.sort(p)
    return np.sum(x ** 2)


def local_def_used_in_its_loop(x):
    s = 0.0
    for v in x:
        def g(p):
            return np.sum(np.maximum(p, 1.5) * p)
        s = s + g(x) * v
    return s


def lambda_in_a_loop(x):
    s = 0.0
    for v in x:
        h = lambda p: np.max(p) * v  # noqa: E731
        s = s + h(x)
    return s


def write_into_another_array_while_iterating(x):
    y = np.zeros(x.shape[0])
    for i, t in enumerate(x):
        y[i] = t * t
    return np.sum(y * x)


CORRECT = [
    (iterate_a_copy, (np.array([1.0, 2.0, 3.0, 4.0]),)),
    (index_instead_of_iterating, (np.array([1.0, 2.0, 3.0, 4.0]),)),
    (accumulate_rows, (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
    (update_a_number_item, (np.array([1.0, 2.0]),)),
    (rebind_then_update, (np.array([1.0, 2.0]),)),
    (copy_in_the_list, (np.arange(4.0).reshape(2, 2) + 1, 0.7)),
    (sort_in_a_loop, (np.array([[3.0, 1.0, 2.0], [0.5, -1.0, 2.5]]),)),
    (local_def_in_a_loop, (np.array([1.0, 2.0]),)),
    (local_def_used_in_its_loop, (np.array([1.0, 3.0, 2.0]),)),
    (lambda_in_a_loop, (np.array([1.0, 3.0, 2.0]),)),
    (write_into_another_array_while_iterating, (np.array([1.0, 3.0, 2.0]),)),
]


@pytest.mark.parametrize("f, args", CORRECT, ids=[f.__name__ for f, _ in CORRECT])
def test_changes_nothing_else_sees_are_differentiated(f, args):
    for wrt in range(len(args)):
        assert_grad_matches_fd(f, args, wrt=wrt)
