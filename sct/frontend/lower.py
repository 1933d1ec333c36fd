"""Lowering: gast FunctionDef -> SSA `Function`.

Nested expressions become one op per operation (three-address form), every
assignment creates a new SSA value (`h`, then `h_1`), and names that are not local
resolve, at transform time, to the objects they denote (closure, module globals,
builtins); the resolutions are recorded so a later rebinding invalidates the cache.
The same `ExprLowering` lowers rule templates, with a different scope.
"""
import dataclasses
import functools
import inspect
import operator
import re
import types

import gast
import numpy as np

from .. import runtime
from ..analysis.shapes import PYTHON_NUMBER, REDUCTIONS, FunctionFact, is_object_class
from ..errors import SctError, UnsupportedSyntaxError
from ..ir import (AttributesOf, Callee, Const, DictOf, Function, If, ListOf, Loop, Namer, Op, Region, Var,
                  rebuild, ASSERT, CALL, BINOP, UNARYOP, COMPARE, METHOD, ATTR, GETITEM, BUILD)
from . import containers
from .aliasing import (_MUTATING_METHODS, _may_be_view, _rebind_everywhere, _refuse_shared_write, _scope_chain,
                       _shares_memory, _sharing_names, _was_appended)
from .containers import _flat
from .scope import (_BREAK, _BROKE, _HIDDEN_NAMES, _ITEM, _LIST, _RETURNED, _RETURN_VALUE, _SUM, _TRIPS,
                    FunctionScope, LocalFunction, NestedScope, _Unreadable, _assigned_names, _inlinable,
                    _operand, _parameters)
from .static_values import GlobalRef, LocalObject, LocalPartial, LocalSuper, _unpartial
from .targets import _assign, _bind, _write_attribute, _write_item
from .unsupported_syntax import unsupported

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
        if any(isinstance(a, LocalObject) for a in _flat(list(args) + list((kwargs or {}).values()))):
            if callee.obj is runtime.appended:
                raise UnsupportedSyntaxError("an object made in the function cannot be appended to a list "
                                             "built at run time", self.loc_of(node),
                                             hint="Make the list of objects once, before any loop "
                                                  "([Particle(...), Particle(...)]), or keep their values in "
                                                  "arrays.")
            raise UnsupportedSyntaxError(f"an object made in the function cannot be passed to {callee.spelling}",
                                         self.loc_of(node), hint="Pass its attributes instead (obj.W), or "
                                         "make it a method of the object's class, which sct inlines.")
        if any(isinstance(a, (LocalFunction, LocalPartial)) for a in list(args) + list((kwargs or {}).values())):
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
        views = getattr(self.scope, "views", None)
        if views is not None and args and isinstance(args[0], Var) and _may_be_view(self.ops[-1]):
            views[result] = views.get(args[0], args[0])  # the array whose memory it may be
        return result

    def expr_Lambda(self, node):
        return LocalFunction(node, self.scope, self._defaults(node))

    def _defaults(self, tree):
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
        base = self.expr(node.value)
        if isinstance(base, GlobalRef):
            try:
                return base.attr(node.attr)
            except AttributeError:
                raise SctError(f"{base.spelling} has no attribute {node.attr!r}", self.loc_of(node),
                               hint="Check the spelling of the name.") from None
        if isinstance(base, LocalObject):
            return self._object_attribute(base, node.attr, node)
        if containers.is_static(base):
            raise SctError(f"a {containers.kind_name(base)} has no attribute {node.attr!r} here",
                           self.loc_of(node), hint="Index the container, or make an array of it "
                                                   "with np.stack / np.array first.")
        return self.emit(Callee(ATTR, node.attr), [base], hint=_attr_hint(node.attr), node=node)

    def expr_BinOp(self, node):
        fn, symbol, hint = BINOPS[type(node.op)]
        left, right = self.value(node.left), self.value(node.right)
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
        if len(node.ops) != 1:
            raise UnsupportedSyntaxError("chained comparisons are not supported yet", self.loc_of(node),
                                         hint="Write `a < b < c` as `(a < b) & (b < c)`.")
        fn, symbol, hint = COMPAREOPS.get(type(node.ops[0]), (None, None, None))
        if fn is None:
            raise UnsupportedSyntaxError("`in` / `not in` tests are not supported", self.loc_of(node),
                                         hint="Compare values with ==, <, > ... instead.")
        left, right = self.value(node.left), self.value(node.comparators[0])
        if symbol in ("is", "is not") and (isinstance(left, LocalObject) or isinstance(right, LocalObject)):
            return Const(fn(left, right))  # an object made in the function is no other value
        return self.emit(Callee(COMPARE, symbol, fn), [left, right], hint=hint, node=node)

    def expr_Tuple(self, node):
        elts = tuple(self.value(e) for e in node.elts)
        if all(isinstance(e, Const) and e.spelling is None for e in elts):
            return Const(tuple(e.value for e in elts))
        return elts

    def expr_List(self, node):
        elts = tuple(self.value(e) for e in node.elts)
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
        return DictOf(keys, [self.value(v) for v in node.values])

    def expr_ListComp(self, node):
        if len(node.generators) == 1 and not node.generators[0].is_async and \
                not self._over_known_items(node.generators[0]):
            return self._listed_loop(node)
        return ListOf(value for _, value in self._comprehension(node, node.elt))

    def expr_GeneratorExp(self, node):  # consumed by sum(), np.stack() ...: a list of its values
        return self.expr_ListComp(node)

    def expr_DictComp(self, node):
        entries = self._comprehension(node, node.key, node.value)
        keys = [key for key, _ in entries]
        if not all(isinstance(k, Const) and k.spelling is None for k in keys):
            raise UnsupportedSyntaxError("dict comprehension keys must be constants", self.loc_of(node.key),
                                         hint="Iterate over constant keys, e.g. `for k in params`.")
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
            _assign(generator.target, item, generator.target, body, inner, self.namer)
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
        add = gast.BinOp(gast.Name(_SUM, gast.Load(), None, None), gast.Add(), value)
        return self._comprehension_loop(comprehension, _SUM, start,
                                        [gast.Assign([gast.Name(_SUM, gast.Store(), None, None)], add, None)])

    def _listed_loop(self, comprehension):
        """`[elt for target in xs if c]` over a run-time iterable (an array's rows): the loop
        `items = []; for target in xs: if c: items.append(elt)`, a list made at run time."""
        append = gast.Expr(gast.Call(gast.Attribute(gast.Name(_LIST, gast.Load(), None, None), "append",
                                                    gast.Load()), [comprehension.elt], []))
        body = [append]
        for test in reversed(comprehension.generators[0].ifs):
            body = [gast.If(test, body, [])]
        return self._comprehension_loop(comprehension, _LIST, ListOf(()), body)

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
        statements = _StatementLowering(self.scope, self.namer, self.loc_of, self.stmt_loc, loop)
        ops, _, _ = statements.loop(loop, tail=False)
        self.ops.extend(ops)
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
                if convert is not None:
                    value = self.emit(Callee(CALL, convert.__name__, convert, convert), [value], hint="text",
                                      node=part)
                spec = self.value(part.format_spec) if part.format_spec is not None else Const("")
                part = self.emit(Callee(CALL, "format", format, format), [value, spec], hint="text", node=part)
            else:
                part = self.value(part)
            text = part if text.value == "" and isinstance(text, Const) else \
                self.emit(Callee(BINOP, "+", operator.add), [text, part], hint="text", node=node)
        return text

    def expr_Slice(self, node):
        parts = [self.value(p) if p is not None else Const(None) for p in (node.lower, node.upper, node.step)]
        if all(isinstance(p, Const) and p.spelling is None for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return self.emit(Callee(CALL, "slice", slice, slice), parts, hint="slice", node=node)

    def expr_Subscript(self, node):
        base = self.value(node.value)
        index = self.value(node.slice)
        if containers.is_static(base) and isinstance(index, Const) and index.spelling is None:
            return containers.item(base, index.value, self.loc_of(node))
        base = self._materialize(base, node.value)  # a computed index: the container at run time
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
            base = self.expr(node.func.value)
            if isinstance(base, LocalObject):
                if node.func.attr in base.attributes:  # a function kept as an attribute
                    return self._call(base.attributes[node.func.attr], node)
                args, kwargs = self.call_arguments(node)
                return self._call_method(base, node.func.attr, args, kwargs, node)[0]
            if isinstance(base, LocalSuper):  # `super().__init__(W)`: the next class's method
                args, kwargs = self.call_arguments(node)
                return self._call_method(base.obj, node.func.attr, args, kwargs, node, after=base.cls)[0]
            if containers.is_static(base):
                args, kwargs = self.call_arguments(node)
                if kwargs:
                    raise UnsupportedSyntaxError("keyword arguments to a container method are not supported",
                                                 self.loc_of(node), hint="Pass them by position.")
                result, changed = containers.method(base, node.func.attr, args, self.loc_of(node))
                if changed is not None:  # `xs.append(x)`: every name for this list now sees the new one
                    _rebind_everywhere(self.scope, base, changed)
                return result
            if isinstance(base, Var) and node.func.attr == "append" and len(node.args) == 1 and not node.keywords:
                # A list made at run time (carried through a loop): `xs = appended(xs, x)`, a new
                # list; every name for the old one now denotes the new one, as in Python.
                item = self.value(node.args[0])
                longer = self.emit(Callee(CALL, "appended", runtime.appended, runtime.appended),
                                   [base, item], hint=base.name, node=node)
                appended = getattr(self.scope, "appended", None)
                if appended is not None:  # a later write into it would change the list's item
                    appended.update(v for v in _flat([item]) if isinstance(v, Var))
                _rebind_everywhere(self.scope, base, longer)
                return Const(None)
            if not isinstance(base, GlobalRef):
                if node.func.attr in _MUTATING_METHODS:
                    raise UnsupportedSyntaxError(
                        f"`.{node.func.attr}(...)` changes a value in place, which sct cannot follow here",
                        self.loc_of(node), hint="Build lists before loops and branches ([] then .append at "
                        "the same level), or write into an array: `y = np.zeros(n)` then `y[i] = ...`.")
                args, kwargs = self.call_arguments(node)
                return self.emit(Callee(METHOD, node.func.attr), [base] + args, kwargs, hint=node.func.attr, node=node)
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
        if func.obj is functools.partial and args and _is_callee(args[0]):
            return LocalPartial(args[0], list(args[1:]), kwargs)  # made here: it may hold computed values
        if func.obj is super:
            return self._super(args, node)
        if func.obj in REDUCTIONS and args and type(args[0]) in (tuple, ListOf) and \
                any(isinstance(v, Var) for v in _flat([args[0]])):
            # np.sum([a, b]) reduces the array NumPy makes of the list: make it so, with np.array's rule
            array = self.emit(Callee(CALL, "np.array", np.array, np), [args[0]], hint="array", node=node)
            args = [array] + list(args[1:])
        if func.obj is reversed and len(args) == 1 and not kwargs and isinstance(args[0], Var) and not any(
                args[0] in op.results and op.callee.obj is range for op in self.ops if isinstance(op, Op)):
            # reversed(c) of an array or a run-time list visits what c[::-1] does, and c[::-1]
            # can be differentiated (and looped over, and back) like any slice
            return self.emit(Callee(GETITEM, "[]", operator.getitem), [args[0], Const(slice(None, None, -1))],
                             hint="reversed", node=node)
        if func.obj in (max, min) and (kwargs or (len(args) == 1 and containers.as_static(args[0]) is None)):
            raise UnsupportedSyntaxError(f"Python's {func.spelling}() of an array or of a list made at run time, or with "
                                         f"keywords, is not supported",
                                         self.loc_of(node), hint=f"Use np.{'max' if func.obj is max else 'min'}(x) "
                                         f"for an array; {func.spelling}(a, b, ...) of numbers works.")
        if func.obj in (max, min) and not kwargs and (len(args) > 2 or (
                len(args) == 1 and containers.as_static(args[0]) is not None)):
            # max(a, b, c) and max of a list known here: pairwise, keeping the first of equal ones
            items = args if len(args) > 1 else containers.iteration_items(containers.as_static(args[0]))
            if not items:
                raise SctError(f"{func.spelling}() of an empty list", self.loc_of(node), hint="Pass at least one item.")
            total = items[0]
            for x in items[1:]:
                total = self.emit(Callee(CALL, func.spelling, func.obj, func.root_obj), [total, x],
                                  hint=func.spelling, node=node)
            return total
        if func.obj is isinstance and len(args) == 2 and not kwargs:
            known = self._static_isinstance(*args)
            if known is not None:
                return known
        if func.obj in _CONTAINER_BUILTINS and any(containers.is_static(a) for a in args) and not kwargs:
            return self._container_builtin(func.obj, args, node)
        if func.obj is types.SimpleNamespace and not args:
            return LocalObject(types.SimpleNamespace, kwargs)
        if is_object_class(func.obj):
            return self._construct(func.obj, args, kwargs, node)
        inline = getattr(self.scope, "inline", None)
        if inline is not None and _inlinable(func.obj):
            if self.scope.recurses(_unpartial(func, args, kwargs)[0].obj):
                return self._recursive_call(func, args, kwargs, node)
            ops, output = inline(func, args, kwargs, node, self.namer, self.scope)
            self.ops.extend(ops)
            return output
        hint = func.spelling.split(".")[-1]
        return self.emit(Callee(CALL, func.spelling, func.obj, func.root_obj), args, kwargs, hint=hint, node=node)

    def _construct(self, cls, args, kwargs, node):
        """`cls(...)` of the user's own class: a LocalObject, with `__init__` (or a dataclass's
        fields and `__post_init__`) lowered in place."""
        loc = self.loc_of(node)
        if dataclasses.is_dataclass(cls):
            if any(f.default_factory is not dataclasses.MISSING for f in dataclasses.fields(cls)):
                raise UnsupportedSyntaxError(f"a dataclass field with default_factory ({cls.__name__}) is "
                                             f"not supported", loc, hint="Pass that field's value explicitly.")
            try:
                bound = inspect.signature(cls).bind(*args, **kwargs)
            except TypeError as e:
                raise SctError(f"{cls.__name__}() {e}", loc, hint=f"Call it with its fields: "
                               f"{cls.__name__}{inspect.signature(cls)}.") from None
            bound.apply_defaults()
            made = LocalObject(cls, {k: _operand(v) for k, v in bound.arguments.items()})
            if hasattr(cls, "__post_init__"):
                made = self._call_method(made, "__post_init__", [], {}, node)[1]
            return made
        made = LocalObject(cls, {})
        if cls.__init__ is object.__init__:
            if args or kwargs:
                raise SctError(f"{cls.__name__}() takes no arguments", loc, hint="Define __init__ to take them.")
            return made
        return self._call_method(made, "__init__", args, kwargs, node)[1]

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
        if inspect.isfunction(static):
            return self._inline_method(obj, name, static, [obj] + list(args), kwargs, node)
        raise UnsupportedSyntaxError(f"{obj.cls.__name__}.{name} is not a method sct can follow", self.loc_of(node),
                                     hint="Call a plain method (def) or a staticmethod of the class.")

    def _inline_method(self, obj, name, function, args, kwargs, node):
        """The method `function` of obj's class, inlined; changes it makes to obj reach every
        name for it. Returns (its output, obj as it left it)."""
        loc = self.loc_of(node)
        if not _inlinable(function) or getattr(self.scope, "inline", None) is None:
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
        func, args, kwargs = _unpartial(func, args, kwargs)
        if any(isinstance(a, LocalFunction) for a in list(args) + list(kwargs.values())):
            raise UnsupportedSyntaxError("a function defined inside the differentiated function cannot be "
                                         "passed to a recursive call", loc,
                                         hint="Define it at module level and pass that.")
        try:  # the run-time VJP binds them the same way; a mistake is reported here, at the call
            inspect.signature(func.obj).bind(*args, **kwargs)
        except TypeError as e:
            raise SctError(f"{func.spelling}() {e}", loc, hint=f"Call it with its arguments: "
                           f"{func.spelling}{inspect.signature(func.obj)}.") from None
        name = func.spelling.split(".")[-1]
        value = Var(self.namer.fresh(name + "_out"))
        pullback = Var(self.namer.fresh(name + "_pullback"))
        helper = runtime.call_with_pullback
        self.ops.append(Op([value, pullback], Callee(CALL, helper.__name__, helper, helper),
                           [callee, Const(())] + list(args), dict(kwargs), loc, self.stmt_loc))
        return value

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
        if hasattr(value.cls, "__bool__") or hasattr(value.cls, "__len__"):
            raise UnsupportedSyntaxError(f"the truth value of a {value.cls.__name__} object (its __bool__ or "
                                         f"__len__) is not supported", self.loc_of(node),
                                         hint="Test one of its attributes instead.")
        return Const(True)

    def _choice(self, cond, then, orelse, hint, node):
        """An If op choosing between two lazily evaluated expressions (gast nodes, or an
        operand already computed). A constant condition picks its branch here."""
        cond = self.truth(cond, node)
        known = _constant(self.ops, cond)
        if known is not _NOT_CONSTANT and isinstance(known, (bool, int, float, str, type(None))):
            branch = then if known else orelse
            return branch if not isinstance(branch, gast.AST) else self.value(branch)
        regions = []
        for branch in (then, orelse):
            lowering = ExprLowering(self.scope, self.namer, self.loc_of, self.stmt_loc)
            value = branch if not isinstance(branch, gast.AST) else lowering.value(branch)
            regions.append(Region(lowering.ops, [lowering._materialize(value, node)]))
        result = Var(self.namer.fresh(hint), is_temp=True)
        loc = self.loc_of(node)
        self.ops.append(If([result], cond, regions[0], regions[1], loc, self.stmt_loc))
        return result

    def _container_builtin(self, fn, args, node):
        """len, sum, list, tuple, zip, enumerate and reversed of containers known when lowering."""
        loc = self.loc_of(node)
        statics = [containers.as_static(a) for a in args]
        if fn in (zip, enumerate) and any(s is None for s in statics[:1 if fn is enumerate else None]):
            raise UnsupportedSyntaxError(f"{fn.__name__}() of a container and an array is not supported",
                                         loc, hint="Pass containers (lists, tuples) only, or index the array.")
        items = [containers.iteration_items(s) if s is not None else None for s in statics]
        if fn is zip:
            return ListOf(tuple(parts) for parts in zip(*items))
        if fn is enumerate:
            start = args[1].value if len(args) == 2 and isinstance(args[1], Const) else 0
            return ListOf((Const(start + i), x) for i, x in enumerate(items[0]))
        if len(args) != 1 and fn is not sum:
            raise SctError(f"{fn.__name__}() takes one argument here", loc, hint="Pass one container.")
        if fn is len:
            return Const(len(items[0]))
        if fn is list:
            return ListOf(items[0])
        if fn is tuple:
            return tuple(items[0])
        if fn is reversed:
            return ListOf(reversed(items[0]))
        # sum(xs[, start]), added in order as Python does (0 + x is x, so no start is needed)
        total = args[1] if len(args) == 2 else items[0][0] if items[0] else Const(0)
        for x in items[0][0 if len(args) == 2 else 1:]:
            total = self.emit(Callee(BINOP, "+", operator.add), [total, x], hint="add", node=node)
        return total

    def _materialize(self, x, node):
        if isinstance(x, tuple):
            return self.emit(Callee(BUILD, "build"), [x], hint=_BUILD_HINTS[type(x)], node=node)
        return x


_NOT_CONSTANT = object()
_FOLDABLE_TYPES = (bool, int, float, complex, str)


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


def _attr_hint(attr):
    return {"T": "transpose"}.get(attr, attr)


def _subscript_hint(base):
    return f"{base.name}_item" if isinstance(base, Var) and not base.is_temp else "item"


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
    scope = FunctionScope(parsed.fn, parsed.loc, _assigned_names(tree))
    namer = Namer([a.id for a in _parameters(tree)])
    leaves = {}
    params, ops, output, output_loc = _lower_body(parsed, scope, namer, structures=structures or {},
                                                  leaves=leaves, facts=facts)
    if any(isinstance(v, LocalObject) for v in _flat([output])):
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


def _as_leaves(value):
    """A taken-apart argument as IR operands: its objects as AttributesOf."""
    if isinstance(value, LocalObject):
        return AttributesOf(value.attributes, [_as_leaves(v) for v in value.attributes.values()], value.source)
    if isinstance(value, tuple):
        return rebuild(value, [_as_leaves(v) for v in value])
    return value


def _lower_body(parsed, scope, namer, operands=None, structures=None, leaves=None, facts=None):
    """Lower a function's body: (params, ops, output, output location). The parameters
    become Vars, or, for an inlined call, the caller's `operands` by name. A parameter
    with a structure (see `lower`) is taken apart first; its items go in `leaves`."""
    tree, loc_of = parsed.tree, parsed.loc
    args = tree.args
    if operands is None and (args.vararg is not None or args.kwarg is not None):
        raise UnsupportedSyntaxError("`*args` / `**kwargs` parameters of the differentiated function are not "
                                     "supported", loc_of(args.vararg or args.kwarg),
                                     hint="Name each parameter explicitly (a helper it calls may take them).")
    params = []
    unpacking = ExprLowering(scope, namer, loc_of, loc_of(tree))
    for i, a in enumerate(_parameters(tree)):
        if operands is None:
            params.append(Var(a.id))
            scope.locals[a.id] = params[-1]
            if (facts or {}).get(a.id) is not None:  # what `isinstance` of it can decide now
                scope.facts[id(params[-1])] = facts[a.id]
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
    statements = _StatementLowering(scope, namer, loc_of, loc_of(tree), tree)
    ops, (output, output_loc) = statements.tail(body)
    return params, unpacking.ops + ops, output, output_loc


def _callee_obj(callee):
    """The Python object a GlobalRef or Const stands for."""
    return callee.obj if isinstance(callee, GlobalRef) else callee.value if isinstance(callee, Const) else None


def _is_callee(x):
    """Whether the lowered value `x` can be called."""
    return isinstance(x, (LocalFunction, LocalPartial, LocalObject)) or callable(_callee_obj(x))


_MISSING = object()


class _StatementLowering:
    """Lowers statement lists. A *tail* block is one the function returns from when it
    falls off its end (the body, and a branch the rest of the function moved into)."""

    def __init__(self, scope, namer, loc_of, function_loc, tree):
        self.scope, self.namer, self.loc_of = scope, namer, loc_of
        self.function_loc = function_loc
        # Where each name is read, in source order: which values a loop must carry.
        self.reads = [(_position(n), n.id) for n in gast.walk(tree)
                      if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]
        self.enclosing_carried = set()  # names the loops around the current one carry
        # Names whose value is put into a list or dict by reference (`hs.append(h)`,
        # `d[k] = h`), which an in-place `h += ...` would change too.
        self.stored_names = {a.id for n in gast.walk(tree) if isinstance(n, gast.Call)
                             and isinstance(n.func, gast.Attribute) and n.func.attr in ("append", "insert")
                             for a in n.args if isinstance(a, gast.Name)} | \
            {n.value.id for n in gast.walk(tree) if isinstance(n, gast.Assign) and isinstance(n.value, gast.Name)
             and any(isinstance(t, gast.Subscript) for t in n.targets)}
        self.loop_depth = 0  # inside a loop body, `return` leaves the loop (see loop())
        self.flag_returns = 0  # inside a branch that returns on some paths only (see if_statement)

    def tail(self, stmts):
        """Lower a tail block: (ops, (returned operand, location of the return))."""
        ops, returned = self.block(stmts, tail=True)
        return ops, returned

    def block(self, stmts, tail=False):
        """Lower `stmts`; returns (ops, returned), `returned` None unless the block returns."""
        ops = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1:]
            if isinstance(stmt, gast.Return):
                if rest:
                    raise UnsupportedSyntaxError("code after `return` is never run", self.loc_of(rest[0]),
                                                 hint="Remove the unreachable statements.")
                if self.loop_depth or self.flag_returns:  # record the value; returned after the loop/if
                    value, _ = self.returned(stmt, ops)
                    self.scope.locals.update({_RETURN_VALUE: value, _RETURNED: Const(True)})
                    if self.loop_depth:
                        self.scope.locals[_BREAK] = Const(True)
                    return ops, None
                return ops, self.returned(stmt, ops)
            if isinstance(stmt, (gast.Continue, gast.Break)):
                if rest:
                    raise UnsupportedSyntaxError(f"code after `{type(stmt).__name__.lower()}` is never run",
                                                 self.loc_of(rest[0]), hint="Remove the unreachable statements.")
                if isinstance(stmt, gast.Break):
                    self.scope.locals[_BREAK] = Const(True)
                return ops, None
            if isinstance(stmt, gast.If):
                if_ops, returned, consumed = self.if_statement(stmt, rest, tail)
                ops.extend(if_ops)
                if returned is not None:
                    return ops, returned
                if consumed:
                    return ops, None
                continue
            if isinstance(stmt, (gast.For, gast.While)):
                loop_ops, returned_flag, else_stmts = self.loop(stmt, tail)
                ops.extend(loop_ops)
                rest = else_stmts + rest
                if returned_flag is not None:  # `return` in the loop: the rest runs if it did not
                    value = self.scope.locals.pop(_RETURN_VALUE)
                    if_ops, returned = self._return_if_returned(returned_flag, value, rest, stmt)
                    ops.extend(if_ops)
                    return ops, returned
                if else_stmts:  # lowered as the statements that follow the loop
                    rest_ops, returned = self.block(rest, tail)
                    return ops + rest_ops, returned
                continue
            ops.extend(self.simple(stmt))
        if tail:
            return ops, (Const(None), self.function_loc)
        return ops, None

    def returned(self, stmt, ops):
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, self.loc_of(stmt))
        value = lowering.value(stmt.value) if stmt.value is not None else Const(None)
        value = lowering._materialize(value, stmt)
        ops.extend(lowering.ops)
        return value, self.loc_of(stmt)

    def if_statement(self, stmt, rest, tail):
        """Lower `if`: (ops, returned, consumed). Consumes `rest` (moving it into the other
        branch) when a branch returns, or ends its loop iteration (`continue`, `break`)."""
        loc = self.loc_of(stmt)
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
        cond = lowering.truth(lowering.value(stmt.test), stmt.test)
        if isinstance(cond, Const) and type(cond.value) is bool:
            # Decided now (`isinstance` of a container argument): only the branch taken is
            # lowered, as the other may not lower for this argument (`w * t` on a tuple).
            taken = list(stmt.body if cond.value else stmt.orelse)
            if not _always_ends(taken, (gast.Return, gast.Break, gast.Continue)):
                taken += list(rest)  # (after a branch that always leaves, `rest` is never run)
            ops, returned = self.block(taken, tail)
            return lowering.ops + ops, returned, True
        # In a loop body, `return` leaves the iteration like `break` does; in a branch that
        # returns on some paths only, it ends the branch and sets the returned flag.
        kinds = _LOOP_EXITS_WITH_RETURN if self.loop_depth or self.flag_returns else _LOOP_EXITS
        then_exits, else_exits = _always_ends(stmt.body, kinds), _always_ends(stmt.orelse, kinds)
        if (_contains(stmt.body, kinds) and not then_exits) or (_contains(stmt.orelse, kinds) and not else_exits):
            raise UnsupportedSyntaxError(
                "a `break`/`continue`/`return` that only some paths through this branch reach is not "
                "supported yet",
                loc, hint="Give the branch an `else` so that every path through it leaves the iteration.")
        if then_exits or else_exits:
            then_stmts = list(stmt.body) + ([] if then_exits else list(rest))
            else_stmts = list(stmt.orelse) + ([] if else_exits else list(rest))
            ops, _ = self._join_branches(lowering, cond, then_stmts, else_stmts, stmt, loc)
            return ops, None, True
        returns = (gast.Return,)
        then_returns, else_returns = _always_ends(stmt.body, returns), _always_ends(stmt.orelse, returns)
        if (_contains(stmt.body, returns) and not then_returns) or \
                (_contains(stmt.orelse, returns) and not else_returns):
            if not tail:
                raise UnsupportedSyntaxError(
                    "a `return` that only some paths through this branch reach is not supported here yet", loc,
                    hint="Give the branch an `else` so that every path through it returns, or assign the "
                         "value and return once after the `if`.")
            # Returns on some paths: they record the value and a flag, and the rest of the
            # function runs only if no path returned.
            self.scope.locals.update({_RETURNED: Const(False), _RETURN_VALUE: Const(None)})
            self.flag_returns += 1
            ops, _ = self._join_branches(lowering, cond, list(stmt.body), list(stmt.orelse), stmt, loc)
            self.flag_returns -= 1
            returned_flag = self.scope.locals.pop(_RETURNED)
            value = self.scope.locals.pop(_RETURN_VALUE)
            if_ops, returned = self._return_if_returned(returned_flag, value, rest, stmt)
            return ops + if_ops, returned, True
        if (then_returns or else_returns) and not tail:
            raise UnsupportedSyntaxError("`return` inside this block is not supported yet", loc,
                                         hint="Return from the function body's own `if`/`else`, or "
                                              "assign the value and return once at the end.")
        then_stmts = list(stmt.body) + ([] if then_returns else list(rest) if else_returns else [])
        else_stmts = list(stmt.orelse) + ([] if else_returns else list(rest) if then_returns else [])
        if then_returns and else_returns and rest:
            raise UnsupportedSyntaxError("code after `return` is never run", self.loc_of(rest[0]),
                                         hint="Remove the unreachable statements.")
        if then_returns or else_returns:
            before = dict(self.scope.locals)
            branches = []
            for stmts in (then_stmts, else_stmts):
                self.scope.locals = dict(before)
                body, (value, where) = self.tail(stmts)
                branches.append((body, value, where))
            (then_ops, then_value, then_where), (else_ops, else_value, _) = branches
            self.scope.locals = before
            result = Var(self.namer.fresh("result"), is_temp=True)
            lowering.ops.append(If([result], cond, Region(then_ops, [then_value]),
                                   Region(else_ops, [else_value]), loc, loc))
            # The return statement of the taken path, for errors about the output.
            return lowering.ops, (result, then_where if then_returns and not else_returns else loc), True
        ops, _ = self._join_branches(lowering, cond, then_stmts, else_stmts, stmt, loc)
        return ops, None, False

    def _join_branches(self, lowering, cond, then_stmts, else_stmts, stmt, loc):
        """An If whose results join the names the two branches bind differently."""
        before = dict(self.scope.locals)
        branches = []
        for stmts in (then_stmts, else_stmts):
            self.scope.locals = dict(before)
            body, _ = self.block(stmts)
            branches.append((body, self.scope.locals))
        (then_ops, then_locals), (else_ops, else_locals) = branches
        results, then_yields, else_yields = [], [], []

        def join(t, e, hint):
            """One joined operand; containers of the same layout item by item, otherwise
            each branch makes its container a run-time value and the If joins those."""
            if t is e:
                return t
            if isinstance(t, LocalObject) and t.same_layout(e):
                return LocalObject(t.cls, {k: join(v, e.attributes[k], f"{hint}_{k}") for k, v in t.attributes.items()})
            if containers.same_layout(t, e):
                return rebuild(t, [join(a, b, hint) for a, b in zip(t, e)])
            result = Var(self.namer.fresh(hint))
            results.append(result)
            then_yields.append(self._as_yield(t, stmt, then_ops, hint))
            else_yields.append(self._as_yield(e, stmt, else_ops, hint))
            return result

        joined = dict(before)
        for name in sorted(set(then_locals) | set(else_locals)):
            t, e = then_locals.get(name), else_locals.get(name)
            if t is e:  # the same value on both paths: unchanged, or bound to it by both (`x = y`)
                joined[name] = t
                continue
            if isinstance(t, _Unreadable) or isinstance(e, _Unreadable):
                joined[name] = t if isinstance(t, _Unreadable) else e
                continue
            if isinstance(t, LocalFunction) or isinstance(e, LocalFunction):
                joined[name] = _BranchFunction(loc)
                continue
            # A name only one branch binds is None after the other, where Python would have
            # left it unbound: using it there fails, as in Python (if with another error).
            t = Const(None) if t is None else t
            e = Const(None) if e is None else e
            joined[name] = join(t, e, _HIDDEN_NAMES.get(name, name))
            # A list or array the branches changed in place, under a caller's name too.
            _rebind_everywhere(self.scope, t, joined[name], outer_only=True)
            _rebind_everywhere(self.scope, e, joined[name], outer_only=True)
        self.scope.locals = joined
        lowering.ops.append(If(results, cond, Region(then_ops, then_yields), Region(else_ops, else_yields),
                               loc, loc))
        return lowering.ops, None

    def loop(self, stmt, tail, changed_by_calls=frozenset()):
        """Lower `for`/`while` to a Loop op; returns (ops, returned flag, the statements of its
        `else:` block to lower after it, guarded by the `break` flag).
        The names the body assigns that are bound before the loop, or read after it, are
        carried from iteration to iteration. `break` sets a carried flag; `return` also
        records its value, and the caller returns it after the loop (the returned flag).
        A list or array the body changes in place (`xs.append(x)`, `y[i] = v`, or a function
        it calls doing so: `changed_by_calls`) is carried too, and every name for it denotes
        the loop's result after the loop."""
        loc = self.loc_of(stmt)
        exits = [n for n in _own_statements(stmt.body) if isinstance(n, (gast.Break, gast.Continue, gast.Return))]
        has_return = any(isinstance(n, gast.Return) for n in exits)
        if has_return and not tail:
            node = next(n for n in exits if isinstance(n, gast.Return))
            raise UnsupportedSyntaxError("`return` inside this loop is not supported yet", self.loc_of(node),
                                         hint="Return from a loop in the function body itself, or keep the "
                                              "value in a variable, `break`, and return it after the loop.")
        has_break = any(isinstance(n, (gast.Break, gast.Return)) for n in exits)
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
        iterable, reversible = None, True
        if isinstance(stmt, gast.For):
            if not isinstance(stmt.target, (gast.Name, gast.Tuple, gast.List)):
                raise UnsupportedSyntaxError("only names can be loop variables", self.loc_of(stmt.target),
                                             hint="Write `for item in ...:` and assign from `item` in the body.")
            iterable = lowering.value(stmt.iter)
            if containers.is_static(iterable):
                return self._unrolled_loop(stmt, containers.iteration_items(iterable), lowering, exits)
            iterable = lowering._materialize(iterable, stmt.iter)
            producer = lowering.ops[-1] if lowering.ops and iterable in lowering.ops[-1].results else None
            # enumerate(...), zip(...) and the like can be iterated once only, and not in reverse.
            reversible = not (producer is not None and producer.callee.kind == CALL
                              and producer.callee.obj in _ONE_PASS_ITERATORS)
        assigned, changed_in_place = set(), set(changed_by_calls)
        for s in stmt.body:
            for node in gast.walk(s):
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    assigned.add(node.id)
                elif isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.ctx, gast.Store) \
                        and isinstance(node.value, gast.Name):
                    changed_in_place.add(node.value.id)  # `y[i] = v`, `obj.w = v` rebind y, obj to the new value
                elif isinstance(node, gast.FunctionDef):
                    assigned.add(node.name)  # `def f` binds f
                elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                        and node.func.attr in _MUTATING_METHODS and isinstance(node.func.value, gast.Name):
                    changed_in_place.add(node.func.value.id)  # `xs.append(x)` rebinds xs to the longer list
        changed_in_place -= assigned  # a name the body also rebinds may denote another object
        assigned |= changed_in_place
        if iterable is not None:  # the loop variables: after the loop, the last item's
            assigned.update(n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name))
        outer_bindings = [(s, s.locals, dict(s.locals)) for s in _scope_chain(self.scope)]
        before = dict(self.scope.locals)
        target_name = None
        if iterable is not None:
            target_name = stmt.target.id if isinstance(stmt.target, gast.Name) else _ITEM
        # Carried: what the body binds that existed before the loop, is read after it (in
        # source order), is read in the body before the body binds it (a value from the
        # previous iteration), or is carried by an enclosing loop. Carried values nothing
        # needs are removed by dead-code elimination.
        end = (stmt.body[-1].end_lineno, stmt.body[-1].end_col_offset)  # its `else:` reads come after
        read_after = {name for position, name in self.reads if position > end}
        targets = frozenset(n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)) \
            if iterable is not None else frozenset()
        read_early, _ = _reads_before_binding(stmt.body, targets)
        names = sorted(n for n in assigned if n in before or n in read_after or n in read_early
                       or n in self.enclosing_carried)
        # Hidden carried values: the iteration count when the trip count is not known
        # beforehand (the adjoint loop needs it), and the `break` flag.
        if iterable is None or has_break or not reversible:
            names.append(_TRIPS)
        if has_break:
            names.append(_BREAK)
        if has_return:
            names += [_RETURNED, _RETURN_VALUE]
        written = sorted(n for n in changed_in_place if n in names and isinstance(before.get(n), Var))
        for a, b in zip(written, written[1:]):
            if before[a] is before[b]:  # carried apart, they would stop being one array
                raise UnsupportedSyntaxError(f"{a!r} and {b!r} name the same array, which this loop writes into",
                                             loc, hint=f"Write through one of the names, or make {b!r} a copy "
                                                       f"with .copy() before the loop.")
        target = None
        if iterable is not None:  # named first, so the loop variable keeps the user's name
            target = Var(self.namer.fresh(_HIDDEN_NAMES.get(target_name, target_name)))
        # An object made in the function is carried attribute by attribute (a slot each).
        objects = {n: before[n] for n in names if isinstance(before.get(n), LocalObject)}
        slots = [(n, k) for n in names for k in (objects[n].attributes if n in objects else [None])]

        def slot_name(n, k):
            return _HIDDEN_NAMES.get(n, n) if k is None else f"{n}_{k}"

        def grouped(values):
            """Slot values back into one per name: objects rebuilt from their attributes."""
            by_name = {}
            for (n, k), value in zip(slots, values):
                if k is None:
                    by_name[n] = value
                else:
                    by_name.setdefault(n, LocalObject(objects[n].cls, {})).attributes[k] = value
            return by_name

        carried = [Var(self.namer.fresh(slot_name(n, k))) for n, k in slots]
        # The hidden values start afresh: `before` may hold the enclosing loop's own.
        fresh = {_TRIPS: Const(0), _BREAK: Const(False), _RETURNED: Const(False), _RETURN_VALUE: Const(None)}
        inits = [objects[n].attributes[k] if k is not None else fresh[n] if n in fresh
                 else before.get(n, Const(None)) for n, k in slots]
        for (n, _), value in zip(slots, inits):
            if isinstance(value, (LocalFunction, _Unreadable)):
                raise UnsupportedSyntaxError(f"{n!r} is redefined inside this loop, which is not supported "
                                             f"for a local function", loc,
                                             hint=f"Define {n!r} once, outside the loop.")
        # A container the loop changes (`xs.append(x)`) is carried as a run-time value.
        inits = [self._as_yield(value, stmt, lowering.ops, slot_name(n, k)) for (n, k), value in zip(slots, inits)]
        inner = dict(before)
        inner.update(grouped(carried))
        if iterable is not None:
            inner[target_name] = target
        test = None
        if iterable is None:
            self.scope.locals = dict(inner)
            test_lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
            test = Region(test_lowering.ops, [test_lowering.truth(test_lowering.value(stmt.test), stmt.test)])
        self.scope.locals = dict(inner)
        counting = []
        if _TRIPS in names:
            counter = self.scope.locals[_TRIPS]
            counting = [Op([Var(self.namer.fresh("trips"))], Callee(BINOP, "+", operator.add), [counter, Const(1)],
                           loc=loc, stmt=loc)]
            self.scope.locals[_TRIPS] = counting[0].result
        if target_name == _ITEM:  # `for i, x in ...`: unpack the item first thing in the body
            unpacking = ExprLowering(self.scope, self.namer, self.loc_of, loc)
            _assign(stmt.target, target, stmt.target, unpacking, self.scope, self.namer)
            counting = unpacking.ops + counting
        self.loop_depth += 1
        enclosing = self.enclosing_carried
        self.enclosing_carried = enclosing | set(names)
        body, _ = self.block(stmt.body)
        self.enclosing_carried = enclosing
        self.loop_depth -= 1
        views = getattr(self.scope, "views", {})
        for q in sorted(changed_in_place & set(names)):
            written = self.scope.locals.get(q)
            if isinstance(written, Var) and _was_appended(written, self.scope):
                raise UnsupportedSyntaxError(f"{q!r}, or a view of it, is put in a list, and the next iteration "
                                             f"writes into it", loc,
                                             hint=f"Append a copy: `.append({q}.copy())`.")
            for p in read_early:  # read in the next iteration before the body binds it again
                kept = self.scope.locals.get(p)
                if p != q and p in names and isinstance(written, Var) and _shares_memory(kept, written, views):
                    raise UnsupportedSyntaxError(f"{p!r} keeps {q!r}, or a view of it, for the next iteration, "
                                                 f"which writes into {q!r}", loc,
                                                 hint=f"Keep a copy: `{p} = {q}.copy()`.")
        missed = {n for n, v in inner.items()
                  if n not in assigned and n not in names and self.scope.locals.get(n, v) is not v}
        if missed:  # a function the body calls changed a list or array it was given: lower again, carrying it
            for s, bindings, saved in outer_bindings:
                bindings.clear()
                bindings.update(saved)
                s.locals = bindings
            return self.loop(stmt, tail, changed_by_calls | missed)
        for n, layout in objects.items():
            if not layout.same_layout(self.scope.locals[n]):
                raise UnsupportedSyntaxError(f"the loop changes which attributes {n!r} has", loc,
                                             hint=f"Set every attribute of {n!r} before the loop; the loop "
                                                  f"may then change their values.")
        yields = [self._as_yield(self.scope.locals[n] if k is None else self.scope.locals[n].attributes[k],
                                 stmt, body, slot_name(n, k)) for n, k in slots]
        results = [Var(self.namer.fresh(slot_name(n, k))) for n, k in slots]
        by_result = grouped(results)
        after = dict(before)
        after.update((n, r) for n, r in by_result.items() if n not in _LOOP_CONTROL)
        for n in assigned - set(names):  # bound only inside the loop, never read after it
            after.pop(n, None)
        if has_return:
            after[_RETURN_VALUE] = by_result[_RETURN_VALUE]
        self.scope.locals = after
        for n in changed_in_place & set(names):
            if n in before:  # the same list or array, changed: under every name, here and in callers
                _rebind_everywhere(self.scope, before[n], by_result[n])
                # and what shared its memory (a view of it, the array it is a view of) is stale
                _refuse_shared_write(n, before[n], loc, self.scope)
        by_name = grouped(carried)
        lowering.ops.append(Loop(results, carried, inits, Region(counting + body, yields), iterable, target, test,
                                 loc, loc, exit=by_name.get(_BREAK), counter=by_name.get(_TRIPS),
                                 reversible=reversible))
        # The `else:` block runs when the loop ends without `break`. It is handed back as the
        # statements that follow the loop, so a `return`, `break` or `continue` in it acts on
        # the enclosing function or loop, as in Python.
        else_stmts = list(stmt.orelse)
        if else_stmts and has_break:
            self.scope.locals[_BROKE] = by_result[_BREAK]
            test = gast.copy_location(gast.UnaryOp(gast.Not(), gast.Name(_BROKE, gast.Load(), None, None)), stmt)
            else_stmts = [gast.copy_location(gast.If(test, else_stmts, []), stmt)]
        return lowering.ops, by_result.get(_RETURNED), else_stmts

    def _unrolled_loop(self, stmt, items, lowering, exits):
        """`for` over a container known when lowering: the body once per item, in order.
        Its items may differ in shape and kind (a list of (W, b) layers), which one
        loop could not specialize to; the container is small and fixed, so the code
        stays readable."""
        if exits:
            word = type(exits[0]).__name__.lower()
            raise UnsupportedSyntaxError(f"`{word}` in a loop over a list, tuple or dict of computed values "
                                         f"is not supported", self.loc_of(exits[0]),
                                         hint="Loop over all the items, and select with `if` inside the body.")
        ops = lowering.ops
        for item in items:
            unpacking = ExprLowering(self.scope, self.namer, self.loc_of, self.loc_of(stmt))
            _assign(stmt.target, item, stmt.target, unpacking, self.scope, self.namer)
            body, _ = self.block(list(stmt.body))
            ops += unpacking.ops + body
        return ops, None, list(stmt.orelse)

    def _return_if_returned(self, returned_flag, value, rest, stmt):
        """After a loop or an `if` that may `return`: `if returned: return value`, else the
        rest of the function."""
        loc = self.loc_of(stmt)
        before = dict(self.scope.locals)
        rest_ops, (rest_value, _) = self.tail(list(rest))
        self.scope.locals = before
        result = Var(self.namer.fresh("result"), is_temp=True)
        return [If([result], returned_flag, Region([], [value]), Region(rest_ops, [rest_value]), loc, loc)], \
            (result, loc)

    def _as_yield(self, value, node, ops, name):
        """`value` as one operand a region yields or a loop starts from: a container known
        when lowering becomes a run-time value made at the end of `ops`."""
        if isinstance(value, LocalFunction):
            raise UnsupportedSyntaxError("a local function defined inside a loop body cannot be used "
                                         "after the loop", self.loc_of(node),
                                         hint="Define it before the loop.")
        if isinstance(value, _Unreadable):
            raise value.error(_HIDDEN_NAMES.get(name, name), self.loc_of(node))
        if any(isinstance(v, LocalObject) for v in _flat([value])):
            raise UnsupportedSyntaxError(f"{_HIDDEN_NAMES.get(name, name)!r} holds an object made in the "
                                         f"function, which would have to become one run-time value here",
                                         self.loc_of(node),
                                         hint="Set all of its attributes before the loop or branch (sct "
                                              "carries them one by one), and keep objects out of lists "
                                              "that a loop changes.")
        if containers.is_static(value):
            built = Var(self.namer.fresh(_HIDDEN_NAMES.get(name, name)))
            ops.append(Op([built], Callee(BUILD, "build"), [value], loc=self.loc_of(node), stmt=self.loc_of(node)))
            return built
        return value

    def simple(self, stmt):
        """Lower one statement without control flow; returns its ops."""
        scope, namer, loc_of = self.scope, self.namer, self.loc_of
        stmt_loc = loc_of(stmt)
        lowering = ExprLowering(scope, namer, loc_of, stmt_loc)
        if isinstance(stmt, gast.Assign):
            value = lowering.value(stmt.value)
            for target in stmt.targets:
                _assign(target, value, stmt.value, lowering, scope, namer)
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript):
            fn, symbol, hint = BINOPS[type(stmt.op)]
            current = lowering.value(stmt.target)  # y[i], read before the write
            value = lowering.emit(Callee(BINOP, symbol, fn), [current, lowering.value(stmt.value)],
                                  hint=hint, node=stmt)
            _write_item(stmt.target, value, lowering, scope, namer)
        elif isinstance(stmt, gast.AugAssign):
            fn, symbol, hint = BINOPS[type(stmt.op)]
            if isinstance(stmt.target, gast.Attribute):  # `obj.total += x`
                spelled = f"{getattr(stmt.target.value, 'id', '...')}.{stmt.target.attr}"
                current = lowering.value(gast.Attribute(stmt.target.value, stmt.target.attr, gast.Load()))
                owner = lowering.value(stmt.target.value) if isinstance(stmt.target.value, gast.Name) else None
                aliases = _sharing_names(scope, current, None, owner)
            else:
                spelled = stmt.target.id
                current = scope.lookup(stmt.target.id, stmt.target)
                current = current.as_const() if isinstance(current, GlobalRef) else current
                aliases = _sharing_names(scope, current, stmt.target.id)
                if stmt.target.id in self.stored_names:
                    aliases.append("a list or dict it was put in")
            if aliases and isinstance(current, Var):
                # For a number this is a new binding, and `aliases` keep the old value. For an
                # array NumPy writes in place, so they would change too: checked when it runs.
                lowering.emit(Callee(CALL, "check_rebinding", runtime.check_rebinding, runtime.check_rebinding),
                              [current, Const(f"{spelled} {symbol}="), Const(aliases[0]), Const(loc_of(stmt))],
                              hint="checked", node=stmt)
                lowering.ops[-1].keep = True
            value = lowering.emit(Callee(BINOP, symbol, fn), [current, lowering.value(stmt.value)],
                                  hint=hint, node=stmt)
            if isinstance(stmt.target, gast.Attribute):
                _write_attribute(stmt.target, value, lowering, scope)
            else:
                _bind(stmt.target.id, value, lowering, scope, namer, stmt)
        elif isinstance(stmt, gast.AnnAssign):
            if stmt.value is not None:
                value = lowering.value(stmt.value)
                _assign(stmt.target, value, stmt.value, lowering, scope, namer)
        elif isinstance(stmt, gast.FunctionDef):
            if stmt.decorator_list:
                raise UnsupportedSyntaxError("decorated local functions are not supported", loc_of(stmt),
                                             hint="Define it without decorators, or at module level.")
            for node in gast.walk(stmt):
                if isinstance(node, (gast.Nonlocal, gast.Global)):
                    raise UnsupportedSyntaxError("a local function that rebinds outer names is not supported",
                                                 loc_of(node), hint="Return the new value instead.")
            scope.locals[stmt.name] = LocalFunction(stmt, scope, lowering._defaults(stmt))
        elif isinstance(stmt, gast.Assert):  # kept as it is, never differentiated
            args = [lowering.value(stmt.test)] + ([lowering.value(stmt.msg)] if stmt.msg is not None else [])
            lowering.emit(Callee(ASSERT, "assert"), args, hint="checked", node=stmt)
            lowering.ops[-1].keep = True
        elif isinstance(stmt, gast.Expr):
            if not isinstance(stmt.value, gast.Constant):
                value = lowering.value(stmt.value)
                if lowering.ops and value in lowering.ops[-1].results:  # a call kept for its effect
                    lowering.ops[-1].keep = True
        elif not isinstance(stmt, gast.Pass):
            raise unsupported(stmt, loc_of(stmt))
        return lowering.ops


_LOOP_CONTROL = {_BREAK, _TRIPS, _RETURNED, _RETURN_VALUE}  # a loop's own: not the enclosing code's after it
_ONE_PASS_ITERATORS = (enumerate, zip, map, filter, reversed, iter)
_CONTAINER_BUILTINS = (len, sum, list, tuple, zip, enumerate, reversed)
_CONVERSIONS = {ord("s"): str, ord("r"): repr, ord("a"): ascii}  # f"{x!r}" ...
_BUILD_HINTS = {tuple: "tup", ListOf: "items", DictOf: "entries"}
_LOOP_EXITS = (gast.Break, gast.Continue)
_LOOP_EXITS_WITH_RETURN = (gast.Break, gast.Continue, gast.Return)


def _position(node):
    return (node.lineno, node.col_offset)


def _own_statements(stmts):
    """The nodes of `stmts`, not descending into nested loop bodies (their `else:` blocks
    included) or functions."""
    pending = list(stmts)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (gast.For, gast.While)):
            pending.extend(node.orelse)  # a nested loop's `else:` runs in this block
        elif not isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            pending.extend(gast.iter_child_nodes(node))


def _reads_before_binding(stmts, bound):
    """(names `stmts` may read before binding them, names bound on every path through them;
    None when no path falls through). Given `bound`, the names bound on entry. In a loop
    body, the first set is what an iteration can read from the one before."""
    early = set()
    for stmt in stmts:
        if bound is None:  # after break/continue/return: unreachable
            break
        if isinstance(stmt, gast.If):
            early |= _loads(stmt.test) - bound
            then_early, then_bound = _reads_before_binding(stmt.body, bound)
            else_early, else_bound = _reads_before_binding(stmt.orelse, bound)
            early |= then_early | else_early
            paths = [b for b in (then_bound, else_bound) if b is not None]
            bound = frozenset.intersection(*paths) if paths else None
        elif isinstance(stmt, gast.For):  # may run zero times: binds nothing for sure
            early |= _loads(stmt.iter) - bound
            targets = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
            early |= _reads_before_binding(stmt.body, bound | targets)[0]
            early |= _reads_before_binding(stmt.orelse, bound)[0]
        elif isinstance(stmt, gast.While):
            early |= _loads(stmt.test) - bound
            for block in (stmt.body, stmt.orelse):
                early |= _reads_before_binding(block, bound)[0]
        else:  # a simple statement reads its operands before it binds its targets
            early |= _loads(stmt) - bound
            if isinstance(stmt, (gast.Break, gast.Continue, gast.Return)):
                bound = None
            else:
                bound = bound | {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
                                 and isinstance(n.ctx, gast.Store)} | \
                    ({stmt.name} if isinstance(stmt, gast.FunctionDef) else set())
    return early, bound


def _loads(node):
    """The names `node` reads (`x += 1` reads x too)."""
    names = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
        names.add(node.target.id)
    return names


def _always_ends(stmts, kinds):
    """True when every path through `stmts` ends in a statement of one of `kinds` (one in
    the middle of the block counts: the code after it is unreachable, an error later)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.If) and not isinstance(last, kinds):
        return (_always_ends(last.body, kinds) and _always_ends(last.orelse, kinds)) or \
            any(isinstance(s, kinds) for s in stmts)
    return any(isinstance(s, kinds) for s in stmts)


def _contains(stmts, kinds):
    return any(isinstance(n, kinds) for n in _own_statements(stmts))


class _BranchFunction(_Unreadable):
    """A local function defined on only some paths through an `if`, or differently on
    each: which one a call would inline is not known until run time."""

    def __init__(self, loc):
        self.loc = loc

    def error(self, name, loc):
        return UnsupportedSyntaxError(
            f"{name!r} is a local function defined differently on the paths through the `if` at line "
            f"{self.loc.line}", loc, hint=f"Define {name!r} once, before that `if`.")
