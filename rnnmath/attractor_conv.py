"""Part III, chapter 4 — convolutional attractor nets (note 002, "Symmetry constraints").

Split out of :mod:`rnnmath.attractor` (which re-exports every name here).  Kernels use the
note's layout ``w[e, f, a, b]``: the weight feeding unit ``(x, y, f)`` from unit
``(x + a, y + b, e)``, with ``a, b`` from ``-r`` to ``r`` stored at indices ``0..2r``.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .device import get_device

__all__ = ['NOTE_W0', 'NOTE_W_PRINTED', 'symmetrize_kernel', 'nonnegative_self_connections', 'down_kernel', 'conv_apply', 'dense_operator', 'conv_energy', 'conv_layerwise_sweep', 'conv_parallel_map', 'conv_settle', 'conv_stationary_gradient', 'bar_images', 'stripe_images']


def _att():
    # the core of Part III (barrier, implicit_vjp, kernel validation); imported lazily because
    # rnnmath.attractor re-exports this module at the end of its own import
    from . import attractor

    return attractor


#: The unconstrained kernel printed in the note (shape 2 x 2 x 3 x 3, layout [e, f, a, b]).
NOTE_W0 = np.array(
    [
        [
            [[-0.50707783, 0.88680495, 0.99713658], [-0.61545061, 0.23018124, -0.44635288], [0.34563401, 0.64314837, -0.39077811]],
            [[0.51212478, -0.11878099, 0.70312206], [0.13932228, 0.34936946, 0.72935749], [0.16512938, 0.25552298, 0.41256676]],
        ],
        [
            [[-0.78205692, 0.55854117, 0.62183324], [-0.16264486, 0.22754876, -0.74926053], [-0.8973259, 0.97267335, 0.71312325]],
            [[-0.82456146, 0.29473738, -0.66902053], [0.92127547, -0.64778669, 0.03054832], [-0.97555256, 0.62103307, 0.42283626]],
        ],
    ]
)

#: The symmetrised kernel printed in the note, ``(W0 + swapaxes(W0[:, :, ::-1, ::-1], 0, 1)) / 2``.
NOTE_W_PRINTED = np.array(
    [
        [
            [[-0.44892797, 0.76497666, 0.67138529], [-0.53090174, 0.23018124, -0.53090174], [0.67138529, 0.76497666, -0.44892797]],
            [[0.61262402, 0.42694618, -0.09710192], [-0.30496912, 0.28845911, 0.28335632], [0.39348131, 0.40703208, -0.18474508]],
        ],
        [
            [[-0.18474508, 0.40703208, 0.39348131], [0.28335632, 0.28845911, -0.30496912], [-0.09710192, 0.42694618, 0.61262402]],
            [[-0.2008626, 0.45788523, -0.82228654], [0.47591189, -0.64778669, 0.47591189], [-0.82228654, 0.45788523, -0.2008626]],
        ],
    ]
)


def symmetrize_kernel(W0: torch.Tensor) -> torch.Tensor:
    r"""Case 1 symmetrisation :math:`w_{efab} = \tfrac12(w^0_{efab} + w^0_{fe,-a,-b})`.

    The torch form of the note's ``(W0 + np.swapaxes(W0[:, :, ::-1, ::-1], 0, 1)) / 2``;
    ``W0 (n_f, n_f, 2r+1, 2r+1)`` → same shape.
    """
    W0 = _att()._real_tensor(W0, "W0")
    _att().require_kernel(W0, "W0", square_channels=True)
    return (W0 + W0.flip(2, 3).transpose(0, 1)) / 2


def nonnegative_self_connections(w: torch.Tensor) -> torch.Tensor:
    r"""Replace the self-connections :math:`w_{ff00}` by their absolute values (the note's last step)."""
    w = _att()._real_tensor(w, "w").clone()
    _att().require_kernel(w, "w", square_channels=True)
    r = w.shape[-1] // 2
    idx = torch.arange(w.shape[0])
    w[idx, idx, r, r] = w[idx, idx, r, r].abs()
    return w


def down_kernel(w_up: torch.Tensor) -> torch.Tensor:
    r"""Case 2: :math:`w^{down}_{g,f,-a,-b} = w^{up}_{f,g,a,b}` (transpose channels, flip space)."""
    w_up = _att()._real_tensor(w_up, "w_up")
    _att().require_kernel(w_up, "w_up")
    return w_up.transpose(0, 1).flip(2, 3)


def conv_apply(x: torch.Tensor, w: torch.Tensor, *, padding_mode: str = "zeros") -> torch.Tensor:
    r"""Net input of a convolutional layer in the note's indexing.

    .. math:: z_{f}(x, y) = \sum_{e, a, b} w_{e f a b}\, s_e(x + a, y + b)

    ``x (B, c_in, H, W)``, ``w (c_in, c_out, 2r+1, 2r+1)`` → ``(B, c_out, H, W)``;
    out-of-lattice units are treated according to ``padding_mode`` (``"zeros"``,
    ``"circular"``, ``"reflect"``, ``"replicate"``).
    """
    w = _att()._real_tensor(w, "w")
    _att().require_kernel(w, "w")
    x = _att()._real_tensor(x, "x")
    if x.ndim != 4 or x.shape[1] != w.shape[0]:
        raise ValueError(f"x: must have shape (B, {w.shape[0]}, H, W) for this kernel, got {tuple(x.shape)}")
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"x: the lattice must have at least one row and one column, got shape {tuple(x.shape)}")
    x, w = _att()._common(x, w)
    r = w.shape[-1] // 2
    weight = w.transpose(0, 1)  # torch layout (out, in, kh, kw), cross-correlation
    if padding_mode == "zeros":
        return torch.nn.functional.conv2d(x, weight, padding=r)
    if padding_mode not in ("circular", "reflect", "replicate"):
        raise ValueError(f"padding_mode: must be zeros, circular, reflect or replicate, got {padding_mode!r}")
    if padding_mode == "reflect" and (x.shape[2] <= r or x.shape[3] <= r):
        raise ValueError(f"x: reflect padding by r = {r} needs a lattice larger than r in both directions, "
                         f"got {tuple(x.shape[2:])}")
    if padding_mode == "circular" and (x.shape[2] < r or x.shape[3] < r):
        raise ValueError(f"x: circular padding by r = {r} needs a lattice of at least r in both directions, "
                         f"got {tuple(x.shape[2:])}")
    xp = torch.nn.functional.pad(x, (r, r, r, r), mode=padding_mode)
    return torch.nn.functional.conv2d(xp, weight)


def dense_operator(w: torch.Tensor, height: int, width: int, *, padding_mode: str = "zeros") -> torch.Tensor:
    r"""Materialise the convolution as a matrix ``(c_in·H·W, c_out·H·W)`` in the row convention.

    Row ``i`` is the response to the ``i``-th basis image, so ``flat(conv(x)) = flat(x) @ Wd``
    exactly as the dense net input ``z = x W``.
    """
    w = _att()._real_tensor(w, "w")
    _att().require_kernel(w, "w")
    height, width = _att()._int_arg(height, "height"), _att()._int_arg(width, "width")
    c_in = w.shape[0]
    m = c_in * height * width
    basis = torch.eye(m, dtype=w.dtype, device=w.device).reshape(m, c_in, height, width)
    return conv_apply(basis, w, padding_mode=padding_mode).reshape(m, -1)


def _bipartite(v, h, w_up, b_v, b_h, *, states=True):
    """Validate the state and parameters of the conv bipartite net; returns them in one dtype."""
    a = _att()
    w_up = a._real_tensor(w_up, "w_up")
    a.require_kernel(w_up, "w_up")
    cv, ch = w_up.shape[0], w_up.shape[1]
    b_v, b_h = a._real_tensor(b_v, "b_v"), a._real_tensor(b_h, "b_h")
    if tuple(b_v.shape) != (cv,):
        raise ValueError(f"b_v: must have shape ({cv},) (one bias per visible channel), got {tuple(b_v.shape)}")
    if tuple(b_h.shape) != (ch,):
        raise ValueError(f"b_h: must have shape ({ch},) (one bias per hidden channel), got {tuple(b_h.shape)}")
    v, h = a._real_tensor(v, "v"), a._real_tensor(h, "h")
    if v.ndim != 4 or v.shape[1] != cv or v.shape[0] < 1:
        raise ValueError(f"v: must have shape (B, {cv}, H, W) with B >= 1, got {tuple(v.shape)}")
    if h.ndim != 4 or tuple(h.shape) != (v.shape[0], ch, v.shape[2], v.shape[3]):
        raise ValueError(f"h: must have shape {(v.shape[0], ch, v.shape[2], v.shape[3])}, got {tuple(h.shape)}")
    if states:
        a._require_activations(v, "v")
        a._require_activations(h, "h")
    return a._common(v, h, w_up, b_v, b_h)


def _clamp_mask(clamp, v):
    if clamp is None:
        return None
    c = torch.as_tensor(clamp, device=v.device)
    if c.dtype != torch.bool:
        raise TypeError(f"clamp: must be a boolean mask, got dtype {c.dtype}")
    try:
        if torch.broadcast_shapes(c.shape, v.shape) != v.shape:
            raise RuntimeError
    except RuntimeError:
        raise ValueError(f"clamp: must broadcast to the visible layer's shape {tuple(v.shape)}, got {tuple(c.shape)}") from None
    return c


def conv_energy(v, h, w_up, b_v, b_h):
    r"""Energy of a two-layer convolutional bipartite attractor net (note Eq. 2, Case 2).

    .. math:: E = -\langle h, \mathrm{up}(v)\rangle - \sum b_v v - \sum b_h h + \sum F(v) + \sum F(h)

    ``v (B, c_v, H, W)``, ``h (B, c_h, H, W)``, ``w_up (c_v, c_h, k, k)``, biases per
    channel ``(c_v,)``/``(c_h,)``.  Returns ``(B,)``.
    """
    v, h, w_up, b_v, b_h = _bipartite(v, h, w_up, b_v, b_h)
    z = conv_apply(v, w_up)
    cross = (h * z).flatten(1).sum(1)
    lin = (v * b_v.view(1, -1, 1, 1)).flatten(1).sum(1) + (h * b_h.view(1, -1, 1, 1)).flatten(1).sum(1)
    return -cross - lin + _att().barrier(v).flatten(1).sum(1) + _att().barrier(h).flatten(1).sum(1)


def conv_layerwise_sweep(v, h, w_up, b_v, b_h, *, clamp=None):
    r"""One layer-wise sweep: hidden layer from ``up(v)``, then free visible units from ``down(h)``.

    ``clamp`` is a boolean ``(B, c_v, H, W)`` (or broadcastable) mask of clamped visible units.
    Returns ``(v, h)``.
    """
    v, h, w_up, b_v, b_h = _bipartite(v, h, w_up, b_v, b_h, states=False)
    clamp = _clamp_mask(clamp, v)
    return _sweep(v, w_up, b_v, b_h, clamp)


def _sweep(v, w_up, b_v, b_h, clamp):
    h = torch.tanh(conv_apply(v, w_up) + b_h.view(1, -1, 1, 1))
    v_new = torch.tanh(conv_apply(h, down_kernel(w_up)) + b_v.view(1, -1, 1, 1))
    v = torch.where(clamp, v, v_new) if clamp is not None else v_new
    return v, h


def conv_parallel_map(state, w_up, b_v, b_h, *, shapes, clamp=None, clamp_values=None):
    r"""Parallel update of the flattened state ``[v, h]`` of the conv bipartite net.

    ``state (B, c_v·H·W + c_h·H·W)``; ``shapes = ((c_v, H, W), (c_h, H, W))``.  Clamped visible
    units are set to the constants ``clamp_values`` ``(B, c_v, H, W)`` — not copied from
    ``state`` — so that their derivative is zero, as :math:`D` of note Eq. 9 requires.  Used
    with :func:`implicit_vjp` for the stationary gradient.
    """
    if clamp is not None and clamp_values is None:
        raise ValueError("clamp_values: required with clamp (the clamped units' constant values)")
    try:
        (cv, H, Wd), (ch, H2, W2) = shapes
        cv, H, Wd, ch = (int(s_) for s_ in (cv, H, Wd, ch))
    except (TypeError, ValueError):
        raise ValueError(f"shapes: must be ((c_v, H, W), (c_h, H, W)), got {shapes!r}") from None
    if min(cv, H, Wd, ch) < 1 or (H2, W2) != (H, Wd):
        raise ValueError(f"shapes: need positive sizes and the same lattice for both layers, got {shapes!r}")
    w_up = torch.as_tensor(w_up)
    _att().require_kernel(w_up, "w_up")
    if tuple(w_up.shape[:2]) != (cv, ch):
        raise ValueError(f"w_up: must have {cv} input and {ch} output channels for these shapes, got {tuple(w_up.shape)}")
    if state.ndim != 2 or state.shape[1] != (cv + ch) * H * Wd:
        raise ValueError(f"state: must have shape (B, {(cv + ch) * H * Wd}) for these shapes, got {tuple(state.shape)}")
    if tuple(b_v.shape) != (cv,) or tuple(b_h.shape) != (ch,):
        raise ValueError(f"b_v: biases must have shapes ({cv},) and ({ch},), got {tuple(b_v.shape)}, {tuple(b_h.shape)}")
    nv = cv * H * Wd
    v = state[:, :nv].reshape(-1, cv, H, Wd)
    h = state[:, nv:].reshape(-1, ch, H, Wd)
    h_new = torch.tanh(conv_apply(v, w_up) + b_h.view(1, -1, 1, 1))
    v_new = torch.tanh(conv_apply(h, down_kernel(w_up)) + b_v.view(1, -1, 1, 1))
    if clamp is not None:
        v_new = torch.where(clamp, clamp_values.detach(), v_new)
    return torch.cat([v_new.flatten(1), h_new.flatten(1)], 1)


def bar_images(count: int, size: int, *, generator: torch.Generator | None = None, amplitude: float = 0.9,
               device=None, dtype=torch.float64) -> torch.Tensor:
    r"""Synthetic images: one random horizontal or vertical bar on a ``size x size`` lattice.

    Pixels are ``+amplitude`` on the bar and ``-amplitude`` elsewhere; shape ``(count, 1, size, size)``.
    """
    device = get_device() if device is None else torch.device(device)
    count, size = _att()._int_arg(count, "count"), _att()._int_arg(size, "size", low=2)
    amplitude = _att()._real_arg(amplitude, "amplitude", low=0.0, high=1.0, open_low=True)
    pos = torch.randint(0, size, (count,), generator=generator).view(-1, 1, 1)
    vertical = (torch.rand(count, generator=generator) < 0.5).view(-1, 1, 1)
    rows = torch.arange(size).view(1, -1, 1)
    cols = torch.arange(size).view(1, 1, -1)
    on = torch.where(vertical, cols == pos, rows == pos)
    hi, lo = torch.tensor(amplitude, dtype=dtype), torch.tensor(-amplitude, dtype=dtype)
    img = torch.where(on, hi, lo).unsqueeze(1)
    return img.to(device)


def conv_settle(v0, h0, w_up, b_v, b_h, *, clamp=None, theta: float = 1e-10, max_sweeps: int = 1000,
                return_energies: bool = False):
    r"""Layer-wise sweeps of the conv bipartite net until :math:`\|\Delta\|_\infty < \theta` (whole batch).

    Returns ``(v, h, sweeps_used)`` or, with ``return_energies``, ``(v, h, sweeps_used, energies)``
    with energies ``(sweeps_used + 1, B)`` (first row: the initial state).
    """
    v, h, w_up, b_v, b_h = _bipartite(v0, h0, w_up, b_v, b_h)
    clamp = _clamp_mask(clamp, v)
    theta = _att()._real_arg(theta, "theta", low=0.0, open_low=True)
    max_sweeps = _att()._int_arg(max_sweeps, "max_sweeps")
    trace = [conv_energy(v, h, w_up, b_v, b_h)] if return_energies else None
    used = max_sweeps
    for i in range(1, max_sweeps + 1):
        v2, h2 = _sweep(v, w_up, b_v, b_h, clamp)
        change = max(float((v2 - v).abs().max()), float((h2 - h).abs().max()))
        v, h = v2, h2
        if return_energies:
            trace.append(conv_energy(v, h, w_up, b_v, b_h))
        if change < theta:
            used = i
            break
    return (v, h, used, torch.stack(trace)) if return_energies else (v, h, used)


def conv_stationary_gradient(v, h, target, mask, w_up, b_v, b_h, *, clamp=None, tol: float = 1e-10,
                             max_iter: int = 10_000):
    r"""Stationary (Almeida–Pineda) gradient of :math:`\|(v_* - y) \odot m\|^2` for the conv bipartite net.

    ``v, h`` must be a fixed point (:func:`conv_settle`); ``target`` and ``mask`` ``(B, c_v, H, W)``.
    Uses :func:`implicit_vjp` on :func:`conv_parallel_map`, so the tying of ``W_down`` to ``W_up``
    (Case 2) is differentiated automatically.  Returns ``([d w_up, d b_v, d b_h], iterations)``.
    """
    v, h, w_up, b_v, b_h = _bipartite(v, h, w_up, b_v, b_h)
    target, mask = _att()._real_tensor(target, "target"), _att()._real_tensor(mask, "mask")
    if tuple(target.shape) != tuple(v.shape):
        raise ValueError(f"target: must have the visible layer's shape {tuple(v.shape)}, got {tuple(target.shape)}")
    if tuple(mask.shape) != tuple(v.shape):
        raise ValueError(f"mask: must have the visible layer's shape {tuple(v.shape)}, got {tuple(mask.shape)}")
    clamp = _clamp_mask(clamp, v)
    if clamp is not None:
        _att()._require_activations(target, "target")
    v, h, target, mask, w_up, b_v, b_h = _att()._common(v, h, target, mask, w_up, b_v, b_h)
    shapes = (tuple(v.shape[1:]), tuple(h.shape[1:]))
    state = torch.cat([v.flatten(1), h.flatten(1)], 1)
    gx = torch.cat([(2 * (v - target) * mask).flatten(1), torch.zeros_like(h).flatten(1)], 1)

    def step(s, w_, bv_, bh_):
        return conv_parallel_map(s, w_, bv_, bh_, shapes=shapes, clamp=clamp, clamp_values=target if clamp is not None else None)

    return _att().implicit_vjp(step, state, gx, [w_up, b_v, b_h], tol=tol, max_iter=max_iter)


def stripe_images(count: int, size: int, *, period: float = 4.0, generator: torch.Generator | None = None,
                  amplitude: float = 0.9, device=None, dtype=torch.float64) -> torch.Tensor:
    r"""Synthetic images of binary stripes: orientation 0/45/90/135 degrees, random phase.

    Pixel :math:`(r, c)` is :math:`\pm` ``amplitude`` by the sign of
    :math:`\cos(2\pi (c\cos\vartheta + r\sin\vartheta)/\text{period} + \varphi)`; shape
    ``(count, 1, size, size)``.  Every pixel is predictable from its neighbours, which makes the
    images a local completion task for a convolutional attractor net.
    """
    device = get_device() if device is None else torch.device(device)
    count, size = _att()._int_arg(count, "count"), _att()._int_arg(size, "size", low=2)
    period = _att()._real_arg(period, "period", low=0.0, open_low=True)
    amplitude = _att()._real_arg(amplitude, "amplitude", low=0.0, high=1.0, open_low=True)
    theta = (torch.randint(0, 4, (count,), generator=generator).to(dtype) * math.pi / 4).view(-1, 1, 1)
    phase = (2 * math.pi * torch.rand(count, generator=generator, dtype=dtype)).view(-1, 1, 1)
    r = torch.arange(size, dtype=dtype).view(1, -1, 1)
    c = torch.arange(size, dtype=dtype).view(1, 1, -1)
    wave = torch.cos(2 * math.pi * (c * torch.cos(theta) + r * torch.sin(theta)) / period + phase)
    hi, lo = torch.tensor(amplitude, dtype=dtype), torch.tensor(-amplitude, dtype=dtype)
    img = torch.where(wave >= 0, hi, lo).unsqueeze(1)
    return img.to(device)
