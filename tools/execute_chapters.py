"""Execute every chapter of the toc into the book's jupyter-cache, in parallel.

`make book` and `make test` run this before `jupyter-book build`: the build then
finds every chapter already executed in `_build/.jupyter_cache` (execution mode
`cache`) instead of executing them one after the other. Chapters whose code has
not changed since the last run are not executed again. A chapter that raises is
reported here and then executed once more by the build, which shows its traceback
and fails.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml
from booktoc import ROOT, toc_notebooks
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor



def main() -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    cache_path = ROOT / config["execute"]["cache"]
    timeout = int(config["execute"].get("timeout", 900))
    cache = get_cache(str(cache_path))
    notebooks = toc_notebooks()
    for nb in notebooks:
        cache.add_nb_to_project(str(nb))
    executor = load_executor("local-parallel", cache=cache)
    t0 = time.time()
    result = executor.run_and_cache(filter_uris=[str(nb) for nb in notebooks], timeout=timeout, allow_errors=False)
    done = len(result.succeeded)
    failed = list(result.excepted) + list(result.errored)
    print(f"execute_chapters: {done} executed, {len(notebooks) - done - len(failed)} up to date, "
          f"{len(failed)} failed, in {time.time() - t0:.0f} s")
    for uri in failed:
        print(f"  FAILED: {Path(uri).relative_to(ROOT)} (the book build will show the traceback)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
