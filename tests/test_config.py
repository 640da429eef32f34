from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from syndicate.config import TranslationEngine, load_config
from syndicate.config._positions import KeyLines, format_key
from syndicate.config._readers import parse_duration, parse_size
from syndicate.errors import ConfigError

from .conftest import DEMO_CONFIG, write_config


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return [str(p) for p in caught.value.problems]


def test_demo_config_loads() -> None:
    config = load_config(DEMO_CONFIG, env={})
    assert config.service.languages == ("it", "en", "ja")
    assert len(config.sources) >= 6
    assert config.fetch.allow_private_networks is True
    assert {s.language for s in config.sources} == {"it", "en", "ja"}
    assert config.translation.engine is TranslationEngine.NONE
    # relative paths are resolved against the config file, not the working directory
    assert config.database_url == f"sqlite:///{DEMO_CONFIG.parent / 'var' / 'syndicate.db'}"
    assert config.output_dir == DEMO_CONFIG.parent / "feeds"


def test_defaults_fill_an_almost_empty_config(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "[service]\nlanguages = ['en']\n"), env={})
    assert config.schedule.interval == 900
    assert config.fetch.max_bytes == 10 * 1024 * 1024
    assert config.fetch.allow_private_networks is False
    assert config.publish.max_entries == 50
    assert config.sources == ()


def test_environment_overrides_database(tmp_path: Path) -> None:
    path = write_config(tmp_path, "")
    config = load_config(path, env={"SYNDICATE_DATABASE_URL": "postgresql://u@h/db"})
    assert config.database_url == "postgresql://u@h/db"


def test_misspelled_key_bad_duration_and_undefined_topic_are_all_reported(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """\
[service]
languages = ["it", "en"]

[schedul]
interval = "15m"

[[topics]]
id = "energy"
title = { it = "Energia", en = "Energy" }

[[sources]]
id = "a"
url = "http://127.0.0.1/a.xml"
interval = "soon"
topics = ["energy", "mobility"]
""",
    )
    assert problems_of(path) == [
        'config.toml:4: schedul: unknown key (did you mean "schedule"?)',
        'config.toml:14: sources[0].interval: expected a duration like "15m", got "soon"',
        "config.toml:15: sources[0].topics[1]: topic 'mobility' is not defined in [[topics]]",
    ]


def test_every_kind_of_problem_names_its_line(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """\
[service]
languages = ["it", "EN!"]
base_url = "ftp://example.org"

[fetch]
concurrency = "many"
max_bytes = "huge"
per_host = 0
allow_private_networks = "yes"

[translation]
engine = "deepel"

[[sources]]
id = "a"
url = "http://127.0.0.1/a.xml"
language = "de"

[[sources]]
id = "a"
url = "http://127.0.0.1/b.xml"
intervall = "1h"

[[sources]]
url = "http://127.0.0.1/c.xml"
""",
    )
    found = problems_of(path)
    expected_fragments = [
        ("config.toml:2: service.languages[1]:", "BCP 47"),
        ("config.toml:3: service.base_url:", "http(s) URL"),
        ("config.toml:6: fetch.concurrency:", 'expected an integer, got "many"'),
        ("config.toml:7: fetch.max_bytes:", 'expected a size like "10MB", got "huge"'),
        ("config.toml:8: fetch.per_host:", "at least 1"),
        ("config.toml:9: fetch.allow_private_networks:", "true or false"),
        ("config.toml:12: translation.engine:", 'did you mean "deepl"?'),
        ("config.toml:17: sources[0].language:", "'de' is not in service.languages"),
        ("config.toml:20: sources[1].id:", "defined twice"),
        ("config.toml:22: sources[1].intervall:", 'did you mean "interval"?'),
        ("config.toml:24: sources[2].id:", "required key is missing"),
    ]
    for prefix, fragment in expected_fragments:
        assert any(p.startswith(prefix) and fragment in p for p in found), (prefix, found)
    assert len(found) == len(expected_fragments)


def test_engine_needs_its_table(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[translation]\nengine = "openai"\n')
    assert problems_of(path) == [
        'config.toml:2: translation.engine: engine "openai" needs a [translation.openai] table'
    ]


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[service]\nlanguages = ["it"\nbase_url = "x"\n')
    (problem,) = problems_of(path)
    assert problem.startswith("config.toml:3: not valid TOML")


def test_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.toml") == ["nope.toml: file not found"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("500ms", 0.5), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "15", "-5m", "0s", "5 minutes", 15])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_sizes() -> None:
    assert parse_size("512KB") == 512 * 1024
    assert parse_size("10MB") == 10 * 1024 * 1024
    assert parse_size("1GiB") == 1024**3
    with pytest.raises(ValueError, match="expected a size"):
        parse_size("10 elephants")


def test_key_lines_scanner() -> None:
    text = """\
# comment
[service]
languages = [
  "it",   # [not a table]
  "en",
]
base_url = "x"  # base_url = "y"

[[sources]]
id = "a"
title = { it = "A", en = "B" }

[[sources]]
id = "b"
note = '''
id = "fake"
'''
url = "u"
"a.b".c = 1
"""
    lines = KeyLines(text)
    assert lines.line_of(("service", "languages")) == 3
    assert lines.line_of(("service", "languages", 1)) == 3  # falls back to the array's line
    assert lines.line_of(("service", "base_url")) == 7
    assert lines.line_of(("sources", 0, "id")) == 10
    assert lines.line_of(("sources", 0, "title", "en")) == 11
    assert lines.line_of(("sources", 1)) == 13
    assert lines.line_of(("sources", 1, "id")) == 14
    assert lines.line_of(("sources", 1, "url")) == 18
    assert lines.line_of(("sources", 1, "a.b", "c")) == 19
    assert lines.line_of(("nothing",)) is None
    assert format_key(("sources", 2, "topics", 0)) == "sources[2].topics[0]"


def test_cli_config_check_reports_without_traceback(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[schedule]\ninterval = "soon"\n[fetch]\ntimout = "5s"\n')
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(path), "config", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        'config.toml:2: schedule.interval: expected a duration like "15m", got "soon"'
        in done.stderr
    )
    assert 'config.toml:4: fetch.timout: unknown key (did you mean "timeout"?)' in done.stderr


def test_cli_config_check_ok() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(DEMO_CONFIG), "config", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "ok (6 sources" in done.stdout


def test_lease_must_outlast_a_fetch(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[fetch]\ntotal_timeout = "2m"\n[schedule]\nlease = "3m"\n')
    (problem,) = problems_of(path)
    assert problem.startswith("config.toml:4: schedule.lease: must be at least twice")


def test_server_hardening_keys(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        '[server]\nmetrics_partner_labels = "yes"\n'
        'trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1", "nginx.local", 3]\n',
    )
    assert problems_of(path) == [
        'config.toml:2: server.metrics_partner_labels: expected true or false, got "yes"',
        "config.toml:3: server.trusted_proxies[3]: expected an IP address or network like "
        '"127.0.0.1" or "10.0.0.0/8" (the proxy\'s address as the server sees it, not a host '
        "name), got 'nginx.local'",
        "config.toml:3: server.trusted_proxies[4]: expected a string, got 3 (an integer)",
    ]
    path = write_config(tmp_path, '[server]\ntrusted_proxies = ["10.1.2.3/8"]\n')
    assert problems_of(path)[0].endswith("got '10.1.2.3/8': 10.1.2.3/8 has host bits set")
    path = write_config(tmp_path, '[server]\ntrusted_proxies = ["127.0.0.1", "fd00::/8"]\n')
    server = load_config(path, env={}).server
    assert server.trusted_proxies == ("127.0.0.1", "fd00::/8")
    assert server.metrics_partner_labels is False


def test_archive_pages_are_bounded(tmp_path: Path) -> None:
    default = load_config(write_config(tmp_path, "[service]\nlanguages = ['en']\n"), env={})
    assert default.publish.archive_page_entries == 200
    path = write_config(tmp_path, "[publish]\narchive_page_entries = 0\n")
    (problem,) = problems_of(path)
    assert problem.startswith("config.toml:2: publish.archive_page_entries:")
    assert "between 1 and 5000, got 0" in problem
    path = write_config(tmp_path, "[publish]\narchive_page_entries = 100000\n")
    (problem,) = problems_of(path)
    assert "between 1 and 5000, got 100000" in problem


def test_private_topics_are_derived_once_in_config_order(tmp_path: Path) -> None:
    from .conftest import make_config

    topic = '[[topics]]\nid = "{id}"\ntitle = "{id}"\nprivate = {private}\n\n'
    extra = "".join(
        topic.format(id=i, private=p)
        for i, p in (("zeta", "true"), ("open", "false"), ("alpha", "true"))
    )
    config = make_config(tmp_path, sources="", extra=extra)
    assert config.private_topics == ("zeta", "alpha")
    assert "energy" not in config.private_topics
