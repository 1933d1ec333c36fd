"""An elementwise op converts a list operand to an array (x * [2.0, 3.0]); its partials,
computed in the adjoint, must too, not use Python's list arithmetic."""
import numpy as np
import pytest

from conftest import assert_grad_matches_fd

WEIGHTS = (2.0, 3.0)


def times_a_list(x):
    return np.sum(x * [2.0, 3.0])


def ufuncs_of_lists(x):
    return np.sum(np.maximum(x, [0.0, 1.0]) + np.multiply([1.0, 2.0], x) ** [2.0, 1.0])


def over_a_local_list(x):
    w = [2.0, 3.0]
    return np.sum(x / w - w)


def over_a_global_tuple(x):
    return np.sum(np.exp(x) * WEIGHTS)


@pytest.mark.parametrize("f", [times_a_list, ufuncs_of_lists, over_a_local_list, over_a_global_tuple])
def test_list_operands_of_elementwise_ops(f):
    assert_grad_matches_fd(f, (np.array([0.5, 2.0]),))
