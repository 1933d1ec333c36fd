"""Activity analysis: which SSA values need an adjoint.

A value is *varying* if it depends, through differentiable ops, on a `wrt`
parameter, and *useful* if the output depends on it through differentiable ops.
Only values that are both (active) get adjoints; everything else is left to DCE.
An `If`'s results depend on its regions' yields; its condition carries no
derivative.
"""
from ..ir import If, Loop, Var, ASSERT, COMPARE
from ..rules import is_nondifferentiable
from .. import runtime


def flat_vars(operands):
    """The Vars among `operands`, looking inside tuple operands."""
    for x in operands:
        if isinstance(x, tuple):
            yield from flat_vars(x)
        elif isinstance(x, Var):
            yield x


def differentiable(op):
    """False for ops whose results never carry a derivative (comparisons, shapes, argmax ...)."""
    return op.callee.kind not in (COMPARE, ASSERT) and not is_nondifferentiable(op.callee.key)


def derivative_results(op):
    """The results of `op` that may carry a derivative: not a recursive call's pullback
    (its second result), which is a function the adjoint sweep calls."""
    return op.results[:1] if op.callee.obj is runtime.call_with_pullback else op.results


def active_values(fn, wrt):
    """The set of ids of active Vars of `fn` (a Function) for the parameter indices `wrt`."""
    varying = {id(v) for i in wrt for v in flat_vars([fn.inputs(i)])}
    _forward(fn.body, varying)
    useful = {id(v) for v in flat_vars([fn.output])}
    _backward(fn.body, useful)
    return varying & useful


def _forward(ops, varying):
    for op in ops:
        if isinstance(op, Loop):
            _forward_loop(op, varying)
        elif isinstance(op, If):
            for region in op.regions():
                _forward(region.body, varying)
            for i, result in enumerate(op.results):
                if any(id(v) in varying for region in op.regions() for v in flat_vars([region.yields[i]])):
                    varying.add(id(result))
        elif differentiable(op) and any(id(v) in varying for v in flat_vars(op.operands())):
            varying.update(id(r) for r in derivative_results(op))


def _forward_loop(op, varying):
    # Iterate to a fixed point: a carried value varies if its init or its yield does.
    for c, init in zip(op.carried, op.inits):
        if any(id(v) in varying for v in flat_vars([init])):
            varying.add(id(c))
    if op.target is not None and any(id(v) in varying for v in flat_vars([op.iterable])):
        varying.add(id(op.target))
    while True:
        count = len(varying)
        for region in op.regions():
            _forward(region.body, varying)
        for c, y in zip(op.carried, op.body.yields):
            if any(id(v) in varying for v in flat_vars([y])):
                varying.add(id(c))
        if len(varying) == count:
            break
    varying.update(id(r) for r, c in zip(op.results, op.carried) if id(c) in varying)


def _backward_loop(op, useful):
    # A carried value is useful if its result is, or the body reads it usefully on the
    # next iteration; then its yield, and finally its init, are useful.
    while True:
        count = len(useful)
        for r, c, y in zip(op.results, op.carried, op.body.yields):
            if id(r) in useful or id(c) in useful:
                useful.add(id(c))
                useful.update(id(v) for v in flat_vars([y]))
        _backward(op.body.body, useful)
        if len(useful) == count:
            break
    for c, init in zip(op.carried, op.inits):
        if id(c) in useful:
            useful.update(id(v) for v in flat_vars([init]))
    if op.target is not None and id(op.target) in useful:
        useful.update(id(v) for v in flat_vars([op.iterable]))


def _backward(ops, useful):
    for op in reversed(ops):
        if isinstance(op, Loop):
            _backward_loop(op, useful)
        elif isinstance(op, If):
            for i, result in enumerate(op.results):
                if id(result) in useful:
                    for region in op.regions():
                        useful.update(id(v) for v in flat_vars([region.yields[i]]))
            for region in op.regions():
                _backward(region.body, useful)
        elif differentiable(op) and any(id(r) in useful for r in op.results):
            useful.update(id(v) for v in flat_vars(op.operands()))
