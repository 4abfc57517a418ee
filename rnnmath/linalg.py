"""Guarded LU-based linear algebra: every solve, inverse and determinant of the package.

Why this module exists
----------------------
The pinned CPU build of torch (2.13.0, MKL 2024.2) returns **wrong answers** from its
*batched* LU routines (``torch.linalg.solve``, ``inv``, ``slogdet``, ``lu_factor``)
as soon as torch runs on two or more threads and the matrices reach ``n`` of about
160: residuals ``|Ax - b|`` of 10^1-10^3, ``slogdet`` off by 50-140 with no error
raised, or a ``RuntimeError`` about pivots together with MKL's message
``Parameter 6 was incorrect on entry to DLASWP``.  One matrix at a time, or the same
batch under one thread, is correct; Cholesky, ``eigh``, QR and ``eigvals`` are
correct.  numpy and scipy carry their own LAPACK (OpenBLAS) and are not affected.

What this module does
---------------------
* **Self-test, once per configuration.**  Before the first batched LU of a
  configuration (device, dtype, thread count, size class ``n``) it factorises a small
  synthetic batch (4 matrices of that size, a private random generator, so the
  caller's random stream is untouched) and checks the residual.  If the batched call
  is wrong it tries the same batch under one thread (measured as fast as the
  alternatives for n <= 512, and bit-identical to a one-thread run), then one matrix
  at a time, keeps the first correct *mode*, and issues one
  :class:`BatchedLUFaultWarning` saying what was detected and what is done instead.
  Only the LU runs on one thread; everything else keeps the machine's threads.
  :func:`lu_modes` reports the decisions.
* **A residual check on every call**, O(n^2) against the O(n^3) factorisation: the
  normwise backward error ``|A x - b| / (|A| |x| + |b|)`` (Frobenius norms) of every solve (for an
  inverse and a determinant, of a solve with a random right-hand side through the
  same factors).  Partial-pivoting LU is backward stable, so a correct answer has a
  backward error of a few ``n * eps`` however ill-conditioned ``A`` is; a wrong one
  has order 1.  A failed check re-runs the affected matrices one at a time under one
  thread, and raises a ``ValueError`` naming the argument if that fails too (a
  singular matrix), so a wrong answer is never returned silently, on any device.
* **Cholesky for covariances**: :func:`logdet_spd` (log-determinants of symmetric
  positive-definite matrices) and :func:`solve_spd` never use LU, and reject a
  matrix that is not positive definite instead of returning ``log |det|``.

All functions accept torch tensors (any device, float32/64, complex64/128, with
autograd: the checks run on detached copies) and numpy arrays (computed by numpy,
returned as numpy).
"""
from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

__all__ = [
    "BatchedLUFaultWarning",
    "solve",
    "inv",
    "slogdet",
    "det",
    "lu_factor",
    "lu_solve",
    "logdet_spd",
    "solve_spd",
    "batched_lu_fault",
    "lu_modes",
    "backward_error",
    "backward_error_tolerance",
]

#: how many ``n * eps`` of normwise backward error a correct LU solve may have
BACKWARD_ERROR_FACTOR = 64.0


class BatchedLUFaultWarning(RuntimeWarning):
    """Issued once per configuration in which the batched LU of torch is wrong."""


class LUFactors(NamedTuple):
    """``P A = L U`` in torch's packed form: ``LU`` (..., n, n) and 1-based ``pivots`` (..., n)."""

    LU: object
    pivots: object


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def _torch():
    import torch

    return torch


def _is_torch(x) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(x, torch.Tensor)


def _check_matrix(A, name: str):
    """Shape, dtype and finiteness checks shared by every entry point."""
    shp = tuple(A.shape)
    if len(shp) < 2 or shp[-1] != shp[-2]:
        raise ValueError(f"{name}: must be a square matrix (shape (..., n, n)), got shape {shp}")
    if shp[-1] == 0:
        raise ValueError(f"{name}: must have n >= 1, got shape {shp}")
    if _is_torch(A):
        torch = _torch()
        if not (A.dtype.is_floating_point or A.dtype.is_complex) or A.dtype in (torch.float16, torch.bfloat16):
            raise TypeError(f"{name}: must be float32/float64/complex64/complex128, got dtype {A.dtype}")
        # one fused reduction; the exact (slower) test only when the sum is not finite
        if A.numel() and not bool(torch.isfinite(A.detach().sum())) and not bool(torch.isfinite(A.detach()).all()):
            raise ValueError(f"{name}: must be finite, found NaN/inf entries")
    else:
        if A.dtype.kind not in "fc" or A.dtype == np.float16:
            raise TypeError(f"{name}: must be a float or complex array, got dtype {A.dtype}")
        if A.size and not np.all(np.isfinite(A)):
            raise ValueError(f"{name}: must be finite, found NaN/inf entries")


def _eps(dtype) -> float:
    if _is_torch_dtype(dtype):
        torch = _torch()
        return float(torch.finfo(dtype).eps)
    return float(np.finfo(dtype).eps)


def _is_torch_dtype(dtype) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(dtype, torch.dtype)


def backward_error_tolerance(n: int, dtype) -> float:
    """Largest normwise backward error accepted from an LU solve of size ``n``: ``64 n eps``."""
    return BACKWARD_ERROR_FACTOR * max(int(n), 1) * _eps(dtype)


def backward_error(A, X, B):
    """Normwise backward error ``|A X - B|_F / (|A|_F |X|_F + |B|_F)`` per matrix.

    ``A`` (..., n, n), ``X`` and ``B`` (..., n, k).  Returns shape ``(...)`` (torch or numpy
    like the input), computed without autograd; non-finite values give ``inf``.  Cost
    O(n^2 k): one matrix product and three fused norms.
    """
    if _is_torch(A):
        torch = _torch()
        with torch.no_grad():
            A, X, B = A.detach(), X.detach(), B.detach()
            vn = torch.linalg.vector_norm
            nR = vn(A @ X - B, dim=(-2, -1))
            den = vn(A, dim=(-2, -1)) * vn(X, dim=(-2, -1)) + vn(B, dim=(-2, -1))
            tiny = torch.finfo(nR.dtype).tiny
            out = nR / den.clamp_min(tiny)
            return torch.where(torch.isfinite(out), out, torch.full_like(out, math.inf))
    nR = np.linalg.norm(A @ X - B, axis=(-2, -1))
    den = np.linalg.norm(A, axis=(-2, -1)) * np.linalg.norm(X, axis=(-2, -1)) + np.linalg.norm(B, axis=(-2, -1))
    out = nR / np.maximum(den, np.finfo(np.float64).tiny)
    return np.where(np.isfinite(out), out, np.inf)


# --------------------------------------------------------------------------- #
# the self-test: which way of computing a batched LU is correct here?
# --------------------------------------------------------------------------- #
_MODES: dict[tuple, str] = {}
_SELFTEST_BATCH = 4


def _size_class(n: int) -> int:
    """Configurations are cached by the power of two at or above ``n`` (at least 16)."""
    return max(16, 1 << (max(int(n), 1) - 1).bit_length())


def _config_key(device, dtype, n: int) -> tuple:
    torch = _torch()
    threads = torch.get_num_threads() if device.type == "cpu" else 0
    return (str(device), str(dtype), threads, _size_class(n))


class _one_thread:
    """Context manager: torch on one intra-op thread, restored afterwards."""

    def __enter__(self):
        torch = _torch()
        self.saved = torch.get_num_threads()
        if self.saved != 1:
            torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        torch = _torch()
        if torch.get_num_threads() != self.saved:
            torch.set_num_threads(self.saved)
        return False


def _raw_factor(A, mode: str):
    """torch's LU of ``A`` (..., n, n) computed in ``mode``: 'batched', 'loop' or 'one-thread'."""
    torch = _torch()
    if mode == "batched" or A.ndim == 2:
        if mode == "one-thread":
            with _one_thread():
                return torch.linalg.lu_factor(A)
        return torch.linalg.lu_factor(A)
    if mode == "loop":
        flat = A.reshape(-1, *A.shape[-2:])
        parts = [torch.linalg.lu_factor(a) for a in flat]
        LU = torch.stack([p[0] for p in parts]).reshape(A.shape)
        piv = torch.stack([p[1] for p in parts]).reshape(*A.shape[:-1])
        return LU, piv
    if mode == "one-thread":
        with _one_thread():
            return torch.linalg.lu_factor(A)
    raise ValueError(f"mode: must be 'batched', 'loop' or 'one-thread', got {mode!r}")  # pragma: no cover


def _factor_ok(A, LU, piv) -> bool:
    """Residual check of a factorisation through one solve with a fixed right-hand side."""
    torch = _torch()
    n = A.shape[-1]
    with torch.no_grad():
        if bool((piv < 1).any()) or bool((piv > n).any()):
            return False
        b = torch.ones(*A.shape[:-1], 1, dtype=A.dtype, device=A.device)
        x = torch.linalg.lu_solve(LU, piv, b)
        err = backward_error(A, x, b)
        return bool((err <= backward_error_tolerance(n, A.dtype)).all())


class _quiet_fds:
    """Silence file descriptors 1 and 2 (MKL prints ``Parameter 6 was incorrect ...`` there
    when the faulty path runs); used only around the synthetic self-test."""

    def __enter__(self):
        import os
        import sys

        self.saved = []
        try:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # pragma: no cover
                    pass
            devnull = os.open(os.devnull, os.O_WRONLY)
            for fd in (1, 2):
                self.saved.append((fd, os.dup(fd)))
                os.dup2(devnull, fd)
            os.close(devnull)
        except OSError:  # pragma: no cover - no usable descriptors: stay loud
            self.__exit__()
        return self

    def __exit__(self, *exc):
        import os

        for fd, copy in self.saved:
            os.dup2(copy, fd)
            os.close(copy)
        self.saved = []
        return False


def _try_mode(A, mode: str) -> bool:
    with _quiet_fds():
        try:
            LU, piv = _raw_factor(A, mode)
        except RuntimeError:
            return False
        return _factor_ok(A, LU, piv)


def batched_lu_fault(device=None, dtype=None, n: int = 256) -> bool:
    """True when torch's batched LU is wrong for this configuration (self-test, cached).

    Parameters
    ----------
    device : torch device, default CPU
    dtype : torch dtype, default float64
    n : int
        Matrix size; the test runs at the power of two at or above it.

    The test factorises 4 well-conditioned ``n x n`` matrices (``randn + sqrt(n) I``,
    from a private generator) in one batched call and checks each solve's backward
    error.  It also decides the mode that later calls use (see :func:`lu_modes`).
    """
    torch = _torch()
    device = torch.device("cpu") if device is None else torch.device(device)
    dtype = torch.float64 if dtype is None else dtype
    if int(n) < 1:
        raise ValueError(f"n: must be >= 1, got {n!r}")
    return _mode_for(device, dtype, int(n)) != "batched"


def _mode_for(device, dtype, n: int) -> str:
    key = _config_key(device, dtype, n)
    mode = _MODES.get(key)
    if mode is not None:
        return mode
    torch = _torch()
    m = _size_class(n)
    gen = torch.Generator(device="cpu").manual_seed(20211)
    A = torch.randn(_SELFTEST_BATCH, m, m, generator=gen, dtype=torch.float64)
    A = (A + math.sqrt(m) * torch.eye(m, dtype=torch.float64)).to(device=device, dtype=dtype)
    mode = "batched"
    if not _try_mode(A, "batched"):
        # the batch under one thread is as fast as the per-matrix loop or faster for n <= 512
        # here (benchmarks/bench_linalg.py) and gives the bits of a one-thread run
        mode = "one-thread" if _try_mode(A, "one-thread") else "loop"
        warnings.warn(
            f"rnnmath.linalg: torch's batched LU (solve/inv/slogdet/lu_factor) gave wrong results "
            f"on {device} in {dtype} with {key[2]} threads at n = {m} (the known fault of this "
            f"torch/MKL build); rnnmath factorises "
            + ("one matrix at a time" if mode == "loop" else "the batch under one thread")
            + " in this configuration instead, and checks every result's residual.",
            BatchedLUFaultWarning,
            stacklevel=_caller_stacklevel(),
        )
    _MODES[key] = mode
    return mode


def _caller_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first frame outside the rnnmath package."""
    import os
    import sys

    pkg = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(pkg):
        frame, level = frame.f_back, level + 1
    return level


def lu_modes() -> dict:
    """The decisions taken so far: ``{(device, dtype, threads, size class): mode}``."""
    return dict(_MODES)


# --------------------------------------------------------------------------- #
# public entry points
# --------------------------------------------------------------------------- #
def lu_factor(A, *, name: str = "A", check: bool = True) -> LUFactors:
    """LU factorisation ``P A = L U`` of a matrix or batch, guarded and checked.

    Parameters
    ----------
    A : torch tensor ``(..., n, n)``
    check : bool
        Verify the factors through a solve with a fixed right-hand side (O(n^2) per
        matrix).  :func:`solve` passes ``False`` because it checks its own residual.

    Returns
    -------
    LUFactors(LU, pivots) in torch's packed form, usable with :func:`lu_solve`.

    Raises
    ------
    ValueError
        If ``A`` is not square and finite, or is singular (the check fails in every mode).
    """
    if not _is_torch(A):
        raise TypeError(f"{name}: lu_factor needs a torch tensor, got {type(A).__name__}")
    _check_matrix(A, name)
    if not check:
        return _factor(A, name)
    LU, piv = _factor(A, name)
    if not _factor_ok(A, LU, piv):
        LU, piv = _safe_factor(A, name)
    return LUFactors(LU, piv)


def _factor(A, name: str) -> LUFactors:
    """Factor in the mode the self-test chose (no check); a raised error triggers the safe path."""
    batched = A.ndim > 2 and math.prod(A.shape[:-2]) > 1
    mode = _mode_for(A.device, A.dtype, A.shape[-1]) if batched else "batched"
    try:
        return LUFactors(*_raw_factor(A, mode))
    except RuntimeError:
        return _safe_factor(A, name)


def _safe_factor(A, name: str) -> LUFactors:
    """One matrix at a time under one thread; raises if even that fails its check."""
    try:
        with _one_thread():
            LU, piv = _raw_factor(A, "loop")
    except RuntimeError:
        LU = piv = None
    if LU is None or not _factor_ok(A, LU, piv):
        raise ValueError(f"{name}: is singular to working precision (LU backward error above "
                         f"{backward_error_tolerance(A.shape[-1], A.dtype):.3g})")
    return LUFactors(LU, piv)


def lu_solve(factors: LUFactors, B, *, A=None, name: str = "A"):
    """Solve with factors from :func:`lu_factor`; with ``A`` given, the residual is checked
    and a failed check re-factorises on the safe path (raising if that fails too)."""
    torch = _torch()
    LU, piv = factors
    X = torch.linalg.lu_solve(LU, piv, B) if bool(((piv >= 1) & (piv <= LU.shape[-1])).all()) else None
    if A is None:
        if X is None:
            raise ValueError(f"{name}: LU pivots out of range (a faulty factorisation)")
        return X
    tol = backward_error_tolerance(A.shape[-1], A.dtype)
    if X is None or not bool((backward_error(A, X, B) <= tol).all()):
        LU, piv = _safe_factor(A, name)
        X = torch.linalg.lu_solve(LU, piv, B)
        err = backward_error(A, X, B)
        if not bool((err <= tol).all()):
            raise ValueError(f"{name}: is singular to working precision (backward error {float(err.max()):.3g} "
                             f"> {tol:.3g})")
    return X


def _as_matrix_rhs(A, B, name_b: str):
    """Return ``(B as (..., n, k), was_vector)`` following numpy's solve convention."""
    n = A.shape[-1]
    vector = B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1])
    if B.ndim == 1:
        vector = True
    Bm = B[..., None] if vector else B
    if Bm.ndim < 2 or Bm.shape[-2] != n:
        raise ValueError(f"{name_b}: must have shape (..., {n}) or (..., {n}, k) to match A {tuple(A.shape)}, "
                         f"got {tuple(B.shape)}")
    return Bm, vector


def solve(A, B, *, name: str = "A", name_b: str = "B"):
    """Solve ``A X = B`` (batched), guarded against the batched-LU fault and residual-checked.

    Parameters
    ----------
    A : ``(..., n, n)`` torch tensor or numpy array
    B : ``(..., n)`` (one vector per matrix) or ``(..., n, k)``; broadcast against ``A``

    Returns
    -------
    X with the shape of ``B`` (broadcast), the same kind (torch / numpy) as ``A``.

    Raises
    ------
    ValueError
        Non-square, non-finite or mismatched inputs; a singular ``A`` (the backward
        error ``|AX - B|_F / (|A|_F |X|_F + |B|_F)`` exceeds ``64 n eps`` in every mode).
    """
    if _is_torch(A) != _is_torch(B):
        raise TypeError(f"{name_b}: must be the same kind of array as {name} (both torch or both numpy)")
    if not _is_torch(A):
        A, B = np.asarray(A), np.asarray(B)
        _check_matrix(A, name)
        _check_matrix_rhs_np(B, name_b)
        Bm, vector = _as_matrix_rhs(A, B, name_b)
        try:
            X = np.linalg.solve(A, Bm)
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"{name}: is singular ({exc})") from None
        err = backward_error(A, X, Bm)
        if not np.all(err <= backward_error_tolerance(A.shape[-1], A.dtype)):
            raise ValueError(f"{name}: is singular to working precision (backward error {float(np.max(err)):.3g})")
        return X[..., 0] if vector else X
    torch = _torch()
    _check_matrix(A, name)
    if B.dtype != A.dtype:
        raise TypeError(f"{name_b}: must have the dtype of {name} ({A.dtype}), got {B.dtype}")
    if B.numel() and not bool(torch.isfinite(B.detach()).all()):
        raise ValueError(f"{name_b}: must be finite, found NaN/inf entries")
    Bm, vector = _as_matrix_rhs(A, B, name_b)
    try:
        torch.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    except RuntimeError:
        raise ValueError(f"{name_b}: batch shape {tuple(Bm.shape[:-2])} does not broadcast against "
                         f"{name}'s {tuple(A.shape[:-2])}") from None
    factors = lu_factor(A, name=name, check=False)
    X = lu_solve(factors, Bm, A=A, name=name)
    return X[..., 0] if vector else X


def _check_matrix_rhs_np(B, name_b):
    if B.dtype.kind not in "fc":
        raise TypeError(f"{name_b}: must be a float or complex array, got dtype {B.dtype}")
    if B.size and not np.all(np.isfinite(B)):
        raise ValueError(f"{name_b}: must be finite, found NaN/inf entries")


def inv(A, *, name: str = "A"):
    """Inverse of a matrix or batch (guarded LU; the factors are residual-checked)."""
    if not _is_torch(A):
        A = np.asarray(A)
        _check_matrix(A, name)
        return solve(A, np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape).copy(), name=name)
    torch = _torch()
    _check_matrix(A, name)
    factors = lu_factor(A, name=name)
    eye = torch.eye(A.shape[-1], dtype=A.dtype, device=A.device).expand_as(A)
    return torch.linalg.lu_solve(factors.LU, factors.pivots, eye)


def slogdet(A, *, name: str = "A"):
    """``(sign, log|det A|)`` of a matrix or batch from a guarded, residual-checked LU.

    For a symmetric positive-definite matrix (a covariance) use :func:`logdet_spd`,
    which also refuses matrices that are not positive definite.
    """
    if not _is_torch(A):
        A = np.asarray(A)
        _check_matrix(A, name)
        return np.linalg.slogdet(A)
    torch = _torch()
    _check_matrix(A, name)
    try:
        LU, piv = lu_factor(A, name=name)
    except ValueError:  # exactly singular: det = 0
        sign = torch.zeros(A.shape[:-2], dtype=A.dtype, device=A.device)
        return sign, torch.full(A.shape[:-2], -math.inf, dtype=A.real.dtype if A.is_complex() else A.dtype,
                                device=A.device)
    d = LU.diagonal(dim1=-2, dim2=-1)
    n = A.shape[-1]
    swaps = (piv != torch.arange(1, n + 1, device=piv.device, dtype=piv.dtype)).sum(-1)
    perm_sign = 1 - 2 * (swaps % 2)
    logabs = d.abs().log().sum(-1)
    unit = d / d.abs()
    sign = perm_sign.to(unit.dtype) * unit.prod(-1)
    return sign, logabs


def det(A, *, name: str = "A"):
    """Determinant from :func:`slogdet` (guarded)."""
    sign, logabs = slogdet(A, name=name)
    if _is_torch(A):
        return sign * logabs.exp()
    return sign * np.exp(logabs)


def logdet_spd(S, *, name: str = "S"):
    """``log det S`` of a symmetric (Hermitian) positive-definite matrix or batch, by Cholesky.

    Raises
    ------
    ValueError
        If ``S`` is not square, finite, symmetric (to ``1e-8`` relative) or positive definite.
    """
    if not _is_torch(S):
        S = np.asarray(S)
        _check_matrix(S, name)
        _require_hermitian_np(S, name)
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            raise ValueError(f"{name}: must be positive definite (Cholesky failed)") from None
        return 2.0 * np.log(np.abs(np.diagonal(L, axis1=-2, axis2=-1))).sum(-1)
    torch = _torch()
    _check_matrix(S, name)
    with torch.no_grad():
        asym = (S - S.mT.conj()).abs().amax(dim=(-2, -1))
        scale = S.abs().amax(dim=(-2, -1)).clamp_min(torch.finfo(S.real.dtype if S.is_complex() else S.dtype).tiny)
        if bool((asym > 1e-8 * scale).any()):
            raise ValueError(f"{name}: must be symmetric (max |{name} - {name}^T| / max |{name}| = "
                             f"{float((asym / scale).max()):.3g} > 1e-08)")
    L, info = torch.linalg.cholesky_ex(S)
    if bool((info != 0).any()):
        raise ValueError(f"{name}: must be positive definite (Cholesky failed for {int((info != 0).sum())} "
                         f"of {info.numel()} matrices)")
    return 2.0 * L.diagonal(dim1=-2, dim2=-1).real.log().sum(-1)


def _require_hermitian_np(S, name):
    asym = np.abs(S - np.swapaxes(S, -1, -2).conj()).max()
    scale = max(float(np.abs(S).max()), np.finfo(np.float64).tiny)
    if asym > 1e-8 * scale:
        raise ValueError(f"{name}: must be symmetric (max |{name} - {name}^T| / max |{name}| = {asym / scale:.3g} > 1e-08)")


def solve_spd(S, B, *, name: str = "S", name_b: str = "B"):
    """Solve ``S X = B`` for symmetric positive-definite ``S`` (torch) by Cholesky, residual-checked."""
    torch = _torch()
    if not _is_torch(S) or not _is_torch(B):
        raise TypeError(f"{name}: solve_spd needs torch tensors")
    _check_matrix(S, name)
    Bm, vector = _as_matrix_rhs(S, B, name_b)
    L, info = torch.linalg.cholesky_ex(S)
    if bool((info != 0).any()):
        raise ValueError(f"{name}: must be positive definite (Cholesky failed)")
    X = torch.cholesky_solve(Bm, L)
    return X[..., 0] if vector else X
