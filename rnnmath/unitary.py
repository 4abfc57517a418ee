"""Part V — unitary versus contractive RNNs (note 004, Emami, Sahraee-Ardakan, Rangan & Fletcher).

The model of the note (poster, "Background", two unnumbered displays, called
Eq. (1) and Eq. (2) in the book)::

    h_k = phi(W h_{k-1} + F x_k + b),      y_k = C h_k,      h_{-1} = h0.      (1), (2)

Shapes used throughout (a leading batch ``...`` is allowed everywhere):
``W (..., n, n)``, ``F (..., n, m)``, ``b (..., n)``, ``C (..., p, n)``,
``h0 (..., n)``, inputs ``x (..., T, m)``, states ``h (..., T, n)``, outputs
``y (..., T, p)``.

Contents
--------
* :func:`rnn_run`, :class:`RNNParams` — the model (chapter 1).
* :func:`similarity_transform` — the equivalence ``W -> T W T^{-1}`` ... (chapter 1).
* :func:`lipschitz_estimate`, :data:`LIPSCHITZ` — non-expansive activations (chapter 1).
* :func:`psd_sqrt`, :func:`unitary_dilation`, :func:`relu_state_bound`,
  :func:`orthogonal_embedding`, :func:`require_bounded_input` — Theorem 1 (chapter 2).
* :func:`one_state_urnn_invariants`, :func:`fit_one_state_urnn` — Theorem 2 (chapter 3).
* :func:`sigmoid_embedding_error` — why sigmoid rules the construction out (chapter 3).
* :func:`make_synthetic_systems`, :func:`generate_sequences`, :func:`orthogonal_projection`,
  :func:`init_rnn_models`, :func:`unpad_model`, :func:`train_rnn_models`, :func:`predict_rnn_models`,
  :func:`r2_score`, :func:`run_learning_experiment`, :func:`permuted_digits`,
  :func:`train_sequence_classifiers` — the learning experiment (chapter 4).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from .linalg import inv as guarded_inv
from .device import get_device, progress
from .validation import (
    as_numpy,
    require_contractive,
    require_finite,
    require_in_range,
    require_ndim,
    require_nonexpansive,
    require_positive,
    require_shape,
    require_square,
    spectral_norm,
)

__all__ = [
    "ACTIVATIONS",
    "LIPSCHITZ",
    "get_activation",
    "RNNParams",
    "rnn_run",
    "similarity_transform",
    "lipschitz_estimate",
    "psd_sqrt",
    "unitary_dilation",
    "relu_state_bound",
    "require_bounded_input",
    "orthogonal_embedding",
    "one_state_urnn_invariants",
    "fit_one_state_urnn",
    "sigmoid_embedding_error",
    "contractive_weight",
    "make_synthetic_systems",
    "generate_sequences",
    "orthogonal_projection",
    "masked_orthogonal_projection",
    "init_rnn_models",
    "unpad_model",
    "train_rnn_models",
    "predict_rnn_models",
    "r2_score",
    "run_learning_experiment",
    "permuted_digits",
    "train_sequence_classifiers",
]

# --------------------------------------------------------------------------- #
# Chapter 1: the model, equivalence, non-expansive activations
# --------------------------------------------------------------------------- #
#: Activations of the note: name -> elementwise torch function.
ACTIVATIONS: dict[str, Callable] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "identity": lambda z: z,
}

#: Best Lipschitz constants sup |phi'(z)| (chapter 1); <= 1 means non-expansive.
LIPSCHITZ: dict[str, float] = {"relu": 1.0, "tanh": 1.0, "sigmoid": 0.25, "identity": 1.0}


def get_activation(activation: str | Callable) -> Callable:
    """Return the elementwise function for ``activation`` (a name of :data:`ACTIVATIONS` or a callable)."""
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(f"activation: unknown activation {activation!r}; known: {sorted(ACTIVATIONS)}") from None


def _as_tensor(x, name: str, dtype=None, device=None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = x
        if dtype is not None and t.dtype != dtype:
            t = t.to(dtype)
        if device is not None:
            t = t.to(device)
        return t
    arr = np.asarray(x, dtype=np.float64)
    return torch.as_tensor(arr, dtype=dtype or torch.float64, device=device)


@dataclass(frozen=True)
class RNNParams:
    """The parameters ``Theta = (W, F, b, C, h0)`` of Eq. (1)-(2) of note 004.

    Shapes: ``W (..., n, n)``, ``F (..., n, m)``, ``b (..., n)``, ``C (..., p, n)``,
    ``h0 (..., n)``.  Use :meth:`run` to compute outputs.
    """

    W: torch.Tensor
    F: torch.Tensor
    b: torch.Tensor
    C: torch.Tensor
    h0: torch.Tensor

    @property
    def n_states(self) -> int:
        return int(self.W.shape[-1])

    def run(self, x, activation: str | Callable = "relu"):
        """Outputs and states for inputs ``x (..., T, m)``; see :func:`rnn_run`."""
        return rnn_run(self.W, self.F, self.b, self.C, x, self.h0, activation=activation)

    def astuple(self) -> tuple:
        return (self.W, self.F, self.b, self.C, self.h0)


def rnn_run(W, F, b, C, x, h0=None, *, activation: str | Callable = "relu"):
    """Run the RNN of note 004, Eqs. (1)-(2) (book chapter 1).

    ``h_k = phi(W h_{k-1} + F x_k + b)``, ``y_k = C h_k``, ``h_{-1} = h0``.

    Parameters
    ----------
    W : tensor ``(..., n, n)``
    F : tensor ``(..., n, m)``
    b : tensor ``(..., n)``
    C : tensor ``(..., p, n)``
    x : tensor ``(..., T, m)``
        Inputs ``x_0 .. x_{T-1}``; leading batch dimensions broadcast with the parameters'.
    h0 : tensor ``(..., n)``, optional
        Initial state ``h_{-1}`` (zero if omitted).
    activation : str or callable
        ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"`` or an elementwise function.

    Returns
    -------
    y : tensor ``(..., T, p)``
    h : tensor ``(..., T, n)``

    Raises
    ------
    ValueError
        If the shapes are inconsistent (the message names the argument).
    """
    phi = get_activation(activation)
    require_square(W, "W")
    n = W.shape[-1]
    require_ndim(F, "F", range(2, 10))
    require_shape(F, "F", tuple(F.shape[:-2]) + (n, None))
    m = F.shape[-1]
    require_shape(b, "b", tuple(b.shape[:-1]) + (n,))
    require_ndim(C, "C", range(2, 10))
    require_shape(C, "C", tuple(C.shape[:-2]) + (None, n))
    require_ndim(x, "x", range(2, 10))
    require_shape(x, "x", tuple(x.shape[:-1]) + (m,))
    if h0 is None:
        h = torch.zeros(b.shape, dtype=W.dtype, device=W.device)
    else:
        require_shape(h0, "h0", tuple(h0.shape[:-1]) + (n,))
        h = h0
    drive = torch.matmul(x, F.transpose(-1, -2)) + b.unsqueeze(-2)  # (..., T, n)
    states = []
    # unbind once: indexing drive[..., k, :] inside the loop would make backward O(T^2)
    for drive_k in drive.unbind(dim=-2):
        h = phi(torch.matmul(W, h.unsqueeze(-1)).squeeze(-1) + drive_k)
        states.append(h)
    hs = torch.stack(states, dim=-2)
    y = torch.matmul(hs, C.transpose(-1, -2))
    return y, hs


def similarity_transform(params: RNNParams, T) -> RNNParams:
    """Transform ``Theta`` by an invertible ``T (n, n)`` (chapter 1, the note's equivalence example).

    ``W -> T W T^{-1}``, ``F -> T F``, ``b -> T b``, ``C -> C T^{-1}``, ``h0 -> T h0``.
    (The note's list omits ``b -> T b``; see the errata.)  With the identity
    activation the transformed RNN has the same input-output map.

    Raises
    ------
    ValueError
        If ``T`` is not square of size ``n`` or is (numerically) singular.
    """
    T = _as_tensor(T, "T", dtype=params.W.dtype, device=params.W.device)
    require_shape(T, "T", (params.n_states, params.n_states))
    cond = np.linalg.cond(as_numpy(T))
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError(f"T: must be invertible, got condition number {cond:.3g}")
    Tinv = guarded_inv(T, name="T")
    return RNNParams(
        W=T @ params.W @ Tinv,
        F=T @ params.F,
        b=(T @ params.b.unsqueeze(-1)).squeeze(-1),
        C=params.C @ Tinv,
        h0=(T @ params.h0.unsqueeze(-1)).squeeze(-1),
    )


def lipschitz_estimate(activation: str | Callable, n_pairs: int = 100_000, scale: float = 6.0,
                       *, generator: torch.Generator | None = None) -> float:
    """Largest difference quotient ``|phi(u) - phi(v)| / |u - v|`` over random pairs (chapter 1).

    A lower bound on the Lipschitz constant; for the smooth activations it
    approaches ``sup |phi'|`` (compare with :data:`LIPSCHITZ`).
    Pairs are drawn close together (``|u - v|`` down to 1e-6) so the
    estimate sees the steepest slope.
    """
    require_positive(n_pairs, "n_pairs")
    phi = get_activation(activation)
    u = (torch.rand(n_pairs, generator=generator, dtype=torch.float64) * 2 - 1) * scale
    gap = 10 ** (-6 * torch.rand(n_pairs, generator=generator, dtype=torch.float64))
    v = u + gap * torch.sign(torch.rand(n_pairs, generator=generator, dtype=torch.float64) - 0.5)
    return float(((phi(u) - phi(v)).abs() / (u - v).abs()).max())


# --------------------------------------------------------------------------- #
# Chapter 2: Theorem 1, constructively
# --------------------------------------------------------------------------- #
def psd_sqrt(M: torch.Tensor, *, name: str = "M", atol: float = 1e-10) -> torch.Tensor:
    """Symmetric square root of a symmetric positive semidefinite ``M (..., n, n)``.

    Eigenvalues in ``[-atol, 0)`` (rounding) are set to zero; a more negative
    eigenvalue raises ``ValueError`` naming ``name``.
    """
    require_square(M, name)
    Ms = 0.5 * (M + M.transpose(-1, -2))
    evals, evecs = torch.linalg.eigh(Ms)
    lo = float(evals.min()) if evals.numel() else 0.0
    if lo < -atol:
        raise ValueError(f"{name}: must be positive semidefinite, smallest eigenvalue {lo:.3g}")
    root = evals.clamp_min(0).sqrt()
    return (evecs * root.unsqueeze(-2)) @ evecs.transpose(-1, -2)


def unitary_dilation(W) -> torch.Tensor:
    """The orthogonal dilation of a non-expansive ``W (..., n, n)`` (chapter 2, Theorem 1).

    ``U = [[W, (I - W W^T)^{1/2}], [(I - W^T W)^{1/2}, -W^T]]``, shape ``(..., 2n, 2n)``,
    with ``U U^T = U^T U = I`` and top-left block ``W``.

    Raises
    ------
    ValueError
        If ``W`` is not square or its spectral norm exceeds 1 (then
        ``I - W W^T`` has a negative eigenvalue and no real dilation exists).
    """
    W = _as_tensor(W, "W")
    require_square(W, "W")
    require_finite(W, "W")
    require_nonexpansive(W, "W", atol=1e-12)
    n = W.shape[-1]
    eye = torch.eye(n, dtype=W.dtype, device=W.device)
    Wt = W.transpose(-1, -2)
    top_right = psd_sqrt(eye - W @ Wt, name="I - W W^T")
    bottom_left = psd_sqrt(eye - Wt @ W, name="I - W^T W")
    top = torch.cat([W, top_right], dim=-1)
    bottom = torch.cat([bottom_left, -Wt], dim=-1)
    return torch.cat([top, bottom], dim=-2)


def relu_state_bound(W, F, b, input_bound: float, h0=None) -> float:
    """A bound ``B`` with ``||h_k||_2 <= B`` for every ``k`` of a contractive ReLU RNN (chapter 2).

    ``B = max(||h0||, (||F|| X + ||b||) / (1 - ||W||))`` where ``X`` bounds
    ``||x_k||_2``; it follows from ``||relu(z)|| <= ||z||`` by induction.

    Raises
    ------
    ValueError
        If ``W`` is not contractive or ``input_bound`` is not finite and >= 0.
    """
    require_contractive(W, "W")
    X = float(input_bound)
    if not math.isfinite(X) or X < 0:
        raise ValueError(f"input_bound: must be a finite bound >= 0 on ||x_k||_2 (bounded input), got {input_bound!r}")
    w = float(spectral_norm(W))
    drive = float(spectral_norm(F)) * X + float(np.linalg.norm(as_numpy(b)))
    start = 0.0 if h0 is None else float(np.linalg.norm(as_numpy(h0)))
    return max(start, drive / (1.0 - w))


def require_bounded_input(x, input_bound: float, name: str = "x"):
    """Require ``||x_k||_2 <= input_bound`` for every time step of ``x (..., T, m)``."""
    worst = float(np.max(np.linalg.norm(as_numpy(x), axis=-1))) if np.size(as_numpy(x)) else 0.0
    if not worst <= float(input_bound) * (1 + 1e-12):
        raise ValueError(f"{name}: inputs must be bounded, max_k ||{name}_k||_2 = {worst:.6g} exceeds input_bound = {input_bound:g}")
    return x


@dataclass(frozen=True)
class OrthogonalEmbedding:
    """The 2n-state orthogonal ReLU RNN of Theorem 1 (see :func:`orthogonal_embedding`)."""

    params: RNNParams
    input_bound: float
    state_bound: float

    def run(self, x):
        """Outputs and states for ``x (..., T, m)``; rejects inputs above ``input_bound``."""
        require_bounded_input(x, self.input_bound, "x")
        return self.params.run(x, "relu")


def orthogonal_embedding(params: RNNParams, input_bound: float, *, offset: float | None = None) -> OrthogonalEmbedding:
    """Theorem 1 of note 004, constructively (book chapter 2).

    Given a contractive ReLU RNN ``(W, F, b, C, h0)`` with ``n`` states whose
    inputs satisfy ``||x_k||_2 <= input_bound``, return the ReLU RNN with ``2n``
    states and parameters::

        W_u = [[W, (I - W W^T)^{1/2}], [(I - W^T W)^{1/2}, -W^T]]   (orthogonal)
        F_u = [F; 0],   b_u = [b; -B 1],   C_u = [C, 0],   h0_u = [h0; 0]

    where ``B`` is :func:`relu_state_bound` (or ``offset`` if given).  The last
    ``n`` states stay at zero and the first ``n`` equal the original states,
    so the outputs agree for every admissible input.

    Raises
    ------
    ValueError
        If ``W`` is not contractive (argument ``W``) or ``input_bound`` is not a
        finite non-negative number (argument ``input_bound``).
    """
    W, F, b, C, h0 = params.astuple()
    require_contractive(W, "W")
    require_ndim(W, "W", 2)
    B = relu_state_bound(W, F, b, input_bound, h0)
    if offset is not None:
        B = float(offset)
    n = W.shape[-1]
    z_nm = torch.zeros(n, F.shape[-1], dtype=F.dtype, device=F.device)
    Wu = unitary_dilation(W)
    Fu = torch.cat([F, z_nm], dim=-2)
    bu = torch.cat([b, torch.full((n,), -B, dtype=b.dtype, device=b.device)])
    Cu = torch.cat([C, torch.zeros_like(C)], dim=-1)
    h0u = torch.cat([h0, torch.zeros_like(h0)])
    return OrthogonalEmbedding(RNNParams(Wu, Fu, bu, Cu, h0u), float(input_bound), float(B))


# --------------------------------------------------------------------------- #
# Chapter 3: Theorems 2 and 3
# --------------------------------------------------------------------------- #
def one_state_urnn_invariants(y) -> dict:
    """Invariants of a one-state ReLU URNN's positive output run (chapter 3, Theorem 2).

    With zero input and positive outputs ``y_0, y_1, y_2`` a one-state URNN
    (``u = +1`` or ``u = -1``) obeys ``y_2 - 2 y_1 + y_0 = 0`` (``u = +1``) or
    ``y_2 - y_0 = 0`` (``u = -1``).  Returns both residuals for ``y (..., K)``,
    ``K >= 3``, taking the worst over consecutive triples.
    """
    y = _as_tensor(y, "y")
    if y.shape[-1] < 3:
        raise ValueError(f"y: need at least 3 samples, got shape {tuple(y.shape)}")
    plus = (y[..., 2:] - 2 * y[..., 1:-1] + y[..., :-2]).abs().amax(-1)
    minus = (y[..., 2:] - y[..., :-2]).abs().amax(-1)
    return {"u=+1": plus, "u=-1": minus}


def fit_one_state_urnn(x, y, *, n_starts: int = 256, steps: int = 400, lr: float = 0.05,
                       generator: torch.Generator | None = None) -> dict:
    """Best least-squares fit of ``y`` by one-state ReLU URNNs (chapter 3, Theorem 2).

    Optimises ``(f, b, c, h0)`` by Adam from ``n_starts`` random starts for each
    ``u`` in ``{+1, -1}`` (all starts batched).  Returns the smallest RMS error
    found for each ``u``.  This is numerical evidence, not a proof (the proof is
    :func:`one_state_urnn_invariants`).

    Parameters
    ----------
    x : tensor ``(T, 1)``; y : tensor ``(T, 1)``
    """
    x = _as_tensor(x, "x")
    y = _as_tensor(y, "y")
    require_shape(x, "x", (None, 1))
    require_shape(y, "y", (x.shape[0], 1))
    out = {}
    for u in (1.0, -1.0):
        p = torch.randn(n_starts, 4, generator=generator, dtype=torch.float64).to(x.device).requires_grad_(True)
        opt = torch.optim.Adam([p], lr=lr)
        W = torch.full((n_starts, 1, 1), u, dtype=torch.float64, device=x.device)
        for _ in range(steps):
            opt.zero_grad()
            yh, _ = rnn_run(W, p[:, 0].view(-1, 1, 1), p[:, 1].view(-1, 1), p[:, 2].view(-1, 1, 1),
                            x.expand(n_starts, -1, -1), p[:, 3].view(-1, 1))
            loss = ((yh - y) ** 2).mean(dim=(-1, -2))
            loss.sum().backward()
            opt.step()
        out[f"u={u:+.0f}"] = float(loss.detach().min().sqrt())
    return out


def sigmoid_embedding_error(params: RNNParams, x, offsets) -> torch.Tensor:
    """Output error of the Theorem-1 construction when ``phi`` is the sigmoid (chapter 3, Theorem 3).

    Builds ``W_u, F_u, C_u, h0_u`` as in :func:`orthogonal_embedding` and the
    bias ``[b; -B 1]`` for each ``B`` in ``offsets (K,)`` (batched), runs both
    networks with the sigmoid and returns ``max_k ||y_u - y||_inf`` per offset.
    The sigmoid never outputs 0, so the extra states cannot be silenced and the
    error is positive for every finite ``B``.
    """
    W, F, b, C, h0 = params.astuple()
    require_contractive(W, "W")
    offsets = _as_tensor(offsets, "offsets", dtype=W.dtype)
    require_ndim(offsets, "offsets", 1)
    n = W.shape[-1]
    K = offsets.shape[0]
    Wu = unitary_dilation(W)
    Fu = torch.cat([F, torch.zeros_like(F)], dim=-2)
    bu = torch.cat([b.expand(K, n), -offsets.unsqueeze(-1).expand(K, n)], dim=-1)
    Cu = torch.cat([C, torch.zeros_like(C)], dim=-1)
    h0u = torch.cat([h0, torch.zeros_like(h0)])
    y, _ = rnn_run(W, F, b, C, x, h0, activation="sigmoid")
    yu, _ = rnn_run(Wu, Fu, bu, Cu, x, h0u, activation="sigmoid")
    return (yu - y).abs().amax(dim=(-1, -2))


# --------------------------------------------------------------------------- #
# Chapter 4: the learning experiment
# --------------------------------------------------------------------------- #
def contractive_weight(A: torch.Tensor, eps: float = 0.01) -> torch.Tensor:
    """``W = I - eps A^T A / ||A||^2`` (note 004, "Data generation"), ``A (..., n, n)``.

    ``||A||`` is the spectral norm, so the eigenvalues of ``W`` lie in
    ``[1 - eps, 1 - eps * sigma_min(A)^2/||A||^2]``: contractive when ``A`` is invertible.
    """
    require_square(A, "A")
    require_in_range(eps, "eps", 0.0, 1.0)
    n = A.shape[-1]
    norm2 = torch.linalg.matrix_norm(A, ord=2).pow(2)[..., None, None]
    return torch.eye(n, dtype=A.dtype, device=A.device) - eps * A.transpose(-1, -2) @ A / norm2


def make_synthetic_systems(n_real: int, *, n_hidden: int = 4, n_in: int = 2, n_out: int = 2, eps: float = 0.01,
                           on_fraction: float = 0.6, calib_T: int = 1000, calib_rounds: int = 12,
                           calib_sweeps: int = 3,
                           bias_range: float = 10.0,
                           generator: torch.Generator | None = None, device=None,
                           dtype=torch.float64) -> RNNParams:
    """``n_real`` realisations of the note's synthetic contractive ReLU RNN (chapter 4), batched.

    ``W = I - eps A^T A/||A||^2`` (:func:`contractive_weight`), ``F, C, b`` iid
    standard Gaussian, then the biases are re-set by a parallel bisection
    (``calib_sweeps`` sweeps of ``calib_rounds`` halvings of ``b_i +- bias_range / 4^sweep``,
    all units at once, on a
    Gaussian-input run of length ``calib_T``) so that each unit is on (``h_i > 0``)
    a fraction ``on_fraction`` of the time.

    Returns
    -------
    RNNParams with leading dimension ``n_real``: ``W (R, n, n)``, ``F (R, n, n_in)``,
    ``b (R, n)``, ``C (R, n_out, n)``, ``h0 = 0 (R, n)``.
    """
    require_positive(n_real, "n_real")
    require_in_range(on_fraction, "on_fraction", 0.0, 1.0)
    device = get_device() if device is None else torch.device(device)
    g = generator

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)

    A = randn(n_real, n_hidden, n_hidden)
    W = contractive_weight(A, eps)
    F, C, b = randn(n_real, n_hidden, n_in), randn(n_real, n_out, n_hidden), randn(n_real, n_hidden)
    h0 = torch.zeros(n_real, n_hidden, dtype=dtype, device=device)
    x = randn(n_real, calib_T, n_in)
    # parallel bisection on every unit's bias (all units and realisations at once): the on-fraction
    # of unit i increases with b_i.  The units are coupled, so the bisection is repeated in sweeps
    # whose brackets, re-opened around the current biases, shrink by 4 each sweep.
    for sweep in range(calib_sweeps):
        width = bias_range / 4 ** sweep
        lo, hi = b - width, b + width
        for _ in range(calib_rounds):
            mid = 0.5 * (lo + hi)
            _, h = rnn_run(W, F, mid, C, x, h0)
            too_low = (h > 0).to(dtype).mean(dim=1) < on_fraction  # (R, n)
            lo = torch.where(too_low, mid, lo)
            hi = torch.where(too_low, hi, mid)
        b = 0.5 * (lo + hi)
    return RNNParams(W, F, b, C, h0)


def generate_sequences(system: RNNParams, n_seq: int, T: int, snr_db: float, *,
                       generator: torch.Generator | None = None) -> tuple:
    """Gaussian iid inputs, clean outputs and noisy outputs at ``snr_db`` (chapter 4).

    The noise variance of each realisation is ``var(y) 10^{-snr_db/10}`` (SNR
    measured on that realisation's clean outputs).

    Returns
    -------
    x : ``(R, n_seq, T, n_in)``;  y_clean, y_noisy : ``(R, n_seq, T, n_out)``
    """
    R, n_in = system.F.shape[0], system.F.shape[-1]
    dev, dt = system.W.device, system.W.dtype
    x = torch.randn(R, n_seq, T, n_in, generator=generator, dtype=torch.float64).to(dev, dt)
    p = system
    y, _ = rnn_run(p.W[:, None], p.F[:, None], p.b[:, None], p.C[:, None], x, p.h0[:, None])
    var = y.var(dim=(1, 2, 3), keepdim=True)
    noise = torch.randn(y.shape, generator=generator, dtype=torch.float64).to(dev, dt)
    return x, y, y + noise * torch.sqrt(var * 10 ** (-snr_db / 10))


def orthogonal_projection(W: torch.Tensor) -> torch.Tensor:
    """Nearest orthogonal matrix ``U V^T`` (Frobenius norm) of ``W = U S V^T``, batched ``(..., n, n)``."""
    require_square(W, "W")
    U, _, Vh = torch.linalg.svd(W)
    return U @ Vh


def masked_orthogonal_projection(W: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Project the active ``m x m`` block of a padded ``W (..., H, H)`` onto the orthogonal matrices.

    ``mask (..., H)`` is 1 on the active states.  The padded matrix is completed
    with the identity on the inactive block, projected, and masked again; the
    polar factor of a block-diagonal matrix is block-diagonal, so the active
    block equals :func:`orthogonal_projection` of the unpadded block.
    """
    M = mask.unsqueeze(-1) * mask.unsqueeze(-2)
    filled = W * M + torch.diag_embed(1 - mask)
    return orthogonal_projection(filled) * M


def init_rnn_models(sizes: Sequence[int], n_models_per_size: int, n_in: int, n_out: int, *,
                    generator: torch.Generator | None = None, device=None, dtype=torch.float32) -> dict:
    """Random initial parameters of RNNs of several hidden sizes, padded to ``H = max(sizes)``.

    Returns a dict with ``W (S, R, H, H)`` (a random orthogonal block), ``F (S, R, H, n_in)``,
    ``b (S, R, H)``, ``C (S, R, n_out, H)`` and ``mask (S, R, H)``; entries
    outside the active block are zero.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes: need at least one hidden size, all >= 1, got {sizes}")
    require_positive(n_models_per_size, "n_models_per_size")
    H, S, R = max(sizes), len(sizes), int(n_models_per_size)
    device = get_device() if device is None else torch.device(device)
    mask = torch.zeros(S, R, H, dtype=torch.float64)
    for i, s in enumerate(sizes):
        mask[i, :, :s] = 1
    M2 = mask.unsqueeze(-1) * mask.unsqueeze(-2)
    G = torch.randn(S, R, H, H, generator=generator, dtype=torch.float64)
    W = masked_orthogonal_projection(G, mask)
    size_col = torch.tensor(sizes, dtype=torch.float64).view(S, 1, 1, 1)
    F = torch.randn(S, R, H, n_in, generator=generator, dtype=torch.float64) / math.sqrt(n_in) * mask.unsqueeze(-1)
    C = 0.1 * torch.randn(S, R, n_out, H, generator=generator, dtype=torch.float64) / size_col.sqrt() * mask.unsqueeze(-2)
    b = torch.zeros(S, R, H, dtype=torch.float64)
    out = dict(W=W * M2, F=F, b=b, C=C, mask=mask)
    return {k: v.to(device=device, dtype=dtype) for k, v in out.items()}


def unpad_model(params: dict, s: int, r: int) -> dict:
    """Model ``(s, r)`` of padded parameters (:func:`init_rnn_models`) as its own unpadded ``(1, 1, ...)`` dict.

    Used to train one model alone (the "loop" reference of the batched experiment).
    """
    m = int(params["mask"][s, r].sum())
    return dict(W=params["W"][s:s + 1, r:r + 1, :m, :m].clone(), F=params["F"][s:s + 1, r:r + 1, :m].clone(),
                b=params["b"][s:s + 1, r:r + 1, :m].clone(), C=params["C"][s:s + 1, r:r + 1, :, :m].clone(),
                mask=params["mask"][s:s + 1, r:r + 1, :m].clone())


def _forward_padded(p: dict, x: torch.Tensor) -> torch.Tensor:
    """Outputs of padded models ``(S, R, ...)`` on inputs ``x (R, B, T, m)`` -> ``(S, R, B, T, p)``."""
    mask = p["mask"].unsqueeze(-2)  # (S, R, 1, H)
    W = p["W"] * p["mask"].unsqueeze(-1) * p["mask"].unsqueeze(-2)
    drive = torch.einsum("srhm,rbtm->srbth", p["F"], x) + p["b"][:, :, None, None, :]
    h = torch.zeros(drive.shape[:3] + drive.shape[-1:], dtype=x.dtype, device=x.device)
    hs = []
    Wt = W.transpose(-1, -2)
    for drive_k in drive.unbind(dim=3):  # one unbind: per-step indexing would make backward O(T^2)
        h = torch.relu(h @ Wt + drive_k) * mask
        hs.append(h)
    hs = torch.stack(hs, dim=3)  # (S, R, B, T, H)
    return hs @ p["C"].transpose(-1, -2).unsqueeze(2)


def predict_rnn_models(params: dict, x: torch.Tensor) -> torch.Tensor:
    """Outputs ``(S, R, N, T, p)`` of padded ReLU RNN models on inputs ``x (R, N, T, m)``."""
    with torch.no_grad():
        return _forward_padded(params, x)


def train_rnn_models(params: dict, x: torch.Tensor, y: torch.Tensor, *, unitary, epochs: int, batch_size: int = 10,
                     lr: float = 0.01, order: torch.Tensor | None = None, generator: torch.Generator | None = None,
                     max_grad_norm: float | None = None, show_progress: bool = True) -> tuple:
    """Train padded ReLU RNNs (MSE, Adam) in one batched computation (chapter 4).

    Parameters
    ----------
    params : dict from :func:`init_rnn_models` (``S`` sizes x ``R`` realisations); not modified.
    x : ``(R, N, T, m)`` inputs;  y : ``(R, N, T, p)`` targets (realisation ``r`` trains models ``[:, r]``).
    unitary : bool or bool tensor ``(S,)``
        Which models are URNNs: after every optimiser step their ``W`` is
        replaced by its orthogonal projection (:func:`masked_orthogonal_projection`).
    epochs, batch_size, lr : training schedule (the note: batch 10, lr 0.01).
    order : long tensor ``(epochs, N)``, optional
        The sequence order of each epoch (shared by all models); random if omitted.
    max_grad_norm : float, optional
        Clip each model's gradient (all its parameters together) to this norm
        before the step; models are clipped independently, as if trained alone.

    Returns
    -------
    params : dict of trained parameters;  losses : tensor ``(epochs, S, R)`` (mean training MSE per epoch).
    """
    S, R = params["W"].shape[:2]
    N = x.shape[1]
    require_shape(x, "x", (R, N, None, None))
    require_shape(y, "y", (R, N, x.shape[2], None))
    require_positive(batch_size, "batch_size")
    unitary = torch.as_tensor(unitary, dtype=torch.bool, device=x.device).expand(S)
    p = {k: v.detach().clone() for k, v in params.items()}
    leaves = [p[k].requires_grad_(True) for k in ("W", "F", "b", "C")]
    opt = torch.optim.Adam(leaves, lr=lr)
    if order is None:
        order = torch.stack([torch.randperm(N, generator=generator) for _ in range(epochs)])
    losses = torch.zeros(epochs, S, R, dtype=x.dtype)
    kw = {} if show_progress else {"disable": True}
    for e in progress(range(epochs), desc="training", **kw):
        for start in range(0, N, batch_size):
            idx = order[e, start:start + batch_size].to(x.device)
            xb, yb = x[:, idx], y[:, idx]
            opt.zero_grad()
            err = ((_forward_padded(p, xb) - yb.unsqueeze(0)) ** 2).mean(dim=(2, 3, 4))  # (S, R)
            err.sum().backward()
            if max_grad_norm is not None:
                with torch.no_grad():
                    sq = sum(leaf.grad.pow(2).flatten(2).sum(-1) for leaf in leaves)  # (S, R)
                    scale = (max_grad_norm / (sq.sqrt() + 1e-12)).clamp(max=1.0)
                    for leaf in leaves:
                        leaf.grad.mul_(scale.view(S, R, *([1] * (leaf.ndim - 2))))
            opt.step()
            with torch.no_grad():
                if bool(unitary.any()):
                    proj = masked_orthogonal_projection(p["W"], p["mask"])
                    p["W"].copy_(torch.where(unitary.view(S, 1, 1, 1), proj, p["W"]))
            losses[e] += err.detach().cpu() * len(idx) / N
    return {k: v.detach() for k, v in p.items()}, losses


def r2_score(y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
    """Coefficient of determination ``1 - sum (y - yhat)^2 / sum (y - mean y)^2`` over the last three axes.

    ``y_pred (..., N, T, p)`` broadcasts against ``y_true``; the mean is per output channel.
    """
    resid = ((y_true - y_pred) ** 2).sum(dim=(-1, -2, -3))
    centred = y_true - y_true.mean(dim=(-2, -3), keepdim=True)
    total = (centred ** 2).sum(dim=(-1, -2, -3))
    return 1 - resid / total


def run_learning_experiment(*, sizes: Sequence[int], n_real: int, snr_db: float, T: int, n_seq: int,
                            epochs: int, test_ratio: float = 0.3, batch_size: int = 10, lr: float = 0.01,
                            seed: int = 0, device=None, dtype=torch.float32, show_progress: bool = True) -> dict:
    """The note's synthetic experiment, every size x realisation x {standard, unitary} in one batch.

    ``n_real`` true systems (:func:`make_synthetic_systems`); for each, ``n_seq``
    sequences of length ``T`` (Gaussian inputs, output noise at ``snr_db``),
    split into train / test sequences by ``test_ratio``; targets standardised
    with the training statistics (R^2 is unchanged by this).  Standard and
    unitary ReLU RNNs of every size in ``sizes`` start from the same initial
    parameters and are trained together by :func:`train_rnn_models`.

    Returns
    -------
    dict with ``sizes``, ``r2`` (tensor ``(2, S, R)``: [standard, unitary] test R^2
    against the noisy targets), ``r2_clean`` (same against the clean outputs), ``losses``.
    """
    require_in_range(test_ratio, "test_ratio", 0.0, 1.0)
    device = get_device() if device is None else torch.device(device)
    g = torch.Generator().manual_seed(seed)
    system = make_synthetic_systems(n_real, generator=g, device=device, dtype=torch.float64)
    x, y_clean, y_noisy = generate_sequences(system, n_seq, T, snr_db, generator=g)
    n_test = max(1, int(round(test_ratio * n_seq)))
    n_train = n_seq - n_test
    if n_train < 1:
        raise ValueError(f"n_seq: need at least one training sequence, got n_seq={n_seq}, test_ratio={test_ratio}")
    mu = y_noisy[:, :n_train].mean(dim=(1, 2), keepdim=True)
    sd = y_noisy[:, :n_train].std(dim=(1, 2), keepdim=True)
    yn, yc = ((y_noisy - mu) / sd).to(dtype), ((y_clean - mu) / sd).to(dtype)
    x = x.to(dtype)
    S = len(sizes)
    init = init_rnn_models(sizes, n_real, x.shape[-1], yn.shape[-1], generator=g, device=device, dtype=dtype)
    both = {k: torch.cat([v, v]) for k, v in init.items()}  # first S standard, last S unitary
    unitary = torch.tensor([False] * S + [True] * S)
    trained, losses = train_rnn_models(both, x[:, :n_train], yn[:, :n_train], unitary=unitary, epochs=epochs,
                                       batch_size=batch_size, lr=lr, generator=g, show_progress=show_progress)
    pred = predict_rnn_models(trained, x[:, n_train:])
    r2 = r2_score(pred, yn[:, n_train:].unsqueeze(0)).view(2, S, n_real)
    r2c = r2_score(pred, yc[:, n_train:].unsqueeze(0)).view(2, S, n_real)
    return dict(sizes=list(sizes), r2=r2.cpu(), r2_clean=r2c.cpu(), losses=losses.view(epochs, 2, S, n_real),
                systems=system, trained=trained)


def permuted_digits(*, seed: int = 0, test_ratio: float = 0.3, device=None, dtype=torch.float32) -> dict:
    """scikit-learn's bundled 8x8 digits as permuted pixel sequences (the book's stand-in for permuted MNIST).

    Each image becomes a sequence of 64 scalar inputs (pixels / 16) in a fixed
    random order (the same permutation for every image).

    Returns
    -------
    dict with ``x_train (N, 64, 1)``, ``y_train (N,)``, ``x_test``, ``y_test``, ``permutation (64,)``.
    """
    from sklearn.datasets import load_digits

    device = get_device() if device is None else torch.device(device)
    data = load_digits()
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(64, generator=g)
    X = torch.as_tensor(data.data / 16.0, dtype=torch.float64)[:, perm].unsqueeze(-1)
    Y = torch.as_tensor(data.target, dtype=torch.long)
    idx = torch.randperm(len(Y), generator=g)
    n_test = int(round(test_ratio * len(Y)))
    te, tr = idx[:n_test], idx[n_test:]
    return dict(x_train=X[tr].to(device, dtype), y_train=Y[tr].to(device), x_test=X[te].to(device, dtype),
                y_test=Y[te].to(device), permutation=perm)


def train_sequence_classifiers(x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor,
                               *, hidden: int, unitary: Sequence[bool] = (False, True), epochs: int = 5,
                               batch_size: int = 32, lr: float = 1e-3, seed: int = 0, n_classes: int = 10,
                               show_progress: bool = True) -> dict:
    """Train ReLU RNN sequence classifiers side by side, one per entry of ``unitary`` (chapter 4).

    Every model reads ``x (N, T, m)`` through Eq. (1) of note 004 with ``phi = relu`` and
    classifies from the last state, ``logits = C h^{(T-1)} + c``; cross-entropy, RMSprop.
    The models share their random initialisation (orthogonal ``W``) and their
    mini-batches, and are trained in one batched computation; unitary ones are
    projected back onto the orthogonal matrices (:func:`orthogonal_projection`) after every step.

    Returns
    -------
    dict with ``test_accuracy (M,)``, ``train_loss (epochs, M)`` and the parameters.
    """
    require_ndim(x_train, "x_train", 3)
    require_shape(y_train, "y_train", (x_train.shape[0],))
    require_positive(hidden, "hidden")
    M = len(unitary)
    dev, dt = x_train.device, x_train.dtype
    g = torch.Generator().manual_seed(seed)
    m = x_train.shape[-1]
    W0 = orthogonal_projection(torch.randn(hidden, hidden, generator=g, dtype=torch.float64))
    F0 = torch.randn(hidden, m, generator=g, dtype=torch.float64) / math.sqrt(m)
    C0 = torch.randn(n_classes, hidden, generator=g, dtype=torch.float64) / math.sqrt(hidden)
    p = {k: v.expand(M, *v.shape).clone().to(dev, dt).requires_grad_(True)
         for k, v in dict(W=W0, F=F0, b=torch.zeros(hidden, dtype=torch.float64), C=C0,
                          c=torch.zeros(n_classes, dtype=torch.float64)).items()}
    proj_mask = torch.tensor(list(unitary), dtype=torch.bool, device=dev).view(M, 1, 1)
    opt = torch.optim.RMSprop(list(p.values()), lr=lr)

    def logits(x):
        h = torch.zeros(M, x.shape[0], hidden, dtype=dt, device=dev)
        drive = torch.einsum("mhi,nti->mnth", p["F"], x) + p["b"][:, None, None, :]
        Wt = p["W"].transpose(-1, -2)
        for drive_k in drive.unbind(dim=2):
            h = torch.relu(h @ Wt + drive_k)
        return h @ p["C"].transpose(-1, -2) + p["c"][:, None, :]  # (M, N, classes)

    N = x_train.shape[0]
    losses = torch.zeros(epochs, M)
    kw = {} if show_progress else {"disable": True}
    for e in progress(range(epochs), desc="digits", **kw):
        order = torch.randperm(N, generator=g).to(dev)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            out = logits(x_train[idx])
            loss = torch.nn.functional.cross_entropy(out.reshape(-1, n_classes), y_train[idx].repeat(M),
                                                     reduction="none").view(M, -1).mean(-1)
            loss.sum().backward()
            opt.step()
            with torch.no_grad():
                p["W"].copy_(torch.where(proj_mask, orthogonal_projection(p["W"]), p["W"]))
            losses[e] += loss.detach().cpu() * len(idx) / N
    with torch.no_grad():
        acc = (logits(x_test).argmax(-1) == y_test.unsqueeze(0)).to(torch.float64).mean(-1)
    return dict(test_accuracy=acc.cpu(), train_loss=losses, params={k: v.detach() for k, v in p.items()})
