"""`glossary lint` on a deliberately broken glossary: every problem, each with its line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.terms import TermStatus
from syndicate.terms.csvfile import read_csv
from syndicate.terms.lint import lint_files

from ..conftest import write_config

BROKEN = """concept,domain,definition,lang,term,status,pos,variants,dnt,note
grid,energy,The electricity network.,it,rete elettrica,preferred,noun,,,
grid,,,en,power grid,preferred,noun,,,
grid,,,en,electricity grid,preferred,noun,,,
grid,,,ja,電力網,preferred,noun,,,
storage,energy,,it,accumulo,preferred,noun,,,
storage,,,en,storage,preferred,noun,,,
storage,,,ja,蓄電,preferred,noun,,,
storage,,,en,Power  Grid,admitted,noun,,,
hub,,,it,hub,preferred,noun,,,
hub,,,en,hub,preferred,noun,,,
hub,,,ja,,preferred,noun,,,
tram,mobility,,it,tram,preferred,noun,,,
tram,,,en,tram,recommended,noun,,,
tram,,,en,streetcar,deprecated,noun,,,
tram,,,ja,路面電車,preferred,noun,,,
car,mobility,,it,auto,preferred,noun,,,
car,,,en,car,preferred,noun,,,
car,,,en,Car,deprecated,noun,,,
car,,,ja,自動車,preferred,noun,,,
bus,mobility,,it,autobus,preferred,noun,,
"""


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN, "utf-8")
    bad_bytes = tmp_path / "latin1.csv"
    bad_bytes.write_bytes(BROKEN.splitlines()[0].encode() + b"\nx,,,it,citt\xe0,preferred,,,,\n")
    problems = [str(p) for p in lint_files([path, bad_bytes], ["it", "en", "ja"])]
    name = str(path)
    expected = [
        f"{name}:4: second preferred term 'electricity grid' for concept 'grid' in 'en'",
        f"{name}:9: 'Power  Grid' (en) names both 'grid' and 'storage'",
        f"{name}:12: empty term for concept 'hub'",
        f"{name}:10: concept 'hub' has no preferred term in 'ja'",
        f"{name}:14: unknown status 'recommended'",
        f"{name}:13: concept 'tram' has no preferred term in 'en'",
        f"{name}:19: deprecated term 'Car' (en) equals the preferred term 'car'",
        f"{name}:21: expected 10 columns, found 9",
        f"{bad_bytes}:2: not UTF-8",
    ]
    for fragment in expected:
        assert any(p.startswith(fragment) for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_domains_tell_homonyms_apart(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        """concept,domain,definition,lang,term,status,pos,variants,dnt,note
cell-battery,energy,,en,cell,preferred,noun,,,
cell-biology,research,,en,cell,preferred,noun,,,
""",
        "utf-8",
    )
    assert lint_files([path], ["en"]) == []


def test_cli_lint_exits_1_and_prints_file_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN, "utf-8")
    config = write_config(tmp_path, '[service]\nlanguages = ["it", "en", "ja"]\n')
    result = CliRunner().invoke(app, ["--config", str(config), "glossary", "lint", str(path)])
    assert result.exit_code == 1
    assert f"{path}:14: unknown status 'recommended'" in result.stdout


def test_a_field_over_the_csv_limit_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(BROKEN.splitlines()[0] + f'\nx,,,en,"{"y" * 200_000}",,,,,\n', "utf-8")
    assert [str(p).split(" (")[0] for p in lint_files([path], ["en"])] == [
        f"{path}:2: unreadable row: field larger than field limit"
    ]


def test_shipped_glossary_is_clean() -> None:
    shipped = sorted((Path(__file__).resolve().parents[2] / "locales" / "glossary").glob("*.csv"))
    assert shipped, "the shipped term base is missing"
    assert [str(p) for p in lint_files(shipped, ["it", "en", "ja"])] == []


def test_shipped_term_base_covers_over_400_concepts_in_three_languages() -> None:
    shipped = sorted((Path(__file__).resolve().parents[2] / "locales" / "glossary").glob("*.csv"))
    concepts = [c for path in shipped for c in read_csv(path.name, path.read_bytes())[0]]
    assert len({c.id for c in concepts}) == len(concepts) >= 400
    for concept in concepts:
        preferred = {t.lang for t in concept.terms if t.status is TermStatus.PREFERRED}
        assert preferred == {"it", "en", "ja"}, concept.id


def test_flags_that_cannot_work_are_problems_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "flags.csv"
    path.write_text(
        "concept,domain,definition,lang,term,status,pos,variants,dnt,flags,note\n"
        "h,energy,Hydrogen.,it,idrogeno,preferred,noun,,,blocking,\n"
        "h,,,en,hydrogen,preferred,noun,,,,\n"
        "x,,Something.,it,cosa,preferred,noun,,,needs-context,\n"
        "x,,,en,thing,preferred,noun,,,often,\n",
        "utf-8",
    )
    problems = [str(p) for p in lint_files([path], ["it", "en"])]
    assert any(":2: blocking term 'idrogeno'" in p for p in problems), problems
    assert any(":4: needs-context term 'cosa'" in p for p in problems), problems
    assert any(":5: unknown flag 'often'" in p for p in problems), problems


def test_what_glossary_qa_needs_from_form_tags_is_linted(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text(
        "concept,domain,definition,lang,term,status,pos,variants,dnt,flags,note\n"
        "wt,energy,Wind turbine.,it,turbina eolica[f],preferred,noun,,,,\n"
        "wt,,,it,mulino a vento,deprecated,noun,,,,\n"
        "wt,,,ja,風力発電機[n],preferred,noun,,,,\n"
        "ev,mobility,Electric vehicle.,it,veicolo elettrico[m],preferred,noun,,,,\n"
        "ev,,,it,macchina elettrica[f],deprecated,noun,,,,\n",
        "utf-8",
    )
    problems = [str(p) for p in lint_files([path], ["it"])]
    assert len(problems) == 2, problems
    assert ":3: deprecated 'mulino a vento' (it) of 'wt'" in problems[0]
    assert "tag 'mulino a vento' with [m] or [f]" in problems[0]
    assert ":4: '風力発電機' (ja): form tags mean nothing in this language" in problems[1]
