"""Rule template inlining: a rule's template, lowered to ops for one primal op.

Takes a registry `Rule` (see `sct.rules.registry`), the op it is for, which subscript
the template writes derivatives with (`d[x]` in adjoint templates, `t[x]` in tangent
ones) and the derivatives already known. Binds the template's parameters to the op's
result and operands, decides each `if` of the template from constant arguments and
static shape facts, and lowers what is left with the frontend's `ExprLowering`.
Guarantees: the new ops hold one branch of every template `if`, and they are only
returned, never placed: the transform puts them in its own sweep.

In a parsed template a derivative reference is a Name spelled `d[x]` (the registry
rewrites each `d[x]` subscript so, in `registry._AdjointRefs`); tangent templates
need the same rewrite of `t[x]` when they are registered.

It lives in `sct.transforms`, not in `sct.rules`: it lowers templates with
`sct.frontend`, which itself imports `sct.rules`.
"""
import builtins

import gast
import numpy as np

from ..errors import SctError
from ..frontend import ExprLowering, GlobalRef
from ..ir import Const, Var, rebuild


class _NotStatic(Exception):
    pass


class _Dynamic:
    """Stands for a run-time value while a template's `if` test is evaluated; only
    the static predicates (`is_scalar`, `ndim`) may look at it, through its facts."""

    def __init__(self, shape=None, scalar=False):
        self.shape, self.scalar = shape, scalar

    def _refuse(self, *args):
        raise _NotStatic()

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __len__ = __getitem__ = _refuse
    __add__ = __sub__ = __mul__ = __truediv__ = __neg__ = __hash__ = __iter__ = _refuse


def _static(x, shapes):
    if isinstance(x, Const):
        return x.value
    if isinstance(x, tuple):
        return tuple(_static(e, shapes) for e in x)
    return _Dynamic(shapes.array_shape(x), shapes.is_scalar(x))


def _is_scalar(x):
    if isinstance(x, _Dynamic):
        return x.scalar
    return np.ndim(x) == 0


def _ndim(x):
    if isinstance(x, _Dynamic):
        if x.shape is None:
            raise _NotStatic()
        return len(x.shape)
    return np.ndim(x)


# Predicates a template's `if` test may use besides constant arguments.
_STATIC_PREDICATES = {"is_const": lambda x: not isinstance(x, _Dynamic), "is_scalar": _is_scalar,
                      "ndim": _ndim}


class _TemplateScope:
    """Names inside a template: its locals, the derivatives it may read (`d[result]`,
    or `t[x]`), its parameters (bound to the op's operands), then the template
    module's globals and builtins."""

    def __init__(self, rule, env, derivative, readable):
        self.rule, self.env, self.derivative, self.readable = rule, env, derivative, readable
        self.locals = {}

    def lookup(self, name, node):
        if name in self.locals:
            return self.locals[name]
        if name.startswith(self.derivative + "["):
            if name not in self.readable:
                raise SctError(f"rule {self.rule.name}: only {', '.join(self.readable)} can be read")
            return self.readable[name]
        if name in self.env:
            value = self.env[name]
            if isinstance(value, tuple) and all(isinstance(e, Const) for e in value):
                return Const(tuple(e.value for e in value))
            return value
        for namespace in (self.rule.namespace, builtins.__dict__):
            if name in namespace:
                obj = namespace[name]
                return GlobalRef(name, obj, obj)
        raise SctError(f"rule {self.rule.name} uses an undefined name {name!r}")


def inline_template(rule, op, derivative, known, namer, shapes):
    """Lower `rule`'s template for the primal `op`, its `if`s decided statically.

    The template's parameters bind to `(op.result, *op.args, **op.kwargs)`.
    `derivative` is the subscript that means "the derivative of" in the template:
    "d" for adjoint templates (`d[x] = d[result] * ...`), "t" for tangent ones
    (`t[result] = t[x] * ...`). `known` maps id(primal Var) to the operand holding
    its derivative; the template may read `derivative[p]` for each parameter p bound
    to one of those Vars, and nothing else of the kind. `namer` names the new values;
    `shapes` gives the static facts the `if`s test, and gets the new ops' facts.

    Returns (ops, contributions, fresh): the new ops, in order, for the caller to
    place; one (operand p is bound to, value) per `derivative[p] = value` statement;
    the ids of the Vars the new ops make.
    """
    try:
        bound = rule.signature.bind(op.result, *op.args, **op.kwargs)
    except TypeError as e:
        raise SctError(f"sct's rule for {op.callee} does not accept these arguments ({e})", op.loc,
                       hint="Pass the arguments the way NumPy documents them (e.g. axis=..., "
                            "keepdims=...).") from None
    bound.apply_defaults()
    env = {name: _as_operand(value) for name, value in bound.arguments.items()}
    readable = {f"{derivative}[{name}]": known[id(value)] for name, value in env.items()
                if isinstance(value, Var) and id(value) in known}
    scope = _TemplateScope(rule, env, derivative, readable)
    lowering = ExprLowering(scope, namer, lambda node: op.loc, op.stmt)
    contributions = []
    statics = {name: _static(value, shapes) for name, value in env.items()}
    statics.update((name, _static(value, shapes)) for name, value in readable.items())
    for stmt in _specialize(rule, rule.body, statics):
        if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1 \
                or not isinstance(stmt.targets[0], gast.Name):
            raise SctError(f"rule {rule.name}: templates may only contain `name = expr`, "
                           f"`{derivative}[arg] = expr` and static `if` statements")
        target = stmt.targets[0].id
        start = len(lowering.ops)
        value = lowering.value(stmt.value)
        if target.startswith(derivative + "["):
            contributions.append((env[target[len(derivative) + 1:-1]], value))
        else:
            scope.locals[target] = value
        for new_op in lowering.ops[start:]:
            shapes.add(new_op)
    return lowering.ops, contributions, {id(r) for o in lowering.ops for r in o.results}


def _as_operand(value):
    """A bound template argument as an operand: defaults become Consts, `*args` a tuple."""
    if isinstance(value, (Var, Const)):
        return value
    if isinstance(value, tuple):
        return rebuild(value, [_as_operand(v) for v in value])
    return Const(value)


def _specialize(rule, body, statics):
    """The template's statements with every `if` decided from constant arguments and
    static shape facts; a test that needs a run-time value takes the `else` branch,
    the template's general form."""
    namespace = dict(rule.namespace, **_STATIC_PREDICATES)
    for stmt in body:
        if isinstance(stmt, gast.If):
            try:
                taken = bool(eval(rule.tests[id(stmt)], namespace, statics))
            except _NotStatic:
                taken = False
            yield from _specialize(rule, stmt.body if taken else stmt.orelse, statics)
        else:
            yield stmt
