"""Control flow and objects sct used to refuse (issue 10 §2, an outside fuzzer's most
frequent refusals), each checked against central finite differences on inputs that take
the different paths: exits (`break`/`continue`/`return`) nested in branches and loops,
exits from loops over containers known when lowering (unrolled), objects made in
branches and loops, fancy-index copies, and refusals that named the wrong reason.
"""
import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

X = np.array([0.5, -0.2, 0.3])
B = np.array([0.4, 0.6, -0.1])
INPUTS = [X, -X, 3.1 * X, 0.1 * X, np.array([1.3, 0.9, -0.7])]


def _check_on_inputs(f, n_args, inputs=INPUTS):
    wrt = tuple(range(n_args)) if n_args > 1 else 0
    for k, x in enumerate(inputs):
        args = (x, np.roll(B, k) * (1 + 0.3 * k))[:n_args]
        assert_grad_matches_fd(f, args, wrt=wrt)


# ---- `break`/`continue`/`return` in an `if` nested in a loop (only some paths leave)


def break_in_a_nested_if(x):
    s = 0.0
    for i in range(4):
        if x[i % 3] > 0:
            if s > 0.45:
                break
            s = s + x[i % 3] ** 2
        s = s + 0.1 * np.sin(x[0] * i)
    return s


def return_in_a_nested_if(x):
    s = 0.0
    for i in range(4):
        if x[i % 3] > 0:
            if s > 0.45:
                return s * 2
            s = s + x[i % 3] ** 2
        s = s + 0.1 * np.sin(x[0] * i)
    return s


def continue_in_a_nested_if(x):
    s = 0.0
    for i in range(4):
        if x[i % 3] > 0:
            if i == 2:
                continue
            s = s + x[i % 3]
        s = s + np.cos(x[1]) * i
    return s


def return_in_a_while_under_two_ifs(x):
    i = 0
    s = 0.0
    while i < 5:
        i += 1
        if s > 0.2:
            if x[0] > 0:
                return s
        s = s + x[i % 3] ** 2
    return -s


def exits_three_levels_deep(x):
    s = 0.0
    for i in range(5):
        if x[0] * i > -10:
            if i % 2 == 0:
                if np.sum(x) * i > 0.7:
                    break
                s = s + np.tanh(x[1] * i)
            else:
                if s < -0.3:
                    continue
                s = s + np.sin(x[2] + i)
        s = s * 0.9
    return s


def break_and_return_in_one_body(x):
    s = 0.0
    for i in range(6):
        if x[i % 3] > 0.25:
            if s > 1.0:
                return s * 3.0
        elif i > 3:
            if s < 0.1:
                break
        s = s + x[i % 3] ** 2 + 0.05
    return s


def names_first_bound_after_a_partial_exit(x):
    total = 0.0
    for i in range(4):
        if x[i % 3] > 0:
            if i > 2:
                break
        t = x[i % 3] * i  # bound only on the paths that do not leave
        total = total + t
    return total + t


def loop_else_after_a_partial_break(x):
    s = 0.0
    for i in range(3):
        if x[i] > 0:
            if s + x[i] > 0.6137:
                break
        s = s + x[i]
    else:
        s = s * 10.0
    return s


@pytest.mark.parametrize("f", [break_in_a_nested_if, return_in_a_nested_if, continue_in_a_nested_if,
                               return_in_a_while_under_two_ifs, exits_three_levels_deep,
                               break_and_return_in_one_body, names_first_bound_after_a_partial_exit,
                               loop_else_after_a_partial_break], ids=lambda f: f.__name__)
def test_exits_on_some_paths_of_a_nested_if(f):
    _check_on_inputs(f, 1)


# ---- `return` inside a loop that sits in a branch or in another loop


def return_from_a_loop_in_a_branch(x):
    s = 0.0
    if np.sum(x) > 0:
        for i in range(3):
            s = s + x[i]
            if s > 0.3:
                return s * 3.0
        s = s * 2
    return s + np.sum(x ** 2)


def return_from_an_inner_loop(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            s = s + x[i] * x[j]
            if s > 0.4:
                return s
        s = s * 0.5
    return s


def return_from_two_loops_in_a_branch(x):
    s = 0.0
    if x[0] > -5:
        for i in range(3):
            for j in range(2):
                s = s + x[i] * (j + 1.5)
                if s > 0.55:
                    return s
    return s * 2


def return_from_an_inner_while(x):
    s = 0.0
    for row in np.outer(x, x):
        k = 0
        while k < 3:
            s = s + np.sin(row[k])
            if s > 0.35:
                return s * s
            k = k + 1
    return s


def return_from_a_loop_in_the_else_branch(x):
    if np.sum(x) > 1.0:
        s = np.sum(x ** 2)
    else:
        s = 0.0
        for v in x:
            s = s + np.exp(v)
            if s > 2.5:
                return s
        s = -s
    return s


def return_in_an_inner_loop_and_a_break_in_the_outer(x):
    s = 0.0
    for i in range(4):
        for j in range(2):
            s = s + x[(i + j) % 3]
            if s > 0.9:
                return s
        if s < -0.3137:
            break
    return s * 2.0


def nested_return(x):
    for i in range(3):
        for j in range(2):
            if x > 1.0:
                return x
            x = x * 2.0
    return x


@pytest.mark.parametrize("f", [return_from_a_loop_in_a_branch, return_from_an_inner_loop,
                               return_from_two_loops_in_a_branch, return_from_an_inner_while,
                               return_from_a_loop_in_the_else_branch,
                               return_in_an_inner_loop_and_a_break_in_the_outer], ids=lambda f: f.__name__)
def test_return_from_a_loop_in_a_branch_or_a_loop(f):
    _check_on_inputs(f, 1)


def test_return_from_an_inner_loop_of_a_python_number():
    for x in (0.3, 0.7, 1.5, -2.0):
        assert_grad_matches_fd(nested_return, (x,))


# ---- exits from loops over a tuple or list of computed values (unrolled)


def break_over_a_tuple(x, b):
    s = 0.0
    for w in (x, b):
        s = s + np.sum(w ** 2)
        if s > 1.0:
            break
    return s


def return_over_a_tuple(x, b):
    s = 0.0
    for w in (x, b, x * b):
        s = s + np.sum(w ** 2)
        if s > 1.0:
            return s * 2
    return s


def continue_over_a_tuple(x, b):
    s = 0.0
    for w in (x, b, x * b):
        if np.sum(w) < 0:
            continue
        s = s + np.sum(w ** 2)
    return s


def break_over_a_tuple_with_else(x, b):
    s = 0.0
    for i in range(2):
        for w in (x, b):
            s = s + np.sum(w) * (i + 1)
            if s > 0.5:
                break
        else:
            s = s * 2
    return s


def return_over_a_tuple_in_a_loop(x, b):
    s = 0.0
    for i in range(3):
        for w in (x, b):
            s = s + np.sum(w * w) * (i + 1)
            if s > 2.0:
                return s
    return -s


def break_over_layers(x, b):
    layers = [(np.outer(x, b), b), (np.outer(b, x), x)]
    h = x
    for W, c in layers:
        if np.sum(h) > 1.0:
            break
        h = np.tanh(W @ h + c)
    return np.sum(h)


def break_over_enumerate_of_a_list(x, b):
    s = 0.0
    for k, w in enumerate([x, b, x + b]):
        s = s + np.sum(np.sin(w)) * (k + 1)
        if k == 1 and s > 0:
            break
    return s


def return_from_an_inner_loop_over_a_tuple(x, b):
    for w in (x, b):
        s = 0.0
        for v in w:
            s = s + v * v
            if s > 0.3:
                return s
    return np.sum(x)


@pytest.mark.parametrize("f", [break_over_a_tuple, return_over_a_tuple, continue_over_a_tuple,
                               break_over_a_tuple_with_else, return_over_a_tuple_in_a_loop, break_over_layers,
                               break_over_enumerate_of_a_list, return_from_an_inner_loop_over_a_tuple],
                         ids=lambda f: f.__name__)
def test_exits_from_a_loop_over_computed_values(f):
    _check_on_inputs(f, 2)


def break_over_list(Ws, x):
    for W in Ws:
        if np.sum(x) > 1.0:
            break
        x = W @ x
    return np.sum(x)


def test_break_over_a_list_argument():
    W1 = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.2], [0.3, 0.3, 0.3]])
    for x in (X, 4 * X):
        assert_grad_matches_fd(break_over_list, ([W1, W1.T], x), wrt=(0, 1))
