"""Every public name of the package is covered by the bad-input sweep (tests/sweep/)."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import rnnmath

SWEEP = Path(__file__).resolve().parent / "sweep"


def _public_modules():
    out = {}
    for mod in pkgutil.walk_packages(rnnmath.__path__, "rnnmath."):
        if mod.name.startswith("rnnmath.errata.") or mod.name.endswith("__main__"):
            continue
        m = importlib.import_module(mod.name)
        if hasattr(m, "__all__"):
            out[mod.name] = m
    return out


def _sweep_files():
    return sorted(p for p in SWEEP.glob("test_sweep_*.py"))


def _covered(module: str):
    """Names of ``module`` covered by a case or exempted, from the sweep files that sweep it.

    A file ``test_sweep_<name>.py`` sweeps ``rnnmath.<name>`` unless it lists its modules in a
    ``MODULES`` mapping (the core file sweeps several)."""
    names, exempt = set(), set()
    for p in _sweep_files():
        m = importlib.import_module(f"sweep.{p.stem}")
        mods = set(getattr(m, "MODULES", {})) or {"rnnmath." + p.stem[len("test_sweep_"):]}
        if module not in mods:
            continue
        names |= {c.func.split(".")[0] for c in getattr(m, "CASES", [])}
        for k, why in getattr(m, "EXEMPT", {}).items():
            assert why and len(why) > 8, f"{p.name}: EXEMPT[{k!r}] needs a reason"
            exempt.add(k)
    return names, exempt


@pytest.mark.parametrize("module", sorted(_public_modules()))
def test_every_public_name_is_swept(module):
    m = _public_modules()[module]
    names, exempt = _covered(module)
    own = {n for n in m.__all__ if not n.startswith("__")}
    # names re-exported from another module are swept there
    own = {n for n in own if getattr(getattr(m, n), "__module__", module) in (module, None)
           or not callable(getattr(m, n))}
    missing = sorted(own - names - exempt)
    assert not missing, f"{module}: no sweep case for {missing}"
