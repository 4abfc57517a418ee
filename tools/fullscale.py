"""Stored full-scale results of the chapters: where they live, what produced them, whether they are current.

Shared by ``tools/full_run.py`` (``make full``), the published build (``book/_ext/full_banner.py``)
and ``tests/test_full_results.py``.

A chapter ``book/<part>/<name>.ipynb`` executed with ``RNNMATH_SCALE=full`` is stored, outputs
included, as ``results/<part>/<name>.ipynb``; its provenance is the notebook metadata key
``rnnmath_full`` (:data:`REQUIRED_KEYS`).

Fingerprint
-----------
A result is *current* when the fingerprint recorded in it equals the fingerprint of the chapter
now. The fingerprint is a sha256 over

* the preset (``full``) and the seed offset (``RNNMATH_SEED_OFFSET``, 0 for a stored result);
* the source of every code cell of the chapter, in order, stripped of surrounding whitespace,
  except the install cell (tag ``rnnmath-install``, which only installs the package on hosted
  notebooks); markdown cells and outputs do not count (prose edits do not change a number);
* the source of every ``rnnmath`` module the chapter imports, **transitively**: the modules named
  by the ``import`` statements of its code cells, ``rnnmath/__init__.py`` (executed by any import
  of the package) and, recursively, every ``rnnmath`` module those files import (absolute or
  relative imports, at module level or inside functions: every ``import`` node of the file).

Why the closure and not all of ``rnnmath/``: a full run costs up to an hour per chapter, and
hashing the whole package would make every result stale at any edit of any part's module.  The
closure is conservative (an import inside a function that is never called still counts); a file
that loads modules by name (``pkgutil.iter_modules`` / ``importlib.import_module``, as
``rnnmath/errata/__init__.py`` does to register every note's records) brings in every module of
its package.  Consequence: a chapter that imports ``rnnmath.errata`` depends on every errata
module and on what they import.  Not covered: data files (the chapters read none), the installed
packages (torch's version is recorded in the provenance, not hashed).
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = "results"
META_KEY = "rnnmath_full"
INSTALL_TAG = "rnnmath-install"
FINGERPRINT_VERSION = 1
REQUIRED_KEYS = ("status", "preset", "fingerprint", "fingerprint_version", "device", "torch",
                 "wall_time_s", "peak_rss_mb", "date", "modules", "chapter")


def result_path(chapter: Path, root: Path = ROOT) -> Path:
    """``book/<part>/<name>.ipynb`` -> ``results/<part>/<name>.ipynb``."""
    rel = Path(chapter).resolve().relative_to(Path(root).resolve() / "book")
    return Path(root) / RESULTS / rel


def _cells(nb) -> list:
    return nb["cells"] if isinstance(nb, dict) else nb.cells


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code_sources(nb) -> list[str]:
    """Code cell sources that enter the fingerprint (install cell excluded)."""
    out = []
    for cell in _cells(nb):
        if cell.get("cell_type") != "code":
            continue
        if INSTALL_TAG in (cell.get("metadata", {}).get("tags") or []):
            continue
        out.append(_source(cell).strip())
    return out


_MAGIC = re.compile(r"^\s*[%!]")
_DYNAMIC = re.compile(r"\b(?:pkgutil\.iter_modules|importlib\.import_module|__import__)\b")


def _imports(code: str, package: str | None) -> set[str]:
    """Dotted module names imported by ``code``; ``package`` resolves relative imports."""
    code = "\n".join("pass" if _MAGIC.match(line) else line for line in code.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:  # fall back to a textual scan (conservative: every dotted rnnmath name)
        return set(re.findall(r"\brnnmath(?:\.\w+)*", code))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if package is None:
                    continue
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return {n for n in names if n == "rnnmath" or n.startswith("rnnmath.")}


def _module_file(name: str, root: Path) -> Path | None:
    p = Path(root, *name.split("."))
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    if p.with_suffix(".py").is_file():
        return p.with_suffix(".py")
    return None


def module_closure(code_cells: list[str], root: Path = ROOT) -> list[str]:
    """Repository-relative paths of the ``rnnmath`` files the cells import, transitively, sorted."""
    root = Path(root)
    todo = set()
    for code in code_cells:
        todo |= _imports(code, None)
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # importing a.b.c executes a/__init__, a/b/__init__ ...
        for k in range(1, len(parts) + 1):
            sub = ".".join(parts[:k])
            if sub in seen:
                continue
            f = _module_file(sub, root)
            if f is None:
                continue  # an attribute (`from rnnmath import preset`), not a module
            seen[sub] = f
            package = sub if f.name == "__init__.py" else ".".join(sub.split(".")[:-1])
            text = f.read_text()
            todo |= _imports(text, package) - set(seen)
            if _DYNAMIC.search(text):  # loads its package's modules by name: all of them count
                todo |= {f"{package}.{m.stem}" for m in f.parent.glob("*.py") if m.stem != "__init__"} - set(seen)
    return sorted(str(f.relative_to(root)) for f in seen.values())


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def fingerprint_parts(nb, root: Path = ROOT, seed_offset: int = 0) -> dict:
    """The pieces of the fingerprint: per-cell and per-module hashes, and their combined hash."""
    cells = code_sources(nb)
    modules = {m: _sha((Path(root) / m).read_bytes()) for m in module_closure(cells, root)}
    cell_hashes = [_sha(c)[:16] for c in cells]
    blob = json.dumps({"v": FINGERPRINT_VERSION, "preset": "full", "seed_offset": int(seed_offset),
                       "cells": [_sha(c) for c in cells], "modules": modules}, sort_keys=True)
    return {"fingerprint": _sha(blob), "cells": cell_hashes, "modules": modules,
            "seed_offset": int(seed_offset), "fingerprint_version": FINGERPRINT_VERSION}


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def error_cells(nb) -> list[int]:
    """Indices of the code cells whose outputs contain an error."""
    return [i for i, c in enumerate(_cells(nb)) if c.get("cell_type") == "code"
            and any(o.get("output_type") == "error" for o in c.get("outputs", []))]


def validate_result(result_nb) -> list[str]:
    """Problems of a stored result that must fail the test-suite (empty list: none)."""
    meta = (result_nb.get("metadata") or {}).get(META_KEY)
    if not isinstance(meta, dict):
        return [f"no provenance (notebook metadata key {META_KEY!r} missing)"]
    problems = [f"provenance lacks {k!r}" for k in REQUIRED_KEYS if k not in meta]
    if meta.get("status") != "passed":
        problems.append(f"status is {meta.get('status')!r}, not 'passed' ({meta.get('error', 'no error recorded')})")
    if meta.get("preset") != "full":
        problems.append(f"preset is {meta.get('preset')!r}, not 'full'")
    bad = error_cells(result_nb)
    if bad:
        problems.append(f"error outputs in code cells {bad} (a failed check or an exception)")
    unexecuted = [i for i, c in enumerate(_cells(result_nb)) if c.get("cell_type") == "code"
                  and _source(c).strip() and c.get("execution_count") is None]
    if unexecuted:
        problems.append(f"code cells {unexecuted[:10]} were never executed")
    return problems


def status(chapter: Path, root: Path = ROOT) -> tuple[str, str, dict | None]:
    """``(state, reason, provenance)`` with state in ``missing``, ``current``, ``stale``, ``invalid``."""
    chapter = Path(chapter)
    rpath = result_path(chapter, root)
    if not rpath.is_file():
        return "missing", f"no {rpath.relative_to(root)}", None
    res = read_json(rpath)
    problems = validate_result(res)
    meta = res.get("metadata", {}).get(META_KEY)
    if problems:
        return "invalid", "; ".join(problems), meta if isinstance(meta, dict) else None
    now = fingerprint_parts(read_json(chapter), root)
    if meta.get("fingerprint") == now["fingerprint"]:
        return "current", "fingerprint matches", meta
    return "stale", stale_reason(meta, now), meta


def stale_reason(meta: dict, now: dict) -> str:
    """What changed since the result was produced, in words."""
    why = []
    if meta.get("fingerprint_version") != now["fingerprint_version"]:
        why.append("fingerprint scheme changed")
    if meta.get("seed_offset", 0) != now["seed_offset"]:
        why.append(f"seed offset {meta.get('seed_offset')} (stored) vs {now['seed_offset']}")
    old_cells = meta.get("cells") or []
    if old_cells != now["cells"]:
        changed = [i for i, (a, b) in enumerate(zip(old_cells, now["cells"])) if a != b]
        extra = f", {len(old_cells)} -> {len(now['cells'])} code cells" if len(old_cells) != len(now["cells"]) else ""
        why.append(f"code cells changed (code-cell positions {changed[:8]}{extra})")
    old_mods, new_mods = meta.get("modules") or {}, now["modules"]
    changed_mods = sorted(m for m in set(old_mods) | set(new_mods) if old_mods.get(m) != new_mods.get(m))
    if changed_mods:
        why.append("modules changed: " + ", ".join(changed_mods))
    return "; ".join(why) or "fingerprint differs"


def banner_text(meta: dict) -> str:
    """The one-line banner of a page rendered from a stored result."""
    dev = meta.get("device", "?")
    threads = meta.get("threads")
    where = f"{dev}" + (f", {threads} thread{'s' if threads != 1 else ''}" if threads else "")
    return (f"Outputs on this page: preset 'full' (the notes' sizes), executed on {where}, "
            f"torch {meta.get('torch', '?')}, {str(meta.get('date', '?'))[:10]}, "
            f"wall time {format_seconds(meta.get('wall_time_s'))}, peak memory {meta.get('peak_rss_mb', '?'):.0f} MB.")


def format_seconds(s) -> str:
    if s is None:
        return "?"
    s = float(s)
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"
