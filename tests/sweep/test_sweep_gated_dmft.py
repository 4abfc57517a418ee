"""Bad-input sweep of rnnmath.gated_dmft (Part IV, chapter 3)."""
import math

import numpy as np
import pytest
import torch

from rnnmath import gated as G
from rnnmath import gated_dmft as D
from sweep._sweep import Case, run_case

M, DTL = 64, 0.2
LAG = DTL * np.minimum(np.arange(M), M - np.arange(M))
CH = 0.8 * np.exp(-LAG)
NET = G.random_gated_network(6, 3.0, 1.0, 1.0, batch=2, seed=0, device="cpu")
SIM = dict(dt=0.1, t_transient=1.0, t_avg=3.0, record_every=1, n_lag=5)
FAST = dict(dt=0.2, box=12.8, n_iter=5)
RNG = lambda: np.random.default_rng(0)  # noqa: E731
H3 = np.cos(0.1 * np.arange(200))[:, None, None] * np.ones((1, 1, 3))



def _direct_units(k):
    """The same run by gated.integrate (seed 0, init_scale 2, SIM settings): h of the first k units."""
    x0 = 2.0 * torch.randn(2, 18, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    field = lambda y: G.gated_vector_field(y, NET)  # noqa: E731
    x = G.integrate(field, x0, 0.1, 10)
    _, traj = G.integrate(field, x, 0.1, 30, record_every=1)
    return traj[1:, :, :k].numpy()


EXEMPT = {"GatedDMFTSolution": "a dataclass returned by gated_dmft (covered by its cases)"}

CASES = [
    # ---- pair_moment -----------------------------------------------------------------------------
    Case("pair_moment", lambda: D.pair_moment("relu", 1.0, 0.5), ValueError, "fun: must be one of", why="unknown fun"),
    Case("pair_moment", lambda: D.pair_moment("tanh", -1.0, 0.0), ValueError, "c0: must be >= 0", why="negative c0"),
    Case("pair_moment", lambda: D.pair_moment("tanh", math.nan, 0.0), ValueError, "c0: must be", why="NaN c0"),
    Case("pair_moment", lambda: D.pair_moment("tanh", 1.0, 1.5), ValueError, "c: covariances must satisfy",
         why="|c| > c0"),
    Case("pair_moment", lambda: D.pair_moment("tanh", 1.0, [0.1, math.nan]), ValueError, "c: must be finite",
         why="NaN c"),
    Case("pair_moment", lambda: D.pair_moment("tanh", 1.0, []), ValueError, "c: is empty", why="empty c"),
    Case("pair_moment", lambda: D.pair_moment("tanh", 1.0, 1j), TypeError, "c: must be real", why="complex c"),
    Case("pair_moment", lambda: D.pair_moment("tanh", 1.0, 0.2, n_quad=1), ValueError, "n_quad: must be an integer",
         why="n_quad < 2"),
    Case("pair_moment", lambda: D.pair_moment("sigmoid", 0.0, 0.0), None,
         ok=lambda r: abs(float(r) - 0.25) < 1e-12, why="zero variance: sigma(0)^2"),
    Case("pair_moment", lambda: D.pair_moment("tanh", 0.5, torch.tensor([0.5])), None,
         ok=lambda r: abs(r[0] - G.mft_gaussian_moments(np.array([0.5]), np.array([0.0]))[0][0]) < 1e-7,
         why="torch c at c = c0: the one-point moment"),
    # ---- periodic_gaussian_paths ----------------------------------------------------------------------
    Case("periodic_gaussian_paths", lambda: D.periodic_gaussian_paths([1.0], 3, RNG()), ValueError,
         "cov: must be a 1-D array of at least 2", why="one lag"),
    Case("periodic_gaussian_paths", lambda: D.periodic_gaussian_paths(np.ones((2, 2)), 3, RNG()), ValueError,
         "cov: must be a 1-D", why="2-D cov"),
    Case("periodic_gaussian_paths", lambda: D.periodic_gaussian_paths([1.0, math.inf], 3, RNG()), ValueError,
         "cov: must be finite", why="inf cov"),
    Case("periodic_gaussian_paths", lambda: D.periodic_gaussian_paths(CH, 0, RNG()), ValueError,
         "n_paths: must be an integer >= 1", why="zero paths"),
    Case("periodic_gaussian_paths", lambda: D.periodic_gaussian_paths(CH, 2.5, RNG()), ValueError,
         "n_paths: must be an integer", why="float n_paths"),
    Case("periodic_gaussian_paths", lambda: D.periodic_gaussian_paths(CH, 3, RNG()), None,
         ok=lambda u: u.shape == (3, M) and bool(np.isfinite(u).all()), why="odd n_paths: shape"),
    # ---- periodic_autocorrelation ---------------------------------------------------------------------
    Case("periodic_autocorrelation", lambda: D.periodic_autocorrelation(np.ones(5)), ValueError,
         "u: must have shape", why="1-D u"),
    Case("periodic_autocorrelation", lambda: D.periodic_autocorrelation(np.full((2, 4), math.nan)), ValueError,
         "u: must be finite", why="NaN u"),
    Case("periodic_autocorrelation", lambda: D.periodic_autocorrelation(np.ones((2, 4))), None,
         ok=lambda c: np.allclose(c, 1.0), why="constant paths: C = 1 at every lag"),
    # ---- gaussian_dmft_step ---------------------------------------------------------------------------
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(CH[:-1], 3.0, 0.0, DTL), ValueError,
         "C_h: must be a 1-D periodic lag box of even length", why="odd length"),
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(-CH, 3.0, 0.0, DTL), ValueError,
         "C_h: must have C_h\\[0\\] >= \\|C_h\\[k\\]\\|", why="negative variance"),
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(CH, -3.0, 0.0, DTL), ValueError, "g_h: must be >= 0",
         why="negative g_h"),
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(CH, 3.0, math.nan, DTL), ValueError, "alpha_r: must be",
         why="NaN alpha_r"),
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(CH, 3.0, 0.0, 0.0), ValueError, "dt: must be > 0",
         why="zero dt"),
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(CH, 3.0, 0.0, DTL, gate=0.0), ValueError,
         "gate: must be > 0", why="zero gate"),
    Case("gaussian_dmft_step", lambda: D.gaussian_dmft_step(np.zeros(M), 3.0, 0.0, DTL), None,
         ok=lambda o: np.allclose(o["C_h"], 0.0), why="the quiescent solution maps to itself"),
    # ---- gated_dmft -----------------------------------------------------------------------------------
    Case("gated_dmft", lambda: D.gated_dmft(-1.0, 0.0, 0.0, **FAST), ValueError, "g_h: must be >= 0",
         why="negative g_h"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, math.inf, 0.0, **FAST), ValueError, "alpha_z: must be finite",
         why="inf alpha_z"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, [1.0, 2.0], **FAST), TypeError, "alpha_r: must be a real",
         why="array alpha_r"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, dt=0.2, box=13.0), ValueError,
         "box: box / dt must be an even integer", why="odd box"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, dt=0.2, box=0.6), ValueError, "box: box / dt must be",
         why="tiny box"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, mix=1.5, **FAST), ValueError, "mix: must lie in",
         why="mix > 1"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, n_iter=0, dt=0.2, box=12.8), ValueError,
         "n_iter: must be an integer >= 1", why="zero iterations"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 1.0, 0.0, n_avg=9, **FAST), ValueError, "n_avg: must be <=",
         why="n_avg > n_iter"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 1.0, 0.0, n_paths=1, **FAST), ValueError,
         "n_paths: must be an integer >= 2", why="one path"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, method="exact", **FAST), ValueError,
         "method: must be 'auto' or 'sampling'", why="unknown method"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, tol=-1.0, **FAST), ValueError, "tol: must be > 0",
         why="negative tol"),
    Case("gated_dmft", lambda: D.gated_dmft(3.0, 0.0, 0.0, C0=0.0, **FAST), ValueError, "C0: must be > 0",
         why="zero start"),
    Case("gated_dmft", lambda: D.gated_dmft(1.0, 0.0, 0.0, dt=0.2, box=12.8, n_iter=300, mix=1.0), None, ok=lambda s: s.C_h[0] < 1e-3,
         why="g_h < 2: the quiescent solution"),
    # ---- relaxation_time ------------------------------------------------------------------------------
    Case("relaxation_time", lambda: D.relaxation_time([1.0, 2.0], [1.0, 0.5]), ValueError,
         "tau: must be a 1-D increasing grid starting at 0", why="grid not at 0"),
    Case("relaxation_time", lambda: D.relaxation_time([0.0, 0.0], [1.0, 0.5]), ValueError, "tau: must be",
         why="not increasing"),
    Case("relaxation_time", lambda: D.relaxation_time([0.0, 1.0], [1.0, 0.5, 0.1]), ValueError,
         "C: last axis must have the length of tau", why="length mismatch"),
    Case("relaxation_time", lambda: D.relaxation_time([0.0, 1.0], [0.0, 0.0]), ValueError, "C: C\\(0\\) must be > 0",
         why="zero C(0)"),
    Case("relaxation_time", lambda: D.relaxation_time([0.0, 1.0], [1.0, math.nan]), ValueError, "C: must be finite",
         why="NaN C"),
    Case("relaxation_time", lambda: D.relaxation_time(np.linspace(0, 1, 3), np.ones((2, 3))), None,
         ok=lambda t: np.allclose(t, 1.0), why="batched: constant C over [0, 1]"),
    # ---- network_autocorrelation ----------------------------------------------------------------------
    Case("network_autocorrelation", lambda: D.network_autocorrelation(np.ones((5, 3)), 2), ValueError,
         "h: must have shape \\(T, B, N\\)", why="2-D h"),
    Case("network_autocorrelation", lambda: D.network_autocorrelation(np.ones((5, 1, 3)), 5), ValueError,
         "h: needs more than n_lag", why="too short"),
    Case("network_autocorrelation", lambda: D.network_autocorrelation(np.ones((5, 1, 3)), 0), ValueError,
         "n_lag: must be an integer >= 1", why="zero lags"),
    Case("network_autocorrelation", lambda: D.network_autocorrelation(torch.tensor(H3), 10), None,
         ok=lambda c: np.allclose(c[0], [np.mean(np.cos(0.1 * np.arange(200 - k)) * np.cos(0.1 * np.arange(k, 200)))
                                          for k in range(10)]), why="torch input, direct sum"),
    # ---- simulate_autocorrelation ---------------------------------------------------------------------
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation("net", **SIM), TypeError,
         "net: must be a GatedNetwork", why="not a network"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **{**SIM, "dt": -0.1}), ValueError,
         "dt: must be > 0", why="negative dt"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **{**SIM, "t_avg": 0.2}), ValueError,
         "t_avg: must cover more than n_lag", why="too short to measure the lags"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **{**SIM, "record_every": 0}),
         ValueError, "record_every: must be an integer >= 1", why="zero stride"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **{**SIM, "dt": 50.0, "t_avg": 600.0}),
         ValueError, "dt: must be <= 0.5", why="step far too large"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **SIM, lyapunov=False), None,
         ok=lambda o: o["lam_max"] is None and np.allclose(o["C_h"][:, 0],
                                                           o["C_h"][:, 0]) and o["C_h"].shape == (2, 5),
         why="no tangent: shapes"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **SIM, return_units=7), ValueError,
         "return_units: must be <= N", why="more units than the network has"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET, **SIM, lyapunov=False, return_units=2),
         None, ok=lambda o: o["t_rec"].size == o["h_units"].shape[0] and np.allclose(o["h_units"], _direct_units(2)),
         why="trajectory of two units = a direct RK4 run"),
    Case("simulate_autocorrelation", lambda: D.simulate_autocorrelation(NET.with_gains(g_h=1e300), **{**SIM, "t_transient": 0.0},
                                                     lyapunov=False), ValueError,
         "h: too large, its autocorrelation overflows", why="overflowing gain: the run is refused, not returned"),
    Case("network_autocorrelation", lambda: D.network_autocorrelation(np.full((5, 1, 2), 1e200), 2), ValueError,
         "h: too large", why="overflow"),
    # ---- paired_networks ------------------------------------------------------------------------------
    Case("paired_networks", lambda: D.paired_networks(4, 3.0, [-1.0], 1.0), ValueError,
         "alpha_z_values: must be >= 0", why="negative alpha_z"),
    Case("paired_networks", lambda: D.paired_networks(4, 3.0, [], 1.0), ValueError, "alpha_z_values: is empty",
         why="no gains"),
    Case("paired_networks", lambda: D.paired_networks(4, 3.0, [1.0], 1.0, ensemble=0), ValueError,
         "ensemble: must be an integer >= 1", why="empty ensemble"),
    Case("paired_networks", lambda: D.paired_networks(4, 3.0, [0.0, 2.0], 1.0, ensemble=2, device="cpu"), None,
         ok=lambda n: n.batch == 4 and torch.equal(n.J_h[0], n.J_h[2]) and not torch.equal(n.J_h[0], n.J_h[1])
         and n.alpha_z.tolist() == [0.0, 0.0, 2.0, 2.0], why="couplings shared across alpha_z"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
