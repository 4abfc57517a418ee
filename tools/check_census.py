"""Count the checks of every chapter from its executed notebook (the census of issue 12).

Reads each toc chapter's executed copy from the book's jupyter-cache (``make book`` or
``make test`` fills it), finds the check table that ``ChapterChecks.report()`` renders at
the chapter's end, and prints per chapter: checks in all, by kind (symbolic, numeric,
bound, boolean, raises), how many are labelled consistency checks (sides not
independent, see ``rnnmath.verify.consistency_check``), and how many claim verdicts the
chapter's verdict tables hold, by verdict.

Usage::

    .venv/bin/python tools/check_census.py            # markdown table on stdout
    .venv/bin/python tools/check_census.py --results  # read results/ (stored full runs) instead

Exit status 1 when a toc chapter has no executed copy or no check table.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
import yaml
from booktoc import ROOT, toc_notebooks

KINDS = ("symbolic", "numeric", "bound", "boolean", "raises")
ROW = re.compile(r"^\| (\d+) \| .* \| (symbolic|numeric|bound|boolean|raises)(, consistency)? \| .* \| (pass|\*\*FAIL\*\*) \|$")
VERDICT = re.compile(r"\| \*\*(supported|contradicted|inconclusive)\*\* \|$", re.M)


def _markdown_outputs(nb) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                out.append(text if isinstance(text, str) else "".join(text))
    return out


def census(nb) -> dict:
    """Counts for one executed notebook (see the module docstring)."""
    counts = Counter()
    seen_table = False
    for text in _markdown_outputs(nb):
        rows = [ROW.match(line) for line in text.splitlines()]
        rows = [m for m in rows if m]
        if rows:
            seen_table = True
        for m in rows:
            counts["total"] += 1
            counts[m.group(2)] += 1
            counts["consistency"] += bool(m.group(3))
            counts["failed"] += m.group(4) != "pass"
        for v in VERDICT.findall(text):
            counts[f"verdict:{v}"] += 1
    counts["table"] = int(seen_table)
    return counts


def executed(path: Path, use_results: bool):
    if use_results:
        stored = ROOT / "results" / path.relative_to(ROOT / "book")
        return nbformat.read(stored, as_version=4) if stored.exists() else None
    from jupyter_cache import get_cache

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    cache = get_cache(str(ROOT / config["execute"]["cache"]))
    try:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        return None
    return cache.get_cache_bundle(record.pk).nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", action="store_true", help="read the stored full results under results/")
    args = ap.parse_args(argv)
    head = ["chapter", "checks", *KINDS, "consistency", "failed", "supported", "contradicted", "inconclusive"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    total, missing = Counter(), []
    for path in toc_notebooks():
        nb = executed(path, args.results)
        if nb is None:
            missing.append(path)
            continue
        c = census(nb)
        if not c["table"]:
            missing.append(path)
        total.update(c)
        cells = [str(c[k]) for k in ("total", *KINDS, "consistency", "failed")]
        cells += [str(c[f"verdict:{v}"]) for v in ("supported", "contradicted", "inconclusive")]
        print(f"| {path.relative_to(ROOT / 'book').with_suffix('')} | " + " | ".join(cells) + " |")
    cells = [str(total[k]) for k in ("total", *KINDS, "consistency", "failed")]
    cells += [str(total[f"verdict:{v}"]) for v in ("supported", "contradicted", "inconclusive")]
    print("| **all** | " + " | ".join(cells) + " |")
    for path in missing:
        print(f"check_census: no executed copy or no check table for {path.relative_to(ROOT)}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
