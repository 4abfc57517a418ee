"""Errata of note 001 (Amrut & Ankit, *RNN Initial Hypotheses*) found in Part II, chapters 4-5.

The note has no equation numbers; records name the section and the quantity.
Chapter 1-3 records of the same note live in ``note_001.py``.
"""
from __future__ import annotations

import functools

import numpy as np

from . import Discrepancy, register

NOTE = "001_39bc17db6c447d31.txt"
CHAPTER = "book/part2_rate/05_slow_points"


def _small_relu_net(seed: int = 11, N: int = 5):
    import torch

    from ..fixed_points import RateDynamics

    g = torch.Generator().manual_seed(seed)
    W = 1.5 * torch.randn(N, N, dtype=torch.float64, generator=g) / N**0.5
    W.fill_diagonal_(0.0)
    c = torch.randn(N, dtype=torch.float64, generator=g)
    pts = torch.randn(8, N, dtype=torch.float64, generator=g)
    return RateDynamics(W, c, tau=100.0, activation="relu", device="cpu"), pts


def check_jacobian_sign():
    """Note section 6.1.2: dF_k/dr_i printed with +delta_ik; autograd says -delta_ik."""
    import torch

    from ..verify import check_jacobian

    dyn, pts = _small_relu_net()
    eye = torch.eye(dyn.n_units, dtype=torch.float64)

    def printed(r):
        d = (dyn.preactivation(r) > 0).to(torch.float64)
        return (eye + d[:, None] * dyn.W) / dyn.tau

    return (
        check_jacobian(dyn.velocity, printed, pts, name="printed dF_k/dr_i = (delta_ik + [m_k>0] W_ki)/tau", strict=False),
        check_jacobian(dyn.velocity, dyn.jacobian, pts, name="dF_k/dr_i = (-delta_ik + [m_k>0] W_ki)/tau", strict=False),
    )


def check_velocity_factor():
    """Note section 6.1.1: r-dot ~ Delta r / Delta t printed as (1/tau) Delta r.

    The step Delta r comes from the *discretised network* of chapter 1
    (``rate.RateRNN.step``, ``(1 - a) r + a relu(W r + c)`` with the noise switched off), and the
    velocity from the continuous field of chapter 5 (``RateDynamics.velocity``): two code paths,
    so the corrected side is not F compared with itself.
    """
    import torch

    from ..rate import RateRNN
    from ..verify import check_close

    dyn, pts = _small_relu_net()
    dt = 10.0  # the note's step, tau = 100 (ms)
    N = dyn.n_units
    # the same network as a one-network RateRNN: W_in = I and u = c carry the constant drive
    net = RateRNN(dyn.W[None], torch.eye(N, dtype=torch.float64)[None], torch.zeros(1, N, dtype=torch.float64),
                  torch.ones(1, 1, N, dtype=torch.float64), tau=dyn.tau, dt=dt, sigma=0.0)
    r = pts[None]
    u = dyn.c.expand(1, len(pts), N)
    with torch.no_grad():
        dr = (net.step(r, u, torch.zeros_like(r)) - r)[0]
    F = dyn.velocity(pts)
    return (
        check_close(dr / dyn.tau, F, name="printed r-dot = Delta r / tau", strict=False),
        check_close(dr / dt, F, name="r-dot = Delta r / Delta t", strict=False),
    )


def check_zeros_of_jacobian():
    """Note section 6: slow points are not zeros of the Jacobian but zeros of F / minima of q."""
    import torch

    from ..fixed_points import RateDynamics, find_fixed_points
    from ..verify import check_close

    W = np.array([[0.0, 2.0], [2.0, 0.0]])
    c = np.array([-1.0, -1.0])
    dyn = RateDynamics(W, c, tau=1.0, device="cpu")
    res = find_fixed_points(dyn, torch.rand(64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 3)
    P = torch.as_tensor(res.points)
    J = dyn.jacobian(P)
    return (
        check_close(J, torch.zeros_like(J), name="printed: Jacobian vanishes at the fixed points", strict=False),
        check_close(dyn.velocity(P), torch.zeros_like(P), name="F vanishes at the fixed points", atol=1e-12, strict=False),
    )


def check_hessian_positive_definite():
    """Note section 6.1.2: a minimum of q need not have a positive definite Hessian."""
    import torch

    from ..fixed_points import RateDynamics
    from ..verify import check_bound

    # r = relu(W r) with W = [[0, 1], [1, 0]]: every r = (x, x), x > 0, is a fixed point (q = 0, a minimum)
    dyn = RateDynamics(np.array([[0.0, 1.0], [1.0, 0.0]]), np.zeros(2), tau=1.0, device="cpu")
    x = torch.linspace(0.1, 2.0, 12, dtype=torch.float64)
    P = torch.stack([x, x], dim=-1)
    q = dyn.kinetic_energy(P)
    assert float(q.abs().max()) == 0.0  # they are minima (q >= 0 everywhere)
    min_eig = torch.linalg.eigvalsh(dyn.kinetic_energy_hessian(P))[:, 0]
    return (
        check_bound(min_eig, lower=1e-8, name="printed: Hessian of q positive definite at the minima", strict=False),
        check_bound(min_eig, lower=-1e-12, name="Hessian of q positive semi-definite at the minima", strict=False),
    )


register(Discrepancy(
    note=NOTE,
    equation="6.1.2: dF_k/dr_i",
    kind="sign",
    summary="The Jacobian of F(r) = (-r + f(m))/tau carries -delta_ik (from the leak -r), not +delta_ik.",
    printed=r"\frac{\partial F_k}{\partial r_i} = \frac{1}{\tau}\begin{cases}\delta_{ik} & m_k\le 0\\ \delta_{ik} + W^{rec}_{ki} & m_k>0\end{cases}",
    corrected=r"\frac{\partial F_k}{\partial r_i} = \frac{1}{\tau}\begin{cases}-\delta_{ik} & m_k\le 0\\ -\delta_{ik} + W^{rec}_{ki} & m_k>0\end{cases}",
    check=check_jacobian_sign,
    chapter=CHAPTER,
))

register(Discrepancy(
    note=NOTE,
    equation="6.1.1: r-dot from Delta r",
    kind="factor",
    summary="An Euler step moves r by Delta t F(r), so r-dot = Delta r / Delta t; dividing by tau instead is off by alpha = Delta t / tau.",
    printed=r"\dot r_k \approx \frac{\Delta r_k}{\Delta t} = \frac{1}{\tau}\Delta r_k",
    corrected=r"\dot r_k \approx \frac{\Delta r_k}{\Delta t} = \frac{1}{\alpha\tau}\Delta r_k",
    check=check_velocity_factor,
    chapter=CHAPTER,
))

register(Discrepancy(
    note=NOTE,
    equation="6: slow points as zeros of the Jacobian",
    kind="wrong claim",
    summary="Slow and fixed points are zeros of F (minima of q = |F|^2/2), not zeros of the Jacobian, which is generically invertible there.",
    printed=r"\text{slow points: } \partial \mathbf F/\partial \mathbf r = 0",
    corrected=r"\text{fixed points: } \mathbf F(\mathbf r) = 0;\ \text{slow points: local minima of } q = \tfrac12|\mathbf F|^2",
    check=check_zeros_of_jacobian,
    chapter=CHAPTER,
))

register(Discrepancy(
    note=NOTE,
    equation="6.1.2: Hessian of q positive definite",
    kind="wrong claim",
    summary="A positive definite Hessian of q is sufficient for a strict minimum but not necessary: along a line attractor every point is a minimum (q = 0) with a singular Hessian J^T J.",
    printed=r"\frac{\partial^2 q}{\partial r_i\partial r_j} \succ 0 \text{ must hold for a minimum}",
    corrected=r"\nabla q = 0,\ \nabla^2 q \succeq 0 \text{ necessary};\ \nabla q = 0,\ \nabla^2 q \succ 0 \text{ sufficient}",
    check=check_hessian_positive_definite,
    chapter=CHAPTER,
))


def check_relu_hessian_test_never_rejects():
    """Note section 6.1.2 for ReLU networks: the Hessian of q is J^T J at every state, so the test never rejects.

    Independent sides: the Hessian of q by automatic differentiation (``torch.func.hessian`` of
    ``q = |F|^2 / 2``) against ``J^T J`` built from the autograd Jacobian of ``F``; and the smallest
    eigenvalue of the autograd Hessian at random states, which are *not* minima of q (``grad q != 0``).
    """
    import torch
    from torch.func import hessian, jacrev

    from ..verify import check_bound, check_close

    dyn, pts = _small_relu_net()
    q = lambda r: 0.5 * (dyn.velocity(r) ** 2).sum()  # noqa: E731
    H = torch.stack([hessian(q)(r) for r in pts])
    J = torch.stack([jacrev(dyn.velocity)(r) for r in pts])
    grad_norm = torch.stack([torch.func.grad(q)(r) for r in pts]).norm(dim=-1)
    assert float(grad_norm.min()) > 1e-6  # the states are not stationary points of q
    min_eig = torch.linalg.eigvalsh(0.5 * (H + H.mT))[:, 0]
    scale = float(H.abs().max())
    return (
        check_bound(min_eig.min(), upper=-1e-6 * scale, name="printed test: some non-stationary state fails 'Hessian of q > 0' "
                    "(some eigenvalue < 0)", strict=False),
        check_close(H, J.mT @ J, name="ReLU: Hessian of q = J^T J (>= 0) at every state, autograd vs autograd", atol=1e-15,
                    rtol=1e-10, strict=False),
    )


register(Discrepancy(
    note=NOTE,
    equation="6.1.2: Hessian test for ReLU networks",
    kind="wrong claim",
    summary="For a ReLU (or leaky-ReLU) network f'' = 0, so the Hessian of q is J^T J, positive semi-definite at "
            "every state, minimum or not. The note's test 'Hessian positive definite' therefore never rejects a "
            "candidate and cannot tell a slow point (a local minimum with q > 0) from any other state: only "
            "q itself (q < q_tol) and the gradient J^T F can.",
    printed=r"\nabla^2 q \succ 0 \ \text{identifies the minima of } q",
    corrected=r"\text{ReLU: } \nabla^2 q = J^\top J \succeq 0 \ \text{everywhere; use } q<q_{tol}\text{ and } \nabla q = J^\top F",
    check=check_relu_hessian_test_never_rejects,
    chapter=CHAPTER,
))


# --------------------------------------------------------------------------- #
# Claims of §5 about the latent spaces (chapter 04), decided by rnnmath.rate_claims
# --------------------------------------------------------------------------- #
CH04 = "book/part2_rate/04_latent_spaces"
#: the sizes of chapter 04's quick preset (trials x segments x steps, DCA starts)
LATENT_SIZES = dict(n_trials=6, n_segments=4, segment=50, n_starts=3)


def latent_angle_samples() -> dict:
    """Fig. 9 first angles and readout-angle changes of the 20 standard networks (both tasks), pooled.

    Computed once per process and scale preset (the two records share it).
    """
    from ..device import get_scale

    return _latent_angle_samples(get_scale())


@functools.lru_cache(maxsize=2)
def _latent_angle_samples(scale: str) -> dict:
    from ..rate import standard_ensemble
    from ..rate_claims import latent_readout_angles

    out = [latent_readout_angles(standard_ensemble(name, device="cpu", verbose=False), device="cpu", **LATENT_SIZES)
           for name in ("perception", "decision")]
    return {k: np.concatenate([o[k] for o in out]) for k in ("fig9_first_angle", "readout_change")}


def _latent_verdict(key: str, sample: str):
    from ..rate_claims import decide

    return decide(key, latent_angle_samples()[sample], claim=None).errata_checks()


register(Discrepancy(
    note=NOTE,
    equation="5.2: Fig. 9 latent spaces almost orthogonal",
    kind="not reproduced",
    summary="The note reads its Fig. 9 as the trained and untrained 3-D latent spaces being 'almost orthogonal in the "
            "lower dimensions'. For the book's networks the first principal angle between the untrained and trained "
            "DCA subspaces lies well below the 1.2 rad the rule requires (and below that of random 3-D subspaces): "
            "training rotates the latent space only partly.",
    printed=r"\theta_1\big(V_{\text{untrained}}, V_{\text{trained}}\big) \approx \pi/2",
    corrected=r"\theta_1\big(V_{\text{untrained}}, V_{\text{trained}}\big) < 1.2\ \text{rad (chapter 04)}",
    check=lambda: _latent_verdict("5.2-fig9-orthogonal", "fig9_first_angle"),
    chapter=CH04,
))

register(Discrepancy(
    note=NOTE,
    equation="5.3: latent space moves away from the readout",
    kind="not reproduced",
    summary="Hypothesis 5.3 says training makes the latent space more orthogonal to the readout W_out. For the book's "
            "networks the angle between the 3-D DCA subspace and W_out *decreases* with training: the latent space "
            "moves closer to the readout.",
    printed=r"\angle\big(V_{\text{trained}}, W_{out}\big) > \angle\big(V_{\text{untrained}}, W_{out}\big)",
    corrected=r"\angle\big(V_{\text{trained}}, W_{out}\big) < \angle\big(V_{\text{untrained}}, W_{out}\big)\ \text{(chapter 04)}",
    check=lambda: _latent_verdict("5.3-orthogonal-readout", "readout_change"),
    chapter=CH04,
))
