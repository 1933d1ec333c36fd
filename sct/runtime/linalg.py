"""Adjoints of products and linear algebra: matmul and np.dot for every rank, inner, solve, norms, diagonals.

Helpers for the rules in rules/arithmetic.py and rules/numpy_rules.py; each takes the
cotangent `g` first and returns one argument's adjoint in that argument's shape, or
raises SctError for a case it cannot differentiate (never a wrong gradient).
"""
import numpy as np

from ..errors import SctError
from .broadcasting import unbroadcast, unreduce


def _ndim(x):
    ndim = getattr(x, "ndim", None)  # np.ndim costs ten times more on arrays
    return np.ndim(x) if ndim is None else ndim


def matmul_adjoint_left(g, a, b):
    """Adjoint of `a` in `a @ b` for 1-D and 2-D operands, and stacks of matrices."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if b_ndim == 2 and a_ndim == 2:
        return g @ b.T
    if b_ndim == 1:
        if a_ndim == 1:
            return g * b
        return np.multiply.outer(g, b)  # a (..., n) @ b (n,) -> (...)
    if a_ndim == 1:
        return unbroadcast(b @ g[..., None], a[:, None])[:, 0] if g.ndim > 1 else b @ g
    return unbroadcast(g @ np.swapaxes(b, -1, -2), a)


def matmul_adjoint_right(g, a, b):
    """Adjoint of `b` in `a @ b` for 1-D and 2-D operands, and stacks of matrices."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if a_ndim == 2 and b_ndim == 2:
        return a.T @ g
    if a_ndim == 1:
        if b_ndim == 1:
            return g * a
        return np.multiply.outer(a, g) if b_ndim == 2 else a[:, None] * g[..., None, :]
    if b_ndim == 1:
        return unbroadcast(np.swapaxes(a, -1, -2) @ g[..., None], b[:, None])[:, 0]
    return unbroadcast(np.swapaxes(a, -1, -2) @ g, b)


def dot_adjoint_left(g, a, b):
    """Adjoint of `a` in np.dot(a, b) for operands of any rank. np.dot is not matmul: a
    0-d operand multiplies, and for b of rank >= 2 it sums a's last axis against b's
    second-to-last, giving a.shape[:-1] + b.shape[:-2] + b.shape[-1:] (no broadcasting)."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if a_ndim == 0 or b_ndim == 0:
        return unbroadcast(g * b, a)
    if b_ndim == 1:
        return np.multiply.outer(g, b)  # g has a.shape[:-1]
    # g's axes after a's leading ones come from b: all of b's axes but the contracted one
    from_b = tuple(range(a_ndim - 1, np.ndim(g)))
    return np.tensordot(g, b, axes=(from_b, tuple(range(b_ndim - 2)) + (b_ndim - 1,)))


def dot_adjoint_right(g, a, b):
    """Adjoint of `b` in np.dot(a, b) for operands of any rank (see dot_adjoint_left)."""
    a_ndim, b_ndim = _ndim(a), _ndim(b)
    if a_ndim == 0 or b_ndim == 0:
        return unbroadcast(g * a, b)
    leading = tuple(range(a_ndim - 1))
    contracted = np.tensordot(np.asarray(a), np.asarray(g), axes=(leading, leading))  # (m,) + g's rest
    if b_ndim == 1:
        return contracted
    return np.moveaxis(contracted, 0, b_ndim - 2)


def inner_adjoint_left(g, a, b):
    """Adjoint of `a` in `np.inner(a, b)` (the sum product over the last axes)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:  # np.inner is multiplication then
        return unbroadcast(g * b, a)
    g = np.broadcast_to(g, np.shape(a)[:-1] + np.shape(b)[:-1])
    nb = np.ndim(b) - 1
    return np.tensordot(g, b, axes=(tuple(range(g.ndim - nb, g.ndim)), tuple(range(nb))))


def inner_adjoint_right(g, a, b):
    """Adjoint of `b` in `np.inner(a, b)`."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    g = np.broadcast_to(g, np.shape(a)[:-1] + np.shape(b)[:-1])
    na = np.ndim(a) - 1
    return np.tensordot(g, a, axes=(tuple(range(na)), tuple(range(na))))


def _solve_transposed(g, a, b):
    """solve(a^T, g) for the cotangent g of x = np.linalg.solve(a, b). NumPy takes b for a
    vector (one per matrix of a stack a) only when b is 1-D; otherwise for matrices."""
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        return np.linalg.solve(at, np.asarray(g)[..., None])[..., 0]
    return np.linalg.solve(at, g)


def solve_adjoint_b(g, a, b):
    """The adjoint of b in x = np.linalg.solve(a, b): solve(a^T, g), summed over the
    stacked matrices of a that one b was broadcast against."""
    return unbroadcast(_solve_transposed(g, a, b), b)


def solve_adjoint_a(g, a, b, x):
    """The adjoint of a in x = np.linalg.solve(a, b): -(a^-T g) x^T (an outer product per
    matrix for a vector b), summed over the stacks of b that one a was broadcast against."""
    gb = _solve_transposed(g, a, b)
    if np.ndim(b) == 1:
        return unbroadcast(-(gb[..., :, None] * np.asarray(x)[..., None, :]), a)
    return unbroadcast(-(gb @ np.swapaxes(x, -1, -2)), a)


def _norm_unsupported(what):
    raise SctError(f"sct has no gradient for np.linalg.norm with {what}",
                   hint="Supported: vector norms (ord None, 2, 1, np.inf, -np.inf, 0 or any other number, "
                        "over a 1-D array or along an int axis) and the Frobenius norm (ord None or 'fro' "
                        "over a 2-D array or a pair of axes). Write other norms with supported operations, "
                        "e.g. np.sqrt(np.sum(x ** 2)).")


def nonzero_norm(norm):
    """`norm` with 1 where it is 0: there x is 0 too, so `g / norm * x` gives the subgradient 0
    at the kink, which is also what central differences give, instead of 0 / 0."""
    return np.where(norm == 0, 1.0, norm) if np.ndim(norm) else (norm or 1.0)


def norm_adjoint(g, result, x, ord, axis, keepdims):
    """Adjoint of `np.linalg.norm(x, ord, axis, keepdims)` for vector norms and the
    Frobenius norm; raises SctError for the matrix norms it does not support
    (never a wrong gradient). Ties of the inf-norms share the cotangent evenly. At x = 0,
    the minimum and a kink of every norm, the gradient is 0 (a subgradient, and what central
    differences give); ord < 1, which is no norm, keeps its inf or nan there."""
    x = np.asarray(x)
    if axis is None:
        if ord is None:
            return g / nonzero_norm(result) * x  # 2-norm of all entries, any rank
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            if ord == "fro":
                return g / nonzero_norm(result) * x
            _norm_unsupported(f"ord={ord!r} of a 2-D array (a matrix norm)")
        else:
            _norm_unsupported(f"ord={ord!r} of a {x.ndim}-D array")
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        if ord is None or ord == "fro":
            return unreduce(g / nonzero_norm(result), x, axis, keepdims) * x
        _norm_unsupported(f"ord={ord!r} over the axes {tuple(axis)} (a matrix norm)")
    if isinstance(axis, (tuple, list)):
        if len(axis) != 1:
            _norm_unsupported(f"axis={axis!r}")
        axis = axis[0]
    g = unreduce(g, x, axis, keepdims)
    r = unreduce(result, x, axis, keepdims)
    if ord is None or ord == 2:
        return g / nonzero_norm(r) * x
    if ord == 1:
        return g * np.sign(x)
    if ord in (np.inf, -np.inf):
        mask = np.abs(x) == r
        return g * np.sign(x) * mask / np.add.reduce(mask, axis=axis, keepdims=True)
    if isinstance(ord, str):
        _norm_unsupported(f"ord={ord!r} for a vector norm")
    if ord == 0:  # the number of non-zero entries: piecewise constant
        return np.zeros(x.shape, dtype=np.result_type(g, np.float64))
    return g * np.sign(x) * (np.abs(x) / (nonzero_norm(r) if ord > 1 else r)) ** (ord - 1)


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of `np.diagonal(a, offset, axis1, axis2)` (and, with `g` given one entry per
    matrix, of `np.trace`): zeros shaped like `a` with `g` on the diagonal. `g` may be
    anything that broadcasts to the diagonal's shape."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, np.float64))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))  # a writable view of `out`
    n, m = view.shape[-2:]
    length = max(0, min(n + min(offset, 0), m - max(offset, 0)))
    i = np.arange(length)
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of `np.trace(a, offset, axis1, axis2)`: `g` on each matrix's diagonal."""
    return diagonal_adjoint(np.asarray(g)[..., None], a, offset, axis1, axis2)


def diag_adjoint(g, v, k=0):
    """Adjoint of `np.diag(v, k)`: the k-th diagonal of `g` for a 1-D `v`; for a 2-D `v`,
    zeros shaped like `v` with `g` on the k-th diagonal."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k)
