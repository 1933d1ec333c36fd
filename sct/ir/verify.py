"""IR verifier: checks the SSA invariants every pass relies on."""
from .nodes import AdjointFunction, Const, If, Loop, Var, walk


class IRVerificationError(AssertionError):
    """An internal invariant broke: a bug in sct, never the user's fault."""


def verify(fn):
    """Check that every Var is defined once, before use, and that names are unique.

    Takes a `Function` or `AdjointFunction`; returns it unchanged or raises
    IRVerificationError.
    """
    if isinstance(fn, AdjointFunction):
        params = list(fn.primal.params)
        blocks = [fn.forward, fn.backward]
        outputs = list(fn.gradients) + ([fn.primal.output] if fn.output_computed else [])
        seed_is_computed = any(fn.seed is r for op in walk(fn.backward) for r in op.results)
        if isinstance(fn.seed, Var) and not seed_is_computed:
            params.append(fn.seed)  # vjp: the pullback's parameter
    else:
        params, blocks, outputs = list(fn.params), [fn.body], [fn.output]
    defined = set()
    names = {}

    def define(v):
        if not isinstance(v, Var):
            raise IRVerificationError(f"result {v!r} is not a Var")
        if id(v) in defined:
            raise IRVerificationError(f"{v.name} is assigned twice")
        if v.name in names and names[v.name] is not v:
            raise IRVerificationError(f"two values share the name {v.name}")
        defined.add(id(v))
        names[v.name] = v

    def use(x, where):
        if isinstance(x, tuple):
            for e in x:
                use(e, where)
        elif isinstance(x, Var):
            if id(x) not in defined:
                raise IRVerificationError(f"{x.name} used before it is defined, in {where}")
        elif not isinstance(x, Const):
            raise IRVerificationError(f"bad operand {x!r} in {where}")

    def check(block):
        # Program order, as Python runs it: a value defined in a region stays defined
        # after it (Python locals), which is what lets a branch's adjoint read it.
        for op in block:
            if isinstance(op, Loop):
                if op.iterable is not None:
                    use(op.iterable, op)
                for x in op.inits:
                    use(x, op)
                for v in op.defined():
                    define(v)
                if op.test is not None:
                    check(op.test.body)
                    for y in op.test.yields:
                        use(y, op)
                check(op.body.body)
                if len(op.body.yields) != len(op.carried):
                    raise IRVerificationError("a loop body yields a value per carried value")
                for y in op.body.yields:
                    use(y, op)
            elif isinstance(op, If):
                use(op.cond, op)
                for region in op.regions():
                    if len(region.yields) != len(op.results):
                        raise IRVerificationError(f"a region yields {len(region.yields)} values "
                                                  f"for {len(op.results)} results")
                    check(region.body)
                    for y in region.yields:
                        use(y, op)
            else:
                for x in op.operands():
                    use(x, op)
            for r in op.results:
                define(r)

    for p in params:
        define(p)
    for block in blocks:
        check(block)
    for x in outputs:
        use(x, "outputs")
    return fn
