"""Reverse mode: `Function` -> `AdjointFunction` (forward sweep + adjoint sweep).

Walks the primal ops backwards; for each op with an active result it inlines the
op's rule template, with the op's operands substituted, and adds each contribution
to the argument's adjoint: the first contribution is assigned, later ones added,
so no adjoint is ever zero-initialised. Only active values get adjoints.

A loop's adjoint, and the tape it keeps, is in `reverse_loops`; a rule's template is
inlined by `templates`.
"""
import dataclasses
import inspect
import operator

import numpy as np

from ..analysis import PYTHON_NUMBER, ShapeClasses, active_values
from ..errors import MissingRuleError, NonScalarOutputError, UnsupportedSyntaxError
from ..analysis import flat_vars
from ..analysis.shapes import REDUCTIONS
from ..frontend.containers import flat
from ..ir import (AdjointFunction, AttributesOf, Callee, Const, DictOf, If, ListOf, Loop, Op, Region, Var, rebuild, walk, GETITEM, BINOP, CALL, METHOD, ATTR,
                  BUILD, SETITEM, UNARYOP, APPLY)
from .. import runtime, rules
from .reverse_loops import _LoopAdjoints
from .runtime_calls import runtime_callee
from .templates import inline_template

SEED_SCALAR = "scalar"  # grad: the output must be a scalar; its adjoint is 1.0
SEED_COTANGENT = "cotangent"  # vjp: the output's adjoint is given by the caller


def reverse(fn, wrt, seed_mode=SEED_SCALAR):
    """Build the adjoint of `fn` with respect to the parameter indices `wrt`.

    Guarantees: `forward` is `fn.body` unchanged; `backward` assigns each active
    value's adjoint once per contribution (SSA), never zero-fills; `gradients` holds
    one operand per `wrt` index, with exactly the parameter's shape at run time.
    """
    return _Reverse(fn, tuple(wrt), seed_mode).run()


class _Reverse(_LoopAdjoints):
    def __init__(self, fn, wrt, seed_mode):
        self.fn, self.wrt, self.seed_mode = fn, wrt, seed_mode
        self.namer = fn.namer
        self.active = active_values(fn, wrt)
        self.recursive_args = self._prepare_recursive_calls()
        self.shapes = ShapeClasses(fn.params, fn.param_shapes)
        self.shapes.add_all(fn.body)
        self.sequences = _sequence_values(fn.body)
        self.run_time_kinds = _run_time_kinds(fn.body)
        self.complex_values = _complex_values(fn.body)
        self.producers = {id(r): o for o in walk(fn.body) if isinstance(o, Op) for r in o.results}
        self.loop_of_result = {id(r): o for o in walk(fn.body) if isinstance(o, Loop) for r in o.results}
        self.adjoints = {}  # id(primal Var) -> operand holding its adjoint
        self.primal_of = {}  # id(primal Var) -> the Var, for the keys of `adjoints`
        self.returned = set()  # ids of values whose memory a returned gradient may be
        self.backward = []

    def run(self):
        fn = self.fn
        output = fn.output
        seed, seed_check = self._seed(output)
        self.seed = seed
        if isinstance(output, Var) and id(output) in self.active:
            self.adjoints[id(output)] = seed
            self.primal_of[id(output)] = output
        self._reverse_block(fn.body)
        gradients = [self._gradient_of(fn.inputs(i)) for i in self.wrt]
        return AdjointFunction(fn, self.wrt, list(fn.body), seed, seed_check, self.backward, gradients)

    def _prepare_recursive_calls(self):
        """Settle what each recursive call (`call_with_pullback`, see lowering) differentiates:
        the parameters whose arguments are active, so its VJP does no more than needed and
        never differentiates through an int or a string. A call whose value needs no adjoint
        becomes a plain call of the function. Returns id(op) -> those arguments, in order."""
        recursive_args = {}
        for op in walk(self.fn.body):
            if not (isinstance(op, Op) and op.callee.obj is runtime.call_with_pullback):
                continue
            function, _, *args = op.args
            signature = inspect.signature(function.value)
            bound = signature.bind(*args, **op.kwargs).arguments  # checked when it was lowered
            names = list(signature.parameters)
            active = [(names.index(name), operand) for name, operand in bound.items()
                      if any(id(v) in self.active for v in flat_vars([operand]))]
            if id(op.result) not in self.active or not active:
                op.callee = Callee(CALL, function.spelling, function.value, function.root_obj)
                op.args, op.results = list(args), op.results[:1]
                continue
            op.args[1] = Const(tuple(index for index, _ in active))
            recursive_args[id(op)] = tuple(operand for _, operand in active)
        return recursive_args

    # ---- seed and final gradients

    def _seed(self, output):
        if self.seed_mode == SEED_COTANGENT:
            name = output.name if isinstance(output, Var) else "out"
            seed = Var(self.namer.fresh("b" + name))
            self.shapes.set(seed, self.shapes.of(output))
            return seed, False
        if self.shapes.is_scalar(output):
            return Const(1.0), False
        where = self.fn.output_loc or self.fn.loc
        producer = next((op for op in walk(self.fn.body) if output in op.results), None)
        if isinstance(producer, Op) and producer.callee.kind == BUILD:
            kind = {tuple: "tuple", ListOf: "list", DictOf: "dict"}[type(producer.args[0])]
            raise NonScalarOutputError(f"sct.grad needs a scalar output, but {self.fn.name} returns a {kind}",
                                       where, hint="Return a single scalar (e.g. the sum of the parts), "
                                       "differentiate each part separately, or use sct.vjp(f, ...) with a "
                                       "cotangent of the output's structure.")
        seed = Var(self.namer.fresh("b" + (output.name if isinstance(output, Var) else "out")))
        # Kept even when no gradient needs it: grad must refuse a non-scalar output.
        self._append(Op([seed], runtime_callee(runtime.scalar_seed), [output, Const(self.fn.name)],
                        loc=where, stmt=None, keep=True))
        return seed, True

    def _gradient_of(self, inputs):
        """The gradient for a parameter's inputs (a Var, or a container argument's items):
        of the same structure as the argument."""
        if isinstance(inputs, AttributesOf):  # an object argument: an object of its class
            gradients = DictOf(inputs.keys, [self._gradient_of(x) for x in inputs])
            return self._emit_runtime(runtime.object_like, [inputs.source, gradients], "b" + inputs.source.name, None)
        if isinstance(inputs, tuple):
            return rebuild(inputs, [self._gradient_of(x) for x in inputs])
        if isinstance(inputs, Const):  # a function kept in a container or object argument
            return Const(None)
        return self._gradient(inputs)

    def _gradient(self, param):
        adj = self.adjoints.get(id(param))
        if adj is None:
            return self._emit_runtime(runtime.zero_gradient, [param], "b" + param.name, None)
        sources = self._memory_of(adj)
        if sources & self.returned:  # may share memory with another gradient: copy it
            return self._emit_runtime(runtime.copy_gradient, [adj, param], "b" + param.name, None)
        self.returned |= sources
        if self._is_final(adj, param):
            return adj
        return self._emit_runtime(runtime.as_gradient, [adj, param], "b" + param.name, None)

    def _memory_of(self, value):
        """Ids of the values whose memory `value` may be (or be a view of): itself, and,
        unless the op that made it provably makes a new array, whatever that op read."""
        if not isinstance(value, Var):
            return set()
        producers = {id(r): o for o in walk(self.backward) for r in o.results}
        sources, pending = set(), [value]
        while pending:
            v = pending.pop()
            if id(v) in sources:
                continue
            sources.add(id(v))
            producer = producers.get(id(v))
            if producer is None or (isinstance(producer, Op) and _makes_new_array(producer)):
                continue
            if isinstance(producer, Op):
                pending.extend(flat_vars(producer.operands()))
            else:  # an If or a loop result: what its regions yield at its position, or its init
                i = next(i for i, r in enumerate(producer.results) if r is v)
                pending.extend(flat_vars([producer.body.yields[i]] if isinstance(producer, Loop) else
                                         [region.yields[i] for region in producer.regions()]))
                if isinstance(producer, Loop):
                    pending.extend(flat_vars([producer.inits[i]]))
        return sources

    def _is_final(self, adj, param):
        """True when `adj` is provably a fresh, writable array of `param`'s exact shape
        (only known for code specialized to the arguments' shapes)."""
        shape = self.shapes.shape(param)
        if not isinstance(adj, Var) or not isinstance(shape, tuple) or shape == () \
                or self.shapes.shape(adj) != shape:
            return False
        producer = next((op for op in walk(self.backward) if adj in op.results), None)
        return isinstance(producer, Op) and _makes_new_array(producer)

    def _emit_runtime(self, helper, args, hint, op):
        # These read best inline: in the return statement, or in the adjoint they scale.
        result = Var(self.namer.fresh(hint), is_temp=helper in _INLINE_HELPERS)
        self._append(Op([result], runtime_callee(helper), args,
                        loc=op.loc if op else None, stmt=op.stmt if op else None))
        return result

    # ---- blocks and control flow (a loop's adjoint and its tape: reverse_loops._LoopAdjoints)

    def _reverse_block(self, ops):
        """Append the adjoint of `ops` (in reverse order) to the current backward block.
        (A loop's adjoint may insert the tape it needs into `ops`, before the loop.)"""
        for op in reversed(list(ops)):
            if isinstance(op, Op) and op.keep and any(id(v) in self.active for v in flat_vars(op.operands())):
                _refuse_unknown_effect(op)
            if any(id(r) in self.adjoints for r in op.results):
                if isinstance(op, Loop):
                    self._adjoint_of_loop(op, ops)
                elif isinstance(op, If):
                    self._adjoint_of_if(op)
                elif any(id(v) in self.active for v in flat_vars(op.operands())):
                    self._adjoint_of(op)
                # else nothing it reads needs an adjoint: it reads an argument's item or attribute

    def _adjoint_of_if(self, op):
        """`if cond:` in the adjoint sweep, on the same condition (still live, so no
        record of the branch taken is needed outside loops). Each branch seeds its
        yields with the results' adjoints and runs its body's adjoint; the adjoints
        of outer values either branch changes are joined, a branch that leaves one
        alone yielding its previous adjoint (or a scalar 0.0, which broadcasts)."""
        outer_adjoints, outer_backward = self.adjoints, self.backward
        branches = []
        for region in op.regions():
            self.adjoints, self.backward = dict(outer_adjoints), []
            for result, value in zip(op.results, region.yields):
                cotangent = outer_adjoints.get(id(result))
                if cotangent is not None and isinstance(value, Var) and id(value) in self.active:
                    self._add_to_adjoint(value, cotangent, op, fresh=set())
            self._reverse_block(region.body)
            inside = {id(r) for o in walk(region.body) for r in o.results}
            branches.append((self.backward, self.adjoints, inside))
        self.adjoints, self.backward = outer_adjoints, outer_backward
        changed = []  # outer Vars whose adjoint a branch changed, in first-seen order
        for _, adjoints, inside in branches:
            for key, adj in adjoints.items():
                if key not in inside and adj is not outer_adjoints.get(key) and key not in changed:
                    changed.append(key)
        joins, yields = [], ([], [])
        for key in changed:
            primal = self.primal_of[key]
            join = Var(self.namer.fresh("b" + primal.name))
            joins.append(join)
            for (_, adjoints, _), branch_yields in zip(branches, yields):
                branch_yields.append(adjoints.get(key, outer_adjoints.get(key, Const(0.0))))
            self.adjoints[key] = join
        for result in op.results:
            self.adjoints.pop(id(result), None)
        (then_ops, _, _), (else_ops, _, _) = branches
        self._append(If(joins, op.cond, Region(then_ops, yields[0]), Region(else_ops, yields[1]),
                        op.loc, op.stmt))

    # ---- one primal op

    def _adjoint_of_recursive_call(self, op):
        """`grads = pullback(cotangent)`, the recursive call's VJP pulling the value's
        cotangent back; grads[k] is added to the k-th active argument's adjoint. The
        pullback wants a cotangent of exactly the value's shape, and gives gradients of
        exactly the arguments' shapes (containers: of the same structure)."""
        value, pullback = op.results
        cotangent = self.adjoints[id(value)]
        if not self.shapes.same(cotangent, value):
            cotangent = self._emit_runtime(runtime.expand, [cotangent, value], "b" + value.name, op)
        grads = Var(self.namer.fresh("b" + value.name + "_args"), is_temp=True)
        self._append(Op([grads], Callee(APPLY, "pullback"), [pullback, cotangent], loc=op.loc, stmt=op.stmt))
        self._add_to_items(self.recursive_args[id(op)], grads, op, {id(grads)})

    def _adjoint_of(self, op):
        if op.callee.obj is runtime.call_with_pullback:
            self._adjoint_of_recursive_call(op)
            return
        if op.callee.kind == BUILD:  # a container made at run time: item k's adjoint is its cotangent[k]
            cotangent = self.adjoints[id(op.result)]
            # vjp's seed for a container output has the output's structure and leaf shapes
            # (api checks it), so its items are exact; any other container adjoint may hold zeros.
            exact = self.seed_mode == SEED_COTANGENT and cotangent is self.seed
            self._add_to_items(op.args[0], cotangent, op, set(), exact=exact)
            return
        rule = rules.lookup(op.callee.key)
        if rule is None:
            raise _missing_rule(op)
        if any(id(v) in self.complex_values for v in flat_vars(op.operands())) or _has_complex_constant(op):
            raise UnsupportedSyntaxError(
                "sct does not differentiate through complex numbers yet", op.loc,
                hint="Keep the real and imaginary parts in separate real arrays (e.g. exp(i t) as "
                     "np.cos(t) and np.sin(t)), or hold this value constant with sct.stop_gradient.")
        if rule.elementwise:
            op = self._with_array_operands(op)
        result = op.result
        cotangent = self.adjoints[id(result)]
        # A rule's adjoint for a container of computed values is split item by item, which a
        # scalar standing for the whole cotangent could not be (and for a run-time list, a
        # Python float adjoint means zero). A run-time list's own adjoint is always exact.
        splits = id(result) not in self.sequences and any(
            id(v) in self.active and (isinstance(a, tuple) or id(v) in self.sequences)
            for a in op.args for v in flat_vars([a]))
        exact_already = id(result) in self.sequences  # a run-time list's adjoint is never a stand-in scalar
        if (rule.exact_cotangent or splits) and not exact_already and not self.shapes.same(cotangent, result):
            cotangent = self._emit_runtime(runtime.expand, [cotangent, result], "b" + result.name, op)
        ops, contributions, fresh = inline_template(rule, op, "d", {id(result): cotangent}, self.namer, self.shapes)
        self.backward.extend(ops)
        for target, value in contributions:
            if isinstance(target, tuple):  # `np.stack([a, b])`: item k's adjoint is value[k]
                if rule.elementwise:
                    raise UnsupportedSyntaxError(f"{op.callee} of a list or tuple of computed values cannot be "
                                                 f"differentiated", op.loc,
                                                 hint="Make it one array with np.stack first.")
                # The item of a run-time list (`xs.append((a, b))`) may have the zero 0.0 as adjoint.
                self._add_to_items(target, value, op, fresh, exact=not exact_already)
                continue
            if isinstance(target, Var) and id(target) in self.active:
                if id(target) in self.sequences and op.callee.obj in REDUCTIONS:
                    # np.sum(hs) of a run-time list reduces the array NumPy makes of it: the
                    # adjoint, exact, is that array's (a scalar would mean zero for a list)
                    value = self._emit_runtime(runtime.expand, [value, target], "b" + target.name, op)
                elif rule.elementwise:
                    value = self._reduce_to(value, target, op, cotangent)
                elif rule.exact_cotangent and isinstance(value, Var) and id(value) in fresh:
                    # A non-elementwise rule given an exact cotangent returns an exact adjoint.
                    self.shapes.set(value, self.shapes.of(target), self.shapes.shape(target))
                self._add_to_adjoint(target, value, op, fresh)

    def _with_array_operands(self, op):
        """`op` with each list or tuple operand that carries no derivative made an array:
        an elementwise op converts it (`x * [2.0, 3.0]`), and so must its partials, which
        Python's list arithmetic would repeat or refuse."""
        args = list(op.args)
        for i, a in enumerate(args):
            is_list = isinstance(a, tuple) or (isinstance(a, Const) and isinstance(a.value, (list, tuple)))
            if is_list and not any(id(v) in self.active for v in flat_vars([a])):
                args[i] = self._emit_op(_ASARRAY, [a], "array", op)
        return op if args == list(op.args) else dataclasses.replace(op, args=args)

    def _adder(self, key):
        """How two adjoints of the value with id `key` add: `+`, or item by item for a
        list, tuple or dict made at run time (whose `+` would concatenate), or either,
        decided at run time, for a value only the run time knows the kind of."""
        if key in self.sequences:
            return runtime_callee(runtime.add_item_adjoints)
        if key in self.run_time_kinds and (key not in self.primal_of
                                           or self.shapes.array_shape(self.primal_of[key]) is None):
            return runtime_callee(runtime.add_adjoints)
        return Callee(BINOP, "+", operator.add)

    def _add_to_items(self, items, value, op, fresh, exact=True):
        """Add `value[k]` to the adjoint of each active item k of the structured operand
        `items` (recursively: `value[k][j]` for a nested one). With `exact`, the parts
        have their items' shapes (a rule's adjoint for a container holds each item's
        adjoint in its shape); otherwise a part may be a zero, 0.0."""
        keys = items.keys if isinstance(items, DictOf) else range(len(items))
        for key, item in zip(keys, items):
            if not any(id(v) in self.active for v in flat_vars([item])):
                continue
            part = Var(self.namer.fresh("b" + (item.name if isinstance(item, Var) else "item")), is_temp=True)
            pick = Callee(GETITEM, "[]", operator.getitem) if exact else runtime_callee(runtime.item_adjoint)
            self._append(Op([part], pick, [value, Const(key)], loc=op.loc, stmt=op.stmt))
            if isinstance(item, tuple):
                self._add_to_items(item, part, op, fresh | {id(part)}, exact)
            else:
                if exact:
                    self.shapes.set(part, self.shapes.of(item), self.shapes.shape(item))
                self._add_to_adjoint(item, part, op, fresh | {id(part)})

    def _add_to_adjoint(self, var, value, op, fresh):
        """The first contribution becomes var's adjoint (named `b<var>` if the caller made
        it); a later one is added to it."""
        self.primal_of[id(var)] = var
        previous = self.adjoints.get(id(var))
        if previous is None:
            if isinstance(value, Var) and id(value) in fresh:
                self._rename(value, "b" + var.name)
            self.adjoints[id(var)] = value
            return
        total = Var(self.namer.fresh("b" + var.name))
        self._append(Op([total], self._adder(id(var)), [previous, value], loc=op.loc, stmt=op.stmt))
        self.adjoints[id(var)] = total

    def _reduce_to(self, value, var, op, cotangent):
        """An elementwise op's contribution `value` (which has the op result's shape, or
        stands for it as a broadcast scalar) reduced to the argument `var`'s shape.
        `cotangent` is the result's adjoint the contribution was computed from."""
        shapes = self.shapes
        if shapes.is_scalar(value) and not shapes.is_scalar(op.result):
            # A scalar standing for the whole (broadcast) result.
            if shapes.same(var, op.result):
                return value  # still a scalar that broadcasts to var
            # Summed over the axes var was broadcast along, it is itself times the copies.
            result_shape, var_shape = shapes.array_shape(op.result), shapes.array_shape(var)
            if result_shape is not None and var_shape is not None:
                return self._times_copies(value, result_shape, var_shape, var, op)
            copies = self._emit_runtime(runtime.broadcast_copies, [op.result, var], "copies", op)
            return self._emit_op(Callee(BINOP, "*", operator.mul), [value, copies], "b" + var.name, op)
        # The adjoint of a keepdims reduction has the reduction's shape and stands for the
        # whole broadcast result; each entry of an argument then counts once per copy.
        result_shape, value_shape, var_shape = self._broadcast_shape(op), shapes.array_shape(value), \
            shapes.array_shape(var)
        if result_shape is not None and value_shape is not None and value_shape != result_shape:
            if value_shape == var_shape:
                return self._times_copies(value, result_shape, var_shape, var, op)
            value = self._emit_runtime(runtime.expand, [value, op.result], "b" + op.result.name, op)
            shapes.set(value, shapes.of(op.result), result_shape)
        elif shapes.same(value, var) and not shapes.same(var, op.result) and not shapes.same(cotangent, op.result):
            # `value` has var's shape but may stand for the whole result: only the run time knows
            if result_shape is None or var_shape is None:
                return self._emit_runtime(runtime.unbroadcast, [value, var, op.result], "b" + var.name, op)
            return self._times_copies(value, result_shape, var_shape, var, op)
        if shapes.same(value, var):
            return value
        axes = _static_reduction(shapes.array_shape(value), shapes.array_shape(var))
        if axes is not None and shapes.shape(var) is not PYTHON_NUMBER:
            leading, kept = axes
            if leading:
                value = self._emit_op(_ADD_REDUCE, [value], "b" + var.name, op,
                                      {"axis": Const(leading if len(leading) > 1 else leading[0])})
            if kept:
                value = self._emit_op(_ADD_REDUCE, [value], "b" + var.name, op,
                                      {"axis": Const(kept if len(kept) > 1 else kept[0]),
                                       "keepdims": Const(True)})
            return value
        args = [value, var]
        if not any(shapes.same(v, op.result) for v in (cotangent, value, var)):
            # The cotangent may be a scalar standing for the whole result (a lazy one whose
            # class was lost in a join or a loop), and so may `value`: the helper must know
            # the result's shape to count it once per broadcast copy of `var`. (A cotangent
            # of the result's shape gives a contribution of that shape; a `var` of that
            # shape sums nothing.)
            args.append(op.result)
        return self._emit_runtime(runtime.unbroadcast, args, "b" + var.name, op)

    def _times_copies(self, value, result_shape, var_shape, var, op):
        """`value` times the number of copies of `var` broadcasting made in the result."""
        copies = int(np.prod(result_shape, dtype=np.int64)) // max(1, int(np.prod(var_shape, dtype=np.int64)))
        if copies == 1:
            return value
        return self._emit_op(Callee(BINOP, "*", operator.mul), [value, Const(copies)], "b" + var.name, op)

    def _broadcast_shape(self, op):
        """The shape of an elementwise op's result, known or found from its operands' known
        shapes (constants are scalars), or None."""
        shape = self.shapes.array_shape(op.result)
        if shape is not None:
            return shape
        shapes = [() if isinstance(a, Const) else self.shapes.array_shape(a) for a in op.operands()]
        if any(s is None for s in shapes):
            return None
        try:
            return np.broadcast_shapes(*shapes)
        except ValueError:  # a branch that never runs (see analysis/shapes.py)
            return None

    def _emit_op(self, callee, args, hint, op, kwargs=None):
        result = Var(self.namer.fresh(hint))
        self._append(Op([result], callee, args, dict(kwargs or {}), loc=op.loc, stmt=op.stmt))
        return result

    def _append(self, new_op):
        self.backward.append(new_op)
        self.shapes.add(new_op)

    def _rename(self, var, hint):
        self.namer.taken.discard(var.name)
        var.name = self.namer.fresh(hint)
        var.is_temp = False


_INLINE_HELPERS = (runtime.as_gradient, runtime.copy_gradient, runtime.zero_gradient,
                   runtime.broadcast_copies)
_ADD_REDUCE = Callee(CALL, "np.add.reduce", np.add.reduce, np)
_ASARRAY = Callee(CALL, "np.asarray", np.asarray, np)


def _sequence_values(body):
    """Ids of the values that are lists, tuples or dicts made at run time: `build`s,
    appends, sorted copies (`take_items`), writes into them, the loop and If values they flow into, and the items that
    are themselves containers: of a `build` of containers (`pairs[i]` of a list of
    `(W, b)` pairs), and of the tuples zip and enumerate make (nested ones included)."""
    one_pass = {id(op.result): op for op in walk(body)
                if isinstance(op, Op) and op.callee.kind == CALL and op.callee.obj in (zip, enumerate)}

    def tuple_items(iterator):
        """Which items of the tuples a zip/enumerate makes are tuples again: index -> its source."""
        op = one_pass[iterator]
        sources = dict(enumerate(op.args)) if op.callee.obj is zip else {1: op.args[0]}
        return {k: id(a) for k, a in sources.items() if id(a) in one_pass}

    # id(value) -> which of its items are containers: ALL, or {index: id of the zip/enumerate
    # making that item's tuples}
    containers_in = {i: _ALL for i in one_pass}
    for op in walk(body):
        if isinstance(op, Op) and op.callee.kind == BUILD and op.args[0] and \
                all(isinstance(item, tuple) for item in op.args[0]):
            containers_in[id(op.result)] = _ALL
    sequences = set()
    changed = True
    while changed:
        changed = False
        for op in walk(body):
            pairs = []
            if isinstance(op, Loop):
                pairs = _joins(op)
                if op.target is not None and id(op.iterable) in containers_in:
                    pairs.append((op.target, op.target))
                    if id(op.iterable) in one_pass:
                        containers_in[id(op.target)] = tuple_items(id(op.iterable))
            elif isinstance(op, If):
                pairs = _joins(op)
            elif op.callee.kind == GETITEM and isinstance(op.args[1], Const) and \
                    isinstance(op.args[1].value, (int, str)):
                inside = containers_in.get(id(op.args[0]), {})
                if inside is _ALL or op.args[1].value in inside:
                    pairs = [(op.result, op.result)]
                    if inside is not _ALL:
                        containers_in[id(op.result)] = tuple_items(inside[op.args[1].value])
            elif op.callee.kind == GETITEM:
                if containers_in.get(id(op.args[0])) is _ALL:
                    pairs = [(op.result, op.result)]
            elif op.callee.kind == BUILD or op.callee.obj is runtime.appended or op.callee.obj is runtime.take_items \
                    or (op.callee.kind == CALL and op.callee.obj in (list, tuple) and op.args) \
                    or (op.callee.kind == SETITEM and id(op.args[0]) in sequences):
                pairs = [(r, r) for r in op.results]
                if op.callee.obj is runtime.appended and id(op.result) not in containers_in and \
                        (isinstance(op.args[1], tuple) or id(op.args[1]) in sequences
                         or containers_in.get(id(op.args[0])) is _ALL):
                    containers_in[id(op.result)] = _ALL  # a list of tuples, appended to in a loop
                    changed = True
            for value, source in pairs:
                if id(value) not in sequences and (value is source or id(source) in sequences):
                    sequences.add(id(value))
                    changed = True
                if value is not source and id(value) not in containers_in and \
                        containers_in.get(id(source)) is _ALL:
                    containers_in[id(value)] = _ALL  # carried through a loop or an If
                    changed = True
    return sequences


_ALL = "all"


def _constants(operands):
    """The Consts among `operands`, looking inside structured operands."""
    return [x for x in flat(operands) if isinstance(x, Const)]


# Library calls run for their effect that change none of their arguments: these, and the
# functions of these modules (logging, warnings, NumPy's assertions, sct's own checks).
_EFFECT_FREE = (print,)
_EFFECT_FREE_MODULES = ("sct.", "logging", "warnings", "numpy.testing")


def _refuse_unknown_effect(op):
    """A statement calling library code (`lib.normalize(x)`) on a value being differentiated,
    its result unused: it is run for an effect, and if that effect is to change the array
    in place, the adjoint (which has no effects) would not know of it. Refused unless the
    callee is known: one with a rule or declared non-differentiable, print, logging and the
    like (`_EFFECT_FREE_MODULES`)."""
    c = op.callee
    if c.kind not in (CALL, METHOD):
        return
    if c.kind == CALL and (any(c.obj is f for f in _EFFECT_FREE) or
                           str(getattr(c.obj, "__module__", "")).startswith(_EFFECT_FREE_MODULES)):
        return
    if rules.lookup(c.key) is not None or rules.is_nondifferentiable(c.key):
        return
    what = f"{c.spelling}(...)" if c.kind == CALL else f".{c.spelling}(...)"
    raise UnsupportedSyntaxError(
        f"{what} is called for its effect on a value being differentiated, and sct cannot tell whether it "
        f"changes it in place (the gradient would not know of that)", op.loc,
        hint=f"Use its result instead (`y = ...`), or, if it changes none of its arguments, declare it with "
             f"sct.nondifferentiable({c.spelling if c.kind == CALL else 'sct.method(' + repr(c.spelling) + ')'}).")


def _is_complex_constant(value):
    """A complex number, or a complex dtype (`dtype=complex`, `astype(np.complex128)`)."""
    if isinstance(value, complex):
        return True
    if isinstance(value, str):  # not np.dtype(value): "F" is also reshape's order
        return "complex" in value
    try:
        return isinstance(value, (type, np.dtype)) and np.dtype(value).kind == "c"
    except TypeError:
        return False


def _has_complex_constant(op):
    """Whether a complex number or dtype is among `op`'s operands. Not in a slice: the
    complex step of np.r_[a:b:5j] is a count of points, and the grid is real."""
    return op.callee.obj is not slice and any(_is_complex_constant(c.value) for c in _constants(op.operands()))


# Callables whose result may be complex for real arguments.
_COMPLEX_MAKERS = (complex, np.complex64, np.complex128, np.linalg.eig, np.linalg.eigvals, np.roots,
                   np.vectorize)
_COMPLEX_MODULES = ("numpy.fft", "numpy.lib.scimath", "numpy.emath")


def _complex_values(body):
    """Ids of the values that may be complex: made from a complex constant or dtype, by a
    function that returns complex numbers for real arguments (np.fft, np.emath ...), or
    from such values. sct's rules are for real numbers, so an adjoint through one is
    refused (its gradient would be complex, or wrong)."""
    def flows(op, found):
        if isinstance(op, (Loop, If)):
            return _joins(op)
        obj = op.callee.obj if op.callee.kind == CALL else None
        if _has_complex_constant(op) or (obj is not None and _makes_complex(obj)):
            return [(r, r) for r in op.results]
        sources = [v for v in flat_vars(op.operands()) if id(v) in found]
        return [(r, sources[0]) for r in op.results] if sources else []

    return _spread(body, flows)


def _makes_complex(obj):
    try:
        if obj in _COMPLEX_MAKERS:
            return True
    except TypeError:  # an unhashable callable
        return False
    return (getattr(obj, "__module__", None) or "").startswith(_COMPLEX_MODULES)


def _joins(op):
    """(value, source) pairs of a Loop or If: each value joins the sources that flow into it."""
    if isinstance(op, Loop):
        return [(c, i) for c, i in zip(op.carried, op.inits)] + list(zip(op.results, op.carried)) + \
            [(c, y) for c, y in zip(op.carried, op.body.yields) if y is not c]  # (c, c): not made here
    return [(r, y) for r, a, b in zip(op.results, op.then.yields, op.orelse.yields) for y in (a, b)]


def _run_time_kinds(body):
    """Ids of the values whose kind only the run time knows: the output of a recursive call
    (a number, an array or a container), a call's value read item by item (a function
    with a rule may return a tuple), the items read out of those, and what they join."""
    made_by_calls = {id(r) for op in walk(body) if isinstance(op, Op) and op.callee.kind in (CALL, METHOD)
                     for r in op.results}
    def flows(op, found):
        if isinstance(op, (Loop, If)):
            return _joins(op)
        if op.callee.obj is runtime.call_with_pullback:
            return [(op.results[0], op.results[0])]
        if op.callee.kind == GETITEM:
            if isinstance(op.args[1], Const) and id(op.args[0]) in made_by_calls:
                return [(op.result, op.args[0]), (op.args[0], op.args[0])]  # `r, t = polar(x, y)`
            return [(op.result, op.args[0])]
        return []

    return _spread(body, flows)


def _spread(body, flows):
    """The ids of the values a property reaches: `flows(op, found)` gives an op's (value,
    source) pairs; a value has the property where it is its own source (it brings it)
    or its source has it. Repeated until nothing changes (loops carry values back)."""
    found = set()
    changed = True
    while changed:
        changed = False
        for op in walk(body):
            for value, source in flows(op, found):
                if id(value) not in found and (value is source or id(source) in found):
                    found.add(id(value))
                    changed = True
    return found


def _static_reduction(value_shape, var_shape):
    """(leading axes, keepdims axes) that sum a `value_shape` array to `var_shape`,
    or None when unknown or not a broadcast reduction."""
    if value_shape is None or var_shape is None or len(value_shape) < len(var_shape):
        return None
    extra = len(value_shape) - len(var_shape)
    kept = []
    for i, (n, m) in enumerate(zip(var_shape, value_shape[extra:])):
        if n == m:
            continue
        if n != 1:
            return None
        kept.append(i)
    return tuple(range(extra)), tuple(kept)


_NEW_ARRAY_FUNCTIONS = (np.outer, np.dot)


def _makes_new_array(op):
    """Ops whose result is a new array (not a view of, or the same object as, an input)."""
    c = op.callee
    if c.kind in (BINOP, UNARYOP):
        return True
    return c.kind == CALL and (isinstance(c.obj, np.ufunc) or c.obj in _NEW_ARRAY_FUNCTIONS
                               or isinstance(getattr(c.obj, "__self__", None), np.ufunc))


def _missing_rule(op):
    c = op.callee
    if c.kind == METHOD:
        what = f"the method .{c.spelling}()"
        hint = ((f"Use the NumPy function instead (np.{c.spelling}(x, ...)), or register a rule: "
                 if hasattr(np, c.spelling) else "Register a rule: ") +
                f"@sct.adjoint(sct.method({c.spelling!r})). If it is a method of your own class, make the "
                f"object inside the differentiated function: sct then inlines its methods.")
    elif c.kind == ATTR:
        what = f"the attribute .{c.spelling}"
        hint = (f"If it is an array kept in an object passed in, pass the arrays as arguments (or in a "
                f"dict) to differentiate with respect to them. Otherwise register a rule with "
                f"@sct.adjoint(sct.attribute({c.spelling!r})).")
    else:
        what = f"{c.spelling}"
        name = getattr(c.obj, "__module__", None)
        if c.kind == CALL and callable(c.obj) and name not in ("numpy", "math", "builtins") \
                and hasattr(c.obj, "__code__"):
            hint = (f"{c.spelling} is library code, which sct does not inline (it inlines your own "
                    f"functions). Register a rule:\n    @sct.adjoint({c.spelling})\n    def _(result, x):\n"
                    f"        d[x] = d[result] * ...")
        else:
            hint = (f"Register one:\n    @sct.adjoint({c.spelling})\n    def _(result, x):\n"
                    f"        d[x] = d[result] * ...   # the derivative of {c.spelling} at x\n"
                    f"or mark it with sct.nondifferentiable({c.spelling}) if no gradient flows through it.")
    return MissingRuleError(f"no adjoint rule for {what}", op.loc, hint)
