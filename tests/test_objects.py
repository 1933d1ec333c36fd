"""Objects made in the differentiated function: instances of the user's own classes
(with __init__, methods, properties, __call__), dataclasses and SimpleNamespace. Their
attributes are read, set and updated (`acc.total += v`), also inside methods, loops and
branches; gradients are checked against central finite differences, the generated code
for its structure, and what sct cannot follow for a located error."""
import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

import sct
from conftest import assert_grad_matches_fd, numerical_grad


class Dense:
    def __init__(self, W, b, act=np.tanh):
        self.W = W
        self.b = b
        self.act = act

    def __call__(self, x):
        return self.act(x @ self.W + self.b)

    @property
    def n_out(self):
        return self.W.shape[1]


class MLP:
    def __init__(self, W1, b1, W2, b2):
        self.layers = [Dense(W1, b1), Dense(W2, b2, act=np.sin)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def mlp_loss(W1, b1, W2, b2, x):
    net = MLP(W1, b1, W2, b2)
    return np.sum(net.forward(x) ** 2)


def dense_with_property(W, b, x):
    layer = Dense(W, b)
    return np.sum(layer(x)) * layer.n_out


class RunningMean:
    def __init__(self):
        self.total = 0.0
        self.count = 0

    def add(self, value):
        self.total += value
        self.count += 1

    def mean(self):
        return self.total / self.count


def running_mean_in_a_loop(x):
    stats = RunningMean()
    for v in x:
        stats.add(np.sin(v))
    stats.total *= 2.0
    return stats.mean()


def running_mean_in_a_branch(x):
    stats = RunningMean()
    stats.add(x[0])
    if x[1] > 0.0:
        stats.add(x[1] ** 2)
    else:
        stats.total -= x[2]
    return stats.mean()


@dataclasses.dataclass
class Scaled:
    W: np.ndarray
    scale: float = 2.0

    def __post_init__(self):
        self.W = self.W * self.scale


def dataclass_fields(W, x):
    p = Scaled(W)
    p.scale += 1.0
    return np.sum(np.tanh(x @ p.W)) * p.scale


def namespace_state(x):
    state = SimpleNamespace(h=x, steps=0)
    for _ in range(3):
        state.h = np.tanh(state.h * 1.5)
        state.steps += 1
    if np.sum(state.h) > 0:
        state.h = state.h * 2.0
    return np.sum(state.h) + state.steps


class Counter:
    pass


def set_through_another_name(x):
    c = Counter()
    alias = c
    alias.value = x * 3.0  # `c` is the same object
    box = [c]
    box[0].value = box[0].value + 1.0
    return np.sum(c.value * x)


rng = np.random.default_rng(11)
W1, b1, W2, b2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)
X = rng.normal(size=(5, 3))
V = np.array([0.3, -0.5, 1.2])

CASES = [
    (mlp_loss, (W1, b1, W2, b2, X), (0, 1, 2, 3, 4)),
    (dense_with_property, (W1, b1, X), (0, 1, 2)),
    (running_mean_in_a_loop, (V,), 0),
    (running_mean_in_a_branch, (V,), 0),
    (running_mean_in_a_branch, (-V,), 0),
    (dataclass_fields, (W1, X), (0, 1)),
    (namespace_state, (V,), 0),
    (namespace_state, (-V,), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_objects_made_in_the_function_match_finite_differences(f, args, wrt):
    assert_grad_matches_fd(f, args, wrt)


def test_a_write_through_another_name_is_seen_by_every_name_unless_it_is_in_a_list():
    with pytest.raises(sct.UnsupportedSyntaxError, match="attribute of an attribute or an item"):
        sct.grad(set_through_another_name)(V)


def aliased_object(x):
    c = Counter()
    alias = c
    alias.value = x * 3.0
    return np.sum(c.value * x)


def test_an_attribute_set_through_an_alias_is_seen_by_the_original():
    assert_grad_matches_fd(aliased_object, (V,), 0)


def test_a_loop_carries_an_objects_attributes_one_by_one():
    generic = sct.grad(running_mean_in_a_loop).source
    assert "stats_total, stats_count = (0.0, 0)" in generic
    specialized = sct.grad(running_mean_in_a_loop).source_for(V)
    assert "stats_count = stats_count + 1" in specialized  # the total is not needed once shapes are known
    for src in (generic, specialized):
        assert src.count("for v_") == 2  # the forward loop and the reversed loop
        assert "RunningMean" not in src  # no object at run time


class Holder:
    def __init__(self):
        self.value = 0.0


def returns_the_object(x):
    h = Holder()
    h.value = x
    return h  # ERR


def passes_the_object_to_numpy(x):
    h = Holder()
    return np.sum(np.asarray(h))  # ERR


def reads_a_missing_attribute(x):
    h = Holder()
    return np.sum(h.missing * x)  # ERR


@pytest.mark.parametrize("fn, words", [(returns_the_object, "returning an object"),
                                       (passes_the_object_to_numpy, "cannot be passed to np.asarray"),
                                       (reads_a_missing_attribute, "no attribute 'missing'")])
def test_what_sct_cannot_follow_is_refused_at_the_line(fn, words):
    with pytest.raises(sct.SctError) as info:
        sct.grad(fn)(V)
    assert words in str(info.value) and info.value.hint
    lines = open(__file__).read().splitlines()
    assert "# ERR" in lines[info.value.loc.line - 1]


# ---- objects passed in: taken apart like dicts; the gradient is an object of the same class


class Model:
    def __init__(self, W, b, act=np.tanh):
        self.W, self.b, self.act = W, b, act
        self.name = "model"

    def predict(self, x):
        return self.act(x @ self.W + self.b)


def model_loss(model, x, y):
    return np.mean((model.predict(x) - y) ** 2)


def model_loss_with_a_local_change(model, x):
    model.b = model.b * 2.0  # sct never changes the caller's object: this is the function's own view
    model.W += 1.0
    return np.sum(model.predict(x))


def namespace_of_params(p, x):
    return np.sum(np.sin(x @ p.W) * p.scale)


def list_of_models(models, x):
    for m in models:
        x = m.predict(x)
    return np.sum(x ** 2)


def _model(rng, n_in, n_out, act=np.tanh):
    return Model(rng.normal(size=(n_in, n_out)), rng.normal(size=n_out), act)


def _replaced(obj, name, value):
    """A copy of `obj` (same class, arrays copied: a function may change them in place)
    with attribute `name` set to `value`."""
    changed = type(obj).__new__(type(obj))
    changed.__dict__.update({k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(obj).items()})
    setattr(changed, name, np.copy(value))
    return changed


def _check_object_gradient(f, obj, rest, attributes):
    """The gradient for `obj` is an object of its class whose attributes match central
    finite differences of f along that attribute; the caller's object is unchanged."""
    saved = {k: np.copy(getattr(obj, k)) for k in attributes}
    grad = sct.grad(f, wrt=0)(obj, *rest)
    assert type(grad) is type(obj)
    for k in attributes:
        assert np.array_equal(getattr(obj, k), saved[k])
        expected = numerical_grad(lambda value: f(_replaced(obj, k, value), *rest), (saved[k],), 0)
        np.testing.assert_allclose(getattr(grad, k), expected, rtol=1e-6, atol=1e-8)
    return grad


def test_an_object_argument_gets_a_gradient_of_its_own_class():
    rng = np.random.default_rng(5)
    model, x, y = _model(rng, 3, 2), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    grad = _check_object_gradient(model_loss, model, (x, y), ["W", "b"])
    assert grad.act is None and grad.name == 0.0  # a function and a string carry no gradient
    expected = numerical_grad(lambda x: model_loss(model, x, y), (x,), 0)
    np.testing.assert_allclose(sct.grad(model_loss, wrt=1)(model, x, y), expected, rtol=1e-6, atol=1e-8)


def test_changing_an_argument_objects_attributes_does_not_change_the_callers_object():
    rng = np.random.default_rng(6)
    model, x = _model(rng, 3, 2, act=np.sin), rng.normal(size=(4, 3))
    _check_object_gradient(model_loss_with_a_local_change, model, (x,), ["W", "b"])


def test_a_namespace_and_a_list_of_objects_as_arguments():
    rng = np.random.default_rng(7)
    p = SimpleNamespace(W=rng.normal(size=(3, 2)), scale=1.5)
    grad = _check_object_gradient(namespace_of_params, p, (rng.normal(size=(4, 3)),), ["W", "scale"])
    assert type(grad) is SimpleNamespace
    models = [_model(rng, 3, 4), _model(rng, 4, 2, act=np.sin)]
    x = rng.normal(size=(2, 3))
    grads = sct.grad(list_of_models)(models, x)
    assert [type(g) for g in grads] == [Model, Model]
    for i, k in [(0, "W"), (0, "b"), (1, "W"), (1, "b")]:
        def along(value, i=i, k=k):
            return list_of_models([_replaced(m, k, value) if j == i else m for j, m in enumerate(models)], x)
        expected = numerical_grad(along, (getattr(models[i], k),), 0)
        np.testing.assert_allclose(getattr(grads[i], k), expected, rtol=1e-6, atol=1e-8)


def test_a_new_function_in_an_object_argument_recompiles():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    tanh_model, sin_model = _model(rng, 3, 2), _model(rng, 3, 2, act=np.sin)
    gradient = sct.grad(model_loss)
    for model in (tanh_model, sin_model, tanh_model):
        expected = numerical_grad(lambda W: model_loss(_replaced(model, "W", W), x, y), (model.W,), 0)
        np.testing.assert_allclose(gradient(model, x, y).W, expected, rtol=1e-6, atol=1e-8)


# ---- inheritance: super() in methods


class Affine:
    def __init__(self, W):
        self.W = W

    def out(self, x):
        return x @ self.W


class AffineTanh(Affine):
    def __init__(self, W, b):
        super().__init__(W)
        self.b = b

    def out(self, x):
        return np.tanh(super().out(x) + self.b)


def inherited_layer(W, b, x):
    layer = AffineTanh(W, b)
    return np.sum(layer.out(x) ** 2)


def test_super_calls_the_base_class_methods():
    rng = np.random.default_rng(12)
    assert_grad_matches_fd(inherited_layer, (rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))),
                           (0, 1, 2))


def attribute_read_in_a_loop_that_updates_another(x):
    n = SimpleNamespace(s=x, t=0.0)
    for _ in range(2):
        n.t = n.t + np.sum(n.s) * n.s[0]  # n.s is carried unchanged: its adjoint is an array, not a list's
    return n.t


def test_an_attribute_a_loop_only_reads():
    x = np.array([0.3, -0.7, 0.2])
    assert_grad_matches_fd(attribute_read_in_a_loop_that_updates_another, (x,), 0)
