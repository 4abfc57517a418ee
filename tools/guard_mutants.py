"""Delete each input guard of a module once and check that some test fails (mutation test).

A guard is a ``raise ValueError(...)`` or ``raise TypeError(...)`` statement.  For each one,
the module's source is rewritten with that statement replaced by ``pass`` (line numbers are
kept), the given tests are run, and the guard is *killed* when at least one test fails.
Surviving guards are either untested or redundant; both deserve a look.

Usage::

    .venv/bin/python tools/guard_mutants.py rnnmath/validation.py tests/test_validation.py tests/sweep/test_sweep_core.py

With ``--first FILE`` (repeatable), each mutant runs those (fast) tests first and the other
tests only when they did not fail: the module's bad-input sweep kills most guards in a few
seconds, and the slower unit tests then see only the survivors::

    .venv/bin/python tools/guard_mutants.py rnnmath/rate.py tests/test_rate.py --first tests/sweep/test_sweep_rate.py

Prints one line per guard and a summary; exits 1 if any guard survives.  The module file is
restored afterwards (also on Ctrl-C and SIGTERM).
"""
from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def guards(source: str) -> list:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            f = node.exc.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
            if name in ("ValueError", "TypeError"):
                out.append((node.lineno, node.end_lineno))
    return sorted(out)


def mutate(source: str, span) -> str:
    lines = source.splitlines(keepends=True)
    a, b = span
    first = lines[a - 1]
    indent = first[: len(first) - len(first.lstrip())]
    lines[a - 1] = f"{indent}pass  # guard removed by tools/guard_mutants.py\n"
    for i in range(a, b):
        lines[i] = "\n"
    return "".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print(__doc__)
        return 2
    first = [argv[i + 1] for i, a in enumerate(argv) if a == "--first" and i + 1 < len(argv)]
    argv = [a for i, a in enumerate(argv) if a != "--first" and (i == 0 or argv[i - 1] != "--first")]
    module, tests = Path(argv[0]).resolve(), argv[1:]
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    original = module.read_text()
    spans = guards(original)
    env = dict(os.environ, OMP_NUM_THREADS="1", RNNMATH_SCALE="quick", PYTHONDONTWRITEBYTECODE="1")
    survived = []
    try:
        for span in spans:
            module.write_text(mutate(original, span))
            killed = False
            for group in ([first, tests] if first else [tests]):
                if not group:
                    continue
                proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *group],
                                      cwd=ROOT, env=env, capture_output=True, text=True)
                if proc.returncode in (2, 3, 4, 5):  # usage error, interrupted, no tests collected
                    raise SystemExit(f"guard_mutants: pytest could not run the tests (exit {proc.returncode}):\n"
                                     f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
                if proc.returncode == 1:
                    killed = True
                    break
            text = original.splitlines()[span[0] - 1].strip()
            print(f"{'killed  ' if killed else 'SURVIVED'} {module.name}:{span[0]}  {text[:90]}", flush=True)
            if not killed:
                survived.append(span)
    finally:
        module.write_text(original)
    print(f"guard_mutants: {len(spans) - len(survived)} of {len(spans)} guards killed by {' '.join(first + tests)}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
