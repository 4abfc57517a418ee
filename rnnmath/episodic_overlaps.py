"""Part I, chapter 06: the N_f -> infinity overlap recursion of sequence recall (note 000).

For random +-1 patterns ``xi`` (``N_f x N_h``), ``Xi = sqrt(beta) xi / sqrt(N_f)`` and ``Phi = alpha_c P``
(``P`` the cyclic shift, :func:`rnnmath.episodic.cyclic_transition`), the Elman update
``x(t+1) = Xi (I + Phi^T) Xi^T sigma(x(t))`` is, unit by unit,

    x_i(t+1) = beta * xi_i . u(t),     u = m + alpha_c P^T m,     m_mu = xi_mu^T sigma(x) / N_f.

When the state of unit ``i`` depends on ``i`` only through its pattern row ``xi_i`` (true at ``t = 0`` for a
start at a memory, and then at every step), the overlaps obey a closed recursion in which the average over
units becomes, as ``N_f -> infinity`` at fixed ``N_h``, the average over the ``2^N_h`` equally likely sign
vectors ``z``:

    m_mu(t+1) = E_z[ z_mu sigma(beta z . (m(t) + alpha_c P^T m(t))) ].            (book Eq. p1-eq-overlap-map)

There is no crosstalk term in it: crosstalk is a finite-``N_f`` correction.  For a pattern matrix whose
rows enumerate every sign vector equally often (``N_f`` a multiple of ``2^N_h``) the recursion is exact at
finite ``N_f``, which the chapter uses as an independent check.  The classical sequence-memory analyses are
Sompolinsky & Kanter (1986) and Kleinfeld (1986).
"""
from __future__ import annotations

import math

import torch

from .episodic import ACTIVATIONS, _check_name, _int, _pos, _real, _tensor

__all__ = ["sign_vectors", "overlap_map", "overlap_trajectory", "retrieves", "retrieval_threshold", "mixture_state"]

_MAX_NH = 16


def _check_nh(N_h) -> int:
    N_h = _int(N_h, "N_h", 2)
    if N_h > _MAX_NH:
        raise ValueError(f"N_h: the exact average enumerates 2^N_h sign vectors; N_h must be <= {_MAX_NH}, got {N_h}")
    return N_h


def sign_vectors(N_h: int, *, device=None, dtype=torch.float64) -> torch.Tensor:
    """All ``2^N_h`` vectors of ``{-1, +1}^N_h``, shape ``(2^N_h, N_h)`` (rows)."""
    N_h = _check_nh(N_h)
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype: must be torch.float32 or torch.float64, got {dtype!r}")
    k = torch.arange(2**N_h, device=device)
    bits = (k[:, None] >> torch.arange(N_h, device=device)[None, :]) & 1
    return (2 * bits - 1).to(dtype)


def _check_params(alpha_c, beta):
    _real(alpha_c, "alpha_c")
    beta = _pos(beta, "beta")
    return alpha_c, beta


def overlap_map(m, alpha_c, beta: float, sigma: str = "tanh") -> torch.Tensor:
    """One step of the ``N_f -> infinity`` overlap recursion, ``m -> E_z[z sigma(beta z.(m + alpha_c P^T m))]``.

    Parameters
    ----------
    m : ``(..., N_h)`` overlaps (``|m_mu| <= 1`` for a bounded sigma).
    alpha_c : float or tensor broadcasting with ``m.shape[:-1]``.
    beta : float > 0.

    Returns
    -------
    ``(..., N_h)``, the exact average over the ``2^N_h`` sign vectors.
    """
    name = _check_name(sigma)
    m = _tensor(m, "m")
    N_h = _check_nh(m.shape[-1])
    alpha_c, beta = _check_params(alpha_c, beta)
    a = torch.as_tensor(alpha_c, dtype=m.dtype, device=m.device)[..., None]
    u = m + a * torch.roll(m, shifts=1, dims=-1)               # (P^T m)_nu = m_{nu-1}
    Z = sign_vectors(N_h, device=m.device, dtype=m.dtype)      # (K, N_h)
    field = beta * (u @ Z.T)                                   # (..., K)
    return ACTIVATIONS[name][0](field) @ Z / Z.shape[0]


def overlap_trajectory(m0, alpha_c, beta: float, n_steps: int, sigma: str = "tanh") -> torch.Tensor:
    """Iterate :func:`overlap_map` ``n_steps`` times from ``m0``; returns ``(n_steps + 1, ..., N_h)``."""
    n_steps = _int(n_steps, "n_steps", 1)
    out = [_tensor(m0, "m0")]
    for _ in range(n_steps):
        out.append(overlap_map(out[-1], alpha_c, beta, sigma))
    return torch.stack(out)


def retrieves(traj: torch.Tensor, start: int = 0) -> torch.Tensor:
    """True where every step ``t >= 1`` of an overlap trajectory ``(T + 1, ..., N_h)`` has its largest overlap
    on memory ``(start + t) mod N_h`` *and* that overlap exceeds every other one by ``1e-9``."""
    traj = _tensor(traj, "traj")
    if traj.ndim < 2 or traj.shape[0] < 2:
        raise ValueError(f"traj: must have shape (T + 1, ..., N_h) with T >= 1, got {tuple(traj.shape)}")
    T1, N_h = traj.shape[0], traj.shape[-1]
    target = (start + torch.arange(T1, device=traj.device)) % N_h
    onehot = torch.nn.functional.one_hot(target, N_h).to(torch.bool).reshape((T1,) + (1,) * (traj.ndim - 2) + (N_h,))
    on = (traj * onehot).sum(-1)
    off = traj.masked_fill(onehot, -math.inf).amax(-1)
    return (on > off + 1e-9)[1:].all(0)


def retrieval_threshold(beta: float, N_h: int, *, n_steps: int = 60, lo: float = 1.0, hi: float = 4.0,
                        tol: float = 1e-3, m0: float = 0.99, sigma: str = "tanh") -> float:
    """Smallest ``alpha_c`` in ``[lo, hi]`` for which the limit recursion from ``m0 e_1`` retrieves the sequence
    for ``n_steps`` steps (bisection to ``tol``; a grid of 64 points first checks that the set of retrieving
    ``alpha_c`` is an interval ``[alpha*, hi]``, else ValueError).
    """
    beta = _pos(beta, "beta")
    N_h = _check_nh(N_h)
    n_steps = _int(n_steps, "n_steps", N_h)
    lo, hi, tol = _real(lo, "lo"), _real(hi, "hi"), _pos(tol, "tol")
    if not lo < hi:
        raise ValueError(f"lo: must be < hi, got lo = {lo}, hi = {hi}")
    m_start = torch.zeros(N_h, dtype=torch.float64)
    m_start[0] = _real(m0, "m0")

    def ok(alpha):
        a = torch.as_tensor(alpha, dtype=torch.float64)
        return retrieves(overlap_trajectory(m_start.expand(*a.shape, N_h), a, beta, n_steps, sigma))

    grid = torch.linspace(lo, hi, 64, dtype=torch.float64)
    good = ok(grid)
    if not bool(good[-1]):
        raise ValueError(f"hi: the recursion does not retrieve at alpha_c = hi = {hi}; raise hi")
    if bool(good[0]):
        raise ValueError(f"lo: the recursion already retrieves at alpha_c = lo = {lo}; lower lo")
    first = int(torch.nonzero(good)[0])
    if not bool(good[first:].all()):
        raise ValueError("alpha_c: the retrieving values do not form one interval on the grid; no single threshold")
    a, b = float(grid[first - 1]), float(grid[first])
    while b - a > tol:
        c = 0.5 * (a + b)
        a, b = (a, c) if bool(ok(c)) else (c, b)
    return b


def mixture_state(alpha_c: float, beta: float, N_h: int, *, sigma: str = "tanh", n_iter: int = 2000) -> float:
    """The symmetric mixture fixed point ``m_mu = m*`` for every ``mu`` of :func:`overlap_map`.

    With equal overlaps, ``u = (1 + alpha_c) m* 1`` and ``m* = E_z[z_1 sigma(beta (1 + alpha_c) m* sum(z))]``;
    the non-zero solution is found by iterating that scalar map from ``m* = 1`` (it is monotone).
    Returns ``m*`` (0 when only the trivial state exists).
    """
    N_h = _check_nh(N_h)
    alpha_c, beta = _check_params(alpha_c, beta)
    n_iter = _int(n_iter, "n_iter", 1)
    sig = ACTIVATIONS[_check_name(sigma)][0]
    Z = sign_vectors(N_h)
    zsum = Z.sum(-1)
    m = torch.tensor(1.0, dtype=torch.float64)
    for _ in range(n_iter):
        m = (Z[:, 0] * sig(beta * (1 + float(alpha_c)) * m * zsum)).mean()
    return float(m)
