"""Bad-input sweep of :mod:`rnnmath.attractor` (Part III, note 002).

Every name of ``attractor.__all__`` either computes a correct value (checked against an
independent computation: numpy formulas, float64 references, closed forms) or refuses its
input with a ValueError/TypeError whose message starts with the argument's name and a colon.
The convolutional names re-exported from :mod:`rnnmath.attractor_conv` are swept in
``test_sweep_attractor_conv.py`` and included here, so that this file covers the whole
``__all__`` of the module.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnmath import attractor as att
from sweep._sweep import Case, run_case
from sweep.test_sweep_attractor_conv import CASES as CONV_CASES
from sweep.test_sweep_attractor_conv import EXEMPT as CONV_EXEMPT

D = torch.float64
CPU = "cpu"
NAN = float("nan")
INF = float("inf")


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


N = 5
W = att.random_symmetric_weights(1, N, scale=1.2, generator=_g(0), device=CPU)[0]
B = 0.3 * torch.randn(N, generator=_g(1), dtype=D)
X = 0.8 * torch.tanh(torch.randn(3, N, generator=_g(2), dtype=D))
WA = W.clone()
WA[0, 1] += 0.3  # not symmetric
XPM = torch.tensor([[1, -1, 1, -1, 1]])  # integer +-1 state
WNP = W.numpy()


def _nan(t, idx=0):
    t = t.clone()
    t.view(-1)[idx] = NAN
    return t


def _energy_np(x, Wn, b):
    from scipy.special import xlogy

    x = np.asarray(x, dtype=float)
    F = 0.5 * (xlogy(1 + x, 1 + x) + xlogy(1 - x, 1 - x))
    return -0.5 * np.einsum("...i,ij,...j->...", x, Wn, x) - x @ b + F.sum(-1)


def _close(a, b, tol=1e-10):
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    return a.shape == np.shape(b) and bool(np.allclose(a, b, atol=tol, rtol=tol))


# a small clamped fixed point for the chapter-3 functions
CLAMP = torch.tensor([True, False, False, False, False])
Y = torch.tensor([[0.5, 0.5, -0.5, 0.5, -0.5]] * 2, dtype=D)
MASK = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0], dtype=D)
X0 = torch.where(CLAMP, Y, torch.zeros_like(Y))
XS, _, _ = att.run_to_fixed_point(X0, 0.6 * W, B, clamp=CLAMP, theta=1e-14)
WF = 0.6 * W


def _grad_ref():
    """Stationary gradient by a dense numpy solve of the implicit-function equations."""
    Wn, x = WF.numpy(), XS.numpy()
    free = ~CLAMP.numpy()
    dW = np.zeros((N, N))
    for k in range(x.shape[0]):
        d = (1 - x[k] ** 2) * free
        g = 2 * (x[k] - Y[k].numpy()) * MASK.numpy()
        u = np.linalg.solve((np.eye(N) - Wn.T * d[None, :]).T, g * d)
        dW += np.outer(x[k], u)
    return dW


GREF = _grad_ref()

C = [
    # ---- validation helpers
    Case("require_self_connections", lambda: att.require_self_connections(torch.diag(torch.tensor([0.5, -0.2], dtype=D))),
         ValueError, r"W: self-connections must be >= 0", why="negative diagonal"),
    Case("require_self_connections", lambda: att.require_self_connections(_nan(W, 0)), ValueError, r"W: must be finite",
         why="NaN"),
    Case("require_self_connections", lambda: att.require_self_connections(torch.zeros(3, 4)), ValueError,
         r"W: must be a square", why="not square"),
    Case("require_self_connections", lambda: att.require_self_connections(W, lower=NAN), ValueError, r"lower: must be finite",
         why="NaN lower"),
    Case("require_self_connections", lambda: att.require_self_connections(WNP.tolist()),
         raises=None, ok=lambda r: np.allclose(np.asarray(r), WNP), why="list input accepted"),
    Case("require_no_within_group_weights", lambda: att.require_no_within_group_weights(W, [[0, 1]]), ValueError,
         r"W: units of update group 0", why="connected group"),
    Case("require_no_within_group_weights", lambda: att.require_no_within_group_weights(W, [[0, 9]]), ValueError,
         r"groups: unit indices must lie", why="index out of range"),
    Case("require_no_within_group_weights", lambda: att.require_no_within_group_weights(W, [[0.5]]), TypeError,
         r"groups: unit indices must be integers", why="float index"),
    Case("require_no_within_group_weights", lambda: att.require_no_within_group_weights(W, [[0], [1]], atol=-1.0),
         ValueError, r"atol: must be >=", why="negative atol"),
    Case("require_no_within_group_weights", lambda: att.require_no_within_group_weights(W, [[0], [1]]),
         raises=None, ok=lambda r: r is W, why="singletons pass"),
    Case("require_kernel", lambda: att.require_kernel(torch.zeros(2, 2, 3)), ValueError, r"w: must be a 4-d kernel",
         why="3-d"),
    Case("require_kernel", lambda: att.require_kernel(torch.zeros(2, 2, 2, 2)), ValueError, r"w: spatial size must be",
         why="even size"),
    Case("require_kernel", lambda: att.require_kernel(torch.zeros(0, 2, 3, 3)), ValueError, r"w: needs at least one",
         why="no channels"),
    Case("require_kernel", lambda: att.require_kernel(_nan(torch.zeros(1, 1, 3, 3))), ValueError, r"w: must be finite",
         why="NaN"),
    Case("require_kernel", lambda: att.require_kernel(torch.zeros(1, 2, 3, 3), square_channels=True), ValueError,
         r"w: a recurrent layer needs", why="channels differ"),
    Case("require_symmetric_kernel", lambda: att.require_symmetric_kernel(torch.randn(2, 2, 3, 3, generator=_g(3))),
         ValueError, r"w: must satisfy w\[e,f,a,b\]", why="not symmetric"),
    Case("require_symmetric_kernel", lambda: att.require_symmetric_kernel(_nan(torch.zeros(2, 2, 3, 3), 4)), ValueError,
         r"w: must be finite", why="NaN"),
    Case("require_symmetric_kernel", lambda: att.require_symmetric_kernel(-torch.ones(1, 1, 1, 1), nonnegative_self=True),
         ValueError, r"w: self-connections w\[f,f,0,0\]", why="negative centre"),
    Case("require_symmetric_kernel", lambda: att.require_symmetric_kernel(torch.zeros(1, 1, 3, 3), atol=NAN), ValueError,
         r"atol: must be finite", why="NaN atol"),
    # ---- chapter 1
    Case("barrier", lambda: att.barrier(torch.tensor([1.5], dtype=D)), ValueError, r"x: barrier is defined only",
         why="out of range"),
    Case("barrier", lambda: att.barrier(torch.tensor([NAN], dtype=D)), ValueError, r"x: must be finite", why="NaN"),
    Case("barrier", lambda: att.barrier(torch.tensor([0.5j])), TypeError, r"x: must be real", why="complex"),
    Case("barrier", lambda: att.barrier(torch.tensor([0.5], dtype=torch.float16)), TypeError, r"x: half precision",
         why="float16"),
    Case("barrier", lambda: att.barrier([1, 0, -1]), raises=None,
         ok=lambda r: _close(r, [math.log(2), 0.0, math.log(2)]), why="int list: F(+-1) = ln 2, F(0) = 0"),
    Case("barrier_slope", lambda: att.barrier_slope(torch.tensor([2.0], dtype=D)), ValueError, r"x: activations of tanh",
         why="out of range"),
    Case("barrier_slope", lambda: att.barrier_slope(torch.tensor([NAN], dtype=D)), ValueError, r"x: must be finite",
         why="NaN"),
    Case("barrier_slope", lambda: att.barrier_slope(np.array([0.5])), raises=None,
         ok=lambda r: _close(r, [np.arctanh(0.5)]), why="numpy input"),
    Case("barrier_bregman", lambda: att.barrier_bregman(torch.tensor([0.2]), torch.tensor([1.0])), ValueError,
         r"y: free units must lie strictly", why="y on the edge"),
    Case("barrier_bregman", lambda: att.barrier_bregman(torch.zeros(3), torch.zeros(2)), ValueError, r"y: shape",
         why="shapes do not broadcast"),
    Case("barrier_bregman", lambda: att.barrier_bregman(torch.tensor([NAN]), torch.tensor([0.0])), ValueError,
         r"x: must be finite", why="NaN x"),
    Case("barrier_bregman", lambda: att.barrier_bregman([0.5], [0.1]), raises=None,
         ok=lambda r: _close(r, [0.5 * (1.5 * math.log(1.5) + 0.5 * math.log(0.5))
                                 - 0.5 * (1.1 * math.log(1.1) + 0.9 * math.log(0.9)) - math.atanh(0.1) * 0.4]),
         why="lists, value by hand"),
    Case("energy", lambda: att.energy(XPM, W, B), raises=None, ok=lambda r: _close(r, _energy_np(XPM.numpy(), WNP, B.numpy())),
         why="integer +-1 state: float64 energy, weights not truncated"),
    Case("energy", lambda: att.energy(X, WA, B), ValueError, r"W: must be symmetric", why="non-symmetric W"),
    Case("energy", lambda: att.energy(X[:, :4], W, B), ValueError, r"x: last dimension must equal", why="wrong n"),
    Case("energy", lambda: att.energy(X, W, B[:4]), ValueError, r"b: last dimension must be", why="wrong b"),
    Case("energy", lambda: att.energy(X, _nan(W, 6), B), ValueError, r"W: must be finite", why="NaN W"),
    Case("energy", lambda: att.energy(_nan(X), W, B), ValueError, r"x: must be finite", why="NaN x"),
    Case("energy", lambda: att.energy(2 * X + 1, W, B), ValueError, r"x: activations of tanh units must lie",
         why="state outside [-1, 1]"),
    Case("energy", lambda: att.energy(X, W.to(torch.complex128), B), TypeError, r"W: must be real", why="complex W"),
    Case("energy", lambda: att.energy(X, W.expand(2, N, N), B), ValueError, r"x: batch shape", why="batch mismatch"),
    Case("energy", lambda: att.energy(X.float(), W, B), raises=None, ok=lambda r: r.dtype == D
         and _close(r, _energy_np(X.float().double().numpy(), WNP, B.numpy()), 1e-12), why="float32 x promoted, not W truncated"),
    Case("energy_gradient", lambda: att.energy_gradient(XPM * 0, W, B), raises=None, ok=lambda r: _close(r, -B.numpy()[None]),
         why="integer zero state: gradient -b"),
    Case("energy_gradient", lambda: att.energy_gradient(X, WA, B), ValueError, r"W: must be symmetric", why="non-symmetric"),
    Case("energy_gradient", lambda: att.energy_gradient(X + 2, W, B), ValueError, r"x: activations", why="out of range"),
    Case("energy_gradient", lambda: att.energy_gradient(X, W, _nan(B)), ValueError, r"b: must be finite", why="NaN b"),
    Case("activation_update", lambda: att.activation_update(XPM, W, B), raises=None,
         ok=lambda r: _close(r, np.tanh(XPM.numpy() @ WNP + B.numpy())), why="integer state, float weights"),
    Case("activation_update", lambda: att.activation_update(X, W.to(torch.int64), B), raises=None,
         ok=lambda r: _close(r, np.tanh(X.numpy() @ W.to(torch.int64).double().numpy() + B.numpy())), why="integer W promoted"),
    Case("activation_update", lambda: att.activation_update(X, torch.zeros(N, N + 1), B), ValueError, r"W: must be a square",
         why="non-square W"),
    Case("activation_update", lambda: att.activation_update(X, torch.zeros(0, 0)), ValueError, r"W: needs at least one unit",
         why="empty W"),
    Case("activation_update", lambda: att.activation_update(X, torch.tensor(WNP.tolist(), dtype=torch.bool)), TypeError,
         r"W: must hold real numbers", why="bool W"),
    # ---- chapter 2
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(0, 3), ValueError, r"batch: must be >= 1",
         why="zero batch"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(2, -1), ValueError, r"n: must be >= 1",
         why="negative n"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(2, 2.5), TypeError, r"n: must be an integer",
         why="float n"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(2, 3, scale=NAN), ValueError,
         r"scale: must be finite", why="NaN scale"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(2, 3, self_connection=torch.zeros(4)), ValueError,
         r"self_connection: must be a number or broadcast", why="wrong diagonal shape"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(2, 3, self_connection=NAN), ValueError,
         r"self_connection: must be finite", why="NaN diagonal"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(3, 4, self_connection=0.5, device=CPU),
         raises=None, ok=lambda r: bool(torch.allclose(r, r.transpose(-1, -2))) and bool(
             (torch.diagonal(r, dim1=-2, dim2=-1) == 0.5).all()), why="symmetric, diagonal set"),
    Case("bipartite_weights", lambda: att.bipartite_weights(2, [3]), ValueError, r"layer_sizes: a layered net needs",
         why="one layer"),
    Case("bipartite_weights", lambda: att.bipartite_weights(2, [3, 0]), ValueError, r"layer_sizes: every layer needs",
         why="empty layer"),
    Case("bipartite_weights", lambda: att.bipartite_weights(0, [3, 2]), ValueError, r"batch: must be >= 1", why="zero batch"),
    Case("bipartite_weights", lambda: att.bipartite_weights(2, [3, 2], scale=-1.0), ValueError, r"scale: must be >=",
         why="negative scale"),
    Case("bipartite_weights", lambda: att.bipartite_weights(2, [2, 2], generator=_g(5), device=CPU), raises=None,
         ok=lambda r: bool((r[:, :2, :2] == 0).all() and (r[:, 2:, 2:] == 0).all() and torch.equal(r, r.transpose(-1, -2))),
         why="no within-layer weights, symmetric"),
    Case("layer_groups", lambda: att.layer_groups([2, -1]), ValueError, r"layer_sizes: every layer needs", why="negative"),
    Case("layer_groups", lambda: att.layer_groups([]), ValueError, r"layer_sizes: must list at least", why="empty"),
    Case("layer_groups", lambda: att.layer_groups([2.0, 1]), TypeError, r"layer_sizes: every layer size must be an integer",
         why="float size"),
    Case("layer_groups", lambda: att.layer_groups(5), TypeError, r"layer_sizes: must be a sequence", why="scalar"),
    Case("layer_groups", lambda: att.layer_groups(np.array([2, 1])), raises=None, ok=lambda r: r == [[0, 1], [2]],
         why="numpy sizes"),
    Case("layered_schedule", lambda: att.layered_schedule([2, 2], "zigzag"), ValueError, r"kind: must be", why="bad kind"),
    Case("layered_schedule", lambda: att.layered_schedule([0, 2]), ValueError, r"layer_sizes: every layer needs",
         why="empty layer"),
    Case("layered_schedule", lambda: att.layered_schedule([1, 1, 1], "even_odd"), raises=None, ok=lambda r: r == [[0, 2], [1]],
         why="odd layers then even"),
    Case("update_units", lambda: att.update_units(X, W, B, [0, 9]), ValueError, r"units: unit indices must lie",
         why="index out of range"),
    Case("update_units", lambda: att.update_units(X, W, B, [-1]), ValueError, r"units: unit indices must lie",
         why="negative index (would wrap)"),
    Case("update_units", lambda: att.update_units(X, W, B, [0.5]), TypeError, r"units: unit indices must be integers",
         why="float index"),
    Case("update_units", lambda: att.update_units(X, W, B, [0], clamp=torch.ones(4, dtype=torch.bool)), ValueError,
         r"clamp: last dimension must be", why="clamp wrong size"),
    Case("update_units", lambda: att.update_units(X, W, B, [0], clamp=torch.full((N,), 0.5)), ValueError,
         r"clamp: must be a boolean mask", why="non-0/1 clamp"),
    Case("update_units", lambda: att.update_units(X, W, B, [0], keep=torch.ones(3, dtype=torch.bool)), ValueError,
         r"keep: last dimension", why="keep wrong size"),
    Case("update_units", lambda: att.update_units(XPM, W, B, [1, 3]), raises=None,
         ok=lambda r: _close(r, np.where([False, True, False, True, False], np.tanh(XPM.numpy() @ WNP + B.numpy()),
                                         XPM.numpy())), why="integer state, two units"),
    Case("asynchronous_sweep", lambda: att.asynchronous_sweep(X, W, B, order=[0, 9]), ValueError,
         r"order: unit indices must lie", why="index out of range"),
    Case("asynchronous_sweep", lambda: att.asynchronous_sweep(X, WA, B), ValueError, r"W: must be symmetric",
         why="non-symmetric W"),
    Case("asynchronous_sweep", lambda: att.asynchronous_sweep(X, W - 2 * torch.eye(N, dtype=D), B), ValueError,
         r"W: self-connections must be >= -1", why="self-connection below -1"),
    Case("asynchronous_sweep", lambda: att.asynchronous_sweep(_nan(X), W, B), ValueError, r"x: must be finite", why="NaN x"),
    Case("asynchronous_sweep", lambda: att.asynchronous_sweep(X.numpy(), W, B, order=[2]), raises=None,
         ok=lambda r: _close(r, np.where(np.arange(N) == 2, np.tanh(X.numpy() @ WNP + B.numpy()), X.numpy())),
         why="numpy state, one unit"),
    Case("parallel_run", lambda: att.parallel_run(X, W, B, -1), ValueError, r"steps: must be >= 0", why="negative steps"),
    Case("parallel_run", lambda: att.parallel_run(X, W, B, 2.0), TypeError, r"steps: must be an integer", why="float steps"),
    Case("parallel_run", lambda: att.parallel_run(X, _nan(W), B, 3), ValueError, r"W: must be finite", why="NaN W"),
    Case("parallel_run", lambda: att.parallel_run(XPM, W, B, 1), raises=None,
         ok=lambda r: _close(r[1], np.tanh(XPM.numpy() @ WNP + B.numpy())), why="integer x0: weights not truncated"),
    Case("parallel_run", lambda: att.parallel_run(X, W, B, 0), raises=None, ok=lambda r: _close(r, X.numpy()[None]),
         why="zero steps: the initial state"),
    Case("groupwise_run", lambda: att.groupwise_run(X, W, B, [list(range(N))], 1), ValueError, r"W: units of update group",
         why="group with internal weights"),
    Case("groupwise_run", lambda: att.groupwise_run(X, W, B, [[j] for j in range(N)], -1), ValueError,
         r"sweeps: must be >= 0", why="negative sweeps"),
    Case("groupwise_run", lambda: att.groupwise_run(X, W, B, [[0], [7]], 1), ValueError, r"schedule: unit indices",
         why="index out of range"),
    Case("groupwise_run", lambda: att.groupwise_run(X, W, B, [[0]], 1, keep_prob=1.5), ValueError,
         r"keep_prob: must be <= 1", why="probability > 1"),
    Case("groupwise_run", lambda: att.groupwise_run(X, W, B, [], 1), ValueError, r"schedule: must contain",
         why="empty schedule"),
    Case("groupwise_run", lambda: att.groupwise_run(X, WA, B, [[0]], 1), ValueError, r"W: must be symmetric",
         why="non-symmetric W (energies)"),
    Case("groupwise_run", lambda: att.groupwise_run(X, W, B, [[j] for j in range(N)], 1), raises=None,
         ok=lambda r: _close(r[0], att.asynchronous_sweep(X, W, B).numpy()) and _close(r[1][-1], _energy_np(r[0].numpy(), WNP, B.numpy())),
         why="singleton groups = an asynchronous sweep (independent code path)"),
    Case("two_step_lyapunov", lambda: att.two_step_lyapunov(X, X[:2], W, B), ValueError, r"y: must have the shape of x",
         why="shape mismatch"),
    Case("two_step_lyapunov", lambda: att.two_step_lyapunov(X, X, WA, B), ValueError, r"W: must be symmetric",
         why="non-symmetric W"),
    Case("two_step_lyapunov", lambda: att.two_step_lyapunov(X, _nan(X), W, B), ValueError, r"y: must be finite",
         why="NaN y"),
    Case("two_step_lyapunov", lambda: att.two_step_lyapunov(XPM, XPM, W, B), raises=None,
         ok=lambda r: _close(r, [-(XPM.numpy()[0] @ WNP @ XPM.numpy()[0]) - 2 * XPM.numpy()[0] @ B.numpy() + 2 * N * math.log(2)]),
         why="integer +-1 states: L(x, x) = -x W x - 2 b x + 2 n ln 2 (float weights)"),
    Case("classify_limit", lambda: att.classify_limit(torch.zeros(2, 3, N)), ValueError, r"traj: needs at least 3",
         why="too short"),
    Case("classify_limit", lambda: att.classify_limit(torch.zeros(5, 3, N), tol=0.0), ValueError, r"tol: must be >",
         why="zero tol"),
    Case("classify_limit", lambda: att.classify_limit(_nan(torch.zeros(5, 3, N))), ValueError, r"traj: must be finite",
         why="NaN traj (would be labelled 'other')"),
    Case("classify_limit", lambda: att.classify_limit(torch.zeros(5)), ValueError, r"traj: must have shape", why="1-d"),
    Case("classify_limit", lambda: att.classify_limit(torch.stack([X, -X, X, -X])), raises=None,
         ok=lambda r: bool(r["two_cycle"].all()) and not bool(r["fixed"].any()), why="a 2-cycle"),
    # ---- chapter 3
    Case("run_to_fixed_point", lambda: att.run_to_fixed_point(X, W, B, theta=0.0), ValueError, r"theta: must be >",
         why="zero theta"),
    Case("run_to_fixed_point", lambda: att.run_to_fixed_point(X, W, B, max_iter=0), ValueError, r"max_iter: must be >= 1",
         why="zero iterations"),
    Case("run_to_fixed_point", lambda: att.run_to_fixed_point(X, W, B, schedule=[[0, 11]]), ValueError,
         r"schedule: unit indices", why="bad schedule"),
    Case("run_to_fixed_point", lambda: att.run_to_fixed_point(X, _nan(W), B), ValueError, r"W: must be finite", why="NaN W"),
    Case("run_to_fixed_point", lambda: att.run_to_fixed_point(X0.tolist(), WF, B, clamp=CLAMP, theta=1e-14), raises=None,
         ok=lambda r: _close(r[0], np.where(CLAMP.numpy(), X0.numpy(), np.tanh(r[0].numpy() @ WF.numpy() + B.numpy())), 1e-12),
         why="list x0: a fixed point of Eq. 3"),
    Case("derivative_matrix", lambda: att.derivative_matrix(torch.tensor([[1.5, 0.0]])), ValueError, r"x: activations",
         why="out of range"),
    Case("derivative_matrix", lambda: att.derivative_matrix(torch.tensor([[NAN, 0.0]])), ValueError, r"x: must be finite",
         why="NaN"),
    Case("derivative_matrix", lambda: att.derivative_matrix(torch.zeros(2, 3), clamp=torch.ones(2, dtype=torch.bool)),
         ValueError, r"clamp: last dimension", why="clamp size"),
    Case("derivative_matrix", lambda: att.derivative_matrix([[0.5, -0.5]], clamp=[True, False]), raises=None,
         ok=lambda r: _close(r, [[[0.0, 0.0], [0.0, 0.75]]]), why="lists; clamped unit zero"),
    Case("omega_series", lambda: att.omega_series(torch.zeros(3, 3), 0), ValueError, r"terms: must be >= 1", why="zero terms"),
    Case("omega_series", lambda: att.omega_series(torch.zeros(3, 2), 2), ValueError, r"A: must be a square", why="non-square"),
    Case("omega_series", lambda: att.omega_series(_nan(torch.zeros(2, 2)), 2), ValueError, r"A: must be finite", why="NaN"),
    Case("omega_series", lambda: att.omega_series(torch.zeros(2, 2), 1.5), TypeError, r"terms: must be an integer",
         why="float terms"),
    Case("omega_series", lambda: att.omega_series(0.5 * torch.eye(2, dtype=D), 3), raises=None,
         ok=lambda r: _close(r[-1], 1.75 * np.eye(2)), why="I + A + A^2 for A = I/2"),
    Case("jacobian_spectral_radius", lambda: att.jacobian_spectral_radius(W, X[:, :3]), ValueError,
         r"x_star: last dimension", why="wrong n"),
    Case("jacobian_spectral_radius", lambda: att.jacobian_spectral_radius(_nan(W), X), ValueError, r"W: must be finite",
         why="NaN W"),
    Case("jacobian_spectral_radius", lambda: att.jacobian_spectral_radius(W, X), raises=None,
         ok=lambda r: _close(r, [np.abs(np.linalg.eigvals(WNP.T * (1 - X.numpy()[k] ** 2)[None, :])).max() for k in range(3)]),
         why="numpy eigenvalues"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS * 0 + 1.0, Y, WF, MASK), ValueError,
         r"x_star: free units must lie strictly inside", why="states on the edge"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS * 3, Y, WF, MASK), ValueError,
         r"x_star: activations of tanh", why="states outside [-1, 1]"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y[:1], WF, MASK), ValueError, r"y: must have shape",
         why="y batch mismatch"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, WF, MASK[:3]), ValueError, r"M: must have shape",
         why="mask size"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, WF, MASK, method="magic"), ValueError,
         r"method: must be", why="bad method"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, WF, MASK, factor=NAN), ValueError,
         r"factor: must be finite", why="NaN factor"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS[:0], Y[:0], WF, MASK), ValueError,
         r"x_star: needs at least one state", why="empty batch"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, _nan(WF), MASK), ValueError, r"W: must be finite",
         why="NaN W"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, WF, MASK, clamp=CLAMP), raises=None,
         ok=lambda r: _close(r[0], GREF, 1e-10), why="against a numpy dense solve"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, WF, MASK, clamp=CLAMP, method="series"), raises=None,
         ok=lambda r: _close(r[0], GREF, 1e-9), why="series against a numpy dense solve"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, B, Y, MASK, 0), ValueError, r"steps: must be >= 1",
         why="zero steps"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, B, Y, MASK, -3), ValueError, r"steps: must be >= 1",
         why="negative steps"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, None, Y, MASK, 3), ValueError, r"b: bptt_gradient needs",
         why="no biases"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, B, Y, MASK, 3, every_step_from=5), ValueError,
         r"every_step_from: must be <=", why="error window after the end"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, B, Y[:, :3], MASK, 3), ValueError, r"y: must have shape",
         why="y shape"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, B, Y, MASK, 400, clamp=CLAMP), raises=None,
         ok=lambda r: _close(r[0], GREF, 1e-9), why="long BPTT = numpy dense solve"),
    Case("hessian_gradient", lambda: att.hessian_gradient(XS, Y, WF, B, MASK, clamp=CLAMP), raises=None,
         ok=lambda r: _close(r[0], GREF, 1e-10), why="energy-Hessian CG = numpy dense solve"),
    Case("hessian_gradient", lambda: att.hessian_gradient(XS, Y, WA, B, MASK), ValueError, r"W: must be symmetric",
         why="non-symmetric W"),
    Case("hessian_gradient", lambda: att.hessian_gradient(torch.zeros(1, 2, dtype=D), torch.zeros(1, 2, dtype=D),
                                                          torch.tensor([[0.0, 2.0], [2.0, 0.0]], dtype=D), torch.zeros(2, dtype=D),
                                                          torch.ones(2, dtype=D)),
         ValueError, r"x_star: the energy Hessian is not positive definite", why="saddle: CG refuses"),
    Case("hessian_gradient", lambda: att.hessian_gradient(XS, Y, WF, None, MASK), ValueError, r"W: must be one \(n, n\) matrix",
         why="no biases"),
    Case("hessian_gradient", lambda: att.hessian_gradient(XS * 0 + 1, Y, WF, B, MASK), ValueError,
         r"x_star: free units must lie strictly", why="states on the edge"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF, B, Y, MASK, 3, mask=torch.full((N, N), 0.5)), ValueError,
         r"mask: must hold 0/1", why="non-0/1 mask"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 3, method="bptt",
                                                                         compare_bptt=3),
         ValueError, r"compare_bptt: only with", why="compare with bptt method"),
    Case("stationary_gradient", lambda: att.stationary_gradient(XS, Y, WF.expand(2, N, N), MASK), ValueError,
         r"W: must be one \(n, n\) matrix", why="batched W"),
    Case("random_symmetric_weights", lambda: att.random_symmetric_weights(2, 3, scale="big"), TypeError,
         r"scale: must be a real number", why="string scale"),
    Case("hessian_gradient", lambda: att.hessian_gradient(XS, Y, WF, B, MASK, clamp=torch.stack([CLAMP, ~CLAMP])),
         ValueError, r"clamp: hessian_gradient needs one clamp pattern", why="clamp differs across the batch"),
    Case("bptt_gradient", lambda: att.bptt_gradient(X0, WF.expand(2, N, N), B, Y, MASK, 3), ValueError,
         r"W: must be one \(n, n\) matrix", why="batched W"),
    Case("delta_recursion", lambda: att.delta_recursion(torch.zeros(3, 2, N, dtype=D), WF.expand(2, N, N),
                                                        torch.zeros(2, N, dtype=D)),
         ValueError, r"W: must be one \(n, n\) matrix", why="batched W"),
    Case("newton_fixed_point", lambda: att.newton_fixed_point(XS, _nan(WF), B), ValueError, r"W: must be finite",
         why="NaN W blames W, not x_init"),
    Case("newton_fixed_point", lambda: att.newton_fixed_point(XS, WF, B, tol=-1.0), ValueError, r"tol: must be >",
         why="negative tol"),
    Case("newton_fixed_point", lambda: att.newton_fixed_point(XS, WF, B, max_iter=0), ValueError, r"max_iter: must be >= 1",
         why="zero iterations"),
    Case("newton_fixed_point", lambda: att.newton_fixed_point(XS[:, :2], WF, B), ValueError, r"x_init: last dimension",
         why="wrong n"),
    Case("newton_fixed_point", lambda: att.newton_fixed_point(0.5 * XS, WF, B, clamp=CLAMP, max_iter=1), ValueError,
         r"x_init: Newton's method did not converge", why="too few iterations: refused, not a half-way state"),
    Case("newton_fixed_point", lambda: att.newton_fixed_point(XS, WF, B, clamp=CLAMP), raises=None,
         ok=lambda r: _close(r, XS.numpy(), 1e-12), why="returns the fixed point found by iteration"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 3, method="x"),
         ValueError, r"method: must be", why="bad method"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.ones(4, dtype=torch.bool), 3),
         ValueError, r"clamp: leaves no free", why="everything clamped"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.full((2, 4), 2.0, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 3),
         ValueError, r"patterns: activations", why="patterns outside [-1, 1]"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 0),
         ValueError, r"n_hidden: must be >= 1", why="no hidden units"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 3, lr=NAN),
         ValueError, r"lr: must be finite", why="NaN lr"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 3, steps=0),
         ValueError, r"steps: must be >= 1", why="zero steps"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(4, dtype=torch.bool), 3,
                                                                         optimizer="lbfgs"),
         ValueError, r"optimizer: must be", why="bad optimizer"),
    Case("train_pattern_completion", lambda: att.train_pattern_completion(torch.zeros(2, 4, dtype=D),
                                                                         torch.zeros(3, dtype=torch.bool), 3),
         ValueError, r"clamp: must have shape", why="clamp size"),
    Case("delta_recursion", lambda: att.delta_recursion(torch.zeros(1, 2, N, dtype=D), WF, torch.zeros(2, N, dtype=D)),
         ValueError, r"traj: must have shape \(t\+1, B, n\)", why="t = 0"),
    Case("delta_recursion", lambda: att.delta_recursion(torch.zeros(3, 2, N, dtype=D), WF, torch.zeros(2, 3, dtype=D)),
         ValueError, r"delta_t: must have shape", why="delta_t shape"),
    Case("delta_recursion", lambda: att.delta_recursion(torch.zeros(3, 2, N, dtype=D), WF[:3, :3], torch.zeros(2, N, dtype=D)),
         ValueError, r"traj: last dimension", why="W size"),
    Case("delta_recursion", lambda: att.delta_recursion(_nan(torch.zeros(3, 2, N, dtype=D)), WF, torch.zeros(2, N, dtype=D)),
         ValueError, r"traj: must be finite", why="NaN"),
    Case("delta_recursion", lambda: att.delta_recursion(torch.zeros(3, 1, N, dtype=D), WF, torch.ones(1, N, dtype=D)),
         raises=None, ok=lambda r: _close(r[0], np.ones((1, N)) @ WF.numpy().T) and _close(r[-1], np.ones((1, N))),
         why="zero trajectory: D = I, delta_1 = delta_2 W^T"),
    Case("implicit_vjp", lambda: att.implicit_vjp(None, XS, XS, [WF]), TypeError, r"step: must be callable",
         why="not callable"),
    Case("implicit_vjp", lambda: att.implicit_vjp(lambda x, w: torch.tanh(x @ w), XS, XS[:, :2], [WF]), ValueError,
         r"grad_x: must have the shape", why="grad_x shape"),
    Case("implicit_vjp", lambda: att.implicit_vjp(lambda x, w: torch.tanh(x @ w + B), XS + 0.1, XS, [WF]), ValueError,
         r"x_star: is not a fixed point", why="not a fixed point"),
    Case("implicit_vjp", lambda: att.implicit_vjp(lambda x, w: torch.tanh(x @ w), XS, XS, [WF], tol=0.0), ValueError,
         r"tol: must be >", why="zero tol"),
    Case("implicit_vjp", lambda: att.implicit_vjp(lambda x, w: (x @ w)[:, :2], XS, XS, [WF], fixed_point_tol=10.0),
         ValueError, r"step: must map x_star", why="step changes the shape"),
    Case("implicit_vjp", lambda: att.implicit_vjp(lambda x, w, b_: torch.where(CLAMP, Y, torch.tanh(x @ w + b_)), XS,
                                                  2 * (XS - Y) * MASK, [WF, B]), raises=None,
         ok=lambda r: _close(r[0][0], GREF, 1e-9), why="against a numpy dense solve"),
]

CASES = C + CONV_CASES
EXEMPT = dict(CONV_EXEMPT)


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    missing = sorted(set(att.__all__) - covered)
    assert not missing, f"no sweep case for {missing}"


@pytest.mark.parametrize("case", C, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
