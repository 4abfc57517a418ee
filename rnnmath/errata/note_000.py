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


# --------------------------------------------------------------------------- #
# Chapter 04: the discrete energy update (Eqs. 27-43)
# --------------------------------------------------------------------------- #
def _step_symbols():
    """Matrix symbols for one adiabatic step: s0 = sigma(x0), s1 = sigma(x1), y = V_d(t)."""
    d = _parts()
    Nf = d["N_f"]
    s0, s1 = sp.MatrixSymbol("s_0", Nf, 1), sp.MatrixSymbol("s_1", Nf, 1)
    x0 = sp.MatrixSymbol("x_0", Nf, 1)
    Xi, Phi, y = d["Xi"], d["Phi"], d["y"]
    x1 = Xi * Xi.T * s0 + Xi * Phi.T * Xi.T * y          # Eq. 27
    return dict(d, s0=s0, s1=s1, x0=x0, x1=x1)


def _check_eq31():
    e = _step_symbols()
    Xi, Phi, y, s0, s1 = e["Xi"], e["Phi"], e["y"], e["s0"], e["s1"]
    h_held = Xi.T * s0 + Phi.T * Xi.T * y                 # V_h(t), from which x1 = Xi V_h(t)
    E3_next = -s1.T * Xi * h_held
    eq30 = (s0.T * Xi * Xi.T + y.T * Xi * Phi * Xi.T) * s1
    printed = check_matrix_identity(E3_next, eq30, "Eq. 31 as printed: E3(t+1) = Eq. 30", strict=False)
    corrected = check_matrix_identity(E3_next, -eq30, "E3(t+1) = -(Eq. 30), cancelling E1's x^T sigma part", strict=False)
    return printed, corrected


def _tanh_batch(seed=0, B=256, N_f=8, N_h=3):
    from ..episodic import adiabatic_step, random_networks

    g = torch.Generator().manual_seed(seed)
    Xi, Phi = random_networks(B, N_f, N_h, generator=g, device="cpu")
    x0 = 2 * torch.randn(B, N_f, generator=g, dtype=torch.float64)
    y = torch.tanh(x0)
    x1 = adiabatic_step(x0, y, Xi, Phi)
    return Xi, Phi, x0, x1, y


def _logcosh_sum(x):
    from ..episodic import lagrangian

    return lagrangian(x, "tanh")


def _check_eq35():
    from ..episodic import delta_energy_terms

    Xi, Phi, x0, x1, y = _tanh_batch()
    dE2 = delta_energy_terms(x0, x1, y, y, Xi, Phi)["dE2"]
    printed_val = _logcosh_sum(x1) - _logcosh_sum(x0)        # sum log(cosh x1 / cosh x0)
    printed = check_close(printed_val, dE2, "Eq. 35 as printed: dE2 = sum log cosh x(t+1)/cosh x(t)", strict=False)
    corrected = check_close(_logcosh_sum(x0) - _logcosh_sum(x1), dE2, "dE2 = sum log cosh x(t)/cosh x(t+1)", strict=False)
    return printed, corrected


def _eq42(x0, x1, Xi, Phi, log_sign):
    from ..episodic import _feature_mats

    A, B, _ = _feature_mats(Xi, Phi)
    s0, s1 = torch.tanh(x0), torch.tanh(x1)
    q = lambda a, M, b: (a * (M @ b.unsqueeze(-1)).squeeze(-1)).sum(-1)
    return (q(s0, A, s1) - (x0 * s0).sum(-1) + log_sign * (_logcosh_sum(x1) - _logcosh_sum(x0))
            - 0.5 * q(s1, A, s1) + 0.5 * q(s0, A, s0) + q(s0, B, s0))


def _check_eq42():
    from ..episodic import feature_energy

    Xi, Phi, x0, x1, y = _tanh_batch(seed=1)
    true = feature_energy(x1, y, Xi, Phi) - feature_energy(x0, y, Xi, Phi)
    printed = check_close(_eq42(x0, x1, Xi, Phi, +1), true, "Eqs. 42-43 as printed vs E(t+1) - E(t)", strict=False)
    corrected = check_close(_eq42(x0, x1, Xi, Phi, -1), true, "Eqs. 42-43 with the log term negated", strict=False)
    return printed, corrected


def _check_eq43_open():
    from ..episodic import cccp_decrease, feature_energy

    Xi, Phi, x0, x1, y = _tanh_batch(seed=2, B=2048)
    true = feature_energy(x1, y, Xi, Phi) - feature_energy(x0, y, Xi, Phi)
    # the note ends with Eq. 43 and no sign; as printed that expression has no sign
    printed = check_bound(_eq42(x0, x1, Xi, Phi, +1), "Eq. 43 as printed is <= 0", upper=0.0, strict=False)
    closed = cccp_decrease(x0, x1, Xi @ Xi.transpose(-1, -2))
    corrected = check_close(true, closed, "dE = -1/2 d^T Xi Xi^T d - D_{L*}(s(t), s(t+1))  (each part <= 0)", strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE, equation="31", kind="sign", chapter=CH04,
    summary="Eq. 31 gives E3(t+1) the same value as Eq. 30's x(t+1)^T sigma(x(t+1)); with V_h held at V_h(t) "
            "(so that x(t+1) = Xi V_h(t)) E3(t+1) is its negative and the two 'nonlinear terms' cancel.",
    printed=r"E_3(t+1) = \left(\sigma(V_f(t))^\top\Xi\Xi^\top + V_d^\top\Xi\Phi\Xi^\top\right)\sigma(V_f(t+1))",
    corrected=r"E_3(t+1) = -\left(\sigma(V_f(t))^\top\Xi\Xi^\top + V_d^\top\Xi\Phi\Xi^\top\right)\sigma(V_f(t+1))",
    check=_check_eq31,
))

register(Discrepancy(
    note=NOTE, equation="30", kind="typo", chapter=CH04,
    summary="Eq. 30 is labelled E_1(t+1) but gives only its x(t+1)^T sigma(x(t+1)) part; the -L_f(t+1) of E_1 "
            "is handled separately (Delta E_2 in Eq. 35). The expression itself is right.",
    printed=r"E_1(t+1) = \left(\sigma(V_f(t))^\top\Xi\Xi^\top + V_d^\top\Xi\Phi\Xi^\top\right)\sigma(V_f(t+1))",
    corrected=r"V_f(t+1)^\top\sigma(V_f(t+1)) = \left(\sigma(V_f(t))^\top\Xi\Xi^\top + V_d^\top\Xi\Phi\Xi^\top\right)\sigma(V_f(t+1))",
))

register(Discrepancy(
    note=NOTE, equation="32", kind="typo", chapter=CH04,
    summary="Eqs. 29, 32 and 33 carry stray or missing transposes (V_f^T tanh(V_f)^T; tanh(V_f) Xi without ^T), a "
            "spurious upper limit T on the sum, and +- for Xi in Eq. 33; read as the energy of Eq. 25 with "
            "L_f = sum log cosh they change nothing.",
    printed=r"V_f^\top\tanh(V_f)^\top - \sum_{j=1}^{T}\log|\cosh V_f| \;\dots\; \tanh(V_f)\,\Xi\Phi^\top\Xi^\top V_d",
    corrected=r"V_f^\top\tanh(V_f) - \textstyle\sum_i\log\cosh V_{f,i} \;\dots\; \tanh(V_f)^\top\Xi\Phi^\top\Xi^\top V_d",
))

register(Discrepancy(
    note=NOTE, equation="35", kind="sign", chapter=CH04,
    summary="The energy contains -L_f, so its change is -(L_f(t+1) - L_f(t)); Eq. 35 has the ratio of cosh upside down.",
    printed=r"\Delta E_2 = \sum\log\frac{|\cosh V_f(t+1)|}{|\cosh V_f(t)|}",
    corrected=r"\Delta E_2 = \sum\log\frac{\cosh V_f(t)}{\cosh V_f(t+1)}",
    check=_check_eq35,
))

register(Discrepancy(
    note=NOTE, equation="41", kind="typo", chapter=CH04,
    summary="Eq. 41 adds a Delta E_5 that is never defined; it is the change of -1/2 V_d^T Xi Phi Phi^T Xi^T V_d, "
            "which is zero when V_d is held over the step, as Eq. 42 assumes.",
    printed=r"\Delta E = \Delta E_1 + \dots + \Delta E_5",
    corrected=r"\Delta E_5 = -\tfrac12\left[V_d(t+1)^\top\Xi\Phi\Phi^\top\Xi^\top V_d(t+1) - V_d(t)^\top\Xi\Phi\Phi^\top\Xi^\top V_d(t)\right] = 0",
))

register(Discrepancy(
    note=NOTE, equation="42", kind="sign", chapter=CH04,
    summary="Eqs. 42-43 inherit the inverted log-cosh ratio of Eq. 35; with it corrected, the sum (and its "
            "regrouping in Eq. 43) equals the energy change exactly.",
    printed=r"\Delta E = \dots + \sum\log\frac{\cosh V_f(t+1)}{\cosh V_f(t)} + \dots",
    corrected=r"\Delta E = \dots + \sum\log\frac{\cosh V_f(t)}{\cosh V_f(t+1)} + \dots",
    check=_check_eq42,
))

register(Discrepancy(
    note=NOTE, equation="43", kind="unfinished", chapter=CH04,
    summary="The note stops at Eq. 43 ('nonlinear terms issue') without a sign for Delta E. With V_d held over "
            "the step the change is exactly minus a quadratic form minus a Bregman divergence, hence <= 0 "
            "for every Xi and Phi.",
    printed=r"\Delta E = \tfrac12(\tanh V_f(t) - \tanh V_f(t+1))^\top\Xi\Xi^\top\tanh V_f(t+1) + \dots \quad(\text{sign left open})",
    corrected=r"\Delta E = -\tfrac12\,d^\top\Xi\Xi^\top d - D_{L^*}(s(t), s(t+1)) \le 0,\quad d = s(t+1) - s(t),\ s = \tanh V_f",
    check=_check_eq43_open,
))


# --------------------------------------------------------------------------- #
# Chapter 05: derivatives (Eqs. 48-58)
# --------------------------------------------------------------------------- #
def _check_eq58():
    from ..episodic import activation_hessian_tensor, linear_term_gradient, random_networks
    from ..verify import check_jacobian

    g = torch.Generator().manual_seed(58)
    Xi, Phi = (M[0] for M in random_networks(1, 5, 3, generator=g, device="cpu"))
    y = torch.tanh(torch.randn(5, generator=g, dtype=torch.float64))
    c = Xi @ Phi.T @ Xi.T @ y
    pts = 1.5 * torch.randn(4, 5, generator=g, dtype=torch.float64)
    f = lambda v: torch.tanh(v) @ c
    printed_form = lambda v: torch.einsum("i,ijk->k", y @ Xi @ Phi @ Xi.T, activation_hessian_tensor(v, "tanh"))
    printed = check_jacobian(f, printed_form, pts, "Eq. 58 as printed: y^T Xi Phi Xi^T H(sigma)", strict=False)
    corrected = check_jacobian(f, lambda v: linear_term_gradient(v, c, "tanh"), pts,
                               "y^T Xi Phi Xi^T J(sigma)", strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE, equation="53", kind="typo", chapter=CH05,
    summary="The middle expression of Eq. 53 (Xi Xi^T . sigma(x) . J(sigma)) is missing a transpose; the final "
            "form sigma^T Xi Xi^T J(sigma) is right.",
    printed=r"\tfrac12\mathcal J(\sigma^\top\Xi\Xi^\top\sigma) = \tfrac12\,2\,\Xi\Xi^\top.\sigma(x).\mathcal J(\sigma)",
    corrected=r"\tfrac12\mathcal J(\sigma^\top\Xi\Xi^\top\sigma) = \sigma(x)^\top\Xi\Xi^\top\mathcal J(\sigma)",
))

register(Discrepancy(
    note=NOTE, equation="58", kind="wrong claim", chapter=CH05,
    summary="The Jacobian of the term linear in sigma(x) involves J(sigma), not the second-derivative tensor H(sigma).",
    printed=r"\mathcal J(\sigma(x)^\top\Xi\Phi^\top\Xi^\top y) = y^\top\Xi\Phi\Xi^\top\mathcal H(\sigma)",
    corrected=r"\mathcal J(\sigma(x)^\top\Xi\Phi^\top\Xi^\top y) = y^\top\Xi\Phi\Xi^\top\mathcal J(\sigma)",
    check=_check_eq58,
))

register(Discrepancy(
    note=NOTE, equation="4", kind="typo", chapter="book/part1_episodic/01_continuous_time",
    summary="Eq. 4 repeats Eq. 3 verbatim; both leave the time argument off some occurrences of V_h and V_f. "
            "Nothing changes: on the slow manifold every quantity is evaluated at time t.",
    printed=r"V_h(t) = \Xi^\top\sigma_f(V_f(t)) + \Phi^\top\Xi^\top\sigma_f(V_f)",
    corrected=r"V_h(t) = \Xi^\top\sigma_f(V_f(t)) + \Phi^\top\Xi^\top\sigma_f(V_f(t))",
))
