"""Activity analysis: which SSA values need an adjoint.

A value is *varying* if it depends, through differentiable ops, on a `wrt`
parameter, and *useful* if the output depends on it through differentiable ops.
Only values that are both (active) get adjoints; everything else is left to DCE.
"""
from ..ir import Var, BINOP, COMPARE, UNARYOP
from ..rules import is_nondifferentiable


def flat_vars(operands):
    """The Vars among `operands`, looking inside tuple operands."""
    for x in operands:
        if isinstance(x, tuple):
            yield from flat_vars(x)
        elif isinstance(x, Var):
            yield x


def differentiable(op):
    """False for ops whose results never carry a derivative (comparisons, shapes, argmax ...)."""
    return op.callee.kind != COMPARE and not is_nondifferentiable(op.callee.key)


def active_values(fn, wrt):
    """The set of ids of active Vars of `fn` (a Function) for the parameter indices `wrt`."""
    varying = {id(fn.params[i]) for i in wrt}
    for op in fn.body:
        if differentiable(op) and any(id(v) in varying for v in flat_vars(op.operands())):
            varying.update(id(r) for r in op.results)
    useful = {id(v) for v in flat_vars([fn.output])}
    for op in reversed(fn.body):
        if differentiable(op) and any(id(r) in useful for r in op.results):
            useful.update(id(v) for v in flat_vars(op.operands()))
    return varying & useful
