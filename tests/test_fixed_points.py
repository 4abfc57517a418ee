"""Part II, chapter 5 (slow points; note 001 section 6.1): rnnmath.fixed_points."""
import math

import numpy as np
import pytest
import torch
from torch.func import grad, hessian, jacrev

from rnnmath import fixed_points as fp
from rnnmath import verify as V

f64 = torch.float64
CPU = "cpu"


def _net(N=4, seed=0, scale=1.0, zero_diag=True):
    g = torch.Generator().manual_seed(seed)
    W = scale * torch.randn(N, N, dtype=f64, generator=g) / math.sqrt(N)
    if zero_diag:
        W.fill_diagonal_(0.0)
    c = torch.randn(N, dtype=f64, generator=g)
    return W, c, g


@pytest.mark.parametrize("name,theta", [("relu", None), ("tanh", None), ("linear", None), ("leaky_relu", 0.3)])
def test_activation_derivatives_match_autograd(name, theta):
    act = fp.activation(name, theta)
    x = torch.linspace(-2.3, 2.1, 23, dtype=f64)  # avoids the kink at 0
    d1 = torch.vmap(grad(lambda s: act.f(s)))(x)
    d2 = torch.vmap(grad(grad(lambda s: act.f(s))))(x)
    assert V.check_close(act.df(x), d1, name=f"{name} f'")
    assert V.check_close(act.d2f(x), d2, name=f"{name} f''", atol=1e-12)
    # a check that can fail: tanh's f'' is not zero
    if name == "tanh":
        assert not V.check_close(torch.zeros_like(x), d2, strict=False)


def test_leaky_relu_endpoints_are_relu_and_identity():
    x = torch.linspace(-2, 2, 9, dtype=f64)
    assert V.check_close(fp.activation("leaky_relu", 0.0).f(x), torch.relu(x))
    assert V.check_close(fp.activation("leaky_relu", math.pi / 4).f(x), x, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", ["relu", "tanh", "leaky_relu"])
def test_jacobian_gradient_hessian_match_autograd(name):
    W, c, g = _net(5, seed=1, scale=1.5)
    dyn = fp.RateDynamics(W, c, tau=0.1, activation=name, theta=0.4 if name == "leaky_relu" else None, device=CPU)
    pts = torch.randn(6, 5, dtype=f64, generator=g)
    assert V.check_jacobian(dyn.velocity, dyn.jacobian, pts, name="J = (-I + D W)/tau")
    assert V.check_gradient_fd(dyn.kinetic_energy, dyn.kinetic_energy_gradient, pts)
    assert V.check_functions_agree(dyn.kinetic_energy_gradient, grad(dyn.kinetic_energy), pts)
    assert V.check_hessian(dyn.kinetic_energy, dyn.kinetic_energy_hessian, pts, name="hess q")


def test_notes_printed_jacobian_sign_fails_and_gradient_with_it_fails():
    W, c, g = _net(5, seed=2, scale=1.5)
    dyn = fp.RateDynamics(W, c, tau=0.1, device=CPU)
    pts = torch.randn(6, 5, dtype=f64, generator=g)
    eye = torch.eye(5, dtype=f64)

    def printed_J(r):  # note 001 section 6.1.2: dF_k/dr_i = (delta_ik + [m_k > 0] W_ki) / tau
        d = (dyn.preactivation(r) > 0).to(f64)
        return (eye + d[:, None] * W) / dyn.tau

    assert not V.check_jacobian(dyn.velocity, printed_J, pts, strict=False)
    printed_grad = lambda r: printed_J(r).T @ dyn.velocity(r)  # noqa: E731
    assert not V.check_gradient_fd(dyn.kinetic_energy, printed_grad, pts, strict=False)


def test_hessian_without_second_term_fails_for_tanh_but_not_relu():
    W, c, g = _net(4, seed=3, scale=2.0)
    pts = torch.randn(5, 4, dtype=f64, generator=g)
    for name, should_pass in (("tanh", False), ("relu", True)):
        dyn = fp.RateDynamics(W, c, tau=1.0, activation=name, device=CPU)
        gauss_newton = lambda r: dyn.jacobian(r).T @ dyn.jacobian(r)  # noqa: E731
        res = V.check_hessian(dyn.kinetic_energy, gauss_newton, pts, strict=False)
        assert res.passed is should_pass, name


def test_batched_networks_equal_one_at_a_time():
    g = torch.Generator().manual_seed(4)
    W = torch.randn(3, 2, 6, 6, dtype=f64, generator=g)
    c = torch.randn(3, 2, 6, dtype=f64, generator=g)
    r = torch.randn(3, 2, 7, 6, dtype=f64, generator=g)
    dyn = fp.RateDynamics(W, c, activation="tanh", device=CPU)
    for i in range(3):
        for j in range(2):
            one = fp.RateDynamics(W[i, j], c[i, j], activation="tanh", device=CPU)
            assert V.check_close(dyn.velocity(r)[i, j], one.velocity(r[i, j]))
            assert V.check_close(dyn.jacobian(r)[i, j], one.jacobian(r[i, j]))
            assert V.check_close(dyn.kinetic_energy_hessian(r)[i, j], one.kinetic_energy_hessian(r[i, j]))


def test_linear_system_unique_fixed_point_and_stability():
    W, c, g = _net(6, seed=5, scale=0.8, zero_diag=False)
    dyn = fp.RateDynamics(W, c, tau=2.0, activation="linear", device=CPU)
    res = fp.find_fixed_points(dyn, torch.randn(20, 6, dtype=f64, generator=g) * 3)
    truth = torch.linalg.solve(torch.eye(6, dtype=f64) - W, c)
    assert len(res) == 1
    assert V.check_close(res.points[0], truth, atol=1e-10)
    ev = torch.linalg.eigvals((W - torch.eye(6, dtype=f64)) / 2.0).numpy()
    assert V.check_close(np.sort(res.eigenvalues[0].real), np.sort(ev.real), atol=1e-10)
    assert res.stability == fp.classify_stability(ev[None])


def test_hand_solved_two_unit_network():
    # r = relu(W r + c) with mutual excitation 2 and bias -1: fixed points (0,0) and (1,1)
    W = np.array([[0.0, 2.0], [2.0, 0.0]])
    c = np.array([-1.0, -1.0])
    truth = fp.relu_fixed_points_exhaustive(W, c)
    assert V.check_close(truth, np.array([[0.0, 0.0], [1.0, 1.0]]))
    res = fp.find_fixed_points(fp.RateDynamics(W, c, device=CPU), torch.rand(64, 2, dtype=f64) * 3)
    order = np.lexsort(res.points.T[::-1])
    assert V.check_close(res.points[order], truth, atol=1e-9)
    assert [res.stability[i] for i in order] == ["stable", "saddle"]  # J = -I and -I + W (eig 1, -3)


def test_winner_take_all_network_has_seven_fixed_points():
    # mutual inhibition -2, drive 1: three winners (stable), three pairs and the triple (saddles)
    W = -2.0 * (np.ones((3, 3)) - np.eye(3))
    c = np.ones(3)
    truth = fp.relu_fixed_points_exhaustive(W, c)
    expected = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]], float)
    expected[3:] /= 3.0
    expected = np.vstack([expected, np.full((1, 3), 0.2)])
    assert len(truth) == 7 and all(_match(truth, expected))
    res = fp.find_fixed_points(fp.RateDynamics(W, c, device=CPU), torch.rand(300, 3, dtype=f64))
    assert len(res) == 7
    assert res.counts() == {"stable": 3, "saddle": 4, "unstable": 0, "marginal": 0}


def _match(found, truth, tol=1e-7):
    """(every true point found, no false point) as two booleans."""
    if len(truth) == 0 or len(found) == 0:
        return len(truth) == len(found), len(found) == 0
    d = np.linalg.norm(found[:, None] - truth[None], axis=-1)
    return bool(np.all(d.min(axis=0) < tol)), bool(np.all(d.min(axis=1) < tol))


@pytest.mark.parametrize("N", [2, 3, 4])
def test_finder_finds_every_fixed_point_of_small_relu_nets_and_no_false_one(N):
    rng = np.random.default_rng(N)
    n_multi = 0
    for trial in range(16):
        W = rng.normal(0, 2.0 / math.sqrt(N), (N, N))
        np.fill_diagonal(W, 0.0)
        c = rng.normal(0, 1, N)
        truth = fp.relu_fixed_points_exhaustive(W, c)
        n_multi += len(truth) > 1
        res = fp.find_fixed_points(fp.RateDynamics(W, c, tau=0.1, device=CPU),
                                   torch.as_tensor(rng.normal(0, 3, (256, N))))
        all_found, none_false = _match(res.points, truth)
        assert all_found and none_false, (trial, truth, res.points)
        # stability of each found point from the region's exact Jacobian
        for p, lab in zip(res.points, res.stability):
            d = (W @ p + c > 0).astype(float)
            ev = np.linalg.eigvals((-np.eye(N) + d[:, None] * W) / 0.1)
            assert lab == fp.classify_stability(ev[None])[0]
    assert n_multi >= 1  # the test exercises networks with several fixed points


def test_comparison_can_fail_when_finder_is_starved():
    W = np.array([[0.0, 2.0], [2.0, 0.0]])
    c = np.array([-1.0, -1.0])
    truth = fp.relu_fixed_points_exhaustive(W, c)
    res = fp.find_fixed_points(fp.RateDynamics(W, c, device=CPU), torch.full((1, 2), 0.2, dtype=f64))
    all_found, _ = _match(res.points, truth)
    assert not all_found


def test_batched_finder_equals_per_network():
    rng = np.random.default_rng(7)
    N, B = 3, 4
    W = rng.normal(0, 1.4, (B, N, N))
    W[:, np.arange(N), np.arange(N)] = 0
    c = rng.normal(0, 1, (B, N))
    r0 = rng.normal(0, 3, (B, 128, N))
    many = fp.find_fixed_points(fp.RateDynamics(W, c, device=CPU), torch.as_tensor(r0))
    assert len(many) == B
    for b in range(B):
        truth = fp.relu_fixed_points_exhaustive(W[b], c[b])
        assert all(_match(many[b].points, truth))


def test_tanh_slow_point_with_positive_q_is_found_and_not_called_fixed():
    # a 1-unit tanh network r' = -r + tanh(w r + c) with w = 1.2 and c tuned just past a
    # saddle-node: no fixed point near the ghost, but q has a local minimum with q > 0 there.
    w, c = 1.2, 0.08
    dyn = fp.RateDynamics(np.array([[w]]), np.array([c]), activation="tanh", device=CPU)
    res = fp.find_fixed_points(dyn, torch.linspace(-1, 1, 41, dtype=f64)[:, None], q_tol=1e-20)
    xs = np.linspace(-1.5, 1.5, 300001)
    F = -xs + np.tanh(w * xs + c)
    roots = xs[:-1][np.sign(F[:-1]) != np.sign(F[1:])]
    assert V.check_close(np.sort(res.points[:, 0]), roots, atol=1e-4)
    assert len(res.slow_points) >= 1 and np.all(res.slow_q > 1e-8)
    qs = 0.5 * F**2
    local_min = xs[1:-1][(qs[1:-1] < qs[:-2]) & (qs[1:-1] < qs[2:]) & (qs[1:-1] > 1e-8)]
    assert V.check_close(np.sort(res.slow_points[:, 0]), np.sort(local_min), atol=1e-4)


def test_outlier_rule_discards_far_points_only_when_asked():
    W = np.array([[0.0, 2.0], [2.0, 0.0]])
    c = np.array([-1.0, -1.0])
    dyn = fp.RateDynamics(W, c, device=CPU)
    r0 = torch.as_tensor(np.random.default_rng(0).normal(0, 0.01, (50, 2)))  # a tight cloud at 0
    kept = fp.find_fixed_points(dyn, torch.cat([r0, torch.tensor([[0.9, 0.9]], dtype=f64)]))
    cut = fp.find_fixed_points(dyn, torch.cat([r0, torch.tensor([[0.9, 0.9]], dtype=f64)]), outlier_scale=5.0)
    assert len(kept) == 2 and len(cut) == 1 and cut.n_outliers >= 1


def test_classify_stability_uses_real_parts_not_moduli():
    ev = np.array([[-0.5 + 2j, -0.5 - 2j], [0.5, -3.0], [0.5, 0.2], [0.0, -1.0]])
    assert fp.classify_stability(ev) == ["stable", "saddle", "unstable", "marginal"]
    # the discrete-map test |lambda| < 1 would call the unstable node [0.5, 0.2] stable
    assert np.all(np.abs(ev[2]) < 1)


def test_q_tolerance_scales_as_inverse_square_of_dt():
    assert V.check_close(fp.q_tolerance_from_step(1e-4, 10.0) / fp.q_tolerance_from_step(1e-4, 5.0), 0.25)
    dyn = fp.RateDynamics(np.array([[0.0, 0.5], [-0.3, 0.0]]), np.array([0.3, 0.2]), tau=100.0, device=CPU)
    r = torch.tensor([[0.7, -0.1]], dtype=f64)
    dt = 10.0
    step = (dyn.euler_step(r, dt) - r).norm()
    assert V.check_close(dyn.kinetic_energy(r)[0], step**2 / (2 * dt**2))


def test_q_noise_floor_matches_simulation():
    g = torch.Generator().manual_seed(0)
    N, sigma, tau, K, T = 20, 0.01, 100.0, 200, 400
    for dt in (5.0, 20.0):
        a = dt / tau
        c = torch.full((N,), 0.5, dtype=f64)  # W = 0: every unit in its linear range
        r = c.expand(K, N).clone()
        vals = []
        for t in range(T):
            eps = torch.randn(K, N, dtype=f64, generator=g)
            r_new = (1 - a) * r + a * torch.relu(c + math.sqrt(2 * sigma**2 / a) * eps)
            if t > 100:
                vals.append(0.5 * (((r_new - r) / dt) ** 2).sum(-1).mean())
            r = r_new
        assert V.check_close(torch.stack(vals).mean(), fp.q_noise_floor(N, sigma, tau, dt), rtol=0.05)
        # the small-alpha form N sigma^2 / (tau dt) is off by the factor 2 / (2 - alpha)
        if dt == 20.0:
            assert not V.check_close(torch.stack(vals).mean(), N * sigma**2 / (tau * dt), rtol=0.05, strict=False)


def test_bad_input_is_rejected_with_the_argument_named():
    W, c, _ = _net(3)
    with pytest.raises(ValueError, match="W:"):
        fp.RateDynamics(torch.zeros(3, 4, dtype=f64), c)
    with pytest.raises(ValueError, match="c:"):
        fp.RateDynamics(W, torch.zeros(4, dtype=f64))
    with pytest.raises(ValueError, match="tau:"):
        fp.RateDynamics(W, c, tau=0.0)
    with pytest.raises(ValueError, match="W:"):
        fp.RateDynamics(W * float("nan"), c)
    with pytest.raises(ValueError, match="theta:"):
        fp.activation("leaky_relu", 1.0)
    with pytest.raises(ValueError, match="theta:"):
        fp.activation("leaky_relu")
    with pytest.raises(ValueError, match="name:"):
        fp.activation("softplus")
    dyn = fp.RateDynamics(W, c, device=CPU)
    with pytest.raises(ValueError, match="r:"):
        dyn.velocity(torch.zeros(5, 4, dtype=f64))
    with pytest.raises(ValueError, match="initial_states:"):
        fp.find_fixed_points(dyn, torch.zeros(3, dtype=f64))
    with pytest.raises(ValueError, match="q_tol:"):
        fp.find_fixed_points(dyn, torch.zeros(2, 3, dtype=f64), q_tol=0.0)
    batched = fp.RateDynamics(W.expand(2, 3, 3), c.expand(2, 3), device=CPU)
    with pytest.raises(ValueError, match="r:"):
        batched.velocity(torch.zeros(3, 5, 3, dtype=f64))
    with pytest.raises(ValueError, match="W:"):
        fp.relu_fixed_points_exhaustive(np.zeros((20, 20)), np.zeros(20))
    with pytest.raises(ValueError, match="c:"):
        fp.relu_fixed_points_exhaustive(np.zeros((2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="dt:"):
        fp.q_tolerance_from_step(1e-3, 0.0)
    with pytest.raises(ValueError, match="dt:"):
        fp.q_noise_floor(3, 0.01, 1.0, 2.5)
    with pytest.raises(ValueError, match="eigenvalues:"):
        fp.classify_stability(np.zeros(3))


def test_chunked_finder_equals_unchunked():
    rng = np.random.default_rng(11)
    W = rng.normal(0, 1.4, (3, 4, 4))
    W[:, np.arange(4), np.arange(4)] = 0
    c = rng.normal(0, 1, (3, 4))
    r0 = torch.as_tensor(rng.normal(0, 3, (3, 50, 4)))
    dyn = fp.RateDynamics(W, c, device=CPU)
    whole = fp.find_fixed_points(dyn, r0)
    parts = fp.find_fixed_points(dyn, r0, chunk_size=7)
    assert sum(len(a) for a in whole) > 0
    for a, b in zip(whole, parts):
        assert len(a) == len(b) and a.stability == b.stability
        if len(a):
            assert V.check_close(a.points, b.points, atol=1e-12)


# --------------------------------------------------------------------------- #
# The matrix-free path (issue 18)
# --------------------------------------------------------------------------- #
def _mf_net(N=7, seed=3, name="tanh", scale=1.8):
    W, c, _ = _net(N, seed, scale=scale)
    return fp._MatrixFreeNet(W, c, fp.activation(name), 0.7), W, c


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_matrix_free_products_match_the_dense_jacobian_and_autograd_hessian(name):
    net, W, c = _mf_net(name=name)
    dyn = fp.RateDynamics(W, c, tau=0.7, activation=name, device=CPU)
    g = torch.Generator().manual_seed(5)
    X = torch.randn(4, 7, dtype=f64, generator=g)
    V_ = torch.randn(4, 7, dtype=f64, generator=g)
    m, F = net.field(X)
    d = net.act.df(m)
    J = dyn.jacobian(X)  # the dense formula (independent code path)
    assert V.check_close(net.jv(d, V_), (J @ V_.unsqueeze(-1)).squeeze(-1), name="J v")
    assert V.check_close(net.jtu(d, V_), (J.mT @ V_.unsqueeze(-1)).squeeze(-1), name="J^T u")
    assert V.check_close(net.jfro2(d), (J ** 2).sum((-2, -1)), name="|J|_F^2")
    # full Hessian-vector product against autograd's Hessian of q
    w = F * net.act.d2f(m) / net.tau
    H = torch.stack([hessian(lambda x: 0.5 * (dyn.velocity(x) ** 2).sum())(x) for x in X])
    assert V.check_close(net.hv(d, w, V_), (H @ V_.unsqueeze(-1)).squeeze(-1), name="H v", atol=1e-10)
    # Gauss-Newton product is J^T J v, and differs from H v for tanh (the second term matters)
    gn = (J.mT @ J @ V_.unsqueeze(-1)).squeeze(-1)
    assert V.check_close(net.hv(d, None, V_), gn, name="J^T J v")
    if name == "tanh":
        assert not V.check_close(net.hv(d, None, V_), net.hv(d, w, V_), strict=False)


def test_batched_cg_solves_each_row_and_stops_on_negative_curvature():
    g = torch.Generator().manual_seed(2)
    B = torch.randn(5, 6, 6, dtype=f64, generator=g)
    A = B @ B.mT
    b = torch.randn(5, 6, dtype=f64, generator=g)
    mu = torch.linspace(0.1, 1.0, 5, dtype=f64)
    x = fp._batched_cg(lambda p: (A @ p.unsqueeze(-1)).squeeze(-1), b, mu, 200, 1e-13)
    ref = np.linalg.solve((A + mu[:, None, None] * torch.eye(6, dtype=f64)).numpy(), b.numpy()[..., None])[..., 0]
    assert V.check_close(x, ref, atol=1e-9, name="CG = dense solve")
    # too few iterations: not the solution (the iteration cap is honoured)
    x1 = fp._batched_cg(lambda p: (A @ p.unsqueeze(-1)).squeeze(-1), b, mu, 1, 1e-13)
    assert not V.check_close(x1, ref, atol=1e-6, strict=False)
    # a negative-definite operator: the first iteration meets p^T A p <= 0 -> scaled gradient b / mu
    xn = fp._batched_cg(lambda p: -10.0 * p, b, mu, 50, 1e-13)
    assert V.check_close(xn, b / mu[:, None], name="negative curvature fallback")
    # a zero right-hand side gives a zero step (no division by zero)
    x0 = fp._batched_cg(lambda p: p, torch.zeros(2, 3, dtype=f64), torch.ones(2, dtype=f64), 5, 1e-8)
    assert bool((x0 == 0).all())


def test_matrix_free_finds_the_analytic_fixed_point_of_a_large_linear_network():
    # F = -r + W r + c has the single fixed point (I - W)^{-1} c; N = 200 > 128 so "auto" is matrix-free
    N = 200
    g = torch.Generator().manual_seed(seeded_or(4))
    W = 0.5 * torch.randn(N, N, dtype=f64, generator=g) / math.sqrt(N)
    c = torch.randn(N, dtype=f64, generator=g)
    dyn = fp.RateDynamics(W, c, activation="linear", device=CPU)
    res = fp.find_fixed_points(dyn, torch.randn(8, N, dtype=f64, generator=g))
    r_star = np.linalg.solve(np.eye(N) - W.numpy(), c.numpy())
    assert len(res) == 1 and res.n_converged == 8
    assert V.check_close(res.points[0], r_star, atol=1e-9, name="(I - W)^{-1} c")
    ev = np.linalg.eigvals(W.numpy() - np.eye(N))
    assert res.stability == fp.classify_stability(ev[None])  # spectral radius 0.5 < 1: stable
    assert res.stability == ["stable"]


def seeded_or(k):
    from rnnmath.device import seeded

    return seeded(k)


@pytest.mark.parametrize("N", [3, 4, 6])
def test_matrix_free_finds_every_fixed_point_of_small_relu_nets(N):
    rng = np.random.default_rng(100 + N)
    for trial in range(6):
        W = rng.normal(0, 2.0 / math.sqrt(N), (N, N))
        np.fill_diagonal(W, 0.0)
        c = rng.normal(0, 1, N)
        truth = fp.relu_fixed_points_exhaustive(W, c)
        dyn = fp.RateDynamics(W, c, tau=0.1, device=CPU)
        starts = torch.as_tensor(rng.normal(0, 3, (256, N)))
        mf = fp.find_fixed_points(dyn, starts, method="matrix_free")
        dense = fp.find_fixed_points(dyn, starts, method="dense")
        assert all(_match(mf.points, truth)), (trial, truth, mf.points)
        assert all(_match(dense.points, truth))
        assert mf.stability == dense.stability  # same sorted points -> same labels


def test_matrix_free_agrees_with_dense_on_a_tanh_network():
    rng = np.random.default_rng(64)
    N = 64
    W = 2.0 * rng.standard_normal((N, N)) / math.sqrt(N)
    dyn = fp.RateDynamics(W, np.zeros(N), activation="tanh", device=CPU)
    starts = torch.as_tensor(rng.standard_normal((64, N)))
    mf = fp.find_fixed_points(dyn, starts, method="matrix_free")
    dense = fp.find_fixed_points(dyn, starts, method="dense")
    assert len(mf) >= 3 and len(dense) >= 3
    # every reported point is a fixed point by the independent formula q = |F|^2 / 2 ...
    q = dyn.kinetic_energy(torch.as_tensor(mf.points)).numpy()
    assert np.all(q < 1e-20)
    # ... most of dense's points are among matrix-free's, with the same stability labels
    d = np.linalg.norm(dense.points[:, None] - mf.points[None], axis=-1)
    shared = np.flatnonzero(d.min(1) < 1e-8)
    assert len(shared) >= len(dense) // 2
    for i in shared:
        j = int(d[i].argmin())
        assert dense.stability[i] == mf.stability[j]
        assert V.check_close(dense.eigenvalues[i], mf.eigenvalues[j], atol=1e-8)


def test_matrix_free_slow_point_of_the_ghost_network():
    w, c = 1.2, 0.08
    dyn = fp.RateDynamics(np.array([[w]]), np.array([c]), activation="tanh", device=CPU)
    res = fp.find_fixed_points(dyn, torch.linspace(-1, 1, 41, dtype=f64)[:, None], method="matrix_free")
    xs = np.linspace(-1.5, 1.5, 300001)
    F = -xs + np.tanh(w * xs + c)
    qs = 0.5 * F ** 2
    roots = xs[:-1][np.sign(F[:-1]) != np.sign(F[1:])]
    local_min = xs[1:-1][(qs[1:-1] < qs[:-2]) & (qs[1:-1] < qs[2:]) & (qs[1:-1] > 1e-8)]
    assert V.check_close(np.sort(res.points[:, 0]), roots, atol=1e-4)
    assert V.check_close(np.sort(res.slow_points[:, 0]), np.sort(local_min), atol=1e-4)


def test_matrix_free_batched_equals_per_network():
    rng = np.random.default_rng(17)
    N, B = 4, 3
    W = rng.normal(0, 1.4, (B, N, N))
    W[:, np.arange(N), np.arange(N)] = 0
    c = rng.normal(0, 1, (B, N))
    r0 = rng.normal(0, 3, (B, 96, N))
    many = fp.find_fixed_points(fp.RateDynamics(W, c, device=CPU), torch.as_tensor(r0), method="matrix_free")
    for b in range(B):
        assert all(_match(many[b].points, fp.relu_fixed_points_exhaustive(W[b], c[b])))


def test_auto_method_switches_at_128_units():
    # the choice is visible in the cost: a dense run would form (K, N, N) Jacobians
    assert fp._DENSE_MAX_UNITS == 128


def test_dense_polish_skips_singular_jacobians_and_keeps_the_rest():
    # linear network with W = I: J = 0 everywhere (singular); with W = 0.5 I: J = -0.5 I
    net_sing = fp._MatrixFreeNet(torch.eye(2, dtype=f64), torch.zeros(2, dtype=f64), fp.activation("linear"), 1.0)
    X = torch.ones(3, 2, dtype=f64)
    q = net_sing.q(X) + 1.0  # pretend larger, so any step that lowered q would be taken
    before = X.clone()
    fp._dense_polish(net_sing, X, q, torch.arange(3), hessian=False)
    assert bool((X == before).all())
    net = fp._MatrixFreeNet(0.5 * torch.eye(2, dtype=f64), torch.ones(2, dtype=f64), fp.activation("linear"), 1.0)
    X = torch.zeros(3, 2, dtype=f64)
    q = net.q(X)
    fp._dense_polish(net, X, q, torch.arange(3), hessian=False)
    assert V.check_close(X, torch.full((3, 2), 2.0, dtype=f64))  # (I - W)^{-1} c = 2


def test_new_arguments_are_rejected_with_their_names():
    W, c, _ = _net(3)
    dyn = fp.RateDynamics(W, c, device=CPU)
    r0 = torch.zeros(2, 3, dtype=f64)
    with pytest.raises(ValueError, match="method:"):
        fp.find_fixed_points(dyn, r0, method="lbfgs")
    with pytest.raises(ValueError, match="cg_max_iter:"):
        fp.find_fixed_points(dyn, r0, cg_max_iter=0)
    with pytest.raises(ValueError, match="cg_rtol:"):
        fp.find_fixed_points(dyn, r0, cg_rtol=1.5)
    with pytest.raises(ValueError, match="cg_rtol:"):
        fp.find_fixed_points(dyn, r0, cg_rtol=float("nan"))
