"""Render chapters from their stored full-scale results, with a one-line banner on every chapter page.

Off unless the Sphinx config value ``rnnmath_published`` is true (``make book`` is unchanged;
``make book-published``, i.e. ``tools/build_published.py``, turns it on).  When on:

* ``source-read``: a chapter ``book/<part>/<name>.ipynb`` whose stored result
  ``results/<part>/<name>.ipynb`` is *current* (``tools/fullscale.py``: same fingerprint of code
  cells and imported ``rnnmath`` modules, passed, provenance complete) is replaced by that result,
  outputs included, with myst-nb's execution switched off for it (``metadata.mystnb``); every
  other chapter is executed (or taken from the jupyter-cache) as in ``make book``;
* ``doctree-read``: a banner under the chapter's title says which: preset, device, date and wall
  time of the stored full run, or of the build-time quick execution (and why no full result
  was used: missing, or stale and what changed).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import sys
from pathlib import Path

from docutils import nodes

_TOOLS = Path(__file__).resolve().parents[2] / "tools"
if str(_TOOLS) not in sys.path:
    sys.path.insert(0, str(_TOOLS))
import fullscale as fs  # noqa: E402

_STYLE = ("border-left:4px solid {c};background:{bg};padding:0.35em 0.7em;margin:0.4em 0 1em 0;"
          "font-size:0.88em;")


def _chapter(app, docname: str) -> Path | None:
    p = Path(app.srcdir) / f"{docname}.ipynb"
    return p if p.is_file() and docname.startswith("book/") else None


def choose(chapter: Path, root: Path = fs.ROOT) -> tuple[str, str, dict | None]:
    """``("full", reason, provenance)`` when a current stored result exists, else ``("quick", reason, None)``."""
    state, reason, meta = fs.status(chapter, root)
    if state == "current":
        return "full", reason, meta
    return "quick", f"{state} full result: {reason}", None


def _source_read(app, docname, source):
    if not app.config.rnnmath_published:
        return
    chapter = _chapter(app, docname)
    if chapter is None:
        return
    kind, _, _ = choose(chapter, Path(app.srcdir))
    if kind != "full":
        return
    res = fs.read_json(fs.result_path(chapter, Path(app.srcdir)))
    res.setdefault("metadata", {})["mystnb"] = {"execution_mode": "off"}
    source[0] = json.dumps(res)


def quick_banner_text(exec_data: dict | None, scale: str, device: str, why: str) -> str:
    when = runtime = "?"
    if exec_data:
        if exec_data.get("mtime") is not None:
            when = dt.datetime.fromtimestamp(exec_data["mtime"], dt.timezone.utc).strftime("%Y-%m-%d")
        runtime = fs.format_seconds(exec_data.get("runtime"))
    return (f"Outputs on this page: preset '{scale}' (small sizes, as in CI), executed at build time on {device}, "
            f"{when}, wall time {runtime}; no current full-scale result ({why}).")


def _build_device() -> str:
    try:
        from rnnmath.device import get_device

        dev = get_device()
        if dev.type == "cuda":
            import torch

            return f"CUDA {torch.cuda.get_device_name(dev)}"
        return "CPU"
    except Exception as exc:  # pragma: no cover - the banner must not break the build
        return f"? ({type(exc).__name__})"


def _doctree_read(app, doctree):
    if not app.config.rnnmath_published:
        return
    docname = app.env.docname
    chapter = _chapter(app, docname)
    if chapter is None:
        return
    kind, reason, meta = choose(chapter, Path(app.srcdir))
    if kind == "full":
        text, colour, bg = fs.banner_text(meta), "#2e7d32", "rgba(46,125,50,0.08)"
    else:
        from myst_nb.sphinx_ import NbMetadataCollector

        exec_data = NbMetadataCollector.get_exec_data(app.env, docname)
        scale = os.environ.get("RNNMATH_SCALE", "quick") or "quick"
        text = quick_banner_text(exec_data, scale, _build_device(), reason.split(":")[0])
        colour, bg = "#9e9e9e", "rgba(158,158,158,0.10)"
    raw = nodes.raw("", f'<div class="rnnmath-banner rnnmath-banner-{kind}" style="{_STYLE.format(c=colour, bg=bg)}">'
                        f"{html.escape(text)}</div>", format="html")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section.children[0], nodes.title):
        section.insert(1, raw)
    else:
        doctree.insert(0, raw)


def setup(app):
    app.add_config_value("rnnmath_published", False, "env", [bool])
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
