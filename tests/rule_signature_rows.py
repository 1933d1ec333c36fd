"""The rows of tests/test_rule_signatures.py: one per rule variant.

A row is `R(key, body, **arguments)`: the callable (registry key) it exercises, the
body of a small function using it (an expression, or statements ending in `return`)
and a spec for each argument, which makes it from the row's own seeded generator:
`A(3, 4)` a random array, `A()` a 0-d one, `A(FLOAT)` a Python float, `P` positive,
`AWAY` away from zero, `U(low, high)`, `V(value)` a fixed value, `MASK`, `SPD`.
Options: `raises=(error, regex)` (sct must refuse, at the user's line), `values=`
(exact expected gradients of the summed function, where sct follows a convention
central differences do not see), `xfail=` a reason with `only=` the checks it
concerns, `check=` keyword arguments for check_grads.

Random inputs are kept away from kinks, except in the deliberate edge rows.
"""
import builtins
import operator

import numpy as np

import sct
from sct.runtime import added_at, appended, take_items
from sct.rules.registry import attribute, method

FLOAT = "float"  # shape spec: a Python float
# A call that writes into an array it is given (NumPy's out=) is lowered as the write
# `out[...] = f(...)` (frontend: expressions._library_call); one sct cannot keep the
# meaning of (out= a slice, several outputs) is refused at the call.


# ---------------------------------------------------------------- argument specs


class Gen:
    """Random float arguments: uniform in [low, high], with random signs if `signed`."""

    def __init__(self, low, high, signed=False):
        self.low, self.high, self.signed = low, high, signed

    def __call__(self, *shape):
        shape = FLOAT if shape == (FLOAT,) else shape
        return lambda rng: self.make(rng, shape)

    def make(self, rng, shape):
        size = () if shape == FLOAT else shape
        value = rng.uniform(self.low, self.high, size=size)
        if self.signed:
            value = value * rng.choice([-1.0, 1.0], size=size)
        return float(value) if shape == FLOAT else np.asarray(value, dtype=np.float64)


A = Gen(-1.0, 1.0)  # A(3, 4): an array; A(): a 0-d array; A(FLOAT): a Python float
P = Gen(0.5, 2.0)  # positive
AWAY = Gen(0.5, 1.5, signed=True)  # away from zero
UNIT = Gen(-0.8, 0.8)  # inside (-1, 1)


def U(low, high):
    return Gen(low, high)


def V(value):
    """A fixed argument (copied for each use)."""
    return lambda rng: np.array(value) if isinstance(value, np.ndarray) else value


def MASK(*shape):
    return lambda rng: rng.uniform(size=shape) > 0.5


def SPD(*shape):
    """Well-conditioned square matrices (or stacks of them)."""
    n = shape[-1]
    return lambda rng: rng.uniform(-0.5, 0.5, size=shape) + 2.0 * np.eye(n)


# ---------------------------------------------------------------- the table


class Row:
    def __init__(self, key, body, params, *, raises=None, values=None, xfail=None, only=None, check=None):
        self.key, self.body, self.params = key, body, params
        self.raises = raises  # (error class, message regex): sct must refuse, located
        self.values = values  # {arg name: expected gradient} of the summed function
        self.xfail = xfail  # the reason, when a known bug (fixed elsewhere) makes it fail
        self.only = only  # the checks the xfail applies to (None: all)
        self.check = check or {}  # extra keyword arguments for check_grads


ROWS = []


def R(key, body, raises=None, values=None, xfail=None, only=None, check=None, **params):
    ROWS.append(Row(key, body, params, raises=raises, values=values, xfail=xfail, only=only, check=check))


ALL_RANKS = (FLOAT, (), (4,), (2, 3), (2, 1, 3))


def _spec(gen, shape):
    """The spec of an argument of `shape` (FLOAT: a Python float) drawn by `gen`."""
    return gen(FLOAT) if shape == FLOAT else gen(*shape)


def unary(key, expr, gen=A, shapes=(FLOAT, (), (2, 3))):
    for shape in shapes:
        R(key, expr, x=_spec(gen, shape))


BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
              ((1, 4), (2, 3, 1)), ((), (3,)), ((3,), ()), ((), ()), (FLOAT, (2, 3)), ((2, 3), FLOAT),
              (FLOAT, FLOAT), (FLOAT, ()), ((1,), (2, 3))]
FEW_BROADCASTS = [((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3,)), (FLOAT, (2, 3)), (FLOAT, FLOAT)]


def binary(key, expr, xgen=A, ygen=A, shapes=BROADCASTS):
    for xs, ys in shapes:
        R(key, expr, x=_spec(xgen, xs), y=_spec(ygen, ys))


# ---- arithmetic operators and their ufunc twins

binary(operator.add, "x + y")
binary(np.add, "np.add(x, y)", shapes=FEW_BROADCASTS)
binary(operator.sub, "x - y", shapes=FEW_BROADCASTS + [((2, 3, 4), (3, 1)), ((1, 4), (2, 3, 1)), ((), ())])
binary(np.subtract, "np.subtract(x, y)", shapes=FEW_BROADCASTS)
binary(operator.mul, "x * y")
binary(np.multiply, "np.multiply(x, y)", shapes=FEW_BROADCASTS)
binary(operator.truediv, "x / y", ygen=AWAY)
binary(np.divide, "np.divide(x, y)", ygen=AWAY, shapes=FEW_BROADCASTS)
binary(np.true_divide, "np.true_divide(x, y)", ygen=AWAY, shapes=FEW_BROADCASTS[:2])
R(operator.truediv, "x / 2.0", x=A(3))
R(operator.truediv, "1.0 / y", y=AWAY(3))
unary(operator.neg, "-x", shapes=ALL_RANKS)
unary(np.negative, "np.negative(x)", shapes=(FLOAT, (), (2, 3)))
unary(operator.pos, "+x", shapes=(FLOAT, (), (2, 3)))
unary(np.positive, "np.positive(x)", shapes=(FLOAT, (), (2, 3)))

# x % y == x - floor(x / y) * y: inputs keep x / y away from integers
for xs, ys in [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), ()), (FLOAT, (3,)), ((3,), FLOAT)]:
    R(operator.mod, "x % y", x=_spec(U(2.3, 2.7), xs), y=_spec(U(1.0, 1.1), ys))
R(operator.mod, "x % y", x=U(-2.7, -2.3)(3), y=U(1.0, 1.1)(3))
R(operator.mod, "x % 0.7", x=U(0.1, 0.6)(4))
R(operator.mod, "x % y", x=U(2.3, 2.7)(3), y=U(-1.1, -1.0)(3))
R(np.remainder, "np.remainder(x, y)", x=U(2.3, 2.7)(2, 3), y=U(1.0, 1.1)(3))
R(np.remainder, "np.mod(x, y)", x=U(2.3, 2.7)(2, 3), y=U(1.0, 1.1)(FLOAT))

# ---- powers: constant exponents (each special case of the template), variable ones, edges
for exponent in ("2", "1", "3", "0", "-1", "2.5", "-2.5", "0.5"):
    R(operator.pow, f"x ** {exponent}", x=P(2, 3))
for shape in (FLOAT, ()):
    for exponent in ("2", "1", "0", "-2.5"):
        R(operator.pow, f"x ** {exponent}", x=_spec(P, shape))
R(operator.pow, "x ** 3", x=AWAY(2, 3))
R(operator.pow, "x ** -1", x=AWAY(2, 3))
R(operator.pow, "x ** 2", x=A(2, 3))
binary(operator.pow, "x ** y", xgen=P, shapes=FEW_BROADCASTS + [((2, 3, 4), (3, 1)), ((), ()), (FLOAT, ())])
R(operator.pow, "2.0 ** y", y=A(3))
R(operator.pow, "x ** n", x=AWAY(3), n=V(np.array([1, 2, 3])))
R(operator.pow, "x ** n", x=P(3), n=V(2))
binary(np.power, "np.power(x, y)", xgen=P, shapes=FEW_BROADCASTS)
R(np.power, "np.power(x, 3)", x=AWAY(2, 3))
R(np.power, "np.power(x, 2)", x=A(FLOAT))
binary(np.float_power, "np.float_power(x, y)", xgen=P, shapes=FEW_BROADCASTS[:3])
R(np.float_power, "np.float_power(x, 2)", x=A(3))
R(np.float_power, "np.float_power(x, -1.5)", x=P(3))
# edges: at 0 the derivative of x ** c is defined for c == 0 and c >= 1
for exponent in ("2", "3", "1"):
    R(operator.pow, f"x ** {exponent}", x=V(np.array([0.0, 0.5, 1.5])))
R(operator.pow, "x ** 0", x=V(np.array([0.0, 0.5, 1.5])))
R(np.power, "np.power(x, 0)", x=V(np.array([0.0, 0.5])))
R(operator.pow, "x ** n  # 0 ** 0", x=V(np.array([0.0, 0.5, 0.0])), n=V(np.array([0, 2, 3])))
R(operator.pow, "x ** y", x=V(np.array([0.0, 0.5])), y=V(np.array([2.5, 1.5])),  # (no differences below 0)
  values={"x": np.array([0.0, 1.5 * 0.5 ** 0.5]), "y": np.array([0.0, 0.5 ** 1.5 * np.log(0.5)])})
R(operator.pow, "x ** 0.5", x=V(np.array([0.0, 1.0])), values={"x": np.array([np.inf, 0.5])})
R(operator.pow, "x ** 4.5", x=V(np.array([0.0, 1.0])), values={"x": np.array([0.0, 4.5])})

# ---- matrix products
MATMULS = [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4, 2)),
           ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)),
           ((3, 4), (2, 4, 2)), ((2, 1, 3, 4), (3, 4, 2))]
for xs, ys in MATMULS:
    R(operator.matmul, "x @ y", x=A(*xs), y=A(*ys))
for xs, ys in MATMULS[:6]:
    R(np.matmul, "np.matmul(x, y)", x=A(*xs), y=A(*ys))
for xs, ys in MATMULS[:4]:
    R(np.dot, "np.dot(x, y)", x=A(*xs), y=A(*ys))
    R(method("dot"), "x.dot(y)", x=A(*xs), y=A(*ys))
R(np.dot, "np.dot(x, y)", x=A(2, 3, 4), y=A(4, 2))  # matmul's product for a matrix y
R(np.dot, "np.dot(x, y)", x=A(4), y=A(2, 4, 3))
R(method("dot"), "x.dot(y)", x=A(2, 3, 4), y=A(4, 2))
for xs, ys in [((), (3,)), ((3, 4), ()), (FLOAT, (2, 3)), ((2, 3, 4), (2, 4, 5))]:
    R(np.dot, "np.dot(x, y)", x=_spec(A, xs), y=_spec(A, ys))
R(method("dot"), "x.dot(y)", x=A(2, 3, 4), y=A(2, 4, 2))

# ---- elementwise functions
unary(np.exp, "np.exp(x)", shapes=ALL_RANKS)
unary(np.log, "np.log(x)", P, shapes=ALL_RANKS)
unary(np.sin, "np.sin(x)")
unary(np.cos, "np.cos(x)")
unary(np.tanh, "np.tanh(x)")
unary(np.sqrt, "np.sqrt(x)", P, shapes=ALL_RANKS)
unary(np.square, "np.square(x)")
unary(np.abs, "np.abs(x)", AWAY, shapes=ALL_RANKS)
unary(np.abs, "np.absolute(x)", AWAY, shapes=((3,),))
unary(builtins.abs, "abs(x)", AWAY)
unary(np.fabs, "np.fabs(x)", AWAY, shapes=(FLOAT, (3,), (2, 3)))
unary(np.log1p, "np.log1p(x)", U(-0.5, 1.0))
unary(np.expm1, "np.expm1(x)")
unary(np.log2, "np.log2(x)", P)
unary(np.log10, "np.log10(x)", P)
unary(np.exp2, "np.exp2(x)")
unary(np.tan, "np.tan(x)")
unary(np.arcsin, "np.arcsin(x)", UNIT)
unary(np.arccos, "np.arccos(x)", UNIT)
unary(np.arctan, "np.arctan(x)")
unary(np.sinh, "np.sinh(x)")
unary(np.cosh, "np.cosh(x)")
unary(np.arcsinh, "np.arcsinh(x)")
unary(np.arccosh, "np.arccosh(x)", U(1.2, 3.0))
unary(np.arctanh, "np.arctanh(x)", UNIT)
unary(np.reciprocal, "np.reciprocal(x)", AWAY)
unary(np.cbrt, "np.cbrt(x)", AWAY)
unary(np.deg2rad, "np.deg2rad(x)")
unary(np.radians, "np.radians(x)", shapes=(FLOAT, (2, 3)))
unary(np.rad2deg, "np.rad2deg(x)")
unary(np.degrees, "np.degrees(x)", shapes=(FLOAT, (2, 3)))
# edges: |x| at 0 takes the subgradient 0 (what central differences see too)
R(np.abs, "np.abs(x)", x=V(np.array([0.0, 1.0, -1.0])))
R(np.square, "np.square(x)", x=V(np.array([0.0, 1.0])))
R(np.sqrt, "np.sqrt(x)", x=V(np.array([0.0, 4.0])), values={"x": np.array([np.inf, 0.25])})
R(np.log, "np.log(x)", x=V(np.array([0.0, 2.0])), values={"x": np.array([np.inf, 0.5])})

binary(np.hypot, "np.hypot(x, y)", xgen=AWAY, ygen=AWAY, shapes=FEW_BROADCASTS + [((2, 3, 4), (3, 1))])
binary(np.arctan2, "np.arctan2(x, y)", xgen=AWAY, ygen=AWAY, shapes=FEW_BROADCASTS + [((3, 1), (2, 3, 4))])
binary(np.logaddexp, "np.logaddexp(x, y)", shapes=FEW_BROADCASTS)
binary(np.logaddexp2, "np.logaddexp2(x, y)", shapes=FEW_BROADCASTS)

# np.maximum / np.minimum: ties split the cotangent evenly, which is what central
# differences see for a tie of two
for key, name in ((np.maximum, "maximum"), (np.minimum, "minimum")):
    binary(key, f"np.{name}(x, y)", shapes=FEW_BROADCASTS + [((2, 3, 4), (3, 1)), ((), ())])
    R(key, f"np.{name}(x, y)", x=V(np.array([0.5, 1.0, -0.2])), y=V(np.array([0.5, 0.0, -0.2])))
    R(key, f"np.{name}(x, 0.0)", x=A(2, 3))
    R(key, f"np.{name}(x, x)", x=A(3))

# Python's max(a, b) / min(a, b): the argument returned gets the cotangent (a at a tie)
for key, name in ((builtins.max, "max"), (builtins.min, "min")):
    for xs, ys in [(FLOAT, FLOAT), ((), ()), (FLOAT, ()), ((), FLOAT), ((1,), FLOAT)]:
        R(key, f"{name}(x, y)", x=_spec(A, xs), y=_spec(A, ys))
    R(key, f"{name}(x, y, z)", x=A(FLOAT), y=A(FLOAT), z=A(FLOAT))
    R(key, f"{name}([x, y])", x=A(FLOAT), y=A(FLOAT))
    R(key, f"{name}(x, 0.25)", x=A(FLOAT))
    R(key, f"{name}(x, y)", x=V(0.5), y=V(0.5), values={"x": 1.0, "y": 0.0})

R(builtins.float, "float(x)", x=A(FLOAT))
R(builtins.float, "float(x)", x=A())
R(builtins.float, "float(np.sum(x * x))", x=A(3))
R(builtins.float, "float(x) * y", x=A(), y=A(3))
R(method("item"), "x.item()", x=A())
R(method("item"), "x.item()", x=A(1))
R(method("item"), "x.item() * y", x=A(1, 1), y=A(2))

# ---- reductions: every axis / keepdims form, of N-D, 1-D, 0-d and Python-number operands
AXES = ["", "axis=0", "axis=1", "axis=-1", "axis=(0, 2)", "axis=(-1, 0)", "axis=(0, 1, 2)", "axis=()", "1"]


def reductions(key, call, full=True):
    """Rows for the reduction `call` (a format string with {args} after x)."""
    for axis in (AXES if full else ["", "axis=1", "axis=(0, 2)"]):
        for keepdims in ("", "keepdims=True"):
            if axis == "1" and keepdims:
                continue
            args = ", ".join(a for a in (axis, keepdims) if a)
            R(key, call.format(args=(", " if call.startswith("np.") and args else "") + args), x=A(2, 3, 4))
    R(key, call.format(args=(", " if call.startswith("np.") else "") + "axis=0"), x=A(5))
    R(key, call.format(args=""), x=A(5))
    R(key, call.format(args=""), x=A())
    R(key, call.format(args=(", " if call.startswith("np.") else "") + "axis=0, keepdims=True"), x=A(4))


reductions(np.sum, "np.sum(x{args})")
reductions(method("sum"), "x.sum({args})", full=False)
reductions(np.mean, "np.mean(x{args})")
reductions(method("mean"), "x.mean({args})", full=False)
reductions(np.max, "np.max(x{args})")
reductions(np.amax, "np.amax(x{args})", full=False)
reductions(method("max"), "x.max({args})", full=False)
reductions(np.min, "np.min(x{args})")
reductions(np.amin, "np.amin(x{args})", full=False)
reductions(method("min"), "x.min({args})", full=False)
reductions(np.prod, "np.prod(x{args})")
reductions(method("prod"), "x.prod({args})", full=False)
R(np.sum, "np.sum(x, axis=None, keepdims=True)", x=A(2, 3))
R(np.mean, "np.mean(x, axis=None)", x=A(2, 3))
R(np.sum, "np.sum(x)", x=A(FLOAT))
R(np.mean, "np.mean(x)", x=A(FLOAT))
R(np.max, "np.max(x)", x=A(FLOAT))
R(np.sum, "x.sum(1)", x=A(2, 3))
R(np.sum, "np.sum(x, 0, None)", x=A(3, 3))
R(np.sum, "np.sum(x, 1, np.float64)", x=A(3, 3))  # a positional dtype, not keepdims
R(np.mean, "np.mean(x, 1, np.float64)", x=A(3, 3))
R(np.prod, "np.prod(x, 1, np.float64)", x=AWAY(3, 3))
R(method("sum"), "x.sum(1, np.float64)", x=A(3, 3))
R(np.sum, "np.sum(x, axis=0, dtype=np.float64)", x=A(3, 3))
R(np.sum, "np.sum(x, initial=1.0)", x=A(3))
R(np.sum, "np.sum(x, axis=1, initial=c)", x=A(2, 3), c=A(FLOAT))
R(np.sum, "np.sum(x, axis=1, where=x > 0)", x=A(2, 3))
R(np.sum, "np.sum(x, where=[True, False, True])", x=A(2, 3))
R(np.mean, "np.mean(x, axis=0, where=x < 0.5, keepdims=True)", x=A(4, 3))
R(method("mean"), "x.mean(where=x > -0.5)", x=A(5))
R(np.max, "np.max(x, 0, None)", x=A(3, 3))  # out=None at its position
R(method("max"), "x.max(0, None, True)", x=A(3, 3))
R(np.sum, "np.sum(x, 0, None, None, True)", x=A(3, 3))
R(np.sum, "np.sum(x, axis=1, dtype=int) * y", x=U(0.1, 0.9)(3, 3), y=A(3))  # truncated: no gradient
R(np.mean, "np.mean(x, dtype=bool) * y", x=P(3), y=A(3))
R(np.prod, "np.prod(x, 0, int) * y", x=U(1.1, 1.9)(2, 3), y=A(3))
R(np.sum, "np.abs(np.sum(x, dtype=complex))", x=A(3), raises=(sct.SctError, "complex"))
R(np.max, "np.max(x, initial=0.0)", x=A(3))
R(np.max, "np.max(x, axis=1, initial=c)", x=A(2, 3), c=A(FLOAT))  # max(max(x), c): both get gradient
R(np.max, "np.max(x, initial=c)", x=U(-1.0, 0.0)(3), c=U(0.5, 1.0)(FLOAT))  # initial wins
R(np.min, "np.min(x, axis=0, where=x > -0.5, initial=1.0, keepdims=True)", x=A(3, 2))
R(method("max"), "x.max(axis=0, initial=-0.2)", x=A(3, 2))
# ties: a tie of two gets half each (as central differences see); of three, a third each
R(np.max, "np.max(x)", x=V(np.array([1.0, 0.3, 1.0, -0.5])))
R(np.max, "np.max(x, axis=1)", x=V(np.array([[1.0, 1.0, 0.2], [0.1, 0.5, 0.4]])))
R(np.min, "np.min(x, axis=0, keepdims=True)", x=V(np.array([[0.2, 1.0], [0.2, 0.5]])))
R(np.max, "np.max(x)", x=V(np.array([1.0, 1.0, 1.0, 0.5])), values={"x": np.array([1, 1, 1, 0]) / 3})
R(np.min, "np.min(x, axis=1)", x=V(np.array([[0.0, 0.0, 0.0], [0.1, 0.5, 0.4]])),
  values={"x": np.array([[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])})
# products with zeros: the gradient is the product of the other entries
R(np.prod, "np.prod(x)", x=V(np.array([0.0, 0.5, 2.0])))
R(np.prod, "np.prod(x)", x=V(np.array([0.0, 0.5, 0.0])))
R(np.prod, "np.prod(x, axis=0)", x=V(np.array([[0.0, 0.5], [2.0, 0.0], [1.5, 3.0]])))
R(np.prod, "np.prod(x, axis=1, keepdims=True)", x=V(np.array([[0.0, 0.5], [2.0, 1.0]])))

for key, call in ((np.var, "np.var"), (np.std, "np.std")):
    for axis in ("", "axis=0", "axis=-1", "axis=(0, 2)", "1"):
        for extra in ("", "ddof=1", "ddof=1, keepdims=True"):
            args = ", ".join(a for a in (axis, extra) if a)
            R(key, f"{call}(x{', ' if args else ''}{args})", x=A(2, 3, 4))
    R(key, f"{call}(x)", x=A(5))
    R(key, f"{call}(x, ddof=2)", x=A(5))
    R(method(call[3:]), f"x.{call[3:]}()", x=A(3, 4))
    R(method(call[3:]), f"x.{call[3:]}(axis=0, ddof=1)", x=A(3, 4))
    R(method(call[3:]), f"x.{call[3:]}(1, keepdims=True)", x=A(3, 4))
    R(key, f"{call}(x)", x=A(1))
    R(key, f"{call}(x, axis=0)", x=A(1, 3))
    R(key, f"{call}(x, 0, np.float64)", x=A(3, 4), raises=(sct.SctError, "does not accept"))
R(np.std, "np.std(x)", x=V(np.array([0.5, 0.5])), values={"x": np.array([0.0, 0.0])})

# ---- linear algebra
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(3, 3), b=A(3))
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(3, 3), b=A(3, 2))
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(2, 3, 3), b=A(2, 3, 2))
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(2, 3, 3), b=A(3))  # one b for every matrix of a
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(2, 3, 3), b=A(3, 2))
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(3, 3), b=A(2, 3, 2))  # one a for every b
R(np.linalg.solve, "np.linalg.solve(a, b)", a=SPD(1, 3, 3), b=A(2, 3, 1))
R(np.linalg.inv, "np.linalg.inv(a)", a=SPD(3, 3))
R(np.linalg.inv, "np.linalg.inv(a)", a=SPD(2, 3, 3))
R(np.linalg.inv, "np.linalg.inv(a)", a=SPD(1, 1))
for shape, forms in [((5,), ["", "2", "1", "np.inf", "-np.inf", "3", "0.5", "-1", "0", "None, 0",
                             "axis=0", "axis=0, keepdims=True", "keepdims=True", "axis=(0,)"]),
                     ((3, 4), ["", "'fro'", "axis=1", "axis=0", "None, 1", "1, 1", "np.inf, 0", "3, -1",
                               "axis=(0, 1)", "axis=(1, 0)", "None, (0, 1), True", "'fro', (0, 1)",
                               "axis=1, keepdims=True", "2, 1, True", "keepdims=True"]),
                     ((2, 3, 4), ["", "axis=-1", "None, (1, 2)", "1, 0", "axis=(0, 2), keepdims=True"])]:
    for form in forms:
        R(np.linalg.norm, f"np.linalg.norm(x{', ' if form else ''}{form})", x=AWAY(*shape))
R(np.linalg.norm, "np.linalg.norm(x, np.inf)", x=V(np.array([1.0, -1.0, 0.5])))
R(np.linalg.norm, "np.linalg.norm(x)", x=AWAY(FLOAT))
R(np.linalg.norm, "np.linalg.norm(x, axis=(-2, -1))", x=AWAY(2, 3, 4))
R(np.linalg.norm, "np.linalg.norm(x, 'fro', (1, 2), True)", x=AWAY(2, 3, 4))
for form, shape in [("'nuc'", (3, 4)), ("2", (3, 4)), ("1", (3, 4)), ("np.inf", (3, 4)), ("-2, (0, 1)", (3, 4))]:
    R(np.linalg.norm, f"np.linalg.norm(x, {form})", x=AWAY(*shape), raises=(sct.SctError, "no gradient"))

for key, call in ((np.trace, "np.trace(x{sep}{args})"), (method("trace"), "x.trace({args})")):
    for shape, args in [((3, 3), ""), ((3, 4), ""), ((3, 4), "1"), ((4, 3), "-1"), ((3, 4), "offset=2"),
                        ((3, 4), "0, 1, 0"), ((2, 3, 4), "0, 1, 2"), ((2, 3, 4), "axis1=2, axis2=0"),
                        ((2, 3, 3), "1, -1, -2")]:
        R(key, call.format(sep=", " if args else "", args=args), x=A(*shape))

for key, call in ((np.cumsum, "np.cumsum(x{sep}{args})"), (method("cumsum"), "x.cumsum({args})")):
    for shape, args in [((5,), ""), ((2, 3), ""), ((2, 3), "0"), ((2, 3), "axis=1"), ((2, 3, 4), "-1"),
                        ((2, 3, 4), "axis=0"), ((), "")]:
        R(key, call.format(sep=", " if args else "", args=args), x=A(*shape))

for xs, ys in [((3,), (4,)), ((2, 3), (4,)), ((3,), (2, 2)), ((), (3,)), ((2,), FLOAT)]:
    R(np.outer, "np.outer(x, y)", x=_spec(A, xs), y=_spec(A, ys))
for xs, ys in [((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)),
               ((2, 3), (2, 2, 3)), ((), (3,)), ((2, 3), FLOAT), ((), ())]:
    R(np.inner, "np.inner(x, y)", x=_spec(A, xs), y=_spec(A, ys))

# ---- shapes and copies
for key, call in ((np.squeeze, "np.squeeze(x{sep}{args})"), (method("squeeze"), "x.squeeze({args})")):
    for shape, args in [((1, 3, 1), ""), ((1, 3, 1), "0"), ((1, 3, 1), "axis=-1"), ((1, 3, 1), "axis=(0, 2)"),
                        ((1,), ""), ((1, 1), "")]:
        R(key, call.format(sep=", " if args else "", args=args), x=A(*shape))
for shape, axis in [((3,), "0"), ((3,), "1"), ((2, 3), "-1"), ((2, 3), "(0, 2)"), ((), "0"), ((3,), "axis=0")]:
    R(np.expand_dims, f"np.expand_dims(x, {axis})", x=A(*shape))
R(np.expand_dims, "np.expand_dims(x, 0) * y", x=A(FLOAT), y=A(3))
for key, call in ((np.ravel, "np.ravel({x}{sep}{args})"), (method("ravel"), "{x}.ravel({args})"),
                  (method("flatten"), "{x}.flatten({args})")):
    for x, shape, args in [("x", (2, 3), ""), ("x", (2, 3), "'C'"), ("x", (2, 3), "'F'"), ("x", (2, 3), "order='A'"),
                           ("x", (2, 3), "'K'"), ("x.T", (2, 3), "'K'"), ("x.T", (2, 3), "'A'"), ("x", (), "")]:
        R(key, call.format(x=x, sep=", " if args else "", args=args), x=A(*shape))
for key, call in ((np.swapaxes, "np.swapaxes(x, {args})"), (method("swapaxes"), "x.swapaxes({args})")):
    for shape, args in [((2, 3), "0, 1"), ((2, 3, 4), "0, 2"), ((2, 3, 4), "-1, 1"), ((3,), "0, 0")]:
        R(key, call.format(args=args), x=A(*shape))
for shape, args in [((2, 3, 4), "0, -1"), ((2, 3, 4), "(0, 1), (2, 0)"), ((2, 3), "source=1, destination=0")]:
    R(np.moveaxis, f"np.moveaxis(x, {args})", x=A(*shape))
for shape, args in [((4,), ""), ((2, 3), ""), ((2, 3), ", 0"), ((2, 3, 4), ", axis=(0, 2)"), ((2, 3), ", -1")]:
    R(np.flip, f"np.flip(x{args})", x=A(*shape))
for key, call in ((np.copy, "np.copy(x)"), (method("copy"), "x.copy()")):
    for shape in ((2, 3), (), FLOAT):
        if shape == FLOAT and key != np.copy:
            continue
        R(key, call, x=_spec(A, shape))
R(np.copy, "np.copy(x, order='F')", x=A(2, 3))
# Python numbers through the shape functions
for call in ("np.reshape(x, (1, 1))", "np.squeeze(x)", "np.ravel(x)", "np.transpose(x)", "np.flip(x)",
             "np.cumsum(x)", "np.outer(x, x)", "np.prod(x)", "np.var(x)", "np.broadcast_to(x, (2,))"):
    R({"reshape": np.reshape, "squeeze": np.squeeze, "ravel": np.ravel, "transpose": np.transpose,
       "flip": np.flip, "cumsum": np.cumsum, "outer": np.outer, "prod": np.prod, "var": np.var,
       "broadcast_to": np.broadcast_to}[call[3:call.index("(")]], call, x=A(FLOAT))
for dtype in ("np.float64", "float", "'float64'"):
    R(method("astype"), f"x.astype({dtype})", x=A(2, 3))
R(method("astype"), "x.astype(np.float32)", x=A(2, 3), check={"eps": 1e-2, "rtol": 1e-4})
R(method("astype"), "x.astype(int) * y", x=U(0.1, 0.9)(3), y=A(3))
R(method("astype"), "x.astype(bool) * y", x=P(3), y=A(3))
R(method("astype"), "np.abs(x.astype(complex))", x=A(3), raises=(sct.SctError, "complex"))
for key, name in ((np.asarray, "asarray"), (np.array, "array"), (np.asanyarray, "asanyarray"),
                  (np.ascontiguousarray, "ascontiguousarray")):
    R(key, f"np.{name}(x)", x=A(2, 3))
    R(key, f"np.{name}([x, y])", x=A(3), y=A(3))
    R(key, f"np.{name}(x, dtype=np.float64)", x=A(3))
R(np.asarray, "np.asarray(x)", x=A(FLOAT))
R(np.asarray, "np.asarray([x, y]) * z", x=A(FLOAT), y=A(FLOAT), z=A(2, 2))
R(np.array, "np.array([[x, y], [y, x]])", x=A(FLOAT), y=A(FLOAT))
R(np.array, "np.array([x, 2.0])", x=A())
R(np.array, "np.array(x, ndmin=2)", x=A(3))
R(np.asarray, "np.asarray(x, dtype=int) * y", x=U(0.1, 0.9)(2, 3), y=A(3))
R(np.array, "np.array(x, dtype=int) * y", x=U(0.1, 0.9)(3), y=A(3))
R(np.ascontiguousarray, "np.ascontiguousarray(x.T)", x=A(2, 3))

# ---- joining lists of arrays
for args in ("[x, y]", "(x, y), axis=1", "[x, y], -1", "[x, y, x]"):
    R(np.stack, f"np.stack({args})", x=A(2, 3), y=A(2, 3))
R(np.stack, "np.stack([x, y])", x=A(), y=A())
R(np.stack, "np.stack([x, y], axis=1)", x=A(3), y=A(3))
R(np.stack, "np.stack([x, y])", x=A(FLOAT), y=A(FLOAT))
for args, xs, ys in [("[x, y]", (2, 3), (1, 3)), ("[x, y], axis=1", (2, 3), (2, 1)), ("(x, y), -1", (2, 3), (2, 2)),
                     ("[x, y, x]", (3,), (2,)), ("[x, y], 0", (2, 3, 2), (1, 3, 2))]:
    R(np.concatenate, f"np.concatenate({args})", x=A(*xs), y=A(*ys))
R(np.concatenate, "np.concatenate([x, y], axis=None)", x=A(2, 3), y=A(2))
for xs, ys in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((), ())]:
    R(np.vstack, "np.vstack([x, y])", x=A(*xs), y=A(*ys))
R(np.vstack, "np.vstack((x, y, x))", x=A(2, 2), y=A(1, 2))
R(np.vstack, "np.vstack(x)", x=A(2, 3))
for xs, ys in [((3,), (2,)), ((2, 3), (2, 1)), ((), ()), ((), (2,)), ((2, 1, 2), (2, 3, 2))]:
    R(np.hstack, "np.hstack([x, y])", x=A(*xs), y=A(*ys))
R(np.hstack, "np.hstack(x)", x=A(2, 3))
# containers passed in: the gradient has the container's structure
R(np.stack, "np.stack(xs)", xs=[A(3), A(3), A(3)])
R(np.stack, "np.stack(xs, axis=1)", xs=(A(2, 2), A(2, 2)))
R(np.concatenate, "np.concatenate(xs)", xs=(A(2), A(3)))
R(np.vstack, "np.vstack(xs)", xs=[A(3), A(2, 3)])
R(np.hstack, "np.hstack(xs)", xs=[A(2), A(3)])
R(np.array, "np.array(xs)", xs=[A(2), A(2)])
R(np.sum, "np.sum(xs, axis=0)", xs=[A(3), A(3)])
R(np.mean, "np.mean(xs)", xs=(A(2), A(2)))
R(np.max, "np.max(p['a'], axis=1) * p['b']", p={"a": A(2, 3), "b": A(2)})

# ---- lists, dicts and sums made at run time
R(appended, "hs = []\nfor row in x:\n    hs.append(np.tanh(row) * y)\nreturn np.stack(hs)", x=A(3, 2), y=A(2))
R(appended, "hs = []\nfor row in x:\n    hs.append(np.sum(row))\nreturn hs[0] * hs[-1]", x=A(3, 2))
# sorted() of a run-time list or array reads its items at the sorted order (take_items);
# list()/tuple() of one give item k the row k adjoint
R(take_items, "s = sorted(x)\nreturn s[0] * 3.0 + s[-1]", x=A(4))
R(take_items, "hs = []\nfor r in x:\n    hs.append(np.sum(r * r))\ns = sorted(hs, reverse=True)\n"
              "return s[0] - 2.0 * s[1]", x=A(3, 2))
R(builtins.list, "return np.stack(list(x)) * y", x=A(3, 2), y=A(2))
R(builtins.list, "rows = list(map(np.tanh, x))\nreturn rows[0] * rows[-1]", x=A(3, 2))
R(builtins.tuple, "t = tuple(x)\nreturn t[0] * t[1]", x=A(3))
R(method("get"), "stats = {}\nfor i in range(2):\n    stats['a'] = x * (i + 1.0)\n"
                 "return stats.get('a', 0.0) * stats.get('b', y)", x=A(3), y=A(3))
R(method("get"), "stats = {}\nfor i in range(2):\n    stats['a'] = x * (i + 1.0)\nreturn stats.get('a')", x=A(2, 2))
R(builtins.sum, "return sum([np.sin(r) for r in x])", x=A(3, 2))
R(builtins.sum, "return sum([r * r for r in x], y)", x=A(3, 2), y=A(2))
R(builtins.sum, "return sum([r for r in x], 1.5)", x=A(4))
R(builtins.sum, "return sum([r for r in x], y)", x=A(4, 2), y=A(3, 2))  # the start broadcasts the items
R(builtins.sum, "hs = []\nfor r in x:\n    hs.append(r)\nhs.append(y)\nreturn sum(hs)", x=A(2, 3), y=A(2, 3))

for xs, shape in [((4,), "(3, 4)"), ((3, 1), "(3, 4)"), ((), "(2, 3)"), (FLOAT, "(3,)"), ((1, 4), "(2, 3, 4)")]:
    R(np.broadcast_to, f"np.broadcast_to(x, {shape})", x=_spec(A, xs))
R(np.broadcast_to, "np.broadcast_to(x, shape=(2, 3))", x=A(3))
R(np.broadcast_to, "np.broadcast_to(x, (3,))", x=A(3))

for shape, args in [((3,), ""), ((3,), ", 1"), ((3,), ", k=-2"), ((3, 3), ""), ((3, 4), ", 1"), ((4, 3), ", -2")]:
    R(np.diag, f"np.diag(x{args})", x=A(*shape))
for key, call in ((np.diagonal, "np.diagonal(x{sep}{args})"), (method("diagonal"), "x.diagonal({args})")):
    for shape, args in [((3, 4), ""), ((3, 4), "1"), ((4, 3), "offset=-1"), ((2, 3, 4), "0, 1, 2"),
                        ((2, 3, 4), "axis1=2, axis2=0"), ((3, 3), "5")]:
        R(key, call.format(sep=", " if args else "", args=args), x=A(*shape))
for key, name in ((np.tril, "tril"), (np.triu, "triu")):
    for shape, args in [((3, 3), ""), ((3, 4), ", 1"), ((4, 3), ", k=-1"), ((2, 3, 3), ""), ((3,), ""),
                        ((3,), ", 1")]:
        R(key, f"np.{name}(x{args})", x=A(*shape))

# ---- transposes and reshapes
for shape in ((2, 3), (2, 3, 4), (4,), ()):
    R(np.transpose, "np.transpose(x)", x=A(*shape))
for args in ("(1, 0, 2)", "axes=(2, 0, 1)", "(-1, 0, 1)", "[1, 2, 0]"):
    R(np.transpose, f"np.transpose(x, {args})", x=A(2, 3, 4))
for shape in ((2, 3), (2, 3, 4), (4,)):
    R(attribute("T"), "x.T", x=A(*shape))
for args in ("", "1, 0, 2", "(2, 0, 1)", "-1, 0, 1", "[1, 2, 0]"):
    R(method("transpose"), f"x.transpose({args})", x=A(2, 3, 4))
R(method("transpose"), "x.transpose()", x=A(2, 3))
for shape, args in [((3, 4), "(12,)"), ((3, 4), "(-1,)"), ((3, 4), "(2, -1)"), ((3, 4), "(4, 3), order='F'"),
                    ((), "(1,)"), ((6,), "(2, 3)"), ((1,), "()"), ((3, 4), "shape=(2, 6)"), ((2, 3), "-1")]:
    R(np.reshape, f"np.reshape(x, {args})", x=A(*shape))
R(np.reshape, "np.reshape(x, [2, 6])", x=A(3, 4))
R(np.reshape, "np.reshape(x.T, (6,), order='A')", x=A(2, 3))
R(method("reshape"), "x.T.reshape(6, order='A')", x=A(2, 3))
R(method("reshape"), "x.reshape([4, 3])", x=A(3, 4))
for shape, args in [((3, 4), "12"), ((3, 4), "(2, 6)"), ((3, 4), "-1"), ((3, 4), "2, 3, 2"),
                    ((3, 4), "4, 3, order='F'"), ((), "1"), ((1,), "()")]:
    R(method("reshape"), f"x.reshape({args})", x=A(*shape))

# ---- indexing: reads and writes
for body, shape in [("x[1]", (3, 4)), ("x[-1]", (3, 4)), ("x[1:3]", (4, 3)), ("x[::2]", (5,)), ("x[::-1]", (4,)),
                    ("x[:, None]", (3,)), ("x[..., 1]", (2, 3, 4)), ("x[[0, 2, 0]]", (3, 2)), ("x[1, 2]", (3, 4)),
                    ("x[0:2, [1, 0]]", (3, 4)), ("x[()]", ()), ("x[None]", ()), ("x[1, :, ::2]", (2, 3, 4)),
                    ("x[:, -1:]", (3, 4)), ("x[0][1]", (2, 3))]:
    R(operator.getitem, body, x=A(*shape))
R(operator.getitem, "x[idx]", x=A(4, 2), idx=V(np.array([3, 0, 3, 1])))
R(operator.getitem, "x[:, [1, 1, 0]]", x=A(3, 2))
R(operator.getitem, "x[mask]", x=A(3, 2), mask=V(np.array([True, False, True])))
R(operator.getitem, "x[::-1, ::2]", x=A(3, 4))
R(operator.getitem, "x[s]", x=A(5), s=V(slice(1, None, 2)))
R(operator.getitem, "x[mask]", x=A(3, 4), mask=MASK(3, 4))
R(operator.getitem, "x[x > 0]", x=A(6))
R(operator.getitem, "x[i] * x[j]", x=A(4), i=V(1), j=V(1))
R(operator.getitem, "x[i:j]", x=A(5), i=V(1), j=V(4))
R(operator.getitem, "items = [np.sin(r) for r in x]\nreturn items[i]", x=A(3, 2), i=V(2))
R(operator.getitem, "xs[i]", xs=[A(3), A(3)], i=V(1))
R(operator.getitem, "stats = {}\nstats['a'] = x * 2.0\nreturn stats[k]", x=A(3), k=V("a"))

for body, xs, vs in [("y[1] = v", (3, 4), (4,)), ("y[:, 1:3] = v", (3, 4), (3, 2)), ("y[:, 1:3] = v", (3, 4), (2,)),
                     ("y[1, 2] = v", (3, 4), FLOAT), ("y[0] = v", (3,), ()), ("y[x > 0] = v", (3, 4), FLOAT),
                     ("y[[0, 2, 0]] = v", (3, 2), (3, 2)), ("y[...] = v", (2, 2), (2,)), ("y[:] = v", (3,), FLOAT),
                     ("y[::2] += v", (5,), (3,)), ("y[1:] *= v", (3, 2), (2,))]:
    R(operator.setitem, f"y = x * 1.0\n{body}\nreturn y", x=A(*xs), v=_spec(A, vs))
R(operator.setitem, "y = np.zeros(3)\ny[i] = x\nreturn y", x=A(FLOAT), i=V(1))
R(operator.setitem, "y = np.zeros((2, 3))\nfor i in range(2):\n    y[i] = x * (i + 1.0)\nreturn y", x=A(3))
R(operator.setitem, "y = np.zeros(3, dtype=int)\ny[0] = x\nreturn y * v", x=A(FLOAT), v=A(3))
R(operator.setitem, "stats = {}\nstats['a'] = x\nstats['a'] = x * 2.0\nreturn stats['a']", x=A(3))
R(operator.setitem, "items = [np.sin(r) for r in x]\nitems[i] = y\nreturn np.stack(items)", x=A(3, 2), y=A(2), i=V(0))

# ---- clip and where
for call in ("np.clip(x, -0.5, 0.5)", "np.clip(x, None, 0.3)", "np.clip(x, -0.3, None)", "np.clip(x, a_min=-0.5, a_max=0.5)",
             "np.clip(x, 0.5, -0.5)"):
    for shape in ((2, 3), (), FLOAT):
        R(np.clip, call, x=_spec(A, shape))
R(np.clip, "np.clip(x, lo, hi)", x=A(3, 4), lo=U(-0.6, -0.2)(3, 1), hi=U(0.2, 0.6)(4))
R(np.clip, "np.clip(x, lo, 0.5)", x=A(3, 4), lo=U(-0.6, -0.2)(FLOAT))
R(np.clip, "np.clip(x, lo, hi)", x=A(3), lo=V(None), hi=U(0.2, 0.6)(3))
R(np.clip, "np.clip(x, lo, hi)", x=A(3), lo=U(0.3, 0.6)(3), hi=U(-0.6, -0.3)(3))
R(np.clip, "np.clip(x, -0.5, 0.5)", x=V(np.array([-0.5, 0.5, 0.0, 0.7])))
R(np.clip, "np.clip(x, min=-0.5, max=0.5)", x=A(3), raises=(sct.SctError, "does not accept"))
for call in ("x.clip(-0.5, 0.5)", "x.clip(min=-0.5)", "x.clip(max=0.5)", "x.clip(None, 0.3)", "x.clip(-0.3, max=0.2)"):
    R(method("clip"), call, x=A(2, 3))
R(method("clip"), "x.clip(lo, hi)", x=A(3, 4), lo=U(-0.6, -0.2)(3, 1), hi=U(0.2, 0.6)(4))
R(method("clip"), "x.clip(-0.5, 0.5)", x=A())
for cs, xs, ys in [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((3, 4), FLOAT, (3, 4)), ((4,), (3, 4), ()),
                   ((), (3,), (3,)), ((), FLOAT, FLOAT)]:
    R(np.where, "np.where(c, x, y)", c=MASK(*cs), x=_spec(A, xs), y=_spec(A, ys))
R(np.where, "np.where(x > 0, x, 0.1 * x)", x=A(3, 4))
R(np.where, "np.where(c, x, 0.0)", c=MASK(3), x=A(3))
R(np.where, "np.where(c, x, y)", c=V(True), x=A(3), y=A(3))
R(np.where, "np.where(c, x, y)", c=MASK(3, 4), x=A(FLOAT), y=A(FLOAT))
R(np.clip, "np.clip(x, lo, hi)", x=U(-0.1, 0.1)(FLOAT), lo=U(-0.6, -0.2)(2, 3), hi=U(0.2, 0.6)(3))
R(np.maximum, "np.maximum(x, y)", x=V(np.array([0.5, 1.0])), y=V(0.5))  # a tie against a broadcast number


# ---- array constructors from float arguments, np.r_ / np.c_ and their slices, text
R(np.full, "np.full((2, 3), x)", x=A(FLOAT))
R(np.full, "np.full((2, 3), x)", x=A(3))
R(np.full_like, "np.full_like(y, x)", x=A(FLOAT), y=A(2, 3))
R(np.arange, "np.arange(x, 3.0, 0.5)", x=U(0.1, 0.4)(FLOAT))
R(np.arange, "np.arange(0.0, 2.0, x)", x=U(0.3, 0.35)(FLOAT))
R(np.linspace, "np.linspace(x, y, 5)", x=A(FLOAT), y=A(FLOAT))
R(np.linspace, "np.linspace(x, y, 4, endpoint=False)", x=A(3), y=A(3))
R(np.logspace, "np.logspace(x, y, 4)", x=A(FLOAT), y=A(FLOAT))
R(np.geomspace, "np.geomspace(x, y, 4)", x=P(FLOAT), y=P(FLOAT))
R(np.meshgrid, "a, b = np.meshgrid(x, y)\nreturn a * b", x=A(3), y=A(2))
R(builtins.slice, "np.r_[x:y:5j]", x=A(FLOAT), y=A(FLOAT))
R(operator.getitem, "np.r_[x, y]", x=A(2), y=A(3))
R(operator.getitem, "np.c_[x, y]", x=A(2), y=A(2))
for key, call in ((builtins.str, "str(x)"), (builtins.repr, "repr(x)"), (builtins.format, "format(x, '.17g')"),
                  (builtins.ascii, "ascii(x)")):
    R(key, f"float({call}) * y", x=A(FLOAT), y=A(FLOAT), raises=(sct.SctError, "text"))


# ---- parameters known only at run time (arguments, not literals): templates take their general branch
for call, extra in [("np.sum(x, axis=ax, keepdims=kd)", {"ax": V(1), "kd": V(True)}),
                    ("np.sum(x, axis=ax)", {"ax": V(None)}), ("np.sum(x, 1, dt)", {"dt": V(np.float64)}),
                    ("np.mean(x, 1, dt)", {"dt": V(np.float64)}), ("np.prod(x, 1, dt)", {"dt": V(np.float64)}),
                    ("np.mean(x, axis=ax, keepdims=kd)", {"ax": V((0, 2)), "kd": V(False)}),
                    ("np.mean(x, axis=ax)", {"ax": V(None)}),
                    ("np.max(x, axis=ax, keepdims=kd)", {"ax": V(-1), "kd": V(True)}),
                    ("np.min(x, axis=ax)", {"ax": V(None)}), ("np.prod(x, axis=ax)", {"ax": V(1)}),
                    ("np.var(x, axis=ax, ddof=dd)", {"ax": V(1), "dd": V(1)}),
                    ("np.std(x, axis=ax, ddof=dd, keepdims=kd)", {"ax": V(None), "dd": V(0), "kd": V(True)}),
                    ("np.linalg.norm(x, o, ax, kd)", {"o": V(1), "ax": V(2), "kd": V(False)}),
                    ("np.linalg.norm(x, o, ax)", {"o": V(None), "ax": V(None)}),
                    ("np.linalg.norm(x, o, ax)", {"o": V(2), "ax": V(-1)}),
                    ("np.cumsum(x, axis=ax)", {"ax": V(None)}), ("np.cumsum(x, ax)", {"ax": V(1)}),
                    ("np.transpose(x, ax)", {"ax": V((1, 2, 0))}), ("x.transpose(ax)", {"ax": V((2, 0, 1))}),
                    ("np.reshape(x, s, order=o)", {"s": V((4, 6)), "o": V("F")}),
                    ("x.reshape(s)", {"s": V((6, 4))}), ("np.ravel(x, o)", {"o": V("F")}),
                    ("x.flatten(o)", {"o": V("A")}), ("np.squeeze(x[:, :1], ax)", {"ax": V(1)}),
                    ("np.expand_dims(x, ax)", {"ax": V(1)}), ("np.swapaxes(x, a1, a2)", {"a1": V(0), "a2": V(2)}),
                    ("np.moveaxis(x, s, d)", {"s": V(0), "d": V(-1)}), ("np.flip(x, ax)", {"ax": V(None)}),
                    ("x.astype(dt)", {"dt": V(np.float64)}), ("np.asarray(x, dtype=dt)", {"dt": V(np.float64)}),
                    ("np.stack([x, x * 2.0], axis=ax)", {"ax": V(1)}),
                    ("np.concatenate([x, x], ax)", {"ax": V(-1)}),
                    ("np.trace(x, o, a1, a2)", {"o": V(1), "a1": V(0), "a2": V(2)}),
                    ("np.diagonal(x, o)", {"o": V(-1)}), ("np.tril(x, k)", {"k": V(1)}),
                    ("np.triu(x[0], k)", {"k": V(-1)}), ("np.broadcast_to(x, s)", {"s": V((3, 2, 3, 4))}),
                    ("np.clip(x, lo, hi)", {"lo": V(-0.5), "hi": V(None)}), ("x.clip(lo, hi)", {"lo": V(None), "hi": V(0.3)})]:
    name = call[3:call.index("(")] if call.startswith("np.") else call[2:call.index("(")]
    key = method(name) if call.startswith("x.") else {"linalg.norm": np.linalg.norm}.get(name) or getattr(np, name)
    R(key, call, x=A(2, 3, 4), **extra)
R(np.diag, "np.diag(x, k)", x=A(3), k=V(1))

# ---- NumPy's out=: the write out[...] = f(...), or refused; never a silent gradient
for key, call in ((np.add, "np.add(x, 1.0, out=y)"), (np.negative, "np.negative(x, y)"),
                  (np.exp, "np.exp(x, out=y)"), (np.sum, "np.sum(x[None], axis=0, out=y)"),
                  (np.concatenate, "np.concatenate([x], out=y)"), (np.clip, "np.clip(x, 0.0, 1.0, out=y)")):
    R(key, f"y = np.zeros(3)\n{call}\nreturn y * 1.0", x=A(3))
R(np.stack, "y = np.zeros(3)\nnp.stack([x], out=y[None])\nreturn y * 1.0", x=A(3), raises=(sct.SctError, "out"))
R(np.negative, "y = x * 1.0\nnp.negative(y, out=y)\nreturn y", x=A(3))
# np.add.at(y, index, v), in place: the write y[...] = added_at(y, index, v)
R(added_at, "y = x * 1.0\nnp.add.at(y, [0, 0, 2], v)\nreturn y * y", x=A(3), v=A(3))
R(added_at, "y = x * 1.0\nnp.subtract.at(y, np.array([1, 1]), v)\nreturn y * x", x=A(3), v=A())
