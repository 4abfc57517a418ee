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
    W0 = torch.as_tensor(W0)
    _att().require_kernel(W0, "W0", square_channels=True)
    return (W0 + W0.flip(2, 3).transpose(0, 1)) / 2


def nonnegative_self_connections(w: torch.Tensor) -> torch.Tensor:
    r"""Replace the self-connections :math:`w_{ff00}` by their absolute values (the note's last step)."""
    w = torch.as_tensor(w).clone()
    _att().require_kernel(w, "w", square_channels=True)
    r = w.shape[-1] // 2
    idx = torch.arange(w.shape[0])
    w[idx, idx, r, r] = w[idx, idx, r, r].abs()
    return w


def down_kernel(w_up: torch.Tensor) -> torch.Tensor:
    r"""Case 2: :math:`w^{down}_{g,f,-a,-b} = w^{up}_{f,g,a,b}` (transpose channels, flip space)."""
    w_up = torch.as_tensor(w_up)
    _att().require_kernel(w_up, "w_up")
    return w_up.transpose(0, 1).flip(2, 3)


def conv_apply(x: torch.Tensor, w: torch.Tensor, *, padding_mode: str = "zeros") -> torch.Tensor:
    r"""Net input of a convolutional layer in the note's indexing.

    .. math:: z_{f}(x, y) = \sum_{e, a, b} w_{e f a b}\, s_e(x + a, y + b)

    ``x (B, c_in, H, W)``, ``w (c_in, c_out, 2r+1, 2r+1)`` → ``(B, c_out, H, W)``;
    out-of-lattice units are treated according to ``padding_mode`` (``"zeros"``,
    ``"circular"``, ``"reflect"``, ``"replicate"``).
    """
    _att().require_kernel(w, "w")
    if x.ndim != 4 or x.shape[1] != w.shape[0]:
        raise ValueError(f"x: must have shape (B, {w.shape[0]}, H, W) for this kernel, got {tuple(x.shape)}")
    r = w.shape[-1] // 2
    weight = w.transpose(0, 1).to(x.dtype)  # torch layout (out, in, kh, kw), cross-correlation
    if padding_mode == "zeros":
        return torch.nn.functional.conv2d(x, weight, padding=r)
    if padding_mode not in ("circular", "reflect", "replicate"):
        raise ValueError(f"padding_mode: must be zeros, circular, reflect or replicate, got {padding_mode!r}")
    xp = torch.nn.functional.pad(x, (r, r, r, r), mode=padding_mode)
    return torch.nn.functional.conv2d(xp, weight)


def dense_operator(w: torch.Tensor, height: int, width: int, *, padding_mode: str = "zeros") -> torch.Tensor:
    r"""Materialise the convolution as a matrix ``(c_in·H·W, c_out·H·W)`` in the row convention.

    Row ``i`` is the response to the ``i``-th basis image, so ``flat(conv(x)) = flat(x) @ Wd``
    exactly as the dense net input ``z = x W``.
    """
    _att().require_kernel(w, "w")
    c_in = w.shape[0]
    m = c_in * height * width
    basis = torch.eye(m, dtype=w.dtype, device=w.device).reshape(m, c_in, height, width)
    return conv_apply(basis, w, padding_mode=padding_mode).reshape(m, -1)


def conv_energy(v, h, w_up, b_v, b_h):
    r"""Energy of a two-layer convolutional bipartite attractor net (note Eq. 2, Case 2).

    .. math:: E = -\langle h, \mathrm{up}(v)\rangle - \sum b_v v - \sum b_h h + \sum F(v) + \sum F(h)

    ``v (B, c_v, H, W)``, ``h (B, c_h, H, W)``, ``w_up (c_v, c_h, k, k)``, biases per
    channel ``(c_v,)``/``(c_h,)``.  Returns ``(B,)``.
    """
    z = conv_apply(v, w_up)
    cross = (h * z).flatten(1).sum(1)
    lin = (v * b_v.view(1, -1, 1, 1)).flatten(1).sum(1) + (h * b_h.view(1, -1, 1, 1)).flatten(1).sum(1)
    return -cross - lin + _att().barrier(v).flatten(1).sum(1) + _att().barrier(h).flatten(1).sum(1)


def conv_layerwise_sweep(v, h, w_up, b_v, b_h, *, clamp=None):
    r"""One layer-wise sweep: hidden layer from ``up(v)``, then free visible units from ``down(h)``.

    ``clamp`` is a boolean ``(B, c_v, H, W)`` (or broadcastable) mask of clamped visible units.
    Returns ``(v, h)``.
    """
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
    (cv, H, Wd), (ch, _, _) = shapes
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
    if size < 2 or count < 1:
        raise ValueError(f"size/count: need size >= 2 and count >= 1, got size={size}, count={count}")
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
    v, h = v0, h0
    trace = [conv_energy(v, h, w_up, b_v, b_h)] if return_energies else None
    used = max_sweeps
    for i in range(1, max_sweeps + 1):
        v2, h2 = conv_layerwise_sweep(v, h, w_up, b_v, b_h, clamp=clamp)
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
    if size < 2 or count < 1 or period <= 0:
        raise ValueError(f"size/count/period: need size >= 2, count >= 1, period > 0; got {size}, {count}, {period}")
    theta = (torch.randint(0, 4, (count,), generator=generator).to(dtype) * math.pi / 4).view(-1, 1, 1)
    phase = (2 * math.pi * torch.rand(count, generator=generator, dtype=dtype)).view(-1, 1, 1)
    r = torch.arange(size, dtype=dtype).view(1, -1, 1)
    c = torch.arange(size, dtype=dtype).view(1, 1, -1)
    wave = torch.cos(2 * math.pi * (c * torch.cos(theta) + r * torch.sin(theta)) / period + phase)
    hi, lo = torch.tensor(amplitude, dtype=dtype), torch.tensor(-amplitude, dtype=dtype)
    img = torch.where(wave >= 0, hi, lo).unsqueeze(1)
    return img.to(device)
