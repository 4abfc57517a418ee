"""Errata of note 002 (Mozer, *Notes on convolutional attractor nets*), Part III of the book.

Every record's check recomputes the printed and the corrected form with
``rnnmath.verify`` (``strict=False``); the printed form must fail and the
corrected form must pass.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp
import torch

from ..verify import check_bound, check_close, check_scalar_identity
from . import Discrepancy, register

NOTE = "002_74d2f35f080b0a0c.txt"
CH1 = "book/part3_attractor/01_energy"
CH2 = "book/part3_attractor/02_update_schedules"
CH3 = "book/part3_attractor/03_stationary_gradient"
CH4 = "book/part3_attractor/04_convolutional_symmetry"


# --------------------------------------------------------------------------- #
# Chapter 1 — the energy
# --------------------------------------------------------------------------- #
register(
    Discrepancy(
        note=NOTE,
        equation="2",
        kind="typo",
        summary="The sum in Eqs. 1-2 runs over units j, not iterations i, and must cover both barrier terms.",
        printed=r"\sum_i x_{ij}\operatorname{arctanh}(x_{ij}) + \tfrac12\ln(1-x_{ij}^2)",
        corrected=r"\sum_j \big[x_{ij}\operatorname{arctanh}(x_{ij}) + \tfrac12\ln(1-x_{ij}^2)\big]",
        check=None,
        chapter=CH1,
    )
)


def _barrier_check():
    from ..attractor import barrier

    xs = 1 - torch.logspace(-1, -15, 15, dtype=torch.float64)
    vals = torch.cat([barrier(xs), barrier(-xs)])
    # printed reading: the barrier grows without bound as |x| -> 1 (here: exceeds 10 near the edge)
    printed = check_bound(vals[-3:].max().reshape(1), "Eq. 2 barrier grows without bound as |x| -> 1", lower=10.0, strict=False)
    # corrected: bounded by ln 2, attained at the edge; the slope artanh(x) is what diverges
    x = sp.Symbol("x", real=True)
    F = x * sp.atanh(x) + sp.log(1 - x**2) / 2
    lim = sp.limit(F, x, 1, "-")
    corrected = check_scalar_identity(lim, sp.log(2), "Eq. 2 barrier tends to ln 2 at x -> 1", strict=False)
    if corrected.passed:
        corrected = check_bound(vals, "Eq. 2 barrier is bounded by ln 2 on (-1, 1)", upper=math.log(2), lower=0.0,
                                atol=1e-15, strict=False)
    return printed, corrected


register(
    Discrepancy(
        note=NOTE,
        equation="claim:barrier",
        kind="wrong claim",
        summary=(
            "The barrier terms do not make the energy blow up near +-1: x artanh x and (1/2)ln(1-x^2) diverge "
            "with opposite signs and their sum is bounded by ln 2; only the slope artanh(x) diverges, and that "
            "is what keeps every update inside (-1, 1)."
        ),
        printed=r"\text{energy increases rapidly as } x_j \to \pm 1",
        corrected=r"0 \le F(x) \le F(\pm1) = \ln 2,\quad F'(x) = \operatorname{artanh}x \to \pm\infty",
        check=_barrier_check,
        chapter=CH1,
    )
)
