"""Benchmark: rnnmath against the tools a reader would otherwise use, in one run.

Prints, on identical problems:

1. **The machine's limit**: dense matmul throughput (float64 and float32, n = 1024) and
   batched matmul (64 x 128 x 128), the yardsticks for the fractions printed below.
2. **DCA** (``rnnmath.latent.dca``) against the reference implementation of Clark et al.
   (BouchardLab's ``dynamicalcomponentsanalysis`` package, installed by ``make benchmarks`` into
   ``.bench-libs`` only) on the same cross-covariances (Lorenz embedded in 30-D, VAR(1) in
   30-D; d = 3, T = 5, 8 restarts): time ratio, predictive-information difference (each
   subspace scored by *both* PI implementations) and principal angles.
3. **Fixed points** (``rnnmath.fixed_points.find_fixed_points``) against the Sussillo–Barak
   method as FixedPointFinder (Golub & Sussillo 2018) runs it — Adam on q(x) = |F(x)|^2 / 2 with
   that tool's default schedule (learning rate 1, decayed by 0.95 when q stops falling,
   Adam epsilon 0.01, up to 5000 iterations, stop at q < 1e-12) — written here in our own code
   and labelled as such; same networks, same starts.  "True fixed points" are states whose
   q after one Newton polish is below 1e-20, merged within 1e-6; the table shows how many each
   method finds and how many of one's the other also finds.  Each run prints the finder's
   achieved fraction of the measured matmul throughput.

Usage::

    .venv/bin/python benchmarks/bench_peers.py                  # N = 64, 256 (CPU, a few minutes)
    .venv/bin/python benchmarks/bench_peers.py --sizes 64 256 1024 --starts 256
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".bench-libs"))

from rnnmath import latent  # noqa: E402
from rnnmath.fixed_points import RateDynamics, find_fixed_points  # noqa: E402


# --------------------------------------------------------------------------- machine limit
def matmul_gflops(n=1024, dtype=torch.float64, batch=None, repeats=5) -> float:
    shape = (n, n) if batch is None else (batch, n, n)
    a, b = torch.randn(*shape, dtype=dtype), torch.randn(*shape, dtype=dtype)
    a @ b
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return (2 * n ** 3 * (batch or 1)) / best / 1e9


# --------------------------------------------------------------------------- DCA
def _reference_dca():
    try:
        import dca  # BouchardLab's package
        from dca.cov_util import calc_pi_from_cross_cov_mats
    except ImportError:
        return None
    return dca, calc_pi_from_cross_cov_mats


def _var1_covs(N=30, T=5, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, N))
    A = 0.95 * A / np.max(np.abs(np.linalg.eigvals(A)))
    return latent.var1_cross_covariances(A, np.eye(N), 2 * T, device="cpu").numpy()


def bench_dca(T=5, d=3, n_init=8):
    ref = _reference_dca()
    if ref is None:
        print("DCA: reference package not installed (make benchmarks installs it into .bench-libs); skipped")
        return []
    dca_pkg, ref_pi = ref
    from dca.synth_data import embedded_lorenz_cross_cov_mats

    problems = {"Lorenz in 30-D": embedded_lorenz_cross_cov_mats(30, 2 * T, snr=1.0),
                "VAR(1) in 30-D": _var1_covs(30, T)}
    rows = []
    print(f"\n== DCA, d = {d}, T = {T}, {n_init} restarts: rnnmath vs reference (BouchardLab) ==")
    print(f"{'problem':>15} | {'rnnmath':>8} | {'reference':>9} | {'ref/rnnmath':>11} | {'PI rnnmath':>10} | "
          f"{'PI ref':>8} | {'|dPI|':>7} | max angle")
    for name, C in problems.items():
        C = np.asarray(C, dtype=np.float64)
        Ct = torch.as_tensor(C)
        t0 = time.perf_counter()
        res = latent.dca(Ct, d, T=T, n_starts=n_init, seed=0)
        t_ours = time.perf_counter() - t0
        model = dca_pkg.DynamicalComponentsAnalysis(d=d, T=T, n_init=n_init, rng_or_seed=0, dtype=torch.float64)
        model.cross_covs = torch.as_tensor(C[: 2 * T])
        t0 = time.perf_counter()
        model.fit_projection(d=d, T=T, n_init=n_init)
        t_ref = time.perf_counter() - t0
        V_ours = res.V.detach().numpy()
        V_ref = np.asarray(model.coef_)
        # each subspace scored by both implementations of PI
        pi_ours = float(latent.predictive_information(Ct[: 2 * T], torch.as_tensor(V_ours), T=T))
        pi_ref = float(latent.predictive_information(Ct[: 2 * T], torch.as_tensor(V_ref), T=T))
        pi_ref_by_ref = float(ref_pi(torch.as_tensor(C[: 2 * T]), torch.as_tensor(V_ref)))
        assert abs(pi_ref - pi_ref_by_ref) < 1e-8, "the two PI implementations disagree on one subspace"
        ang = float(np.max(latent.subspace_angles(V_ours, V_ref)))
        print(f"{name:>15} | {t_ours:>6.2f} s | {t_ref:>7.2f} s | {t_ref / t_ours:>10.1f}x | {pi_ours:>10.4f} | "
              f"{pi_ref:>8.4f} | {abs(pi_ours - pi_ref):>7.1e} | {ang:.3f} rad")
        rows.append(dict(problem=name, t_ours=t_ours, t_ref=t_ref, dpi=pi_ours - pi_ref, angle=ang))
    return rows


# --------------------------------------------------------------------------- fixed points
def adam_on_q(dyn: RateDynamics, starts: torch.Tensor, *, lr=1.0, max_iters=5000, tol_q=1e-12,
              lr_patience=5, lr_factor=0.95, eps=0.01):
    """Sussillo–Barak slow-point search as FixedPointFinder runs it: Adam on q, per start.

    Our own implementation of that tool's default optimiser settings (not its code). All
    starts are optimised together; q is a sum of independent terms, so each start gets its
    own gradient.  The learning rate decays by ``lr_factor`` when the total q has not fallen
    for ``lr_patience`` iterations (FixedPointFinder's adaptive schedule).
    """
    x = starts.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr, eps=eps)
    best, since = math.inf, 0
    for it in range(max_iters):
        opt.zero_grad()
        F = dyn.velocity(x)
        q = 0.5 * (F ** 2).sum(-1)
        if float(q.max()) < tol_q:
            break
        q.sum().backward()
        opt.step()
        tot = float(q.sum())
        if tot < best:
            best, since = tot, 0
        else:
            since += 1
            if since >= lr_patience:
                for g in opt.param_groups:
                    g["lr"] *= lr_factor
                since = 0
    return x.detach(), it + 1


def _true_fixed_points(dyn, X, q_tol=1e-20, merge=1e-6):
    """One Newton polish of each state, keep q < q_tol, merge duplicates."""
    from rnnmath.linalg import solve

    with torch.no_grad():
        F, J = dyn.velocity(X), dyn.jacobian(X)
        try:
            Xn = X - solve(J, F.unsqueeze(-1)).squeeze(-1)
        except ValueError:
            Xn = X
        Fn = dyn.velocity(Xn)
        q = 0.5 * (Fn ** 2).sum(-1)
    P = Xn[q < q_tol].numpy()
    keep = []
    for p in P:
        if all(np.linalg.norm(p - k) > merge for k in keep):
            keep.append(p)
    return np.array(keep).reshape(-1, X.shape[-1])


def _matched(A, B, tol=1e-5):
    return sum(any(np.linalg.norm(a - b) < tol for b in B) for a in A)


def bench_fixed_points(sizes=(64, 256), n_starts=64, gain=2.0, seed=0, peak=None):
    print(f"\n== fixed points of random tanh networks (g = {gain}), {n_starts} starts: rnnmath vs Adam on q "
          f"(FixedPointFinder's method, our code) ==")
    print(f"{'N':>5} | {'rnnmath':>9} | {'Adam on q':>9} | {'Adam/rnnmath':>12} | {'true FPs rnnmath':>16} | "
          f"{'true FPs Adam':>13} | {'shared':>6} | finder GFLOP/s (fraction of matmul)")
    rows = []
    for N in sizes:
        rng = np.random.default_rng(seed + N)
        W = gain * rng.standard_normal((N, N)) / math.sqrt(N)
        dyn = RateDynamics(W, np.zeros(N), activation="tanh", device="cpu")
        starts = torch.as_tensor(rng.standard_normal((n_starts, N)))
        t0 = time.perf_counter()
        fp = find_fixed_points(dyn, starts)
        t_ours = time.perf_counter() - t0
        ours = _true_fixed_points(dyn, torch.as_tensor(np.concatenate([fp.points, fp.final_states]))
                                  if fp.final_states is not None else torch.as_tensor(fp.points))
        t0 = time.perf_counter()
        X, iters = adam_on_q(dyn, starts)
        t_adam = time.perf_counter() - t0
        theirs = _true_fixed_points(dyn, X)
        # the finder's arithmetic: roughly one N x N solve (N^3 / 3 ... 2 N^3 / 3) per start per iteration
        flops = n_starts * 200 * (2 / 3) * N ** 3
        frac = f"{flops / t_ours / 1e9:.2f} ({flops / t_ours / 1e9 / peak:.0%})" if peak else "—"
        print(f"{N:>5} | {t_ours:>7.1f} s | {t_adam:>7.1f} s | {t_adam / t_ours:>11.2f}x | {len(ours):>16} | "
              f"{len(theirs):>13} | {_matched(theirs, ours):>6} | upper bound {frac}")
        rows.append(dict(N=N, t_ours=t_ours, t_adam=t_adam, ours=len(ours), adam=len(theirs)))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--starts", type=int, default=64)
    a = ap.parse_args(argv)
    threads = torch.get_num_threads()
    peak64 = matmul_gflops(1024, torch.float64)
    peak32 = matmul_gflops(1024, torch.float32)
    bpeak = matmul_gflops(128, torch.float64, batch=64)
    print(f"torch {torch.__version__}, {threads} threads; matmul n = 1024: {peak64:.1f} GFLOP/s (float64), "
          f"{peak32:.1f} GFLOP/s (float32); batched 64 x 128^2: {bpeak:.1f} GFLOP/s (float64)")
    bench_dca()
    bench_fixed_points(tuple(a.sizes), a.starts, peak=peak64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
