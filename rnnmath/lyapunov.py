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

from .validation import require_ndim, require_positive, require_shape, require_square

__all__ = [
    "LyapunovResult",
    "lyapunov_spectrum",
    "linear_flow",
    "random_tanh_flow",
    "random_coupling",
    "trace_average",
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

    require_ndim(x0, "x0", 2)
    require_positive(dt, "dt")
    B, d = x0.shape
    k = d if k is None else k
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= d:
        raise ValueError(f"k: must be an integer in [1, d = {d}], got {k!r}")
    if not isinstance(qr_every, (int, np.integer)) or qr_every < 1:
        raise ValueError(f"qr_every: must be a positive integer, got {qr_every!r}")
    if not isinstance(n_steps, (int, np.integer)) or n_steps < qr_every or n_steps % qr_every:
        raise ValueError(f"n_steps: must be a positive multiple of qr_every = {qr_every}, got {n_steps!r}")
    if not isinstance(transient_steps, (int, np.integer)) or transient_steps < 0:
        raise ValueError(f"transient_steps: must be a non-negative integer, got {transient_steps!r}")
    x = x0
    for _ in range(transient_steps):
        x = _rk4(field, x, dt)
    if q0 is None:
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        Q = torch.randn(B, d, k, generator=gen, dtype=x0.dtype).to(x0.device)
    else:
        require_shape(q0, "q0", (B, d, k))
        Q = q0.to(dtype=x0.dtype, device=x0.device)
    Q, _ = torch.linalg.qr(Q)
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
    exps = torch.sort(logsum / T, dim=-1, descending=True).values
    return LyapunovResult(exps, torch.stack(running), T, x, None if trace is None else tr_sum / T)


def trace_average(values_over_time, dt: float):
    """Trapezoidal time average of samples ``(n+1, B)`` taken every ``dt``."""
    v = values_over_time
    T = dt * (v.shape[0] - 1)
    return dt * (0.5 * v[0] + v[1:-1].sum(0) + 0.5 * v[-1]) / T


def linear_flow(A):
    """``(field, tangent, trace)`` for the constant linear system ``dx/dt = A x``.

    Parameters
    ----------
    A : torch.Tensor ``(B, d, d)``

    Its Lyapunov exponents are the real parts of the eigenvalues of ``A``.
    """
    require_square(A, "A")
    require_ndim(A, "A", 3)

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

    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a positive integer, got {n!r}")
    device = get_device() if device is None else torch.device(device)
    dtype = torch.float64 if dtype is None else dtype
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

    require_ndim(J, "J", 3)
    require_square(J, "J")
    B = J.shape[0]
    g = torch.as_tensor(g, dtype=J.dtype, device=J.device).reshape(-1).expand(B)
    gJ = g[:, None, None] * J
    diagJ = gJ.diagonal(dim1=-2, dim2=-1)

    def field(x):
        return -x + (gJ @ torch.tanh(x).unsqueeze(-1)).squeeze(-1)

    def tangent(x, V):
        return -V + gJ @ ((1 - torch.tanh(x) ** 2).unsqueeze(-1) * V)

    def trace(x):
        return -x.shape[-1] + (diagJ * (1 - torch.tanh(x) ** 2)).sum(-1)

    return field, tangent, trace
