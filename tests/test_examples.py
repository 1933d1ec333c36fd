"""The course-notes examples in examples/: exact values from the notes,
agreement with central finite differences and with hand-derived gradients,
and each script's main() runs and prints generated source."""
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sct  # noqa: E402

EXAMPLES = ["two_layer", "composition", "relu_net", "sigmoid_backprop", "least_squares"]


def load(name):
    mod_name = f"sct_example_{name}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
    return module


def central_diff(f, args, i, h=1e-6):
    """Central finite-difference gradient of scalar f with respect to args[i]."""
    args = list(args)
    if isinstance(args[i], float):
        up, down = list(args), list(args)
        up[i], down[i] = args[i] + h, args[i] - h
        return (f(*up) - f(*down)) / (2 * h)
    x = np.array(args[i], dtype=np.float64)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        g[k] = (f(*args[:i], xp, *args[i + 1:]) - f(*args[:i], xm, *args[i + 1:])) / (2 * h)
    return g


def assert_fd(f, args, i, grad):
    np.testing.assert_allclose(grad, central_diff(f, args, i), rtol=1e-6, atol=1e-9)


# -- 1. two_layer ----------------------------------------------------------

def test_two_layer_exact():
    m = load("two_layer")
    args = (m.W0, m.W1, m.x, m.y)
    gW0, gW1 = m.loss_grad(*args)
    f, gx = m.loss_and_grad_x(*args)
    assert gW0.shape == m.W0.shape and gW1.shape == m.W1.shape and gx.shape == m.x.shape
    np.testing.assert_allclose(f, 0.5, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gW0, [[1, 0, -1], [0, 0, 0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gW1, [[-1, -1], [0, 0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gx, [0, 1, -1], rtol=0, atol=1e-12)


def test_two_layer_finite_differences():
    m = load("two_layer")
    rng = np.random.default_rng(10)  # a generic point, not only the notes' one
    args = (rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=3), rng.normal(size=2))
    gW0, gW1 = m.loss_grad(*args)
    _, gx = m.loss_and_grad_x(*args)
    assert_fd(m.loss, args, 0, gW0)
    assert_fd(m.loss, args, 1, gW1)
    assert_fd(m.loss, args, 2, gx)


def test_two_layer_api_forms_agree():
    m = load("two_layer")
    args = (m.W0, m.W1, m.x, m.y)
    by_index = sct.grad(m.loss, wrt=(0, 1))(*args)
    by_decorator = sct.grad(wrt=("W0", "W1"))(m.loss)(*args)
    single = sct.grad(m.loss)(*args)  # default wrt=0
    for g in (by_index, by_decorator):
        np.testing.assert_allclose(g[0], [[1, 0, -1], [0, 0, 0]], rtol=0, atol=1e-12)
        np.testing.assert_allclose(g[1], [[-1, -1], [0, 0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(single, [[1, 0, -1], [0, 0, 0]], rtol=0, atol=1e-12)
    src = sct.source(m.loss, wrt=("W0", "W1"))
    assert isinstance(src, str) and re.search(r"^def \w+\(", src, re.M)


# -- 2. composition --------------------------------------------------------

def test_composition_exact():
    m = load("composition")
    g1, g2 = m.F_grad(m.x1, m.x2)
    value, (h1, h2) = m.F_value_and_grad(m.x1, m.x2)
    for g in (g1, g2, h1, h2):
        assert isinstance(g, float), type(g)
    np.testing.assert_allclose(value, 5.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose([g1, g2], [20.0, -24.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose([h1, h2], [20.0, -24.0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("point", [(2.0, -1.0), (0.3, 1.7), (-1.25, -0.5)])
def test_composition_finite_differences(point):
    m = load("composition")
    g1, g2 = m.F_grad(*point)
    assert_fd(m.F, point, 0, g1)
    assert_fd(m.F, point, 1, g2)


# -- 3. relu_net -----------------------------------------------------------

def test_relu_net_exact():
    m = load("relu_net")
    args = (m.A, m.b, m.c, m.v, m.t)
    np.testing.assert_allclose(m.loss(*args), 4.0, rtol=0, atol=1e-12)
    gA, gb, gc = m.loss_grad(*args)
    np.testing.assert_allclose(gA, [[8, -4], [0, 0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gb, [4, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gc, [12, 0], rtol=0, atol=1e-12)


def test_relu_net_finite_differences():
    m = load("relu_net")
    # A point with one active and one inactive unit, both well away from the kink.
    A = np.array([[0.7, -0.2], [-1.1, 0.4]])
    b = np.array([0.3, -0.1])
    c = np.array([1.3, -0.6])
    v = np.array([1.5, 0.5])
    args = (A, b, c, v, 0.25)
    u = A @ v + b
    assert u[0] > 0.1 and u[1] < -0.1
    gA, gb, gc = m.loss_grad(*args)
    assert_fd(m.loss, args, 0, gA)
    assert_fd(m.loss, args, 1, gb)
    assert_fd(m.loss, args, 2, gc)
    assert gb[1] == 0.0 and np.all(gA[1] == 0.0)


# -- 4. sigmoid_backprop ---------------------------------------------------

def test_sigmoid_matches_textbook_backprop():
    m = load("sigmoid_backprop")
    args = (m.W1, m.w2, m.x, m.t)
    gW1, gw2 = m.J_grad(*args)
    bW1, bw2 = m.backprop(*args)
    assert gW1.shape == (3, 2) and gw2.shape == (3,)
    assert np.abs(bW1).min() > 1e-4  # the comparison is not between zeros
    np.testing.assert_allclose(gW1, bW1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gw2, bw2, rtol=1e-12, atol=1e-15)


def test_sigmoid_finite_differences():
    m = load("sigmoid_backprop")
    rng = np.random.default_rng(4)
    args = (rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=2), 0.2)
    gW1, gw2 = m.J_grad(*args)
    assert_fd(m.J, args, 0, gW1)
    assert_fd(m.J, args, 1, gw2)


# -- 5. least_squares ------------------------------------------------------

def test_least_squares_gradient():
    m = load("least_squares")
    x = np.random.default_rng(5).normal(size=m.A.shape[1])
    g = m.f_grad(x, m.A, m.b)
    np.testing.assert_allclose(g, m.A.T @ (m.A @ x - m.b), rtol=1e-12, atol=1e-12)
    assert_fd(m.f, (x, m.A, m.b), 0, g)


def test_least_squares_converges_to_lstsq():
    m = load("least_squares")
    x_gd, steps = m.gradient_descent(m.A, m.b)
    x_ls = np.linalg.lstsq(m.A, m.b, rcond=None)[0]
    assert steps > 1
    assert np.linalg.norm(x_gd - x_ls) < 1e-8


# -- every script runs -----------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_main_prints_generated_source(name, capsys):
    load(name).main()
    out = capsys.readouterr().out
    assert re.search(r"^def \w+\(", out, re.M), out
