"""Errata for note 004 (Emami, Sahraee-Ardakan, Rangan & Fletcher, poster): book Part V."""
from __future__ import annotations

import sympy as sp

from ..verify import check_matrix_identity
from . import Discrepancy, register

NOTE = "004_9e76d5a056fd089f.txt"


def _equivalence_list():
    """The poster's transformed parameters (b unchanged) vs the complete list (b -> T b)."""
    n, m = sp.symbols("n m", integer=True, positive=True)
    W, T = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("T", n, n)
    F, b = sp.MatrixSymbol("F", n, m), sp.MatrixSymbol("b", n, 1)
    h, x = sp.MatrixSymbol("h", n, 1), sp.MatrixSymbol("x", m, 1)
    target = T * (W * h + F * x + b)  # pre-activation of the original RNN, in the new coordinates
    step = (T * W * T.I) * (T * h) + (T * F) * x
    printed = check_matrix_identity(step + b, target, "poster: W'=TWT^-1, F'=TF, b'=b", strict=False)
    corrected = check_matrix_identity(step + T * b, target, "corrected: b'=Tb", strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE,
    equation="equivalence example",
    kind="wrong claim",
    summary="The similarity transform listed as an equivalence (W->TWT^-1, C->CT^-1, F->TF, h_-1->Th_-1) "
            "leaves the bias unchanged; the state step then misses (T-I)b. The bias must also map, b->Tb.",
    printed=r"W \to TWT^{-1},\ C \to CT^{-1},\ F \to TF,\ h_{-1} \to Th_{-1}",
    corrected=r"W \to TWT^{-1},\ C \to CT^{-1},\ F \to TF,\ b \to Tb,\ h_{-1} \to Th_{-1}",
    check=_equivalence_list,
    chapter="book/part5_unitary/01_equivalence",
))

register(Discrepancy(
    note=NOTE,
    equation="data generation: W_g",
    kind="typo",
    summary="The operator between I and the scaled A^T A is missing in the printed W_g; the contractive "
            "system of the experiment is W_g = I - eps A^T A/||A||^2 (chapter 4 checks its contractivity).",
    printed=r"W_g = I \epsilon A^T A / \|A\|^2",
    corrected=r"W_g = I - \epsilon A^T A / \|A\|^2",
    check=None,
    chapter="book/part5_unitary/04_learning_experiment",
))
