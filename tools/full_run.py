"""Execute chapters at full scale, one after another, and store them with provenance (``make full``).

Usage::

    .venv/bin/python tools/full_run.py [--force] [--dry-run] [--stop-on-failure] [chapters ...]

Without chapters: every chapter of the toc, in toc order.  Each chapter runs with
``RNNMATH_SCALE=full`` (``RNNMATH_PROGRESS=0``) in a fresh kernel, on the device rnnmath picks
(``RNNMATH_DEVICE`` pins one) with torch's default threads unless ``OMP_NUM_THREADS`` says
otherwise, in its own worker process.  A chapter whose stored result is current (see
``tools/fullscale.py``: fingerprint of its code cells and of the ``rnnmath`` modules it imports)
is skipped unless ``--force``.

A passing run is written to ``results/<part>/<name>.ipynb`` with its outputs and the provenance
``metadata.rnnmath_full``: preset, device, torch version, threads, wall time, peak memory, date,
the slowest cells and the fingerprint.  A failing run (an exception in any cell: the chapters end
with ``checks.assert_all()``) is written to ``_build/full/failed/<part>/<name>.ipynb`` with its
traceback, never over a stored result, and makes the run exit 1 (after the remaining chapters,
unless ``--stop-on-failure``).

Peak memory, both measured from outside the kernel: ``peak_rss_mb`` samples the resident set of
the kernel process and its children every 0.2 s (psutil); ``maxrss_mb`` is the kernel's own
high-water mark (``getrusage(RUSAGE_CHILDREN)`` of the worker after the kernel exited).  On a GPU
the kernel reports ``torch.cuda.max_memory_allocated`` as ``gpu_peak_mb``.

Progress: one line per cell that took 10 s or more, one every 2 minutes while a cell runs, and before each chapter the elapsed time and
an estimate of the time left, from the wall times recorded in the stored results (current or
stale) and in ``results/costs.json`` (measured or estimated costs, written by hand).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fullscale as fs  # noqa: E402
from booktoc import ROOT, toc_notebooks  # noqa: E402

HEARTBEAT_S = 120

PROBE = r"""
import json as _json, torch as _torch
import rnnmath as _r
_dev = _r.get_device()
_info = {"device_type": _dev.type, "threads": _torch.get_num_threads(), "torch": _torch.__version__}
if _dev.type == "cuda":
    _info["device"] = "CUDA " + _torch.cuda.get_device_name(_dev)
    _info["gpu_peak_mb"] = _torch.cuda.max_memory_allocated(_dev) / 2**20 if _torch.cuda.is_initialized() else 0.0
print("RNNMATH_PROBE " + _json.dumps(_info))
"""


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _kernel_pid(client):
    km = getattr(client, "km", None)
    prov = getattr(km, "provisioner", None)
    for obj in (getattr(prov, "process", None), getattr(km, "kernel", None)):
        if obj is not None and getattr(obj, "pid", None):
            return obj.pid
    return getattr(prov, "pid", None)


class RssSampler(threading.Thread):
    """Peak of the summed RSS of a process and its descendants, sampled every ``period`` s."""

    def __init__(self, get_pid, period=0.2):
        super().__init__(daemon=True)
        self.get_pid, self.period, self.peak, self._halt = get_pid, period, 0, threading.Event()

    def run(self):
        try:
            import psutil
        except ImportError:
            return
        proc = None
        while not self._halt.is_set():
            try:
                if proc is None:
                    pid = self.get_pid()
                    proc = psutil.Process(pid) if pid else None
                if proc is not None:
                    total = proc.memory_info().rss
                    for ch in proc.children(recursive=True):
                        try:
                            total += ch.memory_info().rss
                        except psutil.Error:
                            pass
                    self.peak = max(self.peak, total)
            except Exception:  # the kernel is starting or has exited
                proc = None
            self._halt.wait(self.period)

    def stop(self):
        self._halt.set()
        self.join(2)


def run_chapter(nb_path: str, estimate: float | None, cell_timeout: int | None = None) -> dict:
    """Worker: execute one chapter at full scale; returns a summary dict (writes the notebook)."""
    import nbformat
    from nbclient import NotebookClient

    os.environ["RNNMATH_SCALE"] = "full"
    os.environ.setdefault("RNNMATH_PROGRESS", "0")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.pop("MPLBACKEND", None)
    nb_path = Path(nb_path)
    rel = nb_path.relative_to(ROOT)
    nb = nbformat.read(nb_path, as_version=4)
    parts = fs.fingerprint_parts(nb, ROOT, seed_offset=int(os.environ.get("RNNMATH_SEED_OFFSET", "0") or 0))
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    t0 = time.time()
    state = {"code_done": 0, "cell_t0": t0}

    def on_start(cell, cell_index):
        state["cell_t0"], state["cell_index"] = time.time(), cell_index

    def on_done(cell, cell_index, execute_reply):
        if cell.cell_type != "code" or cell_index >= len(nb.cells) - 1:
            return
        state["code_done"] += 1
        dt_cell = time.time() - state["cell_t0"]
        cell.metadata.setdefault("rnnmath", {})["wall_s"] = round(dt_cell, 3)
        if dt_cell >= 10:
            el = time.time() - t0
            left = f", about {fs.format_seconds(max(estimate - el, 0))} left in this chapter" if estimate else ""
            print(f"    {rel}: code cell {state['code_done']}/{n_code} took {fs.format_seconds(dt_cell)}"
                  f" (chapter elapsed {fs.format_seconds(el)}{left})", flush=True)

    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", record_timing=True,
                            on_cell_start=on_start, on_cell_executed=on_done,
                            resources={"metadata": {"path": str(nb_path.parent)}})
    sampler = RssSampler(lambda: _kernel_pid(client))
    sampler.start()
    heartbeat_stop = threading.Event()

    def heartbeat(period=HEARTBEAT_S):
        while not heartbeat_stop.wait(period):
            in_cell = time.time() - state["cell_t0"]
            if in_cell >= period:
                print(f"    {rel}: still in code cell {state['code_done'] + 1}/{n_code} ({fs.format_seconds(in_cell)} "
                      f"in this cell, chapter elapsed {fs.format_seconds(time.time() - t0)}, "
                      f"kernel RSS peak so far {sampler.peak / 2**20:.0f} MB)", flush=True)

    threading.Thread(target=heartbeat, daemon=True).start()
    error = None
    try:
        client.execute()
    except Exception as exc:
        if getattr(exc, "ename", None):  # CellExecutionError: the exception raised in the cell
            error = f"{exc.ename}: {str(getattr(exc, 'evalue', ''))[:300]}"
        else:  # CellTimeoutError, DeadKernelError ...
            msg = [ln for ln in str(exc).splitlines() if ln.strip(" -")]
            error = f"{type(exc).__name__}: {msg[0][:300] if msg else ''}"
        cell = nb.cells[state.get("cell_index", 0)]
        cell.metadata.setdefault("rnnmath", {}).setdefault("wall_s", round(time.time() - state["cell_t0"], 3))
    wall = time.time() - t0
    heartbeat_stop.set()
    sampler.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    probe = {}
    last = nb.cells[-1]
    for out in last.get("outputs", []):
        text = out.get("text", "")
        if "RNNMATH_PROBE " in text:
            probe = json.loads(text.split("RNNMATH_PROBE ", 1)[1].splitlines()[0])
    nb.cells.pop()
    err_cells = fs.error_cells(nb)
    if error is None and err_cells:
        error = f"error output in code cell {err_cells[0]}"
    if not probe:  # the chapter failed before the probe cell: what the worker can tell
        import torch

        cuda = torch.cuda.is_available() and not os.environ.get("RNNMATH_DEVICE", "").startswith("cpu")
        probe = {"device_type": "cuda" if cuda else "cpu", "torch": torch.__version__,
                 "threads": int(os.environ["OMP_NUM_THREADS"]) if os.environ.get("OMP_NUM_THREADS", "").isdigit() else None}
        if cuda:
            probe["device"] = "CUDA " + torch.cuda.get_device_name(0)
    timed = sorted(((c.metadata.get("rnnmath", {}).get("wall_s", 0.0), i) for i, c in enumerate(nb.cells)
                    if c.cell_type == "code"), reverse=True)
    device = probe.get("device") or (f"CPU ({cpu_name()})" if probe.get("device_type") == "cpu" else "?")
    meta = {
        "status": "passed" if error is None else "failed",
        "chapter": str(rel),
        "preset": "full",
        "device": device,
        "threads": probe.get("threads"),
        "torch": probe.get("torch", "?"),
        "python": platform.python_version(),
        "host_cpus": os.cpu_count(),
        "env": {k: os.environ[k] for k in sorted(os.environ)
                if k.startswith("RNNMATH_") or k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "wall_time_s": round(wall, 1),
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "maxrss_mb": round(maxrss_mb, 1),
        "gpu_peak_mb": probe.get("gpu_peak_mb"),
        "memory_method": "peak_rss_mb: RSS of the kernel process tree sampled every 0.2 s (psutil); "
                         "maxrss_mb: getrusage(RUSAGE_CHILDREN).ru_maxrss of the worker after the kernel exited",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "slowest_cells": [{"cell": i, "wall_s": w, "first_line": nb.cells[i].source.strip().splitlines()[0][:80]
                           if nb.cells[i].source.strip() else ""} for w, i in timed[:5]],
        **parts,
    }
    if error is not None:
        meta["error"] = error
        meta["failed_cell"] = err_cells[0] if err_cells else state.get("cell_index")
    nb.metadata[fs.META_KEY] = meta
    dest = fs.result_path(nb_path) if error is None else ROOT / "_build" / "full" / "failed" / fs.result_path(nb_path).relative_to(ROOT / fs.RESULTS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return {"chapter": str(rel), "status": meta["status"], "error": error, "wall": wall, "dest": str(dest.relative_to(ROOT)),
            "peak_rss_mb": meta["peak_rss_mb"], "maxrss_mb": meta["maxrss_mb"], "device": device,
            "threads": meta["threads"], "slowest": meta["slowest_cells"][:3]}


def _run_in_worker(nb_path: str, estimate, cell_timeout=None):
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:  # a fresh process: RUSAGE_CHILDREN then measures this kernel only
        return pool.apply(run_chapter, (nb_path, estimate, cell_timeout))


def estimates(chapters) -> dict[str, float]:
    """Expected wall time per chapter: stored results (even stale), else results/costs.json."""
    costs_file = ROOT / fs.RESULTS / "costs.json"
    costs = json.loads(costs_file.read_text()) if costs_file.is_file() else {}
    out = {}
    for c in chapters:
        rel = str(Path(c).relative_to(ROOT))
        rp = fs.result_path(c)
        if rp.is_file():
            meta = fs.read_json(rp).get("metadata", {}).get(fs.META_KEY, {})
            if meta.get("wall_time_s"):
                out[rel] = float(meta["wall_time_s"])
                continue
        entry = costs.get(rel, {})
        if isinstance(entry, dict) and entry.get("cpu_wall_s"):
            out[rel] = float(entry["cpu_wall_s"])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter notebooks (default: every chapter of the toc)")
    ap.add_argument("--force", action="store_true", help="execute even chapters whose stored result is current")
    ap.add_argument("--dry-run", action="store_true", help="list what would run, with estimates, and exit")
    ap.add_argument("--stop-on-failure", action="store_true")
    ap.add_argument("--cell-timeout", type=int, default=None,
                    help="seconds one cell may run before the chapter counts as failed (default: no limit)")
    args = ap.parse_args(argv)
    chapters = []
    for c in args.chapters or [str(p) for p in toc_notebooks()]:
        p = Path(c)
        p = p if p.suffix == ".ipynb" else p.with_suffix(".ipynb")
        p = (p if p.is_absolute() else Path.cwd() / p).resolve()
        if not p.is_file():
            print(f"full_run: chapters: {c} is not a notebook", file=sys.stderr)
            return 2
        chapters.append(p)
    todo = []
    for c in chapters:
        state, reason, _ = fs.status(c)
        rel = c.relative_to(ROOT)
        if state == "current" and not args.force:
            print(f"current  {rel} (skipped; --force to execute again)")
        else:
            print(f"{state:8s} {rel}: {reason}")
            todo.append(c)
    est = estimates(todo)
    known = sum(est.get(str(c.relative_to(ROOT)), 0.0) for c in todo)
    unknown = sum(str(c.relative_to(ROOT)) not in est for c in todo)
    print(f"full_run: {len(todo)} chapter(s) to execute; "
          + (f"estimated {fs.format_seconds(known)}" if known else "no estimate")
          + (f" + {unknown} chapter(s) without an estimate" if unknown and known else "")
          + f"; threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset (torch default)')}", flush=True)
    if args.dry_run:
        return 0
    t_start, failed, done = time.time(), [], []
    for k, c in enumerate(todo):
        rel = str(c.relative_to(ROOT))
        left = sum(est.get(str(x.relative_to(ROOT)), 0.0) for x in todo[k:])
        n_unknown = sum(str(x.relative_to(ROOT)) not in est for x in todo[k:])
        left_txt = (f"estimated left {fs.format_seconds(left)}" if left else "estimated left: unknown") + (
            f" + {n_unknown} chapter(s) without an estimate" if n_unknown and left else "")
        print(f"[{k + 1}/{len(todo)}] {rel} (elapsed {fs.format_seconds(time.time() - t_start)}, {left_txt}"
              + (f"; this chapter about {fs.format_seconds(est[rel])}" if rel in est else "") + ")", flush=True)
        try:
            r = _run_in_worker(str(c), est.get(rel), args.cell_timeout)
        except Exception as exc:  # the worker itself died (out of memory ...)
            r = {"chapter": rel, "status": "failed", "error": f"worker died: {type(exc).__name__}: {exc}", "wall": 0,
                 "dest": "-", "peak_rss_mb": 0, "maxrss_mb": 0, "device": "?", "threads": None, "slowest": []}
        done.append(r)
        slow = ", ".join(f"cell [{s['cell']}] {fs.format_seconds(s['wall_s'])}" for s in r["slowest"])
        print(f"  {'passed' if r['status'] == 'passed' else 'FAILED'} {rel}: {fs.format_seconds(r['wall'])}, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB (maxrss {r['maxrss_mb']:.0f} MB), {r['device']}, "
              f"{r['threads']} thread(s) -> {r['dest']}" + (f"; slowest (notebook cell index): {slow}" if slow else "")
              + (f"\n    {r['error']}" if r["error"] else ""), flush=True)
        if r["status"] != "passed":
            failed.append(rel)
            if args.stop_on_failure:
                break
    print(f"full_run: {len(done) - len(failed)} passed, {len(failed)} failed, in {fs.format_seconds(time.time() - t_start)}")
    for f in failed:
        print(f"  FAILED: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
