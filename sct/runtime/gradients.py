"""The edges of a gradient: the seed of the output's adjoint and the values returned to the user.

`grad` seeds the output's adjoint with 1.0 after checking the output is a scalar; each
returned gradient has the argument's shape and type (a Python float for a number, an
object of the argument's class for an object).
"""
import numpy as np

from ..errors import NonScalarOutputError


def scalar_seed(output, function_name):
    """The adjoint seed 1.0 for `grad`, after checking that the output is a scalar."""
    size = getattr(output, "size", None)
    if size == 1 or (size is None and isinstance(output, (float, int)) and not isinstance(output, bool)):
        return 1.0
    what = f"an array of shape {output.shape}" if size is not None else f"a {type(output).__name__}"
    raise NonScalarOutputError(
        f"sct.grad needs a scalar output, but {function_name} returned {what}",
        hint="Reduce the output to a scalar (e.g. np.sum or np.mean), or use sct.vjp(f, ...) "
             "to pull back a cotangent of the output's shape.")


def as_gradient(g, x):
    """The gradient returned to the user: a writable array of `x`'s shape (`g` itself
    when it already is one), or a Python float for a Python-number `x`."""
    shape = getattr(x, "shape", None)
    if shape is None:
        return float(np.sum(g)) if np.ndim(g) else float(g)
    if type(g) is np.ndarray and g.shape == shape and g.flags.writeable:
        return g
    return np.array(np.broadcast_to(g, shape), dtype=np.result_type(g, x.dtype), copy=True)


def copy_gradient(g, x):
    """`as_gradient(g, x)` in memory of its own: used when another gradient returned
    beside it may be the same array."""
    gradient = as_gradient(g, x)
    return gradient.copy() if gradient is g and isinstance(g, np.ndarray) else gradient


def zero_gradient(x):
    """The gradient of an argument the output does not depend on."""
    if not hasattr(x, "shape"):
        return 0.0
    return np.zeros(x.shape, dtype=np.result_type(x.dtype, np.float64) if x.dtype.kind in "biu" else x.dtype)


def object_like(template, attributes):
    """A new object of `template`'s class holding `attributes`: the gradient of an
    object argument (its attributes' gradients under their names); for a namedtuple, one
    holding them as its fields."""
    if isinstance(template, tuple):
        return type(template)._make(attributes[name] for name in type(template)._fields)
    made = type(template).__new__(type(template))
    made.__dict__.update(attributes)
    return made


def private_copy(value):
    """An array the caller may write into: a copy of an array, any other value itself."""
    return np.array(value) if isinstance(value, np.ndarray) else value
