"""Calls: the user's own functions (inlined), local functions and lambdas (closures
over the enclosing function's values), functools.partial."""
import functools

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd


def scaled(x, s):
    return np.sum(x * s)


half = functools.partial(scaled, s=0.5)


def with_local_functions(x, w):
    def layer(h, act=np.tanh):
        return act(h * w)
    y = layer(x)
    z = layer(y, act=np.sin)
    square = lambda t: t ** 2  # noqa: E731
    return np.sum(square(z)) + half(x)


def late_binding(x):
    k = 2.0
    times_k = lambda t: t * k  # noqa: E731
    k = 3.0  # a closure reads k when it runs, as Python does
    return np.sum(times_k(x))


def apply_twice(g, x):
    return g(g(x))


def passes_a_closure(x, w):
    return np.sum(apply_twice(lambda t: np.tanh(t * w), x))


def local_function_with_branches(x):
    def clipped(t, limit=1.0):
        if np.max(t) > limit:
            return t / np.max(t) * limit
        return t
    return np.sum(clipped(x) ** 2)


RNG = np.random.default_rng(7)


@pytest.mark.parametrize("f, args, wrt", [
    (with_local_functions, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (late_binding, (RNG.normal(size=3),), 0),
    (passes_a_closure, (RNG.normal(size=3), RNG.normal(size=3)), (0, 1)),
    (local_function_with_branches, (np.array([0.2, 0.5, 3.0]),), 0),
    (local_function_with_branches, (np.array([0.2, 0.5, 0.3]),), 0),
], ids=lambda v: getattr(v, "__name__", ""))
def test_closures_lambdas_and_partials_match_finite_differences(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


def test_late_binding_reads_the_value_at_the_call():
    np.testing.assert_allclose(sct.grad(late_binding)(np.ones(2)), [3.0, 3.0])


def test_local_functions_leave_no_calls_in_the_generated_code():
    src = sct.grad(with_local_functions, wrt=(0, 1)).source
    body = src.split("\n", 1)[1]
    assert "layer(" not in body and "square(" not in body and "half(" not in body


def local_def_in_a_branch(x):
    if np.sum(x) > 0:
        def twice(t):
            return 2.0 * t  # a return of the local function, not of the branch
        x = twice(x)
    return np.sum(x ** 2)


def test_return_inside_a_local_function_is_not_a_return_of_the_branch():
    assert_grad_matches_fd(local_def_in_a_branch, (np.array([1.0, 2.0]),), 0)
    assert_grad_matches_fd(local_def_in_a_branch, (np.array([-1.0, -2.0]),), 0)


def function_chosen_by_a_branch(x):
    if np.sum(x) > 0:
        def f(t):
            return t * 2.0
    else:
        def f(t):
            return t * 3.0
    return np.sum(f(x))  # ERR


def function_redefined_in_a_loop(x):
    def f(t):
        return t
    for i in range(2):
        def f(t):  # noqa: F811
            return t * 2.0
    return np.sum(f(x))


@pytest.mark.parametrize("f", [function_chosen_by_a_branch, function_redefined_in_a_loop],
                         ids=lambda f: f.__name__)
def test_local_functions_that_depend_on_the_path_are_refused_clearly(f):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(f)(np.ones(2))
    assert "local function" in str(info.value) and info.value.hint


# ---- *args and **kwargs passed through to helpers


def dense(x, W, b, *, act=np.tanh):
    return act(x @ W + b)


def forward_everything(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def weighted_sum(*terms, scale=1.0, **named):
    total = scale * sum(terms)
    for name, value in named.items():
        total = total + value
    return total


def model_with_passthrough(x, W, b):
    h = forward_everything(dense, x, W, b)
    options = {"act": np.sin}
    g = dense(x, *(W, b), **options)
    return np.sum(weighted_sum(h, g, scale=2.0, extra=h * h))


def test_args_and_kwargs_are_passed_through_helpers():
    rng = np.random.default_rng(3)
    args = (rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2))
    assert_grad_matches_fd(model_with_passthrough, args, (0, 1, 2))


def test_varargs_of_the_differentiated_function_itself_are_refused_clearly():
    def f(x, *rest):
        return x * 2.0
    with pytest.raises(sct.UnsupportedSyntaxError, match="differentiated function"):
        sct.grad(f)(1.0)


def test_spreading_a_computed_array_is_refused_clearly():
    def f(x):
        return np.sum(np.add(*x))
    with pytest.raises(sct.UnsupportedSyntaxError, match="computed array"):
        sct.grad(f)(np.ones((2, 3)))


# ---- helpers that change the list or array they are given (Python's shared objects)


def push(items, value):
    items.append(value)


def write_row(y, i, value):
    y[i] = value


def push_each(items, x):
    for i in range(3):
        items.append(x * i)


def helper_appends(x):
    xs = []
    push(xs, x * 2.0)
    push(xs, np.sin(x))
    return np.sum(xs[0] * xs[1])


def helper_appends_in_a_loop(x):
    xs = []
    for i in range(3):
        push(xs, x * i)
    return np.sum(np.stack(xs) ** 2)


def helper_loops_and_appends(x):
    xs = [x]
    push_each(xs, x)
    return np.sum(np.stack(xs) ** 2)


def helper_appends_in_a_branch(x):
    xs = [x]
    if x[0] > 0.0:
        push(xs, x * 2.0)
    return np.sum(np.stack(xs) ** 2)


def helper_writes(x):
    y = np.zeros((3, 3))
    write_row(y, 1, x * 2.0)
    return np.sum(y * y)


def helper_writes_in_a_loop(x):
    y = np.zeros((3, 3))
    for i in range(3):
        write_row(y, i, np.cos(x) * i)
    return np.sum(y * np.arange(3.0))


def closure_appends(x):
    xs = []

    def remember(v):
        xs.append(v)
    remember(x * 2.0)
    remember(x * 3.0)
    return np.sum(xs[0] * xs[1])


def helper_rebinds_its_parameter(x):
    xs = [x]
    renamed(xs, x)
    return np.sum(np.stack(xs) ** 2)


def renamed(items, x):
    items = [x, x]  # a new list: the caller's stays as it was
    items.append(x)
    return items


@pytest.mark.parametrize("f", [helper_appends, helper_appends_in_a_loop, helper_loops_and_appends,
                               helper_appends_in_a_branch, helper_writes, helper_writes_in_a_loop,
                               closure_appends, helper_rebinds_its_parameter])
@pytest.mark.parametrize("x", [np.array([0.5, -1.2, 2.0]), np.array([-0.5, 1.2, 2.0])])
def test_a_change_made_by_a_called_function_is_seen_by_the_caller(f, x):
    assert_grad_matches_fd(f, (x,), 0)


# ---- partials made in the function, lambdas made in a comprehension


def affine(x, W, b=0.0):
    return x @ W + b


def partial_made_here(W, b, x):
    layer = functools.partial(affine, W=W, b=b)  # holds computed values
    relu = functools.partial(np.maximum, 0.0)
    return np.sum(relu(layer(x)) ** 2)


def lambdas_from_a_comprehension(x):
    scaled = [lambda u, k=k: u * k for k in range(1, 4)]  # each keeps its own k
    late = [lambda u: u * k for k in range(1, 4)]  # each reads k when called: its last value, 3
    return np.sum(scaled[0](x) + scaled[2](x) * late[0](x))


def test_a_partial_made_in_the_function():
    rng = np.random.default_rng(4)
    assert_grad_matches_fd(partial_made_here, (rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))),
                           (0, 1, 2))


def test_lambdas_made_in_a_comprehension_bind_as_python_does():
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(sct.grad(lambdas_from_a_comprehension)(x), 1.0 + 18.0 * x)
    assert_grad_matches_fd(lambdas_from_a_comprehension, (x,), 0)


# ---- Python's max, min, float and .item() on numbers


def python_number_builtins(x, y):
    a = float(np.sum(x * y))
    b = np.sum(x ** 2).item()
    return max(a, b) + min(a * 2.0, b) + max(x[0], 0.1) + max([a, b, x[1]]) + min(x[0], x[1], x[2])


@pytest.mark.parametrize("x", [np.array([0.5, -1.0, 2.0]), np.array([-0.3, 0.8, 0.1])])
def test_max_min_float_and_item_on_numbers(x):
    assert_grad_matches_fd(python_number_builtins, (x, np.array([1.5, 0.3, -0.2])), (0, 1))


def python_max_of_an_array(x):
    return max(x)


def test_python_max_of_an_array_is_its_first_largest_item():
    # Python's max iterates: the first largest entry is returned and gets the cotangent
    assert_grad_matches_fd(python_max_of_an_array, (np.array([0.3, -0.7]),))
    assert np.array_equal(sct.grad(python_max_of_an_array)(np.array([0.5, 0.5, 0.1])), [1.0, 0.0, 0.0])
