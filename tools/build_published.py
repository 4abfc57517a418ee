"""Build the published HTML: chapters from their current full-scale results, the rest from quick runs.

Usage::

    .venv/bin/python tools/build_published.py [--out _build/published] [--cache DIR] [--list]
                                              [--chapters book/part1_episodic/01_continuous_time ...]

Writes ``<out>/_config.yml`` (the book's configuration with ``rnnmath_published: true``, which
turns on ``book/_ext/full_banner.py``) and builds with ``jupyter-book build -W --keep-going`` into
``<out>/_build/html``.  Chapters without a current stored result are executed with the quick
preset, through the book's jupyter-cache (``_build/.jupyter_cache``, shared with ``make book`` and
``make test``, so after those nothing is executed again); ``--cache`` uses another cache.
``--chapters`` builds a slice (intro, notation, the given chapters, bibliography), e.g. to test
the published build on one chapter.  Every chapter page gets a banner: preset, device, date,
wall time.  ``--list`` prints which source each chapter would use and exits.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fullscale as fs  # noqa: E402
from booktoc import ROOT, toc_notebooks  # noqa: E402


def slice_toc(keep: set[str]) -> dict:
    """The toc with only the chapters in ``keep`` (paths without suffix) plus front and back matter pages."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = []
    for part in toc["parts"]:
        chapters = [c for c in part["chapters"]
                    if c["file"] in keep or not c["file"].startswith("book/part")]
        if chapters:
            parts.append(dict(part, chapters=chapters))
    toc["parts"] = parts
    return toc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "_build" / "published"))
    ap.add_argument("--cache", default=None, help="jupyter-cache folder (default: the book's)")
    ap.add_argument("--chapters", nargs="*", default=None)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    chapters = toc_notebooks()
    if args.chapters:
        want = {str(Path(c).with_suffix("")) for c in args.chapters}
        chapters = [c for c in chapters if str(c.relative_to(ROOT).with_suffix("")) in want]
        if len(chapters) != len(want):
            print(f"build_published: chapters: not all of {sorted(want)} are in the toc", file=sys.stderr)
            return 2
    n_full = 0
    for c in chapters:
        state, reason, _ = fs.status(c)
        n_full += state == "current"
        print(f"{'full ' if state == 'current' else 'quick'}  {c.relative_to(ROOT)}"
              + ("" if state == "current" else f"  ({state}: {reason})"))
    print(f"build_published: {n_full} of {len(chapters)} chapters from stored full results")
    if args.list:
        return 0
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"].setdefault("config", {})["rnnmath_published"] = True
    config["sphinx"]["local_extensions"] = {k: str(ROOT / v) for k, v in config["sphinx"]["local_extensions"].items()}
    cfg = config["sphinx"]["config"]
    if "html_favicon" in cfg:
        cfg["html_favicon"] = str(ROOT / cfg["html_favicon"])
    config["execute"]["cache"] = str(Path(args.cache).resolve() if args.cache else ROOT / config["execute"]["cache"])
    config.setdefault("html", {})["extra_footer"] = (
        "Every chapter of this book is executed and checked; the banner under each chapter's title says "
        "whether its outputs come from a stored full-scale run or from the quick preset.")
    if out.exists():
        shutil.rmtree(out / "_build", ignore_errors=True)  # results may have changed: read every page again
    out.mkdir(parents=True, exist_ok=True)
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [str(ROOT / ".venv/bin/jupyter-book"), "build", str(ROOT), "--config", str(out / "_config.yml"),
           "--path-output", str(out), "-W", "--keep-going"]
    if args.chapters:
        (out / "_toc.yml").write_text(yaml.safe_dump(
            slice_toc({str(c.relative_to(ROOT).with_suffix("")) for c in chapters}), sort_keys=False))
        cmd[3:3] = ["--toc", str(out / "_toc.yml")]
    env = dict(os.environ, RNNMATH_SCALE=os.environ.get("RNNMATH_SCALE", "quick"), RNNMATH_PROGRESS="0")
    env.pop("MPLBACKEND", None)
    print(" ".join(cmd), flush=True)
    rc = subprocess.call(cmd, env=env, cwd=ROOT)
    if rc == 0:
        print(f"build_published: HTML in {out / '_build' / 'html'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
