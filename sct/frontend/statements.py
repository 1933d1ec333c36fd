"""Statements without control flow: assignments, `x += v`, a local `def`, `assert`, an
expression statement.

Takes one such statement with the scope, the `Namer`, `loc_of` and the names the
function puts in a list or dict by reference. Returns its ops, after which the
scope's bindings are Python's (assignment targets: targets.py).
Guarantees an in-place update (`x += v`, `obj.w += v`) that NumPy would make visible
through another name is checked when it runs (`runtime.check_rebinding`), and any
other statement but `pass` is refused with `unsupported`: `if`, loops, `return`,
`break` and `continue` are lowered by control_flow.py.
"""
import gast

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..ir import ASSERT, BINOP, CALL, Callee, Const, Var
from . import containers
from .aliasing import iterated_by, sharing, sharing_names
from .expressions import BINOPS, ExprLowering
from .scope import LocalFunction
from .static_values import GlobalRef
from .targets import assign, bind, write_attribute, write_item
from .unsupported_syntax import unsupported


def lower_simple_statement(stmt, scope, namer, loc_of, stored_names):
    """Lower one statement without control flow; returns its ops. `stored_names`: the
    names whose value the function puts in a list or dict by reference."""
    stmt_loc = loc_of(stmt)
    lowering = ExprLowering(scope, namer, loc_of, stmt_loc)
    if isinstance(stmt, gast.Assign):
        value = lowering.value(stmt.value)
        for target in stmt.targets:
            assign(target, value, stmt.value, lowering, scope, namer)
    elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Subscript):
        fn, symbol, hint = BINOPS[type(stmt.op)]
        current = lowering.value(stmt.target)  # y[i], read before the write
        holder = scope.lookup(stmt.target.value.id, stmt.target.value) \
            if isinstance(stmt.target.value, gast.Name) else None
        if containers.is_static(holder):  # `d["a"] *= 3`: NumPy changes the array d["a"] in place
            spelled = f"{stmt.target.value.id}[...]"
            _check_in_place(current, spelled, symbol, sharing_names(scope, current, None, holder), lowering,
                            scope, stmt, loc_of)
        value = lowering.emit(Callee(BINOP, symbol, fn), [current, lowering.value(stmt.value)],
                              hint=hint, node=stmt)
        write_item(stmt.target, value, lowering, scope, namer)
    elif isinstance(stmt, gast.AugAssign):
        fn, symbol, hint = BINOPS[type(stmt.op)]
        maybe = []  # (words, value): what may share its memory or hold it, which the check asks
        if isinstance(stmt.target, gast.Attribute):  # `obj.total += x`
            spelled = f"{getattr(stmt.target.value, 'id', '...')}.{stmt.target.attr}"
            current = lowering.value(gast.Attribute(stmt.target.value, stmt.target.attr, gast.Load()))
            owner = lowering.value(stmt.target.value) if isinstance(stmt.target.value, gast.Name) else None
            aliases = sharing_names(scope, current, None, owner)
        else:
            spelled = stmt.target.id
            current = scope.lookup(stmt.target.id, stmt.target)
            current = current.as_const() if isinstance(current, GlobalRef) else current
            aliases = []
            for other, bound in sharing(scope, current, stmt.target.id):
                if isinstance(bound, Var) and bound is not current:  # a slice of it, what it is a slice of
                    maybe.append((other, bound))
                else:
                    aliases.append(other)
            # A name its value was stored from (`hs.append(h)`, `d[k] = h`, maybe in a loop, so
            # that it holds the value the next iteration updates): a list or dict holding it, or
            # an array, which copied it.
            if current in getattr(scope, "appended", ()):  # (appended by a function this one called)
                aliases.append("a list or dict it was put in")
            for holder in stored_names.get(stmt.target.id, ()):
                bound = scope.locals.get(holder)
                if isinstance(bound, Var):
                    maybe.append(("a list or dict it was put in", bound))
        _check_in_place(current, spelled, symbol, aliases, lowering, scope, stmt, loc_of, maybe)
        value = lowering.emit(Callee(BINOP, symbol, fn), [current, lowering.value(stmt.value)],
                              hint=hint, node=stmt)
        if isinstance(stmt.target, gast.Attribute):
            write_attribute(stmt.target, value, lowering, scope)
        else:
            bind(stmt.target.id, value, lowering, scope, namer, stmt)
    elif isinstance(stmt, gast.AnnAssign):
        if stmt.value is not None:
            value = lowering.value(stmt.value)
            assign(stmt.target, value, stmt.value, lowering, scope, namer)
    elif isinstance(stmt, gast.FunctionDef):
        if stmt.decorator_list:
            raise UnsupportedSyntaxError("decorated local functions are not supported", loc_of(stmt),
                                         hint="Define it without decorators, or at module level.")
        for node in gast.walk(stmt):
            if isinstance(node, (gast.Nonlocal, gast.Global)):
                raise UnsupportedSyntaxError("a local function that rebinds outer names is not supported",
                                             loc_of(node), hint="Return the new value instead.")
        scope.locals[stmt.name] = LocalFunction(stmt, scope, lowering.defaults(stmt))
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


def _check_in_place(current, spelled, symbol, aliases, lowering, scope, stmt, loc_of, maybe=()):
    """Before `spelled op= ...` on the value `current`: for a number a new binding (the
    `aliases`, other names for it, keep the old value); for an array NumPy writes in place,
    so they would change too, as would the array a loop around it iterates: checked when
    it runs, refused for an array; for those in `maybe` ((words, value): what may share
    its memory or hold it), only if they share its memory or hold it then."""
    if not isinstance(current, Var):
        return
    iterated = iterated_by(current, scope)
    if iterated is not None:  # NumPy's iterator sees the change: refused for an array
        args = [current, Const(f"{spelled} {symbol}="), Const(iterated[0].strip("'")), Const(loc_of(stmt)),
                Const(None), Const(()), Const(iterated[1].line)]
    elif aliases or maybe:
        args = [current, Const(f"{spelled} {symbol}="), Const((aliases + [w for w, _ in maybe])[0]),
                Const(loc_of(stmt))]
        if not aliases:
            args += [tuple(v for _, v in maybe), Const(tuple(w for w, _ in maybe))]
    else:
        return
    lowering.emit(Callee(CALL, "check_rebinding", runtime.check_rebinding, runtime.check_rebinding),
                  args, hint="checked", node=stmt)
    lowering.ops[-1].keep = True
