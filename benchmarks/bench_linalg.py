"""Benchmark: the guarded batched LU of ``rnnmath.linalg`` against the alternatives.

torch 2.13.0's batched LU is wrong on this CPU build with two or more threads at n >= ~160
(see ``rnnmath/linalg.py`` and the README).  For a batch of ``B`` systems of size ``n`` this
prints, in one run, the wall time of

* ``raw batched``: ``torch.linalg.solve`` on the batch with the machine's threads (and whether
  it was correct: ``ok`` / ``WRONG`` / ``ERROR``);
* ``one-thread batched``: the same call under ``torch.set_num_threads(1)`` (the workaround
  the Makefile used to impose globally);
* ``guarded``: ``rnnmath.linalg.solve`` with the machine's threads (self-test done beforehand;
  includes its O(n^2) residual check);
* ``cholesky``: ``cholesky_solve`` on ``A A^T`` (only for SPD systems),

and the ratio ``one-thread / guarded``.  Every result is checked against a per-matrix loop.

Usage::

    .venv/bin/python benchmarks/bench_linalg.py            # all cores (the point of the guard)
    .venv/bin/python benchmarks/bench_linalg.py --sizes 256 1024 --batch 8
"""
from __future__ import annotations

import argparse
import time
import warnings

import torch

from rnnmath import linalg as rl


def _best(fn, repeats):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(sizes=(64, 160, 256, 512), batch=16, repeats=3):
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, float64, batch {batch}")
    print(f"{'n':>5} | {'raw batched':>18} | {'one-thread':>10} | {'guarded':>10} | {'cholesky':>9} | "
          f"{'1-thread/guarded':>16} | mode")
    rows = []
    for n in sizes:
        g = torch.Generator().manual_seed(n)
        A = torch.randn(batch, n, n, generator=g, dtype=torch.float64) + n ** 0.5 * torch.eye(n, dtype=torch.float64)
        b = torch.randn(batch, n, 1, generator=g, dtype=torch.float64)
        ref = torch.stack([torch.linalg.solve(a, bb) for a, bb in zip(A, b)])
        tol = 1e-8 * float(ref.abs().max())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rl.BatchedLUFaultWarning)
            rl.batched_lu_fault(n=n)  # the self-test, outside the timing
        try:
            t_raw, x = _best(lambda: torch.linalg.solve(A, b), repeats)
            raw = "ok" if float((x - ref).abs().max()) < tol else "WRONG"
        except RuntimeError:
            t_raw, raw = float("nan"), "ERROR"

        def one_thread():
            torch.set_num_threads(1)
            try:
                return torch.linalg.solve(A, b)
            finally:
                torch.set_num_threads(threads)

        t_one, x1 = _best(one_thread, repeats)
        t_guard, xg = _best(lambda: rl.solve(A, b), repeats)
        S = A @ A.mT
        t_chol, _ = _best(lambda: torch.cholesky_solve(b, torch.linalg.cholesky(S)), repeats)
        for name, x in (("one-thread", x1), ("guarded", xg)):
            err = float((x - ref).abs().max())
            if not err < tol:
                raise SystemExit(f"{name} solve at n = {n} is wrong (max error {err:.3g})")
        mode = rl.lu_modes().get(rl._config_key(A.device, A.dtype, n), "?")
        print(f"{n:>5} | {t_raw * 1e3:>10.2f} ms {raw:>5} | {t_one * 1e3:>7.2f} ms | {t_guard * 1e3:>7.2f} ms | "
              f"{t_chol * 1e3:>6.2f} ms | {t_one / t_guard:>16.2f} | {mode}")
        rows.append(dict(n=n, raw=t_raw, raw_status=raw, one_thread=t_one, guarded=t_guard, cholesky=t_chol, mode=mode))
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 160, 256, 512])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    run(tuple(a.sizes), a.batch, a.repeats)
