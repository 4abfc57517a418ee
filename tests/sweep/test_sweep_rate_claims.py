"""Bad-input sweep of :mod:`rnnmath.rate_claims` (issue 11)."""
import math

import numpy as np
import pytest
import torch
from scipy import stats

from rnnmath import rate
from rnnmath import rate_claims as RC
from sweep._sweep import Case, run_case

CPU = torch.device("cpu")
NAN = float("nan")


def _ens(task="decision", B=3, N=5, iters=0, n_steps=6):
    t = rate.DecisionTask(n_steps=n_steps) if task == "decision" else rate.PerceptionTask(n_steps=n_steps)
    return rate.train_ensemble(t, B, N, iters, 2, device=CPU, seed=2)


def _W(B=3, N=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, N, N, generator=g, dtype=torch.float64) * (1 - torch.eye(N, dtype=torch.float64))


def _floor_by_hand():
    v = np.linspace(0.2, 0.8, 5)
    cond = np.array([(a, b) for a in v for b in v])
    X = np.column_stack([cond, np.ones(len(cond))])
    y = (cond[:, 1] > cond[:, 0]).astype(float)
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    return float(np.sqrt(np.mean((X @ beta - y) ** 2)))


CASES = [
    Case("decide", lambda: RC.decide("5.9-unknown", [1.0, 2.0]), ValueError, "key: must be one of", why="unknown claim"),
    Case("decide", lambda: RC.decide("5.2-swap", [0.1, NAN, 0.2]), ValueError, "samples: must be finite", why="NaN sample"),
    Case("decide", lambda: RC.decide("5.2-swap", [0.1]), ValueError, "samples: need at least 2", why="one network"),
    Case("decide", lambda: RC.decide("5.2-swap", [0.5, 0.6, 0.55, 0.7, 0.65]), None,
         ok=lambda v: v.verdict == "contradicted" and abs(v.estimate - 0.6) < 1e-12, why="positive correlations contradict a swap"),
    Case("linear_rms_bound", lambda: RC.linear_rms_bound(rate.PerceptionTask()), TypeError, "task: must be a DecisionTask", why="perception task"),
    Case("linear_rms_bound", lambda: RC.linear_rms_bound(rate.DecisionTask(), 1), ValueError, "n_per_axis: must be an integer >= 2", why="one grid point"),
    Case("linear_rms_bound", lambda: RC.linear_rms_bound(rate.DecisionTask(), 5), None, ok=lambda v: abs(v - _floor_by_hand()) < 1e-12,
         why="least squares vs normal equations"),
    Case("decision_validity", lambda: RC.decision_validity("ens", 4, 8), TypeError, "ens: must be a TrainedEnsemble", why="not an ensemble"),
    Case("decision_validity", lambda: RC.decision_validity(_ens("perception"), 4, 8, device=CPU), ValueError, "ens: must be a decision ensemble", why="perception ensemble"),
    Case("decision_validity", lambda: RC.decision_validity(_ens(), 6, 3, device=CPU), ValueError, "long_steps: must be an integer >= n_steps", why="short horizon"),
    Case("decision_validity", lambda: RC.decision_validity(_ens(), 6, 12, margin=-0.1, device=CPU), ValueError, "margin: must be", why="negative margin"),
    Case("decision_validity", lambda: RC.decision_validity(_ens(), 6, 12, n_per_axis=3, device=CPU), None,
         ok=lambda d: d["late_rms"].shape == (3,) and np.all(d["late_rms"] >= 0) and np.all((d["accuracy"] >= 0) & (d["accuracy"] <= 1)),
         why="shapes and ranges"),
    Case("centrality_spearman", lambda: RC.centrality_spearman(_W(), _W(N=5)), ValueError, "W1: must have the shape of W0", why="mismatched"),
    Case("centrality_spearman", lambda: RC.centrality_spearman(_W(), _W() * NAN), ValueError, "W: must be finite", why="NaN W1"),
    Case("centrality_spearman", lambda: RC.centrality_spearman(_W(), _W()), None, ok=lambda s: np.allclose(s, 1.0), why="identical matrices: +1"),
    Case("stability_after_training", lambda: RC.stability_after_training(_ens(), -1, 10, device=CPU), ValueError, "n_starts: must be an integer >= 0", why="negative starts"),
    Case("stability_after_training", lambda: RC.stability_after_training(_ens(), 1, 0, device=CPU), ValueError, "n_relax: must be an integer >= 1", why="no relaxation"),
    Case("stability_after_training", lambda: RC.stability_after_training(None, 1, 5), TypeError, "ens: must be a TrainedEnsemble", why="no ensemble"),
    Case("stability_after_training", lambda: RC.stability_after_training(_ens(), 1, 2000, device=CPU), None,
         ok=lambda st: st["stable"].shape == (9, 3) and bool(st["settled_zero"].all()), why="fresh networks settle"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens(), 2, 0, 5, torch.Generator()), ValueError, "n_segments: must be an integer >= 1", why="no segments"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens(), 2, 2, 5, 3), TypeError, "generator: must be a torch.Generator", why="int generator"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens(), 2, 3, 4, torch.Generator().manual_seed(0)), None,
         ok=lambda u: tuple(u.shape) == (3, 2, 12, 2) and float(u.min()) > 0.0 and float(u.max()) < 1.0, why="shape and range"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens(), 2, 2, 5, torch.Generator(), condition=2), ValueError, "condition: must be None, 0 or 1", why="no such class"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens(), 2, 2, 5, torch.Generator(), condition=True), ValueError, "condition: must be None, 0 or 1", why="bool class"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens("perception"), 2, 3, 4, torch.Generator().manual_seed(0), condition=1), None,
         ok=lambda u: float((u - 0.5).abs().max()) < 0.3 and float((u - 0.5).mean().abs()) < 0.05, why="class 1 = level 0.5 plus noise"),
    Case("switching_inputs", lambda: RC.switching_inputs(_ens(), 4, 3, 1, torch.Generator().manual_seed(0), condition=0), None,
         ok=lambda u: float((u[..., 0] - u[..., 1]).mean()) > 0.1, why="class 0: u1 > u2 on average"),
    Case("latent_readout_angles", lambda: RC.latent_readout_angles(_ens(), n_trials=2, n_segments=1, segment=5, n_starts=1), ValueError,
         "segment: trials of", why="too short for the lags"),
    Case("latent_readout_angles", lambda: RC.latent_readout_angles(_ens(), n_trials=2, n_segments=2, segment=10, n_starts=0), ValueError,
         "n_starts: must be an integer >= 1", why="no starts"),
    Case("latent_readout_angles", lambda: RC.latent_readout_angles(_ens(), n_trials=2, n_segments=2, segment=20, n_starts=1, device=CPU), None,
         ok=lambda d: np.all((d["fig9_first_angle"] >= 0) & (d["fig9_first_angle"] <= math.pi / 2 + 1e-12))
         and d["readout_change"].shape == d["fig9_first_angle"].shape, why="angles in range"),
]

CASES += [
    Case("fixed_point_manifold", lambda: RC.fixed_point_manifold(_ens(), n_per_axis=1, device=CPU), ValueError, "n_per_axis: must be an integer >= 2", why="one grid point"),
    Case("fixed_point_manifold", lambda: RC.fixed_point_manifold(_ens(), n_transient=1, device=CPU), ValueError, "n_transient: must be an integer >= 2", why="no transient"),
    Case("fixed_point_manifold", lambda: RC.fixed_point_manifold(_ens(), n_relax=0, device=CPU), ValueError, "n_relax: must be an integer >= 1", why="no relaxation"),
    Case("fixed_point_manifold", lambda: RC.fixed_point_manifold([], device=CPU), TypeError, "ens: must be a TrainedEnsemble", why="no ensemble"),
    Case("fixed_point_manifold", lambda: RC.fixed_point_manifold(_ens(), n_per_axis=3, n_relax=3000, device=CPU), None,
         ok=lambda m: bool(m["found"].all()) and m["points"].shape == (3, 9, 5) and np.all((m["plane_variance"] > 0) & (m["plane_variance"] <= 1 + 1e-12)),
         why="fresh networks: a fixed point at every condition"),
    Case("random_plane_angle", lambda: RC.random_plane_angle(2), ValueError, "n_units: must be an integer >= 3", why="too few units"),
    Case("random_plane_angle", lambda: RC.random_plane_angle(10, n_samples=1), ValueError, "n_samples: must be an integer >= 2", why="one sample"),
    Case("random_plane_angle", lambda: RC.random_plane_angle(3, n_samples=4000), None,
         ok=lambda a: abs(np.mean(np.cos(a) ** 2) - 2 / 3) < 0.02, why="E cos^2 = 2/N for a random direction vs a random plane"),
]

def _lin_ens(B=3, N=5):
    return rate.train_ensemble(rate.PerceptionTask(n_steps=6), B, N, 0, 2, device=CPU, seed=2, leak_angle=math.pi / 4)


def _relu_rms_by_hand(ens, n_trials, seed):
    """Late RMS of the perception ensemble on the same noisy trials, simulated step by step."""
    task, m = ens.task, ens.model("trained", device=CPU)
    g = torch.Generator().manual_seed(seed)
    cond = torch.tensor(task.levels, dtype=torch.float64).repeat_interleave(n_trials)[None, :, None].expand(m.n_networks, -1, 1)
    eps = torch.randn(m.n_networks, cond.shape[1], task.n_steps, 1, generator=g, dtype=torch.float64)
    u = cond[:, :, None, :] + task.input_noise * eps
    r = torch.zeros(m.n_networks, cond.shape[1], m.n_units, dtype=torch.float64)
    zs = []
    for t in range(task.n_steps):
        r = (1 - m.alpha) * r + m.alpha * torch.relu(m.preactivation(r, u[:, :, t]))
        zs.append(r @ m.W_out.detach().mT)
    z = torch.stack(zs, 2)
    target = torch.where(cond[..., 0] > 0.65, 0.5, 0.8)[:, :, None, None]
    return ((z[:, :, task.n_steps // 2:] - target) ** 2).mean(dim=(1, 2, 3)).sqrt().numpy()


CASES += [
    Case("perception_validity", lambda: RC.perception_validity(_ens(), _lin_ens(), device=CPU), ValueError, "ens: must be a perception ensemble", why="decision ensemble"),
    Case("perception_validity", lambda: RC.perception_validity(_ens("perception"), _ens("perception"), device=CPU), ValueError,
         "linear: must be trained with leak_angle = pi/4", why="control not linear"),
    Case("perception_validity", lambda: RC.perception_validity(_ens("perception"), _lin_ens(B=2), device=CPU), ValueError,
         "linear: must have the networks", why="unpaired control"),
    Case("perception_validity", lambda: RC.perception_validity(_ens("perception"), _lin_ens(), n_trials=0, device=CPU), ValueError,
         "n_trials: must be an integer >= 1", why="no trials"),
    Case("perception_validity", lambda: RC.perception_validity(_ens("perception"), _lin_ens(), n_trials=3, seed=4, device=CPU), None,
         ok=lambda d: np.allclose(d["relu_rms"], _relu_rms_by_hand(_ens("perception"), 3, 4), rtol=1e-10) and abs(d["affine_floor"]) < 1e-12,
         why="late RMS against a step-by-step simulation; affine floor 0"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16], [[1.0, 2.0]]), ValueError, "sizes: needs at least two distinct", why="one size"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, 16], [[1.0, 2.0], [1.0, 2.0]]), ValueError, "sizes: needs at least two distinct", why="repeated size"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, -32], [[1.0, 2.0], [1.0, 2.0]]), ValueError, "sizes: must be finite and positive", why="negative size"),
    Case("scaling_exponent", lambda: RC.scaling_exponent(16, [[1.0]]), TypeError, "sizes: must be a sequence", why="scalar sizes"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, 32], [[1.0, 2.0]]), ValueError, "samples: needs one array per size", why="missing size"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, 32], [[1.0], [1.0, 2.0]]), ValueError, "samples: need at least 2 networks", why="one network"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, 32], [[1.0, -2.0], [1.0, 2.0]]), ValueError, "samples: must be finite and positive", why="negative ratio"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, 32], [[1.0, NAN], [1.0, 2.0]]), ValueError, "samples: must be finite and positive", why="NaN ratio"),
    Case("scaling_exponent", lambda: RC.scaling_exponent([16, 32, 64], [np.full(5, 16.0**-0.5), np.full(5, 32.0**-0.5), np.full(5, 64.0**-0.5)]), None,
         ok=lambda t: abs(t[0] + 0.5) < 1e-12 and abs(t[1][0] + 0.5) < 1e-12 and abs(t[1][1] + 0.5) < 1e-12 and t[2] == 15,
         why="exact 1/sqrt(N) law: beta = -1/2 with a zero-width interval"),
    Case("silent_fraction", lambda: RC.silent_fraction(_ens(), "final", device=CPU), ValueError, "which: must be", why="unknown weights"),
    Case("silent_fraction", lambda: RC.silent_fraction("ens", "trained"), TypeError, "ens: must be a TrainedEnsemble", why="not an ensemble"),
    Case("silent_fraction", lambda: RC.silent_fraction(_ens(), "trained", device=CPU), None,
         ok=lambda s: s.shape == (3,) and bool(((s >= 0) & (s <= 1)).all()), why="a fraction per network"),
    Case("unit_variance_covariances", lambda: RC.unit_variance_covariances(torch.zeros(2, 3, 10), 2), ValueError, "r: must be a \\(B, K, T, N\\)", why="3-D input"),
    Case("unit_variance_covariances", lambda: RC.unit_variance_covariances(torch.ones(2, 3, 10, 4, dtype=torch.float64), 2), ValueError,
         "r: a network's activity has zero variance", why="constant trials"),
    Case("unit_variance_covariances", lambda: RC.unit_variance_covariances(torch.randn(2, 3, 10, 4, dtype=torch.float64), 0), ValueError,
         "n_lags: must be an integer >= 1", why="no lags"),
    Case("unit_variance_covariances", lambda: RC.unit_variance_covariances(torch.randn(2, 3, 50, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1)), 3),
         None, ok=lambda C: C.shape == (2, 3, 4, 4) and np.allclose(torch.diagonal(C[:, 0], dim1=-2, dim2=-1).mean(-1).numpy(), 1.0),
         why="unit mean variance per network"),
    Case("currents", lambda: RC.currents("model", torch.zeros(1, 1, 2, 5), torch.zeros(1, 1, 2, 2)), TypeError, "model: must be a RateRNN", why="no model"),
    Case("currents", lambda: RC.currents(_ens().model(device=CPU), torch.zeros(3, 1, 2, 4, dtype=torch.float64), torch.zeros(3, 1, 2, 2)), ValueError,
         "r: must be \\(B=3", why="wrong N"),
    Case("currents", lambda: RC.currents(_ens().model(device=CPU), torch.zeros(3, 1, 2, 5, dtype=torch.float64), torch.zeros(3, 1, 3, 2)), ValueError,
         "u: must be \\(B, K, T, I=2\\)", why="mismatched T"),
    Case("currents", lambda: RC.currents(_ens().model(device=CPU), torch.ones(3, 1, 2, 5, dtype=torch.float64), torch.full((3, 1, 2, 2), 0.5, dtype=torch.float64)), None,
         ok=lambda x: np.allclose(x[:, 0, 0].numpy(), (_ens().W_rec_trained.double() @ torch.ones(5, dtype=torch.float64)
                                                        + _ens().W_in.double() @ torch.full((2,), 0.5, dtype=torch.float64) + _ens().b.double()).numpy()),
         why="x = W r + W_in u + b by hand"),
]

EXEMPT = {"RULES": "a constant dict of fixed decision rules"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)


def test_every_public_name_is_swept():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(RC.__all__) <= covered, sorted(set(RC.__all__) - covered)


def test_untrained_networks_have_zero_latent_change():
    """Independent side: with zero training steps the two weight sets coincide, so every angle change is 0."""
    d = RC.latent_readout_angles(_ens(), n_trials=2, n_segments=2, segment=20, n_starts=1, device=CPU)
    assert np.allclose(d["fig9_first_angle"], 0.0, atol=1e-4)
    assert np.allclose(d["readout_change"], 0.0, atol=1e-4)  # DCA optima from different starts agree to ~1e-6


def test_linear_network_obeys_the_floor_and_relu_can_beat_it():
    """(p2-eq-linear-floor): an affine output never beats the floor; a step function (a ReLU readout can) does."""
    floor = RC.linear_rms_bound(rate.DecisionTask(), 9)
    v = np.linspace(0.2, 0.8, 9)
    cond = np.array([(a, b) for a in v for b in v])
    y = (cond[:, 1] > cond[:, 0]).astype(float)
    rng = np.random.default_rng(0)
    for _ in range(50):  # random affine outputs
        z = cond @ rng.normal(size=2) + rng.normal()
        assert np.sqrt(np.mean((z - y) ** 2)) >= floor - 1e-12
    z = np.clip(0.5 + 50 * (cond[:, 1] - cond[:, 0]), 0, 1)  # a saturating (nonlinear) output
    assert np.sqrt(np.mean((z - y) ** 2)) < 0.7 * floor


def test_rules_are_fixed_and_well_formed():
    for key, (claim, source, stat, rule) in RC.RULES.items():
        assert claim and source.startswith("note 001") and stat
        assert rule.kind in ("greater", "less", "within")
    assert stats is not None
