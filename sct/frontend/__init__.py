"""Frontend: source retrieval and lowering to the SSA IR."""
from .source import parse_function, ParsedFunction
from .lower import lower
from .expressions import ExprLowering
from .static_values import GlobalRef
from .unsupported_syntax import unsupported
