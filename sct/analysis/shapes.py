"""Static shape facts: which values provably share a shape, and concrete shapes
where the arguments' shapes are known.

Two layers of facts:

* *classes*, always available: a ufunc applied to one array gives that array's
  shape; an array times a Python number keeps its shape; a full reduction gives a
  scalar. Each value gets a class, `SCALAR` or the Var that first had its shape
  (its root); equal classes mean equal shapes.
* *concrete shapes*, when the transform is specialized to the arguments' shapes:
  NumPy's shape rules propagated op by op (`None` where they cannot be).

The reverse transform uses both to skip or resolve `unbroadcast` statically.
"""
import dataclasses
import functools
import inspect
import operator
import os
import sys
import sysconfig
import types
from dataclasses import dataclass

import numpy as np

from ..errors import SctError
from ..ir import Const, If, Loop, Var, ATTR, BINOP, CALL, COMPARE, GETITEM, METHOD, SETITEM, UNARYOP
from .. import runtime

SCALAR = "scalar"
PYTHON_NUMBER = "number"  # the concrete "shape" of a Python int or float

_UFUNC_REDUCTIONS = {np.add.reduce, np.maximum.reduce, np.minimum.reduce, np.multiply.reduce}
REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.std, np.var, np.median}
_REDUCTIONS = REDUCTIONS | _UFUNC_REDUCTIONS
_REDUCTION_METHODS = {"sum", "mean", "max", "min", "prod", "std", "var"}
_SCALAR_CALLS = {float, int, len, np.size, np.ndim, runtime.scalar_seed, runtime.broadcast_copies}
# Runtime helpers whose result has exactly the shape of their second argument.
_SHAPE_OF_SECOND_ARGUMENT = {runtime.unbroadcast, runtime.expand, runtime.as_gradient, runtime.without_items,
                             runtime.add_at}
_ELEMENTWISE_OPERATORS = {"+", "-", "*", "/", "**", "//", "%", "&", "|", "^"}
# Calls that read only the *shape* (and whether it is a list or dict) of the given argument
# positions: any value of the same shape class can stand in, which lets the value itself
# die, or stay untaped in a loop.
SHAPE_ONLY_ARGS = {runtime.unbroadcast: (1, 2), runtime.unreduce: (1,), runtime.expand: (1,),
                   runtime.zero_gradient: (0,), runtime.without_items: (1,), runtime.items_of: (1,),
                   np.size: (0,), np.shape: (0,), np.ndim: (0,)}


@dataclass(frozen=True)
class Structure:
    """The fact for a tuple, list or dict argument, or an object of the user's own class
    or a SimpleNamespace (see `is_object_class`): its `kind` (the type), `keys` (a dict's
    keys or an object's attribute names, in order; None for a tuple or list) and each
    item's fact (a shape fact, a nested Structure, a FunctionFact, or None), in order.
    Code is always specialized to it: the lowering resolves indexing, iteration and
    attributes of such an argument to its items."""

    kind: type
    keys: tuple
    items: tuple

    def item(self, index):
        """The fact of `container[index]` for a constant index, or None."""
        try:
            return self.items[self.keys.index(index) if self.keys is not None else index]
        except (ValueError, IndexError, TypeError):
            return None

    def without_shapes(self):
        """The same structure with no concrete facts about its leaves (functions kept)."""
        return Structure(self.kind, self.keys, tuple(
            item.without_shapes() if isinstance(item, Structure) else item if isinstance(item, FunctionFact)
            else None for item in self.items))


@dataclass(frozen=True)
class FunctionFact:
    """The fact for a function kept in a container or object argument (`layer.act`): the
    function itself, so that a call of it is lowered as a call of that function."""

    fn: object


FUNCTION_KINDS = (types.FunctionType, types.BuiltinFunctionType, np.ufunc, functools.partial)

LIBRARY_PATHS = tuple(os.path.realpath(p) + os.sep for p in {
    sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})


def is_namedtuple_class(cls):
    """A class made by collections.namedtuple or typing.NamedTuple: a tuple whose items
    are also attributes, named by `_fields`."""
    return inspect.isclass(cls) and issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple) \
        and hasattr(cls, "_make")


def object_attributes(value):
    """The attributes of an object sct takes apart, by name in order: a namedtuple's
    fields, else its __dict__."""
    return dict(zip(type(value)._fields, value)) if isinstance(value, tuple) else vars(value)


@functools.lru_cache(maxsize=None)
def is_object_class(cls):
    """A SimpleNamespace, a namedtuple class, or a class of the user's own (not library
    code) whose instances are plain attribute holders: built by object.__new__,
    attributes set by object.__setattr__ (or a frozen dataclass's, which refuses them)
    and kept in __dict__. sct takes such objects apart."""
    if cls is types.SimpleNamespace or is_namedtuple_class(cls):
        return True
    frozen = dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    if not inspect.isclass(cls) or cls.__new__ is not object.__new__ or \
            (cls.__setattr__ is not object.__setattr__ and not frozen) \
            or cls.__mro__[-1] is not object or "__dict__" not in dir(cls):
        return False
    for klass in cls.__mro__[:-1]:
        # Its module's file, else where its methods were written (a module loaded from a
        # path need not be in sys.modules).
        files = [f.__code__.co_filename for f in vars(klass).values()
                 if inspect.isfunction(f) and not f.__code__.co_filename.startswith("<")]
        path = getattr(sys.modules.get(klass.__module__), "__file__", None) or (files[0] if files else None)
        if not path or any(os.path.realpath(path).startswith(prefix) for prefix in LIBRARY_PATHS):
            return False
    return True


def shape_of_value(value):
    """The concrete shape fact for a run-time value: a tuple for an exact ndarray,
    PYTHON_NUMBER for an int or float, a `Structure` for a tuple, list or dict (with
    str or int keys) or an object sct takes apart (`is_object_class`), None for
    anything else."""
    kind = type(value)
    if kind is np.ndarray:
        return value.shape
    if kind in (float, int):
        return PYTHON_NUMBER
    if kind in (tuple, list):
        return Structure(kind, None, tuple([_item_fact(v) for v in value]))
    if kind is dict and all(type(k) in (str, int) for k in value):
        return Structure(dict, tuple(value), tuple([_item_fact(v) for v in value.values()]))
    if is_object_class(kind):
        attributes = object_attributes(value)
        return Structure(kind, tuple(attributes), tuple([_item_fact(v) for v in attributes.values()]))
    return None


def _item_fact(value):
    """The fact of an item of a container or object argument: a function kept there is
    known by identity (the specialization key holds it too)."""
    return FunctionFact(value) if isinstance(value, FUNCTION_KINDS) else shape_of_value(value)


class ShapeClasses:
    """Shape facts of Vars, computed op by op with `add(op)`.

    `param_shapes` maps parameter names to concrete shape facts (see
    `shape_of_value`); leave it empty for code that must work for any shapes.
    """

    def __init__(self, params, param_shapes=None):
        # Facts are keyed by the Var itself (hashed by identity), not by id(var): the
        # dicts keep every Var they know alive, so a Var the transform discards cannot
        # free its address and hand its facts to a new Var allocated there.
        self.classes = {p: p for p in params}
        self.concrete = {}
        self.shape_tuples = set()  # values that are an array's .shape
        self.ranges = set()  # values that are range objects
        self.strict = True  # False in a branch, and while a loop body is analysed under a tentative assumption
        for p in params:
            fact = (param_shapes or {}).get(p.name)
            if fact is not None:
                self.concrete[p] = fact
                if fact == () or fact == PYTHON_NUMBER:
                    self.classes[p] = SCALAR

    def of(self, x):
        """The class of an operand."""
        if isinstance(x, Var):
            return self.classes.get(x, x)
        if isinstance(x, Const) and isinstance(x.value, (int, float, bool)) and x.spelling is None:
            return SCALAR
        return x  # any other constant: a class of its own

    def shape(self, x):
        """The concrete shape of an operand (PYTHON_NUMBER for a Python number), or None."""
        if isinstance(x, Var):
            return self.concrete.get(x)
        if isinstance(x, Const):
            if isinstance(x.value, (int, float)) and not isinstance(x.value, bool):
                return PYTHON_NUMBER
            if type(x.value) is np.ndarray:  # not a subclass: those may change NumPy's rules
                return x.value.shape
        return None

    def array_shape(self, x):
        """Like `shape`, with a Python number as the 0-d shape ()."""
        s = self.shape(x)
        return () if s is PYTHON_NUMBER else s

    def same(self, x, y):
        """True when x and y provably have the same shape."""
        if self.of(x) is self.of(y):
            return True
        sx, sy = self.array_shape(x), self.array_shape(y)
        return sx is not None and sx == sy

    def is_scalar(self, x):
        return self.of(x) is SCALAR or self.array_shape(x) == ()

    def set(self, var, cls, shape=None):
        self.classes[var] = cls
        if shape is not None:
            self.concrete[var] = shape

    def _replace(self, var, cls, shape):
        """Record var's facts from the pass now running, `shape` None meaning unknown. A loop
        body is analysed more than once, first under tentative assumptions; what an earlier
        pass found for var must not survive a pass that finds less."""
        self.classes[var] = cls
        if shape is None:
            self.concrete.pop(var, None)
        else:
            self.concrete[var] = shape

    def add_all(self, ops):
        """`add` every op, regions included, in program order."""
        for op in ops:
            if isinstance(op, Loop):
                self.add_loop(op)
                continue
            if isinstance(op, If):
                # A branch may never run (`if x.ndim == 1: y = W @ x`): shapes NumPy would
                # refuse there are not an error here, and NumPy raises if it does run.
                strict, self.strict = self.strict, False
                for region in op.regions():
                    self.add_all(region.body)
                self.strict = strict
            self.add(op)

    def add_loop(self, op):
        """Facts about a loop: its target (an int for a range, a row for an array), and its
        carried values, which keep their init's facts if every iteration does. The body is
        analysed assuming they hold (tentatively: a broadcast error found then is no error),
        the facts its yields contradict are weakened, and again until none is (a weakened
        value can change another's yield: `a = b; b = b + v`); then the body is analysed
        once more, for real, with only the facts that hold."""
        if op.target is not None:
            if isinstance(op.iterable, Var) and op.iterable in self.ranges:
                self._replace(op.target, SCALAR, PYTHON_NUMBER)
            else:
                shape = self.shape(op.iterable)
                self._replace(op.target, op.target, shape[1:] if isinstance(shape, tuple) and shape else None)
        for c, init in zip(op.carried, op.inits):
            self._replace(c, SCALAR if self.is_scalar(init) else c, self.shape(init))
        strict, self.strict = self.strict, False
        weakened = True
        while weakened:  # ends: a carried value's facts change at most twice, to shape (), to no facts
            for region in op.regions():
                self.add_all(region.body)
            weakened = False
            for c, y in zip(op.carried, op.body.yields):
                before = (self.of(c), self.shape(c))
                if self.of(c) is SCALAR and not self.is_scalar(y):
                    self.classes[c] = c
                if self.shape(y) != self.shape(c):
                    scalar = self.of(c) is SCALAR and self.is_scalar(y)  # a float, then a NumPy scalar
                    self._replace(c, self.of(c), () if scalar else None)
                weakened = weakened or (self.of(c), self.shape(c)) != before
        self.strict = strict
        for region in op.regions():  # again, for real: with only the facts that hold
            self.add_all(region.body)
        for r, c in zip(op.results, op.carried):
            self._replace(r, SCALAR if self.of(c) is SCALAR else r, self.shape(c))

    def add(self, op):
        """Record the facts about `op`'s result (an If's results: what both branches
        agree on; its regions must have been added). Raises SctError, at the op's
        line, for shapes that are known and that NumPy would refuse."""
        if isinstance(op, Loop):
            self.add_loop(op)
            return
        if isinstance(op, If):
            for i, result in enumerate(op.results):
                a, b = op.then.yields[i], op.orelse.yields[i]
                cls = self.of(a) if self.of(a) is self.of(b) else result
                shape = self.shape(a) if self.shape(a) == self.shape(b) else None
                self._replace(result, SCALAR if shape == () else cls, shape)
            return
        result = op.result
        c = op.callee
        if c.kind == ATTR and isinstance(self.shape(op.args[0]), Structure):  # an object argument's attribute
            fact = self.shape(op.args[0]).item(c.spelling)
            self._replace(result, SCALAR if fact in ((), PYTHON_NUMBER) else result, fact)
            return
        if (c.kind == ATTR and c.spelling == "shape") or (c.kind == CALL and c.obj is np.shape):
            self.shape_tuples.add(result)
        if c.kind == CALL and c.obj is range:
            self.ranges.add(result)
        if c.kind == GETITEM and isinstance(self.shape(op.args[0]), Structure) and isinstance(op.args[1], Const):
            fact = self.shape(op.args[0]).item(op.args[1].value)  # an item of a container argument
            self._replace(result, SCALAR if fact in ((), PYTHON_NUMBER) else result, fact)
            return
        if _is_python_int(op, self.shape_tuples):
            self._replace(result, SCALAR, PYTHON_NUMBER)
            return
        shape = self._infer(op)
        self._replace(result, SCALAR if shape == () else self._classify(op, result), shape)

    def _classify(self, op, result):
        c = op.callee
        if is_elementwise(op):
            classes = [self.of(a) for a in op.args]
            arrays = [k for k in classes if k is not SCALAR]
            if not arrays:
                return SCALAR
            if all(k is arrays[0] for k in arrays):
                return arrays[0]
            return result
        if c.kind == CALL and c.obj in _SHAPE_OF_SECOND_ARGUMENT:
            return self.of(op.args[1])
        if c.kind == SETITEM:
            return self.of(op.args[0])
        if c.kind == CALL and c.obj in _SCALAR_CALLS:
            return SCALAR
        if _is_full_reduction(op):
            return SCALAR
        return result

    def _infer(self, op):
        """NumPy's shape rule for `op`, or None when it cannot be applied statically."""
        c = op.callee
        try:
            if is_elementwise(op):
                shapes = [self.shape(a) for a in op.args]
                if any(s is None for s in shapes):
                    return None
                if all(s is PYTHON_NUMBER for s in shapes) and c.kind in (BINOP, UNARYOP):
                    return PYTHON_NUMBER
                shapes = [() if s is PYTHON_NUMBER else s for s in shapes]
                try:
                    return np.broadcast_shapes(*shapes)
                except ValueError:
                    if not self.strict:
                        return None
                    raise SctError(f"shapes {' and '.join(map(str, shapes))} cannot be broadcast together "
                                   f"(for {c})", op.loc, hint="Check the arrays' shapes; NumPy would raise "
                                   "the same error when running this line.") from None
            if c.kind == CALL and c.obj in _SHAPE_OF_SECOND_ARGUMENT:
                return self.shape(op.args[1])
            if c.kind == SETITEM:
                return self.shape(op.args[0])
            if c.kind == CALL and c.obj in _SCALAR_CALLS:
                return PYTHON_NUMBER if c.obj in (len, float, int, runtime.scalar_seed) else ()
            reduction = _reduction_axes(op)
            if reduction is not None:
                return self._reduced(*reduction)
            if (c.kind == BINOP and c.obj is operator.matmul) or (c.kind == CALL and c.obj is np.matmul
                                                                   and not op.kwargs) or _is_matmul_like_dot(self, op):
                a, b = self.array_shape(op.args[0]), self.array_shape(op.args[1])
                shape = _matmul_shape(a, b)
                if shape is None and a is not None and b is not None and self.strict:
                    raise SctError(f"matmul of shapes {a} and {b}: "
                                   + ("a 0-d operand" if not a or not b else "inner dimensions differ"),
                                   op.loc, hint="Check the operands' shapes; NumPy would raise the same "
                                   "error when running this line.")
                return shape
            if (c.kind == ATTR and c.spelling == "T") or \
                    (c.kind == CALL and c.obj is np.transpose and len(op.args) == 1 and not op.kwargs):
                s = self.array_shape(op.args[0])
                return None if s is None else tuple(reversed(s))
            if c.kind == GETITEM and self.shape(op.args[1]) is PYTHON_NUMBER and self.of(op.args[1]) is SCALAR:
                # x[i] with an int i (a loop index, say): the first axis goes.
                s = self.shape(op.args[0])
                if isinstance(s, tuple) and s:
                    return s[1:]
                return None
            if c.kind == GETITEM and isinstance(op.args[1], Const):
                s = self.array_shape(op.args[0])
                if s is None or self.shape(op.args[0]) is PYTHON_NUMBER:
                    return None
                return np.broadcast_to(np.empty((), np.int8), s)[op.args[1].value].shape
            if c.kind == CALL and c.obj is np.reshape and len(op.args) == 2 \
                    and isinstance(op.args[1], Const) and not op.kwargs:
                s = self.array_shape(op.args[0])
                return None if s is None else np.broadcast_to(np.empty((), np.int8), s).reshape(
                    op.args[1].value).shape
        except (ValueError, TypeError, IndexError):
            return None  # NumPy will raise at run time, with the user's line attached
        return None

    def _reduced(self, a, axis, keepdims):
        s = self.array_shape(a)
        if s is None or axis is _UNKNOWN or keepdims is _UNKNOWN:
            return None
        if axis is None:
            return (1,) * len(s) if keepdims else ()
        axes = {ax % len(s) for ax in ((axis,) if isinstance(axis, int) else axis)}
        if keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(s))
        return tuple(n for i, n in enumerate(s) if i not in axes)


_UNKNOWN = object()


def _is_python_int(op, shape_tuples):
    """x.ndim, x.size, len(x) and x.shape[i] are Python ints, and `not x` a bool, whatever x's shape."""
    c = op.callee
    if c.kind == ATTR and c.spelling in ("ndim", "size"):
        return True
    if c.kind == UNARYOP and c.obj is operator.not_:
        return True
    if c.kind == CALL and c.obj is len:
        return True
    return c.kind == GETITEM and isinstance(op.args[0], Var) and op.args[0] in shape_tuples \
        and isinstance(op.args[1], Const) and isinstance(op.args[1].value, int)


def is_elementwise(op):
    """Operators and ufuncs that broadcast their operands (comparisons included)."""
    c = op.callee
    if c.kind in (BINOP, COMPARE):
        return c.kind == COMPARE or c.spelling in _ELEMENTWISE_OPERATORS
    if c.kind == UNARYOP:
        return c.obj is not operator.not_  # `not x` is one bool (of a one-element array too)
    if c.kind == CALL and isinstance(c.obj, np.ufunc) and not op.kwargs:
        # Generalized ufuncs (np.matmul) have core dimensions: not elementwise.
        return c.obj.signature is None and c.obj.nout == 1 and c.obj.nin in (1, 2) \
            and len(op.args) == c.obj.nin
    return False


def _static(x):
    return x.value if isinstance(x, Const) and x.spelling is None else _UNKNOWN


def _reduction_axes(op):
    """(array operand, axis, keepdims) of a sum/mean/max... reduction, else None."""
    c = op.callee
    if not ((c.kind == CALL and c.obj in _REDUCTIONS) or
            (c.kind == METHOD and c.spelling in _REDUCTION_METHODS)):
        return None
    if len(op.args) > 2 or set(op.kwargs) - {"axis", "keepdims"}:
        return None
    # ufunc.reduce defaults to axis 0, the NumPy functions and methods to all axes.
    default_axis = Const(0) if c.kind == CALL and c.obj in _UFUNC_REDUCTIONS else Const(None)
    axis = op.args[1] if len(op.args) == 2 else op.kwargs.get("axis", default_axis)
    keepdims = op.kwargs.get("keepdims", Const(False))
    return op.args[0], _static(axis), _static(keepdims)


def _is_full_reduction(op):
    reduction = _reduction_axes(op)
    return reduction is not None and reduction[1] is None and reduction[2] is False


def _is_matmul_like_dot(shapes, op):
    """np.dot / x.dot(y) of 1-D and 2-D operands, which has matmul's shape rule."""
    c = op.callee
    if not ((c.kind == CALL and c.obj is np.dot) or (c.kind == METHOD and c.spelling == "dot")) \
            or len(op.args) != 2 or op.kwargs:
        return False
    a, b = shapes.array_shape(op.args[0]), shapes.array_shape(op.args[1])
    return a is not None and b is not None and 1 <= len(a) <= 2 and 1 <= len(b) <= 2


def _matmul_shape(a, b):
    """The shape of a @ b, or None if it is an error (or a or b is unknown)."""
    if a is None or b is None or not a or not b:
        return None
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        return None
    try:
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    except ValueError:
        return None
    shape = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(b) == 1:
        shape = shape[:-1]
    return shape
