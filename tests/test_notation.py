"""One notation (issue 19): the notation page's tables name things that exist, and its macros are used.

``book/notation.md`` has one table per part with the columns note | book | code | meaning. Every
backticked name in the code column must resolve in ``rnnmath``: ``module.name`` or
``module.Class.attr`` (``rnnmath.`` optional), and ``module.func(a, b)`` must also have
parameters ``a`` and ``b`` -- that is how the page says which argument holds which symbol. A part's
table may only name that part's modules. Every MathJax macro defined in ``_config.yml`` or on the
notation page is used in some other page of the book. The last test guards the decisions the page
records (``W_{\\mathrm{rec}}``, no ``\\rho`` for Spearman's correlation, no ``\\lambda`` adjoint in
Part IV, ``^\\top`` for transposes) in the chapters themselves.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from booktoc import toc_entries

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "notation.md"
PART_MODULES = {
    "I": {"episodic", "episodic_overlaps"},
    "II": {"rate", "rate_claims", "fixed_points", "latent"},
    "III": {"attractor", "attractor_conv"},
    "IV": {"gated", "gated_adjoint", "lyapunov"},
    "V": {"unitary"},
}
PART_DIRS = {"I": "part1_episodic", "II": "part2_rate", "III": "part3_attractor", "IV": "part4_gated",
             "V": "part5_unitary"}
CODE_NAME = re.compile(r"^(?:rnnmath\.)?(?P<mod>[a-z_]+)\.(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)"
                       r"(?:\((?P<args>[A-Za-z_]\w*(?:,\s*[A-Za-z_]\w*)*)\))?$")


# ---------------------------------------------------------------- parsing the page
def part_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """``{"I": [row, ...], ...}``: the first table under each ``## Part <roman> —`` heading."""
    tables = {}
    for m in re.finditer(r"^## Part (?P<part>[IV]+) —.*?(?=^## |\Z)", text, re.M | re.S):
        lines = [ln.strip() for ln in m.group(0).splitlines() if ln.strip().startswith("|")]
        if len(lines) < 3:
            tables[m.group("part")] = []
            continue
        head = [c.strip() for c in lines[0].strip("|").split("|")]
        rows = []
        for ln in lines[2:]:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln.strip().strip("|"))]
            rows.append(dict(zip(head, cells)))
        tables[m.group("part")] = rows
    return tables


def part_sections(text: str) -> dict[str, str]:
    return {m.group("part"): m.group(0) for m in
            re.finditer(r"^## Part (?P<part>[IV]+) —.*?(?=^## |\Z)", text, re.M | re.S)}


def resolve(name: str, allowed: set[str] | None = None) -> str | None:
    """None if ``name`` exists in rnnmath (with the arguments it lists), else what is wrong."""
    m = CODE_NAME.match(name)
    if not m:
        return f"`{name}` is not of the form module.name, module.Class.attr or module.func(arg, ...)"
    mod = m.group("mod")
    if allowed is not None and mod not in allowed:
        return f"`{name}`: module {mod!r} is not one of this part's modules {sorted(allowed)}"
    importlib.import_module("rnnmath")
    for owner in ("gated",) if mod == "gated_adjoint" else ():
        importlib.import_module(f"rnnmath.{owner}")     # gated_adjoint is imported through gated
    try:
        obj = importlib.import_module(f"rnnmath.{mod}")
    except ImportError as exc:
        return f"`{name}`: no module rnnmath.{mod} ({exc})"
    for part in m.group("path").split("."):
        if not hasattr(obj, part):
            return f"`{name}`: rnnmath.{mod} has no {part!r}"
        obj = getattr(obj, part)
    if m.group("args"):
        try:
            params = set(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            return f"`{name}`: has no signature to check the arguments against"
        missing = [a.strip() for a in m.group("args").split(",") if a.strip() not in params]
        if missing:
            return f"`{name}`: no parameter(s) {missing} (it has {sorted(params)})"
    return None


def code_names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


TEXT = PAGE.read_text()
TABLES = part_tables(TEXT)


# ---------------------------------------------------------------- the checker can fail
def test_the_resolver_rejects_what_does_not_exist():
    assert resolve("episodic.energy(x, h, y)") is None
    assert resolve("rnnmath.lyapunov.lyapunov_spectrum") is None
    assert resolve("fixed_points.RateDynamics.jacobian") is None
    assert "no 'no_such_function'" in resolve("episodic.no_such_function")
    assert "no parameter(s) ['V_h']" in resolve("episodic.energy(x, V_h)")
    assert "no module" in resolve("nosuchmodule.f")
    assert "not of the form" in resolve("x")
    assert "not one of this part's modules" in resolve("gated.gated_jacobian", {"unitary"})


def test_the_parser_finds_rows_and_cells():
    text = ("## Part I — x\n\nColumn vectors.\n\n| note | book | code | meaning |\n|---|---|---|---|\n"
            "| $a$ | $\\lvert a\\rvert$ | `episodic.energy(x)` | a thing |\n## Part II — y\n")
    rows = part_tables(text)["I"]
    assert rows == [{"note": "$a$", "book": "$\\lvert a\\rvert$", "code": "`episodic.energy(x)`", "meaning": "a thing"}]
    assert part_tables(text)["II"] == []


# ---------------------------------------------------------------- the page
def test_one_table_per_part_with_the_four_columns():
    assert set(TABLES) == set(PART_MODULES), f"the page has tables for parts {sorted(TABLES)}"
    for part, rows in TABLES.items():
        assert len(rows) >= 8, f"Part {part}: only {len(rows)} rows"
        assert all(list(r) == ["note", "book", "code", "meaning"] for r in rows), f"Part {part}: columns"
        assert all(r["book"] and r["meaning"] for r in rows), f"Part {part}: a row without book symbol or meaning"


@pytest.mark.parametrize("part", sorted(PART_MODULES))
def test_every_code_name_exists_in_rnnmath(part):
    problems = []
    for row in TABLES.get(part, []):
        if row["code"] in ("", "—"):
            continue
        names = code_names(row["code"])
        if not names:
            problems.append(f"row {row['book']!r}: code cell {row['code']!r} names nothing in backticks")
        problems += [p for p in (resolve(n, PART_MODULES[part]) for n in names) if p]
    assert not problems, f"Part {part}:\n" + "\n".join(problems)


@pytest.mark.parametrize("part", sorted(PART_MODULES))
def test_each_part_states_its_vector_convention(part):
    section = part_sections(TEXT)[part]
    intro = section.split("|", 1)[0]
    assert re.search(r"\b(column|row) vectors\b", intro, re.I), f"Part {part}: say whether vectors are rows or columns"


def test_the_issue_s_missing_symbols_are_listed():
    book_cells = " ".join(r["book"] for r in TABLES["I"])
    for symbol in (r"$s = \sigma(x)$", "$A$", "$B$", "$M$", "L^*", "D_L", "E_W"):
        assert symbol in book_cells, f"Part I table lacks {symbol}"
    codes = " ".join(r["code"] for r in TABLES["I"])
    assert "energy(x)" in codes and "energy(h)" in codes and "energy(y)" in codes, \
        "Part I must name the code's h, y for V_h, V_d"


# ---------------------------------------------------------------- macros
def defined_macros() -> dict[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    tex = (((config.get("sphinx") or {}).get("config") or {}).get("mathjax3_config") or {}).get("tex") or {}
    macros = {name: "_config.yml" for name in (tex.get("macros") or {})}
    for name in re.findall(r"\\(?:newcommand|renewcommand|def)\s*\{?\\([A-Za-z]+)", TEXT):
        macros[name] = "book/notation.md"
    return macros


@functools.lru_cache(maxsize=None)
def book_texts(exclude=(PAGE,)) -> dict[str, str]:
    """Markdown of every toc page except ``exclude`` (notebook markdown cells; .md files). Cached: do not mutate."""
    out = {}
    for entry in toc_entries():
        for ext in (".ipynb", ".md"):
            path = ROOT / f"{entry}{ext}"
            if path.exists() and path not in exclude:
                if ext == ".md":
                    out[entry] = path.read_text()
                else:
                    nb = nbformat.read(path, as_version=4)
                    out[entry] = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return out


def unused(macros, texts) -> list[str]:
    return sorted(m for m in macros if not any(re.search(rf"\\{m}(?![A-Za-z])", t) for t in texts.values()))


def test_macro_usage_detection_can_fail():
    assert unused({"R": "", "Foo": ""}, {"a": r"$x\in\R^n$ and $\Rightarrow$ $\Foobar$"}) == ["Foo"]


def test_every_defined_macro_is_used_in_the_book():
    macros = defined_macros()
    assert macros, "no macros found (the test would pass vacuously)"
    missing = unused(macros, book_texts())
    assert not missing, f"macros defined but used on no page other than the notation page: " \
                        f"{[(m, macros[m]) for m in missing]}"


# ---------------------------------------------------------------- the decisions, in the chapters
def part_markdown(part: str) -> dict[str, str]:
    return {k: v for k, v in book_texts().items() if f"/{PART_DIRS[part]}/" in f"/{k}"}


DECISIONS = [
    ("every", r"W_\{(rec|in|out)\}", "write W_{\\mathrm{rec}} (upright labels)"),
    ("II", r"Spearman[^.]{0,80}\\rho|\\rho[^.]{0,40}Spearman", "Spearman's correlation is r_s; rho is the spectral radius"),
    ("IV", r"\\lambda_\{?[hzr]\b|\\lambda\(t\)|\\lambda\(T\)|\\lambda\(0\)|\\dot\\lambda",
     "the adjoint is a(t); lambda is a Lyapunov exponent in Part IV"),
    ("IV", r"(?<![A-Za-z\\])\^T(?![A-Za-z])", "transposes are ^\\top (T is the horizon)"),
    ("II", r"\\rho(?!\()", "rho is the spectral radius rho(.); the Perron root is rho(|W_rec|)"),
    ("IV", r"\\rho\b", "rho is the spectral radius; the backward growth rate of gradients needs its own name"),
]


@pytest.mark.parametrize("part, pattern, rule", DECISIONS, ids=[f"{p}:{r.split(';')[0][:30]}" for p, _, r in DECISIONS])
def test_the_chapters_follow_the_notation_decisions(part, pattern, rule):
    texts = book_texts() if part == "every" else part_markdown(part)
    assert texts, f"no pages for part {part}"
    hits = {k: sorted(set(m.group(0) for m in re.finditer(pattern, v))) for k, v in texts.items()}
    hits = {k: v for k, v in hits.items() if v and k != "book/notation"}
    assert not hits, f"{rule}: {hits}"
