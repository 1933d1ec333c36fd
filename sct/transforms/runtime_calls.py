"""How a transform calls a `sct.runtime` helper from the code it generates.

Its own module so that the reverse transform, its loop part and forward mode can all
build such calls without importing one another.
"""
from ..ir import Callee, CALL


def runtime_callee(helper):
    """Callee for a `sct.runtime` helper, called by its bare name in generated code."""
    return Callee(CALL, helper.__name__, helper, helper)
