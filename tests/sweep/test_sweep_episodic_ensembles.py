"""Bad-input sweep of :mod:`rnnmath.episodic_ensembles` (Part I, chapters 05 and 06)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnmath import episodic as ep
from rnnmath import episodic_ensembles as ee
from sweep._sweep import Case, run_case

D = torch.float64
NAN = float("nan")
G = lambda: torch.Generator().manual_seed(0)           # noqa: E731
E_OK = torch.tensor([[1.0, 2.0], [0.5, 2.5], [0.7, 2.0]], dtype=D)     # (T + 1 = 3, 2 networks)


def _spectrum_ok(W, lam):
    ev = np.linalg.eigvalsh(W.numpy())                 # numpy, not torch
    return np.allclose(W.numpy(), np.swapaxes(W.numpy(), -1, -2), atol=1e-14) and np.allclose(ev[:, 0], lam, atol=1e-12)


def _G_loop(x, W):
    """G by an explicit loop in numpy, L*(s) = s artanh s + log(1 - s^2) / 2."""
    s = np.tanh(x.numpy())
    Ls = (s * np.arctanh(s) + 0.5 * np.log1p(-s**2)).sum(-1)
    return np.array([Ls[t] + Ls[t + 1] - s[t] @ W.numpy() @ s[t + 1] for t in range(len(s) - 1)])


X_RUN, _ = ep.run_elman(torch.tensor([0.3, -0.2], dtype=D), torch.tensor([[0.5, 0.2], [0.2, -0.4]], dtype=D), 4)
W_RUN = torch.tensor([[0.5, 0.2], [0.2, -0.4]], dtype=D)
OV = torch.tensor([[1, 0, 0], [0.2, 0.9, 0], [0, 0.1, 0.8], [0.9, 0, 0.1], [0.1, 0.9, 0.0]], dtype=D)   # 0 1 2 0 1
OV_BAD = torch.tensor([[1, 0, 0], [0, 0, 1.0], [0, 1.0, 0]], dtype=D)                              # 0 2 1
PATS = ep.hadamard_patterns(8, 4, device="cpu")

def _h0_ok(r):
    """V_h(0) on its nullcline, (I + Phi^T) Xi^T V_d(0), in numpy."""
    Xi, Phi, y = r["Xi"].numpy(), r["Phi"].numpy(), r["y"][0].numpy()
    return np.allclose(r["h"][0].numpy(), (np.eye(Xi.shape[1]) + Phi.T) @ Xi.T @ y, atol=1e-13)


CASES = [
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(0, 3, -1.0, generator=G(), device="cpu"), ValueError,
         "batch: must be an integer", why="empty batch"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(2, 3.5, -1.0, device="cpu"), ValueError, "N: must be an integer",
         why="float N"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(2, 3, NAN, device="cpu"), ValueError, "lam_min: must be finite",
         why="NaN lam_min"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(2, 3, torch.zeros(3, dtype=D), device="cpu"), ValueError,
         "lam_min: must be a scalar or have shape", why="wrong length"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(2, 3, 3.0, device="cpu"), ValueError, "lam_max: must exceed",
         why="lam_min above lam_max"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(2, 3, -1.0, lam_max=float("inf"), device="cpu"), ValueError,
         "lam_max: must be a finite", why="inf lam_max"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(2, 3, -1.0, device="cpu", dtype=torch.int64), TypeError,
         "dtype: must be", why="int dtype"),
    Case("symmetric_ensemble", lambda: ee.symmetric_ensemble(4, 5, torch.tensor([-1.5, -1.0, -0.5, 0.0], dtype=D),
                                                             generator=G(), device="cpu"),
         None, ok=lambda W: _spectrum_ok(W, [-1.5, -1.0, -0.5, 0.0]), why="per-matrix spectra, numpy eigvalsh"),
    Case("rising_fraction", lambda: ee.rising_fraction(torch.ones(1, 3, dtype=D)), ValueError, "E: needs T", why="one time"),
    Case("rising_fraction", lambda: ee.rising_fraction(torch.full((3, 2), NAN, dtype=D)), ValueError, "E: must be finite",
         why="NaN energy"),
    Case("rising_fraction", lambda: ee.rising_fraction(torch.zeros(0, dtype=D)), ValueError, "E: is empty", why="empty"),
    Case("rising_fraction", lambda: ee.rising_fraction(torch.ones(3, 2, dtype=torch.int64)), TypeError, "E: must be a float",
         why="int energy"),
    Case("rising_fraction", lambda: ee.rising_fraction(E_OK, rel_tol=-1.0), ValueError, "rel_tol: must be", why="negative tol"),
    Case("rising_fraction", lambda: ee.rising_fraction(E_OK, rel_tol=NAN), ValueError, "rel_tol: must be", why="NaN tol"),
    Case("rising_fraction", lambda: ee.rising_fraction(E_OK.numpy().tolist()), None,
         ok=lambda f: np.allclose(f.numpy(), [0.5, 0.5]), why="list input: one rise of two per network, by hand"),
    Case("rising_fraction", lambda: ee.rising_fraction("energy"), TypeError, "E: must be a tensor", why="a string"),
    Case("two_step_lyapunov", lambda: ee.two_step_lyapunov(torch.ones(3, dtype=D), torch.eye(3, dtype=D)), ValueError,
         "x: must have at least 2", why="1-D x, no time axis"),
    Case("two_step_lyapunov", lambda: ee.two_step_lyapunov(X_RUN[:1], W_RUN), ValueError, "x: needs T", why="one time"),
    Case("two_step_lyapunov", lambda: ee.two_step_lyapunov(X_RUN, torch.eye(3, dtype=D)), ValueError, "W: must be square with",
         why="size mismatch"),
    Case("two_step_lyapunov", lambda: ee.two_step_lyapunov(X_RUN * NAN, W_RUN), ValueError, "x: must be finite", why="NaN x"),
    Case("two_step_lyapunov", lambda: ee.two_step_lyapunov(X_RUN, W_RUN, "relu"), ValueError, "sigma: must be one of",
         why="unknown activation"),
    Case("two_step_lyapunov", lambda: ee.two_step_lyapunov(X_RUN, W_RUN), None,
         ok=lambda G_: np.allclose(G_.numpy(), _G_loop(X_RUN, W_RUN), rtol=1e-12, atol=1e-14), why="numpy loop with artanh"),
    Case("cycle_following", lambda: ee.cycle_following(OV[:1], 1), ValueError, "overlaps: must have shape", why="one time"),
    Case("cycle_following", lambda: ee.cycle_following(OV[:, :1], 1), ValueError, "overlaps: must have shape", why="one memory"),
    Case("cycle_following", lambda: ee.cycle_following(OV, 0), ValueError, "min_transitions: must be", why="zero"),
    Case("cycle_following", lambda: ee.cycle_following(OV * NAN, 1), ValueError, "overlaps: must be finite", why="NaN"),
    Case("cycle_following", lambda: ee.cycle_following(OV, 4), None, ok=lambda r: bool(r[0]) and int(r[1]) == 4,
         why="0 1 2 0 1: four forward transitions"),
    Case("cycle_following", lambda: ee.cycle_following(OV_BAD, 1), None, ok=lambda r: not bool(r[0]) and int(r[1]) == 2,
         why="0 2 1: backwards"),
    Case("slow_delay_run", lambda: ee.slow_delay_run(PATS, 1.0, 4.0, dt=0.1, n_steps=2, start=1.0), ValueError,
         "start: must be in", why="start at the boundary"),
    Case("slow_delay_run", lambda: ee.slow_delay_run(PATS, 1.0, 4.0, dt=0.0, n_steps=2), ValueError, "dt: must be", why="dt 0"),
    Case("slow_delay_run", lambda: ee.slow_delay_run(PATS, 1.0, -4.0, dt=0.1, n_steps=2), ValueError, "beta: must be",
         why="negative beta"),
    Case("slow_delay_run", lambda: ee.slow_delay_run(PATS, 1.0, 4.0, dt=0.1, n_steps=0), ValueError, "n_steps: must be",
         why="no steps"),
    Case("slow_delay_run", lambda: ee.slow_delay_run(PATS, 1.0, 4.0, dt=0.1, n_steps=3, T_d=-1.0), ValueError, "T_d: must be",
         why="negative T_d"),
    Case("slow_delay_run", lambda: ee.slow_delay_run(PATS, 1.0, 4.0, dt=0.05, n_steps=2), None,
         ok=lambda r: np.allclose(r["overlaps"][0].numpy(), [0.99, 0, 0, 0], atol=1e-12) and _h0_ok(r) and r["x"].shape == (3, 8),
         why="starts on memory 1 (overlaps 0.99, 0, 0, 0)"),
]

EXEMPT: dict = {}


def test_every_public_name_is_covered():
    missing = sorted(set(ee.__all__) - {c.func for c in CASES} - set(EXEMPT))
    assert not missing, missing


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
