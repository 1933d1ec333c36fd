"""Text form of the IR, for `sct show --ir` and for debugging between stages."""
from .nodes import AdjointFunction, DictOf, If, ListOf, Loop, ASSERT, SETITEM, BINOP, UNARYOP, COMPARE, METHOD, ATTR, GETITEM, BUILD, APPLY


def format_operand(x):
    if isinstance(x, ListOf):
        return "[" + ", ".join(format_operand(e) for e in x) + "]"
    if isinstance(x, DictOf):
        return "{" + ", ".join(f"{k!r}: {format_operand(e)}" for k, e in zip(x.keys, x)) + "}"
    if isinstance(x, tuple):
        return "(" + ", ".join(format_operand(e) for e in x) + ("," if len(x) == 1 else "") + ")"
    return repr(x)


def format_op(op):
    """One op as `results = callee(args)`, followed by its source line number."""
    args = [format_operand(a) for a in op.args]
    c = op.callee
    if c.kind == BINOP or c.kind == COMPARE:
        rhs = f"{args[0]} {c.spelling} {args[1]}"
    elif c.kind == UNARYOP:
        rhs = f"{c.spelling}{args[0]}"
    elif c.kind == ATTR:
        rhs = f"{args[0]}.{c.spelling}"
    elif c.kind == GETITEM:
        rhs = f"{args[0]}[{args[1]}]"
    elif c.kind == SETITEM:
        rhs = f"{args[0]} with [{args[1]}] = {args[2]}"
    elif c.kind == ASSERT:
        return f"assert {', '.join(args)}"
    elif c.kind == BUILD:
        rhs = args[0]
    else:
        allargs = args + [f"{k}={format_operand(v)}" for k, v in op.kwargs.items()]
        if c.kind == METHOD:
            rhs = f"{allargs[0]}.{c.spelling}({', '.join(allargs[1:])})"
        elif c.kind == APPLY:
            rhs = f"{allargs[0]}({', '.join(allargs[1:])})"
        else:
            rhs = f"{c.spelling}({', '.join(allargs)})"
    lhs = ", ".join(r.name for r in op.results)
    where = f"  # line {op.loc.line}" if op.loc is not None else ""
    return f"{lhs} = {rhs}{where}"


def format_block(ops, indent="  "):
    """Ops one per line; an If as `results = if cond:` with its regions indented and
    each region ending in `yield operands`."""
    lines = []
    for op in ops:
        if isinstance(op, If):
            lhs = ", ".join(r.name for r in op.results) or "_"
            where = f"  # line {op.loc.line}" if op.loc is not None else ""
            lines.append(f"{indent}{lhs} = if {format_operand(op.cond)}:{where}")
            for label, region in (("then", op.then), ("else", op.orelse)):
                lines.append(f"{indent}  {label}:")
                if region.body:
                    lines.append(format_block(region.body, indent + "    "))
                lines.append(f"{indent}    yield " + ", ".join(format_operand(y) for y in region.yields))
        elif isinstance(op, Loop):
            lhs = ", ".join(r.name for r in op.results) or "_"
            where = f"  # line {op.loc.line}" if op.loc is not None else ""
            carried = ", ".join(f"{c.name}={format_operand(i)}" for c, i in zip(op.carried, op.inits))
            target = op.target.name if op.target is not None else "_"
            head = f"for {target} in {format_operand(op.iterable)}" if op.iterable is not None \
                else "while"
            lines.append(f"{indent}{lhs} = {head} carrying ({carried}):{where}")
            if op.test is not None:
                lines.append(f"{indent}  test:")
                if op.test.body:
                    lines.append(format_block(op.test.body, indent + "    "))
                lines.append(f"{indent}    yield " + ", ".join(format_operand(y) for y in op.test.yields))
            lines.append(f"{indent}  body:")
            if op.body.body:
                lines.append(format_block(op.body.body, indent + "    "))
            lines.append(f"{indent}    yield " + ", ".join(format_operand(y) for y in op.body.yields))
        else:
            lines.append(indent + format_op(op))
    return "\n".join(lines)


def format_ir(fn):
    """A whole `Function` or `AdjointFunction` as text."""
    if isinstance(fn, AdjointFunction):
        p = fn.primal
        wrt = ", ".join(p.params[i].name for i in fn.wrt)
        lines = [f"adjoint {p.name}({', '.join(v.name for v in p.params)}) wrt ({wrt}):",
                 "  forward:", format_block(fn.forward, "    "),
                 f"  seed: d[{format_operand(p.output)}] = {format_operand(fn.seed)}"
                 + ("  (checked scalar at run time)" if fn.seed_check else ""),
                 "  backward:", format_block(fn.backward, "    "),
                 "  gradients: " + ", ".join(format_operand(g) for g in fn.gradients)]
        return "\n".join(line for line in lines if line)
    lines = [f"func {fn.name}({', '.join(v.name for v in fn.params)}):", format_block(fn.body),
             f"  return {format_operand(fn.output)}"]
    return "\n".join(line for line in lines if line)
