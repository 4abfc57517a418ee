"""Bad-input sweep of :mod:`rnnmath.latent` (issue 11)."""
import math

import numpy as np
import pytest
import torch

from rnnmath import latent as lt
from sweep._sweep import Case, run_case

CPU = torch.device("cpu")
NAN = float("nan")
INF = float("inf")

A2 = np.array([[0.9, 0.0], [0.0, 0.1]])
Q2 = np.eye(2)


def _C(n_lags=4):
    return lt.var1_cross_covariances(A2, Q2, n_lags, device=CPU)


def _X(T=200, N=3, seed=0):
    return np.random.default_rng(seed).normal(size=(T, N))


def _nan(a):
    a = np.array(a, dtype=float)
    a.flat[0] = NAN
    return a


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=float)


def _cov_by_loop(X, k):
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(0)
    return sum(np.outer(Xc[t + k], Xc[t]) for t in range(len(X) - k)) / len(X)


def _scalar_ar1_pi(a=0.9):
    # independent closed form of a scalar AR(1): I = -log(1 - a^2) / 2
    return -0.5 * math.log(1 - a * a)


CASES = [
    # lagged_cross_covariances
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(_nan(_X()), 3, device=CPU), ValueError, "X: must be finite", why="NaN sample"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(_X(), 2.5, device=CPU), ValueError, "n_lags: must be", why="fractional lags"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(_X(), 0, device=CPU), ValueError, "n_lags: must be", why="zero lags"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(_X(5), 5, device=CPU), ValueError, "n_lags: must be", why="lags >= time"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(np.zeros(10), 2, device=CPU), ValueError, "X: must have 2 or 3", why="1-D"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(np.zeros((10, 0)), 2, device=CPU), ValueError, "X: is empty", why="no channels"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances(_X() + 1j, 2, device=CPU), TypeError, "X: must be real", why="complex X"),
    Case("lagged_cross_covariances", lambda: lt.lagged_cross_covariances((_X() * 10).astype(int).tolist(), 3, device=CPU), None,
         ok=lambda C: np.allclose(_np(C[2]), _cov_by_loop((_X() * 10).astype(int), 2), atol=1e-10), why="integer list vs explicit sum"),
    # block_toeplitz
    Case("block_toeplitz", lambda: lt.block_toeplitz(torch.zeros(3, 2, 2), n_blocks=0), ValueError, "n_blocks: must be in", why="zero blocks"),
    Case("block_toeplitz", lambda: lt.block_toeplitz(torch.zeros(3, 2, 2), n_blocks=4), ValueError, "n_blocks: must be in", why="more blocks than lags"),
    Case("block_toeplitz", lambda: lt.block_toeplitz(torch.zeros(2, 2)), ValueError, "cross_covs: must have shape", why="one matrix"),
    Case("block_toeplitz", lambda: lt.block_toeplitz(torch.full((3, 2, 2), NAN)), ValueError, "cross_covs: must be finite", why="NaN"),
    Case("block_toeplitz", lambda: lt.block_toeplitz(torch.zeros(3, 2, 3)), ValueError, "cross_covs: must be a square", why="non-square"),
    Case("block_toeplitz", lambda: lt.block_toeplitz(_np(_C(3))), None,
         ok=lambda S: np.allclose(_np(S)[2:4, 0:2], _np(_C(3))[1]) and np.allclose(_np(S)[0:2, 4:6], _np(_C(3))[2].T), why="numpy input, blocks by hand"),
    # predictive_information
    Case("predictive_information", lambda: lt.predictive_information(-_C()), ValueError, "cross_covs( \\(|: )", why="negative-definite covariance"),
    Case("predictive_information", lambda: lt.predictive_information(torch.as_tensor(_nan(_np(_C())))), ValueError, "cross_covs: must be finite", why="NaN"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), T=3), ValueError, "T: need 1 <= T", why="window too long"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), T=1.5), ValueError, "T: must be a positive integer", why="fractional window"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), reg=NAN), ValueError, "reg: must be >= 0", why="NaN reg"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), reg=-1.0), ValueError, "reg: must be >= 0", why="negative reg"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), V=torch.zeros(3, 1, dtype=torch.float64)), ValueError, "V: must have shape", why="V of another N"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), V=torch.full((2, 1), NAN, dtype=torch.float64)), ValueError, "V: must be finite", why="NaN V"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), V=torch.zeros(2, 1, dtype=torch.float64)), ValueError, "V: columns must be linearly independent", why="zero V"),
    Case("predictive_information", lambda: lt.predictive_information(_C(), V=np.array([[1.0], [0.0]])), None,
         ok=lambda pi: abs(float(pi) - _scalar_ar1_pi(0.9)) < 1e-10, why="first coordinate is AR(1) with a = 0.9"),
    # var1
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(_nan(A2), Q2, 3), ValueError, "A: must be finite", why="NaN A"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(2 * np.eye(2), Q2, 3), ValueError, "A: must be stable", why="unstable A"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(A2, -Q2, 3), ValueError, "Q: must be symmetric positive definite", why="negative Q"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(A2, Q2, 2.5), ValueError, "n_lags: must be a positive integer", why="fractional lags"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(A2, np.eye(3), 2), ValueError, "Q: must have the shape of A", why="mismatched Q"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(A2 + 0j, Q2, 2), TypeError, "A: must be real", why="complex A"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(A2.tolist(), Q2.tolist(), 3, device=CPU), None,
         ok=lambda C: np.allclose(_np(C[2]), np.diag([0.81 / (1 - 0.81), 0.01 / (1 - 0.01)])), why="A^2 Sigma_0 by hand"),
    Case("var1_predictive_information", lambda: lt.var1_predictive_information(A2, _nan(Q2)), ValueError, "Q: must be finite", why="NaN Q"),
    Case("var1_predictive_information", lambda: lt.var1_predictive_information(np.eye(2), Q2), ValueError, "A: must be stable", why="unit root"),
    Case("var1_predictive_information", lambda: lt.var1_predictive_information(A2, Q2), None,
         ok=lambda v: abs(v - _scalar_ar1_pi(0.9) - _scalar_ar1_pi(0.1)) < 1e-12, why="sum of two AR(1)s"),
    # orthonormal_basis
    Case("orthonormal_basis", lambda: lt.orthonormal_basis(torch.zeros(3, 4, dtype=torch.float64)), ValueError, "M: must have d <= N", why="more columns than rows"),
    Case("orthonormal_basis", lambda: lt.orthonormal_basis(torch.full((3, 2), NAN, dtype=torch.float64)), ValueError, "M: must be finite", why="NaN"),
    Case("orthonormal_basis", lambda: lt.orthonormal_basis(torch.zeros(3, dtype=torch.float64)), ValueError, "M: must have shape", why="1-D"),
    Case("orthonormal_basis", lambda: lt.orthonormal_basis(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])), ValueError, "M: columns must be linearly independent", why="rank 1"),
    Case("orthonormal_basis", lambda: lt.orthonormal_basis(np.array([[3.0, 1.0], [0.0, 1.0], [4.0, 0.0]])), None,
         ok=lambda V: np.allclose(_np(V).T @ _np(V), np.eye(2)) and np.allclose(_np(V)[:, 0], [0.6, 0.0, 0.8]), why="numpy input, Gram-Schmidt by hand"),
    # DCA
    Case("dca", lambda: lt.dca(_C(), 3), ValueError, "d: must be in", why="d > N"),
    Case("dca", lambda: lt.dca(_C(), 1.5), ValueError, "d: must be a positive integer", why="fractional d"),
    Case("dca", lambda: lt.dca(_C(), 1, n_starts=0), ValueError, "n_starts: must be", why="no starts"),
    Case("dca", lambda: lt.dca(_C(), 1, max_iter=0), ValueError, "max_iter: must be a positive integer", why="no iterations"),
    Case("dca", lambda: lt.dca(torch.as_tensor(_nan(_np(_C()))), 1), ValueError, "cross_covs: must be finite", why="NaN"),
    Case("dca", lambda: lt.dca(_C(), 1, init=[[1.0], [0.0], [0.0]]), ValueError, "init: must have shape", why="list init of another N"),
    Case("dca", lambda: lt.dca(_C(), 1, init=torch.full((2, 1), NAN, dtype=torch.float64)), ValueError, "init: must be finite", why="NaN init"),
    Case("dca", lambda: lt.dca(_C(), 1, reg=-1.0), ValueError, "reg: must be >= 0", why="negative reg"),
    Case("dca", lambda: lt.dca(_C(), 1, reg="small"), TypeError, "reg: must be a real number", why="string reg"),
    Case("dca", lambda: lt.dca(_C()[None, None], 1), ValueError, "cross_covs: must have shape \\(L, N, N\\) or \\(B, L, N, N\\)", why="rank 5"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(np.ones((2, 3)) * 0.1, np.ones((2, 3)), 2), ValueError, "A: must be a square", why="non-square A and Q"),
    Case("var1_cross_covariances", lambda: lt.var1_cross_covariances(A2, np.eye(2)[:, :1], 2), ValueError, "Q: must have the shape of A", why="non-square Q"),
    Case("dca", lambda: lt.dca(_C(), 1, n_starts=4), None,
         ok=lambda res: abs(abs(float(res.V[0, 0])) - 1) < 1e-6 and abs(res.pi - _scalar_ar1_pi(0.9)) < 1e-8, why="finds the slow coordinate"),
    Case("DCAResult", lambda: lt.dca(_C(), 1, n_starts=3), None,
         ok=lambda res: tuple(res.V_starts.shape) == (3, 2, 1) and abs(float(res.pi_starts.max()) - res.pi) < 1e-14, why="best of the starts"),
    # PCA
    Case("pca", lambda: lt.pca(_X(), 4), ValueError, "d: must be in", why="d > N"),
    Case("pca", lambda: lt.pca(_X(), 1.5), ValueError, "d: must be a positive integer", why="fractional d"),
    Case("pca", lambda: lt.pca(_X(1), 1), ValueError, "X: needs at least 2 samples", why="one sample"),
    Case("pca", lambda: lt.pca(_nan(_X()), 1), ValueError, "X: must be finite", why="NaN"),
    Case("pca", lambda: lt.pca(_X() + 1j, 1), TypeError, "X: must be real", why="complex"),
    Case("pca", lambda: lt.pca(_X() * np.array([1.0, 5.0, 2.0]), 1, device=CPU), None,
         ok=lambda t: abs(abs(float(t[0][1, 0])) - 1) < 0.05 and abs(float(t[1][0]) - np.var((_X() * [1, 5, 2])[:, 1], ddof=1)) < 0.5, why="largest-variance axis"),
    # subspace angles
    Case("subspace_angles", lambda: lt.subspace_angles(np.eye(3)[:, :1], np.eye(4)[:, :1]), ValueError, "B: must have as many rows", why="mismatched N"),
    Case("subspace_angles", lambda: lt.subspace_angles(np.zeros((3, 1)), np.eye(3)[:, :1]), ValueError, "A: columns must be linearly independent", why="zero vector"),
    Case("subspace_angles", lambda: lt.subspace_angles(_nan(np.eye(3)[:, :1]), np.eye(3)[:, :1]), ValueError, "A: must be finite", why="NaN"),
    Case("subspace_angles", lambda: lt.subspace_angles(np.eye(3)[:, :1], _nan(np.eye(3)[:, :1])), ValueError, "B: must be finite", why="NaN B"),
    Case("subspace_angles", lambda: lt.subspace_angles(np.zeros((3, 0)), np.eye(3)[:, :1]), ValueError, "A: is empty", why="no columns"),
    Case("subspace_angles", lambda: lt.subspace_angles(np.eye(3)[:, :1] + 0j, np.eye(3)[:, :1]), TypeError, "A: must be real", why="complex"),
    Case("subspace_angles", lambda: lt.subspace_angles([1.0, 0.0, 0.0], [1.0, 1.0, 0.0]), None, ok=lambda a: abs(a[0] - math.pi / 4) < 1e-14, why="45 degrees"),
]

EXEMPT = {}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)


def test_every_public_name_is_swept():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(lt.__all__) <= covered, sorted(set(lt.__all__) - covered)
