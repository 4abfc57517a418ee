"""The errata registry: every discrepancy between a source note and the book.

A :class:`Discrepancy` records where a note is wrong or incomplete (note file,
equation number or claim id, kind, the printed form, the corrected form) and
carries a ``check`` that *computes* both: it returns a pair of
:class:`~rnnmath.verify.CheckResult` — the printed form's (which must fail) and
the corrected form's (which must pass).  The errata chapter of the book and
``tests/test_errata.py`` run every record, so the errata page is generated from
executed checks, never written by hand.

Records live in one module per note, ``rnnmath/errata/note_NNN.py``, each of
which calls :func:`register` at import time; :func:`load_all` imports them.

Command line: ``python -m rnnmath.errata`` prints the table,
``python -m rnnmath.errata --json`` the records as JSON.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Optional

from ..verify import CheckResult

__all__ = ["KINDS", "EDITORIAL_KINDS", "NOTES", "Discrepancy", "Outcome", "register", "load_all", "records", "run_all",
           "registry_tables"]

#: Kinds of discrepancy.  A "typo" changes nothing mathematically; the others
#: change a result or a reading and must come with a check whose printed side fails.
#:
#: * ``"sign"``, ``"index"``, ``"factor"``: a printed formula is wrong in that way;
#: * ``"wrong claim"``: a statement of the note is false (a counterexample computes it);
#: * ``"not reproduced"``: an empirical claim of the note that the book's experiment
#:   contradicts (a claim verdict, :class:`rnnmath.verify.ClaimVerdict`, decides it);
#: * ``"unfinished"``: the note stops before the result, which the book completes;
#: * ``"omission"``: a step or a term is left out, the rest is right (e.g. ``b -> T b``);
#: * ``"unstated convention"``: the note is right under a convention it does not state
#:   (the check shows the printed form failing under the other, common convention);
#: * ``"clarification"``: the note's words admit a false reading (checked) and a true one.
KINDS = ("typo", "sign", "index", "factor", "wrong claim", "not reproduced", "unfinished", "omission",
         "unstated convention", "clarification")

#: Kinds recorded without a check: they change nothing that can be computed.
EDITORIAL_KINDS = ("typo",)

#: The five source notes (file name -> short citation).
NOTES = {
    "000_f4170f628ec5ab7e.txt": "Karuvally, Episodic Memory Theory of RNNs — Energy Analysis",
    "001_39bc17db6c447d31.txt": "Amrut & Ankit, RNN Initial Hypotheses (April 2021)",
    "002_74d2f35f080b0a0c.txt": "Mozer, Notes on convolutional attractor nets",
    "003_c58dd80c006725f8.txt": "Krishnamurthy, Can & Schwab, Dynamics of continuous-time gated RNNs (poster)",
    "004_9e76d5a056fd089f.txt": "Emami, Sahraee-Ardakan, Rangan & Fletcher, Input-output equivalence of unitary and contractive RNNs (poster)",
}


@dataclass(frozen=True)
class Outcome:
    """What running a record's check showed."""

    record: "Discrepancy"
    printed: Optional[CheckResult]
    corrected: Optional[CheckResult]

    @property
    def editorial(self) -> bool:
        """True for a record without a check (a typo): shown as editorial, never "confirmed"."""
        return self.record.check is None

    @property
    def confirmed(self) -> bool:
        """True when a check ran and the printed form fails while the corrected form passes."""
        if self.record.check is None:
            return False
        return (self.printed is not None and not self.printed.passed
                and self.corrected is not None and self.corrected.passed)

    @property
    def status(self) -> str:
        """``"confirmed"``, ``"editorial"`` (no check) or ``"NOT CONFIRMED"``."""
        if self.editorial:
            return "editorial"
        return "confirmed" if self.confirmed else "NOT CONFIRMED"

    @property
    def ok(self) -> bool:
        """What the registry's tests require: an editorial record or a confirmed one."""
        return self.editorial or self.confirmed


@dataclass(frozen=True)
class Discrepancy:
    """One place where a note's printed equation or claim does not survive.

    Parameters
    ----------
    note : str
        File name of the note in ``shared/seeds`` (a key of :data:`NOTES`).
    equation : str
        The equation number as printed (``"35"``) or a short claim id
        (``"claim:energy-decreases"``).
    kind : str
        One of :data:`KINDS`.
    summary : str
        One sentence: what is wrong and what is right.
    printed : str
        The note's form (LaTeX, without dollars).
    corrected : str
        The corrected form (LaTeX, without dollars).
    check : callable or None
        ``() -> (printed_result, corrected_result)`` computed with the
        ``rnnmath.verify`` functions using ``strict=False``.  Required for
        every kind except ``"typo"``.
    chapter : str, optional
        The book page that discusses it (path without suffix, e.g.
        ``"book/part1_episodic/conjugacy"``).
    """

    note: str
    equation: str
    kind: str
    summary: str
    printed: str
    corrected: str
    check: Optional[Callable[[], tuple]] = None
    chapter: Optional[str] = None

    def __post_init__(self):
        if self.note not in NOTES:
            raise ValueError(f"note: {self.note!r} is not one of the source notes {sorted(NOTES)}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {KINDS}")
        if not str(self.equation).strip():
            raise ValueError("equation: must name the printed equation number or a claim id")
        if self.check is None and self.kind not in EDITORIAL_KINDS:
            raise ValueError(f"check: a {self.kind!r} discrepancy needs a check showing the printed form failing")

    @property
    def key(self) -> tuple:
        return (self.note, str(self.equation), self.summary)

    def run(self) -> Outcome:
        """Execute the check and return both results."""
        if self.check is None:
            return Outcome(self, None, None)
        out = self.check()
        if not (isinstance(out, tuple) and len(out) == 2 and all(isinstance(r, CheckResult) for r in out)):
            raise TypeError(f"check of {self.note} eq. {self.equation} must return (CheckResult, CheckResult)")
        return Outcome(self, out[0], out[1])

    def as_dict(self) -> dict:
        return {
            "note": self.note,
            "equation": str(self.equation),
            "kind": self.kind,
            "summary": self.summary,
            "printed": self.printed,
            "corrected": self.corrected,
            "chapter": self.chapter,
            "has_check": self.check is not None,
        }


_REGISTRY: dict = {}


def register(record: Discrepancy) -> Discrepancy:
    """Add a record to the registry (idempotent for the same key)."""
    if not isinstance(record, Discrepancy):
        raise ValueError(f"record: must be a Discrepancy, got {type(record).__name__}")
    _REGISTRY[record.key] = record
    return record


def load_all() -> None:
    """Import every ``rnnmath.errata.note_*`` module so that all records register."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("note_"):
            importlib.import_module(f"{__name__}.{mod.name}")


def _sort_key(r: Discrepancy):
    eq = str(r.equation)
    num = int(eq) if eq.isdigit() else 10**6
    return (r.note, num, eq)


def records(note: str | None = None) -> list:
    """All registered records (after :func:`load_all`), sorted by note and equation."""
    load_all()
    out = [r for r in _REGISTRY.values() if note is None or r.note == note]
    return sorted(out, key=_sort_key)


def run_all(note: str | None = None) -> list:
    """Run every record's check; return the list of :class:`Outcome`."""
    return [r.run() for r in records(note)]


def _cell(text) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ")


def _form(r: Optional[CheckResult]) -> str:
    """One executed side of a record: passes/fails with its error and tolerance (3 significant digits)."""
    if r is None:
        return "—"
    verb = "passes" if r.passed else "fails"
    if r.kind == "symbolic":
        return "passes (exact)" if r.passed else "fails (symbolic residual ≠ 0)"
    if r.kind in ("boolean", "raises"):
        return f"{verb} ({r.kind})"
    if r.kind == "bound":
        return f"{verb} (observed {r.observed:.3g}, bound {_cell(r.reference)})"
    return f"{verb} (error {r.max_error:.3g}, tolerance {r.tolerance:.3g})"


def registry_tables(outcomes) -> list:
    """The errata page's tables: one ``(heading, markdown)`` pair per source note.

    Parameters
    ----------
    outcomes : list of Outcome
        From :func:`run_all`.

    Returns
    -------
    list of (str, str)
        For every note of :data:`NOTES`, a heading with its record count and a Markdown
        table (empty string when the note has no record): equation or claim, kind,
        status, summary, printed and corrected forms, and what each form's check gave.
    """
    outcomes = list(outcomes)
    if not all(isinstance(o, Outcome) for o in outcomes):
        raise TypeError("outcomes: must be Outcome objects from rnnmath.errata.run_all()")
    out = []
    for note, title in NOTES.items():
        rows = [o for o in outcomes if o.record.note == note]
        head = f"### {title}\n\nSource file `{note}` — {len(rows)} record(s)."
        if not rows:
            out.append((head, ""))
            continue
        lines = ["| eq. / claim | kind | status | what | printed | corrected | printed form | corrected form |",
                 "|---|---|---|---|---|---|---|---|"]
        for o in rows:
            r = o.record
            printed = f"${_cell(r.printed)}$" if r.printed else ""
            corrected = f"${_cell(r.corrected)}$" if r.corrected else ""
            lines.append(f"| {_cell(r.equation)} | {r.kind} | {o.status} | {_cell(r.summary)} | {printed} "
                         f"| {corrected} | {_form(o.printed)} | {_form(o.corrected)} |")
        out.append((head, "\n".join(lines)))
    return out
