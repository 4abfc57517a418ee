"""Part II, chapter 4 (latent spaces; note 001 sections 4-5): rnnmath.latent."""
import math

import numpy as np
import pytest
import sympy as sp
import torch

from rnnmath import latent as lt
from rnnmath import verify as V

f64 = torch.float64


def _stable(N, rng, rho=0.8):
    A = rng.normal(size=(N, N))
    return A * rho / np.max(np.abs(np.linalg.eigvals(A)))


def _simulate_var1(A, Q, T, rng, trials=1):
    N = A.shape[0]
    L = np.linalg.cholesky(Q)
    x = np.zeros((trials, T + 200, N))
    for t in range(1, T + 200):
        x[:, t] = x[:, t - 1] @ A.T + rng.normal(size=(trials, N)) @ L.T
    return x[:, 200:]


def test_block_toeplitz_matches_definition():
    rng = np.random.default_rng(0)
    C = torch.as_tensor(rng.normal(size=(3, 2, 2)))
    S = lt.block_toeplitz(C)
    for i in range(3):
        for j in range(3):
            blk = C[i - j] if i >= j else C[j - i].T
            assert V.check_close(S[2 * i:2 * i + 2, 2 * j:2 * j + 2], blk)
    # the other orientation (C_k below the diagonal transposed) is a different matrix
    wrong = torch.cat([torch.cat([C[abs(i - j)] for j in range(3)], 1) for i in range(3)], 0)
    assert not V.check_close(S, wrong, strict=False)


def test_pi_of_var1_equals_closed_form_for_every_window():
    rng = np.random.default_rng(1)
    A = _stable(4, rng)
    Q = np.eye(4) * 0.5 + 0.1
    C = lt.var1_cross_covariances(A, Q, 8, device="cpu")
    exact = lt.var1_predictive_information(A, Q)
    for T in (1, 2, 3, 4):
        assert V.check_close(lt.predictive_information(C, None, T), exact, rtol=1e-9)
    # a wrong formula (no 1/2 on the joint term) fails
    S = lt.block_toeplitz(C[:4])
    wrong = torch.linalg.slogdet(S[:8, :8])[1] - torch.linalg.slogdet(S)[1]
    assert not V.check_close(wrong, exact, rtol=1e-6, strict=False)


def test_scalar_ar1_pi_is_independent_of_window_symbolically():
    a, s = sp.symbols("a s", positive=True)
    for n in (1, 2, 3, 4):
        kms = sp.Matrix(n, n, lambda i, j: s * a ** abs(i - j))
        assert V.check_scalar_identity(kms.det(), s**n * (1 - a**2) ** (n - 1), name=f"KMS det n={n}")
    T = sp.symbols("T", positive=True, integer=True)
    logdet = lambda n: n * sp.log(s) + (n - 1) * sp.log(1 - a**2)  # noqa: E731
    assert V.check_scalar_identity(sp.expand_log(logdet(T) - logdet(2 * T) / 2, force=True),
                                   -sp.log(1 - a**2) / 2, name="I_T = -log(1-a^2)/2")
    assert not V.check_scalar_identity(logdet(T) - logdet(2 * T), -sp.log(1 - a**2) / 2, strict=False)


def test_estimated_cross_covariances_converge_to_exact():
    rng = np.random.default_rng(2)
    A = _stable(3, rng, 0.7)
    Q = np.eye(3)
    x = _simulate_var1(A, Q, 4000, rng, trials=8)
    Ce = lt.lagged_cross_covariances(torch.as_tensor(x), 4, device="cpu")
    C = lt.var1_cross_covariances(A, Q, 4, device="cpu")
    assert V.check_close(Ce, C, rtol=0.05, atol=0.03)
    assert V.check_close(lt.predictive_information(Ce, None, 2), lt.var1_predictive_information(A, Q), rtol=0.03)
    # single-trial 2-D input gives the same shape
    assert lt.lagged_cross_covariances(torch.as_tensor(x[0]), 4, device="cpu").shape == (4, 3, 3)


def _planted(N=8, d=2, noise_var=1.0, seed=3):
    """x = U [z; w]: z a 2-D rotation-decay VAR, w white noise of variance noise_var."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.normal(size=(N, N)))[0]
    A = np.zeros((N, N))
    A[:d, :d] = 0.92 * np.array([[math.cos(0.3), -math.sin(0.3)], [math.sin(0.3), math.cos(0.3)]])
    Q = np.diag([1.0] * d + [noise_var] * (N - d))
    return U @ A @ U.T, U @ Q @ U.T, U[:, :d]


def test_dca_recovers_planted_predictive_subspace():
    A, Q, U = _planted()
    C = lt.var1_cross_covariances(A, Q, 6, device="cpu")
    res = lt.dca(C, 2, 3, n_starts=4, seed=0)
    assert V.check_bound(lt.subspace_angles(res.V, U), upper=1e-5, name="angles to planted subspace")
    assert V.check_close(res.pi, lt.predictive_information(C, torch.as_tensor(U), 3), rtol=1e-8)
    V_ = res.V
    assert V.check_close(V_.T @ V_, torch.eye(2, dtype=f64), atol=1e-12)
    # the spread over starts is reported
    assert res.pi_starts.shape == (4,) and res.V_starts.shape == (4, 8, 2)


def test_pca_misses_the_predictive_subspace_when_noise_dominates_variance():
    A, Q, U = _planted(noise_var=9.0)
    rng = np.random.default_rng(4)
    x = _simulate_var1(A, Q, 3000, rng, trials=2)
    Vp, var = lt.pca(torch.as_tensor(x), 2, device="cpu")
    assert V.check_close(Vp.T @ Vp, torch.eye(2, dtype=f64), atol=1e-12)
    assert bool(var[0] >= var[1])
    assert not V.check_bound(lt.subspace_angles(Vp, U), upper=0.1, strict=False)
    # while DCA on the same data finds it
    Ce = lt.lagged_cross_covariances(torch.as_tensor(x), 6, device="cpu")
    res = lt.dca(Ce, 2, 3, n_starts=3)
    assert V.check_bound(lt.subspace_angles(res.V, U), upper=0.1)


def test_pca_matches_numpy_eigendecomposition():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    Vp, var = lt.pca(X, 4, device="cpu")
    ev, evec = np.linalg.eigh(np.cov(X.T))
    assert V.check_close(var.numpy(), ev[::-1], rtol=1e-10)
    assert V.check_bound(lt.subspace_angles(Vp[:, :1], evec[:, -1]), upper=1e-7)


def test_pi_is_basis_invariant_within_the_subspace():
    rng = np.random.default_rng(6)
    A = _stable(5, rng)
    C = lt.var1_cross_covariances(A, np.eye(5), 4, device="cpu")
    Vb = lt.orthonormal_basis(torch.as_tensor(rng.normal(size=(5, 2))))
    R = torch.as_tensor(np.linalg.qr(rng.normal(size=(2, 2)))[0])
    assert V.check_close(lt.predictive_information(C, Vb @ R), lt.predictive_information(C, Vb), rtol=1e-10)
    batch = lt.predictive_information(C, torch.stack([Vb, Vb @ R]))
    assert batch.shape == (2,)


def test_subspace_angles_of_known_vectors():
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([math.cos(0.5), math.sin(0.5), 0.0])
    assert V.check_close(lt.subspace_angles(a, b), np.array([0.5]))
    P = np.eye(3)[:, :2]
    ang = lt.subspace_angles(P, np.eye(3)[:, 1:])
    assert V.check_close(ang, np.array([0.0, math.pi / 2]), atol=1e-12)
    assert not V.check_close(ang, np.array([math.pi / 2, 0.0]), strict=False)  # ascending order


def test_bad_input_is_rejected_with_the_argument_named():
    with pytest.raises(ValueError, match="X:"):
        lt.lagged_cross_covariances(np.zeros(5), 2)
    with pytest.raises(ValueError, match="n_lags:"):
        lt.lagged_cross_covariances(np.zeros((5, 2)), 5)
    C = lt.var1_cross_covariances(0.5 * np.eye(2), np.eye(2), 4, device="cpu")
    with pytest.raises(ValueError, match="T:"):
        lt.predictive_information(C, None, 3)
    with pytest.raises(ValueError, match="V:"):
        lt.predictive_information(C, torch.zeros(3, 1, dtype=f64), 2)
    with pytest.raises(ValueError, match="A:"):
        lt.var1_cross_covariances(1.5 * np.eye(2), np.eye(2), 3)
    with pytest.raises(ValueError, match="Q:"):
        lt.var1_cross_covariances(0.5 * np.eye(2), -np.eye(2), 3)
    with pytest.raises(ValueError, match="d:"):
        lt.dca(C, 3)
    with pytest.raises(ValueError, match="d:"):
        lt.pca(np.zeros((10, 2)), 0)
    with pytest.raises(ValueError, match="B:"):
        lt.subspace_angles(np.eye(3), np.eye(2))
    with pytest.raises(ValueError, match="A:"):
        lt.subspace_angles(np.zeros((3, 1)), np.eye(3))
    with pytest.raises(ValueError, match="cross_covs:"):
        lt.block_toeplitz(torch.zeros(3, 2, 3))


def test_batched_dca_and_pi_equal_one_series_at_a_time():
    A1, Q1, U1 = _planted(seed=7)
    A2, Q2, U2 = _planted(seed=8)
    C = torch.stack([lt.var1_cross_covariances(A, Q, 6, device="cpu") for A, Q in ((A1, Q1), (A2, Q2))])
    Vs = torch.stack([torch.as_tensor(U1), torch.as_tensor(U2)])
    pis = lt.predictive_information(C, Vs, 3)
    assert pis.shape == (2,)
    assert V.check_close(pis[1], lt.predictive_information(C[1], Vs[1], 3))
    res = lt.dca(C, 2, 3, n_starts=3)
    assert res.V.shape == (2, 8, 2) and res.pi_starts.shape == (2, 3)
    for b, U in enumerate((U1, U2)):
        assert V.check_bound(lt.subspace_angles(res.V[b], U), upper=1e-5)
    # a subspace from the other series is not the optimum
    assert not V.check_bound(lt.subspace_angles(res.V[0], U2), upper=1e-2, strict=False)


def test_observation_noise_regularisation_bounds_pi_and_is_validated():
    # a nearly deterministic AR(1): PI is large without reg and bounded by adding observation noise
    C = lt.var1_cross_covariances(np.array([[0.999]]), np.array([[1e-6]]), 4, device="cpu")
    C = C / C[0, 0, 0]
    raw = float(lt.predictive_information(C, None, 2))
    reg = float(lt.predictive_information(C, None, 2, reg=1e-2))
    assert V.check_close(raw, -0.5 * math.log(1 - 0.999**2), rtol=1e-8)
    assert reg < raw
    with pytest.raises(ValueError, match="reg:"):
        lt.predictive_information(C, None, 2, reg=-1.0)


def test_biased_estimator_gives_positive_semidefinite_toeplitz():
    rng = np.random.default_rng(9)
    # short trials with a strong trend: the unbiased estimator's Toeplitz matrix is indefinite here
    t = np.arange(12)[None, :, None]
    X = np.concatenate([np.sin(0.9 * t + rng.uniform(0, 6, (40, 1, 1))) * rng.normal(size=(40, 1, 3)), rng.normal(size=(40, 12, 3)) * 0.01], -1)
    C = lt.lagged_cross_covariances(torch.as_tensor(X), 8, device="cpu")
    ev = torch.linalg.eigvalsh(lt.block_toeplitz(C))
    assert V.check_bound(ev, lower=-1e-12, name="block-Toeplitz of biased estimates is PSD")


def test_batched_lbfgs_solves_independent_badly_scaled_problems():
    g = torch.Generator().manual_seed(0)
    target = torch.randn(6, 4, dtype=f64, generator=g)
    scale = torch.tensor([1e-4, 1e-2, 1.0, 1e2, 1e4, 1.0], dtype=f64)
    H = torch.randn(6, 4, 4, dtype=f64, generator=g)
    H = H @ H.mT + torch.eye(4, dtype=f64)

    def f(x, idx):
        d = x - target[idx]
        return 0.5 * scale[idx] * (d.unsqueeze(-2) @ H[idx] @ d.unsqueeze(-1)).squeeze(-1).squeeze(-1)

    x, ok = lt._lbfgs_batched(f, torch.zeros(6, 4, dtype=f64), max_iter=500, gtol=1e-12)
    assert V.check_close(x, target, rtol=1e-6, atol=1e-6)
    # a start that is not optimised (max_iter = 0) is not at the minimum: the check can fail
    x0, _ = lt._lbfgs_batched(f, torch.zeros(6, 4, dtype=f64), max_iter=0)
    assert not V.check_close(x0, target, rtol=1e-6, atol=1e-6, strict=False)


def test_predictive_information_refuses_a_negative_definite_covariance():
    """-C is not a covariance: the Cholesky log-determinant refuses it (log |det| would give PI(-C) = PI(C))."""
    C = lt.var1_cross_covariances(np.array([[0.9, 0.0], [0.0, 0.1]]), np.eye(2), 4, device="cpu")
    assert np.isfinite(float(lt.predictive_information(C)))
    with pytest.raises(ValueError, match=r"cross_covs \(block-Toeplitz covariance of T lags\): must be positive definite"):
        lt.predictive_information(-C)
