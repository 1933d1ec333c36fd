"""Clean-up passes on an `AdjointFunction`: constant folding, shape-only operand
substitution, common-subexpression elimination and dead-code elimination.

Takes the transform's output and guarantees: same results; no op whose result
is unused (unless it is a kept effect); no pure op on constants only.
"""
import operator

import numpy as np

from ..analysis import ShapeClasses, flat_vars
from ..analysis.shapes import SHAPE_ONLY_ARGS
from ..errors import SctError
from ..ir import (Callee, Const, If, Loop, Op, Var, rebuild, walk, ATTR, BINOP, CALL, COMPARE, GETITEM, METHOD,
                  SETITEM, UNARYOP)
from .. import runtime

_FOLDABLE = (BINOP, UNARYOP, COMPARE, GETITEM)
_LITERAL_TYPES = (int, float, bool, complex, str, type(None), slice, tuple)


def optimize(adj, keep_output):
    """Run all clean-up passes; `keep_output` keeps the primal output computed
    (value_and_grad, vjp, or a run-time scalar check)."""
    _fold_static_shapes(adj)
    _call_reductions_directly(adj)
    _fold_constants(adj)
    _resolve_constant_branches(adj)
    _eliminate_common_subexpressions(adj)
    _eliminate_dead_code(adj, keep_output)
    # After DCE, so that uses by dead ops do not keep a value alive.
    _substitute_shape_operands(adj)
    _eliminate_dead_code(adj, keep_output)
    _write_in_place(adj)
    adj.output_computed = keep_output or adj.seed_check
    return adj


def _all_ops(adj):
    """Every plain op of both sweeps, regions included, in program order."""
    return [op for block in (adj.forward, adj.backward) for op in walk(block) if isinstance(op, Op)]


def _filter_blocks(adj, keep_op):
    """Keep, in every block and region, the ops for which keep_op(op, in_backward) is true."""
    def visit(block, in_backward):
        kept = []
        for op in block:
            if isinstance(op, (If, Loop)):
                for region in op.regions():
                    region.body[:] = visit(region.body, in_backward)
                kept.append(op)
            elif keep_op(op, in_backward):
                kept.append(op)
        return kept
    adj.forward[:] = visit(adj.forward, False)
    adj.backward[:] = visit(adj.backward, True)


def _replace_operands(adj, mapping):
    """Replace operands by id according to `mapping` everywhere, outputs included."""
    for block in (adj.forward, adj.backward):
        substitute(block, mapping)
    adj.gradients = [_substituted(g, mapping) for g in adj.gradients]
    adj.primal.output = _substituted(adj.primal.output, mapping)


def substitute(ops, mapping):
    """Replace Vars by id in `ops` and their regions (operands, conditions, yields)."""
    for o in walk(ops):
        if isinstance(o, Op):
            o.args = [_substituted(a, mapping) for a in o.args]
            o.kwargs = {k: _substituted(v, mapping) for k, v in o.kwargs.items()}
        elif isinstance(o, If):
            o.cond = _substituted(o.cond, mapping)
            for region in o.regions():
                region.yields = [_substituted(y, mapping) for y in region.yields]
        else:
            o.inits = [_substituted(i, mapping) for i in o.inits]
            if o.iterable is not None:
                o.iterable = _substituted(o.iterable, mapping)
            for region in o.regions():
                region.yields = [_substituted(y, mapping) for y in region.yields]


def _substituted(x, mapping):
    """The operand `x` (a structured one item by item) with its Vars replaced by id."""
    if isinstance(x, tuple):
        return rebuild(x, [_substituted(e, mapping) for e in x])
    return mapping.get(id(x), x) if isinstance(x, Var) else x


def _shape_facts(adj):
    shapes = ShapeClasses(adj.primal.params, adj.primal.param_shapes)
    shapes.add_all(adj.forward)
    shapes.add_all(adj.backward)
    return shapes


# Shape queries that become constants once the operand's concrete shape is known.
_SHAPE_QUERIES = {np.size: lambda s: int(np.prod(s, dtype=np.int64)), np.ndim: len, np.shape: tuple}
_SHAPE_ATTRIBUTES = {"size": lambda s: int(np.prod(s, dtype=np.int64)), "ndim": len, "shape": tuple}


def _fold_static_shapes(adj):
    """Replace np.size(v), np.shape(v), v.ndim ... by constants where v's shape is known
    (code specialized to the arguments' shapes)."""
    shapes = _shape_facts(adj)
    mapping = {}

    def keep(op, in_backward):
        c = op.callee
        query = None
        if c.kind == CALL and c.obj in _SHAPE_QUERIES and len(op.args) == 1 and not op.kwargs:
            query = _SHAPE_QUERIES[c.obj]
        elif c.kind == ATTR and c.spelling in _SHAPE_ATTRIBUTES:
            query = _SHAPE_ATTRIBUTES[c.spelling]
        shape = shapes.shape(op.args[0]) if query is not None else None
        if isinstance(shape, tuple) and not op.keep:
            mapping[id(op.result)] = Const(query(shape))
            return False
        if c.kind == CALL and c.obj is runtime.check_zip_length:
            shape = shapes.shape(op.args[0])
            return not (isinstance(shape, tuple) and shape and shape[0] >= op.args[1].value)
        return not (c.kind == CALL and c.obj is runtime.check_unpack and _static_unpack_check(op, shapes))

    _filter_blocks(adj, keep)
    _replace_operands(adj, mapping)


# For an exact ndarray, np.sum(a, axis, keepdims=...) *is* np.add.reduce(a, axis, keepdims=...):
# NumPy's function only adds Python-level dispatch, which costs more than the reduction
# itself on small arrays.
_UFUNC_REDUCTION_OF = {np.sum: ("np.add.reduce", np.add.reduce), np.prod: ("np.multiply.reduce", np.multiply.reduce),
                       np.max: ("np.maximum.reduce", np.maximum.reduce), np.amax: ("np.maximum.reduce", np.maximum.reduce),
                       np.min: ("np.minimum.reduce", np.minimum.reduce), np.amin: ("np.minimum.reduce", np.minimum.reduce)}


def _call_reductions_directly(adj):
    """np.sum / np.max / np.min / np.prod of an array whose shape is known (so it is an
    exact ndarray with at least one axis) become the ufunc reductions they dispatch to."""
    shapes = _shape_facts(adj)
    for op in _all_ops(adj):
        c = op.callee
        if c.kind != CALL or c.obj not in _UFUNC_REDUCTION_OF or not 1 <= len(op.args) <= 2 \
                or set(op.kwargs) - {"axis", "keepdims"}:
            continue
        shape = shapes.shape(op.args[0])
        if isinstance(shape, tuple) and len(shape) >= 1:
            spelling, reduction = _UFUNC_REDUCTION_OF[c.obj]
            op.callee = Callee(CALL, spelling, reduction, np)
            if len(op.args) == 1 and "axis" not in op.kwargs:
                op.kwargs = dict(op.kwargs, axis=Const(None))  # ufunc.reduce defaults to axis 0


def _static_unpack_check(op, shapes):
    """True when `a, b = x` provably unpacks the right count; SctError when provably not."""
    value, count = op.args[0], op.args[1].value
    if isinstance(value, Const) and isinstance(value.value, (tuple, list)):
        length = len(value.value)
    else:
        shape = shapes.shape(value)
        if not isinstance(shape, tuple) or not shape:
            return False
        length = shape[0]
    if length != count:
        raise SctError(f"cannot unpack {length} values into {count} names", op.loc,
                       hint="Make both sides the same length; Python would raise ValueError here.")
    return True


def _fold_constants(adj):
    """Evaluate operator ops whose operands are all literal constants (e.g. `1.0 * 2`),
    and drop multiplications of adjoint-sweep values by 1.0 (what a seed of 1.0
    leaves behind). Forward values keep theirs: `1.0 * x` makes an integer x float."""
    mapping = {}
    made_in_backward = set()

    def keep(op, in_backward):
        args = [mapping.get(id(a), a) if isinstance(a, Var) else a for a in op.args]
        op.args = args
        if op.callee.kind in _FOLDABLE and not op.kwargs and not op.keep and \
                all(isinstance(a, Const) and a.spelling is None for a in args):
            try:
                value = op.callee.obj(*(a.value for a in args))
            except Exception:
                value = None  # leave it to fail at run time, where the user sees it
            else:
                if isinstance(value, _LITERAL_TYPES):
                    mapping[id(op.result)] = Const(value)
                    return False
        other = _times_one(op)
        if other is not None and id(other) in made_in_backward:
            if other.is_temp and not op.result.is_temp:  # keep the adjoint's name (`bx`)
                other.name, other.is_temp = op.result.name, False
            mapping[id(op.result)] = other
            return False
        if in_backward:
            made_in_backward.update(id(r) for r in op.results)
        return True

    _filter_blocks(adj, keep)
    _replace_operands(adj, mapping)


def _resolve_constant_branches(adj):
    """An If on a constant (`if activation == "tanh"` in an inlined helper) becomes the
    branch it takes, spliced into the enclosing block."""
    mapping = {}

    def visit(block):
        kept = []
        for op in block:
            if isinstance(op, (If, Loop)):
                for region in op.regions():
                    region.body[:] = visit(region.body)
            if isinstance(op, If) and isinstance(op.cond, Const) and op.cond.spelling is None:
                try:
                    taken = op.then if bool(op.cond.value) else op.orelse
                except Exception:  # an ambiguous truth value: leave it to fail at run time
                    kept.append(op)
                    continue
                kept.extend(taken.body)
                for result, value in zip(op.results, taken.yields):
                    mapping[id(result)] = value
                continue
            kept.append(op)
        return kept

    adj.forward[:] = visit(adj.forward)
    adj.backward[:] = visit(adj.backward)
    # Results may map to values that are themselves mapped (nested constant branches).
    for key, value in list(mapping.items()):
        while isinstance(value, Var) and id(value) in mapping:
            value = mapping[id(value)]
        mapping[key] = value
    _replace_operands(adj, mapping)


def _times_one(op):
    """For `1.0 * v` or `v * 1.0`, the Var v; else None."""
    if op.callee.kind != BINOP or op.callee.obj is not operator.mul:
        return None
    left, right = op.args
    for one, other in ((left, right), (right, left)):
        if isinstance(one, Const) and one.spelling is None and type(one.value) is float \
                and one.value == 1.0 and isinstance(other, Var):
            return other
    return None


def _substitute_shape_operands(adj):
    """Where a value is read only for its shape, read an earlier value of the same
    shape class instead, so the value itself can die (e.g. `np.size(power)` becomes
    `np.size(sub)` and `power = sub ** 2` is never computed for a plain gradient)."""
    shapes = _shape_facts(adj)
    other_uses = {id(v) for v in flat_vars(adj.gradients + [adj.primal.output])}
    for block in (adj.forward, adj.backward):
        for op in walk(block):
            if isinstance(op, (If, Loop)):
                other_uses.update(id(v) for v in flat_vars(op.operands()))
    shape_uses = []
    for op in _all_ops(adj):
        positions = SHAPE_ONLY_ARGS.get(op.callee.obj, ()) if op.callee.kind == CALL else ()
        for i, x in enumerate(op.args):
            if i in positions:
                shape_uses.append((op, i))
            else:
                other_uses.update(id(v) for v in flat_vars([x]))
        other_uses.update(id(v) for v in flat_vars(op.kwargs.values()))
    for op, i in shape_uses:
        x = op.args[i]
        root = shapes.of(x)
        if isinstance(x, Var) and id(x) not in other_uses and isinstance(root, Var):
            op.args[i] = root


# Calls whose result is a new array nothing else refers to.
_ALLOCATING = {np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like, np.full_like}


def _write_in_place(adj):
    """Mark the array writes (`y1 = setitem(y0, i, v)`, a copy then a write) that may
    write into y0 itself (`op.in_place`). y0 must own its memory (made by np.zeros and
    the like, `.copy()`, an earlier write, or carried by a loop from such an array with
    such a yield), and no value that shares it may be read after the write: every
    other use of y0 (and, for a carried value, of its init and of the yield that becomes
    it) reads only its shape (`without_items(g, y0, i)`), or is a forward op computing a
    new value from it before the write (`np.sum(y * x)`). A view, a tape entry, a
    container, an output or a read in the adjoint sweep keeps the copy. A loop filling an
    array row by row then costs O(1) per row, not O(n). An argument is never owned."""
    producers, uses, position = {}, {}, {}
    backward = {id(op) for op in walk(adj.backward)}

    def index(block):
        for i, op in enumerate(block):
            position[id(op)] = (id(block), i)
            if isinstance(op, (If, Loop)):
                for region in op.regions():
                    index(region.body)
    index(adj.forward)
    index(adj.backward)
    for op in walk(adj.forward + adj.backward):
        if isinstance(op, Loop):
            for k, (c, r) in enumerate(zip(op.carried, op.results)):
                producers[id(c)] = producers[id(r)] = (op, k)  # a result is the last carried value
        elif isinstance(op, Op):
            for r in op.results:
                producers[id(r)] = op
        shape_only = SHAPE_ONLY_ARGS.get(op.callee.obj, ()) if isinstance(op, Op) and op.callee.kind == CALL else ()
        for i, x in enumerate(op.operands()):
            for v in flat_vars([x]):
                uses.setdefault(id(v), []).append((op, i in shape_only))
    for v in flat_vars(adj.gradients + [adj.primal.output]):
        uses.setdefault(id(v), []).append((None, False))

    def read_safely(value, besides, before=None):
        """Every use of `value` but `besides` reads its shape, or is a forward op making a
        new value from it (with `before`: in the same block, earlier than that op)."""
        for user, shape_only in uses.get(id(value), ()):
            if shape_only or user is besides:
                continue
            if user is None or id(user) in backward or not _makes_new_value(user):
                return False
            if before is not None and (position[id(user)][0] != position[id(before)][0]
                                       or position[id(user)][1] > position[id(before)][1]):
                return False
        return True

    known = {}

    def owned(value):
        if id(value) not in known:
            known[id(value)] = True  # assumed while deciding: a loop's carried value reaches itself
            producer = producers.get(id(value))
            if isinstance(producer, tuple):  # carried: an owned init and yield, read safely
                loop, k = producer
                init, step = loop.inits[k], loop.body.yields[k]
                known[id(value)] = isinstance(init, Var) and isinstance(step, Var) and owned(init) \
                    and read_safely(init, loop, before=loop) and owned(step) and read_safely(step, loop)
            else:
                known[id(value)] = _is_write_or_new(producer)
        return known[id(value)]

    for op in _all_ops(adj):
        if op.callee.kind == SETITEM and isinstance(op.args[0], Var):
            array = op.args[0]
            op.in_place = owned(array) and read_safely(array, op, before=op) and \
                sum(1 for user, _ in uses.get(id(array), ()) if user is op) == 1


# Calls and methods whose result is a new value, sharing no memory with their arguments.
_NEW_VALUE_CALLS = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.std, np.var, np.dot,
                    np.matmul, np.outer, np.inner, np.linalg.norm, np.where, np.clip}
_NEW_VALUE_METHODS = {"sum", "mean", "max", "min", "prod", "std", "var", "dot", "copy", "clip"}


def _makes_new_value(op):
    if not isinstance(op, Op):
        return False
    c = op.callee
    return (
        c.kind in (BINOP, UNARYOP, COMPARE)
        or (c.kind == CALL and (isinstance(c.obj, np.ufunc) or isinstance(getattr(c.obj, "__self__", None), np.ufunc)
                                or c.obj in _NEW_VALUE_CALLS))
        or (c.kind == METHOD and c.spelling in _NEW_VALUE_METHODS))


def _is_write_or_new(producer):
    """An op whose result is an array of its own: a write, an allocation, a copy."""
    return isinstance(producer, Op) and (
        producer.callee.kind == SETITEM or (producer.callee.kind == CALL and producer.callee.obj in _ALLOCATING)
        or (producer.callee.kind == METHOD and producer.callee.spelling == "copy" and not producer.args[1:]))


def _key(x):
    if isinstance(x, Var):
        return ("v", id(x))
    if isinstance(x, tuple):  # (a, b) and [a, b] differ, as do dicts with other keys
        return ("t", type(x).__name__, getattr(x, "keys", None)) + tuple(_key(e) for e in x)
    if isinstance(x.value, _LITERAL_TYPES) and x.spelling is None:
        return ("c", type(x.value).__name__, repr(x.value))
    return ("o", id(x.value))


def _eliminate_common_subexpressions(adj):
    """Reuse the first of two identical pure ops. Scoped: an op inside a region may reuse
    one from before its If, but nothing computed in a region is reused outside it."""
    mapping = {}

    def visit(block, seen):
        kept = []
        for op in block:
            if isinstance(op, If):
                op.cond = mapping.get(id(op.cond), op.cond) if isinstance(op.cond, Var) else op.cond
            if isinstance(op, (If, Loop)):
                for region in op.regions():
                    region.body[:] = visit(region.body, dict(seen))
                kept.append(op)
                continue
            op.args = [mapping.get(id(a), a) if isinstance(a, Var) else a for a in op.args]
            op.kwargs = {k: (mapping.get(id(v), v) if isinstance(v, Var) else v) for k, v in op.kwargs.items()}
            if op.keep or len(op.results) != 1 or not _is_pure(op) or _is_write_or_new(op):
                kept.append(op)  # (two np.zeros(2) are two arrays: either may be written into)
                continue
            key = (op.callee.kind, op.callee.spelling, id(op.callee.obj),
                   tuple(_key(a) for a in op.args), tuple((k, _key(v)) for k, v in op.kwargs.items()))
            if key in seen:
                mapping[id(op.result)] = seen[key]
                continue
            seen[key] = op.result
            kept.append(op)
        return kept

    seen = {}
    adj.forward[:] = visit(adj.forward, seen)
    adj.backward[:] = visit(adj.backward, seen)
    _replace_operands(adj, mapping)


def _is_pure(op):
    """Operators, NumPy functions and sct's runtime helpers have no side effects."""
    c = op.callee
    if c.kind != CALL:
        return True
    module = getattr(c.obj, "__module__", "") or ""
    if module.startswith("numpy.random"):
        return False
    if isinstance(getattr(c.obj, "__self__", None), np.ufunc):  # np.add.reduce and the like
        return True
    return isinstance(c.obj, np.ufunc) or module.startswith("numpy") or module.startswith(runtime.__name__ + ".") \
        or c.obj in (float, int, len, abs, slice, range, tuple, min, max)


def _eliminate_dead_code(adj, keep_output):
    """Drop ops whose results nothing needs; an If or a loop keeps only the results
    something needs (and goes entirely when it has none, no effects inside, and
    nothing after it reads a value computed inside it)."""
    live = {id(g) for g in flat_vars(adj.gradients)}
    if keep_output:
        live.update(id(v) for v in flat_vars([adj.primal.output]))
    tested = set()  # ids of the conditions that kept Ifs test
    adj.backward[:] = _live_block(adj.backward, live, mutate=True, tested=tested)
    adj.forward[:] = _live_block(adj.forward, live, mutate=True, tested=tested, namer=adj.primal.namer)


def prune_dead(block, needed):
    """Remove from `block` (in place) the ops that nothing in `needed` depends on."""
    block[:] = _live_block(block, {id(v) for v in flat_vars(needed)}, mutate=True)


def _needed_inside(op, live):
    """Effects inside a region op, or values it computes that code after it reads (the
    adjoint of a branch reads the branch's forward values)."""
    inner = [o for region in op.regions() for o in walk(region.body)]
    return any(isinstance(o, Op) and (o.keep or not _is_pure(o)) for o in inner) or \
        any(id(r) in live for o in inner for r in o.results)


def _live_block(block, live, mutate, tested=None, namer=None):
    """Backward liveness over `block`, adding what it reads to `live`; with `mutate`,
    returns the block without its dead ops (and prunes region ops' dead results). Given
    a `namer` (the forward sweep's top level), a dead If whose condition no kept If tests
    leaves its truth test, `bool(cond)`: Python raises there for an array of several
    values, and so must the gradient. (Not inside regions: a loop's carried values are
    pruned before its body is visited.) `tested` collects the conditions kept Ifs test."""
    kept = []
    for op in reversed(block):
        if isinstance(op, If):
            needed = [i for i, r in enumerate(op.results) if id(r) in live]
            if not needed and not _needed_inside(op, live):
                if namer is not None and mutate and isinstance(op.cond, Var) and id(op.cond) not in tested:
                    live.add(id(op.cond))
                    tested.add(id(op.cond))
                    kept.append(Op([Var(namer.fresh("truth"), is_temp=True)], Callee(CALL, "bool", bool, bool),
                                   [op.cond],
                                   loc=op.loc, stmt=op.stmt, keep=True))
                continue
            if mutate:
                op.results = [op.results[i] for i in needed]
                for region in op.regions():
                    region.yields = [region.yields[i] for i in needed]
            for region in op.regions():
                yields = region.yields if mutate else [region.yields[i] for i in needed]
                live.update(id(v) for v in flat_vars(yields))
                body = _live_block(region.body, live, mutate, tested)
                if mutate:
                    region.body[:] = body
            live.update(id(v) for v in flat_vars([op.cond]))
            if tested is not None:
                tested.add(id(op.cond))
            kept.append(op)
        elif isinstance(op, Loop):
            needed = _needed_carried(op, live)
            if not needed and not _needed_inside(op, live):
                continue
            if mutate:
                for name in ("results", "carried", "inits"):
                    setattr(op, name, [getattr(op, name)[k] for k in needed])
                op.body.yields = [op.body.yields[k] for k in needed]
                needed = list(range(len(op.results)))
            live.update(id(v) for v in flat_vars([op.body.yields[k] for k in needed]))
            live.update(id(v) for v in op.defined())
            body = _live_block(op.body.body, live, mutate, tested)
            if op.test is not None:
                live.update(id(v) for v in flat_vars(op.test.yields))
                test = _live_block(op.test.body, live, mutate, tested)
            if mutate:
                op.body.body[:] = body
                if op.test is not None:
                    op.test.body[:] = test
            live.update(id(v) for v in flat_vars([op.inits[k] for k in needed]))
            if op.iterable is not None:
                live.update(id(v) for v in flat_vars([op.iterable]))
            kept.append(op)
        elif op.keep or not _is_pure(op) or any(id(r) in live for r in op.results):
            live.update(id(v) for v in flat_vars(op.operands()))
            kept.append(op)
    return list(reversed(kept))


def _needed_carried(op, live):
    """Indices of a loop's carried values that are needed: their result is live, or the
    body reads them (on the next iteration) for something needed. A fixed point."""
    needed = {k for k, r in enumerate(op.results) if id(r) in live}
    needed |= {k for k, c in enumerate(op.carried) if c is op.exit}  # it decides when the loop stops
    while True:
        trial = set(live) | {id(v) for v in flat_vars([op.body.yields[k] for k in needed])}
        _live_block(op.body.body, trial, mutate=False)
        if op.test is not None:
            trial.update(id(v) for v in flat_vars(op.test.yields))
            _live_block(op.test.body, trial, mutate=False)
        more = {k for k, c in enumerate(op.carried) if id(c) in trial} - needed
        if not more:
            return sorted(needed)
        needed |= more
