"""Writes into arrays: y[i] = v, y[mask] = 0, y[a:b] += v, inside loops too.

In the IR a write is a functional update, so the adjoint never reads a clobbered
value; the generated code copies, then writes. The caller's arrays never change.
"""
import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd


def fill_in_a_loop(x):
    y = np.zeros(4)
    for i in range(4):
        y[i] = x[i] ** 2 + (y[i - 1] if i > 0 else 0.0)
    return np.sum(y * y)


def zero_the_negatives(x):
    y = x.copy()
    y[y < 0] = 0.0
    return np.sum(y ** 2)


def add_into_a_slice(x, v):
    y = np.zeros(5)
    y[1:4] += v * x[:3]
    return np.sum(np.sin(y))


def write_into_the_argument(x):
    x[0] = 3.0
    return np.sum(x ** 2)


def read_before_and_after_the_write(x):
    y = np.zeros(3)
    z = y * 2.0 + x  # reads y before the write: the old values
    y[1] = x[0]
    return np.sum(z * y)


def rows_from_previous_rows(X):
    Y = np.zeros((3, 2))
    Y[0] = X[0]
    for t in range(1, 3):
        prev = Y[t - 1]
        Y[t] = np.tanh(prev + X[t])
    return np.sum(Y ** 2)


def write_with_negative_index_and_step(x):
    y = np.ones(6)
    y[::-2] = x * 3.0
    return np.sum(y * np.arange(6.0))


RNG = np.random.default_rng(8)


@pytest.mark.parametrize("f, args, wrt", [
    (fill_in_a_loop, (RNG.normal(size=4),), 0),
    (zero_the_negatives, (RNG.normal(size=5),), 0),
    (add_into_a_slice, (RNG.normal(size=5), 0.7), (0, 1)),
    (write_into_the_argument, (RNG.normal(size=3),), 0),
    (read_before_and_after_the_write, (RNG.normal(size=3),), 0),
    (rows_from_previous_rows, (RNG.normal(size=(3, 2)),), 0),
    (write_with_negative_index_and_step, (RNG.normal(size=3),), 0),
], ids=lambda v: getattr(v, "__name__", ""))
def test_array_writes_match_finite_differences(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)  # also checks the caller's arrays are unchanged


def test_a_write_into_an_argument_does_not_change_the_callers_array():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(sct.grad(write_into_the_argument)(x), [0.0, 4.0, 6.0])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_the_generated_code_copies_an_argument_then_writes():
    code = [line.strip() for line in sct.grad(write_into_the_argument).source_for(np.ones(3)).splitlines()]
    copy = code.index("x_1 = x.copy()")
    assert code[copy + 1] == "x_1[0] = 3.0"
    # An array the function made, read before the write only to compute y < 0, is written into.
    code = [line.strip() for line in sct.grad(zero_the_negatives).source_for(np.ones(3)).splitlines()]
    assert ".copy()" not in code[1:] and code[code.index("y_1 = y") + 1] == "y_1[lt] = 0.0"


def stale_alias(x):
    y = x.copy()
    z = y
    y[0] = 5.0
    return np.sum(z * x)


def test_reading_another_name_for_the_written_array_is_refused_at_the_read():
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(stale_alias)(np.ones(3))
    assert "'z' shares memory with 'y'" in str(info.value) and ".copy()" in info.value.hint


# ---- `x += ...` while another name holds the same value


def newton_sqrt(a):
    x = 1.0
    for _ in range(30):
        x_old = x
        x -= (x * x - a) / (2.0 * x)  # a float: x is rebound, x_old keeps the old value
        if abs(x - x_old) < 1e-12:
            break
    return x


def shared_array(v):
    y = v * 2.0
    z = y
    y += 1.0  # NumPy would change z too
    return np.sum(z)


def test_augmented_assignment_of_a_number_another_name_holds():
    assert_grad_matches_fd(newton_sqrt, (2.0,), 0)
    assert sct.grad(newton_sqrt)(2.0) == pytest.approx(0.5 / np.sqrt(2.0))


def test_augmented_assignment_of_an_array_another_name_holds_is_refused_at_its_line():
    with pytest.raises(sct.UnsupportedSyntaxError, match="would change an array that `z` also refers to") as info:
        sct.grad(shared_array)(np.ones(3))
    assert info.value.loc.line == shared_array.__code__.co_firstlineno + 3


def alias_written_in_a_loop(x):
    y = np.zeros(3)
    z = y  # the same array: after the loop it holds what the loop wrote, as in Python
    for i in range(3):
        y[i] = x[i] * 2.0
    return np.sum(z * np.cos(y))


def test_another_name_for_an_array_written_in_a_loop_sees_the_writes():
    assert_grad_matches_fd(alias_written_in_a_loop, (np.array([0.5, -1.2, 2.0]),), 0)


# ---- writes into an array nothing else reads happen in place (no copy per write)


def fill_rows_in_a_loop(x, W):
    out = np.zeros((x.shape[0], W.shape[1]))
    for i in range(x.shape[0]):
        out[i] = np.tanh(x[i] @ W)
    return np.sum(out ** 2)


def fill_a_grid_in_nested_loops(x):
    grid = np.zeros((3, 4))
    for i in range(3):
        for j in range(4):
            grid[i, j] = x[i] * j + np.sin(x[i])
    return np.sum(grid * grid)


def each_row_from_the_previous(x):
    y = np.zeros((4, 3))
    y[0] = x
    for i in range(1, 4):
        previous = y[i - 1]  # a view of y: the write below must not change it under our feet
        y[i] = np.tanh(previous) * 2.0 + x
    return np.sum(y * y)


def written_then_base_read(x):
    base = np.zeros(3)
    y = base
    for i in range(3):
        y[i] = x[i] * 2.0
    return np.sum(y * base) + np.sum(base)


def argument_written_in_a_loop(x):
    for i in range(x.shape[0]):
        x[i] = x[i] ** 2
    return np.sum(x)


@pytest.mark.parametrize("f, args", [
    (fill_rows_in_a_loop, (np.random.default_rng(1).normal(size=(5, 3)), np.random.default_rng(2).normal(size=(3, 2)))),
    (fill_a_grid_in_nested_loops, (np.array([0.3, -0.8, 1.1]),)),
    (each_row_from_the_previous, (np.array([0.3, -0.8, 1.1]),)),
    (written_then_base_read, (np.array([0.3, -0.8, 1.1]),)),
    (argument_written_in_a_loop, (np.array([0.3, -0.8, 1.1]),)),
])
def test_writes_in_loops_match_finite_differences(f, args):
    assert_grad_matches_fd(f, args, tuple(range(len(args))))


def test_an_array_nothing_else_reads_is_written_in_place():
    x, W = np.ones((5, 3)), np.ones((3, 2))
    src = sct.grad(fill_rows_in_a_loop).source_for(x, W)
    assert ".copy()" not in src and "out_1[i] = " in src
    assert "out" not in src.split("tape.append(")[1].split("\n")[0]  # the array is not taped either
    grid = sct.grad(fill_a_grid_in_nested_loops).source_for(np.ones(3))
    assert ".copy()" not in grid and "grid_2[i, j] = " in grid and "tape_1.append((range_2, tape))" in grid
    # A view of the array is read before the write: the write copies.
    assert ".copy()" in sct.grad(each_row_from_the_previous).source_for(np.ones(3))
    # An argument is never written into.
    assert ".copy()" in sct.grad(argument_written_in_a_loop).source_for(np.ones(3))


# ---- NumPy's semantics that a functional reading would get wrong


def repeated_index_write(x, v):
    y = x.copy()
    y[np.array([0, 2, 0])] = v  # NumPy keeps the last value written at 0
    return np.sum(y * np.arange(1.0, 4.0))


def repeated_index_update(x, v):
    y = x.copy()
    y[np.array([0, 0])] += v  # y[0] = x[0] + v[1]: the first update is overwritten
    return np.sum(y * np.arange(1.0, 4.0))


def test_a_repeated_integer_index_keeps_the_last_write():
    x = np.array([1.0, 2.0, 3.0])
    dx, dv = sct.grad(repeated_index_write, wrt=(0, 1))(x, np.array([10.0, 20.0, 30.0]))
    np.testing.assert_allclose(dx, [0.0, 2.0, 0.0])
    np.testing.assert_allclose(dv, [0.0, 3.0, 1.0])
    dx, dv = sct.grad(repeated_index_update, wrt=(0, 1))(x, np.array([10.0, 20.0]))
    np.testing.assert_allclose(dx, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(dv, [0.0, 1.0])
    assert_grad_matches_fd(repeated_index_write, (x, np.array([10.0, 20.0, 30.0])), (0, 1))


def update_through_a_view(x):
    y = x * 1.0
    head = y[0:2]
    head *= 3.0  # changes y too
    return np.sum(y)


def update_after_putting_in_a_list(x):
    acc = x * 1.0
    kept = [acc]
    acc += x  # kept[0] is acc
    return np.sum(kept[0])


def update_of_an_appended_array(X):
    acc = np.zeros(X.shape[1])
    history = []
    for row in X:
        acc += row ** 2  # every item of history is this one array
        history.append(acc)
    return np.sum(np.stack(history))


def running_sums_of_numbers(x):
    s = 0.0
    sums = []
    for v in x:
        s += v * v  # a float: rebound, the list keeps the old one
        sums.append(s)
    return sum(sums)


@pytest.mark.parametrize("f, other", [(update_through_a_view, "`y`"), (update_after_putting_in_a_list, "`kept`"),
                                      (update_of_an_appended_array, "a list or dict it was put in")])
def test_an_in_place_update_another_name_would_see_is_refused_at_its_line(f, other):
    with pytest.raises(sct.UnsupportedSyntaxError, match="also refers to") as info:
        sct.grad(f)(np.ones((3, 2)) if f is update_of_an_appended_array else np.ones(3))
    assert other in str(info.value) and " = " in info.value.hint
    assert "*=" in info.value.loc.text or "+=" in info.value.loc.text


def test_the_same_update_of_a_number_is_a_new_binding():
    assert_grad_matches_fd(running_sums_of_numbers, (np.array([1.0, 2.0, 3.0]),), 0)


# ---- writes in place must never change a value that is read later


def two_arrays_from_the_same_call(x):
    y = np.zeros(2)
    z = np.zeros(2)  # another array, not the same one
    for i in range(2):
        y[i] = x[i]
        z[i] = x[i] * 2
    return np.sum(y * z)


def array_read_after_each_write(x):
    y = np.zeros(2)
    s = 0.0
    for i in range(2):
        y[i] = x[i]
        s = s + np.sum(y * x) + np.sum(y[:] * x)  # the adjoint needs y as it was in each iteration
    return s


def view_taken_before_the_loop(x):
    y = np.zeros(2)
    v = y[:]
    for i in range(2):
        y[i] = x[i]
    return np.sum(v)  # ERR


def two_names_written_in_a_loop(x):
    y = np.zeros(2)
    z = y
    for i in range(2):  # ERR
        y[i] = x[i]
        z[i] = z[i] * 2
    return np.sum(y)


def test_in_place_writes_keep_every_value_that_is_read_later():
    x = np.array([0.3, -0.7])
    for f in (two_arrays_from_the_same_call, array_read_after_each_write):
        value, _ = sct.value_and_grad(f)(x)
        assert value == pytest.approx(f(x))
        assert_grad_matches_fd(f, (x,), 0)


@pytest.mark.parametrize("f", [view_taken_before_the_loop, two_names_written_in_a_loop])
def test_sharing_an_array_a_loop_writes_into_is_refused_at_the_line(f):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(f)(np.array([0.3, -0.7]))
    assert "# ERR" in info.value.loc.text and info.value.hint


def float_written_into_an_int_array(x):
    y = np.zeros(2, dtype=int)
    y[0] = x[0] * 10  # truncated: no derivative through it
    return np.sum(y * x)


def test_a_value_written_into_an_integer_array_has_no_derivative():
    x = np.array([0.3, -0.7])
    np.testing.assert_allclose(sct.grad(float_written_into_an_int_array)(x), [3.0, 0.0])


def written_in_a_branch(x):
    y = np.zeros(3)
    if x[0] > 0:
        y[0] = x[1]
    return np.sum(y * x)


def test_a_write_in_a_branch_with_value_and_grad():
    x = np.array([0.3, -0.7, 0.2])
    value, grad = sct.value_and_grad(written_in_a_branch)(x)
    assert value == pytest.approx(written_in_a_branch(x))
    assert_grad_matches_fd(written_in_a_branch, (x,), 0)


def view_kept_in_a_list(x):
    y = np.zeros(2)
    kept = [y[:]]
    y[0] = x[0]
    return np.sum(kept[0])  # ERR


def array_appended_then_written(x):
    y = np.zeros(2)
    history = []
    for i in range(2):  # ERR
        y[i] = x[i]
        history.append(y)
    return np.sum(history[0])


def appended_then_written(x):
    y = np.zeros(2)
    history = []
    history.append(y[:])
    y[0] = x[0]
    return np.sum(history[0])  # ERR: the list holds a view of y


def fresh_array_each_iteration(x):
    history = []
    for j in range(2):
        u = np.zeros(2)  # a new array each time: writing into it changes no list item
        u[j] = x[j]
        history.append(u)
    return np.sum(np.stack(history) * np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_a_new_array_each_iteration_may_be_written_then_appended():
    assert_grad_matches_fd(fresh_array_each_iteration, (np.array([0.3, -0.7]),), 0)


def previous_iterations_array(x):
    y = np.zeros(2)
    previous = np.zeros(2)
    s = 0.0
    for i in range(2):  # ERR
        y[i] = x[i]
        s = s + np.sum(previous)
        previous = y
    return s


@pytest.mark.parametrize("f", [view_kept_in_a_list, array_appended_then_written, appended_then_written,
                               previous_iterations_array])
def test_an_array_a_container_or_the_next_iteration_holds_is_not_written_silently(f):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(f)(np.array([0.3, -0.7]))
    assert "# ERR" in info.value.loc.text and ".copy()" in info.value.hint


def alias_by_a_conditional_expression(s, W, x):
    q = s if np.sum(s) > 0.5 else W
    s[:, 2] = x
    return np.sum(q)


def view_by_a_conditional_expression(y, x, c):
    v = y[:2] if c > 0 else y[1:]
    v[0] = 5.0
    return np.sum(y * x)


def copy_or_argument_by_a_conditional_expression(b, s):
    y = b.copy()
    q = y if s > 5 else b
    q[-1] += s
    return np.sum(np.sin(b))


@pytest.mark.parametrize("f, args, line", [
    (alias_by_a_conditional_expression, (np.ones((3, 3)), np.zeros((3, 3)), np.ones(3)), "return np.sum(q)"),
    (view_by_a_conditional_expression, (np.arange(3.0), np.ones(3), 1.0), "return np.sum(y * x)"),
    (copy_or_argument_by_a_conditional_expression, (np.array([0.3, -0.5, 1.2]), 0.7), "return np.sum(np.sin(b))"),
])
def test_a_value_a_conditional_expression_chose_may_be_either_when_written(f, args, line):
    with pytest.raises(sct.SctError, match="shares memory with") as info:
        sct.grad(f, wrt=(0, 1))(*args)
    assert line in str(info.value)
