"""Benchmark: the batched learning experiment vs a Python loop over (size, realisation).

Part V, chapter 4 (``book/part5_unitary/04_learning_experiment``).  The same
training job -- standard and unitary ReLU RNNs of every hidden size in
``--sizes`` on each of ``--n-real`` synthetic systems -- is run twice:

* batched: one call of :func:`rnnmath.unitary.train_rnn_models` on all
  ``2 x len(sizes) x n_real`` models, padded to the largest size with masks;
* loop: one call per model, unpadded (:func:`rnnmath.unitary.unpad_model`).

Both start from the same parameters and see the same mini-batches, so they
must end with the same parameters; the benchmark checks that (float32
tolerance) before it prints the wall times and their ratio.

Usage: ``python benchmarks/bench_unitary.py [--n-real 4] [--sizes 2 4 6 8 10 12 14] [--T 100]
[--n-seq 20] [--epochs 2] [--device cpu]``
"""
from __future__ import annotations

import argparse
import time

import torch

from rnnmath import unitary as U
from rnnmath.device import get_device
from rnnmath.verify import check_close


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-real", type=int, default=4)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 6, 8, 10, 12, 14])
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--n-seq", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    dev = get_device(args.device)
    g = torch.Generator().manual_seed(0)
    systems = U.make_synthetic_systems(args.n_real, generator=g, device=dev)
    x, _, y = U.generate_sequences(systems, args.n_seq, args.T, 20.0, generator=g)
    x, y = x.float(), y.float()
    S = len(args.sizes)
    init = U.init_rnn_models(args.sizes, args.n_real, x.shape[-1], y.shape[-1], generator=g, device=dev)
    both = {k: torch.cat([v, v]) for k, v in init.items()}
    unitary = [False] * S + [True] * S
    order = torch.stack([torch.randperm(args.n_seq, generator=g) for _ in range(args.epochs)])
    kw = dict(epochs=args.epochs, batch_size=10, lr=0.01, order=order, show_progress=False)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    sync()
    t0 = time.perf_counter()
    batched, _ = U.train_rnn_models(both, x, y, unitary=torch.tensor(unitary), **kw)
    sync()
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    looped = {}
    for s in range(2 * S):
        for r in range(args.n_real):
            one, _ = U.train_rnn_models(U.unpad_model(both, s, r), x[r:r + 1], y[r:r + 1], unitary=unitary[s], **kw)
            looped[s, r] = one
    sync()
    t_loop = time.perf_counter() - t0

    worst = 0.0
    for (s, r), one in looped.items():
        worst = max(worst, float((U.unpad_model(batched, s, r)["W"] - one["W"]).abs().max()))
    check_close(torch.tensor(worst), torch.tensor(0.0), "batched and looped training agree", atol=1e-3)

    n_models = 2 * S * args.n_real
    print(f"device {dev}, {n_models} models (sizes {args.sizes}, {args.n_real} realisations, standard + unitary), "
          f"T = {args.T}, {args.n_seq} sequences, {args.epochs} epochs")
    print(f"batched: {t_batched:8.3f} s")
    print(f"loop   : {t_loop:8.3f} s   ({n_models} separate trainings)")
    print(f"speed-up (loop / batched): {t_loop / t_batched:.1f}x;  max |W_batched - W_loop| = {worst:.2e}")


if __name__ == "__main__":
    main()
