"""Source retrieval: a Python function -> its gast FunctionDef, decorators stripped."""
import inspect
import linecache
import textwrap
from dataclasses import dataclass
from typing import Any

import gast

from ..errors import Loc, SctError, SctUsageError, UnsupportedSyntaxError


@dataclass
class ParsedFunction:
    """A parsed function plus what is needed to map its AST back to the user's file."""

    fn: Any  # the Python function object
    tree: gast.FunctionDef
    filename: str
    line_offset: int  # add to AST line numbers to get file line numbers
    col_offset: int  # add to AST columns (the source was dedented by this much)

    def loc(self, node):
        """The user's file location of a gast node."""
        line = getattr(node, "lineno", None)
        if line is None:
            return Loc(self.filename, self.line_offset + self.tree.lineno, self.col_offset, "")
        line += self.line_offset
        col = getattr(node, "col_offset", 0) + self.col_offset
        return Loc(self.filename, line, col, linecache.getline(self.filename, line))


def parse_function(fn):
    """Retrieve and parse `fn`'s source.

    Guarantees: the returned tree is a gast.FunctionDef named like `fn`, with no
    decorators; `loc()` maps its nodes to the user's file and line.
    """
    if not inspect.isfunction(fn):
        raise SctUsageError(f"sct differentiates Python functions; got {type(fn).__name__} {fn!r}",
                            hint="Pass a function defined with `def`.")
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise SctError(f"cannot read the source of {fn.__qualname__}: {e}",
                       hint="sct transforms source code: define the function in a .py file "
                            "(or a notebook cell), not with exec() or at an interactive prompt.") from None
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_removed(text, dedented)
    # getsourcelines returns line 0 for a module-level function defined at the top of a
    # file read from linecache; AST lines are 1-based within `dedented`.
    line_offset = max(first_line, 1) - 1
    try:
        module = gast.parse(dedented)
    except SyntaxError as e:
        loc = Loc(filename, line_offset + (e.lineno or 1), indent + (e.offset or 1) - 1,
                  linecache.getline(filename, line_offset + (e.lineno or 1)))
        raise SctError(f"cannot parse the source of {fn.__qualname__}: {e.msg}", loc,
                       hint="sct needs the function's own source; lambdas written inside a larger "
                            "expression cannot be isolated, use a `def`.") from None
    defs = [n for n in module.body if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))]
    if not defs:
        loc = Loc(filename, first_line, indent, linecache.getline(filename, first_line))
        raise SctError(f"{fn.__qualname__} is not defined with a plain `def`", loc,
                       hint="sct differentiates functions written with `def`; rewrite the lambda as a def.")
    tree = defs[0]
    parsed = ParsedFunction(fn, tree, filename, line_offset, indent)
    if isinstance(tree, gast.AsyncFunctionDef):
        raise UnsupportedSyntaxError("async functions cannot be differentiated", parsed.loc(tree),
                                     hint="Differentiate a plain (non-async) function.")
    tree.decorator_list = []
    return parsed


def _indent_removed(text, dedented):
    first = next((line for line in text.splitlines() if line.strip()), "")
    first_d = next((line for line in dedented.splitlines() if line.strip()), "")
    return len(first) - len(first_d)
