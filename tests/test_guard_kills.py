"""Inputs that only one guard refuses: each test fails when that guard is deleted.

Found by ``tools/guard_mutants.py`` (a guard whose deletion no other test noticed). Each case
names what the input would do without its guard.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnmath import episodic


def test_a_complex_array_is_refused_not_truncated_to_its_real_part():
    # without the dtype guard, astype(float64) drops the imaginary part with only a warning
    with pytest.raises(TypeError, match="x: must be a float tensor or a real array, got dtype complex128"):
        episodic.activation_derivatives(np.array([0.1 + 0.5j, 0.2]))


def test_a_ragged_list_is_refused_with_the_argument_named():
    # without the conversion guard numpy's own ValueError ("inhomogeneous shape") escapes
    with pytest.raises(TypeError, match="x: must be a float tensor or a real array, got list"):
        episodic.activation_derivatives([[0.1, 0.2], [0.3]])


def test_a_real_array_is_accepted_and_matches_the_tensor_path():
    a = episodic.activation_derivatives(np.array([0.1, -0.4]))
    b = episodic.activation_derivatives(torch.tensor([0.1, -0.4], dtype=torch.float64))
    for u, v in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        torch.testing.assert_close(u, v)


def test_a_string_is_refused_by_its_type_name():
    with pytest.raises(TypeError, match="x: must be a float tensor or a real array, got str"):
        episodic.activation_derivatives("0.1")


def test_retrieval_threshold_refuses_a_retrieving_set_that_is_not_an_interval(monkeypatch):
    # a recursion that retrieves on alternating grid points has no single threshold; without the
    # guard the bisection would return a number between two arbitrary grid points
    from rnnmath import episodic_overlaps as eo

    def alternating(traj, start=0):
        n = traj.shape[1]
        out = torch.zeros(n, dtype=torch.bool)
        out[1::2] = True
        out[-1] = True
        return out

    monkeypatch.setattr(eo, "retrieves", alternating)
    with pytest.raises(ValueError, match="alpha_c: the retrieving values do not form one interval"):
        eo.retrieval_threshold(4.0, 3)


# ---------------------------------------------------------------- rnnmath.rate
def _rate_weights(B=1, N=3):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(B, N, N, generator=g, dtype=torch.float64) * 0.1, torch.randn(B, N, 2, generator=g,
            dtype=torch.float64), torch.zeros(B, N, dtype=torch.float64), torch.randn(B, 1, N, generator=g,
            dtype=torch.float64))


def test_rate_network_refuses_integer_and_ragged_weights():
    from rnnmath import rate

    W_rec, W_in, b, W_out = _rate_weights()
    # an integer array would be silently used as integer weights (truncated arithmetic)
    with pytest.raises(TypeError, match="W_rec: must be a float32 or float64 array, got dtype int64"):
        rate.RateRNN(np.ones((1, 3, 3), dtype=np.int64), W_in, b, W_out)
    # a ragged list: numpy's own "inhomogeneous shape" ValueError would escape
    with pytest.raises(TypeError, match="W_in: must be a float tensor or array, got list"):
        rate.RateRNN(W_rec, [[1.0, 2.0], [3.0]], b, W_out)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_iters": -1}, "n_iters: must be a non-negative integer"),
    ({"n_iters": 2.5}, "n_iters: must be a non-negative integer"),
    ({"reading": "var"}, "reading: must be 'std'"),
])
def test_training_refuses_bad_schedules_before_training(kwargs, match):
    from rnnmath import rate

    args = dict(n_networks=1, n_units=4, n_iters=1, n_trials=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        rate.train_ensemble("perception", **args)


def test_training_refuses_an_object_that_is_not_a_task():
    from rnnmath import rate

    with pytest.raises(ValueError, match="task: must be a PerceptionTask, a DecisionTask or a name, got dict"):
        rate.train_ensemble({"kind": "perception"}, n_networks=1, n_units=4, n_iters=1, n_trials=2)


# ---------------------------------------------------------------- rnnmath.gated_dmft
@pytest.mark.parametrize("lyapunov", [False, True])
def test_simulate_autocorrelation_refuses_a_non_finite_integration(monkeypatch, lyapunov):
    # dt <= 0.5 keeps RK4 stable on these networks, so a non-finite state is forced here through
    # the vector field: the state checks of the integrator refuse it at the first step, on both paths
    from rnnmath import gated, gated_dmft

    net = gated.random_gated_network(8, 3.0, 0.0, 0.0, seed=0)
    monkeypatch.setattr(gated, "gated_vector_field", lambda y, net: torch.full_like(y, float("nan")))
    with pytest.raises(ValueError, match=r"x: must be finite|field: the integration produced non-finite values"):
        gated_dmft.simulate_autocorrelation(net, dt=0.1, t_transient=1.0, t_avg=12.0, n_lag=5,
                                            lyapunov=lyapunov)


def test_iterate_map_refuses_a_step_that_changes_the_shape():
    # without the guard torch.stack fails later with its own message, or a scalar step broadcasts
    x0 = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"step: must return a tensor of shape \(3,\), got \(2,\) at step 0"):
        episodic.iterate_map(lambda x: x[:2], x0, 2)
    with pytest.raises(ValueError, match=r"step: must return a tensor of shape \(3,\), got list at step 0"):
        episodic.iterate_map(lambda x: [0.0, 0.0, 0.0], x0, 2)
