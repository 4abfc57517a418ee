"""Bad-input sweep of :mod:`rnnmath.attractor_conv` (Part III, chapter 4).

Every name of ``attractor_conv.__all__`` either computes a correct value (checked against an
independent computation: the dense operator built by the index rule, scipy/numpy
correlation, explicit formulas) or refuses its input with a ValueError/TypeError whose
message starts with the argument's name and a colon.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from rnnmath import attractor_conv as ac
from sweep._sweep import Case, run_case

D = torch.float64
CPU = "cpu"
NAN = float("nan")


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def _nan(t, idx=0):
    t = t.clone()
    t.view(-1)[idx] = NAN
    return t


def _close(a, b, tol=1e-10):
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    return a.shape == np.shape(b) and bool(np.allclose(a, b, atol=tol, rtol=tol))


K = torch.randn(2, 2, 3, 3, generator=_g(0), dtype=D)       # recurrent kernel
KU = torch.randn(1, 3, 3, 3, generator=_g(1), dtype=D)      # up kernel 1 -> 3 channels
H_, W_ = 4, 5
XS = torch.randn(2, 2, H_, W_, generator=_g(2), dtype=D)
V = 0.8 * torch.tanh(torch.randn(2, 1, H_, W_, generator=_g(3), dtype=D))
HH = 0.8 * torch.tanh(torch.randn(2, 3, H_, W_, generator=_g(4), dtype=D))
BV, BH = torch.tensor([0.1], dtype=D), torch.tensor([0.2, -0.1, 0.0], dtype=D)


def _conv_ref(x, w):
    """z[f, p, q] = sum_{e,a,b} w[e, f, a, b] x[e, p + a, q + b] with zero padding (loops)."""
    x, w = np.asarray(x), np.asarray(w)
    Bn, ci, Hn, Wn = x.shape
    co, r = w.shape[1], w.shape[2] // 2
    z = np.zeros((Bn, co, Hn, Wn))
    for e, f, a, b in itertools.product(range(ci), range(co), range(-r, r + 1), range(-r, r + 1)):
        for p, q in itertools.product(range(Hn), range(Wn)):
            if 0 <= p + a < Hn and 0 <= q + b < Wn:
                z[:, f, p, q] += w[e, f, a + r, b + r] * x[:, e, p + a, q + b]
    return z


def _F(x):
    x = np.asarray(x)
    return 0.5 * ((1 + x) * np.log1p(x) + (1 - x) * np.log1p(-x))


def _energy_ref(v, h, w, bv, bh):
    z = _conv_ref(v, w)
    return (-(h.numpy() * z).reshape(len(v), -1).sum(1) - (v.numpy() * bv.numpy()[None, :, None, None]).reshape(len(v), -1).sum(1)
            - (h.numpy() * bh.numpy()[None, :, None, None]).reshape(len(v), -1).sum(1)
            + _F(v.numpy()).reshape(len(v), -1).sum(1) + _F(h.numpy()).reshape(len(v), -1).sum(1))


def _settled():
    v, h, _ = ac.conv_settle(V, HH, 0.3 * KU, BV, BH, theta=1e-13)
    return v, h


VS, HS = _settled()
SHAPES = ((1, H_, W_), (3, H_, W_))

C = [
    Case("symmetrize_kernel", lambda: ac.symmetrize_kernel(torch.zeros(2, 3, 3, 3)), ValueError,
         r"W0: a recurrent layer needs", why="channels differ"),
    Case("symmetrize_kernel", lambda: ac.symmetrize_kernel(_nan(K)), ValueError, r"W0: must be finite", why="NaN"),
    Case("symmetrize_kernel", lambda: ac.symmetrize_kernel(torch.zeros(2, 2, 2, 2)), ValueError, r"W0: spatial size",
         why="even size"),
    Case("symmetrize_kernel", lambda: ac.symmetrize_kernel(K.numpy().tolist()), raises=None,
         ok=lambda r: _close(r, (K.numpy() + np.swapaxes(K.numpy()[:, :, ::-1, ::-1], 0, 1)) / 2),
         why="list input = the note's numpy recipe"),
    Case("nonnegative_self_connections", lambda: ac.nonnegative_self_connections(torch.zeros(1, 2, 3, 3)), ValueError,
         r"w: a recurrent layer needs", why="channels differ"),
    Case("nonnegative_self_connections", lambda: ac.nonnegative_self_connections(_nan(K)), ValueError, r"w: must be finite",
         why="NaN"),
    Case("nonnegative_self_connections", lambda: ac.nonnegative_self_connections(-torch.ones(2, 2, 1, 1, dtype=D)),
         raises=None, ok=lambda r: _close(r, np.array([[[[1.0]], [[-1.0]]], [[[-1.0]], [[1.0]]]])), why="centre taps only"),
    Case("down_kernel", lambda: ac.down_kernel(torch.zeros(2, 3, 3)), ValueError, r"w_up: must be a 4-d kernel", why="3-d"),
    Case("down_kernel", lambda: ac.down_kernel(_nan(KU)), ValueError, r"w_up: must be finite", why="NaN"),
    Case("down_kernel", lambda: ac.down_kernel(KU), raises=None,
         ok=lambda r: _close(r, np.swapaxes(KU.numpy(), 0, 1)[:, :, ::-1, ::-1]), why="transpose channels, flip space"),
    Case("conv_apply", lambda: ac.conv_apply(XS[:, :1], K), ValueError, r"x: must have shape \(B, 2, H, W\)",
         why="channel mismatch"),
    Case("conv_apply", lambda: ac.conv_apply(XS, K, padding_mode="mirror"), ValueError, r"padding_mode: must be",
         why="bad padding"),
    Case("conv_apply", lambda: ac.conv_apply(_nan(XS), K), ValueError, r"x: must be finite", why="NaN x"),
    Case("conv_apply", lambda: ac.conv_apply(XS, _nan(K)), ValueError, r"w: must be finite", why="NaN w"),
    Case("conv_apply", lambda: ac.conv_apply(torch.zeros(1, 2, 1, 1), torch.zeros(2, 2, 5, 5), padding_mode="reflect"),
         ValueError, r"x: reflect padding", why="lattice too small for reflect"),
    Case("conv_apply", lambda: ac.conv_apply(XS.to(torch.complex128), K), TypeError, r"x: must be real", why="complex"),
    Case("conv_apply", lambda: ac.conv_apply(torch.ones(1, 2, H_, W_, dtype=torch.int64), K), raises=None,
         ok=lambda r: _close(r, _conv_ref(np.ones((1, 2, H_, W_)), K.numpy())), why="integer x promoted, not truncating w"),
    Case("conv_apply", lambda: ac.conv_apply(XS.float(), K), raises=None,
         ok=lambda r: r.dtype == D and _close(r, _conv_ref(XS.float().double().numpy(), K.numpy()), 1e-12),
         why="float32 x with float64 kernel: promoted"),
    Case("dense_operator", lambda: ac.dense_operator(K, 0, 3), ValueError, r"height: must be >= 1", why="zero height"),
    Case("dense_operator", lambda: ac.dense_operator(K, 3, 2.0), TypeError, r"width: must be an integer", why="float width"),
    Case("dense_operator", lambda: ac.dense_operator(K, 3, 3, padding_mode="wrap"), ValueError, r"padding_mode: must be",
         why="bad padding"),
    Case("dense_operator", lambda: ac.dense_operator(K, 2, 3), raises=None,
         ok=lambda r: _close(r, _conv_ref(np.eye(12).reshape(12, 2, 2, 3), K.numpy()).reshape(12, -1)),
         why="rows are responses to basis images (loop reference)"),
    Case("conv_energy", lambda: ac.conv_energy(V, HH[:, :2], KU, BV, BH), ValueError, r"h: must have shape",
         why="hidden channels"),
    Case("conv_energy", lambda: ac.conv_energy(V, HH, KU, BV, BH[:2]), ValueError, r"b_h: must have shape", why="b_h"),
    Case("conv_energy", lambda: ac.conv_energy(V, HH, KU, torch.zeros(2, dtype=D), BH), ValueError, r"b_v: must have shape",
         why="b_v"),
    Case("conv_energy", lambda: ac.conv_energy(2 * V + 2, HH, KU, BV, BH), ValueError, r"v: activations", why="v outside"),
    Case("conv_energy", lambda: ac.conv_energy(V, _nan(HH), KU, BV, BH), ValueError, r"h: must be finite", why="NaN h"),
    Case("conv_energy", lambda: ac.conv_energy(V[:, 0], HH, KU, BV, BH), ValueError, r"v: must have shape", why="3-d v"),
    Case("conv_energy", lambda: ac.conv_energy(V, HH, KU, BV, BH), raises=None,
         ok=lambda r: _close(r, _energy_ref(V, HH, KU, BV, BH)), why="loop reference"),
    Case("conv_layerwise_sweep", lambda: ac.conv_layerwise_sweep(V, HH, KU, BV, BH, clamp=torch.zeros(1, 1, 2, 2, dtype=torch.bool)),
         ValueError, r"clamp: must broadcast", why="clamp shape"),
    Case("conv_layerwise_sweep", lambda: ac.conv_layerwise_sweep(V, HH, KU, BV, BH, clamp=torch.zeros(1, 1, H_, W_)),
         TypeError, r"clamp: must be a boolean mask", why="float clamp"),
    Case("conv_layerwise_sweep", lambda: ac.conv_layerwise_sweep(V, HH, _nan(KU), BV, BH), ValueError, r"w_up: must be finite",
         why="NaN kernel"),
    Case("conv_layerwise_sweep", lambda: ac.conv_layerwise_sweep(V, HH, KU, BV, BH), raises=None,
         ok=lambda r: _close(r[0], np.tanh(_conv_ref(np.tanh(_conv_ref(V.numpy(), KU.numpy()) + BH.numpy()[None, :, None, None]),
                                                      np.swapaxes(KU.numpy(), 0, 1)[:, :, ::-1, ::-1]) + 0.1)),
         why="loop reference, hidden then visible"),
    Case("conv_parallel_map", lambda: ac.conv_parallel_map(torch.zeros(2, 7), KU, BV, BH, shapes=SHAPES), ValueError,
         r"state: must have shape", why="state size"),
    Case("conv_parallel_map", lambda: ac.conv_parallel_map(torch.zeros(2, 80), KU, BV, BH, shapes=((1, 4), (3, 4, 5))),
         ValueError, r"shapes: must be", why="bad shapes"),
    Case("conv_parallel_map", lambda: ac.conv_parallel_map(torch.zeros(2, 80), KU, BV, BH, shapes=((1, 4, 5), (2, 4, 5))),
         ValueError, r"w_up: must have 1 input and 2 output", why="kernel/shapes mismatch"),
    Case("conv_parallel_map", lambda: ac.conv_parallel_map(torch.zeros(2, 80, dtype=D), KU, BV, BH, shapes=SHAPES,
                                                           clamp=torch.ones(1, 1, H_, W_, dtype=torch.bool)),
         ValueError, r"clamp_values: required", why="clamp without values"),
    Case("conv_parallel_map", lambda: ac.conv_parallel_map(torch.cat([VS.flatten(1), HS.flatten(1)], 1), 0.3 * KU, BV, BH,
                                                           shapes=SHAPES), raises=None,
         ok=lambda r: _close(r, torch.cat([VS.flatten(1), HS.flatten(1)], 1).numpy(), 1e-11),
         why="a settled state is a fixed point of the parallel map"),
    Case("conv_settle", lambda: ac.conv_settle(V, HH, KU, BV, BH, theta=0.0), ValueError, r"theta: must be >",
         why="zero theta"),
    Case("conv_settle", lambda: ac.conv_settle(V, HH, KU, BV, BH, max_sweeps=0), ValueError, r"max_sweeps: must be >= 1",
         why="zero sweeps"),
    Case("conv_settle", lambda: ac.conv_settle(_nan(V), HH, KU, BV, BH), ValueError, r"v: must be finite", why="NaN v0"),
    Case("conv_settle", lambda: ac.conv_settle(V, HH, 0.3 * KU, BV, BH, theta=1e-13), raises=None,
         ok=lambda r: _close(r[0], np.tanh(_conv_ref(r[1].numpy(), np.swapaxes(0.3 * KU.numpy(), 0, 1)[:, :, ::-1, ::-1]) + 0.1),
                             1e-11), why="ends at a fixed point (loop reference)"),
    Case("conv_stationary_gradient", lambda: ac.conv_stationary_gradient(VS, HS, V[:, :, :2], torch.ones_like(V), 0.3 * KU,
                                                                         BV, BH), ValueError, r"target: must have",
         why="target shape"),
    Case("conv_stationary_gradient", lambda: ac.conv_stationary_gradient(VS, HS, V, torch.ones(2, 1, 1, 1, dtype=D), 0.3 * KU,
                                                                         BV, BH), ValueError, r"mask: must have",
         why="mask shape"),
    Case("conv_stationary_gradient", lambda: ac.conv_stationary_gradient(0.9 * VS, HS, V, torch.ones_like(V), 0.3 * KU, BV,
                                                                         BH), ValueError, r"x_star: is not a fixed point",
         why="not a fixed point"),
    Case("conv_stationary_gradient", lambda: ac.conv_stationary_gradient(VS, HS, _nan(V), torch.ones_like(V), 0.3 * KU, BV,
                                                                         BH), ValueError, r"target: must be finite",
         why="NaN target"),
    Case("bar_images", lambda: ac.bar_images(0, 4), ValueError, r"count: must be >= 1", why="zero count"),
    Case("bar_images", lambda: ac.bar_images(2, 1), ValueError, r"size: must be >= 2", why="size 1"),
    Case("bar_images", lambda: ac.bar_images(2, 4, amplitude=1.5), ValueError, r"amplitude: must be <= 1",
         why="amplitude beyond tanh range"),
    Case("bar_images", lambda: ac.bar_images(2, 4.0), TypeError, r"size: must be an integer", why="float size"),
    Case("bar_images", lambda: ac.bar_images(3, 4, generator=_g(7), device=CPU), raises=None,
         ok=lambda r: r.shape == (3, 1, 4, 4) and all(int((im > 0).sum()) == 4 and (
             bool((im > 0).all(0).any()) or bool((im > 0).all(1).any())) for im in r[:, 0]), why="one full bar each"),
    Case("stripe_images", lambda: ac.stripe_images(2, 4, period=0.0), ValueError, r"period: must be >", why="zero period"),
    Case("stripe_images", lambda: ac.stripe_images(2, 4, period=NAN), ValueError, r"period: must be finite", why="NaN period"),
    Case("stripe_images", lambda: ac.stripe_images(-1, 4), ValueError, r"count: must be >= 1", why="negative count"),
    Case("stripe_images", lambda: ac.stripe_images(2, 4, amplitude=0.0), ValueError, r"amplitude: must be >",
         why="zero amplitude"),
    Case("stripe_images", lambda: ac.stripe_images(4, 6, generator=_g(8), device=CPU), raises=None,
         ok=lambda r: r.shape == (4, 1, 6, 6) and bool((r.abs() == 0.9).all()), why="+-0.9 pixels"),
]

CASES = C
EXEMPT = {
    "NOTE_W0": "a constant: the unconstrained kernel printed in the note (tested in tests/test_attractor.py and chapter 4)",
    "NOTE_W_PRINTED": "a constant: the note's printed symmetrised kernel (recomputed from NOTE_W0 in chapter 4)",
}


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    missing = sorted(set(ac.__all__) - covered)
    assert not missing, f"no sweep case for {missing}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
