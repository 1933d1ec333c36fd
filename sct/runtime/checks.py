"""Checks generated code makes at run time where Python or NumPy would behave differently.

Each raises the error the user's own code would have raised, or a located refusal
where sct cannot give a correct gradient.
"""
import numpy as np

from ..errors import SctError, UnsupportedSyntaxError


def check_unpack(value, count):
    """Raise the ValueError Python raises when `a, b = value` has the wrong length."""
    length = len(value)
    if length > count:
        raise ValueError(f"too many values to unpack (expected {count})")
    if length < count:
        raise ValueError(f"not enough values to unpack (expected {count}, got {length})")


def _refers_to(other, array, depth=3):
    """Whether `other` shares `array`'s memory or holds it (as an item of a list, tuple or
    dict, nested a little); anything else of which that is not known counts as holding it."""
    if isinstance(other, np.ndarray) and other.dtype != object:
        return bool(np.may_share_memory(other, array))
    if isinstance(other, (list, tuple, dict)) and depth > 0:
        items = other.values() if isinstance(other, dict) else other
        return any(item is array or _refers_to(item, array, depth - 1) for item in items
                   if not isinstance(item, (int, float, complex, str, bool, type(None))))
    return not isinstance(other, (int, float, complex, str, bool, type(None)))


def check_rebinding(value, statement, alias, loc, maybe=None, words=(), loop_line=None):
    """Before `x += ...` where `alias` (a name, or words for a list holding it) refers to
    x's value or shares its memory: fine for a number (x is rebound, alias keeps the old
    value), refused for an array, which NumPy would change in place, alias included.
    `maybe`: when no name surely refers to x's value, the values that may (`words` say
    what each is): arrays that may share its memory (a slice of it, the array it is a
    slice of, an array it was written into), lists or dicts it may have been put in;
    refused only if one of them does share its memory or hold it. With `loop_line`:
    `alias` is what the loop at that line iterates, whose iterator would see the change."""
    if isinstance(value, np.ndarray) and maybe is not None:
        found = next((w for v, w in zip(maybe, words) if _refers_to(v, value)), None)
        if found is None:
            return
        alias = found
    if isinstance(value, np.ndarray):
        name = statement.split()[0]
        who = f"`{alias}`" if alias.isidentifier() else alias
        if loop_line is not None:
            raise UnsupportedSyntaxError(
                f"the loop at line {loop_line} iterates {who} while `{statement} ...` changes it in place", loc,
                hint=f"Python's loop would see the changed values. Iterate over a copy (`for t in x.copy()`), "
                     f"index the array (`x[i]` in a `for i in range(len(x))` loop), or write "
                     f"`{name} = {name} {statement.split()[1][:-1]} ...` to make a new array.")
        raise UnsupportedSyntaxError(
            f"`{statement} ...` would change an array that {who} also refers to", loc,
            hint=f"NumPy updates arrays in place, so {who} would change too. Write "
                 f"`{name} = {name} {statement.split()[1][:-1]} ...` to make a new array.")


def check_out(out, value, what, loc):
    """Before `out[...] = value` standing for `f(..., out=out)`: raise the error NumPy would
    raise for an output it cannot hold under its `same_kind` casting (float values into an
    integer array, which the write would truncate)."""
    wanted = np.result_type(value)
    have = out.dtype if isinstance(out, np.ndarray) else None
    if have is None:
        raise TypeError(f"{what}: out= must be an array, not {type(out).__name__}")
    if not np.can_cast(wanted, have, casting="same_kind"):
        raise TypeError(f"{what}: cannot cast the output from {wanted!r} to {have!r} (out=) with casting rule "
                        f"'same_kind'")


def no_gradient_through_text(g, value):
    """The adjoint of the value in str(x), repr(x), format(x, spec), f"{x}": text that the
    function reads back as a number (float(str(x)) is x again). sct does not follow
    gradients through text, so it refuses rather than give none."""
    raise SctError("sct cannot differentiate through a conversion to text (str, repr, format, an f-string) "
                   "that is read back as a number",
                   hint="Keep the number: compute with x itself, or use np.round(x, n) to round it.")


def check_zip_length(value, count, loc):
    """zip() of a container of `count` items known when lowering and of `value` (an array,
    a list made at run time): the items are unrolled, reading value[0] ... value[count-1],
    which is Python's zip when `value` has at least `count` items. With fewer, Python's
    zip would stop early: refused rather than read past its end."""
    length = len(value)
    if length < count:
        raise UnsupportedSyntaxError(
            f"zip() here pairs {count} items known when lowering with a value of {length} items; Python's zip "
            f"would stop after {length}, while sct unrolled {count}", loc,
            hint=f"Slice the longer one to the shorter length (xs[:{length}]).")


def check_default_function(value, default, name, loc):
    """In code made without knowing which function the parameter `name` holds (the
    shape-generic code), the call was lowered as one of its default `default`: any other
    function is refused."""
    if value is not default:
        raise UnsupportedSyntaxError(
            f"this code was made for {name}={getattr(default, '__name__', default)!s}, its default, and was "
            f"passed {getattr(value, '__name__', value)!s}", loc,
            hint="Call the gradient function itself (sct.grad(f)(...)), which specializes the code to the "
                 "function passed.")


def is_basic_index(index):
    """An index NumPy answers with a view: ints, slices, `...`, None, or a tuple of them."""
    if isinstance(index, tuple):
        return all(is_basic_index(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, slice) or \
        (isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)))


def check_write_through(container, index, spelled, loc):
    """Before `M[i][j] = v` (lowered as M[i] written, then put back into M): Python writes M
    only where M[i] is a view of the array M (a basic index) or the item of the list M (an
    int): with any other index it writes into a copy, which sct does not follow."""
    if isinstance(container, np.ndarray):
        through = is_basic_index(index)
    elif isinstance(container, dict):
        through = True
    else:
        through = isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_))
    if not through:
        raise UnsupportedSyntaxError(
            f"{spelled} is a copy for this index, so Python would lose a write into it", loc,
            hint="Index once, `a[i, j] = v`, or write into a named copy and assign it back.")


class Unbound:
    """What a local name denotes on a path through an `if` or a loop that did not bind it
    (Python would have left it unbound): every use raises the UnboundLocalError that
    reading the name raises in Python, where the use runs, so a path that never reads it
    runs as in Python. (`is`, `==` and `hash` do not raise: the compiler compares constants.)"""

    def __init__(self, name):
        self.name = name

    def _raise(self, *args, **kwargs):
        raise UnboundLocalError(f"cannot access local variable {self.name!r} where it is not associated with a value")

    def __getattr__(self, attribute):
        if attribute.startswith("__") and attribute not in ("__array__", "__array_interface__", "__array_struct__"):
            raise AttributeError(attribute)
        self._raise()

    def __repr__(self):
        return f"<unbound {self.name}>"

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _raise
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = _raise
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __lshift__ = __rlshift__ = _raise
    __rshift__ = __rrshift__ = __neg__ = __pos__ = __abs__ = __invert__ = _raise
    __lt__ = __le__ = __gt__ = __ge__ = _raise
    __bool__ = __len__ = __iter__ = __getitem__ = __setitem__ = __call__ = __contains__ = _raise
    __float__ = __int__ = __index__ = __complex__ = __round__ = __str__ = __format__ = _raise
    __array_ufunc__ = __array_function__ = __array__ = _raise
