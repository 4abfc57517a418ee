"""Gradients of time-integrated losses for the gated RNN (Part IV, chapter 5; note 003).

Split from :mod:`rnnmath.gated` (which re-exports every public name here) to keep modules
short.  The adjoint convention, ``lambda(t) = dF_{[t,T]}/dx(t)``, gives::

    d lambda/dt = -D(t)^T lambda - df/dx,   lambda(T) = 0,   dF/dtheta = int (dF/dtheta)^T lambda dt,

where ``D`` is the instantaneous Jacobian of chapter 1 (:func:`rnnmath.gated.gated_jacobian`).
"""
from __future__ import annotations

from dataclasses import replace

from ._part4_args import positive_scalar, require_int, require_tensor
from .gated import GatedNetwork, _check_state, gated_jacobian, gated_vector_field, rk4_step

__all__ = [
    "quadratic_state_loss",
    "adjoint_gradient",
    "autograd_gradient",
    "scalar_adjoint_example",
    "gradient_norm_terms",
    "adjoint_propagation",
    "autograd_propagation",
]

# --------------------------------------------------------------------------- #
# Adjoint (chapter 5)
# --------------------------------------------------------------------------- #
def quadratic_state_loss(x, target=None):
    """Running loss ``f(x) = 1/2 |h - target|^2`` per network (shape ``(B,)``) and ``df/dx``.

    Only the ``h`` block enters (``N = x.shape[-1] // 3``); ``target`` has shape
    ``(B, N)`` or broadcasts to it (default 0).
    """
    import torch

    require_tensor(x, "x")
    if x.ndim != 2 or x.shape[-1] % 3 or x.shape[-1] == 0 or x.shape[0] == 0:
        raise ValueError(f"x: must have shape (B, 3N) with B, N >= 1, got {tuple(x.shape)}")
    N = x.shape[-1] // 3
    h = x[:, :N]
    if target is not None:
        require_tensor(target, "target")
        if target.dtype != x.dtype:
            raise TypeError(f"target: must have the dtype of x ({x.dtype}), got {target.dtype}")
        try:
            torch.broadcast_shapes(target.shape, h.shape)
        except RuntimeError:
            raise ValueError(f"target: must broadcast to (B, N) = {tuple(h.shape)}, got {tuple(target.shape)}") from None
        if torch.broadcast_shapes(target.shape, h.shape) != h.shape:
            raise ValueError(f"target: must broadcast to (B, N) = {tuple(h.shape)}, got {tuple(target.shape)}")
    diff = h if target is None else h - target
    f = 0.5 * (diff ** 2).sum(-1)
    dfdx = torch.cat([diff, torch.zeros_like(x[:, N:])], dim=-1)
    return f, dfdx


def _check_run(net, x0, dt, n_steps, target):
    _check_state(x0, net, "x0")
    dt = positive_scalar(dt, "dt")
    n_steps = require_int(n_steps, "n_steps", 1)
    if target is not None:
        quadratic_state_loss(x0, target)  # validates target's shape and dtype
    return dt, n_steps


def adjoint_gradient(net: GatedNetwork, x0, dt: float, n_steps: int, *, target=None, sign: int = -1):
    """Gradient of ``F = int_0^T f(x(t)) dt`` w.r.t. ``(J^h, J^z, J^r)`` by the adjoint ODE.

    Convention (book Part IV, chapter 5): ``lambda(t) = dF_{[t,T]}/dx(t)`` is the
    sensitivity of the loss still to come to the state, which gives::

        d lambda/dt = -D(t)^T lambda - df/dx,   lambda(T) = 0,
        dF/dJ^h_ij  = int g_h sigma(z_i) lambda_{h,i} phi(h_j) sigma(r_j) dt,
        dF/dJ^z_ij  = int alpha_z lambda_{z,i} phi(h_j) dt,
        dF/dJ^r_ij  = int alpha_r lambda_{r,i} phi(h_j) dt.

    ``sign=+1`` integrates the poster's printed ``d lambda/dt = -D^T lambda + df/dx``
    instead (kept so that the book and the errata can show what it gives).

    Numerics: the state is integrated forward by RK4 with step ``dt/2`` (so that the
    backward RK4 step ``dt`` of the adjoint finds the state at its midpoints), the
    adjoint backward by RK4 with step ``dt`` using :func:`gated_jacobian` (the
    hand-derived Jacobian of chapter 1), and the time integrals by the trapezoidal
    rule on the grid ``t_k = k dt``.  The error against the exact gradient is
    ``O(dt^2)``.

    Parameters
    ----------
    net : GatedNetwork
    x0 : torch.Tensor ``(B, 3N)``
    dt, n_steps : step and number of steps (``T = dt * n_steps``).
    target : optional ``(B, N)`` target for :func:`quadratic_state_loss`.
    sign : -1 (the convention above) or +1 (the printed sign).

    Returns
    -------
    loss : torch.Tensor ``(B,)``, trapezoidal ``int f dt``.
    grads : tuple of three ``(B, N, N)`` tensors ``(dF/dJ^h, dF/dJ^z, dF/dJ^r)``.
    lam : torch.Tensor ``(n_steps + 1, B, 3N)``, the adjoint on the grid.
    """
    import torch

    if isinstance(sign, bool) or sign not in (-1, 1):
        raise ValueError(f"sign: must be -1 (derived convention) or +1 (printed), got {sign!r}")
    dt, n_steps = _check_run(net, x0, dt, n_steps, target)
    N = net.n
    field = lambda y: gated_vector_field(y, net)  # noqa: E731
    with torch.no_grad():
        X = [x0]
        for _ in range(2 * n_steps):
            X.append(rk4_step(field, X[-1], 0.5 * dt))
        X = torch.stack(X)  # (2n+1, B, 3N) on the half-step grid

        def G(m, lam):  # adjoint right-hand side at half-step index m
            D = gated_jacobian(X[m], net)
            return -(D.transpose(-1, -2) @ lam.unsqueeze(-1)).squeeze(-1) + sign * quadratic_state_loss(X[m], target)[1]

        lams = torch.stack(_backward_rk4(G, torch.zeros_like(x0), n_steps, dt)[::-1])  # (n+1, B, 3N), index k <-> t = k dt
        xs = X[::2]
        w = torch.full((n_steps + 1,), dt, dtype=x0.dtype, device=x0.device)
        w[0] = w[-1] = 0.5 * dt
        loss = torch.einsum("k,kb->b", w, torch.stack([quadratic_state_loss(x, target)[0] for x in xs]))
        h, z, r = xs[..., :N], xs[..., N:2 * N], xs[..., 2 * N:]
        lh, lz, lr = lams[..., :N], lams[..., N:2 * N], lams[..., 2 * N:]
        ph = torch.tanh(h)
        gJh = net.g_h[:, None, None] * torch.einsum("k,kbi,kbj->bij", w, lh * torch.sigmoid(z), ph * torch.sigmoid(r))
        gJz = net.alpha_z[:, None, None] * torch.einsum("k,kbi,kbj->bij", w, lz, ph)
        gJr = net.alpha_r[:, None, None] * torch.einsum("k,kbi,kbj->bij", w, lr, ph)
    return loss, (gJh, gJz, gJr), lams


def autograd_gradient(net: GatedNetwork, x0, dt: float, n_steps: int, *, target=None):
    """Reference gradient: autograd through the same RK4 integrator (step ``dt/2``) and trapezoid loss.

    Returns ``(loss (B,), (dF/dJ^h, dF/dJ^z, dF/dJ^r))`` as :func:`adjoint_gradient`.
    """
    import torch

    dt, n_steps = _check_run(net, x0, dt, n_steps, target)
    Jh = net.J_h.detach().clone().requires_grad_(True)
    Jz = net.J_z.detach().clone().requires_grad_(True)
    Jr = net.J_r.detach().clone().requires_grad_(True)
    n2 = replace(net, J_h=Jh, J_z=Jz, J_r=Jr)
    field = lambda y: gated_vector_field(y, n2)  # noqa: E731
    x = x0
    total = 0.5 * dt * quadratic_state_loss(x, target)[0]
    for k in range(1, n_steps + 1):
        x = rk4_step(field, rk4_step(field, x, 0.5 * dt), 0.5 * dt)
        total = total + dt * (0.5 if k == n_steps else 1.0) * quadratic_state_loss(x, target)[0]
    grads = torch.autograd.grad(total.sum(), (Jh, Jz, Jr))
    return total.detach(), grads


# --------------------------------------------------------------------------- #
# Adjoint: a symbolic proof on a scalar flow, and the gradient-norm identity (chapter 5)
# --------------------------------------------------------------------------- #
def scalar_adjoint_example(sign: int = -1):
    """Adjoint gradient of ``F = int_0^T x^2/2 dt`` for ``dx/dt = a x`` with sympy, exactly.

    The adjoint ODE ``d lambda/dt = -a lambda + sign * x``, ``lambda(T) = 0`` is solved by
    ``sympy.dsolve``; the gradient is ``int_0^T (dF/da)(x) lambda dt = int_0^T x lambda dt``.
    ``sign=-1`` is the convention of book Part IV, chapter 5; ``sign=+1`` the poster's printed
    ``+df/dx``.

    Returns
    -------
    (adjoint_gradient, exact_gradient) : sympy expressions in ``a, T, x0``, the latter
    ``d/da`` of the closed-form loss.
    """
    import sympy as sp

    if isinstance(sign, bool) or sign not in (-1, 1):
        raise ValueError(f"sign: must be -1 or +1, got {sign!r}")
    a, T, x0, t = sp.symbols("a T x_0 t", positive=True)
    x = x0 * sp.exp(a * t)
    F = sp.integrate(x ** 2 / 2, (t, 0, T))
    lam = sp.Function("lambda")
    sol = sp.dsolve(sp.Eq(lam(t).diff(t), -a * lam(t) + sign * x), lam(t), ics={lam(T): 0}).rhs
    grad_adj = sp.integrate(sp.expand(x * sol), (t, 0, T))
    return sp.simplify(grad_adj), sp.simplify(sp.diff(F, a))


def gradient_norm_terms(net: GatedNetwork, x0, dt: float, n_steps: int, *, target=None):
    """The terms of the gradient-norm identity for ``J^h`` (book Part IV, chapter 5, eq. p4-eq-gradnorm).

    With ``a_i(t) = sigma(z_i) lambda_{h,i}``, ``b_j(t) = phi(h_j) sigma(r_j)`` and
    ``C_u(t, t') = (1/N) sum_i u_i(t) u_i(t')``::

        ||dF/dJ^h||_F^2 = g_h^2 N^2 int int C_a(t,t') C_b(t,t') dt dt'       (exact for every N)
                        ~ g_h^2 N^2 int int C_a C_phi C_sigma(r) dt dt'     (mean-field factorisation)

    and the poster's printed right-hand side ``int int C_{lambda_h} C_phi C_sigma(r) dt dt'``, with
    and without the factor ``g_h^2 N^2``.  The double integrals are built from the adjoint
    ``lambda`` of :func:`adjoint_gradient` and the trajectory (same trapezoidal weights).

    The left-hand side is computed independently: ``norm_sq_autograd`` is the squared Frobenius
    norm of the gradient obtained by automatic differentiation through the RK4 integrator
    (:func:`autograd_gradient`), a code path that never forms ``lambda`` or a correlation
    function; it agrees with the integrals up to the ``O(dt^2)`` error of the continuous adjoint.
    ``norm_sq`` (the Frobenius norm of the adjoint's own gradient) is kept for reference; comparing
    it with ``exact`` is only a consistency check of the algebra (the same arrays re-summed).

    Returns
    -------
    dict of ``(B,)`` tensors: ``norm_sq_autograd``, ``norm`` and ``norm_sq`` (adjoint gradient),
    ``exact``, ``mft``, ``no_update_gate`` (``g_h^2 N^2 int int C_{lambda_h} C_phi C_sigma(r)``: the printed
    formula with the factor restored) and ``printed`` (as printed, no factor).
    """
    import torch

    dt, n_steps = _check_run(net, x0, dt, n_steps, target)
    loss, (gJh, _, _), lams = adjoint_gradient(net, x0, dt, n_steps, target=target)
    _, (gJh_auto, _, _) = autograd_gradient(net, x0, dt, n_steps, target=target)
    N = net.n
    with torch.no_grad():
        X = [x0]
        for _ in range(2 * n_steps):
            X.append(rk4_step(lambda y: gated_vector_field(y, net), X[-1], 0.5 * dt))
        xs = torch.stack(X)[::2]
        h, z, r = xs[..., :N], xs[..., N:2 * N], xs[..., 2 * N:]
        lh = lams[..., :N]
        w = torch.full((n_steps + 1,), dt, dtype=x0.dtype, device=x0.device)
        w[0] = w[-1] = 0.5 * dt
        corr = lambda u: torch.einsum("kbi,lbi->bkl", u, u) / N  # noqa: E731
        C_a, C_b = corr(lh * torch.sigmoid(z)), corr(torch.tanh(h) * torch.sigmoid(r))
        C_phi, C_sig, C_lh = corr(torch.tanh(h)), corr(torch.sigmoid(r)), corr(lh)
        ww = w[:, None] * w[None, :]
        pref = net.g_h ** 2 * N ** 2
        norm_sq = (gJh ** 2).sum((1, 2))
        printed = torch.einsum("kl,bkl->b", ww, C_lh * C_phi * C_sig)
        return {
            "norm_sq_autograd": (gJh_auto.detach() ** 2).sum((1, 2)),
            "norm": norm_sq.sqrt(),
            "norm_sq": norm_sq,
            "exact": pref * torch.einsum("kl,bkl->b", ww, C_a * C_b),
            "mft": pref * torch.einsum("kl,bkl->b", ww, C_a * C_phi * C_sig),
            "no_update_gate": pref * printed,
            "printed": printed,
        }


# --------------------------------------------------------------------------- #
# Gradient propagation over the horizon (chapter 5)
# --------------------------------------------------------------------------- #
def _check_cotangent(u, net, x0):
    require_tensor(u, "u", like=net.J_h)
    if tuple(u.shape) != tuple(x0.shape):
        raise ValueError(f"u: must have the shape of x0 {tuple(x0.shape)}, got {tuple(u.shape)}")
    if not bool((u.norm(dim=-1) > 0).all()):
        raise ValueError("u: every row must be non-zero (a zero cotangent propagates nothing)")


def adjoint_propagation(net: GatedNetwork, x0, dt: float, n_steps: int, u):
    """Back-propagate a terminal cotangent by the adjoint ODE without a running loss.

    ``lambda(t)`` solves ``d lambda/dt = -D(t)^T lambda``, ``lambda(T) = u``, along the trajectory from
    ``x0``; it is the sensitivity ``d <u, x(T)> / dx(t)``, so ``||lambda(t)||`` measures how a gradient
    arriving at time ``T`` survives a propagation over the lag ``T - t`` (book Part IV, chapter 5).
    For large lags ``(1/(T - t)) log ||lambda(t)||`` tends to the largest Lyapunov exponent.

    Numerics as in :func:`adjoint_gradient` (forward RK4 with step ``dt/2``, backward RK4 with step ``dt``
    using :func:`rnnmath.gated.gated_jacobian`).

    Parameters
    ----------
    net : GatedNetwork
    x0 : torch.Tensor ``(B, 3N)``
    dt, n_steps : step and number of steps (``T = dt * n_steps``, ``n_steps >= 1``).
    u : torch.Tensor ``(B, 3N)``, non-zero rows.

    Returns
    -------
    torch.Tensor ``(n_steps + 1, B, 3N)``: ``lambda`` on the grid ``t_k = k dt``.
    """
    import torch

    dt, n_steps = _check_run(net, x0, dt, n_steps, None)
    _check_cotangent(u, net, x0)
    field = lambda y: gated_vector_field(y, net)  # noqa: E731
    with torch.no_grad():
        X = [x0]
        for _ in range(2 * n_steps):
            X.append(rk4_step(field, X[-1], 0.5 * dt))

        def G(m, lam):
            return -(gated_jacobian(X[m], net).transpose(-1, -2) @ lam.unsqueeze(-1)).squeeze(-1)

        lams = _backward_rk4(G, u.clone(), n_steps, dt)
    return torch.stack(lams[::-1])


def autograd_propagation(net: GatedNetwork, x0, dt: float, n_steps: int, u):
    """Reference for :func:`adjoint_propagation` at ``t = 0``: ``d <u, x(T)> / dx0`` by autograd through RK4.

    The same integrator (two RK4 half-steps per step ``dt``) is differentiated with ``torch.autograd``;
    no Jacobian is formed.  Returns a ``(B, 3N)`` tensor.
    """
    import torch

    dt, n_steps = _check_run(net, x0, dt, n_steps, None)
    _check_cotangent(u, net, x0)
    field = lambda y: gated_vector_field(y, net)  # noqa: E731
    x = x0.detach().clone().requires_grad_(True)
    y = x
    for _ in range(n_steps):
        y = rk4_step(field, rk4_step(field, y, 0.5 * dt), 0.5 * dt)
    (g,) = torch.autograd.grad((y * u).sum(), x)
    return g


def _backward_rk4(G, lam, n_steps: int, dt: float) -> list:
    """RK4 steps of the adjoint ODE backwards from t = n dt; ``G(m, lam)`` is evaluated at the
    half-step index ``m`` of the stored forward trajectory.  Returns ``[lam(T), ..., lam(0)]``."""
    lams = [lam]
    for k in range(n_steps, 0, -1):
        m = 2 * k
        k1 = G(m, lam)
        k2 = G(m - 1, lam - 0.5 * dt * k1)
        k3 = G(m - 1, lam - 0.5 * dt * k2)
        k4 = G(m - 2, lam - dt * k3)
        lam = lam - (dt / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
        lams.append(lam)
    return lams
