"""The adjoint of a loop, and the tape it needs: the loop part of the reverse transform.

`_LoopAdjoints` is a mixin of the reverse transform (`reverse._Reverse`), not a class
of its own: a loop body's adjoint is a block like any other, made by the transform's
own `_reverse_block`, and the loop adds what it finds to adjoints with the
transform's `_add_to_adjoint`. Takes a forward loop whose results have adjoints;
appends the reversed loop to the current backward block and, where its body reads
values each iteration overwrites, inserts a tape (a run-time list) before the
forward loop: pushed at the end of each forward iteration, popped at the start of
each reversed one. Nothing else is taped.
"""
import numpy as np

from ..analysis import SCALAR, flat_vars
from ..analysis.shapes import SHAPE_ONLY_ARGS
from ..errors import UnsupportedSyntaxError
from ..ir import Callee, Const, If, Loop, Op, Region, Var, walk, CALL, METHOD
from .. import runtime
from .optimize import prune_dead, substitute
from .runtime_calls import runtime_callee


class _LoopAdjoints:
    """The reversed loop and its tape, for `reverse._Reverse`, which provides the state
    (`adjoints`, `backward`, `primal_of`, `active`, `shapes`, `namer`, `sequences`,
    `producers`, `loop_of_result`) and the methods `_reverse_block`, `_add_to_adjoint`,
    `_adder`, `_emit_op`, `_emit_runtime` and `_append`."""

    def _adjoint_of_loop(self, op, block):
        """A reversed loop. Its body is the adjoint of the forward body; it carries the
        adjoints of the carried values backwards (seeded with the results' adjoints) and
        accumulates the adjoints of values from before the loop. Forward-body values the
        adjoint body reads are overwritten by each iteration: the forward loop appends
        them to a list (the tape) and the reversed loop pops them. Nothing else is taped."""
        # The arrays iterated row by row that are being differentiated, each with the path
        # to its row in the loop's target: () for the target itself, (k,) for item k of a
        # zip or enumerate tuple, (1, k) inside enumerate(zip(...)) ...
        rows_of = []
        if op.target is not None and id(op.target) in self.active:
            if op.reversible and isinstance(op.iterable, Var):
                rows_of = [(op.iterable, ())]
            else:
                rows_of = self._rows_in(op.iterable, (), op)
        outer_adjoints, outer_backward = self.adjoints, self.backward
        carried = [k for k, c in enumerate(op.carried) if id(c) in self.active]
        inside = {id(r) for o in walk(op.body.body) for r in o.results} | {id(v) for v in op.defined()}
        self.adjoints, self.backward = {}, []
        # The adjoint of each carried value at the end of an iteration.
        incoming = [Var(self.namer.fresh("b" + op.carried[k].name)) for k in carried]
        for k, b in zip(carried, incoming):
            # A carried adjoint has its value's shape, when known: the loop boundary makes
            # it so (see _exact_adjoint), so the body needs no run-time unbroadcast. Otherwise
            # its class is unknown (it may be a scalar standing for the value's shape).
            scalar = self.shapes.of(op.carried[k]) is SCALAR
            self.shapes.set(b, SCALAR if scalar else b, self.shapes.shape(op.carried[k]))
            y = op.body.yields[k]
            if isinstance(y, Var) and id(y) in self.active:
                self._add_to_adjoint(y, b, op, fresh=set())
        self._reverse_block(op.body.body)
        body_adjoints = self.adjoints
        outgoing = [self._exact_adjoint(body_adjoints.get(id(op.carried[k]), Const(0.0)), op.carried[k], op)
                    for k in carried]
        outer = [key for key in body_adjoints if key not in inside]
        row_adjoints = None
        if rows_of:  # each iteration's row adjoint, collected (last row first)
            row_adjoints = Var(self.namer.fresh("b" + op.target.name + "_rows"))
            row = body_adjoints.get(id(op.target), Const(0.0))
            self._append(Op([Var(self.namer.fresh("collected"), is_temp=True)], Callee(METHOD, "append"),
                            [row_adjoints, row], keep=True))
        accumulators = [Var(self.namer.fresh("b" + self.primal_of[key].name)) for key in outer]
        totals, written_into = [], set()
        for key, acc in zip(outer, accumulators):
            self.shapes.set(acc, acc)
            item = self._lone_item_adjoint(body_adjoints[key], key)
            if item is not None:  # `acc[index] += g` in place, not acc + (zeros with g at index)
                item.callee, item.args = runtime_callee(runtime.add_at), item.args + [acc]
                totals.append(item.result)
                written_into.add(key)
                continue
            totals.append(self._emit_op(self._adder(key), [acc, body_adjoints[key]],
                                        "b" + self.primal_of[key].name, op))
        backward_body = self.backward
        self.adjoints, self.backward = outer_adjoints, outer_backward
        # Drop what the adjoint body computes for nothing before deciding what to tape.
        prune_dead(backward_body, outgoing + totals)
        self._read_shapes_from_outside(backward_body, inside, op)

        iterable, target = self._taped(op, block, backward_body)
        results = [Var(self.namer.fresh("b" + op.carried[k].name)) for k in carried] + \
            [Var(self.namer.fresh("b" + self.primal_of[key].name)) for key in outer]
        inits = [self._exact_adjoint(outer_adjoints.get(id(op.results[k]), Const(0.0)), op.carried[k], op)
                 for k in carried] + [self._private(outer_adjoints.get(key, Const(0.0)), key in written_into,
                                                    "b" + self.primal_of[key].name, op) for key in outer]
        loop = Loop(results, incoming + accumulators, inits, Region(backward_body, outgoing + totals),
                    iterable, target, None, op.loc, op.stmt)
        if row_adjoints is not None:
            self._append(Op([row_adjoints], Callee(CALL, "list", list, list), []))
        self._append(loop)
        for r in op.results:
            self.adjoints.pop(id(r), None)
        for key, result in zip(outer, results[len(carried):]):
            self.adjoints[key] = result  # each accumulator started from the adjoint before the loop
        # Added after the accumulators: the array may also be read directly in the body, and
        # its accumulator would replace an adjoint that already held the rows.
        for array, path in rows_of:
            stacked = self._emit_runtime(runtime.stack_row_adjoints, [row_adjoints, array, Const(path)],
                                         "b" + array.name, op)
            self._add_to_adjoint(array, stacked, op, fresh=set())
        for k, result in zip(carried, results):
            init = op.inits[k]
            if isinstance(init, Var) and id(init) in self.active:
                self._add_to_adjoint(init, result, op, fresh=set())

    def _read_shapes_from_outside(self, backward_body, inside, op):
        """Where the adjoint body reads a forward-body value only for its shape
        (`without_items(g, out_1, i)` after `out[i] = ...`), read a value of the same shape
        from before the loop instead, so that the value is not taped (a tape of the whole
        array each iteration would cost O(n) memory per write). A carried value whose
        yield keeps its shape (`_keeps_shape`) has its init's shape in every iteration."""
        same_shape_init = {id(c): init for c, init, y in zip(op.carried, op.inits, op.body.yields)
                           if isinstance(init, Var) and self._keeps_shape(y, c)}
        for o in walk(backward_body):
            if not isinstance(o, Op) or o.callee.kind != CALL:
                continue
            for i in SHAPE_ONLY_ARGS.get(o.callee.obj, ()):
                x = o.args[i] if i < len(o.args) else None
                if not isinstance(x, Var) or id(x) not in inside or id(x) in self.sequences:
                    continue
                root = self.shapes.of(x)
                root = same_shape_init.get(id(root), root)
                if isinstance(root, Var) and id(root) not in inside:
                    o.args[i] = root

    def _lone_item_adjoint(self, value, key):
        """The op of the current (loop body) block that makes `value` as the adjoint of an
        item read of the value with id `key` (`getitem_adjoint(g, x, i)`), when nothing else
        in the block reads it: the loop can add it into its accumulator in place. None
        otherwise."""
        if key in self.sequences or not isinstance(value, Var):
            return None
        maker = next((o for o in self.backward if isinstance(o, Op) and value in o.results), None)
        # Only an item of the accumulated value itself: `W`'s adjoint may be that of an item of
        # np.sum(W, axis=1, keepdims=True), whose rule passes the cotangent on as it is.
        if maker is None or maker.callee.obj is not runtime.getitem_adjoint or \
                maker.args[1] is not self.primal_of[key]:
            return None
        readers = [o for o in walk(self.backward) for v in flat_vars(o.operands()) if v is value]
        return maker if not readers else None

    def _private(self, init, written_into, hint, op):
        """A loop accumulator's first value: a private copy when the loop writes into it."""
        if not written_into or isinstance(init, Const):
            return init
        return self._emit_runtime(runtime.private_copy, [init], hint, op)

    def _keeps_shape(self, value, start):
        """Whether `value` provably has the shape of `start`: same shape class, or the
        result of an inner loop that starts from `start` and keeps its shape (a nested
        loop filling an array)."""
        if value is start or self.shapes.of(value) is start:
            return True
        loop = self.loop_of_result.get(id(value))
        if loop is None:
            return False
        k = next(k for k, r in enumerate(loop.results) if r is value)
        return loop.inits[k] is start and self._keeps_shape(loop.body.yields[k], loop.carried[k])

    def _rows_in(self, iterable, path, op):
        """[(array, path of its rows in each item)] for the differentiated arrays that the
        one-pass `iterable` (zip, enumerate, nested) goes through row by row."""
        producer = self.producers.get(id(iterable))
        if producer is None or producer.callee.obj not in (zip, enumerate) or set(producer.kwargs) - {"start"}:
            if isinstance(iterable, Var) and id(iterable) in self.active and path:
                return [(iterable, path)]
            raise UnsupportedSyntaxError(
                "iterating over this iterator of a value that is being differentiated is not "
                "supported yet", op.loc,
                hint="Loop over the indices instead: `for i in range(len(X)):` with `row = X[i]`.")
        sources = list(enumerate(producer.args) if producer.callee.obj is zip else [(1, producer.args[0])])
        if any(isinstance(a, tuple) and any(id(v) in self.active for v in flat_vars([a])) for _, a in sources):
            raise UnsupportedSyntaxError(  # its items would get no adjoint: refused, not a zero gradient
                "iterating over zip/enumerate of a list literal of differentiated values here is not supported",
                op.loc, hint="Name the list first (`xs = [...]`), or loop over the list itself.")
        return [row for k, a in sources if isinstance(a, Var) and id(a) in self.active
                for row in self._rows_in(a, path + (k,), op)]

    def _exact_adjoint(self, adjoint, value, op):
        """`adjoint` with `value`'s known array shape (a broadcast view when it is a scalar
        standing for the whole array): what a loop-carried adjoint of known shape is assumed
        to have. With the shape unknown it is left as it is: the carried adjoint's class is
        unknown then, and what reads it in the body does not take it for exact."""
        shape = self.shapes.shape(value)
        if not isinstance(shape, tuple):
            return adjoint
        if self.shapes.shape(adjoint) == shape or (shape == () and self.shapes.is_scalar(adjoint)):
            return adjoint
        result = self._emit_op(Callee(CALL, "np.broadcast_to", np.broadcast_to, np), [adjoint, Const(shape)],
                               "b" + value.name, op)
        return result

    def _taped(self, op, block, backward_body):
        """Record what the reversed loop needs: returns its (iterable, target)."""
        tape = Var(self.namer.fresh("tape"))
        restored = {}
        target = None
        if op.iterable is not None and op.reversible and any(op.target is v for o in walk(backward_body)
                                                             for v in flat_vars(o.operands())):
            target = Var(self.namer.fresh(op.target.name))  # the reversed loop's own item
            restored[id(op.target)] = target
        # Items of a one-pass iterable (enumerate, zip ...) are taped like the body's values.
        defined_here = list(op.carried) + ([op.target] if not op.reversible else [])
        used = self._tape_level(op.body.body, backward_body, tape, restored, defined_here)
        inside = {id(r) for o in walk(op.body.body) for r in o.results} | {id(v) for v in op.defined()}
        for o in walk(backward_body):
            for v in flat_vars(o.operands()):
                if id(v) in inside and id(v) not in restored:
                    raise UnsupportedSyntaxError(
                        "the adjoint of this loop needs a value computed inside an inner loop of its "
                        "body; that is not supported yet", op.loc,
                        hint="Compute the value in the loop body itself, outside the inner loop.")
        if used:
            block.insert(block.index(op), Op([tape], Callee(CALL, "list", list, list), []))
        substitute(backward_body, restored)
        # The reversed loop visits the items the forward loop visited, last first: all of
        # them, or, when the loop could stop early (while, break), as many as it counted.
        trips = None
        if op.counter is not None:
            trips = next(r for r, c in zip(op.results, op.carried) if c is op.counter)
        if op.iterable is None or not op.reversible:
            iterable = self._emit_op(Callee(CALL, "range", range, range), [trips], "iterations", op)
        else:
            items = op.iterable
            if trips is not None:
                items = self._emit_op(runtime_callee(runtime.first_items), [op.iterable, trips], "visited", op)
                items.is_temp = True
            iterable = self._emit_op(Callee(CALL, "reversed", reversed, reversed), [items], "reversed", op)
        iterable.is_temp = True
        return iterable, target

    def _tape_level(self, forward, backward, tape, restored, defined_here=()):
        """Tape the values of one level of a loop body that its adjoint reads: pushed at
        the end of the forward block, popped at the start of the adjoint block. A branch
        of the body is a level of its own, taped inside the branch (the adjoint branch
        runs on the same, itself taped, condition), so each iteration records only the
        path it took. Returns whether anything was taped."""
        used = False
        forward_ifs = {id(o.cond): o for o in forward if isinstance(o, If) and isinstance(o.cond, Var)}
        for b in backward:
            f = forward_ifs.get(id(b.cond)) if isinstance(b, If) and isinstance(b.cond, Var) else None
            if f is not None:
                for f_region, b_region in zip(f.regions(), b.regions()):
                    used |= self._tape_level(f_region.body, b_region.body, tape, restored)
        here = {id(r): r for o in forward for r in o.results}
        here.update((id(v), v) for v in defined_here)
        saved = []
        for o in walk(backward):
            for v in flat_vars(o.operands()):
                if id(v) in here and id(v) not in restored and v not in saved:
                    saved.append(v)
        if saved:
            self._push_and_pop(forward, backward, tape, saved, restored)
        return used or bool(saved)

    def _push_and_pop(self, forward, backward, tape, saved, restored):
        record = tuple(saved) if len(saved) != 1 else (saved[0] if saved else Const(None))
        forward.append(Op([Var(self.namer.fresh("pushed"), is_temp=True)], Callee(METHOD, "append"),
                          [tape, record], keep=True))
        popped = [Var(self.namer.fresh(v.name)) for v in saved] or [Var(self.namer.fresh("popped"), is_temp=True)]
        backward.insert(0, Op(popped, Callee(METHOD, "pop"), [tape], keep=True))
        for v, r in zip(saved, popped):
            restored[id(v)] = r
            self.shapes.set(r, self.shapes.of(v), self.shapes.shape(v))
