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


def _time_constants():
    """Time constants -1/ln(lambda_i) of W = I - eps A^T A/||A||^2 for 30 Gaussian 4x4 A (seeded)."""
    import math

    import torch

    from ..unitary import contractive_weight
    from ..verify import check_bound, check_close

    eps, T = 0.01, 1000
    A = torch.randn(30, 4, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    lam = torch.linalg.eigvalsh(contractive_weight(A, eps))  # ascending, all in [1 - eps, 1)
    tau = -1.0 / torch.log(lam)
    printed = check_bound(tau, "every time constant <= T/10 = 1/eps (T spans ten time constants)",
                          upper=T / 10 * 1.01, strict=False)
    corrected = check_close(tau.min(dim=-1).values, torch.full((30,), -1.0 / math.log(1 - eps), dtype=torch.float64),
                            "the SHORTEST time constant is -1/ln(1 - eps) ~ 1/eps", rtol=1e-9)
    return printed, corrected


register(Discrepancy(
    note=NOTE,
    equation="data generation: T = 10 x time constant",
    kind="wrong claim",
    summary="1/eps is the shortest time constant of W_g = I - eps A^T A/||A||^2 (its eigenvalue 1 - eps); the "
            "other modes decay over (1/eps) ||A||^2/mu_i steps, up to (1/eps) ||A||^2/sigma_min(A)^2, "
            "often far beyond T = 1000, so T spans ten time constants only of the fastest mode.",
    printed=r"T = 1000 = 10 \times \text{time constant } (1/\epsilon)",
    corrected=r"\tau_i = -1/\ln\!\big(1 - \epsilon\,\mu_i(A^\top A)/\|A\|^2\big) \in "
              r"\big[1/\epsilon,\ \approx \|A\|^2/(\epsilon\,\sigma_{\min}(A)^2)\big]",
    check=_time_constants,
    chapter="book/part5_unitary/04_learning_experiment",
))
