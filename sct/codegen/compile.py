"""Compile generated source into a function whose source `inspect` and tracebacks can see."""
import linecache

from .. import runtime


def compile_generated(code, filename, defaults, kwdefaults):
    """exec `code.source` (a GeneratedCode) under `filename`, registered in linecache.

    Guarantees: the returned function has the user's defaults, and
    `inspect.getsource` of it returns the generated text.
    """
    lines = code.source.splitlines(True)
    linecache.cache[filename] = (len(code.source), None, lines, filename)
    namespace = dict(code.namespace)
    namespace["__name__"] = f"sct.generated.{code.name}"
    namespace["__sct_runtime__"] = runtime
    exec(compile(code.source, filename, "exec"), namespace)
    function = namespace[code.name]
    function.__defaults__ = defaults
    function.__kwdefaults__ = kwdefaults
    return function
