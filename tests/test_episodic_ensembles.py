"""Unit tests of rnnmath.episodic_ensembles: the helpers behind chapters 05-06's ensembles."""
import numpy as np
import torch

from rnnmath import episodic as ep
from rnnmath import episodic_ensembles as ee
from rnnmath.verify import DecisionRule, claim_verdict

D = torch.float64


def test_sharp_threshold_on_small_ensembles():
    """No rise at lambda_min = -1, rises at -1.5 (theorem cccp-sharp), decided by the chapter's rule."""
    g = torch.Generator().manual_seed(1)
    lam = torch.tensor([-1.0, -1.5], dtype=D).repeat_interleave(200)
    W = ee.symmetric_ensemble(400, 8, lam, generator=g, device="cpu")
    _, E = ep.run_elman(2 * torch.randn(400, 8, generator=g, dtype=D), W, 30)
    frac = ee.rising_fraction(E).reshape(2, 200)
    assert float(frac[0].max()) == 0.0
    rule = DecisionRule("greater", 0.01)
    assert claim_verdict("rises", rule=rule, statistic="f", samples=frac[1].numpy()).verdict == "supported"
    assert claim_verdict("rises", rule=rule, statistic="f", samples=frac[0].numpy()).verdict == "contradicted"


def test_two_step_function_never_rises_where_energy_does():
    g = torch.Generator().manual_seed(2)
    W = ee.symmetric_ensemble(100, 6, -1.8, generator=g, device="cpu")
    X, E = ep.run_elman(2 * torch.randn(100, 6, generator=g, dtype=D), W, 30)
    assert float(ee.rising_fraction(E).mean()) > 0.01
    dG = torch.diff(ee.two_step_lyapunov(X, W), dim=0)
    assert float(dG.max()) <= 1e-10
    # negative control: a non-symmetric W breaks the identity behind it
    Wn = W + 0.5 * torch.randn(100, 6, 6, generator=g, dtype=D)
    Xn, _ = ep.run_elman(2 * torch.randn(100, 6, generator=g, dtype=D), Wn, 30)
    assert float(torch.diff(ee.two_step_lyapunov(Xn, Wn), dim=0).max()) > 1e-3


def test_hadamard_slow_delay_run_follows_the_cycle_and_its_reverse_does_not():
    pats = ep.hadamard_patterns(16, 4, device="cpu")
    r = ee.slow_delay_run(pats, 1.0, 4.0, dt=0.1, n_steps=1500, T_d=20.0)
    follows, n = ee.cycle_following(r["overlaps"], 5)
    assert bool(follows) and int(n) >= 5
    rev = torch.flip(r["overlaps"], dims=[-1])               # memories relabelled in reverse order
    assert not bool(ee.cycle_following(rev, 5)[0])


def test_symmetric_ensemble_full_size_spectrum():
    """The full preset's sizes (N = 100) at a reduced batch: lambda_min exact, spectrum inside [lam_min, 2]."""
    W = ee.symmetric_ensemble(3, 100, -1.0, generator=torch.Generator().manual_seed(0), device="cpu")
    ev = np.linalg.eigvalsh(W.numpy())
    assert np.allclose(ev[:, 0], -1.0, atol=1e-12) and float(ev.max()) <= 2.0 + 1e-12
