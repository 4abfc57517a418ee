"""Dynamical mean-field theory (DMFT) of the gated network (book Part IV, chapter 3; note 003).

For ``N -> infinity`` every unit of the network of :mod:`rnnmath.gated` obeys the single-site
equations (note 003, "Dynamical mean-field theory"; Krishnamurthy, Can & Schwab 2022)::

    dh/dt = sigma(z) (-h + g_h eta_h),   dz/dt = -z + alpha_z eta_z,   dr/dt = -r + alpha_r eta_r,

driven by three independent centred Gaussian fields whose covariances are the network's
autocorrelations (the order parameters), fixed self-consistently::

    <eta_h(t) eta_h(t')> = C_phi(t - t') C_sigma(r)(t - t'),
    <eta_z(t) eta_z(t')> = C_phi(t - t'),   <eta_r(t) eta_r(t')> = C_phi(t - t'),

with ``C_phi(tau) = <phi(h(t)) phi(h(t + tau))>`` and ``C_sigma(r)(tau) = <sigma(r(t)) sigma(r(t + tau))>``.

``z`` and ``r`` are linear filters of Gaussian fields, hence Gaussian: their spectra are
``S_z = alpha_z^2 S_phi / (1 + omega^2)``, ``S_r = alpha_r^2 S_phi / (1 + omega^2)``, and ``C_sigma(r)`` is a
bivariate Gaussian moment of ``C_r``.  ``h`` is Gaussian only when the update gate is constant
(``alpha_z = 0``, ``sigma(z) = 1/2``): then ``S_h = c^2 g_h^2 S_eta / (c^2 + omega^2)`` with ``c = 1/2``
closes the equations in ``C_h`` alone and :func:`gated_dmft` iterates them deterministically
(:func:`gaussian_dmft_step`).  For ``alpha_z > 0`` ``h`` is a Gaussian scale mixture (Gaussian given the
path of ``z``); the equations are then solved by sampling: periodic stationary paths of ``z`` and
``eta_h`` are drawn with the current covariances (FFT on the periodic lag box), ``h`` is integrated
exactly for piecewise-linear forcing, and ``C_phi`` is re-estimated and mixed in.

All correlation functions live on a periodic lag box ``tau_k = k dt``, ``k = 0..M-1`` (``M`` even,
``C[M - k] = C[k]``); the box must be long compared with the relaxation time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._part4_args import positive_scalar, real_finite, require_int

__all__ = [
    "GatedDMFTSolution",
    "pair_moment",
    "periodic_gaussian_paths",
    "periodic_autocorrelation",
    "gaussian_dmft_step",
    "gated_dmft",
    "relaxation_time",
    "network_autocorrelation",
    "simulate_autocorrelation",
    "paired_networks",
]


def _sigmoid(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


_FUNS = {"tanh": np.tanh, "sigmoid": _sigmoid}


@dataclass
class GatedDMFTSolution:
    """Stationary solution of the gated DMFT on the periodic lag box (see the module docstring).

    Attributes
    ----------
    tau : numpy array ``(M // 2 + 1,)``, lags ``0 .. M dt / 2``.
    C_h, C_phi, C_z, C_r, C_sigma_r : numpy arrays ``(M // 2 + 1,)``, autocorrelations (not centred).
    change : numpy array ``(n_iter,)``, ``max |C_phi^new - C_phi^old|`` at each iteration.
    method : ``"gaussian"`` (deterministic, ``alpha_z = 0``) or ``"sampling"``.
    params : dict of the gains and numerical settings.
    """

    tau: np.ndarray
    C_h: np.ndarray
    C_phi: np.ndarray
    C_z: np.ndarray
    C_r: np.ndarray
    C_sigma_r: np.ndarray
    change: np.ndarray
    method: str
    params: dict


def pair_moment(fun: str, c0, c, n_quad: int = 48):
    """``E[f(x) f(y)]`` for centred jointly Gaussian ``x, y`` of variance ``c0`` and covariance ``c``.

    Parameters
    ----------
    fun : ``"tanh"`` or ``"sigmoid"``.
    c0 : float ``>= 0``, the common variance.
    c : array_like, covariances with ``|c| <= c0`` (clipped to it up to ``1e-9 c0``).
    n_quad : Gauss-Hermite order per dimension.

    Writing ``x = a u + b v``, ``y = s a u + b w`` with ``a = sqrt|c|``, ``s = sign c``, ``b = sqrt(c0 - |c|)``
    and ``u, v, w`` independent standard normals, ``E[f f] = E_u[E_v f(a u + b v) E_w f(s a u + b w)]``.
    Returns a numpy array of the shape of ``c``.
    """
    if fun not in _FUNS:
        raise ValueError(f"fun: must be one of {sorted(_FUNS)}, got {fun!r}")
    f = _FUNS[fun]
    c0 = positive_scalar(c0, "c0", strict=False)
    c = real_finite(c, "c")
    if np.any(np.abs(c) > c0 * (1 + 1e-9) + 1e-12):
        raise ValueError(f"c: covariances must satisfy |c| <= c0 = {c0!r}, got max |c| = {np.abs(c).max()!r}")
    n_quad = require_int(n_quad, "n_quad", 2)
    from numpy.polynomial.hermite_e import hermegauss

    x, w = hermegauss(n_quad)
    w = w / np.sqrt(2 * np.pi)
    shape = c.shape
    c = np.clip(c.reshape(-1), -c0, c0)
    a, s, b = np.sqrt(np.abs(c)), np.sign(c), np.sqrt(np.maximum(c0 - np.abs(c), 0.0))
    au = a[:, None] * x[None, :]                                    # (m, q) over u
    inner = f(au[:, :, None] + b[:, None, None] * x[None, None, :]) @ w        # E_v f(a u + b v)
    inner_s = f(s[:, None, None] * au[:, :, None] + b[:, None, None] * x[None, None, :]) @ w
    return ((inner * inner_s) @ w).reshape(shape)


def _pair_moment_curve(fun, C, n_grid: int = 129, n_quad: int = 48):
    """``pair_moment(fun, C[0], C)`` for a whole correlation curve, by interpolation on a grid of covariances."""
    c0 = float(C[0])
    if c0 <= 1e-14:
        m = pair_moment(fun, 0.0, np.zeros(1), n_quad)[0]
        return np.full_like(C, m)
    grid = np.linspace(-c0, c0, n_grid)
    vals = pair_moment(fun, c0, grid, n_quad)
    return np.interp(np.clip(C, -c0, c0), grid, vals)


def _omega(M, dt):
    return 2 * np.pi * np.fft.fftfreq(M, d=dt)


def _filter(C, gain2, rate, omega):
    """Covariance of ``u`` with ``du/dt = rate (-u + xi)``, ``<xi xi> = gain2 C``: ``S_u = rate^2 S / (rate^2 + omega^2)``."""
    S = np.fft.fft(C).real
    return np.fft.ifft(gain2 * rate ** 2 * S / (rate ** 2 + omega ** 2)).real


def gaussian_dmft_step(C_h, g_h: float, alpha_r: float, dt: float, gate: float = 0.5, n_quad: int = 48):
    """One application of the closed map ``C_h -> C_h'`` of the DMFT with a constant update gate.

    With ``sigma(z) = gate`` the single-site ``h`` is Gaussian and (book Part IV, chapter 3)::

        C_phi = E[tanh h tanh h'],  C_r = F_1[alpha_r^2 C_phi],  C_sigma = E[sigma(r) sigma(r')],
        C_h' = F_gate[g_h^2 C_phi C_sigma],   F_c[C] = IFFT(c^2 FFT(C) / (c^2 + omega^2)).

    Parameters
    ----------
    C_h : numpy array ``(M,)``, a periodic even correlation function on the lag box (``M`` even).
    g_h, alpha_r : gains; dt : lag spacing; gate : the constant value of ``sigma(z)``.

    Returns
    -------
    dict with keys ``C_h`` (the image), ``C_phi``, ``C_r``, ``C_sigma_r`` (all ``(M,)``).
    """
    C_h = real_finite(C_h, "C_h")
    if C_h.ndim != 1 or C_h.size < 4 or C_h.size % 2:
        raise ValueError(f"C_h: must be a 1-D periodic lag box of even length >= 4, got shape {C_h.shape}")
    if C_h[0] < 0 or np.any(np.abs(C_h) > C_h[0] * (1 + 1e-9) + 1e-12):
        raise ValueError("C_h: must have C_h[0] >= |C_h[k]| for every lag k (a covariance)")
    g_h = positive_scalar(g_h, "g_h", strict=False)
    alpha_r = positive_scalar(alpha_r, "alpha_r", strict=False)
    dt = positive_scalar(dt, "dt")
    gate = positive_scalar(gate, "gate")
    omega = _omega(C_h.size, dt)
    C_phi = _pair_moment_curve("tanh", C_h, n_quad=n_quad)
    C_r = _filter(C_phi, alpha_r ** 2, 1.0, omega)
    C_sig = _pair_moment_curve("sigmoid", C_r, n_quad=n_quad)
    C_new = _filter(C_phi * C_sig, g_h ** 2, gate, omega)
    return {"C_h": C_new, "C_phi": C_phi, "C_r": C_r, "C_sigma_r": C_sig}


def _as_covariance(C):
    """Clip ``|C[k]|`` to ``C[0]`` (a noisy or overshooting update must stay a covariance)."""
    C = C.copy()
    C[0] = max(C[0], 0.0)
    return np.clip(C, -C[0], C[0])


def periodic_gaussian_paths(cov, n_paths: int, rng):
    """``n_paths`` periodic stationary centred Gaussian paths with periodic autocovariance ``cov``.

    ``cov`` has shape ``(M,)`` with ``cov[M - k] = cov[k]``; its circulant eigenvalues ``FFT(cov)`` are
    clipped at ``0``.  Real and imaginary parts of one complex FFT give two independent paths.
    Returns ``(n_paths, M)``.
    """
    cov = real_finite(cov, "cov")
    if cov.ndim != 1 or cov.size < 2:
        raise ValueError(f"cov: must be a 1-D array of at least 2 lags, got shape {cov.shape}")
    n_paths = require_int(n_paths, "n_paths", 1)
    M = cov.size
    lam = np.clip(np.fft.fft(cov).real, 0.0, None)
    half = (n_paths + 1) // 2
    w = (rng.standard_normal((half, M)) + 1j * rng.standard_normal((half, M))) * np.sqrt(lam / M)
    y = np.fft.fft(w, axis=1)
    return np.concatenate([y.real, y.imag], axis=0)[:n_paths]


def periodic_autocorrelation(u):
    """``C[k] = mean_{paths, t} u(t) u(t + k mod M)`` for periodic paths ``u`` of shape ``(n_paths, M)``."""
    u = real_finite(u, "u")
    if u.ndim != 2 or u.shape[1] < 2:
        raise ValueError(f"u: must have shape (n_paths, M) with M >= 2, got {u.shape}")
    F = np.fft.fft(u, axis=1)
    return np.fft.ifft(np.abs(F) ** 2, axis=1).real.mean(0) / u.shape[1]


def _sample_h(eta, s, dt):
    """Integrate ``dh/dt = s(t) (-h + eta(t))`` around the periodic box twice (the first lap is burn-in).

    ``eta`` and ``s`` have shape ``(n_paths, M)``; ``eta`` is taken linear between grid points and ``s``
    constant on each step, for which the exponential update is exact up to ``O(dt^2)``.
    """
    n, M = eta.shape
    a = np.exp(-s * dt)                                   # decay over one step
    drive = (1 - a) * 0.5 * (eta + np.roll(eta, -1, axis=1))
    aT, dT = np.ascontiguousarray(a.T), np.ascontiguousarray(drive.T)
    h = eta[:, 0].copy()
    out = np.empty((M, n))
    for lap in range(2):
        for k in range(M):
            if lap:
                out[k] = h
            h = aT[k] * h + dT[k]
    return out.T


def gated_dmft(g_h: float, alpha_z: float, alpha_r: float, *, dt: float = 0.1, box: float = 204.8,
               n_iter: int = 60, mix: float = 0.5, n_paths: int = 400, n_avg: int = 10, tol: float = 1e-10,
               seed: int = 0, n_quad: int = 48, C0: float = 1.0, method: str = "auto",
               n_iter_start: int = 400) -> GatedDMFTSolution:
    """Solve the stationary DMFT of the gated network (see the module docstring).

    Parameters
    ----------
    g_h, alpha_z, alpha_r : gains (finite, ``>= 0``).
    dt : lag spacing (and integration step of the sampled ``h``).
    box : length of the periodic lag box; ``M = round(box / dt)`` must be even.
    n_iter : iterations; mix : damping ``C <- (1 - mix) C + mix C_new``.
    n_paths, n_avg : sampled single-site paths per iteration, and the number of final iterations
        averaged (``alpha_z > 0`` only).
    tol : the deterministic iteration (``alpha_z = 0``) stops when ``max |C_h' - C_h| < tol``.
    seed : seed of the sampler; n_quad : Gauss-Hermite order; C0 : initial ``C_h(0)``
        (``C_h(tau) = C0 exp(-|tau|)`` to start).
    n_iter_start : iterations of the frozen-gate solution that starts the sampling iteration.
    method : ``"auto"`` (deterministic when ``alpha_z = 0``, sampling otherwise) or ``"sampling"``
        (sampling always: the cross-check of the two solvers).

    Returns
    -------
    GatedDMFTSolution on the lags ``0 .. box / 2``.
    """
    for v, name in ((g_h, "g_h"), (alpha_z, "alpha_z"), (alpha_r, "alpha_r")):
        positive_scalar(v, name, strict=False)
    g_h, alpha_z, alpha_r = float(g_h), float(alpha_z), float(alpha_r)
    dt, box, C0 = positive_scalar(dt, "dt"), positive_scalar(box, "box"), positive_scalar(C0, "C0")
    M = int(round(box / dt))
    if M < 8 or M % 2:
        raise ValueError(f"box: box / dt must be an even integer >= 8, got {box / dt!r}")
    n_iter = require_int(n_iter, "n_iter", 1)
    mix = positive_scalar(mix, "mix")
    if mix > 1:
        raise ValueError(f"mix: must lie in (0, 1], got {mix!r}")
    n_paths = require_int(n_paths, "n_paths", 2)
    n_avg = require_int(n_avg, "n_avg", 1)
    if method not in ("auto", "sampling"):
        raise ValueError(f"method: must be 'auto' or 'sampling', got {method!r}")
    sampling = alpha_z > 0 or method == "sampling"
    if sampling and n_avg > n_iter:
        raise ValueError(f"n_avg: must be <= n_iter = {n_iter}, got {n_avg}")
    tol = positive_scalar(tol, "tol")
    n_quad = require_int(n_quad, "n_quad", 2)
    n_iter_start = require_int(n_iter_start, "n_iter_start", 1)
    lag = dt * np.minimum(np.arange(M), M - np.arange(M))
    omega = _omega(M, dt)
    C_h = C0 * np.exp(-lag)
    change = []
    if not sampling:
        for _ in range(n_iter):
            out = gaussian_dmft_step(C_h, g_h, alpha_r, dt, 0.5, n_quad)
            change.append(float(np.max(np.abs(out["C_h"] - C_h))))
            C_h = _as_covariance((1 - mix) * C_h + mix * out["C_h"])
            if change[-1] < tol:
                break
        out = gaussian_dmft_step(C_h, g_h, alpha_r, dt, 0.5, n_quad)
        C_phi, C_r, C_sig, C_z = out["C_phi"], out["C_r"], out["C_sigma_r"], np.zeros(M)
        method = "gaussian"
    else:
        rng = np.random.default_rng(int(seed))
        start = gated_dmft(g_h, 0.0, alpha_r, dt=dt, box=box, n_iter=n_iter_start, mix=1.0, tol=tol,
                           n_quad=n_quad, C0=C0)     # the frozen-gate (Gaussian) solution as the start
        C_phi = _pair_moment_curve("tanh", np.concatenate([start.C_h, start.C_h[1:-1][::-1]]), n_quad=n_quad)
        acc = {k: np.zeros(M) for k in ("C_h", "C_phi")}
        for it in range(n_iter):
            C_z = _filter(C_phi, alpha_z ** 2, 1.0, omega)
            C_r = _filter(C_phi, alpha_r ** 2, 1.0, omega)
            C_sig = _pair_moment_curve("sigmoid", C_r, n_quad=n_quad)
            z = periodic_gaussian_paths(C_z, n_paths, rng)
            eta = g_h * periodic_gaussian_paths(C_phi * C_sig, n_paths, rng)
            h = _sample_h(eta, _sigmoid(z), dt)
            C_new = periodic_autocorrelation(np.tanh(h))
            change.append(float(np.max(np.abs(C_new - C_phi))))
            C_phi = _as_covariance((1 - mix) * C_phi + mix * C_new)
            if it >= n_iter - n_avg:
                acc["C_h"] += periodic_autocorrelation(h) / n_avg
                acc["C_phi"] += C_new / n_avg
        C_h, C_phi = acc["C_h"], acc["C_phi"]
        C_z = _filter(C_phi, alpha_z ** 2, 1.0, omega)
        C_r = _filter(C_phi, alpha_r ** 2, 1.0, omega)
        C_sig = _pair_moment_curve("sigmoid", C_r, n_quad=n_quad)
        method = "sampling"
    half = M // 2 + 1
    params = dict(g_h=g_h, alpha_z=alpha_z, alpha_r=alpha_r, dt=dt, box=box, n_iter=n_iter, mix=mix,
                  n_paths=n_paths, n_avg=n_avg, seed=seed)
    return GatedDMFTSolution(dt * np.arange(half), C_h[:half], C_phi[:half], C_z[:half], C_r[:half],
                             C_sig[:half], np.array(change), method, params)


def relaxation_time(tau, C):
    """Relaxation time ``tau_R = int_0^tau_max C(tau) d tau / C(0)`` (trapezoidal) of a decaying autocorrelation.

    ``tau`` increasing from 0, ``C`` of the same shape (last axis) with ``C[..., 0] > 0``.
    """
    tau, C = real_finite(tau, "tau"), real_finite(C, "C")
    if tau.ndim != 1 or tau.size < 2 or tau[0] != 0 or np.any(np.diff(tau) <= 0):
        raise ValueError("tau: must be a 1-D increasing grid starting at 0 with at least 2 points")
    if C.shape[-1] != tau.size:
        raise ValueError(f"C: last axis must have the length of tau ({tau.size}), got shape {C.shape}")
    if np.any(C[..., 0] <= 0):
        raise ValueError("C: C(0) must be > 0 (a non-trivial autocorrelation)")
    return np.trapezoid(C, tau, axis=-1) / C[..., 0]


def network_autocorrelation(h, n_lag: int):
    """Population autocorrelation ``C_h(k) = mean_{i, t} h_i(t) h_i(t + k)`` of simulated activity.

    ``h`` has shape ``(T, B, N)`` (a recorded trajectory of ``B`` networks; numpy or torch). Each
    lag ``k < n_lag`` uses the ``T - k`` available pairs (FFT with zero padding). Returns ``(B, n_lag)``.
    """
    h = real_finite(h, "h")
    if h.ndim != 3:
        raise ValueError(f"h: must have shape (T, B, N), got {h.shape}")
    n_lag = require_int(n_lag, "n_lag", 1)
    T = h.shape[0]
    if T <= n_lag:
        raise ValueError(f"h: needs more than n_lag = {n_lag} time points, got {T}")
    F = np.fft.rfft(h, n=2 * T, axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        acf = np.fft.irfft(np.abs(F) ** 2, n=2 * T, axis=0)[:n_lag]      # (n_lag, B, N)
        C = (acf.mean(-1) / (T - np.arange(n_lag))[:, None]).T
    if not np.all(np.isfinite(C)):
        raise ValueError(f"h: too large, its autocorrelation overflows (max |h| = {np.abs(h).max():.3g})")
    return C


def simulate_autocorrelation(net, *, dt: float = 0.1, t_transient: float = 50.0, t_avg: float = 200.0,
                             record_every: int = 2, n_lag: int = 50, init_scale: float = 2.0, seed: int = 0,
                             lyapunov: bool = True, return_units: int = 0):
    """Simulate a batch of gated networks; return their population autocorrelation and largest exponent.

    One RK4 run of the state together with one tangent vector (renormalised every step, so that the
    sum of the logarithms of its growth factors over ``t_avg`` estimates ``lambda_max``, Benettin's
    method with ``k = 1``), after a transient ``t_transient`` during which the tangent vector aligns; ``h`` is recorded every ``record_every``
    steps and :func:`network_autocorrelation` gives ``C_h`` at lags ``k record_every dt``, ``k < n_lag``.

    With ``lyapunov=False`` the tangent vector is not propagated (half the cost) and ``lam_max`` is ``None``.
    With ``return_units = k > 0`` the recorded ``h`` of the first ``k`` units is returned too, as ``h_units``
    ``(T_rec, B, k)`` with times ``t_rec`` (for trajectory plots).

    Returns
    -------
    dict with ``tau`` ``(n_lag,)``, ``C_h`` ``(B, n_lag)`` (numpy) and ``lam_max`` ``(B,)`` (numpy).
    """
    import torch

    from .gated import GatedNetwork, gated_tangent, gated_vector_field, integrate, rk4_step

    if not isinstance(net, GatedNetwork):
        raise TypeError(f"net: must be a GatedNetwork, got {type(net).__name__}")
    dt = positive_scalar(dt, "dt")
    if dt > 0.5:
        raise ValueError(f"dt: must be <= 0.5 (RK4 on unit time constants; larger steps give wrong statistics), "
                         f"got {dt!r}")
    t_transient = positive_scalar(t_transient, "t_transient", strict=False)
    t_avg = positive_scalar(t_avg, "t_avg")
    record_every = require_int(record_every, "record_every", 1)
    n_lag = require_int(n_lag, "n_lag", 1)
    init_scale = positive_scalar(init_scale, "init_scale")
    return_units = require_int(return_units, "return_units", 0)
    if return_units > net.n:
        raise ValueError(f"return_units: must be <= N = {net.n}, got {return_units}")
    n_steps = int(round(t_avg / dt))
    if n_steps // record_every <= n_lag:
        raise ValueError(f"t_avg: must cover more than n_lag = {n_lag} recorded points, got {n_steps // record_every}")
    B, N = net.batch, net.n
    gen = torch.Generator().manual_seed(int(seed))
    x = init_scale * torch.randn(B, 3 * N, generator=gen, dtype=net.J_h.dtype).to(net.J_h.device)
    field = lambda y: gated_vector_field(y, net)  # noqa: E731
    n_tr = int(round(t_transient / dt))
    rec = []
    if not lyapunov:
        x = integrate(field, x, dt, n_tr)
        for i in range(n_steps):
            x = rk4_step(field, x, dt)
            if i % record_every == 0:
                rec.append(x[:, :N].cpu())
    v = torch.randn(B, 3 * N, 1, generator=gen, dtype=net.J_h.dtype).to(net.J_h.device)
    v = v / v.norm(dim=1, keepdim=True)
    log_growth = torch.zeros(B, dtype=net.J_h.dtype, device=net.J_h.device)
    for step in range(n_tr + n_steps if lyapunov else 0):  # the tangent vector aligns during the transient
        k1x, k1v = field(x), gated_tangent(x, v, net)
        x2, v2 = x + 0.5 * dt * k1x, v + 0.5 * dt * k1v
        k2x, k2v = field(x2), gated_tangent(x2, v2, net)
        x3, v3 = x + 0.5 * dt * k2x, v + 0.5 * dt * k2v
        k3x, k3v = field(x3), gated_tangent(x3, v3, net)
        x4, v4 = x + dt * k3x, v + dt * k3v
        k4x, k4v = field(x4), gated_tangent(x4, v4, net)
        x = x + dt / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        v = v + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        nv = v.norm(dim=1, keepdim=True)
        v = v / nv
        i = step - n_tr
        if i >= 0:
            log_growth += torch.log(nv[:, 0, 0])
            if i % record_every == 0:
                rec.append(x[:, :N].cpu())
    # no finiteness guard here: rk4_step / gated_tangent refuse a non-finite state at every step
    # (tests/test_guard_kills.py shows it), and dt <= 0.5 keeps the integration finite
    h = torch.stack(rec).numpy()
    out = {"tau": record_every * dt * np.arange(n_lag), "C_h": network_autocorrelation(h, n_lag),
           "lam_max": (log_growth / (n_steps * dt)).cpu().numpy() if lyapunov else None}
    if return_units:
        out["h_units"] = h[:, :, :return_units]
        out["t_rec"] = t_transient + record_every * dt * np.arange(h.shape[0])
    return out


def paired_networks(n: int, g_h: float, alpha_z_values, alpha_r: float, *, ensemble: int = 2, seed: int = 0,
                    device=None, dtype=None):
    """``ensemble`` coupling draws, each repeated for every update-gate gain in ``alpha_z_values``.

    Batch element ``a * ensemble + e`` has gain ``alpha_z_values[a]`` and the couplings of draw ``e``, so
    that comparisons across ``alpha_z`` are paired (only the gate changes).  Returns a :class:`GatedNetwork`
    of ``B = len(alpha_z_values) * ensemble`` networks.
    """
    from .gated import GatedNetwork, random_gated_network

    az = real_finite(alpha_z_values, "alpha_z_values", nonneg=True).reshape(-1)
    ensemble = require_int(ensemble, "ensemble", 1)
    base = random_gated_network(n, g_h, 0.0, alpha_r, batch=ensemble, seed=seed, device=device, dtype=dtype)
    rep = lambda J: J.repeat(az.size, 1, 1)  # noqa: E731
    net = GatedNetwork(rep(base.J_h), rep(base.J_z), rep(base.J_r), base.g_h.repeat(az.size),
                       base.alpha_z.repeat(az.size), base.alpha_r.repeat(az.size))
    return net.with_gains(alpha_z=np.repeat(az, ensemble))
