"""Tests of rnnmath.unitary (Part V, note 004)."""
import math

import pytest
import sympy as sp
import torch

from rnnmath import unitary as U
from rnnmath.verify import check_bound, check_close, check_matrix_identity

F64 = torch.float64


def _rand_rnn(n=4, m=3, p=2, norm=0.9, seed=0):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g, dtype=F64)
    return U.RNNParams(norm * A / torch.linalg.matrix_norm(A, 2), torch.randn(n, m, generator=g, dtype=F64),
                       torch.randn(n, generator=g, dtype=F64), torch.randn(p, n, generator=g, dtype=F64),
                       torch.rand(n, generator=g, dtype=F64)), g


def _bounded_inputs(T, m, bound, g):
    x = torch.randn(T, m, generator=g, dtype=F64)
    return bound * x / x.norm(dim=-1, keepdim=True).clamp_min(1.0)


# ----------------------------------------------------------------- chapter 1
def test_rnn_run_matches_explicit_loop():
    theta, g = _rand_rnn()
    x = torch.randn(7, 3, generator=g, dtype=F64)
    y, h = theta.run(x, "tanh")
    hk = theta.h0
    for k in range(7):
        hk = torch.tanh(theta.W @ hk + theta.F @ x[k] + theta.b)
        check_close(h[k], hk, "state")
        check_close(y[k], theta.C @ hk, "output")


def test_rnn_run_batches_like_a_loop():
    theta, g = _rand_rnn()
    x = torch.randn(5, 9, 3, generator=g, dtype=F64)
    yb, _ = theta.run(x)
    check_close(yb, torch.stack([theta.run(x[i])[0] for i in range(5)]), "batched = looped")


@pytest.mark.parametrize("arg", ["W", "F", "b", "C", "x", "h0"])
def test_rnn_run_rejects_bad_shapes(arg):
    theta, _ = _rand_rnn()
    kw = dict(W=theta.W, F=theta.F, b=theta.b, C=theta.C, x=torch.zeros(4, 3, dtype=F64), h0=theta.h0)
    bad = {"W": torch.zeros(4, 3), "F": torch.zeros(5, 3), "b": torch.zeros(5), "C": torch.zeros(2, 5),
           "x": torch.zeros(4, 2), "h0": torch.zeros(3)}
    kw[arg] = bad[arg].to(F64)
    with pytest.raises(ValueError, match=rf"^{arg}: must (have shape|be a square)"):
        U.rnn_run(kw["W"], kw["F"], kw["b"], kw["C"], kw["x"], kw["h0"])


def test_unknown_activation_rejected():
    with pytest.raises(ValueError, match=r"^activation: unknown activation"):
        U.get_activation("swish")


def test_similarity_transform_identity_equivalence_and_negative():
    theta, g = _rand_rnn()
    T = torch.randn(4, 4, generator=g, dtype=F64) + 3 * torch.eye(4, dtype=F64)
    x = torch.randn(50, 3, generator=g, dtype=F64)
    y, h = theta.run(x, "identity")
    th2 = U.similarity_transform(theta, T)
    y2, h2 = th2.run(x, "identity")
    check_close(y2, y, "outputs agree", rtol=1e-9)
    assert not check_close(h2, h, "states agree", strict=False).passed
    # the poster's list (bias not transformed) is rejected by the same check
    th_printed = U.RNNParams(th2.W, th2.F, theta.b, th2.C, th2.h0)
    assert not check_close(th_printed.run(x, "identity")[0], y, "printed list", rtol=1e-9, strict=False).passed


def test_similarity_transform_relu_pd_only():
    theta, g = _rand_rnn()
    x = torch.randn(50, 3, generator=g, dtype=F64)
    y, _ = theta.run(x)
    PD = torch.eye(4, dtype=F64)[[2, 0, 3, 1]] * torch.tensor([0.5, 2.0, 1.5, 0.7], dtype=F64)
    check_close(U.similarity_transform(theta, PD).run(x)[0], y, "PD keeps relu outputs", rtol=1e-9)
    Q = torch.linalg.qr(torch.randn(4, 4, generator=g, dtype=F64))[0]
    assert not check_close(U.similarity_transform(theta, Q).run(x)[0], y, "Q", rtol=1e-9, strict=False).passed


def test_similarity_transform_rejects_singular_T():
    theta, _ = _rand_rnn()
    with pytest.raises(ValueError, match=r"^T: must be invertible"):
        U.similarity_transform(theta, torch.zeros(4, 4, dtype=F64))
    with pytest.raises(ValueError, match=r"^T: must have shape"):
        U.similarity_transform(theta, torch.eye(3, dtype=F64))


def test_symbolic_equivalence_and_printed_list():
    n, m = sp.symbols("n m", integer=True, positive=True)
    W, T = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("T", n, n)
    F, b = sp.MatrixSymbol("F", n, m), sp.MatrixSymbol("b", n, 1)
    h, x = sp.MatrixSymbol("h", n, 1), sp.MatrixSymbol("x", m, 1)
    step = (T * W * T.I) * (T * h) + (T * F) * x
    check_matrix_identity(step + T * b, T * (W * h + F * x + b))
    assert not check_matrix_identity(step + b, T * (W * h + F * x + b), strict=False).passed


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "identity"])
def test_lipschitz_constants(name):
    est = U.lipschitz_estimate(name, 20_000, generator=torch.Generator().manual_seed(0))
    check_close(est, U.LIPSCHITZ[name], rtol=1e-3, atol=1e-6)
    # a wrong constant is rejected (sigmoid's 1/4 is not 1, tanh's 1 is not 1/2)
    wrong = {"relu": 0.5, "tanh": 0.5, "sigmoid": 1.0, "identity": 2.0}[name]
    assert not check_close(est, wrong, rtol=1e-3, strict=False).passed


def test_lipschitz_estimate_rejects_bad_pairs():
    with pytest.raises(ValueError, match=r"^n_pairs: must be an integer >= 1"):
        U.lipschitz_estimate("relu", 0)


# ----------------------------------------------------------------- chapter 2
@pytest.mark.parametrize("n", [1, 3, 8])
def test_unitary_dilation_is_orthogonal_with_W_block(n):
    theta, _ = _rand_rnn(n=n, norm=0.97, seed=n)
    Uw = U.unitary_dilation(theta.W)
    eye = torch.eye(2 * n, dtype=F64)
    check_close(Uw @ Uw.T, eye, "U U^T = I", atol=1e-12)
    check_close(Uw.T @ Uw, eye, "U^T U = I", atol=1e-12)
    check_close(Uw[:n, :n], theta.W, "top-left block")


def test_dilation_with_wrong_sign_is_not_orthogonal():
    theta, _ = _rand_rnn(n=4)
    Uw = U.unitary_dilation(theta.W).clone()
    Uw[4:, 4:] *= -1  # +W^T instead of -W^T: the note-free "obvious" guess
    assert not check_close(Uw @ Uw.T, torch.eye(8, dtype=F64), atol=1e-12, strict=False).passed


def test_unitary_dilation_rejects_expansive_W():
    with pytest.raises(ValueError, match=r"^W: must be non-expansive"):
        U.unitary_dilation(1.1 * torch.eye(3, dtype=F64))


def test_psd_sqrt_and_rejection():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(5, 5, generator=g, dtype=F64)
    M = A @ A.T
    R = U.psd_sqrt(M)
    check_close(R @ R, M, rtol=1e-10)
    with pytest.raises(ValueError, match=r"^M: must be positive semidefinite"):
        U.psd_sqrt(-M)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_theorem1_outputs_identical_and_extra_states_zero(seed):
    theta, g = _rand_rnn(n=5, m=3, p=2, norm=0.95, seed=seed)
    x = _bounded_inputs(3000, 3, 2.0, g)
    emb = U.orthogonal_embedding(theta, input_bound=2.0)
    y, h = theta.run(x)
    yu, hu = emb.run(x)
    check_close(yu, y, "outputs agree", rtol=1e-12, atol=1e-12)
    check_close(hu[:, :5], h, "first n states agree", rtol=1e-12, atol=1e-12)
    check_close(hu[:, 5:], torch.zeros_like(h), "extra states zero", atol=0.0)
    check_bound(h.norm(dim=-1), "state bound", upper=emb.state_bound)
    Wu = emb.params.W
    check_close(Wu @ Wu.T, torch.eye(10, dtype=F64), atol=1e-12)


def test_theorem1_needs_the_offset():
    theta, g = _rand_rnn(n=5, norm=0.95, seed=3)
    x = _bounded_inputs(500, 3, 2.0, g)
    y, _ = theta.run(x)
    emb = U.orthogonal_embedding(theta, input_bound=2.0)
    check_close(emb.run(x)[0], y, rtol=1e-12, atol=1e-12)
    # the same construction with offset 0 (built by hand: orthogonal_embedding refuses it) is not equivalent
    p = emb.params
    no_offset = U.RNNParams(p.W, p.F, torch.cat([theta.b, torch.zeros(5, dtype=F64)]), p.C, p.h0)
    assert not check_close(no_offset.run(x)[0], y, rtol=1e-12, atol=1e-12, strict=False).passed
    with pytest.raises(ValueError, match=r"^offset: must be >= the state bound"):
        U.orthogonal_embedding(theta, input_bound=2.0, offset=0.0)
    with pytest.raises(ValueError, match=r"^offset: must be >= the state bound"):
        U.orthogonal_embedding(theta, input_bound=2.0, offset=0.999 * emb.state_bound)
    big = U.orthogonal_embedding(theta, input_bound=2.0, offset=2 * emb.state_bound)  # a larger offset is fine
    check_close(big.run(x)[0], y, rtol=1e-12, atol=1e-12)


def test_theorem1_rejects_noncontractive_W_and_unbounded_input():
    theta, g = _rand_rnn(n=4, norm=1.0)
    with pytest.raises(ValueError, match=r"^W: must be contractive"):
        U.orthogonal_embedding(theta, input_bound=1.0)
    theta, g = _rand_rnn(n=4, norm=0.9)
    with pytest.raises(ValueError, match=r"^input_bound: must be a finite"):
        U.orthogonal_embedding(theta, input_bound=math.inf)
    with pytest.raises(ValueError, match=r"^input_bound: must lie in"):
        U.orthogonal_embedding(theta, input_bound=-1.0)
    emb = U.orthogonal_embedding(theta, input_bound=1.0)
    with pytest.raises(ValueError, match=r"^x: inputs must be bounded"):
        emb.run(torch.full((10, 3), 5.0, dtype=F64))


def test_relu_state_bound_holds_and_is_needed():
    theta, g = _rand_rnn(n=6, norm=0.99, seed=5)
    x = _bounded_inputs(5000, 3, 1.0, g)
    B = U.relu_state_bound(theta.W, theta.F, theta.b, 1.0, theta.h0)
    _, h = theta.run(x)
    check_bound(h.norm(dim=-1), upper=B)
    # a bound ignoring the recurrence (1 step of drive) is too small: rejected
    one_step = float(torch.linalg.matrix_norm(theta.F, 2)) + float(theta.b.norm())
    assert not check_bound(h.norm(dim=-1), upper=one_step * 0.5, strict=False).passed


# ----------------------------------------------------------------- chapter 3
def test_one_state_invariants_separate_contractive_from_unitary():
    k = torch.arange(10, dtype=F64)
    inv_c = U.one_state_urnn_invariants(0.5 ** k)
    assert float(inv_c["u=+1"]) > 0.2 and float(inv_c["u=-1"]) > 0.5
    # outputs of genuine one-state URNNs (positive regime): arithmetic / alternating
    inv_plus = U.one_state_urnn_invariants(3.0 + 0.7 * k)
    inv_minus = U.one_state_urnn_invariants(torch.tensor([2.0, 3.0] * 5, dtype=F64))
    check_close(inv_plus["u=+1"], 0.0, atol=1e-12)
    check_close(inv_minus["u=-1"], 0.0, atol=1e-12)
    assert not check_close(inv_c["u=+1"], 0.0, atol=1e-12, strict=False).passed
    with pytest.raises(ValueError, match=r"^y: need at least 3 samples"):
        U.one_state_urnn_invariants(torch.ones(2, dtype=F64))


def test_one_state_urnn_fit_cannot_match_contraction_but_matches_w1():
    x = torch.zeros(12, 1, dtype=F64)
    x[0] = 1.0
    k = torch.arange(12, dtype=F64).unsqueeze(-1)
    gen = torch.Generator().manual_seed(0)
    fit_c = U.fit_one_state_urnn(x, 0.5 ** k, n_starts=32, steps=150, generator=gen)
    assert min(fit_c.values()) > 1e-2
    fit_1 = U.fit_one_state_urnn(x, torch.ones(12, 1, dtype=F64), n_starts=32, steps=300, generator=gen)
    assert fit_1["u=+1"] < 1e-3  # the checker is not biased: a reachable target is fitted
    with pytest.raises(ValueError, match=r"^y: must have shape"):
        U.fit_one_state_urnn(x, torch.ones(5, 1, dtype=F64))


def test_sigmoid_embedding_error_positive_and_decaying():
    theta, g = _rand_rnn(n=3, m=2, p=2, norm=0.8, seed=7)
    x = _bounded_inputs(100, 2, 1.0, g)
    err = U.sigmoid_embedding_error(theta, x, torch.tensor([0.0, 5.0, 10.0, 15.0], dtype=F64))
    check_bound(err, lower=1e-12)
    ratio = err[1:] / err[:-1]
    check_close(torch.log(ratio[1:]) / 5.0, torch.full((2,), -1.0, dtype=F64), rtol=0.05)
    with pytest.raises(ValueError, match=r"^offsets: must have 1"):
        U.sigmoid_embedding_error(theta, x, torch.zeros(2, 2, dtype=F64))
    bad = U.RNNParams(1.5 * theta.W / torch.linalg.matrix_norm(theta.W, 2), theta.F, theta.b, theta.C, theta.h0)
    with pytest.raises(ValueError, match=r"^W: must be contractive"):
        U.sigmoid_embedding_error(bad, x, torch.zeros(2, dtype=F64))


# ----------------------------------------------------------------- chapter 4
def test_contractive_weight_spectrum_and_validation():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(6, 4, 4, generator=g, dtype=F64)
    W = U.contractive_weight(A, 0.01)
    ev = torch.linalg.eigvalsh(W)
    check_bound(ev, lower=0.99 - 1e-12, upper=1.0)
    check_bound(torch.linalg.matrix_norm(W, 2), upper=1.0 - 1e-9)
    # the printed form without the minus sign (I + eps A^T A / ||A||^2) is expansive
    W_plus = 2 * torch.eye(4, dtype=F64) - W
    assert not check_bound(torch.linalg.matrix_norm(W_plus, 2), upper=1.0, strict=False).passed
    with pytest.raises(ValueError, match=r"^eps: must lie in"):
        U.contractive_weight(A, 1.5)
    with pytest.raises(ValueError, match=r"^A: must be a square"):
        U.contractive_weight(torch.zeros(3, 4, dtype=F64))


def test_synthetic_system_on_fraction_and_snr():
    g = torch.Generator().manual_seed(1)
    sysm = U.make_synthetic_systems(4, generator=g, device="cpu")
    check_bound(torch.linalg.matrix_norm(sysm.W, 2), upper=1.0 - 1e-12)
    x, yc, yn = U.generate_sequences(sysm, 4, 1000, 20.0, generator=g)
    _, h = U.rnn_run(sysm.W[:, None], sysm.F[:, None], sysm.b[:, None], sysm.C[:, None], x, sysm.h0[:, None])
    check_close((h > 0).double().mean(), 0.6, atol=0.06)
    snr = 10 * torch.log10(yc.var(dim=(1, 2, 3)) / (yn - yc).var(dim=(1, 2, 3)))
    check_close(snr, torch.full((4,), 20.0, dtype=F64), atol=0.3)
    assert not check_close(snr, torch.full((4,), 15.0, dtype=F64), atol=0.3, strict=False).passed
    with pytest.raises(ValueError, match=r"^on_fraction: must"):
        U.make_synthetic_systems(1, on_fraction=1.5, device="cpu")


def test_orthogonal_projection_and_masked_version():
    g = torch.Generator().manual_seed(2)
    W = torch.randn(3, 5, 5, generator=g, dtype=F64)
    Q = U.orthogonal_projection(W)
    check_close(Q @ Q.transpose(-1, -2), torch.eye(5, dtype=F64).expand(3, 5, 5), atol=1e-12)
    # nearest: no random orthogonal matrix is closer
    R = U.orthogonal_projection(torch.randn(200, 5, 5, generator=g, dtype=F64))
    check_bound((R - W[0]).norm(dim=(-1, -2)), lower=float((Q[0] - W[0]).norm()))
    mask = torch.tensor([1, 1, 1, 0, 0], dtype=F64)
    Qm = U.masked_orthogonal_projection(W, mask)
    check_close(Qm[:, :3, :3], U.orthogonal_projection(W[:, :3, :3]), atol=1e-12)
    check_close(Qm[:, 3:, :], torch.zeros(3, 2, 5, dtype=F64), atol=0.0)
    # projecting the zero-padded matrix without the mask fills the padding (arbitrary orthogonal block)
    assert not check_close(U.orthogonal_projection(W * mask[:, None] * mask)[:, 3:, 3:],
                           torch.zeros(3, 2, 2, dtype=F64), atol=1e-8, strict=False).passed
    with pytest.raises(ValueError, match=r"^W: must be a square"):
        U.orthogonal_projection(torch.zeros(3, 4, dtype=F64))


@pytest.mark.parametrize("unitary,clip", [(False, None), (True, None), (False, 0.05)])
def test_batched_training_equals_one_model_at_a_time(unitary, clip):
    g = torch.Generator().manual_seed(3)
    sizes, R, N, T = [2, 3], 2, 6, 12
    x = torch.randn(R, N, T, 2, generator=g, dtype=F64)
    y = torch.randn(R, N, T, 1, generator=g, dtype=F64)
    init = U.init_rnn_models(sizes, R, 2, 1, generator=g, device="cpu", dtype=F64)
    order = torch.stack([torch.randperm(N, generator=g) for _ in range(3)])
    trained, losses = U.train_rnn_models(init, x, y, unitary=unitary, epochs=3, batch_size=4, order=order,
                                         max_grad_norm=clip, show_progress=False)
    for s, m in enumerate(sizes):
        for r in range(R):
            one, loss1 = U.train_rnn_models(U.unpad_model(init, s, r), x[r:r + 1], y[r:r + 1], unitary=unitary,
                                            epochs=3, batch_size=4, order=order, max_grad_norm=clip,
                                            show_progress=False)
            check_close(trained["W"][s, r, :m, :m], one["W"][0, 0], "W", rtol=1e-9, atol=1e-12)
            check_close(trained["C"][s, r, :, :m], one["C"][0, 0], "C", rtol=1e-9, atol=1e-12)
            check_close(losses[:, s, r], loss1[:, 0, 0], "loss", rtol=1e-9)
            if m < 3:
                check_close(trained["W"][s, r, m:, :], torch.zeros(3 - m, 3, dtype=F64), "padding stays zero", atol=0.0)
    if clip is not None:  # clipping is active and changes the result
        plain, _ = U.train_rnn_models(init, x, y, unitary=unitary, epochs=3, batch_size=4, order=order,
                                      show_progress=False)
        assert not check_close(plain["W"], trained["W"], rtol=1e-9, atol=1e-12, strict=False).passed
    if unitary:
        Wt = U.unpad_model(trained, 1, 0)["W"][0, 0]
        check_close(Wt @ Wt.T, torch.eye(3, dtype=F64), atol=1e-12)
    with pytest.raises(ValueError, match=r"^x: must have shape"):
        U.train_rnn_models(init, x[:1], y, unitary=unitary, epochs=1, show_progress=False)


def test_r2_score():
    g = torch.Generator().manual_seed(4)
    y = torch.randn(3, 20, 2, generator=g, dtype=F64)
    check_close(U.r2_score(y, y), 1.0)
    check_close(U.r2_score(y.mean(dim=(0, 1), keepdim=True).expand_as(y), y), 0.0, atol=1e-12)
    assert not check_close(U.r2_score(0.5 * y, y), 1.0, atol=1e-3, strict=False).passed


def test_permuted_digits_and_classifier_smoke():
    d = U.permuted_digits(device="cpu", seed=0)
    assert d["x_train"].shape[1:] == (64, 1) and sorted(d["permutation"].tolist()) == list(range(64))
    # the permutation is applied: the same image read in pixel order differs
    from sklearn.datasets import load_digits
    raw = torch.as_tensor(load_digits().data / 16.0)
    assert not torch.equal(raw[:, d["permutation"]], raw)
    n = 300
    res = U.train_sequence_classifiers(d["x_train"][:n], d["y_train"][:n], d["x_test"][:200], d["y_test"][:200],
                                       hidden=16, epochs=2, show_progress=False)
    Wu = res["params"]["W"][1]
    check_close(Wu @ Wu.T, torch.eye(16), atol=1e-5)
    assert res["test_accuracy"].shape == (2,)
    with pytest.raises(ValueError, match=r"^y_train: must have shape"):
        U.train_sequence_classifiers(d["x_train"][:5], d["y_train"][:4], d["x_test"], d["y_test"], hidden=4)


def test_run_learning_experiment_small():
    out = U.run_learning_experiment(sizes=[2, 4], n_real=2, snr_db=20, T=30, n_seq=10, epochs=3, device="cpu",
                                    show_progress=False)
    assert out["r2"].shape == (2, 2, 2)
    check_bound(out["r2"], upper=1.0)
    Wu = out["trained"]["W"][2:]  # unitary half
    for s, m in enumerate([2, 4]):
        blk = Wu[s, :, :m, :m].double()
        check_close(blk @ blk.transpose(-1, -2), torch.eye(m, dtype=F64).expand(2, m, m), atol=1e-5)
    with pytest.raises(ValueError, match=r"^test_ratio: must lie in"):
        U.run_learning_experiment(sizes=[2], n_real=1, snr_db=20, T=5, n_seq=4, epochs=1, test_ratio=2.0, device="cpu")


def test_init_rnn_models_masks_and_validation():
    p = U.init_rnn_models([2, 5], 3, 2, 1, generator=torch.Generator().manual_seed(0), device="cpu", dtype=F64)
    assert p["W"].shape == (2, 3, 5, 5) and p["mask"][0, 0].tolist() == [1, 1, 0, 0, 0]
    blk = p["W"][0, :, :2, :2]
    check_close(blk @ blk.transpose(-1, -2), torch.eye(2, dtype=F64).expand(3, 2, 2), atol=1e-12)
    check_close(p["W"][0, :, 2:, :], torch.zeros(3, 3, 5, dtype=F64), atol=0.0)
    with pytest.raises(ValueError, match=r"^sizes: must be an integer >= 1"):
        U.init_rnn_models([0, 3], 1, 1, 1, device="cpu")
    with pytest.raises(ValueError, match=r"^n_models_per_size: must be an integer"):
        U.init_rnn_models([3], 0, 1, 1, device="cpu")


# ----------------------------------------------------------------- issue 11: refusals and the complex case
def test_unitary_dilation_of_a_complex_W_is_unitary():
    g = torch.Generator().manual_seed(7)
    Z = torch.randn(4, 4, dtype=torch.complex128, generator=g)
    W = 0.9 * Z / torch.linalg.matrix_norm(Z, 2)
    Uw = U.unitary_dilation(W)
    eye = torch.eye(8, dtype=torch.complex128)
    check_close(Uw @ Uw.mH, eye, "U U^H = I", atol=1e-12)
    check_close(Uw.mH @ Uw, eye, "U^H U = I", atol=1e-12)
    check_close(Uw[:4, :4], W, "top-left block")
    # the transpose instead of the conjugate transpose (the old code) is not unitary
    Wt = W.transpose(-1, -2)
    wrong = torch.cat([torch.cat([W, U.psd_sqrt(torch.eye(4, dtype=W.dtype) - W @ W.mH)], 1),
                       torch.cat([U.psd_sqrt(torch.eye(4, dtype=W.dtype) - W.mH @ W), -Wt], 1)], 0)
    assert not check_close(wrong @ wrong.mH, eye, atol=1e-6, strict=False).passed


def test_unitary_dilation_guard_names_W_not_the_square_root():
    # without the W guard psd_sqrt would refuse "I - W W^H": the message must blame W itself
    with pytest.raises(ValueError, match=r"^W: must be non-expansive \(spectral norm <= 1\), got spectral norm 1\.1"):
        U.unitary_dilation(1.1 * torch.eye(3, dtype=F64))


def test_psd_sqrt_refuses_a_non_symmetric_matrix():
    M = torch.tensor([[2.0, 1.0], [0.0, 2.0]], dtype=F64)
    with pytest.raises(ValueError, match=r"^M: must be symmetric"):
        U.psd_sqrt(M)
    R = U.psd_sqrt(M @ M.T)  # a symmetric PSD matrix is accepted and its root squares back
    check_close(R @ R, M @ M.T, rtol=1e-12)


def test_contractive_weight_refuses_singular_A():
    A = torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=F64)  # rank 1: W would have norm 1
    with pytest.raises(ValueError, match=r"^A: must be invertible"):
        U.contractive_weight(A)
    W = U.contractive_weight(A + 0.5 * torch.eye(2, dtype=F64))
    assert float(torch.linalg.matrix_norm(W, 2)) < 1.0


@pytest.mark.parametrize("fn", ["relu_state_bound", "orthogonal_projection"])
def test_nan_gives_a_clear_error(fn):
    theta, _ = _rand_rnn()
    W = theta.W.clone()
    W[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"^W: must be finite"):
        if fn == "relu_state_bound":
            U.relu_state_bound(W, theta.F, theta.b, 1.0)
        else:
            U.orthogonal_projection(W)


def test_restarts_are_selected_by_training_loss():
    out = U.run_learning_experiment(sizes=[2, 3], n_real=2, snr_db=20, T=12, n_seq=6, epochs=3, n_restarts=3,
                                    lr_final=1e-3, device="cpu", show_progress=False, dtype=F64)
    assert out["r2_all"].shape == (2, 2, 2, 3) and out["losses"].shape == (3, 2, 2, 2, 3)
    best = out["losses"][-1].argmin(-1)
    check_close(out["r2"], torch.gather(out["r2_all"], -1, best.unsqueeze(-1)).squeeze(-1), atol=0.0)
    assert torch.equal(out["best_restart"], best)
    check_close(out["ceiling"], 1 / (1 + 10 ** -2), rtol=1e-12)


def test_learning_rate_decays_to_lr_final():
    g = torch.Generator().manual_seed(3)
    init = U.init_rnn_models([2], 1, 1, 1, generator=g, device="cpu", dtype=F64)
    x, y = torch.randn(1, 4, 5, 1, generator=g, dtype=F64), torch.randn(1, 4, 5, 1, generator=g, dtype=F64)
    order = torch.stack([torch.randperm(4, generator=g) for _ in range(3)])
    a, _ = U.train_rnn_models(init, x, y, unitary=False, epochs=3, batch_size=4, lr=0.01, lr_final=0.01, order=order,
                              show_progress=False)
    b, _ = U.train_rnn_models(init, x, y, unitary=False, epochs=3, batch_size=4, lr=0.01, order=order, show_progress=False)
    c, _ = U.train_rnn_models(init, x, y, unitary=False, epochs=3, batch_size=4, lr=0.01, lr_final=1e-4, order=order,
                              show_progress=False)
    check_close(a["W"], b["W"], atol=1e-14)  # lr_final = lr: no decay
    assert not check_close(c["W"], b["W"], atol=1e-9, strict=False).passed


def test_identity_initialisation():
    p = U.init_rnn_models([2, 3], 2, 1, 1, device="cpu", dtype=F64, w_init="identity")
    check_close(p["W"][0, 0], torch.diag(torch.tensor([1.0, 1.0, 0.0], dtype=F64)), atol=0.0)
    with pytest.raises(ValueError, match=r"^w_init: must be"):
        U.init_rnn_models([2], 1, 1, 1, device="cpu", w_init="eye")


def test_size_ratio_against_a_hand_count():
    r2 = torch.tensor([[[0.2], [0.8], [0.9], [0.91]], [[0.1], [0.3], [0.5], [0.89]]], dtype=F64)  # sizes 2, 4, 6, 8
    out = U.size_ratio(r2, [2, 4, 6, 8], level_fraction=0.97)  # level 0.8827: standard at 6, unitary at 8
    assert out["n_std"].tolist() == [6.0] and out["n_uni"].tolist() == [8.0] and not out["censored"].any()
    check_close(out["ratio"], [8 / 6], rtol=1e-12)


def test_linear_baseline_sees_only_the_last_steps():
    d = U.permuted_digits(seed=0, device="cpu", dtype=F64)
    full = U.linear_baseline_correct(d["x_train"], d["y_train"], d["x_test"], d["y_test"]).mean()
    last8 = U.linear_baseline_correct(d["x_train"], d["y_train"], d["x_test"], d["y_test"], last_k=8).mean()
    assert full > last8 + 0.1 and last8 > 0.2  # all 64 pixels beat 8 of them; 8 pixels beat chance
