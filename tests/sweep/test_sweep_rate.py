"""Bad-input sweep of :mod:`rnnmath.rate` (issue 11): every public name refuses or computes correctly."""
import math

import numpy as np
import pytest
import torch

from rnnmath import rate
from sweep._sweep import Case, run_case

CPU = torch.device("cpu")
NAN = float("nan")
INF = float("inf")


def _model(B=2, N=4, I=2, O=1, seed=0, **kw):
    g = torch.Generator().manual_seed(seed)
    return rate.initialise_ensemble(B, N, I, O, 0.5, generator=g, device=CPU, dtype=torch.float64, **kw)


def _parts(B=2, N=4, I=2, O=1):
    m = _model(B, N, I, O)
    return m.W_rec.detach().clone(), m.W_in.clone(), m.b.clone(), m.W_out.clone()


def _with(idx, value):
    parts = list(_parts())
    parts[idx] = value
    return parts


def _nan_at(t):
    t = t.clone()
    t.view(-1)[0] = NAN
    return t


def _W(B=2, N=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, N, N, generator=g, dtype=torch.float64) * (1 - torch.eye(N, dtype=torch.float64))


def _ensemble(B=2, N=4):
    W = _W(B, N)
    return rate.TrainedEnsemble(W, W + 0.1, torch.ones(B, N, 2), torch.zeros(B, N), torch.ones(B, 1, N),
                                torch.zeros(3, B), dict(tau=100.0, dt=10.0, sigma=0.01))


def _inputs(m, K=3, T=5, value=0.5):
    return torch.full((m.n_networks, K, T, m.n_inputs), value, dtype=torch.float64)


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=float)


def _close(a, b, tol=1e-10):
    a, b = _np(a), _np(b)
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))) <= tol


def _forward_matches_loop(out):
    """Independent reference: one explicit Euler step per time, written out with einsum."""
    m, u, (rates, z) = out
    r = torch.zeros(m.n_networks, u.shape[1], m.n_units, dtype=torch.float64)
    a = m.alpha
    for t in range(u.shape[2]):
        pre = torch.einsum("bij,bkj->bki", m.W_rec.detach(), r) + torch.einsum("bij,bkj->bki", m.W_in, u[:, :, t]) + m.b[:, None]
        r = (1 - a) * r + a * torch.clamp(pre, min=0)
    return _close(rates[:, :, -1], r) and _close(z, torch.einsum("boj,bktj->bkto", m.W_out, rates))


def _jacobian_case():
    m = _model()
    g = torch.Generator().manual_seed(1)
    r = torch.rand(2, 1, 4, generator=g, dtype=torch.float64)
    u = torch.rand(2, 1, 2, generator=g, dtype=torch.float64)
    return m, r, u, rate.continuous_jacobian(m, r, u)


def _jacobian_matches_autograd(t):
    m, r, u, J = t
    ref = torch.autograd.functional.jacobian(lambda x: m.drift(x, u), r)  # (2, 1, 4, 2, 1, 4)
    ref = torch.stack([ref[b, 0, :, b, 0, :] for b in range(2)])
    return _close(J[:, 0], ref, 1e-12)


def _np_mean_offdiag(W):
    W = np.asarray(W, dtype=float)
    N = W.shape[-1]
    mask = ~np.eye(N, dtype=bool)
    return np.array([w[mask].mean() for w in W])


CASES = [
    # ------------------------------------------------------------------ RateRNN
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), leak_angle=NAN), ValueError, "leak_angle: must not be NaN", why="NaN leak angle"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), leak_angle=1.0), ValueError, "leak_angle: must lie in", why="angle above pi/4"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), tau=NAN), ValueError, "tau: must be > 0", why="NaN tau"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), tau=INF, dt=10.0), ValueError, "tau: must be finite", why="infinite tau"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), dt=200.0), ValueError, "dt: alpha = dt/tau must be <= 1", why="alpha > 1"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), dt=0.0), ValueError, "dt: must be > 0", why="zero step"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), sigma=-1.0), ValueError, "sigma: must be >= 0", why="negative noise"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), sigma=INF), ValueError, "sigma: must be finite", why="infinite noise"),
    Case("RateRNN", lambda: rate.RateRNN(*_parts(), noise="middle"), ValueError, "noise: must be one of", why="unknown noise form"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, _nan_at(_parts()[0]))), ValueError, "W_rec: must be finite", why="NaN W_rec"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(1, _nan_at(_parts()[1]))), ValueError, "W_in: must be finite", why="NaN W_in"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(2, torch.full((2, 4), INF, dtype=torch.float64))), ValueError, "b: must be finite", why="inf bias"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(3, _nan_at(_parts()[3]))), ValueError, "W_out: must be finite", why="NaN W_out"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, torch.zeros(2, 4, 4, dtype=torch.int64))), TypeError, "W_rec: must be a float", why="integer W_rec"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, torch.zeros(2, 4, 4, dtype=torch.complex128))), TypeError, "W_rec: must be a float", why="complex W_rec"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, torch.zeros(2, 4, 4, dtype=torch.float16))), TypeError, "W_rec: must be a float", why="float16 W_rec"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, torch.zeros(4, 4, dtype=torch.float64))), ValueError, "W_rec: must have shape", why="unbatched W_rec"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, torch.zeros(2, 4, 3, dtype=torch.float64))), ValueError, "W_rec: must be a square", why="non-square W_rec"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(1, torch.zeros(2, 5, 2, dtype=torch.float64))), ValueError, "W_in: must have shape", why="W_in of another N"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(2, torch.zeros(3, 4, dtype=torch.float64))), ValueError, "b: must have shape", why="b of another B"),
    Case("RateRNN", lambda: rate.RateRNN(*_with(0, torch.zeros(0, 4, 4, dtype=torch.float64))), ValueError, "W_rec: must hold at least one", why="empty ensemble"),
    Case("RateRNN", lambda: rate.RateRNN(*[p.numpy() for p in _parts()]), None,
         ok=lambda m: _close(m.W_rec.detach(), _parts()[0]) and isinstance(m.W_rec, torch.Tensor), why="numpy inputs converted"),
    Case("RateRNN.forward", lambda: _model()(_nan_at(_inputs(_model()))), ValueError, "inputs: must be finite", why="NaN input"),
    Case("RateRNN.forward", lambda: _model()(torch.zeros(2, 3, 5, 3, dtype=torch.float64)), ValueError, "inputs: must have shape", why="wrong input width"),
    Case("RateRNN.forward", lambda: _model()(_inputs(_model()), r0=torch.full((2, 3, 4), NAN, dtype=torch.float64)), ValueError, "r0: must be finite", why="NaN r0"),
    Case("RateRNN.forward", lambda: _model()(_inputs(_model()), noise=torch.zeros(2, 3, 5, 5, dtype=torch.float64)), ValueError, "noise: must have shape", why="noise of wrong N"),
    Case("RateRNN.forward", lambda: (lambda m, u: (m, u, m(u, noise=torch.zeros(2, 3, 5, 4, dtype=torch.float64))))(_model(), _inputs(_model())),
         None, ok=_forward_matches_loop, why="noise-free forward equals an explicit loop"),
    Case("RateRNN.drift", lambda: _model().drift(torch.zeros(2, 3, 4, dtype=torch.float64), torch.zeros(2, 3, 3, dtype=torch.float64)), ValueError, "u: must have shape", why="u of wrong width"),
    Case("RateRNN.drift", lambda: _model().drift(torch.full((2, 3, 4), NAN, dtype=torch.float64), torch.zeros(2, 3, 2, dtype=torch.float64)), ValueError, "r: must be finite", why="NaN state"),
    Case("RateRNN.with_leak_angle", lambda: _model().with_leak_angle(NAN), ValueError, "leak_angle: must not be NaN", why="NaN angle"),
    Case("RateRNN.with_weights", lambda: _model().with_weights(torch.zeros(2, 5, 5, dtype=torch.float64)), ValueError, "W_rec: must have shape", why="other N"),
    Case("RateRNN.select", lambda: _model().select([5]), ValueError, "idx: ", why="index out of range"),
    Case("RateRNN.select", lambda: _model().select([]), ValueError, "idx: ", why="empty selection"),
    # ------------------------------------------------------------------ initialise_ensemble
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(0, 4, 1, 1, 0.5, device=CPU), ValueError, "n_networks: must be a positive integer", why="zero networks"),
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(2, 2.5, 1, 1, 0.5, device=CPU), ValueError, "n_units: must be a positive integer", why="fractional N"),
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(2, 4, 1, 1, NAN, device=CPU), ValueError, "input_std: must be > 0", why="NaN std"),
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(2, 4, 1, 1, INF, device=CPU), ValueError, "input_std: must be finite", why="inf std"),
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(2, 4, 1, 1, 0.5, reading="sd", device=CPU), ValueError, "reading: must be", why="unknown reading"),
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(2, 4, 1, 1, 0.5, device=CPU, dtype=torch.int64), TypeError, "dtype: must be", why="integer dtype"),
    Case("initialise_ensemble", lambda: rate.initialise_ensemble(3, 50, 1, 1, 0.5, device=CPU, dtype=torch.float64), None,
         ok=lambda m: abs(float(m.W_rec.detach()[:, ~torch.eye(50, dtype=torch.bool)].std()) * 50**0.5 - 1) < 0.1
         and float(torch.diagonal(m.W_rec.detach(), dim1=-2, dim2=-1).abs().max()) == 0.0, why="std 1/sqrt(N), zero diagonal"),
    # ------------------------------------------------------------------ small helpers
    Case("euler_maruyama_noise_std", lambda: rate.euler_maruyama_noise_std(NAN, 10.0, 100.0), ValueError, "sigma: must be >= 0", why="NaN sigma"),
    Case("euler_maruyama_noise_std", lambda: rate.euler_maruyama_noise_std(0.01, INF, 100.0), ValueError, "dt: must be finite", why="inf dt"),
    Case("euler_maruyama_noise_std", lambda: rate.euler_maruyama_noise_std(0.01, 10.0, -1.0), ValueError, "tau: must be > 0", why="negative tau"),
    Case("euler_maruyama_noise_std", lambda: rate.euler_maruyama_noise_std(0.01, 10.0, 100.0), None,
         ok=lambda s: abs(s - math.sqrt(0.01**2 * 2 * 100.0 * 10.0) / 100.0) < 1e-15, why="sqrt(2 tau sigma^2 dt)/tau"),
    Case("expected_relu", lambda: rate.expected_relu(NAN, 1.0), ValueError, "m: must (be finite|not be NaN)", why="NaN mean"),
    Case("expected_relu", lambda: rate.expected_relu(0.0, 0.0), ValueError, "s: must be > 0", why="zero std"),
    Case("expected_relu", lambda: rate.expected_relu(0.0, NAN), ValueError, "s: must be > 0", why="NaN std"),
    Case("expected_relu", lambda: rate.expected_relu("a", 1.0), TypeError, "m: must be", why="string mean"),
    Case("expected_relu", lambda: rate.expected_relu([0.0, 1.0], 2.0), None,
         ok=lambda v: _close(v, [2.0 / math.sqrt(2 * math.pi),
                                 float(np.mean(np.maximum(0.0, 1.0 + 2.0 * np.random.default_rng(0).standard_normal(2_000_000))))], 5e-3),
         why="closed form vs Monte Carlo"),
    Case("mean_drift_at", lambda: rate.mean_drift_at(0.1, 0.01, 10.0, 100.0, noise="in"), ValueError, "noise: must be one of", why="unknown noise"),
    Case("mean_drift_at", lambda: rate.mean_drift_at(NAN, 0.01, 10.0, 100.0), ValueError, "m: must (be finite|not be NaN)", why="NaN m"),
    Case("mean_drift_at", lambda: rate.mean_drift_at(0.1, 0.01, 0.0, 100.0), ValueError, "dt: must be > 0", why="zero dt"),
    Case("mean_drift_at", lambda: rate.mean_drift_at(0.3, 0.01, 10.0, 100.0), None, ok=lambda v: abs(float(v) - 0.003) < 1e-15, why="relu(m)/tau"),
    Case("continuous_jacobian", lambda: rate.continuous_jacobian(_model(), torch.zeros(2, 3, 4, dtype=torch.float64), torch.zeros(2, 3, 5, dtype=torch.float64)),
         ValueError, "u: must have shape", why="u of wrong width"),
    Case("continuous_jacobian", lambda: rate.continuous_jacobian(_model(), torch.full((2, 3, 4), NAN, dtype=torch.float64), torch.zeros(2, 3, 2, dtype=torch.float64)),
         ValueError, "r: must be finite", why="NaN state"),
    Case("continuous_jacobian", lambda: rate.continuous_jacobian("model", torch.zeros(2, 3, 4), torch.zeros(2, 3, 2)), TypeError, "model: must be a RateRNN", why="not a model"),
    Case("continuous_jacobian", lambda: _jacobian_case(), None, ok=_jacobian_matches_autograd, why="Jacobian vs autograd"),
    Case("relax", lambda: rate.relax(_model(), torch.zeros(2, 3, 2, dtype=torch.float64), torch.zeros(2, 3, 4, dtype=torch.float64), -1), ValueError, "n_steps: must be a non-negative integer", why="negative steps"),
    Case("relax", lambda: rate.relax(_model(), torch.zeros(2, 3, 5, dtype=torch.float64), torch.zeros(2, 3, 4, dtype=torch.float64), 3), ValueError, "u: must have shape", why="u of wrong width"),
    Case("relax", lambda: rate.relax(_model(), torch.zeros(2, 3, 2, dtype=torch.float64), torch.full((2, 3, 4), NAN, dtype=torch.float64), 3), ValueError, "r0: must be finite", why="NaN start"),
    Case("relax", lambda: rate.relax(_model(), torch.full((2, 3, 2), NAN, dtype=torch.float64), torch.zeros(2, 3, 4, dtype=torch.float64), 3), ValueError, "u: must be finite", why="NaN input"),
    Case("relax", lambda: (lambda m: (m, rate.relax(m, torch.zeros(2, 1, 2, dtype=torch.float64), torch.zeros(2, 1, 4, dtype=torch.float64), 0)))(_model()),
         None, ok=lambda t: _close(t[1][0], 0.0) and _close(t[1][1], t[0].drift(torch.zeros(2, 1, 4, dtype=torch.float64), torch.zeros(2, 1, 2, dtype=torch.float64)).norm(dim=-1)),
         why="zero steps returns r0 and its speed"),
    # ------------------------------------------------------------------ tasks
    Case("PerceptionTask", lambda: rate.PerceptionTask(n_steps=0), ValueError, "n_steps: must be a positive integer", why="zero steps"),
    Case("PerceptionTask", lambda: rate.PerceptionTask(input_noise=NAN), ValueError, "input_noise: must be >= 0", why="NaN noise"),
    Case("PerceptionTask", lambda: rate.PerceptionTask(input_noise=INF), ValueError, "input_noise: must be finite", why="inf noise"),
    Case("PerceptionTask", lambda: rate.PerceptionTask(levels=(), answers=()), ValueError, "levels: must", why="no levels"),
    Case("PerceptionTask", lambda: rate.PerceptionTask(levels=(0.8, NAN)), ValueError, "levels: (must be finite|entries must not be NaN)", why="NaN level"),
    Case("PerceptionTask", lambda: rate.PerceptionTask(answers=(0.5,)), ValueError, "answers: needs one answer", why="too few answers"),
    Case("PerceptionTask.sample", lambda: rate.PerceptionTask(n_steps=3).sample(0, 2, device=CPU), ValueError, "n_networks: must be a positive integer", why="zero networks"),
    Case("PerceptionTask.condition_grid", lambda: rate.PerceptionTask(n_steps=3).condition_grid(2, n_per_level=0, device=CPU), ValueError, "n_per_level: must be a positive integer", why="zero repeats"),
    Case("PerceptionTask.sample", lambda: rate.PerceptionTask(n_steps=4, input_noise=0.0).sample(3, 5, device=CPU), None,
         ok=lambda tb: bool(torch.all((tb.targets[..., 0, 0] == 0.5) == (tb.inputs[..., 0, 0] == torch.tensor(0.8)))), why="0.8 -> 0.5, 0.5 -> 0.8"),
    Case("DecisionTask", lambda: rate.DecisionTask(low=0.8, high=0.2), ValueError, "high: must exceed low", why="empty range"),
    Case("DecisionTask", lambda: rate.DecisionTask(low=NAN), ValueError, "low: must (be finite|not be NaN)", why="NaN low"),
    Case("DecisionTask", lambda: rate.DecisionTask(low="low"), TypeError, "low: must be a real number", why="string low"),
    Case("DecisionTask", lambda: rate.DecisionTask(high=INF), ValueError, "high: must be finite", why="inf high"),
    Case("DecisionTask", lambda: rate.DecisionTask(n_steps=2.5), ValueError, "n_steps: must be a positive integer", why="fractional steps"),
    Case("DecisionTask.condition_grid", lambda: rate.DecisionTask(n_steps=3).condition_grid(2, n_per_axis=0, device=CPU), ValueError, "n_per_axis: must be a positive integer", why="empty grid"),
    Case("DecisionTask.sample", lambda: rate.DecisionTask(n_steps=3).sample(2, -1, device=CPU), ValueError, "n_trials: must be a positive integer", why="negative trials"),
    Case("DecisionTask.sample", lambda: rate.DecisionTask(n_steps=3, input_noise=0.0).sample(2, 50, device=CPU), None,
         ok=lambda tb: bool(torch.all(tb.targets[..., 0, 0] == (tb.inputs[..., 0, 1] > tb.inputs[..., 0, 0]).float())), why="target = [u2 > u1]"),
    # ------------------------------------------------------------------ training
    Case("TrainedEnsemble", lambda: _ensemble().model("final", device=CPU), ValueError, "which: must be", why="unknown weights"),
    Case("TrainedEnsemble", lambda: rate.TrainedEnsemble(_W(2, 4), _W(2, 5), torch.ones(2, 4, 2), torch.zeros(2, 4), torch.ones(2, 1, 4), torch.zeros(3, 2), {}),
         ValueError, "W_rec_trained: must have shape", why="initial and trained of other N"),
    Case("TrainedEnsemble", lambda: _ensemble().model("initial", device=CPU), None,
         ok=lambda m: _close(m.W_rec.detach(), _ensemble().W_rec_init), why="initial weights"),
    Case("l2_loss_over_time", lambda: rate.l2_loss_over_time(torch.zeros(2, 3, 4, 1), torch.zeros(2, 3, 4, 2)), ValueError, "targets: must have shape", why="mismatched outputs"),
    Case("l2_loss_over_time", lambda: rate.l2_loss_over_time(torch.full((2, 3, 4, 1), NAN), torch.zeros(2, 3, 4, 1)), ValueError, "outputs: must be finite", why="NaN outputs"),
    Case("l2_loss_over_time", lambda: rate.l2_loss_over_time(torch.zeros(3, 4, 1), torch.zeros(3, 4, 1)), ValueError, "outputs: must have shape", why="rank 3"),
    Case("l2_loss_over_time", lambda: rate.l2_loss_over_time(torch.zeros(2, 0, 4, 1), torch.zeros(2, 0, 4, 1)), ValueError, "outputs: is empty", why="no trials"),
    Case("l2_loss_over_time", lambda: rate.l2_loss_over_time(torch.ones(2, 3, 4, 1), torch.zeros(2, 3, 4, 1) + torch.arange(2.0)[:, None, None, None] * 3),
         None, ok=lambda v: _close(v, [1.0, 4.0]), why="per-network MSE"),
    Case("fit", lambda: rate.fit(_model(), None, 3), TypeError, "batches: must be callable", why="no data stream"),
    Case("fit", lambda: rate.fit("model", lambda it: None, 3), TypeError, "model: must be a RateRNN", why="not a model"),
    Case("fit", lambda: rate.fit(_model(), lambda it: None, -1), ValueError, "n_iters: must be a non-negative integer", why="negative iterations"),
    Case("fit", lambda: rate.fit(_model(), lambda it: None, 2, lr=NAN), ValueError, "lr: must be > 0", why="NaN rate"),
    Case("fit", lambda: rate.fit(_model(), lambda it: None, 2, lr=INF), ValueError, "lr: must be finite", why="inf rate"),
    Case("fit", lambda: (lambda m: (m, rate.fit(m, lambda it: None, 0)))(_model()), None,
         ok=lambda t: tuple(t[1].shape) == (0, 2) and _close(t[0].W_rec.detach(), _model().W_rec.detach()), why="zero iterations change nothing"),
    Case("trial_stream", lambda: rate.trial_stream("decision", 2, 3, 0, device=CPU), ValueError, "n_units: must be a positive integer", why="zero units"),
    Case("trial_stream", lambda: rate.trial_stream("memory", 2, 3, 4, device=CPU), ValueError, "task: must be one of", why="unknown task"),
    Case("trial_stream", lambda: rate.trial_stream(rate.DecisionTask(n_steps=3), 2, 0, 4, device=CPU), ValueError, "n_trials: must be a positive integer", why="zero trials"),
    Case("trial_stream", lambda: rate.trial_stream(rate.DecisionTask(n_steps=3), 2, 3, 4, seed=5, device=CPU), None,
         ok=lambda s: _close(s(1)[0].inputs, s(1)[0].inputs, 0) and not _close(s(1)[0].inputs, s(2)[0].inputs, 1e-3), why="replayable and iteration-dependent"),
    Case("train_ensemble", lambda: rate.train_ensemble("decision", 2, 0, 1, 2, device=CPU), ValueError, "n_units: must be a positive integer", why="zero units"),
    Case("train_ensemble", lambda: rate.train_ensemble(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, dt=0.0, device=CPU), ValueError, "dt: must be > 0", why="zero dt"),
    Case("train_ensemble", lambda: rate.train_ensemble(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, reading="var", device=CPU), ValueError, "reading: must be", why="unknown reading"),
    Case("train_ensemble", lambda: rate.train_ensemble(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, lr=-1.0, device=CPU), ValueError, "lr: must be > 0", why="negative rate"),
    Case("train_ensemble", lambda: rate.train_ensemble(rate.DecisionTask(n_steps=3), 2, 4, 0, 2, device=CPU), None,
         ok=lambda e: _close(e.W_rec_init, e.W_rec_trained, 0) and tuple(e.loss_history.shape) == (0, 2), why="no steps: untrained"),
    Case("load_or_train", lambda: rate.load_or_train(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, lr="fast", device=CPU), TypeError, "lr: must be a real number", why="string rate"),
    Case("load_or_train", lambda: rate.load_or_train(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, tau=NAN, device=CPU), ValueError, "tau: must be > 0", why="NaN tau"),
    Case("load_or_train", lambda: rate.load_or_train(rate.DecisionTask(n_steps=3), 0, 4, 1, 2, device=CPU), ValueError, "n_networks: must be a positive integer", why="zero networks"),
    Case("load_or_train", lambda: rate.load_or_train(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, seed=1.5, device=CPU), TypeError, "seed: must be an integer", why="fractional seed"),
    Case("train_ensemble", lambda: rate.train_ensemble(rate.DecisionTask(n_steps=3), 2, 4, 1, 2, leak_angle=NAN, device=CPU), ValueError, "leak_angle: must not be NaN", why="NaN angle"),
    Case("standard_ensemble", lambda: rate.standard_ensemble("memory"), ValueError, "task_name: must be one of", why="unknown task"),
    Case("standard_ensemble", lambda: rate.standard_ensemble("decision", scale="medium"), ValueError, "scale: ", why="unknown scale"),
    Case("cache_dir", lambda: rate.cache_dir(), None, ok=lambda p: p.is_dir(), why="returns an existing folder"),
    # ------------------------------------------------------------------ weight analyses
    Case("mean_weight", lambda: rate.mean_weight(_nan_at(_W())), ValueError, "W: must be finite", why="NaN W"),
    Case("mean_weight", lambda: rate.mean_weight(torch.zeros(2, 3, 4)), ValueError, "W: must be a square", why="non-square"),
    Case("mean_weight", lambda: rate.mean_weight(torch.zeros(3, 3)), ValueError, "W: must have shape", why="unbatched"),
    Case("mean_weight", lambda: rate.mean_weight(torch.ones(2, 1, 1)), ValueError, "W: needs N >= 2", why="no off-diagonal entries"),
    Case("mean_weight", lambda: rate.mean_weight(torch.zeros(2, 3, 3, dtype=torch.complex128)), TypeError, "W: must be real", why="complex W"),
    Case("mean_weight", lambda: rate.mean_weight(torch.zeros(0, 3, 3)), ValueError, "W: is empty", why="no matrices"),
    Case("mean_weight", lambda: rate.mean_weight(np.arange(18).reshape(2, 3, 3)), None, ok=lambda v: _close(v, _np_mean_offdiag(np.arange(18).reshape(2, 3, 3))), why="integer numpy input"),
    Case("mean_weight", lambda: rate.mean_weight(_W().tolist()), None, ok=lambda v: _close(v, _np_mean_offdiag(_W())), why="nested-list input"),
    Case("singular_value_energy", lambda: rate.singular_value_energy(_W(), 0), ValueError, "k: must be an integer", why="k = 0"),
    Case("singular_value_energy", lambda: rate.singular_value_energy(_W(), 2.0), ValueError, "k: must be an integer", why="float k"),
    Case("singular_value_energy", lambda: rate.singular_value_energy(_nan_at(_W()), 1), ValueError, "W: must be finite", why="NaN W"),
    Case("singular_value_energy", lambda: rate.singular_value_energy(torch.zeros(2, 3, 3), 1), ValueError, "W: must not be a zero matrix", why="0/0"),
    Case("singular_value_energy", lambda: rate.singular_value_energy(_W(), 5), None, ok=lambda v: _close(v, [1.0, 1.0]), why="all singular values carry all energy"),
    Case("effective_rank", lambda: rate.effective_rank(torch.zeros(2, 3, 3)), ValueError, "W: must not be a zero matrix", why="0/0"),
    Case("effective_rank", lambda: rate.effective_rank(torch.full((2, 3, 3), INF)), ValueError, "W: must be finite", why="inf W"),
    Case("effective_rank", lambda: rate.effective_rank(torch.zeros(3, 3)), ValueError, "W: must have shape", why="unbatched"),
    Case("effective_rank", lambda: rate.effective_rank(torch.diag_embed(torch.tensor([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]))), None, ok=lambda v: _close(v, [2.0, 3.0]), why="equal singular values"),
    Case("abs_eigenvector_centrality", lambda: rate.abs_eigenvector_centrality(_W(), n_iter=0), ValueError, "n_iter: must be a positive integer", why="no iterations"),
    Case("abs_eigenvector_centrality", lambda: rate.abs_eigenvector_centrality(_W(), tol=NAN), ValueError, "tol: must be > 0", why="NaN tol"),
    Case("abs_eigenvector_centrality", lambda: rate.abs_eigenvector_centrality(_nan_at(_W())), ValueError, "W: must be finite", why="NaN W"),
    Case("abs_eigenvector_centrality", lambda: rate.abs_eigenvector_centrality(_W(), n_iter=2), ValueError, "n_iter: power iteration did not converge", why="unconverged"),
    Case("abs_eigenvector_centrality", lambda: rate.abs_eigenvector_centrality(_W()), None,
         ok=lambda t: all(_close(t[0][b] / t[0][b].sum(), np.abs(np.linalg.eig(np.abs(_W()[b].numpy()).T)[1][:, np.argmax(np.abs(np.linalg.eig(np.abs(_W()[b].numpy()).T)[0]))]) /
                                 np.abs(np.linalg.eig(np.abs(_W()[b].numpy()).T)[1][:, np.argmax(np.abs(np.linalg.eig(np.abs(_W()[b].numpy()).T)[0]))]).sum(), 1e-9) for b in range(2)),
         why="Perron vector vs numpy eig"),
    Case("henrici_departure", lambda: rate.henrici_departure(_nan_at(_W())), ValueError, "W: must be finite", why="NaN W"),
    Case("henrici_departure", lambda: rate.henrici_departure(torch.zeros(2, 2, 3)), ValueError, "W: must be a square", why="non-square"),
    Case("henrici_departure", lambda: rate.henrici_departure(torch.tensor([[[0.0, 3.0], [0.0, 0.0]]])), None, ok=lambda v: _close(v, [3.0], 1e-12), why="nilpotent 2x2"),
    Case("schur_departure", lambda: rate.schur_departure(_W(), norm="nuc"), ValueError, "norm: must be", why="unknown norm"),
    Case("schur_departure", lambda: rate.schur_departure(_nan_at(_W())), ValueError, "W: must be finite", why="NaN W"),
    Case("schur_departure", lambda: rate.schur_departure(_W()), None, ok=lambda v: _close(v, rate.henrici_departure(_W()), 1e-9), why="Frobenius = Henrici"),
    Case("paired_comparison", lambda: rate.paired_comparison([1.0, 2.0, NAN], [1.0, 2.0, 3.0]), ValueError, "before: must be finite", why="NaN sample"),
    Case("paired_comparison", lambda: rate.paired_comparison([1.0, 2.0, 3.0], [1.0, INF, 3.0]), ValueError, "after: must be finite", why="inf sample"),
    Case("paired_comparison", lambda: rate.paired_comparison([1.0, 2.0], [1.0, 2.0]), ValueError, "before: need at least 3", why="too few"),
    Case("paired_comparison", lambda: rate.paired_comparison([1.0, 2.0, 3.0], [1.0, 2.0]), ValueError, "after: must have the same shape", why="unpaired"),
    Case("paired_comparison", lambda: rate.paired_comparison([1, 2, 3, 4], [2, 4, 5, 8]), None,
         ok=lambda d: _close(d["mean_change"], 2.25) and _close(d["cohen_dz"], 2.25 / np.std([1, 2, 2, 4], ddof=1)), why="paired effect size"),
    Case("shuffle_offdiagonal", lambda: rate.shuffle_offdiagonal(_W(), generator=7), TypeError, "generator: must be a torch.Generator", why="int generator"),
    Case("shuffle_offdiagonal", lambda: rate.shuffle_offdiagonal(_nan_at(_W())), ValueError, "W: must be finite", why="NaN W"),
    Case("shuffle_offdiagonal", lambda: rate.shuffle_offdiagonal(_W(), generator=torch.Generator().manual_seed(3)), None,
         ok=lambda S: all(_close(np.sort(S[b][~torch.eye(5, dtype=torch.bool)].numpy()), np.sort(_W()[b][~torch.eye(5, dtype=torch.bool)].numpy()), 0) for b in range(2))
         and not _close(S, _W(), 1e-6), why="same entries, permuted"),
    Case("top_entry_energy", lambda: rate.top_entry_energy(_W(), 0.0), ValueError, "fraction: must be > 0", why="zero fraction"),
    Case("top_entry_energy", lambda: rate.top_entry_energy(_W(), NAN), ValueError, "fraction: must not be NaN", why="NaN fraction"),
    Case("top_entry_energy", lambda: rate.top_entry_energy(torch.zeros(2, 4, 4)), ValueError, "W: must not be a zero matrix", why="0/0"),
    Case("scaling_ensembles", lambda: rate.scaling_ensembles("memory", (8, 16)), ValueError, "task_name: must be one of", why="unknown task"),
    Case("scaling_ensembles", lambda: rate.scaling_ensembles("perception", (16,)), ValueError, "n_units_list: needs at least two", why="one size"),
    Case("scaling_ensembles", lambda: rate.scaling_ensembles("perception", (16, 16)), ValueError, "n_units_list: needs at least two distinct", why="repeated size"),
    Case("scaling_ensembles", lambda: rate.scaling_ensembles("perception", (16, 1)), ValueError, "n_units_list: every size must be an integer >= 2", why="N = 1"),
    Case("scaling_ensembles", lambda: rate.scaling_ensembles("perception", (16, 32.5)), ValueError, "n_units_list: every size must be an integer", why="float size"),
    Case("scaling_ensembles", lambda: rate.scaling_ensembles("perception", 16), TypeError, "n_units_list: must be a sequence", why="scalar"),
    Case("initialisation_regime", lambda: rate.initialisation_regime(4, "spread", 2, 2, 5, device=CPU), ValueError, "reading: must be", why="unknown reading"),
    Case("initialisation_regime", lambda: rate.initialisation_regime(4, "std", 2, 0, 5, device=CPU), ValueError, "n_starts: must be", why="no starts"),
    Case("initialisation_regime", lambda: rate.initialisation_regime(4, "std", 2, 2, 0, device=CPU), ValueError, "n_relax: must be a positive", why="no steps"),
    Case("initialisation_regime", lambda: rate.initialisation_regime(0, "std", 2, 2, 5, device=CPU), ValueError, "n_units: must be", why="N = 0"),
    Case("initialisation_regime", lambda: rate.initialisation_regime(6, "std", 2, 3, 2000, seed=4, device=CPU), None,
         ok=lambda d: _close(d["rho"], torch.linalg.eigvals(rate.initialise_ensemble(2, 6, 1, 1, 3**-0.5, generator=torch.Generator().manual_seed(4),
                                                                                     device=CPU, dtype=torch.float64).W_rec.detach()).abs().amax(-1), 1e-12)
         and bool((d["lam"] < 0).all()) and d["finite"] == 1.0, why="radius = eigvals of the same draw; stable"),
    Case("top_entry_energy", lambda: rate.top_entry_energy(_W(), 1.0), None, ok=lambda v: _close(v, [1.0, 1.0]), why="all entries carry everything"),
]

EXEMPT = {
    "TrialBatch": "a plain dataclass of three tensors, built only by the tasks (their cases cover it)",
    "TASKS": "a constant dict of the two task classes",
    "STANDARD_ENSEMBLES": "a constant dict of preset sizes",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)


def test_every_public_name_is_swept():
    covered = {c.func.split(".")[0] for c in CASES} | set(EXEMPT)
    assert set(rate.__all__) <= covered, sorted(set(rate.__all__) - covered)
