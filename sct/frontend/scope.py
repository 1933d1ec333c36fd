"""Names while lowering: what each name denotes, and calls whose bodies are inlined.

Takes the Python function being lowered (its closure cells, globals and builtins) or,
for a local function or a comprehension, the enclosing scope. `lookup(name, node)`
gives what a name denotes: an operand, a `GlobalRef` or a static value. Every outside
name it resolves is recorded in `dependencies`, so the compiled code can be checked
to be current. `locals` holds the bindings the lowering changes as it goes, hidden
values of control flow included (keys such as "<break>", never a user's name).

A call of the user's own module-level function (`FunctionScope.inline`) or of a local
`def` or `lambda` (`LocalFunction.inline`) is inlined: its body is lowered in a scope
of its own, with the call's operands bound to its parameters. That body is lowered
by the statement and expression lowering, which is built on this module: the scope
holds it as `bodies`, handed in by `lower`, so this module never imports it.
"""
import builtins
import functools
import inspect
import os
import re

import gast

from .. import rules
from ..analysis.shapes import LIBRARY_PATHS, is_namedtuple_class
from ..errors import SctError, UnsupportedSyntaxError
from ..ir import AttributesOf, Const, DictOf, ListOf, Var
from .containers import OnePassItems
from .source import parse_function
from .static_values import BoundContainerMethod, GlobalRef, LocalObject, LocalPartial, bind_arguments, unpartial


# Keys of hidden values in a scope's bindings: not Python identifiers, so never a user's name.
BREAK, TRIPS, ITEM, RETURNED, RETURN_VALUE = "<break>", "<trips>", "<item>", "<returned>", "<value>"
BROKE = "<broke>"  # after a loop with `break` and `else:`, whether it broke
# Whether a `break`, `continue` or `return` on some path leaves the rest of the current loop
# iteration (or, outside loops, of the function): the statements after it run under `if not`.
LEAVING = "<leaving>"
COMPREHENSION_SUM = "<sum>"  # the running total of sum(... for ...) over a run-time iterable
COMPREHENSION_LIST = "<list>"  # the list [... for ...] over a run-time iterable builds
class _HiddenNames(dict):
    """Hidden keys -> the names they go by; any other hidden key ("<map item 0>") by its words."""

    def get(self, name, default=None):
        if name in self:
            return self[name]
        if isinstance(name, str) and name.startswith("<"):
            return re.sub(r"\W+", "_", name.strip("<>")).strip("_") or "hidden"
        return default


# The names they go by in the generated code (`broke`, `trips_1`...) and in errors.
HIDDEN_NAMES = _HiddenNames({BREAK: "broke", TRIPS: "trips", ITEM: "item", RETURNED: "returned",
                             COMPREHENSION_SUM: "total", COMPREHENSION_LIST: "items", RETURN_VALUE: "returning",
                             "<reduce>": "acc", LEAVING: "leaving"})


class ItemsByIndex:
    """A global list or tuple as a namespace of its items (`get(index)`), so that a
    dependency on the function kept at `ACTIVATIONS[0]` is checked like one on a global."""

    def __init__(self, items):
        self.items = items

    def get(self, index, default=None):
        try:
            return self.items[index]
        except (IndexError, TypeError):
            return default


class Unreadable:
    """What a name denotes when reading it would not mean what it means in Python."""

    def error(self, name, loc):
        raise NotImplementedError


class FunctionScope:
    """Names inside the user's function: SSA locals first, then closure, globals, builtins.

    Every non-local resolution is recorded in `dependencies` as (namespace, name,
    object) so that the cache can check the name still denotes the same object.
    `bodies` lowers the body of a function inlined here, or of a comprehension's loop
    (lower.BODIES): that lowering is built on this module, so it is handed in.
    """

    MISSING = object()

    def __init__(self, fn, loc_of, assigned=(), dependencies=None, inlining=(), caller=None, bodies=None):
        self.fn, self.loc_of = fn, loc_of
        self.bodies = bodies
        self.caller = caller  # the scope of the code this function's body is inlined into
        self.locals = {}
        self.inlining = tuple(inlining) + (fn,)  # the functions being lowered, outermost first
        # What is known of values, shared with the code this body is inlined into (a value
        # a helper returns keeps what it is: a view of the caller's array, say).
        self.views = getattr(caller, "views", {})  # Var -> the arrays whose memory it may share (aliasing.roots)
        self.appended = getattr(caller, "appended", set())  # Vars put in a list made at run time (`hs.append(h)`)
        # Vars that are one-pass iterators (zip(...), enumerate(...), map over arrays)
        self.one_pass = getattr(caller, "one_pass", set())
        # run-time lists standing for an iterator (map(f, X) over an array)
        self.iterator_lists = getattr(caller, "iterator_lists", set())
        # Vars that index by advanced indexing (aliasing.may_be_view)
        self.index_arrays = getattr(caller, "index_arrays", set())
        self.carried_from = {}  # a loop's carried Var or result -> the Var it started from
        self.iterating = []  # (Vars, name, loc) of each loop lowered around the code: what it iterates
        self.facts = {}  # id(parameter Var) -> its argument's shape fact, when specialized
        self.assigned = set(assigned)  # names Python treats as local: assigned somewhere
        self.dependencies = [] if dependencies is None else dependencies
        self.closure = {}
        if fn.__closure__:
            self.closure = dict(zip(fn.__code__.co_freevars, fn.__closure__))

    def inline(self, func, args, kwargs, node, namer, caller):
        """Lower a call to the user's own function `func` (a GlobalRef) in place: its body,
        with its parameters bound to the call's operands; returns (ops, output operand).
        Names it resolves become dependencies of the caller's compiled code too."""
        loc = self.loc_of(node)
        func, args, kwargs = unpartial(func, args, kwargs)
        parsed = parse_function(func.obj)
        bound = bind_arguments(func, args, kwargs, loc)
        bound.apply_defaults()
        # A `*args` parameter binds a tuple of operands, a `**kwargs` one a dict of them.
        kinds = {name: p.kind for name, p in bound.signature.parameters.items()}
        operands = {name: DictOf(v.keys(), v.values()) if kinds[name] is inspect.Parameter.VAR_KEYWORD
                    else as_operand(v) for name, v in bound.arguments.items()}
        scope = FunctionScope(func.obj, parsed.loc, assigned_names(parsed.tree), self.dependencies,
                              self.inlining, caller, self.bodies)
        scope.one_pass, scope.iterator_lists = self.one_pass, self.iterator_lists  # (a zip passed in stays one)
        for name, value in operands.items():
            check_iterator_use(value, name, parsed.tree, parsed.loc(parsed.tree))
        return self.bodies.function_body(parsed, scope, namer, operands)

    def recurses(self, obj):
        """True when calling `obj` here would recurse: it is being lowered (inlined) already."""
        return obj in self.inlining

    def _depend(self, namespace, name, obj):
        entry = (namespace, name, obj)
        if not any(e[0] is namespace and e[1] == name for e in self.dependencies):
            self.dependencies.append(entry)

    def lookup(self, name, node):
        if name in self.locals:
            value = self.locals[name]
            if isinstance(value, Unreadable):
                raise value.error(name, self.loc_of(node))
            return value
        if name in self.assigned:
            raise SctError(f"local variable {name!r} is used before it is assigned", self.loc_of(node),
                           hint=f"Python treats {name!r} as local because the function assigns it; "
                                f"assign it before this line, or rename the local if you meant the "
                                f"global {name!r}.")
        if name in self.closure:
            cell = self.closure[name]
            try:
                obj = cell.cell_contents
            except ValueError:
                raise SctError(f"{name!r} is used before it is assigned in the enclosing function",
                               self.loc_of(node),
                               hint=f"Assign {name!r} in the enclosing function before the gradient "
                                    f"is first called, or pass it as an argument.") from None
            self._depend(cell, None, obj)
            return GlobalRef(name, obj, obj)
        g = self.fn.__globals__
        if name in g:
            obj = g[name]
            self._depend(g, name, obj)
            return GlobalRef(name, obj, obj)
        b = builtins.__dict__
        if name in b:
            self._depend(g, name, self.MISSING)
            return GlobalRef(name, b[name], b[name])
        raise SctError(f"name {name!r} is not defined", self.loc_of(node),
                       hint="Define it at module level (sct resolves names when the gradient is "
                            "first called) or pass it as an argument.")


class NestedScope:
    """Names inside a local function: its parameters and locals, then (at the call) the
    enclosing function's bindings and everything that scope resolves."""

    def __init__(self, parent, bound, assigned, caller):
        self.parent, self.locals, self.assigned = parent, dict(bound), set(assigned)
        self.caller = caller  # the scope of the code calling it
        self.bodies = parent.bodies
        self.dependencies = parent.dependencies
        self.views = parent.views
        self.appended = parent.appended
        self.one_pass = parent.one_pass
        self.iterator_lists = parent.iterator_lists
        self.index_arrays = parent.index_arrays
        self.carried_from = parent.carried_from
        self.iterating = parent.iterating
        self.facts = parent.facts

    def lookup(self, name, node):
        if name in self.locals:
            value = self.locals[name]
            if isinstance(value, Unreadable):
                raise value.error(name, self.parent.loc_of(node))
            return value
        if name in self.assigned:
            raise SctError(f"local variable {name!r} is used before it is assigned", self.parent.loc_of(node),
                           hint=f"Assign {name!r} before this line.")
        return self.parent.lookup(name, node)

    def inline(self, *args, **kwargs):
        return self.parent.inline(*args, **kwargs)

    def recurses(self, obj):
        return self.parent.recurses(obj)


class LocalFunction:
    """A `def` or `lambda` inside the function being lowered. Not an IR value: each call
    is inlined, reading the enclosing scope's bindings at the call (as a Python closure
    reads its variables when it runs)."""

    def __init__(self, tree, scope, defaults):
        self.tree, self.scope, self.defaults = tree, scope, defaults

    inlining = False  # set while its body is being lowered: a call then would recurse

    def inline(self, args, kwargs, node, namer, loc_of, caller):
        tree = self.tree
        name = getattr(tree, "name", "<lambda>")
        if self.inlining:  # a local function has no global name for a run-time pullback pair
            raise UnsupportedSyntaxError(f"{name} calls itself (recursion); sct differentiates recursion "
                                         f"only in module-level functions", loc_of(node),
                                         hint=f"Define {name} at module level.")
        self.inlining = True
        try:
            return self._inline(args, kwargs, node, namer, loc_of, caller)
        finally:
            self.inlining = False

    def _inline(self, args, kwargs, node, namer, loc_of, caller):
        tree = self.tree
        name = getattr(tree, "name", "<lambda>")
        params = parameters(tree)
        if tree.args.vararg is not None or tree.args.kwarg is not None:
            raise UnsupportedSyntaxError("`*args` / `**kwargs` parameters are not supported yet",
                                         loc_of(tree.args.vararg or tree.args.kwarg),
                                         hint="Name each parameter explicitly.")
        bound = {}
        for i, p in enumerate(params):
            if i < len(args):
                bound[p.id] = args[i]
            elif p.id in kwargs:
                bound[p.id] = kwargs[p.id]
            elif p.id in self.defaults:
                bound[p.id] = self.defaults[p.id]
            else:
                raise SctError(f"{name}() missing argument {p.id!r}", loc_of(node),
                               hint="Pass every argument the local function takes.")
        if len(args) > len(params) or set(kwargs) - {p.id for p in params}:
            raise SctError(f"{name}() got unexpected arguments", loc_of(node),
                           hint="Pass the arguments the local function takes.")
        scope = NestedScope(self.scope, bound, assigned_names(tree) if not isinstance(tree, gast.Lambda)
                            else (), caller)
        scope.tree = tree
        for param, value in bound.items():
            check_iterator_use(value, param, tree, loc_of(node), scope)
        return scope.bodies.local_function(tree, scope, namer, loc_of)


def is_iterator_stand_in(value, scope=None):
    """Whether `value` stands for a Python iterator sct took apart (zip, enumerate, reversed
    or map of items known when lowering; map over an array, a run-time list)."""
    if isinstance(value, OnePassItems):
        return True
    lists = getattr(scope, "iterator_lists", ())
    return isinstance(value, Var) and value in lists


def check_iterator_use(value, name, tree, loc, scope=None):
    """A name bound to an iterator sct took apart may be read only where Python would use
    the iterator once: one read, outside any loop body, comprehension element or nested
    function (`for p in pairs`, `sum(... for p in pairs)`). Else Python's iterator would be
    used up after the first use while sct's items are not: refused."""
    if is_iterator_stand_in(value, scope) and (tree is None or not used_once(tree, name)):
        raise UnsupportedSyntaxError(
            f"{name!r} holds an iterator (zip, enumerate, reversed or map), which Python uses up at its first use, "
            f"and is used more than once here (or in a loop); sct takes the iterator apart and cannot follow that",
            loc, hint=f"Keep the items: `{name} = list(...)`, or use the iterator where it is made "
                      f"(`for a, b in zip(...)`).")


def refuse_stored_iterator(values, loc, scope=None):
    """An iterator sct took apart may not be put in a list, tuple, dict or object: read
    from there it could be used twice, where Python's would be used up."""
    for value in values:
        if is_iterator_stand_in(value, scope):
            raise UnsupportedSyntaxError(
                "an iterator (zip, enumerate, reversed or map) put in a container or an object is not supported: "
                "Python uses it up at its first use, and sct takes it apart", loc,
                hint="Keep its items instead: list(zip(...)).")


def used_once(tree, name):
    """Whether the function `tree` reads `name` at one place only, and there at most once per
    call: not in a loop's body or test, a comprehension's element, condition or inner
    `for`, or a nested function."""
    reads = []

    def visit(node, repeated):
        if isinstance(node, gast.Name) and node.id == name and isinstance(node.ctx, gast.Load):
            reads.append(repeated)
        if node is not tree and isinstance(node, (gast.FunctionDef, gast.Lambda, gast.AsyncFunctionDef)):
            for child in gast.iter_child_nodes(node):
                visit(child, True)
            return
        if isinstance(node, (gast.For, gast.AsyncFor)):
            visit(node.iter, repeated)
            for child in [node.target] + node.body + node.orelse:
                visit(child, True)
            return
        if isinstance(node, gast.While):
            for child in [node.test] + node.body + node.orelse:
                visit(child, True)
            return
        if isinstance(node, (gast.ListComp, gast.SetComp, gast.GeneratorExp, gast.DictComp)):
            first, *others = node.generators
            visit(first.iter, repeated)
            parts = [first.target] + first.ifs + [p for g in others for p in (g.target, g.iter, *g.ifs)]
            parts += [node.key, node.value] if isinstance(node, gast.DictComp) else [node.elt]
            for child in parts:
                visit(child, True)
            return
        for child in gast.iter_child_nodes(node):
            visit(child, repeated)

    for statement in tree.body if isinstance(tree, (gast.FunctionDef, gast.AsyncFunctionDef)) else [tree.body]:
        visit(statement, False)
    return len(reads) == 1 and not reads[0]


def assigned_names(tree):
    """Names the function body assigns (so Python makes them local), nested defs excluded."""
    names, pending = set(), list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            names.add(node.name)  # a local def binds its name; its own body is its own scope
            continue
        if isinstance(node, gast.Lambda):
            continue
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.add(node.id)
        pending.extend(gast.iter_child_nodes(node))
    return names


def parameters(tree):
    """A def's or lambda's parameters (gast Names): positional-only, positional, keyword-only."""
    args = tree.args
    return list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)


def inlinable(obj):
    """The user's own Python functions (not library code, not ones with a rule), also
    behind a functools.partial."""
    if isinstance(obj, functools.partial) and rules.lookup(obj) is None:
        obj = obj.func
    if not inspect.isfunction(obj) or rules.lookup(obj) is not None or rules.is_nondifferentiable(obj):
        return False
    try:
        path = os.path.realpath(inspect.getsourcefile(obj) or "")
    except TypeError:
        return False
    return bool(path) and not any(path.startswith(prefix) for prefix in LIBRARY_PATHS)


def as_operand(value):
    """A bound argument as an operand: operands stay, Python values (defaults) become Consts,
    a namedtuple value the object of its fields sct follows."""
    if isinstance(value, tuple) and not _is_operand_container(value):
        if is_namedtuple_class(type(value)):
            return LocalObject(type(value), {k: as_operand(v) for k, v in zip(type(value)._fields, value)})
        return Const(value)  # a tuple of Python values (a default such as `(1.0, 0.5)`)
    return value if isinstance(value, (Var, Const, tuple, LocalFunction, LocalObject, LocalPartial,
                                       BoundContainerMethod)) else Const(value)


def _is_operand_container(value):
    """A structured operand (a tuple, ListOf, DictOf... of operands), not a tuple of Python
    values (such as a default `(1.0, 0.5)`, or a namedtuple value)."""
    return isinstance(value, tuple) and not is_namedtuple_class(type(value)) and all(
        isinstance(v, (Var, Const, LocalFunction, LocalObject, LocalPartial, BoundContainerMethod)) or
        (isinstance(v, tuple) and _is_operand_container(v)) for v in value)
