"""Benchmark: the Part I energy ensemble, batched vs one network at a time.

Part I, chapters 04-05 (``book/part1_episodic/04_discrete_energy``).  ``B`` random networks
``(Xi, Phi)`` are iterated with the Elman update (Eq. 7) for ``T`` steps while both energy changes
of each step are recorded (``V_d`` held, ``V_d`` tracking) — the experiment behind the theorem
"the held-V_d energy never rises".  The batched way is one call of ``episodic.run_adiabatic`` on
tensors with a leading batch dimension; the naive way loops over the networks in Python and calls
the same function on each one.  Both results must agree to float64 precision and both must show
no rise of the held-V_d energy; the wall times and their ratio are printed.

Usage: ``python benchmarks/bench_episodic.py [--batch 400] [--n-f 16] [--n-h 4] [--steps 40] [--device cpu]``
"""
from __future__ import annotations

import argparse
import time

import torch

from rnnmath import episodic as ep
from rnnmath.device import get_device
from rnnmath.verify import check_bound, check_close


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=400)
    ap.add_argument("--n-f", type=int, default=16)
    ap.add_argument("--n-h", type=int, default=4)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    dev = get_device(args.device)
    g = torch.Generator(device=dev).manual_seed(0)
    Xi, Phi = ep.random_networks(args.batch, args.n_f, args.n_h, generator=g, device=dev, scale=1.5)
    x0 = 2 * torch.randn(args.batch, args.n_f, generator=g, device=dev, dtype=torch.float64)

    ep.run_adiabatic(x0[:2], Xi[:2], Phi[:2], 2)             # warm-up (kernels, allocator)
    _sync(dev)
    t0 = time.perf_counter()
    X_b, fr_b, tr_b = ep.run_adiabatic(x0, Xi, Phi, args.steps)
    _sync(dev)
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    outs = [ep.run_adiabatic(x0[k], Xi[k], Phi[k], args.steps) for k in range(args.batch)]
    _sync(dev)
    t_loop = time.perf_counter() - t0
    X_l = torch.stack([o[0] for o in outs], dim=1)
    fr_l = torch.stack([o[1] for o in outs], dim=1)

    scale = float(fr_b.abs().max())
    # one step is reproduced to rounding; over many steps the (sometimes chaotic) dynamics amplify the
    # different summation orders of batched and single matrix products, hence the looser tolerance
    print(check_close(X_b[1], X_l[1], "first step: batched = per-network", rtol=1e-12, atol=1e-12))
    print(check_close(X_b, X_l, "whole trajectories agree (rounding amplified by the dynamics)", rtol=1e-6, atol=1e-9))
    print(check_close(fr_b, fr_l, "energy changes agree", rtol=1e-6, atol=1e-9 * scale))
    print(check_bound(fr_b, "held-V_d energy never rises", upper=0.0, atol=1e-12 * scale))
    rise = (tr_b > 1e-12 * scale).double().mean().item()
    print(f"device {dev}, {args.batch} networks x {args.steps} steps, N_f = {args.n_f}, N_h = {args.n_h}")
    print(f"tracking-V_d energy rises on {rise:.1%} of steps")
    print(f"batched           : {t_batched:8.3f} s")
    print(f"per-network loop  : {t_loop:8.3f} s")
    print(f"speed-up (loop / batched): {t_loop / t_batched:.1f}x")


if __name__ == "__main__":
    main()
