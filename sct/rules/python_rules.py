"""Rules for the runtime helpers sct lowers Python's own builtins to."""
from ..runtime import extreme_index
from .registry import nondifferentiable

# max(xs) of a run-time list is xs[extreme_index(xs, True)]: the index carries no derivative,
# the item read does.
nondifferentiable(extreme_index)
