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
import operator

import gast

from .. import runtime
from ..errors import SctError, UnsupportedSyntaxError
from ..ir import CALL, GETITEM, SETITEM, Callee, Const, Var
from . import containers
from .aliasing import rebind_everywhere, refuse_shared_write, was_appended
from .scope import HIDDEN_NAMES
from .static_values import LocalObject
from .unsupported_syntax import unsupported


def assign(target, value, value_node, lowering, scope, namer):
    """Assign the operand `value` (computed by `value_node`) to `target`: a name, a tuple or
    list of targets, an item `y[i]` or an attribute `obj.w`."""
    if isinstance(target, gast.Name):
        bind(target.id, value, lowering, scope, namer, target)
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
    if not isinstance(target.value, gast.Name):
        raise UnsupportedSyntaxError("writing into an element of an element (`a[i][j] = ...`) or of an "
                                     "attribute is not supported", loc,
                                     hint="Index once: `a[i, j] = ...`.")
    name = target.value.id
    array = scope.lookup(name, target.value)
    if containers.is_static(array):  # `d["k"] = v`, `xs[0] = v`: every name for it sees the change
        index = lowering.value(target.slice)
        if not (isinstance(index, Const) and index.spelling is None):
            raise UnsupportedSyntaxError(f"writing into {name!r} at a computed index is not supported", loc,
                                         hint="Write at a constant index or key.")
        rebind_everywhere(scope, array, containers.with_item(array, index.value, value, loc))
        return
    if not isinstance(array, Var):
        raise UnsupportedSyntaxError(f"writing into {name!r}, which is not an array computed in the "
                                     f"function, is not supported", loc,
                                     hint=f"Write into a copy: `{name} = np.array({name})` first.")
    index = lowering.value(target.slice)
    if was_appended(array, scope):
        raise UnsupportedSyntaxError(f"{name!r}, or the array it is a view of, was put in a list, and this write "
                                     f"would change that item too", loc,
                                     hint=f"Append a copy: `.append({name}.copy())`, or make a new array here.")
    refuse_shared_write(name, array, loc, scope)
    result = lowering.emit(Callee(SETITEM, "setitem", operator.setitem), [array, index, value],
                           hint=name, node=target)
    # The caller's names for an array written in a function it calls see the write, and so
    # do the lists, dicts and objects holding it.
    rebind_everywhere(scope, array, result, names_here=False)
    bind(name, result, lowering, scope, namer, target)


def write_attribute(target, value, lowering, scope):
    """`name.attr = value` on an object made in the function: a LocalObject with that
    attribute, for every name of the old one (in callers too, as Python would show)."""
    loc = lowering.loc_of(target)
    if not isinstance(target.value, gast.Name):
        raise UnsupportedSyntaxError("setting an attribute of an attribute or an item (`a.b.c = ...`) is not "
                                     "supported", loc, hint="Give the inner object a name first: `b = a.b` "
                                                            "then `b.c = ...`.")
    obj = scope.lookup(target.value.id, target.value)
    if not isinstance(obj, LocalObject):
        raise UnsupportedSyntaxError(f"setting an attribute of {target.value.id!r} is not supported: sct follows "
                                     f"the attributes of objects of your own classes, made in the function or "
                                     f"passed in, not of globals or library objects", loc,
                                     hint="Keep the value in a local name, or pass the object in as an argument.")
    rebind_everywhere(scope, obj, obj.with_attribute(target.attr, value))
