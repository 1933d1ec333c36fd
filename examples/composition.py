"""The chain rule through a composition, on scalars.

    F1(x) = (x1 - x2, x1 * x2)          = (v1, v2)
    F2(v) = (v1**2, v1 - v2)            = (w1, w2)
    F3(w) = (w1 - 8)**2 + (w2 - 3)**2
    F(x)  = F3(F2(F1(x)))

Reverse mode multiplies the Jacobians from the output backwards,
grad F = J1^T J2^T grad F3. At x = (2, -1): v = (3, -2), w = (9, 5), F = 5,
grad F3 = (2, 4), J2^T grad F3 = (2*3*2 + 4, -4) = (16, -4) and
J1^T (16, -4) = (16 - 4*x2, -16 - 4*x1) = (20, -24).
The function is written straight-line, one intermediate per line, with
Python floats as arguments, so the gradients come back as Python floats.
"""
import sys
from pathlib import Path

try:
    import sct
except ImportError:  # run from a checkout: put the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sct


def F(x1, x2):
    v1, v2 = x1 - x2, x1 * x2          # F1
    w1, w2 = v1 ** 2, v1 - v2          # F2
    return (w1 - 8.0) ** 2 + (w2 - 3.0) ** 2   # F3


x1, x2 = 2.0, -1.0

F_grad = sct.grad(F, wrt=(0, 1))
F_value_and_grad = sct.value_and_grad(F, wrt=("x1", "x2"))


def main():
    print(F_grad.source_for(x1, x2))
    value, (g1, g2) = F_value_and_grad(x1, x2)
    print("F(2, -1)      =", value)
    print("grad F(2, -1) =", [g1, g2])


if __name__ == "__main__":
    main()
