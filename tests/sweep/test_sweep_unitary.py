"""Bad-input sweep of :mod:`rnnmath.unitary` (Part V, note 004): every public name, refused or correct."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnmath import unitary as U
from sweep._sweep import Case, run_case

F64 = torch.float64
NAN = float("nan")
_g = torch.Generator().manual_seed(11)


def _r(*s):
    return torch.randn(*s, generator=_g, dtype=F64)


_A = _r(3, 3)
W3 = 0.8 * _A / torch.linalg.matrix_norm(_A, 2)  # contractive, ||W|| = 0.8
F3, B3, C3, H3 = _r(3, 2), _r(3), _r(2, 3), _r(3)
X3 = _r(7, 2)
X3 = X3 / X3.norm(dim=-1, keepdim=True).clamp_min(1.0)  # ||x_k|| <= 1
THETA = U.RNNParams(W3, F3, B3, C3, H3)
_Zc = torch.randn(3, 3, dtype=torch.complex128, generator=_g)
WC = 0.8 * _Zc / torch.linalg.matrix_norm(_Zc, 2)  # complex, ||W|| = 0.8
EYE3 = torch.eye(3, dtype=F64)


def nan_at(t, idx=0):
    t = t.clone()
    t.view(-1)[idx] = NAN
    return t


def close(a, b, tol=1e-10):
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    return a.shape == b.shape and bool(((a - b).abs() <= tol * (1 + b.abs())).all())


def loop_run(W, F, b, C, x, h0, phi=torch.relu):
    """Independent reference: an explicit per-step loop in float64."""
    h, ys = h0.clone(), []
    for k in range(x.shape[0]):
        h = phi(W @ h + F @ x[k] + b)
        ys.append(C @ h)
    return torch.stack(ys)


Y_REF = loop_run(W3, F3, B3, C3, X3, H3)


def _models(sizes=(2, 3), R=2):
    return U.init_rnn_models(list(sizes), R, 2, 1, generator=torch.Generator().manual_seed(0), device="cpu", dtype=F64)


MODELS = _models()
XM, YM = _r(2, 4, 5, 2), _r(2, 4, 5, 1)


def _digits_small():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(12, 6, 1, generator=g, dtype=F64), torch.arange(12) % 3,
            torch.rand(6, 6, 1, generator=g, dtype=F64), torch.arange(6) % 3)


XD, YD, XDT, YDT = _digits_small()


def _is_orthogonal(Q, tol=1e-12):
    eye = torch.eye(Q.shape[-1], dtype=Q.dtype)
    return bool(((Q @ Q.mH - eye).abs().max() < tol) and ((Q.mH @ Q - eye).abs().max() < tol))


CASES = [
    # ---------------------------------------------------------------- get_activation
    Case("get_activation", lambda: U.get_activation("swish"), ValueError, r"^activation: unknown", why="unknown name"),
    Case("get_activation", lambda: U.get_activation(3), TypeError, r"^activation: must be a name", why="not a name"),
    Case("get_activation", lambda: U.get_activation("sigmoid"), None,
         ok=lambda f: close(f(torch.zeros(1, dtype=F64)), torch.full((1,), 0.5, dtype=F64)), why="sigmoid(0) = 1/2"),
    # ---------------------------------------------------------------- RNNParams
    Case("RNNParams", lambda: U.RNNParams(W3, _r(4, 2), B3, C3, H3), ValueError, r"^F: must have shape", why="F rows != n"),
    Case("RNNParams", lambda: U.RNNParams(W3[:, :2], F3, B3, C3, H3), ValueError, r"^W: must be a square", why="W not square"),
    Case("RNNParams", lambda: U.RNNParams(W3, F3, B3, C3, _r(2)), ValueError, r"^h0: must have shape", why="h0 size"),
    Case("RNNParams", lambda: U.RNNParams(nan_at(W3), F3, B3, C3, H3), ValueError, r"^W: must be finite", why="NaN W"),
    Case("RNNParams", lambda: U.RNNParams("W", F3, B3, C3, H3), TypeError, r"^W: must be an array", why="string W"),
    Case("RNNParams", lambda: U.RNNParams([[1.0, 2.0], [3.0]], F3, B3, C3, H3), TypeError, r"^W: must be an array",
         why="ragged nested list"),
    Case("RNNParams", lambda: U.RNNParams(np.array([["a"]]), F3, B3, C3, H3), TypeError, r"^W: must be numeric", why="string array"),
    Case("RNNParams", lambda: U.RNNParams(W3, F3[:, 0], B3, C3, H3), ValueError, r"^F: must have shape", why="1-D F"),
    Case("RNNParams", lambda: U.RNNParams(W3, F3, B3, C3[0], H3), ValueError, r"^C: must have shape", why="1-D C"),
    Case("RNNParams", lambda: U.RNNParams(W3, F3, torch.tensor(1.0), C3, H3), ValueError, r"^b: must have shape", why="0-d b"),
    Case("RNNParams", lambda: U.RNNParams(W3, F3, B3, C3, None), None,
         ok=lambda p: close(p.h0, torch.zeros(3, dtype=F64)) and close(p.run(X3)[0], loop_run(W3, F3, B3, C3, X3, 0 * H3)),
         why="h0 None means h_-1 = 0"),
    Case("RNNParams", lambda: U.RNNParams(torch.eye(3, dtype=torch.int64), F3.numpy(), B3.tolist(), C3, H3), None,
         ok=lambda p: p.W.dtype == F64 and close(p.W, EYE3) and close(p.b, B3), why="int / numpy / list inputs promoted"),
    # ---------------------------------------------------------------- rnn_run
    Case("rnn_run", lambda: U.rnn_run(W3, F3, B3, C3, X3[:, :1], H3), ValueError, r"^x: must have shape", why="x width != m"),
    Case("rnn_run", lambda: U.rnn_run(W3, F3, B3, C3, X3[:0], H3), ValueError, r"^x: needs at least one time step", why="T = 0"),
    Case("rnn_run", lambda: U.rnn_run(W3, F3, B3, C3, X3[0], H3), ValueError, r"^x: must have 2 or", why="1-D x (no time axis)"),
    Case("rnn_run", lambda: U.rnn_run(W3, F3, B3, C3, nan_at(X3), H3), ValueError, r"^x: must be finite", why="NaN input"),
    Case("rnn_run", lambda: U.rnn_run(W3, F3, nan_at(B3), C3, X3, H3), ValueError, r"^b: must be finite", why="NaN bias"),
    Case("rnn_run", lambda: U.rnn_run(W3, F3, B3, C3, X3, H3.expand(2, 3), activation="tanh"), None,
         ok=lambda r: close(r[0][1], loop_run(W3, F3, B3, C3, X3, H3, torch.tanh)), why="batched h0 broadcast"),
    Case("rnn_run", lambda: U.rnn_run(W3.expand(2, 3, 3), F3, B3, C3, X3.expand(3, 7, 2), H3), ValueError,
         r"^x: batch dimensions", why="batch dims 2 vs 3"),
    Case("rnn_run", lambda: U.rnn_run(WC, F3, B3, C3, X3, H3), TypeError, r"^W: complex values need activation 'identity'",
         why="complex W with relu"),
    Case("rnn_run", lambda: U.rnn_run(WC, F3, B3, C3, X3, H3, activation="identity"), None,
         ok=lambda r: close(r[0], loop_run(WC, F3.cdouble(), B3.cdouble(), C3.cdouble(), X3.cdouble(), H3.cdouble(),
                                           lambda z: z)), why="complex W, identity activation"),
    Case("rnn_run", lambda: U.rnn_run(W3.float(), F3, B3, C3, X3.numpy(), H3.tolist()), None,
         ok=lambda r: r[0].dtype == F64 and close(r[0], Y_REF, 1e-6), why="mixed float32/float64/numpy/list"),
    Case("rnn_run", lambda: U.rnn_run(W3.half(), F3, B3, C3, X3, H3), None,
         ok=lambda r: r[0].dtype == F64 and close(r[0], loop_run(W3.half().double(), F3, B3, C3, X3, H3)),
         why="float16 promoted, not truncated"),
    Case("rnn_run", lambda: U.rnn_run(torch.ones(1, 1, dtype=torch.int64), torch.ones(1, 1, dtype=torch.int64),
                                      torch.zeros(1), torch.ones(1, 1), torch.full((3, 1), 0.5)), None,
         ok=lambda r: close(r[0][:, 0], torch.tensor([0.5, 1.0, 1.5], dtype=F64)), why="integer W kept exact (no truncation of states)"),
    Case("rnn_run", lambda: U.rnn_run(W3, F3, B3, C3, X3, H3, activation="swish"), ValueError, r"^activation: unknown",
         why="bad activation"),
    Case("rnn_run", lambda: U.rnn_run(torch.zeros(0, 0), torch.zeros(0, 1), torch.zeros(0), torch.zeros(1, 0), X3[:, :1]),
         ValueError, r"^W: needs at least one state", why="n = 0"),
    # ---------------------------------------------------------------- similarity_transform
    Case("similarity_transform", lambda: U.similarity_transform(THETA, torch.zeros(3, 3)), ValueError, r"^T: must be invertible",
         why="singular T"),
    Case("similarity_transform", lambda: U.similarity_transform(THETA, EYE3[:2]), ValueError, r"^T: must have shape", why="T 2x3"),
    Case("similarity_transform", lambda: U.similarity_transform(THETA, nan_at(EYE3)), ValueError, r"^T: must be finite", why="NaN T"),
    Case("similarity_transform", lambda: U.similarity_transform((W3, F3), EYE3), TypeError, r"^params: must be an RNNParams",
         why="tuple params"),
    Case("similarity_transform", lambda: U.similarity_transform(THETA, (2 * EYE3).int()), None,
         ok=lambda p: close(p.b, 2 * B3) and close(p.run(X3, "identity")[0], THETA.run(X3, "identity")[0]),
         why="integer T = 2I: b -> 2b, outputs kept"),
    # ---------------------------------------------------------------- lipschitz_estimate
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", 0), ValueError, r"^n_pairs: must be an integer >= 1", why="0 pairs"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", 2.5), ValueError, r"^n_pairs: must be a whole", why="fractional"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", "100"), TypeError, r"^n_pairs: must be an integer", why="string"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", True), TypeError, r"^n_pairs: must be an integer", why="bool"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", 100, "big"), TypeError, r"^scale: must be a real number",
         why="string scale"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", 100, NAN), ValueError, r"^scale: must be a finite", why="NaN scale"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("relu", 100, -1.0), ValueError, r"^scale: must lie in", why="negative scale"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate(lambda z: torch.log(z), 100), ValueError, r"^activation: returned NaN",
         why="activation NaN on the sample"),
    Case("lipschitz_estimate", lambda: U.lipschitz_estimate("sigmoid", 20_000, generator=torch.Generator().manual_seed(1)), None,
         ok=lambda v: abs(v - 0.25) < 1e-3, why="sigmoid: 1/4"),
    # ---------------------------------------------------------------- psd_sqrt
    Case("psd_sqrt", lambda: U.psd_sqrt(torch.tensor([[1.0, 0.3], [0.0, 1.0]], dtype=F64)), ValueError, r"^M: must be symmetric",
         why="non-symmetric M refused, not symmetrised"),
    Case("psd_sqrt", lambda: U.psd_sqrt(-EYE3), ValueError, r"^M: must be positive semidefinite", why="negative definite"),
    Case("psd_sqrt", lambda: U.psd_sqrt(nan_at(EYE3)), ValueError, r"^M: must be finite", why="NaN"),
    Case("psd_sqrt", lambda: U.psd_sqrt(EYE3, atol=NAN), ValueError, r"^atol: must be a finite", why="NaN atol"),
    Case("psd_sqrt", lambda: U.psd_sqrt(torch.zeros(0, 0)), ValueError, r"^M: must not be empty", why="empty"),
    Case("psd_sqrt", lambda: U.psd_sqrt(torch.zeros(2, 3)), ValueError, r"^M: must be a square", why="2x3"),
    Case("psd_sqrt", lambda: U.psd_sqrt(torch.tensor([[4, 0], [0, 9]])), None,
         ok=lambda R: close(R, torch.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=F64)), why="integer diag(4, 9) -> diag(2, 3)"),
    Case("psd_sqrt", lambda: U.psd_sqrt(WC @ WC.mH), None,
         ok=lambda R: close(R @ R, WC @ WC.mH, 1e-10) and close(R, R.mH, 1e-12), why="complex Hermitian PSD"),
    # ---------------------------------------------------------------- unitary_dilation
    Case("unitary_dilation", lambda: U.unitary_dilation(1.1 * EYE3), ValueError, r"^W: must be non-expansive",
         why="expansive W refused by the W guard (not by psd_sqrt)"),
    Case("unitary_dilation", lambda: U.unitary_dilation(nan_at(W3)), ValueError, r"^W: must be finite", why="NaN W"),
    Case("unitary_dilation", lambda: U.unitary_dilation(W3[:2]), ValueError, r"^W: must be a square", why="2x3 W"),
    Case("unitary_dilation", lambda: U.unitary_dilation(torch.zeros(0, 0)), ValueError, r"^W: needs n >= 1", why="0x0 W"),
    Case("unitary_dilation", lambda: U.unitary_dilation(WC), None,
         ok=lambda Uw: _is_orthogonal(Uw) and close(Uw[:3, :3], WC), why="complex W: U U^H = I (conjugate transpose)"),
    Case("unitary_dilation", lambda: U.unitary_dilation(W3.numpy().tolist()), None,
         ok=lambda Uw: _is_orthogonal(Uw) and close(Uw[:3, :3], W3), why="list input"),
    Case("unitary_dilation", lambda: U.unitary_dilation(torch.zeros(2, 2, dtype=torch.int32)), None,
         ok=lambda Uw: close(Uw, torch.tensor([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], dtype=F64)),
         why="integer zero W -> swap permutation"),
    # ---------------------------------------------------------------- relu_state_bound
    Case("relu_state_bound", lambda: U.relu_state_bound(nan_at(W3), F3, B3, 1.0), ValueError, r"^W: must be finite", why="NaN W"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, nan_at(F3), B3, 1.0), ValueError, r"^F: must be finite", why="NaN F"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, F3, B3, NAN), ValueError, r"^input_bound: must be a finite", why="NaN X"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, F3, B3, -1.0), ValueError, r"^input_bound: must lie in", why="X < 0"),
    Case("relu_state_bound", lambda: U.relu_state_bound(EYE3, F3, B3, 1.0), ValueError, r"^W: must be contractive", why="||W|| = 1"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, F3[:2], B3, 1.0), ValueError, r"^F: must have shape", why="F rows"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, F3, B3[:2], 1.0), ValueError, r"^b: must have shape", why="b size"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3.expand(2, 3, 3), F3, B3, 1.0), ValueError, r"^W: must have 2 dim",
         why="batched W"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3[:, :2], F3[:2], B3[:2], 1.0), ValueError, r"^W: must be a square",
         why="3x2 W"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, F3, B3, 1.0, H3[:2]), ValueError, r"^h0: must have shape", why="h0 size"),
    Case("relu_state_bound", lambda: U.relu_state_bound(W3, F3[:, 0], B3, 1.0), ValueError, r"^F: must have shape", why="1-D F"),
    Case("relu_state_bound", lambda: U.relu_state_bound(WC, F3, B3, 1.0), TypeError, r"^W: must be real-valued", why="complex W"),
    Case("relu_state_bound", lambda: U.relu_state_bound([[0.5]], [[1]], [0], 1), None, ok=lambda B: abs(B - 2.0) < 1e-14,
         why="scalar w = 1/2: B = 1/(1 - 1/2) = 2"),
    # ---------------------------------------------------------------- require_bounded_input
    Case("require_bounded_input", lambda: U.require_bounded_input(X3, NAN), ValueError, r"^input_bound: must be a finite",
         why="NaN bound (not blamed on x)"),
    Case("require_bounded_input", lambda: U.require_bounded_input(nan_at(X3), 1.0), ValueError, r"^x: must be finite", why="NaN x"),
    Case("require_bounded_input", lambda: U.require_bounded_input(X3[:0], 1.0), ValueError, r"^x: is empty", why="empty x"),
    Case("require_bounded_input", lambda: U.require_bounded_input(X3[0], 1.0), ValueError, r"^x: must have 2 or", why="1-D x"),
    Case("require_bounded_input", lambda: U.require_bounded_input(3 * X3 + 3, 1.0), ValueError, r"^x: inputs must be bounded",
         why="above the bound"),
    Case("require_bounded_input", lambda: U.require_bounded_input(X3, 1.0), None, ok=lambda r: r is X3, why="within: returned unchanged"),
    # ---------------------------------------------------------------- orthogonal_embedding
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(THETA, 1.0, offset=0.0), ValueError,
         r"^offset: must be >= the state bound", why="offset 0 refused (it changes the outputs)"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(THETA, 1.0, offset=NAN), ValueError, r"^offset: must be a finite",
         why="NaN offset"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(THETA, NAN), ValueError, r"^input_bound: must be a finite",
         why="NaN input bound"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(U.RNNParams(EYE3, F3, B3, C3, H3), 1.0), ValueError,
         r"^W: must be contractive", why="||W|| = 1"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(U.RNNParams(WC, F3, B3, C3, H3), 1.0), TypeError,
         r"^W: must be real-valued", why="complex W"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(U.RNNParams(W3, F3.cdouble(), B3, C3, H3), 1.0), TypeError,
         r"^W: must be real-valued", why="complex F (promotes the whole network)"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(dict(W=W3), 1.0), TypeError, r"^params: must be an RNNParams",
         why="dict params"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(THETA, 1.0).run(X3), None,
         ok=lambda r: close(r[0], Y_REF, 1e-12) and bool((r[1][:, 3:] == 0).all()), why="outputs = explicit loop"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(THETA, 1.0).run(3 * X3 + 3), ValueError,
         r"^x: inputs must be bounded", why="embedding refuses inputs above its bound"),
    # ---------------------------------------------------------------- one_state_urnn_invariants
    Case("one_state_urnn_invariants", lambda: U.one_state_urnn_invariants(torch.ones(2)), ValueError, r"^y: need at least 3",
         why="2 samples"),
    Case("one_state_urnn_invariants", lambda: U.one_state_urnn_invariants(torch.tensor(1.0)), ValueError, r"^y: need at least 3",
         why="0-d"),
    Case("one_state_urnn_invariants", lambda: U.one_state_urnn_invariants(torch.tensor([1.0, NAN, 1.0])), ValueError,
         r"^y: must be finite", why="NaN"),
    Case("one_state_urnn_invariants", lambda: U.one_state_urnn_invariants(torch.tensor([1.0, 0.0, 1.0])), ValueError,
         r"^y: must be positive", why="zero output: outside the positive regime"),
    Case("one_state_urnn_invariants", lambda: U.one_state_urnn_invariants([1, 2, 3, 4]), None,
         ok=lambda d: float(d["u=+1"]) == 0.0 and float(d["u=-1"]) == 2.0, why="integer arithmetic run"),
    # ---------------------------------------------------------------- fit_one_state_urnn
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(5, 1), torch.ones(4, 1)), ValueError, r"^y: must have shape",
         why="length mismatch"),
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(5, 1), torch.ones(5, 1), n_starts=0), ValueError,
         r"^n_starts: must be an integer >= 1", why="no starts"),
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(5, 1), torch.ones(5, 1), steps=0), ValueError,
         r"^steps: must be an integer >= 1", why="no steps"),
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(5, 1), torch.ones(5, 1), lr=NAN), ValueError,
         r"^lr: must be a finite", why="NaN lr"),
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(5, 1), nan_at(torch.ones(5, 1))), ValueError,
         r"^y: must be finite", why="NaN y"),
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(4, 2), torch.ones(4, 1)), ValueError, r"^x: must have shape",
         why="x width 2"),
    # ---------------------------------------------------------------- sigmoid_embedding_error
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(THETA, X3, torch.tensor([NAN])), ValueError,
         r"^offsets: must be finite", why="NaN offset"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(THETA, X3, torch.zeros(0)), ValueError, r"^offsets: is empty",
         why="no offsets"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(THETA, X3[:, :1], [1.0]), ValueError, r"^x: must have shape",
         why="x width"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(THETA, X3, torch.zeros(2, 2)), ValueError,
         r"^offsets: must have 1", why="2-D offsets"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(U.RNNParams(EYE3, F3, B3, C3, H3), X3, [1.0]), ValueError,
         r"^W: must be contractive", why="||W|| = 1"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(THETA, X3, [1, 30]), None,
         ok=lambda e: bool((e > 0).all()) and float(e[1]) < 1e-9 < float(e[0]), why="integer offsets, error positive, shrinking"),
    # ---------------------------------------------------------------- contractive_weight
    Case("contractive_weight", lambda: U.contractive_weight(torch.ones(3, 3)), ValueError, r"^A: must be invertible",
         why="singular A (W would have norm 1)"),
    Case("contractive_weight", lambda: U.contractive_weight(torch.zeros(3, 3)), ValueError, r"^A: must be invertible", why="zero A"),
    Case("contractive_weight", lambda: U.contractive_weight(_A, 0.0), ValueError, r"^eps: must lie in", why="eps = 0 gives W = I"),
    Case("contractive_weight", lambda: U.contractive_weight(_A, NAN), ValueError, r"^eps: must be a finite", why="NaN eps"),
    Case("contractive_weight", lambda: U.contractive_weight(_A, 1.5), ValueError, r"^eps: must lie in", why="eps > 1"),
    Case("contractive_weight", lambda: U.contractive_weight(nan_at(_A)), ValueError, r"^A: must be finite", why="NaN A"),
    Case("contractive_weight", lambda: U.contractive_weight(_A[:2]), ValueError, r"^A: must be a square", why="2x3"),
    Case("contractive_weight", lambda: U.contractive_weight(torch.tensor([[2, 0], [0, 1]]), 0.5), None,
         ok=lambda W: close(W, torch.tensor([[0.5, 0.0], [0.0, 0.875]], dtype=F64)), why="integer diag(2, 1), eps 1/2"),
    # ---------------------------------------------------------------- make_synthetic_systems
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(0), ValueError, r"^n_real: must be an integer >= 1", why="0"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(1, on_fraction=1.0), ValueError, r"^on_fraction: must lie in",
         why="always on"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(1, on_fraction=NAN), ValueError, r"^on_fraction: must be a finite",
         why="NaN"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(1, eps=0.0), ValueError, r"^eps: must lie in", why="eps 0"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(1, n_hidden=0), ValueError, r"^n_hidden: must be an integer",
         why="0 units"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(1, calib_T=0), ValueError, r"^calib_T: must be an integer",
         why="0 steps"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(1, bias_range=-1.0), ValueError, r"^bias_range: must lie in",
         why="negative range"),
    Case("make_synthetic_systems", lambda: U.make_synthetic_systems(2, n_hidden=3, calib_T=4000, generator=torch.Generator().manual_seed(0),
                                                                    device="cpu"), None,
         ok=lambda s: float(torch.linalg.matrix_norm(s.W, 2).max()) < 1 and s.W.shape == (2, 3, 3), why="contractive 3-unit systems"),
    # ---------------------------------------------------------------- generate_sequences
    Case("generate_sequences", lambda: U.generate_sequences(THETA, 2, 5, 20.0), ValueError, r"^system: must have 3", why="unbatched system"),
    Case("generate_sequences", lambda: U.generate_sequences(U.RNNParams(*(t.unsqueeze(0) for t in THETA.astuple())), 0, 5, 20.0),
         ValueError, r"^n_seq: must be an integer >= 1", why="0 sequences"),
    Case("generate_sequences", lambda: U.generate_sequences(U.RNNParams(*(t.unsqueeze(0) for t in THETA.astuple())), 2, 0, 20.0),
         ValueError, r"^T: must be an integer >= 1", why="T = 0"),
    Case("generate_sequences", lambda: U.generate_sequences(U.RNNParams(*(t.unsqueeze(0) for t in THETA.astuple())), 2, 5, NAN),
         ValueError, r"^snr_db: must be a finite", why="NaN SNR"),
    Case("generate_sequences", lambda: U.generate_sequences(THETA.W, 2, 5, 20.0), TypeError, r"^system: must be an RNNParams",
         why="tensor instead of params"),
    Case("generate_sequences", lambda: U.generate_sequences(U.RNNParams(*(t.unsqueeze(0) for t in THETA.astuple())), 3, 6, 20.0,
                                                            generator=torch.Generator().manual_seed(0)), None,
         ok=lambda r: close(r[1][0, 0], loop_run(W3, F3, B3, C3, r[0][0, 0], H3), 1e-12), why="clean outputs = explicit loop"),
    # ---------------------------------------------------------------- orthogonal_projection
    Case("orthogonal_projection", lambda: U.orthogonal_projection(nan_at(W3)), ValueError, r"^W: must be finite",
         why="NaN (was a cryptic SVD error)"),
    Case("orthogonal_projection", lambda: U.orthogonal_projection(torch.zeros(3, 4)), ValueError, r"^W: must be a square", why="3x4"),
    Case("orthogonal_projection", lambda: U.orthogonal_projection(torch.zeros(0, 0)), ValueError, r"^W: needs n >= 1", why="empty"),
    Case("orthogonal_projection", lambda: U.orthogonal_projection(torch.tensor([[3, 0], [0, -2]])), None,
         ok=lambda Q: close(Q, torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=F64)), why="integer diag(3, -2) -> diag(1, -1)"),
    Case("orthogonal_projection", lambda: U.orthogonal_projection(WC), None, ok=lambda Q: _is_orthogonal(Q, 1e-12),
         why="complex: nearest unitary"),
    # ---------------------------------------------------------------- masked_orthogonal_projection
    Case("masked_orthogonal_projection", lambda: U.masked_orthogonal_projection(W3, torch.tensor([1.0, 0.5, 0.0])), ValueError,
         r"^mask: entries must be 0 or 1", why="fractional mask"),
    Case("masked_orthogonal_projection", lambda: U.masked_orthogonal_projection(W3, torch.ones(2)), ValueError, r"^mask: must have shape",
         why="mask size"),
    Case("masked_orthogonal_projection", lambda: U.masked_orthogonal_projection(nan_at(W3), torch.ones(3)), ValueError,
         r"^W: must be finite", why="NaN W"),
    Case("masked_orthogonal_projection", lambda: U.masked_orthogonal_projection(W3, [1, 1, 0]), None,
         ok=lambda Q: close(Q[:2, :2], U.orthogonal_projection(W3[:2, :2]), 1e-12) and bool((Q[2] == 0).all()),
         why="integer list mask: active block = projection of the block"),
    # ---------------------------------------------------------------- init_rnn_models
    Case("init_rnn_models", lambda: U.init_rnn_models([0, 3], 1, 1, 1, device="cpu"), ValueError, r"^sizes: must be an integer >= 1",
         why="size 0"),
    Case("init_rnn_models", lambda: U.init_rnn_models([], 1, 1, 1, device="cpu"), ValueError, r"^sizes: need at least one", why="no sizes"),
    Case("init_rnn_models", lambda: U.init_rnn_models(4, 1, 1, 1, device="cpu"), TypeError, r"^sizes: must be a sequence", why="bare int"),
    Case("init_rnn_models", lambda: U.init_rnn_models([2.5], 1, 1, 1, device="cpu"), ValueError, r"^sizes: must be a whole",
         why="fractional size (was truncated)"),
    Case("init_rnn_models", lambda: U.init_rnn_models([2], 0, 1, 1, device="cpu"), ValueError, r"^n_models_per_size: must be",
         why="0 models"),
    Case("init_rnn_models", lambda: U.init_rnn_models([2], 1, 0, 1, device="cpu"), ValueError, r"^n_in: must be an integer", why="n_in 0"),
    Case("init_rnn_models", lambda: U.init_rnn_models([2, 4], 2, 1, 1, device="cpu", dtype=F64), None,
         ok=lambda p: _is_orthogonal(p["W"][1, 0]) and bool((p["W"][0, :, 2:] == 0).all()), why="orthogonal blocks, zero padding"),
    # ---------------------------------------------------------------- unpad_model
    Case("unpad_model", lambda: U.unpad_model(MODELS, 2, 0), ValueError, r"^s: must be a size index", why="s out of range"),
    Case("unpad_model", lambda: U.unpad_model(MODELS, 0, -1), ValueError, r"^r: must be an integer >= 0", why="negative r"),
    Case("unpad_model", lambda: U.unpad_model({"W": 1}, 0, 0), TypeError, r"^params: must be a dict", why="bad dict"),
    Case("unpad_model", lambda: U.unpad_model(MODELS, 0, 1), None,
         ok=lambda p: p["W"].shape == (1, 1, 2, 2) and close(p["W"][0, 0], MODELS["W"][0, 1, :2, :2]), why="block extracted"),
    # ---------------------------------------------------------------- train_rnn_models
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM[:1], YM, unitary=False, epochs=1, show_progress=False),
         ValueError, r"^x: must have shape", why="R mismatch"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM[..., :0], unitary=False, epochs=1, show_progress=False),
         ValueError, r"^y: must have shape", why="p mismatch"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=False, epochs=0, show_progress=False),
         ValueError, r"^epochs: must be an integer >= 1", why="0 epochs"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=False, epochs=1, lr=NAN, show_progress=False),
         ValueError, r"^lr: must be a finite", why="NaN lr"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, nan_at(XM), YM, unitary=False, epochs=1, show_progress=False),
         ValueError, r"^x: must be finite", why="NaN x"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=[True], epochs=1, show_progress=False),
         ValueError, r"^unitary: must be a bool or 2 bools", why="wrong number of flags"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=False, epochs=1, order=torch.zeros(1, 4, dtype=torch.long),
                                                        show_progress=False), ValueError, r"^order: each row must be a permutation",
         why="order repeats a sequence"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=False, epochs=1, max_grad_norm=-1.0,
                                                        show_progress=False), ValueError, r"^max_grad_norm: must lie in", why="negative clip"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM.float(), YM.numpy(), unitary=True, epochs=1, show_progress=False),
         None, ok=lambda r: r[0]["W"].dtype == F64 and _is_orthogonal(r[0]["W"][1, 0], 1e-10), why="float32/numpy data converted"),
    # ---------------------------------------------------------------- predict_rnn_models
    Case("predict_rnn_models", lambda: U.predict_rnn_models(MODELS, XM[..., :1]), ValueError, r"^x: must have shape", why="m mismatch"),
    Case("predict_rnn_models", lambda: U.predict_rnn_models(MODELS, nan_at(XM)), ValueError, r"^x: must be finite", why="NaN"),
    Case("predict_rnn_models", lambda: U.predict_rnn_models(MODELS, XM[:, :, :0]), ValueError, r"^x: needs N, T >= 1", why="T = 0"),
    Case("predict_rnn_models", lambda: U.predict_rnn_models((MODELS,), XM), TypeError, r"^params: must be a dict", why="tuple"),
    Case("predict_rnn_models", lambda: U.predict_rnn_models(MODELS, XM), None,
         ok=lambda y: close(y[1, 0, 2], loop_run(MODELS["W"][1, 0], MODELS["F"][1, 0], MODELS["b"][1, 0], MODELS["C"][1, 0],
                                                XM[0, 2], torch.zeros(3, dtype=F64))), why="= explicit loop"),
    # ---------------------------------------------------------------- r2_score
    Case("r2_score", lambda: U.r2_score(torch.zeros(2, 3, 1), torch.ones(2, 3, 1)), ValueError, r"^y_true: must vary",
         why="constant target (was -inf/NaN)"),
    Case("r2_score", lambda: U.r2_score(torch.zeros(2, 3, 1), torch.zeros(3, 1)), ValueError, r"^y_true: must have 3", why="2-D"),
    Case("r2_score", lambda: U.r2_score(torch.zeros(2, 4, 1), _r(2, 3, 1)), ValueError, r"^y_pred: ", why="shape mismatch"),
    Case("r2_score", lambda: U.r2_score(nan_at(torch.zeros(2, 3, 1)), _r(2, 3, 1)), ValueError, r"^y_pred: must be finite", why="NaN"),
    Case("r2_score", lambda: U.r2_score(torch.zeros(2, 3, 1), torch.tensor([[[1], [2], [3]], [[4], [5], [6]]])), None,
         ok=lambda r: abs(float(r) - (1 - 91 / 17.5)) < 1e-12, why="integer targets: 1 - 91/17.5"),
    # ---------------------------------------------------------------- run_learning_experiment
    Case("run_learning_experiment", lambda: U.run_learning_experiment(sizes=[2], n_real=1, snr_db=20, T=5, n_seq=4, epochs=1,
                                                                      test_ratio=2.0, device="cpu"), ValueError,
         r"^test_ratio: must lie in", why="ratio 2"),
    Case("run_learning_experiment", lambda: U.run_learning_experiment(sizes=[2], n_real=1, snr_db=NAN, T=5, n_seq=4, epochs=1,
                                                                      device="cpu"), ValueError, r"^snr_db: must be a finite", why="NaN SNR"),
    Case("run_learning_experiment", lambda: U.run_learning_experiment(sizes=[2], n_real=1, snr_db=20, T=5, n_seq=1, epochs=1,
                                                                      device="cpu"), ValueError, r"^n_seq: must be an integer >= 2",
         why="one sequence: no train/test split"),
    Case("run_learning_experiment", lambda: U.run_learning_experiment(sizes=[0], n_real=1, snr_db=20, T=5, n_seq=4, epochs=1,
                                                                      device="cpu"), ValueError, r"^sizes: must be an integer", why="size 0"),
    Case("run_learning_experiment", lambda: U.run_learning_experiment(sizes=[2], n_real=1, snr_db=20, T=5, n_seq=4, epochs=0,
                                                                      device="cpu"), ValueError, r"^epochs: must be an integer", why="0 epochs"),
    # ---------------------------------------------------------------- permuted_digits
    Case("permuted_digits", lambda: U.permuted_digits(test_ratio=0.0, device="cpu"), ValueError, r"^test_ratio: must lie in",
         why="no test set"),
    Case("permuted_digits", lambda: U.permuted_digits(test_ratio=NAN, device="cpu"), ValueError, r"^test_ratio: must be a finite",
         why="NaN"),
    Case("permuted_digits", lambda: U.permuted_digits(seed=-1, device="cpu"), ValueError, r"^seed: must be an integer >= 0",
         why="negative seed"),
    Case("permuted_digits", lambda: U.permuted_digits(seed=0, device="cpu", dtype=F64), None,
         ok=lambda d: d["x_train"].shape[1:] == (64, 1) and sorted(d["permutation"].tolist()) == list(range(64))
         and d["x_train"].shape[0] + d["x_test"].shape[0] == 1797, why="64-step sequences, all 1797 images"),
    # ---------------------------------------------------------------- train_sequence_classifiers
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD[:5], XDT, YDT, hidden=4, show_progress=False),
         ValueError, r"^y_train: must have shape", why="label count"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD + 20, XDT, YDT, hidden=4, show_progress=False),
         ValueError, r"^y_train: labels must lie in", why="label 20 of 10 classes"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD.double(), XDT, YDT, hidden=4, show_progress=False),
         TypeError, r"^y_train: class labels must be integers", why="float labels"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT[..., :0], YDT, hidden=4, show_progress=False),
         ValueError, r"^x_test: must have shape", why="x_test width"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT, YDT, hidden=0, show_progress=False),
         ValueError, r"^hidden: must be an integer >= 1", why="0 states"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT, YDT, hidden=4, unitary=(),
                                                                            show_progress=False), ValueError,
         r"^unitary: must be a non-empty", why="no models"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(nan_at(XD), YD, XDT, YDT, hidden=4, show_progress=False),
         ValueError, r"^x_train: must be finite", why="NaN pixels"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT, YDT, hidden=4, lr=0.0, show_progress=False),
         ValueError, r"^lr: must lie in", why="lr 0"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT, YDT, hidden=4, epochs=1, show_progress=False),
         None, ok=lambda r: r["test_accuracy"].shape == (2,) and _is_orthogonal(r["params"]["W"][1].double(), 1e-5),
         why="unitary model stays orthogonal"),
]

_D = U.permuted_digits(seed=0, device="cpu", dtype=F64)
DX, DY, DXT, DYT = _D["x_train"][:300], _D["y_train"][:300], _D["x_test"][:100], _D["y_test"][:100]
CASES += [
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX, DY, DXT, DYT, last_k=65), ValueError,
         r"^last_k: must be <= the sequence length", why="longer than the sequence"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX, DY, DXT, DYT, last_k=0), ValueError,
         r"^last_k: must be an integer >= 1", why="no steps"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX, DY.double(), DXT, DYT), TypeError,
         r"^y_train: class labels must be integers", why="float labels"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX, DY, DXT[:, :10], DYT), ValueError,
         r"^x_test: must have shape", why="shorter test sequences"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(nan_at(DX), DY, DXT, DYT), ValueError,
         r"^x_train: must be finite", why="NaN pixels"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX, DY, DXT, DYT, last_k=1), None,
         ok=lambda c: c.shape == (100,) and c.dtype == bool and 0.0 < c.mean() < 0.5,
         why="one pixel: far below the full-image accuracy, above zero"),
]

_R2 = torch.tensor([[[0.5, 0.6], [0.9, 0.95], [0.92, 0.96]], [[0.3, 0.2], [0.6, 0.5], [0.91, 0.7]]], dtype=F64)  # (2, 3, 2)
CASES += [
    Case("size_ratio", lambda: U.size_ratio(_R2, [2, 4]), ValueError, r"^r2: must have shape", why="sizes vs r2 mismatch"),
    Case("size_ratio", lambda: U.size_ratio(_R2, [2, 8, 4]), ValueError, r"^sizes: must be strictly increasing", why="unsorted"),
    Case("size_ratio", lambda: U.size_ratio(nan_at(_R2), [2, 4, 8]), ValueError, r"^r2: must be finite", why="NaN"),
    Case("size_ratio", lambda: U.size_ratio(_R2[..., :0], [2, 4, 8]), ValueError, r"^r2: needs at least one realisation", why="R = 0"),
    Case("size_ratio", lambda: U.size_ratio(_R2[0], [2, 4, 8]), ValueError, r"^r2: must have shape", why="2-D r2"),
    Case("size_ratio", lambda: U.size_ratio(_R2, [2, 4, 8], level_fraction=0.0), ValueError, r"^level_fraction: must lie in",
         why="level 0"),
    Case("size_ratio", lambda: U.size_ratio(-_R2.abs(), [2, 4, 8]), ValueError, r"^r2: the best standard R\^2", why="no fit"),
    Case("size_ratio", lambda: U.size_ratio(_R2, [2, 4, 8], level_fraction=0.97), None,
         ok=lambda d: d["n_std"].tolist() == [4.0, 4.0] and d["n_uni"].tolist() == [8.0, 12.0]
         and d["censored"].tolist() == [False, True] and np.allclose(d["ratio"], [2.0, 3.0]),
         why="hand-computed: levels 0.892/0.931, ratio 2 and censored 12/4"),
]

CASES += [
    Case("state_jacobian_norms", lambda: U.state_jacobian_norms(W3, F3, B3, X3, activation="sigmoid"), ValueError,
         r"^activation: must be one of", why="activation without a derivative here"),
    Case("state_jacobian_norms", lambda: U.state_jacobian_norms(W3, F3, B3, X3[:0]), ValueError, r"^x: needs at least one",
         why="T = 0"),
    Case("state_jacobian_norms", lambda: U.state_jacobian_norms(nan_at(W3), F3, B3, X3), ValueError, r"^W: must be finite", why="NaN"),
    Case("state_jacobian_norms", lambda: U.state_jacobian_norms(W3, F3, B3, X3[:, :1]), ValueError, r"^x: must have shape",
         why="x width"),
    Case("state_jacobian_norms", lambda: U.state_jacobian_norms(WC, F3, B3, X3), TypeError, r"^W: must be real-valued", why="complex"),
    Case("state_jacobian_norms", lambda: U.state_jacobian_norms(W3, F3, B3, X3, H3, activation="tanh"), None,
         ok=lambda r: close(r[-1], torch.linalg.matrix_norm(torch.autograd.functional.jacobian(
             lambda h: loop_run(W3, F3, B3, EYE3, X3, h, torch.tanh)[-1], H3), 2), 1e-10), why="= autograd of the explicit loop"),
]

_B2 = U.RNNParams(W3.expand(2, 3, 3), F3.expand(2, 3, 2), B3.expand(2, 3), C3.expand(2, 2, 3), H3.expand(2, 3))
CASES += [
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(4), torch.ones(4, 1)), ValueError, r"^x: must have shape",
         why="1-D x"),
    Case("fit_one_state_urnn", lambda: U.fit_one_state_urnn(torch.ones(0, 1), torch.ones(0, 1)), ValueError,
         r"^x: needs at least one time step", why="empty x"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(_B2, X3, [1.0]), ValueError, r"^W: must have 2 dim",
         why="batched network"),
    Case("sigmoid_embedding_error", lambda: U.sigmoid_embedding_error(THETA, X3.unsqueeze(0), [1.0]), ValueError, r"^x: must have 2 dim",
         why="batched x"),
    Case("orthogonal_embedding", lambda: U.orthogonal_embedding(_B2, 1.0), ValueError, r"^W: must have 2 dim", why="batched network"),
    Case("contractive_weight", lambda: U.contractive_weight(torch.zeros(0, 0)), ValueError, r"^A: must not be empty", why="0x0"),
    Case("masked_orthogonal_projection", lambda: U.masked_orthogonal_projection(torch.zeros(3, 4), torch.ones(4)), ValueError,
         r"^W: must be a square", why="3x4 W"),
    Case("unpad_model", lambda: U.unpad_model(MODELS, 0, 2), ValueError, r"^r: must be a realisation index", why="r out of range"),
    Case("unpad_model", lambda: U.unpad_model(dict(MODELS, W=MODELS["W"][0, 0]), 0, 0), ValueError, r"^params: 'W' must be a tensor",
         why="2-D W in the dict"),
    Case("unpad_model", lambda: U.unpad_model(dict(MODELS, b=MODELS["b"][0]), 0, 0), ValueError, r"^params: 'b': must have shape",
         why="b without the size axis"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=False, epochs=1, order=torch.zeros(1, 4),
                                                        show_progress=False), TypeError, r"^order: must hold integer", why="float order"),
    Case("train_rnn_models", lambda: U.train_rnn_models(MODELS, XM, YM, unitary=False, epochs=1,
                                                        order=torch.arange(4).expand(2, 4), show_progress=False), ValueError,
         r"^order: must have shape", why="order rows != epochs"),
    Case("r2_score", lambda: U.r2_score(torch.zeros(2, 2, 3, 1), _r(3, 2, 3, 1)), ValueError, r"^y_pred: shape .* does not broadcast",
         why="leading dims 2 vs 3"),
    Case("r2_score", lambda: U.r2_score(torch.zeros(1, 1, 1), _r(2, 3, 1)), ValueError, r"^y_pred: last three axes", why="broadcast pred"),
    Case("run_learning_experiment", lambda: U.run_learning_experiment(sizes=[2], n_real=1, snr_db=20, T=5, n_seq=2, epochs=1,
                                                                      test_ratio=0.9, device="cpu"), ValueError,
         r"^n_seq: need at least one training", why="no training sequence"),
    Case("permuted_digits", lambda: U.permuted_digits(test_ratio=1e-5, device="cpu"), ValueError, r"^test_ratio: leaves an empty",
         why="no test image"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD[..., 0], YD, XDT, YDT, hidden=4, show_progress=False),
         ValueError, r"^x_train: must have 3", why="2-D x_train"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD[:, :0], YD, XDT, YDT, hidden=4, show_progress=False),
         ValueError, r"^x_train: needs N, T, m >= 1", why="T = 0"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT[..., 0], YDT, hidden=4, show_progress=False),
         ValueError, r"^x_test: must have 3", why="2-D x_test"),
    Case("train_sequence_classifiers", lambda: U.train_sequence_classifiers(XD, YD, XDT[:0], YDT[:0], hidden=4, show_progress=False),
         ValueError, r"^x_test: needs N, T >= 1", why="no test sequence"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX[..., 0], DY, DXT, DYT), ValueError, r"^x_train: must have 3",
         why="2-D x_train"),
    Case("linear_baseline_correct", lambda: U.linear_baseline_correct(DX, DY, DXT[..., 0], DYT), ValueError, r"^x_test: must have 3",
         why="2-D x_test"),
]

EXEMPT = {
    "ACTIVATIONS": "a constant dict of activation functions (no input)",
    "LIPSCHITZ": "a constant dict of Lipschitz constants (no input)",
}


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(U.__all__) <= covered, sorted(set(U.__all__) - covered)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
