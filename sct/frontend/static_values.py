"""What lowering knows as Python objects rather than as IR values.

Takes what the lowering resolves or makes while it runs: a name that denotes a
module, a function or a constant (`GlobalRef`), an object the function makes or
takes apart (`LocalObject`), a `functools.partial` it makes (`LocalPartial`),
`super()` in a method (`LocalSuper`). Guarantees none of them is an IR operand: the
lowering reads them (an attribute, a method to inline, the function a partial
calls), and only ops and `Const`s reach the IR. For a call of a GlobalRef: the
function behind a `functools.partial` (`unpartial`) and the call's operands bound to
its parameters (`bind_arguments`). A local function (`def`, `lambda`) is
`scope.LocalFunction`: calling one lowers its body in a scope of its own.
"""
import functools
import inspect

from ..errors import SctError
from ..ir import Const


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


class LocalObject:
    """An object made in the function being lowered: an instance of the user's own class,
    a dataclass or a SimpleNamespace. Not an IR value: its attributes are operands, read
    and set while lowering (setting one makes a new LocalObject, and every name for the
    old one is rebound, as every name for one Python object sees the change), a method
    call is inlined with `self` bound to it, and a loop carries its attributes one by one.
    `maybe_missing` names the attributes that some path to here did not set (a branch or a
    loop set them, or made the object, on some paths only): each holds None on those
    paths, where Python's read would raise, so what it holds may be read, but whether the
    object has it is not known while lowering (no `hasattr` can be decided from it)."""

    def __init__(self, cls, attributes, source=None, maybe_missing=frozenset()):
        self.cls, self.attributes = cls, dict(attributes)
        self.source = source  # for an object argument taken apart: the argument (a Var)
        self.maybe_missing = frozenset(maybe_missing)

    def with_attribute(self, name, value):
        return LocalObject(self.cls, {**self.attributes, name: value}, maybe_missing=self.maybe_missing - {name})

    @property
    def is_namedtuple(self):
        """A namedtuple: its attributes are its fields, and it is the tuple of them too."""
        return issubclass(self.cls, tuple)

    def same_layout(self, other):
        return isinstance(other, LocalObject) and other.cls is self.cls and \
            list(other.attributes) == list(self.attributes)


class LocalPartial:
    """`functools.partial(f, *args, **kwargs)` made in the function being lowered: not an
    IR value (its arguments may be computed values); a call of it calls `f` with them."""

    def __init__(self, func, args, kwargs):
        self.func, self.args, self.kwargs = func, args, dict(kwargs)


class BoundContainerMethod:
    """`d.get` (a method of a container known when lowering that only reads it) used as a
    value, as in `sorted(d, key=d.get)`: a call of it calls the method on the container."""

    READERS = ("get", "keys", "values", "items", "copy")

    def __init__(self, container, name):
        self.container, self.name = container, name


class LocalSuper:
    """`super()` in a method of a LocalObject: its methods are those after `cls` in the
    object's class's MRO."""

    def __init__(self, obj, cls):
        self.obj, self.cls = obj, cls


def unpartial(func, args, kwargs):
    """A call of `functools.partial(f, ...)` (a GlobalRef) as a call of `f`, with the bound
    arguments first: (func, args, kwargs)."""
    if isinstance(func.obj, functools.partial):
        partial = func.obj
        func = GlobalRef(func.spelling, partial.func, func.root_obj)
        args = [Const(a) for a in partial.args] + list(args)
        kwargs = dict({k: Const(v) for k, v in partial.keywords.items()}, **kwargs)
    return func, args, kwargs


def bind_arguments(func, args, kwargs, loc):
    """The call's operands bound to the parameters of `func` (a GlobalRef), as Python
    binds them; a call that does not fit them is the user's error, reported at `loc`."""
    try:
        return inspect.signature(func.obj).bind(*args, **kwargs)
    except TypeError as e:
        raise SctError(f"{func.spelling}() {e}", loc, hint=f"Call it with its arguments: "
                       f"{func.spelling}{inspect.signature(func.obj)}.") from None
