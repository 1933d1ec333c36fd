"""Lowering: a parsed function -> an SSA `Function`; the entry, and function bodies.

Takes a `ParsedFunction` (source.py) and, to specialize, the structures of its tuple,
list, dict and object arguments and its arguments' shape facts. Binds the parameters
(taking structured arguments apart into their items), lowers the body as a tail
block (control_flow.py), and guarantees what `lower` says. The body of a user's
function called from it is lowered here too (`lower_body`), inlined at the call:
the scopes and expressions below reach it, and the lowering of local functions and
comprehension loops, through `BODIES`, which `lower` puts in the function's scope.
"""
import inspect
import operator
import re

import gast

from .. import runtime
from ..analysis.shapes import FUNCTION_KINDS, FunctionFact
from ..errors import UnsupportedSyntaxError
from ..ir import AttributesOf, Callee, Const, DictOf, Function, ListOf, Namer, Var, rebuild, ATTR, CALL, GETITEM
from . import containers
from .control_flow import BlockLowering
from .expressions import ExprLowering
from .scope import FunctionScope, assigned_names, parameters
from .static_values import LocalObject


def lower(parsed, structures=None, facts=None):
    """Lower a `ParsedFunction` to an SSA `Function`. `structures` maps the names of
    tuple, list and dict parameters to their `analysis.Structure`: such a parameter is
    taken apart into its items first thing (`Function.param_leaves`), and the body
    indexes, unpacks and iterates over those.

    Guarantees: each Var assigned once; `if` statements become `If` ops whose
    results join the names either branch assigns, loops `Loop` ops; a `return`
    inside a branch or loop leaves one output; calls to the user's own functions
    are inlined; ops carry user locations; `Function.dependencies` lists every
    outside name the function's meaning depends on. `facts` (name -> shape fact, as
    `analysis.shape_of_value` gives) lets `isinstance` of a parameter be decided here.
    """
    tree = parsed.tree
    scope = FunctionScope(parsed.fn, parsed.loc, assigned_names(tree), bodies=BODIES)
    namer = Namer([a.id for a in parameters(tree)])
    leaves = {}
    params, ops, output, output_loc = lower_body(parsed, scope, namer, structures=structures or {},
                                                  leaves=leaves, facts=facts)
    if any(isinstance(v, LocalObject) for v in containers.flat([output])):
        raise UnsupportedSyntaxError("returning an object made in the function is not supported", output_loc,
                                     hint="Return the attributes you need (a number, an array, or a tuple "
                                          "or dict of them).")
    return Function(tree.name, params, ops, output, parsed.filename, parsed.loc(tree), namer,
                    inspect.signature(parsed.fn), output_loc, scope.dependencies, param_leaves=leaves)


def _take_apart(container, structure, name, lowering, node):
    """The items of the container or object argument `container` (a Var) as a structured
    operand of Vars (a LocalObject for an object), read by ops appended to `lowering`
    (`layers_0 = layers[0]`, `model_W = model.W` ...). A function kept in it is known by
    identity (a FunctionFact) and becomes a constant."""
    keys = structure.keys if structure.keys is not None else range(len(structure.items))
    is_object = structure.kind not in (tuple, list, dict)
    items = []
    for key, fact in zip(keys, structure.items):
        if isinstance(fact, FunctionFact):
            items.append(Const(fact.fn))
            continue
        item_name = f"{name}_{re.sub(r'[^0-9a-zA-Z_]', '_', str(key))}"
        read = Callee(ATTR, key) if is_object else Callee(GETITEM, "[]", operator.getitem)
        item = lowering.emit(read, [container] if is_object else [container, Const(key)], hint=item_name, node=node)
        item.is_temp = False  # printed as its own line: the parameter's items, named after their keys
        items.append(_take_apart(item, fact, item_name, lowering, node) if type(fact) is type(structure)
                     else item)
    if is_object:
        return LocalObject(structure.kind, zip(keys, items), source=container)
    if structure.kind is dict:
        return DictOf(structure.keys, items)
    return ListOf(items) if structure.kind is list else tuple(items)


def _function_const(fn):
    """A function as a constant the generated code spells by its name."""
    name = getattr(fn, "__name__", "")
    return Const(fn, name, fn) if name.isidentifier() else Const(fn)


def _as_leaves(value):
    """A taken-apart argument as IR operands: its objects as AttributesOf."""
    if isinstance(value, LocalObject):
        return AttributesOf(value.attributes, [_as_leaves(v) for v in value.attributes.values()], value.source)
    if isinstance(value, tuple):
        return rebuild(value, [_as_leaves(v) for v in value])
    return value


def lower_body(parsed, scope, namer, operands=None, structures=None, leaves=None, facts=None):
    """Lower a function's body: (params, ops, output, output location). The parameters
    become Vars, or, for an inlined call, the caller's `operands` by name. A parameter
    with a structure (see `lower`) is taken apart first; its items go in `leaves`."""
    tree, loc_of = parsed.tree, parsed.loc
    scope.tree = tree  # (which names it reads once only: see scope.check_iterator_use)
    args = tree.args
    if operands is None and (args.vararg is not None or args.kwarg is not None):
        raise UnsupportedSyntaxError("`*args` / `**kwargs` parameters of the differentiated function are not "
                                     "supported", loc_of(args.vararg or args.kwarg),
                                     hint="Name each parameter explicitly (a helper it calls may take them).")
    params = []
    unpacking = ExprLowering(scope, namer, loc_of, loc_of(tree))
    defaults = {} if operands is not None else {
        name: p.default for name, p in inspect.signature(parsed.fn).parameters.items()
        if p.default is not p.empty and type(p.default) in FUNCTION_KINDS}
    for i, a in enumerate(parameters(tree)):
        if operands is None:
            params.append(Var(a.id))
            scope.locals[a.id] = params[-1]
            fact = (facts or {}).get(a.id)
            if isinstance(fact, FunctionFact):  # `loss_fn=mse`: its calls are calls of that function
                scope.locals[a.id] = Const(fact.fn)
            elif fact is not None:  # what `isinstance` of it can decide now
                scope.facts[id(params[-1])] = facts[a.id]
            elif a.id in defaults:  # not knowing the function passed: its default, checked when it runs
                check = runtime.check_default_function
                unpacking.emit(Callee(CALL, check.__name__, check, check),
                               [params[-1], _function_const(defaults[a.id]), Const(a.id), Const(loc_of(a))],
                               hint="checked", node=a)
                unpacking.ops[-1].keep = True
                scope.locals[a.id] = _function_const(defaults[a.id])
            if a.id in (structures or {}):
                scope.locals[a.id] = _take_apart(params[-1], structures[a.id], a.id, unpacking, a)
                leaves[i] = _as_leaves(scope.locals[a.id])
        else:
            scope.locals[a.id] = operands[a.id]
    for a in (args.vararg, args.kwarg) if operands is not None else ():
        if a is not None:
            scope.locals[a.id] = operands[a.id]
    body = list(tree.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # docstring
    statements = BlockLowering(scope, namer, loc_of, loc_of(tree), tree)
    ops, (output, output_loc) = statements.tail(body)
    return params, unpacking.ops + ops, output, output_loc


class _BodyLowering:
    """Lowers the bodies the modules this one is built on inline: a call of the user's
    function (scope.FunctionScope.inline), of a local `def` or lambda (scope.LocalFunction),
    a comprehension over a run-time iterable as a loop, and the branches of `a if c else b`
    (expressions.py). They reach
    it as `scope.bodies`, so the import arrows all point down."""

    @staticmethod
    def function_body(parsed, scope, namer, operands):
        """(ops, output) of the user's function `parsed`, its parameters bound to `operands`."""
        _, ops, output, _ = lower_body(parsed, scope, namer, operands)
        return ops, output

    @staticmethod
    def local_function(tree, scope, namer, loc_of):
        """(ops, output) of a local `def` or lambda `tree`, its parameters bound in `scope`."""
        if isinstance(tree, gast.Lambda):
            body = ExprLowering(scope, namer, loc_of, loc_of(tree))
            value = body.materialize(body.value(tree.body), tree)
            return body.ops, value
        statements = BlockLowering(scope, namer, loc_of, loc_of(tree), tree)
        ops, (output, _) = statements.tail(list(tree.body))
        return ops, output

    @staticmethod
    def loop(loop, scope, namer, loc_of, stmt_loc):
        """The ops of the `for` statement `loop` (a comprehension's), lowered in `scope`."""
        ops, _ = BlockLowering(scope, namer, loc_of, stmt_loc, loop).loop(loop)
        return ops


    @staticmethod
    def join(scope, namer, loc_of, stmt_loc, cond, lower_then, lower_else, node):
        """The ops of an If on `cond` whose branches are what `lower_then` and `lower_else`
        lower (each returns its ops), joining what they bind as an `if` statement does
        (`a if c else b` binds its value to a hidden name in each)."""
        blocks = BlockLowering(scope, namer, loc_of, stmt_loc, node)
        lowering = ExprLowering(scope, namer, loc_of, stmt_loc)
        return blocks._join(lowering, cond, lower_then, lower_else, node, loc_of(node))


BODIES = _BodyLowering()
