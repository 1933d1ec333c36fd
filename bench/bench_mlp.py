#!/usr/bin/env python
"""MLP benchmark: ``sct.grad`` vs a hand-written NumPy gradient.

Run from the repository root::

    python bench/bench_mlp.py            # full run (about 40 s)
    python bench/bench_mlp.py --quick    # CI smoke run (< 20 s)

Workload: one tanh hidden layer, softmax cross-entropy with one-hot labels,
mean over the batch, float64.  "large" is batch 256, 784->512->10; "tiny" is
batch 8, 16->32->4.  The user's loss is written two ways: the textbook
log-softmax (``mlp_loss``, gated) and the max-shifted stable one
(``mlp_loss_stable``, gated on large, reported on tiny: see bench/README.md).  All candidates are timed in this one process,
interleaved round by round (see bench/harness.py); ratios are medians of
per-round ratios against the hand-written gradient.  Optional peers
(autograd, torch, jax) are timed too when importable.

The exit code is always 0; read the PASS/FAIL lines.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import traceback


import harness as H  # noqa: E402  (standard library only: safe before NumPy)

_THREADS = H.preparse_threads(sys.argv[1:]) if __name__ == "__main__" else None

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


WRT = ("W1", "b1", "W2", "b2")
WORKLOADS = {
    "large": dict(batch=256, din=784, dhid=512, dout=10),
    "tiny": dict(batch=8, din=16, dhid=32, dout=4),
}
RATIO_TARGET = {"large": 1.10, "tiny": 1.50}  # sct / hand, upper bounds
# The max-shifted loss is gated where its extra adjoint ops are noise next to the
# matmuls; on tiny they are ~20% of the work a hand-written gradient does not do.
STABLE_GATED = {"large"}
FIRST_CALL_TARGET_S = 0.050  # whole first call of sct.grad(fresh)(*args), tiny workload
FIRST_CALL_GATED = "tiny"  # "large" is reported, not gated (it includes ~ms of real work)
SEED = 0

# Full / quick settings: rounds (upper bound), time budget per workload (s),
# seconds per sample, first-call repetitions.
MODES = {
    "full": dict(rounds={"large": 300, "tiny": 600}, budget={"large": 15.0, "tiny": 10.0},
                 sample_s=2e-3, first_call_reps=9),
    "quick": dict(rounds={"large": 25, "tiny": 60}, budget={"large": 2.5, "tiny": 1.5},
                  sample_s=1e-3, first_call_reps=3),
}


# ----------------------------------------------------------------------------
# the user's loss (what sct differentiates) -- straight-line NumPy only
# ----------------------------------------------------------------------------
def mlp_loss(W1, b1, W2, b2, x, y):
    """Softmax cross-entropy as textbooks write it."""
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def mlp_loss_stable(W1, b1, W2, b2, x, y):
    """The same loss with the row maximum subtracted first (safe for large logits).
    Reverse mode differentiates through the max as well: the adjoint of the shift
    is zero in exact arithmetic, but computing it costs seven more NumPy calls."""
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


# ----------------------------------------------------------------------------
# the expert's hand-written gradient of the same loss
# ----------------------------------------------------------------------------
def hand_grad(W1, b1, W2, b2, x, y):
    n = x.shape[0]
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z, out=z)
    p /= p.sum(axis=1, keepdims=True)  # softmax
    dz = (p - y) / n
    dW2 = h.T @ dz
    db2 = dz.sum(axis=0)
    dh = dz @ W2.T
    da = dh * (1.0 - h * h)
    dW1 = x.T @ da
    db1 = da.sum(axis=0)
    return dW1, db1, dW2, db2


# ----------------------------------------------------------------------------
# data and checks
# ----------------------------------------------------------------------------
def make_data(batch, din, dhid, dout, seed=SEED):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((din, dhid)) / np.sqrt(din)
    b1 = 0.1 * rng.standard_normal(dhid)
    W2 = rng.standard_normal((dhid, dout)) / np.sqrt(dhid)
    b2 = 0.1 * rng.standard_normal(dout)
    x = rng.standard_normal((batch, din))
    y = np.zeros((batch, dout))
    y[np.arange(batch), rng.integers(0, dout, size=batch)] = 1.0
    return (W1, b1, W2, b2, x, y)


def fd_check(args, sample=None, eps=1e-6, rtol=1e-5, atol=1e-8, seed=SEED):
    """Assert hand_grad == central finite differences of mlp_loss.

    ``sample=None`` checks every parameter entry, otherwise ``sample``
    random entries per parameter.  Returns (entries checked, max abs err).
    """
    rng = np.random.default_rng(seed + 1)
    grads = hand_grad(*args)
    work = [a.copy() for a in args]
    checked, max_err = 0, 0.0
    for i, name in enumerate(WRT):
        flat = work[i].reshape(-1)  # view: work[i] is a fresh contiguous copy
        g = grads[i].reshape(-1)
        idx = range(flat.size) if sample is None else rng.choice(flat.size, min(sample, flat.size), replace=False)
        for j in idx:
            old = flat[j]
            flat[j] = old + eps
            fp = mlp_loss(*work)
            flat[j] = old - eps
            fm = mlp_loss(*work)
            flat[j] = old
            fd = (fp - fm) / (2 * eps)
            err = abs(fd - g[j])
            assert err <= atol + rtol * abs(fd), f"hand_grad d{name}[{j}]: analytic {g[j]!r} vs FD {fd!r}"
            max_err = max(max_err, err)
            checked += 1
    return checked, max_err


def compare(ref, got, rtol=1e-7, atol=1e-12):
    """(ok, message): does ``got`` equal the hand-written gradients?"""
    if not isinstance(got, (tuple, list)) or len(got) != len(ref):
        return False, f"expected a tuple of {len(ref)} arrays, got {type(got).__name__}" + (
            f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
    worst = 0.0
    for name, r, g in zip(WRT, ref, got):
        g = np.asarray(g)
        if g.shape != r.shape:
            return False, f"d{name}: shape {g.shape} != {r.shape}"
        if not np.allclose(g, r, rtol=rtol, atol=atol):
            diff = np.abs(g - r)
            k = int(np.argmax(diff))
            return False, (f"d{name}: max|diff|={diff.flat[k]:.3g} at flat index {k} "
                           f"(got {g.flat[k]:.6g}, want {r.flat[k]:.6g})")
        scale = max(float(np.max(np.abs(r))), 1e-300)
        worst = max(worst, float(np.max(np.abs(g - r))) / scale)
    return True, f"max|diff|/max|ref| = {worst:.1e}"


# ----------------------------------------------------------------------------
# candidates
# ----------------------------------------------------------------------------
def peer_autograd(args):
    import autograd
    import autograd.numpy as anp

    g = autograd.grad(H.rebind_np(mlp_loss, anp, "mlp_loss_autograd"), argnum=(0, 1, 2, 3))
    return (lambda: g(*args)), (lambda r: r), True


def peer_torch(args):
    import torch

    def loss_t(W1, b1, W2, b2, x, y):
        h = torch.tanh(x @ W1 + b1)
        z = h @ W2 + b2
        z = z - torch.amax(z, dim=1, keepdim=True)
        logp = z - torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))
        return -torch.mean(torch.sum(y * logp, dim=1))

    if _THREADS:
        torch.set_num_threads(_THREADS)
    ts = [torch.from_numpy(a.copy()) for a in args]  # float64 CPU tensors
    params = [t.requires_grad_(True) for t in ts[:4]]
    data = ts[4:]

    def call():
        return torch.autograd.grad(loss_t(*params, *data), params)

    return call, (lambda r: tuple(t.detach().numpy() for t in r)), False


def peer_jax(args):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    g = jax.jit(jax.grad(H.rebind_np(mlp_loss, jnp, "mlp_loss_jax"), argnums=(0, 1, 2, 3)))
    jargs = [jax.device_put(a) for a in args]

    def call():
        return jax.block_until_ready(g(*jargs))

    return call, (lambda r: tuple(np.asarray(t) for t in r)), False


# name -> (pip name, factory); factory(args) -> (zero-arg call, to_numpy, tracemalloc-visible)
PEERS = {
    "autograd": ("autograd", peer_autograd),
    "torch": ("torch", peer_torch),
    "jax": ("jax", peer_jax),
}


# ----------------------------------------------------------------------------
# benchmark
# ----------------------------------------------------------------------------
def run_workload(wname, sct, sct_err, peers, mode, notes, results):
    cfg = MODES[mode]
    dims = WORKLOADS[wname]
    args = make_data(**dims)
    saved = [a.copy() for a in args]
    ref = hand_grad(*args)

    # candidate name -> dict(call, to_np, traced, ok, msg)
    cands = {"hand": dict(call=lambda: hand_grad(*args), to_np=lambda r: r, traced=True, ok=True, msg="reference")}

    for cname, loss in (("sct", mlp_loss), ("sct_stable", mlp_loss_stable)):
        sct_args = [a.copy() for a in args]  # own copy: a buggy in-place sct cannot corrupt hand's inputs
        if sct is None:
            cands[cname] = dict(call=None, ok=False, msg=f"not importable ({sct_err})")
            continue
        try:
            g = sct.grad(loss, wrt=WRT)
            got = g(*sct_args)
            ok, msg = compare(ref, got)
            if not all(np.array_equal(a, b) for a, b in zip(sct_args, saved)):
                ok, msg = False, "sct's gradient modified its input arrays"
            cands[cname] = dict(call=(lambda g=g, a=sct_args: g(*a)), to_np=lambda r: r, traced=True,
                                ok=ok, msg=msg)
        except Exception as e:  # noqa: BLE001
            cands[cname] = dict(call=None, ok=False, msg=f"{type(e).__name__}: {e}")
            notes.append(f"{cname} failed on {wname}:\n" + traceback.format_exc().rstrip())

    for pname, (factory, _) in peers.items():
        try:
            call, to_np, traced = factory([a.copy() for a in args])
            ok, msg = compare(ref, to_np(call()))
            cands[pname] = dict(call=call, to_np=to_np, traced=traced, ok=ok, msg=msg)
        except Exception as e:  # noqa: BLE001
            cands[pname] = dict(call=None, ok=False, msg=f"{type(e).__name__}: {e}")

    # Gated measurement: hand vs sct only (both NumPy).  Each peer gets its
    # own group with hand, so another library's thread pool (torch's OpenMP
    # threads keep spinning after a call) cannot perturb the sct/hand ratio.
    groups = [["hand", "sct", "sct_stable"]] + [[p] for p in peers]
    timings, ratios = {}, {}
    for group in groups:
        fns = {"hand": cands["hand"]["call"]}
        fns.update({k: cands[k]["call"] for k in group if cands[k]["call"] is not None})
        if len(fns) == 1 and "sct" not in group:
            continue
        main_group = "sct" in group
        res = H.interleaved(fns, cfg["rounds"][wname] if main_group else max(5, cfg["rounds"][wname] // 4),
                            target_sample_s=cfg["sample_s"], settle=1,
                            time_budget_s=cfg["budget"][wname] * (1.0 if main_group else 0.3))
        for k, t in res.items():
            if k == "hand" and not main_group:
                continue
            timings[k] = t
            ratios[k] = H.paired_ratio(t, res["hand"])
    rows, wres = [], {"dims": dims, "candidates": {}}
    for name, c in cands.items():
        t = timings.get(name)
        peak = None
        if t is not None and c.get("traced"):
            _, peak = H.peak_memory(c["call"])
        ratio = ratios.get(name)
        gated = name == "sct" or (name == "sct_stable" and wname in STABLE_GATED)
        target = RATIO_TARGET[wname] if gated else None
        passed = None
        if target is not None:
            passed = bool(c["ok"] and ratio is not None and ratio.median <= target)
        rows.append([
            name,
            "ref" if name == "hand" else ("ERROR" if c["call"] is None else ("ok" if c["ok"] else "WRONG")),
            H.fmt_time(t.median) if t else "-",
            H.fmt_time(t.min) if t else "-",
            f"{t.number}x{t.rounds}" if t else "-",
            f"{ratio.median:.3f}" if ratio else "-",
            ratio.spread() if ratio and name != "hand" else "",
            H.fmt_bytes(peak) if peak is not None else ("n/a" if t is not None else "-"),
            f"<= {target:.2f}" if target else "",
            H.verdict(passed) if target else "",
        ])
        wres["candidates"][name] = dict(
            grad_ok=c["ok"], check=c["msg"],
            median_s=t.median if t else None, min_s=t.min if t else None,
            calls_per_sample=t.number if t else None, rounds=t.rounds if t else None,
            ratio_vs_hand=ratio.median if ratio else None,
            ratio_q1=ratio.q1 if ratio else None, ratio_q3=ratio.q3 if ratio else None,
            peak_bytes=peak, target=target, passed=passed,
        )
    print(f"\n== {wname}: batch {dims['batch']}, {dims['din']}->{dims['dhid']}->{dims['dout']}, float64 ==")
    print(H.format_table(["impl", "grad", "median", "min", "calls x rounds", "vs hand", "IQR",
                          "peak mem", "target", "result"], rows))
    for name, c in cands.items():
        if name != "hand":
            print(f"  {name} gradient check: {c['msg']}")

    # first call (transform + compile + run) on a fresh function object
    if cands["sct"]["call"] is not None:
        reps = cfg["first_call_reps"]
        try:
            t_make = H.cold_times(lambda: H.fresh_function(mlp_loss),
                                  lambda f: sct.grad(f, wrt=WRT), reps)
            t_first = H.cold_times(lambda: H.fresh_function(mlp_loss),
                                   lambda f: sct.grad(f, wrt=WRT)(*sct_args), reps)
        except Exception as e:  # noqa: BLE001
            print(f"  sct first call on a fresh function object failed: {type(e).__name__}: {e}")
            notes.append(f"sct first call failed on {wname}:\n" + traceback.format_exc().rstrip())
            results["workloads"][wname] = wres
            return
        med = float(np.median(t_first))
        steady = timings["sct"].median
        gated = wname == FIRST_CALL_GATED
        passed = (med < FIRST_CALL_TARGET_S) if gated else None
        print(f"  sct first call, fresh function (sct.grad(f)(*args)), median of {reps}: {H.fmt_time(med)}"
              f"  [sct.grad(f) alone: {H.fmt_time(float(np.median(t_make)))}; steady call {H.fmt_time(steady)}]"
              + (f"  target < {FIRST_CALL_TARGET_S * 1e3:.0f} ms  {H.verdict(passed)}" if gated else "  (not gated)"))
        if gated and med < steady + 3e-4:
            notes.append(f"{wname}: sct's first call on a fresh function object ({H.fmt_time(med)}) is barely slower "
                         f"than a steady call ({H.fmt_time(steady)}); its cache may be keyed on something the copy "
                         "shares (e.g. __code__), so the first-call figure may not be cold.")
        wres["first_call"] = dict(median_s=med, samples_s=t_first, grad_only_median_s=float(np.median(t_make)),
                                  target_s=FIRST_CALL_TARGET_S if gated else None, passed=passed)
    results["workloads"][wname] = wres


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions (CI smoke run, < 20 s)")
    ap.add_argument("--no-peers", action="store_true", help="skip autograd / torch / jax")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--threads", type=int, metavar="N",
                    help="BLAS/OpenMP threads (sets OMP/OPENBLAS/MKL_NUM_THREADS before NumPy loads; "
                         "torch.set_num_threads too). Default: library defaults")
    opts = ap.parse_args(argv)
    mode = "quick" if opts.quick else "full"
    t_start = time.perf_counter()
    results = {"machine": H.machine_info(), "mode": mode, "date": time.strftime("%Y-%m-%d"), "workloads": {}}
    notes = []
    print(f"sct MLP benchmark ({mode}) -- {results['machine']}")

    # 1. the reference itself must be right
    try:
        n_t, e_t = fd_check(make_data(**WORKLOADS["tiny"]))
        n_l, e_l = fd_check(make_data(**WORKLOADS["large"]), sample=5 if opts.quick else 20)
        print(f"hand-written gradient vs central differences: OK "
              f"(tiny: all {n_t} entries, max err {e_t:.1e}; large: {n_l} sampled entries, max err {e_l:.1e})")
        results["fd_check"] = True
    except AssertionError as e:
        print(f"hand-written gradient vs central differences: FAIL -- {e}")
        results["fd_check"] = False

    # 2. candidates
    sct, sct_err = H.import_sct(ROOT)
    if sct is None:
        print(f"sct: not importable -- {sct_err}")
    peers = {}
    if not opts.no_peers:
        for pname, (pip_name, factory) in PEERS.items():
            if importlib.util.find_spec(pname) is None:
                notes.append(f"peer {pname} skipped: not installed (pip install {pip_name})")
                continue
            peers[pname] = (factory, pip_name)

    for wname in WORKLOADS:
        try:
            run_workload(wname, sct, sct_err, peers, mode, notes, results)
        except Exception:  # noqa: BLE001  (keep going, exit 0)
            print(f"\n== {wname}: benchmark crashed ==\n{traceback.format_exc()}")
            results["workloads"][wname] = {"crashed": True}

    # 3. summary
    print("\nTargets:")
    summary = []
    for wname in WORKLOADS:
        c = results["workloads"].get(wname, {}).get("candidates", {}).get("sct")
        r = c and c["ratio_vs_hand"]
        summary.append((f"{wname}: sct/hand <= {RATIO_TARGET[wname]:.2f}", f"{r:.3f}" if r else "-",
                        bool(c and c["passed"])))
        summary.append((f"{wname}: sct gradients == hand-written", "ok" if c and c["grad_ok"] else
                        (c["check"][:70] if c else "not run"), bool(c and c["grad_ok"])))
        cs = results["workloads"].get(wname, {}).get("candidates", {}).get("sct_stable")
        rs = cs and cs["ratio_vs_hand"]
        if wname in STABLE_GATED:
            summary.append((f"{wname}, max-shifted loss: sct/hand <= {RATIO_TARGET[wname]:.2f}",
                            f"{rs:.3f}" if rs else "-", bool(cs and cs["passed"])))
        else:
            print(f"  (not gated) {wname}, max-shifted loss: sct/hand = {f'{rs:.3f}' if rs else '-'}: "
                  f"the adjoint of the max shift, zero in exact arithmetic, costs 7 NumPy calls")
        summary.append((f"{wname}, max-shifted loss: sct gradients == hand-written",
                        "ok" if cs and cs["grad_ok"] else "not ok", bool(cs and cs["grad_ok"])))
    fc = results["workloads"].get(FIRST_CALL_GATED, {}).get("first_call")
    summary.append((f"{FIRST_CALL_GATED}: sct first call < {FIRST_CALL_TARGET_S * 1e3:.0f} ms",
                    H.fmt_time(fc["median_s"]) if fc else "-", bool(fc and fc["passed"])))
    summary.append(("hand-written gradient == finite differences", "", bool(results.get("fd_check"))))
    print(H.format_table(["target", "measured", "result"], [[a, b, H.verdict(c)] for a, b, c in summary]))
    n_fail = sum(not c for _, _, c in summary)
    results["targets"] = [dict(target=a, measured=b, passed=c) for a, b, c in summary]
    H.finish(results, notes, n_fail, t_start, opts.json)
    return 0


if __name__ == "__main__":
    H.run_main(main)
