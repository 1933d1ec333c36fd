"""Gradient descent on least squares, with the gradient from sct.

    f(x) = 0.5 || A x - b ||^2,     grad f(x) = A^T (A x - b)

The gradient is Lipschitz with constant L = largest eigenvalue of A^T A, so
the step s = 1/L always decreases f; since A has full column rank, f is
strongly convex and x <- x - s grad f(x) converges linearly to the unique
minimiser, which np.linalg.lstsq computes directly. The loop lives in the
script; only f itself is differentiated.
"""
import sys
from pathlib import Path

import numpy as np

try:
    import sct
except ImportError:  # run from a checkout: put the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sct


def f(x, A, b):
    r = A @ x - b
    return 0.5 * np.sum(r ** 2)


rng = np.random.default_rng(1)
A = rng.normal(size=(20, 4))
b = rng.normal(size=20)

f_grad = sct.grad(f)  # wrt=0, the unknown x


def gradient_descent(A, b, tol=1e-12, max_iter=10_000):
    """Return (x, number of steps) once ||grad f(x)|| <= tol."""
    L = np.linalg.eigvalsh(A.T @ A).max()
    x = np.zeros(A.shape[1])
    for k in range(max_iter):
        g = f_grad(x, A, b)
        if np.linalg.norm(g) <= tol:
            return x, k
        x = x - (1.0 / L) * g
    raise RuntimeError(f"no convergence in {max_iter} steps")


def main():
    print(f_grad.source_for(np.zeros(A.shape[1]), A, b))
    x_gd, steps = gradient_descent(A, b)
    x_ls = np.linalg.lstsq(A, b, rcond=None)[0]
    print("gradient descent:", x_gd, f"({steps} steps)")
    print("np.linalg.lstsq: ", x_ls)
    print("distance:        ", np.linalg.norm(x_gd - x_ls))


if __name__ == "__main__":
    main()
