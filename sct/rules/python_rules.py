"""Rules for the runtime helpers sct lowers Python's own builtins to."""
from ..runtime import extreme_index, sorted_order, take_items, take_items_adjoint
from .registry import adjoint, nondifferentiable

# max(xs) of a run-time list is xs[extreme_index(xs, True)], sorted(xs) take_items(xs,
# sorted_order(xs)): the indices carry no derivative, the item reads do.
nondifferentiable(extreme_index, sorted_order)


@adjoint(take_items)
def take_items_(result, items, order):
    d[items] = take_items_adjoint(d[result], items, order)
