r"""The empirical claims of note 001 (§§3, 5, 6), decided by fixed rules (Part II, chapters 02-05).

Every claim the note makes about its trained networks is decided here by a
:class:`rnnmath.verify.DecisionRule` written down *before* any network is trained or analysed
(:data:`RULES`), from one effect size per network with a bootstrap 95% interval
(:func:`rnnmath.verify.claim_verdict`).  Chapters call :func:`decide`; the errata records of
kind "not reproduced" (``rnnmath/errata/note_001.py``) call the same functions on the same
cached ensembles, so a chapter and the registry cannot disagree.

Public API
----------
:data:`RULES` — claim id -> (claim in words, source, statistic, DecisionRule).
:func:`decide` — the verdict of one claim from per-network samples.
:func:`linear_rms_bound` — the smallest late-trial RMS error any network whose output is affine
in the inputs can reach on the decision grid (a linear network's floor).
:func:`decision_validity` — per-network validity measures of trained decision networks
(late RMS error, accuracy at the end of a trial and after a long horizon).
:func:`perception_validity` — late RMS error of trained perception networks and of their linear
controls on the same noisy trials (the perception task is affine-solvable: its linear floor is 0).
:func:`scaling_exponent` — exponent of a power law ``y ~ N^beta`` from per-network samples at two or
more sizes, with a bootstrap interval (the scaling of ``||dW|| / ||W0||`` with ``N``).
:func:`centrality_spearman` — Spearman correlation of initial and trained centralities per network.
:func:`silent_fraction` — per network, the fraction of units with input current ``m_i <= 0`` in the
second half of noise-free trials on the task's grid (hypothesis 5.1).
:func:`unit_variance_covariances` — lagged covariances per network, scaled to unit mean variance (chapter 04).
:func:`currents` — the input currents ``x = W_rec r + W_in u + b`` of simulated rates: the state of
the PsychRNN ``Basic`` reading of the model (chapter 04).
:func:`stability_after_training` — relax every network at every condition from ``r = 0`` and from
random states; which settle at a stable fixed point.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .verify import ClaimVerdict, DecisionRule, claim_verdict


def _pos_int(v, name: str, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {v!r}")
    return int(v)


def _ensemble(ens, task_name=None):
    from .rate import TrainedEnsemble

    if not isinstance(ens, TrainedEnsemble):
        raise TypeError(f"ens: must be a TrainedEnsemble, got {type(ens).__name__}")
    if task_name is not None and ens.task.name != task_name:
        raise ValueError(f"ens: must be a {task_name} ensemble, got a {ens.task.name} ensemble")
    return ens

__all__ = ["RULES", "decide", "linear_rms_bound", "decision_validity", "perception_validity", "scaling_exponent",
           "centrality_spearman",
           "stability_after_training", "silent_fraction", "switching_inputs", "unit_variance_covariances", "currents", "latent_readout_angles", "fixed_point_manifold",
           "random_plane_angle"]

_S3, _S5_1, _S5_2, _S6 = ("note 001 §3, Fig. 1", "note 001 §5.1, Fig. 4", "note 001 §5.2, Figs. 7-8",
                           "note 001 §6")

#: Fixed decision rules, one per claim: (claim, source, statistic, rule).  Thresholds are stated in
#: the rule's description; they are chosen from the claim's words, never from the data.
RULES: dict = {
    "valid-decision": ("trained decision networks solve the task better than any linear network can",
                       _S3, "late RMS error / linear floor, per network",
                       DecisionRule("less", 1.0, "supported if the 95% upper bound of (RMS / linear floor) < 1")),
    "valid-long": ("trained decision networks keep their choice over a long horizon (4 s)",
                   _S3, "accuracy at 4 s on the clear grid conditions, per network",
                   DecisionRule("greater", 0.95, "supported if the 95% lower bound of the accuracy > 0.95")),
    "valid-perception-nonlinear": ("trained perception networks solve their task better than linear networks trained the same way",
                                   _S3, "late RMS error (ReLU) minus late RMS error (linear control, same seed), per network, "
                                        "noisy trials", DecisionRule("less", 0.0)),
    "5.2-dW-scaling": ("the relative weight change shrinks like 1/sqrt(N) (Schuessler et al. 2020)", _S5_2,
                       "exponent beta of ||dW||_F / ||W0||_F ~ N^beta (bootstrap over networks at each N)",
                       DecisionRule("within", (-0.75, -0.25), "supported if the 95% interval of beta lies in "
                                                              "[-0.75, -0.25] (a 1/sqrt(N)-type law)")),
    "5.2-dW-shrinks": ("the relative weight change shrinks as N grows", _S5_2,
                       "exponent beta of ||dW||_F / ||W0||_F ~ N^beta (bootstrap over networks at each N)",
                       DecisionRule("less", 0.0)),
    "5.1-fall": ("the mean recurrent weight falls during training", _S5_1, "mean-weight change, per network",
                 DecisionRule("less", 0.0)),
    "5.1-negative": ("the mean recurrent weight ends below zero", _S5_1, "mean weight after training, per network",
                     DecisionRule("less", 0.0)),
    "5.1-silent": ("more ReLUs are silent after training", _S5_1, "change of the fraction of units with m_i <= 0",
                   DecisionRule("greater", 0.0)),
    "5.1-decision-more": ("the decision task's mean weight falls, and by more than the perception task's", _S5_1,
                          "min(decision fall - perception fall, decision fall) of the mean weight "
                          "(bootstrap of the two ensembles)",
                          DecisionRule("greater", 0.0, "supported if the 95% interval lies above 0 (the decision "
                                                       "weights fall, and by more)")),
    "5.2-small": ("the weight change is small", _S5_2, "||dW||_F / ||W0||_F, per network",
                  DecisionRule("less", 0.5, "supported if the 95% upper bound < 0.5 (the change is less than half "
                                            "of the initial weights)")),
    "5.2-low-rank": ("the weight change is of low rank", _S5_2,
                     "effective rank of dW minus that of its shuffled entries, per network", DecisionRule("less", 0.0)),
    "5.2-few-weights": ("only a few weights change significantly", _S5_2,
                        "share of ||dW||^2 in the top 5% of the entries, per network",
                        DecisionRule("greater", 0.5, "supported if the 95% lower bound > 0.5 (5% of the entries "
                                                     "carry most of the change)")),
    "5.2-outliers": ("a few eigenvalues grow", _S5_2, "change of the spectral radius, per network",
                     DecisionRule("greater", 0.0)),
    "5.2-bulk": ("the bulk of the spectrum stays", _S5_2, "relative change of the median |lambda|, per network",
                 DecisionRule("within", (-0.1, 0.1), "supported if the 95% interval lies in [-0.1, 0.1]")),
    "5.2-swap": ("central and peripheral units swap their centrality", _S5_2,
                 "Spearman correlation of initial and trained centrality, per network", DecisionRule("less", 0.0)),
    "5.2-nonnormal": ("non-normality rises during training", _S5_2,
                      "change of the Henrici departure ||R||_F, per network", DecisionRule("greater", 0.0)),
    "6-stable": ("trained networks remain in the stable fixed-point regime", _S6,
                 "network stable at every condition from every start (1/0), per network",
                 DecisionRule("greater", 0.9, "supported if the 95% lower bound of the fraction > 0.9")),
    "5.3-orthogonal-readout": ("training makes the latent space more orthogonal to the readout", "note 001 §5.3, Fig. 11",
                               "change of the angle between the DCA subspace and W_out (rad), per network",
                               DecisionRule("greater", 0.0)),
    "5.2-fig9-orthogonal": ("the trained latent space is almost orthogonal to the untrained one (Fig. 9)", "note 001 §5.2, Fig. 9",
                            "first principal angle between the untrained and trained DCA subspaces (rad), per network",
                            DecisionRule("greater", 1.2, "supported if the 95% lower bound > 1.2 rad (within "
                                                         "0.37 rad of orthogonal)")),
    "fig3-transient-orthogonal": ("the transient is orthogonal to the plane of the fixed points (Fig. 3)",
                                  "note 001 §4, Fig. 3",
                                  "angle between the transient's leading direction and the fixed-point plane (rad), per network",
                                  DecisionRule("greater", 1.2, "supported if the 95% lower bound > 1.2 rad")),
    "fig2-plane": ("the fixed points over the input grid lie on a plane (Fig. 2)", "note 001 §4, Fig. 2",
                   "share of the fixed points' variance in their top-2 principal plane, per network",
                   DecisionRule("greater", 0.9, "supported if the 95% lower bound > 0.9")),
    "5.1-pi-lower": ("at theta = 0 the trained networks' maximal PI is below the untrained one (Figs. 5-6)",
                     "note 001 §5.1, Figs. 5-6", "max PI trained minus untrained at theta = 0 (nats), per network",
                     DecisionRule("less", 0.0)),
    "5.1-pi-catches-up": ("the trained networks' PI catches up with the untrained one as theta -> pi/4 (Figs. 5-6)",
                          "note 001 §5.1, Figs. 5-6",
                          "change of (trained - untrained) max PI from theta = 0 to pi/4 (nats), per network",
                          DecisionRule("greater", 0.0)),
    "5.2-fig10-nested": ("after training the two input classes' latent spaces are more nested (Fig. 10)",
                         "note 001 §5.2, Fig. 10",
                         "change of the first principal angle between the classes' DCA subspaces (rad), per network",
                         DecisionRule("less", 0.0)),
    "dca-unique": ("finding the maximally predictive subspace is mostly convex: the solution is mostly unique",
                   "note 001 §4", "fraction of the random starts that reach the best optimum, per network",
                   DecisionRule("greater", 0.5, "supported if the 95% lower bound > 0.5 (most starts agree)")),
}


def decide(key: str, samples, *, claim: str | None = None, statistic: str | None = None, seed: int = 0,
           **kw) -> ClaimVerdict:
    """The verdict of claim ``key`` of :data:`RULES` from one sample per network (bootstrap interval).

    ``claim`` / ``statistic`` override the words (e.g. to add the task's name); the rule is never
    overridden.  Extra keywords go to :func:`rnnmath.verify.claim_verdict`.
    """
    if key not in RULES:
        raise ValueError(f"key: must be one of {sorted(RULES)}, got {key!r}")
    words, source, stat, rule = RULES[key]
    return claim_verdict(claim or words, rule=rule, statistic=statistic or stat, samples=np.asarray(samples, float),
                         source=source, seed=seed, **kw)


def linear_rms_bound(task, n_per_axis: int = 9) -> float:
    r"""Smallest RMS error over the decision grid of an output affine in ``(u1, u2)``.

    A linear network (``theta = pi/4``) driven by constant inputs from ``r = 0`` has, at every
    time step, an output ``z_t = a_t u1 + b_t u2 + c_t``; its error on the grid is therefore at
    least the least-squares residual of the best affine fit to the targets.  Any criterion
    "late RMS error below this floor" is one that no linear network can pass.
    """
    from .rate import DecisionTask

    if not isinstance(task, DecisionTask):
        raise TypeError(f"task: must be a DecisionTask, got {type(task).__name__}")
    _pos_int(n_per_axis, "n_per_axis", 2)
    cond = task.condition_grid(1, n_per_axis, device="cpu", dtype=torch.float64).conditions[0]  # (K, 2)
    y = task.target_of(cond)[:, 0].numpy()
    X = np.column_stack([cond.numpy(), np.ones(len(cond))])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return float(np.sqrt(np.mean((X @ beta - y) ** 2)))


@torch.no_grad()
def decision_validity(ens, n_steps: int, long_steps: int, *, n_per_axis: int = 9, margin: float = 0.05,
                      device=None) -> dict:
    r"""Validity measures of each trained decision network (noise-free, from ``r = 0``).

    Returns a dict of (B,) numpy arrays: ``late_rms`` (second half of an ``n_steps`` trial over the
    ``n_per_axis``² grid), ``accuracy`` (late output on the right side of 0.5 for
    ``|u1 - u2| >= margin``, at ``n_steps``), ``accuracy_long`` (the output at step ``long_steps``),
    and the float ``rms_floor`` (:func:`linear_rms_bound`).
    """
    from .rate import DecisionTask

    _ensemble(ens, "decision")
    _pos_int(n_steps, "n_steps", 2)
    if isinstance(long_steps, bool) or not isinstance(long_steps, (int, np.integer)) or long_steps < n_steps:
        raise ValueError(f"long_steps: must be an integer >= n_steps = {n_steps}, got {long_steps!r}")
    if not (isinstance(margin, (int, float)) and 0 <= margin < 0.6):
        raise ValueError(f"margin: must be a number in [0, 0.6), got {margin!r}")
    base = ens.task
    kw = {k: v for k, v in base.config().items() if k != "n_steps"}
    model = ens.model("trained", device=device)
    out = {}
    grid = DecisionTask(n_steps=long_steps, **kw).condition_grid(model.n_networks, n_per_axis,
                                                                  device=model.W_rec.device, dtype=torch.float64)
    zero = torch.zeros(*grid.inputs.shape[:3], model.n_units, dtype=torch.float64, device=model.W_rec.device)
    _, z = model(grid.inputs, noise=zero)                       # (B, K, long, 1)
    z = torch.nan_to_num(z[..., 0], nan=1e6, posinf=1e6, neginf=-1e6).cpu()
    d = (grid.conditions[..., 0] - grid.conditions[..., 1]).cpu()
    target = (d < 0).double()
    clear = d.abs() >= margin
    late = z[:, :, n_steps // 2:n_steps]
    out["late_rms"] = ((late - target[..., None]) ** 2).mean(dim=(1, 2)).sqrt().numpy()
    right = lambda zz: (((zz > 0.5) == (d < 0)) & clear).sum(-1).double() / clear.sum(-1)  # noqa: E731
    out["accuracy"] = right(late.mean(-1)).numpy()
    out["accuracy_long"] = right(z[:, :, -1]).numpy()
    out["rms_floor"] = linear_rms_bound(base, n_per_axis)
    return out


@torch.no_grad()
def perception_validity(ens, linear, *, n_trials: int = 16, seed: int = 0, device=None) -> dict:
    r"""Late-trial RMS error of trained perception networks and of their linear controls, paired.

    Both ensembles (``ens`` with the ReLU, ``linear`` trained with ``theta = pi/4`` from the same
    seed) are run on the *same* noisy trials (``n_trials`` per level per network, the task's input
    noise, no recurrent noise) and scored over the second half of each trial.  The task maps two
    levels to two answers, which an affine function of the input does exactly, so the linear floor
    (:func:`linear_rms_bound`'s analogue) is 0: a linear network is not excluded by any criterion of
    task error, and the comparison is between the two trained ensembles.  Returns (B,) numpy arrays
    ``relu_rms``, ``linear_rms`` and the float ``affine_floor`` (least-squares residual of the best
    affine map from level to answer).
    """
    _ensemble(ens, "perception")
    _ensemble(linear, "perception")
    _pos_int(n_trials, "n_trials")
    if ens.config["n_networks"] != linear.config["n_networks"] or ens.config["n_units"] != linear.config["n_units"]:
        raise ValueError("linear: must have the networks and units of ens (a paired control)")
    if abs(float(linear.config.get("leak_angle", 0.0)) - math.pi / 4) > 1e-12:
        raise ValueError(f"linear: must be trained with leak_angle = pi/4, got {linear.config.get('leak_angle')!r}")
    task = ens.task
    model, lin = ens.model("trained", device=device), linear.model("trained", device=device)
    dev = model.W_rec.device
    g = torch.Generator().manual_seed(int(seed))
    cond = torch.tensor(task.levels, dtype=torch.float64).repeat_interleave(n_trials)[None, :, None]
    cond = cond.expand(model.n_networks, -1, 1).clone()
    trials = task._make(cond, torch.randn(*cond.shape[:2], task.n_steps, 1, generator=g, dtype=torch.float64))
    u, target = trials.inputs.to(dev), trials.targets.to(dev)
    zero = torch.zeros(*u.shape[:3], model.n_units, dtype=torch.float64, device=dev)
    late = slice(task.n_steps // 2, None)
    out = {}
    for key, m in (("relu_rms", model), ("linear_rms", lin)):
        _, z = m(u, noise=zero)
        out[key] = ((z[:, :, late] - target[:, :, late]) ** 2).mean(dim=(1, 2, 3)).sqrt().cpu().numpy()
    lv = np.asarray(task.levels, float)
    X = np.column_stack([lv, np.ones_like(lv)])
    beta, *_ = np.linalg.lstsq(X, np.asarray(task.answers, float), rcond=None)
    out["affine_floor"] = float(np.sqrt(np.mean((X @ beta - np.asarray(task.answers, float)) ** 2)))
    return out


def scaling_exponent(sizes, samples, *, n_boot: int = 4000, seed: int = 0) -> tuple:
    r"""Exponent ``beta`` of ``y ~ N^beta`` from independent per-network samples at each size.

    ``sizes`` (S,) distinct positive sizes, ``samples`` a sequence of S arrays of positive values
    (one per network at that size; the networks of different sizes are independent).  ``beta`` is
    the least-squares slope of ``mean(log y)`` against ``log N``; the 95% interval is a percentile
    bootstrap that resamples the networks of each size independently.  Returns
    ``(beta, (low, high), n)`` with ``n`` the total number of networks.
    """
    try:
        Ns = np.asarray([float(n) for n in sizes])
    except TypeError:
        raise TypeError(f"sizes: must be a sequence of numbers, got {sizes!r}") from None
    if Ns.size < 2 or len(set(Ns.tolist())) != Ns.size:
        raise ValueError(f"sizes: needs at least two distinct sizes, got {sizes!r}")
    if not np.all(np.isfinite(Ns)) or np.any(Ns <= 0):
        raise ValueError(f"sizes: must be finite and positive, got {sizes!r}")
    if len(samples) != Ns.size:
        raise ValueError(f"samples: needs one array per size ({Ns.size}), got {len(samples)}")
    ys = [np.asarray(y, dtype=float).ravel() for y in samples]
    for y in ys:
        if y.size < 2:
            raise ValueError(f"samples: need at least 2 networks per size, got {y.size}")
        if not np.all(np.isfinite(y)) or np.any(y <= 0):
            raise ValueError("samples: must be finite and positive (a log is taken)")
    _pos_int(n_boot, "n_boot", 100)
    x = np.log(Ns)

    def slope(logs):
        return float(np.polyfit(x, [l.mean() for l in logs], 1)[0])

    logs = [np.log(y) for y in ys]
    rng = np.random.default_rng(seed)
    boot = np.array([slope([l[rng.integers(0, l.size, l.size)] for l in logs]) for _ in range(n_boot)])
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return slope(logs), (float(lo), float(hi)), int(sum(y.size for y in ys))


@torch.no_grad()
def silent_fraction(ens, which: str, device=None) -> torch.Tensor:
    r"""Fraction of (unit, step, condition) with non-positive input current ``m_i <= 0``, per network.

    Each network of ``ens`` (``which`` = "initial" or "trained") is run noise-free from ``r = 0`` on
    the task's condition grid (decision: 5 x 5; perception: each level 4 times); the current
    ``m_t = W r_{t-1} + W_in u_t + b`` is averaged over the second half of the trial.  Returns (B,)
    float64 on the CPU (hypothesis 5.1: "greater activation of the ReLU nonlinearity").
    """
    _ensemble(ens)
    task = ens.task
    model = ens.model(which, device=device)          # refuses a ``which`` other than "initial"/"trained"
    dev = model.W_rec.device
    grid = task.condition_grid(model.n_networks, 5 if task.name == "decision" else 4, device=dev, dtype=torch.float64)
    rates, _ = model(grid.inputs, noise=torch.zeros(*grid.inputs.shape[:3], model.n_units, dtype=torch.float64, device=dev))
    B, K, T, N = rates.shape
    prev = torch.cat([torch.zeros_like(rates[:, :, :1]), rates[:, :, :-1]], dim=2)
    m = model.preactivation(prev.reshape(B, K * T, N), grid.inputs.reshape(B, K * T, -1)).reshape(B, K, T, N)
    return (m[:, :, T // 2:] <= 0).double().mean(dim=(1, 2, 3)).cpu()


def centrality_spearman(W0, W1) -> np.ndarray:
    """Spearman correlation, per network, of the out-going |W| eigenvector centralities before and after."""
    from scipy import stats

    from .rate import abs_eigenvector_centrality

    if tuple(np.shape(W0)) != tuple(np.shape(W1)):
        raise ValueError(f"W1: must have the shape of W0 {tuple(np.shape(W0))}, got {tuple(np.shape(W1))}")
    c0, _ = abs_eigenvector_centrality(W0)
    c1, _ = abs_eigenvector_centrality(W1)
    return np.array([stats.spearmanr(c0[b].numpy(), c1[b].numpy()).statistic for b in range(c0.shape[0])])


@torch.no_grad()
def stability_after_training(ens, n_starts: int, n_relax: int, *, seed: int = 21, device=None) -> dict:
    """Relax every trained network at every grid condition from ``r = 0`` and ``n_starts`` random states.

    Returns ``{"settled_zero", "settled_random", "stable", "single"}``, each a bool tensor
    (conditions, networks): settled from 0 (speed < 1e-6/ms after ``n_relax`` steps), settled from
    every random start, every end point stable (all Re lambda(J) < 0), a single attractor.
    """
    from .rate import continuous_jacobian, relax

    _ensemble(ens)
    _pos_int(n_starts, "n_starts", 0)
    _pos_int(n_relax, "n_relax", 1)
    model = ens.model("trained", device=device)
    name = ens.task.name
    grid = ens.task.condition_grid(model.n_networks, *(() if name == "perception" else (3,)),
                                   device=model.W_rec.device, dtype=torch.float64)
    gen = torch.Generator().manual_seed(int(seed))
    out = dict(settled_zero=[], settled_random=[], stable=[], single=[])
    for k in range(grid.conditions.shape[1]):
        u = grid.inputs[:, k:k + 1, 0].expand(-1, n_starts + 1, -1).contiguous()
        r0 = torch.rand(model.n_networks, n_starts + 1, model.n_units, generator=gen, dtype=torch.float64).to(u.device)
        r0[:, 0] = 0.0
        r_end, speed = relax(model, u, r0, n_relax)
        settled = torch.isfinite(speed) & (speed < 1e-6)
        r_safe = torch.where(settled[..., None], r_end, torch.zeros_like(r_end))
        lam = torch.linalg.eigvals(continuous_jacobian(model, r_safe, u)).real.amax(-1)
        lam = torch.where(settled, lam, torch.full_like(speed, math.inf))
        spread = torch.where(settled, (r_safe - r_safe[:, :1]).norm(dim=-1), torch.full_like(speed, math.inf)).amax(-1)
        out["settled_zero"].append(settled[:, 0].cpu())
        out["settled_random"].append(settled[:, 1:].all(-1).cpu())
        out["stable"].append((lam < 0).all(-1).cpu())
        out["single"].append((settled.all(-1) & (spread < 1e-4)).cpu())
    return {k: torch.stack(v) for k, v in out.items()}


def switching_inputs(ens, n_trials: int, n_segments: int, segment: int, generator: torch.Generator, device=None,
                     condition=None):
    """Inputs (B, K, n_segments * segment, I) with a fresh random condition per segment (chapter 04).

    Perception: a level drawn from the task's levels; decision: ``(u1, u2)`` uniform on
    ``[low, high]``; plus the task's input noise at every step.  ``condition`` restricts every
    segment to one input class: perception 0 (level 0.8) / 1 (level 0.5); decision 0
    (``u1 > u2``) / 1 (``u2 > u1``); ``None`` (default) draws from all conditions.
    """
    _ensemble(ens)
    for v, nm in ((n_trials, "n_trials"), (n_segments, "n_segments"), (segment, "segment")):
        _pos_int(v, nm)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: must be a torch.Generator, got {type(generator).__name__}")
    if condition is not None and (isinstance(condition, bool) or condition not in (0, 1)):
        raise ValueError(f"condition: must be None, 0 or 1, got {condition!r}")
    task = ens.task
    B = ens.config["n_networks"]
    f64 = torch.float64
    if task.name == "perception":
        lv = torch.tensor(task.levels, dtype=f64)
        k = torch.randint(len(lv), (B, n_trials, n_segments), generator=generator) if condition is None else \
            torch.full((B, n_trials, n_segments), int(condition))
        u = lv[k][..., None]
    else:
        u = task.low + (task.high - task.low) * torch.rand(B, n_trials, n_segments, 2, generator=generator, dtype=f64)
        if condition is not None:
            lo, hi = u.min(-1).values, u.max(-1).values
            u = torch.stack([hi, lo], -1) if condition == 0 else torch.stack([lo, hi], -1)
    u = u.repeat_interleave(segment, dim=2)
    u = u + task.input_noise * torch.randn(u.shape, generator=generator, dtype=f64)
    return u if device is None else u.to(device)


def unit_variance_covariances(r, n_lags: int) -> torch.Tensor:
    """Lagged cross-covariances of each network's trials, (B, K, T, N) -> (B, n_lags, N, N).

    :func:`rnnmath.latent.lagged_cross_covariances` per network, divided by the mean variance
    ``tr C_0 / N`` of that network, so that every network's data have unit mean variance (the
    observation noise ``reg`` of DCA is then the same fraction of the variance for all).
    """
    from . import latent as lt

    if not isinstance(r, torch.Tensor) or r.dim() != 4:
        raise ValueError(f"r: must be a (B, K, T, N) tensor, got {type(r).__name__} of shape {tuple(getattr(r, 'shape', ()))}")
    _pos_int(n_lags, "n_lags")
    C = torch.stack([lt.lagged_cross_covariances(r[b], n_lags) for b in range(r.shape[0])])
    var = torch.diagonal(C[:, 0], dim1=-2, dim2=-1).mean(-1)
    if bool((var <= 0).any()):
        raise ValueError("r: a network's activity has zero variance (constant trials)")
    return C / var[:, None, None, None]


def currents(model, r, u) -> torch.Tensor:
    r"""Input currents ``x_t = W_rec r_t + W_in u_t + b`` of simulated rates ``r`` (B, K, T, N), ``u`` (B, K, T, I).

    The rate model ``tau dr/dt = -r + f(W r + c)`` and the current model ``tau dx/dt = -x + W f(x) + c``
    of PsychRNN's ``Basic`` RNN (state ``x``, rates ``f(x)``) are the same dynamics under
    ``x = W r + c`` for a constant input ``c = W_in u + b`` (differentiate: ``tau dx/dt = W(-r + f(x))
    = -x + c + W f(x)``).  The latent analyses of the note, done on ``r`` here, can thus be repeated on
    ``x``, a linear image of ``r`` plus the input.  Returns (B, K, T, N).
    """
    from .rate import _require_model

    _require_model(model)
    if not isinstance(r, torch.Tensor) or r.dim() != 4 or r.shape[0] != model.n_networks or r.shape[-1] != model.n_units:
        raise ValueError(f"r: must be (B={model.n_networks}, K, T, N={model.n_units}), got {tuple(getattr(r, 'shape', ()))}")
    if not isinstance(u, torch.Tensor) or tuple(u.shape[:3]) != tuple(r.shape[:3]) or u.shape[-1] != model.n_inputs:
        raise ValueError(f"u: must be (B, K, T, I={model.n_inputs}) matching r, got {tuple(getattr(u, 'shape', ()))}")
    B, K, T, N = r.shape
    x = model.preactivation(r.reshape(B, K * T, N), u.to(r.dtype).reshape(B, K * T, -1))
    return x.reshape(B, K, T, N)


def latent_readout_angles(ens, *, n_trials: int, n_segments: int, segment: int, n_starts: int, d: int = 3,
                          window: int = 5, reg: float = 1e-2, device=None) -> dict:
    r"""The ReLU networks' 3-D DCA subspaces before and after training, as in chapter 04 (theta = 0).

    Simulates switching-input trials (seeds ``seeded(11)`` for the inputs and ``seeded(100)`` for the
    network noise, as the chapter), estimates the lagged covariances (unit mean variance per network), runs DCA with
    observation noise ``reg`` and returns, for the networks whose activity stays below 10:
    ``fig9_first_angle`` (first principal angle between the untrained and trained subspaces) and
    ``readout_change`` (trained minus untrained angle between the subspace and ``W_out``), (B',) arrays;
    ``networks`` their indices; ``V_initial`` / ``V_trained`` the DCA bases of all B networks (B, N, d).
    """
    from . import latent as lt

    _ensemble(ens)
    _pos_int(n_starts, "n_starts")
    _pos_int(window, "window")
    if n_segments * segment <= 2 * window:
        raise ValueError(f"segment: trials of n_segments * segment = {n_segments * segment} steps are too short for "
                         f"2 * window = {2 * window} lags")
    from .device import seeded

    u = switching_inputs(ens, n_trials, n_segments, segment, torch.Generator().manual_seed(seeded(11)))
    V, bounded = {}, []
    Cs = []
    for which in ("initial", "trained"):
        model = ens.model(which, device=device)
        with torch.no_grad():
            r, _ = model(u.to(model.W_rec.device), generator=torch.Generator().manual_seed(seeded(100)))
        bounded.append((r.abs().amax(dim=(1, 2, 3)) <= 10).cpu().numpy())
        C = torch.stack([lt.lagged_cross_covariances(r[b], 2 * window) for b in range(r.shape[0])])
        Cs.append(C / torch.diagonal(C[:, 0], dim1=-2, dim2=-1).mean(-1)[:, None, None, None])
    B = Cs[0].shape[0]
    res = lt.dca(torch.cat(Cs), d, window, n_starts=n_starts, seed=0, reg=reg)
    V = {"initial": res.V[:B], "trained": res.V[B:]}
    good = np.flatnonzero(bounded[0] & bounded[1])
    Wout = ens.W_out.double()
    fig9 = np.array([lt.subspace_angles(V["initial"][b], V["trained"][b])[0] for b in good])
    ro = {w: np.array([lt.subspace_angles(V[w][b], Wout[b, 0])[0] for b in good]) for w in V}
    return dict(fig9_first_angle=fig9, readout_change=ro["trained"] - ro["initial"], networks=good,
                V_initial=V["initial"].cpu(), V_trained=V["trained"].cpu())


@torch.no_grad()
def fixed_point_manifold(ens, *, n_per_axis: int = 5, n_relax: int = 3000, n_transient: int = 30, device=None) -> dict:
    r"""The trained networks' stable fixed points over an input grid, and the approach to them (note Figs. 2-3).

    Each network is relaxed noise-free from ``r = 0`` at every condition of the task's
    ``n_per_axis``-per-axis grid (decision: ``(u1, u2)``; perception: its levels), the end state
    polished to a fixed point by :func:`rnnmath.fixed_points.find_fixed_points`, and the first
    ``n_transient`` states of the same run kept as the transient.

    Returns a dict: ``points`` (B, K, N) fixed points, ``found`` (B, K) bool (a fixed point with
    ``q`` below the finder's tolerance was reached), ``conditions`` (K, C), ``plane`` (B, N, 2)
    orthonormal basis of the top-2 principal axes of each network's fixed points,
    ``plane_variance`` (B,) share of the fixed points' variance in that plane,
    ``transient_angle`` (B,) principal angle between the plane and the leading direction (PC 1) of
    the transient displacements ``r_t - r*(u)``, ``outputs`` (B, K) readout at the fixed points.
    """
    from . import fixed_points as fp
    from . import latent as lt
    from .rate import relax

    _ensemble(ens)
    _pos_int(n_per_axis, "n_per_axis", 2)
    _pos_int(n_relax, "n_relax", 1)
    _pos_int(n_transient, "n_transient", 2)
    model = ens.model("trained", device=device)
    dev = model.W_rec.device
    task = ens.task
    grid = (task.condition_grid(model.n_networks, n_per_axis, device=dev, dtype=torch.float64) if task.name == "decision"
            else task.condition_grid(model.n_networks, device=dev, dtype=torch.float64))
    u = grid.inputs[:, :, 0, :]                                           # (B, K, I)
    B, K = u.shape[:2]
    N = model.n_units
    zero = torch.zeros(B, K, N, dtype=torch.float64, device=dev)
    trans = [zero]
    r = zero
    for _ in range(n_transient - 1):
        r = model.step(r, u, torch.zeros_like(r))
        trans.append(r)
    trans = torch.stack(trans, 2)                                         # (B, K, n_transient, N)
    r_end, _ = relax(model, u, r, n_relax)
    W = model.W_rec.detach()[:, None].expand(B, K, N, N)
    c = u @ model.W_in.mT + model.b[:, None, :]
    dyn = fp.RateDynamics(W, c, tau=model.tau, device=dev)
    safe = torch.where(torch.isfinite(r_end), r_end, torch.zeros_like(r_end))
    q_tol = fp.q_tolerance_from_step(1e-9, model.dt)
    found = fp.find_fixed_points(dyn, safe[:, :, None, :], q_tol=q_tol)
    pts = np.array([res.final_states[0] for res in found]).reshape(B, K, N)
    ok = np.array([res.final_q[0] < q_tol for res in found]).reshape(B, K)
    P = torch.as_tensor(pts, dtype=torch.float64)
    plane, share, angle = [], [], []
    for b in range(B):
        X = P[b] - P[b].mean(0)
        _, S, Vh = torch.linalg.svd(X, full_matrices=False)
        plane.append(Vh[:2].T)
        share.append(float((S[:2] ** 2).sum() / (S**2).sum()))
        D = (trans[b].cpu() - P[b][:, None, :]).reshape(-1, N)
        D = D - D.mean(0)
        lead = torch.linalg.svd(D, full_matrices=False)[2][0]
        angle.append(float(lt.subspace_angles(Vh[:2].T, lead)[0]))
    outputs = (P @ model.W_out.detach().cpu().mT)[..., 0].numpy()       # (B, K)
    return dict(points=pts, found=ok, conditions=grid.conditions[0].cpu().numpy(), plane=torch.stack(plane),
                plane_variance=np.array(share), transient_angle=np.array(angle), outputs=outputs)


def random_plane_angle(n_units: int, n_samples: int = 2000, seed: int = 0) -> np.ndarray:
    """Reference: angles between a random direction and a random 2-plane in R^N (``n_samples`` draws)."""
    from . import latent as lt

    _pos_int(n_units, "n_units", 3)
    _pos_int(n_samples, "n_samples", 2)
    g = np.random.default_rng(seed)
    return np.array([lt.subspace_angles(g.normal(size=(n_units, 2)), g.normal(size=n_units))[0] for _ in range(n_samples)])
