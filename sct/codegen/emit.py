"""Codegen: `AdjointFunction` -> readable Python source plus the namespace it runs in.

Single-use temporaries are folded back into the expression that uses them, so the
forward sweep reads like the user's code and each adjoint like a hand-written
line; every adjoint chunk is preceded by `# grad of: <the user's line>`.
"""
import ast
import inspect
import operator
import warnings
from dataclasses import dataclass

from .. import runtime
from ..analysis import flat_vars
from ..ir import Const, DictOf, If, ListOf, Loop, Op, Var, walk, ASSERT, SETITEM, BINOP, CALL, COMPARE, UNARYOP, METHOD, ATTR, GETITEM, BUILD, APPLY

GRAD, VALUE_AND_GRAD, VJP = "grad", "value_and_grad", "vjp"

_BINOPS = {operator.add: ast.Add, operator.sub: ast.Sub, operator.mul: ast.Mult,
           operator.truediv: ast.Div, operator.floordiv: ast.FloorDiv, operator.mod: ast.Mod,
           operator.pow: ast.Pow, operator.matmul: ast.MatMult, operator.and_: ast.BitAnd,
           operator.or_: ast.BitOr, operator.xor: ast.BitXor, operator.lshift: ast.LShift,
           operator.rshift: ast.RShift}
_UNARYOPS = {operator.neg: ast.USub, operator.pos: ast.UAdd, operator.invert: ast.Invert,
             operator.not_: ast.Not}
_COMPAREOPS = {operator.lt: ast.Lt, operator.le: ast.LtE, operator.gt: ast.Gt, operator.ge: ast.GtE,
               operator.eq: ast.Eq, operator.ne: ast.NotEq, operator.is_: ast.Is,
               operator.is_not: ast.IsNot}
_LINE_WIDTH = 100


@dataclass
class GeneratedCode:
    """Source text of one generated function, the globals it needs, and for each
    generated line number the user's source location it comes from."""

    name: str
    source: str
    namespace: dict
    line_map: dict


def generate(adj, mode, return_tuple):
    """Emit the generated function for `adj`.

    mode: GRAD returns the gradient(s); VALUE_AND_GRAD returns (value, gradient(s));
    VJP returns (value, pullback) where pullback(cotangent) returns the gradient(s).
    return_tuple: gradients returned as a tuple (wrt was a tuple) or a single value.
    """
    return _Emitter(adj, mode, return_tuple).run()


class _Emitter:
    def __init__(self, adj, mode, return_tuple):
        self.adj, self.mode, self.return_tuple = adj, mode, return_tuple
        self.primal = adj.primal
        self.namespace = {}
        self.root_names = {}  # id(root object) -> name in the generated namespace
        self.lines, self.line_map = [], {}

    # ---- namespace

    def global_name(self, wanted, obj):
        """The name `obj` is bound to in the generated namespace, preferably `wanted`."""
        if id(obj) in self.root_names:
            return self.root_names[id(obj)]
        name, i = wanted, 0
        while name in self.local_names or (name in self.namespace and self.namespace[name] is not obj):
            i += 1
            name = f"{wanted}_{i}"
        self.namespace[name] = obj
        self.root_names[id(obj)] = name
        return name

    def dotted(self, spelling, root_obj):
        root, *rest = spelling.split(".")
        node = ast.Name(self.global_name(root, root_obj), ast.Load())
        for attr in rest:
            node = ast.Attribute(node, attr, ast.Load())
        return node

    # ---- expressions

    def const(self, c, subscript=False):
        if c.spelling is not None:
            return self.dotted(c.spelling, c.root_obj)
        return self.literal(c.value, subscript)

    def literal(self, v, subscript=False):
        if isinstance(v, bool) or v is None or isinstance(v, str) or v is Ellipsis:
            return ast.Constant(v)
        if isinstance(v, (int, float, complex)) and not hasattr(v, "dtype"):
            if isinstance(v, (int, float)) and v < 0:
                return ast.UnaryOp(ast.USub(), ast.Constant(-v))
            return ast.Constant(v)
        if isinstance(v, tuple):
            return ast.Tuple([self.literal(e, subscript) for e in v], ast.Load())
        if isinstance(v, list):
            return ast.List([self.literal(e) for e in v], ast.Load())
        if isinstance(v, slice):
            parts = [None if p is None else self.literal(p) for p in (v.start, v.stop, v.step)]
            if subscript:
                return ast.Slice(*parts)
            return ast.Call(ast.Name("slice", ast.Load()), [p or ast.Constant(None) for p in parts], [])
        return ast.Name(self.global_name("const", v), ast.Load())

    def operand(self, x, subscript=False):
        if isinstance(x, ListOf):
            return ast.List([self.operand(e) for e in x], ast.Load())
        if isinstance(x, DictOf):
            return ast.Dict([self.literal(k) for k in x.keys], [self.operand(e) for e in x])
        if isinstance(x, tuple):
            return ast.Tuple([self.operand(e, subscript) for e in x], ast.Load())
        if isinstance(x, Const):
            return self.const(x, subscript)
        if id(x) in self.folded:
            return self.expression(self.folded.pop(id(x)))
        return ast.Name(self.name(x), ast.Load())

    def expression(self, op):
        c = op.callee
        args = op.args
        if c.kind == BINOP:
            return ast.BinOp(self.operand(args[0]), _BINOPS[c.obj](), self.operand(args[1]))
        if c.kind == UNARYOP:
            return ast.UnaryOp(_UNARYOPS[c.obj](), self.operand(args[0]))
        if c.kind == COMPARE:
            return ast.Compare(self.operand(args[0]), [_COMPAREOPS[c.obj]()], [self.operand(args[1])])
        if c.kind == ATTR:
            return ast.Attribute(self.operand(args[0]), c.spelling, ast.Load())
        if c.kind == GETITEM:
            return ast.Subscript(self.operand(args[0]), self.operand(args[1], subscript=True), ast.Load())
        if c.kind == BUILD:
            return self.operand(args[0])
        keywords = [ast.keyword(k, self.operand(v)) for k, v in op.kwargs.items()]
        if c.kind == METHOD:
            func = ast.Attribute(self.operand(args[0]), c.spelling, ast.Load())
            return ast.Call(func, [self.operand(a) for a in args[1:]], keywords)
        if c.kind == APPLY:
            return ast.Call(self.operand(args[0]), [self.operand(a) for a in args[1:]], keywords)
        assert c.kind == CALL
        return ast.Call(self.dotted(c.spelling, c.root_obj), [self.operand(a) for a in args], keywords)

    # ---- statements

    def plan(self):
        """Decide, before printing, which temporaries fold into their single use and which
        values share a printed name with the If result they are yielded to."""
        adj = self.adj
        uses = {}  # id(var) -> ids of the blocks where it is read
        def record(x, block):
            for v in flat_vars([x]):
                uses.setdefault(id(v), []).append(id(block))

        def scan(block):
            for op in block:
                if isinstance(op, If):
                    record(op.cond, block)
                if isinstance(op, Loop):
                    record(op.iterable, block)
                    for init in op.inits:
                        record(init, block)
                if isinstance(op, (If, Loop)):
                    for region in op.regions():
                        scan(region.body)
                        for y in region.yields:
                            record(y, region.body)
                else:
                    for x in op.operands():
                        record(x, block)
        scan(adj.forward)
        scan(adj.backward)
        for g in adj.gradients:
            record(g, adj.backward)  # the return statement that ends the adjoint sweep
        record(self.primal.output, ())  # printed outside both sweeps
        if isinstance(adj.seed, Var):
            record(adj.seed, ())

        # A value a region defines and yields can take the If result's name: then the
        # region needs no copy at its end (`if c: y = a` rather than `y_1 = a; y = y_1`).
        self.names = {}
        for block in (adj.forward, adj.backward):
            for op in walk(block):
                if isinstance(op, Loop):
                    self._name_loop(op)
                if not isinstance(op, If):
                    continue
                for region in op.regions():
                    taken = set()
                    for result, y in zip(op.results, region.yields):
                        if id(y) not in taken and self._can_take_name(region, y, self.name(result)):
                            taken.add(id(y))
                            self.names[id(y)] = self.name(result)

        self.folded = {}
        for block in (adj.forward, adj.backward):
            self._fold_candidates(block, uses)

    def _name_loop(self, op):
        """A loop's results take its carried values' names, and so does a yield defined
        in the body when that is safe (see _can_take_name)."""
        for result, carried, y in zip(op.results, op.carried, op.body.yields):
            self.names[id(result)] = self.name(carried)
            if self._can_take_name(op.body, y, self.name(carried)):
                self.names[id(y)] = self.name(carried)

    def _can_take_name(self, region, y, name):
        """Whether `y`, yielded by `region`, may be printed as `name` (saving a copy at the
        region's end): it must be defined at the region's top level, and nothing that is
        evaluated after it there may read a value printed as `name`. A temporary counts as
        late wherever it stands, since folding evaluates it at its use."""
        body = region.body
        index = next((i for i, o in enumerate(body) if isinstance(y, Var) and y in o.results), None)
        if index is None or id(y) in self.names:
            return False
        late = list(walk(body[index + 1:])) + [o for o in body[:index] if isinstance(o, Op)
                                              and len(o.results) == 1 and o.result.is_temp]
        reads = [v for o in late for v in flat_vars(o.operands())]
        reads += [v for v in flat_vars(region.yields) if v is not y]
        return not any(self.name(v) == name for v in reads)

    def _fold_candidates(self, block, uses):
        for op in block:
            if isinstance(op, (If, Loop)):
                for region in op.regions():
                    self._fold_candidates(region.body, uses)
            elif len(op.results) == 1 and op.result.is_temp and not op.keep and op.callee.kind != SETITEM \
                    and id(op.result) not in self.names and uses.get(id(op.result)) == [id(block)]:
                self.folded[id(op.result)] = op

    def name(self, var):
        """The name a value has in the generated code."""
        return self.names.get(id(var), var.name)

    def emit_line(self, text, indent, loc=None):
        for line in text.splitlines():
            self.lines.append("    " * indent + line)
            if loc is not None:
                self.line_map[len(self.lines)] = loc

    def emit_block(self, block, indent, comments, current=None):
        """Print `block`; `# grad of:` comments (adjoint sweep) name each new statement."""
        for op in block:
            if comments and op.stmt is not None and op.stmt != current:
                current = op.stmt
                self.emit_line(f"# grad of: {_statement_text(op.stmt)}", indent)
            if isinstance(op, If):
                current = self.emit_if(op, indent, comments, current)
                continue
            if isinstance(op, Loop):
                current = self.emit_loop(op, indent, comments, current)
                continue
            if id(op.result) in self.folded:
                continue
            if op.callee.kind == SETITEM:  # the IR's functional update, as a copy and a write
                array, index, value = op.args
                target = ast.Name(self.name(op.result), ast.Store())
                if not op.in_place:
                    copy = ast.Call(ast.Attribute(self.operand(array), "copy", ast.Load()), [], [])
                    self.emit_line(_render(ast.Assign([target], copy)), indent, op.loc)
                elif self.name(op.result) != self.name(array):  # the array nothing else reads, written into
                    self.emit_line(_render(ast.Assign([target], self.operand(array))), indent, op.loc)
                write = ast.Subscript(ast.Name(self.name(op.result), ast.Load()),
                                      self.operand(index, subscript=True), ast.Store())
                self.emit_line(_render(ast.Assign([write], self.operand(value))), indent, op.loc)
                continue
            if op.callee.kind == ASSERT:
                parts = [self.operand(a) for a in op.args]
                self.emit_line(_render(ast.Assert(parts[0], parts[1] if len(parts) > 1 else None)), indent, op.loc)
                continue
            value = self.expression(op)
            if op.keep and op.result.is_temp:
                node = ast.Expr(value)
            else:
                node = ast.Assign([self.target(op.results)], value)
            self.emit_line(_render(node), indent, op.loc)
        return current

    def emit_if(self, op, indent, comments, current):
        self.emit_line(f"if {_render(self.operand(op.cond))}:", indent, op.loc)
        for keyword, region in (("", op.then), ("else:", op.orelse)):
            copies_needed = any(not (isinstance(y, Var) and self.name(y) == self.name(r))
                                for r, y in zip(op.results, region.yields))
            if keyword and not region.body and not copies_needed:
                continue  # nothing to do on the other path
            if keyword:
                self.emit_line(keyword, indent)
            current = self.emit_block(region.body, indent + 1, comments, current)
            if not self.emit_copies(op.results, region.yields, indent + 1, op.loc) and not region.body:
                self.emit_line("pass", indent + 1)
        return current

    def emit_copies(self, targets, values, indent, loc):
        """`a, b = x, y` for the pairs whose names differ: one tuple assignment, a parallel
        copy, safe when the values swap names."""
        pairs = [(t, v) for t, v in zip(targets, values) if not (isinstance(v, Var) and self.name(v) == self.name(t))]
        if not pairs:
            return False
        nodes = [self.operand(v) for _, v in pairs]
        value = nodes[0] if len(nodes) == 1 else ast.Tuple(nodes, ast.Load())
        self.emit_line(_render(ast.Assign([self.target([t for t, _ in pairs])], value)), indent, loc)
        return True

    def emit_loop(self, op, indent, comments, current):
        self.emit_copies(op.carried, op.inits, indent, op.loc)
        skipped = set()
        if op.iterable is not None:
            target = self.name(op.target) if op.target is not None else "_"
            unpacked = self._unpacked_target(op)
            if unpacked:
                target = ", ".join(self.name(v) for v in unpacked)
                skipped = {id(o) for o in op.body.body[:len(unpacked) + 1]}
            self.emit_line(f"for {target} in {_render(self.operand(op.iterable))}:", indent, op.loc)
        elif all(id(o.result) in self.folded for o in op.test.body if isinstance(o, Op)) and \
                not any(isinstance(o, (If, Loop)) for o in op.test.body):
            self.emit_line(f"while {_render(self.operand(op.test.yields[0]))}:", indent, op.loc)
        else:
            self.emit_line("while True:", indent, op.loc)
            current = self.emit_block(op.test.body, indent + 1, comments, current)
            test = ast.UnaryOp(ast.Not(), self.operand(op.test.yields[0]))
            self.emit_line(f"if {_render(test)}:", indent + 1, op.loc)
            self.emit_line("break", indent + 2)
        body = [o for o in op.body.body if id(o) not in skipped]
        current = self.emit_block(body, indent + 1, comments, current)
        if not self.emit_copies(op.carried, op.body.yields, indent + 1, op.loc) and not body:
            self.emit_line("pass", indent + 1)
        if op.exit is not None and any(c is op.exit for c in op.carried):
            self.emit_line(f"if {self.name(op.exit)}:", indent + 1)
            self.emit_line("break", indent + 2)
        return current

    def _unpacked_target(self, op):
        """For `for a, b in ...` (lowered as an item, a length check and one subscript per
        name, first thing in the body): the names, so the loop prints as written."""
        body = op.body.body
        if not body or not isinstance(body[0], Op) or body[0].callee.obj is not runtime.check_unpack \
                or body[0].args[0] is not op.target:
            return None
        count = body[0].args[1].value
        parts = body[1:1 + count]
        if len(parts) != count or not all(
                isinstance(o, Op) and o.callee.kind == GETITEM and o.args[0] is op.target
                and isinstance(o.args[1], Const) and o.args[1].value == i and id(o.result) not in self.folded
                for i, o in enumerate(parts)):
            return None
        reads = [v for o in walk(body[1 + count:]) for v in flat_vars(o.operands())]
        if any(v is op.target for v in reads):
            return None
        return [o.result for o in parts]

    def target(self, results):
        if len(results) == 1:
            return ast.Name(self.name(results[0]), ast.Store())
        return ast.Tuple([ast.Name(self.name(r), ast.Store()) for r in results], ast.Store())

    def return_text(self, *values):
        """`return a, b`, line-wrapped like any long statement."""
        return _render(ast.Return(values[0] if len(values) == 1 else ast.Tuple(list(values), ast.Load())))

    def gradients_node(self):
        gradients = self.adj.gradients
        return self.operand(tuple(gradients)) if self.return_tuple else self.operand(gradients[0])

    def run(self):
        adj, primal = self.adj, self.primal
        prefix = {GRAD: "d", VALUE_AND_GRAD: "value_and_d", VJP: "vjp_"}[self.mode]
        name = f"{prefix}{primal.name}"
        self.plan()
        # Names the generated code assigns; globals it needs must not clash with them.
        self.local_names = {p.name for p in primal.params} | \
            {self.name(r) for block in (adj.forward, adj.backward) for op in walk(block)
             for r in op.results if id(r) not in self.folded}
        if isinstance(adj.seed, Var):
            self.local_names.add(adj.seed.name)
        signature = _signature_text(primal.signature)
        self.emit_line(f"def {name}({signature}):", 0)
        self.emit_block(adj.forward, 1, comments=False)
        if self.mode == VJP:
            self.emit_line(f"def pullback({adj.seed.name}):", 1)
            self.emit_block(adj.backward, 2, comments=True)
            self.emit_line(self.return_text(self.gradients_node()), 2)
            self.emit_line(self.return_text(self.operand(primal.output), ast.Name("pullback", ast.Load())), 1)
        else:
            self.emit_block(adj.backward, 1, comments=True)
            if self.mode == VALUE_AND_GRAD:
                self.emit_line(self.return_text(self.operand(primal.output), self.gradients_node()), 1)
            else:
                self.emit_line(self.return_text(self.gradients_node()), 1)
        source = "\n".join(self.lines) + "\n"
        return GeneratedCode(name, source, self.namespace, self.line_map)


def _render(node):
    """Python text for an AST node: ast.unparse, or astor's line-wrapped form for long
    lines when astor reproduces the same tree."""
    text = ast.unparse(ast.fix_missing_locations(node))
    if len(text) > _LINE_WIDTH and isinstance(node, ast.stmt):
        with warnings.catch_warnings():  # astor's import uses ast.Num, deprecated since Python 3.12
            warnings.simplefilter("ignore", DeprecationWarning)
            import astor  # only for long lines
        try:
            wrapped = astor.to_source(node, pretty_source=lambda s: astor.code_gen.pretty_source(s)).rstrip()
            if ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(text)):
                return wrapped
        except Exception:
            pass
    return text


def _statement_text(loc):
    text = loc.text.strip()
    if len(text) > _LINE_WIDTH - 12:
        text = text[:_LINE_WIDTH - 15] + "..."
    return text if text else f"line {loc.line}"


def _signature_text(signature):
    """Parameters as written in a def, without defaults (they are set on the function object)."""
    parts, saw_keyword_only, previous = [], False, None
    for p in signature.parameters.values():
        if previous == p.POSITIONAL_ONLY and p.kind != p.POSITIONAL_ONLY:
            parts.append("/")
        if p.kind == p.KEYWORD_ONLY and not saw_keyword_only:
            parts.append("*")
            saw_keyword_only = True
        parts.append(p.name)
        previous = p.kind
    if previous == inspect.Parameter.POSITIONAL_ONLY:
        parts.append("/")
    return ", ".join(parts)
