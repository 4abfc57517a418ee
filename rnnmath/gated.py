"""Continuous-time gated RNNs (Part IV, note 003: Krishnamurthy, Can & Schwab).

The network has three populations of ``N`` units, stacked into one state
``x = (h, z, r)`` of length ``3N`` (book Part IV, chapter 1; note 003, "Equations of
motion")::

    dh/dt = sigma(z) * (-h + g_h J^h (phi(h) * sigma(r)))
    dz/dt = -z + alpha_z J^z phi(h)
    dr/dt = -r + alpha_r J^r phi(h)

with ``phi = tanh``, ``sigma`` the logistic function and ``J^{h,z,r}_{ij} ~ N(0, 1/N)``.

Everything is batched: an ensemble (or a sweep over hyperparameters) is a leading
batch dimension ``B``; states have shape ``(B, 3N)``, couplings ``(B, N, N)`` and the
hyperparameters ``(B,)``.  One code path serves the CPU and the GPU.

Contents
--------
:class:`GatedNetwork`, :func:`random_gated_network`   parameters (batched)
:func:`gated_vector_field`, :func:`gated_jacobian`, :func:`gated_tangent`
:func:`integrate`                                    fixed-step RK4 for any batched field
:func:`mft_gaussian_moments`, :func:`mft_residual`, :func:`mft_fixed_point_solutions`
                                                     fixed-point mean-field theory (chapter 2)
:func:`zero_fixed_point_jacobian`                    linearisation at x = 0 (chapter 2)
:func:`find_fixed_points`                            damped Newton on the h-equation (chapter 2)
:func:`adjoint_gradient`, :func:`autograd_gradient`  gradients of a time-integrated loss (chapter 5;
                                                     defined in :mod:`rnnmath.gated_adjoint`, re-exported)
:func:`largest_lyapunov_sweep`, :func:`classify_regions`  the batched phase diagram (chapter 4)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .linalg import solve as guarded_solve
from .device import get_device
from ._part4_args import (broadcast, positive_scalar, real_finite, require_callable, require_float_dtype, require_int,
                          require_tensor)
from .validation import require_finite, require_ndim, require_positive, require_shape

__all__ = [
    "GatedNetwork",
    "random_gated_network",
    "split_state",
    "gated_vector_field",
    "gated_jacobian",
    "gated_tangent",
    "symbolic_jacobian_blocks",
    "rk4_step",
    "integrate",
    "gauss_hermite",
    "mft_gaussian_moments",
    "mft_residual",
    "mft_fixed_point_solutions",
    "mft_small_variance_series",
    "mft_onset_gain",
    "zero_fixed_point_jacobian",
    "fixed_point_residual",
    "fixed_point_residual_jacobian",
    "find_fixed_points",
    "adjoint_gradient",
    "autograd_gradient",
    "quadratic_state_loss",
    "scalar_adjoint_example",
    "gradient_norm_terms",
    "adjoint_propagation",
    "autograd_propagation",
    "REGIONS",
    "largest_lyapunov_sweep",
    "classify_regions",
]


# --------------------------------------------------------------------------- #
# Parameters
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class GatedNetwork:
    """A batch of ``B`` gated networks of ``N`` units each.

    Attributes
    ----------
    J_h, J_z, J_r : torch.Tensor, shape ``(B, N, N)``
        Couplings of the activation, update gate and reset gate.
    g_h, alpha_z, alpha_r : torch.Tensor, shape ``(B,)``
        Gain of the activation and of the two gates.
    """

    J_h: "torch.Tensor"
    J_z: "torch.Tensor"
    J_r: "torch.Tensor"
    g_h: "torch.Tensor"
    alpha_z: "torch.Tensor"
    alpha_r: "torch.Tensor"

    def __post_init__(self):
        import torch

        for name in ("J_h", "J_z", "J_r", "g_h", "alpha_z", "alpha_r"):
            if not isinstance(getattr(self, name), torch.Tensor):
                raise TypeError(f"{name}: must be a torch.Tensor, got {type(getattr(self, name)).__name__}")
        if not self.J_h.dtype.is_floating_point:
            raise TypeError(f"J_h: must be a real floating tensor, got dtype {self.J_h.dtype}")
        require_ndim(self.J_h, "J_h", 3)
        B, N, N2 = self.J_h.shape
        if N != N2:
            raise ValueError(f"J_h: must have shape (B, N, N), got {tuple(self.J_h.shape)}")
        if B < 1 or N < 1:
            raise ValueError(f"J_h: must hold at least one network of at least one unit, got shape {(B, N, N2)}")
        require_shape(self.J_z, "J_z", (B, N, N))
        require_shape(self.J_r, "J_r", (B, N, N))
        for name in ("J_h", "J_z", "J_r", "g_h", "alpha_z", "alpha_r"):
            v = getattr(self, name)
            if v.dtype != self.J_h.dtype:
                raise TypeError(f"{name}: must have the dtype of J_h ({self.J_h.dtype}), got {v.dtype}")
            if v.device != self.J_h.device:
                raise ValueError(f"{name}: must be on the device of J_h ({self.J_h.device}), got {v.device}")
            if name.startswith("J"):
                require_finite(v, name)
        for name in ("g_h", "alpha_z", "alpha_r"):
            require_shape(getattr(self, name), name, (B,))
            require_finite(getattr(self, name), name)

    @property
    def n(self) -> int:
        """Number of units ``N`` per population."""
        return int(self.J_h.shape[-1])

    @property
    def batch(self) -> int:
        """Batch size ``B``."""
        return int(self.J_h.shape[0])

    def with_gains(self, g_h=None, alpha_z=None, alpha_r=None) -> "GatedNetwork":
        """Same couplings, new gains (each a scalar or a ``(B,)`` tensor)."""
        import torch

        def fix(v, old, name):
            if v is None:
                return old
            arr = real_finite(v, name).reshape(-1)
            if arr.size not in (1, old.numel()):
                raise ValueError(f"{name}: must be a scalar or have length B = {old.numel()}, got {arr.size} values")
            return torch.as_tensor(arr, dtype=old.dtype, device=old.device).expand(old.shape).clone()

        return replace(self, g_h=fix(g_h, self.g_h, "g_h"), alpha_z=fix(alpha_z, self.alpha_z, "alpha_z"),
                       alpha_r=fix(alpha_r, self.alpha_r, "alpha_r"))


def random_gated_network(n: int, g_h, alpha_z, alpha_r, *, batch: int | None = None, seed: int | None = 0,
                         device=None, dtype=None) -> GatedNetwork:
    """Draw ``J^{h,z,r}_{ij} ~ N(0, 1/N)`` for a batch of networks.

    Parameters
    ----------
    n : int
        Units per population ``N``.
    g_h, alpha_z, alpha_r : float or array of shape ``(B,)``
        Gains; scalars are broadcast to the batch.
    batch : int, optional
        ``B``; inferred from the gains when they are arrays, else 1.
    seed : int or None
        Seed of a private torch generator (reproducible ensembles).
    device, dtype
        Default ``rnnmath.get_device()`` and ``torch.float64``.
    """
    import torch

    n = require_int(n, "n", 1)
    device = get_device() if device is None else torch.device(device)
    dtype = torch.float64 if dtype is None else require_float_dtype(dtype)
    gains = [torch.as_tensor(real_finite(v, name), dtype=dtype).reshape(-1)
             for v, name in ((g_h, "g_h"), (alpha_z, "alpha_z"), (alpha_r, "alpha_r"))]
    sizes = {int(v.numel()) for v in gains if v.numel() != 1}
    if len(sizes) > 1:
        raise ValueError(f"g_h/alpha_z/alpha_r: batched gains must have one common length, got {sorted(sizes)}")
    B = require_int(batch, "batch", 1) if batch is not None else (sizes.pop() if sizes else 1)
    if sizes and B not in sizes:
        raise ValueError(f"batch: {B} does not match the length of the gains {sorted(sizes)}")
    gains = [v.expand(B).clone().to(device) for v in gains]
    gen = torch.Generator(device="cpu")
    if seed is not None:
        gen.manual_seed(int(seed))
    else:
        gen.seed()
    Js = [(torch.randn(B, n, n, generator=gen, dtype=dtype) / math.sqrt(n)).to(device) for _ in range(3)]
    return GatedNetwork(Js[0], Js[1], Js[2], *gains)


# --------------------------------------------------------------------------- #
# Vector field and Jacobian (chapter 1)
# --------------------------------------------------------------------------- #
def split_state(x, n: int):
    """Return views ``(h, z, r)`` of a state ``(..., 3N)``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a positive integer, got {n!r}")
    if np.ndim(x) < 1 or x.shape[-1] != 3 * n:
        raise ValueError(f"x: last dimension must be 3N = {3 * n}, got shape {tuple(x.shape)}")
    return x[..., :n], x[..., n:2 * n], x[..., 2 * n:]


def _mv(J, v):
    """Batched matrix-vector product ``(B,N,N) @ (B,N) -> (B,N)``."""
    return (J @ v.unsqueeze(-1)).squeeze(-1)


def _check_net(net):
    if not isinstance(net, GatedNetwork):
        raise TypeError(f"net: must be a GatedNetwork, got {type(net).__name__}")
    return net


def _check_state(x, net: GatedNetwork, name: str = "x", width: int | None = None):
    """``x``: a finite tensor of shape ``(B, 3N)`` (or ``(B, width)``) with the network's dtype and device."""
    _check_net(net)
    require_shape(x, name, (net.batch, 3 * net.n if width is None else width))
    require_tensor(x, name, like=net.J_h)


def gated_vector_field(x, net: GatedNetwork):
    """Right-hand side of the equations of motion (note 003, "Equations of motion").

    Parameters
    ----------
    x : torch.Tensor, shape ``(B, 3N)``
        Stacked state ``(h, z, r)``.
    net : GatedNetwork

    Returns
    -------
    torch.Tensor, shape ``(B, 3N)``
        ``(dh/dt, dz/dt, dr/dt)``.
    """
    import torch

    _check_state(x, net)
    h, z, r = split_state(x, net.n)
    ph = torch.tanh(h)
    rec = _mv(net.J_h, ph * torch.sigmoid(r))
    dh = torch.sigmoid(z) * (-h + net.g_h[:, None] * rec)
    dz = -z + net.alpha_z[:, None] * _mv(net.J_z, ph)
    dr = -r + net.alpha_r[:, None] * _mv(net.J_r, ph)
    return torch.cat([dh, dz, dr], dim=-1)


def gated_jacobian(x, net: GatedNetwork):
    """The instantaneous Jacobian ``D(t) = dF/dx`` (book Part IV, chapter 1, eq. p4-eq-jacobian).

    Block form, with ``s_z = sigma(z)``, ``s_r = sigma(r)``, ``u = phi(h) * s_r``::

        D_hh = diag(s_z) (-I + g_h J^h diag(phi'(h) s_r))
        D_hz = diag(sigma'(z) * (-h + g_h J^h u))
        D_hr = g_h diag(s_z) J^h diag(phi(h) sigma'(r))
        D_zh = alpha_z J^z diag(phi'(h)),   D_zz = -I,  D_zr = 0
        D_rh = alpha_r J^r diag(phi'(h)),   D_rz = 0,   D_rr = -I

    Parameters
    ----------
    x : torch.Tensor, shape ``(B, 3N)``
    net : GatedNetwork

    Returns
    -------
    torch.Tensor, shape ``(B, 3N, 3N)``
    """
    import torch

    _check_state(x, net)
    B, N = net.batch, net.n
    h, z, r = split_state(x, N)
    ph, dph = torch.tanh(h), 1 - torch.tanh(h) ** 2
    sz, sr = torch.sigmoid(z), torch.sigmoid(r)
    dsz, dsr = sz * (1 - sz), sr * (1 - sr)
    g = net.g_h[:, None, None]
    eye = torch.eye(N, dtype=x.dtype, device=x.device).expand(B, N, N)
    zero = torch.zeros(B, N, N, dtype=x.dtype, device=x.device)
    pre = -h + net.g_h[:, None] * _mv(net.J_h, ph * sr)
    D_hh = sz[:, :, None] * (-eye + g * net.J_h * (dph * sr)[:, None, :])
    D_hz = torch.diag_embed(dsz * pre)
    D_hr = g * sz[:, :, None] * net.J_h * (ph * dsr)[:, None, :]
    D_zh = net.alpha_z[:, None, None] * net.J_z * dph[:, None, :]
    D_rh = net.alpha_r[:, None, None] * net.J_r * dph[:, None, :]
    top = torch.cat([D_hh, D_hz, D_hr], dim=-1)
    mid = torch.cat([D_zh, -eye, zero], dim=-1)
    bot = torch.cat([D_rh, zero, -eye], dim=-1)
    return torch.cat([top, mid, bot], dim=-2)


def gated_tangent(x, V, net: GatedNetwork):
    """Matrix-free product ``D(x) V`` for tangent vectors (used by the Lyapunov routine).

    Parameters
    ----------
    x : torch.Tensor, shape ``(B, 3N)``
    V : torch.Tensor, shape ``(B, 3N, k)``
    net : GatedNetwork

    Returns
    -------
    torch.Tensor, shape ``(B, 3N, k)``, equal to ``gated_jacobian(x, net) @ V`` at
    ``O(N^2 k)`` cost instead of ``O(9 N^2 k)``.
    """
    import torch

    _check_state(x, net)
    N = net.n
    if np.ndim(V) != 3 or tuple(V.shape[:2]) != (net.batch, 3 * N):
        raise ValueError(f"V: must have shape (B, 3N, k) = ({net.batch}, {3 * N}, k), got {tuple(np.shape(V))}")
    if V.shape[2] < 1:
        raise ValueError(f"V: must have at least one column (k >= 1), got shape {tuple(V.shape)}")
    require_tensor(V, "V", like=net.J_h)
    h, z, r = split_state(x, N)
    ph, dph = torch.tanh(h), 1 - torch.tanh(h) ** 2
    sz, sr = torch.sigmoid(z), torch.sigmoid(r)
    dsz, dsr = sz * (1 - sz), sr * (1 - sr)
    Vh, Vz, Vr = V[:, :N], V[:, N:2 * N], V[:, 2 * N:]
    pre = -h + net.g_h[:, None] * _mv(net.J_h, ph * sr)
    g = net.g_h[:, None, None]
    inner = (dph * sr)[:, :, None] * Vh + (ph * dsr)[:, :, None] * Vr
    dVh = sz[:, :, None] * (-Vh + g * (net.J_h @ inner)) + (dsz * pre)[:, :, None] * Vz
    pv = dph[:, :, None] * Vh
    dVz = -Vz + net.alpha_z[:, None, None] * (net.J_z @ pv)
    dVr = -Vr + net.alpha_r[:, None, None] * (net.J_r @ pv)
    return torch.cat([dVh, dVz, dVr], dim=1)


def symbolic_jacobian_blocks():
    """Derive the entries of ``D`` with sympy for general ``N`` (index notation).

    The equations of motion are written for unit ``i`` with ``Sum_j`` over ``j = 1..N``
    and undefined elementwise functions ``phi`` and ``sigma``; each block entry
    ``d(dx_i/dt)/d y_k`` is differentiated by sympy (``KroneckerDelta`` appears) and
    returned next to the hand-derived entry used by :func:`gated_jacobian`.

    Returns
    -------
    list of ``(block, derived, claimed)``, block names ``"hh"``, ``"hz"``, ... .
    The range condition ``1 <= k <= N`` that sympy attaches as a ``Piecewise`` is
    resolved to its in-range branch (``k`` indexes a unit).
    """
    import sympy as sp

    i, j, k, N = sp.symbols("i j k N", integer=True, positive=True)
    h, z, r = sp.IndexedBase("h"), sp.IndexedBase("z"), sp.IndexedBase("r")
    Jh, Jz, Jr = sp.IndexedBase("J^h"), sp.IndexedBase("J^z"), sp.IndexedBase("J^r")
    g, az, ar = sp.symbols("g_h alpha_z alpha_r", positive=True)
    phi, sig = sp.Function("phi"), sp.Function("sigma")
    rec = sp.Sum(Jh[i, j] * phi(h[j]) * sig(r[j]), (j, 1, N))
    rhs = {
        "h": sig(z[i]) * (-h[i] + g * rec),
        "z": -z[i] + az * sp.Sum(Jz[i, j] * phi(h[j]), (j, 1, N)),
        "r": -r[i] + ar * sp.Sum(Jr[i, j] * phi(h[j]), (j, 1, N)),
    }
    var = {"h": h, "z": z, "r": r}
    d = sp.KroneckerDelta(i, k)
    dphi = sp.Derivative(phi(h[k]), h[k])
    claimed = {
        "hh": sig(z[i]) * (-d + g * Jh[i, k] * dphi * sig(r[k])),
        "hz": d * sp.Derivative(sig(z[i]), z[i]) * (-h[i] + g * rec),
        "hr": g * sig(z[i]) * Jh[i, k] * phi(h[k]) * sp.Derivative(sig(r[k]), r[k]),
        "zh": az * Jz[i, k] * dphi, "zz": -d, "zr": sp.Integer(0),
        "rh": ar * Jr[i, k] * dphi, "rz": sp.Integer(0), "rr": -d,
    }
    out = []
    for a in "hzr":
        for b in "hzr":
            der = sp.diff(rhs[a], var[b][k]).doit()
            der = der.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0][0])
            out.append((a + b, der, claimed[a + b]))
    return out


# --------------------------------------------------------------------------- #
# Integration
# --------------------------------------------------------------------------- #
def rk4_step(field: Callable, x, dt: float):
    """One classical Runge-Kutta step of ``dx/dt = field(x)`` (``dt`` finite and > 0)."""
    require_callable(field, "field")
    positive_scalar(dt, "dt")
    k1 = field(x)
    k2 = field(x + 0.5 * dt * k1)
    k3 = field(x + 0.5 * dt * k2)
    k4 = field(x + dt * k3)
    return x + (dt / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)


def integrate(field: Callable, x0, dt: float, n_steps: int, *, record_every: int | None = None,
              desc: str | None = None):
    """Integrate a batched autonomous ODE with fixed-step RK4.

    Parameters
    ----------
    field : callable
        ``x -> dx/dt`` on tensors of shape ``(B, d)`` (e.g.
        ``lambda x: gated_vector_field(x, net)``).
    x0 : torch.Tensor, shape ``(B, d)``
    dt : float
        Step size (> 0).
    n_steps : int
        Number of steps (>= 0).
    record_every : int, optional
        If given, also return the trajectory sampled every ``record_every`` steps
        (including ``t = 0``), shape ``(n_steps // record_every + 1, B, d)``.
    desc : str, optional
        Show a progress bar with this label.

    Returns
    -------
    x_T : torch.Tensor ``(B, d)``, or ``(x_T, trajectory)`` when ``record_every`` is set.
    """
    import torch

    require_callable(field, "field")
    positive_scalar(dt, "dt")
    n_steps = require_int(n_steps, "n_steps", 0)
    require_ndim(x0, "x0", 2)
    require_tensor(x0, "x0")
    if record_every is not None:
        record_every = require_int(record_every, "record_every", 1)
    x = x0
    traj = [x0] if record_every else None
    steps = range(n_steps)
    if desc:
        from .device import progress

        steps = progress(steps, desc=desc)
    for i in steps:
        x = rk4_step(field, x, dt)
        if record_every and (i + 1) % record_every == 0:
            traj.append(x)
    if n_steps and not bool(torch.isfinite(x).all()):
        raise ValueError("field: the integration produced non-finite values (the flow diverged, or dt is too large)")
    if record_every:
        return x, torch.stack(traj)
    return x


# --------------------------------------------------------------------------- #
# Fixed-point mean-field theory (chapter 2)
# --------------------------------------------------------------------------- #
def gauss_hermite(n: int = 80):
    """Nodes and weights for ``E[f(xi)]``, ``xi ~ N(0, 1)``: ``sum(w * f(nodes))``."""
    from numpy.polynomial.hermite_e import hermegauss

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n: quadrature order must be an integer >= 2, got {n!r}")
    x, w = hermegauss(int(n))
    return x, w / math.sqrt(2 * math.pi)


def _quadrature(n_quad):
    if isinstance(n_quad, bool) or not isinstance(n_quad, (int, np.integer)) or n_quad < 2:
        raise ValueError(f"n_quad: quadrature order must be an integer >= 2, got {n_quad!r}")
    return gauss_hermite(n_quad)


def mft_gaussian_moments(C_h, C_r, n_quad: int = 80):
    """``C_phi(h) = E[tanh(h)^2]`` with ``h ~ N(0, C_h)`` and ``C_sigma(r) = E[sigma(r)^2]``, ``r ~ N(0, C_r)``.

    Parameters
    ----------
    C_h, C_r : array_like (broadcastable), non-negative variances.

    Returns
    -------
    (C_phi, C_sigma) : numpy arrays of the broadcast shape.
    """
    C_h, C_r = real_finite(C_h, "C_h"), real_finite(C_r, "C_r")
    if np.any(C_h < 0):
        raise ValueError("C_h: variances must be >= 0")
    if np.any(C_r < 0):
        raise ValueError("C_r: variances must be >= 0")
    x, w = _quadrature(n_quad)
    sh = np.sqrt(C_h)[..., None] * x
    sr = np.sqrt(C_r)[..., None] * x
    C_phi = np.tanh(sh) ** 2 @ w
    C_sig = (1.0 / (1.0 + np.exp(-sr))) ** 2 @ w
    return C_phi, C_sig


def mft_residual(C_h, g_h, alpha_r, n_quad: int = 80):
    """Residual of the fixed-point mean-field equation reduced to ``C_h`` alone.

    With ``C_r = alpha_r^2 C_phi(C_h)`` substituted into ``C_h = g_h^2 C_phi C_sigma``
    (note 003, "Mean-field equation for fixed point"; book Part IV, chapter 2)::

        R(C_h) = g_h^2 C_phi(C_h) C_sigma(alpha_r^2 C_phi(C_h)) - C_h

    Arguments broadcast; returns a numpy array.
    """
    g_h, alpha_r = real_finite(g_h, "g_h", nonneg=True), real_finite(alpha_r, "alpha_r", nonneg=True)
    C_h = real_finite(C_h, "C_h", nonneg=True)
    broadcast("C_h/g_h/alpha_r", C_h, g_h, alpha_r)
    C_phi, _ = mft_gaussian_moments(C_h, np.zeros_like(C_h), n_quad)
    _, C_sig = mft_gaussian_moments(np.zeros_like(C_phi), alpha_r ** 2 * C_phi, n_quad)
    return g_h ** 2 * C_phi * C_sig - C_h


def mft_fixed_point_solutions(g_h, alpha_r, *, c_max: float = 60.0, n_grid: int = 600, n_quad: int = 80,
                              tol: float = 1e-12):
    """All non-zero solutions ``C_h > 0`` of the fixed-point MFT, for a batch of gains.

    The residual :func:`mft_residual` is evaluated on a grid ``(0, c_max]`` for every
    ``(g_h, alpha_r)`` at once (one array computation), sign changes are bracketed and
    refined by vectorised bisection.

    Parameters
    ----------
    g_h, alpha_r : array_like of one common shape ``S`` (or scalars).

    Returns
    -------
    C_h : numpy array of shape ``S + (K,)``
        Roots sorted increasingly, NaN-padded to the largest count ``K`` (K >= 1).
    C_r : numpy array, same shape, ``alpha_r^2 C_phi(C_h)``.
    count : numpy int array of shape ``S``: number of non-zero solutions.
    """
    g_h, alpha_r = broadcast("g_h/alpha_r", real_finite(g_h, "g_h", nonneg=True),
                             real_finite(alpha_r, "alpha_r", nonneg=True))
    S = g_h.shape
    c_max = positive_scalar(c_max, "c_max")
    n_grid = require_int(n_grid, "n_grid", 2)
    tol = positive_scalar(tol, "tol")
    _quadrature(n_quad)
    g, a = g_h.reshape(-1, 1), alpha_r.reshape(-1, 1)
    grid = np.geomspace(1e-6, c_max, n_grid)[None, :]
    # C_phi on the grid does not depend on the gains, and C_sigma only on alpha_r:
    # evaluate each once (unique alpha_r values), then combine by broadcasting.
    C_phi_grid, _ = mft_gaussian_moments(grid[0], 0.0 * grid[0], n_quad)
    a_unique, a_index = np.unique(a[:, 0], return_inverse=True)
    _, C_sig_grid = mft_gaussian_moments(0.0 * C_phi_grid[None, :], a_unique[:, None] ** 2 * C_phi_grid[None, :], n_quad)
    R = g ** 2 * C_phi_grid[None, :] * C_sig_grid[a_index.reshape(-1)] - grid
    sgn = np.sign(R)
    cross = (sgn[:, :-1] * sgn[:, 1:]) < 0
    count = cross.sum(axis=1)
    K = max(int(count.max()), 1)
    lo = np.full((g.shape[0], K), np.nan)
    hi = np.full((g.shape[0], K), np.nan)
    for b in range(g.shape[0]):  # bookkeeping of bracket indices only; no model evaluation here
        idx = np.nonzero(cross[b])[0]
        lo[b, :idx.size] = grid[0, idx]
        hi[b, :idx.size] = grid[0, idx + 1]
    valid = ~np.isnan(lo)
    lo_, hi_ = np.where(valid, lo, 1.0), np.where(valid, hi, 1.0)
    gg, aa = np.broadcast_to(g, lo.shape), np.broadcast_to(a, lo.shape)
    f_lo = mft_residual(lo_, gg, aa, n_quad)
    for _ in range(100):
        mid = 0.5 * (lo_ + hi_)
        f_mid = mft_residual(mid, gg, aa, n_quad)
        left = np.sign(f_mid) == np.sign(f_lo)
        lo_ = np.where(left, mid, lo_)
        f_lo = np.where(left, f_mid, f_lo)
        hi_ = np.where(left, hi_, mid)
        if np.max(hi_ - lo_) < tol:
            break
    roots = np.where(valid, 0.5 * (lo_ + hi_), np.nan)
    C_phi, _ = mft_gaussian_moments(np.nan_to_num(roots), np.zeros_like(roots), n_quad)
    C_r = np.where(valid, a ** 2 * C_phi, np.nan)
    return roots.reshape(S + (K,)), C_r.reshape(S + (K,)), count.reshape(S)


def mft_small_variance_series():
    """Expand the reduced MFT residual ``R(C_h)`` to second order in ``C_h`` with sympy.

    ``C_phi`` and ``C_sigma`` are Taylor-expanded in the standard deviation and the
    Gaussian moments taken exactly (``sympy.stats``); then
    ``R = g_h^2 C_phi C_sigma(alpha_r^2 C_phi) - C_h`` is expanded (book Part IV,
    chapter 2, eq. p4-eq-mft-series).

    Returns
    -------
    (R2, C_phi2, C_sigma2, symbols) : the truncated series of ``R``, of ``C_phi(C)`` and
    of ``C_sigma(c)`` (in their own variance ``c``), and ``(C, c, g_h, alpha_r)``.
    """
    import sympy as sp
    from sympy.stats import E, Normal

    C, c, s, u = sp.symbols("C c s u", positive=True)
    g, a = sp.symbols("g_h alpha_r", positive=True)
    xi = Normal("xi", 0, 1)
    C_phi = sp.expand(E(sp.series(sp.tanh(s * xi) ** 2, s, 0, 7).removeO()).subs(s, sp.sqrt(C)))
    sig = 1 / (1 + sp.exp(-u * xi))
    C_sig = sp.expand(E(sp.series(sig ** 2, u, 0, 5).removeO()).subs(u, sp.sqrt(c)))
    R = g ** 2 * C_phi * C_sig.subs(c, a ** 2 * C_phi) - C
    R2 = sp.expand(sp.series(R, C, 0, 3).removeO())
    return R2, sp.expand(sp.series(C_phi, C, 0, 3).removeO()), sp.expand(sp.series(C_sig, c, 0, 2).removeO()), (C, c, g, a)


def mft_onset_gain(alpha_r, *, g_grid=None, n_quad: int = 80):
    """Smallest ``g_h`` at which the fixed-point MFT has a non-zero solution, per ``alpha_r``.

    Evaluated on a grid of ``g_h`` for all ``alpha_r`` at once (one call of
    :func:`mft_fixed_point_solutions` on the outer product).  Returns an array of the
    shape of ``alpha_r`` (NaN where no grid gain has a solution).
    """
    alpha_r = np.atleast_1d(real_finite(alpha_r, "alpha_r", nonneg=True))
    g_grid = np.linspace(1.0, 3.0, 201) if g_grid is None else real_finite(g_grid, "g_grid", nonneg=True)
    if g_grid.ndim != 1 or (g_grid.size > 1 and not np.all(np.diff(g_grid) > 0)):
        raise ValueError(f"g_grid: must be strictly increasing and 1-D, got shape {g_grid.shape}")
    gg, aa = np.meshgrid(g_grid, alpha_r, indexing="ij")
    _, _, count = mft_fixed_point_solutions(gg, aa, n_quad=n_quad)
    has = count > 0
    first = np.argmax(has, axis=0)
    return np.where(has.any(axis=0), g_grid[first], np.nan)


def zero_fixed_point_jacobian(net: GatedNetwork):
    """Jacobian at the zero fixed point ``x = 0`` (book Part IV, chapter 2).

    Because ``phi(0) = 0`` the ``h``-row decouples from ``z`` and ``r`` and
    ``D_hh = sigma(0) (-I + g_h sigma(0) J^h)`` with ``sigma(0) = 1/2``.

    Returns
    -------
    torch.Tensor, shape ``(B, 3N, 3N)``
    """
    import torch

    _check_net(net)
    x0 = torch.zeros(net.batch, 3 * net.n, dtype=net.J_h.dtype, device=net.J_h.device)
    return gated_jacobian(x0, net)


def fixed_point_residual(h, net: GatedNetwork):
    """``G(h) = -h + g_h J^h (phi(h) * sigma(alpha_r J^r phi(h)))`` (shape ``(B, N)``).

    Fixed points of the full system are exactly the zeros of ``G`` with
    ``z = alpha_z J^z phi(h)`` and ``r = alpha_r J^r phi(h)`` (``sigma(z) > 0``).
    """
    import torch

    _check_state(h, net, "h", net.n if isinstance(net, GatedNetwork) else None)
    ph = torch.tanh(h)
    r = net.alpha_r[:, None] * _mv(net.J_r, ph)
    return -h + net.g_h[:, None] * _mv(net.J_h, ph * torch.sigmoid(r))


def fixed_point_residual_jacobian(h, net: GatedNetwork):
    """Jacobian of :func:`fixed_point_residual` (book Part IV, chapter 2), shape ``(B, N, N)``::

        dG/dh = -I + g_h J^h ( [phi'(h) sigma(r)] + [phi(h) sigma'(r)] alpha_r J^r [phi'(h)] ),
        r = alpha_r J^r phi(h).
    """
    import torch

    _check_state(h, net, "h", net.n if isinstance(net, GatedNetwork) else None)
    ph, dph = torch.tanh(h), 1 - torch.tanh(h) ** 2
    sr = torch.sigmoid(net.alpha_r[:, None] * _mv(net.J_r, ph))
    dsr = sr * (1 - sr)
    eye = torch.eye(net.n, dtype=h.dtype, device=h.device)
    inner = torch.diag_embed(dph * sr) + (ph * dsr)[:, :, None] * net.alpha_r[:, None, None] * net.J_r * dph[:, None, :]
    return -eye + net.g_h[:, None, None] * (net.J_h @ inner)


def find_fixed_points(net: GatedNetwork, h0, *, max_iter: int = 50, tol: float = 1e-10):
    """Damped Newton iteration on :func:`fixed_point_residual`, batched over networks.

    Parameters
    ----------
    net : GatedNetwork
    h0 : torch.Tensor, shape ``(B, N)``
        Starting points, e.g. the ``h`` part of the end of a simulation (Newton from
        far away rarely converges in high dimension).
    max_iter : int
    tol : float
        Convergence threshold on ``max_i |G_i(h)|``.

    Returns
    -------
    x : torch.Tensor ``(B, 3N)``
        The full states ``(h, z, r)`` with ``z = alpha_z J^z phi(h)``, ``r = alpha_r J^r phi(h)``.
    residual : torch.Tensor ``(B,)``
        ``max |G(h)|`` at the end (converged where ``<= tol``).
    """
    import torch

    _check_state(h0, net, "h0", net.n if isinstance(net, GatedNetwork) else None)
    max_iter = require_int(max_iter, "max_iter", 1)
    tol = positive_scalar(tol, "tol")
    h = h0.clone()
    for _ in range(max_iter):
        res = fixed_point_residual(h, net)
        err = res.abs().amax(dim=1)
        if bool((err <= tol).all()):
            break
        step = guarded_solve(fixed_point_residual_jacobian(h, net), -res.unsqueeze(-1),
                             name="dG/dh (Newton Jacobian)").squeeze(-1)
        t = torch.ones(net.batch, 1, dtype=h.dtype, device=h.device)
        base = (res ** 2).sum(1)
        for _ in range(30):  # backtracking on |G|^2, per network
            better = (fixed_point_residual(h + t * step, net) ** 2).sum(1) < base
            if bool(better.all()):
                break
            t = torch.where(better[:, None], t, 0.5 * t)
        h = torch.where((err <= tol)[:, None], h, h + t * step)
    res = fixed_point_residual(h, net).abs().amax(dim=1)
    ph = torch.tanh(h)
    z = net.alpha_z[:, None] * _mv(net.J_z, ph)
    r = net.alpha_r[:, None] * _mv(net.J_r, ph)
    return torch.cat([h, z, r], dim=-1), res


# --------------------------------------------------------------------------- #
# Phase diagram (chapter 4)
# --------------------------------------------------------------------------- #
#: Region labels of the phase diagram (book Part IV, chapter 4; note 003, "Hyperparameter Phase Diagram").
REGIONS = {
    1: "stable origin only",
    2: "stable origin + unstable non-zero FPs",
    3: "stable origin + chaos",
    4: "chaos",
    5: "marginal stability (switch-like update gate)",
    0: "other (finite-N fixed point, or |lambda| <= eps with a soft gate)",
}


def largest_lyapunov_sweep(g_h, alpha_z, alpha_r, *, n: int, ensemble: int = 1, dt: float = 0.1,
                           t_transient: float = 50.0, t_avg: float = 200.0, qr_every: int = 5, init_scale: float = 2.0,
                           seed: int = 0, device=None, dtype=None, desc: str | None = None,
                           return_state: bool = False):
    """Largest Lyapunov exponent for every parameter point, as ONE batched computation.

    Parameters
    ----------
    g_h, alpha_z, alpha_r : array_like of one common shape ``S`` (flattened internally).
    n : int
        Units per population.
    ensemble : int
        Independent networks per parameter point (batch ``B = prod(S) * ensemble``).
    dt, t_transient, t_avg, qr_every : integration settings (RK4 step, discarded transient,
        averaging time, re-orthonormalisation interval in steps).
    init_scale : float
        Standard deviation of the random initial states (large, so that chaotic attractors
        coexisting with the stable origin are found).

    return_state : bool
        Also return the network batch and the final states (to measure the activity there).

    Returns
    -------
    numpy array of shape ``S + (ensemble,)``; with ``return_state`` also ``(net, x_final)``, the
    :class:`GatedNetwork` of ``B = prod(S) * ensemble`` networks and their states ``(B, 3N)``.
    """
    import torch

    from .lyapunov import lyapunov_spectrum

    g_h, alpha_z, alpha_r = broadcast("g_h/alpha_z/alpha_r", real_finite(g_h, "g_h"), real_finite(alpha_z, "alpha_z"),
                                      real_finite(alpha_r, "alpha_r"))
    S = g_h.shape
    ensemble = require_int(ensemble, "ensemble", 1)
    dt = positive_scalar(dt, "dt")
    t_transient = positive_scalar(t_transient, "t_transient", strict=False)
    t_avg = positive_scalar(t_avg, "t_avg")
    qr_every = require_int(qr_every, "qr_every", 1)
    init_scale = positive_scalar(init_scale, "init_scale")
    rep = lambda v: np.repeat(v.reshape(-1), ensemble)  # noqa: E731
    net = random_gated_network(n, rep(g_h), rep(alpha_z), rep(alpha_r), seed=seed, device=device, dtype=dtype)
    gen = torch.Generator().manual_seed(int(seed) + 1)
    x0 = init_scale * torch.randn(net.batch, 3 * n, generator=gen, dtype=net.J_h.dtype).to(net.J_h.device)
    k_steps = lambda t: max(1, int(round(t / dt / qr_every))) * qr_every  # noqa: E731
    res = lyapunov_spectrum(lambda x: gated_vector_field(x, net), lambda x, W: gated_tangent(x, W, net), x0, dt=dt,
                            n_steps=k_steps(t_avg), k=1, qr_every=qr_every,
                            transient_steps=k_steps(t_transient) if t_transient > 0 else 0, seed=seed, desc=desc)
    lam = res.exponents[:, 0].cpu().numpy().reshape(S + (ensemble,))
    return (lam, net, res.x_final) if return_state else lam


def classify_regions(lam_max, mft_count, g_h, eps: float, *, alpha_z, switch: float = 10.0):
    """Label each parameter point with a region of :data:`REGIONS`.

    Rules (book Part IV, chapter 4): the origin is stable iff ``g_h < 2`` (chapter 2);
    ``|lam_max| <= eps`` is marginal (5) only with a switch-like update gate,
    ``alpha_z >= switch`` (the poster's region 5 is a large-``alpha_z`` phenomenon); with a
    soft gate it is left unclassified (0); ``lam_max > eps`` is chaos (3 with a stable
    origin, else 4); ``lam_max < -eps`` with a stable origin is 1 or 2 according to
    whether the fixed-point MFT has non-zero solutions; with an unstable origin it is 0
    (a finite-N network settled on a non-zero fixed point).
    """
    lam, count, g, az = broadcast("lam_max/mft_count/g_h/alpha_z", real_finite(lam_max, "lam_max"),
                                  real_finite(mft_count, "mft_count"), real_finite(g_h, "g_h"),
                                  real_finite(alpha_z, "alpha_z", nonneg=True))
    switch = positive_scalar(switch, "switch")
    if np.any(count < 0) or np.any(count != np.round(count)):
        raise ValueError("mft_count: must be non-negative integers (numbers of MFT solutions)")
    eps = positive_scalar(eps, "eps")
    stable = g < 2.0
    out = np.zeros(lam.shape, dtype=int)
    out[(np.abs(lam) <= eps) & (az >= switch)] = 5
    chaos = lam > eps
    out[chaos & stable] = 3
    out[chaos & ~stable] = 4
    decay = lam < -eps
    out[decay & stable & (count == 0)] = 1
    out[decay & stable & (count > 0)] = 2
    return out


# --------------------------------------------------------------------------- #
# Re-exports: the adjoint tools live in rnnmath.gated_adjoint (module size)
# --------------------------------------------------------------------------- #
_ADJOINT_NAMES = ("adjoint_gradient", "adjoint_propagation", "autograd_propagation", "autograd_gradient",
                  "gradient_norm_terms", "quadratic_state_loss", "scalar_adjoint_example")


def __getattr__(name):
    """Lazy re-export of the adjoint tools (PEP 562): ``rnnmath.gated_adjoint`` imports this
    module, so an eager import here would be circular when gated_adjoint is imported first."""
    if name in _ADJOINT_NAMES:
        from . import gated_adjoint

        return getattr(gated_adjoint, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
