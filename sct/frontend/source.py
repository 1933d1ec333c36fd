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
    if fn.__name__ == "<lambda>":
        return _parse_lambda(fn)
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


# A lambda's source: its file parsed whole (once per file text), so that a lambda in the
# middle of a larger expression, or on a line of several, is found by its position.
_FILE_TREES = {}


def _parse_lambda(fn):
    """A lambda as a ParsedFunction whose tree is `def <name>(<its parameters>): return <its
    body>`, placed where the lambda is in its file. The lambda is told from others on its
    line by the positions of its code's instructions (3.11+), else by its parameters and
    the names and constants its body uses; only lambdas alike in all of these are refused."""
    code = fn.__code__
    filename = inspect.getsourcefile(fn) or code.co_filename
    linecache.checkcache(filename)
    text = "".join(linecache.getlines(filename, fn.__globals__))
    line = code.co_firstlineno
    loc = Loc(filename, line, 0, linecache.getline(filename, line))
    if not text:
        raise SctError(f"cannot read the source of the lambda on line {line} of {filename}", loc,
                       hint="sct transforms source code: define the lambda in a .py file (or a notebook cell), "
                            "not with exec() or at an interactive prompt.")
    cached = _FILE_TREES.get(filename)
    if cached is None or cached[0] != text:
        try:
            cached = _FILE_TREES[filename] = (text, gast.parse(text))
        except SyntaxError as e:
            raise SctError(f"cannot parse {filename} to find the lambda on line {line}: {e.msg}", loc,
                           hint="Write the function with `def`.") from None
    tree = cached[1]
    lambdas = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda) and n.lineno == line]
    chosen = _the_lambda(lambdas, code, text)
    if chosen is None:
        what = "no lambda" if not lambdas else f"{len(lambdas)} lambdas that sct cannot tell apart"
        raise SctError(f"line {line} of {filename} holds {what} for this function", loc,
                       hint="Give the function its own line, or write it with `def`."
                       if lambdas else "The file may have changed since it was imported: reload it.")
    name = _assigned_name(tree, chosen) or "lambda_"
    body = gast.Return(value=chosen.body)
    gast.copy_location(body, chosen.body)
    fields = {"name": name, "args": chosen.args, "body": [body], "decorator_list": [], "returns": None,
              "type_comment": None, "type_params": []}
    function = gast.FunctionDef(**{f: fields[f] for f in gast.FunctionDef._fields})
    gast.copy_location(function, chosen)
    function.end_lineno, function.end_col_offset = chosen.end_lineno, chosen.end_col_offset
    return ParsedFunction(fn, function, filename, 0, 0)


def _the_lambda(lambdas, code, text):
    """Which of the Lambda nodes on the line compiled to `code`, or None."""
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]  # (co_argcount counts positional-only)
    lambdas = [n for n in lambdas if tuple(a.id for a in _parameters(n)) == tuple(names)]
    if len(lambdas) <= 1:
        return lambdas[0] if lambdas else None
    positions = [p for p in getattr(code, "co_positions", lambda: ())() if None not in p]
    if positions:  # the innermost lambda whose span holds every instruction of the code
        holding = [n for n in lambdas if all(_within(n, p) for p in positions)]
        if holding:
            return min(holding, key=lambda n: (n.end_lineno - n.lineno, n.end_col_offset - n.col_offset))
    # Without positions: what the bodies use; lambdas with the same source compute the same.
    alike = [n for n in lambdas if _same_uses(n, code, text)]
    sources = {gast.dump(n) for n in alike}
    return alike[0] if len(sources) == 1 else None


def _parameters(node):
    args = node.args
    return list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)


def _within(node, position):
    line, end_line, col, end_col = position
    return (node.lineno, node.col_offset) <= (line, col) and (end_line, end_col) <= (node.end_lineno,
                                                                                    node.end_col_offset)


def _same_uses(node, code, text):
    """Whether the lambda `node`, compiled alone, uses the names and constants `code` does."""
    import ast
    segment = ast.get_source_segment(text, gast.gast_to_ast(node)) if hasattr(node, "end_lineno") else None
    try:
        compiled = next(c for c in compile(f"({segment})", "<lambda>", "eval").co_consts if hasattr(c, "co_code"))
    except (SyntaxError, StopIteration, TypeError, ValueError):
        return True
    return compiled.co_consts == code.co_consts and set(compiled.co_names) == set(code.co_names)


def _assigned_name(tree, node):
    """The name a lambda is assigned to (`act = lambda z: ...`), if it is."""
    for n in gast.walk(tree):
        if isinstance(n, gast.Assign) and n.value is node and len(n.targets) == 1 \
                and isinstance(n.targets[0], gast.Name):
            return n.targets[0].id
    return None
