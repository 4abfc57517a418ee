"""Benchmark: rnnmath against the tools a reader would otherwise use, in one run.

Prints, on identical problems:

1. **The machine's limit**: dense matmul throughput (float64 and float32, n = 1024) and
   batched matmul (64 x 128 x 128), the yardsticks for the fractions printed below.
2. **DCA** (``rnnmath.latent.dca``) against the reference implementation of Clark et al.
   (BouchardLab's ``dynamicalcomponentsanalysis`` package, installed by ``make benchmarks`` into
   ``.bench-libs`` only) on the same cross-covariances (Lorenz embedded in 30-D, VAR(1) in
   30-D; d = 3, T = 5, 8 restarts): time ratio, predictive-information difference (each
   subspace scored by *both* PI implementations) and principal angles.
3. **Fixed points** (``rnnmath.fixed_points.find_fixed_points``) against the Sussillo–Barak
   method as FixedPointFinder (Golub & Sussillo 2018) runs it — Adam on q(x) = |F(x)|^2 / 2 with
   that tool's default schedule (learning rate 1, decayed by 0.95 when q stops falling,
   Adam epsilon 0.01, up to 5000 iterations, stop at q < 1e-12) — written here in our own code
   and labelled as such; same networks, same starts.  "True fixed points" are states whose
   q after one Newton polish is below 1e-20, merged within 1e-6; the table shows how many each
   method finds and how many of one's the other also finds.  Each run prints the finder's
   achieved fraction of the measured matmul throughput.

Usage::

    .venv/bin/python benchmarks/bench_peers.py                  # N = 64, 256 (CPU, a few minutes)
    .venv/bin/python benchmarks/bench_peers.py --sizes 64 256 1024 --starts 256
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".bench-libs"))

from rnnmath import latent  # noqa: E402
from rnnmath.fixed_points import RateDynamics, find_fixed_points  # noqa: E402


# --------------------------------------------------------------------------- machine limit
def matmul_gflops(n=1024, dtype=torch.float64, batch=None, repeats=5) -> float:
    shape = (n, n) if batch is None else (batch, n, n)
    a, b = torch.randn(*shape, dtype=dtype), torch.randn(*shape, dtype=dtype)
    a @ b
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return (2 * n ** 3 * (batch or 1)) / best / 1e9


# --------------------------------------------------------------------------- DCA
def _reference_dca():
    try:
        import dca  # BouchardLab's package
        from dca.cov_util import calc_pi_from_cross_cov_mats
    except ImportError:
        return None
    return dca, calc_pi_from_cross_cov_mats


def _var1_covs(N=30, T=5, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, N))
    A = 0.95 * A / np.max(np.abs(np.linalg.eigvals(A)))
    return latent.var1_cross_covariances(A, np.eye(N), 2 * T, device="cpu").numpy()


def bench_dca(T=5, d=3, n_init=8):
    ref = _reference_dca()
    if ref is None:
        print("DCA: reference package not installed (make benchmarks installs it into .bench-libs); skipped")
        return []
    dca_pkg, ref_pi = ref
    from dca.synth_data import embedded_lorenz_cross_cov_mats

    problems = {"Lorenz in 30-D": embedded_lorenz_cross_cov_mats(30, 2 * T, snr=1.0),
                "VAR(1) in 30-D": _var1_covs(30, T)}
    rows = []
    print(f"\n== DCA, d = {d}, T = {T}, {n_init} restarts: rnnmath vs reference (BouchardLab) ==")
    print(f"{'problem':>15} | {'rnnmath':>8} | {'reference':>9} | {'ref/rnnmath':>11} | {'PI rnnmath':>10} | "
          f"{'PI ref':>8} | {'|dPI|':>7} | max angle")
    for name, C in problems.items():
        C = np.asarray(C, dtype=np.float64)
        Ct = torch.as_tensor(C)
        t0 = time.perf_counter()
        res = latent.dca(Ct, d, T=T, n_starts=n_init, seed=0)
        t_ours = time.perf_counter() - t0
        model = dca_pkg.DynamicalComponentsAnalysis(d=d, T=T, n_init=n_init, rng_or_seed=0, dtype=torch.float64)
        model.cross_covs = torch.as_tensor(C[: 2 * T])
        t0 = time.perf_counter()
        model.fit_projection(d=d, T=T, n_init=n_init)
        t_ref = time.perf_counter() - t0
        V_ours = res.V.detach().numpy()
        V_ref = np.asarray(model.coef_)
        # each subspace scored by both implementations of PI
        pi_ours = float(latent.predictive_information(Ct[: 2 * T], torch.as_tensor(V_ours), T=T))
        pi_ref = float(latent.predictive_information(Ct[: 2 * T], torch.as_tensor(V_ref), T=T))
        pi_ref_by_ref = float(ref_pi(torch.as_tensor(C[: 2 * T]), torch.as_tensor(V_ref)))
        assert abs(pi_ref - pi_ref_by_ref) < 1e-8, "the two PI implementations disagree on one subspace"
        ang = float(np.max(latent.subspace_angles(V_ours, V_ref)))
        print(f"{name:>15} | {t_ours:>6.2f} s | {t_ref:>7.2f} s | {t_ref / t_ours:>10.1f}x | {pi_ours:>10.4f} | "
              f"{pi_ref:>8.4f} | {abs(pi_ours - pi_ref):>7.1e} | {ang:.3f} rad")
        rows.append(dict(problem=name, t_ours=t_ours, t_ref=t_ref, dpi=pi_ours - pi_ref, angle=ang))
    return rows


# --------------------------------------------------------------------------- fixed points
def adam_on_q(dyn: RateDynamics, starts: torch.Tensor, *, lr=1.0, max_iters=5000, tol_q=1e-12,
              lr_patience=5, lr_factor=0.95, eps=0.01):
    """Sussillo–Barak slow-point search as FixedPointFinder runs it: Adam on q, per start.

    Our own implementation of that tool's default optimiser settings (not its code). All
    starts are optimised together; q is a sum of independent terms, so each start gets its
    own gradient.  The learning rate decays by ``lr_factor`` when the total q has not fallen
    for ``lr_patience`` iterations (FixedPointFinder's adaptive schedule).
    """
    x = starts.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr, eps=eps)
    best, since = math.inf, 0
    for it in range(max_iters):
        opt.zero_grad()
        F = dyn.velocity(x)
        q = 0.5 * (F ** 2).sum(-1)
        if float(q.detach().max()) < tol_q:
            break
        q.sum().backward()
        opt.step()
        tot = float(q.detach().sum())
        if tot < best:
            best, since = tot, 0
        else:
            since += 1
            if since >= lr_patience:
                for g in opt.param_groups:
                    g["lr"] *= lr_factor
                since = 0
    return x.detach(), it + 1


def _true_fixed_points(dyn, X, q_tol=1e-20, merge=1e-6):
    """One Newton polish of each state (dense, not timed), keep q < q_tol, merge duplicates.

    The same judge for every method: a state counts when one Newton step from it reaches
    q < 1e-20.
    """
    from rnnmath.linalg import solve

    X = torch.as_tensor(X, dtype=torch.float64)
    if X.shape[0] == 0:
        return np.zeros((0, X.shape[-1]))
    with torch.no_grad():
        F, J = dyn.velocity(X), dyn.jacobian(X)
        Xn = X.clone()
        for i in range(len(X)):  # one by one: a singular J at one state must not void the rest
            try:
                Xn[i] = X[i] - solve(J[i], F[i].unsqueeze(-1)).squeeze(-1)
            except ValueError:
                pass
        q0 = 0.5 * (F ** 2).sum(-1)
        qn = 0.5 * (dyn.velocity(Xn) ** 2).sum(-1)
        Xn = torch.where((qn < q0).unsqueeze(-1), Xn, X)
        q = torch.minimum(qn, q0)
    P = Xn[q < q_tol].numpy()
    keep = []
    for p in P:
        if all(np.linalg.norm(p - k) > merge for k in keep):
            keep.append(p)
    return np.array(keep).reshape(-1, X.shape[-1])


def _matched(A, B, tol=1e-5):
    return int(sum(any(np.linalg.norm(a - b) < tol for b in B) for a in A))


def counted_gflop(fn) -> float:
    """Floating-point work of ``fn()`` in GFLOP as torch's profiler counts it (matmuls)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        fn()
    return sum(e.flops for e in prof.key_averages() if e.flops) / 1e9


def _median(xs):
    return float(np.median(np.asarray(xs, dtype=float)))


def _compare(dyn, starts, *, repeats, dense=False, label=""):
    """rnnmath (default method), optionally the dense path, and Adam on q; interleaved repeats."""
    t_ours, t_dense, t_adam = [], [], []
    fp = fpd = X = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        fp = find_fixed_points(dyn, starts)
        t_ours.append(time.perf_counter() - t0)
        if dense:
            t0 = time.perf_counter()
            fpd = find_fixed_points(dyn, starts, method="dense")
            t_dense.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        X, adam_iters = adam_on_q(dyn, starts)
        t_adam.append(time.perf_counter() - t0)
    ours = _true_fixed_points(dyn, np.concatenate([fp.points, fp.final_states]))
    theirs = _true_fixed_points(dyn, X)
    row = dict(problem=label, N=dyn.n_units, K=starts.shape[0], t_ours=_median(t_ours), t_adam=_median(t_adam),
               ours=len(ours), adam=len(theirs), adam_in_ours=_matched(theirs, ours),
               ours_in_adam=_matched(ours, theirs), reported=len(fp), slow=len(fp.slow_q),
               stab=fp.counts(), repeats=repeats, adam_iters=adam_iters)
    if dense:
        dense_pts = _true_fixed_points(dyn, np.concatenate([fpd.points, fpd.final_states]))
        row.update(t_dense=_median(t_dense), dense=len(dense_pts))
    return row, fp


def _trained_network(seed=0):
    """Network 0 of the trained perception ensemble (Part II), condition 0, and starts from its run."""
    from rnnmath import rate
    from rnnmath import slow_point_analysis as SPA

    ens = rate.standard_ensemble("perception", device="cpu", verbose=False)
    model = ens.model("trained", device="cpu")
    u, _ = SPA.condition_inputs(ens)
    dyn = SPA.field_of(model, u)
    W, c = dyn.W[0, 0], dyn.c[0, 0]
    one = RateDynamics(W, c, tau=dyn.tau, activation=dyn.act, device="cpu")
    gen = torch.Generator().manual_seed(seed)
    starts = 0.5 * torch.rand(64, one.n_units, dtype=torch.float64, generator=gen)
    return one, starts


def bench_fixed_points(sizes=(64, 256), n_starts=64, gain=2.0, seed=0, peak=None, repeats=3,
                       starts_1024=32, trained=True, dense_up_to=64):
    print(f"\n== fixed points: rnnmath.find_fixed_points vs Adam on q (the method of FixedPointFinder, "
          f"Golub & Sussillo 2018, with that tool's default schedule; OUR implementation) ==")
    print("random tanh networks W ~ g N(0, 1/N), g = %.1f, c = 0; same starts (N(0, 1)) and the same judge "
          "of true fixed points for every method; times are medians of interleaved repeats" % gain)
    rows = []
    problems = []
    for N in sizes:
        rng = np.random.default_rng(seed + N)
        W = gain * rng.standard_normal((N, N)) / math.sqrt(N)
        K = n_starts if N < 1024 else min(n_starts, starts_1024)
        problems.append((f"tanh N={N}", RateDynamics(W, np.zeros(N), activation="tanh", device="cpu"),
                         torch.as_tensor(rng.standard_normal((K, N))), repeats if N <= 256 else 1))
    if trained:
        try:
            dyn_t, starts_t = _trained_network(seed)
            problems.append((f"trained {dyn_t.act.name} N={dyn_t.n_units}", dyn_t, starts_t, repeats))
        except Exception as exc:  # the cache is missing: say so, do not hide it
            print(f"trained network unavailable ({type(exc).__name__}: {exc}); skipped")
    print(f"{'problem':>20} | {'K':>3} | {'rnnmath':>8} | {'dense':>8} | {'Adam on q':>9} | {'Adam/rnnmath':>12} | "
          f"{'true FPs rnnmath':>16} | {'dense':>5} | {'Adam':>4} | {'Adam in rnnmath':>15} | finder GFLOP/s (of matmul peak)")
    find_fixed_points(problems[0][1], problems[0][2][:2])  # warm-up (imports, first-call costs)
    for label, dyn, starts, reps in problems:
        row, fp = _compare(dyn, starts, repeats=reps, dense=dyn.n_units <= dense_up_to, label=label)
        gf = counted_gflop(lambda: find_fixed_points(dyn, starts))
        row["gflops"] = gf / row["t_ours"]
        row["frac"] = row["gflops"] / peak if peak else float("nan")
        dense_t = f"{row['t_dense']:>6.2f} s" if "t_dense" in row else f"{'-':>8}"
        dense_n = f"{row['dense']:>5}" if "dense" in row else f"{'-':>5}"
        print(f"{label:>20} | {row['K']:>3} | {row['t_ours']:>6.2f} s | {dense_t} | {row['t_adam']:>7.2f} s | "
              f"{row['t_adam'] / row['t_ours']:>11.1f}x | {row['ours']:>16} | {dense_n} | {row['adam']:>4} | "
              f"{row['adam_in_ours']:>15} | {row['gflops']:.2f} ({row['frac']:.0%})")
        rows.append(row)
    return rows


def _machine() -> str:
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f} at the start"
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores{load}; {platform.system()} {platform.release()}"


def write_results(path, *, machine, device, threads, peaks, dca_rows, fp_rows, args):
    """The markdown summary rendered by book/benchmarks.md (written by every full run)."""
    p64, p32, pb = peaks
    L = ["<!-- written by benchmarks/bench_peers.py; do not edit by hand -->", "",
         f"Machine: {machine}.  ", f"Device: {device}, torch {torch.__version__}, {threads} thread(s).  ",
         f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
         f"`python benchmarks/bench_peers.py {' '.join(args)}`.", "",
         f"Measured matmul throughput (the yardstick for the fractions): {p64:.1f} GFLOP/s float64 and "
         f"{p32:.1f} GFLOP/s float32 at n = 1024; batched 64 x 128 x 128: {pb:.1f} GFLOP/s float64.", ""]
    if dca_rows:
        L += ["| DCA problem | rnnmath | reference DCA | reference / rnnmath | PI(rnnmath) - PI(ref) (nats) | max principal angle |",
              "|---|---|---|---|---|---|"]
        for r in dca_rows:
            L.append(f"| {r['problem']} | {r['t_ours']:.2f} s | {r['t_ref']:.2f} s | {r['t_ref'] / r['t_ours']:.1f}x | "
                     f"{r['dpi']:+.1e} | {r['angle']:.3f} rad |")
        L.append("")
    if fp_rows:
        L += ["| fixed points | starts | rnnmath | dense path | Adam on q (FixedPointFinder's method, our code) | "
              "Adam / rnnmath | true FPs rnnmath | true FPs dense | true FPs Adam | Adam's found by rnnmath | "
              "finder GFLOP/s (fraction of matmul; profiler-counted matmul flops, LU not counted) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in fp_rows:
            td = f"{r['t_dense']:.2f} s" if "t_dense" in r else "—"
            nd = str(r["dense"]) if "dense" in r else "—"
            L.append(f"| {r['problem']} | {r['K']} | {r['t_ours']:.2f} s | {td} | {r['t_adam']:.2f} s | "
                     f"{r['t_adam'] / r['t_ours']:.2f}x | {r['ours']} | {nd} | {r['adam']} | "
                     f"{r['adam_in_ours']} of {r['adam']} | {r['gflops']:.2f} ({r['frac']:.0%}) |")
        L.append("")
        L += ["Targets (issue 18), each decided by the rule printed with it:", ""]
        for r in fp_rows:
            ratio = r["t_adam"] / r["t_ours"]
            need = 3.0 if r["N"] >= 256 and not r["problem"].startswith("trained") else 1.0
            ok_t = ratio >= need
            ok_q = r["ours"] >= r["adam"]
            L.append(f"- {r['problem']}: speed {'met' if ok_t else 'NOT met'} (Adam / rnnmath = {ratio:.2f}, "
                     f"rule >= {need:g}); quality {'met' if ok_q else 'NOT met'} "
                     f"({r['ours']} vs {r['adam']} true fixed points, rule: at least as many).")
        L.append("")
    L += ["Times are medians of interleaved repeats (repeats per row: "
          + ", ".join(f"{r['problem']}: {r['repeats']}" for r in fp_rows) + ") on a machine shared with "
          "other jobs; the load average above says how noisy they are.", ""]
    Path(path).write_text("\n".join(L))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    ap.add_argument("--starts", type=int, default=64)
    ap.add_argument("--starts-1024", type=int, default=32, help="starts at N >= 1024 (time on a 2-core machine)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-dca", action="store_true")
    ap.add_argument("--no-trained", action="store_true")
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "RESULTS.md"),
                    help="markdown summary to write ('' to skip)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    threads = torch.get_num_threads()
    machine = _machine()
    peak64 = matmul_gflops(1024, torch.float64)
    peak32 = matmul_gflops(1024, torch.float32)
    bpeak = matmul_gflops(128, torch.float64, batch=64)
    print(f"{machine}\ntorch {torch.__version__}, {threads} threads; matmul n = 1024: {peak64:.1f} GFLOP/s (float64), "
          f"{peak32:.1f} GFLOP/s (float32); batched 64 x 128^2: {bpeak:.1f} GFLOP/s (float64)")
    dca_rows = [] if a.no_dca else bench_dca()
    fp_rows = bench_fixed_points(tuple(a.sizes), a.starts, peak=peak64, repeats=a.repeats,
                                 starts_1024=a.starts_1024, trained=not a.no_trained)
    if a.results:
        write_results(a.results, machine=machine, device="CPU", threads=threads, peaks=(peak64, peak32, bpeak),
                      dca_rows=dca_rows, fp_rows=fp_rows, args=list(argv if argv is not None else sys.argv[1:]))
        print(f"summary written to {a.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
