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
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import sympy as sp

from .validation import as_numpy

__all__ = [
    "CheckResult",
    "VerificationError",
    "ChapterChecks",
    "consistency_check",
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
    "check_raises",
    "DecisionRule",
    "ClaimVerdict",
    "claim_verdict",
    "bootstrap_interval",
    "VerdictTable",
]


ROLES = ("verification", "consistency")


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
        ``"symbolic"``, ``"numeric"``, ``"bound"`` (an inequality over samples),
        ``"boolean"`` (a computed fact) or ``"raises"`` (an input that must be refused).
    detail : str
        Extra information: the symbolic residual, the worst sample, ...
    observed : float, optional
        The observed value a bound was compared with (the extreme sample).
    reference : str, optional
        The bound or reference in words (``"<= 0"``, ``"in [0.9, 1]"``).
    role : str
        ``"verification"`` (two independent computations agree) or
        ``"consistency"`` (both sides share a formula or code path, so the check
        guards against regressions but does not count as verification); see
        :func:`consistency_check`.
    """

    name: str
    passed: bool
    max_error: float
    tolerance: float
    kind: str
    detail: str = ""
    observed: float | None = None
    reference: str | None = None
    role: str = "verification"

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role: {self.role!r} is not one of {ROLES}")

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        if self.kind == "symbolic":
            core = "symbolic residual is zero" if self.passed else "symbolic residual is NOT zero"
        elif self.kind == "boolean":
            core = "true" if self.passed else "FALSE"
        elif self.kind == "raises":
            core = "refused as required" if self.passed else "NOT refused as required"
        elif self.kind == "bound":
            core = (f"observed {self.observed:.3g} {self.reference}, worst violation {self.max_error:.3g} "
                    f"{'<=' if self.passed else '>'} tolerance {self.tolerance:.3g}")
        else:
            rel = "<=" if self.passed else ">"
            core = f"max error {self.max_error:.3g} {rel} tolerance {self.tolerance:.3g}"
        text = f"[{mark}] {self.name}: {core}"
        if self.detail:
            text += f"\n    {self.detail}"
        return text

    def _repr_markdown_(self) -> str:
        mark = "✔" if self.passed else "✘"
        return f"{mark} **{_escape(self.name)}** — {_escape(_describe(self))}"

    def assert_ok(self) -> "CheckResult":
        """Raise :class:`VerificationError` unless the check passed."""
        if not self.passed:
            raise VerificationError(str(self))
        return self


def _escape(text) -> str:
    """Escape a label for a Markdown table cell (HTML specials, pipes, newlines)."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " "))


def _describe(r: CheckResult) -> str:
    if r.kind == "symbolic":
        return "symbolic, exact" if r.passed else "symbolic, residual not zero"
    if r.kind == "boolean":
        return "computed fact: " + ("true" if r.passed else "false")
    if r.kind == "raises":
        return "input refused" if r.passed else "input NOT refused"
    if r.kind == "bound":
        return f"observed {r.observed:.3g}, bound {r.reference}, tolerance {r.tolerance:.3g}"
    return f"max error {r.max_error:.3g}, tolerance {r.tolerance:.3g}"


def consistency_check(result: CheckResult, reason: str) -> CheckResult:
    """Label ``result`` a consistency check: its two sides are not independent.

    Such a check stays in the chapter's table (it catches regressions) but is
    counted apart from the verifications, and ``reason`` says what the two sides
    share (e.g. ``"both sides call energy_terms"``).
    """
    if not isinstance(result, CheckResult):
        raise TypeError(f"result: must be a CheckResult, got {type(result).__name__}")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("reason: say what the two sides share (a non-empty string)")
    detail = f"consistency check ({reason.strip()})" + (f"; {result.detail}" if result.detail else "")
    return replace(result, role="consistency", detail=detail)


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
        for s in sorted(expr.free_symbols, key=str):  # a fixed order: the same instance in every process
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
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        raise TypeError(f"values: must be numeric (got dtype {arr.dtype})")
    if np.iscomplexobj(arr):
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def _require_tolerance(value, name: str) -> float:
    """A tolerance must be a finite real number >= 0 (a NaN tolerance would pass everything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: must be a real number, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    return v


def _require_nonempty(arr: np.ndarray, name: str) -> None:
    if arr.size == 0:
        raise ValueError(f"{name}: is empty (shape {arr.shape}); a check on no values cannot fail")


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
    rtol, atol = _require_tolerance(rtol, "rtol"), _require_tolerance(atol, "atol")
    a, e = _to_np64(actual), _to_np64(expected)
    _require_nonempty(a, "actual")
    _require_nonempty(e, "expected")
    if a.shape != e.shape:
        return _finish(CheckResult(name, False, math.inf, atol, "numeric", f"shapes differ: {a.shape} vs {e.shape}"), strict)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
        nbad = int(np.sum(~np.isfinite(a)) + np.sum(~np.isfinite(e)))
        return _finish(CheckResult(name, False, math.inf, atol, "numeric", f"{nbad} non-finite values"), strict)
    tol = atol + rtol * float(np.max(np.abs(e)))
    err = float(np.max(np.abs(a - e)))
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
        if points.numel() == 0:
            raise ValueError(f"points: is empty (shape {tuple(points.shape)}); a check on no points cannot fail")
        if not bool(torch.isfinite(points).all()):
            raise ValueError("points: must be finite (found NaN/inf)")
        return list(points) if points.ndim >= 2 else [points]
    pts = list(points)
    if not pts:
        raise ValueError("points: is empty; a check on no points cannot fail")
    for p in pts:
        if not isinstance(p, torch.Tensor) or p.dtype != torch.float64:
            raise ValueError("points: every point must be a float64 torch tensor")
        if p.numel() == 0 or not bool(torch.isfinite(p).all()):
            raise ValueError("points: every point must be non-empty and finite")
    return pts


def _compare_many(name, pairs, rtol, atol, strict) -> CheckResult:
    rtol, atol = _require_tolerance(rtol, "rtol"), _require_tolerance(atol, "atol")
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

    ``max_error`` is the largest violation (0 when none), ``observed`` the extreme
    sample on the side of the bound (the maximum for an upper bound, the minimum for a
    lower one, the worse of the two for both) and ``detail`` the number and fraction of
    violating samples.  Empty samples, NaN samples and NaN bounds are refused.
    """
    if upper is None and lower is None:
        raise ValueError("upper/lower: give at least one bound")
    for bound, bname in ((upper, "upper"), (lower, "lower")):
        if bound is not None:
            if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)):
                raise TypeError(f"{bname}: must be a real number, got {type(bound).__name__}")
            if math.isnan(float(bound)):
                raise ValueError(f"{bname}: must not be NaN (a NaN bound passes every value)")
    if upper is not None and lower is not None and float(lower) > float(upper):
        raise ValueError(f"lower/upper: lower = {lower!r} exceeds upper = {upper!r}")
    atol = _require_tolerance(atol, "atol")
    v = _to_np64(values).ravel()
    _require_nonempty(v, "values")
    if np.iscomplexobj(v):
        raise TypeError("values: a bound needs real values, got complex")
    if upper is not None and lower is not None:
        reference = f"in [{float(lower):.3g}, {float(upper):.3g}]"
    elif upper is not None:
        reference = f"<= {float(upper):.3g}"
    else:
        reference = f">= {float(lower):.3g}"
    if not np.all(np.isfinite(v)):
        nbad = int(np.sum(~np.isfinite(v)))
        return _finish(CheckResult(name, False, math.inf, atol, "bound", f"{nbad} non-finite values",
                                   observed=math.nan, reference=reference), strict)
    viol = np.zeros_like(v)
    if upper is not None:
        viol = np.maximum(viol, v - float(upper))
    if lower is not None:
        viol = np.maximum(viol, float(lower) - v)
    if upper is not None and lower is not None:
        observed = float(v[int(np.argmax(viol))]) if viol.max() > 0 else float(v.max() if (v.max() - float(upper)) >= (float(lower) - v.min()) else v.min())
    elif upper is not None:
        observed = float(v.max())
    else:
        observed = float(v.min())
    worst = float(viol.max())
    nbad = int(np.sum(viol > atol))
    detail = f"{nbad} of {v.size} samples violate the bound ({nbad / v.size:.2%})" if nbad else f"{v.size} samples"
    return _finish(CheckResult(name, nbad == 0, worst, atol, "bound", detail, observed=observed, reference=reference), strict)


def _as_bool(condition, name: str = "condition") -> bool:
    """A truth value must be a bool (python, numpy, or a one-element bool tensor), never a string."""
    if isinstance(condition, (bool, np.bool_)):
        return bool(condition)
    try:
        import torch

        if isinstance(condition, torch.Tensor):
            if condition.dtype == torch.bool and condition.numel() == 1:
                return bool(condition)
            raise TypeError(f"{name}: must be a one-element bool tensor, got dtype {condition.dtype}, "
                            f"shape {tuple(condition.shape)}")
    except ImportError:  # pragma: no cover
        pass
    if isinstance(condition, np.ndarray) and condition.dtype == bool and condition.size == 1:
        return bool(condition)
    raise TypeError(f"{name}: must be a bool, got {type(condition).__name__} {condition!r}")


def check_true(condition: bool, name: str, detail: str = "", *, strict: bool = True) -> CheckResult:
    """Record a computed boolean fact (e.g. "a 2-cycle was found").

    ``condition`` must be a real boolean (``bool``, ``numpy.bool_`` or a one-element
    bool tensor): a string such as ``"False"``, a number or ``None`` raises
    ``TypeError``.  Prefer the quantitative checks above whenever a number can be
    compared with a tolerance.
    """
    ok = _as_bool(condition)
    return _finish(CheckResult(name, ok, 0.0 if ok else math.inf, 0.0, "boolean", detail), strict)


def check_raises(fn: Callable[[], Any], exception, name: str, *, match: str | None = None,
                 strict: bool = True) -> CheckResult:
    """Check that ``fn()`` refuses its input: it must raise ``exception`` (matching ``match``).

    The check *fails* (it does not pass silently) when ``fn`` returns normally, raises
    another exception type, or raises a message that does not match ``match`` (a regular
    expression, searched).  Use it for every "this input is rejected" statement of a
    chapter, so that a guard that stops raising fails the chapter.
    """
    import re

    if not (isinstance(exception, type) and issubclass(exception, BaseException)) and not (
            isinstance(exception, tuple) and all(isinstance(e, type) and issubclass(e, BaseException) for e in exception)):
        raise TypeError(f"exception: must be an exception class or a tuple of them, got {exception!r}")
    try:
        fn()
    except exception as exc:  # the expected refusal
        msg = str(exc)
        if match is not None and not re.search(match, msg):
            return _finish(CheckResult(name, False, math.inf, 0.0, "raises",
                                       f"raised {type(exc).__name__} but the message {msg!r} does not match {match!r}"), strict)
        return _finish(CheckResult(name, True, 0.0, 0.0, "raises", f"{type(exc).__name__}: {msg[:200]}"), strict)
    except Exception as exc:  # a different error is not the promised refusal
        return _finish(CheckResult(name, False, math.inf, 0.0, "raises",
                                   f"raised {type(exc).__name__} ({str(exc)[:200]}), expected {exception}"), strict)
    return _finish(CheckResult(name, False, math.inf, 0.0, "raises", "returned normally: the input was NOT refused"), strict)


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
        if not isinstance(result, CheckResult):
            raise TypeError(f"result: must be a CheckResult, got {type(result).__name__}")
        self.results.append(result)
        return result

    def extend(self, results: Iterable[CheckResult]) -> None:
        for r in results:
            self.add(r)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def counts(self) -> dict:
        """``{"total": n, "passed": k, "failed": n - k}`` and counts per kind."""
        out = {"total": len(self.results), "passed": sum(bool(r.passed) for r in self.results)}
        out["failed"] = out["total"] - out["passed"]
        for r in self.results:
            out[r.kind] = out.get(r.kind, 0) + 1
        out["consistency"] = sum(r.role == "consistency" for r in self.results)
        out["verification"] = out["total"] - out["consistency"]
        return out

    def summary(self) -> str:
        """One line: ``"Conjugacy: 14 checks, all passed (9 symbolic, 5 numeric)."``"""
        c = self.counts()
        kinds = ", ".join(f"{c[k]} {k}" for k in ("symbolic", "numeric", "bound", "boolean", "raises") if k in c)
        verdict = "all passed" if c["failed"] == 0 and c["total"] else f"**{c['failed']} FAILED**"
        if c["consistency"]:
            kinds += (", " if kinds else "") + (f"{c['consistency']} of them consistency checks, "
                                                "not counted as verification")
        return f"{self.title}: {c['total']} checks, {verdict}" + (f" ({kinds})." if kinds else ".")

    def table(self) -> str:
        rows = ["| # | check | kind | observed | reference / bound | error | tolerance | result |",
                "|---|---|---|---|---|---|---|---|"]
        for i, r in enumerate(self.results, 1):
            if r.kind == "symbolic":
                obs, ref, err, tol = "—", "identity", ("0 (exact)" if r.passed else "≠ 0"), "—"
            elif r.kind == "boolean":
                obs, ref, err, tol = ("true" if r.passed else "false"), "true", "—", "—"
            elif r.kind == "raises":
                obs, ref, err, tol = ("refused" if r.passed else "accepted"), "refused", "—", "—"
            elif r.kind == "bound":
                obs, ref, err, tol = f"{r.observed:.3g}", r.reference, f"{r.max_error:.3g}", f"{r.tolerance:.3g}"
            else:
                obs, ref, err, tol = "—", "—", f"{r.max_error:.3g}", f"{r.tolerance:.3g}"
            kind = r.kind if r.role == "verification" else f"{r.kind}, consistency"
            rows.append(f"| {i} | {_escape(r.name)} | {kind} | {_escape(obs)} | {_escape(ref)} | {err} | {tol} | "
                        f"{'pass' if r.passed else '**FAIL**'} |")
        return "\n".join(rows)

    def report(self):
        """The full table folded under a dropdown (for the end of a chapter), as IPython Markdown."""
        from IPython.display import Markdown

        return Markdown(f"<details>\n<summary>{_escape(self.summary())} Show the table.</summary>\n\n"
                        f"{self.table()}\n\n</details>")

    def _repr_markdown_(self) -> str:
        return self.report().data

    def assert_all(self) -> "ChapterChecks":
        """Raise unless at least one check was recorded and every check passed."""
        if not self.results:
            raise VerificationError(f"{self.title}: no checks were recorded (an empty check list proves nothing)")
        bad = [r for r in self.results if not r.passed]
        if bad:
            raise VerificationError("\n".join(str(r) for r in bad))
        return self


# --------------------------------------------------------------------------- #
# Claims tested by experiment: a decision rule fixed before the data, a verdict
# --------------------------------------------------------------------------- #
VERDICTS = ("supported", "contradicted", "inconclusive")


@dataclass(frozen=True)
class DecisionRule:
    """How a claim is decided from an effect size and its interval, fixed before the data.

    Parameters
    ----------
    kind : ``"greater"``, ``"less"`` or ``"within"``
        The claim says the effect is above ``threshold``, below it, or inside the
        interval ``threshold = (low, high)`` (an equivalence claim).
    threshold : float or (float, float)
    description : str
        The rule in words, for the verdict table (generated when omitted).

    The verdict from an interval ``[lo, hi]`` for the effect:

    * ``greater``: supported if ``lo > threshold``, contradicted if ``hi < threshold``;
    * ``less``: supported if ``hi < threshold``, contradicted if ``lo > threshold``;
    * ``within (a, b)``: supported if ``a <= lo`` and ``hi <= b``, contradicted if the
      interval lies wholly outside ``[a, b]``;

    and inconclusive otherwise.
    """

    kind: str
    threshold: Any
    description: str = ""

    def __post_init__(self):
        if self.kind not in ("greater", "less", "within"):
            raise ValueError(f"kind: must be 'greater', 'less' or 'within', got {self.kind!r}")
        if self.kind == "within":
            try:
                a, b = (float(t) for t in self.threshold)
            except (TypeError, ValueError):
                raise ValueError(f"threshold: 'within' needs a pair (low, high), got {self.threshold!r}") from None
            if not (math.isfinite(a) and math.isfinite(b) and a < b):
                raise ValueError(f"threshold: need finite low < high, got {self.threshold!r}")
        else:
            if isinstance(self.threshold, (tuple, list)) or not math.isfinite(float(self.threshold)):
                raise ValueError(f"threshold: must be one finite number for {self.kind!r}, got {self.threshold!r}")
        if not self.description:
            if self.kind == "within":
                a, b = self.threshold
                text = f"95% interval inside [{float(a):.3g}, {float(b):.3g}]"
            else:
                text = f"95% interval {'above' if self.kind == 'greater' else 'below'} {float(self.threshold):.3g}"
            object.__setattr__(self, "description", text)

    def decide(self, low: float, high: float) -> str:
        """``"supported"``, ``"contradicted"`` or ``"inconclusive"`` for the interval ``[low, high]``."""
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise ValueError(f"interval: must be finite with low <= high, got [{low}, {high}]")
        if self.kind == "greater":
            t = float(self.threshold)
            return "supported" if low > t else "contradicted" if high < t else "inconclusive"
        if self.kind == "less":
            t = float(self.threshold)
            return "supported" if high < t else "contradicted" if low > t else "inconclusive"
        a, b = (float(t) for t in self.threshold)
        if a <= low and high <= b:
            return "supported"
        if high < a or low > b:
            return "contradicted"
        return "inconclusive"


def bootstrap_interval(samples, statistic: Callable = np.mean, *, level: float = 0.95, n_boot: int = 10_000,
                       seed: int = 0) -> tuple:
    """Percentile bootstrap interval of ``statistic`` over the first axis of ``samples``.

    Returns ``(estimate, low, high)``.  ``samples`` must hold at least 2 finite rows.
    """
    x = _to_np64(samples)
    if x.ndim == 0 or x.shape[0] < 2:
        raise ValueError(f"samples: need at least 2 samples for an interval, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples: must be finite (found NaN/inf)")
    if not 0 < level < 1:
        raise ValueError(f"level: must lie in (0, 1), got {level!r}")
    if int(n_boot) < 100:
        raise ValueError(f"n_boot: must be >= 100, got {n_boot!r}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.shape[0], size=(int(n_boot), x.shape[0]))
    if statistic is np.mean or statistic is np.median:  # vectorised over resamples
        stats = np.asarray(statistic(x[idx], axis=1), dtype=float).reshape(int(n_boot), -1)[:, 0]
    else:
        stats = np.array([statistic(x[i]) for i in idx], dtype=float)
    est = float(statistic(x))
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return est, float(lo), float(hi)


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim tested by experiment, with its effect size, interval, n and verdict.

    Build it with :func:`claim_verdict`; the verdict is computed from the rule, never
    written by hand.

    Attributes
    ----------
    claim : str
        The claim in words. ``source`` cites it (note and section, or a paper key).
    statistic : str
        What the effect size is (``"mean change of the spectral radius"``).
    estimate, low, high : float
        The effect size and its 95% interval.
    n : int
        Number of independent samples (networks, seeds, realisations).
    rule : DecisionRule
    verdict : str
        One of :data:`VERDICTS`.
    preset : str
        The scale preset that produced the data.
    method : str
        How the interval was computed (``"bootstrap"``, ``"t"``, ``"given"``).
    """

    claim: str
    source: str
    statistic: str
    estimate: float
    low: float
    high: float
    n: int
    rule: DecisionRule
    verdict: str
    preset: str = ""
    method: str = ""

    def row(self) -> str:
        return (f"| {_escape(self.claim)} | {_escape(self.source)} | {_escape(self.statistic)} | {self.estimate:.3g} "
                f"| [{self.low:.3g}, {self.high:.3g}] | {self.n} | {_escape(self.rule.description)} "
                f"| **{self.verdict}** |")

    def _repr_markdown_(self) -> str:
        return VerdictTable([self])._repr_markdown_()

    def check(self, expected: str | Sequence[str] | None = None, *, strict: bool = False) -> CheckResult:
        """A :class:`CheckResult` that passes when the verdict is ``expected`` (default: supported)."""
        want = ("supported",) if expected is None else ((expected,) if isinstance(expected, str) else tuple(expected))
        for w in want:
            if w not in VERDICTS:
                raise ValueError(f"expected: {w!r} is not one of {VERDICTS}")
        ok = self.verdict in want
        return _finish(CheckResult(f"claim '{self.claim}' is {' or '.join(want)}", ok, 0.0 if ok else math.inf, 0.0,
                                   "boolean", f"verdict {self.verdict}: {self.statistic} = {self.estimate:.3g} "
                                   f"[{self.low:.3g}, {self.high:.3g}], n = {self.n}, rule: {self.rule.description}"),
                       strict)

    def errata_checks(self) -> tuple:
        """``(printed, corrected)`` for an errata record of kind "not reproduced":
        the printed side is "the claim is supported", the corrected side "it is contradicted"."""
        return self.check("supported"), self.check("contradicted")


def claim_verdict(claim: str, *, rule: DecisionRule, statistic: str, samples=None, estimate=None, interval=None,
                  n: int | None = None, source: str = "", preset: str | None = None, method: str = "bootstrap",
                  stat_fn: Callable = np.mean, n_boot: int = 10_000, seed: int = 0) -> ClaimVerdict:
    """Decide a claim: the effect size and 95% interval from ``samples`` (or given), then the rule.

    Parameters
    ----------
    claim, statistic, source : str
    rule : DecisionRule
        Fixed before the data are computed (define it in the cell above the experiment).
    samples : array-like, optional
        One effect per independent unit (network, seed); the estimate is ``stat_fn``
        and the interval a percentile bootstrap (``method="bootstrap"``) or a Student-t
        interval of the mean (``method="t"``).
    estimate, interval, n : optional
        An effect size with its interval computed elsewhere (``method="given"``).
    preset : str, optional
        Default: the active scale preset.
    """
    if not isinstance(rule, DecisionRule):
        raise TypeError(f"rule: must be a DecisionRule, got {type(rule).__name__}")
    if not str(claim).strip() or not str(statistic).strip():
        raise ValueError("claim/statistic: must be non-empty descriptions")
    if samples is not None:
        x = _to_np64(samples).ravel()
        if x.size < 2:
            raise ValueError(f"samples: need at least 2 independent samples, got {x.size}")
        if not np.all(np.isfinite(x)):
            raise ValueError("samples: must be finite (found NaN/inf); a NaN verdict is never returned")
        if method == "bootstrap":
            est, lo, hi = bootstrap_interval(x, stat_fn, n_boot=n_boot, seed=seed)
        elif method == "t":
            from scipy import stats as st

            est = float(np.mean(x))
            half = float(st.t.ppf(0.975, x.size - 1) * np.std(x, ddof=1) / math.sqrt(x.size))
            lo, hi = est - half, est + half
        else:
            raise ValueError(f"method: must be 'bootstrap' or 't' with samples, got {method!r}")
        n_used = int(x.size)
    else:
        if estimate is None or interval is None or n is None:
            raise ValueError("samples: give samples, or estimate, interval and n")
        est = float(estimate)
        lo, hi = (float(v) for v in interval)
        if not all(math.isfinite(v) for v in (est, lo, hi)) or not lo <= est <= hi:
            raise ValueError(f"interval: need finite low <= estimate <= high, got {lo}, {est}, {hi}")
        if int(n) < 1:
            raise ValueError(f"n: must be >= 1, got {n!r}")
        n_used, method = int(n), "given"
    if preset is None:
        from .device import get_scale

        preset = get_scale()
    return ClaimVerdict(str(claim), str(source), str(statistic), float(est), float(lo), float(hi), n_used, rule,
                        rule.decide(lo, hi), str(preset), method)


@dataclass
class VerdictTable:
    """The verdicts of a chapter, rendered as one Markdown table."""

    verdicts: list = field(default_factory=list)

    def add(self, verdict: ClaimVerdict) -> ClaimVerdict:
        if not isinstance(verdict, ClaimVerdict):
            raise TypeError(f"verdict: must be a ClaimVerdict, got {type(verdict).__name__}")
        self.verdicts.append(verdict)
        return verdict

    def _repr_markdown_(self) -> str:
        rows = ["| claim | source | effect size | estimate | 95% interval | n | decision rule | verdict |",
                "|---|---|---|---|---|---|---|---|"]
        rows += [v.row() for v in self.verdicts]
        return "\n".join(rows)
