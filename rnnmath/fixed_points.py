"""Slow points of rate networks: kinetic energy, its derivatives and a batched fixed-point finder.

Part II, chapter 5 (``book/part2_rate/05_slow_points``), after section 6.1 of
note 001 (Amrut & Ankit, *RNN Initial Hypotheses*) and the method of Sussillo &
Barak (2013).  The deterministic part of the note's rate equation is

.. math::

    F(r) = \\frac{1}{\\tau}\\bigl[-r + f(W r + c)\\bigr],\\qquad c = W_{in} u + b,

with kinetic energy :math:`q(r) = \\tfrac12 |F(r)|^2`, gradient
:math:`\\nabla q = J^\\top F` and Hessian
:math:`\\nabla^2 q = J^\\top J + \\sum_k F_k \\nabla^2 F_k
= J^\\top J + \\tau^{-1} W^\\top \\operatorname{diag}(F \\odot f''(m)) W`,
where :math:`J = \\tau^{-1}(-I + \\operatorname{diag}(f'(m)) W)` is the Jacobian of
the *continuous-time* field and :math:`m = W r + c`.

Shapes.  ``W`` is ``(N, N)`` for one network or ``(*B, N, N)`` for a batch of
networks (an ensemble, or one network under several input conditions); ``c``
is ``(N,)`` or ``(*B, N)``.  States ``r`` are ``(..., N)`` for one network and
``(*B, K, N)`` for a batch (``K`` states per network).  Everything runs on the
tensors' device in one code path.

The finder (:func:`find_fixed_points`) minimises ``q`` from many initial
conditions at once with a batched Levenberg--Marquardt iteration (a damped
Gauss--Newton step, which is Newton's method on ``F = 0`` once the damping
vanishes), then de-duplicates, optionally discards outliers, and classifies
each fixed point by the eigenvalues of ``J``: stable when every
:math:`\\operatorname{Re}\\lambda < 0`.

Tolerances and the time step.  In a simulation with Euler step ``dt`` one
step moves the state by :math:`\\Delta r = \\Delta t\\,F(r)`; asking for
:math:`|\\Delta r| < \\varepsilon` per step is therefore
:math:`q < \\varepsilon^2 / (2\\Delta t^2)` (:func:`q_tolerance_from_step`): the
``q`` tolerance scales as :math:`\\Delta t^{-2}` for a fixed per-step
tolerance.  The level of ``q`` that the note's injected noise produces on its
own grows only as :math:`\\Delta t^{-1}` (:func:`q_noise_floor`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .linalg import det as guarded_det, solve as guarded_solve
from .validation import require_finite, require_in_range, require_positive, require_square

__all__ = [
    "Activation",
    "activation",
    "RateDynamics",
    "FixedPoints",
    "find_fixed_points",
    "classify_stability",
    "relu_fixed_points_exhaustive",
    "q_tolerance_from_step",
    "q_noise_floor",
]


# --------------------------------------------------------------------------- #
# Input checks
# --------------------------------------------------------------------------- #
def _finite_positive(value, name: str, strict: bool = True):
    """A finite positive (``strict``) or non-negative real scalar; NaN, inf and strings refused."""
    require_positive(value, name, strict=strict)
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return value


def _int_at_least(value, name: str, low: int):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        kind = "a positive integer" if low == 1 else "a non-negative integer" if low == 0 else f"an integer >= {low}"
        raise ValueError(f"{name}: must be {kind}, got {value!r}")
    return int(value)


def _real_matrix_array(x, name: str) -> np.ndarray:
    """``x`` (array, tensor or nested list) as a finite real float64 numpy array."""
    from .validation import as_numpy

    arr = np.asarray(as_numpy(x))
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: must be real-valued, got dtype {arr.dtype}")
    arr = arr.astype(float)
    require_finite(arr, name)
    return arr


# --------------------------------------------------------------------------- #
# Activations with their first and second derivatives
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity ``f`` with ``f'`` and ``f''`` (torch callables)."""

    name: str
    f: Callable
    df: Callable
    d2f: Callable


def activation(name: str = "relu", theta: float | None = None) -> Activation:
    """Return an :class:`Activation` by name.

    Parameters
    ----------
    name : {"relu", "tanh", "linear", "leaky_relu"}
        ``"leaky_relu"`` is the note's family of Fig. 5: slope 1 for ``x > 0``
        and slope ``tan(theta)`` for ``x <= 0``, so ``theta = 0`` is the ReLU
        and ``theta = pi/4`` the identity.
    theta : float, optional
        The leaky-ReLU angle, required for ``"leaky_relu"``, in ``[0, pi/4]``.

    Notes
    -----
    The piecewise-linear functions use ``f'(0) = 0`` at the kink (the
    left derivative), as torch's ``relu`` does, and ``f'' = 0``.
    """
    import torch

    if name == "relu":
        return Activation("relu", torch.relu, lambda x: (x > 0).to(x.dtype), torch.zeros_like)
    if name == "tanh":
        def d1(x):
            t = torch.tanh(x)
            return 1 - t * t

        def d2(x):
            t = torch.tanh(x)
            return -2 * t * (1 - t * t)

        return Activation("tanh", torch.tanh, d1, d2)
    if name == "linear":
        return Activation("linear", lambda x: x, torch.ones_like, torch.zeros_like)
    if name == "leaky_relu":
        if theta is None:
            raise ValueError("theta: the leaky ReLU needs its angle theta in [0, pi/4]")
        require_in_range(theta, "theta", 0.0, math.pi / 4 + 1e-15)
        s = math.tan(theta)
        return Activation(
            f"leaky_relu(theta={theta:.4g})",
            lambda x: torch.where(x > 0, x, s * x),
            lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, s)),
            torch.zeros_like,
        )
    raise ValueError(f"name: unknown activation {name!r}; use 'relu', 'tanh', 'linear' or 'leaky_relu'")


# --------------------------------------------------------------------------- #
# The deterministic rate field and its kinetic energy
# --------------------------------------------------------------------------- #
class RateDynamics:
    """The noise-free rate field ``F(r) = (-r + f(W r + c)) / tau`` (note 001, section 6.1).

    Parameters
    ----------
    W : tensor or array, shape (N, N) or (*B, N, N)
        Recurrent weights (``W[k, j]`` is the weight from unit ``j`` to unit ``k``).
    c : tensor or array, shape (N,) or (*B, N)
        Constant drive ``W_in u + b`` (the input condition is held fixed).
    tau : float
        Time constant (> 0), in the same unit as time.
    activation : str or Activation
        Nonlinearity (see :func:`activation`).
    theta : float, optional
        Angle of the leaky ReLU.
    device, dtype
        Where and in which precision to compute (default: ``rnnmath.get_device()``,
        float64).
    """

    def __init__(self, W, c, tau: float = 1.0, activation: str | Activation = "relu", theta=None,
                 *, device=None, dtype=None):
        import torch

        from .device import get_device

        dev = get_device() if device is None else torch.device(device)
        dtype = torch.float64 if dtype is None else dtype
        require_square(W, "W")
        W = torch.as_tensor(_real_matrix_array(W, "W"), dtype=dtype, device=dev)
        c = torch.as_tensor(_real_matrix_array(c, "c"), dtype=dtype, device=dev)
        if W.shape[-1] < 1:
            raise ValueError(f"W: must have N >= 1 units, got shape {tuple(W.shape)}")
        if tuple(c.shape) != tuple(W.shape[:-1]):
            raise ValueError(f"c: must have shape {tuple(W.shape[:-1])} to match W of shape {tuple(W.shape)}, got {tuple(c.shape)}")
        _finite_positive(tau, "tau")
        self.W, self.c, self.tau = W, c, float(tau)
        self.act = activation if isinstance(activation, Activation) else globals()["activation"](activation, theta)
        self.n_units = W.shape[-1]
        self.batch_shape = tuple(W.shape[:-2])

    # shapes ---------------------------------------------------------------
    def _check_r(self, r):
        import torch

        r = torch.as_tensor(r, dtype=self.W.dtype, device=self.W.device)
        require_finite(r, "r")
        if r.ndim < 1 or r.shape[-1] != self.n_units:
            raise ValueError(f"r: last dimension must be N = {self.n_units}, got shape {tuple(r.shape)}")
        if self.batch_shape and (r.ndim != len(self.batch_shape) + 2 or tuple(r.shape[:-2]) != self.batch_shape):
            raise ValueError(
                f"r: for a batch of networks {self.batch_shape} states must have shape "
                f"{self.batch_shape + ('K', self.n_units)}, got {tuple(r.shape)}")
        return r

    def _W_b(self):
        return self.W if not self.batch_shape else self.W.unsqueeze(-3)

    def _c_b(self):
        return self.c if not self.batch_shape else self.c.unsqueeze(-2)

    # field ------------------------------------------------------------------
    def preactivation(self, r):
        """``m = W r + c``, shape of ``r``."""
        r = self._check_r(r)
        return r @ self.W.mT + self._c_b()

    def velocity(self, r):
        """``F(r) = (-r + f(m)) / tau``, shape of ``r``."""
        r = self._check_r(r)
        return (-r + self.act.f(self.preactivation(r))) / self.tau

    def jacobian(self, r):
        """Continuous-time Jacobian ``J = (-I + diag(f'(m)) W) / tau``, shape ``r.shape + (N,)``.

        ``J[..., k, i] = dF_k / dr_i`` (note 001, section 6.1.2, with the sign
        of the leak corrected).
        """
        import torch

        r = self._check_r(r)
        d = self.act.df(self.preactivation(r))
        eye = torch.eye(self.n_units, dtype=r.dtype, device=r.device)
        return (-eye + d.unsqueeze(-1) * self._W_b()) / self.tau

    def kinetic_energy(self, r):
        """``q(r) = |F(r)|^2 / 2``, shape ``r.shape[:-1]``."""
        F = self.velocity(r)
        return 0.5 * (F * F).sum(-1)

    def kinetic_energy_gradient(self, r):
        """``grad q = J^T F`` (``dq/dr_i = sum_k dF_k/dr_i F_k``), shape of ``r``."""
        F = self.velocity(r)
        J = self.jacobian(r)
        return (J.mT @ F.unsqueeze(-1)).squeeze(-1)

    def kinetic_energy_hessian(self, r):
        """``hess q = J^T J + W^T diag(F * f''(m)) W / tau``, shape ``r.shape + (N,)``.

        The second term is ``sum_k F_k d^2F_k/(dr_i dr_j)``; it vanishes for
        piecewise-linear ``f`` (ReLU, leaky ReLU), leaving the positive
        semi-definite Gauss--Newton matrix ``J^T J``.
        """
        F = self.velocity(r)
        J = self.jacobian(r)
        w = F * self.act.d2f(self.preactivation(r)) / self.tau
        Wb = self._W_b()
        return J.mT @ J + Wb.mT @ (w.unsqueeze(-1) * Wb)

    def euler_step(self, r, dt: float):
        """One noise-free Euler step ``r + dt F(r)`` (= ``(1-a) r + a f(m)``, ``a = dt/tau``)."""
        _finite_positive(dt, "dt")
        return self._check_r(r) + dt * self.velocity(r)


# --------------------------------------------------------------------------- #
# Tolerances
# --------------------------------------------------------------------------- #
def q_tolerance_from_step(step_tol: float, dt: float) -> float:
    """The ``q`` tolerance equivalent to a per-step displacement tolerance.

    An Euler step moves the state by ``dt * F(r)``, so ``|r_{t+1} - r_t| < step_tol``
    is ``q = |F|^2/2 < step_tol**2 / (2 dt**2)``.  Chapter 5, section on
    tolerances (note 001, section 6.1.1 says only "on the order of the noise").
    """
    _finite_positive(step_tol, "step_tol")
    _finite_positive(dt, "dt")
    return float(step_tol) ** 2 / (2.0 * float(dt) ** 2)


def q_noise_floor(n_units: int, sigma: float, tau: float, dt: float) -> float:
    """Mean of ``|Delta r / dt|^2 / 2`` produced by the noise alone (exact for ``W = 0``).

    For the note's discretisation
    ``r_t = (1-a) r_{t-1} + a f(W r_{t-1} + c + sqrt(2 sigma^2 / a) xi)`` with
    ``a = dt / tau``, a unit in its linear range and ``W = 0`` the stationary
    finite-difference velocity has ``E[q] = 2 N sigma^2 / ((2 - a) tau dt)``,
    i.e. ``N sigma^2 / (tau dt)`` for small ``a``: it grows like ``1/dt``.
    """
    _int_at_least(n_units, "n_units", 1)
    _finite_positive(sigma, "sigma")
    _finite_positive(tau, "tau")
    _finite_positive(dt, "dt")
    a = dt / tau
    if not a < 2:
        raise ValueError(f"dt: the Euler map needs dt/tau < 2, got dt/tau = {a:g}")
    return 2.0 * n_units * sigma**2 / ((2.0 - a) * tau * dt)


# --------------------------------------------------------------------------- #
# Stability
# --------------------------------------------------------------------------- #
def classify_stability(eigenvalues, tol: float = 1e-9) -> list:
    """Label fixed points by the real parts of continuous-time Jacobian eigenvalues.

    Parameters
    ----------
    eigenvalues : array or tensor, shape (M, N), complex or real
        Eigenvalues of ``J`` at each of ``M`` fixed points.
    tol : float
        Real parts within ``tol`` of zero count as marginal.

    Returns
    -------
    list of str
        ``"stable"`` (all Re < -tol), ``"unstable"`` (all Re > tol),
        ``"saddle"`` (some of each, none marginal) or ``"marginal"``.
    """
    from .validation import as_numpy

    ev = np.asarray(as_numpy(eigenvalues))
    if ev.dtype.kind not in "biufc":
        raise TypeError(f"eigenvalues: must be numeric (real or complex), got dtype {ev.dtype}")
    if ev.ndim != 2:
        raise ValueError(f"eigenvalues: must have shape (M, N), got {ev.shape}")
    if ev.shape[1] < 1:
        raise ValueError(f"eigenvalues: must have N >= 1 eigenvalues per point, got shape {ev.shape}")
    require_finite(ev, "eigenvalues")
    _finite_positive(tol, "tol", strict=False)
    re = np.real(ev)
    out = []
    for row in re:
        if np.any(np.abs(row) <= tol):
            out.append("marginal")
        elif np.all(row < 0):
            out.append("stable")
        elif np.all(row > 0):
            out.append("unstable")
        else:
            out.append("saddle")
    return out


# --------------------------------------------------------------------------- #
# The batched finder
# --------------------------------------------------------------------------- #
@dataclass
class FixedPoints:
    """Fixed points of one network (one input condition).

    Attributes
    ----------
    points : ndarray (M, N)
        Distinct fixed points (``q < q_tol``), lowest-``q`` representative of each cluster.
    q : ndarray (M,)
        Kinetic energy at each.
    eigenvalues : ndarray (M, N) complex
        Eigenvalues of the continuous-time Jacobian, sorted by decreasing real part.
    stability : list of str
        :func:`classify_stability` labels.
    slow_points : ndarray (S, N)
        Distinct local minima of ``q`` with ``q >= q_tol`` (slow, not fixed).
    slow_q : ndarray (S,)
    n_starts, n_converged, n_slow, n_unconverged, n_outliers : int
        How the ``K`` initial conditions ended.
    """

    points: np.ndarray
    q: np.ndarray
    eigenvalues: np.ndarray
    stability: list
    slow_points: np.ndarray
    slow_q: np.ndarray
    n_starts: int
    n_converged: int
    n_slow: int
    n_unconverged: int
    n_outliers: int = 0
    final_states: np.ndarray = field(default=None, repr=False)
    final_q: np.ndarray = field(default=None, repr=False)

    def counts(self) -> dict:
        """``{"stable": ..., "saddle": ..., "unstable": ..., "marginal": ...}``."""
        return {k: self.stability.count(k) for k in ("stable", "saddle", "unstable", "marginal")}

    def __len__(self) -> int:
        return len(self.points)


def _dedupe(points: np.ndarray, q: np.ndarray, tol: float) -> np.ndarray:
    """Indices of one representative (lowest q) per cluster of points closer than ``tol``."""
    if len(points) == 0:
        return np.zeros(0, dtype=int)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import cdist

    adj = csr_matrix(cdist(points, points) < tol)
    _, labels = connected_components(adj, directed=False)
    reps = []
    for lab in np.unique(labels):
        members = np.flatnonzero(labels == lab)
        reps.append(members[np.argmin(q[members])])
    return np.array(sorted(reps), dtype=int)


# --------------------------------------------------------------------------- #
# The matrix-free finder (large N)
# --------------------------------------------------------------------------- #
_DENSE_MAX_UNITS = 128  # method="auto" uses the dense path up to this N


class _MatrixFreeNet:
    """Products with ``J`` and ``J^T`` of one network, batched over states, without forming ``J``.

    With ``m = x W^T + c`` (rows are states), ``d = f'(m)`` and ``J = (-I + diag(d) W) / tau``:
    ``J v = (-v + d * (v W^T)) / tau`` and ``J^T u = (-u + (d * u) W) / tau`` -- one
    ``(K, N) x (N, N)`` matrix product each, ``2 K N^2`` flops, against ``K N^3 / 3`` for the
    dense factorisations.  ``|J|_F^2 = (N - 2 sum_k d_k W_kk + sum_k d_k^2 |W_k|^2) / tau^2``.
    """

    def __init__(self, W, c, act, tau):
        self.W, self.Wt, self.c, self.act, self.tau = W, W.mT.contiguous(), c, act, tau
        self.n = W.shape[-1]
        self.diag = W.diagonal()
        self.rowsq = (W * W).sum(-1)
        self.smooth = act.name == "tanh"

    def field(self, x):
        m = x @ self.Wt + self.c
        return m, (-x + self.act.f(m)) / self.tau

    def q(self, x):
        return 0.5 * (self.field(x)[1] ** 2).sum(-1)

    def jv(self, d, v):
        return (-v + d * (v @ self.Wt)) / self.tau

    def jtu(self, d, u):
        return (-u + (d * u) @ self.W) / self.tau

    def jfro2(self, d):
        return (self.n - 2 * (d * self.diag).sum(-1) + (d * d * self.rowsq).sum(-1)) / self.tau ** 2

    def hv(self, d, w, v):
        """``(J^T J + W^T diag(w) W) v`` with ``w = F f''(m) / tau`` (zero for piecewise-linear f)."""
        u = v @ self.Wt
        jv = (-v + d * u) / self.tau
        z = d * jv if w is None else d * jv + self.tau * w * u
        return (-jv + z @ self.W) / self.tau  # two matrix products in all


def _batched_cg(op, b, mu, max_iter: int, rtol):
    """Solve ``(A_k + mu_k I) x_k = b_k`` for every row ``k`` at once by conjugate gradients.

    ``op(p)`` applies the ``A_k`` row-wise.  A row stops when its residual falls below
    ``rtol |b_k|`` or when it meets non-positive curvature (then it keeps its last iterate,
    or, at the first iteration, the scaled gradient step ``b_k / mu_k``); every row stops
    after ``max_iter`` products.
    """
    import torch

    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = (r * r).sum(-1)
    stop2 = (torch.as_tensor(rtol, dtype=b.dtype, device=b.device) ** 2) * rs
    active = rs > 0
    first = torch.ones_like(active)
    for _ in range(max_iter):
        if not bool(active.any()):
            break
        Ap = op(p) + mu[:, None] * p
        pAp = (p * Ap).sum(-1)
        bad = active & (pAp <= 0)
        if bool(bad.any()):
            fallback = bad & first
            x = torch.where(fallback[:, None], b / mu[:, None], x)
            active = active & ~bad
        alpha = torch.where(active, rs / torch.where(active, pAp, torch.ones_like(pAp)), torch.zeros_like(rs))
        x = x + alpha[:, None] * p
        r = r - alpha[:, None] * Ap
        rs_new = (r * r).sum(-1)
        active = active & (rs_new > stop2)
        beta = torch.where(active, rs_new / torch.where(rs > 0, rs, torch.ones_like(rs)), torch.zeros_like(rs))
        p = r + beta[:, None] * p
        rs = rs_new
        first = torch.zeros_like(first)
    return x


def _dense_polish(net: _MatrixFreeNet, X, q, idx, hessian: bool):
    """One dense Newton step at the rows ``idx`` of ``X`` (in place), kept where it lowers ``q``
    (``hessian=False``: ``x - J^{-1} F``; ``True``: ``x - (grad^2 q)^{-1} grad q``, for slow points,
    kept where it lowers ``|grad q|`` without raising ``q``).  Singular systems are skipped."""
    import torch

    if idx.numel() == 0:
        return
    x = X[idx]
    m, F = net.field(x)
    d = net.act.df(m)
    eye = torch.eye(net.n, dtype=x.dtype, device=x.device)
    J = (-eye + d.unsqueeze(-1) * net.W) / net.tau
    if hessian:
        w = F * net.act.d2f(m) / net.tau
        A = J.mT @ J + net.Wt @ (w.unsqueeze(-1) * net.W) if net.smooth else J.mT @ J
        rhs = (J.mT @ F.unsqueeze(-1)).squeeze(-1)
    else:
        A, rhs = J, F
    steps = torch.zeros_like(x)
    ok = torch.zeros(len(idx), dtype=torch.bool, device=x.device)
    try:
        steps = guarded_solve(A, rhs.unsqueeze(-1), name="J (Newton polish)").squeeze(-1)
        ok[:] = True
    except ValueError:  # one singular system: go one by one and skip the singular ones
        for i in range(len(idx)):
            try:
                steps[i] = guarded_solve(A[i], rhs[i].unsqueeze(-1), name="J (Newton polish)").squeeze(-1)
                ok[i] = True
            except ValueError:
                pass
    x_new = x - steps
    m_new, F_new = net.field(x_new)
    q_new = 0.5 * (F_new ** 2).sum(-1)
    if hessian:
        g_old = net.jtu(d, F).norm(dim=-1)
        g_new = net.jtu(net.act.df(m_new), F_new).norm(dim=-1)
        better = ok & (g_new < g_old) & (q_new <= q[idx] * (1 + 1e-12))
    else:
        better = ok & (q_new < q[idx])
    X[idx[better]] = x_new[better]
    q[idx[better]] = q_new[better]


def _matrix_free_network(net: _MatrixFreeNet, X, *, q_tol, grad_tol, max_iter, damping, refine_steps,
                         cg_max_iter, cg_rtol):
    """Levenberg--Marquardt with CG steps for the ``K`` states ``X`` (K, N) of one network.

    Returns the final states, their ``q`` and the scale-free stationarity measure
    ``|J^T F| / (|J|_F |F|)`` (the quantities the dense path returns).
    """
    import torch

    X = X.clone()
    tau2 = net.tau ** -2
    q = net.q(X)
    lam = torch.full_like(q, float(damping))
    live = torch.arange(len(X), device=X.device)
    q_exit = 1e8 * q_tol  # candidates leave for dense Newton polishing
    for _ in range(int(max_iter)):
        if live.numel() == 0:
            break
        x = X[live]
        m, F = net.field(x)
        d = net.act.df(m)
        g = net.jtu(d, F)
        jf2 = net.jfro2(d)
        stationary = g.norm(dim=-1) <= grad_tol * jf2.clamp_min(0).sqrt() * F.norm(dim=-1)
        keep = (q[live] >= q_exit) & ~stationary & (lam[live] < 1e12)
        live, x, m, F, d, g, jf2 = (t[keep] for t in (live, x, m, F, d, g, jf2))
        if live.numel() == 0:
            break
        mu = lam[live] * (jf2 / net.n + tau2)
        # inexact Newton (Eisenstat--Walker-like forcing): loose solves far from a solution
        rel = g.norm(dim=-1) / (jf2.clamp_min(0).sqrt() * F.norm(dim=-1)).clamp_min(1e-300)
        eta = rel.sqrt().clamp(max=0.1).clamp_min(cg_rtol)
        # Gauss--Newton matrix J^T J (positive semi-definite: CG is safe); the full Hessian
        # of q enters only in the final polishing of slow-point candidates
        step = _batched_cg(lambda p: net.hv(d, None, p), -g, mu, cg_max_iter, eta)
        x_new = x + step
        q_new = net.q(x_new)
        accept = q_new < q[live]
        X[live] = torch.where(accept.unsqueeze(-1), x_new, x)
        q[live] = torch.where(accept, q_new, q[live])
        lam[live] = torch.where(accept, lam[live] * 0.1, lam[live] * 10.0).clamp_min(1e-15)

    def gnorm_of(Y):
        m, F = net.field(Y)
        d = net.act.df(m)
        return net.jtu(d, F).norm(dim=-1) / (net.jfro2(d).clamp_min(0).sqrt() * F.norm(dim=-1)).clamp_min(1e-300)

    # Newton polishing, dense, only of candidates: the fixed points (so that copies agree to
    # rounding error) and the near-misses within 1e8 q_tol; then slow-point candidates with
    # the full Hessian of q.
    cand = torch.nonzero(q < 1e8 * q_tol).squeeze(-1)
    for _ in range(int(refine_steps)):
        if cand.numel() == 0:
            break
        before = q[cand].clone()
        _dense_polish(net, X, q, cand, hessian=False)
        cand = cand[q[cand] < before]
    G = gnorm_of(X)
    # slow-point candidates (Gauss--Newton converges only linearly to a minimum with q > 0):
    # Newton--CG steps with the full Hessian of q, kept where they lower |grad q| without
    # raising q; then a dense full-Hessian step on the few still short of grad_tol
    # (every state left that is neither fixed nor stationary; a state leaves the candidates
    # as soon as a step fails to improve it)
    slow_cand = torch.nonzero((q >= q_tol) & (G > grad_tol)).squeeze(-1)
    for _ in range(10):
        if slow_cand.numel() == 0:
            break
        x = X[slow_cand]
        m, F = net.field(x)
        d = net.act.df(m)
        g = net.jtu(d, F)
        w = F * net.act.d2f(m) / net.tau if net.smooth else None
        mu = torch.full_like(q[slow_cand], 1e-14) * (net.jfro2(d) / net.n + tau2)
        step = _batched_cg(lambda p: net.hv(d, w, p), -g, mu, min(net.n, 2 * cg_max_iter), 1e-12)
        x_new = x + step
        q_new = net.q(x_new)
        better = (gnorm_of(x_new) < G[slow_cand]) & (q_new <= q[slow_cand] * (1 + 1e-12))
        X[slow_cand[better]] = x_new[better]
        q[slow_cand[better]] = q_new[better]
        G = gnorm_of(X)
        slow_cand = slow_cand[better & (G[slow_cand] > grad_tol)]
    slow_cand = torch.nonzero((q >= q_tol) & (G > grad_tol) & (G <= 1e-4)).squeeze(-1)
    for _ in range(int(refine_steps)):
        if slow_cand.numel() == 0:
            break
        _dense_polish(net, X, q, slow_cand, hessian=True)
        G = gnorm_of(X)
        slow_cand = slow_cand[G[slow_cand] > grad_tol]
    return X, q, G


def find_fixed_points(
    dynamics: RateDynamics,
    initial_states,
    *,
    q_tol: float = 1e-20,
    grad_tol: float = 1e-9,
    max_iter: int = 200,
    damping: float = 1e-3,
    refine_steps: int = 3,
    chunk_size: int = 4096,
    dedupe_tol: float = 1e-6,
    outlier_scale: float | None = None,
    stability_tol: float = 1e-9,
    method: str = "auto",
    cg_max_iter: int = 60,
    cg_rtol: float = 1e-6,
) -> FixedPoints | list:
    """Find fixed and slow points of a rate network from many initial conditions at once.

    Every initial condition (and every network of a batch) takes the same
    batched Levenberg--Marquardt step each iteration,

    .. math::  \\delta = -\\bigl(\\nabla^2 q + \\lambda\\,\\bar d\\, I\\bigr)^{-1} \\nabla q,

    (``d-bar`` the mean diagonal of ``J^T J`` plus ``1/tau^2``), accepted when
    it lowers ``q`` (then ``lambda`` shrinks tenfold, else grows tenfold).  For
    piecewise-linear ``f`` the Hessian is ``J^T J`` and, as ``lambda -> 0``,
    the step is Newton's method on ``F = 0``: quadratic convergence to a
    regular root, in one step once a ReLU network's activation pattern is
    right.  For smooth ``f`` (tanh) the full Hessian is used, so that local
    minima of ``q`` with ``q > 0`` (slow points, where ``J^T J`` may be
    singular) are also reached at Newton's rate.

    Parameters
    ----------
    dynamics : RateDynamics
        The field; its batch shape ``B`` is preserved.
    initial_states : tensor or array, shape (K, N) or (*B, K, N)
    q_tol : float
        A final state with ``q < q_tol`` is a fixed point.  See
        :func:`q_tolerance_from_step` for the choice in time-step units.
    grad_tol : float
        A state with ``q >= q_tol`` and ``|J^T F| <= grad_tol |J|_F |F|`` (a
        scale-free stationarity test of ``q``) is a slow point.
    max_iter : int
        Iterations of the batched loop.
    damping : float
        Initial ``lambda``.
    refine_steps : int
        Newton steps ``r <- r - J^{-1} F`` applied afterwards to every state with
        ``q < q_tol`` (kept only where they lower ``q``), so that the copies of
        one fixed point found from different starts agree to rounding error.
    chunk_size : int
        States processed per batched linear-algebra call (bounds the memory of
        the ``(chunk, N, N)`` Jacobians; the result does not depend on it).
    dedupe_tol : float
        Fixed points closer than this (Euclidean) are one point.
    outlier_scale : float, optional
        If given, discard fixed points whose distance to the nearest initial
        state exceeds ``outlier_scale`` times the median nearest-neighbour
        distance among the initial states (Golub & Sussillo's rule); off by default.
    stability_tol : float
        Passed to :func:`classify_stability` (in units of ``1/tau``).
    method : {"auto", "dense", "matrix_free"}
        ``"dense"`` forms the ``(N, N)`` Jacobian (and, for tanh, Hessian) of every live
        state and solves the damped system by batched LU: ``O(N^3)`` per start per
        iteration, fastest for small ``N``.  ``"matrix_free"`` never forms ``J``: the same
        damped step is solved by conjugate gradients from products ``J v`` and ``J^T u``
        (one ``(K, N) x (N, N)`` matrix product each, ``O(N^2)`` per start per CG
        iteration); converged and stalled starts leave the active set; dense Newton steps
        are taken only at the end, on the candidates (fixed points and near-misses with
        ``q < 1e8 q_tol``; slow-point candidates with the full Hessian of ``q``).
        ``"auto"`` takes ``"dense"`` for ``N <= 128``, else ``"matrix_free"``.
    cg_max_iter : int
        Matrix-free path: CG iterations per step (at most).
    cg_rtol : float
        Matrix-free path: relative residual at which CG stops, in ``(0, 1)``.

    Returns
    -------
    FixedPoints, or a list of them (one per network, in C order of ``B``) when batched.
    """
    import torch

    if not isinstance(dynamics, RateDynamics):
        raise TypeError(f"dynamics: must be a RateDynamics, got {type(dynamics).__name__}")
    r = torch.as_tensor(initial_states, dtype=dynamics.W.dtype, device=dynamics.W.device)
    want = dynamics.batch_shape + (None, dynamics.n_units)
    if r.ndim != len(want) or tuple(r.shape[:-2]) != dynamics.batch_shape or r.shape[-1] != dynamics.n_units:
        shape = "(" + ", ".join("K" if w is None else str(w) for w in want) + ")"
        raise ValueError(f"initial_states: must have shape {shape}, got {tuple(r.shape)}")
    if r.shape[-2] < 1:
        raise ValueError(f"initial_states: is empty (shape {tuple(r.shape)}); give at least one start")
    require_finite(r, "initial_states")
    _finite_positive(q_tol, "q_tol")
    _finite_positive(grad_tol, "grad_tol")
    _finite_positive(dedupe_tol, "dedupe_tol")
    _finite_positive(damping, "damping")
    _finite_positive(stability_tol, "stability_tol", strict=False)
    if outlier_scale is not None:
        _finite_positive(outlier_scale, "outlier_scale")
    _int_at_least(max_iter, "max_iter", 1)
    _int_at_least(refine_steps, "refine_steps", 0)
    _int_at_least(chunk_size, "chunk_size", 1)
    _int_at_least(cg_max_iter, "cg_max_iter", 1)
    _finite_positive(cg_rtol, "cg_rtol")
    if not cg_rtol < 1:
        raise ValueError(f"cg_rtol: must be < 1, got {cg_rtol!r}")
    if not isinstance(method, str) or method not in ("auto", "dense", "matrix_free"):
        raise ValueError(f"method: must be 'auto', 'dense' or 'matrix_free', got {method!r}")
    if method == "auto":
        method = "dense" if dynamics.n_units <= _DENSE_MAX_UNITS else "matrix_free"
    r0 = r.clone()
    n = dynamics.n_units
    act, tau = dynamics.act, dynamics.tau
    eye = torch.eye(n, dtype=r.dtype, device=r.device)
    # flatten to points (M, N); each point knows its network's W and c
    rf = r.reshape(-1, n).clone()
    M = rf.shape[0]
    if dynamics.batch_shape:
        Wf = dynamics.W.reshape(-1, n, n)
        cf = dynamics.c.reshape(-1, n)
        net = torch.arange(Wf.shape[0], device=r.device).repeat_interleave(r.shape[-2])
    else:
        Wf, cf = dynamics.W.unsqueeze(0), dynamics.c.unsqueeze(0)
        net = torch.zeros(M, dtype=torch.long, device=r.device)

    def terms(x, ids, jac=True):
        W, c = Wf[ids], cf[ids]
        m = (W @ x.unsqueeze(-1)).squeeze(-1) + c
        F = (-x + act.f(m)) / tau
        if not jac:
            return F
        J = (-eye + act.df(m).unsqueeze(-1) * W) / tau
        return F, J, m, W

    use_full_hessian = act.name == "tanh"  # f'' = 0 for the piecewise-linear ones
    qf = 0.5 * (terms(rf, net, jac=False) ** 2).sum(-1)
    lam = torch.full_like(qf, float(damping))
    def lm_step(live):
        """One damped step for the states ``live``; returns those still to iterate."""
        x, ids = rf[live], net[live]
        F, J, m, W = terms(x, ids)
        g = (J.mT @ F.unsqueeze(-1)).squeeze(-1)
        stationary = g.norm(dim=-1) <= grad_tol * J.norm(dim=(-2, -1)) * F.norm(dim=-1)
        keep = (qf[live] >= q_tol) & ~stationary & (lam[live] < 1e12)
        live, x, ids, F, J, m, W, g = (t[keep] for t in (live, x, ids, F, J, m, W, g))
        if live.numel() == 0:
            return live
        JtJ = J.mT @ J
        H = JtJ
        if use_full_hessian:
            w = F * act.d2f(m) / tau
            H = H + W.mT @ (w.unsqueeze(-1) * W)
        scale = JtJ.diagonal(dim1=-2, dim2=-1).mean(-1) + tau ** -2
        A = H + (lam[live] * scale)[:, None, None] * eye
        step = -guarded_solve(A, g.unsqueeze(-1), name="damped Hessian of q").squeeze(-1)
        x_new = x + step
        q_new = 0.5 * (terms(x_new, ids, jac=False) ** 2).sum(-1)
        accept = q_new < qf[live]
        rf[live] = torch.where(accept.unsqueeze(-1), x_new, x)
        qf[live] = torch.where(accept, q_new, qf[live])
        lam[live] = torch.where(accept, lam[live] * 0.1, lam[live] * 10.0).clamp_min(1e-15)
        return live

    def newton_polish(idx):
        F, J, _, _ = terms(rf[idx], net[idx])
        ok = torch.linalg.matrix_rank(J) == n
        idx, F, J = idx[ok], F[ok], J[ok]
        if idx.numel() == 0:
            return
        x_new = rf[idx] - guarded_solve(J, F.unsqueeze(-1), name="J (Newton polish)").squeeze(-1)
        q_new = 0.5 * (terms(x_new, net[idx], jac=False) ** 2).sum(-1)
        better = q_new < qf[idx]
        rf[idx[better]] = x_new[better]
        qf[idx[better]] = q_new[better]

    chunk = int(chunk_size)
    if method == "matrix_free":
        K = r.shape[-2]
        outs = [_matrix_free_network(_MatrixFreeNet(Wf[b], cf[b], act, tau), part, q_tol=q_tol,
                                     grad_tol=grad_tol, max_iter=max_iter, damping=damping,
                                     refine_steps=refine_steps, cg_max_iter=int(cg_max_iter),
                                     cg_rtol=float(cg_rtol))
                for b, part in enumerate(rf.split(K))]
        rf = torch.cat([o[0] for o in outs])
        qf = torch.cat([o[1] for o in outs])
        gnorm = torch.cat([o[2] for o in outs]).reshape(r.shape[:-1])
    else:
        live = torch.arange(M, device=r.device)
        for _ in range(int(max_iter)):
            if live.numel() == 0:
                break
            live = torch.cat([lm_step(part) for part in live.split(chunk)])

        # refine: plain Newton steps on F = 0 for the points that reached q < q_tol, so that
        # copies of one fixed point agree to rounding error before de-duplication
        for _ in range(int(refine_steps)):
            idx = torch.nonzero(qf < q_tol).squeeze(-1)
            if idx.numel() == 0:
                break
            for part in idx.split(chunk):
                newton_polish(part)
        gn = []
        for part in torch.arange(M, device=r.device).split(chunk):
            F, J, _, _ = terms(rf[part], net[part])
            g = (J.mT @ F.unsqueeze(-1)).squeeze(-1)
            gn.append(g.norm(dim=-1) / (J.norm(dim=(-2, -1)) * F.norm(dim=-1)).clamp_min(1e-300))
        gnorm = torch.cat(gn).reshape(r.shape[:-1])

    r = rf.reshape(r.shape)
    q = qf.reshape(r.shape[:-1])

    def jacobians(flat_idx):
        """Jacobians (k, N, N) as numpy at flat state indices."""
        flat_idx = torch.as_tensor(np.asarray(flat_idx, dtype=np.int64), device=r.device)
        if flat_idx.numel() == 0:
            return np.zeros((0, n, n))
        return terms(rf[flat_idx], net[flat_idx])[1].detach().cpu().numpy()

    # move everything to numpy per network for the (cheap) bookkeeping
    R, Q, G = r.detach().cpu().numpy(), q.detach().cpu().numpy(), gnorm.detach().cpu().numpy()
    R0 = r0.detach().cpu().numpy()
    if not dynamics.batch_shape:
        return _summarise(R, Q, G, R0, jacobians, q_tol, grad_tol, dedupe_tol, outlier_scale, stability_tol)
    K = R.shape[-2]
    R, Q, G = R.reshape(-1, K, n), Q.reshape(-1, K), G.reshape(-1, K)
    R0 = R0.reshape(-1, K, n)
    return [_summarise(R[b], Q[b], G[b], R0[b], lambda i, b=b: jacobians(b * K + np.asarray(i, dtype=np.int64)),
                       q_tol, grad_tol, dedupe_tol, outlier_scale, stability_tol)
            for b in range(R.shape[0])]


def _summarise(R, Q, G, R0, jac, q_tol, grad_tol, dedupe_tol, outlier_scale, stability_tol) -> FixedPoints:
    from scipy.spatial.distance import cdist

    fixed = Q < q_tol
    slow = (~fixed) & (G <= grad_tol)
    idx = np.flatnonzero(fixed)
    n_out = 0
    if outlier_scale is not None and len(idx):
        require_positive(outlier_scale, "outlier_scale")
        d0 = cdist(R0, R0)
        np.fill_diagonal(d0, np.inf)
        ref = float(np.median(d0.min(axis=1))) if len(R0) > 1 else np.inf
        far = cdist(R[idx], R0).min(axis=1) > outlier_scale * ref
        n_out = int(far.sum())
        idx = idx[~far]
    keep = idx[_dedupe(R[idx], Q[idx], dedupe_tol)] if len(idx) else idx
    pts, qs = R[keep], Q[keep]
    ev = np.linalg.eigvals(jac(keep)) if len(keep) else np.zeros((0, R.shape[-1]), dtype=complex)
    if len(keep):
        order = np.argsort(-np.real(ev), axis=1)
        ev = np.take_along_axis(ev, order, axis=1)
    sidx = np.flatnonzero(slow)
    skeep = sidx[_dedupe(R[sidx], Q[sidx], dedupe_tol)] if len(sidx) else sidx
    return FixedPoints(
        points=pts, q=qs, eigenvalues=ev, stability=classify_stability(ev, stability_tol) if len(keep) else [],
        slow_points=R[skeep], slow_q=Q[skeep], n_starts=len(R), n_converged=int(fixed.sum()),
        n_slow=int(slow.sum()), n_unconverged=int(len(R) - fixed.sum() - slow.sum()), n_outliers=n_out,
        final_states=R, final_q=Q,
    )


# --------------------------------------------------------------------------- #
# Ground truth for small ReLU networks
# --------------------------------------------------------------------------- #
def relu_fixed_points_exhaustive(W, c, *, tol: float = 1e-12, max_units: int = 14) -> np.ndarray:
    """Every isolated fixed point of ``r = relu(W r + c)`` by enumerating activation patterns.

    For each of the ``2^N`` patterns ``D = diag(d)``, ``d`` in ``{0, 1}^N``, the
    network is linear: ``r = D (W r + c)``, i.e. ``(I - D W) r = D c``.  The
    solution is a fixed point iff its pre-activation ``m = W r + c`` has the
    assumed signs (``m_k > 0`` where ``d_k = 1``, ``m_k <= 0`` where ``d_k = 0``).
    Patterns with singular ``I - D W`` (continua of fixed points) are skipped.

    Parameters
    ----------
    W : array (N, N), c : array (N,)
    tol : float
        Slack on the sign conditions.
    max_units : int
        Refuse larger ``N`` (the cost is ``2^N`` solves).

    Returns
    -------
    ndarray (M, N)
        The fixed points, sorted lexicographically.
    """
    require_square(W, "W")
    W = _real_matrix_array(W, "W")
    c = _real_matrix_array(c, "c")
    _finite_positive(tol, "tol", strict=False)
    if W.ndim != 2:
        raise ValueError(f"W: must be one (N, N) matrix, got shape {W.shape}")
    N = W.shape[0]
    if N < 1:
        raise ValueError(f"W: must have N >= 1 units, got shape {W.shape}")
    if c.shape != (N,):
        raise ValueError(f"c: must have shape ({N},), got {c.shape}")
    if N > max_units:
        raise ValueError(f"W: exhaustive enumeration needs N <= {max_units} (2^N patterns), got N = {N}")
    d = ((np.arange(2**N)[:, None] >> np.arange(N)[None, :]) & 1).astype(float)  # (2^N, N)
    A = np.eye(N)[None] - d[:, :, None] * W[None]
    rhs = d * c[None]
    det = guarded_det(A, name="I - D W")
    ok = np.abs(det) > 1e-12
    sol = np.zeros_like(rhs)
    if ok.any():
        sol[ok] = guarded_solve(A[ok], rhs[ok][..., None], name="I - D W")[..., 0]
    m = sol @ W.T + c
    consistent = np.where(d > 0, m > -tol, m <= tol).all(axis=1) & ok
    pts = sol[consistent]
    if len(pts) == 0:
        return pts.reshape(0, N)
    pts = pts[_dedupe(pts, np.zeros(len(pts)), 1e-9)]
    return pts[np.lexsort(pts.T[::-1])]
