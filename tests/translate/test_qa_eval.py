"""A floor under glossary QA on its evaluation set (bench/qa.py, bench/data/qa_eval.toml):
69 engine outputs of our own in it, en and ja, run through the real runner against a local
OpenAI-compatible server.

Issue 17 asked for no unsafe fix, at least 90% of the deprecated uses corrected, and under
5% false flags on outputs already right. Reached on 2026-12-04: 0 unsafe, 40 of 42
corrected (36 in place, 4 by asking the engine again), 0 of 26 false flags; before issue
17: 25 unsafe fixes, 19 of 42 corrected, 17 of 26 false flags. The rules were improved with
this set in view, so these are figures on text the rules have seen."""

from __future__ import annotations

import pytest

from ..conftest import bench_module


@pytest.fixture(scope="module")
def results() -> list[object]:
    return list(bench_module("qa").evaluate())


def test_no_fix_breaks_a_sentence(results: list[object]) -> None:
    unsafe = [r.case.id for r in results if r.unsafe]  # type: ignore[attr-defined]
    assert unsafe == []


def test_nine_in_ten_deprecated_uses_are_corrected(results: list[object]) -> None:
    with_terms = [r for r in results if r.case.deprecated]  # type: ignore[attr-defined]
    uses = sum(r.case.deprecated for r in with_terms)  # type: ignore[attr-defined]
    corrected = sum(r.case.deprecated for r in with_terms if r.right)  # type: ignore[attr-defined]
    assert corrected / uses >= 0.9, (corrected, uses)


def test_outputs_already_right_are_neither_flagged_nor_changed(results: list[object]) -> None:
    clean = [r for r in results if not r.case.deprecated and not r.case.flag]  # type: ignore[attr-defined]
    flagged = [r.case.id for r in clean if r.flagged]  # type: ignore[attr-defined]
    assert len(flagged) / len(clean) < 0.05, flagged
    assert [r.case.id for r in clean if r.published != r.case.output] == []  # type: ignore[attr-defined]
