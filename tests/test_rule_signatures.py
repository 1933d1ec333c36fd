"""Every registered rule over its whole signature, checked with `sct.check_grads`.

The rows are in rule_signature_rows.py, one per rule variant: scalar and 0-d
operands, 1-D, 2-D and N-D, broadcasting both ways, every axis/keepdims/ddof/ord/order
form a rule takes, parameters known only at run time, and edge values where the
derivative is defined (ties, zeros). Random inputs are seeded per row and kept away
from kinks, except in the deliberate edge rows.

Each row is checked several ways (one test each):
  direct  check_grads of the function: sct.grad for a scalar output, sct.vjp with
          a random (exact-shaped) cotangent otherwise;
  sum     check_grads of np.sum of it, for a non-scalar output: the scalar cotangent
          that stands for a whole result, which rules treat specially;
  keepsum for rules that accept a cotangent which only broadcasts against their
          result (reductions, shape functions): np.sum(..., keepdims=True) of it,
          times a length-2 vector, so the rule gets a cotangent of shape (1, ..., 1);
  spread  for an output of one element but some axes (keepdims), its product with a
          length-2 vector, so the rule gets an exact cotangent of that shape;
  generic direct and sum again through the shape-generic code (what `.source` shows,
          and what runs beyond MAX_SPECIALIZATIONS shapes).
A row with `raises` checks that sct refuses it with a located SctError instead;
a row with `values` compares with exact expected gradients (where sct follows a
documented convention that central differences do not see, e.g. 3-way ties).

`test_every_registered_rule_has_rows` walks the registry: a new rule must come
with rows there.
"""
import linecache
import types
import zlib

import numpy as np
import pytest

import sct
from sct.checking import _float_leaves
from sct.rules.registry import _RULES, _key

from rule_signature_rows import ROWS


# ---------------------------------------------------------------- the row functions

def _key_name(key):
    if isinstance(key, tuple):
        return f".{key[1]}()" if key[0] == "method" else f".{key[1]}"
    module = getattr(key, "__module__", None) or ""
    prefix = {"numpy": "np", "_operator": "operator", "operator": "operator", "builtins": "builtins"}.get(
        module.split(".")[0], module)
    if isinstance(key, np.ufunc):
        prefix = "np"
    if module.startswith("numpy.linalg"):
        prefix = "np.linalg"
    return f"{prefix}.{getattr(key, '__name__', key)}"


def _function_text(name, row):
    params = ", ".join(row.params)
    body = row.body if "return" in row.body else f"return {row.body}"
    lines = [f"def {name}({params}):"] + ["    " + line for line in body.split("\n")]
    lines += [f"def {name}_sum({params}):", f"    return np.sum({name}({params}))"]
    lines += [f"def {name}_spread({params}):", f"    return {name}({params}) * SPREAD"]
    lines += [f"def {name}_keepsum({params}):", f"    return np.sum({name}({params}), keepdims=True) * SPREAD"]
    return "\n".join(lines) + "\n"


def _build():
    """Compile each row's functions as a small source registered with linecache (sct
    reads the source, as for a notebook cell; pytest reads it for tracebacks), all in
    one namespace."""
    namespace = {"np": np, "SPREAD": np.array([1.0, -2.0]), "__name__": "sct_rule_table"}
    for i, row in enumerate(ROWS):
        filename = f"<sct rule table: row {i}>"
        text = _function_text(f"row{i}", row)
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), namespace)
    return [{check: namespace[f"row{i}{suffix}"] for check, suffix in
             (("direct", ""), ("sum", "_sum"), ("spread", "_spread"), ("keepsum", "_keepsum"))}
            for i in range(len(ROWS))]


FUNCTIONS = _build()


def _arguments(i):
    row = ROWS[i]
    rng = np.random.default_rng(zlib.crc32(f"{row.body}|{i}".encode()))
    return tuple(_made(spec, rng) for spec in row.params.values())


def _made(spec, rng):
    """The argument a spec makes; a list/tuple/dict of specs makes a container of them."""
    if type(spec) is dict:
        return {k: _made(v, rng) for k, v in spec.items()}
    if type(spec) in (list, tuple):
        return type(spec)(_made(v, rng) for v in spec)
    return spec(rng)


def _checks(i):
    """The checks that apply to row i, decided from its output."""
    row = ROWS[i]
    if row.raises:
        return ["raises"]
    if row.values is not None:
        return ["values"]
    output = FUNCTIONS[i]["direct"](*_arguments(i))
    rule = _RULES.get(_key(row.key))
    checks = ["direct"]
    if rule is None or not (rule.elementwise and len(rule.signature.parameters) == 2):
        checks.append("generic")  # (a one-argument elementwise rule's generic code is the transform's)
    if np.ndim(output) > 0 and np.size(output) > 1:
        checks.append("sum")
        if rule is not None and not rule.exact_cotangent and not rule.elementwise:
            checks.append("keepsum")  # a rule that takes cotangents which only broadcast
    if np.ndim(output) > 0 and np.size(output) == 1:
        checks.append("spread")
    return checks


def _cases():
    for i, row in enumerate(ROWS):
        for check in _checks(i):
            marks = ()
            if row.xfail and (row.only is None or check in row.only):
                marks = (pytest.mark.xfail(strict=True, reason=row.xfail),)
            yield pytest.param(i, check, marks=marks, id=f"{_key_name(row.key)}: {row.body} {_shapes(i)} {check}")


def _shapes(i):
    return "(" + ", ".join(_describe(a) for a in _arguments(i)) + ")"


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype.kind}{list(value.shape)}"
    if type(value) in (list, tuple):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    return type(value).__name__


@pytest.mark.parametrize("i,check", list(_cases()))
def test_rule(i, check, monkeypatch):
    if ROWS[i].xfail and (ROWS[i].only is None or check in ROWS[i].only):
        # The expected failure is reported as such, without a traceback: pytest would
        # format one for each (parsing this module), which costs more than the checks.
        # (Should the check pass, the strict xfail mark fails the test.)
        try:
            _check_row(i, check, monkeypatch)
            return
        except Exception as e:
            failure = f"{ROWS[i].xfail}: {type(e).__name__}: {str(e).splitlines()[0]}"
        pytest.xfail(failure)  # (outside the except clause: no chained traceback to format)
    else:
        _check_row(i, check, monkeypatch)


def _check_row(i, check, monkeypatch):
    row = ROWS[i]
    functions = FUNCTIONS[i]
    fn, summed = functions["direct"], functions["sum"]
    args = _arguments(i)
    if check == "raises":
        error, message = row.raises
        with pytest.raises(error, match=message) as caught:
            sct.check_grads(fn, *args)
            sct.check_grads(summed, *args)
        assert caught.value.loc is not None, "sct's refusal names no line"
    elif check == "values":
        wrt = tuple(name for name, a in zip(row.params, args) if list(_float_leaves(a)))
        got = sct.grad(summed, wrt=wrt)(*args)
        for name, g in zip(wrt, got):
            np.testing.assert_allclose(g, row.values[name], rtol=1e-12, atol=0,
                                       err_msg=f"the gradient of {name}")
    elif check == "generic":
        # The shape-generic code (what `.source` shows, and what runs beyond
        # MAX_SPECIALIZATIONS shapes), for fresh copies of the functions.
        monkeypatch.setattr(sct.api, "MAX_SPECIALIZATIONS", 0)
        sct.check_grads(_fresh(fn), *args, **row.check)
        if "sum" in _checks(i):
            sct.check_grads(_fresh(summed), *args, **row.check)
    else:
        sct.check_grads(functions[check], *args, **row.check)


def _fresh(fn):
    """A copy of `fn` that sct has compiled nothing for yet."""
    return types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)


def test_every_registered_rule_has_rows():
    """A rule sct registers (not one a test or user adds) must have rows in this table."""
    covered = {_key(row.key) for row in ROWS}
    missing = [f"{_key_name(k)} (rule {rule.name})" for k, rule in _RULES.items()
               if rule.template.__module__.startswith("sct.") and k not in covered]
    assert not missing, "rules with no row in tests/test_rule_signatures.py: " + ", ".join(missing)


def test_every_row_names_a_registered_rule():
    unknown = [f"{_key_name(row.key)}: {row.body}" for row in ROWS if _key(row.key) not in _RULES]
    assert not unknown, "rows for callables with no rule: " + ", ".join(unknown)

