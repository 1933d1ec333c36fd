"""A one-hidden-layer ReLU network and the gradient's dead units.

    h = relu(A v + b),   loss = (c . h - t)**2,   relu(u) = max(0, u)

With A = [[1, 0], [-2, 1]], b = [1, 0], v = [2, -1]: A v + b = [3, -5], so
h = [3, 0], c . h = 3 and loss = (3 - 1)**2 = 4. The second unit is off, so
the ReLU blocks its gradient: only the first rows of dA and db are non-zero.

    dloss/dc = 2 (c.h - t) h              = [12, 0]
    dloss/db = 2 (c.h - t) c * [u > 0]    = [4, 0]
    dloss/dA = dloss/db v^T               = [[8, -4], [0, 0]]
"""
import sys
from pathlib import Path

import numpy as np

try:
    import sct
except ImportError:  # run from a checkout: put the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sct


def loss(A, b, c, v, t):
    h = np.maximum(0.0, A @ v + b)
    return (np.dot(c, h) - t) ** 2


A = np.array([[1.0, 0.0], [-2.0, 1.0]])
b = np.array([1.0, 0.0])
c = np.array([1.0, 1.0])
v = np.array([2.0, -1.0])
t = 1.0

loss_grad = sct.grad(loss, wrt=("A", "b", "c"))


def main():
    print(loss_grad.source_for(A, b, c, v, t))
    gA, gb, gc = loss_grad(A, b, c, v, t)
    print("loss     =", loss(A, b, c, v, t))
    print("dloss/dA =", gA.tolist())
    print("dloss/db =", gb.tolist())
    print("dloss/dc =", gc.tolist())


if __name__ == "__main__":
    main()
