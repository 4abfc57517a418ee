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
    "linear_baseline_correct",
    "size_ratio",
    "state_jacobian_norms",
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


# --------------------------------------------------------------------------- #
# Input conversion and scalar checks (every public function of this module uses them)
# --------------------------------------------------------------------------- #
_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _as_tensor(x, name: str, dtype=None, device=None, *, allow_complex: bool = False,
               finite: bool = True) -> torch.Tensor:
    """``x`` (tensor, numpy array or nested list) as a floating torch tensor, checked.

    Integer, boolean and half-precision inputs are promoted to float64 (never
    truncated); complex inputs raise ``TypeError`` unless ``allow_complex``; NaN/inf
    raise ``ValueError`` when ``finite``.  Messages start with ``name:``.
    """
    if isinstance(x, (str, bytes)) or x is None or isinstance(x, dict):
        raise TypeError(f"{name}: must be an array or tensor, got {type(x).__name__}")
    if isinstance(x, torch.Tensor):
        t = x
    else:
        try:
            arr = np.asarray(x)
        except Exception:
            raise TypeError(f"{name}: must be an array or tensor, got {type(x).__name__}") from None
        if arr.dtype == object or arr.dtype.kind not in "biufc":
            raise TypeError(f"{name}: must be numeric, got dtype {arr.dtype}")
        t = torch.as_tensor(arr)
    if t.dtype.is_complex:
        if not allow_complex:
            raise TypeError(f"{name}: must be real-valued, got dtype {t.dtype}")
    elif not t.dtype.is_floating_point or t.dtype in _LOW_PRECISION:
        t = t.to(torch.float64)
    if dtype is not None and t.dtype != dtype:
        t = t.to(dtype)  # complex -> real never happens here: complex inputs were refused above
    if device is not None:
        t = t.to(device)
    if finite:
        require_finite(t, name)
    return t


def _count(value, name: str, minimum: int = 1) -> int:
    """A whole number ``>= minimum`` (bools, fractions, NaN and strings refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_complex \
                and value.dtype != torch.bool:
            value = value.item()
        else:
            raise TypeError(f"{name}: must be an integer, got {type(value).__name__} {value!r}")
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{name}: must be a whole number, got {value!r}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    return v


def _real(value, name: str, *, low: float | None = None, high: float | None = None,
          low_open: bool = False, high_open: bool = False, allow_inf: bool = False) -> float:
    """A real scalar in the given interval (NaN, complex, strings and bools refused)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_complex \
            and value.dtype != torch.bool:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name}: must be a finite real number, got {value!r}")
    lo_ok = low is None or (v > low if low_open else v >= low)
    hi_ok = high is None or (v < high if high_open else v <= high)
    if not (lo_ok and hi_ok):
        lb = "(" if low_open else "["
        hb = ")" if high_open else "]"
        lo_s = "-inf" if low is None else f"{low:g}"
        hi_s = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name}: must lie in {lb}{lo_s}, {hi_s}{hb}, got {value!r}")
    return v


def _require_params(params, name: str = "params") -> "RNNParams":
    if not isinstance(params, RNNParams):
        raise TypeError(f"{name}: must be an RNNParams, got {type(params).__name__}")
    return params


def get_activation(activation: str | Callable) -> Callable:
    """Return the elementwise function for ``activation`` (a name of :data:`ACTIVATIONS` or a callable)."""
    if callable(activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(f"activation: must be a name {sorted(ACTIVATIONS)} or a callable, got {type(activation).__name__}")
    try:
        return ACTIVATIONS[activation]
    except KeyError:
        raise ValueError(f"activation: unknown activation {activation!r}; known: {sorted(ACTIVATIONS)}") from None


def _check_params(W, F, b, C, h0, *, allow_complex: bool = True) -> tuple:
    """Convert ``(W, F, b, C, h0)`` to tensors of one dtype and device and check their shapes."""
    W = _as_tensor(W, "W", allow_complex=allow_complex)
    dev = W.device
    F = _as_tensor(F, "F", device=dev, allow_complex=allow_complex)
    b = _as_tensor(b, "b", device=dev, allow_complex=allow_complex)
    C = _as_tensor(C, "C", device=dev, allow_complex=allow_complex)
    h0 = None if h0 is None else _as_tensor(h0, "h0", device=dev, allow_complex=allow_complex)
    require_square(W, "W")
    n = W.shape[-1]
    if n < 1:
        raise ValueError(f"W: needs at least one state, got shape {tuple(W.shape)}")
    # require_shape also refuses too few dimensions (the pattern then has more axes than the array)
    require_shape(F, "F", tuple(F.shape[:-2]) + (n, None))
    require_shape(b, "b", tuple(b.shape[:-1]) + (n,))
    require_shape(C, "C", tuple(C.shape[:-2]) + (None, n))
    if h0 is not None:
        require_shape(h0, "h0", tuple(h0.shape[:-1]) + (n,))
    tensors = [t for t in (W, F, b, C, h0) if t is not None]
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    W, F, b, C = (t.to(dtype) for t in (W, F, b, C))
    h0 = None if h0 is None else h0.to(dtype)
    return W, F, b, C, h0


def _batch_shape(pairs) -> tuple:
    """Broadcast the leading (batch) shapes of ``[(name, shape), ...]``; ValueError naming the culprit."""
    shape: tuple = ()
    for name, s in pairs:
        try:
            shape = tuple(torch.broadcast_shapes(shape, tuple(s)))
        except RuntimeError:
            raise ValueError(f"{name}: batch dimensions {tuple(s)} do not broadcast with {shape}") from None
    return shape


@dataclass(frozen=True)
class RNNParams:
    """The parameters ``Theta = (W, F, b, C, h0)`` of Eq. (1)-(2) of note 004.

    Shapes: ``W (..., n, n)``, ``F (..., n, m)``, ``b (..., n)``, ``C (..., p, n)``,
    ``h0 (..., n)``.  Inputs are converted to tensors of one floating dtype (integers
    promoted, never truncated) and their shapes checked on construction.  Use
    :meth:`run` to compute outputs.
    """

    W: torch.Tensor
    F: torch.Tensor
    b: torch.Tensor
    C: torch.Tensor
    h0: torch.Tensor

    def __post_init__(self):
        W, F, b, C, h0 = _check_params(self.W, self.F, self.b, self.C, self.h0)
        if h0 is None:  # h_{-1} = 0 by default
            h0 = torch.zeros(b.shape, dtype=b.dtype, device=b.device)
        for key, val in zip(("W", "F", "b", "C", "h0"), (W, F, b, C, h0)):
            object.__setattr__(self, key, val)

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
    x : tensor ``(..., T, m)``, ``T >= 1``
        Inputs ``x_0 .. x_{T-1}``; leading batch dimensions broadcast with the parameters'.
    h0 : tensor ``(..., n)``, optional
        Initial state ``h_{-1}`` (zero if omitted).
    activation : str or callable
        ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"`` or an elementwise function.
        Complex parameters or inputs are allowed only with ``"identity"`` (or a callable).

    Returns
    -------
    y : tensor ``(..., T, p)``
    h : tensor ``(..., T, n)``

    Raises
    ------
    ValueError
        If the shapes are inconsistent, an entry is NaN/inf, or ``x`` has no time step
        (the message names the argument).
    TypeError
        For non-numeric inputs, or complex ones with a real activation.
    """
    phi = get_activation(activation)
    W, F, b, C, h0 = _check_params(W, F, b, C, h0)
    x = _as_tensor(x, "x", device=W.device, allow_complex=True)
    require_ndim(x, "x", range(2, 10))
    m = F.shape[-1]
    require_shape(x, "x", tuple(x.shape[:-1]) + (m,))
    if x.shape[-2] < 1:
        raise ValueError(f"x: needs at least one time step, got shape {tuple(x.shape)}")
    dtype = torch.promote_types(W.dtype, x.dtype)
    if dtype.is_complex and isinstance(activation, str) and activation != "identity":
        culprit = next(nm for nm, t in (("W", W), ("F", F), ("b", b), ("C", C), ("x", x), ("h0", h0))
                       if t is not None and t.is_complex())
        raise TypeError(f"{culprit}: complex values need activation 'identity' ({activation!r} is a real function)")
    _batch_shape([("W", W.shape[:-2]), ("F", F.shape[:-2]), ("b", b.shape[:-1]), ("C", C.shape[:-2]),
                  ("x", x.shape[:-2])] + ([] if h0 is None else [("h0", h0.shape[:-1])]))
    W, F, b, C, x = (t.to(dtype) for t in (W, F, b, C, x))
    if h0 is None:
        h = torch.zeros(b.shape, dtype=dtype, device=W.device)
    else:
        h = h0.to(dtype)
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
        If ``T`` is not square of size ``n``, not finite, or (numerically) singular.
    """
    _require_params(params)
    T = _as_tensor(T, "T", device=params.W.device, allow_complex=True)
    require_shape(T, "T", (params.n_states, params.n_states))
    dtype = torch.promote_types(T.dtype, params.W.dtype)
    T = T.to(dtype)
    cond = np.linalg.cond(as_numpy(T))
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError(f"T: must be invertible, got condition number {cond:.3g}")
    Tinv = guarded_inv(T, name="T")
    W, F, b, C, h0 = (t.to(dtype) for t in params.astuple())
    return RNNParams(
        W=T @ W @ Tinv,
        F=T @ F,
        b=(T @ b.unsqueeze(-1)).squeeze(-1),
        C=C @ Tinv,
        h0=(T @ h0.unsqueeze(-1)).squeeze(-1),
    )


def lipschitz_estimate(activation: str | Callable, n_pairs: int = 100_000, scale: float = 6.0,
                       *, generator: torch.Generator | None = None) -> float:
    """Largest difference quotient ``|phi(u) - phi(v)| / |u - v|`` over random pairs (chapter 1).

    A lower bound on the Lipschitz constant; for the smooth activations it
    approaches ``sup |phi'|`` (compare with :data:`LIPSCHITZ`).
    Pairs are drawn close together (``|u - v|`` down to 1e-6) in ``[-scale, scale]``
    so the estimate sees the steepest slope.

    Raises
    ------
    ValueError
        If ``n_pairs`` is not a whole number >= 1, ``scale`` not finite and > 0, or the
        activation returns NaN/inf on the sample.
    """
    n_pairs = _count(n_pairs, "n_pairs")
    scale = _real(scale, "scale", low=0.0, low_open=True)
    phi = get_activation(activation)
    u = (torch.rand(n_pairs, generator=generator, dtype=torch.float64) * 2 - 1) * scale
    gap = 10 ** (-6 * torch.rand(n_pairs, generator=generator, dtype=torch.float64))
    v = u + gap * torch.sign(torch.rand(n_pairs, generator=generator, dtype=torch.float64) - 0.5)
    q = (phi(u) - phi(v)).abs() / (u - v).abs()
    if not bool(torch.isfinite(q).all()):
        raise ValueError("activation: returned NaN/inf on the sample; no Lipschitz estimate")
    return float(q.max())


# --------------------------------------------------------------------------- #
# Chapter 2: Theorem 1, constructively
# --------------------------------------------------------------------------- #
def psd_sqrt(M, *, name: str = "M", atol: float = 1e-10) -> torch.Tensor:
    """Square root of a symmetric (Hermitian) positive semidefinite ``M (..., n, n)``.

    Eigenvalues in ``[-atol, 0)`` (rounding) are set to zero; a more negative
    eigenvalue raises ``ValueError`` naming ``name`` (``atol = inf`` clamps every
    negative eigenvalue, for demonstrations of what goes wrong).  ``M`` must be
    symmetric (Hermitian when complex) to ``1e-10`` relative to its largest entry:
    a non-symmetric matrix is refused, never silently symmetrised.
    """
    atol = _real(atol, "atol", low=0.0, allow_inf=True)
    M = _as_tensor(M, name, allow_complex=True)
    require_square(M, name)
    if M.shape[-1] < 1 or M.numel() == 0:
        raise ValueError(f"{name}: must not be empty, got shape {tuple(M.shape)}")
    Mh = M.mH
    asym = float((M - Mh).abs().max())
    scale = max(1.0, float(M.abs().max()))
    if not asym <= 1e-10 * scale:
        kind = "Hermitian" if M.is_complex() else "symmetric"
        raise ValueError(f"{name}: must be {kind} (max |{name} - {name}^H| = {asym:.3g} > {1e-10 * scale:.3g})")
    evals, evecs = torch.linalg.eigh(0.5 * (M + Mh))  # removes rounding-level asymmetry only
    lo = float(evals.min())
    if lo < -atol:
        raise ValueError(f"{name}: must be positive semidefinite, smallest eigenvalue {lo:.3g}")
    root = evals.clamp_min(0).sqrt().to(evecs.dtype)
    return (evecs * root.unsqueeze(-2)) @ evecs.mH


def unitary_dilation(W) -> torch.Tensor:
    """The unitary dilation of a non-expansive ``W (..., n, n)`` (chapter 2, Theorem 1).

    ``U = [[W, (I - W W^H)^{1/2}], [(I - W^H W)^{1/2}, -W^H]]``, shape ``(..., 2n, 2n)``,
    with ``U U^H = U^H U = I`` and top-left block ``W``; ``W^H`` is the conjugate
    transpose (the transpose for real ``W``, where ``U`` is orthogonal).

    Raises
    ------
    ValueError
        If ``W`` is not square, not finite, or its spectral norm exceeds 1 (then
        ``I - W W^H`` has a negative eigenvalue and no dilation exists); the
        message starts with ``W:``.
    """
    W = _as_tensor(W, "W", allow_complex=True)
    require_square(W, "W")
    if W.shape[-1] < 1:
        raise ValueError(f"W: needs n >= 1, got shape {tuple(W.shape)}")
    require_nonexpansive(W, "W", atol=1e-12)
    n = W.shape[-1]
    eye = torch.eye(n, dtype=W.dtype, device=W.device)
    Wh = W.mH
    top_right = psd_sqrt(eye - W @ Wh, name="I - W W^H")
    bottom_left = psd_sqrt(eye - Wh @ W, name="I - W^H W")
    top = torch.cat([W, top_right], dim=-1)
    bottom = torch.cat([bottom_left, -Wh], dim=-1)
    return torch.cat([top, bottom], dim=-2)


def relu_state_bound(W, F, b, input_bound: float, h0=None) -> float:
    """A bound ``B`` with ``||h_k||_2 <= B`` for every ``k`` of a contractive ReLU RNN (chapter 2).

    ``B = max(||h0||, (||F|| X + ||b||) / (1 - ||W||))`` where ``X`` bounds
    ``||x_k||_2``; it follows from ``||relu(z)|| <= ||z||`` by induction.
    Shapes: ``W (n, n)``, ``F (n, m)``, ``b (n,)``, ``h0 (n,)`` (one network).

    Raises
    ------
    ValueError
        If ``W`` is not contractive, a shape does not fit, an entry is NaN/inf, or
        ``input_bound`` is not finite and >= 0.
    """
    W = _as_tensor(W, "W")
    require_ndim(W, "W", 2)
    require_square(W, "W")
    n = W.shape[-1]
    F = _as_tensor(F, "F", dtype=W.dtype, device=W.device)
    require_shape(F, "F", (n, None))
    b = _as_tensor(b, "b", dtype=W.dtype, device=W.device)
    require_shape(b, "b", (n,))
    if h0 is not None:
        h0 = _as_tensor(h0, "h0", dtype=W.dtype, device=W.device)
        require_shape(h0, "h0", (n,))
    require_contractive(W, "W")
    X = _real(input_bound, "input_bound", low=0.0)
    w = float(spectral_norm(W))
    drive = float(spectral_norm(F)) * X + float(torch.linalg.vector_norm(b))
    start = 0.0 if h0 is None else float(torch.linalg.vector_norm(h0))
    return max(start, drive / (1.0 - w))


def require_bounded_input(x, input_bound: float, name: str = "x"):
    """Require ``||x_k||_2 <= input_bound`` for every time step of ``x (..., T, m)``.

    Raises
    ------
    ValueError
        If an input exceeds the bound, ``x`` is empty or not finite (message starts with
        ``name:``), or ``input_bound`` is not finite and >= 0.
    """
    X = _real(input_bound, "input_bound", low=0.0)
    xt = _as_tensor(x, name)
    require_ndim(xt, name, range(2, 10))
    if xt.numel() == 0:
        raise ValueError(f"{name}: is empty (shape {tuple(xt.shape)})")
    worst = float(torch.linalg.vector_norm(xt, dim=-1).max())
    if not worst <= X * (1 + 1e-12):
        raise ValueError(f"{name}: inputs must be bounded, max_k ||{name}_k||_2 = {worst:.6g} exceeds input_bound = {X:g}")
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

    where ``B`` is :func:`relu_state_bound`, or ``offset`` if given; an offset must
    be at least that bound (a smaller one does not keep the extra states at zero
    for every admissible input, so the returned network would not be equivalent).
    The last ``n`` states stay at zero and the first ``n`` equal the original
    states, so the outputs agree for every admissible input.

    Raises
    ------
    ValueError
        If ``W`` is not contractive (argument ``W``), ``input_bound`` is not a
        finite non-negative number (argument ``input_bound``), or ``offset`` is
        below the state bound or not finite (argument ``offset``).
    TypeError
        If ``params`` is not an :class:`RNNParams` or has complex entries (a ReLU RNN is real;
        refused by :func:`relu_state_bound`).
    """
    _require_params(params)
    W, F, b, C, h0 = params.astuple()  # one common dtype: complex anywhere makes W complex, refused below
    B = relu_state_bound(W, F, b, input_bound, h0)  # refuses a batched, complex or non-contractive W
    if offset is not None:
        off = _real(offset, "offset")
        if not off >= B * (1 - 1e-12):
            raise ValueError(f"offset: must be >= the state bound B = {B:.6g} (a smaller offset can switch the "
                             f"extra states on and change the outputs), got {offset!r}")
        B = off
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

    Raises
    ------
    ValueError
        If ``y`` has fewer than 3 samples, is not finite, or is not positive (the
        invariants hold only on a positive run, where the ReLU is the identity).
    """
    y = _as_tensor(y, "y")
    if y.ndim < 1 or y.shape[-1] < 3:
        raise ValueError(f"y: need at least 3 samples, got shape {tuple(y.shape)}")
    if not bool((y > 0).all()):
        raise ValueError(f"y: must be positive (the invariants hold on a positive output run), "
                         f"got min {float(y.min()):.3g}")
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
    y = _as_tensor(y, "y", dtype=x.dtype, device=x.device)
    require_shape(x, "x", (None, 1))  # (an empty x is refused by rnn_run below)
    require_shape(y, "y", (x.shape[0], 1))
    n_starts = _count(n_starts, "n_starts")
    steps = _count(steps, "steps")
    lr = _real(lr, "lr", low=0.0, low_open=True)
    x, y = x.to(torch.float64), y.to(torch.float64)
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
        with torch.no_grad():  # the loss of the final parameters (the loop's loss is one step behind)
            yh, _ = rnn_run(W, p[:, 0].view(-1, 1, 1), p[:, 1].view(-1, 1), p[:, 2].view(-1, 1, 1),
                            x.expand(n_starts, -1, -1), p[:, 3].view(-1, 1))
            loss = ((yh - y) ** 2).mean(dim=(-1, -2))
        out[f"u={u:+.0f}"] = float(loss.min().sqrt())
    return out


def sigmoid_embedding_error(params: RNNParams, x, offsets) -> torch.Tensor:
    """Output error of the Theorem-1 construction when ``phi`` is the sigmoid (chapter 3, Theorem 3).

    Builds ``W_u, F_u, C_u, h0_u`` as in :func:`orthogonal_embedding` and the
    bias ``[b; -B 1]`` for each ``B`` in ``offsets (K,)`` (batched), runs both
    networks with the sigmoid on ``x (T, m)`` and returns ``max_k ||y_u - y||_inf``
    per offset.  The sigmoid never outputs 0, so the extra states cannot be
    silenced and the error is positive for every finite ``B``.
    """
    _require_params(params)
    W, F, b, C, h0 = params.astuple()
    require_ndim(W, "W", 2)
    require_contractive(W, "W")
    x = _as_tensor(x, "x", dtype=W.dtype, device=W.device)
    require_ndim(x, "x", 2)  # its width is checked by rnn_run below
    offsets = _as_tensor(offsets, "offsets", dtype=W.dtype, device=W.device)
    require_ndim(offsets, "offsets", 1)
    if offsets.numel() == 0:
        raise ValueError("offsets: is empty")
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
def contractive_weight(A, eps: float = 0.01) -> torch.Tensor:
    """``W = I - eps A^T A / ||A||^2`` (note 004, "Data generation"), ``A (..., n, n)``.

    ``||A||`` is the spectral norm, so the eigenvalues of ``W`` lie in
    ``[1 - eps, 1 - eps * sigma_min(A)^2/||A||^2]``: contractive when ``A`` is invertible.

    Raises
    ------
    ValueError
        If ``eps`` is not in ``(0, 1]``, ``A`` is not finite and square, or ``A`` is
        singular (to rounding: ``eps sigma_min(A)^2 / ||A||^2 <= 1e-12``), when ``W``
        would have norm 1 and not be contractive.
    """
    eps = _real(eps, "eps", low=0.0, high=1.0, low_open=True)
    A = _as_tensor(A, "A")
    require_square(A, "A")
    if A.shape[-1] < 1 or A.numel() == 0:
        raise ValueError(f"A: must not be empty, got shape {tuple(A.shape)}")
    n = A.shape[-1]
    sv = torch.linalg.svdvals(A)  # (..., n), descending
    smax, smin = sv[..., 0], sv[..., -1]
    gap = torch.where(smax > 0, eps * (smin / smax.clamp_min(1e-300)) ** 2, torch.zeros_like(smax))
    if not bool((gap > 1e-12).all()):
        worst = float((smin / smax.clamp_min(1e-300)).min())
        raise ValueError(f"A: must be invertible (sigma_min(A)/||A|| = {worst:.3g}); otherwise "
                         f"W = I - eps A^T A/||A||^2 has norm 1 and is not contractive")
    norm2 = smax.pow(2)[..., None, None]
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
    n_real = _count(n_real, "n_real")
    n_hidden, n_in, n_out = _count(n_hidden, "n_hidden"), _count(n_in, "n_in"), _count(n_out, "n_out")
    eps = _real(eps, "eps", low=0.0, high=1.0, low_open=True)
    on_fraction = _real(on_fraction, "on_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    calib_T, calib_rounds = _count(calib_T, "calib_T"), _count(calib_rounds, "calib_rounds")
    calib_sweeps = _count(calib_sweeps, "calib_sweeps")
    bias_range = _real(bias_range, "bias_range", low=0.0, low_open=True)
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
    _require_params(system, "system")
    require_ndim(system.W, "system", 3)
    n_seq, T = _count(n_seq, "n_seq"), _count(T, "T")
    snr_db = _real(snr_db, "snr_db")
    R, n_in = system.F.shape[0], system.F.shape[-1]
    dev, dt = system.W.device, system.W.dtype
    x = torch.randn(R, n_seq, T, n_in, generator=generator, dtype=torch.float64).to(dev, dt)
    p = system
    y, _ = rnn_run(p.W[:, None], p.F[:, None], p.b[:, None], p.C[:, None], x, p.h0[:, None])
    var = y.var(dim=(1, 2, 3), keepdim=True)
    noise = torch.randn(y.shape, generator=generator, dtype=torch.float64).to(dev, dt)
    return x, y, y + noise * torch.sqrt(var * 10 ** (-snr_db / 10))


def orthogonal_projection(W: torch.Tensor) -> torch.Tensor:
    """Nearest orthogonal matrix ``U V^T`` (Frobenius norm) of ``W = U S V^T``, batched ``(..., n, n)``.

    For a complex ``W`` it is the nearest unitary matrix ``U V^H``.  Raises ``ValueError``
    (``W: ...``) for a non-square, empty or non-finite ``W``.
    """
    W = _as_tensor(W, "W", allow_complex=True)
    require_square(W, "W")
    if W.shape[-1] < 1:
        raise ValueError(f"W: needs n >= 1, got shape {tuple(W.shape)}")
    U, _, Vh = torch.linalg.svd(W)
    return U @ Vh


def masked_orthogonal_projection(W: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Project the active ``m x m`` block of a padded ``W (..., H, H)`` onto the orthogonal matrices.

    ``mask (..., H)`` is 1 on the active states.  The padded matrix is completed
    with the identity on the inactive block, projected, and masked again; the
    polar factor of a block-diagonal matrix is block-diagonal, so the active
    block equals :func:`orthogonal_projection` of the unpadded block.
    """
    W = _as_tensor(W, "W")
    require_square(W, "W")
    mask = _as_tensor(mask, "mask", dtype=W.dtype, device=W.device)
    if mask.ndim < 1 or mask.shape[-1] != W.shape[-1]:
        raise ValueError(f"mask: must have shape (..., {W.shape[-1]}) matching W's states, got {tuple(mask.shape)}")
    _batch_shape([("W", W.shape[:-2]), ("mask", mask.shape[:-1])])
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError("mask: entries must be 0 or 1")
    M = mask.unsqueeze(-1) * mask.unsqueeze(-2)
    filled = W * M + torch.diag_embed(1 - mask)
    return orthogonal_projection(filled) * M


def init_rnn_models(sizes: Sequence[int], n_models_per_size: int, n_in: int, n_out: int, *,
                    generator: torch.Generator | None = None, device=None, dtype=torch.float32,
                    w_init: str = "orthogonal") -> dict:
    """Random initial parameters of RNNs of several hidden sizes, padded to ``H = max(sizes)``.

    Returns a dict with ``W (S, R, H, H)`` (a random orthogonal block), ``F (S, R, H, n_in)``,
    ``b (S, R, H)``, ``C (S, R, n_out, H)`` and ``mask (S, R, H)``; entries
    outside the active block are zero.
    """
    sizes = _sizes(sizes)
    n_models_per_size = _count(n_models_per_size, "n_models_per_size")
    n_in, n_out = _count(n_in, "n_in"), _count(n_out, "n_out")
    H, S, R = max(sizes), len(sizes), int(n_models_per_size)
    device = get_device() if device is None else torch.device(device)
    mask = torch.zeros(S, R, H, dtype=torch.float64)
    for i, s in enumerate(sizes):
        mask[i, :, :s] = 1
    M2 = mask.unsqueeze(-1) * mask.unsqueeze(-2)
    if w_init not in ("orthogonal", "identity"):
        raise ValueError(f"w_init: must be 'orthogonal' or 'identity', got {w_init!r}")
    G = torch.randn(S, R, H, H, generator=generator, dtype=torch.float64)
    W = masked_orthogonal_projection(G, mask) if w_init == "orthogonal" else torch.diag_embed(mask)
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
    _require_model_dict(params)
    S, R = params["W"].shape[:2]
    s, r = _count(s, "s", 0), _count(r, "r", 0)
    if s >= S:
        raise ValueError(f"s: must be a size index in [0, {S - 1}], got {s}")
    if r >= R:
        raise ValueError(f"r: must be a realisation index in [0, {R - 1}], got {r}")
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
    _require_model_dict(params)
    x = _model_inputs(params, x, "x")
    with torch.no_grad():
        return _forward_padded(params, x)


def train_rnn_models(params: dict, x: torch.Tensor, y: torch.Tensor, *, unitary, epochs: int, batch_size: int = 10,
                     lr: float = 0.01, order: torch.Tensor | None = None, generator: torch.Generator | None = None,
                     max_grad_norm: float | None = None, show_progress: bool = True,
                     lr_final: float | None = None) -> tuple:
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
    _require_model_dict(params)
    S, R = params["W"].shape[:2]
    x = _model_inputs(params, x, "x")
    N = x.shape[1]
    y = _as_tensor(y, "y", dtype=x.dtype, device=x.device)
    require_shape(y, "y", (R, N, x.shape[2], params["C"].shape[-2]))
    epochs = _count(epochs, "epochs")
    batch_size = _count(batch_size, "batch_size")
    lr = _real(lr, "lr", low=0.0, low_open=True)
    if max_grad_norm is not None:
        max_grad_norm = _real(max_grad_norm, "max_grad_norm", low=0.0, low_open=True)
    if isinstance(unitary, (bool, np.bool_)):
        unitary = torch.full((S,), bool(unitary), dtype=torch.bool, device=x.device)
    else:
        u = torch.as_tensor(unitary)
        if u.dtype != torch.bool or u.shape != (S,):
            raise ValueError(f"unitary: must be a bool or {S} bools (one per size), got {unitary!r}")
        unitary = u.to(x.device)
    if order is not None:
        order = torch.as_tensor(order)
        if order.dtype.is_floating_point or order.dtype.is_complex or order.dtype == torch.bool:
            raise TypeError(f"order: must hold integer indices, got dtype {order.dtype}")
        require_shape(order, "order", (epochs, N))
        if not bool((torch.sort(order, dim=-1).values == torch.arange(N)).all()):
            raise ValueError(f"order: each row must be a permutation of 0..{N - 1}")
    p = {k: v.detach().clone() for k, v in params.items()}
    leaves = [p[k].requires_grad_(True) for k in ("W", "F", "b", "C")]
    opt = torch.optim.Adam(leaves, lr=lr)
    if lr_final is not None:  # exponential decay from lr (first epoch) to lr_final (last epoch)
        lr_final = _real(lr_final, "lr_final", low=0.0, low_open=True)
        gamma = (lr_final / lr) ** (1.0 / max(epochs - 1, 1))
    else:
        gamma = 1.0
    if order is None:
        order = torch.stack([torch.randperm(N, generator=generator) for _ in range(epochs)])
    losses = torch.zeros(epochs, S, R, dtype=x.dtype)
    kw = {} if show_progress else {"disable": True}
    for e in progress(range(epochs), desc="training", **kw):
        for group in opt.param_groups:
            group["lr"] = lr * gamma ** e
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
    y_true = _as_tensor(y_true, "y_true")
    y_pred = _as_tensor(y_pred, "y_pred", dtype=y_true.dtype, device=y_true.device)
    require_ndim(y_true, "y_true", range(3, 10))
    try:
        torch.broadcast_shapes(y_pred.shape, y_true.shape)
    except RuntimeError:
        raise ValueError(f"y_pred: shape {tuple(y_pred.shape)} does not broadcast with y_true "
                         f"{tuple(y_true.shape)}") from None
    if y_pred.ndim < 3 or y_pred.shape[-3:] != y_true.shape[-3:]:
        raise ValueError(f"y_pred: last three axes {tuple(y_pred.shape[-3:])} must equal y_true's "
                         f"{tuple(y_true.shape[-3:])}")
    resid = ((y_true - y_pred) ** 2).sum(dim=(-1, -2, -3))
    centred = y_true - y_true.mean(dim=(-2, -3), keepdim=True)
    total = (centred ** 2).sum(dim=(-1, -2, -3))
    if not bool((total > 0).all()):
        raise ValueError("y_true: must vary (zero total sum of squares: R^2 is undefined)")
    return 1 - resid / total


def run_learning_experiment(*, sizes: Sequence[int], n_real: int, snr_db: float, T: int, n_seq: int,
                            epochs: int, test_ratio: float = 0.3, batch_size: int = 10, lr: float = 0.01,
                            seed: int = 0, device=None, dtype=torch.float32, show_progress: bool = True,
                            lr_final: float | None = None, w_init: str = "orthogonal", n_restarts: int = 1,
                            max_grad_norm: float | None = None) -> dict:
    """The note's synthetic experiment, every size x realisation x restart x {standard, unitary} in one batch.

    ``n_real`` true systems (:func:`make_synthetic_systems`); for each, ``n_seq``
    sequences of length ``T`` (Gaussian inputs, output noise at ``snr_db``),
    split into train / test sequences by ``test_ratio``; targets standardised
    with the training statistics (R^2 is unchanged by this).  Standard and
    unitary ReLU RNNs of every size in ``sizes`` start from the same initial
    parameters and are trained together by :func:`train_rnn_models`.  Each
    (kind, size, realisation) is trained from ``n_restarts`` initialisations and
    the restart with the lowest final *training* loss is kept (the test data play
    no part in the choice).

    Returns
    -------
    dict with ``sizes``, ``r2`` (tensor ``(2, S, R)``: [standard, unitary] test R^2 of the
    selected restart against the noisy targets), ``r2_clean`` (same against the clean
    outputs), ``r2_all`` ``(2, S, R, n_restarts)``, ``losses`` ``(epochs, 2, S, R, n_restarts)``,
    ``ceiling`` (the best expected R^2 against noisy targets, ``1 / (1 + 10^(-snr/10))``) and
    ``r2_oracle (R,)``, the test R^2 of the true system's clean outputs (the noise ceiling of
    each realisation's own test set, which differs from ``ceiling`` when the test outputs'
    variance differs from the realisation's overall variance).
    """
    sizes = _sizes(sizes)
    n_real, T, n_seq, epochs = _count(n_real, "n_real"), _count(T, "T"), _count(n_seq, "n_seq", 2), _count(epochs, "epochs")
    n_restarts = _count(n_restarts, "n_restarts")
    snr_db = _real(snr_db, "snr_db")
    test_ratio = _real(test_ratio, "test_ratio", low=0.0, high=1.0, low_open=True, high_open=True)
    seed = _count(seed, "seed", 0)
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
    S, K = len(sizes), n_restarts
    xr, ynr, ycr = (t.repeat_interleave(K, dim=0) for t in (x, yn, yc))  # realisation r, restart k -> r * K + k
    init = init_rnn_models(sizes, n_real * K, x.shape[-1], yn.shape[-1], generator=g, device=device, dtype=dtype,
                           w_init=w_init)
    both = {k: torch.cat([v, v]) for k, v in init.items()}  # first S standard, last S unitary
    unitary = torch.tensor([False] * S + [True] * S)
    trained, losses = train_rnn_models(both, xr[:, :n_train], ynr[:, :n_train], unitary=unitary, epochs=epochs,
                                       batch_size=batch_size, lr=lr, generator=g, show_progress=show_progress,
                                       lr_final=lr_final, max_grad_norm=max_grad_norm)
    pred = predict_rnn_models(trained, xr[:, n_train:])
    r2_all = r2_score(pred, ynr[:, n_train:].unsqueeze(0)).view(2, S, n_real, K).cpu()
    r2c_all = r2_score(pred, ycr[:, n_train:].unsqueeze(0)).view(2, S, n_real, K).cpu()
    losses = losses.view(epochs, 2, S, n_real, K)
    final = torch.nan_to_num(losses[-1], nan=math.inf)  # a diverged restart is never selected
    best = final.argmin(dim=-1, keepdim=True)
    r2 = torch.gather(r2_all, -1, best).squeeze(-1)
    r2c = torch.gather(r2c_all, -1, best).squeeze(-1)
    oracle = r2_score(yc[:, n_train:], yn[:, n_train:]).cpu()  # the true system's own test R^2, per realisation
    return dict(sizes=list(sizes), r2=r2, r2_clean=r2c, r2_all=r2_all, losses=losses, best_restart=best.squeeze(-1),
                ceiling=1.0 / (1.0 + 10 ** (-snr_db / 10)), r2_oracle=oracle, systems=system, trained=trained,
                n_train=n_train, n_test=n_test)


def permuted_digits(*, seed: int = 0, test_ratio: float = 0.3, device=None, dtype=torch.float32) -> dict:
    """scikit-learn's bundled 8x8 digits as permuted pixel sequences (the book's stand-in for permuted MNIST).

    Each image becomes a sequence of 64 scalar inputs (pixels / 16) in a fixed
    random order (the same permutation for every image).

    Returns
    -------
    dict with ``x_train (N, 64, 1)``, ``y_train (N,)``, ``x_test``, ``y_test``, ``permutation (64,)``.
    """
    from sklearn.datasets import load_digits

    seed = _count(seed, "seed", 0)
    test_ratio = _real(test_ratio, "test_ratio", low=0.0, high=1.0, low_open=True, high_open=True)
    device = get_device() if device is None else torch.device(device)
    data = load_digits()
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(64, generator=g)
    X = torch.as_tensor(data.data / 16.0, dtype=torch.float64)[:, perm].unsqueeze(-1)
    Y = torch.as_tensor(data.target, dtype=torch.long)
    idx = torch.randperm(len(Y), generator=g)
    n_test = int(round(test_ratio * len(Y)))
    if not 1 <= n_test <= len(Y) - 1:
        raise ValueError(f"test_ratio: leaves an empty split ({n_test} of {len(Y)} test images)")
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
    x_train = _as_tensor(x_train, "x_train")
    require_ndim(x_train, "x_train", 3)
    if x_train.shape[0] < 1 or x_train.shape[1] < 1 or x_train.shape[2] < 1:
        raise ValueError(f"x_train: needs N, T, m >= 1, got shape {tuple(x_train.shape)}")
    x_test = _as_tensor(x_test, "x_test", dtype=x_train.dtype, device=x_train.device)
    require_ndim(x_test, "x_test", 3)
    require_shape(x_test, "x_test", (None, None, x_train.shape[-1]))
    if x_test.shape[0] < 1 or x_test.shape[1] < 1:
        raise ValueError(f"x_test: needs N, T >= 1, got shape {tuple(x_test.shape)}")
    n_classes = _count(n_classes, "n_classes", 2)
    y_train = _labels(y_train, "y_train", x_train.shape[0], n_classes, x_train.device)
    y_test = _labels(y_test, "y_test", x_test.shape[0], n_classes, x_train.device)
    hidden = _count(hidden, "hidden")
    epochs, batch_size = _count(epochs, "epochs"), _count(batch_size, "batch_size")
    lr = _real(lr, "lr", low=0.0, low_open=True)
    seed = _count(seed, "seed", 0)
    if isinstance(unitary, (bool, str)) or len(unitary) < 1 or not all(isinstance(u, (bool, np.bool_)) for u in unitary):
        raise ValueError(f"unitary: must be a non-empty sequence of bools (one model each), got {unitary!r}")
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
        correct = logits(x_test).argmax(-1) == y_test.unsqueeze(0)  # (M, N_test)
        acc = correct.to(torch.float64).mean(-1)
    return dict(test_accuracy=acc.cpu(), test_correct=correct.cpu(), train_loss=losses,
                params={k: v.detach() for k, v in p.items()})


def linear_baseline_correct(x_train, y_train, x_test, y_test, *, last_k: int | None = None) -> np.ndarray:
    """Per-test-sequence correctness of a multinomial logistic regression on the inputs (chapter 4).

    The classifier sees the whole sequence (``last_k = None``: all ``T m`` inputs at once,
    a memory-unlimited linear reference) or only its last ``last_k`` steps (what a
    network that remembers ``last_k`` steps could use at most linearly).  Returns a bool
    array ``(N_test,)``.
    """
    from sklearn.linear_model import LogisticRegression

    x_train = _as_tensor(x_train, "x_train")
    require_ndim(x_train, "x_train", 3)
    x_test = _as_tensor(x_test, "x_test")
    require_ndim(x_test, "x_test", 3)
    require_shape(x_test, "x_test", (None, x_train.shape[1], x_train.shape[2]))
    y_train = _labels(y_train, "y_train", x_train.shape[0], 10 ** 6, "cpu")
    y_test = _labels(y_test, "y_test", x_test.shape[0], 10 ** 6, "cpu")
    T = x_train.shape[1]
    k = T if last_k is None else _count(last_k, "last_k")
    if k > T:
        raise ValueError(f"last_k: must be <= the sequence length {T}, got {k}")
    Xtr = as_numpy(x_train[:, T - k:]).reshape(x_train.shape[0], -1)
    Xte = as_numpy(x_test[:, T - k:]).reshape(x_test.shape[0], -1)
    clf = LogisticRegression(max_iter=5000).fit(Xtr, as_numpy(y_train))
    return clf.predict(Xte) == as_numpy(y_test)


def _sizes(sizes) -> list:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes: must be a sequence of hidden sizes, got {type(sizes).__name__}")
    out = [_count(s, "sizes") for s in sizes]
    if not out:
        raise ValueError("sizes: need at least one hidden size, all >= 1, got []")
    return out


_MODEL_KEYS = ("W", "F", "b", "C", "mask")


def _require_model_dict(params) -> None:
    if not isinstance(params, dict) or any(k not in params for k in _MODEL_KEYS):
        raise TypeError(f"params: must be a dict with keys {_MODEL_KEYS} (from init_rnn_models), "
                        f"got {type(params).__name__}")
    W = params["W"]
    if not isinstance(W, torch.Tensor) or W.ndim != 4 or W.shape[-1] != W.shape[-2]:
        raise ValueError(f"params: 'W' must be a tensor (S, R, H, H), got {getattr(W, 'shape', W)!r}")
    S, R, H = W.shape[:3]
    for key, shape in (("F", (S, R, H, None)), ("b", (S, R, H)), ("C", (S, R, None, H)), ("mask", (S, R, H))):
        require_shape(params[key], f"params: '{key}'", shape)


def _model_inputs(params: dict, x, name: str) -> torch.Tensor:
    W = params["W"]
    x = _as_tensor(x, name, dtype=W.dtype, device=W.device)
    R, m = W.shape[1], params["F"].shape[-1]
    require_shape(x, name, (R, None, None, m))
    if x.shape[1] < 1 or x.shape[2] < 1:
        raise ValueError(f"{name}: needs N, T >= 1, got shape {tuple(x.shape)}")
    return x


def _labels(y, name: str, N: int, n_classes: int, device) -> torch.Tensor:
    y = torch.as_tensor(y)
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise TypeError(f"{name}: class labels must be integers, got dtype {y.dtype}")
    require_shape(y, name, (N,))
    if y.numel() and not bool(((y >= 0) & (y < n_classes)).all()):
        raise ValueError(f"{name}: labels must lie in [0, {n_classes - 1}]")
    return y.to(device=device, dtype=torch.long)


def size_ratio(r2, sizes: Sequence[int], *, level_fraction: float = 0.97) -> dict:
    """Per realisation, how many more states the unitary RNN needs for the standard RNN's fit (chapter 4).

    ``r2 (2, S, R)`` holds test R^2 of [standard, unitary] models of the hidden sizes
    ``sizes`` (increasing) on ``R`` realisations.  For realisation ``r`` the target level is
    ``level_fraction`` times the best standard R^2 over the sizes; ``n_std(r)`` and
    ``n_uni(r)`` are the smallest sizes reaching it.  When no unitary size reaches it,
    ``n_uni`` is *censored* at the next grid size ``sizes[-1] + (sizes[-1] - sizes[-2])``
    (a lower bound; ``censored`` marks these realisations).

    Returns
    -------
    dict with ``ratio (R,)`` = ``n_uni / n_std``, ``n_std``, ``n_uni``, ``censored`` (bool, ``(R,)``), ``level (R,)``.
    """
    sizes = _sizes(sizes)
    if any(b <= a for a, b in zip(sizes, sizes[1:])):
        raise ValueError(f"sizes: must be strictly increasing, got {sizes}")
    r2 = _as_tensor(r2, "r2")
    require_shape(r2, "r2", (2, len(sizes), None))
    if r2.shape[-1] < 1:
        raise ValueError("r2: needs at least one realisation")
    frac = _real(level_fraction, "level_fraction", low=0.0, high=1.0, low_open=True)
    arr = as_numpy(r2).astype(np.float64)
    best = arr[0].max(axis=0)  # (R,)
    if not np.all(best > 0):
        raise ValueError("r2: the best standard R^2 of every realisation must be > 0 (no fit to compare)")
    level = frac * best
    sz = np.asarray(sizes, dtype=np.float64)
    nxt = sizes[-1] + (sizes[-1] - sizes[-2] if len(sizes) > 1 else sizes[-1])

    def first(row_ok):
        idx = np.argmax(row_ok, axis=0)
        return np.where(row_ok.any(axis=0), sz[idx], np.nan)

    n_std = first(arr[0] >= level)
    n_uni = first(arr[1] >= level)
    censored = np.isnan(n_uni)
    n_uni = np.where(censored, float(nxt), n_uni)
    return dict(ratio=n_uni / n_std, n_std=n_std, n_uni=n_uni, censored=censored, level=level)


def state_jacobian_norms(W, F, b, x, h0=None, *, activation: str = "relu") -> torch.Tensor:
    """Spectral norms of ``dh^{(t)}/dh^{(-1)}`` along a trajectory, for every horizon ``t`` (chapter 4).

    With ``z_k = W h^{(k-1)} + F x^{(k)} + b`` the state Jacobian is the product
    ``J_t = diag(phi'(z_t)) W ... diag(phi'(z_0)) W``; its norm is what backpropagation
    through time multiplies the gradient by over ``t + 1`` steps (the vanishing/exploding
    gradient of the poster's "Unitary RNNs" box).  Shapes: ``W (..., n, n)``, ``F (..., n, m)``,
    ``b (..., n)``, ``x (..., T, m)``; returns ``(..., T)``.  ``activation``: ``"relu"``,
    ``"tanh"`` or ``"identity"``.
    """
    derivs = {"relu": lambda z: (z > 0).to(z.dtype), "tanh": lambda z: 1 - torch.tanh(z) ** 2,
              "identity": lambda z: torch.ones_like(z)}
    if activation not in derivs:
        raise ValueError(f"activation: must be one of {sorted(derivs)}, got {activation!r}")
    W, F, b, _, h0 = _check_params(W, F, b, torch.zeros(1, _as_tensor(W, "W").shape[-1]), h0, allow_complex=False)
    x = _as_tensor(x, "x", dtype=W.dtype, device=W.device)  # its shape (and T >= 1) is checked by rnn_run below
    _, hs = rnn_run(W, F, b, torch.zeros(1, W.shape[-1], dtype=W.dtype, device=W.device), x, h0,
                    activation=activation)
    prev = torch.cat([(torch.zeros_like(hs[..., :1, :]) if h0 is None else h0.expand(hs.shape[:-2] + (1, W.shape[-1]))),
                      hs[..., :-1, :]], dim=-2)
    z = prev @ W.transpose(-1, -2) + x @ F.transpose(-1, -2) + b.unsqueeze(-2)  # (..., T, n)
    d = derivs[activation](z)
    J = torch.eye(W.shape[-1], dtype=W.dtype, device=W.device).expand(z.shape[:-2] + W.shape[-2:])
    norms = []
    for d_k in d.unbind(dim=-2):
        J = d_k.unsqueeze(-1) * (W @ J)
        norms.append(torch.linalg.matrix_norm(J, ord=2))
    return torch.stack(norms, dim=-1)
