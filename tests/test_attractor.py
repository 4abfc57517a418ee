"""Tests of rnnmath.attractor (Part III, note 002): formulas pass, wrong versions fail, bad input is refused."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from torch.func import grad

from rnnmath import attractor as att
from rnnmath.verify import check_bound, check_close, check_functions_agree, check_hessian

DEV = torch.device("cpu")
F64 = torch.float64


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(1234)


def sym_net(gen, n=6, batch=None, scale=1.5, self_connection=0.0):
    W = att.random_symmetric_weights(batch or 1, n, scale=scale, self_connection=self_connection, generator=gen, device=DEV)
    b = 0.3 * torch.randn(batch or 1, n, generator=gen, dtype=F64)
    return (W, b) if batch else (W[0], b[0])


# --------------------------------------------------------------------------- #
# chapter 1: energy
# --------------------------------------------------------------------------- #
def test_barrier_matches_note_formula_and_is_bounded():
    x = torch.linspace(-0.999, 0.999, 101, dtype=F64)
    note = x * torch.atanh(x) + 0.5 * torch.log(1 - x**2)
    check_close(att.barrier(x), note, "Eq. 2 barrier")
    check_close(att.barrier(torch.tensor([1.0, -1.0], dtype=F64)), torch.full((2,), math.log(2), dtype=F64), "F(+-1) = ln 2")
    # a wrong barrier (the note's terms without the 1/2) is rejected
    wrong = x * torch.atanh(x) + torch.log(1 - x**2)
    assert not check_close(att.barrier(x), wrong, "wrong barrier", strict=False).passed
    check_close(att.barrier_slope(x), torch.atanh(x), "F' = artanh")


def test_barrier_rejects_out_of_range():
    with pytest.raises(ValueError, match=r"^x: "):
        att.barrier(torch.tensor([1.5], dtype=F64))


def test_energy_gradient_and_hessian_vs_autograd(gen):
    W, b = sym_net(gen)
    pts = 0.8 * (2 * torch.rand(4, 6, generator=gen, dtype=F64) - 1)
    E = lambda s: att.energy(s, W, b)
    check_functions_agree(grad(E), lambda s: att.energy_gradient(s, W, b), pts, "grad E")
    check_hessian(E, lambda s: -W + torch.diag(1 / (1 - s**2)), pts, "Hessian E")
    # wrong sign of the quadratic term is rejected
    r = check_functions_agree(grad(E), lambda s: s @ W - b + torch.atanh(s), pts, "wrong grad", strict=False)
    assert not r.passed


def test_energy_batched_matches_loop(gen):
    W, b = sym_net(gen, batch=5)
    x = 0.5 * torch.rand(5, 6, generator=gen, dtype=F64)
    batched = att.energy(x, W, b)
    looped = torch.stack([att.energy(x[k], W[k], b[k]) for k in range(5)])
    check_close(batched, looped, "batched energy")


def test_energy_validation(gen):
    W, b = sym_net(gen)
    x = torch.zeros(6, dtype=F64)
    with pytest.raises(ValueError, match=r"^W: "):
        att.energy(x, W + torch.triu(torch.ones_like(W), 1), b)
    with pytest.raises(ValueError, match=r"^x: "):
        att.energy(torch.zeros(5, dtype=F64), W, b)
    with pytest.raises(ValueError, match=r"^b: "):
        att.energy(x, W, torch.zeros(4, dtype=F64))
    with pytest.raises(ValueError, match=r"^W: "):
        att.energy(x, torch.zeros(6, 5, dtype=F64), b)


def test_fixed_points_are_stationary(gen):
    W, b = sym_net(gen, batch=8)
    x = torch.zeros(8, 6, dtype=F64)
    for _ in range(100):
        x = att.asynchronous_sweep(x, W, b)
    check_close(att.energy_gradient(x, W, b), torch.zeros_like(x), "stationary", atol=1e-9)


# --------------------------------------------------------------------------- #
# chapter 2: schedules
# --------------------------------------------------------------------------- #
def test_async_energy_identity_and_descent(gen):
    for wjj in (0.0, -1.0, 1.5):
        W, b = sym_net(gen, n=7, batch=16, scale=2.0, self_connection=wjj)
        x = 0.9 * (2 * torch.rand(16, 7, generator=gen, dtype=F64) - 1)
        for j in range(7):
            new = att.update_units(x, W, b, [j])
            dE = att.energy(new, W, b) - att.energy(x, W, b)
            pred = -0.5 * W[:, j, j] * (new[:, j] - x[:, j]) ** 2 - att.barrier_bregman(x[:, j], new[:, j])
            check_close(dE, pred, "dE identity", atol=1e-12, rtol=1e-9)
            # the bound without the Bregman term (a wrong identity) is rejected whenever the unit moves
            wrong = -0.5 * (1 + W[:, j, j]) * (new[:, j] - x[:, j]) ** 2
            if float((new[:, j] - x[:, j]).abs().max()) > 1e-3:
                assert not check_close(dE, wrong, "wrong identity", atol=1e-12, strict=False).passed
            check_bound(dE, "descent", upper=0.0, atol=1e-12)
            x = new


def test_async_ascent_below_minus_one(gen):
    W, b = sym_net(gen, n=7, batch=32, scale=2.0, self_connection=-3.0)
    x = 0.9 * (2 * torch.rand(32, 7, generator=gen, dtype=F64) - 1)
    with pytest.raises(ValueError, match="W: self-connections must be >= -1"):
        att.asynchronous_sweep(x, W, b)
    _, E = att.asynchronous_sweep(x, W, b, return_energies=True, min_self_connection=None)
    assert not check_bound(E[1:] - E[:-1], "descent", upper=0.0, atol=1e-12, strict=False).passed


def test_two_step_lyapunov_decreases_and_needs_symmetry(gen):
    W, b = sym_net(gen, n=6, batch=32, scale=3.0, self_connection=-2.0)
    traj = att.parallel_run(2 * torch.rand(32, 6, generator=gen, dtype=F64) - 1, W, b, 60)
    L = att.two_step_lyapunov(traj[:-1], traj[1:], W, b)
    bound = -0.5 * ((traj[2:] - traj[:-2]) ** 2).sum(-1)
    check_bound(L[1:] - L[:-1] - bound, "Lyapunov", upper=0.0, atol=1e-11)
    with pytest.raises(ValueError, match=r"^W: "):
        att.two_step_lyapunov(traj[0], traj[1], W + torch.triu(torch.ones(6, 6, dtype=F64), 1), b)
    # the plain energy is NOT monotone under parallel updates for these nets
    E = att.energy(traj, W, b)
    assert not check_bound(E[1:] - E[:-1], "energy monotone", upper=0.0, atol=1e-12, strict=False).passed


def test_classify_limit_two_cycle_and_fixed():
    W = torch.tensor([[0.0, -3.0], [-3.0, 0.0]], dtype=F64)
    c = torch.tensor(0.9, dtype=F64)
    for _ in range(100):
        c = torch.tanh(3 * c)
    traj = att.parallel_run(torch.stack([c, c]).unsqueeze(0), W, None, 10)
    cls = att.classify_limit(traj, tol=1e-10)
    assert bool(cls["two_cycle"][0]) and not bool(cls["fixed"][0])
    traj = att.parallel_run(torch.tensor([[0.9, 0.8]], dtype=F64), W / 6, None, 200)
    assert bool(att.classify_limit(traj, tol=1e-10)["fixed"][0])
    with pytest.raises(ValueError, match=r"^traj: "):
        att.classify_limit(traj[:2])


def test_parallel_equals_interleaved_even_odd(gen):
    sizes = [4, 3, 3, 2]
    W = att.bipartite_weights(8, sizes, scale=2.5, generator=gen, device=DEV)
    b = 0.3 * torch.randn(8, 12, generator=gen, dtype=F64)
    x0 = 2 * torch.rand(8, 12, generator=gen, dtype=F64) - 1
    odd, even = att.layered_schedule(sizes, "even_odd")
    xe, E = att.groupwise_run(x0, W, b, [odd, even], 5)
    traj = att.parallel_run(x0, W, b, 10)
    inter = traj[10].clone()
    inter[:, odd] = traj[9][:, odd]
    check_close(xe, inter, "interleaving", atol=1e-13)
    check_bound(E[1:] - E[:-1], "even/odd descent", upper=0.0, atol=1e-12)
    # the wrong interleaving (odd part from the same time step) is rejected
    assert not check_close(xe, traj[10], "wrong interleaving", atol=1e-13, strict=False).passed


def test_clamping_keeps_values(gen):
    sizes = [4, 3]
    W = att.bipartite_weights(4, sizes, scale=2.0, generator=gen, device=DEV)
    clamp = torch.tensor([True, True, False, False, False, False, False])
    x0 = 2 * torch.rand(4, 7, generator=gen, dtype=F64) - 1
    x, _ = att.groupwise_run(x0, W, None, att.layered_schedule(sizes), 10, clamp=clamp)
    check_close(x[:, clamp], x0[:, clamp], "clamped", atol=0.0)
    assert not check_close(x[:, ~clamp], x0[:, ~clamp], "free units moved", atol=1e-6, strict=False).passed


def test_schedule_validation(gen):
    W, b = sym_net(gen, n=5, batch=2)
    with pytest.raises(ValueError, match=r"^W: "):
        att.groupwise_run(torch.zeros(2, 5, dtype=F64), W, b, [[0, 1, 2, 3, 4]], 1)
    with pytest.raises(ValueError, match=r"^kind: "):
        att.layered_schedule([2, 2], "zigzag")
    with pytest.raises(ValueError, match=r"^layer_sizes: "):
        att.layer_groups([2, 0])
    with pytest.raises(ValueError, match=r"^clamp: "):
        att.update_units(torch.zeros(2, 5, dtype=F64), W, b, [0], clamp=torch.zeros(4, dtype=torch.bool))
    Wneg = att.random_symmetric_weights(1, 4, self_connection=-0.5, device=DEV)
    with pytest.raises(ValueError, match="W.*negative self-connection"):
        att.require_self_connections(Wneg, "W")
    att.require_self_connections(Wneg, "W", lower=-1.0)
    with pytest.raises(ValueError, match=r"^W: "):
        att.require_no_within_group_weights(W, [[0, 1]])


# --------------------------------------------------------------------------- #
# chapter 3: stationary gradient
# --------------------------------------------------------------------------- #
@pytest.fixture
def dense():
    from rnnmath.errata.note_002 import dense_training_setup

    return dense_training_setup()


def test_stationary_gradient_matches_bptt_and_implicit(dense):
    s = dense
    G, gb = att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], clamp=s["clamp"])
    dW, db, _ = att.bptt_gradient(s["x0"], s["W"], s["b"], s["y"], s["M"], 400, clamp=s["clamp"])
    check_close(G, dW, "Eq. 14", rtol=1e-8, atol=1e-10)
    check_close(gb, db, "Eq. 15", rtol=1e-8, atol=1e-10)
    # the printed form without the factor 2 is rejected
    G1, gb1 = att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], clamp=s["clamp"], factor=1.0)
    assert not check_close(G1, dW, "printed", rtol=1e-8, atol=1e-10, strict=False).passed
    Gs, _ = att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], clamp=s["clamp"], method="series")
    check_close(Gs, G, "series", atol=1e-11)
    clamp, y = s["clamp"], s["y"]
    step = lambda x, Wp, bp: torch.where(clamp, y, torch.tanh(x @ Wp + bp))
    (gW, gB), _ = att.implicit_vjp(step, s["x_star"], 2 * (s["x_star"] - y) * s["M"], [s["W"], s["b"]])
    check_close(gW, G, "implicit", atol=1e-10)
    # a step that copies clamped units from x has a unit eigenvalue and is refused
    bad_step = lambda x, Wp, bp: torch.where(clamp, x, torch.tanh(x @ Wp + bp))
    with pytest.raises(ValueError, match=r"^step: "):
        att.implicit_vjp(bad_step, s["x_star"], 2 * (s["x_star"] - y) * s["M"], [s["W"], s["b"]], max_iter=300)


def test_delta_recursion_index(dense):
    from rnnmath.errata.note_002 import _recursion_check

    printed, corrected = _recursion_check()
    assert corrected.passed and not printed.passed


def test_omega_series_and_spectral_radius(gen):
    A = 0.3 * torch.randn(2, 5, 5, generator=gen, dtype=F64)
    Om = att.omega_series(A, 200)
    eye = torch.eye(5, dtype=F64)
    check_close(Om[-1], torch.linalg.inv(eye - A), "Omega_inf", atol=1e-12)
    check_close(Om[2], eye + A + A @ A, "Omega_3")
    assert not check_close(Om[2], eye + A, "wrong Omega_3", strict=False).passed
    with pytest.raises(ValueError, match=r"^A: "):
        att.omega_series(torch.zeros(3, 4, dtype=F64), 3)
    with pytest.raises(ValueError, match=r"^terms: "):
        att.omega_series(A, 0)


def test_stationary_gradient_beyond_radius_one():
    n = 5
    W = -0.6 * (torch.ones(n, n, dtype=F64) - torch.eye(n, dtype=F64))
    b = 0.1 * torch.arange(n, dtype=F64) / n
    x = torch.zeros(1, n, dtype=F64)
    for _ in range(300):
        x = att.asynchronous_sweep(x, W, b)
    assert float(att.jacobian_spectral_radius(W, x)[0]) > 1
    y, M = torch.full((1, n), 0.5, dtype=F64), torch.ones(n, dtype=F64)
    with pytest.raises(ValueError, match=r"^W: "):
        att.stationary_gradient(x, y, W, M, method="series")
    G, _ = att.stationary_gradient(x, y, W, M)
    dW, _, _ = att.bptt_gradient(torch.zeros(1, n, dtype=F64), W, b, y, M, 200, schedule=[[j] for j in range(n)])
    check_close(dW, G, "async BPTT = closed form", rtol=1e-8, atol=1e-10)
    xs = att.newton_fixed_point(x, W, b)
    check_close(xs, x, "Newton stays at the fixed point", atol=1e-12)


def test_stationary_gradient_validation(dense):
    s = dense
    with pytest.raises(ValueError, match=r"^x_star: "):
        att.stationary_gradient(s["x_star"][:, :4], s["y"], s["W"], s["M"])
    with pytest.raises(ValueError, match=r"^M: "):
        att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"][:4])
    with pytest.raises(ValueError, match=r"^method: "):
        att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], method="magic")
    with pytest.raises(ValueError, match=r"^method: "):
        att.train_pattern_completion(torch.zeros(2, 4, dtype=F64), torch.zeros(4, dtype=torch.bool), 3, method="x")


def test_training_methods_agree():
    g = torch.Generator().manual_seed(0)
    pats = 0.9 * torch.sign(torch.randn(3, 8, generator=g, dtype=F64))
    clamp = torch.zeros(8, dtype=torch.bool)
    clamp[:4] = True
    a = att.train_pattern_completion(pats, clamp, 6, method="stationary", steps=10, seed=2)
    b = att.train_pattern_completion(pats, clamp, 6, method="bptt", steps=10, sweeps=40, seed=2)
    check_close(torch.tensor(a["loss"]), torch.tensor(b["loss"]), "same curve", rtol=1e-4, atol=1e-8)
    assert a["loss"][-1] < a["loss"][0]


# --------------------------------------------------------------------------- #
# chapter 4: convolutional symmetry
# --------------------------------------------------------------------------- #
def test_note_example_reproduced():
    W = att.symmetrize_kernel(torch.tensor(att.NOTE_W0))
    check_close(W, torch.tensor(att.NOTE_W_PRINTED), "printed example", atol=1e-8, rtol=0.0)
    # the unsymmetrised W0 is not the printed W
    assert not check_close(torch.tensor(att.NOTE_W0), torch.tensor(att.NOTE_W_PRINTED), "W0", atol=1e-8,
                           strict=False).passed
    Wf = att.nonnegative_self_connections(W)
    assert float(Wf[1, 1, 1, 1]) > 0 and float(W[1, 1, 1, 1]) < 0
    att.require_symmetric_kernel(Wf, nonnegative_self=True)
    att.require_symmetric_kernel(W)  # symmetric ...
    with pytest.raises(ValueError, match="w: self-connections.*negative self-connection"):
        att.require_symmetric_kernel(W, "w", nonnegative_self=True)  # ... but W[1,1,1,1] < 0


def test_case1_dense_operator_symmetric(gen):
    w0 = torch.randn(2, 2, 3, 3, generator=gen, dtype=F64)
    w = att.symmetrize_kernel(w0)
    for mode in ("zeros", "circular"):
        D = att.dense_operator(w, 5, 4, padding_mode=mode)
        check_close(D, D.T, mode, atol=1e-14)
    for mode in ("reflect", "replicate"):
        D = att.dense_operator(w, 5, 4, padding_mode=mode)
        assert not check_close(D, D.T, mode, atol=1e-10, strict=False).passed
    D0 = att.dense_operator(w0, 5, 4)
    assert not check_close(D0, D0.T, "unsymmetrised", atol=1e-10, strict=False).passed


def test_case2_adjoint(gen):
    w_up = torch.randn(2, 3, 5, 5, generator=gen, dtype=F64)
    U = att.dense_operator(w_up, 6, 7)
    check_close(att.dense_operator(att.down_kernel(w_up), 6, 7), U.T, "adjoint", atol=1e-14)
    bad = att.dense_operator(w_up.transpose(0, 1).contiguous(), 6, 7)
    assert not check_close(bad, U.T, "no flip", atol=1e-10, strict=False).passed
    x = torch.randn(3, 2, 6, 7, generator=gen, dtype=F64)
    y = torch.randn(3, 3, 6, 7, generator=gen, dtype=F64)
    check_close((att.conv_apply(x, w_up) * y).sum(), (x * att.conv_apply(y, att.down_kernel(w_up))).sum(), "inner", rtol=1e-12)


def test_conv_energy_matches_dense_and_descends(gen):
    w = 0.3 * torch.randn(1, 2, 3, 3, generator=gen, dtype=F64)
    bv, bh = torch.tensor([0.1], dtype=F64), torch.tensor([0.2, -0.1], dtype=F64)
    v = 0.8 * torch.tanh(torch.randn(2, 1, 4, 4, generator=gen, dtype=F64))
    h = 0.8 * torch.tanh(torch.randn(2, 2, 4, 4, generator=gen, dtype=F64))
    U = att.dense_operator(w, 4, 4)
    Wf = torch.zeros(48, 48, dtype=F64)
    Wf[:16, 16:], Wf[16:, :16] = U, U.T
    bf = torch.cat([bv.repeat(16), bh.repeat_interleave(16)])
    check_close(att.conv_energy(v, h, w, bv, bh), att.energy(torch.cat([v.flatten(1), h.flatten(1)], 1), Wf, bf), "E")
    clamp = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    clamp[..., :2] = True
    v2, h2, n, E = att.conv_settle(v, h, w, bv, bh, clamp=clamp, return_energies=True)
    check_bound(E[1:] - E[:-1], "descent", upper=0.0, atol=1e-12)
    check_close(v2[clamp], v[clamp], "clamped", atol=0.0)


def test_conv_stationary_gradient_vs_bptt(gen):
    imgs = att.stripe_images(3, 6, generator=gen, device=DEV)
    clamp = (torch.rand(1, 1, 6, 6, generator=gen) < 0.5).expand(3, 1, 6, 6)
    mask = (~clamp).to(F64)
    w = (0.05 * torch.randn(1, 2, 3, 3, generator=gen, dtype=F64)).requires_grad_(True)
    bv = torch.zeros(1, dtype=F64, requires_grad=True)
    bh = torch.zeros(2, dtype=F64, requires_grad=True)
    v0 = torch.where(clamp, imgs, torch.zeros_like(imgs))
    h0 = torch.zeros(3, 2, 6, 6, dtype=F64)
    with torch.no_grad():
        v, h, n = att.conv_settle(v0, h0, w, bv, bh, clamp=clamp)
    (gw, gbv, gbh), _ = att.conv_stationary_gradient(v, h, imgs, mask, w.detach(), bv.detach(), bh.detach(), clamp=clamp)
    vb, hb = v0, h0
    for _ in range(n + 100):
        vb, hb = att.conv_layerwise_sweep(vb, hb, w, bv, bh, clamp=clamp)
    ref = torch.autograd.grad((((vb - imgs) * mask) ** 2).sum(), (w, bv, bh))
    check_close(gw, ref[0], "kernel grad", rtol=1e-7, atol=1e-10)
    check_close(torch.cat([gbv, gbh]), torch.cat(ref[1:]), "bias grad", rtol=1e-7, atol=1e-10)
    assert not check_close(0.5 * gw, ref[0], "half", rtol=1e-7, atol=1e-10, strict=False).passed


def test_kernel_validation(gen):
    with pytest.raises(ValueError, match=r"^w: "):
        att.require_kernel(torch.zeros(2, 2, 3), "w")
    with pytest.raises(ValueError, match=r"^w: "):
        att.require_kernel(torch.zeros(2, 2, 4, 4), "w")
    with pytest.raises(ValueError, match=r"^W0: "):
        att.symmetrize_kernel(torch.zeros(2, 3, 3, 3))
    with pytest.raises(ValueError, match=r"^w: "):
        att.require_symmetric_kernel(torch.randn(2, 2, 3, 3, generator=gen, dtype=F64), "w")
    with pytest.raises(ValueError, match=r"^x: "):
        att.conv_apply(torch.zeros(1, 3, 4, 4, dtype=F64), torch.zeros(2, 2, 3, 3, dtype=F64))
    with pytest.raises(ValueError, match=r"^padding_mode: "):
        att.conv_apply(torch.zeros(1, 2, 4, 4, dtype=F64), torch.zeros(2, 2, 3, 3, dtype=F64), padding_mode="wrap")
    with pytest.raises(ValueError, match=r"^clamp_values: "):
        att.conv_parallel_map(torch.zeros(1, 32, dtype=F64), torch.zeros(1, 1, 3, 3, dtype=F64), torch.zeros(1, dtype=F64),
                              torch.zeros(1, dtype=F64), shapes=((1, 4, 4), (1, 4, 4)), clamp=torch.ones(1, 1, 4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"^size: "):
        att.stripe_images(2, 1, device=DEV)
    with pytest.raises(ValueError, match=r"^size: "):
        att.bar_images(2, 1, device=DEV)


def test_synthetic_images():
    g = torch.Generator().manual_seed(0)
    s = att.stripe_images(5, 8, generator=g, device=DEV)
    assert s.shape == (5, 1, 8, 8) and set(s.unique().tolist()) <= {-0.9, 0.9}
    bars = att.bar_images(6, 5, generator=g, device=DEV)
    on = (bars > 0).flatten(1).sum(1)
    assert torch.all(on == 5)  # exactly one full row or column per image


# --------------------------------------------------------------------------- #
# referee revision: independent gradient routes, tied/masked gradients, per-step training comparison
# --------------------------------------------------------------------------- #
def test_hessian_gradient_is_an_independent_route(dense):
    s = dense
    G, gb = att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], clamp=s["clamp"])
    H, hb = att.hessian_gradient(s["x_star"], s["y"], s["W"], s["b"], s["M"], clamp=s["clamp"])
    check_close(H, G, "energy-Hessian CG = Eq. 14", rtol=1e-9, atol=1e-11)
    check_close(hb, gb, "energy-Hessian CG = Eq. 15", rtol=1e-9, atol=1e-11)
    G1, _ = att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], clamp=s["clamp"], factor=1.0)
    assert not check_close(H, G1, "printed factor", rtol=1e-6, strict=False).passed
    with pytest.raises(ValueError, match=r"^x_star: the energy Hessian is not positive definite"):
        att.hessian_gradient(torch.zeros(1, 2, dtype=F64), torch.full((1, 2), 0.5, dtype=F64),
                             torch.tensor([[0.0, 2.0], [2.0, 0.0]], dtype=F64), torch.zeros(2, dtype=F64),
                             torch.ones(2, dtype=F64))


def test_masked_tied_bptt_gradient(dense):
    s = dense
    n = s["W"].shape[0]
    mask = 1.0 - torch.eye(n, dtype=F64)
    dS, _, _ = att.bptt_gradient(s["x0"], s["W"], s["b"], s["y"], s["M"], 400, clamp=s["clamp"], tie=True, mask=mask)
    G, _ = att.stationary_gradient(s["x_star"], s["y"], s["W"], s["M"], clamp=s["clamp"])
    check_close(dS, mask * (G + G.T) / 2, "masked tied gradient", rtol=1e-8, atol=1e-10)
    assert float(((G + G.T) / 2).diagonal().abs().max()) > 1.0  # symmetrising alone leaves a diagonal
    with pytest.raises(ValueError, match=r"^mask: "):
        att.bptt_gradient(s["x0"], s["W"], s["b"], s["y"], s["M"], 3, mask=torch.full((n, n), 0.5, dtype=F64))


def test_training_gradients_compared_at_every_step():
    g = torch.Generator().manual_seed(5)
    pats = 0.9 * torch.sign(torch.randn(3, 8, generator=g, dtype=F64))
    clamp = torch.zeros(8, dtype=torch.bool)
    clamp[:4] = True
    kw = dict(steps=6, optimizer="sgd", lr=0.02, seed=1, compare_bptt=30)
    r = att.train_pattern_completion(pats, clamp, 6, **kw)
    rel = (r["grads"] - r["grads_bptt"]).norm(dim=1) / r["grads_bptt"].norm(dim=1)
    assert float(rel.max()) < 1e-6
    r1 = att.train_pattern_completion(pats, clamp, 6, factor=1.0, **kw)
    rel1 = (r1["grads"] - r1["grads_bptt"]).norm(dim=1) / r1["grads_bptt"].norm(dim=1)
    assert torch.allclose(rel1, torch.full_like(rel1, 0.5), atol=1e-6)


def test_integer_states_do_not_truncate_weights():
    g = torch.Generator().manual_seed(2)
    W, b = sym_net(g, n=4)
    x = torch.tensor([[1, -1, 1, -1]])
    check_close(att.energy(x, W, b), att.energy(x.double(), W, b), "int state energy", atol=1e-12)
    check_close(att.parallel_run(x, W, b, 2)[-1], att.parallel_run(x.double(), W, b, 2)[-1], "int parallel run", atol=1e-12)
    check_close(att.two_step_lyapunov(x, x, W, b), att.two_step_lyapunov(x.double(), x.double(), W, b), "int L",
                atol=1e-12)


def test_local_minimum_record_and_bipartite_theorem():
    from rnnmath.errata import note_002, records

    rec = [r for r in records(note_002.NOTE) if r.equation == "claim:local-minimum"][0]
    assert rec.run().confirmed
    lay = note_002.schedule_comparison(nets=60)
    rho = att.jacobian_spectral_radius(lay["W"], lay["x_layer"], clamp=lay["clamp"])
    free = ~lay["clamp"]
    H = -lay["W"][:, free][:, :, free] + torch.diag_embed(1 / (1 - lay["x_layer"][:, free] ** 2))
    pd = torch.linalg.eigvalsh(H)[:, 0] > 0
    assert bool(pd.any()) and bool((rho[pd] < 1).all())  # strict minima of a bipartite net: the series converges
