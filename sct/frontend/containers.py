"""Tuples, lists and dicts whose structure is known when lowering.

While lowering, a container of computed values is a structured operand (`tuple`,
`ir.ListOf` or `ir.DictOf` of operands), not a run-time value: indexing it with a
constant, unpacking it, iterating over it, `len`, `zip`, `enumerate`, `.items()`,
`append` and item writes all resolve to its items, so the generated code works on
the arrays directly and each array's adjoint is an ordinary one. Only where a single
run-time value is needed (a computed index, a loop that carries it, a call that
takes it) does it become one, as a literal.
"""
from ..errors import SctError
from ..ir import Const, DictOf, ListOf, rebuild
from .static_values import LocalObject

KIND_NAMES = {tuple: "tuple", ListOf: "list", DictOf: "dict"}


class OnePassItems(ListOf):
    """The items of zip(), enumerate(), reversed() or map() of containers known when
    lowering: Python's value is an iterator (of type `kind`), used up by its first use, so
    it is taken apart where it is used, and a name or parameter bound to it may be read
    only once (scope.check_iterator_use)."""

    def __new__(cls, items, kind):
        made = super().__new__(cls, items)
        made.kind = kind
        return made

    def rebuild(self, items):
        return ListOf(items)


def is_static(x):
    """True for a structured operand (a container of operands known when lowering)."""
    return isinstance(x, tuple)


def sequence_of(x):
    """A namedtuple made or taken apart while lowering (a LocalObject) as what it also is,
    the tuple of its fields; anything else itself."""
    if isinstance(x, LocalObject) and x.is_namedtuple:
        return tuple(x.attributes.values())
    return x


def as_static(x):
    """`x` as a structured operand: itself, a namedtuple's fields, or a constant
    tuple/list/dict's items as Consts; None for anything else."""
    x = sequence_of(x)
    if is_static(x):
        return x
    if isinstance(x, Const) and x.spelling is None:
        v = x.value
        if type(v) is tuple:
            return tuple(Const(e) for e in v)
        if type(v) is list:
            return ListOf(Const(e) for e in v)
        if type(v) is dict:
            return DictOf(v.keys(), [Const(e) for e in v.values()])
    return None


def same_layout(a, b):
    """Both containers of the same kind, length and keys (their items may differ)."""
    return is_static(a) and is_static(b) and type(a) is type(b) and len(a) == len(b) \
        and getattr(a, "keys", None) == getattr(b, "keys", None)


def kind_name(container):
    return "iterator" if isinstance(container, OnePassItems) else KIND_NAMES[type(container)]


def item(container, index, loc):
    """`container[index]` for a constant `index` (an int, a slice, or a dict key)."""
    if isinstance(container, DictOf):
        try:
            return container[container.keys.index(index)]
        except (ValueError, TypeError):
            raise SctError(f"this dict has no key {index!r}", loc,
                           hint=f"Its keys are: {', '.join(map(repr, container.keys)) or 'none'}.") from None
    if isinstance(index, slice):
        return rebuild(container, container[index])
    if isinstance(index, int) and not isinstance(index, bool):
        if not -len(container) <= index < len(container):
            raise SctError(f"index {index} is out of range for this {kind_name(container)} of "
                           f"{len(container)} items", loc, hint="Use an index within its length.")
        return container[index]
    raise SctError(f"a {kind_name(container)} cannot be indexed with {index!r}", loc,
                   hint="Index it with an int or a slice.")


def with_item(container, index, value, loc):
    """A copy of `container` with `[index] = value` (constant `index`): an item write."""
    if isinstance(container, DictOf):
        if index in container.keys:
            position = container.keys.index(index)
            return DictOf(container.keys, container[:position] + (value,) + container[position + 1:])
        return DictOf(container.keys + (index,), container + (value,))
    if type(container) is tuple:
        raise SctError("a tuple cannot be changed", loc, hint="Build a new tuple, or use a list.")
    if not isinstance(index, int) or isinstance(index, bool) or not -len(container) <= index < len(container):
        raise SctError(f"cannot write item {index!r} of a list of {len(container)} items", loc,
                       hint="Write to an existing index, or use .append().")
    items = list(container)
    items[index] = value
    return ListOf(items)


def iteration_items(container):
    """What `for x in container` visits: the items, or a dict's keys."""
    if isinstance(container, DictOf):
        return [Const(k) for k in container.keys]
    return list(container)


def concatenate(left, right, loc):
    """`left + right` of two tuples or two lists."""
    if type(left) is not type(right) or isinstance(left, DictOf):
        raise SctError(f"cannot add a {kind_name(left)} and a {kind_name(right)}", loc,
                       hint="Add two lists or two tuples.")
    return rebuild(left, left + right)


def method(container, name, args, loc):
    """`container.name(*args)` for the methods that only rearrange items:
    (result, new container or None when it is unchanged)."""
    kind = kind_name(container)
    if name == "copy" and not args and type(container) is not tuple:
        return rebuild(container, container), None
    if isinstance(container, ListOf):
        if name == "append" and len(args) == 1:
            return Const(None), ListOf(container + (args[0],))
        if name == "extend" and len(args) == 1 and as_static(args[0]) is not None:
            return Const(None), ListOf(container + tuple(iteration_items(as_static(args[0]))))
        if name == "pop" and not args and container:
            return container[-1], ListOf(container[:-1])
        if name == "pop" and len(args) == 1 and _is_int(args[0]):
            position = args[0].value
            item(container, position, loc)  # (an IndexError as Python's, at the call)
            items = list(container)
            return items.pop(position), ListOf(items)
        if name == "insert" and len(args) == 2 and _is_int(args[0]):
            items = list(container)
            items.insert(args[0].value, args[1])  # Python's own clamping of the position
            return Const(None), ListOf(items)
        if name == "reverse" and not args:
            return Const(None), ListOf(reversed(container))
        if name == "clear" and not args:
            return Const(None), ListOf(())
    if isinstance(container, DictOf):
        if name == "keys" and not args:
            return ListOf(Const(k) for k in container.keys), None
        if name == "values" and not args:
            return ListOf(container), None
        if name == "items" and not args:
            return ListOf((Const(k), v) for k, v in zip(container.keys, container)), None
        if name == "update" and all(_pairs(a) is not None for a in args) and len(args) <= 2:
            updated = container
            for other in args:  # (a second one holds the keywords)
                for key, value in _pairs(other):
                    updated = with_item(updated, key, value, loc)
            return Const(None), updated
        if name == "setdefault" and len(args) in (1, 2) and _is_key(args[0]):
            if args[0].value in container.keys:
                return item(container, args[0].value, loc), None
            value = args[1] if len(args) == 2 else Const(None)
            return value, with_item(container, args[0].value, value, loc)
        if name == "pop" and len(args) in (1, 2) and _is_key(args[0]):
            key = args[0].value
            if key not in container.keys:
                if len(args) == 2:
                    return args[1], None
                raise SctError(f"this dict has no key {key!r}", loc,
                               hint=f"Its keys are: {', '.join(map(repr, container.keys)) or 'none'}.")
            position = container.keys.index(key)
            return container[position], DictOf(container.keys[:position] + container.keys[position + 1:],
                                               container[:position] + container[position + 1:])
        if name == "clear" and not args:
            return Const(None), DictOf((), ())
        if name == "get" and len(args) in (1, 2) and isinstance(args[0], Const):
            if args[0].value in container.keys:
                return item(container, args[0].value, loc), None
            return (args[1] if len(args) == 2 else Const(None)), None
    raise SctError(f"`.{name}(...)` with these arguments is not supported on a {kind} of computed values",
                   loc, hint={"list": "Supported: append, extend, insert(i, v), pop(), pop(i), reverse, clear, copy "
                                      "(with constant positions).",
                              "dict": "Supported: keys, values, items, get, update, setdefault, pop, clear, copy "
                                      "(with constant keys).",
                              "tuple": "Index it or unpack it instead."}[kind])


def _is_int(x):
    return isinstance(x, Const) and isinstance(x.value, int) and not isinstance(x.value, bool)


def _is_key(x):
    return isinstance(x, Const) and x.spelling is None


def _pairs(other):
    """The (key, value) pairs of a dict or of a list of pairs known when lowering, keys
    constants; None otherwise."""
    other = as_static(other)
    if isinstance(other, DictOf):
        return list(zip(other.keys, other))
    if other is None:
        return None
    pairs = []
    for pair in iteration_items(other):
        pair = as_static(pair)
        if pair is None or isinstance(pair, DictOf) or len(pair) != 2 or not _is_key(pair[0]):
            return None
        pairs.append((pair[0].value, pair[1]))
    return pairs


def flat(operands):
    """The operands in `operands`, looking inside structured operands."""
    for x in operands:
        if isinstance(x, tuple):
            yield from flat(x)
        else:
            yield x
