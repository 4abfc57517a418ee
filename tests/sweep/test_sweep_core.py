"""Bad-input sweep of the core modules: device, verify, validation, linalg, plotting, errata."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from rnnmath import device, errata, linalg, plotting, validation, verify
from sweep._sweep import Case, run_case

f64 = torch.float64
I3 = torch.eye(3, dtype=f64)
NAN3 = torch.full((3, 3), float("nan"), dtype=f64)

MODULES = {
    "rnnmath.device": device, "rnnmath.verify": verify, "rnnmath.validation": validation,
    "rnnmath.linalg": linalg, "rnnmath.plotting": plotting, "rnnmath.errata": errata,
}

CASES = [
    # ---------------------------------------------------------------- device
    Case("get_device", lambda: device.get_device("gpu-please"), ValueError, "device: 'gpu-please' is not", why="bad name"),
    Case("get_device", lambda: device.get_device("cuda:7") if not torch.cuda.is_available() else device.get_device("nope"),
         ValueError, "device: ", why="cuda absent"),
    Case("get_device", lambda: device.get_device("cpu"), None, ok=lambda d: d.type == "cpu", why="cpu"),
    Case("get_scale", lambda: device.get_scale("huge"), ValueError, "scale: 'huge' is not one of", why="bad scale"),
    Case("get_scale", lambda: device.get_scale("FULL".lower()), None, ok=lambda s: s == "full", why="full"),
    Case("preset", lambda: device.preset(quick=dict(n=1), full=dict(m=2)), ValueError, "quick/full: presets must define",
         why="mismatched keys"),
    Case("preset", lambda: device.preset(quick=dict(values=1), full=dict(values=2)), ValueError, "quick/full: size names",
         why="reserved name"),
    Case("Preset", lambda: device.preset(quick=dict(n=1), full=dict(n=2), scale="quick").missing, AttributeError,
         "preset has no size named 'missing'", why="unknown size"),
    Case("seed_everything", lambda: device.seed_everything(-1), ValueError, "seed: must be a non-negative", why="negative"),
    Case("seed_everything", lambda: device.seed_everything(1.5), ValueError, "seed: must be a non-negative", why="float"),
    Case("seeded", lambda: device.seeded(True), ValueError, "seed: must be a non-negative", why="bool"),
    Case("seeded", lambda: device.seeded(3), None, ok=lambda s: s == 3 + 1_000_003 * device.seed_offset(), why="offset"),
    Case("seed_offset", lambda: device.seed_offset(), None, ok=lambda s: isinstance(s, int) and s >= 0, why="default"),
    Case("progress", lambda: list(device.progress(range(3), disable=True)), None, ok=lambda r: r == [0, 1, 2], why="wraps"),
    Case("describe_environment", lambda: device.describe_environment(print_it=False), None,
         ok=lambda i: i.scale in device.SCALES and i.torch == torch.__version__, why="report"),
    Case("cuda_available", lambda: device.cuda_available(), None, ok=lambda b: b is torch.cuda.is_available(), why="bool"),
    # ---------------------------------------------------------------- verify
    Case("check_close", lambda: verify.check_close([], []), ValueError, "actual: is empty", why="empty"),
    Case("check_close", lambda: verify.check_close([1.0], [1.0], rtol=float("nan")), ValueError, "rtol: must be a finite",
         why="nan rtol"),
    Case("check_close", lambda: verify.check_close([np.nan], [np.nan], strict=False), None, ok=lambda r: not r.passed,
         why="nan values fail"),
    Case("check_functions_agree", lambda: verify.check_functions_agree(torch.sin, torch.sin, []), ValueError,
         "points: is empty", why="no points"),
    Case("check_jacobian", lambda: verify.check_jacobian(torch.tanh, torch.tanh, torch.zeros(0, 2, dtype=f64)), ValueError,
         "points: is empty", why="(0, 2) points"),
    Case("check_jacobian", lambda: verify.check_jacobian(torch.tanh, torch.tanh, torch.zeros(2, 2)), ValueError,
         "points: must be float64", why="float32 points"),
    Case("check_hessian", lambda: verify.check_hessian(torch.sum, torch.sum, [torch.zeros(0, dtype=f64)]), ValueError,
         "points: every point must be non-empty", why="empty point"),
    Case("check_gradient_fd", lambda: verify.check_gradient_fd(torch.sum, torch.ones_like, torch.ones(1, 2, dtype=f64),
                                                               atol=float("inf")), ValueError, "atol: must be a finite",
         why="inf atol"),
    Case("check_bound", lambda: verify.check_bound([1.0], upper=float("nan"), strict=False), ValueError,
         "upper: must not be NaN", why="nan bound"),
    Case("check_bound", lambda: verify.check_bound(np.zeros(0), lower=0.0), ValueError, "values: is empty", why="empty"),
    Case("check_true", lambda: verify.check_true("False", "s"), TypeError, "condition: must be a bool", why="string"),
    Case("check_raises", lambda: verify.check_raises(lambda: 0, ValueError, "no error"), verify.VerificationError,
         "no error: NOT refused|\\[FAIL\\] no error:", why="not raised"),
    Case("check_matrix_identity", lambda: verify.check_matrix_identity(sp.MatrixSymbol("A", 2, 2),
                                                                       sp.MatrixSymbol("A", 2, 2).T, strict=False),
         None, ok=lambda r: not r.passed, why="A != A^T"),
    Case("check_scalar_identity", lambda: verify.check_scalar_identity(sp.Symbol("x"), sp.Symbol("x") + 1, strict=False),
         None, ok=lambda r: not r.passed, why="x != x+1"),
    Case("canonical_matrix_terms", lambda: verify.canonical_matrix_terms(sp.MatrixSymbol("A", 2, 2) - sp.MatrixSymbol("A", 2, 2)),
         None, ok=lambda t: t == {}, why="A - A = 0"),
    Case("invertible_function", lambda: verify.invertible_function("sigma"), None, ok=lambda fs: len(fs) == 2, why="pair"),
    Case("elementwise", lambda: verify.elementwise(sp.Function("f"), sp.MatrixSymbol("a", 3, 1)), None,
         ok=lambda e: e.shape == (3, 1), why="shape kept"),
    Case("ChapterChecks", lambda: verify.ChapterChecks("none").assert_all(), verify.VerificationError,
         "none: no checks were recorded", why="empty list"),
    Case("CheckResult", lambda: verify.CheckResult("x", False, 1.0, 0.0, "numeric").assert_ok(), verify.VerificationError,
         "x: max error", why="failed result raises"),
    Case("VerificationError", lambda: issubclass(verify.VerificationError, AssertionError), None, ok=bool, why="is assertion"),
    Case("DecisionRule", lambda: verify.DecisionRule("greater", float("nan")), ValueError, "threshold: must be one finite",
         why="nan threshold"),
    Case("claim_verdict", lambda: verify.claim_verdict("c", rule=verify.DecisionRule("greater", 0), statistic="s",
                                                       samples=[np.nan, 1.0]), ValueError, "samples: must be finite",
         why="nan samples"),
    Case("ClaimVerdict", lambda: verify.claim_verdict("c", rule=verify.DecisionRule("less", 0), statistic="s",
                                                      samples=[1.0, 2.0, 3.0]).check("maybe"), ValueError,
         "expected: 'maybe' is not one of", why="bad expected verdict"),
    Case("bootstrap_interval", lambda: verify.bootstrap_interval([1.0]), ValueError, "samples: need at least 2",
         why="one sample"),
    Case("VerdictTable", lambda: verify.VerdictTable().add("supported"), TypeError, "verdict: must be a ClaimVerdict",
         why="string verdict"),
    # ---------------------------------------------------------------- validation
    Case("as_numpy", lambda: validation.as_numpy(torch.ones(2, requires_grad=True)), None,
         ok=lambda a: isinstance(a, np.ndarray) and a.tolist() == [1.0, 1.0], why="detached"),
    Case("require_ndim", lambda: validation.require_ndim(np.zeros(3), "x", 2), ValueError, "x: must have 2 dimension",
         why="rank"),
    Case("require_shape", lambda: validation.require_shape(np.zeros((2, 3)), "W", (3, 3)), ValueError,
         r"W: must have shape \(3, 3\)", why="shape"),
    Case("require_square", lambda: validation.require_square(np.zeros(3), "W"), ValueError, "W: must be a square matrix",
         why="vector"),
    Case("require_symmetric", lambda: validation.require_symmetric(NAN3, "W"), ValueError, "W: must be finite", why="nan"),
    Case("require_finite", lambda: validation.require_finite([1.0, float("inf")], "x"), ValueError, "x: must be finite",
         why="inf in list"),
    Case("require_float64", lambda: validation.require_float64(np.zeros(2, np.float16), "x"), ValueError,
         "x: must be float64", why="float16"),
    Case("require_contractive", lambda: validation.require_contractive(NAN3, "W"), ValueError, "W: must be finite",
         why="nan"),
    Case("require_psd", lambda: validation.require_psd(-I3, "M"), ValueError, "M: must be positive semi-definite",
         why="negative definite"),
    Case("require_nonexpansive", lambda: validation.require_nonexpansive(2 * I3, "U"), ValueError,
         "U: must be non-expansive", why="norm 2"),
    Case("require_positive", lambda: validation.require_positive(float("nan"), "tau"), ValueError, "tau: must be > 0",
         why="nan"),
    Case("require_in_range", lambda: validation.require_in_range(float("nan"), "p", 0, 1), ValueError,
         "p: must not be NaN", why="nan"),
    Case("spectral_norm", lambda: validation.spectral_norm(NAN3, "W"), ValueError, "W: must be finite", why="nan"),
    # ---------------------------------------------------------------- linalg
    Case("solve", lambda: linalg.solve(NAN3, torch.ones(3, dtype=f64)), ValueError, "A: must be finite", why="nan"),
    Case("solve", lambda: linalg.solve(torch.zeros(3, 3, dtype=f64), torch.ones(3, dtype=f64)), ValueError,
         "A: is singular", why="singular"),
    Case("inv", lambda: linalg.inv(torch.ones(2, 3, dtype=f64)), ValueError, "A: must be a square matrix", why="shape"),
    Case("slogdet", lambda: linalg.slogdet(torch.eye(3, dtype=torch.int32)), TypeError, "A: must be float32/float64",
         why="int"),
    Case("det", lambda: linalg.det(torch.eye(3, dtype=torch.float16)), TypeError, "A: must be float32/float64",
         why="float16"),
    Case("det", lambda: linalg.det([[2.0, 0.0], [0.0, 3.0]]), None, ok=lambda d: abs(float(d) - 6.0) < 1e-12,
         why="list input"),
    Case("lu_factor", lambda: linalg.lu_factor(np.eye(3)), TypeError, "A: lu_factor needs a torch tensor", why="numpy"),
    Case("lu_solve", lambda: linalg.lu_solve(linalg.lu_factor(I3), torch.ones(3, 1, dtype=f64), A=torch.zeros(3, 3, dtype=f64)),
         ValueError, "A: is singular", why="factors of another matrix"),
    Case("logdet_spd", lambda: linalg.logdet_spd(-I3), ValueError, "S: must be positive definite", why="-I"),
    Case("solve_spd", lambda: linalg.solve_spd(-I3, torch.ones(3, dtype=f64)), ValueError, "S: must be positive definite",
         why="-I"),
    Case("batched_lu_fault", lambda: linalg.batched_lu_fault(n=-3), ValueError, "n: must be >= 1", why="n < 1"),
    Case("lu_modes", lambda: linalg.lu_modes(), None, ok=lambda m: isinstance(m, dict), why="dict"),
    Case("backward_error", lambda: linalg.backward_error(I3, torch.full((3, 1), float("nan"), dtype=f64),
                                                         torch.ones(3, 1, dtype=f64)), None,
         ok=lambda e: float(e) == float("inf"), why="nan is inf"),
    Case("backward_error_tolerance", lambda: linalg.backward_error_tolerance(10, torch.float64), None,
         ok=lambda t: t == 64 * 10 * 2.0 ** -52, why="64 n eps"),
    # ---------------------------------------------------------------- plotting
    Case("preset_caption", lambda: plotting.preset_caption("Fig."), None, ok=lambda s: s.startswith("Fig. (computed with"),
         why="caption"),
    Case("figure", lambda: plotting.figure(ncols=0), ValueError, "ncols: must be a positive integer", why="zero columns"),
    Case("figure", lambda: plotting.figure(height=float("nan")), ValueError, "height: must be a positive size",
         why="nan height"),
    # ---------------------------------------------------------------- errata
    Case("Discrepancy", lambda: errata.Discrepancy("000_f4170f628ec5ab7e.txt", "1", "omission", "s", "a", "b"),
         ValueError, "check: a 'omission' discrepancy needs a check", why="no check"),
    Case("register", lambda: errata.register("record"), ValueError, "record: must be a Discrepancy", why="string"),
    Case("records", lambda: errata.records("no_such_note.txt"), None, ok=lambda r: r == [], why="unknown note: none"),
    Case("Outcome", lambda: errata.Discrepancy("000_f4170f628ec5ab7e.txt", "995", "typo", "s", "a", "b").run().status,
         None, ok=lambda s: s == "editorial", why="typo is editorial"),
]

EXEMPT = {
    "SCALES": "a constant tuple",
    "PALETTE": "a constant list of colours",
    "use_book_style": "takes no input",
    "show": "displays a matplotlib figure; tested in tests/test_plotting.py",
    "BatchedLUFaultWarning": "a warning class; raised in tests/test_linalg.py",
    "KINDS": "a constant tuple",
    "EDITORIAL_KINDS": "a constant tuple",
    "NOTES": "a constant mapping",
    "load_all": "takes no input",
    "run_all": "runs the registry; tested in tests/test_errata.py",
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case):
    run_case(case)
