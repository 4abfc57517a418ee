"""Part I, chapter 'conjugacy' (note 000, Eqs. 7-11)."""
import pytest
import sympy as sp
import torch

from rnnmath import episodic as ep
from rnnmath import verify as V

dt = torch.float64


def _net(seed=0, n_f=5, n_h=3, gain=1.7):
    g = torch.Generator().manual_seed(seed)
    Xi = torch.randn(n_f, n_h, dtype=dt, generator=g)
    Phi = torch.randn(n_h, n_h, dtype=dt, generator=g)
    W = ep.elman_weight(Xi, Phi)
    return W * gain / torch.linalg.eigvals(W).abs().max(), g


def test_elman_weight_matches_definition_and_batches():
    Xi = torch.randn(4, 6, 3, dtype=dt)
    Phi = torch.randn(4, 3, 3, dtype=dt)
    W = ep.elman_weight(Xi, Phi)
    ref = Xi[1] @ (torch.eye(3, dtype=dt) + Phi[1].T) @ Xi[1].T
    assert V.check_close(W[1], ref)
    wrong = Xi[1] @ (torch.eye(3, dtype=dt) + Phi[1]) @ Xi[1].T  # Phi instead of Phi^T
    assert not V.check_close(W[1], wrong, strict=False)


@pytest.mark.parametrize("name", sorted(ep.ACTIVATIONS))
def test_conjugacy_holds_and_fails_when_sigma_or_W_perturbed(name):
    s, s_inv, ds = ep.ACTIVATIONS[name]
    W, g = _net()
    x0 = torch.randn(16, W.shape[0], dtype=dt, generator=g)
    of = ep.iterate_map(lambda v: ep.feature_map(W, v, name), x0, 30)
    og = ep.iterate_map(lambda v: ep.rate_map(W, v, name), s(x0), 30)
    assert V.check_close(s(of), og, atol=1e-10)
    # perturbed W in g
    Wp = W + 1e-5 * torch.randn(W.shape, dtype=dt, generator=g)
    ogp = ep.iterate_map(lambda v: ep.rate_map(Wp, v, name), s(x0), 30)
    assert not V.check_close(s(of), ogp, atol=1e-10, strict=False)
    # a different sigma in the conjugating map h
    other = next(k for k in sorted(ep.ACTIVATIONS) if k != name)
    h = ep.ACTIVATIONS[other][0]
    assert not V.check_close(h(ep.feature_map(W, x0, name)), ep.rate_map(W, h(x0), name), strict=False)


def test_inverse_pairs_are_inverses():
    for name, (s, s_inv, ds) in ep.ACTIVATIONS.items():
        x = torch.linspace(-3, 3, 41, dtype=dt)
        assert V.check_close(s_inv(s(x)), x, atol=1e-9), name
        assert V.check_jacobian(lambda v: s(v), lambda v: torch.diag(ds(v)), x[None, :]), name


def test_symbolic_conjugacy_any_dimension():
    n, m = sp.symbols("n m", integer=True, positive=True)
    Xi, Phi, x = sp.MatrixSymbol("Xi", n, m), sp.MatrixSymbol("Phi", m, m), sp.MatrixSymbol("x", n, 1)
    W = Xi * (sp.Identity(m) + Phi.T) * Xi.T
    sig, sig_inv = V.invertible_function("sigma")
    lhs = V.elementwise(sig_inv, V.elementwise(sig, W * V.elementwise(sig, x)))
    assert V.check_matrix_identity(lhs, W * V.elementwise(sig, x))
    W_wrong = Xi * (sp.Identity(m) + Phi) * Xi.T
    assert not V.check_matrix_identity(lhs, W_wrong * V.elementwise(sig, x), strict=False)


def test_bad_input():
    W, _ = _net()
    with pytest.raises(ValueError, match="x: last dimension"):
        ep.feature_map(W, torch.zeros(3, dtype=dt))
    with pytest.raises(ValueError, match="W: must be a square"):
        ep.rate_map(torch.zeros(3, 4, dtype=dt), torch.zeros(4, dtype=dt))
    with pytest.raises(ValueError, match="sigma: unknown activation"):
        ep.feature_map(W, torch.zeros(5, dtype=dt), "relu6")
    with pytest.raises(ValueError, match="Phi: must be N_h x N_h"):
        ep.elman_weight(torch.zeros(5, 3, dtype=dt), torch.zeros(2, 2, dtype=dt))
    with pytest.raises(ValueError, match="n_steps: must be a non-negative integer"):
        ep.iterate_map(torch.tanh, torch.zeros(2, dtype=dt), -1)
    with pytest.raises(ValueError, match="x0: must be finite"):
        ep.iterate_map(torch.tanh, torch.tensor([float("nan")], dtype=dt), 1)
