"""Lowering: gast FunctionDef -> SSA `Function`.

Nested expressions become one op per operation (three-address form), every
assignment creates a new SSA value (`h`, then `h_1`), and names that are not local
resolve, at transform time, to the objects they denote (closure, module globals,
builtins); the resolutions are recorded so a later rebinding invalidates the cache.
The same `ExprLowering` lowers rule templates, with a different scope.
"""
import builtins
import inspect
import operator

import gast

from .. import runtime
from ..errors import SctError, UnsupportedSyntaxError
from ..ir import (Callee, Const, Function, Namer, Op, Var,
                  CALL, BINOP, UNARYOP, COMPARE, METHOD, ATTR, GETITEM, TUPLE)

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
# Python statements and expressions sct does not handle yet, with what to write instead.
UNSUPPORTED_HINTS = {
    gast.If: "`if` statements are not supported yet: for a data-dependent choice between "
             "two arrays use np.where(cond, a, b).",
    gast.For: "`for` loops are not supported yet: vectorize with NumPy, or keep the loop "
              "outside the differentiated function.",
    gast.While: "`while` loops are not supported yet: keep the loop outside the differentiated function.",
    gast.With: "`with` blocks cannot be differentiated: move them outside the function.",
    gast.Try: "`try` blocks cannot be differentiated: move error handling outside the function.",
    gast.Raise: "`raise` is not supported inside a differentiated function yet: validate inputs before calling it.",
    gast.Assert: "`assert` is not supported yet: check inputs before calling the function.",
    gast.Import: "imports inside a differentiated function are not supported: import at module level.",
    gast.ImportFrom: "imports inside a differentiated function are not supported: import at module level.",
    gast.Global: "`global` is not supported: pass the value as an argument.",
    gast.Nonlocal: "`nonlocal` is not supported: pass the value as an argument.",
    gast.FunctionDef: "nested functions are not supported yet: define the helper at module level "
                      "and compute inline.",
    gast.ClassDef: "class definitions inside a differentiated function are not supported.",
    gast.Delete: "`del` is not supported: just stop using the name.",
    gast.IfExp: "conditional expressions `a if c else b` are not supported yet: use np.where(c, a, b).",
    gast.BoolOp: "`and`/`or` are not supported yet: use np.logical_and / np.logical_or, or & and |.",
    gast.Lambda: "lambdas inside a differentiated function are not supported yet: compute inline.",
    gast.ListComp: "list comprehensions are not supported yet: use vectorized NumPy operations.",
    gast.SetComp: "set comprehensions cannot be differentiated.",
    gast.DictComp: "dict comprehensions are not supported yet.",
    gast.GeneratorExp: "generator expressions are not supported yet: use vectorized NumPy operations.",
    gast.Dict: "dict literals are not supported yet.",
    gast.Set: "set literals cannot be differentiated.",
    gast.Starred: "`*` unpacking is not supported yet: pass the arguments one by one.",
    gast.NamedExpr: "the walrus operator `:=` is not supported: use a separate assignment.",
    gast.Await: "`await` cannot be differentiated.",
    gast.Yield: "generators cannot be differentiated: return a value instead.",
    gast.YieldFrom: "generators cannot be differentiated: return a value instead.",
    gast.JoinedStr: "f-strings are not supported inside a differentiated function.",
}


def unsupported(node, loc, what=None):
    """The error for a construct sct does not handle, with what to write instead."""
    kind = type(node)
    name = what or _describe(node)
    hint = UNSUPPORTED_HINTS.get(kind, "sct supports assignments, arithmetic, comparisons, "
                                 "calls to NumPy functions and `return expr`.")
    return UnsupportedSyntaxError(f"sct cannot differentiate {name}", loc, hint)


def _describe(node):
    names = {gast.If: "an `if` statement", gast.For: "a `for` loop", gast.While: "a `while` loop",
             gast.IfExp: "a conditional expression", gast.BoolOp: "`and`/`or`",
             gast.Lambda: "a lambda", gast.FunctionDef: "a nested function"}
    return names.get(type(node), f"this construct ({type(node).__name__})")


class GlobalRef:
    """A name that resolved to a Python object at transform time (a module, a function,
    a module-level constant). Not an IR value: it becomes a Callee or a Const."""

    def __init__(self, spelling, obj, root_obj):
        self.spelling, self.obj, self.root_obj = spelling, obj, root_obj

    def attr(self, name):
        return GlobalRef(f"{self.spelling}.{name}", getattr(self.obj, name), self.root_obj)

    def as_const(self):
        literal = isinstance(self.obj, (int, float, complex, bool, str, type(None)))
        return Const(self.obj, None if literal else self.spelling, None if literal else self.root_obj)


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
        result = Var(self.namer.fresh(hint), is_temp=True)
        self.ops.append(Op([result], callee, list(args), dict(kwargs or {}),
                           loc if loc is not None else self.loc_of(node), self.stmt_loc))
        return result

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
        base = self._materialize(base, node.value)
        return self.emit(Callee(ATTR, node.attr), [base], hint=_attr_hint(node.attr), node=node)

    def expr_BinOp(self, node):
        fn, symbol, hint = BINOPS[type(node.op)]
        left, right = self.value(node.left), self.value(node.right)
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
        return self.emit(Callee(COMPARE, symbol, fn), [left, right], hint=hint, node=node)

    def expr_Tuple(self, node):
        elts = tuple(self.value(e) for e in node.elts)
        if all(isinstance(e, Const) and e.spelling is None for e in elts):
            return Const(tuple(e.value for e in elts))
        return elts

    def expr_List(self, node):
        elts = tuple(self.value(e) for e in node.elts)
        if all(isinstance(e, Const) and e.spelling is None for e in elts):
            return Const([e.value for e in elts])
        raise UnsupportedSyntaxError("lists of computed values are not supported yet", self.loc_of(node),
                                     hint="Use np.stack([...]) of arrays, or pass a tuple.")

    def expr_Slice(self, node):
        parts = [self.value(p) if p is not None else Const(None) for p in (node.lower, node.upper, node.step)]
        if all(isinstance(p, Const) and p.spelling is None for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return self.emit(Callee(CALL, "slice", slice, builtins), parts, hint="slice", node=node)

    def expr_Subscript(self, node):
        base = self._materialize(self.value(node.value), node.value)
        index = self.value(node.slice)
        return self.emit(Callee(GETITEM, "[]", operator.getitem), [base, index],
                         hint=_subscript_hint(base), node=node)

    def expr_Call(self, node):
        for a in node.args:
            if isinstance(a, gast.Starred):
                raise unsupported(a, self.loc_of(a))
        for k in node.keywords:
            if k.arg is None:
                raise UnsupportedSyntaxError("`**kwargs` in a call is not supported yet", self.loc_of(k.value),
                                             hint="Pass the keyword arguments one by one.")
        if isinstance(node.func, gast.Attribute):
            base = self.expr(node.func.value)
            if not isinstance(base, GlobalRef):
                base = self._materialize(base, node.func.value)
                args = [base] + [self.value(a) for a in node.args]
                kwargs = {k.arg: self.value(k.value) for k in node.keywords}
                return self.emit(Callee(METHOD, node.func.attr), args, kwargs, hint=node.func.attr, node=node)
        func = self.expr(node.func)
        if not isinstance(func, GlobalRef):
            raise UnsupportedSyntaxError("calling a computed value is not supported yet", self.loc_of(node),
                                         hint="Call functions by their module-level name (e.g. np.tanh(x)).")
        if not callable(func.obj):
            raise SctError(f"{func.spelling} is not callable (it is a {type(func.obj).__name__})",
                           self.loc_of(node), hint="Check the name being called.")
        args = [self.value(a) for a in node.args]
        kwargs = {k.arg: self.value(k.value) for k in node.keywords}
        hint = func.spelling.split(".")[-1]
        return self.emit(Callee(CALL, func.spelling, func.obj, func.root_obj), args, kwargs, hint=hint, node=node)

    def _materialize(self, x, node):
        if isinstance(x, tuple):
            return self.emit(Callee(TUPLE, "tuple", tuple), list(x), hint="tup", node=node)
        return x


def _attr_hint(attr):
    return {"T": "transpose"}.get(attr, attr)


def _subscript_hint(base):
    return f"{base.name}_item" if isinstance(base, Var) and not base.is_temp else "item"


class FunctionScope:
    """Names inside the user's function: SSA locals first, then closure, globals, builtins.

    Every non-local resolution is recorded in `dependencies` as (namespace, name,
    object) so that the cache can check the name still denotes the same object.
    """

    MISSING = object()

    def __init__(self, fn, loc_of, assigned=()):
        self.fn, self.loc_of = fn, loc_of
        self.locals = {}
        self.assigned = set(assigned)  # names Python treats as local: assigned somewhere
        self.dependencies = []
        self.closure = {}
        if fn.__closure__:
            self.closure = dict(zip(fn.__code__.co_freevars, fn.__closure__))

    def _depend(self, namespace, name, obj):
        entry = (namespace, name, obj)
        if not any(e[0] is namespace and e[1] == name for e in self.dependencies):
            self.dependencies.append(entry)

    def lookup(self, name, node):
        if name in self.locals:
            return self.locals[name]
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


def lower(parsed):
    """Lower a `ParsedFunction` to an SSA `Function`.

    Guarantees: straight-line body; each Var assigned once; ops carry user locations;
    `scope.dependencies` (returned as `Function.dependencies`) lists every outside
    name the function's meaning depends on.
    """
    tree, loc_of = parsed.tree, parsed.loc
    args = tree.args
    if args.vararg is not None or args.kwarg is not None:
        raise UnsupportedSyntaxError("`*args` / `**kwargs` parameters are not supported yet",
                                     loc_of(args.vararg or args.kwarg),
                                     hint="Name each parameter explicitly.")
    scope = FunctionScope(parsed.fn, loc_of, _assigned_names(tree))
    param_names = [a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)]
    namer = Namer(param_names)
    params = []
    for name in param_names:
        v = Var(name)
        scope.locals[name] = v
        params.append(v)

    ops, output, output_loc = [], None, loc_of(tree)
    body = list(tree.body)
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # docstring
    for i, stmt in enumerate(body):
        stmt_loc = loc_of(stmt)
        lowering = ExprLowering(scope, namer, loc_of, stmt_loc)
        if isinstance(stmt, gast.Return):
            if i != len(body) - 1:
                raise UnsupportedSyntaxError("code after `return` is never run", loc_of(body[i + 1]),
                                             hint="Remove the unreachable statements.")
            output = lowering.value(stmt.value) if stmt.value is not None else Const(None)
            output = lowering._materialize(output, stmt)
            output_loc = stmt_loc
        elif isinstance(stmt, gast.Assign):
            value = lowering.value(stmt.value)
            for target in stmt.targets:
                _assign(target, value, stmt.value, lowering, scope, namer)
        elif isinstance(stmt, gast.AugAssign):
            if not isinstance(stmt.target, gast.Name):
                raise UnsupportedSyntaxError("augmented assignment to a subscript or attribute is not "
                                             "supported yet", loc_of(stmt.target),
                                             hint="Build a new array instead, e.g. with np.where.")
            fn, symbol, hint = BINOPS[type(stmt.op)]
            current = scope.lookup(stmt.target.id, stmt.target)
            current = current.as_const() if isinstance(current, GlobalRef) else current
            aliases = sorted(k for k, v in scope.locals.items() if v is current and k != stmt.target.id)
            if aliases and isinstance(current, Var):
                raise UnsupportedSyntaxError(
                    f"`{stmt.target.id} {symbol}= ...` would change an array that `{aliases[0]}` also names",
                    loc_of(stmt), hint=f"NumPy updates arrays in place, so `{aliases[0]}` would change too. "
                    f"Write `{stmt.target.id} = {stmt.target.id} {symbol} ...` to make a new array, or "
                    f"make `{aliases[0]}` a copy with .copy().")
            value = lowering.emit(Callee(BINOP, symbol, fn), [current, lowering.value(stmt.value)],
                                  hint=hint, node=stmt)
            _bind(stmt.target.id, value, lowering, scope, namer, stmt)
        elif isinstance(stmt, gast.AnnAssign):
            if stmt.value is None:
                continue
            value = lowering.value(stmt.value)
            _assign(stmt.target, value, stmt.value, lowering, scope, namer)
        elif isinstance(stmt, gast.Expr):
            if isinstance(stmt.value, gast.Constant):
                continue
            lowering.value(stmt.value)
            if lowering.ops:
                lowering.ops[-1].keep = True
        elif isinstance(stmt, gast.Pass):
            pass
        else:
            raise unsupported(stmt, loc_of(stmt))
        ops.extend(lowering.ops)
    if output is None:
        output = Const(None)
    return Function(tree.name, params, ops, output, parsed.filename, loc_of(tree), namer,
                    inspect.signature(parsed.fn), output_loc, scope.dependencies)


def _assigned_names(tree):
    """Names the function body assigns (so Python makes them local), nested defs excluded."""
    names, pending = set(), list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)):
            continue
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            names.add(node.id)
        pending.extend(gast.iter_child_nodes(node))
    return names


def _assign(target, value, value_node, lowering, scope, namer):
    if isinstance(target, gast.Name):
        _bind(target.id, value, lowering, scope, namer, target)
    elif isinstance(target, (gast.Tuple, gast.List)):
        if any(isinstance(e, gast.Starred) for e in target.elts):
            raise unsupported(next(e for e in target.elts if isinstance(e, gast.Starred)),
                              lowering.loc_of(target))
        if isinstance(value, tuple):
            if len(value) != len(target.elts):
                raise SctError(f"cannot unpack {len(value)} values into {len(target.elts)} names",
                               lowering.loc_of(target), hint="Make both sides the same length.")
            parts = list(value)
        elif isinstance(value, Const) and isinstance(value.value, (tuple, list)):
            if len(value.value) != len(target.elts):
                raise SctError(f"cannot unpack {len(value.value)} values into {len(target.elts)} names",
                               lowering.loc_of(target), hint="Make both sides the same length.")
            parts = [Const(v) for v in value.value]
        else:
            # Python raises when the lengths differ; so does the generated code.
            lowering.emit(Callee(CALL, "check_unpack", runtime.check_unpack, runtime.check_unpack),
                          [value, Const(len(target.elts))], hint="unpacked", node=target)
            lowering.ops[-1].keep = True
            parts = [lowering.emit(Callee(GETITEM, "[]", operator.getitem), [value, Const(i)],
                                   hint="item", node=value_node) for i in range(len(target.elts))]
        for elt, part in zip(target.elts, parts):
            _assign(elt, part, value_node, lowering, scope, namer)
    elif isinstance(target, gast.Subscript):
        raise UnsupportedSyntaxError("assignment into an array element is not supported yet",
                                     lowering.loc_of(target),
                                     hint="Build the array functionally (np.where, np.concatenate) "
                                          "instead of writing into it.")
    else:
        raise UnsupportedSyntaxError(f"cannot assign to {type(target).__name__}", lowering.loc_of(target),
                                     hint="Assign to a plain name.")


def _flat(operands):
    for x in operands:
        if isinstance(x, tuple):
            yield from _flat(x)
        else:
            yield x


def _bind(name, value, lowering, scope, namer, node):
    """Bind a user name to `value`: rename the temp that computed it, or emit a copy-free alias."""
    if isinstance(value, tuple):
        value = lowering._materialize(value, node)
    made_here = isinstance(value, Var) and value.is_temp and any(value in op.results for op in lowering.ops)
    if made_here and not any(value is x for op in lowering.ops for x in _flat(op.operands())):
        # The temp was made for this statement and is used nowhere else: give it the user's name.
        namer.taken.discard(value.name)
        value.name = namer.fresh(name)
        value.is_temp = False
        scope.locals[name] = value
        return
    # `y = x` or `y = 3.0`: the name just denotes the existing value, no op needed.
    scope.locals[name] = value
