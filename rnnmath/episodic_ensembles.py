"""Ensemble experiments of Part I (chapters 05 and 06), batched over networks.

Helpers that the chapters call instead of writing loops in code cells:

* :func:`symmetric_ensemble` — symmetric couplings with a prescribed smallest eigenvalue
  (the sharp CCCP condition ``lambda_min(W) >= -1`` of chapter 05);
* :func:`rising_fraction` — per-network fraction of steps on which an energy rises;
* :func:`two_step_lyapunov` — the two-step function ``G(s, s') = L*(s) + L*(s') - s^T W s'``
  (Eq. ``p1-eq-two-step``);
* :func:`cycle_following` — whether a (continuous-time) run visits the memories in the order
  of the cycle, and how many transitions it makes (chapter 06);
* :func:`slow_delay_run` — Eq. 1 integrated from the first memory for a batch of sequence
  networks (the slow-``V_d`` regime of Karuvally et al. 2023).
"""
from __future__ import annotations

import math as _math

import numpy as _np
import torch

from . import episodic as _ep

__all__ = ["symmetric_ensemble", "rising_fraction", "two_step_lyapunov", "cycle_following", "slow_delay_run"]


def _int(v, name: str, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, _np.integer)) or v < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {v!r}")
    return int(v)


def _float_tensor(t, name: str, min_ndim: int) -> torch.Tensor:
    if isinstance(t, (list, tuple, _np.ndarray)):
        t = torch.as_tensor(_np.asarray(t, dtype=float))
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name}: must be a tensor, got {type(t).__name__}")
    if t.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name}: must be a float32/float64 tensor, got {t.dtype}")
    if t.ndim < min_ndim:
        raise ValueError(f"{name}: must have at least {min_ndim} dimensions, got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name}: is empty (shape {tuple(t.shape)})")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name}: must be finite (found NaN or inf)")
    return t


def symmetric_ensemble(batch: int, N: int, lam_min, lam_max: float = 2.0, *,
                       generator: torch.Generator | None = None, device=None, dtype=torch.float64) -> torch.Tensor:
    """Random symmetric matrices ``W = Q diag(lambda) Q^T`` with smallest eigenvalue exactly ``lam_min``.

    ``Q`` is a random orthogonal matrix (QR of a Gaussian matrix); one eigenvalue is pinned at
    ``lam_min``, the others are uniform on ``[lam_min, lam_max]``.

    Parameters
    ----------
    batch, N : int
        Number of matrices and their size.
    lam_min : float or tensor ``(batch,)``
        Smallest eigenvalue, one value for all or one per matrix (several spectra as one batch).
    lam_max : float
        Upper end of the uniform spectrum; must exceed every ``lam_min``.

    Returns
    -------
    torch.Tensor
        ``(batch, N, N)``, symmetric to rounding.
    """
    from .device import get_device

    batch, N = _int(batch, "batch", 1), _int(N, "N", 1)
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype: must be torch.float32 or torch.float64, got {dtype!r}")
    device = get_device() if device is None else torch.device(device)
    lo = torch.as_tensor(lam_min, dtype=dtype, device=device) if not isinstance(lam_min, torch.Tensor) \
        else lam_min.to(device=device, dtype=dtype)
    if lo.ndim > 1 or (lo.ndim == 1 and lo.shape[0] != batch):
        raise ValueError(f"lam_min: must be a scalar or have shape ({batch},), got shape {tuple(lo.shape)}")
    if not bool(torch.isfinite(lo).all()):
        raise ValueError("lam_min: must be finite")
    if isinstance(lam_max, bool) or not isinstance(lam_max, (int, float)) or not _math.isfinite(lam_max):
        raise ValueError(f"lam_max: must be a finite number, got {lam_max!r}")
    if not bool((lo < lam_max).all()):
        raise ValueError(f"lam_max: must exceed lam_min (lam_max = {lam_max}, max lam_min = {lo.max().item()})")
    lo = lo.expand(batch)
    Q, _ = torch.linalg.qr(torch.randn(batch, N, N, generator=generator, device=device, dtype=dtype))
    u = torch.rand(batch, N, generator=generator, device=device, dtype=dtype)
    lam = lo[:, None] + (lam_max - lo[:, None]) * u
    lam[:, 0] = lo
    W = (Q * lam[:, None, :]) @ Q.transpose(-1, -2)
    return 0.5 * (W + W.transpose(-1, -2))


def rising_fraction(E, rel_tol: float = 1e-12) -> torch.Tensor:
    """Per-network fraction of steps on which ``E`` rises by more than ``rel_tol`` of its scale.

    Parameters
    ----------
    E : tensor ``(T + 1, ...)``
        Energy along trajectories (time first).
    rel_tol : float
        A step rises when ``E(t+1) - E(t) > rel_tol * max(1, max_t |E|)`` (scale per network).

    Returns
    -------
    torch.Tensor
        ``(...)`` fractions in ``[0, 1]``.
    """
    E = _float_tensor(E, "E", 1)
    if E.shape[0] < 2:
        raise ValueError(f"E: needs T + 1 >= 2 time points, got shape {tuple(E.shape)}")
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, (int, float)) or not (rel_tol >= 0) or not _math.isfinite(rel_tol):
        raise ValueError(f"rel_tol: must be a finite number >= 0, got {rel_tol!r}")
    scale = E.abs().amax(0).clamp_min(1.0)
    return (torch.diff(E, dim=0) > rel_tol * scale).to(E.dtype).mean(0)


def two_step_lyapunov(x, W, sigma: str = "tanh") -> torch.Tensor:
    """``G(s_t, s_{t+1}) = L*(s_t) + L*(s_{t+1}) - s_t^T W s_{t+1}`` along a trajectory (Eq. p1-eq-two-step).

    ``L*(s)`` is evaluated as ``x^T sigma(x) - L(x)`` from the pre-activations, so saturated
    units need no inverse.

    Parameters
    ----------
    x : tensor ``(T + 1, ..., N)``
        Pre-activations along a run of ``x(t+1) = W sigma(x(t))`` (e.g. from ``episodic.run_elman``).
    W : tensor ``(..., N, N)``
        The (symmetric) coupling.

    Returns
    -------
    torch.Tensor
        ``(T, ...)``; non-increasing in ``t`` for every symmetric ``W``.
    """
    x = _float_tensor(x, "x", 2)
    W = _float_tensor(W, "W", 2)
    if x.shape[0] < 2:
        raise ValueError(f"x: needs T + 1 >= 2 time points, got shape {tuple(x.shape)}")
    if W.shape[-1] != W.shape[-2] or W.shape[-1] != x.shape[-1]:
        raise ValueError(f"W: must be square with the size of x's last axis ({x.shape[-1]}), got {tuple(W.shape)}")
    sig = _ep.ACTIVATIONS[_ep._check_name(sigma)][0]
    S = sig(x)
    Lstar = (x * S).sum(-1) - _ep.lagrangian(x, sigma)
    return Lstar[:-1] + Lstar[1:] - (S[:-1] * _ep._mv(W, S[1:])).sum(-1)


def cycle_following(overlaps, min_transitions: int):
    """Does each run visit the memories in the cyclic order, with at least ``min_transitions`` transitions?

    The memory of largest overlap is tracked along the run; every change of it must be from
    ``mu`` to ``mu + 1 (mod N_h)``.

    Parameters
    ----------
    overlaps : tensor ``(T + 1, ..., N_h)``
        From ``episodic.memory_overlaps``.
    min_transitions : int
        Transitions required (``N_h + 1`` = once round the cycle and one more).

    Returns
    -------
    follows : bool tensor ``(...)``
    n_transitions : long tensor ``(...)``
    """
    overlaps = _float_tensor(overlaps, "overlaps", 2)
    if overlaps.shape[0] < 2 or overlaps.shape[-1] < 2:
        raise ValueError(f"overlaps: must have shape (T + 1 >= 2, ..., N_h >= 2), got {tuple(overlaps.shape)}")
    min_transitions = _int(min_transitions, "min_transitions", 1)
    best = overlaps.argmax(-1)
    changed = best[1:] != best[:-1]
    forward = torch.remainder(best[1:] - best[:-1], overlaps.shape[-1]) == 1
    n = changed.sum(0)
    return (forward | ~changed).all(0) & (n >= min_transitions), n


def slow_delay_run(patterns, alpha_c, beta: float, *, dt: float, n_steps: int, T_f: float = 1.0,
                   T_h: float = 0.1, T_d: float = 20.0, start: float = 0.99):
    """Integrate Eq. 1 for sequence networks from ``sigma(V_f) = start * xi_1``, ``V_d = sigma(V_f)``, ``V_h`` on its nullcline.

    Parameters
    ----------
    patterns : tensor ``(N_f, N_h)`` or ``(batch, N_f, N_h)``
        +-1 memories (columns), as for ``episodic.sequence_network``.
    alpha_c, beta : float
        Delay-pathway weight and pattern gain (``Xi = sqrt(beta) xi / sqrt(N_f)``, ``Phi = alpha_c P``).
    dt, n_steps, T_f, T_h, T_d : RK4 step, number of steps and time constants of Eq. 1.
    start : float in (0, 1)
        Initial rate amplitude on the first memory.

    Returns
    -------
    dict
        ``x, h, y`` (``(n_steps + 1, ..., N)``), ``Xi``, ``Phi`` and ``overlaps`` (``(n_steps + 1, ..., N_h)``).
    """
    if isinstance(start, bool) or not isinstance(start, (int, float)) or not (0 < start < 1):
        raise ValueError(f"start: must be in (0, 1), got {start!r}")
    Xi, Phi = _ep.sequence_network(patterns, alpha_c, beta)
    pats = Xi * (_math.sqrt(Xi.shape[-2]) / _math.sqrt(float(beta)))
    x0 = torch.atanh(start * pats[..., 0])
    y0 = torch.tanh(x0)
    h0 = _ep._mv(Xi.transpose(-1, -2), y0)
    h0 = h0 + _ep._mv(Phi.transpose(-1, -2), h0)
    x, h, y = _ep.simulate_continuous(x0, h0, y0, Xi, Phi, dt, n_steps, T_f=T_f, T_h=T_h, T_d=T_d)
    return dict(x=x, h=h, y=y, Xi=Xi, Phi=Phi, overlaps=_ep.memory_overlaps(x, Xi) * _math.sqrt(Xi.shape[-2] / beta))
