"""Lyapunov spectra of continuous-time flows by the QR (Benettin) method, batched.

For ``dx/dt = F(x)`` the tangent vectors obey ``dQ/dt = D(x) Q`` with
``D = dF/dx``.  State and tangent vectors are advanced together by RK4 (which makes
the tangent update the exact linearisation of the RK4 step map), and every
``qr_every`` steps the tangent vectors are re-orthonormalised, ``Q R = Q'``, the
logarithms ``log |R_ii|`` being accumulated.  After a time ``T`` the ``i``-th
exponent is ``sum log|R_ii| / T`` (book Part IV, chapter 3).

A batch of ``B`` systems (an ensemble, a sweep over gains) is a leading batch
dimension: states ``(B, d)``, tangent vectors ``(B, d, k)``.

Test systems with known answers: :func:`linear_flow` (exponents are the real parts
of the eigenvalues) and :func:`random_tanh_flow` (``dx/dt = -x + g J tanh(x)``; with a
zero diagonal the exponents average to exactly ``-1``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._part4_args import (positive_scalar, real_finite, require_callable, require_float_dtype, require_int,
                          require_tensor)
from .validation import require_finite, require_ndim, require_positive, require_shape, require_square

__all__ = [
    "LyapunovResult",
    "lyapunov_spectrum",
    "linear_flow",
    "random_tanh_flow",
    "random_coupling",
    "trace_average",
    "scs_dmft_largest_exponent",
]


@dataclass
class LyapunovResult:
    """Output of :func:`lyapunov_spectrum`.

    Attributes
    ----------
    exponents : torch.Tensor ``(B, k)``, in decreasing order.
    running : torch.Tensor ``(n_qr, B, k)``, the running estimates after each QR
        (for convergence plots).
    time : float, the averaging time ``T``.
    x_final : torch.Tensor ``(B, d)``.
    trace_mean : torch.Tensor ``(B,)``, time average of ``tr D(x(t))`` over the same
        window (trapezoidal on the RK4 grid) when ``trace`` was given, else ``None``.
    """

    exponents: "torch.Tensor"
    running: "torch.Tensor"
    time: float
    x_final: "torch.Tensor"
    trace_mean: "torch.Tensor | None" = None


def _rk4_joint(field, tangent, x, Q, dt):
    k1 = field(x)
    l1 = tangent(x, Q)
    x2 = x + 0.5 * dt * k1
    k2 = field(x2)
    l2 = tangent(x2, Q + 0.5 * dt * l1)
    x3 = x + 0.5 * dt * k2
    k3 = field(x3)
    l3 = tangent(x3, Q + 0.5 * dt * l2)
    x4 = x + dt * k3
    k4 = field(x4)
    l4 = tangent(x4, Q + dt * l3)
    return x + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4), Q + (dt / 6) * (l1 + 2 * l2 + 2 * l3 + l4)


def _rk4(field, x, dt):
    k1 = field(x)
    k2 = field(x + 0.5 * dt * k1)
    k3 = field(x + 0.5 * dt * k2)
    k4 = field(x + dt * k3)
    return x + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)


def lyapunov_spectrum(field: Callable, tangent: Callable, x0, *, dt: float, n_steps: int, k: int | None = None,
                      qr_every: int = 1, transient_steps: int = 0, trace: Callable | None = None,
                      seed: int = 0, q0=None, desc: str | None = None) -> LyapunovResult:
    """The ``k`` largest Lyapunov exponents of a batch of continuous-time flows.

    Parameters
    ----------
    field : callable ``(B, d) -> (B, d)``
        The vector field ``F``.
    tangent : callable ``((B, d), (B, d, k)) -> (B, d, k)``
        ``(x, V) -> D(x) V``.
    x0 : torch.Tensor ``(B, d)``
        Initial states.
    dt : float
        RK4 step.
    n_steps : int
        Steps in the averaging window, ``T = n_steps * dt``; a multiple of ``qr_every``.
    k : int, optional
        Number of exponents (default ``d``, the full spectrum).
    qr_every : int
        Re-orthonormalisation interval in steps (1 = every step).
    transient_steps : int
        Steps discarded before the tangent vectors start (state transient).
    trace : callable ``(B, d) -> (B,)``, optional
        ``tr D(x)``; when given its time average over the window is returned (the
        sum of all ``d`` exponents must equal it).
    seed : int
        Seed of the random initial tangent vectors.
    q0 : torch.Tensor ``(B, d, k)``, optional
        Initial tangent vectors (orthonormalised here); overrides ``seed``.
    desc : str, optional
        Progress-bar label.

    Returns
    -------
    LyapunovResult
    """
    import torch

    require_callable(field, "field")
    require_callable(tangent, "tangent")
    if trace is not None:
        require_callable(trace, "trace")
    require_ndim(x0, "x0", 2)
    require_tensor(x0, "x0")
    if not x0.dtype.is_floating_point:
        raise TypeError(f"x0: must be a real floating tensor, got dtype {x0.dtype}")
    dt = positive_scalar(dt, "dt")
    B, d = x0.shape
    if B < 1 or d < 1:
        raise ValueError(f"x0: must have at least one system of dimension >= 1, got shape {(B, d)}")
    k = d if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= d:
        raise ValueError(f"k: must be an integer in [1, d = {d}], got {k!r}")
    if isinstance(qr_every, bool) or not isinstance(qr_every, (int, np.integer)) or qr_every < 1:
        raise ValueError(f"qr_every: must be a positive integer, got {qr_every!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < qr_every or n_steps % qr_every:
        raise ValueError(f"n_steps: must be a positive multiple of qr_every = {qr_every}, got {n_steps!r}")
    transient_steps = require_int(transient_steps, "transient_steps", 0)
    f0 = field(x0)
    if not isinstance(f0, torch.Tensor) or f0.shape != x0.shape:
        raise ValueError(f"field: must return a tensor of the shape of x0 {tuple(x0.shape)}, "
                         f"got {tuple(getattr(f0, 'shape', ()))}")
    x = x0
    for _ in range(transient_steps):
        x = _rk4(field, x, dt)
    if q0 is None:
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        Q = torch.randn(B, d, k, generator=gen, dtype=x0.dtype).to(x0.device)
    else:
        require_shape(q0, "q0", (B, d, k))
        require_tensor(q0, "q0")
        Q = q0.to(dtype=x0.dtype, device=x0.device)
    Q, R0 = torch.linalg.qr(Q)
    rdiag = torch.diagonal(R0, dim1=-2, dim2=-1).abs()
    if not bool((rdiag > 1e-10 * rdiag.amax(-1, keepdim=True).clamp_min(1e-300)).all()):
        raise ValueError(f"q0: must have linearly independent columns (rank {k}); a zero R_ii gives log 0")
    t0 = tangent(x, Q)
    if not isinstance(t0, torch.Tensor) or t0.shape != Q.shape:
        raise ValueError(f"tangent: must return a tensor of the shape of V {tuple(Q.shape)}, "
                         f"got {tuple(getattr(t0, 'shape', ()))}")
    logsum = torch.zeros(B, k, dtype=x0.dtype, device=x0.device)
    running = []
    tr_sum = None
    if trace is not None:
        tr_sum = 0.5 * dt * trace(x)
    blocks = range(n_steps // qr_every)
    if desc:
        from .device import progress

        blocks = progress(blocks, desc=desc)
    done = 0
    for _ in blocks:
        for _ in range(qr_every):
            x, Q = _rk4_joint(field, tangent, x, Q, dt)
            done += 1
            if trace is not None:
                tr_sum = tr_sum + (0.5 if done == n_steps else 1.0) * dt * trace(x)
        Q, R = torch.linalg.qr(Q)
        logsum = logsum + torch.log(torch.diagonal(R, dim1=-2, dim2=-1).abs())
        running.append(logsum / (done * dt))
    T = n_steps * dt
    if not (bool(torch.isfinite(x).all()) and bool(torch.isfinite(logsum).all())):
        raise ValueError("field: the trajectory or its tangent vectors became non-finite (the flow diverged, "
                         "or dt is too large)")
    exps = torch.sort(logsum / T, dim=-1, descending=True).values
    return LyapunovResult(exps, torch.stack(running), T, x, None if trace is None else tr_sum / T)


def trace_average(values_over_time, dt: float):
    """Trapezoidal time average of samples ``(n+1, B)`` taken every ``dt`` (``n >= 1``)."""
    v = values_over_time
    require_ndim(v, "values_over_time", 2)
    if v.shape[0] < 2:
        raise ValueError(f"values_over_time: must have at least 2 samples in time (T > 0), got shape {tuple(v.shape)}")
    require_finite(v, "values_over_time")
    dt = positive_scalar(dt, "dt")
    T = dt * (v.shape[0] - 1)
    return dt * (0.5 * v[0] + v[1:-1].sum(0) + 0.5 * v[-1]) / T


def _require_float_tensor(x, name):
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: must be a torch.Tensor, got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"{name}: must be a real floating tensor, got dtype {x.dtype}")
    return x


def linear_flow(A):
    """``(field, tangent, trace)`` for the constant linear system ``dx/dt = A x``.

    Parameters
    ----------
    A : torch.Tensor ``(B, d, d)``

    Its Lyapunov exponents are the real parts of the eigenvalues of ``A``.
    """
    _require_float_tensor(A, "A")
    require_square(A, "A")
    require_ndim(A, "A", 3)
    require_finite(A, "A")

    def field(x):
        return (A @ x.unsqueeze(-1)).squeeze(-1)

    def tangent(x, V):
        return A @ V

    def trace(x):
        return A.diagonal(dim1=-2, dim2=-1).sum(-1).expand(x.shape[0])

    return field, tangent, trace


def random_coupling(n: int, batch: int = 1, *, zero_diagonal: bool = False, seed: int = 0, device=None, dtype=None):
    """``J_ij ~ N(0, 1/N)``, shape ``(B, N, N)``; optionally with ``J_ii = 0``."""
    import torch

    from .device import get_device

    n = require_int(n, "n", 1)
    batch = require_int(batch, "batch", 1)
    device = get_device() if device is None else torch.device(device)
    dtype = torch.float64 if dtype is None else require_float_dtype(dtype)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    J = torch.randn(batch, n, n, generator=gen, dtype=dtype) / math.sqrt(n)
    if zero_diagonal:
        J = J * (1 - torch.eye(n, dtype=dtype))
    return J.to(device)


def random_tanh_flow(J, g):
    """``(field, tangent, trace)`` for the vanilla rate network ``dx/dt = -x + g J tanh(x)``.

    Parameters
    ----------
    J : torch.Tensor ``(B, N, N)``
    g : float or torch.Tensor ``(B,)``

    The Jacobian is ``-I + g J diag(1 - tanh(x)^2)``, so ``tr D = -N + g sum_i J_ii
    (1 - tanh(x_i)^2)``: with ``J_ii = 0`` the exponents average to exactly ``-1``
    (Sompolinsky, Crisanti & Sommers 1988; Engelken, Wolf & Abbott 2020).
    """
    import torch

    _require_float_tensor(J, "J")
    require_ndim(J, "J", 3)
    require_square(J, "J")
    require_finite(J, "J")
    B = J.shape[0]
    g = real_finite(g, "g").reshape(-1)
    if g.size not in (1, B):
        raise ValueError(f"g: must be a scalar or have length B = {B}, got {g.size} values")
    g = torch.as_tensor(g, dtype=J.dtype, device=J.device).expand(B)
    gJ = g[:, None, None] * J
    diagJ = gJ.diagonal(dim1=-2, dim2=-1)

    def field(x):
        return -x + (gJ @ torch.tanh(x).unsqueeze(-1)).squeeze(-1)

    def tangent(x, V):
        return -V + gJ @ ((1 - torch.tanh(x) ** 2).unsqueeze(-1) * V)

    def trace(x):
        return -x.shape[-1] + (diagJ * (1 - torch.tanh(x) ** 2)).sum(-1)

    return field, tangent, trace


# --------------------------------------------------------------------------- #
# Dynamical mean-field prediction of the largest exponent (chapter 3)
# --------------------------------------------------------------------------- #
def _logcosh(u):
    a = np.abs(u)
    return a + np.log1p(np.exp(-2 * a)) - np.log(2.0)


def _pair_moment(fun, D0: float, D, nodes, weights):
    """``E[fun(z1) fun(z2)]`` for centred Gaussians of variance ``D0`` and covariance ``D in [0, D0]``."""
    D = np.clip(np.atleast_1d(np.asarray(D, float)), 0.0, D0)
    out = np.empty_like(D)
    for m, d in enumerate(D):  # one (nodes x nodes) table per covariance keeps memory small
        inner = fun(np.sqrt(d) * nodes[:, None] + np.sqrt(D0 - d) * nodes[None, :]) @ weights  # E_u fun(...)
        out[m] = (inner ** 2) @ weights
    return out


def _gauss_grid(n: int, half_width: float = 10.0):
    """Trapezoidal nodes/weights for ``E[f(xi)]``, ``xi ~ N(0,1)`` (robust for sharply peaked ``f``)."""
    x = np.linspace(-half_width, half_width, int(n))
    w = np.exp(-x ** 2 / 2) * (x[1] - x[0]) / np.sqrt(2 * np.pi)
    return x, w


def scs_dmft_largest_exponent(g: float, *, tau_max: float = 60.0, n_tau: int = 3000, n_quad: int = 401):
    """Largest Lyapunov exponent of ``dx/dt = -x + g J tanh(x)`` in the large-N limit (DMFT).

    The dynamical mean-field theory of Sompolinsky, Crisanti & Sommers (1988) (book Part IV,
    chapter 3): the autocorrelation obeys ``Delta'' = Delta - g^2 C_phi(Delta)``, a particle in
    the potential ``V(Delta) = -Delta^2/2 + g^2 C_Phi(Delta)`` (``Phi = log cosh``); the chaotic
    solution starts at rest at ``Delta_0`` with ``V(Delta_0) = V(0)`` and decays to 0.  Perturbations
    obey ``(d_t + 1)(d_s + 1) C(t, s) = g^2 C_phi'(t - s) C(t, s)``; with ``C ~ exp(2 lambda T)
    psi(tau)`` this is ``[-d_tau^2 - g^2 C_phi'(tau)] psi = -(1 + lambda)^2 psi``, so
    ``lambda_max = -1 + sqrt(-E_0)`` with ``E_0`` the ground-state energy, found by finite
    differences on ``[-tau_max, tau_max]``.  Gaussian expectations use a trapezoidal rule on
    ``n_quad`` points of ``[-10, 10]`` standard deviations (``tanh'`` is sharply peaked when the
    variance is large, where Gauss-Hermite converges slowly).

    For ``g <= 1`` the only solution is ``Delta = 0``; the same eigenproblem then has a constant
    potential and gives ``-1 + g`` up to the ``O(tau_max^-2)`` box correction.

    Returns
    -------
    (lambda_max, Delta_0) : floats.
    """
    from scipy.integrate import solve_ivp
    from scipy.interpolate import CubicSpline
    from scipy.linalg import eigh_tridiagonal
    from scipy.optimize import brentq

    g = positive_scalar(g, "g")
    tau_max = positive_scalar(tau_max, "tau_max")
    n_tau = require_int(n_tau, "n_tau", 2)
    n_quad = require_int(n_quad, "n_quad", 3)
    nodes, weights = _gauss_grid(n_quad)
    dphi = lambda u: 1 - np.tanh(u) ** 2  # noqa: E731
    tau = np.linspace(0.0, tau_max, n_tau + 1)
    h = tau[1] - tau[0]

    def ground_state_exponent(pot_half):
        pot = np.concatenate([pot_half[::-1], pot_half[1:]])
        E0 = eigh_tridiagonal(2 / h ** 2 + pot, -np.ones(len(pot) - 1) / h ** 2, select="i",
                              select_range=(0, 0))[0][0]
        return float(-1.0 + np.sqrt(-E0))

    if g <= 1.0:  # only the quiescent solution Delta = 0: the same eigenproblem with C_phi' = phi'(0)^2
        c0 = _pair_moment(dphi, 0.0, np.zeros(1), nodes, weights)[0]
        return ground_state_exponent(-g ** 2 * c0 * np.ones_like(tau)), 0.0

    def energy_gap(D0):  # V(D0) - V(0)
        z = np.sqrt(D0) * nodes
        return -D0 ** 2 / 2 + g ** 2 * (np.sum(weights * _logcosh(z) ** 2) - np.sum(weights * _logcosh(z)) ** 2)

    hi = 1.0
    while energy_gap(hi) > 0:
        hi *= 2.0
    D0 = brentq(energy_gap, 1e-8, hi, xtol=1e-14)
    grid = np.linspace(0.0, D0, 200)
    C_phi = CubicSpline(grid, _pair_moment(np.tanh, D0, grid, nodes, weights))
    C_dphi = CubicSpline(grid, _pair_moment(dphi, D0, grid, nodes, weights))
    sol = solve_ivp(lambda t, y: [y[1], y[0] - g ** 2 * C_phi(y[0])], (0.0, tau_max), [D0, 0.0], t_eval=tau,
                    rtol=1e-10, atol=1e-13, method="DOP853")
    D = np.zeros_like(tau)
    D[: sol.y.shape[1]] = sol.y[0]
    leave = np.nonzero((D < 0) | (D > D0) | ~np.isfinite(D))[0]
    if leave.size:  # the separatrix is unstable numerically: once it is left, Delta has decayed
        D[leave[0]:] = 0.0
    return ground_state_exponent(-g ** 2 * C_dphi(np.clip(D, 0.0, D0))), float(D0)
