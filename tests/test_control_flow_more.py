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
