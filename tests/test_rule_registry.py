"""A rule's template binds the op's arguments through its own signature, so a template
parameter at a position the real function gives another meaning would silently read
the wrong argument (np.sum's third positional argument is dtype, not keepdims)."""
import inspect

import numpy as np
import pytest

import sct
from sct.rules import registry
from conftest import assert_grad_matches_fd


def _real_parameters(key):
    """The real callable's parameters (an array method's include `self`), or None."""
    fn = getattr(np.ndarray, key[1], None) if isinstance(key, tuple) and key[0] == "method" else key
    if isinstance(key, tuple) and key[0] != "method":
        return None
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # no signature to compare with
        return None


def _misplaced(rule, real):
    """Template parameters at a position where the real function takes, by the same
    position, a parameter of another name."""
    template = list(rule.signature.parameters.values())[1:]  # after `result`
    found = []
    for i, (mine, theirs) in enumerate(zip(template, real)):
        if theirs.kind is theirs.VAR_POSITIONAL or mine.kind is mine.VAR_POSITIONAL:
            break
        if mine.kind is mine.KEYWORD_ONLY or theirs.kind is not theirs.POSITIONAL_OR_KEYWORD:
            continue  # a positional-only parameter's name is nobody's business; kw-only binds by name
        if mine.name != theirs.name and i > 0:
            found.append(f"position {i}: template {mine.name!r}, real {theirs.name!r}")
    return found


def test_every_template_takes_positional_arguments_where_the_real_function_does():
    problems = {}
    for key, rule in registry._RULES.items():
        real = _real_parameters(key)
        if real is not None and _misplaced(rule, real):
            problems[str(key)] = _misplaced(rule, real)
    assert not problems, problems


def test_the_check_sees_a_misplaced_parameter():
    def template(result, a, axis=None, keepdims=False):
        pass
    rule = registry.Rule.__new__(registry.Rule)
    rule.signature = inspect.signature(template)
    assert _misplaced(rule, _real_parameters(np.sum)) == ["position 2: template 'keepdims', real 'dtype'"]


def sum_with_positional_dtype(x):
    return np.sum(np.sum(x, 1, float) * np.arange(3.0))


def mean_with_positional_dtype(x):
    return np.sum(np.mean(x, 1, np.float64) * np.arange(3.0))


def prod_with_positional_dtype(x):
    return np.sum(np.prod(x, 0, None) * np.arange(3.0))


def max_with_positional_out(x):
    return np.sum(np.max(x, 1, None) * np.arange(3.0))


def method_sum_with_positional_dtype(x):
    return np.sum(x.sum(0, float) * np.arange(3.0))


def sum_in_an_integer_type(x):
    return np.sum(np.sum(x, axis=1, dtype=int)) + np.sum(x)


X = np.array([[0.5, 1.2, -0.7], [2.0, 0.3, 1.1], [-1.4, 0.9, 0.6]])


@pytest.mark.parametrize("f", [sum_with_positional_dtype, mean_with_positional_dtype, prod_with_positional_dtype,
                               max_with_positional_out, method_sum_with_positional_dtype])
def test_reductions_with_positional_dtype_or_out(f):
    assert_grad_matches_fd(f, (X,))


def test_a_sum_in_an_integer_type_has_no_gradient():
    np.testing.assert_array_equal(sct.grad(sum_in_an_integer_type)(X), np.ones((3, 3)))


def polar(x, y):
    return np.sqrt(x * x + y * y), np.arctan2(y, x)


@sct.adjoint(polar)
def _polar_adjoint(result, x, y):
    r = result[0]
    d[x] = d[result][0] * x / r - d[result][1] * y / (r * r)
    d[y] = d[result][0] * y / r + d[result][1] * x / (r * r)


def radius_times_angle(x, y):
    r, t = polar(x, y)
    return np.sum(r * t)


def both_grids_used(x):
    X, Y = np.meshgrid(x, 2.0 * x)
    return np.sum(X * Y + X)


def test_items_of_a_tuple_a_rule_returns_add_their_cotangents_item_by_item():
    assert_grad_matches_fd(radius_times_angle, (np.array([1.0, 2.0]), np.array([0.5, -1.0])), wrt=(0, 1))
    assert_grad_matches_fd(both_grids_used, (np.array([0.3, -1.2, 2.0]),))
