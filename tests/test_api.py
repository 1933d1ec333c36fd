"""The public API: grad forms, wrt handling, value_and_grad, vjp, caching, the CLI."""
import functools
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sct
from conftest import numerical_grad

ROOT = Path(__file__).resolve().parents[1]


def loss(W, b, x, y):
    h = np.tanh(x @ W + b)
    return np.mean((h - y) ** 2)


def loss_reference_grads(W, b, x, y):
    """Hand-derived gradients of `loss`, for checking the API plumbing."""
    a = x @ W + b
    h = np.tanh(a)
    dh = 2 * (h - y) / h.size
    da = dh * (1 - h * h)
    return x.T @ da, da.sum(axis=0), da @ W.T


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3)), rng.normal(size=(5, 4))


def test_grad_forms_agree(data):
    dW, db, dx = loss_reference_grads(*data)

    @sct.grad(wrt=("W", "b"))
    def decorated(W, b, x, y):
        h = np.tanh(x @ W + b)
        return np.mean((h - y) ** 2)

    @sct.grad
    def bare(W, b, x, y):
        h = np.tanh(x @ W + b)
        return np.mean((h - y) ** 2)

    gW, gb = decorated(*data)
    np.testing.assert_allclose(gW, dW, rtol=1e-12)
    np.testing.assert_allclose(gb, db, rtol=1e-12)
    np.testing.assert_allclose(bare(*data), dW, rtol=1e-12)
    np.testing.assert_allclose(sct.grad(loss)(*data), dW, rtol=1e-12)
    np.testing.assert_allclose(sct.grad(loss, wrt="x")(*data), dx, rtol=1e-12)
    np.testing.assert_allclose(sct.grad(loss, wrt=2)(*data), dx, rtol=1e-12)
    np.testing.assert_allclose(sct.grad(loss, wrt=-2)(*data), dx, rtol=1e-12)
    g1, g2 = sct.grad(loss, wrt=(2, "W"))(*data)
    np.testing.assert_allclose(g1, dx, rtol=1e-12)
    np.testing.assert_allclose(g2, dW, rtol=1e-12)
    (single,) = sct.grad(loss, wrt=("b",))(*data)
    np.testing.assert_allclose(single, db, rtol=1e-12)


def test_keyword_arguments_reach_the_gradient(data):
    W, b, x, y = data
    dW, _, _ = loss_reference_grads(*data)
    np.testing.assert_allclose(sct.grad(loss)(W, b, y=y, x=x), dW, rtol=1e-12)


def test_value_and_grad(data):
    value, (gW, gb) = sct.value_and_grad(loss, wrt=("W", "b"))(*data)
    assert value == pytest.approx(loss(*data), rel=1e-14)
    dW, db, _ = loss_reference_grads(*data)
    np.testing.assert_allclose(gW, dW, rtol=1e-12)
    np.testing.assert_allclose(gb, db, rtol=1e-12)


def layer(W, x):
    return np.tanh(W @ x)


def test_vjp_pulls_back_a_cotangent(data):
    rng = np.random.default_rng(2)
    W, x = rng.normal(size=(4, 3)), rng.normal(size=3)
    out, pullback = sct.vjp(layer, W, x)
    np.testing.assert_allclose(out, np.tanh(W @ x))
    v = rng.normal(size=4)
    gW, gx = pullback(v)
    dpre = v * (1 - out ** 2)
    np.testing.assert_allclose(gW, np.outer(dpre, x), rtol=1e-12)
    np.testing.assert_allclose(gx, W.T @ dpre, rtol=1e-12)
    out2, pullback_x = sct.vjp(layer, W, x, wrt="x")
    np.testing.assert_allclose(pullback_x(v), W.T @ dpre, rtol=1e-12)
    # Rows of the Jacobian, one pullback per basis vector.
    jac = np.array([pullback_x(e) for e in np.eye(4)])
    np.testing.assert_allclose(jac, (1 - out ** 2)[:, None] * W, rtol=1e-12)


def test_grad_does_not_modify_arguments(data):
    copies = [a.copy() for a in data]
    sct.grad(loss, wrt=(0, 1, 2, 3))(*data)
    for before, after in zip(copies, data):
        np.testing.assert_array_equal(before, after)


def test_gradient_of_unused_argument_is_zero():
    def ignores_y(x, y):
        return np.sum(x ** 2)

    gx, gy = sct.grad(ignores_y, wrt=(0, 1))(np.ones(3), np.ones((2, 2)))
    np.testing.assert_array_equal(gy, np.zeros((2, 2)))
    np.testing.assert_array_equal(gx, 2 * np.ones(3))
    assert sct.grad(ignores_y, wrt=1)(np.ones(3), 2.0) == 0.0


def test_same_adjoint_for_two_arguments_is_not_shared():
    def both(a, b):
        return np.sum((a + b) ** 2)

    ga, gb = sct.grad(both, wrt=(0, 1))(np.ones(3), np.ones(3))
    np.testing.assert_allclose(ga, 4 * np.ones(3))
    np.testing.assert_allclose(gb, 4 * np.ones(3))
    assert ga is not gb
    ga *= 2  # must not change gb
    np.testing.assert_allclose(gb, 4 * np.ones(3))


def test_cache_reuses_compiled_gradient_and_tracks_redefinitions(tmp_path, monkeypatch):
    module = tmp_path / "notebook_like.py"
    module.write_text(textwrap.dedent("""
        import numpy as np

        def f(x):
            return np.sum(helper(x))

        def helper(x):
            return np.sin(x)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import notebook_like

    @sct.adjoint(notebook_like.helper)
    def _(result, x):
        d[x] = d[result] * np.cos(x)

    g = sct.grad(notebook_like.f)
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(g(x), np.cos(x))
    first = sct.api._CACHE[notebook_like.f]
    entry = next(iter(first.values()))
    g(x)
    assert next(iter(sct.api._CACHE[notebook_like.f].values())) is entry  # cached

    # Redefine the helper (a new function object) with a different rule: no stale gradient.
    def helper(x):
        return np.exp(x)

    @sct.adjoint(helper)
    def _(result, x):
        d[x] = d[result] * result

    notebook_like.helper = helper
    np.testing.assert_allclose(g(x), np.exp(x))
    assert next(iter(sct.api._CACHE[notebook_like.f].values())) is not entry


def test_transform_runs_at_first_call_not_at_decoration():
    @sct.grad
    def uses_later_global(x):
        return np.sum(defined_after_decoration(x))

    globals()["defined_after_decoration"] = np.tanh
    try:
        x = np.array([0.1, 0.2])
        np.testing.assert_allclose(uses_later_global(x), 1 - np.tanh(x) ** 2)
    finally:
        del globals()["defined_after_decoration"]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "sct", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_show_prints_generated_gradient():
    result = run_cli("show", "examples/two_layer.py:loss", "--wrt", "W0,W1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def dloss(W0, W1, x, y):")
    last = result.stdout.strip().splitlines()[-1].strip()
    assert last.startswith("return (") and "bW0" in last and "bW1" in last
    compile(result.stdout, "<cli>", "exec")


def test_cli_show_prints_loops(tmp_path):
    program = tmp_path / "rnn.py"
    program.write_text(textwrap.dedent("""
        import numpy as np

        def rnn(W, U, xs, h0):
            h = h0
            for x in xs:
                h = np.tanh(W @ h + U @ x)
            return np.sum(h ** 2)
    """))
    result = run_cli("show", f"{program}:rnn", "--wrt", "W,U")
    assert result.returncode == 0, result.stderr
    assert "    for x in xs:" in result.stdout and "    for x_1 in reversed(xs):" in result.stdout
    assert "copy_gradient" not in result.stdout  # the two gradients are separate arrays
    result = run_cli("show", f"{program}:rnn", "--wrt", "W", "--ir")
    assert result.returncode == 0, result.stderr
    assert "carrying (" in result.stdout


def test_cli_show_ir_prints_each_stage():
    result = run_cli("show", "examples/two_layer.py:loss", "--wrt", "W0", "--ir")
    assert result.returncode == 0, result.stderr
    for stage in ("lowered", "reverse", "optimized"):
        assert f"# --- IR after {stage}" in result.stdout
    assert "func loss(W0, W1, x, y):" in result.stdout
    assert "adjoint loss(W0, W1, x, y) wrt (W0):" in result.stdout


@pytest.mark.parametrize("target, message", [
    ("examples/no_such_file.py:loss", "no such file"),
    ("examples/two_layer.py:no_such_function", "has no function"),
    ("examples/two_layer.py", "expected FILE.py:FUNCTION"),
])
def test_cli_errors_are_one_line(target, message):
    result = run_cli("show", target)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_reports_sct_errors_without_traceback():
    result = run_cli("show", "examples/two_layer.py:loss", "--wrt", "nope")
    assert result.returncode == 1
    assert "no argument named 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_decorated_function_is_refused_rather_than_differentiated_without_its_decorator():
    def doubling(f):
        @functools.wraps(f)
        def inner(x):
            return 2 * f(x)
        return inner

    @doubling
    def f(x):
        return np.sum(x ** 2)

    with pytest.raises(sct.SctUsageError) as info:
        sct.grad(f)
    assert "decorator" in str(info.value) and "__wrapped__" in info.value.hint
    np.testing.assert_allclose(sct.grad(f.__wrapped__)(np.ones(2)), [2.0, 2.0])


def reshaped_sum(x, y, w):
    return np.sum((np.reshape(x, (6,)) + np.reshape(y, (6,))) * w)


def transposed_sum(x, y, w):
    return np.sum((x.T + y.T) * w)


@pytest.mark.parametrize("f, w", [(reshaped_sum, np.arange(6.0)), (transposed_sum, np.ones((3, 2)))],
                         ids=["reshape", "transpose"])
def test_gradients_that_are_views_of_one_cotangent_do_not_share_memory(f, w):
    gx, gy = sct.grad(f, wrt=(0, 1))(np.ones((2, 3)), np.ones((2, 3)), w)
    assert not np.shares_memory(gx, gy)
    expected = gy.copy()
    gx += 100.0
    np.testing.assert_array_equal(gy, expected)


def log_softmax_loss(z, y):
    z = z - sct.stop_gradient(np.max(z, axis=1, keepdims=True))
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def stopped(x):
    return np.sum(x * sct.stop_gradient(x))


def test_stop_gradient_blocks_the_gradient_and_removes_its_adjoint_work():
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(sct.grad(stopped)(x), x)  # d/dx sum(x * c) with c = x held fixed
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(4, 3)), np.eye(3)[[0, 2, 1, 0]]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(sct.grad(log_softmax_loss)(z, y), (p - y) / 4, rtol=1e-12)
    src = sct.grad(log_softmax_loss).source_for(z, y)
    assert "== max" not in src and "eq" not in src  # no adjoint of the shift


def helper_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def helper_dense(x, W, b, activation="tanh"):
    z = x @ W + b
    if activation == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0.0)


def helper_mse(pred, target, scale=1.0):
    return scale * np.mean((pred - target) ** 2)


def network_of_helpers(W1, b1, W2, b2, x, y):
    h = helper_dense(x, W1, b1)
    o = helper_dense(h, W2, b2, activation="relu")
    return helper_mse(helper_sigmoid(o), y, scale=2.0)


def helper_in_a_loop(w, xs):
    s = 0.0
    for x in xs:
        s = s + helper_mse(np.tanh(w * x), 0.5)
    return s


def test_calls_to_user_functions_are_inlined_and_differentiated():
    from conftest import assert_grad_matches_fd
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2),
            rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    assert_grad_matches_fd(network_of_helpers, args, (0, 1, 2, 3))
    assert_grad_matches_fd(helper_in_a_loop, (rng.normal(size=3), rng.normal(size=(4, 3))), 0)
    src = sct.grad(network_of_helpers, wrt=(0, 2)).source_for(*args)
    assert "helper_" not in src.split("\n", 1)[1]  # no calls left in the body
    assert "if True" not in src and "if False" not in src  # constant branches resolved
    assert "# grad of: return np.tanh(z)" in src  # the helper's own lines label its adjoint


def test_redefining_an_inlined_helper_recompiles(tmp_path, monkeypatch):
    module = tmp_path / "inlined_helpers.py"
    module.write_text(textwrap.dedent("""
        import numpy as np

        def helper(x):
            return np.sin(x)

        def f(x):
            return np.sum(helper(x))
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import inlined_helpers
    g = sct.grad(inlined_helpers.f)
    x = np.array([0.2, 0.4])
    np.testing.assert_allclose(g(x), np.cos(x))

    def helper(x):
        return np.exp(x)

    inlined_helpers.helper = helper
    np.testing.assert_allclose(g(x), np.exp(x))


def loop_times_x(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(x[i]) * x
    return s


def test_a_pullback_called_again_gives_the_same_rows():
    x = np.array([0.3, -0.7, 0.2])
    _, pullback = sct.vjp(loop_times_x, x)
    rows = [pullback(np.eye(3)[k])[0] for k in range(3)] + [pullback(np.eye(3)[0])[0]]
    jacobian = np.array([numerical_grad(lambda x, k=k: loop_times_x(x)[k], (x,), 0) for k in range(3)])
    np.testing.assert_allclose(np.array(rows[:3]), jacobian, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(rows[3], rows[0])


def _scaled(W, act, flag=True):
    return np.sum(np.tanh(W) if act == "tanh" else W)


@pytest.mark.parametrize("value, what", [("tanh", "a str"), (True, "a bool"), (None, "a NoneType"), (3, "an int"),
                                         (np.int64(3), "an int64"), (np.arange(3), "an array of dtype int64")])
def test_grad_with_respect_to_an_argument_with_no_gradient_is_refused(value, what):
    W = np.ones(3)
    with pytest.raises(sct.SctUsageError, match=f"argument 'act' is {what}, which has no gradient"):
        sct.grad(_scaled, wrt="act")(W, value)
    with pytest.raises(sct.SctUsageError, match="argument 'flag'"):
        sct.value_and_grad(_scaled, wrt=("W", "flag"))(W, "tanh", value)
    # The arguments it is not taken with respect to may be anything.
    np.testing.assert_allclose(sct.grad(_scaled)(W, "tanh"), 1 - np.tanh(W) ** 2)
    np.testing.assert_allclose(sct.grad(_scaled)(np.float32(2.0) * W, "identity", value), np.ones(3))
