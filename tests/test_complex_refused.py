"""sct's rules are for real numbers: a gradient through complex values is refused at the
user's line, never returned complex or wrong."""
import numpy as np
import pytest

import sct


def through_a_complex_literal(x):
    return np.sum(np.abs(np.exp(1j * x) + x))


def through_a_complex_constant_made_inside(x, theta):
    c = np.exp(1j * theta)
    return np.sum(np.abs(x * c))


def through_an_fft(x, s):
    return np.sum(np.abs(np.fft.fft(s) * x))


def through_a_complex_dtype(x):
    return np.sum(np.abs(x.astype(complex)))


def times_a_complex_argument(x, c):
    return np.sum(np.abs(x * c))


X = np.array([0.3, 1.0, -2.0])


@pytest.mark.parametrize("f, args, line", [
    (through_a_complex_literal, (X,), "np.sum(np.abs(np.exp(1j * x) + x))"),
    (through_a_complex_constant_made_inside, (X, 0.3), "return np.sum(np.abs(x * c))"),
    (through_an_fft, (X, 2 * X), "np.fft.fft(s) * x"),
    (through_a_complex_dtype, (X,), "x.astype(complex)"),
])
def test_a_gradient_through_complex_values_is_refused_at_the_line(f, args, line):
    with pytest.raises(sct.UnsupportedSyntaxError, match="complex numbers") as info:
        sct.grad(f)(*args)
    assert line in str(info.value) and "test_complex_refused.py" in str(info.value)


def test_complex_arguments_are_refused_wherever_they_are():
    with pytest.raises(sct.SctUsageError, match="argument c is complex"):
        sct.grad(times_a_complex_argument)(X, np.array([1 + 1j, 2, 3j]))
    with pytest.raises(sct.SctUsageError, match=r"argument x is complex"):
        sct.grad(through_a_complex_literal)(X + 0j)
    with pytest.raises(sct.SctUsageError, match=r"argument p\['c'\] is complex"):
        sct.grad(lambda_free_loss)({"w": X, "c": 1j}, X)


def lambda_free_loss(p, x):
    return np.sum(p["w"] * x)


def test_the_same_shapes_with_a_complex_dtype_do_not_reuse_the_real_code():
    g = sct.grad(times_a_complex_argument)
    np.testing.assert_allclose(g(X, np.array([1.0, -2.0, 3.0])), np.sign(X) * [1.0, 2.0, 3.0])
    with pytest.raises(sct.SctUsageError, match="complex"):
        g(X, np.array([1 + 1j, 2, 3j]))


def test_reshape_order_f_is_not_a_complex_dtype():
    def f(x):
        return np.sum(np.ravel(x.reshape(3, 1), order="F") ** 2)
    np.testing.assert_allclose(sct.grad(f)(X), 2 * X)
