"""Tests of rnnmath.linalg: the guarded LU layer (issue: batched LU wrong with >1 thread).

Every value is compared with an independent computation (numpy's own LAPACK, a per-matrix
loop, or a closed form), the guard is shown catching a corrupted factorisation, and a
subprocess runs every entry point that uses LU with one and with two threads.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnmath import linalg as rl

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "tests" / "helpers" / "thread_probe.py"


def _mats(B, n, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(B, n, n, generator=g, dtype=torch.float64) + n ** 0.5 * torch.eye(n, dtype=torch.float64)
    return A.to(dtype)


@pytest.fixture(autouse=True)
def _fresh_modes():
    saved = dict(rl._MODES)
    rl._MODES.clear()
    yield
    rl._MODES.clear()
    rl._MODES.update(saved)


# ------------------------------------------------------------------ agreement with numpy
@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_solve_inv_slogdet_agree_with_numpy(dtype):
    A = _mats(5, 40, 1, dtype)
    if dtype.is_complex:
        A = A + 1j * _mats(5, 40, 2).to(dtype)
    b = torch.randn(5, 40, dtype=torch.float64).to(dtype)
    An, bn = A.numpy(), b.numpy()
    np.testing.assert_allclose(rl.solve(A, b).numpy(), np.linalg.solve(An, bn[..., None])[..., 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rl.inv(A).numpy(), np.linalg.inv(An), rtol=1e-10, atol=1e-12)
    sign, logabs = rl.slogdet(A)
    s_np, l_np = np.linalg.slogdet(An)
    np.testing.assert_allclose(logabs.numpy(), l_np, rtol=1e-12)
    np.testing.assert_allclose(sign.numpy(), s_np, atol=1e-10)
    np.testing.assert_allclose(rl.det(A[:, :6, :6]).numpy(), np.linalg.det(An[:, :6, :6]), rtol=1e-10)


def test_slogdet_sign_of_a_permutation_and_a_reflection():
    P = torch.eye(7, dtype=torch.float64)[[1, 0, 2, 3, 4, 6, 5]]  # two swaps: det = +1
    R = torch.diag(torch.tensor([-1.0, 2, 3], dtype=torch.float64))  # det = -6
    assert float(rl.slogdet(P)[0]) == 1.0 and abs(float(rl.slogdet(P)[1])) < 1e-14
    assert float(rl.det(R)) == pytest.approx(-6.0, rel=1e-14)
    assert float(rl.det(P[[1, 0, 2, 3, 4, 5, 6]])) == pytest.approx(-1.0)  # three swaps: det = -1


def test_solve_shapes_vector_matrix_and_broadcast():
    A = _mats(3, 10, 3)
    X = torch.randn(3, 10, 4, dtype=torch.float64)
    np.testing.assert_allclose(rl.solve(A, A @ X).numpy(), X.numpy(), atol=1e-12)
    x = torch.randn(3, 10, dtype=torch.float64)
    np.testing.assert_allclose(rl.solve(A, (A @ x[..., None])[..., 0]).numpy(), x.numpy(), atol=1e-12)
    A1 = A[0]  # one matrix, a batch of right-hand sides
    Y = torch.randn(6, 10, 2, dtype=torch.float64)
    np.testing.assert_allclose(rl.solve(A1, A1 @ Y).numpy(), Y.numpy(), atol=1e-12)


def test_numpy_inputs_stay_numpy():
    A = _mats(2, 8, 4).numpy()
    b = np.ones((2, 8))
    x = rl.solve(A, b)
    assert isinstance(x, np.ndarray) and x.shape == (2, 8)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", A, x), b, atol=1e-12)
    assert isinstance(rl.det(A), np.ndarray)


def test_logdet_spd_agrees_with_eigenvalues():
    A = _mats(4, 30, 5)
    S = A @ A.mT / 30
    ref = np.log(np.linalg.eigvalsh(S.numpy())).sum(-1)
    np.testing.assert_allclose(rl.logdet_spd(S).numpy(), ref, rtol=1e-11)
    np.testing.assert_allclose(rl.logdet_spd(S.numpy()), ref, rtol=1e-11)


def test_slogdet_gradient_is_inverse_transpose():
    """d log|det A| / dA = A^{-T} (closed form), against autograd through the guarded LU."""
    A = _mats(3, 12, 6).requires_grad_(True)
    rl.slogdet(A)[1].sum().backward()
    np.testing.assert_allclose(A.grad.numpy(), np.swapaxes(np.linalg.inv(A.detach().numpy()), -1, -2), atol=1e-12)


# ------------------------------------------------------------------ the residual check can fail
def test_backward_error_accepts_the_solution_and_rejects_a_perturbed_one():
    A = _mats(4, 128, 7)
    b = torch.randn(4, 128, 1, dtype=torch.float64)
    x = torch.stack([torch.linalg.solve(a, bb) for a, bb in zip(A, b)])
    tol = rl.backward_error_tolerance(128, torch.float64)
    assert tol == pytest.approx(64 * 128 * 2.220446049250313e-16)
    assert float(rl.backward_error(A, x, b).max()) < tol / 10  # a correct solve is far inside
    # a relative error of 1e-10 in x (600x the float64 precision) is already rejected
    wrong = x * (1 + 1e-10 * torch.randn_like(x))
    assert float(rl.backward_error(A, wrong, b).min()) > tol
    nan = x.clone()
    nan[0, 0] = float("nan")
    assert float(rl.backward_error(A, nan, b)[0]) == float("inf")


def _corrupting(real, modes_to_corrupt):
    def fake(A, mode):
        LU, piv = real(A, mode)
        if mode in modes_to_corrupt and A.ndim > 2:
            LU = LU.clone()
            LU[..., 0, 0] *= 3.0  # a wrong factor, as the faulty batched MKL path returns
        return LU, piv
    return fake


def test_guard_detects_a_faulty_batched_lu_warns_once_and_answers_correctly(monkeypatch):
    monkeypatch.setattr(rl, "_raw_factor", _corrupting(rl._raw_factor, {"batched"}))
    A = _mats(4, 64, 8)
    b = torch.randn(4, 64, dtype=torch.float64)
    with pytest.warns(rl.BatchedLUFaultWarning, match="the batch under one thread"):
        x = rl.solve(A, b)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(A.numpy(), b.numpy()[..., None])[..., 0], atol=1e-12)
    assert list(rl.lu_modes().values()) == ["one-thread"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning for the same configuration
        np.testing.assert_allclose(rl.slogdet(A)[1].numpy(), np.linalg.slogdet(A.numpy())[1], rtol=1e-12)


def test_residual_check_catches_a_fault_the_self_test_missed(monkeypatch):
    """The self-test passes, the real call is corrupted: the residual check re-runs it."""
    monkeypatch.setattr(rl, "_mode_for", lambda device, dtype, n: "batched")
    monkeypatch.setattr(rl, "_raw_factor", _corrupting(rl._raw_factor, {"batched"}))
    A = _mats(3, 32, 9)
    ref = np.linalg.slogdet(A.numpy())[1]
    np.testing.assert_allclose(rl.slogdet(A)[1].numpy(), ref, rtol=1e-12)


def test_a_fault_in_every_mode_raises_instead_of_answering(monkeypatch):
    monkeypatch.setattr(rl, "_raw_factor", _corrupting(rl._raw_factor, {"batched", "loop", "one-thread"}))
    with pytest.warns(rl.BatchedLUFaultWarning):
        with pytest.raises(ValueError, match="A: is singular to working precision"):
            rl.solve(_mats(3, 32, 10), torch.ones(3, 32, dtype=torch.float64))


def test_self_test_runs_once_per_configuration(monkeypatch):
    calls = []
    real = rl._try_mode
    monkeypatch.setattr(rl, "_try_mode", lambda A, mode: calls.append(mode) or real(A, mode))
    A = _mats(3, 20, 11)
    rl.solve(A, torch.ones(3, 20, dtype=torch.float64))
    rl.inv(A)
    rl.slogdet(_mats(2, 30, 12))  # same size class (32)
    assert calls == ["batched"]
    rl.slogdet(_mats(2, 40, 12))  # size class 64: a new test
    assert calls == ["batched", "batched"]
    assert rl.batched_lu_fault(n=20) is False or rl.lu_modes()  # decided, cached


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, exc, match", [
    (lambda: rl.solve(torch.ones(3, 4, dtype=torch.float64), torch.ones(3, dtype=torch.float64)), ValueError, "A: must be a square matrix"),
    (lambda: rl.solve(torch.eye(3, dtype=torch.float64) * float("nan"), torch.ones(3, dtype=torch.float64)), ValueError, "A: must be finite"),
    (lambda: rl.solve(torch.eye(3, dtype=torch.float64), torch.ones(4, dtype=torch.float64)), ValueError, r"B: must have shape \(\.\.\., 3\)"),
    (lambda: rl.solve(torch.eye(3, dtype=torch.float64), torch.ones(3, dtype=torch.float32)), TypeError, "B: must have the dtype of A"),
    (lambda: rl.solve(torch.eye(3, dtype=torch.float64), np.ones(3)), TypeError, "B: must be the same kind"),
    (lambda: rl.solve(torch.zeros(3, 3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)), ValueError, "A: is singular"),
    (lambda: rl.solve(np.zeros((3, 3)), np.ones(3)), ValueError, "A: is singular"),
    (lambda: rl.inv(torch.eye(3, dtype=torch.int64)), TypeError, "A: must be float32/float64"),
    (lambda: rl.inv(torch.eye(3, dtype=torch.float16)), TypeError, "A: must be float32/float64"),
    (lambda: rl.slogdet(torch.zeros(2, 0, 0, dtype=torch.float64)), ValueError, "A: must have n >= 1"),
    (lambda: rl.logdet_spd(-torch.eye(3, dtype=torch.float64)), ValueError, "S: must be positive definite"),
    (lambda: rl.logdet_spd(torch.tensor([[2.0, 1.0], [0.0, 2.0]], dtype=torch.float64)), ValueError, "S: must be symmetric"),
    (lambda: rl.logdet_spd(-np.eye(3)), ValueError, "S: must be positive definite"),
    (lambda: rl.batched_lu_fault(n=0), ValueError, "n: must be >= 1"),
])
def test_bad_input_is_refused_with_a_named_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_slogdet_of_a_singular_matrix_is_minus_infinity():
    sign, logabs = rl.slogdet(torch.zeros(2, 3, 3, dtype=torch.float64))
    assert torch.all(sign == 0) and torch.all(torch.isneginf(logabs))


# ------------------------------------------------------------------ one thread against two
def _probe(threads: int, what: str = "all") -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, str(PROBE), str(threads), what], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("JSON:")]
    assert line, proc.stdout[-2000:]
    return json.loads(line[-1][5:])


@pytest.fixture(scope="module")
def probes():
    return _probe(1), _probe(2)


def test_raw_torch_batched_lu_with_two_threads(probes):
    """Documents the fault on this machine; skipped (with the reason) where it is absent."""
    one, two = probes
    assert one["threads"] == 1 and two["threads"] == 2
    assert isinstance(one["raw_solve_residual"], float) and one["raw_solve_residual"] < 1e-10
    faulty = not isinstance(two["raw_solve_residual"], float) or two["raw_solve_residual"] > 1e-8 \
        or two["raw_slogdet_vs_loop"] > 1e-8
    if not faulty:
        pytest.skip("torch's batched LU is correct with two threads on this machine (fault absent)")
    assert any(v != "batched" for v in two["modes"].values()), "the self-test missed the fault"


def _close(a, b, path="", rtol=1e-9, atol=1e-10):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}", rtol, atol)
    elif isinstance(a, (list, float, int)):
        A, B = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        assert A.shape == B.shape, f"{path}: shapes {A.shape} vs {B.shape}"
        np.testing.assert_allclose(A, B, rtol=rtol, atol=atol, err_msg=path)
    else:
        assert a == b, path


@pytest.mark.parametrize("key", ["solve", "inv_diag", "slogdet", "logdet_spd", "rate_points", "rate_slow_points",
                                 "rate_counts", "gated_fixed_points", "attractor_fixed_point", "stationary_gradient",
                                 "pi_full", "pi_var1", "dca_pi", "similarity_C", "relu_exhaustive"])
def test_every_entry_point_gives_the_same_answer_with_one_and_two_threads(probes, key):
    one, two = probes
    _close(one[key], two[key], key)


def test_the_probe_finds_what_it_compares(probes):
    """The comparisons above are not vacuous: fixed points exist, PI matches its closed form."""
    one, _ = probes
    assert len(one["rate_points"]) + len(one["rate_slow_points"]) >= 1
    assert one["rate_counts"][2] == 0  # every start ended at a fixed or slow point
    assert abs(one["pi_full"] - one["pi_var1"]) < 1e-8 * abs(one["pi_var1"])
    assert len(one["relu_exhaustive"]) >= 1


@pytest.mark.parametrize("call, exc, match", [
    (lambda: rl.solve(np.eye(3, dtype=int), np.ones(3)), TypeError, "A: must be a float or complex array"),
    (lambda: rl.solve(np.full((3, 3), np.nan), np.ones(3)), ValueError, "A: must be finite"),
    (lambda: rl.solve(np.eye(3), np.array([1.0, np.inf, 0.0])), ValueError, "B: must be finite"),
    (lambda: rl.solve(np.eye(3), np.ones(3, dtype=int)), TypeError, "B: must be a float or complex array"),
    (lambda: rl.solve(torch.eye(3, dtype=torch.float64), torch.tensor([1.0, float("nan"), 0.0], dtype=torch.float64)),
     ValueError, "B: must be finite"),
    (lambda: rl.solve(torch.eye(3, dtype=torch.float64).expand(2, 3, 3), torch.ones(4, 3, 1, dtype=torch.float64)),
     ValueError, r"B: batch shape \(4,\) does not broadcast"),
    (lambda: rl.lu_solve(rl.LUFactors(torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.int32)),
                         torch.ones(3, 1, dtype=torch.float64)), ValueError, "A: LU pivots out of range"),
    (lambda: rl.logdet_spd(np.array([[2.0, 1.0], [0.0, 2.0]])), ValueError, "S: must be symmetric"),
    (lambda: rl.solve_spd(np.eye(2), np.ones(2)), TypeError, "S: solve_spd needs torch tensors"),
])
def test_bad_input_is_refused_on_every_path(call, exc, match):
    """Cases added after tools/guard_mutants.py showed these guards surviving their deletion."""
    with pytest.raises(exc, match=match):
        call()


def test_solve_spd_agrees_with_lu():
    A = _mats(3, 20, 13)
    S = A @ A.mT
    b = torch.randn(3, 20, dtype=torch.float64)
    np.testing.assert_allclose(rl.solve_spd(S, b).numpy(), rl.solve(S, b).numpy(), rtol=1e-9, atol=1e-12)


def test_raw_factor_refuses_an_unknown_mode():
    from rnnmath.linalg import _raw_factor

    with pytest.raises(ValueError, match="mode: must be 'batched', 'loop' or 'one-thread'"):
        _raw_factor(torch.eye(3, dtype=torch.float64).expand(2, 3, 3), "gpu-magic")


def test_solve_refuses_an_overflowing_solution_numpy_and_torch():
    # finite A and B, non-singular in exact arithmetic, but X = 1e308 / 1e-308 overflows:
    # the backward error is NaN, which must be reported, not returned as inf
    A = np.array([[1e-308, 0.0], [0.0, 1.0]])
    b = np.array([1e308, 1.0])
    with pytest.raises(ValueError, match="A: is singular to working precision"):
        rl.solve(A, b)
    with pytest.raises(ValueError, match="A: is singular to working precision"):
        rl.solve(torch.from_numpy(A), torch.from_numpy(b))
