"""Every errata record is well formed and its check separates printed from corrected."""
import json
import subprocess
import sys

import pytest

from rnnmath import errata
from rnnmath.verify import CheckResult, check_close

RECORDS = errata.records()


def test_registry_is_not_empty_and_covers_note_000():
    assert RECORDS, "the errata registry is empty"
    assert any(r.note.startswith("000_") for r in RECORDS)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: f"{r.note[:3]}-eq{r.equation}-{r.kind}")
def test_record_is_confirmed(record):
    out = record.run()
    if record.check is None:
        assert record.kind == "typo"
        return
    assert out.printed is not None and out.corrected is not None
    assert not out.printed.passed, f"the printed form PASSES its check: {out.printed}"
    assert out.corrected.passed, f"the corrected form FAILS its check: {out.corrected}"


def test_record_validation():
    with pytest.raises(ValueError, match="note"):
        errata.Discrepancy("nope.txt", "1", "sign", "s", "a", "b", check=lambda: None)
    with pytest.raises(ValueError, match="kind"):
        errata.Discrepancy("000_f4170f628ec5ab7e.txt", "1", "oops", "s", "a", "b")
    with pytest.raises(ValueError, match="check"):
        errata.Discrepancy("000_f4170f628ec5ab7e.txt", "1", "sign", "s", "a", "b")
    with pytest.raises(ValueError, match="equation"):
        errata.Discrepancy("000_f4170f628ec5ab7e.txt", " ", "typo", "s", "a", "b")


def test_an_unconfirmed_record_is_detected():
    """A record whose 'printed' form actually passes is reported as not confirmed."""
    ok = lambda: check_close(1.0, 1.0, "x", strict=False)
    rec = errata.Discrepancy("000_f4170f628ec5ab7e.txt", "999", "sign", "fake", "a", "b", check=lambda: (ok(), ok()))
    assert not rec.run().confirmed and rec.run().status == "NOT CONFIRMED" and not rec.run().ok
    bad = errata.Discrepancy("000_f4170f628ec5ab7e.txt", "998", "sign", "fake", "a", "b", check=lambda: (1, 2))
    with pytest.raises(TypeError):
        bad.run()


def test_command_line_json():
    out = subprocess.run([sys.executable, "-m", "rnnmath.errata", "--json"], capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)
    assert len(rows) == len(RECORDS)
    for row in rows:
        assert {"note", "equation", "kind", "summary"} <= set(row)
        assert row["kind"] in errata.KINDS
    table = subprocess.run([sys.executable, "-m", "rnnmath.errata"], capture_output=True, text=True, check=True).stdout
    assert f"{len(RECORDS)} discrepancies" in table


def test_a_record_without_check_is_editorial_not_confirmed():
    rec = errata.Discrepancy("000_f4170f628ec5ab7e.txt", "997", "typo", "fake typo", "a", "b")
    out = rec.run()
    assert out.editorial and not out.confirmed and out.status == "editorial" and out.ok
    for kind in ("omission", "unstated convention", "not reproduced", "clarification"):
        with pytest.raises(ValueError, match="check: a"):
            errata.Discrepancy("000_f4170f628ec5ab7e.txt", "996", kind, "s", "a", "b")


def test_registry_tables_render_each_note_with_three_significant_digits():
    from rnnmath.verify import check_bound

    printed = check_close(1.0, 1.0123, "printed", rtol=0.0, atol=0.0112, strict=False)
    corrected = check_close(1.0, 1.0, "corrected", strict=False)
    rec = errata.Discrepancy("000_f4170f628ec5ab7e.txt", "997", "sign", "a | b", "x", "-x",
                             check=lambda: (printed, corrected))
    tables = errata.registry_tables([rec.run()])
    assert len(tables) == len(errata.NOTES)
    heading, table = tables[0]
    assert "1 record(s)" in heading and r"a \| b" in table
    assert "fails (error 0.0123, tolerance 0.0112)" in table   # not "1e-02"
    assert all(t == "" for _, t in tables[1:])
    bound = check_bound([0.5], upper=1.0, name="b", strict=False)
    assert "observed 0.5" in errata._form(bound)


def test_registry_tables_refuse_what_is_not_an_outcome():
    with pytest.raises(TypeError, match="outcomes: must be Outcome objects"):
        errata.registry_tables(["confirmed"])
