"""The book's table of contents as a list of source paths (shared by tools and tests)."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_entries(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of ``_toc.yml`` (root first), as paths without suffix, in order."""
    toc = yaml.safe_load(Path(toc_path).read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", []))
    return files


def toc_notebooks() -> list[Path]:
    """The ``.ipynb`` chapters listed in the toc."""
    return [ROOT / f"{f}.ipynb" for f in toc_entries() if (ROOT / f"{f}.ipynb").exists()]
