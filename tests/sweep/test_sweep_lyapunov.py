"""Bad-input sweep of rnnmath.lyapunov (Part IV, chapter 3)."""
import math

import numpy as np
import pytest
import torch

from rnnmath import lyapunov as L
from sweep._sweep import Case, run_case

DT = torch.float64
A = torch.diag(torch.tensor([-0.5, -1.0, -2.0], dtype=DT))[None]
F, TG, TR = L.linear_flow(A)
X0 = torch.ones(1, 3, dtype=DT)
NAN_X = X0.clone()
NAN_X[0, 1] = math.nan
J = L.random_coupling(4, 2, seed=1, device="cpu")


def _spec(**kw):
    args = dict(dt=0.05, n_steps=20, qr_every=5)
    args.update(kw)
    return L.lyapunov_spectrum(kw.pop("field", F), kw.pop("tangent", TG), kw.pop("x0", X0),
                               **{k: v for k, v in args.items() if k not in ("field", "tangent", "x0")})


CASES = [
    # ---- LyapunovResult (returned by lyapunov_spectrum) ------------------------------------------
    Case("LyapunovResult", lambda: L.lyapunov_spectrum(F, TG, X0, dt=0.05, n_steps=200, qr_every=5,
                                                       q0=torch.eye(3, dtype=DT)[None], trace=TR), None,
         ok=lambda r: isinstance(r, L.LyapunovResult) and r.running.shape == (40, 1, 3)
         and torch.allclose(r.exponents, torch.tensor([[-0.5, -1.0, -2.0]], dtype=DT), atol=1e-6)
         and torch.allclose(r.trace_mean, torch.tensor([-3.5], dtype=DT), rtol=1e-12) and r.time == 10.0,
         why="diagonal A: exponents, trace and time"),
    # ---- lyapunov_spectrum --------------------------------------------------------------------
    Case("lyapunov_spectrum", lambda: _spec(k=4), ValueError, "k: must be", why="k > d"),
    Case("lyapunov_spectrum", lambda: _spec(k=0), ValueError, "k: must be", why="k = 0"),
    Case("lyapunov_spectrum", lambda: _spec(k=True), ValueError, "k: must be", why="bool k"),
    Case("lyapunov_spectrum", lambda: _spec(n_steps=21), ValueError, "n_steps: must be", why="not a multiple"),
    Case("lyapunov_spectrum", lambda: _spec(n_steps=0), ValueError, "n_steps: must be", why="zero steps"),
    Case("lyapunov_spectrum", lambda: _spec(qr_every=0), ValueError, "qr_every: must be", why="qr_every 0"),
    Case("lyapunov_spectrum", lambda: _spec(dt=0.0), ValueError, "dt: must be", why="dt 0"),
    Case("lyapunov_spectrum", lambda: _spec(dt=math.nan), ValueError, "dt: must be", why="NaN dt"),
    Case("lyapunov_spectrum", lambda: _spec(dt=math.inf), ValueError, "dt: must be finite", why="inf dt"),
    Case("lyapunov_spectrum", lambda: _spec(transient_steps=-1), ValueError, "transient_steps: must be",
         why="negative transient"),
    Case("lyapunov_spectrum", lambda: _spec(x0=X0[0]), ValueError, "x0: must have 2", why="1-D x0"),
    Case("lyapunov_spectrum", lambda: _spec(x0=NAN_X), ValueError, "x0: must be finite", why="NaN x0"),
    Case("lyapunov_spectrum", lambda: _spec(x0=X0.numpy()), TypeError, "x0: must be a torch", why="numpy x0"),
    Case("lyapunov_spectrum", lambda: _spec(x0=X0[:, :0]), ValueError, "x0: must have at least one",
         why="d = 0"),
    Case("lyapunov_spectrum", lambda: _spec(field="f"), TypeError, "field: must be callable", why="field"),
    Case("lyapunov_spectrum", lambda: _spec(tangent=None), TypeError, "tangent: must be callable", why="tangent"),
    Case("lyapunov_spectrum", lambda: _spec(tangent=lambda x, V: V[:, :2]), ValueError, "tangent: must return",
         why="tangent shape"),
    Case("lyapunov_spectrum", lambda: _spec(field=lambda x: x[:, :2]), ValueError, "field: must return",
         why="field shape"),
    Case("lyapunov_spectrum", lambda: _spec(q0=torch.eye(2, dtype=DT)[None]), ValueError, "q0: must have shape",
         why="q0 shape"),
    Case("lyapunov_spectrum", lambda: _spec(q0=torch.ones(1, 3, 3, dtype=DT)), ValueError, "q0: must have",
         why="rank-deficient q0 (log 0)"),
    Case("lyapunov_spectrum", lambda: _spec(q0=torch.full((1, 3, 3), math.nan, dtype=DT)), ValueError,
         "q0: must be finite", why="NaN q0"),
    Case("lyapunov_spectrum", lambda: _spec(trace="tr"), TypeError, "trace: must be callable", why="trace"),
    Case("lyapunov_spectrum", lambda: L.lyapunov_spectrum(lambda x: x ** 3, lambda x, V: 3 * x[..., None] ** 2 * V,
                                                          10 * X0, dt=1.0, n_steps=10, qr_every=5),
         ValueError, "field: .*non-finite", why="diverging flow"),
    Case("lyapunov_spectrum", lambda: L.lyapunov_spectrum(*L.linear_flow(A.float())[:2], X0.float(), dt=0.05,
                                                          n_steps=200, qr_every=5, q0=torch.eye(3)[None]), None,
         ok=lambda r: r.exponents.dtype == torch.float32
         and torch.allclose(r.exponents, torch.tensor([[-0.5, -1.0, -2.0]]), atol=1e-4), why="float32 flow"),
    Case("lyapunov_spectrum", lambda: _spec(x0=X0.to(torch.int64)), TypeError, "x0: must be a real floating",
         why="integer x0"),
    # ---- trace_average ------------------------------------------------------------------------
    Case("trace_average", lambda: L.trace_average(torch.ones(1, 2, dtype=DT), 0.1), ValueError,
         "values_over_time: must have at least 2", why="one sample (T = 0)"),
    Case("trace_average", lambda: L.trace_average(torch.full((3, 2), math.nan, dtype=DT), 0.1), ValueError,
         "values_over_time: must be finite", why="NaN"),
    Case("trace_average", lambda: L.trace_average(torch.ones(3, 2, dtype=DT), -0.1), ValueError, "dt: must be",
         why="dt < 0"),
    Case("trace_average", lambda: L.trace_average(torch.ones(3, 2, dtype=DT), math.nan), ValueError, "dt: must be",
         why="NaN dt"),
    Case("trace_average", lambda: L.trace_average(torch.ones(3, dtype=DT), 0.1), ValueError,
         "values_over_time: must have 2", why="1-D"),
    Case("trace_average", lambda: L.trace_average(np.linspace(0, 1, 11)[:, None] ** 2, 0.1), None,
         ok=lambda v: abs(float(v[0]) - (1 / 3 + 0.1 ** 2 / 6)) < 1e-12,
         why="trapezoid of t^2 on [0, 1] (numpy): 1/3 + h^2/6"),
    # ---- linear_flow --------------------------------------------------------------------------
    Case("linear_flow", lambda: L.linear_flow(torch.zeros(1, 3, 4, dtype=DT)), ValueError, "A: must be a square",
         why="non-square"),
    Case("linear_flow", lambda: L.linear_flow(torch.zeros(3, 3, dtype=DT)), ValueError, "A: must have 3",
         why="unbatched"),
    Case("linear_flow", lambda: L.linear_flow(torch.full((1, 2, 2), math.nan, dtype=DT)), ValueError,
         "A: must be finite", why="NaN"),
    Case("linear_flow", lambda: L.linear_flow(torch.ones(1, 2, 2, dtype=torch.int64)), TypeError,
         "A: must be a real floating", why="integer A"),
    Case("linear_flow", lambda: L.linear_flow(torch.ones(1, 2, 2, dtype=torch.complex128)), TypeError,
         "A: must be a real floating", why="complex A"),
    Case("linear_flow", lambda: L.linear_flow(np.eye(2)[None]), TypeError, "A: must be a torch", why="numpy A"),
    Case("linear_flow", lambda: L.linear_flow(A)[0](X0), None,
         ok=lambda v: torch.equal(v, torch.tensor([[-0.5, -1.0, -2.0]], dtype=DT)), why="A x"),
    # ---- random_coupling ----------------------------------------------------------------------
    Case("random_coupling", lambda: L.random_coupling(0), ValueError, "n: must be", why="n = 0"),
    Case("random_coupling", lambda: L.random_coupling(True), ValueError, "n: must be", why="bool n"),
    Case("random_coupling", lambda: L.random_coupling(3, 0), ValueError, "batch: must be", why="batch 0"),
    Case("random_coupling", lambda: L.random_coupling(3, 1.5), ValueError, "batch: must be", why="float batch"),
    Case("random_coupling", lambda: L.random_coupling(3, dtype=torch.int32), TypeError, "dtype: must be a real",
         why="int dtype"),
    Case("random_coupling", lambda: L.random_coupling(500, 2, zero_diagonal=True, seed=3, device="cpu"), None,
         ok=lambda J: J.shape == (2, 500, 500) and float(J.diagonal(dim1=-2, dim2=-1).abs().max()) == 0.0
         and abs(float(J.var()) * 500 - 1) < 0.01, why="N Var J = 1, zero diagonal"),
    # ---- random_tanh_flow ---------------------------------------------------------------------
    Case("random_tanh_flow", lambda: L.random_tanh_flow(torch.zeros(3, 3, dtype=DT), 1.0), ValueError,
         "J: must have 3", why="unbatched"),
    Case("random_tanh_flow", lambda: L.random_tanh_flow(J, math.nan), ValueError, "g: must be finite", why="NaN g"),
    Case("random_tanh_flow", lambda: L.random_tanh_flow(J, [1.0, 2.0, 3.0]), ValueError, "g: must be a scalar",
         why="g length"),
    Case("random_tanh_flow", lambda: L.random_tanh_flow(J.clone().fill_(math.nan), 1.0), ValueError,
         "J: must be finite", why="NaN J"),
    Case("random_tanh_flow", lambda: L.random_tanh_flow(J.to(torch.int64), 1.0), TypeError, "J: must be a real",
         why="integer J"),
    Case("random_tanh_flow", lambda: L.random_tanh_flow(J, 1.0 + 1j), TypeError, "g: must be real", why="complex g"),
    Case("random_tanh_flow", lambda: L.random_tanh_flow(J, [0.5, 2.0]), None,
         ok=lambda ft: torch.allclose(ft[1](torch.ones(2, 4, dtype=DT), torch.eye(4, dtype=DT).expand(2, 4, 4)),
                                      _tanh_jac_ref(), rtol=1e-12)
         and torch.allclose(torch.autograd.functional.jacobian(lambda v: ft[0](v.expand(2, 4))[1], torch.ones(4, dtype=DT)),
                            _tanh_jac_ref()[1], rtol=1e-12), why="tangent = hand Jacobian = autograd Jacobian"),
    # ---- scs_dmft_largest_exponent ------------------------------------------------------------
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(-1.0), ValueError, "g: must be",
         why="g < 0"),
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(math.nan), ValueError, "g: must be",
         why="NaN g"),
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(math.inf), ValueError, "g: must be finite",
         why="inf g (was an endless loop)"),
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(1.5, tau_max=0.0), ValueError,
         "tau_max: must be", why="tau_max 0"),
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(1.5, n_tau=1), ValueError,
         "n_tau: must be", why="n_tau 1"),
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(1.5, n_quad=2.5), ValueError,
         "n_quad: must be", why="float n_quad"),
    Case("scs_dmft_largest_exponent", lambda: L.scs_dmft_largest_exponent(0.5), None,
         ok=lambda v: abs(v[0] - (-0.5)) < 2e-3 and v[1] == 0.0, why="g < 1: -1 + g"),
]


def _tanh_jac_ref():
    """-I + g J diag(1 - tanh(1)^2), written out."""
    g = torch.tensor([0.5, 2.0], dtype=DT)[:, None, None]
    return -torch.eye(4, dtype=DT) + g * J * (1 - math.tanh(1.0) ** 2)


EXEMPT = {}


def test_every_public_name_is_covered():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(L.__all__) <= covered, sorted(set(L.__all__) - covered)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
