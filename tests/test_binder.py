"""The launch buttons work (issue 19): Binder's files build an environment that executes a
chapter, and the install cell brings ``rnnmath`` into a kernel that lacks it (Colab).

Always on (cheap): the Binder files are there and point at the pinned environment; the
repository URL lives in ``_config.yml`` and the README's (and the intro's) ``git clone`` line
names it; every toc chapter carries the current install cell of ``tools/install_cell.py``
(which names that URL); the cell's logic, with ``pip`` intercepted, installs exactly what is
missing and nothing when everything imports.

Opt-in (``RNNMATH_BINDER_TEST=1``, minutes each, offline: the packages come from this
machine's wheel indexes; ``make test-binder``):

(a) a fresh virtual environment built only from ``binder/`` (requirements, then ``postBuild``)
    executes one chapter (``RNNMATH_BINDER_CHAPTER``, default Part V's first) in a kernel
    whose interpreter is that environment's;
(b) a fresh virtual environment without ``rnnmath`` runs the install cell, with the
    package's source directory as the install target (``RNNMATH_INSTALL_TARGET``), and then
    imports ``rnnmath`` from its own site-packages; run again, the cell does nothing.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from booktoc import toc_notebooks

import install_cell as ic

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
SLOW = pytest.mark.skipif(os.environ.get("RNNMATH_BINDER_TEST") != "1",
                          reason="slow (builds a virtual environment): set RNNMATH_BINDER_TEST=1")
URL, BRANCH = ic.repository()
SOURCE = ic.cell_source(ic.install_target())


# ---------------------------------------------------------------- always on: files and URL
def test_binder_files_install_the_pinned_environment_and_the_package():
    req = (BINDER / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in req, "binder/requirements.txt must read the pinned list requirements.txt"
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11", "Binder's Python must be the pinned 3.11"
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/bin/bash") and "set -e" in text
    assert re.search(r"^python -m pip install (--no-deps )?-e \.$", text, re.M), "postBuild must install the package"
    pins = (ROOT / "requirements.txt").read_text()
    for pkg in ("torch", "ipykernel", "jupyterlab", "ipywidgets", "jupyter-book"):
        assert re.search(rf"^{pkg}==", pins, re.M), f"requirements.txt must pin {pkg} for Binder"


def test_repository_url_lives_in_config_and_the_clone_lines_name_it():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", URL), URL
    for doc in ("README.md", "book/intro.md"):
        clones = re.findall(r"git clone (\S+)", (ROOT / doc).read_text())
        assert clones, f"{doc}: no `git clone` line"
        wrong = [c for c in clones if c.removesuffix(".git") != URL]
        assert not wrong, f"{doc}: `git clone {wrong[0]}` does not name repository.url of _config.yml ({URL})"


def test_config_url_is_refused_when_it_is_not_https(tmp_path):
    cfg = tmp_path / "_config.yml"
    cfg.write_text("repository:\n  url: git@github.com:a/b\n")
    with pytest.raises(ValueError, match="config: repository.url must be an https URL"):
        ic.repository(cfg)
    with pytest.raises(ValueError, match="target: must be"):
        ic.cell_source('x"; import os')


@pytest.mark.parametrize("nb_path", toc_notebooks(), ids=lambda p: p.stem if p.parent.name == "book"
                         else f"{p.parent.name}/{p.stem}")
def test_every_chapter_has_the_current_install_cell(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    bad = ic.problems(nb, SOURCE)
    assert not bad, f"{nb_path.name}: {'; '.join(bad)} -- run `.venv/bin/python tools/install_cell.py`"
    cell = next(c for c in nb.cells if ic.is_install_cell(c))
    assert URL in cell.source and f"@{BRANCH}" in cell.source


# ---------------------------------------------------------------- always on: the tool
def test_the_tool_places_one_cell_before_the_first_code_cell_and_is_idempotent(tmp_path):
    src = next(p for p in toc_notebooks() if "part" in p.parent.name)
    path = tmp_path / src.name
    shutil.copy(src, path)
    before = nbformat.read(path, as_version=4)
    original = [c for c in before.cells if not ic.is_install_cell(c)]
    ic.apply(path, SOURCE)
    after = nbformat.read(path, as_version=4)
    assert ic.problems(after, SOURCE) == []
    assert [c for c in after.cells if not ic.is_install_cell(c)] == original, "other cells must be untouched"
    assert ic.apply(path, SOURCE) is False, "a second run must change nothing"
    # a stale copy elsewhere in the notebook is replaced, not duplicated
    stale = nbformat.read(path, as_version=4)
    stale.cells.append(nbformat.v4.new_code_cell("old", metadata={"tags": [ic.TAG]}))
    nbformat.write(stale, path)
    assert ic.problems(nbformat.read(path, as_version=4), SOURCE) == ["2 cells tagged 'rnnmath-install' (need exactly one)"]
    assert ic.apply(path, SOURCE) is True and ic.problems(nbformat.read(path, as_version=4), SOURCE) == []
    # the cleaner leaves the cell alone
    subprocess.run([sys.executable, str(ROOT / "tools" / "nbclean.py"), str(path)], check=True)
    assert ic.problems(nbformat.read(path, as_version=4), SOURCE) == []


def test_the_cell_takes_the_url_from_config(tmp_path):
    cfg = tmp_path / "_config.yml"
    cfg.write_text("repository:\n  url: https://github.com/someone/else/\n  branch: dev\n")
    assert ic.install_target(cfg) == "git+https://github.com/someone/else@dev"
    assert "git+https://github.com/someone/else@dev" in ic.cell_source(ic.install_target(cfg))
    assert ic.install_target() == f"git+{URL}@{BRANCH}"


def test_the_cell_is_short_and_hidden():
    assert len([ln for ln in SOURCE.splitlines() if ln.strip()]) <= 15
    assert {"rnnmath-install", "remove-input", "remove-output"} <= set(ic.TAGS)


# ---------------------------------------------------------------- always on: the cell's logic
def _run_cell(monkeypatch, absent=()):
    """Execute the cell with pip intercepted and the modules in ``absent`` not importable."""
    calls = []
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in absent else real(name, *a))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    exec(compile(SOURCE, "<install cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_the_cell_does_nothing_when_everything_imports(monkeypatch):
    assert _run_cell(monkeypatch) == []


def test_the_cell_installs_the_repository_when_rnnmath_is_missing(monkeypatch):
    monkeypatch.delenv(ic.ENV_TARGET, raising=False)
    calls = _run_cell(monkeypatch, absent={"rnnmath"})
    assert calls == [([sys.executable, "-m", "pip", "install", "--quiet", f"git+{URL}@{BRANCH}"], {"check": True})]


def test_the_cell_installs_the_override_and_the_missing_extras(monkeypatch):
    monkeypatch.setenv(ic.ENV_TARGET, "/some/source/dir")
    calls = _run_cell(monkeypatch, absent={"rnnmath", "myst_nb", "sklearn"})
    assert calls == [([sys.executable, "-m", "pip", "install", "--quiet", "/some/source/dir", "myst-nb",
                       "scikit-learn"], {"check": True})]


# ---------------------------------------------------------------- opt-in: fresh environments
def _copy_repo(dest: Path) -> Path:
    """The files a Binder build sees (tracked sources of the package, book and binder/)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "_build", ".ipynb_checkpoints")
    for name in ("binder", "rnnmath", "book", "tools"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("requirements.txt", "pyproject.toml", "README.md", "_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(ROOT / name, dest / name)
    return dest


def _venv(path: Path) -> Path:
    """A fresh virtual environment of this machine's Python 3.11 (no site packages)."""
    base = shutil.which("python3.11") or shutil.which("python3")
    subprocess.run([base, "-m", "venv", str(path)], check=True, timeout=300)
    return path / "bin" / "python"


def _env(venv_python: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(PATH=f"{venv_python.parent}:{env.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(venv_python.parent.parent),
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", RNNMATH_SCALE="quick", RNNMATH_PROGRESS="0")
    env.update(extra)
    return env


def _run(cmd, env, cwd, timeout=3600):
    t0 = time.time()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    print(f"[{time.time() - t0:6.1f} s] {' '.join(map(str, cmd))[:120]}")
    return r


EXECUTE = """
import json, sys, nbformat
from nbclient import NotebookClient
path, probe = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(probe))
NotebookClient(nb, timeout=1200, kernel_name="python3",
               resources={"metadata": {"path": str(__import__('pathlib').Path(path).parent)}}).execute()
print("PROBE " + "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip())
"""
PROBE = "import sys, json, rnnmath; print(json.dumps([sys.executable, rnnmath.__file__]))"


@SLOW
def test_a_fresh_environment_from_the_binder_files_executes_a_chapter(tmp_path):
    t0 = time.time()
    repo = _copy_repo(tmp_path / "repo")
    # offline: drop the index lines that name a network host (the pins come from the local wheel indexes)
    req = repo / "binder" / "requirements.txt"
    lines = req.read_text().splitlines()
    network = [ln for ln in lines if re.match(r"--(extra-)?index-url\s+https?://", ln)]
    assert all("download.pytorch.org" in ln for ln in network), network
    req.write_text("\n".join(ln for ln in lines if ln not in network) + "\n")
    py = _venv(tmp_path / "venv")
    jupyter_home = tmp_path / "jupyter"   # no kernel spec of this machine can be picked up
    env = _env(py, JUPYTER_DATA_DIR=str(jupyter_home), JUPYTER_CONFIG_DIR=str(jupyter_home),
               JUPYTER_PATH=str(jupyter_home), RNNMATH_INSTALL_TARGET=str(tmp_path / "must-not-be-installed"))
    _run([py, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"], env, repo)
    _run(["bash", str(repo / "binder" / "postBuild")], env, repo)
    chapter = repo / os.environ.get("RNNMATH_BINDER_CHAPTER", "book/part5_unitary/01_equivalence.ipynb")
    ic.apply(chapter, SOURCE)      # the chapter as the lead's tool leaves it (no-op once applied)
    r = _run([py, "-c", EXECUTE, str(chapter), PROBE], env, tmp_path)
    exe, mod = json.loads(r.stdout.split("PROBE ", 1)[1])
    assert Path(exe).parent == py.parent, f"the kernel ran {exe}, not the Binder environment's python"
    assert Path(mod).resolve().is_relative_to((repo / "rnnmath").resolve()), f"rnnmath came from {mod}"
    print(f"binder environment built and {chapter.name} executed in {time.time() - t0:.0f} s")


@SLOW
def test_the_install_cell_installs_rnnmath_into_a_fresh_environment(tmp_path):
    t0 = time.time()
    src = tmp_path / "src"          # a copy: a local pip build writes build/ and *.egg-info into it
    shutil.copytree(ROOT / "rnnmath", src / "rnnmath", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    py = _venv(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    # the package's dependencies are unpinned (as on Colab, where torch is preinstalled); pin them to
    # requirements.txt here so that pip takes this machine's CPU wheel of torch, not a CUDA build
    env = _env(py, RNNMATH_INSTALL_TARGET=str(src), PIP_CONSTRAINT=str(ROOT / "requirements.txt"))
    absent = subprocess.run([py, "-c", "import rnnmath"], env=env, cwd=work, capture_output=True, text=True)
    assert absent.returncode != 0 and "No module named 'rnnmath'" in absent.stderr, "the venv must start without rnnmath"
    probe = PROBE + "; rnnmath.describe_environment()"
    r = _run([py, "-c", SOURCE + "\n" + probe], env, work)
    exe, mod = json.loads(r.stdout.splitlines()[0])
    site = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env, work).stdout.strip()
    assert Path(mod).resolve().is_relative_to(Path(site).resolve()), f"rnnmath imported from {mod}, not {site}"
    # run again with an install target that cannot exist: the cell must not call pip at all
    again = _env(py, RNNMATH_INSTALL_TARGET=str(tmp_path / "no-such-dir"))
    _run([py, "-c", SOURCE + "\n" + PROBE], again, work)
    print(f"install cell: fresh environment to `import rnnmath` in {time.time() - t0:.0f} s")
