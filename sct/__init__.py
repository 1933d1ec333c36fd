"""sct: source-to-source automatic differentiation for Python and NumPy.

    @sct.grad(wrt=("W", "b"))
    def loss(W, b, x, y): ...

    dW, db = loss(W, b, x, y)
    print(loss.source)
"""
from .api import grad, value_and_grad, vjp, source, stop_gradient, GradientFunction
from .checking import check_grads
from .errors import (SctError, UnsupportedSyntaxError, MissingRuleError, NonScalarOutputError,
                     SctUsageError)
from .rules import adjoint, nondifferentiable, method, attribute

nondifferentiable(stop_gradient)

__version__ = "0.1.0"

__all__ = ["grad", "value_and_grad", "vjp", "source", "stop_gradient", "GradientFunction", "check_grads", "adjoint",
           "nondifferentiable", "method", "attribute", "SctError", "UnsupportedSyntaxError",
           "MissingRuleError", "NonScalarOutputError", "SctUsageError", "__version__"]
