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
