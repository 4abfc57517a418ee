"""Bad-input sweep of :mod:`rnnmath.episodic` (Part I, note 000).

Every name of ``episodic.__all__`` either computes a correct value (checked against an
independent numpy/closed-form computation) or refuses its input with a ValueError/TypeError
whose message starts with the argument's name and a colon.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnmath import episodic as ep
from sweep._sweep import Case, run_case

D = torch.float64
CPU = "cpu"
NAN = float("nan")
INF = float("inf")


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def _net(B=None, N_f=6, N_h=3, seed=0, phi="gaussian"):
    Xi, Phi = ep.random_networks(1 if B is None else B, N_f, N_h, phi=phi, generator=_g(seed), device=CPU)
    return (Xi[0], Phi[0]) if B is None else (Xi, Phi)


XI, PHI = _net()
NF, NH = XI.shape
X = 1.5 * torch.randn(NF, generator=_g(1), dtype=D)
H = torch.randn(NH, generator=_g(2), dtype=D)
Y = torch.tanh(torch.randn(NF, generator=_g(3), dtype=D))
S = torch.tanh(X)
W = ep.elman_weight(XI, PHI)
WS = 0.5 * (W + W.T)                                    # symmetric
WPSD = XI @ XI.T                                         # symmetric PSD
NX, NXI, NPHI, NW = X.numpy(), XI.numpy(), PHI.numpy(), W.numpy()


def _nan(t, idx=0):
    t = t.clone()
    t.view(-1)[idx] = NAN
    return t


def _close(a, b, tol=1e-10):
    a = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and np.all(np.isfinite(a)) and np.allclose(a, b, rtol=tol, atol=tol)


# ----- independent numpy references --------------------------------------- #
def _np_logcosh(x):
    return np.log(np.cosh(x))


def _np_energy(x, h, y, Xi, Phi, alpha_s=1.0, alpha_c=1.0):
    s = np.tanh(x)
    return (x @ s - _np_logcosh(x).sum() + 0.5 * h @ h - math.sqrt(alpha_s) * s @ Xi @ h
            - alpha_c * y @ Xi @ Phi @ h)


def _np_feature_energy(x, y, Xi, Phi):
    s = np.tanh(x)
    hv = Xi.T @ s + Phi.T @ Xi.T @ y                   # V_h minimising E (Eq. 25)
    return x @ s - _np_logcosh(x).sum() - 0.5 * hv @ hv


def _np_rhs(x, h, y, Xi, Phi, T=(1.0, 1.0, 1.0)):
    s = np.tanh(x)
    return ((Xi @ h - x) / T[0], (Xi.T @ s + Phi.T @ Xi.T @ y - h) / T[1], (s - y) / T[2])


def _np_dual(s):
    return (s * np.arctanh(s) + 0.5 * np.log(1 - s**2)).sum()


NE = _np_energy(NX, H.numpy(), Y.numpy(), NXI, NPHI)
NFE = _np_feature_energy(NX, Y.numpy(), NXI, NPHI)
X1 = ep.adiabatic_step(X, Y, XI, PHI)

I3 = torch.eye(3, dtype=D)
PATS = ep.hadamard_patterns(8, 3, device=CPU)
SXI, SPHI = ep.sequence_network(PATS, 1.0, 2.0)

C = [
    # ---- elman_weight
    Case("elman_weight", lambda: ep.elman_weight(XI[:, 0], PHI), ValueError, "Xi: must have", why="1-D Xi"),
    Case("elman_weight", lambda: ep.elman_weight(XI, PHI[:2, :2]), ValueError, "Phi: must be N_h x N_h", why="N_h mismatch"),
    Case("elman_weight", lambda: ep.elman_weight(XI, PHI[:2]), ValueError, "Phi: must be a square", why="non-square Phi"),
    Case("elman_weight", lambda: ep.elman_weight(_nan(XI), PHI), ValueError, "Xi: must be finite", why="NaN Xi"),
    Case("elman_weight", lambda: ep.elman_weight(XI, PHI.to(torch.float32)), TypeError, "Phi: .*dtype", why="float32 Phi, float64 Xi"),
    Case("elman_weight", lambda: ep.elman_weight(XI.to(torch.int64), PHI), TypeError, "Xi: must be a float", why="int Xi"),
    Case("elman_weight", lambda: ep.elman_weight(XI.to(torch.complex128), PHI), TypeError, "Xi: must be a float", why="complex Xi"),
    Case("elman_weight", lambda: ep.elman_weight(XI.expand(3, NF, NH), PHI.expand(2, NH, NH)), ValueError,
         "Phi: batch shape", why="batch mismatch"),
    Case("elman_weight", lambda: ep.elman_weight(NXI, NPHI), None,
         ok=lambda r: _close(r, NXI @ (np.eye(NH) + NPHI.T) @ NXI.T), why="numpy input"),
    Case("elman_weight", lambda: ep.elman_weight(torch.zeros(0, NH, dtype=D), PHI), ValueError, "Xi: .*empty", why="empty Xi"),
    # ---- feature_map / rate_map
    Case("feature_map", lambda: ep.feature_map(W[:, :3], X), ValueError, "W: must be a square", why="non-square W"),
    Case("feature_map", lambda: ep.feature_map(W, X[:3]), ValueError, "x: last dimension", why="x too short"),
    Case("feature_map", lambda: ep.feature_map(W, _nan(X)), ValueError, "x: must be finite", why="NaN x"),
    Case("feature_map", lambda: ep.feature_map(W, X, "relu"), ValueError, "sigma: unknown", why="unknown sigma"),
    Case("feature_map", lambda: ep.feature_map(W, X.to(torch.float16)), TypeError, "x: must be a float", why="float16 x"),
    Case("feature_map", lambda: ep.feature_map(W, X.to(torch.float32)), TypeError, "x: dtype torch.float32 differs", why="dtype mix"),
    Case("feature_map", lambda: ep.feature_map(NW, list(NX)), None, ok=lambda r: _close(r, NW @ np.tanh(NX)), why="list/numpy"),
    Case("rate_map", lambda: ep.rate_map(W, X[:3]), ValueError, "x: last dimension", why="x too short"),
    Case("rate_map", lambda: ep.rate_map(_nan(W), X), ValueError, "W: must be finite", why="NaN W"),
    Case("rate_map", lambda: ep.rate_map(W, X.to(torch.int32)), TypeError, "x: must be a float", why="int x"),
    Case("rate_map", lambda: ep.rate_map(W, X, 3), ValueError, "sigma: unknown", why="sigma not a name or callable"),
    Case("rate_map", lambda: ep.rate_map(NW, NX), None, ok=lambda r: _close(r, np.tanh(NW @ NX)), why="numpy"),
    # ---- iterate_map
    Case("iterate_map", lambda: ep.iterate_map(torch.tanh, X, -1), ValueError, "n_steps: must be", why="negative n_steps"),
    Case("iterate_map", lambda: ep.iterate_map(torch.tanh, X, 2.0), ValueError, "n_steps: must be", why="float n_steps"),
    Case("iterate_map", lambda: ep.iterate_map(torch.tanh, X, True), ValueError, "n_steps: must be", why="bool n_steps"),
    Case("iterate_map", lambda: ep.iterate_map("tanh", X, 2), TypeError, "step: must be callable", why="step not callable"),
    Case("iterate_map", lambda: ep.iterate_map(torch.tanh, _nan(X), 2), ValueError, "x0: must be finite", why="NaN x0"),
    Case("iterate_map", lambda: ep.iterate_map(lambda v: v * NAN, X, 2), ValueError, "step: .*non-finite", why="step returns NaN"),
    Case("iterate_map", lambda: ep.iterate_map(torch.tanh, X, 0), None, ok=lambda r: _close(r, NX[None]), why="zero steps"),
    Case("iterate_map", lambda: ep.iterate_map(torch.tanh, X, 2), None, ok=lambda r: _close(r[2], np.tanh(np.tanh(NX))), why="two steps"),
    # ---- activation_derivatives / lagrangian / legendre_dual
    Case("activation_derivatives", lambda: ep.activation_derivatives(X, "relu"), ValueError, "sigma: must be one of", why="unknown"),
    Case("activation_derivatives", lambda: ep.activation_derivatives(_nan(X)), ValueError, "x: must be finite", why="NaN"),
    Case("activation_derivatives", lambda: ep.activation_derivatives(X.to(torch.int64)), TypeError, "x: must be a float", why="int"),
    Case("activation_derivatives", lambda: ep.activation_derivatives(X), None,
         ok=lambda r: _close(r[1], 1 / np.cosh(NX) ** 2) and _close(r[2], -2 * np.tanh(NX) / np.cosh(NX) ** 2), why="tanh closed form"),
    Case("lagrangian", lambda: ep.lagrangian(torch.tensor(1.0, dtype=D)), ValueError, "x: must have at least 1", why="0-d x"),
    Case("lagrangian", lambda: ep.lagrangian(_nan(X)), ValueError, "x: must be finite", why="NaN"),
    Case("lagrangian", lambda: ep.lagrangian(X, "sigmoid"), ValueError, "sigma: must be one of", why="unknown sigma"),
    Case("lagrangian", lambda: ep.lagrangian(torch.tensor([30.0, -40.0], dtype=D)), None,
         ok=lambda r: _close(r, 70 - 2 * math.log(2)), why="saturated, asymptotic value"),
    Case("legendre_dual", lambda: ep.legendre_dual(torch.tensor([0.5, 1.0], dtype=D)), ValueError, "s: must lie", why="|s| = 1"),
    Case("legendre_dual", lambda: ep.legendre_dual(_nan(S)), ValueError, "s: must be finite", why="NaN s"),
    Case("legendre_dual", lambda: ep.legendre_dual(S.to(torch.complex128)), TypeError, "s: must be a float", why="complex s"),
    Case("legendre_dual", lambda: ep.legendre_dual(S), None, ok=lambda r: _close(r, _np_dual(S.numpy())), why="closed form"),
    Case("legendre_dual", lambda: ep.legendre_dual(torch.tensor([3.0], dtype=D), "asinh"), None,
         ok=lambda r: _close(r, math.cosh(3.0) - 1), why="asinh dual unbounded range"),
    # ---- require_psd (re-exported)
    Case("require_psd", lambda: ep.require_psd(W, "W"), ValueError, "W: must be symmetric", why="non-symmetric"),
    Case("require_psd", lambda: ep.require_psd(-WPSD - I3[:1, :1] * 0 - torch.eye(NF, dtype=D), "W"), ValueError,
         "W: must be positive semi-definite", why="negative definite"),
    Case("require_psd", lambda: ep.require_psd(_nan(WPSD), "W"), ValueError, "W: must be finite", why="NaN"),
    Case("require_psd", lambda: ep.require_psd(WPSD, "W"), None, ok=lambda r: r is WPSD, why="PSD accepted"),
    # ---- energy_terms / energy
    Case("energy_terms", lambda: ep.energy_terms(X, H, Y, XI, PHI, alpha_s=-1.0), ValueError, "alpha_s: must be", why="alpha_s < 0"),
    Case("energy_terms", lambda: ep.energy_terms(X, H, Y, XI, PHI, alpha_c=NAN), ValueError, "alpha_c: must", why="NaN alpha_c"),
    Case("energy_terms", lambda: ep.energy_terms(X, H[:2], Y, XI, PHI), ValueError, "h: last dimension", why="h wrong size"),
    Case("energy_terms", lambda: ep.energy_terms(X, H, _nan(Y), XI, PHI), ValueError, "y: must be finite", why="NaN y"),
    Case("energy_terms", lambda: ep.energy_terms(X, H, Y, XI, PHI, sigma_h="relu"), ValueError, "sigma_h: must be one of", why="bad sigma_h"),
    Case("energy_terms", lambda: ep.energy_terms(X, H, Y, XI, PHI), None,
         ok=lambda r: _close(sum(r.values()), NE), why="sum of terms vs numpy"),
    Case("energy", lambda: ep.energy(X, H, Y, XI, PHI, alpha_s=-1.0), ValueError, "alpha_s: must be", why="alpha_s < 0 (was math error)"),
    Case("energy", lambda: ep.energy(X, H, Y, XI, PHI, alpha_s="1"), TypeError, "alpha_s: must be a real", why="string alpha"),
    Case("energy", lambda: ep.energy(X.expand(3, NF), H, Y, *_net(B=2)), ValueError, "x: batch shape", why="batch mismatch"),
    Case("energy", lambda: ep.energy(list(NX), H.numpy(), Y.numpy(), NXI, NPHI, alpha_s=0.49, alpha_c=2.0), None,
         ok=lambda r: _close(r, _np_energy(NX, H.numpy(), Y.numpy(), NXI, NPHI, 0.49, 2.0)), why="numpy inputs vs numpy"),
    # ---- continuous_rhs / energy_rate_terms
    Case("continuous_rhs", lambda: ep.continuous_rhs(X, H, Y, XI, PHI, T_f=0.0), ValueError, "T_f: must be > 0", why="T_f = 0"),
    Case("continuous_rhs", lambda: ep.continuous_rhs(X, H, Y, XI, PHI, T_h=NAN), ValueError, "T_h: must be", why="NaN T_h"),
    Case("continuous_rhs", lambda: ep.continuous_rhs(X, H, Y, XI, PHI, T_d=INF), ValueError, "T_d: must be finite", why="inf T_d"),
    Case("continuous_rhs", lambda: ep.continuous_rhs(X, H, Y[:2], XI, PHI), ValueError, "y: last dimension", why="y wrong size"),
    Case("continuous_rhs", lambda: ep.continuous_rhs(X, H, Y, XI, PHI, alpha_s=-0.5), ValueError, "alpha_s: must be", why="alpha_s < 0"),
    Case("continuous_rhs", lambda: ep.continuous_rhs(X, H, Y, XI, PHI, T_f=2.0, T_h=0.5, T_d=3.0), None,
         ok=lambda r: all(_close(a, b) for a, b in zip(r, _np_rhs(NX, H.numpy(), Y.numpy(), NXI, NPHI, (2.0, 0.5, 3.0))))),
    Case("energy_rate_terms", lambda: ep.energy_rate_terms(X, H, Y, XI, PHI, T_f=-1.0), ValueError, "T_f: must be > 0", why="T_f < 0"),
    Case("energy_rate_terms", lambda: ep.energy_rate_terms(_nan(X), H, Y, XI, PHI), ValueError, "x: must be finite", why="NaN"),
    Case("energy_rate_terms", lambda: ep.energy_rate_terms(X, H, Y, XI, PHI, sigma_f="relu"), ValueError, "sigma_f: must be one of", why="bad"),
    Case("energy_rate_terms", lambda: ep.energy_rate_terms(X, H, Y, XI, PHI), None,
         ok=lambda r: _close(sum(r.values()), _dEdt_fd()), why="sum = dE/dt by finite differences"),
    # ---- integrate_continuous
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [1.0, 0.0]), ValueError, "t_eval: must be", why="decreasing"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, []), ValueError, "t_eval: ", why="empty t_eval"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [0.5]), ValueError, "t_eval: must be a 1-D sequence",
         why="one time"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [[0.0, 1.0]]), ValueError,
         "t_eval: must be a 1-D sequence", why="2-D t_eval"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [0.0, NAN]), ValueError, "t_eval: must be finite", why="NaN t"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X[:3], XI, PHI, [0.0, 1.0]), ValueError, "x0: must have shape", why="x0"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(_nan(X), XI, PHI, [0.0, 1.0]), ValueError, "x0: must be finite", why="NaN"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [0.0, 1.0], T_h=0.0), ValueError, "T_h: must be > 0", why="T_h"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [0.0, 1.0], h0=H[:2]), ValueError, "h0: must have shape",
         why="h0 wrong size"),
    Case("integrate_continuous", lambda: ep.integrate_continuous(X, XI, PHI, [0.0, 0.5], T_h=1.0, T_d=1.0), None,
         ok=lambda r: _close(r[0][-1], _rk_ref(0.5), 1e-6), why="vs fixed-step RK4 in numpy"),
    # ---- reduced_ode_rhs / euler_feature_step
    Case("reduced_ode_rhs", lambda: ep.reduced_ode_rhs(X, W, "relu"), ValueError, "sigma: must be one of", why="bad sigma"),
    Case("reduced_ode_rhs", lambda: ep.reduced_ode_rhs(_nan(X), W), ValueError, "x: must be finite", why="NaN"),
    Case("reduced_ode_rhs", lambda: ep.reduced_ode_rhs(X, W), None, ok=lambda r: _close(r, NW @ np.tanh(NX) - NX), why="numpy"),
    Case("euler_feature_step", lambda: ep.euler_feature_step(X, W, dt=0.0), ValueError, "dt: must be > 0", why="dt = 0"),
    Case("euler_feature_step", lambda: ep.euler_feature_step(X, W, dt=NAN), ValueError, "dt: must be", why="NaN dt"),
    Case("euler_feature_step", lambda: ep.euler_feature_step(X, W, dt=INF), ValueError, "dt: must be finite", why="inf dt"),
    Case("euler_feature_step", lambda: ep.euler_feature_step(X, W, dt=0.25), None,
         ok=lambda r: _close(r, 0.75 * NX + 0.25 * NW @ np.tanh(NX)), why="numpy"),
    # ---- energy_feature_terms / feature_energy / adiabatic_step / tracking_energy
    Case("energy_feature_terms", lambda: ep.energy_feature_terms(X, Y[:3], XI, PHI), ValueError, "y: last dimension", why="y"),
    Case("energy_feature_terms", lambda: ep.energy_feature_terms(X, Y, XI[:, 0], PHI), ValueError, "Xi: must have", why="1-D Xi"),
    Case("energy_feature_terms", lambda: ep.energy_feature_terms(X, Y, XI, PHI), None,
         ok=lambda r: _close(sum(r.values()), NFE), why="vs -1/2|V_h|^2 form"),
    Case("feature_energy", lambda: ep.feature_energy(_nan(X), Y, XI, PHI), ValueError, "x: must be finite", why="NaN"),
    Case("feature_energy", lambda: ep.feature_energy(X, Y, XI, PHI, "relu"), ValueError, "sigma: must be one of", why="bad"),
    Case("feature_energy", lambda: ep.feature_energy(X, Y, XI, PHI), None, ok=lambda r: _close(r, NFE), why="numpy"),
    Case("adiabatic_step", lambda: ep.adiabatic_step(X, Y, XI, PHI[:2, :2]), ValueError, "Phi: must be N_h", why="Phi"),
    Case("adiabatic_step", lambda: ep.adiabatic_step(X, _nan(Y), XI, PHI), ValueError, "y: must be finite", why="NaN y"),
    Case("adiabatic_step", lambda: ep.adiabatic_step(X, Y, XI, PHI), None,
         ok=lambda r: _close(r, NXI @ (NXI.T @ np.tanh(NX) + NPHI.T @ NXI.T @ Y.numpy())), why="x1 = Xi V_h"),
    Case("tracking_energy", lambda: ep.tracking_energy(X[:2], XI, PHI), ValueError, "x: last dimension", why="x"),
    Case("tracking_energy", lambda: ep.tracking_energy(X, XI, PHI), None,
         ok=lambda r: _close(r, _np_feature_energy(NX, np.tanh(NX), NXI, NPHI)), why="numpy"),
    # ---- delta_energy_terms
    Case("delta_energy_terms", lambda: ep.delta_energy_terms(X, X1[:2], Y, Y, XI, PHI), ValueError, "x1: last dimension", why="x1"),
    Case("delta_energy_terms", lambda: ep.delta_energy_terms(X, X1, _nan(Y), Y, XI, PHI), ValueError, "y0: must be finite", why="NaN y0"),
    Case("delta_energy_terms", lambda: ep.delta_energy_terms(X, X1, Y, Y, XI[:, 0], PHI), ValueError, "Xi: must have", why="1-D Xi"),
    Case("delta_energy_terms", lambda: ep.delta_energy_terms(X, X1, Y, Y, XI, PHI, "relu"), ValueError, "sigma: must be one of", why="bad"),
    Case("delta_energy_terms", lambda: ep.delta_energy_terms(X, X1, Y, Y, XI, PHI), None,
         ok=lambda r: _close(sum(r.values()), _np_feature_energy(X1.numpy(), Y.numpy(), NXI, NPHI) - NFE), why="sum = E(1) - E(0)"),
    # ---- cccp_energy / cccp_update / cccp_decrease / bregman_lagrangian
    Case("cccp_energy", lambda: ep.cccp_energy(S, W[:, :3]), ValueError, "W: must be a square", why="W"),
    Case("cccp_energy", lambda: ep.cccp_energy(torch.ones(NF, dtype=D), WS), ValueError, "s: must lie", why="|s| = 1"),
    Case("cccp_energy", lambda: ep.cccp_energy(S, WS, b=S[:2]), ValueError, "b: last dimension", why="b"),
    Case("cccp_energy", lambda: ep.cccp_energy(S, WS, b=_nan(S)), ValueError, "b: must be finite", why="NaN b"),
    Case("cccp_energy", lambda: ep.cccp_energy(S, WS, b=Y), None,
         ok=lambda r: _close(r, _np_dual(S.numpy()) - 0.5 * S.numpy() @ WS.numpy() @ S.numpy() - Y.numpy() @ S.numpy()), why="numpy"),
    Case("cccp_update", lambda: ep.cccp_update(S, W), ValueError, "W: must be symmetric", why="non-symmetric"),
    Case("cccp_update", lambda: ep.cccp_update(S, -2.0 * torch.eye(NF, dtype=D)), ValueError, "W: smallest eigenvalue",
         why="lambda_min = -2 < -1"),
    Case("cccp_update", lambda: ep.cccp_update(S, -0.9 * torch.eye(NF, dtype=D)), None,
         ok=lambda r: _close(r, np.tanh(-0.9 * S.numpy())), why="lambda_min = -0.9 accepted"),
    Case("cccp_update", lambda: ep.cccp_update(S, WPSD, b=_nan(S)), ValueError, "b: must be finite", why="NaN b"),
    Case("cccp_update", lambda: ep.cccp_update(S, WPSD, b=S[:2]), ValueError, "b: last dimension", why="b"),
    Case("cccp_update", lambda: ep.cccp_update(S, WPSD, check_spectrum="yes"), TypeError, "check_spectrum: must be a bool", why="flag"),
    Case("cccp_update", lambda: ep.cccp_update(S, WPSD, sigma="relu"), ValueError, "sigma: must be one of", why="bad"),
    Case("cccp_update", lambda: ep.cccp_update(S, -2.0 * torch.eye(NF, dtype=D), check_spectrum=False), None,
         ok=lambda r: _close(r, np.tanh(-2.0 * S.numpy())), why="spectrum check switched off"),
    Case("descent_margin", lambda: ep.descent_margin(W), ValueError, "W: must be symmetric", why="non-symmetric"),
    Case("descent_margin", lambda: ep.descent_margin(_nan(WS)), ValueError, "W: must be finite", why="NaN"),
    Case("descent_margin", lambda: ep.descent_margin(WS, "relu"), ValueError, "sigma: must be one of", why="bad sigma"),
    Case("descent_margin", lambda: ep.descent_margin(torch.diag(torch.tensor([-0.5, 2.0, 3.0], dtype=D))), None,
         ok=lambda r: _close(r, 0.5), why="diag(-0.5, 2, 3) -> 0.5"),
    Case("cccp_decrease", lambda: ep.cccp_decrease(X, X1, W), ValueError, "W: must be symmetric", why="non-symmetric W"),
    Case("cccp_decrease", lambda: ep.cccp_decrease(X, X1[:2], WPSD), ValueError, "x1: last dimension", why="x1"),
    Case("cccp_decrease", lambda: ep.cccp_decrease(_nan(X), X1, WPSD), ValueError, "x0: must be finite", why="NaN"),
    Case("cccp_decrease", lambda: ep.cccp_decrease(X, ep.feature_map(WPSD, X), WPSD), None,
         ok=lambda r: _close(r, _rate_E(ep.feature_map(WPSD, X), WPSD) - _rate_E(X, WPSD)), why="vs E(s1) - E(s0)"),
    Case("bregman_lagrangian", lambda: ep.bregman_lagrangian(X, X[:2]), ValueError, "x0: last dimension", why="shape"),
    Case("bregman_lagrangian", lambda: ep.bregman_lagrangian(X, _nan(X)), ValueError, "x0: must be finite", why="NaN"),
    Case("bregman_lagrangian", lambda: ep.bregman_lagrangian(X, X), None, ok=lambda r: _close(r, 0.0), why="D(x, x) = 0"),
    # ---- random_networks
    Case("random_networks", lambda: ep.random_networks(0, 4, 2), ValueError, "batch: must be a positive", why="batch 0"),
    Case("random_networks", lambda: ep.random_networks(2, -4, 2), ValueError, "N_f: must be a positive", why="N_f < 0"),
    Case("random_networks", lambda: ep.random_networks(2, 4, True), ValueError, "N_h: must be a positive", why="bool N_h"),
    Case("random_networks", lambda: ep.random_networks(2, 4, 2, phi="orth"), ValueError, "phi: must be", why="phi"),
    Case("random_networks", lambda: ep.random_networks(2, 4, 2, scale=NAN), ValueError, "scale: must", why="NaN scale"),
    Case("random_networks", lambda: ep.random_networks(2, 4, 2, scale=-1.0), ValueError, "scale: must be > 0", why="scale < 0"),
    Case("random_networks", lambda: ep.random_networks(2, 4, 2, dtype=torch.int64), TypeError, "dtype: must be", why="int dtype"),
    Case("random_networks", lambda: ep.random_networks(4000, 4, 2, phi="psd", generator=_g(5), device=CPU), None,
         ok=lambda r: float(torch.linalg.eigvalsh(r[1]).min()) >= -1e-12 and abs(float(r[0].var()) - 0.5) < 0.05,
         why="psd Phi, Var Xi = 1/N_h"),
    # ---- run_adiabatic / run_elman / rate_energy
    Case("run_adiabatic", lambda: ep.run_adiabatic(X, XI, PHI, 0), ValueError, "n_steps: must be a positive", why="0 steps"),
    Case("run_adiabatic", lambda: ep.run_adiabatic(_nan(X), XI, PHI, 2), ValueError, "x0: must be finite", why="NaN"),
    Case("run_adiabatic", lambda: ep.run_adiabatic(X[:2], XI, PHI, 2), ValueError, "x0: last dimension", why="x0"),
    Case("run_adiabatic", lambda: ep.run_adiabatic(X, XI, PHI, 1), None,
         ok=lambda r: _close(r[0][1], NW @ np.tanh(NX))
         and _close(r[1][0], _np_feature_energy(NW @ np.tanh(NX), np.tanh(NX), NXI, NPHI)
                    - _np_feature_energy(NX, np.tanh(NX), NXI, NPHI)), why="one step vs numpy"),
    Case("run_elman", lambda: ep.run_elman(X, W, -3), ValueError, "n_steps: must be a positive", why="negative"),
    Case("run_elman", lambda: ep.run_elman(X, _nan(W), 2), ValueError, "W: must be finite", why="NaN W"),
    Case("run_elman", lambda: ep.run_elman(X, W, 2), None,
         ok=lambda r: _close(r[0][2], NW @ np.tanh(NW @ np.tanh(NX))), why="two steps vs numpy"),
    Case("rate_energy", lambda: ep.rate_energy(X, W, b=Y[:2]), ValueError, "b: last dimension", why="b"),
    Case("rate_energy", lambda: ep.rate_energy(X, W, b=_nan(Y)), ValueError, "b: must be finite", why="NaN b"),
    Case("rate_energy", lambda: ep.rate_energy(X[:2], W), ValueError, "x: last dimension", why="x"),
    Case("rate_energy", lambda: ep.rate_energy(X, W, b=Y), None,
         ok=lambda r: _close(r, _np_dual(np.tanh(NX)) - 0.5 * np.tanh(NX) @ NW @ np.tanh(NX) - Y.numpy() @ np.tanh(NX)),
         why="vs L*(s) in closed form"),
    # ---- cyclic_transition / memory_overlaps
    Case("cyclic_transition", lambda: ep.cyclic_transition(1), ValueError, "N_h: must be an integer >= 2", why="N_h = 1"),
    Case("cyclic_transition", lambda: ep.cyclic_transition(2.5), ValueError, "N_h: must be an integer", why="float"),
    Case("cyclic_transition", lambda: ep.cyclic_transition(4, device=CPU), None,
         ok=lambda r: _close(r.T @ torch.eye(4, dtype=D)[:, 3], np.eye(4)[0]), why="Phi^T e_3 = e_0"),
    Case("memory_overlaps", lambda: ep.memory_overlaps(X, XI[:, 0]), ValueError, "Xi: must have", why="1-D Xi (was IndexError)"),
    Case("memory_overlaps", lambda: ep.memory_overlaps(X[:2], XI), ValueError, "x: last dimension", why="x"),
    Case("memory_overlaps", lambda: ep.memory_overlaps(X, XI.expand(2, 2, NF, NH)), ValueError, "Xi: must have 2 or 3",
         why="4-D Xi"),
    Case("memory_overlaps", lambda: ep.memory_overlaps(_nan(X), XI), ValueError, "x: must be finite", why="NaN"),
    Case("memory_overlaps", lambda: ep.memory_overlaps(X, XI, "relu"), ValueError, "sigma: must be one of", why="bad sigma"),
    Case("memory_overlaps", lambda: ep.memory_overlaps(NX, NXI), None, ok=lambda r: _close(r, NXI.T @ np.tanh(NX) / NF), why="numpy"),
    # ---- simulate_continuous
    Case("simulate_continuous", lambda: ep.simulate_continuous(X, H, Y, XI, PHI, NAN, 3), ValueError, "dt: must", why="NaN dt"),
    Case("simulate_continuous", lambda: ep.simulate_continuous(X, H, Y, XI, PHI, 0.1, 0), ValueError, "n_steps: must be", why="0"),
    Case("simulate_continuous", lambda: ep.simulate_continuous(X, H[:2], Y, XI, PHI, 0.1, 3), ValueError, "h0: last dimension",
         why="h0 wrong size"),
    Case("simulate_continuous", lambda: ep.simulate_continuous(X, H, Y, XI, PHI, 0.1, 3, T_d=0.0), ValueError, "T_d: must be > 0",
         why="T_d = 0"),
    Case("simulate_continuous", lambda: ep.simulate_continuous(_nan(X), H, Y, XI, PHI, 0.1, 3), ValueError, "x0: must be finite",
         why="NaN x0"),
    Case("simulate_continuous", lambda: ep.simulate_continuous(X, H, Y, XI, PHI, 0.1, 3, freeze_delay="no"), TypeError,
         "freeze_delay: must be a bool", why="flag"),
    Case("simulate_continuous", lambda: ep.simulate_continuous(X, H, Y, XI, PHI, 0.05, 10), None,
         ok=lambda r: _close(r[0][-1], _rk_ref(0.5, H.numpy(), Y.numpy()), 1e-6), why="vs numpy RK4 at t = 0.5"),
    # ---- symbolic_energy_parts (no input)
    Case("symbolic_energy_parts", lambda: ep.symbolic_energy_parts(), None, ok=lambda r: _sym_ok(r), why="E2 numeric"),
    # ---- derivatives of the energy terms
    Case("first_term_gradient", lambda: ep.first_term_gradient(_nan(X)), ValueError, "x: must be finite", why="NaN"),
    Case("first_term_gradient", lambda: ep.first_term_gradient(X, "relu"), ValueError, "sigma: must be one of", why="bad"),
    Case("first_term_gradient", lambda: ep.first_term_gradient(X), None, ok=lambda r: _close(r, NX / np.cosh(NX) ** 2), why="closed"),
    Case("first_term_hessian", lambda: ep.first_term_hessian(torch.tensor(1.0, dtype=D)), ValueError, "x: must have at least 1",
         why="0-d"),
    Case("first_term_hessian", lambda: ep.first_term_hessian(X.to(torch.int64)), TypeError, "x: must be a float", why="int"),
    Case("first_term_hessian", lambda: ep.first_term_hessian(X), None,
         ok=lambda r: _close(torch.diagonal(r), (1 - 2 * NX * np.tanh(NX)) / np.cosh(NX) ** 2), why="closed"),
    Case("quadratic_term_gradient", lambda: ep.quadratic_term_gradient(X, W), ValueError, "M: must be symmetric", why="non-sym"),
    Case("quadratic_term_gradient", lambda: ep.quadratic_term_gradient(X[:2], WS), ValueError, "x: last dimension", why="x"),
    Case("quadratic_term_gradient", lambda: ep.quadratic_term_gradient(_nan(X), WS), ValueError, "x: must be finite", why="NaN"),
    Case("quadratic_term_gradient", lambda: ep.quadratic_term_gradient(X, WS), None,
         ok=lambda r: _close(r, (WS.numpy() @ np.tanh(NX)) / np.cosh(NX) ** 2), why="closed"),
    Case("quadratic_term_hessian", lambda: ep.quadratic_term_hessian(X, W), ValueError, "M: must be symmetric", why="non-sym"),
    Case("quadratic_term_hessian", lambda: ep.quadratic_term_hessian(X[:2], WS), ValueError, "x: last dimension", why="x"),
    Case("quadratic_term_hessian", lambda: ep.quadratic_term_hessian(X, WS), None,
         ok=lambda r: _close(r, torch.func.hessian(lambda v: 0.5 * torch.tanh(v) @ WS @ torch.tanh(v))(X)), why="autograd"),
    Case("linear_term_gradient", lambda: ep.linear_term_gradient(X, Y[:2]), ValueError, "c: last dimension", why="c"),
    Case("linear_term_gradient", lambda: ep.linear_term_gradient(X, _nan(Y)), ValueError, "c: must be finite", why="NaN c"),
    Case("linear_term_gradient", lambda: ep.linear_term_gradient(X, Y), None, ok=lambda r: _close(r, Y.numpy() / np.cosh(NX) ** 2),
         why="closed"),
    Case("linear_term_hessian", lambda: ep.linear_term_hessian(X, Y[:2]), ValueError, "c: last dimension", why="c"),
    Case("linear_term_hessian", lambda: ep.linear_term_hessian(_nan(X), Y), ValueError, "x: must be finite", why="NaN x"),
    Case("linear_term_hessian", lambda: ep.linear_term_hessian(X, Y), None,
         ok=lambda r: _close(r, torch.func.hessian(lambda v: torch.tanh(v) @ Y)(X)), why="autograd"),
    Case("activation_hessian_tensor", lambda: ep.activation_hessian_tensor(X[None]), ValueError, "x: must have 1", why="2-D"),
    Case("activation_hessian_tensor", lambda: ep.activation_hessian_tensor(_nan(X)), ValueError, "x: must be finite", why="NaN"),
    Case("activation_hessian_tensor", lambda: ep.activation_hessian_tensor(X), None,
         ok=lambda r: _close(r, torch.func.hessian(torch.tanh)(X)), why="autograd"),
    # ---- sequences
    Case("hadamard_patterns", lambda: ep.hadamard_patterns(12, 3), ValueError, "N_f: must be a power of two", why="12"),
    Case("hadamard_patterns", lambda: ep.hadamard_patterns(8, 8), ValueError, "N_h: must be an integer in", why="N_h = N_f"),
    Case("hadamard_patterns", lambda: ep.hadamard_patterns(8, 0), ValueError, "N_h: must be an integer in", why="N_h = 0"),
    Case("hadamard_patterns", lambda: ep.hadamard_patterns(16, 5, device=CPU), None,
         ok=lambda r: _close(r.T @ r, 16 * np.eye(5)) and bool((r.abs() == 1).all()), why="orthogonal +-1"),
    Case("random_patterns", lambda: ep.random_patterns(2, 0, 3), ValueError, "N_f: must be a positive", why="N_f = 0"),
    Case("random_patterns", lambda: ep.random_patterns(-1, 4, 3), ValueError, "batch: must be a positive", why="batch < 0"),
    Case("random_patterns", lambda: ep.random_patterns(2, 4, 3, dtype=torch.complex64), TypeError, "dtype: must be", why="complex"),
    Case("random_patterns", lambda: ep.random_patterns(50, 64, 3, generator=_g(4), device=CPU), None,
         ok=lambda r: bool((r.abs() == 1).all()) and abs(float(r.mean())) < 0.05, why="+-1, mean ~ 0"),
    Case("sequence_network", lambda: ep.sequence_network(PATS[:, 0]), ValueError, "patterns: must have", why="1-D"),
    Case("sequence_network", lambda: ep.sequence_network(PATS, beta=0.0), ValueError, "beta: must be > 0", why="beta 0"),
    Case("sequence_network", lambda: ep.sequence_network(PATS, alpha_c=NAN), ValueError, "alpha_c: must", why="NaN alpha_c"),
    Case("sequence_network", lambda: ep.sequence_network(PATS, alpha_c=torch.tensor([1.0, INF], dtype=D)), ValueError,
         "alpha_c: must be finite", why="inf alpha_c"),
    Case("sequence_network", lambda: ep.sequence_network(PATS[:, :1]), ValueError, "patterns: .*N_h >= 2", why="one pattern"),
    Case("sequence_network", lambda: ep.sequence_network(_nan(PATS)), ValueError, "patterns: must be finite", why="NaN"),
    Case("sequence_network", lambda: ep.sequence_network(PATS, 1.0, 2.0), None,
         ok=lambda r: _close(ep.elman_weight(*r) @ PATS[:, 0], 2.0 * (PATS[:, 0] + PATS[:, 1]).numpy()),
         why="W xi_0 = beta (xi_0 + alpha xi_1)"),
    Case("retrieval_accuracy", lambda: ep.retrieval_accuracy(torch.ones(5, dtype=D)), ValueError, "overlaps: must have", why="1-D"),
    Case("retrieval_accuracy", lambda: ep.retrieval_accuracy(torch.ones(1, 3, dtype=D)), ValueError, "overlaps: .*T \\+ 1 >= 2",
         why="no step"),
    Case("retrieval_accuracy", lambda: ep.retrieval_accuracy(_nan(torch.ones(4, 3, dtype=D), 5)), ValueError, "overlaps: must be finite",
         why="NaN"),
    Case("retrieval_accuracy", lambda: ep.retrieval_accuracy(torch.ones(4, 3, dtype=D), start=1.5), ValueError, "start: must be an int",
         why="float start"),
    Case("retrieval_accuracy", lambda: ep.retrieval_accuracy(torch.eye(3, dtype=D)[[0, 1, 2, 1]]), None,
         ok=lambda r: _close(r, 2 / 3), why="2 of 3 steps"),
    Case("run_sequence", lambda: ep.run_sequence(X[:4], SXI, SPHI, 0), ValueError, "n_steps: must be a positive", why="0 steps"),
    Case("run_sequence", lambda: ep.run_sequence(_nan(PATS[:, 0]), SXI, SPHI, 2), ValueError, "x0: must be finite", why="NaN"),
    Case("run_sequence", lambda: ep.run_sequence(PATS[:4, 0], SXI, SPHI, 2), ValueError, "x0: last dimension", why="x0"),
    Case("run_sequence", lambda: ep.run_sequence(PATS[:, 0], SXI, SPHI, 1), None,
         ok=lambda r: _close(r[0][1], (ep.elman_weight(SXI, SPHI) @ torch.tanh(PATS[:, 0])).numpy())
         and _close(r[2] + r[3], r[1][1:] - r[1][:-1]), why="one step vs W tanh(x)"),
]


def _dEdt_fd(eps=1e-6):
    dx, dh, dy = _np_rhs(NX, H.numpy(), Y.numpy(), NXI, NPHI)
    f = lambda t: _np_energy(NX + t * dx, H.numpy() + t * dh, Y.numpy() + t * dy, NXI, NPHI)
    return (f(eps) - f(-eps)) / (2 * eps)


def _rk_ref(T, h0=None, y0=None, n=2000):
    """Fixed-step numpy RK4 of Eq. 1 (T_f = T_h = T_d = 1) from x0 = X; h0, y0 default to the slaved values."""
    s0 = np.tanh(NX)
    z = [NX.copy(), NXI.T @ s0 + NPHI.T @ NXI.T @ s0 if h0 is None else h0.copy(), s0.copy() if y0 is None else y0.copy()]
    dt = T / n
    f = lambda z: _np_rhs(z[0], z[1], z[2], NXI, NPHI)
    for _ in range(n):
        k1 = f(z); k2 = f([a + dt / 2 * k for a, k in zip(z, k1)])
        k3 = f([a + dt / 2 * k for a, k in zip(z, k2)]); k4 = f([a + dt * k for a, k in zip(z, k3)])
        z = [a + dt / 6 * (p + 2 * q + 2 * r + w) for a, p, q, r, w in zip(z, k1, k2, k3, k4)]
    return z[0]


def _rate_E(x, M):
    s = np.tanh(np.asarray(x))
    return _np_dual(s) - 0.5 * s @ M.numpy() @ s


def _sym_ok(d):
    import sympy as sp

    vals = {d["N_f"]: NF, d["N_h"]: NH}
    sub = {d[k].subs(vals): sp.ImmutableMatrix(v) for k, v in
           (("s", S.numpy()[:, None]), ("y", Y.numpy()[:, None]), ("Xi", NXI), ("Phi", NPHI))}
    e2 = float(sp.Matrix(d["E2"].subs(vals).xreplace(sub).doit())[0])
    hv = NXI.T @ S.numpy() + NPHI.T @ NXI.T @ Y.numpy()
    return abs(e2 - 0.5 * hv @ hv) < 1e-10


CASES = C
EXEMPT = {
    "ACTIVATIONS": "a constant table name -> (sigma, sigma^-1, sigma'); its entries are tested in tests/test_episodic.py",
    "SUP_DERIVATIVE": "a constant table of sup sigma' (= sigma'(0) = 1); tested in tests/test_episodic.py",
    "LAGRANGIANS": "a constant table of per-unit Lagrangians; tested through lagrangian/legendre_dual cases above",
}


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    missing = sorted(set(ep.__all__) - covered)
    assert not missing, f"no sweep case for {missing}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
