"""Tests for rnnmath.episodic (Part I energy analysis, note 000): each derived formula passes,
a wrong version (often the note's printed one) fails, and bad input raises ValueError."""
from __future__ import annotations

import math

import pytest
import sympy as sp
import torch
from torch.func import jvp

from rnnmath import episodic as ep
from rnnmath.verify import (check_bound, check_close, check_hessian, check_jacobian,
                            check_matrix_identity, check_scalar_identity)

DT = torch.float64
CPU = torch.device("cpu")


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def _state(gen, B=16, N_f=7, N_h=3, phi="gaussian", scale=1.0):
    Xi, Phi = ep.random_networks(B, N_f, N_h, phi=phi, scale=scale, generator=gen, device=CPU)
    x = 2 * torch.randn(B, N_f, generator=gen, dtype=DT)
    h = torch.randn(B, N_h, generator=gen, dtype=DT)
    y = torch.tanh(torch.randn(B, N_f, generator=gen, dtype=DT))
    return Xi, Phi, x, h, y


# ----------------------------------------------------------------- chapter 03
@pytest.mark.parametrize("sigma", ["tanh", "softsign", "asinh"])
def test_lagrangian_gradient_is_sigma(gen, sigma):
    x = 3 * torch.randn(5, 6, generator=gen, dtype=DT)
    sig = ep.ACTIVATIONS[sigma][0]
    check_jacobian(lambda v: ep.lagrangian(v, sigma), sig, x, f"grad L = {sigma}")
    bad = check_jacobian(lambda v: ep.lagrangian(v, sigma), lambda v: 2 * sig(v), x, "wrong", strict=False)
    assert not bad.passed


@pytest.mark.parametrize("sigma", ["tanh", "softsign", "asinh"])
def test_legendre_dual_equals_first_energy_term(gen, sigma):
    x = 2 * torch.randn(20, 5, generator=gen, dtype=DT)
    s = ep.ACTIVATIONS[sigma][0](x)
    first = (x * s).sum(-1) - ep.lagrangian(x, sigma)
    check_close(ep.legendre_dual(s, sigma), first, f"L*(sigma(x)) = x.s - L(x) [{sigma}]")
    assert not check_close(ep.legendre_dual(s, sigma), first + ep.lagrangian(x, sigma), "wrong", strict=False).passed


def test_tanh_dual_closed_form_symbolic():
    s = sp.Symbol("s", real=True)
    x = sp.atanh(s)
    lhs = s * x - sp.log(sp.cosh(x))
    check_scalar_identity(sp.diff(lhs, s), sp.diff(s * sp.atanh(s) + sp.log(1 - s**2) / 2, s), "d/ds of L*")
    assert not check_scalar_identity(sp.diff(lhs, s), sp.diff(s * sp.atanh(s) - sp.log(1 - s**2) / 2, s),
                                     "wrong sign", strict=False).passed


@pytest.mark.parametrize("sigma_h", [None, "asinh"])
def test_energy_gradient_matches_dynamics(gen, sigma_h):
    Xi, Phi, x, h, y = _state(gen, B=1)
    Xi, Phi = Xi[0], Phi[0]
    N_f, N_h = Xi.shape
    c = dict(T_f=1.3, T_h=0.4, T_d=2.0, alpha_s=0.7, alpha_c=1.6)
    a = dict(alpha_s=0.7, alpha_c=1.6)
    split = lambda z: (z[:N_f], z[N_f:N_f + N_h], z[N_f + N_h:])
    pts = torch.randn(4, 2 * N_f + N_h, generator=gen, dtype=DT)

    def grad(z, sign=1.0):
        x, h, y = split(z)
        dx, dh, dy = ep.continuous_rhs(x, h, y, Xi, Phi, sigma_h=sigma_h, **c)
        d1h = torch.ones_like(h) if sigma_h is None else ep.ACTIVATIONS[sigma_h][2](h)
        sh = h if sigma_h is None else ep.ACTIVATIONS[sigma_h][0](h)
        return torch.cat([-c["T_f"] * ep.ACTIVATIONS["tanh"][2](x) * dx, -c["T_h"] * d1h * dh,
                          -sign * c["alpha_c"] * Xi @ (Phi @ sh)])

    E = lambda z: ep.energy(*split(z), Xi, Phi, sigma_h=sigma_h, **a)
    check_jacobian(E, grad, pts, "grad E")
    assert not check_jacobian(E, lambda z: grad(z, -1.0), pts, "wrong sign of V_d part", strict=False).passed


def test_energy_rate_theorem_and_negative(gen):
    Xi, Phi, x, h, y = _state(gen)
    rhs = ep.continuous_rhs(x, h, y, Xi, Phi, T_h=0.5, T_d=2.0)
    _, dEdt = jvp(lambda a, b, c: ep.energy(a, b, c, Xi, Phi), (x, h, y), rhs)
    parts = ep.energy_rate_terms(x, h, y, Xi, Phi, T_h=0.5, T_d=2.0)
    check_close(parts["feature"] + parts["hidden"] + parts["delay"], dEdt, "dE/dt")
    assert not check_close(parts["feature"] + parts["hidden"], dEdt, "no V_d", strict=False).passed
    check_bound(parts["feature"], "feature <= 0", upper=0.0)
    check_bound(parts["hidden"], "hidden <= 0", upper=0.0)


def test_energy_monotone_with_frozen_delay_but_not_moving(gen):
    Xi, Phi, x, h, y = _state(gen, B=32)
    X, H, Y = ep.simulate_continuous(x, h, y, Xi, Phi, 0.02, 150, T_h=0.5, freeze_delay=True)
    E = ep.energy(X, H, Y, Xi, Phi)
    check_bound(torch.diff(E, dim=0), "frozen", upper=0.0, atol=1e-9)
    X, H, Y = ep.simulate_continuous(x, h, y, Xi, Phi, 0.02, 150, T_h=0.5, T_d=2.0)
    E = ep.energy(X, H, Y, Xi, Phi)
    assert not check_bound(torch.diff(E, dim=0), "moving", upper=0.0, atol=1e-9, strict=False).passed


def test_symbolic_energy_sum_and_note_sign_errors():
    d = ep.symbolic_energy_parts()
    s, y, Xi, Phi = d["s"], d["y"], d["Xi"], d["Phi"]
    half = sp.Rational(1, 2)
    combo = lambda a, b, c: (a * s.T * Xi * Xi.T * s + b * s.T * Xi * Phi.T * Xi.T * y
                             + c * y.T * Xi * Phi * Phi.T * Xi.T * y)
    tot = d["E2"] + d["E3"] + d["E4"]
    check_matrix_identity(tot, combo(-half, -1, -half), "Eq. 25")
    assert not check_matrix_identity(tot, combo(half, -1, -half), "Eq. 28", strict=False).passed
    assert not check_matrix_identity(tot, combo(half, 1, half), "Eq. 45", strict=False).passed
    check_matrix_identity(d["E2"], combo(half, 1, half), "Eq. 17")


def test_feature_energy_equals_full_energy_on_slaved_hidden(gen):
    Xi, Phi, x, h, y = _state(gen)
    XiT, PhiT = Xi.transpose(-1, -2), Phi.transpose(-1, -2)
    hs = (XiT @ torch.tanh(x).unsqueeze(-1) + PhiT @ XiT @ y.unsqueeze(-1)).squeeze(-1)
    check_close(ep.feature_energy(x, y, Xi, Phi), ep.energy(x, hs, y, Xi, Phi), "Eq. 25 = Eq. 2")
    assert not check_close(ep.feature_energy(x, y, Xi, Phi), ep.energy(x, h, y, Xi, Phi), "unslaved",
                           strict=False).passed


def test_bad_input_energy(gen):
    Xi, Phi, x, h, y = _state(gen)
    with pytest.raises(ValueError, match="Phi: must be N_h x N_h"):
        ep.energy(x, h, y, Xi, Phi[..., :2, :2])
    with pytest.raises(ValueError, match="x: last dimension must equal N_f"):
        ep.energy(x[..., :3], h, y, Xi, Phi)
    with pytest.raises(ValueError, match="h: last dimension must equal N_h"):
        ep.energy(x, x, y, Xi, Phi)
    with pytest.raises(ValueError, match="sigma_f: must be one of"):
        ep.energy(x, h, y, Xi, Phi, sigma_f="relu")
    with pytest.raises(ValueError, match="T_h: must be > 0"):
        ep.continuous_rhs(x, h, y, Xi, Phi, T_h=0.0)
    with pytest.raises(ValueError, match="n_steps: must be a positive integer"):
        ep.simulate_continuous(x, h, y, Xi, Phi, 0.1, 0)
    with pytest.raises(ValueError, match="s: must lie in the open range"):
        ep.legendre_dual(torch.tensor([1.5], dtype=DT), "tanh")
    with pytest.raises(ValueError, match="phi: must be 'gaussian'"):
        ep.random_networks(2, 3, 2, phi="orthogonal", device=CPU)


# ----------------------------------------------------------------- chapter 04
def test_adiabatic_step_is_elman_update(gen):
    Xi, Phi, x, h, y = _state(gen)
    W = ep.elman_weight(Xi, Phi)
    check_close(ep.adiabatic_step(x, torch.tanh(x), Xi, Phi), ep.feature_map(W, x), "Eq. 27 = Eq. 7")
    WT = W.transpose(-1, -2)   # the transposed weight is a wrong version whenever Phi is not symmetric
    assert not check_close(ep.adiabatic_step(x, torch.tanh(x), Xi, Phi), ep.feature_map(WT, x), "W^T",
                           strict=False).passed


def test_delta_terms_sum_to_energy_change(gen):
    Xi, Phi, x0, h, y0 = _state(gen)
    x1 = ep.adiabatic_step(x0, y0, Xi, Phi)
    y1 = torch.tanh(x1)
    d = ep.delta_energy_terms(x0, x1, y0, y1, Xi, Phi)
    total = ep.feature_energy(x1, y1, Xi, Phi) - ep.feature_energy(x0, y0, Xi, Phi)
    check_close(sum(d.values()), total, "sum of dE terms")
    assert not check_close(sum(d.values()) - 2 * d["dE2"], total, "Eq. 35 sign", strict=False).passed


def test_tanh_difference_identity_eq39():
    a, b = sp.symbols("a b", real=True)
    check_scalar_identity(sp.tanh(a) - sp.tanh(b), sp.tanh(a - b) * (1 - sp.tanh(a) * sp.tanh(b)), "Eq. 39")
    assert not check_scalar_identity(sp.tanh(a) - sp.tanh(b), sp.tanh(a - b) * (1 + sp.tanh(a) * sp.tanh(b)),
                                     "wrong", strict=False).passed


@pytest.mark.parametrize("sigma", ["tanh", "asinh", "softsign"])
def test_adiabatic_decrease_theorem(gen, sigma):
    Xi, Phi, x0, h, y = _state(gen, B=200, N_f=8, N_h=3, scale=1.5)
    X, fr, tr = ep.run_adiabatic(x0, Xi, Phi, 15, sigma=sigma)
    A = Xi @ Xi.transpose(-1, -2)
    closed = ep.cccp_decrease(X[:-1], X[1:], A, sigma)
    check_close(fr, closed, "dE = -1/2 |Xi^T d|^2 - D_L", rtol=1e-11, atol=1e-10)
    check_bound(fr, "held V_d: dE <= 0", upper=0.0, atol=1e-10)
    check_bound(ep.bregman_lagrangian(X[1:], X[:-1], sigma), "D_L >= 0", lower=0.0, atol=1e-9)
    # negative: dropping the Bregman term does not give the energy change
    wrong = closed + ep.bregman_lagrangian(X[1:], X[:-1], sigma)          # drops the Bregman term
    assert not check_close(fr, wrong, "without Bregman", rtol=1e-11, atol=1e-10, strict=False).passed
    assert not check_bound(tr, "tracking never rises", upper=0.0, atol=1e-10, strict=False).passed


def test_one_neuron_counterexample():
    one = torch.ones(1, 1, dtype=DT)
    x = torch.atanh(torch.tensor([0.99], dtype=DT))
    X, fr, tr = ep.run_adiabatic(x, one, one, 3)
    check_bound(-tr, "tracking energy rises", upper=0.0)
    check_bound(fr, "held energy falls", upper=0.0)


def test_bad_input_discrete(gen):
    Xi, Phi, x, h, y = _state(gen)
    with pytest.raises(ValueError, match="n_steps: must be a positive integer"):
        ep.run_adiabatic(x, Xi, Phi, 0)
    with pytest.raises(ValueError, match="x0: last dimension must equal N_f"):
        ep.run_adiabatic(x[..., :2], Xi, Phi, 3)
    with pytest.raises(ValueError, match="y: last dimension must equal N_f"):
        ep.adiabatic_step(x, y[..., :2], Xi, Phi)
    with pytest.raises(ValueError, match="Xi: must have 2 or 3 dimension"):
        ep.feature_energy(x, y, Xi[0, 0], Phi)


# ----------------------------------------------------------------- chapter 05
@pytest.mark.parametrize("sigma", ["tanh", "asinh"])
def test_term_derivatives_against_autograd(gen, sigma):
    Xi, Phi = (M[0] for M in ep.random_networks(1, 5, 3, generator=gen, device=CPU))
    A = Xi @ Xi.T
    c = torch.randn(5, generator=gen, dtype=DT)
    pts = 1.5 * torch.randn(4, 5, generator=gen, dtype=DT)
    sig = ep.ACTIVATIONS[sigma][0]
    t12 = lambda v: v @ sig(v) - ep.lagrangian(v, sigma)
    t3 = lambda v: 0.5 * sig(v) @ A @ sig(v)
    t4 = lambda v: sig(v) @ c
    check_jacobian(t12, lambda v: ep.first_term_gradient(v, sigma), pts, "Eq. 49")
    check_hessian(t12, lambda v: ep.first_term_hessian(v, sigma), pts, "Eq. 52")
    check_jacobian(t3, lambda v: ep.quadratic_term_gradient(v, A, sigma), pts, "Eq. 53")
    check_hessian(t3, lambda v: ep.quadratic_term_hessian(v, A, sigma), pts, "Eq. 57")
    check_jacobian(t4, lambda v: ep.linear_term_gradient(v, c, sigma), pts, "Eq. 58 corrected")
    check_hessian(t4, lambda v: ep.linear_term_hessian(v, c, sigma), pts, "term 4 Hessian")
    # negatives: Eq. 58 as printed (H instead of J), Eq. 57 without the sigma'' term
    H = lambda v: torch.einsum("i,ijk->k", c, ep.activation_hessian_tensor(v, sigma))
    assert not check_jacobian(t4, H, pts, "Eq. 58 printed", strict=False).passed
    d1 = lambda v: ep.ACTIVATIONS[sigma][2](v)
    assert not check_hessian(t3, lambda v: d1(v)[:, None] * A * d1(v)[None, :], pts, "no sigma''", strict=False).passed


def test_tanh_convexity_threshold():
    u = sp.Symbol("u", real=True)
    second = sp.diff(u * sp.tanh(u) - sp.log(sp.cosh(u)), u, 2)
    check_scalar_identity(second, sp.sech(u) ** 2 * (1 - 2 * u * sp.tanh(u)), "tanh term 1-2 curvature")
    x_star = float(sp.nsolve(2 * u * sp.tanh(u) - 1, u, 0.8))
    assert abs(x_star - 0.7717) < 1e-3
    h = ep.first_term_hessian(torch.tensor([[x_star - 0.01], [x_star + 0.01]], dtype=DT))[..., 0, 0]
    assert h[0] > 0 and h[1] < 0
    assert not check_bound(ep.first_term_hessian(torch.linspace(-3, 3, 61, dtype=DT)[:, None])[..., 0, 0],
                           "convex everywhere", lower=0.0, strict=False).passed


@pytest.mark.parametrize("sigma", ["tanh", "asinh"])
def test_cccp_theorem_symmetric_psd(gen, sigma):
    Xi, Phi = ep.random_networks(300, 8, 3, phi="psd", generator=gen, device=CPU, scale=1.5)
    W = ep.elman_weight(Xi, Phi)
    x0 = 2 * torch.randn(300, 8, generator=gen, dtype=DT)
    X, E = ep.run_elman(x0, W, 20, sigma)
    check_close(torch.diff(E, dim=0), ep.cccp_decrease(X[:-1], X[1:], W, sigma), "identity", rtol=1e-11, atol=1e-9)
    check_bound(torch.diff(E, dim=0), "monotone", upper=0.0, atol=1e-9)


def test_cccp_update_is_elman_step_and_dual_energy(gen):
    Xi, Phi = ep.random_networks(1, 6, 3, phi="psd", generator=gen, device=CPU)
    W = ep.elman_weight(Xi, Phi)[0]
    x = torch.randn(6, generator=gen, dtype=DT)
    s = torch.tanh(x)
    check_close(ep.cccp_update(s, W), ep.rate_map(W, s), "CCCP step = Eq. 10")
    check_close(ep.cccp_energy(s, W), ep.rate_energy(x, W), "E_W from rates = from pre-activations")
    s1 = ep.cccp_update(s, W)
    assert float(ep.cccp_energy(s1, W)) <= float(ep.cccp_energy(s, W)) + 1e-12
    assert not check_close(ep.cccp_update(s, W), ep.rate_map(2 * W, s), "wrong gain", strict=False).passed


def test_nonsymmetric_and_indefinite_counterexamples():
    R = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=DT)
    W = ep.elman_weight(math.sqrt(3.0) * torch.eye(2, dtype=DT), (R - torch.eye(2, dtype=DT)).T)
    check_close(W, 3 * R, "W = gR")
    X, E = ep.run_elman(torch.tensor([0.3, 0.1], dtype=DT), W, 30)
    assert not check_bound(torch.diff(E), "monotone", upper=0.0, strict=False).passed
    one = torch.ones(1, 1, dtype=DT)
    X, E = ep.run_elman(torch.atanh(torch.tensor([0.1], dtype=DT)), ep.elman_weight(one, -3 * one), 5)
    check_bound(-torch.diff(E), "E rises every step for W = -2", upper=0.0)


def test_bad_input_cccp(gen):
    Wns = torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=DT)
    s = torch.tensor([0.1, 0.2], dtype=DT)
    with pytest.raises(ValueError, match="W: must be symmetric"):
        ep.cccp_update(s, Wns)
    # the sharp bound: lambda_min(W) = -1 is accepted (and the step descends), -1.5 is refused
    W1 = -torch.eye(2, dtype=DT)
    s1 = ep.cccp_update(s, W1)
    assert float(ep.cccp_energy(s1, W1)) <= float(ep.cccp_energy(s, W1))
    with pytest.raises(ValueError, match="W: smallest eigenvalue -1.5 < -1/sup tanh' = -1"):
        ep.cccp_update(s, -1.5 * torch.eye(2, dtype=DT))
    check_close(ep.cccp_update(s, -1.5 * torch.eye(2, dtype=DT), check_spectrum=False), torch.tanh(-1.5 * s), "unchecked")
    with pytest.raises(ValueError, match="M: must be symmetric"):
        ep.quadratic_term_hessian(s, Wns)
    with pytest.raises(ValueError, match="s: last dimension must equal N"):
        ep.cccp_energy(torch.ones(3, dtype=DT) * 0.1, torch.eye(2, dtype=DT))
    with pytest.raises(ValueError, match="x: must have 1 dimension"):
        ep.activation_hessian_tensor(torch.ones(2, 2, dtype=DT))
    with pytest.raises(ValueError, match="c: last dimension must equal N"):
        ep.linear_term_gradient(s, torch.ones(3, dtype=DT))
    with pytest.raises(ValueError, match="W: must be a square matrix"):
        ep.run_elman(s, torch.ones(2, 3, dtype=DT), 3)


# ----------------------------------------------------------------- chapter 01
def test_euler_step_with_unit_dt_is_eq7(gen):
    Xi, Phi, x, h, y = _state(gen)
    W = ep.elman_weight(Xi, Phi)
    check_close(ep.euler_feature_step(x, W, 1.0), ep.feature_map(W, x), "Eq. 7")
    assert not check_close(ep.euler_feature_step(x, W, 0.5), ep.feature_map(W, x), "dt = 0.5", strict=False).passed
    check_close(ep.reduced_ode_rhs(x, W), ep.feature_map(W, x) - x, "Eq. 6 rhs")


def test_slow_manifold_symbolic():
    Nf, Nh = sp.symbols("N_f N_h", integer=True, positive=True)
    s = sp.MatrixSymbol("s", Nf, 1)
    Xi, Phi = sp.MatrixSymbol("Xi", Nf, Nh), sp.MatrixSymbol("Phi", Nh, Nh)
    Vh = Xi.T * s + Phi.T * Xi.T * s
    check_matrix_identity(Xi * Vh, Xi * (sp.Identity(Nh) + Phi.T) * Xi.T * s, "Eq. 6")
    assert not check_matrix_identity(Xi * Vh, Xi * (sp.Identity(Nh) + Phi) * Xi.T * s, "Phi", strict=False).passed


def test_rk4_agrees_with_radau_and_fast_limit(gen):
    import numpy as np

    Xi, Phi = ep.random_networks(1, 5, 2, generator=gen, device=CPU, scale=0.5)
    x0 = torch.randn(1, 5, generator=gen, dtype=DT)
    s0 = torch.tanh(x0)
    h0 = ((torch.eye(2, dtype=DT) + Phi.transpose(-1, -2)) @ Xi.transpose(-1, -2) @ s0.unsqueeze(-1)).squeeze(-1)
    dt, n = 0.01, 100
    X, _, _ = ep.simulate_continuous(x0, h0, s0, Xi, Phi, dt, n, T_h=0.1, T_d=0.1)
    Xr, _, _ = ep.integrate_continuous(x0[0], Xi[0], Phi[0], np.arange(n + 1) * dt, T_h=0.1, T_d=0.1)
    check_close(X[:, 0], Xr, "RK4 vs Radau", rtol=1e-7, atol=1e-8)
    # the wrong time constant is detected
    Xw, _, _ = ep.integrate_continuous(x0[0], Xi[0], Phi[0], np.arange(n + 1) * dt, T_h=0.1, T_d=0.2)
    assert not check_close(X[:, 0], Xw, "wrong T_d", rtol=1e-7, atol=1e-8, strict=False).passed


def test_bad_input_continuous(gen):
    Xi, Phi, x, h, y = _state(gen)
    W = ep.elman_weight(Xi, Phi)
    with pytest.raises(ValueError, match="dt: must be > 0"):
        ep.euler_feature_step(x, W, 0.0)
    with pytest.raises(ValueError, match="x0: must have shape"):
        ep.integrate_continuous(x[0, :3], Xi[0], Phi[0], [0.0, 1.0])
    with pytest.raises(ValueError, match="T_d: must be > 0"):
        ep.integrate_continuous(x[0], Xi[0], Phi[0], [0.0, 1.0], T_d=-1.0)
    with pytest.raises(ValueError, match="Xi: must have 2 dimension"):
        ep.integrate_continuous(x[0], Xi, Phi[0], [0.0, 1.0])


# ----------------------------------------------------------------- chapter 06
def test_cyclic_drive_and_one_step_proposition():
    xi = ep.hadamard_patterns(32, 4, device=CPU)
    check_close(xi.T @ xi, 32 * torch.eye(4, dtype=DT), "orthogonal")
    for alpha in (3.0, 1.0, 0.5):
        Xi, Phi = ep.sequence_network(xi, alpha, 2.0)
        W = ep.elman_weight(Xi, Phi)
        check_close(W @ xi[:, 0], 2.0 * (xi[:, 0] + alpha * xi[:, 1]), "W xi_mu")
        assert not check_close(W @ xi[:, 0], 2.0 * (xi[:, 0] + alpha * xi[:, 3]), "wrong direction",
                               strict=False).passed
        s1 = ep.rate_map(W, 0.9 * xi[:, 0])
        assert bool((torch.sign(s1) == xi[:, 1]).all()) == (alpha > 1)


def test_run_sequence_energy_matches_feature_energy_and_split(gen):
    pats = ep.random_patterns(6, 32, 4, generator=gen, device=CPU)
    Xi, Phi = ep.sequence_network(pats, torch.tensor([1.0, 1.0, 2.0, 2.0, 3.0, 3.0], dtype=DT), 4.0)
    x0 = torch.atanh(0.99 * pats[..., 0])
    X, E, held, jump = ep.run_sequence(x0, Xi, Phi, 12)
    check_close(E, ep.tracking_energy(X, Xi, Phi), "factored energy = Eq. 25 with tracking V_d")
    W = ep.elman_weight(Xi, Phi)
    check_close(X[1], ep.feature_map(W, X[0]), "factored step = Eq. 7")
    check_close(held + jump, torch.diff(E, dim=0), "split", atol=1e-9)
    check_bound(held, "held part <= 0", upper=0.0, atol=1e-9)
    assert not check_bound(torch.diff(E, dim=0), "tracking E never rises", upper=0.0, atol=1e-9, strict=False).passed


def test_retrieval_accuracy_scores_a_perfect_sequence():
    N_h = 3
    m = torch.eye(N_h, dtype=DT)[torch.arange(7) % N_h]       # overlaps of a perfect sequence from memory 0
    check_close(ep.retrieval_accuracy(m), torch.tensor(1.0, dtype=DT), "perfect")
    check_close(ep.retrieval_accuracy(m, start=1), torch.tensor(0.0, dtype=DT), "wrong start")


def test_bad_input_sequences():
    with pytest.raises(ValueError, match="N_f: must be a power of two"):
        ep.hadamard_patterns(24, 3, device=CPU)
    with pytest.raises(ValueError, match="N_h: must be an integer in"):
        ep.hadamard_patterns(8, 8, device=CPU)
    with pytest.raises(ValueError, match="beta: must be > 0"):
        ep.sequence_network(torch.ones(4, 2, dtype=DT), 1.0, beta=0.0)
    with pytest.raises(ValueError, match="N_h: must be an integer >= 2"):
        ep.cyclic_transition(1, device=CPU)
    with pytest.raises(ValueError, match="overlaps: must have shape"):
        ep.retrieval_accuracy(torch.ones(3, dtype=DT))
    with pytest.raises(ValueError, match="batch: must be a positive integer"):
        ep.random_patterns(0, 4, 2, device=CPU)


def test_energy_rate_symbolic_arbitrary_activations():
    x = sp.Matrix(sp.symbols("x1:3", real=True)); y = sp.Matrix(sp.symbols("y1:3", real=True))
    h = sp.Matrix([sp.Symbol("h1", real=True)])
    Xi = sp.Matrix(2, 1, sp.symbols("a1:3", real=True)); Phi = sp.Matrix([[sp.Symbol("p", real=True)]])
    Tf, Th, Td, ac = sp.symbols("T_f T_h T_d alpha_c", positive=True)
    sf, sh, lf, lh = (sp.Function(n) for n in ("sf", "sh", "lf", "lh"))
    Sf, Sh = x.applyfunc(sf), h.applyfunc(sh)
    E = x.dot(Sf) - sum(lf(v) for v in x) + h.dot(Sh) - sum(lh(v) for v in h) - Sf.dot(Xi * Sh) - ac * y.dot(Xi * Phi * Sh)
    dx, dh, dy = (Xi * Sh - x) / Tf, (Xi.T * Sf + ac * Phi.T * Xi.T * y - h) / Th, (Sf - y) / Td
    grad = lambda v: sp.diff(E, v).subs({sp.Derivative(lf(v), v): sf(v), sp.Derivative(lh(v), v): sh(v)})
    chain = sum(grad(v) * d for v, d in zip(list(x) + list(h) + list(y), list(dx) + list(dh) + list(dy)))
    diss = -Tf * sum(sp.diff(sf(v), v) * d**2 for v, d in zip(x, dx)) - Th * sum(sp.diff(sh(v), v) * d**2 for v, d in zip(h, dh))
    delay = -ac * Sh.dot(Phi.T * Xi.T * dy)
    check_scalar_identity(sp.expand(chain), sp.expand(diss + delay), "dE/dt")
    assert not check_scalar_identity(sp.expand(chain), sp.expand(diss), "no delay", strict=False).passed


def test_small_helpers(gen):
    P = ep.cyclic_transition(4, device=CPU)
    check_close(P.T @ torch.eye(4, dtype=DT)[0], torch.eye(4, dtype=DT)[1], "memory 0 -> 1")
    assert not check_close(P @ torch.eye(4, dtype=DT)[0], torch.eye(4, dtype=DT)[1], "wrong direction", strict=False).passed
    xi = ep.hadamard_patterns(8, 3, device=CPU)
    m = ep.memory_overlaps(torch.atanh(0.5 * xi[:, 1]), xi)
    check_close(m, torch.tensor([0.0, 0.5, 0.0], dtype=DT), "overlaps")
    Xi, Phi, x, h, y = _state(gen)
    t = ep.energy_terms(x, h, y, Xi, Phi)
    check_close(t["E2"], 0.5 * (h**2).sum(-1), "E2 = |h|^2/2 for identity sigma_h (Eq. 12)")
    assert not check_close(t["E2"], (h**2).sum(-1), "without 1/2", strict=False).passed


# ----------------------------------------------------------------- chapter 06: the N_f -> infinity recursion
from rnnmath import episodic_overlaps as eo  # noqa: E402


def test_overlap_recursion_is_exact_on_the_complete_pattern_set():
    Z = eo.sign_vectors(4, device=CPU)
    assert Z.shape == (16, 4) and torch.unique(Z, dim=0).shape[0] == 16
    m0 = torch.tensor([0.99, 0.0, 0.0, 0.0], dtype=DT)
    for alpha in (0.8, 1.7, 3.0):
        Xi, Phi = ep.sequence_network(Z, alpha, 3.0)
        X, _, _, _ = ep.run_sequence(torch.atanh(0.99 * Z[:, 0]), Xi, Phi, 12)
        check_close(ep.memory_overlaps(X, Z), eo.overlap_trajectory(m0, alpha, 3.0, 12), f"recursion, alpha {alpha}")
    # the wrong shift direction (Phi instead of Phi^T) is rejected
    m1 = eo.overlap_map(m0, 2.0, 3.0)
    wrong = torch.tanh(3.0 * (Z @ (m0 + 2.0 * torch.roll(m0, -1)))) @ Z / 16
    assert not check_close(wrong, m1, "shift the wrong way", strict=False).passed
    assert int(m1.argmax()) == 1


def test_threshold_and_mixture():
    a_star = eo.retrieval_threshold(4.0, 5)
    m0 = torch.zeros(5, dtype=DT); m0[0] = 0.99
    assert bool(eo.retrieves(eo.overlap_trajectory(m0, a_star + 0.01, 4.0, 60)))
    assert not bool(eo.retrieves(eo.overlap_trajectory(m0, a_star - 0.01, 4.0, 60)))
    m_mix = eo.mixture_state(1.0, 4.0, 5)
    v = torch.full((5,), m_mix, dtype=DT)
    check_close(eo.overlap_map(v, 1.0, 4.0), v, "mixture is a fixed point")
    assert not check_close(eo.overlap_map(1.1 * v, 1.0, 4.0), 1.1 * v, "perturbed", strict=False).passed
    # the scalar equation, by brute-force root finding on a grid (independent of the iteration)
    grid = torch.linspace(0.05, 1.0, 20001, dtype=DT)
    Z = eo.sign_vectors(5)
    resid = (Z[:, 0] * torch.tanh(4.0 * 2.0 * grid[:, None] * Z.sum(-1))).mean(-1) - grid
    root = grid[torch.nonzero(resid[:-1] * resid[1:] <= 0)[-1]]
    assert abs(float(root) - m_mix) < 1e-4


def test_retrieves_rejects_wrong_order():
    m = torch.eye(3, dtype=DT)[torch.arange(7) % 3]
    assert bool(eo.retrieves(m)) and not bool(eo.retrieves(m, start=1))
    mixed = torch.full((7, 3), 1 / 3, dtype=DT)
    assert not bool(eo.retrieves(mixed))           # ties are not retrieval


def _sym_with_lambda_min(gen, B, N, lam_min):
    Q, _ = torch.linalg.qr(torch.randn(B, N, N, generator=gen, dtype=DT))
    lam = lam_min + (2.0 - lam_min) * torch.rand(B, N, generator=gen, dtype=DT)
    lam[:, 0] = lam_min
    W = (Q * lam[:, None, :]) @ Q.transpose(-1, -2)
    return 0.5 * (W + W.transpose(-1, -2))


def test_sharp_cccp_condition(gen):
    """lambda_min(W) >= -1 suffices for tanh (no step rises, dE <= -1/2 d^T (W + I) d); below -1 steps rise."""
    for lam_min in (-0.9, -1.0):
        W = _sym_with_lambda_min(gen, 300, 8, lam_min)
        check_close(ep.descent_margin(W), torch.full((300,), 1.0 + lam_min, dtype=DT), "margin", atol=1e-12)
        X, E = ep.run_elman(2 * torch.randn(300, 8, generator=gen, dtype=DT), W, 20)
        d = torch.tanh(X[1:]) - torch.tanh(X[:-1])
        bound = -0.5 * (d * torch.einsum("bij,tbj->tbi", W, d) + d * d).sum(-1)
        check_bound(torch.diff(E, dim=0) - bound, "dE <= -1/2 d^T (W + I) d", upper=0.0, atol=1e-10)
        check_bound(torch.diff(E, dim=0), "no rise", upper=0.0, atol=1e-10)
    W = _sym_with_lambda_min(gen, 300, 8, -1.5)
    X, E = ep.run_elman(2 * torch.randn(300, 8, generator=gen, dtype=DT), W, 20)
    assert float((torch.diff(E, dim=0) > 1e-10).double().mean()) > 0.05
    # the PSD-only (old) bound would have refused lambda_min = -0.9; the sharp one accepts it
    ep.cccp_update(torch.tanh(torch.randn(8, generator=gen, dtype=DT)), -0.9 * torch.eye(8, dtype=DT))
