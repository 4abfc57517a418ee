"""Bad-input sweep of rnnmath.gated_adjoint (Part IV, chapter 5)."""
import math

import pytest
import sympy as sp
import torch

from rnnmath import gated as G
from rnnmath import gated_adjoint as A
from sweep._sweep import Case, run_case

DT = torch.float64
N, B = 3, 2
NET = G.random_gated_network(N, 2.5, 1.5, 2.0, batch=B, seed=0, device="cpu")
X0 = torch.randn(B, 3 * N, dtype=DT, generator=torch.Generator().manual_seed(1))
NAN_X = X0.clone()
NAN_X[1, 2] = math.nan


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


CASES = [
    # ---- quadratic_state_loss -----------------------------------------------------------------
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0[:, :7]), ValueError, "x: must have shape",
         why="width not 3N"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0[0]), ValueError, "x: must have shape",
         why="1-D"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(NAN_X), ValueError, "x: must be finite", why="NaN"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0.numpy()), TypeError, "x: must be a torch",
         why="numpy"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0, torch.zeros(B, N + 1, dtype=DT)), ValueError,
         "target: must broadcast", why="target shape"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0, torch.zeros(B, 1, N, dtype=DT)), ValueError,
         "target: must broadcast", why="target rank grows the output"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0, torch.full((B, N), math.nan, dtype=DT)),
         ValueError, "target: must be finite", why="NaN target"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0, torch.zeros(B, N, dtype=torch.float32)),
         TypeError, "target: must have the dtype", why="target dtype"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0, X0[:, :N]), None,
         ok=lambda fd: float(fd[0].abs().max()) == 0.0 and float(fd[1].abs().max()) == 0.0, why="h = target"),
    Case("quadratic_state_loss", lambda: A.quadratic_state_loss(X0), None,
         ok=lambda fd: torch.allclose(fd[0], torch.tensor([0.5 * sum(float(v) ** 2 for v in X0[b, :N]) for b in range(B)],
                                                          dtype=DT), rtol=1e-14)
         and torch.allclose(fd[1], torch.func.vmap(torch.func.grad(lambda x: 0.5 * (x[:N] ** 2).sum()))(X0)),
         why="f and df/dx vs sum and autograd"),
    # ---- adjoint_gradient ---------------------------------------------------------------------
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, 0.1, 0), ValueError, "n_steps: must be",
         why="zero steps (was a non-zero loss)"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, 0.1, -3), ValueError, "n_steps: must be",
         why="negative steps"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, 0.1, 2.0), ValueError, "n_steps: must be",
         why="float steps"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, math.nan, 3), ValueError, "dt: must be",
         why="NaN dt"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, math.inf, 3), ValueError, "dt: must be finite",
         why="inf dt"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, 0.1, 3, sign=0), ValueError, "sign: must be",
         why="sign 0"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, 0.1, 3, sign=True), ValueError, "sign: must be",
         why="sign True"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, NAN_X, 0.1, 3), ValueError, "x0: must be finite",
         why="NaN x0"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0[:1], 0.1, 3), ValueError, "x0: must have shape",
         why="batch"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0.float(), 0.1, 3), TypeError,
         "x0: must have the dtype", why="dtype"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient("net", X0, 0.1, 3), TypeError, "net: must be a GatedNetwork",
         why="net"),
    Case("adjoint_gradient", lambda: A.adjoint_gradient(NET, X0, 0.1, 3, target=torch.zeros(N + 1, dtype=DT)),
         ValueError, "target: must broadcast", why="target"),
    Case("adjoint_gradient", lambda: (A.adjoint_gradient(NET, X0, 0.005, 20), A.autograd_gradient(NET, X0, 0.005, 20)),
         None, ok=lambda p: torch.allclose(p[0][0], p[1][0], rtol=1e-13)
         and all(_rel(a, b) < 1e-3 for a, b in zip(p[0][1], p[1][1])), why="T = 0.1 vs autograd (O(dt^2))"),
    # ---- autograd_gradient --------------------------------------------------------------------
    Case("autograd_gradient", lambda: A.autograd_gradient(NET, X0, 0.1, 0), ValueError, "n_steps: must be",
         why="zero steps (was an autograd error)"),
    Case("autograd_gradient", lambda: A.autograd_gradient(NET, X0, -0.1, 3), ValueError, "dt: must be",
         why="dt < 0"),
    Case("autograd_gradient", lambda: A.autograd_gradient(NET, NAN_X, 0.1, 3), ValueError, "x0: must be finite",
         why="NaN x0"),
    Case("autograd_gradient", lambda: A.autograd_gradient(NET, X0, 0.05, 4), None,
         ok=lambda lg: _rel(lg[1][2], _fd_grad_Jr()) < 1e-6, why="dF/dJ^r vs central finite differences"),
    # ---- scalar_adjoint_example ---------------------------------------------------------------
    Case("scalar_adjoint_example", lambda: A.scalar_adjoint_example(0), ValueError, "sign: must be", why="sign 0"),
    Case("scalar_adjoint_example", lambda: A.scalar_adjoint_example(True), ValueError, "sign: must be",
         why="sign True"),
    Case("scalar_adjoint_example", lambda: A.scalar_adjoint_example(-1), None,
         ok=lambda ge: abs(float((ge[0] - _scalar_fd()[0]).subs(_scalar_fd()[1]))) < 1e-6,
         why="adjoint gradient vs finite difference of the closed-form loss"),
    # ---- gradient_norm_terms ------------------------------------------------------------------
    Case("gradient_norm_terms", lambda: A.gradient_norm_terms(NET, X0, 0.1, 0), ValueError, "n_steps: must be",
         why="zero steps"),
    Case("gradient_norm_terms", lambda: A.gradient_norm_terms(NET, NAN_X, 0.1, 3), ValueError, "x0: must be finite",
         why="NaN x0"),
    Case("gradient_norm_terms", lambda: A.gradient_norm_terms(NET, X0, 0.05, 20), None,
         ok=lambda t: torch.allclose(t["exact"], t["norm_sq_autograd"], rtol=5e-3),
         why="g^2 N^2 int int C_a C_b vs ||autograd gradient||^2"),
    # ---- adjoint_propagation / autograd_propagation -------------------------------------------
    Case("adjoint_propagation", lambda: A.adjoint_propagation(NET, X0, 0.1, 3, X0[:, :4]), ValueError,
         "u: must have the shape", why="u shape"),
    Case("adjoint_propagation", lambda: A.adjoint_propagation(NET, X0, 0.1, 3, torch.zeros_like(X0)), ValueError,
         "u: every row must be non-zero", why="zero cotangent"),
    Case("adjoint_propagation", lambda: A.adjoint_propagation(NET, X0, 0.1, 3, NAN_X), ValueError,
         "u: must be finite", why="NaN u"),
    Case("adjoint_propagation", lambda: A.adjoint_propagation(NET, X0, 0.1, 0, X0), ValueError, "n_steps: must be",
         why="zero steps"),
    Case("adjoint_propagation", lambda: A.adjoint_propagation(NET, X0, 0.1, 3, X0.float()), TypeError,
         "u: must have the dtype", why="u dtype"),
    Case("adjoint_propagation", lambda: A.adjoint_propagation(NET, X0, 0.05, 20, X0), None,
         ok=lambda lam: _rel(lam[0], A.autograd_propagation(NET, X0, 0.05, 20, X0)) < 1e-6 and torch.equal(lam[-1], X0),
         why="lambda(0) vs autograd, lambda(T) = u"),
    Case("autograd_propagation", lambda: A.autograd_propagation(NET, NAN_X, 0.1, 3, X0), ValueError,
         "x0: must be finite", why="NaN x0"),
    Case("autograd_propagation", lambda: A.autograd_propagation(NET, X0, -1.0, 3, X0), ValueError, "dt: must be",
         why="dt < 0"),
    Case("autograd_propagation", lambda: A.autograd_propagation(NET, X0, 0.01, 1, X0), None,
         ok=lambda g: _rel(g, _fd_propagation()) < 1e-7, why="vs central finite differences"),
]


def _fd_propagation(eps=1e-6):
    def obj(x):
        f = lambda y: G.gated_vector_field(y, NET)  # noqa: E731
        y = G.rk4_step(f, G.rk4_step(f, x, 0.005), 0.005)
        return (y * X0).sum(1)

    out = torch.zeros_like(X0)
    for k in range(3 * N):
        e = torch.zeros_like(X0)
        e[:, k] = eps
        out[:, k] = (obj(X0 + e) - obj(X0 - e)) / (2 * eps)
    return out


def _fd_grad_Jr(eps=1e-6):
    from dataclasses import replace

    out = torch.zeros_like(NET.J_r)
    for b in range(B):
        for i in range(N):
            for j in range(N):
                E = torch.zeros_like(NET.J_r)
                E[b, i, j] = eps
                lp = A.autograd_gradient(replace(NET, J_r=NET.J_r + E), X0, 0.05, 4)[0][b]
                lm = A.autograd_gradient(replace(NET, J_r=NET.J_r - E), X0, 0.05, 4)[0][b]
                out[b, i, j] = (lp - lm) / (2 * eps)
    return out


def _scalar_fd():
    """Central finite difference in a of the closed-form loss F(a) = x0^2 (e^{2aT} - 1) / (4a)."""
    a, T, x0 = sp.symbols("a T x_0", positive=True)
    F = lambda av: x0 ** 2 * (sp.exp(2 * av * T) - 1) / (4 * av)  # noqa: E731
    h = sp.Rational(1, 10 ** 5)
    at = {a: sp.Rational(3, 10), T: sp.Rational(2), x0: sp.Rational(7, 10)}
    return (F(a + h) - F(a - h)) / (2 * h), at


EXEMPT = {}


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(A.__all__) <= covered, sorted(set(A.__all__) - covered)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
