"""Control flow: blocks of statements, `if`, `for` and `while`, and the exits from them.

Takes the statements of a function body (or of a body being inlined) with its scope,
`Namer` and `loc_of`; each statement without control flow goes to statements.py.
Gives ops and, for a tail block (one the function returns from by falling off its
end), the operand returned. Guarantees:
- an `if` decided while lowering (`isinstance` of a container) lowers only the branch
  taken; any other is an If op whose results join the names its branches bind
  differently;
- a `for` over a container known while lowering is unrolled, item by item; any other
  loop is one Loop op that carries exactly what it must from one iteration to the
  next (what the body rebinds that exists before the loop, is read after it, is read
  in the body before the body binds it, or is carried by an enclosing loop; a list or
  array the body changes in place), and its trip count where that is not known
  beforehand, which the adjoint loop needs;
- `break`, `continue` and `return` inside a loop or a branch, at any depth, become hidden
  flags (`leaving` for the rest of the iteration or function, the loop's carried `broke`,
  `returned` and the returned value): the code after a statement that left on some paths
  runs under `if not leaving:`, an unrolled loop's later items under `if not broke:`,
  and one output leaves the function;
- where paths join (an If, a Loop's iterations), a name denotes one operand: run-time
  values become results (and may be any of the arrays they join: aliasing.note_join),
  containers of one layout join item by item, objects of one class attribute by
  attribute (an attribute set on some paths only is `maybe_missing`, None on the
  others); what cannot be joined (objects of two classes, an object or None) is an
  error where it is read; a name a path did not bind is `runtime.Unbound` there (its
  use raises UnboundLocalError, as in Python);
- the same holds for the bindings of the functions this code is inlined into (and of
  an enclosing function): each path starts from them as they were
  (aliasing.OuterBindings) and they join by name, so a helper's branch changes its
  caller's variables only through writes into arrays, lists or objects, on that path;
  a loop body that changes them carries them.
The Loop op's adjoint, and what it tapes, are the reverse transform's.
"""
import inspect
import operator

import gast

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..ir import BINOP, BUILD, CALL, Callee, Const, If, Loop, Op, Region, Var, rebuild, walk
from . import containers
from .aliasing import (MUTATING_METHODS, OuterBindings, note_join, note_view, rebind_everywhere, roots, refuse_shared_write, scope_chain,
                       shares_memory, was_appended)
from .expressions import ExprLowering
from .scope import (BREAK, BROKE, HIDDEN_NAMES, ITEM, LEAVING, RETURNED, RETURN_VALUE, TRIPS, LocalFunction,
                    Unreadable)
from .static_values import GlobalRef, LocalObject, LocalPartial
from .statements import lower_simple_statement
from .targets import assign


class BlockLowering:
    """Lowers statement lists (blocks): `if`, loops and their exits here, each other
    statement by `lower_simple_statement`. A *tail* block is one the function returns
    from when it falls off its end (the body, and a branch the rest of the function
    moved into)."""

    def __init__(self, scope, namer, loc_of, function_loc, tree):
        self.scope, self.namer, self.loc_of = scope, namer, loc_of
        self.function_loc = function_loc
        # Where each name is read, in source order: which values a loop must carry.
        self.reads = [(_position(n), n.id) for n in gast.walk(tree)
                      if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]
        self.enclosing_carried = set()  # names the loops around the current one carry
        # Names whose value may be put into a list or dict by reference (`hs.append(h)`,
        # `d[k] = h`, or in a tuple: `hs.append((h, c))`), which an in-place `h += ...` would
        # change too: name -> the names of what it is put in (checked when `h +=` runs).
        self.stored_names = {}
        for n in gast.walk(tree):
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                    n.func.attr in ("append", "insert") and isinstance(n.func.value, gast.Name):
                holder, values = n.func.value.id, n.args
            elif isinstance(n, gast.Assign) and any(isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)
                                                    for t in n.targets):
                holder, values = next(t.value.id for t in n.targets if isinstance(t, gast.Subscript)
                                      and isinstance(t.value, gast.Name)), [n.value]
            else:
                continue
            for value in values:
                for name in _stored_names(value):
                    self.stored_names.setdefault(name, set()).add(holder)
        self.loop_depth = 0  # inside a loop body, `return` leaves the loop (see loop())
        self.unrolled_depth = 0  # inside the body of a loop over a container known when lowering

    def tail(self, stmts):
        """Lower a tail block: (ops, (returned operand, location of the return))."""
        ops, returned = self.block(stmts, tail=True)
        return ops, returned

    def block(self, stmts, tail=False):
        """Lower `stmts`; returns (ops, returned), `returned` None unless the block returns.
        Outside a tail block, `return`, `break` and `continue` set hidden flags (and the
        returned value) instead, and after an `if` or a loop that left on some paths, the
        rest of the block runs under `if not leaving:`."""
        ops = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1:]
            if isinstance(stmt, gast.Return):
                if rest:
                    raise UnsupportedSyntaxError("code after `return` is never run", self.loc_of(rest[0]),
                                                 hint="Remove the unreachable statements.")
                if not tail:  # record the value; the enclosing code returns it
                    value, _ = self.returned(stmt, ops)
                    self._leave(returning=value)
                    return ops, None
                return ops, self.returned(stmt, ops)
            if isinstance(stmt, (gast.Continue, gast.Break)):
                if rest:
                    raise UnsupportedSyntaxError(f"code after `{type(stmt).__name__.lower()}` is never run",
                                                 self.loc_of(rest[0]), hint="Remove the unreachable statements.")
                self._leave(breaking=isinstance(stmt, gast.Break))
                return ops, None
            if isinstance(stmt, gast.If):
                if_ops, returned, consumed = self.if_statement(stmt, rest, tail)
                ops.extend(if_ops)
                if returned is not None:
                    return ops, returned
                if consumed:
                    return ops, None
            elif isinstance(stmt, (gast.For, gast.While)):
                loop_ops, else_stmts = self.loop(stmt)
                ops.extend(loop_ops)
                # The `else:` block runs as the statements after the loop; when the loop cannot
                # break and it always leaves, what follows it is never reached (Python allows it).
                rest = else_stmts + ([] if _always_ends(else_stmts, _EXITS) else rest)
            else:
                ops.extend(lower_simple_statement(stmt, self.scope, self.namer, self.loc_of, self.stored_names))
                continue
            leaving = self.scope.locals.get(LEAVING)
            if _maybe_true(leaving):  # some path through it left: the rest runs only if none did
                rest_ops, returned = self._unless_leaving(leaving, rest, stmt, tail)
                return ops + rest_ops, returned
            if isinstance(stmt, (gast.For, gast.While)) and else_stmts:
                rest_ops, returned = self.block(rest, tail)
                return ops + rest_ops, returned
        if tail:
            return ops, (Const(None), self.function_loc)
        return ops, None

    def _leave(self, breaking=False, returning=None):
        """`break`, `continue` or (with its value) `return` outside a tail block: set the
        flags the enclosing code tests."""
        flags = {LEAVING: Const(True)}
        if breaking:
            flags[BREAK] = Const(True)
        if returning is not None:
            flags.update({RETURNED: Const(True), RETURN_VALUE: returning})
            if self.loop_depth or self.unrolled_depth:  # it leaves the loop too
                flags[BREAK] = Const(True)
        self.scope.locals.update(flags)

    def _unless_leaving(self, leaving, rest, stmt, tail):
        """The rest of a block after a statement that left on some paths (`leaving`): in a
        tail block `if returned: return value` else the rest; elsewhere the rest under
        `if not leaving:`, the flags staying set for the enclosing block to test."""
        if tail:  # at the function's own level only `return` leaves
            self.scope.locals.pop(LEAVING)
            flag, value = self.scope.locals.pop(RETURNED), self.scope.locals.pop(RETURN_VALUE)
            if isinstance(flag, Const):  # every path returned (the rest is never reached)
                return [], (value, self.loc_of(stmt))
            return self._return_if_returned(flag, value, rest, stmt)
        if not rest or isinstance(leaving, Const):  # (leaving is True: the rest is never reached)
            return [], None
        loc = self.loc_of(stmt)
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
        ops = self._join(lowering, leaving, lambda: [], lambda: self.block(rest)[0], stmt, loc,
                         resets=(LEAVING, BREAK, RETURNED))
        return ops, None

    def returned(self, stmt, ops):
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, self.loc_of(stmt))
        value = lowering.value(stmt.value) if stmt.value is not None else Const(None)
        value = lowering.materialize(value, stmt)
        ops.extend(lowering.ops)
        return value, self.loc_of(stmt)

    def if_statement(self, stmt, rest, tail):
        """Lower `if`: (ops, returned, consumed). Consumes `rest` (moving it into the other
        branch) when a branch returns, or ends its loop iteration (`continue`, `break`)."""
        loc = self.loc_of(stmt)
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
        cond = lowering.truth(lowering.value(stmt.test), stmt.test)
        if isinstance(cond, Const) and type(cond.value) is bool:
            # Decided now (`isinstance` of a container argument): only the branch taken is
            # lowered, as the other may not lower for this argument (`w * t` on a tuple).
            taken = list(stmt.body if cond.value else stmt.orelse)
            if not _always_ends(taken, (gast.Return, gast.Break, gast.Continue)):
                taken += list(rest)  # (after a branch that always leaves, `rest` is never run)
            ops, returned = self.block(taken, tail)
            return lowering.ops + ops, returned, True
        if not tail:
            # `return`, `break` and `continue` set flags here. A branch that always leaves takes
            # the rest of the block into the other branch; one that leaves on some paths only
            # leaves the flags set, and block() runs the rest under `if not leaving:`.
            then_exits, else_exits = _always_ends(stmt.body, _EXITS), _always_ends(stmt.orelse, _EXITS)
            if then_exits or else_exits:
                then_stmts = list(stmt.body) + ([] if then_exits else list(rest))
                else_stmts = list(stmt.orelse) + ([] if else_exits else list(rest))
                ops, _ = self._join_branches(lowering, cond, then_stmts, else_stmts, stmt, loc)
                return ops, None, True
            ops, _ = self._join_branches(lowering, cond, list(stmt.body), list(stmt.orelse), stmt, loc)
            return ops, None, False
        returns = (gast.Return,)
        then_returns, else_returns = _always_ends(stmt.body, returns), _always_ends(stmt.orelse, returns)
        if (_returns_in(stmt.body) and not then_returns) or (_returns_in(stmt.orelse) and not else_returns):
            # Returns on some paths (a loop in it may return too): they record the value and a
            # flag, and block() runs the rest of the function only if no path returned.
            self.scope.locals.update({RETURNED: Const(False), RETURN_VALUE: _MISSING, LEAVING: Const(False)})
            ops, _ = self._join_branches(lowering, cond, list(stmt.body), list(stmt.orelse), stmt, loc)
            return ops, None, False
        then_stmts = list(stmt.body) + ([] if then_returns else list(rest) if else_returns else [])
        else_stmts = list(stmt.orelse) + ([] if else_returns else list(rest) if then_returns else [])
        if then_returns and else_returns and rest:
            raise UnsupportedSyntaxError("code after `return` is never run", self.loc_of(rest[0]),
                                         hint="Remove the unreachable statements.")
        if then_returns or else_returns:
            before = dict(self.scope.locals)
            outer = OuterBindings(self.scope)
            branches, taken = [], []
            for stmts in (then_stmts, else_stmts):
                self.scope.locals = dict(before)
                outer.restore()
                body, (value, where) = self.tail(stmts)
                branches.append((body, value, where))
                taken.append(outer.taken())
            (then_ops, then_value, then_where), (else_ops, else_value, _) = branches
            self.scope.locals = before
            result, if_op = self._join_returned(cond, then_ops, then_value, else_ops, else_value, stmt, outer, taken)
            lowering.ops.append(if_op)
            # The return statement of the taken path, for errors about the output.
            return lowering.ops, (result, then_where if then_returns and not else_returns else loc), True
        ops, _ = self._join_branches(lowering, cond, then_stmts, else_stmts, stmt, loc)
        return ops, None, False

    def _join_branches(self, lowering, cond, then_stmts, else_stmts, stmt, loc):
        """An If whose results join the names the two branches bind differently."""
        return self._join(lowering, cond, lambda: self.block(then_stmts)[0], lambda: self.block(else_stmts)[0],
                          stmt, loc), None

    def _join(self, lowering, cond, lower_then, lower_else, stmt, loc, resets=()):
        """An If on `cond` whose branches are what `lower_then` and `lower_else` lower (each
        returns its ops), its results joining the names they bind differently; returns
        `lowering.ops` with it. `resets`: hidden flags false in the else branch (it runs
        when `cond`, the flag they imply, is false); one it leaves so keeps `cond`'s value.
        On a constant `cond` only the branch taken is lowered, and no If made (the reverse
        transform tapes the values of branches on their run-time condition)."""
        if isinstance(cond, Const) and type(cond.value) in (bool, int, float, str, type(None)):
            if not cond.value:
                self.scope.locals.update({k: Const(False) for k in resets if k in self.scope.locals})
            lowering.ops.extend((lower_then if cond.value else lower_else)())
            return lowering.ops
        before = dict(self.scope.locals)
        outer = OuterBindings(self.scope)  # what the branches change for the callers: joined too
        branches = []
        for i, lower_branch in enumerate((lower_then, lower_else)):
            self.scope.locals = dict(before)
            outer.restore()
            reset = {}
            if i == 1:
                reset = {k: Const(False) for k in resets if k in before}
                self.scope.locals.update(reset)
            body = lower_branch()
            branches.append((body, self.scope.locals, reset, outer.taken()))
        (then_ops, then_locals, _, then_outer), (else_ops, else_locals, reset, else_outer) = branches
        joiner = _Joiner(self, stmt, then_ops, else_ops)
        joined = dict(before)
        for name in sorted(set(then_locals) | set(else_locals)):
            t, e = then_locals.get(name), else_locals.get(name)
            if name in reset and e is reset[name]:  # false where the else branch runs, as `cond` is
                e = t
            joined[name] = self._join_name(joiner, name, t, e, "the `if`", loc)
        self.scope.locals = joined
        outer.join(then_outer, else_outer, lambda name, t, e: self._join_name(joiner, name, t, e, "the `if`", loc))
        lowering.ops.append(If(joiner.results, cond, Region(then_ops, joiner.then_yields),
                               Region(else_ops, joiner.else_yields), loc, loc))
        return lowering.ops

    def _join_name(self, joiner, name, t, e, where, loc):
        """What the name `name` denotes after paths that left it as `t` and `e` (None where a
        path did not bind it)."""
        if t is e:  # the same value on both paths: unchanged, or bound to it by both (`x = y`)
            return t
        if isinstance(t, Unreadable) or isinstance(e, Unreadable):
            return t if isinstance(t, Unreadable) else e
        if isinstance(t, LocalFunction) or isinstance(e, LocalFunction):
            return _BranchFunction(loc)
        # A name only one branch binds is None after the other, where Python would have
        # left it unbound: using it there fails, as in Python (if with another error). A
        # hidden flag only one branch set is false after the other.
        t = _unset(name, e) if t is None else t
        e = _unset(name, t) if e is None else e
        try:
            return joiner.join(t, e, HIDDEN_NAMES.get(name, name))
        except _CannotJoin as why:  # an error where it is read, if it is
            return _Unjoinable(str(why), where, loc)

    def _join_returned(self, cond, then_ops, then_value, else_ops, else_value, stmt, outer=None, taken=None):
        """(the returned operand, the If op) for a function returning `then_value` or
        `else_value` as `cond` is true or not; objects joined attribute by attribute. With
        `outer` (OuterBindings) and `taken` (what each path left of them), what the paths
        changed for this function's callers is joined too."""
        loc = self.loc_of(stmt)
        joiner = _Joiner(self, stmt, then_ops, else_ops)
        try:
            result = joiner.join(then_value, else_value, "result")
        except _CannotJoin as why:
            raise UnsupportedSyntaxError(f"the value returned {why}", loc,
                                         hint="Return values of one kind on every path (objects of one class), "
                                              "or return their attributes.") from None
        if outer is not None:
            outer.join(*taken, lambda name, t, e: self._join_name(joiner, name, t, e, "the `if`", loc))
        if isinstance(result, Var) and result in joiner.results:
            result.is_temp = True
        return result, If(joiner.results, cond, Region(then_ops, joiner.then_yields),
                          Region(else_ops, joiner.else_yields), loc, loc)

    def loop(self, stmt, changed_by_calls=frozenset(), layouts=None, uncarried=None, carried_roots=None):
        """Lower `for`/`while` to a Loop op; returns (ops, the statements of its `else:` block
        to lower after it, guarded by the `break` flag).
        The names the body assigns that are bound before the loop, or read after it, are
        carried from iteration to iteration. `break` sets a carried flag; `return` (also in
        a loop nested in it) records its value and the returned flag too, which the code
        after the loop tests (the `leaving` flag, see block()).
        A list or array the body changes in place (`xs.append(x)`, `y[i] = v`, or a function
        it calls doing so: `changed_by_calls`) is carried too, and every name for it denotes
        the loop's result after the loop. An object is carried attribute by attribute: when
        the body gives it attributes it did not have (or makes it), the loop is lowered again
        carrying those too (`layouts`: name -> the object it starts as); a name that is an
        object on one side of an iteration and something else on the other is not carried
        (`uncarried`: name -> why), and is an error where it is read after the loop."""
        layouts, uncarried = dict(layouts or {}), dict(uncarried or {})
        loc = self.loc_of(stmt)
        exits = _exits(stmt.body)
        has_return = any(isinstance(n, gast.Return) for n in exits)
        has_break = any(isinstance(n, (gast.Break, gast.Return)) for n in exits)
        lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
        iterable, reversible = None, True
        if isinstance(stmt, gast.For):
            if not isinstance(stmt.target, (gast.Name, gast.Tuple, gast.List)):
                raise UnsupportedSyntaxError("only names can be loop variables", self.loc_of(stmt.target),
                                             hint="Write `for item in ...:` and assign from `item` in the body.")
            iterable = containers.sequence_of(lowering.value(stmt.iter))
            if containers.is_static(iterable):
                return self._unrolled_loop(stmt, containers.iteration_items(iterable), lowering, exits)
            iterable = lowering.materialize(iterable, stmt.iter)
            producer = lowering.ops[-1] if lowering.ops and iterable in lowering.ops[-1].results else None
            # enumerate(...), zip(...) and the like can be iterated once only, and not in reverse.
            reversible = not (isinstance(producer, Op) and producer.callee.kind == CALL
                              and producer.callee.obj in _ONE_PASS_ITERATORS) \
                and iterable not in getattr(self.scope, "one_pass", ())  # (`pairs = zip(...)` before the loop)
        assigned, changed_in_place = set(), set(changed_by_calls)
        for s in stmt.body:
            for node in _walk_outside_bodies(s):  # (a nested def's body changes things when called)
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                    assigned.add(node.id)
                elif isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.ctx, gast.Store) \
                        and _root_name(node) is not None:
                    changed_in_place.add(_root_name(node))  # `y[i] = v`, `obj.w[i] = v` rebind y, obj
                elif isinstance(node, gast.FunctionDef):
                    assigned.add(node.name)  # `def f` binds f
                elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                        and node.func.attr in MUTATING_METHODS and _root_name(node.func) is not None:
                    changed_in_place.add(_root_name(node.func))  # `xs.append(x)` rebinds xs to the longer list
        changed_in_place -= assigned  # a name the body also rebinds may denote another object
        # (`np.sort(x)` is no change to a local `np`: only the function's own names are changed)
        changed_in_place &= set(self.scope.locals)
        assigned |= changed_in_place
        if iterable is not None:  # the loop variables: after the loop, the last item's
            assigned.update(n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name))
        outer_bindings = [(s, s.locals, dict(s.locals)) for s in scope_chain(self.scope)]
        before = dict(self.scope.locals)
        target_name = None
        if iterable is not None:
            target_name = stmt.target.id if isinstance(stmt.target, gast.Name) else ITEM
        # Carried: what the body binds that existed before the loop, is read after it (in
        # source order), is read in the body before the body binds it (a value from the
        # previous iteration), or is carried by an enclosing loop. Carried values nothing
        # needs are removed by dead-code elimination.
        end = (stmt.body[-1].end_lineno, stmt.body[-1].end_col_offset)  # its `else:` reads come after
        read_after = {name for position, name in self.reads if position > end}
        targets = frozenset(n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)) \
            if iterable is not None else frozenset()
        read_early, always_bound = _reads_before_binding(stmt.body, targets)
        names = sorted(n for n in assigned if (n in before or n in read_after or n in read_early
                                               or n in self.enclosing_carried) and n not in uncarried)
        # Hidden carried values: the iteration count when the trip count is not known
        # beforehand (the adjoint loop needs it), and the `break` flag.
        if iterable is None or has_break or not reversible:
            names.append(TRIPS)
        if has_break:
            names.append(BREAK)
        if has_return:
            names += [RETURNED, RETURN_VALUE]
        written = sorted(n for n in changed_in_place if n in names and isinstance(before.get(n), Var))
        for a, b in zip(written, written[1:]):
            if before[a] is before[b]:  # carried apart, they would stop being one array
                raise UnsupportedSyntaxError(f"{a!r} and {b!r} name the same array, which this loop writes into",
                                             loc, hint=f"Write through one of the names, or make {b!r} a copy "
                                                       f"with .copy() before the loop.")
        target = None
        if iterable is not None:  # named first, so the loop variable keeps the user's name
            target = Var(self.namer.fresh(HIDDEN_NAMES.get(target_name, target_name)))
            # A row of an array is a view of it (`for r in Y: r[0] = 0` writes into Y), and so is an
            # item of zip(...) or enumerate(...) of arrays.
            producer = next((op for op in reversed(lowering.ops) if isinstance(op, Op) and iterable in op.results), None)
            sources = [iterable] + (list(producer.args) if producer is not None and producer.callee.kind == CALL
                                    and any(producer.callee.obj is f for f in _ONE_PASS_ITERATORS) else [])
            note_view(getattr(self.scope, "views", None), target, sources)
        # An object made in the function is carried attribute by attribute (a slot each).
        objects = {n: layouts[n] if n in layouts else before[n] for n in names
                   if n in layouts or isinstance(before.get(n), LocalObject)}
        slots = [(n, k) for n in names for k in (objects[n].attributes if n in objects else [None])]

        def slot_name(n, k):
            if n.startswith("<changed "):  # a caller's name the loop carries (see below): named after it
                n = n[:-1].split(" ")[-1]
            return HIDDEN_NAMES.get(n, n) if k is None else f"{n}_{k}"

        def grouped(values):
            """Slot values back into one per name: objects rebuilt from their attributes."""
            by_name = {}
            for (n, k), value in zip(slots, values):
                if k is None:
                    by_name[n] = value
                else:
                    by_name.setdefault(n, LocalObject(objects[n].cls, {}, maybe_missing=objects[n].maybe_missing)
                                       ).attributes[k] = value
            return by_name

        carried = [Var(self.namer.fresh(slot_name(n, k))) for n, k in slots]
        # The hidden values start afresh: `before` may hold the enclosing loop's own.
        fresh = {TRIPS: Const(0), BREAK: Const(False), RETURNED: Const(False), RETURN_VALUE: Const(None)}
        inits = [objects[n].attributes[k] if k is not None else fresh[n] if n in fresh
                 else before[n] if n in before else _unset(n) for n, k in slots]
        unreadable = {}  # name -> what it denotes before the loop, which may not be read
        for i, ((n, _), value) in enumerate(zip(slots, inits)):
            if isinstance(value, LocalFunction):
                raise UnsupportedSyntaxError(f"{n!r} is redefined inside this loop, which is not supported "
                                             f"for a local function", loc,
                                             hint=f"Define {n!r} once, outside the loop.")
            if isinstance(value, Unreadable):
                if n in read_early:  # the first iteration may read it
                    raise value.error(n, loc)
                unreadable[n], inits[i] = value, _MISSING  # the body binds it before reading it
        # A container the loop changes (`xs.append(x)`) is carried as a run-time value.
        inits = [self._as_yield(value, stmt, lowering.ops, slot_name(n, k)) for (n, k), value in zip(slots, inits)]
        views = getattr(self.scope, "views", None)
        carried_roots = carried_roots or {}
        for slot, c, init in zip(slots, carried, inits):
            if slot[0] not in changed_in_place:  # (one the body writes into stands for its init: rebound after)
                # In the first iteration a carried value is its init; later, what the body
                # rebinds it to from before the loop (`q = s`: found by lowering it once more).
                note_view(views, c, [init] + list(carried_roots.get(slot, ())))
        inner = dict(before)
        inner.update(grouped(carried))
        for n in changed_in_place & set(names):
            if isinstance(before.get(n), (Var, tuple, LocalObject)):
                # What the body changes in place is the carried value under the callers' names too
                # (a local function of theirs that the body calls writes into it through them).
                rebind_everywhere(self.scope, before[n], inner[n], outer_only=True)
        inner[LEAVING] = Const(False)  # set by an exit in this iteration
        if has_return:  # an iteration starts with nothing returned (or the loop would have stopped)
            inner.update({RETURNED: Const(False), RETURN_VALUE: _MISSING})
        # A carried value may be the array it started from (`q = W` before the loop): an
        # in-place update of it changes what other names hold (aliasing.py).
        carried_from = self.scope.carried_from
        for c, init in zip(carried, inits):
            if isinstance(init, Var):
                carried_from.setdefault(c, []).append(init)
        iterated = []  # what NumPy's iterator reads as the loop runs: a write into it is refused
        if iterable is not None:
            inner[target_name] = target
            spelled = lambda node: repr(node.id) if isinstance(node, gast.Name) else "an array"  # noqa: E731
            if isinstance(producer, Op) and producer.callee.kind == CALL and producer.callee.obj in _ONE_PASS_ITERATORS:
                iterated += [([v for v in containers.flat([a]) if isinstance(v, Var)], spelled(node))
                             for a, node in zip(producer.args, getattr(stmt.iter, "args", []))]
            iterated.append(([iterable, target], spelled(stmt.iter)))
        test = None
        if iterable is None:
            self.scope.locals = dict(inner)
            test_lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
            test = Region(test_lowering.ops, [test_lowering.truth(test_lowering.value(stmt.test), stmt.test)])
        self.scope.locals = dict(inner)
        counting = []
        if TRIPS in names:
            counter = self.scope.locals[TRIPS]
            counting = [Op([Var(self.namer.fresh("trips"))], Callee(BINOP, "+", operator.add), [counter, Const(1)],
                           loc=loc, stmt=loc)]
            self.scope.locals[TRIPS] = counting[0].result
        if target_name == ITEM:  # `for i, x in ...`: unpack the item first thing in the body
            unpacking = ExprLowering(self.scope, self.namer, self.loc_of, loc)
            assign(stmt.target, target, stmt.target, unpacking, self.scope, self.namer)
            counting = unpacking.ops + counting
        self.loop_depth += 1
        enclosing = self.enclosing_carried
        self.enclosing_carried = enclosing | set(names)
        self.scope.iterating.extend((values, name, loc) for values, name in iterated)
        try:
            body, _ = self.block(stmt.body)
        finally:
            del self.scope.iterating[len(self.scope.iterating) - len(iterated):]
        self.enclosing_carried = enclosing
        self.loop_depth -= 1
        views = getattr(self.scope, "views", {})
        for q in sorted(changed_in_place & set(names)):
            written = self.scope.locals.get(q)
            if isinstance(written, Var) and was_appended(written, self.scope):
                raise UnsupportedSyntaxError(f"{q!r}, or a view of it, is put in a list, and the next iteration "
                                             f"writes into it", loc,
                                             hint=f"Append a copy: `.append({q}.copy())`.")
            for p in read_early:  # read in the next iteration before the body binds it again
                kept = self.scope.locals.get(p)
                if p != q and p in names and isinstance(written, Var) and shares_memory(kept, written, views):
                    raise UnsupportedSyntaxError(f"{p!r} keeps {q!r}, or a view of it, for the next iteration, "
                                                 f"which writes into {q!r}", loc,
                                                 hint=f"Keep a copy: `{p} = {q}.copy()`.")
        missed = {n for n, v in inner.items() if n not in assigned and n not in names and n != LEAVING
                  and self.scope.locals.get(n, v) is not v and not isinstance(self.scope.locals.get(n), Unreadable)}
        # A name the body made stale (a write into memory it shares) stays so after the loop.
        stale = {n: self.scope.locals[n] for n in inner if n not in names and n in self.scope.locals
                 and isinstance(self.scope.locals[n], Unreadable) and self.scope.locals[n] is not inner[n]}
        grown, refused = self._object_layouts(names, objects, before, unreadable, loc)
        for n, why in refused.items():
            if n in read_early or n in self.enclosing_carried:  # needed from one iteration to the next
                raise UnsupportedSyntaxError(f"{n!r} {why}, which sct cannot carry from one iteration to the "
                                             f"next (it follows objects attribute by attribute, never as "
                                             f"run-time values)", loc,
                                             hint=f"Make {n!r} an object of the same class before the loop "
                                                  f"(its attributes may start as 0.0), or keep its values in "
                                                  f"plain names.")
        def restore():
            for s, bindings, saved in outer_bindings:
                bindings.clear()
                bindings.update(saved)
                s.locals = bindings

        if missed or grown or refused:
            # A function the body calls changed a list or array it was given, or an object got
            # attributes the slots lack: lower again, carrying them; or stop carrying a name.
            restore()
            return self.loop(stmt, changed_by_calls | missed, {**layouts, **grown}, {**uncarried, **refused},
                             carried_roots)
        # The callers' names the body changed (a local function of theirs writing into their
        # array): each must be what a name this loop changes in place became, else the loop
        # carries it under a hidden name of its own, lowered again.
        outer_changes = [(s, name, old, s.locals.get(name)) for s, bindings, saved in outer_bindings
                         if s is not self.scope for name, old in saved.items() if s.locals.get(name) is not old]
        unmatched = [(name, old) for s, name, old, new in outer_changes
                     if not isinstance(new, Unreadable) and not any(
                         before.get(n) is old and self.scope.locals.get(n) is new for n in changed_in_place & set(names))]
        if unmatched:
            hidden = {f"<changed {id(old)} {name}>": old for name, old in unmatched}
            if all(key in before for key in hidden):
                raise UnsupportedSyntaxError("this loop changes an array, list or object of the code calling this "
                                             "function in a way sct cannot follow", loc,
                                             hint="Pass it to this function as an argument, and change it "
                                                  "through that name.")
            restore()
            self.scope.locals.update(hidden)
            return self.loop(stmt, changed_by_calls | set(hidden), layouts, uncarried, carried_roots)
        finals = {n: self.scope.locals.get(n) for n in objects}
        yields = [self._as_yield(self.scope.locals[n] if k is None else _fitted(finals[n], k),
                                 stmt, body, slot_name(n, k)) for n, k in slots]
        results = [Var(self.namer.fresh(slot_name(n, k))) for n, k in slots]
        wider = self._carried_roots(slots, carried + [target], inits, yields, results, changed_in_place,
                                    carried_roots, counting + body + lowering.ops + (test.body if test is not None else []))
        if wider is not None:
            # The next iteration's carried value may be an array from before the loop that
            # this lowering did not know it could be (`q[0] = v; q = s`): lower again, knowing it.
            restore()
            return self.loop(stmt, changed_by_calls, layouts, uncarried, wider)
        for c, r, init, y in zip(carried, results, inits, yields):  # after 0 trips, the value before
            carried_from.setdefault(r, []).extend(v for v in (init, y) if isinstance(v, Var))
            if isinstance(y, Var) and y is not c:
                carried_from.setdefault(c, []).append(y)  # the value the iteration before left
        by_result = grouped(results)
        for n, obj in objects.items():  # after no iteration, the object it started as
            if isinstance(finals[n], LocalObject):
                by_result[n].maybe_missing |= finals[n].maybe_missing
        after = dict(before)
        after.update((n, r) for n, r in by_result.items() if n not in _LOOP_CONTROL)
        after.update(stale)
        for n in assigned - set(names):  # bound only inside the loop, never read after it
            after.pop(n, None)
        for n, why in uncarried.items():
            after[n] = _Unjoinable(why, "the loop", loc)
        for n, value in unreadable.items():  # unless every iteration binds it, it may still be that
            if not (n in (always_bound or ()) and not has_break and _runs_at_least_once(lowering.ops, iterable)):
                after[n] = _UnlessRebound(value, loc)
        if has_return:  # the code after the loop runs only if it did not return
            returned = by_result[RETURNED]
            after.update({RETURNED: returned, RETURN_VALUE: by_result[RETURN_VALUE], LEAVING: returned})
            if self.loop_depth or self.unrolled_depth:  # and an enclosing loop stops too
                after[BREAK] = returned
        for s, bindings, saved in outer_bindings:  # the callers' names: as before the loop, then rebound
            if s is not self.scope:
                bindings.clear()
                bindings.update(saved)
                bindings.update((name, new) for t, name, _, new in outer_changes if t is s and isinstance(new, Unreadable))
        for key in [n for n in after if n.startswith("<changed ")]:
            after.pop(key)
        self.scope.locals = after
        for n in changed_in_place & set(names):
            if n in before:  # the same list or array, changed: under every name, here and in callers
                rebind_everywhere(self.scope, before[n], by_result[n])
                # and what shared its memory (a view of it, the array it is a view of) is stale
                refuse_shared_write(n, before[n], loc, self.scope)
        for result, init, value in zip(results, inits, yields):  # the array it started as, or one made
            note_join(self.scope, result, [init, value])
        by_name = grouped(carried)
        lowering.ops.append(Loop(results, carried, inits, Region(counting + body, yields), iterable, target, test,
                                 loc, loc, exit=by_name.get(BREAK), counter=by_name.get(TRIPS),
                                 reversible=reversible))
        # The `else:` block runs when the loop ends without `break`. It is handed back as the
        # statements that follow the loop, so a `return`, `break` or `continue` in it acts on
        # the enclosing function or loop, as in Python.
        else_stmts = list(stmt.orelse)
        if else_stmts and has_break:
            self.scope.locals[BROKE] = by_result[BREAK]
            test = gast.copy_location(gast.UnaryOp(gast.Not(), gast.Name(BROKE, gast.Load(), None, None)), stmt)
            else_stmts = [gast.copy_location(gast.If(test, else_stmts, []), stmt)]
        return lowering.ops, else_stmts

    def _carried_roots(self, slots, carried, inits, yields, results, changed_in_place, known, made):
        """The arrays from before the loop each carried value may be in a later iteration (a
        value the body rebinds: what its yield may be), when some are not in `known` (slot ->
        the arrays this lowering took it to be); else None. `carried` ends with the loop
        variable; `made`: the ops of this lowering, whose values the next makes anew."""
        views = getattr(self.scope, "views", None)
        if views is None:
            return None
        index = {id(c): j for j, c in enumerate(carried[:-1])}
        reach = [set(roots(value, views)) for value in yields]
        changed = True
        while changed:  # a carried value in a yield: whatever that value may be
            changed = False
            for shared in reach:
                for v in [v for v in shared if id(v) in index]:
                    j = index[id(v)]
                    more = (reach[j] | set(roots(inits[j], views))) - shared
                    if more:
                        shared |= more
                        changed = True
        inside = {id(r) for op in walk(made) for r in list(op.results) + list(getattr(op, "carried", ()))
                  + [getattr(op, "target", None)]} | set(index) | {id(r) for r in results} | {id(carried[-1])}
        wider, grows = {}, False
        for slot, shared, init in zip(slots, reach, inits):
            if slot[0] in changed_in_place:
                continue
            outside = frozenset(v for v in shared if id(v) not in inside) - roots(init, views)
            wider[slot] = known.get(slot, frozenset()) | outside
            grows |= not outside <= known.get(slot, frozenset())
        return wider if grows else None

    def _object_layouts(self, names, objects, before, unreadable, loc):
        """After lowering a loop body: (grown, refused). `grown`: name -> the object a carried
        name must start as for the slots to hold every attribute the body leaves it with
        (the attributes it lacked hold a class attribute's constant, or None as
        `maybe_missing`); `refused`: name -> why it cannot be carried, being an object on
        one side of an iteration only, or objects of two classes."""
        grown, refused = {}, {}
        for n in names:
            final, start = self.scope.locals.get(n), objects.get(n)
            if isinstance(final, _Unjoinable) and start is None and n not in unreadable and n in before:
                # an object on some paths, and what it was before the loop on others
                refused[n] = f"is {_kind(before[n])} before the loop and may be an object after an iteration"
                continue
            if not isinstance(final, LocalObject) and (start is None or final is _MISSING):
                continue
            try:
                if isinstance(final, LocalObject) and start is not None:
                    if final.cls is not start.cls:
                        refused[n] = f"is {_kind(start)} before an iteration and {_kind(final)} after it"
                        continue
                    new = [k for k in final.attributes if k not in start.attributes]
                    if new:
                        added = {k: absent_attribute(start.cls, k) for k in new}
                        grown[n] = LocalObject(start.cls, {**start.attributes, **added},
                                               maybe_missing=start.maybe_missing | {k for k, v in added.items()
                                                                                    if v is _MISSING})
                elif isinstance(final, LocalObject):
                    init = before.get(n)
                    if n == RETURN_VALUE or init is None or n in unreadable:  # nothing it could be read as
                        grown[n] = LocalObject(final.cls, {k: absent_attribute(final.cls, k) for k in final.attributes},
                                               maybe_missing=final.attributes)
                    else:
                        refused[n] = f"is {_kind(init)} before the loop and {_kind(final)} after an iteration"
                else:
                    refused[n] = f"is {_kind(start)} before an iteration and {_kind(final)} after it"
            except _CannotJoin as why:
                refused[n] = str(why)
        for n in refused:
            if n == RETURN_VALUE:
                raise UnsupportedSyntaxError(f"the value this loop returns {refused[n]}, which sct cannot join",
                                             loc, hint="Return values of one kind (objects of one class), or "
                                                       "return their attributes.")
        return grown, refused

    def _unrolled_loop(self, stmt, items, lowering, exits):
        """`for` over a container known when lowering: the body once per item, in order.
        Its items may differ in shape and kind (a list of (W, b) layers), which one
        loop could not specialize to; the container is small and fixed, so the code
        stays readable. With `break`, `continue` or `return` in it, the body sets flags as
        a loop's does: the rest of an item's body runs under `if not leaving:`, the items
        after a `break` under `if not broke:`."""
        ops = lowering.ops
        if not exits:
            for item in items:
                ops += self._unrolled_item(stmt, item)
            return ops, list(stmt.orelse)
        saved = {k: self.scope.locals[k] for k in (BREAK, LEAVING) if k in self.scope.locals}
        self.scope.locals[BREAK] = Const(False)  # this loop's own
        self.unrolled_depth += 1
        ops += self._unrolled_items(stmt, list(items))
        self.unrolled_depth -= 1
        broke = self.scope.locals.pop(BREAK)
        self.scope.locals.pop(LEAVING, None)
        self.scope.locals.update(saved)
        returned = self.scope.locals.get(RETURNED)
        if any(isinstance(n, gast.Return) for n in exits) and _maybe_true(returned):
            self.scope.locals[LEAVING] = returned  # the code after it runs only if it did not return
            if self.loop_depth or self.unrolled_depth:
                self.scope.locals[BREAK] = returned
        else_stmts = list(stmt.orelse)
        if isinstance(broke, Const) and broke.value:  # every path broke out: the `else:` never runs
            else_stmts = []
        elif else_stmts and _maybe_true(broke):
            self.scope.locals[BROKE] = broke
            test = gast.copy_location(gast.UnaryOp(gast.Not(), gast.Name(BROKE, gast.Load(), None, None)), stmt)
            else_stmts = [gast.copy_location(gast.If(test, else_stmts, []), stmt)]
        return ops, else_stmts

    def _unrolled_items(self, stmt, items):
        """The ops of the bodies for `items`, each after the first under `if not broke:`
        where an earlier one may have broken out."""
        ops = []
        for k, item in enumerate(items):
            broke = self.scope.locals[BREAK]
            if isinstance(broke, Const) and broke.value is True:
                break  # every path broke out: the other items are never reached
            if _maybe_true(broke):
                loc = self.loc_of(stmt)
                lowering = ExprLowering(self.scope, self.namer, self.loc_of, loc)
                return ops + self._join(lowering, broke, lambda: [], lambda: self._unrolled_items(stmt, items[k:]),
                                        stmt, loc, resets=(BREAK, RETURNED))
            self.scope.locals[LEAVING] = Const(False)
            ops += self._unrolled_item(stmt, item)
        return ops

    def _unrolled_item(self, stmt, item):
        unpacking = ExprLowering(self.scope, self.namer, self.loc_of, self.loc_of(stmt))
        assign(stmt.target, item, stmt.target, unpacking, self.scope, self.namer)
        body, _ = self.block(list(stmt.body))
        return unpacking.ops + body

    def _return_if_returned(self, returned_flag, value, rest, stmt):
        """After a loop or an `if` that may `return`: `if returned: return value` else the
        rest of the function."""
        loc = self.loc_of(stmt)
        before = dict(self.scope.locals)
        outer = OuterBindings(self.scope)  # the rest may change what the callers see
        returned_taken = outer.taken()
        rest_ops, (rest_value, _) = self.tail(list(rest))
        self.scope.locals = before
        result, if_op = self._join_returned(returned_flag, [], value, rest_ops, rest_value, stmt, outer,
                                            (returned_taken, outer.taken()))
        return [if_op], (result, loc)

    def _as_yield(self, value, node, ops, name):
        """`value` as one operand a region yields or a loop starts from: a container known
        when lowering becomes a run-time value made at the end of `ops`."""
        if isinstance(value, LocalFunction):
            raise UnsupportedSyntaxError("a local function defined inside a loop body cannot be used "
                                         "after the loop", self.loc_of(node),
                                         hint="Define it before the loop.")
        if isinstance(value, Unreadable):
            raise value.error(HIDDEN_NAMES.get(name, name), self.loc_of(node))
        if any(isinstance(v, LocalObject) for v in containers.flat([value])):
            raise UnsupportedSyntaxError(f"{HIDDEN_NAMES.get(name, name)!r} holds an object made in the "
                                         f"function, which would have to become one run-time value here",
                                         self.loc_of(node),
                                         hint="Set all of its attributes before the loop or branch (sct "
                                              "carries them one by one), and keep objects out of lists "
                                              "that a loop changes.")
        if containers.is_static(value):
            built = Var(self.namer.fresh(HIDDEN_NAMES.get(name, name)))
            ops.append(Op([built], Callee(BUILD, "build"), [value], loc=self.loc_of(node), stmt=self.loc_of(node)))
            return built
        return value


_LOOP_CONTROL = {BREAK, TRIPS, RETURNED, RETURN_VALUE}  # a loop's own: not the enclosing code's after it
def _root_name(node):
    """The name at the root of an item or attribute chain (`obj` in `obj.W[i]`), or None."""
    node = node.value
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


_ONE_PASS_ITERATORS = (enumerate, zip, map, filter, reversed, iter)
_EXITS = (gast.Break, gast.Continue, gast.Return)
# What a name no path bound denotes where it is joined (or an attribute no path set, or the
# value of a `return` none took): None, which Python would not even let be read there.
_MISSING = Const(None)


def _unset(name, other=None):
    """A name one path through an `if` did not bind, where it is joined with what the other
    path bound (`other`): a hidden flag no path set is false; a user's name is `unbound`,
    unless the other path made it an object (whose attributes are then maybe missing);
    anything else is _MISSING."""
    if name in (LEAVING, BREAK, RETURNED):
        return Const(False)
    if name.isidentifier() and not isinstance(other, LocalObject):
        return unbound(name)
    return _MISSING


def unbound(name):
    """What the user's name `name` denotes on a path that did not bind it: a value whose
    every use raises UnboundLocalError, as reading the name does in Python."""
    value = runtime.Unbound(name)
    return Const(value, f"unbound_{name}", value)


class _CannotJoin(Exception):
    """Two values that no one operand can stand for (say, objects of two classes)."""


class _Joiner:
    """Joins the values two branches leave into one operand each: run-time values become
    results of the If (`results`, with the branches' `then_yields` and `else_yields`),
    containers of one layout are joined item by item, and objects of one class attribute
    by attribute (an attribute one branch did not set, or an object one path did not make,
    holds None there and is `maybe_missing`). One pair of values gives one joined value,
    so names for one object on both paths still name one object."""

    def __init__(self, blocks, stmt, then_ops, else_ops):
        self.blocks, self.stmt, self.then_ops, self.else_ops = blocks, stmt, then_ops, else_ops
        self.results, self.then_yields, self.else_yields = [], [], []
        self.memo = {}

    def join(self, t, e, hint):
        if t is e or (isinstance(t, Const) and isinstance(e, Const) and t.value is e.value
                      and t.spelling == e.spelling and not isinstance(t.value, (int, float, complex))):
            return t  # (the same object, say np.tanh kept as an attribute on both paths)
        key = (id(t), id(e))
        if key not in self.memo:
            if isinstance(t, LocalPartial) and isinstance(e, LocalPartial) and _same_function(t.func, e.func) \
                    and len(t.args) == len(e.args) and set(t.kwargs) == set(e.kwargs):
                # functools.partial(f, a) on one path, partial(f, b) on the other: f with the bound values joined
                self.memo[key] = LocalPartial(t.func, [self.join(a, b, hint) for a, b in zip(t.args, e.args)],
                                              {k: self.join(v, e.kwargs[k], f"{hint}_{k}") for k, v in t.kwargs.items()})
                return self.memo[key]
            if all(isinstance(v, (LocalFunction, LocalPartial)) for v in (t, e)):
                raise _CannotJoin("is a different function made in the function on each path")
            if any(isinstance(v, (LocalFunction, LocalPartial)) for v in (t, e)):
                raise _CannotJoin("is a function made in the function on one path and another value on the "
                                  "other")
            if isinstance(t, LocalObject) or isinstance(e, LocalObject):
                joined = self._objects(t, e, hint)
            elif containers.same_layout(t, e):
                joined = rebuild(t, [self.join(a, b, hint) for a, b in zip(t, e)])
            else:
                for v in (t, e):
                    if any(isinstance(x, LocalObject) for x in containers.flat([v])):
                        raise _CannotJoin("holds an object made in the function in a list, tuple or dict that "
                                          "differs between the paths")
                joined = Var(self.blocks.namer.fresh(hint))
                note_join(self.blocks.scope, joined, [t, e])  # (an array on either path: it is that one)
                self.results.append(joined)
                self.then_yields.append(self.blocks._as_yield(t, self.stmt, self.then_ops, hint))
                self.else_yields.append(self.blocks._as_yield(e, self.stmt, self.else_ops, hint))
            self.memo[key] = joined
        return self.memo[key]

    def _objects(self, t, e, hint):
        if t is _MISSING or e is _MISSING:  # made on one path only
            made = e if t is _MISSING else t
            attributes = {k: self.join(v, _MISSING, f"{hint}_{k}") if made is t else
                          self.join(_MISSING, v, f"{hint}_{k}") for k, v in made.attributes.items()}
            return LocalObject(made.cls, attributes, maybe_missing=made.attributes)
        if not (isinstance(t, LocalObject) and isinstance(e, LocalObject)) or t.cls is not e.cls:
            raise _CannotJoin(f"is {_kind(t)} on one path and {_kind(e)} on the other")
        keys = list(t.attributes) + [k for k in e.attributes if k not in t.attributes]
        maybe = set(t.maybe_missing | e.maybe_missing)
        attributes = {}
        for k in keys:
            tv, ev = (absent_attribute(o.cls, k) if k not in o.attributes else o.attributes[k] for o in (t, e))
            maybe |= {k} if tv is _MISSING or ev is _MISSING else set()
            attributes[k] = self.join(tv, ev, f"{hint}_{k}")
        return LocalObject(t.cls, attributes, maybe_missing=maybe)


def _same_function(f, g):
    """Whether two callees (GlobalRefs, Consts, local functions) are one function."""
    if f is g:
        return True
    objs = [getattr(h, "obj", getattr(h, "value", None)) if isinstance(h, (GlobalRef, Const)) else None for h in (f, g)]
    return objs[0] is not None and objs[0] is objs[1]


def _fitted(obj, name):
    """The attribute `name` of `obj` (a LocalObject, or _MISSING) as a slot of a carried
    object holds it: what reading it means where `obj` lacks it."""
    if obj is _MISSING:
        return _MISSING
    return obj.attributes[name] if name in obj.attributes else absent_attribute(obj.cls, name)


def _runs_at_least_once(ops, iterable):
    """Whether a `for` over `iterable` certainly runs its body: a range of constants that
    is not empty."""
    producer = next((op for op in ops if isinstance(op, Op) and iterable in op.results), None)
    if producer is None or producer.callee.obj is not range or producer.kwargs:
        return False
    args = [a.value for a in producer.args if isinstance(a, Const) and type(a.value) is int]
    return len(args) == len(producer.args) and len(range(*args)) > 0


def absent_attribute(cls, name):
    """What reading the attribute `name` an object of `cls` was not given means where it is
    joined with one it was: a class attribute's constant, else _MISSING."""
    static = inspect.getattr_static(cls, name, _MISSING)
    if static is _MISSING:
        return _MISSING
    if inspect.isfunction(static) or hasattr(static, "__get__") or hasattr(static, "__set__"):
        raise _CannotJoin(f"has the attribute {name!r} on some paths only, and its class {cls.__name__} "
                          f"defines {name!r} as a method or property")
    return GlobalRef(f"{cls.__name__}.{name}", static, cls).as_const()


def _kind(value):
    if isinstance(value, LocalObject):
        return f"a {value.cls.__name__} object"
    if value is _MISSING:
        return "not set"
    if isinstance(value, Const):
        return "None" if value.value is None else f"the constant {value.value!r}"
    return "an array or number" if isinstance(value, Var) else "a list, tuple or dict"


class _Unjoinable(Unreadable):
    """A name whose values on the paths through an `if` or a loop no one operand can stand for."""

    def __init__(self, why, where, loc):
        self.why, self.where, self.loc = why, where, loc

    def error(self, name, loc):
        what = "the value returned" if name == HIDDEN_NAMES[RETURN_VALUE] else repr(name)
        return UnsupportedSyntaxError(
            f"{what} {self.why} (the paths through {self.where} at line {self.loc.line}), which sct cannot "
            f"join into one value: it follows an object made in the function attribute by attribute, never "
            f"as one run-time value", loc,
            hint=f"Give {name!r} values of one kind on every path: objects of one class (their attributes may "
                 f"differ), or plain values.")


def _maybe_true(flag):
    """Whether the hidden flag `flag` (an operand, or None where unset) may be true."""
    return flag is not None and not (isinstance(flag, Const) and flag.value is False)


def _exits(stmts):
    """The `break`/`continue` statements that act on the block `stmts` is in, and every
    `return` in it, nested loops included (not in local functions)."""
    found = [n for n in _own_statements(stmts) if isinstance(n, _EXITS)]
    return found + [n for n in _nested_loop_statements(stmts) if isinstance(n, gast.Return)]


def _returns_in(stmts):
    return any(isinstance(n, gast.Return) for n in _exits(stmts))


def _nested_loop_statements(stmts):
    """The nodes inside the loops nested in `stmts` (not those of `stmts` itself), not
    descending into functions."""
    for node in _own_statements(stmts):
        if isinstance(node, (gast.For, gast.While)):
            body = list(node.body)
            yield from _own_statements(body)
            yield from _nested_loop_statements(body)


def _stored_names(node):
    """The names whose values `node` (an argument of `.append`, a value assigned to an
    item) stores by reference: a name, or names in a tuple or list display."""
    if isinstance(node, gast.Name):
        return [node.id]
    if isinstance(node, (gast.Tuple, gast.List)):
        return [name for e in node.elts for name in _stored_names(e)]
    return []


def _position(node):
    return (node.lineno, node.col_offset)


def _own_statements(stmts):
    """The nodes of `stmts`, not descending into nested loop bodies (their `else:` blocks
    included) or functions."""
    pending = list(stmts)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (gast.For, gast.While)):
            pending.extend(node.orelse)  # a nested loop's `else:` runs in this block
        elif not isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            pending.extend(gast.iter_child_nodes(node))


def _reads_before_binding(stmts, bound):
    """(names `stmts` may read before binding them, names bound on every path through them;
    None when no path falls through). Given `bound`, the names bound on entry. In a loop
    body, the first set is what an iteration can read from the one before."""
    early = set()
    for stmt in stmts:
        if bound is None:  # after break/continue/return: unreachable
            break
        if isinstance(stmt, gast.If):
            early |= _loads(stmt.test) - bound
            then_early, then_bound = _reads_before_binding(stmt.body, bound)
            else_early, else_bound = _reads_before_binding(stmt.orelse, bound)
            early |= then_early | else_early
            paths = [b for b in (then_bound, else_bound) if b is not None]
            bound = frozenset.intersection(*paths) if paths else None
        elif isinstance(stmt, gast.For):  # may run zero times: binds nothing for sure
            early |= _loads(stmt.iter) - bound
            targets = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
            early |= _reads_before_binding(stmt.body, bound | targets)[0]
            early |= _reads_before_binding(stmt.orelse, bound)[0]
        elif isinstance(stmt, gast.While):
            early |= _loads(stmt.test) - bound
            for block in (stmt.body, stmt.orelse):
                early |= _reads_before_binding(block, bound)[0]
        else:  # a simple statement reads its operands before it binds its targets
            early |= _loads(stmt) - bound
            if isinstance(stmt, (gast.Break, gast.Continue, gast.Return)):
                bound = None
            else:
                bound = bound | {n.id for n in _walk_outside_bodies(stmt) if isinstance(n, gast.Name)
                                 and isinstance(n.ctx, gast.Store)} | \
                    ({stmt.name} if isinstance(stmt, gast.FunctionDef) else set())
    return early, bound


def _loads(node):
    """The names `node` reads (`x += 1` reads x too). A nested `def` or `lambda` reads only
    its defaults (and decorators) when it is made; the names its body reads are its own or
    read when it is called, which the call's inlining sees."""
    names = {n.id for n in _walk_outside_bodies(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
        names.add(node.target.id)
    return names


def _walk_outside_bodies(node):
    """gast.walk, not descending into the bodies of nested functions, lambdas and classes."""
    pending = [node]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, gast.FunctionDef):
            pending += node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        elif isinstance(node, gast.Lambda):
            pending += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        elif isinstance(node, gast.ClassDef):
            pending += node.decorator_list + node.bases
        else:
            pending.extend(gast.iter_child_nodes(node))


def _always_ends(stmts, kinds):
    """True when every path through `stmts` ends in a statement of one of `kinds` (one in
    the middle of the block counts: the code after it is unreachable, an error later)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, gast.If) and not isinstance(last, kinds):
        return (_always_ends(last.body, kinds) and _always_ends(last.orelse, kinds)) or \
            any(isinstance(s, kinds) for s in stmts)
    return any(isinstance(s, kinds) for s in stmts)


class _UnlessRebound(Unreadable):
    """After a loop that rebinds a name which could not be read before it (`before`, an
    Unreadable): what it denotes if the loop runs no iteration, or leaves before binding it."""

    def __init__(self, before, loc):
        self.before, self.loc = before, loc

    def error(self, name, loc):
        error = self.before.error(name, loc)
        return UnsupportedSyntaxError(
            f"the loop at line {self.loc.line} rebinds {name!r}, but if it runs no iteration (or leaves one "
            f"before binding it) {name!r} is what it was before the loop, which cannot be read: "
            f"{error.message}", loc, hint=error.hint)


class _BranchFunction(Unreadable):
    """A local function defined on only some paths through an `if`, or differently on
    each: which one a call would inline is not known until run time."""

    def __init__(self, loc):
        self.loc = loc

    def error(self, name, loc):
        return UnsupportedSyntaxError(
            f"{name!r} is a local function defined differently on the paths through the `if` at line "
            f"{self.loc.line}", loc, hint=f"Define {name!r} once, before that `if`.")
