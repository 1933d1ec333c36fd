"""The error contract: for ANY input program sct either computes a correct gradient
or raises an `sct.SctError` subclass whose message names the user's file:line:col,
shows the offending source line with a caret under it, and says what to do instead.
No internal exception (KeyError, AttributeError, IndexError, AssertionError, a
TypeError that is not sct's, IRVerificationError ...) may reach the user, and a
gradient is never silently wrong.

The corpus below is a set of module-level functions (sct reads source through
`inspect`, so they must live in a real file). The line the error must point at is
marked with a trailing `# ERR` comment, so the expected line numbers follow edits.
Cases that once broke the contract are kept as regression tests.

At the end, a grammar-based fuzzer writes short random straight-line programs (some
with unsupported nodes) into temporary .py files, imports them, and checks that sct
either matches central finite differences or raises an SctError.
"""
import functools
import importlib.util
import inspect
import itertools
import os
import random
import re
import statistics

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sct

THIS_FILE = os.path.basename(__file__)

V3 = np.array([0.5, -1.25, 2.0])
M23 = np.arange(6.0).reshape(2, 3) / 4.0 - 0.5
M33 = np.array([[2.0, 0.5, -1.0], [0.25, 3.0, 0.5], [-0.5, 1.0, 4.0]])
W_GLOBAL = np.arange(6.0).reshape(2, 3)
SHADOWED = 2.0

# --------------------------------------------------------------------------------------
# Checking one error


def marked_line(fn, marker="# ERR"):
    """File line number of the (single) line of `fn`'s source that carries `marker`."""
    lines, first = inspect.getsourcelines(fn)
    hits = [first + i for i, text in enumerate(lines) if marker in text]
    assert len(hits) == 1, f"{fn.__name__}: expected exactly one {marker!r} line, found {hits}"
    return hits[0]


def source_line(line):
    with open(__file__) as fh:
        return fh.read().splitlines()[line - 1]


def check_located(error, line, filename=THIS_FILE, needs_hint=True):
    """`error` renders as `file:line:col: message`, the source line, a caret under a
    non-blank character of it, and a hint of at least a few words."""
    text = str(error)
    assert isinstance(error, sct.SctError), type(error)
    assert re.search(rf"{re.escape(filename)}:{line}:\d+: ", text), \
        f"expected {filename}:{line}:<col> in:\n{text}"
    assert error.loc is not None and error.loc.line == line
    rows = text.splitlines()
    carets = [i for i, row in enumerate(rows) if row.strip() == "^"]
    assert carets, f"no caret line in:\n{text}"
    i = carets[0]
    assert i >= 1
    shown, caret_row = rows[i - 1], rows[i]
    if filename == THIS_FILE:
        assert source_line(line).strip() in shown, f"line {line} not shown above the caret:\n{text}"
    col = caret_row.index("^")
    assert col < len(shown) and shown[col] != " ", f"caret does not point into the line:\n{text}"
    if needs_hint:
        assert error.hint and len(error.hint.split()) >= 3, f"no hint sentence in:\n{text}"
        assert error.hint.splitlines()[0] in text


def raised_by(thunk, expected):
    with pytest.raises(expected) as info:
        thunk()
    assert isinstance(info.value, sct.SctError)
    return info.value


# --------------------------------------------------------------------------------------
# The corpus of malformed / unsupported programs

CORPUS = []


def case(expected, *args, wrt=0, match=None):
    """Register the decorated module-level function as a corpus entry: calling
    `sct.grad(fn, wrt=wrt)(*args)` must raise `expected` pointing at its `# ERR` line."""
    def register(fn):
        CORPUS.append(pytest.param(fn, expected, args, wrt, match, id=fn.__name__))
        return fn
    return register


def helper_twice(t):
    return t * 2.0


U = sct.UnsupportedSyntaxError
R = sct.MissingRuleError
E = sct.SctError
NS = sct.NonScalarOutputError


@case(U, V3, match="can only be called")
def bad_local_function_as_value(x):
    g = lambda t: t * 2.0  # noqa: E731
    return np.sum(np.vectorize(g)(x))  # ERR


@case(U, 1.0, match="rebinds outer names")
def bad_nonlocal_in_local_function(x):
    total = 0.0

    def add(t):
        nonlocal total  # ERR
        total = total + t
    add(x)
    return total


@case(U, V3)
def bad_set_comprehension(x):
    s = {t for t in x}  # ERR
    return np.sum(x)


@case(U, V3)
def bad_dict_comprehension(x):
    s = {0: t for t in x}  # ERR
    return np.sum(x)


@case(U, V3, match="shares memory")
def bad_read_of_a_view_after_a_write(x):
    y = x.copy()
    head = y[:2]
    y[0] = 5.0
    return np.sum(head * 2.0)  # ERR


@case(U, V3, match="copy")
def bad_nested_element_write(x):
    y = np.zeros((3, 3))
    y[[0, 1]][1] = x  # ERR
    return np.sum(y)


@case(U, V3)
def bad_attribute_write(x):
    y = x * 2.0
    y.flags = None  # ERR
    return np.sum(y)


@case(U, V3, match="kwargs")
def bad_double_starred_call(x):
    options = None
    return np.sum(x, **options)  # ERR


@case(U, 1.0, match="args")
def bad_varargs_param(x, *rest):  # ERR
    return x * 2.0


@case(U, 1.0, match="kwargs")
def bad_varkw_param(x, **options):  # ERR
    return x * 2.0


@case(U, V3)
def bad_starred_assignment(x):
    a, *rest = x  # ERR
    return a


@case(U, 1.0)
def bad_try(x):
    try:  # ERR
        y = x * 2.0
    except ValueError:
        y = x
    return y


@case(U, 1.0)
def bad_with(x):
    with np.errstate(all="ignore"):  # ERR
        y = x * 2.0
    return y


@case(U, 1.0)
def bad_global(x):
    global SHADOWED  # ERR
    return x * SHADOWED


@case(U, 1.0)
def bad_raise(x):
    raise ValueError("no")  # ERR


@case(U, 1.0)
def bad_import(x):
    import math  # ERR
    return x


@case(U, 1.0)
def bad_import_from(x):
    from math import pi  # ERR
    return x


@case(U, 1.0)
def bad_del(x):
    y = x * 2.0
    del y  # ERR
    return x


@case(U, 1.0)
def bad_class(x):
    class Local:  # ERR
        pass
    return x


@case(U, 1.0)
def bad_walrus(x):
    return (y := x * 2.0)  # ERR


@case(U, 1.0)
def bad_set_literal(x):
    d = {x}  # ERR
    return x


@case(U, 1.0, match="[Gg]enerator|Yield")
def bad_generator(x):
    yield x * 2.0  # ERR


@case(U, V3)
def bad_yield_from(x):
    yield from x  # ERR


@case(U, 1.0, match="`in`")
def bad_membership_test(x):
    flag = x in (1.0, 2.0)  # ERR
    return x * flag


@case(U, 1.0, match="`in`")
def bad_not_in_test(x):
    flag = x not in (1.0, 2.0)  # ERR
    return x * flag


@case(U, 1.0, match="never run")
def bad_code_after_return(x):
    return x * 2.0
    y = x  # ERR


@case(U, 1.0, match="never run")
def bad_return_in_the_middle(x):
    y = x * 2.0
    return y
    return x  # ERR


@case(U, 1.0, match="computed value")
def bad_call_of_computed_value(x):
    return (x * 2.0)(3.0)  # ERR


def recursive_sum_missing_argument(x, n):
    if n == 0:
        return 0.0
    return x + recursive_sum_missing_argument(x)  # ERR


def recursive_local_function(x, n):
    def g(y, k):
        if k == 0:
            return y
        return g(2.0 * y, k - 1)  # ERR
    return g(x, n)


def recursive_index_error(x, n):
    if n == 0:
        return x[5]  # ERR
    return 2.0 * recursive_index_error(x, n - 1)


def recursive_missing_rule(x, y, n):
    if n == 0:
        return statistics.fmean(y)  # ERR
    return recursive_missing_rule(x, x, n - 1)


@case(R, V3, match="fmean")
def bad_library_function_call(x):
    return statistics.fmean(x * 2.0)  # ERR


@case(R, M33, match="linalg.det")
def bad_no_rule_linalg_det(x):
    return np.linalg.det(x)  # ERR


@case(R, V3, match="cumprod")
def bad_no_rule_cumprod(x):
    return np.sum(np.cumprod(x))  # ERR


@case(R, V3, match="sort")
def bad_no_rule_sort(x):
    return np.sum(np.sort(x) * V3)  # ERR


@case(R, V3, match=r"\.cumprod")
def bad_no_rule_method(x):
    return x.cumprod().sum()  # ERR


@case(R, V3, match=r"\.real")
def bad_no_rule_attribute(x):
    return x.real.sum()  # ERR


@case(R, V3, match="divmod")
def bad_no_rule_builtin(x):
    return divmod(np.sum(x), 2.0)[1]  # ERR


@case(R, V3, match="W_GLOBAL.dot")
def bad_no_rule_bound_method_of_global(x):
    return np.sum(W_GLOBAL.dot(x))  # ERR


@case(E, 1.0, match="tanhh")
def bad_misspelled_numpy_function(x):
    return np.tanhh(x)  # ERR


@case(E, 1.0, match="not defined")
def bad_undefined_name(x):
    return x * undefined_name_here  # ERR  # noqa: F821


@case(E, 1.0, match="used before it is assigned")
def bad_annotation_without_value(x):
    y: float
    return x * y  # ERR


@case(E, 1.0, match="not callable")
def bad_call_of_constant(x):
    return np.pi(x)  # ERR


@case(E, 1.0, match="unpack 3 values into 2")
def bad_unpack_arity(x):
    a, b = x, x, x  # ERR
    return a * b


@case(E, 1.0, match="unpack 1 values into 2")
def bad_unpack_arity_nested(x):
    (a, b), c = (x,), x  # ERR
    return a * c


@case(E, V3, match="does not accept")
def bad_rule_arguments(x):
    return np.sum(x, foo=1)  # ERR


@case(NS, V3, match=r"shape \(3,\)")
def bad_vector_output(x):
    return np.tanh(x) * 2.0  # ERR


@case(NS, V3, match=r"shape \(3,\)")
def bad_boolean_vector_output(x):
    return x > 0.0  # ERR


@case(NS, V3, match="tuple")
def bad_shape_output(x):
    return x.shape  # ERR


@case(NS, 1.0, match="NoneType")
def bad_no_return(x):  # ERR
    y = x * 2.0


@case(NS, V3)
def bad_vector_output_by_name(x):
    y = np.tanh(x) * 2.0
    return y  # ERR


@case(NS, V3)
def bad_vector_output_parameter(x):
    y = np.sum(x)
    return x  # ERR


@case(NS, 1.0)
def bad_string_output(x):
    return "not a number"  # ERR


@case(NS, 1.0)
def bad_bare_return(x):
    y = x * 2.0
    return  # ERR


@case(NS, 1.0)
def bad_tuple_output(x):
    return x, 2.0 * x  # ERR


@case(U, 1.0)
async def bad_async(x):  # ERR
    return x




def make_nonlocal():
    total = 0.0

    def bad_nonlocal(x):
        nonlocal total  # ERR
        return x * 2.0

    return bad_nonlocal


CORPUS.append(pytest.param(make_nonlocal(), U, (1.0,), 0, None, id="bad_nonlocal"))


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("fn, expected, args, wrt, match", CORPUS)
def test_corpus(fn, expected, args, wrt, match):
    gradient = sct.grad(fn, wrt=wrt)
    error = raised_by(lambda: gradient(*args), expected)
    check_located(error, marked_line(fn))
    if match:
        assert re.search(match, str(error)), str(error)
    if isinstance(error, sct.UnsupportedSyntaxError):  # also a well-formed SyntaxError
        assert isinstance(error, SyntaxError)
        assert error.lineno == error.loc.line and os.path.basename(error.filename) == THIS_FILE
    # The error is raised at transform time, also for .source and value_and_grad.
    with pytest.raises(expected):
        sct.value_and_grad(fn, wrt=wrt)(*args)


@pytest.mark.parametrize("fn", [p.values[0] for p in CORPUS
                                if p.values[1] not in (NS,) and not p.marks],
                         ids=[p.id for p in CORPUS if p.values[1] not in (NS,) and not p.marks])
def test_corpus_source_raises_too(fn):
    """Transform-time errors surface from `.source` as well, with the same location."""
    with pytest.raises(sct.SctError) as info:
        sct.grad(fn).source
    check_located(info.value, marked_line(fn))


def test_library_function_hint_mentions_registering_a_rule():
    error = raised_by(lambda: sct.grad(bad_library_function_call)(V3), sct.MissingRuleError)
    assert "inline" in error.hint
    assert "@sct.adjoint(statistics.fmean)" in error.hint


def test_recursive_call_with_wrong_arguments_is_refused_at_the_call():
    error = raised_by(lambda: sct.grad(recursive_sum_missing_argument)(1.5, 3), sct.SctError)
    check_located(error, marked_line(recursive_sum_missing_argument))
    assert "missing" in str(error)


def test_recursive_local_function_is_refused_at_the_call():
    error = raised_by(lambda: sct.grad(recursive_local_function)(1.5, 3), sct.UnsupportedSyntaxError)
    check_located(error, marked_line(recursive_local_function))
    assert "module level" in error.hint


def test_error_deep_in_a_recursion_points_at_the_users_line():
    # Raised by the VJP compiled at run time for the innermost call, not the outer code.
    with pytest.raises(IndexError) as info:
        sct.grad(recursive_index_error)(V3, 2)
    check_note(info.value, recursive_index_error)


def test_missing_rule_in_a_recursive_callee_is_located():
    # y is constant at the outer call, so only the callee's VJP (compiled when the recursive
    # call runs, wrt x and y) needs the missing rule; its error is still a located sct error.
    sct.grad(recursive_missing_rule).source  # the outer code compiles
    error = raised_by(lambda: sct.grad(recursive_missing_rule)(V3, V3, 1), sct.MissingRuleError)
    check_located(error, marked_line(recursive_missing_rule))


def test_user_helpers_are_inlined():
    assert "helper_twice(" not in sct.source(uses_helper_twice).split("\n", 1)[1]  # inlined: no call
    np.testing.assert_allclose(sct.grad(uses_helper_twice)(V3), 2.0 * np.ones(3))


def uses_helper_twice(x):
    return np.sum(helper_twice(x))


@pytest.mark.parametrize("fn", [bad_no_rule_linalg_det, bad_no_rule_cumprod])
def test_numpy_function_without_rule_hint(fn):
    error = raised_by(lambda: sct.grad(fn)(M33 if fn is bad_no_rule_linalg_det else V3), sct.MissingRuleError)
    assert "@sct.adjoint(" in error.hint and "nondifferentiable" in error.hint


def test_unsupported_errors_are_syntax_errors():
    error = raised_by(lambda: sct.grad(bad_nonlocal_in_local_function)(1.0), sct.UnsupportedSyntaxError)
    assert isinstance(error, SyntaxError)
    assert error.offset == error.loc.col + 1


def test_closure_cell_used_before_assignment():
    def make():
        def inner(x):
            return x * late  # ERR
        gradient = sct.grad(inner)
        error = raised_by(lambda: gradient(1.0), sct.SctError)
        late = 2.0
        return inner, error

    inner, error = make()
    check_located(error, marked_line(inner), needs_hint=False)
    assert "late" in str(error)


def test_closure_cell_used_before_assignment_has_hint():
    def make():
        def inner(x):
            return x * late  # ERR
        error = raised_by(lambda: sct.grad(inner)(1.0), sct.SctError)
        late = 2.0
        return inner, error

    inner, error = make()
    check_located(error, marked_line(inner))


def test_source_defined_with_exec_is_an_sct_error():
    namespace = {"np": np}
    exec("def from_exec(x):\n    return np.sum(x * x)\n", namespace)
    error = raised_by(lambda: sct.grad(namespace["from_exec"])(V3), sct.SctError)
    assert "from_exec" in str(error) and "source" in str(error)
    assert error.hint and ".py" in error.hint


# --------------------------------------------------------------------------------------
# Semantics that must not silently change the gradient (or must be refused)


def mod_program(x):
    return np.sum(x % 2.0)


def aliased_in_place_update(x):
    y = x
    x *= x  # NumPy updates the array in place: y sees it too
    return np.sum(y)


def unpack_array_wrong_length(x):
    a, b = x  # ERR
    return a + b


def local_shadows_global(x):
    y = SHADOWED * x  # ERR  (Python: UnboundLocalError, SHADOWED is local below)
    SHADOWED = 3.0
    return y


def augmented_global(x):
    SHADOWED += x  # ERR  (Python: UnboundLocalError)
    return SHADOWED


def sum_of_scalar_plus_vector(x, s):
    return np.sum(s + x)


def mean_of_vector_minus_scalar(x, s):
    return np.mean(x - s)


def outer_sum(x):
    return np.sum(x[:, None] + x)


def outer_product_sum(x):
    return np.sum(x.reshape(3, 1) * x)


def matmul_function_times_vector(x, M):
    return np.sum(np.matmul(M, x) * x)


def matmul_function_feeding_matmul(x, M):
    v = np.matmul(M, x / (1.0 + x * x))
    return v.dot(np.matmul(M, x))


def item_plus_scalar(x, s):
    return x[0] + s


def central_diff(f, args, i, h=1e-6):
    """Central finite differences of scalar `f` w.r.t. `args[i]`, on copies of all arguments."""
    def at(k, delta):
        shifted = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        if np.ndim(args[i]) == 0:
            shifted[i] = float(args[i]) + delta
        else:
            shifted[i] = shifted[i].astype(np.float64)
            shifted[i][k] += delta
        return float(f(*shifted))

    if np.ndim(args[i]) == 0:
        return (at(None, h) - at(None, -h)) / (2 * h)
    g = np.zeros(np.shape(args[i]))
    for k in np.ndindex(g.shape):
        g[k] = (at(k, h) - at(k, -h)) / (2 * h)
    return g


def correct_or_sct_error(f, args, wrt=0):
    """The contract for one program: a gradient that matches finite differences, or an SctError."""
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    try:
        grads = sct.grad(f, wrt=wrt)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except sct.SctError:
        return
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for i, g in zip(indices, grads):
        np.testing.assert_allclose(g, central_diff(f, args, i), rtol=1e-5, atol=1e-7)


def test_modulo_gradient_is_correct_or_refused_floor_divide_is_zero():
    def floor_divide(x):
        return np.sum(x // 2.0 * x)
    correct_or_sct_error(floor_divide, (np.array([0.5, 2.5, -1.25]),))


def test_modulo_gradient_is_correct_or_refused():
    correct_or_sct_error(mod_program, (np.array([0.5, 2.5, -1.25]),))


def test_in_place_update_through_alias():
    correct_or_sct_error(aliased_in_place_update, (V3.copy(),))


def test_unpacking_an_array_of_the_wrong_length():
    with pytest.raises(ValueError):
        unpack_array_wrong_length(V3)
    with pytest.raises((ValueError, sct.SctError)):
        sct.grad(unpack_array_wrong_length)(V3)


@pytest.mark.parametrize("fn", [local_shadows_global, augmented_global])
def test_local_shadowing_a_global_before_assignment(fn):
    with pytest.raises(UnboundLocalError):
        fn(1.0)
    with pytest.raises((UnboundLocalError, sct.SctError)):
        sct.grad(fn)(1.0)


def test_broadcast_scalar_through_add_under_sum():
    """d/ds sum(s + x) is len(x): the reduction's scalar cotangent must be expanded."""
    correct_or_sct_error(sum_of_scalar_plus_vector, (V3, 0.75), wrt=1)


def test_broadcast_scalar_through_sub_under_mean():
    """d/ds mean(x - s) is -1."""
    correct_or_sct_error(mean_of_vector_minus_scalar, (V3, 0.75), wrt=1)


def test_broadcast_outer_sum():
    """d/dx sum(x[:, None] + x) is 2 * len(x) per entry: the broadcast axis must be summed."""
    correct_or_sct_error(outer_sum, (V3,))


def test_broadcast_outer_product():
    correct_or_sct_error(outer_product_sum, (V3,))


def test_np_matmul_function_call():
    correct_or_sct_error(matmul_function_times_vector, (V3, M33), wrt=0)


def test_np_matmul_function_call_chain():
    correct_or_sct_error(matmul_function_feeding_matmul, (V3, M33), wrt=0)


def test_tuple_wrt_with_a_shared_constant_adjoint():
    """(Both adjoints are the constant 1.0: each gradient must still be its own value.)"""
    correct_or_sct_error(item_plus_scalar, (V3, 0.75), wrt=(0, 1))


# --------------------------------------------------------------------------------------
# Programs that DO work: keyword-only arguments, defaults, positional-only, annotations


def kwonly_default(x, *, k=2.0):
    """A docstring is skipped."""
    return np.sum(x * k) + k * k


def positional_default(x, k=3.0):
    pass
    return np.sum(np.tanh(x) * k)


def positional_only(x, /, y=1.5):
    z: float = np.sum(x * y)
    return z * y


def straight_line_features(x, M):
    a, b = x, M.T
    h = np.tanh(b @ a) - np.mean(a)
    n = x.shape[0]
    m = np.maximum(h, 0.1) * (h > 0.0) / n
    return m.sum() + (M.reshape(6)[1:4] ** 2).max() + -x.dot(x) + M.transpose().min()


def test_keyword_only_default_used():
    g = sct.grad(kwonly_default)(V3)
    np.testing.assert_allclose(g, central_diff(kwonly_default, (V3,), 0), rtol=1e-6)


def test_keyword_only_passed_by_keyword():
    g = sct.grad(kwonly_default)(V3, k=-1.5)
    np.testing.assert_allclose(g, central_diff(lambda x: kwonly_default(x, k=-1.5), (V3,), 0), rtol=1e-6)


def test_gradient_with_respect_to_keyword_only_argument():
    g = sct.grad(kwonly_default, wrt="k")(V3, k=0.5)
    np.testing.assert_allclose(g, central_diff(lambda x, k: kwonly_default(x, k=k), (V3, 0.5), 1),
                               rtol=1e-6)
    assert isinstance(g, float)


@pytest.mark.parametrize("wrt", [0, 1, "k", (0, "k"), -1])
def test_positional_default(wrt):
    grads = sct.grad(positional_default, wrt=wrt)(V3)
    indices = {0: (0,), 1: (1,), "k": (1,), (0, "k"): (0, 1), -1: (1,)}[wrt]
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for i, g in zip(indices, grads):
        np.testing.assert_allclose(g, central_diff(positional_default, (V3, 3.0), i), rtol=1e-6)


@pytest.mark.parametrize("wrt", [0, 1])
def test_positional_only_and_annotations(wrt):
    g = sct.grad(positional_only, wrt=wrt)(V3, 0.25)
    np.testing.assert_allclose(g, central_diff(positional_only, (V3, 0.25), wrt), rtol=1e-6)


@pytest.mark.parametrize("wrt", [0, 1])
def test_straight_line_features(wrt):
    args = (V3, M33[:, :2].copy() + 0.1)
    g = sct.grad(straight_line_features, wrt=wrt)(*args)
    np.testing.assert_allclose(g, central_diff(straight_line_features, args, wrt), rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------------------
# API misuse: SctUsageError with a hint


def two_args(x, y):
    return np.sum(x * y)


def star_only(*xs):
    return xs[0] * 2.0


class CallableThing:
    def __call__(self, x):
        return x * 2.0


@pytest.mark.parametrize("wrt, match", [
    ("z", "no argument named 'z'"),
    (2, "out of range"),
    (-3, "out of range"),
    (1.5, "1.5"),
    (None, "None"),
    (True, "True"),
    (((0,),), r"\(0,\)"),
    ((), "names no argument"),
    ((0, "q"), "no argument named 'q'"),
], ids=["unknown-name", "index-too-large", "negative-out-of-range", "float", "none", "bool", "nested-tuple",
        "empty-tuple", "unknown-name-in-tuple"])
def test_bad_wrt(wrt, match):
    error = raised_by(lambda: sct.grad(two_args, wrt=wrt), sct.SctUsageError)
    assert re.search(match, str(error)), str(error)
    assert "two_args" in str(error) or "x, y" in str(error)
    assert error.hint and "x, y" in error.hint  # lists the real argument names
    assert isinstance(error, TypeError)


@pytest.mark.parametrize("wrt", [(0, 0), ("x", 0), ("y", "y")], ids=["index-twice", "name-and-index", "name-twice"])
def test_duplicate_wrt(wrt):
    error = raised_by(lambda: sct.grad(two_args, wrt=wrt), sct.SctUsageError)
    assert "twice" in str(error)


def test_duplicate_wrt_has_hint():
    error = raised_by(lambda: sct.grad(two_args, wrt=(0, 0)), sct.SctUsageError)
    assert error.hint


@pytest.mark.parametrize("thunk, match", [
    (lambda: sct.grad(3), "first argument"),
    (lambda: sct.grad("two_args"), "first argument"),
    (lambda: sct.grad(object()), "object"),
    (lambda: sct.grad(len)(V3), "builtin"),
    (lambda: sct.grad(sct.grad(two_args))(V3, V3), "higher-order"),
    (lambda: sct.source(two_args, mode="forward"), "forward"),
    (lambda: sct.grad(CallableThing().__call__)(1.0), "method"),
], ids=["int", "string", "instance", "builtin", "grad-of-grad", "source-mode", "bound-method"])
def test_grad_of_a_non_function(thunk, match):
    error = raised_by(thunk, sct.SctUsageError)
    assert re.search(match, str(error)), str(error)


@pytest.mark.parametrize("thunk", [lambda: sct.grad(object()), lambda: sct.vjp(two_args)],
                         ids=["instance", "vjp-without-args"])
def test_usage_errors_have_hints(thunk):
    error = raised_by(thunk, sct.SctUsageError)
    assert error.hint


@pytest.mark.parametrize("target", [np.sin, np.sum, functools.partial(two_args, V3), CallableThing(), dict],
                         ids=["ufunc", "numpy-function", "partial", "callable-instance", "class"])
def test_grad_of_a_non_python_callable(target):
    raised_by(lambda: sct.grad(target)(V3), sct.SctUsageError)


def test_only_varargs_parameter():
    error = raised_by(lambda: sct.grad(star_only)(1.0), sct.UnsupportedSyntaxError)
    check_located(error, star_only.__code__.co_firstlineno)


def test_wrong_number_of_arguments_to_gradient():
    error = raised_by(lambda: sct.grad(two_args)(V3), sct.SctUsageError)
    assert "two_args" in str(error)


def test_wrong_number_of_arguments_to_gradient_is_a_type_error():
    with pytest.raises(TypeError):
        sct.grad(two_args)(V3)


# --------------------------------------------------------------------------------------
# Run-time failures inside the generated code: the NumPy error, plus a PEP 678 note


def matmul_mismatch(A, B):
    C = A @ B  # ERR
    return np.sum(C)


def broadcast_mismatch(x):
    return np.sum(x * W_GLOBAL.T)  # ERR


def division_by_zero(x):
    scale = 1 / 0  # ERR
    return np.sum(x * scale)


def check_note(error, fn):
    notes = getattr(error, "__notes__", [])
    line = marked_line(fn)
    assert any(f"{THIS_FILE}:{line}:" in note for note in notes), notes
    assert any(source_line(line).strip() in note for note in notes), notes


class OpaqueArray(np.ndarray):
    """An ndarray subclass: sct does not specialize on its shape, so shape errors are
    only found when the generic gradient code runs."""


def opaque(a):
    return np.asarray(a).view(OpaqueArray)


@pytest.mark.parametrize("api", ["grad", "value_and_grad"])
def test_known_shape_mismatch_in_matmul_is_a_located_error(api):
    # Argument shapes are known when the gradient is specialized: the mismatch is found
    # before running anything, and reported at the user's line.
    error = raised_by(lambda: getattr(sct, api)(matmul_mismatch)(np.ones((2, 3)), np.ones((2, 3))),
                      sct.SctError)
    check_located(error, marked_line(matmul_mismatch))
    assert "(2, 3)" in str(error) and "matmul" in str(error)


def test_known_broadcast_mismatch_is_a_located_error():
    error = raised_by(lambda: sct.grad(broadcast_mismatch)(M23), sct.SctError)
    check_located(error, marked_line(broadcast_mismatch))
    assert "cannot be broadcast" in str(error)


@pytest.mark.parametrize("api", ["grad", "value_and_grad"])
def test_runtime_shape_mismatch_in_matmul_gets_a_note(api):
    gradient = getattr(sct, api)(matmul_mismatch)
    with pytest.raises(ValueError) as info:
        gradient(opaque(np.ones((2, 3))), opaque(np.ones((2, 3))))
    assert not isinstance(info.value, sct.SctError)  # NumPy's own error, kept as is
    assert "matmul" in str(info.value)
    check_note(info.value, matmul_mismatch)


def test_runtime_broadcast_mismatch_gets_a_note():
    with pytest.raises(ValueError) as info:
        sct.grad(broadcast_mismatch)(opaque(M23))
    check_note(info.value, broadcast_mismatch)


def test_runtime_division_by_zero_gets_a_note():
    with pytest.raises(ZeroDivisionError) as info:
        sct.grad(division_by_zero)(V3)
    check_note(info.value, division_by_zero)


def test_runtime_error_in_vjp_gets_a_note():
    with pytest.raises(ValueError) as info:
        sct.vjp(matmul_mismatch, opaque(np.ones((2, 3))), opaque(np.ones((2, 3))))
    check_note(info.value, matmul_mismatch)


def test_runtime_non_scalar_output_checked_at_call_time():
    def maybe_scalar(x):
        return x * 2.0  # ERR
    assert sct.grad(maybe_scalar)(1.5) == 2.0
    error = raised_by(lambda: sct.grad(maybe_scalar)(V3), sct.NonScalarOutputError)
    check_located(error, marked_line(maybe_scalar))
    assert "vjp" in error.hint
    assert isinstance(error, ValueError)


# --------------------------------------------------------------------------------------
# Fuzzing: random short straight-line programs from a grammar
#
# Values have a static kind: "S" scalar, "V" shape (3,), "M" shape (3, 3). In the
# default grammar (3,) is never broadcast against (3, 1), there is no `%`, and
# in-place updates only touch scalars. The KNOWN_BUG_FEATURES (named for the bugs
# they once found, all fixed) switch those parts on, one at a time
# (test_fuzz_with_feature), so each keeps its own focused run.

PARAMS = {"x": "V", "s": "S", "M": "M"}
# Unsupported syntax: lowering sees every statement, so sct must refuse these even in dead code.
SYNTAX_ERRORS = {"walrus",
                 "tanhh", "undefined", "in", "set",
                 "try", "with", "global", "import", "del", "raise", "unpack_arity"}


KNOWN_BUG_FEATURES = frozenset({"broadcast_outer", "modulo", "array_in_place"})


class ProgramGenerator:
    def __init__(self, choose, features=frozenset()):
        self.choose = choose  # choose(n) -> an int in range(n); 0 is always the simplest choice
        self.features = features  # grammar parts that hit known bugs (KNOWN_BUG_FEATURES)
        self.env = dict(PARAMS)
        self.counter = 0
        self.unsupported = []

    def pick(self, options):
        return options[self.choose(len(options))]

    def leaf(self, kind):
        if kind == "S" and self.choose(3) == 1:
            return self.pick(["2.0", "0.5", "3", "-1.5"])
        names = [n for n, k in self.env.items() if k == kind]
        return self.pick(names)

    def expr(self, kind, depth):
        if depth <= 0 or self.choose(4) == 0:
            return self.leaf(kind)
        form = self.pick([self.binop, self.unary, self.ufunc, self.reduce_or_index, self.matmul,
                          self.compare_mask, self.shape_use, self.unsupported_expr])
        return form(kind, depth - 1)

    @staticmethod
    def atom(text):
        return text if text.isidentifier() else f"({text})"

    def binop(self, kind, depth):
        op = self.pick(["*", "+", "-", "/", "**"] + (["%"] if "modulo" in self.features else []))
        a = self.expr(kind, depth)
        if op == "/":
            b = self.expr(self.pick([kind, "S"]), depth)
            return f"({a} / (1.0 + {b} * {b}))"
        if op == "**":
            return f"({a} ** {self.pick(['2', '3', '2.0', '1'])})"
        if op == "%":
            return f"({a} % 1.75)"
        b = self.expr(self.pick([kind, "S"]) if kind != "S" else kind, depth)
        if self.choose(2):
            a, b = b, a
        return f"({a} {op} {b})"

    def unary(self, kind, depth):
        return self.pick(["(-{})", "(+{})"]).format(self.expr(kind, depth))

    def ufunc(self, kind, depth):
        form = self.pick(["np.tanh({})", "np.sin({})", "np.cos({})", "np.exp(np.tanh({}))",
                          "np.sqrt({0} * {0} + 1.0)", "np.log({0} * {0} + 1.0)", "np.square({})",
                          "np.abs({})", "abs({})", "np.maximum({}, 0.25)", "np.minimum({}, s)",
                          "np.multiply({}, s)", "np.negative({})", "np.add({0}, {0})", "np.power({}, 2)"])
        return form.format(self.expr(kind, depth))

    def reduce_or_index(self, kind, depth):
        if kind == "S":
            source = self.pick(["V", "M"])
            a = self.atom(self.expr(source, depth))
            index = "{}[0]" if source == "V" else "{}[1, 2]"
            other = "{}[-1]" if source == "V" else "{}[0][1]"
            return self.pick(["np.sum({})", "np.mean({})", "{}.sum()", "{}.mean()", "{}.max()", "{}.min()",
                              "np.max({})", "np.min({})", index, other]).format(a)
        if kind == "V":
            a = self.atom(self.expr("M", depth))
            return self.pick(["np.sum({}, axis=0)", "{}.mean(axis=1)", "{}.max(axis=0)", "{}[0]", "{}[:, 1]",
                              "np.min({}, axis=1)", "{}.sum(0)", "{}.T[2]", "{}.reshape(9)[2:5]"]).format(a)
        a = self.atom(self.expr("V", depth))
        forms = ["np.reshape(np.concatenate(({0}, {0}, {0})), (3, 3))", "np.transpose(np.reshape({0} * M, (3, 3)))"]
        if "broadcast_outer" in self.features:  # broadcasting a (3,) against (3, 1) or (3, 3)
            forms += ["({0}[:, None] * {0})", "({0}.reshape(3, 1) * {0})", "({0}[None, :] + M)"]
        return self.pick(forms).format(a)

    def matmul(self, kind, depth):
        if kind == "S":
            a, b = self.expr("V", depth), self.expr("V", depth)
            return self.pick(["({} @ {})", "np.dot({}, {})", "{}.dot({})"]).format(self.atom(a), b)
        if kind == "V":
            a, b = self.expr("M", depth), self.expr("V", depth)
            return self.pick(["({0} @ {1})", "({1} @ {0})", "np.matmul({0}, {1})"]).format(a, b)
        form = self.pick(["({} @ {})", "{}.dot({})", "{}.T", "np.transpose({})", "{}.transpose()",
                          "{}.reshape(9).reshape(3, 3)", "{}.transpose(1, 0)"])
        a = self.atom(self.expr("M", depth))
        return form.format(a, self.expr("M", depth)) if form.count("{}") == 2 else form.format(a)

    def compare_mask(self, kind, depth):
        a, b = self.expr(kind, depth), self.expr(kind, depth)
        return f"(({a} {self.pick(['>', '<', '>=', '<=', '=='])} 0.1) * {b})"

    def shape_use(self, kind, depth):
        a = self.expr(kind, depth)
        return self.pick([f"({a} * len(x))", f"({a} * x.shape[0])", f"({a} / x.size)", f"({a} * M.ndim)"])

    def unsupported_expr(self, kind, depth):
        if self.choose(3) != 2:  # keep most programs differentiable
            return self.binop(kind, depth)
        a = self.expr(kind, depth)
        choice = self.pick(["helper", "cumsum", "inv", "ifexp", "lambda", "listcomp", "genexp", "boolop",
                            "chained", "walrus", "tanhh", "undefined", "in", "set"])
        self.unsupported.append(choice)
        return {
            "helper": f"helper({a})",  # MissingRuleError when active, fine when not
            "cumsum": f"np.cumsum({a}, axis=0)" if kind != "S" else f"np.cumsum({a})[0]",
            "inv": f"(np.linalg.inv(M + 3.0 * np.eye(3))[0, 0] * {a})",
            "ifexp": f"({a} if s > 0 else {a})",
            "lambda": f"(lambda t: t)({a})",
            "listcomp": f"(np.sum([t * s for t in x]) * {a})",
            "genexp": f"(sum(t * t for t in x) * {a})",
            "boolop": f"({a} or {a})",
            "chained": f"((0 < s < 1) * {a})",
            "walrus": f"(w := {a})",
            "tanhh": f"np.tanhh({a})",
            "undefined": f"({a} * not_defined_anywhere)",
            "in": f"((s in (1.0, 2.0)) * {a})",
            "set": f"(len({{s}}) * {a})",
        }[choice]

    def statement(self, depth):
        form = self.choose(10)
        if form <= 5:
            kind = self.pick(["S", "V", "M"])
            value = self.expr(kind, depth)
            name = self.new_name(kind)
            return [f"{name} = {value}"]
        if form == 6:  # tuple unpacking
            k1, k2 = self.pick(["S", "V", "M"]), self.pick(["S", "V", "M"])
            e1, e2 = self.expr(k1, depth), self.expr(k2, depth)
            return [f"{self.new_name(k1)}, {self.new_name(k2)} = {e1}, {e2}"]
        if form == 7:  # rebinding: augmented assignment (of arrays only with "array_in_place": aliasing bug)
            op = self.pick(['+=', '*=', '-='])
            if "array_in_place" in self.features and self.choose(2):  # an alias, then an in-place update
                target = self.pick([n for n, k in self.env.items() if k != "S"])
                alias = self.new_name(self.env[target])
                return [f"{alias} = {target}", f"{target} {op} {self.expr(self.env[target], depth)}"]
            target = self.pick([n for n, k in self.env.items() if k == "S"])
            return [f"{target} {op} {self.expr(self.env[target], depth)}"]
        if form == 8:
            choice = self.pick(["if", "for", "while", "setitem", "nested_def", "try", "with", "assert", "global",
                                "import", "del", "raise", "unpack_arity", "aug_setitem"])
            self.unsupported.append(choice)
            return {
                "if": ["if s > 0:", "    s = s * 2.0"],
                "for": ["for i in range(2):", "    s = s + 1.0"],
                "while": ["while s > 10:", "    s = s - 1.0"],
                "setitem": ["x[0] = s"],
                "nested_def": ["def inner(t):", "    return t"],
                "try": ["try:", "    s = s * 1.0", "except ValueError:", "    pass"],
                "with": ["with np.errstate(all='ignore'):", "    s = s * 1.0"],
                "assert": ["assert s == s"],
                "global": ["global GG"],
                "import": ["import math"],
                "del": ["tmp = s", "del tmp"],
                "raise": ["raise ValueError('no')"],
                "unpack_arity": ["a1, a2 = s, s, s"],
                "aug_setitem": ["M[0, 0] += s"],
            }[choice]
        return [self.pick(["pass", "'''a string statement'''"])]

    def new_name(self, kind):
        name = f"v{self.counter}"
        self.counter += 1
        self.env[name] = kind
        return name

    def program(self, name):
        lines = [f"def {name}(x, s, M):"]
        for _ in range(self.choose(5)):
            lines += ["    " + line for line in self.statement(2)]
        self.nonscalar = self.choose(8) == 1
        lines.append(f"    return {self.expr('V' if self.nonscalar else 'S', 3)}")
        return "\n".join(lines) + "\n"


HEADER = "import numpy as np\n\n\ndef helper(t):\n    return t * 2.0\n\n\n"
_module_ids = itertools.count()


def load_program(directory, source):
    """Write `source` to a fresh .py file and import it (so inspect can read it)."""
    name = f"sct_fuzz_{os.getpid()}_{next(_module_ids)}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def fresh(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def check_program(choose, directory, seed, features=frozenset()):
    """Generate one program and check the contract on it; on failure the assertion
    message carries the program's source."""
    generator = ProgramGenerator(choose, features)
    source = HEADER + generator.program("prog")
    module, path = load_program(directory, source)
    first_line = HEADER.count("\n") + 1
    last_line = source.count("\n")
    rng = np.random.default_rng(seed)
    args = (rng.normal(size=3), float(rng.normal()), rng.normal(size=(3, 3)))
    with np.errstate(all="ignore"):
        try:
            value = module.prog(*fresh(args))
            primal_error = None
        except Exception as e:  # the user's program itself fails (e.g. `raise` in it)
            primal_error = e
    wrts = [0, 1, 2, (0, 1, 2)]
    for wrt in wrts:
        try:
            with np.errstate(all="ignore"):
                grads = sct.grad(module.prog, wrt=wrt)(*fresh(args))
        except sct.SctError as e:
            text = str(e)
            assert os.path.basename(path) in text, f"{text}\n---\n{source}"
            assert e.loc is not None and first_line <= e.loc.line <= last_line, f"{text}\n---\n{source}"
            assert re.search(r"^\s*\^$", text, re.M), f"no caret:\n{text}\n---\n{source}"
            assert e.hint, f"no hint:\n{text}\n---\n{source}"
            return "error"
        except Exception as e:
            if primal_error is not None and type(e) is type(primal_error):
                return "runtime-error"  # the program's own error, passed through
            raise AssertionError(f"internal {type(e).__name__} escaped for wrt={wrt}:\n{source}") from e
        assert primal_error is None, f"sct returned a gradient but the program raises {primal_error!r}:\n{source}"
        assert not set(generator.unsupported) & SYNTAX_ERRORS, \
            f"unsupported {generator.unsupported} accepted:\n{source}"
        assert not generator.nonscalar, f"non-scalar output accepted:\n{source}"
        grads = grads if isinstance(wrt, tuple) else (grads,)
        indices = wrt if isinstance(wrt, tuple) else (wrt,)
        with np.errstate(all="ignore"):
            if not np.isfinite(value):
                return "non-finite"
            for i, g in zip(indices, grads):
                fd = central_diff(module.prog, args, i)
                if not np.all(np.isfinite(fd)) or np.max(np.abs(fd)) > 1e6:
                    return "non-finite"
                assert np.shape(g) == np.shape(args[i]), f"gradient {i} has shape {np.shape(g)}:\n{source}"
                np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-5 * (1 + abs(value)),
                                           err_msg=f"gradient w.r.t. argument {i} of:\n{source}")
    return "gradient"


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("sct_fuzz"))


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzz_straight_line_programs(fuzz_dir, data):
    """Hypothesis draws every grammar choice, so a failure shrinks to a small program."""
    check_program(lambda n: data.draw(st.integers(0, n - 1)), fuzz_dir, seed=0)


def test_fuzz_seeded_batch(fuzz_dir):
    """A fixed batch from a plain PRNG: more programs per second, and an outcome mix check."""
    outcomes = {}
    for seed in range(250):
        rng = random.Random(seed)
        outcome = check_program(lambda n: rng.randrange(n), fuzz_dir, seed)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.get("gradient", 0) >= 50 and outcomes.get("error", 0) >= 50, outcomes


@pytest.mark.parametrize("feature", sorted(KNOWN_BUG_FEATURES))
def test_fuzz_with_feature(fuzz_dir, feature):
    """Each grammar part that once hit a bug, switched on alone: every program must
    give a correct gradient or a located SctError."""
    for seed in range(200):
        rng = random.Random(seed)
        check_program(lambda n: rng.randrange(n), fuzz_dir, seed, features=frozenset({feature}))




class _Settings:
    scale = 2.0


SETTINGS = _Settings()


def augmented_attribute_of_a_global(x):
    SETTINGS.scale += 1.0  # ERR
    return np.sum(x * SETTINGS.scale)


def attribute_of_an_attribute(x):
    cfg = _Settings()
    cfg.inner = _Settings()
    cfg.inner.scale = 3.0  # ERR
    return np.sum(x * cfg.inner.scale)


@pytest.mark.parametrize("fn", [augmented_attribute_of_a_global, attribute_of_an_attribute])
def test_a_write_to_an_attribute_sct_cannot_follow_is_refused_with_what_to_do(fn):
    with pytest.raises(sct.UnsupportedSyntaxError) as info:
        sct.grad(fn)(np.ones(2))
    check_located(info.value, marked_line(fn))
    assert "attribute" in str(info.value)
