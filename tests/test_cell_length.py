"""Chapters read like lectures: every code cell holds one idea (issue 19).

A code cell of a toc chapter may have at most ``MAX_LINES`` non-blank lines, unless its
first line is a comment ``# long cell: <reason>`` that says why it cannot be split. Long
computations belong in ``rnnmath`` functions with docstrings, not in the chapters.
"""
from __future__ import annotations

import re

import nbformat
import pytest
from booktoc import toc_notebooks

MAX_LINES = 15
EXEMPT = re.compile(r"^#\s*long cell:\s*\S")


def code_lines(source: str) -> int:
    """Number of non-blank lines of a cell's source."""
    return sum(1 for line in source.splitlines() if line.strip())


def long_cells(nb) -> list[tuple[int, int]]:
    """(cell index, non-blank lines) of every code cell over the limit without a reason."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        first = cell.source.lstrip("\n").split("\n", 1)[0].strip()
        n = code_lines(cell.source)
        if n > MAX_LINES and not EXEMPT.match(first):
            found.append((i, n))
    return found


def test_the_counter_counts_non_blank_lines_and_honours_the_reason():
    nb = nbformat.v4.new_notebook()
    body = "\n\n".join(f"x{i} = {i}" for i in range(MAX_LINES + 1))
    nb.cells = [nbformat.v4.new_markdown_cell("# t\n" + "text\n" * 40),
                nbformat.v4.new_code_cell("\n".join(f"y{i} = {i}" for i in range(MAX_LINES))),
                nbformat.v4.new_code_cell(body),
                nbformat.v4.new_code_cell("# long cell: a table of constants\n" + body),
                nbformat.v4.new_code_cell("# long cell:\n" + body)]
    assert code_lines(body) == MAX_LINES + 1
    assert long_cells(nb) == [(2, MAX_LINES + 1), (4, MAX_LINES + 2)]


@pytest.mark.parametrize("nb_path", toc_notebooks(), ids=lambda p: p.stem if p.parent.name == "book"
                         else f"{p.parent.name}/{p.stem}")
def test_code_cells_are_short(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    bad = long_cells(nb)
    listing = ", ".join(f"cell {i} has {n} lines" for i, n in bad)
    assert not bad, (f"{nb_path.name}: {len(bad)} code cell(s) over {MAX_LINES} non-blank lines "
                     f"without a '# long cell: <reason>' first line: {listing}")
