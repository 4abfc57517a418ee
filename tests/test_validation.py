"""Validation helpers raise ValueErrors that name the argument and the condition."""
import numpy as np
import pytest
import torch

from rnnmath import validation as val


def test_shape_and_ndim():
    assert val.require_shape(np.zeros((3, 4)), "W", (3, None)).shape == (3, 4)
    with pytest.raises(ValueError, match=r"W: must have shape \(3, 5\), got \(3, 4\)"):
        val.require_shape(np.zeros((3, 4)), "W", (3, 5))
    with pytest.raises(ValueError, match="x: must have 1 dimension"):
        val.require_ndim(torch.zeros(2, 2), "x", 1)


def test_square_and_symmetric():
    with pytest.raises(ValueError, match="W: must be a square matrix"):
        val.require_square(np.zeros((2, 3)), "W")
    S = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert val.require_symmetric(S, "W") is S
    with pytest.raises(ValueError, match=r"W: must be symmetric \(max \|W - W\^T\| = 1"):
        val.require_symmetric(np.array([[1.0, 2.0], [1.0, 1.0]]), "W")
    batch = torch.stack([torch.eye(2), torch.tensor([[0.0, 1.0], [0.0, 0.0]])])
    with pytest.raises(ValueError, match="J: must be symmetric"):
        val.require_symmetric(batch, "J")


def test_contraction():
    assert val.spectral_norm(np.diag([0.5, -2.0])) == pytest.approx(2.0)
    val.require_contractive(0.9 * np.eye(3), "W")
    with pytest.raises(ValueError, match=r"W: must be contractive \(spectral norm < 1\), got spectral norm 1"):
        val.require_contractive(np.eye(3), "W")
    val.require_nonexpansive(np.eye(3), "W")
    with pytest.raises(ValueError, match="non-expansive"):
        val.require_nonexpansive(1.01 * np.eye(3), "W")


def test_finite_dtype_positive_range():
    with pytest.raises(ValueError, match="x: must be finite, found 1"):
        val.require_finite(np.array([1.0, np.nan]), "x")
    val.require_float64(torch.zeros(2, dtype=torch.float64), "x")
    with pytest.raises(ValueError, match="x: must be float64"):
        val.require_float64(torch.zeros(2), "x")
    with pytest.raises(ValueError, match="tau: must be > 0"):
        val.require_positive(0.0, "tau")
    val.require_positive(0.0, "tau", strict=False)
    with pytest.raises(ValueError, match=r"p: must lie in \[0, 1\]"):
        val.require_in_range(1.5, "p", 0, 1)


def test_psd():
    val.require_psd(np.diag([1.0, 0.0]), "M")
    with pytest.raises(ValueError, match=r"M: must be positive semi-definite \(smallest eigenvalue -1"):
        val.require_psd(np.diag([1.0, -1.0]), "M")
    with pytest.raises(ValueError, match="M: must be symmetric"):
        val.require_psd(np.array([[1.0, 1.0], [0.0, 1.0]]), "M")


def test_validation_works_inside_torch_func_transforms():
    W = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64)

    def energy(x):
        val.require_symmetric(x, "W")
        val.require_psd(x, "W")
        val.require_finite(x, "W")
        return (x ** 2).sum() * val.spectral_norm(x)

    g = torch.func.grad(energy)(W)
    assert torch.isfinite(g).all()
    with pytest.raises(ValueError, match="W: must be symmetric"):
        torch.func.grad(energy)(torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=torch.float64))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: val.require_in_range(float("nan"), "leak_angle", 0, 1), ValueError, "leak_angle: must not be NaN"),
    (lambda: val.require_in_range(np.array([0.5, np.nan]), "p", 0, 1), ValueError, "p: entries must not be NaN"),
    (lambda: val.require_in_range("0.5", "p", 0, 1), TypeError, "p: must be a real number"),
    (lambda: val.require_in_range(1 + 1j, "p", 0, 1), TypeError, "p: must be real-valued"),
    (lambda: val.require_positive(float("nan"), "tau"), ValueError, "tau: must be > 0"),
    (lambda: val.require_positive(None, "tau"), TypeError, "tau: must be a real number"),
    (lambda: val.require_positive([], "tau"), ValueError, "tau: is empty"),
    (lambda: val.require_contractive(np.full((2, 2), np.nan), "W"), ValueError, "W: must be finite"),
    (lambda: val.require_nonexpansive(torch.full((2, 2), float("inf")), "W"), ValueError, "W: must be finite"),
    (lambda: val.require_symmetric(np.full((2, 2), np.nan), "W"), ValueError, "W: must be finite"),
    (lambda: val.require_psd(np.full((2, 2), np.nan), "M"), ValueError, "M: must be finite"),
    (lambda: val.spectral_norm(np.ones(3), "A"), ValueError, "A: spectral norm needs a matrix"),
])
def test_nan_and_non_numbers_are_refused(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_range_bounds_are_inclusive_and_exact():
    val.require_in_range(0.0, "p", 0, 1)
    val.require_in_range(1.0, "p", 0, 1)
    with pytest.raises(ValueError, match=r"p: must lie in \[0, 1\]"):
        val.require_in_range(1.0 + 1e-12, "p", 0, 1)
    with pytest.raises(ValueError, match=r"p: must lie in \[0, 1\]"):
        val.require_in_range(-1e-300, "p", 0, 1)


def test_guards_the_mutation_run_showed_untested():
    """Each of these guards survived its deletion before these cases (tools/guard_mutants.py)."""
    with pytest.raises(ValueError, match="A: spectral norm needs a matrix"):
        val.spectral_norm(torch.ones(3), "A")

    class Opaque:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("cannot convert")

    with pytest.raises(TypeError, match="tau: must be a real number or array"):
        val.require_positive(Opaque(), "tau")
