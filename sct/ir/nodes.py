"""The SSA intermediate representation.

A `Function` is a list of `Op`s. Every `Var` is assigned by exactly one op (or is
a parameter), so any later code, the adjoint sweep included, may read it. Operands
are `Var`s, `Const`s, or structured operands (a tuple, `ListOf` or `DictOf` of operands). Control flow will be added as structured region ops
(If/For/While holding nested op lists) next to `Op`, never as jumps.
"""
from dataclasses import dataclass, field
from typing import Any


class Var:
    """An SSA value. `name` is final: the namer made it unique within the function."""

    __slots__ = ("name", "is_temp")

    def __init__(self, name, is_temp=False):
        self.name = name
        # Temporaries (sub-expressions, rule intermediates) may be folded back into
        # the expression that uses them when the code is printed; user variables never are.
        self.is_temp = is_temp

    def __repr__(self):
        return self.name


@dataclass(frozen=True, eq=False)
class Const:
    """A compile-time constant. `spelling` is how generated code writes it when it is
    not a plain literal: a dotted name (`np.pi`) whose first part is bound to
    `root_obj` in the generated code's namespace."""

    value: Any
    spelling: str = None
    root_obj: Any = None

    def __repr__(self):
        return self.spelling if self.spelling is not None else repr(self.value)


class ListOf(tuple):
    """A structured operand written as a list, `[a, b]` (a plain `tuple` of operands is
    written `(a, b)`). Like a tuple operand, each item is an operand."""

    def rebuild(self, items):
        return ListOf(items)


class DictOf(tuple):
    """A structured operand written as a dict, `{k: v}`: the items are the values, `keys`
    their constant keys, in order."""

    def __new__(cls, keys, values):
        made = super().__new__(cls, values)
        made.keys = tuple(keys)
        return made

    def rebuild(self, items):
        return DictOf(self.keys, items)


class AttributesOf(DictOf):
    """The attributes of an object argument, taken apart: a DictOf of them (attribute
    names as keys) that remembers the object, `source`, so that the object's gradient
    can be an object of its class."""

    def __new__(cls, keys, values, source):
        made = super().__new__(cls, keys, values)
        made.source = source
        return made


def rebuild(x, items):
    """The structured operand `x` (tuple, ListOf or DictOf) with new `items`, same kind."""
    return x.rebuild(items) if isinstance(x, (ListOf, DictOf)) else tuple(items)


# How a callee is written in Python source. Rules are looked up by `Callee.key`.
CALL, BINOP, UNARYOP, COMPARE, METHOD, ATTR, GETITEM, BUILD, ASSERT, SETITEM, APPLY = (
    "call", "binop", "unaryop", "compare", "method", "attr", "getitem", "build", "assert", "setitem", "apply")


class ByIdentity:
    """An unhashable callable (a callable dataclass instance, a ctypes function) as a
    Callee's `obj`: hashed and compared by identity, so that the compiler's lookups of
    callees in sets and dicts work; `obj` is the callable itself (attributes are read
    through to it, and the rule registry looks it up by identity)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __getattr__(self, name):
        return getattr(self.obj, name)

    def __call__(self, *args, **kwargs):
        return self.obj(*args, **kwargs)

    def __repr__(self):
        return repr(self.obj)


def hashable_callee(obj):
    """`obj`, or `ByIdentity(obj)` when it cannot be hashed."""
    try:
        hash(obj)
        return obj
    except TypeError:
        return ByIdentity(obj)


@dataclass(frozen=True)
class Callee:
    """What an op applies.

    kind CALL:    `spelling(args...)`, `obj` the resolved callable, `spelling` a dotted
                  name whose first part is a global of the generated code (`np.tanh`).
    kind BINOP/UNARYOP/COMPARE: `obj` is the `operator` function, `spelling` its symbol.
    kind METHOD:  `args[0].spelling(args[1:]...)`; ATTR: `args[0].spelling`.
    kind GETITEM: `args[0][args[1]]`; ASSERT: `assert args[0], args[1]`.
    kind BUILD:   the container `args[0]`, a structured operand (`(a, b)`, `[a, b]`, `{k: v}`).
    kind SETITEM: a copy of `args[0]` with `[args[1]] = args[2]` (an array write, functional
                  in the IR so the adjoint never reads a clobbered value).
    kind APPLY:   `args[0](args[1:]...)`, a call of a run-time value (a recursive call's
                  pullback, which has no global name).
    """

    kind: str
    spelling: str
    obj: Any = None
    root_obj: Any = field(default=None, compare=False)  # what `root` is bound to, for CALL

    @property
    def key(self):
        """The rule-registry key: the callable itself, or ('method'|'attr', name)."""
        if self.kind in (METHOD, ATTR):
            return (self.kind, self.spelling)
        return self.obj

    @property
    def root(self):
        """The global name a CALL needs bound in the generated code's namespace."""
        return self.spelling.split(".")[0] if self.kind == CALL else None

    def __str__(self):
        if self.kind in (METHOD, ATTR):
            return "." + self.spelling
        return self.spelling


@dataclass(eq=False)
class Op:
    """`results = callee(*args, **kwargs)`, pure unless `callee` says otherwise.
    `loc` is the user's source line the op came from (for errors and `# grad of:`)."""

    results: list
    callee: Callee
    args: list
    kwargs: dict = field(default_factory=dict)
    loc: Any = None  # where in the user's source (the sub-expression), for errors
    stmt: Any = None  # the user's whole statement, for `# grad of:` comments
    keep: bool = False  # an expression statement run for its effect: never removed
    in_place: bool = False  # a SETITEM that may write into its array (see optimize._write_in_place)

    @property
    def result(self):
        return self.results[0]

    def operands(self):
        """Every operand, positional then keyword."""
        return list(self.args) + list(self.kwargs.values())


@dataclass(eq=False)
class Region:
    """A nested block: its ops, then the operands it yields to the op that owns it."""

    body: list
    yields: list


@dataclass(eq=False)
class If:
    """`results = then.yields if cond else orelse.yields`: structured control flow.

    Each region's ops run only on its path; `results` are the SSA join values.
    Values defined inside a region are Python locals of the generated function, so
    code after the `If` that runs on the same path (the adjoint of that branch,
    guarded by the same `cond`) may read them.
    """

    results: list
    cond: Any
    then: Region
    orelse: Region
    loc: Any = None
    stmt: Any = None
    keep: bool = False

    def operands(self):
        """The operands the If itself reads (its regions' own reads are inside them)."""
        return [self.cond] + list(self.then.yields) + list(self.orelse.yields)

    def regions(self):
        return (self.then, self.orelse)


@dataclass(eq=False)
class Loop:
    """A loop with loop-carried values.

    `for target in iterable:` when `iterable` is set, else `while` the `test`
    region's single yield is true (`target` is None). `carried` are the values at
    the start of an iteration (first `inits`, then `body`'s yields); `results` are
    their values after the loop. Each iteration defines `target` and `carried`.
    """

    results: list
    carried: list
    inits: list
    body: Region
    iterable: Any = None
    target: Any = None
    test: Any = None  # Region yielding the condition, evaluated before each iteration
    loc: Any = None
    stmt: Any = None
    keep: bool = False
    exit: Any = None  # a carried bool: the loop stops after an iteration that set it (`break`)
    counter: Any = None  # a carried int counting iterations, when the trip count is not known
    reversible: bool = True  # the iterable can be walked again, backwards (not enumerate, zip, ...)

    def operands(self):
        """What the loop itself reads (its regions' own reads are inside them)."""
        return ([self.iterable] if self.iterable is not None else []) + list(self.inits) + \
            list(self.body.yields) + (list(self.test.yields) if self.test is not None else [])

    def regions(self):
        return (self.test, self.body) if self.test is not None else (self.body,)

    def defined(self):
        """The Vars the loop defines on each iteration (besides its regions' ops)."""
        return ([self.target] if self.target is not None else []) + list(self.carried)


# A `for` Loop with target None iterates without naming the item (`for _ in ...`).


def walk(ops):
    """Every op in `ops` and in their regions, in program order (an op before its regions)."""
    for op in ops:
        yield op
        if isinstance(op, (If, Loop)):
            for region in op.regions():
                yield from walk(region.body)


@dataclass(eq=False)
class Function:
    """A primal function in SSA form: `params`, straight-line `body`, one returned operand."""

    name: str
    params: list
    body: list
    output: Any
    filename: str
    loc: Any = None
    namer: Any = None
    signature: Any = None  # the user function's inspect.Signature
    output_loc: Any = None  # the `return` statement (the `def` line if there is none)
    dependencies: list = field(default_factory=list)  # (namespace, name, object) resolved names
    # Concrete shape facts of the arguments this code is specialized to (name -> shape,
    # see analysis.shape_of_value); empty for code that must work for any shapes.
    param_shapes: dict = field(default_factory=dict)
    # For a tuple, list or dict parameter (by index): the structured operand of the Vars
    # its items were read into, which the body uses instead of the parameter itself.
    param_leaves: dict = field(default_factory=dict)

    def inputs(self, index):
        """What the body differentiates for parameter `index`: the Var, or its items."""
        return self.param_leaves.get(index, self.params[index])


@dataclass(eq=False)
class AdjointFunction:
    """The reverse-mode transform of a `Function`.

    `forward` is the primal sweep, `seed` the adjoint of the output (a Const 1.0 when
    the output is statically a scalar, else a Var the generated code must set),
    `backward` the adjoint sweep, `gradients` one operand per `wrt` parameter.
    """

    primal: Function
    wrt: tuple  # indices into primal.params
    forward: list
    seed: Any
    seed_check: bool  # True when the generated code must check the output is a scalar
    backward: list
    gradients: list
    output_computed: bool = True  # False once DCE dropped the primal output (plain grad)
