"""Give every chapter a first code cell that installs ``rnnmath`` where it is missing.

The launch buttons open a chapter in Binder (whose image ``binder/`` builds with the package
installed) or in Colab (a bare kernel). The cell this tool writes, tagged ``rnnmath-install``
and hidden in the HTML (``remove-input``, ``remove-output``), does nothing when ``rnnmath``
(and the two modules the chapters need beside it) can be imported, and otherwise
pip-installs the package from the repository named in ``_config.yml`` (``repository.url``
and ``repository.branch``: the one place the URL lives). The environment variable
``RNNMATH_INSTALL_TARGET`` overrides the install target (``tests/test_binder.py`` points it
at the package's source directory).

Usage::

    python tools/install_cell.py            # every toc notebook, in place (idempotent)
    python tools/install_cell.py --check    # exit 1 if a notebook lacks the current cell
    python tools/install_cell.py book/part1_episodic/02_conjugacy.ipynb ...
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
TAG = "rnnmath-install"
TAGS = [TAG, "remove-input", "remove-output"]
CELL_ID = "rnnmath-install"
ENV_TARGET = "RNNMATH_INSTALL_TARGET"
# modules a chapter imports beyond the standard library and rnnmath's own dependencies:
# myst_nb (glue) and sklearn (a data set of Part V); rnnmath brings torch, numpy, scipy, ...
EXTRA_MODULES = {"myst_nb": "myst-nb", "sklearn": "scikit-learn"}


def repository(config: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, branch)`` of ``repository:`` in the book's ``_config.yml``."""
    repo = (yaml.safe_load(Path(config).read_text()) or {}).get("repository") or {}
    url = str(repo.get("url") or "").rstrip("/")
    if not url.startswith("https://"):
        raise ValueError(f"config: repository.url must be an https URL (got {url!r} in {config})")
    return url, str(repo.get("branch") or "main")


def install_target(config: Path = ROOT / "_config.yml") -> str:
    """The pip requirement the cell installs: ``git+<repository.url>@<branch>``."""
    url, branch = repository(config)
    return f"git+{url}@{branch}"


def cell_source(target: str) -> str:
    """Source of the install cell for a given pip target (URL or directory)."""
    if not isinstance(target, str) or not target or any(q in target for q in "\"'\n\\"):
        raise ValueError(f"target: must be a non-empty string without quotes, backslashes or newlines (got {target!r})")
    need = ", ".join(f'"{m}": "{p}"' for m, p in EXTRA_MODULES.items())
    return "\n".join([
        "# Installs rnnmath where it is missing (Colab, a bare kernel); on Binder and in the",
        "# repository's environment it does nothing. Written by tools/install_cell.py.",
        "import importlib, importlib.util, os, site, subprocess, sys",
        f'_need = {{"rnnmath": os.environ.get("{ENV_TARGET}",',
        f'                                   "{target}"),',
        f'         {need}}}',
        "_missing = [pkg for mod, pkg in _need.items() if importlib.util.find_spec(mod) is None]",
        "if _missing:",
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_missing], check=True)',
        "    site.addsitedir(site.getusersitepackages())  # where pip puts it without write access",
        "    importlib.invalidate_caches()",
    ])


def is_install_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def with_install_cell(nb, source: str):
    """The notebook with exactly one install cell, placed just before its first other code cell."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if not is_install_cell(c)]
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(TAGS)})
    if nb.get("nbformat", 4) > 4 or nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = CELL_ID
    else:
        cell.pop("id", None)
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, cell)
    return nb


def problems(nb, source: str) -> list[str]:
    """What is wrong with a notebook's install cell ([] when it is the current one)."""
    cells = [i for i, c in enumerate(nb.cells) if is_install_cell(c)]
    if len(cells) != 1:
        return [f"{len(cells)} cells tagged {TAG!r} (need exactly one)"]
    out = []
    i = cells[0]
    first_code = next(j for j, c in enumerate(nb.cells) if c.cell_type == "code")
    if i != first_code:
        out.append(f"the install cell is cell {i}, not the first code cell ({first_code})")
    if nb.cells[i].source != source:
        out.append("the install cell is not the current one (source differs)")
    tags = nb.cells[i].metadata.get("tags", [])
    if not all(t in tags for t in TAGS):
        out.append(f"the install cell lacks tags {[t for t in TAGS if t not in tags]}")
    return out


def apply(path: Path, source: str) -> bool:
    """Write the install cell into one notebook; True when the file changed."""
    path = Path(path)
    before = path.read_text()
    nb = with_install_cell(nbformat.reads(before, as_version=4), source)
    after = nbformat.writes(nb) + "\n"
    if after.rstrip("\n") == before.rstrip("\n"):
        return False
    path.write_text(after)
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every .ipynb of _toc.yml")
    ap.add_argument("--check", action="store_true", help="report notebooks without the current cell, change nothing")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tools"))
    from booktoc import toc_notebooks

    paths = args.notebooks or toc_notebooks()
    source = cell_source(install_target())
    bad = 0
    for p in paths:
        if args.check:
            for msg in problems(nbformat.read(p, as_version=4), source):
                print(f"{p}: {msg}")
                bad += 1
        elif apply(p, source):
            print(f"install cell written: {p}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
