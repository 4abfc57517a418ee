"""Argument checks shared by the Part IV modules (:mod:`rnnmath.gated`, :mod:`rnnmath.gated_adjoint`,
:mod:`rnnmath.lyapunov`).

Every helper raises ``ValueError``/``TypeError`` whose message starts with the argument's name and a colon
and states the violated condition (the house convention of :mod:`rnnmath.validation`).
"""
from __future__ import annotations

import math

import numpy as np

from .validation import as_numpy


def require_int(value, name: str, low: int = 0):
    """An integer (not a bool) ``>= low``; returns it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
    return int(value)


def require_callable(fn, name: str):
    if not callable(fn):
        raise TypeError(f"{name}: must be callable, got {type(fn).__name__}")
    return fn


def real_finite(value, name: str, *, nonneg: bool = False) -> np.ndarray:
    """``value`` as a finite real float64 numpy array (non-empty; ``>= 0`` when ``nonneg``)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name}: must be a real number or array, got {type(value).__name__} {value!r}")
    try:
        arr = as_numpy(value)
    except Exception:
        raise TypeError(f"{name}: must be a real number or array, got {type(value).__name__}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: must be real-valued, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: must be finite, found {bad} NaN/inf entries")
    if nonneg and np.any(arr < 0):
        raise ValueError(f"{name}: must be >= 0, got {value!r}" if arr.size == 1 else f"{name}: all entries must be >= 0")
    return arr


def positive_scalar(value, name: str, *, strict: bool = True) -> float:
    """A finite real scalar ``> 0`` (``>= 0`` when not ``strict``); NaN and inf are refused."""
    if isinstance(value, bool) or isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name}: must be a real number, got {type(value).__name__} {value!r}")
    if isinstance(value, complex) or np.iscomplexobj(value):
        raise TypeError(f"{name}: must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: must be a real number, got {type(value).__name__} {value!r}") from None
    if math.isnan(v) or not (v > 0 if strict else v >= 0):
        raise ValueError(f"{name}: must be {'> 0' if strict else '>= 0'}, got {value!r}")
    if math.isinf(v):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return v


def broadcast(names: str, *arrays):
    """``np.broadcast_arrays`` with a message naming the arguments (``"g_h/alpha_r: ..."``)."""
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise ValueError(f"{names}: shapes do not broadcast together ({shapes})") from None


def require_tensor(x, name: str, *, like=None, finite: bool = True):
    """A torch tensor, of the dtype and device of ``like`` when given, with finite entries."""
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: must be a torch.Tensor, got {type(x).__name__}")
    if like is not None:
        if x.dtype != like.dtype:
            raise TypeError(f"{name}: must have the dtype of the network ({like.dtype}), got {x.dtype}")
        if x.device != like.device:
            raise ValueError(f"{name}: must be on the network's device ({like.device}), got {x.device}")
    if finite:
        bad = int((~torch.isfinite(x.detach())).sum())
        if bad:
            raise ValueError(f"{name}: must be finite, found {bad} NaN/inf entries")
    return x


def require_float_dtype(dtype, name: str = "dtype"):
    import torch

    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{name}: must be a real floating torch dtype, got {dtype!r}")
    return dtype
