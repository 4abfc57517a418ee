"""Benchmark: batched fixed-point finder vs scipy.optimize.minimize per initial condition.

Part II, chapter 5 (``book/part2_rate/05_slow_points``).  One ReLU rate network
``F(r) = -r + relu(W r + c)`` (tau = 1) with several fixed points, small enough
(``N <= 14``) that every fixed point is known by enumerating the ``2^N``
activation patterns; ``K`` initial conditions.  Both methods minimise the
kinetic energy ``q = |F|^2/2`` and accept a final state as a fixed point when
``q < q_tol`` (the SAME tolerance); both results go through the same
de-duplication, and both sets must equal the exhaustive set (every true point
found, no false one).  Prints the wall times and their ratio.

Usage: ``python benchmarks/bench_fixed_points.py [--n-units 10] [--n-starts 512] [--gain 2.0] [--device cpu]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.optimize import minimize

from rnnmath import fixed_points as fp
from rnnmath.device import get_device


def make_network(n_units: int, seed: int, gain: float = 2.0):
    """A random zero-diagonal ReLU network with at least three fixed points (searched over seeds)."""
    rng = np.random.default_rng(seed)
    while True:
        W = rng.normal(0, gain / np.sqrt(n_units), (n_units, n_units))
        np.fill_diagonal(W, 0.0)
        c = rng.normal(0, 1, n_units)
        truth = fp.relu_fixed_points_exhaustive(W, c)
        if len(truth) >= 3:
            return W, c, truth


def same_set(a, b, tol=1e-6) -> bool:
    if len(a) != len(b):
        return False
    if len(a) == 0:
        return True
    d = np.linalg.norm(a[:, None] - b[None], axis=-1)
    return bool(d.min(0).max() < tol and d.min(1).max() < tol)


def scipy_one_at_a_time(W, c, starts, q_tol):
    def q(x):
        F = -x + np.maximum(W @ x + c, 0)
        return 0.5 * F @ F

    def grad(x):
        m = W @ x + c
        F = -x + np.maximum(m, 0)
        J = -np.eye(len(x)) + (m > 0)[:, None] * W
        return J.T @ F

    finals, qs = [], []
    for x0 in starts:
        out = minimize(q, x0, jac=grad, method="BFGS", options=dict(gtol=1e-13, maxiter=2000))
        finals.append(out.x)
        qs.append(q(out.x))
    return np.array(finals), np.array(qs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-units", type=int, default=10)
    ap.add_argument("--n-starts", type=int, default=512)
    ap.add_argument("--q-tol", type=float, default=1e-14)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gain", type=float, default=2.0, help="std of W times sqrt(N)")
    ap.add_argument("--device", default=None)
    a = ap.parse_args(argv)
    dev = get_device(a.device)
    W, c, truth = make_network(a.n_units, a.seed, a.gain)
    starts = np.random.default_rng(a.seed + 1).normal(0, 2, (a.n_starts, a.n_units))

    dyn = fp.RateDynamics(W, c, device=dev)
    fp.find_fixed_points(dyn, torch.as_tensor(starts[:4], device=dev), q_tol=a.q_tol)  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    batched = fp.find_fixed_points(dyn, torch.as_tensor(starts, device=dev), q_tol=a.q_tol)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    finals, qs = scipy_one_at_a_time(W, c, starts, a.q_tol)
    t_scipy = time.perf_counter() - t0
    ok = qs < a.q_tol
    keep = np.flatnonzero(ok)[fp._dedupe(finals[ok], qs[ok], 1e-6)] if ok.any() else np.zeros(0, int)
    scipy_points = finals[keep]

    same_b, same_s = same_set(batched.points, truth), same_set(scipy_points, truth)
    print(f"network: N = {a.n_units}, {a.n_starts} initial conditions, q_tol = {a.q_tol:g}, device = {dev.type}")
    print(f"batched LM finder : {t_batched:8.3f} s  {batched.n_converged:4d} starts converged, "
          f"{len(batched)} distinct fixed points {batched.counts()}")
    print(f"scipy BFGS, 1 by 1: {t_scipy:8.3f} s  {int(ok.sum()):4d} starts converged, {len(scipy_points)} distinct fixed points")
    print(f"exhaustive enumeration: {len(truth)} fixed points; batched finder found exactly them: {same_b}; "
          f"scipy found exactly them: {same_s}")
    print(f"speed-up (scipy / batched): {t_scipy / t_batched:.1f}x")
    if not (same_b and same_s):
        raise SystemExit("a method missed a fixed point or reported a false one; raise --n-starts")


if __name__ == "__main__":
    main()
