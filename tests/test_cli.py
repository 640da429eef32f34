"""CLI commands, checked by their effects on the database and the output folder."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.config import Config, load_config
from syndicate.run.leases import make_owner
from syndicate.server.partners import hash_token
from syndicate.storage import open_storage
from syndicate.storage.database import create_engine, current_revision, head_revision

from .conftest import DATA, make_config
from .test_leases import gone_pid

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, httpserver: HTTPServer) -> Config:
    httpserver.expect_request("/it.xml").respond_with_data(
        (DATA / "parse" / "rss2-basic.xml").read_bytes(), headers={"ETag": '"one"'}
    )
    httpserver.expect_request("/broken.xml").respond_with_data("<html>not a feed", status=200)
    sources = f"""
[[sources]]
id = "news-it"
url = "{httpserver.url_for("/it.xml")}"

[[sources]]
id = "broken"
url = "{httpserver.url_for("/broken.xml")}"
"""
    return make_config(tmp_path, sources=sources)


def invoke(config: Config, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(config.path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_poll_once_stores_and_publishes(config: Config) -> None:
    code, out, _ = invoke(config, "poll", "--once")
    assert code == 0
    assert "news-it: new (HTTP 200) 3 new" in out
    assert "broken: error" in out and "not a feed" in out
    storage = open_storage(config.database_url)
    try:
        assert storage.count_articles("news-it") == 3
        states = {s.id: s for s in storage.source_states()}
        assert states["broken"].error_count == 1 and states["news-it"].etag == '"one"'
    finally:
        storage.close()
    assert (config.output_dir / "it" / "all.atom").is_file()


def test_poll_once_names_the_sources_a_live_worker_holds(config: Config) -> None:
    """A live worker (this very process) holds one source: poll --once --force leaves it,
    and says by whom and until when; a dead worker's hold is released and its source polled."""
    invoke(config, "db", "upgrade")
    storage = open_storage(config.database_url)
    until = datetime.now(UTC) + timedelta(minutes=10)
    try:
        storage.sync_sources([(s.id, s.url, None, True) for s in config.sources])
        live = make_owner()
        lease = {"now": datetime.now(UTC), "lease_until": until, "force": True}
        assert [s.id for s in storage.claim_due(live, limit=1, only=["news-it"], **lease)]
        dead = f"{socket.gethostname()}:{gone_pid()}:1:abcdef"
        assert [s.id for s in storage.claim_due(dead, limit=1, only=["broken"], **lease)]
    finally:
        storage.close()
    code, out, _ = invoke(config, "poll", "--once", "--force")
    assert code == 0
    assert f"news-it: skipped, held by worker {live} until {until:%Y-%m-%d %H:%M:%S} UTC" in out
    assert "broken: error" in out and "news-it: new" not in out


def test_poll_only_named_sources(config: Config) -> None:
    code, out, _ = invoke(config, "poll", "--once", "--source", "broken")
    assert code == 0 and "news-it" not in out
    storage = open_storage(config.database_url)
    try:
        assert storage.count_articles() == 0
    finally:
        storage.close()


def test_poll_unknown_source_is_a_user_error(config: Config) -> None:
    code, _, err = invoke(config, "poll", "--once", "--source", "nope")
    assert code == 1 and "unknown source id: nope" in err


def test_sources_status_json_puts_failing_first(config: Config) -> None:
    invoke(config, "poll", "--once")
    code, out, _ = invoke(config, "sources", "status", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["broken", "news-it"]
    assert rows[0]["health"] == "failing" and "not a feed" in rows[0]["last_error"]
    assert rows[1]["articles"] == 3 and rows[1]["last_status"] == 200
    code, out, _ = invoke(config, "sources", "status")
    assert code == 0 and out.splitlines()[1].startswith("broken ")


def test_publish_writes_feeds_and_force_rewrites(config: Config) -> None:
    invoke(config, "poll", "--once")
    code, out, _ = invoke(config, "publish")
    assert code == 0 and out.startswith("0 feeds written, 18 unchanged")
    (config.output_dir / "en" / "all.rss").unlink()
    assert invoke(config, "publish")[1].startswith("1 feeds written")
    assert invoke(config, "publish", "--force")[1].startswith("18 feeds written")


def test_db_upgrade(config: Config) -> None:
    code, out, _ = invoke(config, "db", "upgrade")
    assert code == 0 and f"revision {head_revision()}" in out
    engine = create_engine(config.database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_unreachable_database_is_a_clear_error(config: Config, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    text = config.path.read_text().replace(str(tmp_path / "syndicate.db"), str(blocker / "x.db"))
    config.path.write_text(text)
    code, _, err = invoke(load_config(config.path, env={}), "sources", "status")
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err


def test_every_command_has_help_with_an_example() -> None:
    commands = [
        ["run"],
        ["poll"],
        ["publish"],
        ["serve"],
        ["config", "check"],
        ["sources", "status"],
        ["db", "upgrade"],
    ]
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Example: syndicate" in result.stdout, command


def test_usage_error_exits_2(config: Config) -> None:
    assert invoke(config, "poll", "--bogus")[0] == 2


def test_sources_status_json_has_the_operator_fields(config: Config) -> None:
    invoke(config, "poll", "--once")
    rows = {r["id"]: r for r in json.loads(invoke(config, "sources", "status", "--json")[1])}
    required = {
        "id",
        "url",
        "language",
        "enabled",
        "last_status",
        "last_error",
        "error_count",
        "last_fetch_at",
        "next_poll_at",
        "interval_seconds",
        "disabled_reason",
        "articles",
    }
    for row in rows.values():
        assert required <= set(row)
    assert rows["broken"]["last_status"] == 200 and rows["broken"]["enabled"] is True
    assert rows["news-it"]["interval_seconds"] > 0 and rows["news-it"]["interval_reason"]
    assert rows["news-it"]["last_fetch_at"] is not None


def test_sources_check_shows_without_storing(config: Config) -> None:
    code, out, _ = invoke(config, "sources", "check", "news-it")
    assert code == 0, out
    assert "HTTP 200" in out and "3 entries: 3 new, 0 changed, 0 unchanged" in out
    assert "energy" in out  # the routed topic is shown
    storage = open_storage(config.database_url)
    try:
        assert storage.count_articles() == 0  # nothing stored
    finally:
        storage.close()
    invoke(config, "poll", "--once")
    assert (
        "3 entries: 0 new, 0 changed, 3 unchanged"
        in invoke(config, "sources", "check", "news-it")[1]
    )


def test_sources_check_unknown_id(config: Config) -> None:
    code, _, err = invoke(config, "sources", "check", "nope")
    assert code == 1 and "no source with id 'nope'" in err


def test_sources_enable(config: Config, httpserver: HTTPServer) -> None:
    httpserver.clear()
    httpserver.expect_request("/it.xml").respond_with_data("gone", status=410)
    httpserver.expect_request("/broken.xml").respond_with_data("gone", status=410)
    invoke(config, "poll", "--once")
    rows = {r["id"]: r for r in json.loads(invoke(config, "sources", "status", "--json")[1])}
    assert rows["news-it"]["health"] == "disabled" and "410" in rows["news-it"]["disabled_reason"]
    assert invoke(config, "sources", "enable", "news-it")[0] == 0
    rows = {r["id"]: r for r in json.loads(invoke(config, "sources", "status", "--json")[1])}
    assert rows["news-it"]["disabled_reason"] is None and rows["broken"]["disabled_reason"]


def test_partners_token_prints_a_token_and_a_config_table_that_loads(tmp_path: Path) -> None:
    made = CliRunner().invoke(app, ["partners", "token", "tokyo-office"])
    assert made.exit_code == 0, made.output
    token = made.output.split(": ", 1)[1].splitlines()[0].strip()
    table = made.output[made.output.index("[[partners]]") :]
    assert token not in table and len(token) >= 40
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        '[[topics]]\nid = "startups"\ntitle = "Startups"\nprivate = true\n\n' + table, "utf-8"
    )
    config = load_config(config_path, env={})
    assert config.partners[0].id == "tokyo-office"
    assert config.partners[0].token_sha256 == hash_token(token)
    listed = CliRunner().invoke(app, ["--config", str(config_path), "partners", "list"])
    assert "private topics: startups" in listed.output and "tokyo-office: 60/min" in listed.output
    again = CliRunner().invoke(app, ["partners", "token", "tokyo-office"])
    assert again.output.split(": ", 1)[1].splitlines()[0].strip() != token


def test_the_program_freezes_its_start_up_objects_and_leaves_the_collector_on() -> None:
    """syndicate/__main__.py: the collector is off while the command is imported, and what
    the import made is frozen out of later collections; a fresh process shows both."""
    script = (
        "import gc, sys\n"
        "sys.argv = ['syndicate', '--help']\n"
        "from syndicate.__main__ import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, gc.isenabled(), gc.get_freeze_count(), 'syndicate.run.cycle' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    code, enabled, frozen, imported = done.stdout.split()[-4:]
    assert (code, enabled, imported) == ("0", "True", "True")
    assert int(frozen) > 50_000  # the modules the command imported, at the least
    assert "Usage" in done.stdout
