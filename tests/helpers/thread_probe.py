"""Run every rnnmath entry point that uses LU-based linear algebra; print the results as JSON.

Called by ``tests/test_linalg.py`` in a subprocess, once with one torch thread and once with
two (the thread count is the first argument), so that the comparison sees the real
multi-threaded code path of the batched-LU fault (see :mod:`rnnmath.linalg`).  Not a test
file itself.
"""
from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import torch

threads = int(sys.argv[1])
torch.set_num_threads(threads)
what = sys.argv[2].split(",") if len(sys.argv) > 2 else ["all"]
N = 256
out: dict = {"threads": torch.get_num_threads()}
warnings.simplefilter("ignore")


def want(name):
    return "all" in what or name in what


def mats(B, n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, n, n, generator=g, dtype=torch.float64) + n ** 0.5 * torch.eye(n, dtype=torch.float64)


if want("raw"):  # torch itself, unguarded
    A = mats(4, N, 1)
    b = torch.ones(4, N, 1, dtype=torch.float64)
    try:
        x = torch.linalg.solve(A, b)
        out["raw_solve_residual"] = float((A @ x - b).abs().max())
    except RuntimeError as exc:
        out["raw_solve_residual"] = f"error: {str(exc)[:80]}"
    out["raw_slogdet_vs_loop"] = float((torch.linalg.slogdet(A)[1]
                                        - torch.stack([torch.linalg.slogdet(a)[1] for a in A])).abs().max())

if want("linalg"):
    from rnnmath import linalg as rl

    A = mats(4, N, 2)
    b = torch.randn(4, N, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    out["solve"] = rl.solve(A, b).tolist()
    out["inv_diag"] = rl.inv(A).diagonal(dim1=-2, dim2=-1).tolist()
    out["slogdet"] = rl.slogdet(A)[1].tolist()
    out["logdet_spd"] = rl.logdet_spd(A @ A.mT).tolist()
    out["modes"] = {str(k): v for k, v in rl.lu_modes().items()}

if want("rate_finder"):
    from rnnmath.fixed_points import RateDynamics, find_fixed_points

    g = np.random.default_rng(4)
    W = 2.0 * g.standard_normal((N, N)) / np.sqrt(N)
    dyn = RateDynamics(W, 0.3 * g.standard_normal(N), activation="tanh", device="cpu")
    # the dense path: its Newton steps are batched LU solves, what this probe compares across threads
    fp = find_fixed_points(dyn, 1.0 * g.standard_normal((16, N)), max_iter=200, method="dense")
    out["rate_points"] = fp.points.tolist()
    out["rate_slow_points"] = fp.slow_points.tolist()
    out["rate_counts"] = [fp.n_converged, fp.n_slow, fp.n_unconverged]

if want("gated_newton"):
    from rnnmath.gated import find_fixed_points as gated_fp, random_gated_network

    net = random_gated_network(N, 1.5, 1.0, 1.0, batch=4, seed=5, device="cpu")
    h0 = 0.1 * torch.randn(4, N, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    x, res = gated_fp(net, h0, max_iter=20)
    out["gated_fixed_points"] = x[:, :8].tolist()

if want("attractor"):
    from rnnmath.attractor import newton_fixed_point, random_symmetric_weights, stationary_gradient

    g = torch.Generator().manual_seed(7)
    W = torch.randn(N, N, generator=g, dtype=torch.float64) * 0.5 / N ** 0.5
    W = (W + W.T) / 2
    W.fill_diagonal_(0.0)
    b = 0.3 * torch.randn(N, generator=g, dtype=torch.float64)
    x0 = 0.1 * torch.randn(4, N, generator=g, dtype=torch.float64)
    xs = newton_fixed_point(x0, W, b)
    y = torch.rand(4, N, generator=g, dtype=torch.float64) * 2 - 1
    M = torch.ones(N, dtype=torch.float64)
    dW, db = stationary_gradient(xs, y, W, M)
    out["attractor_fixed_point"] = xs[:, :8].tolist()
    out["stationary_gradient"] = [float(dW.abs().sum())] + db[:8].tolist()

if want("latent"):
    from rnnmath.latent import dca, predictive_information, var1_cross_covariances, var1_predictive_information

    g = np.random.default_rng(8)
    n = 30
    A = g.standard_normal((n, n))
    A = 0.9 * A / np.max(np.abs(np.linalg.eigvals(A)))
    C = var1_cross_covariances(A, np.eye(n), 10, device="cpu")
    out["pi_full"] = float(predictive_information(C, T=5))
    out["pi_var1"] = float(var1_predictive_information(A, np.eye(n)))
    res = dca(C, 3, T=5, n_starts=4, max_iter=100)
    out["dca_pi"] = float(res.pi)

if want("unitary"):
    from rnnmath.unitary import RNNParams, similarity_transform

    g = torch.Generator().manual_seed(9)
    n = N
    p = RNNParams(W=torch.randn(n, n, generator=g, dtype=torch.float64) / n,
                  F=torch.randn(n, 2, generator=g, dtype=torch.float64),
                  b=torch.randn(n, generator=g, dtype=torch.float64),
                  C=torch.randn(2, n, generator=g, dtype=torch.float64),
                  h0=torch.zeros(n, dtype=torch.float64))
    T = torch.eye(n, dtype=torch.float64) + 0.1 * torch.randn(n, n, generator=g, dtype=torch.float64) / n ** 0.5
    q = similarity_transform(p, T)
    out["similarity_C"] = q.C[:, :8].tolist()

if want("enumerate"):
    from rnnmath.fixed_points import relu_fixed_points_exhaustive

    g = np.random.default_rng(10)
    W = 1.2 * g.standard_normal((10, 10)) / np.sqrt(10)
    out["relu_exhaustive"] = relu_fixed_points_exhaustive(W, g.standard_normal(10)).tolist()

print("JSON:" + json.dumps(out))
