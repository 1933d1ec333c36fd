"""Tuples, lists and dicts: as arguments (the gradient has the argument's structure), built
and used inside the function, joined into arrays (np.stack and friends), and the clear
errors for what is not supported yet. Gradients are checked against central finite
differences, for the specialized and the shape-generic code, with the arguments unchanged."""
import re

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

rng = np.random.default_rng(7)
W1, b1, W2, b2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)
X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
V = rng.normal(size=3)


def mlp(layers, x, y):
    h = x
    for W, b in layers[:-1]:
        h = np.tanh(h @ W + b)
    W, b = layers[-1]
    return np.mean((h @ W + b - y) ** 2)


def dict_model(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.sum(h @ params["W2"]) + params["scale"] * np.sum(h ** 2)


def nested(p, x):
    (a, b), rest = p
    return np.sum(a * x) * b + np.sum(rest["w"][0] * rest["w"][1])


def every_item(params, x):
    total = 0.0
    for name, value in params.items():
        total = total + np.sum(np.sin(value * x[0]))
    return total + len(params) * np.sum(params.get("a")) + sum(np.sum(v ** 2) for v in params.values())


def test_list_of_layer_tuples_gives_a_list_of_tuples():
    layers = [(W1, b1), (W2, b2)]
    grads = assert_grad_matches_fd(mlp, (layers, X, Y), (0, 1), distinct=True)
    assert type(grads[0]) is list and all(type(layer) is tuple for layer in grads[0])


def test_dict_of_parameters_gives_a_dict_of_the_same_keys():
    params = {"W1": W1, "b1": b1, "W2": W2, "scale": 0.5}
    grads = assert_grad_matches_fd(dict_model, (params, X), 0, distinct=True)
    assert list(grads) == list(params) and type(grads["scale"]) is float


def test_nested_containers_and_a_tuple_of_wrt():
    p = ((V, 2.0), {"w": [V * 2.0, V + 1.0]})
    assert_grad_matches_fd(nested, (p, V), (0, 1))


def test_dict_methods_len_and_generator_sum():
    params = {"a": V, "b": V * 0.5 + 1.0}
    assert_grad_matches_fd(every_item, (params, V), (0, 1))


def numbered_layers(params, x, y):
    h = x
    n = len(params) // 2
    for i in range(n):  # a loop, not unrolled: the keys are made at run time
        W, b = params[f"W{i}"], params[f"b{i}"]
        h = h @ W + b
        if i < n - 1:
            h = np.maximum(h, 0.0)
    return np.mean((h - y) ** 2) + 0.1 * sum(np.sum(p ** 2) for p in params.values())


def test_dict_indexed_with_keys_made_in_a_loop():
    params = {"W0": W1, "b0": b1, "W1": W2, "b1": b2}
    assert_grad_matches_fd(numbered_layers, (params, X, Y), (0, 1))
    src = sct.grad(numbered_layers).source_for(params, X, Y)
    assert "'W' + format(i, '')" in src and "getitem_adjoint(" in src


def test_container_arguments_are_taken_apart_and_the_gradient_is_a_literal():
    src = sct.grad(mlp).source_for([(W1, b1), (W2, b2)], X, Y)
    assert "layers_0_0 = layers_0[0]" in src and "for " not in src  # the loop over layers is unrolled
    assert src.rstrip().splitlines()[-1].strip().startswith("return [(")
    src = sct.grad(dict_model).source_for({"W1": W1, "b1": b1, "W2": W2, "scale": 0.5}, X)
    assert "params_W1 = params['W1']" in src and "return {'W1': " in src


def test_each_structure_gets_its_own_code():
    g = sct.grad(mlp)
    two = g([(W1, b1), (W2, b2)], X, Y)
    one = g([(rng.normal(size=(3, 2)), b2)], X, Y)
    assert len(two) == 2 and len(one) == 1 and one[0][0].shape == (3, 2)


# ---- containers built in the function


def local_list(a, b, x):
    layers = [(a, b)]
    layers.append((a * 2.0, b))
    total = 0.0
    for i, (W, c) in enumerate(layers):
        total = total + (i + 1) * np.sum(np.tanh(x @ W + c))
    return total + sum(np.sum(W) for W, _ in reversed(layers))


def local_dict(a, x):
    d = {"w": a, "k": 2.0}
    d["w"] = d["w"] * d["k"]
    d["extra"] = np.sin(x)
    return np.sum(d["w"] * d["extra"]) + np.sum([v for v in [a, x]][1])


def comprehensions(a, x):
    squares = [np.sum((a * k) ** 2) for k in range(3) if k != 1]
    named = {k: np.sin(v) for k, v in zip(["p", "q"], [a, x])}
    return sum(squares) + np.sum(named["p"] * named["q"])


@pytest.mark.parametrize("f, args, wrt", [
    (local_list, (W1, b1, X), (0, 1, 2)),
    (local_dict, (V, V + 1.0), (0, 1)),
    (comprehensions, (V, V * 2.0), (0, 1)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_containers_built_in_the_function(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


def test_list_aliases_see_an_append():
    def f(a):
        xs = [a]
        ys = xs
        xs.append(2.0 * a)
        return np.sum(ys[1]) + len(ys)
    assert_grad_matches_fd(f, (V,), 0)
    assert np.allclose(sct.grad(f)(V), 2.0)


# ---- joining containers of arrays into one


def stacked(a, b):
    return np.sum(np.sin(np.stack([a, 2.0 * b], axis=1)) ** 2)


def concatenated(a, b):
    return np.sum(np.concatenate((a, b * b), axis=0) ** 3)


def vstacked(a, b):
    return np.sum(np.vstack([a, b]) ** 2 * np.arange(6.0).reshape(2, 3))


def hstacked(a, M):
    return np.sum(np.hstack([M, a[:, None] * M]) ** 2)


def from_list(a, b):
    return np.sum(np.array([a, b]) * np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))


def computed_index(Ws, x):
    for i in range(len(Ws)):
        x = np.tanh(Ws[i] @ x)
    return np.sum(x)


@pytest.mark.parametrize("f, args", [
    (stacked, (V, V * 0.3)), (concatenated, (V, V[:2])), (vstacked, (V, V * 2.0)),
    (hstacked, (V, rng.normal(size=(3, 2)))), (from_list, (V, V - 1.0)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_joining_lists_of_arrays(f, args):
    assert_grad_matches_fd(f, args, (0, 1), distinct=True)


def test_stack_adjoint_is_a_view_per_item():
    src = sct.grad(stacked, wrt=(0, 1)).source_for(V, V)
    assert "np.moveaxis(bstack, 1, 0)" in src and "[0]" in src and "[1]" in src


def test_a_list_indexed_with_a_loop_variable():
    Ws = [rng.normal(size=(3, 3)), rng.normal(size=(3, 3))]
    assert_grad_matches_fd(computed_index, (Ws, V), (0, 1))


# ---- lists that grow in loops and branches: run-time lists


def appended_in_loop(W, xs):
    h = np.zeros(3)
    hs = []
    for x in xs:
        h = np.tanh(W @ h + x)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def appended_on_some_paths(W, xs):
    h = np.zeros(3)
    hs = [h]
    for x in xs:
        h = np.tanh(W @ h + x)
        if np.sum(x) > 0.0:
            hs.append(h * 2.0)
        else:
            hs.append(h)
            hs.append(-h)
    total = sum(hs)
    for g in hs:
        total = total + np.sin(g)
    return np.sum(total) + np.sum(hs[-1] ** 2) + len(hs)


def appended_until_break(W, xs):
    h = np.ones(3)
    hs = []
    i = 0
    while i < len(xs):
        h = np.tanh(W @ h + xs[i])
        hs.append(h)
        if np.sum(h) > 1.0:
            break
        i = i + 1
    return np.sum(np.concatenate(hs) ** 2)


def reads_the_last_item(w, xs):
    hs = [w]
    for x in xs:
        hs.append(np.sin(hs[-1] * x))
    return np.sum(np.array(hs))


def grows_in_a_branch(a, b):
    parts = [a]
    if np.sum(a) > 0:
        parts.append(b)
    else:
        parts.append(b * 2.0)
        parts.append(a)
    return np.sum(np.concatenate(parts) ** 2)


@pytest.mark.parametrize("f, args", [
    (appended_in_loop, (W1[:, :3] * 0.5, X)),
    (appended_on_some_paths, (W1[:, :3] * 0.5, X)),
    (appended_until_break, (W1[:, :3] * 0.5, X)),
    (reads_the_last_item, (V, [0.5, 1.5, 2.0])),
    (reads_the_last_item, (V, np.array([0.5, 1.5, 2.0]))),
    (grows_in_a_branch, (V, V[:2])),
    (grows_in_a_branch, (-np.abs(V), V[:2])),
], ids=lambda v: getattr(v, "__name__", ""))
def test_lists_that_grow_in_loops_and_branches(f, args):
    assert_grad_matches_fd(f, args, (0, 1))


def test_a_list_appended_in_a_loop_is_a_list_in_the_generated_loop():
    src = sct.grad(appended_in_loop).source_for(W1[:, :3], X)
    assert "hs = appended(hs, h_2)" in src and "last_item(bhs)" in src and "all_but_last(bhs)" in src
    assert "tape.append((h_2, add, matmul, h_1))" in src  # the list itself is never taped


# ---- clear errors


def computed_key(p, k, x):
    d = {k: x}
    return np.sum(d[k])


def missing_key(p, x):
    return np.sum(p["nope"] * x)


def sort_in_place(x):
    y = x * 2.0
    y.sort()
    return np.sum(y)


@pytest.mark.parametrize("f, args, message", [
    (computed_key, ({}, "a", V), "dict keys must be constants"),
    (missing_key, ({"yes": V}, V), "this dict has no key 'nope'"),
    (sort_in_place, (V,), "changes a value in place"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_unsupported_uses_are_refused_at_the_users_line(f, args, message):
    with pytest.raises(sct.SctError, match=message) as info:
        sct.grad(f)(*args)
    assert __file__ in str(info.value)


# ---- run-time containers of containers, and dicts that change in a loop


def indexed_pairs(layers, x):
    for i in range(len(layers)):
        W, b = layers[i]
        x = np.tanh(x @ W + b)
    return np.sum(x ** 2)


def running_stats(x, w):
    stats = {"sum": 0.0, "sq": 0.0}
    for v in x:
        stats["sum"] = stats["sum"] + v * w
        stats["sq"] = stats["sq"] + (v * w) ** 2
    return stats["sq"] - stats["sum"] ** 2 / len(x)


def test_a_list_of_pairs_indexed_with_a_loop_variable():
    layers = [(W1[:, :3], b1[:3]), (W1[:3, :3] * 0.5, b2[0] * np.ones(3))]
    assert_grad_matches_fd(indexed_pairs, (layers, X[:2]), (0, 1))


def test_a_dict_updated_in_a_loop():
    assert_grad_matches_fd(running_stats, (V, 0.7), (0, 1))


# ---- sum(... for ... in <run-time iterable>): a loop that adds up


def polyval(coeffs, x):
    total = 0.0
    for c in reversed(coeffs):
        total = total * x + c
    return total


def squared_residuals(coeffs, xs, ys):
    x = "kept"  # the comprehension's own x must not replace it
    loss = sum((polyval(coeffs, x) - y) ** 2 for x, y in zip(xs, ys) if True)
    positive = sum(np.sin(x) for x in xs if x > 0.0)
    return loss + positive + len(x)


def test_sum_over_a_run_time_iterable_is_a_loop():
    xs, ys = np.array([0.3, -1.2, 0.8]), np.array([0.1, 0.5, -0.4])
    assert_grad_matches_fd(squared_residuals, ((1.0, -2.0, 0.5), xs, ys), (0, 1, 2))
    src = sct.grad(squared_residuals).source_for((1.0, -2.0, 0.5), xs, ys)
    assert re.search(r"\n +for x\w*, y\w* in zip\(xs, ys\):", src)  # a loop, not unrolled
    assert re.search(r"\n +for x\w* in xs:\n +if x\w* > 0.0:", src)


# ---- a run-time list of tuples: appended in a loop, then looped over or indexed


def pairs_appended_then_looped(x):
    pairs = []
    for i in range(3):
        pairs.append((x * i, np.sin(x) + i))
    total = 0.0
    for a, b in pairs:
        total = total + np.sum(a * b)
    return total


def pairs_appended_then_indexed(x):
    pairs = []
    for i in range(3):
        pairs.append((x * i, x + i))
    return np.sum(pairs[1][0] * pairs[2][1])


@pytest.mark.parametrize("f", [pairs_appended_then_looped, pairs_appended_then_indexed])
def test_a_list_of_tuples_appended_in_a_loop(f):
    assert_grad_matches_fd(f, (np.array([0.5, -1.2, 2.0]),), 0)


def get_from_a_run_time_dict(x):
    stats = {}
    for i in range(2):
        stats["scaled"] = x * (i + 1.0)
    return np.sum(stats.get("scaled", 0.0) * stats.get("missing", np.sin(x)))


def test_get_on_a_dict_made_at_run_time():
    assert_grad_matches_fd(get_from_a_run_time_dict, (np.array([0.3, -0.7, 1.2]),), 0)


def reductions_of_lists(x):
    return np.sum([x[0], x[1]]) + np.mean([x, x * 2]) + np.max((x[0] * 2, x[2])) + np.std([x[0], x[2], 1.0])


def test_numpy_reductions_of_a_list_of_computed_values():
    assert_grad_matches_fd(reductions_of_lists, (np.array([0.3, -0.7, 0.2]),), 0)


# ---- [f(x) for x in <run-time iterable>]: a loop building a run-time list


def rows_through_a_comprehension(X, w):
    return np.sum(np.array([np.tanh(row @ w) for row in X if True]) ** 2)


def every_other_row(X):
    return np.sum(np.stack([row * i for i, row in enumerate(X) if i != 1]))


def reductions_of_a_run_time_list(x):
    doubled = []
    for t in x:
        doubled.append(t * 2.0)
    return np.sum(doubled) + np.mean(doubled) + np.sum([t * 3.0 for t in x])


def test_a_list_comprehension_over_an_array_is_a_loop():
    rng = np.random.default_rng(3)
    X, w = rng.normal(size=(4, 3)), rng.normal(size=3)
    assert_grad_matches_fd(rows_through_a_comprehension, (X, w), (0, 1))
    assert_grad_matches_fd(every_other_row, (X,), 0)
    src = sct.grad(rows_through_a_comprehension).source_for(X, w)
    assert re.search(r"\n +for row in X:", src) and "items.append(" not in src.split("for row in X:")[0]


def test_numpy_reductions_of_a_run_time_list():
    x = np.array([0.3, -0.7, 0.2])
    np.testing.assert_allclose(sct.grad(reductions_of_a_run_time_list)(x), [2.0 + 2.0 / 3.0 + 3.0] * 3)
