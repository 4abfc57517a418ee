"""Errata for note 001 (Amrut & Ankit, "RNN Initial Hypotheses", April 2021).

The note numbers no equations, so records name the section and the claim.  Every check
recomputes the printed and the corrected form with ``strict=False`` checks.
"""
from __future__ import annotations

import math

import torch

from . import Discrepancy, register
from ..verify import check_bound, check_close

NOTE = "001_39bc17db6c447d31.txt"
CH01 = "book/part2_rate/01_rate_network"

TAU, SIGMA = 100.0, 0.01


def _check_noise_inside():
    """Mean drift of a ReLU unit at the kink (m = 0) for dt = 10 ms and dt = 1 ms."""
    from ..rate import mean_drift_at

    ins = [mean_drift_at(0.0, SIGMA, dt, TAU, "inside") for dt in (10.0, 1.0)]
    out = [mean_drift_at(0.0, SIGMA, dt, TAU, "outside") for dt in (10.0, 1.0)]
    printed = check_close(ins[1], ins[0], "noise inside f: mean drift at m=0 the same for dt=1 and dt=10 ms",
                          rtol=0.05, atol=1e-9, strict=False)
    corrected = check_close(out[1], out[0], "noise added to r: mean drift at m=0 the same for dt=1 and dt=10 ms",
                            rtol=0.05, atol=1e-9, strict=False)
    return printed, corrected


def relaxed_speeds(reading: str, n_units: int = 32, n_networks: int = 4, n_starts: int = 4, n_steps: int = 600,
                   seed: int = 1):
    """Speed |F(r)| after relaxing freshly initialised networks (noise off, input 0.8), shape (B, K)."""
    from ..rate import PerceptionTask, initialise_ensemble, relax

    task = PerceptionTask()
    g = torch.Generator().manual_seed(seed)
    m = initialise_ensemble(n_networks, n_units, 1, 1, task.input_std, reading=reading, generator=g,
                            device="cpu", dtype=torch.float64, sigma=0.0)
    m.W_rec.requires_grad_(False)
    r0 = torch.rand(n_networks, n_starts, n_units, generator=g, dtype=torch.float64)
    u = torch.full((n_networks, n_starts, 1), 0.8, dtype=torch.float64)
    _, speed = relax(m, u, r0, n_steps)
    return speed


def _check_init_reading():
    printed = check_bound(relaxed_speeds("variance"), "variance 1/sqrt(N): every trajectory settles (|F| < 1e-6/ms)",
                          upper=1e-6, strict=False)
    corrected = check_bound(relaxed_speeds("std"), "std 1/sqrt(N): every trajectory settles (|F| < 1e-6/ms)",
                            upper=1e-6, strict=False)
    return printed, corrected


register(Discrepancy(
    note=NOTE, equation="sec2:noise-inside-f", kind="wrong claim", chapter=CH01,
    summary="With the white noise inside the ReLU the continuous equation is not an SDE and the printed "
            "discretisation has no dt -> 0 limit: a unit at the kink drifts upward at a rate growing like "
            "dt^(-1/2). Adding the noise to r (outside f) gives the Euler-Maruyama scheme with the same "
            "per-step variance 2 alpha sigma^2 and a dt-independent drift.",
    printed=r"\mathbf r_t=(1-\alpha)\mathbf r_{t-1}+\alpha f\big(\mathbf m_t+\sqrt{2\alpha^{-1}\sigma^2}\,\mathcal N(0,1)\big)",
    corrected=r"\mathbf r_t=(1-\alpha)\mathbf r_{t-1}+\alpha f(\mathbf m_t)+\sqrt{2\alpha\sigma^2}\,\mathcal N(0,1)",
    check=_check_noise_inside,
))

register(Discrepancy(
    note=NOTE, equation="sec2:init-variance", kind="wrong claim", chapter=CH01,
    summary="Read literally, variance 1/sqrt(N) gives W_rec spectral radius about N^(1/4) > 1 and the ReLU "
            "network's activity explodes, contradicting the claim (sec. 6) that the networks start in the "
            "stable fixed-point regime; standard deviation 1/sqrt(N) (variance 1/N) gives radius about 1 and "
            "every trajectory settles on a stable fixed point.",
    printed=r"W^{rec}_{ij}\sim\mathcal N\!\left(0,\ \operatorname{var}=1/\sqrt N\right)",
    corrected=r"W^{rec}_{ij}\sim\mathcal N\!\left(0,\ \operatorname{var}=1/N\right)\ (\text{std } 1/\sqrt N)",
    check=_check_init_reading,
))

register(Discrepancy(
    note=NOTE, equation="sec2:zero-diagonal", kind="typo", chapter=CH01,
    summary="Zeroing the diagonal of W_rec removes self-connections (autapses), not recurrent connections; "
            "all off-diagonal recurrent weights remain.",
    printed=r"\text{diagonal set to 0 so there were no recurrent connections}",
    corrected=r"\text{diagonal set to 0 so there were no self-connections}",
))
