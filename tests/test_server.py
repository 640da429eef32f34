"""The built-in server, run by a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from syndicate.config import Config
from syndicate.server import create_app
from syndicate.storage import open_storage

from .conftest import free_port, make_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = make_config(tmp_path, sources="")
    (config.output_dir / "it").mkdir(parents=True)
    (config.output_dir / "it" / "all.atom").write_text("<feed/>", encoding="utf-8")
    (config.output_dir / "it" / "all.rss").write_text("<rss/>", encoding="utf-8")
    return config


@pytest.fixture
def base_url(config: Config) -> Iterator[str]:
    storage = open_storage(config.database_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, storage),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    storage.close()


def test_feed_content_types(base_url: str) -> None:
    atom = httpx.get(f"{base_url}/feeds/it/all.atom")
    assert atom.status_code == 200 and atom.text == "<feed/>"
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    rss = httpx.get(f"{base_url}/feeds/it/all.rss")
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"


def test_conditional_requests_get_304(base_url: str) -> None:
    first = httpx.get(f"{base_url}/feeds/it/all.atom")
    etag = first.headers["etag"]
    again = httpx.get(f"{base_url}/feeds/it/all.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = httpx.get(
        f"{base_url}/feeds/it/all.atom",
        headers={"If-Modified-Since": first.headers["last-modified"]},
    )
    assert since.status_code == 304


def test_demo_sources_are_served(base_url: str) -> None:
    demo = httpx.get(f"{base_url}/demo/campus-it.xml")
    assert demo.status_code == 200
    assert demo.headers["content-type"] == "application/xml; charset=utf-8"
    assert "etag" in demo.headers


def test_index_lists_every_feed(base_url: str, config: Config) -> None:
    page = httpx.get(f"{base_url}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for lang in ("it", "en", "ja"):
        for name in ("all", "energy"):
            for fmt in ("atom", "rss"):
                assert f'href="/feeds/{lang}/{name}.{fmt}"' in page.text
    assert "エネルギー" in page.text
    assert 'rel="alternate" type="application/atom+xml"' in page.text


def test_unknown_paths_are_404(base_url: str) -> None:
    assert httpx.get(f"{base_url}/feeds/xx/none.atom").status_code == 404
    assert httpx.get(f"{base_url}/feeds/../config.toml").status_code == 404


def test_healthz(base_url: str) -> None:
    assert httpx.get(f"{base_url}/healthz").text == "ok\n"
