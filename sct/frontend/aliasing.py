"""What shares memory, and what a write or an in-place change reaches.

Takes the scopes being lowered: their `locals`, `views` (Var -> the arrays whose memory
it may share: a slice's or a reshape's base, the arrays a join's result may be...; one
map for a whole lowering, the functions inlined into it included, see `roots`),
`appended` (Vars put in a list made at run time) and `index_arrays` (Vars that index
by advanced indexing, whose reads copy), and the old and new value of a write. The IR
is functional: `y[i] = v` makes a new array, `xs.append(x)` a new list, `obj.w = v` a
new object. Guarantees Python's meaning or an error: every name for the old object
denotes the new one, in this function and in those it is inlined into or closes over
(`rebind_everywhere`); a name that Python would show the write through but the
generated code would not (a view of the array, the array it views, another array an
`if` or a loop may have left the name as) is made unreadable (`_Stale`); a write that
would change an array put in a list is refused.
"""
import numpy as np

from ..analysis.activity import flat_vars
from ..errors import UnsupportedSyntaxError
from ..ir import ATTR, CALL, GETITEM, METHOD, Const, DictOf, ListOf, Var, rebuild
from .scope import Unreadable
from .static_values import LocalObject


# Methods of lists, dicts and arrays that change their object: the IR has no such effects.
MUTATING_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update",
                     "setdefault", "popitem", "fill", "put", "resize", "itemset", "partition", "setflags"}


# Ops whose result may share memory with their first argument (a write into either
# would show in both), by callee kind and name.
_VIEW_METHODS = {"reshape", "transpose", "ravel", "squeeze", "swapaxes", "view", "diagonal", "T", "mT", "real",
                 "imag", "flat", "base"}
_VIEW_FUNCTIONS = ("reshape", "transpose", "ravel", "squeeze", "swapaxes", "moveaxis", "rollaxis", "expand_dims",
                   "broadcast_to", "broadcast_arrays", "asarray", "asanyarray", "ascontiguousarray",
                   "asfortranarray", "require", "diagonal", "diag", "atleast_1d", "atleast_2d", "atleast_3d", "flip",
                   "fliplr", "flipud", "rot90", "real", "imag", "split", "array_split", "hsplit", "vsplit", "dsplit",
                   "unstack", "permute_dims", "matrix_transpose", "trim_zeros", "lib.stride_tricks.as_strided",
                   "lib.stride_tricks.sliding_window_view")


def _numpy_functions(names):
    """id -> the NumPy function, for those of `names` this NumPy has (known by object, however
    the user imported it)."""
    found = {}
    for name in names:
        obj = np
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is not None:
            found[id(obj)] = obj
    return found


_VIEW_FUNCTION_OBJECTS = _numpy_functions(_VIEW_FUNCTIONS)
# (the items of list(W), tuple(W), iter(W), reversed(W): W's rows)
_VIEW_FUNCTION_OBJECTS.update({id(f): f for f in (list, tuple, iter, reversed)})


# Functions whose result is an array (never a number, a slice or a hashable key): indexing
# with it is advanced indexing, which copies (`y[np.arange(2)]`, `y[np.nonzero(m)]`).
_INDEX_ARRAY_FUNCTIONS = {np.array, np.asarray, np.arange, np.nonzero, np.flatnonzero, np.argsort, np.argwhere,
                          np.where}


def may_be_view(op, index_arrays=()):
    """Whether the result of `op` may share memory with its first argument. An item read
    with an advanced index known while lowering (a list, an integer array from
    `_INDEX_ARRAY_FUNCTIONS` in `index_arrays`, a tuple holding one) makes a copy; any other
    (an integer, a slice, a boolean mask, which may also be a dict's key) may not."""
    c = op.callee
    if c.kind == GETITEM:
        return len(op.args) < 2 or not _advanced_index(op.args[1], index_arrays)
    return (c.kind in (METHOD, ATTR) and c.spelling in _VIEW_METHODS) or \
        (c.kind == CALL and id(c.obj) in _VIEW_FUNCTION_OBJECTS)


def makes_index_array(op):
    """Whether `op`'s result is an array that indexes by advanced indexing (see may_be_view)."""
    return op.callee.kind == CALL and any(op.callee.obj is f for f in _INDEX_ARRAY_FUNCTIONS)


def _advanced_index(index, index_arrays):
    if isinstance(index, Const):
        return _advanced_value(index.value)
    if isinstance(index, ListOf):
        return True
    if isinstance(index, tuple) and not isinstance(index, DictOf):
        return any(_advanced_index(part, index_arrays) for part in index)
    return isinstance(index, Var) and index in index_arrays


def _advanced_value(value):
    return isinstance(value, (list, np.ndarray)) or \
        (isinstance(value, tuple) and any(_advanced_value(part) for part in value))


def roots(v, views):
    """The arrays (Vars) whose memory `v` may share (`views[v]`: its base if it is a view,
    those a join may have left it as), or `v` itself when it is none of these. Empty for
    a constant."""
    return views.get(v, frozenset((v,))) if isinstance(v, Var) else frozenset()


def shares_memory(v, array, views):
    """Whether `v` and `array` may share memory: one is the other or a view of it, or both
    are views of, or joins that may be, one array (`views`: see `roots`)."""
    return isinstance(v, Var) and isinstance(array, Var) and bool(roots(v, views) & roots(array, views))


def note_view(views, result, values):
    """`result` may share the memory of any of `values` (a view of the first, a run-time
    container holding them, a recursive call that may return one, a join of them)."""
    if views is None:
        return
    shared = frozenset().union(*(roots(v, views) for v in flat_vars(values)))
    if shared:
        views[result] = shared | views.get(result, frozenset())


def note_join(scope, result, values):
    """`result` is one of `values` at run time (an If's or a Loop's result, each value a
    path's or an iteration's): it may share memory with each, so a write through it makes
    them stale, and a write into one of them makes it stale (each of the others is left
    alone: only `result` may be either)."""
    note_view(getattr(scope, "views", None), result, values)


def _links(scope):
    """Var -> the Vars it may share memory with as it was made: the arrays it views or a
    join may have left it as (`views`), and for a value a loop carries, the value it started from (`carried_from`:
    the carried Var and the loop's result may still be that array), over the scopes
    whose names the code can change."""
    links = {}
    for s in scope_chain(scope):
        for k, shared in getattr(s, "views", {}).items():
            links.setdefault(k, []).extend(shared)
        for k, vs in getattr(s, "carried_from", {}).items():
            links.setdefault(k, []).extend(vs)
    return links


def _origins(v, links):
    """`v` and every Var it may share memory with through `links`."""
    found, pending = [], [v]
    while pending:
        x = pending.pop()
        if isinstance(x, Var) and all(x is not f for f in found):
            found.append(x)
            pending += links.get(x, ())
    return found


def may_alias(a, b, scope, links=None):
    """Whether `a` and `b` may be the same array or share memory: `shares_memory`, also
    through the values loops carried them from."""
    if not (isinstance(a, Var) and isinstance(b, Var)):
        return False
    links = _links(scope) if links is None else links
    mine = _origins(a, links)
    return any(any(x is y for y in mine) for x in _origins(b, links))


def iterated_by(array, scope):
    """(the name, the location) of a loop around this code that iterates `array` or memory
    it shares (NumPy's iterator would see a write into it), or None."""
    links = _links(scope)
    for s in scope_chain(scope):
        for values, name, loc in reversed(getattr(s, "iterating", [])):
            if any(may_alias(array, v, scope, links) for v in values):
                return name, loc
    return None


def refuse_write_into_iterated(name, array, loc, scope):
    """A write into `array` inside a loop that iterates it: NumPy's iterator would see it,
    the generated loop would not."""
    found = iterated_by(array, scope)
    if found is not None:
        iterated, loop_loc = found
        raise UnsupportedSyntaxError(
            f"the loop at line {loop_loc.line} iterates {iterated} while this line writes into "
            f"{'it' if iterated == repr(name) else repr(name) + ', which shares its memory'}", loc,
            hint=f"Python's loop would see the written values. Iterate over a copy (`for t in x.copy()`), or "
                 f"index the array (`x[i]` in a `for i in range(len(x))` loop).")


def was_appended(array, scope):
    """Whether `array`, or memory it shares, was put in a list made at run time."""
    views = getattr(scope, "views", {})
    return any(shares_memory(v, array, views) for v in getattr(scope, "appended", ()))


def sharing_names(scope, value, name, owner=None):
    """The other names that `name op= ...` (or `owner.attr op= ...`) would change too,
    were `value` an array (NumPy updates arrays in place): names for the same value or
    for memory it shares (views), here and in the functions this one is inlined into,
    and the containers and objects holding it (other than `owner`). Empty for a value
    that is not a Var."""
    return [other for other, _ in sharing(scope, value, name, owner)]


def sharing(scope, value, name, owner=None):
    """(name, what it denotes) for each of `sharing_names`."""
    if not isinstance(value, Var):
        return []
    links = _links(scope)
    found = []
    for s in scope_chain(scope):
        for other, bound in s.locals.items():
            if (s is scope and other == name) or bound is owner:
                continue
            if isinstance(bound, Var):
                if may_alias(bound, value, scope, links):
                    found.append((other, bound))
            elif isinstance(bound, (tuple, LocalObject)) and \
                    any(may_alias(v, value, scope, links) for v in _held(bound)):
                found.append((other, bound))  # holding it, or a view of it (`hs = [W[:, 0]]`)
    return found


def _held(container):
    """The values a container or object holds, nested ones included."""
    for item in (container.attributes.values() if isinstance(container, LocalObject) else container):
        if isinstance(item, (tuple, LocalObject)):
            yield from _held(item)
        else:
            yield item


def refuse_shared_write(name, array, loc, scope):
    """Mark every other name for the memory `name` writes into (aliases, views of it,
    the array it is a view of, and that array's other views) as stale."""
    views = getattr(scope, "views", {})
    for s in scope_chain(scope):
        for other, v in list(s.locals.items()):
            if isinstance(v, (tuple, LocalObject)):  # holding the array itself: rebound; a view of it: stale
                if any(shares_memory(x, array, views) and x is not array for x in _held(v)):
                    s.locals[other] = _Stale(name, loc)
                continue
            if (s is scope and other == name) or not isinstance(v, Var) or (s is not scope and v is array):
                continue  # the written name, and the caller's names for the same array, see the write
            if shares_memory(v, array, views):
                s.locals[other] = _Stale(name, loc)


class _Stale(Unreadable):
    """What a name denotes after a write changed its array through another name: in
    Python it would show the new values, in the generated code the old ones, so it
    may not be read any more."""

    def __init__(self, written, loc):
        self.written, self.loc = written, loc

    def error(self, name, loc):
        return UnsupportedSyntaxError(
            f"{name!r} shares memory with {self.written!r}, which line {self.loc.line} wrote into",
            loc, hint=f"Python would show the written values through {name!r}; sct does not follow writes "
                      f"through shared memory. Make one of them a copy with .copy() before the write.")


def scope_chain(scope):
    """`scope`, then the scopes whose names its code can change in place: those of the
    functions it is inlined into (its callers) and, for a local function, the enclosing
    function's."""
    seen, pending = set(), [scope]
    while pending:
        s = pending.pop()
        if s is None or id(s) in seen:
            continue
        seen.add(id(s))
        yield s
        pending += [getattr(s, "parent", None), s.caller]


class OuterBindings:
    """Where paths split (an `if`, `a if c else b`): the bindings of the scopes the paths'
    code can change besides its own (those of `scope_chain`: the functions it is inlined
    into, an enclosing function's), which a write, an append or a set attribute rebinds.
    Each path starts from them (`restore`); what it leaves (`taken`) is joined name by
    name after both (`join`), so what one path changed is neither seen by the other nor
    taken for what both did (a helper rebinding its own parameter in an `if` leaves its
    caller's variable alone)."""

    def __init__(self, scope):
        self.scopes = [s for s in scope_chain(scope) if s is not scope]
        self.saved = [dict(s.locals) for s in self.scopes]

    def restore(self):
        for s, saved in zip(self.scopes, self.saved):
            s.locals.clear()
            s.locals.update(saved)

    def taken(self):
        """The bindings the path just lowered left, one dict per scope."""
        return [dict(s.locals) for s in self.scopes]

    def join(self, then_taken, else_taken, join_name):
        """Bind, in each scope, `join_name(name, then_value, else_value)` for each name the
        two paths left differently (None where a path left it unbound)."""
        for s, saved, t_locals, e_locals in zip(self.scopes, self.saved, then_taken, else_taken):
            joined = dict(saved)
            for name in sorted(set(t_locals) | set(e_locals)):
                t, e = t_locals.get(name), e_locals.get(name)
                joined[name] = t if t is e else join_name(name, t, e)
            s.locals.clear()
            s.locals.update(joined)


def rebind_everywhere(scope, old, new, outer_only=False, names_here=True):
    """After `old.append(x)` made the list `new` (or a write, an array; a set attribute,
    an object): every name for `old` denotes `new`, in this function and in the functions
    it is inlined into or closes over, and so do the containers and objects holding it,
    as every name for one Python object sees its change."""
    replaced = {id(old): new}  # id -> replacement, so one container held twice stays one

    def replace(value):
        if id(value) in replaced:
            return replaced[id(value)]
        if isinstance(value, tuple) and value:
            items = [replace(v) for v in value]
            made = value if all(a is b for a, b in zip(items, value)) else rebuild(value, items)
        elif isinstance(value, LocalObject):
            attributes = {k: replace(v) for k, v in value.attributes.items()}
            made = value if all(attributes[k] is v for k, v in value.attributes.items()) \
                else LocalObject(value.cls, attributes, maybe_missing=value.maybe_missing)
        else:
            return value
        replaced[id(value)] = made
        return made

    for s in scope_chain(scope):
        if outer_only and s is scope:
            continue
        for name, bound in list(s.locals.items()):
            if s is scope and not names_here and not isinstance(bound, (tuple, LocalObject)):
                continue  # (a name here for the written array is stale: see refuse_shared_write)
            made = replace(bound)
            if made is not bound:
                s.locals[name] = made
