"""Execute the book's chapters under given environment settings; fail if any chapter fails.

Used by ``make test-seeds`` to execute every chapter again with other seeds
(``RNNMATH_SEED_OFFSET``): a check that holds for one draw only fails there.

Usage::

    .venv/bin/python tools/run_chapters.py --env RNNMATH_SEED_OFFSET=1 --env RNNMATH_SEED_OFFSET=2 \
        [--jobs 2] [--out _build/seeds] [chapters ...]

Every ``--env`` is one run (several ``KEY=VALUE`` separated by commas); each run executes every
chapter in a fresh kernel.  Prints one line per chapter and run and exits 1 on any failure.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from booktoc import ROOT, toc_notebooks
from compare_runs import execute


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", action="append", required=True, help="KEY=VALUE[,KEY=VALUE] for one run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "_build" / "runs"))
    ap.add_argument("chapters", nargs="*")
    args = ap.parse_args(argv)
    chapters = [str(Path(c).resolve()) for c in args.chapters] or [str(p) for p in toc_notebooks()]
    runs = []
    for spec in args.env:
        env = dict(kv.split("=", 1) for kv in spec.split(",") if kv)
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("MKL_NUM_THREADS", "1")
        runs.append((spec, env))
    t0 = time.time()
    failed = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futs = [(spec, pool.submit(execute, c, env, f"{args.out}/{spec.replace('=', '-').replace(',', '_')}"))
                for spec, env in runs for c in chapters]
        for spec, f in futs:
            path, status, secs = f.result()
            ok = status == "ok"
            failed += not ok
            print(f"{'ok    ' if ok else 'FAILED'} [{spec}] {Path(path).relative_to(ROOT)} ({secs:.0f} s)"
                  + ("" if ok else f"\n    {status}"), flush=True)
    print(f"run_chapters: {len(futs) - failed} of {len(futs)} chapter runs passed in {time.time() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
