"""`syndicate topics explain`: the concepts found in a text, their scores, the topics."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from syndicate.cli import app

from .test_glossary_cli import project

runner = CliRunner()


def explain(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(config), "topics", "explain", *args])
    return result.exit_code, result.stdout, result.stderr


def test_explain_gives_concepts_scores_and_topics_as_json(tmp_path: Path) -> None:
    config = project(tmp_path)
    code, out, _ = explain(
        config, "--lang", "it", "--json", "--title", "Accumulo di energia a Valmora", "testo"
    )
    assert code == 0, out
    result = json.loads(out)
    (concept,) = result["concepts"]
    assert concept["concept"] == "energy-storage" and concept["in_title"]
    assert concept["score"] == 2 and concept["topics"] == ["energy"]
    assert result["topics"] == [
        {"topic": "energy", "score": 2, "min_score": 2, "reason": "concept"}
    ]


def test_explain_in_words_shows_why_a_text_joins_or_not(tmp_path: Path) -> None:
    config = project(tmp_path)
    code, out, _ = explain(config, "--lang", "en", "Energy storage, energy storage again.")
    assert code == 0
    assert "energy-storage" in out and "(2x, text, weight 1)" in out
    assert "energy" in out and "1 of 2" in out and "joins" not in out  # repetition adds nothing
    (tmp_path / "story.txt").write_text("エネルギー貯蔵の実験", "utf-8")
    story = str(tmp_path / "story.txt")
    code, out, _ = explain(config, "--file", story, "--title", "エネルギー貯蔵")
    assert code == 0 and "language: ja (detected)" in out and "2 of 2   joins" in out


def test_explain_refuses_what_it_cannot_read_in_one_line(tmp_path: Path) -> None:
    config = project(tmp_path)
    code, _, err = explain(config)
    assert code == 1 and "give either TEXT or --file FILE" in err
    code, _, err = explain(config, "--lang", "de", "Energiespeicher")
    assert code == 1 and "language 'de' is not configured" in err
    code, _, err = explain(config, "--file", str(tmp_path / "missing.txt"))
    assert code == 1 and "cannot read" in err and "Traceback" not in err
