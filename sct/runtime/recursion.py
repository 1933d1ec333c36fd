"""Recursive calls: a user function that calls itself runs sct's VJP of itself at run time.

The VJP is compiled by sct's API, which the runtime must not import (the compiler
imports the runtime, and generated code must run without the compiler's modules).
So the API provides the service when it is imported (`provide_vjp_compiler`), and
`call_with_pullback` asks for it: the arrow points from the API to the runtime only.
"""
from ..errors import SctError

_vjp_compiler = None  # (fn, wrt, args, kwargs) -> compiled entry; set by sct.api
_annotate = None  # (error, entry, fn) -> None: points an error at the user's line; set by sct.api


def provide_vjp_compiler(compiled_vjp, annotate):
    """Register how to get the compiled VJP of a function for the arguments of one call
    (`compiled_vjp(fn, wrt, args, kwargs)`, an entry with `.function`), and how to point
    an exception raised in it at the user's line (`annotate(error, entry, fn)`)."""
    global _vjp_compiler, _annotate
    _vjp_compiler, _annotate = compiled_vjp, annotate


def call_with_pullback(fn, wrt, *args, **kwargs):
    """`(fn(*args, **kwargs), pullback)` for a recursive call: the pullback of sct's VJP of
    the user's function `fn` for the parameter indices `wrt` returns a tuple of gradients,
    in `wrt`'s order. The VJP is looked up (compiled the first time) here, at run time:
    compiling it along with the caller would compile the recursive call inside it, and
    that one's, forever. The cache checks it is current like any gradient's."""
    if _vjp_compiler is None:
        raise SctError(f"the recursive call of {fn.__qualname__} needs sct's compiler at run time",
                       hint="Import sct before running generated code that calls a function recursively.")
    entry = _vjp_compiler(fn, wrt, args, kwargs)
    try:
        value, pullback = entry.function(*args, **kwargs)
    except Exception as e:
        _locate(e, entry, fn)
        raise

    def located_pullback(cotangent):
        try:
            return pullback(cotangent)
        except Exception as e:
            _locate(e, entry, fn)
            raise

    return value, located_pullback


def _locate(error, entry, fn):
    """Point an exception from the compiled code of a recursive call at the user's line,
    once: the innermost call is the most precise, the levels it passes through add nothing."""
    if not any(note.startswith("sct: ") for note in getattr(error, "__notes__", ())):
        _annotate(error, entry, fn)
