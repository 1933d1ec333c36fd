"""`sct.vjp` of functions whose output is a tuple, list or dict (nested, of arrays and
numbers): the pullback takes a cotangent of the output's structure and is checked
against finite-difference vector-Jacobian products, for the specialized and the
shape-generic code; a cotangent of another structure is refused by name."""
import inspect

import numpy as np
import pytest

import sct
from sct import codegen
from sct.analysis import shape_of_value
from sct.pipeline import compile_function
from conftest import CONTAINERS, check_gradient_properties, leaves, numerical_grad

rng = np.random.default_rng(11)
X, W = rng.normal(size=3), rng.normal(size=(3, 4))


def inner_product(cotangent, output):
    """sum over leaves of <cotangent leaf, output leaf>: its gradient is the VJP."""
    out_leaves = list(leaves(output))
    ct_leaves = list(leaves(cotangent))
    assert [p for p, _ in out_leaves] == [p for p, _ in ct_leaves], "cotangent and output differ in structure"
    return sum(np.sum(np.asarray(c) * np.asarray(o)) for (_, c), (_, o) in zip(ct_leaves, out_leaves))


def fd_vjp(f, args, cotangent, index):
    """Central finite differences of <cotangent, f(*args)> with respect to args[index]."""
    return numerical_grad(lambda *a: inner_product(cotangent, f(*a)), args, index)


def random_like(output):
    """A cotangent of `output`'s structure: random arrays and Python floats at the leaves."""
    if type(output) is dict:
        return {k: random_like(v) for k, v in output.items()}
    if type(output) in (tuple, list):
        return type(output)(random_like(v) for v in output)
    if np.ndim(output) == 0:
        return float(rng.normal())
    return rng.normal(size=np.shape(output))


def generic_vjp(f, args, wrt):
    """The shape-generic vjp code (what serves arguments of any shape): (output, raw pullback)."""
    indices, as_tuple = sct.api._wrt_indices(f, wrt)
    bound = inspect.signature(f).bind(*args).arguments
    structures = {name: shape_of_value(v).without_shapes() for name, v in bound.items() if type(v) in CONTAINERS}
    return compile_function(f, indices, codegen.VJP, as_tuple, structures or None).function(*args)


def assert_same_structure(actual, expected):
    assert type(actual) is type(expected), f"{type(actual).__name__} is not {type(expected).__name__}"
    if type(expected) is dict:
        assert list(actual) == list(expected)
    if type(expected) in CONTAINERS:
        assert len(actual) == len(expected)
        for a, e in zip(actual.values() if type(expected) is dict else actual,
                        expected.values() if type(expected) is dict else expected):
            assert_same_structure(a, e)


def assert_vjp_matches_fd(f, args, cotangent=None, wrt=None):
    """sct.vjp's output is f's own (same structure and values) and its pullback agrees with
    finite differences, with the gradient conventions of sct.grad; so does the generic code."""
    indices = list(range(len(args))) if wrt is None else list(wrt)
    expected_output = f(*args)
    output, pullback = sct.vjp(f, *args, wrt=None if wrt is None else tuple(wrt))
    assert_same_structure(output, expected_output)
    for (_, a), (_, e) in zip(leaves(output), leaves(expected_output)):
        np.testing.assert_allclose(a, e, rtol=1e-14)
    if cotangent is None:
        cotangent = random_like(output)
    grads = pullback(cotangent)
    generic_output, generic_pullback = generic_vjp(f, args, tuple(indices))
    assert_same_structure(generic_output, expected_output)
    generic_grads = generic_pullback(cotangent)
    check_gradient_properties(grads, args, indices, distinct=False)
    for g, generic, i in zip(grads, generic_grads, indices):
        expected = fd_vjp(f, args, cotangent, i)
        for (path, actual), (_, wanted), (_, other) in zip(leaves(g), leaves(expected), leaves(generic)):
            np.testing.assert_allclose(actual, wanted, rtol=1e-6, atol=1e-8,
                                       err_msg=f"vjp of {f.__name__} w.r.t. arg {i}{list(path) or ''}")
            np.testing.assert_allclose(other, actual, rtol=1e-12, atol=1e-14,
                                       err_msg=f"generic vjp of {f.__name__} w.r.t. arg {i}{list(path) or ''}")
    return output, grads


def layer_with_parts(x, W):
    h = np.tanh(x @ W)
    return h, {"norm": np.sum(h ** 2), "parts": [h[0], 2.0 * x]}


def tuple_out(x, W):
    return np.sin(x), x @ W, np.sum(x)


def list_out(x, W):
    return [x * x, np.tanh(W), np.mean(x @ W)]


def dict_out(x, W):
    return {"y": np.exp(x), "z": np.sum(W * W, axis=0), "w": x[1] * W}


def one_item(x, W):
    return (np.sum(x @ W),)


@pytest.mark.parametrize("f", [layer_with_parts, tuple_out, list_out, dict_out, one_item])
def test_container_outputs_match_finite_differences(f):
    assert_vjp_matches_fd(f, (X, W))


def test_the_example_output_keeps_its_types():
    output, _ = assert_vjp_matches_fd(layer_with_parts, (X, W))
    assert type(output) is tuple and type(output[1]) is dict and type(output[1]["parts"]) is list
    assert list(output[1]) == ["norm", "parts"]


def test_single_wrt_gives_one_gradient():
    _, pullback = sct.vjp(layer_with_parts, X, W, wrt="W")
    cotangent = random_like(layer_with_parts(X, W))
    np.testing.assert_allclose(pullback(cotangent), fd_vjp(layer_with_parts, (X, W), cotangent, 1), rtol=1e-6)


def mlp(layers, x):
    """A container argument and a container output: every layer's activation."""
    activations = []
    for A, b in layers:
        x = np.tanh(A @ x + b)
        activations.append(x)
    return {"out": x, "hidden": activations[:-1], "loss": float(len(layers)) * np.sum(x ** 2)}


def test_container_argument_and_container_output():
    layers = [(rng.normal(size=(4, 3)), rng.normal(size=4)), (rng.normal(size=(2, 4)), rng.normal(size=2))]
    _, (glayers, gx) = assert_vjp_matches_fd(mlp, (layers, X))
    assert type(glayers) is list and all(type(layer) is tuple for layer in glayers)


def returns_its_argument(params, s):
    return params, {"scaled": params["a"] * s}


def test_a_returned_container_argument():
    params = {"a": X, "b": 2.0}
    output, (gparams, gs) = assert_vjp_matches_fd(returns_its_argument, (params, 0.5))
    assert type(gparams["b"]) is float and type(gs) is float


def scalars(a, b):
    return a * b, [a + b, {"k": a ** 2}]


def test_python_number_arguments_and_float_leaves():
    _, (ga, gb) = assert_vjp_matches_fd(scalars, (1.5, -0.5), cotangent=(2.0, [1.0, {"k": 0.5}]))
    assert type(ga) is float and type(gb) is float


def grown_in_a_loop(x):
    hs = []
    for _ in range(3):
        x = np.tanh(x) * 1.5
        hs.append(x)
    return hs


def branch_output(x, flag):
    if flag > 0:
        result = (x * 2.0, np.sum(x))
    else:
        result = (np.cos(x), x[0])
    return result


def test_run_time_list_output_from_a_loop():
    output, _ = assert_vjp_matches_fd(grown_in_a_loop, (X,))
    assert type(output) is list and len(output) == 3


@pytest.mark.parametrize("flag", [1.0, -1.0])
def test_output_joined_from_two_branches(flag):
    assert_vjp_matches_fd(branch_output, (X, flag), wrt=(0,))


def test_none_leaves_are_zero_cotangents():
    _, pullback = sct.vjp(layer_with_parts, X, W)
    cotangent = random_like(layer_with_parts(X, W))
    zeroed = (cotangent[0], {"norm": 0.0, "parts": [0.0, np.zeros(3)]})
    with_none = (cotangent[0], {"norm": None, "parts": None})
    for got, want in zip(pullback(with_none), pullback(zeroed)):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    gx, gW = pullback(None)
    np.testing.assert_array_equal(gx, np.zeros(3))
    np.testing.assert_array_equal(gW, np.zeros((3, 4)))


GOOD = (np.ones(4), {"norm": 1.0, "parts": [1.0, np.ones(3)]})


@pytest.mark.parametrize("cotangent, where", [
    ([np.ones(4), GOOD[1]], "cotangent is a list, but the output there is a tuple"),
    ((np.ones(4),), "cotangent has 1 items, but the output there has 2"),
    ((np.ones(4), {"norm": 1.0}), "missing 'parts'"),
    ((np.ones(4), {**GOOD[1], "extra": 1.0}), "not in the output 'extra'"),
    ((np.ones(4), {"norm": 1.0, "parts": (1.0, np.ones(3))}), "cotangent[1]['parts'] is a tuple"),
    ((np.ones(4), {"norm": 1.0, "parts": [1.0, np.ones(2)]}),
     "cotangent[1]['parts'][1] has shape (2,), but the output there has shape (3,)"),
    ((np.ones(4), {"norm": np.ones(2), "parts": GOOD[1]["parts"]}), "cotangent[1]['norm'] has shape (2,)"),
    ((np.ones(4), {"norm": [1.0], "parts": GOOD[1]["parts"]}), "cotangent[1]['norm'] is a list"),
    ((np.ones((4, 1)), GOOD[1]), "cotangent[0] has shape (4, 1)"),
], ids=["type", "length", "missing-key", "extra-key", "inner-type", "leaf-shape", "scalar-leaf-shape",
        "container-at-leaf", "top-leaf-shape"])
def test_mismatched_cotangent_says_where(cotangent, where):
    _, pullback = sct.vjp(layer_with_parts, X, W)
    pullback(GOOD)  # the right structure passes
    with pytest.raises(sct.SctUsageError) as info:
        pullback(cotangent)
    assert where in str(info.value) and "layer_with_parts" in str(info.value)
    assert "structure" in info.value.hint


def test_single_output_cotangent_shape_still_checked():
    _, pullback = sct.vjp(lambda_free_tanh, X)
    with pytest.raises(sct.SctUsageError, match=r"cotangent has shape \(2,\), but the output there has shape \(3,\)"):
        pullback(np.ones(2))


def lambda_free_tanh(x):
    return np.tanh(x)


@pytest.mark.parametrize("f, kind", [(tuple_out, "tuple"), (list_out, "list"), (dict_out, "dict")])
def test_grad_still_refuses_a_container_output(f, kind):
    with pytest.raises(sct.NonScalarOutputError) as info:
        sct.grad(f)(X, W)
    assert f"returns a {kind}" in str(info.value) and "vjp" in info.value.hint


def test_generated_source_takes_the_cotangent_apart():
    """The pullback reads each leaf of its one cotangent parameter by index or key, and,
    the leaves' shapes being checked, specialized code needs no run-time broadcast fixes."""
    source = sct.api._vjp_specializations(layer_with_parts, (0, 1), True).entry((X, W), {}).source
    assert "def pullback(btup):" in source
    for read in ("btup[0]", "btup[1]", "['norm']", "['parts']"):
        assert read in source, read
    assert "unbroadcast(" not in source and "expand(" not in source
    assert "return (tup, pullback)" in source
