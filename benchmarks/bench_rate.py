"""Benchmark: training 10 rate networks as one batched model vs one network at a time.

Both runs see the same trials and noise (float32, Adam, lr 1e-3), so they end with the same
weights (checked below); only the wall-clock time differs.  Prints the speed-up ratio.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rate.py            # CPU default, < 1 min
    .venv/bin/python benchmarks/bench_rate.py --units 256 --iters 200 --steps 100   # GPU sizes
"""
from __future__ import annotations

import argparse
import time

import torch

import rnnmath
from rnnmath import rate
from rnnmath.verify import check_close


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(n_networks=10, n_units=32, n_steps=30, n_iters=30, n_trials=16, device=None, repeats=1):
    device = rnnmath.get_device() if device is None else torch.device(device)
    task = rate.PerceptionTask(n_steps=n_steps)
    source = rate.trial_stream(task, n_networks, n_trials, n_units, seed=0, device=device, dtype=torch.float32)
    # pre-draw the data so that both variants time training only
    data = [source(it) for it in range(n_iters)]

    def fresh():
        g = torch.Generator().manual_seed(0)
        return rate.initialise_ensemble(n_networks, n_units, 1, 1, task.input_std, generator=g, device=device,
                                        dtype=torch.float32)

    best_batched, best_loop = float("inf"), float("inf")
    for _ in range(repeats):
        model = fresh()
        _sync(device)
        t0 = time.perf_counter()
        rate.fit(model, lambda it: data[it], n_iters)
        _sync(device)
        best_batched = min(best_batched, time.perf_counter() - t0)

        singles = [fresh().select([b]) for b in range(n_networks)]
        _sync(device)
        t0 = time.perf_counter()
        for b, single in enumerate(singles):
            def one(it, b=b):
                tb, eps = data[it]
                return rate.TrialBatch(tb.inputs[b:b + 1], tb.targets[b:b + 1], tb.conditions[b:b + 1]), eps[b:b + 1]
            rate.fit(single, one, n_iters)
        _sync(device)
        best_loop = min(best_loop, time.perf_counter() - t0)

    looped = torch.cat([s.W_rec.detach() for s in singles])
    agree = check_close(looped, model.W_rec.detach(), "batched and one-at-a-time training agree",
                        rtol=1e-4, atol=1e-6, strict=False)
    return dict(device=str(device), batched_s=best_batched, loop_s=best_loop, ratio=best_loop / best_batched,
                agree=agree)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", type=int, default=10)
    ap.add_argument("--units", type=int, default=32)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--device", default=None)
    a = ap.parse_args()
    out = run(a.networks, a.units, a.steps, a.iters, a.trials, a.device, a.repeats)
    print(f"device {out['device']}: {a.networks} networks, N={a.units}, {a.steps}-step trials, "
          f"{a.iters} Adam steps of {a.trials} trials")
    print(f"  batched (one model): {out['batched_s']:.3f} s")
    print(f"  one at a time:       {out['loop_s']:.3f} s")
    print(f"  speed-up ratio (one-at-a-time / batched): {out['ratio']:.2f}x")
    print(f"  {out['agree']}")


if __name__ == "__main__":
    main()
