"""Shared timing / memory helpers for the sct benchmarks.

Design rules (see bench/README.md):

* Everything that is compared is measured in ONE process, interleaved:
  each round times every candidate once (in a rotated order), so slow
  drift of the machine (frequency scaling, other tenants, cache state)
  hits all candidates alike.
* A "sample" is the mean per-call time of ``number`` back-to-back calls;
  ``number`` is calibrated per candidate so one sample lasts about
  ``target_sample_s`` (this keeps timer resolution irrelevant for tiny
  workloads and keeps large workloads at one call per sample).
* Ratios are *paired*: ratio_r = a_r / b_r for each round r, and we
  report the median (and quartiles) of those per-round ratios.
* The garbage collector is disabled inside a sample (as ``timeit`` does);
  the young generations are collected between rounds (a full collection
  once, up front: with torch/jax loaded it costs ~100 ms).

Only the standard library is used here, so later benchmarks (ODE
integrator, RNN, memory) can import it without extra dependencies.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

__all__ = [
    "Timing",
    "Ratio",
    "interleaved",
    "paired_ratio",
    "cold_times",
    "peak_memory",
    "fresh_function",
    "fmt_time",
    "fmt_bytes",
    "format_table",
    "machine_info",
    "verdict",
    "preparse_threads",
    "finish",
    "run_main",
    "import_sct",
    "rebind_np",
]

_clock = time.perf_counter


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------
@dataclass
class Timing:
    """Per-call times (seconds) of one candidate, one sample per round."""

    name: str
    number: int  # calls per sample
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def rounds(self) -> int:
        return len(self.samples)


@dataclass
class Ratio:
    """Distribution of paired per-round ratios a_r / b_r."""

    median: float
    q1: float
    q3: float
    n: int

    def __str__(self) -> str:
        return f"{self.median:.3f}"

    def spread(self) -> str:
        return f"[{self.q1:.2f}-{self.q3:.2f}]"


def _quartiles(xs: Sequence[float]) -> tuple[float, float, float]:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------
def _time_n(fn: Callable[[], Any], number: int) -> float:
    """Total seconds for ``number`` calls of ``fn`` with the GC disabled."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = _clock()
        for _ in range(number):
            fn()
        t1 = _clock()
    finally:
        if gc_was_enabled:
            gc.enable()
    return t1 - t0


def calibrate(fn: Callable[[], Any], target_sample_s: float, max_number: int = 1_000_000) -> int:
    """Number of calls so that one sample lasts about ``target_sample_s``."""
    n = 1
    while True:
        t = _time_n(fn, n)
        if t >= 0.2 * target_sample_s or n >= max_number:
            break
        n *= 2 if t > 0 else 10
    per_call = max(t / n, 1e-9)
    return max(1, min(max_number, math.ceil(target_sample_s / per_call)))


def interleaved(
    fns: Mapping[str, Callable[[], Any]],
    rounds: int,
    *,
    target_sample_s: float = 2e-3,
    warmup: int = 2,
    min_rounds: int = 5,
    time_budget_s: float | None = None,
    number: Mapping[str, int] | None = None,
    settle: int = 0,
) -> dict[str, Timing]:
    """Time several zero-argument callables interleaved, round by round.

    Each round runs one sample of every candidate, in an order rotated by
    one position per round (so no candidate always runs first / after the
    same neighbour).  Returns ``{name: Timing}``; ``Timing.samples[r]`` is
    the mean per-call time of round ``r``, so samples of different
    candidates with the same index are paired.

    ``time_budget_s`` stops early (but never before ``min_rounds``) once
    the measurement loop has used that much wall time.
    ``number`` overrides the per-candidate calibration.
    ``settle`` untimed calls precede every sample: they absorb hand-over
    costs between candidates (another library's thread pool still
    spinning, caches evicted by the previous candidate), so each sample
    measures the candidate in its own steady state.
    """
    names = list(fns)
    if not names:
        return {}
    for name in names:  # warm-up: caches, lazy imports, first-call costs
        for _ in range(warmup):
            fns[name]()
    counts = {
        name: (number[name] if number and name in number else calibrate(fns[name], target_sample_s))
        for name in names
    }
    out = {name: Timing(name, counts[name]) for name in names}
    k = len(names)
    gc.collect()  # one full collection; between rounds only the young generations
    start = _clock()
    for r in range(rounds):
        gc.collect(1)  # cheap; a full collection can take ~100 ms with torch/jax loaded
        order = names[r % k:] + names[: r % k]
        for name in order:
            for _ in range(settle):
                fns[name]()
            out[name].samples.append(_time_n(fns[name], counts[name]) / counts[name])
        if time_budget_s is not None and r + 1 >= min_rounds and _clock() - start > time_budget_s:
            break
    return out


def paired_ratio(a: Timing, b: Timing) -> Ratio:
    """Median / quartiles of per-round ratios a_r / b_r (a and b interleaved)."""
    rs = [x / y for x, y in zip(a.samples, b.samples)]
    q1, q2, q3 = _quartiles(rs)
    return Ratio(q2, q1, q3, len(rs))


def cold_times(
    setup: Callable[[], Any],
    run: Callable[[Any], Any],
    repeats: int,
) -> list[float]:
    """Time ``run(setup())`` ``repeats`` times; only ``run`` is timed.

    Meant for first-call / compile-time measurements: ``setup`` builds a
    fresh object (e.g. a new function object, so caches are cold) and
    ``run`` performs the whole first call.  The GC is disabled during each
    measurement (young generations collected before it).
    """
    out = []
    gc.collect()
    for _ in range(repeats):
        obj = setup()
        gc.collect(1)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            t0 = _clock()
            run(obj)
            t1 = _clock()
        finally:
            if gc_was_enabled:
                gc.enable()
        out.append(t1 - t0)
    return out


# --------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------
def peak_memory(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """Return ``(fn(*args, **kwargs), peak_bytes)`` measured with tracemalloc.

    ``peak_bytes`` is the peak of traced memory during the call minus the
    traced memory just before it, i.e. the transient + retained
    allocation high-water mark of that one call.  NumPy reports its array
    buffers to tracemalloc, so array temporaries are included.  Call the
    function once beforehand if first-call costs (compilation, caches)
    should be excluded.
    """
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    try:
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if started_here:
            tracemalloc.stop()
    return result, peak


# --------------------------------------------------------------------------
# misc
# --------------------------------------------------------------------------
def fresh_function(f: types.FunctionType) -> types.FunctionType:
    """A new function object sharing ``f``'s code, globals and defaults.

    Caches keyed on the function object are cold for the copy; inspect
    still finds the source (same ``__code__``).  ``__wrapped__`` is NOT
    copied on purpose.
    """
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)
    g.__kwdefaults__ = f.__kwdefaults__
    g.__qualname__ = f.__qualname__
    g.__module__ = f.__module__
    g.__doc__ = f.__doc__
    g.__annotations__ = dict(getattr(f, "__annotations__", {}) or {})
    return g


def fmt_time(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if seconds < 1e-5:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.2f} MiB"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Plain left-aligned text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for j, row in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_info() -> str:
    import importlib

    parts = [
        f"Python {platform.python_version()}",
        f"{platform.system()} {platform.machine()}",
        f"{os.cpu_count()} CPUs",
    ]
    try:
        np = importlib.import_module("numpy")
        parts.insert(1, f"NumPy {np.__version__}")
    except ImportError:  # pragma: no cover
        pass
    threads = [f"{v}={os.environ[v]}" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if v in os.environ]
    if threads:
        parts.append(" ".join(threads))
    return ", ".join(parts)


def verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a"}[ok]


if __name__ == "__main__":  # tiny self-check
    import math as _m

    res = interleaved({"sin": lambda: _m.sin(0.5), "cos": lambda: _m.cos(0.5)}, rounds=20)
    for t in res.values():
        print(t.name, fmt_time(t.median), t.number, t.rounds)
    print("ratio", paired_ratio(res["sin"], res["cos"]))
    _, peak = peak_memory(lambda: bytearray(10_000_000))
    print("peak", fmt_bytes(peak))
    print(machine_info())
    sys.exit(0)


# --------------------------------------------------------------------------
# setup shared by the benchmark scripts
# --------------------------------------------------------------------------
def preparse_threads(argv):
    """--threads N must take effect before NumPy (OpenBLAS) is imported: call this
    before importing NumPy. Sets the BLAS/OpenMP thread variables; returns N or None."""
    for i, a in enumerate(argv):
        val = a.split("=", 1)[1] if a.startswith("--threads=") else (
            argv[i + 1] if a == "--threads" and i + 1 < len(argv) else None)
        if val is not None:
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[var] = val
            return int(val)
    return None


def import_sct(root):
    """Return (module, None) or (None, error text); falls back to the checkout at `root`."""
    def _try():
        import sct  # noqa: F401
        sct.grad  # noqa: B018  (AttributeError if the package is a stub)
        return sct
    try:
        return _try(), None
    except Exception:
        pass
    if root not in sys.path:
        sys.path.insert(0, root)
    for mod in [m for m in sys.modules if m == "sct" or m.startswith("sct.")]:
        del sys.modules[mod]
    try:
        return _try(), None
    except Exception as e:  # noqa: BLE001
        return None, f"{type(e).__name__}: {e}"


def rebind_np(f, np_module, name):
    """Same code as ``f`` but with the global ``np`` bound to ``np_module`` (for peers
    such as autograd.numpy and jax.numpy)."""
    g = dict(f.__globals__)
    g["np"] = np_module
    return types.FunctionType(f.__code__, g, name)


def finish(results, notes, n_fail, t_start, json_path=None):
    """The end of a benchmark run: its notes, the verdict line, and the JSON file."""
    import json
    if notes:
        print("\nNotes:")
        for n in notes:
            print("  - " + n.replace("\n", "\n    "))
    print(f"\n{'ALL PASS' if n_fail == 0 else f'{n_fail} FAIL'}  ({time.perf_counter() - t_start:.1f} s)")
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(results, fh, indent=2, default=str)


def run_main(main):
    """Run a benchmark's main(); it always exits 0 (read the PASS/FAIL lines), a crash included."""
    import traceback
    try:
        main()
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        print("FAIL (benchmark crashed)")
    sys.exit(0)
