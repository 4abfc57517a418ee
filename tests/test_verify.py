"""The verification API accepts right identities and rejects wrong ones."""
import math

import numpy as np
import pytest
import sympy as sp
import torch

from rnnmath import verify as V
from rnnmath.verify import VerificationError

n, m = sp.symbols("n m", integer=True, positive=True)
A = sp.MatrixSymbol("A", n, m)
B = sp.MatrixSymbol("B", m, m)
S = sp.MatrixSymbol("S", n, n)
a = sp.MatrixSymbol("a", n, 1)
b = sp.MatrixSymbol("b", n, 1)


def test_matrix_identity_expands_products_and_transposes():
    lhs = ((A.T * a + B.T * A.T * b).T * (A.T * a + B.T * A.T * b))
    rhs = a.T * A * A.T * a + 2 * a.T * A * B.T * A.T * b + b.T * A * B * B.T * A.T * b
    r = V.check_matrix_identity(lhs, rhs, "expanded square")
    assert r.passed and r.kind == "symbolic" and r.max_error == 0


def test_matrix_identity_rejects_wrong_sign_and_factor():
    lhs = ((A.T * a + B.T * A.T * b).T * (A.T * a + B.T * A.T * b))
    wrong_sign = a.T * A * A.T * a - 2 * a.T * A * B.T * A.T * b + b.T * A * B * B.T * A.T * b
    wrong_factor = a.T * A * A.T * a + a.T * A * B.T * A.T * b + b.T * A * B * B.T * A.T * b
    for wrong in (wrong_sign, wrong_factor):
        r = V.check_matrix_identity(lhs, wrong, "wrong", strict=False)
        assert not r.passed and math.isinf(r.max_error)
        assert "lhs - rhs" in r.detail and "random instance" in r.detail
    with pytest.raises(VerificationError, match="wrong"):
        V.check_matrix_identity(lhs, wrong_sign, "wrong")


def test_scalar_quadratic_form_transpose_is_canonical():
    assert V.check_matrix_identity(a.T * A * B * A.T * b, b.T * A * B.T * A.T * a)
    assert not V.check_matrix_identity(a.T * A * B * A.T * b, b.T * A * B * A.T * a, strict=False)


def test_symmetric_matrices_are_honoured_only_when_declared():
    assert V.check_matrix_identity(a.T * S * b, b.T * S * a, symmetric=[S])
    assert not V.check_matrix_identity(a.T * S * b, b.T * S * a, strict=False)


def test_matrix_identity_shape_mismatch_fails():
    r = V.check_matrix_identity(a, a.T, strict=False)
    assert not r.passed and "shape" in r.detail


def test_elementwise_invertible_function_proof_and_rejection():
    sig, sig_inv = V.invertible_function("sigma")
    W = A * A.T
    lhs = V.elementwise(sig_inv, V.elementwise(sig, W * V.elementwise(sig, a)))
    assert V.check_matrix_identity(lhs, W * V.elementwise(sig, a))
    tau, tau_inv = V.invertible_function("tau")
    wrong = V.elementwise(tau_inv, V.elementwise(sig, W * V.elementwise(sig, a)))
    assert not V.check_matrix_identity(wrong, W * V.elementwise(sig, a), strict=False)


def test_scalar_identity_with_elementwise_functions():
    x = sp.symbols("x", real=True)
    assert V.check_scalar_identity(sp.diff(sp.log(sp.cosh(x)), x), sp.tanh(x))
    r = V.check_scalar_identity(sp.diff(sp.log(sp.cosh(x)), x), -sp.tanh(x), strict=False)
    assert not r.passed and "random points" in r.detail
    y = sp.symbols("y", real=True)
    tanh_diff = (sp.tanh(x) - sp.tanh(y)) - sp.tanh(x - y) * (1 - sp.tanh(x) * sp.tanh(y))
    assert V.check_scalar_identity(tanh_diff, 0)
    assert not V.check_scalar_identity(sp.tanh(x) - sp.tanh(y), sp.tanh(x - y) * (1 + sp.tanh(x) * sp.tanh(y)), strict=False)


def test_scalar_identity_explicit_matrices():
    x = sp.symbols("x")
    M = sp.Matrix([[sp.sin(x) ** 2 + sp.cos(x) ** 2, 0]])
    assert V.check_scalar_identity(M, sp.Matrix([[1, 0]]))
    assert not V.check_scalar_identity(M, sp.Matrix([[1, 1]]), strict=False)
    assert not V.check_scalar_identity(M, sp.Matrix([[1], [0]]), strict=False)


def test_check_close_tolerance_shape_and_nan():
    assert V.check_close(np.ones(3), np.ones(3) + 1e-14)
    r = V.check_close(np.ones(3), np.array([1.0, 1.0, 1.1]), strict=False)
    assert not r.passed and r.max_error == pytest.approx(0.1) and "worst entry (2,)" in r.detail
    assert not V.check_close(np.ones(3), np.ones((3, 1)), strict=False).passed
    assert not V.check_close(np.array([np.nan]), np.array([np.nan]), strict=False).passed
    with pytest.raises(AssertionError):
        V.check_close(1.0, 2.0, "one is two")


def test_jacobian_and_hessian_against_autograd():
    pts = torch.randn(4, 3, dtype=torch.float64)
    W = torch.randn(3, 3, dtype=torch.float64)
    f = lambda x: torch.tanh(W @ x)
    good = lambda x: (1 - torch.tanh(W @ x) ** 2)[:, None] * W
    bad = lambda x: W * (1 - torch.tanh(x) ** 2)[None, :]
    assert V.check_jacobian(f, good, pts)
    assert not V.check_jacobian(f, bad, pts, strict=False)
    q = lambda x: 0.5 * (f(x) ** 2).sum()
    H = lambda x: torch.func.hessian(q)(x)
    assert V.check_hessian(q, H, pts)
    assert not V.check_hessian(q, lambda x: good(x).T @ good(x), pts, strict=False)  # Gauss-Newton part only


def test_numeric_checks_require_float64_points():
    with pytest.raises(ValueError, match="points"):
        V.check_jacobian(torch.tanh, torch.tanh, torch.randn(2, 3))


def test_gradient_finite_differences():
    pts = torch.randn(3, 4, dtype=torch.float64)
    fn = lambda x: (torch.sin(x) * x).sum()
    assert V.check_gradient_fd(fn, lambda x: torch.cos(x) * x + torch.sin(x), pts)
    assert not V.check_gradient_fd(fn, lambda x: torch.cos(x) * x, pts, strict=False)


def test_functions_agree():
    pts = torch.randn(5, 2, dtype=torch.float64)
    assert V.check_functions_agree(lambda x: torch.exp(torch.log(x.abs() + 1)), lambda x: x.abs() + 1, pts)
    assert not V.check_functions_agree(torch.sin, torch.cos, pts, strict=False)


def test_bound_counts_violations():
    r = V.check_bound([0.0, 1e-3, 2.0], upper=0.0, strict=False)
    assert not r.passed and r.max_error == 2.0 and "2 of 3" in r.detail
    assert V.check_bound([0.0, 1e-14], upper=0.0, atol=1e-12)
    assert not V.check_bound([1.0], lower=2.0, strict=False)
    with pytest.raises(ValueError, match="upper/lower"):
        V.check_bound([1.0])


def test_check_true_and_chapter_checks():
    checks = V.ChapterChecks("t")
    checks.add(V.check_true(True, "fact"))
    checks.add(V.check_true(False, "false fact", strict=False))
    assert not checks.all_passed
    assert "**FAIL**" in checks.table()
    with pytest.raises(VerificationError, match="false fact"):
        checks.assert_all()


# ----------------------------------------------------------------------------- checkers cannot pass on nothing
@pytest.mark.parametrize("call, exc, match", [
    (lambda: V.check_close(np.zeros(0), np.zeros(0)), ValueError, "actual: is empty"),
    (lambda: V.check_close(np.ones(2), np.ones(2), rtol=float("nan")), ValueError, "rtol: must be a finite number"),
    (lambda: V.check_close(np.ones(2), np.ones(2), atol=-1.0), ValueError, "atol: must be a finite number"),
    (lambda: V.check_close(np.ones(2), np.ones(2), atol="1e-3"), TypeError, "atol: must be a real number"),
    (lambda: V.check_close(np.array(["a"]), np.array(["a"])), TypeError, "values: must be numeric"),
    (lambda: V.check_bound([], upper=1.0), ValueError, "values: is empty"),
    (lambda: V.check_bound([5.0], upper=float("nan")), ValueError, "upper: must not be NaN"),
    (lambda: V.check_bound([5.0], lower=float("nan"), strict=False), ValueError, "lower: must not be NaN"),
    (lambda: V.check_bound([5.0], upper=1.0, atol=float("nan")), ValueError, "atol: must be a finite number"),
    (lambda: V.check_bound([0.5], lower=1.0, upper=0.0), ValueError, "lower/upper: lower"),
    (lambda: V.check_bound([1j], upper=1.0), TypeError, "values: a bound needs real values"),
    (lambda: V.check_jacobian(torch.tanh, torch.tanh, torch.zeros(0, 2, dtype=torch.float64)), ValueError, "points: is empty"),
    (lambda: V.check_functions_agree(torch.sin, torch.cos, []), ValueError, "points: is empty"),
    (lambda: V.check_functions_agree(torch.sin, torch.sin, torch.full((2, 2), float("nan"), dtype=torch.float64)), ValueError, "points: must be finite"),
    (lambda: V.check_hessian(torch.sum, torch.sum, torch.ones(2, 2, dtype=torch.float64), rtol=float("nan")), ValueError, "rtol: must be a finite number"),
    (lambda: V.check_true("False", "string truth"), TypeError, "condition: must be a bool"),
    (lambda: V.check_true(1, "int truth"), TypeError, "condition: must be a bool"),
    (lambda: V.check_true(None, "none truth"), TypeError, "condition: must be a bool"),
    (lambda: V.check_true(torch.tensor([True, False]), "tensor truth"), TypeError, "condition: must be a one-element bool tensor"),
    (lambda: V.ChapterChecks("empty").assert_all(), VerificationError, "empty: no checks were recorded"),
    (lambda: V.ChapterChecks("t").add("pass"), TypeError, "result: must be a CheckResult"),
    (lambda: V.check_raises(lambda: None, "ValueError", "x"), TypeError, "exception: must be an exception class"),
])
def test_checkers_refuse_empty_nan_and_non_boolean_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_nan_values_fail_every_numeric_checker():
    nan = np.array([1.0, np.nan])
    assert not V.check_close(nan, np.ones(2), strict=False).passed
    assert not V.check_close(np.ones(2), nan, strict=False).passed
    r = V.check_bound(nan, upper=10.0, strict=False)
    assert not r.passed and "1 non-finite" in r.detail
    pts = torch.ones(2, 2, dtype=torch.float64)
    assert not V.check_functions_agree(lambda x: x * float("nan"), lambda x: x, pts, strict=False).passed
    assert not V.ChapterChecks("x").all_passed  # no checks: not "all passed"


def test_check_true_accepts_real_booleans():
    assert V.check_true(np.bool_(True), "numpy bool").passed
    assert V.check_true(torch.tensor(True), "tensor bool").passed
    assert not V.check_true(np.array(False), "0-d array", strict=False).passed


# ----------------------------------------------------------------------------- near the tolerance
@pytest.mark.parametrize("factor, passes", [(0.9, True), (0.999, True), (1.001, False), (1.1, False)])
def test_check_close_decides_at_its_tolerance(factor, passes):
    """A thousandfold looser check_close would let every 'False' case here pass."""
    expected = np.array([1.0, -2.0, 4.0])
    tol = 1e-12 + 1e-10 * 4.0  # atol + rtol * max|expected|
    actual = expected + np.array([0.0, factor * tol, 0.0])
    assert V.check_close(actual, expected, strict=False).passed is passes


@pytest.mark.parametrize("factor, passes", [(0.9, True), (1.1, False)])
def test_jacobian_check_decides_at_its_tolerance(factor, passes):
    W = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    f = lambda x: W @ x
    tol = 1e-11 + 1e-9 * 4.0
    off = torch.tensor([[0.0, factor * tol], [0.0, 0.0]], dtype=torch.float64)
    r = V.check_jacobian(f, lambda x: W + off, torch.ones(1, 2, dtype=torch.float64), strict=False)
    assert r.passed is passes


@pytest.mark.parametrize("value, passes", [(1.0 + 0.9e-9, True), (1.0 + 1.1e-9, False), (-0.9e-9, True), (-1.1e-9, False)])
def test_check_bound_decides_at_its_tolerance(value, passes):
    r = V.check_bound([0.5, value], lower=0.0, upper=1.0, atol=1e-9, strict=False)
    assert r.passed is passes
    assert r.reference == "in [0, 1]" and r.observed == pytest.approx(value)


def test_bound_reports_observed_value_and_bound():
    r = V.check_bound([0.2, 0.7, 0.4], upper=1.0)
    assert r.observed == 0.7 and r.reference == "<= 1" and r.kind == "bound"
    assert "observed 0.7" in str(r)
    r = V.check_bound([0.2, 0.7], lower=0.5, strict=False)
    assert r.observed == 0.2 and not r.passed


def test_check_raises_fails_when_nothing_is_raised():
    def guard(x):
        if x < 0:
            raise ValueError("x: must be >= 0")
        return x
    assert V.check_raises(lambda: guard(-1), ValueError, "negative refused", match="x: must be").passed
    r = V.check_raises(lambda: guard(1), ValueError, "positive refused", strict=False)
    assert not r.passed and "NOT refused" in r.detail
    r = V.check_raises(lambda: guard(-1), ValueError, "wrong message", match="y: ", strict=False)
    assert not r.passed and "does not match" in r.detail
    r = V.check_raises(lambda: 1 / 0, ValueError, "other error", strict=False)
    assert not r.passed and "ZeroDivisionError" in r.detail
    with pytest.raises(VerificationError, match="positive refused"):
        V.check_raises(lambda: guard(1), ValueError, "positive refused")


def test_tables_escape_labels_and_show_booleans_and_three_digits():
    checks = V.ChapterChecks("Lyapunov")
    checks.add(V.check_close(1.0, 1.0 + 1e-13, "sum = <tr D> | trace", rtol=1.12e-2))
    checks.add(V.check_true(True, "a 2-cycle exists"))
    checks.add(V.check_bound([0.3], upper=1.0, atol=1.234e-7, name="rho < 1"))
    t = checks.table()
    assert "&lt;tr D&gt;" in t and "<tr D>" not in t and "\\|" in t
    assert "| true | true |" in t and "0e+00" not in t
    assert "1.23e-07" in t and "| 0.3 | &lt;= 1 |" in t
    assert checks.summary() == "Lyapunov: 3 checks, all passed (1 numeric, 1 bound, 1 boolean)."
    md = checks._repr_markdown_()
    assert md.startswith("<details>") and "Show the table" in md and t in md


# ----------------------------------------------------------------------------- claim verdicts
def test_decision_rule_verdicts():
    gt = V.DecisionRule("greater", 0.0)
    assert (gt.decide(0.1, 0.5), gt.decide(-0.5, -0.1), gt.decide(-0.1, 0.2)) == ("supported", "contradicted", "inconclusive")
    lt = V.DecisionRule("less", 1.0)
    assert (lt.decide(0.1, 0.5), lt.decide(1.5, 2.0), lt.decide(0.5, 1.5)) == ("supported", "contradicted", "inconclusive")
    w = V.DecisionRule("within", (1.5, 2.5))
    assert (w.decide(1.8, 2.2), w.decide(0.9, 1.2), w.decide(1.2, 1.8)) == ("supported", "contradicted", "inconclusive")
    assert w.description == "95% interval inside [1.5, 2.5]"
    with pytest.raises(ValueError, match="interval: must be finite"):
        gt.decide(float("nan"), 1.0)
    with pytest.raises(ValueError, match="kind: must be"):
        V.DecisionRule("bigger", 0.0)
    with pytest.raises(ValueError, match="threshold: need finite low < high"):
        V.DecisionRule("within", (2.0, 1.0))


def test_a_verdict_flips_when_its_data_change():
    rule = V.DecisionRule("greater", 0.0)
    rng = np.random.default_rng(0)
    up = rng.normal(1.0, 0.3, 12)
    v = V.claim_verdict("weights grow", rule=rule, statistic="mean change", samples=up, source="note 001 §5.1")
    assert v.verdict == "supported" and v.n == 12 and v.low > 0 and v.method == "bootstrap"
    assert v.check().passed and not v.check("contradicted").passed
    assert V.claim_verdict("weights grow", rule=rule, statistic="mean change", samples=-up).verdict == "contradicted"
    assert V.claim_verdict("weights grow", rule=rule, statistic="mean change", samples=up - up.mean()).verdict == "inconclusive"
    printed, corrected = V.claim_verdict("weights grow", rule=rule, statistic="s", samples=-up).errata_checks()
    assert not printed.passed and corrected.passed
    t = V.claim_verdict("weights grow", rule=rule, statistic="s", samples=up, method="t")
    assert t.low < t.estimate < t.high and t.method == "t"


def test_claim_verdict_refuses_nan_and_too_few_samples():
    rule = V.DecisionRule("greater", 0.0)
    with pytest.raises(ValueError, match="samples: must be finite"):
        V.claim_verdict("c", rule=rule, statistic="s", samples=[1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="samples: need at least 2"):
        V.claim_verdict("c", rule=rule, statistic="s", samples=[1.0])
    with pytest.raises(ValueError, match="interval: need finite low <= estimate <= high"):
        V.claim_verdict("c", rule=rule, statistic="s", estimate=3.0, interval=(0.0, 1.0), n=5)
    with pytest.raises(TypeError, match="rule: must be a DecisionRule"):
        V.claim_verdict("c", rule="greater", statistic="s", samples=[1.0, 2.0])
    v = V.claim_verdict("c", rule=rule, statistic="s", estimate=0.5, interval=(0.2, 0.8), n=30)
    assert v.verdict == "supported" and v.method == "given"
    assert "**supported**" in V.VerdictTable([v])._repr_markdown_()


def test_bootstrap_interval_covers_the_mean():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 1.0, 400)
    est, lo, hi = V.bootstrap_interval(x)
    half = 1.96 / np.sqrt(400)
    assert lo < 2.0 < hi and abs((hi - lo) / 2 - half) < 0.2 * half and lo < est < hi


def test_guards_the_mutation_run_showed_untested():
    with pytest.raises(ValueError, match="points: every point must be a float64 torch tensor"):
        V.check_functions_agree(torch.sin, torch.sin, [torch.ones(2)])
    with pytest.raises(TypeError, match="upper: must be a real number"):
        V.check_bound([1.0], upper="1")
    with pytest.raises(TypeError, match="lower: must be a real number"):
        V.check_bound([1.0], lower=True)


@pytest.mark.parametrize("call, match", [
    (lambda: V.DecisionRule("within", 1.0), "threshold: 'within' needs a pair"),
    (lambda: V.bootstrap_interval([1.0, np.nan]), "samples: must be finite"),
    (lambda: V.bootstrap_interval([1.0, 2.0], level=1.5), "level: must lie in"),
    (lambda: V.bootstrap_interval([1.0, 2.0], n_boot=10), "n_boot: must be >= 100"),
    (lambda: V.claim_verdict(" ", rule=V.DecisionRule("greater", 0), statistic="s", samples=[1.0, 2.0]),
     "claim/statistic: must be non-empty"),
    (lambda: V.claim_verdict("c", rule=V.DecisionRule("greater", 0), statistic="s", samples=[[1.0]]),
     "samples: need at least 2 independent samples"),
    (lambda: V.claim_verdict("c", rule=V.DecisionRule("greater", 0), statistic="s", samples=[1.0, np.inf]),
     "samples: must be finite"),
    (lambda: V.claim_verdict("c", rule=V.DecisionRule("greater", 0), statistic="s", samples=[1.0, 2.0], method="z"),
     "method: must be 'bootstrap' or 't'"),
    (lambda: V.claim_verdict("c", rule=V.DecisionRule("greater", 0), statistic="s", estimate=1.0),
     "samples: give samples, or estimate, interval and n"),
    (lambda: V.claim_verdict("c", rule=V.DecisionRule("greater", 0), statistic="s", estimate=1.0,
                             interval=(0.5, 1.5), n=0), "n: must be >= 1"),
])
def test_verdict_guards(call, match):
    """Cases added after the mutation run showed these guards surviving their deletion."""
    with pytest.raises(ValueError, match=match):
        call()


def test_a_consistency_check_is_counted_apart_from_verifications():
    from rnnmath.verify import ChapterChecks, check_close, consistency_check

    checks = ChapterChecks("Census")
    checks.add(check_close(1.0, 1.0 + 1e-12, "independent sides"))
    labelled = checks.add(consistency_check(check_close(2.0, 2.0, "same formula twice"), "both sides call f"))
    assert labelled.role == "consistency" and "both sides call f" in labelled.detail
    c = checks.counts()
    assert (c["total"], c["verification"], c["consistency"]) == (2, 1, 1)
    assert "1 of them consistency checks, not counted as verification" in checks.summary()
    assert "| numeric, consistency |" in checks.table()
    # a failing consistency check still fails the chapter
    checks.add(consistency_check(check_close(1.0, 2.0, "regression", strict=False), "same code"))
    with pytest.raises(AssertionError):
        checks.assert_all()


def test_consistency_check_refuses_bad_input():
    from rnnmath.verify import CheckResult, check_close, consistency_check

    with pytest.raises(TypeError, match="result: must be a CheckResult"):
        consistency_check(True, "x")
    with pytest.raises(ValueError, match="reason: say what the two sides share"):
        consistency_check(check_close(1.0, 1.0, "a"), "  ")
    with pytest.raises(ValueError, match="role: 'other' is not one of"):
        CheckResult("a", True, 0.0, 0.0, "numeric", role="other")


@pytest.mark.parametrize("method", ["bootstrap", "t"])
def test_claim_verdict_refuses_nan_samples_before_any_interval(method):
    from rnnmath.verify import DecisionRule, claim_verdict

    with pytest.raises(ValueError, match="samples: must be finite .*a NaN verdict is never returned"):
        claim_verdict("x > 0", rule=DecisionRule("greater", 0.0), statistic="mean x",
                      samples=[1.0, float("nan"), 2.0], method=method)
