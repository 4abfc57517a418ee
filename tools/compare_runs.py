"""Execute the book's chapters under two environments and compare what they print.

Used to show that results do not depend on the thread count (the batched-LU fault, see
``rnnmath/linalg.py``) and, with ``RNNMATH_SEED_OFFSET``, to run the chapters under other
seeds.  Each chapter is executed by nbclient in a fresh kernel with the given environment;
every text output is split into tokens and numbers are compared with a relative tolerance.

Usage::

    .venv/bin/python tools/compare_runs.py --a OMP_NUM_THREADS=1 --b OMP_NUM_THREADS=2 \
        [--jobs 1] [--rtol 1e-6] [--out /tmp/runs] [chapters ...]

Prints one line per chapter (``same`` / ``differs`` with the first differences / ``FAILED``)
and exits non-zero if any chapter failed to execute or differed.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from booktoc import ROOT, toc_notebooks

NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _env(pairs):
    out = {}
    for p in pairs or []:
        k, _, v = p.partition("=")
        out[k] = v
    return out


def execute(nb_path: str, env: dict, out_dir: str, timeout: int = 3600):
    from nbclient import NotebookClient

    os.environ.update(env)
    os.environ.setdefault("RNNMATH_PROGRESS", "0")
    nb = nbformat.read(nb_path, as_version=4)
    t0 = time.time()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(nb_path).parent)}})
    try:
        client.execute()
        status = "ok"
    except Exception as exc:  # the failing cell's error is kept in the notebook
        status = f"error: {type(exc).__name__}: {str(exc).splitlines()[-1][:200] if str(exc) else ''}"
    dest = Path(out_dir) / Path(nb_path).relative_to(ROOT)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return nb_path, status, time.time() - t0


def cell_texts(nb) -> list[str]:
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                data = out.get("data", {})
                parts.append(data.get("text/markdown") or data.get("text/html") or data.get("text/plain", ""))
        texts.append("".join(p if isinstance(p, str) else "".join(p) for p in parts))
    return texts


def compare_text(a: str, b: str, rtol: float, atol: float) -> list[str]:
    ta, tb = NUM.split(a), NUM.split(b)
    na, nb_ = NUM.findall(a), NUM.findall(b)
    diffs = []
    if ta != tb or len(na) != len(nb_):
        return ["text differs: " + _first_diff(a, b)]
    for x, y in zip(na, nb_):
        fx, fy = float(x), float(y)
        if abs(fx - fy) > atol + rtol * max(abs(fx), abs(fy)):
            diffs.append(f"{x} vs {y}")
    return diffs


def _first_diff(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"...{a[max(0, i - 40):i + 40]!r} vs {b[max(0, i - 40):i + 40]!r}"
    return f"lengths {len(a)} vs {len(b)}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", nargs="*", default=["OMP_NUM_THREADS=1"], help="environment of run A (KEY=VALUE ...)")
    ap.add_argument("--b", nargs="*", default=["OMP_NUM_THREADS=2"], help="environment of run B")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-9)
    ap.add_argument("--out", default=str(ROOT / "_build" / "compare_runs"))
    ap.add_argument("chapters", nargs="*")
    args = ap.parse_args(argv)
    chapters = [str(Path(c).resolve()) for c in args.chapters] or [str(p) for p in toc_notebooks()]
    runs = {"a": _env(args.a), "b": _env(args.b)}
    results = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futs = {(k, c): pool.submit(execute, c, env, f"{args.out}/{k}") for k, env in runs.items() for c in chapters}
        for (k, c), f in futs.items():
            results[(k, c)] = f.result()
    bad = 0
    for c in chapters:
        rel = Path(c).relative_to(ROOT)
        (_, sa, ta), (_, sb, tb) = results[("a", c)], results[("b", c)]
        if sa != "ok" or sb != "ok":
            print(f"FAILED   {rel}: A {sa} | B {sb}")
            bad += 1
            continue
        na = nbformat.read(Path(args.out) / "a" / rel, as_version=4)
        nb_ = nbformat.read(Path(args.out) / "b" / rel, as_version=4)
        diffs = []
        for i, (x, y) in enumerate(zip(cell_texts(na), cell_texts(nb_))):
            diffs += [f"cell {i}: {d}" for d in compare_text(x, y, args.rtol, args.atol)]
        status = "same   " if not diffs else "differs"
        bad += bool(diffs)
        print(f"{status}  {rel}  ({ta:.0f} s / {tb:.0f} s)" + ("".join(f"\n    {d}" for d in diffs[:6])))
    print(f"compare_runs: {len(chapters) - bad} of {len(chapters)} chapters agree (A: {args.a}, B: {args.b})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
