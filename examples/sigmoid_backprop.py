"""sct reproduces textbook backpropagation for a 2-3-1 sigmoid network.

    a1 = W1 x         (3,)    hidden pre-activations
    h  = sigma(a1)    (3,)
    a2 = w2 . h       scalar  output pre-activation
    z  = sigma(a2)
    J  = 0.5 (t - z)**2

Backpropagation by hand, with sigma'(a) = sigma(a) (1 - sigma(a)):

    delta2 = -(t - z) sigma'(a2)                 (output error)
    dJ/dw2 = delta2 h
    delta1 = (delta2 w2) * sigma'(a1)            (error pushed back through w2)
    dJ/dW1 = delta1 x^T

The script computes both and shows they agree.
"""
import sys
from pathlib import Path

import numpy as np

try:
    import sct
except ImportError:  # run from a checkout: put the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sct


def J(W1, w2, x, t):
    a1 = W1 @ x
    h = 1.0 / (1.0 + np.exp(-a1))
    a2 = np.dot(w2, h)
    z = 1.0 / (1.0 + np.exp(-a2))
    return 0.5 * (t - z) ** 2


rng = np.random.default_rng(0)
W1 = rng.normal(size=(3, 2))
w2 = rng.normal(size=3)
x = np.array([0.5, -1.0])
t = 1.0

J_grad = sct.grad(J, wrt=("W1", "w2"))


def sigma(a):
    return 1.0 / (1.0 + np.exp(-a))


def backprop(W1, w2, x, t):
    """The textbook formulas, written out by hand."""
    a1 = W1 @ x
    h = sigma(a1)
    a2 = np.dot(w2, h)
    z = sigma(a2)
    delta2 = -(t - z) * sigma(a2) * (1.0 - sigma(a2))
    delta1 = (delta2 * w2) * sigma(a1) * (1.0 - sigma(a1))
    return np.outer(delta1, x), delta2 * h


def main():
    print(J_grad.source_for(W1, w2, x, t))
    gW1, gw2 = J_grad(W1, w2, x, t)
    bW1, bw2 = backprop(W1, w2, x, t)
    print("J          =", J(W1, w2, x, t))
    print("sct dJ/dW1 =", gW1.tolist())
    print("by hand    =", bW1.tolist())
    print("sct dJ/dw2 =", gw2.tolist())
    print("by hand    =", bw2.tolist())
    print("max difference:", max(np.abs(gW1 - bW1).max(), np.abs(gw2 - bw2).max()))


if __name__ == "__main__":
    main()
