"""Adjoint rules, grouped by library, all registered through `adjoint`."""
from .registry import (Rule, adjoint, nondifferentiable, method, attribute, lookup,
                       is_nondifferentiable)
from . import arithmetic, numpy_rules, python_rules  # noqa: F401  (registers the built-in rules)
