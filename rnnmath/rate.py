r"""Part II — trained rate RNNs (note 001, Amrut & Ankit, "RNN Initial Hypotheses").

This module rebuilds the note's TensorFlow study in torch.  Everything is
*batched*: an ensemble of ``B`` networks is one model whose recurrent weights
have shape ``(B, N, N)``, trials have a leading network dimension, and one
optimiser step trains all ``B`` networks at once.

The model (book chapter ``book/part2_rate/01_rate_network``; note §2)
--------------------------------------------------------------------
Continuous time, with the noise added to the rates (the Itô form that the
discretisation below is an Euler–Maruyama step of)::

    tau dr/dt = -r + f(W_rec r + W_in u + b) + sqrt(2 tau sigma^2) xi(t)

Discretised with step ``dt`` and ``alpha = dt / tau``::

    r_t = (1 - alpha) r_{t-1} + alpha f(W_rec r_{t-1} + W_in u_t + b) + sqrt(2 alpha sigma^2) eps_t

``eps_t ~ N(0, I)``.  The note puts its noise term ``sqrt(2 alpha^-1 sigma^2) N(0,1)``
*inside* ``f``; ``noise="inside"`` reproduces that form (same increment
variance where ``f`` is linear), ``noise="outside"`` (default) is the form above.
``f`` is ReLU, or a leaky ReLU ``f(x) = x (x > 0), tan(theta) x (x <= 0)`` with
``theta = leak_angle`` (theta = pi/4 is linear; note §5.1, Fig. 5).
Readout: ``z = W_out r``.

Public API (used by chapters 1–5 of Part II)
--------------------------------------------
``RateRNN(W_rec, W_in, b, W_out, tau=100., dt=10., sigma=0.01, leak_angle=0., noise="outside")``
    ``torch.nn.Module`` holding ``B`` networks: ``W_rec`` (B, N, N) — the only
    trainable parameter, its diagonal kept at zero; ``W_in`` (B, N, I); ``b`` (B, N);
    ``W_out`` (B, O, N).  ``model(inputs, noise=None, generator=None, r0=None)`` with
    ``inputs`` (B, K, T, I) returns ``(rates (B, K, T, N), outputs (B, K, T, O))``.
    ``model.drift(r, u)`` is ``F(r) = (-r + f(W_rec r + W_in u + b)) / tau`` for
    ``r`` (B, M, N), ``u`` (B, M, I) or (B, 1, I).  ``model.select(idx)``,
    ``model.with_weights(W_rec)``, ``model.with_leak_angle(theta)``.
``initialise_ensemble(n_networks, n_units, n_inputs, n_outputs, input_std, reading="std", ...)``
    The note's initialisation (§2): W_rec Gaussian with std ``1/sqrt(N)``
    (``reading="std"``) or variance ``1/sqrt(N)`` (``reading="variance"``, the literal
    text), zero diagonal; W_out from the same distribution; W_in and b Gaussian with
    std ``input_std``.
``PerceptionTask(n_steps=..., input_noise=...)``, ``DecisionTask(...)``
    Trial generators: ``task.sample(n_networks, n_trials, generator=None, device=None)``
    returns a :class:`TrialBatch` (inputs (B, K, T, I), targets (B, K, T, O),
    conditions (B, K, C)); ``task.condition_grid(n)`` gives noise-free test trials.
``fit(model, batches, n_iters, lr=1e-3)``, ``trial_stream(task, n_networks, n_trials, n_units, seed)``
    The training loop (Adam on the summed per-network loss, zero diagonal kept) and its
    deterministic data stream.
``train_ensemble(task, n_networks, n_units, n_iters, n_trials, lr=1e-3, ..., device=None)``
    Trains all networks as one batched model with Adam on the L2 loss over time
    (sum over networks of each network's mean squared error, so the networks do not
    interact: Adam is elementwise).  Returns a :class:`TrainedEnsemble` with
    ``W_rec_init``/``W_rec_trained`` (B, N, N), ``W_in``, ``b``, ``W_out``,
    ``loss_history`` (n_iters, B), ``config``; ``.model("initial"|"trained")``.
``standard_ensemble("perception" | "decision", scale=None, device=None)``
    The book's two ensembles at the active preset (quick: N = 32; full: the note's N = 128 and
    256), trained once and shared through the cache by chapters 02–05.
``load_or_train(task, n_networks, n_units, ...)``
    Same arguments; caches the trained ensemble in ``$RNNMATH_CACHE`` (default
    ``<repo>/_build/rnnmath-cache``) under a hash of the configuration (written to
    a temporary file then renamed, so concurrent notebooks are safe).

Analysis of the weight changes (chapter ``03_weight_changes``)
--------------------------------------------------------------
:func:`mean_weight`, :func:`singular_value_energy`, :func:`effective_rank`,
:func:`top_entry_energy`, :func:`shuffle_offdiagonal` (null model),
:func:`abs_eigenvector_centrality`, :func:`henrici_departure`, :func:`schur_departure`,
:func:`paired_comparison`; verdicts are
:func:`rnnmath.verify.claim_verdict` records (see :mod:`rnnmath.rate_claims`).

Chapter-01 helpers: :func:`euler_maruyama_noise_std`, :func:`expected_relu`,
:func:`mean_drift_at`, :func:`continuous_jacobian` (the Jacobian of ``F``, (B, M, N, N)),
:func:`relax` (noise-free relaxation to a fixed point).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .device import get_device, progress, seeded
from .validation import require_finite, require_in_range, require_positive, require_shape, require_square

__all__ = [
    "RateRNN",
    "initialise_ensemble",
    "euler_maruyama_noise_std",
    "expected_relu",
    "mean_drift_at",
    "continuous_jacobian",
    "relax",
    "TrialBatch",
    "PerceptionTask",
    "DecisionTask",
    "TASKS",
    "TrainedEnsemble",
    "l2_loss_over_time",
    "fit",
    "trial_stream",
    "train_ensemble",
    "load_or_train",
    "STANDARD_ENSEMBLES",
    "standard_ensemble",
    "cache_dir",
    "mean_weight",
    "singular_value_energy",
    "effective_rank",
    "abs_eigenvector_centrality",
    "henrici_departure",
    "schur_departure",
    "paired_comparison",
    "shuffle_offdiagonal",
    "initialisation_regime",
    "scaling_ensembles",
    "top_entry_energy",
]

CACHE_VERSION = 1
NOISE_FORMS = ("outside", "inside")
FLOAT_DTYPES = (torch.float32, torch.float64)


# --------------------------------------------------------------------------- #
# Input checks shared by this module
# --------------------------------------------------------------------------- #
def _positive(value, name: str, strict: bool = True):
    """A finite positive (``strict``) or non-negative real scalar (NaN, inf and strings refused)."""
    require_positive(value, name, strict=strict)
    if not np.all(np.isfinite(np.asarray(value, dtype=float))):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return value


def _float_tensor(x, name: str) -> torch.Tensor:
    """``x`` (tensor, array or nested list) as a finite float32/float64 torch tensor."""
    if not isinstance(x, torch.Tensor):
        try:
            arr = np.asarray(x)
        except Exception:
            raise TypeError(f"{name}: must be a float tensor or array, got {type(x).__name__}") from None
        if arr.dtype.kind != "f" or arr.dtype == np.float16:
            raise TypeError(f"{name}: must be a float32 or float64 array, got dtype {arr.dtype}")
        x = torch.as_tensor(arr)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: must be a float32 or float64 tensor, got dtype {x.dtype}")
    require_finite(x, name)
    return x


def _positive_int(v, name: str):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name}: must be a positive integer, got {v!r}")
    return int(v)


def _require_model(model):
    if not isinstance(model, RateRNN):
        raise TypeError(f"model: must be a RateRNN, got {type(model).__name__}")
    return model


# --------------------------------------------------------------------------- #
# The batched rate network
# --------------------------------------------------------------------------- #
def euler_maruyama_noise_std(sigma: float, dt: float, tau: float) -> float:
    r"""Standard deviation of the noise added to ``r`` in one Euler–Maruyama step.

    For ``tau dr = (...) dt + sqrt(2 tau sigma^2) dW`` the increment over ``dt`` has
    std ``sqrt(2 tau sigma^2) sqrt(dt) / tau = sqrt(2 alpha sigma^2)``, ``alpha = dt/tau``
    (chapter 01, eq. ``p2-eq-em-noise``; the note's §2 discretised equation).
    """
    _positive(sigma, "sigma", strict=False)
    _positive(dt, "dt")
    _positive(tau, "tau")
    return math.sqrt(2.0 * (dt / tau) * sigma**2)


class RateRNN(torch.nn.Module):
    r"""``B`` rate networks held as one model (note 001 §2; chapter 01).

    Parameters
    ----------
    W_rec : tensor (B, N, N)
        Recurrent weights (trainable; the diagonal is zeroed and kept at zero).
    W_in : tensor (B, N, I)
    b : tensor (B, N)
    W_out : tensor (B, O, N)
    tau, dt : float
        Time constant and step in ms (note: 100 and 10); ``alpha = dt / tau`` must be in (0, 1].
    sigma : float
        Noise strength (note: 0.01).
    leak_angle : float
        ``theta`` in [0, pi/4]: negative slope ``tan(theta)`` of the leaky ReLU (0 = ReLU).
    noise : {"outside", "inside"}
        Where the discretised noise enters (see the module docstring).
    """

    def __init__(self, W_rec, W_in, b, W_out, *, tau: float = 100.0, dt: float = 10.0, sigma: float = 0.01,
                 leak_angle: float = 0.0, noise: str = "outside"):
        super().__init__()
        W_rec, W_in, b, W_out = (_float_tensor(x, nm) for x, nm in
                                 ((W_rec, "W_rec"), (W_in, "W_in"), (b, "b"), (W_out, "W_out")))
        require_shape(W_rec, "W_rec", (None, None, None))
        require_square(W_rec, "W_rec")
        B, N, _ = W_rec.shape
        if B < 1 or N < 1:
            raise ValueError(f"W_rec: must hold at least one network of at least one unit, got shape {tuple(W_rec.shape)}")
        require_shape(W_in, "W_in", (B, N, None))
        require_shape(b, "b", (B, N))
        require_shape(W_out, "W_out", (B, None, N))
        _positive(tau, "tau")
        _positive(dt, "dt")
        if not dt <= tau:
            raise ValueError(f"dt: alpha = dt/tau must be <= 1 for a stable Euler step, got dt={dt}, tau={tau}")
        _positive(sigma, "sigma", strict=False)
        require_in_range(leak_angle, "leak_angle", 0.0, math.pi / 4 + 1e-12)
        if noise not in NOISE_FORMS:
            raise ValueError(f"noise: must be one of {NOISE_FORMS}, got {noise!r}")
        mask = 1.0 - torch.eye(N, dtype=W_rec.dtype, device=W_rec.device)
        self.register_buffer("offdiag", mask)
        self.W_rec = torch.nn.Parameter(W_rec.detach().clone() * mask)
        self.register_buffer("W_in", W_in.detach().clone().to(W_rec))
        self.register_buffer("b", b.detach().clone().to(W_rec))
        self.register_buffer("W_out", W_out.detach().clone().to(W_rec))
        self.tau, self.dt, self.sigma = float(tau), float(dt), float(sigma)
        self.leak_angle, self.noise = float(leak_angle), noise

    # sizes ------------------------------------------------------------------
    @property
    def n_networks(self) -> int:
        return self.W_rec.shape[0]

    @property
    def n_units(self) -> int:
        return self.W_rec.shape[1]

    @property
    def n_inputs(self) -> int:
        return self.W_in.shape[2]

    @property
    def n_outputs(self) -> int:
        return self.W_out.shape[1]

    @property
    def alpha(self) -> float:
        return self.dt / self.tau

    def _kw(self) -> dict:
        return dict(tau=self.tau, dt=self.dt, sigma=self.sigma, leak_angle=self.leak_angle, noise=self.noise)

    # derived models ---------------------------------------------------------
    def select(self, idx) -> "RateRNN":
        """A new model holding the networks ``idx`` (list of ints or slice)."""
        idx = list(range(self.n_networks))[idx] if isinstance(idx, slice) else list(idx)
        if not idx or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                              and -self.n_networks <= i < self.n_networks for i in idx):
            raise ValueError(f"idx: must be a non-empty list of network indices in [0, {self.n_networks}), got {idx!r}")
        return RateRNN(self.W_rec.detach()[idx], self.W_in[idx], self.b[idx], self.W_out[idx], **self._kw())

    def with_weights(self, W_rec) -> "RateRNN":
        """The same networks with other recurrent weights (e.g. the initial ones)."""
        require_shape(W_rec, "W_rec", tuple(self.W_rec.shape))
        return RateRNN(W_rec.to(self.W_rec), self.W_in, self.b, self.W_out, **self._kw())

    def with_leak_angle(self, theta: float) -> "RateRNN":
        """The same networks with a leaky ReLU of angle ``theta`` (note §5.1)."""
        kw = self._kw()
        kw["leak_angle"] = theta
        return RateRNN(self.W_rec.detach(), self.W_in, self.b, self.W_out, **kw)

    def to_dtype(self, dtype) -> "RateRNN":
        return RateRNN(self.W_rec.detach().to(dtype), self.W_in.to(dtype), self.b.to(dtype),
                       self.W_out.to(dtype), **self._kw())

    # dynamics ---------------------------------------------------------------
    def activation(self, x):
        """``f``: ReLU (``leak_angle = 0``) or leaky ReLU with slope ``tan(leak_angle)``."""
        if self.leak_angle == 0.0:
            return torch.relu(x)
        return torch.where(x > 0, x, math.tan(self.leak_angle) * x)

    def preactivation(self, r, u):
        r"""``m = W_rec r + W_in u + b`` for ``r`` (B, M, N), ``u`` (B, M, I): shape (B, M, N)."""
        W = self.W_rec * self.offdiag
        return r @ W.transpose(-1, -2) + u @ self.W_in.transpose(-1, -2) + self.b[:, None, :]

    def drift(self, r, u):
        r"""Noise-free vector field ``F(r) = (-r + f(W_rec r + W_in u + b)) / tau`` (note §6.1).

        ``r`` (B, M, N) and ``u`` (B, M, I) (or (B, 1, I), broadcast); returns (B, M, N) in 1/ms.
        """
        require_shape(r, "r", (self.n_networks, None, self.n_units))
        require_shape(u, "u", (self.n_networks, None, self.n_inputs))
        require_finite(r, "r")
        require_finite(u, "u")
        return (-r + self.activation(self.preactivation(r, u))) / self.tau

    def step(self, r, u, eps):
        r"""One discretised step (chapter 01, eq. ``p2-eq-discrete``): shapes (B, K, N), (B, K, I), (B, K, N)."""
        a = self.alpha
        m = self.preactivation(r, u)
        if self.noise == "inside":
            return (1 - a) * r + a * self.activation(m + math.sqrt(2 * self.sigma**2 / a) * eps)
        return (1 - a) * r + a * self.activation(m) + math.sqrt(2 * a * self.sigma**2) * eps

    def forward(self, inputs, noise=None, generator=None, r0=None):
        r"""Simulate trials.

        Parameters
        ----------
        inputs : tensor (B, K, T, I)
        noise : tensor (B, K, T, N), optional
            Standard normal draws ``eps_t``; drawn here (with ``generator``) if omitted.
        r0 : tensor (B, K, N), optional
            Initial rates (default zero).

        Returns
        -------
        rates : (B, K, T, N), outputs : (B, K, T, O)
            ``rates[:, :, t]`` is ``r_{t+1}`` (the state after input ``u_t``).
        """
        require_shape(inputs, "inputs", (self.n_networks, None, None, self.n_inputs))
        require_finite(inputs, "inputs")
        B, K, T, _ = inputs.shape
        inputs = inputs.to(self.W_rec)
        if noise is None:
            where = generator.device if generator is not None else inputs.device
            noise = torch.randn(B, K, T, self.n_units, generator=generator, dtype=inputs.dtype, device=where)
        require_shape(noise, "noise", (B, K, T, self.n_units))
        require_finite(noise, "noise")
        noise = noise.to(inputs)
        if r0 is not None:
            require_shape(r0, "r0", (B, K, self.n_units))
            require_finite(r0, "r0")
        r = torch.zeros(B, K, self.n_units, dtype=inputs.dtype, device=inputs.device) if r0 is None else r0.to(inputs)
        rates = []
        for t in range(T):
            r = self.step(r, inputs[:, :, t], noise[:, :, t])
            rates.append(r)
        rates = torch.stack(rates, dim=2)
        outputs = rates @ self.W_out.transpose(-1, -2)[:, None]
        return rates, outputs

    @torch.no_grad()
    def keep_zero_diagonal(self) -> None:
        """Re-impose the zero diagonal (called after every optimiser step)."""
        self.W_rec.mul_(self.offdiag)


def expected_relu(m, s):
    r"""``E[max(0, m + s Z)]`` for ``Z ~ N(0, 1)``: ``m Phi(m/s) + s phi(m/s)`` (chapter 01).

    ``m`` and ``s > 0`` broadcast (tensors or floats); returns a float64 tensor.
    """
    require_in_range(m, "m")
    require_finite(m, "m")
    _positive(s, "s")
    m = torch.as_tensor(np.asarray(m, dtype=float) if not isinstance(m, torch.Tensor) else m, dtype=torch.float64)
    s = torch.as_tensor(np.asarray(s, dtype=float) if not isinstance(s, torch.Tensor) else s, dtype=torch.float64)
    z = m / s
    Phi = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
    phi = torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return m * Phi + s * phi


def mean_drift_at(m, sigma: float, dt: float, tau: float, noise: str = "outside"):
    r"""Mean drift ``E[r_t - r_{t-1}] / dt`` of a ReLU unit at ``r = 0`` with preactivation ``m``.

    ``noise="outside"``: ``relu(m) / tau`` whatever ``dt``.  ``noise="inside"`` (the note's
    form): ``E[relu(m + sqrt(2 sigma^2 / alpha) Z)] / tau``, which grows like ``dt^{-1/2}`` at
    ``m = 0`` — the discretisation has no limit as ``dt -> 0`` (chapter 01).
    """
    _positive(dt, "dt")
    _positive(tau, "tau")
    _positive(sigma, "sigma")
    if noise not in NOISE_FORMS:
        raise ValueError(f"noise: must be one of {NOISE_FORMS}, got {noise!r}")
    require_in_range(m, "m")
    require_finite(m, "m")
    m = torch.as_tensor(np.asarray(m, dtype=float) if not isinstance(m, torch.Tensor) else m, dtype=torch.float64)
    if noise == "outside":
        return torch.relu(m) / tau
    return expected_relu(m, math.sqrt(2 * sigma**2 * tau / dt)) / tau


def continuous_jacobian(model: "RateRNN", r, u):
    r"""Jacobian of ``F`` (noise-free): ``(-I + diag(f'(m)) W_rec) / tau``: (B, M, N) -> (B, M, N, N).

    ``u`` is (B, M, I) or (B, 1, I).
    """
    _require_model(model)
    require_shape(r, "r", (model.n_networks, None, model.n_units))
    require_shape(u, "u", (model.n_networks, None, model.n_inputs))
    require_finite(r, "r")
    require_finite(u, "u")
    m = model.preactivation(r, u)
    slope = math.tan(model.leak_angle)
    d = torch.where(m > 0, torch.ones_like(m), torch.full_like(m, slope))
    W = (model.W_rec * model.offdiag)[:, None]
    eye = torch.eye(model.n_units, dtype=r.dtype, device=r.device)
    return (-eye + d[..., :, None] * W) / model.tau


@torch.no_grad()
def relax(model: "RateRNN", u, r0, n_steps: int):
    r"""Run the noise-free discretised dynamics for ``n_steps`` from ``r0`` (B, K, N) with constant ``u`` (B, K, I).

    Returns the final rates (B, K, N) and their speed ``|F(r)|`` (B, K) in 1/ms.
    """
    _require_model(model)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps: must be a non-negative integer, got {n_steps!r}")
    require_shape(r0, "r0", (model.n_networks, None, model.n_units))
    require_shape(u, "u", (model.n_networks, None, model.n_inputs))
    require_finite(r0, "r0")
    require_finite(u, "u")
    r = r0
    zero = torch.zeros_like(r0)
    for _ in range(n_steps):
        r = model.step(r, u, zero)
        if not torch.all(torch.isfinite(r)):
            break
    return r, model.drift(r, u).norm(dim=-1)


def initialise_ensemble(n_networks: int, n_units: int, n_inputs: int, n_outputs: int, input_std: float, *,
                        reading: str = "std", generator: Optional[torch.Generator] = None, device=None,
                        dtype=torch.float32, **model_kw) -> RateRNN:
    r"""Draw ``n_networks`` networks with the note's initialisation (§2; chapter 01).

    ``W_rec`` and ``W_out`` have i.i.d. Gaussian entries of std ``1/sqrt(N)``
    (``reading="std"``) or of *variance* ``1/sqrt(N)`` (``reading="variance"``, the
    literal wording), ``W_rec`` with zero diagonal; ``W_in`` and ``b`` have std
    ``input_std`` (note: ``1/sqrt(3)`` perception, ``1/2`` decision).
    """
    for name, v in (("n_networks", n_networks), ("n_units", n_units), ("n_inputs", n_inputs), ("n_outputs", n_outputs)):
        _positive_int(v, name)
    _positive(input_std, "input_std")
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype: must be torch.float32 or torch.float64, got {dtype}")
    if reading not in ("std", "variance"):
        raise ValueError(f"reading: must be 'std' (std 1/sqrt(N)) or 'variance' (variance 1/sqrt(N)), got {reading!r}")
    device = get_device() if device is None else torch.device(device)
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    std = n_units**-0.5 if reading == "std" else n_units**-0.25
    B, N = n_networks, n_units

    def draw(*shape, s):
        return (s * torch.randn(*shape, generator=g, dtype=torch.float64)).to(device=device, dtype=dtype)

    W_rec = draw(B, N, N, s=std) * (1 - torch.eye(N, dtype=dtype, device=device))
    W_out = draw(B, n_outputs, N, s=std)
    W_in = draw(B, N, n_inputs, s=input_std)
    b = draw(B, N, s=input_std)
    return RateRNN(W_rec, W_in, b, W_out, **model_kw)


# --------------------------------------------------------------------------- #
# Tasks
# --------------------------------------------------------------------------- #
@dataclass
class TrialBatch:
    """Trials for ``B`` networks: inputs (B, K, T, I), targets (B, K, T, O), conditions (B, K, C)."""

    inputs: torch.Tensor
    targets: torch.Tensor
    conditions: torch.Tensor


def _check_sizes(n_networks, n_trials, trials_name: str = "n_trials"):
    for name, v in (("n_networks", n_networks), (trials_name, n_trials)):
        _positive_int(v, name)


@dataclass(frozen=True)
class PerceptionTask:
    r"""Perception task (note §3): a noisy constant input of 0.8 asks for output 0.5, 0.5 for 0.8.

    ``inputs = level + input_noise * N(0, 1)`` at every step; the target is constant over the trial.
    Conditions: (level,).  ``input_std`` is the note's std of W_in and b, ``1/sqrt(3)``.
    """

    n_steps: int = 100
    input_noise: float = 0.05
    levels: tuple = (0.8, 0.5)
    answers: tuple = (0.5, 0.8)
    input_std: float = 3**-0.5
    name: str = "perception"
    n_inputs: int = 1
    n_outputs: int = 1

    def __post_init__(self):
        if not isinstance(self.n_steps, (int, np.integer)) or self.n_steps < 1:
            raise ValueError(f"n_steps: must be a positive integer, got {self.n_steps!r}")
        _positive(self.input_noise, "input_noise", strict=False)
        if len(self.levels) < 1:
            raise ValueError("levels: must hold at least one input level")
        if len(self.levels) != len(self.answers):
            raise ValueError("answers: needs one answer per input level")
        for name in ("levels", "answers"):
            require_in_range(np.asarray(getattr(self, name), dtype=float), name)
            require_finite(np.asarray(getattr(self, name), dtype=float), name)

    def config(self) -> dict:
        return asdict(self)

    def target_of(self, conditions):
        """Target for conditions (..., 1): the answer paired with the nearest level."""
        lv = torch.tensor(self.levels, dtype=conditions.dtype, device=conditions.device)
        ans = torch.tensor(self.answers, dtype=conditions.dtype, device=conditions.device)
        k = torch.argmin((conditions[..., :1] - lv).abs(), dim=-1)
        return ans[k][..., None]

    def _make(self, cond, noise_draw):
        B, K = cond.shape[:2]
        u = cond[:, :, None, :].expand(B, K, self.n_steps, 1) + self.input_noise * noise_draw
        z = self.target_of(cond)[:, :, None, :].expand(B, K, self.n_steps, 1)
        return TrialBatch(u, z.clone(), cond)

    def sample(self, n_networks: int, n_trials: int, generator=None, device=None, dtype=torch.float32) -> TrialBatch:
        """Random trials, the level drawn uniformly from ``levels``: inputs (B, K, T, 1)."""
        _check_sizes(n_networks, n_trials)
        device = get_device() if device is None else torch.device(device)
        lv = torch.tensor(self.levels, dtype=dtype)
        k = torch.randint(len(self.levels), (n_networks, n_trials), generator=generator)
        cond = lv[k][..., None]
        eps = torch.randn(n_networks, n_trials, self.n_steps, 1, generator=generator, dtype=dtype)
        tb = self._make(cond, eps)
        return TrialBatch(tb.inputs.to(device), tb.targets.to(device), tb.conditions.to(device))

    def condition_grid(self, n_networks: int, n_per_level: int = 1, device=None, dtype=torch.float32) -> TrialBatch:
        """Noise-free trials, each level repeated ``n_per_level`` times."""
        _check_sizes(n_networks, n_per_level, "n_per_level")
        device = get_device() if device is None else torch.device(device)
        cond = torch.tensor(self.levels, dtype=dtype).repeat_interleave(n_per_level)[None, :, None]
        cond = cond.expand(n_networks, -1, 1).clone()
        tb = self._make(cond, torch.zeros(*cond.shape[:2], self.n_steps, 1, dtype=dtype))
        return TrialBatch(tb.inputs.to(device), tb.targets.to(device), tb.conditions.to(device))


@dataclass(frozen=True)
class DecisionTask:
    r"""Decision task (note §3): two noisy constant inputs; say which is larger.

    ``u1, u2`` uniform in ``[low, high]``; target ``1`` when ``u2 > u1`` and ``0`` otherwise, so
    that the output goes from high to low as ``u1 - u2`` goes from negative to positive (note Fig. 1,
    left).  Conditions: (u1, u2).  ``input_std`` is the note's std of W_in and b, ``1/2``.
    """

    n_steps: int = 100
    input_noise: float = 0.05
    low: float = 0.2
    high: float = 0.8
    input_std: float = 0.5
    name: str = "decision"
    n_inputs: int = 2
    n_outputs: int = 1

    def __post_init__(self):
        if not isinstance(self.n_steps, (int, np.integer)) or self.n_steps < 1:
            raise ValueError(f"n_steps: must be a positive integer, got {self.n_steps!r}")
        _positive(self.input_noise, "input_noise", strict=False)
        for name in ("low", "high"):
            require_in_range(getattr(self, name), name)
            require_finite(np.asarray(getattr(self, name), dtype=float), name)
        if not self.low < self.high:
            raise ValueError(f"high: must exceed low, got low={self.low}, high={self.high}")

    def config(self) -> dict:
        return asdict(self)

    def target_of(self, conditions):
        """1 where ``u2 > u1``, else 0; conditions (..., 2) -> (..., 1)."""
        return (conditions[..., 1:2] > conditions[..., 0:1]).to(conditions.dtype)

    def _make(self, cond, noise_draw):
        B, K = cond.shape[:2]
        u = cond[:, :, None, :].expand(B, K, self.n_steps, 2) + self.input_noise * noise_draw
        z = self.target_of(cond)[:, :, None, :].expand(B, K, self.n_steps, 1)
        return TrialBatch(u, z.clone(), cond)

    def sample(self, n_networks: int, n_trials: int, generator=None, device=None, dtype=torch.float32) -> TrialBatch:
        """Random trials: inputs (B, K, T, 2)."""
        _check_sizes(n_networks, n_trials)
        device = get_device() if device is None else torch.device(device)
        cond = self.low + (self.high - self.low) * torch.rand(n_networks, n_trials, 2, generator=generator, dtype=dtype)
        eps = torch.randn(n_networks, n_trials, self.n_steps, 2, generator=generator, dtype=dtype)
        tb = self._make(cond, eps)
        return TrialBatch(tb.inputs.to(device), tb.targets.to(device), tb.conditions.to(device))

    def condition_grid(self, n_networks: int, n_per_axis: int = 5, device=None, dtype=torch.float32) -> TrialBatch:
        """Noise-free trials on an ``n_per_axis x n_per_axis`` grid of (u1, u2)."""
        _check_sizes(n_networks, n_per_axis, "n_per_axis")
        device = get_device() if device is None else torch.device(device)
        v = torch.linspace(self.low, self.high, n_per_axis, dtype=dtype)
        cond = torch.cartesian_prod(v, v)[None].expand(n_networks, -1, 2).clone()
        tb = self._make(cond, torch.zeros(*cond.shape[:2], self.n_steps, 2, dtype=dtype))
        return TrialBatch(tb.inputs.to(device), tb.targets.to(device), tb.conditions.to(device))


TASKS = {"perception": PerceptionTask, "decision": DecisionTask}


def _as_task(task):
    if isinstance(task, str):
        if task not in TASKS:
            raise ValueError(f"task: must be one of {sorted(TASKS)} or a task object, got {task!r}")
        return TASKS[task]()
    if not isinstance(task, (PerceptionTask, DecisionTask)):
        raise ValueError(f"task: must be a PerceptionTask, a DecisionTask or a name, got {type(task).__name__}")
    return task


# --------------------------------------------------------------------------- #
# Training
# --------------------------------------------------------------------------- #
@dataclass
class TrainedEnsemble:
    """Result of :func:`train_ensemble` (CPU tensors).

    Attributes: ``W_rec_init``, ``W_rec_trained`` (B, N, N); ``W_in`` (B, N, I); ``b`` (B, N);
    ``W_out`` (B, O, N); ``loss_history`` (n_iters, B) — each network's loss per iteration;
    ``config`` — the arguments that produced it.
    """

    W_rec_init: torch.Tensor
    W_rec_trained: torch.Tensor
    W_in: torch.Tensor
    b: torch.Tensor
    W_out: torch.Tensor
    loss_history: torch.Tensor
    config: dict = field(default_factory=dict)

    def __post_init__(self):
        require_shape(self.W_rec_init, "W_rec_init", (None, None, None))
        require_square(self.W_rec_init, "W_rec_init")
        B, N, _ = self.W_rec_init.shape
        require_shape(self.W_rec_trained, "W_rec_trained", (B, N, N))
        require_shape(self.W_in, "W_in", (B, N, None))
        require_shape(self.b, "b", (B, N))
        require_shape(self.W_out, "W_out", (B, None, N))
        require_shape(self.loss_history, "loss_history", (None, B))

    @property
    def task(self):
        cfg = dict(self.config["task"])
        return TASKS[cfg["name"]](**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})

    def model(self, which: str = "trained", device=None, dtype=torch.float64) -> RateRNN:
        """The ensemble as a :class:`RateRNN` (float64, frozen weights) with the ``"initial"`` or ``"trained"`` ``W_rec``."""
        if which not in ("initial", "trained"):
            raise ValueError(f"which: must be 'initial' or 'trained', got {which!r}")
        device = get_device() if device is None else torch.device(device)
        W = self.W_rec_init if which == "initial" else self.W_rec_trained
        c = self.config
        m = RateRNN(W.to(device, dtype), self.W_in.to(device, dtype), self.b.to(device, dtype),
                    self.W_out.to(device, dtype), tau=c["tau"], dt=c["dt"], sigma=c["sigma"],
                    leak_angle=c.get("leak_angle", 0.0))
        m.W_rec.requires_grad_(False)  # for analysis; gradients w.r.t. states still work
        return m

    @property
    def delta(self) -> torch.Tensor:
        """``W_rec_trained - W_rec_init`` (B, N, N), float64."""
        return self.W_rec_trained.double() - self.W_rec_init.double()


def l2_loss_over_time(outputs, targets):
    """Each network's mean squared error over trials, time and outputs: (B, K, T, O) -> (B,)."""
    require_shape(outputs, "outputs", (None, None, None, None))
    require_shape(targets, "targets", tuple(outputs.shape))
    if outputs.numel() == 0:
        raise ValueError(f"outputs: is empty (shape {tuple(outputs.shape)})")
    require_finite(outputs, "outputs")
    require_finite(targets, "targets")
    return ((outputs - targets) ** 2).mean(dim=(1, 2, 3))


def fit(model: RateRNN, batches, n_iters: int, lr: float = 1e-3, desc: str = "training") -> torch.Tensor:
    r"""Train ``model`` in place with Adam on the summed per-network L2 loss.

    ``batches(it)`` returns ``(TrialBatch, noise (B, K, T, N))`` for iteration ``it``.
    Summing the per-network losses decouples the networks (each ``W_rec[b]`` gets only its
    own gradient, and Adam acts elementwise), so one batched run equals ``B`` separate runs.
    Returns the loss history (n_iters, B).
    """
    _require_model(model)
    if not callable(batches):
        raise TypeError(f"batches: must be callable (it -> (TrialBatch, noise)), got {type(batches).__name__}")
    if isinstance(n_iters, bool) or not isinstance(n_iters, (int, np.integer)) or n_iters < 0:
        raise ValueError(f"n_iters: must be a non-negative integer, got {n_iters!r}")
    _positive(lr, "lr")
    opt = torch.optim.Adam([model.W_rec], lr=lr)
    hist = torch.empty(n_iters, model.n_networks)
    for it in progress(range(n_iters), desc=desc):
        tb, eps = batches(it)
        _, z = model(tb.inputs, noise=eps)
        per_net = l2_loss_over_time(z, tb.targets)
        opt.zero_grad(set_to_none=True)
        per_net.sum().backward()
        model.W_rec.grad.mul_(model.offdiag)
        opt.step()
        model.keep_zero_diagonal()
        hist[it] = per_net.detach().cpu()
    return hist


def trial_stream(task, n_networks: int, n_trials: int, n_units: int, seed: int = 0, device=None,
                 dtype=torch.float32):
    r"""The deterministic stream of training data used by :func:`train_ensemble`.

    Returns ``batches(it) -> (TrialBatch, eps)`` with ``eps`` (B, K, T, N) the standard normal
    recurrent-noise draws; iteration ``it`` always gives the same data for the same ``seed``, so
    :func:`fit` can be replayed network by network (chapter 02, ``benchmarks/bench_rate.py``).
    """
    task = _as_task(task)
    _check_sizes(n_networks, n_trials)
    _positive_int(n_units, "n_units")
    device = get_device() if device is None else torch.device(device)

    def batches(it):
        g = torch.Generator().manual_seed(int(seed) * 1_000_003 + 7919 * (it + 1))
        tb = task.sample(n_networks, n_trials, generator=g, device=device, dtype=dtype)
        eps = torch.randn(n_networks, n_trials, task.n_steps, n_units, generator=g, dtype=dtype).to(device)
        return tb, eps

    return batches


def _check_training_args(n_networks, n_units, n_iters, n_trials, lr, tau, dt, sigma, reading, seed, leak_angle=0.0):
    require_in_range(leak_angle, "leak_angle", 0.0, math.pi / 4 + 1e-12)
    _check_sizes(n_networks, n_trials)
    _positive_int(n_units, "n_units")
    if isinstance(n_iters, bool) or not isinstance(n_iters, (int, np.integer)) or n_iters < 0:
        raise ValueError(f"n_iters: must be a non-negative integer, got {n_iters!r}")
    _positive(lr, "lr")
    _positive(tau, "tau")
    _positive(dt, "dt")
    _positive(sigma, "sigma", strict=False)
    if reading not in ("std", "variance"):
        raise ValueError(f"reading: must be 'std' (std 1/sqrt(N)) or 'variance' (variance 1/sqrt(N)), got {reading!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: must be an integer, got {seed!r}")


def _config(task, n_networks, n_units, n_iters, n_trials, lr, tau, dt, sigma, reading, seed, dtype,
            leak_angle=0.0) -> dict:
    cfg = dict(task=task.config(), n_networks=int(n_networks), n_units=int(n_units), n_iters=int(n_iters),
               n_trials=int(n_trials), lr=float(lr), tau=float(tau), dt=float(dt), sigma=float(sigma),
               reading=reading, seed=int(seed), dtype=str(dtype), version=CACHE_VERSION)
    if leak_angle:  # only stored when non-zero, so that the ReLU ensembles keep their cache keys
        cfg["leak_angle"] = float(leak_angle)
    return cfg


def train_ensemble(task, n_networks: int = 10, n_units: int = 128, n_iters: int = 1000, n_trials: int = 32, *,
                   lr: float = 1e-3, tau: float = 100.0, dt: float = 10.0, sigma: float = 0.01,
                   reading: str = "std", seed: int = 0, device=None, dtype=torch.float32,
                   leak_angle: float = 0.0) -> TrainedEnsemble:
    r"""Train ``n_networks`` rate networks on ``task`` as ONE batched model (note §2; chapter 02).

    Only ``W_rec`` is trained (Adam, learning rate ``lr``; its diagonal stays zero), on the L2
    loss over time.  Each iteration draws ``n_trials`` fresh trials per network.

    Parameters
    ----------
    task : PerceptionTask, DecisionTask or ``"perception"``/``"decision"``
    n_networks, n_units : int
        Ensemble size ``B`` and network size ``N`` (note: 10 networks; N = 128 perception, 256 decision).
    n_iters, n_trials : int
        Optimiser steps and trials per network per step.
    lr, tau, dt, sigma : float
        Adam learning rate (1e-3), time constant and step (ms), noise strength (0.01).
    reading : {"std", "variance"}
        Initialisation reading (see :func:`initialise_ensemble`).
    seed : int
        Seeds the initial weights (``seed``) and the trial stream.
    leak_angle : float
        ``theta`` of the leaky ReLU (0 = ReLU, the note's model; ``pi/4`` = a linear network, the
        control of chapter 02).
    device : torch device, optional
        Default :func:`rnnmath.get_device`.

    Returns
    -------
    TrainedEnsemble
    """
    task = _as_task(task)
    _check_training_args(n_networks, n_units, n_iters, n_trials, lr, tau, dt, sigma, reading, seed, leak_angle)
    device = get_device() if device is None else torch.device(device)
    g = torch.Generator().manual_seed(int(seed))
    model = initialise_ensemble(n_networks, n_units, task.n_inputs, task.n_outputs, task.input_std, reading=reading,
                                generator=g, device=device, dtype=dtype, tau=tau, dt=dt, sigma=sigma,
                                leak_angle=leak_angle)
    W0 = model.W_rec.detach().cpu().clone()
    hist = fit(model, trial_stream(task, n_networks, n_trials, n_units, seed, device, dtype), n_iters, lr,
               desc=f"training {n_networks} {task.name} networks")
    cfg = _config(task, n_networks, n_units, n_iters, n_trials, lr, tau, dt, sigma, reading, seed, dtype, leak_angle)
    return TrainedEnsemble(W0, model.W_rec.detach().cpu().clone(), model.W_in.cpu(), model.b.cpu(),
                           model.W_out.cpu(), hist, cfg)


def cache_dir() -> Path:
    """``$RNNMATH_CACHE`` or ``<repo>/_build/rnnmath-cache`` (created if missing)."""
    d = os.environ.get("RNNMATH_CACHE", "").strip()
    path = Path(d) if d else Path(__file__).resolve().parents[1] / "_build" / "rnnmath-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_key(cfg: dict) -> str:
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:20]


def load_or_train(task, n_networks: int = 10, n_units: int = 128, n_iters: int = 1000, n_trials: int = 32, *,
                  lr: float = 1e-3, tau: float = 100.0, dt: float = 10.0, sigma: float = 0.01,
                  reading: str = "std", seed: int = 0, device=None, dtype=torch.float32,
                  verbose: bool = True, leak_angle: float = 0.0) -> TrainedEnsemble:
    """:func:`train_ensemble` with an on-disk cache keyed by a hash of the configuration.

    The file is ``<cache_dir()>/<task>-<hash>.pt``; it is written to a temporary file in the
    same directory and renamed, so two notebooks training the same ensemble at once never
    read a half-written file.
    """
    task = _as_task(task)
    _check_training_args(n_networks, n_units, n_iters, n_trials, lr, tau, dt, sigma, reading, seed, leak_angle)
    cfg = _config(task, n_networks, n_units, n_iters, n_trials, lr, tau, dt, sigma, reading, seed, dtype, leak_angle)
    path = cache_dir() / f"{task.name}-{_cache_key(cfg)}.pt"
    if path.exists():
        try:
            d = torch.load(path, map_location="cpu", weights_only=False)
            if d.get("config") == cfg:
                if verbose:
                    print(f"loaded trained {task.name} ensemble from cache {path.name}")
                return TrainedEnsemble(**d)
        except Exception:  # a corrupt or foreign file: retrain and overwrite
            pass
    ens = train_ensemble(task, n_networks, n_units, n_iters, n_trials, lr=lr, tau=tau, dt=dt, sigma=sigma,
                         reading=reading, seed=seed, device=device, dtype=dtype, leak_angle=leak_angle)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(asdict(ens), tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if verbose:
        print(f"trained {n_networks} {task.name} networks and cached them as {path.name}")
    return ens


#: The book's ensembles (chapter 02): the sizes each scale preset trains.  Chapters 02-05 call
#: :func:`standard_ensemble` so that they share one cached ensemble per task and preset.  A task's
#: own ``n_steps`` / ``n_iters`` override the preset's: the quick decision networks are trained on
#: 1-s trials (100 steps), the length of the note's trials, for 600 steps, so that they pass the
#: validity criteria of chapter 02 (late RMS error below the linear floor, choice kept over 4 s);
#: on 0.5-s trials two of ten lost their choice by 4 s and linear networks passed the old criterion.
STANDARD_ENSEMBLES = {
    "quick": dict(perception=dict(n_units=32, seed=0), decision=dict(n_units=32, seed=1, n_steps=100, n_iters=600),
                  n_networks=10, n_steps=50, n_iters=500, n_trials=16),
    "full": dict(perception=dict(n_units=128, seed=0), decision=dict(n_units=256, seed=1),
                 n_networks=10, n_steps=100, n_iters=3000, n_trials=64),
}


def standard_ensemble(task_name: str, scale: str | None = None, device=None, verbose: bool = True,
                      leak_angle: float = 0.0) -> TrainedEnsemble:
    """The ensemble of chapter 02 for ``task_name`` ("perception"/"decision") at the active preset.

    Quick: N = 32, 16 trials per Adam step; perception 50-step trials, 500 steps; decision 100-step
    (1-s) trials, 600 steps.  Full (the note's sizes):
    N = 128 (perception) / 256 (decision), 100-step trials (1 s), 3000 steps of 64 trials.
    Ten networks each; cached by :func:`load_or_train`.  ``leak_angle = pi/4`` gives the same
    ensemble trained as *linear* networks (the validity control of chapter 02).
    """
    from .device import get_scale

    if task_name not in TASKS:
        raise ValueError(f"task_name: must be one of {sorted(TASKS)}, got {task_name!r}")
    cfg = STANDARD_ENSEMBLES[get_scale(scale)]
    per = cfg[task_name]
    task = TASKS[task_name](n_steps=per.get("n_steps", cfg["n_steps"]))
    return load_or_train(task, cfg["n_networks"], per["n_units"], per.get("n_iters", cfg["n_iters"]), cfg["n_trials"],
                         seed=seeded(per["seed"]), device=device, verbose=verbose, leak_angle=leak_angle)


def scaling_ensembles(task_name: str, n_units_list, scale: str | None = None, device=None,
                      verbose: bool = False) -> dict:
    """The standard ensemble of ``task_name`` retrained at each size in ``n_units_list`` (chapter 03).

    Every setting but ``n_units`` is that of :func:`standard_ensemble` at the active preset (same
    task, trial length, Adam steps, trials per step and seed, routed through
    :func:`rnnmath.device.seeded`); a size equal to the standard one returns the standard ensemble
    from the cache.  Returns ``{N: TrainedEnsemble}``, used to measure how the relative weight change
    ``||dW||_F / ||W0||_F`` scales with ``N``.
    """
    from .device import get_scale

    if task_name not in TASKS:
        raise ValueError(f"task_name: must be one of {sorted(TASKS)}, got {task_name!r}")
    try:
        sizes = [int(n) for n in n_units_list]
    except TypeError:
        raise TypeError(f"n_units_list: must be a sequence of integers, got {n_units_list!r}") from None
    if len(sizes) < 2 or len(set(sizes)) != len(sizes):
        raise ValueError(f"n_units_list: needs at least two distinct sizes, got {n_units_list!r}")
    for n, raw in zip(sizes, n_units_list):
        if isinstance(raw, bool) or not isinstance(raw, (int, np.integer)) or n < 2:
            raise ValueError(f"n_units_list: every size must be an integer >= 2, got {raw!r}")
    cfg = STANDARD_ENSEMBLES[get_scale(scale)]
    per = cfg[task_name]
    task = TASKS[task_name](n_steps=per.get("n_steps", cfg["n_steps"]))
    return {n: load_or_train(task, cfg["n_networks"], n, per.get("n_iters", cfg["n_iters"]), cfg["n_trials"],
                             seed=seeded(per["seed"]), device=device, verbose=verbose) for n in sizes}


def initialisation_regime(n_units: int, reading: str, n_networks: int, n_starts: int, n_relax: int,
                          seed: int = 0, level: float = 0.8, device=None) -> dict:
    r"""Is the initial ensemble in the stable fixed-point regime?  The measurements of chapter 01.

    Draws ``n_networks`` perception networks of ``n_units`` units under ``reading`` ("std" or
    "variance", :func:`initialise_ensemble`), in float64 and noise-free, relaxes each from
    ``n_starts`` uniform random states for ``n_relax`` steps at the constant input ``level`` and
    returns, as CPU tensors: ``rho`` (B,) the spectral radius of ``W_rec``; ``speed`` (B, K) the
    final ``|F|`` (1/ms); ``finite`` the fraction of finite end states; where every end state is
    finite also ``lam`` (B, K) the largest real part of the Jacobian (p2-eq-jacobian) at the end
    state, ``disc`` (B, K) the spectral radius of the discrete map's Jacobian ``I + dt J`` and
    ``spread`` (B,) the largest distance between end states of one network (NaN otherwise).
    """
    _positive_int(n_starts, "n_starts")
    if isinstance(n_relax, bool) or not isinstance(n_relax, (int, np.integer)) or n_relax < 1:
        raise ValueError(f"n_relax: must be a positive integer, got {n_relax!r}")
    task = PerceptionTask()
    gi = torch.Generator().manual_seed(int(seed))
    mdl = initialise_ensemble(n_networks, n_units, 1, 1, task.input_std, reading=reading, generator=gi,
                              device=device, dtype=torch.float64, sigma=0.0)
    dev = mdl.W_rec.device
    mdl.W_rec.requires_grad_(False)
    rho = torch.linalg.eigvals(mdl.W_rec).abs().amax(-1)
    r_start = torch.rand(n_networks, n_starts, n_units, generator=gi, dtype=torch.float64).to(dev)
    u_c = torch.full((n_networks, n_starts, 1), float(level), dtype=torch.float64, device=dev)
    r_end, speed = relax(mdl, u_c, r_start, n_relax)
    finite = torch.isfinite(r_end).all(-1)
    nan = torch.full(finite.shape, float("nan"), dtype=torch.float64)
    out = dict(N=n_units, reading=reading, rho=rho.cpu(), speed=speed.cpu(), finite=finite.double().mean().item(),
               lam=nan, disc=nan.clone(), spread=torch.full((n_networks,), float("nan"), dtype=torch.float64))
    if bool(finite.all()):
        J_end = continuous_jacobian(mdl, r_end, u_c)
        eye_N = torch.eye(n_units, dtype=torch.float64, device=dev)
        out["lam"] = torch.linalg.eigvals(J_end).real.amax(-1).cpu()
        out["disc"] = torch.linalg.eigvals(eye_N + mdl.dt * J_end).abs().amax(-1).cpu()
        out["spread"] = (r_end - r_end[:, :1]).norm(dim=-1).amax(-1).cpu()
    return out


# --------------------------------------------------------------------------- #
# Analysis of weight changes (chapter 03)
# --------------------------------------------------------------------------- #
def _batch_real(W, name):
    """A batch (B, N, M) of finite real matrices as float64; lists, numpy and torch accepted."""
    require_shape(W, name, (None, None, None))
    if not isinstance(W, torch.Tensor):
        W = torch.as_tensor(np.asarray(W))
    if W.is_complex() or W.dtype == torch.bool:
        raise TypeError(f"{name}: must be real-valued, got dtype {W.dtype}")
    if W.numel() == 0:
        raise ValueError(f"{name}: is empty (shape {tuple(W.shape)})")
    W = W.detach().double()
    require_finite(W, name)
    return W


def _batch_square(W, name):
    require_shape(W, name, (None, None, None))
    require_square(W, name)
    return _batch_real(W, name)


def _nonzero(W, name):
    if bool((W.abs().amax(dim=(-1, -2)) == 0).any()):
        raise ValueError(f"{name}: must not be a zero matrix (a share of zero energy is 0/0)")
    return W


def mean_weight(W, offdiag_only: bool = True):
    """Mean recurrent weight of each network (B, N, N) -> (B,); the zero diagonal excluded (note Fig. 4)."""
    W = _batch_square(W, "W")
    N = W.shape[-1]
    if offdiag_only:
        if N < 2:
            raise ValueError(f"W: needs N >= 2 for a mean of off-diagonal weights, got N = {N}")
        off = ~torch.eye(N, dtype=torch.bool, device=W.device)
        return W[:, off].mean(-1)
    return W.mean(dim=(-1, -2))


def singular_value_energy(W, k: int):
    r"""Fraction of ``||W||_F^2`` in the top ``k`` singular values, per matrix: (B, N, M) -> (B,)."""
    W = _nonzero(_batch_real(W, "W"), "W")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= min(W.shape[-2:]):
        raise ValueError(f"k: must be an integer in [1, {min(W.shape[-2:])}], got {k!r}")
    s2 = torch.linalg.svdvals(W) ** 2
    return s2[..., :k].sum(-1) / s2.sum(-1)


def effective_rank(W):
    r"""Participation ratio of the squared singular values, ``(sum s^2)^2 / sum s^4``: (B, N, M) -> (B,).

    It equals ``r`` for a matrix with ``r`` equal nonzero singular values and ``min(N, M)`` at most.
    """
    W = _nonzero(_batch_real(W, "W"), "W")
    s2 = torch.linalg.svdvals(W) ** 2
    return s2.sum(-1) ** 2 / (s2**2).sum(-1)


def abs_eigenvector_centrality(W, n_iter: int = 2000, tol: float = 1e-13):
    r"""Out-going eigenvector centrality of ``|W|`` for a signed, directed weight matrix.

    ``W[i, j]`` is the weight from unit ``j`` to unit ``i``.  The centrality ``c`` solves
    ``|W|^T c = rho c`` with ``rho`` the Perron root of the non-negative matrix ``|W|``:
    unit ``j`` is central when it projects strongly onto central units.  Perron–Frobenius
    makes ``c`` unique and positive when ``|W|`` is irreducible (every off-diagonal weight
    nonzero suffices); signs are dropped because a signed matrix has no such guarantee.
    Normalised to sum 1.  Power iteration, batched: (B, N, N) -> centrality (B, N), rho (B,).
    """
    A = _batch_square(W, "W").abs().transpose(-1, -2)
    _positive_int(n_iter, "n_iter")
    _positive(tol, "tol")
    N = A.shape[-1]
    c = torch.full(A.shape[:-1], 1.0 / N, dtype=A.dtype, device=A.device)
    # power iteration on (A + I) (same eigenvector, primitive even if A is merely irreducible)
    for _ in range(n_iter):
        new = (A @ c[..., None])[..., 0] + c
        new = new / new.sum(-1, keepdim=True)
        done = bool((new - c).abs().max() < tol)
        c = new
        if done:
            break
    else:
        raise ValueError(f"n_iter: power iteration did not converge to tol = {tol:g} in {n_iter} iterations "
                         f"(|W| may be reducible; raise n_iter)")
    rho = ((A @ c[..., None])[..., 0]).sum(-1) / c.sum(-1)
    return c, rho


def henrici_departure(W):
    r"""Henrici departure from normality ``sqrt(||W||_F^2 - sum_i |lambda_i|^2)``: (B, N, N) -> (B,).

    Equals ``||T - diag(T)||_F`` for any Schur form ``W = U T U^*`` (chapter 03).
    """
    W = _batch_square(W, "W")
    lam = torch.linalg.eigvals(W)
    d2 = (W**2).sum(dim=(-1, -2)) - (lam.abs() ** 2).sum(-1)
    return torch.sqrt(torch.clamp(d2, min=0.0))


def schur_departure(W, norm: str = "fro"):
    r"""Norm of the strictly upper-triangular part of the complex Schur form of each matrix.

    ``norm="fro"`` (invariant: equals :func:`henrici_departure`) or ``2`` (spectral norm,
    which depends on the order of the eigenvalues on the diagonal; scipy's order).  (B, N, N) -> (B,) numpy.
    """
    import scipy.linalg

    if norm not in ("fro", 2):
        raise ValueError(f"norm: must be 'fro' or 2, got {norm!r}")
    W = _batch_square(W, "W").cpu().numpy()
    out = []
    for Wb in W:  # scipy's Schur is not batched
        T, _ = scipy.linalg.schur(Wb, output="complex")
        out.append(np.linalg.norm(np.triu(T, 1), ord=norm))
    return np.array(out)


def paired_comparison(before, after, name: str = "quantity") -> dict:
    """Paired statistics across networks: mean change, Cohen's d_z, paired t-test and Wilcoxon p-values."""
    from scipy import stats

    a = np.asarray(before, dtype=float).ravel()
    c = np.asarray(after, dtype=float).ravel()
    require_finite(a, "before")
    require_finite(c, "after")
    if a.shape != c.shape:
        raise ValueError(f"after: must have the same shape as before, got {c.shape} vs {a.shape}")
    if a.size < 3:
        raise ValueError(f"before: need at least 3 paired samples, got {a.size}")
    d = c - a
    sd = d.std(ddof=1)
    dz = float(d.mean() / sd) if sd > 0 else float(np.sign(d.mean()) * np.inf)
    t_p = float(stats.ttest_rel(c, a).pvalue) if sd > 0 else 0.0
    w_p = float(stats.wilcoxon(c, a).pvalue) if np.any(d != 0) else 1.0
    return dict(quantity=name, n=int(a.size), mean_before=float(a.mean()), mean_after=float(c.mean()),
                mean_change=float(d.mean()), cohen_dz=dz, t_test_p=t_p, wilcoxon_p=w_p)


def shuffle_offdiagonal(W, generator: Optional[torch.Generator] = None):
    """Each matrix's off-diagonal entries randomly permuted (a null model with the same entries).

    (B, N, N) -> (B, N, N); the diagonal is left as it is.  One random permutation per matrix,
    drawn as a batched argsort of uniform keys.
    """
    W = _batch_square(W, "W")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: must be a torch.Generator or None, got {type(generator).__name__}")
    B, N, _ = W.shape
    off = ~torch.eye(N, dtype=torch.bool, device=W.device)
    vals = W[:, off]                                            # (B, N(N-1))
    keys = torch.rand(vals.shape, generator=generator, dtype=torch.float64).to(W.device)
    perm = torch.argsort(keys, dim=-1)
    out = W.clone()
    out[:, off] = torch.gather(vals, 1, perm)
    return out


def top_entry_energy(W, fraction: float = 0.05):
    r"""Share of ``sum_ij W_ij^2`` (off-diagonal) carried by the largest ``fraction`` of entries by magnitude.

    (B, N, N) -> (B,).  For i.i.d. Gaussian entries and ``fraction = 0.05`` the share tends to
    ``2 (q phi(q) + 1 - Phi(q)) = 0.279`` with ``q = 1.96`` (chapter 03); much larger values mean
    that a few weights carry most of the change.
    """
    W = _nonzero(_batch_square(W, "W"), "W")
    require_in_range(fraction, "fraction", 0.0, 1.0)
    if fraction == 0.0:
        raise ValueError("fraction: must be > 0")
    N = W.shape[-1]
    off = ~torch.eye(N, dtype=torch.bool, device=W.device)
    e = W[:, off] ** 2
    k = max(1, int(round(fraction * e.shape[-1])))
    top = torch.topk(e, k, dim=-1).values.sum(-1)
    return top / e.sum(-1)
