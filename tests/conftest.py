"""Shared fixtures: databases on both backends, configs, real local HTTP servers."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from syndicate.config import Config, load_config
from syndicate.storage import SqlStorage, open_storage

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "config.toml"
DATA = Path(__file__).resolve().parent / "data"
#: ../shared beside the checkout: present for developers and CI, absent in a user's clone
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"

PG_ENV = "SYNDICATE_TEST_DATABASE_URL"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """Like pytest-httpserver's ``httpserver``, but answering requests concurrently."""
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'syndicate.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the server named by SYNDICATE_TEST_DATABASE_URL, dropped after."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests need a server (.ci/run sets it)")
    admin = sa.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"syndicate_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def storage(database_url: str) -> Iterator[SqlStorage]:
    store = open_storage(database_url)
    try:
        yield store
    finally:
        store.close()


def write_config(directory: Path, body: str) -> Path:
    path = directory / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


ENERGY_TOPIC = """
[[topics]]
id = "energy"
title = { it = "Energia", en = "Energy", ja = "エネルギー" }
categories = ["energia", "energy", "エネルギー"]
keywords = ["battery"]
"""


def make_config(
    directory: Path,
    *,
    sources: str,
    database: str | None = None,
    extra: str = "",
    topics: bool = True,
    fetch: str = "",
) -> Config:
    """A small config in ``directory`` with the given [[sources]] tables (and, unless told
    otherwise, one "energy" topic)."""
    database = database or f"sqlite:///{directory / 'syndicate.db'}"
    energy = ENERGY_TOPIC if topics else ""
    body = f"""
[service]
languages = ["it", "en", "ja"]
database = "{database}"
output_dir = "feeds"
base_url = "http://127.0.0.1:8080"

[fetch]
allow_private_networks = true
timeout = "5s"
{fetch}

{energy}
{extra}
{sources}
"""
    return load_config(write_config(directory, body), env={})


def bench_module(name: str) -> ModuleType:
    """``bench/NAME.py``, loaded by path (the benchmarks are scripts, not a package), for
    the tests that keep a floor under their figures."""
    path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
