"""Errata for note 003 (Krishnamurthy, Can & Schwab, poster on continuous-time gated RNNs).

The poster prints equations without numbers; records are identified by short claim ids.
Each check recomputes the printed and the corrected form (``strict=False``): the printed
one must fail and the corrected one pass.  Discussed in book Part IV, chapter 5.
"""
from __future__ import annotations

from . import Discrepancy, register

NOTE = "003_c58dd80c006725f8.txt"
CHAPTER = "book/part4_gated/05_adjoint"


def _adjoint_sign_check():
    """Scalar flow dx/dt = a x, F = int x^2/2: adjoint gradient vs the exact dF/da (sympy)."""
    from ..gated import scalar_adjoint_example
    from ..verify import check_scalar_identity

    g_printed, exact = scalar_adjoint_example(sign=+1)
    g_fixed, exact2 = scalar_adjoint_example(sign=-1)
    printed = check_scalar_identity(g_printed, exact, "printed adjoint (+df/dx) gives dF/da", strict=False)
    corrected = check_scalar_identity(g_fixed, exact2, "adjoint with -df/dx gives dF/da", strict=False)
    return printed, corrected


def _gradient_norm_check():
    """A small gated network: the printed norm formula vs the computed ||dF/dJ^h||."""
    import torch

    from ..gated import gradient_norm_terms, random_gated_network
    from ..verify import check_close

    net = random_gated_network(12, 3.0, 1.0, 2.0, batch=2, seed=11, device="cpu")
    x0 = torch.randn(2, 36, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    terms = gradient_norm_terms(net, x0, 0.1, 30)
    printed = check_close(terms["printed"], terms["norm"], "printed: norm(dF/dJ^h) = int int C_lh C_phi C_sr",
                          rtol=1e-6, strict=False)
    corrected = check_close(terms["exact"], terms["norm_sq"],
                            "Frobenius norm^2 of dF/dJ^h = g_h^2 N^2 int int C_{s(z) lh} C_{phi s(r)}", rtol=1e-9,
                            strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE,
    equation="claim:adjoint-ode",
    kind="sign",
    summary=("With the usual reading of the adjoint as the sensitivity lambda(t) = dF/dx(t), so that "
             "dF/dtheta = int (dF/dtheta)^T lambda dt, the source term of the adjoint ODE carries a minus sign; "
             "the printed +df/dx gives the negative of the gradient (it is right only for lambda -> -lambda, "
             "a convention the poster does not state)."),
    printed=r"\frac{d\lambda}{dt} = -\mathcal{D}(t)^T\lambda + \frac{\partial f}{\partial \mathbf{x}},\quad \lambda(T)=0",
    corrected=(r"\frac{d\lambda}{dt} = -\mathcal{D}(t)^T\lambda - \frac{\partial f}{\partial \mathbf{x}},\quad "
               r"\lambda(T)=0,\quad \frac{d\mathcal{F}}{d\theta}=\int_0^T \Bigl(\frac{\partial F}{\partial\theta}\Bigr)^T\lambda\,dt"),
    check=_adjoint_sign_check,
    chapter=CHAPTER,
))

register(Discrepancy(
    note=NOTE,
    equation="claim:gradient-norm",
    kind="factor",
    summary=("The gradient-norm formula is not an equality as printed: the double time integral gives the "
             "squared Frobenius norm of dF/dJ^h, with a factor g_h^2 N^2, and the adjoint enters weighted by the "
             "update gate, sigma(z) lambda_h; the factorisation C_{phi sigma(r)} = C_phi C_sigma(r) is the "
             "mean-field step."),
    printed=(r"\Bigl\langle \Bigl\lVert \frac{d\mathcal{F}}{d\theta} \Bigr\rVert_2 \Bigr\rangle = \int dt\,dt'\, "
             r"C_{\lambda_h}(t,t')\,C_{\phi}(t,t')\,C_{\sigma_r}(t,t')"),
    corrected=(r"\Bigl\lVert \frac{d\mathcal{F}}{dJ^h} \Bigr\rVert_F^2 = g_h^2N^2\int dt\,dt'\, "
               r"C_{\sigma(z)\lambda_h}(t,t')\,C_{\phi\,\sigma(r)}(t,t') \approx g_h^2N^2\int dt\,dt'\, "
               r"C_{\sigma(z)\lambda_h}\,C_{\phi}\,C_{\sigma(r)}"),
    check=_gradient_norm_check,
    chapter=CHAPTER,
))
