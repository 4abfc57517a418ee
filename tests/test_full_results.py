"""Stored full-scale results (``results/``, written by ``make full``): provenance, validity, staleness.

Cheap and structural: nothing is executed.  A stored result that lacks provenance, was not run
with the full preset, or records a failure (an error output, a status other than ``passed``)
fails; a *missing* or *stale* result does not fail (full runs take hours and are made by hand
with ``make full``), the test listing them is skipped with the list as its reason (``pytest -rs``).
The staleness rule itself is tested on temporary copies of a chapter and of the package.
"""
from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import fullscale as fs  # noqa: E402
from booktoc import toc_notebooks  # noqa: E402

CHAPTERS = toc_notebooks()
STORED = sorted((ROOT / fs.RESULTS).rglob("*.ipynb")) if (ROOT / fs.RESULTS).is_dir() else []


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


@pytest.mark.parametrize("result", STORED, ids=_rel)
def test_stored_result_is_valid(result):
    nb = fs.read_json(result)
    problems = fs.validate_result(nb)
    assert not problems, f"{_rel(result)}: " + "; ".join(problems)
    chapter = ROOT / "book" / result.relative_to(ROOT / fs.RESULTS)
    assert chapter in CHAPTERS, f"{_rel(result)}: no chapter {_rel(chapter)} in the toc (remove the stale file)"
    meta = nb["metadata"][fs.META_KEY]
    assert meta["chapter"] == _rel(chapter)
    assert meta["wall_time_s"] > 0 and meta["peak_rss_mb"] > 0, f"{_rel(result)}: wall time / peak memory not measured"


def test_no_stored_results_without_chapter():
    orphans = [_rel(r) for r in STORED if ROOT / "book" / r.relative_to(ROOT / fs.RESULTS) not in CHAPTERS]
    assert not orphans, f"stored results without a chapter in the toc: {orphans}"


def test_list_missing_or_stale_full_results():
    states = {c: fs.status(c) for c in CHAPTERS}
    bad = [f"{s[0]}: {_rel(c)} ({s[1]})" for c, s in states.items() if s[0] != "current"]
    if bad:
        n = sum(s[0] == "current" for s in states.values())
        pytest.skip(f"{n} of {len(CHAPTERS)} chapters have a current full result; run `make full` for:\n  "
                    + "\n  ".join(bad))


# --- the staleness rule, on temporary copies -------------------------------------------------


@pytest.fixture()
def sandbox(tmp_path):
    """A copy of one chapter and of rnnmath/ with a fake stored result that is current."""
    chapter_rel = Path("book/part5_unitary/02_theorem1.ipynb")
    (tmp_path / chapter_rel).parent.mkdir(parents=True)
    shutil.copy(ROOT / chapter_rel, tmp_path / chapter_rel)
    shutil.copytree(ROOT / "rnnmath", tmp_path / "rnnmath", ignore=shutil.ignore_patterns("__pycache__"))
    chapter = tmp_path / chapter_rel
    nb = fs.read_json(chapter)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = i + 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ok\n"}]
    nb["metadata"][fs.META_KEY] = {
        "status": "passed", "preset": "full", "device": "CPU (test)", "torch": "2.13.0", "wall_time_s": 1.0,
        "peak_rss_mb": 100.0, "date": "2026-01-01T00:00:00+00:00", "chapter": str(chapter_rel),
        **fs.fingerprint_parts(fs.read_json(chapter), tmp_path)}
    rpath = fs.result_path(chapter, tmp_path)
    rpath.parent.mkdir(parents=True)
    rpath.write_text(json.dumps(nb))
    return tmp_path, chapter, rpath


def _edit(path: Path, fn):
    nb = fs.read_json(path)
    fn(nb)
    path.write_text(json.dumps(nb))


def _first(nb, kind):
    """The first cell of ``kind``, skipping the hidden install cell (which the fingerprint ignores)."""
    return next(c for c in nb["cells"] if c["cell_type"] == kind
                and "rnnmath-install" not in c.get("metadata", {}).get("tags", []))


def test_fake_result_is_current(sandbox):
    root, chapter, _ = sandbox
    assert fs.status(chapter, root)[0] == "current"


def test_changed_code_cell_makes_result_stale(sandbox):
    root, chapter, _ = sandbox
    _edit(chapter, lambda nb: _first(nb, "code").__setitem__("source", fs._source(_first(nb, "code")) + "\nx = 1"))
    state, reason, _ = fs.status(chapter, root)
    assert state == "stale" and "code cells changed" in reason, (state, reason)


def test_added_code_cell_makes_result_stale(sandbox):
    root, chapter, _ = sandbox
    _edit(chapter, lambda nb: nb["cells"].append({"cell_type": "code", "metadata": {}, "source": "y = 2",
                                                  "outputs": [], "execution_count": None}))
    assert fs.status(chapter, root)[0] == "stale"


def test_prose_outputs_and_install_cell_do_not_make_result_stale(sandbox):
    root, chapter, _ = sandbox

    def edit(nb):
        _first(nb, "markdown")["source"] = fs._source(_first(nb, "markdown")) + "\nMore prose."
        _first(nb, "code")["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "other\n"}]
        nb["cells"].insert(0, {"cell_type": "code", "metadata": {"tags": [fs.INSTALL_TAG]},
                               "source": "%pip install rnnmath", "outputs": [], "execution_count": None})
    _edit(chapter, edit)
    assert fs.status(chapter, root)[0] == "current"


@pytest.mark.parametrize("module", ["rnnmath/unitary.py", "rnnmath/verify.py", "rnnmath/__init__.py"])
def test_changed_imported_module_makes_result_stale(sandbox, module):
    root, chapter, _ = sandbox
    with open(root / module, "a") as fh:
        fh.write("\n# edited\n")
    state, reason, _ = fs.status(chapter, root)
    assert state == "stale" and module in reason, (state, reason)


def test_module_not_imported_does_not_make_result_stale(sandbox):
    root, chapter, _ = sandbox
    closure = fs.module_closure(fs.code_sources(fs.read_json(chapter)), root)
    assert "rnnmath/gated.py" not in closure, closure  # Part V ch. 2 does not use the gated module
    with open(root / "rnnmath/gated.py", "a") as fh:
        fh.write("\n# edited\n")
    assert fs.status(chapter, root)[0] == "current"


def test_closure_follows_relative_and_dynamic_imports(tmp_path):
    pkg = tmp_path / "rnnmath"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("def f():\n    from . import b\n")
    (pkg / "b.py").write_text("")
    (pkg / "c.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("import importlib\nimportlib.import_module('x')\n")
    (pkg / "sub" / "n1.py").write_text("from ..c import x\n")
    assert fs.module_closure(["import rnnmath"], tmp_path) == ["rnnmath/__init__.py", "rnnmath/a.py", "rnnmath/b.py"]
    assert fs.module_closure(["%matplotlib inline\nfrom rnnmath.sub import y"], tmp_path) == [
        "rnnmath/__init__.py", "rnnmath/a.py", "rnnmath/b.py", "rnnmath/c.py",
        "rnnmath/sub/__init__.py", "rnnmath/sub/n1.py"]


@pytest.mark.parametrize("breakage, expected", [
    (lambda nb: nb["metadata"].pop(fs.META_KEY), "no provenance"),
    (lambda nb: nb["metadata"][fs.META_KEY].pop("device"), "lacks 'device'"),
    (lambda nb: nb["metadata"][fs.META_KEY].__setitem__("status", "failed"), "status is 'failed'"),
    (lambda nb: nb["metadata"][fs.META_KEY].__setitem__("preset", "quick"), "preset is 'quick'"),
    (lambda nb: _first(nb, "code")["outputs"].append(
        {"output_type": "error", "ename": "VerificationError", "evalue": "1 check failed", "traceback": []}),
     "error outputs"),
    (lambda nb: _first(nb, "code").__setitem__("execution_count", None), "never executed"),
])
def test_invalid_result_is_reported(sandbox, breakage, expected):
    root, chapter, rpath = sandbox
    nb = copy.deepcopy(fs.read_json(rpath))
    breakage(nb)
    problems = fs.validate_result(nb)
    assert any(expected in p for p in problems), problems
    rpath.write_text(json.dumps(nb))
    assert fs.status(chapter, root)[0] == "invalid"


def test_banner_names_preset_device_date_and_wall_time(sandbox):
    _, _, rpath = sandbox
    text = fs.banner_text(fs.read_json(rpath)["metadata"][fs.META_KEY])
    for piece in ("'full'", "CPU (test)", "2026-01-01", "1 s", "100 MB"):
        assert piece in text, (piece, text)


def test_published_build_uses_only_current_results(sandbox):
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import full_banner

    root, chapter, _ = sandbox
    kind, _, meta = full_banner.choose(chapter, root)
    assert kind == "full" and meta["device"] == "CPU (test)"
    with open(root / "rnnmath/unitary.py", "a") as fh:
        fh.write("\n# edited\n")
    kind, reason, meta = full_banner.choose(chapter, root)
    assert kind == "quick" and meta is None and reason.startswith("stale"), reason
    text = full_banner.quick_banner_text({"mtime": 0.0, "runtime": 12.0}, "quick", "CPU", "stale full result")
    for piece in ("'quick'", "CPU", "1970-01-01", "12 s", "stale"):
        assert piece in text, (piece, text)
