"""The rule registry: adjoint templates keyed by callable, and the non-differentiable set.

A rule is a small Python function used as a *template*, never called:

    @adjoint(np.tanh, elementwise=True)
    def _(result, x):
        d[x] = d[result] * (1.0 - result * result)

Its first parameter is the op's result, the others bind to the op's arguments
exactly as the real function binds them. `d[v]` is the adjoint of `v`; assigning
`d[x] = ...` contributes to x's adjoint (the transform adds contributions up).
An `if` whose test only involves constant arguments (`axis is None`, `keepdims`,
`is_const(y) and y == 2`) or the static shape fact `is_scalar(d[result])` is
decided when the template is inlined, so the generated code holds one branch.
A test that depends on a run-time value takes the `else` branch: the last branch
of a template is its general form.
Other names resolve in the template's module (`np`, runtime helpers).
"""
import ast
import inspect
import textwrap

import gast

from ..errors import SctError
from ..ir import ByIdentity

_RULES = {}
_NONDIFFERENTIABLE = {}


class Rule:
    """A parsed adjoint template for one callable.

    elementwise: the op broadcasts its arguments like a ufunc; it accepts a cotangent
        that is only broadcast-compatible with its result, and the transform reduces
        each contribution back to its argument's shape (`unbroadcast`) unless the
        shapes are provably equal.
    exact_cotangent: (non-elementwise rules) whether the template needs `d[result]`
        with exactly the result's shape; reductions set it False.
    """

    def __init__(self, template, elementwise, exact_cotangent):
        self.template = template
        self.name = template.__qualname__
        self.elementwise = elementwise
        self.exact_cotangent = exact_cotangent and not elementwise
        self.signature = inspect.signature(template)
        self.namespace = template.__globals__
        source = textwrap.dedent(inspect.getsource(template))
        tree = gast.parse(source).body[0]
        self.body = [_AdjointRefs().visit(stmt) for stmt in tree.body]
        filename = inspect.getsourcefile(template)
        # Each `if` test, compiled once: the transform evaluates it on constant arguments.
        self.tests = {id(node): compile(ast.fix_missing_locations(ast.Expression(gast.gast_to_ast(node.test))),
                                        filename, "eval")
                      for stmt in self.body for node in gast.walk(stmt) if isinstance(node, gast.If)}


class _AdjointRefs(gast.NodeTransformer):
    """Rewrite `d[name]` to a Name `d[name]` (not writable by users) for template scopes."""

    def visit_Subscript(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == "d" and isinstance(node.slice, gast.Name):
            return gast.Name(f"d[{node.slice.id}]", node.ctx, None, None)
        return self.generic_visit(node)


def _key(fn):
    """Registry key of a callable or of a ('method'|'attr', name) pair."""
    if isinstance(fn, ByIdentity):  # (an unhashable callable a Callee holds)
        fn = fn.obj
    try:
        hash(fn)
        return fn
    except TypeError:
        return ("id", id(fn))


def adjoint(*fns, elementwise=False, exact_cotangent=True):
    """Register the decorated template as the reverse-mode rule of each of `fns`.

    `fns` are callables, or `method("name")` / `attribute("name")` for array methods
    and attributes. The same decorator serves sct's built-in rules and users' own.
    """
    if not fns:
        raise SctError("@sct.adjoint needs the function(s) the rule is for, e.g. @sct.adjoint(np.tanh)")

    def register(template):
        params = list(inspect.signature(template).parameters)
        if not params:
            raise SctError(f"adjoint template {template.__qualname__} needs at least a `result` parameter")
        rule = Rule(template, elementwise, exact_cotangent)
        for fn in fns:
            _RULES[_key(fn)] = rule
        return template

    return register


def nondifferentiable(*fns):
    """Declare that `fns` have no derivative worth propagating (comparisons, shapes, argmax...):
    their results carry no adjoint and their arguments receive none."""
    for fn in fns:
        _NONDIFFERENTIABLE[_key(fn)] = True
    return fns[0] if len(fns) == 1 else fns


def method(name):
    """Registry key for the array method `x.name(...)` (its template's first argument is `x`)."""
    return ("method", name)


def attribute(name):
    """Registry key for the array attribute `x.name`."""
    return ("attr", name)


def lookup(key):
    """The Rule for a registry key, or None."""
    return _RULES.get(_key(key))


def is_nondifferentiable(key):
    return _NONDIFFERENTIABLE.get(_key(key), False)
