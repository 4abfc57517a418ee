"""Bad-input sweep of :mod:`rnnmath.rate_figures` (issue 11): the figure functions refuse mismatched data."""
import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from rnnmath import rate
from rnnmath import rate_figures as RF
from sweep._sweep import Case, run_case

F64 = torch.float64


def _lines(fig):
    return sum(len(ax.lines) for ax in fig.axes)


def _dec(B=2, K=9, T=6):
    cond = rate.DecisionTask(n_steps=T).condition_grid(B, 3, device="cpu", dtype=F64).conditions
    z = torch.rand(B, K, T, 1, dtype=F64, generator=torch.Generator().manual_seed(0))
    return cond, z


CASES = [
    Case("task_outputs_figure", lambda: RF.task_outputs_figure(_dec()[0], _dec()[1], _dec()[1][:1], torch.zeros(2, 2, 6, 1), rate.PerceptionTask(), late_from=3),
         ValueError, "z_linear: must match z_relu", why="mismatched ensembles"),
    Case("task_outputs_figure", lambda: RF.task_outputs_figure(_dec()[0], _dec()[1], _dec()[1], torch.zeros(2, 2, 6, 1), rate.PerceptionTask(), late_from=6),
         ValueError, "late_from: must lie in", why="window past the trial"),
    Case("task_outputs_figure", lambda: RF.task_outputs_figure(_dec()[0], _dec()[1], _dec()[1], torch.zeros(2, 2, 6, 1), rate.PerceptionTask(), late_from=3),
         None, ok=lambda f: _lines(f) == 2 + 2 + 1 + 2 * (2 + 1 + 1), why="two networks + two means + target; per level 2 traces + mean + answer"),
    Case("weight_change_figure", lambda: RF.weight_change_figure({"a": torch.ones(1, 2, 2)}, {"b": torch.ones(1, 2, 2)}, {}, {}), ValueError,
         "eig1: W0, dW, eig0 and eig1 must have the same tasks", why="mismatched tasks"),
    Case("weight_change_figure", lambda: RF.weight_change_figure({"a": torch.eye(2)[None]}, {"a": torch.ones(1, 2, 2)},
                                                                 {"a": torch.ones(1, 2, dtype=torch.complex128)}, {"a": torch.ones(1, 2, dtype=torch.complex128)}),
         None, ok=lambda f: len(f.axes) == 2 and _lines(f) == 3, why="one task: histogram + eigenvalue panel (3 lines)"),
    Case("singular_value_figure", lambda: RF.singular_value_figure({"a": torch.zeros(2, 3)}), ValueError, "singular_values: a must be \\(B, N\\) with s_1 > 0", why="zero spectrum"),
    Case("singular_value_figure", lambda: RF.singular_value_figure({"a": torch.tensor([[2.0, 1.0], [1.0, 0.5]])}), None,
         ok=lambda f: np.allclose(f.axes[0].lines[0].get_ydata(), [1.0, 0.5]), why="normalised by s_1"),
]
EXEMPT = {
    "latent_fixed_point_figure": "draws the results of slow_point_analysis.trained_fixed_points; executed by chapter 05 (its inputs are swept there)",
    "fixed_point_manifold_figure": "draws rate_claims.fixed_point_manifold's dict; executed by chapter 05 (its inputs are swept there)",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)


def test_every_public_name_is_swept():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(RF.__all__) <= covered, sorted(set(RF.__all__) - covered)
