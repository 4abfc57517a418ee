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
    kind="omission",
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
    kind="clarification",
    summary="T = 1000 = 10/eps is right as arithmetic, but the reading 'T spans ten time constants of the system' is "
            "false: 1/eps is the shortest time constant of W_g = I - eps A^T A/||A||^2 (its eigenvalue 1 - eps); the "
            "other modes decay over (1/eps) ||A||^2/mu_i steps, up to (1/eps) ||A||^2/sigma_min(A)^2, "
            "often far beyond T = 1000, so T spans ten time constants only of the fastest mode.",
    printed=r"T = 1000 = 10 \times \text{time constant } (1/\epsilon)",
    corrected=r"\tau_i = -1/\ln\!\big(1 - \epsilon\,\mu_i(A^\top A)/\|A\|^2\big) \in "
              r"\big[1/\epsilon,\ \approx \|A\|^2/(\epsilon\,\sigma_{\min}(A)^2)\big]",
    check=_time_constants,
    chapter="book/part5_unitary/04_learning_experiment",
))


def _gradient_rates(activation: str, seed: int = 0, B: int = 32, n: int = 16, T: int = 100):
    """Per-network growth rate (1/T) log ||dh_T/dh_{-1}|| of random orthogonal RNNs (chapter 4)."""
    import torch

    from ..unitary import state_jacobian_norms

    g = torch.Generator().manual_seed(seed)
    U = torch.linalg.qr(torch.randn(B, n, n, generator=g, dtype=torch.float64))[0]
    F = torch.randn(B, n, 2, generator=g, dtype=torch.float64)
    b = 0.1 * torch.randn(B, n, generator=g, dtype=torch.float64)
    x = torch.randn(B, T, 2, generator=g, dtype=torch.float64)
    norms = state_jacobian_norms(U, F, b, x, activation=activation)
    return ((torch.log(norms[:, -1]) - torch.log(norms[:, 0])) / (T - 1)).numpy()


#: "no vanishing or exploding gradient": the per-step log growth rate stays within +-0.01
#: (a factor within e^{+-1} over 100 steps); fixed before the data are computed.
GRADIENT_RULE_BOUNDS = (-0.01, 0.01)


def gradient_verdict(activation: str, **kw):
    """The claim verdict of "a URNN avoids vanishing and exploding gradients" for one activation."""
    from ..verify import DecisionRule, claim_verdict

    return claim_verdict(f"URNN ({activation}): no vanishing or exploding gradient",
                         rule=DecisionRule("within", GRADIENT_RULE_BOUNDS),
                         statistic="per-step log growth rate of ||dh_t/dh_-1||", samples=_gradient_rates(activation, **kw),
                         source="emami_unitary_poster, 'Unitary RNNs'")


def _gradients():
    """False reading: with the ReLU a URNN keeps gradient norms (fails); true: the orthogonal matrix does (passes)."""
    relu, identity = gradient_verdict("relu"), gradient_verdict("identity")
    return relu.check("supported"), identity.check("supported")


register(Discrepancy(
    note=NOTE,
    equation="Unitary RNNs: overcome the vanishing/exploding gradient problem",
    kind="clarification",
    summary="An orthogonal W preserves the norm of every backpropagated gradient, so a URNN with the identity "
            "activation neither vanishes nor explodes. With the ReLU (the activation of Theorems 1-2) the inactive "
            "units zero parts of the gradient at every step, and the gradient norm of a random ReLU URNN decays "
            "geometrically: the claim holds for the recurrence matrix, not for the network.",
    printed=r"\text{URNN (ReLU): } \|\partial h^{(t)}/\partial h^{(-1)}\| \not\to 0",
    corrected=r"\|\partial h^{(t)}/\partial h^{(-1)}\| = 1 \text{ for } \phi = \mathrm{id};\ "
              r"\le \prod_k \|\operatorname{diag}(\phi'(z_k))\| \text{ in general}",
    check=_gradients,
    chapter="book/part5_unitary/04_learning_experiment",
))
