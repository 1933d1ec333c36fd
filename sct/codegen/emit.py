"""Codegen: `AdjointFunction` -> readable Python source plus the namespace it runs in.

Single-use temporaries are folded back into the expression that uses them, so the
forward sweep reads like the user's code and each adjoint like a hand-written
line; every adjoint chunk is preceded by `# grad of: <the user's line>`.
"""
import ast
import inspect
import operator
from dataclasses import dataclass

from ..analysis import flat_vars
from ..ir import Const, Var, BINOP, CALL, COMPARE, UNARYOP, METHOD, ATTR, GETITEM, TUPLE

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
        if isinstance(x, tuple):
            return ast.Tuple([self.operand(e, subscript) for e in x], ast.Load())
        if isinstance(x, Const):
            return self.const(x, subscript)
        if id(x) in self.folded:
            return self.expression(self.folded.pop(id(x)))
        return ast.Name(x.name, ast.Load())

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
        if c.kind == TUPLE:
            return ast.Tuple([self.operand(a) for a in args], ast.Load())
        keywords = [ast.keyword(k, self.operand(v)) for k, v in op.kwargs.items()]
        if c.kind == METHOD:
            func = ast.Attribute(self.operand(args[0]), c.spelling, ast.Load())
            return ast.Call(func, [self.operand(a) for a in args[1:]], keywords)
        assert c.kind == CALL
        return ast.Call(self.dotted(c.spelling, c.root_obj), [self.operand(a) for a in args], keywords)

    # ---- statements

    def fold_candidates(self, block, outside_uses, final_uses=()):
        """Temporaries used exactly once, inside this block or by the return statement
        that ends it (`final_uses`): printed inline at their use."""
        uses = {}
        for op in block:
            for v in flat_vars(op.operands()):
                uses[id(v)] = uses.get(id(v), 0) + 1
        for v in final_uses:
            uses[id(v)] = uses.get(id(v), 0) + 1
        for v in outside_uses:
            uses[id(v)] = uses.get(id(v), 0) + 2
        return {id(op.result): op for op in block
                if len(op.results) == 1 and op.result.is_temp and not op.keep
                and uses.get(id(op.result), 0) == 1}

    def emit_line(self, text, indent, loc=None):
        for line in text.splitlines():
            self.lines.append("    " * indent + line)
            if loc is not None:
                self.line_map[len(self.lines)] = loc

    def emit_block(self, block, indent, comments):
        statements = []
        for op in block:
            if id(op.result) in self.folded:
                continue
            value = self.expression(op)
            if op.keep and op.result.is_temp:
                target = None
            elif len(op.results) == 1:
                target = ast.Name(op.result.name, ast.Store())
            else:
                target = ast.Tuple([ast.Name(r.name, ast.Store()) for r in op.results], ast.Store())
            statements.append((op, target, value))
        current = None
        for op, target, value in statements:
            if comments and op.stmt is not None and op.stmt != current:
                current = op.stmt
                self.emit_line(f"# grad of: {_statement_text(op.stmt)}", indent)
            node = ast.Expr(value) if target is None else ast.Assign([target], value)
            self.emit_line(_render(node), indent, op.loc)

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
        backward_outputs = list(flat_vars(adj.gradients))
        forward_outputs = list(flat_vars([primal.output]))
        # Forward temps read by the backward sweep must stay named.
        backward_reads = list(flat_vars(o for op in adj.backward for o in op.operands()))
        self.folded = self.fold_candidates(adj.forward, backward_reads + backward_outputs + forward_outputs)
        self.folded.update(self.fold_candidates(adj.backward, forward_outputs, backward_outputs))
        # Names the generated code assigns; globals it needs must not clash with them.
        self.local_names = {p.name for p in primal.params} | \
            {r.name for op in adj.forward + adj.backward for r in op.results if id(r) not in self.folded}
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
        import astor  # only for long lines: importing it warns on Python >= 3.12 (ast.Num)
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
