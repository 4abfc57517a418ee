"""Bad-input sweep of :mod:`rnnmath.fixed_points` (issue 11)."""
import itertools
import math

import numpy as np
import pytest
import torch

from rnnmath import fixed_points as fp
from sweep._sweep import Case, run_case

CPU = torch.device("cpu")
NAN = float("nan")
INF = float("inf")


def _W(N=3, seed=0, scale=1.5):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, scale / math.sqrt(N), (N, N))
    np.fill_diagonal(W, 0.0)
    return W


def _c(N=3, seed=1):
    return np.random.default_rng(seed).normal(0, 1, N)


def _dyn(**kw):
    return fp.RateDynamics(_W(), _c(), device=CPU, **kw)


def _starts(K=20, N=3, seed=2):
    return torch.as_tensor(np.random.default_rng(seed).normal(0, 2, (K, N)))


def _nan(a):
    a = np.array(a, dtype=float)
    a.flat[0] = NAN
    return a


def _brute_force_fixed_points(W, c):
    """Independent ground truth: scipy root from every activation pattern's linear solution, kept if consistent."""
    N = len(c)
    pts = []
    for d in itertools.product([0.0, 1.0], repeat=N):
        D = np.diag(d)
        A = np.eye(N) - D @ W
        if abs(np.linalg.det(A)) < 1e-12:
            continue
        r = np.linalg.lstsq(A, D @ c, rcond=None)[0]
        if np.max(np.abs(np.maximum(W @ r + c, 0) - r)) < 1e-10:
            pts.append(r)
    return np.array(sorted(map(tuple, pts)))


def _same_points(found, ref, tol=1e-8):
    found, ref = np.asarray(found), np.asarray(ref)
    if found.shape != ref.shape:
        return False
    return bool(np.all(np.min(np.linalg.norm(found[:, None] - ref[None], axis=-1), axis=1) < tol))


CASES = [
    # activation
    Case("activation", lambda: fp.activation("sigmoid"), ValueError, "name: unknown activation", why="unknown name"),
    Case("activation", lambda: fp.activation("leaky_relu"), ValueError, "theta: the leaky ReLU needs", why="no angle"),
    Case("activation", lambda: fp.activation("leaky_relu", NAN), ValueError, "theta: must not be NaN", why="NaN angle"),
    Case("activation", lambda: fp.activation("leaky_relu", -0.1), ValueError, "theta: must lie in", why="negative angle"),
    Case("activation", lambda: fp.activation("leaky_relu", "pi"), TypeError, "theta: must be a real", why="string angle"),
    Case("activation", lambda: fp.activation("leaky_relu", math.pi / 8), None,
         ok=lambda a: torch.allclose(a.f(torch.tensor([-2.0, 3.0], dtype=torch.float64)),
                                     torch.tensor([-2.0 * (math.sqrt(2) - 1), 3.0], dtype=torch.float64), atol=1e-15),
         why="slope tan(pi/8) = sqrt2 - 1"),
    Case("Activation", lambda: fp.activation("tanh"), None,
         ok=lambda a: abs(float(a.df(torch.tensor(0.3, dtype=torch.float64))) - 1 / math.cosh(0.3) ** 2) < 1e-15, why="tanh' = sech^2"),
    # RateDynamics
    Case("RateDynamics", lambda: fp.RateDynamics(_nan(_W()), _c(), device=CPU), ValueError, "W: must be finite", why="NaN W"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W(), _nan(_c()), device=CPU), ValueError, "c: must be finite", why="NaN c"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W(), _c(4), device=CPU), ValueError, "c: must have shape", why="c of another N"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W()[:2], _c(), device=CPU), ValueError, "W: must be a square", why="non-square W"),
    Case("RateDynamics", lambda: fp.RateDynamics(np.zeros((0, 0)), np.zeros(0), device=CPU), ValueError, "W: must have N >= 1", why="no units"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W(), _c(), tau=INF, device=CPU), ValueError, "tau: must be finite", why="inf tau"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W(), _c(), tau=0.0, device=CPU), ValueError, "tau: must be > 0", why="zero tau"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W() + 1j, _c(), device=CPU), TypeError, "W: must be real", why="complex W"),
    Case("RateDynamics", lambda: fp.RateDynamics(_W(), _c(), activation="softplus", device=CPU), ValueError, "name: unknown activation", why="unknown activation"),
    Case("RateDynamics", lambda: fp.RateDynamics(np.eye(3, dtype=int) * 0, np.ones(3, dtype=int), device=CPU), None,
         ok=lambda d: torch.allclose(d.velocity(torch.zeros(1, 3, dtype=torch.float64)), torch.ones(1, 3, dtype=torch.float64)), why="integer inputs"),
    Case("RateDynamics.velocity", lambda: _dyn().velocity(torch.full((2, 3), NAN, dtype=torch.float64)), ValueError, "r: must be finite", why="NaN state"),
    Case("RateDynamics.velocity", lambda: _dyn().velocity(torch.zeros(2, 4, dtype=torch.float64)), ValueError, "r: last dimension must be N", why="wrong N"),
    Case("RateDynamics.jacobian", lambda: _dyn().jacobian(_starts(2)), None,
         ok=lambda J: torch.allclose(J, torch.stack([torch.autograd.functional.jacobian(lambda x: _dyn().velocity(x), r) for r in _starts(2)]), atol=1e-13),
         why="Jacobian vs autograd"),
    Case("RateDynamics.euler_step", lambda: _dyn().euler_step(_starts(2), 0.0), ValueError, "dt: must be > 0", why="zero step"),
    Case("RateDynamics.euler_step", lambda: _dyn().euler_step(_starts(2), INF), ValueError, "dt: must be finite", why="inf step"),
    # FixedPoints / find_fixed_points
    Case("find_fixed_points", lambda: fp.find_fixed_points("W", _starts()), TypeError, "dynamics: must be a RateDynamics", why="not a field"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), torch.zeros(0, 3, dtype=torch.float64)), ValueError, "initial_states: is empty", why="no starts"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), torch.zeros(5, 4, dtype=torch.float64)), ValueError, "initial_states: must have shape", why="wrong N"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), torch.as_tensor(_nan(_starts().numpy()))), ValueError, "initial_states: must be finite", why="NaN start"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), max_iter=0), ValueError, "max_iter: must be a positive integer", why="zero iterations"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), max_iter=2.5), ValueError, "max_iter: must be a positive integer", why="fractional iterations"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), refine_steps=-1), ValueError, "refine_steps: must be a non-negative integer", why="negative refinement"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), chunk_size=0), ValueError, "chunk_size: must be a positive integer", why="zero chunk"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), damping=NAN), ValueError, "damping: must be > 0", why="NaN damping"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), q_tol=NAN), ValueError, "q_tol: must be > 0", why="NaN q_tol"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), grad_tol=-1.0), ValueError, "grad_tol: must be > 0", why="negative grad_tol"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), stability_tol=NAN), ValueError, "stability_tol: must be >= 0", why="NaN stability tol"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), outlier_scale=0.0), ValueError, "outlier_scale: must be > 0", why="zero outlier scale"),
    # the matrix-free path (issue 18)
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), method="newton"), ValueError, "method: must be 'auto'", why="unknown method"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), method=None), ValueError, "method: must be 'auto'", why="method None"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), cg_max_iter=0), ValueError, "cg_max_iter: must be a positive integer", why="zero CG iterations"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), cg_max_iter=3.5), ValueError, "cg_max_iter: must be a positive integer", why="fractional CG iterations"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), cg_rtol=NAN), ValueError, "cg_rtol: must be > 0", why="NaN CG tolerance"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), cg_rtol=0.0), ValueError, "cg_rtol: must be > 0", why="zero CG tolerance"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(), cg_rtol=1.0), ValueError, "cg_rtol: must be < 1", why="CG tolerance 1 (no solve)"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(200), method="matrix_free"), None,
         ok=lambda r: _same_points(r.points, _brute_force_fixed_points(_W(), _c())) and len(r) == len(_brute_force_fixed_points(_W(), _c())),
         why="matrix-free path finds exactly the brute-force fixed points"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(fp.RateDynamics(np.tile(_W(), (2, 1, 1)), np.tile(_c(), (2, 1)), device=CPU),
                                                           torch.stack([_starts(100)] * 2), method="matrix_free"), None,
         ok=lambda rs: len(rs) == 2 and all(_same_points(r.points, _brute_force_fixed_points(_W(), _c())) for r in rs),
         why="matrix-free path on a batch of two networks"),
    Case("find_fixed_points", lambda: fp.find_fixed_points(_dyn(), _starts(200)), None,
         ok=lambda res: _same_points(res.points, _brute_force_fixed_points(_W(), _c())), why="all fixed points vs brute force"),
    Case("FixedPoints", lambda: fp.find_fixed_points(_dyn(), _starts(200)), None,
         ok=lambda res: sum(res.counts().values()) == len(res) == len(res.stability), why="counts add up"),
    # classify_stability
    Case("classify_stability", lambda: fp.classify_stability(np.array([[NAN, -1.0]])), ValueError, "eigenvalues: must be finite", why="NaN eigenvalue"),
    Case("classify_stability", lambda: fp.classify_stability(np.array([[complex(NAN, 1.0), -1.0]])), ValueError, "eigenvalues: must be finite", why="NaN complex eigenvalue"),
    Case("classify_stability", lambda: fp.classify_stability(np.array([-1.0, 1.0])), ValueError, "eigenvalues: must have shape", why="1-D"),
    Case("classify_stability", lambda: fp.classify_stability(np.zeros((2, 0))), ValueError, "eigenvalues: must have N >= 1", why="no eigenvalues per point"),
    Case("classify_stability", lambda: fp.classify_stability(np.array([[-1.0, 1.0]]), tol=NAN), ValueError, "tol: must be >= 0", why="NaN tol"),
    Case("classify_stability", lambda: fp.classify_stability(np.array([[-1.0, 1.0]]), tol=-1.0), ValueError, "tol: must be >= 0", why="negative tol"),
    Case("classify_stability", lambda: fp.classify_stability(np.array([["a", "b"]])), TypeError, "eigenvalues: must be numeric", why="strings"),
    Case("classify_stability", lambda: fp.classify_stability([[-1, -2], [1, 2], [-1, 2], [0, -1]]), None,
         ok=lambda v: v == ["stable", "unstable", "saddle", "marginal"], why="list of ints"),
    Case("classify_stability", lambda: fp.classify_stability(np.zeros((0, 3))), None, ok=lambda v: v == [], why="no fixed points"),
    # relu_fixed_points_exhaustive
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_nan(_W()), _c()), ValueError, "W: must be finite", why="NaN W"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_W(), _nan(_c())), ValueError, "c: must be finite", why="NaN c"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_W(), _c(4)), ValueError, "c: must have shape", why="c of another N"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_W(15), _c(15)), ValueError, "W: exhaustive enumeration needs N <=", why="too large"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_W(), _c(), tol=NAN), ValueError, "tol: must be >= 0", why="NaN tol"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_W() + 0j, _c()), TypeError, "W: must be real", why="complex W"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(np.zeros((0, 0)), np.zeros(0)), ValueError, "W: must have N >= 1", why="no units"),
    Case("relu_fixed_points_exhaustive", lambda: fp.relu_fixed_points_exhaustive(_W(4, seed=5, scale=3.0).tolist(), _c(4).tolist()), None,
         ok=lambda pts: _same_points(pts, _brute_force_fixed_points(_W(4, seed=5, scale=3.0), _c(4))), why="list inputs vs brute force"),
    # tolerances
    Case("q_tolerance_from_step", lambda: fp.q_tolerance_from_step(INF, 1.0), ValueError, "step_tol: must be finite", why="inf tolerance"),
    Case("q_tolerance_from_step", lambda: fp.q_tolerance_from_step(1e-3, 0.0), ValueError, "dt: must be > 0", why="zero dt"),
    Case("q_tolerance_from_step", lambda: fp.q_tolerance_from_step(1e-3, NAN), ValueError, "dt: must be > 0", why="NaN dt"),
    Case("q_tolerance_from_step", lambda: fp.q_tolerance_from_step(0.02, 10.0), None, ok=lambda q: abs(q - 0.5 * (0.02 / 10.0) ** 2) < 1e-20, why="|dr/dt|^2/2"),
    Case("q_noise_floor", lambda: fp.q_noise_floor(2.5, 0.01, 100.0, 10.0), ValueError, "n_units: must be a positive integer", why="fractional N"),
    Case("q_noise_floor", lambda: fp.q_noise_floor("8", 0.01, 100.0, 10.0), ValueError, "n_units: must be a positive integer", why="string N"),
    Case("q_noise_floor", lambda: fp.q_noise_floor(8, 0.01, 100.0, 250.0), ValueError, "dt: the Euler map needs", why="dt/tau >= 2"),
    Case("q_noise_floor", lambda: fp.q_noise_floor(8, INF, 100.0, 10.0), ValueError, "sigma: must be finite", why="inf sigma"),
    Case("q_noise_floor", lambda: fp.q_noise_floor(8, 0.01, INF, 10.0), ValueError, "tau: must be finite", why="inf tau"),
    Case("q_noise_floor", lambda: fp.q_noise_floor(3, 0.5, 1.0, 0.1), None, ok=lambda q: abs(q - _mc_noise_floor()) < 0.03 * q, why="formula vs simulation"),
]


def _mc_noise_floor(N=3, sigma=0.5, tau=1.0, dt=0.1, T=200_000):
    """Simulate the note's discretisation with W = 0 in the linear range (large c) and average |dr/dt|^2/2."""
    rng = np.random.default_rng(0)
    a = dt / tau
    c = 50.0
    r = np.full(N, c)
    qs = np.empty(T)
    for t in range(T):
        new = (1 - a) * r + a * (c + math.sqrt(2 * sigma**2 / a) * rng.standard_normal(N))
        qs[t] = 0.5 * np.sum(((new - r) / dt) ** 2)
        r = new
    return float(qs[1000:].mean())


EXEMPT = {}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)


def test_every_public_name_is_swept():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(fp.__all__) <= covered, sorted(set(fp.__all__) - covered)
