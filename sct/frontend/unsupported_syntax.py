"""The error for Python that sct does not handle, with what to write instead.

Takes a gast node and its source location; gives an `UnsupportedSyntaxError` that
names the construct and, where one is known, the way to write it that sct does handle.
"""
import gast

from ..errors import UnsupportedSyntaxError


# Python statements and expressions sct does not handle yet, with what to write instead.
UNSUPPORTED_HINTS = {
    gast.With: "`with` blocks cannot be differentiated: move them outside the function.",
    gast.Try: "`try` blocks cannot be differentiated: move error handling outside the function.",
    gast.Raise: "`raise` is not supported inside a differentiated function yet: validate inputs before calling it.",
    gast.Import: "imports inside a differentiated function are not supported: import at module level.",
    gast.ImportFrom: "imports inside a differentiated function are not supported: import at module level.",
    gast.Global: "`global` is not supported: pass the value as an argument.",
    gast.Nonlocal: "`nonlocal` is not supported: pass the value as an argument.",
    gast.ClassDef: "class definitions inside a differentiated function are not supported.",
    gast.Delete: "`del` is not supported: just stop using the name.",
    gast.SetComp: "set comprehensions cannot be differentiated.",
    gast.Dict: "dict literals are not supported yet.",
    gast.Set: "set literals cannot be differentiated.",
    gast.Starred: "`*` unpacking is not supported yet: pass the arguments one by one.",
    gast.NamedExpr: "the walrus operator `:=` is not supported: use a separate assignment.",
    gast.Await: "`await` cannot be differentiated.",
    gast.Yield: "generators cannot be differentiated: return a value instead.",
    gast.YieldFrom: "generators cannot be differentiated: return a value instead.",
}


def unsupported(node, loc, what=None):
    """The error for a construct sct does not handle, with what to write instead."""
    kind = type(node)
    name = what or _describe(node)
    hint = UNSUPPORTED_HINTS.get(kind, "sct supports assignments, arithmetic, comparisons, "
                                 "calls to NumPy functions and `return expr`.")
    return UnsupportedSyntaxError(f"sct cannot differentiate {name}", loc, hint)


def _describe(node):
    names = {gast.If: "an `if` statement", gast.For: "a `for` loop", gast.While: "a `while` loop",
             gast.IfExp: "a conditional expression", gast.BoolOp: "`and`/`or`",
             gast.Lambda: "a lambda", gast.FunctionDef: "a nested function"}
    return names.get(type(node), f"this construct ({type(node).__name__})")
