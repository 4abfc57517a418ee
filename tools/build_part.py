"""Build a slice of the book (intro + some parts + back matter) with warnings as errors.

Usage: .venv/bin/python tools/build_part.py part2_rate [part3_attractor ...]

Writes a temporary toc/config so that several authors can build their own part
concurrently without sharing a jupyter-cache; output in /tmp/rnnmath-build-<parts>/.
Prints Sphinx's warnings; exit status non-zero on any warning.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(parts: list[str]) -> int:
    toc = (ROOT / "_toc.yml").read_text()
    blocks = re.split(r"\n(?=  - caption:)", toc)
    head, rest = blocks[0], blocks[1:]
    keep = [b for b in rest if any(f"book/{p}/" in b for p in parts) or "Back matter" in b or "Front matter" in b]
    tag = "-".join(parts)
    out = Path(f"/tmp/rnnmath-build-{tag}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "_toc.yml").write_text("\n".join([head] + keep) + "\n")
    cfg = (ROOT / "_config.yml").read_text().replace("cache: _build/.jupyter_cache", f"cache: {out}/.jupyter_cache")
    cfg = cfg.replace(": book/_ext", f": {ROOT}/book/_ext").replace("html_favicon: book/", f"html_favicon: {ROOT}/book/")
    (out / "_config.yml").write_text(cfg)
    env = dict(os.environ, RNNMATH_PROGRESS="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("MPLBACKEND", None)  # kernels must use the inline backend, or figures are not rendered
    cmd = [str(ROOT / ".venv/bin/jupyter-book"), "build", str(ROOT), "--toc", str(out / "_toc.yml"),
           "--config", str(out / "_config.yml"), "--path-output", str(out), "-W", "--keep-going"]
    print(" ".join(cmd))
    return subprocess.call(cmd, env=env, cwd=ROOT)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    raise SystemExit(main(sys.argv[1:]))
