"""Bad-input sweep of :mod:`rnnmath.slow_point_analysis` (issue 11)."""
import numpy as np
import pytest
import torch

from rnnmath import fixed_points as fp
from rnnmath import rate
from rnnmath import slow_point_analysis as SPA
from sweep._sweep import Case, run_case

CPU = torch.device("cpu")
F64 = torch.float64


def _ens(task="perception", B=2, N=4):
    t = rate.DecisionTask(n_steps=6) if task == "decision" else rate.PerceptionTask(n_steps=6)
    return rate.train_ensemble(t, B, N, 0, 2, device=CPU, seed=3)


def _R(task="perception", B=2, N=4):
    e = _ens(task, B, N)
    u, cond = SPA.condition_inputs(e, 2, device=CPU)
    return dict(SPA.trained_fixed_points(e.model("trained", device=CPU), u, n_settle=400, n_starts=4), cond=cond)


def _zeros_of_their_field(R):
    """Each found point, put into RateRNN.drift of its own network and condition, gives |F| < 1e-9."""
    m = R["model"]
    for j, res in enumerate(R["found"]):
        b, k = divmod(j, R["C"])
        for p in res.points:
            x = torch.zeros(m.n_networks, 1, m.n_units, dtype=F64)
            x[b, 0] = torch.as_tensor(p)
            uu = R["u"][:, k:k + 1]
            if float(m.drift(x, uu)[b, 0].norm()) > 1e-9:
                return False
    return True


def _wta():
    W = -2.0 * (np.ones((3, 3)) - np.eye(3))
    return W[None], np.ones((1, 3))


CASES = [
    Case("set_distance", lambda: SPA.set_distance(np.zeros((2, 3)), np.zeros((2, 4))), ValueError, "truth: must be \\(m, N\\)", why="dimension mismatch"),
    Case("set_distance", lambda: SPA.set_distance(np.zeros((0, 3)), np.zeros((1, 3))), None, ok=lambda d: d == (np.inf, np.inf), why="empty vs one point"),
    Case("set_distance", lambda: SPA.set_distance(np.zeros((0, 3)), np.zeros((0, 3))), None, ok=lambda d: d == (0.0, 0.0), why="both empty"),
    Case("set_distance", lambda: SPA.set_distance([[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0]]), None, ok=lambda d: d == (0.0, 5.0), why="one false point at distance 5"),
    Case("compare_with_enumeration", lambda: SPA.compare_with_enumeration(np.zeros((1, 3, 3)), np.zeros((1, 2)), torch.zeros(1, 4, 3, dtype=F64)),
         ValueError, "cs: must be \\(B, N\\)", why="mismatched drive"),
    Case("compare_with_enumeration", lambda: SPA.compare_with_enumeration(*_wta(), torch.rand(1, 256, 3, dtype=F64, generator=torch.Generator().manual_seed(0)), device=CPU),
         None, ok=lambda d: d["n_true"] == 7 and d["n_found"] == 7 and d["bad_labels"] == 0 and float(d["miss"].max()) < 1e-8,
         why="winner-take-all: the seven points of the text"),
    Case("condition_inputs", lambda: SPA.condition_inputs(_ens("decision"), 1, device=CPU), ValueError, "decision_grid: must be an integer >= 2", why="one grid point"),
    Case("condition_inputs", lambda: SPA.condition_inputs(_ens("decision"), 3, device=CPU), None,
         ok=lambda t: tuple(t[0].shape) == (2, 9, 2) and torch.allclose(t[0], t[1]), why="constant inputs = the grid conditions"),
    Case("field_of", lambda: SPA.field_of(_ens().model(device=CPU), torch.zeros(2, 2)), ValueError, "u: must be \\(B=2, C, I=1\\)", why="2-D input"),
    Case("field_of", lambda: SPA.field_of(_ens().model(device=CPU), torch.full((2, 1, 1), 0.8, dtype=F64)), None,
         ok=lambda d: torch.allclose(d.velocity(torch.ones(2, 1, 3, 4, dtype=F64))[:, 0],
                                     _ens().model(device=CPU).drift(torch.ones(2, 3, 4, dtype=F64), torch.full((2, 1, 1), 0.8, dtype=F64))),
         why="the field equals RateRNN.drift"),
    Case("trained_fixed_points", lambda: SPA.trained_fixed_points(_ens().model(device=CPU), torch.zeros(2, 1, 1, dtype=F64), n_settle=1, n_starts=4),
         ValueError, "n_settle: must be an integer >= 2", why="no run"),
    Case("trained_fixed_points", lambda: SPA.trained_fixed_points(_ens().model(device=CPU), torch.zeros(2, 1, 1, dtype=F64), n_settle=10, n_starts=1),
         ValueError, "n_starts: must be an integer >= 2", why="one start"),
    Case("trained_fixed_points", lambda: _R(), None,
         ok=lambda R: len(R["found"]) == 4 and _zeros_of_their_field(R), why="every point is a zero of its own network's F"),
    Case("settling_summary", lambda: SPA.settling_summary(_R()), None,
         ok=lambda S: not S["runaway"].any() and max(S["excess"]) <= 1.0 and S["labels"]["stable"] >= 4,
         why="fresh networks settle on a stable point found"),
    Case("hessian_modulation", lambda: SPA.hessian_modulation(dict(_R(), C=1)), ValueError, "R: needs at least two conditions", why="one condition"),
    Case("hessian_modulation", lambda: SPA.hessian_modulation(_R()), None,
         ok=lambda h: np.allclose(h["J_pattern"], h["J_field"], atol=1e-12) and h["flips"].shape == (2,), why="J rebuilt from the pattern = the field's J"),
]
EXEMPT = {}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)


def test_every_public_name_is_swept():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(SPA.__all__) <= covered, sorted(set(SPA.__all__) - covered)
