"""Control flow: if/elif/else, early return, conditional expressions, and/or.

Every function is checked against central finite differences, both the code
specialized to the arguments' shapes and the shape-generic code, on each path.
Away from the branch boundaries the gradient is the gradient of the branch taken.
"""
import re

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd


def piecewise(x, a):
    if np.sum(x) > 0:
        y = np.tanh(x) * a
    else:
        y = x * x
    return np.sum(y)


def early_return(x):
    if x > 1.0:
        return x ** 2
    z = np.sin(x)
    return z * x


def elif_chain(x, w):
    s = np.sum(x * w)
    if s > 1.0:
        r = s * 2.0
    elif s > -1.0:
        r = s ** 3
    else:
        r = -s
    return r


def one_sided(x):
    y = x * 2.0
    if np.mean(x) > 0:
        y = y * x
    return np.sum(y)


def conditional_expressions(x):
    return np.sum(x * (2.0 if np.max(x) > 0.5 else 3.0) + (x if x[0] > 0 else -x))


def boolean_operators(x, y):
    if x > 0 and y > 0 or x < -5:
        return x * y
    else:
        return x + y


def nested(x):
    if x > 0:
        if x > 2:
            v = x ** 3
        else:
            v = x ** 2
    else:
        v = -x
    return v * 1.5


def swap(a, b):
    if a > b:
        a, b = b, a
    return a * 2.0 + b


def returns_in_both_branches(x, w):
    h = np.tanh(x @ w)
    if np.all(h > -2.0):
        return np.sum(h ** 2)
    else:
        return np.sum(h)


def value_or_default(x):
    scale = x[0] > 0 and 2.0 or 0.5
    return np.sum(x * scale)


RNG = np.random.default_rng(3)
CASES = [
    (piecewise, (RNG.normal(size=3) + 2.0, 0.7)),
    (piecewise, (RNG.normal(size=3) - 2.0, 0.7)),
    (early_return, (2.0,)),
    (early_return, (0.3,)),
    (elif_chain, (np.array([1.0, 2.0]), np.array([0.5, 0.5]))),
    (elif_chain, (np.array([0.2, 0.1]), np.array([1.0, 1.0]))),
    (elif_chain, (np.array([-3.0, -2.0]), np.array([1.0, 1.0]))),
    (one_sided, (np.array([1.0, 2.0]),)),
    (one_sided, (np.array([-1.0, -2.0]),)),
    (conditional_expressions, (np.array([1.0, 0.2]),)),
    (conditional_expressions, (np.array([-0.1, 0.2]),)),
    (boolean_operators, (1.0, 2.0)),
    (boolean_operators, (-1.0, 2.0)),
    (boolean_operators, (-6.0, 1.0)),
    (nested, (3.0,)),
    (nested, (1.0,)),
    (nested, (-1.0,)),
    (swap, (3.0, 1.0)),
    (swap, (1.0, 3.0)),
    (returns_in_both_branches, (RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2)))),
    (value_or_default, (np.array([1.0, -2.0]),)),
    (value_or_default, (np.array([-1.0, 2.0]),)),
]


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_branchy_functions_match_finite_differences(f, args):
    assert_grad_matches_fd(f, args, tuple(range(len(args))))


def test_branch_adjoint_is_an_if_on_the_same_condition_without_a_record():
    src = sct.source(piecewise, wrt=(0, 1))
    code = [line.strip() for line in src.splitlines()]
    assert code.count("if gt:") == 2  # forward and adjoint share the condition value
    assert "tape" not in src and "append" not in src
    # The forward tanh is computed once, in its branch, and reused by the adjoint.
    assert sum("np.tanh(" in line for line in code if not line.startswith("#")) == 1


def test_join_needs_no_copy_when_the_branch_defines_the_value():
    src = sct.grad(nested).source_for(3.0)
    assert "v = x ** 3" in src and "v = x ** 2" in src  # each branch assigns the join name


def defined_in_one_branch(x):
    if x > 0:
        y = np.sin(x) * 2.0
    return y


def test_name_assigned_in_one_branch_works_where_python_does():
    assert_grad_matches_fd(defined_in_one_branch, (1.0,), 0)
    with pytest.raises(UnboundLocalError):  # as Python, where the path that did not bind y reads it
        sct.grad(defined_in_one_branch)(-1.0)


def returns_on_some_paths(x):
    if x > 0:
        if x > 1:
            return x ** 2
        x = x * 2.0
    return x * 3.0


def returns_in_a_nested_else(x, y):
    if x > y:
        y = y * x
    else:
        if y > 5.0:
            return np.sin(y)
    return x + y


@pytest.mark.parametrize("f, args, wrt", [
    (returns_on_some_paths, (2.0,), 0), (returns_on_some_paths, (0.5,), 0), (returns_on_some_paths, (-1.0,), 0),
    (returns_in_a_nested_else, (3.0, 1.0), (0, 1)), (returns_in_a_nested_else, (1.0, 7.0), (0, 1)),
    (returns_in_a_nested_else, (1.0, 3.0), (0, 1)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_return_on_some_paths_of_a_branch(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


# ---------------------------------------------------------------- loops


def power_loop(x, n):
    y = 1.0
    for i in range(n):
        y = y * x
    return y


def rnn(W, U, xs, h0):
    h = h0
    for x in xs:
        h = np.tanh(W @ h + U @ x)
    return np.sum(h ** 2)


def euler(k, c):
    x, v = 1.0, 0.0
    dt = 0.01
    for i in range(100):
        a = -k * x - c * v
        x = x + dt * v
        v = v + dt * a
    return x


def newton_sqrt(a):
    x = a
    i = 0
    while i < 20:
        x = 0.5 * (x + a / x)
        i = i + 1
    return x


def accumulate(w, xs):
    total = 0.0
    for x in xs:
        total = total + np.sum(w * x)
    return total


def zero_trips(x):
    y = x * 2.0
    for i in range(0):
        y = y * x
    return y


def while_never_runs(x):
    y = x
    while y > 100.0:
        y = y / 2.0
    return y * 3.0


def negative_step(x):
    y = x
    for i in range(5, 0, -2):
        y = y * i + x
    return y


def nested_loops(x):
    s = 0.0
    for i in range(3):
        for j in range(2):
            s = s + x * (i + j)
    return s


def branch_in_loop(x):
    y = x
    for i in range(4):
        if i % 2 == 0:
            y = y * x
        else:
            y = y + x
    return y


def loop_over_list(x):
    y = x
    for c in [0.5, -1.0, 2.0]:
        y = np.sin(y) * c + x
    return np.sum(y)


def defined_in_loop(x):
    for i in range(3):
        last = x * i
    return np.sum(last * x)


RNG_LOOPS = np.random.default_rng(4)
LOOP_CASES = [
    (power_loop, (1.3, 4), (0,)),
    (power_loop, (1.3, 0), (0,)),
    (rnn, (RNG_LOOPS.normal(size=(3, 3)) * 0.5, RNG_LOOPS.normal(size=(3, 2)) * 0.5,
           RNG_LOOPS.normal(size=(5, 2)), RNG_LOOPS.normal(size=3)), (0, 1, 3)),
    (euler, (2.0, 0.3), (0, 1)),
    (newton_sqrt, (2.0,), (0,)),
    (accumulate, (RNG_LOOPS.normal(size=3), RNG_LOOPS.normal(size=(4, 3))), (0,)),
    (zero_trips, (1.5,), (0,)),
    (while_never_runs, (1.5,), (0,)),
    (while_never_runs, (250.0,), (0,)),
    (negative_step, (1.5,), (0,)),
    (nested_loops, (1.5,), (0,)),
    (branch_in_loop, (1.5,), (0,)),
    (loop_over_list, (RNG_LOOPS.normal(size=3),), (0,)),
    (defined_in_loop, (RNG_LOOPS.normal(size=2),), (0,)),
]


@pytest.mark.parametrize("f, args, wrt", LOOP_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_loops_match_finite_differences(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


def test_rnn_gradient_is_a_forward_and_a_reversed_loop_with_a_minimal_tape():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2)), rng.normal(size=3))
    src = sct.grad(rnn, wrt=(0, 1)).source_for(*args)
    code = [line.strip() for line in src.splitlines()]
    assert "for x in xs:" in code and "for x_1 in reversed(xs):" in code
    assert "# grad of: h = np.tanh(W @ h + U @ x)" in code
    # Only the values the adjoint reads are taped: the new and the previous h.
    assert "tape.append((h_1, h))" in code and "h_3, h_4 = tape.pop()" in code
    assert "unbroadcast" not in src  # shapes are known inside the loop too


def test_no_tape_outside_loops_and_none_for_values_not_read():
    src = sct.grad(euler, wrt=(0, 1)).source_for(2.0, 0.3)
    assert src.count("tape.append(") == 1
    push = next(line.strip() for line in src.splitlines() if "tape.append(" in line)
    assert push == "tape.append((v, x, neg))"  # not `a`: no adjoint reads it
    assert "unbroadcast" not in src and "np.zeros" not in src  # scalars stay scalars


def first_big(x):
    s = 0.0
    for i in range(10):
        s = s + x * i
        if s > 5.0:
            break
    return s


def skip_odd(x):
    s = x
    for i in range(6):
        if i % 2 == 1:
            continue
        s = s * x + 1.0
    return s


def newton_until_converged(a):
    x = a
    while True:
        x_new = 0.5 * (x + a / x)
        if abs(x_new - x) < 1e-12:
            break
        x = x_new
    return x_new


def break_in_first_iteration(x):
    y = x
    for i in range(5):
        y = y * 2.0
        break
    return y


def while_with_branches(x):
    y = x
    n = 0
    while n < 5:
        if y > 1.0:
            y = np.sin(y) + 1.5
        else:
            y = y * 1.1
        n = n + 1
    return y


def inner_break(x):
    s = 0.0
    for i in range(3):
        for j in range(4):
            s = s + x * j
            if j >= i:
                break
    return s


@pytest.mark.parametrize("f, args", [
    (first_big, (0.7,)), (first_big, (0.01,)), (skip_odd, (1.2,)), (newton_until_converged, (2.0,)),
    (break_in_first_iteration, (1.5,)), (while_with_branches, (0.5,)), (while_with_branches, (1.5,)),
    (inner_break, (1.5,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_break_and_continue_match_finite_differences(f, args):
    assert_grad_matches_fd(f, args, 0)


def test_loop_that_breaks_is_reversed_over_the_items_it_visited():
    src = sct.grad(first_big).source_for(0.7)
    assert "if broke:" in src and "break" in src
    assert "reversed(first_items(range_1, trips))" in src


def find_threshold(x):
    s = 0.0
    for i in range(10):
        s = s + x * i
        if s > 5.0:
            return s * 2.0
    return -s


def search_else(x):
    y = x
    for i in range(4):
        y = y * 1.5
        if y > 10.0:
            break
    else:
        y = y - 100.0
    return y


def while_else(x):
    y = x
    while y < 3.0:
        y = y * 2.0
    else:
        y = y + 1.0
    return y


def nested_search_else(x):
    """The nested-loop search idiom: the inner loop's `else: continue` skips the outer loop's
    `break`, which runs only when the inner loop broke."""
    s = 0.0
    for e in [1.0, 2.0, 3.0]:
        for c in [0.5, 1.5]:
            if x * c * e > 2.0:
                break
        else:
            s = s + x * e
            continue
        s = s + np.sin(x) * e
        break
    return s


def return_from_inner_else(x):
    s = 0.0
    for e in [1.0, 2.0]:
        for c in [0.5, 1.5]:
            s = s + x * c
        else:
            return s * e
    return s


def return_from_while(a):
    x = a
    while True:
        x_new = 0.5 * (x + a / x)
        if abs(x_new - x) < 1e-12:
            return x_new
        x = x_new


def checked_log(x):
    assert np.all(x > 0), "x must be positive"
    return np.sum(np.log(x))


@pytest.mark.parametrize("f, args", [
    (find_threshold, (0.7,)), (find_threshold, (0.01,)), (search_else, (2.0,)), (search_else, (0.5,)),
    (while_else, (0.5,)), (while_else, (5.0,)), (return_from_while, (2.0,)), (checked_log, (np.array([1.0, 2.0]),)),
    (nested_search_else, (0.7,)), (nested_search_else, (3.0,)), (nested_search_else, (0.2,)),
    (return_from_inner_else, (0.7,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_return_in_loops_loop_else_and_assert_match_finite_differences(f, args):
    assert_grad_matches_fd(f, args, 0)


def test_return_inside_a_loop_returns_after_it_on_the_recorded_flag():
    src = sct.grad(find_threshold).source_for(0.7)
    assert "if returned:" in src and "if broke:" in src


def test_assert_is_kept_and_not_differentiated():
    gradient = sct.grad(checked_log)
    assert "assert np.all(x > 0), 'x must be positive'" in gradient.source
    with pytest.raises(AssertionError, match="positive"):
        gradient(np.array([-1.0, 2.0]))


def piecewise_rnn(W, xs, h0):
    h = h0
    for x in xs:
        a = W @ h + x
        if np.sum(a) > 0:
            h = np.tanh(a)
        else:
            h = 0.1 * np.sin(a)
    return np.sum(h ** 2)


def test_branch_inside_loop_records_the_decision_and_tapes_only_the_path_taken():
    rng = np.random.default_rng(5)
    args = (rng.normal(size=(3, 3)), rng.normal(size=(6, 3)), rng.normal(size=3))
    assert_grad_matches_fd(piecewise_rnn, args, (0, 2))
    src = sct.grad(piecewise_rnn, wrt=(0, 2)).source_for(*args)
    code = [line.strip() for line in src.splitlines()]
    assert "tape.append(h_3)" in code  # inside the branch: only when it was taken
    assert "tape.append((gt, a, h))" in code  # the decision itself is recorded
    assert code.count("h_5 = tape.pop()") == 1


# ---------------------------------------------------------------- what loops iterate over


def weighted_by_step(w, xs):
    total = 0.0
    for t, x in enumerate(xs):
        total = total + (t + 1.0) * np.sum(w * x)
    return total


def paired(w, xs, ys):
    loss = 0.0
    for x, y in zip(xs, ys):
        loss = loss + np.sum((w * x - y) ** 2)
    return loss


def paired_until(w, xs, ys):
    loss = 0.0
    for k, (x, y) in enumerate(zip(xs, ys[:3]), start=1):  # zip stops at the shorter
        loss = loss + k * np.sum((w * x - y) ** 2)
        if loss > 50.0:
            break
    return loss


def backwards_in_time(w, xs):
    h = w
    for x in reversed(xs):
        h = np.tanh(h * x)
    return np.sum(h)


def over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.sum(np.tanh(row * w))
    return s


def over_rows_until(X):
    s = 0.0
    for row in X:
        s = s + np.sum(row ** 2)
        if s > 3.0:
            break
    return s


RNG_ITER = np.random.default_rng(6)


@pytest.mark.parametrize("f, args, wrt", [
    (weighted_by_step, (RNG_ITER.normal(size=3), RNG_ITER.normal(size=(4, 3))), (0, 1)),
    (paired, (RNG_ITER.normal(size=3), RNG_ITER.normal(size=(4, 3)), RNG_ITER.normal(size=(4, 3))), (0, 1, 2)),
    (paired_until, (RNG_ITER.normal(size=3), RNG_ITER.normal(size=(4, 3)), RNG_ITER.normal(size=(4, 3))), (0, 1, 2)),
    (paired_until, (3.0 * np.ones(3), np.ones((4, 3)), np.zeros((4, 3))), (0, 1, 2)),
    (backwards_in_time, (RNG_ITER.normal(size=3), RNG_ITER.normal(size=(4, 3))), (0,)),
    (over_rows, (RNG_ITER.normal(size=(4, 3)), RNG_ITER.normal(size=3)), (0, 1)),
    (over_rows_until, (RNG_ITER.normal(size=(5, 3)),), (0,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_iteration_forms_match_finite_differences(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


def test_one_pass_iterables_print_as_written_and_are_reversed_through_the_tape():
    args = (RNG_ITER.normal(size=3), RNG_ITER.normal(size=(4, 3)), RNG_ITER.normal(size=(4, 3)))
    src = sct.grad(paired).source_for(*args)
    assert "for x, y in zip(xs, ys):" in src
    assert "for _ in range(trips):" in src  # zip cannot be reversed: the counter says how often


def loop_inside_a_branch_read_after(x):
    if np.sum(x) > 0:
        for i in range(3):
            v = x * i
    else:
        v = x
    return np.sum(v * x)


def value_from_the_previous_iteration(x):
    s = 0.0
    for i in range(4):
        if i > 0:
            s = s + np.sum(prev * x)  # noqa: F821  (bound by the previous iteration)
        prev = x * (i + 1.0)
    return s


def loop_variable_after_the_loop(x):
    for i in range(3):
        y = x * i
    return np.sum(y * x) * i


@pytest.mark.parametrize("f, args", [
    (loop_inside_a_branch_read_after, (np.array([1.0, 2.0]),)),
    (loop_inside_a_branch_read_after, (np.array([-1.0, -2.0]),)),
    (value_from_the_previous_iteration, (np.array([0.3, -0.7, 1.1]),)),
    (loop_variable_after_the_loop, (np.array([0.3, -0.7, 1.1]),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_values_carried_across_iterations_and_out_of_loops(f, args):
    assert_grad_matches_fd(f, args, 0)


def read_in_the_loops_else(x, M):
    for row in M:
        u = np.tanh(row * x)
    else:
        total = np.sum(u)
    return total


def test_a_loops_else_block_reads_the_last_iteration():
    assert_grad_matches_fd(read_in_the_loops_else, (np.array([0.3, -0.2, 0.5]), np.ones((3, 3)) * 0.7), 0)


def scalar_carried_beside_an_array_accumulator(x, v, M):
    # The cotangent of the scalar `x` reaches the loop as a lazy 1.0 from np.sum;
    # its exit adjoint must keep the carried value's own (scalar) shape while the
    # array accumulator's adjoint broadcasts.
    acc = np.zeros(3)
    for c, row in zip(v, M):
        acc = acc + np.sin(x)
        x *= np.tanh(np.tanh(x))
    return np.sum(acc) + x


@pytest.mark.parametrize("wrt", [0, 2])
def test_scalar_and_array_values_carried_through_one_loop(wrt):
    args = (0.4, np.array([0.5, -1.0]), np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]))
    assert_grad_matches_fd(scalar_carried_beside_an_array_accumulator, args, wrt)


def unused_truth_test_of_an_array(x):
    unused = (x or 1.0) * 2.0  # Python tests the truth of x here, even though nothing reads `unused`
    return np.sum(x * x)


def test_an_unused_conditional_still_tests_its_condition():
    with pytest.raises(ValueError, match="truth value"):
        sct.grad(unused_truth_test_of_an_array)(np.ones(3))
    assert sct.grad(unused_truth_test_of_an_array)(np.ones(1)) == pytest.approx([2.0])
    src = sct.grad(unused_truth_test_of_an_array).source
    assert "    bool(x)\n" in src and "if " not in src


def matrix_or_vector(W, x):
    if x.ndim == 1:
        y = W @ x  # never runs for a matrix x, whose shapes do not fit here
    else:
        y = x @ W
    return np.sum(np.tanh(y))


def test_a_branch_that_does_not_run_is_not_shape_checked():
    assert_grad_matches_fd(matrix_or_vector, (np.ones((3, 2)) * 0.3, np.ones((4, 3)) * 0.2), (0, 1))
    assert_grad_matches_fd(matrix_or_vector, (np.ones((3, 2)) * 0.3, np.ones(2) * 0.2), (0, 1))


# ---- both branches binding a name to the same value


def same_value_on_both_paths(a):
    y = a * 2.0
    if a > 0:
        x = y
    else:
        x = y
    return x * 3.0


def converged_then_break(a):
    x = 0.5
    for _ in range(5):
        y = a * x
        if y > 100.0:
            x = y
            break
        x = y
    return x


def heron_sqrt(a):
    x = a
    while True:
        better = 0.5 * (x + a / x)
        if abs(better - x) < 1e-12:
            x = better
            break
        x = better
    return x


@pytest.mark.parametrize("f, a", [(same_value_on_both_paths, 0.9), (same_value_on_both_paths, -0.9),
                                  (converged_then_break, 0.9), (heron_sqrt, 0.9), (heron_sqrt, 2.5)])
def test_a_name_bound_to_the_same_value_on_both_paths(f, a):
    assert_grad_matches_fd(f, (a,), 0)
    value, _ = sct.value_and_grad(f)(a)
    assert value == pytest.approx(f(a))


# ---- reversed() of arrays


def horner(c, x):
    acc = 0.0
    for ci in reversed(c):
        acc = acc * x + ci
    return acc


def weighted_from_the_end(c):
    s = 0.0
    for i, ci in enumerate(reversed(c)):
        s = s + ci * (i + 1.0) ** 2
    return s


def test_reversed_of_a_differentiated_array():
    c = np.array([1.0, 2.0, 3.0])
    assert_grad_matches_fd(horner, (c, 0.7), (0, 1))
    np.testing.assert_allclose(sct.grad(weighted_from_the_end)(c), [9.0, 4.0, 1.0])
    assert "for ci in reversed(c)" in sct.grad(horner).source_for(c, 0.7)  # the comment: a loop, not unrolled


# ---- reading one item per iteration: the adjoint accumulates in place


def item_per_iteration(x, A, w):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + np.tanh(w * x[i]) * A[i, i]
    return s


def item_per_iteration_and_after(x):
    s = np.sum(x ** 2)  # x already has an adjoint when the reversed loop starts: it writes into a copy
    for i in range(x.shape[0]):
        s = s + np.sin(x[i]) * i
    return s + np.sum(x ** 3)


def test_an_item_read_per_iteration_is_accumulated_in_place():
    rng = np.random.default_rng(9)
    x, A = rng.normal(size=6), rng.normal(size=(6, 6))
    assert_grad_matches_fd(item_per_iteration, (x, A, 0.7), (0, 1, 2))
    assert_grad_matches_fd(item_per_iteration_and_after, (x,), 0)
    assert "private_copy(" in sct.grad(item_per_iteration_and_after).source_for(x)
    src = sct.grad(item_per_iteration, wrt=(0, 1)).source_for(x, A, 0.7)
    assert "add_at(" in src and "getitem_adjoint(" not in src  # no array of x's size per iteration


def rk4_steps(A, y0):
    h = 0.1
    y = y0
    for _ in range(10):
        k1 = np.tanh(A @ y)
        k2 = np.tanh(A @ (y + 0.5 * h * k1))
        y = y + (h / 6) * (k1 + 2 * k2)
    return np.sum(y ** 2)


def test_arithmetic_of_literals_is_folded_and_never_taped():
    A, y0 = np.eye(3) * 0.5 + 0.1, np.array([0.3, -0.2, 0.9])
    assert_grad_matches_fd(rk4_steps, (A, y0), (0, 1))
    src = sct.grad(rk4_steps).source_for(A, y0)
    tape_line = next(line for line in src.splitlines() if "tape.append(" in line)
    assert not re.search(r"\d\.\d", tape_line), tape_line  # no literal on the tape
    assert "0.05 * k1" in src and "0.016666666666666666 *" in src


def name_bound_in_a_branch_that_never_runs(x):
    if -0.9 >= 0.1:  # a comparison of literals: never true
        unused = np.tanh(x)
    return x * 2.0 if x > -10.0 else unused  # Python never reads `unused` here


def test_a_name_bound_only_in_a_branch_on_literals_is_read_only_if_it_runs():
    assert_grad_matches_fd(name_bound_in_a_branch_that_never_runs, (0.7,), 0)
