"""Assignment targets: what `x = v`, `a, b = v`, `y[i] = v` and `obj.w = v` bind.

Takes a gast target, the operand assigned to it, and the `ExprLowering` of the
statement, whose ops receive what the assignment needs (unpacking, an item write,
a run-time length check). Used by assignments, loop variables and comprehensions
alike. Guarantees the scope's bindings afterwards are Python's: a name denotes the
value (the temp that computed it takes the user's name), unpacking checks its
length, and an item or attribute write makes a new array, container or object that
every name for the old one denotes (writes through shared memory are refused: see
aliasing.py).
"""
import dataclasses
import operator

import gast

from .. import runtime
from ..errors import SctError, UnsupportedSyntaxError
from ..ir import CALL, GETITEM, SETITEM, Callee, Const, Var
from . import containers
from .aliasing import rebind_everywhere, refuse_shared_write, refuse_write_into_iterated, was_appended
from .scope import HIDDEN_NAMES, check_iterator_use, refuse_stored_iterator
from .static_values import LocalObject
from .unsupported_syntax import unsupported


def assign(target, value, value_node, lowering, scope, namer):
    """Assign the operand `value` (computed by `value_node`) to `target`: a name, a tuple or
    list of targets, an item `y[i]` or an attribute `obj.w`."""
    if isinstance(target, gast.Name):
        bind(target.id, value, lowering, scope, namer, target)
    elif isinstance(target, (gast.Tuple, gast.List)):
        value = containers.sequence_of(value)  # a namedtuple unpacks as its fields
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
            assign(elt, part, value_node, lowering, scope, namer)
    elif isinstance(target, gast.Subscript):
        write_item(target, value, lowering, scope, namer)
    elif isinstance(target, gast.Attribute):
        write_attribute(target, value, lowering, scope)
    else:
        raise UnsupportedSyntaxError(f"cannot assign to {type(target).__name__}", lowering.loc_of(target),
                                     hint="Assign to a plain name.")


def bind(name, value, lowering, scope, namer, node):
    """Bind a user name to `value`: rename the temp that computed it, or emit a copy-free alias."""
    check_iterator_use(value, name, getattr(scope, "tree", None), lowering.loc_of(node), scope)
    if containers.is_static(value):  # the name denotes the container itself (`b = a` aliases it)
        scope.locals[name] = value
        return
    made_here = isinstance(value, Var) and value.is_temp and any(value in op.results for op in lowering.ops)
    if made_here and not any(value is x for op in lowering.ops for x in containers.flat(op.operands())):
        # The temp was made for this statement and is used nowhere else: give it the user's name.
        namer.taken.discard(value.name)
        value.name = namer.fresh(HIDDEN_NAMES.get(name, name))
        value.is_temp = False
        scope.locals[name] = value
        return
    # `y = x` or `y = 3.0`: the name just denotes the existing value, no op needed.
    scope.locals[name] = value


def write_item(target, value, lowering, scope, namer):
    """`name[index] = value`: a functional update `name_1 = setitem(name, index, value)`
    (a copy, then the write, in the generated code). Python would also change every
    other name for the same array, or for a view of it; such writes are refused
    rather than given a different meaning."""
    loc = lowering.loc_of(target)
    refuse_stored_iterator([value], loc, scope)
    if isinstance(target.value, (gast.Subscript, gast.Attribute)):  # `M[i][j] = v`, `self.W[i] = v`
        _write_through(target.value, lowering.value(target.slice), value, target, lowering, scope, namer)
        return
    if not isinstance(target.value, gast.Name):
        raise UnsupportedSyntaxError("writing into an item of this expression is not supported", loc,
                                     hint="Name the array first: `y = ...` then `y[i] = ...`.")
    name = target.value.id
    array = scope.lookup(name, target.value)
    _write_named(name, array, lowering.value(target.slice), value, target, lowering, scope, namer)


def _write_static(container, spelled, index, value, loc, scope):
    """`container[index] = value` into a list or dict known when lowering: every name and
    holder of it sees the change."""
    if not (isinstance(index, Const) and index.spelling is None):
        raise UnsupportedSyntaxError(f"writing into {spelled} at a computed index is not supported", loc,
                                     hint="Write at a constant index or key.")
    rebind_everywhere(scope, container, containers.with_item(container, index.value, value, loc))


def _write_named(name, array, index, value, target, lowering, scope, namer):
    """`name[index] = value`, `array` being what `name` denotes (write_item)."""
    loc = lowering.loc_of(target)
    if containers.is_static(array):  # `d["k"] = v`, `xs[0] = v`: every name for it sees the change
        _write_static(array, repr(name), index, value, loc, scope)
        return
    if not isinstance(array, Var):
        raise UnsupportedSyntaxError(f"writing into {name!r}, which is not an array computed in the "
                                     f"function, is not supported", loc,
                                     hint=f"Write into a copy: `{name} = np.array({name})` first.")
    if was_appended(array, scope):
        raise UnsupportedSyntaxError(f"{name!r}, or the array it is a view of, was put in a list, and this write "
                                     f"would change that item too", loc,
                                     hint=f"Append a copy: `.append({name}.copy())`, or make a new array here.")
    refuse_write_into_iterated(name, array, loc, scope)
    refuse_shared_write(name, array, loc, scope)
    result = lowering.emit(Callee(SETITEM, "setitem", operator.setitem), [array, index, value],
                           hint=name, node=target)
    # The caller's names for an array written in a function it calls see the write, and so
    # do the lists, dicts and objects holding it.
    rebind_everywhere(scope, array, result, names_here=False)
    bind(name, result, lowering, scope, namer, target)


def _write_through(holder_node, index, value, target, lowering, scope, namer):
    """`holder[index] = value` where `holder` is read by the item or attribute `holder_node`
    (`M[i]`, `self.W`, `d["W"]`): the write changes what holds it, as in Python. A list,
    dict or array that an object or a container known here holds is written and rebound
    wherever it is held; an item of a run-time array or list (`M[i]`, a view of M for a
    basic index) is written, then put back, `M[i] = written`, which is Python's meaning
    only where M[i] is a view (an array's basic index) or the item itself (a list's int
    index): any other index, which makes a copy whose write Python loses, is refused."""
    loc = lowering.loc_of(target)
    spelled = _spelling(holder_node)
    outer = outer_index = None
    if isinstance(holder_node, gast.Attribute):
        owner = lowering.value(holder_node.value)
        if not isinstance(owner, LocalObject):
            raise UnsupportedSyntaxError(f"writing into {spelled}, an attribute of an object sct does not follow, is "
                                         f"not supported", loc, hint="Keep the array in a local name, or pass the "
                                         "object in as an argument.")
        holder = lowering.value(holder_node)
    else:
        outer = containers.sequence_of(lowering.value(holder_node.value))
        outer_index = lowering.value(holder_node.slice)
        if containers.is_static(outer):
            if not (isinstance(outer_index, Const) and outer_index.spelling is None):
                raise UnsupportedSyntaxError(f"writing into {spelled}, at a computed index of a container known "
                                             f"when lowering, is not supported", loc,
                                             hint="Index it with a constant, or name the item first.")
            holder = containers.item(outer, outer_index.value, loc)
        else:
            outer = lowering.materialize(outer, holder_node.value)
            holder = lowering.emit(Callee(GETITEM, "[]", operator.getitem), [outer, outer_index], hint="item",
                                   node=holder_node)
    holder = containers.sequence_of(holder)
    if containers.is_static(holder):  # a list or dict held by an object or container: every holder sees it
        _write_static(holder, spelled, index, value, loc, scope)
        return
    if not isinstance(holder, Var):
        raise UnsupportedSyntaxError(f"writing into {spelled}, which is not an array computed in the function, is "
                                     f"not supported", loc, hint="Write into a copy made in the function.")
    if outer is None or containers.is_static(outer):  # the array held by an object or a container known here
        if was_appended(holder, scope):
            raise UnsupportedSyntaxError(f"{spelled} was put in a list, and this write would change that item too",
                                         loc, hint="Append a copy, or make a new array here.")
        refuse_shared_write(spelled, holder, loc, scope)
        result = lowering.emit(Callee(SETITEM, "setitem", operator.setitem), [holder, index, value],
                               hint=_hint(holder_node), node=target)
        rebind_everywhere(scope, holder, result, names_here=False)
        return
    # `M[i][j] = v` of a run-time array or list M: M[i] written, then put back into M
    _check_write_through_index(outer, outer_index, spelled, holder_node, lowering)
    written = lowering.emit(Callee(SETITEM, "setitem", operator.setitem), [holder, index, value],
                            hint="item", node=target)
    if isinstance(holder_node.value, gast.Name):
        name = holder_node.value.id
        _write_named(name, scope.lookup(name, holder_node.value), outer_index, written, holder_node, lowering,
                     scope, namer)
    elif isinstance(holder_node.value, (gast.Subscript, gast.Attribute)):
        _write_through(holder_node.value, outer_index, written, holder_node, lowering, scope, namer)
    else:
        raise UnsupportedSyntaxError(f"writing into {spelled} is not supported", loc,
                                     hint="Name the array first: `y = ...` then `y[i][j] = ...`.")


def _check_write_through_index(container, index, spelled, node, lowering):
    """`container[index]` must be a view of the array or the list's item itself for a write
    into it to reach `container`: decided now for a constant index, else checked when it runs."""
    if isinstance(index, Const) and index.spelling is None:
        if isinstance(index.value, int) and not isinstance(index.value, bool):
            return  # an array's row (a view) or a list's item: either way the write reaches it
        if isinstance(index.value, (list, tuple)) and not runtime.is_basic_index(index.value):
            raise UnsupportedSyntaxError(f"{spelled} with this index is a copy, so Python would lose a write into it",
                                         lowering.loc_of(node), hint="Index once, `a[i, j] = v`, or write into "
                                                                     "a named copy and assign it back.")
    check = runtime.check_write_through
    lowering.emit(Callee(CALL, check.__name__, check, check), [container, index, Const(spelled),
                                                                Const(lowering.loc_of(node))],
                  hint="checked", node=node)
    lowering.ops[-1].keep = True


def _spelling(node):
    """How the user wrote `node` (for messages)."""
    import ast
    try:
        return ast.unparse(gast.gast_to_ast(node))
    except Exception:
        return "this item"


def _hint(node):
    return node.attr if isinstance(node, gast.Attribute) else "item"


def write_attribute(target, value, lowering, scope):
    """`name.attr = value` on an object made in the function: a LocalObject with that
    attribute, for every name of the old one (in callers too, as Python would show)."""
    loc = lowering.loc_of(target)
    refuse_stored_iterator([value], loc, scope)
    if not isinstance(target.value, gast.Name):
        raise UnsupportedSyntaxError("setting an attribute of an attribute or an item (`a.b.c = ...`) is not "
                                     "supported", loc, hint="Give the inner object a name first: `b = a.b` "
                                                            "then `b.c = ...`.")
    obj = scope.lookup(target.value.id, target.value)
    if not isinstance(obj, LocalObject):
        raise UnsupportedSyntaxError(f"setting an attribute of {target.value.id!r} is not supported: sct follows "
                                     f"the attributes of objects of your own classes, made in the function or "
                                     f"passed in, not of globals or library objects, nor of a name that may be "
                                     f"None or another value here (as before the loop or `if` that makes the "
                                     f"object)", loc,
                                     hint="Keep the value in a local name, pass the object in as an argument, or "
                                          "make the object before the loop or `if` (its attributes may start "
                                          "as 0.0).")
    if obj.is_namedtuple or (dataclasses.is_dataclass(obj.cls) and obj.cls.__dataclass_params__.frozen):
        what = "a namedtuple's field" if obj.is_namedtuple else f"field {target.attr!r} of a frozen dataclass"
        copy = f"obj._replace({target.attr}=...)" if obj.is_namedtuple else \
            f"dataclasses.replace(obj, {target.attr}=...)"
        raise SctError(f"cannot assign to {what} ({obj.cls.__name__}): Python raises here", loc,
                       hint=f"Make a changed copy: {copy}.")
    rebind_everywhere(scope, obj, obj.with_attribute(target.attr, value))
