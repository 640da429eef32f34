"""`syndicate glossary …` and `config check` with glossaries, checked by their effects."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.config import load_config
from syndicate.ingest.parse import article_hash
from syndicate.models import Article, RoutedArticle
from syndicate.run import reroute_stored
from syndicate.storage import open_storage
from syndicate.storage.schema import article_topics
from syndicate.terms import load_term_base

from ..conftest import write_config

runner = CliRunner()
GLOSSARY = """concept,domain,definition,lang,term,status,pos,variants,dnt,flags,note
energy-storage,energy,Keeping energy for later.,it,accumulo di energia,preferred,noun,,,,
energy-storage,,,it,accumulo,admitted,noun,,,generic|needs-context,
energy-storage,,,en,energy storage,preferred,noun,,,,
energy-storage,,,en,energy accumulation,deprecated,noun,,,,
energy-storage,,,ja,エネルギー貯蔵,preferred,noun,,,,
energy-storage,,,ja,エネルギー貯蔵庫,admitted,noun,,,blocking,
"""


def project(tmp_path: Path, glossary: str = GLOSSARY, concepts: str = '["energy-storage"]') -> Path:
    (tmp_path / "terms").mkdir(exist_ok=True)
    (tmp_path / "terms" / "main.csv").write_text(glossary, "utf-8")
    return write_config(
        tmp_path,
        f"""[service]
languages = ["it", "en", "ja"]
database = "sqlite:///{tmp_path / "db.sqlite"}"

[glossary]
files = ["terms/*.csv"]

[[topics]]
id = "energy"
title = {{ it = "Energia", en = "Energy", ja = "エネルギー" }}
concepts = {concepts}
""",
    )


def test_match_json(tmp_path: Path) -> None:
    config = project(tmp_path)
    text = "L'accumulo di energia cresce"
    result = runner.invoke(
        app, ["--config", str(config), "glossary", "match", "--lang", "it", "--json", text]
    )
    assert result.exit_code == 0, result.stdout
    (match,) = json.loads(result.stdout)
    assert match == {
        "concept": "energy-storage",
        "term": "accumulo di energia",
        "status": "preferred",
        "start": 2,
        "end": 21,
    }
    assert text[match["start"] : match["end"]] == "accumulo di energia"


def test_export_tbx_then_import_round_trips(tmp_path: Path) -> None:
    config = project(tmp_path)
    tbx = tmp_path / "out.tbx"
    assert (
        runner.invoke(
            app,
            [
                "--config",
                str(config),
                "glossary",
                "export",
                "--format",
                "tbx",
                "--output",
                str(tbx),
            ],
        ).exit_code
        == 0
    )
    assert b"deprecatedTerm-admn-sts" in tbx.read_bytes()
    target = tmp_path / "imported.csv"
    result = runner.invoke(
        app, ["--config", str(config), "glossary", "import", str(tbx), "--output", str(target)]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert target.read_text("utf-8").splitlines() == GLOSSARY.splitlines()


def test_import_refuses_a_broken_file(tmp_path: Path) -> None:
    config = project(tmp_path)
    broken = tmp_path / "broken.csv"
    broken.write_text(
        GLOSSARY.replace(
            "preferred,noun,,,,\nenergy-storage,,,it,accumulo",
            "sometimes,noun,,,,\nenergy-storage,,,it,accumulo",
        ),
        "utf-8",
    )
    result = runner.invoke(app, ["--config", str(config), "glossary", "import", str(broken)])
    assert result.exit_code == 1 and "unknown status 'sometimes'" in result.stderr
    assert not (tmp_path / "locales" / "glossary" / "broken.csv").exists()


def test_config_check_names_an_undefined_concept_with_its_line(tmp_path: Path) -> None:
    config = project(tmp_path, concepts='["energy-storage", "fusion"]')
    result = runner.invoke(app, ["--config", str(config), "config", "check"])
    assert result.exit_code == 1
    assert (
        "config.toml:11: topics[0].concepts[1]: concept 'fusion' is not defined in any glossary"
    ) in result.stderr


def article(title: str, lang: str) -> Article:
    a = Article(
        "src",
        f"g-{title}",
        None,
        title,
        "",
        "",
        language=lang,
        published=datetime(2026, 11, 1, tzinfo=UTC),
    )
    return replace(a, content_hash=article_hash(a))


def test_a_glossary_change_reroutes_stored_articles_and_the_report_shows_deprecated_terms(
    tmp_path: Path,
) -> None:
    empty = GLOSSARY.splitlines()[0] + "\n"
    config_path = project(tmp_path, glossary=empty, concepts="[]")
    config = load_config(config_path, env={})
    storage = open_storage(config.database_url)
    try:
        storage.sync_sources([("src", "http://127.0.0.1/f", None, True)])
        storage.upsert_articles(
            "src",
            [RoutedArticle(article("New energy accumulation plant", "en"))],
            datetime(2026, 11, 2, tzinfo=UTC),
        )
        assert reroute_stored(config, storage, load_term_base(config)) == 1  # no version yet
        assert reroute_stored(config, storage, load_term_base(config)) == 0  # nothing changed
        # The organisation adds its term base and a concept to the topic:
        config_path = project(tmp_path)
        config = load_config(config_path, env={})
        assert reroute_stored(config, storage, load_term_base(config)) == 1
        (stored,) = storage.articles_for_feed("en", "energy", 10)
        assert [m.concept for m in stored.mentions] == ["energy-storage"]
    finally:
        storage.close()
    result = runner.invoke(app, ["--config", str(config_path), "glossary", "report"])
    assert result.exit_code == 0
    assert "src\t'energy accumulation' -> 'energy storage'\tNew energy accumulation plant" in (
        result.stdout
    )


def test_topic_scores_and_term_weights_are_stored(tmp_path: Path) -> None:
    generic = GLOSSARY.replace("generic|needs-context", "generic")
    config = load_config(project(tmp_path, glossary=generic), env={})
    storage = open_storage(config.database_url)
    try:
        storage.sync_sources([("src", "http://127.0.0.1/f", None, True)])
        storage.upsert_articles(
            "src",
            [RoutedArticle(article("Accumulo di energia e accumulo", "it"))],
            datetime(2026, 11, 2, tzinfo=UTC),
        )
        assert reroute_stored(config, storage, load_term_base(config)) == 1
        (stored,) = storage.articles_for_feed("it", "energy", 10)
        weights = {m.term: m.weight for m in stored.mentions}
        assert weights == {"accumulo di energia": 1.0, "accumulo": 0.5}  # accumulo: generic
        with storage.engine.connect() as conn:
            rows = conn.execute(sa.select(article_topics.c.reason, article_topics.c.score))
            assert [tuple(r) for r in rows] == [("concept", 2.0)]
    finally:
        storage.close()


def test_sources_check_routes_by_concepts(tmp_path: Path, httpserver: HTTPServer) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://e.org/</link><description>d</description><item>"
        "<title>Energy storage for the tram depot</title><link>https://e.org/1</link>"
        "<description>A pilot.</description></item></channel></rss>"
    )
    httpserver.expect_request("/f.xml").respond_with_data(feed)
    config = project(tmp_path)
    with config.open("a", encoding="utf-8") as out:
        out.write(
            f'\n[[sources]]\nid = "s"\nurl = "{httpserver.url_for("/f.xml")}"\n'
            "[fetch]\nallow_private_networks = true\n"
        )
    result = runner.invoke(app, ["--config", str(config), "sources", "check", "s"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "new      en    energy" in result.stdout
