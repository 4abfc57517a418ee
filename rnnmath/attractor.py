"""Part III — attractor nets: energy, update schedules, stationary gradients, convolutional symmetry.

Companion code of ``book/part3_attractor`` (note 002, Mozer, *Notes on convolutional
attractor nets*).  Conventions follow the note: a network state is a **row** vector
``x`` of ``n`` activations (a batch of states has shape ``(..., n)``), the net input
is ``z = x W + b`` so that ``W[a, b]`` is the weight *from* unit ``a`` *to* unit
``b``, and the activation function is ``tanh``.  Ensembles of networks are a leading
batch dimension of ``W`` (``(B, n, n)``) and of the states (``(B, n)``).

Sections
--------
energy (chapter 1)            :func:`barrier`, :func:`energy`, :func:`energy_gradient`,
                              :func:`activation_update`
schedules (chapter 2)         :func:`random_symmetric_weights`, :func:`bipartite_weights`,
                              :func:`update_units`, :func:`asynchronous_sweep`,
                              :func:`parallel_run`, :func:`groupwise_run`,
                              :func:`two_step_lyapunov`, :func:`classify_limit`
stationary gradient (ch. 3)   :func:`run_to_fixed_point`, :func:`derivative_matrix`,
                              :func:`omega_series`, :func:`stationary_gradient`,
                              :func:`bptt_gradient`, :func:`delta_recursion`,
                              :func:`implicit_vjp`
convolutions (chapter 4)      :func:`symmetrize_kernel`, :func:`down_kernel`,
                              :func:`conv_apply`, :func:`dense_operator`,
                              :func:`conv_energy`, :func:`conv_layerwise_sweep`, ...
                              (defined in :mod:`rnnmath.attractor_conv`, re-exported here)
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch

from .linalg import solve as guarded_solve
from .device import get_device
from .validation import as_numpy, require_shape, require_square, require_symmetric

__all__ = [
    # validation helpers specific to attractor nets
    "require_self_connections",
    "require_no_within_group_weights",
    "require_kernel",
    "require_symmetric_kernel",
    # chapter 1
    "barrier",
    "barrier_slope",
    "barrier_bregman",
    "energy",
    "energy_gradient",
    "activation_update",
    # chapter 2
    "random_symmetric_weights",
    "bipartite_weights",
    "layer_groups",
    "layered_schedule",
    "update_units",
    "asynchronous_sweep",
    "parallel_run",
    "groupwise_run",
    "two_step_lyapunov",
    "classify_limit",
    # chapter 3
    "run_to_fixed_point",
    "derivative_matrix",
    "omega_series",
    "jacobian_spectral_radius",
    "stationary_gradient",
    "bptt_gradient",
    "hessian_gradient",
    "newton_fixed_point",
    "train_pattern_completion",
    "delta_recursion",
    "implicit_vjp",
    # chapter 4
    "NOTE_W0",
    "NOTE_W_PRINTED",
    "symmetrize_kernel",
    "nonnegative_self_connections",
    "down_kernel",
    "conv_apply",
    "dense_operator",
    "conv_energy",
    "conv_layerwise_sweep",
    "conv_parallel_map",
    "conv_settle",
    "conv_stationary_gradient",
    "bar_images",
    "stripe_images",
]


# =========================================================================== #
# Argument checks shared by Part III (private; the messages name the argument)
# =========================================================================== #
_HALF = (torch.float16, torch.bfloat16)


def _real_tensor(x, name: str, *, finite: bool = True) -> torch.Tensor:
    """``x`` as a real floating torch tensor: lists/numpy accepted, integers promoted to float64.

    Complex, boolean and half-precision inputs raise ``TypeError``; NaN/inf raise ``ValueError``
    (skipped inside torch.func transforms, whose values cannot be read).
    """
    if isinstance(x, torch.Tensor):
        t = x
    else:
        try:
            arr = np.asarray(x)
            if arr.dtype == object:
                raise TypeError
            t = torch.as_tensor(arr)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name}: must be a tensor, an array or a (rectangular) nested list of numbers, "
                            f"got {type(x).__name__}") from None
    if t.dtype == torch.bool:
        raise TypeError(f"{name}: must hold real numbers, got dtype bool")
    if t.is_complex():
        raise TypeError(f"{name}: must be real, got complex dtype {t.dtype}")
    if t.dtype in _HALF:
        raise TypeError(f"{name}: half precision ({t.dtype}) is not supported; use float32 or float64")
    if not t.is_floating_point():
        t = t.to(torch.float64)
    if finite and _inspectable(t):
        with torch.no_grad():
            bad = int((~torch.isfinite(t)).sum())
        if bad:
            raise ValueError(f"{name}: must be finite, found {bad} NaN/inf entries")
    return t


def _common(*tensors):
    """Cast floating tensors (None passes through) to their promoted dtype."""
    dt = None
    for t in tensors:
        if t is not None:
            dt = t.dtype if dt is None else torch.promote_types(dt, t.dtype)
    return [None if t is None else t.to(dt) for t in tensors]


def _int_arg(value, name: str, low: int = 1) -> int:
    """An integer argument (python or numpy int, not bool) that is at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: must be an integer, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name}: must be >= {low}, got {value}")
    return int(value)


def _real_arg(value, name: str, *, low: float | None = None, high: float | None = None,
              open_low: bool = False, open_high: bool = False) -> float:
    """A finite real scalar in the stated range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
            value = float(value)
        else:
            raise TypeError(f"{name}: must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    if low is not None and (v <= low if open_low else v < low):
        raise ValueError(f"{name}: must be {'>' if open_low else '>='} {low:g}, got {value!r}")
    if high is not None and (v >= high if open_high else v > high):
        raise ValueError(f"{name}: must be {'<' if open_high else '<='} {high:g}, got {value!r}")
    return v


def _require_activations(x: torch.Tensor, name: str, *, open_interval: bool = False, free=None):
    """Entries of a state in [-1, 1] (or (-1, 1) for the units selected by ``free``, all if None)."""
    if not _inspectable(x) or x.numel() == 0:
        return x
    with torch.no_grad():
        if bool((x.abs() > 1).any()):
            raise ValueError(f"{name}: activations of tanh units must lie in [-1, 1], largest |value| is "
                             f"{float(x.abs().max()):.4g}")
        if open_interval:
            edge = x.abs() >= 1
            if free is not None:
                edge = edge & free.expand_as(edge)
            if bool(edge.any()):
                raise ValueError(f"{name}: free units must lie strictly inside (-1, 1) (a fixed point of tanh "
                                 f"never reaches +-1), found {int(edge.sum())} entries with |value| = 1")
    return x


def _units(units, n: int, name: str = "units") -> torch.Tensor:
    """Indices of units as a long tensor, each in ``0..n-1``."""
    try:
        arr = np.asarray(list(units) if not isinstance(units, (torch.Tensor, np.ndarray)) else as_numpy(units))
    except TypeError:
        raise TypeError(f"{name}: must be a sequence of unit indices, got {type(units).__name__}") from None
    if arr.size and (arr.dtype.kind not in "iu"):
        raise TypeError(f"{name}: unit indices must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64).ravel()
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{name}: unit indices must lie in 0..{n - 1}, got {arr.tolist()}")
    return torch.as_tensor(arr, dtype=torch.long)


def _schedule(schedule, n: int, name: str = "schedule") -> list[list[int]]:
    if isinstance(schedule, (str, bytes)) or not hasattr(schedule, "__iter__"):
        raise TypeError(f"{name}: must be a sequence of unit groups, got {type(schedule).__name__}")
    groups = [_units(g, n, f"{name}").tolist() for g in schedule]
    if not groups or not any(groups):
        raise ValueError(f"{name}: must contain at least one non-empty group of units")
    return groups


# =========================================================================== #
# Validation specific to attractor nets
# =========================================================================== #
def _mask(clamp, like: torch.Tensor, name: str = "clamp") -> torch.Tensor | None:
    """Clamp mask as a boolean tensor broadcastable to ``like`` (None = nothing clamped)."""
    if clamp is None:
        return None
    c = torch.as_tensor(clamp, device=like.device) if not isinstance(clamp, torch.Tensor) else clamp.to(like.device)
    if c.dtype != torch.bool:
        if c.is_complex() or (_inspectable(c) and bool(((c != 0) & (c != 1)).any())):
            raise ValueError(f"{name}: must be a boolean mask (0/1 entries)")
    if c.ndim < 1 or c.shape[-1] != like.shape[-1]:
        raise ValueError(f"{name}: last dimension must be n = {like.shape[-1]}, got shape {tuple(c.shape)}")
    try:
        torch.broadcast_shapes(c.shape, like.shape)
    except RuntimeError:
        raise ValueError(f"{name}: shape {tuple(c.shape)} does not broadcast with the states' shape "
                         f"{tuple(like.shape)}") from None
    return c.to(torch.bool)


def require_self_connections(W, name: str = "W", lower: float = 0.0):
    """Require every self-connection ``W[..., j, j] >= lower``.

    The default ``lower = 0`` is the note's condition for parallel updates; the
    book's chapter 2 shows that asynchronous tanh updates only need ``lower = -1``.
    """
    W = _real_tensor(W, name)
    require_square(W, name)
    lower = _real_arg(lower, "lower")
    d = np.diagonal(as_numpy(W), axis1=-2, axis2=-1)
    if d.size and not np.all(d >= lower):
        raise ValueError(
            f"{name}: self-connections must be >= {lower:g}, smallest is {float(d.min()):.4g}"
            + (" (negative self-connection)" if lower == 0 else "")
        )
    return W


def require_no_within_group_weights(W, groups: Sequence[Sequence[int]], name: str = "W", atol: float = 0.0):
    """Require ``W`` to have no connection between two units of the same update group.

    Updating a group in parallel equals updating its units one after another only
    when they do not feed each other (the bipartite/layered case of chapter 2).
    """
    W = _real_tensor(W, name)
    require_square(W, name)
    atol = _real_arg(atol, "atol", low=0.0)
    groups = _schedule(groups, W.shape[-1], "groups")
    arr = as_numpy(W)
    for k, g in enumerate(groups):
        idx = np.asarray(list(g), dtype=int)
        if idx.size == 0:
            continue
        block = arr[..., idx[:, None], idx[None, :]]
        if block.size and np.max(np.abs(block)) > atol:
            raise ValueError(
                f"{name}: units of update group {k} are connected to each other "
                f"(max |weight| = {float(np.max(np.abs(block))):.3g}); a group must have no within-group weights"
            )
    return W


def require_kernel(w, name: str = "w", *, square_channels: bool = False):
    """Require a convolution kernel of shape ``(c_in, c_out, 2r+1, 2r+1)`` (the note's layout).

    ``w[e, f, a, b]`` feeds unit ``(x, y, f)`` from unit ``(x + a, y + b, e)`` with
    ``a, b`` running from ``-r`` to ``r``.  ``square_channels`` additionally requires
    ``c_in == c_out`` (a recurrent layer, Case 1 of the note).
    """
    shp = tuple(_real_tensor(w, name).shape)
    if len(shp) != 4:
        raise ValueError(f"{name}: must be a 4-d kernel (c_in, c_out, 2r+1, 2r+1), got shape {shp}")
    if shp[0] < 1 or shp[1] < 1:
        raise ValueError(f"{name}: needs at least one input and one output channel, got shape {shp}")
    if shp[2] != shp[3] or shp[2] % 2 != 1:
        raise ValueError(f"{name}: spatial size must be square and odd (2r+1, 2r+1), got {shp[2:]}")
    if square_channels and shp[0] != shp[1]:
        raise ValueError(f"{name}: a recurrent layer needs as many input as output channels, got shape {shp}")
    return w


def require_symmetric_kernel(w, name: str = "w", atol: float = 1e-10, *, nonnegative_self: bool = False):
    """Require the Case 1 symmetry ``w[e, f, a, b] == w[f, e, -a, -b]`` (and the kernel shape).

    With ``nonnegative_self`` also require the note's self-connection constraint ``w[f, f, 0, 0] >= 0``.
    """
    require_kernel(w, name, square_channels=True)
    atol = _real_arg(atol, "atol", low=0.0)
    t = torch.as_tensor(as_numpy(_real_tensor(w, name)))
    err = float((t - t.transpose(0, 1).flip(2, 3)).abs().max()) if t.numel() else 0.0
    if not err <= atol:
        raise ValueError(f"{name}: must satisfy w[e,f,a,b] = w[f,e,-a,-b] (max violation {err:.3g} > atol = {atol:g})")
    if nonnegative_self:
        r = t.shape[-1] // 2
        centre = t[torch.arange(t.shape[0]), torch.arange(t.shape[0]), r, r]
        if bool((centre < 0).any()):
            raise ValueError(f"{name}: self-connections w[f,f,0,0] must be >= 0 (negative self-connection "
                             f"{float(centre.min()):.4g} in channel {int(centre.argmin())})")
    return w


# =========================================================================== #
# Chapter 1 — the energy
# =========================================================================== #
def barrier(x: torch.Tensor) -> torch.Tensor:
    r"""The tanh barrier :math:`F(x) = \int_0^x \operatorname{artanh}\xi\,d\xi` (note Eq. 2), elementwise.

    Computed as :math:`\tfrac12[(1+x)\ln(1+x) + (1-x)\ln(1-x)]`, which equals the
    note's :math:`x\operatorname{artanh}x + \tfrac12\ln(1-x^2)` and is finite at
    :math:`x = \pm 1` (value :math:`\ln 2`).  Book chapter ``01_energy``.

    Parameters
    ----------
    x : tensor, any shape, entries in ``[-1, 1]``
    """
    x = _real_tensor(x, "x")
    if _inspectable(x) and bool(torch.any(x.abs() > 1)):
        raise ValueError("x: barrier is defined only for activations in [-1, 1]")
    return 0.5 * (torch.xlogy(1 + x, 1 + x) + torch.xlogy(1 - x, 1 - x))


def barrier_bregman(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Bregman divergence of the barrier, :math:`F(x) - F(y) - F'(y)(x - y) \ge \tfrac12 (x - y)^2` (elementwise).

    It is the exact energy drop of a single-unit update beyond the self-connection term
    (chapter 2): :math:`\Delta E = -\tfrac12 w_{jj}\,\Delta^2 - B_F(x_j, x_j')`.
    """
    x, y = _common(_real_tensor(x, "x"), _real_tensor(y, "y"))
    try:
        torch.broadcast_shapes(x.shape, y.shape)
    except RuntimeError:
        raise ValueError(f"y: shape {tuple(y.shape)} does not broadcast with x's shape {tuple(x.shape)}") from None
    _require_activations(x, "x")
    _require_activations(y, "y", open_interval=True)
    return barrier(x) - barrier(y) - torch.atanh(y) * (x - y)


def barrier_slope(x: torch.Tensor) -> torch.Tensor:
    r""":math:`F'(x) = f^{-1}(x) = \operatorname{artanh} x` (elementwise)."""
    x = _real_tensor(x, "x")
    _require_activations(x, "x")
    return torch.atanh(x)


def _inspectable(t) -> bool:
    """False for tensors traced by torch.func transforms (their values cannot be read)."""
    if not isinstance(t, torch.Tensor):
        return True
    try:
        from torch._C._functorch import is_functorch_wrapped_tensor

        return not is_functorch_wrapped_tensor(t)
    except ImportError:  # pragma: no cover - older torch
        return True


def _require_symmetric_t(W, name: str, atol: float = 1e-10):
    """Symmetry check that also works inside torch.func transforms (torch ops, no numpy)."""
    if not isinstance(W, torch.Tensor):
        return require_symmetric(W, name, atol)
    require_square(W, name)
    if not _inspectable(W):
        return W
    with torch.no_grad():
        err = float((W - W.transpose(-1, -2)).abs().amax()) if W.numel() else 0.0
    if not err <= atol:
        raise ValueError(f"{name}: must be symmetric (max |{name} - {name}^T| = {err:.3g} > atol = {atol:g})")
    return W


def _net(x, W, b, symmetric: bool, *, x_name: str = "x"):
    """Validate and convert a state, weights and biases; returns ``(x, W, b)`` in one float dtype.

    Integer states (e.g. +-1 patterns) are promoted to float64 so that the weights are never
    truncated to integers.
    """
    x = _real_tensor(x, x_name)
    W = _real_tensor(W, "W")
    b = None if b is None else _real_tensor(b, "b")
    require_square(W, "W")
    n = W.shape[-1]
    if n < 1:
        raise ValueError(f"W: needs at least one unit, got shape {tuple(W.shape)}")
    if x.ndim < 1 or x.shape[-1] != n:
        raise ValueError(f"{x_name}: last dimension must equal the number of units n = {n}, got shape {tuple(x.shape)}")
    if b is not None and (b.ndim < 1 or b.shape[-1] != n):
        raise ValueError(f"b: last dimension must be n = {n}, got shape {tuple(b.shape)}")
    try:
        torch.broadcast_shapes(x.shape[:-1], W.shape[:-2], *(() if b is None else (b.shape[:-1],)))
    except RuntimeError:
        raise ValueError(f"{x_name}: batch shape {tuple(x.shape[:-1])} does not broadcast with W's batch shape "
                         f"{tuple(W.shape[:-2])}" + ("" if b is None else f" and b's {tuple(b.shape[:-1])}")) from None
    if symmetric:
        _require_symmetric_t(W, "W")
    x, W, b = _common(x, W, b)
    return x, W, b


def _net_input(x, W, b):
    z = torch.einsum("...i,...ij->...j", x, W)
    return z if b is None else z + b


def energy(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None, *, symmetric: bool = True) -> torch.Tensor:
    r"""Energy of an attractor net with tanh units (note Eqs. 1–2).

    .. math:: E(x) = -\tfrac12 x W x^\top - b x^\top + \sum_j F(x_j),\qquad
              F(x) = x\operatorname{artanh}x + \tfrac12\ln(1-x^2).

    Parameters
    ----------
    x : tensor ``(..., n)``
        States (row vectors), entries in ``[-1, 1]``.
    W : tensor ``(n, n)`` or ``(..., n, n)``
        Weights, symmetric (checked unless ``symmetric=False``).
    b : tensor ``(n,)`` or ``(..., n)``, optional
        Biases (zero if omitted).

    Returns
    -------
    tensor ``(...)``
    """
    x, W, b = _net(x, W, b, symmetric)
    _require_activations(x, "x")
    return _energy(x, W, b)


def _energy(x, W, b):
    """Unchecked core of :func:`energy` (validated float tensors of one dtype)."""
    quad = torch.einsum("...i,...ij,...j->...", x, W, x)
    lin = (x * b).sum(-1) if b is not None else torch.zeros_like(quad)
    return -0.5 * quad - lin + 0.5 * (torch.xlogy(1 + x, 1 + x) + torch.xlogy(1 - x, 1 - x)).sum(-1)


def energy_gradient(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    r""":math:`\partial E/\partial x_j = -(x W)_j - b_j + \operatorname{artanh}(x_j)` for symmetric ``W``.

    Zero exactly when :math:`x_j = \tanh((xW)_j + b_j)`, the activation rule (note Eq. 3).
    Shapes as in :func:`energy`; returns ``(..., n)``.
    """
    x, W, b = _net(x, W, b, True)
    _require_activations(x, "x")
    return -_net_input(x, W, b) + torch.atanh(x)


def activation_update(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    r"""All units' new activations :math:`\tanh(x W + b)` (note Eq. 3 for every ``j``); ``(..., n)``."""
    x, W, b = _net(x, W, b, False)
    return torch.tanh(_net_input(x, W, b))


# =========================================================================== #
# Chapter 2 — update schedules
# =========================================================================== #
def random_symmetric_weights(
    batch: int,
    n: int,
    *,
    scale: float = 1.0,
    self_connection: float | torch.Tensor | None = 0.0,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float64,
) -> torch.Tensor:
    r"""An ensemble of random symmetric weight matrices, shape ``(batch, n, n)``.

    Off-diagonal entries are :math:`\mathcal N(0, \text{scale}^2/n)`, symmetrised;
    the diagonal is set to ``self_connection`` (a number or a ``(batch, n)`` /
    ``(n,)`` tensor), or left random when ``None``.
    """
    device = get_device() if device is None else torch.device(device)
    batch, n = _int_arg(batch, "batch"), _int_arg(n, "n")
    scale = _real_arg(scale, "scale", low=0.0)
    A = torch.randn(batch, n, n, generator=generator, dtype=dtype).to(device) * (scale / math.sqrt(n))
    W = (A + A.transpose(-1, -2)) / math.sqrt(2.0)
    if self_connection is not None:
        d = _real_tensor(self_connection, "self_connection").to(dtype=dtype, device=device)
        try:
            d = d.expand(batch, n)
        except RuntimeError:
            raise ValueError(f"self_connection: must be a number or broadcast to (batch, n) = ({batch}, {n}), "
                             f"got shape {tuple(d.shape)}") from None
        W = W - torch.diag_embed(torch.diagonal(W, dim1=-2, dim2=-1)) + torch.diag_embed(d)
    return W


def layer_groups(layer_sizes: Sequence[int]) -> list[list[int]]:
    """Unit indices of each layer of a layered net, e.g. ``[3, 2] -> [[0, 1, 2], [3, 4]]``."""
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__iter__"):
        raise TypeError(f"layer_sizes: must be a sequence of integers, got {type(layer_sizes).__name__}")
    layer_sizes = list(layer_sizes)
    if not layer_sizes:
        raise ValueError("layer_sizes: must list at least one layer")
    out, start = [], 0
    for s in layer_sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"layer_sizes: every layer size must be an integer, got {layer_sizes}")
        if s < 1:
            raise ValueError(f"layer_sizes: every layer needs at least one unit, got {list(layer_sizes)}")
        out.append(list(range(start, start + s)))
        start += s
    return out


def bipartite_weights(
    batch: int,
    layer_sizes: Sequence[int],
    *,
    scale: float = 1.0,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float64,
) -> torch.Tensor:
    r"""Random symmetric weights of a layered net: only adjacent layers are connected.

    Returns ``(batch, n, n)`` with ``n = sum(layer_sizes)``; the block between layers
    ``l`` and ``l+1`` has entries :math:`\mathcal N(0, \text{scale}^2/\sqrt{n_l n_{l+1}})`
    and its transpose sits in the mirrored block (no within-layer weights, no
    self-connections).
    """
    device = get_device() if device is None else torch.device(device)
    batch = _int_arg(batch, "batch")
    scale = _real_arg(scale, "scale", low=0.0)
    groups = layer_groups(layer_sizes)
    if len(groups) < 2:
        raise ValueError(f"layer_sizes: a layered net needs at least two layers, got {list(layer_sizes)}")
    n = sum(len(g) for g in groups)
    W = torch.zeros(batch, n, n, dtype=dtype)
    for lo, hi in zip(groups[:-1], groups[1:]):
        blk = torch.randn(batch, len(lo), len(hi), generator=generator, dtype=dtype) * (
            scale / math.sqrt(math.sqrt(len(lo) * len(hi)))
        )
        W[:, lo[0] : lo[-1] + 1, hi[0] : hi[-1] + 1] = blk
        W[:, hi[0] : hi[-1] + 1, lo[0] : lo[-1] + 1] = blk.transpose(-1, -2)
    return W.to(device)


def layered_schedule(layer_sizes: Sequence[int], kind: str = "layerwise") -> list[list[int]]:
    """Update groups of a layered net: one group per layer (``"layerwise"``, bottom to top)
    or the note's alternation of odd and even layers (``"even_odd"``: layers 1, 3, 5, ... then 2, 4, ...)."""
    groups = layer_groups(layer_sizes)
    if kind == "layerwise":
        return groups
    if kind == "even_odd":
        return [sum(groups[0::2], []), sum(groups[1::2], [])]
    raise ValueError(f"kind: must be 'layerwise' or 'even_odd', got {kind!r}")


def update_units(
    x: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor | None,
    units: Sequence[int] | torch.Tensor,
    *,
    clamp=None,
    keep: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Update the listed units in parallel, leave the others (note Eqs. 3–4).

    Parameters
    ----------
    x : ``(..., n)``; W : ``(n, n)`` or ``(..., n, n)``; b : ``(n,)`` or ``(..., n)`` or None
    units : indices of the units updated in this step
    clamp : bool ``(n,)`` or ``(..., n)``, optional
        ``c_j = 1`` units keep their value (Eq. 4).
    keep : bool ``(..., n)``, optional
        Extra per-call mask of units that skip this update (the note's "dropout"
        symmetry breaking).

    Returns
    -------
    tensor ``(..., n)`` (a new tensor; ``x`` is not modified)
    """
    x, W, b = _net(x, W, b, False)
    idx = _units(units, W.shape[-1], "units")
    c = _mask(clamp, x)
    keep = _mask(keep, x, "keep")
    return _update(x, W, b, idx, c, keep)


def _update(x, W, b, idx, c=None, keep=None):
    """Unchecked core of :func:`update_units` (``idx`` a long tensor, ``c``/``keep`` bool masks or None)."""
    new = torch.tanh(_net_input(x, W, b))
    sel = torch.zeros(x.shape[-1], dtype=torch.bool, device=x.device)
    sel[idx.to(x.device)] = True
    if c is not None:
        sel = sel & ~c
    if keep is not None:
        sel = sel & ~keep.to(x.device)
    sel = sel.expand(torch.broadcast_shapes(sel.shape, new.shape, x.shape))
    return torch.where(sel, new, x)


def asynchronous_sweep(
    x: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor | None = None,
    *,
    order: Sequence[int] | None = None,
    clamp=None,
    return_energies: bool = False,
    symmetric: bool = True,
    min_self_connection: float | None = -1.0,
):
    r"""One sweep of single-unit updates (note Eq. 3, asynchronous schedule).

    Units are updated one at a time in ``order`` (default ``0..n-1``); the whole
    batch of nets moves together.  With ``return_energies`` the energy after each
    single-unit update is returned too, shape ``(n + 1, ...)`` (first row: before).
    ``symmetric=False`` allows non-symmetric ``W`` (the energies are then those of
    the formula, which is no longer a Lyapunov function).

    Self-connections below ``min_self_connection`` (default ``-1``, the weakest value
    for which tanh updates descend the energy, chapter 2) raise ``ValueError``; pass
    ``None`` to allow them (e.g. to demonstrate the ascent).
    """
    x, W, b = _net(x, W, b, symmetric)
    if min_self_connection is not None and _inspectable(W):
        require_self_connections(W, "W", lower=min_self_connection)
    n = W.shape[-1]
    order = torch.arange(n) if order is None else _units(order, n, "order")
    c = _mask(clamp, x)
    if return_energies:
        _require_activations(x, "x")
    trace = [_energy(x, W, b)] if return_energies else None
    for j in order.tolist():
        x = _update(x, W, b, torch.tensor([j]), c)
        if return_energies:
            trace.append(_energy(x, W, b))
    return (x, torch.stack(trace)) if return_energies else x


def parallel_run(
    x0: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None, steps: int = 100, *, clamp=None
) -> torch.Tensor:
    r"""Parallel (synchronous) updates of every unit for ``steps`` iterations.

    Returns the trajectory ``(steps + 1, ..., n)`` starting with ``x0``.
    """
    x0, W, b = _net(x0, W, b, False, x_name="x0")
    steps = _int_arg(steps, "steps", low=0)
    c = _mask(clamp, x0)
    idx = torch.arange(W.shape[-1])
    traj = [x0]
    for _ in range(steps):
        traj.append(_update(traj[-1], W, b, idx, c))
    return torch.stack(traj)


def groupwise_run(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor | None,
    schedule: Sequence[Sequence[int]],
    sweeps: int,
    *,
    clamp=None,
    keep_prob: float | None = None,
    generator: torch.Generator | None = None,
    check_groups: bool = True,
):
    r"""Block updates: each sweep updates the unit groups of ``schedule`` in turn.

    A layer-wise sweep of a layered net is ``schedule = layer_groups(sizes)``; the
    note's even/odd alternation is ``[odd layers joined, even layers joined]``.
    With ``keep_prob`` each unit of a group skips a given update with that
    probability (the note's third way of breaking symmetry).

    Returns ``(x, energies)`` with energies of shape ``(sweeps * len(schedule) + 1, ...)``.
    Raises ``ValueError`` if a group has within-group weights (``check_groups``).
    """
    x, W, b = _net(x0, W, b, True, x_name="x0")
    _require_activations(x, "x0")
    groups = _schedule(schedule, W.shape[-1])
    sweeps = _int_arg(sweeps, "sweeps", low=0)
    if keep_prob is not None:
        keep_prob = _real_arg(keep_prob, "keep_prob", low=0.0, high=1.0)
    if check_groups:
        require_no_within_group_weights(W, groups, "W")
    c = _mask(clamp, x)
    idx = [torch.as_tensor(g, dtype=torch.long) for g in groups]
    trace = [_energy(x, W, b)]
    for _ in range(sweeps):
        for g in idx:
            keep = None
            if keep_prob is not None:
                keep = (torch.rand(x.shape, generator=generator, dtype=torch.float64) < keep_prob).to(x.device)
            x = _update(x, W, b, g, c, keep)
            trace.append(_energy(x, W, b))
    return x, torch.stack(trace)


def two_step_lyapunov(x: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    r"""Lyapunov function of parallel dynamics on pairs of consecutive states.

    .. math:: L(x, y) = -x W y^\top - b(x + y)^\top + \sum_j F(x_j) + \sum_j F(y_j).

    For symmetric ``W`` it never increases along :math:`(x_t, x_{t+1})` (chapter 2).
    Shapes: ``x, y (..., n)``; returns ``(...)``.
    """
    x, W, b = _net(x, W, b, True)
    y, _, _ = _net(y, W, b, True, x_name="y")
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"y: must have the shape of x {tuple(x.shape)}, got {tuple(y.shape)}")
    x, y, W, b = _common(x, y, W, b)
    _require_activations(x, "x")
    _require_activations(y, "y")
    cross = torch.einsum("...i,...ij,...j->...", x, W, y)
    lin = ((x + y) * b).sum(-1) if b is not None else torch.zeros_like(cross)
    return -cross - lin + barrier(x).sum(-1) + barrier(y).sum(-1)


def classify_limit(traj: torch.Tensor, tol: float = 1e-8) -> dict:
    r"""Classify the end of trajectories ``(T+1, ..., n)`` as fixed point, 2-cycle or neither.

    Uses the last three states: fixed point when :math:`\|x_T - x_{T-1}\|_\infty < tol`;
    2-cycle when not a fixed point but :math:`\|x_T - x_{T-2}\|_\infty < tol`.

    Returns a dict of boolean tensors ``fixed``, ``two_cycle``, ``other`` with the batch shape.
    """
    traj = _real_tensor(traj, "traj")
    tol = _real_arg(tol, "tol", low=0.0, open_low=True)
    if traj.ndim < 2:
        raise ValueError(f"traj: must have shape (T+1, ..., n), got {tuple(traj.shape)}")
    if traj.shape[0] < 3:
        raise ValueError(f"traj: needs at least 3 time steps, got {traj.shape[0]}")
    d1 = (traj[-1] - traj[-2]).abs().amax(-1)
    d2 = (traj[-1] - traj[-3]).abs().amax(-1)
    fixed = d1 < tol
    two = (~fixed) & (d2 < tol)
    return {"fixed": fixed, "two_cycle": two, "other": ~(fixed | two)}


# =========================================================================== #
# Chapter 3 — BPTT and the stationary gradient
# =========================================================================== #
def run_to_fixed_point(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor | None,
    *,
    clamp=None,
    schedule: Sequence[Sequence[int]] | None = None,
    theta: float = 1e-12,
    max_iter: int = 10_000,
):
    r"""Iterate until :math:`\|x_i - x_{i-1}\|_\infty < \theta` for every batch member.

    ``schedule=None`` uses parallel updates (the note's unrolled net); otherwise
    one iteration is a sweep over the groups of ``schedule``.

    Returns ``(x_star, t_star, converged)``: the final states ``(..., n)``, the
    first iteration at which each member met the criterion ``(...)`` (``-1`` if
    never), and a boolean ``(...)``.
    """
    x, W, b = _net(x0, W, b, False, x_name="x0")
    n = W.shape[-1]
    theta = _real_arg(theta, "theta", low=0.0, open_low=True)
    max_iter = _int_arg(max_iter, "max_iter")
    groups = [list(range(n))] if schedule is None else _schedule(schedule, n)
    idx = [torch.as_tensor(g, dtype=torch.long) for g in groups]
    c = _mask(clamp, x)
    t_star = torch.full(x.shape[:-1], -1, dtype=torch.long, device=x.device)
    for i in range(1, max_iter + 1):
        prev = x
        for g in idx:
            x = _update(x, W, b, g, c)
        done = (x - prev).abs().amax(-1) < theta
        t_star = torch.where((t_star < 0) & done, torch.full_like(t_star, i), t_star)
        if bool(torch.all(t_star >= 0)):
            break
    return x, t_star, t_star >= 0


def derivative_matrix(x: torch.Tensor, clamp=None) -> torch.Tensor:
    r"""The diagonal :math:`D` of note Eq. 9: :math:`1 - x_j^2`, zero for clamped units.

    ``x (..., n)`` → ``(..., n, n)``.
    """
    x = _real_tensor(x, "x")
    _require_activations(x, "x")
    d = 1 - x**2
    c = _mask(clamp, x)
    if c is not None:
        d = torch.where(c.expand_as(d), torch.zeros_like(d), d)
    return torch.diag_embed(d)


def omega_series(A: torch.Tensor, terms: int) -> torch.Tensor:
    r"""Partial sums :math:`\Omega_i = \sum_{k=0}^{i-1} A^k` by the recursion of note Eq. 13.

    :math:`\Omega_1 = I`, :math:`\Omega_i = I + \Omega_{i-1} A`.  ``A (..., n, n)``;
    returns ``(terms, ..., n, n)`` holding :math:`\Omega_1, \dots, \Omega_{terms}`.
    """
    A = _real_tensor(A, "A")
    require_square(A, "A")
    terms = _int_arg(terms, "terms")
    eye = torch.eye(A.shape[-1], dtype=A.dtype, device=A.device).expand_as(A)
    out = [eye.clone()]
    for _ in range(terms - 1):
        out.append(eye + out[-1] @ A)
    return torch.stack(out)


def jacobian_spectral_radius(W: torch.Tensor, x_star: torch.Tensor, clamp=None) -> torch.Tensor:
    r"""Spectral radius of :math:`W^\top D_*` (the linearised backward map of note Eq. 10); ``(...)``."""
    x_star, W, _ = _net(x_star, W, None, False, x_name="x_star")
    A = W.transpose(-1, -2) @ derivative_matrix(x_star, clamp)
    return torch.linalg.eigvals(A).abs().amax(-1)


def stationary_gradient(
    x_star: torch.Tensor,
    y: torch.Tensor,
    W: torch.Tensor,
    M: torch.Tensor,
    *,
    clamp=None,
    method: str = "solve",
    terms: int = 10_000,
    factor: float = 2.0,
    tol: float = 1e-13,
):
    r"""Almeida–Pineda gradient of :math:`E = \|(x_* - y)M\|^2` at a fixed point (note Eqs. 12–15).

    .. math::
        \frac{\partial E}{\partial W} = 2\,x_*^\top (x_*-y) M D_* \Omega_\infty,\qquad
        \frac{\partial E}{\partial b} = 2\,(x_*-y) M D_* \Omega_\infty,\qquad
        \Omega_\infty = (I - W^\top D_*)^{-1}.

    ``factor=2`` is the factor of Eq. 8 that the printed Eqs. 14–15 drop (``factor=1``
    reproduces the printed form).  The gradient is with respect to an
    *unconstrained* ``W``; for a symmetric (tied) ``W`` symmetrise it (chapter 3).

    Parameters
    ----------
    x_star, y : ``(B, n)``; W : ``(n, n)``; M : ``(n,)`` 0/1 diagonal of the mask
    method : ``"solve"`` (closed form) or ``"series"`` (Eq. 13 applied to the row
        vector until the increment is below ``tol``; raises ``ValueError`` if it does
        not converge in ``terms`` steps, i.e. the spectral radius of ``W^T D_*`` is >= 1)

    Returns
    -------
    (dW ``(n, n)``, db ``(n,)``) summed over the batch.
    """
    x_star, W, _ = _net(x_star, W, None, False, x_name="x_star")
    n = W.shape[-1]
    if W.ndim != 2:
        raise ValueError(f"W: must be one (n, n) matrix, got shape {tuple(W.shape)}")
    require_shape(x_star, "x_star", (None, n))
    if x_star.shape[0] < 1:
        raise ValueError("x_star: needs at least one state (batch size 0)")
    y = _real_tensor(y, "y")
    M = _real_tensor(M, "M")
    require_shape(y, "y", tuple(x_star.shape))
    require_shape(M, "M", (n,))
    x_star, y, W, M = _common(x_star, y, W, M)
    c = _mask(clamp, x_star)
    _require_activations(x_star, "x_star", open_interval=True, free=None if c is None else ~c)
    factor = _real_arg(factor, "factor")
    tol = _real_arg(tol, "tol", low=0.0, open_low=True)
    terms = _int_arg(terms, "terms")
    D = derivative_matrix(x_star, clamp)  # (B, n, n)
    A = W.T @ D  # (B, n, n)
    g = factor * (x_star - y) * M  # (B, n): 2 (x - y) M
    gD = (g.unsqueeze(-2) @ D).squeeze(-2)  # (B, n)
    if method == "solve":
        eye = torch.eye(n, dtype=x_star.dtype, device=x_star.device)
        # u (I - A) = gD  <=>  (I - A)^T u^T = (gD)^T
        u = guarded_solve((eye - A).transpose(-1, -2), gD.unsqueeze(-1), name="I - W^T D*").squeeze(-1)
    elif method == "series":
        u = gD.clone()
        for _ in range(terms):
            nxt = gD + (u.unsqueeze(-2) @ A).squeeze(-2)
            if not torch.all(torch.isfinite(nxt)):
                break
            if float((nxt - u).abs().max()) < tol:
                u = nxt
                break
            u = nxt
        else:
            raise ValueError("W: the series of Eq. 13 did not converge (spectral radius of W^T D* >= 1?)")
        if not torch.all(torch.isfinite(u)) or float((gD + (u.unsqueeze(-2) @ A).squeeze(-2) - u).abs().max()) > 1e3 * tol:
            raise ValueError("W: the series of Eq. 13 diverged (spectral radius of W^T D* >= 1)")
    else:
        raise ValueError(f"method: must be 'solve' or 'series', got {method!r}")
    dW = torch.einsum("bi,bj->ij", x_star, u)
    return dW, u.sum(0)


def _conjugate_gradient(H: torch.Tensor, r: torch.Tensor, *, tol: float = 1e-13, max_iter: int | None = None):
    """Solve ``H z = r`` for symmetric positive-definite ``H`` ``(m, m)`` by conjugate gradients (``r`` ``(m,)``)."""
    z = torch.zeros_like(r)
    res = r.clone()
    p = res.clone()
    rr = float(res @ res)
    scale = max(float(r.abs().max()), 1e-300)
    for _ in range(max_iter or 10 * r.numel() + 10):
        if math.sqrt(rr) <= tol * scale:
            return z
        Hp = H @ p
        alpha = rr / float(p @ Hp)  # H > 0 is checked by the caller
        z = z + alpha * p
        res = res - alpha * Hp
        rr_new = float(res @ res)
        p = res + (rr_new / rr) * p
        rr = rr_new
    if math.sqrt(rr) <= 1e3 * tol * scale:
        return z
    raise ValueError("x_star: conjugate gradients did not converge (Hessian nearly singular)")


def hessian_gradient(x_star, y, W, b, M, *, clamp=None, tol: float = 1e-13):
    r"""Gradient of :math:`E = \|(x_* - y)M\|^2` at a strict local minimum, from the energy Hessian (chapter 3).

    An independent route to Eqs. 14–15: the fixed point solves :math:`r(x, \theta) = \operatorname{artanh} x
    - xW - b = 0` on the free units, whose Jacobian in :math:`x` is the energy Hessian
    :math:`H = \nabla^2 E = D_*^{-1} - W` (computed here by ``torch.func.hessian`` of :func:`energy`, not
    by a formula).  The implicit function theorem gives :math:`dL/d\theta = -\lambda\,\partial r/\partial\theta`
    with :math:`\lambda H = \partial L/\partial x_*`, solved by conjugate gradients (``H`` must be positive
    definite: a strict local minimum; otherwise ``ValueError``); :math:`\partial r/\partial\theta` by autograd.

    ``x_star, y (B, n)``, ``W (n, n)`` symmetric, ``b (n,)``, ``M (n,)``.  Returns ``(dW (n, n), db (n,))``
    for an unconstrained ``W`` (compare with :func:`stationary_gradient`).
    """
    from torch.func import hessian

    x_star, W, b = _net(x_star, W, b, True, x_name="x_star")
    n = W.shape[-1]
    if W.ndim != 2 or b is None or b.ndim != 1:
        raise ValueError(f"W: must be one (n, n) matrix with biases b (n,), got shapes {tuple(W.shape)}, "
                         f"{None if b is None else tuple(b.shape)}")
    require_shape(x_star, "x_star", (None, n))
    y, M = _real_tensor(y, "y"), _real_tensor(M, "M")
    require_shape(y, "y", tuple(x_star.shape))
    require_shape(M, "M", (n,))
    tol = _real_arg(tol, "tol", low=0.0, open_low=True)
    x_star, y, W, b, M = _common(x_star, y, W, b, M)
    c = _mask(clamp, x_star)
    free = torch.ones(n, dtype=torch.bool) if c is None else ~c.reshape(-1, n)[0].cpu()
    if c is not None and c.ndim > 1 and not bool((c == c.reshape(-1, n)[:1]).all()):
        raise ValueError("clamp: hessian_gradient needs one clamp pattern (n,) for the whole batch")
    _require_activations(x_star, "x_star", open_interval=True, free=None if c is None else ~c)
    F = torch.nonzero(free).flatten()
    lam = torch.zeros_like(x_star)
    for k in range(x_star.shape[0]):
        H = hessian(lambda s: _energy(s, W, b))(x_star[k])[F][:, F]
        lam_min = float(torch.linalg.eigvalsh(H)[0]) if len(F) else 1.0
        if not lam_min > 0:
            raise ValueError(f"x_star: the energy Hessian is not positive definite at state {k} (smallest eigenvalue "
                             f"{lam_min:.3g}): not a strict local minimum, and conjugate gradients need H > 0")
        g = (2 * (x_star[k] - y[k]) * M)[F]
        lam[k, F] = _conjugate_gradient(H, g, tol=tol)
    Wp, bp = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    r = torch.atanh(x_star) - x_star @ Wp - bp
    r = torch.where(free.to(r.device), r, torch.zeros_like(r))
    dW, db = torch.autograd.grad(-(lam * r).sum(), (Wp, bp))
    return dW, db


def bptt_gradient(
    x0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    y: torch.Tensor,
    M: torch.Tensor,
    steps: int,
    *,
    clamp=None,
    tie: bool = False,
    schedule: Sequence[Sequence[int]] | None = None,
    every_step_from: int | None = None,
    mask: torch.Tensor | None = None,
):
    r"""Backpropagation through ``steps`` iterations with torch autograd (note Eqs. 5–7).

    Loss :math:`E_t = \sum_{\text{batch}} \|(x_t - y)M\|^2` (or, with ``every_step_from = s``, the
    sum of that loss over iterations ``s..t`` — error injected at every step).  One iteration is
    a parallel update (``schedule=None``, the note's unrolled net) or a sweep over the unit
    groups of ``schedule`` (e.g. singletons for asynchronous updates).  With ``tie=True`` the
    weights are parameterised as :math:`W = (S + S^\top)/2` and the gradient with respect to
    ``S`` (at ``S = W``) is returned — the gradient of the symmetric net.  ``mask`` (``(n, n)``
    0/1, symmetric) restricts the connectivity: the weights are ``mask * W`` (with ``tie``:
    ``mask * (S + S^T)/2``), so the gradient is that of a net whose absent connections (e.g. no
    self-connections, no within-layer weights) stay absent.

    Returns ``(dW (n, n), db (n,), x_t (B, n))``.
    """
    if b is None:
        raise ValueError("b: bptt_gradient needs the biases (pass zeros for none)")
    x, W, b = _net(x0, W, b, False, x_name="x0")
    n = W.shape[-1]
    if W.ndim != 2:
        raise ValueError(f"W: must be one (n, n) matrix, got shape {tuple(W.shape)}")
    y, M = _real_tensor(y, "y"), _real_tensor(M, "M")
    require_shape(y, "y", tuple(x.shape))
    require_shape(M, "M", (n,))
    steps = _int_arg(steps, "steps")
    if every_step_from is not None:
        every_step_from = _int_arg(every_step_from, "every_step_from")
        if every_step_from > steps:
            raise ValueError(f"every_step_from: must be <= steps = {steps}, got {every_step_from}")
    y, M, x, W, b = _common(y, M, x, W, b)
    c = _mask(clamp, x)
    W0 = W.detach().clone().requires_grad_(True)
    b0 = b.detach().clone().requires_grad_(True)
    Wuse = (W0 + W0.T) / 2 if tie else W0
    if mask is not None:
        mask = _real_tensor(mask, "mask")
        require_shape(mask, "mask", (n, n))
        if bool(((mask != 0) & (mask != 1)).any()):
            raise ValueError("mask: must hold 0/1 entries (the connectivity of the net)")
        Wuse = Wuse * mask.to(Wuse.dtype)
    groups = [list(range(n))] if schedule is None else _schedule(schedule, n)
    idx = [torch.as_tensor(g, dtype=torch.long) for g in groups]
    loss = 0.0
    for i in range(1, steps + 1):
        for g in idx:
            x = _update(x, Wuse, b0, g, c)
        if every_step_from is not None and i >= every_step_from:
            loss = loss + (((x - y) * M) ** 2).sum()
    if every_step_from is None:
        loss = (((x - y) * M) ** 2).sum()
    dW, db = torch.autograd.grad(loss, (W0, b0))
    return dW, db, x.detach()


def newton_fixed_point(x_init: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None, *, clamp=None,
                       tol: float = 1e-14, max_iter: int = 50) -> torch.Tensor:
    r"""Solve :math:`x = \tanh(xW + b)` (free units) by Newton's method from ``x_init`` ``(B, n)``.

    Converges to the fixed point nearest ``x_init`` whatever its stability under parallel
    updates (used to differentiate fixed points by finite differences in chapter 3).
    Raises ``ValueError`` if it does not converge.
    """
    x, W, b = _net(x_init, W, b, False, x_name="x_init")
    x = x.clone()
    tol = _real_arg(tol, "tol", low=0.0, open_low=True)
    max_iter = _int_arg(max_iter, "max_iter")
    n = W.shape[-1]
    c = _mask(clamp, x)
    eye = torch.eye(n, dtype=x.dtype, device=x.device)
    for _ in range(max_iter):
        new = torch.tanh(_net_input(x, W, b))
        r = x - new
        D = 1 - new**2
        if c is not None:
            r = torch.where(c.expand_as(r), torch.zeros_like(r), r)
            D = torch.where(c.expand_as(D), torch.zeros_like(D), D)
        # residual r(x) = x - tanh(xW + b); row-vector Jacobian dr = dx (I - W D)
        J = eye - W @ torch.diag_embed(D)
        step = guarded_solve(J.transpose(-1, -2), r.unsqueeze(-1), name="I - W D (Newton Jacobian)").squeeze(-1)
        x = x - step
        if float(r.abs().max()) < tol:
            return x
    raise ValueError("x_init: Newton's method did not converge to a fixed point")


def train_pattern_completion(
    patterns: torch.Tensor,
    clamp: torch.Tensor,
    n_hidden: int,
    *,
    method: str = "stationary",
    steps: int = 50,
    lr: float = 0.05,
    sweeps: int = 30,
    theta: float = 1e-10,
    max_sweeps: int = 500,
    seed: int = 0,
    init_scale: float = 0.1,
    optimizer: str = "adam",
    factor: float = 2.0,
    record_grads: bool = False,
    compare_bptt: int | None = None,
):
    r"""Train a visible–hidden bipartite attractor net to complete clamped patterns.

    The visible units clamped by ``clamp`` (``(n_v,)`` bool) take the pattern's values, the
    rest start at 0 and the hidden units at 0; the loss is note Eq. 5 on the free visible units.
    ``method="stationary"``: run layer-wise sweeps to a fixed point (``theta``), then the
    Almeida–Pineda gradient (Eqs. 14–15 with the factor 2, tied through :math:`W = [[0, V], [V^\top, 0]]`).
    ``method="bptt"``: autograd through ``sweeps`` layer-wise sweeps.

    ``optimizer``: ``"adam"`` or plain ``"sgd"`` (under SGD a wrong factor of the gradient changes the
    trajectory; Adam's normalisation hides it).  ``factor`` is passed to :func:`stationary_gradient`
    (1 reproduces the printed Eqs. 14-15).  ``record_grads`` stores the gradient used at every step
    (``grads``, ``(steps, n_v n_h + n)``: the V block then the biases).  ``compare_bptt = k`` (method
    ``"stationary"`` only) also computes, at every step and at the same parameters, the autograd gradient
    through ``t* + k`` layer-wise sweeps from the initial state (``t*`` the sweeps the fixed point needed),
    stored as ``grads_bptt`` — an independent computation of the same gradient.

    ``patterns`` ``(P, n_v)``.  Returns a dict with ``loss`` (per step, at the fixed point),
    ``seconds`` (per step), ``V``, ``b``.
    """
    import time

    if method not in ("stationary", "bptt"):
        raise ValueError(f"method: must be 'stationary' or 'bptt', got {method!r}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer: must be 'adam' or 'sgd', got {optimizer!r}")
    patterns = _real_tensor(patterns, "patterns")
    if patterns.ndim != 2 or patterns.shape[0] < 1 or patterns.shape[1] < 2:
        raise ValueError(f"patterns: must have shape (P, n_v) with P >= 1, n_v >= 2, got {tuple(patterns.shape)}")
    _require_activations(patterns, "patterns")
    clamp = torch.as_tensor(clamp)
    require_shape(clamp, "clamp", (patterns.shape[1],))
    clamp = _mask(clamp, patterns)
    if bool(clamp.all()):
        raise ValueError("clamp: leaves no free visible unit to complete (every unit is clamped)")
    n_hidden = _int_arg(n_hidden, "n_hidden")
    steps, sweeps, max_sweeps = _int_arg(steps, "steps"), _int_arg(sweeps, "sweeps"), _int_arg(max_sweeps, "max_sweeps")
    lr = _real_arg(lr, "lr", low=0.0, open_low=True)
    theta = _real_arg(theta, "theta", low=0.0, open_low=True)
    init_scale = _real_arg(init_scale, "init_scale", low=0.0)
    factor = _real_arg(factor, "factor")
    if compare_bptt is not None:
        compare_bptt = _int_arg(compare_bptt, "compare_bptt", low=0)
        if method != "stationary":
            raise ValueError("compare_bptt: only with method='stationary'")
        record_grads = True
    dev, dt = patterns.device, patterns.dtype
    nv, nh = patterns.shape[1], n_hidden
    n = nv + nh
    gen = torch.Generator().manual_seed(seed)
    V = (init_scale * torch.randn(nv, nh, generator=gen, dtype=dt)).to(dev).requires_grad_(True)
    bias = torch.zeros(n, dtype=dt, device=dev, requires_grad=True)
    opt = torch.optim.Adam([V, bias], lr=lr) if optimizer == "adam" else torch.optim.SGD([V, bias], lr=lr)
    full_clamp = torch.cat([clamp.to(dev), torch.zeros(nh, dtype=torch.bool, device=dev)])
    M = torch.cat([(~clamp).to(dt), torch.zeros(nh, dtype=dt)]).to(dev)
    y = torch.cat([patterns, torch.zeros(patterns.shape[0], nh, dtype=dt, device=dev)], 1)
    x0 = torch.where(full_clamp, y, torch.zeros_like(y))
    groups = layer_groups([nv, nh])[::-1]  # hidden first, then visible

    def weights(Vm):
        top = torch.cat([torch.zeros(nv, nv, dtype=dt, device=dev), Vm], 1)
        bot = torch.cat([Vm.T, torch.zeros(nh, nh, dtype=dt, device=dev)], 1)
        return torch.cat([top, bot], 0)

    losses, seconds, grads, grads_bptt = [], [], [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        if method == "stationary":
            with torch.no_grad():
                W = weights(V)
                xs, _, ok = run_to_fixed_point(x0, W, bias, clamp=full_clamp, schedule=groups, theta=theta,
                                               max_iter=max_sweeps)
                G, gb = stationary_gradient(xs, y, W, M, clamp=full_clamp, factor=factor)
                V.grad = G[:nv, nv:] + G[nv:, :nv].T
                bias.grad = gb
                loss = float((((xs - y) * M) ** 2).sum())
            if compare_bptt is not None:
                _, t_used, _ = run_to_fixed_point(x0, W, bias.detach(), clamp=full_clamp, schedule=groups, theta=theta,
                                                  max_iter=max_sweeps)
                Vb = V.detach().clone().requires_grad_(True)
                bb = bias.detach().clone().requires_grad_(True)
                Wb, x = weights(Vb), x0
                idx = [torch.as_tensor(g_, dtype=torch.long) for g_ in groups]
                for _ in range(int(t_used.max()) + compare_bptt):
                    for g_ in idx:
                        x = _update(x, Wb, bb, g_, full_clamp)
                gV, gbb = torch.autograd.grad((((x - y) * M) ** 2).sum(), (Vb, bb))
                grads_bptt.append(torch.cat([gV.flatten(), gbb.flatten()]).detach())
        else:
            W = weights(V)
            x = x0
            for _ in range(sweeps):
                for g in groups:
                    x = update_units(x, W, bias, g, clamp=full_clamp)
            lt = (((x - y) * M) ** 2).sum()
            lt.backward()
            with torch.no_grad():
                xs, _, _ = run_to_fixed_point(x.detach(), W.detach(), bias.detach(), clamp=full_clamp, schedule=groups,
                                              theta=theta, max_iter=max_sweeps)
                loss = float((((xs - y) * M) ** 2).sum())
        if record_grads:
            grads.append(torch.cat([V.grad.flatten(), bias.grad.flatten()]).detach().clone())
        opt.step()
        seconds.append(time.perf_counter() - t0)
        losses.append(loss)
    out = dict(loss=losses, seconds=seconds, V=V.detach(), b=bias.detach())
    if record_grads:
        out["grads"] = torch.stack(grads)
    if compare_bptt is not None:
        out["grads_bptt"] = torch.stack(grads_bptt)
    return out


def delta_recursion(traj: torch.Tensor, W: torch.Tensor, delta_t: torch.Tensor, *, clamp=None, printed: bool = False):
    r"""Backward recursion for :math:`\delta_i = \partial E_t/\partial z_i` along a trajectory.

    Corrected form: :math:`\delta_{i-1} = \delta_i W^\top D_{i-1}`; the note prints
    :math:`\delta_i W^\top D_i` (``printed=True``).  ``traj (t+1, B, n)`` holds
    :math:`x_0..x_t`; ``delta_t (B, n)``.  Returns :math:`\delta_1..\delta_t`, shape ``(t, B, n)``.
    """
    traj = _real_tensor(traj, "traj")
    if traj.ndim != 3 or traj.shape[0] < 2:
        raise ValueError(f"traj: must have shape (t+1, B, n) with t >= 1, got {tuple(traj.shape)}")
    _, W, _ = _net(traj[0], W, None, False, x_name="traj")
    if W.ndim != 2:
        raise ValueError(f"W: must be one (n, n) matrix, got shape {tuple(W.shape)}")
    delta_t = _real_tensor(delta_t, "delta_t")
    require_shape(delta_t, "delta_t", tuple(traj.shape[1:]))
    traj, W, delta_t = _common(traj, W, delta_t)
    _require_activations(traj, "traj")
    t = traj.shape[0] - 1
    deltas = [delta_t]
    for i in range(t, 1, -1):
        D = derivative_matrix(traj[i] if printed else traj[i - 1], clamp)
        deltas.append(((deltas[-1] @ W.T).unsqueeze(-2) @ D).squeeze(-2))
    return torch.stack(deltas[::-1])


def implicit_vjp(
    step: Callable[..., torch.Tensor],
    x_star: torch.Tensor,
    grad_x: torch.Tensor,
    params: Sequence[torch.Tensor],
    *,
    tol: float = 1e-12,
    max_iter: int = 10_000,
    fixed_point_tol: float = 1e-6,
):
    r"""Matrix-free Almeida–Pineda gradient at a fixed point of ``x = step(x, *params)``.

    Solves :math:`v = g + v\,\partial\,\text{step}/\partial x` by the fixed-point
    iteration of note Eq. 13 (a vector–Jacobian product per iteration, so it also
    works for convolutions) and returns :math:`v\,\partial\,\text{step}/\partial\theta`
    (clamped units must be *constants* inside ``step``, not copies of ``x``, or the Jacobian
    has an eigenvalue 1 and the iteration cannot converge)
    for every parameter — the implicit-function-theorem gradient of a loss whose
    gradient with respect to the fixed point is ``grad_x``.

    Returns ``(list of parameter gradients, iterations used)``; raises ``ValueError``
    if the iteration diverges or does not converge (spectral radius >= 1).
    """
    from torch.func import vjp

    if not callable(step):
        raise TypeError(f"step: must be callable, got {type(step).__name__}")
    x_star = _real_tensor(x_star, "x_star")
    grad_x = _real_tensor(grad_x, "grad_x")
    if tuple(grad_x.shape) != tuple(x_star.shape):
        raise ValueError(f"grad_x: must have the shape of x_star {tuple(x_star.shape)}, got {tuple(grad_x.shape)}")
    if isinstance(params, torch.Tensor) or not hasattr(params, "__iter__"):
        raise TypeError("params: must be a sequence of tensors")
    params = [_real_tensor(p, f"params[{i}]") for i, p in enumerate(params)]
    tol = _real_arg(tol, "tol", low=0.0, open_low=True)
    max_iter = _int_arg(max_iter, "max_iter")
    fixed_point_tol = _real_arg(fixed_point_tol, "fixed_point_tol", low=0.0)
    x_star, grad_x = _common(x_star, grad_x)
    params = [p.detach() for p in params]
    out, pull = vjp(lambda x_, *ps: step(x_, *ps), x_star.detach(), *params)
    if tuple(out.shape) != tuple(x_star.shape):
        raise ValueError(f"step: must map x_star to a state of the same shape {tuple(x_star.shape)}, "
                         f"got {tuple(out.shape)}")
    resid = float((out.detach() - x_star).abs().max()) if out.numel() else 0.0
    if not resid <= fixed_point_tol:
        raise ValueError(f"x_star: is not a fixed point of step (max |step(x_star) - x_star| = {resid:.3g} > "
                         f"fixed_point_tol = {fixed_point_tol:g}); the implicit gradient would be wrong")
    v = grad_x.detach().clone()
    for it in range(1, max_iter + 1):
        vx = pull(v)[0]
        nxt = grad_x + vx
        if not torch.all(torch.isfinite(nxt)) or float(nxt.abs().max()) > 1e12:
            raise ValueError("step: the adjoint iteration diverged (spectral radius of the Jacobian >= 1)")
        err = float((nxt - v).abs().max())
        v = nxt
        if err < tol:
            break
    else:
        raise ValueError(f"step: the adjoint iteration did not converge in {max_iter} iterations")
    grads = pull(v)[1:]
    return list(grads), it


# =========================================================================== #
# Chapter 4 — convolutional symmetry: in rnnmath.attractor_conv, re-exported here
# =========================================================================== #
from .attractor_conv import (  # noqa: E402  (re-export; the conv module imports this one lazily)
    NOTE_W0,
    NOTE_W_PRINTED,
    symmetrize_kernel,
    nonnegative_self_connections,
    down_kernel,
    conv_apply,
    dense_operator,
    conv_energy,
    conv_layerwise_sweep,
    conv_parallel_map,
    conv_settle,
    conv_stationary_gradient,
    bar_images,
    stripe_images,
)
