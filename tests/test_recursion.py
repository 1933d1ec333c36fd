"""Recursive user functions: a call that would recurse becomes a pullback pair
(`call_with_pullback` in the forward sweep, `pullback(cotangent)` in the adjoint),
checked against finite differences for the specialized and the shape-generic code."""
import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def power_by_keyword(x, n):
    if n == 0:
        return 1.0
    return x * power_by_keyword(x, n=n - 1)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_power(n):
    g = assert_grad_matches_fd(power, (1.3, n))
    assert abs(g - n * 1.3 ** (n - 1)) < 1e-12 if n else g == 0.0


def test_power_of_an_array_inside_a_reduction():
    def f(x):
        return np.sum(power(x, 3))
    assert_grad_matches_fd(f, (np.array([0.5, -1.2, 2.0]),))


def test_recursive_call_by_keyword():
    assert_grad_matches_fd(power_by_keyword, (0.7, 4))


def test_generated_code_calls_the_pullback():
    source = sct.grad(power).source
    assert "power_out, power_pullback = call_with_pullback(power, (0,), x, n - 1)" in source
    assert "power_pullback(" in source.split("scalar_seed", 1)[1]  # in the adjoint sweep


def test_vjp_of_a_recursive_function_round_trips_floats():
    out, pullback = sct.vjp(power, 1.3, 4)
    assert type(out) is float and abs(out - 1.3 ** 4) < 1e-12
    gx, gn = pullback(1.0)
    assert type(gx) is float and abs(gx - 4 * 1.3 ** 3) < 1e-12
    assert gn == 0.0  # the int n: whatever zero the VJP gives, nothing breaks


def tree_sum(t, w):
    if isinstance(t, tuple):
        return sum(tree_sum(s, w) for s in t)
    return w * t


def tree_sum_loop(t, w):
    if isinstance(t, tuple):
        total = 0.0
        for s in t:
            total = total + tree_sum_loop(s, w)
        return total
    return np.sum(np.tanh(w * t))


TREE = (1.0, (2.0, -3.0), ((0.5,), 4.0))


def test_tree_sum_wrt_w_and_the_tree():
    assert_grad_matches_fd(tree_sum, (TREE, 1.5), wrt=1)
    assert_grad_matches_fd(tree_sum, (TREE, 1.5), wrt=(0, 1))


def test_tree_of_arrays_with_a_loop():
    tree = (np.array([1.0, 2.0]), (np.array([0.5, -1.0]), (np.array([3.0, 0.1]),)))
    assert_grad_matches_fd(tree_sum_loop, (tree, np.array([0.3, 0.7])), wrt=(0, 1))


def test_depth_known_only_at_run_time():
    g = sct.grad(tree_sum, wrt=1)
    for depth in range(1, 5):
        tree = 2.0
        for _ in range(depth):
            tree = (tree, 1.0)
        assert g(tree, 3.0) == pytest.approx(depth + 2.0)


def chain(x, n):
    if n == 0:
        return x
    y = 0.0
    for k in range(2):  # the recursive call inside a loop: its pullback goes on the tape
        y = y + 0.5 * np.sin(chain(x, n - 1) + k)
    return y


def test_recursion_inside_a_loop():
    assert_grad_matches_fd(chain, (0.4, 3))

    def f(x):
        return np.sum(chain(x, 2))
    assert_grad_matches_fd(f, (np.array([0.4, -1.0]),))


def test_recursive_function_called_in_a_loop():
    def f(x, n):
        total = 0.0
        for k in range(n):
            total = total + power(x, k)
        return total
    assert_grad_matches_fd(f, (1.1, 4))


def ping(x, n):
    if n == 0:
        return x
    return np.sin(pong(x, n - 1))


def pong(x, n):
    if n == 0:
        return x * x
    return 2.0 * ping(x, n - 1) + x


@pytest.mark.parametrize("n", [0, 1, 4, 5])
def test_mutual_recursion(n):
    assert_grad_matches_fd(ping, (0.8, n))
    assert_grad_matches_fd(pong, (0.8, n))


def test_recursive_helper_called_from_the_differentiated_function():
    def model(x, w):
        return np.sum(w * power(x, 3)) + power(np.sum(x), 2)
    x, w = np.array([0.5, -1.2, 2.0]), np.array([1.0, 2.0, 3.0])
    assert_grad_matches_fd(model, (x, w), wrt=(0, 1))


def scaled(x, n, mode):
    if n == 0:
        return x if mode == "plain" else 2.0 * x
    return np.cos(scaled(x, n - 1, mode))


def test_arguments_that_are_not_differentiable_values():
    assert_grad_matches_fd(scaled, (0.3, 3, "plain"))
    assert_grad_matches_fd(scaled, (0.3, 3, "double"))


def test_an_inactive_recursive_call_is_a_plain_call():
    def f(x, y):
        return x * power(y, 3)
    assert_grad_matches_fd(f, (0.5, 1.5))
    source = sct.grad(f).source
    assert "call_with_pullback" not in source and "power(y, " in source


def _pair(x, n):
    if n == 0:
        return (x * 1.0, x * 2.0)
    a, b = _pair(x, n - 1)
    return (a + x, b * x)


def _nested(x, n):
    if n == 0:
        return ((x, 2.0 * x), 3.0)
    (a, b), c = _nested(x, n - 1)
    return ((a * x, b + c), c * 1.5)


def _stats(x, n):
    if n == 0:
        return {"a": x, "b": 2 * x}
    r = _stats(x, n - 1)
    return {"a": r["a"] + x, "b": r["b"] * x}


def _scalar_pair(x, n):
    if n == 0:
        return (x, 1.0)
    a, b = _scalar_pair(x, n - 1)
    return (a * x, a + b)


def _tuple_loss(x):
    return np.sum(_pair(x, 3)[0] * _pair(x, 3)[1])


def _tuple_as_array_loss(x):
    return np.sum(np.prod(_pair(x, 2), axis=0))


def _nested_loss(x):
    return np.sum(_nested(x, 2)[0][0] * _nested(x, 2)[0][1]) + np.sum(_nested(x, 2)[1])


def _dict_loss(x):
    return np.sum(_stats(x, 2)["a"] * _stats(x, 2)["b"])


@pytest.mark.parametrize("loss", [_tuple_loss, _tuple_as_array_loss, _nested_loss, _dict_loss])
def test_a_recursive_helpers_container_result_adds_its_items_cotangents_item_by_item(loss):
    assert_grad_matches_fd(loss, (np.array([0.5, 1.2, -0.7]),))


def test_a_recursive_pair_of_python_floats():
    def f(x):
        a, b = _scalar_pair(x, 3)
        return a * b + b
    assert_grad_matches_fd(f, (1.3,))
