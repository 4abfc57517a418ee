"""Benchmark: Part III (note 002) — stationary gradient vs BPTT, and convolution vs its dense matrix.

Part III, chapters 3-4 (``book/part3_attractor``).

1. **Stationary (Almeida–Pineda) gradient vs BPTT.**  For random clamped symmetric nets of ``n``
   units (a batch of examples), the gradient of note Eq. 5 is computed (a) by settling to the fixed
   point without a graph and applying Eqs. 14-15 (with the factor 2) through one linear solve, and
   (b) by torch autograd through ``T`` unrolled parallel steps, with ``T`` twice the settling time so
   that both are accurate.  The two must agree; the wall times and their ratio are printed.
2. **Convolution vs the equivalent dense matrix.**  One layer-wise sweep of the convolutional
   bipartite net of chapter 4 (``conv_layerwise_sweep``) against the same sweep done with the dense
   operator (``dense_operator``, built once, not timed) at growing image sizes.  Outputs must agree;
   the ratio of times is printed (and the memory of the dense matrix).

Usage: ``python benchmarks/bench_attractor.py [--sizes-n 32 64 128 256] [--batch 16] [--images 8 16 32] [--device cpu]``
"""
from __future__ import annotations

import argparse
import time

import torch

from rnnmath import attractor as att
from rnnmath.device import get_device
from rnnmath.verify import check_close


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device, repeat=3):
    fn()  # warm-up
    _sync(device)
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_gradients(sizes, batch, device):
    print("== stationary gradient (Eqs. 14-15, one solve) vs BPTT through T parallel steps ==")
    print(f"{'n':>5} {'t*':>5} {'T':>5} | {'stationary s':>12} {'BPTT s':>10} | {'BPTT/stationary':>15} | max |diff|")
    for n in sizes:
        g = torch.Generator().manual_seed(n)
        W = att.random_symmetric_weights(1, n, scale=0.45, generator=g, device=device)[0]  # spectral norm < 1
        b = (0.3 * torch.randn(n, generator=g, dtype=torch.float64)).to(device)
        clamp = torch.zeros(n, dtype=torch.bool, device=device)
        clamp[: n // 4] = True
        M = torch.zeros(n, dtype=torch.float64, device=device)
        M[n // 4 : n // 2] = 1.0
        y = (0.8 * torch.sign(torch.randn(batch, n, generator=g, dtype=torch.float64))).to(device)
        x0 = torch.where(clamp, y, torch.zeros_like(y))
        _, t_star, ok = att.run_to_fixed_point(x0, W, b, clamp=clamp, theta=1e-13)
        assert bool(ok.all()), "the parallel dynamics did not settle; lower the weight scale"
        T = 2 * int(t_star.max())

        def stationary():
            xs, _, _ = att.run_to_fixed_point(x0, W, b, clamp=clamp, theta=1e-13)
            return att.stationary_gradient(xs, y, W, M, clamp=clamp)

        def bptt():
            dW, db, _ = att.bptt_gradient(x0, W, b, y, M, T, clamp=clamp)
            return dW, db

        t_s, (G, gb) = _timed(stationary, device)
        t_b, (dW, db) = _timed(bptt, device)
        res = check_close(G, dW, f"n = {n}: Eq. 14 = BPTT", rtol=1e-7, atol=1e-9)
        check_close(gb, db, f"n = {n}: Eq. 15 = BPTT", rtol=1e-7, atol=1e-9)
        print(f"{n:5d} {int(t_star.max()):5d} {T:5d} | {t_s:12.4f} {t_b:10.4f} | {t_b / t_s:15.1f} | {res.max_error:.1e}")


def bench_conv(images, hidden, device):
    print("\n== one layer-wise sweep: convolution vs the equivalent dense matrix ==")
    print(f"{'image':>7} {'dense MB':>9} | {'conv s':>9} {'dense s':>9} | {'dense/conv':>10} | max |diff|")
    for S in images:
        g = torch.Generator().manual_seed(S)
        w = (0.05 * torch.randn(1, hidden, 5, 5, generator=g, dtype=torch.float64)).to(device)
        bv = torch.zeros(1, dtype=torch.float64, device=device)
        bh = (0.1 * torch.randn(hidden, generator=g, dtype=torch.float64)).to(device)
        v = att.stripe_images(8, S, generator=g, device=device)
        h = torch.zeros(8, hidden, S, S, dtype=torch.float64, device=device)
        U = att.dense_operator(w, S, S)  # (S*S, hidden*S*S), built once
        bh_full = bh.repeat_interleave(S * S)

        def conv_sweep():
            return att.conv_layerwise_sweep(v, h, w, bv, bh)

        def dense_sweep():
            h_new = torch.tanh(v.flatten(1) @ U + bh_full)
            v_new = torch.tanh(h_new @ U.T + bv)
            return v_new.view_as(v), h_new.view_as(h)

        t_c, (vc, hc) = _timed(conv_sweep, device, repeat=5)
        t_d, (vd, hd) = _timed(dense_sweep, device, repeat=5)
        r = check_close(torch.cat([vc.flatten(1), hc.flatten(1)], 1), torch.cat([vd.flatten(1), hd.flatten(1)], 1),
                        f"{S}x{S}: conv sweep = dense sweep", atol=1e-12)
        mb = U.numel() * U.element_size() / 2**20
        print(f"{S:4d}^2  {mb:9.1f} | {t_c:9.5f} {t_d:9.5f} | {t_d / t_c:10.1f} | {r.max_error:.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes-n", type=int, nargs="+", default=[32, 64, 128, 256])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--images", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    dev = get_device(args.device)
    print(f"device: {dev}")
    bench_gradients(args.sizes_n, args.batch, dev)
    bench_conv(args.images, args.hidden, dev)


if __name__ == "__main__":
    main()
