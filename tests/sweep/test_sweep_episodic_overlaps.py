"""Bad-input sweep of :mod:`rnnmath.episodic_overlaps` (Part I, chapter 06)."""
from __future__ import annotations


import numpy as np
import pytest
import torch

from rnnmath import episodic_overlaps as eo
from sweep._sweep import Case, run_case

D = torch.float64
NAN = float("nan")
M0 = torch.tensor([0.99, 0.0, 0.0], dtype=D)


def _close(a, b, tol=1e-12):
    a = np.asarray(a.detach() if isinstance(a, torch.Tensor) else a, dtype=float)
    return a.shape == np.shape(b) and np.allclose(a, b, rtol=tol, atol=tol)


def _brute_map(m, a, beta):
    """E_z[z tanh(beta z.(m + a P^T m))] by an explicit loop over itertools' sign vectors."""
    import itertools

    u = np.asarray(m) + a * np.roll(np.asarray(m), 1)
    zs = np.array(list(itertools.product([-1.0, 1.0], repeat=len(u))))
    return (zs * np.tanh(beta * zs @ u)[:, None]).mean(0)


CASES = [
    Case("sign_vectors", lambda: eo.sign_vectors(1), ValueError, "N_h: must be a", why="N_h = 1"),
    Case("sign_vectors", lambda: eo.sign_vectors(17), ValueError, "N_h: the exact average", why="too large"),
    Case("sign_vectors", lambda: eo.sign_vectors(3.0), ValueError, "N_h: must be a", why="float"),
    Case("sign_vectors", lambda: eo.sign_vectors(3, dtype=torch.int64), TypeError, "dtype: must be", why="int dtype"),
    Case("sign_vectors", lambda: eo.sign_vectors(3), None,
         ok=lambda r: r.shape == (8, 3) and torch.unique(r, dim=0).shape[0] == 8 and bool((r.abs() == 1).all()), why="all 8"),
    Case("overlap_map", lambda: eo.overlap_map(torch.tensor([NAN, 0, 0], dtype=D), 1.0, 4.0), ValueError, "m: must be finite",
         why="NaN m"),
    Case("overlap_map", lambda: eo.overlap_map(M0, NAN, 4.0), ValueError, "alpha_c: must", why="NaN alpha"),
    Case("overlap_map", lambda: eo.overlap_map(M0, 1.0, 0.0), ValueError, "beta: must be > 0", why="beta 0"),
    Case("overlap_map", lambda: eo.overlap_map(M0, 1.0, 4.0, "relu"), ValueError, "sigma: must be one of", why="bad sigma"),
    Case("overlap_map", lambda: eo.overlap_map(M0[:1], 1.0, 4.0), ValueError, "N_h: must be a", why="one memory"),
    Case("overlap_map", lambda: eo.overlap_map(M0.to(torch.int64), 1.0, 4.0), TypeError, "m: must be a float", why="int m"),
    Case("overlap_map", lambda: eo.overlap_map([0.99, 0.0, 0.0], 1.7, 3.0), None,
         ok=lambda r: _close(r, _brute_map([0.99, 0, 0], 1.7, 3.0)), why="list input vs itertools"),
    Case("overlap_trajectory", lambda: eo.overlap_trajectory(M0, 1.0, 4.0, 0), ValueError, "n_steps: must be a positive",
         why="0 steps"),
    Case("overlap_trajectory", lambda: eo.overlap_trajectory(torch.zeros(0, dtype=D), 1.0, 4.0, 3), ValueError, "m0: is empty",
         why="empty"),
    Case("overlap_trajectory", lambda: eo.overlap_trajectory(M0, 1.7, 3.0, 2), None,
         ok=lambda r: _close(r[2], _brute_map(_brute_map(M0.numpy(), 1.7, 3.0), 1.7, 3.0)), why="two steps"),
    Case("retrieves", lambda: eo.retrieves(torch.ones(3, dtype=D)), ValueError, "traj: must have shape", why="1-D"),
    Case("retrieves", lambda: eo.retrieves(torch.ones(1, 3, dtype=D)), ValueError, "traj: must have shape", why="no step"),
    Case("retrieves", lambda: eo.retrieves(torch.full((3, 3), NAN, dtype=D)), ValueError, "traj: must be finite", why="NaN"),
    Case("retrieves", lambda: eo.retrieves(torch.eye(3, dtype=D)[[0, 1, 2, 0]]), None, ok=lambda r: bool(r), why="perfect"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(4.0, 5, lo=2.0, hi=1.0), ValueError, "lo: must be < hi",
         why="lo > hi"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(4.0, 5, hi=1.2), ValueError, "hi: the recursion does not",
         why="hi too low"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(4.0, 5, lo=2.0), ValueError, "lo: the recursion already",
         why="lo too high"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(NAN, 5), ValueError, "beta: must", why="NaN beta"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(4.0, 5, tol=0.0), ValueError, "tol: must be > 0", why="tol"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(4.0, 5, n_steps=2), ValueError, "n_steps: must be a",
         why="fewer steps than memories"),
    Case("retrieval_threshold", lambda: eo.retrieval_threshold(4.0, 3), None,
         ok=lambda a: _brute_retrieves(a + 2e-3) and not _brute_retrieves(a - 2e-3), why="bracketed by a brute recursion"),
    Case("mixture_state", lambda: eo.mixture_state(1.0, -1.0, 5), ValueError, "beta: must be > 0", why="beta < 0"),
    Case("mixture_state", lambda: eo.mixture_state(1.0, 4.0, 5, n_iter=0), ValueError, "n_iter: must be a positive", why="n_iter"),
    Case("mixture_state", lambda: eo.mixture_state(1.0, 4.0, 3), None,
         ok=lambda m: abs(_brute_map([m] * 3, 1.0, 4.0)[0] - m) < 1e-12 and m > 0.1, why="fixed point, brute map"),
]


def _brute_retrieves(a, beta=4.0, n=3, T=60):
    m = np.zeros(n); m[0] = 0.99
    for t in range(1, T + 1):
        m = _brute_map(m, a, beta)
        k = t % n
        if not m[k] > np.delete(m, k).max() + 1e-9:
            return False
    return True


EXEMPT: dict = {}


def test_every_public_name_is_covered():
    missing = sorted(set(eo.__all__) - {c.func for c in CASES} - set(EXEMPT))
    assert not missing, missing


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
