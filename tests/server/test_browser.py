"""The site and the status page in headless Chromium (Debian's chromium and chromium-driver).

``make test`` installs both when they are missing and it may (root, apt-get); where it
cannot, these tests skip and say so. Screenshots go to tests/artifacts/ (not committed).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from syndicate.config import load_config
from syndicate.ingest.fetch import Fetcher
from syndicate.run import run_cycle, sync_sources
from syndicate.server import create_app
from syndicate.storage import open_storage
from syndicate.terms import load_term_base

from ..conftest import DEMO_CONFIG, free_port
from .conftest import OPERATOR_TOKEN, Site, serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--window-size=1280,1000",
)

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="BROWSER TESTS NOT RUN: Debian's chromium and chromium-driver are missing "
    "(`make test` installs them when run as root with apt-get)",
)

webdriver = pytest.importorskip("selenium.webdriver")
By = pytest.importorskip("selenium.webdriver.common.by").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
Service = pytest.importorskip("selenium.webdriver.chrome.service").Service

Browser = Callable[[str], Any]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A factory of headless Chromium sessions with a given Accept-Language."""
    drivers: list[Any] = []

    def start(accept_language: str) -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_experimental_option("prefs", {"intl.accept_languages": accept_language})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(20)
        drivers.append(driver)
        return driver

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield start
    for driver in drivers:
        driver.quit()


def wait_for(driver: Any, check: Callable[[Any], bool]) -> None:
    WebDriverWait(driver, 10).until(check)


def test_a_japanese_reader_switches_to_italian_and_follows_a_feed(
    site: Site, browser: Browser
) -> None:
    d: Any = browser("ja")
    d.get(f"{site.base}/")
    wait_for(d, lambda d: d.current_url.endswith("/ja/"))
    html = d.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == "ja"
    assert d.find_element(By.TAG_NAME, "h1").text == "ニュースフィード"
    assert "最新の記事" in d.page_source
    d.save_screenshot(str(ARTIFACTS / "site-ja.png"))

    d.find_element(By.CSS_SELECTOR, 'nav.languages a[hreflang="it"]').click()
    wait_for(d, lambda d: d.current_url.endswith("/it/"))
    assert d.find_element(By.TAG_NAME, "h1").text == "Feed di notizie"
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "it"
    d.save_screenshot(str(ARTIFACTS / "site-it.png"))

    link = d.find_element(By.CSS_SELECTOR, 'tr[data-topic="energy"] a[type="application/atom+xml"]')
    href = link.get_attribute("href")
    assert href.endswith("/feeds/it/energy.atom")
    link.click()
    wait_for(d, lambda d: d.current_url == href)
    source = d.page_source
    assert "http://www.w3.org/2005/Atom" in source and "Energia" in source
    d.save_screenshot(str(ARTIFACTS / "feed-it-energy.png"))


def test_the_status_page_shows_the_failing_demo_source_first(
    tmp_path: Path, browser: Browser
) -> None:
    port = free_port()
    text = DEMO_CONFIG.read_text("utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    text = text.replace("port = 8080", f"port = {port}")
    text = text.replace(f"127.0.0.1:{port}/demo/city-ja.xml", f"127.0.0.1:{port}/demo/retired.xml")
    text = text.replace('"locales/glossary/', f'"{DEMO_CONFIG.parent}/locales/glossary/')
    text = text.replace("sqlite:///var/syndicate.db", f"sqlite:///{tmp_path / 'demo.db'}")
    (tmp_path / "config.toml").write_text(text, "utf-8")
    config = load_config(tmp_path / "config.toml", env={})
    storage = open_storage(config.database_url)
    app = create_app(config, storage, env={"SYNDICATE_OPERATOR_TOKEN": OPERATOR_TOKEN})
    with serve(app, port) as base:
        sync_sources(config, storage)

        async def one_cycle() -> None:
            fetcher = Fetcher(config.fetch)
            try:
                await run_cycle(config, storage, fetcher, terms=load_term_base(config))
            finally:
                await fetcher.aclose()

        asyncio.run(one_cycle())
        d: Any = browser("en")
        d.get(f"{base}/status?token={OPERATOR_TOKEN}")
        wait_for(d, lambda d: d.current_url == f"{base}/status")
        rows = d.find_elements(By.CSS_SELECTOR, "#sources tbody tr")
        healths = [(r.get_attribute("data-source"), r.get_attribute("data-health")) for r in rows]
        assert healths[0] == ("city-ja", "failing")
        assert [h for _, h in healths[1:]] == ["ok"] * (len(config.sources) - 1)
        assert "404" in rows[0].text
        d.save_screenshot(str(ARTIFACTS / "status.png"))
    storage.close()
