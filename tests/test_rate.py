"""Tests of rnnmath.rate (Part II, chapters 1–3; note 001)."""
import math

import numpy as np
import pytest
import sympy as sp
import torch

from rnnmath import rate
from rnnmath.verify import check_close, check_scalar_identity, check_bound

CPU = torch.device("cpu")


def small_model(B=3, N=6, I=2, O=1, seed=0, **kw):
    g = torch.Generator().manual_seed(seed)
    return rate.initialise_ensemble(B, N, I, O, 0.5, generator=g, device=CPU, dtype=torch.float64, **kw)


# --------------------------------------------------------------------------- model
def test_initialisation_zero_diagonal_and_scales():
    m = rate.initialise_ensemble(4, 200, 1, 1, 0.5, device=CPU, dtype=torch.float64)
    W = m.W_rec.detach()
    assert check_close(torch.diagonal(W, dim1=-2, dim2=-1), torch.zeros(4, 200), "zero diagonal")
    off = W[m.offdiag.expand_as(W) > 0]
    assert check_close(off.std(), 200**-0.5, "std reading", rtol=0.02)
    mv = rate.initialise_ensemble(4, 200, 1, 1, 0.5, reading="variance", device=CPU, dtype=torch.float64)
    offv = mv.W_rec.detach()[mv.offdiag.expand_as(W) > 0]
    assert check_close(offv.var(), 200**-0.5, "variance reading", rtol=0.03)
    # negative: the std reading does NOT have variance 1/sqrt(N)
    assert not check_close(off.var(), 200**-0.5, "std reading has variance 1/sqrt(N)?", rtol=0.03, strict=False)


def test_drift_matches_hand_formula_and_step():
    m = small_model()
    r = torch.rand(3, 5, 6, dtype=torch.float64)
    u = torch.rand(3, 5, 2, dtype=torch.float64)
    W = m.W_rec.detach()
    m_pre = torch.einsum("bij,bkj->bki", W, r) + torch.einsum("bij,bkj->bki", m.W_in, u) + m.b[:, None]
    F = (-r + torch.relu(m_pre)) / m.tau
    assert check_close(m.drift(r, u), F, "drift")
    # noise-free step is an Euler step of the drift
    assert check_close(m.step(r, u, torch.zeros_like(r)), r + m.dt * F, "Euler step", rtol=1e-12)
    # negative: an Euler step with tau in place of dt is rejected
    assert not check_close(m.step(r, u, torch.zeros_like(r)), r + m.tau * F, "wrong step", strict=False)


def test_noise_inside_and_outside_agree_where_f_is_linear():
    m_out = small_model(sigma=0.3)
    m_in = small_model(sigma=0.3, noise="inside", leak_angle=math.pi / 4)
    m_lin = small_model(sigma=0.3, leak_angle=math.pi / 4)
    r = torch.rand(3, 4, 6, dtype=torch.float64)
    u = torch.rand(3, 4, 2, dtype=torch.float64)
    eps = torch.randn(3, 4, 6, dtype=torch.float64)
    assert check_close(m_in.step(r, u, eps), m_lin.step(r, u, eps), "inside = outside for linear f", rtol=1e-12)
    # with ReLU they differ (that is the point of chapter 1)
    m_in_relu = small_model(sigma=0.3, noise="inside")
    assert not check_close(m_in_relu.step(r, u, eps), m_out.step(r, u, eps), "ReLU", strict=False)


def test_em_noise_std_symbolic_and_negative():
    s, dt, tau = sp.symbols("sigma Delta_t tau", positive=True)
    alpha = dt / tau
    em = sp.sqrt(2 * tau * s**2) * sp.sqrt(dt) / tau
    assert check_scalar_identity(em, sp.sqrt(2 * alpha * s**2), "EM noise")
    assert not check_scalar_identity(em, sp.sqrt(2 * s**2 / alpha), "note read outside", strict=False)
    assert check_close(rate.euler_maruyama_noise_std(0.01, 10.0, 100.0), math.sqrt(2 * 0.1 * 1e-4), "value")


def test_empirical_noise_variance():
    m = small_model(B=2, N=4, sigma=0.05)
    m.W_rec.data.zero_()
    g = torch.Generator().manual_seed(1)
    r = torch.zeros(2, 20000, 4, dtype=torch.float64)
    u = torch.zeros(2, 20000, 2, dtype=torch.float64)
    eps = torch.randn(2, 20000, 4, generator=g, dtype=torch.float64)
    inc = m.step(r, u, eps) - m.step(r, u, torch.zeros_like(eps))
    assert check_close(inc.var(), rate.euler_maruyama_noise_std(0.05, 10.0, 100.0) ** 2, "variance", rtol=0.03)


def test_forward_shapes_and_select():
    m = small_model()
    u = torch.rand(3, 4, 7, 2, dtype=torch.float64)
    eps = torch.randn(3, 4, 7, 6, dtype=torch.float64)
    r, z = m(u, noise=eps)
    assert r.shape == (3, 4, 7, 6) and z.shape == (3, 4, 7, 1)
    r1, z1 = m.select([1])(u[1:2], noise=eps[1:2])
    assert check_close(z1, z[1:2], "select", rtol=1e-12)


def test_leaky_relu_angle():
    m = small_model(leak_angle=math.atan(0.25))
    x = torch.tensor([-2.0, 3.0], dtype=torch.float64)
    assert check_close(m.activation(x), torch.tensor([-0.5, 3.0]), "leaky relu", rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(tau=-1.0), "tau"), (dict(dt=200.0), "dt"), (dict(sigma=-0.1), "sigma"),
     (dict(leak_angle=1.0), "leak_angle"), (dict(noise="middle"), "noise")],
)
def test_model_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_model(**kwargs)


def test_model_bad_shapes():
    m = small_model()
    with pytest.raises(ValueError, match="W_rec:"):
        rate.RateRNN(torch.zeros(2, 3, 4), torch.zeros(2, 3, 1), torch.zeros(2, 3), torch.zeros(2, 1, 3))
    with pytest.raises(ValueError, match="W_in:"):
        rate.RateRNN(torch.zeros(2, 3, 3), torch.zeros(2, 4, 1), torch.zeros(2, 3), torch.zeros(2, 1, 3))
    with pytest.raises(ValueError, match="inputs:"):
        m(torch.zeros(3, 4, 7, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="noise:"):
        m(torch.zeros(3, 4, 7, 2, dtype=torch.float64), noise=torch.zeros(3, 4, 7, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="r:"):
        m.drift(torch.zeros(3, 4, 5, dtype=torch.float64), torch.zeros(3, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="reading:"):
        rate.initialise_ensemble(2, 3, 1, 1, 0.5, reading="var", device=CPU)
    with pytest.raises(ValueError, match="n_units:"):
        rate.initialise_ensemble(2, 0, 1, 1, 0.5, device=CPU)


# --------------------------------------------------------------------------- tasks
def test_tasks_targets():
    p = rate.PerceptionTask(n_steps=5)
    tb = p.sample(2, 50, generator=torch.Generator().manual_seed(0), device=CPU)
    assert tb.inputs.shape == (2, 50, 5, 1) and tb.targets.shape == (2, 50, 5, 1)
    lvl = tb.conditions[..., 0]
    want = torch.where(lvl > 0.65, 0.5, 0.8)
    assert check_close(tb.targets[:, :, 0, 0], want, "perception answers", rtol=1e-6)
    d = rate.DecisionTask(n_steps=5)
    tb = d.sample(2, 50, generator=torch.Generator().manual_seed(0), device=CPU)
    want = (tb.conditions[..., 1] > tb.conditions[..., 0]).float()
    assert check_close(tb.targets[:, :, -1, 0], want, "decision answers")
    grid = d.condition_grid(2, 3, device=CPU)
    assert grid.inputs.shape == (2, 9, 5, 2)
    assert check_close(grid.inputs[:, :, 0], grid.conditions, "noise-free grid")
    # negative: the opposite mapping is rejected
    assert not check_close(tb.targets[:, :, -1, 0], 1 - want, "flipped", strict=False)


def test_task_bad_input():
    with pytest.raises(ValueError, match="n_steps:"):
        rate.PerceptionTask(n_steps=0)
    with pytest.raises(ValueError, match="high:"):
        rate.DecisionTask(low=0.8, high=0.2)
    with pytest.raises(ValueError, match="n_trials:"):
        rate.PerceptionTask().sample(2, 0)
    with pytest.raises(ValueError, match="task:"):
        rate.train_ensemble("memory", 2, 4, 1, 2, device=CPU)


# --------------------------------------------------------------------------- training
def test_batched_training_equals_one_at_a_time():
    task = rate.PerceptionTask(n_steps=8)
    g = torch.Generator().manual_seed(3)
    model = rate.initialise_ensemble(3, 5, 1, 1, task.input_std, generator=g, device=CPU, dtype=torch.float64)
    src = rate.trial_stream(task, 3, 4, 5, seed=1, device=CPU, dtype=torch.float64)
    singles = [model.select([b]) for b in range(3)]
    rate.fit(model, src, 15)
    for b, mb in enumerate(singles):
        def one(it, b=b):
            tb, eps = src(it)
            return rate.TrialBatch(tb.inputs[b:b + 1], tb.targets[b:b + 1], tb.conditions[b:b + 1]), eps[b:b + 1]
        rate.fit(mb, one, 15)
        assert check_close(mb.W_rec.detach()[0], model.W_rec.detach()[b], f"network {b}", rtol=1e-10, atol=1e-13)
    # negative: network 1 trained one-at-a-time on network 0's trials ends elsewhere
    fresh = rate.initialise_ensemble(3, 5, 1, 1, task.input_std, generator=torch.Generator().manual_seed(3),
                                     device=CPU, dtype=torch.float64).select([1])

    def other(it):
        tb, eps = src(it)
        return rate.TrialBatch(tb.inputs[0:1], tb.targets[0:1], tb.conditions[0:1]), eps[0:1]
    rate.fit(fresh, other, 15)
    assert not check_close(fresh.W_rec.detach()[0], model.W_rec.detach()[1], "wrong data", rtol=1e-10,
                           atol=1e-13, strict=False)


def test_train_ensemble_reduces_loss_and_keeps_diagonal(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNMATH_CACHE", str(tmp_path))
    ens = rate.load_or_train("perception", 2, 8, n_iters=60, n_trials=8, device=CPU, verbose=False)
    h = ens.loss_history
    assert h.shape == (60, 2)
    assert check_bound(h[-10:].mean(0) - h[:10].mean(0), "loss decreases", upper=0.0)
    assert check_close(torch.diagonal(ens.W_rec_trained, dim1=-2, dim2=-1), torch.zeros(2, 8), "diag kept zero")
    assert ens.delta.abs().max() > 0
    files = list(tmp_path.glob("perception-*.pt"))
    assert len(files) == 1 and not list(tmp_path.glob("*.tmp"))
    again = rate.load_or_train("perception", 2, 8, n_iters=60, n_trials=8, device=CPU, verbose=False)
    assert check_close(again.W_rec_trained, ens.W_rec_trained, "cache returns the same ensemble", rtol=0, atol=0)
    assert again.task == rate.PerceptionTask()
    m = again.model("initial", device=CPU)
    assert check_close(m.W_rec, ens.W_rec_init, "initial model", rtol=1e-7)
    with pytest.raises(ValueError, match="which:"):
        again.model("final")


def test_fit_bad_input():
    m = small_model()
    with pytest.raises(ValueError, match="n_iters: must be a non-negative integer"):
        rate.fit(m, lambda it: None, -1)
    with pytest.raises(ValueError, match="lr: must be > 0"):
        rate.fit(m, lambda it: None, 1, lr=0.0)
    with pytest.raises(TypeError, match="batches: must be callable"):
        rate.fit(m, None, 1)


# --------------------------------------------------------------------------- analysis
def test_mean_weight_and_rank_measures():
    W = torch.ones(2, 4, 4) - torch.eye(4)
    assert check_close(rate.mean_weight(W), torch.ones(2), "mean off-diagonal")
    assert not check_close(rate.mean_weight(W, offdiag_only=False), torch.ones(2), "with diagonal", strict=False)
    u = torch.randn(2, 10, 2, dtype=torch.float64)
    v = torch.randn(2, 2, 10, dtype=torch.float64)
    low = u @ v
    assert check_close(rate.singular_value_energy(low, 2), torch.ones(2), "rank 2 energy")
    assert check_close(rate.effective_rank(torch.eye(5, dtype=torch.float64)[None]), torch.tensor([5.0]), "pr of I")
    assert check_bound(rate.effective_rank(low), "pr <= rank", upper=2.0, atol=1e-9)
    with pytest.raises(ValueError, match="k:"):
        rate.singular_value_energy(low, 0)
    with pytest.raises(ValueError, match="W:"):
        rate.mean_weight(torch.zeros(3, 4))


def test_centrality_is_the_perron_vector():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 12, 12, generator=g, dtype=torch.float64) * (1 - torch.eye(12, dtype=torch.float64))
    c, rho = rate.abs_eigenvector_centrality(W)
    A = W.abs().transpose(-1, -2)
    assert check_close((A @ c[..., None])[..., 0], rho[:, None] * c, "Perron eigen-equation", rtol=1e-9)
    assert check_bound(c, "positive", lower=1e-12)
    ev = torch.linalg.eigvals(A).abs().max(-1).values
    assert check_close(rho, ev, "Perron root is the spectral radius", rtol=1e-9)
    # negative: the centrality of W^T (in-going) is a different vector
    c_in, _ = rate.abs_eigenvector_centrality(W.transpose(-1, -2))
    assert not check_close(c_in, c, "in vs out", rtol=1e-6, strict=False)
    with pytest.raises(ValueError, match="W:"):
        rate.abs_eigenvector_centrality(torch.zeros(2, 3, 4))


def test_henrici_equals_schur_frobenius():
    g = torch.Generator().manual_seed(1)
    W = torch.randn(4, 9, 9, generator=g, dtype=torch.float64)
    assert check_close(rate.henrici_departure(W), rate.schur_departure(W), "Henrici = Schur", rtol=1e-9)
    S = W + W.transpose(-1, -2)
    assert check_close(rate.henrici_departure(S), torch.zeros(4), "normal matrix", atol=1e-6)
    # negative: the spectral norm of the Schur upper part is not the Henrici departure
    assert not check_close(rate.schur_departure(W, norm=2), rate.henrici_departure(W), "2-norm", rtol=1e-3,
                           strict=False)
    with pytest.raises(ValueError, match="norm:"):
        rate.schur_departure(W, norm=1)


def test_paired_comparison():
    rng = np.random.default_rng(0)
    a = rng.normal(size=10)
    out = rate.paired_comparison(a, a + 1 + 0.1 * rng.normal(size=10))
    assert out["wilcoxon_p"] < 0.01 and out["cohen_dz"] > 3
    null = rate.paired_comparison(a, a + 0.1 * rng.normal(size=10))
    assert null["t_test_p"] > 0.01
    with pytest.raises(ValueError, match="after:"):
        rate.paired_comparison(a, a[:5])
    with pytest.raises(ValueError, match="before:"):
        rate.paired_comparison(a[:2], a[:2])


# --------------------------------------------------------------------------- chapter 1 helpers
def test_expected_relu_against_monte_carlo():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400_000, generator=g, dtype=torch.float64)
    for m in (-0.3, 0.0, 0.5):
        mc = torch.relu(m + 0.2 * z).mean()
        assert check_close(rate.expected_relu(m, 0.2), mc, f"E relu m={m}", rtol=0.01, atol=1e-4)
    # negative: relu of the mean is not the mean of relu at the kink
    assert not check_close(rate.expected_relu(0.0, 0.2), 0.0, "Jensen gap", atol=1e-3, strict=False)
    with pytest.raises(ValueError, match="s:"):
        rate.expected_relu(0.0, 0.0)


def test_mean_drift_inside_depends_on_dt():
    out = [rate.mean_drift_at(0.0, 0.01, dt, 100.0, "outside") for dt in (10.0, 1.0)]
    ins = [rate.mean_drift_at(0.0, 0.01, dt, 100.0, "inside") for dt in (10.0, 1.0)]
    assert check_close(out[0], out[1], "outside: dt-independent")
    assert check_close(ins[1] / ins[0], math.sqrt(10.0), "inside: grows like dt^-1/2", rtol=1e-12)
    with pytest.raises(ValueError, match="noise:"):
        rate.mean_drift_at(0.0, 0.01, 1.0, 100.0, "both")


def test_continuous_jacobian_against_autograd():
    from rnnmath.verify import check_jacobian
    for theta in (0.0, 0.3):
        m = small_model(B=1, N=5, leak_angle=theta)
        m.W_rec.requires_grad_(False)
        u = torch.rand(1, 1, 2, dtype=torch.float64)
        pts = torch.randn(4, 5, dtype=torch.float64)
        fn = lambda r: m.drift(r[None, None], u)[0, 0]
        jac = lambda r: rate.continuous_jacobian(m, r[None, None], u)[0, 0]
        assert check_jacobian(fn, jac, pts, f"dF/dr theta={theta}")
        wrong = lambda r: jac(r) + torch.eye(5, dtype=torch.float64) / m.tau
        assert not check_jacobian(fn, wrong, pts, "missing -I", strict=False)


def test_relax_converges_for_std_reading():
    m = rate.initialise_ensemble(2, 30, 1, 1, 0.5, device=CPU, dtype=torch.float64, sigma=0.0)
    m.W_rec.requires_grad_(False)
    r, speed = rate.relax(m, torch.full((2, 3, 1), 0.8, dtype=torch.float64), torch.rand(2, 3, 30, dtype=torch.float64), 800)
    assert check_bound(speed, "converged", upper=1e-6)
    with pytest.raises(ValueError, match="n_steps:"):
        rate.relax(m, torch.zeros(2, 3, 1), torch.zeros(2, 3, 30), -1)


def test_standard_ensemble_bad_name_and_config():
    with pytest.raises(ValueError, match="task_name:"):
        rate.standard_ensemble("memory")
    q = rate.STANDARD_ENSEMBLES["quick"]
    f = rate.STANDARD_ENSEMBLES["full"]
    assert set(q) == set(f)
    assert f["perception"]["n_units"] == 128 and f["decision"]["n_units"] == 256  # the note's sizes
    assert q["perception"]["seed"] != q["decision"]["seed"]


def test_shuffle_offdiagonal_and_verdict():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 6, 6, generator=g, dtype=torch.float64)
    S = rate.shuffle_offdiagonal(W, generator=g)
    off = ~torch.eye(6, dtype=torch.bool)
    assert check_close(torch.sort(S[:, off], -1).values, torch.sort(W[:, off], -1).values, "same entries")
    assert check_close(torch.diagonal(S, dim1=-2, dim2=-1), torch.diagonal(W, dim1=-2, dim2=-1), "diag kept")
    assert not check_close(S, W, "shuffled differs", strict=False)
    assert not hasattr(rate, "hypothesis_verdict")   # removed: verdicts are verify.claim_verdict records


def test_top_entry_energy():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(4, 300, 300, generator=g, dtype=torch.float64)
    assert check_close(rate.top_entry_energy(W, 0.05).mean(), 0.2791, "Gaussian reference", rtol=0.02)
    sparse = torch.zeros(2, 20, 20, dtype=torch.float64)
    sparse[:, 0, 1] = 3.0
    sparse[:, 2, 3] = 1.0
    assert check_close(rate.top_entry_energy(sparse, 0.05), torch.ones(2), "all energy in a few entries")
    assert not check_close(rate.top_entry_energy(W, 0.05).mean(), 0.05, "energy share = entry share", rtol=0.1,
                           strict=False)
    with pytest.raises(ValueError, match="fraction:"):
        rate.top_entry_energy(W, 0.0)
    with pytest.raises(ValueError, match="fraction:"):
        rate.top_entry_energy(W, 1.5)


def test_trial_stream_is_deterministic_and_forward_draws_noise():
    src = rate.trial_stream("decision", 2, 3, 4, seed=2, device=CPU)
    (a, ea), (b, eb) = src(5), src(5)
    assert check_close(a.inputs, b.inputs, "same trials", rtol=0, atol=0)
    assert check_close(ea, eb, "same noise", rtol=0, atol=0)
    assert not check_close(src(6)[0].inputs, a.inputs, "next iteration differs", strict=False)
    m = small_model(B=2, N=4, I=2, sigma=0.1)
    u = torch.rand(2, 3, 5, 2, dtype=torch.float64)
    r1, _ = m(u, generator=torch.Generator().manual_seed(0))
    r2, _ = m(u, generator=torch.Generator().manual_seed(0))
    r0, _ = m(u, noise=torch.zeros(2, 3, 5, 4, dtype=torch.float64))
    assert check_close(r1, r2, "seeded noise reproducible", rtol=0, atol=0)
    assert not check_close(r1, r0, "noise has an effect", strict=False)
    with pytest.raises(ValueError, match="n_trials:"):
        rate.trial_stream("perception", 2, 0, 4)
