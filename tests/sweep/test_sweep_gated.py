"""Bad-input sweep of rnnmath.gated (Part IV): every public name refuses bad input or answers correctly."""
import math

import numpy as np
import pytest
import torch

from rnnmath import gated as G
from sweep._sweep import Case, run_case

DT = torch.float64
N, B = 3, 2


def _net(n=N, batch=B, g=2.5, az=1.5, ar=2.0, seed=0, dtype=None):
    return G.random_gated_network(n, g, az, ar, batch=batch, seed=seed, device="cpu", dtype=dtype)


NET = _net()
X = torch.randn(B, 3 * N, dtype=DT, generator=torch.Generator().manual_seed(1))
H = X[:, :N].clone()
NET32 = _net(dtype=torch.float32)
NET32_AS64 = G.GatedNetwork(*(t.double() for t in (NET32.J_h, NET32.J_z, NET32.J_r, NET32.g_h, NET32.alpha_z,
                                                   NET32.alpha_r)))
NAN_X = X.clone()
NAN_X[0, 0] = math.nan


def _with(**kw):
    """NET with one field replaced, bypassing nothing (GatedNetwork validates in __post_init__)."""
    fields = dict(J_h=NET.J_h, J_z=NET.J_z, J_r=NET.J_r, g_h=NET.g_h, alpha_z=NET.alpha_z, alpha_r=NET.alpha_r)
    fields.update(kw)
    return G.GatedNetwork(**fields)


def _nanJ():
    J = NET.J_h.clone()
    J[0, 0, 0] = math.nan
    return J


def _close(a, b, tol=1e-10):
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=tol))


def _field_by_hand(x, net):
    """The equations of motion written out per network in numpy (independent of the torch code)."""
    out = []
    for b in range(net.batch):
        h, z, r = (x[b, k * net.n:(k + 1) * net.n].numpy() for k in range(3))
        Jh, Jz, Jr = (M[b].numpy() for M in (net.J_h, net.J_z, net.J_r))
        s = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
        g, az, ar = float(net.g_h[b]), float(net.alpha_z[b]), float(net.alpha_r[b])
        out.append(np.concatenate([s(z) * (-h + g * Jh @ (np.tanh(h) * s(r))), -z + az * Jz @ np.tanh(h),
                                   -r + ar * Jr @ np.tanh(h)]))
    return np.array(out)


def _residual_by_hand(h, net):
    out = []
    for b in range(net.batch):
        ph = np.tanh(h[b].numpy())
        r = float(net.alpha_r[b]) * net.J_r[b].numpy() @ ph
        out.append(-h[b].numpy() + float(net.g_h[b]) * net.J_h[b].numpy() @ (ph / (1 + np.exp(-r))))
    return np.array(out)


CASES = [
    # ---- GatedNetwork -------------------------------------------------------------------------
    Case("GatedNetwork", lambda: _with(J_h=_nanJ()), ValueError, "J_h: must be finite", why="NaN coupling"),
    Case("GatedNetwork", lambda: _with(J_z=NET.J_z[:, :2]), ValueError, "J_z: must have shape", why="J_z shape"),
    Case("GatedNetwork", lambda: _with(J_h=NET.J_h[0]), ValueError, "J_h: must have 3", why="unbatched J_h"),
    Case("GatedNetwork", lambda: _with(J_h=NET.J_h[:, :, :2]), ValueError, "J_h: must have shape", why="non-square"),
    Case("GatedNetwork", lambda: _with(J_h=NET.J_h.numpy()), TypeError, "J_h: must be a torch", why="numpy J_h"),
    Case("GatedNetwork", lambda: _with(J_h=NET.J_h.to(torch.int64)), TypeError, "J_h: must be a real floating",
         why="integer J_h"),
    Case("GatedNetwork", lambda: _with(J_r=NET.J_r.to(torch.float32)), TypeError, "J_r: must have the dtype",
         why="mixed dtypes"),
    Case("GatedNetwork", lambda: _with(J_h=NET.J_h.to(torch.complex128)), TypeError, "J_h: must be a real floating",
         why="complex J_h"),
    Case("GatedNetwork", lambda: _with(g_h=torch.tensor([math.nan, 1.0], dtype=DT)), ValueError, "g_h: must be finite",
         why="NaN gain"),
    Case("GatedNetwork", lambda: _with(alpha_r=torch.tensor([1.0], dtype=DT)), ValueError, "alpha_r: must have shape",
         why="gain length"),
    Case("GatedNetwork", lambda: _with(J_h=NET.J_h[:0], J_z=NET.J_z[:0], J_r=NET.J_r[:0], g_h=NET.g_h[:0],
                                       alpha_z=NET.alpha_z[:0], alpha_r=NET.alpha_r[:0]),
         ValueError, "J_h: must hold at least one", why="empty batch"),
    Case("GatedNetwork", lambda: _with(g_h=torch.ones(B, dtype=DT, device="meta")), ValueError,
         "g_h: must be on the device of J_h", why="gain on another device"),
    Case("GatedNetwork", lambda: NET.with_gains(g_h=math.nan), ValueError, "g_h: must be finite",
         why="with_gains NaN"),
    Case("GatedNetwork", lambda: NET.with_gains(alpha_z=[1.0, 2.0, 3.0]), ValueError, "alpha_z: ",
         why="with_gains wrong length"),
    Case("GatedNetwork", lambda: NET.with_gains(g_h=4.0), None,
         ok=lambda n: bool((n.g_h == 4.0).all()) and n.J_h is NET.J_h, why="with_gains scalar"),
    # ---- random_gated_network -----------------------------------------------------------------
    Case("random_gated_network", lambda: G.random_gated_network(0, 1.0, 1.0, 1.0), ValueError, "n: must be",
         why="n = 0"),
    Case("random_gated_network", lambda: G.random_gated_network(3.5, 1.0, 1.0, 1.0), ValueError, "n: must be",
         why="float n"),
    Case("random_gated_network", lambda: G.random_gated_network(True, 1.0, 1.0, 1.0), ValueError, "n: must be",
         why="bool n"),
    Case("random_gated_network", lambda: G.random_gated_network(3, math.nan, 1.0, 1.0, device="cpu"), ValueError,
         "g_h: must be finite", why="NaN g_h"),
    Case("random_gated_network", lambda: G.random_gated_network(3, 1.0, math.inf, 1.0, device="cpu"), ValueError,
         "alpha_z: must be finite", why="inf alpha_z"),
    Case("random_gated_network", lambda: G.random_gated_network(3, [1.0, 2.0], [1.0, 2.0, 3.0], 1.0), ValueError,
         "g_h/alpha_z/alpha_r: ", why="gain lengths"),
    Case("random_gated_network", lambda: G.random_gated_network(3, 1.0, 1.0, 1.0, batch=0), ValueError,
         "batch: must be", why="batch 0"),
    Case("random_gated_network", lambda: G.random_gated_network(3, 1.0, 1.0, 1.0, batch=2.5), ValueError,
         "batch: must be", why="float batch"),
    Case("random_gated_network", lambda: G.random_gated_network(3, [1.0, 2.0], 1.0, 1.0, batch=3), ValueError,
         "batch: ", why="batch vs gains"),
    Case("random_gated_network", lambda: G.random_gated_network(3, 1.0, 1.0, 1.0, dtype=torch.int64), TypeError,
         "dtype: must be a real floating", why="int dtype"),
    Case("random_gated_network", lambda: G.random_gated_network(3, 1.0 + 1j, 1.0, 1.0), TypeError, "g_h: must be real",
         why="complex gain"),
    Case("random_gated_network", lambda: G.random_gated_network(400, [1.0, 2.0], np.array([1.0, 1.0]),
                                                                torch.tensor([0.5, 0.5]), seed=3, device="cpu"),
         None, ok=lambda n: n.batch == 2 and abs(float(n.J_h.var() * 400) - 1) < 0.02
         and n.J_h.dtype == DT and _close(n.g_h, [1.0, 2.0]), why="list numpy torch gains, N Var J = 1"),
    # ---- split_state --------------------------------------------------------------------------
    Case("split_state", lambda: G.split_state(X, 4), ValueError, "x: last dimension", why="wrong N"),
    Case("split_state", lambda: G.split_state(X[:, :0], 0), ValueError, "n: must be a positive", why="n = 0"),
    Case("split_state", lambda: G.split_state(X.numpy(), N), None,
         ok=lambda t: _close(t[2], X[:, 2 * N:].numpy()), why="numpy state"),
    # ---- gated_vector_field -------------------------------------------------------------------
    Case("gated_vector_field", lambda: G.gated_vector_field(X[:, :7], NET), ValueError, "x: must have shape",
         why="wrong width"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X[0], NET), ValueError, "x: must have shape",
         why="1-D state"),
    Case("gated_vector_field", lambda: G.gated_vector_field(NAN_X, NET), ValueError, "x: must be finite",
         why="NaN state"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X.to(torch.float32), NET), TypeError,
         "x: must have the dtype", why="float32 state, float64 net"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X.to("meta"), NET), ValueError,
         "x: must be on the network's device", why="state on another device"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X.numpy(), NET), TypeError, "x: must be a torch",
         why="numpy state"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X, "net"), TypeError, "net: must be a GatedNetwork",
         why="not a network"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X, NET), None,
         ok=lambda F: _close(F, _field_by_hand(X, NET), 1e-12), why="value vs numpy by hand"),
    Case("gated_vector_field", lambda: G.gated_vector_field(X.float(), NET32), None,
         ok=lambda F: F.dtype == torch.float32 and _close(F, _field_by_hand(X.float().double(), NET32_AS64), 1e-5),
         why="float32 path vs float64 by hand"),
    # ---- gated_jacobian -----------------------------------------------------------------------
    Case("gated_jacobian", lambda: G.gated_jacobian(NAN_X, NET), ValueError, "x: must be finite", why="NaN state"),
    Case("gated_jacobian", lambda: G.gated_jacobian(X[:1], NET), ValueError, "x: must have shape", why="batch"),
    Case("gated_jacobian", lambda: G.gated_jacobian(X, NET), None,
         ok=lambda D: _close(D, torch.stack([torch.autograd.functional.jacobian(
             lambda v: G.gated_vector_field(v[None], G.GatedNetwork(*(t[b:b + 1] for t in (
                 NET.J_h, NET.J_z, NET.J_r, NET.g_h, NET.alpha_z, NET.alpha_r))))[0], X[b]) for b in range(B)]),
             1e-12), why="vs autograd"),
    # ---- gated_tangent ------------------------------------------------------------------------
    Case("gated_tangent", lambda: G.gated_tangent(X, torch.zeros(B, 3 * N - 1, 2, dtype=DT), NET), ValueError,
         "V: must have shape", why="V rows"),
    Case("gated_tangent", lambda: G.gated_tangent(X, torch.zeros(B, 3 * N, dtype=DT), NET), ValueError,
         "V: must have shape", why="V rank"),
    Case("gated_tangent", lambda: G.gated_tangent(X, torch.full((B, 3 * N, 2), math.nan, dtype=DT), NET),
         ValueError, "V: must be finite", why="NaN V"),
    Case("gated_tangent", lambda: G.gated_tangent(X, torch.zeros(B, 3 * N, 0, dtype=DT), NET), ValueError,
         "V: must have at least one", why="k = 0"),
    Case("gated_tangent", lambda: G.gated_tangent(X, torch.ones(B, 3 * N, 2, dtype=torch.float32), NET), TypeError,
         "V: must have the dtype", why="V dtype"),
    Case("gated_tangent", lambda: G.gated_tangent(X, torch.eye(3 * N, dtype=DT).expand(B, -1, -1), NET), None,
         ok=lambda T: _close(T, G.gated_jacobian(X, NET), 1e-12), why="D I = D"),
    # ---- symbolic_jacobian_blocks (no input) ----------------------------------------------------
    Case("symbolic_jacobian_blocks", G.symbolic_jacobian_blocks, None,
         ok=lambda bl: [b for b, _, _ in bl] == ["hh", "hz", "hr", "zh", "zz", "zr", "rh", "rz", "rr"]
         and all((d - c).simplify() == 0 for _, d, c in bl), why="sympy vs hand entries"),
    # ---- rk4_step -----------------------------------------------------------------------------
    Case("rk4_step", lambda: G.rk4_step("f", X, 0.1), TypeError, "field: must be callable", why="field"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, math.nan), ValueError, "dt: must be", why="NaN dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, -0.1), ValueError, "dt: must be", why="negative dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, "0.1"), TypeError, "dt: must be a real number",
         why="string dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, True), TypeError, "dt: must be a real number",
         why="bool dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, np.complex128(0.1)), TypeError, "dt: must be a real number",
         why="numpy complex dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, [0.1]), TypeError, "dt: must be a real number",
         why="list dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, X, math.inf), ValueError, "dt: must be finite", why="inf dt"),
    Case("rk4_step", lambda: G.rk4_step(lambda x: -x, torch.ones(1, 1, dtype=DT), 0.1), None,
         ok=lambda y: _close(y, sum((-0.1) ** k / math.factorial(k) for k in range(5)), 1e-15),
         why="Taylor polynomial of exp(-dt)"),
    # ---- integrate ----------------------------------------------------------------------------
    Case("integrate", lambda: G.integrate(lambda x: -x, X, -0.1, 3), ValueError, "dt: must be", why="dt < 0"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X, 0.1, -1), ValueError, "n_steps: must be", why="n < 0"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X, 0.1, 2.0), ValueError, "n_steps: must be", why="float n"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X, 0.1, True), ValueError, "n_steps: must be", why="bool n"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X[0], 0.1, 3), ValueError, "x0: must have 2",
         why="1-D x0"),
    Case("integrate", lambda: G.integrate(lambda x: -x, NAN_X, 0.1, 3), ValueError, "x0: must be finite",
         why="NaN x0"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X, 0.1, 3, record_every=0), ValueError,
         "record_every: must be", why="record_every 0"),
    Case("integrate", lambda: G.integrate(None, X, 0.1, 3), TypeError, "field: must be callable", why="field"),
    Case("integrate", lambda: G.integrate(lambda x: x ** 3, 10 * torch.ones(1, 1, dtype=DT), 1.0, 5), ValueError,
         "field: .*non-finite", why="diverging flow"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X, 0.1, 0), None, ok=lambda y: bool(torch.equal(y, X)),
         why="zero steps returns x0"),
    Case("integrate", lambda: G.integrate(lambda x: -x, X, 0.01, 100), None,
         ok=lambda y: _close(y, X * math.exp(-1.0), 1e-9), why="exp(-t)"),
    # ---- gauss_hermite ------------------------------------------------------------------------
    Case("gauss_hermite", lambda: G.gauss_hermite(1), ValueError, "n: quadrature order", why="n = 1"),
    Case("gauss_hermite", lambda: G.gauss_hermite(2.5), ValueError, "n: quadrature order", why="float n"),
    Case("gauss_hermite", lambda: G.gauss_hermite(True), ValueError, "n: quadrature order", why="bool n"),
    Case("gauss_hermite", lambda: G.gauss_hermite(10), None,
         ok=lambda xw: _close([xw[1].sum(), xw[1] @ xw[0] ** 2, xw[1] @ xw[0] ** 4], [1, 1, 3], 1e-12),
         why="moments 1, 1, 3"),
    # ---- mft_gaussian_moments -----------------------------------------------------------------
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(-1.0, 0.0), ValueError, "C_h: ", why="C_h < 0"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(0.5, -1.0), ValueError, "C_r: ", why="C_r < 0"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(math.nan, 0.0), ValueError, "C_h: must",
         why="NaN C_h"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(0.5, math.inf), ValueError, "C_r: must be finite",
         why="inf C_r"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments([], 0.0), ValueError, "C_h: is empty",
         why="empty"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(1.0 + 0j, 0.0), TypeError, "C_h: must be real",
         why="complex"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments("0.5", 0.0), TypeError, "C_h: must be a real",
         why="string"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(None, 0.0), TypeError, "C_h: must be a real",
         why="None"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments([[1.0], [1.0, 2.0]], 0.0), TypeError,
         "C_h: must be a real number or array", why="ragged list"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments(0.5, 0.5, n_quad=1), ValueError, "n_quad: ",
         why="n_quad"),
    Case("mft_gaussian_moments", lambda: G.mft_gaussian_moments([0.0, 1e-8], torch.tensor([0.0, 0.0])), None,
         ok=lambda m: _close(m[1], [0.25, 0.25], 1e-14) and _close(m[0], [0.0, 1e-8], 1e-15),
         why="list/torch inputs, sigma(0)^2 and tanh ~ h"),
    # ---- mft_residual -------------------------------------------------------------------------
    Case("mft_residual", lambda: G.mft_residual(0.5, math.nan, 1.0), ValueError, "g_h: must be finite",
         why="NaN g_h"),
    Case("mft_residual", lambda: G.mft_residual(0.5, 2.0, math.nan), ValueError, "alpha_r: must be finite",
         why="NaN alpha_r"),
    Case("mft_residual", lambda: G.mft_residual(math.nan, 2.0, 1.0), ValueError, "C_h: must", why="NaN C_h"),
    Case("mft_residual", lambda: G.mft_residual(0.5, -2.0, 1.0), ValueError, "g_h: must be >= 0", why="g_h < 0"),
    Case("mft_residual", lambda: G.mft_residual(np.array([0.5, 1.0]), 2.0, np.zeros(3)), ValueError,
         "C_h/g_h/alpha_r: ", why="shapes do not broadcast"),
    Case("mft_residual", lambda: G.mft_residual(0.3, 2.0, 0.0), None,
         ok=lambda R: _close(R, 4.0 * 0.25 * np.mean(np.tanh(np.sqrt(0.3) * np.random.default_rng(0)
                                                               .standard_normal(400_000)) ** 2) - 0.3, 2e-3),
         why="vs Monte Carlo"),
    # ---- mft_fixed_point_solutions ------------------------------------------------------------
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(math.nan, 1.0), ValueError,
         "g_h: must be finite", why="NaN gain (was: 0 solutions)"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(2.5, [math.nan, 1.0]), ValueError,
         "alpha_r: must be finite", why="NaN alpha_r"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(-2.5, 1.0), ValueError,
         "g_h: must be >= 0", why="negative gain"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions([], 1.0), ValueError, "g_h: is empty",
         why="empty"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions([2.5, 3.0], [1.0, 2.0, 3.0]), ValueError,
         "g_h/alpha_r: ", why="shapes"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(2.5, 1.0, c_max=math.inf), ValueError,
         "c_max: must be finite", why="inf c_max"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(2.5, 1.0, n_grid=1), ValueError,
         "n_grid: must be", why="n_grid"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(2.5, 1.0, tol=math.nan), ValueError,
         "tol: must be", why="NaN tol"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(2.5, 1.0, tol=0.0), ValueError,
         "tol: must be", why="tol = 0"),
    Case("mft_fixed_point_solutions", lambda: G.mft_fixed_point_solutions(torch.tensor([1.5, 2.5]), [0.0, 0.0]), None,
         ok=lambda s: list(s[2]) == [0, 1] and abs(float(G.mft_residual(s[0][1, 0], 2.5, 0.0))) < 1e-9
         and s[0][1, 0] > 0.1, why="torch/list gains; root solves R"),
    # ---- mft_small_variance_series (no input) -------------------------------------------------
    Case("mft_small_variance_series", G.mft_small_variance_series, None,
         ok=lambda s: abs(float(s[0].subs({s[3][0]: 1e-3, s[3][2]: 2.2, s[3][3]: 1.0}))
                          - float(G.mft_residual(1e-3, 2.2, 1.0))) < 1e-6, why="series vs quadrature at small C"),
    # ---- mft_onset_gain -----------------------------------------------------------------------
    Case("mft_onset_gain", lambda: G.mft_onset_gain(math.nan), ValueError, "alpha_r: must be finite",
         why="NaN alpha_r (was NaN = no solution)"),
    Case("mft_onset_gain", lambda: G.mft_onset_gain(1.0, g_grid=[]), ValueError, "g_grid: is empty",
         why="empty grid"),
    Case("mft_onset_gain", lambda: G.mft_onset_gain(1.0, g_grid=[2.5, 1.5]), ValueError,
         "g_grid: must be strictly increasing", why="decreasing grid"),
    Case("mft_onset_gain", lambda: G.mft_onset_gain(1.0, g_grid=[1.5, math.nan]), ValueError,
         "g_grid: must be finite", why="NaN grid"),
    Case("mft_onset_gain", lambda: G.mft_onset_gain([], g_grid=[1.5, 2.5]), ValueError, "alpha_r: is empty",
         why="empty alpha_r"),
    Case("mft_onset_gain", lambda: G.mft_onset_gain([1.0], g_grid=np.linspace(1.9, 2.1, 21)), None,
         ok=lambda g: _close(g, [2.01], 1e-9), why="continuous onset just above g_h = 2 (series: g_h^2/4 - 1 > 0)"),
    # ---- zero_fixed_point_jacobian ------------------------------------------------------------
    Case("zero_fixed_point_jacobian", lambda: G.zero_fixed_point_jacobian(None), TypeError,
         "net: must be a GatedNetwork", why="not a network"),
    Case("zero_fixed_point_jacobian", lambda: G.zero_fixed_point_jacobian(NET), None,
         ok=lambda D: _close(D[:, :N, :N], 0.5 * (-torch.eye(N, dtype=DT) + 0.5 * NET.g_h[:, None, None] * NET.J_h),
                             1e-14) and _close(D[:, :N, N:], 0.0), why="(1/2)(-I + g J/2), decoupled h row"),
    # ---- fixed_point_residual -----------------------------------------------------------------
    Case("fixed_point_residual", lambda: G.fixed_point_residual(H[:, :2], NET), ValueError, "h: must have shape",
         why="shape"),
    Case("fixed_point_residual", lambda: G.fixed_point_residual(NAN_X[:, :N], NET), ValueError, "h: must be finite",
         why="NaN h"),
    Case("fixed_point_residual", lambda: G.fixed_point_residual(H.to(torch.float32), NET), TypeError,
         "h: must have the dtype", why="dtype"),
    Case("fixed_point_residual", lambda: G.fixed_point_residual(H, NET), None,
         ok=lambda R: _close(R, _residual_by_hand(H, NET), 1e-12), why="vs numpy by hand"),
    # ---- fixed_point_residual_jacobian --------------------------------------------------------
    Case("fixed_point_residual_jacobian", lambda: G.fixed_point_residual_jacobian(NAN_X[:, :N], NET), ValueError,
         "h: must be finite", why="NaN h"),
    Case("fixed_point_residual_jacobian", lambda: G.fixed_point_residual_jacobian(H[0], NET), ValueError,
         "h: must have shape", why="rank"),
    Case("fixed_point_residual_jacobian", lambda: G.fixed_point_residual_jacobian(H, NET), None,
         ok=lambda Jg: _close(Jg, torch.autograd.functional.jacobian(lambda v: G.fixed_point_residual(v, NET).sum(0), H)
                             .permute(1, 0, 2), 1e-12), why="vs autograd (networks independent)"),
    # ---- find_fixed_points --------------------------------------------------------------------
    Case("find_fixed_points", lambda: G.find_fixed_points(NET, H[:, :2]), ValueError, "h0: must have shape",
         why="shape"),
    Case("find_fixed_points", lambda: G.find_fixed_points(NET, NAN_X[:, :N]), ValueError, "h0: must be finite",
         why="NaN h0"),
    Case("find_fixed_points", lambda: G.find_fixed_points(NET, H, max_iter=0), ValueError, "max_iter: must be",
         why="max_iter 0"),
    Case("find_fixed_points", lambda: G.find_fixed_points(NET, H, tol=math.nan), ValueError, "tol: must be",
         why="NaN tol"),
    Case("find_fixed_points", lambda: G.find_fixed_points(NET, H, tol=-1.0), ValueError, "tol: must be",
         why="tol < 0"),
    Case("find_fixed_points", lambda: G.find_fixed_points("net", H), TypeError, "net: must be a GatedNetwork",
         why="net"),
    Case("find_fixed_points", lambda: G.find_fixed_points(_net(g=1.2), 0.1 * H), None,
         ok=lambda out: bool((out[1] <= 1e-10).all()) and _close(out[0], 0.0, 1e-9),
         why="g_h < 2: Newton finds the origin (F = 0 at x = 0)"),
    # ---- classify_regions ---------------------------------------------------------------------
    Case("classify_regions", lambda: G.classify_regions([math.nan], [0], [1.5], 0.01, alpha_z=1.0), ValueError,
         "lam_max: must be finite", why="NaN exponent (was region 0)"),
    Case("classify_regions", lambda: G.classify_regions([-0.2], [0], [math.nan], 0.01, alpha_z=1.0), ValueError,
         "g_h: must be finite", why="NaN gain (was region 0)"),
    Case("classify_regions", lambda: G.classify_regions([-0.2], [-1], [1.5], 0.01, alpha_z=1.0), ValueError,
         "mft_count: must be", why="negative count"),
    Case("classify_regions", lambda: G.classify_regions([-0.2], [0.5], [1.5], 0.01, alpha_z=1.0), ValueError,
         "mft_count: must be", why="fractional count"),
    Case("classify_regions", lambda: G.classify_regions([-0.2], [0], [1.5], 0.0, alpha_z=1.0), ValueError, "eps: must be",
         why="eps = 0"),
    Case("classify_regions", lambda: G.classify_regions([-0.2], [0], [1.5], math.nan, alpha_z=1.0), ValueError, "eps: must be",
         why="NaN eps"),
    Case("classify_regions", lambda: G.classify_regions([-0.2, 0.1], [0, 1, 2], [1.5, 1.9], 0.01, alpha_z=1.0), ValueError,
         "lam_max/mft_count/g_h/alpha_z: ", why="shapes"),
    Case("classify_regions", lambda: G.classify_regions([], [], [], 0.01, alpha_z=1.0), ValueError, "lam_max: is empty",
         why="empty"),
    Case("classify_regions", lambda: G.classify_regions(torch.tensor([-0.2, 0.1, 0.1]), np.array([2, 0, 0]),
                                                        [1.9, 1.9, 3.0], 0.01, alpha_z=1.0), None,
         ok=lambda lab: lab.tolist() == [2, 3, 4], why="torch/numpy/list: stable+FPs, stable+chaos, chaos"),
    Case("classify_regions", lambda: G.classify_regions([-0.2], [0], [1.5], 0.01, alpha_z=math.nan), ValueError,
         "alpha_z: must be finite", why="NaN alpha_z"),
    Case("classify_regions", lambda: G.classify_regions([0.0, 0.0], [0, 0], [1.5, 1.5], 0.01, alpha_z=[1.0, 30.0]),
         None, ok=lambda lab: lab.tolist() == [0, 5], why="marginal only with a switch-like gate"),
    # ---- largest_lyapunov_sweep ---------------------------------------------------------------
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(math.nan, 1.0, 0.0, n=3, device="cpu"),
         ValueError, "g_h: must be finite", why="NaN gain"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(1.5, 1.0, 0.0, n=0, device="cpu"), ValueError,
         "n: must be", why="n = 0"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(1.5, 1.0, 0.0, n=3, ensemble=0, device="cpu"),
         ValueError, "ensemble: must be", why="ensemble 0"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(1.5, 1.0, 0.0, n=3, dt=-0.1, device="cpu"),
         ValueError, "dt: must be", why="dt < 0"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(1.5, 1.0, 0.0, n=3, t_avg=0.0, device="cpu"),
         ValueError, "t_avg: must be", why="t_avg 0"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(1.5, 1.0, 0.0, n=3, t_transient=-1.0,
                                                                    device="cpu"),
         ValueError, "t_transient: must be", why="t_transient < 0"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep(1.5, 1.0, 0.0, n=3, init_scale=math.nan,
                                                                    device="cpu"),
         ValueError, "init_scale: must be", why="NaN init_scale"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep([1.5, 2.5], [1.0, 1.0, 1.0], 0.0, n=3,
                                                                    device="cpu"),
         ValueError, "g_h/alpha_z/alpha_r: ", why="shapes"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep([], 1.0, 0.0, n=3, device="cpu"), ValueError,
         "g_h: is empty", why="empty"),
    Case("largest_lyapunov_sweep", lambda: G.largest_lyapunov_sweep([0.4], 1.0, 0.0, n=6, dt=0.2, t_transient=60.0,
                                                                    t_avg=100.0, init_scale=0.5, device="cpu"),
         None, ok=lambda lam: lam.shape == (1, 1) and abs(float(lam[0, 0]) - float(torch.linalg.eigvals(
             G.zero_fixed_point_jacobian(G.random_gated_network(6, 0.4, 1.0, 0.0, seed=0, device="cpu"))[0])
             .real.max())) < 0.02, why="decaying network: lambda_max = abscissa of D(0)"),
]

EXEMPT = {"REGIONS": "a constant dict of region names; takes no input"}

# the adjoint tools are re-exported by rnnmath.gated; their cases live in test_sweep_gated_adjoint.py
REEXPORTED = {"adjoint_gradient", "autograd_gradient", "quadratic_state_loss", "scalar_adjoint_example",
              "gradient_norm_terms", "adjoint_propagation", "autograd_propagation"}


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT) | REEXPORTED
    assert set(G.__all__) <= covered, sorted(set(G.__all__) - covered)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
