"""Verification API used by every chapter: symbolic first, numeric second.

Each ``check_*`` function computes something, compares it with what a
derivation claims, and returns a :class:`CheckResult` (what was checked, the
largest error, the tolerance).  With ``strict=True`` (the default) a failed
check raises :class:`VerificationError`, an :class:`AssertionError` with a
readable message, so a chapter that states a wrong formula stops executing.
With ``strict=False`` the failed result is returned instead; the errata
registry uses this to show a note's printed formula *failing*.

Symbolic checks
    :func:`check_matrix_identity`  identities between matrix expressions built
    from :class:`sympy.MatrixSymbol` (transposes distributed, products
    expanded, scalar quadratic forms ``a^T M b = b^T M^T a`` put in one
    canonical orientation, declared-symmetric matrices honoured).
    :func:`check_scalar_identity`  identities between scalar expressions (or
    explicit sympy matrices) involving elementwise functions.

Numeric checks (float64, torch)
    :func:`check_close`, :func:`check_functions_agree`,
    :func:`check_jacobian` and :func:`check_hessian` (against
    :mod:`torch.func`), :func:`check_gradient_fd` (central differences) and
    :func:`check_bound` (an inequality over many samples).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import sympy as sp

from .validation import as_numpy

__all__ = [
    "CheckResult",
    "VerificationError",
    "ChapterChecks",
    "canonical_matrix_terms",
    "invertible_function",
    "elementwise",
    "check_matrix_identity",
    "check_scalar_identity",
    "check_close",
    "check_functions_agree",
    "check_jacobian",
    "check_hessian",
    "check_gradient_fd",
    "check_bound",
    "check_true",
]


class VerificationError(AssertionError):
    """Raised by a strict check whose computed value contradicts the claim."""


@dataclass
class CheckResult:
    """Outcome of one verification.

    Attributes
    ----------
    name : str
        What was checked, in words (e.g. ``"Eq. 17: expansion of E2"``).
    passed : bool
        Whether the claim survived the check.
    max_error : float
        Largest discrepancy found (0 for an exact symbolic identity; ``inf``
        when a symbolic residual is not zero or shapes disagree).
    tolerance : float
        The threshold ``max_error`` was compared with (0 for symbolic checks).
    kind : str
        ``"symbolic"`` or ``"numeric"``.
    detail : str
        Extra information: the symbolic residual, the worst sample, ...
    """

    name: str
    passed: bool
    max_error: float
    tolerance: float
    kind: str
    detail: str = ""

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        if self.kind == "symbolic":
            core = "symbolic residual is zero" if self.passed else "symbolic residual is NOT zero"
        else:
            rel = "<=" if self.passed else ">"
            core = f"max error {self.max_error:.3g} {rel} tolerance {self.tolerance:.3g}"
        text = f"[{mark}] {self.name}: {core}"
        if self.detail:
            text += f"\n    {self.detail}"
        return text

    def _repr_markdown_(self) -> str:
        mark = "✔" if self.passed else "✘"
        err = "0 (exact)" if self.kind == "symbolic" and self.passed else f"{self.max_error:.2e}"
        return f"{mark} **{self.name}** — {self.kind}, max error {err}, tolerance {self.tolerance:.0e}"

    def assert_ok(self) -> "CheckResult":
        """Raise :class:`VerificationError` unless the check passed."""
        if not self.passed:
            raise VerificationError(str(self))
        return self


def _finish(result: CheckResult, strict: bool) -> CheckResult:
    if strict:
        result.assert_ok()
    return result


# --------------------------------------------------------------------------- #
# Symbolic: matrix expressions
# --------------------------------------------------------------------------- #
def _split_term(term: sp.Expr) -> tuple[sp.Expr, sp.Expr | None]:
    """Split a product into (scalar coefficient, matrix product)."""
    if isinstance(term, sp.MatMul):
        scal = [a for a in term.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in term.args if getattr(a, "is_Matrix", False)]
        coeff = sp.Mul(*scal)
        mat = sp.MatMul(*mats).doit() if len(mats) > 1 else (mats[0] if mats else None)
        return coeff, mat
    if isinstance(term, sp.MatrixExpr):
        return sp.Integer(1), term
    return term, None


def invertible_function(name: str, inverse_name: str | None = None):
    """An undefined scalar function ``sigma`` and its inverse, as sympy Functions.

    ``inverse(sigma(z))`` and ``sigma(inverse(z))`` both evaluate to ``z``: the
    only property of ``sigma`` a proof built with them may use is invertibility.

    Returns
    -------
    (sigma, sigma_inv) : tuple of sympy Function classes
    """
    inverse_name = inverse_name or f"{name}^{{-1}}"
    fwd = type(name, (sp.Function,), {})
    inv = type(inverse_name, (sp.Function,), {})

    def _eval_fwd(cls, arg):
        if isinstance(arg, inv):
            return arg.args[0]

    def _eval_inv(cls, arg):
        if isinstance(arg, fwd):
            return arg.args[0]

    fwd.eval = classmethod(_eval_fwd)
    inv.eval = classmethod(_eval_inv)
    return fwd, inv


_EW_VAR = sp.Symbol("z_elementwise", real=True)


def elementwise(fn, X):
    """Apply a scalar function elementwise to a matrix expression (dimension-free).

    ``fn`` is a sympy Function class or a one-argument Lambda; the result is a
    :class:`sympy.matrices.expressions.applyfunc.ElementwiseApplyFunction`
    which :func:`check_matrix_identity` treats as an opaque vector after
    composing nested applications (``f.(g.(X)) -> (f o g).(X)``) and dropping
    identities.
    """
    lam = fn if isinstance(fn, sp.Lambda) else sp.Lambda(_EW_VAR, fn(_EW_VAR))
    return X.applyfunc(lam)


def _collapse_elementwise(expr):
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    def rule(e):
        if isinstance(e, ElementwiseApplyFunction):
            e = e.doit(deep=False) if isinstance(e.expr, ElementwiseApplyFunction) else e
            if isinstance(e, ElementwiseApplyFunction):
                lam = e.function
                if lam.expr == lam.variables[0]:
                    return e.expr
        return e

    prev = None
    while prev != expr:
        prev = expr
        expr = expr.replace(lambda e: isinstance(e, ElementwiseApplyFunction), rule)
    return expr


def canonical_matrix_terms(expr, symmetric: Sequence[sp.MatrixSymbol] = ()) -> dict:
    """Expand a matrix expression into canonical terms.

    Transposes are pushed onto symbols, products are expanded, every 1x1 term
    is replaced by the lexicographically smaller of itself and its transpose
    (a scalar equals its transpose), and transposes of matrices listed in
    ``symmetric`` are dropped.

    Returns
    -------
    dict
        ``{canonical matrix product (or 1 for pure scalars): coefficient}``
        with zero coefficients removed.
    """
    sym_sub = {S.T: S for S in symmetric}
    e = sp.expand(_collapse_elementwise(sp.sympify(expr)).doit())
    if sym_sub:
        e = sp.expand(e.xreplace(sym_sub).doit())
    terms: dict = {}
    for t in sp.Add.make_args(e):
        coeff, mat = _split_term(t)
        if isinstance(mat, sp.ZeroMatrix) or coeff == 0:
            continue
        if mat is None:
            key = sp.Integer(1)
        else:
            if sym_sub:
                mat = mat.xreplace(sym_sub)
            key = mat
            if mat.shape == (1, 1):
                alt = mat.T.doit()
                if sym_sub:
                    alt = alt.xreplace(sym_sub).doit()
                key = min(mat, alt, key=sp.srepr)
        terms[key] = sp.simplify(terms.get(key, 0) + coeff)
    return {k: v for k, v in terms.items() if v != 0}


def _numeric_matrix_residual(diff, dims: dict | None, seed: int = 0) -> float | None:
    """Evaluate ``diff`` with random matrices for its MatrixSymbols; max |.|."""
    try:
        rng = np.random.default_rng(seed)
        expr = sp.sympify(diff)
        dims = dict(dims or {})
        for M in expr.atoms(sp.MatrixSymbol):
            for d in M.shape:
                if isinstance(d, sp.Symbol) and d not in dims:
                    dims[d] = 3
        expr = expr.subs(dims)
        subs = {}
        for s in expr.free_symbols:
            if isinstance(s, sp.MatrixSymbol):
                r, c = (int(v) for v in s.shape)
                subs[s] = sp.ImmutableMatrix(rng.standard_normal((r, c)))
            else:
                subs[s] = sp.Float(rng.standard_normal())
        val = sp.Matrix(expr.xreplace(subs).doit()).evalf()
        return float(max(abs(complex(v)) for v in val))
    except Exception:  # the residual is a diagnostic only
        return None


def check_matrix_identity(
    lhs,
    rhs,
    name: str = "matrix identity",
    *,
    symmetric: Sequence[sp.MatrixSymbol] = (),
    dims: dict | None = None,
    strict: bool = True,
) -> CheckResult:
    """Prove ``lhs == rhs`` for matrix expressions of :class:`sympy.MatrixSymbol`.

    The proof is exact and holds for every dimension: both sides are reduced
    to canonical terms (:func:`canonical_matrix_terms`) and the difference
    must vanish.  When it does not, the leftover terms and, as a diagnostic,
    their numerical size on a random instance are reported.

    Parameters
    ----------
    lhs, rhs : sympy matrix expressions of equal shape
    name : str
        What the identity is (shown in messages and tables).
    symmetric : sequence of MatrixSymbol
        Matrices known to be symmetric (``S.T`` is replaced by ``S``).
    dims : dict, optional
        Sizes for dimension symbols in the numerical diagnostic (default 3).
    strict : bool
        Raise :class:`VerificationError` on failure (default) or return.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    ls, rs = getattr(lhs, "shape", None), getattr(rhs, "shape", None)
    if ls is not None and rs is not None and ls != rs:
        return _finish(CheckResult(name, False, math.inf, 0.0, "symbolic", f"shapes differ: {ls} vs {rs}"), strict)
    try:
        residual = canonical_matrix_terms(lhs - rhs, symmetric)
    except Exception as exc:  # e.g. a shape mismatch detected by sympy
        return _finish(CheckResult(name, False, math.inf, 0.0, "symbolic", f"cannot form lhs - rhs: {exc}"), strict)
    if not residual:
        return _finish(CheckResult(name, True, 0.0, 0.0, "symbolic"), strict)
    leftover = " + ".join(f"({c})*{k}" for k, c in residual.items())
    num = _numeric_matrix_residual(sp.Add(*[c * k for k, c in residual.items()]) if residual else 0, dims)
    extra = f"; on a random instance |residual| = {num:.3g}" if num is not None else ""
    return _finish(CheckResult(name, False, math.inf, 0.0, "symbolic", f"lhs - rhs = {leftover}{extra}"), strict)


# --------------------------------------------------------------------------- #
# Symbolic: scalar / elementwise expressions
# --------------------------------------------------------------------------- #
def _simplifies_to_zero(d: sp.Expr) -> bool:
    if d == 0:
        return True
    for attempt in (
        sp.simplify,
        lambda x: sp.simplify(x.rewrite(sp.exp)),
        lambda x: sp.simplify(sp.expand_log(sp.expand(x), force=True)),
        sp.trigsimp,
    ):
        try:
            if attempt(d) == 0:
                return True
        except Exception:  # pragma: no cover - simplifier corner cases
            continue
    return False


def _numeric_scalar_residual(d: sp.Expr, seed: int = 0, n: int = 8) -> float | None:
    rng = np.random.default_rng(seed)
    syms = sorted(d.free_symbols, key=str)
    worst = 0.0
    try:
        for _ in range(n):
            val = complex(d.subs({s: sp.Float(rng.uniform(0.1, 0.9)) for s in syms}).evalf())
            worst = max(worst, abs(val))
        return worst
    except Exception:
        return None


def check_scalar_identity(lhs, rhs, name: str = "scalar identity", *, strict: bool = True) -> CheckResult:
    """Prove ``lhs == rhs`` for scalar sympy expressions (or explicit matrices).

    Elementwise functions (``tanh``, ``log(cosh)``, undefined ``Function``\\ s
    and their derivatives) are handled by sympy's simplifier.  For explicit
    :class:`sympy.Matrix` arguments every entry is checked.  When simplification
    does not reach zero the residual is evaluated at random points in (0.1, 0.9)
    as a diagnostic; the check passes only on an exact symbolic zero.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        L, R = sp.Matrix(lhs), sp.Matrix(rhs)
        if L.shape != R.shape:
            return _finish(CheckResult(name, False, math.inf, 0.0, "symbolic", f"shapes differ: {L.shape} vs {R.shape}"), strict)
        bad = [(i, j) for i in range(L.rows) for j in range(L.cols) if not _simplifies_to_zero(L[i, j] - R[i, j])]
        if not bad:
            return _finish(CheckResult(name, True, 0.0, 0.0, "symbolic"), strict)
        i, j = bad[0]
        d = sp.simplify(L[i, j] - R[i, j])
        num = _numeric_scalar_residual(d)
        extra = f"; |residual| at random points up to {num:.3g}" if num is not None else ""
        return _finish(
            CheckResult(name, False, math.inf, 0.0, "symbolic", f"{len(bad)} entries differ, e.g. [{i},{j}]: {d}{extra}"), strict
        )
    d = lhs - rhs
    if _simplifies_to_zero(d):
        return _finish(CheckResult(name, True, 0.0, 0.0, "symbolic"), strict)
    num = _numeric_scalar_residual(sp.simplify(d))
    extra = f"; |residual| at random points up to {num:.3g}" if num is not None else ""
    return _finish(CheckResult(name, False, math.inf, 0.0, "symbolic", f"lhs - rhs = {sp.simplify(d)}{extra}"), strict)


# --------------------------------------------------------------------------- #
# Numeric checks
# --------------------------------------------------------------------------- #
def _to_np64(x) -> np.ndarray:
    arr = as_numpy(x)
    if np.iscomplexobj(arr):
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def check_close(
    actual,
    expected,
    name: str = "values agree",
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    strict: bool = True,
) -> CheckResult:
    """Compare two arrays/tensors/scalars: ``max|a - e| <= atol + rtol*max|e|``.

    A shape mismatch or a NaN fails the check (it is never broadcast away).
    """
    a, e = _to_np64(actual), _to_np64(expected)
    if a.shape != e.shape:
        return _finish(CheckResult(name, False, math.inf, atol, "numeric", f"shapes differ: {a.shape} vs {e.shape}"), strict)
    tol = atol + rtol * (float(np.max(np.abs(e))) if e.size else 0.0)
    err = float(np.max(np.abs(a - e))) if a.size else 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
        return _finish(CheckResult(name, False, math.inf, tol, "numeric", "non-finite values"), strict)
    detail = ""
    if a.size and err > tol:
        idx = np.unravel_index(int(np.argmax(np.abs(a - e))), a.shape)
        idx = tuple(int(i) for i in idx)
        detail = f"worst entry {idx}: got {a[idx]:.6g}, expected {e[idx]:.6g}"
    return _finish(CheckResult(name, err <= tol, err, tol, "numeric", detail), strict)


def _points(points) -> list:
    import torch

    if isinstance(points, torch.Tensor) and points.dtype != torch.float64:
        raise ValueError(f"points: must be float64 for verification work, got dtype {points.dtype}")
    if isinstance(points, torch.Tensor):
        return list(points) if points.ndim >= 2 else [points]
    pts = list(points)
    for p in pts:
        if not isinstance(p, torch.Tensor) or p.dtype != torch.float64:
            raise ValueError("points: every point must be a float64 torch tensor")
    return pts


def _compare_many(name, pairs, rtol, atol, strict) -> CheckResult:
    worst, tol_used, detail = 0.0, atol, ""
    for k, (got, ref) in enumerate(pairs):
        r = check_close(got, ref, name, rtol=rtol, atol=atol, strict=False)
        if not r.passed:
            return _finish(CheckResult(name, False, r.max_error, r.tolerance, "numeric", f"at sample {k}: {r.detail}"), strict)
        if r.max_error >= worst:
            worst, tol_used = r.max_error, r.tolerance
    return _finish(CheckResult(name, True, worst, tol_used, "numeric", detail), strict)


def check_functions_agree(
    f: Callable,
    g: Callable,
    points,
    name: str = "functions agree",
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    strict: bool = True,
) -> CheckResult:
    """Check ``f(x) == g(x)`` at every point (float64 torch tensors)."""
    pairs = ((f(x), g(x)) for x in _points(points))
    return _compare_many(name, pairs, rtol, atol, strict)


def check_jacobian(
    fn: Callable,
    jacobian: Callable,
    points,
    name: str = "Jacobian",
    *,
    rtol: float = 1e-9,
    atol: float = 1e-11,
    strict: bool = True,
) -> CheckResult:
    """Compare a hand-derived Jacobian with :func:`torch.func.jacrev`.

    Parameters
    ----------
    fn : callable
        ``x -> y`` with ``x`` of shape ``(n,)`` and ``y`` of shape ``(m,)``.
    jacobian : callable
        ``x -> J`` with ``J[i, j] = d y_i / d x_j``, shape ``(m, n)``.
    points : tensor ``(k, n)`` or iterable of ``(n,)`` tensors, float64
    """
    from torch.func import jacrev

    pairs = ((jacobian(x), jacrev(fn)(x)) for x in _points(points))
    return _compare_many(name, pairs, rtol, atol, strict)


def check_hessian(
    fn: Callable,
    hessian: Callable,
    points,
    name: str = "Hessian",
    *,
    rtol: float = 1e-9,
    atol: float = 1e-11,
    strict: bool = True,
) -> CheckResult:
    """Compare a hand-derived Hessian of a scalar ``fn`` with :func:`torch.func.hessian`."""
    from torch.func import hessian as t_hessian

    pairs = ((hessian(x), t_hessian(fn)(x)) for x in _points(points))
    return _compare_many(name, pairs, rtol, atol, strict)


def check_gradient_fd(
    fn: Callable,
    gradient: Callable,
    points,
    name: str = "gradient (finite differences)",
    *,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    strict: bool = True,
) -> CheckResult:
    """Compare a gradient of a scalar ``fn`` with central finite differences."""
    import torch

    def fd(x):
        g = torch.empty_like(x)
        flat = x.reshape(-1)
        for i in range(flat.numel()):
            e = torch.zeros_like(flat)
            e[i] = eps
            g.view(-1)[i] = (fn((flat + e).view_as(x)) - fn((flat - e).view_as(x))) / (2 * eps)
        return g

    pairs = ((gradient(x), fd(x)) for x in _points(points))
    return _compare_many(name, pairs, rtol, atol, strict)


def check_bound(
    values,
    name: str = "bound holds",
    *,
    upper: float | None = None,
    lower: float | None = None,
    atol: float = 0.0,
    strict: bool = True,
) -> CheckResult:
    """Check ``lower - atol <= values <= upper + atol`` for every sample.

    ``max_error`` is the largest violation (0 when none); ``detail`` gives the
    number and fraction of violating samples.
    """
    if upper is None and lower is None:
        raise ValueError("upper/lower: give at least one bound")
    v = _to_np64(values).ravel()
    if not np.all(np.isfinite(v)):
        return _finish(CheckResult(name, False, math.inf, atol, "numeric", "non-finite values"), strict)
    viol = np.zeros_like(v)
    if upper is not None:
        viol = np.maximum(viol, v - upper)
    if lower is not None:
        viol = np.maximum(viol, lower - v)
    worst = float(viol.max()) if v.size else 0.0
    nbad = int(np.sum(viol > atol))
    detail = f"{nbad} of {v.size} samples violate the bound ({nbad / max(v.size, 1):.2%})" if nbad else f"{v.size} samples"
    return _finish(CheckResult(name, nbad == 0, worst, atol, "numeric", detail), strict)


def check_true(condition: bool, name: str, detail: str = "", *, strict: bool = True) -> CheckResult:
    """Record a computed boolean fact (e.g. "a 2-cycle was found").

    Use it only for facts computed in the same cell; prefer the quantitative
    checks above whenever a number can be compared with a tolerance.
    """
    ok = bool(condition)
    return _finish(CheckResult(name, ok, 0.0 if ok else math.inf, 0.0, "numeric", detail), strict)


# --------------------------------------------------------------------------- #
# Chapter summary
# --------------------------------------------------------------------------- #
@dataclass
class ChapterChecks:
    """Collect a chapter's checks and render a "what this chapter checks" table.

    >>> checks = ChapterChecks("Conjugacy")
    >>> _ = checks.add(check_close(1.0, 1.0, "one is one"))
    >>> checks.all_passed
    True
    """

    title: str
    results: list = field(default_factory=list)

    def add(self, result: CheckResult) -> CheckResult:
        self.results.append(result)
        return result

    def extend(self, results: Iterable[CheckResult]) -> None:
        for r in results:
            self.add(r)

    @property
    def all_passed(self) -> bool:
        return all(r.passed for r in self.results)

    def table(self) -> str:
        rows = ["| # | check | kind | max error | tolerance | result |", "|---|---|---|---|---|---|"]
        for i, r in enumerate(self.results, 1):
            err = "exact" if r.kind == "symbolic" and r.passed else f"{r.max_error:.2e}"
            tol = "—" if r.kind == "symbolic" else f"{r.tolerance:.0e}"
            rows.append(f"| {i} | {r.name} | {r.kind} | {err} | {tol} | {'pass' if r.passed else '**FAIL**'} |")
        return "\n".join(rows)

    def _repr_markdown_(self) -> str:
        return f"**{self.title}: {len(self.results)} checks, {sum(r.passed for r in self.results)} passed**\n\n" + self.table()

    def assert_all(self) -> "ChapterChecks":
        bad = [r for r in self.results if not r.passed]
        if bad:
            raise VerificationError("\n".join(str(r) for r in bad))
        return self
