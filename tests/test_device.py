"""Device, presets and seeding."""
import os
import subprocess
import sys

import pytest
import torch

import rnnmath
from rnnmath import device as D


def test_preset_picks_scale_and_requires_same_keys(monkeypatch):
    monkeypatch.setenv("RNNMATH_SCALE", "quick")
    P = rnnmath.preset(quick=dict(n=2, T=3), full=dict(n=200, T=3000))
    assert (P.scale, P.n, P["T"], len(P)) == ("quick", 2, 3, 2)
    monkeypatch.setenv("RNNMATH_SCALE", "full")
    assert rnnmath.preset(quick=dict(n=2), full=dict(n=200)).n == 200
    with pytest.raises(ValueError, match="quick/full"):
        rnnmath.preset(quick=dict(n=2), full=dict(m=3))
    with pytest.raises(ValueError, match="reserved"):
        rnnmath.preset(quick=dict(scale=2), full=dict(scale=3))
    with pytest.raises(AttributeError, match="no size named"):
        P.missing


def test_scale_validation_and_default(monkeypatch):
    monkeypatch.setenv("RNNMATH_SCALE", "huge")
    with pytest.raises(ValueError, match="scale"):
        D.get_scale()
    monkeypatch.delenv("RNNMATH_SCALE")
    assert D.get_scale() == ("full" if torch.cuda.is_available() else "quick")
    monkeypatch.setenv("RNNMATH_DEVICE", "cpu")
    assert D.get_scale() == "quick"


def test_device_override(monkeypatch):
    monkeypatch.setenv("RNNMATH_DEVICE", "cpu")
    assert D.get_device().type == "cpu"
    with pytest.raises(ValueError, match="device"):
        D.get_device("not-a-device")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            D.get_device("cuda")


def test_ci_uses_quick_preset():
    """`make test` (what .ci/run calls) forces the quick preset."""
    if os.environ.get("RNNMATH_BOOK_BUILT") == "1":  # running under `make test`
        assert D.get_scale() == "quick"
    makefile = open(os.path.join(os.path.dirname(__file__), "..", "Makefile")).read()
    assert "test: export RNNMATH_SCALE = quick" in makefile
    ci = open(os.path.join(os.path.dirname(__file__), "..", ".ci", "run")).read()
    assert "make test\n" in ci and "make test-browser" in ci


def test_imports_without_cuda():
    code = "import rnnmath, torch; from rnnmath import errata; errata.load_all(); print(rnnmath.get_device().type, rnnmath.get_scale(), torch.cuda.is_initialized())"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", RNNMATH_SCALE="")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["cpu", "quick", "False"]


def test_seed_everything_reproducible():
    rnnmath.seed_everything(5)
    a = torch.randn(3)
    rng = rnnmath.seed_everything(5)
    assert torch.equal(a, torch.randn(3))
    assert rng.integers(0, 10**9) == rnnmath.seed_everything(5).integers(0, 10**9)
    with pytest.raises(ValueError, match="seed"):
        rnnmath.seed_everything(-1)


def test_progress_disabled_by_env(monkeypatch):
    monkeypatch.setenv("RNNMATH_PROGRESS", "0")
    bar = rnnmath.progress(range(3))
    assert bar.disable and list(bar) == [0, 1, 2]


def test_describe_environment(capsys):
    info = rnnmath.describe_environment()
    assert info.device.type in ("cpu", "cuda") and info.scale in D.SCALES
    assert "preset" in capsys.readouterr().out


@pytest.mark.parametrize("raw", ["one", "-2"])
def test_seed_offset_refuses_bad_values(monkeypatch, raw):
    from rnnmath import device

    monkeypatch.setenv("RNNMATH_SEED_OFFSET", raw)
    with pytest.raises(ValueError, match="RNNMATH_SEED_OFFSET: must be a non-negative integer"):
        device.seed_offset()


def test_seed_offset_shifts_seeds(monkeypatch):
    from rnnmath import device

    monkeypatch.setenv("RNNMATH_SEED_OFFSET", "2")
    assert device.seeded(5) == 5 + 2 * 1_000_003
    monkeypatch.delenv("RNNMATH_SEED_OFFSET")
    assert device.seeded(5) == 5
