"""Latent spaces of recurrent activity: Gaussian predictive information, DCA and PCA.

Part II, chapter 4 (``book/part2_rate/04_latent_spaces``), after sections 4--5
of note 001 (Amrut & Ankit) and Dynamical Components Analysis (Clark et al.,
2019).  For a stationary Gaussian time series ``x_t`` in ``R^N`` projected to
``y_t = V^T x_t`` (``V`` an ``N x d`` matrix with orthonormal columns), the
predictive information of a past window of ``T`` steps about the next ``T``
steps is

.. math::

    I_T(V) = \\log\\det \\Sigma_T(V) - \\tfrac12 \\log\\det \\Sigma_{2T}(V),

in nats, where :math:`\\Sigma_n(V)` is the ``nd x nd`` block-Toeplitz covariance
of ``n`` consecutive projected samples, built from the lagged cross-covariances
:math:`C_k = \\operatorname{Cov}(x_{t+k}, x_t)` as :math:`V^\\top C_k V`.
DCA maximises :math:`I_T(V)` over orthonormal ``V``; here many random starts
are optimised at once as one batched problem.

Shapes: data ``X`` is ``(time, N)`` or ``(trials, time, N)``; cross-covariances
are ``(lags, N, N)``; projections are ``(N, d)`` or a batch ``(S, N, d)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .linalg import logdet_spd
from .validation import as_numpy, require_finite, require_ndim, require_square

__all__ = [
    "lagged_cross_covariances",
    "block_toeplitz",
    "predictive_information",
    "var1_cross_covariances",
    "var1_predictive_information",
    "DCAResult",
    "dca",
    "pca",
    "subspace_angles",
    "orthonormal_basis",
]


def _torch():
    import torch

    return torch


def _as_tensor(x, device=None, dtype=None):
    torch = _torch()
    from .device import get_device

    dev = get_device() if device is None else torch.device(device)
    return torch.as_tensor(np.asarray(as_numpy(x)) if not isinstance(x, torch.Tensor) else x,
                           dtype=torch.float64 if dtype is None else dtype, device=dev)


def _real(x, name: str):
    """Refuse complex, boolean or non-numeric input with a TypeError naming the argument."""
    torch = _torch()
    if isinstance(x, torch.Tensor):
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"{name}: must be real-valued, got dtype {x.dtype}")
        return x
    arr = np.asarray(as_numpy(x))
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: must be real-valued, got dtype {arr.dtype}")
    return arr


def _pos_int(v, name: str, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name}: must be a positive integer (>= {low}), got {v!r}")
    return int(v)


def _nonneg_finite(v, name: str) -> float:
    if isinstance(v, (str, bytes, bool)) or v is None or not np.isscalar(v) and np.ndim(v) != 0:
        raise TypeError(f"{name}: must be a real number, got {v!r}")
    v = float(v)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name}: must be >= 0 and finite, got {v!r}")
    return v


def lagged_cross_covariances(X, n_lags: int, *, device=None, dtype=None):
    """Estimate ``C_k = Cov(x_{t+k}, x_t)`` for ``k = 0 .. n_lags-1``.

    Parameters
    ----------
    X : array or tensor, shape (time, N) or (trials, time, N)
        The time series (several independent trials are pooled).
    n_lags : int
        Number of lags (``2T`` for a window of ``T``).

    Returns
    -------
    tensor, shape (n_lags, N, N)
        ``C[k] = sum_t (x_{t+k} - mu)(x_t - mu)^T / (trials * time)`` (``mu`` the
        pooled mean).  The common denominator (the "biased" estimator, shrinking
        lag ``k`` by ``1 - k/time``) makes every block-Toeplitz matrix built from
        the estimates positive semi-definite -- it is a Gram matrix of shifted,
        zero-padded copies of the series -- so that the log-determinants of
        :func:`predictive_information` stay finite; the unbiased
        ``1/(time - k)`` version does not have this property, and DCA then
        chases spurious, unbounded PI.
    """
    require_ndim(X, "X", (2, 3))
    X = _real(X, "X")
    require_finite(X, "X")
    X = _as_tensor(X, device, dtype)
    if X.numel() == 0:
        raise ValueError(f"X: is empty (shape {tuple(X.shape)})")
    if X.ndim == 2:
        X = X.unsqueeze(0)
    if isinstance(n_lags, bool) or not isinstance(n_lags, (int, np.integer)) or int(n_lags) < 1 or int(n_lags) >= X.shape[1]:
        raise ValueError(f"n_lags: must be in [1, time - 1] = [1, {X.shape[1] - 1}], got {n_lags!r}")
    Xc = X - X.reshape(-1, X.shape[-1]).mean(0)
    L = X.shape[1]
    out = []
    for k in range(int(n_lags)):
        a, b = Xc[:, k:, :], Xc[:, : L - k, :]
        out.append(_torch().einsum("rti,rtj->ij", a, b) / (X.shape[0] * L))
    return _torch().stack(out)


def block_toeplitz(cross_covs, n_blocks: int | None = None):
    """Covariance of ``n`` consecutive samples from lagged cross-covariances.

    Parameters
    ----------
    cross_covs : tensor, shape (..., L, d, d)
        ``C[k] = Cov(y_{t+k}, y_t)``.
    n_blocks : int, optional
        Number of consecutive samples ``n <= L`` (default ``L``).

    Returns
    -------
    tensor, shape (..., n d, n d)
        Block ``(i, j)`` is ``Cov(y_{t+i}, y_{t+j})``: ``C[i-j]`` for ``i >= j``
        and ``C[j-i]^T`` otherwise.
    """
    torch = _torch()
    C = cross_covs if isinstance(cross_covs, torch.Tensor) else _as_tensor(_real(cross_covs, "cross_covs"))
    require_square(C, "cross_covs")
    if C.ndim < 3:
        raise ValueError(f"cross_covs: must have shape (..., L, d, d), got {tuple(C.shape)}")
    require_finite(C, "cross_covs")
    L = C.shape[-3]
    if n_blocks is not None and (isinstance(n_blocks, bool) or not isinstance(n_blocks, (int, np.integer))):
        raise ValueError(f"n_blocks: must be an integer in [1, {L}], got {n_blocks!r}")
    n = L if n_blocks is None else int(n_blocks)
    if not 1 <= n <= L:
        raise ValueError(f"n_blocks: must be in [1, {L}], got {n_blocks!r}")
    return _block_toeplitz(C, n)


def _block_toeplitz(C, n: int):
    """:func:`block_toeplitz` without input checks."""
    torch = _torch()
    d = C.shape[-1]
    i = torch.arange(n, device=C.device)
    lag = (i[:, None] - i[None, :]).abs()
    lower = (i[:, None] >= i[None, :])[..., None, None]
    B = torch.where(lower, C[..., lag, :, :], C.mT[..., lag, :, :])  # (..., n, n, d, d)
    B = B.movedim(-3, -2)  # (..., n, d, n, d)
    return B.reshape(*B.shape[:-4], n * d, n * d)


def predictive_information(cross_covs, V=None, T: int | None = None, reg: float = 0.0):
    """Gaussian predictive information ``I_T(V) = logdet S_T - logdet S_2T / 2`` in nats.

    Parameters
    ----------
    cross_covs : tensor, shape (L, N, N) or (*B, L, N, N)
        Lagged cross-covariances of the full series (one set per batch element,
        e.g. per network), ``L >= 2T``.
    V : tensor, shape (N, d) or (*S, N, d), optional
        Projection(s); ``None`` means the full space (``V = I``).  Columns
        should be orthonormal (PI is invariant to an invertible change of basis
        within the subspace, so any basis of the subspace gives the same value).
        The batch dimensions of ``V`` broadcast against ``B``.
    T : int, optional
        Past/future window length (default ``L // 2``).
    reg : float
        Variance of white observation noise added to every projected
        coordinate (``Sigma_n(V) + reg I``).  With ``reg = 0`` the PI of a
        nearly deterministic projection grows without bound; a small ``reg``
        keeps the optimisation well posed.

    Returns
    -------
    tensor, shape ``broadcast(B, S)`` (a scalar for one series and one ``V``)
    """
    torch = _torch()
    C = cross_covs if isinstance(cross_covs, torch.Tensor) else _as_tensor(_real(cross_covs, "cross_covs"))
    _real(C, "cross_covs")
    require_square(C, "cross_covs")
    if C.ndim < 3:
        raise ValueError(f"cross_covs: must have shape (L, N, N) or (*B, L, N, N), got {tuple(C.shape)}")
    require_finite(C, "cross_covs")
    L, N = C.shape[-3], C.shape[-1]
    if T is not None:
        _pos_int(T, "T")
    T = L // 2 if T is None else int(T)
    if T < 1 or 2 * T > L:
        raise ValueError(f"T: need 1 <= T and 2T <= L = {L} lags, got T = {T}")
    reg = _nonneg_finite(reg, "reg")
    if V is not None:
        V = _real(V, "V")
        V = V if isinstance(V, torch.Tensor) else _as_tensor(V, C.device, C.dtype)
        if V.ndim < 2 or V.shape[-2] != N:
            raise ValueError(f"V: must have shape ({N}, d) or (*S, {N}, d), got {tuple(V.shape)}")
        require_finite(V, "V")
        if V.shape[-1] < 1 or bool((torch.linalg.matrix_rank(V.detach()) < V.shape[-1]).any()):
            raise ValueError(f"V: columns must be linearly independent (full column rank), got shape {tuple(V.shape)}")
    return _pi_unchecked(C, V, T, reg)


def _pi_unchecked(C, V, T: int, reg: float):
    """:func:`predictive_information` without input checks (the inner loop of :func:`dca`)."""
    torch = _torch()
    C2 = C[..., : 2 * T, :, :]
    Cp = V.mT.unsqueeze(-3) @ C2 @ V.unsqueeze(-3) if V is not None else C2  # (..., 2T, d, d)
    S2 = _block_toeplitz(Cp, 2 * T)
    d = Cp.shape[-1]
    if reg:
        S2 = S2 + reg * torch.eye(S2.shape[-1], dtype=S2.dtype, device=S2.device)
    S1 = S2[..., : T * d, : T * d]
    return (logdet_spd(S1, name="cross_covs (block-Toeplitz covariance of T lags)")
            - 0.5 * logdet_spd(S2, name="cross_covs (block-Toeplitz covariance of 2T lags)"))


# --------------------------------------------------------------------------- #
# Ground truth: the stationary VAR(1) process
# --------------------------------------------------------------------------- #
def _var1_stationary(A, Q):
    from scipy.linalg import solve_discrete_lyapunov

    A = np.asarray(_real(A, "A"), dtype=float) if not hasattr(A, "detach") else np.asarray(as_numpy(_real(A, "A")), dtype=float)
    Q = np.asarray(_real(Q, "Q"), dtype=float) if not hasattr(Q, "detach") else np.asarray(as_numpy(_real(Q, "Q")), dtype=float)
    require_square(A, "A")
    require_finite(A, "A")
    require_finite(Q, "Q")
    if A.shape != Q.shape:
        raise ValueError(f"Q: must have the shape of A {A.shape}, got {Q.shape}")
    rho = float(np.max(np.abs(np.linalg.eigvals(A))))
    if not rho < 1:
        raise ValueError(f"A: must be stable (spectral radius < 1) for a stationary process, got {rho:.6g}")
    if not np.allclose(Q, Q.T, atol=1e-12) or np.min(np.linalg.eigvalsh((Q + Q.T) / 2)) <= 0:
        raise ValueError("Q: must be symmetric positive definite (a noise covariance)")
    return A, Q, solve_discrete_lyapunov(A, Q)


def var1_cross_covariances(A, Q, n_lags: int, *, device=None, dtype=None):
    """Exact ``C_k = A^k Sigma_0`` of ``x_{t+1} = A x_t + e_t``, ``e_t ~ N(0, Q)``.

    ``Sigma_0`` solves ``Sigma_0 = A Sigma_0 A^T + Q``.  Returns shape ``(n_lags, N, N)``.
    """
    A, Q, S0 = _var1_stationary(A, Q)
    _pos_int(n_lags, "n_lags")
    out, M = [], S0
    for _ in range(int(n_lags)):
        out.append(M)
        M = A @ M
    return _as_tensor(np.stack(out), device, dtype)


def var1_predictive_information(A, Q) -> float:
    """Closed form ``I_T = (logdet Sigma_0 - logdet Q) / 2`` of a VAR(1) process (any ``T >= 1``).

    The process is Markov, so the past window tells the future window exactly
    what ``x_t`` tells ``x_{t+1}``: ``H(x_{t+1}) - H(x_{t+1} | x_t)``.
    """
    _, Q, S0 = _var1_stationary(A, Q)
    return float(0.5 * (logdet_spd(S0, name="Sigma_0") - logdet_spd(Q, name="Q")))


# --------------------------------------------------------------------------- #
# DCA and PCA
# --------------------------------------------------------------------------- #
def orthonormal_basis(M):
    """Orthonormal basis of the column space: ``Q`` of a QR decomposition, sign-fixed.

    ``M`` has shape ``(..., N, d)`` with ``d <= N`` and linearly independent columns (a numpy
    array or nested list is converted to a float64 tensor); the signs make ``diag(R) > 0``.
    """
    torch = _torch()
    M = _real(M, "M")
    M = M if isinstance(M, torch.Tensor) else _as_tensor(M)
    if M.ndim < 2:
        raise ValueError(f"M: must have shape (..., N, d), got {tuple(M.shape)}")
    if M.shape[-1] > M.shape[-2] or M.shape[-1] < 1:
        raise ValueError(f"M: must have d <= N columns (and d >= 1), got shape {tuple(M.shape)}")
    require_finite(M, "M")
    if M.numel() and bool((torch.linalg.matrix_rank(M.detach()) < M.shape[-1]).any()):
        raise ValueError("M: columns must be linearly independent (full column rank)")
    return _orthonormal_basis(M)


def _orthonormal_basis(M):
    """:func:`orthonormal_basis` without input checks (inner loop of :func:`dca`)."""
    torch = _torch()
    Qm, R = torch.linalg.qr(M)
    s = torch.sign(R.diagonal(dim1=-2, dim2=-1))
    s = torch.where(s == 0, torch.ones_like(s), s)
    return Qm * s.unsqueeze(-2)


@dataclass
class DCAResult:
    """Outcome of :func:`dca`.

    Attributes
    ----------
    V : tensor (N, d) or (B, N, d)
        Orthonormal basis of the best subspace found (per series of a batch).
    pi : float or tensor (B,)
        Its predictive information (nats).
    V_starts : tensor (S, N, d) or (B, S, N, d)
        The optimum reached from each start.
    pi_starts : tensor (S,) or (B, S)
        The predictive information reached from each start.
    """

    V: object
    pi: float
    V_starts: object
    pi_starts: object


def _lbfgs_batched(fun, x0, *, max_iter: int = 300, history: int = 10, gtol: float = 1e-9, ftol: float = 1e-12):
    """Minimise ``P`` independent problems at once with a per-problem L-BFGS.

    ``fun(x, idx)`` maps the states ``x`` (k, n) of the problems ``idx`` (k,)
    to their ``k`` objective values; the problems must be independent, so the
    gradient of ``fun(x, idx).sum()`` holds every problem's gradient.  Each
    problem keeps its own curvature pairs and its own backtracking (Armijo)
    step length, and only the problems still running are evaluated -- unlike
    ``torch.optim.LBFGS`` on the summed objective, which shares one line search
    and one curvature memory between all problems (and, on DCA, stalls far
    from the optimum).

    Returns the final ``x`` (P, n) and a boolean (P,) telling which problems
    met the gradient tolerance ``gtol``.
    """
    torch = _torch()

    def f_and_g(x, idx):
        x = x.detach().requires_grad_(True)
        f = fun(x, idx)
        (g,) = torch.autograd.grad(f.sum(), x)
        return f.detach(), g.detach()

    x = x0.detach().clone()
    Pn, n = x.shape
    every = torch.arange(Pn, device=x.device)
    f, g = f_and_g(x, every)
    S = torch.zeros(Pn, history, n, dtype=x.dtype, device=x.device)
    Y = torch.zeros_like(S)
    rho = torch.zeros(Pn, history, dtype=x.dtype, device=x.device)
    done = g.norm(dim=1) <= gtol
    for it in range(int(max_iter)):
        act = torch.nonzero(~done).squeeze(-1)
        if act.numel() == 0:
            break
        xa, fa, ga, Sa, Ya, ra = x[act], f[act], g[act], S[act], Y[act], rho[act]
        # two-loop recursion, newest pair last
        q = ga.clone()
        alphas = []
        for k in range(history - 1, -1, -1):
            a = ra[:, k] * (Sa[:, k] * q).sum(1)
            q = q - a[:, None] * Ya[:, k]
            alphas.append(a)
        yy = (Ya[:, -1] * Ya[:, -1]).sum(1)
        gamma = torch.where(ra[:, -1] > 0, 1.0 / (ra[:, -1] * yy).clamp_min(1e-300),
                            1.0 / ga.norm(dim=1).clamp_min(1e-12))
        z = gamma[:, None] * q
        for k, a in zip(range(history), reversed(alphas)):
            b = ra[:, k] * (Ya[:, k] * z).sum(1)
            z = z + (a - b)[:, None] * Sa[:, k]
        d = -z
        slope = (ga * d).sum(1)
        bad = slope >= 0
        d = torch.where(bad[:, None], -ga, d)
        slope = torch.where(bad, -(ga * ga).sum(1), slope)
        step = torch.ones(act.numel(), dtype=x.dtype, device=x.device)
        accepted = torch.zeros(act.numel(), dtype=torch.bool, device=x.device)
        x_new, f_new = xa.clone(), fa.clone()
        for _ in range(40):
            pend = torch.nonzero(~accepted).squeeze(-1)
            if pend.numel() == 0:
                break
            trial = xa[pend] + step[pend, None] * d[pend]
            with torch.no_grad():
                ft = fun(trial, act[pend])
            ok = torch.isfinite(ft) & (ft <= fa[pend] + 1e-4 * step[pend] * slope[pend])
            x_new[pend[ok]] = trial[ok]
            f_new[pend[ok]] = ft[ok]
            accepted[pend[ok]] = True
            step[pend[~ok]] *= 0.5
        g_new = f_and_g(x_new, act)[1]
        s_k, y_k = x_new - xa, g_new - ga
        sy = (s_k * y_k).sum(1)
        push = (sy > 1e-12) & accepted
        S[act] = torch.where(push[:, None, None], torch.cat([Sa[:, 1:], s_k[:, None]], 1), Sa)
        Y[act] = torch.where(push[:, None, None], torch.cat([Ya[:, 1:], y_k[:, None]], 1), Ya)
        rho[act] = torch.where(push[:, None], torch.cat([ra[:, 1:], (1.0 / sy.clamp_min(1e-300))[:, None]], 1), ra)
        small = (fa - f_new).abs() <= ftol * (1 + fa.abs())
        x[act], f[act], g[act] = x_new, f_new, g_new
        done[act] = (~accepted) | (g_new.norm(dim=1) <= gtol) | (small & (it > 0))
    return x, g.norm(dim=1) <= gtol


def dca(cross_covs, d: int, T: int | None = None, *, n_starts: int = 8, max_iter: int = 300,
        init=None, seed: int = 0, reg: float = 0.0) -> DCAResult:
    """Dynamical Components Analysis: maximise ``I_T(V)`` over orthonormal ``N x d`` matrices.

    ``V = orthonormal_basis(M)`` for an unconstrained ``M``; all starts (of all
    series in a batch) are optimised at once by a batched L-BFGS in which each
    start keeps its own curvature memory and step length
    (:func:`_lbfgs_batched`).

    Parameters
    ----------
    cross_covs : tensor (L, N, N) or (B, L, N, N)
        One series, or a batch of ``B`` series (e.g. one per network).
    d : int
        Dimension of the projection (``1 <= d <= N``).
    T : int, optional
        Window (default ``L // 2``).
    n_starts : int
        Random orthonormal starts per series (ignored when ``init`` is given).
    max_iter : int
        L-BFGS iterations.
    init : tensor (N, d), (S, N, d) or (B, S, N, d), optional
        Starting projections.
    seed : int
        Seed of the random starts.
    reg : float
        Observation-noise regularisation of :func:`predictive_information`.

    Returns
    -------
    DCAResult
        For a batch, ``V`` is ``(B, N, d)``, ``pi`` a ``(B,)`` tensor,
        ``V_starts`` ``(B, S, N, d)`` and ``pi_starts`` ``(B, S)``.
    """
    torch = _torch()
    C = cross_covs if isinstance(cross_covs, torch.Tensor) else _as_tensor(_real(cross_covs, "cross_covs"))
    _real(C, "cross_covs")
    require_square(C, "cross_covs")
    if C.ndim not in (3, 4):
        raise ValueError(f"cross_covs: must have shape (L, N, N) or (B, L, N, N), got {tuple(C.shape)}")
    require_finite(C, "cross_covs")
    batched = C.ndim == 4
    Cb = C if batched else C.unsqueeze(0)
    B, N = Cb.shape[0], Cb.shape[-1]
    _pos_int(d, "d")
    if not 1 <= int(d) <= N:
        raise ValueError(f"d: must be in [1, N = {N}], got {d!r}")
    _pos_int(max_iter, "max_iter")
    reg = _nonneg_finite(reg, "reg")
    if init is None:
        _pos_int(n_starts, "n_starts")
        g = torch.Generator(device="cpu").manual_seed(int(seed))
        M0 = torch.randn(B, int(n_starts), N, int(d), generator=g, dtype=C.dtype).to(C.device)
    else:
        init = _real(init, "init")
        M0 = torch.as_tensor(np.asarray(init) if not isinstance(init, torch.Tensor) else init, dtype=C.dtype, device=C.device)
        shape0 = tuple(M0.shape)
        if M0.ndim < 2 or M0.ndim > 4:
            raise ValueError(f"init: must have shape ({N}, {d}), (S, {N}, {d}) or ({B}, S, {N}, {d}), got {shape0}")
        while M0.ndim < 4:
            M0 = M0.unsqueeze(0)
        if tuple(M0.shape[-2:]) != (N, int(d)) or M0.shape[0] not in (1, B):
            raise ValueError(f"init: must have shape ({N}, {d}), (S, {N}, {d}) or ({B}, S, {N}, {d}), got {shape0}")
        require_finite(M0, "init")
        M0 = M0.expand(B, *M0.shape[1:]).clone()
    Cs = Cb.unsqueeze(1)  # (B, 1, L, N, N)
    predictive_information(Cs, orthonormal_basis(M0), T, reg)  # validates T, reg and the starts early
    shape = M0.shape  # (B, S, N, d)
    T_eff = Cb.shape[-3] // 2 if T is None else int(T)

    n_st = shape[1]

    def neg_pi(x, idx):  # problem p = (series p // S, start p % S)
        Vx = _orthonormal_basis(x.reshape(-1, shape[2], shape[3]))
        return -_pi_unchecked(Cb[idx // n_st], Vx, T_eff, reg)

    x_opt, _ = _lbfgs_batched(neg_pi, M0.reshape(shape[0] * n_st, -1), max_iter=int(max_iter))
    M = x_opt.reshape(shape)
    with torch.no_grad():
        Vs = _orthonormal_basis(M)
        pis = _pi_unchecked(Cs, Vs, T_eff, reg)  # (B, S)
        best = torch.argmax(pis, dim=1)
        V_best = Vs[torch.arange(B, device=C.device), best]
        pi_best = pis[torch.arange(B, device=C.device), best]
    if not batched:
        return DCAResult(V=V_best[0].detach(), pi=float(pi_best[0]), V_starts=Vs[0].detach(), pi_starts=pis[0].detach())
    return DCAResult(V=V_best.detach(), pi=pi_best.detach(), V_starts=Vs.detach(), pi_starts=pis.detach())


def pca(X, d: int, *, device=None, dtype=None):
    """Top-``d`` principal axes of the pooled data.

    Parameters
    ----------
    X : array or tensor, shape (samples, N) or (trials, time, N)
    d : int

    Returns
    -------
    V : tensor (N, d)
        Orthonormal eigenvectors of the covariance, by decreasing variance.
    variances : tensor (d,)
        The corresponding eigenvalues.
    """
    torch = _torch()
    require_ndim(X, "X", (2, 3))
    X = _real(X, "X")
    require_finite(X, "X")
    X = _as_tensor(X, device, dtype)
    X = X.reshape(-1, X.shape[-1])
    N = X.shape[-1]
    if X.shape[0] < 2:
        raise ValueError(f"X: needs at least 2 samples for a covariance, got {X.shape[0]}")
    _pos_int(d, "d")
    if not 1 <= int(d) <= N:
        raise ValueError(f"d: must be in [1, N = {N}], got {d!r}")
    Xc = X - X.mean(0)
    cov = Xc.T @ Xc / max(X.shape[0] - 1, 1)
    evals, evecs = torch.linalg.eigh(cov)
    order = torch.argsort(evals, descending=True)[: int(d)]
    return evecs[:, order], evals[order]


def subspace_angles(A, B) -> np.ndarray:
    """Principal angles (radians, ascending) between the column spaces of ``A`` and ``B``.

    A thin wrapper of :func:`scipy.linalg.subspace_angles` (which returns them
    in descending order) with shape checks.

    Parameters
    ----------
    A : array (N, p), B : array (N, q)
        A 1-D array is a single vector.

    Returns
    -------
    ndarray (min(p, q),)
    """
    from scipy.linalg import subspace_angles as _sa

    A = np.asarray(as_numpy(_real(A, "A")), dtype=float)
    B = np.asarray(as_numpy(_real(B, "B")), dtype=float)
    A = A[:, None] if A.ndim == 1 else A
    B = B[:, None] if B.ndim == 1 else B
    require_ndim(A, "A", 2)
    require_ndim(B, "B", 2)
    for name, M in (("A", A), ("B", B)):
        if M.size == 0:
            raise ValueError(f"{name}: is empty (shape {M.shape})")
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"B: must have as many rows as A ({A.shape[0]}), got shape {B.shape}")
    require_finite(A, "A")
    require_finite(B, "B")
    for name, M in (("A", A), ("B", B)):
        if np.linalg.matrix_rank(M) < M.shape[1]:
            raise ValueError(f"{name}: columns must be linearly independent (full column rank)")
    return np.sort(_sa(A, B))
