"""Public API: grad, value_and_grad, vjp, source.

The transform runs at the first call (so helpers defined later in the module
resolve) and is specialized to the shapes of the arguments of that call: with
shapes known, broadcasting is resolved when the code is generated rather than
checked at run time. Results are cached per function, options and argument
shapes (at most `MAX_SPECIALIZATIONS` per gradient function; beyond that the
shape-generic code serves every call). Each call checks that the names the
function used still denote the same objects; a redefined helper or global
triggers a fresh transform instead of a stale gradient.
"""
import functools
import inspect
import weakref

import numpy as np

from . import codegen, frontend, runtime
from .analysis import Structure, shape_of_value
from .analysis.shapes import FUNCTION_KINDS, FunctionFact, is_object_class, object_attributes
from .errors import SctError, SctUsageError
from .pipeline import compile_function

MAX_SPECIALIZATIONS = 8
_CACHE = weakref.WeakKeyDictionary()  # user function -> {(wrt, mode, tuple?, shapes): Compiled}
_ndarray = np.ndarray
# Argument types whose key is their structure: containers, and the classes of the objects sct
# takes apart, learned as they are first seen (`_learn_object_kinds`), so that the key of an
# argument never changes once computed.
_KEYED_KINDS = {tuple, list, dict}
_CONTAINERS = (tuple, list, dict)
# A function passed as an argument (or a default: `loss_fn=mse`) is keyed by identity, and
# the code is specialized to it: its calls are calls of that function.
_KEYED_KINDS.update(FUNCTION_KINDS)


def _compiled(fn, wrt, mode, return_tuple, param_shapes=None):
    """The cached, still-valid compiled gradient of `fn`, building it if needed."""
    per_function = _CACHE.setdefault(fn, {})
    key = (wrt, mode, return_tuple, tuple(sorted(param_shapes.items())) if param_shapes else None)
    entry = per_function.get(key)
    if entry is None or not entry.is_current():
        entry = compile_function(fn, wrt, mode, return_tuple, param_shapes)
        per_function[key] = entry
    return entry


def _shape_key(args, kwargs):
    """What specialized code depends on: each array argument's shape, a container's or
    object's structure and its items' shapes, else the argument's type."""
    for a in list(args) + list(kwargs.values()):
        _learn_object_kinds(a)
    key = tuple([(a.shape, a.dtype) if type(a) is _ndarray else _container_key(a) if type(a) in _KEYED_KINDS else type(a)
                 for a in args])
    if kwargs:
        key += tuple(sorted((k, (v.shape, v.dtype) if type(v) is _ndarray else _container_key(v) if type(v) in _KEYED_KINDS
                             else type(v)) for k, v in kwargs.items()))
    return key


def _learn_object_kinds(value):
    """Add the classes of the objects in `value` that sct takes apart to _KEYED_KINDS."""
    kind = type(value)
    if kind in (tuple, list):
        for v in value:
            _learn_object_kinds(v)
    elif kind is dict:
        for v in value.values():
            _learn_object_kinds(v)
    elif kind is not _ndarray and is_object_class(kind):
        _KEYED_KINDS.add(kind)
        for v in object_attributes(value).values():
            _learn_object_kinds(v)


def _container_key(value):
    """A container's or object's part of the key: its kind, keys (attribute names) and
    items' keys, a function kept in it by identity (plain tuples: this runs on every call)."""
    kind = type(value)
    if kind is dict:
        return (dict,) + tuple([(k, _container_key(v)) for k, v in value.items()])
    if kind is list or kind is tuple:
        return (kind,) + tuple([_container_key(v) for v in value])
    if kind is _ndarray:
        return value.shape, value.dtype
    if kind in FUNCTION_KINDS:
        return value
    if kind in _KEYED_KINDS:
        return (kind,) + tuple([(k, _container_key(v)) for k, v in object_attributes(value).items()])
    return value if isinstance(value, FUNCTION_KINDS) else kind


class _Specializations:
    """Compiled code of one function and options, per argument-shape key."""

    def __init__(self, fn, wrt, mode, return_tuple):
        self.fn, self.wrt, self.mode, self.return_tuple = fn, wrt, mode, return_tuple
        self.signature = inspect.signature(fn)
        self.by_key = {}

    def entry(self, args, kwargs):
        """The compiled code for these arguments, built if missing or out of date.
        Its key must match the one GradientFunction.__call__ computes inline."""
        key = _shape_key(args, kwargs)
        entry = self.by_key.get(key)
        if entry is None or not entry.is_current():
            bound = self._bind(args, kwargs)
            self._refuse_complex(bound)
            if self.mode != codegen.VJP:
                self._check_differentiable(bound)
            entry = self.by_key[key] = _compiled(self.fn, self.wrt, self.mode, self.return_tuple,
                                                 self._shapes(bound))
        return entry

    def _refuse_complex(self, bound):
        """Refuse complex arguments, wherever they are: sct's rules are for real numbers
        (the key holds each array's dtype, so every new dtype passes here)."""
        for name, value in bound.arguments.items():
            where = _complex_part(value, name)
            if where:
                raise SctUsageError(f"{self.fn.__qualname__}'s argument {where} is complex; sct does not "
                                    f"differentiate through complex numbers yet",
                                    hint="Pass the real and imaginary parts as two real arrays.")

    def _check_differentiable(self, bound):
        """Refuse a `wrt` argument with no gradient to give (a str, bool, None or integer):
        its derivative is not zero, it does not exist, and 0.0 would read as an answer."""
        names = [p.name for p in self.signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL,
                                                                                     p.VAR_KEYWORD)]
        for index in self.wrt:
            name = names[index]
            value = bound.arguments.get(name)
            kind = getattr(value, "dtype", None)
            if isinstance(value, (bool, np.bool_, int, np.integer, str, type(None))) \
                    or (isinstance(value, _ndarray) and kind.kind != "f"):
                kind_name = type(value).__name__
                what = f"an array of dtype {kind}" if isinstance(value, _ndarray) else \
                    f"{'an' if kind_name[0] in 'aeiou' else 'a'} {kind_name}"
                raise SctUsageError(
                    f"{self.fn.__qualname__}'s argument {name!r} is {what}, which has no gradient",
                    hint=f"Differentiate with respect to float arguments only: pass {name} as a float "
                         f"(e.g. 3.0 or x.astype(float)) if it varies continuously, or leave it out of wrt.")

    def _bind(self, args, kwargs):
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise SctUsageError(f"{self.fn.__qualname__}() {e}",
                                hint=f"Call the gradient with {self.fn.__qualname__}'s arguments: "
                                     f"{self.signature}.") from None
        bound.apply_defaults()
        return bound

    def generic(self):
        return _compiled(self.fn, self.wrt, self.mode, self.return_tuple)

    def _shapes(self, bound):
        facts = {name: FunctionFact(value) if type(value) in FUNCTION_KINDS else shape_of_value(value)
                 for name, value in bound.arguments.items()}
        if len(self.by_key) >= MAX_SPECIALIZATIONS:  # shape-generic code, but containers keep their structure
            return {name: fact.without_shapes() if isinstance(fact, Structure) else fact
                    for name, fact in facts.items() if isinstance(fact, (Structure, FunctionFact))}
        return facts


def _complex_part(value, path):
    """How to reach a complex number or array in `value` (spelled from `path`), or None."""
    if isinstance(value, complex) or getattr(getattr(value, "dtype", None), "kind", None) == "c":
        return path
    kind = type(value)
    items = value.items() if kind is dict else enumerate(value) if kind in (list, tuple) else \
        object_attributes(value).items() if kind in _KEYED_KINDS and kind not in FUNCTION_KINDS else ()
    for key, item in items:
        spelled = f"{path}.{key}" if kind in _KEYED_KINDS and kind not in _CONTAINERS else f"{path}[{key!r}]"
        found = _complex_part(item, spelled)
        if found:
            return found
    return None


def _wrt_indices(fn, wrt):
    """Normalize `wrt` (index, name, or tuple of them) to (indices, return_tuple)."""
    params = list(inspect.signature(fn).parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        try:
            return _wrt_indices_of([p.name for p in params if p.kind not in (p.VAR_POSITIONAL,
                                                                              p.VAR_KEYWORD)], fn, wrt)
        except SctUsageError:
            frontend.lower(frontend.parse_function(fn))  # the located `*args` error explains it
            raise
    return _wrt_indices_of([p.name for p in params], fn, wrt)


def _wrt_indices_of(names, fn, wrt):
    as_tuple = isinstance(wrt, (tuple, list))
    items = list(wrt) if as_tuple else [wrt]
    if as_tuple and not items:
        raise SctUsageError("wrt=() names no argument", hint=f"Pick some of: {', '.join(names)}.")
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise SctUsageError(f"wrt must be an argument index, an argument name, or a tuple of them; "
                                f"got {item!r}", hint=f"{fn.__name__}'s arguments: {', '.join(names)}.")
        if isinstance(item, str):
            if item not in names:
                raise SctUsageError(f"{fn.__name__} has no argument named {item!r}",
                                    hint=f"Its arguments are: {', '.join(names)}.")
            index = names.index(item)
        else:
            index = item + len(names) if item < 0 else item
            if not 0 <= index < len(names):
                raise SctUsageError(f"wrt={item} is out of range: {fn.__name__} has {len(names)} "
                                    f"argument(s)", hint=f"Its arguments are: {', '.join(names)}.")
        if index in indices:
            raise SctUsageError(f"argument {names[index]!r} appears twice in wrt",
                                hint="Name each argument once; the gradients come back in wrt's order.")
        indices.append(index)
    return tuple(indices), as_tuple


def _original(f):
    """`f` itself if sct can differentiate it (a Python function with source), else a usage error."""
    if isinstance(f, GradientFunction):
        raise SctUsageError("differentiating a gradient function (higher-order derivatives) is not "
                            "supported yet", hint="Differentiate the original function.")
    if inspect.isfunction(f) and hasattr(f, "__wrapped__"):
        raise SctUsageError(f"{f.__qualname__} is wrapped by a decorator: sct would see the source of the "
                            f"function inside, not what the decorator adds",
                            hint="Apply sct.grad to the undecorated function (put @sct.grad below other "
                                 "decorators), or to f.__wrapped__ if the decorator does not change the math.")
    if inspect.isfunction(f):
        return f
    wrap = "Wrap it in a function written with `def`, e.g. `def f(x): return np.sum(...)`."
    if inspect.ismethod(f):
        raise SctUsageError(f"sct differentiates plain functions; {f.__qualname__} is a bound method",
                            hint="Differentiate a module-level function that takes the object's data "
                                 "as arguments.")
    if isinstance(f, functools.partial):
        raise SctUsageError("sct cannot differentiate a functools.partial object yet",
                            hint="Write a `def` that calls the function with the fixed arguments.")
    if inspect.isbuiltin(f) or isinstance(f, np.ufunc) or (callable(f) and not inspect.isclass(f)
                                                            and type(f).__module__.startswith("numpy")):
        raise SctUsageError(f"{getattr(f, '__name__', f)!s} is a builtin or NumPy function with no "
                            f"Python source to transform", hint=wrap)
    kind = "class" if inspect.isclass(f) else f"{type(f).__name__} object"
    raise SctUsageError(f"sct differentiates Python functions; got a {kind}", hint=wrap)


def _annotate(error, entry, fn):
    """Add to an exception raised inside generated code the user line it came from."""
    tb = error.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == entry.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    loc = entry.line_map.get(line) if line is not None else None
    if loc is not None and isinstance(error, SctError):
        if error.loc is None:  # raised by a runtime helper: point at the user's line
            error.loc = loc
            error.args = (error._render(),)
    elif loc is not None:
        error.add_note(f"sct: raised by the generated gradient of {fn.__qualname__} (line {line} of "
                       f"{entry.filename}), which comes from {loc}:\n    {loc.text.strip()}")


class GradientFunction:
    """The callable `grad`/`value_and_grad` return: same arguments as the function,
    returns its gradient(s). `.source` is the generated Python code."""

    def __init__(self, fn, wrt, mode):
        self.fn = fn
        self.wrt, self.return_tuple = _wrt_indices(fn, wrt)
        self.mode = mode
        self._specializations = _Specializations(fn, self.wrt, mode, self.return_tuple)
        functools.update_wrapper(self, fn)
        self.__name__ = f"{'d' if mode == codegen.GRAD else 'value_and_d'}{fn.__name__}"

    def __call__(self, *args, **kwargs):
        if kwargs:
            return self._call(args, kwargs)
        # The common path, inlined: it runs on every call of a gradient.
        entry = self._specializations.by_key.get(tuple([
            (a.shape, a.dtype) if type(a) is _ndarray else _container_key(a) if type(a) in _KEYED_KINDS else type(a)
            for a in args]))
        if entry is None or not entry.is_current():
            return self._call(args, kwargs)
        try:
            return entry.function(*args)
        except Exception as e:
            _annotate(e, entry, self.fn)
            raise

    def _call(self, args, kwargs):
        entry = self._specializations.entry(args, kwargs)
        try:
            return entry.function(*args, **kwargs)
        except Exception as e:
            _annotate(e, entry, self.fn)
            raise

    @property
    def source(self):
        """The generated gradient's Python source, valid for arguments of any shape."""
        return self._specializations.generic().source

    def source_for(self, *args, **kwargs):
        """The source of the code that runs for these arguments (specialized to their shapes)."""
        return self._specializations.entry(args, kwargs).source

    def __repr__(self):
        return f"<sct {self.mode} of {self.fn.__qualname__}>"


def _decorator_or_call(f, wrt, mode):
    if f is None:
        return lambda fn: GradientFunction(_original(fn), wrt, mode)
    if isinstance(f, (int, str, tuple, list)) and not callable(f):
        raise SctUsageError("the first argument of sct.grad is the function; pass wrt by keyword",
                            hint="Write sct.grad(f, wrt=...) or @sct.grad(wrt=...).")
    return GradientFunction(_original(f), wrt, mode)


def grad(f=None, wrt=0):
    """Gradient of the scalar-valued `f` with respect to `wrt`.

    `wrt` is an argument index, an argument name, or a tuple of them (then a tuple
    of gradients is returned). Usable as `grad(f)`, `@grad` or `@grad(wrt=...)`.
    """
    return _decorator_or_call(f, wrt, codegen.GRAD)


def value_and_grad(f=None, wrt=0):
    """Like `grad`, but the returned function returns `(f(...), gradient(s))`."""
    return _decorator_or_call(f, wrt, codegen.VALUE_AND_GRAD)


def vjp(f, *args, wrt=None, **kwargs):
    """Evaluate `f(*args, **kwargs)` and return `(output, pullback)`.

    `pullback(cotangent)` returns the vector-Jacobian product for the arguments in
    `wrt`: a tuple over all positional arguments when `wrt` is None, a tuple for a
    tuple `wrt`, a single value for a single index or name. The output may be a
    (nested) tuple, list or dict; the cotangent then has its structure: the same
    container types, keys and lengths, and at each leaf a value of the output
    leaf's shape (a Python float for a scalar leaf is fine), or None for a zero.
    The pullback may be called more than once; each call after the first runs the
    forward sweep again, with the arguments as they are then.
    """
    fn = _original(f)
    if wrt is None:
        wrt = tuple(range(len(args)))
        if not wrt:
            raise SctUsageError("sct.vjp needs the arguments to evaluate f at",
                                hint="Call it as sct.vjp(f, *args): it evaluates f(*args) and returns "
                                     "(output, pullback).")
    indices, return_tuple = _wrt_indices(fn, wrt)
    entry = _vjp_specializations(fn, indices, return_tuple).entry(args, kwargs)
    try:
        output, pullback = entry.function(*args, **kwargs)
    except Exception as e:
        _annotate(e, entry, fn)
        raise

    pullbacks = [pullback]  # unused ones: a generated pullback pops its loops' tapes, so it runs once

    def checked_pullback(cotangent):
        # The generated pullback takes the cotangent's leaves for exact (the output's
        # structure and leaf shapes), so anything else is refused here, by name.
        cotangent = _checked_cotangent(cotangent, output, fn.__qualname__, "cotangent")
        try:
            # Called again (a Jacobian row by row): the forward sweep runs again for a fresh one.
            fresh = pullbacks.pop() if pullbacks else entry.function(*args, **kwargs)[1]
            return fresh(cotangent)
        except Exception as e:
            _annotate(e, entry, fn)
            raise

    checked_pullback.__doc__ = "Pull a cotangent of the output back to the arguments."
    return output, checked_pullback


def _checked_cotangent(cotangent, output, function_name, path):
    """`cotangent` checked to have `output`'s structure (container types, dict keys,
    lengths) and leaf shapes, with each None (also a None standing for a whole
    container) replaced by zeros of the output leaf's shape. `path` spells where we
    are (`cotangent[1]['norm']`) for the error."""
    kind = type(output)
    if kind in _CONTAINERS:
        if cotangent is None:
            cotangent = dict.fromkeys(output) if kind is dict else [None] * len(output)
        elif type(cotangent) is not kind:
            raise _cotangent_error(function_name, f"{path} is a {type(cotangent).__name__}, but the output "
                                                  f"there is a {kind.__name__}")
        if kind is dict:
            if set(cotangent) != set(output):
                missing = [repr(k) for k in output if k not in cotangent]
                extra = [repr(k) for k in cotangent if k not in output]
                raise _cotangent_error(function_name, f"{path} has keys {list(cotangent)}, but the output "
                                                      f"there has keys {list(output)}"
                                       + (f"; missing {', '.join(missing)}" if missing else "")
                                       + (f"; not in the output {', '.join(extra)}" if extra else ""))
            return {key: _checked_cotangent(cotangent[key], item, function_name, f"{path}[{key!r}]")
                    for key, item in output.items()}
        if len(cotangent) != len(output):
            raise _cotangent_error(function_name, f"{path} has {len(cotangent)} items, but the output there "
                                                  f"has {len(output)}")
        return kind([_checked_cotangent(c, item, function_name, f"{path}[{k}]")
                     for k, (c, item) in enumerate(zip(cotangent, output))])
    if cotangent is None:  # no cotangent for this leaf: it contributes nothing
        return np.zeros(np.shape(output)) if isinstance(output, _ndarray) else 0.0
    if type(cotangent) in _CONTAINERS:
        raise _cotangent_error(function_name, f"{path} is a {type(cotangent).__name__}, but the output "
                                              f"there is {_leaf_kind(output)}")
    if np.shape(cotangent) != np.shape(output):
        raise _cotangent_error(function_name, f"{path} has shape {np.shape(cotangent)}, but the output "
                                              f"there has shape {np.shape(output)}")
    return cotangent


def _leaf_kind(value):
    if isinstance(value, _ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _cotangent_error(function_name, what):
    return SctUsageError(f"the cotangent passed to the pullback of {function_name} does not match its "
                         f"output: {what}",
                         hint="Pass a cotangent with exactly the output's structure (container types, "
                              "keys, lengths) and, at each leaf, the output leaf's shape; None stands "
                              "for a zero leaf.")


_VJP_SPECIALIZATIONS = weakref.WeakKeyDictionary()  # fn -> {(wrt, tuple?): _Specializations}


def _vjp_specializations(fn, wrt, return_tuple):
    per_function = _VJP_SPECIALIZATIONS.setdefault(fn, {})
    if (wrt, return_tuple) not in per_function:
        per_function[(wrt, return_tuple)] = _Specializations(fn, wrt, codegen.VJP, return_tuple)
    return per_function[(wrt, return_tuple)]


# Recursive calls compile their VJP at run time; the runtime asks the API for it.
runtime.provide_vjp_compiler(lambda fn, wrt, args, kwargs: _vjp_specializations(fn, wrt, True).entry(args, kwargs),
                             _annotate)


def stop_gradient(x):
    """`x` itself, through which no gradient flows: sct treats its result as a constant.
    For example `z - sct.stop_gradient(np.max(z, axis=1, keepdims=True))` shifts logits
    for stability without differentiating the shift (whose adjoint is zero anyway)."""
    return x


def source(f, wrt=0, mode="reverse"):
    """The generated gradient source of `f` (mode 'reverse': what `grad(f, wrt)` runs)."""
    if mode != "reverse":
        raise SctUsageError(f"mode={mode!r} is not available yet", hint="Use mode='reverse'.")
    if isinstance(f, GradientFunction):
        return f.source
    return GradientFunction(_original(f), wrt, codegen.GRAD).source
