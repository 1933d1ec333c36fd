"""Issue 10: the frontend gives Python's gradient or a located refusal, never a wrong value.

The classes pinned here, each with the programs that showed it:
1. `out=` arguments and in-place library calls: a write sct follows, or refused.
2. Calls sct cannot see through that reach the function's variables (eval, frames): refused.
3. A helper rebinding (or writing into) its parameter on some paths changes its caller only
   as Python does: joins reach the callers' bindings.
4. Aliases made through joins (`a if c else b`, if/loop joins, helper returns, containers,
   views sct knows of): a write through one is seen, or the other is refused where read.
5. What raised inside sct: unhashable callables, partials made in branches, names bound on
   some paths only (UnboundLocalError where Python raises it), recursion writing into its
   argument, loop variables over an array's rows.
"""
import ctypes
import dataclasses
import functools
import inspect
import operator
import random
import sys
import types

import numpy as np
import pytest

import sct

from conftest import assert_grad_matches_fd

X3 = np.array([0.1, 0.2, 0.3])
M3 = np.arange(9.0).reshape(3, 3) / 10 + 0.05


def refused(f, args, match, line=None):
    """sct.grad(f) raises an SctError at the user's line (this file), with a hint."""
    with pytest.raises(sct.SctError, match=match) as info:
        sct.grad(f)(*args)
    text = str(info.value)
    assert "test_trust_frontend.py" in text and info.value.hint, text
    if line is not None:
        assert line in text, text
    return info.value


# ---------------------------------------------------------------- 1. out= and in-place calls

def exp_into_argument(x):
    np.exp(x, out=x)
    return np.sum(x)


def add_into_new(x):
    y = np.zeros(3)
    np.add(x, 1.0, out=y)
    return np.sum(y * y)


def multiply_positional_out(x):
    y = np.empty(3)
    z = np.multiply(x, x, y)  # the third positional argument is out; the value is y
    return np.sum(y * z)


def sum_method_out(x):
    s = np.zeros(())
    x.sum(out=s)
    return s * 2.0


def dot_out(x):
    c = np.zeros(3)
    np.dot(np.ones((3, 3)), x, out=c)
    return np.sum(c * x)


def clip_out(x):
    y = x * 1.0
    np.clip(y, 0.15, 0.25, out=y)
    return np.sum(y * x)


def clip_method_out(x):
    y = x * 1.0
    y.clip(0.15, 0.25, out=y)
    return np.sum(y * x)


def cumsum_method_out(x):
    y = x * 1.0
    y.cumsum(out=y)
    return np.sum(y * x)


def concatenate_out(x):
    y = np.zeros(6)
    np.concatenate([x, x], out=y)
    return np.sum(y * y)


def out_none(x):
    y = np.zeros(3)
    r = np.exp(x, out=y)
    return np.sum(r * np.sin(x, out=None)) + np.sum(y)


def tanh_into(a, out):
    np.tanh(a, out=out)
    return out


def out_in_helper(x):
    y = np.zeros(3)
    tanh_into(x, y)
    return np.sum(y * x)


def out_in_branch(x):
    y = np.zeros(3)
    if x[0] > 0:
        np.tanh(x, out=y)
    return np.sum(y * x)


def out_in_loop(x):
    y = np.zeros(3)
    for i in range(2):
        np.add(y, x * i, out=y)
    return np.sum(y * x)


def add_at_repeated(x):
    y = x * 2.0
    np.add.at(y, [0, 0, 2], x[1])
    return np.sum(y * y)


def subtract_at(x):
    y = x * 2.0
    np.subtract.at(y, np.array([1, 1]), x[:2])
    return np.sum(y * x)


@pytest.mark.parametrize("f", [exp_into_argument, add_into_new, multiply_positional_out, sum_method_out, dot_out,
                               clip_out, clip_method_out, cumsum_method_out, concatenate_out, out_none,
                               out_in_helper, out_in_branch, out_in_loop, add_at_repeated, subtract_at])
def test_out_and_add_at_are_writes(f):
    assert_grad_matches_fd(f, (X3,))  # also: the caller's x is unchanged


def test_out_into_the_argument_gives_exp_and_leaves_the_caller_alone():
    x = X3.copy()
    np.testing.assert_allclose(sct.grad(exp_into_argument)(x), np.exp(X3))
    np.testing.assert_array_equal(x, X3)
    np.testing.assert_allclose(sct.grad(out_in_branch)(-X3), np.zeros(3))


def divmod_into_two(x):
    y = np.zeros(2)
    np.divmod(x[:2], 0.7, out=(y, y.copy()))
    return np.sum(y)


def out_into_a_slice(x):
    y = np.zeros(4)
    np.exp(x, out=y[1:])
    return np.sum(y)


def out_with_where(x):
    y = np.zeros(3)
    np.exp(x, out=y, where=x > 0.15)
    return np.sum(y)


def multiply_at(x):
    y = x * 1.0
    np.multiply.at(y, [0], 2.0)
    return np.sum(y * x)


def fill_diagonal(x):
    y = np.outer(x, x)
    np.fill_diagonal(y, 0.0)
    return np.sum(y)


def copyto(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y * y)


def put(x):
    y = x * 1.0
    np.put(y, [0], 5.0)
    return np.sum(y * x)


def shuffled(x):
    y = x * 1.0
    np.random.shuffle(y)
    return np.sum(y * np.arange(3))


def generator_shuffled(x):
    rng = np.random.default_rng(0)
    y = x * 1.0
    rng.shuffle(y)
    return np.sum(y * np.arange(3))


def python_shuffle(x):
    y = x * 1.0
    random.shuffle(y)  # library code run for its effect on y: it may change it in place
    return np.sum(y * np.arange(3))


def operator_setitem(x):
    y = x * 1.0
    operator.setitem(y, 0, 5.0)  # changes y, returns None (the IR's setitem makes a new array)
    return np.sum(y * x)


def unbound_sort(x):
    y = x * 1.0
    np.ndarray.sort(y)
    return np.sum(y * np.arange(3))


def dunder_setitem(x):
    y = x * 1.0
    y.__setitem__(0, 5.0)
    return np.sum(y * x)


@pytest.mark.parametrize("f, match, line", [
    (operator_setitem, "in place", "operator.setitem"),
    (unbound_sort, "for its effect", "np.ndarray.sort(y)"),
    (dunder_setitem, "for its effect", "y.__setitem__"),
    (divmod_into_two, "several arrays", "np.divmod(x[:2]"),
    (out_into_a_slice, "must name an array", "out=y[1:]"),
    (out_with_where, "where=", "where=x > 0.15"),
    (multiply_at, "in place", "np.multiply.at"),
    (fill_diagonal, "in place", "np.fill_diagonal"),
    (copyto, "in place", "np.copyto"),
    (put, "in place", "np.put"),
    (shuffled, "in place", "np.random.shuffle"),
    (generator_shuffled, "in place", "rng.shuffle"),
    (python_shuffle, "for its effect", "random.shuffle(y)"),
])
def test_in_place_calls_sct_cannot_follow_are_refused_at_the_line(f, match, line):
    x = X3.copy()
    refused(f, (x,), match, line)
    np.testing.assert_array_equal(x, X3)


def exp_into_an_int_array(x):
    y = np.zeros(3, dtype=int)
    np.exp(x, out=y)
    return np.sum(y)


def test_out_of_an_int_array_raises_as_numpy_does():
    with pytest.raises(TypeError, match="same_kind"):
        exp_into_an_int_array(X3)
    with pytest.raises(TypeError, match="same_kind"):
        sct.grad(exp_into_an_int_array)(X3)


def printed(x):
    y = x * 2.0
    print("y is", y)
    return np.sum(y)


def test_print_of_a_differentiated_value_is_fine(capsys):
    np.testing.assert_allclose(sct.grad(printed)(X3), 2.0 * np.ones(3))
    assert "y is" in capsys.readouterr().out


# ---------------------------------------------------------------- 2. frames and text

def through_eval(x):
    return eval("x * x")


def through_exec(x):
    exec("y = x")
    return x


def through_locals(x):
    return locals()["x"] * 2.0


def through_globals(x):
    return globals()["np"].sum(x)


def through_vars(x):
    return vars()["x"] * 2.0


def through_getframe(x):
    return sys._getframe().f_locals["x"] * 2.0


def through_currentframe(x):
    return inspect.currentframe().f_locals["x"] * 2.0


def through_eval_renamed(x):
    run = eval
    return run("x") * 1.0


def eval_in_helper(v):
    return eval("v") * 2.0


def through_a_helper_eval(x):
    return eval_in_helper(x)


def through_a_lambda_eval(x):
    f = lambda: eval("x")  # noqa: E731
    return f() * 3.0


@pytest.mark.parametrize("f, name", [
    (through_eval, "eval"), (through_exec, "exec"), (through_locals, "locals"), (through_globals, "globals"),
    (through_vars, "vars"), (through_getframe, "sys._getframe"), (through_currentframe, "inspect.currentframe"),
    (through_eval_renamed, "eval"), (through_a_helper_eval, "eval"), (through_a_lambda_eval, "eval"),
])
def test_frame_readers_are_refused_whatever_their_arguments(f, name):
    # (their arguments are strings or nothing: the function's variables reach them through the frame)
    refused(f, (1.5,), "variables", name + "(")


def getattr_constant(x):
    o = types.SimpleNamespace(w=x)
    return getattr(o, "w") * 2.0 + getattr(np, "tanh")(x) + getattr(o, "v", 2.0) * x


def setattr_constant(x):
    o = types.SimpleNamespace(w=1.0)
    setattr(o, "w", x)
    return o.w * 3.0


def getattr_of_an_array(x):
    return np.sum(getattr(x, "T") * x)


def test_getattr_and_setattr_with_a_constant_name_are_attributes():
    assert_grad_matches_fd(getattr_constant, (1.5,))
    assert_grad_matches_fd(setattr_constant, (1.5,))
    assert_grad_matches_fd(getattr_of_an_array, (M3,))


def getattr_computed(x):
    o = types.SimpleNamespace(w=x, v=2.0 * x)
    name = "w" if x > 0 else "v"
    return getattr(o, name) * 2.0


def deleted_attribute(x):
    o = types.SimpleNamespace(w=x)
    delattr(o, "w")
    return x


def test_attributes_by_a_name_made_at_run_time_are_refused():
    refused(getattr_computed, (1.5,), "run time", "getattr(o, name)")
    refused(deleted_attribute, (1.5,), "delattr", "delattr(o")


# ---------------------------------------------------------------- 3. helpers rebinding parameters

def rebinds_in_if(v, m, w):
    if m[1, 0] < 0.5:
        v = np.ones((5, 5))
    return w


def calls_rebinds_in_if(A, W):
    rebinds_in_if(A, A, W)
    return np.sum(A)


def rebinds_in_loop(v, m):
    for i in range(2):
        if m[1, 0] < 0.5:
            v = np.ones((5, 5))
    return m


def calls_rebinds_in_loop(A, W):
    rebinds_in_loop(A, W)
    return np.sum(A * W)


def writes_in_if(v, m):
    if m[1, 0] < 0.5:
        v[0, 0] = 3.0
    return m


def calls_writes_in_if(A, W):
    B = A * 1.0
    writes_in_if(B, W)
    return np.sum(B * A)


def writes_then_rebinds(v, m):
    if m[1, 0] < 0.5:
        u = v
        v = np.ones((5, 5))
        u[1, 1] = 2.0
    else:
        v = v * 2.0
    return v


def calls_writes_then_rebinds(A, W):
    B = A * 1.0
    C = writes_then_rebinds(B, W)
    return np.sum(B * A) + np.sum(C)


def closure_writes_in_if(A, W):
    B = A * 1.0

    def inner():
        if W[1, 0] < 0.5:
            B[0, 0] = 3.0
        return 0.0

    inner()
    return np.sum(B * A)


def returns_early_or_writes(v, c):
    if c > 0.5:
        return 1.0
    v[0, 0] = 5.0
    return 2.0


def calls_returns_early_or_writes(A, W):
    B = A * 1.0
    k = returns_early_or_writes(B, W[1, 0])
    return np.sum(B * A) * k


def writes_on_one_return_path(v, c):
    if c > 0.5:
        v[0, 0] = 5.0
        return 1.0
    else:
        return 2.0


def calls_writes_on_one_return_path(A, W):
    B = A * 1.0
    k = writes_on_one_return_path(B, W[1, 0])
    return np.sum(B * A) * k


def mutate(B, v):
    B[0] = v
    return 1.0


def writes_in_a_conditional_expression(A, W):
    B = A * 1.0
    c = mutate(B, A[1] * 2.0) if np.sum(W) > 0 else 0.0
    return np.sum(B * A) + c


def writes_in_an_and(A, W):
    B = A * 1.0
    c = (np.sum(W) > 0) and mutate(B, A[1] * 2.0)
    return np.sum(B * A) + c


def apply_n(fn, n):
    for i in range(n):
        fn(i)
    return 0.0


def closure_writes_in_a_helpers_loop(A, W):
    B = A * 1.0

    def put(i):
        B[i] = A[i] * 3.0
        return 0.0

    apply_n(put, 3)
    return np.sum(B * A)


def apply_if(fn, c):
    if c > 0.0:
        fn(0)
    return 0.0


def closure_writes_in_a_helpers_if(A, W):
    B = A * 1.0

    def put(i):
        B[i] = A[i] * 3.0
        return 0.0

    apply_if(put, np.sum(W))
    return np.sum(B * A)


A5 = np.arange(25.0).reshape(5, 5) / 25
W_LOW, W_HIGH = np.zeros((5, 5)), np.ones((5, 5))


@pytest.mark.parametrize("f", [calls_rebinds_in_if, calls_rebinds_in_loop, calls_writes_in_if,
                               calls_writes_then_rebinds, closure_writes_in_if, calls_returns_early_or_writes,
                               calls_writes_on_one_return_path, writes_in_a_conditional_expression,
                               writes_in_an_and, closure_writes_in_a_helpers_loop, closure_writes_in_a_helpers_if])
@pytest.mark.parametrize("W", [W_LOW, W_HIGH, -W_HIGH], ids=["low", "high", "negative"])
def test_a_helper_changes_its_callers_variables_as_python_does(f, W):
    assert_grad_matches_fd(f, (A5, W), wrt=0)


def test_rebinding_a_parameter_in_a_branch_keeps_the_callers_array():
    np.testing.assert_allclose(sct.grad(calls_rebinds_in_if)(A5, W_LOW), np.ones((5, 5)))  # was 0


def rebinds_then_writes(v, m):
    if m[1, 0] < 0.5:
        v = v * 2.0
    v[0, 0] = 5.0  # into the caller's array on one path only
    return m


def calls_rebinds_then_writes(A, W):
    B = A * 1.0
    rebinds_then_writes(B, W)
    return np.sum(B * A)


def test_a_write_into_what_may_be_the_callers_array_is_refused_where_read():
    refused(calls_rebinds_then_writes, (A5, W_LOW), "shares memory", "np.sum(B * A)")


# ---------------------------------------------------------------- 4. aliases through joins

def alias_by_choice(x, s, W):
    q = s if np.sum(s) > 0.0 else W
    s[:, 2] = x
    return np.sum(q)


def alias_by_if(x, s, W):
    if np.sum(s) > 0.0:
        q = s
    else:
        q = W
    s[:, 2] = x
    return np.sum(q)


def alias_by_loop(x, s, W):
    q = W
    for i in range(2):
        if np.sum(s) > 0.0:
            q = s
    s[:, 2] = x
    return np.sum(q)


def alias_by_while(x, s, W):
    q = W
    i = 0
    while i < 2:
        q = s
        i += 1
    s[:, 2] = x
    return np.sum(q)


def pick_returning(a, b, c):
    if c > 0.0:
        return a
    return b


def alias_by_helper_return(x, s, W):
    q = pick_returning(s, W, np.sum(s))
    s[:, 2] = x
    return np.sum(q)


def pick_choosing(a, b, c):
    return a if c > 0.0 else b


def alias_by_helper_choice(x, s, W):
    q = pick_choosing(s, W, np.sum(s))
    s[:, 2] = x
    return np.sum(q)


def alias_by_list_choice(x, s, W):
    pair = [s, W] if np.sum(s) > 0.0 else [W, s]
    s[:, 2] = x
    return np.sum(pair[0])


def alias_by_dict_choice(x, s, W):
    d = {"a": s} if np.sum(s) > 0.0 else {"a": W}
    s[:, 2] = x
    return np.sum(d["a"])


def first_row(a):
    return a[0]


def alias_by_helper_view(x, s, W):
    r = first_row(s)
    s[0, :] = x
    return np.sum(r)


def alias_by_and(x, s, W):
    q = (np.sum(s) > 0.0) and s
    s[:, 2] = x
    return np.sum(q)


def alias_written_through_the_join(x, s, W):
    q = s if np.sum(s) > 0.0 else W
    q[:, 2] = x
    return np.sum(s) + np.sum(q)


def alias_by_split(x, s, W):
    parts = np.split(s, 3)
    s[0, :] = x
    return np.sum(parts[0])


def alias_by_real(x, s, W):
    r = s.real
    s[0, :] = x
    return np.sum(r)


def returns_its_argument(a, n):
    if n == 0:
        return a
    return returns_its_argument(a, n - 1)


def alias_by_recursion(x, s, W):
    r = returns_its_argument(s, 2)
    s[0, :] = x
    return np.sum(r)


def alias_in_a_built_list(x, s, W):
    qs = [s if np.sum(s) > 0.0 else W]
    s[:, 2] = x
    return np.sum(qs[0])


def alias_by_atleast(x, s, W):
    q = np.atleast_2d(s)
    s[:, 2] = x
    return np.sum(q)


def alias_carried_to_the_next_iteration(x, s, W):
    q = W * 1.0
    t = s * 1.0
    for i in range(3):
        q[0] = x
        q = t  # the next iteration writes into t
    return np.sum(t)


S3 = np.ones((3, 3))


@pytest.mark.parametrize("f, line", [
    (alias_by_choice, "return np.sum(q)"), (alias_by_if, "return np.sum(q)"), (alias_by_loop, "return np.sum(q)"),
    (alias_by_while, "return np.sum(q)"), (alias_by_helper_return, "return np.sum(q)"),
    (alias_by_helper_choice, "return np.sum(q)"), (alias_by_list_choice, "np.sum(pair[0])"),
    (alias_by_dict_choice, 'np.sum(d["a"])'), (alias_by_helper_view, "return np.sum(r)"),
    (alias_by_and, "return np.sum(q)"), (alias_written_through_the_join, "np.sum(s) + np.sum(q)"),
    (alias_by_split, "np.sum(parts[0])"), (alias_by_real, "return np.sum(r)"),
    (alias_by_recursion, "return np.sum(r)"), (alias_in_a_built_list, "np.sum(qs[0])"),
    (alias_by_atleast, "return np.sum(q)"), (alias_carried_to_the_next_iteration, "q = t"),
])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_an_alias_made_through_a_join_is_refused_where_read(f, line, sign):
    # Python shows the write through the alias (dx = 1 on one path): sct refuses, never dx = 0
    refused(f, (X3, sign * S3, np.zeros((3, 3))), "shares memory", line)


def only_one_side_is_stale(x, s, W):
    q = s if np.sum(s) > 0.0 else W
    s[:, 2] = x
    return np.sum(W) + np.sum(s)  # W was not written: q may be s, W is not


def test_a_write_into_one_side_of_a_join_leaves_the_other_readable():
    assert_grad_matches_fd(only_one_side_is_stale, (X3, S3, np.zeros((3, 3))))


# ---------------------------------------------------------------- 5. what raised inside sct

@dataclasses.dataclass
class Scale:
    k: float

    def __call__(self, x):
        return self.k * x


SCALE = Scale(3.0)


def calls_an_unhashable_global(x):
    return np.sum(SCALE(x))


try:
    _LIBM = ctypes.CDLL(None)
    COS_C = _LIBM.cos
    COS_C.restype, COS_C.argtypes = ctypes.c_double, [ctypes.c_double]
except (OSError, AttributeError):  # pragma: no cover (no C library to load)
    COS_C = None


def calls_a_ctypes_function(x):
    return COS_C(0.5) * x


def differentiates_a_ctypes_function(x):
    return COS_C(x)


def test_unhashable_callables_are_refused_or_called():
    refused(calls_an_unhashable_global, (X3,), "Scale object", "SCALE(x)")
    if COS_C is None:
        pytest.skip("no C library")
    assert_grad_matches_fd(calls_a_ctypes_function, (1.5,))  # held by identity: no TypeError in sct
    refused(differentiates_a_ctypes_function, (0.3,), "no adjoint rule", "COS_C(x)")


def partial_per_branch(x):
    if x > 0:
        g = functools.partial(np.multiply, 2.0)
    else:
        g = functools.partial(np.multiply, x)
    return g(x)


def partials_of_two_functions(x):
    if x > 0:
        g = functools.partial(np.multiply, 2.0)
    else:
        g = functools.partial(np.add, 2.0)
    return g(x)


def test_a_partial_made_in_each_branch_joins_its_bound_values():
    assert_grad_matches_fd(partial_per_branch, (1.5,))
    assert_grad_matches_fd(partial_per_branch, (-1.5,))
    refused(partials_of_two_functions, (1.5,), "different function", "g(x)")


def bound_in_one_branch(x):
    if x > 0:
        y = x * 2.0
    return y * 3.0


def bound_in_a_loop(x, n):
    for i in range(n):
        y = x * i
    return y + x


def helper_bound_in_one_branch(a, c):
    if c > 0:
        r = a * 2.0
    return r


def calls_helper_bound_in_one_branch(x):
    return helper_bound_in_one_branch(x, x) * 2.0


def bound_and_read_on_the_same_condition(x):
    if x > 0:
        y = x * 2.0
    if x > 0:
        return y * 3.0
    return x


@pytest.mark.parametrize("f, args", [(bound_in_one_branch, (-1.5,)), (bound_in_a_loop, (1.5, 0)),
                                     (calls_helper_bound_in_one_branch, (-1.5,))])
def test_a_name_bound_on_some_paths_raises_unbound_local_error_where_python_does(f, args):
    with pytest.raises(UnboundLocalError):
        f(*args)
    with pytest.raises(UnboundLocalError, match="cannot access local variable"):
        sct.grad(f)(*args)


def test_a_name_bound_on_some_paths_works_on_the_paths_that_bind_it():
    assert_grad_matches_fd(bound_in_one_branch, (1.5,))
    assert_grad_matches_fd(bound_in_a_loop, (1.5, 2))
    assert_grad_matches_fd(calls_helper_bound_in_one_branch, (1.5,))
    assert_grad_matches_fd(bound_and_read_on_the_same_condition, (1.5,))
    assert_grad_matches_fd(bound_and_read_on_the_same_condition, (-1.5,))


def writes_its_argument_recursively(a, n):
    if n == 0:
        a[0] = 5.0
        return 0.0
    return writes_its_argument_recursively(a, n - 1)


def calls_a_recursive_writer(X):
    y = X * 1.0
    writes_its_argument_recursively(y, 2)
    return np.sum(y * X)


def test_a_recursive_function_writing_into_its_argument_is_refused():
    refused(calls_a_recursive_writer, (M3,), "changes its argument 'a'", "writes_its_argument_recursively(a, n - 1)")


def writes_through_the_loop_variable(X):
    Y = X * 1.0
    for r in Y:
        r[0] = 0.0
    return np.sum(Y * X)


def test_a_write_through_a_row_of_the_iterated_array_is_refused():
    refused(writes_through_the_loop_variable, (M3,), "iterates|shares memory", "r[0] = 0.0")


def sum_over_a_computed_iterable(x):
    return sum(np.sum(r) for r in (x if np.sum(x) > 0 else -x))


def make_fun(a):
    return lambda x: a * x * x


LAMBDA_FROM_A_FACTORY = make_fun(2.0)


def f_strings(x):
    n = 3
    return x * float(f"{0}{1}") + x * len(f"a{n}b")


def enumerate_with_a_computed_start(x):
    ws = [1.0, 2.0, 3.0]
    k = int(np.sum(np.ones(4)))
    total = 0.0
    for i, w in enumerate(ws, k):
        total = total + i * w * x
    return total


def test_what_raised_inside_sct_before():
    assert_grad_matches_fd(sum_over_a_computed_iterable, (np.array([1.0, 2.0]),))
    assert_grad_matches_fd(LAMBDA_FROM_A_FACTORY, (1.5,))
    assert_grad_matches_fd(f_strings, (1.5,))
    np.testing.assert_allclose(sct.grad(enumerate_with_a_computed_start)(1.5), 4 * 1 + 5 * 2 + 6 * 3)
