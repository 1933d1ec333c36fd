"""Static shape classes: which values provably have the same shape.

Without knowing any concrete shape, some facts are certain: a ufunc applied to one
array gives that array's shape; an array times a Python number keeps its shape; a
full reduction gives a scalar. Each value gets a *class*: `SCALAR`, or the Var that
first had its shape (its root). Two values with the same class have the same shape.
The reverse transform uses this to skip `unbroadcast` where shapes are provably equal.
"""
import numpy as np

from ..ir import Const, Var, BINOP, CALL, COMPARE, METHOD, UNARYOP
from .. import runtime

SCALAR = "scalar"

_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.std, np.var}
_REDUCTION_METHODS = {"sum", "mean", "max", "min", "prod", "std", "var"}
_SCALAR_CALLS = {float, int, len, np.size, np.ndim, runtime.scalar_seed}
# Runtime helpers whose result has exactly the shape of their second argument.
_SHAPE_OF_SECOND_ARGUMENT = {runtime.unbroadcast, runtime.expand, runtime.as_gradient}
_ELEMENTWISE_OPERATORS = {"+", "-", "*", "/", "**", "//", "%"}


class ShapeClasses:
    """Incrementally computed shape classes of Vars; `of(x)` for any operand."""

    def __init__(self, params):
        self.classes = {id(p): p for p in params}

    def of(self, x):
        if isinstance(x, Var):
            return self.classes.get(id(x), x)
        if isinstance(x, Const) and isinstance(x.value, (int, float, bool)) and x.spelling is None:
            return SCALAR
        return x  # any other constant: a class of its own

    def same(self, x, y):
        return self.of(x) is self.of(y)

    def set(self, var, cls):
        self.classes[id(var)] = cls

    def add(self, op):
        """Classify the results of `op` from the classes of its operands."""
        result = op.result
        self.classes[id(result)] = self._classify(op, result)

    def _classify(self, op, result):
        c = op.callee
        if _is_elementwise(op):
            classes = [self.of(a) for a in op.args]
            arrays = [k for k in classes if k is not SCALAR]
            if not arrays:
                return SCALAR
            if all(k is arrays[0] for k in arrays):
                return arrays[0]
            return result
        if c.kind == CALL and c.obj in _SHAPE_OF_SECOND_ARGUMENT:
            return self.of(op.args[1])
        if c.kind == CALL and c.obj in _SCALAR_CALLS:
            return SCALAR
        if _is_full_reduction(op):
            return SCALAR
        return result


def _is_elementwise(op):
    c = op.callee
    if c.kind in (BINOP, COMPARE):
        return c.kind == COMPARE or c.spelling in _ELEMENTWISE_OPERATORS
    if c.kind == UNARYOP:
        return True
    if c.kind == CALL and isinstance(c.obj, np.ufunc) and not op.kwargs:
        return c.obj.nout == 1 and c.obj.nin in (1, 2) and len(op.args) == c.obj.nin
    return False


def _is_full_reduction(op):
    c = op.callee
    is_reduction = (c.kind == CALL and c.obj in _REDUCTIONS and len(op.args) == 1) or \
                   (c.kind == METHOD and c.spelling in _REDUCTION_METHODS and len(op.args) == 1)
    if not is_reduction:
        return False
    axis, keepdims = op.kwargs.get("axis"), op.kwargs.get("keepdims")
    axis_none = axis is None or (isinstance(axis, Const) and axis.value is None)
    no_keepdims = keepdims is None or (isinstance(keepdims, Const) and not keepdims.value)
    return axis_none and no_keepdims
