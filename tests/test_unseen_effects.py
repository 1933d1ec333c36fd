"""Calls with an effect on their arguments or the function's frame: out= and np.add.at are
writes sct follows; other writes into a given array, and code that reads the function's
frame or runs text, are refused at the user's line, never a zero gradient or a changed
argument."""
import dataclasses

import numpy as np
import pytest

import sct

from conftest import assert_grad_matches_fd


def exp_into_the_argument(x):
    np.exp(x, out=x)
    return np.sum(x)


def multiply_into_a_new_array(x):
    y = np.empty_like(x)
    np.multiply(x, 2.0, out=y)
    return np.sum(y ** 2)


def negative_with_a_positional_output(x):
    y = np.zeros(3)
    np.negative(x, y)
    return np.sum(y)


def method_with_out(x):
    y = np.zeros(())
    x.sum(out=y)
    return np.sum(y) + np.sum(x)


def add_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 1], x)
    return np.sum(y ** 2)


def copyto(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y)


def through_locals(x):
    y = x ** 2
    return np.sum(locals()["y"])


def through_eval(x):
    return eval("np.sum(x ** 2)")


def through_exec(x):
    exec("y = x")
    return np.sum(x)


@pytest.mark.parametrize("f", [exp_into_the_argument, multiply_into_a_new_array, negative_with_a_positional_output,
                               method_with_out, add_at])
def test_out_and_add_at_are_writes_sct_follows(f):
    # out= is the write out[...] = f(...), np.add.at the write y[...] = added_at(y, idx, v):
    # the gradients of Python's values, and the caller's array unchanged (checked by the helper)
    assert_grad_matches_fd(f, (np.array([0.3, 0.5, 0.9]),))


@pytest.mark.parametrize("f, message, line", [
    (copyto, "in place", "np.copyto(y, x)"),
    (through_locals, r"locals\(\)", 'locals()["y"]'),
    (through_eval, r"eval\(\)", 'eval("np.sum(x ** 2)")'),
    (through_exec, r"exec\(\)", 'exec("y = x")'),
])
def test_an_effect_sct_cannot_follow_is_refused_at_the_line(f, message, line):
    x = np.array([0.3, 0.5, 0.9])
    before = x.copy()
    with pytest.raises(sct.UnsupportedSyntaxError, match=message) as info:
        sct.grad(f)(x)
    assert line in str(info.value) and "test_unseen_effects.py" in str(info.value) and info.value.hint
    np.testing.assert_array_equal(x, before)  # the caller's array is never changed


@dataclasses.dataclass
class Scale:
    k: float

    def __call__(self, v):
        return self.k * v


SCALE = Scale(2.0)  # a callable object that cannot be hashed


def calls_a_global_callable_object(x):
    return np.sum(SCALE(x))


def calls_a_callable_object_passed_in(x, scale):
    return np.sum(scale(x))


def test_a_callable_object_in_a_global_is_refused_and_one_passed_in_is_inlined():
    x = np.array([0.3, 0.5, 0.9])
    with pytest.raises(sct.UnsupportedSyntaxError, match="Scale object") as info:
        sct.grad(calls_a_global_callable_object)(x)
    assert "np.sum(SCALE(x))" in str(info.value)
    np.testing.assert_allclose(sct.grad(calls_a_callable_object_passed_in)(x, Scale(2.0)), 2.0 * np.ones(3))
