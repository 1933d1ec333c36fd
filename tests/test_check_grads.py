"""sct.check_grads: it passes on correct gradients, and fails, naming the argument, the
errors and where they are, on wrong ones (rules registered wrong on purpose)."""
import re

import numpy as np
import pytest

import sct

RNG = np.random.default_rng(0)
W, B, X = RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal((5, 3))


def loss(W, b, x):
    return np.sum(np.tanh(x @ W + b) ** 2)


def layer(W, b, x):
    return np.tanh(x @ W + b)


def scaled(x, y):
    return x * y


def of_params(params, x):
    h = np.tanh(x @ params["layers"][0][0] + params["layers"][0][1])
    return np.sum(h * params["scale"]) + params["n"] * np.sum(params["layers"][1] ** 2)


def to_container(x, y):
    return {"h": np.sin(x) * y, "pair": (x ** 2, 3), "total": np.sum(x) * y}


@pytest.mark.parametrize("f,args,wrt", [
    (loss, (W, B, X), None),
    (loss, (W, B, X), "W"),
    (loss, (W, B, X), (0, "b")),
    (loss, (W, B, X), -1),
    (layer, (W, B, X), None),  # an array output: a random-cotangent VJP
    (scaled, (1.5, -0.5), None),  # Python floats
    (scaled, (np.array(1.5), np.array(-0.5)), None),  # 0-d arrays
    (scaled, (RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 1))), None),
    (scaled, (np.float32(1.5), RNG.standard_normal(3).astype(np.float32)), None),  # checked at float64
    (of_params, ({"layers": [(W, B), np.array([1.0, 2.0])], "scale": 0.5, "n": 3}, X), None),
    (to_container, (RNG.standard_normal(3), 2.0), None),  # a dict output holding a tuple and an int
])
def test_passes_on_correct_gradients(f, args, wrt):
    assert sct.check_grads(f, *args, wrt=wrt) is None


def test_default_wrt_skips_integers_and_flags():
    def f(x, n, flag, idx):
        return np.sum(x[idx] ** n) if flag else 0.0
    sct.check_grads(f, np.array([0.5, -1.0, 2.0]), 2, True, np.array([0, 2]))


def test_a_large_output_does_not_fail_a_correct_gradient():
    # the difference quotient of a value near 1e8 carries rounding errors far above atol
    def f(x):
        return 1e8 + np.sum(np.sin(x))
    sct.check_grads(f, RNG.standard_normal(4))


# ---- wrong rules: check_grads must fail, and say where


def double(x):
    return 2.0 * x


@sct.adjoint(double, elementwise=True)
def _wrong_double(result, x):
    d[x] = d[result] * 3.0  # wrong: the derivative is 2


def wrong_scalar(a, x):
    return np.sum(double(x) * a)


def wrong_array(x, a):
    return double(x) + a


def wrong_in_container(params):
    return np.sum(double(params["layers"][1]) + params["layers"][0])


def test_fails_on_a_wrong_rule_for_a_scalar_output():
    a = np.array([1.0, 2.0, -1.0])
    with pytest.raises(AssertionError) as e:
        sct.check_grads(wrong_scalar, a, np.array([0.1, 0.2, 0.3]))
    message = str(e.value)
    assert "gradient of x disagrees at 3 of 3 entries" in message
    assert "gradient of a" not in message  # a's gradient is right
    # the largest absolute error is where |a| is largest: 3 * 2 - 2 * 2 = 2 at x[1]
    assert re.search(r"largest absolute error 2 at x\[1\]: sct 6\.0, finite differences (4\.0|3\.9999)", message), message
    assert re.search(r"largest relative error 0\.5 at x\[\d\]", message), message
    assert "sct.grad" in message


def test_fails_on_a_wrong_rule_for_an_array_output():
    with pytest.raises(AssertionError, match=r"sct\.vjp with a random cotangent.*\n.*gradient of x disagrees "
                                             r"at 6 of 6 entries") as e:
        sct.check_grads(wrong_array, RNG.standard_normal((2, 3)), RNG.standard_normal(3))
    assert re.search(r"largest absolute error [\d.e-]+ at x\[\d, \d\]", str(e.value))
    assert "gradient of a" not in str(e.value)


def test_fails_for_the_wrong_leaf_of_a_container_and_names_its_path():
    params = {"layers": [np.array([1.0, 2.0]), np.array([[0.5, -0.5], [1.0, 2.0]])]}
    with pytest.raises(AssertionError) as e:
        sct.check_grads(wrong_in_container, params)
    message = str(e.value)
    assert "gradient of params['layers'][1] disagrees at 4 of 4 entries" in message
    assert "params['layers'][1][" in message
    assert "params['layers'][0]" not in message


def test_fails_on_a_wrong_rule_for_a_python_float_and_a_0d_array():
    def f(x, y):
        return double(x) * y
    with pytest.raises(AssertionError, match=r"gradient of x disagrees at 1 of 1 entry\n.*error 0\.5 at x: sct 1\.5"):
        sct.check_grads(f, 0.25, 0.5)
    with pytest.raises(AssertionError, match=r"gradient of x disagrees at 1 of 1 entry"):
        sct.check_grads(f, np.array(0.25), np.array(0.5))


def test_catches_small_relative_errors_and_tolerances_loosen_it():
    def halfway(x):
        return x * 1.0

    @sct.adjoint(halfway, elementwise=True)
    def _(result, x):
        d[x] = d[result] * (1.0 + 1e-3)

    def f(x):
        return np.sum(halfway(x) ** 2)
    x = RNG.standard_normal(4)
    with pytest.raises(AssertionError, match="largest relative error 0.001"):
        sct.check_grads(f, x)
    sct.check_grads(f, x, rtol=1e-2)


def _returning(gradients):
    """A stand-in for sct.grad whose gradient function returns `gradients`."""
    return lambda fn, wrt: (lambda *args: gradients)


def sum_of_squares(x, params):
    return np.sum(x ** 2) + np.sum(params["w"] ** 2)


@pytest.mark.parametrize("gradients,match", [
    ((np.zeros(3), {"w": np.zeros(2)}), r"gradient of x has shape \(3,\), but x has shape \(2, 3\)"),
    ((np.zeros((2, 3)), [np.zeros(2)]), r"gradient of params is a list of 1, but params is a dict of 1"),
    ((np.zeros((2, 3)), {"v": np.zeros(2)}), r"gradient of params\['w'\] is missing"),
    ((np.zeros((2, 3)), {"w": None}), r"gradient of params\['w'\] is None, but params\['w'\] is an array"),
])
def test_fails_on_a_gradient_of_the_wrong_shape_or_structure(monkeypatch, gradients, match):
    # sct's own gradients always have their argument's shape (as_gradient), so a stand-in
    # for sct.grad returns wrong ones
    monkeypatch.setattr(sct.api, "grad", _returning(gradients))
    with pytest.raises(AssertionError, match=match):
        sct.check_grads(sum_of_squares, RNG.standard_normal((2, 3)), {"w": RNG.standard_normal(2)})


@pytest.mark.parametrize("gradients,match", [
    ((np.array(3.0), np.array([0.5, 0.5])), r"gradient of x is an array of shape \(\), but x is a Python float$"),
    ((3.0, [0.5, 0.5]), r"gradient of v is a list of 2, but v is an array of shape \(2,\)$"),
])
def test_fails_on_a_gradient_of_the_wrong_type(monkeypatch, gradients, match):
    def f(x, v):
        return x * np.sum(v)
    monkeypatch.setattr(sct.api, "grad", _returning(gradients))
    with pytest.raises(AssertionError, match=match):
        sct.check_grads(f, 0.5, np.array([1.0, 2.0]))


def test_fails_when_sct_changes_an_argument_or_its_output_differs(monkeypatch):
    real_vjp = sct.api.vjp

    def meddling_vjp(fn, *args, wrt=None):
        output, pullback = real_vjp(fn, *args, wrt=wrt)
        args[0][0] += 1.0
        return output + 1.0, pullback
    monkeypatch.setattr(sct.api, "vjp", meddling_vjp)
    with pytest.raises(AssertionError) as e:
        sct.check_grads(layer, W.copy(), B, X)
    assert "sct's output is" in str(e.value) and "changed argument 'W' in place" in str(e.value)


def test_wrt_restricts_the_check():
    a = np.array([1.0, 2.0, -1.0])
    sct.check_grads(wrong_scalar, a, np.array([0.1, 0.2, 0.3]), wrt="a")  # only a: right
    with pytest.raises(AssertionError, match="gradient of x"):
        sct.check_grads(wrong_scalar, a, np.array([0.1, 0.2, 0.3]), wrt=1)


# ---- what check_grads refuses


@pytest.mark.parametrize("kwargs,match", [
    ({"modes": ("fwd",)}, "forward mode"),
    ({"modes": ("rev", "fwd")}, "forward mode"),
    ({"modes": "fwd"}, "forward mode"),
    ({"order": 2}, r"second derivatives \(order=2\).*forward mode"),
    ({"order": 3}, "order 1"),
    ({"modes": ("reverse",)}, "no mode 'reverse'"),
    ({"modes": ()}, "at least one mode"),
    ({"wrt": "n"}, "'n' is a int with no floating-point value"),
    ({"wrt": "y"}, "no argument named .y."),
])
def test_refuses_what_sct_cannot_check(kwargs, match):
    def f(x, n, z=1.0):
        return np.sum(x ** n) * z
    with pytest.raises(sct.SctUsageError, match=match):
        sct.check_grads(f, np.array([0.5, 1.5]), 2, **kwargs)


def test_refuses_wrt_naming_an_argument_not_passed():
    def f(x, z=1.0):
        return np.sum(x) * z
    with pytest.raises(sct.SctUsageError, match="'z', which is not among the 1 argument"):
        sct.check_grads(f, np.array([0.5]), wrt="z")


def test_refuses_a_function_with_no_float_argument():
    def f(n):
        return n * 2.0
    with pytest.raises(sct.SctUsageError, match="no argument holds a floating-point value"):
        sct.check_grads(f, 3)


def test_is_public():
    assert "check_grads" in sct.__all__
    assert sct.check_grads.__doc__ and "Example" in sct.check_grads.__doc__


def test_refuses_an_output_with_no_float():
    def f(x):
        return (x > 0).astype(int)
    with pytest.raises(sct.SctUsageError, match="the output holds no floating-point value"):
        sct.check_grads(f, np.array([0.5, -1.0]))
