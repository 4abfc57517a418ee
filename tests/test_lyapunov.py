"""Tests of rnnmath.lyapunov: known spectra, Liouville's identity, validation."""
import pytest
import torch

from rnnmath import gated as G
from rnnmath import lyapunov as L
from rnnmath import verify as V

DT = torch.float64


def test_linear_flow_exponents_are_real_parts_of_eigenvalues():
    gen = torch.Generator().manual_seed(0)
    A = 0.5 * torch.randn(3, 5, 5, dtype=DT, generator=gen)
    f, tg, tr = L.linear_flow(A)
    res = L.lyapunov_spectrum(f, tg, torch.randn(3, 5, dtype=DT, generator=gen), dt=0.05, n_steps=8000,
                              qr_every=10, trace=tr)
    ev = torch.sort(torch.linalg.eigvals(A).real, dim=-1, descending=True).values
    V.check_close(res.exponents, ev, "exponents = Re eig(A)", rtol=0, atol=1.5e-2)
    # a wrong claim (moduli of the eigenvalues) is rejected
    wrong = torch.sort(torch.linalg.eigvals(A).abs(), dim=-1, descending=True).values
    assert not V.check_close(res.exponents, wrong, "|eig|", rtol=0, atol=1.5e-2, strict=False).passed


def test_sum_of_exponents_equals_mean_trace():
    J = L.random_coupling(20, 2, seed=2, device="cpu")
    f, tg, tr = L.random_tanh_flow(J, torch.tensor([2.0, 3.0], dtype=DT))
    res = L.lyapunov_spectrum(f, tg, torch.randn(2, 20, dtype=DT), dt=0.05, n_steps=400, qr_every=4,
                              transient_steps=100, trace=tr)
    V.check_close(res.exponents.sum(-1), res.trace_mean, "sum = <tr D>", rtol=1e-5)
    assert not V.check_close(res.exponents.sum(-1), -20 * torch.ones(2, dtype=DT), "-N (diag ignored)",
                             rtol=1e-5, strict=False).passed


def test_zero_diagonal_tanh_flow_mean_exponent_is_minus_one():
    J = L.random_coupling(30, 2, zero_diagonal=True, seed=3, device="cpu")
    f, tg, tr = L.random_tanh_flow(J, 2.5)
    res = L.lyapunov_spectrum(f, tg, torch.randn(2, 30, dtype=DT), dt=0.05, n_steps=300, qr_every=3,
                              transient_steps=50)
    V.check_close(res.exponents.mean(-1), -torch.ones(2, dtype=DT), "mean exponent -1", rtol=1e-6)


def test_subcritical_tanh_flow_matches_linearisation():
    J = L.random_coupling(25, 1, seed=4, device="cpu")
    f, tg, _ = L.random_tanh_flow(J, 0.5)
    res = L.lyapunov_spectrum(f, tg, 0.1 * torch.randn(1, 25, dtype=DT), dt=0.05, n_steps=6000, k=3,
                              qr_every=10, transient_steps=600)
    ev = torch.sort(torch.linalg.eigvals(-torch.eye(25, dtype=DT) + 0.5 * J[0]).real, descending=True).values
    V.check_close(res.exponents[0, 0], ev[0], "lambda_max = max Re eig(-I + gJ)", rtol=0, atol=1e-2)


def test_gated_tangent_in_lyapunov_and_running_shape():
    net = G.random_gated_network(6, 3.0, 1.0, 1.0, batch=2, seed=0, device="cpu")
    res = L.lyapunov_spectrum(lambda x: G.gated_vector_field(x, net), lambda x, W: G.gated_tangent(x, W, net),
                              torch.randn(2, 18, dtype=DT), dt=0.05, n_steps=200, qr_every=5,
                              trace=lambda x: G.gated_jacobian(x, net).diagonal(dim1=-2, dim2=-1).sum(-1))
    assert res.running.shape == (40, 2, 18)
    V.check_close(res.exponents.sum(-1), res.trace_mean, "Liouville for the gated flow", rtol=1e-5)


def test_bad_inputs_raise():
    A = torch.zeros(1, 3, 3, dtype=DT)
    f, tg, _ = L.linear_flow(A)
    x0 = torch.zeros(1, 3, dtype=DT)
    with pytest.raises(ValueError, match="^k: "):
        L.lyapunov_spectrum(f, tg, x0, dt=0.1, n_steps=10, k=4)
    with pytest.raises(ValueError, match="^n_steps: "):
        L.lyapunov_spectrum(f, tg, x0, dt=0.1, n_steps=10, qr_every=3)
    with pytest.raises(ValueError, match="^qr_every: "):
        L.lyapunov_spectrum(f, tg, x0, dt=0.1, n_steps=10, qr_every=0)
    with pytest.raises(ValueError, match="^dt: "):
        L.lyapunov_spectrum(f, tg, x0, dt=0.0, n_steps=10)
    with pytest.raises(ValueError, match="^x0: "):
        L.lyapunov_spectrum(f, tg, torch.zeros(3, dtype=DT), dt=0.1, n_steps=10)
    with pytest.raises(ValueError, match="^A: "):
        L.linear_flow(torch.zeros(1, 3, 4, dtype=DT))
    with pytest.raises(ValueError, match="^J: "):
        L.random_tanh_flow(torch.zeros(3, 3, dtype=DT), 1.0)


def test_given_initial_tangent_vectors_are_used_and_validated():
    A = torch.diag(torch.tensor([-0.5, -1.0, -2.0], dtype=DT))[None]
    f, tg, _ = L.linear_flow(A)
    x0 = torch.ones(1, 3, dtype=DT)
    q0 = torch.eye(3, dtype=DT)[None]
    res = L.lyapunov_spectrum(f, tg, x0, dt=0.05, n_steps=200, qr_every=5, q0=q0)
    V.check_close(res.exponents, torch.tensor([[-0.5, -1.0, -2.0]], dtype=DT), "diagonal A, aligned Q0", rtol=1e-6)
    with pytest.raises(ValueError, match="^q0: "):
        L.lyapunov_spectrum(f, tg, x0, dt=0.05, n_steps=10, q0=torch.eye(2, dtype=DT)[None])


def test_scs_dmft_largest_exponent_limits():
    import numpy as np

    lam_sub = [L.scs_dmft_largest_exponent(g)[0] for g in (0.4, 0.8)]
    V.check_close(np.array(lam_sub), np.array([-0.6, -0.2]), "-1 + g below the transition", rtol=0, atol=2e-3)
    vals = [L.scs_dmft_largest_exponent(g) for g in (1.1, 1.5, 2.5)]
    lam = np.array([v[0] for v in vals])
    assert 0 < lam[0] < 0.01 and np.all(np.diff(lam) > 0)
    # the self-consistent variance solves the energy condition V(Delta_0) = V(0)
    from rnnmath.lyapunov import _gauss_grid, _logcosh

    x, w = _gauss_grid(401)
    D0 = vals[1][1]
    gap = -D0 ** 2 / 2 + 1.5 ** 2 * (np.sum(w * _logcosh(np.sqrt(D0) * x) ** 2) - np.sum(w * _logcosh(np.sqrt(D0) * x)) ** 2)
    V.check_close(gap, 0.0, "energy condition", atol=1e-10)
    assert not V.check_close(lam[1], 0.5, "vanilla -1 + g above the transition", rtol=0, atol=2e-3,
                             strict=False).passed
    with pytest.raises(ValueError, match="^g: "):
        L.scs_dmft_largest_exponent(-1.0)
