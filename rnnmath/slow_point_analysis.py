r"""The slow-point analyses of Part II, chapter 05, on top of :mod:`rnnmath.fixed_points`.

The chapter's long computations, moved here so that each chapter cell holds one idea.  Only the
public API of :mod:`rnnmath.fixed_points` is used.

Public API
----------
:func:`set_distance` — largest distance from a true point to a found set and back.
:func:`compare_with_enumeration` — the batched finder against the exhaustive ReLU enumerator on
random small networks: misses, false points, counts, stability labels.
:func:`condition_inputs` — the test conditions of a trained ensemble's task, as constant inputs.
:func:`field_of` — the noise-free field (p2-eq-sp-field) of every (network, condition) as a
:class:`rnnmath.fixed_points.RateDynamics`.
:func:`trained_fixed_points` — relax every network at every condition noise-free and run the finder
from jittered states of the trajectories.
:func:`settling_summary` — per (network, condition): does the noise-free run settle on a stable point
found, or run away at the rate its final region predicts; counts of fixed points and labels.
:func:`hessian_modulation` — question 3 of the note: the Jacobians at the stable points rebuilt from
their activation patterns, and how much the pattern and the Hessian of ``q`` change with the input.
"""
from __future__ import annotations

import numpy as np
import torch

from . import fixed_points as fp

__all__ = ["set_distance", "compare_with_enumeration", "condition_inputs", "field_of", "trained_fixed_points",
           "settling_summary", "hessian_modulation"]


def _pos_int(v, name: str, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {v!r}")
    return int(v)


def set_distance(found, truth) -> tuple:
    """(largest distance from a true point to the found set, largest from a found point to the true set).

    ``found`` (n, N) and ``truth`` (m, N); two empty sets are at distance 0, an empty and a
    non-empty set at infinity.
    """
    found, truth = np.asarray(found, dtype=float), np.asarray(truth, dtype=float)
    if len(found) == 0 or len(truth) == 0:
        return (0.0, 0.0) if len(found) == len(truth) else (np.inf, np.inf)
    if found.ndim != 2 or truth.ndim != 2 or found.shape[1] != truth.shape[1]:
        raise ValueError(f"truth: must be (m, N) with the N of found {found.shape}, got {truth.shape}")
    d = np.linalg.norm(found[:, None] - truth[None], axis=-1)
    return float(d.min(0).max()), float(d.min(1).max())


def compare_with_enumeration(Ws, cs, starts, tau: float = 100.0, device=None) -> dict:
    r"""Run the batched finder on ReLU networks ``Ws`` (B, N, N), ``cs`` (B, N) from ``starts`` (B, S, N)
    and compare every network's set with :func:`rnnmath.fixed_points.relu_fixed_points_exhaustive`.

    Returns ``miss`` and ``false`` (B,) set distances (:func:`set_distance`), ``n_true``,
    ``n_found``, ``most`` (largest true count in one network) and ``bad_labels`` (found points
    whose label differs from :func:`rnnmath.fixed_points.classify_stability` of the exact region
    Jacobian ``(-I + D W) / tau``).
    """
    Ws, cs = np.asarray(Ws, dtype=float), np.asarray(cs, dtype=float)
    if Ws.ndim != 3 or Ws.shape[1] != Ws.shape[2] or cs.shape != Ws.shape[:2]:
        raise ValueError(f"cs: must be (B, N) for Ws (B, N, N), got Ws {Ws.shape}, cs {cs.shape}")
    N = Ws.shape[-1]
    found = fp.find_fixed_points(fp.RateDynamics(Ws, cs, tau=tau, device=device), starts)
    out = dict(miss=[], false=[], n_true=0, n_found=0, most=0, bad_labels=0)
    for b, res in enumerate(found):
        truth = fp.relu_fixed_points_exhaustive(Ws[b], cs[b])
        d_miss, d_false = set_distance(res.points, truth)
        out["miss"].append(d_miss); out["false"].append(d_false)
        out["n_true"] += len(truth); out["n_found"] += len(res); out["most"] = max(out["most"], len(truth))
        for p, lab in zip(res.points, res.stability):
            dpat = (Ws[b] @ p + cs[b] > 0).astype(float)
            ev = np.linalg.eigvals((-np.eye(N) + dpat[:, None] * Ws[b]) / tau)
            out["bad_labels"] += int(lab != fp.classify_stability(ev[None])[0])
    out["miss"], out["false"] = np.array(out["miss"]), np.array(out["false"])
    return out


def condition_inputs(ens, decision_grid: int = 3, device=None, dtype=torch.float64):
    """The task's test conditions as constant inputs: ``u`` (B, C, I) and ``conditions`` (B, C, ·).

    Perception: its levels; decision: the ``decision_grid`` x ``decision_grid`` grid of ``(u1, u2)``.
    """
    task = ens.task
    B = ens.config["n_networks"]
    if task.name == "perception":
        grid = task.condition_grid(B, device=device, dtype=dtype)
    else:
        grid = task.condition_grid(B, n_per_axis=_pos_int(decision_grid, "decision_grid", 2), device=device, dtype=dtype)
    return grid.inputs[:, :, 0, :], grid.conditions


def field_of(model, u, device=None):
    """:class:`rnnmath.fixed_points.RateDynamics` for every (network, condition): W (B, C, N, N), c (B, C, N)."""
    if u.dim() != 3 or u.shape[0] != model.n_networks or u.shape[-1] != model.n_inputs:
        raise ValueError(f"u: must be (B={model.n_networks}, C, I={model.n_inputs}), got {tuple(u.shape)}")
    B, C = u.shape[:2]
    W = model.W_rec.detach()[:, None].expand(B, C, model.n_units, model.n_units)
    c = u @ model.W_in.mT + model.b[:, None, :]
    return fp.RateDynamics(W, c, tau=model.tau, device=device if device is not None else model.W_rec.device)


@torch.no_grad()
def trained_fixed_points(model, u, *, n_settle: int, n_starts: int, seed: int = 1, jitter: float = 0.05) -> dict:
    r"""Fixed points of every network of ``model`` at every constant input ``u`` (B, C, I).

    The noise-free dynamics runs ``n_settle`` steps from ``r = 0``; the finder starts from
    ``n_starts`` states of that run (half from its first 400 steps, half from anywhere), jittered
    by ``jitter``, with ``q_tol`` from a per-step tolerance of 1e-9.  Returns a dict with
    ``traj`` (B, C, n_settle, N), ``dyn`` (:func:`field_of`), ``found`` (B * C results), ``B``, ``C``.
    """
    _pos_int(n_settle, "n_settle", 2)
    _pos_int(n_starts, "n_starts", 2)
    dev = model.W_rec.device
    B, C = u.shape[:2]
    f64 = torch.float64
    inputs = u[:, :, None, :].expand(B, C, n_settle, u.shape[-1])
    traj, _ = model(inputs, noise=torch.zeros(B, C, n_settle, model.n_units, dtype=f64, device=dev))
    gen = torch.Generator().manual_seed(int(seed))
    half = n_starts // 2
    pick = torch.cat([torch.randint(0, min(n_settle, 400), (half,), generator=gen),
                      torch.randint(0, n_settle, (n_starts - half,), generator=gen)])
    starts = traj[:, :, pick.to(dev), :] + jitter * torch.randn(B, C, n_starts, model.n_units, dtype=f64, generator=gen).to(dev)
    dyn = field_of(model, u)
    found = fp.find_fixed_points(dyn, starts, q_tol=fp.q_tolerance_from_step(1e-9, model.dt))
    return dict(model=model, u=u, traj=traj, dyn=dyn, found=found, B=B, C=C)


def settling_summary(R: dict, runaway_norm: float = 1e3) -> dict:
    r"""Where the noise-free runs of :func:`trained_fixed_points` end (chapter 05).

    Per (network, condition) ``j``: if ``|r_T| > runaway_norm`` the run has run away, and its
    growth per step ``|r_T| / |r_{T-1}|`` is compared with ``rho(I + dt J)`` of the final
    activation region (``growth_sim``, ``growth_lin``); otherwise ``excess`` is the distance to
    the nearest stable point found divided by ``3 |F| / sigma_min(J)`` (inf when none is stable).
    Within the point's activation region ``F(r) = J (r - r*)`` exactly, so
    ``|r - r*| <= |F(r)| / sigma_min(J)``; the factor 3 allows for the end state lying in a
    neighbouring region.  (``|Re lambda_1|`` in place of ``sigma_min`` is no bound when ``J`` is
    non-normal.)  Also ``q`` (all fixed points), ``runaway`` (B * C,) bool, ``counts``
    (fixed points per bounded pair), ``labels`` (totals), ``lead`` (``tau Re lambda_1`` at the
    stable points).
    """
    found, traj, model = R["found"], R["traj"], R["model"]
    N = traj.shape[-1]
    ends = traj[:, :, -1, :].reshape(-1, N).cpu().numpy()
    prevs = traj[:, :, -2, :].reshape(-1, N).cpu().numpy()
    F_end = R["dyn"].velocity(traj[:, :, -1:, :]).reshape(-1, N).norm(dim=-1).cpu().numpy()
    big = np.linalg.norm(ends, axis=-1) > runaway_norm
    Wflat = R["dyn"].W.reshape(-1, N, N).cpu().numpy()
    cflat = R["dyn"].c.reshape(-1, N).cpu().numpy()
    out = dict(excess=[], growth_sim=[], growth_lin=[], runaway=big)
    for j, (res, end) in enumerate(zip(found, ends)):
        if big[j]:
            out["growth_sim"].append(np.linalg.norm(end) / np.linalg.norm(prevs[j]))
            dpat = (Wflat[j] @ end + cflat[j] > 0).astype(float)
            J_end = (-np.eye(N) + dpat[:, None] * Wflat[j]) / model.tau
            out["growth_lin"].append(np.abs(1 + model.dt * np.linalg.eigvals(J_end)).max())
            continue
        stable = [i for i, s in enumerate(res.stability) if s == "stable"]
        if not stable:
            out["excess"].append(np.inf)
            continue
        d = np.linalg.norm(res.points[stable] - end, axis=1)
        p = res.points[stable[int(np.argmin(d))]]
        dpat = (Wflat[j] @ p + cflat[j] > 0).astype(float)
        smin = np.linalg.svd((-np.eye(N) + dpat[:, None] * Wflat[j]) / model.tau, compute_uv=False)[-1]
        out["excess"].append(d.min() / (3 * F_end[j] / smin + 1e-10))
    out["q"] = np.concatenate([res.q for res in found])
    out["counts"] = np.array([len(res) for res, b_ in zip(found, big) if not b_])
    out["labels"] = {k: sum(res.counts()[k] for res in found) for k in ("stable", "saddle", "unstable", "marginal")}
    out["lead"] = np.array([res.eigenvalues[i, 0].real * model.tau for res in found
                            for i, s in enumerate(res.stability) if s == "stable"])
    return out


def hessian_modulation(R: dict) -> dict:
    r"""Question 3 of the note on the perception networks: the input enters ``J`` only through ``D(u)``.

    For every network and condition of ``R`` (:func:`trained_fixed_points`), the Jacobian at the
    stable point is rebuilt from its activation pattern alone, ``J = (-I + D W) / tau``, and
    compared with ``RateDynamics.jacobian`` there (``J_pattern``, ``J_field``, (B * C, N, N)).
    Returns also, per network, the fraction of units whose state differs between the first two
    conditions (``flips``) and the relative change of the Hessian ``J^T J`` of ``q`` (``rel``).
    Networks without a stable point at some condition are left out; ``networks`` lists those used.
    """
    if R["C"] < 2:
        raise ValueError(f"R: needs at least two conditions, got {R['C']}")
    model = R["model"]
    Wn = model.W_rec.detach().cpu().numpy()
    cn = R["dyn"].c.cpu().numpy()
    dev = model.W_rec.device
    flips, rel, J_pat, J_ref, used = [], [], [], [], []
    for b in range(R["B"]):
        if not all("stable" in R["found"][b * R["C"] + k].stability for k in range(R["C"])):
            continue                                  # no stable point at some condition (a runaway network)
        used.append(b)
        Hs, pats = [], []
        for k in range(R["C"]):
            res = R["found"][b * R["C"] + k]
            i = res.stability.index("stable")
            pat = (Wn[b] @ res.points[i] + cn[b, k] > 0).astype(float)
            Jp = (-np.eye(len(pat)) + pat[:, None] * Wn[b]) / model.tau
            J_pat.append(Jp)
            x = torch.as_tensor(res.points[i], device=dev).expand(R["B"], R["C"], 1, -1)
            J_ref.append(R["dyn"].jacobian(x)[b, k, 0].cpu().numpy())
            Hs.append(Jp.T @ Jp)
            pats.append(pat)
        flips.append(np.mean(pats[0] != pats[1]))
        rel.append(np.linalg.norm(Hs[0] - Hs[1]) / np.linalg.norm(Hs[0]))
    if not used:
        raise ValueError("R: no network has a stable fixed point at every condition")
    return dict(J_pattern=np.stack(J_pat), J_field=np.stack(J_ref), flips=np.array(flips), rel=np.array(rel),
                networks=np.array(used))
