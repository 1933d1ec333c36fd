"""Structured SSA IR: nodes, a text printer and a verifier."""
from .nodes import (AdjointFunction, Callee, Const, Function, If, Loop, Op, Region, Var, walk,
                    CALL, BINOP, UNARYOP, COMPARE, METHOD, ATTR, GETITEM, TUPLE, ASSERT, SETITEM)
from .naming import Namer
from .printer import format_ir, format_op
from .verify import verify, IRVerificationError
