"""Tests on the generated code itself: it compiles, reads like hand-written code,
is deterministic, and contains only what the requested gradient needs."""
import ast
import inspect
import linecache

import numpy as np
import pytest

import sct
from sct import codegen
from sct.pipeline import compile_function


def mlp(W, b, x, y):
    h = np.tanh(x @ W + b)
    return np.mean((h - y) ** 2)


def two_uses(x, y):
    a = np.exp(x)
    return np.sum(a * y + a)


def single_use(x):
    return np.sum(np.sin(x))


def chain(x, w):
    u = w * x
    v = np.tanh(u)
    return np.sum(v * v)


def scalar_loss(a, b):
    return (a - b) ** 2 + a * b


def code_only(source):
    """The source without `# grad of:` comment lines."""
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))


def assigned_names(source):
    tree = ast.parse(source)
    return [t.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)]


def called_names(source):
    tree = ast.parse(source)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            names.append(f.id if isinstance(f, ast.Name) else ast.unparse(f))
    return names


def test_generated_source_compiles_and_is_one_function():
    src = sct.source(mlp, wrt=("W", "b"))
    tree = ast.parse(src)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
    assert tree.body[0].name == "dmlp"
    assert [a.arg for a in tree.body[0].args.args] == ["W", "b", "x", "y"]


def test_generation_is_deterministic():
    first = compile_function(mlp, (0, 1), codegen.GRAD, True).source
    second = compile_function(mlp, (0, 1), codegen.GRAD, True).source
    assert first == second


def test_adjoint_used_once_is_assigned_not_zero_initialised():
    src = sct.source(single_use)
    assert "zeros" not in src and "zero_gradient" not in src
    # bx is assigned exactly once and never accumulated into.
    assert assigned_names(src).count("bx") == 1
    assert "bx + " not in src and "+ bx" not in src


def test_second_contribution_is_added_to_the_first():
    src = sct.source(two_uses)
    # One adjoint per contribution to `a` (one from `a * y`, one from `+ a`), then their sum.
    names = [n for n in assigned_names(src) if n == "ba" or n.startswith("ba_")]
    assert len(names) == 3 and len(set(names)) == 3
    total = names[-1]
    sum_line = next(line.strip() for line in src.splitlines() if line.strip().startswith(total + " ="))
    assert sum_line == f"{total} = {names[0]} + {names[1]}"
    assert f"bx = {total} * a" in src  # exp's rule reuses the forward value a
    assert "zeros" not in src


def test_dce_removes_adjoints_not_needed_for_wrt():
    src_w = sct.source(mlp, wrt="W")
    assert "bW" in src_w and "bb" not in assigned_names(src_w)
    assert "bx" not in assigned_names(src_w) and "by" not in assigned_names(src_w)
    src_b = sct.source(mlp, wrt="b")
    # Nothing matmul-adjoint-shaped is computed for a bias-only gradient.
    assert "matmul_adjoint" not in src_b
    assert "bW" not in assigned_names(src_b)


def test_plain_grad_does_not_compute_the_unneeded_loss_value():
    src = code_only(sct.source(mlp, wrt="W"))
    assert "np.mean(" not in src  # the output itself is not needed for the gradient
    assert "** 2" not in src


def test_value_and_grad_keeps_the_output():
    g = sct.value_and_grad(mlp, wrt="W")
    assert "np.mean(" in g.source


def test_forward_value_is_reused_by_tanh_rule():
    src = code_only(sct.source(mlp, wrt="W"))
    assert src.count("np.tanh(") == 1  # not recomputed in the adjoint sweep
    assert "1.0 - h * h" in src


def test_grad_of_comments_precede_adjoint_chunks():
    src = sct.source(chain, wrt="w")
    lines = src.splitlines()
    comments = [l.strip() for l in lines if l.strip().startswith("# grad of:")]
    assert comments == ["# grad of: return np.sum(v * v)", "# grad of: v = np.tanh(u)",
                        "# grad of: u = w * x"]
    # Each comment comes after the forward sweep.
    first_comment = next(i for i, l in enumerate(lines) if "# grad of:" in l)
    assert any("np.tanh(" in l for l in lines[:first_comment])


def test_no_unbroadcast_where_shapes_are_provably_equal():
    # v = tanh(u) has u's shape, v * v has v's shape: no reductions needed there.
    src = sct.source(chain, wrt="w")
    assert "bu = bv_1 * (1.0 - mul)" in src  # tanh's rule shares `v * v` with the forward sweep
    assert called_names(src).count("unbroadcast") == 1  # only for w * x, whose shapes are unknown
    assert "bw = unbroadcast(bu * x, w)" in src


def test_scalars_stay_scalars():
    src = sct.source(scalar_loss, wrt=(0, 1))
    assert "np.broadcast_to" not in src and "np.zeros" not in src and "np.ones" not in src
    ga, gb = sct.grad(scalar_loss, wrt=(0, 1))(1.5, -0.5)
    assert type(ga) is float and type(gb) is float
    assert ga == pytest.approx(2 * (1.5 + 0.5) - 0.5) and gb == pytest.approx(-2 * (1.5 + 0.5) + 1.5)


def test_inspect_getsource_and_linecache_see_generated_code():
    entry = compile_function(mlp, (0,), codegen.GRAD, False)
    assert inspect.getsource(entry.function) == entry.source
    assert linecache.getline(entry.filename, 1).startswith("def dmlp(")
    assert entry.filename.startswith("<sct:") and "mlp" in entry.filename


class OpaqueArray(np.ndarray):
    """Not an exact ndarray: sct compiles shape-generic code for it."""


def test_runtime_error_in_gradient_names_the_user_line():
    W, b = np.ones((3, 4)).view(OpaqueArray), np.ones(4)
    x, y = np.ones((5, 2)), np.ones((5, 4))  # x @ W is a shape mismatch
    with pytest.raises(ValueError) as info:
        sct.grad(mlp)(W, b, x, y)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "test_codegen.py" in notes and "h = np.tanh(x @ W + b)" in notes


def test_known_shape_mismatch_is_reported_before_running():
    W, b = np.ones((3, 4)), np.ones(4)
    x, y = np.ones((5, 2)), np.ones((5, 4))
    with pytest.raises(sct.SctError) as info:
        sct.grad(mlp)(W, b, x, y)
    assert "test_codegen.py" in str(info.value) and "h = np.tanh(x @ W + b)" in str(info.value)


def test_generated_code_has_users_defaults():
    def with_default(x, scale=2.0):
        return np.sum(scale * x * x)

    g = sct.grad(with_default)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(g(x), 4.0 * x)
    np.testing.assert_allclose(g(x, scale=3.0), 6.0 * x)


def normalized_by_count(x):
    n, d = x.shape
    return np.sum(x ** 2) / (n * d)


def test_shape_entries_are_python_ints_so_no_runtime_scalar_check():
    # x.shape[i] is a Python int for any x: the output is statically a scalar.
    src = sct.source(normalized_by_count)
    assert "scalar_seed" not in src and "unbroadcast" not in src
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(sct.grad(normalized_by_count)(x), 2 * x / 6)


def sin_sum(x):
    return np.sum(np.sin(x) * 2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_keeps_the_argument_dtype(dtype):
    x = np.linspace(0.0, 1.0, 4, dtype=dtype)
    assert sct.grad(sin_sum)(x).dtype == dtype
    assert sct.grad(normalized_by_count)(x.reshape(2, 2)).dtype == dtype
