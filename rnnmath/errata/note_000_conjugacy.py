"""Errata of note 000 (Karuvally) around Eqs. 7-11: the topological conjugacy.

Discussed in the chapter ``book/part1_episodic/02_conjugacy``.
"""
from __future__ import annotations

import torch

from ..episodic import elman_weight, feature_map, rate_map
from ..validation import spectral_norm
from ..verify import check_close, check_true
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
    """A network violating ||W|| <= 1 for which the conjugacy still holds exactly."""
    W, g = _network(gain=3.0)
    x = 2.0 * torch.randn(32, W.shape[0], dtype=torch.float64, generator=g)
    norm = spectral_norm(W)
    printed = check_true(norm <= 1.0, "the conjugacy needs ||W|| <= 1", f"instance with ||W||_2 = {norm:.3f} satisfies it exactly", strict=False)
    corrected = check_close(torch.tanh(feature_map(W, x)), rate_map(W, torch.tanh(x)),
                            f"h o f = g o h without a norm bound (||W||_2 = {norm:.3f})", strict=False)
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
    summary="the bound ||Xi(I+Phi^T)Xi^T|| <= 1 is not needed for the change of variables or the conjugacy",
    printed=r"\lVert \Xi(I+\Phi^\top)\Xi^\top\rVert \le 1 \text{ required}",
    corrected=r"h\circ f = g\circ h \text{ for every } W",
    check=check_norm_bound, chapter=CHAPTER,
))
register(Discrepancy(
    note=NOTE, equation="11", kind="wrong claim",
    summary="h = tanh is a homeomorphism from R^n onto (-1,1)^n, not of R^n: f is conjugate to g restricted to (-1,1)^n",
    printed=r"h=\sigma_f \text{ homeomorphism of } \mathbb{R}^{N_f}",
    corrected=r"h=\sigma_f:\mathbb{R}^{N_f}\to(-1,1)^{N_f},\ f = h^{-1}\circ g|_{(-1,1)^{N_f}}\circ h",
    check=check_domain_of_h, chapter=CHAPTER,
))
