"""Device, scale presets, seeding and progress bars shared by every chapter.

One code path serves the CPU and the GPU: chapters ask :func:`get_device` for
the torch device and :func:`preset` for their sizes, and never branch on the
hardware themselves.

Environment variables
---------------------
``RNNMATH_DEVICE``
    Force a torch device (``cpu``, ``cuda``, ``cuda:1`` ...).
``RNNMATH_SCALE``
    ``quick`` (small sizes; what CI runs on two CPU cores) or ``full`` (the
    sizes of the source notes).  Default: ``full`` when CUDA is available,
    ``quick`` otherwise.
``RNNMATH_SEED_OFFSET``
    A non-negative integer added to every seed that goes through :func:`seeded` or
    :func:`seed_everything` (default 0).  CI executes every chapter under several
    offsets, so that a check which holds for one draw only is caught.
``RNNMATH_PROGRESS``
    ``0`` disables progress bars (the book build and the test-suite set it so
    that rendered pages are not cluttered); anything else enables them.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Iterable, Mapping

import numpy as np

SCALES = ("quick", "full")

__all__ = [
    "SCALES",
    "get_device",
    "get_scale",
    "preset",
    "Preset",
    "seed_everything",
    "seed_offset",
    "seeded",
    "progress",
    "describe_environment",
    "cuda_available",
]


def cuda_available() -> bool:
    """Return True when torch sees a CUDA device (False if torch is missing)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return False
    return bool(torch.cuda.is_available())


def get_device(name: str | None = None):
    """Return the torch device the book computes on.

    Parameters
    ----------
    name : str, optional
        Explicit device name.  If omitted, ``RNNMATH_DEVICE`` is used; if that
        is unset, CUDA when available, else CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the requested device is not a valid torch device string, or asks
        for CUDA on a machine without it.
    """
    import torch

    requested = name if name is not None else os.environ.get("RNNMATH_DEVICE", "").strip()
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(requested)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device: {requested!r} is not a torch device name ({exc})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {requested!r} requested but CUDA is not available on this machine")
    return dev


def get_scale(name: str | None = None) -> str:
    """Return the active scale preset, ``'quick'`` or ``'full'``.

    ``name`` overrides; otherwise ``RNNMATH_SCALE``; otherwise ``'full'`` on a
    CUDA machine (unless ``RNNMATH_DEVICE`` pins the CPU) and ``'quick'`` else.
    """
    requested = name if name is not None else os.environ.get("RNNMATH_SCALE", "").strip().lower()
    if requested:
        if requested not in SCALES:
            raise ValueError(f"scale: {requested!r} is not one of {SCALES} (set RNNMATH_SCALE to quick or full)")
        return requested
    forced = os.environ.get("RNNMATH_DEVICE", "").strip().lower()
    if forced.startswith("cpu"):
        return "quick"
    return "full" if cuda_available() else "quick"


@dataclass(frozen=True)
class Preset(Mapping):
    """Sizes chosen for the active scale; read-only, attribute and key access.

    Examples
    --------
    >>> P = preset(quick=dict(n=8, steps=100), full=dict(n=1000, steps=10_000), scale="quick")
    >>> P.n, P["steps"], P.scale
    (8, 100, 'quick')
    """

    scale: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:  # called only when normal lookup fails
        values = object.__getattribute__(self, "values")
        try:
            return values[key]
        except KeyError:
            raise AttributeError(f"preset has no size named {key!r}; known: {sorted(values)}") from None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"Preset[{self.scale}]({inner})"


def preset(*, quick: Mapping[str, Any], full: Mapping[str, Any], scale: str | None = None) -> Preset:
    """Pick the sizes of the active scale.

    Parameters
    ----------
    quick, full : mapping
        Sizes for the CI preset and for the notes' full sizes.  Both must name
        the same keys, so that a chapter cannot silently depend on a size that
        only exists at one scale.
    scale : str, optional
        Override of :func:`get_scale`.

    Raises
    ------
    ValueError
        If the two presets do not have the same keys.
    """
    if set(quick) != set(full):
        raise ValueError(
            "quick/full: presets must define the same sizes; "
            f"only in quick: {sorted(set(quick) - set(full))}, only in full: {sorted(set(full) - set(quick))}"
        )
    reserved = sorted(set(quick) & {"scale", "values"} | set(quick) & set(dir(Mapping)))
    if reserved:
        raise ValueError(f"quick/full: size names {reserved} are reserved by Preset; rename them")
    active = get_scale(scale)
    return Preset(active, dict(quick if active == "quick" else full))


def seed_offset() -> int:
    """The value of ``RNNMATH_SEED_OFFSET`` (default 0), validated."""
    raw = os.environ.get("RNNMATH_SEED_OFFSET", "").strip()
    if not raw:
        return 0
    try:
        off = int(raw)
    except ValueError:
        raise ValueError(f"RNNMATH_SEED_OFFSET: must be a non-negative integer, got {raw!r}") from None
    if off < 0:
        raise ValueError(f"RNNMATH_SEED_OFFSET: must be a non-negative integer, got {raw!r}")
    return off


def seeded(seed: int) -> int:
    """``seed`` shifted by ``RNNMATH_SEED_OFFSET``: route every literal seed of a chapter through it.

    The offset is multiplied by 1000003 so that shifted seeds of neighbouring literals do not
    collide (``seeded(1)`` under offset 1 is not ``seeded(2)`` under offset 0).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
    return int(seed) + 1_000_003 * seed_offset()


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed python, numpy and torch (CPU and CUDA); return a numpy Generator.

    Parameters
    ----------
    seed : int
        Non-negative integer seed; shifted by ``RNNMATH_SEED_OFFSET`` (see :func:`seeded`).
    """
    seed = seeded(seed)
    import torch

    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():  # pragma: no cover - no GPU in CI
        torch.cuda.manual_seed_all(int(seed))
    return np.random.default_rng(int(seed))


def _progress_enabled() -> bool:
    return os.environ.get("RNNMATH_PROGRESS", "1").strip() not in ("0", "false", "no", "off")


def progress(iterable: Iterable | None = None, **kwargs):
    """A tqdm progress bar (notebook widget in JupyterLab, text in a terminal).

    Disabled when ``RNNMATH_PROGRESS=0`` so that the rendered book and CI logs
    carry no progress output.  Keyword arguments go to :func:`tqdm.auto.tqdm`.
    """
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", not _progress_enabled())
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)


def describe_environment(print_it: bool = True) -> SimpleNamespace:
    """Report the device, the scale preset and the library versions.

    Every chapter's first cell calls this so that a reader sees which preset
    produced the numbers on the page and how to switch to the other one.
    """
    import torch

    dev = get_device()
    scale = get_scale()
    info = SimpleNamespace(
        device=dev,
        scale=scale,
        torch=torch.__version__,
        cuda=torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
        progress=_progress_enabled(),
    )
    if print_it:
        where = f"CUDA ({info.cuda})" if info.cuda else "CPU"
        other = "full" if scale == "quick" else "quick"
        print(
            f"rnnmath: device = {where}, scale preset = '{scale}', torch {info.torch}.\n"
            f"  The '{scale}' preset is in force; set RNNMATH_SCALE={other} before starting "
            f"the kernel to run the {other} sizes."
        )
    return info
