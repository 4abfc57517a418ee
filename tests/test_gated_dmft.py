"""Tests of the gated DMFT solver (rnnmath.gated_dmft; book Part IV, chapter 3)."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from rnnmath import gated as G
from rnnmath import gated_dmft as D
from rnnmath.lyapunov import scs_dmft_largest_exponent

FAST = dict(dt=0.2, box=102.4, n_iter=400, mix=1.0, tol=1e-9)


@pytest.fixture(scope="module")
def frozen_vanilla():
    return D.gated_dmft(4.0, 0.0, 0.0, **FAST)


def test_constant_gates_reduce_to_scs(frozen_vanilla):
    # sigma(z) = sigma(r) = 1/2: dh/dt = (-h + (g_h/2) eta)/2, i.e. SCS with g = g_h / 2 on time 2t
    s = frozen_vanilla
    lam, D0 = scs_dmft_largest_exponent(2.0)
    assert s.method == "gaussian"
    assert abs(s.C_h[0] - D0) < 2e-3
    # the whole curve against the SCS particle equation integrated from rest at Delta_0 (independent code)
    c_phi = lambda d: D.pair_moment("tanh", D0, np.clip(d, -D0, D0))  # noqa: E731
    sol = solve_ivp(lambda t, y: [y[1], y[0] - 4.0 * c_phi(np.atleast_1d(y[0]))[0]], (0, 3.0), [D0, 0.0],
                    t_eval=[1.0, 2.0, 3.0], rtol=1e-10, atol=1e-12)
    idx = np.searchsorted(s.tau, 2 * sol.t)
    np.testing.assert_allclose(s.C_h[idx], sol.y[0], atol=3e-3)


def test_wrong_time_scale_is_rejected(frozen_vanilla):
    # negative control: SCS on the unscaled time (gate 1 instead of 1/2) differs by far more than the tolerance
    lam, D0 = scs_dmft_largest_exponent(2.0)
    s = frozen_vanilla
    c_phi = lambda d: D.pair_moment("tanh", D0, np.clip(d, -D0, D0))  # noqa: E731
    sol = solve_ivp(lambda t, y: [y[1], y[0] - 4.0 * c_phi(np.atleast_1d(y[0]))[0]], (0, 3.0), [D0, 0.0],
                    t_eval=[3.0], rtol=1e-10)
    assert abs(s.C_h[np.searchsorted(s.tau, 3.0)] - sol.y[0][0]) > 0.1


def test_quiescent_below_threshold():
    s = D.gated_dmft(1.8, 0.0, 0.0, **FAST)
    assert s.C_h[0] < 1e-6
    s = D.gated_dmft(2.6, 0.0, 0.0, **FAST)
    assert s.C_h[0] > 0.05


def test_pair_moment_limits():
    # c = c0: the one-point moments of the fixed-point MFT (an independent Gauss-Hermite code path)
    c_phi, c_sig = G.mft_gaussian_moments(np.array([0.7]), np.array([2.3]))
    assert abs(D.pair_moment("tanh", 0.7, 0.7) - c_phi[0]) < 1e-7  # order 48 vs 80
    assert abs(D.pair_moment("sigmoid", 2.3, 2.3) - c_sig[0]) < 1e-7
    # c = 0: independent, the square of the mean (tanh odd: 0; sigmoid: 1/4)
    assert abs(D.pair_moment("tanh", 1.3, 0.0)) < 1e-12
    assert abs(D.pair_moment("sigmoid", 1.3, 0.0) - 0.25) < 1e-12
    # alpha_r -> infinity: sigma(r) becomes a step, E = 1/4 + arcsin(rho) / (2 pi) (orthant probability)
    rho = np.array([-0.5, 0.0, 0.3, 0.8])
    c0 = 1e4
    got = D.pair_moment("sigmoid", c0, rho * c0, n_quad=200)
    np.testing.assert_allclose(got, 0.25 + np.arcsin(rho) / (2 * np.pi), atol=5e-3)
    assert np.abs(got - 0.25).max() > 0.1  # the constant 1/4 of a reset gate held at 1/2 is far off


def test_sampling_solver_matches_gaussian_solver():
    g = D.gated_dmft(4.0, 0.0, 1.0, **FAST)
    s = D.gated_dmft(4.0, 0.0, 1.0, dt=0.2, box=102.4, n_iter=15, n_avg=8, n_paths=300, method="sampling",
                     seed=1)
    assert s.method == "sampling"
    assert np.abs(s.C_h - g.C_h).max() < 0.06 * g.C_h[0]


def test_update_gate_slows_relaxation():
    g = D.gated_dmft(4.0, 0.0, 0.0, **FAST)
    s = D.gated_dmft(4.0, 6.0, 0.0, dt=0.2, box=204.8, n_iter=15, n_avg=8, n_paths=200, seed=2)
    assert D.relaxation_time(s.tau, s.C_h) > 2 * D.relaxation_time(g.tau, g.C_h)


def test_periodic_paths_and_autocorrelation():
    rng = np.random.default_rng(0)
    M, dt = 512, 0.1
    lag = dt * np.minimum(np.arange(M), M - np.arange(M))
    cov = np.exp(-lag ** 2)
    u = D.periodic_gaussian_paths(cov, 800, rng)
    np.testing.assert_allclose(D.periodic_autocorrelation(u)[:20], cov[:20], atol=0.03)


def test_network_autocorrelation_of_a_sinusoid():
    t = 0.05 * np.arange(4000)
    phase = np.random.default_rng(1).uniform(0, 2 * np.pi, 64)
    h = np.cos(t[:, None] + phase[None, :])[:, None, :]            # (T, 1, N)
    C = D.network_autocorrelation(h, 100)
    np.testing.assert_allclose(C[0], 0.5 * np.cos(0.05 * np.arange(100)), atol=0.01)


def test_relaxation_time_of_an_exponential():
    tau = np.linspace(0, 60, 6001)
    assert abs(D.relaxation_time(tau, 2.0 * np.exp(-tau / 3.0)) - 3.0) < 1e-4


def test_simulation_lyapunov_matches_benettin():
    import torch

    from rnnmath.lyapunov import lyapunov_spectrum

    net = G.random_gated_network(30, 3.0, 1.0, 1.0, batch=2, seed=4, device="cpu")
    out = D.simulate_autocorrelation(net, dt=0.1, t_transient=20, t_avg=60, record_every=5, n_lag=5, seed=3)
    gen = torch.Generator().manual_seed(3)
    x0 = 2.0 * torch.randn(2, 90, generator=gen, dtype=torch.float64)
    ref = lyapunov_spectrum(lambda x: G.gated_vector_field(x, net), lambda x, W: G.gated_tangent(x, W, net), x0,
                            dt=0.1, n_steps=600, k=1, qr_every=1, transient_steps=200, seed=3)
    # same flow and initial state, different tangent initialisation: agree up to the O(1/T) transient
    np.testing.assert_allclose(out["lam_max"], ref.exponents[:, 0].numpy(), atol=0.03)
    no_lyap = D.simulate_autocorrelation(net, dt=0.1, t_transient=20, t_avg=60, record_every=5, n_lag=5, seed=3,
                                         lyapunov=False)
    assert no_lyap["lam_max"] is None
    np.testing.assert_allclose(no_lyap["C_h"], out["C_h"], rtol=1e-8)
