"""Small fixes to the rendered pages found by the browser tests.

Jupyter Book 1.x registers some theme scripts twice (``THEBE_JS_URL`` is then
declared twice with ``const``, a SyntaxError in the console of every page).
This extension drops exact duplicates from each page's script list, and gives
the colour-mode switch a valid initial value on a reader's first visit (the
theme otherwise logs "invalid theme mode" as a console error).
"""
from __future__ import annotations


def _script_key(js) -> tuple:
    """Identity of a script; duplicates differ only in priority and in None vs "" filename."""
    if isinstance(js, str):
        return (js, ())
    attrs = getattr(js, "attributes", {}) or {}
    return (str(getattr(js, "filename", None) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items())))


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


_MODE_FIX = (
    'if (!["light", "dark", "auto"].includes(document.documentElement.dataset.mode))'
    ' { document.documentElement.dataset.mode = "auto"; }'
)


def setup(app):
    app.add_js_file(None, body=_MODE_FIX, priority=100)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
