"""Frontend: source retrieval and lowering to the SSA IR: `lower(parse_function(fn))`.

Its modules, each built only on those listed before it:
    source.py              a function's gast tree and source locations
    unsupported_syntax.py  the error for Python sct does not handle, with what to write instead
    static_values.py       what lowering knows as Python objects: GlobalRef, LocalObject, partial, super()
    containers.py          tuples, lists and dicts whose structure is known when lowering
    scope.py               what a name denotes; inlining the user's functions, defs and lambdas
    aliasing.py            what shares memory, and what a write or an in-place change reaches
    targets.py             assignment targets: names, unpacking, item and attribute writes
    expressions.py         operators, comparisons, calls, comprehensions, `a if c else b`
    statements.py          one statement without control flow: `=`, `+=`, `def`, `assert`
    control_flow.py        blocks, `if`, loops, and `break`/`continue`/`return` in them
    lower.py               the entry, `lower`, and function bodies
Inlining a body and lowering a comprehension as a loop reach back up: scope.py and
expressions.py call the lowering the scope holds (`scope.bodies`, lower.BODIES),
so that no module imports one built on it.
"""
from .source import parse_function, ParsedFunction
from .lower import lower
from .expressions import ExprLowering
from .static_values import GlobalRef
from .unsupported_syntax import unsupported
