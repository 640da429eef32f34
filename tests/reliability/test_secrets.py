"""Secrets: refused in the config file, never in logs, status pages or command output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.storage import open_storage
from syndicate.translate import translation_status

from ..translate.fake_engines import FakeDeepL
from ..translate.test_runner import NOW, article, config_for, run, store, translator
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


def test_an_engine_key_never_reaches_logs_or_status(
    case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture, sqlite_url: str
) -> None:
    case("engine API key (right, then wrong)", "never in logs, status JSON or errors")
    key = "c0ffee00-1234-5678-9abc-def012345678:fx"
    storage = open_storage(sqlite_url)
    caplog.set_level(logging.DEBUG)
    with FakeDeepL(api_key=key) as fake:
        config = config_for(tmp_path, "deepl", fake.url)
        store(storage, article("k1", "Energy storage"))
        run(translator(config, storage, {"DEEPL_TEST_KEY": key}))
        store(storage, article("k2", "Smart grids"))
        wrong = key.replace("c0ffee", "bad000")
        run(translator(config, storage, {"DEEPL_TEST_KEY": wrong}))
        status = json.dumps(translation_status(config, storage, NOW).to_json())
        sent = [r.headers.get("authorization", "") for r in fake.requests]
    storage.close()
    shown = caplog.text + status
    failed = [w for w in json.loads(status)["waiting"] if w["kind"]]
    reason = failed[0]["reason"] if failed else "-"
    case.saw(
        f"{len(sent)} requests sent with a key; key in logs/status: "
        f"{key in shown or wrong in shown}; the wrong key's error: {reason}"
    )
    assert any(key in h for h in sent)  # it was really used
    assert key not in shown and wrong not in shown and "c0ffee" not in shown
    assert failed and failed[0]["kind"] == "auth"
