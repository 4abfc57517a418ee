"""Part I — episodic memory theory of RNNs (note 000, Karuvally).

Notation (book's notation table): ``V_f`` feature neurons (``N_f``), ``V_h``
hidden/memory neurons (``N_h``), ``Xi`` (``N_f x N_h``) the stored memories
as columns, ``Phi`` (``N_h x N_h``) the inter-memory transitions,
``W = Xi (I + Phi^T) Xi^T`` the effective recurrent weight of the Elman update.

The first functions serve the topological-conjugacy chapter (Eqs. 7-11); the
rest serve the energy analysis: the continuous-time system and its energy
(chapters 01, 03; Eqs. 1-2, 12-26), the discrete energy update (chapter 04;
Eqs. 27-43), Hessians and the concave-convex procedure (chapter 05; Eqs. 44-58)
and sequence recall with a cyclic ``Phi`` (chapter 06).
"""
from __future__ import annotations

import math as _math
from typing import Callable

import numpy as _np
import torch

from .validation import (require_finite, require_in_range, require_ndim, require_positive, require_psd,
                         require_shape, require_square, require_symmetric)

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


# --------------------------------------------------------------------------- #
# Input validation (every public function refuses bad input with the argument's name)
# --------------------------------------------------------------------------- #
_FLOAT_DTYPES = (torch.float32, torch.float64)


def _tensor(x, name: str, *, min_ndim: int = 1, like: torch.Tensor | None = None) -> torch.Tensor:
    """``x`` as a finite, non-empty float32/float64 tensor; lists and numpy arrays become float64.

    A torch tensor of another dtype (int, bool, complex, float16) is refused with TypeError, so
    that nothing is silently truncated or cast.  ``like`` gives the device for converted input.
    """
    if isinstance(x, torch.Tensor):
        t = x
    else:
        if isinstance(x, (str, bytes)) or x is None or callable(x):
            raise TypeError(f"{name}: must be a float tensor or a real array, got {type(x).__name__}")
        try:
            arr = _np.asarray(x)
        except Exception:
            raise TypeError(f"{name}: must be a float tensor or a real array, got {type(x).__name__}") from None
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: must be a float tensor or a real array, got dtype {arr.dtype}")
        t = torch.as_tensor(arr.astype(_np.float64), device=None if like is None else like.device)
    if t.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name}: must be a floating-point tensor (float32 or float64), got dtype {t.dtype}")
    if t.ndim < min_ndim:
        raise ValueError(f"{name}: must have at least {min_ndim} dimension(s), got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name}: is empty (shape {tuple(t.shape)})")
    require_finite(t, name)
    return t


def _same_dtype(t: torch.Tensor, name: str, ref: torch.Tensor, ref_name: str) -> None:
    if t.dtype != ref.dtype:
        raise TypeError(f"{name}: dtype {t.dtype} differs from {ref_name}'s dtype {ref.dtype}; convert one of them")


def _broadcast(t: torch.Tensor, name: str, core: int, ref: torch.Tensor, ref_name: str, ref_core: int) -> None:
    """The batch (leading) shapes of ``t`` and ``ref`` must broadcast."""
    a, b = tuple(t.shape[:t.ndim - core]), tuple(ref.shape[:ref.ndim - ref_core])
    try:
        torch.broadcast_shapes(a, b)
    except RuntimeError:
        raise ValueError(f"{name}: batch shape {a} does not broadcast with {ref_name}'s batch shape {b}") from None


def _int(v, name: str, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, _np.integer)) or v < low:
        raise ValueError(f"{name}: must be a {'positive' if low == 1 else 'non-negative' if low == 0 else f'>= {low}'} "
                         f"integer, got {v!r}")
    return int(v)


def _flag(v, name: str) -> bool:
    if not isinstance(v, (bool, _np.bool_)):
        raise TypeError(f"{name}: must be a bool, got {type(v).__name__} {v!r}")
    return bool(v)


def _pos(v, name: str, strict: bool = True) -> float:
    """A finite positive (or, with ``strict=False``, non-negative) real scalar."""
    require_positive(v, name, strict=strict)
    require_finite(v, name)
    return float(v)


def _real(v, name: str):
    """A finite real scalar or tensor (NaN and inf refused)."""
    require_in_range(v, name)
    require_finite(v, name)
    return v


def _activation(sigma: str | Callable) -> Callable:
    if callable(sigma):
        return sigma
    try:
        return ACTIVATIONS[sigma][0]
    except (KeyError, TypeError):
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
    Xi, Phi, _, _ = _check_network(Xi, Phi)
    eye = torch.eye(Phi.shape[-1], dtype=Phi.dtype, device=Phi.device)
    return Xi @ (eye + Phi.transpose(-1, -2)) @ Xi.transpose(-1, -2)


def _check_matrix(W, name: str = "W") -> torch.Tensor:
    W = _tensor(W, name, min_ndim=2)
    require_square(W, name)
    return W


def _check_state(W, x, x_name: str = "x"):
    W = _check_matrix(W, "W")
    return W, _check_vec(x, x_name, W.shape[-1], "N_f", W, "W")


def feature_map(W: torch.Tensor, x: torch.Tensor, sigma: str | Callable = "tanh") -> torch.Tensor:
    """The feature-space update ``f(x) = W sigma(x)`` (note 000, Eq. 7).

    ``x`` has shape ``(..., N_f)``; batches of states (and of matrices
    ``W`` of shape ``(..., N_f, N_f)``) broadcast.
    """
    W, x = _check_state(W, x)
    s = _activation(sigma)
    return (W @ s(x).unsqueeze(-1)).squeeze(-1)


def rate_map(W: torch.Tensor, x: torch.Tensor, sigma: str | Callable = "tanh") -> torch.Tensor:
    """The rate-space (Elman RNN) update ``g(x) = sigma(W x)`` (note 000, Eq. 10)."""
    W, x = _check_state(W, x)
    s = _activation(sigma)
    return s((W @ x.unsqueeze(-1)).squeeze(-1))


def iterate_map(step: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Orbit ``x0, step(x0), step(step(x0)), ...`` of length ``n_steps + 1``.

    Returns a tensor of shape ``(n_steps + 1, *x0.shape)``.
    """
    if not callable(step):
        raise TypeError(f"step: must be callable (a map x -> x'), got {type(step).__name__}")
    n_steps = _int(n_steps, "n_steps", 0)
    x0 = _tensor(x0, "x0", min_ndim=0)
    out = [x0]
    for k in range(n_steps):
        nxt = step(out[-1])
        if not isinstance(nxt, torch.Tensor) or nxt.shape != x0.shape:
            raise ValueError(f"step: must return a tensor of shape {tuple(x0.shape)}, got "
                             f"{tuple(nxt.shape) if isinstance(nxt, torch.Tensor) else type(nxt).__name__} at step {k}")
        if not bool(torch.isfinite(nxt).all()):
            raise ValueError(f"step: returned non-finite values (NaN/inf) at step {k}")
        out.append(nxt)
    return torch.stack(out)


# =========================================================================== #
# Energy analysis (chapters 01, 03-06 of Part I; note 000, Eqs. 1-2, 12-58)
# =========================================================================== #
__all__ += [
    "LAGRANGIANS",
    "activation_derivatives",
    "lagrangian",
    "legendre_dual",
    "require_psd",
    "energy_terms",
    "energy",
    "continuous_rhs",
    "energy_rate_terms",
    "integrate_continuous",
    "reduced_ode_rhs",
    "euler_feature_step",
    "energy_feature_terms",
    "feature_energy",
    "adiabatic_step",
    "delta_energy_terms",
    "tracking_energy",
    "cccp_energy",
    "cccp_update",
    "SUP_DERIVATIVE",
    "descent_margin",
    "cccp_decrease",
    "bregman_lagrangian",
    "random_networks",
    "run_adiabatic",
    "run_elman",
    "rate_energy",
    "cyclic_transition",
    "memory_overlaps",
    "simulate_continuous",
    "symbolic_energy_parts",
    "first_term_gradient",
    "first_term_hessian",
    "quadratic_term_gradient",
    "quadratic_term_hessian",
    "linear_term_gradient",
    "linear_term_hessian",
    "activation_hessian_tensor",
    "hadamard_patterns",
    "random_patterns",
    "sequence_network",
    "retrieval_accuracy",
    "run_sequence",
]


def _check_name(sigma: str, name: str = "sigma") -> str:
    if not isinstance(sigma, str) or sigma not in ACTIVATIONS:
        raise ValueError(f"{name}: must be one of {sorted(ACTIVATIONS)} for energy work, got {sigma!r}")
    return sigma


def _logcosh(x: torch.Tensor) -> torch.Tensor:
    # log cosh x = |x| + log(1 + e^{-2|x|}) - log 2, stable for large |x|
    a = x.abs()
    return a + torch.log1p(torch.exp(-2 * a)) - _math.log(2.0)


#: Per-unit Lagrangians L(x) with L' = sigma (so L = sum_i ell(x_i), grad L = sigma(x)),
#: the second derivative sigma'' and the Legendre dual ell*(s) = s sigma^{-1}(s) - ell(sigma^{-1}(s)).
LAGRANGIANS: dict[str, dict[str, Callable]] = {
    "tanh": dict(
        ell=_logcosh,
        dual=lambda s: s * torch.atanh(s) + 0.5 * torch.log1p(-(s**2)),
        second=lambda x: -2 * torch.tanh(x) * (1 - torch.tanh(x) ** 2),
    ),
    "softsign": dict(
        ell=lambda x: x.abs() - torch.log1p(x.abs()),
        dual=lambda s: -s.abs() - torch.log1p(-s.abs()),
        second=lambda x: -2 * torch.sign(x) / (1 + x.abs()) ** 3,
    ),
    "asinh": dict(
        ell=lambda x: x * torch.asinh(x) - torch.sqrt(1 + x**2) + 1,
        dual=lambda s: torch.cosh(s) - 1,
        second=lambda x: -x / (1 + x**2) ** 1.5,
    ),
}


def activation_derivatives(x: torch.Tensor, sigma: str = "tanh"):
    """Return ``(sigma(x), sigma'(x), sigma''(x))`` elementwise (same shape as ``x``)."""
    name = _check_name(sigma)
    x = _tensor(x, "x", min_ndim=0)
    s, _, d1 = ACTIVATIONS[name]
    return s(x), d1(x), LAGRANGIANS[name]["second"](x)


def lagrangian(x: torch.Tensor, sigma: str = "tanh") -> torch.Tensor:
    """Lagrangian ``L(x) = sum_i ell(x_i)`` with ``grad L = sigma`` (note 000, Eq. 2's ``L_f``).

    For tanh, ``L = sum log cosh x`` (Eq. 32).  ``x``: ``(..., N)`` -> ``(...,)``.
    """
    name = _check_name(sigma)
    return LAGRANGIANS[name]["ell"](_tensor(x, "x")).sum(-1)


def legendre_dual(s: torch.Tensor, sigma: str = "tanh") -> torch.Tensor:
    """Convex conjugate ``L*(s) = sum_i [s_i sigma^{-1}(s_i) - ell(sigma^{-1}(s_i))]``.

    With ``s = sigma(x)`` it equals the first energy term ``x^T sigma(x) - L(x)``
    (book chapter 05).  ``s``: ``(..., N)`` inside the range of ``sigma`` -> ``(...,)``.
    """
    name = _check_name(sigma)
    s = _tensor(s, "s")
    if name in ("tanh", "softsign") and bool((s.abs() >= 1).any()):
        raise ValueError(f"s: must lie in the open range (-1, 1) of {name}, got max |s| = {float(s.abs().max()):.6g}")
    return LAGRANGIANS[name]["dual"](s).sum(-1)


def _check_network(Xi, Phi):
    """Validated ``(Xi, Phi, N_f, N_h)``: finite float tensors, ``Xi`` ``(..., N_f, N_h)``, ``Phi`` ``(..., N_h, N_h)``."""
    if isinstance(Xi, torch.Tensor) or _np.ndim(Xi) != 0:
        require_ndim(Xi, "Xi", (2, 3))
    Xi = _tensor(Xi, "Xi", min_ndim=2)
    Phi = _tensor(Phi, "Phi", min_ndim=2, like=Xi)
    require_square(Phi, "Phi")
    if Phi.shape[-1] != Xi.shape[-1]:
        raise ValueError(f"Phi: must be N_h x N_h with N_h = Xi.shape[-1] = {Xi.shape[-1]}, got shape {tuple(Phi.shape)}")
    _same_dtype(Phi, "Phi", Xi, "Xi")
    _broadcast(Phi, "Phi", 2, Xi, "Xi", 2)
    return Xi, Phi, Xi.shape[-2], Xi.shape[-1]


def _check_vec(v, name: str, n: int, what: str, ref: torch.Tensor | None = None, ref_name: str = "",
               ref_core: int = 2) -> torch.Tensor:
    """``v`` as a validated tensor ``(..., n)`` matching ``ref``'s dtype, with a batch shape broadcasting with it."""
    v = _tensor(v, name, like=ref)
    if v.shape[-1] != n:
        raise ValueError(f"{name}: last dimension must equal {what} = {n}, got shape {tuple(v.shape)}")
    if ref is not None:
        _same_dtype(v, name, ref, ref_name)
        _broadcast(v, name, 1, ref, ref_name, ref_core)
    return v


def _mv(M: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Matrix-vector product ``M v`` over the last axes, batched, without materialising broadcasts.

    ``M``: ``(*batch, m, n)``; ``v``: ``(*lead, *batch, n)`` (e.g. a whole trajectory ``(T, B, n)``
    against per-network matrices ``(B, m, n)``).  A plain ``M @ v[..., None]`` would expand ``M`` to
    ``(*lead, *batch, m, n)`` in memory; here the extra leading axes are moved into the matmul's
    column dimension instead.
    """
    if M.ndim == 2:
        return v @ M.transpose(-1, -2)
    extra = (v.ndim - 1) - (M.ndim - 2)
    if extra > 0 and tuple(v.shape[extra:-1]) == tuple(M.shape[:-2]):
        lead = v.shape[:extra]
        cols = v.reshape(-1, *v.shape[extra:]).movedim(0, -1)          # (*batch, n, L)
        out = (M @ cols).movedim(-1, 0)                                 # (L, *batch, m)
        return out.reshape(*lead, *out.shape[1:])
    return (M @ v.unsqueeze(-1)).squeeze(-1)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a * b).sum(-1)


def _check_full_state(x, h, y, Xi, Phi, names=("x", "h", "y")):
    Xi, Phi, nf, nh = _check_network(Xi, Phi)
    x = _check_vec(x, names[0], nf, "N_f", Xi, "Xi")
    h = _check_vec(h, names[1], nh, "N_h", Xi, "Xi")
    y = _check_vec(y, names[2], nf, "N_f", Xi, "Xi")
    return Xi, Phi, x, h, y


def energy_terms(x, h, y, Xi, Phi, sigma_f: str = "tanh", sigma_h: str | None = None,
                 alpha_s: float = 1.0, alpha_c: float = 1.0) -> dict:
    """The four terms of the three-population energy (note 000, Eq. 2).

    ``E1 = V_f^T sigma_f(V_f) - L_f``, ``E2 = V_h^T sigma_h(V_h) - L_h``,
    ``E3 = -sqrt(alpha_s) sigma_f(V_f)^T Xi sigma_h(V_h)``,
    ``E4 = -alpha_c V_d^T Xi Phi sigma_h(V_h)``.

    Parameters
    ----------
    x, h, y : tensors ``(..., N_f)``, ``(..., N_h)``, ``(..., N_f)``
        ``V_f``, ``V_h``, ``V_d``.
    Xi : ``(..., N_f, N_h)``;  Phi : ``(..., N_h, N_h)``
    sigma_f, sigma_h : activation names; ``sigma_h=None`` is the identity
        (then ``E2 = |V_h|^2 / 2``, Eq. 12).

    Returns
    -------
    dict ``{"E1", "E2", "E3", "E4"}`` of tensors ``(...,)``.
    """
    Xi, Phi, x, h, y = _check_full_state(x, h, y, Xi, Phi)
    alpha_s = _pos(alpha_s, "alpha_s", strict=False)
    alpha_c = float(_real(alpha_c, "alpha_c"))
    sf = ACTIVATIONS[_check_name(sigma_f, "sigma_f")][0](x)
    if sigma_h is None:
        sh, Lh = h, 0.5 * (h**2).sum(-1)
    else:
        sh, Lh = ACTIVATIONS[_check_name(sigma_h, "sigma_h")][0](h), lagrangian(h, sigma_h)
    return {
        "E1": _dot(x, sf) - lagrangian(x, sigma_f),
        "E2": _dot(h, sh) - Lh,
        "E3": -_math.sqrt(alpha_s) * _dot(sf, _mv(Xi, sh)),
        "E4": -alpha_c * _dot(y, _mv(Xi, _mv(Phi, sh))),
    }


def energy(x, h, y, Xi, Phi, **kw) -> torch.Tensor:
    """Total energy of Eq. 2, ``E1 + E2 + E3 + E4`` (shape ``(...,)``); see :func:`energy_terms`."""
    t = energy_terms(x, h, y, Xi, Phi, **kw)
    return t["E1"] + t["E2"] + t["E3"] + t["E4"]


def continuous_rhs(x, h, y, Xi, Phi, T_f: float = 1.0, T_h: float = 1.0, T_d: float = 1.0,
                   sigma_f: str = "tanh", sigma_h: str | None = None,
                   alpha_s: float = 1.0, alpha_c: float = 1.0):
    """Time derivatives ``(dV_f/dt, dV_h/dt, dV_d/dt)`` of the continuous system (note 000, Eq. 1).

    ``T_f dV_f/dt = sqrt(alpha_s) Xi sigma_h(V_h) - V_f``,
    ``T_h dV_h/dt = sqrt(alpha_s) Xi^T sigma_f(V_f) + alpha_c Phi^T Xi^T V_d - V_h``,
    ``T_d dV_d/dt = sigma_f(V_f) - V_d``.  Shapes as in :func:`energy_terms`.
    """
    T_f, T_h, T_d = (_pos(v, n) for v, n in ((T_f, "T_f"), (T_h, "T_h"), (T_d, "T_d")))
    Xi, Phi, x, h, y = _check_full_state(x, h, y, Xi, Phi)
    alpha_s = _pos(alpha_s, "alpha_s", strict=False)
    alpha_c = float(_real(alpha_c, "alpha_c"))
    _check_name(sigma_f, "sigma_f")
    if sigma_h is not None:
        _check_name(sigma_h, "sigma_h")
    return _rhs(x, h, y, Xi, Phi, T_f, T_h, T_d, sigma_f, sigma_h, alpha_s, alpha_c)


def _rhs(x, h, y, Xi, Phi, T_f, T_h, T_d, sigma_f, sigma_h, alpha_s, alpha_c):
    """Eq. 1 without validation (inner loops)."""
    sf = ACTIVATIONS[sigma_f][0](x)
    sh = h if sigma_h is None else ACTIVATIONS[sigma_h][0](h)
    XiT = Xi.transpose(-1, -2)
    dx = (_math.sqrt(alpha_s) * _mv(Xi, sh) - x) / T_f
    dh = (_math.sqrt(alpha_s) * _mv(XiT, sf) + alpha_c * _mv(Phi.transpose(-1, -2), _mv(XiT, y)) - h) / T_h
    dy = (sf - y) / T_d
    return dx, dh, dy


def energy_rate_terms(x, h, y, Xi, Phi, T_f: float = 1.0, T_h: float = 1.0, T_d: float = 1.0,
                      sigma_f: str = "tanh", sigma_h: str | None = None,
                      alpha_s: float = 1.0, alpha_c: float = 1.0) -> dict:
    """The three parts of ``dE/dt`` along Eq. 1 (book chapter 03).

    ``dE/dt = -T_f sum sigma_f'(V_f) (dV_f/dt)^2 - T_h sum sigma_h'(V_h) (dV_h/dt)^2
    - alpha_c sigma_h(V_h)^T Phi^T Xi^T dV_d/dt``.

    Returns dict ``{"feature", "hidden", "delay"}`` of tensors ``(...,)``: the first two are
    non-positive for increasing activations, the third has no sign.
    """
    dx, dh, dy = continuous_rhs(x, h, y, Xi, Phi, T_f, T_h, T_d, sigma_f, sigma_h, alpha_s, alpha_c)
    Xi, Phi, x, h, y = _check_full_state(x, h, y, Xi, Phi)
    T_f, T_h, alpha_c = float(T_f), float(T_h), float(alpha_c)
    d1f = ACTIVATIONS[sigma_f][2](x)
    if sigma_h is None:
        d1h, sh = torch.ones_like(h), h
    else:
        d1h, sh = ACTIVATIONS[sigma_h][2](h), ACTIVATIONS[sigma_h][0](h)
    return {
        "feature": -T_f * (d1f * dx**2).sum(-1),
        "hidden": -T_h * (d1h * dh**2).sum(-1),
        "delay": -alpha_c * _dot(_mv(Xi, _mv(Phi, sh)), dy),
    }


def integrate_continuous(x0, Xi, Phi, t_eval, T_f: float = 1.0, T_h: float = 1e-2, T_d: float = 1e-2,
                         sigma_f: str = "tanh", h0=None, y0=None, rtol: float = 1e-10, atol: float = 1e-12):
    """Integrate Eq. 1 (``sigma_h`` = identity, ``alpha = 1``) with scipy's stiff solver.

    Parameters
    ----------
    x0 : ``(N_f,)`` initial ``V_f``; ``h0``/``y0`` default to their slaved values
        ``(I + Phi^T) Xi^T sigma(x0)`` and ``sigma(x0)``.
    Xi : ``(N_f, N_h)``;  Phi : ``(N_h, N_h)``;  t_eval : increasing times ``(K,)``.

    Returns
    -------
    x, h, y : numpy arrays ``(K, N_f)``, ``(K, N_h)``, ``(K, N_f)``.
    """
    from scipy.integrate import solve_ivp

    require_ndim(Xi, "Xi", 2)
    Xi, Phi, nf, nh = _check_network(Xi, Phi)
    Xi_n = Xi.detach().to(torch.float64).cpu().numpy()
    Phi_n = Phi.detach().to(torch.float64).cpu().numpy()

    def vec(v, name, n):
        v = _tensor(v, name).detach().to(torch.float64).cpu().numpy()
        require_shape(v, name, (n,))
        return v

    x0 = vec(x0, "x0", nf)
    T_f, T_h, T_d = (_pos(v, n) for v, n in ((T_f, "T_f"), (T_h, "T_h"), (T_d, "T_d")))
    rtol, atol = _pos(rtol, "rtol"), _pos(atol, "atol")
    t_eval = _tensor(t_eval, "t_eval").detach().to(torch.float64).cpu().numpy()
    if t_eval.ndim != 1 or t_eval.size < 2:
        raise ValueError(f"t_eval: must be a 1-D sequence of at least 2 times, got shape {t_eval.shape}")
    if not _np.all(_np.diff(t_eval) > 0):
        raise ValueError("t_eval: must be strictly increasing")
    sig = {"tanh": _np.tanh, "asinh": _np.arcsinh, "softsign": lambda u: u / (1 + _np.abs(u))}[_check_name(sigma_f, "sigma_f")]
    s0 = sig(x0)
    h0 = (Xi_n.T @ s0 + Phi_n.T @ Xi_n.T @ s0) if h0 is None else vec(h0, "h0", nh)
    y0 = s0 if y0 is None else vec(y0, "y0", nf)

    def rhs(_t, z):
        x, h, y = z[:nf], z[nf:nf + nh], z[nf + nh:]
        s = sig(x)
        return _np.concatenate([(Xi_n @ h - x) / T_f, (Xi_n.T @ s + Phi_n.T @ (Xi_n.T @ y) - h) / T_h, (s - y) / T_d])

    sol = solve_ivp(rhs, (t_eval[0], t_eval[-1]), _np.concatenate([x0, h0, y0]), method="Radau",
                    t_eval=t_eval, rtol=rtol, atol=atol)
    if not sol.success:  # pragma: no cover - solver failure is reported, never hidden
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    z = sol.y.T
    return z[:, :nf], z[:, nf:nf + nh], z[:, nf + nh:]


def reduced_ode_rhs(x, W, sigma: str = "tanh"):
    """Slow-manifold ODE ``T_f dV_f/dt = W sigma(V_f) - V_f`` left when ``T_h, T_d -> 0`` (Eq. 6), ``T_f = 1``."""
    W, x = _check_state(W, x)
    return feature_map(W, x, _activation(_check_name(sigma))) - x


def euler_feature_step(x, W, dt: float = 1.0, sigma: str = "tanh"):
    """Euler step ``x + dt (W sigma(x) - x)`` of :func:`reduced_ode_rhs`; ``dt = T_f = 1`` gives Eq. 7."""
    dt = _pos(dt, "dt")
    W, x = _check_state(W, x)
    return x + dt * reduced_ode_rhs(x, W, sigma)


def _feature_mats(Xi, Phi):
    XiT = Xi.transpose(-1, -2)
    A = Xi @ XiT                                   # Xi Xi^T
    B = Xi @ Phi.transpose(-1, -2) @ XiT           # Xi Phi^T Xi^T
    C = Xi @ Phi @ Phi.transpose(-1, -2) @ XiT     # Xi Phi Phi^T Xi^T
    return A, B, C


def energy_feature_terms(x, y, Xi, Phi, sigma: str = "tanh") -> dict:
    """Energy with ``V_h`` eliminated, term by term (note 000, Eq. 25 — its correct signs).

    ``E(x; y) = [x^T s - L(x)] - 1/2 s^T Xi Xi^T s - s^T Xi Phi^T Xi^T y - 1/2 y^T Xi Phi Phi^T Xi^T y``
    with ``s = sigma(x)``, ``x = V_f``, ``y = V_d``.

    Returns dict ``{"E1", "quad", "cross", "delay"}`` of tensors ``(...,)``.
    """
    Xi, Phi, nf, _ = _check_network(Xi, Phi)
    x = _check_vec(x, "x", nf, "N_f", Xi, "Xi"); y = _check_vec(y, "y", nf, "N_f", Xi, "Xi")
    A, B, C = _feature_mats(Xi, Phi)
    s = ACTIVATIONS[_check_name(sigma)][0](x)
    return {
        "E1": _dot(x, s) - lagrangian(x, sigma),
        "quad": -0.5 * _dot(s, _mv(A, s)),
        "cross": -_dot(s, _mv(B, y)),
        "delay": -0.5 * _dot(y, _mv(C, y)),
    }


def feature_energy(x, y, Xi, Phi, sigma: str = "tanh") -> torch.Tensor:
    """Sum of :func:`energy_feature_terms` (Eq. 25), shape ``(...,)``."""
    return sum(energy_feature_terms(x, y, Xi, Phi, sigma).values())


def adiabatic_step(x, y, Xi, Phi, sigma: str = "tanh"):
    """One step of Eq. 27/44 with ``V_d = y`` held: ``x' = Xi Xi^T sigma(x) + Xi Phi^T Xi^T y``.

    With ``y = sigma(x)`` it is the Elman feature update ``W sigma(x)`` of Eq. 7.
    """
    Xi, Phi, nf, _ = _check_network(Xi, Phi)
    x = _check_vec(x, "x", nf, "N_f", Xi, "Xi"); y = _check_vec(y, "y", nf, "N_f", Xi, "Xi")
    A, B, _ = _feature_mats(Xi, Phi)
    return _mv(A, ACTIVATIONS[_check_name(sigma)][0](x)) + _mv(B, y)


def delta_energy_terms(x0, x1, y0, y1, Xi, Phi, sigma: str = "tanh") -> dict:
    """Correct term-by-term energy change ``E(x1; y1) - E(x0; y0)`` (note 000, Eqs. 34-38).

    ``x1`` must be the adiabatic step ``adiabatic_step(x0, y0)`` for dE1 to take the printed
    form of Eq. 34 (the x1 is substituted there); here dE1 is computed from its definition.

    Returns dict ``{"dE1", "dE2", "dE3", "dE4", "dE5"}``: the changes of ``x^T s``, of ``-L``,
    of ``-1/2 s^T A s``, of ``-s^T B y`` and of ``-1/2 y^T C y``.
    """
    Xi, Phi, nf, _ = _check_network(Xi, Phi)
    x0, x1, y0, y1 = (_check_vec(v, n, nf, "N_f", Xi, "Xi") for v, n in ((x0, "x0"), (x1, "x1"), (y0, "y0"), (y1, "y1")))
    A, B, C = _feature_mats(Xi, Phi)
    sig = ACTIVATIONS[_check_name(sigma)][0]
    s0, s1 = sig(x0), sig(x1)
    return {
        "dE1": _dot(x1, s1) - _dot(x0, s0),
        "dE2": -(lagrangian(x1, sigma) - lagrangian(x0, sigma)),
        "dE3": -0.5 * (_dot(s1, _mv(A, s1)) - _dot(s0, _mv(A, s0))),
        "dE4": -(_dot(s1, _mv(B, y1)) - _dot(s0, _mv(B, y0))),
        "dE5": -0.5 * (_dot(y1, _mv(C, y1)) - _dot(y0, _mv(C, y0))),
    }


def tracking_energy(x, Xi, Phi, sigma: str = "tanh") -> torch.Tensor:
    """Eq. 25 with ``V_d = sigma(V_f)`` at the same time: ``L*(s) - 1/2 |(I + Phi^T) Xi^T s|^2``."""
    Xi, Phi, nf, _ = _check_network(Xi, Phi)
    x = _check_vec(x, "x", nf, "N_f", Xi, "Xi")
    return feature_energy(x, ACTIVATIONS[_check_name(sigma)][0](x), Xi, Phi, sigma)


def cccp_energy(s, W, b=None, sigma: str = "tanh") -> torch.Tensor:
    """Rate-variable energy ``E(s) = L*(s) - 1/2 s^T W s - b^T s`` (book chapter 05, theorem).

    Parameters
    ----------
    s : ``(..., N)`` rates in the range of ``sigma``;  W : ``(..., N, N)``;  b : ``(..., N)`` or None.
    """
    W = _check_matrix(W)
    s = _check_vec(s, "s", W.shape[-1], "N", W, "W")
    e = legendre_dual(s, sigma) - 0.5 * _dot(s, _mv(W, s))
    if b is not None:
        b = _check_vec(b, "b", W.shape[-1], "N", W, "W")
        e = e - _dot(b, s)
    return e


#: ``sup_x sigma'(x)`` of each activation (all three attain it at 0): the constant of the sharp
#: descent condition ``lambda_min(W) >= -1 / sup sigma'`` (book chapter 05, theorem cccp-sharp).
SUP_DERIVATIVE: dict[str, float] = {"tanh": 1.0, "softsign": 1.0, "asinh": 1.0}


def descent_margin(W, sigma: str = "tanh"):
    """``lambda_min(W) + 1 / sup sigma'``: when it is >= 0 every step of Eq. 10 lowers the energy.

    Shape ``(...)`` for ``W`` of shape ``(..., N, N)`` (symmetric).  By the sharp CCCP theorem
    (book chapter 05) every step of ``s' = sigma(W s + b)`` lowers :func:`cccp_energy` when the
    margin is non-negative.
    """
    W = _check_matrix(W)
    require_symmetric(W, "W")
    return torch.linalg.eigvalsh(W)[..., 0] + 1.0 / SUP_DERIVATIVE[_check_name(sigma)]


def cccp_update(s, W, b=None, sigma: str = "tanh", check_spectrum: bool = True):
    """One CCCP step for :func:`cccp_energy`: ``s' = sigma(W s + b)`` (book chapter 05).

    CCCP linearises ``-1/2 s^T W s`` at ``s`` and minimises ``L*(s') - (W s + b)^T s'`` exactly,
    whose minimiser solves ``sigma^{-1}(s') = W s + b``.  The energy change of the step is
    ``-1/2 d^T W d - D_{L*}(s', s)`` with ``D_{L*} >= d^T d / (2 sup sigma')`` (theorem
    ``cccp-sharp``), so it descends whenever ``lambda_min(W) >= -1 / sup sigma'`` — for tanh,
    ``lambda_min(W) >= -1``; ``W`` need not be positive semi-definite.

    Raises
    ------
    ValueError
        If ``W`` is not symmetric, or (with ``check_spectrum``) its smallest eigenvalue is below
        ``-1 / sup sigma'``: then some steps raise the energy (shown in the chapter).
    """
    check_spectrum = _flag(check_spectrum, "check_spectrum")
    name = _check_name(sigma)
    W = _check_matrix(W)
    require_symmetric(W, "W")
    s = _check_vec(s, "s", W.shape[-1], "N", W, "W")
    if check_spectrum:
        lam = float(torch.linalg.eigvalsh(W).min())
        bound = -1.0 / SUP_DERIVATIVE[name]
        if not lam >= bound - 1e-10:
            raise ValueError(f"W: smallest eigenvalue {lam:.6g} < -1/sup {name}' = {bound:g}: the CCCP step need not "
                             f"lower the energy (descent needs lambda_min(W) >= -1/sup sigma')")
    u = _mv(W, s)
    if b is not None:
        u = u + _check_vec(b, "b", W.shape[-1], "N", W, "W")
    return ACTIVATIONS[name][0](u)


def cccp_decrease(x0, x1, W, sigma: str = "tanh") -> torch.Tensor:
    """Exact energy change of one CCCP step, ``-1/2 d^T W d - D_{L*}(s0, s1)``, ``d = s1 - s0``.

    Parameters
    ----------
    x0, x1 : ``(..., N)`` pre-activations, ``s0 = sigma(x0)``, ``s1 = sigma(x1)``; the identity holds
        when ``x1 = W s0 + b`` for some ``b`` (the CCCP / adiabatic step).
    W : ``(..., N, N)`` symmetric.

    Notes
    -----
    ``D_{L*}(a, b) = L*(a) - L*(b) - sigma^{-1}(b)^T (a - b) >= 0`` is the Bregman divergence of the
    dual Lagrangian; it equals the Bregman divergence of ``L`` in the pre-activations,
    ``D_L(x1, x0) = L(x1) - L(x0) - sigma(x0)^T (x1 - x0)``, which is what is computed (no
    inverse activation, so saturated units cost no precision).  Shape ``(...,)``.
    """
    W = _check_matrix(W)
    require_symmetric(W, "W")
    x0 = _check_vec(x0, "x0", W.shape[-1], "N", W, "W")
    x1 = _check_vec(x1, "x1", W.shape[-1], "N", W, "W")
    sig = ACTIVATIONS[_check_name(sigma)][0]
    s0, s1 = sig(x0), sig(x1)
    d = s1 - s0
    bregman = lagrangian(x1, sigma) - lagrangian(x0, sigma) - _dot(s0, x1 - x0)
    return -0.5 * _dot(d, _mv(W, d)) - bregman


def bregman_lagrangian(x1, x0, sigma: str = "tanh") -> torch.Tensor:
    """``D_L(x1, x0) = L(x1) - L(x0) - sigma(x0)^T (x1 - x0) >= 0`` (= ``D_{L*}(sigma(x0), sigma(x1))``)."""
    x1 = _tensor(x1, "x1")
    x0 = _check_vec(x0, "x0", x1.shape[-1], "N", x1, "x1", 1)
    return lagrangian(x1, sigma) - lagrangian(x0, sigma) - _dot(ACTIVATIONS[_check_name(sigma)][0](x0), x1 - x0)


def _check_dtype(dtype) -> None:
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(f"dtype: must be torch.float32 or torch.float64, got {dtype!r}")


def random_networks(batch: int, N_f: int, N_h: int, *, phi: str = "gaussian", scale: float = 1.0,
                    generator: torch.Generator | None = None, device=None, dtype=torch.float64):
    """A batch of random networks ``(Xi, Phi)`` for ensemble experiments.

    ``Xi`` has i.i.d. ``N(0, scale^2 / N_h)`` entries; ``Phi`` is ``"gaussian"`` (i.i.d.
    ``N(0, 1/N_h)``, non-symmetric), ``"symmetric"`` (its symmetric part) or ``"psd"``
    (``G G^T / N_h``, so ``I + Phi`` is PSD).

    Returns ``Xi`` ``(batch, N_f, N_h)`` and ``Phi`` ``(batch, N_h, N_h)``.
    """
    from .device import get_device

    batch, N_f, N_h = (_int(v, n, 1) for v, n in ((batch, "batch"), (N_f, "N_f"), (N_h, "N_h")))
    if phi not in ("gaussian", "symmetric", "psd"):
        raise ValueError(f"phi: must be 'gaussian', 'symmetric' or 'psd', got {phi!r}")
    scale = _pos(scale, "scale")
    _check_dtype(dtype)
    device = get_device() if device is None else torch.device(device)
    g = dict(generator=generator, device=device, dtype=dtype)
    Xi = torch.randn(batch, N_f, N_h, **g) * (scale / _math.sqrt(N_h))
    G = torch.randn(batch, N_h, N_h, **g) / _math.sqrt(N_h)
    if phi == "symmetric":
        G = 0.5 * (G + G.transpose(-1, -2))
    elif phi == "psd":
        G = G @ G.transpose(-1, -2) / _math.sqrt(N_h)
    return Xi, G


def run_adiabatic(x0, Xi, Phi, n_steps: int, sigma: str = "tanh"):
    """Run Eq. 7 and record both energy changes of each step (book chapter 04).

    At each step ``V_d = sigma(V_f(t))``, ``V_f(t+1) = adiabatic_step(V_f(t), V_d)``.

    Returns
    -------
    x : ``(n_steps + 1, ..., N_f)`` the trajectory;
    dE_frozen : ``(n_steps, ...)`` ``E(x(t+1); y(t)) - E(x(t); y(t))`` (V_d frozen over the step);
    dE_tracking : ``(n_steps, ...)`` ``E(x(t+1); sigma(x(t+1))) - E(x(t); sigma(x(t)))``.
    """
    n_steps = _int(n_steps, "n_steps", 1)
    Xi, Phi, nf, _ = _check_network(Xi, Phi)
    x0 = _check_vec(x0, "x0", nf, "N_f", Xi, "Xi")
    sig = ACTIVATIONS[_check_name(sigma)][0]
    A, B, C = _feature_mats(Xi, Phi)          # formed once for the whole run

    def E(x, y):
        s = sig(x)
        return (_dot(x, s) - lagrangian(x, sigma) - 0.5 * _dot(s, _mv(A, s))
                - _dot(s, _mv(B, y)) - 0.5 * _dot(y, _mv(C, y)))

    xs, fr, tr = [x0], [], []
    x = x0
    for _ in range(n_steps):
        y = sig(x)
        x1 = _mv(A, y) + _mv(B, y)
        y1 = sig(x1)
        e0 = E(x, y)
        fr.append(E(x1, y) - e0)
        tr.append(E(x1, y1) - e0)
        xs.append(x1)
        x = x1
    return torch.stack(xs), torch.stack(fr), torch.stack(tr)


def rate_energy(x, W, b=None, sigma: str = "tanh") -> torch.Tensor:
    """``E_W(s) = L*(s) - 1/2 s^T W_sym s - b^T s`` at ``s = sigma(x)``, computed from the pre-activation.

    ``L*(sigma(x)) = x^T sigma(x) - L(x)`` avoids inverting saturated units; ``W_sym = (W + W^T)/2``
    (the quadratic form only sees the symmetric part).  ``x``: ``(..., N)`` -> ``(...,)``.
    """
    W = _check_matrix(W)
    x = _check_vec(x, "x", W.shape[-1], "N", W, "W")
    s = ACTIVATIONS[_check_name(sigma)][0](x)
    e = _dot(x, s) - lagrangian(x, sigma) - 0.5 * _dot(s, _mv(W, s))
    if b is not None:
        b = _check_vec(b, "b", W.shape[-1], "N", W, "W")
        e = e - _dot(b, s)
    return e


def run_elman(x0, W, n_steps: int, sigma: str = "tanh"):
    """Iterate the Elman feature update ``x(t+1) = W sigma(x(t))`` (Eq. 7) and record ``E_W``.

    Equivalently ``s(t+1) = sigma(W s(t))`` (Eq. 10) in the rates ``s = sigma(x)``.  ``W`` need not
    be symmetric; the recorded :func:`rate_energy` is a Lyapunov function only when it is
    symmetric positive semi-definite (book chapter 05).

    Returns ``x`` ``(n_steps + 1, ..., N)`` and ``E`` ``(n_steps + 1, ...)``.
    """
    n_steps = _int(n_steps, "n_steps", 1)
    W = _check_matrix(W)
    x0 = _check_vec(x0, "x0", W.shape[-1], "N", W, "W")
    sig = ACTIVATIONS[_check_name(sigma)][0]
    xs = [x0]
    for _ in range(n_steps):
        xs.append(_mv(W, sig(xs[-1])))
    X = torch.stack(xs)
    return X, rate_energy(X, W, None, sigma)


def cyclic_transition(N_h: int, *, device=None, dtype=torch.float64) -> torch.Tensor:
    """Cyclic shift ``Phi`` with ``Phi^T e_mu = e_{mu+1 mod N_h}`` (memory mu -> mu + 1)."""
    from .device import get_device

    if isinstance(N_h, bool) or not isinstance(N_h, (int, _np.integer)) or N_h < 2:
        raise ValueError(f"N_h: must be an integer >= 2, got {N_h!r}")
    _check_dtype(dtype)
    device = get_device() if device is None else torch.device(device)
    return torch.roll(torch.eye(N_h, device=device, dtype=dtype), shifts=1, dims=1)


def memory_overlaps(x, Xi, sigma: str = "tanh") -> torch.Tensor:
    """Overlaps ``m = Xi^T sigma(x) / N_f`` of the rates with each stored memory, ``(..., N_h)``."""
    require_ndim(Xi, "Xi", (2, 3))
    Xi = _tensor(Xi, "Xi", min_ndim=2)
    nf = Xi.shape[-2]
    x = _check_vec(x, "x", nf, "N_f", Xi, "Xi")
    return _mv(Xi.transpose(-1, -2), ACTIVATIONS[_check_name(sigma)][0](x)) / nf


def simulate_continuous(x0, h0, y0, Xi, Phi, dt: float, n_steps: int, *, T_f: float = 1.0, T_h: float = 1.0,
                        T_d: float = 1.0, sigma_f: str = "tanh", freeze_delay: bool = False):
    """Batched classical Runge-Kutta (RK4) integration of Eq. 1 (``sigma_h`` = identity, ``alpha = 1``).

    Parameters
    ----------
    x0, h0, y0 : ``(..., N_f)``, ``(..., N_h)``, ``(..., N_f)`` initial states (batch allowed).
    Xi, Phi : ``(..., N_f, N_h)``, ``(..., N_h, N_h)``.
    dt, n_steps : step size and number of steps.
    freeze_delay : if True, ``V_d`` is held at ``y0`` (the limit ``T_d -> infinity``).

    Returns
    -------
    x, h, y : ``(n_steps + 1, ...)`` trajectories.
    """
    dt = _pos(dt, "dt")
    n_steps = _int(n_steps, "n_steps", 1)
    freeze_delay = _flag(freeze_delay, "freeze_delay")
    T_f, T_h, T_d = (_pos(v, n) for v, n in ((T_f, "T_f"), (T_h, "T_h"), (T_d, "T_d")))
    Xi, Phi, x0, h0, y0 = _check_full_state(x0, h0, y0, Xi, Phi, names=("x0", "h0", "y0"))
    sigma_f = _check_name(sigma_f, "sigma_f")

    def f(z):
        dx, dh, dy = _rhs(*z, Xi, Phi, T_f, T_h, T_d, sigma_f, None, 1.0, 1.0)
        return dx, dh, (torch.zeros_like(dy) if freeze_delay else dy)

    z = (x0, h0, y0)
    out = [z]
    for _ in range(n_steps):
        k1 = f(z)
        k2 = f(tuple(a + 0.5 * dt * k for a, k in zip(z, k1)))
        k3 = f(tuple(a + 0.5 * dt * k for a, k in zip(z, k2)))
        k4 = f(tuple(a + dt * k for a, k in zip(z, k3)))
        z = tuple(a + dt / 6 * (p + 2 * q + 2 * r + w) for a, p, q, r, w in zip(z, k1, k2, k3, k4))
        out.append(z)
    return tuple(torch.stack([o[i] for o in out]) for i in range(3))


def symbolic_energy_parts():
    """Sympy matrix expressions for the energy of Eqs. 12-26 (book chapter 03).

    Symbols: ``s = sigma_f(V_f)`` and ``y = V_d`` (``N_f x 1``), ``Xi`` (``N_f x N_h``),
    ``Phi`` (``N_h x N_h``); ``h = Xi^T s + Phi^T Xi^T y`` is ``V_h`` on the slow manifold.

    Returns
    -------
    dict with the symbols (``"s", "y", "Xi", "Phi", "h"``) and the terms defined from first
    principles: ``"E2" = h^T h / 2`` (Eq. 15), ``"E3" = -s^T Xi h`` (Eq. 18),
    ``"E4" = -y^T Xi Phi h`` (Eq. 21).
    """
    import sympy as sp

    Nf, Nh = sp.symbols("N_f N_h", integer=True, positive=True)
    s = sp.MatrixSymbol("s", Nf, 1)
    y = sp.MatrixSymbol("y", Nf, 1)
    Xi = sp.MatrixSymbol("Xi", Nf, Nh)
    Phi = sp.MatrixSymbol("Phi", Nh, Nh)
    h = Xi.T * s + Phi.T * Xi.T * y
    return {
        "s": s, "y": y, "Xi": Xi, "Phi": Phi, "h": h, "N_f": Nf, "N_h": Nh,
        "E2": sp.Rational(1, 2) * h.T * h,
        "E3": -s.T * Xi * h,
        "E4": -y.T * Xi * Phi * h,
    }


# --------------------------------------------------------------------------- #
# Chapter 05: Jacobians and Hessians of the energy terms in x = V_f (Eqs. 48-58)
# --------------------------------------------------------------------------- #
def first_term_gradient(x, sigma: str = "tanh"):
    """Gradient of ``x^T sigma(x) - L(x)``: ``sigma'(x) * x`` (note 000, Eq. 49).  ``(..., N)``."""
    x = _tensor(x, "x")
    _, d1, _ = activation_derivatives(x, sigma)
    return d1 * x


def first_term_hessian(x, sigma: str = "tanh"):
    """Hessian of ``x^T sigma(x) - L(x)``: ``diag(sigma'(x) + x sigma''(x))`` (Eqs. 51-52).  ``(..., N, N)``."""
    x = _tensor(x, "x")
    _, d1, d2 = activation_derivatives(x, sigma)
    return torch.diag_embed(d1 + x * d2)


def _check_sym_pair(M, x):
    M = _check_matrix(M, "M")
    require_symmetric(M, "M")
    return M, _check_vec(x, "x", M.shape[-1], "N", M, "M")


def quadratic_term_gradient(x, M, sigma: str = "tanh"):
    """Gradient of ``1/2 sigma(x)^T M sigma(x)`` for symmetric ``M``: ``sigma'(x) * (M sigma(x))`` (Eq. 53)."""
    M, x = _check_sym_pair(M, x)
    s, d1, _ = activation_derivatives(x, sigma)
    return d1 * _mv(M, s)


def quadratic_term_hessian(x, M, sigma: str = "tanh"):
    """Hessian of ``1/2 sigma^T M sigma`` (symmetric ``M``): ``J M J + diag(sigma'' * M sigma)``, ``J = diag(sigma')`` (Eq. 57)."""
    M, x = _check_sym_pair(M, x)
    s, d1, d2 = activation_derivatives(x, sigma)
    return d1.unsqueeze(-1) * M * d1.unsqueeze(-2) + torch.diag_embed(d2 * _mv(M, s))


def linear_term_gradient(x, c, sigma: str = "tanh"):
    """Gradient of ``sigma(x)^T c`` (c fixed, e.g. ``Xi Phi^T Xi^T V_d``): ``sigma'(x) * c`` (Eq. 58, corrected)."""
    x = _tensor(x, "x")
    c = _check_vec(c, "c", x.shape[-1], "N", x, "x", 1)
    _, d1, _ = activation_derivatives(x, sigma)
    return d1 * c


def linear_term_hessian(x, c, sigma: str = "tanh"):
    """Hessian of ``sigma(x)^T c``: ``diag(sigma''(x) * c)`` — indefinite unless ``c`` has a fixed sign pattern."""
    x = _tensor(x, "x")
    c = _check_vec(c, "c", x.shape[-1], "N", x, "x", 1)
    _, _, d2 = activation_derivatives(x, sigma)
    return torch.diag_embed(d2 * c)


def activation_hessian_tensor(x, sigma: str = "tanh"):
    """Third-order tensor ``H[i, j, k] = d^2 sigma_i / dx_j dx_k = delta_ij delta_ik sigma''(x_i)``, shape ``(N, N, N)``.

    The note's ``x^T . H(sigma)`` is ``einsum('i,ijk->jk', x, H)``.
    """
    require_ndim(x, "x", 1)
    x = _tensor(x, "x")
    _, _, d2 = activation_derivatives(x, sigma)
    n = x.shape[-1]
    H = torch.zeros(n, n, n, dtype=x.dtype, device=x.device)
    idx = torch.arange(n, device=x.device)
    H[idx, idx, idx] = d2
    return H


# --------------------------------------------------------------------------- #
# Chapter 06: sequences from a cyclic Phi
# --------------------------------------------------------------------------- #
def hadamard_patterns(N_f: int, N_h: int, *, device=None, dtype=torch.float64) -> torch.Tensor:
    """``N_h`` exactly orthogonal +-1 patterns (columns 1..N_h of a Sylvester Hadamard matrix), ``(N_f, N_h)``.

    ``N_f`` must be a power of two larger than ``N_h``; then ``xi^T xi = N_f I``.
    """
    from .device import get_device

    if isinstance(N_f, bool) or not isinstance(N_f, int) or N_f < 2 or N_f & (N_f - 1):
        raise ValueError(f"N_f: must be a power of two >= 2, got {N_f!r}")
    if isinstance(N_h, bool) or not isinstance(N_h, int) or not 1 <= N_h < N_f:
        raise ValueError(f"N_h: must be an integer in [1, N_f), got {N_h!r}")
    _check_dtype(dtype)
    device = get_device() if device is None else torch.device(device)
    H = torch.ones(1, 1, dtype=dtype, device=device)
    while H.shape[0] < N_f:
        H = torch.cat([torch.cat([H, H], 1), torch.cat([H, -H], 1)], 0)
    return H[:, 1:N_h + 1]          # skip the all-ones column


def random_patterns(batch: int, N_f: int, N_h: int, *, generator: torch.Generator | None = None,
                    device=None, dtype=torch.float64) -> torch.Tensor:
    """I.i.d. +-1 patterns, ``(batch, N_f, N_h)`` (memories as columns)."""
    from .device import get_device

    batch, N_f, N_h = (_int(v, n, 1) for v, n in ((batch, "batch"), (N_f, "N_f"), (N_h, "N_h")))
    _check_dtype(dtype)
    device = get_device() if device is None else torch.device(device)
    bits = torch.randint(0, 2, (batch, N_f, N_h), generator=generator, device=device)
    return (2 * bits - 1).to(dtype)


def sequence_network(patterns: torch.Tensor, alpha_c: float | torch.Tensor = 1.0, beta: float = 1.0):
    """Memories and transitions for sequence recall: ``Xi = sqrt(beta) xi / sqrt(N_f)``, ``Phi = alpha_c P``.

    ``P`` is :func:`cyclic_transition` (memory mu -> mu + 1); ``alpha_c`` (Eq. 1's weight of the
    delay pathway; the note sets it to 1) scales it and may be a tensor ``(batch,)`` for a sweep.
    Then ``W xi_mu = beta (xi_mu + alpha_c xi_{mu+1})`` for orthogonal patterns.

    Returns ``Xi`` ``(..., N_f, N_h)`` and ``Phi`` ``(..., N_h, N_h)``.
    """
    require_ndim(patterns, "patterns", (2, 3))
    patterns = _tensor(patterns, "patterns", min_ndim=2)
    beta = _pos(beta, "beta")
    _real(alpha_c, "alpha_c")
    N_f, N_h = patterns.shape[-2:]
    if N_h < 2:
        raise ValueError(f"patterns: a sequence needs N_h >= 2 patterns (columns), got shape {tuple(patterns.shape)}")
    Xi = _math.sqrt(beta) * patterns / _math.sqrt(N_f)
    Pc = cyclic_transition(N_h, device=patterns.device, dtype=patterns.dtype)
    a = torch.as_tensor(alpha_c, dtype=patterns.dtype, device=patterns.device)
    return Xi, a.reshape(a.shape + (1, 1)) * Pc


def retrieval_accuracy(overlaps: torch.Tensor, start: int = 0) -> torch.Tensor:
    """Fraction of steps ``t >= 1`` whose best-matching memory is ``(start + t) mod N_h``.

    ``overlaps``: ``(T + 1, ..., N_h)`` from :func:`memory_overlaps`; returns ``(...,)``.
    """
    overlaps = _tensor(overlaps, "overlaps")
    if overlaps.ndim < 2:
        raise ValueError(f"overlaps: must have shape (T + 1, ..., N_h), got {tuple(overlaps.shape)}")
    if overlaps.shape[0] < 2:
        raise ValueError(f"overlaps: needs T + 1 >= 2 time points (a step to score), got {tuple(overlaps.shape)}")
    if isinstance(start, bool) or not isinstance(start, (int, _np.integer)):
        raise ValueError(f"start: must be an integer (index of the first memory), got {start!r}")
    T1, N_h = overlaps.shape[0], overlaps.shape[-1]
    target = (start + torch.arange(T1, device=overlaps.device)) % N_h
    target = target.reshape((T1,) + (1,) * (overlaps.ndim - 2))
    return (overlaps.argmax(-1) == target)[1:].double().mean(0)


def run_sequence(x0, Xi, Phi, n_steps: int, sigma: str = "tanh"):
    """Iterate Eq. 7 in factored form, ``x(t+1) = Xi (I + Phi^T) Xi^T sigma(x(t))``, with energy bookkeeping.

    ``W`` is never formed (cost ``O(N_f N_h)`` per network and step), so large ``N_f`` ensembles fit.
    The energy is Eq. 25 with ``V_d`` tracking, ``E(t) = E(x(t); sigma(x(t)))``; each change is split as
    ``E(t+1) - E(t) = held + jump`` with ``held = E(x(t+1); s(t)) - E(x(t); s(t)) <= 0`` (the step with
    ``V_d`` held, book chapter 04) and ``jump = E(x(t+1); s(t+1)) - E(x(t+1); s(t))`` (the update of ``V_d``).

    Returns
    -------
    x : ``(n_steps + 1, ..., N_f)``;  E : ``(n_steps + 1, ...)``;  held, jump : ``(n_steps, ...)``.
    """
    n_steps = _int(n_steps, "n_steps", 1)
    Xi, Phi, nf, nh = _check_network(Xi, Phi)
    x0 = _check_vec(x0, "x0", nf, "N_f", Xi, "Xi")
    sig = ACTIVATIONS[_check_name(sigma)][0]
    XiT, PhiT = Xi.transpose(-1, -2), Phi.transpose(-1, -2)

    def E(x, y):
        s = sig(x)
        ps, py = _mv(XiT, s), _mv(XiT, y)
        return (_dot(x, s) - lagrangian(x, sigma) - 0.5 * _dot(ps, ps)
                - _dot(ps, _mv(PhiT, py)) - 0.5 * _dot(_mv(PhiT, py), _mv(PhiT, py)))

    xs, Es, held, jump = [x0], [E(x0, sig(x0))], [], []
    x = x0
    for _ in range(n_steps):
        y = sig(x)
        p = _mv(XiT, y)
        x1 = _mv(Xi, p + _mv(PhiT, p))
        e_held = E(x1, y)
        e1 = E(x1, sig(x1))
        held.append(e_held - Es[-1])
        jump.append(e1 - e_held)
        xs.append(x1)
        Es.append(e1)
        x = x1
    return torch.stack(xs), torch.stack(Es), torch.stack(held), torch.stack(jump)
