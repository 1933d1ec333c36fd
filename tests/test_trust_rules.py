"""Never a silent wrong gradient (issue 10, items 5-11 and the classes behind them).

Every gradient here is checked against float64 central finite differences, for the
shape-specialized and the shape-generic code (`assert_grad_matches_fd`). What sct
cannot differentiate it refuses with an SctError at the user's line. Where the
derivative does not exist at a point, sct follows autograd and JAX, and the tests
pin that down (the conventions are in docs/architecture.md, Rules).
"""
import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

RNG = np.random.default_rng(10)


def normal(*shape):
    return RNG.normal(size=shape)


# ---------------------------------------------------------------- 8, 9: np.dot is not matmul


def dot_sum(x, y):
    return np.sum(np.dot(x, y))


def test_item8_value():
    assert sct.grad(dot_sum)(2.0, np.ones(3)) == pytest.approx(3.0)


def dot_sin(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def dot_method(a, b):
    return np.sum(np.sin(a.dot(b)))


DOT_SHAPES = [((), (3,)), ((3,), ()), ((), ()), ((2, 3), ()), ((), (2, 3)), ((3,), (3,)), ((2, 3), (3,)),
              ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3), (4, 3, 5)), ((2, 4, 3), (3,)), ((3,), (4, 3, 5)),
              ((2, 4, 3), (5, 3, 2)), ((2, 3), (2, 4, 3, 5)), ((2, 1, 3), (3, 2))]


@pytest.mark.parametrize("a_shape, b_shape", DOT_SHAPES)
def test_dot_every_rank(a_shape, b_shape):
    a, b = normal(*a_shape), normal(*b_shape)
    assert_grad_matches_fd(dot_sin, (a, b), (0, 1))
    if a_shape:
        assert_grad_matches_fd(dot_method, (a, b), (0, 1))


@pytest.mark.parametrize("a, b", [(2.0, normal(3)), (normal(3), 2.0), (1.5, 2.0), (2.0, normal(2, 3))])
def test_dot_python_numbers(a, b):
    assert_grad_matches_fd(dot_sin, (a, b), (0, 1))


def matmul_sin(a, b):
    return np.sum(np.sin(a @ b))


MATMUL_SHAPES = [((3,), (4, 3, 5)), ((2, 4, 3), (3,)), ((2, 4, 3), (3, 2)), ((4, 3), (2, 3, 5)), ((1, 4, 3), (2, 3, 5)),
                 ((2, 1, 4, 3), (3, 3, 2))]


@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES)
def test_matmul_broadcasts_stacks(a_shape, b_shape):
    assert_grad_matches_fd(matmul_sin, (normal(*a_shape), normal(*b_shape)), (0, 1))