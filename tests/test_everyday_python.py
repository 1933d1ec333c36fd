"""Everyday Python that sct used to refuse (issue 10 §2): chained comparisons,
builtins over known or run-time values, dict/sorted/map/reduce, namedtuples,
frozen dataclasses, classmethods, `__len__`, functions as defaults, in-place
list/dict/array methods, writes through an item read, lambdas handed to sct,
and reduction keywords. Each is checked against central finite differences
(float64), specialized and shape-generic code alike; where Python's meaning
cannot be kept, the refusal is checked to be located and to say why."""
import collections
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

RNG = np.random.default_rng(0)
X3 = np.array([0.3, 0.7, 0.2])
M34 = RNG.normal(size=(3, 4))


# ---- chained comparisons


def chain_in_if(x, lo, hi):
    v = np.sum(x)
    if lo < v < hi:
        return v ** 2
    return 3.0 * v


def chain_in_expression(x):
    s = np.sum(x)
    scale = 2.0 if 0.5 < s <= 1.5 else -1.0
    return scale * s


def chain_of_three(x, a):
    s = np.sum(x * x)
    if 0.0 < a < s < 10.0:
        return s * a
    return s


def chain_of_equalities(x, i, j):
    if i == j == 0:
        return np.sum(np.sin(x))
    return np.sum(x)


def chain_middle_once(x):
    # the middle operand is computed once, the last only when the first test holds
    lo = 0.0
    if lo < np.sum(x) < np.max(x) * 10:
        return np.sum(x ** 3)
    return np.sum(x)


def array_interval_mask(x, a, b):
    inside = (a < x) & (x < b)
    return np.sum(np.where(inside, x ** 2, 0.1 * x))


def chain_of_arrays(x):
    return np.sum(np.where(0.25 < x < 0.75, x, 0.0))


@pytest.mark.parametrize("lo, hi", [(0.5, 3.0), (2.0, 3.0), (0.0, 1.0)])
def test_chained_comparison_in_if(lo, hi):
    assert_grad_matches_fd(chain_in_if, (X3, lo, hi))


def test_chained_comparison_in_expression():
    assert_grad_matches_fd(chain_in_expression, (X3,))
    assert_grad_matches_fd(chain_in_expression, (3 * X3,))


@pytest.mark.parametrize("a", [0.5, 2.0, -1.0])
def test_chain_of_three(a):
    assert_grad_matches_fd(chain_of_three, (X3, a), wrt=(0, 1))


@pytest.mark.parametrize("i, j", [(0, 0), (0, 1), (1, 1)])
def test_chain_of_equalities(i, j):
    assert_grad_matches_fd(chain_of_equalities, (X3, i, j))


def test_chain_middle_once():
    assert_grad_matches_fd(chain_middle_once, (X3,))
    assert_grad_matches_fd(chain_middle_once, (-X3,))


def test_array_interval_mask():
    assert_grad_matches_fd(array_interval_mask, (np.linspace(-1, 2, 7) + 0.01, 0.0, 1.0))


def test_chain_of_arrays_raises_as_python_does():
    # Python's `a < x < b` takes the truth value of the array `a < x`: an error, here too
    with pytest.raises(ValueError, match="truth value"):
        chain_of_arrays(X3)
    with pytest.raises(ValueError, match="truth value"):
        sct.grad(chain_of_arrays)(X3)


# ---- min/max of values known when lowering and of run-time lists


def min_of_shape(x):
    n = min(x.shape)
    return np.sum(x[:n, :n] ** 2)


def max_of_known_shape_numbers(x):
    rows, cols = x.shape
    return np.sum(x) * max(rows, cols, 2) / min([rows, cols])


def max_over_rows_generator(X):
    return max(np.sum(r ** 2) for r in X)


def max_and_min_of_loop_list(X):
    losses = []
    for r in X:
        losses.append(np.sum(np.sin(r)))
    return max(losses) - 0.5 * min(losses)


def max_with_lambda_key(xs):
    return np.sum(max(xs, key=lambda v: np.sum(v)) ** 2)


def min_with_library_key(X):
    return min(X, key=np.sum)[1] ** 2


def max_with_default(x, items):
    return max(items, default=0.5) * np.sum(x)


def max_over_array(x):
    return max(x) * 2.0 + min(x)


def max_generator_over_list(xs):
    return max(np.sum(v * v) for v in xs)


def test_min_of_shape():
    assert_grad_matches_fd(min_of_shape, (M34,))
    assert_grad_matches_fd(min_of_shape, (M34.T.copy(),))


def test_max_of_known_numbers():
    assert_grad_matches_fd(max_of_known_shape_numbers, (M34,))


def test_max_over_rows_and_run_time_lists():
    assert_grad_matches_fd(max_over_rows_generator, (M34,))
    assert_grad_matches_fd(max_and_min_of_loop_list, (M34,))
    assert_grad_matches_fd(max_over_array, (X3,))
    assert_grad_matches_fd(min_with_library_key, (M34,))


def test_max_with_key_and_default():
    xs = [X3, 2 * X3, 0.5 * X3]
    assert_grad_matches_fd(max_with_lambda_key, (xs,))
    assert_grad_matches_fd(max_with_lambda_key, ([2 * X3, -X3],))
    assert_grad_matches_fd(max_generator_over_list, (xs,))
    assert_grad_matches_fd(max_with_default, (X3, []))
    assert_grad_matches_fd(max_with_default, (X3, [0.25, 0.75]))


def max_of_loop_arrays(X):
    rows = []
    for r in X:
        rows.append(r * 2.0)
    return np.sum(max(rows))


def test_max_of_arrays_raises_as_python_does():
    with pytest.raises(ValueError, match="truth value"):
        max_of_loop_arrays(M34)
    with pytest.raises(ValueError, match="truth value"):
        sct.grad(max_of_loop_arrays)(M34)


def max_run_time_lambda_key(X):
    return np.sum(max(X, key=lambda r: r[0]))


def test_max_run_time_list_with_own_key_is_refused_with_a_way_out():
    with pytest.raises(sct.SctError, match="key=") as e:
        sct.grad(max_run_time_lambda_key)(M34)
    assert "test_everyday_python.py" in str(e.value) and "argmax" in str(e.value)


# ---- zip of a list and an array


def zip_weights_and_rows(ws, X):
    total = 0.0
    for w, r in zip(ws, X):
        total = total + np.sum(w * r ** 2)
    return total


def zip_computed_list_and_rows(x, X):
    ws = [x, 2 * x, x ** 2]
    return sum(np.sum(w * r) for w, r in zip(ws, X))


def zip_rows_and_shorter_list(x, X):
    pairs = list(zip(X, [np.tanh(x), x ** 3]))
    return np.sum(np.stack([r * w for r, w in pairs]))


def enumerate_zip_list_and_rows(x, X):
    total = 0.0
    for i, (w, r) in enumerate(zip([x, 2 * x, x ** 2], X), start=1):
        total = total + i * np.sum(w * r)
    return total


def test_zip_of_a_list_and_an_array():
    x = 0.5 * M34[0]
    assert_grad_matches_fd(zip_weights_and_rows, ([1.0, 2.0, 3.0], M34), wrt=1)
    assert_grad_matches_fd(zip_weights_and_rows, ([x, -x, 2 * x], M34), wrt=(0, 1))
    assert_grad_matches_fd(zip_computed_list_and_rows, (x, M34), wrt=(0, 1))
    assert_grad_matches_fd(zip_rows_and_shorter_list, (x, M34), wrt=(0, 1))
    assert_grad_matches_fd(enumerate_zip_list_and_rows, (x, M34), wrt=(0, 1))


def test_zip_with_a_shorter_array_is_refused_where_python_would_stop_early():
    ws = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(sct.SctError, match="zip") as e:
        sct.grad(zip_weights_and_rows, wrt=1)(ws, M34)
    assert "test_everyday_python.py" in str(e.value)


def enumerate_known_list_start_keyword(x):
    total = 0.0
    for i, w in enumerate([x, 2 * x], start=1):
        total = total + i * np.sum(w)
    return total


def enumerate_known_list_computed_start(x, k):
    total = 0.0
    for i, w in enumerate([x, np.sin(x)], k):
        total = total + i * np.sum(w)
    return total


def test_enumerate_of_a_known_list_with_a_start():
    # enumerate(..., start=1) of a list literal used to lower as a library call whose
    # items got no adjoint: a zero gradient. A computed start used to be read as 0.
    assert_grad_matches_fd(enumerate_known_list_start_keyword, (X3,))
    assert_grad_matches_fd(enumerate_known_list_computed_start, (X3, 3))


# ---- sorted(), dict()


def sum_over_sorted_keys(params):
    total = 0.0
    for name in sorted(params):
        total = 0.5 * total + np.sum(params[name] ** 2)
    return total


def sorted_items_by_key_reversed(params):
    total = 0.0
    for name, value in sorted(params.items(), key=lambda kv: kv[0], reverse=True):
        total = 0.5 * total + np.sum(np.tanh(value))
    return total


def sorted_items_plain(params):
    flat = [v.ravel() for _, v in sorted(params.items())]
    return np.sum(np.concatenate(flat) * np.arange(9.0))


def sorted_computed_numbers(x):
    a, b, c = sorted([np.sum(x), np.sum(x ** 2), np.sum(np.sin(x))])
    return a + 2 * b + 3 * c


def sorted_arrays_by_computed_key(x):
    ordered = sorted([x, x ** 2, np.sin(x)], key=lambda v: np.sum(v), reverse=True)
    return np.sum(ordered[0] + 2 * ordered[1] + 3 * ordered[2])


def sorted_array_values(x):
    s = sorted(x)
    return s[0] + 2 * s[1] + 3 * s[-1]


def sorted_loop_list(X):
    norms = []
    for r in X:
        norms.append(np.sum(r * r))
    top = sorted(norms, reverse=True)
    return top[0] - top[-1] + 0.5 * sum(top)


def dict_of_keywords_and_pairs(x):
    d = dict(a=x, b=2 * x)
    e = dict([("c", x ** 2)], k=x)
    f = dict(zip(["p", "q"], [x, np.sin(x)]))
    g = dict(d, b=3 * x)
    return np.sum(d["a"] * d["b"]) + np.sum(e["c"] + e["k"]) + np.sum(f["q"] * g["b"]) + len(dict())


def test_sorted_dict_keys_and_items():
    params = {"w2": X3, "b": 2 * X3[:2], "w1": -X3}
    assert_grad_matches_fd(sum_over_sorted_keys, (params,))
    assert_grad_matches_fd(sorted_items_by_key_reversed, (params,))
    assert_grad_matches_fd(sorted_items_plain, ({"w": M34[:2, :3].copy(), "b": X3},))


def test_sorted_computed_values():
    assert_grad_matches_fd(sorted_computed_numbers, (X3,))
    assert_grad_matches_fd(sorted_arrays_by_computed_key, (X3,))
    assert_grad_matches_fd(sorted_array_values, (X3,))
    assert_grad_matches_fd(sorted_loop_list, (M34,))


def test_dict_calls():
    assert_grad_matches_fd(dict_of_keywords_and_pairs, (X3,))


def dict_with_computed_key(x, name):
    d = dict([(name, x)])
    return np.sum(d["a"])


def test_dict_with_a_computed_key_is_refused():
    with pytest.raises(sct.SctError, match="computed key"):
        sct.grad(dict_with_computed_key)(X3, "a" * 1)
