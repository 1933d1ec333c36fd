"""Structured SSA IR: nodes, a text printer and a verifier."""
from .nodes import (AdjointFunction, AttributesOf, ByIdentity, Callee, hashable_callee, Const, DictOf, Function, If, ListOf, Loop, Op, Region, Var, rebuild, walk,
                    CALL, BINOP, UNARYOP, COMPARE, METHOD, ATTR, GETITEM, BUILD, ASSERT, SETITEM, APPLY)
from .naming import Namer
from .printer import format_ir, format_op
from .verify import verify, IRVerificationError
