"""rnnmath — the companion library of the book *Executable derivations about RNNs*.

The book's chapters import from here; heavy code lives in the topic modules:

==========================  ====================================================
``rnnmath.device``          device, quick/full presets, seeding, progress bars
``rnnmath.verify``          symbolic and numeric checks (:class:`CheckResult`)
``rnnmath.validation``      input validation raising clear ``ValueError``\\ s
``rnnmath.linalg``          guarded batched LU (solve, inverse, log-determinant)
``rnnmath.errata``          the registry of discrepancies with the notes
``rnnmath.plotting``        the book's figure style
``rnnmath.episodic``        Part I  — episodic memory energy analysis (note 000; overlap recursion in ``episodic_overlaps``)
``rnnmath.rate``            Part II — rate networks and tasks (note 001; claim rules in ``rate_claims``)
``rnnmath.fixed_points``    Part II — slow points of rate networks
``rnnmath.latent``          Part II — predictive information, DCA, PCA
``rnnmath.attractor``       Part III — attractor nets (note 002; conv nets in ``attractor_conv``)
``rnnmath.gated``           Part IV — continuous-time gated RNNs (note 003; adjoint in ``gated_adjoint``)
``rnnmath.lyapunov``        Part IV — Lyapunov spectra of continuous-time flows
``rnnmath.unitary``         Part V  — unitary and contractive RNNs (note 004)
==========================  ====================================================

Importing the package is cheap and never initialises CUDA.
"""
from .device import (
    describe_environment,
    get_device,
    get_scale,
    preset,
    progress,
    seed_everything,
    seed_offset,
    seeded,
)
from .verify import ChapterChecks, CheckResult, VerificationError

__version__ = "0.1.0"

__all__ = [
    "describe_environment",
    "get_device",
    "get_scale",
    "preset",
    "progress",
    "seed_everything",
    "seed_offset",
    "seeded",
    "ChapterChecks",
    "CheckResult",
    "VerificationError",
    "__version__",
]
