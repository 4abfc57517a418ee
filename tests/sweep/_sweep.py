"""The bad-input sweep: every public function either computes a correct value or refuses.

Each ``tests/sweep/test_sweep_<module>.py`` lists :class:`Case` objects for the names in
its module's ``__all__``; ``tests/test_sweep_coverage.py`` checks that every public name of
the package is covered by a case or listed in the file's ``EXEMPT`` dict with a reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Case:
    """One call of a public function with a bad (or borderline) input.

    func : the public name (as in the module's ``__all__``; ``"Class.method"`` allowed)
    call : zero-argument callable making the call
    raises : the exception type(s) it must raise; ``None`` when the call must succeed
    match : regular expression the message must contain; for a refusal it must name the
        argument with its colon (``"W: must be symmetric"``), not a single letter
    ok : for ``raises=None``, a predicate on the result that checks it is *correct*
        (compared with an independent value), not merely returned
    why : what the case tests, in words
    """

    func: str
    call: Callable[[], Any]
    raises: Any = ValueError
    match: str | None = None
    ok: Callable[[Any], bool] | None = None
    why: str = ""

    def __post_init__(self):
        named = self.raises in (ValueError, TypeError) or (isinstance(self.raises, tuple) and
                                                             set(self.raises) <= {ValueError, TypeError})
        if self.raises is not None and (self.match is None or len(self.match) < 4 or (named and ":" not in self.match)):
            raise ValueError(f"match: a refusal case of {self.func} must match the argument's name with its colon "
                             f"(e.g. 'W: must be'), got {self.match!r}")
        if self.raises is None and self.ok is None:
            raise ValueError(f"ok: a success case of {self.func} needs a correctness predicate")

    @property
    def id(self) -> str:
        return f"{self.func}-{self.why or 'case'}"[:80]


def run_case(case: Case) -> None:
    if case.raises is None:
        result = case.call()
        assert case.ok(result), f"{case.func}: returned a wrong value ({case.why}): {result!r}"[:2000]
        return
    try:
        result = case.call()
    except case.raises as exc:
        msg = str(exc)
        assert re.search(case.match, msg), f"{case.func}: message {msg!r} does not match {case.match!r}"
        return
    except Exception as exc:  # a cryptic error counts as a failure of the sweep
        raise AssertionError(f"{case.func}: raised {type(exc).__name__}: {exc} — expected {case.raises} "
                             f"matching {case.match!r} ({case.why})") from exc
    raise AssertionError(f"{case.func}: accepted bad input silently ({case.why}); returned {result!r}"[:2000])
