"""Errata for note 000 (Karuvally, Episodic memory theory of RNNs — energy analysis).

Records for the energy chapters of Part I (chapters 03-05).  The conjugacy chapter's
records live in ``note_000_conjugacy.py``.  Every check recomputes the printed and the
corrected form with ``strict=False`` checks of :mod:`rnnmath.verify`.
"""
from __future__ import annotations

import sympy as sp
import torch

from . import Discrepancy, register
from ..verify import check_bound, check_close, check_matrix_identity

NOTE = "000_f4170f628ec5ab7e.txt"
CH03 = "book/part1_episodic/03_energy_terms"
CH04 = "book/part1_episodic/04_discrete_energy"
CH05 = "book/part1_episodic/05_cccp"
HALF = sp.Rational(1, 2)


def _parts():
    from ..episodic import symbolic_energy_parts

    return symbolic_energy_parts()


def _combo(d, a, b, c):
    """a s^T Xi Xi^T s + b s^T Xi Phi^T Xi^T y + c y^T Xi Phi Phi^T Xi^T y."""
    s, y, Xi, Phi = d["s"], d["y"], d["Xi"], d["Phi"]
    return a * s.T * Xi * Xi.T * s + b * s.T * Xi * Phi.T * Xi.T * y + c * y.T * Xi * Phi * Phi.T * Xi.T * y


def _check_eq28():
    d = _parts()
    lhs = d["E2"] + d["E3"] + d["E4"]
    printed = check_matrix_identity(lhs, _combo(d, HALF, -1, -HALF), "Eq. 28: E2+E3+E4 with +1/2 s^T Xi Xi^T s", strict=False)
    corrected = check_matrix_identity(lhs, _combo(d, -HALF, -1, -HALF), "Eq. 25: E2+E3+E4 with -1/2 s^T Xi Xi^T s", strict=False)
    return printed, corrected


def _check_eq45():
    d = _parts()
    lhs = d["E2"] + d["E3"] + d["E4"]
    printed = check_matrix_identity(lhs, _combo(d, HALF, 1, HALF), "Eqs. 45/47: E2+E3+E4 with signs (+,+,+)", strict=False)
    corrected = check_matrix_identity(lhs, _combo(d, -HALF, -1, -HALF), "Eq. 25: E2+E3+E4 with signs (-,-,-)", strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE, equation="23", kind="typo", chapter=CH03,
    summary="The first term of E4 lacks a transpose on sigma_f(V_f); as printed the product is not defined. "
            "With the transpose it equals the first term of Eq. 22 (a scalar equals its transpose).",
    printed=r"E_4 = -\left[\sigma_f(V_f)\,\Xi\Phi^\top\Xi^\top V_d + V_d^\top\Xi\Phi\Phi^\top\Xi^\top V_d\right]",
    corrected=r"E_4 = -\left[\sigma_f(V_f)^\top\Xi\Phi^\top\Xi^\top V_d + V_d^\top\Xi\Phi\Phi^\top\Xi^\top V_d\right]",
))

register(Discrepancy(
    note=NOTE, equation="28", kind="sign", chapter=CH03,
    summary="Eqs. 28-29 restate the energy of Eq. 25 with the sign of the 1/2 sigma^T Xi Xi^T sigma term flipped "
            "to +; E2 + E3 + E4 gives -1/2 (1/2 from E2, -1 from E3).",
    printed=r"E = V_f^\top\sigma_f - L_f + \tfrac12\sigma_f^\top\Xi\Xi^\top\sigma_f - \sigma_f^\top\Xi\Phi^\top\Xi^\top V_d - \tfrac12 V_d^\top\Xi\Phi\Phi^\top\Xi^\top V_d",
    corrected=r"E = V_f^\top\sigma_f - L_f - \tfrac12\sigma_f^\top\Xi\Xi^\top\sigma_f - \sigma_f^\top\Xi\Phi^\top\Xi^\top V_d - \tfrac12 V_d^\top\Xi\Phi\Phi^\top\Xi^\top V_d",
    check=_check_eq28,
))

register(Discrepancy(
    note=NOTE, equation="45", kind="sign", chapter=CH03,
    summary="Eqs. 45 and 47 (the energy used for the CCCP argument) carry + on all three interaction terms; "
            "the energy of Eq. 25 has - on all three.",
    printed=r"E = x^\top\sigma(x) - L + \tfrac12\sigma^\top\Xi\Xi^\top\sigma + \sigma^\top\Xi\Phi^\top\Xi^\top y + \tfrac12 y^\top\Xi\Phi\Phi^\top\Xi^\top y",
    corrected=r"E = x^\top\sigma(x) - L - \tfrac12\sigma^\top\Xi\Xi^\top\sigma - \sigma^\top\Xi\Phi^\top\Xi^\top y - \tfrac12 y^\top\Xi\Phi\Phi^\top\Xi^\top y",
    check=_check_eq45,
))
