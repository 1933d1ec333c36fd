"""Expressions: a gast expression -> ops in three-address form, and its operand.

Takes a scope (`lookup(name, node)`, and `inline` where the user's functions may be
inlined), a `Namer` and `loc_of(node)`. `ExprLowering.value(node)` appends one op
per operation to `.ops` (a nested expression's parts become temps) and returns the
operand: a Var, a Const, or a tuple, ListOf or DictOf of operands; `expr(node)` may
also give a static value (a GlobalRef, a LocalObject...). Guarantees: operators on
literals fold to a Const (comparisons do not: an `if` on one lowers both branches),
containers known when lowering resolve to their items (containers.py), calls of the
user's own functions and methods are inlined, `a if c else b` and `and`/`or` become
If ops joined as an `if` statement's branches are (what a branch changes besides its
value joins too), and a comprehension over a run-time iterable becomes a loop; both
are lowered by the block lowering the scope holds (`scope.bodies`: control_flow.py is
built on this module). A library call's `out=` array is written as by `out[...] =
f(...)` and np.add.at as a write; calls that change an argument in place otherwise, or
that reach the function's variables through its frame (eval, locals()...), are refused
at the call. The same ExprLowering lowers rule templates, with a different scope.
"""
import builtins
import contextlib
import dataclasses
import functools
import inspect
import operator
import re
import types

import gast
import numpy as np

from .. import runtime
from ..analysis.shapes import PYTHON_NUMBER, REDUCTIONS, is_namedtuple_class, is_object_class
from ..errors import SctError, UnsupportedSyntaxError
from ..ir import (ATTR, BINOP, BUILD, CALL, COMPARE, GETITEM, METHOD, UNARYOP, Callee, Const, DictOf, If, ListOf, Op,
                  ByIdentity, Region, Var, hashable_callee)
from . import containers
from .aliasing import (MUTATING_METHODS, makes_index_array, may_be_view, note_join, note_view, rebind_everywhere,
                       scope_chain)
from .scope import (COMPREHENSION_LIST, COMPREHENSION_SUM, HIDDEN_NAMES, ItemsByIndex, LocalFunction, NestedScope,
                    Unreadable, as_operand, inlinable, parameters, refuse_stored_iterator)
from .source import parse_function
from .static_values import (BoundContainerMethod, GlobalRef, LocalObject, LocalPartial, LocalSuper, bind_arguments,
                            unpartial)
from .targets import assign, write_attribute, write_item
from .unsupported_syntax import unsupported


# Python's operators: (what computes it, how it is spelled, the name its result is given).
BINOPS = {
    gast.Add: (operator.add, "+", "add"), gast.Sub: (operator.sub, "-", "sub"),
    gast.Mult: (operator.mul, "*", "mul"), gast.Div: (operator.truediv, "/", "div"),
    gast.FloorDiv: (operator.floordiv, "//", "floordiv"), gast.Mod: (operator.mod, "%", "mod"),
    gast.Pow: (operator.pow, "**", "power"), gast.MatMult: (operator.matmul, "@", "matmul"),
    gast.BitAnd: (operator.and_, "&", "bitand"), gast.BitOr: (operator.or_, "|", "bitor"),
    gast.BitXor: (operator.xor, "^", "bitxor"), gast.LShift: (operator.lshift, "<<", "lshift"),
    gast.RShift: (operator.rshift, ">>", "rshift"),
}
UNARYOPS = {
    gast.USub: (operator.neg, "-", "neg"), gast.UAdd: (operator.pos, "+", "pos"),
    gast.Invert: (operator.invert, "~", "invert"), gast.Not: (operator.not_, "not ", "negation"),
}
COMPAREOPS = {
    gast.Lt: (operator.lt, "<", "lt"), gast.LtE: (operator.le, "<=", "le"),
    gast.Gt: (operator.gt, ">", "gt"), gast.GtE: (operator.ge, ">=", "ge"),
    gast.Eq: (operator.eq, "==", "eq"), gast.NotEq: (operator.ne, "!=", "ne"),
    gast.Is: (operator.is_, "is", "same"), gast.IsNot: (operator.is_not, "is not", "not_same"),
}


class ExprLowering:
    """Lowers gast expressions into ops appended to `self.ops`.

    `scope.lookup(name, node)` returns a Var, a Const or a GlobalRef;
    `loc_of(node)` gives the source location to attach to ops.
    """

    def __init__(self, scope, namer, loc_of, stmt_loc=None):
        self.scope, self.namer, self.loc_of = scope, namer, loc_of
        self.ops = []
        self.stmt_loc = stmt_loc

    def emit(self, callee, args, kwargs=None, hint="t", node=None, loc=None):
        out = (kwargs or {}).get("out")
        if out is not None and not (isinstance(out, Const) and out.value is None):
            raise UnsupportedSyntaxError(
                f"{callee.spelling}(..., out=...) writes into an array it is given, which sct does not follow",
                self.loc_of(node) if loc is None else loc,
                hint="Assign the result instead: `y = np.exp(x)` (or `y[...] = np.exp(x)` to fill an "
                     "existing array, which sct differentiates).")
        if any(isinstance(a, LocalObject) for a in containers.flat(list(args) + list((kwargs or {}).values()))):
            if callee.obj is runtime.appended:
                raise UnsupportedSyntaxError("an object made in the function cannot be appended to a list "
                                             "built at run time", self.loc_of(node),
                                             hint="Make the list of objects once, before any loop "
                                                  "([Particle(...), Particle(...)]), or keep their values in "
                                                  "arrays.")
            raise UnsupportedSyntaxError(f"an object made in the function cannot be passed to {callee.spelling}",
                                         self.loc_of(node), hint="Pass its attributes instead (obj.W), or "
                                         "make it a method of the object's class, which sct inlines.")
        if any(isinstance(a, (LocalFunction, LocalPartial, BoundContainerMethod))
               for a in list(args) + list((kwargs or {}).values())):
            raise UnsupportedSyntaxError("a function defined inside the differentiated function can only be "
                                         "called, or passed to your own functions", self.loc_of(node),
                                         hint="Call it here, or define it at module level.")
        if callee.kind in (BINOP, UNARYOP) and callee.obj is not operator.not_ and not kwargs and all(
                isinstance(a, Const) and a.spelling is None and isinstance(a.value, _FOLDABLE_TYPES) for a in args):
            # `h / 6` of literals is a literal: no value to carry, tape or name in a loop. (Not a
            # comparison: an `if` on one still lowers both branches, so a name only the branch
            # not taken binds fails only where Python's would, when it runs.)
            try:
                return Const(callee.obj(*[a.value for a in args]))
            except Exception:  # (1 / 0): raised when it runs, as in Python
                pass
        result = Var(self.namer.fresh(hint), is_temp=True)
        self.ops.append(Op([result], callee, list(args), dict(kwargs or {}),
                           loc if loc is not None else self.loc_of(node), self.stmt_loc))
        if callee.kind == CALL and callee.obj in _ONE_PASS and hasattr(self.scope, "one_pass"):
            self.scope.one_pass.add(result)  # iterated once, forwards: a loop over it cannot run backwards
        views = getattr(self.scope, "views", None)
        index_arrays = getattr(self.scope, "index_arrays", set())
        if args and isinstance(args[0], Var) and may_be_view(self.ops[-1], index_arrays):
            note_view(views, result, [args[0]])  # the array whose memory it may be
        elif callee.kind == BUILD:  # a run-time list holding arrays shows writes into them
            note_view(views, result, args)
        if makes_index_array(self.ops[-1]):
            index_arrays.add(result)
        return result

    def expr_Lambda(self, node):
        return LocalFunction(node, self.scope, self.defaults(node))

    def defaults(self, tree):
        """A local function's default values, computed where it is defined, as Python does
        (`lambda u, k=k: ...` in a comprehension keeps each k)."""
        names = [p.id for p in tree.args.args][len(tree.args.args) - len(tree.args.defaults):]
        named = [(p.id, d) for p, d in zip(tree.args.kwonlyargs, tree.args.kw_defaults) if d is not None]
        return {name: self.value(d) for name, d in list(zip(names, tree.args.defaults)) + named}

    def value(self, node):
        """Lower `node` to an operand (Var, Const, or a tuple of operands)."""
        x = self.expr(node)
        if isinstance(x, GlobalRef):
            return x.as_const()
        return x

    def expr(self, node):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise unsupported(node, self.loc_of(node))
        return method(node)

    def expr_Constant(self, node):
        return Const(node.value)

    def expr_Name(self, node):
        return self.scope.lookup(node.id, node)

    def expr_Attribute(self, node):
        base = _as_ref(self.expr(node.value))
        if isinstance(base, GlobalRef):
            try:
                return base.attr(node.attr)
            except AttributeError:
                raise SctError(f"{base.spelling} has no attribute {node.attr!r}", self.loc_of(node),
                               hint="Check the spelling of the name.") from None
        if isinstance(base, LocalObject):
            return self._object_attribute(base, node.attr, node)
        if containers.is_static(base) and node.attr in BoundContainerMethod.READERS:
            return BoundContainerMethod(base, node.attr)  # `key=d.get`
        if containers.is_static(base):
            raise SctError(f"a {containers.kind_name(base)} has no attribute {node.attr!r} here",
                           self.loc_of(node), hint="Index the container, or make an array of it "
                                                   "with np.stack / np.array first.")
        return self.emit(Callee(ATTR, node.attr), [base], hint=_attr_hint(node.attr), node=node)

    def expr_BinOp(self, node):
        fn, symbol, hint = BINOPS[type(node.op)]
        left, right = containers.sequence_of(self.value(node.left)), containers.sequence_of(self.value(node.right))
        if containers.is_static(left) or containers.is_static(right):
            if fn is operator.add and containers.is_static(left) and containers.is_static(right):
                return containers.concatenate(left, right, self.loc_of(node))
            raise UnsupportedSyntaxError(f"`{symbol}` on a tuple, list or dict of computed values is not "
                                         f"supported", self.loc_of(node),
                                         hint="Make an array of it first (np.stack or np.array), or "
                                              "compute with its items.")
        return self.emit(Callee(BINOP, symbol, fn), [left, right], hint=hint, node=node)

    def expr_UnaryOp(self, node):
        fn, symbol, hint = UNARYOPS[type(node.op)]
        operand = self.value(node.operand)
        if isinstance(operand, Const) and operand.spelling is None and fn is operator.neg:
            return Const(-operand.value)  # a negative literal, as the user reads it
        return self.emit(Callee(UNARYOP, symbol, fn), [operand], hint=hint, node=node)

    def expr_Compare(self, node):
        return self._compare_chain(self.value(node.left), list(node.ops), list(node.comparators), node)

    def _compare_chain(self, left, ops, comparators, node):
        """`left op0 c0 op1 c1 ...`: Python's `(left op0 c0) and (c0 op1 c1) and ...`, each
        comparand evaluated once and only if the comparisons before it held (an `and`
        chain of If ops, so an array comparison in it raises where Python's would)."""
        fn, symbol, hint = COMPAREOPS.get(type(ops[0]), (None, None, None))
        if fn is None:
            raise UnsupportedSyntaxError("`in` / `not in` tests are not supported", self.loc_of(node),
                                         hint="Compare values with ==, <, > ... instead.")
        right = self.value(comparators[0])
        if symbol in ("is", "is not") and (isinstance(left, LocalObject) or isinstance(right, LocalObject)):
            first = Const(fn(left, right))  # an object made in the function is no other value
        else:
            first = self.emit(Callee(COMPARE, symbol, fn), [left, right], hint=hint, node=node)
        if len(ops) == 1:
            return first
        rest = _Lazy(lambda lowering: lowering._compare_chain(right, ops[1:], comparators[1:], node))
        return self._choice(first, rest, first, "both", node)

    def _elements(self, node):
        """The items of a tuple or list display, `*xs` of a container known here spread."""
        elts = []
        for e in node.elts:
            if not isinstance(e, gast.Starred):
                elts.append(self.value(e))
                continue
            items = containers.as_static(self.value(e.value))
            if items is None:
                raise UnsupportedSyntaxError("`*` of a value made at run time in a list or tuple is not supported",
                                             self.loc_of(e), hint="Spread a tuple or list made in the function, "
                                                                  "or use list(...) / np.concatenate.")
            elts.extend(containers.iteration_items(items))
        refuse_stored_iterator(elts, self.loc_of(node), self.scope)
        return tuple(elts)

    def expr_Tuple(self, node):
        elts = self._elements(node)
        if all(isinstance(e, Const) and e.spelling is None for e in elts):
            return Const(tuple(e.value for e in elts))
        return elts

    def expr_List(self, node):
        elts = self._elements(node)
        if elts and all(isinstance(e, Const) and e.spelling is None for e in elts):
            return Const([e.value for e in elts])
        return ListOf(elts)  # `[]` too: it may be appended to

    def expr_Dict(self, node):
        keys = []
        for k in node.keys:
            key = self.value(k) if k is not None else None
            if not (isinstance(key, Const) and key.spelling is None):
                raise UnsupportedSyntaxError("dict keys must be constants (and `**` unpacking is not "
                                             "supported)", self.loc_of(k if k is not None else node),
                                             hint="Use string or number literals as keys.")
            keys.append(key.value)
        values = [self.value(v) for v in node.values]
        refuse_stored_iterator(values, self.loc_of(node), self.scope)
        return DictOf(keys, values)

    def expr_ListComp(self, node):
        if len(node.generators) == 1 and not node.generators[0].is_async and \
                not self._over_known_items(node.generators[0]):
            return self._listed_loop(node)
        values = [value for _, value in self._comprehension(node, node.elt)]
        refuse_stored_iterator(values, self.loc_of(node), self.scope)
        return ListOf(values)

    def expr_GeneratorExp(self, node):  # consumed by sum(), np.stack() ...: a list of its values
        return self.expr_ListComp(node)

    def expr_DictComp(self, node):
        entries = self._comprehension(node, node.key, node.value)
        keys = [key for key, _ in entries]
        if not all(isinstance(k, Const) and k.spelling is None for k in keys):
            raise UnsupportedSyntaxError("dict comprehension keys must be constants", self.loc_of(node.key),
                                         hint="Iterate over constant keys, e.g. `for k in params`.")
        refuse_stored_iterator([value for _, value in entries], self.loc_of(node), self.scope)
        return DictOf([k.value for k in keys], [value for _, value in entries])

    def _comprehension(self, node, *parts):
        """A comprehension over a container known when lowering (or a constant range):
        [(part values...)] per item that its `if`s keep. Its variables live in a scope of
        its own, as in Python: a lambda made in it reads their last values."""
        loc = self.loc_of(node)
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise UnsupportedSyntaxError("only a comprehension with one `for` is supported", loc,
                                         hint="Nest the loops as statements instead.")
        generator = node.generators[0]
        iterable = self.value(generator.iter)
        items = containers.as_static(iterable)
        if items is None and isinstance(_constant(self.ops, iterable), range):
            items = tuple(Const(i) for i in _constant(self.ops, iterable))
        if items is None:
            raise UnsupportedSyntaxError("a comprehension over a computed array is not supported", loc,
                                         hint="Use vectorized NumPy operations, or a `for` loop.")
        names = [n.id for n in gast.walk(generator.target) if isinstance(n, gast.Name)]
        inner = NestedScope(self.scope, {}, names, None)
        body = ExprLowering(inner, self.namer, self.loc_of, self.stmt_loc)
        entries = []
        for item in containers.iteration_items(items):
            assign(generator.target, item, generator.target, body, inner, self.namer)
            tests = [_constant(body.ops, body.value(test)) for test in generator.ifs]
            if any(t is _NOT_CONSTANT for t in tests):
                raise UnsupportedSyntaxError("a comprehension's `if` must be decided by constants", loc,
                                             hint="Compute every item and select with np.where.")
            if all(tests):
                values = [body.value(part) for part in parts]
                entries.append(values[0] if len(parts) == 1 else tuple(values))
        self.ops.extend(body.ops)
        return [(None, e) for e in entries] if len(parts) == 1 else entries

    def _over_known_items(self, generator):
        """Whether a comprehension's `for` goes over a container known when lowering or a
        constant range (then it is unrolled), not over a run-time value."""
        probe = ExprLowering(self.scope, self.namer, self.loc_of, self.stmt_loc)  # its ops are dropped
        iterable = probe.value(generator.iter)
        return containers.as_static(iterable) is not None or isinstance(_constant(probe.ops, iterable), range)

    def _summed_loop(self, comprehension, start):
        """`sum(elt for target in xs if c)` over a run-time iterable: the loop
        `total = start; for target in xs: total = total + (elt if c else 0)`."""
        value = comprehension.elt
        for test in reversed(comprehension.generators[0].ifs):
            value = gast.IfExp(test, value, gast.Constant(0, None))
        add = gast.BinOp(gast.Name(COMPREHENSION_SUM, gast.Load(), None, None), gast.Add(), value)
        total = gast.Name(COMPREHENSION_SUM, gast.Store(), None, None)
        return self._comprehension_loop(comprehension, COMPREHENSION_SUM, start, [gast.Assign([total], add, None)])

    def _listed_loop(self, comprehension):
        """`[elt for target in xs if c]` over a run-time iterable (an array's rows): the loop
        `items = []; for target in xs: if c: items.append(elt)`, a list made at run time."""
        append = gast.Expr(gast.Call(gast.Attribute(gast.Name(COMPREHENSION_LIST, gast.Load(), None, None), "append",
                                                    gast.Load()), [comprehension.elt], []))
        body = [append]
        for test in reversed(comprehension.generators[0].ifs):
            body = [gast.If(test, body, [])]
        return self._comprehension_loop(comprehension, COMPREHENSION_LIST, ListOf(()), body)

    def _comprehension_loop(self, comprehension, hidden, start, body):
        """A one-`for` comprehension over a run-time iterable as a loop whose `body`
        updates the hidden name `hidden`, starting from `start`; its final value. The
        comprehension's names stay inside it, as in Python."""
        generator = comprehension.generators[0]
        loop = gast.For(generator.target, generator.iter, body, [], None)
        for node in gast.walk(loop):  # one position for the nodes made here: the comprehension's
            if not hasattr(node, "lineno") and isinstance(node, (gast.stmt, gast.expr)):
                gast.copy_location(node, comprehension)
                node.end_lineno, node.end_col_offset = comprehension.end_lineno, comprehension.end_col_offset
        names = [n.id for n in gast.walk(generator.target) if isinstance(n, gast.Name)] + [hidden]
        outer = {name: self.scope.locals[name] for name in names if name in self.scope.locals}
        self.scope.locals[hidden] = start
        self.ops.extend(self.scope.bodies.loop(loop, self.scope, self.namer, self.loc_of, self.stmt_loc))
        result = self.scope.locals[hidden]
        for name in names:
            self.scope.locals.pop(name, None)
        self.scope.locals.update(outer)
        return result

    def expr_JoinedStr(self, node):
        """An f-string (a dict key such as f"W{i}"): constant parts joined with format()s."""
        text = Const("")
        for part in node.values:
            if isinstance(part, gast.FormattedValue):
                value = self.value(part.value)
                convert = _CONVERSIONS.get(part.conversion)
                spec = self.value(part.format_spec) if part.format_spec is not None else Const("")
                known, known_spec = _static_python_value(value), _static_python_value(spec)
                if known is not _NOT_CONSTANT and known_spec is not _NOT_CONSTANT and \
                        isinstance(known, (int, float, str, bool, type(None))):  # f"W{i}" of a constant i
                    part = Const(format(convert(known) if convert is not None else known, known_spec))
                    text = part if isinstance(text, Const) and text.value == "" else \
                        self.emit(Callee(BINOP, "+", operator.add), [text, part], hint="text", node=node)
                    continue
                if convert is not None:
                    value = self.emit(Callee(CALL, convert.__name__, convert, convert), [value], hint="text",
                                      node=part)
                part = self.emit(Callee(CALL, "format", format, format), [value, spec], hint="text", node=part)
            else:
                part = self.value(part)
            text = part if isinstance(text, Const) and text.value == "" else \
                self.emit(Callee(BINOP, "+", operator.add), [text, part], hint="text", node=node)
        return text

    def expr_Slice(self, node):
        parts = [self.value(p) if p is not None else Const(None) for p in (node.lower, node.upper, node.step)]
        if all(isinstance(p, Const) and p.spelling is None for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return self.emit(Callee(CALL, "slice", slice, slice), parts, hint="slice", node=node)

    def expr_Subscript(self, node):
        base = self.expr(node.value)
        index = self.value(node.slice)
        if isinstance(base, LocalObject) and not base.is_namedtuple:  # `data[i]`: its class's __getitem__
            return self._call_method(base, "__getitem__", [index], {}, node)[0]
        if isinstance(base, GlobalRef) and type(base.obj) in (list, tuple, dict) and isinstance(index, Const) \
                and index.spelling is None:
            item = self._global_item(base, index.value)
            if item is not None:  # `ACTIVATIONS[0](x)`: a function kept in a global list or dict
                return item
        base = containers.sequence_of(self.value_of(base))
        if containers.is_static(base) and isinstance(index, Const) and index.spelling is None:
            return containers.item(base, index.value, self.loc_of(node))
        base = self.materialize(base, node.value)  # a computed index: the container at run time
        return self.emit(Callee(GETITEM, "[]", operator.getitem), [base, index],
                         hint=_subscript_hint(base), node=node)

    def call_arguments(self, node):
        """The call's (positional operands, keyword operands), with `*xs` and `**d` of
        containers known when lowering spread into them."""
        args, kwargs = [], {}
        for a in node.args:
            if not isinstance(a, gast.Starred):
                args.append(self.value(a))
                continue
            items = containers.as_static(self.value(a.value))
            if items is None:
                raise UnsupportedSyntaxError("`*` of a computed array in a call is not supported", self.loc_of(a),
                                             hint="Spread a tuple or list, or index the array.")
            args.extend(containers.iteration_items(items))
        for k in node.keywords:
            if k.arg is not None:
                kwargs[k.arg] = self.value(k.value)
                continue
            entries = containers.as_static(self.value(k.value))
            if not isinstance(entries, DictOf) or not all(isinstance(key, str) for key in entries.keys):
                raise UnsupportedSyntaxError("`**kwargs` in a call needs a dict with string keys known here",
                                             self.loc_of(k.value),
                                             hint="Spread a dict built in the function or passed in.")
            kwargs.update(zip(entries.keys, entries))
        return args, kwargs

    def expr_Call(self, node):
        if isinstance(node.func, gast.Attribute):
            base = _as_ref(self.expr(node.func.value))
            if isinstance(base, LocalObject):
                if node.func.attr in base.attributes:  # a function kept as an attribute
                    return self._call(base.attributes[node.func.attr], node)
                args, kwargs = self.call_arguments(node)
                if base.is_namedtuple and node.func.attr in ("_replace", "_asdict"):
                    return self._namedtuple_method(base, node.func.attr, args, kwargs, node)
                return self._call_method(base, node.func.attr, args, kwargs, node)[0]
            if isinstance(base, LocalSuper):  # `super().__init__(W)`: the next class's method
                args, kwargs = self.call_arguments(node)
                return self._call_method(base.obj, node.func.attr, args, kwargs, node, after=base.cls)[0]
            if containers.is_static(base):
                args, kwargs = self.call_arguments(node)
                if kwargs and not (node.func.attr == "update" and isinstance(base, DictOf)):
                    raise UnsupportedSyntaxError("keyword arguments to a container method are not supported",
                                                 self.loc_of(node), hint="Pass them by position.")
                if kwargs:  # d.update(other, k=v): the other's items, then the keywords'
                    args = args + [DictOf(kwargs.keys(), kwargs.values())]
                stored = {"append": args[:1], "insert": args[1:], "setdefault": args[1:]}.get(node.func.attr, [])
                refuse_stored_iterator(stored, self.loc_of(node), self.scope)  # (update, extend use theirs up)
                result, changed = containers.method(base, node.func.attr, args, self.loc_of(node))
                if changed is not None:  # `xs.append(x)`: every name for this list now sees the new one
                    rebind_everywhere(self.scope, base, changed)
                return result
            if isinstance(base, Var) and node.func.attr == "append" and len(node.args) == 1 and not node.keywords:
                # A list made at run time (carried through a loop): `xs = appended(xs, x)`, a new
                # list; every name for the old one now denotes the new one, as in Python.
                item = self.value(node.args[0])
                refuse_stored_iterator([item], self.loc_of(node), self.scope)
                longer = self.emit(Callee(CALL, "appended", runtime.appended, runtime.appended),
                                   [base, item], hint=base.name, node=node)
                # A later write into it, or `+=` on it, would change the list's item: here and in
                # the functions this one is inlined into (`push(hs, y)` then `y[0] = v`).
                for s in scope_chain(self.scope):
                    getattr(s, "appended", set()).update(v for v in containers.flat([item]) if isinstance(v, Var))
                rebind_everywhere(self.scope, base, longer)
                return Const(None)
            if isinstance(base, Var) and node.func.attr == "fill" and len(node.args) == 1 and not node.keywords:
                # `a.fill(v)` writes v into every entry of a: `a[...] = v`
                target = gast.Subscript(node.func.value, gast.Constant(Ellipsis, None), gast.Store())
                gast.copy_location(target, node.func.value)
                write_item(target, self.value(node.args[0]), self, self.scope, self.namer)
                return Const(None)
            if not isinstance(base, GlobalRef):
                if node.func.attr in MUTATING_METHODS:
                    raise UnsupportedSyntaxError(
                        f"`.{node.func.attr}(...)` changes a value in place, which sct cannot follow here",
                        self.loc_of(node), hint="Build lists before loops and branches ([] then .append at "
                        "the same level), or write into an array: `y = np.zeros(n)` then `y[i] = ...`.")
                args, kwargs = self.call_arguments(node)
                return self._library_call(Callee(METHOD, node.func.attr), [base] + args, kwargs, node.func.attr, node)
        return self._call(self.expr(node.func), node)

    def _call(self, func, node):
        """The call `node` of the lowered callee `func`."""
        if isinstance(func, GlobalRef) and func.obj is sum and 1 <= len(node.args) <= 2 and not node.keywords \
                and isinstance(node.args[0], (gast.GeneratorExp, gast.ListComp)) and \
                len(node.args[0].generators) == 1 and not self._over_known_items(node.args[0].generators[0]):
            start = self.value(node.args[1]) if len(node.args) == 2 else Const(0)
            return self._summed_loop(node.args[0], start)
        args, kwargs = self.call_arguments(node)
        return self._call_with(func, args, kwargs, node)

    def _call_with(self, func, args, kwargs, node):
        """A call of the lowered callee `func` with operands `args` and `kwargs`."""
        if isinstance(func, LocalObject):  # `model(x)`: its class's __call__
            return self._call_method(func, "__call__", args, kwargs, node)[0]
        if isinstance(func, LocalPartial):
            return self._call_with(func.func, func.args + list(args), {**func.kwargs, **kwargs}, node)
        if isinstance(func, BoundContainerMethod):
            if kwargs:
                raise UnsupportedSyntaxError("keyword arguments to a container method are not supported",
                                             self.loc_of(node), hint="Pass them by position.")
            return containers.method(func.container, func.name, list(args), self.loc_of(node))[0]
        if isinstance(func, LocalSuper):
            raise UnsupportedSyntaxError("calling super() itself is not supported", self.loc_of(node),
                                         hint="Call one of its methods: super().__init__(...).")
        if isinstance(func, Const) and callable(func.value):  # a function passed as an argument or default
            if func.spelling is not None:
                func = GlobalRef(func.spelling, func.value, func.root_obj)
            else:  # bound in the generated code under its own name
                func = GlobalRef(getattr(func.value, "__name__", "function"), func.value, func.value)
        if isinstance(func, LocalFunction):
            ops, output = func.inline(args, kwargs, node, self.namer, self.loc_of, self.scope)
            self.ops.extend(ops)
            return output
        if not isinstance(func, GlobalRef):
            raise UnsupportedSyntaxError("calling a computed value is not supported yet", self.loc_of(node),
                                         hint="Call functions by their module-level name (e.g. np.tanh(x)), "
                                              "a local def or lambda, or a method.")
        if not callable(func.obj):
            raise SctError(f"{func.spelling} is not callable (it is a {type(func.obj).__name__})",
                           self.loc_of(node), hint="Check the name being called.")
        if isinstance(hashable_callee(func.obj), ByIdentity) and inlinable(getattr(type(func.obj), "__call__", None)):
            raise UnsupportedSyntaxError(
                f"calling {func.spelling}, a {type(func.obj).__name__} object sct did not take apart, is not "
                f"supported", self.loc_of(node),
                hint="Pass the object as an argument (sct takes objects passed in apart and inlines their "
                     "__call__), or call a function.")
        refuse_frame_access(func, args, self.loc_of(node))
        if func.obj in (getattr, setattr, delattr) and not kwargs:
            return self._attribute_builtin(func.obj, args, node)
        if func.obj is functools.partial and args and _is_callee(args[0]):
            return LocalPartial(args[0], list(args[1:]), kwargs)  # made here: it may hold computed values
        if func.obj is super:
            return self._super(args, node)
        if _one_of(func.obj, REDUCTIONS) and args and type(args[0]) in (tuple, ListOf) and \
                any(isinstance(v, Var) for v in containers.flat([args[0]])):
            # np.sum([a, b]) reduces the array NumPy makes of the list: make it so, with np.array's rule
            array = self.emit(Callee(CALL, "np.array", np.array, np), [args[0]], hint="array", node=node)
            args = [array] + list(args[1:])
        if func.obj is reversed and len(args) == 1 and not kwargs and isinstance(args[0], Var) and not any(
                args[0] in op.results and op.callee.obj is range for op in self.ops if isinstance(op, Op)):
            # reversed(c) of an array or a run-time list visits what c[::-1] does, and c[::-1]
            # can be differentiated (and looped over, and back) like any slice
            return self.emit(Callee(GETITEM, "[]", operator.getitem), [args[0], Const(slice(None, None, -1))],
                             hint="reversed", node=node)
        if func.obj in (max, min) and (kwargs or len(args) != 2):
            return self._extreme(func, args, kwargs, node)
        if func.obj is object.__setattr__ and len(args) == 3 and isinstance(args[0], LocalObject) and not kwargs:
            # `object.__setattr__(self, "w", v)`, as a frozen dataclass's __post_init__ sets a field
            name = _static_python_value(args[1])
            if not isinstance(name, str):
                raise UnsupportedSyntaxError("object.__setattr__ with a computed attribute name is not supported",
                                             self.loc_of(node), hint="Name the attribute with a string constant.")
            refuse_stored_iterator([args[2]], self.loc_of(node), self.scope)
            rebind_everywhere(self.scope, args[0], args[0].with_attribute(name, args[2]))
            return Const(None)
        if func.obj is dataclasses.replace and args and isinstance(args[0], LocalObject) and len(args) == 1 \
                and dataclasses.is_dataclass(args[0].cls):
            # a new object made by the class from the old one's fields and the changes, as Python's
            obj = args[0]
            fields = {f.name: obj.attributes[f.name] for f in dataclasses.fields(obj.cls)
                      if f.init and f.name in obj.attributes}
            return self._construct(obj.cls, [], {**fields, **kwargs}, node)
        if inspect.ismethod(func.obj) and is_namedtuple_class(func.obj.__self__) and \
                func.obj.__func__ is getattr(func.obj.__self__, "_make").__func__ and len(args) == 1 and not kwargs:
            items = containers.as_static(args[0])  # Point._make([a, b])
            if items is None:
                raise UnsupportedSyntaxError(f"{func.spelling}() of a value made at run time is not supported",
                                             self.loc_of(node), hint="Pass a list or tuple made in the function.")
            return self._construct(func.obj.__self__, containers.iteration_items(items), {}, node)
        if inspect.ismethod(func.obj) and inspect.isclass(func.obj.__self__) and inlinable(func.obj.__func__):
            # `Layer.from_weights(W)`: a classmethod, inlined with the class as its first argument
            cls = func.obj.__self__
            method = GlobalRef(f"{cls.__name__}.{func.obj.__name__}", func.obj.__func__, func.obj.__func__)
            return self._call_with(method, [_class_const(cls)] + list(args), kwargs, node)
        if func.obj is len and len(args) == 1 and not kwargs and isinstance(args[0], LocalObject):
            obj = args[0]
            if obj.is_namedtuple:
                return Const(len(obj.attributes))
            if inspect.getattr_static(obj.cls, "__len__", None) is None:
                raise SctError(f"object of type {obj.cls.__name__!r} has no len()", self.loc_of(node),
                               hint=f"Define __len__ in {obj.cls.__name__}, or take the len of an attribute.")
            return self._call_method(obj, "__len__", [], {}, node)[0]
        if func.obj is map and len(args) >= 2 and not kwargs:
            return self._map(args[0], args[1:], node)
        if func.obj is functools.reduce and len(args) in (2, 3) and not kwargs:
            return self._reduce(args[0], args[1], args[2] if len(args) == 3 else None, node)
        if func.obj is sorted:
            return self._sorted(args, kwargs, node)
        if func.obj is dict:
            return self._dict(args, kwargs, node)
        if func.obj is isinstance and len(args) == 2 and not kwargs:
            known = self._static_isinstance(*args)
            if known is not None:
                return known
        if func.obj in _CONTAINER_BUILTINS:
            args = [containers.sequence_of(a) for a in args]
        if func.obj in _CONTAINER_BUILTINS and any(containers.is_static(a) for a in args) and (
                not kwargs or (func.obj in (enumerate, sum) and set(kwargs) == {"start"} and len(args) == 1)):
            return self._container_builtin(func.obj, args + list(kwargs.values()), node)
        if func.obj is types.SimpleNamespace and not args:
            refuse_stored_iterator(kwargs.values(), self.loc_of(node), self.scope)
            return LocalObject(types.SimpleNamespace, kwargs)
        if isinstance(func.obj, type) and is_object_class(func.obj):
            return self._construct(func.obj, args, kwargs, node)
        inline = getattr(self.scope, "inline", None)
        if inline is not None and inlinable(func.obj):
            if self.scope.recurses(unpartial(func, args, kwargs)[0].obj):
                return self._recursive_call(func, args, kwargs, node)
            ops, output = inline(func, args, kwargs, node, self.namer, self.scope)
            self.ops.extend(ops)
            return output
        return self._library_call(Callee(CALL, func.spelling, hashable_callee(func.obj), func.root_obj), list(args),
                                  kwargs, func.spelling.split(".")[-1], node)

    def _attribute_builtin(self, fn, args, node):
        """getattr(obj, "name"[, default]) as `obj.name`, setattr(obj, "name", v) as `obj.name
        = v`; with a name made at run time, or delattr, refused: sct follows attributes by
        name while lowering."""
        loc = self.loc_of(node)
        name = _static_python_value(args[1]) if len(args) >= 2 else None
        arity = (fn is getattr and len(args) in (2, 3)) or (fn is setattr and len(args) == 3)
        if fn is delattr or not arity or not isinstance(name, str) or not name.isidentifier():
            what = "delattr()" if fn is delattr else f"{fn.__name__}() with an attribute name made at run time"
            raise UnsupportedSyntaxError(f"{what} is not supported: sct follows attributes by their names in the "
                                         f"source", loc, hint="Write the attribute itself (`obj.w`, `obj.w = v`), or "
                                         "keep the values in a dict indexed by the name.")
        obj = args[0]
        if fn is setattr:
            target = node.args[0] if node.args else None
            if not isinstance(target, gast.Name):
                raise UnsupportedSyntaxError("setattr() of something other than a name is not supported", loc,
                                             hint="Name the object first, then write `obj.w = v`.")
            write_attribute(gast.copy_location(gast.Attribute(target, name, gast.Store()), node), args[2], self,
                            self.scope)
            return Const(None)
        if isinstance(obj, LocalObject):
            if len(args) == 3 and name not in obj.attributes and \
                    inspect.getattr_static(obj.cls, name, _MISSING) is _MISSING:
                return args[2]  # (known not to have it)
            return self._object_attribute(obj, name, node)
        if isinstance(obj, Const) and obj.spelling is not None:  # a module or a global object
            ref = GlobalRef(obj.spelling, obj.value, obj.root_obj)
            if len(args) == 3 and not hasattr(obj.value, name):
                return args[2]
            try:
                return ref.attr(name)
            except AttributeError:
                raise SctError(f"{obj.spelling} has no attribute {name!r}", loc, hint="Check the name.") from None
        if isinstance(obj, Var) and len(args) == 2:
            return self.emit(Callee(ATTR, name), [obj], hint=_attr_hint(name), node=node)
        raise UnsupportedSyntaxError(f"{fn.__name__}() of this value is not supported", loc,
                                     hint=f"Write the attribute itself: `x.{name}`.")

    def _added_at(self, ufunc, callee, args, node):
        """`np.add.at(x, index, v)` (or np.subtract.at), which adds v into x in place, once per
        occurrence of an index: the write `x[...] = added_at(x, index, ±v)`, a new array."""
        array = node.args[0] if node.args and not any(isinstance(a, gast.Starred) for a in node.args) else None
        if not isinstance(array, gast.Name) or not isinstance(args[0], Var):
            raise UnsupportedSyntaxError(f"{callee.spelling}(...) must name an array of the function here", self.loc_of(node),
                                         hint=f"Name the array first: `y = ...` then `{callee.spelling}(y, index, v)`.")
        values = args[2]
        if ufunc is np.subtract:
            values = self.emit(Callee(UNARYOP, "-", operator.neg), [values], hint="neg", node=node)
        helper = runtime.added_at
        value = self.emit(Callee(CALL, helper.__name__, helper, helper), [args[0], args[1], values],
                          hint=array.id, node=node)
        target = gast.copy_location(gast.Subscript(array, gast.Constant(Ellipsis, None), gast.Store()), node)
        write_item(target, value, self, self.scope, self.namer)
        return Const(None)

    def _library_call(self, callee, args, kwargs, hint, node):
        """A call of library code (a function, or a method: `args[0]` is the object). Its
        `out=` array, by keyword or position, is written as by `out[...] = f(...)`: the
        call computes a new value, then the write makes `out` (under every name for it)
        that value, through the functional writes that keep the caller's arrays unchanged
        and refuse what would also change another name's memory. The call's value is the
        array written, as NumPy returns `out`."""
        ufunc = getattr(callee.obj, "__self__", None) if callee.kind == CALL else None
        if (ufunc is np.add or ufunc is np.subtract) and getattr(callee.obj, "__name__", "") == "at" and len(args) == 3 \
                and not kwargs:
            return self._added_at(ufunc, callee, args, node)
        position, operand = _out_argument(callee, args, kwargs)
        if operand is None:
            refuse_in_place_call(callee, args, self.loc_of(node))
            return self.emit(callee, args, kwargs, hint=hint, node=node)
        loc = self.loc_of(node)
        items = list(operand) if containers.is_static(operand) else [operand]
        if all(isinstance(o, Const) and o.value is None for o in items):  # out=None, out=(None,): as without
            if position is None:
                kwargs = {k: v for k, v in kwargs.items() if k != "out"}
            elif isinstance(callee.obj, np.ufunc):  # (a ufunc's outputs come last)
                args = list(args)[:position]
            return self.emit(callee, args, kwargs, hint=hint, node=node)
        args, kwargs = list(args), dict(kwargs)
        if position is None:
            kwargs.pop("out")
        else:  # the positional arguments after it by their names
            later = _parameter_names(callee)[position + 1:len(args)]
            if len(later) < len(args) - position - 1:
                raise UnsupportedSyntaxError("`out=` given by position before other arguments is not supported here",
                                             loc, hint="Pass `out=` by keyword.")
            kwargs.update(zip(later, args[position + 1:]))
            args = args[:position]
        what = callee.spelling if callee.kind == CALL else f".{callee.spelling}()"
        if len(items) != 1:
            raise UnsupportedSyntaxError(f"`out=` with several arrays (for {what}, which has several outputs) is not "
                                         f"supported", loc,
                                         hint="Assign the outputs instead: `a, b = np.divmod(x, y)`.")
        if "where" in kwargs:
            raise UnsupportedSyntaxError(f"`out=` with `where=` (for {what}) is not supported", loc,
                                         hint="Write `out = np.where(mask, f(x), out)` instead.")
        name = _out_name(node, position, callee.kind == METHOD)
        if name is None or not isinstance(items[0], Var):
            raise UnsupportedSyntaxError(f"`out=` of {what} must name an array of the function here (`out=y`)",
                                         loc, hint="Assign the result instead: `y[...] = f(x)` writes into y, "
                                                   "`y[1:] = f(x)` into part of it.")
        value = self.emit(callee, args, kwargs, hint=hint, node=node)
        check = runtime.check_out
        self.emit(Callee(CALL, check.__name__, check, check), [items[0], value, Const(what), Const(loc)],
                  hint="checked", node=node)
        self.ops[-1].keep = True
        target = gast.copy_location(gast.Subscript(gast.copy_location(gast.Name(name, gast.Load(), None, None),
                                                                      node), gast.Constant(Ellipsis, None),
                                                   gast.Store()), node)
        write_item(target, value, self, self.scope, self.namer)
        return self.scope.lookup(name, node)

    def _extreme(self, func, args, kwargs, node):
        """Python's `max`/`min` but for two plain arguments (which have rules): of several
        arguments or a container known here, folded pairwise (with `key=`, each item's key
        computed once, and the first of equal ones kept, as Python does); of a run-time
        list, tuple or array (`min(x.shape)`, `max(losses)`), the item at the index
        `extreme_index` finds, whose read is differentiated like any item read."""
        loc, name, largest = self.loc_of(node), func.spelling, func.obj is max
        unexpected = sorted(set(kwargs) - {"key", "default"})
        if unexpected:
            raise SctError(f"{name}() got an unexpected keyword argument {unexpected[0]!r}", loc,
                           hint=f"{name}() takes an iterable or several arguments, and key= or default=.")
        key, default = kwargs.get("key"), kwargs.get("default")
        if isinstance(key, Const) and key.value is None:
            key = None
        if not args or (len(args) > 1 and default is not None):
            raise SctError(f"{name}() takes an iterable, or several arguments without default=", loc,
                           hint=f"Call {name}(xs), {name}(xs, default=d) or {name}(a, b, ...).")
        items = args if len(args) > 1 else containers.as_static(args[0])
        if items is not None:
            items = list(items) if len(args) > 1 else containers.iteration_items(items)
            if not items:
                if default is None:
                    raise SctError(f"{name}() of an empty sequence", loc, hint="Pass at least one item, or default=.")
                return default
            if key is None and all(isinstance(x, Const) and x.spelling is None for x in items):
                return Const(func.obj(x.value for x in items))  # min(3, 4), min of a known shape
            best = items[0]
            best_key = self._call_with(key, [best], {}, node) if key is not None else None
            for x in items[1:]:
                if key is None:
                    best = self.emit(Callee(CALL, name, func.obj, func.root_obj), [best, x], hint=name, node=node)
                    continue
                x_key = self._call_with(key, [x], {}, node)
                fn, symbol = (operator.gt, ">") if largest else (operator.lt, "<")
                beats = self.emit(Callee(COMPARE, symbol, fn), [x_key, best_key], hint="beats", node=node)
                best = self._choice(beats, x, best, name, node)
                best_key = self._choice(beats, x_key, best_key, "key", node)
            return best
        if default is not None:
            raise UnsupportedSyntaxError(f"{name}(..., default=) of a list made at run time is not supported", loc,
                                         hint=f"Test `len(xs)` first and call {name}(xs) when it is not empty.")
        xs = self.materialize(self.value_of(args[0]), node)
        keys = xs if key is None else self._map(key, [xs], node)  # each item's key, computed once
        index = self._emit_helper(runtime.extreme_index, [keys, Const(largest)], node, "index")
        return self.emit(Callee(GETITEM, "[]", operator.getitem), [xs, index], hint=name, node=node)

    def _map(self, fn, iterables, node):
        """`map(fn, *iterables)`: over containers known here, the list of fn's calls on their
        items, in order (zip of a list and an array pairs them as zip does); over run-time
        iterables, the list `[fn(*items) for items in zip(...)]` a loop builds."""
        if any(containers.as_static(it) is not None for it in iterables):
            items = containers.as_static(self._container_builtin(zip, list(iterables), node)) \
                if len(iterables) > 1 else containers.iteration_items(containers.as_static(iterables[0]))
            parts = [containers.iteration_items(p) if len(iterables) > 1 else [p] for p in items]
            return containers.OnePassItems((self._call_with(fn, list(p), {}, node) for p in parts), map)
        with self._hidden(node, fn=fn, zip=GlobalRef("zip", zip, zip),
                          **{f"iterable {k}": self.materialize(self.value_of(it), node)
                             for k, it in enumerate(iterables)}) as hidden:
            names = [f"<map item {k}>" for k in range(len(iterables))]
            elt = gast.Call(hidden("fn"), [gast.Name(n, gast.Load(), None, None) for n in names], [])
            target, iterable = (gast.Name(names[0], gast.Store(), None, None), hidden("iterable 0")) \
                if len(iterables) == 1 else (gast.Tuple([gast.Name(n, gast.Store(), None, None) for n in names],
                                                        gast.Store()),
                                             gast.Call(hidden("zip"), [hidden(f"iterable {k}")
                                                                       for k in range(len(iterables))], []))
            comprehension = _located(gast.ListComp(elt, [gast.comprehension(target, iterable, [], 0)]), node)
            listed = self._listed_loop(comprehension)
            if hasattr(self.scope, "iterator_lists"):
                self.scope.iterator_lists.add(listed)  # a list standing for Python's one-pass map object
            return listed

    def _reduce(self, fn, iterable, initial, node):
        """`functools.reduce(fn, iterable[, initial])`: folded call by call over a container
        known here; over a run-time one, the loop `acc = initial (or its first item); for v in
        (the rest): acc = fn(acc, v)`."""
        items = containers.as_static(iterable)
        if items is not None:
            items = containers.iteration_items(items)
            if initial is None and not items:
                raise SctError("reduce() of empty iterable with no initial value", self.loc_of(node),
                               hint="Pass an initial value: functools.reduce(f, xs, initial).")
            acc, rest = (initial, items) if initial is not None else (items[0], items[1:])
            for x in rest:
                acc = self._call_with(fn, [acc, x], {}, node)
            return acc
        xs = self.materialize(self.value_of(iterable), node)
        if initial is None:  # Python raises TypeError for an empty one; x[0] raises IndexError
            initial = self.emit(Callee(GETITEM, "[]", operator.getitem), [xs, Const(0)], hint="first", node=node)
            xs = self.emit(Callee(GETITEM, "[]", operator.getitem), [xs, Const(slice(1, None))], hint="rest",
                           node=node)
        with self._hidden(node, fn=fn, iterable=xs) as hidden:
            acc = gast.Name("<reduce>", gast.Load(), None, None)
            call = gast.Call(hidden("fn"), [acc, gast.Name("<reduce item>", gast.Load(), None, None)], [])
            body = [gast.Assign([gast.Name("<reduce>", gast.Store(), None, None)], call, None)]
            comprehension = _located(gast.ListComp(acc, [gast.comprehension(
                gast.Name("<reduce item>", gast.Store(), None, None), hidden("iterable"), [], 0)]), node)
            return self._comprehension_loop(comprehension, "<reduce>", initial, body)

    @contextlib.contextmanager
    def _hidden(self, node, **values):
        """Bind `values` under hidden names for lowering code sct writes (a loop map or reduce
        make); yields a function giving a Load of each. The names are gone afterwards."""
        keys = {name: f"<{name} {id(node)}>" for name in values}
        outer = {k: self.scope.locals[k] for k in keys.values() if k in self.scope.locals}
        self.scope.locals.update({keys[name]: value for name, value in values.items()})
        try:
            yield lambda name: gast.Name(keys[name], gast.Load(), None, None)
        finally:
            for k in keys.values():
                self.scope.locals.pop(k, None)
            self.scope.locals.update(outer)

    def _sorted(self, args, kwargs, node):
        """`sorted(xs, key=..., reverse=...)`. Of a container known here whose items (or keys)
        are constants (`sorted(d)`, `sorted(d.items())`, `key=lambda kv: kv[0]`), sorted now,
        as Python's stable sort would; otherwise sorted when it runs: the indices of the
        order are computed without a derivative and the items are read at them."""
        loc = self.loc_of(node)
        if len(args) != 1 or set(kwargs) - {"key", "reverse"}:
            raise SctError("sorted() takes one iterable, and key= and reverse=", loc,
                           hint="Call sorted(xs), sorted(xs, key=f) or sorted(xs, reverse=True).")
        key, reverse = kwargs.get("key", Const(None)), kwargs.get("reverse", Const(False))
        if not (isinstance(reverse, Const) and reverse.spelling is None):
            raise UnsupportedSyntaxError("sorted(..., reverse=) needs a constant", self.loc_of(node),
                                         hint="Pass reverse=True or reverse=False.")
        no_key = isinstance(key, Const) and key.value is None
        items = containers.as_static(args[0])
        if items is None:  # a run-time list or array
            xs = self.materialize(self.value_of(args[0]), node)
            keys = xs if no_key else self._map(key, [xs], node)  # each item's key, computed once
            order = self._emit_helper(runtime.sorted_order, [keys, Const(None), reverse], node, "order")
            return self._emit_helper(runtime.take_items, [xs, order], node, "ordered")
        items = containers.iteration_items(items)
        keys = items if no_key else [self._call_with(key, [x], {}, node) for x in items]
        known = [_static_python_value(k) for k in keys]
        if all(k is not _NOT_CONSTANT for k in known):
            order = sorted(range(len(items)), key=known.__getitem__, reverse=reverse.value)
            return ListOf(items[i] for i in order)
        # tuples told apart by their constant first items (`sorted(d.items())`): no later item is compared
        firsts = [_static_python_value(k[0]) if containers.is_static(k) and k else _NOT_CONSTANT for k in keys]
        if all(f is not _NOT_CONSTANT for f in firsts) and \
                all(a != b for i, a in enumerate(firsts) for b in firsts[i + 1:]):  # (1 and 1.0 are equal)
            order = sorted(range(len(items)), key=firsts.__getitem__, reverse=reverse.value)
            return ListOf(items[i] for i in order)
        listed = self.materialize(ListOf(items), node)
        order = self._emit_helper(runtime.sorted_order, [self.materialize(ListOf(keys), node), Const(None), reverse],
                                  node, "order")
        return ListOf(self.emit(Callee(GETITEM, "[]", operator.getitem),
                                [listed, self.emit(Callee(GETITEM, "[]", operator.getitem), [order, Const(k)],
                                                   hint="index", node=node)], hint="ordered", node=node)
                      for k in range(len(items)))

    def _dict(self, args, kwargs, node):
        """`dict(...)` of keywords, of a dict or of (key, value) pairs known here (a list of
        tuples, `zip(keys, values)`): a dict of computed values, its keys constants."""
        loc = self.loc_of(node)
        if len(args) > 1:
            raise SctError(f"dict expected at most 1 argument, got {len(args)}", loc,
                           hint="Pass one dict or list of pairs, and keywords.")
        keys, values = [], []

        def put(k, v):
            if k in keys:
                values[keys.index(k)] = v
            else:
                keys.append(k)
                values.append(v)

        if args:
            source = containers.as_static(args[0])
            if isinstance(source, DictOf):
                for k, v in zip(source.keys, source):
                    put(k, v)
            elif source is not None:
                for pair in containers.iteration_items(source):
                    pair = containers.as_static(pair)
                    if pair is None or len(pair) != 2 or isinstance(pair, DictOf):
                        raise UnsupportedSyntaxError("dict() of items that are not (key, value) pairs known "
                                                     "when lowering is not supported", loc,
                                                     hint="Pass a list of (key, value) tuples, or keywords.")
                    k = _static_python_value(pair[0])
                    if k is _NOT_CONSTANT:
                        raise UnsupportedSyntaxError("dict() with a computed key is not supported", loc,
                                                     hint="Use string or number constants as keys.")
                    put(k, pair[1])
            else:
                raise UnsupportedSyntaxError("dict() of a value made at run time is not supported", loc,
                                             hint="Build the dict from keywords, a dict or a list of (key, value) "
                                                  "pairs in the function.")
        for k, v in kwargs.items():
            put(k, v)
        refuse_stored_iterator(values, loc, self.scope)
        return DictOf(keys, values)

    def _emit_helper(self, helper, args, node, hint):
        """A call of the runtime helper `helper`."""
        return self.emit(Callee(CALL, helper.__name__, helper, helper), args, hint=hint, node=node)

    def _global_item(self, container, index):
        """`container[index]` of a global list, tuple or dict (a GlobalRef) when the item is a
        function, class or module, or a container again: a GlobalRef of it, so it can be called
        as that function; its identity there is a dependency of the compiled code (the
        item rebound, the code is made again). None for any other item (read at run time)."""
        try:
            item = container.obj[index]
        except (LookupError, TypeError):
            return None
        if not (callable(item) or inspect.ismodule(item) or type(item) in (list, tuple, dict)):
            return None
        dependencies = getattr(self.scope, "dependencies", None)
        if dependencies is not None:
            dependencies.append((container.obj if type(container.obj) is dict else ItemsByIndex(container.obj),
                                 index, item))
        name = re.sub(r"\W", "_", f"{container.spelling.split('.')[0]}_{index}")
        return GlobalRef(name, item, item)

    def value_of(self, x):
        """A lowered value as an operand (a GlobalRef as its constant)."""
        return x.as_const() if isinstance(x, GlobalRef) else x

    def _construct(self, cls, args, kwargs, node):
        """`cls(...)` of the user's own class: a LocalObject, with `__init__` (or a dataclass's
        fields and `__post_init__`) lowered in place."""
        loc = self.loc_of(node)
        if dataclasses.is_dataclass(cls) or is_namedtuple_class(cls):
            try:
                bound = inspect.signature(cls).bind(*args, **kwargs)
            except TypeError as e:
                raise SctError(f"{cls.__name__}() {e}", loc, hint=f"Call it with its fields: "
                               f"{cls.__name__}{inspect.signature(cls)}.") from None
            refuse_stored_iterator(bound.arguments.values(), loc, self.scope)
            if is_namedtuple_class(cls):
                bound.apply_defaults()
                return LocalObject(cls, {k: as_operand(v) for k, v in bound.arguments.items()})
            given = set(bound.arguments)
            bound.apply_defaults()
            attributes = {}
            for f in dataclasses.fields(cls):  # in field order, as the generated __init__ sets them
                if f.init and f.name in given or (f.init and f.default_factory is dataclasses.MISSING):
                    attributes[f.name] = as_operand(bound.arguments[f.name])
                elif f.default_factory is not dataclasses.MISSING:  # a new value for each object
                    attributes[f.name] = self._made_by_factory(f.default_factory, node)
                elif f.default is not dataclasses.MISSING:  # init=False with a default
                    attributes[f.name] = as_operand(f.default)
            made = LocalObject(cls, attributes)
            if hasattr(cls, "__post_init__"):
                made = self._call_method(made, "__post_init__", [], {}, node)[1]
            return made
        made = LocalObject(cls, {})
        if cls.__init__ is object.__init__:
            if args or kwargs:
                raise SctError(f"{cls.__name__}() takes no arguments", loc, hint="Define __init__ to take them.")
            return made
        return self._call_method(made, "__init__", args, kwargs, node)[1]

    def _made_by_factory(self, factory, node):
        """What a dataclass field's `default_factory` makes for a new object: an empty
        list, dict or tuple to fill, or the factory's call (inlined when it is the user's)."""
        empty = {list: ListOf(()), dict: DictOf((), ()), tuple: ()}
        if factory in empty:
            return empty[factory]
        name = getattr(factory, "__name__", "factory")
        return self._call_with(GlobalRef(name, factory, factory), [], {}, node)

    def _namedtuple_method(self, obj, name, args, kwargs, node):
        """`p._replace(...)` and `p._asdict()` of a namedtuple sct follows."""
        loc = self.loc_of(node)
        if name == "_replace" and not args:
            unknown = set(kwargs) - set(obj.attributes)
            if unknown:
                raise SctError(f"got unexpected field names: {sorted(unknown)}", loc,
                               hint=f"{obj.cls.__name__}'s fields are: {', '.join(obj.attributes)}.")
            refuse_stored_iterator(kwargs.values(), loc, self.scope)
            return LocalObject(obj.cls, {**obj.attributes, **kwargs})
        if name == "_asdict" and not args and not kwargs:
            return DictOf(obj.attributes.keys(), obj.attributes.values())
        raise UnsupportedSyntaxError(f"{obj.cls.__name__}.{name}(...) is not supported here", loc,
                                     hint="Read its fields, index it, or call _replace(field=value) / _asdict().")

    def _call_method(self, obj, name, args, kwargs, node, after=None):
        """`obj.name(*args, **kwargs)` on a LocalObject: the method inlined with `self`
        bound to it; (its output, the object as it left it). With `after` (a class), the
        method found after it in the object's class's MRO, as super() finds it."""
        if after is None:
            static = inspect.getattr_static(obj.cls, name, None)
        else:
            mro = obj.cls.__mro__
            static = next((vars(k)[name] for k in mro[mro.index(after) + 1:] if name in vars(k)), None)
            if static is object.__init__ and not args and not kwargs:
                return Const(None), obj
        if isinstance(static, staticmethod):
            return self._inline_method(obj, name, static.__func__, list(args), kwargs, node)
        if isinstance(static, classmethod):  # `self.from_config(...)`: called with the class
            return self._inline_method(obj, name, static.__func__, [_class_const(obj.cls)] + list(args), kwargs,
                                       node)
        if inspect.isfunction(static):
            return self._inline_method(obj, name, static, [obj] + list(args), kwargs, node)
        raise UnsupportedSyntaxError(f"{obj.cls.__name__}.{name} is not a method sct can follow", self.loc_of(node),
                                     hint="Call a plain method (def) or a staticmethod of the class.")

    def _inline_method(self, obj, name, function, args, kwargs, node):
        """The method `function` of obj's class, inlined; changes it makes to obj reach every
        name for it. Returns (its output, obj as it left it)."""
        loc = self.loc_of(node)
        if not inlinable(function) or getattr(self.scope, "inline", None) is None:
            raise UnsupportedSyntaxError(f"{obj.cls.__name__}.{name} has no Python source sct can read",
                                         loc, hint="Define the method in your own module.")
        if self.scope.recurses(function):
            raise UnsupportedSyntaxError(f"{obj.cls.__name__}.{name} calls itself; sct differentiates "
                                         f"recursion only in module-level functions", loc,
                                         hint="Make the recursive part a module-level function.")
        key = f"<object {id(obj)}>"  # a hidden name for obj, rebound as the method changes it
        self.scope.locals[key] = obj
        ops, output = self.scope.inline(GlobalRef(f"{obj.cls.__name__}.{name}", function, function),
                                        args, kwargs, node, self.namer, self.scope)
        self.ops.extend(ops)
        return output, self.scope.locals.pop(key)

    def _super(self, args, node):
        """`super()` in a method sct inlines (or `super(Class, self)`): a LocalSuper."""
        loc = self.loc_of(node)
        if len(args) == 2 and isinstance(args[0], (GlobalRef, Const)):
            cls, obj = _callee_obj(args[0]), args[1]
        elif not args and "__class__" in getattr(self.scope, "closure", {}):
            cls = self.scope.closure["__class__"].cell_contents
            first = next(iter(inspect.signature(self.scope.fn).parameters), None)
            obj = self.scope.lookup(first, node) if first is not None else None
        else:
            cls = obj = None
        if not isinstance(obj, LocalObject) or not isinstance(cls, type) or cls not in obj.cls.__mro__:
            raise UnsupportedSyntaxError("super() is supported in the methods of an object sct follows (made "
                                         "in the function or passed in)", loc,
                                         hint="Call the base class's method directly: Base.method(self, ...).")
        return LocalSuper(obj, cls)

    def _object_attribute(self, obj, name, node):
        """`obj.name` of a LocalObject: an attribute it was given, a property of its class
        (inlined), or a class attribute (a constant)."""
        if name in obj.attributes:
            return obj.attributes[name]
        static = inspect.getattr_static(obj.cls, name, _MISSING)
        if isinstance(static, property) and static.fget is not None:
            return self._inline_method(obj, name, static.fget, [obj], {}, node)[0]
        if static is _MISSING or inspect.isfunction(static) or isinstance(static, (staticmethod, classmethod,
                                                                                   property)):
            known = ", ".join(obj.attributes) or "none"
            raise SctError(f"this {obj.cls.__name__} object has no attribute {name!r} here", self.loc_of(node),
                           hint=f"Set it before reading it (attributes set so far: {known}); a method is "
                                f"called directly, obj.{name}(...).")
        return GlobalRef(obj.cls.__name__, obj.cls, obj.cls).attr(name)

    def _static_isinstance(self, x, classes):
        """`isinstance(x, classes)` as a Const when the lowering knows x's type: a container
        it resolves to items (a tuple, list or dict), or a parameter specialized to a Python
        number or an array. A recursion over nested containers (`if isinstance(t, tuple)`)
        then lowers only the branch its argument takes; None when only run time can tell."""
        classes = classes if isinstance(classes, tuple) else (classes,)
        if not all(isinstance(c, Const) and isinstance(c.value, type) for c in classes):
            return None
        classes = tuple(c.value for c in classes)
        if isinstance(x, LocalObject):
            return Const(issubclass(x.cls, classes))
        if isinstance(x, containers.OnePassItems):  # zip(...) is a zip, not a list
            return Const(issubclass(x.kind, classes))
        if containers.is_static(x):
            kind = dict if isinstance(x, DictOf) else list if isinstance(x, ListOf) else tuple
            return Const(issubclass(kind, classes))
        fact = getattr(self.scope, "facts", {}).get(id(x)) if isinstance(x, Var) else None
        if isinstance(fact, tuple):  # an exact ndarray
            return Const(issubclass(np.ndarray, classes))
        if fact is PYTHON_NUMBER and not any(issubclass(t, classes) for t in (float, int)):
            return Const(False)  # a float or an int: not of these classes either way
        return None

    def _recursive_call(self, func, args, kwargs, node):
        """A call of a function being lowered (recursion), which inlining would never finish:
        `value, pullback = call_with_pullback(func, wrt, *args)`, whose pullback the adjoint
        sweep calls. `wrt` is left empty here; the transform fills in the parameters whose
        arguments are active (or makes it a plain call when the value needs no adjoint)."""
        loc = self.loc_of(node)
        callee = func.as_const()
        if isinstance(func.obj, functools.partial):  # called as `p.func`, the bound arguments first
            callee = Const(func.obj.func, f"{func.spelling}.func", func.root_obj)
        func, args, kwargs = unpartial(func, args, kwargs)
        if any(isinstance(a, LocalFunction) for a in list(args) + list(kwargs.values())):
            raise UnsupportedSyntaxError("a function defined inside the differentiated function cannot be "
                                         "passed to a recursive call", loc,
                                         hint="Define it at module level and pass that.")
        bound = bind_arguments(func, args, kwargs, loc)  # as the run-time VJP will: a mistake is reported here
        self._refuse_recursive_writes(func, bound, loc, node)
        name = func.spelling.split(".")[-1]
        value = Var(self.namer.fresh(name + "_out"))
        pullback = Var(self.namer.fresh(name + "_pullback"))
        helper = runtime.call_with_pullback
        self.ops.append(Op([value, pullback], Callee(CALL, helper.__name__, helper, helper),
                           [callee, Const(())] + list(args), dict(kwargs), loc, self.stmt_loc))
        # It may return one of its arguments, or a view of one (`return x` at the base case).
        note_view(getattr(self.scope, "views", None), value, list(args) + list(kwargs.values()))
        return value

    def _refuse_recursive_writes(self, func, bound, loc, node):
        """A recursive call runs the function's own gradient at run time, whose writes into
        its arguments (functional there) never reach the caller's arrays, lists or objects,
        as they would in Python: refuse a call passing one to a parameter the function
        writes into, appends to or sets an attribute of; for `param += v`, check when it runs
        that the argument is no array (NumPy would add into it in place)."""
        changed, updated = _parameters_changed(parse_function(func.obj).tree)
        for param, operand in bound.arguments.items():
            if isinstance(operand, Const):
                continue
            if param in changed:
                raise UnsupportedSyntaxError(
                    f"{func.spelling} changes its argument {param!r} in place (a write into it, an append, an "
                    f"attribute set, out=), and the change made in its recursive calls cannot reach this caller",
                    loc, hint=f"Return the new value instead (`{param} = {func.spelling}(...)`), or pass a copy "
                              f"whose changes nobody reads.")
            if param in updated and isinstance(operand, Var):
                check = runtime.check_rebinding
                self.emit(Callee(CALL, check.__name__, check, check),
                          [operand, Const(f"{param} +="), Const(f"the caller's argument of {func.spelling}"),
                           Const(loc)], hint="checked", node=node)
                self.ops[-1].keep = True

    def expr_IfExp(self, node):
        cond = self.value(node.test)
        return self._choice(cond, node.body, node.orelse, "choice", node)

    def expr_BoolOp(self, node):
        # Python's short circuit: `a and b` is b if a is true, else a; `a or b` the reverse.
        first = self.value(node.values[0])
        if len(node.values) == 1:
            return first
        rest = gast.BoolOp(node.op, node.values[1:]) if len(node.values) > 2 else node.values[1]
        if isinstance(node.op, gast.And):
            return self._choice(first, rest, first, "both", node)
        return self._choice(first, first, rest, "either", node)

    def truth(self, value, node):
        """`value` as a condition: an object made in the function is true (Python's default
        for a class without __bool__ or __len__)."""
        if not isinstance(value, LocalObject):
            return value
        if value.is_namedtuple:
            return Const(bool(value.attributes))
        if inspect.getattr_static(value.cls, "__bool__", None) is not None:
            return self._call_method(value, "__bool__", [], {}, node)[0]
        if inspect.getattr_static(value.cls, "__len__", None) is not None:  # Python's: len(obj) != 0
            length = self._call_method(value, "__len__", [], {}, node)[0]
            return self.emit(Callee(COMPARE, "!=", operator.ne), [length, Const(0)], hint="nonempty", node=node)
        return Const(True)

    def _choice(self, cond, then, orelse, hint, node):
        """An If op choosing between two lazily evaluated expressions (gast nodes, a `_Lazy`,
        or an operand already computed). A constant condition picks its branch here."""
        cond = self.truth(cond, node)
        known = _constant(self.ops, cond)
        if known is not _NOT_CONSTANT and isinstance(known, (bool, int, float, str, type(None))):
            return _lazy_value(then if known else orelse, self)
        bodies = getattr(self.scope, "bodies", None)
        if bodies is not None and hasattr(self.scope, "locals"):
            # As an `if` whose branches bind a hidden name: what a branch changes besides its value
            # (a helper it calls writing into an array, an append) joins as after an `if` statement.
            key = f"<{hint}>"  # (named by HIDDEN_NAMES: `choice`; popped before an enclosing one is set)
            values = []

            def lower(branch):
                def run():
                    lowering = ExprLowering(self.scope, self.namer, self.loc_of, self.stmt_loc)
                    values.append(lowering.materialize(_lazy_value(branch, lowering), node))
                    self.scope.locals[key] = values[-1]
                    return lowering.ops
                return run

            self.ops.extend(bodies.join(self.scope, self.namer, self.loc_of, self.stmt_loc, cond, lower(then),
                                        lower(orelse), node))
            result = self.scope.locals.pop(key)
            if isinstance(result, Unreadable):
                raise result.error(HIDDEN_NAMES.get(key, key), self.loc_of(node))
            if isinstance(result, Var) and not any(result is v for v in values):
                result.is_temp = True  # (made by the join: folded into its use)
            return result
        regions = []
        for branch in (then, orelse):
            lowering = ExprLowering(self.scope, self.namer, self.loc_of, self.stmt_loc)
            value = _lazy_value(branch, lowering)
            regions.append(Region(lowering.ops, [lowering.materialize(value, node)]))
        result = Var(self.namer.fresh(hint), is_temp=True)
        loc = self.loc_of(node)
        self.ops.append(If([result], cond, regions[0], regions[1], loc, self.stmt_loc))
        note_join(self.scope, result, [r.yields[0] for r in regions])  # `q = s if c else W`: either one
        return result

    def _container_builtin(self, fn, args, node):
        """len, sum, list, tuple, zip, enumerate and reversed of containers known when lowering."""
        loc = self.loc_of(node)
        statics = [containers.as_static(a) for a in args]
        if fn is enumerate and statics[0] is None:
            raise UnsupportedSyntaxError("enumerate() of an array with a start known when lowering is not supported",
                                         loc, hint="Iterate over enumerate(x) and add the start to the index.")
        items = [containers.iteration_items(s) if s is not None else None for s in statics]
        if fn is zip and any(s is None for s in statics):
            # zip(ws, X) of a container known here and an array (or a run-time list): unrolled
            # over the container's items, pairing each with X[k]; X must be at least as long.
            count = min(len(i) for i in items if i is not None)
            for position, a in enumerate(args):
                if items[position] is not None:
                    continue
                a = self.materialize(self.value_of(a), node)
                check = runtime.check_zip_length
                self.emit(Callee(CALL, check.__name__, check, check), [a, Const(count), Const(loc)],
                          hint="checked", node=node)
                self.ops[-1].keep = True
                items[position] = [self.emit(Callee(GETITEM, "[]", operator.getitem), [a, Const(k)],
                                             hint=_subscript_hint(a), node=node) for k in range(count)]
        if fn is zip:
            return containers.OnePassItems((tuple(parts) for parts in zip(*items)), zip)
        if fn is enumerate:  # the index is start + i (a constant when start is one)
            start = args[1] if len(args) == 2 else Const(0)
            index = [self.emit(Callee(BINOP, "+", operator.add), [start, Const(i)], hint="index", node=node)
                     if i else start for i in range(len(items[0]))]
            return containers.OnePassItems(zip(index, items[0]), enumerate)
        if len(args) != 1 and fn is not sum:
            raise SctError(f"{fn.__name__}() takes one argument here", loc, hint="Pass one container.")
        if fn is len:
            return Const(len(items[0]))
        if fn is list:
            return ListOf(items[0])
        if fn is tuple:
            return tuple(items[0])
        if fn is reversed:
            return containers.OnePassItems(reversed(items[0]), type(reversed([])))
        # sum(xs[, start]), added in order as Python does (0 + x is x, so no start is needed)
        total = args[1] if len(args) == 2 else items[0][0] if items[0] else Const(0)
        for x in items[0][0 if len(args) == 2 else 1:]:
            total = self.emit(Callee(BINOP, "+", operator.add), [total, x], hint="add", node=node)
        return total

    def materialize(self, x, node):
        if isinstance(x, containers.OnePassItems):  # at run time, the list of its items
            x = ListOf(x)
        if isinstance(x, tuple):
            return self.emit(Callee(BUILD, "build"), [x], hint=_BUILD_HINTS[type(x)], node=node)
        return x


_NOT_CONSTANT = object()


class _Lazy:
    """A branch of `_choice` lowered only where it runs: `lower(lowering)` gives its operand."""

    def __init__(self, lower):
        self.lower = lower


def _lazy_value(branch, lowering):
    """A branch of `_choice` lowered by `lowering`: a gast node, a `_Lazy`, or an operand."""
    if isinstance(branch, gast.AST):
        return lowering.value(branch)
    return branch.lower(lowering) if isinstance(branch, _Lazy) else branch
_FOLDABLE_TYPES = (bool, int, float, complex, str)


# Calls that read or change the calling function's variables through its frame, which the
# generated code does not have (it has other variables, or none of them): what they would
# see is not what they see in Python. By module and name, not imported here.
_FRAME_READERS = {("builtins", "eval"), ("builtins", "exec"), ("builtins", "locals"), ("builtins", "globals"),
                  ("builtins", "vars"), ("builtins", "dir"), ("sys", "_getframe"), ("sys", "_current_frames"),
                  ("inspect", "currentframe"), ("inspect", "stack"), ("inspect", "trace"),
                  ("numexpr.necompiler", "evaluate"), ("numexpr.necompiler", "re_evaluate"),
                  ("pandas.core.computation.eval", "eval")}
_NEEDS_NO_FRAME_WITH_ARGUMENTS = {"vars", "dir"}  # vars(obj), dir(obj): of the object, not of the frame


def refuse_frame_access(func, args, loc):
    """Refuse eval, exec, locals() and the other calls that reach the function's variables
    through its frame (`_FRAME_READERS`): whatever arguments they get (a string, nothing),
    the values they read are the function's, which sct cannot follow there."""
    obj = func.obj
    key = (getattr(obj, "__module__", None) or ("builtins" if getattr(builtins, getattr(obj, "__name__", ""), None)
                                                 is obj else None), getattr(obj, "__name__", None))
    if key not in _FRAME_READERS or (key[1] in _NEEDS_NO_FRAME_WITH_ARGUMENTS and args):
        return
    name = key[1]
    if name in ("eval", "exec", "evaluate", "re_evaluate"):
        hint = "Write the expression in the function itself (`x * x`, not eval(\"x * x\")): sct reads the source."
    else:
        hint = "Name the variables themselves; pass them as arguments to where they are needed."
    raise UnsupportedSyntaxError(f"{func.spelling}() reads the function's variables by name at run time, which sct "
                                 f"cannot follow: the gradient it generates has other variables", loc, hint=hint)


def _parameters_changed(tree):
    """(parameters a function changes in place: writes into them, attribute sets, mutating
    methods, out=, np.add.at; parameters it updates with `p op= v`), from its source."""
    names = {p.id for p in parameters(tree)}
    changed, updated = set(), set()
    for n in gast.walk(tree):
        root = None
        if isinstance(n, (gast.Subscript, gast.Attribute)) and isinstance(n.ctx, gast.Store):
            root = n.value
        elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name) and n.target.id in names:
            updated.add(n.target.id)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute):
            if n.func.attr in MUTATING_METHODS:
                root = n.func.value
            elif n.func.attr == "at" and n.args:
                root = n.args[0]
        if isinstance(n, gast.Call):
            for k in n.keywords:
                if k.arg == "out" and isinstance(k.value, gast.Name) and k.value.id in names:
                    changed.add(k.value.id)
        while isinstance(root, (gast.Subscript, gast.Attribute)):
            root = root.value
        if isinstance(root, gast.Name) and root.id in names:
            changed.add(root.id)
    return changed, updated


def _one_of(obj, group):
    """`obj in group` for a set of callables; False for an unhashable `obj`."""
    try:
        return obj in group
    except TypeError:
        return False


def _out_argument(callee, args, kwargs):
    """(position, operand) of the `out=` argument of a library call: by keyword (position
    None), or the positional one a ufunc's outputs or the function's signature say it is
    (for a method, NumPy's function of the same name, its object first); (None, None)."""
    if "out" in kwargs:
        return None, kwargs["out"]
    obj = callee.obj
    if callee.kind == METHOD:
        obj = getattr(np, callee.spelling, None)
    elif callee.kind != CALL:
        return None, None
    if isinstance(obj, np.ufunc):
        return (obj.nin, args[obj.nin] if len(args) == obj.nin + 1 else tuple(args[obj.nin:])) \
            if len(args) > obj.nin else (None, None)
    if not callable(obj) or getattr(obj, "__module__", "") is None or \
            not str(getattr(obj, "__module__", "")).startswith("numpy"):
        return None, None
    try:
        parameters = list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return None, None
    if "out" in parameters and parameters.index("out") < len(args) and all(
            inspect.signature(obj).parameters[p].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                           inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for p in parameters[:parameters.index("out") + 1]):
        position = parameters.index("out")
        return position, args[position]
    return None, None


def _parameter_names(callee):
    """The positional parameters of a library call's function (a method: NumPy's function of
    the same name, its object first), as far as its signature tells."""
    obj = getattr(np, callee.spelling, None) if callee.kind == METHOD else callee.obj
    try:
        return [name for name, p in inspect.signature(obj).parameters.items()
                if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _out_name(node, position, method):
    """The name the `out=` argument of the call `node` is written as (`out=y`, `out=(y,)`), or
    None for anything else (a slice of an array, an attribute...)."""
    if position is None:
        found = next((k.value for k in node.keywords if k.arg == "out"), None)
    else:
        index = position - (1 if method else 0)
        before = node.args[:index + 1]
        found = node.args[index] if len(node.args) > index and not any(isinstance(a, gast.Starred)
                                                                       for a in before) else None
    if isinstance(found, (gast.Tuple, gast.List)) and len(found.elts) == 1:
        found = found.elts[0]
    return found.id if isinstance(found, gast.Name) else None


# Library functions that change an argument in place (the IR has no such effects), with
# what to write instead; ufunc methods such as np.add.at are found by kind.
_IN_PLACE_FUNCTIONS = {
    "copyto": "`dst[...] = src`", "put": "`a.flat[indices] = values`, or a[np.unravel_index(...)] = values",
    "place": "`a[mask] = values`", "putmask": "`a[mask] = values` (or np.where(mask, values, a))",
    "fill_diagonal": "`a[np.diag_indices_from(a)] = v`", "put_along_axis": "np.where, or item writes",
    "random.shuffle": "`x = np.random.permutation(x)`", "random.Generator.shuffle": "`x = rng.permutation(x)`",
}
_IN_PLACE_OBJECTS = {}
for _name, _instead in _IN_PLACE_FUNCTIONS.items():
    _obj = np
    for _part in _name.split("."):
        _obj = getattr(_obj, _part, None)
    if _obj is not None:
        _IN_PLACE_OBJECTS[id(_obj)] = (_obj, _name, _instead)
# operator's functions that change their first argument: `y[i] = v`, `y += v` in the source
for _name in ("setitem", "delitem", "iadd", "isub", "imul", "itruediv", "ifloordiv", "imod", "ipow", "imatmul",
              "iand", "ior", "ixor", "ilshift", "irshift", "iconcat"):
    _obj = getattr(operator, _name)
    _IN_PLACE_OBJECTS[id(_obj)] = (_obj, f"operator.{_name}", "the statement itself (`y[i] = v`, `y = y + v`)")


def refuse_in_place_call(callee, args, loc):
    """Refuse a library call that would change one of its arguments in place: NumPy's
    functions that do (np.copyto, np.put, np.fill_diagonal...), a ufunc's `at` (np.add.at),
    the in-place methods of arrays sct knows of."""
    if callee.kind == METHOD and callee.spelling in ("shuffle", "partition", "byteswap") \
            or (callee.kind == CALL and isinstance(getattr(callee.obj, "__self__", None), np.ufunc)
                and getattr(callee.obj, "__name__", "") == "at"):
        raise UnsupportedSyntaxError(f"{callee.spelling}(...) changes an array in place, which sct cannot follow "
                                     f"(of the ufuncs' `at`, it follows np.add.at and np.subtract.at)", loc,
                                     hint="Compute a new array instead of changing one in place.")
    if callee.kind != CALL:
        return
    found = _IN_PLACE_OBJECTS.get(id(callee.obj))
    if found is not None and found[0] is callee.obj:
        raise UnsupportedSyntaxError(f"{callee.spelling}(...) changes its argument in place, which sct cannot "
                                     f"follow", loc, hint=f"Write {found[2]} instead.")


def _constant(ops, value):
    """The Python value of `value` when it is a constant, or made by one of `ops` from
    constants (`range(3)`, `k != 1`, `not c`); else _NOT_CONSTANT."""
    if isinstance(value, Const) and value.spelling is None:
        return value.value
    producer = next((op for op in reversed(ops) if value in op.results), None) if isinstance(value, Var) else None
    foldable = isinstance(producer, Op) and not producer.kwargs and (
        producer.callee.kind in (BINOP, UNARYOP, COMPARE) or producer.callee.obj is range)
    args = [_constant(ops, a) for a in producer.args] if foldable else [_NOT_CONSTANT]
    return _NOT_CONSTANT if any(a is _NOT_CONSTANT for a in args) else producer.callee.obj(*args)


def _static_python_value(x):
    """The Python value of an operand made only of plain constants (a Const, or a tuple or
    list of them), else _NOT_CONSTANT."""
    if isinstance(x, Const):
        return x.value if x.spelling is None else _NOT_CONSTANT
    if containers.is_static(x) and not isinstance(x, DictOf):
        parts = [_static_python_value(v) for v in x]
        return _NOT_CONSTANT if any(p is _NOT_CONSTANT for p in parts) else \
            (list(parts) if isinstance(x, ListOf) else tuple(parts))
    return _NOT_CONSTANT


def _attr_hint(attr):
    return {"T": "transpose"}.get(attr, attr)


def _subscript_hint(base):
    return f"{base.name}_item" if isinstance(base, Var) and not base.is_temp else "item"


_CONTAINER_BUILTINS = (len, sum, list, tuple, zip, enumerate, reversed)
_ONE_PASS = (enumerate, zip, map, filter, reversed, iter)
_CONVERSIONS = {ord("s"): str, ord("r"): repr, ord("a"): ascii}  # f"{x!r}" ...
_BUILD_HINTS = {tuple: "tup", ListOf: "items", DictOf: "entries"}


_MISSING = object()


def _located(made, node):
    """`made`, a node sct writes, placed at `node` (its errors and `# grad of:` lines are node's)."""
    gast.copy_location(made, node)
    made.end_lineno, made.end_col_offset = node.end_lineno, node.end_col_offset
    return made


def _class_const(cls):
    """A class as an operand (`cls` in a classmethod), spelled by its name."""
    return Const(cls, cls.__name__, cls)


def _as_ref(x):
    """A class or module held as a constant (`cls` in a classmethod) as the GlobalRef its name
    would give, so its attributes and methods resolve when lowering."""
    if isinstance(x, Const) and (inspect.isclass(x.value) or inspect.ismodule(x.value)):
        return GlobalRef(x.spelling or x.value.__name__, x.value, x.root_obj or x.value)
    return x


def _callee_obj(callee):
    """The Python object a GlobalRef or Const stands for."""
    return callee.obj if isinstance(callee, GlobalRef) else callee.value if isinstance(callee, Const) else None


def _is_callee(x):
    """Whether the lowered value `x` can be called."""
    return isinstance(x, (LocalFunction, LocalPartial, LocalObject, BoundContainerMethod)) or callable(_callee_obj(x))
