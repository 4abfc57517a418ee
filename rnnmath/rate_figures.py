r"""Figures of Part II (note 001): the long plotting code of chapters 02-05, out of the chapters.

Every function draws from arrays the chapter has already computed (nothing is simulated here
except where the docstring says so) and returns the matplotlib Figure; the chapter shows it.

Public API
----------
:func:`task_outputs_figure` — chapter 02, the note's Fig. 1: late-trial decision output against
``u1 - u2`` (ReLU networks and linear controls) and perception output traces.
:func:`weight_change_figure` — chapter 03, the note's Fig. 7: weight changes and eigenvalues.
:func:`singular_value_figure` — chapter 03: normalised singular values of ``dW``.
:func:`latent_fixed_point_figure` — chapter 05: a perception network's trajectories and fixed points in
their principal plane, and the slowest decay rates at the decision networks' stable points.
:func:`fixed_point_manifold_figure` — chapter 05, the note's Figs. 2-3: fixed points over the input grid
in their principal plane with two transients, and the transient angles against random.
"""
from __future__ import annotations

import numpy as np
import torch

from .plotting import figure

__all__ = ["task_outputs_figure", "weight_change_figure", "singular_value_figure", "latent_fixed_point_figure",
           "fixed_point_manifold_figure"]


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def task_outputs_figure(decision_conditions, z_relu, z_linear, perception_outputs, perception_task, *,
                        late_from: int, dt: float = 10.0, n_bins: int = 12):
    r"""The note's Fig. 1 (chapter 02).

    Parameters
    ----------
    decision_conditions : (B, K, 2) grid conditions ``(u1, u2)`` of the decision trials.
    z_relu, z_linear : (B, K, T, 1) noise-free outputs of the ReLU networks and the linear controls.
    perception_outputs : (B, L, T, 1) outputs of the perception networks, one trial per level.
    perception_task : the :class:`rnnmath.rate.PerceptionTask` (levels and answers).
    late_from : first step of the late window over which the decision output is averaged.
    """
    if z_relu.shape != z_linear.shape or z_relu.shape[:2] != decision_conditions.shape[:2]:
        raise ValueError(f"z_linear: must match z_relu {tuple(z_relu.shape)} and the conditions, got {tuple(z_linear.shape)}")
    if not 0 <= late_from < z_relu.shape[2]:
        raise ValueError(f"late_from: must lie in [0, {z_relu.shape[2]}), got {late_from!r}")
    cond = _np(decision_conditions)
    diff = cond[0, :, 0] - cond[0, :, 1]
    bins = np.linspace(-0.6, 0.6, n_bins + 1)
    centres = 0.5 * (bins[1:] + bins[:-1])
    idx = np.digitize(diff, bins) - 1
    fig, axes = figure(ncols=2, width=7.2, height=3.2)
    for z_, colour, label in ((z_relu, "C0", "ReLU (mean of networks)"), (z_linear, "C3", "linear control")):
        zz = _np(z_)[:, :, late_from:, 0].mean(-1)
        per_net = np.stack([[zz[b][idx == i].mean() if np.any(idx == i) else np.nan for i in range(len(centres))]
                            for b in range(zz.shape[0])])
        if colour == "C0":
            axes[0].plot(centres, per_net.T, color=colour, alpha=0.3, lw=0.8)
        axes[0].plot(centres, np.nanmean(per_net, 0), "o-", color=colour, label=label)
    axes[0].step(centres, (centres < 0).astype(float), "k--", where="mid", lw=1, label="target")
    axes[0].set_xlabel("$u_1 - u_2$"); axes[0].set_ylabel("late-trial output"); axes[0].set_title("decision")
    axes[0].legend(fontsize=7)
    zp = _np(perception_outputs)
    t_ms = (np.arange(zp.shape[2]) + 1) * dt
    for k, lvl in enumerate(perception_task.levels):
        traces = zp[:, k, :, 0]
        axes[1].plot(t_ms, traces.T, color=f"C{k + 1}", alpha=0.3, lw=0.8)
        axes[1].plot(t_ms, traces.mean(0), color=f"C{k + 1}", lw=2, label=f"input {lvl}")
        axes[1].axhline(perception_task.answers[k], color=f"C{k + 1}", ls="--", lw=1)
    axes[1].set_xlabel("time (ms)"); axes[1].set_title("perception"); axes[1].legend(fontsize=7)
    return fig


def weight_change_figure(W0: dict, dW: dict, eig0: dict, eig1: dict):
    r"""The note's Fig. 7 (chapter 03): histogram of ``|dW_ij| / std(W0)`` per task, and the
    eigenvalues of every initial (grey) and trained (red) ``W_rec`` per task with the unit circle.

    ``W0``, ``dW``: task -> (B, N, N); ``eig0``, ``eig1``: task -> (B, N) complex eigenvalues.
    """
    names = list(dW)
    if set(names) != set(W0) or set(names) != set(eig0) or set(names) != set(eig1):
        raise ValueError("eig1: W0, dW, eig0 and eig1 must have the same tasks")
    fig, axes = figure(ncols=1 + len(names), width=4.5 * (1 + len(names)) / 1.5, height=3.0)
    for k, name in enumerate(names):
        x = (_np(dW[name]) / float(_np(W0[name]).std())).reshape(-1)
        x = x[x != 0]
        axes[0].hist(np.abs(x), bins=60, histtype="step", log=True, color=f"C{k}", label=name)
    axes[0].set_xlabel(r"$|\Delta W_{ij}|$ / std$(W_0)$"); axes[0].set_ylabel("count"); axes[0].legend(fontsize=7)
    axes[0].set_title("weight changes")
    th = np.linspace(0, 2 * np.pi, 200)
    for ax, name in zip(axes[1:], names):
        e0, e1 = _np(eig0[name]).reshape(-1), _np(eig1[name]).reshape(-1)
        ax.plot(e0.real, e0.imag, ".", ms=2, color="0.6", label="initial")
        ax.plot(e1.real, e1.imag, ".", ms=2, color="C3", label="trained")
        ax.plot(np.cos(th), np.sin(th), "k--", lw=0.8)
        ax.set_aspect("equal"); ax.set_title(f"eigenvalues, {name}"); ax.legend(fontsize=7, loc="lower left")
    return fig


def singular_value_figure(singular_values: dict, n_show: int = 20):
    """Singular values ``s_i(dW) / s_1`` of every network, task -> (B, N) (chapter 03)."""
    fig, ax = figure(width=5.6, height=3.0)
    for k, (name, s) in enumerate(singular_values.items()):
        s = _np(s)
        if s.ndim != 2 or np.any(s[:, 0] <= 0):
            raise ValueError(f"singular_values: {name} must be (B, N) with s_1 > 0")
        sn = s / s[:, :1]
        ax.semilogy(np.arange(1, sn.shape[1] + 1), sn.T, color=f"C{k}", alpha=0.4, lw=0.8)
        ax.semilogy([], [], color=f"C{k}", label=f"{name}: $s_i(\\Delta W)/s_1$")
    ax.set_xlabel("index $i$"); ax.set_xlim(0.5, n_show + 0.5); ax.legend(fontsize=8)
    return fig


def latent_fixed_point_figure(R_perception: dict, R_decision: dict, net: int = 0):
    r"""Chapter 05: left, network ``net`` of ``R_perception`` (a result of
    :func:`rnnmath.slow_point_analysis.trained_fixed_points` with ``cond``) — its trajectories at
    each condition in their first two principal components, with the fixed points found (filled:
    stable); right, histograms of ``tau Re lambda_1`` at the stable points of ``R_decision``, a dict
    ``{"initial": R, "trained": R}``.
    """
    from .latent import pca

    Rp = R_perception
    dev = Rp["traj"].device
    X = Rp["traj"][net].reshape(-1, Rp["traj"].shape[-1])
    Vp, _ = pca(X, 2, device=dev)
    mean = X.mean(0)
    fig, (ax0, ax1) = figure(ncols=2, width=8.0, height=3.2)
    for k in range(Rp["C"]):
        Z = ((Rp["traj"][net, k] - mean) @ Vp).cpu().numpy()
        ax0.plot(Z[:, 0], Z[:, 1], color=f"C{k}", label=f"input {float(Rp['cond'][net, k, 0]):.1f}")
        res = Rp["found"][net * Rp["C"] + k]
        Zf = ((torch.as_tensor(res.points, device=dev) - mean) @ Vp).cpu().numpy()
        for z_, s in zip(Zf, res.stability):
            ax0.plot(z_[0], z_[1], "o" if s == "stable" else "x", color=f"C{k}", ms=9, mfc="white" if s != "stable" else f"C{k}")
    ax0.set_xlabel("PC 1"); ax0.set_ylabel("PC 2"); ax0.legend(); ax0.set_title(f"trained perception network {net}")
    for j, (which, R) in enumerate(R_decision.items()):
        lead = [res.eigenvalues[i, 0].real * R["model"].tau for res in R["found"] for i, s in enumerate(res.stability) if s == "stable"]
        ax1.hist(lead, bins=20, alpha=0.6, color=f"C{j + 2}", label=which)
    ax1.set_xlabel(r"$\tau\,\mathrm{Re}\,\lambda_1$ at stable points"); ax1.set_ylabel("count"); ax1.legend()
    ax1.set_title("decision task: slowest mode")
    return fig


@torch.no_grad()
def fixed_point_manifold_figure(man: dict, model, reference_angles, n_transient: int, net: int = 0):
    r"""The note's Figs. 2-3 (chapter 05) from :func:`rnnmath.rate_claims.fixed_point_manifold` ``man``.

    Left: network ``net``'s fixed points over the input grid in their principal plane, coloured by
    ``u1 - u2``, with the noise-free transients from ``r = 0`` at the first and last grid condition
    (simulated here for ``n_transient`` steps); right: each network's transient angle (red) against
    ``reference_angles`` (random direction vs random plane).
    """
    dev = model.W_rec.device
    f64 = torch.float64
    Pb = torch.as_tensor(man["points"][net]); mu = Pb.mean(0); basis = man["plane"][net]
    Z = ((Pb - mu) @ basis).numpy()
    d_u = man["conditions"][:, 0] - man["conditions"][:, 1]
    fig, axes = figure(ncols=2, width=8.0, height=3.2)
    sc = axes[0].scatter(Z[:, 0], Z[:, 1], c=d_u, cmap="coolwarm", s=25)
    u0 = torch.as_tensor(man["conditions"][[0, -1]], dtype=f64)[None].expand(model.n_networks, 2, 2).to(dev)
    tr, _ = model(u0[:, :, None, :].expand(-1, -1, n_transient, -1).contiguous(),
                  noise=torch.zeros(model.n_networks, 2, n_transient, model.n_units, dtype=f64, device=dev))
    for k in range(2):
        Zt = ((tr[net, k].cpu() - mu) @ basis).numpy()
        axes[0].plot(Zt[:, 0], Zt[:, 1], "k-", lw=0.8)
    axes[0].set_xlabel("fixed-point PC 1"); axes[0].set_ylabel("fixed-point PC 2"); fig.colorbar(sc, ax=axes[0], label="$u_1-u_2$")
    axes[0].set_title(f"decision network {net}: fixed points and two transients")
    axes[1].hist(np.asarray(reference_angles), bins=40, density=True, color="0.7", label="random direction vs random plane")
    for a_ in man["transient_angle"]:
        axes[1].axvline(a_, color="C3", lw=1)
    axes[1].set_xlabel("angle to the fixed-point plane (rad)"); axes[1].legend(fontsize=7)
    return fig
