"""Tests of rnnmath.attractor (Part III, note 002): formulas pass, wrong versions fail, bad input is refused."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from torch.func import grad

from rnnmath import attractor as att
from rnnmath.verify import check_bound, check_close, check_functions_agree, check_hessian

DEV = torch.device("cpu")
F64 = torch.float64


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(1234)


def sym_net(gen, n=6, batch=None, scale=1.5, self_connection=0.0):
    W = att.random_symmetric_weights(batch or 1, n, scale=scale, self_connection=self_connection, generator=gen, device=DEV)
    b = 0.3 * torch.randn(batch or 1, n, generator=gen, dtype=F64)
    return (W, b) if batch else (W[0], b[0])


# --------------------------------------------------------------------------- #
# chapter 1: energy
# --------------------------------------------------------------------------- #
def test_barrier_matches_note_formula_and_is_bounded():
    x = torch.linspace(-0.999, 0.999, 101, dtype=F64)
    note = x * torch.atanh(x) + 0.5 * torch.log(1 - x**2)
    check_close(att.barrier(x), note, "Eq. 2 barrier")
    check_close(att.barrier(torch.tensor([1.0, -1.0], dtype=F64)), torch.full((2,), math.log(2), dtype=F64), "F(+-1) = ln 2")
    # a wrong barrier (the note's terms without the 1/2) is rejected
    wrong = x * torch.atanh(x) + torch.log(1 - x**2)
    assert not check_close(att.barrier(x), wrong, "wrong barrier", strict=False).passed
    check_close(att.barrier_slope(x), torch.atanh(x), "F' = artanh")


def test_barrier_rejects_out_of_range():
    with pytest.raises(ValueError, match="x"):
        att.barrier(torch.tensor([1.5], dtype=F64))


def test_energy_gradient_and_hessian_vs_autograd(gen):
    W, b = sym_net(gen)
    pts = 0.8 * (2 * torch.rand(4, 6, generator=gen, dtype=F64) - 1)
    E = lambda s: att.energy(s, W, b)
    check_functions_agree(grad(E), lambda s: att.energy_gradient(s, W, b), pts, "grad E")
    check_hessian(E, lambda s: -W + torch.diag(1 / (1 - s**2)), pts, "Hessian E")
    # wrong sign of the quadratic term is rejected
    r = check_functions_agree(grad(E), lambda s: s @ W - b + torch.atanh(s), pts, "wrong grad", strict=False)
    assert not r.passed


def test_energy_batched_matches_loop(gen):
    W, b = sym_net(gen, batch=5)
    x = 0.5 * torch.rand(5, 6, generator=gen, dtype=F64)
    batched = att.energy(x, W, b)
    looped = torch.stack([att.energy(x[k], W[k], b[k]) for k in range(5)])
    check_close(batched, looped, "batched energy")


def test_energy_validation(gen):
    W, b = sym_net(gen)
    x = torch.zeros(6, dtype=F64)
    with pytest.raises(ValueError, match="W"):
        att.energy(x, W + torch.triu(torch.ones_like(W), 1), b)
    with pytest.raises(ValueError, match="x"):
        att.energy(torch.zeros(5, dtype=F64), W, b)
    with pytest.raises(ValueError, match="b"):
        att.energy(x, W, torch.zeros(4, dtype=F64))
    with pytest.raises(ValueError, match="W"):
        att.energy(x, torch.zeros(6, 5, dtype=F64), b)


def test_fixed_points_are_stationary(gen):
    W, b = sym_net(gen, batch=8)
    x = torch.zeros(8, 6, dtype=F64)
    for _ in range(100):
        x = att.asynchronous_sweep(x, W, b)
    check_close(att.energy_gradient(x, W, b), torch.zeros_like(x), "stationary", atol=1e-9)
