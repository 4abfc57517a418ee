"""Part I — episodic memory theory of RNNs (note 000, Karuvally).

Notation (book's notation table): ``V_f`` feature neurons (``N_f``), ``V_h``
hidden/memory neurons (``N_h``), ``Xi`` (``N_f x N_h``) the stored memories
as columns, ``Phi`` (``N_h x N_h``) the inter-memory transitions,
``W = Xi (I + Phi^T) Xi^T`` the effective recurrent weight of the Elman update.

This module starts with the topological-conjugacy chapter (Eqs. 7-11); the
energy analysis of Part I extends it.
"""
from __future__ import annotations

from typing import Callable

import torch

from .validation import require_finite, require_ndim, require_shape, require_square

__all__ = [
    "elman_weight",
    "feature_map",
    "rate_map",
    "iterate_map",
    "ACTIVATIONS",
]

#: Invertible activations used in Part I: name -> (sigma, sigma^{-1}, sigma').
ACTIVATIONS: dict[str, tuple[Callable, Callable, Callable]] = {
    "tanh": (torch.tanh, torch.atanh, lambda x: 1 - torch.tanh(x) ** 2),
    # a bounded, invertible activation with a different shape (inverse in closed form)
    "softsign": (
        lambda x: x / (1 + x.abs()),
        lambda y: y / (1 - y.abs()),
        lambda x: 1 / (1 + x.abs()) ** 2,
    ),
    # an unbounded, invertible activation (onto R): sinh^{-1}
    "asinh": (torch.asinh, torch.sinh, lambda x: 1 / torch.sqrt(1 + x**2)),
}


def _activation(sigma: str | Callable) -> Callable:
    if callable(sigma):
        return sigma
    try:
        return ACTIVATIONS[sigma][0]
    except KeyError:
        raise ValueError(f"sigma: unknown activation {sigma!r}; known: {sorted(ACTIVATIONS)} or a callable") from None


def elman_weight(Xi: torch.Tensor, Phi: torch.Tensor) -> torch.Tensor:
    """Effective recurrent weight ``W = Xi (I + Phi^T) Xi^T`` (note 000, Eq. 7).

    Parameters
    ----------
    Xi : tensor, shape ``(..., N_f, N_h)``
        Memories as columns (a leading batch dimension is allowed).
    Phi : tensor, shape ``(..., N_h, N_h)``
        Transition matrix between memories.

    Returns
    -------
    W : tensor, shape ``(..., N_f, N_f)``
    """
    require_ndim(Xi, "Xi", (2, 3))
    require_square(Phi, "Phi")
    if Phi.shape[-1] != Xi.shape[-1]:
        raise ValueError(f"Phi: must be N_h x N_h with N_h = Xi.shape[-1] = {Xi.shape[-1]}, got shape {tuple(Phi.shape)}")
    eye = torch.eye(Phi.shape[-1], dtype=Phi.dtype, device=Phi.device)
    return Xi @ (eye + Phi.transpose(-1, -2)) @ Xi.transpose(-1, -2)


def _check_state(W: torch.Tensor, x: torch.Tensor) -> None:
    require_square(W, "W")
    if x.shape[-1] != W.shape[-1]:
        raise ValueError(f"x: last dimension must equal N_f = {W.shape[-1]}, got shape {tuple(x.shape)}")


def feature_map(W: torch.Tensor, x: torch.Tensor, sigma: str | Callable = "tanh") -> torch.Tensor:
    """The feature-space update ``f(x) = W sigma(x)`` (note 000, Eq. 7).

    ``x`` has shape ``(..., N_f)``; batches of states (and of matrices
    ``W`` of shape ``(..., N_f, N_f)``) broadcast.
    """
    _check_state(W, x)
    s = _activation(sigma)
    return (W @ s(x).unsqueeze(-1)).squeeze(-1)


def rate_map(W: torch.Tensor, x: torch.Tensor, sigma: str | Callable = "tanh") -> torch.Tensor:
    """The rate-space (Elman RNN) update ``g(x) = sigma(W x)`` (note 000, Eq. 10)."""
    _check_state(W, x)
    s = _activation(sigma)
    return s((W @ x.unsqueeze(-1)).squeeze(-1))


def iterate_map(step: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Orbit ``x0, step(x0), step(step(x0)), ...`` of length ``n_steps + 1``.

    Returns a tensor of shape ``(n_steps + 1, *x0.shape)``.
    """
    if not isinstance(n_steps, int) or n_steps < 0:
        raise ValueError(f"n_steps: must be a non-negative integer, got {n_steps!r}")
    require_finite(x0, "x0")
    out = [x0]
    for _ in range(n_steps):
        out.append(step(out[-1]))
    return torch.stack(out)
