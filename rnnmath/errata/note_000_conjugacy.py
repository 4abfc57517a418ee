"""Errata of note 000 (Karuvally) around Eqs. 7-11: the topological conjugacy.

Discussed in the chapter ``book/part1_episodic/02_conjugacy``.
"""
from __future__ import annotations

import torch

from ..episodic import elman_weight, feature_map, iterate_map, rate_map
from ..validation import spectral_norm
from ..verify import check_bound, check_close
from . import Discrepancy, register

NOTE = "000_f4170f628ec5ab7e.txt"
CHAPTER = "book/part1_episodic/02_conjugacy"


def _network(gain: float = 3.0, n_f: int = 6, n_h: int = 3, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    Xi = torch.randn(n_f, n_h, dtype=torch.float64, generator=g) / n_f**0.5
    Phi = torch.randn(n_h, n_h, dtype=torch.float64, generator=g) / n_h**0.5
    W = elman_weight(Xi, Phi)
    return W * (gain / torch.linalg.eigvals(W).abs().max()), g


def check_norm_bound():
    """The bound ||W||_2 <= 1 does harm: with ||W||_2 = c < 1, g is a contraction onto its only fixed point 0.

    tanh is 1-Lipschitz, so ||g(y) - g(y')|| <= c ||y - y'|| and, since g(0) = 0, ||y_k|| <= c^k ||y_0||:
    every orbit dies, including those started at a stored memory.  Printed side (the bound is harmless:
    a network obeying it still holds a memory, ||y_T|| >= 0.1 from sigma(xi_mu)) fails; corrected side:
    the simulated norms ||y_k|| against the geometric envelope c^k ||y_0|| computed from the SVD norm
    (two independent computations).
    """
    g = torch.Generator().manual_seed(4)
    n_f, n_h, B, T = 32, 4, 64, 60
    Xi = torch.randn(B, n_f, n_h, dtype=torch.float64, generator=g) / n_h**0.5
    Phi = torch.randn(B, n_h, n_h, dtype=torch.float64, generator=g) / n_h**0.5
    W = elman_weight(Xi, Phi)
    c = 0.95
    W = W * (c / torch.linalg.matrix_norm(W, ord=2))[:, None, None]          # ||W||_2 = 0.95 < 1
    y0 = torch.tanh(3.0 * Xi[..., 0] * n_h**0.5)                             # start at (the rates of) memory 0
    ys = iterate_map(lambda v: rate_map(W, v), y0, T)                        # (T + 1, B, n_f)
    norms = ys.norm(dim=-1)
    norm_W = torch.as_tensor(spectral_norm(W), dtype=torch.float64)          # SVD, per network
    envelope = norm_W[None, :] ** torch.arange(T + 1, dtype=torch.float64)[:, None] * norms[0][None, :]
    printed = check_bound(norms[-1], f"||W||_2 = {c} still holds a memory: ||y_T|| >= 0.1 after T = {T} steps",
                          lower=0.1, strict=False)
    corrected = check_bound(norms - envelope, f"||y_k|| <= ||W||_2^k ||y_0||: g is a contraction to 0 ({B} nets)",
                            upper=0.0, atol=1e-12, strict=False)
    return printed, corrected


def check_conjugacy_without_bound():
    """A network violating ||W|| <= 1 for which the conjugacy holds: f(x) against sigma^-1(g(sigma(x)))."""
    W, g = _network(gain=3.0)
    x = 2.0 * torch.randn(32, W.shape[0], dtype=torch.float64, generator=g)
    norm = spectral_norm(W)
    defect = (feature_map(W, x) - torch.atanh(rate_map(W, torch.tanh(x)))).abs().amax(-1)
    printed = check_bound(defect, f"the conjugacy breaks without ||W|| <= 1 (defect >= 1e-6 at ||W||_2 = {norm:.3f})",
                          lower=1e-6, strict=False)
    corrected = check_close(torch.atanh(rate_map(W, torch.tanh(x))), feature_map(W, x),
                            f"f = h^-1 o g o h without a norm bound (||W||_2 = {norm:.3f})", rtol=1e-12, atol=1e-12,
                            strict=False)
    return printed, corrected


def check_domain_of_h():
    """h = tanh inverts only on (-1, 1)^n."""
    g = torch.Generator().manual_seed(2)
    outside = 1.0 + torch.rand(16, 4, dtype=torch.float64, generator=g)  # entries in (1, 2)
    inside = 2 * torch.rand(16, 4, dtype=torch.float64, generator=g) - 1  # entries in (-1, 1)
    printed = check_close(torch.tanh(torch.atanh(outside)), outside, "h o h^-1 = id on R^n (points outside the cube)", strict=False)
    corrected = check_close(torch.tanh(torch.atanh(inside)), inside, "h o h^-1 = id on (-1,1)^n", strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE, equation="7", kind="typo",
    summary="the time argument is dropped on the right-hand side: sigma_f(V_f) means sigma_f(V_f(t))",
    printed=r"V_f(t+1) = \Xi(I+\Phi^\top)\Xi^\top\sigma_f(V_f)",
    corrected=r"V_f(t+1) = \Xi(I+\Phi^\top)\Xi^\top\sigma_f(V_f(t))",
    chapter=CHAPTER,
))
register(Discrepancy(
    note=NOTE, equation="9", kind="typo",
    summary="Eq. 9 repeats Eq. 8 verbatim",
    printed=r"\sigma_f^{-1}(V_f'(t+1)) = \Xi(I+\Phi^\top)\Xi^\top V_f'",
    corrected=r"\sigma_f^{-1}(V_f'(t+1)) = \Xi(I+\Phi^\top)\Xi^\top V_f'(t)",
    chapter=CHAPTER,
))
register(Discrepancy(
    note=NOTE, equation="claim:norm-bound", kind="wrong claim",
    summary="the note imposes ||Xi(I+Phi^T)Xi^T|| <= 1; tanh being 1-Lipschitz, ||W||_2 < 1 makes g a contraction "
            "whose only fixed point is 0: no memory and no sequence survives (the sequence networks of chapter 06 "
            "have ||W||_2 far above 1)",
    printed=r"\lVert \Xi(I+\Phi^\top)\Xi^\top\rVert \le 1 \text{ imposed, memories kept}",
    corrected=r"\lVert W\rVert_2 = c < 1 \Rightarrow \lVert g^k(y)\rVert \le c^k\lVert y\rVert \to 0",
    check=check_norm_bound, chapter=CHAPTER,
))
register(Discrepancy(
    note=NOTE, equation="claim:norm-bound-conjugacy", kind="wrong claim",
    summary="the bound ||W|| <= 1 is not needed for the change of variables or the conjugacy: f = h^-1 o g o h for every W",
    printed=r"\lVert \Xi(I+\Phi^\top)\Xi^\top\rVert \le 1 \text{ required for the conjugacy}",
    corrected=r"f = h^{-1}\circ g\circ h \text{ for every } W",
    check=check_conjugacy_without_bound, chapter=CHAPTER,
))
register(Discrepancy(
    note=NOTE, equation="11", kind="wrong claim",
    summary="h = tanh is a homeomorphism from R^n onto (-1,1)^n, not of R^n: f is conjugate to g restricted to (-1,1)^n",
    printed=r"h=\sigma_f \text{ homeomorphism of } \mathbb{R}^{N_f}",
    corrected=r"h=\sigma_f:\mathbb{R}^{N_f}\to(-1,1)^{N_f},\ f = h^{-1}\circ g|_{(-1,1)^{N_f}}\circ h",
    check=check_domain_of_h, chapter=CHAPTER,
))
