"""Input validation shared by the whole package.

Every public function of :mod:`rnnmath` that needs a shape, a symmetric matrix
or a contraction checks it with one of these helpers.  They raise
:class:`ValueError` whose message starts with the argument's name and states
the violated condition, e.g.::

    ValueError: W: must be symmetric (max |W - W^T| = 0.31 > atol = 1e-10)

They accept numpy arrays and torch tensors alike and return the input
unchanged, so they can be used inline: ``W = require_symmetric(W, "W")``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = [
    "as_numpy",
    "require_ndim",
    "require_shape",
    "require_square",
    "require_symmetric",
    "require_finite",
    "require_float64",
    "require_contractive",
    "require_psd",
    "require_nonexpansive",
    "require_positive",
    "require_in_range",
    "spectral_norm",
]


def _is_torch(x) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return isinstance(x, torch.Tensor)


def as_numpy(x) -> np.ndarray:
    """Return a numpy view/copy of an array-like or torch tensor (detached, on CPU)."""
    if _is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _shape(x) -> tuple[int, ...]:
    if _is_torch(x) or isinstance(x, np.ndarray):
        return tuple(x.shape)
    return tuple(np.shape(x))


def require_ndim(x, name: str, ndim: int | Sequence[int]):
    """Require ``x.ndim`` to be ``ndim`` (or one of several)."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    shp = _shape(x)
    if len(shp) not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise ValueError(f"{name}: must have {want} dimension(s), got shape {shp}")
    return x


def require_shape(x, name: str, shape: Sequence[int | None]):
    """Require ``x.shape`` to match ``shape``; ``None`` entries match any size.

    Examples
    --------
    >>> require_shape(np.zeros((3, 4)), "W", (3, None)).shape
    (3, 4)
    """
    shp = _shape(x)
    shape = tuple(shape)
    ok = len(shp) == len(shape) and all(w is None or w == s for s, w in zip(shp, shape))
    if not ok:
        want = "(" + ", ".join("*" if w is None else str(w) for w in shape) + ")"
        raise ValueError(f"{name}: must have shape {want}, got {shp}")
    return x


def require_square(x, name: str):
    """Require a 2-D square matrix (or a batch ``(..., n, n)`` of them)."""
    shp = _shape(x)
    if len(shp) < 2 or shp[-1] != shp[-2]:
        raise ValueError(f"{name}: must be a square matrix (shape (..., n, n)), got shape {shp}")
    return x


def require_finite(x, name: str):
    """Require every entry to be finite (no NaN or inf)."""
    if _is_torch(x):  # stays in torch: works inside torch.func transforms
        import torch

        bad = int((~torch.isfinite(x.detach())).sum())
        if bad:
            raise ValueError(f"{name}: must be finite, found {bad} NaN/inf entries")
        return x
    arr = as_numpy(x)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: must be finite, found {bad} NaN/inf entries")
    return x


def require_float64(x, name: str):
    """Require double precision (verification work is done in float64)."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    if str(dtype) not in ("float64", "torch.float64", "complex128", "torch.complex128"):
        raise ValueError(f"{name}: must be float64 for verification work, got dtype {dtype}")
    return x


def require_symmetric(x, name: str, atol: float = 1e-10):
    """Require ``x == x^T`` (last two axes) up to ``atol`` (and finite entries)."""
    require_square(x, name)
    require_finite(x, name)
    if _is_torch(x):
        t = x.detach()
        err = float((t - t.transpose(-1, -2)).abs().max()) if t.numel() else 0.0
    else:
        arr = as_numpy(x)
        err = float(np.max(np.abs(arr - np.swapaxes(arr, -1, -2)))) if arr.size else 0.0
    if not err <= atol:
        raise ValueError(f"{name}: must be symmetric (max |{name} - {name}^T| = {err:.3g} > atol = {atol:g})")
    return x


def require_psd(x, name: str, atol: float = 1e-10):
    """Require a symmetric positive semi-definite matrix (or batch): smallest eigenvalue >= -atol."""
    require_symmetric(x, name, atol=atol)
    if _is_torch(x):
        import torch

        ev = float(torch.linalg.eigvalsh(x.detach()).min()) if x.numel() else 0.0
    else:
        arr = as_numpy(x)
        ev = float(np.min(np.linalg.eigvalsh(arr))) if arr.size else 0.0
    if not ev >= -atol:
        raise ValueError(f"{name}: must be positive semi-definite (smallest eigenvalue {ev:.6g} < 0)")
    return x


def spectral_norm(x, name: str = "x") -> np.ndarray | float:
    """Largest singular value of a matrix (or of each matrix in a batch); ``x`` must be finite."""
    require_finite(x, name)
    if _is_torch(x):
        import torch

        if x.ndim < 2:
            raise ValueError(f"{name}: spectral norm needs a matrix, got shape {tuple(x.shape)}")
        s = torch.linalg.matrix_norm(x.detach(), ord=2)
        return float(s) if s.ndim == 0 else s.cpu().numpy()
    arr = as_numpy(x)
    if arr.ndim < 2:
        raise ValueError(f"{name}: spectral norm needs a matrix, got shape {arr.shape}")
    s = np.linalg.svd(arr, compute_uv=False)[..., 0]
    return float(s) if np.ndim(s) == 0 else s


def require_contractive(x, name: str, margin: float = 0.0):
    """Require spectral norm ``||x||_2 < 1 - margin`` (a contraction in the 2-norm)."""
    require_ndim(x, name, (2, 3))
    norm = np.max(spectral_norm(x, name))
    if not norm < 1.0 - margin:
        raise ValueError(
            f"{name}: must be contractive (spectral norm < {1.0 - margin:g}), got spectral norm {norm:.6g}"
        )
    return x


def require_nonexpansive(x, name: str, atol: float = 1e-12):
    """Require spectral norm ``||x||_2 <= 1`` (up to ``atol``)."""
    require_ndim(x, name, (2, 3))
    norm = np.max(spectral_norm(x, name))
    if not norm <= 1.0 + atol:
        raise ValueError(f"{name}: must be non-expansive (spectral norm <= 1), got spectral norm {norm:.6g}")
    return x


def _real_array(value, name: str) -> np.ndarray:
    """``value`` as a real numeric numpy array, or a TypeError naming the argument."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name}: must be a real number, got {type(value).__name__} {value!r}")
    try:
        arr = as_numpy(value)
    except Exception:
        raise TypeError(f"{name}: must be a real number or array, got {type(value).__name__}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: must be real-valued, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty")
    return arr


def require_positive(value, name: str, strict: bool = True):
    """Require a positive (``strict``) or non-negative scalar or array (NaN is refused)."""
    arr = _real_array(value, name)
    ok = np.all(arr > 0) if strict else np.all(arr >= 0)
    if not ok:
        rel = "> 0" if strict else ">= 0"
        raise ValueError(f"{name}: must be {rel}, got {value!r}" if arr.size == 1 else f"{name}: all entries must be {rel}")
    return value


def require_in_range(value, name: str, low: float | None = None, high: float | None = None):
    """Require ``low <= value <= high`` (either bound may be omitted); NaN is refused."""
    arr = _real_array(value, name)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name}: must not be NaN, got {value!r}" if arr.size == 1 else f"{name}: entries must not be NaN")
    if (low is not None and np.any(arr < low)) or (high is not None and np.any(arr > high)):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name}: must lie in [{lo}, {hi}], got {value!r}" if arr.size == 1 else f"{name}: entries must lie in [{lo}, {hi}]")
    return value
