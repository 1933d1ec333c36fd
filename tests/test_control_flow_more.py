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


# ---- objects made in a branch or a loop, attributes set on some paths only

from dataclasses import dataclass  # noqa: E402
from types import SimpleNamespace  # noqa: E402


class Acc:
    scale = 1.5  # a class attribute: what `self.scale` reads until an instance sets it

    def __init__(self, v):
        self.v = v

    def add(self, u):
        self.v = self.v + u * self.scale

    def boost(self, k):
        self.extra = self.v * k  # an attribute only some calls give it


@dataclass
class Pair:
    a: object
    b: object


def namespace_made_in_one_branch(x):
    s = np.sum(x ** 2)
    if np.sum(x) > 0:
        ns = SimpleNamespace(w=2 * x, c=3.0)
        s = s + np.sum(ns.w * ns.c)
    return s


def namespace_made_in_one_branch_read_under_the_same_test(x):
    positive = np.sum(x) > 0
    if positive:
        ns = SimpleNamespace(w=np.sin(x))
    s = np.sum(x)
    if positive:
        s = s + np.sum(ns.w ** 2)
    return s


def objects_with_other_attributes_in_each_branch(x):
    if np.sum(x) > 0:
        ns = SimpleNamespace(w=2 * x, only_then=x ** 2)
        t = np.sum(ns.only_then)
    else:
        ns = SimpleNamespace(w=np.cos(x))
        t = 0.0
    return np.sum(ns.w) + t


def attribute_set_in_one_branch(x):
    ns = SimpleNamespace(w=x)
    if np.sum(x) > 0:
        ns.b = 2 * x
        ns.w = ns.w * ns.b
    return np.sum(ns.w)


def class_attribute_or_instance_attribute(x):
    a = Acc(x)
    if np.sum(x) > 0:
        a.scale = np.sum(x) * 2.0
    a.add(np.tanh(x))
    return np.sum(a.v) * a.scale


def dataclasses_made_in_both_branches(x):
    if np.sum(x) > 0:
        p = Pair(x, 2 * x)
    else:
        p = Pair(3 * x, np.exp(x))
    return np.sum(p.a * p.b)


def method_sets_an_attribute_in_a_branch(x):
    a = Acc(x * 1.0)
    if np.sum(x) > 0:
        a.boost(3.0)
        return np.sum(a.extra) + np.sum(a.v)
    return np.sum(a.v)


def object_made_each_iteration(x):
    total = 0.0
    for i in range(3):
        a = Acc(x * (i + 1))
        a.add(np.sin(x))
        total = total + np.sum(a.v ** 2)
    return total + np.sum(a.v)


def object_made_in_a_loop_inside_a_branch(x):
    s = 0.0
    if np.sum(x) > -10:
        for v in x:
            p = Pair(v, v * v)
            s = s + p.a * p.b
    return s + p.b


def attribute_added_by_the_loop(x):
    a = Acc(x)
    for i in range(3):
        if i == 1:
            a.extra = np.sum(a.v)
        a.add(x * i)
    return np.sum(a.v) + a.extra


def object_carried_and_remade_by_a_loop(x):
    p = Pair(x, x)
    for i in range(3):
        if np.sum(p.a) > 1.0:
            p = Pair(p.b, p.a * 0.5)
        else:
            p.a = p.a + np.tanh(p.b)
    return np.sum(p.a * p.b)


def object_from_a_while_loop(x):
    k = 0
    while k < 3:
        ns = SimpleNamespace(w=x * k, k=k)
        k = k + 1
    return np.sum(ns.w) * ns.k


def make_acc(x):
    if np.sum(x) > 0:
        return Acc(x)
    return Acc(-2 * x)


def object_returned_by_a_helper_from_branches(x):
    return np.sum(make_acc(x).v ** 2)


def first_acc_over(x, limit):
    for i in range(3):
        if np.sum(x) * i > limit:
            return Acc(x * i)
    return Acc(x)


def object_returned_by_a_helper_from_a_loop(x):
    return np.sum(first_acc_over(x, 0.25).v ** 2) + np.sum(first_acc_over(x, -0.25).v)


def names_for_one_object_in_each_branch(x):
    if np.sum(x) > 0:
        a = SimpleNamespace(w=x)
        b = a
    else:
        a = SimpleNamespace(w=2 * x)
        b = a
    a.w = a.w * 3  # b is the same object on both paths
    return np.sum(b.w)


def names_for_one_list_in_each_branch(x):
    if np.sum(x) > 0:
        a = [x]
        b = a
    else:
        a = [2 * x, x]
        b = a
    a.append(3 * x)  # b is the same list on both paths
    return np.sum(np.stack(b))


@pytest.mark.parametrize("f", [namespace_made_in_one_branch, namespace_made_in_one_branch_read_under_the_same_test,
                               objects_with_other_attributes_in_each_branch, attribute_set_in_one_branch,
                               class_attribute_or_instance_attribute, dataclasses_made_in_both_branches,
                               method_sets_an_attribute_in_a_branch, object_made_each_iteration,
                               object_made_in_a_loop_inside_a_branch, attribute_added_by_the_loop,
                               object_carried_and_remade_by_a_loop, object_from_a_while_loop,
                               object_returned_by_a_helper_from_branches, object_returned_by_a_helper_from_a_loop,
                               names_for_one_object_in_each_branch, names_for_one_list_in_each_branch],
                         ids=lambda f: f.__name__)
def test_objects_made_or_changed_in_branches_and_loops(f):
    _check_on_inputs(f, 1)


def test_an_object_made_in_a_loop_is_carried_attribute_by_attribute():
    src = sct.grad(object_made_each_iteration).source
    code = [line for line in src.splitlines() if not line.strip().startswith("#")]
    assert not any("Acc" in line for line in code)


def none_or_an_object(x):
    p = None
    for i in range(3):
        if np.sum(x) * i > 0.5:
            p = Pair(x, x * i)
    return np.sum(p.a * p.b)  # ERR


def objects_of_two_classes(x):
    if np.sum(x) > 0:
        p = Pair(x, x)
    else:
        p = Acc(x)
    return np.sum(p.a)  # ERR


def none_or_an_object_read_in_the_loop(x):
    p = None
    for i in range(3):
        if p is None:
            p = Pair(x, x * i)
        else:
            p.a = p.a + x  # ERR
    return np.sum(x)


def objects_of_two_classes_unused_after(x):
    if np.sum(x) > 0:
        p = Pair(x, x)
        s = np.sum(p.a * p.b)
    else:
        p = Acc(x)
        s = np.sum(p.v)
    return s


@pytest.mark.parametrize("f, words", [(none_or_an_object, "'p' is None before the loop and may be an object"),
                                      (objects_of_two_classes, "'p' is a Pair object on one path and a"),
                                      (none_or_an_object_read_in_the_loop, "may be None")],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_a_name_that_is_an_object_on_some_paths_only_is_refused_where_it_must_be_read(f, words):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(f)(X)
    assert words in str(info.value) and info.value.hint
    lines = open(__file__).read().splitlines()
    assert "# ERR" in lines[info.value.loc.line - 1] or "for i in range(3):" in lines[info.value.loc.line - 1]


def test_objects_that_cannot_be_joined_are_fine_when_not_read_after():
    _check_on_inputs(objects_of_two_classes_unused_after, 1)


# ---- advanced indexing copies; basic slicing views


M = np.array([[0.5, -0.2, 0.3], [0.1, 0.7, -0.4]])


def write_into_a_list_indexed_copy(x):
    y = x * 2.0
    r = y[[0, 1]]
    r[0] = 5.0  # y is not changed
    return np.sum(r * y[:2])


def update_of_a_list_indexed_copy(x):
    y = x * 2.0
    r = y[[0, 2]]
    r += x[:2]
    return np.sum(r * y[:2])


def update_of_a_masked_copy(x):
    y = np.sin(x)
    r = y[y > 0]
    r *= 3.0
    return np.sum(r) + np.sum(y)


def write_into_columns_picked_by_a_list(M):
    A = M * 1.0
    r = A[:, [0, 2]]
    r[0, 0] = 1.0
    return np.sum(r * A[:, :2])


def write_into_a_copy_indexed_by_an_array(x):
    y = x * 2.0
    idx = np.array([2, 0])
    r = y[idx]
    r[1] = 0.0
    return np.sum(r * y[:2]) + np.sum(y[np.arange(2)] * x[1:])


def write_into_the_array_a_copy_was_read_from(x):
    y = x * 2.0
    r = y[[0, 1]]
    y[0] = 7.0  # the copy r keeps the old values
    return np.sum(r * x[:2]) + np.sum(y)


def updates_of_copies_in_a_loop(M):
    A = M * 1.0
    total = 0.0
    for i in range(2):
        picked = A[i, [2, 0]]
        picked += M[i, :2]
        picked[1] = picked[1] * 3.0
        total = total + np.sum(picked ** 2)
    return total + np.sum(A)


@pytest.mark.parametrize("f, arg", [(write_into_a_list_indexed_copy, X), (update_of_a_list_indexed_copy, X),
                                    (update_of_a_masked_copy, X), (write_into_columns_picked_by_a_list, M),
                                    (write_into_a_copy_indexed_by_an_array, X),
                                    (write_into_the_array_a_copy_was_read_from, X),
                                    (updates_of_copies_in_a_loop, M)], ids=lambda v: getattr(v, "__name__", ""))
def test_a_fancy_index_read_is_a_copy_that_may_be_written(f, arg):
    assert_grad_matches_fd(f, (arg,))
    assert_grad_matches_fd(f, (-arg,))


def write_into_a_row_view(M):
    A = M * 1.0
    r = A[0]  # basic indexing: a view, the write shows through A
    r[0] = 1.0
    return np.sum(A)  # ERR


def update_of_a_slice(x):
    y = x * 2.0
    r = y[1:]
    r += 1.0  # ERR (a view: y changes too)
    return np.sum(y)


@pytest.mark.parametrize("f, arg", [(write_into_a_row_view, M), (update_of_a_slice, X)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_a_view_made_by_basic_indexing_is_still_refused(f, arg):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(f)(arg)
    lines = open(__file__).read().splitlines()
    assert "# ERR" in lines[info.value.loc.line - 1]


# ---- refusals that named the wrong reason


def update_after_writing_into_an_array(x):
    y = np.zeros((2, 3))
    h = x * 2.0
    y[0] = h  # copies h's values: no list or dict holds h
    h += 1.0
    return np.sum(y) + np.sum(h ** 2)


def update_then_write_rows_in_a_loop(x):
    out = np.zeros((2, 3))
    h = x * 1.0
    for i in range(2):
        h += x
        out[i] = h
    return np.sum(out ** 2)


def update_after_appending(x):
    h = x * 1.0
    hs = []
    for i in range(2):
        h += x  # ERR (hs[-1] is this array from the second iteration on)
        hs.append(h)
    return np.sum(np.stack(hs))


def update_after_appending_in_a_tuple(x):
    h = x * 1.0
    hs = []
    for i in range(2):
        hs.append((h, i))
        h += x  # ERR
    return np.sum(np.stack([p[0] for p in hs]))


def push(hs, h):
    hs.append(h)


def update_after_a_helper_appended(x):
    h = x * 1.0
    hs = []
    for i in range(2):
        push(hs, h)
        h += x  # ERR
    return np.sum(np.stack(hs))


def write_after_a_helper_appended(x):
    hs = []
    for i in range(2):
        y = x * 1.0
        push(hs, y)
        y[0] = 5.0  # ERR
    return np.sum(np.stack(hs) * x)


def stale_name_rebound_by_a_loop(x):
    y = x * 1.0
    p = y[:2]
    y[0] = 1.0  # p, a view of y, now shows the write: sct cannot read it
    for i in range(3):
        p = y * i  # but every iteration rebinds it first
    return np.sum(p)


def stale_item_rebound_by_a_loop(x):
    y = x * 1.0
    p = y[0]
    y[1] = 2.0
    s = 0.0
    for i in range(3):
        p = y[i] * 2
        s = s + p
    return s + p


def stale_name_after_a_loop_that_may_not_run(x, n):
    y = x * 1.0
    p = y[:2]
    y[0] = 1.0
    for i in range(n):
        p = y * i
    return np.sum(p)  # ERR


def stale_name_read_by_a_loop(x):
    y = x * 1.0
    p = y[:2]
    y[0] = 1.0
    for i in range(3):  # ERR
        p = p + y[:2]
    return np.sum(p)


@pytest.mark.parametrize("f", [update_after_writing_into_an_array, update_then_write_rows_in_a_loop,
                               stale_name_rebound_by_a_loop, stale_item_rebound_by_a_loop], ids=lambda f: f.__name__)
def test_no_spurious_refusal(f):
    _check_on_inputs(f, 1)


@pytest.mark.parametrize("f, args, words", [
    (update_after_appending, (X,), "a list or dict it was put in"),
    (update_after_appending_in_a_tuple, (X,), "a list or dict it was put in"),
    (update_after_a_helper_appended, (X,), "a list or dict it was put in"),
    (write_after_a_helper_appended, (X,), "was put in a list"),
    (stale_name_after_a_loop_that_may_not_run, (X, 2), "if it runs no iteration"),
    (stale_name_read_by_a_loop, (X,), "'p' shares memory with 'y'"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_the_refusal_names_the_real_reason(f, args, words):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(f)(*args)
    assert words in str(info.value) and "local function" not in str(info.value)
    lines = open(__file__).read().splitlines()
    assert "# ERR" in lines[info.value.loc.line - 1]


# ---- a random generator of nested loops and branches with exits at random depths
#
# Programs f(x, y) (x of shape (3,), y a float) over a few carried values (s, t: numbers;
# a: an array), with `if`/`else`, `for` over ranges, array elements, tuples and lists of
# computed values (unrolled), `while` with a counter and a data test, `for ... else`, and
# `break`, `continue` and `return` at any depth of branches and loops. Each program is
# written to a file and imported; for inputs where Python runs it, finite and away from a
# comparison's kink, sct's value must be Python's and its gradient the finite differences'
# (specialized and shape-generic code). A refusal is a failure (these are all constructs sct
# lowers), except reading `o.w` where no path set it, which sct refuses when lowering.

import ast  # noqa: E402
import importlib.util  # noqa: E402
import itertools  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

_GEN_DIR = Path(tempfile.mkdtemp(prefix="sct_exits_"))
_GEN_IDS = itertools.count()


class ExitProgram:
    """One random program, its source in `lines`."""

    def __init__(self, seed, max_statements=16):
        self.rng = np.random.default_rng(seed)
        self.lines = []
        self.budget = max_statements
        self.fresh = itertools.count()
        self.box = None if self.coin(0.5) else "Box"  # objects of one class: SimpleNamespace or Box

    def coin(self, p):
        return bool(self.rng.random() < p)

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def const(self, lo=-1.0, hi=1.0):
        return repr(round(float(self.rng.uniform(lo, hi)) + 0.00037, 4))

    def emit(self, depth, text):
        self.lines.append("    " * depth + text)

    def scalar(self, env, depth=2):
        """A scalar expression of the names in `env` (name -> 'S' number, 'A' array, 'I' int)."""
        leaves = [n for n, k in env.items() if k in "SI"] + [f"np.sum({n})" for n, k in env.items() if k == "A"] \
            + ["x[0]", "x[2]", "y", "o.v"] + (["o.w"] if self.coin(0.05) else [])
        if depth == 0 or self.coin(0.35):
            return self.pick(leaves) if self.coin(0.8) else self.const()
        a, b = self.scalar(env, depth - 1), self.scalar(env, depth - 1)
        return self.pick([f"np.sin({a})", f"np.tanh({a} * {b})", f"({a} + {b})", f"({a} * {self.const()})",
                          f"np.cos({a}) * {b}"])

    def array(self, env):
        arrays = [n for n, k in env.items() if k == "A"] + ["x"]
        return self.pick([f"np.tanh({self.pick(arrays)} * {self.scalar(env, 1)})", f"np.sin({self.pick(arrays)})",
                          f"{self.pick(arrays)} * {self.const()}"])

    def cond(self, env):
        ints = [n for n, k in env.items() if k == "I"]
        if ints and self.coin(0.25):
            return self.pick([f"{self.pick(ints)} % 2 == 0", f"{self.pick(ints)} > 1", f"{self.pick(ints)} == 0"])
        return f"{self.scalar(env)} {self.pick(['>', '<'])} {self.const(-0.8, 0.8)}"

    def block(self, depth, env, loops, lo=1, hi=3):
        """Statements at `depth`; `loops` is how many loops enclose them. True when the
        block ends in an exit (nothing may follow it)."""
        for _ in range(int(self.rng.integers(lo, hi + 1))):
            if self.statement(depth, env, loops):
                return True
        return False

    def statement(self, depth, env, loops):
        self.budget -= 1
        room = self.budget > 0 and depth < 6
        kinds = [("assign", 4), ("if", 3 if room else 0), ("loop", 2.5 if room and loops < 3 else 0),
                 ("exit", 1.5 if loops else 0), ("return", 0.6), ("object", 1.2)]
        kinds = [(k, w) for k, w in kinds if w > 0]
        weights = np.array([w for _, w in kinds]) / sum(w for _, w in kinds)
        kind = kinds[int(self.rng.choice(len(kinds), p=weights))][0]
        if kind == "assign":
            name = self.pick(["s", "t", "a"])
            if name == "a":
                self.emit(depth, f"a = 0.5 * a + {self.array(env)}")
            else:
                self.emit(depth, f"{name} = {self.pick(['0.7 * ', '0.5 * ', ''])}{name} + "
                                 f"{self.pick(['np.sin', 'np.tanh'])}({self.scalar(env)})")
            return False
        if kind == "object":  # the object o: an attribute updated or set, or a new object
            made = f"SimpleNamespace(v={self.scalar(env)})" if self.box is None else f"Box({self.scalar(env)})"
            self.emit(depth, self.pick([f"o.v = 0.5 * o.v + np.tanh({self.scalar(env)})", f"o = {made}",
                                        f"o.w = {self.scalar(env)}",
                                        f"o.v = {self.scalar(env)}" if self.box is None else
                                        f"o.bump({self.scalar(env, 1)})"]))
            return False
        if kind == "return":
            self.emit(depth, f"return {self.scalar(env)} + s + np.sum(a)")
            return True
        if kind == "exit":  # on some paths (under an if) or all of them
            word = self.pick(["break", "continue", "break"])
            if self.coin(0.75):
                self.emit(depth, f"if {self.cond(env)}:")
                if self.coin(0.5):
                    self.statement(depth + 1, env, loops) or self.emit(depth + 1, word)
                else:
                    self.emit(depth + 1, word)
                return False
            self.emit(depth, word)
            return True
        if kind == "if":
            self.emit(depth, f"if {self.cond(env)}:")
            ends = self.block(depth + 1, env, loops)
            if self.coin(0.5):
                self.emit(depth, "else:")
                ends = self.block(depth + 1, env, loops) and ends
            else:
                ends = False
            return ends
        env = dict(env)
        k = next(self.fresh)
        form = self.pick(["range", "range", "elements", "tuple", "list", "while"])
        if form == "while":
            self.emit(depth, f"w{k} = 0")
            test = f"w{k} < {int(self.rng.integers(0, 4))}"
            if self.coin(0.5):
                test += f" and {self.cond(env)}"
            self.emit(depth, f"while {test}:")
            self.emit(depth + 1, f"w{k} = w{k} + 1")
            env[f"w{k}"] = "I"
        elif form == "range":
            self.emit(depth, f"for i{k} in range({int(self.rng.integers(0, 4))}):")
            env[f"i{k}"] = "I"
        elif form == "elements":
            self.emit(depth, f"for e{k} in x:")
            env[f"e{k}"] = "S"
        elif form == "tuple":
            self.emit(depth, f"for v{k} in (x, a, {self.array(env)}):")
            env[f"v{k}"] = "A"
        else:
            self.emit(depth, f"for c{k} in [s, t, {self.scalar(env, 1)}]:")
            env[f"c{k}"] = "S"
        self.block(depth + 1, env, loops + 1, 1, 3)
        if self.coin(0.2):
            self.emit(depth, "else:")
            return self.block(depth + 1, {n: v for n, v in env.items() if n[0] not in "iwevc"}, loops, 1, 2)
        return False

    def source(self):
        self.emit(1, "s = x[0] * 0.5")
        self.emit(1, "t = y * 1.0")
        self.emit(1, "a = x * 1.0")
        self.emit(1, "o = SimpleNamespace(v=x[1] * 1.0)" if self.box is None else "o = Box(x[1])")
        if not self.block(1, {"s": "S", "t": "S", "a": "A"}, 0, 2, 5):
            self.emit(1, "return s + t * np.sum(a) + np.sum(a ** 2) + o.v")
        return "def f(x, y):\n" + "\n".join(self.lines) + "\n"


class _Kinks(ast.NodeTransformer):
    """`left > c` -> `_rec(left, c) > c`: records how far each comparison is from flipping."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        right = node.comparators[0]
        if isinstance(right, ast.UnaryOp) and isinstance(right.operand, ast.Constant):
            right = right.operand
        if isinstance(right, ast.Constant) and type(right.value) is float:
            node.left = ast.Call(ast.Name("_rec", ast.Load()), [node.left, node.comparators[0]], [])
        return node


_PROGRAM_HEADER = """import numpy as np
from types import SimpleNamespace


class Box:
    def __init__(self, v):
        self.v = v * 1.0

    def bump(self, u):
        self.v = self.v + np.sin(u)
        self.w = self.v * u


"""


def _load_program(source):
    name = f"sct_exits_{next(_GEN_IDS)}"
    path = _GEN_DIR / f"{name}.py"
    path.write_text(_PROGRAM_HEADER + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    margins = []
    namespace = {"_rec": lambda left, c: margins.append(abs(float(left) - c)) or left}
    tree = _Kinks().visit(ast.parse(_PROGRAM_HEADER + source))
    exec(compile(ast.fix_missing_locations(tree), str(path), "exec"), namespace)
    return module.f, namespace["f"], margins, str(path)


def check_exit_program(seed, draws=2):
    """(status, detail): 'pass' (checked on at least one input), 'skip' or a failure."""
    source = ExitProgram(seed).source()
    f, twin, margins, path = _load_program(source)
    rng = np.random.default_rng(seed + 1)
    checked = 0
    for _ in range(draws):
        args = (rng.normal(size=3), float(rng.normal()))
        margins.clear()
        try:
            with np.errstate(all="raise"):
                out = float(f(*args))
                twin(*args)
        except Exception:
            continue  # Python itself fails here (a name a path did not bind, an overflow)
        if margins and min(margins) < 1e-4 or not np.isfinite(out):
            continue
        try:
            value, _ = sct.value_and_grad(f, wrt=(0, 1))(*args)
            np.testing.assert_allclose(value, out, rtol=1e-12, atol=1e-12, err_msg="value differs from Python's")
            assert_grad_matches_fd(f, args, wrt=(0, 1), rtol=1e-5, atol=1e-7)
        except sct.SctError as e:
            if "no attribute 'w' here" in str(e):
                return "skip", source  # read where no path set it: refused when lowering, by design
            return "fail", f"refused:\n{source}\n{e}"
        except AssertionError as e:
            return "fail", f"wrong, args={args!r}:\n{source}\n{e}"
        checked += 1
    return ("pass" if checked else "skip"), source


def test_random_nested_exits_match_python_and_finite_differences():
    results = [check_exit_program(seed) for seed in range(25)]
    failures = [detail for status, detail in results if status == "fail"]
    assert not failures, failures[0]
    assert sum(status == "pass" for status, _ in results) >= 18


# ---- after an `if` or a loop, a name may be any of the arrays its paths left it: a write
# through it is a write through them (these gave wrong gradients: the write was not seen)


def write_through_a_name_either_branch_bound(x):
    y = x * 1.0
    z = x * 2.0
    if np.sum(x) > 0:
        v = y
    else:
        v = z
    v[0] = 5.0
    return np.sum(y * x)  # ERR


def write_through_a_view_either_branch_made(x):
    y = x * 1.0
    if np.sum(x) > 0:
        v = y[:2]
    else:
        v = y[1:]
    y[0] = 5.0
    return np.sum(v * x[:2])  # ERR


def write_through_a_name_a_loop_may_rebind(x):
    y = x * 1.0
    v = y
    for i in range(2):
        if i == 7:
            v = v * 2.0
    v[0] = 5.0
    return np.sum(y * x)  # ERR


@pytest.mark.parametrize("f", [write_through_a_name_either_branch_bound, write_through_a_view_either_branch_made,
                               write_through_a_name_a_loop_may_rebind], ids=lambda f: f.__name__)
def test_a_write_through_a_joined_name_makes_the_others_stale(f):
    with pytest.raises(sct.UnsupportedSyntaxError, match="shares memory") as info:
        sct.grad(f)(X)
    lines = open(__file__).read().splitlines()
    assert "# ERR" in lines[info.value.loc.line - 1]


def joined_arrays_read_and_rebound(x):
    y = x * 1.0
    if np.sum(x) > 0:
        v = y
    else:
        v = x * 3.0
    v = v + 1.0  # a new array: y is not changed
    w = y[:2] if np.sum(x) > 5 else x[1:]
    for i in range(2):
        w = w * np.tanh(v[:2])
    return np.sum(y * v) + np.sum(w)


def test_joined_arrays_that_are_not_written_are_fine():
    _check_on_inputs(joined_arrays_read_and_rebound, 1)


class Layer:
    def __init__(self, W, act=np.tanh):
        self.W, self.act = W, act

    def __call__(self, h):
        return self.act(self.W * h)


def layers_made_in_branches_call_their_function(x):
    if np.sum(x) > 0:
        layer = Layer(x * 2.0)
    else:
        layer = Layer(np.cos(x))
    return np.sum(layer(x) ** 2)


def test_an_attribute_that_is_one_function_on_both_paths_is_still_called():
    _check_on_inputs(layers_made_in_branches_call_their_function, 1)
