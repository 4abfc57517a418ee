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
    """Printed and corrected Eq. 35 (log of a cosh ratio, numpy longdouble) against the change of -L computed
    from L = logaddexp(x, -x) - log 2 in the library's float64 code path (two independent formulas)."""
    import numpy as np

    from ..episodic import lagrangian

    Xi, Phi, x0, x1, y = _tanh_batch()
    truth = -(lagrangian(x1) - lagrangian(x0))                               # change of the -L_f term
    a0, a1 = (v.numpy().astype(np.longdouble) for v in (x0, x1))
    ratio = np.log(np.abs(np.cosh(a1)) / np.abs(np.cosh(a0))).sum(-1).astype(float)
    printed = check_close(ratio, truth, "Eq. 35 as printed: dE2 = sum log |cosh x(t+1)| / |cosh x(t)|", strict=False)
    corrected = check_close(-ratio, truth, "dE2 = sum log cosh x(t) / cosh x(t+1)", rtol=1e-12, atol=1e-12, strict=False)
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


def _eq43_groups(x0, x1, Xi, Phi):
    """The four groups of Eq. 43 with Eq. 35's ratio corrected: (1/2 (s0 - s1)^T A s1, 1/2 s0^T A (s0 + s1),
    -x0^T s0 + sum log cosh x0 / cosh x1, s0^T B s0)."""
    from ..episodic import _feature_mats

    A, B, _ = _feature_mats(Xi, Phi)
    s0, s1 = torch.tanh(x0), torch.tanh(x1)
    q = lambda a, M, b: (a * (M @ b.unsqueeze(-1)).squeeze(-1)).sum(-1)
    return (0.5 * q(s0 - s1, A, s1), 0.5 * q(s0, A, s0 + s1),
            -(x0 * s0).sum(-1) + _logcosh_sum(x0) - _logcosh_sum(x1), q(s0, B, s0))


def _check_eq43_open():
    """Eq. 43 is right but unfinished.  With only Eq. 35's ratio corrected (counted in the 35/42 records, not
    again here) it equals Delta E; the note stops before a sign.  Printed side: the sign can be read off
    Eq. 43's groups (each <= 0) -- it cannot, the first group takes both signs.  Corrected side: their sum
    equals -1/2 d^T Xi Xi^T d - D_L (computed from d and the Bregman divergence, an independent formula)."""
    from ..episodic import cccp_decrease

    Xi, Phi, x0, x1, y = _tanh_batch(seed=2, B=2048)
    groups = _eq43_groups(x0, x1, Xi, Phi)
    printed = check_bound(torch.stack(groups), "Eq. 43: each grouped term is <= 0 (sign read off term by term)",
                          upper=0.0, strict=False)
    closed = cccp_decrease(x0, x1, Xi @ Xi.transpose(-1, -2))
    corrected = check_close(sum(groups), closed, "Eq. 43 (ratio of Eq. 35 corrected) = -1/2 d^T Xi Xi^T d - D_L* <= 0",
                            rtol=1e-11, atol=1e-11, strict=False)
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
    summary="Eq. 43 is right but unfinished: with only Eq. 35's log-cosh ratio corrected (the 35/42 records) it "
            "equals Delta E exactly, but the note stops ('nonlinear terms issue') without a sign, and its groups have "
            "no sign one by one. With V_d held over the step the sum is exactly minus a quadratic form minus a "
            "Bregman divergence, hence <= 0 for every Xi and Phi.",
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


# --------------------------------------------------------------------------- #
# Records added after the referee reading of Part I (issue 13)
# --------------------------------------------------------------------------- #
CH01 = "book/part1_episodic/01_continuous_time"


def _check_eq39():
    """Eq. 39 needs a Hadamard product and a transpose; the only defined reading of the printed
    juxtaposition (an inner product tanh(a)^T tanh(b) inside the bracket) is wrong."""
    from ..episodic import _feature_mats

    Xi, Phi, x0, x1, y = _tanh_batch(seed=39)
    _, B, _ = _feature_mats(Xi, Phi)
    s0, s1 = torch.tanh(x0), torch.tanh(x1)
    By = (B @ y.unsqueeze(-1)).squeeze(-1)
    truth = -((s1 - s0) * By).sum(-1)                                              # Eq. 38
    inner = 1 - (s1 * s0).sum(-1, keepdim=True)                                  # scalar reading
    printed = check_close(-(torch.tanh(x1 - x0) * inner * By).sum(-1), truth,
                          "Eq. 39 read with tanh(a)^T tanh(b) (inner product) in the bracket", strict=False)
    corrected = check_close(-((torch.tanh(x1 - x0) * (1 - s1 * s0)) * By).sum(-1), truth,
                            "Eq. 39 with the Hadamard product: [tanh(a - b) o (1 - tanh a o tanh b)]^T B y", strict=False)
    return printed, corrected


def _check_eq51_rows():
    """Eq. 51 writes row i of the Hessian as J_i^T + x^T . H(sigma) (the whole contraction in every row);
    row i is J_i^T + (x^T . H(sigma))_i = J_i^T + x_i sigma''(x_i) e_i^T."""
    from torch.func import hessian

    from ..episodic import activation_derivatives, lagrangian

    g = torch.Generator().manual_seed(51)
    pts = 1.5 * torch.randn(6, 5, generator=g, dtype=torch.float64)
    f = lambda v: v @ torch.tanh(v) - lagrangian(v)
    got_p, got_c, ref = [], [], []
    for v in pts:
        _, d1, d2 = activation_derivatives(v)
        got_p.append(torch.diag(d1) + (v * d2)[None, :].expand(5, 5))          # same row vector added to every row
        got_c.append(torch.diag(d1) + torch.diag(v * d2))
        ref.append(hessian(f)(v))
    printed = check_close(torch.stack(got_p), torch.stack(ref), "Eq. 51 rows read literally: J_i^T + x^T . H(sigma)", strict=False)
    corrected = check_close(torch.stack(got_c), torch.stack(ref), "row i = J_i^T + x_i sigma''(x_i) e_i^T (autograd Hessian)",
                            rtol=1e-10, atol=1e-12, strict=False)
    return printed, corrected


def _check_phi_role():
    """The note says Phi is the synaptic strength 'from V_h to V_h'; in Eq. 1 V_h has no self-coupling:
    Phi^T acts on Xi^T V_d (the delayed features projected on the memories)."""
    from torch.func import jacrev

    from ..episodic import continuous_rhs, random_networks

    g = torch.Generator().manual_seed(1)
    Xi, Phi = (M[0] for M in random_networks(1, 6, 3, generator=g, device="cpu"))
    x, h, y = (torch.randn(n, generator=g, dtype=torch.float64) for n in (6, 3, 6))
    a_c, T_h = 1.7, 0.5
    J_h = jacrev(lambda v: continuous_rhs(x, v, y, Xi, Phi, T_h=T_h, alpha_c=a_c)[1])(h)
    J_d = jacrev(lambda v: continuous_rhs(x, h, v, Xi, Phi, T_h=T_h, alpha_c=a_c)[1])(y)
    eye = torch.eye(3, dtype=torch.float64)
    printed = check_close(J_h, (a_c * Phi.T - eye) / T_h, "Phi couples V_h to V_h: dV_h'/dV_h = (alpha_c Phi^T - I)/T_h",
                          strict=False)
    corrected = check_close(torch.cat([J_h, J_d], 1), torch.cat([-eye / T_h, a_c * Phi.T @ Xi.T / T_h], 1),
                            "dV_h'/dV_h = -I/T_h and dV_h'/dV_d = alpha_c Phi^T Xi^T / T_h (Phi acts on Xi^T V_d)",
                            strict=False)
    return printed, corrected


def _check_split_in_x():
    """Section 6 looks for a convex-concave split of E in x = V_f; it cannot work: for tanh the first terms
    (x^T sigma - L) are not convex in x (Hessian eigenvalues of both signs).  In s = sigma(x) the same terms are
    the Legendre dual L*(s), whose Hessian diag(1 / (1 - s^2)) is positive definite: the split exists in s."""
    from torch.func import hessian

    from ..episodic import lagrangian, legendre_dual

    g = torch.Generator().manual_seed(6)
    pts = 1.5 * torch.randn(64, 4, generator=g, dtype=torch.float64)
    f = lambda v: v @ torch.tanh(v) - lagrangian(v)
    ev_x = torch.stack([torch.linalg.eigvalsh(hessian(f)(v)) for v in pts])
    ev_s = torch.stack([torch.linalg.eigvalsh(hessian(lambda u: legendre_dual(u))(torch.tanh(v))) for v in pts])
    printed = check_bound(ev_x, "terms 1-2 of E are convex in x (Hessian eigenvalues >= 0, tanh)", lower=0.0, strict=False)
    corrected = check_bound(ev_s - 1.0, "terms 1-2 = L*(s) are (1-strongly) convex in s: eigenvalues >= 1", lower=0.0,
                            atol=1e-12, strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE, equation="39", kind="omission", chapter=CH04,
    summary="Eq. 39 leaves out a Hadamard product and a transpose: the bracket is tanh(a - b) o (1 - tanh a o tanh b), "
            "elementwise, and then transposed against Xi Phi^T Xi^T V_d; the inner-product reading is wrong.",
    printed=r"-\left[\tanh(V_f(t+1) - V_f(t))(1 - \tanh V_f(t+1)\tanh V_f(t))\right]\Xi\Phi^\top\Xi^\top V_d(t)",
    corrected=r"-\left[\tanh(V_f(t+1) - V_f(t))\odot(1 - \tanh V_f(t+1)\odot\tanh V_f(t))\right]^\top\Xi\Phi^\top\Xi^\top V_d(t)",
    check=_check_eq39,
))

register(Discrepancy(
    note=NOTE, equation="28-29 (transposes)", kind="typo", chapter=CH04,
    summary="Eqs. 28 and 29 write the cross term as sigma_f(V_f) Xi Phi^T Xi^T V_d without the transpose on sigma_f(V_f); "
            "as printed the product is not defined, with it the term is that of Eq. 25.",
    printed=r"-\sigma_f(V_f(t))\,\Xi\Phi^\top\Xi^\top V_d(t)",
    corrected=r"-\sigma_f(V_f(t))^\top\,\Xi\Phi^\top\Xi^\top V_d(t)",
))

register(Discrepancy(
    note=NOTE, equation="43 (transposes)", kind="typo", chapter=CH04,
    summary="Eq. 43 writes tanh(V_f(t+1)^T) for tanh(V_f(t+1))^T in two places (a transpose inside the elementwise "
            "function); the value is the same.",
    printed=r"\tanh\left(V_f(t+1)^\top\right)",
    corrected=r"\tanh\left(V_f(t+1)\right)^\top",
))

register(Discrepancy(
    note=NOTE, equation="51", kind="index", chapter=CH05,
    summary="Eq. 51 writes each row of the Hessian as J_i^T + x^T . H(sigma), the whole contraction in every row; "
            "row i is J_i^T + x_i sigma''(x_i) e_i^T, and only the stacked result (its right-hand side) is right.",
    printed=r"\text{row}_i = J_i^\top + x^\top\!\cdot\mathcal H(\sigma)",
    corrected=r"\text{row}_i = J_i^\top + \left(x^\top\!\cdot\mathcal H(\sigma)\right)_{i\cdot} = J_i^\top + x_i\,\sigma''(x_i)\,e_i^\top",
    check=_check_eq51_rows,
))

register(Discrepancy(
    note=NOTE, equation="1 (role of Phi)", kind="clarification", chapter=CH01,
    summary="The note calls Phi the synaptic strength 'from V_h to V_h', but in Eq. 1 the hidden population has no "
            "self-coupling: Phi^T acts on Xi^T V_d, the delayed features projected on the memories.",
    printed=r"\Phi: V_h \to V_h",
    corrected=r"\mathcal T_h\dot V_h \ni \alpha_c\,\Phi^\top\Xi^\top V_d:\ \Phi \text{ maps the delayed memory overlaps } \Xi^\top V_d",
    check=_check_phi_role,
))

register(Discrepancy(
    note=NOTE, equation="claim:split-in-x", kind="wrong claim", chapter=CH05,
    summary="Section 6 seeks a convex-concave split of E in x = V_f; for tanh the terms x^T sigma(x) - L are not convex "
            "in x (Hessian eigenvalues of both signs), so no such split of the energy's terms exists; in the rates "
            "s = sigma(x) they are the strongly convex L*(s) and the split works (chapter 05).",
    printed=r"E(x) = \underbrace{x^\top\sigma(x) - L}_{\text{convex in }x} + \dots",
    corrected=r"E = \underbrace{L^*(s)}_{\text{convex in }s} - \tfrac12 s^\top\Xi\Xi^\top s - \dots,\quad s = \sigma(x)",
    check=_check_split_in_x,
))
