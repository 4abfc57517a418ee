"""Strip outputs and execution counts from notebooks and set the python3 kernel.

Usage: python tools/nbclean.py book/**/*.ipynb   (also run by `make clean-notebooks`)
"""
from __future__ import annotations

import sys

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def clean(path: str) -> bool:
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.metadata.pop("jupytext", None)
    after = nbformat.writes(nb)
    if after != before:
        nbformat.write(nb, path)
        return True
    return False


if __name__ == "__main__":
    changed = [p for p in sys.argv[1:] if clean(p)]
    for p in changed:
        print(f"cleaned {p}")
