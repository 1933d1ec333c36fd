"""A reduction with keepdims gives an adjoint of its own shape that stands for the whole
broadcast result; an elementwise op before it must count each entry of an argument once
per copy it was broadcast to, even where the argument has the adjoint's shape."""
import numpy as np
import pytest

from conftest import assert_grad_matches_fd

W = np.array([[0.1, 0.5, 0.2], [0.3, -0.2, 0.9], [1.0, 0.2, 0.4]])


def outer_sum_mean_then_max(W):
    g = np.sum(W, axis=1, keepdims=True)
    m = np.mean(g.T + g, axis=1, keepdims=True)
    return np.max(m)


def column_plus_row_summed(W):
    c = np.sum(W, axis=0, keepdims=True)
    r = np.sum(W, axis=1, keepdims=True)
    return np.sum(np.sum(c * 2.0 + r, axis=0, keepdims=True) ** 2)


def keepdims_max_of_a_product(W):
    r = np.max(W, axis=1, keepdims=True)
    return np.sum(np.mean(r * W.T, axis=1, keepdims=True) ** 2)


def keepdims_mean_of_a_row_times_a_column(W):
    a = W[:1, :]
    b = W[:, :1]
    return np.sum(np.tanh(np.mean(a - b, axis=1, keepdims=True)))


@pytest.mark.parametrize("f", [outer_sum_mean_then_max, column_plus_row_summed, keepdims_max_of_a_product,
                               keepdims_mean_of_a_row_times_a_column])
def test_keepdims_adjoints_count_every_broadcast_copy(f):
    assert_grad_matches_fd(f, (W,))


def batch_mean_of_a_shifted_batch(b, X):
    mu = np.mean(X + b, axis=0, keepdims=True)
    return np.sum((X - mu) ** 2) + np.sum(mu ** 2)


def keepdims_sum_of_a_broadcast_sum(x, W):
    return np.sum(np.sum(W + x, axis=0, keepdims=True)[0])


def keepdims_sum_minus_a_0d_array(s, W):
    return np.sum(np.sum(W - s, axis=1, keepdims=True) ** 2)


@pytest.mark.parametrize("f, args", [
    (batch_mean_of_a_shifted_batch, (np.array([0.5, -0.3]), np.arange(6.0).reshape(3, 2) / 7)),
    (keepdims_sum_of_a_broadcast_sum, (np.array([0.5, -0.3, 0.2]), W)),
    (keepdims_sum_minus_a_0d_array, (np.array(0.4), W)),
])
def test_a_vector_broadcast_under_a_keepdims_reduction(f, args):
    assert_grad_matches_fd(f, args, wrt=(0, 1))


def norm_of_a_keepdims_sums_column_in_a_while(W):
    s, k = 0.0, 0
    while k < 2:
        k += 1
        s = s + np.linalg.norm(np.sum(W, axis=1, keepdims=True)[:, 0])
    return np.mean(W ** 2) + s


def test_an_item_of_a_keepdims_sum_read_in_a_loop():
    assert_grad_matches_fd(norm_of_a_keepdims_sums_column_in_a_while, (W,))
