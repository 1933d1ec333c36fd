"""Frontend: source retrieval and lowering to the SSA IR."""
from .source import parse_function, ParsedFunction
from .lower import lower, ExprLowering, GlobalRef
from .unsupported_syntax import unsupported
