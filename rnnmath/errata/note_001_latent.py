"""Errata of note 001 (Amrut & Ankit, *RNN Initial Hypotheses*) found in Part II, chapters 4-5.

The note has no equation numbers; records name the section and the quantity.
Chapter 1-3 records of the same note live in ``note_001.py``.
"""
from __future__ import annotations

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
    """Note section 6.1.1: r-dot ~ Delta r / Delta t printed as (1/tau) Delta r."""
    from ..verify import check_close

    dyn, pts = _small_relu_net()
    dt = 10.0  # the note's step, tau = 100 (ms)
    dr = dyn.euler_step(pts, dt) - pts
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
