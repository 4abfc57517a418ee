"""Benchmarks for Part IV (note 003): Lyapunov spectra and the phase-diagram sweep.

1. QR re-orthonormalisation every k steps vs every step: time and accuracy of the full
   Lyapunov spectrum of a gated network (reference: QR every step).
2. The phase-diagram sweep as one batch vs a Python loop over parameter points (the same
   networks, so the results must agree to round-off): time ratio.

Run: ``.venv/bin/python benchmarks/bench_gated.py [--n N] [--points P]``; the default run
takes well under a minute on a CPU.  Uses ``rnnmath.get_device()``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import rnnmath
from rnnmath import gated as G
from rnnmath import lyapunov as L


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_qr_interval(n: int, device, t_avg: float = 100.0, dt: float = 0.1):
    net = G.random_gated_network(n, 3.0, 5.0, 1.0, batch=2, seed=1, device=device)
    x0 = torch.randn(2, 3 * n, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).to(device)
    x0 = G.integrate(lambda y: G.gated_vector_field(y, net), x0, dt, 200)
    field = lambda y: G.gated_vector_field(y, net)  # noqa: E731
    tangent = lambda y, W: G.gated_tangent(y, W, net)  # noqa: E731
    n_steps = int(t_avg / dt)
    out = {}
    for k in (1, 5, 20, 50, 100, 250, 500):
        steps = (n_steps // k) * k
        _sync(device)
        t0 = time.perf_counter()
        res = L.lyapunov_spectrum(field, tangent, x0, dt=dt, n_steps=steps, qr_every=k)
        _sync(device)
        out[k] = (time.perf_counter() - t0, res.exponents.cpu().numpy())
    ref_t, ref = out[1]
    print(f"[1] full Lyapunov spectrum, gated network N = {n} (3N = {3 * n} exponents), 2 networks, T = {t_avg}")
    print("    qr_every   interval   time [s]   speed-up vs every step   max |lambda_k - lambda_1|   error in lambda_max")
    for k, (t, ex) in out.items():
        print(f"    {k:8d}   {k * dt:8.1f}   {t:8.3f}   {ref_t / t:22.2f}   {np.abs(ex - ref).max():25.2e}   "
              f"{np.abs(ex[:, 0] - ref[:, 0]).max():.2e}")


def bench_sweep(n: int, points: int, device, t_avg: float = 40.0, dt: float = 0.2):
    g = np.linspace(1.5, 4.0, points)
    a = np.linspace(0.0, 20.0, points)
    gg, aa = np.meshgrid(g, a, indexing="ij")
    net = G.random_gated_network(n, gg.ravel(), 1.0, aa.ravel(), seed=2, device=device)
    x0 = 2 * torch.randn(net.batch, 3 * n, dtype=torch.float64, generator=torch.Generator().manual_seed(3)).to(device)
    kwargs = dict(dt=dt, n_steps=int(t_avg / dt / 5) * 5, k=1, qr_every=5, transient_steps=50)

    q0 = torch.randn(net.batch, 3 * n, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(4)).to(device)

    def run(sub, x, q):
        return L.lyapunov_spectrum(lambda y: G.gated_vector_field(y, sub), lambda y, W: G.gated_tangent(y, W, sub),
                                   x, q0=q, **kwargs).exponents[:, 0]

    _sync(device)
    t0 = time.perf_counter()
    batched = run(net, x0, q0)
    _sync(device)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    looped = []
    for b in range(net.batch):
        sub = G.GatedNetwork(*(t[b:b + 1] for t in (net.J_h, net.J_z, net.J_r, net.g_h, net.alpha_z, net.alpha_r)))
        looped.append(run(sub, x0[b:b + 1], q0[b:b + 1]))
    _sync(device)
    t_loop = time.perf_counter() - t0
    looped = torch.cat(looped)
    diff = float((batched - looped).abs().max())
    print(f"\n[2] largest-exponent sweep over {net.batch} parameter points (N = {n}, T = {t_avg})")
    print(f"    batched: {t_batch:.3f} s   per-point loop: {t_loop:.3f} s   speed-up: {t_loop / t_batch:.2f}x   "
          f"max |difference| = {diff:.1e}")
    if not diff < 1e-6:
        raise SystemExit("batched and looped sweeps disagree")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="units per population for the QR benchmark")
    parser.add_argument("--sweep-n", type=int, default=30, help="units per population for the sweep benchmark")
    parser.add_argument("--points", type=int, default=5, help="grid points per axis of the sweep")
    args = parser.parse_args()
    device = rnnmath.get_device()
    print(f"device: {device}")
    bench_qr_interval(args.n, device)
    bench_sweep(args.sweep_n, args.points, device)


if __name__ == "__main__":
    main()
