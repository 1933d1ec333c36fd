"""Linear two-layer network: reverse mode on matrix products.

    f(W0, W1) = 0.5 * || y - W1 (W0 x) ||^2

At the data below the residual is r = y - W1 W0 x = [1, 0], so f = 0.5 and
the gradients are the outer products the chain rule predicts:

    df/dW1 = -r (W0 x)^T        = [[-1, -1], [0, 0]]
    df/dW0 = -(W1^T r) x^T      = [[1, 0, -1], [0, 0, 0]]
    df/dx  = -W0^T W1^T r       = [0, 1, -1]

Also try the command line:  sct show examples/two_layer.py:loss --wrt W0,W1
"""
import sys
from pathlib import Path

import numpy as np

try:
    import sct
except ImportError:  # run from a checkout: put the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sct


def loss(W0, W1, x, y):
    return 0.5 * np.sum((y - W1 @ (W0 @ x)) ** 2)


x = np.array([1.0, 0.0, -1.0])
y = np.array([0.0, 1.0])
W0 = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 1.0]])
W1 = np.array([[-1.0, 0.0], [2.0, -1.0]])

# Gradient with respect to both weight matrices (a tuple of two arrays) ...
loss_grad = sct.grad(loss, wrt=("W0", "W1"))
# ... and the value together with the gradient with respect to the input x.
loss_and_grad_x = sct.value_and_grad(loss, wrt="x")


def main():
    gW0, gW1 = loss_grad(W0, W1, x, y)
    f, gx = loss_and_grad_x(W0, W1, x, y)
    print(loss_grad.source_for(W0, W1, x, y))
    print("f       =", f)
    print("df/dW0  =", gW0.tolist())
    print("df/dW1  =", gW1.tolist())
    print("df/dx   =", gx.tolist())


if __name__ == "__main__":
    main()
