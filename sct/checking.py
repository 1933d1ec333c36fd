"""`check_grads`: sct's gradients against central finite differences.

The check runs the function itself (not sct's code) at shifted copies of the
arguments, so it catches a wrong rule, a wrong broadcast reduction or a gradient
of the wrong shape, whatever produced it. Finite differences are the reference
only where the function is smooth: at a kink (`abs` at 0, a tie of `max`) sct
follows its documented conventions, which central differences need not match.
"""
import inspect

import numpy as np

from . import api
from .errors import SctUsageError

EPS = 1e-6  # relative step: entry x is shifted by EPS * max(1, |x|) either way
RTOL = 1e-5
ATOL = 1e-7
# The difference quotient carries the rounding error of the two values it subtracts; a few
# ulps of |f| (of sum |cotangent * f| for a VJP, in f's own precision) over the step is
# added to the tolerance.
_ROUNDING_ULPS = 8
_MODES = ("rev", "fwd")
_CONTAINERS = (tuple, list, dict)


def check_grads(f, *args, wrt=None, modes=("rev",), order=1, eps=None, rtol=None, atol=None, seed=0):
    """Check sct's gradient of `f` at `args` against central finite differences (float64).

    Arguments:
        f: the Python function to differentiate, as for `sct.grad`.
        *args: the positional arguments to evaluate `f` at: Python floats, 0-d or n-d
            float arrays, tuples/lists/dicts of them (nested), and anything else `f`
            takes (integers, index arrays, flags), which is passed through unchanged.
            Floating-point arrays are checked at float64 copies.
        wrt: the arguments to check, as in `sct.grad`: an index, a name, or a tuple of
            them. Default None: every argument that holds a floating-point value (a
            Python float, a float array, or a container with such a leaf); integer and
            boolean arguments are constants. An argument named in `wrt` must hold one.
        modes: the differentiation modes to check: ("rev",), reverse mode, is the only
            one sct has; "fwd" raises SctUsageError until forward mode arrives.
        order: 1 (first derivatives). order=2 raises SctUsageError: second derivatives
            need forward mode over reverse mode, which arrives with forward mode.
        eps: the relative step: each entry `v` is shifted by `eps * max(1, |v|)` up and
            down. Default 1e-6, near the best step for float64 central differences.
        rtol, atol: an entry passes when `|sct - fd| <= atol + rtol * |fd|`, plus the
            rounding error of the difference quotient itself (a few ulps of the
            function's value over the step), so that a large output does not fail a
            correct gradient. Defaults 1e-5 and 1e-7.
        seed: the seed of the random cotangent used for a non-scalar output.

    What is compared: for a scalar output (a Python number or a size-1 array),
    `sct.grad(f, wrt)` against the differences of `f`; for any other output (an
    array, or a tuple/list/dict of them), the pullback of `sct.vjp(f, *args)` applied
    to a random cotangent `c` of the output's structure, against the differences of
    `<c, f(x)>` (the sum over the output's float leaves of `c * leaf`). That also
    checks that sct's output equals `f(*args)`, that each gradient has its
    argument's structure and shape, and that sct left the arguments unchanged.

    Returns None. Raises AssertionError when a gradient disagrees, naming the
    argument (with the container path), the number of entries that disagree, and the
    largest absolute and relative errors with the index where each occurs and both
    values there; SctUsageError for a mode or order sct lacks or a bad `wrt`.

    Example:

        def loss(W, b, x):
            return np.sum(np.tanh(x @ W + b) ** 2)

        sct.check_grads(loss, W, b, x)             # W, b and x
        sct.check_grads(loss, W, b, x, wrt="W")    # W only
    """
    _check_modes(modes, order)
    fn = api._original(f)
    names = list(inspect.signature(fn).parameters)
    args = tuple(_as_float64(a) for a in args)
    indices = _wrt_of(fn, names, args, wrt)
    eps = EPS if eps is None else eps
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol

    output = fn(*args)
    before = [_snapshot(a) for a in args]
    if _is_scalar(output):
        how = "sct.grad"
        gradients = api.grad(fn, wrt=indices)(*args)

        def weighed(out):  # (the value differenced, the rounding error it may carry)
            value = _scalar_value(out)
            return value, _ulp(out) * abs(value)
        problems = []
    else:
        how = f"sct.vjp with a random cotangent (seed={seed})"
        cotangent = _random_cotangent(output, np.random.default_rng(seed), fn.__qualname__)
        if all(c is None for _, c in _all_leaves(cotangent)):
            raise SctUsageError(f"check_grads({fn.__qualname__}): the output holds no floating-point value to "
                                f"differentiate", hint="Check a function whose output is a float, a float "
                                                       "array, or a container holding one.")
        value, pullback = api.vjp(fn, *args, wrt=indices)
        problems = _output_problems(value, output, fn.__qualname__, rtol, atol)
        gradients = pullback(cotangent)

        def weighed(out):
            return _inner(cotangent, out)
    for index, (a, old) in enumerate(zip(args, before)):
        if not _unchanged(a, old):
            problems.append(f"{how} changed argument {_name(names, index)!r} in place: a gradient must leave "
                            f"its arguments as they were")

    for index, gradient in zip(indices, gradients):
        name = _name(names, index)
        for path, leaf in _float_leaves(args[index]):
            where = _spelled(name, path)
            g, problem = _gradient_leaf(gradient, args[index], path, name)
            if problem is None:
                fd, noise = _differences(fn, args, index, path, leaf, weighed, eps)
                problem = _disagreement(g, fd, noise, where, rtol, atol)
            if problem is not None:
                problems.append(problem)
    if problems:
        raise AssertionError(f"check_grads({fn.__qualname__}), comparing {how} with central differences "
                             f"(eps={eps:g}, rtol={rtol:g}, atol={atol:g}):\n"
                             + "\n".join("  " + line for problem in problems for line in problem.split("\n")))


def _check_modes(modes, order):
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes:
        raise SctUsageError("check_grads needs at least one mode", hint='Pass modes=("rev",).')
    for mode in modes:
        if mode not in _MODES:
            raise SctUsageError(f"check_grads has no mode {mode!r}", hint='The modes are "rev" (reverse mode) '
                                                                        'and, once sct has it, "fwd".')
    if "fwd" in modes:
        raise SctUsageError("check_grads cannot check forward mode: sct has reverse mode only; forward mode "
                            "(and with it modes=('fwd',)) arrives in a later release",
                            hint='Check reverse mode with modes=("rev",).')
    if isinstance(order, bool) or order not in (1, 2):
        raise SctUsageError(f"check_grads checks derivatives of order 1; got order={order!r}",
                            hint="Pass order=1.")
    if order == 2:
        raise SctUsageError("check_grads cannot check second derivatives (order=2) yet: they need forward "
                            "mode over reverse mode, which arrives with forward mode in a later release",
                            hint="Check first derivatives with order=1.")


def _name(names, index):
    return names[index] if index < len(names) else f"args[{index}]"


def _wrt_of(fn, names, args, wrt):
    """The indices of the arguments to check: `wrt` normalized, or every float-valued one."""
    if wrt is None:
        indices = tuple(i for i, a in enumerate(args) if any(True for _ in _float_leaves(a)))
        if not indices:
            raise SctUsageError(f"check_grads({fn.__qualname__}): no argument holds a floating-point value to "
                                f"differentiate", hint="Pass float arguments (Python floats, float arrays, or "
                                                       "containers of them), or name them with wrt=.")
        return indices
    indices, _ = api._wrt_indices(fn, wrt)
    for i in indices:
        if i >= len(args):
            raise SctUsageError(f"check_grads({fn.__qualname__}): wrt names {_name(names, i)!r}, which is not "
                                f"among the {len(args)} argument(s) passed",
                                hint="Pass every argument wrt names positionally.")
        if not any(True for _ in _float_leaves(args[i])):
            raise SctUsageError(f"check_grads({fn.__qualname__}): argument {_name(names, i)!r} is a "
                                f"{type(args[i]).__name__} with no floating-point value; finite differences "
                                f"need one", hint="Pass it as a float (2.0, not 2; a float array), or leave "
                                                  "it out of wrt.")
    return indices


def _is_float(value):
    """Whether `value` is a leaf to differentiate: a real floating-point number or array."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return value.dtype.kind == "f"
    return type(value) is float


def _as_float64(value):
    """`value` with its floating-point leaves as float64 (arrays copied only when converted)."""
    kind = type(value)
    if kind is dict:
        return {k: _as_float64(v) for k, v in value.items()}
    if kind in (tuple, list):
        return kind(_as_float64(v) for v in value)
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f" and value.dtype != np.float64:
        return value.astype(np.float64) if isinstance(value, np.ndarray) else np.float64(value)
    return value


def _float_leaves(value, path=()):
    """(path, leaf) for each float leaf of a possibly nested tuple/list/dict."""
    kind = type(value)
    if kind in _CONTAINERS:
        for key, item in (value.items() if kind is dict else enumerate(value)):
            yield from _float_leaves(item, path + (key,))
    elif _is_float(value):
        yield path, value


def _replaced(value, path, leaf):
    """A copy of the container `value` with the item at `path` replaced by `leaf`."""
    if not path:
        return leaf
    key, rest = path[0], path[1:]
    if type(value) is dict:
        return {**value, key: _replaced(value[key], rest, leaf)}
    items = list(value)
    items[key] = _replaced(items[key], rest, leaf)
    return type(value)(items)


def _snapshot(value):
    return [(path, np.array(leaf) if isinstance(leaf, np.ndarray) else leaf) for path, leaf in _all_leaves(value)]


def _all_leaves(value, path=()):
    kind = type(value)
    if kind in _CONTAINERS:
        for key, item in (value.items() if kind is dict else enumerate(value)):
            yield from _all_leaves(item, path + (key,))
    else:
        yield path, value


def _unchanged(value, snapshot):
    now = list(_all_leaves(value))
    if [p for p, _ in now] != [p for p, _ in snapshot]:
        return False
    return all(not isinstance(old, np.ndarray) or (isinstance(new, np.ndarray) and new.shape == old.shape
                                                   and np.array_equal(new, old, equal_nan=True))
               for (_, new), (_, old) in zip(now, snapshot))


def _is_scalar(output):
    if isinstance(output, (np.ndarray, np.generic)):
        return output.size == 1 and output.dtype.kind in "fiu"
    return type(output) in (float, int)


def _scalar_value(output):
    return float(np.asarray(output, dtype=np.float64).reshape(()))


def _random_cotangent(output, rng, function_name):
    """A cotangent of `output`'s structure: standard normal entries at each float leaf,
    None (zero) at the others."""
    kind = type(output)
    if kind is dict:
        return {k: _random_cotangent(v, rng, function_name) for k, v in output.items()}
    if kind in (tuple, list):
        return kind(_random_cotangent(v, rng, function_name) for v in output)
    if isinstance(output, (np.ndarray, np.generic)) and output.dtype.kind == "c" or type(output) is complex:
        raise SctUsageError(f"check_grads({function_name}): the output is complex; sct differentiates real "
                            f"functions", hint="Check a real function of it, e.g. its absolute value.")
    if not _is_float(output):
        return None
    if isinstance(output, np.ndarray):
        return rng.standard_normal(output.shape)
    return float(rng.standard_normal())


def _ulp(value):
    """The relative precision of a float leaf (float32 outputs round far more than float64)."""
    dtype = getattr(value, "dtype", None)
    return float(np.finfo(dtype if dtype is not None and dtype.kind == "f" else np.float64).eps)


def _inner(cotangent, output):
    """(sum of cotangent * output over the float leaves, the rounding error that sum may
    carry: a unit in the last place of each product)."""
    total, rounding = 0.0, 0.0
    for path, c in _all_leaves(cotangent):
        if c is None:
            continue
        leaf = output
        for key in path:
            leaf = leaf[key]
        products = np.asarray(c) * np.asarray(leaf, dtype=np.float64)
        total += float(np.sum(products))
        rounding += _ulp(leaf) * float(np.sum(np.abs(products)))
    return total, rounding


def _output_problems(value, output, function_name, rtol, atol):
    """Where sct's output (from sct.vjp) differs from the function's own."""
    for (path, got), (_, wanted) in zip(_all_leaves(value), _all_leaves(output)):
        if not _is_float(wanted):
            continue
        if np.shape(got) != np.shape(wanted) or not np.allclose(got, wanted, rtol=rtol, atol=atol, equal_nan=True):
            return [f"sct's {_spelled('output', path)} is {got!r}, but {function_name} returns {wanted!r} there"]
    return []


def _gradient_leaf(gradient, arg, path, name):
    """The gradient's item at `path` (the argument `arg`'s float leaf there) as a float64
    array of the leaf's shape, or (None, the problem)."""
    where = _spelled(name, path)
    item = gradient
    for depth, key in enumerate(path):
        if type(item) is not type(arg):
            at = _spelled(name, path[:depth])
            return None, f"the gradient of {at} is {_describe(item)}, but {at} is {_describe(arg)}"
        try:
            item, arg = item[key], arg[key]
        except (KeyError, IndexError, TypeError):
            return None, f"the gradient of {where} is missing: no item {key!r} in the gradient"
    if item is None or type(item) in _CONTAINERS:
        return None, f"the gradient of {where} is {_describe(item)}, but {where} is {_describe(arg)}"
    try:
        g = np.asarray(item, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"the gradient of {where} is {_describe(item)}, not a real number or array"
    if g.shape != np.shape(arg):
        return None, f"the gradient of {where} has shape {g.shape}, but {where} has shape {np.shape(arg)}"
    if type(arg) is float and not isinstance(item, float):  # sct's contract: a number's gradient is a float
        return None, f"the gradient of {where} is {_describe(item)}, but {where} is a Python float"
    if isinstance(arg, np.ndarray) and arg.ndim and not isinstance(item, np.ndarray):
        return None, f"the gradient of {where} is {_describe(item)}, but {where} is {_describe(arg)}"
    return g, None


def _spelled(name, path):
    """How the user writes the item at `path` of the argument `name`: params['W'][0]."""
    return name + "".join(f"[{k!r}]" for k in path)


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"a NumPy {type(value).__name__}"
    if type(value) in _CONTAINERS:
        return f"a {type(value).__name__} of {len(value)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _differences(fn, args, index, path, leaf, weighed, eps):
    """Central differences of `weighed(fn(...))` over each entry of the leaf at `path`
    of argument `index`, and the rounding error each can carry."""
    base = np.array(leaf, dtype=np.float64)
    fd = np.empty(base.shape)
    noise = np.empty(base.shape)
    for k in np.ndindex(base.shape):
        step = eps * max(1.0, abs(float(base[k])))
        values = []
        for sign in (1.0, -1.0):
            shifted = base.copy()
            shifted[k] += sign * step
            item = float(shifted[()]) if type(leaf) is float else shifted if isinstance(leaf, np.ndarray) \
                else np.float64(shifted[()])
            shifted_args = list(args)
            shifted_args[index] = _replaced(args[index], path, item)
            values.append((float(shifted[k]), weighed(fn(*shifted_args))))
        (up, (f_up, r_up)), (down, (f_down, r_down)) = values
        fd[k] = (f_up - f_down) / (up - down)
        noise[k] = _ROUNDING_ULPS * (r_up + r_down) / (up - down)
    return fd, noise


def _disagreement(g, fd, noise, where, rtol, atol):
    """None if the gradient `g` agrees with the differences `fd`, else what the error is."""
    error = np.abs(g - fd)
    with np.errstate(invalid="ignore"):
        ok = (error <= atol + rtol * np.abs(fd) + noise) | (g == fd) | (np.isnan(g) & np.isnan(fd))
    if ok.all():
        return None
    error = np.where(np.isnan(error), np.inf, error)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(error == 0, 0.0, error / np.abs(fd))
    relative = np.where(np.isnan(relative), np.inf, relative)
    lines = [f"the gradient of {where} disagrees at {int(np.sum(~ok))} of {ok.size} "
             f"entr{'y' if ok.size == 1 else 'ies'}"]
    for label, errors in (("absolute", error), ("relative", relative)):
        k = np.unravel_index(int(np.argmax(np.where(ok, -1.0, errors))), errors.shape) if errors.ndim else ()
        at = where + (f"[{', '.join(str(i) for i in k)}]" if k else "")
        lines.append(f"    largest {label} error {float(errors[k]):.3g} at {at}: sct {float(g[k])!r}, "
                     f"finite differences {float(fd[k])!r}")
    return "\n".join(lines)
