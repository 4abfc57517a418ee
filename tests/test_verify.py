"""The verification API accepts right identities and rejects wrong ones."""
import math

import numpy as np
import pytest
import sympy as sp
import torch

from rnnmath import verify as V
from rnnmath.verify import VerificationError

n, m = sp.symbols("n m", integer=True, positive=True)
A = sp.MatrixSymbol("A", n, m)
B = sp.MatrixSymbol("B", m, m)
S = sp.MatrixSymbol("S", n, n)
a = sp.MatrixSymbol("a", n, 1)
b = sp.MatrixSymbol("b", n, 1)


def test_matrix_identity_expands_products_and_transposes():
    lhs = ((A.T * a + B.T * A.T * b).T * (A.T * a + B.T * A.T * b))
    rhs = a.T * A * A.T * a + 2 * a.T * A * B.T * A.T * b + b.T * A * B * B.T * A.T * b
    r = V.check_matrix_identity(lhs, rhs, "expanded square")
    assert r.passed and r.kind == "symbolic" and r.max_error == 0


def test_matrix_identity_rejects_wrong_sign_and_factor():
    lhs = ((A.T * a + B.T * A.T * b).T * (A.T * a + B.T * A.T * b))
    wrong_sign = a.T * A * A.T * a - 2 * a.T * A * B.T * A.T * b + b.T * A * B * B.T * A.T * b
    wrong_factor = a.T * A * A.T * a + a.T * A * B.T * A.T * b + b.T * A * B * B.T * A.T * b
    for wrong in (wrong_sign, wrong_factor):
        r = V.check_matrix_identity(lhs, wrong, "wrong", strict=False)
        assert not r.passed and math.isinf(r.max_error)
        assert "lhs - rhs" in r.detail and "random instance" in r.detail
    with pytest.raises(VerificationError, match="wrong"):
        V.check_matrix_identity(lhs, wrong_sign, "wrong")


def test_scalar_quadratic_form_transpose_is_canonical():
    assert V.check_matrix_identity(a.T * A * B * A.T * b, b.T * A * B.T * A.T * a)
    assert not V.check_matrix_identity(a.T * A * B * A.T * b, b.T * A * B * A.T * a, strict=False)


def test_symmetric_matrices_are_honoured_only_when_declared():
    assert V.check_matrix_identity(a.T * S * b, b.T * S * a, symmetric=[S])
    assert not V.check_matrix_identity(a.T * S * b, b.T * S * a, strict=False)


def test_matrix_identity_shape_mismatch_fails():
    r = V.check_matrix_identity(a, a.T, strict=False)
    assert not r.passed and "shape" in r.detail


def test_elementwise_invertible_function_proof_and_rejection():
    sig, sig_inv = V.invertible_function("sigma")
    W = A * A.T
    lhs = V.elementwise(sig_inv, V.elementwise(sig, W * V.elementwise(sig, a)))
    assert V.check_matrix_identity(lhs, W * V.elementwise(sig, a))
    tau, tau_inv = V.invertible_function("tau")
    wrong = V.elementwise(tau_inv, V.elementwise(sig, W * V.elementwise(sig, a)))
    assert not V.check_matrix_identity(wrong, W * V.elementwise(sig, a), strict=False)


def test_scalar_identity_with_elementwise_functions():
    x = sp.symbols("x", real=True)
    assert V.check_scalar_identity(sp.diff(sp.log(sp.cosh(x)), x), sp.tanh(x))
    r = V.check_scalar_identity(sp.diff(sp.log(sp.cosh(x)), x), -sp.tanh(x), strict=False)
    assert not r.passed and "random points" in r.detail
    y = sp.symbols("y", real=True)
    tanh_diff = (sp.tanh(x) - sp.tanh(y)) - sp.tanh(x - y) * (1 - sp.tanh(x) * sp.tanh(y))
    assert V.check_scalar_identity(tanh_diff, 0)
    assert not V.check_scalar_identity(sp.tanh(x) - sp.tanh(y), sp.tanh(x - y) * (1 + sp.tanh(x) * sp.tanh(y)), strict=False)


def test_scalar_identity_explicit_matrices():
    x = sp.symbols("x")
    M = sp.Matrix([[sp.sin(x) ** 2 + sp.cos(x) ** 2, 0]])
    assert V.check_scalar_identity(M, sp.Matrix([[1, 0]]))
    assert not V.check_scalar_identity(M, sp.Matrix([[1, 1]]), strict=False)
    assert not V.check_scalar_identity(M, sp.Matrix([[1], [0]]), strict=False)


def test_check_close_tolerance_shape_and_nan():
    assert V.check_close(np.ones(3), np.ones(3) + 1e-14)
    r = V.check_close(np.ones(3), np.array([1.0, 1.0, 1.1]), strict=False)
    assert not r.passed and r.max_error == pytest.approx(0.1) and "worst entry (2,)" in r.detail
    assert not V.check_close(np.ones(3), np.ones((3, 1)), strict=False).passed
    assert not V.check_close(np.array([np.nan]), np.array([np.nan]), strict=False).passed
    with pytest.raises(AssertionError):
        V.check_close(1.0, 2.0, "one is two")


def test_jacobian_and_hessian_against_autograd():
    pts = torch.randn(4, 3, dtype=torch.float64)
    W = torch.randn(3, 3, dtype=torch.float64)
    f = lambda x: torch.tanh(W @ x)
    good = lambda x: (1 - torch.tanh(W @ x) ** 2)[:, None] * W
    bad = lambda x: W * (1 - torch.tanh(x) ** 2)[None, :]
    assert V.check_jacobian(f, good, pts)
    assert not V.check_jacobian(f, bad, pts, strict=False)
    q = lambda x: 0.5 * (f(x) ** 2).sum()
    H = lambda x: torch.func.hessian(q)(x)
    assert V.check_hessian(q, H, pts)
    assert not V.check_hessian(q, lambda x: good(x).T @ good(x), pts, strict=False)  # Gauss-Newton part only


def test_numeric_checks_require_float64_points():
    with pytest.raises(ValueError, match="points"):
        V.check_jacobian(torch.tanh, torch.tanh, torch.randn(2, 3))


def test_gradient_finite_differences():
    pts = torch.randn(3, 4, dtype=torch.float64)
    fn = lambda x: (torch.sin(x) * x).sum()
    assert V.check_gradient_fd(fn, lambda x: torch.cos(x) * x + torch.sin(x), pts)
    assert not V.check_gradient_fd(fn, lambda x: torch.cos(x) * x, pts, strict=False)


def test_functions_agree():
    pts = torch.randn(5, 2, dtype=torch.float64)
    assert V.check_functions_agree(lambda x: torch.exp(torch.log(x.abs() + 1)), lambda x: x.abs() + 1, pts)
    assert not V.check_functions_agree(torch.sin, torch.cos, pts, strict=False)


def test_bound_counts_violations():
    r = V.check_bound([0.0, 1e-3, 2.0], upper=0.0, strict=False)
    assert not r.passed and r.max_error == 2.0 and "2 of 3" in r.detail
    assert V.check_bound([0.0, 1e-14], upper=0.0, atol=1e-12)
    assert not V.check_bound([1.0], lower=2.0, strict=False)
    with pytest.raises(ValueError, match="upper/lower"):
        V.check_bound([1.0])


def test_check_true_and_chapter_checks():
    checks = V.ChapterChecks("t")
    checks.add(V.check_true(True, "fact"))
    checks.add(V.check_true(False, "false fact", strict=False))
    assert not checks.all_passed
    assert "**FAIL**" in checks.table()
    with pytest.raises(VerificationError, match="false fact"):
        checks.assert_all()
