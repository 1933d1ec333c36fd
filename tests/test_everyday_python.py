"""Everyday Python that sct used to refuse (issue 10 §2): chained comparisons,
builtins over known or run-time values, dict/sorted/map/reduce, namedtuples,
frozen dataclasses, classmethods, `__len__`, functions as defaults, in-place
list/dict/array methods, writes through an item read, lambdas handed to sct,
and reduction keywords. Each is checked against central finite differences
(float64), specialized and shape-generic code alike; where Python's meaning
cannot be kept, the refusal is checked to be located and to say why."""
import collections
import dataclasses
import functools
import operator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd

RNG = np.random.default_rng(0)
X3 = np.array([0.3, 0.7, 0.2])
M34 = RNG.normal(size=(3, 4))


# ---- chained comparisons


def chain_in_if(x, lo, hi):
    v = np.sum(x)
    if lo < v < hi:
        return v ** 2
    return 3.0 * v


def chain_in_expression(x):
    s = np.sum(x)
    scale = 2.0 if 0.5 < s <= 1.5 else -1.0
    return scale * s


def chain_of_three(x, a):
    s = np.sum(x * x)
    if 0.0 < a < s < 10.0:
        return s * a
    return s


def chain_of_equalities(x, i, j):
    if i == j == 0:
        return np.sum(np.sin(x))
    return np.sum(x)


def chain_middle_once(x):
    # the middle operand is computed once, the last only when the first test holds
    lo = 0.0
    if lo < np.sum(x) < np.max(x) * 10:
        return np.sum(x ** 3)
    return np.sum(x)


def array_interval_mask(x, a, b):
    inside = (a < x) & (x < b)
    return np.sum(np.where(inside, x ** 2, 0.1 * x))


def chain_of_arrays(x):
    return np.sum(np.where(0.25 < x < 0.75, x, 0.0))


@pytest.mark.parametrize("lo, hi", [(0.5, 3.0), (2.0, 3.0), (0.0, 1.0)])
def test_chained_comparison_in_if(lo, hi):
    assert_grad_matches_fd(chain_in_if, (X3, lo, hi))


def test_chained_comparison_in_expression():
    assert_grad_matches_fd(chain_in_expression, (X3,))
    assert_grad_matches_fd(chain_in_expression, (3 * X3,))


@pytest.mark.parametrize("a", [0.5, 2.0, -1.0])
def test_chain_of_three(a):
    assert_grad_matches_fd(chain_of_three, (X3, a), wrt=(0, 1))


@pytest.mark.parametrize("i, j", [(0, 0), (0, 1), (1, 1)])
def test_chain_of_equalities(i, j):
    assert_grad_matches_fd(chain_of_equalities, (X3, i, j))


def test_chain_middle_once():
    assert_grad_matches_fd(chain_middle_once, (X3,))
    assert_grad_matches_fd(chain_middle_once, (-X3,))


def test_array_interval_mask():
    assert_grad_matches_fd(array_interval_mask, (np.linspace(-1, 2, 7) + 0.01, 0.0, 1.0))


def test_chain_of_arrays_raises_as_python_does():
    # Python's `a < x < b` takes the truth value of the array `a < x`: an error, here too
    with pytest.raises(ValueError, match="truth value"):
        chain_of_arrays(X3)
    with pytest.raises(ValueError, match="truth value"):
        sct.grad(chain_of_arrays)(X3)


# ---- min/max of values known when lowering and of run-time lists


def min_of_shape(x):
    n = min(x.shape)
    return np.sum(x[:n, :n] ** 2)


def max_of_known_shape_numbers(x):
    rows, cols = x.shape
    return np.sum(x) * max(rows, cols, 2) / min([rows, cols])


def max_over_rows_generator(X):
    return max(np.sum(r ** 2) for r in X)


def max_and_min_of_loop_list(X):
    losses = []
    for r in X:
        losses.append(np.sum(np.sin(r)))
    return max(losses) - 0.5 * min(losses)


def max_with_lambda_key(xs):
    return np.sum(max(xs, key=lambda v: np.sum(v)) ** 2)


def min_with_library_key(X):
    return min(X, key=np.sum)[1] ** 2


def max_with_default(x, items):
    return max(items, default=0.5) * np.sum(x)


def max_over_array(x):
    return max(x) * 2.0 + min(x)


def max_generator_over_list(xs):
    return max(np.sum(v * v) for v in xs)


def test_min_of_shape():
    assert_grad_matches_fd(min_of_shape, (M34,))
    assert_grad_matches_fd(min_of_shape, (M34.T.copy(),))


def test_max_of_known_numbers():
    assert_grad_matches_fd(max_of_known_shape_numbers, (M34,))


def test_max_over_rows_and_run_time_lists():
    assert_grad_matches_fd(max_over_rows_generator, (M34,))
    assert_grad_matches_fd(max_and_min_of_loop_list, (M34,))
    assert_grad_matches_fd(max_over_array, (X3,))
    assert_grad_matches_fd(min_with_library_key, (M34,))


def test_max_with_key_and_default():
    xs = [X3, 2 * X3, 0.5 * X3]
    assert_grad_matches_fd(max_with_lambda_key, (xs,))
    assert_grad_matches_fd(max_with_lambda_key, ([2 * X3, -X3],))
    assert_grad_matches_fd(max_generator_over_list, (xs,))
    assert_grad_matches_fd(max_with_default, (X3, []))
    assert_grad_matches_fd(max_with_default, (X3, [0.25, 0.75]))


def max_of_loop_arrays(X):
    rows = []
    for r in X:
        rows.append(r * 2.0)
    return np.sum(max(rows))


def test_max_of_arrays_raises_as_python_does():
    with pytest.raises(ValueError, match="truth value"):
        max_of_loop_arrays(M34)
    with pytest.raises(ValueError, match="truth value"):
        sct.grad(max_of_loop_arrays)(M34)


def max_run_time_lambda_key(X):
    return np.sum(max(X, key=lambda r: r[0]))


def sorted_run_time_lambda_key(X):
    ordered = sorted(X, key=lambda r: np.sum(r * r), reverse=True)
    return np.sum(ordered[0] * 2.0 + ordered[-1])


def test_max_and_sorted_of_a_run_time_list_with_a_lambda_key():
    assert_grad_matches_fd(max_run_time_lambda_key, (M34,))
    assert_grad_matches_fd(sorted_run_time_lambda_key, (M34,))


# ---- zip of a list and an array


def zip_weights_and_rows(ws, X):
    total = 0.0
    for w, r in zip(ws, X):
        total = total + np.sum(w * r ** 2)
    return total


def zip_computed_list_and_rows(x, X):
    ws = [x, 2 * x, x ** 2]
    return sum(np.sum(w * r) for w, r in zip(ws, X))


def zip_rows_and_shorter_list(x, X):
    pairs = list(zip(X, [np.tanh(x), x ** 3]))
    return np.sum(np.stack([r * w for r, w in pairs]))


def enumerate_zip_list_and_rows(x, X):
    total = 0.0
    for i, (w, r) in enumerate(zip([x, 2 * x, x ** 2], X), start=1):
        total = total + i * np.sum(w * r)
    return total


def test_zip_of_a_list_and_an_array():
    x = 0.5 * M34[0]
    assert_grad_matches_fd(zip_weights_and_rows, ([1.0, 2.0, 3.0], M34), wrt=1)
    assert_grad_matches_fd(zip_weights_and_rows, ([x, -x, 2 * x], M34), wrt=(0, 1))
    assert_grad_matches_fd(zip_computed_list_and_rows, (x, M34), wrt=(0, 1))
    assert_grad_matches_fd(zip_rows_and_shorter_list, (x, M34), wrt=(0, 1))
    assert_grad_matches_fd(enumerate_zip_list_and_rows, (x, M34), wrt=(0, 1))


def test_zip_with_a_shorter_array_is_refused_where_python_would_stop_early():
    ws = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(sct.SctError, match="zip") as e:
        sct.grad(zip_weights_and_rows, wrt=1)(ws, M34)
    assert "test_everyday_python.py" in str(e.value)


def enumerate_known_list_start_keyword(x):
    total = 0.0
    for i, w in enumerate([x, 2 * x], start=1):
        total = total + i * np.sum(w)
    return total


def enumerate_known_list_computed_start(x, k):
    total = 0.0
    for i, w in enumerate([x, np.sin(x)], k):
        total = total + i * np.sum(w)
    return total


def test_enumerate_of_a_known_list_with_a_start():
    # enumerate(..., start=1) of a list literal used to lower as a library call whose
    # items got no adjoint: a zero gradient. A computed start used to be read as 0.
    assert_grad_matches_fd(enumerate_known_list_start_keyword, (X3,))
    assert_grad_matches_fd(enumerate_known_list_computed_start, (X3, 3))


# ---- sorted(), dict()


def sum_over_sorted_keys(params):
    total = 0.0
    for name in sorted(params):
        total = 0.5 * total + np.sum(params[name] ** 2)
    return total


def sorted_items_by_key_reversed(params):
    total = 0.0
    for name, value in sorted(params.items(), key=lambda kv: kv[0], reverse=True):
        total = 0.5 * total + np.sum(np.tanh(value))
    return total


def sorted_items_plain(params):
    flat = [v.ravel() for _, v in sorted(params.items())]
    return np.sum(np.concatenate(flat) * np.arange(9.0))


def sorted_computed_numbers(x):
    a, b, c = sorted([np.sum(x), np.sum(x ** 2), np.sum(np.sin(x))])
    return a + 2 * b + 3 * c


def sorted_arrays_by_computed_key(x):
    ordered = sorted([x, x ** 2, np.sin(x)], key=lambda v: np.sum(v), reverse=True)
    return np.sum(ordered[0] + 2 * ordered[1] + 3 * ordered[2])


def sorted_array_values(x):
    s = sorted(x)
    return s[0] + 2 * s[1] + 3 * s[-1]


def sorted_loop_list(X):
    norms = []
    for r in X:
        norms.append(np.sum(r * r))
    top = sorted(norms, reverse=True)
    return top[0] - top[-1] + 0.5 * sum(top)


def dict_of_keywords_and_pairs(x):
    d = dict(a=x, b=2 * x)
    e = dict([("c", x ** 2)], k=x)
    f = dict(zip(["p", "q"], [x, np.sin(x)]))
    g = dict(d, b=3 * x)
    return np.sum(d["a"] * d["b"]) + np.sum(e["c"] + e["k"]) + np.sum(f["q"] * g["b"]) + len(dict())


def test_sorted_dict_keys_and_items():
    params = {"w2": X3, "b": 2 * X3[:2], "w1": -X3}
    assert_grad_matches_fd(sum_over_sorted_keys, (params,))
    assert_grad_matches_fd(sorted_items_by_key_reversed, (params,))
    assert_grad_matches_fd(sorted_items_plain, ({"w": M34[:2, :3].copy(), "b": X3},))


def test_sorted_computed_values():
    assert_grad_matches_fd(sorted_computed_numbers, (X3,))
    assert_grad_matches_fd(sorted_arrays_by_computed_key, (X3,))
    assert_grad_matches_fd(sorted_array_values, (X3,))
    assert_grad_matches_fd(sorted_loop_list, (M34,))


def test_dict_calls():
    assert_grad_matches_fd(dict_of_keywords_and_pairs, (X3,))


def dict_with_computed_key(x, name):
    d = dict([(name, x)])
    return np.sum(d["a"])


def test_dict_with_a_computed_key_is_refused():
    with pytest.raises(sct.SctError, match="computed key"):
        sct.grad(dict_with_computed_key)(X3, "a" * 1)


# ---- namedtuples: made in the function and passed in

Point = collections.namedtuple("Point", ["x", "y"])


class Affine(NamedTuple):
    W: np.ndarray
    b: np.ndarray
    scale: float = 2.0

    def apply(self, v):
        return self.scale * np.tanh(self.W @ v + self.b)


def namedtuple_fields_index_unpack(x):
    p = Point(x, x ** 2)
    q = p._replace(y=3 * x)
    a, b = q
    return np.sum(p.x * p.y) + np.sum(q.y) + np.sum(a * b) + np.sum(p[1]) + len(p)


def namedtuple_in_a_loop(x):
    p = Point(x, 0.0 * x)
    for i in range(3):
        p = p._replace(y=p.y + p.x * i)
    return np.sum(p.y ** 2)


def namedtuple_method(W, b, v):
    layer = Affine(W, b)
    return np.sum(layer.apply(v)) + np.sum(layer[0])


def namedtuple_asdict_and_make(x):
    p = Point._make([x, np.sin(x)])
    d = p._asdict()
    return sum(np.sum(d[k] * (i + 1)) for i, k in enumerate(sorted(d)))


def namedtuple_iterated(x):
    total = 0.0
    for part in Point(x, 2 * x):
        total = total + np.sum(np.cos(part))
    return total + np.sum(np.stack([*Point(x, x)]))


def namedtuple_argument(layer, v):
    W, b, scale = layer
    return np.sum(layer.apply(v)) + scale * np.sum(W[0]) + np.sum(b)


def test_namedtuple_made_in_the_function():
    W = M34[:2, :3].copy()
    assert_grad_matches_fd(namedtuple_fields_index_unpack, (X3,))
    assert_grad_matches_fd(namedtuple_in_a_loop, (X3,))
    assert_grad_matches_fd(namedtuple_method, (W, X3[:2], X3), wrt=(0, 1, 2))
    assert_grad_matches_fd(namedtuple_asdict_and_make, (X3,))
    assert_grad_matches_fd(namedtuple_iterated, (X3,))


def _field_fd(f, obj, rest, eps=1e-6):
    """Central differences of f(obj, *rest) with respect to each float field of `obj`."""
    from conftest import numerical_grad
    grads = {}
    for name, value in zip(type(obj)._fields, obj):
        def g(v, name=name):
            return f(obj._replace(**{name: v}), *rest)
        grads[name] = numerical_grad(g, [value], 0, eps)
    return grads


def test_namedtuple_argument_gradient_is_a_namedtuple():
    layer = Affine(M34[:2, :3].copy(), X3[:2].copy(), 3.0)
    grad_layer, grad_v = sct.grad(namedtuple_argument, wrt=(0, 1))(layer, X3)
    assert type(grad_layer) is Affine
    expected = _field_fd(namedtuple_argument, layer, (X3,))
    for name in Affine._fields:
        np.testing.assert_allclose(getattr(grad_layer, name), expected[name], rtol=1e-6, atol=1e-8)
        assert np.shape(getattr(grad_layer, name)) == np.shape(getattr(layer, name))
    from conftest import numerical_grad
    np.testing.assert_allclose(grad_v, numerical_grad(namedtuple_argument, [layer, X3], 1), rtol=1e-6)


def namedtuple_field_write(x):
    p = Point(x, x)
    p.x = 2 * x
    return np.sum(p.x)


def test_namedtuple_field_write_is_refused_as_python_refuses_it():
    with pytest.raises(AttributeError):
        namedtuple_field_write(X3)
    with pytest.raises(sct.SctError, match="namedtuple") as e:
        sct.grad(namedtuple_field_write)(X3)
    assert "_replace" in str(e.value)


# ---- frozen dataclasses, default_factory, dataclasses.replace


@dataclass(frozen=True)
class TrainConfig:
    lr: float = 0.1
    scale: float = 2.0
    tags: list = field(default_factory=list)
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(3))


@dataclass(frozen=True)
class Normalized:
    a: np.ndarray
    b: np.ndarray = None
    total: float = field(init=False, default=0.0)

    def __post_init__(self):
        object.__setattr__(self, "total", np.sum(self.a))
        if self.b is None:
            object.__setattr__(self, "b", 2 * self.a)


@dataclass
class Accumulator:
    items: list = field(default_factory=list)
    weights: dict = field(default_factory=dict)

    def add(self, name, v, w=1.0):
        self.items.append(v)
        self.weights[name] = w


def frozen_config_with_factories(x):
    c = TrainConfig(scale=np.sum(x))
    c.tags.append(x)
    return np.sum(c.scale * x + c.lr) + len(c.tags) + np.sum(c.buffer + c.tags[0])


def frozen_post_init(x):
    n = Normalized(x)
    return n.total * np.sum(n.b)


def frozen_replace(x):
    c = TrainConfig(scale=2.0)
    c2 = dataclasses.replace(c, scale=np.sum(x ** 2))
    return c2.scale * c.scale + c2.lr + np.sum(c2.buffer)


def factory_fields_filled(x):
    acc = Accumulator()
    acc.add("a", x)
    acc.add("b", np.sin(x), 0.5)
    other = Accumulator()  # a new list and dict of its own
    return sum(acc.weights[k] * np.sum(v) for k, v in zip(sorted(acc.weights), acc.items)) + len(other.items)


def frozen_config_argument(config, x):
    return config.scale * np.sum(x ** 2) + config.lr


def test_frozen_dataclasses_and_factories():
    assert_grad_matches_fd(frozen_config_with_factories, (X3,))
    assert_grad_matches_fd(frozen_post_init, (X3,))
    assert_grad_matches_fd(frozen_replace, (X3,))
    assert_grad_matches_fd(factory_fields_filled, (X3,))


def test_frozen_dataclass_argument():
    config = TrainConfig(lr=0.3, scale=1.5)
    grad_config, grad_x = sct.grad(frozen_config_argument, wrt=(0, 1))(config, X3)
    assert type(grad_config) is TrainConfig
    assert grad_config.lr == pytest.approx(1.0) and grad_config.scale == pytest.approx(np.sum(X3 ** 2))
    np.testing.assert_allclose(grad_x, 2 * 1.5 * X3)


def frozen_field_write(x):
    c = TrainConfig()
    c.lr = np.sum(x)
    return c.lr


def test_frozen_field_write_is_refused_as_python_refuses_it():
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen_field_write(X3)
    with pytest.raises(sct.SctError, match="frozen") as e:
        sct.grad(frozen_field_write)(X3)
    assert "dataclasses.replace" in str(e.value)


# ---- lambdas handed straight to sct, and lambdas kept in globals, closures and lists

square_all = lambda v: v ** 2  # noqa: E731
ACTIVATIONS = [lambda v: v ** 2, lambda v: np.sin(v)]
ACTIVATION_BY_NAME = {"tanh": lambda z: np.tanh(z), "cube": lambda z: z ** 3}


def calls_a_global_lambda(x):
    return np.sum(square_all(x))


def calls_lambdas_from_a_list(x):
    return np.sum(ACTIVATIONS[0](x) + ACTIVATIONS[1](x))


def calls_lambdas_from_a_dict(x):
    return np.sum(ACTIVATION_BY_NAME["tanh"](x) * ACTIVATION_BY_NAME["cube"](x))


def make_closure_gradient(k):
    scaled = lambda v: k * v ** 2  # noqa: E731
    return sct.grad(lambda x: np.sum(scaled(x)))


def test_lambda_handed_to_grad_vjp_value_and_grad():
    np.testing.assert_allclose(sct.grad(lambda x: np.sum(x ** 2))(X3), 2 * X3)
    cube, sine = sct.grad(lambda x: np.sum(x ** 3)), sct.grad(lambda x: np.sum(np.sin(x)))  # two on one line
    np.testing.assert_allclose(cube(X3), 3 * X3 ** 2)
    np.testing.assert_allclose(sine(X3), np.cos(X3))
    out, pullback = sct.vjp(lambda x, y: x * y, X3, 2 * X3)
    np.testing.assert_allclose(out, 2 * X3 ** 2)
    gx, gy = pullback(np.ones(3))
    np.testing.assert_allclose(gx, 2 * X3)
    np.testing.assert_allclose(gy, X3)
    value, g = sct.value_and_grad(lambda x: np.sum(np.tanh(x)))(X3)
    assert value == pytest.approx(np.sum(np.tanh(X3)))
    np.testing.assert_allclose(g, 1 - np.tanh(X3) ** 2)
    spread = sct.grad(
        lambda x, y:
            np.sum(x * y),
        wrt=(0, 1))
    gx, gy = spread(X3, 2 * X3)
    np.testing.assert_allclose(gx, 2 * X3)
    np.testing.assert_allclose(gy, X3)
    np.testing.assert_allclose(make_closure_gradient(3.0)(X3), 6 * X3)


def test_lambda_on_a_line_with_a_nested_lambda():
    g = sct.grad(lambda x: np.sum((lambda u: u * x)(x)))  # the outer one, by its code's positions
    np.testing.assert_allclose(g(X3), 2 * X3)


def test_lambda_source_is_readable():
    g = sct.grad(lambda x: np.sum(x ** 2))
    assert "def dlambda_(x):" in g.source
    assert "bx = 2.0 * x" in g.source


def test_lambdas_kept_in_globals_and_containers():
    assert_grad_matches_fd(calls_a_global_lambda, (X3,))
    assert_grad_matches_fd(calls_lambdas_from_a_list, (X3,))
    assert_grad_matches_fd(calls_lambdas_from_a_dict, (X3,))


TWO_LAMBDAS_WITHOUT_POSITIONS = """
import numpy as np, sct
from sct.frontend import source
x = np.array([0.3, 0.7])
f, g = lambda x: np.sum(x * 2.0), lambda x: np.sum(x * 3.0)
print(sct.grad(f)(x).tolist(), sct.grad(g)(x).tolist())
h, k = lambda x: np.sum(x * x), lambda x: np.sum(x * x)
print(sct.grad(h)(x).tolist(), sct.grad(k)(x).tolist())
p, q = lambda x: np.sum(x * a), lambda x: np.sum(a * x)
a = 2.0
try:
    sct.grad(p)(x)
except sct.SctError as e:
    print("refused", "cannot tell apart" in str(e))
"""


def test_lambdas_told_apart_without_code_positions(tmp_path):
    # Without column positions (python -X no_debug_ranges), lambdas on one line are told
    # apart by their parameters, names and constants; only look-alikes with different
    # source are refused.
    import subprocess
    import sys
    script = tmp_path / "two_lambdas.py"
    script.write_text(TWO_LAMBDAS_WITHOUT_POSITIONS)
    root = str(__import__("pathlib").Path(sct.__file__).resolve().parents[1])
    run = subprocess.run([sys.executable, "-X", "no_debug_ranges", str(script)], capture_output=True, text=True,
                         env={**__import__("os").environ, "PYTHONPATH": root})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "[2.0, 2.0] [3.0, 3.0]"
    assert lines[1] == "[0.6, 1.4] [0.6, 1.4]"
    assert lines[2] == "refused True"


# ---- functions as default arguments (and passed in)


def mse(a, b):
    return np.mean((a - b) ** 2)


def mae(a, b):
    return np.mean(np.abs(a - b))


def loss_with_default_function(x, y, loss_fn=mse):
    return loss_fn(x, y)


def activation_default(x, act=np.tanh, scale=2.0):
    return np.sum(act(scale * x))


def local_def_with_function_default(x, y):
    def inner(a, f=mse, g=np.sin):
        return f(g(a), y)
    return inner(x) + inner(x, mae)


def function_argument(x, f):
    return np.sum(f(x) * x)


def test_function_as_a_default_argument():
    y = np.array([0.1, 0.2, 0.9])
    assert_grad_matches_fd(loss_with_default_function, (X3, y), wrt=(0, 1))
    assert_grad_matches_fd(activation_default, (X3,))
    assert_grad_matches_fd(local_def_with_function_default, (X3, y), wrt=(0, 1))


def test_function_argument_specializes_by_identity():
    from conftest import numerical_grad
    y = np.array([0.1, 0.2, 0.9])
    g = sct.grad(loss_with_default_function)
    for loss in (mae, mse, mae):  # each function its own code, never the other's
        np.testing.assert_allclose(g(X3, y, loss), numerical_grad(lambda a: loss(a, y), [X3], 0), rtol=1e-6)
    np.testing.assert_allclose(g(X3, y), numerical_grad(lambda a: mse(a, y), [X3], 0), rtol=1e-6)
    h = sct.grad(function_argument)
    for f in (np.sin, np.tanh, lambda v: v ** 2, np.sin):
        np.testing.assert_allclose(h(X3, f), numerical_grad(lambda a: function_argument(a, f), [X3], 0),
                                   rtol=1e-6, atol=1e-9)


def test_shape_generic_code_for_a_function_default_checks_the_function():
    source = sct.grad(loss_with_default_function).source
    assert "check_default_function(loss_fn, mse" in source
    from conftest import generic_gradient
    generic = generic_gradient(loss_with_default_function, 0)
    y = np.array([0.1, 0.2, 0.9])
    with pytest.raises(sct.SctError, match="made for loss_fn=mse"):
        generic(X3, y, mae)


# ---- list.insert, dict.update and friends on containers known when lowering


def list_insert_pop_reverse(x):
    xs = [x]
    xs.insert(0, 2 * x)
    xs.insert(10, x ** 2)  # past the end: appended, as Python clamps it
    xs.insert(-1, np.sin(x))
    last = xs.pop(1)
    xs.reverse()
    return np.sum(xs[0] * xs[1]) + np.sum(last * xs[-1])


def dict_update_setdefault_pop(x):
    d = {"a": x}
    d.update({"b": x ** 2})
    d.update(c=3 * x)
    d.update([("a", np.cos(x))], e=x)
    s = d.setdefault("f", 0.5 * x)
    t = d.setdefault("a", x)
    gone = d.pop("e")
    missing = d.pop("zz", 0.25)
    return np.sum(d["a"] + d["b"] * d["c"]) + np.sum(s * t) + np.sum(gone) * missing + len(d)


def params_updated_in_a_helper(params, scale):
    params.update(w=params["w"] * scale)


def dict_updated_by_a_helper(w, scale):
    params = {"w": w}
    params_updated_in_a_helper(params, scale)
    return np.sum(params["w"] ** 2)


def test_list_and_dict_methods():
    assert_grad_matches_fd(list_insert_pop_reverse, (X3,))
    assert_grad_matches_fd(dict_update_setdefault_pop, (X3,))
    assert_grad_matches_fd(dict_updated_by_a_helper, (X3, 1.5), wrt=(0, 1))


# ---- a.fill(v), and writes through an item read: M[i][j] = v, self.W[i] = v, d["W"][0] = v


def fill_with_a_computed_value(x):
    a = np.zeros(3)
    a.fill(np.sum(x))
    b = np.ones((2, 3))
    b[0].fill(2.0)  # a row is a view: b changes
    return np.sum(a * x) + np.sum(b * x)


def fill_then_write(x):
    a = np.empty(3)
    a.fill(0.5)
    a[1] = x[0] ** 2
    return np.sum(a * x)


def write_through_rows(x):
    M = np.zeros((2, 3))
    M[0][1] = np.sum(x)
    M[1][2] = x[0] ** 2
    M[1][:2] = x[1:] * 3.0
    return np.sum(M * M)


def write_through_rows_in_a_loop(x):
    M = np.zeros((3, 3))
    for i in range(3):
        M[i][i] = x[i] ** 2
        M[i][0] += x[i]
    return np.sum(M @ x)


def write_through_list_of_lists(x):
    grid = [[x, 2 * x], [x ** 2, 0.0 * x]]
    grid[1][1] = np.sin(x)
    grid[0][0] += 1.0
    return np.sum(grid[0][0] * grid[1][1]) + np.sum(grid[1][0])


def write_through_dict_of_arrays(x):
    params = {"W": np.zeros((2, 3)), "b": np.zeros(2)}
    params["W"][0] = x
    params["b"][1] = np.sum(x)
    return np.sum(params["W"] @ x + params["b"])


class Buffer:
    def __init__(self, n):
        self.values = np.zeros(n)
        self.count = 0

    def put(self, i, v):
        self.values[i] = v
        self.count += 1


def write_through_attribute(x):
    buffer = Buffer(3)
    for i in range(3):
        buffer.put(i, x[i] ** 2)
    return np.sum(buffer.values * x) + buffer.count


def test_fill():
    assert_grad_matches_fd(fill_with_a_computed_value, (X3,))
    assert_grad_matches_fd(fill_then_write, (X3,))


def test_writes_through_an_item_read():
    assert_grad_matches_fd(write_through_rows, (X3,))
    assert_grad_matches_fd(write_through_rows_in_a_loop, (X3,))
    assert_grad_matches_fd(write_through_list_of_lists, (X3,))
    assert_grad_matches_fd(write_through_dict_of_arrays, (X3,))
    assert_grad_matches_fd(write_through_attribute, (X3,))


def write_through_fancy_index(x):
    M = np.zeros((3, 3))
    M[[0, 1]][0] = x  # a copy: Python loses this write
    return np.sum(M) + np.sum(x)


def write_through_computed_index(x, rows):
    M = np.zeros((3, 3))
    M[rows][:] = x
    return np.sum(M * M) + np.sum(x)


def test_write_through_a_copy_is_refused():
    with pytest.raises(sct.SctError, match="copy") as e:
        sct.grad(write_through_fancy_index)(X3)
    assert "test_everyday_python.py" in str(e.value)
    assert_grad_matches_fd(write_through_computed_index, (X3, 1))  # an int: a view
    with pytest.raises(sct.SctError, match="copy"):
        sct.grad(write_through_computed_index)(X3, np.array([0, 2]))


def view_read_before_write_through(x):
    M = np.zeros((2, 3))
    row = M[0]
    M[0][1] = np.sum(x)
    return np.sum(row)


def test_a_view_read_after_a_write_through_is_stale():
    with pytest.raises(sct.SctError, match="shares memory"):
        sct.grad(view_read_before_write_through)(X3)


# ---- reduction keywords: where=, dtype=, initial=

V4 = np.array([0.31, 0.74, 0.22, 0.93])


def sum_and_mean_where(x):
    return np.sum(x ** 2, where=x > 0.5) + np.mean(x, where=x < 0.5)


def sum_and_mean_where_along_axes(M):
    return np.sum(np.sum(M ** 2, axis=0, where=M > 0)) + \
        np.sum(np.mean(M, axis=1, where=M < 0.5, keepdims=True) * 3) + \
        np.sum(M.sum(axis=1, where=[True, False, True, True]))


def reductions_with_dtype(x):
    return np.sum(x, dtype=np.float64) + np.mean(x ** 2, dtype=np.float64) + x.sum(dtype=float) + \
        np.mean(x, axis=0, dtype="float64")


def sum_to_integer_dtype(x):
    return np.sum(x * 10, dtype=int) + np.sum(x)  # no gradient through the integer sum


def max_min_initial(x):
    return np.max(x, initial=0.0) + np.max(x - 10, initial=0.0) + np.min(x, initial=0.5)


def max_computed_initial(x, c):
    return np.max(x, initial=c) * 2.0


def max_initial_along_axes(M):
    return np.sum(np.max(M, axis=1, initial=0.3) ** 2) + np.sum(M.max(axis=0, initial=0.0, keepdims=True))


def max_where_initial(M):
    return np.sum(np.max(M, axis=0, initial=-1.0, where=M < 0.8)) + np.min(M, initial=2.0, where=M > 0)


def sum_computed_initial(x, c):
    return np.sum(x, initial=c) ** 2


def test_where_keyword():
    assert_grad_matches_fd(sum_and_mean_where, (V4,))
    assert_grad_matches_fd(sum_and_mean_where_along_axes, (M34 - 0.2,))


def test_dtype_keyword():
    assert_grad_matches_fd(reductions_with_dtype, (V4,))
    np.testing.assert_allclose(sct.grad(sum_to_integer_dtype)(V4), np.ones(4))
    assert_grad_matches_fd(sum_to_integer_dtype, (V4,))


def test_initial_keyword():
    assert_grad_matches_fd(max_min_initial, (V4,))
    assert_grad_matches_fd(max_computed_initial, (V4, 0.5), wrt=(0, 1))  # the array's max wins
    assert_grad_matches_fd(max_computed_initial, (V4, 1.5), wrt=(0, 1))  # initial wins
    assert_grad_matches_fd(max_initial_along_axes, (M34,))
    assert_grad_matches_fd(max_where_initial, (M34 - 0.2,))
    assert_grad_matches_fd(sum_computed_initial, (V4, 0.5), wrt=(0, 1))


def test_max_initial_tie_is_shared():
    g_x, g_c = sct.grad(max_computed_initial, wrt=(0, 1))(np.array([0.2, 0.5]), 0.5)
    np.testing.assert_allclose(g_x, [0.0, 1.0])
    assert g_c == pytest.approx(1.0)


# ---- classmethod and staticmethod constructors; len(), truth and [] of objects


class Dense:
    SCALE = 2.0

    def __init__(self, W, b=None):
        self.W = W
        self.b = np.zeros(W.shape[0]) if b is None else b

    @classmethod
    def like(cls, x, k=2.0):
        return cls(np.ones((2, x.shape[0])) * k + cls.SCALE)

    @classmethod
    def from_params(cls, params):
        return cls(params["W"], params["b"])

    @staticmethod
    def act(z):
        return np.tanh(z)

    @staticmethod
    def glorot(n, m):
        return Dense(np.full((n, m), 0.1))

    def __call__(self, x):
        return self.act(self.W @ x + self.b)

    def rescaled(self, k):
        return self.from_params({"W": self.W * k, "b": self.b})


def classmethod_constructor(x):
    layer = Dense.like(x)
    return np.sum(layer(x)) + np.sum(Dense.act(x))


def classmethod_from_params(W, b, x):
    layer = Dense.from_params({"W": W, "b": b})
    half = layer.rescaled(0.5)  # a classmethod called through the object
    return np.sum(layer(x) * half(x))


def staticmethod_constructor(x):
    layer = Dense.glorot(2, 3)
    return np.sum(layer(x) ** 2)


class Batch:
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class Flag:
    def __init__(self, on):
        self.on = on

    def __bool__(self):
        return self.on


def len_truth_and_items_of_objects(x):
    batch, empty = Batch([x, 2 * x]), Batch([])
    t = 1.0 if empty else 2.0
    s = 3.0 if batch else 0.0
    u = 0.5 if Flag(bool(np.sum(x) > 1.0)) else 4.0
    return np.sum(x) * len(batch) + np.sum(batch[1]) * t * s * u


def test_classmethod_and_staticmethod_constructors():
    W = M34[:2, :3].copy()
    assert_grad_matches_fd(classmethod_constructor, (X3,))
    assert_grad_matches_fd(classmethod_from_params, (W, X3[:2], X3), wrt=(0, 1, 2))
    assert_grad_matches_fd(staticmethod_constructor, (X3,))


def test_len_truth_and_getitem_of_objects():
    assert_grad_matches_fd(len_truth_and_items_of_objects, (X3,))
    assert_grad_matches_fd(len_truth_and_items_of_objects, (3 * X3,))


def len_of_object_without_len(x):
    return len(Flag(True)) * np.sum(x)


def test_len_of_an_object_without_len_is_refused():
    with pytest.raises(TypeError):
        len_of_object_without_len(X3)
    with pytest.raises(sct.SctError, match="has no len"):
        sct.grad(len_of_object_without_len)(X3)


# ---- map() and functools.reduce()


def map_lambda_over_a_list(xs):
    return sum(map(lambda v: np.sum(v ** 2), xs))


def map_library_function(x):
    parts = list(map(np.tanh, [x, 2 * x]))
    return np.sum(parts[0] + parts[1])


def map_two_lists(x):
    return sum(map(lambda a, b: np.sum(a * b), [x, x ** 2], [np.sin(x), x]))


def map_over_rows(X):
    return np.sum(np.stack(list(map(np.tanh, X))))


def map_over_two_arrays(X, Y):
    return sum(map(lambda r, s: np.sum(r * s), X, Y))


def loop_over_map_of_rows(X):
    total = 0.0
    for v in map(lambda r: r * 2.0, X):
        total = total + np.sum(v ** 2)
    return total


def map_own_function_over_list_and_rows(ws, X):
    return sum(map(weighted_norm, ws, X))


def weighted_norm(w, r):
    return w * np.sum(r ** 2)


def reduce_product(x):
    return np.sum(functools.reduce(lambda a, b: a * b, [x, 2 * x, 3 * x]))


def reduce_with_initial(x):
    return functools.reduce(lambda acc, v: acc + np.sum(v), [x, x ** 2], 0.0)


def reduce_operator(x):
    return np.sum(functools.reduce(operator.mul, [x, x, np.sin(x)]))


def reduce_rows(X):
    return np.sum(functools.reduce(lambda a, r: a * r, X))


def reduce_rows_with_initial(X, w):
    return functools.reduce(lambda acc, r: np.tanh(acc * w + np.sum(r)), X, 0.0)


def compose(*fs):
    return functools.reduce(lambda f, g: lambda v: g(f(v)), fs)


def reduce_to_compose_functions(x):
    h = compose(np.sin, np.tanh, lambda v: v ** 2)
    return np.sum(h(x))


def reduce_layers(x, layers):
    return np.sum(functools.reduce(lambda h, layer: np.tanh(layer[0] @ h + layer[1]), layers, x))


def test_map():
    assert_grad_matches_fd(map_lambda_over_a_list, ([X3, 2 * X3],))
    assert_grad_matches_fd(map_library_function, (X3,))
    assert_grad_matches_fd(map_two_lists, (X3,))
    assert_grad_matches_fd(map_over_rows, (M34,))
    assert_grad_matches_fd(map_over_two_arrays, (M34, M34 ** 2), wrt=(0, 1))
    assert_grad_matches_fd(loop_over_map_of_rows, (M34,))
    assert_grad_matches_fd(map_own_function_over_list_and_rows, ([1.0, 0.5, 2.0], M34), wrt=(0, 1))


def test_reduce():
    assert_grad_matches_fd(reduce_product, (X3,))
    assert_grad_matches_fd(reduce_with_initial, (X3,))
    assert_grad_matches_fd(reduce_operator, (X3,))
    assert_grad_matches_fd(reduce_rows, (M34,))
    assert_grad_matches_fd(reduce_rows_with_initial, (M34, 0.5), wrt=(0, 1))
    assert_grad_matches_fd(reduce_to_compose_functions, (X3,))
    layers = [(M34[:3, :3].copy(), X3), (M34[1:, 1:].copy(), -X3[:2])]
    assert_grad_matches_fd(reduce_layers, (X3, layers), wrt=(0, 1))


def reduce_empty(x, xs):
    return functools.reduce(lambda a, b: a + b, xs) * np.sum(x)


def test_reduce_of_nothing_is_refused_as_python_raises():
    with pytest.raises(TypeError):
        reduce_empty(X3, [])
    with pytest.raises(sct.SctError, match="empty iterable"):
        sct.grad(reduce_empty)(X3, [])


# ---- realistic programs mixing these forms (issue 10 §2)

# 1. config dataclass + dict of params with sorted keys
@dataclass(frozen=True)
class OptConfig:
    weight_decay: float = 0.01
    temperature: float = 1.0
    clip: float = 5.0

def regularized_loss(params, x, y, config=OptConfig()):
    h = x
    for name in sorted(params):
        if name.startswith("W"):
            h = np.tanh(h @ params[name])
    loss = np.mean((h - y) ** 2)
    penalty = sum(np.sum(params[k] ** 2) for k in sorted(params))
    return loss + config.weight_decay * penalty

# 2. reduce over layers (namedtuple layers)
class DenseLayer(NamedTuple):
    W: np.ndarray
    b: np.ndarray

def mlp_reduce(layers, x):
    out = functools.reduce(lambda h, l: np.tanh(h @ l.W + l.b), layers, x)
    return np.sum(out ** 2)

# 3. map over inputs with a loss function default
def mse_loss(a, b):
    return np.mean((a - b) ** 2)

def batch_loss(W, xs, ys, loss_fn=mse_loss):
    preds = list(map(lambda x: np.tanh(x @ W), xs))
    return sum(map(loss_fn, preds, ys)) / len(preds)

# 4. huber loss with chained comparisons (scalar) in a loop
def huber_sum(r, delta=1.0):
    total = 0.0
    for v in r:
        if -delta <= v <= delta:
            total = total + 0.5 * v ** 2
        else:
            total = total + delta * (abs(v) - 0.5 * delta)
    return total

# 5. array band mask
def band_energy(x, lo=0.2, hi=0.8):
    inside = (lo < x) & (x < hi)
    return np.sum(np.where(inside, x ** 2, 0.0)) + np.mean(x, where=~inside)

# 6. classmethod constructor from config
@dataclass
class LinearMap:
    W: np.ndarray
    b: np.ndarray

    @classmethod
    def from_dict(cls, d):
        return cls(d["W"], d["b"])

    def __call__(self, x):
        return x @ self.W + self.b

def classifier(params, x, labels):
    layer = LinearMap.from_dict(params)
    logits = layer(x)
    logits = logits - np.max(logits, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * labels, axis=1))

# 7. state as namedtuple, updated with _replace in a loop (ODE integrator)
State = collections.namedtuple("State", ["pos", "vel"])

def simulate(k, x0, steps=5, dt=0.1):
    s = State(x0, 0.0 * x0)
    for _ in range(steps):
        acc = -k * s.pos
        s = s._replace(vel=s.vel + dt * acc)
        s = s._replace(pos=s.pos + dt * s.vel)
    return np.sum(s.pos ** 2) + 0.5 * np.sum(s.vel ** 2)

# 8. dict(zip(...)) of named components
def mixture(weights, x):
    names = ["a", "b", "c"]
    comps = dict(zip(names, [np.sin(x), np.cos(x), x ** 2]))
    mix = dict(zip(names, weights))
    return sum(mix[n] * np.sum(comps[n]) for n in sorted(comps))

# 9. max over rows generator with a margin
def hinge_max(W, X, margin=1.0):
    scores = X @ W
    worst = max(np.sum(np.maximum(0.0, margin - s)) for s in scores)
    return worst + 0.1 * np.sum(W * W)

# 10. min over shape for square crop
def crop_trace(M):
    n = min(M.shape)
    total = 0.0
    for i in range(n):
        total = total + M[i, i] ** 2
    return total

# 11. lambda activation table (global dict)
ACTS = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "sq": lambda z: z * z}

def act_stack(x):
    return sum(np.sum(ACTS[k](x)) for k in sorted(("tanh", "relu", "sq")))

# 12. dataclass with default_factory accumulating history
@dataclass
class LossHistory:
    losses: list = field(default_factory=list)

    def record(self, v):
        self.losses.append(v)

    def __len__(self):
        return len(self.losses)

def gd_history(w, x, steps=3, lr=0.1):
    h = LossHistory()
    for _ in range(steps):
        loss = np.sum((w * x - 1.0) ** 2)
        h.record(loss)
        w = w - lr * 2 * (w * x - 1.0) * x
    return h.losses[-1] + 0.1 * h.losses[0] + len(h)

# 13. sorted by computed key: attention to top-2 entries
def top2(scores):
    vals = sorted([scores[0], scores[1], scores[2], scores[3]], reverse=True)
    return vals[0] + 0.5 * vals[1]

# 14. filling a matrix row by row with M[i][j]
def pairwise_matrix(x):
    n = x.shape[0]
    M = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            M[i][j] = (x[i] - x[j]) ** 2
    return np.sum(np.exp(-M))

# 15. a.fill then update
def smooth_fill(x):
    out = np.empty_like(x)
    out.fill(np.mean(x))
    out[1:-1] = 0.5 * (x[:-2] + x[2:])
    return np.sum(out * x)

# 16. list.insert/dict.update pipeline
def pipeline(x):
    stages = [np.tanh]
    stages.insert(0, lambda v: 2.0 * v)
    stages.append(np.sin)
    cache = {}
    h = x
    for i, f in enumerate(stages):
        h = f(h)
        cache.update({f"s{i}": h})
    return sum(np.sum(cache[k]) for k in sorted(cache))

# 17. staticmethod helpers on a model class
class EnergyModel:
    def __init__(self, W):
        self.W = W

    @staticmethod
    def softplus(z):
        return np.log1p(np.exp(z))

    @classmethod
    def identity(cls, n):
        return cls(np.eye(n))

    def energy(self, x):
        return np.sum(self.softplus(self.W @ x))

def model_energy(x):
    m = EnergyModel.identity(x.shape[0])
    m2 = EnergyModel(2.0 * m.W)
    return m.energy(x) + m2.energy(x)

# 18. max with initial (relu-like reduction) and where
def masked_peak(x):
    return np.max(x, initial=0.0) + np.max(x - 1.0, initial=0.0) + np.max(x, where=x < 0.5, initial=-1.0)

# 19. dtype keyword in normalization
def normalize(x):
    mu = np.mean(x, dtype=np.float64)
    var = np.mean((x - mu) ** 2, dtype=np.float64)
    return np.sum((x - mu) / np.sqrt(var + 1e-3) * np.arange(x.shape[0]))

# 20. function passed as argument (gradient wrt weights)
def apply_loss(w, x, y, loss=mse_loss, act=np.tanh):
    return loss(act(w * x), y)

# 21. zip of a list of weights and array rows
def weighted_rows(X, weights=(1.0, 0.5, 0.25)):
    return sum(w * np.sum(np.sin(r)) for w, r in zip(weights, X))

# 22. nested config: frozen dataclass holding a namedtuple
class Bounds(NamedTuple):
    lo: float
    hi: float

@dataclass(frozen=True)
class Clipper:
    bounds: Bounds = Bounds(-0.5, 0.5)
    scale: float = 1.0

    def apply(self, x):
        lo, hi = self.bounds
        return self.scale * np.clip(x, lo, hi)

def clipped_loss(x):
    c = Clipper(scale=2.0)
    c2 = dataclasses.replace(c, bounds=c.bounds._replace(hi=0.6))
    return np.sum(c.apply(x) ** 2) + np.sum(c2.apply(x))

# 23. sorted(d.items()) to build a flat vector
def flatten_params(params):
    flat = np.concatenate([v.ravel() for _, v in sorted(params.items())])
    return np.sum(flat ** 2 * np.arange(flat.size))

# 24. reduce with operator.add over list comprehension
def sum_of_squares(xs):
    return functools.reduce(operator.add, [np.sum(v ** 2) for v in xs])

# 25. namedtuple returned by a helper
Stats = collections.namedtuple("Stats", "mean std")

def moments(x):
    m = np.mean(x)
    return Stats(m, np.sqrt(np.mean((x - m) ** 2)))

def zscore_loss(x):
    s = moments(x)
    mean, std = s
    return np.sum(((x - mean) / std) ** 3) + s.std

# 26. early-exit style: if a < b < c with run-time scalars
def piecewise(x, a=0.5, b=1.5):
    s = np.sum(x)
    if s < a:
        return s ** 2
    elif a <= s < b:
        return 2 * s
    return np.log(s)

# 27. len of an object and iteration through __getitem__-indexed dataset
class Dataset:
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        return self.X[i], self.y[i]

def dataset_loss(w, X, y):
    data = Dataset(X, y)
    total = 0.0
    for i in range(len(data)):
        xi, yi = data[i]
        total = total + (np.dot(xi, w) - yi) ** 2
    return total / len(data)

# 28. dict(params, k=v) override and **kwargs spread
def forward(x, W, b, scale=1.0):
    return scale * np.tanh(x @ W + b)

def override_call(x, W, b):
    base = dict(W=W, b=b)
    opts = dict(base, scale=0.5)
    return np.sum(forward(x, **opts)) + np.sum(forward(x, **base))

# 29. max/min keys over list of arrays with lambda key
def best_and_worst(xs):
    best = max(xs, key=lambda v: np.sum(v))
    worst = min(xs, key=lambda v: np.sum(v))
    return np.sum(best ** 2) - np.sum(worst)

# 30. map over a zip of list and array rows
def scaled_norms(X):
    scales = [1.0, 2.0, 3.0]
    return sum(map(lambda p: p[0] * np.sum(p[1] ** 2), zip(scales, X)))

# 31. lambda passed to grad through a closure factory
def make_loss(target):
    return lambda w: np.sum((w - target) ** 2)

# 32. M[i][j] += in a nested loop (covariance-like)
def gram_diag_weighted(X):
    n = X.shape[0]
    G = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            G[i][j] += np.dot(X[i], X[j])
    return np.sum(G * np.tri(n))

# 33. obj.W[i] = v inside a method (in-place update of an owned buffer)
class Filter:
    def __init__(self, n):
        self.taps = np.zeros(n)

    def set_tap(self, i, v):
        self.taps[i] = v

def fir(x, coeffs):
    f = Filter(3)
    for i in range(3):
        f.set_tap(i, coeffs[i])
    return np.sum(f.taps * x[:3]) ** 2


_R = np.random.default_rng(1)
_X = _R.normal(size=(3, 4))
_W = _R.normal(size=(3, 4)) * 0.5
_V4 = np.array([0.31, 0.74, 0.22, 0.93])
REALISTIC = [
    (regularized_loss, ({"W1": _R.normal(size=(3, 4)), "W2": _R.normal(size=(4, 2)), "b": _R.normal(size=2)},
                        _X[:, :3].copy(), _R.normal(size=(3, 2))), 0),
    (batch_loss, (_W, [X3, 2 * X3], [_V4, -_V4]), 0),
    (huber_sum, (np.array([0.5, -2.0, 0.3, 1.7]),), 0),
    (band_energy, (np.linspace(0.01, 1.01, 7),), 0),
    (classifier, ({"W": _W, "b": _V4}, _X[:, :3].copy(), np.eye(4)[:3]), 0),
    (simulate, (1.5, X3), (0, 1)),
    (mixture, ([0.5, 1.0, 2.0], X3), (0, 1)),
    (hinge_max, (_W, _X[:, :3].copy()), (0, 1)),
    (crop_trace, (_X,), 0),
    (act_stack, (X3 - 0.4,), 0),
    (gd_history, (X3, _V4[:3]), (0, 1)),
    (top2, (_V4,), 0),
    (pairwise_matrix, (X3,), 0),
    (smooth_fill, (_V4,), 0),
    (pipeline, (X3,), 0),
    (model_energy, (X3,), 0),
    (masked_peak, (_V4,), 0),
    (normalize, (_V4,), 0),
    (apply_loss, (X3, _V4[:3], X3 * 0.5), (0, 1)),
    (weighted_rows, (_X,), 0),
    (clipped_loss, (_V4 - 0.5,), 0),
    (flatten_params, ({"w": _X[:2, :2].copy(), "a": X3},), 0),
    (sum_of_squares, ([X3, _V4],), 0),
    (zscore_loss, (_V4,), 0),
    (piecewise, (X3 * 0.2,), 0),
    (piecewise, (X3,), 0),
    (piecewise, (X3 * 3,), 0),
    (dataset_loss, (_V4, _X, X3), (0, 1, 2)),
    (override_call, (X3, _W, _V4), (0, 1, 2)),
    (best_and_worst, ([X3, 2 * X3, -X3],), 0),
    (scaled_norms, (_X,), 0),
    (gram_diag_weighted, (_X,), 0),
    (fir, (_V4, X3), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", REALISTIC, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(REALISTIC)])
def test_realistic_program(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt=wrt)


def test_realistic_reduce_over_namedtuple_layers():
    from conftest import numerical_grad
    layers = [DenseLayer(_R.normal(size=(3, 4)) * 0.5, _R.normal(size=4)),
              DenseLayer(_R.normal(size=(4, 2)), _R.normal(size=2))]
    np.testing.assert_allclose(sct.grad(mlp_reduce, wrt=1)(layers, X3), numerical_grad(mlp_reduce, [layers, X3], 1),
                               rtol=1e-6)
    grads = sct.grad(mlp_reduce, wrt=0)(layers, X3)
    assert type(grads) is list and all(type(g) is DenseLayer for g in grads)
    for k in range(2):
        for name in ("W", "b"):
            def moved(v, k=k, name=name):
                return mlp_reduce([lay._replace(**{name: v}) if i == k else lay for i, lay in enumerate(layers)], X3)
            np.testing.assert_allclose(getattr(grads[k], name), numerical_grad(moved, [getattr(layers[k], name)], 0),
                                       rtol=1e-6, atol=1e-9)


def test_realistic_lambda_from_a_factory():
    target = 2 * X3
    np.testing.assert_allclose(sct.grad(make_loss(target))(X3), 2 * (X3 - target))


def named_zip_iterated(X, Y):
    total = 0.0
    pairs = zip(X, Y)  # a one-pass iterator made before the loop
    for p in pairs:
        total = total + np.sum(p[0] * p[1])
    return total


def test_loop_over_a_named_zip():
    assert_grad_matches_fd(named_zip_iterated, (_X, _X ** 2), wrt=(0, 1))


# ---- more realistic programs

def sort_by_get(d):
    order = sorted(d, key=lambda k: np.sum(d[k]))
    return np.sum(d[order[0]]) * 2 + np.sum(d[order[-1]])

def sort_by_dict_get(d):
    order = sorted(d, key=d.get)
    return d[order[0]] * 2 + d[order[-1]]

def dict_of_sorted_items(d):
    e = dict(sorted(d.items()))
    return sum(np.sum(v) * (i + 1) for i, v in enumerate(e.values()))

def transpose_pairs(x):
    pairs = [(x, 1.0), (2 * x, 0.5), (x ** 2, 0.25)]
    arrays, weights = zip(*pairs)
    return sum(w * np.sum(a) for a, w in zip(arrays, weights))

def reversed_sorted(x):
    vals = [np.sum(x), np.sum(x ** 2), np.sum(np.sin(x))]
    r = list(reversed(sorted(vals)))
    return r[0] - r[-1]

def chain_of_mats(A, B, C):
    return np.sum(functools.reduce(np.dot, [A, B, C]))

def chain_of_mats2(mats):
    return np.sum(functools.reduce(lambda a, b: a @ b, mats))

def map_sum(xs):
    return sum(map(np.sum, xs)) + sum(map(float, [np.sum(v) for v in xs]))

class Point2(NamedTuple):
    x: float
    y: float = 0.0
    @property
    def norm2(self):
        return self.x ** 2 + self.y ** 2

def nt_defaults(a):
    p = Point2(a)
    q = Point2(a, 2 * a)
    return p.norm2 + q.norm2 + Point2._field_defaults["y"]

def loop_chain(x, lo=0.1, hi=0.6):
    total = 0.0
    for i in range(x.shape[0]):
        if lo < x[i] < hi:
            total = total + x[i] ** 2
        elif x[i] >= hi:
            total = total - x[i]
    return total

def max_of_dict_values(d):
    return max(d.values(), key=lambda v: np.sum(v)).sum() + min(np.sum(v) for v in d.values())

def fill_slice(x):
    a = np.ones(4)
    a[1:].fill(np.sum(x))
    return np.sum(a * x)

def mean_dtype_keepdims(X):
    m = np.mean(X, axis=0, dtype=np.float64, keepdims=True)
    return np.sum((X - m) ** 2) + np.sum(np.max(X, axis=1, initial=-np.inf))

@dataclass
class Adam:
    lr: float = 0.1
    b1: float = 0.9
    state: dict = field(default_factory=dict)

    def step(self, name, w, g):
        m = self.state.get(name, 0.0)
        m = self.b1 * m + (1 - self.b1) * g
        self.state[name] = m
        return w - self.lr * m

def adam_steps(w, x):
    opt = Adam()
    for _ in range(3):
        g = 2 * (w * x - 1.0) * x
        w = opt.step("w", w, g)
    return np.sum((w * x - 1.0) ** 2)

@dataclass(frozen=True)
class FrozenNet:
    act: object = np.tanh
    scale: float = 1.0
    def __call__(self, W, x):
        return self.scale * self.act(W @ x)

def frozen_callable(W, x):
    net = FrozenNet(scale=2.0)
    net2 = dataclasses.replace(net, act=lambda z: z ** 2)
    return np.sum(net(W, x)) + np.sum(net2(W, x))

def enumerate_sorted(d):
    total = 0.0
    for i, (k, v) in enumerate(sorted(d.items(), key=lambda kv: kv[0]), start=1):
        total = total + i * np.sum(v ** 2)
    return total

def params_dataclass_arg(p, x):
    return np.sum(np.tanh(p.W @ x + p.b)) * p.scale

@dataclass(frozen=True)
class FrozenParams:
    W: np.ndarray
    b: np.ndarray
    scale: float = 1.0

def nested_writes(x):
    state = {"h": np.zeros((2, 3)), "count": 0}
    for i in range(2):
        state["h"][i] = x * (i + 1)
        state["count"] += 1
    return np.sum(state["h"] ** 2) * state["count"]

def min_max_mixed(x):
    n = max(len(x), 2)
    m = min(x.shape[0], 10, n)
    return np.sum(x[:m]) * max(np.sum(x), 0.5, key=lambda v: v)


_A, _B, _C = _R.normal(size=(2, 3)), _R.normal(size=(3, 3)), _R.normal(size=(3, 2))
_D = {"b": X3, "a": 2 * X3, "c": -X3}
REALISTIC_MORE = [
    (sort_by_get, (_D,), 0), (sort_by_dict_get, ({"b": 0.5, "a": 0.2, "c": 0.9},), 0),
    (dict_of_sorted_items, (_D,), 0), (transpose_pairs, (X3,), 0), (reversed_sorted, (X3,), 0),
    (chain_of_mats, (_A, _B, _C), (0, 1, 2)), (chain_of_mats2, ([_A, _B, _C],), 0), (map_sum, ([X3, _V4],), 0),
    (nt_defaults, (0.7,), 0), (loop_chain, (_V4,), 0), (max_of_dict_values, (_D,), 0), (fill_slice, (_V4,), 0),
    (mean_dtype_keepdims, (_X,), 0), (adam_steps, (X3, _V4[:3]), (0, 1)), (frozen_callable, (_A, X3), (0, 1)),
    (enumerate_sorted, (_D,), 0), (nested_writes, (X3,), 0), (min_max_mixed, (_V4,), 0),
]


@pytest.mark.parametrize("f, args, wrt", REALISTIC_MORE,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(REALISTIC_MORE)])
def test_more_realistic_programs(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt=wrt)


def test_frozen_dataclass_argument_with_arrays():
    from conftest import numerical_grad
    p = FrozenParams(_A, X3[:2].copy(), 2.0)
    gp, gx = sct.grad(params_dataclass_arg, wrt=(0, 1))(p, X3)
    assert type(gp) is FrozenParams
    np.testing.assert_allclose(gp.W, numerical_grad(lambda W: params_dataclass_arg(FrozenParams(W, p.b, 2.0), X3),
                                                    [_A], 0), rtol=1e-6)
    np.testing.assert_allclose(gp.scale, numerical_grad(lambda s: params_dataclass_arg(FrozenParams(_A, p.b, s), X3),
                                                        [2.0], 0), rtol=1e-6)
    np.testing.assert_allclose(gx, numerical_grad(params_dataclass_arg, [p, X3], 1), rtol=1e-6)


def test_vjp_of_a_lambda_with_a_tuple_output():
    out, pullback = sct.vjp(lambda a, b: (a * b, np.sum(a)), X3, 2 * X3)
    ga, gb = pullback((np.ones(3), 1.0))
    np.testing.assert_allclose(ga, 2 * X3 + 1)
    np.testing.assert_allclose(gb, X3)


def iterator_named_then_used_twice(x):
    parts = map(np.sin, [x, 2 * x])
    first = sum(np.sum(v) for v in parts)
    second = sum(np.sum(v) for v in parts)  # Python: 0, the map is used up
    return first + second


def zip_named_then_used(x):
    pairs = zip([x, 2 * x], [1.0, 2.0])
    return sum(w * np.sum(v) for v, w in pairs)


def map_of_rows_named(X):
    rows = map(np.tanh, X)
    return np.sum(np.stack(list(rows)))


def sums_twice(items):
    return sum(np.sum(v) for v in items) + sum(np.sum(v) for v in items)


def sums_once(items):
    return sum(np.sum(v) for v in items)


def iterator_passed_to_a_helper_using_it_twice(x):
    return sums_twice(map(np.sin, [x, 2 * x]))


def iterator_passed_to_a_helper_using_it_once(x):
    return sums_once(map(np.sin, [x, 2 * x]))


def is_an_iterator_a_list(x):
    items = zip([x], [x])
    return np.sum(x) * (2.0 if isinstance(items, list) else 3.0)


def iterator_read_in_a_loop(x):
    pairs = zip([x, 2 * x], [1.0, 2.0])
    total = 0.0
    for k in range(2):
        for v, w in pairs:  # Python: the second pass finds it used up
            total = total + k * w * np.sum(v)
    return total


def test_an_iterator_bound_to_a_name_is_used_once_or_refused():
    # used once where it is read: as Python's iterator would be
    assert_grad_matches_fd(zip_named_then_used, (X3,))
    assert_grad_matches_fd(map_of_rows_named, (M34,))
    assert_grad_matches_fd(iterator_passed_to_a_helper_using_it_once, (X3,))
    assert_grad_matches_fd(is_an_iterator_a_list, (X3,))  # a zip is no list
    # used twice, or in a loop: Python's is used up after the first, sct's items would not be
    assert iterator_named_then_used_twice(X3) == pytest.approx(np.sum(np.sin(X3)) + np.sum(np.sin(2 * X3)))
    for f, args in ((iterator_named_then_used_twice, (X3,)), (iterator_passed_to_a_helper_using_it_twice, (X3,)),
                    (iterator_read_in_a_loop, (X3,))):
        with pytest.raises(sct.SctError, match="iterator") as e:
            sct.grad(f)(*args)
        assert "list(...)" in str(e.value) and "test_everyday_python.py" in str(e.value)


def sorted_pairs_with_equal_first_items(x):
    # 1 == 1.0: Python compares the second items, computed ones, when it runs
    pairs = sorted([(1, np.sum(x)), (1.0, np.sum(x ** 2)), (0, np.sum(np.sin(x)))])
    return pairs[0][1] + 2 * pairs[1][1] + 3 * pairs[2][1]


def test_sorted_tuples_whose_first_items_tie():
    assert_grad_matches_fd(sorted_pairs_with_equal_first_items, (X3,))
    assert_grad_matches_fd(sorted_pairs_with_equal_first_items, (3 * X3,))


def test_lambdas_with_positional_only_keyword_only_and_default_parameters():
    g = sct.grad(lambda x, /, k=2.0, *, p=3.0: np.sum(k * x ** p))
    np.testing.assert_allclose(g(X3), 2.0 * 3.0 * X3 ** 2)


class Holder:
    pass


def iterator_kept_in_an_object(x):
    box = Holder()
    box.parts = map(np.sin, [x, 2 * x])
    return sum(np.sum(v) for v in box.parts) + sum(np.sum(v) for v in box.parts)


def iterator_kept_in_a_list(x):
    kept = [map(np.sin, [x, 2 * x])]
    return sum(np.sum(v) for v in kept[0]) + sum(np.sum(v) for v in kept[0])


def iterators_used_up_by_update_and_extend(x):
    d = {}
    d.update(zip(["a", "b"], [x, 2 * x]))
    xs = [x]
    xs.extend(map(np.sin, [x, x ** 2]))
    return np.sum(d["a"] * d["b"]) + sum(np.sum(v) for v in xs)


def test_an_iterator_put_in_a_container_or_object_is_refused():
    for f in (iterator_kept_in_an_object, iterator_kept_in_a_list):
        with pytest.raises(sct.SctError, match="iterator") as e:
            sct.grad(f)(X3)
        assert "list(zip(...))" in str(e.value)
    assert_grad_matches_fd(iterators_used_up_by_update_and_extend, (X3,))
