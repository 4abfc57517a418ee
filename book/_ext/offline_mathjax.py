"""Serve MathJax from the built book itself (no network needed to read the maths).

The MathJax 3 distribution is taken from the files shipped by the PyPI package
``sphinx-mathjax-offline`` (whose own module is not importable under its
installed name); this extension points Sphinx's ``mathjax_path`` at a local copy
and copies the files into ``_static/mathjax`` after a successful build.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

from sphinx.util.fileutil import copy_asset

DIST = "sphinx-mathjax-offline"


def mathjax_source() -> Path:
    """Directory holding ``tex-chtml.js`` and the rest of MathJax 3."""
    dist = metadata.distribution(DIST)
    for f in dist.files or []:
        if f.name == "tex-chtml.js" and f.parent.name == "mathjax":
            return Path(dist.locate_file(f)).parent
    raise RuntimeError(f"{DIST}: no mathjax/tex-chtml.js among its files; reinstall requirements.txt")


def _copy(app, exc):
    if exc is None and app.builder.format == "html":
        copy_asset(str(mathjax_source()), str(Path(app.outdir) / "_static" / "mathjax"))


def setup(app):
    mathjax_source()  # fail early, with a clear message, if the files are missing
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    # chapter titles with mathematics appear in the navigation of every page, so MathJax
    # must be loaded on pages without mathematics of their own too
    app.set_html_assets_policy("always")
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
