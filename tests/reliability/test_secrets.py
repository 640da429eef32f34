"""Secrets: refused in the config file, never in logs, status pages or command output."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.config import load_config
from syndicate.errors import ConfigError

from .conftest import Case


@pytest.mark.parametrize(
    ("table", "line"),
    [
        ('[translation.deepl]\napi_key = "d5a1-secret:fx"', "translation.deepl.api_key"),
        (
            '[[partners]]\nid = "p"\ntoken = "plain-token"\ntoken_sha256 = "' + "a" * 64 + '"',
            "partners[0].token",
        ),
        (
            '[service]\ndatabase = "postgresql://app:hunter2@db.example.org/syndicate"',
            "service.database",
        ),
        ('[server]\noperator_token = "op"', "server.operator_token"),
    ],
)
def test_a_secret_in_the_config_file_is_refused(
    case: Case, tmp_path: Path, table: str, line: str
) -> None:
    case(f"secret in config.toml ({line})", "refused: file:line, key, where it belongs instead")
    path = tmp_path / "config.toml"
    path.write_text(table + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    text = str(caught.value)
    case.saw(text.splitlines()[0][:120])
    assert "config.toml:" in text and line in text
    assert "environment variable" in text or "SYNDICATE_DATABASE_URL" in text
    for secret in ("d5a1-secret", "plain-token", "hunter2"):
        assert secret not in text  # the message never repeats the secret


def test_the_database_password_from_the_environment_never_shows(
    case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case("database password in SYNDICATE_DATABASE_URL", "never in errors or logs")
    path = tmp_path / "config.toml"
    path.write_text("[service]\nlanguages = ['it']\n", encoding="utf-8")
    url = "postgresql://app:hunter2@127.0.0.1:1/none"
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        app, ["--config", str(path), "sources", "status"], env={"SYNDICATE_DATABASE_URL": url}
    )
    shown = result.output + caplog.text
    case.saw(f"exit {result.exit_code}: {result.output.strip()[:100]}")
    assert result.exit_code == 1 and "hunter2" not in shown and "***" in shown
