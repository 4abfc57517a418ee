"""Tests of rnnmath.gated (Part IV, note 003)."""
import numpy as np
import pytest
import sympy as sp
import torch

from rnnmath import gated as G
from rnnmath import verify as V

DT = torch.float64


def _net(n=5, batch=3, g=2.5, az=1.5, ar=2.0, seed=0):
    return G.random_gated_network(n, g, az, ar, batch=batch, seed=seed, device="cpu")


def _single(net, b):
    return G.GatedNetwork(*(t[b:b + 1] for t in (net.J_h, net.J_z, net.J_r, net.g_h, net.alpha_z, net.alpha_r)))


def test_random_network_shapes_and_variance():
    net = G.random_gated_network(200, [1.0, 2.0], 1.0, 3.0, seed=1, device="cpu")
    assert net.batch == 2 and net.n == 200 and net.J_h.dtype == DT
    V.check_close(net.J_h.var() * 200, 1.0, "N Var(J) = 1", rtol=0, atol=0.02)
    V.check_close(net.alpha_r, torch.tensor([3.0, 3.0], dtype=DT), "broadcast gains")


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="^n: "):
        G.random_gated_network(0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="^g_h/alpha_z/alpha_r: "):
        G.random_gated_network(3, [1.0, 2.0], [1.0, 2.0, 3.0], 1.0)
    net = _net()
    with pytest.raises(ValueError, match="^x: "):
        G.gated_vector_field(torch.zeros(3, 7, dtype=DT), net)
    with pytest.raises(ValueError, match="^V: "):
        G.gated_tangent(torch.zeros(3, 15, dtype=DT), torch.zeros(3, 14, 2, dtype=DT), net)
    with pytest.raises(ValueError, match="^J_z: "):
        G.GatedNetwork(net.J_h, net.J_z[:, :4], net.J_r, net.g_h, net.alpha_z, net.alpha_r)
    with pytest.raises(ValueError, match="^dt: "):
        G.integrate(lambda x: x, torch.zeros(1, 2, dtype=DT), -0.1, 3)
    with pytest.raises(ValueError, match="^C_h: "):
        G.mft_gaussian_moments(-1.0, 0.0)
    with pytest.raises(ValueError, match="^sign: "):
        G.adjoint_gradient(net, torch.zeros(3, 15, dtype=DT), 0.1, 2, sign=0)
    with pytest.raises(ValueError, match="^h0: "):
        G.find_fixed_points(net, torch.zeros(3, 4, dtype=DT))


def test_jacobian_matches_autograd_and_rejects_wrong_formula():
    net = _net()
    x = torch.randn(3, 15, dtype=DT, generator=torch.Generator().manual_seed(3))
    for b in range(3):
        nb = _single(net, b)
        f = lambda v: G.gated_vector_field(v[None], nb)[0]  # noqa: E731
        V.check_jacobian(f, lambda v: G.gated_jacobian(v[None], nb)[0], x[b:b + 1])

        def wrong(v):  # drops the sigma'(z) column: the h-row does not depend on z
            D = G.gated_jacobian(v[None], nb)[0].clone()
            D[:5, 5:10] = 0
            return D
        assert not V.check_jacobian(f, wrong, x[b:b + 1], strict=False).passed


def test_tangent_equals_jacobian_product():
    net = _net()
    x = torch.randn(3, 15, dtype=DT)
    W = torch.randn(3, 15, 4, dtype=DT)
    V.check_close(G.gated_tangent(x, W, net), G.gated_jacobian(x, net) @ W, "D V")


def test_symbolic_jacobian_entries():
    """The h-row entries of D by sympy with undefined phi, sigma (any N, index form)."""
    i, j, k, N = sp.symbols("i j k N", integer=True, positive=True)
    h, z, r = sp.IndexedBase("h"), sp.IndexedBase("z"), sp.IndexedBase("r")
    J = sp.IndexedBase("J")
    g = sp.Symbol("g")
    phi, sig = sp.Function("phi"), sp.Function("sigma")
    hdot = sig(z[i]) * (-h[i] + g * sp.Sum(J[i, j] * phi(h[j]) * sig(r[j]), (j, 1, N)))
    d_r = sp.diff(hdot, r[k]).doit()
    claimed = g * sig(z[i]) * J[i, k] * phi(h[k]) * sp.Derivative(sig(r[k]), r[k])
    got = sp.piecewise_fold(d_r)
    got = got.args[0][0] if isinstance(got, sp.Piecewise) else got
    V.check_scalar_identity(got, claimed.doit(), "dhdot_i/dr_k")
    assert not V.check_scalar_identity(got, (g * J[i, k] * phi(h[k]) * sp.Derivative(sig(r[k]), r[k])).doit(),
                                       "without sigma(z)", strict=False).passed


def test_integrate_matches_exponential_for_linear_field():
    A = torch.tensor([[[-1.0, 2.0], [-2.0, -1.0]]], dtype=DT)
    x0 = torch.tensor([[1.0, 0.0]], dtype=DT)
    xT, traj = G.integrate(lambda x: (A @ x.unsqueeze(-1)).squeeze(-1), x0, 0.01, 100, record_every=10)
    exact = (torch.linalg.matrix_exp(A[0]) @ x0[0])[None]
    V.check_close(xT, exact, "RK4 vs expm", rtol=1e-8)
    assert traj.shape == (11, 1, 2)


def test_mft_quadrature_and_solutions():
    C_phi, C_sig = G.mft_gaussian_moments(0.0, 0.0)
    V.check_close(C_sig, 0.25, "sigma(0)^2 = 1/4")
    # Monte Carlo check of the quadrature
    rng = np.random.default_rng(0)
    s = rng.standard_normal(400_000)
    cp, cs = G.mft_gaussian_moments(1.3, 4.0)
    V.check_close(cp, np.mean(np.tanh(np.sqrt(1.3) * s) ** 2), "C_phi MC", rtol=0, atol=3e-3)
    V.check_close(cs, np.mean((1 / (1 + np.exp(-2.0 * s))) ** 2), "C_sigma MC", rtol=0, atol=3e-3)
    C_h, C_r, count = G.mft_fixed_point_solutions([1.5, 2.5, 1.9], [0.0, 0.0, 20.0])
    assert list(count) == [0, 1, 2]
    res = G.mft_residual(C_h[1, 0], 2.5, 0.0)
    V.check_close(res, 0.0, "root solves the MFT", atol=1e-9)
    # the self-consistency fails for a wrong factor (C_sigma omitted)
    cp, _ = G.mft_gaussian_moments(C_h[1, 0], 0.0)
    assert not V.check_close(2.5 ** 2 * cp, C_h[1, 0], "without C_sigma", atol=1e-6, strict=False).passed


def test_zero_fixed_point_linearisation():
    net = _net(n=8, g=3.0)
    D = G.zero_fixed_point_jacobian(net)
    I = torch.eye(8, dtype=DT)
    V.check_close(D[:, :8, :8], 0.5 * (-I + 0.5 * 3.0 * net.J_h), "D_hh = s(0)(-I + g s(0) J)")
    V.check_close(D[:, :8, 8:], torch.zeros(3, 8, 16, dtype=DT), "h-row decouples")
    assert not V.check_close(D[:, :8, :8], -I + 3.0 * net.J_h, "sigma(0)=1 forgotten", strict=False).passed


def test_find_fixed_points_converges():
    net = G.random_gated_network(30, 2.5, 1.0, 1.0, batch=2, seed=4, device="cpu")
    h0 = 0.8 * torch.randn(2, 30, dtype=DT, generator=torch.Generator().manual_seed(0))
    x, res = G.find_fixed_points(net, h0)
    ok = res <= 1e-9
    assert bool(ok.any())
    F = G.gated_vector_field(x, net)
    V.check_close(F[ok], torch.zeros_like(F[ok]), "F(x*) = 0", atol=1e-8)


def test_adjoint_matches_autograd_and_printed_sign_fails():
    net = _net(n=4, batch=2)
    x0 = torch.randn(2, 12, dtype=DT, generator=torch.Generator().manual_seed(5))
    loss_a, ga, lam = G.adjoint_gradient(net, x0, 0.02, 40)
    loss_b, gb = G.autograd_gradient(net, x0, 0.02, 40)
    V.check_close(loss_a, loss_b, "same loss", rtol=1e-12)
    for a, b in zip(ga, gb):
        V.check_close(a, b, "adjoint vs autograd", rtol=2e-3, atol=0)
    _, gp, _ = G.adjoint_gradient(net, x0, 0.02, 40, sign=+1)
    assert not V.check_close(gp[0], gb[0], "printed sign", rtol=2e-3, atol=0, strict=False).passed
    assert lam.shape == (41, 2, 12)
    V.check_close(lam[-1], torch.zeros(2, 12, dtype=DT), "lambda(T) = 0")


def test_symbolic_jacobian_blocks_all_agree_and_a_wrong_block_fails():
    blocks = G.symbolic_jacobian_blocks()
    assert [b for b, _, _ in blocks] == ["hh", "hz", "hr", "zh", "zz", "zr", "rh", "rz", "rr"]
    for b, derived, claimed in blocks:
        V.check_scalar_identity(derived, claimed, b)
    _, derived_hz, claimed_hz = blocks[1]
    assert not V.check_scalar_identity(derived_hz, 0, "hz = 0 (gate as constant)", strict=False).passed


def test_fixed_point_residual_jacobian_matches_autograd():
    from torch.func import jacrev

    net = G.random_gated_network(7, 2.5, 1.0, 3.0, batch=2, seed=0, device="cpu")
    h = torch.randn(2, 7, dtype=DT, generator=torch.Generator().manual_seed(1))
    Jg = G.fixed_point_residual_jacobian(h, net)
    for b in range(2):
        nb = _single(net, b)
        ref = jacrev(lambda v: G.fixed_point_residual(v[None], nb)[0])(h[b])
        V.check_close(Jg[b], ref, "dG/dh")
        # dropping the reset-gate chain-rule term is detected
        ph = torch.tanh(h[b])
        sr = torch.sigmoid(nb.alpha_r * (nb.J_r[0] @ ph))
        wrong = -torch.eye(7, dtype=DT) + nb.g_h * nb.J_h[0] * ((1 - ph ** 2) * sr)[None, :]
        assert not V.check_close(wrong, ref, "without reset term", strict=False).passed


def test_mft_series_and_onset():
    R2, Cphi2, Csig2, (C, c, g, a) = G.mft_small_variance_series()
    V.check_scalar_identity(R2, (g ** 2 / 4 - 1) * C + g ** 2 * (a ** 2 / 16 - sp.Rational(1, 2)) * C ** 2, "R2")
    assert not V.check_scalar_identity(R2, (g ** 2 - 1) * C, "vanilla threshold", strict=False).passed
    onset = G.mft_onset_gain([1.0, 6.0], g_grid=np.linspace(1.5, 2.5, 101))
    V.check_close(onset[0], 2.01, "continuous onset just above 2", rtol=0, atol=1e-9)
    assert onset[1] < 1.99


def test_largest_lyapunov_sweep_shapes_and_stable_corner():
    lam = G.largest_lyapunov_sweep([[1.2, 1.4]], 1.0, 0.0, n=10, ensemble=2, dt=0.2, t_transient=10.0, t_avg=40.0,
                                   device="cpu")
    assert lam.shape == (1, 2, 2)
    # a subcritical network decays to the origin: lambda_max close to the abscissa of D(0) (<0)
    V.check_bound(lam, "g_h < 2 decays", upper=-0.05)


def test_classify_regions_rules_and_validation():
    lam = np.array([-0.2, -0.2, 0.1, 0.1, 0.0, -0.2])
    count = np.array([0, 2, 0, 1, 0, 1])
    g = np.array([1.5, 1.9, 1.9, 3.0, 3.0, 3.0])
    az = np.array([1.0, 1.0, 1.0, 1.0, 30.0, 1.0])
    assert G.classify_regions(lam, count, g, 0.01, alpha_z=az).tolist() == [1, 2, 3, 4, 5, 0]
    # a near-zero exponent with a soft gate is not "marginal stability"
    assert G.classify_regions(lam, count, g, 0.01, alpha_z=1.0).tolist() == [1, 2, 3, 4, 0, 0]
    with pytest.raises(ValueError, match="eps: must be"):
        G.classify_regions(lam, count, g, 0.0, alpha_z=az)


def test_scalar_adjoint_example_sign():
    g_fixed, exact = G.scalar_adjoint_example(-1)
    V.check_scalar_identity(g_fixed, exact, "adjoint with -df/dx")
    g_printed, _ = G.scalar_adjoint_example(+1)
    assert not V.check_scalar_identity(g_printed, exact, "printed +df/dx", strict=False).passed
    with pytest.raises(ValueError, match="^sign: "):
        G.scalar_adjoint_example(0)


def test_gradient_norm_identity_against_autograd_and_printed_fails():
    net = G.random_gated_network(8, 3.0, 1.0, 2.0, batch=2, seed=2, device="cpu")
    x0 = torch.randn(2, 24, dtype=DT, generator=torch.Generator().manual_seed(3))
    t = G.gradient_norm_terms(net, x0, 0.05, 40)
    # independent sides: correlation integrals of the adjoint vs the autograd gradient's Frobenius norm
    V.check_close(t["exact"], t["norm_sq_autograd"], "identity vs autograd", rtol=5e-3)
    V.check_close(t["norm"] ** 2, t["norm_sq"], "norm^2", rtol=1e-12)
    assert not V.check_close(t["printed"], t["norm_sq_autograd"], "printed", rtol=0.5, strict=False).passed
    # with g_h^2 N^2 restored, omitting sigma(z) still fails by a clear factor
    ratio = (t["no_update_gate"] / t["norm_sq_autograd"]).numpy()
    assert np.all(ratio > 2.0), ratio
    assert not V.check_close(t["no_update_gate"], t["norm_sq_autograd"], "no sigma(z)", rtol=0.5, strict=False).passed


def test_adjoint_propagation_matches_autograd_and_lyapunov_rate():
    from rnnmath.lyapunov import lyapunov_spectrum

    net = G.random_gated_network(40, [1.5, 3.5], [1.0, 30.0], 1.0, seed=6, device="cpu")
    gen = torch.Generator().manual_seed(1)
    x0 = G.integrate(lambda y: G.gated_vector_field(y, net), torch.randn(2, 120, dtype=DT, generator=gen), 0.1, 200)
    u = torch.randn(2, 120, dtype=DT, generator=gen)
    lam = G.adjoint_propagation(net, x0, 0.1, 300, u)
    assert lam.shape == (301, 2, 120)
    V.check_close(lam[-1], u, "lambda(T) = u", rtol=0, atol=0)
    V.check_close(lam[0], G.autograd_propagation(net, x0, 0.1, 300, u), "adjoint vs autograd", rtol=1e-4)
    rho = (lam[0].norm(dim=1) / u.norm(dim=1)).log() / 30.0
    fwd = lyapunov_spectrum(lambda y: G.gated_vector_field(y, net), lambda y, W: G.gated_tangent(y, W, net), x0,
                            dt=0.1, n_steps=300, k=1, qr_every=5).exponents[:, 0]
    V.check_close(rho, fwd, "backward rate = forward lambda_max", rtol=0, atol=0.05)
    assert float(rho[0]) < -0.05 and float(rho[1]) > 0.02
    with pytest.raises(ValueError, match="u: must have the shape"):
        G.adjoint_propagation(net, x0, 0.1, 3, u[:, :5])


def test_gated_adjoint_imports_first_without_a_circular_import():
    import subprocess
    import sys

    code = "import rnnmath.gated_adjoint as a, rnnmath.gated as g; assert g.adjoint_gradient is a.adjoint_gradient"
    subprocess.run([sys.executable, "-c", code], check=True)
