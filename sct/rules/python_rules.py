"""Rules for Python's own builtins, and for the runtime helpers sct lowers them to."""
import builtins

from ..runtime import extreme_index, listed_adjoint, sorted_order, take_items, take_items_adjoint
from .registry import adjoint, nondifferentiable

# max(xs) of a run-time list is xs[extreme_index(xs, True)], sorted(xs) take_items(xs,
# sorted_order(xs)): the indices carry no derivative, the item reads do.
nondifferentiable(extreme_index, sorted_order)


@adjoint(take_items)
def take_items_(result, items, order):
    d[items] = take_items_adjoint(d[result], items, order)


@adjoint(builtins.list, builtins.tuple)
def listed(result, iterable=()):
    # list(X) of an array is the list of its rows: row k gets item k's adjoint
    d[iterable] = listed_adjoint(d[result], iterable)
