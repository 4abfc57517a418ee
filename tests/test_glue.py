"""Numbers quoted in prose come from the outputs (myst-nb glue), and the build checks them.

Two tests: (1) a throw-away Jupyter Book whose prose quotes a glued value builds, and the same
book quoting a value that no cell glued fails the ``-W`` build — the mechanism every chapter
relies on; (2) in the real chapters, every ``{glue...}`key``` reference of the prose is glued
by a code cell of the same notebook (a static check, cheap enough to run everywhere).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from booktoc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).with_name("jupyter-book")
REF = re.compile(r"\{glue(?::(?:text|any|math|figure))?\}`([^`:]+)(?::[^`]*)?`")
GLUED = re.compile(r"""glue\(\s*["']([^"']+)["']""")


def _book(tmp_path: Path, prose: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "_config.yml").write_text("title: glue test\nexecute:\n  execute_notebooks: force\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('from myst_nb import glue\nglue("gain", 3.14159, display=False)'),
                nbformat.v4.new_markdown_cell(prose)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "index.ipynb")
    return tmp_path


@pytest.mark.skipif(not JB.exists(), reason="jupyter-book is not installed in this environment")
def test_a_glued_sentence_builds_and_a_missing_value_fails_the_build(tmp_path):
    good = _book(tmp_path / "good", "The gain is {glue:text}`gain:.2f`.")
    ok = subprocess.run([str(JB), "build", str(good), "-W"], capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    html = (good / "_build" / "html" / "index.html").read_text()
    assert "3.14" in html
    bad = _book(tmp_path / "bad", "The gain is {glue:text}`gain:.2f` and the rate {glue:text}`rate:.2f`.")
    fail = subprocess.run([str(JB), "build", str(bad), "-W"], capture_output=True, text=True, timeout=600)
    out = fail.stdout + fail.stderr
    assert "No key 'rate' found in glue data" in out, out[-3000:]
    assert "error in building your book" in out or fail.returncode != 0


@pytest.mark.parametrize("nb_path", toc_notebooks(), ids=lambda p: p.stem)
def test_every_glue_reference_of_a_chapter_is_glued_in_it(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    refs = {m for c in nb.cells if c.cell_type == "markdown" for m in REF.findall(c.source)}
    glued = {m for c in nb.cells if c.cell_type == "code" for m in GLUED.findall(c.source)}
    missing = sorted(refs - glued)
    assert not missing, f"{nb_path.name}: prose quotes {missing} but no code cell glues them"
